"""The FHIR R4 API under `/fhir/r4/{partner_hostname}/`: metadata, reads and searches.

Tenancy, keys, scopes and rate limits are the JSON:API's own (the hostname is resolved
and the key checked before any view runs); failures are answered as OperationOutcomes.
"""

import orjson
from flask import Blueprint, current_app, g, request
from werkzeug.datastructures import CombinedMultiDict

from inquick.auth.keys import require_scope
from inquick.extensions import db
from inquick.fhir import publish_views
from inquick.fhir.bundles import searchset
from inquick.fhir.capability import METADATA_PARAMETERS, answered_statement, capability_statement
from inquick.fhir.media import FHIR_JSON, check_format, fhir_base, fhir_response, request_context
from inquick.fhir.outcomes import outcome_of_errors
from inquick.fhir.publish import BULK_PUBLISH, publication, published_system_id
from inquick.fhir.search import is_lenient, parse_search
from inquick.fhir.slot_search import SLOTS
from inquick.fhir.types import TYPES
from inquick.jsonapi.conditional import revalidated
from inquick.jsonapi.errors import NotFound, UnsupportedMediaType
from inquick.jsonapi.media import MEDIA_TYPE
from inquick.models.catalog_state import CATALOG_VERSION
from inquick.ratelimit import spend_for_address
from inquick.request_urls import base_url

PREFIX = "/fhir/r4/<partner_hostname>"
SERVED = (*TYPES.values(), SLOTS)
SERVED_BY_NAME = {fhir_type.name: fhir_type for fhir_type in SERVED}
FORM = "application/x-www-form-urlencoded"
blueprint = Blueprint("fhir", __name__)


def init_app(app):
    app.register_blueprint(blueprint, url_prefix=PREFIX)
    app.register_blueprint(publish_views.blueprint, url_prefix=PREFIX)
    app.after_request(answer_failures_as_outcomes)
    # FHIR's media types are not JSON:API's: its views negotiate them themselves (`media`).
    fhir_blueprints = (blueprint.name, publish_views.blueprint.name)
    for endpoint, view in app.view_functions.items():
        if endpoint.partition(".")[0] in fhir_blueprints:
            view.negotiates_itself = True


def answer_failures_as_outcomes(response):
    """A failure on a FHIR URL (whoever answered it: a view, tenancy, routing, the rate
    limit) is an OperationOutcome with the status and headers it was answered with."""
    if not request.path.startswith("/fhir/") or response.mimetype != MEDIA_TYPE:
        return response
    outcome = outcome_of_errors(response.get_data(), response.status_code)
    response.set_data(orjson.dumps(outcome))
    response.mimetype = FHIR_JSON
    return response


@blueprint.before_request
def speak_fhir():
    """The base URL of this request's resources, and 406 for a format not served."""
    g.fhir_base = fhir_base()
    accept = request.accept_mimetypes if "Accept" in request.headers else None
    check_format(search_parameters().getlist("_format"), accept)


def search_parameters():
    """The request's parameters: the query's, and a POST's form body's after them (FHIR's
    `POST [type]/_search` means the GET of both); 415 for a body of another kind."""
    if request.method != "POST":
        return request.args
    if request.mimetype != FORM and (request.mimetype or request.content_length):
        raise UnsupportedMediaType(
            f"POST _search takes its parameters as {FORM}.", header="Content-Type"
        )
    return CombinedMultiDict([request.args, request.form])


@blueprint.get("/metadata")
def metadata():
    """The CapabilityStatement: served without a key, as FHIR clients expect."""
    spend_for_address()
    lenient = is_lenient(request.headers.get("Prefer"))
    found_search = parse_search(request.args, METADATA_PARAMETERS, lenient=lenient)
    sandbox_host = current_app.config.get("SANDBOX_HOST")
    system_id = published_system_id(db.session, g.health_system, sandbox_host)
    publishes, _booking_url = publication(db.session, system_id)
    operations = [BULK_PUBLISH] if publishes else []
    statement = capability_statement(g.fhir_base, SERVED, operations)
    return fhir_response(answered_statement(statement, found_search, lenient))


metadata.authenticates_itself = True


def read(fhir_type, object_id):
    """GET /{type}/{id}"""
    parse_search(request.args, (), lenient=is_lenient(request.headers.get("Prefer")))
    resource = fhir_type.read(object_id, request_context())
    if resource is None:
        raise NotFound(f"There is no {fhir_type.name} with id {object_id!r}.")
    return answer(fhir_type, resource)


def search(fhir_type):
    """GET /{type}?…: a searchset Bundle, its links the GETs of its pages."""
    lenient = is_lenient(request.headers.get("Prefer"))
    found_search = parse_search(
        search_parameters(), fhir_type.parameter_names, fhir_type.includes, lenient=lenient
    )
    found = fhir_type.search(found_search, request_context())
    url = base_url().removesuffix("/_search")
    return answer(fhir_type, searchset(url, g.fhir_base, found_search, found))


@blueprint.post("/<resource_type>/_search")
def search_by_form(resource_type):
    """POST /{type}/_search: the search of the query's and the form's parameters, under
    the type's scope. Never revalidated: its URL does not say what was searched."""
    fhir_type = SERVED_BY_NAME.get(resource_type)
    if fhir_type is None:
        raise NotFound(f"There is no resource type {resource_type!r} here.")
    return require_scope(fhir_type.scope)(search)(fhir_type)


def answer(fhir_type, resource):
    response = fhir_response(resource)
    if fhir_type.scope == "visits:read":  # patient data: no cache may keep it
        response.headers["Cache-Control"] = "no-store"
    return response


def add_routes(fhir_type):
    """Its search and read, under its scope; a catalog type's with an ETag and 304, as the
    JSON:API's catalog reads (the scope is checked first: a key without it learns nothing)."""

    def scoped(view):
        if fhir_type.revalidated_by is not None:
            view = revalidated(CATALOG_VERSION, fhir_type.revalidated_by)(view)
        return require_scope(fhir_type.scope)(view)

    blueprint.add_url_rule(
        f"/{fhir_type.name}",
        f"search_{fhir_type.name}",
        scoped(lambda: search(fhir_type)),
        methods=["GET"],
    )
    blueprint.add_url_rule(
        f"/{fhir_type.name}/<object_id>",
        f"read_{fhir_type.name}",
        scoped(lambda object_id: read(fhir_type, object_id)),
        methods=["GET"],
    )


for served_type in SERVED:
    add_routes(served_type)

"""`$bulk-publish` (SMART Scheduling Links): the manifest and its files, with no key, for a
health system that publishes its slots (`publishes-slots`, set with `catalog:write`)."""

from datetime import UTC, datetime
from urllib.parse import quote

import orjson
from flask import Blueprint, Response, current_app, g, request, stream_with_context

from inquick.extensions import db
from inquick.fhir.media import fhir_base, request_context
from inquick.fhir.publish import (
    CATALOG_FILES,
    catalog_file,
    changed_since,
    manifest,
    ndjson,
    publication,
    published_states,
    published_system_id,
    slots_file,
    state_token,
)
from inquick.fhir.search import date_criteria, parse_search
from inquick.jsonapi.errors import NotFound
from inquick.models import HealthSystem
from inquick.operations import remember_caller
from inquick.pages.page_keys import page_key
from inquick.ratelimit import spend_for_address
from inquick.request_urls import base_url, host_url

blueprint = Blueprint("fhir-publish", __name__)
NDJSON = "application/fhir+ndjson"
# How long a client should wait before it polls again, as the guide suggests saying.
CACHE_CONTROL = "public, max-age=60"


@blueprint.before_request
def published_system():
    """The hostname's live system (its sandbox on a sandbox host), if it publishes its
    slots; 404 otherwise. Every request is counted against the client's address: no key is
    there to count it against."""
    spend_for_address()
    remember_caller(g.health_system)
    sandbox_host = current_app.config.get("SANDBOX_HOST")
    system_id = published_system_id(db.session, g.health_system, sandbox_host)
    publishes, booking_url = publication(db.session, system_id)
    if not publishes:
        raise NotFound("This health system does not publish its slots.")
    g.booking_url = booking_url or hosted_booking_page()
    g.tenant = db.session.get(HealthSystem, system_id)
    g.fhir_base = fhir_base()


def hosted_booking_page():
    """This server's booking page of the hostname, when it has one (a publishable key) and
    the system named no page of its own; None otherwise."""
    hostname = g.presented[0]
    sandbox_host = bool(current_app.config.get("SANDBOX_HOST"))
    if page_key(db.session, hostname, sandbox_host=sandbox_host) is None:
        return None
    return f"{host_url()}book/{quote(hostname, safe='')}"


def since():
    """From when the files hold changed rows: `_since` (the only parameter they take), less
    the margin of late commits; None without it."""
    search = parse_search(request.args, ("_since",))
    starts = [criterion.bounds(UTC)[0] for criterion in date_criteria(search, "_since")]
    return changed_since(max(starts)) if starts else None


@blueprint.get("/$bulk-publish")
def bulk_publish():
    """The manifest: the files that hold the system's published scheduling data."""
    given = request.args.get("_since")
    since()  # a `_since` that cannot be read is a 400 here, not in each file
    states = published_states(db.session, g.tenant.id)
    request_url = base_url() + (f"?_since={quote(given, safe='')}" if given else "")
    document = manifest(request_url, g.fhir_base, states, given, datetime.now(UTC))
    headers = {"Cache-Control": CACHE_CONTROL}
    return Response(orjson.dumps(document), mimetype="application/json", headers=headers)


@blueprint.get("/$bulk-publish/<file_name>")
def bulk_file(file_name):
    """One NDJSON file, written as it is read."""
    name = file_name.removesuffix(".ndjson")
    if name in CATALOG_FILES and file_name.endswith(".ndjson"):
        published = CATALOG_FILES[name]
        resources = catalog_file(db.session, published, g.tenant.id, request_context(), since())
    elif name.startswith("slots-") and file_name.endswith(".ndjson"):
        since()  # taken, and ignored: a slot file holds every current slot
        token = name.removeprefix("slots-")
        states = [s for s in published_states(db.session, g.tenant.id) if state_token(s) == token]
        if not states:
            raise NotFound(f"There is no file {file_name!r}.")
        resources = slots_file(db.session, g.tenant.id, states, g.booking_url, request_context())
    else:
        raise NotFound(f"There is no file {file_name!r}.")
    body = stream_with_context(ndjson(resources))
    return Response(body, mimetype=NDJSON, headers={"Cache-Control": CACHE_CONTROL})


bulk_publish.authenticates_itself = True
bulk_file.authenticates_itself = True

"""api-keys: a health system's keys, listed, created (shown once) and revoked (keys:manage)."""

from datetime import UTC, datetime

from flask import Blueprint, current_app, g, request
from marshmallow_jsonapi import Schema, fields
from sqlalchemy import func, select

from inquick.auth.keys import SCOPES, issue_key, require_scope
from inquick.extensions import db
from inquick.jsonapi.conditional import never_stored
from inquick.jsonapi.document import api_root, single_document
from inquick.jsonapi.errors import ErrorList, Unprocessable
from inquick.jsonapi.fields import Computed
from inquick.jsonapi.media import document_response, empty_response
from inquick.jsonapi.query import QueryParams, check_parameter_names
from inquick.jsonapi.request_document import read_resource_object
from inquick.jsonapi.views import add_resource_routes, find, read_one
from inquick.models import ApiKey, HealthSystem
from inquick.models.base import as_utc
from inquick.ratelimit import key_limit
from inquick.resources.base import CatalogResource, dasherize

blueprint = Blueprint("api-keys", __name__)
# Patient data and keys: no cache may keep an answer (and none carries an ETag).
blueprint.after_request(never_stored)


def moment(value):
    """RFC 3339 with its offset, also for the naive UTC times SQLite hands back."""
    return as_utc(value).isoformat() if value is not None else None


WRITABLE = {"scopes", "label", "rate-limit"}


def scope_list(scopes):
    """The stored space-separated scopes, in the order SCOPES lists them."""
    return sorted(set(scopes.split()), key=SCOPES.index)


class ApiKeySchema(Schema):
    id = fields.Str()
    prefix = fields.Str()
    mode = fields.Str()
    scopes = Computed(ApiKey.scopes, convert=scope_list)
    label = fields.Str(allow_none=True)
    rate_limit = fields.Int(allow_none=True)
    created_at = Computed(ApiKey.created_at, convert=moment)
    last_used_at = Computed(ApiKey.last_used_at, convert=moment)
    revoked_at = Computed(ApiKey.revoked_at, convert=moment)

    class Meta:
        type_ = "api-keys"
        inflect = dasherize


api_keys = CatalogResource(ApiKeySchema, ApiKey, default_sort=("created-at",))
add_resource_routes(blueprint, api_keys, decorators=[require_scope("keys:manage")])


def requested_key(attributes):
    """(scopes, label, rate limit) from a create request, or one 422 per bad attribute."""
    errors = [
        Unprocessable(f"{name} cannot be set.", pointer=f"/data/attributes/{name}")
        for name in attributes
        if name not in WRITABLE
    ]
    scopes = attributes.get("scopes", [])
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes) or not scopes:
        errors.append(Unprocessable("scopes must be a non-empty list of scope names.",
                                    pointer="/data/attributes/scopes"))  # fmt: skip
    elif not set(scopes) <= g.api_key.scope_set:
        # A key can hand out only what it holds itself.
        errors.append(Unprocessable("scopes can only be scopes this key holds.",
                                    pointer="/data/attributes/scopes"))  # fmt: skip
    label = attributes.get("label")
    if label is not None and (not isinstance(label, str) or len(label) > 200 or "\x00" in label):
        errors.append(Unprocessable("label must be text of at most 200 characters.",
                                    pointer="/data/attributes/label"))  # fmt: skip
    # A key can hand out no more than its own limit; without one asked, the new key has it.
    ceiling = key_limit(g.api_key)
    limit = attributes.get("rate-limit")
    if limit is None:
        limit = g.api_key.rate_limit
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or not 1 <= limit <= ceiling):  # fmt: skip
        errors.append(Unprocessable(f"rate-limit must be a whole number from 1 to {ceiling}, "
                                    "this key's own limit.",
                                    pointer="/data/attributes/rate-limit"))  # fmt: skip
    if errors:
        raise ErrorList(errors)
    return scopes, label, limit


def check_total(health_system, limit):
    """422 if a new key with `limit` would take the health system's keys past their total.

    Without it, a key could multiply its own limit by creating keys; the operator sets the
    total (INQUICK_KEYS_RATE_LIMIT_TOTAL) that all unrevoked keys of a health system share.
    """
    default = current_app.config["RATE_LIMIT"]
    granted = db.session.scalar(
        select(func.coalesce(func.sum(func.coalesce(ApiKey.rate_limit, default)), 0)).where(
            ApiKey.health_system_id == health_system.id, ApiKey.revoked_at.is_(None)
        )
    )
    total = current_app.config["KEYS_RATE_LIMIT_TOTAL"]
    if granted + (limit or default) > total:
        raise Unprocessable(
            f"This health system's keys already allow {granted} requests a minute together, "
            f"of a total of {total}: a key of {limit or default} more does not fit. Revoke a "
            "key or ask for a smaller rate-limit.",
            pointer="/data/attributes/rate-limit",
        )


@blueprint.post("/api-keys")
@require_scope("keys:manage")
def create_api_key():
    """A new key of the caller's health system and mode; its secret is in this answer only."""
    check_parameter_names(request.args, allowed_families=())
    data = read_resource_object("api-keys")
    scopes, label, limit = requested_key(data.get("attributes", {}))
    # Locked, so that two keys created at once cannot both fit under the total.
    health_system = db.session.get(HealthSystem, g.tenant.id, with_for_update=True)
    check_total(health_system, limit)
    key, secret = issue_key(
        health_system,
        mode=g.api_key.mode,
        scopes=scopes,
        label=label,
        rate_limit=limit,
    )
    db.session.add(key)
    db.session.commit()
    params = QueryParams()
    document = single_document(read_one(api_keys, str(key.id), params), params)
    document["data"]["attributes"]["secret"] = secret
    location = f"{api_root()}/api-keys/{key.id}"
    return document_response(document, 201, {"Location": location, "Cache-Control": "no-store"})


@blueprint.delete("/api-keys/<object_id>")
@require_scope("keys:manage")
def revoke_api_key(object_id):
    """Revoke a key: its very next request is refused. Revoking twice changes nothing."""
    check_parameter_names(request.args, allowed_families=())
    key = find(api_keys, object_id)
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        db.session.commit()
    current_app.extensions["callers"].forget_key(key.id)
    return empty_response()

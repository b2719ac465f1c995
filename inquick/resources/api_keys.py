"""api-keys: a health system's keys, listed, created (shown once) and revoked (keys:manage).

A publishable key (`publishable: true`) is for pages in patients' browsers: it holds only
the scopes of a booking page, is bound to its `allowed-origins`, and is shown whole
(`publishable-key`) whenever it is read, since it is meant to be seen in page source.
Both are set when the key is made; a key's origins change by making a new key.
"""

from datetime import UTC, datetime

import marshmallow
from flask import Blueprint, current_app, g, request
from marshmallow import ValidationError, pre_load, validate, validates, validates_schema
from marshmallow_jsonapi import Schema, fields
from sqlalchemy import func, select

from inquick.auth.keys import PUBLISHABLE_SCOPES, SCOPES, issue_key, require_scope
from inquick.auth.origins import MAX_ORIGINS, InvalidOrigin, normalised_origins
from inquick.extensions import db
from inquick.jsonapi.attributes import load_attributes
from inquick.jsonapi.conditional import never_stored
from inquick.jsonapi.document import api_root, single_document
from inquick.jsonapi.errors import Unprocessable
from inquick.jsonapi.fields import Computed
from inquick.jsonapi.media import document_response, empty_response
from inquick.jsonapi.query import QueryParams, check_parameter_names
from inquick.jsonapi.request_document import read_resource_object
from inquick.jsonapi.views import add_resource_routes, find, read_one
from inquick.models import ApiKey, HealthSystem
from inquick.ratelimit import key_limit
from inquick.resources.base import CatalogResource, dasherize, moment

blueprint = Blueprint("api-keys", __name__)
# Patient data and keys: no cache may keep an answer (and none carries an ETag).
blueprint.after_request(never_stored)


def scope_list(scopes):
    """The stored space-separated scopes, in the order SCOPES lists them."""
    return sorted(set(scopes.split()), key=SCOPES.index)


def origin_list(origins):
    """The stored space-separated origins, in the order given; null for a secret key."""
    return None if origins is None else origins.split()


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
    publishable = fields.Bool()
    allowed_origins = Computed(ApiKey.allowed_origins, convert=origin_list)
    publishable_key = Computed(ApiKey.public_value)

    class Meta:
        type_ = "api-keys"
        inflect = dasherize


api_keys = CatalogResource(
    ApiKeySchema, ApiKey, default_sort=("created-at",), comparable=("created-at",)
)
add_resource_routes(blueprint, api_keys, decorators=[require_scope("keys:manage")])


SCOPE_NAMES = "must be a non-empty list of scope names."
LABEL_LENGTH = ApiKey.label.type.length
LABEL = f"must be text of at most {LABEL_LENGTH} characters."
PUBLISHABLE = "must be true or false."
ORIGINS = f"must be a list of 1 to {MAX_ORIGINS} origins, each https://host[:port]."


def refused_with(message):
    """A field's error messages: every way a value can fail its type answered by `message`."""
    return dict.fromkeys(("required", "null", "invalid"), message)


class JsonBool(fields.Bool):
    """A JSON true or false, nothing that reads like one (`1`, `"yes"`): which kind of key
    is made must not rest on a guess."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class NewKeySchema(marshmallow.Schema):
    """What a key may set on a key it creates, `maker`: no scope it lacks, no limit above
    its own (`key_limit`); without a limit asked for, the new key has the maker's."""

    scopes = fields.List(
        fields.Str(error_messages=refused_with(SCOPE_NAMES)),
        required=True,
        validate=validate.Length(min=1, error=SCOPE_NAMES),
        error_messages=refused_with(SCOPE_NAMES),
    )
    label = fields.Str(
        load_default=None,
        allow_none=True,
        validate=[
            validate.Length(max=LABEL_LENGTH, error=LABEL),
            validate.ContainsNoneOf("\x00", error=LABEL),
        ],
        error_messages=refused_with(LABEL),
    )
    rate_limit = fields.Int(data_key="rate-limit", strict=True, allow_none=True)
    publishable = JsonBool(load_default=False, error_messages=refused_with(PUBLISHABLE))
    allowed_origins = fields.List(
        fields.Raw(),
        data_key="allowed-origins",
        load_default=None,
        allow_none=True,
        error_messages=refused_with(ORIGINS),
    )

    def __init__(self, maker):
        super().__init__()
        self.maker = maker
        # The bound is the maker's, and so is the message naming it. Each schema has its own
        # copy of a field but shares the field's dict and list: they are replaced, not changed.
        ceiling = key_limit(maker)
        beyond = f"must be a whole number from 1 to {ceiling}, this key's own limit."
        limit = self.fields["rate_limit"]
        limit.error_messages = {**limit.error_messages, **refused_with(beyond)}
        limit.validators = [validate.Range(1, ceiling, error=beyond)]

    @pre_load
    def makers_limit_unless_asked(self, attributes, **_kwargs):
        """No limit, or a null one, asked for: the maker's own (which may be none)."""
        if attributes.get("rate-limit") is None:
            return {**attributes, "rate-limit": self.maker.rate_limit}
        return attributes

    @validates("scopes")
    def held_by_maker(self, scopes, **_kwargs):
        """A key can hand out only what it holds itself."""
        if not set(scopes) <= self.maker.scope_set:
            raise ValidationError("can only be scopes this key holds.")

    @validates_schema
    def publishable_rules(self, data, **_kwargs):
        """A publishable key: a booking page's scopes and its origins, normalised; a secret
        key has no origins (it must never be used from a browser)."""
        origins = data.get("allowed_origins")
        if not data.get("publishable"):
            if origins is not None:
                raise ValidationError(
                    "can be set only for a publishable key (publishable: true).",
                    "allowed-origins",
                )
            return
        if not set(data.get("scopes", ())) <= set(PUBLISHABLE_SCOPES):
            raise ValidationError(
                f"can only be {', '.join(PUBLISHABLE_SCOPES)} for a publishable key.", "scopes"
            )
        if not origins:
            raise ValidationError(
                f"{ORIGINS.removesuffix('.')}: a publishable key needs at least one.",
                "allowed-origins",
            )
        try:
            data["allowed_origins"] = normalised_origins(origins)
        except InvalidOrigin as invalid:
            raise ValidationError(f"must hold origins only: {invalid}", "allowed-origins") from None


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
    asked = load_attributes(NewKeySchema(g.api_key), data.get("attributes", {}))
    # Locked, so that two keys created at once cannot both fit under the total.
    health_system = db.session.get(HealthSystem, g.tenant.id, with_for_update=True)
    check_total(health_system, asked["rate_limit"])
    asked["allowed_origins"] = asked["allowed_origins"] or ()
    key, secret = issue_key(health_system, mode=g.api_key.mode, **asked)
    db.session.add(key)
    db.session.commit()
    if key.publishable:
        current_app.extensions["callers"].origins_changed()  # its origins' preflights pass now
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

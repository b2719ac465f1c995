"""webhook-endpoints: where a health system's events are sent, listed, created (the secret
shown once), changed and deleted (webhooks:manage).

An endpoint belongs to the caller's health system and mode: a test key manages its
sandbox's endpoints, which are sent the sandbox's events only.
"""

from flask import Blueprint, current_app, g, request
from marshmallow import validate
from marshmallow_jsonapi import Schema, fields
from sqlalchemy import func, inspect, select

from inquick.auth.keys import require_scope
from inquick.extensions import db
from inquick.jsonapi.attributes import read_attributes
from inquick.jsonapi.conditional import never_stored
from inquick.jsonapi.document import single_document
from inquick.jsonapi.errors import Conflict, Unprocessable
from inquick.jsonapi.fields import Computed
from inquick.jsonapi.query import QueryParams, check_parameter_names
from inquick.jsonapi.request_document import read_resource_object
from inquick.jsonapi.views import add_resource_routes, read_one
from inquick.jsonapi.write_views import (
    add_write_routes,
    apply_changes,
    commit,
    document_answer,
    read_relationships,
)
from inquick.models import HealthSystem, WebhookEndpoint
from inquick.resources.base import CatalogResource, dasherize, moment
from inquick.webhooks.addresses import RefusedUrl, check_url
from inquick.webhooks.events import EVENT_TYPES
from inquick.webhooks.signing import new_secret

blueprint = Blueprint("webhook-endpoints", __name__)
# Secrets and delivery logs: no cache may keep an answer (and none carries an ETag).
blueprint.after_request(never_stored)

EVENT_NAMES = f"must be event types among {', '.join(EVENT_TYPES)}."


class WebhookEndpointSchema(Schema):
    """An endpoint as the API shows it; its secret only ever in the answer that made it."""

    id = fields.Str()
    url = fields.Str(required=True)
    description = fields.Str(allow_none=True)
    # Every event type unless the endpoint names some.
    events = fields.List(
        fields.Str(validate=validate.OneOf(EVENT_TYPES, error=EVENT_NAMES)),
        validate=validate.Length(min=1, error=EVENT_NAMES),
    )
    enabled = fields.Bool()
    disabled_reason = fields.Str(dump_only=True)
    failing_since = Computed(WebhookEndpoint.failing_since, convert=moment)
    created_at = Computed(WebhookEndpoint.created_at, convert=moment)
    deliveries = fields.Relationship(type_="webhook-deliveries", many=True)

    class Meta:
        type_ = "webhook-endpoints"
        inflect = dasherize


class WebhookEndpointResource(CatalogResource):
    """A URL checked when written (public addresses only), a secret made with it."""

    def new_object(self, object_id, values):
        """An endpoint of the caller's health system, with a new secret, taking every event."""
        return WebhookEndpoint(
            health_system_id=g.tenant.id, secret=new_secret(), events=list(EVENT_TYPES),
            enabled=True,
        )  # fmt: skip

    def settle(self, endpoint):
        """Check a new or changed URL, count each event once, and note a change of enabled."""
        state = inspect(endpoint)
        problems = []
        if not state.persistent or state.attrs.url.history.has_changes():
            try:
                allow_loopback = current_app.config["WEBHOOKS_ALLOW_LOOPBACK"]
                check_url(endpoint.url, allow_loopback=allow_loopback)
            except RefusedUrl as refused:
                problems.append(Unprocessable(f"url {refused}", pointer="/data/attributes/url"))
        if len(set(endpoint.events)) < len(endpoint.events):
            endpoint.events = list(dict.fromkeys(endpoint.events))
        if state.persistent and state.attrs.enabled.history.has_changes():
            # Enabled again: it starts afresh. Disabled by hand: it says so.
            endpoint.failing_since = None
            endpoint.disabled_reason = None if endpoint.enabled else "Disabled through the API."
        return problems


webhook_endpoints = WebhookEndpointResource(
    WebhookEndpointSchema, WebhookEndpoint, default_sort=("created-at",)
)
MANAGE = [require_scope("webhooks:manage")]
add_resource_routes(blueprint, webhook_endpoints, decorators=MANAGE)
add_write_routes(blueprint, webhook_endpoints, decorators=MANAGE, methods={"PATCH", "DELETE"})


@blueprint.post("/webhook-endpoints")
@require_scope("webhooks:manage")
def create_webhook_endpoint():
    """A new endpoint of the caller's health system and mode; its secret is in this answer
    only (it is kept to sign deliveries, and never shown again)."""
    check_parameter_names(request.args, allowed_families=())
    data = read_resource_object("webhook-endpoints")
    values = read_attributes(webhook_endpoints, data.get("attributes", {}), creating=True)
    linkage = read_relationships(webhook_endpoints, data, creating=True)
    endpoint = webhook_endpoints.new_object(None, values)
    apply_changes(webhook_endpoints, endpoint, values, linkage)
    check_room_for_endpoint()  # after the URL's lookup: the lock is held only till commit
    db.session.add(endpoint)
    commit("Another endpoint took this id at the same moment; retry.")
    params = QueryParams()
    document = single_document(read_one(webhook_endpoints, endpoint.id, params), params)
    document["data"]["attributes"]["secret"] = endpoint.secret
    return document_answer(document, 201)


def check_room_for_endpoint():
    """409 if the caller's health system has all the endpoints it may have already.

    Each change writes one delivery per endpoint in its own transaction (a booking's
    among them): the operator bounds how many that can be (INQUICK_MAX_WEBHOOK_ENDPOINTS).
    """
    # Locked, so that two endpoints created at once cannot both take the last place (FOR
    # NO KEY UPDATE: rows that only refer to the health system, a booking's, still go in).
    db.session.get(HealthSystem, g.tenant.id, with_for_update={"key_share": True})
    most = current_app.config["MAX_WEBHOOK_ENDPOINTS"]
    count = db.session.scalar(
        select(func.count(WebhookEndpoint.id)).where(
            WebhookEndpoint.health_system_id == g.tenant.id
        )
    )
    if count >= most:
        raise Conflict(
            f"This health system has {count} webhook endpoints, the most it may have "
            f"({most}). Delete one, or send more event types to one you have."
        )

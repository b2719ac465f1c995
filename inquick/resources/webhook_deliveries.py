"""webhook-deliveries: the delivery log (each event on its way to an endpoint: status,
attempts, last answer and timing, next attempt), and redelivery (webhooks:manage)."""

from datetime import UTC, datetime

from flask import Blueprint, request
from marshmallow_jsonapi import Schema, fields

from inquick.auth.keys import require_scope
from inquick.extensions import db
from inquick.jsonapi.conditional import never_stored
from inquick.jsonapi.document import single_document
from inquick.jsonapi.errors import Conflict
from inquick.jsonapi.fields import Computed
from inquick.jsonapi.query import QueryParams, check_parameter_names
from inquick.jsonapi.resource import Filter
from inquick.jsonapi.views import add_resource_routes, find, read_one
from inquick.jsonapi.write_views import commit, document_answer
from inquick.models import WebhookDelivery
from inquick.models.webhooks import DELIVERY_STATUSES
from inquick.resources.base import CatalogResource, dasherize, moment
from inquick.webhooks.events import EVENT_TYPES
from inquick.webhooks.outbox import EndpointDisabled, redeliver

blueprint = Blueprint("webhook-deliveries", __name__)
blueprint.after_request(never_stored)


class WebhookDeliverySchema(Schema):
    """A delivery as its log shows it: never the body sent, nor the receiver's answer."""

    id = fields.Str()
    event_id = fields.Str()  # the `webhook-id` header: the same on every attempt
    event_type = fields.Str()
    status = fields.Str()
    attempts = fields.Int()
    response_code = fields.Int(allow_none=True)
    duration_ms = fields.Int(allow_none=True)
    last_error = fields.Str(allow_none=True)
    created_at = Computed(WebhookDelivery.created_at, convert=moment)
    last_attempt_at = Computed(WebhookDelivery.last_attempt_at, convert=moment)
    next_attempt_at = Computed(WebhookDelivery.next_attempt_at, convert=moment)
    delivered_at = Computed(WebhookDelivery.delivered_at, convert=moment)
    endpoint = fields.Relationship(type_="webhook-endpoints")

    class Meta:
        type_ = "webhook-deliveries"
        inflect = dasherize


def one_of(vocabulary, column):
    """A filter taking comma-separated words of `vocabulary` (any other is a 400)."""

    def condition(value):
        wanted = [word.strip() for word in value.split(",") if word.strip()]
        if not wanted or not set(wanted) <= set(vocabulary):
            raise ValueError(f"The value is comma-separated words among {', '.join(vocabulary)}.")
        return column.in_(wanted)

    return Filter(condition)


webhook_deliveries = CatalogResource(
    WebhookDeliverySchema,
    WebhookDelivery,
    default_sort=("-created-at",),
    filters={
        "status": one_of(DELIVERY_STATUSES, WebhookDelivery.status),
        "event-type": one_of(EVENT_TYPES, WebhookDelivery.event_type),
    },
)
add_resource_routes(blueprint, webhook_deliveries, decorators=[require_scope("webhooks:manage")])


@blueprint.post("/webhook-deliveries/<object_id>/redelivery")
@require_scope("webhooks:manage")
def redeliver_webhook(object_id):
    """Send the delivery's event to its endpoint again: a new delivery, due now."""
    check_parameter_names(request.args, allowed_families=())
    delivery = find(webhook_deliveries, object_id)
    try:
        again = redeliver(db.session, delivery, datetime.now(UTC))
    except EndpointDisabled as disabled:
        raise Conflict(str(disabled)) from None
    commit("The delivery's endpoint changed meanwhile; retry.")
    params = QueryParams()
    document = single_document(read_one(webhook_deliveries, again.id, params), params)
    return document_answer(document, 201)

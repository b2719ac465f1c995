"""What an event is, and writing one to the outbox in the transaction of its change.

An event's body is the Standard Webhooks shape, `{"type", "timestamp", "data"}`, written
once as the exact bytes every delivery of it sends and signs. `data` holds ids, times and
statuses, never patient data: a receiver reads the rest with its own `visits:read` key.
"""

from datetime import UTC

import orjson
from sqlalchemy import select

from inquick.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

VISIT_BOOKED = "visit.booked"
VISIT_RESCHEDULED = "visit.rescheduled"
VISIT_CANCELLED = "visit.cancelled"
VISIT_STATUS_CHANGED = "visit.status-changed"
AVAILABILITY_CHANGED = "schedule.availability-changed"
EVENT_TYPES = (
    VISIT_BOOKED,
    VISIT_RESCHEDULED,
    VISIT_CANCELLED,
    VISIT_STATUS_CHANGED,
    AVAILABILITY_CHANGED,
)


def instant(moment):
    """An aware datetime as RFC 3339 in UTC (`…Z`)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_body(event_type, data, now):
    """The JSON body of an event, as bytes decoded to text (what the outbox stores)."""
    return orjson.dumps({"type": event_type, "timestamp": instant(now), "data": data}).decode()


def subscribers(session, health_system_id, event_type):
    """The ids of the health system's enabled endpoints that take `event_type`."""
    rows = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events).where(
            WebhookEndpoint.health_system_id == health_system_id, WebhookEndpoint.enabled
        )
    )
    return [endpoint_id for endpoint_id, events in rows if event_type in events]


def emit(session, *, health_system_id, event_type, data, now):
    """Add the event to the outbox, with one delivery due now per subscribed endpoint, to
    the session's transaction: committed with the change that caused it, or never.

    Returns the event, or None when no endpoint takes it (nothing is written then).

    The event is fanned out to its deliveries here, in the change's transaction, rather
    than by the worker: the endpoints that receive an event are exactly those subscribed
    when the change happened (one added a moment later is not sent the past, one disabled a
    moment later still gets what it was subscribed to when it happened), the workers claim
    one kind of row, and a change costs one small read of its health system's endpoints
    (and no write at all where none is subscribed).
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    endpoint_ids = subscribers(session, health_system_id, event_type)
    if not endpoint_ids:
        return None
    event = WebhookEvent(
        health_system_id=health_system_id,
        type=event_type,
        payload=event_body(event_type, data, now),
        occurred_at=now,
    )
    session.add(event)
    session.add_all(
        WebhookDelivery(
            health_system_id=health_system_id,
            endpoint_id=endpoint_id,
            event=event,
            event_type=event_type,
            created_at=now,
            next_attempt_at=now,
        )
        for endpoint_id in endpoint_ids
    )
    return event

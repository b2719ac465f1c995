"""The deliveries' side of the database: claiming the due ones, recording each attempt,
releasing what a stopping worker will not send, and redelivering on request.

Any number of workers share the outbox. A worker claims due deliveries in a short
transaction of its own: one UPDATE that leases the rows a `SELECT … FOR UPDATE SKIP
LOCKED` picks (PostgreSQL), so two workers never claim one delivery, and neither waits
for the other's rows; on SQLite the UPDATE takes the database's write lock, and one
worker is all it needs. The lease (`leased_until`) is the only claim: a worker killed
mid-delivery holds nothing but a lease that runs out, and the delivery is due again.
A worker records an attempt only while the lease is still its own (`leased_by`).
"""

import secrets
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, update

from inquick.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from inquick.webhooks.events import instant
from inquick.webhooks.retries import DISABLE_AFTER, next_attempt

DELIVERIES = WebhookDelivery.__table__
ENDPOINTS = WebhookEndpoint.__table__
EVENTS = WebhookEvent.__table__
# What sending a claimed delivery takes, in the order of `Claim`'s fields after the lease.
CLAIMED = (
    DELIVERIES.c.id, DELIVERIES.c.attempts, ENDPOINTS.c.id, ENDPOINTS.c.url, ENDPOINTS.c.secret,
    EVENTS.c.id, EVENTS.c.type, EVENTS.c.payload,
)  # fmt: skip


@dataclass(frozen=True)
class Claim:
    """A delivery leased to this worker, with what sending it takes."""

    delivery_id: str
    lease: str
    attempt: int  # the number of the attempt about to be made, from 1
    endpoint_id: str
    url: str
    secret: str
    event_id: str
    event_type: str
    body: str


@dataclass(frozen=True)
class Outcome:
    """What an attempt did to its delivery: `delivered`, `retrying` (at `next_attempt_at`),
    `failed` (given up), or `lease lost` (another worker had taken it meanwhile); and the
    reason its endpoint was disabled for, if this attempt disabled it."""

    status: str
    next_attempt_at: object = None
    disabled: str | None = None


class EndpointDisabled(Exception):
    """A redelivery to an endpoint that is disabled."""


def due(now):
    """The condition of a delivery that may be attempted at `now`."""
    return and_(
        DELIVERIES.c.status == "pending",
        DELIVERIES.c.next_attempt_at <= now,
        or_(DELIVERIES.c.leased_until.is_(None), DELIVERIES.c.leased_until <= now),
        DELIVERIES.c.endpoint_id.in_(select(ENDPOINTS.c.id).where(ENDPOINTS.c.enabled)),
    )


def claim_due(session, *, now, lease, limit):
    """Lease up to `limit` due deliveries, soonest due first, until `now + lease`; the
    caller commits at once, before sending anything."""
    token = secrets.token_hex(8)
    picked = (
        select(DELIVERIES.c.id)
        .where(due(now))
        .order_by(DELIVERIES.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    leased = session.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id.in_(picked))
        .values(leased_until=now + lease, leased_by=token)
        .returning(DELIVERIES.c.id)
    )
    ids = leased.scalars().all()
    if not ids:
        return []
    rows = session.execute(
        select(*CLAIMED)
        .join(ENDPOINTS, ENDPOINTS.c.id == DELIVERIES.c.endpoint_id)
        .join(EVENTS, EVENTS.c.id == DELIVERIES.c.event_id)
        .where(DELIVERIES.c.id.in_(ids))
        .order_by(DELIVERIES.c.next_attempt_at, DELIVERIES.c.id)
    )
    return [
        Claim(delivery_id, token, attempts + 1, endpoint_id, url, secret, event_id, kind, body)
        for delivery_id, attempts, endpoint_id, url, secret, event_id, kind, body in rows
    ]


def record_outcome(session, claim, attempt, *, now, rng):
    """Write how `attempt` (a `delivery.Attempt`) went, if the lease is still this
    worker's; the caller commits. Returns the `Outcome`."""
    mine = and_(DELIVERIES.c.id == claim.delivery_id, DELIVERIES.c.leased_by == claim.lease)
    values = {
        "attempts": claim.attempt, "last_attempt_at": now, "response_code": attempt.status,
        "duration_ms": attempt.duration_ms, "last_error": attempt.error,
        "leased_until": None, "leased_by": None,
    }  # fmt: skip
    if attempt.succeeded:
        retry_at, status = None, "delivered"
        values.update(status="succeeded", delivered_at=now, next_attempt_at=None)
    else:
        retry_at = next_attempt(claim.attempt, now, rng)
        status = "retrying" if retry_at else "failed"
        values.update(status="pending" if retry_at else "failed", next_attempt_at=retry_at)
    if session.execute(update(DELIVERIES).where(mine).values(**values)).rowcount == 0:
        return Outcome("lease lost")
    endpoint = ENDPOINTS.c.id == claim.endpoint_id
    if attempt.succeeded:
        session.execute(
            update(ENDPOINTS)
            .where(endpoint, ENDPOINTS.c.failing_since.is_not(None))
            .values(failing_since=None)
        )
        return Outcome(status)
    return Outcome(status, retry_at, disable_if_failing(session, endpoint, now))


def disable_if_failing(session, endpoint, now):
    """Note the endpoint failing since `now` unless it was already, and disable it once it
    has failed for DISABLE_AFTER; the reason it was disabled for, or None."""
    session.execute(
        update(ENDPOINTS)
        .where(endpoint, ENDPOINTS.c.failing_since.is_(None))
        .values(failing_since=now)
    )
    days = DISABLE_AFTER.days
    reason = (
        f"Disabled at {instant(now)}: every delivery attempt failed for {days} days. "
        "Fix the receiver, then set enabled to true."
    )
    disabled = session.execute(
        update(ENDPOINTS)
        .where(endpoint, ENDPOINTS.c.enabled, ENDPOINTS.c.failing_since <= now - DISABLE_AFTER)
        .values(enabled=False, disabled_reason=reason)
    )
    return reason if disabled.rowcount else None


def release(session, claims):
    """Give back leases this worker will not use (it is stopping): due again at once."""
    for claim in claims:
        session.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id == claim.delivery_id, DELIVERIES.c.leased_by == claim.lease)
            .values(leased_until=None, leased_by=None)
        )


def redeliver(session, delivery, now):
    """A new delivery of `delivery`'s event to its endpoint, due now (the event keeps its
    id, so a receiver that has it already can tell); the caller commits."""
    if not delivery.endpoint.enabled:
        raise EndpointDisabled(
            "The delivery's endpoint is disabled; set its enabled to true to redeliver."
        )
    again = WebhookDelivery(
        health_system_id=delivery.health_system_id,
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(again)
    return again

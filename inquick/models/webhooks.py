"""Webhooks: the partner's endpoints, the outbox of events, and each event's deliveries.

An event is written in the transaction of the change it reports, with one delivery per
endpoint subscribed to it (`inquick.webhooks.events`); `inquick worker` then delivers
them (`inquick.webhooks.worker`). No row holds patient data.
"""

import secrets
import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inquick.extensions import db
from inquick.models.base import StringList, Timestamped, utcnow

# A delivery waits (pending) until it is answered with a 2xx (succeeded) or given up on.
DELIVERY_STATUSES = ("pending", "succeeded", "failed")


def new_uuid():
    """A random id for an endpoint or a delivery, as text (the same on every database)."""
    return str(uuid.uuid4())


def new_message_id():
    """The `webhook-id` of an event: the same on every attempt, so receivers can dedupe."""
    return f"msg_{secrets.token_hex(16)}"


class WebhookEndpoint(Timestamped, db.Model):
    """A URL of a partner's that is sent the events it subscribes to, signed with `secret`.

    The secret is kept as it is, not as a digest: each delivery is signed with it.
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    health_system_id: Mapped[int] = mapped_column(
        ForeignKey("health_systems.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column(StringList, default=list)
    secret: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    # The first failed attempt since the last success; an endpoint failing for days is
    # disabled (`inquick.webhooks.retries.DISABLE_AFTER`).
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # Deleted by the database with the endpoint (ON DELETE CASCADE).
    deliveries = relationship("WebhookDelivery", viewonly=True)


class WebhookEvent(db.Model):
    """One event of the outbox: its type and the exact JSON body every delivery sends."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=new_message_id)
    health_system_id: Mapped[int] = mapped_column(
        ForeignKey("health_systems.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebhookDelivery(db.Model):
    """An event on its way to one endpoint: its attempts so far and when it is tried next.

    A worker claims a due delivery by leasing it (`leased_until`, `leased_by`); a worker
    that dies mid-delivery leaves a lease that runs out, and another worker tries again.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # What the workers claim: pending deliveries, soonest due first.
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        # An endpoint's delivery log, newest first.
        Index("ix_webhook_deliveries_endpoint_id_created_at", "endpoint_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    health_system_id: Mapped[int] = mapped_column(
        ForeignKey("health_systems.id", ondelete="CASCADE"), index=True
    )
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True
    )
    # The event's type, kept beside it so that the log filters on it without a join.
    event_type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    leased_by: Mapped[str | None] = mapped_column(String(32))
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    response_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    # Why the last attempt failed, in a few words; never the receiver's answer itself.
    last_error: Mapped[str | None] = mapped_column(String(200))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    endpoint: Mapped[WebhookEndpoint] = relationship()
    event: Mapped[WebhookEvent] = relationship()

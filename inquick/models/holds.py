"""Seats held by visit tokens while a patient fills the form, and tokens spent on a change.

A hold is one seat of one slot for a while: it counts against the slot's capacity like a
booked visit until it expires, is released, or its token books. It is named by its
token's `jti`, so the token that holds it finds it again.
"""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from inquick.extensions import db
from inquick.models.base import utcnow


class SlotHold(db.Model):
    """One seat of a slot, held for a visit token until `expires_at`."""

    __tablename__ = "slot_holds"
    __table_args__ = (
        Index("ix_slot_holds_schedule_id_starts_at", "schedule_id", "starts_at"),
        # The holds a key, or a client address, has at once (the bound on holding).
        Index("ix_slot_holds_api_key_id_expires_at", "api_key_id", "expires_at"),
        Index("ix_slot_holds_client_digest_expires_at", "client_digest", "expires_at"),
    )

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    health_system_id: Mapped[int] = mapped_column(
        ForeignKey("health_systems.id", ondelete="CASCADE"), index=True
    )
    schedule_id: Mapped[str] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    # A digest of the client's address: enough to count its holds, nothing to trace it by.
    client_digest: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SpentVisitToken(db.Model):
    """A visit token used to move a booking: it cannot be used again, to book or to move.

    (A token that books is recorded on its visit, `Visit.token_id`.)
    """

    __tablename__ = "spent_visit_tokens"

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    health_system_id: Mapped[int] = mapped_column(
        ForeignKey("health_systems.id", ondelete="CASCADE"), index=True
    )
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    spent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

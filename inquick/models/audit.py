"""The audit log of patient data: who read or changed which visit, when, and which fields.

Rows are only ever added: no endpoint or command updates or deletes them.
"""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from inquick.extensions import db
from inquick.models.base import StringList, utcnow

ACTIONS = ("create", "read", "reschedule", "cancel", "update-status")


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_health_system_id_at", "health_system_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    health_system_id: Mapped[int] = mapped_column(ForeignKey("health_systems.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Who: an API key, or for a booking the visit token that made it.
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    token_id: Mapped[str | None] = mapped_column(String(64))
    visit_id: Mapped[str] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(16))
    fields: Mapped[list[str]] = mapped_column(StringList, default=list)

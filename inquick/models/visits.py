"""Booked visits, the per-system confirmation counter, and each schedule's visit settings."""

import secrets
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inquick.booking.references import new_reference
from inquick.extensions import db
from inquick.models.base import StringList, Timestamped, as_utc
from inquick.models.catalog import AppointmentType
from inquick.models.schedules import Schedule

STATUSES = ("scheduled", "cancelled", "completed", "no-show")


def new_visit_id():
    """Opaque and unguessable: 128 random bits as 32 hex characters."""
    return secrets.token_hex(16)


class Visit(Timestamped, db.Model):
    """A booked visit. `patient` holds the patient's attributes exactly as submitted."""

    __tablename__ = "visits"
    __table_args__ = (
        UniqueConstraint("health_system_id", "confirmation_number"),
        Index("ix_visits_schedule_id_starts_at", "schedule_id", "starts_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_visit_id)
    health_system_id: Mapped[int] = mapped_column(
        ForeignKey("health_systems.id", ondelete="CASCADE"), index=True
    )
    schedule_id: Mapped[str] = mapped_column(ForeignKey("schedules.id"))
    appointment_type_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_types.id"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    confirmation_number: Mapped[int] = mapped_column(Integer)
    # What the patient is given to find the booking again (`inquick.booking.references`).
    booking_reference: Mapped[str] = mapped_column(String(12), unique=True, default=new_reference)
    # The version of the booking's calendar entry: one more at each reschedule or
    # cancellation, so that calendars replace the entry they hold.
    calendar_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The visit token that booked it (its jti) and a digest of the request body, so that a
    # retry of the same request returns this visit and another body is refused.
    token_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    request_digest: Mapped[str | None] = mapped_column(String(64))
    remote_uid: Mapped[str | None] = mapped_column(String(200))
    patient: Mapped[dict] = mapped_column(JSON, default=dict)
    # Why it was last rescheduled or cancelled, as the caller said.
    change_reason: Mapped[str | None] = mapped_column(String(500))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    schedule: Mapped[Schedule] = relationship()
    appointment_type: Mapped[AppointmentType | None] = relationship()

    @property
    def appointment_at(self):
        """The start in the schedule's zone, so that its ISO form shows the local offset."""
        return as_utc(self.starts_at).astimezone(ZoneInfo(self.schedule.time_zone_name))

    # The schedule's location and provider, through the schedule (read-only).
    location = relationship(
        "Location",
        secondary="schedules",
        primaryjoin="Visit.schedule_id == Schedule.id",
        secondaryjoin="Schedule.location_id == Location.id",
        viewonly=True,
        uselist=False,
    )
    provider = relationship(
        "Provider",
        secondary="schedules",
        primaryjoin="Visit.schedule_id == Schedule.id",
        secondaryjoin="Schedule.provider_id == Provider.id",
        viewonly=True,
        uselist=False,
    )


class ConfirmationCounter(db.Model):
    """The last confirmation number handed out in a health system."""

    __tablename__ = "confirmation_counters"

    health_system_id: Mapped[int] = mapped_column(
        ForeignKey("health_systems.id", ondelete="CASCADE"), primary_key=True
    )
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class VisitSettings(db.Model):
    """What a schedule's booking form shows and asks, beside its validations."""

    __tablename__ = "visit_settings"

    schedule_id: Mapped[str] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), primary_key=True
    )
    enabled_fields: Mapped[list[str] | None] = mapped_column(StringList)
    patient_instructions: Mapped[str | None] = mapped_column(Text)
    preregistration_form: Mapped[str | None] = mapped_column(String(500))
    screening_questions: Mapped[str | None] = mapped_column(String(500))
    emergency_keywords: Mapped[list[str]] = mapped_column(StringList, default=list)


class VisitValidation(db.Model):
    """A schedule's own validation of visit attributes (see `inquick.booking.visit_rules`)."""

    __tablename__ = "visit_validations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    schedule_id: Mapped[str] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(20))
    attributes: Mapped[list[str]] = mapped_column(StringList)
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    message: Mapped[str | None] = mapped_column(String(300))


Schedule.visit_settings = relationship(VisitSettings, uselist=False, cascade="all, delete-orphan")
Schedule.visit_validations = relationship(
    VisitValidation, cascade="all, delete-orphan", order_by=VisitValidation.position
)

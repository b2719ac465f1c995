"""Schedules and their availability rules, stored as data."""

import uuid
from datetime import date, time

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Time, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inquick.extensions import db
from inquick.models.base import StringList, Timestamped
from inquick.models.catalog import (
    AppointmentType,
    InsurancePlan,
    Location,
    Provider,
    Service,
    association,
)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

schedule_insurance_plans = association("schedule_insurance_plans", "schedule", "insurance_plan")
schedule_appointment_types = association(
    "schedule_appointment_types", "schedule", "appointment_type"
)


class Schedule(Timestamped, db.Model):
    """A bookable calendar: a provider at a location offering a service."""

    __tablename__ = "schedules"
    __table_args__ = (
        # The providers with an active schedule at a location, read from the index alone
        # (a provider search near a point walks locations nearest first).
        Index(
            "ix_schedules_active_location_id_provider_id",
            "location_id",
            "provider_id",
            postgresql_where=text("active"),
            sqlite_where=text("active"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    health_system_id: Mapped[int] = mapped_column(
        ForeignKey("health_systems.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    schedule_type: Mapped[str] = mapped_column(String(40), default="Provider")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    time_zone_name: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    accepting_new_patients: Mapped[bool] = mapped_column(Boolean, default=True)
    age_limit_threshold: Mapped[int | None] = mapped_column(Integer)
    age_limit_direction: Mapped[str | None] = mapped_column(String(8))
    translator_languages: Mapped[list[str]] = mapped_column(StringList, default=list)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"), index=True)
    # Availability rules (contract section 5).
    slot_interval_minutes: Mapped[int] = mapped_column(Integer, default=15)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    minimum_notice_minutes: Mapped[int] = mapped_column(Integer, default=60)
    booking_horizon_days: Mapped[int] = mapped_column(Integer, default=60)
    # How long a visit token holds its seat (`inquick.booking.holds`); 0 holds nothing.
    hold_minutes: Mapped[int] = mapped_column(Integer, default=10, server_default="10")

    health_system = relationship("HealthSystem")
    location: Mapped[Location] = relationship()
    provider: Mapped[Provider] = relationship()
    service: Mapped[Service | None] = relationship()
    insurance_plans: Mapped[list[InsurancePlan]] = relationship(
        secondary=schedule_insurance_plans, order_by=InsurancePlan.slug
    )
    appointment_types: Mapped[list[AppointmentType]] = relationship(
        secondary=schedule_appointment_types,
        order_by=(AppointmentType.priority, AppointmentType.slug),
    )
    weekly_windows: Mapped[list["WeeklyWindow"]] = relationship(
        cascade="all, delete-orphan",
        order_by="(WeeklyWindow.weekday, WeeklyWindow.opens_at)",
    )
    exceptions: Mapped[list["ScheduleException"]] = relationship(
        cascade="all, delete-orphan", order_by="ScheduleException.on_date"
    )

    @property
    def slug(self):
        """Schedules are addressed by their UUID."""
        return self.id


class WeeklyWindow(db.Model):
    """An opening window on one weekday, in the schedule's local time."""

    __tablename__ = "weekly_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[str] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday, as date.weekday()
    opens_at: Mapped[time] = mapped_column(Time)
    closes_at: Mapped[time] = mapped_column(Time)


class ScheduleException(db.Model):
    """A dated change: the day closed, or extra hours on it."""

    __tablename__ = "schedule_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[str] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    on_date: Mapped[date] = mapped_column(Date)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    opens_at: Mapped[time | None] = mapped_column(Time)
    closes_at: Mapped[time | None] = mapped_column(Time)

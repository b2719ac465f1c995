"""Reading a schedule's stored rules and booked visits into the availability engine's terms."""

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from inquick.booking.availability import DatedException, Rules, Window
from inquick.models import Visit
from inquick.models.base import as_utc

# Statuses that hold a slot.
HOLDING = ("scheduled", "completed", "no-show")


# What `rules_of` reads: reloaded under the booking lock, so a booking counts against the
# rules a concurrent change of the schedule committed before it.
RULE_ATTRIBUTES = (
    "time_zone_name", "weekly_windows", "exceptions", "slot_interval_minutes", "capacity",
    "minimum_notice_minutes", "booking_horizon_days",
)  # fmt: skip


def rules_of(schedule):
    """The engine's `Rules` for a schedule (windows and exceptions must be loaded)."""
    return Rules(
        time_zone=schedule.time_zone_name,
        windows=tuple(Window(w.weekday, w.opens_at, w.closes_at) for w in schedule.weekly_windows),
        exceptions=tuple(
            DatedException(e.on_date, e.closed, e.opens_at, e.closes_at)
            for e in schedule.exceptions
        ),
        slot_interval_minutes=schedule.slot_interval_minutes,
        capacity=schedule.capacity,
        minimum_notice_minutes=schedule.minimum_notice_minutes,
        booking_horizon_days=schedule.booking_horizon_days,
    )


def booked_intervals(session, schedule_ids, start, end, ignoring=None):
    """{schedule id: [(start, end), ...]} of the visits holding time in [start, end), one query."""
    statement = select(Visit.schedule_id, Visit.starts_at, Visit.ends_at).where(
        Visit.schedule_id.in_(list(schedule_ids)),
        Visit.status.in_(HOLDING),
        Visit.starts_at < end.astimezone(UTC),
        Visit.ends_at > start.astimezone(UTC),
    )
    if ignoring is not None:
        statement = statement.where(Visit.id != ignoring)
    rows = session.execute(statement)
    booked = defaultdict(list)
    for schedule_id, starts_at, ends_at in rows:
        booked[schedule_id].append((as_utc(starts_at), as_utc(ends_at)))
    return booked


def local_day_bounds(start_date, end_date):
    """A UTC range surely covering the local dates [start_date, end_date] in any zone."""
    start = datetime.combine(start_date, time.min, tzinfo=UTC) - timedelta(days=1)
    end = datetime.combine(end_date, time.min, tzinfo=UTC) + timedelta(days=2)
    return start, end

"""Reading a schedule's stored rules and booked visits into the availability engine's terms."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import bindparam, false, select, true, union_all
from sqlalchemy.orm import selectinload

from inquick.booking.availability import DatedException, Rules, Window
from inquick.models import AppointmentType, ScheduleException, SlotHold, Visit, WeeklyWindow
from inquick.models.base import as_utc
from inquick.models.schedules import Schedule, schedule_appointment_types
from inquick.sql import ClockText, DateText, InValues, json_list

# Statuses that hold a slot.
HOLDING = ("scheduled", "completed", "no-show")


# What `rules_of` reads: reloaded under the booking lock, so a booking counts against the
# rules a concurrent change of the schedule committed before it.
RULE_ATTRIBUTES = (
    "time_zone_name", "weekly_windows", "exceptions", "slot_interval_minutes", "capacity",
    "minimum_notice_minutes", "booking_horizon_days", "hold_minutes",
)  # fmt: skip


def bookable_schedules(tenant_id):
    """The health system's active schedules, with everything booking reads of them loaded."""
    return (
        select(Schedule)
        .where(Schedule.health_system_id == tenant_id, Schedule.active)
        .options(
            selectinload(Schedule.weekly_windows),
            selectinload(Schedule.exceptions),
            selectinload(Schedule.appointment_types),
            selectinload(Schedule.visit_settings),
            selectinload(Schedule.visit_validations),
        )
    )


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


@dataclass(frozen=True)
class OfferedType:
    """What availability needs of an appointment type a schedule offers."""

    slug: str
    duration_minutes: int


@dataclass(frozen=True)
class PublishedRules:
    """An active schedule's rules and offered types (highest priority first), read as
    rows: the shape of a `Schedule` that `offered_type` and `duration_of` read."""

    id: str
    time_zone_name: str
    slot_interval_minutes: int
    appointment_types: tuple
    rules: Rules


def _windows():
    rows = (
        select(
            WeeklyWindow.weekday,
            ClockText(WeeklyWindow.opens_at),
            ClockText(WeeklyWindow.closes_at),
        )
        .where(WeeklyWindow.schedule_id == Schedule.id)
        .order_by(WeeklyWindow.weekday, WeeklyWindow.opens_at)
    )
    return json_list(rows, ("weekday", "opens", "closes"), correlate=[Schedule])


def _exceptions():
    rows = (
        select(
            DateText(ScheduleException.on_date),
            ScheduleException.closed,
            ClockText(ScheduleException.opens_at),
            ClockText(ScheduleException.closes_at),
        )
        .where(ScheduleException.schedule_id == Schedule.id)
        .order_by(ScheduleException.on_date)
    )
    return json_list(rows, ("on", "closed", "opens", "closes"), correlate=[Schedule])


def _offered_types():
    offered = schedule_appointment_types
    rows = (
        select(AppointmentType.slug, AppointmentType.duration_minutes)
        .join(offered, offered.c.appointment_type_id == AppointmentType.id)
        .where(offered.c.schedule_id == Schedule.id)
        .order_by(AppointmentType.priority, AppointmentType.slug)  # as `Schedule` orders them
    )
    return json_list(rows, ("slug", "minutes"), correlate=[Schedule])


# A health system's active schedules among some ids, with everything availability reads.
PUBLISHED_RULES = select(
    Schedule.id, Schedule.time_zone_name, Schedule.slot_interval_minutes, Schedule.capacity,
    Schedule.minimum_notice_minutes, Schedule.booking_horizon_days, _windows(), _exceptions(),
    _offered_types(),
).where(
    InValues(Schedule.id, key="ids"),
    Schedule.health_system_id == bindparam("tenant"),
    Schedule.active,
)  # fmt: skip


def clock(text):
    return time.fromisoformat(text) if text is not None else None


def stored_window(window):
    return Window(window["weekday"], clock(window["opens"]), clock(window["closes"]))


def stored_exception(exception):
    on = date.fromisoformat(exception["on"])
    opens, closes = clock(exception["opens"]), clock(exception["closes"])
    return DatedException(on, bool(exception["closed"]), opens, closes)


def published_rules(session, tenant_id, schedule_ids):
    """{id: PublishedRules} of the health system's active schedules among the ids."""
    rows = session.execute(PUBLISHED_RULES, {"ids": list(schedule_ids), "tenant": tenant_id})
    return {row[0]: rules_of_row(row) for row in rows}


def rules_of_row(row):
    """The `PublishedRules` of a row of `PUBLISHED_RULES` (or of a statement adding columns
    after its own)."""
    schedule_id, zone, interval, capacity, notice, horizon = row[:6]
    windows, exceptions, offered = row[6:9]
    rules = Rules(
        time_zone=zone,
        windows=tuple(map(stored_window, windows)),
        exceptions=tuple(map(stored_exception, exceptions)),
        slot_interval_minutes=interval,
        capacity=capacity,
        minimum_notice_minutes=notice,
        booking_horizon_days=horizon,
    )
    types = tuple(OfferedType(t["slug"], t["minutes"]) for t in offered)
    return PublishedRules(schedule_id, zone, interval, types, rules)


# The seats taken in a range: visits that hold their slot, and live holds of visit tokens
# (`inquick.booking.holds`) but the one of the token being used, flagged as held.
TAKEN = union_all(
    select(Visit.schedule_id, Visit.starts_at, Visit.ends_at, false().label("held")).where(
        InValues(Visit.schedule_id, key="ids"),
        Visit.status.in_(HOLDING),
        Visit.starts_at < bindparam("until"),
        Visit.ends_at > bindparam("since"),
        Visit.id != bindparam("ignored_visit"),
    ),
    select(SlotHold.schedule_id, SlotHold.starts_at, SlotHold.ends_at, true()).where(
        InValues(SlotHold.schedule_id, key="ids"),
        SlotHold.starts_at < bindparam("until"),
        SlotHold.ends_at > bindparam("since"),
        SlotHold.expires_at > bindparam("now"),
        SlotHold.token_id != bindparam("holder"),
    ),
)


@dataclass
class Taken:
    """The seats taken on each schedule: {schedule id: [(start, end), ...]} of visits, and
    of holds."""

    booked: dict = field(default_factory=lambda: defaultdict(list))
    held: dict = field(default_factory=lambda: defaultdict(list))

    def of(self, schedule_id):
        """Every seat taken on the schedule, visits and holds alike."""
        return self.booked[schedule_id] + self.held[schedule_id]


def taken_seats(session, schedule_ids, start, end, now, ignoring=None, holder=None):
    """The `Taken` seats in [start, end) at `now`, in one query; `ignoring` names a visit not
    to count (the one being moved) and `holder` a token whose hold is not counted (the one
    booking)."""
    values = {
        "ids": list(schedule_ids),
        "since": start.astimezone(UTC),
        "until": end.astimezone(UTC),
        "now": now.astimezone(UTC),
        "ignored_visit": ignoring or "",
        "holder": holder or "",
    }
    taken = Taken()
    for schedule_id, starts_at, ends_at, held in session.execute(TAKEN, values):
        seats = taken.held if held else taken.booked
        seats[schedule_id].append((as_utc(starts_at), as_utc(ends_at)))
    return taken


def local_day_bounds(start_date, end_date):
    """A UTC range surely covering the local dates [start_date, end_date] in any zone."""
    start = datetime.combine(start_date, time.min, tzinfo=UTC) - timedelta(days=1)
    end = datetime.combine(end_date, time.min, tzinfo=UTC) + timedelta(days=2)
    return start, end

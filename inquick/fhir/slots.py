"""Slots as FHIR Slot resources, computed as `available-appointment-times` computes them.

A FHIR Slot is one start time of a schedule for its default appointment type (the one
`available-appointment-times` uses when none is named), lasting that type's duration: the
same engine (`inquick.booking.availability.slots`) over the same rules and the same taken
seats (visits and live holds) decides it. It is `free` while a seat is left,
`busy-tentative` when only visit tokens' holds fill it, `busy` when visits do. A slot of a
schedule taking several patients at once carries SMART Scheduling Links' `slot-capacity`
extension while free: the seats it has left. A slot's id is its schedule's id and its
start in UTC, so reading it by id computes it again.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from inquick.booking.availability import slots
from inquick.booking.reservations import duration_of, offered_type
from inquick.booking.schedule_rules import (
    PUBLISHED_RULES,
    PublishedRules,
    local_day_bounds,
    rules_of_row,
    taken_seats,
)
from inquick.fhir.codes import SLOT_CAPACITY, concept, pruned
from inquick.fhir.schedules import local_instant
from inquick.models import Schedule, Service

# The longest range of days one search computes: available-appointment-times' limit.
from inquick.resources.availability import MAX_DAYS

STAMP = "%Y%m%dT%H%M%SZ"
SLOT_ID = re.compile(r"(?P<schedule>[0-9a-f-]{36})\.(?P<start>[0-9]{8}T[0-9]{6}Z)")
STATUSES = ("free", "busy", "busy-tentative", "busy-unavailable", "entered-in-error")
BUSY = frozenset(("busy", "busy-tentative"))


class RangeTooLong(ValueError):
    """A search asks for slots over more days than one search computes."""


def slot_id(schedule_id, start):
    return f"{schedule_id}.{start.astimezone(UTC).strftime(STAMP)}"


def parse_slot_id(text):
    """(schedule id, start in UTC) of a slot id, or None when it cannot be one."""
    match = SLOT_ID.fullmatch(text)
    if match is None:
        return None
    try:
        start = datetime.strptime(match["start"], STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None
    if start.year == datetime.max.year:  # no horizon reaches it, and its end overflows
        return None
    return match["schedule"], start


@dataclass(frozen=True)
class FoundSlot:
    """A slot of a schedule: its local start and end, status and seats."""

    schedule_id: str
    start: datetime
    end: datetime
    status: str
    remaining: int
    capacity: int
    appointment_type: str | None

    @property
    def id(self):
        return slot_id(self.schedule_id, self.start)


def slot_status(slot, without_holds):
    if slot.remaining > 0:
        return "free"
    return "busy-tentative" if without_holds.remaining > 0 else "busy"


def schedule_slots(
    schedule, taken, first_day, last_day, now, kept=STATUSES, tentative=True, span=(None, None)
):
    """The slots of a schedule (`PublishedRules`) between two local dates whose status is
    `kept` and whose start is in the UTC `span` [lo, hi). Only `tentative` tells seats
    filled by holds (`busy-tentative`) from booked ones (`busy`): that takes a second pass
    of the engine, run only when the schedule has holds and a busy status is kept."""
    kind = offered_type(schedule, None)
    minutes = duration_of(kind, schedule)
    found = slots(schedule.rules, minutes, taken.of(schedule.id), first_day, last_day, now)
    statuses = ["free" if slot.remaining > 0 else "busy" for slot in found]
    if tentative and taken.held.get(schedule.id) and BUSY.intersection(kept):
        booked = taken.booked[schedule.id]
        unheld = slots(schedule.rules, minutes, booked, first_day, last_day, now)
        statuses = [slot_status(s, u) for s, u in zip(found, unheld, strict=True)]
    lo, hi = span
    length = timedelta(minutes=minutes)
    capacity, slug = schedule.rules.capacity, kind.slug if kind else None
    return [
        FoundSlot(
            schedule.id, slot.start, slot.start + length, status, slot.remaining, capacity, slug
        )
        for slot, status in zip(found, statuses, strict=True)
        if status in kept and (lo is None or slot.start >= lo) and (hi is None or slot.start < hi)
    ]


class Empty(Exception):
    """No instant meets every criterion of a window."""


@dataclass(frozen=True)
class Window:
    """The starts a search asks for: every `DateCriterion` of its `start` holds."""

    criteria: tuple = ()

    def span(self, zone):
        """(lo, hi, bounded): the UTC instants [lo, hi) meeting every criterion, dates
        being days in `zone` (None: no bound that side); `Empty` when there are none."""
        lo, hi, bounded = None, None, False
        for criterion in self.criteria:
            first, after = criterion.bounds(zone)
            if criterion.prefix in ("ge", "eq") and first is not None:
                lo = first if lo is None else max(lo, first)
            if criterion.prefix == "gt":
                if after is None:
                    raise Empty
                lo = after if lo is None else max(lo, after)
            if criterion.prefix in ("le", "eq") and after is not None:
                hi, bounded = after if hi is None else min(hi, after), True
            if criterion.prefix == "lt":
                if first is None:
                    raise Empty
                hi, bounded = first if hi is None else min(hi, first), True
        if lo is not None and hi is not None and hi <= lo:
            raise Empty
        return lo, hi, bounded

    def days(self, schedule, now, span=None):
        """The schedule's local dates to compute, from now through its horizon, narrowed by
        the criteria (or their `span`); None when none is left. `RangeTooLong` past
        `MAX_DAYS`."""
        zone = ZoneInfo(schedule.time_zone_name)
        try:
            lo, hi, bounded = span or self.span(zone)
        except Empty:
            return None
        lo = now if lo is None else max(lo, now)
        if hi is not None and hi <= lo:
            return None
        today = now.astimezone(zone).date()
        horizon = today + timedelta(days=schedule.rules.booking_horizon_days)
        try:
            first_day = lo.astimezone(zone).date()
        except OverflowError:  # past the calendar's last day there: past any horizon
            return None
        last_day = horizon
        if hi is not None:  # the day of the last instant before `hi`
            last_day = min(horizon, (hi - timedelta(microseconds=1)).astimezone(zone).date())
        if last_day < first_day:
            return None
        if (last_day - first_day).days >= MAX_DAYS:
            if bounded:
                raise RangeTooLong(f"Ask for slots over at most {MAX_DAYS} days at a time.")
            last_day = first_day + timedelta(days=MAX_DAYS - 1)
        return first_day, last_day


def days_to_compute(rules, window, now):
    """{schedule id: (first local date, last, UTC span)} of the `published_rules` the
    window leaves days of."""
    days = {}
    for schedule_id, schedule in rules.items():
        try:
            span = window.span(ZoneInfo(schedule.time_zone_name))
        except Empty:
            continue
        found = window.days(schedule, now, span)
        if found is not None:
            days[schedule_id] = (*found, span[:2])
    return days


@dataclass(frozen=True)
class SlotRules:
    """A schedule's `PublishedRules` and what its slots show of its service: its code
    (the JSON:API id) and name, or None."""

    rules: PublishedRules
    service: tuple | None


# The published rules of schedules and their services, in one statement: all a Slot
# search needs of its schedules.
SLOT_RULES = PUBLISHED_RULES.add_columns(Service.slug, Service.name).outerjoin(
    Service, Service.id == Schedule.service_id
)


def slot_rules(session, tenant_id, schedule_ids):
    """{id: SlotRules} of the health system's active schedules among the ids."""
    rows = session.execute(SLOT_RULES, {"ids": list(schedule_ids), "tenant": tenant_id})
    return {
        row[0]: SlotRules(rules_of_row(row), None if row[9] is None else (row[9], row[10]))
        for row in rows
    }


def read_slots(session, rules, window, now, kept=STATUSES, tentative=True):
    """{schedule id: its slots in the window whose status is `kept`} of schedules'
    `PublishedRules` ({id: rules}): their taken seats in one statement. `tentative`: whether
    seats filled by holds are `busy-tentative` (else `busy`)."""
    days = days_to_compute(rules, window, now)
    if not days:
        return {}
    bounds = [local_day_bounds(first, last) for first, last, _span in days.values()]
    earliest, latest = min(b[0] for b in bounds), max(b[1] for b in bounds)
    taken = taken_seats(session, list(days), earliest, latest, now)
    return {
        schedule_id: schedule_slots(
            rules[schedule_id], taken, first, last, now, kept, tentative, span
        )
        for schedule_id, (first, last, span) in days.items()
    }


def each_schedules_slots(session, rules, window, now, tentative=True):
    """(schedule id, its slots in the window) for each of the `published_rules`, one
    schedule at a time: its taken seats read only when its turn comes, so no more than one
    schedule's seats and slots are held at once."""
    for schedule_id, (first, last, span) in days_to_compute(rules, window, now).items():
        earliest, latest = local_day_bounds(first, last)
        taken = taken_seats(session, [schedule_id], earliest, latest, now)
        schedule = rules[schedule_id]
        yield (
            schedule_id,
            schedule_slots(schedule, taken, first, last, now, STATUSES, tentative, span),
        )


def slot_resource(slot, context, service=None, extensions=()):
    """A slot as FHIR: `service` is its schedule's service as a CodeableConcept (or None)."""
    found = list(extensions)
    if slot.capacity > 1 and slot.status == "free":
        found.append({"url": SLOT_CAPACITY, "valueInteger": slot.remaining})
    kind = None
    if slot.appointment_type:
        kind = concept(context.appointment_type_system, slot.appointment_type, None)
    return pruned(
        {
            "resourceType": "Slot",
            "id": slot.id,
            "extension": found,
            "serviceType": [service] if service else None,
            "appointmentType": kind,
            "schedule": {"reference": f"Schedule/{slot.schedule_id}"},
            "status": slot.status,
            "start": local_instant(slot.start),
            "end": local_instant(slot.end),
        }
    )

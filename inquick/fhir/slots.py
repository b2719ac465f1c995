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
from inquick.booking.schedule_rules import local_day_bounds, published_rules, taken_seats
from inquick.fhir.codes import SLOT_CAPACITY, concept, pruned
from inquick.fhir.schedules import local_instant

STAMP = "%Y%m%dT%H%M%SZ"
SLOT_ID = re.compile(r"(?P<schedule>[0-9a-f-]{36})\.(?P<start>[0-9]{8}T[0-9]{6}Z)")
# The longest range of days one search computes, as for available-appointment-times.
MAX_DAYS = 92
STATUSES = ("free", "busy", "busy-tentative", "busy-unavailable", "entered-in-error")


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


def schedule_slots(schedule, taken, first_day, last_day, now):
    """Every slot of a schedule (`PublishedRules`) between two local dates, free or not."""
    kind = offered_type(schedule, None)
    minutes = duration_of(kind, schedule)
    found = slots(schedule.rules, minutes, taken.of(schedule.id), first_day, last_day, now)
    unheld = slots(schedule.rules, minutes, taken.booked[schedule.id], first_day, last_day, now)
    return [
        FoundSlot(
            schedule.id,
            slot.start,
            slot.start + timedelta(minutes=minutes),
            slot_status(slot, without_holds),
            slot.remaining,
            schedule.rules.capacity,
            kind.slug if kind else None,
        )
        for slot, without_holds in zip(found, unheld, strict=True)
    ]


@dataclass(frozen=True)
class Window:
    """The starts a search asks for: every `DateCriterion` of its `start` holds."""

    criteria: tuple = ()

    def days(self, schedule, now):
        """The schedule's local dates to compute, from now through its horizon, narrowed by
        the criteria; None when none is left. `RangeTooLong` past `MAX_DAYS`."""
        zone = ZoneInfo(schedule.time_zone_name)
        lo, hi, bounded = now, None, False
        for criterion in self.criteria:
            first, after = criterion.bounds(zone)
            if criterion.prefix in ("ge", "eq") and first is not None:
                lo = max(lo, first)
            if criterion.prefix == "gt":
                if after is None:
                    return None
                lo = max(lo, after)
            if criterion.prefix in ("le", "eq") and after is not None:
                hi, bounded = after if hi is None else min(hi, after), True
            if criterion.prefix == "lt":
                if first is None:
                    return None
                hi, bounded = first if hi is None else min(hi, first), True
        if hi is not None and hi <= lo:
            return None
        today = now.astimezone(zone).date()
        horizon = today + timedelta(days=schedule.rules.booking_horizon_days)
        first_day = lo.astimezone(zone).date()
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

    def admits(self, start):
        moment = start.astimezone(UTC)
        return all(criterion.holds(moment, start.tzinfo) for criterion in self.criteria)


def read_slots(session, tenant_id, schedule_ids, window, now):
    """{schedule id: its slots in the window} for the health system's active schedules
    among the ids: their rules in one statement, their taken seats in one more."""
    rules = published_rules(session, tenant_id, schedule_ids)
    days = {}
    for schedule_id, schedule in rules.items():
        found = window.days(schedule, now)
        if found is not None:
            days[schedule_id] = found
    if not days:
        return {}
    bounds = [local_day_bounds(first, last) for first, last in days.values()]
    earliest, latest = min(b[0] for b in bounds), max(b[1] for b in bounds)
    taken = taken_seats(session, list(days), earliest, latest, now)
    return {
        schedule_id: [
            slot
            for slot in schedule_slots(rules[schedule_id], taken, first, last, now)
            if window.admits(slot.start)
        ]
        for schedule_id, (first, last) in days.items()
    }


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

"""The Slot type: searched over the slots of named schedules, read by id, both computed."""

from datetime import UTC, timedelta

from flask import g

from inquick.extensions import db
from inquick.fhir.catalog import service_concept
from inquick.fhir.moments import DateCriterion
from inquick.fhir.reads import Found
from inquick.fhir.schedules import schedule_resource
from inquick.fhir.search import SearchParameter
from inquick.fhir.slots import (
    STATUSES,
    RangeTooLong,
    Window,
    parse_slot_id,
    read_slots,
    slot_resource,
)
from inquick.fhir.types import (
    ID,
    SCHEDULES,
    SERVICE_TYPE,
    FhirType,
    as_dates,
    filters_of,
    reference_reader,
)
from inquick.jsonapi.errors import InvalidQueryParameter
from inquick.resources.availability import MAX_SCHEDULES


def as_slot_statuses(search, name, _context):
    for alternatives in search.values(name):
        unknown = [code for code in alternatives if code not in STATUSES]
        if unknown:
            raise InvalidQueryParameter(f"{unknown[0]!r} is not a Slot status.", parameter=name)
    return search.values(name)


SCHEDULE = SearchParameter(
    "schedule", "reference", "The slot's schedule (required, unless _id names the slots).",
    reference_reader("Schedule"),
)  # fmt: skip
START = SearchParameter(
    "start",
    "date",
    "When the slot starts (prefixes eq, ge, gt, le, lt; a date is a day of the schedule's "
    "time zone). Without it: from now through the schedule's booking horizon, at most 92 days.",
    as_dates,
)
STATUS = SearchParameter("status", "token", "free, busy or busy-tentative.", as_slot_statuses)
PARAMETERS = (ID, SCHEDULE, START, STATUS, SERVICE_TYPE)


def common(sets):
    """The ids every occurrence allows (None when there is no occurrence)."""
    found = None
    for ids in sets:
        found = set(ids) if found is None else found & set(ids)
    return found


def wanted_schedules(search, context):
    """(the schedule ids a search is about, the slot ids it names or None)."""
    slot_ids = common(search.values("_id"))
    starts = {}
    for slot_id in slot_ids or ():
        parsed = parse_slot_id(slot_id)
        if parsed is not None:
            starts[slot_id] = parsed
    named = common(
        [object_id for _kind, object_id in alternatives]
        for alternatives in SCHEDULE.value(search, context)
    )
    if named is None and slot_ids is None:
        raise InvalidQueryParameter(
            "A Slot search names its schedule(s): schedule=Schedule/{id} (or _id, the slots).",
            parameter="schedule",
        )
    by_slots = None if slot_ids is None else {schedule for schedule, _ in starts.values()}
    schedules = common(ids for ids in (named, by_slots) if ids is not None)
    if len(schedules) > MAX_SCHEDULES:
        raise InvalidQueryParameter(
            f"A Slot search names at most {MAX_SCHEDULES} schedules.", parameter="schedule"
        )
    return schedules, (None if slot_ids is None else starts)


def window_of(search, context, named_slots):
    """The starts asked for: `start`'s criteria, and the span of the slots `_id` names."""
    criteria = list(as_dates(search, "start", context))
    if named_slots:
        instants = [start for _schedule, start in named_slots.values()]
        criteria.append(DateCriterion("ge", min(instants), min(instants)))
        last = max(instants)
        criteria.append(DateCriterion("le", last, last + timedelta(seconds=1)))
    return Window(tuple(criteria))


def found_slots(search, context):
    """The slots a search matches, soonest first, and the schedules' records by id."""
    schedule_ids, named_slots = wanted_schedules(search, context)
    window = window_of(search, context, named_slots)
    statuses = STATUS.value(search, context)
    if not schedule_ids or named_slots == {}:
        return [], {}
    filters = filters_of(search, (SERVICE_TYPE,), context)
    filters["_id"] = ((tuple(sorted(schedule_ids)),), "schedule")
    records, _ = SCHEDULES.page(filters, count=len(schedule_ids))
    schedules = {record.id: record for record in records}
    try:
        by_schedule = read_slots(db.session, g.tenant.id, list(schedules), window, context.now)
    except RangeTooLong as error:
        raise InvalidQueryParameter(str(error), parameter="start") from None
    found = [
        slot
        for slots in by_schedule.values()
        for slot in slots
        if all(slot.status in alternatives for alternatives in statuses)
        and (named_slots is None or slot.id in named_slots)
    ]
    found.sort(key=lambda slot: (slot.start.astimezone(UTC), slot.schedule_id))
    return found, schedules


def written(slot, schedules, context):
    service = schedules[slot.schedule_id].related["service"]
    return slot_resource(slot, context, service_concept(context, service) if service else None)


def search_slots(search, context):
    found, schedules = found_slots(search, context)
    page = found[search.offset : search.offset + search.count]
    included = []
    if "Slot:schedule" in search.includes:
        shown = dict.fromkeys(slot.schedule_id for slot in page)
        included = [schedule_resource(schedules[i], context) for i in shown]
    return Found([written(slot, schedules, context) for slot in page], len(found), included)


def read_slot(slot_id, context):
    """The slot with this id while it is in its schedule's booking horizon, else None."""
    parsed = parse_slot_id(slot_id)
    if parsed is None:
        return None
    schedule_id, start = parsed
    records = SCHEDULES.by_ids([schedule_id])
    if not records:
        return None
    window = Window((DateCriterion("eq", start, start + timedelta(seconds=1)),))
    slots = read_slots(db.session, g.tenant.id, [schedule_id], window, context.now)
    found = [slot for slot in slots.get(schedule_id, []) if slot.id == slot_id]
    return written(found[0], {schedule_id: records[0]}, context) if found else None


SLOTS = FhirType(
    "Slot", "availability:read", PARAMETERS, read_slot, search_slots, ("Slot:schedule",)
)

"""The Slot type: searched over the slots of named schedules, read by id, both computed."""

import heapq
from datetime import UTC, timedelta
from itertools import islice

from flask import g

from inquick.extensions import db
from inquick.fhir.codes import concept
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
    slot_rules,
)
from inquick.fhir.types import (
    CATALOG_READ,
    ID,
    SCHEDULES,
    SERVICE_TYPE,
    FhirType,
    as_dates,
    reference_reader,
)
from inquick.jsonapi.errors import Forbidden, InvalidQueryParameter
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


def kept_statuses(search, context):
    """The statuses a slot may have to match: in every occurrence of `status`."""
    kept = set(STATUSES)
    for alternatives in STATUS.value(search, context):
        kept &= set(alternatives)
    return frozenset(kept)


def schedules_of(search, context, schedule_ids):
    """{id: SlotRules} of the schedules searched, among those the service-type allows."""
    found = slot_rules(db.session, g.tenant.id, schedule_ids)
    for codes in SERVICE_TYPE.value(search, context) if "service-type" in search.criteria else ():
        found = {i: s for i, s in found.items() if s.service and s.service[0] in codes}
    return found


def found_slots(search, context):
    """(the slots a search matches, soonest first, then by schedule, as an iterator; how
    many they are; their schedules' `SlotRules` by id)."""
    schedule_ids, named_slots = wanted_schedules(search, context)
    window = window_of(search, context, named_slots)
    kept = kept_statuses(search, context)
    if not schedule_ids or named_slots == {} or not kept:
        return iter(()), 0, {}
    schedules = schedules_of(search, context, sorted(schedule_ids))
    rules = {schedule_id: found.rules for schedule_id, found in schedules.items()}
    try:
        by_schedule = read_slots(db.session, rules, window, context.now, kept)
    except RangeTooLong as error:
        raise InvalidQueryParameter(str(error), parameter="start") from None
    if named_slots is not None:
        by_schedule = {
            schedule_id: [slot for slot in slots if slot.id in named_slots]
            for schedule_id, slots in by_schedule.items()
        }
    total = sum(len(slots) for slots in by_schedule.values())
    # Each schedule's slots come soonest first: merged in UTC (two local times of one zone
    # compare by the clock, wrong in a repeated hour), ties by schedule.
    ordered = heapq.merge(
        *(by_schedule[schedule_id] for schedule_id in sorted(by_schedule)),
        key=lambda slot: slot.start.astimezone(UTC),
    )
    return ordered, total, schedules


def written(slot, schedules, context):
    service = schedules[slot.schedule_id].service
    found = concept(context.service_system, *service) if service else None
    return slot_resource(slot, context, found)


def search_slots(search, context):
    """A page of slots; their schedules too for `_include=Slot:schedule`, which shows the
    catalog, so only to a key that may read it."""
    if "Slot:schedule" in search.includes and CATALOG_READ not in g.api_key.scope_set:
        raise Forbidden(
            f"_include=Slot:schedule shows Schedules: this key lacks the {CATALOG_READ} scope.",
            parameter="_include",
        )
    ordered, total, schedules = found_slots(search, context)
    page = list(islice(ordered, search.offset, search.offset + search.count))
    included = []
    if "Slot:schedule" in search.includes:
        shown = dict.fromkeys(slot.schedule_id for slot in page)
        records = {record.id: record for record in SCHEDULES.by_ids(shown)}
        included = [schedule_resource(records[i], context) for i in shown if i in records]
    return Found([written(slot, schedules, context) for slot in page], total, included)


def read_slot(slot_id, context):
    """The slot with this id while it is in its schedule's booking horizon, else None."""
    parsed = parse_slot_id(slot_id)
    if parsed is None:
        return None
    schedule_id, start = parsed
    schedules = slot_rules(db.session, g.tenant.id, [schedule_id])
    if not schedules:
        return None
    window = Window((DateCriterion("eq", start, start + timedelta(seconds=1)),))
    rules = {schedule_id: schedules[schedule_id].rules}
    slots = read_slots(db.session, rules, window, context.now)
    found = [slot for slot in slots.get(schedule_id, []) if slot.id == slot_id]
    return written(found[0], schedules, context) if found else None


SLOTS = FhirType(
    "Slot", "availability:read", PARAMETERS, read_slot, search_slots, ("Slot:schedule",)
)

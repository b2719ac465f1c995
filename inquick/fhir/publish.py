"""SMART Scheduling Links: a health system's slots published for discovery, as bulk files.

The manifest (`$bulk-publish`) lists NDJSON files of the system's Locations, Practitioners
(the schedules' actors), Schedules and Slots, one Slot file per state its locations are
in. Catalog files are written a batch of rows at a time, Slot files schedule by schedule
(a batch of schedules' records and rules, then one schedule's seats and slots at a time),
so a system of any size is published without holding more than a batch of rows, or one
schedule's slots, in memory. Nothing here reads a visit beyond the seats it takes: the
files are the catalog and the computed slots, and hold no patient data.

`_since` narrows the Location, Practitioner and Schedule files to the rows changed since
then, reaching back `SINCE_MARGIN` before it: a row is stamped when its transaction writes
it but seen only once that commits, so a row stamped just before a client's last fetch
may have committed just after it (a row sent twice costs a client nothing, the guide
lets a server send more than asked). The margin is taken here, once: the manifest's
`transactionTime` is when it was made, so a client passing it back as its next `_since`
misses nothing (for transactions shorter than the margin) and gets the margin's rows
again, not twice the margin's. Slot files take `_since` and hold
every current slot all the same, as the guide lets a server do: slots change with each
booking, each hold taken or given back and each passing hour, and not every one of those
leaves a time to compare with.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
from sqlalchemy import or_, select

from inquick.booking.schedule_rules import published_rules
from inquick.fhir.catalog import service_concept
from inquick.fhir.codes import BOOKING_DEEP_LINK, BOOKING_PHONE
from inquick.fhir.ids import logical_id
from inquick.fhir.reads import Rows
from inquick.fhir.schedules import local_instant, schedule_resource
from inquick.fhir.slots import Window, each_schedules_slots, slot_resource
from inquick.fhir.types import LOCATIONS, PRACTITIONERS, SCHEDULES
from inquick.models import HealthSystem, Location, Provider, Schedule

BATCH = 500
# The operation, as the CapabilityStatement of a system that publishes lists it.
BULK_PUBLISH = ("bulk-publish", "http://hl7.org/fhir/uv/smart-scheduling-links/specification.html")
# The file of the slots of locations with no state.
NO_STATE = "none"
# How long a transaction may take between stamping a row and committing it.
SINCE_MARGIN = timedelta(minutes=5)


def published_system_id(session, health_system, sandbox_host):
    """The id of the system a hostname publishes: its live one, or on a sandbox host
    (which serves test data only) its sandbox; None when it has no sandbox."""
    if not sandbox_host:
        return health_system.id
    sandbox = select(HealthSystem.id).where(
        HealthSystem.live_system_id == health_system.id, HealthSystem.mode == "test"
    )
    return session.scalar(sandbox)


def publication(session, system_id):
    """(whether the system publishes its slots, the booking page of their deep links)."""
    if system_id is None:
        return False, None
    statement = select(HealthSystem.publishes_slots, HealthSystem.booking_url)
    return tuple(session.execute(statement.where(HealthSystem.id == system_id)).one())


def state_token(state):
    """A state as a file name's part: `ME` -> `ME`, `New York` -> `NEW-YORK`."""
    return re.sub(r"[^A-Z0-9]+", "-", (state or "").upper()).strip("-") or NO_STATE


def published_states(session, tenant_id):
    """The states of the locations of the system's active schedules, each once."""
    rows = session.execute(
        select(Location.state)
        .join(Schedule, Schedule.location_id == Location.id)
        .where(Schedule.health_system_id == tenant_id, Schedule.active)
        .distinct()
    )
    return sorted({state for (state,) in rows}, key=lambda s: (s is None, s or ""))


def manifest(request_url, base, states, since, now):
    """The manifest: when it was made, what was asked, and the files to fetch."""
    after = f"?{urlencode({'_since': since})}" if since else ""
    files = f"{base}/$bulk-publish"
    output = [
        {"type": published.type, "url": f"{files}/{name}.ndjson{after}"}
        for name, published in CATALOG_FILES.items()
    ]
    by_token = {}
    for state in states:
        by_token.setdefault(state_token(state), []).append(state)
    for token, named in sorted(by_token.items()):
        slots = {"type": "Slot", "url": f"{files}/slots-{token}.ndjson"}
        if any(named):  # the states it holds, so a client fetches only those it serves
            slots["extension"] = {"state": [state for state in named if state]}
        output.append(slots)
    return {
        "transactionTime": local_instant(now.replace(microsecond=0)).replace("+00:00", "Z"),
        "request": request_url,
        "output": output,
        "error": [],
    }


def ndjson(resources: Iterator[dict]) -> Iterator[bytes]:
    """One resource a line."""
    for resource in resources:
        yield orjson.dumps(resource) + b"\n"


def keyset(session, column, where):
    """The values of `column` among the rows `where` lets through, ascending, `BATCH` at a
    time (each batch one statement, starting after the last value of the one before)."""
    last = None
    while True:
        statement = select(column).where(*where).order_by(column).limit(BATCH)
        if last is not None:
            statement = statement.where(column > last)
        found = list(session.scalars(statement))
        if not found:
            return
        yield found
        last = found[-1]


@dataclass(frozen=True)
class CatalogFile:
    """A file of catalog rows: its FHIR type, the rows, and the key it walks them by."""

    type: str
    rows: Rows
    model: type
    key: object
    published: tuple = ()  # conditions a row must meet to be published


def published_schedule_resource(record, context):
    """A Schedule as the guide reads one: its Location the first actor (the guide's one
    `actor`), its Practitioner after it."""
    resource = schedule_resource(record, context)
    resource["actor"].sort(key=lambda actor: not actor["reference"].startswith("Location/"))
    return resource


PUBLISHED_SCHEDULES = replace(SCHEDULES, write=published_schedule_resource)
CATALOG_FILES = {
    "locations": CatalogFile("Location", LOCATIONS, Location, Location.slug),
    "practitioners": CatalogFile("Practitioner", PRACTITIONERS, Provider, Provider.slug),
    "schedules": CatalogFile(
        "Schedule", PUBLISHED_SCHEDULES, Schedule, Schedule.id, (Schedule.active,)
    ),
}


def changed_since(instant):
    """The instant from which a file given `_since=instant` holds the changed rows."""
    try:
        return instant - SINCE_MARGIN
    except OverflowError:  # before the calendar's first day: every row
        return instant


def catalog_file(session, published, tenant_id, context, since=None):
    """The resources of a `CatalogFile`'s rows, those changed since `since` (an instant,
    `changed_since`'s) when given."""
    model = published.model
    where = [model.health_system_id == tenant_id, *published.published]
    if since is not None:
        where.append(model.updated_at >= since)
    for keys in keyset(session, published.key, where):
        for record in published.rows.by_ids([logical_id(key) for key in keys]):
            yield published.rows.write(record, context)


def deep_link(booking_url, schedule_id, start):
    """The booking page, asked for the slot's schedule and time as the hosted page reads
    them, `schedule` and `at` (the page's own query kept)."""
    parts = urlsplit(booking_url)
    query = [*parse_qsl(parts.query), ("schedule", schedule_id), ("at", local_instant(start))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def slot_extensions(slot, booking_url, phone):
    """A published slot's booking deep link and phone, as far as the system has them."""
    found = []
    if booking_url:
        link = deep_link(booking_url, slot.schedule_id, slot.start)
        found.append({"url": BOOKING_DEEP_LINK, "valueUrl": link})
    if phone:
        found.append({"url": BOOKING_PHONE, "valueString": phone})
    return found


def slots_file(session, tenant_id, states, booking_url, context):
    """Every current slot of the active schedules at locations in `states`, schedule by
    schedule: a batch of schedules' records and rules in two statements, then each
    schedule's taken seats as its slots are written. A slot filled by holds only is
    published `busy`: the guide's slots are `free` or `busy`."""
    named = [state for state in states if state is not None]
    in_states = or_(
        Location.state.in_(named), *([Location.state.is_(None)] if None in states else [])
    )
    located = select(Location.id).where(Location.health_system_id == tenant_id, in_states)
    where = [
        Schedule.health_system_id == tenant_id,
        Schedule.active,
        Schedule.location_id.in_(located),
    ]
    for ids in keyset(session, Schedule.id, where):
        records = {record.id: record for record in SCHEDULES.by_ids(ids)}
        found = published_rules(session, tenant_id, list(records))
        rules = {i: found[i] for i in ids if i in found}  # in the keys' order
        computed = each_schedules_slots(session, rules, Window(), context.now, tentative=False)
        for schedule_id, slots in computed:
            record = records[schedule_id]
            service = record.related["service"]
            concept = service_concept(context, service) if service else None
            phone = record.related["location"].attributes["phone"]
            for slot in slots:
                extensions = slot_extensions(slot, booking_url, phone)
                yield slot_resource(slot, context, concept, extensions)

"""Demo data: Winter Health (the full catalog) and Summer Clinic (a second tenant).

The rows themselves are in demo_data.json; this module turns them into models. Schedule
ids are UUIDs derived from their names, so the README's URLs stay valid on every fresh
demo database.
"""

import json
import uuid
from datetime import UTC, datetime, time, timedelta
from importlib.resources import files
from zoneinfo import ZoneInfo

from sqlalchemy import select

from inquick.auth.keys import issue_key
from inquick.booking.availability import free_times
from inquick.booking.reservations import default_type, reserve_slot
from inquick.booking.schedule_rules import rules_of
from inquick.models import (
    ApiKey,
    AppointmentType,
    HealthSystem,
    InsurancePlan,
    Location,
    MedicalGroup,
    PartnerHostname,
    Provider,
    Region,
    Schedule,
    Service,
    VisitSettings,
    VisitValidation,
    WeeklyWindow,
)

# The first hostname of each system in demo_data.json: where the README and `demo-key` point.
DEMO_HOSTNAME = "winter-health.example.org"
SECOND_HOSTNAME = "summer-clinic.example.org"
SCHEDULE_NAMESPACE = uuid.UUID("6f1c2a52-3a0e-4f57-9a53-0c7b8f1d2e10")
# The pages `make run` serves its demo booking page from (besides the API's own origin,
# which every publishable key allows).
DEMO_ORIGINS = ("http://127.0.0.1:8000", "http://localhost:8000")
DEMO_PUBLISHABLE_LABEL = "demo publishable key (make run)"


def demo_data():
    """The demo's rows as demo_data.json holds them (read when seeding, not at import)."""
    return json.loads(files("inquick").joinpath("demo_data.json").read_text(encoding="utf-8"))


def schedule_id(system, name):
    """A UUID derived from the system and the name: the same on every fresh demo database."""
    scope = system.slug if system.mode == "live" else f"{system.slug}+sandbox"
    return str(uuid.uuid5(SCHEDULE_NAMESPACE, f"{scope}/{name}"))


def by_slug(rows):
    """Rows by their slug, as the data names them."""
    return {row.slug: row for row in rows}


def seed(session, progress=print, now=None):
    """Add both demo health systems, each with its sandbox, to `session` (the caller commits)."""
    now = now or datetime.now(UTC)
    data = demo_data()
    systems = [(health_system(entry), entry) for entry in data["health_systems"]]
    session.add_all([system for system, _ in systems])
    session.flush()
    for system, entry in systems:
        sandbox = system.new_sandbox()
        session.add(sandbox)
        for each in (system, sandbox):
            populate(session, each, entry, data["hours"])
        session.flush()
        booked = book_demo_visits(session, system, now, data["patients"])
        progress(
            f"  {system.name} at {entry['hostnames'][0]}, live and sandbox; visits booked: {booked}"
        )
    demo_publishable_key(session, systems[0][0])


def demo_publishable_key(session, system):
    """The demo's publishable key of `system` (its whole value is stored, so the same key is
    shown on every `make run`), issued if it has none unrevoked yet."""
    key = session.scalar(
        select(ApiKey).where(
            ApiKey.health_system_id == system.id,
            ApiKey.label == DEMO_PUBLISHABLE_LABEL,
            ApiKey.publishable.is_(True),
            ApiKey.revoked_at.is_(None),
        )
    )
    if key is None:
        key, _secret = issue_key(
            system, publishable=True, allowed_origins=DEMO_ORIGINS, label=DEMO_PUBLISHABLE_LABEL
        )
        session.add(key)
        session.flush()
    return key


def health_system(entry):
    """A live health system and its hostnames, from its entry in the data."""
    return HealthSystem(
        slug=entry["slug"],
        name=entry["name"],
        gtag_id=entry.get("gtag_id"),
        hostnames=[PartnerHostname(hostname=name) for name in entry["hostnames"]],
    )


def populate(session, system, entry, hours):
    """One health system's catalog from its entry in the data, in `system` (the live one or
    its sandbox); `hours` are the data's named sets of weekly windows."""
    plans = catalog_rows(InsurancePlan, entry.get("insurance_plans", []), system)
    regions = catalog_rows(Region, entry.get("regions", []), system, insurance_plans=plans)
    locations = catalog_rows(
        Location, entry["locations"], system, region=regions, insurance_plans=plans
    )
    services = catalog_rows(Service, entry["services"], system)
    groups = catalog_rows(MedicalGroup, entry.get("medical_groups", []), system)
    types = catalog_rows(AppointmentType, entry["appointment_types"], system, services=services)
    providers = catalog_rows(Provider, entry["providers"], system, medical_groups=groups)
    session.add_all(
        schedule_row(
            system,
            fields,
            hours,
            provider=providers,
            location=locations,
            service=services,
            appointment_types=types,
            insurance_plans=plans,
        )
        for fields in entry["schedules"]
    )


def resolved(fields, named):
    """`fields` with the slugs of `named` fields replaced by the rows they name, from the
    lookup `named` gives for each field (a list of slugs becomes a list of rows)."""
    values = dict(fields)
    for field, lookup in named.items():
        if field in values:
            slugs = values[field]
            values[field] = (
                [lookup[slug] for slug in slugs] if isinstance(slugs, list) else lookup[slugs]
            )
    return values


def catalog_rows(model, entries, system, **named):
    """`model` rows of `system` from the data's entries, by slug; see `resolved` for `named`."""
    return by_slug(model(**resolved(fields, named), health_system=system) for fields in entries)


def schedule_row(system, fields, hours, **named):
    """A schedule from its entry in the data, in its location's time zone."""
    values = resolved(fields, named)
    windows = [window for name in values.pop("hours") for window in hours[name]]
    settings = values.pop("visit_settings", None)
    validations = values.pop("visit_validations", [])
    row = Schedule(
        **values,
        id=schedule_id(system, values["name"]),
        time_zone_name=values["location"].time_zone_name,
        health_system=system,
    )
    row.weekly_windows = [
        WeeklyWindow(
            weekday=day, opens_at=time.fromisoformat(opens), closes_at=time.fromisoformat(closes)
        )
        for day, opens, closes in windows
    ]
    if settings is not None:
        # Form settings and validations of the schedule's own, beside the built-in rules.
        row.visit_settings = VisitSettings(**settings)
        row.visit_validations = [VisitValidation(**validation) for validation in validations]
    return row


def book_demo_visits(session, system, now, patients):
    """Book a few visits on the first free slots of some schedules, as POST /visits would."""
    schedules = session.scalars(
        select(Schedule)
        .where(Schedule.health_system_id == system.id, Schedule.active.is_(True))
        .order_by(Schedule.name)
    ).all()
    booked = 0
    for schedule, (first, last) in zip(schedules, patients, strict=False):
        kind = default_type(schedule)
        start = now.astimezone(ZoneInfo(schedule.time_zone_name)).date() + timedelta(days=1)
        free = free_times(
            rules_of(schedule), kind.duration_minutes, [], start, start + timedelta(days=7), now
        )
        if not free:
            continue
        at = free[len(free) // 3].start
        reserve_slot(
            session,
            schedule=schedule,
            appointment_type=kind,
            start=at,
            now=now,
            patient={
                "first-name": first,
                "last-name": last,
                "gender": "female",
                "email": f"{first.lower()}.{last.lower()}@example.com",
                "phone-number": "207-555-0100",
                "birthdate": "1985-04-12",
                "new-patient": "no",
            },
        )
        booked += 1
    return booked

"""Demo data: Winter Health (the full catalog) and Summer Clinic (a second tenant).

Schedule ids are UUIDs derived from their names, so the README's URLs stay valid on
every fresh demo database.
"""

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from inquick.booking.availability import free_times
from inquick.booking.reservations import default_type, reserve_slot
from inquick.booking.schedule_rules import rules_of
from inquick.models import (
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

DEMO_HOSTNAME = "winter-health.example.org"
SECOND_HOSTNAME = "summer-clinic.example.org"
SCHEDULE_NAMESPACE = uuid.UUID("6f1c2a52-3a0e-4f57-9a53-0c7b8f1d2e10")

WEEKDAYS_9_TO_5 = [(day, time(9), time(12)) for day in range(5)] + [
    (day, time(13), time(17)) for day in range(5)
]
EARLY_AND_EVENING = [(day, time(7), time(11)) for day in range(5)] + [
    (day, time(18), time(21)) for day in (1, 3)
]
WEEKEND_MORNINGS = [(5, time(8), time(12)), (6, time(9), time(12))]


def schedule_id(system, name):
    """A UUID derived from the system and the name: the same on every fresh demo database."""
    scope = system.slug if system.mode == "live" else f"{system.slug}+sandbox"
    return str(uuid.uuid5(SCHEDULE_NAMESPACE, f"{scope}/{name}"))


def by_slug(rows):
    return {row.slug: row for row in rows}


def seed(session, progress=print, now=None):
    """Add both demo health systems, each with its sandbox, to `session` (the caller commits)."""
    now = now or datetime.now(UTC)
    winter = HealthSystem(slug="winter-health", name="Winter Health", gtag_id="G-WINTER01")
    winter.hostnames = [
        PartnerHostname(hostname=DEMO_HOSTNAME),
        PartnerHostname(hostname="book.winter-health.example.org"),
    ]
    summer = HealthSystem(slug="summer-clinic", name="Summer Clinic")
    summer.hostnames = [PartnerHostname(hostname=SECOND_HOSTNAME)]
    session.add_all([winter, summer])
    session.flush()
    for system, populate, hostname in (
        (winter, populate_winter_health, DEMO_HOSTNAME),
        (summer, populate_summer_clinic, SECOND_HOSTNAME),
    ):
        sandbox = system.new_sandbox()
        session.add(sandbox)
        for each in (system, sandbox):
            populate(session, each)
        session.flush()
        booked = book_demo_visits(session, system, now)
        progress(f"  {system.name} at {hostname}, live and sandbox; visits booked: {booked}")


def populate_winter_health(session, system):
    """Winter Health's catalog, in `system` (the live one or its sandbox)."""
    owned = {"health_system": system}

    plans = by_slug(
        [
            InsurancePlan(slug="aarp-ppo-12", company="AARP", name="PPO 12", **owned),
            InsurancePlan(slug="aetna-choice-pos", company="Aetna", name="Choice POS II", **owned),
            InsurancePlan(
                slug="blue-shield-hmo", company="Blue Shield", name="Access+ HMO", **owned
            ),
            InsurancePlan(
                slug="cigna-open-access",
                company="Cigna",
                name="Open Access Plus",
                accepted_by_default=True,
                **owned,
            ),
            InsurancePlan(
                slug="medicare-part-b",
                company="Medicare",
                name="Part B",
                accepted_by_default=True,
                **owned,
            ),
            InsurancePlan(
                slug="self-pay",
                company="Self pay",
                name="No insurance",
                accepted_by_default=True,
                **owned,
            ),
        ]
    )
    north = Region(slug="north-valley", name="North Valley", **owned)
    north.insurance_plans = [plans["aarp-ppo-12"], plans["medicare-part-b"], plans["self-pay"]]

    locations = by_slug(
        [
            Location(
                slug="feestport",
                name="Feestport Clinic",
                facility_name="Feestport Medical Center",
                address="12 Harbor Road",
                city="Feestport",
                state="ME",
                zip="04101",
                phone="207-555-0140",
                latitude=43.6591,
                longitude=-70.2568,
                time_zone_name="America/New_York",
                region=north,
                **owned,
            ),
            Location(
                slug="harbor-point",
                name="Harbor Point Urgent Care",
                facility_name="Harbor Point Pavilion",
                address="400 Shore Drive",
                city="Harbor Point",
                state="ME",
                zip="04103",
                phone="207-555-0199",
                latitude=43.6950,
                longitude=-70.3290,
                time_zone_name="America/New_York",
                region=north,
                **owned,
            ),
            Location(
                slug="lake-haven",
                name="Lake Haven Family Medicine",
                facility_name="Lake Haven Health Campus",
                address="77 Prairie Avenue",
                city="Lake Haven",
                state="IL",
                zip="60601",
                phone="312-555-0123",
                latitude=41.8857,
                longitude=-87.6181,
                time_zone_name="America/Chicago",
                **owned,
            ),
            Location(
                slug="high-mesa",
                name="High Mesa Imaging",
                facility_name="High Mesa Hospital",
                address="9 Summit Way",
                city="Denver",
                state="CO",
                zip="80202",
                phone="303-555-0188",
                latitude=39.7508,
                longitude=-104.9966,
                time_zone_name="America/Denver",
                **owned,
            ),
        ]
    )
    locations["lake-haven"].insurance_plans = [plans["blue-shield-hmo"], plans["aetna-choice-pos"]]

    services = by_slug(
        [
            Service(slug="primary-care", name="Primary Care", **owned),
            Service(slug="urgent-care", name="Urgent Care", **owned),
            Service(slug="pediatrics", name="Pediatrics", **owned),
            Service(slug="imaging", name="Imaging", **owned),
        ]
    )
    groups = by_slug(
        [
            MedicalGroup(slug="winter-primary-partners", name="Winter Primary Partners", **owned),
            MedicalGroup(slug="lakeside-medical-group", name="Lakeside Medical Group", **owned),
        ]
    )
    types = by_slug(
        [
            AppointmentType(
                slug="new-patient",
                name="New Patient Visit",
                priority=1,
                duration_minutes=40,
                contexts=["Patient"],
                **owned,
            ),
            AppointmentType(
                slug="annual-physical",
                name="Annual Physical",
                priority=2,
                duration_minutes=30,
                contexts=["Patient", "Internal"],
                **owned,
            ),
            AppointmentType(
                slug="sick-visit",
                name="Sick Visit",
                priority=3,
                duration_minutes=15,
                contexts=["Patient", "Discharge"],
                **owned,
            ),
            AppointmentType(
                slug="follow-up",
                name="Follow-up",
                priority=4,
                duration_minutes=15,
                contexts=["Discharge", "Internal"],
                **owned,
            ),
            AppointmentType(
                slug="mri-scan",
                name="MRI Scan",
                priority=5,
                duration_minutes=45,
                contexts=["Patient"],
                **owned,
            ),
        ]
    )
    for slug in ("new-patient", "annual-physical", "sick-visit", "follow-up"):
        types[slug].services = [services["primary-care"], services["pediatrics"]]
    types["sick-visit"].services.append(services["urgent-care"])
    types["mri-scan"].services = [services["imaging"]]

    def practitioner(slug, name, gender, affiliation, languages, group, **extra):
        return Provider(
            slug=slug,
            name=name,
            gender=gender,
            affiliation=affiliation,
            languages=languages,
            medical_groups=[groups[group]],
            provider_type="Practitioner",
            **extra,
            **owned,
        )

    providers = by_slug(
        [
            practitioner(
                "miss-kent-cormier",
                "Kent Cormier",
                "female",
                "employed",
                ["English", "French"],
                "winter-primary-partners",
                credentials="MD",
                bio="Family physician with a focus on preventive care.",
                grad_school="Tufts University School of Medicine",
                undergrad_school="Bowdoin College",
                subspecialties=["Preventive Medicine"],
            ),
            practitioner(
                "dr-ana-ruiz",
                "Ana Ruiz",
                "female",
                "affiliated",
                ["English", "Spanish"],
                "winter-primary-partners",
                credentials="DO",
                backgrounds=["Sports medicine"],
            ),
            practitioner(
                "dr-ben-okafor",
                "Ben Okafor",
                "male",
                "employed",
                ["English"],
                "winter-primary-partners",
                credentials="MD",
                suffix="Jr.",
            ),
            practitioner(
                "dr-chen-li",
                "Chen Li",
                "male",
                "employed",
                ["English", "Mandarin"],
                "lakeside-medical-group",
                credentials="MD, FAAP",
                subspecialties=["Pediatrics"],
            ),
            practitioner(
                "dr-dana-fitz",
                "Dana Fitzgerald",
                "female",
                "affiliated",
                ["English"],
                "lakeside-medical-group",
                credentials="NP",
            ),
            practitioner(
                "dr-eli-novak",
                "Eli Novak",
                "male",
                "affiliated",
                ["English", "Polish"],
                "winter-primary-partners",
                credentials="PA-C",
            ),
            Provider(
                slug="mri-suite-high-mesa",
                name="MRI Suite",
                provider_type="HealthResource",
                **owned,
            ),
            Provider(
                slug="walk-in-harbor-point",
                name="Walk-in Clinic",
                provider_type="HealthResource",
                **owned,
            ),
        ]
    )

    def schedule(name, provider, location, service, windows, type_slugs, plan_slugs=(), **rules):
        row = Schedule(
            id=schedule_id(system, name),
            name=name,
            provider=providers[provider],
            location=locations[location],
            service=services[service],
            time_zone_name=locations[location].time_zone_name,
            appointment_types=[types[t] for t in type_slugs],
            insurance_plans=[plans[p] for p in plan_slugs],
            **rules,
            **owned,
        )
        row.weekly_windows = [
            WeeklyWindow(weekday=d, opens_at=o, closes_at=c) for d, o, c in windows
        ]
        return row

    primary = ("new-patient", "annual-physical", "sick-visit", "follow-up")
    rows = [
        schedule(
            "Kent Cormier - Feestport",
            "miss-kent-cormier",
            "feestport",
            "primary-care",
            WEEKDAYS_9_TO_5,
            primary,
            ("aarp-ppo-12", "blue-shield-hmo", "cigna-open-access"),
            sort_order=1,
        ),
        schedule(
            "Ana Ruiz - Feestport",
            "dr-ana-ruiz",
            "feestport",
            "primary-care",
            EARLY_AND_EVENING,
            primary,
            sort_order=2,
            age_limit_threshold=18,
            age_limit_direction="older",
            translator_languages=["Spanish"],
        ),
        schedule(
            "Ben Okafor - Feestport",
            "dr-ben-okafor",
            "feestport",
            "primary-care",
            WEEKDAYS_9_TO_5,
            primary[1:],
            sort_order=3,
            accepting_new_patients=False,
        ),
        schedule(
            "Ben Okafor - Harbor Point",
            "dr-ben-okafor",
            "harbor-point",
            "urgent-care",
            WEEKEND_MORNINGS,
            ("sick-visit",),
            sort_order=1,
            slot_interval_minutes=20,
        ),
        schedule(
            "Walk-in - Harbor Point",
            "walk-in-harbor-point",
            "harbor-point",
            "urgent-care",
            WEEKDAYS_9_TO_5 + WEEKEND_MORNINGS,
            ("sick-visit",),
            sort_order=2,
            capacity=3,
            minimum_notice_minutes=0,
        ),
        schedule(
            "Chen Li - Lake Haven",
            "dr-chen-li",
            "lake-haven",
            "pediatrics",
            WEEKDAYS_9_TO_5,
            primary,
            sort_order=1,
            age_limit_threshold=18,
            age_limit_direction="younger",
        ),
        schedule(
            "Dana Fitzgerald - Lake Haven",
            "dr-dana-fitz",
            "lake-haven",
            "primary-care",
            EARLY_AND_EVENING,
            primary,
            ("medicare-part-b",),
            sort_order=2,
        ),
        schedule(
            "Eli Novak - Lake Haven",
            "dr-eli-novak",
            "lake-haven",
            "primary-care",
            WEEKDAYS_9_TO_5,
            primary,
            sort_order=3,
            active=False,
        ),
        schedule(
            "MRI - High Mesa",
            "mri-suite-high-mesa",
            "high-mesa",
            "imaging",
            WEEKDAYS_9_TO_5,
            ("mri-scan",),
            ("aarp-ppo-12", "aetna-choice-pos"),
            sort_order=1,
            slot_interval_minutes=45,
            capacity=2,
        ),
    ]
    add_visit_settings(rows[0])
    session.add_all(rows)


def add_visit_settings(schedule):
    """Form settings and validations of the schedule's own, beside the built-in rules."""
    schedule.visit_settings = VisitSettings(
        patient_instructions="Arrive 15 minutes early and bring your insurance card.",
        preregistration_form="https://winter-health.example.org/forms/preregistration",
        screening_questions="https://winter-health.example.org/forms/screening",
        emergency_keywords=["chest pain", "shortness of breath", "stroke", "severe bleeding"],
    )
    schedule.visit_validations = [
        VisitValidation(
            kind="format",
            attributes=["zip"],
            options={"with": "[0-9]{5}"},
            message="must be a 5-digit ZIP code",
        ),
        VisitValidation(kind="length", attributes=["state"], options={"is": 2}, position=1),
    ]


# Fictitious patients for the demo's booked visits.
DEMO_PATIENTS = [
    ("Avery", "Quill"),
    ("Blake", "Marlow"),
    ("Casey", "Fenwick"),
    ("Devon", "Ashgrove"),
    ("Emery", "Thornbury"),
    ("Finley", "Oakhurst"),
]


def book_demo_visits(session, system, now):
    """Book a few visits on the first free slots of some schedules, as POST /visits would."""
    schedules = session.scalars(
        select(Schedule)
        .where(Schedule.health_system_id == system.id, Schedule.active.is_(True))
        .order_by(Schedule.name)
    ).all()
    booked = 0
    for schedule, (first, last) in zip(schedules, DEMO_PATIENTS, strict=False):
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


def populate_summer_clinic(session, system):
    """Summer Clinic's small catalog, in `system` (the live one or its sandbox)."""
    owned = {"health_system": system}
    plan = InsurancePlan(slug="sunshine-ppo", company="Sunshine Health", name="PPO", **owned)
    location = Location(
        slug="sunnyside",
        name="Sunnyside Clinic",
        city="San Diego",
        state="CA",
        zip="92101",
        latitude=32.7157,
        longitude=-117.1611,
        time_zone_name="America/Los_Angeles",
        **owned,
    )
    service = Service(slug="primary-care", name="Primary Care", **owned)
    checkup = AppointmentType(
        slug="annual-physical",
        name="Annual Physical",
        priority=1,
        duration_minutes=30,
        services=[service],
        **owned,
    )
    provider = Provider(
        slug="dr-sol-rivera",
        name="Sol Rivera",
        gender="male",
        affiliation="employed",
        languages=["English", "Spanish"],
        provider_type="Practitioner",
        **owned,
    )
    row = Schedule(
        id=schedule_id(system, "Sol Rivera - Sunnyside"),
        name="Sol Rivera - Sunnyside",
        provider=provider,
        location=location,
        service=service,
        time_zone_name="America/Los_Angeles",
        appointment_types=[checkup],
        insurance_plans=[plan],
        **owned,
    )
    row.weekly_windows = [
        WeeklyWindow(weekday=d, opens_at=o, closes_at=c) for d, o, c in WEEKDAYS_9_TO_5
    ]
    session.add(row)

"""The synthetic health system the bench runs on: every table's rows, from a fixed seed.

One live health system (with its empty sandbox) publishes a catalog shaped like a real
one: specialties of very different popularity, locations across four time zones,
insurance plans at every level of the override chain, weekly hours with holidays, and
visits over 90 days placed on real slots, never two in one slot of a schedule. The same
size and anchor date always give the same rows.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import JSON

from bench.visits import FUTURE_DAYS, VISIT_COLUMNS, ScheduleSpec, VisitPlacer
from inquick.catalog.folding import fold, folded_parts
from inquick.models import AppointmentType, Location, Provider, Service

# Bumped whenever the rows change, so that a stored data set of an older shape is reloaded.
GENERATOR_VERSION = 1
SEED = 20261121
HOSTNAME = "bench-health.example.org"
SYSTEM_ID, SANDBOX_ID = 1, 2


@dataclass(frozen=True)
class Size:
    name: str
    providers: int
    schedules: int
    locations: int
    plans: int
    visits: int


SIZES = {
    "small": Size("small", 200, 400, 10, 50, 10_000),
    "medium": Size("medium", 2_000, 4_000, 100, 50, 100_000),
    "large": Size("large", 20_000, 40_000, 500, 50, 1_000_000),
}

# (slug, name, share of providers, appointment types offered: the first always).
GENERAL = ("new-patient", "annual-physical", "sick-visit", "follow-up", "telehealth-check-in")
SPECIALIST = ("new-patient", "consultation", "follow-up", "procedure", "telehealth-check-in")
SERVICES = (
    ("primary-care", "Primary Care", 0.40, GENERAL),
    ("family-medicine", "Family Medicine", 0.12, GENERAL),
    ("pediatrics", "Pediatrics", 0.10, GENERAL),
    ("cardiology", "Cardiology", 0.05, SPECIALIST),
    ("dermatology", "Dermatology", 0.05, SPECIALIST),
    ("orthopedics", "Orthopedics", 0.05, SPECIALIST),
    ("obstetrics-gynecology", "Obstetrics and Gynecology", 0.05, SPECIALIST),
    ("urgent-care", "Urgent Care", 0.04, ("sick-visit", "follow-up")),
    ("behavioral-health", "Behavioral Health", 0.04, SPECIALIST),
    ("neurology", "Neurology", 0.04, SPECIALIST),
    ("imaging", "Imaging", 0.03, ("imaging-scan",)),
    ("gastroenterology", "Gastroenterology", 0.03, SPECIALIST),
)
# (slug, name, priority, minutes, contexts)
APPOINTMENT_TYPES = (
    ("new-patient", "New Patient Visit", 1, 40, ["Patient"]),
    ("annual-physical", "Annual Physical", 2, 30, ["Patient", "Internal"]),
    ("consultation", "Specialist Consultation", 2, 30, ["Patient", "Internal"]),
    ("sick-visit", "Sick Visit", 3, 15, ["Patient", "Discharge"]),
    ("follow-up", "Follow-up", 4, 15, ["Discharge", "Internal"]),
    ("telehealth-check-in", "Telehealth Check-in", 5, 20, ["Patient"]),
    ("imaging-scan", "Imaging Scan", 5, 45, ["Patient"]),
    ("procedure", "Minor Procedure", 6, 60, ["Internal"]),
)
COMPANIES = ("Aetna", "Anthem", "Cigna", "Humana", "Kaiser", "Medicaid", "Medicare", "Oscar",
             "Tricare", "UnitedHealthcare")  # fmt: skip
PRODUCTS = ("HMO", "PPO", "EPO", "POS", "Choice Plus")
# Weekly hours in local time: (weekday, opens, closes), Monday = 0.
HOURS = (
    [(d, time(9), time(12)) for d in range(5)] + [(d, time(13), time(17)) for d in range(5)],
    [(d, time(8), time(16)) for d in range(4)],
    [(d, time(7), time(11)) for d in range(5)] + [(d, time(18), time(21)) for d in (1, 3)],
    [(d, time(10), time(18)) for d in range(1, 6)],
    [(d, time(8), time(17)) for d in (0, 2, 4)],
)
WEEKEND_MORNINGS = [(5, time(8), time(12)), (6, time(9), time(12))]
FIRST_NAMES = ("Avery", "Blair", "Casey", "Dana", "Eden", "Finley", "Gray", "Harper", "Indy",
               "Jordan", "Kai", "Logan", "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Reese",
               "Sage", "Tatum", "Umber", "Vale", "Wren", "Yael", "Zion")  # fmt: skip
LAST_NAMES = ("Abbot", "Bramble", "Corrow", "Dunmore", "Ellery", "Fairweather", "Galloway",
              "Hollis", "Ivers", "Jessop", "Kettering", "Lowell", "Marchetti", "Northcott",
              "Okonkwo", "Pemberton", "Quarry", "Rasmussen", "Sorensen", "Tremaine", "Underhill",
              "Vasquez", "Whitlock", "Yardley", "Zeller")  # fmt: skip
CITY_HEADS = ("North", "South", "East", "West", "Elm", "Oak", "Maple", "Cedar", "Pine", "Lake",
              "River", "Hill", "Stone", "Fair", "Green", "Clear")  # fmt: skip
CITY_TAILS = ("field", "brook", "port", "ville", "haven", "wood", "ridge", "dale", "view", "ford")
LANGUAGES = ("Spanish", "French", "Mandarin", "Vietnamese", "Arabic", "Polish")


def zone_at(longitude, rng):
    """A US time zone for a longitude, with Arizona's no-DST zone among the mountain ones."""
    if longitude > -87:
        return "America/New_York", "NY"
    if longitude > -101:
        return "America/Chicago", "IL"
    if longitude > -114:
        return ("America/Phoenix", "AZ") if rng.random() < 0.2 else ("America/Denver", "CO")
    return "America/Los_Angeles", "CA"


@dataclass
class Table:
    """Rows for one table, in the order of `columns`; `rows` may be a generator."""

    name: str
    columns: tuple
    rows: object
    count: int


class SyntheticSystem:
    """Every row of one data set; `tables()` lists them in the order they can be loaded."""

    def __init__(self, size, anchor):
        self.size = size
        self.anchor = anchor  # a Monday: day offsets map to weekdays by `% 7`
        self.rng = random.Random(f"{SEED}:{size.name}")
        self.created = datetime.combine(anchor - timedelta(days=365), time(), tzinfo=UTC)
        self.specs = []
        self._tables = []
        self._catalog()

    def tables(self):
        placer = VisitPlacer(self.specs, self.anchor, self.rng, self.size.visits, SYSTEM_ID)
        visits = Table("visits", VISIT_COLUMNS, placer.rows(), self.size.visits)
        counter = Table(
            "confirmation_counters", ("health_system_id", "last_number"),
            [(SYSTEM_ID, self.size.visits)], 1,
        )  # fmt: skip
        return [*self._tables, visits, counter]

    def _add(self, name, columns, rows):
        searched = SEARCHED.get(name)
        if searched is not None:
            rows = [(*row, *search_columns(columns, row, searched)) for row in rows]
            columns = (*columns, "search_name", "search_text")
        self._tables.append(Table(name, columns, rows, len(rows)))

    def _uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _owned(self, rows):
        """Rows of the live system: id, health system, then the row, then both timestamps."""
        return [(n, SYSTEM_ID, *row, self.created, self.created) for n, row in enumerate(rows, 1)]

    def _catalog(self):
        rng, size = self.rng, self.size
        stamps = (self.created, self.created)
        self._add(
            "health_systems",
            ("id", "slug", "mode", "live_system_id", "name", "use_gtm_container",
             "disable_google_indexing", "gtm_container", "gtag_conversion_event_id", "gtag_id",
             "created_at", "updated_at"),
            [(SYSTEM_ID, "bench-health", "live", None, "Bench Health", False, False, None, None,
              "G-BENCH001", *stamps),
             (SANDBOX_ID, "bench-health", "test", SYSTEM_ID, "Bench Health", False, False, None,
              None, None, *stamps)],
        )  # fmt: skip
        self._add(
            "partner_hostnames", ("hostname", "health_system_id"),
            [(HOSTNAME, SYSTEM_ID), (f"book.{HOSTNAME}", SYSTEM_ID)],
        )  # fmt: skip
        owned = ("id", "health_system_id", "slug")
        stamped = ("created_at", "updated_at")

        plans = [(c, p) for c in COMPANIES for p in PRODUCTS][: size.plans]
        defaults = set(rng.sample(range(len(plans)), 5))
        self._add(
            "insurance_plans", (*owned, "company", "name", "accepted_by_default", *stamped),
            self._owned(
                (f"{c}-{p}".lower().replace(" ", "-"), c, p, n in defaults)
                for n, (c, p) in enumerate(plans)
            ),
        )  # fmt: skip
        plan_ids = range(1, len(plans) + 1)

        def some_plans(low, high):
            return sorted(rng.sample(plan_ids, rng.randint(low, high)))

        regions = max(2, size.locations // 20)
        self._add(
            "regions", (*owned, "name", *stamped),
            self._owned((f"region-{n + 1}", f"Region {n + 1}") for n in range(regions)),
        )  # fmt: skip
        self._add(
            "region_insurance_plans", ("region_id", "insurance_plan_id"),
            [(r, p) for r in range(1, regions + 1) if rng.random() < 0.5
             for p in some_plans(5, 10)],
        )  # fmt: skip

        locations = []
        for n in range(size.locations):
            lat, lng = round(rng.uniform(30, 47), 4), round(rng.uniform(-122, -71), 4)
            zone, state = zone_at(lng, rng)
            city = f"{rng.choice(CITY_HEADS)}{rng.choice(CITY_TAILS)}"
            region = rng.randint(1, regions) if rng.random() < 0.8 else None
            locations.append((
                f"{city.lower()}-{n + 1}", f"{city} Clinic {n + 1}", f"{city} Medical Center",
                f"{rng.randint(1, 999)} Bench Street", city, state, f"{rng.randint(10000, 99999)}",
                f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}", lat, lng, zone, region,
            ))  # fmt: skip
        self._add(
            "locations",
            (*owned, "name", "facility_name", "address", "city", "state", "zip", "phone",
             "latitude", "longitude", "time_zone_name", "region_id", *stamped),
            self._owned(locations),
        )  # fmt: skip
        self._add(
            "location_insurance_plans", ("location_id", "insurance_plan_id"),
            [(n, p) for n in range(1, size.locations + 1) if rng.random() < 0.3
             for p in some_plans(4, 8)],
        )  # fmt: skip

        self._add(
            "services", (*owned, "name", *stamped),
            self._owned((slug, name) for slug, name, _, _ in SERVICES),
        )  # fmt: skip
        groups = max(2, size.providers // 50)
        self._add(
            "medical_groups", (*owned, "name", *stamped),
            self._owned((f"group-{n + 1}", f"{rng.choice(LAST_NAMES)} Medical Group {n + 1}")
                        for n in range(groups)),
        )  # fmt: skip
        self._add(
            "appointment_types",
            (*owned, "name", "priority", "duration_minutes", "contexts", *stamped),
            self._owned((slug, name, priority, minutes, orjson.dumps(contexts).decode())
                        for slug, name, priority, minutes, contexts in APPOINTMENT_TYPES),
        )  # fmt: skip
        type_ids = {row[0]: n for n, row in enumerate(APPOINTMENT_TYPES, 1)}
        minutes_of = {n: row[3] for n, row in enumerate(APPOINTMENT_TYPES, 1)}
        self._add(
            "appointment_type_services", ("appointment_type_id", "service_id"),
            sorted({(type_ids[t], n) for n, s in enumerate(SERVICES, 1) for t in s[3]}),
        )  # fmt: skip

        providers, specialties, group_links = self._providers(groups)
        self._add(
            "providers",
            (*owned, "name", "suffix", "credentials", "provider_type", "gender", "affiliation",
             "bio", "backgrounds", "subspecialties", "languages", "grad_school",
             "undergrad_school", "card_image", "profile_image", *stamped),
            self._owned(providers),
        )  # fmt: skip
        self._add("provider_medical_groups", ("provider_id", "medical_group_id"), group_links)
        self._schedules(providers, specialties, locations, type_ids, minutes_of, some_plans)

    def _providers(self, groups):
        rng = self.rng
        rows, specialties, links = [], [], []
        weights = [share for _, _, share, _ in SERVICES]
        for n in range(self.size.providers):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            slug = f"dr-{first}-{last}-{n + 1}".lower()
            resource = rng.random() < 0.03
            if resource:
                service = next(i for i, s in enumerate(SERVICES) if s[0] == "imaging")
                name, kind, gender, credentials = f"MRI Suite {n + 1}", "HealthResource", None, None
            else:
                service = rng.choices(range(len(SERVICES)), weights)[0]
                name, kind = f"{first} {last}", "Practitioner"
                gender = rng.choice(("female", "male"))
                credentials = rng.choice(("MD", "DO", "NP", "PA-C", "MD, FACP"))
            languages = ["English", *rng.sample(LANGUAGES, rng.choice((0, 0, 0, 1, 2)))]
            rows.append((
                slug, name, "Jr." if rng.random() < 0.03 else None, credentials, kind, gender,
                rng.choice(("employed", "affiliated", None)),
                f"{name} practises {SERVICES[service][1].lower()} at Bench Health.",
                orjson.dumps(["Residency at Bench General"] if rng.random() < 0.3 else []).decode(),
                orjson.dumps([SERVICES[service][1]] if rng.random() < 0.2 else []).decode(),
                orjson.dumps(languages).decode(),
                "Bench School of Medicine", "Bench College",
                f"https://{HOSTNAME}/images/{slug}-card.jpg",
                f"https://{HOSTNAME}/images/{slug}.jpg",
            ))  # fmt: skip
            specialties.append(service)
            for group in rng.sample(range(1, groups + 1), 2 if rng.random() < 0.1 else 1):
                links.append((n + 1, group))
        return rows, specialties, links

    def _schedules(self, providers, specialties, locations, type_ids, minutes_of, some_plans):
        rng, size = self.rng, self.size
        rows, plan_links, type_links, windows, exceptions = [], [], [], [], []
        settings, validations = [], []
        for n in range(size.schedules):
            provider = n % size.providers
            service = specialties[provider]
            location = rng.randrange(size.locations)
            zone_name = locations[location][10]
            schedule_id = self._uuid()
            offered = SERVICES[service][3]
            kinds = [offered[0], *rng.sample(offered[1:], rng.randint(0, len(offered) - 1))]
            kind_ids = [type_ids[k] for k in kinds]
            imaging = SERVICES[service][0] == "imaging"
            interval = 45 if imaging else rng.choices((15, 20, 30), (5, 2, 3))[0]
            hours = list(rng.choice(HOURS)) + (WEEKEND_MORNINGS if rng.random() < 0.1 else [])
            active = rng.random() < 0.97
            pediatric = SERVICES[service][0] == "pediatrics"
            age = (18, "younger") if pediatric else (18, "older") if rng.random() < 0.05 else None
            rows.append((
                schedule_id, SYSTEM_ID, f"{providers[provider][1]} - {locations[location][4]}",
                "Provider" if providers[provider][4] == "Practitioner" else "Resource",
                rng.randint(1, 5), zone_name, active, rng.random() < 0.8,
                age and age[0], age and age[1],
                orjson.dumps(["Spanish"] if rng.random() < 0.1 else []).decode(),
                location + 1, provider + 1, service + 1, interval,
                rng.choices((1, 2, 3), (92, 5, 3))[0], rng.choice((60, 60, 60, 120, 1440, 0)),
                rng.choice((60, 90, 120)), self.created, self.created,
            ))  # fmt: skip
            if rng.random() < 0.5:
                plan_links.extend((schedule_id, p) for p in some_plans(3, 8))
            type_links.extend((schedule_id, k) for k in kind_ids)
            windows.extend((schedule_id, *w) for w in hours)
            spec = ScheduleSpec(
                schedule_id, ZoneInfo(zone_name), hours, interval,
                [(k, minutes_of[k]) for k in kind_ids], active,
            )  # fmt: skip
            exceptions.extend(self._exceptions(spec))
            if rng.random() < 0.1:
                settings.append((
                    schedule_id, None, "Arrive 15 minutes early and bring your insurance card.",
                    f"https://{HOSTNAME}/forms/preregistration", None,
                    orjson.dumps(["chest pain", "stroke", "severe bleeding"]).decode(),
                ))  # fmt: skip
            if rng.random() < 0.05:
                validations.append(
                    (
                        self._uuid(),
                        schedule_id,
                        0,
                        "format",
                        '["zip"]',
                        '{"with": "[0-9]{5}"}',
                        "must be a 5-digit ZIP code",
                    )
                )
                validations.append((self._uuid(), schedule_id, 1, "length", '["state"]',
                                    '{"is": 2}', None))  # fmt: skip
            self.specs.append(spec)
        self._add(
            "schedules",
            ("id", "health_system_id", "name", "schedule_type", "sort_order", "time_zone_name",
             "active", "accepting_new_patients", "age_limit_threshold", "age_limit_direction",
             "translator_languages", "location_id", "provider_id", "service_id",
             "slot_interval_minutes", "capacity", "minimum_notice_minutes",
             "booking_horizon_days", "created_at", "updated_at"),
            rows,
        )  # fmt: skip
        self._add("schedule_insurance_plans", ("schedule_id", "insurance_plan_id"), plan_links)
        self._add("schedule_appointment_types", ("schedule_id", "appointment_type_id"), type_links)
        self._add(
            "weekly_windows", ("id", "schedule_id", "weekday", "opens_at", "closes_at"),
            [(n, *row) for n, row in enumerate(windows, 1)],
        )  # fmt: skip
        self._add(
            "schedule_exceptions",
            ("id", "schedule_id", "on_date", "closed", "opens_at", "closes_at"),
            [(n, *row) for n, row in enumerate(exceptions, 1)],
        )  # fmt: skip
        self._add(
            "visit_settings",
            ("schedule_id", "enabled_fields", "patient_instructions", "preregistration_form",
             "screening_questions", "emergency_keywords"),
            settings,
        )  # fmt: skip
        self._add(
            "visit_validations",
            ("id", "schedule_id", "position", "kind", "attributes", "options", "message"),
            validations,
        )  # fmt: skip

    def _exceptions(self, spec):
        """A holiday on some schedules and a Saturday clinic on a few, in the coming weeks."""
        rng, found = self.rng, []
        if rng.random() < 0.15:
            day = self.anchor + timedelta(days=rng.randrange(2, FUTURE_DAYS))
            spec.closed_days.add(day)
            found.append((spec.id, day, True, None, None))
        if rng.random() < 0.05:
            saturday = self.anchor + timedelta(days=7 * rng.randrange(1, 4) + 5)
            found.append((spec.id, saturday, False, time(9), time(12)))
        return found


# The tables `filter[search]` reads, by their models: COPY writes past the ORM, which
# otherwise folds a row's name-like attributes into its search columns.
SEARCHED = {model.__tablename__: model for model in (Provider, Location, Service, AppointmentType)}


def search_columns(columns, row, model):
    """A row's `search_name` and `search_text`, as the app's ORM would write them (the
    row holds JSON columns as JSON text)."""
    values = dict(zip(columns, row, strict=True))
    parts = [
        orjson.loads(values[name])
        if isinstance(model.__table__.c[name].type, JSON)
        else values[name]
        for name in model.search_sources
    ]
    return fold(values["name"]), folded_parts(*parts)


def anchor_for(today):
    """The Monday of `today`'s week: data sets made in one week share their dates."""
    return today - timedelta(days=today.weekday())

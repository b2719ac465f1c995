"""The catalog types the write tests walk, the documents that write them, and the checks of
the answers (tests/resources/test_*_writes.py, test_refused_*.py and test_write_access.py)."""

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy import inspect as inspect_row

from inquick.models import (
    AppointmentType,
    HealthSystem,
    InsurancePlan,
    Location,
    MedicalGroup,
    Provider,
    Schedule,
    ScheduleException,
    Service,
    WeeklyWindow,
)
from tests import factories

ROOT = "http://localhost/api/v3/tenant-a.example.org"
CODES = {
    400: ("invalid-document", "Invalid request document"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    409: ("conflict", "Conflict"),
    422: ("unprocessable", "Unprocessable entity"),
}


# --- The types under test ---------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """A writable type: a valid new resource, the id made from its name, a valid change."""

    type: str
    model: type
    factory: type | None
    create: dict = field(default_factory=dict)
    slug: str | None = None  # the id a POST without one gets (schedules: a UUID)
    patch: dict = field(default_factory=dict)  # differs from what the factory makes

    def __str__(self):
        return self.type


HOURS = [
    {"day": "monday", "opens-at": "08:00", "closes-at": "12:00"},
    {"day": "monday", "opens-at": "13:00", "closes-at": "17:30"},
    {"day": "saturday", "opens-at": "09:00", "closes-at": "12:30"},
]
EXCEPTIONS = [
    {"date": "2030-12-24", "closed": False, "opens-at": "09:00", "closes-at": "11:00"},
    {"date": "2030-12-25", "closed": True, "opens-at": None, "closes-at": None},
]
CREATABLE = [
    Kind(
        "locations",
        Location,
        factories.LocationFactory,
        {
            "name": "Harbor View Clinic",
            "facility-name": "Harbor View Medical Center",
            "address": "9 Wharf Street",
            "city": "Feestport",
            "state": "ME",
            "zip": "04101",
            "phone": "207-555-0199",
            "latitude": 43.5,
            "longitude": -70.25,
            "time-zone-name": "America/Chicago",
        },
        "harbor-view-clinic",
        {"city": "Portland", "latitude": 44.1},
    ),
    Kind(
        "services",
        Service,
        factories.ServiceFactory,
        {"name": "Sports Medicine"},
        "sports-medicine",
        {"name": "Sports & Spine Medicine"},
    ),
    Kind(
        "medical-groups",
        MedicalGroup,
        factories.MedicalGroupFactory,
        {"name": "Coastal Partners"},
        "coastal-partners",
        {"name": "Coastal Medical Partners"},
    ),
    Kind(
        "appointment-types",
        AppointmentType,
        factories.AppointmentTypeFactory,
        {
            "name": "Flu Shot Clinic",
            "priority": 2,
            "duration-minutes": 15,
            "contexts": ["Patient", "Internal"],
        },
        "flu-shot-clinic",
        {"duration-minutes": 20, "contexts": ["Discharge"]},
    ),
    Kind(
        "insurance-plans",
        InsurancePlan,
        factories.InsurancePlanFactory,
        {"company": "Acme Health", "name": "Gold PPO", "accepted-by-default": True},
        "gold-ppo",
        {"accepted-by-default": True},
    ),
    Kind(
        "providers",
        Provider,
        factories.ProviderFactory,
        {
            "name": "Dr. Zoë Ávila",
            "credentials": "MD",
            "provider-type": "Practitioner",
            "gender": "female",
            "affiliation": "affiliated",
            "languages": ["English", "Portuguese"],
            "card-image": "https://img.example.org/avila.png",
            # Sent in the shape it is read in ("name" is ignored).
            "medical-groups": [{"id": "harbor-group", "name": "Harbor Group"}],
        },
        "dr-zoe-avila",
        {"bio": "Sails on weekends.", "languages": ["English", "Portuguese"]},
    ),
    Kind(
        "schedules",
        Schedule,
        factories.ScheduleFactory,
        {
            "name": "Saturday clinic",
            "schedule-type": "Provider",
            "sort-order": 4,
            "time-zone-name": "America/Chicago",
            "accepting-new-patients": False,
            "age-limit-threshold": 18,
            "age-limit-direction": "older",
            "translator-languages": ["Spanish"],
            "hours": HOURS,
            "exceptions": EXCEPTIONS,
            "slot-interval-minutes": 20,
            "capacity": 2,
            "minimum-notice-minutes": 120,
            "booking-horizon-days": 30,
        },
        None,
        {"capacity": 3, "accepting-new-patients": False},
    ),
]
HEALTH_SYSTEMS = Kind(
    "health-systems",
    HealthSystem,
    None,
    patch={"gtm-container": "GTM-NEW1", "use-gtm-container": True},
)
KINDS = {kind.type: kind for kind in [*CREATABLE, HEALTH_SYSTEMS]}
PATCHABLE = list(KINDS.values())
SLUGGED = [kind for kind in CREATABLE if kind.slug]
# What a new schedule must link to (rows of `world`).
SCHEDULE_LINKS = {"location": ("locations", "harbor"), "provider": ("providers", "dr-lee")}

# --- Helpers ----------------------------------------------------------------------------


def identifier(type_, id_):
    return {"type": type_, "id": id_}


def to_one(type_, id_):
    """A to-one relationship object (null when `id_` is None)."""
    return {"data": None if id_ is None else identifier(type_, id_)}


def to_many(type_, *ids):
    return {"data": [identifier(type_, id_) for id_ in ids]}


def create_body(kind, id_=None, attributes=None, relationships=None):
    """A POST document for `kind`: its valid attributes unless others are given; a schedule
    links the location and provider it needs unless told otherwise."""
    data = {"type": kind.type, "attributes": kind.create if attributes is None else attributes}
    if id_ is not None:
        data["id"] = id_
    if kind.type == "schedules":
        links = {name: to_one(*target) for name, target in SCHEDULE_LINKS.items()}
        relationships = {**links, **(relationships or {})}
    if relationships:
        data["relationships"] = relationships
    return {"data": data}


def patch_body(kind, id_, attributes=None, relationships=None):
    data = {"type": kind.type, "id": id_}
    if attributes is not None:
        data["attributes"] = attributes
    if relationships is not None:
        data["relationships"] = relationships
    return {"data": data}


def stored(session, kind, id_, system_id):
    """The row of `kind` that has this API id in the health system, or None."""
    if kind.model is HealthSystem:
        return session.scalar(select(HealthSystem).where(HealthSystem.slug == id_))
    id_column = Schedule.id if kind.model is Schedule else kind.model.slug
    statement = select(kind.model).where(id_column == id_, kind.model.health_system_id == system_id)
    return session.scalar(statement)


def row_count(session, kind):
    return session.scalar(select(func.count()).select_from(kind.model))


def existing(kind, tenant):
    """A row of `kind` in `tenant` (the health system itself for health-systems), and its id."""
    row = tenant if kind.model is HealthSystem else kind.factory(health_system=tenant)
    return row, row.slug  # a schedule's slug is its id


def columns(session, row):
    """Every column of `row` as the database holds it now."""
    session.refresh(row)
    return {column.key: getattr(row, column.key) for column in inspect_row(row).mapper.column_attrs}


def error(status, detail, pointer=None):
    """A whole JSON:API error object as the API answers it."""
    code, title = CODES[status]
    problem = {"status": str(status), "code": code, "title": title, "detail": detail}
    if pointer is not None:
        problem["source"] = {"pointer": pointer}
    return problem


def assert_refused(response, status, *errors):
    """The answer is `status` with exactly these error objects."""
    assert response.status_code == status, response.json
    assert response.json["errors"] == list(errors)


def assert_pointed(response, status, *pointers):
    """The answer is `status` with one error of that status per pointer (in any order)."""
    assert response.status_code == status, response.json
    code, title = CODES[status]
    problems = response.json["errors"]
    assert {(p["status"], p["code"], p["title"], bool(p["detail"])) for p in problems} == {
        (str(status), code, title, True)
    }
    assert sorted(p["source"]["pointer"] for p in problems) == sorted(pointers)


def assert_refused_at(response, statuses, pointer):
    """One error, of one of `statuses`, pointing at `pointer` or at something inside it."""
    assert response.status_code in statuses, response.get_data()
    [problem] = response.json["errors"]
    assert problem["status"] == str(response.status_code)
    found = problem["source"]["pointer"]
    assert found == pointer or found.startswith(f"{pointer}/"), found


def follow(api, url):
    """GET an absolute URL the API handed out, with the Api's key."""
    return api.client.get(url, headers={"Authorization": api.secret})


def own_links(session, owner_type, owner_id, attribute, tenant_id):
    """The ids a row links to through `attribute` (a schedule's own plans, not inherited)."""
    row = stored(session, KINDS[owner_type], owner_id, tenant_id)
    return sorted(linked.slug for linked in getattr(row, attribute))


def windows_of(session, schedule_id):
    statement = select(WeeklyWindow).where(WeeklyWindow.schedule_id == schedule_id)
    return sorted(
        (w.weekday, w.opens_at.isoformat("minutes"), w.closes_at.isoformat("minutes"))
        for w in session.scalars(statement)
    )


def exception_dates(session, schedule_id):
    statement = select(ScheduleException.on_date).where(
        ScheduleException.schedule_id == schedule_id
    )
    return sorted(on_date.isoformat() for on_date in session.scalars(statement))


@dataclass(frozen=True)
class ToMany:
    """A writable to-many relationship: its owner type, name, target type, model attribute
    (the schedule's own plans, not the effective ones read) and three target ids."""

    owner: str
    name: str
    target: str
    attribute: str
    ids: tuple

    def __str__(self):
        return f"{self.owner}.{self.name}"


TO_MANY = [
    ToMany("locations", "insurance-plans", "insurance-plans", "insurance_plans",
           ("plan-a", "plan-b", "plan-c")),
    ToMany("appointment-types", "services", "services", "services",
           ("primary-care", "urgent-care", "walk-in")),
    ToMany("schedules", "insurance-plans", "insurance-plans", "insurance_plans",
           ("plan-a", "plan-b", "plan-c")),
    ToMany("schedules", "appointment-types", "appointment-types", "appointment_types",
           ("checkup", "flu-shot", "physical")),
]  # fmt: skip


def named(type_, id_, **members):
    """A resource object of `type_`, with `id_` when there is one."""
    return {"type": type_, **({} if id_ is None else {"id": id_}), **members}


def linkage_write(writer, world, how, owner, name, linkage):
    """Write `linkage` to a relationship of `world`'s row of `owner`: through its
    relationship endpoint (PATCH) or in a resource body (PATCH, or a new row's POST)."""
    kind, owner_id = KINDS[owner], world["ids"][owner]
    if how == "endpoint":
        return writer.patch(f"/{owner}/{owner_id}/relationships/{name}", linkage), "/data"
    pointer = f"/data/relationships/{name}/data"
    if how == "post":
        return writer.post(f"/{owner}", create_body(kind, relationships={name: linkage})), pointer
    body = patch_body(kind, owner_id, None, {name: linkage})
    return writer.patch(f"/{owner}/{owner_id}", body), pointer

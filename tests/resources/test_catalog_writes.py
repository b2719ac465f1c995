"""Catalog writes (scope catalog:write): create, change, delete and link every catalog type.

For locations, services, medical-groups, appointment-types, insurance-plans, providers and
schedules (and PATCH of the caller's own health-systems) this proves that:

- a POST stores the resource for the caller's health system, under the client's id (a
  slug; a UUID for schedules) or a slug made from its name, and answers 201 with its URL;
- a PATCH changes exactly the attributes and relationships it sends; a DELETE removes the
  row, unless a schedule still uses it (409);
- relationship linkage is replaced, added to and removed from, through relationship
  endpoints and inside resource bodies; a schedule reads its effective insurance plans;
- schedule hours, exceptions, time zones, age limits and capacities are checked, and a new
  schedule is served at once;
- every malformed document, id, attribute or linkage is refused with the JSON:API error its
  fault calls for, pointing at it, and leaves the database as it was. No attribute that the
  API manages itself (ids, tenancy, timestamps, `active`) can be assigned;
- a key without catalog:write changes nothing, and another system's rows are out of reach.

Writes are checked in the database through `session`, not only in the answer.
"""

import uuid
from dataclasses import dataclass, field

import pytest
from flask import request_finished, request_started
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
from tests.conftest import Api, make_key

ROOT = "http://localhost/api/v3/tenant-a.example.org"
CODES = {
    400: ("invalid-document", "Invalid request document"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    409: ("conflict", "Conflict"),
    422: ("unprocessable", "Unprocessable entity"),
}

pytestmark = pytest.mark.usefixtures("world")


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


# --- Fixtures ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def each_request_has_its_own_session(app, session):
    """Run each request as production does, in a session of its own.

    A request there starts from committed rows and loses what it leaves uncommitted. The
    suite shares one session with the test instead: without this, a request's rollback
    (on a 409) would take the test's unflushed rows with it, and a refused write's
    half-applied changes would reach the database with the test's next query.
    """

    def commit_the_tests_rows(_sender, **_extra):
        session.commit()

    def discard_what_the_request_left(_sender, **_extra):
        session.rollback()

    request_started.connect(commit_the_tests_rows, app)
    request_finished.connect(discard_what_the_request_left, app)
    yield
    request_started.disconnect(commit_the_tests_rows, app)
    request_finished.disconnect(discard_what_the_request_left, app)


@pytest.fixture
def world(tenant, other_tenant):
    """`tenant`'s rows that writes link to, with known ids, and one schedule using the
    location `harbor`, provider `dr-lee` and service `primary-care`. `other_tenant` has
    rows of the same ids, which no request of `tenant` may reach."""

    def rows(factory, *slugs, system=tenant, **values):
        return {slug: factory(health_system=system, slug=slug, **values) for slug in slugs}

    plans = rows(factories.InsurancePlanFactory, "plan-a", "plan-b", "plan-c")
    services = rows(factories.ServiceFactory, "primary-care", "urgent-care", "walk-in")
    rows(factories.MedicalGroupFactory, "harbor-group", name="Harbor Group")
    rows(factories.MedicalGroupFactory, "bay-group", name="Bay Group")
    rows(factories.AppointmentTypeFactory, "checkup", "flu-shot", "physical")
    locations = rows(factories.LocationFactory, "harbor", time_zone_name="America/Denver")
    rows(factories.LocationFactory, "bayside", time_zone_name="America/Los_Angeles")
    providers = rows(factories.ProviderFactory, "dr-lee", "dr-kim")
    schedule = factories.ScheduleFactory(
        health_system=tenant,
        location=locations["harbor"],
        provider=providers["dr-lee"],
        service=services["primary-care"],
        insurance_plans=[],
        appointment_types=[],
    )
    for factory in (factories.InsurancePlanFactory, factories.MedicalGroupFactory):
        rows(factory, "plan-a", "their-row", system=other_tenant)
    rows(factories.LocationFactory, "harbor", "their-row", system=other_tenant)
    return {
        "schedule": schedule,
        "plans": plans,
        # The row of each type that the linkage tests write to.
        "ids": {"locations": "harbor", "appointment-types": "checkup", "schedules": schedule.id},
    }


@pytest.fixture
def reader(client, session, tenant):
    """An Api of `tenant` that reads the catalog and availability, and writes nothing."""
    secret = make_key(session, tenant, scopes=["catalog:read", "availability:read"])
    return Api(client, "tenant-a.example.org", secret)


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


# --- Create -----------------------------------------------------------------------------


@pytest.mark.parametrize("client_id", [True, False], ids=["client-id", "no-id"])
@pytest.mark.parametrize("kind", CREATABLE, ids=str)
def test_post_creates_the_resource(writer, session, tenant, kind, client_id):
    chosen = (str(uuid.uuid4()) if kind.model is Schedule else "chosen-id") if client_id else None
    response = writer.post(f"/{kind.type}", create_body(kind, chosen))

    assert response.status_code == 201, response.json
    data = response.json["data"]
    if chosen:
        assert data["id"] == chosen
    elif kind.slug:
        assert data["id"] == kind.slug
    else:
        assert str(uuid.UUID(data["id"], version=4)) == data["id"]
    assert data["type"] == kind.type
    assert response.headers["Location"] == data["links"]["self"]
    assert data["links"]["self"] == f"{ROOT}/{kind.type}/{data['id']}"
    assert {name: data["attributes"][name] for name in kind.create} == kind.create
    row = stored(session, kind, data["id"], tenant.id)
    assert row is not None and row.health_system_id == tenant.id
    assert row.name == kind.create["name"]
    shown = follow(writer, response.headers["Location"])
    assert shown.status_code == 200
    assert shown.json["data"] == data


@pytest.mark.parametrize("kind", SLUGGED, ids=str)
def test_a_name_already_used_gets_a_numbered_id(writer, session, tenant, kind):
    first = writer.post(f"/{kind.type}", create_body(kind))
    second = writer.post(f"/{kind.type}", create_body(kind))
    assert (first.status_code, second.status_code) == (201, 201)
    assert [first.json["data"]["id"], second.json["data"]["id"]] == [kind.slug, f"{kind.slug}-2"]
    for id_ in (kind.slug, f"{kind.slug}-2"):
        assert stored(session, kind, id_, tenant.id).name == kind.create["name"]


@pytest.mark.parametrize("kind", SLUGGED, ids=str)
def test_a_name_without_latin_letters_gets_the_types_name_as_id(writer, kind):
    attributes = {**kind.create, "name": "診療所"}
    response = writer.post(f"/{kind.type}", create_body(kind, attributes=attributes))
    assert response.status_code == 201, response.json
    assert response.json["data"]["id"] == kind.type.removesuffix("s")
    assert response.json["data"]["attributes"]["name"] == "診療所"


def test_an_id_another_health_system_uses_is_free(writer, session, tenant, other_tenant):
    response = writer.post("/locations", create_body(KINDS["locations"], "their-row"))
    assert response.status_code == 201, response.json
    assert stored(session, KINDS["locations"], "their-row", tenant.id) is not None
    theirs = stored(session, KINDS["locations"], "their-row", other_tenant.id)
    assert theirs.name != KINDS["locations"].create["name"]


# --- Change -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", PATCHABLE, ids=str)
def test_patch_changes_exactly_the_attributes_sent(writer, session, tenant, kind):
    row, id_ = existing(kind, tenant)
    before = writer.get(f"/{kind.type}/{id_}").json["data"]

    response = writer.patch(f"/{kind.type}/{id_}", patch_body(kind, id_, kind.patch))

    assert response.status_code == 200, response.json
    after = response.json["data"]
    assert after["attributes"] == {**before["attributes"], **kind.patch}
    assert {**after, "attributes": None} == {**before, "attributes": None}
    assert writer.get(f"/{kind.type}/{id_}").json["data"] == after
    session.refresh(row)
    for name, value in kind.patch.items():
        assert getattr(row, name.replace("-", "_")) == value, name


def test_a_patch_reaches_only_the_callers_row(writer, session, tenant, other_tenant):
    kind = KINDS["locations"]
    theirs = columns(session, stored(session, kind, "harbor", other_tenant.id))
    response = writer.patch("/locations/harbor", patch_body(kind, "harbor", {"city": "Portland"}))
    assert response.status_code == 200, response.json
    assert stored(session, kind, "harbor", tenant.id).city == "Portland"
    assert columns(session, stored(session, kind, "harbor", other_tenant.id)) == theirs


@pytest.mark.parametrize("kind", PATCHABLE, ids=str)
def test_another_systems_rows_cannot_be_changed_or_deleted(writer, session, other_tenant, kind):
    row, id_ = existing(kind, other_tenant)
    before = columns(session, row)
    changed = writer.patch(f"/{kind.type}/{id_}", patch_body(kind, id_, kind.patch))
    deleted = writer.delete(f"/{kind.type}/{id_}")
    assert changed.status_code == 404, changed.json
    assert deleted.status_code in (403, 404), deleted.json  # health-systems: never deleted
    assert columns(session, row) == before


# --- Delete -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [k for k in CREATABLE if k.model is not Schedule], ids=str)
def test_delete_removes_the_row(writer, session, tenant, kind):
    _row, id_ = existing(kind, tenant)
    response = writer.delete(f"/{kind.type}/{id_}")
    assert response.status_code == 204
    assert response.get_data() == b""
    assert "Content-Type" not in response.headers
    assert stored(session, kind, id_, tenant.id) is None
    assert writer.get(f"/{kind.type}/{id_}").status_code == 404


def test_deleting_a_schedule_without_visits_removes_it(writer, session, tenant, world):
    schedule_id = world["schedule"].id
    response = writer.delete(f"/schedules/{schedule_id}")
    assert response.status_code == 200, response.json
    assert response.json == {"jsonapi": {"version": "1.1"}, "meta": {"cancelled-visits": 0}}
    assert stored(session, KINDS["schedules"], schedule_id, tenant.id) is None
    assert writer.get(f"/schedules/{schedule_id}").status_code == 404


@pytest.mark.parametrize(
    ("type_", "id_"),
    [("locations", "harbor"), ("providers", "dr-lee"), ("services", "primary-care")],
)
def test_a_row_a_schedule_uses_cannot_be_deleted(writer, session, tenant, world, type_, id_):
    response = writer.delete(f"/{type_}/{id_}")
    detail = f"Other resources still refer to {type_} {id_!r}; change them first."
    assert_refused(response, 409, error(409, detail))
    assert stored(session, KINDS[type_], id_, tenant.id) is not None
    assert writer.get(f"/{type_}/{id_}").status_code == 200
    relationship = type_.removesuffix("s")  # the schedule's location, provider or service
    still = writer.get(f"/schedules/{world['schedule'].id}/relationships/{relationship}")
    assert still.json["data"] == identifier(type_, id_)


def test_a_type_a_visit_was_booked_as_cannot_be_deleted(writer, session, tenant, world):
    checkup = stored(session, KINDS["appointment-types"], "checkup", tenant.id)
    visit = factories.VisitFactory(schedule=world["schedule"], appointment_type=checkup)
    response = writer.delete("/appointment-types/checkup")
    detail = "Other resources still refer to appointment-types 'checkup'; change them first."
    assert_refused(response, 409, error(409, detail))
    session.expire_all()
    assert visit.appointment_type is not None and visit.appointment_type.slug == "checkup"


@pytest.mark.parametrize(
    ("type_", "id_", "attribute"),
    [
        ("insurance-plans", "plan-a", "insurance_plans"),
        ("appointment-types", "checkup", "appointment_types"),
    ],
)
def test_deleting_a_plan_or_type_takes_it_off_the_schedules(
    writer, session, tenant, world, type_, id_, attribute
):
    schedule = world["schedule"]
    setattr(schedule, attribute, [stored(session, KINDS[type_], id_, tenant.id)])
    session.flush()
    assert writer.delete(f"/{type_}/{id_}").status_code == 204
    session.refresh(schedule)
    assert getattr(schedule, attribute) == []


# --- Relationship linkage ---------------------------------------------------------------


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


@pytest.mark.parametrize("link", TO_MANY, ids=str)
def test_to_many_linkage_is_replaced_added_to_and_removed_from(
    writer, session, tenant, world, link
):
    owner_id = world["ids"][link.owner]
    url = f"/{link.owner}/{owner_id}/relationships/{link.name}"
    a, b, c = link.ids
    steps = [
        ("PATCH", [a, b], [a, b]),
        ("POST", [b, c, c], [a, b, c]),  # added once each, whatever was there
        ("DELETE", [a, b], [c]),
        ("PATCH", [c, a], [a, c]),
        ("PATCH", [], []),
    ]
    for method, sent, expected in steps:
        response = writer.send(method, url, to_many(link.target, *sent))
        assert response.status_code == 200, (method, sent, response.json)
        assert own_links(session, link.owner, owner_id, link.attribute, tenant.id) == expected
        if expected:  # (an emptied list of a schedule's plans reads as the inherited one)
            assert sorted(item["id"] for item in response.json["data"]) == expected
            assert all(item["type"] == link.target for item in response.json["data"])


@pytest.mark.parametrize("link", TO_MANY, ids=str)
def test_to_many_linkage_is_written_in_a_resource_body(writer, session, tenant, link):
    kind = KINDS[link.owner]
    a, b, c = link.ids
    created = writer.post(
        f"/{kind.type}", create_body(kind, relationships={link.name: to_many(link.target, a, b)})
    )
    assert created.status_code == 201, created.json
    new_id = created.json["data"]["id"]
    assert own_links(session, kind.type, new_id, link.attribute, tenant.id) == [a, b]

    relationships = {link.name: to_many(link.target, c)}
    changed = writer.patch(f"/{kind.type}/{new_id}", patch_body(kind, new_id, None, relationships))
    assert changed.status_code == 200, changed.json
    assert own_links(session, kind.type, new_id, link.attribute, tenant.id) == [c]
    linkage = writer.get(f"/{kind.type}/{new_id}/relationships/{link.name}")
    assert linkage.json["data"] == [identifier(link.target, c)]


TO_ONE = [
    ("location", "locations", "bayside"),
    ("provider", "providers", "dr-kim"),
    ("service", "services", "urgent-care"),
    ("service", "services", None),
]


@pytest.mark.parametrize("how", ["endpoint", "body"])
@pytest.mark.parametrize(("name", "target", "new_id"), TO_ONE)
def test_a_schedules_to_one_linkage_is_replaced(writer, session, world, name, target, new_id, how):
    schedule = world["schedule"]
    url = f"/schedules/{schedule.id}"
    if how == "endpoint":
        response = writer.patch(f"{url}/relationships/{name}", to_one(target, new_id))
    else:
        body = patch_body(KINDS["schedules"], schedule.id, None, {name: to_one(target, new_id)})
        response = writer.patch(url, body)
    assert response.status_code == 200, response.json
    session.refresh(schedule)
    linked = getattr(schedule, name)
    assert (linked.slug if linked else None) == new_id
    assert writer.get(f"{url}/relationships/{name}").json["data"] == to_one(target, new_id)["data"]
    assert schedule.time_zone_name == "America/New_York"  # a move keeps the schedule's zone


@pytest.mark.parametrize("how", ["endpoint", "body"])
@pytest.mark.parametrize("name", ["location", "provider"])
def test_a_schedules_location_and_provider_cannot_be_null(writer, session, world, name, how):
    schedule = world["schedule"]
    before = columns(session, schedule)
    url = f"/schedules/{schedule.id}"
    if how == "endpoint":
        response = writer.patch(f"{url}/relationships/{name}", {"data": None})
        pointer = "/data"
    else:
        body = patch_body(KINDS["schedules"], schedule.id, None, {name: {"data": None}})
        response = writer.patch(url, body)
        pointer = f"/data/relationships/{name}/data"
    assert_pointed(response, 422, pointer)
    assert columns(session, schedule) == before


def test_emptying_a_schedules_own_plans_shows_its_locations(writer, session, tenant, world):
    schedule = world["schedule"]
    harbor = stored(session, KINDS["locations"], "harbor", tenant.id)
    harbor.insurance_plans = [world["plans"]["plan-c"]]
    session.flush()
    url = f"/schedules/{schedule.id}/relationships/insurance-plans"
    assert writer.patch(url, to_many("insurance-plans", "plan-a")).status_code == 200
    assert writer.get(url).json["data"] == [identifier("insurance-plans", "plan-a")]

    response = writer.delete(url, to_many("insurance-plans", "plan-a"))

    assert response.status_code == 200, response.json
    assert response.json["data"] == [identifier("insurance-plans", "plan-c")]
    session.refresh(schedule)
    assert schedule.insurance_plans == []
    related = writer.get(f"/schedules/{schedule.id}/insurance-plans")
    assert [plan["id"] for plan in related.json["data"]] == ["plan-c"]


# --- Schedules --------------------------------------------------------------------------


def test_a_schedules_hours_and_exceptions_round_trip(writer, session):
    kind = KINDS["schedules"]
    created = writer.post("/schedules", create_body(kind))
    assert created.status_code == 201, created.json
    id_, attributes = created.json["data"]["id"], created.json["data"]["attributes"]
    assert (attributes["hours"], attributes["exceptions"]) == (HOURS, EXCEPTIONS)
    as_read = {"hours": attributes["hours"], "exceptions": attributes["exceptions"]}

    again = writer.patch(f"/schedules/{id_}", patch_body(kind, id_, as_read))

    assert again.status_code == 200, again.json
    assert again.json["data"]["attributes"] == attributes
    assert windows_of(session, id_) == [
        (0, "08:00", "12:00"),
        (0, "13:00", "17:30"),
        (5, "09:00", "12:30"),
    ]
    assert exception_dates(session, id_) == ["2030-12-24", "2030-12-25"]

    fewer = {
        "hours": [{"day": "sunday", "opens-at": "10:00", "closes-at": "14:00"}],
        "exceptions": [],
    }
    changed = writer.patch(f"/schedules/{id_}", patch_body(kind, id_, fewer))
    assert changed.status_code == 200, changed.json
    assert windows_of(session, id_) == [(6, "10:00", "14:00")]
    assert exception_dates(session, id_) == []


def test_a_new_schedule_takes_its_locations_time_zone_unless_it_names_one(writer, session, tenant):
    kind = KINDS["schedules"]
    attributes = {name: v for name, v in kind.create.items() if name != "time-zone-name"}
    inherited = writer.post("/schedules", create_body(kind, attributes=attributes))
    named = writer.post("/schedules", create_body(kind))
    assert (inherited.status_code, named.status_code) == (201, 201)
    assert inherited.json["data"]["attributes"]["time-zone-name"] == "America/Denver"
    assert named.json["data"]["attributes"]["time-zone-name"] == "America/Chicago"
    row = stored(session, kind, inherited.json["data"]["id"], tenant.id)
    assert row.time_zone_name == "America/Denver"


def test_an_age_limit_needs_its_direction(writer, session, world):
    kind, schedule = KINDS["schedules"], world["schedule"]
    detail = "age-limit-threshold and age-limit-direction are set (or cleared) together."
    expected = error(422, detail, "/data/attributes/age-limit-direction")
    half = {"name": "Teens", "age-limit-threshold": 13}
    count = row_count(session, kind)
    assert_refused(writer.post("/schedules", create_body(kind, attributes=half)), 422, expected)
    assert row_count(session, kind) == count

    before = columns(session, schedule)
    url = f"/schedules/{schedule.id}"
    refused = writer.patch(url, patch_body(kind, schedule.id, {"age-limit-threshold": 13}))
    assert_refused(refused, 422, expected)
    assert columns(session, schedule) == before

    both = {"age-limit-threshold": 13, "age-limit-direction": "younger"}
    assert writer.patch(url, patch_body(kind, schedule.id, both)).status_code == 200
    assert (schedule.age_limit_threshold, schedule.age_limit_direction) == (13, "younger")
    cleared = {"age-limit-threshold": None, "age-limit-direction": None}
    assert writer.patch(url, patch_body(kind, schedule.id, cleared)).status_code == 200
    assert (schedule.age_limit_threshold, schedule.age_limit_direction) == (None, None)


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("hours", [{"day": "monday", "opens-at": "09:00", "closes-at": "24:00"}]),
        ("hours", [{"day": "monday", "opens-at": "17:00", "closes-at": "09:00"}]),
        ("hours", [{"day": "monday", "opens-at": "09:00", "closes-at": "09:00"}]),
        ("hours", [{"day": "funday", "opens-at": "09:00", "closes-at": "17:00"}]),
        ("hours", [{"day": "Monday", "opens-at": "09:00", "closes-at": "17:00"}]),
        ("hours", [{"day": "monday", "opens-at": "09:00", "closes-at": "17:00", "note": "x"}]),
        ("hours", [{"day": "monday", "opens-at": "9:00", "closes-at": "17:00"}]),
        ("hours", [{"day": "monday", "opens-at": "09:00"}]),
        ("hours", ["monday 9-5"]),
        ("hours", {"monday": "09:00-17:00"}),
        ("hours", None),
        ("hours", [{"day": "monday", "opens-at": "09:00", "closes-at": "17:00"}] * 101),
        ("exceptions", [{"date": "2025-02-30", "closed": True}]),
        ("exceptions", [{"date": "2025-2-3", "closed": True}]),
        ("exceptions", [{"date": "2030-12-25", "closed": "yes"}]),
        ("exceptions", [{"date": "2030-12-25", "closed": True, "opens-at": "09:00"}]),
        ("exceptions", [{"date": "2030-12-25"}]),
        ("exceptions", [{"date": "2030-12-25", "closed": True, "reason": "holiday"}]),
    ],
)
def test_invalid_hours_and_exceptions_are_refused(writer, session, world, attribute, value):
    kind, schedule = KINDS["schedules"], world["schedule"]
    before = windows_of(session, schedule.id)
    response = writer.patch(
        f"/schedules/{schedule.id}", patch_body(kind, schedule.id, {attribute: value})
    )
    assert_pointed(response, 422, f"/data/attributes/{attribute}")
    assert windows_of(session, schedule.id) == before
    assert exception_dates(session, schedule.id) == []


def test_a_new_schedule_is_served_at_once(writer, reader, tenant):
    every_day = [
        {"day": day, "opens-at": "00:00", "closes-at": "23:59"}
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    ]
    attributes = {"name": "Open all hours", "hours": every_day, "booking-horizon-days": 7}
    created = writer.post("/schedules", create_body(KINDS["schedules"], attributes=attributes))
    assert created.status_code == 201, created.json
    id_ = created.json["data"]["id"]

    assert reader.get(f"/schedules/{id_}").status_code == 200
    at_location = reader.get("/locations/harbor/schedules")
    assert id_ in [schedule["id"] for schedule in at_location.json["data"]]
    times = reader.get("/available-appointment-times", {"schedule_ids[]": id_})
    assert times.status_code == 200, times.json
    [entry] = times.json["data"]
    assert entry["attributes"]["schedule-id"] == id_
    assert entry["attributes"]["times"]


# --- Providers and insurance plans ------------------------------------------------------


def test_a_providers_medical_groups_are_written_as_read(writer, session, tenant):
    kind = KINDS["providers"]
    row, id_ = existing(kind, tenant)
    groups = [{"id": "harbor-group"}, {"id": "bay-group", "name": "ignored"}]
    response = writer.patch(f"/providers/{id_}", patch_body(kind, id_, {"medical-groups": groups}))
    assert response.status_code == 200, response.json
    assert response.json["data"]["attributes"]["medical-groups"] == [
        {"id": "bay-group", "name": "Bay Group"},
        {"id": "harbor-group", "name": "Harbor Group"},
    ]
    session.refresh(row)
    assert [group.slug for group in row.medical_groups] == ["bay-group", "harbor-group"]
    emptied = writer.patch(f"/providers/{id_}", patch_body(kind, id_, {"medical-groups": []}))
    assert emptied.status_code == 200, emptied.json
    session.refresh(row)
    assert row.medical_groups == []


@pytest.mark.parametrize("group", ["no-such-group", "their-row"])
def test_an_unknown_medical_group_is_not_found(writer, session, tenant, group):
    kind = KINDS["providers"]
    row, id_ = existing(kind, tenant)
    before = columns(session, row)
    groups = {"medical-groups": [{"id": "harbor-group"}, {"id": group}], "bio": "New."}
    response = writer.patch(f"/providers/{id_}", patch_body(kind, id_, groups))
    expected = error(
        404, f"There is no medical-groups with id {group!r}.", "/data/attributes/medical-groups"
    )
    assert_refused(response, 404, expected)
    assert columns(session, row) == before
    assert row.medical_groups == []
    count = row_count(session, kind)
    attributes = {**kind.create, "medical-groups": [{"id": group}]}
    assert_refused(
        writer.post("/providers", create_body(kind, attributes=attributes)), 404, expected
    )
    assert row_count(session, kind) == count


def test_a_plan_no_active_schedule_accepts_is_unlisted_but_has_its_url(writer, reader):
    kind = KINDS["insurance-plans"]
    attributes = {**kind.create, "accepted-by-default": False}
    created = writer.post("/insurance-plans", create_body(kind, "quiet-plan", attributes))
    assert created.status_code == 201, created.json

    def listed():
        return [plan["id"] for plan in reader.get("/insurance-plans").json["data"]]

    assert "quiet-plan" not in listed()
    assert reader.get("/insurance-plans/quiet-plan").status_code == 200
    # The schedule of `world` has no plans of its own, its location's or its region's:
    # accepted by default, the plan is accepted there.
    accept = patch_body(kind, "quiet-plan", {"accepted-by-default": True})
    assert writer.patch("/insurance-plans/quiet-plan", accept).status_code == 200
    assert "quiet-plan" in listed()


# --- Refused documents ------------------------------------------------------------------


WRITES = [(kind, "POST") for kind in CREATABLE] + [(kind, "PATCH") for kind in PATCHABLE]
WRITE_IDS = [f"{method} {kind}" for kind, method in WRITES]


def write_target(kind, method, tenant):
    """The URL a write goes to (the collection, or a new row of `tenant`) and its id."""
    if method == "POST":
        return f"/{kind.type}", None
    _row, id_ = existing(kind, tenant)
    return f"/{kind.type}/{id_}", id_


def named(type_, id_, **members):
    """A resource object of `type_`, with `id_` when there is one."""
    return {"type": type_, **({} if id_ is None else {"id": id_}), **members}


BAD_DOCUMENTS = [
    ("array", lambda t, i: [named(t, i)], "", "The document must be a JSON object."),
    ("string", lambda t, i: t, "", "The document must be a JSON object."),
    ("no data", lambda t, i: {"meta": {}}, "/data", "The document must have a `data` member."),
    ("data array", lambda t, i: {"data": [named(t, i)]}, "/data",
     "`data` must be a resource object."),
    ("data null", lambda t, i: {"data": None}, "/data", "`data` must be a resource object."),
    ("no type", lambda t, i: {"data": {"attributes": {}}}, "/data/type",
     "A resource object needs a string `type`."),
    ("data and errors", lambda t, i: {"data": named(t, i), "errors": []}, "/errors",
     "A document cannot hold both `data` and `errors`."),
    ("attributes array", lambda t, i: {"data": named(t, i, attributes=[])}, "/data/attributes",
     "`attributes` must be an object."),
    ("numeric id", lambda t, i: {"data": {"type": t, "id": 7}}, "/data/id",
     "A resource's id is a string."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "make", "pointer", "detail"), BAD_DOCUMENTS, ids=[case[0] for case in BAD_DOCUMENTS]
)
@pytest.mark.parametrize(("kind", "method"), WRITES, ids=WRITE_IDS)
def test_a_malformed_document_is_a_bad_request(
    writer, session, tenant, kind, method, label, make, pointer, detail
):
    path, id_ = write_target(kind, method, tenant)
    count = row_count(session, kind)
    response = writer.send(method, path, make(kind.type, id_))
    assert_refused(response, 400, error(400, detail, pointer))
    assert row_count(session, kind) == count


def as_some_clients_send_it(document):
    """`document` with what some client libraries add: `included` (here a change to a row
    the write does not touch), and members of the client's own on the document, the
    resource object and each relationship object and resource identifier in it."""
    own = {"x-client": {"library": "example", "draft": True}}

    def identifiers(linkage):
        if isinstance(linkage, list):
            return [{**item, **own} for item in linkage]
        return linkage and {**linkage, **own}

    data = {**document["data"], **own}
    if "relationships" in data:
        data["relationships"] = {
            name: {**relationship, **own, "data": identifiers(relationship["data"])}
            for name, relationship in data["relationships"].items()
        }
    walk_in = {"type": "services", "id": "walk-in", "attributes": {"name": "Renamed"}}
    return {**document, **own, "data": data, "included": [walk_in]}


@pytest.mark.parametrize(("kind", "method"), WRITES, ids=WRITE_IDS)
def test_members_the_api_does_not_use_are_ignored(writer, session, tenant, kind, method):
    """JSON:API 1.1 has servers ignore members they do not recognize: the write succeeds as
    it would without them, and `included` changes nothing."""
    path, id_ = write_target(kind, method, tenant)
    plain = create_body(kind) if method == "POST" else patch_body(kind, id_, kind.patch)
    response = writer.send(method, path, as_some_clients_send_it(plain))
    assert response.status_code == (201 if method == "POST" else 200), response.json
    data = response.json["data"]
    sent = plain["data"]["attributes"]
    assert {name: data["attributes"][name] for name in sent} == sent
    assert writer.get(f"/{kind.type}/{data['id']}").json["data"] == data
    assert stored(session, KINDS["services"], "walk-in", tenant.id).name != "Renamed"


@pytest.mark.parametrize(("kind", "method"), WRITES, ids=WRITE_IDS)
def test_a_body_that_is_not_json_is_a_bad_request(writer, tenant, kind, method):
    path, _id = write_target(kind, method, tenant)
    headers = {"Content-Type": "application/vnd.api+json"}
    response = writer.send(method, path, data='{"data": {', headers=headers)
    assert_refused(response, 400, error(400, "The request body is not a JSON document.", ""))


@pytest.mark.parametrize(("kind", "method"), WRITES, ids=WRITE_IDS)
def test_a_document_of_another_type_is_a_conflict(writer, session, tenant, kind, method):
    path, id_ = write_target(kind, method, tenant)
    other = "services" if kind.type != "services" else "locations"
    count = row_count(session, kind)
    response = writer.send(method, path, {"data": named(other, id_, attributes=kind.patch)})
    detail = f"This endpoint takes resources of type {kind.type!r}."
    assert_refused(response, 409, error(409, detail, "/data/type"))
    assert row_count(session, kind) == count


@pytest.mark.parametrize("kind", PATCHABLE, ids=str)
def test_a_patch_names_the_id_of_its_url(writer, session, tenant, kind):
    row, id_ = existing(kind, tenant)
    before = columns(session, row)
    url = f"/{kind.type}/{id_}"
    other_id = "row-elsewhere" if kind.model is not Schedule else str(uuid.uuid4())
    mismatched = writer.patch(url, patch_body(kind, other_id, kind.patch))
    detail = "The document's id must be the id in the URL."
    assert_refused(mismatched, 409, error(409, detail, "/data/id"))
    unnamed = writer.patch(url, {"data": {"type": kind.type, "attributes": kind.patch}})
    assert_refused(unnamed, 400, error(400, "An update names the resource's id.", "/data/id"))
    assert columns(session, row) == before


@pytest.mark.parametrize("kind", CREATABLE, ids=str)
def test_a_taken_client_id_is_a_conflict(writer, session, tenant, kind):
    row, id_ = existing(kind, tenant)
    before, count = columns(session, row), row_count(session, kind)
    response = writer.post(f"/{kind.type}", create_body(kind, id_))
    assert_refused(response, 409, error(409, f"The {kind.type} id {id_!r} is taken.", "/data/id"))
    assert row_count(session, kind) == count
    assert columns(session, row) == before


MALFORMED_IDS = [(kind, bad) for kind in SLUGGED for bad in
                 ("Bad Id", "a" * 101, "-lead", "trail-", "two--dashes", "ünïcode", "")] + [
    (KINDS["schedules"], bad) for bad in
    ("not-a-uuid", "0F8FAD5B-D9CB-469F-A165-70867728950E", "0f8fad5bd9cb469fa16570867728950e",
     "harbor")
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "bad_id"), MALFORMED_IDS, ids=[f"{k}:{b[:12]}" for k, b in MALFORMED_IDS]
)
def test_a_malformed_client_id_is_unprocessable(writer, session, kind, bad_id):
    count = row_count(session, kind)
    assert_pointed(writer.post(f"/{kind.type}", create_body(kind, bad_id)), 422, "/data/id")
    assert row_count(session, kind) == count


def test_a_slug_of_the_longest_length_is_accepted(writer):
    response = writer.post("/services", create_body(KINDS["services"], "a" * 100))
    assert response.status_code == 201, response.json
    assert response.json["data"]["id"] == "a" * 100


# --- Refused attributes -----------------------------------------------------------------


def refused_attribute(writer, session, tenant, kind, attribute, value, status, detail=None):
    """PATCH `attribute` (beside a valid change) and POST it: each answers the one error
    object pointing at it (with `detail`, when given), and neither changes the database."""
    pointer = f"/data/attributes/{attribute}"

    def check(response):
        if detail is None:
            assert_pointed(response, status, pointer)
        else:
            assert_refused(response, status, error(status, detail, pointer))

    row, id_ = existing(kind, tenant)
    before = columns(session, row)
    check(
        writer.patch(f"/{kind.type}/{id_}", patch_body(kind, id_, {**kind.patch, attribute: value}))
    )
    assert columns(session, row) == before
    if kind.factory is not None:
        count = row_count(session, kind)
        attributes = {**kind.create, attribute: value}
        check(writer.post(f"/{kind.type}", create_body(kind, attributes=attributes)))
        assert row_count(session, kind) == count


WRONG_JSON_TYPES = [
    ("appointment-types", "priority", "5", "a whole number"),
    ("appointment-types", "duration-minutes", 15.0, "a whole number"),
    ("appointment-types", "contexts", "Patient", "an array"),
    ("insurance-plans", "accepted-by-default", 1, "true or false"),
    ("insurance-plans", "company", 42, "a string"),
    ("schedules", "accepting-new-patients", "true", "true or false"),
    ("schedules", "capacity", "2", "a whole number"),
    ("schedules", "sort-order", True, "a whole number"),
    ("services", "name", 5, "a string"),
    ("medical-groups", "name", ["Coastal"], "a string"),
    ("locations", "latitude", "43.5", "a number"),
    ("locations", "longitude", False, "a number"),
    ("locations", "zip", 4101, "a string"),
    ("providers", "languages", "English", "an array"),
    ("providers", "name", {"first": "Zoë"}, "a string"),
    ("health-systems", "use-gtm-container", "yes", "true or false"),
    ("health-systems", "gtag-id", 12345, "a string"),
]


@pytest.mark.parametrize(
    ("type_", "attribute", "value", "described"),
    WRONG_JSON_TYPES,
    ids=[f"{t}.{a}" for t, a, _v, _d in WRONG_JSON_TYPES],
)
def test_an_attribute_of_the_wrong_json_type_is_unprocessable(
    writer, session, tenant, type_, attribute, value, described
):
    refused_attribute(
        writer,
        session,
        tenant,
        KINDS[type_],
        attribute,
        value,
        422,
        f"{attribute}: must be {described}",
    )


INVALID_VALUES = [
    ("schedules", "capacity", 0),
    ("schedules", "capacity", 1001),
    ("schedules", "sort-order", 2**31),
    ("schedules", "booking-horizon-days", 0),
    ("schedules", "time-zone-name", "Mars/Olympus_Mons"),
    ("schedules", "time-zone-name", None),
    ("schedules", "translator-languages", [""]),
    ("schedules", "age-limit-direction", "sideways"),
    ("schedules", "name", "   "),
    ("appointment-types", "priority", 11),
    ("appointment-types", "duration-minutes", 4),
    ("appointment-types", "contexts", []),
    ("appointment-types", "contexts", ["Walk-in"]),
    ("providers", "gender", "other"),
    ("providers", "provider-type", "Robot"),
    ("providers", "card-image", "ftp://img.example.org/a.png"),
    ("providers", "languages", ["x" * 101]),
    ("providers", "medical-groups", ["harbor-group"]),
    ("providers", "medical-groups", None),
    ("locations", "latitude", 91),
    ("locations", "time-zone-name", "EST5EDT-ish"),
    ("locations", "name", None),
    ("insurance-plans", "name", ""),
    ("health-systems", "name", " "),
]


@pytest.mark.parametrize(
    ("type_", "attribute", "value"),
    INVALID_VALUES,
    ids=[f"{t}.{a}={v!r:.12}" for t, a, v in INVALID_VALUES],
)
def test_an_invalid_value_is_unprocessable(writer, session, tenant, type_, attribute, value):
    kind = KINDS[type_]
    row, id_ = existing(kind, tenant)
    before = columns(session, row)
    response = writer.patch(
        f"/{kind.type}/{id_}", patch_body(kind, id_, {**kind.patch, attribute: value})
    )
    assert_pointed(response, 422, f"/data/attributes/{attribute}")
    assert columns(session, row) == before


COLUMN_LIMITS = [
    ("locations", "state", 40),
    ("locations", "name", 200),
    ("services", "name", 200),
    ("medical-groups", "name", 200),
    ("appointment-types", "name", 200),
    ("insurance-plans", "company", 200),
    ("providers", "credentials", 120),
    ("schedules", "schedule-type", 40),
    ("health-systems", "gtm-container", 40),
]


@pytest.mark.parametrize(
    ("type_", "attribute", "limit"), COLUMN_LIMITS, ids=[f"{t}.{a}" for t, a, _l in COLUMN_LIMITS]
)
def test_a_string_longer_than_its_column_is_unprocessable(
    writer, session, tenant, type_, attribute, limit
):
    kind = KINDS[type_]
    refused_attribute(
        writer,
        session,
        tenant,
        kind,
        attribute,
        "é" * (limit + 1),
        422,
        f"{attribute}: must be at most {limit} characters long",
    )
    row, id_ = existing(kind, tenant)
    fits = writer.patch(f"/{kind.type}/{id_}", patch_body(kind, id_, {attribute: "é" * limit}))
    assert fits.status_code == 200, fits.json
    session.refresh(row)
    assert getattr(row, attribute.replace("-", "_")) == "é" * limit


NUL_VALUES = [
    ("services", "name", "Primary\x00Care"),
    ("locations", "address", "1 Main\x00Street"),
    ("providers", "languages", ["Eng\x00lish"]),
    ("schedules", "hours", [{"day": "monday\x00", "opens-at": "09:00", "closes-at": "17:00"}]),
    ("schedules", "exceptions", [{"date\x00": "2030-12-25", "closed": True}]),
    ("health-systems", "name", "Tenant\x00A"),
]


@pytest.mark.parametrize(
    ("type_", "attribute", "value"), NUL_VALUES, ids=[f"{t}.{a}" for t, a, _v in NUL_VALUES]
)
def test_a_nul_character_is_unprocessable(writer, session, tenant, type_, attribute, value):
    refused_attribute(
        writer,
        session,
        tenant,
        KINDS[type_],
        attribute,
        value,
        422,
        f"{attribute}: must not contain NUL characters",
    )


READ_ONLY = [
    ("schedules", "service-name", "Urgent Care"),
    ("providers", "appointment-types", [{"id": "checkup", "name": "Checkup"}]),
]


@pytest.mark.parametrize(
    ("type_", "attribute", "value"), READ_ONLY, ids=[f"{t}.{a}" for t, a, _v in READ_ONLY]
)
def test_a_read_only_attribute_is_unprocessable(writer, session, tenant, type_, attribute, value):
    refused_attribute(
        writer, session, tenant, KINDS[type_], attribute, value, 422, f"{attribute} is read-only."
    )


MANAGED = [
    "id",
    "type",
    "slug",
    "health-system",
    "health-system-id",
    "health_system_id",
    "created-at",
    "updated-at",
    "active",
]
MANAGED_BY_KIND = [(kind, name) for kind in PATCHABLE for name in MANAGED] + [
    (HEALTH_SYSTEMS, name) for name in ("mode", "live-system-id", "hostnames")
]


def managed_value(name, other_tenant):
    """A value a client hijacking the attribute would send."""
    return {
        "id": "hijacked",
        "type": "services",
        "slug": "hijacked",
        "health-system": {"type": "health-systems", "id": "tenant-b"},
        "health-system-id": other_tenant.id,
        "health_system_id": other_tenant.id,
        "created-at": "2001-01-01T00:00:00Z",
        "updated-at": "2001-01-01T00:00:00Z",
        "active": False,
        "mode": "test",
        "live-system-id": other_tenant.id,
        "hostnames": ["evil.example.org"],
    }[name]


@pytest.mark.parametrize(
    ("kind", "name"), MANAGED_BY_KIND, ids=[f"{k}.{n}" for k, n in MANAGED_BY_KIND]
)
def test_an_attribute_the_api_manages_cannot_be_assigned(
    writer, session, tenant, other_tenant, kind, name
):
    refused_attribute(
        writer,
        session,
        tenant,
        kind,
        name,
        managed_value(name, other_tenant),
        422,
        f"{kind.type} have no attribute {name!r}.",
    )


def test_each_bad_attribute_gets_its_own_error(writer, session):
    kind = KINDS["providers"]
    attributes = {
        "name": 5,
        "gender": "other",
        "credentials": "x" * 121,
        "slug": "x",
        "appointment-types": [],
        "bio": "ok",
    }
    count = row_count(session, kind)
    response = writer.post("/providers", create_body(kind, attributes=attributes))
    pointers = [f"/data/attributes/{name}" for name in attributes if name != "bio"]
    assert_pointed(response, 422, *pointers)
    assert row_count(session, kind) == count


@pytest.mark.parametrize(
    ("type_", "missing"),
    [
        ("services", ["name"]),
        ("medical-groups", ["name"]),
        ("appointment-types", ["name"]),
        ("insurance-plans", ["company", "name"]),
        ("locations", ["name", "time-zone-name"]),
        ("providers", ["name"]),
        ("schedules", ["name"]),
    ],
)
def test_a_required_attribute_missing_on_post_is_unprocessable(writer, session, type_, missing):
    kind = KINDS[type_]
    attributes = {n: v for n, v in kind.create.items() if n not in missing}
    count = row_count(session, kind)
    response = writer.post(f"/{type_}", create_body(kind, attributes=attributes))
    assert response.status_code == 422, response.json
    assert sorted(response.json["errors"], key=lambda e: e["detail"]) == [
        error(422, f"{name} is required.", f"/data/attributes/{name}") for name in missing
    ]
    assert row_count(session, kind) == count


def test_a_patch_needs_no_required_attribute(writer, tenant):
    _row, id_ = existing(KINDS["insurance-plans"], tenant)
    response = writer.patch(
        f"/insurance-plans/{id_}", patch_body(KINDS["insurance-plans"], id_, {})
    )
    assert response.status_code == 200, response.json


# --- Refused linkage --------------------------------------------------------------------


@pytest.mark.parametrize("missing", [["location"], ["provider"], ["location", "provider"]])
def test_a_schedule_needs_a_location_and_a_provider(writer, session, missing):
    kind = KINDS["schedules"]
    body = create_body(kind)
    for name in missing:
        del body["data"]["relationships"][name]
    count = row_count(session, kind)
    response = writer.post("/schedules", body)
    assert response.status_code == 422, response.json
    assert sorted(response.json["errors"], key=lambda e: e["detail"]) == [
        error(422, f"{name} is required.", f"/data/relationships/{name}") for name in missing
    ]
    assert row_count(session, kind) == count


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


BAD_LINKS = [
    # owner, relationship, linkage, status, where the error points under the linkage
    ("locations", "insurance-plans", to_many("insurance-plans", "plan-a", "nope"), 404, "/1"),
    ("locations", "insurance-plans", to_many("insurance-plans", "their-row"), 404, "/0"),
    ("locations", "insurance-plans", to_many("services", "primary-care"), 409, "/0/type"),
    ("locations", "insurance-plans", {"data": [{"type": "insurance-plans"}]}, 400, "/0/id"),
    ("locations", "insurance-plans", {"data": identifier("insurance-plans", "plan-a")}, 400, ""),
    ("appointment-types", "services", to_many("services", "walk-in", "nope"), 404, "/1"),
    ("appointment-types", "services", to_many("appointment-types", "checkup"), 409, "/0/type"),
    ("schedules", "appointment-types", to_many("appointment-types", "nope"), 404, "/0"),
    ("schedules", "insurance-plans", to_many("insurance-plans", "plan-b", "nope"), 404, "/1"),
    ("schedules", "location", to_one("locations", "their-row"), 404, ""),
    ("schedules", "provider", to_one("providers", "nope"), 404, ""),
    ("schedules", "service", to_one("services", "nope"), 404, ""),
    ("schedules", "location", to_one("providers", "dr-kim"), 409, "/type"),
    ("schedules", "provider", to_many("providers", "dr-kim"), 400, ""),
]


@pytest.mark.parametrize("how", ["endpoint", "patch", "post"])
@pytest.mark.parametrize(
    ("owner", "name", "linkage", "status", "under"),
    BAD_LINKS,
    ids=[f"{o}.{n}-{s}{u}" for o, n, _l, s, u in BAD_LINKS],
)
def test_bad_linkage_is_refused(
    writer, session, tenant, world, how, owner, name, linkage, status, under
):
    kind = KINDS[owner]
    row = stored(session, kind, world["ids"][owner], tenant.id)
    before, count = columns(session, row), row_count(session, kind)
    links_before = {
        link.attribute: own_links(session, owner, world["ids"][owner], link.attribute, tenant.id)
        for link in TO_MANY
        if link.owner == owner
    }
    response, pointer = linkage_write(writer, world, how, owner, name, linkage)
    assert_pointed(response, status, pointer + under)
    assert columns(session, row) == before
    assert row_count(session, kind) == count
    for attribute, linked in links_before.items():
        assert own_links(session, owner, world["ids"][owner], attribute, tenant.id) == linked


@pytest.mark.parametrize("how", ["patch", "post"])
@pytest.mark.parametrize(
    ("owner", "name", "status", "detail"),
    [
        ("locations", "schedules", 403, "schedules cannot be changed through locations."),
        ("providers", "schedules", 403, "schedules cannot be changed through providers."),
        ("services", "schedules", 422, "services have no relationship 'schedules'."),
        ("schedules", "visits", 422, "schedules have no relationship 'visits'."),
    ],
)
def test_a_relationship_that_cannot_be_written_is_refused(
    writer, session, tenant, world, how, owner, name, status, detail
):
    kind = KINDS[owner]
    row, id_ = existing(kind, tenant)
    before, count = columns(session, row), row_count(session, kind)
    linkage = {name: to_many("schedules", world["schedule"].id)}
    if how == "post":
        response = writer.post(f"/{owner}", create_body(kind, relationships=linkage))
    else:
        response = writer.patch(f"/{owner}/{id_}", patch_body(kind, id_, None, linkage))
    assert_refused(response, status, error(status, detail, f"/data/relationships/{name}"))
    assert columns(session, row) == before
    assert row_count(session, kind) == count


# --- Text no database can take ---------------------------------------------------------

# `"\ud800"` is valid JSON but not Unicode text: neither database nor the JSON encoder of
# the answers can take it (as PostgreSQL cannot take a NUL in text). Such input is the
# client's fault: a 400 or 422 at what holds it, never a failure of the server.
LONE_SURROGATE = "\ud800"
UNENCODABLE_VALUES = [
    ("locations", "city", f"Feest{LONE_SURROGATE}port"),
    ("providers", "languages", [f"Eng{LONE_SURROGATE}lish"]),
    ("schedules", "name", LONE_SURROGATE),
]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize(
    ("type_", "attribute", "value"),
    UNENCODABLE_VALUES,
    ids=[f"{t}.{a}" for t, a, _v in UNENCODABLE_VALUES],
)
def test_a_lone_surrogate_in_a_value_is_refused(
    writer, session, tenant, type_, attribute, value, method
):
    kind = KINDS[type_]
    row, id_ = existing(kind, tenant)
    before, count = columns(session, row), row_count(session, kind)
    if method == "POST":
        body = create_body(kind, attributes={**kind.create, attribute: value})
        response = writer.post(f"/{type_}", body)
    else:
        response = writer.patch(f"/{type_}/{id_}", patch_body(kind, id_, {attribute: value}))
    assert_refused_at(response, (400, 422), f"/data/attributes/{attribute}")
    assert columns(session, row) == before
    assert row_count(session, kind) == count


@pytest.mark.parametrize(
    ("where", "pointer"),
    [("attribute", "/data/attributes"), ("member", "/data"), ("relationship", "/data")],
)
def test_a_lone_surrogate_in_a_name_is_refused(writer, session, tenant, where, pointer):
    """The error document about the member must still be one the API can send."""
    name = f"x{LONE_SURROGATE}"
    data = {"type": "locations", "id": "harbor"}
    if where == "attribute":
        data["attributes"] = {name: 1}
    elif where == "member":
        data[name] = 1
    else:
        data["relationships"] = {name: to_many("insurance-plans")}
    row = stored(session, KINDS["locations"], "harbor", tenant.id)
    before = columns(session, row)
    response = writer.patch("/locations/harbor", {"data": data})
    assert_refused_at(response, (400, 422), pointer)
    assert columns(session, row) == before


UNCOMPARABLE_LINKS = [
    # owner, relationship, linkage naming the id, where the identifier is under the linkage
    ("locations", "insurance-plans", lambda i: to_many("insurance-plans", "plan-a", i), "/1"),
    ("schedules", "provider", lambda i: to_one("providers", i), ""),
]


@pytest.mark.parametrize("how", ["endpoint", "patch", "post"])
@pytest.mark.parametrize(
    ("owner", "name", "make", "under"),
    UNCOMPARABLE_LINKS,
    ids=[f"{o}.{n}" for o, n, _m, _u in UNCOMPARABLE_LINKS],
)
@pytest.mark.parametrize("bad_id", ["a\x00b", f"a{LONE_SURROGATE}b"], ids=["nul", "surrogate"])
def test_a_linked_id_no_database_can_compare_is_refused(
    writer, session, tenant, world, bad_id, owner, name, make, under, how
):
    """No row has such an id: refused at the identifier alike on every database (a NUL
    in the URL is refused up front for the same reason, see inquick/jsonapi/hygiene)."""
    kind = KINDS[owner]
    row = stored(session, kind, world["ids"][owner], tenant.id)
    before, count = columns(session, row), row_count(session, kind)
    response, pointer = linkage_write(writer, world, how, owner, name, make(bad_id))
    assert_refused_at(response, (400, 404, 422), pointer + under)
    assert columns(session, row) == before
    assert row_count(session, kind) == count


# --- Who may write ----------------------------------------------------------------------


LACKS_WRITE = error(403, "This key lacks the catalog:write scope.")


@pytest.mark.parametrize("kind", PATCHABLE, ids=str)
def test_a_key_without_catalog_write_changes_nothing(api, session, tenant, world, kind):
    row, id_ = existing(kind, tenant)
    before, count = columns(session, row), row_count(session, kind)
    url = f"/{kind.type}/{id_}"
    assert_refused(api.patch(url, patch_body(kind, id_, kind.patch)), 403, LACKS_WRITE)
    if kind.factory is not None:
        assert_refused(api.post(f"/{kind.type}", create_body(kind)), 403, LACKS_WRITE)
    assert_refused(api.delete(url), 403, LACKS_WRITE)
    for link in (link for link in TO_MANY if link.owner == kind.type):
        linkage = to_many(link.target, *link.ids)
        for method in ("PATCH", "POST", "DELETE"):
            response = api.send(method, f"{url}/relationships/{link.name}", linkage)
            assert_refused(response, 403, LACKS_WRITE)
    assert columns(session, row) == before
    assert row_count(session, kind) == count


def test_a_key_without_catalog_write_cannot_relink_a_schedule(api, session, world):
    schedule = world["schedule"]
    before = columns(session, schedule)
    response = api.patch(
        f"/schedules/{schedule.id}/relationships/location", to_one("locations", "bayside")
    )
    assert_refused(response, 403, LACKS_WRITE)
    assert columns(session, schedule) == before


def test_health_systems_are_neither_created_nor_deleted(writer, session, tenant):
    before, count = columns(session, tenant), row_count(session, HEALTH_SYSTEMS)
    detail = "Health systems are created and removed by the deployment's operator."
    body = {"data": {"type": "health-systems", "attributes": {"name": "New System"}}}
    assert_refused(writer.post("/health-systems", body), 403, error(403, detail))
    assert_refused(writer.delete("/health-systems/tenant-a"), 403, error(403, detail))
    assert columns(session, tenant) == before
    assert row_count(session, HEALTH_SYSTEMS) == count


ALIASES = {
    "appointment_types": ("appointment-types", {"name": "Walk-in"}),
    "insurance_plans": ("insurance-plans", {"company": "Acme", "name": "Gold"}),
    "medical_groups": ("medical-groups", {"name": "Harbor Group"}),
}


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_the_underscored_alias_takes_every_write(writer, session, tenant, alias):
    """The reference's underscored paths write like the dasherized ones, links dasherized."""
    type_, attributes = ALIASES[alias]
    created = writer.post(f"/{alias}", {"data": {"type": type_, "attributes": attributes}})
    assert created.status_code == 201, created.json
    object_id = created.json["data"]["id"]
    assert created.headers["Location"].endswith(f"/{type_}/{object_id}")
    change = {"data": {"type": type_, "id": object_id, "attributes": {"name": "Renamed"}}}
    changed = writer.patch(f"/{alias}/{object_id}", change)
    assert (changed.status_code, changed.json["data"]["attributes"]["name"]) == (200, "Renamed")
    if alias == "appointment_types":
        factories.ServiceFactory(health_system=tenant, slug="alias-care")
        linkage = {"data": [{"type": "services", "id": "alias-care"}]}
        url = f"/{alias}/{object_id}/relationships/services"
        for method, expected in (
            ("PATCH", ["alias-care"]),
            ("DELETE", []),
            ("POST", ["alias-care"]),
        ):
            answer = writer.send(method, url, linkage)
            assert [i["id"] for i in answer.json["data"]] == expected, method
    assert writer.delete(f"/{alias}/{object_id}").status_code == 204
    assert writer.get(f"/{type_}/{object_id}").status_code == 404


def test_the_health_system_alias_takes_a_patch(writer, tenant):
    change = {
        "data": {"type": "health-systems", "id": tenant.slug, "attributes": {"gtag-id": "G-1"}}
    }
    changed = writer.patch(f"/health_systems/{tenant.slug}", change)
    assert (changed.status_code, changed.json["data"]["attributes"]["gtag-id"]) == (200, "G-1")
    assert writer.get("/health-systems/tenant-a").json["data"]["attributes"]["gtag-id"] == "G-1"


def test_at_members_are_ignored_as_json_api_asks(writer, session, tenant, world):
    """JSON:API 1.1: processors ignore @-members completely, at any level of a document."""
    body = {
        "@context": "https://example.org/annotations",
        "data": {
            "@note": "ours",
            "type": "appointment-types",
            "attributes": {"name": "Annotated", "duration-minutes": 20, "@label": "x"},
            "relationships": {
                "@rel": {},
                "services": {"data": [{"type": "services", "id": "walk-in", "@why": "x"}]},
            },
        },
    }
    response = writer.post("/appointment-types", body)
    assert response.status_code == 201, response.json
    assert response.json["data"]["attributes"]["name"] == "Annotated"
    linked = writer.get("/appointment-types/annotated/relationships/services")
    assert linked.json["data"] == [identifier("services", "walk-in")]

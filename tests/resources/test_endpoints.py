"""Every read endpoint answers for real data: lists, single resources, related and linkage."""

import re
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest

from inquick.auth.keys import SCOPES, issue_key
from inquick.booking.availability import free_times
from inquick.booking.references import shown
from inquick.booking.schedule_rules import rules_of
from inquick.extensions import db
from inquick.models import PartnerHostname, VisitValidation, WeeklyWindow
from tests import factories
from tests.conftest import Api, make_key

ROOT = "http://localhost/api/v3/tenant-a.example.org"
PREFIX = "/api/v3/<partner_hostname>/"
VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@pytest.fixture
def catalog(tenant):
    """A health system with a row of every type, an inactive schedule and a second location."""
    tenant.gtm_container = "GTM-W1NT3R"
    plan = factories.InsurancePlanFactory(
        health_system=tenant, slug="aarp-ppo-12", company="AARP", name="PPO 12"
    )
    other_plan = factories.InsurancePlanFactory(
        health_system=tenant, slug="cigna-open", company="Cigna", name="Open Access"
    )
    physical = factories.AppointmentTypeFactory(
        health_system=tenant,
        slug="annual-physical",
        name="Annual Physical",
        priority=1,
        duration_minutes=40,
    )
    sick = factories.AppointmentTypeFactory(
        health_system=tenant, slug="sick-visit", name="Sick Visit", priority=3, duration_minutes=20
    )
    retired = factories.AppointmentTypeFactory(
        health_system=tenant, slug="retired-visit", name="Retired Visit", priority=2
    )
    group = factories.MedicalGroupFactory(
        health_system=tenant, slug="maine-medical", name="Maine Medical Partners"
    )
    service = factories.ServiceFactory(
        health_system=tenant, slug="primary-care", name="Primary Care"
    )
    location = factories.LocationFactory(
        health_system=tenant,
        slug="feestport",
        name="Feestport Clinic",
        facility_name="Feestport Medical Center",
        address="1 Main Street",
        city="Feestport",
        state="ME",
        zip="04101",
        phone="207-555-0100",
        latitude=43.66,
        longitude=-70.26,
    )
    elsewhere = factories.LocationFactory(
        health_system=tenant,
        slug="south-portland",
        name="South Portland",
        insurance_plans=[other_plan],
    )
    provider = factories.ProviderFactory(
        health_system=tenant,
        slug="miss-kent-cormier",
        name="Miss Kent Cormier",
        credentials="MD",
        provider_type="Practitioner",
        gender="female",
        affiliation="employed",
        languages=["English", "Spanish"],
        medical_groups=[group],
    )
    machine = factories.ProviderFactory(
        health_system=tenant,
        slug="mri-machine",
        name="MRI Machine",
        provider_type="HealthResource",
        gender=None,
        affiliation="affiliated",
    )
    schedule = factories.ScheduleFactory(
        health_system=tenant,
        name="Dr Cormier at Feestport",
        sort_order=1,
        time_zone_name="America/Chicago",
        location=location,
        provider=provider,
        service=service,
        insurance_plans=[plan],
        appointment_types=[physical, sick],
        weekly_windows=[
            WeeklyWindow(weekday=0, opens_at=time(8), closes_at=time(12)),
            WeeklyWindow(weekday=2, opens_at=time(13, 30), closes_at=time(18)),
        ],
    )
    walk_in = factories.ScheduleFactory(
        health_system=tenant,
        name="MRI walk-in",
        sort_order=2,
        location=location,
        provider=machine,
        service=None,
        insurance_plans=[plan, other_plan],
    )
    inactive = factories.ScheduleFactory(
        health_system=tenant,
        name="Retired schedule",
        active=False,
        location=location,
        provider=provider,
        service=service,
        appointment_types=[retired],
    )
    away = factories.ScheduleFactory(
        health_system=tenant,
        name="Dr Cormier in South Portland",
        sort_order=3,
        location=elsewhere,
        provider=provider,
        service=service,
        appointment_types=[physical],
    )
    visit = factories.VisitFactory(schedule=schedule)
    return {
        "schedule": schedule,
        "walk_in": walk_in,
        "inactive": inactive,
        "away": away,
        # One id per type, to fill `<object_id>` in any route.
        "ids": {
            "health-systems": "tenant-a",
            "locations": "feestport",
            "services": "primary-care",
            "medical-groups": "maine-medical",
            "appointment-types": "annual-physical",
            "insurance-plans": "aarp-ppo-12",
            "providers": "miss-kent-cormier",
            "schedules": schedule.id,
            "visits": visit.id,
            "references": shown(visit.booking_reference),  # <reference>: a booking's
            "api-keys": str(stored_key(tenant).id),
            "validations": stored_validation(schedule).id,
            **webhook_ids(tenant),
        },
    }


def stored_validation(schedule):
    rule = VisitValidation(kind="length", attributes=["zip"], options={"is": 5})
    schedule.visit_validations.append(rule)
    db.session.flush()
    return rule


def webhook_ids(system):
    """An endpoint of the system, and a delivery in its log."""
    endpoint = factories.WebhookEndpointFactory(health_system_id=system.id)
    event = factories.WebhookEventFactory(health_system_id=system.id)
    delivery = factories.WebhookDeliveryFactory(endpoint=endpoint, event=event)
    return {"webhook-endpoints": endpoint.id, "webhook-deliveries": delivery.id}


def stored_key(system):
    key, _secret = issue_key(system, label="a key to look at")
    db.session.add(key)
    db.session.flush()
    return key


def assert_resource(obj, type_, id_, attributes=None):
    """`obj` is the resource object of (type_, id_), holding at least `attributes`."""
    assert (obj["type"], obj["id"]) == (type_, id_)
    assert obj["links"]["self"] == f"{ROOT}/{type_}/{id_}"
    for name, value in (attributes or {}).items():
        assert obj["attributes"][name] == value, name


def by_id(document):
    return {obj["id"]: obj for obj in document["data"]}


HEALTH_SYSTEM = {
    "name": "Tenant A",
    "use-gtm-container": False,
    "disable-google-indexing": False,
    "gtm-container": "GTM-W1NT3R",
    "gtag-conversion-event-id": None,
    "gtag-id": None,
    "publishes-slots": False,
    "booking-url": None,
}
FEESTPORT = {
    "name": "Feestport Clinic",
    "facility-name": "Feestport Medical Center",
    "address": "1 Main Street",
    "city": "Feestport",
    "state": "ME",
    "zip": "04101",
    "phone": "207-555-0100",
    "latitude": 43.66,
    "longitude": -70.26,
}
PHYSICAL = {"name": "Annual Physical", "priority": 1, "duration-minutes": 40}
CORMIER = {
    "name": "Miss Kent Cormier",
    "credentials": "MD",
    "provider-type": "Practitioner",
    "gender": "female",
    "affiliation": "employed",
    "languages": ["English", "Spanish"],
    # Gathered from active schedules only: the inactive one's "retired-visit" is absent.
    "appointment-types": [
        {"id": "annual-physical", "name": "Annual Physical"},
        {"id": "sick-visit", "name": "Sick Visit"},
    ],
    "medical-groups": [{"id": "maine-medical", "name": "Maine Medical Partners"}],
}
MACHINE = {
    "name": "MRI Machine",
    "provider-type": "HealthResource",
    "affiliation": "affiliated",
    "appointment-types": [],
    "medical-groups": [],
}
SCHEDULE = {
    "name": "Dr Cormier at Feestport",
    "service-name": "Primary Care",
    "time-zone-name": "America/Chicago",
    "sort-order": 1,
    "accepting-new-patients": True,
    "hours": [
        {"day": "monday", "opens-at": "08:00", "closes-at": "12:00"},
        {"day": "wednesday", "opens-at": "13:30", "closes-at": "18:00"},
    ],
}


def test_health_systems(api, catalog):
    listed = api.get("/health-systems")
    assert listed.status_code == 200
    assert [o["id"] for o in listed.json["data"]] == ["tenant-a"]
    assert_resource(listed.json["data"][0], "health-systems", "tenant-a", HEALTH_SYSTEM)
    shown = api.get("/health-systems/tenant-a")
    assert shown.status_code == 200
    assert_resource(shown.json["data"], "health-systems", "tenant-a", HEALTH_SYSTEM)


def test_locations(api, catalog):
    listed = api.get("/locations")
    assert listed.status_code == 200
    assert set(by_id(listed.json)) == {"feestport", "south-portland"}
    assert_resource(by_id(listed.json)["feestport"], "locations", "feestport", FEESTPORT)
    shown = api.get("/locations/feestport")
    assert shown.status_code == 200
    assert_resource(shown.json["data"], "locations", "feestport", FEESTPORT)


def test_services_and_medical_groups(api, catalog):
    services = api.get("/services")
    assert services.status_code == 200
    assert list(by_id(services.json)) == ["primary-care"]
    assert_resource(services.json["data"][0], "services", "primary-care", {"name": "Primary Care"})
    service = api.get("/services/primary-care").json["data"]
    assert_resource(service, "services", "primary-care", {"name": "Primary Care"})

    groups = api.get("/medical-groups")
    assert groups.status_code == 200
    assert list(by_id(groups.json)) == ["maine-medical"]
    group = api.get("/medical-groups/maine-medical").json["data"]
    assert_resource(group, "medical-groups", "maine-medical", {"name": "Maine Medical Partners"})


def test_appointment_types(api, catalog):
    listed = api.get("/appointment-types")
    assert listed.status_code == 200
    assert set(by_id(listed.json)) == {"annual-physical", "sick-visit", "retired-visit"}
    assert_resource(
        by_id(listed.json)["annual-physical"], "appointment-types", "annual-physical", PHYSICAL
    )
    shown = api.get("/appointment-types/sick-visit")
    assert shown.status_code == 200
    assert_resource(
        shown.json["data"],
        "appointment-types",
        "sick-visit",
        {"name": "Sick Visit", "priority": 3, "duration-minutes": 20},
    )


def test_insurance_plans(api, catalog):
    listed = api.get("/insurance-plans")
    assert listed.status_code == 200
    assert set(by_id(listed.json)) == {"aarp-ppo-12", "cigna-open"}
    plan = {"company": "AARP", "name": "PPO 12"}
    assert_resource(by_id(listed.json)["aarp-ppo-12"], "insurance-plans", "aarp-ppo-12", plan)
    shown = api.get("/insurance-plans/cigna-open")
    assert shown.status_code == 200
    assert_resource(
        shown.json["data"],
        "insurance-plans",
        "cigna-open",
        {"company": "Cigna", "name": "Open Access"},
    )


def test_providers(api, catalog):
    listed = api.get("/providers")
    assert listed.status_code == 200
    providers = by_id(listed.json)
    assert set(providers) == {"miss-kent-cormier", "mri-machine"}
    assert_resource(providers["miss-kent-cormier"], "providers", "miss-kent-cormier", CORMIER)
    assert_resource(providers["mri-machine"], "providers", "mri-machine", MACHINE)
    shown = api.get("/providers/miss-kent-cormier")
    assert shown.status_code == 200
    assert_resource(shown.json["data"], "providers", "miss-kent-cormier", CORMIER)


def test_schedules(api, catalog):
    schedule, walk_in, away = catalog["schedule"], catalog["walk_in"], catalog["away"]
    listed = api.get("/schedules")
    assert listed.status_code == 200
    schedules = by_id(listed.json)
    assert set(schedules) == {schedule.id, walk_in.id, away.id}
    assert_resource(schedules[schedule.id], "schedules", schedule.id, SCHEDULE)
    assert_resource(schedules[walk_in.id], "schedules", walk_in.id, {"service-name": None})
    shown = api.get(f"/schedules/{schedule.id}")
    assert shown.status_code == 200
    assert_resource(shown.json["data"], "schedules", schedule.id, SCHEDULE)
    assert uuid.UUID(shown.json["data"]["id"]).version == 4


def test_a_locations_schedules_are_its_active_ones(api, catalog):
    response = api.get("/locations/feestport/schedules")
    assert response.status_code == 200
    schedules = by_id(response.json)
    # Not the inactive schedule at feestport, not the schedule at south-portland.
    assert set(schedules) == {catalog["schedule"].id, catalog["walk_in"].id}
    schedule = schedules[catalog["schedule"].id]
    assert_resource(schedule, "schedules", catalog["schedule"].id, SCHEDULE)
    url = f"{ROOT}/schedules/{schedule['id']}"
    for name in ("provider", "service", "insurance-plans"):
        assert schedule["relationships"][name]["links"] == {
            "self": f"{url}/relationships/{name}",
            "related": f"{url}/{name}",
        }


def test_a_schedules_related_resources(api, catalog):
    schedule = catalog["schedule"].id
    location = api.get(f"/schedules/{schedule}/location")
    assert location.status_code == 200
    assert_resource(location.json["data"], "locations", "feestport", FEESTPORT)
    provider = api.get(f"/schedules/{schedule}/provider")
    assert provider.status_code == 200
    assert_resource(provider.json["data"], "providers", "miss-kent-cormier", CORMIER)
    service = api.get(f"/schedules/{schedule}/service")
    assert service.status_code == 200
    assert_resource(service.json["data"], "services", "primary-care", {"name": "Primary Care"})
    plans = api.get(f"/schedules/{schedule}/insurance-plans")
    assert plans.status_code == 200
    assert [o["id"] for o in plans.json["data"]] == ["aarp-ppo-12"]
    assert_resource(plans.json["data"][0], "insurance-plans", "aarp-ppo-12", {"company": "AARP"})
    types = api.get(f"/schedules/{schedule}/appointment-types")
    assert types.status_code == 200
    assert {o["id"] for o in types.json["data"]} == {"annual-physical", "sick-visit"}


def test_a_schedule_without_a_service_relates_to_null(api, catalog):
    walk_in = catalog["walk_in"].id
    service = api.get(f"/schedules/{walk_in}/service")
    assert service.status_code == 200
    assert service.json["data"] is None
    linkage = api.get(f"/schedules/{walk_in}/relationships/service")
    assert linkage.status_code == 200
    assert linkage.json["data"] is None
    plans = api.get(f"/schedules/{walk_in}/insurance-plans")
    assert {o["id"] for o in plans.json["data"]} == {"aarp-ppo-12", "cigna-open"}


def test_a_schedule_without_plans_of_its_own_relates_to_its_locations(api, catalog):
    away = catalog["away"].id
    plans = api.get(f"/schedules/{away}/insurance-plans")
    assert plans.status_code == 200
    assert [o["id"] for o in plans.json["data"]] == ["cigna-open"]
    linkage = api.get(f"/schedules/{away}/relationships/insurance-plans")
    assert linkage.json["data"] == [{"type": "insurance-plans", "id": "cigna-open"}]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("location", {"type": "locations", "id": "feestport"}),
        ("provider", {"type": "providers", "id": "miss-kent-cormier"}),
        ("service", {"type": "services", "id": "primary-care"}),
        ("insurance-plans", [{"type": "insurance-plans", "id": "aarp-ppo-12"}]),
    ],
)
def test_a_schedules_relationship_linkage(api, catalog, name, expected):
    schedule = catalog["schedule"].id
    response = api.get(f"/schedules/{schedule}/relationships/{name}")
    assert response.status_code == 200
    assert response.json["data"] == expected
    assert response.json["links"]["self"] == f"{ROOT}/schedules/{schedule}/relationships/{name}"
    assert response.json["links"]["related"] == f"{ROOT}/schedules/{schedule}/{name}"
    assert "included" not in response.json


def test_a_locations_schedules_linkage(api, catalog):
    response = api.get("/locations/feestport/relationships/schedules")
    assert response.status_code == 200
    assert sorted(response.json["data"], key=lambda i: i["id"]) == sorted(
        [
            {"type": "schedules", "id": catalog["schedule"].id},
            {"type": "schedules", "id": catalog["walk_in"].id},
        ],
        key=lambda i: i["id"],
    )
    assert response.json["links"]["self"] == f"{ROOT}/locations/feestport/relationships/schedules"
    assert response.json["links"]["related"] == f"{ROOT}/locations/feestport/schedules"


def without_links(document):
    """The members of a document that do not depend on the path it was requested at."""
    return {k: v for k, v in document.items() if k != "links"}


@pytest.mark.parametrize(
    ("path", "alias"),
    [
        ("/appointment-types", "/appointment_types"),
        ("/appointment-types/annual-physical", "/appointment_types/annual-physical"),
        ("/insurance-plans", "/insurance_plans"),
        ("/insurance-plans/aarp-ppo-12", "/insurance_plans/aarp-ppo-12"),
        ("/health-systems", "/health_systems"),
        ("/health-systems/tenant-a", "/health_systems/tenant-a"),
        ("/medical-groups", "/medical_groups"),
        ("/medical-groups/maine-medical", "/medical_groups/maine-medical"),
    ],
)
def test_underscored_paths_answer_the_same_documents(api, catalog, path, alias):
    canonical, aliased = api.get(path), api.get(alias)
    assert (canonical.status_code, aliased.status_code) == (200, 200)
    assert canonical.json["data"]
    assert without_links(aliased.json) == without_links(canonical.json)


@pytest.mark.parametrize(
    "path",
    [
        "/locations",
        "/locations/feestport",
        "/locations/feestport/schedules",
        "/providers/miss-kent-cormier",
        "/schedules",
        "/health-systems",
        "/appointment_types",
    ],
)
def test_the_v3_prefix_answers_the_same_documents(client, key, catalog, path):
    headers = {"Authorization": key}
    canonical = client.get(f"/api/v3/tenant-a.example.org{path}", headers=headers)
    aliased = client.get(f"/v3/tenant-a.example.org{path}", headers=headers)
    assert (canonical.status_code, aliased.status_code) == (200, 200)
    assert canonical.json["data"]
    assert without_links(aliased.json) == without_links(canonical.json)


def contents(data):
    """Types, ids and attributes of primary data, leaving out links (they name the hostname)."""
    objects = data if isinstance(data, list) else [data]
    return [{k: v for k, v in o.items() if k not in ("links", "relationships")} for o in objects]


def test_a_second_hostname_of_the_same_health_system(client, session, tenant, key, catalog):
    tenant.hostnames.append(PartnerHostname(hostname="book.tenant-a.example.org"))
    session.flush()
    first = Api(client, "tenant-a.example.org", key)
    second = Api(client, "book.tenant-a.example.org", key)
    for path in ("/locations", "/providers/miss-kent-cormier", "/health-systems"):
        response = second.get(path)
        assert response.status_code == 200, path
        expected = first.get(path).json["data"]
        assert contents(response.json["data"]) == contents(expected), path


NOT_FOUND_PATHS = [
    "/health-systems/nowhere",
    "/locations/nowhere",
    "/locations/nowhere/schedules",
    "/locations/nowhere/relationships/schedules",
    "/services/nowhere",
    "/medical-groups/nowhere",
    "/medical_groups/nowhere",
    "/appointment-types/nowhere",
    "/insurance-plans/nowhere",
    "/providers/nowhere",
    "/schedules/00000000-0000-4000-8000-000000000000",
    "/schedules/not-a-uuid",
    *(
        f"/schedules/00000000-0000-4000-8000-000000000000{suffix}/{name}"
        for suffix in ("", "/relationships")
        for name in ("location", "provider", "service", "insurance-plans")
    ),
]


@pytest.mark.parametrize("path", NOT_FOUND_PATHS)
def test_an_unknown_id_is_a_404_error_document(api, catalog, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/vnd.api+json"
    error = response.json["errors"][0]
    assert (error["status"], error["code"]) == ("404", "not-found")
    assert "data" not in response.json


# Query parameters that a route needs to answer 200; a new route that needs some is taught here.
def first_free_time(schedule):
    now = datetime.now(UTC)
    today = now.date()
    found = free_times(rules_of(schedule), 30, [], today, today + timedelta(days=14), now)
    return found[0].start.isoformat()


REQUIRED_QUERIES = {
    "available-appointment-times": lambda c: {
        "schedule_ids[]": c["schedule"].id,
        "appointment_type": "annual-physical",
    },
    "visit-token": lambda c: {
        "schedule_id": c["schedule"].id,
        "appointment_at": first_free_time(c["schedule"]),
    },
}


def test_every_read_route_answers_for_real_data(app, client, session, tenant, catalog):
    """Walk the URL map, so that a route added without working is caught here."""
    secret = make_key(session, tenant, scopes=SCOPES)
    failures, walked = [], 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith(PREFIX):
            continue
        path = rule.rule.removeprefix(PREFIX)
        type_path = path.split("/")[0]
        values = {"partner_hostname": "tenant-a.example.org"}
        for name in set(rule.arguments) - set(values):
            id_type = type_path if name == "object_id" else name.removesuffix("_id") + "s"
            id_type = id_type.replace("_", "-")
            if id_type not in catalog["ids"]:
                failures.append(f"{rule.rule}: no id known for <{name}>; add one to `catalog`")
                break
            values[name] = catalog["ids"][id_type]
        else:
            url = VARIABLE.sub(lambda m, values=values: values[m[1]], rule.rule)
            query = REQUIRED_QUERIES.get(type_path, lambda _c: {})(catalog)
            response = client.get(url, query_string=query, headers={"Authorization": secret})
            walked += 1
            if response.status_code != 200:
                failures.append(f"{url}: {response.status_code} {response.get_data(as_text=True)}")
    assert failures == []
    # Every type's list, show, and each schedule relationship's two endpoints at least.
    assert walked >= 8 * 2 + 4 * 2

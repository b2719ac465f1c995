"""The catalog through FHIR: Location, Practitioner, PractitionerRole, HealthcareService and
Schedule, read by id and searched, from the rows the JSON:API serves."""

from datetime import UTC, datetime, time, timedelta

from inquick.fhir.ids import logical_id
from tests import factories
from tests.fhir.conftest import HOST, ZONE, included, link, matches


def api_root():
    return f"http://localhost/api/v3/{HOST}"


def test_a_location_read_by_id_is_the_whole_resource(fhir, world):
    response = fhir.get("/Location/portland")
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    resource = response.json
    assert resource.pop("meta")["lastUpdated"].endswith("Z")
    assert resource == {
        "resourceType": "Location",
        "id": "portland",
        "status": "active",
        "name": "Portland Clinic",
        "mode": "instance",
        "telecom": [{"system": "phone", "value": "207-555-0101"}],
        "address": {
            "line": ["1 Fore St"],
            "city": "Portland",
            "state": "ME",
            "postalCode": "04101",
        },
        "position": {"latitude": 43.6591, "longitude": -70.2568},
    }


def test_locations_by_state_and_near_a_point(fhir, world):
    def ids(query):
        return [r["id"] for r in matches(fhir.get("/Location", query))]

    assert ids({}) == ["denver", "portland"]
    assert ids({"address-state": "me"}) == ["portland"]
    assert ids({"address-state": "c,m"}) == ["denver", "portland"]  # a comma: either
    assert ids({"near": "43.66|-70.26|10|km"}) == ["portland"]
    assert ids({"near": "43.66|-70.26|3000|mi"}) == ["denver", "portland"]
    assert ids({"near": "43.66|-70.26"}) == ["portland"]  # 50 km by default
    assert ids({"near": "0|0|10|km"}) == []
    refused = fhir.get("/Location", {"near": "north|south"})
    assert refused.status_code == 400
    assert refused.json["issue"][0]["expression"] == ["near"]


def test_a_long_slug_is_served_under_a_fhir_id(fhir, tenant, world):
    slug = "department-of-orthopaedic-surgery-and-sports-medicine-at-the-feestport-campus"
    factories.LocationFactory(health_system=tenant, slug=slug, name="Orthopaedics")
    fhir_id = logical_id(slug)
    assert len(fhir_id) == 64 and fhir_id.startswith(slug[:51] + ".")
    assert fhir.get(f"/Location/{fhir_id}").json["name"] == "Orthopaedics"
    assert [r["id"] for r in matches(fhir.get("/Location", {"_id": fhir_id}))] == [fhir_id]
    assert fhir.get(f"/Location/{slug[:51]}.000000000000").status_code == 404


def test_last_updated_compares_with_prefixes(fhir, session, world):
    portland, denver = world["locations"]
    denver.updated_at = datetime(2026, 1, 10, 12, tzinfo=UTC)
    portland.updated_at = datetime(2026, 3, 1, 9, tzinfo=UTC)
    session.flush()

    def ids(*values):
        return [
            r["id"] for r in matches(fhir.get("/Location", [("_lastUpdated", v) for v in values]))
        ]

    assert ids("ge2026-02") == ["portland"]
    assert ids("lt2026-02-01") == ["denver"]
    assert ids("2026-01-10") == ["denver"]
    assert ids("gt2026-01-10") == ["portland"]
    assert ids("le2026-01-10T12:00:00Z") == ["denver"]
    assert ids("ge2026-01-01", "lt2026-03-01T09:00:00Z") == ["denver"]  # repeated: both
    assert fhir.get("/Location", {"_lastUpdated": "ne2026"}).status_code == 400


def test_practitioners_and_services(fhir, world):
    practitioner = fhir.get("/Practitioner/dr-ruiz").json
    assert practitioner["name"] == [{"text": "Ana Ruiz", "suffix": ["Jr."]}]
    assert practitioner["qualification"] == [{"code": {"text": "MD"}}]
    assert practitioner["communication"] == [{"text": "English"}, {"text": "Spanish"}]
    assert practitioner["gender"] == "female"
    service = fhir.get("/HealthcareService/primary-care").json
    assert service["name"] == "Primary Care"
    assert service["type"] == [
        {
            "coding": [{"system": f"{api_root()}/services", "code": "primary-care",
                        "display": "Primary Care"}],
            "text": "Primary Care",
        }
    ]  # fmt: skip
    # The coding's system is the JSON:API collection that lists the code.
    assert fhir.client.get(f"/api/v3/{HOST}/services/primary-care",
                           headers={"Authorization": fhir.secret}).status_code == 200  # fmt: skip


def test_a_schedule_is_a_practitioner_at_a_location(fhir, world):
    schedule = world["schedules"]["ruiz-portland"]
    resource = fhir.get(f"/Schedule/{schedule.id}").json
    assert resource["actor"] == [
        {"reference": "Practitioner/dr-ruiz", "display": "Ana Ruiz"},
        {"reference": "Location/portland", "display": "Portland Clinic"},
    ]
    assert resource["serviceType"][0]["coding"][0]["code"] == "primary-care"
    assert resource["comment"] == "Ruiz in Portland"
    horizon = resource["planningHorizon"]
    start, end = (datetime.fromisoformat(horizon[k]) for k in ("start", "end"))
    # Today through the 30th day from today, New York time: midnight to midnight.
    assert start == datetime.combine(datetime.now(ZONE).date(), time(0), ZONE)
    assert end == datetime.combine(start.date() + timedelta(days=31), time(0), ZONE)
    # Each actor reference resolves.
    for actor in resource["actor"]:
        assert fhir.get(f"/{actor['reference']}").status_code == 200


def test_schedules_by_actor_and_service_type(fhir, world):
    schedules = world["schedules"]

    def names(query):
        return sorted(r["comment"] for r in matches(fhir.get("/Schedule", query)))

    assert names({"actor": "Location/portland"}) == ["Chen in Portland", "Ruiz in Portland"]
    assert names({"actor": "Practitioner/dr-chen"}) == ["Chen in Denver", "Chen in Portland"]
    assert names({"actor": "dr-chen"}) == ["Chen in Denver", "Chen in Portland"]
    assert names([("actor", "Practitioner/dr-chen"), ("actor", "Location/denver")]) == [
        "Chen in Denver"
    ]
    assert names({"actor": "Location/dr-chen"}) == []  # a practitioner's id, as a location
    assert names({"actor": "Patient/x"}) == []
    assert names({"service-type": "primary-care"}) == ["Chen in Portland", "Ruiz in Portland"]
    assert names({"service-type": f"{api_root()}/services|primary-care"}) == [
        "Chen in Portland", "Ruiz in Portland",
    ]  # fmt: skip
    assert names({"service-type": "http://snomed.info/sct|primary-care"}) == []
    absolute = f"http://localhost{fhir.base}/Practitioner/dr-ruiz"
    assert names({"actor": absolute}) == ["Ruiz in Portland"]
    assert names({"_id": schedules["chen-denver"].id}) == ["Chen in Denver"]


def test_include_schedule_actor_brings_each_actor_once(fhir, world):
    response = fhir.get("/Schedule", {"_include": "Schedule:actor"})
    assert len(matches(response)) == 3
    brought = sorted((r["resourceType"], r["id"]) for r in included(response))
    assert brought == [
        ("Location", "denver"), ("Location", "portland"),
        ("Practitioner", "dr-chen"), ("Practitioner", "dr-ruiz"),
    ]  # fmt: skip
    assert included(fhir.get("/Schedule")) == []


def test_include_schedule_actor_brings_actors_with_long_slugs(fhir, tenant, world):
    schedule = world["schedules"]["chen-denver"]
    schedule.location = factories.LocationFactory(
        health_system=tenant, slug="east-" * 15 + "campus", name="East Campus"
    )
    schedule.provider = factories.ProviderFactory(
        health_system=tenant, slug="dr-" + "x" * 70, name="Long Slug"
    )
    response = fhir.get("/Schedule", {"_id": schedule.id, "_include": "Schedule:actor"})
    [found] = matches(response)
    actors = [actor["reference"] for actor in found["actor"]]
    assert sorted(f"{r['resourceType']}/{r['id']}" for r in included(response)) == sorted(actors)
    assert {len(reference.split("/")[1]) for reference in actors} == {64}


def test_practitioner_roles_are_the_schedules(fhir, world):
    schedule = world["schedules"]["ruiz-portland"]
    role = fhir.get(f"/PractitionerRole/{schedule.id}").json
    assert role["practitioner"] == {"reference": "Practitioner/dr-ruiz", "display": "Ana Ruiz"}
    assert role["location"] == [{"reference": "Location/portland", "display": "Portland Clinic"}]
    assert role["healthcareService"] == [
        {"reference": "HealthcareService/primary-care", "display": "Primary Care"}
    ]
    assert role["availableTime"][0] == {
        "daysOfWeek": ["mon"], "availableStartTime": "08:00:00", "availableEndTime": "18:00:00",
    }  # fmt: skip
    by_location = matches(fhir.get("/PractitionerRole", {"location": "Location/denver"}))
    assert [r["id"] for r in by_location] == [world["schedules"]["chen-denver"].id]
    by_practitioner = matches(fhir.get("/PractitionerRole", {"practitioner": "dr-ruiz"}))
    assert [r["id"] for r in by_practitioner] == [schedule.id]


def test_inactive_schedules_are_not_served(fhir, session, world):
    schedule = world["schedules"]["ruiz-portland"]
    schedule.active = False
    session.flush()
    assert fhir.get(f"/Schedule/{schedule.id}").status_code == 404
    assert fhir.get(f"/PractitionerRole/{schedule.id}").status_code == 404
    assert len(matches(fhir.get("/Schedule"))) == 2


def test_paging_links_lead_through_every_match_once(fhir, tenant, world):
    for n in range(7):
        factories.LocationFactory(health_system=tenant, slug=f"extra-{n}", name=f"Extra {n}")
    everything, bundles = fhir.all_pages("/Location", {"_count": "3"})
    assert len(bundles) == 3
    assert all(bundle.json["total"] == 9 for bundle in bundles)
    assert len({r["id"] for r in everything}) == len(everything) == 9
    # Links keep the search and the page size; previous leads back.
    second = bundles[1].json
    assert link(second, "self").endswith("/Location?_count=3&_page=2")
    back = fhir.follow(link(second, "previous")).json
    assert [e["resource"]["id"] for e in back["entry"]] == [r["id"] for r in everything[:3]]
    assert link(bundles[-1].json, "next") is None
    # _count=0: the total alone.
    counted = fhir.get("/Location", {"_count": "0"}).json
    assert counted["total"] == 9 and "entry" not in counted
    # Past the end: no match, the total still said.
    beyond = fhir.get("/Location", {"_count": "3", "_page": "9"}).json
    assert beyond["total"] == 9 and "entry" not in beyond

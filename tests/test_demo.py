"""The demo data is what the README promises."""

import pytest
from sqlalchemy import select

from inquick.demo import DEMO_HOSTNAME, SECOND_HOSTNAME, demo_publishable_key, seed
from inquick.models import ApiKey, HealthSystem
from tests.conftest import Api, make_key


@pytest.fixture
def demo(session):
    seed(session, progress=lambda _line: None)
    session.flush()
    winter = session.scalar(select(HealthSystem).where(HealthSystem.slug == "winter-health"))
    return winter


@pytest.fixture
def demo_api(client, session, demo):
    return Api(client, DEMO_HOSTNAME, make_key(session, demo))


def all_of(demo_api, path):
    return demo_api.get(path, {"page[size]": 100}).json["data"]


def test_feestport_schedules_with_insurance_plans_included_once(demo_api):
    response = demo_api.get("/locations/feestport/schedules", {"include": "insurance-plans"})
    assert response.status_code == 200
    document = response.json
    assert document["data"], "feestport has schedules"
    included = [(o["type"], o["id"]) for o in document["included"]]
    assert len(included) == len(set(included))
    linked = {
        p["id"] for s in document["data"] for p in s["relationships"]["insurance-plans"]["data"]
    }
    assert {i for _t, i in included} == linked


def test_winter_health_catalog(demo_api):
    locations = all_of(demo_api, "/locations")
    assert len(locations) >= 3
    assert "feestport" in {loc["id"] for loc in locations}
    assert len({loc["attributes"]["time-zone-name"] for loc in locations}) >= 2
    providers = all_of(demo_api, "/providers")
    assert len(providers) >= 6
    assert {p["attributes"]["provider-type"] for p in providers} == {
        "Practitioner",
        "HealthResource",
    }
    types = {t["id"] for t in all_of(demo_api, "/appointment-types")}
    assert {"annual-physical", "new-patient"} <= types
    plans = {p["id"] for p in all_of(demo_api, "/insurance-plans")}
    assert len(plans) >= 4 and "aarp-ppo-12" in plans
    assert all_of(demo_api, "/services") and all_of(demo_api, "/medical-groups")
    schedules = all_of(demo_api, "/schedules")
    assert schedules and all(s["attributes"]["hours"] for s in schedules)


def test_summer_clinic_is_a_separate_tenant(client, session, demo):
    summer = session.scalar(select(HealthSystem).where(HealthSystem.slug == "summer-clinic"))
    summer_api = Api(client, SECOND_HOSTNAME, make_key(session, summer))
    assert [loc["id"] for loc in all_of(summer_api, "/locations")] == ["sunnyside"]
    winter_key = make_key(session, demo)
    assert Api(client, SECOND_HOSTNAME, winter_key).get("/locations").status_code == 401


def test_the_readme_booking_walk_through(demo_api, session):
    """appointment types -> schedules -> available times -> visit token -> POST /visits."""
    types = all_of(demo_api, "/appointment-types")
    assert "annual-physical" in {t["id"] for t in types}
    schedules = demo_api.get("/locations/feestport/schedules").json["data"]
    schedule_id = schedules[0]["id"]
    times = demo_api.get(
        "/available-appointment-times",
        {"schedule_ids[]": schedule_id, "appointment_type": "annual-physical"},
    ).json["data"][0]["attributes"]["times"]
    assert len(times) > 20, "weeks of availability"
    token = demo_api.get(
        "/visit-token", {"schedule_id": schedule_id, "appointment_at": times[0]}
    ).get_data(as_text=True)
    body = {
        "data": {
            "type": "visits",
            "attributes": {
                "appointment-at": times[0], "appointment-type": "annual-physical",
                "first-name": "Jo", "last-name": "Example", "email": "jo@example.org",
                "phone-number": "207-555-0199", "birthdate": "1990-01-31", "gender": "female",
                "new-patient": "yes", "zip": "04101", "state": "ME",
            },
            "relationships": {"schedule": {"data": {"type": "schedules", "id": schedule_id}}},
        }
    }  # fmt: skip
    response = demo_api.client.post(
        demo_api.url("/visits"), json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.json["data"]["attributes"]["confirmation-number"] > 1


def test_the_demo_has_booked_visits_and_visit_settings(demo_api, session):
    from inquick.models import Visit

    assert len(session.scalars(select(Visit)).all()) >= 3
    schedule_id = demo_api.get("/locations/feestport/schedules").json["data"][0]["id"]
    settings = demo_api.get(f"/visit-settings/{schedule_id}").json
    assert "chest pain" in settings["data"]["attributes"]["emergency-keywords"]
    kinds = {v["attributes"]["kind"] for v in settings["included"]}
    assert {"format", "length", "presence", "phone"} <= kinds


def test_the_demo_has_a_publishable_key_for_its_local_pages(client, session, demo):
    [key] = session.scalars(select(ApiKey).where(ApiKey.publishable.is_(True))).all()
    assert key.health_system_id == demo.id
    assert key.allowed_origins == "http://127.0.0.1:8000 http://localhost:8000"
    assert key.scope_set == {"catalog:read", "availability:read", "visits:create"}
    assert demo_publishable_key(session, demo) is key  # kept, not issued again
    page = Api(client, DEMO_HOSTNAME, key.public_value)
    for origin in ("http://127.0.0.1:8000", "http://localhost:8000"):
        response = page.get("/locations", headers={"Origin": origin})
        assert response.status_code == 200
        assert response.headers["Access-Control-Allow-Origin"] == origin

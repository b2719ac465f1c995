"""The demo data is what the README promises."""

import pytest
from sqlalchemy import select

from inquick.demo import DEMO_HOSTNAME, SECOND_HOSTNAME, seed
from inquick.models import HealthSystem
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

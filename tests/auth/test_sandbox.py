"""Test mode: every health system has a sandbox, and test and live data never mix."""

import pytest
from sqlalchemy import select

from inquick.demo import DEMO_HOSTNAME, seed
from inquick.models import HealthSystem
from tests.conftest import Api, make_key

SCOPES = ["catalog:read", "availability:read", "visits:create"]


@pytest.fixture
def winter(session):
    seed(session, progress=lambda _line: None)
    session.flush()
    return session.scalar(
        select(HealthSystem).where(
            HealthSystem.slug == "winter-health", HealthSystem.mode == "live"
        )
    )


@pytest.fixture
def sandbox(session, winter):
    return session.scalar(select(HealthSystem).where(HealthSystem.live_system_id == winter.id))


@pytest.fixture
def live_api(client, session, winter):
    return Api(client, DEMO_HOSTNAME, make_key(session, winter, scopes=SCOPES))


@pytest.fixture
def test_api(client, session, sandbox):
    return Api(client, DEMO_HOSTNAME, make_key(session, sandbox, mode="test", scopes=SCOPES))


def schedule_ids(api):
    return {s["id"] for s in api.get("/schedules", {"page[size]": 100}).json["data"]}


def test_the_demo_seeds_a_sandbox_with_the_same_catalog(live_api, test_api):
    assert test_api.secret.startswith("iq_test_")
    live, test = schedule_ids(live_api), schedule_ids(test_api)
    assert live and test and not live & test
    live_locations = {loc["id"] for loc in live_api.get("/locations").json["data"]}
    assert {loc["id"] for loc in test_api.get("/locations").json["data"]} == live_locations


def book(api, schedule_id):
    times = api.get("/available-appointment-times", {"schedule_ids[]": schedule_id}).json["data"][
        0
    ]["attributes"]["times"]
    at = times[0]
    included = api.get(f"/schedules/{schedule_id}", {"include": "appointment-types"}).json
    kind = included["included"][0]["id"]
    token = api.get("/visit-token", {"schedule_id": schedule_id, "appointment_at": at})
    body = {
        "data": {
            "type": "visits",
            "attributes": {
                "appointment-at": at, "first-name": "Sandy", "last-name": "Box",
                "email": "sandy@example.org", "phone-number": "2075550101",
                "birthdate": "1990-01-01", "gender": "female", "new-patient": "yes",
                "appointment-type": kind,
            },
            "relationships": {"schedule": {"data": {"type": "schedules", "id": schedule_id}}},
        }
    }  # fmt: skip
    response = api.client.post(
        api.url("/visits"), json=body, headers={"Authorization": f"Bearer {token.data.decode()}"}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return at


def test_a_test_booking_never_reaches_live_availability(live_api, test_api):
    sandbox_schedule = sorted(schedule_ids(test_api))[0]
    booked_at = book(test_api, sandbox_schedule)
    live_schedule = sorted(schedule_ids(live_api))[0]
    assert live_api.get(f"/schedules/{sandbox_schedule}").status_code == 404
    assert test_api.get(f"/schedules/{live_schedule}").status_code == 404
    free = test_api.get("/available-appointment-times", {"schedule_ids[]": sandbox_schedule}).json[
        "data"
    ][0]["attributes"]["times"]
    assert booked_at not in free


def first_time(api, schedule):
    times = api.get("/available-appointment-times", {"schedule_ids[]": schedule}).json["data"]
    return times[0]["attributes"]["times"][0]


def test_no_token_for_the_other_modes_schedules(live_api, test_api):
    for mine, theirs in ((test_api, live_api), (live_api, test_api)):
        schedule = sorted(schedule_ids(theirs))[0]
        at = first_time(theirs, schedule)
        response = mine.get("/visit-token", {"schedule_id": schedule, "appointment_at": at})
        assert response.status_code == 404


def test_a_sandbox_host_refuses_live_keys_and_live_tokens(app, live_api, test_api, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_HOST", True)
    refused = live_api.get("/locations")
    assert refused.status_code == 401
    assert "sandbox" in refused.json["errors"][0]["detail"]
    assert test_api.get("/locations").status_code == 200
    monkeypatch.setitem(app.config, "SANDBOX_HOST", False)
    schedule = sorted(schedule_ids(live_api))[0]
    at = live_api.get("/available-appointment-times", {"schedule_ids[]": schedule}).json["data"][0][
        "attributes"
    ]["times"][0]
    token = live_api.get("/visit-token", {"schedule_id": schedule, "appointment_at": at})
    monkeypatch.setitem(app.config, "SANDBOX_HOST", True)
    response = live_api.client.post(
        live_api.url("/visits"),
        json={"data": {"type": "visits"}},
        headers={"Authorization": f"Bearer {token.data.decode()}"},
    )
    assert response.status_code == 401

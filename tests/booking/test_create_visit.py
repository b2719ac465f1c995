"""POST /visits: the visit's rules, the document's shape, and what the answer holds."""

import json

import pytest
from sqlalchemy import select

from inquick.auth.keys import SCOPES
from inquick.booking.references import shown
from inquick.models import Visit, VisitSettings
from tests import factories
from tests.booking.conftest import PATIENT, post_visit, request_token, tomorrow_at, visit_body
from tests.conftest import Api, make_key

ROOT = "http://localhost/api/v3/tenant-a.example.org"


def pointers(response):
    assert response.status_code == 422, response.get_data(as_text=True)
    return {
        e["source"]["pointer"].removeprefix("/data/attributes/") for e in response.json["errors"]
    }


def test_a_booking_answers_the_visit_and_no_patient_data(
    booking_api, session, schedule, slot, token_for
):
    response = post_visit(booking_api, token_for(slot), visit_body(schedule, slot))
    assert response.status_code == 201
    visit = session.scalar(select(Visit))
    assert response.headers["Location"] == f"{ROOT}/visits/{visit.id}"
    data = response.json["data"]
    assert data["type"] == "visits" and data["id"] == visit.id and len(visit.id) == 32
    assert data["attributes"] == {
        "appointment-at": slot.isoformat(),
        "appointment-type": "annual-physical",
        "appointment-type-name": "Annual Physical",
        "confirmation-number": visit.confirmation_number,
        "booking-reference": shown(visit.booking_reference),
        "remote-visit-ids": [],
        "status": "scheduled",
    }
    assert {name: rel["data"] for name, rel in data["relationships"].items()} == {
        "schedule": {"type": "schedules", "id": schedule.id},
        "location": {"type": "locations", "id": schedule.location.slug},
        "provider": {"type": "providers", "id": schedule.provider.slug},
    }
    assert response.json["links"]["self"] == response.headers["Location"]
    text = response.get_data(as_text=True)
    for value in PATIENT.values():
        assert value not in text
    assert visit.patient["email"] == PATIENT["email"]
    assert visit.ends_at - visit.starts_at == (slot.replace(minute=30) - slot)


def test_confirmation_numbers_increase_per_health_system(
    booking_api, client, session, schedule, token_for, other_tenant
):
    numbers = []
    for hour in (9, 10, 11):
        at = tomorrow_at(hour)
        response = post_visit(booking_api, token_for(at), visit_body(schedule, at))
        numbers.append(response.json["data"]["attributes"]["confirmation-number"])
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    assert numbers[1] == numbers[0] + 1


def test_missing_required_attributes_get_one_error_each(booking_api, schedule, slot, token_for):
    body = visit_body(schedule, slot, **{name: None for name in PATIENT})
    response = post_visit(booking_api, token_for(slot), body)
    assert pointers(response) == set(PATIENT)
    assert all(e["status"] == "422" for e in response.json["errors"])


@pytest.mark.parametrize(
    ("attributes", "failing"),
    [
        ({"email": "grace@"}, {"email"}),
        ({"phone-number": "555-0142"}, {"phone-number"}),
        ({"phone-number": "207.555.0142"}, set()),
        ({"phone-number": "20755501423"}, {"phone-number"}),
        ({"gender": "other"}, {"gender"}),
        ({"new-patient": "maybe"}, {"new-patient"}),
        ({"birthdate": "2999-01-01"}, {"birthdate"}),
        ({"birthdate": "1970-02-30"}, {"birthdate"}),
        ({"pregnant": "yes"}, {"weeks-pregnant"}),
        ({"pregnant": "yes", "weeks-pregnant": 12}, set()),
        ({"pregnant": "yes", "weeks-pregnant": "ninety"}, {"weeks-pregnant"}),
        ({"pregnant": "yes", "weeks-pregnant": "inf"}, {"weeks-pregnant"}),
        ({"pregnant": "yes", "weeks-pregnant": "nan"}, {"weeks-pregnant"}),
        ({"pregnant": "yes", "weeks-pregnant": 12.5}, {"weeks-pregnant"}),
        ({"appointment-type": None}, {"appointment-type"}),
        ({"appointment-type": "mri"}, {"appointment-type"}),
        ({"terms-tos": True, "terms-911": True}, {"terms-tos", "terms-911"}),
        ({"favourite-colour": "blue"}, {"favourite-colour"}),
        ({"comments": {"nested": "object"}}, {"comments"}),
    ],
)
def test_built_in_rules(booking_api, schedule, slot, token_for, attributes, failing):
    response = post_visit(booking_api, token_for(slot), visit_body(schedule, slot, **attributes))
    if failing:
        assert pointers(response) == failing
    else:
        assert response.status_code == 201, response.get_data(as_text=True)


def test_a_child_needs_a_caregiver(booking_api, schedule, slot, token_for):
    child = f"{slot.year - 10}-01-15"
    response = post_visit(booking_api, token_for(slot), visit_body(schedule, slot, birthdate=child))
    assert pointers(response) == {"caregiver-name"}
    body = visit_body(schedule, slot, birthdate=child, **{"caregiver-name": "Mary Hopper"})
    assert post_visit(booking_api, token_for(slot), body).status_code == 201


@pytest.mark.parametrize(("direction", "age", "ok"), [
    ("older", 30, True), ("older", 17, False), ("younger", 17, True), ("younger", 18, False),
])  # fmt: skip
def test_the_schedules_age_limit(booking_api, schedule, slot, token_for, direction, age, ok):
    schedule.age_limit_threshold, schedule.age_limit_direction = 18, direction
    born = f"{slot.year - age - 1}-{slot.month:02}-{slot.day:02}"
    body = visit_body(schedule, slot, birthdate=born, **{"caregiver-name": "Kin"})
    response = post_visit(booking_api, token_for(slot), body)
    if ok:
        assert response.status_code == 201, response.get_data(as_text=True)
    else:
        assert pointers(response) == {"birthdate"}


def test_an_emergency_complaint_is_refused_with_advice(
    booking_api, session, schedule, slot, token_for
):
    session.add(VisitSettings(schedule_id=schedule.id, emergency_keywords=["chest pain"]))
    session.flush()
    body = visit_body(schedule, slot, **{"patient-complaint": "Sudden CHEST PAIN since noon"})
    response = post_visit(booking_api, token_for(slot), body)
    assert response.status_code == 422
    [error] = response.json["errors"]
    assert error["code"] == "emergency"
    assert "911" in error["detail"]
    assert error["source"] == {"pointer": "/data/attributes/patient-complaint"}
    assert "noon" not in response.get_data(as_text=True)
    calm = visit_body(schedule, slot, **{"patient-complaint": "a sore knee"})
    assert post_visit(booking_api, token_for(slot), calm).status_code == 201


def test_errors_never_echo_patient_data(booking_api, schedule, slot, token_for):
    body = visit_body(schedule, slot, email="secret.person@", **{"phone-number": "867-5309"})
    response = post_visit(booking_api, token_for(slot), body)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "secret.person" not in text and "867-5309" not in text


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        ("{not json", 400, "invalid-document"),
        ("[]", 400, "invalid-document"),
        ('"visits"', 400, "invalid-document"),
        ('{"data": []}', 400, "invalid-document"),
        ('{"data": {"type": "schedules", "attributes": {}}}', 409, "conflict"),
        ('{"data": {"type": "visits", "id": "mine", "attributes": {}}}', 403, "forbidden"),
        ('{"data": {"type": "visits", "attributes": []}}', 400, "invalid-document"),
    ],
)
def test_malformed_documents(booking_api, schedule, slot, token_for, session, raw, status, code):
    response = booking_api.client.post(
        booking_api.url("/visits"),
        data=raw,
        content_type="application/vnd.api+json",
        headers={"Authorization": f"Bearer {token_for(slot)}"},
    )
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.json["errors"][0]["code"] == code
    assert session.scalar(select(Visit.id)) is None


def test_a_schedule_relationship_of_the_wrong_type(booking_api, schedule, slot, token_for):
    body = visit_body(schedule, slot)
    body["data"]["relationships"]["schedule"]["data"]["type"] = "locations"
    response = post_visit(booking_api, token_for(slot), body)
    assert response.status_code == 409
    assert response.json["errors"][0]["source"]["pointer"].endswith("/schedule/data/type")


def test_plain_json_bodies_are_accepted(booking_api, schedule, slot, token_for):
    response = booking_api.client.post(
        booking_api.url("/visits"),
        data=json.dumps(visit_body(schedule, slot)),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token_for(slot)}"},
    )
    assert response.status_code == 201


def test_a_deactivated_schedule_takes_no_more_bookings(booking_api, schedule, slot, token_for):
    token = token_for(slot)
    schedule.active = False
    response = post_visit(booking_api, token, visit_body(schedule, slot))
    assert response.status_code == 409


def test_capacity_counts_overlapping_visits_of_other_types(
    booking_api, tenant, schedule, token_for
):
    """A 60-minute visit at 10:00 blocks the 10:30 slot of a 30-minute type."""
    long = factories.AppointmentTypeFactory(health_system=tenant, slug="long", duration_minutes=60)
    schedule.appointment_types.append(long)
    at = tomorrow_at(10)
    body = visit_body(schedule, at, appointment_type="long")
    token = booking_api.get(
        "/visit-token",
        {"schedule_id": schedule.id, "appointment_at": at.isoformat(), "appointment_type": "long"},
    ).get_data(as_text=True)
    assert post_visit(booking_api, token, body).status_code == 201
    half_past = booking_api.get(
        "/visit-token",
        {"schedule_id": schedule.id, "appointment_at": tomorrow_at(10, 30).isoformat()},
    )
    assert half_past.status_code == 422
    assert token_for(tomorrow_at(11))


def test_token_bookings_have_their_own_limit(app, booking_api, schedule, token_for, monkeypatch):
    monkeypatch.setitem(app.config, "BOOKING_RATE_LIMIT", 1)
    first, second = tomorrow_at(9), tomorrow_at(11)
    assert post_visit(booking_api, token_for(first), visit_body(schedule, first)).status_code == 201
    response = post_visit(booking_api, token_for(second), visit_body(schedule, second))
    assert response.status_code == 429
    assert response.headers["X-RateLimit-Limit"] == "1"


def test_one_partner_cannot_use_up_anothers_bookings(
    app, client, session, tenant, booking_api, schedule, token_for, monkeypatch
):
    """Replays of a booked token and refused bodies count against the partner who sent them.

    They once filled the health system's one pool, and every other partner's valid
    booking got 429 for the rest of the minute.
    """
    monkeypatch.setitem(app.config, "BOOKING_RATE_LIMIT", 5)
    booked_at = tomorrow_at(9)
    booked = token_for(booked_at)
    body = visit_body(schedule, booked_at)
    assert post_visit(booking_api, booked, body).status_code == 201
    # A replay of a booked token is the same booking, answered again: not a new one.
    replays = [post_visit(booking_api, booked, body).status_code for _ in range(20)]
    assert replays == [201] * 20
    # Refused bodies are attempts of this partner's own: its pool runs out, no other.
    refusals = [
        post_visit(
            booking_api, token_for(tomorrow_at(10)), visit_body(schedule, "soon")
        ).status_code
        for _ in range(6)
    ]
    assert refusals == [422] * 4 + [429] * 2
    other = Api(client, "tenant-a.example.org", make_key(session, tenant, scopes=SCOPES))
    at = tomorrow_at(12)
    theirs = post_visit(other, request_token(other, schedule, at).get_data(as_text=True),
                        visit_body(schedule, at))  # fmt: skip
    assert theirs.status_code == 201, theirs.get_data(as_text=True)
    mine = post_visit(
        booking_api, token_for(tomorrow_at(13)), visit_body(schedule, tomorrow_at(13))
    )
    assert mine.status_code == 429

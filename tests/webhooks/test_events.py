"""Which change announces which event, and what its body holds: ids, times and statuses,
never patient data, a change's free-text reason or the booking reference."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from inquick.booking.references import shown
from tests import factories
from tests.booking.conftest import post_visit, request_token, tomorrow_at, visit_body
from tests.conftest import PATIENT_MARKERS
from tests.webhooks.conftest import events

VISIT_KEYS = {"visit", "schedule", "appointment-type", "appointment-at", "status",
              "confirmation-number"}  # fmt: skip


@pytest.fixture(autouse=True)
def subscribed(tenant):
    """An endpoint taking every event: without one, nothing is written at all."""
    return factories.WebhookEndpointFactory(health_system_id=tenant.id)


def bodies(session, event_type=None):
    return [json.loads(event.payload) for event in events(session, event_type)]


def visit_change(api, visit, **attributes):
    document = {"data": {"type": "visits", "id": visit.id, "attributes": attributes}}
    response = api.patch(f"/visits/{visit.id}", document)
    assert response.status_code == 200, response.json
    return response


def schedule_change(api, schedule, attributes=None, relationships=None):
    data = {"type": "schedules", "id": schedule.id, "attributes": attributes or {}}
    if relationships:
        data["relationships"] = relationships
    response = api.patch(f"/schedules/{schedule.id}", {"data": data})
    assert response.status_code == 200, response.json
    return response


def test_a_status_change_is_announced_with_the_status_it_left(manager, session, schedule):
    earlier = datetime.now(UTC) - timedelta(hours=2)
    visit = factories.VisitFactory(schedule=schedule, starts_at=earlier)
    visit_change(manager, visit, status="completed", reason="Seen by Dr Ruiz; fever.")
    [body] = bodies(session)
    assert body["type"] == "visit.status-changed"
    assert set(body["data"]) == VISIT_KEYS | {"previous-status"}
    assert (body["data"]["status"], body["data"]["previous-status"]) == ("completed", "scheduled")
    assert body["data"]["confirmation-number"] == visit.confirmation_number
    text = json.dumps(body)
    assert "fever" not in text and not [m for m in PATIENT_MARKERS if m in text]
    assert shown(visit.booking_reference) not in text and visit.booking_reference not in text
    assert datetime.fromisoformat(body["timestamp"]) <= datetime.now(UTC)


def test_a_cancellation_by_booking_reference_is_announced(manager, session, schedule):
    """PATCH /bookings/{reference} changes the visit through the same call as PATCH /visits."""
    visit = factories.VisitFactory(schedule=schedule)
    reference = shown(visit.booking_reference)
    cancel = {"status": "cancelled", "reason": "Cannot come."}
    document = {"data": {"type": "bookings", "id": reference, "attributes": cancel}}
    response = manager.patch(f"/bookings/{reference}", document)
    assert response.status_code == 200, response.json
    [body] = bodies(session)
    assert (body["type"], body["data"]["visit"]) == ("visit.cancelled", visit.id)


def test_a_move_by_booking_reference_is_announced(manager, session, schedule):
    """PATCH /bookings/{reference} with a visit token for the new time moves the visit as a
    reschedule does, and says so."""
    token = request_token(manager, schedule, tomorrow_at(10)).get_data(as_text=True)
    booked = post_visit(manager, token, visit_body(schedule, tomorrow_at(10)))
    assert booked.status_code == 201, booked.json
    visit_id = booked.json["data"]["id"]
    reference = booked.json["data"]["attributes"]["booking-reference"]
    new_token = request_token(manager, schedule, tomorrow_at(14)).get_data(as_text=True)
    attributes = {"appointment-at": tomorrow_at(14).isoformat(), "reason": "Afternoons suit me."}
    document = {"data": {"type": "bookings", "id": reference, "attributes": attributes},
                "meta": {"visit-token": new_token}}  # fmt: skip
    moved = manager.patch(f"/bookings/{reference}", document)
    assert moved.status_code == 200, moved.json

    assert [b["type"] for b in bodies(session)] == ["visit.booked", "visit.rescheduled"]
    [body] = bodies(session, "visit.rescheduled")
    assert set(body["data"]) == VISIT_KEYS | {"previous-appointment-at"}
    assert body["data"]["visit"] == visit_id
    assert (body["data"]["previous-appointment-at"], body["data"]["appointment-at"]) == (
        tomorrow_at(10).isoformat(),
        tomorrow_at(14).isoformat(),
    )
    text = json.dumps(body)
    assert "Afternoons" not in text and new_token not in text
    assert reference not in text and reference.replace("-", "") not in text


def test_a_change_of_a_schedule_s_rules_is_announced_with_what_changed(manager, session, schedule):
    schedule_change(manager, schedule, {"capacity": 2, "minimum-notice-minutes": 120})
    hours = [{"day": "monday", "opens-at": "07:00", "closes-at": "12:00"}]
    schedule_change(manager, schedule, {"hours": hours, "name": "Mornings"})
    [first, second] = bodies(session, "schedule.availability-changed")
    assert first["data"] == {"schedule": schedule.id, "change": "rules",
                             "changed": ["capacity", "minimum-notice-minutes"]}  # fmt: skip
    assert second["data"]["changed"] == ["hours"]


def test_a_change_that_leaves_availability_as_it_was_is_not_announced(manager, session, schedule):
    schedule_change(manager, schedule, {"name": "Renamed", "accepting-new-patients": False})
    same_hours = manager.get(f"/schedules/{schedule.id}").json["data"]["attributes"]["hours"]
    schedule_change(manager, schedule, {"hours": same_hours, "capacity": schedule.capacity})
    assert events(session) == []


def test_a_change_of_a_schedule_s_appointment_types_is_announced(
    manager, session, tenant, schedule
):
    quick = factories.AppointmentTypeFactory(health_system=tenant, slug="quick-check")
    linkage = {"data": [{"type": "appointment-types", "id": "annual-physical"},
                        {"type": "appointment-types", "id": "quick-check"}]}  # fmt: skip
    response = manager.patch(f"/schedules/{schedule.id}/relationships/appointment-types", linkage)
    assert response.status_code == 200, response.json
    [body] = bodies(session)
    assert body["data"]["changed"] == ["appointment-types"]
    assert quick.slug not in json.dumps(body)


def test_a_withdrawal_announces_each_cancelled_visit_and_the_schedule(manager, session, schedule):
    ahead = [
        factories.VisitFactory(schedule=schedule, starts_at=datetime.now(UTC) + timedelta(days=d))
        for d in (1, 2)
    ]
    response = manager.delete(f"/schedules/{schedule.id}", query={"cancel_visits": "true"})
    assert response.status_code == 200, response.json
    cancelled = bodies(session, "visit.cancelled")
    assert {b["data"]["visit"] for b in cancelled} == {v.id for v in ahead}
    assert {b["data"]["previous-status"] for b in cancelled} == {"scheduled"}
    [withdrawn] = bodies(session, "schedule.availability-changed")
    assert withdrawn["data"] == {"schedule": schedule.id, "change": "withdrawn",
                                 "cancelled-visits": 2}  # fmt: skip


def test_a_schedule_created_is_not_announced_as_changed(manager, session, tenant, schedule):
    relationships = {
        "location": {"data": {"type": "locations", "id": schedule.location.slug}},
        "provider": {"data": {"type": "providers", "id": schedule.provider.slug}},
    }
    document = {"data": {"type": "schedules", "attributes": {"name": "New"},
                         "relationships": relationships}}  # fmt: skip
    assert manager.post("/schedules", document).status_code == 201
    assert events(session) == []  # nobody has read its free times yet

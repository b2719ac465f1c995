"""End to end: changes made through the API reach a live receiver on 127.0.0.1, each
delivery signed and verified with the `standardwebhooks` package; a receiver that fails
gets the event again on retry; the log says what happened."""

import logging

import pytest

from inquick.webhooks.worker import drain
from tests.booking.conftest import post_visit, request_token, tomorrow_at, visit_body
from tests.conftest import PATIENT_MARKERS
from tests.webhooks.conftest import create_endpoint

pytestmark = pytest.mark.usefixtures("loopback")


def book(api, schedule, at):
    token = request_token(api, schedule, at)
    assert token.status_code == 200, token.get_data(as_text=True)
    booked = post_visit(api, token.get_data(as_text=True), visit_body(schedule, at))
    assert booked.status_code == 201, booked.json
    return booked.json["data"]["id"]


def change(api, visit_id, **attributes):
    document = {"data": {"type": "visits", "id": visit_id, "attributes": attributes}}
    response = api.patch(f"/visits/{visit_id}", document)
    assert response.status_code == 200, response.json
    return response


@pytest.fixture
def worker_log():
    """The records the worker logs, as the app's JSON lines carry them."""
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger = logging.getLogger("inquick.webhooks")
    keeper = Keep()
    logger.addHandler(keeper)
    yield records
    logger.removeHandler(keeper)


def test_a_booking_a_reschedule_and_a_cancellation_reach_the_receiver_signed(
    manager, session, schedule, receiver, settings, worker_log
):
    endpoint = create_endpoint(manager, receiver.url, description="front desk")
    secret = endpoint["attributes"]["secret"]
    visit_id = book(manager, schedule, tomorrow_at(10))
    change(manager, visit_id, **{"appointment-at": tomorrow_at(11).isoformat(),
                                 "reason": "Asked to come later."})  # fmt: skip
    change(manager, visit_id, status="cancelled", reason="Cannot come after all.")

    assert drain(session, settings) == 3

    assert len(receiver.received) == 3
    bodies = [request.verified(secret) for request in receiver.received]
    assert [body["type"] for body in bodies] == [
        "visit.booked",
        "visit.rescheduled",
        "visit.cancelled",
    ]
    booked, moved, cancelled = (body["data"] for body in bodies)
    assert {body["visit"] for body in (booked, moved, cancelled)} == {visit_id}
    assert booked["appointment-at"] == tomorrow_at(10).isoformat()
    assert (moved["previous-appointment-at"], moved["appointment-at"]) == (
        tomorrow_at(10).isoformat(),
        tomorrow_at(11).isoformat(),
    )
    assert (cancelled["previous-status"], cancelled["status"]) == ("scheduled", "cancelled")
    assert booked["schedule"] == schedule.id and booked["appointment-type"] == "annual-physical"
    assert len({request.webhook_id for request in receiver.received}) == 3
    assert {request.path for request in receiver.received} == {"/hooks/inquick"}
    assert {request.headers["content-type"] for request in receiver.received} == {
        "application/json"
    }
    sent = b"".join(request.body for request in receiver.received).decode()
    assert not [marker for marker in PATIENT_MARKERS if marker in sent]
    assert "Asked to come later" not in sent and "booking-reference" not in sent

    log = manager.get(f"/webhook-endpoints/{endpoint['id']}/deliveries", {"sort": "created-at"})
    assert log.status_code == 200
    entries = [delivery["attributes"] for delivery in log.json["data"]]
    assert [e["event-type"] for e in entries] == [b["type"] for b in bodies]
    assert {(e["status"], e["attempts"], e["response-code"]) for e in entries} == {
        ("succeeded", 1, 200)
    }
    assert [e["event-id"] for e in entries] == [r.webhook_id for r in receiver.received]
    assert all(e["delivered-at"] and e["duration-ms"] is not None for e in entries)

    lines = [record.fields for record in worker_log if record.msg == "webhook delivery attempt"]
    assert [line["outcome"] for line in lines] == ["delivered"] * 3
    assert {line["host"] for line in lines} == {"127.0.0.1"}
    logged = repr(lines)
    assert secret not in logged and "/hooks/inquick" not in logged and visit_id not in logged


def test_a_receiver_answering_500_then_200_gets_the_event_on_retry(
    manager, session, schedule, receiver, settings, clock
):
    endpoint = create_endpoint(manager, receiver.url, events=["visit.booked"])
    receiver.answer(500)
    book(manager, schedule, tomorrow_at(9))

    assert drain(session, settings, clock=clock) == 1
    [entry] = manager.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json["data"]
    attributes = entry["attributes"]
    assert (attributes["status"], attributes["attempts"]) == ("pending", 1)
    assert (attributes["response-code"], attributes["last-error"]) == (500, "HTTP 500")
    assert attributes["next-attempt-at"] > attributes["last-attempt-at"]
    assert drain(session, settings, clock=clock) == 0  # the retry is not due yet

    clock.advance(minutes=1)
    assert drain(session, settings, clock=clock) == 1

    first, second = receiver.received
    assert first.webhook_id == second.webhook_id  # the same message, tried again
    secret = endpoint["attributes"]["secret"]
    assert first.verified(secret) == second.verified(secret)
    assert second.verified(secret)["type"] == "visit.booked"
    shown = manager.get(f"/webhook-deliveries/{entry['id']}").json["data"]["attributes"]
    assert (shown["status"], shown["attempts"], shown["response-code"]) == ("succeeded", 2, 200)
    assert shown["last-error"] is None and shown["next-attempt-at"] is None


def test_a_redelivery_sends_the_event_again(manager, session, schedule, receiver, settings):
    endpoint = create_endpoint(manager, receiver.url)
    book(manager, schedule, tomorrow_at(14))
    drain(session, settings)
    [entry] = manager.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json["data"]

    again = manager.post(f"/webhook-deliveries/{entry['id']}/redelivery", None)
    assert again.status_code == 201, again.json
    created = again.json["data"]
    assert again.headers["Location"] == created["links"]["self"]
    assert created["id"] != entry["id"]
    assert created["attributes"]["event-id"] == entry["attributes"]["event-id"]
    assert (created["attributes"]["status"], created["attributes"]["attempts"]) == ("pending", 0)

    assert drain(session, settings) == 1
    first, second = receiver.received
    assert first.webhook_id == second.webhook_id
    assert second.verified(endpoint["attributes"]["secret"])["type"] == "visit.booked"
    log = manager.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json["data"]
    assert [d["attributes"]["status"] for d in log] == ["succeeded", "succeeded"]

"""Capacity under a real race: many clients booking one slot of a gunicorn-served API at once.

The server (tests/live_server.py) runs several worker processes over its own database, on
SQLite or PostgreSQL like the rest of the suite, and concurrent clients book through HTTP.
"""

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inquick.models import Visit
from tests.live_server import API, APPOINTMENT_TYPE, HTTP_TIMEOUT, JSONAPI, call, serve, session_on

WORKERS = 4  # gunicorn worker processes: the race must hold across processes
CLIENTS = 24  # concurrent booking clients per slot


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The API served by several gunicorn workers over its own seeded database."""
    with serve(tmp_path_factory.mktemp("race"), workers=WORKERS) as running:
        yield running


# --- the race -----------------------------------------------------------------------------


def available_times(server, schedule_id, **options):
    status, _, body = server.get(
        "/available-appointment-times",
        **{"schedule_ids[]": schedule_id, "appointment_type": APPOINTMENT_TYPE},
        **options,
    )
    assert status == 200, body
    (entry,) = json.loads(body)["data"]
    return entry["attributes"]


def slot_a_day_ahead(server, schedule_id):
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    times = available_times(server, schedule_id)["times"]
    return next(t for t in times if datetime.fromisoformat(t) >= tomorrow)


def visit_token(server, schedule_id, appointment_at):
    status, headers, body = server.get(
        "/visit-token",
        schedule_id=schedule_id,
        appointment_at=appointment_at,
        appointment_type=APPOINTMENT_TYPE,
    )
    assert status == 200, body
    assert headers.get("Content-Type", "").startswith("application/jwt")
    return body.decode()


def visit_document(schedule_id, appointment_at, n):
    return json.dumps(
        {
            "data": {
                "type": "visits",
                "attributes": {
                    "appointment-at": appointment_at,
                    "appointment-type": APPOINTMENT_TYPE,
                    "first-name": "Racer",
                    "last-name": f"Number{n}",
                    "email": f"racer{n}@example.org",
                    "phone-number": "(207) 555-0100",
                    "birthdate": "1980-05-01",
                    "gender": "female",
                    "new-patient": "yes",
                },
                "relationships": {"schedule": {"data": {"type": "schedules", "id": schedule_id}}},
            }
        }
    )


def race(server, schedule_id, appointment_at, tokens, same_body=False):
    """Every client POSTs /visits at once, each with its token: [(status, body)].

    With `same_body`, every client sends client 0's body (a retry storm of one request).
    """
    barrier = threading.Barrier(len(tokens))

    def book(n):
        body = visit_document(schedule_id, appointment_at, 0 if same_body else n)
        headers = {
            "Authorization": f"Bearer {tokens[n]}",
            "Content-Type": JSONAPI,
            "Accept": JSONAPI,
        }
        barrier.wait(timeout=HTTP_TIMEOUT)
        status, _, payload = call(server.port, "POST", f"{API}/visits", headers, body)
        return status, payload

    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        return list(pool.map(book, range(len(tokens))))


def stored_visits(url, schedule_id):
    with session_on(url) as session:
        return [
            (visit.id, visit.starts_at, visit.confirmation_number)
            for visit in session.scalars(select(Visit).where(Visit.schedule_id == schedule_id))
        ]


def as_utc(moment):
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@pytest.mark.parametrize("capacity", [1, 3])
def test_concurrent_bookings_fill_a_slot_exactly_to_its_capacity(server, capacity):
    schedule_id = server.schedule_ids[capacity]
    appointment_at = slot_a_day_ahead(server, schedule_id)
    tokens = [visit_token(server, schedule_id, appointment_at) for _ in range(CLIENTS)]

    results = race(server, schedule_id, appointment_at, tokens)

    statuses = Counter(status for status, _ in results)
    assert statuses == {201: capacity, 409: CLIENTS - capacity}, (
        f"{dict(statuses)}; server log:\n{server.log()}"
    )
    booked = [json.loads(body)["data"] for status, body in results if status == 201]
    numbers = [visit["attributes"]["confirmation-number"] for visit in booked]
    assert len(set(numbers)) == capacity
    assert all(v["attributes"]["appointment-at"] for v in booked)
    for status, body in results:
        if status == 409:
            (error,) = json.loads(body)["errors"]
            assert error["status"] == "409"

    stored = stored_visits(server.url, schedule_id)
    start = datetime.fromisoformat(appointment_at).astimezone(UTC)
    assert len(stored) == capacity
    assert {as_utc(starts_at) for _, starts_at, _ in stored} == {start}
    assert {visit_id for visit_id, _, _ in stored} == {visit["id"] for visit in booked}
    assert sorted(number for _, _, number in stored) == sorted(numbers)

    assert appointment_at not in available_times(server, schedule_id)["times"]
    everything = available_times(server, schedule_id, available_only="false")
    assert {"time": appointment_at, "remaining-capacity": 0, "held": 0} in everything["slots"]


def test_one_request_retried_at_once_books_one_visit(server):
    """A client that resends its request before the first answer gets that same visit."""
    schedule_id = server.schedule_ids[1]
    appointment_at = slot_a_day_ahead(server, schedule_id)
    token = visit_token(server, schedule_id, appointment_at)

    results = race(server, schedule_id, appointment_at, [token] * 8, same_body=True)

    assert Counter(status for status, _ in results) == {201: 8}, server.log()
    ids = {json.loads(body)["data"]["id"] for _, body in results}
    assert len(ids) == 1
    booked = [v for v in stored_visits(server.url, schedule_id) if v[0] in ids]
    assert len(booked) == 1

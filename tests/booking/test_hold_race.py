"""Slot holds under a real race: many clients asking gunicorn worker processes for visit
tokens at once, on SQLite or PostgreSQL like the rest of the suite (`.ci/run` runs both).

Exactly as many tokens hold a slot as it has seats, bookings never exceed them, and one
client address holds no more seats than its bound even across schedules, whose locks
do not serialize each other.
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from inquick.models import SlotHold, Visit
from tests.booking.test_booking_race import available_times, race, slot_a_day_ahead
from tests.live_server import API, APPOINTMENT_TYPE, HTTP_TIMEOUT, call, serve

WORKERS = 4
CLIENTS = 16
ADDRESS_BOUND = 3  # every client here is 127.0.0.1: one address


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    environment = {"INQUICK_MAX_HOLDS_PER_ADDRESS": str(ADDRESS_BOUND)}
    with serve(tmp_path_factory.mktemp("holds"), workers=WORKERS, environment=environment) as up:
        yield up


def ask_at_once(server, requests):
    """GET /visit-token for each (schedule id, time) at once: [(status, headers, body)]."""
    barrier = threading.Barrier(len(requests))

    def ask(request):
        schedule_id, appointment_at = request
        barrier.wait(timeout=HTTP_TIMEOUT)
        return server.get(
            "/visit-token",
            schedule_id=schedule_id,
            appointment_at=appointment_at,
            appointment_type=APPOINTMENT_TYPE,
        )

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(ask, requests))


def slot_of(server, schedule_id, appointment_at):
    slots = available_times(server, schedule_id, available_only="false")["slots"]
    return next(slot for slot in slots if slot["time"] == appointment_at)


def count(url, statement):
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return session.scalar(statement)
    finally:
        engine.dispose()


def release(server, token):
    headers = {"Authorization": f"Bearer {token}"}
    status, _, body = call(server.port, "DELETE", f"{API}/visit-token", headers)
    assert status == 204, body


@pytest.mark.parametrize("capacity", [1, 3])
def test_concurrent_token_requests_hold_exactly_the_seats_of_a_slot(server, capacity):
    schedule_id = server.schedule_ids[("held", capacity)]
    appointment_at = slot_a_day_ahead(server, schedule_id)

    answers = ask_at_once(server, [(schedule_id, appointment_at)] * CLIENTS)

    statuses = Counter(status for status, _, _ in answers)
    assert statuses == {200: capacity, 422: CLIENTS - capacity}, server.log()
    tokens = [body.decode() for status, _, body in answers if status == 200]
    holds = [headers["Slot-Hold"] for status, headers, _ in answers if status == 200]
    assert all(hold.startswith("held; expires=") for hold in holds), holds
    assert slot_of(server, schedule_id, appointment_at) == {
        "time": appointment_at, "remaining-capacity": 0, "held": capacity,
    }  # fmt: skip
    assert appointment_at not in available_times(server, schedule_id)["times"]

    results = race(server, schedule_id, appointment_at, tokens)

    assert Counter(status for status, _ in results) == {201: capacity}, server.log()
    assert count(server.url, select(func.count()).where(Visit.schedule_id == schedule_id)) == (
        capacity
    )
    # Each booking took its own hold's seat: none is left held, none came free.
    assert slot_of(server, schedule_id, appointment_at) == {
        "time": appointment_at, "remaining-capacity": 0, "held": 0,
    }  # fmt: skip
    assert count(server.url, select(func.count()).select_from(SlotHold)) == 0


def test_one_address_holds_no_more_than_its_bound_across_schedules(server):
    schedule_ids = [server.schedule_ids[("bound", n)] for n in range(6)]
    requests = [(id_, slot_a_day_ahead(server, id_)) for id_ in schedule_ids]

    answers = ask_at_once(server, requests)

    assert [status for status, _, _ in answers] == [200] * len(requests), server.log()
    states = Counter(headers["Slot-Hold"].split(";")[0] for _, headers, _ in answers)
    assert states == {"held": ADDRESS_BOUND, "not-held": len(requests) - ADDRESS_BOUND}
    refused = next(h["Slot-Hold"] for _, h, _ in answers if h["Slot-Hold"].startswith("not-held"))
    assert f"holds {ADDRESS_BOUND} seats already" in refused

    # Given back, the seats are free again and the address may hold anew.
    for _, headers, body in answers:
        if headers["Slot-Hold"].startswith("held"):
            release(server, body.decode())
    assert count(server.url, select(func.count()).select_from(SlotHold)) == 0
    status, headers, _ = server.get(
        "/visit-token", schedule_id=requests[0][0], appointment_at=requests[0][1],
        appointment_type=APPOINTMENT_TYPE,
    )  # fmt: skip
    assert status == 200 and headers["Slot-Hold"].startswith("held")

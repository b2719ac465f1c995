"""Capacity under a real race: many clients booking one slot of a gunicorn-served API at once.

The suite's usual fixtures run each test inside a rolled-back transaction, which a server
process cannot see. So this module makes its own database (a file on SQLite; a fresh
database on the server named by TEST_DATABASE_URL on PostgreSQL), migrates it with the
console commands, seeds it with a plain SQLAlchemy session, serves it with several gunicorn
worker processes and has concurrent clients book through HTTP.
"""

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from inquick.auth.keys import PARTNER_SCOPES, issue_key
from inquick.config import database_url
from inquick.models import (
    AppointmentType,
    HealthSystem,
    Location,
    PartnerHostname,
    Provider,
    Schedule,
    Service,
    Visit,
    WeeklyWindow,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
HOSTNAME = "race.example.org"
API = f"/api/v3/{HOSTNAME}"
APPOINTMENT_TYPE = "race-checkup"
WORKERS = 4  # gunicorn worker processes: the race must hold across processes
CLIENTS = 24  # concurrent booking clients per slot
STARTUP_SECONDS = 30
HTTP_TIMEOUT = 30
JSONAPI = "application/vnd.api+json"


# --- the database -------------------------------------------------------------------------


def make_race_database(tmp_path):
    """A new, empty database for the server: returns its URL and a function dropping it."""
    suite_url = os.environ.get("TEST_DATABASE_URL", "")
    if not suite_url:
        return "sqlite:///" + str(tmp_path / "race.sqlite3"), lambda: None
    url = make_url(database_url(str(tmp_path), {"DATABASE_URL": suite_url}))
    name = f"inquick_race_{secrets.token_hex(6)}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()

    def drop():
        engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            engine.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def server_environment(url, tmp_path):
    environment = dict(os.environ)
    environment.pop("TEST_DATABASE_URL", None)
    environment.update(
        DATABASE_URL=url,
        INQUICK_TOKEN_SECRET=secrets.token_hex(32),
        INQUICK_INSTANCE_PATH=str(tmp_path / "instance"),
        FLASK_APP="inquick",
        PYTHONUNBUFFERED="1",
    )
    return environment


def migrate(environment):
    finished = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "inquick", "db", "upgrade"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, f"migration failed:\n{finished.stdout}\n{finished.stderr}"


def every_day_all_day():
    return [
        WeeklyWindow(weekday=day, opens_at=clock(0, 0), closes_at=clock(23, 30)) for day in range(7)
    ]


def seed(url):
    """A health system with a key and two schedules (capacity 1 and 3); returns ids and key."""
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            system = HealthSystem(slug="race-health", name="Race Health", mode="live")
            system.hostnames.append(PartnerHostname(hostname=HOSTNAME))
            key, secret = issue_key(system, scopes=PARTNER_SCOPES, label="race test")
            location = Location(
                health_system=system,
                slug="race-clinic",
                name="Race Clinic",
                city="Feestport",
                latitude=43.66,
                longitude=-70.26,
                time_zone_name="America/New_York",
            )
            provider = Provider(
                health_system=system,
                slug="race-provider",
                name="Race Provider",
                provider_type="Practitioner",
                languages=["English"],
            )
            service = Service(health_system=system, slug="race-care", name="Race Care")
            kind = AppointmentType(
                health_system=system,
                slug=APPOINTMENT_TYPE,
                name="Race Checkup",
                priority=1,
                duration_minutes=30,
                services=[service],
            )
            schedules = {
                capacity: Schedule(
                    health_system=system,
                    name=f"Race schedule, capacity {capacity}",
                    time_zone_name="America/New_York",
                    location=location,
                    provider=provider,
                    service=service,
                    capacity=capacity,
                    minimum_notice_minutes=0,
                    slot_interval_minutes=30,
                    booking_horizon_days=60,
                    appointment_types=[kind],
                    weekly_windows=every_day_all_day(),
                )
                for capacity in (1, 3)
            }
            session.add_all([system, key, *schedules.values()])
            session.commit()
            return {capacity: s.id for capacity, s in schedules.items()}, secret
    finally:
        engine.dispose()


# --- the server ---------------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(port, method, path, headers=None, body=None):
    """One request on its own connection: (status, headers, body bytes), all closed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        payload = response.read()
        return response.status, dict(response.getheaders()), payload
    finally:
        connection.close()


class Server:
    def __init__(self, port, secret, schedule_ids, log_path, url):
        self.port, self.secret, self.schedule_ids = port, secret, schedule_ids
        self.log_path, self.url = log_path, url

    def get(self, path, **query):
        target = f"{API}{path}" + (f"?{urlencode(query)}" if query else "")
        return call(self.port, "GET", target, {"Authorization": self.secret, "Accept": JSONAPI})

    def log(self):
        return self.log_path.read_text(errors="replace")


def wait_until_serving(process, server):
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{server.log()}")
        try:
            status, _, _ = server.get("/schedules")
        except OSError:
            status = None
        if status == 200:
            return
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within {STARTUP_SECONDS} s:\n{server.log()}")


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The API served by gunicorn with several workers over its own seeded database."""
    tmp_path = tmp_path_factory.mktemp("race")
    url, drop = make_race_database(tmp_path)
    try:
        environment = server_environment(url, tmp_path)
        migrate(environment)
        schedule_ids, secret = seed(url)
        port = free_port()
        log_path = tmp_path / "gunicorn.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--workers",
                    str(WORKERS),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--graceful-timeout",
                    "5",
                    # Not a control socket in $HOME, shared by every gunicorn on the machine.
                    "--no-control-socket",
                    "inquick:create_app()",
                ],
                cwd=REPO_ROOT,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        running = Server(port, secret, schedule_ids, log_path, url)
        try:
            wait_until_serving(process, running)
            yield running
        finally:
            stop(process)
    finally:
        drop()


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
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return [
                (visit.id, visit.starts_at, visit.confirmation_number)
                for visit in session.scalars(select(Visit).where(Visit.schedule_id == schedule_id))
            ]
    finally:
        engine.dispose()


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
    assert {"time": appointment_at, "remaining-capacity": 0} in everything["slots"]


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

"""A real server for tests that need one: its own database, seeded, served by gunicorn.

The suite's usual fixtures run each test inside a rolled-back transaction, which a server
process cannot see. So this makes its own database (a file on SQLite; a fresh database on
the server named by TEST_DATABASE_URL on PostgreSQL), migrates it with the console
commands, seeds it with a plain SQLAlchemy session and serves it with gunicorn workers.
"""

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, text
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
    WeeklyWindow,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
HOSTNAME = "race.example.org"
API = f"/api/v3/{HOSTNAME}"
APPOINTMENT_TYPE = "race-checkup"
STARTUP_SECONDS = 30
HTTP_TIMEOUT = 30
JSONAPI = "application/vnd.api+json"


# --- the database -------------------------------------------------------------------------


def make_scratch_database(tmp_path):
    """A new, empty database for the server: returns its URL and a function dropping it."""
    suite_url = os.environ.get("TEST_DATABASE_URL", "")
    if not suite_url:
        return "sqlite:///" + str(tmp_path / "race.sqlite3"), lambda: None
    url = make_url(database_url(str(tmp_path), {"DATABASE_URL": suite_url}))
    name = f"inquick_scratch_{secrets.token_hex(6)}"
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


@contextmanager
def session_on(url):
    """A plain SQLAlchemy session on the server's database, its engine disposed after."""
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def every_day_all_day():
    return [
        WeeklyWindow(weekday=day, opens_at=clock(0, 0), closes_at=clock(23, 30)) for day in range(7)
    ]


# The seeded schedules by name: (capacity, hold minutes). Those named by their capacity
# hold nothing, so that more tokens than seats can race to book; the `held` ones hold a
# seat per token, and the `bound` ones (one seat each) let one client hold on many at once.
SCHEDULES = {
    1: (1, 0),
    3: (3, 0),
    ("held", 1): (1, 10),
    ("held", 3): (3, 10),
    **{("bound", n): (1, 10) for n in range(6)},
}


def seed(url):
    """A health system with a key and the `SCHEDULES`; returns their ids by name, and the key."""
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
                name: Schedule(
                    health_system=system,
                    name=f"Race schedule {name}",
                    time_zone_name="America/New_York",
                    location=location,
                    provider=provider,
                    service=service,
                    capacity=capacity,
                    hold_minutes=hold_minutes,
                    minimum_notice_minutes=0,
                    slot_interval_minutes=30,
                    booking_horizon_days=60,
                    appointment_types=[kind],
                    weekly_windows=every_day_all_day(),
                )
                for name, (capacity, hold_minutes) in SCHEDULES.items()
            }
            session.add_all([system, key, *schedules.values()])
            session.commit()
            return {name: s.id for name, s in schedules.items()}, secret
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
    def __init__(self, port, secret, schedule_ids, log_path, url, hostname=HOSTNAME):
        self.port, self.secret, self.schedule_ids = port, secret, schedule_ids
        self.log_path, self.url, self.hostname = log_path, url, hostname

    def get(self, path, **query):
        target = f"/api/v3/{self.hostname}{path}" + (f"?{urlencode(query)}" if query else "")
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


@contextmanager
def serve(tmp_path, *, workers, environment=None, seeder=seed, hostname=HOSTNAME):
    """The API served by gunicorn with `workers` processes over its own database, seeded by
    `seeder(url)`, which returns the schedule ids by name and a key with `catalog:read` at
    `hostname`."""
    url, drop = make_scratch_database(tmp_path)
    try:
        server_env = {**server_environment(url, tmp_path), **(environment or {})}
        migrate(server_env)
        schedule_ids, secret = seeder(url)
        port = free_port()
        log_path = tmp_path / "gunicorn.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--workers",
                    str(workers),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--graceful-timeout",
                    "5",
                    # Not a control socket in $HOME, shared by every gunicorn on the machine.
                    "--no-control-socket",
                    # The settings of `inquick serve`.
                    "--limit-request-line",
                    "8190",
                    "--config",
                    "python:inquick.serving",
                    "inquick:create_app()",
                ],
                cwd=REPO_ROOT,
                env=server_env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        running = Server(port, secret, schedule_ids, log_path, url, hostname)
        try:
            wait_until_serving(process, running)
            yield running
        finally:
            stop(process)
    finally:
        drop()

"""`inquick worker` as real processes over a database of their own (a file on SQLite, a
fresh database on PostgreSQL): a worker killed mid-delivery (kill -9) loses nothing, the
lease runs out and another worker delivers; on PostgreSQL, claims skip the rows another
claim holds, and two workers at once deliver each event exactly once."""

import json
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from inquick.models import HealthSystem, WebhookDelivery, WebhookEndpoint
from inquick.models.base import as_utc
from inquick.webhooks.events import EVENT_TYPES, emit
from inquick.webhooks.outbox import claim_due
from inquick.webhooks.signing import new_secret
from inquick.webhooks.worker import WorkerSettings
from tests.live_server import (
    REPO_ROOT,
    make_scratch_database,
    migrate,
    server_environment,
    session_on,
)
from tests.webhooks.receiver import receiving

WORKER = [str(Path(sys.executable).parent / "inquick"), "worker"]
RUN_SECONDS = 180


@pytest.fixture
def outbox_database(tmp_path):
    """A migrated database of its own, and the environment a worker process runs in."""
    url, drop = make_scratch_database(tmp_path)
    environment = {**server_environment(url, tmp_path), "INQUICK_WEBHOOKS_ALLOW_LOOPBACK": "1"}
    try:
        migrate(environment)
        yield url, environment
    finally:
        drop()


def seed_events(url, receiver_url, count):
    """A health system with one endpoint at `receiver_url` and `count` events for it, each
    written as a change writes it; returns the endpoint's secret and the event ids."""
    with session_on(url) as session:
        system = HealthSystem(slug="hooked", name="Hooked Health", mode="live")
        session.add(system)
        session.flush()
        endpoint = WebhookEndpoint(
            health_system_id=system.id, url=receiver_url, secret=new_secret(),
            events=list(EVENT_TYPES), enabled=True,
        )  # fmt: skip
        session.add(endpoint)
        now = datetime.now(UTC)
        booked = {"health_system_id": system.id, "event_type": "visit.booked", "now": now}
        events = [emit(session, data={"visit": f"{n:032x}"}, **booked) for n in range(count)]
        session.commit()
        return endpoint.secret, [event.id for event in events]


def delivery_rows(url):
    """(status, attempts, leased_by, leased_until) of every delivery."""
    columns = (WebhookDelivery.status, WebhookDelivery.attempts,
               WebhookDelivery.leased_by, WebhookDelivery.leased_until)  # fmt: skip
    with session_on(url) as session:
        return session.execute(select(*columns)).all()


def logged_attempts(output):
    """The worker's log lines of attempts (JSON lines on stderr)."""
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line["message"] == "webhook delivery attempt"]


def start_worker(environment, log_path, *options):
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [*WORKER, *options], cwd=REPO_ROOT, env=environment, stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


def test_a_worker_killed_mid_delivery_loses_nothing(outbox_database, tmp_path):
    url, environment = outbox_database
    with receiving() as receiver:
        receiver.stall = True  # the first attempt is taken in, never answered
        secret, [event_id] = seed_events(url, receiver.url, 1)
        first_log = tmp_path / "first-worker.log"
        # The shortest lease a worker takes: one attempt's worst case (11 s).
        lease = str(WorkerSettings(batch=1).worst_case.total_seconds())
        first = start_worker(
            environment, first_log, "--batch", "1", "--lease-seconds", lease,
            "--poll-seconds", "0.1",
        )  # fmt: skip
        try:
            arrived = receiver.wait_for(1, timeout=RUN_SECONDS)
        finally:
            first.kill()  # SIGKILL: no chance to clean up
            first.wait(10)
        assert arrived, first_log.read_text()

        [(status, attempts, leased_by, leased_until)] = delivery_rows(url)
        assert (status, attempts) == ("pending", 0) and leased_by is not None
        while datetime.now(UTC) <= as_utc(leased_until):  # the lease runs out
            time.sleep(0.1)

        receiver.stall = False
        second = subprocess.run(
            [*WORKER, "--once"], cwd=REPO_ROOT, env=environment, capture_output=True,
            text=True, timeout=RUN_SECONDS, check=False,
        )  # fmt: skip
        assert second.returncode == 0, second.stderr

    killed, delivered = receiver.received
    assert killed.webhook_id == delivered.webhook_id == event_id
    assert delivered.verified(secret)["type"] == "visit.booked"
    assert delivery_rows(url) == [("succeeded", 1, None, None)]
    assert [(line["outcome"], line["status"]) for line in logged_attempts(second.stderr)] == [
        ("delivered", 200)
    ]
    assert "1 delivery attempt(s)" in second.stdout
    assert "INQUICK_WEBHOOKS_ALLOW_LOOPBACK is on" in second.stderr
    assert secret not in second.stderr + second.stdout + first_log.read_text()


@pytest.mark.postgres
def test_a_claim_skips_the_rows_another_claim_holds(outbox_database):
    """Worker A's claim transaction holds its rows; B's claim neither waits for them nor
    takes them (SKIP LOCKED). A dies before committing: its rows are free again."""
    url, _ = outbox_database
    seed_events(url, "https://93.184.216.34/hooks", 6)
    engine = create_engine(url)
    now, lease = datetime.now(UTC) + timedelta(seconds=1), timedelta(minutes=5)
    try:
        with Session(engine) as a, Session(engine) as b:
            b.execute(text("SET lock_timeout = '5s'"))  # waiting would be the bug: fail, not hang
            held = claim_due(a, now=now, lease=lease, limit=4)  # not committed yet
            taken = claim_due(b, now=now, lease=lease, limit=4)
            assert (len(held), len(taken)) == (4, 2)
            assert not {c.delivery_id for c in held} & {c.delivery_id for c in taken}
            b.commit()
            a.rollback()
            again = claim_due(a, now=now, lease=lease, limit=10)
            assert {c.delivery_id for c in again} == {c.delivery_id for c in held}
            a.commit()
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_two_workers_at_once_deliver_each_event_exactly_once(outbox_database, tmp_path):
    url, environment = outbox_database
    with receiving() as receiver:
        receiver.delay = 0.05  # each answer takes a while, so the two workers overlap
        secret, event_ids = seed_events(url, receiver.url, 80)
        logs = [tmp_path / f"worker-{n}.log" for n in range(2)]
        workers = [start_worker(environment, log, "--once", "--batch", "5") for log in logs]
        for worker in workers:
            assert worker.wait(timeout=RUN_SECONDS) == 0

    assert Counter(request.webhook_id for request in receiver.received) == Counter(event_ids)
    assert receiver.most_at_once == 2  # both were delivering at the same time
    per_worker = [len(logged_attempts(log.read_text())) for log in logs]
    assert sum(per_worker) == 80 and min(per_worker) > 0, per_worker
    assert Counter((s, a) for s, a, _, _ in delivery_rows(url)) == {("succeeded", 1): 80}
    assert all(request.verified(secret) for request in receiver.received[:3])

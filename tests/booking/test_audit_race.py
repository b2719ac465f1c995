"""Reads of patient data under concurrent load: every read answered, every read audited.

A read of visits writes its audit entries before it answers. On SQLite a transaction that
has read and then writes is refused at once (not queued) when another process committed in
between, so audited reads racing each other across gunicorn workers once answered 503.
"""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.orm import Session

from inquick import create_app
from inquick.auth.keys import issue_key
from inquick.booking.audit import record_read
from inquick.extensions import db
from inquick.models import AuditEntry, HealthSystem, Visit
from tests.booking.test_booking_race import slot_a_day_ahead, visit_document, visit_token
from tests.live_server import (
    API,
    HOSTNAME,
    HTTP_TIMEOUT,
    JSONAPI,
    call,
    seed,
    serve,
    session_on,
)

WORKERS = 2  # the failure needs two processes, each reading and then auditing
CLIENTS = 8
READS_EACH = 6
VISITS = 2


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("audit-race"), workers=WORKERS) as running:
        yield running


def reading_key(url):
    """A key that may read visits, for the race's health system."""
    with session_on(url) as session:
        system = session.scalars(select(HealthSystem)).one()
        key, secret = issue_key(system, scopes=("visits:read",), label="audit race")
        session.add(key)
        session.commit()
        return secret


def audit_entries(url):
    with session_on(url) as session:
        return session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "read")
        )


def book_visits(server):
    """The booking references of `VISITS` new visits."""
    schedule_id = server.schedule_ids[3]
    appointment_at = slot_a_day_ahead(server, schedule_id)
    references = []
    for n in range(VISITS):
        token = visit_token(server, schedule_id, appointment_at)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": JSONAPI}
        body = visit_document(schedule_id, appointment_at, n)
        status, _, payload = call(server.port, "POST", f"{API}/visits", headers, body)
        assert status == 201, payload
        references.append(json.loads(payload)["data"]["attributes"]["booking-reference"])
    return references


def visits_in(document):
    """How many visits a FHIR Bundle or a JSON:API document shows."""
    if "entry" in document:
        return len(document["entry"])
    return len(document["data"]) if isinstance(document["data"], list) else 1


def test_audited_reads_racing_across_workers_are_all_answered_and_audited(server):
    reference, *_ = book_visits(server)
    secret = reading_key(server.url)
    before = audit_entries(server.url)
    # Each client reads one of these again and again: (path, media type, key, visits shown).
    reads = [
        (f"{API}/visits", JSONAPI, secret, VISITS),
        (f"/fhir/r4/{HOSTNAME}/Appointment", "application/fhir+json", secret, VISITS),
        (f"{API}/bookings/{reference}", JSONAPI, server.secret, 1),
    ]
    barrier = threading.Barrier(CLIENTS)

    def read(n):
        path, accept, key, _ = reads[n % len(reads)]
        barrier.wait(timeout=HTTP_TIMEOUT)
        return [
            call(server.port, "GET", path, {"Authorization": key, "Accept": accept})
            for _ in range(READS_EACH)
        ]

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        answers = list(pool.map(read, range(CLIENTS)))

    refused = [
        (status, body[:200]) for client in answers for status, _, body in client if status != 200
    ]
    assert not refused, f"{refused}; server log:\n{server.log()}"
    shown = [visits_in(json.loads(body)) for client in answers for _, _, body in client]
    expected = sum(reads[n % len(reads)][3] * READS_EACH for n in range(CLIENTS))
    assert sum(shown) == expected
    assert audit_entries(server.url) - before == expected


def test_a_read_audited_after_another_process_wrote_is_recorded(app, tmp_path):
    """The race, played in order on SQLite: a transaction reads a visit, another
    connection commits a write, then the read is audited."""
    url = f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    own = create_app({"SQLALCHEMY_DATABASE_URI": url, "TOKEN_SECRET": app.config["TOKEN_SECRET"]})
    harness, db.session = db.session, db._make_scoped_session({})
    other = create_engine(url)
    try:
        with own.app_context():
            db.create_all()
            schedule_ids, _ = seed(url)
            with Session(other) as writing:
                system = writing.scalars(select(HealthSystem)).one()
                starts = datetime.now(UTC) + timedelta(days=1)
                visit = Visit(health_system_id=system.id, schedule_id=schedule_ids[1],
                              starts_at=starts, ends_at=starts + timedelta(minutes=30),
                              confirmation_number=1)  # fmt: skip
                writing.add(visit)
                writing.commit()
                system_id, visit_id = system.id, visit.id
            read = db.session.get(Visit, visit_id)  # the read's transaction sees it
            with other.begin() as writing:
                writing.execute(update(HealthSystem).values(name="Renamed meanwhile"))
            tenant = db.session.get(HealthSystem, system_id)
            record_read(db.session, tenant=tenant, visits=[read], fields=["email"])
            entries = db.session.scalars(select(AuditEntry)).all()
            assert [(e.visit_id, e.action, e.fields) for e in entries] == [
                (visit_id, "read", ["email"])
            ]
            db.session.remove()
            db.engine.dispose()
    finally:
        db.session = harness
        other.dispose()

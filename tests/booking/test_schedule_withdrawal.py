"""DELETE /schedules/{id}: withdrawing a schedule, and what becomes of the visits booked on it.

A schedule that never had a visit is deleted; one that had visits stays, inactive, as their
record. Visits still to come block the withdrawal unless the caller asks to cancel them
(`cancel_visits=true`, which also needs `visits:write`); each one cancelled is audited once.
Once withdrawn, the schedule takes no booking, not even with a token issued before.
"""

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from inquick.auth.keys import SCOPES, digest, issue_key
from inquick.booking.changes import WITHDRAWN
from inquick.models import (
    ApiKey,
    AuditEntry,
    HealthSystem,
    Schedule,
    Visit,
    VisitSettings,
    VisitValidation,
    WeeklyWindow,
)
from inquick.models.base import as_utc
from tests import factories
from tests.booking.conftest import post_visit, tomorrow_at, visit_body
from tests.booking.test_booking_race import available_times, visit_document, visit_token
from tests.conftest import Api, make_key
from tests.live_server import API, HTTP_TIMEOUT, JSONAPI, call, serve


def withdraw(api, schedule_id, **query):
    """DELETE /schedules/{id} with the query parameters given."""
    return api.delete(f"/schedules/{schedule_id}", query=query or None)


def audit_actions(session):
    """(visit id, action, key id, fields) of every audit entry, in the order written."""
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    return [(e.visit_id, e.action, e.key_id, e.fields) for e in entries]


def state(session, *visits):
    """What a withdrawal may change of each visit: its status, reason and cancellation time."""
    session.expire_all()
    return [(v.status, v.change_reason, v.cancelled_at) for v in visits]


def schedule_row(session, schedule_id):
    """(active) of the stored schedule, or None once its row is gone."""
    return session.scalar(select(Schedule.active).where(Schedule.id == schedule_id))


def listed_schedules(api, path):
    response = api.get(path, {"page[size]": 100})
    assert response.status_code == 200, response.json
    return {item["id"] for item in response.json["data"]}


def days_from_now(days, hour=15):
    """An aware UTC time `days` days from today (negative: in the past)."""
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


# --- without visits to come -------------------------------------------------------------------


def test_a_schedule_that_never_had_a_visit_is_deleted(booking_api, session, schedule):
    schedule.visit_settings = VisitSettings(emergency_keywords=["chest pain"])
    schedule.visit_validations.append(
        VisitValidation(kind="format", attributes=["zip"], options={"with": "[0-9]{5}"})
    )
    session.flush()
    schedule_id = schedule.id

    response = withdraw(booking_api, schedule_id)

    assert response.status_code == 200, response.json
    assert response.mimetype == "application/vnd.api+json"
    assert response.json == {"jsonapi": {"version": "1.1"}, "meta": {"cancelled-visits": 0}}
    assert schedule_row(session, schedule_id) is None
    for model in (WeeklyWindow, VisitSettings, VisitValidation):
        count = select(func.count()).select_from(model).where(model.schedule_id == schedule_id)
        assert session.scalar(count) == 0, model
    assert booking_api.get(f"/schedules/{schedule_id}").status_code == 404
    assert withdraw(booking_api, schedule_id).status_code == 404
    assert audit_actions(session) == []


def test_visits_that_are_not_to_come_do_not_block_it(booking_api, session, schedule):
    """Past visits (of any status) and cancelled ones stay as they are; the schedule stays too."""
    past = factories.VisitFactory(schedule=schedule, starts_at=days_from_now(-2))
    done = factories.VisitFactory(
        schedule=schedule, starts_at=days_from_now(-3), status="completed"
    )
    called_off = factories.VisitFactory(
        schedule=schedule,
        starts_at=days_from_now(2),
        status="cancelled",
        change_reason="Patient called",
        cancelled_at=days_from_now(-1),
    )
    visits = (past, done, called_off)
    before = state(session, *visits)

    response = withdraw(booking_api, schedule.id)

    assert response.status_code == 200, response.json
    assert response.json["meta"] == {"cancelled-visits": 0}
    assert state(session, *visits) == before
    assert schedule_row(session, schedule.id) is False  # kept, as those visits' record
    assert booking_api.get(f"/schedules/{schedule.id}").status_code == 404
    assert audit_actions(session) == []


# --- visits to come ---------------------------------------------------------------------------


@pytest.mark.parametrize("query", [{}, {"cancel_visits": "false"}])
def test_visits_to_come_block_it(booking_api, session, schedule, query):
    visit = factories.VisitFactory(schedule=schedule)

    response = withdraw(booking_api, schedule.id, **query)

    assert response.status_code == 409
    [error] = response.json["errors"]
    assert (error["status"], error["code"]) == ("409", "conflict")
    assert "cancel_visits=true" in error["detail"]
    assert state(session, visit) == [("scheduled", None, None)]
    assert schedule_row(session, schedule.id) is True
    assert booking_api.get(f"/schedules/{schedule.id}").status_code == 200
    assert audit_actions(session) == []


@pytest.mark.parametrize(
    ("scopes", "query", "source"),
    [
        # Cancelling visits is a visits:write change, whoever may edit the catalog.
        (
            ["catalog:read", "catalog:write"],
            {"cancel_visits": "true"},
            {"parameter": "cancel_visits"},
        ),
        # Withdrawing is a catalog:write change, whoever may change visits.
        (["catalog:read", "visits:read", "visits:write"], {"cancel_visits": "true"}, None),
        (["catalog:read", "visits:read", "visits:write"], {}, None),
    ],
)
def test_a_key_without_the_scopes_changes_nothing(
    client, session, tenant, schedule, scopes, query, source
):
    visit = factories.VisitFactory(schedule=schedule)
    api = Api(client, "tenant-a.example.org", make_key(session, tenant, scopes=scopes))

    response = withdraw(api, schedule.id, **query)

    assert response.status_code == 403
    [error] = response.json["errors"]
    assert (error["status"], error["code"], error.get("source")) == ("403", "forbidden", source)
    assert state(session, visit) == [("scheduled", None, None)]
    assert schedule_row(session, schedule.id) is True
    assert audit_actions(session) == []


def test_the_visits_to_come_are_cancelled_and_audited_once_each(
    booking_api, session, tenant, schedule, slot, token_for
):
    booked = post_visit(booking_api, token_for(slot), visit_body(schedule, slot))
    assert booked.status_code == 201
    [created] = audit_actions(session)
    ahead = [
        session.get(Visit, booked.json["data"]["id"]),
        factories.VisitFactory(schedule=schedule, starts_at=tomorrow_at(14).astimezone(UTC)),
        factories.VisitFactory(schedule=schedule, starts_at=days_from_now(5)),
    ]
    past = [
        factories.VisitFactory(schedule=schedule, starts_at=days_from_now(-2)),
        factories.VisitFactory(schedule=schedule, starts_at=days_from_now(-3), status="no-show"),
    ]
    elsewhere = factories.VisitFactory(
        schedule=factories.ScheduleFactory(health_system=tenant, location=schedule.location)
    )
    untouched = [*past, elsewhere]
    before = state(session, *untouched)
    caller = session.scalar(select(ApiKey.id).where(ApiKey.digest == digest(booking_api.secret)))
    started = datetime.now(UTC)

    response = withdraw(booking_api, schedule.id, cancel_visits="true")

    assert response.status_code == 200, response.json
    assert response.json == {"jsonapi": {"version": "1.1"}, "meta": {"cancelled-visits": 3}}
    for status, reason, cancelled_at in state(session, *ahead):
        assert (status, reason) == ("cancelled", WITHDRAWN)
        assert started <= as_utc(cancelled_at) <= datetime.now(UTC)
    assert state(session, *untouched) == before
    # Kept, inactive, as the visits' record; published nowhere.
    assert schedule_row(session, schedule.id) is False
    assert booking_api.get(f"/schedules/{schedule.id}").status_code == 404
    assert booking_api.get(f"/visit-settings/{schedule.id}").status_code == 404
    assert schedule.id not in listed_schedules(booking_api, "/schedules")
    location_path = f"/locations/{schedule.location.slug}/schedules"
    assert listed_schedules(booking_api, location_path) == {elsewhere.schedule_id}
    # After the booking's own entry: one per cancelled visit, naming the caller; no other.
    entries = audit_actions(session)
    assert entries[0] == created
    assert sorted(entries[1:]) == sorted(
        (v.id, "cancel", caller, ["reason", "status"]) for v in ahead
    )
    # The record stays readable.
    shown = booking_api.get(f"/visits/{ahead[0].id}", {"fields[visits]": "status,reason"})
    assert shown.json["data"]["attributes"] == {"status": "cancelled", "reason": WITHDRAWN}


# --- requests that change nothing -------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"cancel_visits": "maybe"}, "cancel_visits"),
        ({"cancel_visits": "TRUE"}, "cancel_visits"),
        ({"cancel_visits": "1"}, "cancel_visits"),
        ({"cancel_visits": ""}, "cancel_visits"),
        # A DELETE takes no JSON:API query parameter family.
        ({"include": "location"}, "include"),
    ],
)
def test_a_malformed_query_is_400(booking_api, session, schedule, query, parameter):
    visit = factories.VisitFactory(schedule=schedule)

    response = withdraw(booking_api, schedule.id, **query)

    assert response.status_code == 400
    [error] = response.json["errors"]
    assert error["source"] == {"parameter": parameter}
    assert (error["status"], error["code"]) == ("400", "invalid-query-parameter")
    assert state(session, visit) == [("scheduled", None, None)]
    assert schedule_row(session, schedule.id) is True


def test_cancel_visits_maybe_is_the_documented_error(booking_api, schedule):
    response = withdraw(booking_api, schedule.id, cancel_visits="maybe")
    assert response.json["errors"] == [
        {
            "status": "400",
            "code": "invalid-query-parameter",
            "title": "Invalid query parameter",
            "detail": "cancel_visits must be true or false.",
            "source": {"parameter": "cancel_visits"},
        }
    ]


@pytest.mark.parametrize(
    "which", ["unknown", "random-uuid", "uppercase", "other-system", "withdrawn"]
)
def test_a_schedule_the_caller_cannot_address_is_404(
    booking_api, session, tenant, other_tenant, schedule, which
):
    theirs = factories.ScheduleFactory(health_system=other_tenant)
    their_visit = factories.VisitFactory(schedule=theirs)
    withdrawn = factories.ScheduleFactory(health_system=tenant, active=False)
    schedule_id = {
        "unknown": "no-such-schedule",
        "random-uuid": str(uuid.uuid4()),
        "uppercase": schedule.id.upper(),
        "other-system": theirs.id,
        "withdrawn": withdrawn.id,
    }[which]

    response = withdraw(booking_api, schedule_id, cancel_visits="true")

    assert response.status_code == 404
    [error] = response.json["errors"]
    assert (error["status"], error["code"]) == ("404", "not-found")
    body = response.get_data(as_text=True)
    assert other_tenant.name not in body and theirs.name not in body
    assert [schedule_row(session, s.id) for s in (schedule, theirs, withdrawn)] == [
        True,
        True,
        False,
    ]
    assert state(session, their_visit) == [("scheduled", None, None)]


# --- booking after the withdrawal -------------------------------------------------------------


@pytest.mark.parametrize("history", ["never-booked", "booked-before"])
def test_a_token_taken_before_the_withdrawal_cannot_book(
    booking_api, session, schedule, slot, token_for, history
):
    token = token_for(slot)
    if history == "booked-before":  # the schedule is kept, inactive, rather than deleted
        factories.VisitFactory(schedule=schedule, starts_at=days_from_now(-1))
    schedule_id, body = schedule.id, visit_body(schedule, slot)  # read while the row exists
    assert withdraw(booking_api, schedule_id).status_code == 200
    assert schedule_row(session, schedule_id) is (None if history == "never-booked" else False)

    response = post_visit(booking_api, token, body)

    assert response.status_code == 409, response.json
    assert response.json["errors"][0]["code"] == "conflict"
    ahead = select(func.count()).select_from(Visit).where(Visit.schedule_id == schedule_id)
    assert session.scalar(ahead.where(Visit.starts_at > datetime.now(UTC))) == 0
    times = booking_api.get("/available-appointment-times", {"schedule_ids[]": schedule_id})
    assert times.status_code == 404
    assert times.json["errors"][0]["source"] == {"parameter": "schedule_ids[]"}
    new_token = booking_api.get(
        "/visit-token", {"schedule_id": schedule_id, "appointment_at": slot.isoformat()}
    )
    assert new_token.status_code == 404


# --- under concurrency ------------------------------------------------------------------------

BOOKERS = 12  # concurrent bookings racing the withdrawal, three to a slot of capacity 3


def server_key(url, scopes):
    """A new key of the live server's health system, written straight to its database."""
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            system = session.scalar(select(HealthSystem).where(HealthSystem.slug == "race-health"))
            key, secret = issue_key(system, scopes=scopes, label="withdrawal race")
            session.add(key)
            session.commit()
            return secret
    finally:
        engine.dispose()


def visits_of(url, schedule_id):
    """(id, status, change reason) of every visit of the schedule, and its cancel entries."""
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            visits = session.execute(
                select(Visit.id, Visit.status, Visit.change_reason).where(
                    Visit.schedule_id == schedule_id
                )
            ).all()
            cancels = session.scalars(
                select(AuditEntry.visit_id).where(AuditEntry.action == "cancel")
            ).all()
            active = session.scalar(select(Schedule.active).where(Schedule.id == schedule_id))
            return visits, cancels, active
    finally:
        engine.dispose()


def test_no_booking_slips_past_a_withdrawal(tmp_path):
    """Bookings and a withdrawal cancelling visits, sent at once: none is left scheduled."""
    with serve(tmp_path, workers=4) as server:
        schedule_id = server.schedule_ids[3]
        secret = server_key(server.url, SCOPES)
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        times = [
            t
            for t in available_times(server, schedule_id)["times"]
            if datetime.fromisoformat(t) >= tomorrow
        ][: BOOKERS // 3]
        slots = [times[n % len(times)] for n in range(BOOKERS)]
        tokens = [visit_token(server, schedule_id, at) for at in slots]
        barrier = threading.Barrier(BOOKERS + 1)

        def book(n):
            headers = {"Authorization": f"Bearer {tokens[n]}", "Content-Type": JSONAPI}
            body = visit_document(schedule_id, slots[n], n)
            barrier.wait(timeout=HTTP_TIMEOUT)
            return call(server.port, "POST", f"{API}/visits", headers, body)

        def withdrawal():
            barrier.wait(timeout=HTTP_TIMEOUT)
            path = f"{API}/schedules/{schedule_id}?cancel_visits=true"
            return call(server.port, "DELETE", path, {"Authorization": secret, "Accept": JSONAPI})

        with ThreadPoolExecutor(max_workers=BOOKERS + 1) as pool:
            withdrawn = pool.submit(withdrawal)
            bookings = list(pool.map(book, range(BOOKERS)))
            status, _, body = withdrawn.result()

        assert status == 200, f"{body}\n{server.log()}"
        cancelled = json.loads(body)["meta"]["cancelled-visits"]
        statuses = [s for s, _, _ in bookings]
        assert set(statuses) <= {201, 409}, f"{statuses}\n{server.log()}"
        visits, cancels, active = visits_of(server.url, schedule_id)
        # Kept inactive as the record of visits; deleted if it had none (it won every race).
        assert active is (False if visits else None)
        # Every booking that got in before the withdrawal was cancelled by it; none after.
        assert len(visits) == statuses.count(201) == cancelled
        assert {(status, reason) for _, status, reason in visits} <= {("cancelled", WITHDRAWN)}
        assert sorted(cancels) == sorted(visit_id for visit_id, _, _ in visits)

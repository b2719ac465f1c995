"""One source of truth: a slot FHIR calls free is a time `available-appointment-times`
lists, and every time it lists is a free FHIR slot, over random schedules and the demo."""

import secrets
from datetime import UTC, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from inquick.auth.keys import issue_key
from inquick.demo import DEMO_HOSTNAME, seed
from inquick.extensions import db
from inquick.models import HealthSystem, Schedule, SlotHold, WeeklyWindow
from tests import factories
from tests.conftest import Api, make_key
from tests.fhir.conftest import HOST, Fhir

ZONES = ["America/New_York", "America/Denver", "Pacific/Auckland", "Europe/London"]
slugs = count()


@st.composite
def shapes(draw):
    """A schedule open on some weekdays, its types, and the seats taken in its first days."""
    opens = draw(st.integers(6 * 4, 11 * 4)) * 15  # minutes after midnight
    return {
        "zone": draw(st.sampled_from(ZONES)),
        "opens": opens,
        "closes": opens + draw(st.integers(2, 20)) * 15,
        "days": draw(st.sets(st.integers(0, 6), min_size=1)),
        "interval": draw(st.sampled_from([10, 15, 20, 30, 45])),
        "capacity": draw(st.integers(1, 3)),
        "notice": draw(st.sampled_from([0, 60, 24 * 60])),
        "durations": draw(st.lists(st.sampled_from([15, 20, 30, 60]), min_size=0, max_size=3)),
        # Visits, and seats held by visit tokens: (day after today, minutes after opening,
        # minutes long).
        "visits": draw(st.lists(seats(), max_size=8)),
        "holds": draw(st.lists(seats(), max_size=3)),
    }


def seats():
    return st.tuples(
        st.integers(0, 3), st.integers(0, 16).map(lambda n: n * 15), st.sampled_from([15, 30, 60])
    )


def clock(minutes):
    return time(minutes // 60, minutes % 60)


def build(tenant, shape, key_id):
    zone = ZoneInfo(shape["zone"])
    types = [
        factories.AppointmentTypeFactory(
            health_system=tenant, slug=f"type-{next(slugs)}", duration_minutes=minutes,
            priority=priority,
        )
        for priority, minutes in enumerate(shape["durations"], start=1)
    ]  # fmt: skip
    schedule = factories.ScheduleFactory(
        health_system=tenant,
        time_zone_name=shape["zone"],
        weekly_windows=[
            WeeklyWindow(
                weekday=d, opens_at=clock(shape["opens"]), closes_at=clock(shape["closes"])
            )
            for d in shape["days"]
        ],
        appointment_types=types,
        slot_interval_minutes=shape["interval"],
        capacity=shape["capacity"],
        minimum_notice_minutes=shape["notice"],
        booking_horizon_days=5,
    )
    now = datetime.now(UTC)
    today = now.astimezone(zone).date()

    def interval(after, offset, minutes):
        start = datetime.combine(today + timedelta(days=after), clock(shape["opens"]), zone)
        start = (start + timedelta(minutes=offset)).astimezone(UTC)
        return start, start + timedelta(minutes=minutes)

    for seat in shape["visits"]:
        start, end = interval(*seat)
        factories.VisitFactory(schedule=schedule, starts_at=start, ends_at=end)
    db.session.flush()
    for seat in shape["holds"]:
        start, end = interval(*seat)
        db.session.add(
            SlotHold(
                token_id=secrets.token_hex(16), health_system_id=tenant.id,
                schedule_id=schedule.id, starts_at=start, ends_at=end,
                expires_at=now + timedelta(minutes=10), api_key_id=key_id, client_digest="x",
            )
        )  # fmt: skip
    db.session.flush()
    return schedule


def listed_times(api, schedule_id, first, last):
    response = api.get(
        "/available-appointment-times",
        {"schedule_ids[]": schedule_id, "start_date": f"{first}", "end_date": f"{last}"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    [entry] = response.json["data"]
    return {datetime.fromisoformat(t).astimezone(UTC) for t in entry["attributes"]["times"]}


def free_slots(fhir, schedule_id, first, last):
    criteria = [("start", f"ge{first}"), ("start", f"le{last}"), ("_count", "100")]
    slots, _ = fhir.all_pages("/Slot", [("schedule", schedule_id), *criteria])
    return {datetime.fromisoformat(s["start"]).astimezone(UTC) for s in slots
            if s["status"] == "free"}  # fmt: skip


def test_random_schedules_agree(app, client, session, tenant, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMIT", 10**6)
    key, secret = issue_key(tenant, scopes=["catalog:read", "availability:read"])
    session.add(key)
    session.flush()
    api, fhir = Api(client, HOST, secret), Fhir(client, HOST, secret)
    compared = []

    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(shape=shapes())
    def agree(shape):
        schedule = build(tenant, shape, key.id)
        today = datetime.now(UTC).astimezone(ZoneInfo(shape["zone"])).date()
        first, last = today, today + timedelta(days=4)
        listed = listed_times(api, schedule.id, first, last)
        assert free_slots(fhir, schedule.id, first, last) == listed
        compared.append(len(listed))

    agree()
    assert sum(compared) > 100  # the examples offered times: the comparison is not vacuous


@pytest.fixture
def demo(session):
    seed(session, progress=lambda _line: None)


def test_the_demo_agrees(app, client, session, demo, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMIT", 10**6)
    system = session.scalar(
        select(HealthSystem).where(
            HealthSystem.slug == "winter-health", HealthSystem.mode == "live"
        )
    )
    secret = make_key(session, system, scopes=["availability:read"])
    api, fhir = Api(client, DEMO_HOSTNAME, secret), Fhir(client, DEMO_HOSTNAME, secret)
    schedules = session.scalars(
        select(Schedule).where(Schedule.health_system_id == system.id, Schedule.active)
    ).all()
    assert len(schedules) > 3
    busy = 0
    for schedule in schedules:
        today = datetime.now(UTC).astimezone(ZoneInfo(schedule.time_zone_name)).date()
        first, last = today, today + timedelta(days=6)
        listed = listed_times(api, schedule.id, first, last)
        assert free_slots(fhir, schedule.id, first, last) == listed, schedule.name
        assert listed
        days = [("start", f"ge{first}"), ("start", f"le{last}")]
        every = fhir.get("/Slot", [("schedule", schedule.id), *days, ("status", "busy"),
                                   ("_count", "0")])  # fmt: skip
        busy += every.json["total"]
    assert busy > 0  # the demo's booked visits show as busy slots

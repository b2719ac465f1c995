"""Booking fixtures: a schedule open every day, a key with every scope, tokens and bodies."""

import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from inquick.auth.keys import SCOPES
from inquick.models import WeeklyWindow
from tests import factories
from tests.conftest import Api, make_key

ZONE = ZoneInfo("America/New_York")


@pytest.fixture
def booking_api(client, session, tenant):
    """A client of tenant-a with a key holding every scope."""
    return Api(client, "tenant-a.example.org", make_key(session, tenant, scopes=SCOPES))


@pytest.fixture
def physical(tenant):
    return factories.AppointmentTypeFactory(
        health_system=tenant, slug="annual-physical", name="Annual Physical", duration_minutes=30
    )


def open_every_day(opens=time(8), closes=time(18)):
    return [WeeklyWindow(weekday=day, opens_at=opens, closes_at=closes) for day in range(7)]


@pytest.fixture
def schedule(tenant, physical):
    """Open 08:00-18:00 New York time every day, 30-minute slots, one patient at a time.

    Its tokens hold nothing, so that a test can ask for several tokens for one slot and
    race them; holds are tested on schedules that hold (tests/booking/test_slot_holds.py).
    """
    return factories.ScheduleFactory(
        health_system=tenant,
        time_zone_name="America/New_York",
        weekly_windows=open_every_day(),
        appointment_types=[physical],
        slot_interval_minutes=30,
        capacity=1,
        minimum_notice_minutes=0,
        hold_minutes=0,
    )


@pytest.fixture
def holding(tenant, physical):
    """Like `schedule`, but its tokens hold their seat for 10 minutes."""
    return factories.ScheduleFactory(
        health_system=tenant, time_zone_name="America/New_York",
        weekly_windows=open_every_day(), appointment_types=[physical],
        slot_interval_minutes=30, capacity=1, minimum_notice_minutes=0, hold_minutes=10,
    )  # fmt: skip


def tomorrow_at(hour, minute=0):
    """An aware local time tomorrow in New York (always inside the fixture's hours)."""
    tomorrow = datetime.now(UTC).astimezone(ZONE).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(hour, minute), tzinfo=ZONE)


@pytest.fixture
def slot():
    return tomorrow_at(10)


def request_token(api, schedule, at, **extra):
    return api.get(
        "/visit-token", {"schedule_id": schedule.id, "appointment_at": at.isoformat(), **extra}
    )


@pytest.fixture
def token_for(booking_api, schedule):
    """A function: a fresh visit token for a time of the schedule (asserting it is issued)."""

    def issue(at, on=schedule):
        response = request_token(booking_api, on, at)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_data(as_text=True)

    return issue


PATIENT = {
    "first-name": "Grace",
    "last-name": "Hopper",
    "email": "grace.hopper@example.org",
    "phone-number": "(207) 555-0142",
    "birthdate": "1970-12-09",
    "gender": "female",
    "new-patient": "yes",
}


def visit_body(schedule, at, appointment_type="annual-physical", **attributes):
    """A POST /visits document; attributes given as None are left out."""
    values = {
        **PATIENT,
        "appointment-at": at.isoformat() if isinstance(at, datetime) else at,
        "appointment-type": appointment_type,
        **attributes,
    }
    return {
        "data": {
            "type": "visits",
            "attributes": {k: v for k, v in values.items() if v is not None},
            "relationships": {"schedule": {"data": {"type": "schedules", "id": schedule.id}}},
        }
    }


def post_visit(api, token, body):
    return api.client.post(
        api.url("/visits"),
        data=json.dumps(body),
        content_type="application/vnd.api+json",
        headers={"Authorization": f"Bearer {token}"},
    )

"""Webhook fixtures: a key with every scope, a bookable schedule, a live receiver on
loopback (with the development setting that allows it), a worker's settings and a clock."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inquick.auth.keys import SCOPES
from inquick.models import WebhookDelivery, WebhookEvent
from inquick.webhooks.worker import WorkerSettings
from tests import factories
from tests.booking.conftest import open_every_day
from tests.conftest import Api, make_key
from tests.webhooks.receiver import receiving

HOST = "tenant-a.example.org"


@pytest.fixture
def manager(client, session, tenant):
    """A client of tenant-a whose key holds every scope (webhooks:manage included)."""
    return Api(client, HOST, make_key(session, tenant, scopes=SCOPES))


@pytest.fixture
def loopback(app, monkeypatch):
    """INQUICK_WEBHOOKS_ALLOW_LOOPBACK=1, as a development machine has it."""
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_LOOPBACK", True)


@pytest.fixture
def receiver():
    with receiving() as running:
        yield running


@pytest.fixture
def settings():
    """A worker's settings under the development setting (the receiver is on loopback)."""
    return WorkerSettings(batch=10, timeout=5, allow_loopback=True)


class Clock:
    """The worker's clock, moved by hand; it starts a minute ahead of the real time, so that
    what a test has just written is due."""

    def __init__(self):
        self.now = datetime.now(UTC) + timedelta(minutes=1)

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)
        return self


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def physical(tenant):
    return factories.AppointmentTypeFactory(
        health_system=tenant, slug="annual-physical", name="Annual Physical", duration_minutes=30
    )


@pytest.fixture
def schedule(tenant, physical):
    """Open 08:00-18:00 New York time every day, 30-minute slots, one patient at a time."""
    return factories.ScheduleFactory(
        health_system=tenant,
        time_zone_name="America/New_York",
        weekly_windows=open_every_day(),
        appointment_types=[physical],
        slot_interval_minutes=30,
        capacity=1,
        minimum_notice_minutes=0,
    )


def endpoint_document(url, **attributes):
    return {"data": {"type": "webhook-endpoints", "attributes": {"url": url, **attributes}}}


def create_endpoint(api, url, **attributes):
    """POST /webhook-endpoints; the created resource object (its secret included)."""
    response = api.post("/webhook-endpoints", endpoint_document(url, **attributes))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json["data"]


def events(session, event_type=None):
    """The outbox's events (oldest first), of one type if named."""
    statement = select(WebhookEvent).order_by(WebhookEvent.occurred_at, WebhookEvent.id)
    if event_type is not None:
        statement = statement.where(WebhookEvent.type == event_type)
    session.expire_all()
    return session.scalars(statement).all()


def deliveries(session):
    session.expire_all()
    return session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at)).all()

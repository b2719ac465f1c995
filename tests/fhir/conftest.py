"""FHIR fixtures: a client of the FHIR API, a small catalog, and every FHIR answer checked
against the `fhir.resources` R4B models."""

from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.R4B import get_fhir_model_class
from flask import request_finished

from inquick.auth.keys import SCOPES
from inquick.models import WeeklyWindow
from tests import factories
from tests.conftest import make_key

HOST = "tenant-a.example.org"
ZONE = ZoneInfo("America/New_York")
FHIR_JSON = "application/fhir+json"


def validated(document):
    """The document parsed by its R4B model; a Bundle's entries each by their own too."""
    model = get_fhir_model_class(document["resourceType"]).model_validate(document)
    for entry in document.get("entry", []):
        validated(entry["resource"])
    return model


@pytest.fixture(autouse=True)
def fhir_answers_validate(app):
    """Every FHIR answer a test receives parses and validates with the R4B models."""
    failures = []

    def on_response(_sender, response, **_extra):
        if response.mimetype != FHIR_JSON or not response.get_data():
            return
        try:
            validated(response.get_json())
        except ValueError as error:  # pydantic's ValidationError is a ValueError
            failures.append(f"{error}\n{response.get_data(as_text=True)[:2000]}")

    request_finished.connect(on_response, app)
    yield
    request_finished.disconnect(on_response, app)
    assert failures == []


class Fhir:
    """A test client of the FHIR API at one partner hostname, with one key (or none)."""

    def __init__(self, client, hostname, secret):
        self.client, self.hostname, self.secret = client, hostname, secret

    @property
    def base(self):
        return f"/fhir/r4/{self.hostname}"

    def get(self, path, query=None, headers=None):
        headers = {**({"Authorization": self.secret} if self.secret else {}), **(headers or {})}
        return self.client.get(f"{self.base}{path}", query_string=query, headers=headers)

    def follow(self, url, headers=None):
        """GET an absolute URL the API handed out (a Bundle's link)."""
        parts = urlsplit(url)
        headers = {**({"Authorization": self.secret} if self.secret else {}), **(headers or {})}
        return self.client.get(parts.path, query_string=parts.query, headers=headers)

    def all_pages(self, path, query=None):
        """Every match of a search, following its `next` links; and the bundles read."""
        bundles = [self.get(path, query)]
        while True:
            assert bundles[-1].status_code == 200, bundles[-1].get_data(as_text=True)
            following = link(bundles[-1].json, "next")
            if following is None:
                break
            bundles.append(self.follow(following))
        matches = [
            entry["resource"]
            for bundle in bundles
            for entry in bundle.json.get("entry", [])
            if entry["search"]["mode"] == "match"
        ]
        return matches, bundles


def link(bundle, relation):
    return next((item["url"] for item in bundle["link"] if item["relation"] == relation), None)


def matches(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return [e["resource"] for e in response.json.get("entry", []) if e["search"]["mode"] == "match"]


def included(response):
    return [
        e["resource"] for e in response.json.get("entry", []) if e["search"]["mode"] == "include"
    ]


@pytest.fixture
def fhir(client, session, tenant):
    """The FHIR API of tenant-a with a key holding every scope."""
    return Fhir(client, HOST, make_key(session, tenant, scopes=SCOPES))


def open_every_day(opens=time(8), closes=time(18)):
    return [WeeklyWindow(weekday=day, opens_at=opens, closes_at=closes) for day in range(7)]


@pytest.fixture
def world(session, tenant):
    """Two locations in two states, two providers, a service and three schedules."""
    care = factories.ServiceFactory(health_system=tenant, slug="primary-care", name="Primary Care")
    physical = factories.AppointmentTypeFactory(
        health_system=tenant, slug="annual-physical", name="Annual Physical",
        duration_minutes=30, priority=1,
    )  # fmt: skip
    portland = factories.LocationFactory(
        health_system=tenant, slug="portland", name="Portland Clinic", address="1 Fore St",
        city="Portland", state="ME", zip="04101", phone="207-555-0101",
        latitude=43.6591, longitude=-70.2568,
    )  # fmt: skip
    denver = factories.LocationFactory(
        health_system=tenant, slug="denver", name="Denver Clinic", city="Denver", state="CO",
        latitude=39.7392, longitude=-104.9903, time_zone_name="America/Denver",
    )  # fmt: skip
    ruiz = factories.ProviderFactory(
        health_system=tenant, slug="dr-ruiz", name="Ana Ruiz", credentials="MD", suffix="Jr.",
        languages=["English", "Spanish"],
    )  # fmt: skip
    chen = factories.ProviderFactory(health_system=tenant, slug="dr-chen", name="Li Chen")

    def schedule(**attributes):
        return factories.ScheduleFactory(
            health_system=tenant, weekly_windows=open_every_day(), appointment_types=[physical],
            slot_interval_minutes=30, minimum_notice_minutes=0, hold_minutes=10,
            booking_horizon_days=30, **attributes,
        )  # fmt: skip

    schedules = {
        "ruiz-portland": schedule(name="Ruiz in Portland", location=portland, provider=ruiz,
                                  service=care, capacity=1),
        "chen-portland": schedule(name="Chen in Portland", location=portland, provider=chen,
                                  service=care, capacity=3),
        "chen-denver": schedule(name="Chen in Denver", location=denver, provider=chen,
                                service=None, time_zone_name="America/Denver"),
    }  # fmt: skip
    session.flush()
    return {"schedules": schedules, "service": care, "type": physical,
            "locations": (portland, denver), "providers": (ruiz, chen)}  # fmt: skip


def tomorrow_at(hour, minute=0, zone=ZONE):
    tomorrow = datetime.now(UTC).astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(hour, minute), tzinfo=zone)

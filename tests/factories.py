"""factory-boy factories for the data model, all on one session-bound base."""

from datetime import UTC, date, datetime, time, timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory

from inquick.extensions import db
from inquick.models import (
    AppointmentType,
    HealthSystem,
    InsurancePlan,
    Location,
    MedicalGroup,
    PartnerHostname,
    Provider,
    Region,
    Schedule,
    Service,
    Visit,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WeeklyWindow,
)
from inquick.webhooks.events import EVENT_TYPES
from inquick.webhooks.signing import new_secret


class Factory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731  (the session of the test)
        sqlalchemy_session_persistence = "flush"


class HealthSystemFactory(Factory):
    class Meta:
        model = HealthSystem

    slug = factory.Sequence(lambda n: f"system-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    mode = "live"

    @factory.post_generation
    def hostnames(self, create, names, **kwargs):
        for name in [f"{self.slug}.example.org"] if names is None else names:
            self.hostnames.append(PartnerHostname(hostname=name))
        if create:
            db.session.flush()


class TenantFactory(Factory):
    """A row of the given health system (pass `health_system=`)."""

    class Meta:
        abstract = True

    slug = factory.Sequence(lambda n: f"row-{n}")


class InsurancePlanFactory(TenantFactory):
    class Meta:
        model = InsurancePlan

    company = factory.Sequence(lambda n: f"Company {n:03}")
    name = factory.Sequence(lambda n: f"Plan {n:03}")


class RegionFactory(TenantFactory):
    class Meta:
        model = Region

    name = factory.Sequence(lambda n: f"Region {n:03}")


class LocationFactory(TenantFactory):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Location {n:03}")
    city = "Feestport"
    latitude = 43.66
    longitude = -70.26
    time_zone_name = "America/New_York"


class ServiceFactory(TenantFactory):
    class Meta:
        model = Service

    name = factory.Sequence(lambda n: f"Service {n:03}")


class MedicalGroupFactory(TenantFactory):
    class Meta:
        model = MedicalGroup

    name = factory.Sequence(lambda n: f"Group {n:03}")


class AppointmentTypeFactory(TenantFactory):
    class Meta:
        model = AppointmentType

    name = factory.Sequence(lambda n: f"Type {n:03}")
    priority = 5
    duration_minutes = 30


class ProviderFactory(TenantFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Provider {n:03}")
    provider_type = "Practitioner"
    gender = "female"
    affiliation = "employed"
    languages = factory.LazyFunction(lambda: ["English"])


class ScheduleFactory(Factory):
    """A schedule at a new location with a new provider and service of the same system."""

    class Meta:
        model = Schedule

    name = factory.Sequence(lambda n: f"Schedule {n:03}")
    time_zone_name = "America/New_York"
    location = factory.SubFactory(
        LocationFactory, health_system=factory.SelfAttribute("..health_system")
    )
    provider = factory.SubFactory(
        ProviderFactory, health_system=factory.SelfAttribute("..health_system")
    )
    service = factory.SubFactory(
        ServiceFactory, health_system=factory.SelfAttribute("..health_system")
    )
    weekly_windows = factory.LazyFunction(
        lambda: [WeeklyWindow(weekday=d, opens_at=time(9), closes_at=time(17)) for d in range(5)]
    )


class VisitFactory(Factory):
    """A scheduled visit on a schedule (pass `schedule=`), tomorrow at 15:00 UTC."""

    class Meta:
        model = Visit

    health_system_id = factory.SelfAttribute("schedule.health_system_id")
    starts_at = factory.LazyFunction(
        lambda: datetime.combine(date.today() + timedelta(days=1), time(15), tzinfo=UTC)
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(minutes=30))
    confirmation_number = factory.Sequence(lambda n: 1000 + n)
    patient = factory.LazyFunction(
        lambda: {
            "first-name": "Wilhelmina",
            "last-name": "Quarrington",
            "email": "w.quarrington@example.org",
            "phone-number": "207-555-0177",
            "birthdate": "1961-03-04",
            "gender": "female",
            "new-patient": "no",
        }
    )


class WebhookEndpointFactory(Factory):
    """An endpoint of a health system (pass `health_system_id=`), every event type."""

    class Meta:
        model = WebhookEndpoint

    url = factory.Sequence(lambda n: f"https://93.184.216.34/hooks/{n}")
    events = factory.LazyFunction(lambda: list(EVENT_TYPES))
    secret = factory.LazyFunction(new_secret)


class WebhookEventFactory(Factory):
    """An event of the outbox (pass `health_system_id=`)."""

    class Meta:
        model = WebhookEvent

    type = "visit.booked"
    payload = '{"type":"visit.booked","timestamp":"2026-12-06T10:00:00Z","data":{}}'


class WebhookDeliveryFactory(Factory):
    """A delivery of an event to an endpoint (pass `endpoint=` and `event=`), due now."""

    class Meta:
        model = WebhookDelivery

    health_system_id = factory.SelfAttribute("endpoint.health_system_id")
    event_type = factory.SelfAttribute("event.type")
    next_attempt_at = factory.LazyFunction(lambda: datetime.now(UTC))

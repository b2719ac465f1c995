"""The walk's data set: a row in every table, and a key holding every scope."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from inquick.auth.keys import SCOPES, issue_key
from inquick.booking.references import shown
from inquick.models import (
    AuditEntry,
    ConfirmationCounter,
    ScheduleException,
    SlotHold,
    SpentVisitToken,
    VisitSettings,
    VisitValidation,
    WeeklyWindow,
)
from tests import factories
from tests.hostile.documents import path_type
from tests.hostile.spec import HOST

ZONE = ZoneInfo("America/New_York")


@dataclass
class World:
    """The module's data set: ids of the first and second row of each type, and credentials."""

    connection: object
    secret: str
    token: str
    slot: str  # the visit token's slot
    later_slot: str  # free, for rescheduling the visit
    first: dict
    second: dict
    before: dict | None = None

    def path_ids(self, path):
        return {
            "id": self.first.get(path_type(path)),
            "schedule_id": self.first["schedules"],
            "validation_id": self.first["validations"],
            "reference": self.first["bookings"],
        }


def tomorrow_at(hour):
    tomorrow = datetime.now(ZONE).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(hour), tzinfo=ZONE)


def populate(session):
    """A health system with two rows of each catalog type and one of every other table.

    Returns ({type: first id}, {type: second id}, the api key's secret). A first row links
    only to first rows (see `valid_document`).
    """
    system = factories.HealthSystemFactory(slug="hostile", name="Hostile Health", hostnames=[HOST])

    def pair(factory, type_, slugs, **attributes):
        rows = [factory(health_system=system, slug=slug, **attributes) for slug in slugs]
        first[type_], second[type_] = slugs
        return rows

    first, second = {"health-systems": system.slug}, {}
    plans = pair(factories.InsurancePlanFactory, "insurance-plans", ["aetna-choice", "harbor-hmo"])
    plans[0].accepted_by_default = True
    region = factories.RegionFactory(health_system=system, slug="coast", insurance_plans=plans[:1])
    services = pair(factories.ServiceFactory, "services", ["primary-care", "pediatrics"])
    groups = pair(factories.MedicalGroupFactory, "medical-groups", ["harbor-group", "bay-group"])
    types = pair(
        factories.AppointmentTypeFactory, "appointment-types", ["annual-physical", "sick-visit"]
    )
    types[0].services = services[:1]
    locations = pair(factories.LocationFactory, "locations", ["harbor-point", "north-clinic"])
    locations[0].region, locations[0].insurance_plans = region, plans[:1]
    providers = pair(factories.ProviderFactory, "providers", ["dr-ana-ruiz", "dr-chen-li"])
    providers[0].medical_groups = groups[:1]
    schedules = [
        factories.ScheduleFactory(
            health_system=system,
            location=locations[n],
            provider=providers[n],
            service=services[n],
            weekly_windows=[
                WeeklyWindow(weekday=d, opens_at=time(8), closes_at=time(18)) for d in range(7)
            ],
            slot_interval_minutes=30,
            minimum_notice_minutes=0,
        )
        for n in range(2)
    ]
    schedules[0].insurance_plans, schedules[0].appointment_types = plans[:1], types[:1]
    schedules[0].exceptions = [ScheduleException(on_date=date(2031, 1, 1), closed=True)]
    schedules[0].visit_settings = VisitSettings(
        patient_instructions="Bring a photo ID.", emergency_keywords=["chest pain"]
    )
    rule = VisitValidation(kind="format", attributes=["zip"], options={"with": "[0-9]{5}"})
    schedules[0].visit_validations.append(rule)
    first["schedules"], second["schedules"] = (s.id for s in schedules)
    visit = factories.VisitFactory(
        schedule=schedules[0],
        appointment_type=types[0],
        starts_at=tomorrow_at(14),
        ends_at=tomorrow_at(14) + timedelta(minutes=30),
        confirmation_number=1,
    )
    key, secret = issue_key(system, scopes=SCOPES, label="every scope")
    # A publishable key too, so that its columns hold values wherever the walk reads keys.
    page_key, _page_secret = issue_key(
        system, publishable=True, allowed_origins=["https://page.example.org"], label="page"
    )
    counter = ConfirmationCounter(health_system_id=system.id, last_number=1)
    session.add_all([key, page_key, counter])
    session.flush()
    audited = {"visit_id": visit.id, "key_id": key.id, "action": "read", "fields": ["first-name"]}
    session.add(AuditEntry(health_system_id=system.id, **audited))
    # A seat held on the second schedule (away from the slots the walk books), and a token
    # that moved the visit.
    session.add_all([
        SlotHold(
            token_id="held-by-the-walk", health_system_id=system.id, schedule_id=schedules[1].id,
            starts_at=tomorrow_at(9), ends_at=tomorrow_at(9) + timedelta(minutes=30),
            expires_at=datetime.now(ZONE) + timedelta(minutes=10), api_key_id=key.id,
            client_digest="0" * 32,
        ),
        SpentVisitToken(token_id="spent-by-the-walk", health_system_id=system.id,
                        visit_id=visit.id),
    ])  # fmt: skip
    # A webhook endpoint taking every event, with one delivery in its log.
    endpoint = factories.WebhookEndpointFactory(health_system_id=system.id)
    event = factories.WebhookEventFactory(health_system_id=system.id)
    delivery = factories.WebhookDeliveryFactory(endpoint=endpoint, event=event)
    first.update({"webhook-endpoints": endpoint.id, "webhook-deliveries": delivery.id})
    first.update({"validations": rule.id, "visits": visit.id, "api-keys": str(key.id)})
    first["bookings"] = shown(visit.booking_reference)
    return first, second, secret

"""Fixtures of the catalog write tests: the rows writes link to, and a key that only reads."""

import pytest

from tests import factories
from tests.conftest import Api, make_key


@pytest.fixture
def world(tenant, other_tenant):
    """`tenant`'s rows that writes link to, with known ids, and one schedule using the
    location `harbor`, provider `dr-lee` and service `primary-care`. `other_tenant` has
    rows of the same ids, which no request of `tenant` may reach."""

    def rows(factory, *slugs, system=tenant, **values):
        return {slug: factory(health_system=system, slug=slug, **values) for slug in slugs}

    plans = rows(factories.InsurancePlanFactory, "plan-a", "plan-b", "plan-c")
    services = rows(factories.ServiceFactory, "primary-care", "urgent-care", "walk-in")
    rows(factories.MedicalGroupFactory, "harbor-group", name="Harbor Group")
    rows(factories.MedicalGroupFactory, "bay-group", name="Bay Group")
    rows(factories.AppointmentTypeFactory, "checkup", "flu-shot", "physical")
    locations = rows(factories.LocationFactory, "harbor", time_zone_name="America/Denver")
    rows(factories.LocationFactory, "bayside", time_zone_name="America/Los_Angeles")
    providers = rows(factories.ProviderFactory, "dr-lee", "dr-kim")
    schedule = factories.ScheduleFactory(
        health_system=tenant,
        location=locations["harbor"],
        provider=providers["dr-lee"],
        service=services["primary-care"],
        insurance_plans=[],
        appointment_types=[],
    )
    for factory in (factories.InsurancePlanFactory, factories.MedicalGroupFactory):
        rows(factory, "plan-a", "their-row", system=other_tenant)
    rows(factories.LocationFactory, "harbor", "their-row", system=other_tenant)
    return {
        "schedule": schedule,
        "plans": plans,
        # The row of each type that the linkage tests write to.
        "ids": {"locations": "harbor", "appointment-types": "checkup", "schedules": schedule.id},
    }


@pytest.fixture
def reader(client, session, tenant):
    """An Api of `tenant` that reads the catalog and availability, and writes nothing."""
    secret = make_key(session, tenant, scopes=["catalog:read", "availability:read"])
    return Api(client, "tenant-a.example.org", secret)

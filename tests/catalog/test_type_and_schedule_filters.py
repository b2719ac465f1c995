"""Appointment-type filters (context, service) and the schedule filter provider-type."""

import pytest

from tests import factories


@pytest.fixture
def types(tenant):
    care = factories.ServiceFactory(health_system=tenant, slug="primary-care", name="Primary Care")
    imaging = factories.ServiceFactory(health_system=tenant, slug="imaging", name="Imaging")
    factories.AppointmentTypeFactory(
        health_system=tenant, slug="physical", contexts=["Patient"], services=[care]
    )
    factories.AppointmentTypeFactory(
        health_system=tenant, slug="follow-up", contexts=["Discharge", "Internal"], services=[care]
    )
    factories.AppointmentTypeFactory(
        health_system=tenant, slug="mri", contexts=["Patient"], services=[imaging]
    )


def type_ids(api, query):
    response = api.get("/appointment-types", {**query, "sort": "id"})
    assert response.status_code == 200, response.json
    return [t["id"] for t in response.json["data"]]


def test_context(api, types):
    assert type_ids(api, {"filter[context]": "Patient"}) == ["mri", "physical"]
    assert type_ids(api, {"filter[context]": "discharge"}) == ["follow-up"]
    assert type_ids(api, {"filter[context]": "Internal,Discharge"}) == ["follow-up"]
    response = api.get("/appointment-types", {"filter[context]": "Outpatient"})
    assert response.status_code == 400
    assert response.json["errors"][0]["source"] == {"parameter": "filter[context]"}


def test_service_by_name(api, types):
    assert type_ids(api, {"filter[service]": "Primary Care"}) == ["follow-up", "physical"]
    assert type_ids(api, {"filter[service]": "imaging"}) == ["mri"]
    assert type_ids(api, {"filter[service]": "Cardiology"}) == []


def test_context_and_service_together(api, types):
    query = {"filter[context]": "Patient", "filter[service]": "Primary Care"}
    assert type_ids(api, query) == ["physical"]


def test_schedules_by_provider_type(api, tenant):
    doctor = factories.ProviderFactory(health_system=tenant, provider_type="Practitioner")
    machine = factories.ProviderFactory(health_system=tenant, provider_type="HealthResource")
    by_doctor = factories.ScheduleFactory(health_system=tenant, provider=doctor)
    by_machine = factories.ScheduleFactory(health_system=tenant, provider=machine)

    def schedule_ids(value):
        response = api.get("/schedules", {"filter[provider-type]": value})
        assert response.status_code == 200, response.json
        return [s["id"] for s in response.json["data"]]

    assert schedule_ids("practitioner") == [by_doctor.id]
    assert schedule_ids("HealthResource") == [by_machine.id]
    assert api.get("/schedules", {"filter[provider-type]": "x"}).status_code == 400

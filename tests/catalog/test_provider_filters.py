"""Provider search: every filter alone, each against data where a wrong answer is possible."""

from datetime import time

import pytest

from inquick.models import WeeklyWindow
from tests import factories


def found(api, sort="id", **filters):
    query = {f"filter[{k}]": v for k, v in filters.items()}
    response = api.get("/providers", {**query, "sort": sort, "page[size]": 100})
    assert response.status_code == 200, response.json
    return [p["id"] for p in response.json["data"]]


def refused(api, parameter, value):
    response = api.get("/providers", {parameter: value})
    assert response.status_code == 400, response.json
    [error] = response.json["errors"]
    assert error["source"] == {"parameter": parameter}
    return error


def provider(tenant, slug, **attributes):
    return factories.ProviderFactory(health_system=tenant, slug=slug, **attributes)


def schedule(tenant, owner, **attributes):
    return factories.ScheduleFactory(health_system=tenant, provider=owner, **attributes)


def windows(*spans, weekday=0):
    return [WeeklyWindow(weekday=weekday, opens_at=o, closes_at=c) for o, c in spans]


def test_service(api, tenant):
    care = factories.ServiceFactory(health_system=tenant, slug="primary-care")
    other = factories.ServiceFactory(health_system=tenant, slug="imaging")
    both = provider(tenant, "both")
    schedule(tenant, both, service=other)
    schedule(tenant, both, service=care)
    schedule(tenant, provider(tenant, "inactive"), service=care, active=False)
    schedule(tenant, provider(tenant, "imaging-only"), service=other)
    assert found(api, service="primary-care") == ["both"]
    assert found(api, service="imaging") == ["both", "imaging-only"]
    assert found(api, service="nothing") == []


def test_accepting_new_patients(api, tenant):
    schedule(tenant, provider(tenant, "open"), accepting_new_patients=True)
    schedule(tenant, provider(tenant, "closed"), accepting_new_patients=False)
    schedule(
        tenant, provider(tenant, "open-but-inactive"), accepting_new_patients=True, active=False
    )
    provider(tenant, "no-schedule")
    assert found(api, **{"accepting-new-patients": "true"}) == ["open"]
    everyone = ["closed", "no-schedule", "open", "open-but-inactive"]
    assert found(api, **{"accepting-new-patients": "false"}) == everyone
    refused(api, "filter[accepting-new-patients]", "maybe")


def test_affiliation(api, tenant):
    provider(tenant, "a", affiliation="employed")
    provider(tenant, "b", affiliation="affiliated")
    assert found(api, affiliation="employed") == ["a"]
    assert found(api, affiliation="Affiliated") == ["b"]
    assert found(api, affiliation="employed,affiliated") == ["a", "b"]
    assert "employed" in refused(api, "filter[affiliation]", "contractor")["detail"]


def test_appointment_type(api, tenant):
    physical = factories.AppointmentTypeFactory(health_system=tenant, slug="annual-physical")
    new = factories.AppointmentTypeFactory(health_system=tenant, slug="new-patient")
    schedule(tenant, provider(tenant, "a"), appointment_types=[physical, new])
    schedule(tenant, provider(tenant, "b"), appointment_types=[new])
    schedule(tenant, provider(tenant, "c"), appointment_types=[physical], active=False)
    assert found(api, **{"appointment-type": "annual-physical"}) == ["a"]
    assert found(api, **{"appointment-type": "new-patient"}) == ["a", "b"]


def test_gender(api, tenant):
    provider(tenant, "f", gender="female")
    provider(tenant, "m", gender="male")
    provider(tenant, "unknown", gender=None)
    assert found(api, gender="female") == ["f"]
    assert found(api, gender="male") == ["m"]
    refused(api, "filter[gender]", "other")


def test_hours_availability_in_each_schedules_own_time_zone(api, tenant):
    # 19:00 in Auckland is 06:00 UTC: by UTC this would be a morning window.
    schedule(
        tenant,
        provider(tenant, "auckland-evening"),
        time_zone_name="Pacific/Auckland",
        weekly_windows=windows((time(19), time(21))),
    )
    # 07:00 in Los Angeles is 15:00 UTC: by UTC an afternoon window.
    schedule(
        tenant,
        provider(tenant, "la-morning"),
        time_zone_name="America/Los_Angeles",
        weekly_windows=windows((time(7), time(9))),
    )
    schedule(
        tenant,
        provider(tenant, "late-morning"),
        weekly_windows=windows((time(11), time(12))),
    )
    schedule(
        tenant,
        provider(tenant, "to-six"),
        weekly_windows=windows((time(17), time(18))),
    )
    schedule(
        tenant,
        provider(tenant, "inactive-evening"),
        weekly_windows=windows((time(18), time(22))),
        active=False,
    )
    assert found(api, **{"hours-availability": "evening"}) == ["auckland-evening"]
    assert found(api, **{"hours-availability": "morning"}) == ["la-morning", "late-morning"]
    assert found(api, **{"hours-availability": "afternoon"}) == ["to-six"]
    assert found(api, **{"hours-availability": "morning,evening"}) == [
        "auckland-evening",
        "la-morning",
        "late-morning",
    ]
    refused(api, "filter[hours-availability]", "night")


def test_insurance_through_the_override_chain(api, tenant):
    plans = {s: factories.InsurancePlanFactory(health_system=tenant, slug=s) for s in "ab"}
    location = factories.LocationFactory(health_system=tenant, insurance_plans=[plans["a"]])
    schedule(tenant, provider(tenant, "inherits"), location=location)
    schedule(tenant, provider(tenant, "overrides"), location=location, insurance_plans=[plans["b"]])
    assert found(api, insurance="a") == ["inherits"]
    assert found(api, insurance="b") == ["overrides"]


def test_language(api, tenant):
    provider(tenant, "es", languages=["English", "Spanish"])
    provider(tenant, "fr", languages=["French"])
    provider(tenant, "none", languages=[])
    assert found(api, language="spanish") == ["es"]
    assert found(api, language="FRENCH") == ["fr"]
    assert found(api, language="Span") == []
    assert found(api, language="english,french") == ["es", "fr"]


def test_medical_group(api, tenant):
    group = factories.MedicalGroupFactory(health_system=tenant, slug="lakeside")
    other = factories.MedicalGroupFactory(health_system=tenant, slug="harbor")
    provider(tenant, "member", medical_groups=[group, other])
    provider(tenant, "other", medical_groups=[other])
    assert found(api, **{"medical-group": "lakeside"}) == ["member"]


def test_provider_type(api, tenant):
    provider(tenant, "doctor", provider_type="Practitioner")
    provider(tenant, "mri", provider_type="HealthResource")
    assert found(api, **{"provider-type": "healthresource"}) == ["mri"]
    assert found(api, **{"provider-type": "Practitioner"}) == ["doctor"]
    refused(api, "filter[provider-type]", "robot")


def located(tenant, slug, lat, lng, name=None):
    owner = provider(tenant, slug, name=name or slug)
    place = factories.LocationFactory(health_system=tenant, latitude=lat, longitude=lng)
    schedule(tenant, owner, location=place)
    return owner


def test_near_orders_by_the_nearest_location(api, tenant):
    # From (0, 0): "east" and "north" are equally far (1 degree on a great circle),
    # "far" is farther, "two-places" is nearest through its second location.
    located(tenant, "north", 1.0, 0.0, name="B north")
    located(tenant, "east", 0.0, 1.0, name="A east")
    located(tenant, "far", 3.0, 3.0)
    two = located(tenant, "two-places", 10.0, 10.0)
    nearby = factories.LocationFactory(health_system=tenant, latitude=0.5, longitude=0.0)
    schedule(tenant, two, location=nearby)
    provider(tenant, "nowhere")
    # Equal distances fall back to the sort order: "A east" before "B north" by name.
    assert found(api, near="[0,0]", sort="name") == [
        "two-places",
        "east",
        "north",
        "far",
        "nowhere",
    ]
    assert found(api, near="[0,0]", sort="-name")[1:3] == ["north", "east"]
    assert found(api, near="[3,3]")[0] == "far"


def test_near_ignores_inactive_schedules(api, tenant):
    owner = located(tenant, "moved", 50.0, 50.0)
    old = factories.LocationFactory(health_system=tenant, latitude=0.0, longitude=0.0)
    schedule(tenant, owner, location=old, active=False)
    located(tenant, "close", 1.0, 1.0)
    assert found(api, near="[0,0]") == ["close", "moved"]


@pytest.mark.parametrize("value", ["abc", "[1]", "[1,2,3]", "[91,0]", "[0,181]", "[nan,0]", ""])
def test_malformed_near_is_a_400(api, tenant, value):
    error = refused(api, "filter[near]", value)
    assert error["code"] == "invalid-filter"


def test_filters_found_good_are_not_built_again_and_bad_ones_always_refused(monkeypatch):
    from inquick.jsonapi.errors import InvalidFilter
    from inquick.jsonapi.resource import REGISTRY

    providers = REGISTRY["providers"]
    built = []
    apply_filters = providers.apply_filters
    monkeypatch.setattr(
        providers, "apply_filters", lambda *a: built.append(a[1]) or apply_filters(*a)
    )
    monkeypatch.setattr(providers, "_good_filters", set())
    good = {"gender": ("female", "filter[gender]"), "near": ("[43.66,-70.26]", "filter[near]")}
    for _ in range(3):
        providers.check_filters(dict(good))
    assert built == [good]
    bad = {**good, "near": ("[91,0]", "filter[near]")}
    for _ in range(2):
        with pytest.raises(InvalidFilter):
            providers.check_filters(bad)
    assert built == [good, bad, bad]

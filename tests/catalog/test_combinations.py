"""Provider filters combined with each other, with sort, include and pagination."""

from datetime import time

import pytest

from inquick.models import WeeklyWindow
from tests import factories


@pytest.fixture
def clinic(tenant):
    """Providers that each miss one of several conditions, and one that meets them all."""
    care = factories.ServiceFactory(health_system=tenant, slug="primary-care")
    peds = factories.ServiceFactory(health_system=tenant, slug="pediatrics")
    aetna = factories.InsurancePlanFactory(health_system=tenant, slug="aetna")
    cigna = factories.InsurancePlanFactory(health_system=tenant, slug="cigna")
    physical = factories.AppointmentTypeFactory(health_system=tenant, slug="annual-physical")
    here = factories.LocationFactory(health_system=tenant, latitude=40.0, longitude=-75.0)
    there = factories.LocationFactory(health_system=tenant, latitude=41.0, longitude=-75.0)

    def evening():
        return [WeeklyWindow(weekday=2, opens_at=time(18), closes_at=time(20))]

    def morning():
        return [WeeklyWindow(weekday=2, opens_at=time(8), closes_at=time(11))]

    def provider(slug, schedules, **attributes):
        owner = factories.ProviderFactory(health_system=tenant, slug=slug, **attributes)
        for options in schedules:
            defaults = {"service": care, "location": here, "weekly_windows": evening()}
            factories.ScheduleFactory(
                health_system=tenant, provider=owner, **{**defaults, **options}
            )
        return owner

    provider(
        "match-near",
        [{"insurance_plans": [aetna], "appointment_types": [physical]}],
        gender="female",
        languages=["Spanish"],
    )
    provider(
        "match-far",
        [{"insurance_plans": [aetna], "appointment_types": [physical], "location": there}],
        gender="female",
        languages=["Spanish", "English"],
    )
    # Each of these misses exactly one condition.
    provider(
        "male",
        [{"insurance_plans": [aetna], "appointment_types": [physical]}],
        gender="male",
        languages=["Spanish"],
    )
    provider(
        "no-spanish",
        [{"insurance_plans": [aetna], "appointment_types": [physical]}],
        gender="female",
        languages=["English"],
    )
    provider(
        "other-plan",
        [{"insurance_plans": [cigna], "appointment_types": [physical]}],
        gender="female",
        languages=["Spanish"],
    )
    provider(
        "morning-only",
        [
            {
                "insurance_plans": [aetna],
                "appointment_types": [physical],
                "weekly_windows": morning(),
            }
        ],
        gender="female",
        languages=["Spanish"],
    )
    # Meets every condition, but on two different schedules: not one schedule meets them all.
    provider(
        "split",
        [
            {"insurance_plans": [aetna], "service": peds},
            {"insurance_plans": [cigna], "appointment_types": [physical]},
        ],
        gender="female",
        languages=["Spanish"],
    )
    return tenant


def ids(api, query):
    response = api.get("/providers", query)
    assert response.status_code == 200, response.json
    return [p["id"] for p in response.json["data"]]


def test_provider_and_schedule_filters_together(api, clinic):
    query = {
        "filter[gender]": "female",
        "filter[language]": "spanish",
        "filter[insurance]": "aetna",
        "sort": "id",
    }
    assert ids(api, query) == ["match-far", "match-near", "morning-only", "split"]


def test_schedule_conditions_hold_on_one_schedule(api, clinic):
    query = {
        "filter[service]": "primary-care",
        "filter[insurance]": "aetna",
        "filter[appointment-type]": "annual-physical",
        "filter[language]": "spanish",
        "filter[gender]": "female",
        "sort": "id",
    }
    assert ids(api, query) == ["match-far", "match-near", "morning-only"]
    query["filter[hours-availability]"] = "evening"
    assert ids(api, query) == ["match-far", "match-near"]


def test_near_orders_the_filtered_set_and_paginates(api, clinic):
    query = {
        "filter[insurance]": "aetna",
        "filter[hours-availability]": "evening",
        "filter[gender]": "female",
        "filter[language]": "spanish",
        "filter[near]": "[41.0,-75.0]",
        "page[size]": 1,
    }
    first = api.get("/providers", query).json
    assert [p["id"] for p in first["data"]] == ["match-far"]
    # "split" matches here: insurance and evening hours hold on its first schedule.
    assert first["meta"]["record-count"] == 3
    rest, link = [], first["links"].get("next")
    while link:
        page = api.client.get(link, headers={"Authorization": api.secret}).json
        rest += [p["id"] for p in page["data"]]
        link = page["links"].get("next")
    assert sorted(rest) == ["match-near", "split"]


def test_the_json_form_gives_the_same_answer_with_includes(api, clinic):
    bracket = api.get(
        "/providers",
        {
            "filter[insurance]": "aetna",
            "filter[gender]": "female",
            "filter[near]": "[40,-75]",
            "include": "schedules.insurance-plans",
        },
    ).json
    json_form = api.get(
        "/providers",
        {
            "filter": '{"insurance": "aetna", "gender": "female", "near": [40, -75]}',
            "include": "schedules.insurance-plans",
        },
    ).json
    assert [p["id"] for p in bracket["data"]] == [p["id"] for p in json_form["data"]]
    assert bracket["data"][0]["id"] == "match-near"
    assert bracket["included"] == json_form["included"]
    assert {o["type"] for o in bracket["included"]} == {"schedules", "insurance-plans"}


def test_a_filter_repeated_in_both_forms_takes_the_bracket_value(api, clinic):
    query = {"filter": '{"gender": "male"}', "filter[gender]": "female", "sort": "id"}
    assert "male" not in ids(api, query)

"""Schedules compared by `age-limit-threshold`, on the list and the lists of schedules nested
under locations and providers."""

import pytest

from tests import factories

# Schedules by name: their age limit (None: no limit).
LIMITS = {"children": (12, "younger"), "adults": (18, "older"), "seniors": (65, "older")}


@pytest.fixture
def schedules(tenant, other_tenant):
    location = factories.LocationFactory(health_system=tenant, slug="harbor")
    made = {
        name: factories.ScheduleFactory(
            health_system=tenant,
            location=location,
            age_limit_threshold=threshold,
            age_limit_direction=direction,
        )
        for name, (threshold, direction) in LIMITS.items()
    }
    made["anyone"] = factories.ScheduleFactory(health_system=tenant, location=location)
    factories.ScheduleFactory(
        health_system=tenant, age_limit_threshold=18, age_limit_direction="older", active=False
    )
    factories.ScheduleFactory(
        health_system=other_tenant, age_limit_threshold=18, age_limit_direction="older"
    )
    return {schedule.id: name for name, schedule in made.items()}


def names(api, schedules, query, path="/schedules"):
    response = api.get(path, {"sort": "age-limit-threshold,name", **query})
    assert response.status_code == 200, response.json
    return [schedules[s["id"]] for s in response.json["data"]]  # KeyError: not tenant's


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("eq", ["adults"]),
        ("lt", ["children"]),
        ("lte", ["children", "adults"]),
        ("gt", ["seniors"]),
        ("gte", ["adults", "seniors"]),
    ],
)
def test_every_operator_at_its_bound(api, schedules, op, expected):
    assert names(api, schedules, {f"filter[age-limit-threshold][{op}]": "18"}) == expected
    nested = f'{{"age-limit-threshold": {{"{op}": 18}}}}'
    assert names(api, schedules, {"filter": nested}) == expected


def test_no_limit_is_no_value_and_never_compares(api, schedules):
    everything = {
        "filter[age-limit-threshold][gte]": "0",
        "filter[age-limit-threshold][lte]": "999",
    }
    assert names(api, schedules, everything) == ["children", "adults", "seniors"]
    assert names(api, schedules, {"filter[age-limit-threshold]": "18"}) == ["adults"]


def test_nested_lists_take_the_comparison(api, schedules):
    query = {"filter[age-limit-threshold][gt]": "12", "filter[age-limit-threshold][lt]": "65"}
    assert names(api, schedules, query, "/locations/harbor/schedules") == ["adults"]
    linkage = api.get("/locations/harbor/relationships/schedules", query)
    assert [schedules[s["id"]] for s in linkage.json["data"]] == ["adults"]


def test_a_wrong_value_is_refused_naming_it(api, schedules):
    response = api.get("/schedules", {"filter[age-limit-threshold][lt]": "eighteen"})
    assert response.status_code == 400
    assert response.json["errors"][0]["source"] == {"parameter": "filter[age-limit-threshold][lt]"}
    response = api.get("/schedules", {"filter[capacity][lt]": "3"})
    assert response.status_code == 400
    assert "cannot compare 'capacity'" in response.json["errors"][0]["detail"]

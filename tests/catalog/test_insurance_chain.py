"""The insurance override chain: schedule replaces location replaces region replaces system."""

import pytest
from sqlalchemy import select

from inquick.models.coverage import effective, plans_of_each_schedule
from tests import factories


@pytest.fixture
def chain(tenant):
    """One schedule per level of the chain, and plans named after the level that lists them."""
    plan = {
        name: factories.InsurancePlanFactory(health_system=tenant, slug=name)
        for name in ("system", "region", "location", "own", "unused")
    }
    plan["system"].accepted_by_default = True
    region = factories.RegionFactory(health_system=tenant, insurance_plans=[plan["region"]])
    in_region = factories.LocationFactory(health_system=tenant, region=region)
    listed = factories.LocationFactory(
        health_system=tenant, region=region, insurance_plans=[plan["location"]]
    )
    bare = factories.LocationFactory(health_system=tenant)
    schedules = {
        "own": factories.ScheduleFactory(
            health_system=tenant, location=listed, insurance_plans=[plan["own"]]
        ),
        "location": factories.ScheduleFactory(health_system=tenant, location=listed),
        "region": factories.ScheduleFactory(health_system=tenant, location=in_region),
        "system": factories.ScheduleFactory(health_system=tenant, location=bare),
    }
    return plan, schedules


def plan_ids(document):
    return sorted(item["id"] for item in document["data"])


@pytest.mark.parametrize("level", ["own", "location", "region", "system"])
def test_each_level_replaces_the_ones_above(api, chain, level):
    _plans, schedules = chain
    document = api.get(f"/schedules/{schedules[level].id}/insurance-plans").json
    assert plan_ids(document) == [level]


def test_include_and_relationship_endpoints_give_the_same_effective_lists(api, chain):
    _plans, schedules = chain
    document = api.get("/schedules", {"include": "insurance-plans", "page[size]": 10}).json
    for schedule in document["data"]:
        included = [p["id"] for p in schedule["relationships"]["insurance-plans"]["data"]]
        linkage = api.get(f"/schedules/{schedule['id']}/relationships/insurance-plans").json
        assert included == [p["id"] for p in linkage["data"]]
    by_id = {
        s["id"]: [p["id"] for p in s["relationships"]["insurance-plans"]["data"]]
        for s in document["data"]
    }
    assert {by_id[s.id][0] for s in schedules.values()} == {"own", "location", "region", "system"}


def test_the_insurance_filter_follows_the_chain(api, chain):
    _plans, schedules = chain
    for level, schedule in schedules.items():
        found = [p["id"] for p in api.get("/providers", {"filter[insurance]": level}).json["data"]]
        assert found == [schedule.provider.slug]


def test_a_schedules_own_list_hides_its_locations_plan(api, chain):
    """The location lists `location`, but the schedule with its own list does not take it."""
    _plans, schedules = chain
    found = api.get("/providers", {"filter[insurance]": "location"}).json["data"]
    assert schedules["own"].provider.slug not in [p["id"] for p in found]


def test_the_plan_list_holds_plans_of_active_schedules_only(api, chain, tenant):
    _plans, schedules = chain
    assert plan_ids(api.get("/insurance-plans").json) == ["location", "own", "region", "system"]
    schedules["own"].active = False
    assert plan_ids(api.get("/insurance-plans").json) == ["location", "region", "system"]
    # Off the list, but still the health system's plan: its URL answers (a plan just
    # created, before any schedule accepts it, must be readable and linkable).
    assert api.get("/insurance-plans/own").status_code == 200
    assert api.get("/insurance-plans/unused").status_code == 200


def test_the_union_and_the_walk_one_schedule_at_a_time_agree(session, chain, tenant, other_tenant):
    """The filters read the chain as a union, a page's plans one schedule at a time: every
    schedule takes the same plans from both, whichever level it takes them from."""
    plans, _schedules = chain
    # A region listing nothing and a location without one fall through to the defaults;
    # another system's default plan is never one of them.
    factories.InsurancePlanFactory(health_system=other_tenant, accepted_by_default=True)
    quiet_region = factories.RegionFactory(health_system=tenant)
    for location in (factories.LocationFactory(health_system=tenant, region=quiet_region),
                     factories.LocationFactory(health_system=tenant)):  # fmt: skip
        factories.ScheduleFactory(health_system=tenant, location=location)
    factories.ScheduleFactory(health_system=tenant, active=False, insurance_plans=[plans["own"]])
    session.flush()

    def pairs(statement):
        return sorted(session.execute(statement).all())

    walked = plans_of_each_schedule().subquery()
    union = pairs(select(effective.c.schedule_id, effective.c.insurance_plan_id))
    assert union == pairs(select(walked.c.schedule_id, walked.c.insurance_plan_id))
    assert {plan for _, plan in union} == {plans[n].id for n in ("own", "location", "region",
                                                                 "system")}  # fmt: skip

"""Resource objects, compound documents, sparse fieldsets and sorting."""

import pytest

from tests import factories

ROOT = "http://localhost/api/v3/tenant-a.example.org"


@pytest.fixture
def catalog(tenant):
    """Two schedules at one location sharing two of their three plans."""
    plans = [factories.InsurancePlanFactory(health_system=tenant, slug=s) for s in "abc"]
    location = factories.LocationFactory(health_system=tenant, slug="feestport")
    first = factories.ScheduleFactory(
        health_system=tenant, location=location, name="A", insurance_plans=plans[:2]
    )
    second = factories.ScheduleFactory(
        health_system=tenant, location=location, name="B", insurance_plans=plans[1:]
    )
    return {"plans": plans, "location": location, "schedules": [first, second]}


def test_a_whole_single_document(api, tenant):
    factories.ServiceFactory(health_system=tenant, slug="primary-care", name="Primary Care")
    response = api.get("/services/primary-care")
    assert response.json == {
        "jsonapi": {"version": "1.1"},
        "links": {"self": f"{ROOT}/services/primary-care"},
        "data": {
            "type": "services",
            "id": "primary-care",
            "attributes": {"name": "Primary Care"},
            "links": {"self": f"{ROOT}/services/primary-care"},
        },
    }


def test_relationships_carry_links_and_data_only_when_included(api, catalog):
    schedule = catalog["schedules"][0]
    url = f"{ROOT}/schedules/{schedule.id}"
    plain = api.get(f"/schedules/{schedule.id}").json["data"]
    assert plain["relationships"]["location"] == {
        "links": {"self": f"{url}/relationships/location", "related": f"{url}/location"}
    }
    included = api.get(f"/schedules/{schedule.id}", {"include": "location"}).json["data"]
    assert included["relationships"]["location"]["data"] == {"type": "locations", "id": "feestport"}
    assert "data" not in included["relationships"]["provider"]


def test_links_are_built_from_the_request_host(app, api, catalog, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", [".example.net"])
    schedule = catalog["schedules"][0]
    response = api.get(f"/schedules/{schedule.id}", base_url="https://partner.example.net")
    expected = f"https://partner.example.net/api/v3/tenant-a.example.org/schedules/{schedule.id}"
    assert response.json["data"]["links"]["self"] == expected


def test_included_resources_appear_once(api, catalog):
    document = api.get("/locations/feestport/schedules", {"include": "insurance-plans"}).json
    included = [(o["type"], o["id"]) for o in document["included"]]
    assert sorted(included) == [("insurance-plans", s) for s in "abc"]
    linkage = {d["id"]: d["relationships"]["insurance-plans"]["data"] for d in document["data"]}
    first, second = catalog["schedules"]
    assert linkage[first.id] == [{"type": "insurance-plans", "id": s} for s in "ab"]
    assert linkage[second.id] == [{"type": "insurance-plans", "id": s} for s in "bc"]


def test_dotted_include_paths_are_fully_linked(api, catalog):
    document = api.get("/locations/feestport", {"include": "schedules.insurance-plans"}).json
    kinds = sorted((o["type"], o["id"]) for o in document["included"])
    expected_schedules = sorted(("schedules", s.id) for s in catalog["schedules"])
    assert kinds == [("insurance-plans", s) for s in "abc"] + expected_schedules
    location = document["data"]
    assert len(location["relationships"]["schedules"]["data"]) == 2
    for schedule in (o for o in document["included"] if o["type"] == "schedules"):
        assert "data" in schedule["relationships"]["insurance-plans"]


def test_primary_data_is_not_repeated_in_included(api, catalog):
    first = catalog["schedules"][0]
    document = api.get(f"/schedules/{first.id}", {"include": "location.schedules"}).json
    included = [(o["type"], o["id"]) for o in document["included"]]
    assert ("schedules", first.id) not in included
    assert ("schedules", catalog["schedules"][1].id) in included
    assert len(included) == len(set(included))


def test_sparse_fieldsets_apply_to_primary_and_included_types(api, catalog):
    document = api.get(
        "/locations/feestport/schedules",
        {
            "include": "insurance-plans",
            "fields[schedules]": "name,insurance-plans",
            "fields[insurance-plans]": "company",
        },
    ).json
    for schedule in document["data"]:
        assert set(schedule["attributes"]) == {"name"}
        assert set(schedule["relationships"]) == {"insurance-plans"}
    for plan in document["included"]:
        assert set(plan["attributes"]) == {"company"}
        assert "relationships" not in plan


def test_sort_ascending_descending_and_by_several_fields(api, tenant):
    for slug, priority, name in [("x", 2, "B"), ("y", 1, "C"), ("z", 2, "A")]:
        factories.AppointmentTypeFactory(
            health_system=tenant, slug=slug, priority=priority, name=name
        )
    ids = lambda query: [d["id"] for d in api.get("/appointment-types", query).json["data"]]  # noqa: E731
    assert ids({}) == ["y", "z", "x"]  # the default: priority, then name
    assert ids({"sort": "name"}) == ["z", "x", "y"]
    assert ids({"sort": "-name"}) == ["y", "x", "z"]
    assert ids({"sort": "-priority,name"}) == ["z", "x", "y"]


def test_ties_keep_a_stable_order(api, tenant):
    for slug in ["d", "b", "a", "c"]:
        factories.ServiceFactory(health_system=tenant, slug=slug, name="Same")
    first = [d["id"] for d in api.get("/services", {"sort": "name"}).json["data"]]
    assert first == ["a", "b", "c", "d"]

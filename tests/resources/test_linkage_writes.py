"""Relationship linkage is replaced, added to and removed from, through relationship endpoints
and inside resource bodies; a schedule reads its effective insurance plans."""

import pytest

from tests.resources.writes import (
    KINDS,
    TO_MANY,
    assert_pointed,
    columns,
    create_body,
    identifier,
    own_links,
    patch_body,
    stored,
    to_many,
    to_one,
)

pytestmark = pytest.mark.usefixtures("world")


@pytest.mark.parametrize("link", TO_MANY, ids=str)
def test_to_many_linkage_is_replaced_added_to_and_removed_from(
    writer, session, tenant, world, link
):
    owner_id = world["ids"][link.owner]
    url = f"/{link.owner}/{owner_id}/relationships/{link.name}"
    a, b, c = link.ids
    steps = [
        ("PATCH", [a, b], [a, b]),
        ("POST", [b, c, c], [a, b, c]),  # added once each, whatever was there
        ("DELETE", [a, b], [c]),
        ("PATCH", [c, a], [a, c]),
        ("PATCH", [], []),
    ]
    for method, sent, expected in steps:
        response = writer.send(method, url, to_many(link.target, *sent))
        assert response.status_code == 200, (method, sent, response.json)
        assert own_links(session, link.owner, owner_id, link.attribute, tenant.id) == expected
        if expected:  # (an emptied list of a schedule's plans reads as the inherited one)
            assert sorted(item["id"] for item in response.json["data"]) == expected
            assert all(item["type"] == link.target for item in response.json["data"])


@pytest.mark.parametrize("link", TO_MANY, ids=str)
def test_to_many_linkage_is_written_in_a_resource_body(writer, session, tenant, link):
    kind = KINDS[link.owner]
    a, b, c = link.ids
    created = writer.post(
        f"/{kind.type}", create_body(kind, relationships={link.name: to_many(link.target, a, b)})
    )
    assert created.status_code == 201, created.json
    new_id = created.json["data"]["id"]
    assert own_links(session, kind.type, new_id, link.attribute, tenant.id) == [a, b]

    relationships = {link.name: to_many(link.target, c)}
    changed = writer.patch(f"/{kind.type}/{new_id}", patch_body(kind, new_id, None, relationships))
    assert changed.status_code == 200, changed.json
    assert own_links(session, kind.type, new_id, link.attribute, tenant.id) == [c]
    linkage = writer.get(f"/{kind.type}/{new_id}/relationships/{link.name}")
    assert linkage.json["data"] == [identifier(link.target, c)]


TO_ONE = [
    ("location", "locations", "bayside"),
    ("provider", "providers", "dr-kim"),
    ("service", "services", "urgent-care"),
    ("service", "services", None),
]


@pytest.mark.parametrize("how", ["endpoint", "body"])
@pytest.mark.parametrize(("name", "target", "new_id"), TO_ONE)
def test_a_schedules_to_one_linkage_is_replaced(writer, session, world, name, target, new_id, how):
    schedule = world["schedule"]
    url = f"/schedules/{schedule.id}"
    if how == "endpoint":
        response = writer.patch(f"{url}/relationships/{name}", to_one(target, new_id))
    else:
        body = patch_body(KINDS["schedules"], schedule.id, None, {name: to_one(target, new_id)})
        response = writer.patch(url, body)
    assert response.status_code == 200, response.json
    session.refresh(schedule)
    linked = getattr(schedule, name)
    assert (linked.slug if linked else None) == new_id
    assert writer.get(f"{url}/relationships/{name}").json["data"] == to_one(target, new_id)["data"]
    assert schedule.time_zone_name == "America/New_York"  # a move keeps the schedule's zone


@pytest.mark.parametrize("how", ["endpoint", "body"])
@pytest.mark.parametrize("name", ["location", "provider"])
def test_a_schedules_location_and_provider_cannot_be_null(writer, session, world, name, how):
    schedule = world["schedule"]
    before = columns(session, schedule)
    url = f"/schedules/{schedule.id}"
    if how == "endpoint":
        response = writer.patch(f"{url}/relationships/{name}", {"data": None})
        pointer = "/data"
    else:
        body = patch_body(KINDS["schedules"], schedule.id, None, {name: {"data": None}})
        response = writer.patch(url, body)
        pointer = f"/data/relationships/{name}/data"
    assert_pointed(response, 422, pointer)
    assert columns(session, schedule) == before


def test_emptying_a_schedules_own_plans_shows_its_locations(writer, session, tenant, world):
    schedule = world["schedule"]
    harbor = stored(session, KINDS["locations"], "harbor", tenant.id)
    harbor.insurance_plans = [world["plans"]["plan-c"]]
    session.flush()
    url = f"/schedules/{schedule.id}/relationships/insurance-plans"
    assert writer.patch(url, to_many("insurance-plans", "plan-a")).status_code == 200
    assert writer.get(url).json["data"] == [identifier("insurance-plans", "plan-a")]

    response = writer.delete(url, to_many("insurance-plans", "plan-a"))

    assert response.status_code == 200, response.json
    assert response.json["data"] == [identifier("insurance-plans", "plan-c")]
    session.refresh(schedule)
    assert schedule.insurance_plans == []
    related = writer.get(f"/schedules/{schedule.id}/insurance-plans")
    assert [plan["id"] for plan in related.json["data"]] == ["plan-c"]

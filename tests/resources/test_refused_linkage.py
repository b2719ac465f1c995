"""Every malformed linkage is refused with the error its fault calls for, pointing at it."""

import pytest

from tests.resources.writes import (
    KINDS,
    TO_MANY,
    assert_pointed,
    assert_refused,
    columns,
    create_body,
    error,
    existing,
    identifier,
    linkage_write,
    own_links,
    patch_body,
    row_count,
    stored,
    to_many,
    to_one,
)

pytestmark = pytest.mark.usefixtures("world")


@pytest.mark.parametrize("missing", [["location"], ["provider"], ["location", "provider"]])
def test_a_schedule_needs_a_location_and_a_provider(writer, session, missing):
    kind = KINDS["schedules"]
    body = create_body(kind)
    for name in missing:
        del body["data"]["relationships"][name]
    count = row_count(session, kind)
    response = writer.post("/schedules", body)
    assert response.status_code == 422, response.json
    assert sorted(response.json["errors"], key=lambda e: e["detail"]) == [
        error(422, f"{name} is required.", f"/data/relationships/{name}") for name in missing
    ]
    assert row_count(session, kind) == count


BAD_LINKS = [
    # owner, relationship, linkage, status, where the error points under the linkage
    ("locations", "insurance-plans", to_many("insurance-plans", "plan-a", "nope"), 404, "/1"),
    ("locations", "insurance-plans", to_many("insurance-plans", "their-row"), 404, "/0"),
    ("locations", "insurance-plans", to_many("services", "primary-care"), 409, "/0/type"),
    ("locations", "insurance-plans", {"data": [{"type": "insurance-plans"}]}, 400, "/0/id"),
    ("locations", "insurance-plans", {"data": identifier("insurance-plans", "plan-a")}, 400, ""),
    ("appointment-types", "services", to_many("services", "walk-in", "nope"), 404, "/1"),
    ("appointment-types", "services", to_many("appointment-types", "checkup"), 409, "/0/type"),
    ("schedules", "appointment-types", to_many("appointment-types", "nope"), 404, "/0"),
    ("schedules", "insurance-plans", to_many("insurance-plans", "plan-b", "nope"), 404, "/1"),
    ("schedules", "location", to_one("locations", "their-row"), 404, ""),
    ("schedules", "provider", to_one("providers", "nope"), 404, ""),
    ("schedules", "service", to_one("services", "nope"), 404, ""),
    ("schedules", "location", to_one("providers", "dr-kim"), 409, "/type"),
    ("schedules", "provider", to_many("providers", "dr-kim"), 400, ""),
]


@pytest.mark.parametrize("how", ["endpoint", "patch", "post"])
@pytest.mark.parametrize(
    ("owner", "name", "linkage", "status", "under"),
    BAD_LINKS,
    ids=[f"{o}.{n}-{s}{u}" for o, n, _l, s, u in BAD_LINKS],
)
def test_bad_linkage_is_refused(
    writer, session, tenant, world, how, owner, name, linkage, status, under
):
    kind = KINDS[owner]
    row = stored(session, kind, world["ids"][owner], tenant.id)
    before, count = columns(session, row), row_count(session, kind)
    links_before = {
        link.attribute: own_links(session, owner, world["ids"][owner], link.attribute, tenant.id)
        for link in TO_MANY
        if link.owner == owner
    }
    response, pointer = linkage_write(writer, world, how, owner, name, linkage)
    assert_pointed(response, status, pointer + under)
    assert columns(session, row) == before
    assert row_count(session, kind) == count
    for attribute, linked in links_before.items():
        assert own_links(session, owner, world["ids"][owner], attribute, tenant.id) == linked


@pytest.mark.parametrize("how", ["patch", "post"])
@pytest.mark.parametrize(
    ("owner", "name", "status", "detail"),
    [
        ("locations", "schedules", 403, "schedules cannot be changed through locations."),
        ("providers", "schedules", 403, "schedules cannot be changed through providers."),
        ("services", "schedules", 422, "services have no relationship 'schedules'."),
        ("schedules", "visits", 422, "schedules have no relationship 'visits'."),
    ],
)
def test_a_relationship_that_cannot_be_written_is_refused(
    writer, session, tenant, world, how, owner, name, status, detail
):
    kind = KINDS[owner]
    row, id_ = existing(kind, tenant)
    before, count = columns(session, row), row_count(session, kind)
    linkage = {name: to_many("schedules", world["schedule"].id)}
    if how == "post":
        response = writer.post(f"/{owner}", create_body(kind, relationships=linkage))
    else:
        response = writer.patch(f"/{owner}/{id_}", patch_body(kind, id_, None, linkage))
    assert_refused(response, status, error(status, detail, f"/data/relationships/{name}"))
    assert columns(session, row) == before
    assert row_count(session, kind) == count

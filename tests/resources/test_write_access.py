"""Who may write: a key without catalog:write changes nothing; health systems are neither
created nor deleted; the underscored aliases take every write."""

import pytest

from tests import factories
from tests.resources.writes import (
    HEALTH_SYSTEMS,
    PATCHABLE,
    TO_MANY,
    assert_refused,
    columns,
    create_body,
    error,
    existing,
    identifier,
    patch_body,
    row_count,
    to_many,
    to_one,
)

pytestmark = pytest.mark.usefixtures("world")


LACKS_WRITE = error(403, "This key lacks the catalog:write scope.")


@pytest.mark.parametrize("kind", PATCHABLE, ids=str)
def test_a_key_without_catalog_write_changes_nothing(api, session, tenant, world, kind):
    row, id_ = existing(kind, tenant)
    before, count = columns(session, row), row_count(session, kind)
    url = f"/{kind.type}/{id_}"
    assert_refused(api.patch(url, patch_body(kind, id_, kind.patch)), 403, LACKS_WRITE)
    if kind.factory is not None:
        assert_refused(api.post(f"/{kind.type}", create_body(kind)), 403, LACKS_WRITE)
    assert_refused(api.delete(url), 403, LACKS_WRITE)
    for link in (link for link in TO_MANY if link.owner == kind.type):
        linkage = to_many(link.target, *link.ids)
        for method in ("PATCH", "POST", "DELETE"):
            response = api.send(method, f"{url}/relationships/{link.name}", linkage)
            assert_refused(response, 403, LACKS_WRITE)
    assert columns(session, row) == before
    assert row_count(session, kind) == count


def test_a_key_without_catalog_write_cannot_relink_a_schedule(api, session, world):
    schedule = world["schedule"]
    before = columns(session, schedule)
    response = api.patch(
        f"/schedules/{schedule.id}/relationships/location", to_one("locations", "bayside")
    )
    assert_refused(response, 403, LACKS_WRITE)
    assert columns(session, schedule) == before


def test_health_systems_are_neither_created_nor_deleted(writer, session, tenant):
    before, count = columns(session, tenant), row_count(session, HEALTH_SYSTEMS)
    detail = "Health systems are created and removed by the deployment's operator."
    body = {"data": {"type": "health-systems", "attributes": {"name": "New System"}}}
    assert_refused(writer.post("/health-systems", body), 403, error(403, detail))
    assert_refused(writer.delete("/health-systems/tenant-a"), 403, error(403, detail))
    assert columns(session, tenant) == before
    assert row_count(session, HEALTH_SYSTEMS) == count


ALIASES = {
    "appointment_types": ("appointment-types", {"name": "Walk-in"}),
    "insurance_plans": ("insurance-plans", {"company": "Acme", "name": "Gold"}),
    "medical_groups": ("medical-groups", {"name": "Harbor Group"}),
}


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_the_underscored_alias_takes_every_write(writer, session, tenant, alias):
    """The reference's underscored paths write like the dasherized ones, links dasherized."""
    type_, attributes = ALIASES[alias]
    created = writer.post(f"/{alias}", {"data": {"type": type_, "attributes": attributes}})
    assert created.status_code == 201, created.json
    object_id = created.json["data"]["id"]
    assert created.headers["Location"].endswith(f"/{type_}/{object_id}")
    change = {"data": {"type": type_, "id": object_id, "attributes": {"name": "Renamed"}}}
    changed = writer.patch(f"/{alias}/{object_id}", change)
    assert (changed.status_code, changed.json["data"]["attributes"]["name"]) == (200, "Renamed")
    if alias == "appointment_types":
        factories.ServiceFactory(health_system=tenant, slug="alias-care")
        linkage = {"data": [{"type": "services", "id": "alias-care"}]}
        url = f"/{alias}/{object_id}/relationships/services"
        for method, expected in (
            ("PATCH", ["alias-care"]),
            ("DELETE", []),
            ("POST", ["alias-care"]),
        ):
            answer = writer.send(method, url, linkage)
            assert [i["id"] for i in answer.json["data"]] == expected, method
    assert writer.delete(f"/{alias}/{object_id}").status_code == 204
    assert writer.get(f"/{type_}/{object_id}").status_code == 404


def test_the_health_system_alias_takes_a_patch(writer, tenant):
    change = {
        "data": {"type": "health-systems", "id": tenant.slug, "attributes": {"gtag-id": "G-1"}}
    }
    changed = writer.patch(f"/health_systems/{tenant.slug}", change)
    assert (changed.status_code, changed.json["data"]["attributes"]["gtag-id"]) == (200, "G-1")
    assert writer.get("/health-systems/tenant-a").json["data"]["attributes"]["gtag-id"] == "G-1"


def test_at_members_are_ignored_as_json_api_asks(writer, session, tenant, world):
    """JSON:API 1.1: processors ignore @-members completely, at any level of a document."""
    body = {
        "@context": "https://example.org/annotations",
        "data": {
            "@note": "ours",
            "type": "appointment-types",
            "attributes": {"name": "Annotated", "duration-minutes": 20, "@label": "x"},
            "relationships": {
                "@rel": {},
                "services": {"data": [{"type": "services", "id": "walk-in", "@why": "x"}]},
            },
        },
    }
    response = writer.post("/appointment-types", body)
    assert response.status_code == 201, response.json
    assert response.json["data"]["attributes"]["name"] == "Annotated"
    linked = writer.get("/appointment-types/annotated/relationships/services")
    assert linked.json["data"] == [identifier("services", "walk-in")]

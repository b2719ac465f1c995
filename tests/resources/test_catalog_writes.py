"""Catalog writes (scope catalog:write): create, change and delete every catalog type.

For locations, services, medical-groups, appointment-types, insurance-plans, providers and
schedules (and PATCH of the caller's own health-systems) this proves that:

- a POST stores the resource for the caller's health system, under the client's id (a
  slug; a UUID for schedules) or a slug made from its name, and answers 201 with its URL;
- a PATCH changes exactly the attributes and relationships it sends; a DELETE removes the
  row, unless a schedule still uses it (409); another system's rows are out of reach.

Writes are checked in the database through `session`, not only in the answer. Linkage,
schedules, providers, refusals and scopes have modules of their own beside this one.
"""

import uuid

import pytest

from inquick.models import Schedule
from tests import factories
from tests.resources.writes import (
    CREATABLE,
    KINDS,
    PATCHABLE,
    ROOT,
    SLUGGED,
    assert_refused,
    columns,
    create_body,
    error,
    existing,
    follow,
    identifier,
    patch_body,
    stored,
)

pytestmark = pytest.mark.usefixtures("world")


# --- Create -----------------------------------------------------------------------------


@pytest.mark.parametrize("client_id", [True, False], ids=["client-id", "no-id"])
@pytest.mark.parametrize("kind", CREATABLE, ids=str)
def test_post_creates_the_resource(writer, session, tenant, kind, client_id):
    chosen = (str(uuid.uuid4()) if kind.model is Schedule else "chosen-id") if client_id else None
    response = writer.post(f"/{kind.type}", create_body(kind, chosen))

    assert response.status_code == 201, response.json
    data = response.json["data"]
    if chosen:
        assert data["id"] == chosen
    elif kind.slug:
        assert data["id"] == kind.slug
    else:
        assert str(uuid.UUID(data["id"], version=4)) == data["id"]
    assert data["type"] == kind.type
    assert response.headers["Location"] == data["links"]["self"]
    assert data["links"]["self"] == f"{ROOT}/{kind.type}/{data['id']}"
    assert {name: data["attributes"][name] for name in kind.create} == kind.create
    row = stored(session, kind, data["id"], tenant.id)
    assert row is not None and row.health_system_id == tenant.id
    assert row.name == kind.create["name"]
    shown = follow(writer, response.headers["Location"])
    assert shown.status_code == 200
    assert shown.json["data"] == data


@pytest.mark.parametrize("kind", SLUGGED, ids=str)
def test_a_name_already_used_gets_a_numbered_id(writer, session, tenant, kind):
    first = writer.post(f"/{kind.type}", create_body(kind))
    second = writer.post(f"/{kind.type}", create_body(kind))
    assert (first.status_code, second.status_code) == (201, 201)
    assert [first.json["data"]["id"], second.json["data"]["id"]] == [kind.slug, f"{kind.slug}-2"]
    for id_ in (kind.slug, f"{kind.slug}-2"):
        assert stored(session, kind, id_, tenant.id).name == kind.create["name"]


@pytest.mark.parametrize("kind", SLUGGED, ids=str)
def test_a_name_without_latin_letters_gets_the_types_name_as_id(writer, kind):
    attributes = {**kind.create, "name": "診療所"}
    response = writer.post(f"/{kind.type}", create_body(kind, attributes=attributes))
    assert response.status_code == 201, response.json
    assert response.json["data"]["id"] == kind.type.removesuffix("s")
    assert response.json["data"]["attributes"]["name"] == "診療所"


def test_an_id_another_health_system_uses_is_free(writer, session, tenant, other_tenant):
    response = writer.post("/locations", create_body(KINDS["locations"], "their-row"))
    assert response.status_code == 201, response.json
    assert stored(session, KINDS["locations"], "their-row", tenant.id) is not None
    theirs = stored(session, KINDS["locations"], "their-row", other_tenant.id)
    assert theirs.name != KINDS["locations"].create["name"]


# --- Change -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", PATCHABLE, ids=str)
def test_patch_changes_exactly_the_attributes_sent(writer, session, tenant, kind):
    row, id_ = existing(kind, tenant)
    before = writer.get(f"/{kind.type}/{id_}").json["data"]

    response = writer.patch(f"/{kind.type}/{id_}", patch_body(kind, id_, kind.patch))

    assert response.status_code == 200, response.json
    after = response.json["data"]
    assert after["attributes"] == {**before["attributes"], **kind.patch}
    assert {**after, "attributes": None} == {**before, "attributes": None}
    assert writer.get(f"/{kind.type}/{id_}").json["data"] == after
    session.refresh(row)
    for name, value in kind.patch.items():
        assert getattr(row, name.replace("-", "_")) == value, name


def test_a_patch_reaches_only_the_callers_row(writer, session, tenant, other_tenant):
    kind = KINDS["locations"]
    theirs = columns(session, stored(session, kind, "harbor", other_tenant.id))
    response = writer.patch("/locations/harbor", patch_body(kind, "harbor", {"city": "Portland"}))
    assert response.status_code == 200, response.json
    assert stored(session, kind, "harbor", tenant.id).city == "Portland"
    assert columns(session, stored(session, kind, "harbor", other_tenant.id)) == theirs


@pytest.mark.parametrize("kind", PATCHABLE, ids=str)
def test_another_systems_rows_cannot_be_changed_or_deleted(writer, session, other_tenant, kind):
    row, id_ = existing(kind, other_tenant)
    before = columns(session, row)
    changed = writer.patch(f"/{kind.type}/{id_}", patch_body(kind, id_, kind.patch))
    deleted = writer.delete(f"/{kind.type}/{id_}")
    assert changed.status_code == 404, changed.json
    assert deleted.status_code in (403, 404), deleted.json  # health-systems: never deleted
    assert columns(session, row) == before


# --- Delete -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [k for k in CREATABLE if k.model is not Schedule], ids=str)
def test_delete_removes_the_row(writer, session, tenant, kind):
    _row, id_ = existing(kind, tenant)
    response = writer.delete(f"/{kind.type}/{id_}")
    assert response.status_code == 204
    assert response.get_data() == b""
    assert "Content-Type" not in response.headers
    assert stored(session, kind, id_, tenant.id) is None
    assert writer.get(f"/{kind.type}/{id_}").status_code == 404


def test_deleting_a_schedule_without_visits_removes_it(writer, session, tenant, world):
    schedule_id = world["schedule"].id
    response = writer.delete(f"/schedules/{schedule_id}")
    assert response.status_code == 200, response.json
    assert response.json == {"jsonapi": {"version": "1.1"}, "meta": {"cancelled-visits": 0}}
    assert stored(session, KINDS["schedules"], schedule_id, tenant.id) is None
    assert writer.get(f"/schedules/{schedule_id}").status_code == 404


@pytest.mark.parametrize(
    ("type_", "id_"),
    [("locations", "harbor"), ("providers", "dr-lee"), ("services", "primary-care")],
)
def test_a_row_a_schedule_uses_cannot_be_deleted(writer, session, tenant, world, type_, id_):
    response = writer.delete(f"/{type_}/{id_}")
    detail = f"Other resources still refer to {type_} {id_!r}; change them first."
    assert_refused(response, 409, error(409, detail))
    assert stored(session, KINDS[type_], id_, tenant.id) is not None
    assert writer.get(f"/{type_}/{id_}").status_code == 200
    relationship = type_.removesuffix("s")  # the schedule's location, provider or service
    still = writer.get(f"/schedules/{world['schedule'].id}/relationships/{relationship}")
    assert still.json["data"] == identifier(type_, id_)


def test_a_type_a_visit_was_booked_as_cannot_be_deleted(writer, session, tenant, world):
    checkup = stored(session, KINDS["appointment-types"], "checkup", tenant.id)
    visit = factories.VisitFactory(schedule=world["schedule"], appointment_type=checkup)
    response = writer.delete("/appointment-types/checkup")
    detail = "Other resources still refer to appointment-types 'checkup'; change them first."
    assert_refused(response, 409, error(409, detail))
    session.expire_all()
    assert visit.appointment_type is not None and visit.appointment_type.slug == "checkup"


@pytest.mark.parametrize(
    ("type_", "id_", "attribute"),
    [
        ("insurance-plans", "plan-a", "insurance_plans"),
        ("appointment-types", "checkup", "appointment_types"),
    ],
)
def test_deleting_a_plan_or_type_takes_it_off_the_schedules(
    writer, session, tenant, world, type_, id_, attribute
):
    schedule = world["schedule"]
    setattr(schedule, attribute, [stored(session, KINDS[type_], id_, tenant.id)])
    session.flush()
    assert writer.delete(f"/{type_}/{id_}").status_code == 204
    session.refresh(schedule)
    assert getattr(schedule, attribute) == []

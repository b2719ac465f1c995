"""Provider and insurance-plan writes: medical groups written as read, unlisted plans."""

import pytest

from tests.resources.writes import (
    KINDS,
    assert_refused,
    columns,
    create_body,
    error,
    existing,
    patch_body,
    row_count,
)

pytestmark = pytest.mark.usefixtures("world")


def test_a_providers_medical_groups_are_written_as_read(writer, session, tenant):
    kind = KINDS["providers"]
    row, id_ = existing(kind, tenant)
    groups = [{"id": "harbor-group"}, {"id": "bay-group", "name": "ignored"}]
    response = writer.patch(f"/providers/{id_}", patch_body(kind, id_, {"medical-groups": groups}))
    assert response.status_code == 200, response.json
    assert response.json["data"]["attributes"]["medical-groups"] == [
        {"id": "bay-group", "name": "Bay Group"},
        {"id": "harbor-group", "name": "Harbor Group"},
    ]
    session.refresh(row)
    assert [group.slug for group in row.medical_groups] == ["bay-group", "harbor-group"]
    emptied = writer.patch(f"/providers/{id_}", patch_body(kind, id_, {"medical-groups": []}))
    assert emptied.status_code == 200, emptied.json
    session.refresh(row)
    assert row.medical_groups == []


@pytest.mark.parametrize("group", ["no-such-group", "their-row"])
def test_an_unknown_medical_group_is_not_found(writer, session, tenant, group):
    kind = KINDS["providers"]
    row, id_ = existing(kind, tenant)
    before = columns(session, row)
    groups = {"medical-groups": [{"id": "harbor-group"}, {"id": group}], "bio": "New."}
    response = writer.patch(f"/providers/{id_}", patch_body(kind, id_, groups))
    expected = error(
        404, f"There is no medical-groups with id {group!r}.", "/data/attributes/medical-groups"
    )
    assert_refused(response, 404, expected)
    assert columns(session, row) == before
    assert row.medical_groups == []
    count = row_count(session, kind)
    attributes = {**kind.create, "medical-groups": [{"id": group}]}
    assert_refused(
        writer.post("/providers", create_body(kind, attributes=attributes)), 404, expected
    )
    assert row_count(session, kind) == count


def test_a_plan_no_active_schedule_accepts_is_unlisted_but_has_its_url(writer, reader):
    kind = KINDS["insurance-plans"]
    attributes = {**kind.create, "accepted-by-default": False}
    created = writer.post("/insurance-plans", create_body(kind, "quiet-plan", attributes))
    assert created.status_code == 201, created.json

    def listed():
        return [plan["id"] for plan in reader.get("/insurance-plans").json["data"]]

    assert "quiet-plan" not in listed()
    assert reader.get("/insurance-plans/quiet-plan").status_code == 200
    # The schedule of `world` has no plans of its own, its location's or its region's:
    # accepted by default, the plan is accepted there.
    accept = patch_body(kind, "quiet-plan", {"accepted-by-default": True})
    assert writer.patch("/insurance-plans/quiet-plan", accept).status_code == 200
    assert "quiet-plan" in listed()

"""Text no database can take (a lone surrogate, a NUL) is the client's fault: a 400 or 422
at what holds it, never a failure of the server."""

import pytest

from tests.resources.writes import (
    KINDS,
    assert_refused_at,
    columns,
    create_body,
    existing,
    linkage_write,
    patch_body,
    row_count,
    stored,
    to_many,
    to_one,
)

pytestmark = pytest.mark.usefixtures("world")


# `"\ud800"` is valid JSON but not Unicode text: neither database nor the JSON encoder of
# the answers can take it (as PostgreSQL cannot take a NUL in text). Such input is the
# client's fault: a 400 or 422 at what holds it, never a failure of the server.
LONE_SURROGATE = "\ud800"
UNENCODABLE_VALUES = [
    ("locations", "city", f"Feest{LONE_SURROGATE}port"),
    ("providers", "languages", [f"Eng{LONE_SURROGATE}lish"]),
    ("schedules", "name", LONE_SURROGATE),
]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize(
    ("type_", "attribute", "value"),
    UNENCODABLE_VALUES,
    ids=[f"{t}.{a}" for t, a, _v in UNENCODABLE_VALUES],
)
def test_a_lone_surrogate_in_a_value_is_refused(
    writer, session, tenant, type_, attribute, value, method
):
    kind = KINDS[type_]
    row, id_ = existing(kind, tenant)
    before, count = columns(session, row), row_count(session, kind)
    if method == "POST":
        body = create_body(kind, attributes={**kind.create, attribute: value})
        response = writer.post(f"/{type_}", body)
    else:
        response = writer.patch(f"/{type_}/{id_}", patch_body(kind, id_, {attribute: value}))
    assert_refused_at(response, (400, 422), f"/data/attributes/{attribute}")
    assert columns(session, row) == before
    assert row_count(session, kind) == count


@pytest.mark.parametrize(
    ("where", "pointer"),
    [("attribute", "/data/attributes"), ("member", "/data"), ("relationship", "/data")],
)
def test_a_lone_surrogate_in_a_name_is_refused(writer, session, tenant, where, pointer):
    """The error document about the member must still be one the API can send."""
    name = f"x{LONE_SURROGATE}"
    data = {"type": "locations", "id": "harbor"}
    if where == "attribute":
        data["attributes"] = {name: 1}
    elif where == "member":
        data[name] = 1
    else:
        data["relationships"] = {name: to_many("insurance-plans")}
    row = stored(session, KINDS["locations"], "harbor", tenant.id)
    before = columns(session, row)
    response = writer.patch("/locations/harbor", {"data": data})
    assert_refused_at(response, (400, 422), pointer)
    assert columns(session, row) == before


UNCOMPARABLE_LINKS = [
    # owner, relationship, linkage naming the id, where the identifier is under the linkage
    ("locations", "insurance-plans", lambda i: to_many("insurance-plans", "plan-a", i), "/1"),
    ("schedules", "provider", lambda i: to_one("providers", i), ""),
]


@pytest.mark.parametrize("how", ["endpoint", "patch", "post"])
@pytest.mark.parametrize(
    ("owner", "name", "make", "under"),
    UNCOMPARABLE_LINKS,
    ids=[f"{o}.{n}" for o, n, _m, _u in UNCOMPARABLE_LINKS],
)
@pytest.mark.parametrize("bad_id", ["a\x00b", f"a{LONE_SURROGATE}b"], ids=["nul", "surrogate"])
def test_a_linked_id_no_database_can_compare_is_refused(
    writer, session, tenant, world, bad_id, owner, name, make, under, how
):
    """No row has such an id: refused at the identifier alike on every database (a NUL
    in the URL is refused up front for the same reason, see inquick/jsonapi/hygiene)."""
    kind = KINDS[owner]
    row = stored(session, kind, world["ids"][owner], tenant.id)
    before, count = columns(session, row), row_count(session, kind)
    response, pointer = linkage_write(writer, world, how, owner, name, make(bad_id))
    assert_refused_at(response, (400, 404, 422), pointer + under)
    assert columns(session, row) == before
    assert row_count(session, kind) == count

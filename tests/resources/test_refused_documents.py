"""Every malformed document or client id is refused with the JSON:API error its fault calls
for, and members the API does not use are ignored."""

import uuid

import pytest

from inquick.models import Schedule
from tests.resources.writes import (
    CREATABLE,
    KINDS,
    PATCHABLE,
    SLUGGED,
    assert_pointed,
    assert_refused,
    columns,
    create_body,
    error,
    existing,
    named,
    patch_body,
    row_count,
    stored,
)

pytestmark = pytest.mark.usefixtures("world")


WRITES = [(kind, "POST") for kind in CREATABLE] + [(kind, "PATCH") for kind in PATCHABLE]
WRITE_IDS = [f"{method} {kind}" for kind, method in WRITES]


def write_target(kind, method, tenant):
    """The URL a write goes to (the collection, or a new row of `tenant`) and its id."""
    if method == "POST":
        return f"/{kind.type}", None
    _row, id_ = existing(kind, tenant)
    return f"/{kind.type}/{id_}", id_


BAD_DOCUMENTS = [
    ("array", lambda t, i: [named(t, i)], "", "The document must be a JSON object."),
    ("string", lambda t, i: t, "", "The document must be a JSON object."),
    ("no data", lambda t, i: {"meta": {}}, "/data", "The document must have a `data` member."),
    ("data array", lambda t, i: {"data": [named(t, i)]}, "/data",
     "`data` must be a resource object."),
    ("data null", lambda t, i: {"data": None}, "/data", "`data` must be a resource object."),
    ("no type", lambda t, i: {"data": {"attributes": {}}}, "/data/type",
     "A resource object needs a string `type`."),
    ("data and errors", lambda t, i: {"data": named(t, i), "errors": []}, "/errors",
     "A document cannot hold both `data` and `errors`."),
    ("attributes array", lambda t, i: {"data": named(t, i, attributes=[])}, "/data/attributes",
     "`attributes` must be an object."),
    ("numeric id", lambda t, i: {"data": {"type": t, "id": 7}}, "/data/id",
     "A resource's id is a string."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "make", "pointer", "detail"), BAD_DOCUMENTS, ids=[case[0] for case in BAD_DOCUMENTS]
)
@pytest.mark.parametrize(("kind", "method"), WRITES, ids=WRITE_IDS)
def test_a_malformed_document_is_a_bad_request(
    writer, session, tenant, kind, method, label, make, pointer, detail
):
    path, id_ = write_target(kind, method, tenant)
    count = row_count(session, kind)
    response = writer.send(method, path, make(kind.type, id_))
    assert_refused(response, 400, error(400, detail, pointer))
    assert row_count(session, kind) == count


def as_some_clients_send_it(document):
    """`document` with what some client libraries add: `included` (here a change to a row
    the write does not touch), and members of the client's own on the document, the
    resource object and each relationship object and resource identifier in it."""
    own = {"x-client": {"library": "example", "draft": True}}

    def identifiers(linkage):
        if isinstance(linkage, list):
            return [{**item, **own} for item in linkage]
        return linkage and {**linkage, **own}

    data = {**document["data"], **own}
    if "relationships" in data:
        data["relationships"] = {
            name: {**relationship, **own, "data": identifiers(relationship["data"])}
            for name, relationship in data["relationships"].items()
        }
    walk_in = {"type": "services", "id": "walk-in", "attributes": {"name": "Renamed"}}
    return {**document, **own, "data": data, "included": [walk_in]}


@pytest.mark.parametrize(("kind", "method"), WRITES, ids=WRITE_IDS)
def test_members_the_api_does_not_use_are_ignored(writer, session, tenant, kind, method):
    """JSON:API 1.1 has servers ignore members they do not recognize: the write succeeds as
    it would without them, and `included` changes nothing."""
    path, id_ = write_target(kind, method, tenant)
    plain = create_body(kind) if method == "POST" else patch_body(kind, id_, kind.patch)
    response = writer.send(method, path, as_some_clients_send_it(plain))
    assert response.status_code == (201 if method == "POST" else 200), response.json
    data = response.json["data"]
    sent = plain["data"]["attributes"]
    assert {name: data["attributes"][name] for name in sent} == sent
    assert writer.get(f"/{kind.type}/{data['id']}").json["data"] == data
    assert stored(session, KINDS["services"], "walk-in", tenant.id).name != "Renamed"


@pytest.mark.parametrize(("kind", "method"), WRITES, ids=WRITE_IDS)
def test_a_body_that_is_not_json_is_a_bad_request(writer, tenant, kind, method):
    path, _id = write_target(kind, method, tenant)
    headers = {"Content-Type": "application/vnd.api+json"}
    response = writer.send(method, path, data='{"data": {', headers=headers)
    assert_refused(response, 400, error(400, "The request body is not a JSON document.", ""))


@pytest.mark.parametrize(("kind", "method"), WRITES, ids=WRITE_IDS)
def test_a_document_of_another_type_is_a_conflict(writer, session, tenant, kind, method):
    path, id_ = write_target(kind, method, tenant)
    other = "services" if kind.type != "services" else "locations"
    count = row_count(session, kind)
    response = writer.send(method, path, {"data": named(other, id_, attributes=kind.patch)})
    detail = f"This endpoint takes resources of type {kind.type!r}."
    assert_refused(response, 409, error(409, detail, "/data/type"))
    assert row_count(session, kind) == count


@pytest.mark.parametrize("kind", PATCHABLE, ids=str)
def test_a_patch_names_the_id_of_its_url(writer, session, tenant, kind):
    row, id_ = existing(kind, tenant)
    before = columns(session, row)
    url = f"/{kind.type}/{id_}"
    other_id = "row-elsewhere" if kind.model is not Schedule else str(uuid.uuid4())
    mismatched = writer.patch(url, patch_body(kind, other_id, kind.patch))
    detail = "The document's id must be the id in the URL."
    assert_refused(mismatched, 409, error(409, detail, "/data/id"))
    unnamed = writer.patch(url, {"data": {"type": kind.type, "attributes": kind.patch}})
    assert_refused(unnamed, 400, error(400, "An update names the resource's id.", "/data/id"))
    assert columns(session, row) == before


@pytest.mark.parametrize("kind", CREATABLE, ids=str)
def test_a_taken_client_id_is_a_conflict(writer, session, tenant, kind):
    row, id_ = existing(kind, tenant)
    before, count = columns(session, row), row_count(session, kind)
    response = writer.post(f"/{kind.type}", create_body(kind, id_))
    assert_refused(response, 409, error(409, f"The {kind.type} id {id_!r} is taken.", "/data/id"))
    assert row_count(session, kind) == count
    assert columns(session, row) == before


MALFORMED_IDS = [(kind, bad) for kind in SLUGGED for bad in
                 ("Bad Id", "a" * 101, "-lead", "trail-", "two--dashes", "ünïcode", "")] + [
    (KINDS["schedules"], bad) for bad in
    ("not-a-uuid", "0F8FAD5B-D9CB-469F-A165-70867728950E", "0f8fad5bd9cb469fa16570867728950e",
     "harbor")
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "bad_id"), MALFORMED_IDS, ids=[f"{k}:{b[:12]}" for k, b in MALFORMED_IDS]
)
def test_a_malformed_client_id_is_unprocessable(writer, session, kind, bad_id):
    count = row_count(session, kind)
    assert_pointed(writer.post(f"/{kind.type}", create_body(kind, bad_id)), 422, "/data/id")
    assert row_count(session, kind) == count


def test_a_slug_of_the_longest_length_is_accepted(writer):
    response = writer.post("/services", create_body(KINDS["services"], "a" * 100))
    assert response.status_code == 201, response.json
    assert response.json["data"]["id"] == "a" * 100

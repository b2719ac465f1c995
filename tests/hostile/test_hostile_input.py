"""Hostile input on every operation of spec/openapi.yaml: a 4xx JSON:API error naming the
culprit, never a 500, and not one row changed.

One walk over the spec builds the cases (tests/hostile/cases.py, from one module per part of
a request: bodies, queries, dates, paths). Each operation gets every hostile shape that
applies to what it documents: a request body (malformed, of the wrong JSON type, members of
the wrong type, unknown attributes, NUL characters, lone surrogates, integers past 64 bits,
nesting past any use, valid non-ASCII text, 10 MB),
`page`, `include`, each `filter[KEY]` and every other query parameter (values that look like
SQL; `filter` also JSON nested 1,000 deep), each date, time and time zone it takes in the
query or in the body (impossible ones, and the calendar's ends, which must work or be
refused), and each path parameter. Every other part of a request is valid: real ids of
existing rows, a document the operation accepts as is (checked below), and a key holding
every scope (a visit token for POST /visits), so that nothing but the hostile part can be
what the answer refuses. Members JSON:API 1.1 tells servers to ignore (unknown members of
the document, of `data` and of an identifier; `included`) must not stop the write: those
cases expect it done.

The `/v3` prefix and the underscored paths serve the same views as the paths they alias
(checked below), so the walk takes each operation once. One data set, with a row in every
table, serves the whole module; each case runs in a savepoint rolled back after it.
"""

import re
from urllib.parse import quote, urlencode

import pytest

from inquick.config import load_config
from inquick.extensions import db
from tests.conftest import sessions_on
from tests.hostile.cases import (
    BODY_OPERATIONS,
    CASES,
)
from tests.hostile.documents import (
    changed,
    encode,
    valid_document,
)
from tests.hostile.expectations import (
    Accepted,
    Case,
    NoRows,
    Rows,
    Stored,
    refused_body,
)
from tests.hostile.spec import (
    API,
    METHODS,
    SPEC,
    Operation,
    api_operations,
    resolve,
)
from tests.hostile.world import (
    World,
    populate,
    tomorrow_at,
)
from tests.snapshots import JSONAPI, changed_tables, send, snapshot


@pytest.fixture(scope="module")
def world(app):
    """The data set, committed once into a transaction that the module rolls back."""
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    with sessions_on(connection) as session:
        first, second, secret = populate(session)
        session.commit()
        slot = tomorrow_at(10).isoformat()
        query = {"schedule_id": first["schedules"], "appointment_at": slot}
        issued = send(app.test_client(), secret, "GET", f"{API}/visit-token", query_string=query)
        assert issued.status_code == 200, issued.get_data(as_text=True)
        world = World(
            connection,
            secret,
            issued.get_data(as_text=True),
            slot,
            tomorrow_at(12).isoformat(),
            first,
            second,
        )
        world.before = snapshot(session)
    empty = [table for table, rows in world.before.items() if not rows]
    assert empty == [], "the data set must have a row in every table"
    yield world
    outer.rollback()
    connection.close()


@pytest.fixture(autouse=True)
def session(app, world):
    """(Overrides tests/conftest.py's.) Each test in a savepoint of the module's transaction."""
    savepoint = world.connection.begin_nested()
    try:
        with sessions_on(world.connection) as session:
            yield session
    finally:
        savepoint.rollback()


# --- sending ----------------------------------------------------------------------------------

# The valid query of operations with required parameters (the hostile one is laid over it).
BASE_QUERIES = {
    "/available-appointment-times": lambda w: {
        "schedule_ids[]": w.first["schedules"],
        "appointment_type": w.first["appointment-types"],
    },
    "/visit-token": lambda w: {"schedule_id": w.first["schedules"], "appointment_at": w.slot},
}


def send_case(client, world, case, *, spoil=True):
    """Send the case's request (or, with spoil=False, its valid document instead)."""
    operation = case.operation
    ids = {**world.path_ids(operation.path), **dict(case.path_values)}
    path = re.sub(r"\{(\w+)\}", lambda m: quote(ids[m[1]], safe=""), operation.path)
    url = f"/api/v3/{quote(case.hostname, safe='')}{path}"
    query = BASE_QUERIES.get(operation.path, lambda w: {})(world)
    for name, value in case.query:
        query[name] = value(operation) if callable(value) else value
    options = {"query_string": query}
    if case.raw_query:  # as written: the test client percent-encodes the values of a dict
        options["query_string"] = "&".join(filter(None, (urlencode(query), case.raw_query)))
    if operation.body_schema is not None or case.spoil is not None:
        document = None
        if operation.body_schema is not None:
            # A value legitimately matching no row: the write must not change rows either.
            changing = not isinstance(case.expect, NoRows)
            document = valid_document(operation, world, ids, changing=changing)
        options["data"] = case.spoil(document) if spoil and case.spoil else encode(document)
        options["content_type"] = JSONAPI
    secret = world.secret
    if operation.token_authenticated:
        secret = f"Bearer {world.token}"
    return send(client, secret, operation.method.upper(), url, **options)


def assert_refused(response, expect):
    body = response.get_data(as_text=True)
    assert response.status_code == expect.status, body[:1000]
    assert response.mimetype == JSONAPI
    errors = [(e["status"], e["code"], e.get("source")) for e in response.json["errors"]]
    assert errors == [(str(expect.status), expect.code, expect.source)], body[:1000]


# --- tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=str)
def test_hostile_input(client, session, world, case):
    response = send_case(client, world, case)
    if isinstance(case.expect, Accepted):
        assert response.status_code in (200, 201), response.get_data(as_text=True)[:1000]
        assert changed_tables(world.before, snapshot(session)) != {}
        return
    if isinstance(case.expect, Stored):
        assert response.status_code in (200, 201), response.get_data(as_text=True)[:1000]
        url = response.headers.get("Location") or response.request.url
        stored = send(client, world.secret, "GET", url)
        assert stored.json["data"]["attributes"][case.expect.attribute] == case.expect.value
        return
    if isinstance(case.expect, Rows):
        assert response.status_code == 200, response.get_data(as_text=True)[:1000]
        assert response.mimetype == JSONAPI
        assert response.json["data"] != []
        # Reading visits is audited: the entry of this read is the one row added.
        assert set(changed_tables(world.before, snapshot(session))) == {"audit_entries"}
        return
    if isinstance(case.expect, NoRows):
        assert response.status_code == 200, response.get_data(as_text=True)[:1000]
        assert response.mimetype == JSONAPI
        assert response.json["data"] == []
    else:
        assert_refused(response, case.expect)
    assert changed_tables(world.before, snapshot(session)) == {}


@pytest.mark.parametrize("operation", BODY_OPERATIONS, ids=str)
def test_the_valid_documents_are_accepted(client, session, world, operation):
    """The documents the cases spoil are valid: a case's answer is about its hostile part."""
    response = send_case(client, world, Case(operation, "valid", None), spoil=False)
    assert response.status_code in (200, 201), response.get_data(as_text=True)[:1000]
    assert changed_tables(world.before, snapshot(session)) != {}
    if operation.linkage:  # the document that changes nothing, for the filters' no-row cases
        response = send_case(client, world, Case(operation, "valid", NoRows()), spoil=False)
        assert response.status_code == 200, response.get_data(as_text=True)[:1000]


def test_every_operation_is_walked(app):
    """A new operation in the spec gets hostile cases, or this fails."""
    walked = {(c.operation.path, c.operation.method) for c in CASES}
    assert walked == {(op.path, op.method) for op in api_operations()}
    assert len(walked) > 90  # every type's reads and writes: the walk is not vacuous


def test_alias_paths_serve_the_views_of_the_paths_they_alias(app):
    """Walking a path once covers its aliases: the underscored paths, and the /v3 prefix."""
    views = {}
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            views[(rule.rule, method.lower())] = app.view_functions[rule.endpoint]

    def view(prefix, path, method):
        path = re.sub(r"\{id\}", "<object_id>", path)
        return views[(prefix + re.sub(r"\{(\w+)\}", r"<\1>", path), method)]

    aliases = {path: item["$ref"] for path, item in SPEC["paths"].items() if "$ref" in item}
    assert len(aliases) > 5
    for path, item in SPEC["paths"].items():
        target = aliases.get(path, "#/paths/" + path).removeprefix("#/paths/").replace("~1", "/")
        if item.get("servers") == [{"url": "/"}]:
            continue
        for method in (m for m in resolve(item) if m in METHODS):
            canonical = view("/api/v3/<partner_hostname>", target, method)
            assert view("/api/v3/<partner_hostname>", path, method) is canonical
            assert view("/v3/<partner_hostname>", path, method) is canonical


def test_the_body_limit_is_configurable(app, client, world, monkeypatch):
    """INQUICK_MAX_BODY_BYTES sets the limit: a 3 KB body is fine at 1 MiB, a 413 at 2 KB."""
    environ = {"DATABASE_URL": "sqlite://", "INQUICK_MAX_BODY_BYTES": "2048"}
    assert load_config(app.instance_path, environ)["MAX_CONTENT_LENGTH"] == 2048
    operation = Operation("/visit-settings/{schedule_id}", "patch")
    instructions = ("data", "attributes", "patient-instructions")  # at most 5000 characters
    three_kb = Case(
        operation, "", None, spoil=lambda d: encode(changed(d, instructions, "x" * 3000))
    )
    assert send_case(client, world, three_kb).status_code == 200
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    assert_refused(send_case(client, world, three_kb), refused_body("", 413, "payload-too-large"))
    assert send_case(client, world, Case(operation, "", None)).status_code == 200

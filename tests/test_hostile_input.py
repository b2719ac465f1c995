"""Hostile input on every operation of spec/openapi.yaml: a 4xx JSON:API error naming the
culprit, never a 500, and not one row changed.

One walk over the spec builds the cases. Each operation gets every hostile shape that
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

import copy
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import pytest
import yaml

from inquick.auth.keys import SCOPES, issue_key
from inquick.config import load_config
from inquick.extensions import db
from inquick.jsonapi.request_document import MAX_DEPTH
from inquick.jsonapi.resource import REGISTRY
from inquick.models import (
    AuditEntry,
    ConfirmationCounter,
    ScheduleException,
    VisitSettings,
    VisitValidation,
    WeeklyWindow,
)
from tests import factories
from tests.conftest import sessions_on
from tests.snapshots import JSONAPI, changed_tables, send, snapshot

SPEC = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "spec" / "openapi.yaml").read_text()
)
HOST = "hostile.example.org"
API = f"/api/v3/{HOST}"
METHODS = ("get", "post", "patch", "put", "delete")
ZONE = ZoneInfo("America/New_York")

SQL = ("' OR 1=1 --", "1; DROP TABLE visits;--", "%' UNION SELECT digest, prefix FROM api_keys --")
IMPOSSIBLE = {
    "date": ("2025-02-30",),
    "date-time": ("2025-02-30T10:00", "2025-02-30T10:00:00-05:00", "2025-03-01T24:00:00-05:00"),
    "clock": ("24:00", "25:61"),
    "time-zone": ("Mars/Olympus_Mons",),
}
# The ends of the calendar (a date-time whose offset puts UTC past them): valid values that
# overflow date arithmetic done carelessly (the next day, the UTC instant).
CALENDAR_ENDS = {
    "date": ("0001-01-01", "9999-12-31"),
    "date-time": ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"),
}
# JSON nested deeper than Python recurses. The objects go unencoded, as `curl -g` sends
# them: percent-encoded, 1,000 levels of them are past the URL limit.
DEEP_JSON = {"arrays": "[" * 1000 + "]" * 1000, "objects": '{"a":' * 1000 + "1" + "}" * 1000}
# A resource a client library sends along in `included`: it would change a row if it were read.
INCLUDED = {"type": "services", "id": "primary-care", "attributes": {"name": "Hostile"}}
# Valid text beyond ASCII: accents, an emoji outside the BMP, Arabic (written right to left).
UNICODE = "Zoë Ávila 🩺 مستشفى"
TEN_MEGABYTES = 10 * 1024 * 1024
# Integers just past what 64 bits hold, signed below and unsigned above (orjson's range).
PAST_64_BITS = (2**64, -(2**63) - 1, 10**30)
# Schema names whose values are a time zone or a time of day (dates are `format: date`).
SCHEMA_KINDS = {"TimeZoneName": "time-zone", "LocalTime": "clock"}
# A filter whose every value is a valid one: a list of ids or names, matched as text.
TEXT_FILTER = r"[^\s,]"


# --- the spec ---------------------------------------------------------------------------------


def resolve(node):
    """A spec node with its `$ref`s followed."""
    while isinstance(node, dict) and "$ref" in node:
        target = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


@dataclass(frozen=True)
class Operation:
    """One operation of the spec: a path under the API prefix and a method."""

    path: str
    method: str

    def __str__(self):
        return f"{self.method.upper()} {self.path}"

    @property
    def spec(self):
        return resolve(SPEC["paths"][self.path])[self.method]

    @property
    def parameters(self):
        """The path and query parameters (headers, such as If-None-Match, are not input
        that reaches a query: tests/jsonapi/test_conditional.py sends them junk)."""
        item = resolve(SPEC["paths"][self.path])
        found = [
            resolve(p) for p in [*item.get("parameters", []), *self.spec.get("parameters", [])]
        ]
        return [p for p in found if p["in"] in ("path", "query")]

    @property
    def body_schema(self):
        body = resolve(self.spec.get("requestBody"))
        return body and resolve(body["content"][JSONAPI]["schema"])

    @property
    def linkage(self):
        return "/relationships/" in self.path

    @property
    def to_many(self):
        return (
            self.linkage and resolve(self.body_schema["properties"]["data"]).get("type") == "array"
        )

    @property
    def refuses_everything(self):
        """Operations that exist only to say no (POST /health-systems): no 2xx at all."""
        return not any(str(status).startswith("2") for status in self.spec["responses"])

    @property
    def token_authenticated(self):
        return self.spec.get("security") == [{"visit_token": []}]


def api_operations():
    """Every operation under the API prefix, once: an alias path (`$ref`) is not walked."""
    for path, item in SPEC["paths"].items():
        if "$ref" in item or item.get("servers") == [{"url": "/"}]:
            continue
        yield from (Operation(path, method) for method in item if method in METHODS)


def value_kinds(schema, trail=(), depth=0):
    """(trail, kind) of every date, date-time, time of day or time zone under `schema`."""
    if depth > 12 or not isinstance(schema, dict):
        return
    if "$ref" in schema:
        kind = SCHEMA_KINDS.get(schema["$ref"].rsplit("/", 1)[-1])
        if kind:
            yield trail, kind
        else:
            yield from value_kinds(resolve(schema), trail, depth + 1)
        return
    if schema.get("format") in ("date", "date-time"):
        yield trail, schema["format"]
    elif "[0-9]{4}-[0-9]{2}-[0-9]{2}" in schema.get("pattern", ""):
        yield trail, "date"
    for key in ("allOf", "oneOf", "anyOf"):
        for alternative in schema.get(key, []):
            yield from value_kinds(alternative, trail, depth + 1)
    for name, inner in schema.get("properties", {}).items():
        yield from value_kinds(inner, (*trail, name), depth + 1)
    if "items" in schema:
        yield from value_kinds(schema["items"], (*trail, 0), depth + 1)


def attribute_kinds(operation):
    """{(attribute, inner trail): kind} for the dates, times and zones a body's attributes take."""
    found = {}
    for trail, kind in value_kinds(operation.body_schema):
        if trail[:2] == ("data", "attributes") and len(trail) > 2:
            found[(trail[2], trail[3:])] = kind
    return found


# --- what a case expects ----------------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """A JSON:API error document of one error: status, code and source (None: no source)."""

    status: int
    code: str
    source: dict | None


@dataclass(frozen=True)
class NoRows:
    """200 with empty primary data: the value was taken as text and matched nothing."""


@dataclass(frozen=True)
class Rows:
    """200 with the data set's rows: the value was taken, and every row matches it."""


@dataclass(frozen=True)
class Accepted:
    """2xx, and rows changed: what the case added was ignored and the write was done."""


@dataclass(frozen=True)
class Stored:
    """2xx, and the attribute read back afterwards is exactly the value sent."""

    attribute: str
    value: object


def refused_body(pointer, status=400, code="invalid-document"):
    return Refused(status, code, {"pointer": pointer})


def refused_parameter(parameter, code="invalid-query-parameter", status=400):
    return Refused(status, code, {"parameter": parameter})


@dataclass(frozen=True)
class Case:
    """One hostile request: its operation, what is wrong with it, and the answer it must get.

    `query` and `path_values` are laid over the operation's valid request, and `raw_query`
    is added to its query as written; `spoil` turns the operation's valid document into the
    bytes sent (None: the valid document as is).
    """

    operation: Operation
    shape: str
    expect: object
    query: tuple = ()
    path_values: tuple = ()
    spoil: object = None
    hostname: str = HOST
    raw_query: str = ""

    def __str__(self):
        return f"{self.operation}: {self.shape}"


# --- documents --------------------------------------------------------------------------------


def encode(document):
    return json.dumps(document, ensure_ascii=False).encode()


def changed(document, trail, value):
    """A copy of `document` with the member at `trail` (keys and indexes) set to `value`."""
    document = copy.deepcopy(document)
    node = document
    for step in trail[:-1]:
        node = node[step]
    node[trail[-1]] = value
    return document


def nested(inner, key, depth):
    """`inner` under `depth` levels of objects of one member `key`."""
    for _ in range(depth):
        inner = {key: inner}
    return inner


def identifier(type_, object_id):
    return {"type": type_, "id": object_id}


def to_one(type_, object_id):
    return {"data": identifier(type_, object_id)}


def to_many(type_, *ids):
    return {"data": [identifier(type_, i) for i in ids]}


def resource(type_, attributes, object_id=None, relationships=None):
    data = {"type": type_} | ({"id": object_id} if object_id is not None else {})
    data["attributes"] = attributes
    if relationships:
        data["relationships"] = relationships
    return {"data": data}


NEW_SCHEDULE_ID = "7d8f5c1e-2b4a-4c6d-8e9f-0a1b2c3d4e5f"
HOURS = {
    "hours": [{"day": "monday", "opens-at": "09:00", "closes-at": "17:00"}],
    "exceptions": [
        {"date": "2031-01-02", "closed": False, "opens-at": "10:00", "closes-at": "12:00"}
    ],
}
# POST /TYPE of a catalog type: (attributes, relationships) of a new resource.
CREATES = {
    "locations": lambda w: (
        {"name": "Made Here", "time-zone-name": "America/Chicago"},
        {"insurance-plans": to_many("insurance-plans", w.second["insurance-plans"])},
    ),
    "services": lambda w: ({"name": "Made Here"}, None),
    "medical-groups": lambda w: ({"name": "Made Here"}, None),
    "appointment-types": lambda w: (
        {"name": "Made Here", "duration-minutes": 20},
        {"services": to_many("services", w.first["services"])},
    ),
    "insurance-plans": lambda w: ({"company": "Made", "name": "Here"}, None),
    "providers": lambda w: (
        {"name": "Made Here", "medical-groups": [{"id": w.first["medical-groups"]}]},
        None,
    ),
    "schedules": lambda w: (
        {"name": "Made Here", "time-zone-name": "America/Chicago", **HOURS},
        {
            "location": to_one("locations", w.first["locations"]),
            "provider": to_one("providers", w.first["providers"]),
        },
    ),
}
# PATCH /TYPE/{id} of a catalog type: the attributes changed (`name` for any other type).
CHANGES = {
    "locations": {"name": "Changed", "time-zone-name": "America/Denver"},
    "schedules": {"name": "Changed", "time-zone-name": "America/Denver", **HOURS},
}
PATIENT = {
    "first-name": "Ada",
    "last-name": "Byron",
    "email": "ada.byron@example.org",
    "phone-number": "(207) 555-0101",
    "birthdate": "1990-01-31",
    "gender": "female",
    "new-patient": "yes",
    "zip": "04101",
}
# The other operations with a body: (the text attribute the text shapes spoil, document).
BODIES = {
    ("/api-keys", "post"): (
        "label",
        lambda w, ids: resource("api-keys", {"scopes": ["catalog:read"], "label": "Made here"}),
    ),
    ("/visits", "post"): (
        "first-name",
        lambda w, ids: resource(
            "visits",
            {**PATIENT, "appointment-at": w.slot, "appointment-type": w.first["appointment-types"]},
            relationships={"schedule": to_one("schedules", w.first["schedules"])},
        ),
    ),
    ("/visits/{id}", "patch"): (
        "reason",
        lambda w, ids: resource(
            "visits", {"appointment-at": w.later_slot, "reason": "Changed"}, ids["id"]
        ),
    ),
    ("/visit-settings/{schedule_id}", "patch"): (
        "patient-instructions",
        lambda w, ids: resource(
            "visit-settings", {"patient-instructions": "Changed"}, ids["schedule_id"]
        ),
    ),
    ("/validations", "post"): (
        "message",
        lambda w, ids: resource(
            "validations",
            {"kind": "presence", "attributes": ["zip"], "message": "Changed"},
            relationships={"schedule": to_one("schedules", w.first["schedules"])},
        ),
    ),
    ("/validations/{validation_id}", "patch"): (
        "message",
        lambda w, ids: resource("validations", {"message": "Changed"}, ids["validation_id"]),
    ),
}
# Creates that take no client-generated id: any id, of any JSON type, is a 403.
NO_CLIENT_IDS = {("/api-keys", "post"), ("/visits", "post"), ("/validations", "post")}


def path_type(path):
    return path.split("/")[1].replace("_", "-")


def text_attribute(operation):
    return BODIES.get((operation.path, operation.method), ("name",))[0]


def valid_document(operation, world, ids, *, changing=True):
    """A document `operation` accepts: one that changes rows, or (linkage) one that does not.

    The data set's first row of each type links only to first rows, and it is the row in
    the URL. So a linkage change names second rows (or removes first ones), and a linkage
    that changes nothing restates the first rows (or adds and removes nothing).
    """
    if operation.linkage:
        owner, _, _, name = operation.path.strip("/").split("/")
        target = REGISTRY[owner.replace("_", "-")].relationships[name].type
        first, second = world.first[target], world.second[target]
        if not operation.to_many:
            return to_one(target, second if changing else first)
        linked = {"patch": [second], "post": [second], "delete": [first]}[operation.method]
        unchanged = {"patch": [first], "post": [], "delete": []}[operation.method]
        return to_many(target, *(linked if changing else unchanged))
    key = (operation.path, operation.method)
    if key in BODIES:
        return BODIES[key][1](world, ids)
    type_ = path_type(operation.path)
    if operation.method == "post":
        attributes, relationships = CREATES[type_](world)
        object_id = NEW_SCHEDULE_ID if type_ == "schedules" else "made-here"
        return resource(type_, attributes, object_id, relationships)
    return resource(type_, CHANGES.get(type_, {"name": "Changed"}), ids["id"])


# --- the cases --------------------------------------------------------------------------------


def body_cases(operation):
    """The hostile documents of an operation that takes a body."""
    yield from whole_document_cases(operation)
    if operation.linkage:
        yield from linkage_cases(operation)
    else:
        yield from resource_object_cases(operation)


def whole_document_cases(operation):
    whole = refused_body("")
    for shape, spoil in {
        "body is malformed JSON": lambda d: encode(d)[:-2],
        "body is an array": lambda d: encode([d]),
        "body is a string": lambda d: encode("data"),
        "body is a number": lambda d: b"42",
        "body is null": lambda d: b"null",
    }.items():
        yield Case(operation, shape, whole, spoil=spoil)
    yield Case(
        operation,
        "body has an unknown top-level member",
        Accepted(),
        spoil=lambda d: encode({**d, "x-client": {"hostile": True}}),
    )
    yield Case(
        operation,
        "body has included resources",
        Accepted(),
        spoil=lambda d: encode({**d, "included": [INCLUDED]}),
    )
    yield Case(
        operation,
        "body has data and errors",
        refused_body("/errors"),
        spoil=lambda d: encode({**d, "errors": [{"status": "400"}]}),
    )
    yield Case(
        operation,
        "meta holds an integer above 64 bits",
        refused_body("/meta/counts/1"),
        spoil=lambda d: encode({**d, "meta": {"counts": [1, PAST_64_BITS[0]]}}),
    )
    yield Case(
        operation,
        "meta holds objects nested 300 deep",
        refused_body("/meta" + "/a" * MAX_DEPTH),
        spoil=lambda d: encode({**d, "meta": nested(1, "a", 300)}),
    )
    yield Case(
        operation,
        "body is 10 MB",
        refused_body("", 413, "payload-too-large"),
        spoil=lambda d: encode(d)[:-1] + b" " * TEN_MEGABYTES + b"}",
    )


def wrong_data(operation):
    """{what: value} for `data` of a JSON type the operation does not take."""
    wrong = {"a string": lambda d: "hostile", "a number": lambda d: 7}
    if operation.to_many:
        wrong["an object"] = lambda d: d["data"][0]
    else:
        wrong["an array"] = lambda d: [d["data"]]
    return wrong


def member_cases(operation, trail, pointer):
    """`type`, `id` and an unknown member (ignored) of the object at `trail` (`data`, or an
    identifier)."""
    yield Case(
        operation,
        "type is a number",
        refused_body(f"{pointer}/type"),
        spoil=lambda d: encode(changed(d, (*trail, "type"), 7)),
    )
    yield Case(
        operation,
        "type names another type",
        refused_body(f"{pointer}/type", 409, "conflict"),
        spoil=lambda d: encode(changed(d, (*trail, "type"), "hostiles")),
    )
    id_refused = refused_body(f"{pointer}/id")
    if (operation.path, operation.method) in NO_CLIENT_IDS:
        id_refused = refused_body(f"{pointer}/id", 403, "forbidden")
    yield Case(
        operation,
        "id is a number",
        id_refused,
        spoil=lambda d: encode(changed(d, (*trail, "id"), 7)),
    )
    yield Case(
        operation,
        f"{'identifier' if operation.linkage else 'data'} has an unknown member",
        Accepted(),
        spoil=lambda d: encode(changed(d, (*trail, "hostile"), True)),
    )


def wrong_data_cases(operation):
    for what, value in wrong_data(operation).items():
        yield Case(
            operation,
            f"data is {what}",
            refused_body("/data"),
            spoil=lambda d, value=value: encode({"data": value(d)}),
        )


def linkage_cases(operation):
    yield from wrong_data_cases(operation)
    trail, pointer = (("data", 0), "/data/0") if operation.to_many else (("data",), "/data")
    yield from member_cases(operation, trail, pointer)
    missing = Refused(404, "not-found", {"pointer": pointer})
    yield Case(
        operation,
        "id holds a NUL character",
        missing,
        spoil=lambda d: encode(changed(d, (*trail, "id"), "first\x00second")),
    )
    yield Case(
        operation,
        "id in emoji and right-to-left script",
        missing,
        spoil=lambda d: encode(changed(d, (*trail, "id"), UNICODE)),
    )
    yield Case(
        operation,
        "identifier meta holds an integer below 64 bits",
        refused_body(f"{pointer}/meta/n"),
        spoil=lambda d: encode(changed(d, (*trail, "meta"), {"n": PAST_64_BITS[1]})),
    )
    yield Case(
        operation,
        "id holds a lone surrogate",
        refused_body(f"{pointer}/id"),
        # ensure_ascii writes the surrogate as the six characters \ud800 of the JSON text.
        spoil=lambda d: json.dumps(changed(d, (*trail, "id"), "a\ud800b")).encode(),
    )


def resource_object_cases(operation):
    yield from wrong_data_cases(operation)
    yield from member_cases(operation, ("data",), "/data")
    for member in ("attributes", "relationships"):
        yield Case(
            operation,
            f"{member} is an array",
            refused_body(f"/data/{member}"),
            spoil=lambda d, member=member: encode(changed(d, ("data", member), [{}])),
        )
    yield Case(
        operation,
        "an unknown attribute",
        refused_body("/data/attributes/hostile", 422, "unprocessable"),
        spoil=lambda d: encode(changed(d, ("data", "attributes", "hostile"), "x")),
    )
    text = text_attribute(operation)
    at = ("data", "attributes", text)
    yield Case(
        operation,
        f"{text} holds a NUL character",
        refused_body(f"/data/attributes/{text}", 422, "unprocessable"),
        spoil=lambda d: encode(changed(d, at, "Ada\x00Byron")),
    )
    yield Case(
        operation,
        f"{text} holds a lone surrogate",
        refused_body(f"/data/attributes/{text}"),
        spoil=lambda d: json.dumps(changed(d, at, "Ada\ud800Byron")).encode(),
    )
    yield Case(
        operation,
        f"{text} is an integer above 64 bits",
        refused_body(f"/data/attributes/{text}"),
        spoil=lambda d: encode(changed(d, at, PAST_64_BITS[2])),
    )
    yield Case(
        operation,
        "an unknown attribute holds an integer below 64 bits",
        refused_body("/data/attributes/hostile/0/n"),
        spoil=lambda d: encode(
            changed(d, ("data", "attributes", "hostile"), [{"n": PAST_64_BITS[1]}])
        ),
    )
    yield Case(
        operation,
        f"{text} in emoji and right-to-left script",
        Stored(text, UNICODE),
        spoil=lambda d: encode(changed(d, at, UNICODE)),
    )
    for (attribute, inner), kind in attribute_kinds(operation).items():
        where = "/".join(map(str, (attribute, *inner)))
        for value in CALENDAR_ENDS.get(kind, ()):
            yield Case(
                operation,
                f"{where} is {value}",
                calendar_end_answer(operation, attribute, value),
                spoil=lambda d, t=("data", "attributes", attribute, *inner), v=value: encode(
                    changed(d, t, v)
                ),
            )
        for value in IMPOSSIBLE[kind]:
            yield Case(
                operation,
                f"{where} is {value}",
                refused_body(f"/data/attributes/{attribute}", 422, "unprocessable"),
                spoil=lambda d, t=("data", "attributes", attribute, *inner), v=value: encode(
                    changed(d, t, v)
                ),
            )


def calendar_end_answer(operation, attribute, value):
    """A body's date at a calendar's end: a schedule's exception and a past birthdate are kept
    as sent, a future birthdate is refused. A visit's time there is no slot: a booking must
    name its token's slot (422), and moving a visit out of its schedule's horizon is a
    conflict, as it is for any time out there."""
    pointer = f"/data/attributes/{attribute}"
    if attribute == "exceptions":
        return Stored(attribute, [{**HOURS["exceptions"][0], "date": value}])
    if attribute == "birthdate" and value < date.today().isoformat():
        return Stored(attribute, value)
    if operation.method == "patch":
        return Refused(409, "conflict", None)
    return refused_body(pointer, 422, "unprocessable")


def deep_include(operation, steps=50):
    """An include path `steps` long, along relationships that exist where it can."""
    parts = operation.path.strip("/").split("/")
    resource_ = REGISTRY[path_type(operation.path)]
    if len(parts) == 3 and parts[1].startswith("{"):  # /TYPE/{id}/REL: REL's type
        resource_ = resource_.relationships[parts[2]].target
    names = []
    while len(names) < steps:
        relationships = resource_.relationships
        if not relationships:
            names.append(names[-1] if names else "schedules")
            continue
        # The relationship leading on furthest, so that the path goes round a cycle.
        name = max(relationships, key=lambda n: len(relationships[n].target.relationships))
        names.append(name)
        resource_ = relationships[name].target
    return ".".join(names)


PAGES = (("size", "1000000"), ("number", "-1"), ("number", "abc"), ("number", "9" * 20))
# Query parameters naming a row by id: a SQL-looking value names no row, a 404 naming it.
NAMES_A_ROW = {"schedule_ids[]", "schedule_id"}
# Query parameters naming a time: a valid time that is no free slot is a 422 naming it.
NAMES_A_SLOT = {"appointment_at"}
# A date filter is one end of a range: at the calendar's end that leaves the range open it
# holds every row, at the other end none.
OPEN_ENDS = {"filter[start-date]": "0001-01-01", "filter[end-date]": "9999-12-31"}
FAMILY_CODES = {"sort": "invalid-sort", "include": "invalid-include", "page": "invalid-page"}


def query_cases(operation):
    """Hostile values of each query and path parameter the operation documents, and a
    parameter it does not take (JSON:API: a 400, never silently ignored)."""
    yield Case(
        operation,
        "an unknown query parameter",
        refused_parameter("hostile"),
        query=(("hostile", "1"),),
    )
    for parameter in operation.parameters:
        name = parameter["name"]
        if parameter["in"] == "path":
            for value in SQL:
                yield Case(
                    operation,
                    f"path {name} looks like SQL ({value})",
                    Refused(404, "not-found", None),
                    path_values=((name, value),),
                )
        elif name == "page":
            for member, value in PAGES:
                yield Case(
                    operation,
                    f"page[{member}]={value}",
                    refused_parameter(f"page[{member}]", "invalid-page"),
                    query=((f"page[{member}]", value),),
                )
        elif name == "include":
            refused = refused_parameter("include", "invalid-include")
            yield Case(
                operation, "include 50 levels deep", refused, query=(("include", deep_include),)
            )
            yield Case(operation, "an unknown include", refused, query=(("include", "hostile"),))
        elif name == "filter":
            refused = refused_parameter("filter", "invalid-filter")
            yield Case(
                operation,
                "filter holds arrays nested 1,000 deep",
                refused,
                query=(("filter", DEEP_JSON["arrays"]),),
            )
            yield Case(
                operation,
                "filter holds objects nested 1,000 deep",
                refused,
                raw_query=f"filter={DEEP_JSON['objects']}",
            )
            for key, schema in resolve(parameter["schema"])["properties"].items():
                yield from filter_cases(operation, f"filter[{key}]", schema)
        elif name != "fields":  # fields: names checked against a fixed list, before any query
            yield from plain_parameter_cases(operation, name, parameter["schema"])


def filter_cases(operation, parameter, schema):
    # A list of ids or names (`IdsFilterValue`, or any text but blanks and commas) is compared
    # as text, in bound parameters: a SQL-looking value is a valid value that no row has. The
    # right answer is no rows, not a 4xx. A filter with a fixed set or a syntax refuses it.
    as_text = "$ref" in schema or schema.get("pattern") == TEXT_FILTER
    expect = NoRows() if as_text else refused_parameter(parameter, "invalid-filter")
    for value in SQL:
        yield Case(
            operation, f"{parameter} looks like SQL ({value})", expect, query=((parameter, value),)
        )
    for _trail, kind in dict.fromkeys(value_kinds(schema)):
        for value in CALENDAR_ENDS.get(kind, ()):
            expect = Rows() if OPEN_ENDS.get(parameter) == value else NoRows()
            yield Case(operation, f"{parameter}={value}", expect, query=((parameter, value),))
        for value in IMPOSSIBLE[kind]:
            yield Case(
                operation,
                f"{parameter}={value}",
                refused_parameter(parameter, "invalid-filter"),
                query=((parameter, value),),
            )


def plain_parameter_cases(operation, name, schema):
    family = FAMILY_CODES.get(name, "invalid-query-parameter")
    for value in SQL:
        expect = refused_parameter(name, family)
        if name in NAMES_A_ROW:
            expect = refused_parameter(name, "not-found", 404)
        yield Case(operation, f"{name} looks like SQL ({value})", expect, query=((name, value),))
    for _trail, kind in dict.fromkeys(value_kinds(schema)):
        for value in CALENDAR_ENDS.get(kind, ()):
            expect = refused_parameter(name)
            if name in NAMES_A_SLOT:
                expect = refused_parameter(name, "unprocessable", 422)
            yield Case(operation, f"{name}={value}", expect, query=((name, value),))
        for value in IMPOSSIBLE[kind]:
            yield Case(
                operation, f"{name}={value}", refused_parameter(name), query=((name, value),)
            )


def sent_names(parameter):
    """The names a query parameter is sent under (`page[size]`, `filter[KEY]`, ...)."""
    if parameter.get("style") != "deepObject":
        return [parameter["name"]]
    schema = resolve(parameter["schema"])
    members = list(schema.get("properties", {})) or schema["propertyNames"]["enum"][:1]
    return [f"{parameter['name']}[{member}]" for member in members]


def nul_cases(operation):
    """A NUL character anywhere in the URL: no database can compare it, so it is refused
    before any view runs (inquick.jsonapi.hygiene)."""
    nul, missing = "a\x00b", Refused(404, "not-found", None)
    yield Case(operation, "partner_hostname holds a NUL character", missing, hostname=nul)
    names = []
    for parameter in operation.parameters:
        if parameter["in"] == "path":
            name, where = parameter["name"], ((parameter["name"], nul),)
            yield Case(operation, f"path {name} holds a NUL character", missing, path_values=where)
        else:
            names += sent_names(parameter)
    for name in names:
        refused, query = refused_parameter(name), ((name, nul),)
        yield Case(operation, f"{name} holds a NUL character", refused, query=query)
    if names:
        refused, query = refused_parameter(names[0]), ((f"{names[0]}\x00", "a"),)
        yield Case(operation, f"the name {names[0]} holds a NUL character", refused, query=query)
    refused, query = refused_parameter("hostile"), (("hostile", nul),)
    yield Case(operation, "an unknown parameter holds a NUL character", refused, query=query)


def operation_cases(operation):
    yield from nul_cases(operation)
    if operation.refuses_everything:
        # Refused before the body or any parameter is read: a 403 whatever comes with it.
        refused = Refused(403, "forbidden", None)
        yield Case(operation, "body is malformed JSON", refused, spoil=lambda d: b'{"data": ')
        for case in query_cases(operation):
            yield Case(operation, case.shape, refused, case.query, case.path_values)
        return
    yield from query_cases(operation)
    if operation.body_schema is not None:
        yield from body_cases(operation)


CASES = [case for operation in api_operations() for case in operation_cases(operation)]
BODY_OPERATIONS = [op for op in api_operations() if op.body_schema is not None]


# --- the data set -----------------------------------------------------------------------------


@dataclass
class World:
    """The module's data set: ids of the first and second row of each type, and credentials."""

    connection: object
    secret: str
    token: str
    slot: str  # the visit token's slot
    later_slot: str  # free, for rescheduling the visit
    first: dict
    second: dict
    before: dict | None = None

    def path_ids(self, path):
        return {
            "id": self.first.get(path_type(path)),
            "schedule_id": self.first["schedules"],
            "validation_id": self.first["validations"],
        }


def tomorrow_at(hour):
    tomorrow = datetime.now(ZONE).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(hour), tzinfo=ZONE)


def populate(session):
    """A health system with two rows of each catalog type and one of every other table.

    Returns ({type: first id}, {type: second id}, the api key's secret). A first row links
    only to first rows (see `valid_document`).
    """
    system = factories.HealthSystemFactory(slug="hostile", name="Hostile Health", hostnames=[HOST])

    def pair(factory, type_, slugs, **attributes):
        rows = [factory(health_system=system, slug=slug, **attributes) for slug in slugs]
        first[type_], second[type_] = slugs
        return rows

    first, second = {"health-systems": system.slug}, {}
    plans = pair(factories.InsurancePlanFactory, "insurance-plans", ["aetna-choice", "harbor-hmo"])
    plans[0].accepted_by_default = True
    region = factories.RegionFactory(health_system=system, slug="coast", insurance_plans=plans[:1])
    services = pair(factories.ServiceFactory, "services", ["primary-care", "pediatrics"])
    groups = pair(factories.MedicalGroupFactory, "medical-groups", ["harbor-group", "bay-group"])
    types = pair(
        factories.AppointmentTypeFactory, "appointment-types", ["annual-physical", "sick-visit"]
    )
    types[0].services = services[:1]
    locations = pair(factories.LocationFactory, "locations", ["harbor-point", "north-clinic"])
    locations[0].region, locations[0].insurance_plans = region, plans[:1]
    providers = pair(factories.ProviderFactory, "providers", ["dr-ana-ruiz", "dr-chen-li"])
    providers[0].medical_groups = groups[:1]
    schedules = [
        factories.ScheduleFactory(
            health_system=system,
            location=locations[n],
            provider=providers[n],
            service=services[n],
            weekly_windows=[
                WeeklyWindow(weekday=d, opens_at=time(8), closes_at=time(18)) for d in range(7)
            ],
            slot_interval_minutes=30,
            minimum_notice_minutes=0,
        )
        for n in range(2)
    ]
    schedules[0].insurance_plans, schedules[0].appointment_types = plans[:1], types[:1]
    schedules[0].exceptions = [ScheduleException(on_date=date(2031, 1, 1), closed=True)]
    schedules[0].visit_settings = VisitSettings(
        patient_instructions="Bring a photo ID.", emergency_keywords=["chest pain"]
    )
    rule = VisitValidation(kind="format", attributes=["zip"], options={"with": "[0-9]{5}"})
    schedules[0].visit_validations.append(rule)
    first["schedules"], second["schedules"] = (s.id for s in schedules)
    visit = factories.VisitFactory(
        schedule=schedules[0],
        appointment_type=types[0],
        starts_at=tomorrow_at(14),
        ends_at=tomorrow_at(14) + timedelta(minutes=30),
        confirmation_number=1,
    )
    key, secret = issue_key(system, scopes=SCOPES, label="every scope")
    session.add_all([key, ConfirmationCounter(health_system_id=system.id, last_number=1)])
    session.flush()
    audited = {"visit_id": visit.id, "key_id": key.id, "action": "read", "fields": ["first-name"]}
    session.add(AuditEntry(health_system_id=system.id, **audited))
    first.update({"validations": rule.id, "visits": visit.id, "api-keys": str(key.id)})
    return first, second, secret


@pytest.fixture(scope="module")
def world(app):
    """The data set, committed once into a transaction that the module rolls back."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        with sessions_on(connection):
            first, second, secret = populate(db.session)
            db.session.commit()
            slot = tomorrow_at(10).isoformat()
            query = {"schedule_id": first["schedules"], "appointment_at": slot}
            issued = send(
                app.test_client(), secret, "GET", f"{API}/visit-token", query_string=query
            )
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
            world.before = snapshot(db.session)
    empty = [table for table, rows in world.before.items() if not rows]
    assert empty == [], "the data set must have a row in every table"
    yield world
    outer.rollback()
    connection.close()


@pytest.fixture(autouse=True)
def session(app, world):
    """(Overrides tests/conftest.py's.) Each test in a savepoint of the module's transaction."""
    with app.app_context():
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

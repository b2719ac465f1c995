"""The walk's map of the API: every operation of spec/openapi.yaml, and the dates, times
and zones its parameters and bodies take."""

from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.snapshots import JSONAPI

SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "spec" / "openapi.yaml").read_text())
HOST = "hostile.example.org"
API = f"/api/v3/{HOST}"
METHODS = ("get", "post", "patch", "put", "delete")
# Schema names whose values are a time zone or a time of day (dates are `format: date`).
SCHEMA_KINDS = {"TimeZoneName": "time-zone", "LocalTime": "clock"}


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

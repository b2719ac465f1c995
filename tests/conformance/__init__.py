"""Every response the suite receives, checked against JSON:API and against spec/openapi.yaml.

Two schemas judge a response: the JSON:API document schema (vendored from the npm
package jsonapi-validator, see LICENSE-jsonapi-schema) for any JSON:API body, and the
response schema its operation documents in the spec for its status and media type. The
operations seen answering with success are remembered, so that a test can fail when an
operation's success response was never checked, and every status answered is remembered, so
that a test can fail when a documented status was never seen.
"""

import json
import re
from pathlib import Path

import yaml
from jsonschema import Draft6Validator, Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HERE = Path(__file__).resolve().parent
SPEC = HERE.parent.parent / "spec" / "openapi.yaml"
SPEC_URI = "urn:inquick:openapi"
API_PREFIXES = ("/api/v3/<partner_hostname>", "/v3/<partner_hostname>")
JSONAPI = "application/vnd.api+json"
# Media types whose bodies are JSON, checked against the spec's schemas.
JSON_MEDIA_TYPES = (JSONAPI, "application/json", "application/fhir+json")


def pointer_token(text):
    return text.replace("~", "~0").replace("/", "~1")


def unescape(token):
    return token.replace("~1", "/").replace("~0", "~")


def spec_path(rule):
    """The spec's path for a Flask rule (`/api/v3/<partner_hostname>/x/<object_id>` ->
    `/x/{id}`), or None for a rule outside the API."""
    for prefix in API_PREFIXES:
        if rule.startswith(prefix + "/"):
            rule = rule.removeprefix(prefix)
            break
    path = re.sub(r"<(?:\w+:)?object_id>", "{id}", rule)
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)


def described_error(where, validator, document):
    """The most telling error of `document` under `validator`, as a one-item list, or []."""
    error = best_match(validator.iter_errors(document))
    if error is None:
        return []
    deepest = min(error.context, key=lambda e: -len(e.absolute_path), default=error)
    return [f"{where}: {deepest.message[:300]} at /{'/'.join(map(str, deepest.absolute_path))}"]


class Conformance:
    """Checks responses; remembers the (path, method) operations it checked."""

    def __init__(self):
        self.spec = yaml.safe_load(SPEC.read_text())
        resource = Resource.from_contents(self.spec, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(SPEC_URI, resource)
        self.jsonapi = Draft6Validator(json.loads((HERE / "jsonapi-schema.json").read_text()))
        self.validators = {}
        self.seen = set()
        self.answered = set()

    def operations(self):
        """Every (path, method) the spec describes with a success (2xx) response."""
        methods = ("get", "post", "patch", "put", "delete")
        return {
            (path, method)
            for path in self.spec["paths"]
            for method, operation in self.path_item(path)[1].items()
            if method in methods and any(str(s).startswith("2") for s in operation["responses"])
        }

    def documented_statuses(self):
        """Every (path, method, status) the spec documents; aliases are left out, their path
        items being `$ref`s to the canonical ones (an alias's answers count for those)."""
        return {
            (path, method, str(status))
            for path, item in self.spec["paths"].items()
            if "$ref" not in item
            for method, operation in item.items()
            if method in ("get", "post", "patch", "put", "delete")
            for status in operation["responses"]
        }

    def path_item(self, path):
        """(JSON pointer, path item) of a spec path, following an alias's `$ref`."""
        pointer = f"/paths/{pointer_token(path)}"
        item = self.spec["paths"].get(path)
        if item is not None and "$ref" in item:
            pointer = item["$ref"].removeprefix("#")
            item = self.resolve(pointer)
        return pointer, item or {}

    def validator(self, pointer):
        if pointer not in self.validators:
            schema = {"$ref": f"{SPEC_URI}#{pointer}"}
            self.validators[pointer] = Draft202012Validator(schema, registry=self.registry)
        return self.validators[pointer]

    def check(self, request, response):
        """What is wrong with `response` to `request` (an empty list when nothing is)."""
        if request.url_rule and request.url_rule.endpoint.rpartition(".")[2] == "static":
            return []  # a static file (/docs/assets): no operation, a body left unread
        body = response.get_data()
        mimetype = response.mimetype
        where = f"{request.method} {request.path} -> {response.status_code}"
        problems = []
        document = json.loads(body) if body and mimetype in JSON_MEDIA_TYPES else None
        if document is not None and mimetype == JSONAPI:
            problems += described_error(f"{where}: JSON:API", self.jsonapi, document)
        if request.url_rule is None:  # no route: nothing in the spec to compare with
            return problems
        if request.method == "OPTIONS":  # a CORS preflight: the browser's, described in
            return problems  # the spec's introduction rather than as an operation
        # HEAD is GET without the body (Flask answers it through the GET view).
        method = "get" if request.method == "HEAD" else request.method.lower()
        path = spec_path(request.url_rule.rule)
        pointer, item = self.path_item(path)
        operation = item.get(method)
        if operation is None:
            return [*problems, f"{where}: {method.upper()} {path} is not in the spec"]
        if response.status_code < 300:
            self.seen.add((path, method))
        responses = operation.get("responses", {})
        status = str(response.status_code)
        self.answered.add((unescape(pointer.removeprefix("/paths/")), method, status))
        if status not in responses:
            return [*problems, f"{where}: status {status} is not documented for {method} {path}"]
        described = responses[status]
        response_pointer = f"{pointer}/{method}/responses/{status}"
        if "$ref" in described:
            response_pointer = described["$ref"].removeprefix("#")
            described = self.resolve(response_pointer)
        content = described.get("content", {})
        if response.status_code in (204, 304) and "Content-Type" in response.headers:
            problems.append(f"{where}: an answer without content names a Content-Type")
        if not body:
            return problems
        if mimetype not in content:
            return [*problems, f"{where}: media type {mimetype} is not documented"]
        if document is not None and "schema" in content[mimetype]:
            schema_pointer = f"{response_pointer}/content/{pointer_token(mimetype)}/schema"
            problems += described_error(f"{where}: spec", self.validator(schema_pointer), document)
        return problems

    def resolve(self, pointer):
        node = self.spec
        for part in pointer.strip("/").split("/"):
            node = node[unescape(part)]
        return node

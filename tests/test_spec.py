"""spec/openapi.yaml is the one description of the API: every route is in it, and only those."""

import re
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

SPEC = Path(__file__).resolve().parent.parent / "spec" / "openapi.yaml"
PREFIXES = ("/api/v3/<partner_hostname>", "/v3/<partner_hostname>")
IGNORED_METHODS = {"HEAD", "OPTIONS"}
METHODS = ("get", "post", "patch", "put", "delete")


@pytest.fixture(scope="module")
def spec():
    return yaml.safe_load(SPEC.read_text())


def spec_operations(spec, *, at_root=False):
    """(path, method) pairs the spec describes under the API servers, or at the root."""
    operations = set()
    for path, item in spec["paths"].items():
        if "$ref" in item:
            item = resolve(spec, item["$ref"])
        if (item.get("servers") == [{"url": "/"}]) != at_root:
            continue
        operations |= {(path, method) for method in item if method in METHODS}
    return operations


def resolve(spec, ref):
    node = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def app_operations(app, prefix):
    operations = set()
    for rule in app.url_map.iter_rules():
        # Static files (Swagger UI's, under /docs/assets) are files, not operations.
        if not rule.rule.startswith(prefix + "/") or rule.endpoint.rpartition(".")[2] == "static":
            continue
        path = re.sub(r"<(?:\w+:)?object_id>", "{id}", rule.rule.removeprefix(prefix))
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
        operations |= {(path, m.lower()) for m in rule.methods - IGNORED_METHODS}
    return operations


def test_the_spec_is_valid_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_every_route_is_in_the_spec_and_nothing_else(app, spec):
    routes = app_operations(app, PREFIXES[0])
    assert routes, "no API routes found"
    described = spec_operations(spec)
    assert sorted(routes - described) == [], "routes missing from spec/openapi.yaml"
    assert sorted(described - routes) == [], "spec/openapi.yaml describes routes that do not exist"


def test_routes_outside_the_api_are_in_the_spec(app, spec):
    """The health checks, the reference, the booking page and the FHIR API hang from the root,
    not from the API prefixes."""
    api = tuple(re.sub(r"<(\w+)>", r"{\1}", prefix) + "/" for prefix in PREFIXES)
    outside = {(path, m) for path, m in app_operations(app, "") if not path.startswith(api)}
    assert outside == spec_operations(spec, at_root=True)
    fhir = {path for path, _method in outside if path.startswith("/fhir/r4/{partner_hostname}/")}
    root = {
        "/healthz",
        "/readyz",
        "/",
        "/docs",
        "/openapi.json",
        "/openapi.yaml",
        "/book/{hostname}",
    }
    fhir_operations = {(path, m) for path, m in outside if path in fhir}
    assert outside - fhir_operations == {(path, "get") for path in root}
    assert len(fhir) > 10


def test_both_prefixes_serve_the_same_routes(app, spec):
    assert app_operations(app, PREFIXES[0]) == app_operations(app, PREFIXES[1])
    servers = [server["url"] for server in spec["servers"]]
    assert servers == ["/api/v3/{partner_hostname}", "/v3/{partner_hostname}"]

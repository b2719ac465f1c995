"""Every status the spec documents for a FHIR operation, provoked on that operation, and
answered as an OperationOutcome (never a JSON:API document, never a trace)."""

import re

import pytest
from sqlalchemy.exc import OperationalError

from tests.conftest import CONFORMANCE, make_key
from tests.fhir.conftest import HOST

ISSUES = {
    "400": "invalid", "401": "login", "403": "forbidden", "404": "not-found",
    "406": "not-supported", "414": "too-long", "415": "not-supported", "429": "throttled",
    "500": "exception", "503": "transient",
}  # fmt: skip
CASES = [
    (path, method, str(status))
    for path, item in CONFORMANCE.spec["paths"].items()
    if path.startswith("/fhir/")
    for method, operation in item.items()
    if method in ("get", "post", "patch", "delete")
    for status in operation["responses"]
    if int(status) >= 400  # a 304: tests/fhir/test_revalidation.py
]


def failing_view(exception):
    def view(*_args, **_kwargs):
        raise exception

    return view


def provoke(app, client, monkeypatch, session, tenant, path, method, status):
    operation = CONFORMANCE.spec["paths"][path][method]
    scope = next((s for s in operation.get("x-required-scopes", [])), None)
    secret = make_key(session, tenant, scopes=[] if status == "403" else [scope or "catalog:read"])
    headers = {"Authorization": secret}
    tenant.publishes_slots = True  # `$bulk-publish` answers only a system that publishes
    session.flush()
    hostname = "nowhere.example.org" if status == "404" else HOST
    values = {"partner_hostname": hostname, "id": "some-id", "file_name": "locations.ndjson",
              "resource_type": "Location"}  # fmt: skip
    target = re.sub(r"\{(\w+)\}", lambda m: values[m[1]], path)
    query, body = {}, {} if method == "post" else None
    if status == "400":
        query = {"nonsense": "1"}
    elif status == "401":
        headers = {}
    elif status == "406":
        query = {"_format": "xml"}
    elif status == "415":
        body = "{}"
    elif status == "414":
        query = {"_id": "x" * 9000}
    elif status == "429":
        monkeypatch.setitem(app.config, "RATE_LIMIT", 1)
        headers = {"Authorization": "iq_live_guessing"}
        client.get(target, headers=headers)  # a failed attempt, counted by address
        if "security" in operation:  # keyless: counted anyway
            headers = {}
    elif status in ("500", "503"):
        failure = (
            RuntimeError("a bug at /secret/path.py line 12")
            if status == "500"
            else OperationalError("SELECT 1", {}, Exception("database is locked"))
        )
        endpoint, _ = app.url_map.bind("localhost").match(target, method=method.upper())
        monkeypatch.setitem(app.view_functions, endpoint, failing_view(failure))
    return client.open(target, method=method, query_string=query, data=body, headers=headers)


@pytest.mark.parametrize(("path", "method", "status"), CASES, ids=[f"{p} {s}" for p, _, s in CASES])
def test_documented_status_is_an_operation_outcome(
    app, client, monkeypatch, session, tenant, path, method, status
):
    response = provoke(app, client, monkeypatch, session, tenant, path, method, status)
    assert response.status_code == int(status), response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/fhir+json"
    outcome = response.json
    assert outcome["resourceType"] == "OperationOutcome"
    assert [issue["code"] for issue in outcome["issue"]] == [ISSUES[status]]
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "secret/path" not in body and "SELECT" not in body
    if status in ("429", "503"):
        assert int(response.headers["Retry-After"]) >= 1


def test_every_fhir_operation_documents_its_failures():
    assert len(CASES) > 100
    documented = {(path, status) for path, _, status in CASES}
    for path in {path for path, _, _ in CASES}:
        expected = {"400", "404", "414", "429", "500", "503"}
        if "$bulk-publish" not in path:  # the published files take any Accept, and no key
            expected.add("406")
            if not path.endswith("/metadata"):
                expected |= {"401", "403"}
        assert expected <= {s for p, s in documented if p == path}, path

"""The statuses every operation documents whatever it does, provoked on every operation.

406, 414, 415, 429, 500 and 503 come from the request's headers, its URL, the caller's rate
limit or a failure, not from what the operation does; so does the 403 of a key without the
scopes an operation needs. Each is provoked here on every operation (the 403 on those that
take a key and document it), so the conformance check (tests/conftest.py) fails on one the
spec does not document, and tests/test_conformance.py sees each one answered. The statuses
that depend on the operation (400, 404, 409, 422…) come from the tests of each operation
and from tests/hostile/test_hostile_input.py.
"""

import re

import pytest
from sqlalchemy.exc import OperationalError

from tests.conftest import CONFORMANCE, make_key

HOST = "tenant-a.example.org"
PROVOKED = {"406", "414", "415", "429", "500", "503"}
CODES = {
    "403": "forbidden",
    "406": "not-acceptable",
    "414": "uri-too-long",
    "415": "unsupported-media-type",
    "429": "rate-limited",
    "500": "internal-error",
    "503": "unavailable",
}


def url(path):
    """A URL of the operation at `path`; its ids need not exist (every status here comes
    before any row is read)."""
    concrete = re.sub(r"\{\w+\}", "x", path)
    return concrete if path in KEYLESS else f"/api/v3/{HOST}{concrete}"


OPERATIONS = sorted(
    (path, method)
    for path, item in CONFORMANCE.spec["paths"].items()
    if "$ref" not in item and not path.startswith("/fhir/")  # tests/fhir/test_statuses.py
    for method in item
    if method in ("get", "post", "patch", "delete")
)
# The operations outside the API take no key, so no key's limit applies to them.
KEYLESS = {
    "/healthz", "/readyz", "/", "/docs", "/openapi.json", "/openapi.yaml", "/book/{hostname}"
}  # fmt: skip
CASES = [
    (path, method, status)
    for path, method in OPERATIONS
    for status in sorted(PROVOKED - ({"429"} if path in KEYLESS else set()))
] + [
    (path, method, "403")
    for path, method in OPERATIONS
    if "403" in map(str, CONFORMANCE.spec["paths"][path][method]["responses"])
    and CONFORMANCE.spec["paths"][path][method].get("security") != [{"visit_token": []}]
]


def failing_view(exception):
    def view(*_args, **_kwargs):
        raise exception

    return view


def provoke(app, client, monkeypatch, session, tenant, method, path, status):
    """The response of one request to the operation, built to be answered with `status`."""
    scopes = [] if status == "403" else ["catalog:read"]
    headers = {"Authorization": make_key(session, tenant, scopes=scopes)}
    options = {}
    target = url(path)
    if status == "406":
        headers["Accept"] = 'application/vnd.api+json; ext="https://example.org/ext"'
    elif status == "414":
        target += "?filter[id]=" + "x" * 9000
    elif status == "415":
        options = {"data": b"{}", "content_type": "text/plain"}
    elif status == "429":
        # Failed attempts count by address (bookings take visit tokens, not keys): the
        # second guess of a caller allowed one request is refused.
        monkeypatch.setitem(app.config, "RATE_LIMIT", 1)
        headers["Authorization"] = "iq_live_guessing"
        client.open(target, method=method.upper(), headers=headers)
    elif status in ("500", "503"):
        failure = (
            RuntimeError("a bug")
            if status == "500"
            else OperationalError("SELECT 1", {}, Exception("database is locked"))
        )
        endpoint, _ = app.url_map.bind("localhost").match(target, method=method.upper())
        monkeypatch.setitem(app.view_functions, endpoint, failing_view(failure))
    return client.open(target, method=method.upper(), headers=headers, **options)


@pytest.mark.parametrize(
    ("path", "method", "status"), CASES, ids=[f"{m.upper()} {p} {s}" for p, m, s in CASES]
)
def test_documented_status_is_answered(
    app, client, monkeypatch, session, tenant, path, method, status
):
    response = provoke(app, client, monkeypatch, session, tenant, method, path, status)
    assert response.status_code == int(status), response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/vnd.api+json"
    [error] = response.json["errors"]
    assert (error["status"], error["code"]) == (status, CODES[status])

"""What gunicorn refuses before the app sees a request is still answered in JSON:API.

Headers over gunicorn's limit once got its HTML 431; a client of a JSON:API reads an error
document whatever refused it.
"""

import json

import pytest

from tests.live_server import API, JSONAPI, call, serve


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("refusals"), workers=1) as running:
        yield running


def assert_error_document(status, headers, body, expected_status, code):
    assert status == expected_status
    assert headers["Content-Type"] == JSONAPI
    document = json.loads(body)
    [error] = document["errors"]
    assert (error["status"], error["code"]) == (str(expected_status), code)
    return error


def test_headers_over_the_limit_get_a_jsonapi_431(server):
    oversized = {"Authorization": server.secret, "X-Padding": "p" * 10_000}
    status, headers, body = call(server.port, "GET", f"{API}/services", oversized)
    error = assert_error_document(status, headers, body, 431, "headers-too-large")
    assert server.secret not in body.decode()
    assert "ppp" not in error["detail"]
    too_many = {f"X-Header-{n}": "x" for n in range(200)}
    assert_error_document(*call(server.port, "GET", f"{API}/services", too_many), 431,
                          "headers-too-large")  # fmt: skip


def test_a_request_line_over_the_limit_gets_a_jsonapi_414(server):
    status, headers, body = call(server.port, "GET", f"{API}/services?q={'x' * 9000}")
    assert_error_document(status, headers, body, 414, "uri-too-long")


def test_the_server_still_serves_after_refusing(server):
    status, _headers, _body = server.get("/services")
    assert status == 200

"""Health endpoints, request ids and the structured request log."""

import json
import logging

import pytest
from sqlalchemy.exc import OperationalError

from inquick.extensions import db
from inquick.operations import JsonFormatter, RequestIdFilter


@pytest.fixture
def log_lines():
    """The JSON lines the `inquick` loggers write during the test."""
    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(self.format(record)))

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("inquick")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json == {"meta": {"status": "ok"}}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json == {"meta": {"status": "ready"}}


def test_readyz_is_503_without_a_database(client, monkeypatch):
    def unreachable(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["errors"][0]["code"] == "unavailable"


def test_every_response_has_a_request_id(client, tenant):
    first = client.get("/healthz").headers["X-Request-Id"]
    second = client.get("/api/v3/nowhere.example.org/services").headers["X-Request-Id"]
    assert len(first) == 32 and first != second


def test_a_plain_request_id_is_reused_and_an_odd_one_replaced(client):
    assert (
        client.get("/healthz", headers={"X-Request-Id": "trace-123456"}).headers["X-Request-Id"]
        == "trace-123456"
    )
    odd = client.get("/healthz", headers={"X-Request-Id": "<script>"}).headers["X-Request-Id"]
    assert odd != "<script>" and len(odd) == 32


def test_request_log_lines_are_json_without_query_strings(api, log_lines):
    response = api.get("/services", {"filter[id]": "secret-looking-value"})
    [line] = [entry for entry in log_lines if entry["message"] == "request"]
    assert line["request-id"] == response.headers["X-Request-Id"]
    assert line["route"] == "/api/v3/<partner_hostname>/services"
    assert line["status"] == 200 and line["method"] == "GET"
    assert line["health-system"] == "tenant-a" and isinstance(line["key-id"], int)
    assert "secret-looking-value" not in json.dumps(log_lines)
    assert api.secret not in json.dumps(log_lines)

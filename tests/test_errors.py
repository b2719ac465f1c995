"""Failures that are not the caller's: answered as JSON:API errors, never with a trace."""

import pytest
from sqlalchemy.exc import OperationalError


def failing_with(exception):
    def view(*_args, **_kwargs):
        raise exception

    return view


def test_a_bug_is_a_500_without_a_trace(app, api, monkeypatch):
    monkeypatch.setitem(
        app.view_functions, "services.list", failing_with(RuntimeError("secret internals"))
    )
    response = api.get("/services")
    assert response.status_code == 500
    [error] = response.json["errors"]
    assert error["code"] == "internal-error"
    text = response.get_data(as_text=True)
    assert "secret internals" not in text and "Traceback" not in text


def test_a_busy_database_is_a_503_to_retry(app, api, monkeypatch):
    busy = OperationalError("UPDATE schedules ...", {}, Exception("database is locked"))
    monkeypatch.setitem(app.view_functions, "services.list", failing_with(busy))
    response = api.get("/services")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json["errors"][0]["code"] == "unavailable"
    assert "UPDATE" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/nowhere", "/api/v3/tenant-a.example.org/nothing/here"])
def test_unknown_paths_are_json_api_404s(client, tenant, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/vnd.api+json"
    assert response.json["errors"][0]["code"] == "not-found"


def test_a_url_past_any_use_is_a_json_api_414(api):
    response = api.get("/locations", {"filter[id]": "x" * 9000})
    assert response.status_code == 414
    assert response.json["errors"][0]["code"] == "uri-too-long"

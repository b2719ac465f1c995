"""JSON:API 1.1 content negotiation."""

import pytest

from tests.conftest import make_key

JSONAPI = "application/vnd.api+json"


def test_responses_carry_the_jsonapi_media_type(api):
    response = api.get("/services")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == JSONAPI


@pytest.mark.parametrize(
    "accept",
    [
        JSONAPI,
        f'{JSONAPI}; profile="https://example.org/profile"',
        "*/*",
        "application/json",
        f"{JSONAPI}; charset=utf-8, {JSONAPI}",
        "",
    ],
)
def test_acceptable_accept_headers(api, accept):
    assert api.get("/services", headers={"Accept": accept}).status_code == 200


@pytest.mark.parametrize(
    "accept",
    [
        f"{JSONAPI}; charset=utf-8",
        f'{JSONAPI}; ext="https://example.org/ext"',
        f"{JSONAPI}; charset=utf-8, {JSONAPI}; version=2",
    ],
)
def test_accept_with_only_parameterized_jsonapi_types_is_406(api, accept):
    response = api.get("/services", headers={"Accept": accept})
    assert response.status_code == 406
    assert response.json["errors"][0]["code"] == "not-acceptable"
    assert response.json["errors"][0]["source"] == {"header": "Accept"}


@pytest.mark.parametrize(
    "content_type",
    [f"{JSONAPI}; charset=utf-8", f'{JSONAPI}; ext="https://example.org/ext"', "text/plain"],
)
def test_request_body_with_unsupported_media_type_is_415(client, key, tenant, content_type):
    response = client.post(
        "/api/v3/tenant-a.example.org/services",
        data='{"data": {"type": "services"}}',
        headers={"Content-Type": content_type, "Authorization": key},
    )
    assert response.status_code == 415
    assert response.headers["Content-Type"] == JSONAPI
    assert response.json["errors"][0]["source"] == {"header": "Content-Type"}


@pytest.mark.parametrize("content_type", [JSONAPI, "application/json", f'{JSONAPI}; profile="x"'])
def test_jsonapi_and_plain_json_bodies_pass_negotiation(client, session, tenant, content_type):
    """They reach the endpoint (which finds the service's name missing), never a 415."""
    writer = make_key(session, tenant, scopes=["catalog:write"])
    response = client.post(
        "/api/v3/tenant-a.example.org/services",
        data='{"data": {"type": "services"}}',
        headers={"Content-Type": content_type, "Authorization": writer},
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["source"] == {"pointer": "/data/attributes/name"}

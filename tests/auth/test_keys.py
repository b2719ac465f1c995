"""API keys: how they are presented, stored and scoped."""

from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from inquick.auth.keys import PARTNER_SCOPES, UnknownScope, digest, issue_key
from inquick.models import ApiKey
from tests import factories
from tests.conftest import make_key


def test_key_in_the_query_parameter(client, key, tenant):
    response = client.get("/api/v3/tenant-a.example.org/services", query_string={"api_key": key})
    assert response.status_code == 200


def every_link(node):
    """Every link in a document: the values of each `links` member, at any depth."""
    if isinstance(node, list):
        for item in node:
            yield from every_link(item)
    elif isinstance(node, dict):
        for name, value in node.items():
            yield from value.values() if name == "links" else every_link(value)


def test_a_key_sent_as_api_key_reaches_no_link(client, session, tenant):
    """Links are pasted, logged and cached: `api_key` reaches none of them, nor `Location`,
    while the request's other parameters are kept (a client following links sends its key
    in the Authorization header)."""
    secret = make_key(session, tenant, scopes=["catalog:read", "catalog:write"])
    plan = factories.InsurancePlanFactory(health_system=tenant)
    schedule = factories.ScheduleFactory(health_system=tenant, insurance_plans=[plan])
    root = "/api/v3/tenant-a.example.org"
    reads = [
        (f"/locations/{schedule.location.slug}", {"include": "schedules.insurance-plans"}),
        ("/schedules", {"page[size]": "1", "include": "provider"}),
        (f"/schedules/{schedule.id}/insurance-plans", {}),
        (f"/schedules/{schedule.id}/relationships/insurance-plans", {}),
    ]
    for path, query in reads:
        response = client.get(root + path, query_string={**query, "api_key": secret})
        assert response.status_code == 200, response.json
        links = list(every_link(response.json))
        assert len(links) > 1 and [link for link in links if "api_key" in link] == [], path
        kept = f"?{urlencode(query)}" if query else ""
        assert response.json["links"]["self"] == f"http://localhost{root}{path}{kept}"
    created = client.post(
        f"{root}/services",
        query_string={"api_key": secret},
        json={"data": {"type": "services", "attributes": {"name": "Walk-in"}}},
        content_type="application/vnd.api+json",
    )
    assert created.status_code == 201, created.json
    assert created.headers["Location"] == f"http://localhost{root}/services/walk-in"
    assert [link for link in every_link(created.json) if "api_key" in link] == []


@pytest.mark.parametrize("form", ["{key}", "Bearer {key}", "bearer  {key}"])
def test_key_in_the_authorization_header(client, key, tenant, form):
    response = client.get(
        "/api/v3/tenant-a.example.org/services", headers={"Authorization": form.format(key=key)}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("authorization", [None, "", "Bearer ", "iq_live_not-a-key"])
def test_missing_or_unknown_key_is_401(client, tenant, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.get("/api/v3/tenant-a.example.org/services", headers=headers)
    assert response.status_code == 401
    assert response.json["errors"][0]["code"] == "not-authenticated"


def test_only_a_digest_of_the_key_is_stored(session, tenant):
    key, secret = issue_key(tenant, label="partner site")
    session.add(key)
    session.flush()
    stored = session.scalar(select(ApiKey).where(ApiKey.id == key.id))
    assert secret.startswith("iq_live_")
    assert stored.digest == digest(secret) != secret
    assert secret not in {stored.digest, stored.prefix, stored.scopes, stored.label}
    assert stored.prefix == secret[:12]
    assert stored.scope_set == frozenset(PARTNER_SCOPES)
    assert stored.created_at is not None


def test_test_mode_is_visible_in_the_prefix(tenant):
    _key, secret = issue_key(tenant, mode="test")
    assert secret.startswith("iq_test_")


def test_keys_are_unique(tenant):
    secrets = {issue_key(tenant)[1] for _ in range(50)}
    assert len(secrets) == 50


def test_unknown_scopes_are_refused(tenant):
    with pytest.raises(UnknownScope):
        issue_key(tenant, scopes=["catalog:read", "catalog:everything"])


def test_use_is_recorded(api, session, tenant):
    stored = session.scalar(select(ApiKey).where(ApiKey.digest == digest(api.secret)))
    assert stored.last_used_at is None
    assert api.get("/services").status_code == 200
    session.refresh(stored)
    assert stored.last_used_at is not None


def test_a_key_without_catalog_read_gets_403(client, session, tenant):
    from tests.conftest import make_key

    secret = make_key(session, tenant, scopes=["availability:read", "visits:create"])
    response = client.get(
        "/api/v3/tenant-a.example.org/services", headers={"Authorization": secret}
    )
    assert response.status_code == 403
    [error] = response.json["errors"]
    assert error["code"] == "forbidden"
    assert "catalog:read" in error["detail"]

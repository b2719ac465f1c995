"""API keys: how they are presented, stored and scoped."""

import pytest
from sqlalchemy import select

from inquick.auth.keys import PARTNER_SCOPES, UnknownScope, digest, issue_key
from inquick.models import ApiKey


def test_key_in_the_query_parameter(client, key, tenant):
    response = client.get("/api/v3/tenant-a.example.org/services", query_string={"api_key": key})
    assert response.status_code == 200


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

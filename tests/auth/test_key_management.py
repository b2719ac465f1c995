"""keys:manage: list, create (the secret shown once) and revoke the health system's keys."""

import pytest
from sqlalchemy import select

from inquick.auth.keys import digest
from inquick.models import ApiKey
from tests.conftest import Api, make_key

MANAGER_SCOPES = ["catalog:read", "availability:read", "keys:manage"]


@pytest.fixture
def manager(client, session, tenant):
    return Api(client, "tenant-a.example.org", make_key(session, tenant, scopes=MANAGER_SCOPES))


def create(api, attributes):
    return api.client.post(
        api.url("/api-keys"),
        json={"data": {"type": "api-keys", "attributes": attributes}},
        headers={"Authorization": api.secret},
    )


def test_list_shows_the_systems_keys_without_secrets(manager, session, tenant, other_tenant):
    make_key(session, tenant, label="partner site")
    make_key(session, other_tenant, label="theirs")
    response = manager.get("/api-keys")
    assert response.status_code == 200
    labels = [k["attributes"]["label"] for k in response.json["data"]]
    assert "partner site" in labels and "theirs" not in labels
    text = response.get_data(as_text=True)
    for key in session.scalars(select(ApiKey)):
        assert key.digest not in text


def test_create_shows_the_secret_once_and_it_works(manager, session, client):
    response = create(manager, {"scopes": ["catalog:read"], "label": "new site", "rate-limit": 50})
    assert response.status_code == 201, response.json
    attributes = response.json["data"]["attributes"]
    secret = attributes["secret"]
    assert secret.startswith("iq_live_")
    assert attributes["scopes"] == ["catalog:read"] and attributes["rate-limit"] == 50
    assert response.headers["Location"].endswith(f"/api-keys/{response.json['data']['id']}")
    stored = session.scalar(select(ApiKey).where(ApiKey.digest == digest(secret)))
    assert stored.label == "new site"
    shown = manager.get(f"/api-keys/{stored.id}").get_data(as_text=True)
    assert secret not in shown
    new = Api(client, "tenant-a.example.org", secret)
    assert new.get("/services").status_code == 200
    assert new.get("/services").headers["X-RateLimit-Limit"] == "50"


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [
        ({"scopes": ["visits:read"]}, "/data/attributes/scopes"),  # more than the manager holds
        ({"scopes": []}, "/data/attributes/scopes"),
        ({"scopes": "catalog:read"}, "/data/attributes/scopes"),
        ({"scopes": ["catalog:read"], "mode": "test"}, "/data/attributes/mode"),
        ({"scopes": ["catalog:read"], "rate-limit": 0}, "/data/attributes/rate-limit"),
        ({"scopes": ["catalog:read"], "rate-limit": True}, "/data/attributes/rate-limit"),
        ({"scopes": ["catalog:read"], "label": "x" * 201}, "/data/attributes/label"),
    ],
)
def test_create_refuses_bad_attributes(manager, session, attributes, pointer):
    before = session.scalar(select(ApiKey.id).order_by(ApiKey.id.desc()))
    response = create(manager, attributes)
    assert response.status_code == 422
    assert pointer in {e["source"]["pointer"] for e in response.json["errors"]}
    assert session.scalar(select(ApiKey.id).order_by(ApiKey.id.desc())) == before


def test_revocation_takes_effect_on_the_next_request(manager, client, session, tenant):
    secret = make_key(session, tenant)
    victim = Api(client, "tenant-a.example.org", secret)
    assert victim.get("/services").status_code == 200
    key_id = session.scalar(select(ApiKey.id).where(ApiKey.digest == digest(secret)))
    response = manager.client.delete(
        manager.url(f"/api-keys/{key_id}"), headers={"Authorization": manager.secret}
    )
    assert response.status_code == 204
    assert "Content-Type" not in response.headers
    assert victim.get("/services").status_code == 401
    assert manager.get(f"/api-keys/{key_id}").json["data"]["attributes"]["revoked-at"]


def test_another_systems_key_cannot_be_seen_or_revoked(manager, session, other_tenant, client):
    theirs = make_key(session, other_tenant)
    key_id = session.scalar(select(ApiKey.id).where(ApiKey.digest == digest(theirs)))
    assert manager.get(f"/api-keys/{key_id}").status_code == 404
    response = manager.client.delete(
        manager.url(f"/api-keys/{key_id}"), headers={"Authorization": manager.secret}
    )
    assert response.status_code == 404
    assert Api(client, "tenant-b.example.org", theirs).get("/services").status_code == 200


@pytest.mark.parametrize("key_id", ["abc", "1e3", "99999999999999999999999"])
def test_malformed_key_ids_are_404s(manager, key_id):
    assert manager.get(f"/api-keys/{key_id}").status_code == 404


def test_managing_keys_needs_keys_manage(api):
    assert api.get("/api-keys").status_code == 403
    assert create(api, {"scopes": ["catalog:read"]}).status_code == 403


def test_a_key_grants_no_more_than_its_own_limit(client, session, tenant):
    """A 300-a-minute key once made a 100,000-a-minute one."""
    manager = Api(client, "tenant-a.example.org",
                  make_key(session, tenant, scopes=MANAGER_SCOPES, rate_limit=300))  # fmt: skip
    refused = create(manager, {"scopes": ["catalog:read"], "rate-limit": 100_000})
    assert refused.status_code == 422
    [error] = refused.json["errors"]
    assert error["source"]["pointer"] == "/data/attributes/rate-limit"
    assert "300" in error["detail"]
    assert create(manager, {"scopes": ["catalog:read"], "rate-limit": 300}).status_code == 201


def test_a_new_key_without_a_limit_takes_its_makers(client, session, tenant):
    manager = Api(client, "tenant-a.example.org",
                  make_key(session, tenant, scopes=MANAGER_SCOPES, rate_limit=40))  # fmt: skip
    for attributes in (
        {"scopes": ["catalog:read"]},
        {"scopes": ["catalog:read"], "rate-limit": None},
    ):
        made = create(manager, attributes)
        assert made.status_code == 201
        assert made.json["data"]["attributes"]["rate-limit"] == 40
        new = Api(client, "tenant-a.example.org", made.json["data"]["attributes"]["secret"])
        assert new.get("/services").headers["X-RateLimit-Limit"] == "40"


def test_keys_cannot_multiply_a_limit_past_the_systems_total(
    app, client, session, tenant, other_tenant, monkeypatch
):
    """Many keys of one limit would add up to any rate: the operator's total caps their sum."""
    monkeypatch.setitem(app.config, "KEYS_RATE_LIMIT_TOTAL", 1000)
    manager = Api(client, "tenant-a.example.org",
                  make_key(session, tenant, scopes=MANAGER_SCOPES, rate_limit=300))  # fmt: skip
    make_key(session, other_tenant, rate_limit=900)  # another system's keys count for it alone
    statuses = [
        create(manager, {"scopes": ["catalog:read"], "rate-limit": 300}).status_code
        for _ in range(3)
    ]
    assert statuses == [201, 201, 422]  # 300 + 300 + 300 = 900; another 300 is past 1,000
    assert create(manager, {"scopes": ["catalog:read"], "rate-limit": 100}).status_code == 201
    made = session.scalars(
        select(ApiKey).where(ApiKey.health_system_id == tenant.id, ApiKey.revoked_at.is_(None))
    ).all()
    assert sum(key.rate_limit for key in made) == 1000
    # Revoking a key gives its share back.
    revoked = next(key for key in made if key.rate_limit == 100)
    revoking = manager.client.delete(
        manager.url(f"/api-keys/{revoked.id}"), headers={"Authorization": manager.secret}
    )
    assert revoking.status_code == 204
    assert create(manager, {"scopes": ["catalog:read"], "rate-limit": 100}).status_code == 201

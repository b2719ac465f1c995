"""Publishable keys: made for page source, few scopes, bound to origins, limited per address."""

import pytest
from sqlalchemy import func, select

from inquick.auth.keys import NotPublishable, digest, issue_key
from inquick.auth.origins import MAX_ORIGINS, InvalidOrigin, normalised_origin, normalised_origins
from inquick.models import ApiKey
from tests.conftest import Api, make_key

SHOP = "https://shop.example.org"
MANAGER_SCOPES = ["catalog:read", "availability:read", "visits:create", "visits:read",
                  "keys:manage"]  # fmt: skip


@pytest.fixture
def manager(client, session, tenant):
    return Api(client, "tenant-a.example.org", make_key(session, tenant, scopes=MANAGER_SCOPES))


def create(api, attributes):
    return api.post("/api-keys", {"data": {"type": "api-keys", "attributes": attributes}})


def key_count(session):
    return session.scalar(select(func.count()).select_from(ApiKey))


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://shop.example.org", "https://shop.example.org"),
        ("HTTPS://Shop.Example.ORG", "https://shop.example.org"),
        ("https://shop.example.org/", "https://shop.example.org"),
        ("https://shop.example.org:443", "https://shop.example.org"),
        ("https://shop.example.org:8443", "https://shop.example.org:8443"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
        ("https://192.0.2.10", "https://192.0.2.10"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://LOCALHOST:80", "http://localhost"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://127.8.9.10", "http://127.8.9.10"),
        ("http://[0:0:0:0:0:0:0:1]:5000", "http://[::1]:5000"),
    ],
)
def test_an_origin_is_stored_as_a_browser_spells_it(given, stored):
    assert normalised_origin(given) == stored


@pytest.mark.parametrize(
    "given",
    [
        "http://shop.example.org",  # plain http off the loopback
        "http://192.0.2.10",
        "https://*.example.org",
        "*",
        "https://shop.example.org/booking",
        "https://shop.example.org?x=1",
        "https://shop.example.org#top",
        "https://user@shop.example.org",
        "ftp://shop.example.org",
        "shop.example.org",
        "null",
        "https://bücher.example",
        "https://shop.example.org:0",
        "https://shop.example.org:65536",
        "https://shop example.org",
        "https://-shop.example.org",
        "https://[::1",
        "https://" + "a" * 300 + ".org",
        "",
        7,
    ],
)
def test_anything_but_an_origin_is_refused(given):
    with pytest.raises(InvalidOrigin):
        normalised_origin(given)


def test_a_list_is_bounded_deduplicated_and_names_its_bad_entry():
    assert normalised_origins([SHOP, SHOP.upper(), "http://localhost"]) == [
        SHOP,
        "http://localhost",
    ]
    with pytest.raises(InvalidOrigin, match="at most"):
        normalised_origins([f"https://s{n}.example.org" for n in range(MAX_ORIGINS + 1)])
    with pytest.raises(InvalidOrigin, match=r"'http://shop\.example\.org'"):
        normalised_origins([SHOP, "http://shop.example.org"])


def test_issuing_a_publishable_key_keeps_its_value_and_origins(tenant):
    key, secret = issue_key(tenant, publishable=True, allowed_origins=["HTTPS://Shop.Example.org"])
    assert secret.startswith("iq_pub_live_") and len(secret) > 50
    assert key.prefix == secret[:16]
    assert key.public_value == secret and key.digest == digest(secret)
    assert key.publishable and key.allowed_origins == SHOP
    _key, test_secret = issue_key(tenant, mode="test", publishable=True, allowed_origins=[SHOP])
    assert test_secret.startswith("iq_pub_test_")
    secret_key, plain = issue_key(tenant)
    assert plain.startswith("iq_live_") and secret_key.prefix == plain[:12]
    assert secret_key.public_value is None and secret_key.allowed_origins is None
    assert not secret_key.publishable


@pytest.mark.parametrize(
    "options",
    [
        {"publishable": True, "allowed_origins": [SHOP], "scopes": ["visits:read"]},
        {"publishable": True, "allowed_origins": [SHOP], "scopes": ["keys:manage"]},
        {"publishable": True, "allowed_origins": []},
        {"publishable": False, "allowed_origins": [SHOP]},
    ],
)
def test_issuing_refuses_what_a_kind_of_key_cannot_have(tenant, options):
    with pytest.raises(NotPublishable):
        issue_key(tenant, **options)


def test_issuing_refuses_a_bad_origin(tenant):
    with pytest.raises(InvalidOrigin):
        issue_key(tenant, publishable=True, allowed_origins=["http://shop.example.org"])


def test_creating_a_publishable_key_shows_it_whenever_it_is_read(manager, session, client):
    response = create(
        manager,
        {
            "scopes": ["catalog:read", "visits:create"],
            "publishable": True,
            "allowed-origins": ["HTTPS://Shop.Example.org:443/", "http://localhost:8000"],
            "label": "booking page",
        },
    )
    assert response.status_code == 201, response.json
    attributes = response.json["data"]["attributes"]
    secret = attributes["secret"]
    assert secret.startswith("iq_pub_live_")
    assert attributes["publishable"] is True
    assert attributes["allowed-origins"] == [SHOP, "http://localhost:8000"]
    assert attributes["publishable-key"] == secret
    assert attributes["scopes"] == ["catalog:read", "visits:create"]
    stored = session.scalar(select(ApiKey).where(ApiKey.digest == digest(secret)))
    assert stored.public_value == secret
    again = manager.get(f"/api-keys/{stored.id}").json["data"]["attributes"]
    assert again["publishable-key"] == secret and again["allowed-origins"][0] == SHOP
    page = Api(client, "tenant-a.example.org", secret)
    assert page.get("/services").status_code == 200


def test_a_secret_key_is_never_shown_again_and_has_no_origins(manager, session):
    made = create(manager, {"scopes": ["catalog:read"]})
    assert made.status_code == 201
    attributes = made.json["data"]["attributes"]
    assert attributes["publishable"] is False
    assert attributes["allowed-origins"] is None and attributes["publishable-key"] is None
    listed = manager.get("/api-keys").get_data(as_text=True)
    assert attributes["secret"] not in listed


@pytest.mark.parametrize(
    ("attributes", "pointer", "words"),
    [
        ({"scopes": ["visits:read"], "publishable": True, "allowed-origins": [SHOP]},
         "scopes", "publishable"),
        ({"scopes": ["catalog:read", "keys:manage"], "publishable": True,
          "allowed-origins": [SHOP]}, "scopes", "publishable"),
        ({"scopes": ["catalog:read"], "publishable": True}, "allowed-origins", "at least one"),
        ({"scopes": ["catalog:read"], "publishable": True, "allowed-origins": []},
         "allowed-origins", "at least one"),
        ({"scopes": ["catalog:read"], "publishable": True, "allowed-origins": None},
         "allowed-origins", "at least one"),
        ({"scopes": ["catalog:read"], "publishable": True,
          "allowed-origins": ["http://shop.example.org"]}, "allowed-origins", "https://"),
        ({"scopes": ["catalog:read"], "publishable": True,
          "allowed-origins": ["https://*.example.org"]}, "allowed-origins", "wildcard"),
        ({"scopes": ["catalog:read"], "publishable": True,
          "allowed-origins": [SHOP + "/book"]}, "allowed-origins", "path"),
        ({"scopes": ["catalog:read"], "publishable": True, "allowed-origins": [7]},
         "allowed-origins", "ASCII"),
        ({"scopes": ["catalog:read"], "publishable": True, "allowed-origins": SHOP},
         "allowed-origins", "list"),
        ({"scopes": ["catalog:read"], "publishable": True,
          "allowed-origins": [f"https://s{n}.example.org" for n in range(21)]},
         "allowed-origins", "at most 20"),
        ({"scopes": ["catalog:read"], "allowed-origins": [SHOP]}, "allowed-origins",
         "publishable: true"),
        ({"scopes": ["catalog:read"], "publishable": False, "allowed-origins": [SHOP]},
         "allowed-origins", "publishable: true"),
        ({"scopes": ["catalog:read"], "publishable": "yes", "allowed-origins": [SHOP]},
         "publishable", "true or false"),
        ({"scopes": ["catalog:read"], "publishable": 1, "allowed-origins": [SHOP]},
         "publishable", "true or false"),
        ({"scopes": ["catalog:read"], "publishable-key": "iq_pub_live_x"}, "publishable-key",
         "cannot be set"),
    ],
)  # fmt: skip
def test_creation_refuses_what_a_publishable_key_cannot_be(
    manager, session, attributes, pointer, words
):
    before = key_count(session)
    response = create(manager, attributes)
    assert response.status_code == 422, response.json
    [error] = response.json["errors"]
    assert error["source"]["pointer"] == f"/data/attributes/{pointer}"
    assert words in error["detail"]
    assert key_count(session) == before


def test_the_caller_lookup_reads_the_key_kind_in_its_one_statement(
    app, client, session, tenant, count_queries
):
    secret = make_key(session, tenant, publishable=True, allowed_origins=[SHOP, "http://[::1]"])
    page = Api(client, "tenant-a.example.org", secret)
    with count_queries() as counter:
        assert page.get("/services").status_code == 200
    lookups = [s for s in counter.statements if "partner_hostnames" in s]
    assert len(lookups) == 1 and "allowed_origins" in lookups[0]
    with app.app_context():
        _tenant, grant = app.extensions["callers"].look_up(
            session, "tenant-a.example.org", digest(secret)
        )
    assert grant.publishable is True
    assert grant.allowed_origins == frozenset({SHOP, "http://[::1]"})


def addressed(api, address, path="/services"):
    return api.client.get(
        api.url(path), headers={"Authorization": api.secret}, environ_base={"REMOTE_ADDR": address}
    )


def test_a_publishable_key_is_limited_per_client_address(app, client, session, tenant, caplog):
    page = Api(client, "tenant-a.example.org", make_key(
        session, tenant, publishable=True, allowed_origins=[SHOP], rate_limit=2
    ))  # fmt: skip
    first = [addressed(page, "192.0.2.1").status_code for _ in range(3)]
    second = [addressed(page, "198.51.100.7").status_code for _ in range(3)]
    assert first == second == [200, 200, 429]
    assert addressed(page, "192.0.2.1").headers["X-RateLimit-Limit"] == "2"
    # The counters are named by a keyed digest of the address, never the address.
    callers = " ".join(app.extensions["rate_limits"].memory.windows)
    assert "192.0.2.1" not in callers and "198.51.100.7" not in callers
    assert "192.0.2.1" not in caplog.text


def test_a_secret_key_keeps_one_pool_for_every_address(client, session, tenant):
    partner = Api(client, "tenant-a.example.org", make_key(session, tenant, rate_limit=2))
    statuses = [addressed(partner, a).status_code for a in ("192.0.2.1", "198.51.100.7") * 2]
    assert statuses == [200, 200, 429, 429]


def test_a_publishable_key_counts_an_ipv6_client_by_its_64(client, session, tenant):
    page = Api(client, "tenant-a.example.org", make_key(
        session, tenant, publishable=True, allowed_origins=[SHOP], rate_limit=2
    ))  # fmt: skip
    statuses = [addressed(page, f"2001:db8:1:2::{n}").status_code for n in range(1, 4)]
    assert statuses == [200, 200, 429]
    assert addressed(page, "2001:db8:1:3::1").status_code == 200  # another /64


def test_a_publishable_key_has_a_ceiling_over_all_its_addresses(
    app, client, session, tenant, monkeypatch
):
    monkeypatch.setitem(app.config, "PUBLISHABLE_KEY_CEILING_FACTOR", 2)
    page = Api(client, "tenant-a.example.org", make_key(
        session, tenant, publishable=True, allowed_origins=[SHOP], rate_limit=2
    ))  # fmt: skip
    statuses = [addressed(page, f"192.0.2.{n}").status_code for n in (1, 1, 2, 3, 4)]
    assert statuses == [200, 200, 200, 200, 429]
    refused = addressed(page, "192.0.2.5")
    assert refused.status_code == 429 and refused.headers["X-RateLimit-Limit"] == "4"
    # An address past its own limit spends nothing of the ceiling; headers tell its own.
    assert addressed(page, "192.0.2.1").headers["X-RateLimit-Limit"] == "2"


def test_a_publishable_keys_lookups_are_counted_per_address_under_a_ceiling(
    app, client, session, tenant, monkeypatch
):
    """One client cannot use up the booking-reference lookups of every patient of a page."""
    monkeypatch.setitem(app.config, "KEY_LOOKUP_RATE_LIMIT", 1)
    monkeypatch.setitem(app.config, "PUBLISHABLE_KEY_CEILING_FACTOR", 2)
    page = Api(client, "tenant-a.example.org", make_key(
        session, tenant, publishable=True, allowed_origins=[SHOP]
    ))  # fmt: skip
    lookups = [addressed(page, f"192.0.2.{n}", "/bookings/ABCD-EFGH-JKMN") for n in (1, 1, 2, 3)]
    assert [r.status_code for r in lookups] == [404, 429, 404, 429]
    partner = Api(client, "tenant-a.example.org", make_key(session, tenant))
    shared = [addressed(partner, f"192.0.2.{n}", "/bookings/ABCD-EFGH-JKMN") for n in (4, 5)]
    assert [r.status_code for r in shared] == [404, 429]  # a secret key's: one pool

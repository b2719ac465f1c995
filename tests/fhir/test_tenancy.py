"""Tenancy, sandbox and scopes on every FHIR route, as on the JSON:API ones: each test walks
the URL map, so a FHIR route added later is covered too."""

import secrets
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from inquick.auth.keys import SCOPES, digest
from inquick.models import ApiKey
from tests import factories
from tests import test_tenancy as jsonapi_walk
from tests.conftest import make_key

HOST_A, HOST_B = "tenant-a.example.org", "tenant-b.example.org"
PREFIX = "/fhir/r4/<partner_hostname>"
# Each FHIR type's JSON:API catalog type, whose ids it is served under.
IDS_OF = {
    "Location": "locations", "Practitioner": "providers", "HealthcareService": "services",
    "Schedule": "schedules", "PractitionerRole": "schedules", "Appointment": "visits",
}  # fmt: skip
SCOPE_OF = {"Slot": "availability:read", "Appointment": "visits:read"}


@pytest.fixture(autouse=True)
def no_rate_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMIT", 1_000_000)


@pytest.fixture
def fhir_routes(app):
    """(type, whether it reads one by id) of every FHIR route but metadata."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/") or rule.rule.endswith("/metadata"):
            continue
        if "/$bulk-publish" in rule.rule:  # keyless, the live system's: tests/fhir/test_publish.py
            continue
        if rule.rule.endswith("/_search"):  # a GET search by form: test_search_by_form.py
            continue
        parts = rule.rule.removeprefix(PREFIX + "/").split("/")
        assert len(parts) in (1, 2), f"{rule.rule}: teach this walk its URL"
        assert parts[0] in IDS_OF or parts[0] == "Slot", f"{rule.rule}: teach this walk its ids"
        found.add((parts[0], len(parts) == 2))
    assert len(found) >= 14
    return sorted(found)


def slot_ids(client, hostname, secret, schedule_ids):
    """A slot id of each schedule, as its own health system's key finds them."""
    found = []
    for schedule_id in schedule_ids:
        response = client.get(
            f"/fhir/r4/{hostname}/Slot",
            query_string={"schedule": schedule_id, "_count": "1"},
            headers={"Authorization": secret},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        found += [entry["resource"]["id"] for entry in response.json.get("entry", [])]
    assert found
    return found


def fhir_ids(catalog, slots):
    ids = {kind: catalog.published.get(table, []) for kind, table in IDS_OF.items()}
    return {**ids, "Slot": slots}


def urls(routes, hostname, ids, schedules):
    """Every route's URLs: searches (a Slot search per schedule), reads of each id."""
    for kind, reads in routes:
        base = f"/fhir/r4/{hostname}/{kind}"
        if reads:
            yield from (f"{base}/{object_id}" for object_id in ids[kind])
        elif kind == "Slot":
            yield from (f"{base}?schedule={schedule_id}&_count=100" for schedule_id in schedules)
        else:
            yield f"{base}?_count=100"


@pytest.fixture
def catalogs(client, session, tenant, other_tenant):
    """Each tenant's catalog, with a slot id of each of its schedules."""
    alpha = jsonapi_walk.populate(tenant, "Alpha")
    bravo = jsonapi_walk.populate(other_tenant, "Bravo")
    found = {}
    for catalog, system, hostname in ((alpha, tenant, HOST_A), (bravo, other_tenant, HOST_B)):
        secret = make_key(session, system, scopes=SCOPES)
        schedules = catalog.published["schedules"]
        found[system.slug] = (catalog, slot_ids(client, hostname, secret, schedules))
    return found["tenant-a"], found["tenant-b"]


def assert_isolated(client, secret, routes, visible, hidden):
    """With `secret` at tenant A's hostname, `visible`'s rows answer, `hidden`'s never do."""
    (shown, shown_slots), (kept, kept_slots) = visible, hidden
    headers = {"Authorization": secret}
    failures = []
    for url in urls(routes, HOST_A, fhir_ids(shown, shown_slots), shown.published["schedules"]):
        response = client.get(url, headers=headers)
        body = response.get_data(as_text=True)
        if response.status_code != 200:
            failures.append(f"{url}: {response.status_code} {body[:300]}")
        if kept.marker in body or any(s in body for s in kept.schedule_ids):
            failures.append(f"{url}: a {kept.marker} row is in {body[:300]}")
    # Searching their schedules' slots (the links repeat the search): nothing matches.
    for url in urls([("Slot", False)], HOST_A, {}, sorted(kept.schedule_ids)):
        response = client.get(url, headers=headers)
        if response.json["total"] != 0 or "entry" in response.json:
            failures.append(f"{url}: {response.get_data(as_text=True)[:300]}")
    mine = fhir_ids(shown, shown_slots)
    theirs = {kind: [i for i in ids if i not in mine[kind]] for kind, ids in
              fhir_ids(kept, kept_slots).items()}  # fmt: skip
    theirs["Schedule"] = theirs["PractitionerRole"] = sorted(kept.schedule_ids)
    for url in urls([r for r in routes if r[1]], HOST_A, theirs, ()):
        response = client.get(url, headers=headers)
        if response.status_code != 404 or response.json["issue"][0]["code"] != "not-found":
            failures.append(f"{url}: {response.status_code}, expected 404")
    assert failures == []


def test_another_systems_rows_are_unreachable(client, session, tenant, fhir_routes, catalogs):
    alpha, bravo = catalogs
    secret = make_key(session, tenant, scopes=SCOPES)
    assert_isolated(client, secret, fhir_routes, visible=alpha, hidden=bravo)


def test_a_key_on_another_systems_hostname_is_401(client, session, tenant, fhir_routes, catalogs):
    alpha, bravo = catalogs
    secret = make_key(session, tenant, scopes=SCOPES)
    for catalog, slots in (bravo, alpha):
        ids = fhir_ids(catalog, slots)
        for url in urls(fhir_routes, HOST_B, ids, catalog.published["schedules"]):
            response = client.get(url, headers={"Authorization": secret})
            assert response.status_code == 401, url
            assert response.json["issue"][0]["code"] == "login", url
            assert "Bravo" not in response.get_data(as_text=True), url


def revoked(session, system):
    secret = make_key(session, system)
    session.scalar(select(ApiKey).where(ApiKey.digest == digest(secret))).revoked_at = datetime.now(
        UTC
    )
    session.flush()
    return secret


@pytest.mark.parametrize("credential", ["none", "unknown", "revoked"])
def test_without_a_valid_key_every_route_is_401(client, session, tenant, fhir_routes, catalogs,
                                                credential):  # fmt: skip
    alpha, _bravo = catalogs
    secret = {"none": None, "unknown": f"iq_live_{secrets.token_urlsafe(32)}",
              "revoked": revoked(session, tenant)}[credential]  # fmt: skip
    headers = {"Authorization": secret} if secret else {}
    for url in urls(fhir_routes, HOST_A, fhir_ids(*alpha), alpha[0].published["schedules"]):
        response = client.get(url, headers=headers)
        assert response.status_code == 401, url
        assert response.json["issue"][0]["code"] == "login", url
    # The CapabilityStatement alone takes no key.
    assert client.get(f"/fhir/r4/{HOST_A}/metadata").status_code == 200


def test_each_type_needs_its_scope(client, session, tenant, fhir_routes, catalogs):
    alpha, _bravo = catalogs
    for kind, _reads in fhir_routes:
        needed = SCOPE_OF.get(kind, "catalog:read")
        others = [s for s in SCOPES if s != needed]
        without, with_it = (
            make_key(session, tenant, scopes=others),
            make_key(session, tenant, scopes=[needed]),
        )
        for url in urls(
            [(kind, _reads)], HOST_A, fhir_ids(*alpha), alpha[0].published["schedules"]
        ):
            refused = client.get(url, headers={"Authorization": without})
            assert refused.status_code == 403, url
            assert refused.json["issue"][0]["code"] == "forbidden", url
            assert client.get(url, headers={"Authorization": with_it}).status_code == 200, url


@pytest.fixture
def sandbox(session, tenant):
    return factories.HealthSystemFactory(
        slug=tenant.slug, name="Sandbox Health", mode="test", live_system_id=tenant.id, hostnames=[]
    )


def sandbox_catalogs(client, session, tenant, sandbox):
    live = jsonapi_walk.populate(tenant, "Alpha")
    sandboxed = jsonapi_walk.populate(sandbox, "Sandbox")
    live_key = make_key(session, tenant, scopes=SCOPES)
    test_key = make_key(session, sandbox, mode="test", scopes=SCOPES)
    live_slots = slot_ids(client, HOST_A, live_key, live.published["schedules"])
    test_slots = slot_ids(client, HOST_A, test_key, sandboxed.published["schedules"])
    return (live, live_slots, live_key), (sandboxed, test_slots, test_key)


def test_a_test_key_sees_only_the_sandbox(client, session, tenant, sandbox, fhir_routes):
    (live, live_slots, _), (sandboxed, test_slots, test_key) = sandbox_catalogs(
        client, session, tenant, sandbox
    )
    assert test_key.startswith("iq_test_")
    assert_isolated(client, test_key, fhir_routes, (sandboxed, test_slots), (live, live_slots))


def test_a_live_key_never_sees_the_sandbox(client, session, tenant, sandbox, fhir_routes):
    (live, live_slots, live_key), (sandboxed, test_slots, _) = sandbox_catalogs(
        client, session, tenant, sandbox
    )
    assert_isolated(client, live_key, fhir_routes, (live, live_slots), (sandboxed, test_slots))


def test_a_sandbox_host_refuses_live_keys(app, client, session, tenant, monkeypatch, catalogs):
    monkeypatch.setitem(app.config, "SANDBOX_HOST", True)
    response = client.get(
        f"/fhir/r4/{HOST_A}/Location", headers={"Authorization": make_key(session, tenant)}
    )
    assert response.status_code == 401
    assert "sandbox" in response.json["issue"][0]["diagnostics"]

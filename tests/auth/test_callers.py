"""Callers are looked up in one statement and kept a few seconds: revocation still bites."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from inquick.auth.callers import Callers
from inquick.auth.keys import digest
from inquick.models import ApiKey
from tests.conftest import make_key


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(app):
    """The app's callers kept 5 s by a clock of the test's."""
    clock = Clock()
    app.extensions["callers"] = Callers(5, clock=clock)
    return clock


def revoke_in_the_database(session, secret):
    """What another server process does when it revokes a key: the row, nothing else."""
    key = session.scalar(select(ApiKey).where(ApiKey.digest == digest(secret)))
    key.revoked_at = datetime.now(UTC)
    session.flush()


def lookups(statements):
    return [s for s in statements if "partner_hostnames" in s or "api_keys" in s]


def test_a_kept_caller_costs_no_statement(api, clock, count_queries):
    with count_queries() as first:
        assert api.get("/services").status_code == 200
    with count_queries() as again:
        assert api.get("/services").status_code == 200
    assert len(lookups(first.statements)) == 2  # the lookup, then the key's use recorded
    assert lookups(again.statements) == []
    clock.now += 6
    with count_queries() as expired:
        assert api.get("/services").status_code == 200
    assert len(lookups(expired.statements)) == 1


def test_a_key_revoked_elsewhere_stops_working_when_the_kept_copy_expires(api, session, clock):
    assert api.get("/services").status_code == 200
    revoke_in_the_database(session, api.secret)
    clock.now += 4
    assert api.get("/services").status_code == 200  # kept: the documented few seconds
    clock.now += 2
    refused = api.get("/services")
    assert refused.status_code == 401
    assert refused.json["errors"][0]["code"] == "not-authenticated"


def test_a_key_revoked_through_this_process_stops_working_at_once(client, session, tenant, clock):
    manager = make_key(session, tenant, scopes=["catalog:read", "keys:manage"])
    partner = make_key(session, tenant)
    host = "/api/v3/tenant-a.example.org"
    assert client.get(f"{host}/services", headers={"Authorization": partner}).status_code == 200
    key_id = session.scalar(select(ApiKey.id).where(ApiKey.digest == digest(partner)))
    revoked = client.delete(f"{host}/api-keys/{key_id}", headers={"Authorization": manager})
    assert revoked.status_code == 204
    assert client.get(f"{host}/services", headers={"Authorization": partner}).status_code == 401


def test_nothing_is_kept_when_the_setting_is_zero(app, api, session):
    app.extensions["callers"] = Callers(0)
    assert api.get("/services").status_code == 200
    revoke_in_the_database(session, api.secret)
    assert api.get("/services").status_code == 401


def test_an_unknown_key_is_never_kept(app, client, tenant, clock, count_queries):
    headers = {"Authorization": "iq_live_unknown"}
    for _ in range(2):
        with count_queries() as counter:
            response = client.get("/api/v3/tenant-a.example.org/services", headers=headers)
        assert response.status_code == 401
        assert len(lookups(counter.statements)) == 1
    assert app.extensions["callers"].grants == {}


def test_the_kept_copy_holds_at_most_its_size(tenant, session):
    callers = Callers(60, size=2)
    for n in range(3):
        callers.look_up(
            session, "tenant-a.example.org", digest(make_key(session, tenant, label=str(n)))
        )
    assert len(callers.grants) == 2

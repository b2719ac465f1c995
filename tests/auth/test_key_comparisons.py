"""Keys compared by `created-at`: an instant with its offset; a date alone is refused."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from inquick.auth.keys import digest
from inquick.models import ApiKey
from tests.conftest import Api, make_key

NOON = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def manager(client, session, tenant):
    """A keys:manage key created at 13:00 UTC, beside keys created at noon and at 14:00,
    and another system's key created at noon."""
    secret = make_key(session, tenant, scopes=["keys:manage"], label="manager")
    created_at(session, secret, NOON.replace(hour=13))
    created_at(session, make_key(session, tenant, label="noon"), NOON)
    created_at(session, make_key(session, tenant, label="two"), NOON.replace(hour=14))
    return Api(client, "tenant-a.example.org", secret)


@pytest.fixture
def theirs(session, other_tenant):
    created_at(session, make_key(session, other_tenant, label="theirs"), NOON)


def created_at(session, secret, moment):
    session.scalar(select(ApiKey).where(ApiKey.digest == digest(secret))).created_at = moment
    session.flush()


def labels(api, query):
    response = api.get("/api-keys", query)
    assert response.status_code == 200, response.json
    return [k["attributes"]["label"] for k in response.json["data"]]


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("eq", ["manager"]),
        ("lt", ["noon"]),
        ("lte", ["noon", "manager"]),
        ("gt", ["two"]),
        ("gte", ["manager", "two"]),
    ],
)
@pytest.mark.parametrize("written", ["2026-03-01T13:00:00Z", "2026-03-01T08:00:00-05:00"])
def test_every_operator_at_its_bound(manager, theirs, op, expected, written):
    assert labels(manager, {f"filter[created-at][{op}]": written}) == expected
    assert labels(manager, {"filter": f'{{"created-at": {{"{op}": "{written}"}}}}'}) == expected


def test_a_range_sorted_and_paged(manager, theirs):
    query = {
        "filter[created-at][gte]": "2026-03-01T12:00:00Z",
        "filter[created-at][lt]": "2026-03-01T14:00:00Z",
        "sort": "-created-at",
        "page[size]": "1",
    }
    response = manager.get("/api-keys", query)
    assert [k["attributes"]["label"] for k in response.json["data"]] == ["manager"]
    assert response.json["meta"] == {"record-count": 2, "page-count": 2}


@pytest.mark.parametrize("value", ["2026-03-01", "2026-03-01T13:00:00"])
def test_a_date_or_a_naive_time_is_refused(manager, value):
    response = manager.get("/api-keys", {"filter[created-at][gte]": value})
    assert response.status_code == 400
    [error] = response.json["errors"]
    assert error["code"] == "invalid-filter"
    assert error["source"] == {"parameter": "filter[created-at][gte]"}

"""Visits compared by `appointment-at`: instants, whatever the offset they are written in."""

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests import factories

NEW_YORK, DENVER = ZoneInfo("America/New_York"), ZoneInfo("America/Denver")
# 09:00 in New York on 2026-12-06 is 14:00 UTC, and 07:00 in Denver.
NINE_IN_NEW_YORK = datetime(2026, 12, 6, 9, tzinfo=NEW_YORK)
# The same instant, in every way a client may write it.
SAME_INSTANT = ("2026-12-06T09:00:00-05:00", "2026-12-06T14:00:00Z", "2026-12-06T15:30:00+01:30")


@pytest.fixture
def visits(tenant, other_tenant, schedule):
    """By name: New York's 09:00 and 10:00, Denver's 07:00 (the same instant as New York's
    09:00), and New York's 09:00 the next day; another system's visit at 14:00 UTC too."""
    denver = factories.ScheduleFactory(health_system=tenant, time_zone_name="America/Denver")
    at = {
        "ny-nine": (schedule, NINE_IN_NEW_YORK),
        "ny-ten": (schedule, NINE_IN_NEW_YORK.replace(hour=10)),
        "denver-seven": (denver, datetime(2026, 12, 6, 7, tzinfo=DENVER)),
        "ny-next-day": (schedule, NINE_IN_NEW_YORK.replace(day=7)),
    }
    made = {
        name: factories.VisitFactory(schedule=where, starts_at=when.astimezone(UTC))
        for name, (where, when) in at.items()
    }
    theirs = factories.ScheduleFactory(health_system=other_tenant)
    factories.VisitFactory(schedule=theirs, starts_at=NINE_IN_NEW_YORK.astimezone(UTC))
    return {visit.id: name for name, visit in made.items()}


def names(api, visits, query):
    response = api.get("/visits", {"sort": "appointment-at,confirmation-number", **query})
    assert response.status_code == 200, response.json
    return [visits[v["id"]] for v in response.json["data"]]  # KeyError: another system's


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("eq", ["ny-nine", "denver-seven"]),
        ("lt", []),
        ("lte", ["ny-nine", "denver-seven"]),
        ("gt", ["ny-ten", "ny-next-day"]),
        ("gte", ["ny-nine", "denver-seven", "ny-ten", "ny-next-day"]),
    ],
)
@pytest.mark.parametrize("written", SAME_INSTANT)
def test_every_operator_at_the_instant_in_any_offset(booking_api, visits, op, expected, written):
    assert names(booking_api, visits, {f"filter[appointment-at][{op}]": written}) == expected
    nested = json.dumps({"appointment-at": {op: written}})
    assert names(booking_api, visits, {"filter": nested}) == expected


def test_nine_in_new_york_is_fourteen_utc(booking_api, visits):
    assert "ny-nine" in names(
        booking_api, visits, {"filter[appointment-at][gte]": "2026-12-06T14:00:00Z"}
    )
    assert "ny-nine" not in names(
        booking_api, visits, {"filter[appointment-at][gte]": "2026-12-06T14:00:00.000001Z"}
    )
    # 09:00 written as UTC is five hours earlier than 09:00 in New York.
    assert names(booking_api, visits, {"filter[appointment-at][lte]": "2026-12-06T09:00:00Z"}) == []
    assert names(booking_api, visits, {"filter[appointment-at]": "2026-12-06t14:00:00z"}) == [
        "ny-nine",
        "denver-seven",
    ]


def test_a_range_of_one_day_in_new_york(booking_api, visits):
    query = {
        "filter[appointment-at][gte]": "2026-12-06T00:00:00-05:00",
        "filter[appointment-at][lt]": "2026-12-07T00:00:00-05:00",
    }
    assert names(booking_api, visits, query) == ["ny-nine", "denver-seven", "ny-ten"]


def test_with_the_date_filters_status_sort_and_pages(booking_api, visits, session):
    query = {"filter[appointment-at][gt]": "2026-12-06T14:00:00Z", "filter[end-date]": "2026-12-06"}
    assert names(booking_api, visits, query) == ["ny-ten"]
    query = {
        "filter[appointment-at][gte]": "2026-12-06T14:00:00Z",
        "filter[start-date]": "2026-12-07",
    }
    assert names(booking_api, visits, query) == ["ny-next-day"]
    query = {"filter[appointment-at][gte]": "2026-12-06T14:00:00Z", "filter[status]": "cancelled"}
    assert names(booking_api, visits, query) == []
    query = {"filter[appointment-at][gt]": "2026-12-06T09:00:00-05:00", "sort": "-appointment-at"}
    first = booking_api.get("/visits", {**query, "page[size]": "1"})
    assert [visits[v["id"]] for v in first.json["data"]] == ["ny-next-day"]
    assert first.json["meta"] == {"record-count": 2, "page-count": 2}
    second = booking_api.get("/visits", {**query, "page[size]": "1", "page[number]": "2"})
    assert [visits[v["id"]] for v in second.json["data"]] == ["ny-ten"]


@pytest.mark.parametrize(
    ("op", "value", "every_visit"),
    [
        ("gt", "0001-01-01T00:00:00+14:00", True),  # in year 0 in UTC: before every instant
        ("gte", "0001-01-01T00:00:00+14:00", True),
        ("eq", "0001-01-01T00:00:00+14:00", False),
        ("lte", "0001-01-01T00:00:00+14:00", False),
        ("lt", "9999-12-31T23:59:59-12:00", True),  # in year 10000 in UTC: after every one
        ("lte", "9999-12-31T23:59:59-12:00", True),
        ("eq", "9999-12-31T23:59:59-12:00", False),
        ("gt", "9999-12-31T23:59:59-12:00", False),
    ],
)
def test_instants_past_the_calendars_ends(booking_api, visits, op, value, every_visit):
    found = names(booking_api, visits, {f"filter[appointment-at][{op}]": value})
    assert len(found) == (4 if every_visit else 0)


@pytest.mark.parametrize(
    ("value", "detail_has"),
    [
        ("2026-12-06T09:00:00", "with its offset"),  # naive: which 09:00?
        ("2026-12-06", "with its offset"),  # a date is no instant
        ("2026-12-06T09:00Z", "with its offset"),  # RFC 3339 has seconds
        ("2026-12-06T09:00:00 05:00", "%2B"),  # a + sent unencoded
        ("2026-02-30T09:00:00Z", "exists"),
        ("tomorrow", "with its offset"),
    ],
)
def test_refused_naming_the_parameter(booking_api, visits, value, detail_has):
    parameter = "filter[appointment-at][gte]"
    response = booking_api.get("/visits", {parameter: value})
    assert response.status_code == 400
    [error] = response.json["errors"]
    assert (error["code"], error["source"]) == ("invalid-filter", {"parameter": parameter})
    assert detail_has in error["detail"]


def test_a_visits_date_filter_takes_no_operator(booking_api, visits):
    response = booking_api.get("/visits", {"filter[start-date][gte]": "2026-12-06"})
    assert response.status_code == 400
    assert response.json["errors"][0]["source"] == {"parameter": "filter[start-date][gte]"}
    assert "cannot compare 'start-date'" in response.json["errors"][0]["detail"]

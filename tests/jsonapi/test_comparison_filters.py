"""Comparison filters, `filter[ATTRIBUTE][OP]=VALUE` and `filter={"ATTRIBUTE":{"OP":VALUE}}`:
read through appointment types' `duration-minutes` and `priority`."""

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from inquick.jsonapi.comparisons import AFTER_ALL, BEFORE_ALL, calendar_date, instant
from inquick.jsonapi.statements import STATEMENTS
from tests import factories

# Appointment types by id: (duration-minutes, priority).
TYPES = {"short": (15, 1), "half-hour": (30, 2), "long": (45, 3)}


@pytest.fixture
def types(tenant, other_tenant):
    """tenant's TYPES, and another system's types of the same durations."""
    ours = [
        factories.AppointmentTypeFactory(
            health_system=tenant, slug=slug, duration_minutes=minutes, priority=priority
        )
        for slug, (minutes, priority) in TYPES.items()
    ]
    # Another system's types, of every duration: never in tenant's answers.
    for minutes in (15, 30, 45):
        factories.AppointmentTypeFactory(
            health_system=other_tenant, slug=f"theirs-{minutes}", duration_minutes=minutes
        )
    return ours


def ids(api, query, path="/appointment-types"):
    response = api.get(path, {"sort": "duration-minutes", **query})
    assert response.status_code == 200, response.json
    return [t["id"] for t in response.json["data"]]


def as_json(comparisons):
    """{"duration-minutes[lt]": 30} -> filter={"duration-minutes":{"lt":30}}."""
    nested = {}
    for key, value in comparisons.items():
        name, op = key.removesuffix("]").split("[")
        nested.setdefault(name, {})[op] = value
    return {"filter": json.dumps(nested)}


def as_brackets(comparisons):
    return {f"filter[{key.replace('[', '][')}": str(v) for key, v in comparisons.items()}


FORMS = pytest.mark.parametrize("form", [as_brackets, as_json], ids=["brackets", "json"])


@FORMS
@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("eq", ["half-hour"]),
        ("lt", ["short"]),  # the bound itself excluded
        ("lte", ["short", "half-hour"]),  # ... and included
        ("gt", ["long"]),
        ("gte", ["half-hour", "long"]),
    ],
)
def test_every_operator_at_its_bound(api, types, form, op, expected):
    assert ids(api, form({f"duration-minutes[{op}]": 30})) == expected


@FORMS
def test_a_range_is_two_operators_on_one_attribute(api, types, form):
    query = form({"duration-minutes[gte]": 15, "duration-minutes[lt]": 45})
    assert ids(api, query) == ["short", "half-hour"]
    assert ids(api, form({"duration-minutes[gt]": 15, "duration-minutes[lte]": 45})) == [
        "half-hour",
        "long",
    ]
    assert ids(api, form({"duration-minutes[gt]": 30, "duration-minutes[lt]": 30})) == []


@FORMS
def test_two_attributes_combine_with_and(api, types, form):
    query = form({"duration-minutes[gte]": 30, "priority[lt]": 3})
    assert ids(api, query) == ["half-hour"]


def test_without_an_operator_is_equal_to(api, types):
    assert ids(api, {"filter[duration-minutes]": "45"}) == ["long"]
    assert ids(api, {"filter": '{"duration-minutes": 45}'}) == ["long"]
    assert ids(api, {"filter[priority]": " 1 "}) == ["short"]  # spaces around are ignored


def test_json_numbers_and_strings_read_alike(api, types):
    assert ids(api, {"filter": '{"priority": {"lte": "2"}}'}) == ["short", "half-hour"]
    assert ids(api, {"filter": '{"priority": {"lte": 2}}'}) == ["short", "half-hour"]


def test_the_bracket_form_wins_for_the_same_operator(api, types):
    query = {"filter": '{"duration-minutes": {"lt": 45, "gt": 15}}'}
    assert ids(api, query) == ["half-hour"]
    assert ids(api, {**query, "filter[duration-minutes][lt]": "30"}) == []


def test_with_other_filters_sort_and_pages(api, tenant, types):
    factories.AppointmentTypeFactory(
        health_system=tenant, slug="internal-long", duration_minutes=60, contexts=["Internal"]
    )
    query = {"filter[duration-minutes][gte]": "30", "filter[context]": "patient"}
    assert ids(api, query) == ["half-hour", "long"]
    query = {"filter[duration-minutes][gt]": "15", "sort": "-duration-minutes", "page[size]": "2"}
    first = api.get("/appointment-types", query)
    assert [t["id"] for t in first.json["data"]] == ["internal-long", "long"]
    assert first.json["meta"] == {"record-count": 3, "page-count": 2}
    second = api.get("/appointment-types", {**query, "page[number]": "2"})
    assert [t["id"] for t in second.json["data"]] == ["half-hour"]
    assert second.json["meta"] == {"record-count": 3, "page-count": 2}


def test_the_total_follows_the_value(api, types):
    """Totals are kept per shape and values: a kept count must not answer another value."""
    for bound, count in (("30", 1), ("45", 2), ("30", 1), ("100", 3)):
        query = {"filter[duration-minutes][lt]": bound, "page[size]": "1"}
        assert api.get("/appointment-types", query).json["meta"]["record-count"] == count


def test_a_related_list_takes_its_types_comparisons(api, tenant, types):
    schedule = factories.ScheduleFactory(health_system=tenant, appointment_types=types)
    path = f"/schedules/{schedule.id}/appointment-types"
    assert ids(api, {"filter[duration-minutes][lt]": "45"}, path) == ["short", "half-hour"]
    linkage = api.get(
        f"/schedules/{schedule.id}/relationships/appointment-types",
        {"filter[priority][gte]": "2", "sort": "priority"},
    )
    assert [t["id"] for t in linkage.json["data"]] == ["half-hour", "long"]


def test_never_another_systems_rows(api, types):
    for op in ("eq", "lt", "lte", "gt", "gte"):
        for value in ("15", "30", "45", "0", "1000"):
            assert not any(
                i.startswith("theirs") for i in ids(api, {f"filter[duration-minutes][{op}]": value})
            )


def test_a_new_value_reuses_the_statement(api, types, count_queries):
    """The value is bound, not built in: a value never seen builds no statement, and costs
    the statements of any other filter seen for the first time (a page, and its total)."""
    api.get("/appointment-types", {"filter[duration-minutes][lt]": "30"})
    with count_queries() as other_filter:
        api.get("/appointment-types", {"filter[context]": "patient"})
    built = set(STATEMENTS.built)
    for value in ("31", "44", "46"):
        with count_queries() as compared:
            response = api.get("/appointment-types", {"filter[duration-minutes][lt]": value})
        assert response.status_code == 200
        assert compared.count == other_filter.count
    assert set(STATEMENTS.built) == built


def assert_refused(response, parameter, detail_has):
    assert response.status_code == 400, response.json
    [error] = response.json["errors"]
    assert (error["code"], error["source"]) == ("invalid-filter", {"parameter": parameter})
    assert detail_has in error["detail"], error["detail"]


@pytest.mark.parametrize(
    ("parameter", "value", "detail_has"),
    [
        ("filter[duration-minutes][between]", "30", "'between' is no operator"),
        ("filter[duration-minutes][LT]", "30", "'LT' is no operator"),
        ("filter[name][lt]", "a", "cannot compare 'name'"),
        ("filter[context][gte]", "patient", "cannot compare 'context'"),
        ("filter[id][lt]", "a", "cannot compare 'id'"),
        ("filter[nothing][lt]", "1", "has no filter 'nothing'"),
        ("filter[duration-minutes][lt]", "thirty", "whole number"),
        ("filter[duration-minutes][lt]", "1.5", "whole number"),
        ("filter[duration-minutes][lt]", "", "whole number"),
        ("filter[duration-minutes][lt]", "1e3", "whole number"),
        ("filter[duration-minutes][lt]", "٣٠", "whole number"),  # digits int() would take
        ("filter[duration-minutes][lt]", "9999999999", "whole number"),  # past 32 bits
        ("filter[priority]", "1,2", "whole number"),  # one value, not a list
    ],
)
def test_refused_naming_the_parameter(api, types, parameter, value, detail_has):
    assert_refused(api.get("/appointment-types", {parameter: value}), parameter, detail_has)


@pytest.mark.parametrize(
    ("raw", "detail_has"),
    [
        ('{"duration-minutes": {"between": 30}}', "'between' is no operator"),
        ('{"name": {"lt": "b"}}', "cannot compare 'name'"),
        ('{"duration-minutes": {"lt": "thirty"}}', "whole number"),
        ('{"duration-minutes": {"lt": 1.5}}', "whole number"),
        ('{"duration-minutes": {"lt": true}}', "whole number"),
        ('{"duration-minutes": {"lt": [1, 2]}}', "JSON object"),
        ('{"duration-minutes": {"lt": {"gt": 1}}}', "JSON object"),
        ('{"duration-minutes": {}}', "JSON object"),
        ('{"duration-minutes[lt]": 30}', "has no filter"),
    ],
)
def test_the_json_form_refused_naming_filter(api, types, raw, detail_has):
    assert_refused(api.get("/appointment-types", {"filter": raw}), "filter", detail_has)


def test_the_whole_error_document(api, types):
    response = api.get("/appointment-types", {"filter[priority][lt]": "high"})
    assert response.json == {
        "errors": [
            {
                "status": "400",
                "code": "invalid-filter",
                "title": response.json["errors"][0]["title"],
                "detail": "The filter takes a whole number (at most 9 digits).",
                "source": {"parameter": "filter[priority][lt]"},
            }
        ],
        "jsonapi": response.json["jsonapi"],
    }


@pytest.mark.parametrize(
    "name", ["filter[priority][lt][x]", "filter[priority][]", "page[size][lt]"]
)
def test_deeper_nesting_is_no_parameter(api, types, name):
    response = api.get("/appointment-types", {name: "1"})
    assert response.status_code == 400
    assert response.json["errors"][0]["code"] == "invalid-query-parameter"
    assert response.json["errors"][0]["source"] == {"parameter": name}


def test_a_single_resource_takes_no_comparison(api, types):
    response = api.get("/appointment-types/short", {"filter[priority][lt]": "3"})
    assert response.status_code == 400
    assert response.json["errors"][0]["code"] == "invalid-query-parameter"


def test_instants_need_their_offset_and_are_read_in_utc():
    new_york = timezone(timedelta(hours=-5))
    assert instant("2026-12-06T09:00:00-05:00") == datetime(2026, 12, 6, 14, tzinfo=UTC)
    assert instant("2026-12-06t14:00:00z") == instant("2026-12-06T14:00:00Z")
    assert instant("2026-12-06T14:00:00.25+00:00") == datetime(
        2026, 12, 6, 14, 0, 0, 250000, tzinfo=UTC
    )
    assert instant("2026-12-06T09:00:00-05:00").astimezone(new_york).hour == 9
    assert instant("0001-01-01T00:00:00+14:00") == BEFORE_ALL
    assert instant("9999-12-31T23:59:59-12:00") == AFTER_ALL
    for naive in ("2026-12-06T09:00:00", "2026-12-06", "2026-12-06T09:00Z", "20261206T090000Z"):
        with pytest.raises(ValueError, match="with its offset"):
            instant(naive)
    with pytest.raises(ValueError, match="%2B"):
        instant("2026-12-06T09:00:00 05:00")  # a + the URL did not encode
    for impossible in ("2025-02-30T10:00:00Z", "2025-03-01T24:00:00-05:00"):
        with pytest.raises(ValueError, match="exists"):
            instant(impossible)


def test_dates_are_yyyy_mm_dd():
    assert calendar_date("2026-12-06") == date(2026, 12, 6)
    for wrong in ("2026-12-06T00:00:00Z", "20261206", "2026-02-30", "06/12/2026"):
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            calendar_date(wrong)

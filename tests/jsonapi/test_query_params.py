"""Query parameters: every bad one is a 400 naming the parameter."""

import pytest
from werkzeug.datastructures import MultiDict

from inquick.jsonapi.query import parse_query, parsed_query
from inquick.resources.schedules import schedules
from tests import factories


@pytest.fixture
def schedule(tenant):
    return factories.ScheduleFactory(health_system=tenant)


def assert_bad_parameter(response, parameter, code):
    assert response.status_code == 400, response.json
    [error] = response.json["errors"]
    assert error["status"] == "400"
    assert error["code"] == code
    assert error["source"] == {"parameter": parameter}
    assert error["title"] and error["detail"]


@pytest.mark.parametrize(
    "include", ["nope", "location.nope", "location,,provider", "name", "a.b.c.d.e"]
)
def test_unknown_include_path(api, schedule, include):
    response = api.get("/schedules", {"include": include})
    assert_bad_parameter(response, "include", "invalid-include")


def test_unknown_include_on_a_single_resource(api, schedule):
    response = api.get(f"/schedules/{schedule.id}", {"include": "doctor"})
    assert_bad_parameter(response, "include", "invalid-include")


@pytest.mark.parametrize("sort", ["nope", "-nope", "name,bogus", "hours", "location"])
def test_unknown_or_unsortable_sort_field(api, schedule, sort):
    assert_bad_parameter(api.get("/schedules", {"sort": sort}), "sort", "invalid-sort")


def test_unknown_filter_key_in_both_syntaxes(api, schedule):
    assert_bad_parameter(
        api.get("/schedules", {"filter[doctor]": "x"}), "filter[doctor]", "invalid-filter"
    )
    assert_bad_parameter(
        api.get("/schedules", {"filter": '{"doctor": "x"}'}), "filter", "invalid-filter"
    )


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', '{"id": {"nested": 1}}'])
def test_malformed_json_filter(api, schedule, raw):
    assert_bad_parameter(api.get("/schedules", {"filter": raw}), "filter", "invalid-filter")


def test_an_empty_id_filter_is_refused(api, schedule):
    response = api.get("/schedules", {"filter[id]": " , "})
    assert_bad_parameter(response, "filter[id]", "invalid-filter")


def test_both_filter_syntaxes_filter(api, tenant):
    a = factories.ServiceFactory(health_system=tenant, slug="a")
    factories.ServiceFactory(health_system=tenant, slug="b")
    c = factories.ServiceFactory(health_system=tenant, slug="c")
    for query in ({"filter[id]": "a,c"}, {"filter": '{"id": "a,c"}'}):
        ids = [d["id"] for d in api.get("/services", query).json["data"]]
        assert sorted(ids) == sorted([a.slug, c.slug])


@pytest.mark.parametrize(
    ("parameter", "value"),
    [("fields[nope]", "name"), ("fields[schedules]", "name,nope"), ("fields[services]", "city")],
)
def test_bad_sparse_fieldsets(api, schedule, parameter, value):
    assert_bad_parameter(api.get("/schedules", {parameter: value}), parameter, "invalid-fields")


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("page[size]", "0"),
        ("page[size]", "101"),
        ("page[size]", "1000000"),
        ("page[size]", "ten"),
        ("page[number]", "0"),
        ("page[number]", "-1"),
        ("page[number]", "1.5"),
    ],
)
def test_bad_page_values(api, schedule, parameter, value):
    assert_bad_parameter(api.get("/schedules", {parameter: value}), parameter, "invalid-page")


@pytest.mark.parametrize(
    "name", ["bogus", "page[offset]", "include[x]", "sort[name]", "fields", "filter[id][x][y]"]
)
def test_unsupported_lowercase_parameters(api, schedule, name):
    response = api.get("/schedules", {name: "1"})
    assert_bad_parameter(response, name, "invalid-query-parameter")


def test_collection_parameters_on_a_single_resource(api, schedule):
    response = api.get(f"/schedules/{schedule.id}", {"page[size]": "5"})
    assert_bad_parameter(response, "page[size]", "invalid-query-parameter")


def test_implementation_parameters_with_other_characters_are_ignored(api, schedule):
    response = api.get("/schedules", {"utm_source": "newsletter", "camelCase": "1"})
    assert response.status_code == 200


def test_parameters_are_parsed_once_and_each_request_gets_its_own_copy():
    args = MultiDict([("include", "provider"), ("page[size]", "3"), ("sort", "-name")])
    first = parse_query(args, schedules, collection=True)
    hits = parsed_query.cache_info().hits
    second = parse_query(MultiDict(args), schedules, collection=True)
    assert parsed_query.cache_info().hits == hits + 1
    assert second == first and second is not first
    first.include = {"location": {}}  # as a view may replace what it includes
    assert parse_query(args, schedules, collection=True).include == {"provider": {}}


def test_a_key_in_the_query_is_kept_out_of_the_parses_kept():
    """Parsed with a key and without, the parameters are one parse: no secret is kept."""
    asked = [("sort", "name"), ("page[size]", "7")]
    parse_query(MultiDict([*asked, ("api_key", "iq_live_secret")]), schedules, collection=True)
    hits = parsed_query.cache_info().hits
    parse_query(MultiDict(asked), schedules, collection=True)
    assert parsed_query.cache_info().hits == hits + 1

"""Filter values are read by the catalog, which knows no HTTP: it raises `FilterValueError`."""

import pytest

from inquick.catalog.filters import FilterValueError, boolean, one_or_more
from inquick.catalog.geo import parse_point


@pytest.mark.parametrize(
    ("read", "value"),
    [(one_or_more, " , "), (boolean, "yes"), (parse_point, "[91,0]"), (parse_point, "north")],
)
def test_a_value_that_cannot_be_read_is_a_filter_value_error(read, value):
    with pytest.raises(FilterValueError):
        read(value)


def test_the_machinery_answers_it_as_invalid_filter_naming_the_parameter():
    from inquick.jsonapi.errors import InvalidFilter
    from inquick.jsonapi.resource import checked

    with pytest.raises(InvalidFilter) as refusal:
        checked(boolean, "maybe", "filter[accepting-new-patients]")
    assert refusal.value.to_dict()["source"] == {"parameter": "filter[accepting-new-patients]"}
    assert refusal.value.detail == "The filter takes true or false."


def test_an_id_in_digits_int_cannot_read_names_no_row():
    """`²` is a digit to `str.isdigit` but not to `int`: an id filter of it matches nothing
    (it was a 500 once the machinery read filter values' ValueErrors as 400s)."""
    from inquick.resources.api_keys import api_keys  # a type whose ids are integers

    assert api_keys.parse_id("²") is None
    assert api_keys.parse_id("12") == 12

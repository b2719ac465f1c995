"""Comparison filters: `filter[ATTRIBUTE][OP]=VALUE` on a type's numeric, date and date-time
attributes, declared by naming them (`Resource.comparable`).

The value is read as the attribute's type and bound by name when the statement runs, so
one statement serves every value of a request's shape. A date-time is an instant: it
needs its offset, and is compared in UTC.
"""

import operator
import re
from datetime import UTC, date, datetime

from sqlalchemy import bindparam, false

from inquick.dates import parse_date

OPERATORS = {
    "eq": operator.eq,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}
# Far past any count a catalog holds, and inside the 32-bit integers bound values are cast to.
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,9}")
# RFC 3339: a date, a time with seconds, and an offset (`Z` or ±HH:MM).
INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
# The same with a space where the offset's sign was: a `+` that reached the URL unencoded.
UNENCODED_PLUS = re.compile(INSTANT.pattern.replace("[+-]", "[ -]"))
# What an instant past the years a `datetime` holds compares as: before or after every one.
BEFORE_ALL, AFTER_ALL = "before-all", "after-all"


def whole_number(text):
    if not WHOLE_NUMBER.fullmatch(text):
        raise ValueError("The filter takes a whole number (at most 9 digits).")
    return int(text)


def calendar_date(text):
    day = parse_date(text)
    if day is None:
        raise ValueError("The filter takes a date, YYYY-MM-DD.")
    return day


def instant(text):
    """The UTC instant of an RFC 3339 date-time, or BEFORE_ALL / AFTER_ALL for one past
    the years a `datetime` holds (0001-01-01T00:00:00+14:00 is in year 0 in UTC)."""
    if not INSTANT.fullmatch(text):
        hint = ""
        if UNENCODED_PLUS.fullmatch(text):
            hint = " (a + in a URL is written %2B)"
        raise ValueError(
            "The filter takes a date-time with its offset, e.g. 2026-12-06T09:00:00-05:00 or "
            f"2026-12-06T14:00:00Z{hint}."
        )
    try:
        moment = datetime.fromisoformat(text.upper())
    except ValueError:  # 2025-02-30, 24:00:00
        raise ValueError(f"{text} is not a date-time that exists.") from None
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return BEFORE_ALL if moment.year == 1 else AFTER_ALL


READERS = {int: whole_number, date: calendar_date, datetime: instant}


def comparable_type(column):
    """The Python type a comparison reads its value as, or None when `column` is none of
    those (a comparison is declared on numbers, dates and date-times only)."""
    python_type = column.type.python_type
    return python_type if python_type in READERS else None


class Comparison:
    """`column OP value`, the value bound as `name`."""

    def __init__(self, column, op, name):
        self.column, self.op, self.name = column, op, name
        self.read = READERS[comparable_type(column)]

    def bound(self, text):
        """(outcome, values): the values to bind; or, for an instant past the calendar's
        ends, whether every row with a value matches (then nothing is bound)."""
        value = self.read(text.strip())
        if value == BEFORE_ALL:
            return self.op in ("gt", "gte"), {}
        if value == AFTER_ALL:
            return self.op in ("lt", "lte"), {}
        return None, {self.name: value}

    def condition(self, text):
        outcome, _ = self.bound(text)
        if outcome is None:
            compare = OPERATORS[self.op]
            return compare(self.column, bindparam(self.name, type_=self.column.type))
        return self.column.is_not(None) if outcome else false()

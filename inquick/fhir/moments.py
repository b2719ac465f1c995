"""FHIR date search values: a prefix and a date or date-time, read as a range of instants.

`2026-12-07` is the whole of that day, `2026-12` the whole month and a date-time with
seconds that second: `ge` takes what starts in or after the range, `gt` what starts after
it, `le` what starts in or before it, `lt` what starts before it, `eq` what starts in it.
A date names local days: the caller says in which zone (a slot's schedule's, or UTC).
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, false, true

PREFIXES = ("eq", "ge", "gt", "le", "lt")
# Prefixes FHIR defines that this server does not take.
UNSUPPORTED_PREFIXES = ("ne", "sa", "eb", "ap")
DATE_VALUE = re.compile(
    r"(?P<year>[0-9]{4})(-(?P<month>[0-9]{2})(-(?P<day>[0-9]{2})"
    r"(T(?P<clock>[0-9]{2}:[0-9]{2}(?P<seconds>:[0-9]{2}(?P<fraction>\.[0-9]+)?)?)"
    r"(?P<offset>Z|[+-][0-9]{2}:[0-9]{2}))?)?)?"
)
# The same with a space where an offset's `+` was: a `+` that reached the URL unencoded.
UNENCODED_PLUS = re.compile(r".*T[0-9:.]+ [0-9]{2}:[0-9]{2}")


class MomentError(ValueError):
    """A date search value that cannot be read; the message tells the client why."""


@dataclass(frozen=True)
class DateCriterion:
    """One `prefix + value` of a date parameter: `first` and `after` bound the range the
    value names, as local dates (a date value) or UTC instants (a date-time value);
    `after` is None past the last year there is."""

    prefix: str
    first: date | datetime
    after: date | datetime | None

    def bounds(self, zone):
        """(lo, hi): the range in UTC instants, for dates as days in `zone`; None for a
        bound past the calendar's ends."""
        return _instant(self.first, zone), _instant(self.after, zone)

    def condition(self, column):
        """SQL: the instant in `column` meets this criterion (dates are UTC days)."""
        lo, hi = self.bounds(UTC)
        at_or_after_lo = true() if lo is None else column >= lo
        before_hi = column.is_not(None) if hi is None else column < hi
        return {
            "eq": and_(at_or_after_lo, before_hi),
            "ge": at_or_after_lo,
            "gt": false() if hi is None else column >= hi,
            "le": before_hi,
            "lt": false() if lo is None else column < lo,
        }[self.prefix]


def _instant(value, zone):
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.combine(value, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    except OverflowError:  # the first day there is, in a zone ahead of UTC
        return None


def read_criterion(text):
    """A `DateCriterion` from `ge2026-12-07`, `2026-12-07T09:00:00-05:00`, `lt2027`…"""
    prefix = text[:2] if text[:2].isalpha() else "eq"
    value = text[2:] if text[:2].isalpha() else text
    if prefix in UNSUPPORTED_PREFIXES:
        raise MomentError(
            f"The prefix {prefix} is not supported; use one of {', '.join(PREFIXES)}."
        )
    if prefix not in PREFIXES:
        raise MomentError(f"{text!r} is not a date search value (PREFIX and a date).")
    match = DATE_VALUE.fullmatch(value)
    if match is None:
        hint = " (a + in a URL is written %2B)" if UNENCODED_PLUS.fullmatch(value) else ""
        raise MomentError(
            f"{value!r} is not a date: write YYYY, YYYY-MM, YYYY-MM-DD or a date-time with "
            f"its offset, e.g. 2026-12-07T09:00:00-05:00{hint}."
        )
    try:
        first, after = _range(match)
    except ValueError:
        raise MomentError(f"{value!r} is not a date that exists.") from None
    return DateCriterion(prefix, first, after)


def _range(match):
    """(first, after) of a matched value: its first day or instant, and the one after it."""
    year = int(match["year"])
    if match["month"] is None:
        return date(year, 1, 1), (date(year + 1, 1, 1) if year < 9999 else None)
    month = int(match["month"])
    if match["day"] is None:
        first = date(year, month, 1)
        if month == 12:
            return first, (date(year + 1, 1, 1) if year < 9999 else None)
        return first, date(year, month + 1, 1)
    day = date(year, month, int(match["day"]))
    if match["clock"] is None:
        return day, (day + timedelta(days=1) if day < date.max else None)
    moment = datetime.fromisoformat(f"{match[0][: match.start('offset')]}{_offset(match)}")
    precision = (
        timedelta(microseconds=1)
        if match["fraction"]
        else timedelta(seconds=1)
        if match["seconds"]
        else timedelta(minutes=1)
    )
    try:
        first = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("outside the calendar") from None
    try:
        return first, first + precision
    except OverflowError:
        return first, None


def _offset(match):
    return "+00:00" if match["offset"] == "Z" else match["offset"]

"""A schedule's opening hours and dated exceptions, as the API shows and accepts them.

Both directions live here so that what a client reads is exactly what it may send back:
`hours` is a list of `{day, opens-at, closes-at}` in the schedule's local time, and
`exceptions` a list of `{date, closed, opens-at, closes-at}`.
"""

import re
from datetime import time
from functools import cache
from zoneinfo import available_timezones

from marshmallow import ValidationError
from sqlalchemy import case, literal_column, select

from inquick.dates import parse_date
from inquick.models.schedules import WEEKDAYS, Schedule, ScheduleException, WeeklyWindow
from inquick.sql import ClockText, DateText, json_list

CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")  # 00:00 to 23:59; no 24:00
MAX_WINDOWS, MAX_EXCEPTIONS = 100, 400


@cache
def known_time_zones():
    return frozenset(available_timezones())


def check_time_zone(value):
    """Validate an IANA time zone name (`America/Denver`)."""
    if value not in known_time_zones():
        raise ValidationError("must be an IANA time zone name, such as America/New_York")


def weekday_name(weekday):
    """`monday` for 0 and so on, the names written into the SQL: as bound values they
    would be fourteen parameters of every statement that shows hours."""
    names = {literal_column(str(n)): literal_column(f"'{day}'") for n, day in enumerate(WEEKDAYS)}
    return case(names, value=weekday)


def weekly_hours():
    """The schedule's opening windows in its local time, Monday first, as JSON."""
    rows = (
        select(
            weekday_name(WeeklyWindow.weekday),
            ClockText(WeeklyWindow.opens_at),
            ClockText(WeeklyWindow.closes_at),
        )
        .where(WeeklyWindow.schedule_id == Schedule.id)
        .order_by(WeeklyWindow.weekday, WeeklyWindow.opens_at)
    )
    return json_list(rows, ("day", "opens-at", "closes-at"), correlate=[Schedule])


def dated_exceptions():
    """The schedule's dated exceptions, earliest first, as JSON."""
    rows = (
        select(
            DateText(ScheduleException.on_date),
            ScheduleException.closed,
            ClockText(ScheduleException.opens_at),
            ClockText(ScheduleException.closes_at),
        )
        .where(ScheduleException.schedule_id == Schedule.id)
        .order_by(ScheduleException.on_date)
    )
    return json_list(rows, ("date", "closed", "opens-at", "closes-at"), correlate=[Schedule])


def read_clock(entry, member, where):
    value = entry.get(member)
    match = CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValidationError(f"{where}: {member} must be a time from 00:00 to 23:59 (HH:MM)")
    return time(int(match[1]), int(match[2]))


def read_entries(value, members, limit):
    """Check `value` is a list of at most `limit` objects with only the given members."""
    if not isinstance(value, list) or len(value) > limit:
        raise ValidationError(f"must be an array of at most {limit} objects")
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise ValidationError(f"item {index} must be an object")
        unknown = sorted(set(entry) - set(members))
        if unknown:
            raise ValidationError(f"item {index}: unknown member {unknown[0]!r}")
    return value


def read_window(opens, closes, where):
    if opens >= closes:
        raise ValidationError(f"{where}: opens-at must be before closes-at")
    return opens, closes


def read_weekly_hours(value):
    """`hours` from a request, as the schedule's new weekly windows."""
    windows = []
    for index, entry in enumerate(
        read_entries(value, ("day", "opens-at", "closes-at"), MAX_WINDOWS)
    ):
        where = f"item {index}"
        if entry.get("day") not in WEEKDAYS:
            raise ValidationError(f"{where}: day must be one of {', '.join(WEEKDAYS)}")
        opens, closes = read_window(
            read_clock(entry, "opens-at", where), read_clock(entry, "closes-at", where), where
        )
        windows.append(
            WeeklyWindow(weekday=WEEKDAYS.index(entry["day"]), opens_at=opens, closes_at=closes)
        )
    return windows


def read_date(entry, where):
    on_date = parse_date(entry.get("date"))
    if on_date is None:
        raise ValidationError(f"{where}: date must be a calendar date (YYYY-MM-DD)")
    return on_date


def read_exceptions(value):
    """`exceptions` from a request, as the schedule's new dated exceptions."""
    exceptions = []
    members = ("date", "closed", "opens-at", "closes-at")
    for index, entry in enumerate(read_entries(value, members, MAX_EXCEPTIONS)):
        where = f"item {index}"
        on_date = read_date(entry, where)
        closed = entry.get("closed", False)
        if not isinstance(closed, bool):
            raise ValidationError(f"{where}: closed must be true or false")
        if closed:
            if entry.get("opens-at") is not None or entry.get("closes-at") is not None:
                raise ValidationError(f"{where}: a closed day has no opening times")
            exceptions.append(ScheduleException(on_date=on_date, closed=True))
            continue
        opens, closes = read_window(
            read_clock(entry, "opens-at", where), read_clock(entry, "closes-at", where), where
        )
        exceptions.append(
            ScheduleException(on_date=on_date, closed=False, opens_at=opens, closes_at=closes)
        )
    return exceptions

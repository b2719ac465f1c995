"""Availability engine: the visit start times a schedule offers, as pure functions.

Nothing here touches the database or the clock: callers pass the rules, the booked
visits and `now`, so the same inputs always give the same slots.
"""

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Booked = Iterable[tuple[datetime, datetime]]


@dataclass(frozen=True)
class Window:
    """A weekly opening window in local wall-clock time (weekday 0 is Monday)."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True)
class DatedException:
    """A dated change in local time: the day closed, or extra hours added to it."""

    on: date
    closed: bool
    opens: time | None = None
    closes: time | None = None


@dataclass(frozen=True)
class Rules:
    """A schedule's availability as data: windows, exceptions, interval, capacity, limits."""

    time_zone: str
    windows: tuple[Window, ...]
    exceptions: tuple[DatedException, ...] = ()
    slot_interval_minutes: int = 15
    capacity: int = 1
    minimum_notice_minutes: int = 0
    booking_horizon_days: int = 60


class Slot(NamedTuple):
    """A start time in the schedule's zone and how many more visits fit there (a tuple:
    a window of a dozen schedules makes a thousand of them)."""

    start: datetime
    remaining: int


def slots(
    rules: Rules,
    duration_minutes: int,
    booked: Booked,
    start_date: date,
    end_date: date,
    now: datetime,
) -> list[Slot]:
    """Every slot between two local dates (inclusive), full ones included with remaining 0."""
    zone = _zone(rules)
    _require_positive(
        slot_interval_minutes=rules.slot_interval_minutes,
        duration_minutes=duration_minutes,
        capacity=rules.capacity,
    )
    now = _as_utc(now, "now")
    duration = timedelta(minutes=duration_minutes)
    earliest = max(now, now + timedelta(minutes=rules.minimum_notice_minutes))
    today = now.astimezone(zone).date()
    last = min(end_date, today + timedelta(days=rules.booking_horizon_days))
    visits = _Visits(booked)
    overlapping = visits.most_overlapping if visits else None
    capacity = rules.capacity
    found = []
    # Earlier local dates end before today's midnight, so before `now`: skip them.
    day = max(start_date, today)
    while day <= last:
        for start, local in _day_starts(rules, zone, day, duration):
            if start >= earliest:
                taken = overlapping(start, start + duration) if overlapping else 0
                found.append(Slot(local, capacity - taken if taken < capacity else 0))
        day += timedelta(days=1)
    return found


def free_times(
    rules: Rules,
    duration_minutes: int,
    booked: Booked,
    start_date: date,
    end_date: date,
    now: datetime,
) -> list[Slot]:
    """The slots between two local dates that still have room for a visit."""
    found = slots(rules, duration_minutes, booked, start_date, end_date, now)
    return [slot for slot in found if slot.remaining > 0]


def slot_at(
    rules: Rules, duration_minutes: int, booked: Booked, at: datetime, now: datetime
) -> Slot | None:
    """The slot starting exactly at `at` (full or not), or None when no slot starts then."""
    wanted = _as_utc(at, "at")
    day = wanted.astimezone(_zone(rules)).date()
    for slot in slots(rules, duration_minutes, booked, day, day, now):
        # Compare in UTC: two times in one zone compare by wall clock, ignoring fold.
        if slot.start.astimezone(UTC) == wanted:
            return slot
    return None


class _Visits:
    """Booked visits in UTC, sorted once so each slot finds its overlaps by bisection."""

    def __init__(self, booked: Booked):
        pairs = sorted((_as_utc(start, "booked"), _as_utc(end, "booked")) for start, end in booked)
        pairs = [(start, end) for start, end in pairs if end > start]
        self._starts = [start for start, _ in pairs]
        self._ends = [end for _, end in pairs]
        self._longest = max((end - start for start, end in pairs), default=timedelta(0))

    def __bool__(self):
        return bool(self._starts)

    def most_overlapping(self, start: datetime, end: datetime) -> int:
        """The most visits in progress at any single instant of [start, end)."""
        # A visit overlapping the slot began after start - longest visit, and before end.
        first = bisect.bisect_right(self._starts, start - self._longest)
        stop = bisect.bisect_left(self._starts, end)
        if first == stop:  # most slots: no visit near
            return 0
        events = []
        for i in range(first, stop):
            if self._ends[i] > start:
                events.append((max(self._starts[i], start), 1))
                events.append((min(self._ends[i], end), -1))
        # Ends sort before starts at the same instant: intervals are half-open.
        current = peak = 0
        for _, change in sorted(events):
            current += change
            peak = max(peak, current)
        return peak


def _day_starts(rules: Rules, zone: ZoneInfo, day: date, duration: timedelta) -> list:
    """(UTC instant, local time) of each start one local date offers, ascending, each once."""
    windows = [(w.opens, w.closes) for w in rules.windows if w.weekday == day.weekday()]
    for exception in rules.exceptions:
        if exception.on != day:
            continue
        if exception.closed:
            return []
        if exception.opens is not None and exception.closes is not None:
            windows.append((exception.opens, exception.closes))
    if not windows:
        return []
    step = timedelta(minutes=rules.slot_interval_minutes)
    offset = _steady_offset(zone, day)
    starts = {}
    for opens, closes in windows:
        close_wall = datetime.combine(day, closes)
        wall = datetime.combine(day, opens)
        if offset is not None:
            # The usual day: one UTC offset converts every wall-clock time of it, and a
            # step of the clock is a step of UTC (so both are stepped, not converted).
            close = (close_wall - offset).replace(tzinfo=UTC)
            start = (wall - offset).replace(tzinfo=UTC)
            local = wall.replace(tzinfo=zone)
            while start + duration <= close:
                starts[start] = local
                start += step
                local += step
            continue
        close = _instant(close_wall, zone)
        if close is None:
            # A close inside a spring-forward gap: take the earlier reading (fold=1), so
            # no visit runs past the moment the clocks jump over the closing time.
            close = close_wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
        # Step in wall-clock time so a transition day offers the same clock times.
        while wall < close_wall:
            start = _instant(wall, zone)
            if start is not None and start + duration <= close:
                starts[start] = start.astimezone(zone)
            wall += step
    return sorted(starts.items())


def _steady_offset(zone: ZoneInfo, day: date) -> timedelta | None:
    """The UTC offset of a local date the clocks do not change on, else None."""
    first = datetime.combine(day, time.min, tzinfo=zone).utcoffset()
    last = datetime.combine(day, time.max, tzinfo=zone).utcoffset()
    return first if first == last else None


def _instant(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """The UTC instant a local wall-clock time names, or None when the clocks skip it."""
    # fold=0 reads a repeated (fall-back) time as its first occurrence, so it is offered once.
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    # A spring-forward gap time comes back as a different wall-clock time.
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return instant


def _zone(rules: Rules) -> ZoneInfo:
    """The schedule's IANA zone; an unknown name is a ValueError like any bad rule."""
    try:
        return ZoneInfo(rules.time_zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ValueError(f"unknown time zone: {rules.time_zone!r}") from error


def _require_positive(**values: int) -> None:
    for name, value in values.items():
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value}")


def _as_utc(value: datetime, name: str) -> datetime:
    """An aware datetime in UTC; a naive one would silently take the server's zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)

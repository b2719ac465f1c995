"""The floor's own free-time computation: the app's rules, written the shortest way.

Weekly windows are local wall-clock times stepped by the interval; a start the clocks
skip is no slot, a repeated one counts once (its first reading); a visit must end by
the window's close; slots start no sooner than the notice and no later than the horizon;
a slot is free while fewer visits than the capacity overlap it at any instant.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def clock(text):
    return time.fromisoformat(text) if text else None


def utc_instant(wall, zone):
    """The UTC instant of a local wall-clock time (first reading), or None in a DST gap."""
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    return instant if instant.astimezone(zone).replace(tzinfo=None) == wall else None


def steady_offset(day, zone):
    """The day's UTC offset when the clocks do not change on it, else None."""
    first = datetime.combine(day, time.min, tzinfo=zone).utcoffset()
    return first if first == datetime.combine(day, time.max, tzinfo=zone).utcoffset() else None


def peak_overlap(booked, start, end):
    """The most visits in progress at one instant of [start, end)."""
    inside = [(max(s, start), min(e, end)) for s, e in booked if s < end and e > start]
    return max((sum(s <= p < e for s, e in inside) for p, _ in inside), default=0)


def day_starts(windows, exceptions, day, zone, interval, duration):
    """The UTC starts a local date offers, ascending, each once."""
    spans = [(o, c) for weekday, o, c in windows if weekday == day.weekday()]
    for on, closed, opens, closes in exceptions:
        if on == day and closed:
            return []
        if on == day and opens and closes:
            spans.append((opens, closes))
    offset = steady_offset(day, zone)
    starts = set()
    for opens, closes in spans:
        close_wall = datetime.combine(day, closes)
        if offset is not None:  # the usual day: one offset converts every wall-clock time
            close = (close_wall - offset).replace(tzinfo=UTC)
        else:  # a close in a spring-forward gap reads as the earlier time (fold=1)
            close = utc_instant(close_wall, zone) or close_wall.replace(
                tzinfo=zone, fold=1
            ).astimezone(UTC)
        wall = datetime.combine(day, opens)
        while wall < close_wall:
            if offset is not None:
                start = (wall - offset).replace(tzinfo=UTC)
            else:
                start = utc_instant(wall, zone)
            if start is not None and start + duration <= close:
                starts.add(start)
            wall += interval
    return sorted(starts)


def free_times(rules, duration_minutes, booked, first_day, last_day, now):
    """ISO local times with room, between two local dates, for one schedule's `rules`:
    (zone name, interval, capacity, notice, horizon, windows, exceptions)."""
    zone_name, interval, capacity, notice, horizon, windows, exceptions = rules
    zone = ZoneInfo(zone_name)
    windows = [(weekday, clock(o), clock(c)) for weekday, o, c in windows]
    exceptions = [(date.fromisoformat(on), closed, clock(o), clock(c))
                  for on, closed, o, c in exceptions]  # fmt: skip
    duration = timedelta(minutes=duration_minutes)
    earliest = now + timedelta(minutes=notice)
    today = now.astimezone(zone).date()
    day, last = max(first_day, today), min(last_day, today + timedelta(days=horizon))
    times = []
    while day <= last:
        starts = day_starts(windows, exceptions, day, zone, timedelta(minutes=interval), duration)
        if starts:
            # Only the visits overlapping this day's slots can fill one of them.
            today_booked = [
                (s, e) for s, e in booked if s < starts[-1] + duration and e > starts[0]
            ]
            for start in starts:
                taken = peak_overlap(today_booked, start, start + duration) if today_booked else 0
                if start >= earliest and taken < capacity:
                    times.append(start.astimezone(zone).isoformat())
        day += timedelta(days=1)
    return times

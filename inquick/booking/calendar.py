"""The calendar file of a booking: one event, in the schedule's zone, for any calendar app.

Calendar apps match a file to the event they already hold by its UID and keep the one
with the highest SEQUENCE, so a reschedule or a cancellation replaces the event instead
of adding a second one. Nothing here can name the patient: a calendar file is forwarded,
synced and shared far outside the clinic.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

PRODUCT_ID = "-//inquick//Booking calendar//EN"

# The VTIMEZONE states the zone's rules only around the visit: enough for any app to place
# it (and a reminder a week before) without writing out decades of transitions.
ZONE_MARGIN = timedelta(days=366)


@dataclass(frozen=True)
class CalendarEntry:
    """What a calendar file shows of a booking: never anything about the patient."""

    uid: str  # the same from booking to cancellation, reschedules included
    sequence: int  # 0 when booked, one more at each reschedule or cancellation
    cancelled: bool
    start: datetime  # aware, at any offset: the file writes it in the schedule's zone
    end: datetime
    time_zone_name: str  # the schedule's IANA zone, e.g. "America/New_York"
    summary: str
    location: str  # the place and its street address
    stamp: datetime  # aware: when this file was made
    description: str | None = None


def calendar_file(entry: CalendarEntry) -> bytes:
    """The RFC 5545 text of a one-event calendar for `entry`."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    # iTIP (RFC 5546): CANCEL tells an app to drop the event it holds under this UID.
    calendar.add("method", "CANCEL" if entry.cancelled else "PUBLISH")
    calendar.add_component(_time_zone(entry))
    calendar.add_component(_event(entry))
    return calendar.to_ical()


def _event(entry):
    """The VEVENT, its times written in the schedule's zone as the clinic's clock shows them."""
    zone = ZoneInfo(entry.time_zone_name)
    event = Event()
    event.add("uid", entry.uid)
    event.add("sequence", entry.sequence)
    # `add` writes DTSTAMP in UTC, as RFC 5545 requires, whatever the stamp's offset.
    event.add("dtstamp", entry.stamp)
    event.add("dtstart", written(entry.start, zone))
    event.add("dtend", written(entry.end, zone))
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    event.add("summary", entry.summary)
    event.add("location", entry.location)
    if entry.description is not None:
        event.add("description", entry.description)
    return event


def written(moment, zone):
    """`moment` as the clinic's clock shows it, unless that clock shows the same time twice
    (the hour repeated when clocks go back): readers take a repeated local time as its
    first occurrence (RFC 5545), so such a moment is written in UTC instead."""
    local = moment.astimezone(zone)
    other = local.replace(fold=1 - local.fold)
    return moment.astimezone(UTC) if other.utcoffset() != local.utcoffset() else local


def _time_zone(entry):
    """The VTIMEZONE that the event's TZID names, so no app has to guess the zone's rules."""
    return Timezone.from_tzid(
        entry.time_zone_name,
        first_date=entry.start.date() - ZONE_MARGIN,
        last_date=entry.end.date() + ZONE_MARGIN,
    )

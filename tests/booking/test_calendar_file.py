"""A booking's calendar file, read back by the icalendar parser as a calendar app reads it."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from inquick.booking.calendar import CalendarEntry, calendar_file
from inquick.demo import demo_data

NEW_YORK = ZoneInfo("America/New_York")
# A stamp in Lisbon's summer time (UTC+1): the file must write it in UTC.
STAMP = datetime(2027, 7, 1, 16, 30, tzinfo=ZoneInfo("Europe/Lisbon"))
UID = "visit-7f3a9c@winter-health.example.org"


def demo_zones():
    """Every zone a demo schedule is in: its location's zone, as the seed gives it."""
    systems = demo_data()["health_systems"]
    return sorted({place["time_zone_name"] for system in systems for place in system["locations"]})


# Beside the demo's zones, two that never change their clocks.
ZONES = [*demo_zones(), "America/Phoenix", "Pacific/Honolulu"]


def entry(**changes):
    start = datetime(2027, 7, 14, 14, 0, tzinfo=UTC)
    values = {
        "uid": UID,
        "sequence": 0,
        "cancelled": False,
        "start": start,
        "end": start + timedelta(minutes=30),
        "time_zone_name": "America/New_York",
        "summary": "Annual Physical with Dr. Ana Ruiz",
        "location": "Feestport Clinic, 12 Harbor St, Portland, ME 04101",
        "stamp": STAMP,
    }
    return CalendarEntry(**(values | changes))


def read_back(entry):
    """The parsed calendar and its one event."""
    calendar = Calendar.from_ical(calendar_file(entry))
    [event] = calendar.walk("VEVENT")
    return calendar, event


def from_file_alone(calendar, event, name):
    """The instant of a DTSTART/DTEND under the rules of the file's own VTIMEZONE.

    What a client without the IANA database does: it reads the wall time, takes the TZID
    and places it by the VTIMEZONE of that TZID, never by a zone it already knows.
    """
    tzid = event[name].params["TZID"]
    [zone] = [tz for tz in calendar.walk("VTIMEZONE") if tz["TZID"] == tzid]
    wall = event.decoded(name).replace(tzinfo=None)
    # lookup_tzid=False: build the zone from the component, not from a known IANA name.
    return wall.replace(tzinfo=zone.to_tz(lookup_tzid=False)).astimezone(UTC)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(
    "start", [datetime(2027, 1, 18, 17, 0, tzinfo=UTC), datetime(2027, 7, 19, 16, 0, tzinfo=UTC)]
)
def test_times_are_the_instants_given_in_each_zone(zone, start):
    end = start + timedelta(minutes=45)
    calendar, event = read_back(entry(start=start, end=end, time_zone_name=zone))

    assert event["DTSTART"].params["TZID"] == event["DTEND"].params["TZID"] == zone
    assert event.decoded("DTSTART").astimezone(UTC) == start
    assert event.decoded("DTEND").astimezone(UTC) == end
    assert from_file_alone(calendar, event, "DTSTART") == start
    assert from_file_alone(calendar, event, "DTEND") == end


# 09:00 in New York on the working days either side of each 2027 change of clock.
@pytest.mark.parametrize(
    ("local", "utc"),
    [
        (datetime(2027, 3, 12, 9, 0), datetime(2027, 3, 12, 14, 0, tzinfo=UTC)),
        (datetime(2027, 3, 15, 9, 0), datetime(2027, 3, 15, 13, 0, tzinfo=UTC)),
        (datetime(2027, 11, 5, 9, 0), datetime(2027, 11, 5, 13, 0, tzinfo=UTC)),
        (datetime(2027, 11, 8, 9, 0), datetime(2027, 11, 8, 14, 0, tzinfo=UTC)),
    ],
)
def test_daylight_saving_is_resolved_by_the_file_itself(local, utc):
    start = local.replace(tzinfo=NEW_YORK)
    calendar, event = read_back(entry(start=start, end=start + timedelta(minutes=30)))

    # The clinic's wall clock is what the file says, and the file's own zone rules place it.
    assert event.decoded("DTSTART").replace(tzinfo=None) == local
    assert from_file_alone(calendar, event, "DTSTART") == utc
    assert event.decoded("DTSTART").astimezone(UTC) == utc


def test_uid_and_sequence_are_as_given():
    _, event = read_back(entry(sequence=3))

    assert event["UID"] == UID
    assert event.decoded("SEQUENCE") == 3


@pytest.mark.parametrize(
    ("cancelled", "method", "status"),
    [(False, "PUBLISH", "CONFIRMED"), (True, "CANCEL", "CANCELLED")],
)
def test_method_and_status_follow_the_cancellation(cancelled, method, status):
    calendar, event = read_back(entry(cancelled=cancelled, sequence=1))

    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    assert calendar["METHOD"] == method
    assert event["STATUS"] == status


def test_stamp_is_written_in_utc():
    text = calendar_file(entry())
    _, event = read_back(entry())

    assert b"DTSTAMP:20270701T153000Z\r\n" in text
    assert event.decoded("DTSTAMP") == STAMP


def test_duration_is_kept():
    start = datetime(2027, 3, 15, 9, 0, tzinfo=NEW_YORK)
    _, event = read_back(entry(start=start, end=start + timedelta(minutes=50)))

    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=50)


def test_lines_are_folded_and_end_in_crlf():
    # Long enough to fold, with multi-byte letters so that octets and characters differ.
    long_text = "Clínica Señora del Pilar, Ñandú Wing, Consultório Três " * 4
    text = calendar_file(entry(summary=long_text, description=long_text))
    lines = text.split(b"\r\n")

    assert text.endswith(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)
    _, event = read_back(entry(summary=long_text, description=long_text))
    assert event["SUMMARY"] == event["DESCRIPTION"] == long_text


def test_text_survives_a_round_trip():
    location = "Clínica Sur; Suite 2, Floor 3"
    description = "Reference BK-7Q2M\nBring your insurance card; arrive 15 minutes early, please."
    text = calendar_file(entry(location=location, description=description))
    _, event = read_back(entry(location=location, description=description))

    assert event["LOCATION"] == location
    assert event["DESCRIPTION"] == description
    # RFC 5545 escapes these in TEXT; an unescaped newline would end the property.
    assert "LOCATION:Clínica Sur\\; Suite 2\\, Floor 3\r\n".encode() in text


def test_no_description_unless_given():
    _, event = read_back(entry())

    assert "DESCRIPTION" not in event


@pytest.mark.parametrize(
    ("start", "minutes"),
    [
        (datetime(2027, 11, 7, 5, 0, tzinfo=UTC), 60),  # 01:00 EDT, ends 01:00 EST (repeated)
        (datetime(2027, 11, 7, 5, 30, tzinfo=UTC), 60),  # 01:30 EDT, ends 01:30 EST
        (datetime(2027, 11, 7, 6, 30, tzinfo=UTC), 30),  # starts at the second 01:30
    ],
)
def test_a_time_in_the_repeated_hour_is_placed_right(start, minutes):
    end = start + timedelta(minutes=minutes)
    _, event = read_back(entry(start=start, end=end))
    assert event.decoded("DTSTART").astimezone(UTC) == start
    assert event.decoded("DTEND").astimezone(UTC) == end
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=minutes)

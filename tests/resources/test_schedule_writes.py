"""Schedule writes: hours, exceptions, time zones and age limits are checked, and a new
schedule is served at once."""

import pytest

from tests.resources.writes import (
    EXCEPTIONS,
    HOURS,
    KINDS,
    assert_pointed,
    assert_refused,
    columns,
    create_body,
    error,
    exception_dates,
    patch_body,
    row_count,
    stored,
    windows_of,
)

pytestmark = pytest.mark.usefixtures("world")


def test_a_schedules_hours_and_exceptions_round_trip(writer, session):
    kind = KINDS["schedules"]
    created = writer.post("/schedules", create_body(kind))
    assert created.status_code == 201, created.json
    id_, attributes = created.json["data"]["id"], created.json["data"]["attributes"]
    assert (attributes["hours"], attributes["exceptions"]) == (HOURS, EXCEPTIONS)
    as_read = {"hours": attributes["hours"], "exceptions": attributes["exceptions"]}

    again = writer.patch(f"/schedules/{id_}", patch_body(kind, id_, as_read))

    assert again.status_code == 200, again.json
    assert again.json["data"]["attributes"] == attributes
    assert windows_of(session, id_) == [
        (0, "08:00", "12:00"),
        (0, "13:00", "17:30"),
        (5, "09:00", "12:30"),
    ]
    assert exception_dates(session, id_) == ["2030-12-24", "2030-12-25"]

    fewer = {
        "hours": [{"day": "sunday", "opens-at": "10:00", "closes-at": "14:00"}],
        "exceptions": [],
    }
    changed = writer.patch(f"/schedules/{id_}", patch_body(kind, id_, fewer))
    assert changed.status_code == 200, changed.json
    assert windows_of(session, id_) == [(6, "10:00", "14:00")]
    assert exception_dates(session, id_) == []


def test_a_new_schedule_takes_its_locations_time_zone_unless_it_names_one(writer, session, tenant):
    kind = KINDS["schedules"]
    attributes = {name: v for name, v in kind.create.items() if name != "time-zone-name"}
    inherited = writer.post("/schedules", create_body(kind, attributes=attributes))
    named = writer.post("/schedules", create_body(kind))
    assert (inherited.status_code, named.status_code) == (201, 201)
    assert inherited.json["data"]["attributes"]["time-zone-name"] == "America/Denver"
    assert named.json["data"]["attributes"]["time-zone-name"] == "America/Chicago"
    row = stored(session, kind, inherited.json["data"]["id"], tenant.id)
    assert row.time_zone_name == "America/Denver"


def test_an_age_limit_needs_its_direction(writer, session, world):
    kind, schedule = KINDS["schedules"], world["schedule"]
    detail = "age-limit-threshold and age-limit-direction are set (or cleared) together."
    expected = error(422, detail, "/data/attributes/age-limit-direction")
    half = {"name": "Teens", "age-limit-threshold": 13}
    count = row_count(session, kind)
    assert_refused(writer.post("/schedules", create_body(kind, attributes=half)), 422, expected)
    assert row_count(session, kind) == count

    before = columns(session, schedule)
    url = f"/schedules/{schedule.id}"
    refused = writer.patch(url, patch_body(kind, schedule.id, {"age-limit-threshold": 13}))
    assert_refused(refused, 422, expected)
    assert columns(session, schedule) == before

    both = {"age-limit-threshold": 13, "age-limit-direction": "younger"}
    assert writer.patch(url, patch_body(kind, schedule.id, both)).status_code == 200
    assert (schedule.age_limit_threshold, schedule.age_limit_direction) == (13, "younger")
    cleared = {"age-limit-threshold": None, "age-limit-direction": None}
    assert writer.patch(url, patch_body(kind, schedule.id, cleared)).status_code == 200
    assert (schedule.age_limit_threshold, schedule.age_limit_direction) == (None, None)


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("hours", [{"day": "monday", "opens-at": "09:00", "closes-at": "24:00"}]),
        ("hours", [{"day": "monday", "opens-at": "17:00", "closes-at": "09:00"}]),
        ("hours", [{"day": "monday", "opens-at": "09:00", "closes-at": "09:00"}]),
        ("hours", [{"day": "funday", "opens-at": "09:00", "closes-at": "17:00"}]),
        ("hours", [{"day": "Monday", "opens-at": "09:00", "closes-at": "17:00"}]),
        ("hours", [{"day": "monday", "opens-at": "09:00", "closes-at": "17:00", "note": "x"}]),
        ("hours", [{"day": "monday", "opens-at": "9:00", "closes-at": "17:00"}]),
        ("hours", [{"day": "monday", "opens-at": "09:00"}]),
        ("hours", ["monday 9-5"]),
        ("hours", {"monday": "09:00-17:00"}),
        ("hours", None),
        ("hours", [{"day": "monday", "opens-at": "09:00", "closes-at": "17:00"}] * 101),
        ("exceptions", [{"date": "2025-02-30", "closed": True}]),
        ("exceptions", [{"date": "2025-2-3", "closed": True}]),
        ("exceptions", [{"date": "2030-12-25", "closed": "yes"}]),
        ("exceptions", [{"date": "2030-12-25", "closed": True, "opens-at": "09:00"}]),
        ("exceptions", [{"date": "2030-12-25"}]),
        ("exceptions", [{"date": "2030-12-25", "closed": True, "reason": "holiday"}]),
    ],
)
def test_invalid_hours_and_exceptions_are_refused(writer, session, world, attribute, value):
    kind, schedule = KINDS["schedules"], world["schedule"]
    before = windows_of(session, schedule.id)
    response = writer.patch(
        f"/schedules/{schedule.id}", patch_body(kind, schedule.id, {attribute: value})
    )
    assert_pointed(response, 422, f"/data/attributes/{attribute}")
    assert windows_of(session, schedule.id) == before
    assert exception_dates(session, schedule.id) == []


def test_a_new_schedule_is_served_at_once(writer, reader, tenant):
    every_day = [
        {"day": day, "opens-at": "00:00", "closes-at": "23:59"}
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    ]
    attributes = {"name": "Open all hours", "hours": every_day, "booking-horizon-days": 7}
    created = writer.post("/schedules", create_body(KINDS["schedules"], attributes=attributes))
    assert created.status_code == 201, created.json
    id_ = created.json["data"]["id"]

    assert reader.get(f"/schedules/{id_}").status_code == 200
    at_location = reader.get("/locations/harbor/schedules")
    assert id_ in [schedule["id"] for schedule in at_location.json["data"]]
    times = reader.get("/available-appointment-times", {"schedule_ids[]": id_})
    assert times.status_code == 200, times.json
    [entry] = times.json["data"]
    assert entry["attributes"]["schedule-id"] == id_
    assert entry["attributes"]["times"]

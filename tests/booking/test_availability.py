"""The availability engine on fixed clocks: windows, limits, capacity and daylight saving."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from inquick.booking.availability import (
    DatedException,
    Rules,
    Slot,
    Window,
    free_times,
    slot_at,
    slots,
)

NY = ZoneInfo("America/New_York")
MONDAY = date(2026, 6, 1)
TUESDAY = MONDAY + timedelta(days=1)
NOW = datetime(2026, 5, 31, 12, 0, tzinfo=NY)
SPRING_FORWARD = date(2026, 3, 8)
FALL_BACK = date(2026, 11, 1)


def local(day, hour, minute=0, fold=0):
    return datetime.combine(day, time(hour, minute), tzinfo=NY).replace(fold=fold)


def window(weekday, opens, closes):
    return Window(weekday, time.fromisoformat(opens), time.fromisoformat(closes))


def every_day(opens, closes):
    return tuple(window(weekday, opens, closes) for weekday in range(7))


def rules(*windows, **options):
    return Rules(time_zone="America/New_York", windows=windows, **options)


def isoformats(found):
    return [slot.start.isoformat() for slot in found]


def clock(found, day=None):
    return [slot.start.strftime("%H:%M") for slot in found if day in (None, slot.start.date())]


def remaining_by_clock(found):
    return {slot.start.strftime("%H:%M"): slot.remaining for slot in found}


def remaining_by_isoformat(found):
    return {slot.start.isoformat(): slot.remaining for slot in found}


def test_two_windows_a_day_and_a_weekday_without_any():
    schedule = rules(
        window(0, "09:00", "10:00"), window(0, "13:00", "14:00"), slot_interval_minutes=30
    )

    found = slots(schedule, 30, [], MONDAY, TUESDAY, NOW)

    assert isoformats(found) == [
        "2026-06-01T09:00:00-04:00",
        "2026-06-01T09:30:00-04:00",
        "2026-06-01T13:00:00-04:00",
        "2026-06-01T13:30:00-04:00",
    ]


def test_starts_step_by_the_interval_and_the_visit_must_fit_before_close():
    schedule = rules(window(0, "09:00", "10:00"), slot_interval_minutes=20)

    assert clock(slots(schedule, 30, [], MONDAY, MONDAY, NOW)) == ["09:00", "09:20"]
    assert clock(slots(schedule, 20, [], MONDAY, MONDAY, NOW)) == ["09:00", "09:20", "09:40"]


def test_overlapping_windows_offer_each_start_once_in_order():
    schedule = rules(
        window(0, "09:30", "11:00"),
        window(0, "09:00", "10:00"),
        exceptions=(DatedException(MONDAY, closed=False, opens=time(10), closes=time(12)),),
        slot_interval_minutes=30,
    )

    found = slots(schedule, 30, [], MONDAY, MONDAY, NOW)

    assert clock(found) == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]


def test_minimum_notice_hides_slots_starting_too_soon():
    schedule = rules(
        window(0, "09:00", "12:00"), slot_interval_minutes=30, minimum_notice_minutes=90
    )

    found = slots(schedule, 30, [], MONDAY, MONDAY, local(MONDAY, 8))

    assert clock(found)[:2] == ["09:30", "10:00"]


def test_nothing_is_offered_before_now():
    schedule = rules(*every_day("09:00", "12:00"), slot_interval_minutes=30)

    later = slots(schedule, 30, [], MONDAY - timedelta(days=3), MONDAY, local(MONDAY, 10, 10))
    exactly = slots(schedule, 30, [], MONDAY, MONDAY, local(MONDAY, 10))

    assert clock(later) == ["10:30", "11:00", "11:30"]
    assert clock(exactly) == ["10:00", "10:30", "11:00", "11:30"]


def test_the_horizon_counts_days_from_today_in_the_schedule_zone():
    schedule = rules(*every_day("09:00", "10:00"), booking_horizon_days=2)
    # 01:30 UTC on Tuesday is still Monday evening in New York.
    now = datetime(2026, 6, 2, 1, 30, tzinfo=UTC)

    found = slots(schedule, 60, [], MONDAY, MONDAY + timedelta(days=4), now)

    assert [slot.start.date() for slot in found] == [date(2026, 6, 2), date(2026, 6, 3)]


def test_a_closed_exception_removes_the_whole_day():
    schedule = rules(
        *every_day("09:00", "10:00"),
        exceptions=(
            DatedException(TUESDAY, closed=False, opens=time(17), closes=time(18)),
            DatedException(TUESDAY, closed=True),
        ),
    )

    found = slots(schedule, 60, [], MONDAY, MONDAY + timedelta(days=2), NOW)

    assert [slot.start.date() for slot in found] == [MONDAY, date(2026, 6, 3)]


def test_an_exception_with_hours_adds_them_to_the_day():
    saturday = date(2026, 6, 6)
    schedule = rules(
        *(window(weekday, "09:00", "10:00") for weekday in range(5)),
        exceptions=(
            DatedException(TUESDAY, closed=False, opens=time(17), closes=time(18)),
            DatedException(saturday, closed=False, opens=time(10), closes=time(11)),
        ),
    )

    found = slots(schedule, 60, [], TUESDAY, saturday + timedelta(days=1), NOW)

    assert clock(found, TUESDAY) == ["09:00", "17:00"]
    assert clock(found, date(2026, 6, 3)) == ["09:00"]
    assert clock(found, saturday) == ["10:00"]
    assert clock(found, saturday + timedelta(days=1)) == []


def test_visits_meeting_at_an_endpoint_do_not_overlap():
    schedule = rules(window(0, "09:00", "11:00"), capacity=2)
    booked = [
        (local(MONDAY, 9), local(MONDAY, 9, 30)),
        (local(MONDAY, 9, 30), local(MONDAY, 10)),
    ]

    found = slots(schedule, 30, booked, MONDAY, MONDAY, NOW)

    assert remaining_by_clock(found) == {
        "09:00": 1,
        "09:15": 1,
        "09:30": 1,
        "09:45": 1,
        "10:00": 2,
        "10:15": 2,
        "10:30": 2,
    }


def test_capacity_counts_the_peak_of_visits_of_different_lengths():
    schedule = rules(window(0, "09:00", "12:00"), slot_interval_minutes=30, capacity=3)
    booked = [
        # Begins long before the window: still found for the 10:30 slot.
        (local(MONDAY, 7), local(MONDAY, 11)),
        (local(MONDAY, 9, 30), local(MONDAY, 9, 45)),
        (local(MONDAY, 9, 40), local(MONDAY, 10)),
        # The same kind of visit given in UTC: 10:30-10:45 in New York.
        (datetime(2026, 6, 1, 14, 30, tzinfo=UTC), datetime(2026, 6, 1, 14, 45, tzinfo=UTC)),
        (local(TUESDAY, 9), local(TUESDAY, 12)),
    ]

    found = slots(schedule, 30, booked, MONDAY, MONDAY, NOW)

    assert remaining_by_clock(found) == {
        "09:00": 2,
        "09:30": 0,
        "10:00": 2,
        "10:30": 1,
        "11:00": 3,
        "11:30": 3,
    }


def test_full_slots_are_listed_by_slots_but_not_by_free_times():
    schedule = rules(window(0, "09:00", "10:00"), slot_interval_minutes=30)
    # Overbooked: remaining is clamped at 0, never negative.
    booked = [(local(MONDAY, 9), local(MONDAY, 9, 30))] * 2

    assert slots(schedule, 30, booked, MONDAY, MONDAY, NOW) == [
        Slot(local(MONDAY, 9), 0),
        Slot(local(MONDAY, 9, 30), 1),
    ]
    assert free_times(schedule, 30, booked, MONDAY, MONDAY, NOW) == [Slot(local(MONDAY, 9, 30), 1)]


def test_slot_at_finds_only_real_slot_starts():
    schedule = rules(window(0, "09:00", "10:00"), slot_interval_minutes=30)
    booked = [(local(MONDAY, 9), local(MONDAY, 9, 30))]

    def find(at, now=NOW):
        return slot_at(schedule, 30, booked, at, now)

    assert find(local(MONDAY, 9, 30)) == Slot(local(MONDAY, 9, 30), 1)
    assert find(datetime(2026, 6, 1, 13, 30, tzinfo=UTC)).start.isoformat() == (
        "2026-06-01T09:30:00-04:00"
    )
    assert find(local(MONDAY, 9)) == Slot(local(MONDAY, 9), 0)
    assert find(local(MONDAY, 9, 10)) is None
    assert find(local(MONDAY, 10)) is None
    assert find(local(TUESDAY, 9)) is None
    assert find(local(MONDAY, 9), now=local(MONDAY, 9, 1)) is None


def test_spring_forward_keeps_the_clock_times_with_the_right_offsets():
    schedule = rules(
        *every_day("00:00", "04:00"), *every_day("09:00", "17:00"), slot_interval_minutes=60
    )
    saturday, monday = SPRING_FORWARD - timedelta(days=1), SPRING_FORWARD + timedelta(days=1)
    now = datetime(2026, 3, 1, 12, tzinfo=NY)

    found = slots(schedule, 60, [], saturday, monday, now)

    daytime = [f"{hour:02}:00" for hour in range(9, 17)]
    assert clock(found, saturday) == ["00:00", "01:00", "02:00", "03:00", *daytime]
    # 02:00 does not exist that night; the real hours 00:00-04:00 hold three visits.
    assert isoformats(found)[12:15] == [
        "2026-03-08T00:00:00-05:00",
        "2026-03-08T01:00:00-05:00",
        "2026-03-08T03:00:00-04:00",
    ]
    assert clock(found, SPRING_FORWARD) == ["00:00", "01:00", "03:00", *daytime]
    assert clock(found, monday) == ["00:00", "01:00", "02:00", "03:00", *daytime]
    assert {slot.start.isoformat()[-6:] for slot in found if slot.start.date() == saturday} == {
        "-05:00"
    }
    assert {slot.start.isoformat()[-6:] for slot in found if slot.start.date() == monday} == {
        "-04:00"
    }
    assert "2026-03-08T09:00:00-04:00" in isoformats(found)


def test_fall_back_offers_the_repeated_hour_once_with_the_right_offsets():
    schedule = rules(
        *every_day("00:00", "04:00"), *every_day("09:00", "17:00"), slot_interval_minutes=60
    )
    saturday, monday = FALL_BACK - timedelta(days=1), FALL_BACK + timedelta(days=1)
    now = datetime(2026, 10, 25, 12, tzinfo=NY)

    found = slots(schedule, 60, [], saturday, monday, now)

    daytime = [f"{hour:02}:00" for hour in range(9, 17)]
    for day in (saturday, FALL_BACK, monday):
        assert clock(found, day) == ["00:00", "01:00", "02:00", "03:00", *daytime]
    assert isoformats(found)[12:17] == [
        "2026-11-01T00:00:00-04:00",
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T02:00:00-05:00",
        "2026-11-01T03:00:00-05:00",
        "2026-11-01T09:00:00-05:00",
    ]
    assert {slot.start.isoformat()[-6:] for slot in found if slot.start.date() == saturday} == {
        "-04:00"
    }
    assert {slot.start.isoformat()[-6:] for slot in found if slot.start.date() == monday} == {
        "-05:00"
    }


def test_the_interval_steps_in_clock_time_across_both_transitions():
    schedule = rules(window(6, "00:00", "04:00"), slot_interval_minutes=45)
    now = datetime(2026, 3, 1, tzinfo=NY)

    spring = slots(schedule, 45, [], SPRING_FORWARD, SPRING_FORWARD, now)
    fall = slots(schedule, 45, [], FALL_BACK, FALL_BACK, now.replace(month=10, day=25))

    # 02:15 is skipped; stepping in real time would give 03:15 instead of 03:00.
    assert isoformats(spring) == [
        "2026-03-08T00:00:00-05:00",
        "2026-03-08T00:45:00-05:00",
        "2026-03-08T01:30:00-05:00",
        "2026-03-08T03:00:00-04:00",
    ]
    assert isoformats(fall) == [
        "2026-11-01T00:00:00-04:00",
        "2026-11-01T00:45:00-04:00",
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T02:15:00-05:00",
        "2026-11-01T03:00:00-05:00",
    ]


def test_a_visit_across_spring_forward_blocks_the_slots_it_really_overlaps():
    schedule = rules(window(6, "00:00", "04:00"), slot_interval_minutes=30)
    # 01:30 EST to 03:30 EDT: one real hour.
    booked = [(datetime(2026, 3, 8, 6, 30, tzinfo=UTC), datetime(2026, 3, 8, 7, 30, tzinfo=UTC))]
    now = datetime(2026, 3, 1, tzinfo=NY)

    found = slots(schedule, 30, booked, SPRING_FORWARD, SPRING_FORWARD, now)

    assert remaining_by_isoformat(found) == {
        "2026-03-08T00:00:00-05:00": 1,
        "2026-03-08T00:30:00-05:00": 1,
        "2026-03-08T01:00:00-05:00": 1,
        "2026-03-08T01:30:00-05:00": 0,
        "2026-03-08T03:00:00-04:00": 0,
        "2026-03-08T03:30:00-04:00": 1,
    }


def test_visits_across_fall_back_block_the_slots_they_really_overlap():
    schedule = rules(window(6, "00:00", "04:00"), slot_interval_minutes=30)
    now = datetime(2026, 10, 25, tzinfo=NY)
    # 00:45 EDT to the second 01:15 (EST): crosses the transition.
    across = [(local(FALL_BACK, 0, 45), local(FALL_BACK, 1, 15, fold=1))]
    # The second 01:30 (EST) to 02:30 EST: clear of the first 01:30.
    repeated = [(local(FALL_BACK, 1, 30, fold=1), local(FALL_BACK, 2, 30))]

    blocked_across = slots(schedule, 30, across, FALL_BACK, FALL_BACK, now)
    blocked_repeated = slots(schedule, 30, repeated, FALL_BACK, FALL_BACK, now)

    free = {
        "2026-11-01T00:00:00-04:00": 1,
        "2026-11-01T00:30:00-04:00": 1,
        "2026-11-01T01:00:00-04:00": 1,
        "2026-11-01T01:30:00-04:00": 1,
        "2026-11-01T02:00:00-05:00": 1,
        "2026-11-01T02:30:00-05:00": 1,
        "2026-11-01T03:00:00-05:00": 1,
        "2026-11-01T03:30:00-05:00": 1,
    }
    assert remaining_by_isoformat(blocked_across) == {
        **free,
        "2026-11-01T00:30:00-04:00": 0,
        "2026-11-01T01:00:00-04:00": 0,
        "2026-11-01T01:30:00-04:00": 0,
    }
    assert remaining_by_isoformat(blocked_repeated) == {**free, "2026-11-01T02:00:00-05:00": 0}


def test_slot_at_tells_the_two_readings_of_a_repeated_time_apart():
    schedule = rules(window(6, "00:00", "04:00"), slot_interval_minutes=30)
    now = datetime(2026, 10, 25, tzinfo=NY)

    first = slot_at(schedule, 30, [], local(FALL_BACK, 1, 30), now)
    second = slot_at(schedule, 30, [], local(FALL_BACK, 1, 30, fold=1), now)

    assert first.start.isoformat() == "2026-11-01T01:30:00-04:00"
    assert second is None


def test_a_close_inside_the_spring_forward_gap_ends_before_the_jump():
    schedule = rules(window(6, "00:00", "02:30"), slot_interval_minutes=30)
    now = datetime(2026, 3, 1, tzinfo=NY)

    found = slots(schedule, 30, [], SPRING_FORWARD, SPRING_FORWARD, now)

    assert isoformats(found) == [
        "2026-03-08T00:00:00-05:00",
        "2026-03-08T00:30:00-05:00",
        "2026-03-08T01:00:00-05:00",
    ]


def test_an_unknown_time_zone_is_a_value_error():
    schedule = Rules(time_zone="Nowhere/Land", windows=(window(0, "09:00", "10:00"),))

    with pytest.raises(ValueError, match="Nowhere/Land"):
        slots(schedule, 30, [], MONDAY, MONDAY, NOW)
    with pytest.raises(ValueError, match="Nowhere/Land"):
        slot_at(schedule, 30, [], local(MONDAY, 9), NOW)


@pytest.mark.parametrize(
    ("options", "duration"),
    [
        ({"slot_interval_minutes": 0}, 30),
        ({"capacity": 0}, 30),
        ({"capacity": -1}, 30),
        ({}, 0),
    ],
)
def test_non_positive_interval_capacity_or_duration_is_a_value_error(options, duration):
    schedule = rules(window(0, "09:00", "10:00"), **options)

    with pytest.raises(ValueError, match="must be positive"):
        slots(schedule, duration, [], MONDAY, MONDAY, NOW)


def test_a_naive_clock_is_a_value_error():
    schedule = rules(window(0, "09:00", "10:00"))

    with pytest.raises(ValueError, match="timezone-aware"):
        slots(schedule, 30, [], MONDAY, MONDAY, datetime(2026, 5, 31, 12))

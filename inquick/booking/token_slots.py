"""Taking a visit token's slot: checking it is free and holding a seat of it, atomically."""

from inquick.booking.holds import OFF, hold_seat
from inquick.booking.reservations import (
    SlotUnavailable,
    bookable_durations,
    free_slot,
    lock_schedule,
)
from inquick.booking.schedule_rules import RULE_ATTRIBUTES


def take_slot(session, *, schedule, appointment_type, start, now, token_id, requester, bounds):
    """(the free slot at `start`, the token's `HoldOutcome`) for the token `token_id` asked
    for by `requester`; `SlotUnavailable` when no type that may be booked there fits. The
    caller commits.

    A schedule that holds seats is read under the same lock a booking takes, so that holds
    and bookings together never exceed a slot's capacity; one that holds none is only read.
    """
    if schedule.hold_minutes <= 0:
        return check_slot(session, schedule=schedule, appointment_type=appointment_type,
                          start=start, now=now), OFF  # fmt: skip
    if not lock_schedule(session, schedule.id):
        raise SlotUnavailable("The schedule no longer takes bookings.")
    session.refresh(schedule, RULE_ATTRIBUTES)
    durations = bookable_durations(schedule, appointment_type)
    slot, minutes = free_slot(session, schedule, durations, start, now)
    hold = hold_seat(
        session, schedule=schedule, slot_start=slot.start, minutes=minutes, token_id=token_id,
        requester=requester, bounds=bounds, now=now,
    )  # fmt: skip
    return slot, hold


def check_slot(session, *, schedule, appointment_type, start, now):
    """The free slot at `start`, holding nothing (`SlotUnavailable` when there is none)."""
    slot, _ = free_slot(
        session, schedule, bookable_durations(schedule, appointment_type), start, now
    )
    return slot

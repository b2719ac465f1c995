"""Changing a booked visit: rescheduling it (atomically, like a booking) or cancelling it."""

from datetime import timedelta

from inquick.booking.reservations import duration_of, free_slot, lock_schedule
from inquick.models.base import as_utc

# Where a visit may go from each status; a cancelled visit is final.
TRANSITIONS = {
    "scheduled": {"cancelled", "completed", "no-show"},
    "completed": {"no-show"},
    "no-show": {"completed"},
    "cancelled": set(),
}


class ChangeRefused(Exception):
    """The change is not possible in the visit's state."""


def cancel_visit(visit, reason, now):
    """Cancel the visit, freeing its slot; the caller commits."""
    change_status(visit, "cancelled", reason)
    visit.cancelled_at = now


def change_status(visit, status, reason):
    if status not in TRANSITIONS[visit.status]:
        raise ChangeRefused(f"A {visit.status} visit cannot become {status}.")
    visit.status = status
    visit.change_reason = reason


def reschedule_visit(session, visit, start, reason, now):
    """Move the visit to `start` if that slot has room without it; the caller commits.

    Holds the schedule's booking lock like a booking, and leaves the old slot out of the
    count, so the old slot is free the moment the new one is taken.
    """
    if visit.status != "scheduled":
        raise ChangeRefused(f"A {visit.status} visit cannot be rescheduled.")
    schedule = visit.schedule
    if not schedule.active:
        raise ChangeRefused("The visit's schedule no longer takes bookings.")
    lock_schedule(session, schedule.id)
    duration = duration_of(visit.appointment_type, schedule)
    free_slot(session, schedule, duration, start, now, ignoring=visit.id)
    visit.starts_at = as_utc(start)
    visit.ends_at = visit.starts_at + timedelta(minutes=duration)
    visit.change_reason = reason

"""Changing booked visits: rescheduling one (atomically, like a booking), cancelling one,
or withdrawing a schedule with the visits still to come on it."""

from datetime import timedelta

from sqlalchemy import select

from inquick.booking.refusals import BookingRefused
from inquick.booking.reservations import duration_of, free_slot, lock_schedule
from inquick.booking.schedule_rules import RULE_ATTRIBUTES
from inquick.models import Visit
from inquick.models.base import as_utc
from inquick.webhooks.schedule_events import schedule_withdrawn
from inquick.webhooks.visit_events import VisitState, visit_changed

# Where a visit may go from each status; a cancelled visit is final.
TRANSITIONS = {
    "scheduled": {"cancelled", "completed", "no-show"},
    "completed": {"no-show"},
    "no-show": {"completed"},
    "cancelled": set(),
}


class ChangeRefused(BookingRefused):
    """The change is not possible in the visit's state."""


class VisitsAhead(Exception):
    """The schedule still has booked visits to come, and the request did not cancel them."""


# The reason the cancelled visits of a withdrawn schedule carry.
WITHDRAWN = "The schedule was withdrawn by the health system."


def cancel_visit(visit, reason, now):
    """Cancel the visit, freeing its slot; the caller commits."""
    change_status(visit, "cancelled", reason)
    visit.cancelled_at = now
    visit.calendar_sequence += 1  # calendars holding the entry replace it with a cancellation


def change_status(visit, status, reason):
    if status not in TRANSITIONS[visit.status]:
        raise ChangeRefused(f"A {visit.status} visit cannot become {status}.")
    visit.status = status
    visit.change_reason = reason


def reschedule_visit(session, visit, start, reason, now, holder=None):
    """Move the visit to `start` if that slot has room without it; the caller commits.

    Holds the schedule's booking lock like a booking, and leaves the old slot out of the
    count, so the old slot is free the moment the new one is taken; `holder` is the visit
    token the move is made with, whose own hold is not counted either.
    """
    if visit.status != "scheduled":
        raise ChangeRefused(f"A {visit.status} visit cannot be rescheduled.")
    schedule = visit.schedule
    if not lock_schedule(session, schedule.id):
        raise ChangeRefused("The visit's schedule no longer takes bookings.")
    session.refresh(schedule, RULE_ATTRIBUTES)
    duration = duration_of(visit.appointment_type, schedule)
    free_slot(session, schedule, [duration], start, now, ignoring=visit.id, holder=holder)
    visit.starts_at = as_utc(start)
    visit.ends_at = visit.starts_at + timedelta(minutes=duration)
    visit.change_reason = reason
    visit.calendar_sequence += 1


def withdraw_schedule(session, schedule, *, cancel_visits, now):
    """Stop `schedule` taking bookings; returns the visits to come that it cancelled.

    Runs under the schedule's booking lock, so no booking slips in between the check and
    the change. A schedule that ever had a visit stays, withdrawn, as those visits' record;
    one that never had any is deleted. Each cancellation, and the withdrawal, is announced
    (webhook events in the same transaction). The caller commits.
    """
    if not lock_schedule(session, schedule.id):
        raise ChangeRefused("The schedule was withdrawn meanwhile.")
    ahead = session.scalars(
        select(Visit).where(
            Visit.schedule_id == schedule.id, Visit.status == "scheduled", Visit.starts_at > now
        )
    ).all()
    if ahead and not cancel_visits:
        raise VisitsAhead(
            f"The schedule has {len(ahead)} booked visit(s) to come; ask to cancel them "
            "(cancel_visits=true) to withdraw it."
        )
    for visit in ahead:
        before = VisitState.of(visit)
        cancel_visit(visit, WITHDRAWN, now)
        visit_changed(session, visit, before, now)
    schedule_withdrawn(session, schedule, ahead, now)
    if session.scalar(select(Visit.id).where(Visit.schedule_id == schedule.id).limit(1)) is None:
        session.delete(schedule)
    else:
        schedule.active = False
    return ahead

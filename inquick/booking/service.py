"""Booking and changing visits, each as one call: the checks, the write and its audit entry.

Both take the session and plain values and raise a `BookingRefused`; the caller commits.
"""

from sqlalchemy import select

from inquick.booking.audit import record_access
from inquick.booking.bookings import InvalidVisit, book_visit
from inquick.booking.changes import cancel_visit, change_status, reschedule_visit
from inquick.booking.refusals import ScheduleClosed
from inquick.booking.reservations import lock_schedule
from inquick.booking.schedule_rules import bookable_schedules
from inquick.booking.visit_rules import PATIENT_ATTRIBUTES
from inquick.models import Schedule

CLOSED = "The schedule no longer takes bookings."


def book(session, *, tenant, claims, data, schedule_id, now, booked):
    """Book the slot of a visit token's `claims` for the resource object `data`, whose
    schedule relationship names `schedule_id`; `booked` is the visit the token booked
    already, if any (as authentication found it).

    Returns (visit, True) when this call booked it, with its audit entry added, and
    (visit, False) when an earlier identical request did.
    """
    schedule = session.scalar(bookable_schedules(tenant.id).where(Schedule.id == claims["sch"]))
    if schedule is None:
        raise ScheduleClosed(CLOSED)
    try:
        visit, booked_now = book_visit(
            session, tenant=tenant, schedule=schedule, claims=claims, data=data,
            schedule_id=schedule_id, now=now, booked=booked,
        )  # fmt: skip
    except InvalidVisit:
        if not still_takes_bookings(session, schedule.id):
            raise ScheduleClosed(CLOSED) from None
        raise
    if booked_now:
        record_access(
            session, tenant=tenant, visits=[visit], action="create",
            fields=[k for k in data.get("attributes", {}) if k in PATIENT_ATTRIBUTES],
            token_id=claims["jti"],
        )  # fmt: skip
    return visit, booked_now


def still_takes_bookings(session, schedule_id):
    """Whether the schedule is still active, read afresh.

    Its rules were read in several statements before the booking lock: a withdrawal that
    committed between them leaves them torn (no appointment types, say), and the honest
    answer is then that the schedule is gone, not that the visit was invalid.
    """
    return session.scalar(select(Schedule.active).where(Schedule.id == schedule_id)) is True


def change_visit(session, visit, *, reason, now, tenant, key, appointment_at=None, status=None):
    """Move the visit to `appointment_at`, or give it `status`, for `reason`; the change's
    audit entry is added.

    Changes to one schedule's visits queue like its bookings: the visit is read again under
    the schedule's lock.
    """
    lock_schedule(session, visit.schedule_id)
    session.refresh(visit)
    if appointment_at is not None:
        reschedule_visit(session, visit, appointment_at, reason, now)
        action, changed = "reschedule", "appointment-at"
    elif status == "cancelled":
        cancel_visit(visit, reason, now)
        action, changed = "cancel", "status"
    else:
        change_status(visit, status, reason)
        action, changed = "update-status", "status"
    record_access(
        session, tenant=tenant, visits=[visit], action=action, fields=[changed, "reason"], key=key
    )

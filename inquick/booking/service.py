"""Booking and changing visits, each as one call: the checks, the write, its audit entry
and its webhook event (written to the outbox in the same transaction).

Both take the session and plain values and raise a `BookingRefused`; the caller commits.
"""

from sqlalchemy import select

from inquick.booking.audit import record_access
from inquick.booking.bookings import InvalidVisit, book_visit
from inquick.booking.changes import cancel_visit, change_status, reschedule_visit
from inquick.booking.holds import release_hold
from inquick.booking.refusals import ScheduleClosed, TokenSpent
from inquick.booking.reservations import lock_schedule
from inquick.booking.schedule_rules import bookable_schedules
from inquick.booking.visit_rules import PATIENT_ATTRIBUTES
from inquick.models import Schedule, SpentVisitToken, Visit
from inquick.models.base import as_utc
from inquick.webhooks.visit_events import VisitState, visit_booked, visit_changed

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
        visit_booked(session, visit, now)
    return visit, booked_now


def still_takes_bookings(session, schedule_id):
    """Whether the schedule is still active, read afresh.

    Its rules were read in several statements before the booking lock: a withdrawal that
    committed between them leaves them torn (no appointment types, say), and the honest
    answer is then that the schedule is gone, not that the visit was invalid.
    """
    return session.scalar(select(Schedule.active).where(Schedule.id == schedule_id)) is True


def change_visit(
    session, visit, *, reason, now, tenant, key, appointment_at=None, status=None, token_id=None
):
    """Move the visit to `appointment_at`, or give it `status`, for `reason`; the change's
    audit entry is added. A move made with a visit token (`token_id`, a patient's, by
    booking reference) spends the token and ends its hold.

    Changes to one schedule's visits queue like its bookings: the visit is read again under
    the schedule's lock.
    """
    lock_schedule(session, visit.schedule_id)
    session.refresh(visit)
    if token_id is not None and moved_with(session, visit, token_id, appointment_at):
        return  # a retry of the move that spent the token: it is done
    before = VisitState.of(visit)
    if appointment_at is not None:
        if token_id is not None:
            spend_token(session, visit, token_id)
        reschedule_visit(session, visit, appointment_at, reason, now, holder=token_id)
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
    visit_changed(session, visit, before, now)


def moved_with(session, visit, token_id, appointment_at):
    """Whether the token already moved this visit to this time."""
    spent = session.get(SpentVisitToken, token_id)
    return (
        spent is not None
        and spent.visit_id == visit.id
        and as_utc(visit.starts_at) == appointment_at
    )


def spend_token(session, visit, token_id):
    """Record that the token moves `visit` and end its hold; refused when the token has
    booked or moved a visit before (a token is good for one booking or one move)."""
    used = session.scalar(select(Visit.id).where(Visit.token_id == token_id))
    if used is not None or session.get(SpentVisitToken, token_id) is not None:
        raise TokenSpent("This visit token has been used already; ask for a new one.")
    session.add(
        SpentVisitToken(token_id=token_id, health_system_id=visit.health_system_id,
                        visit_id=visit.id)
    )  # fmt: skip
    release_hold(session, visit.health_system_id, token_id)

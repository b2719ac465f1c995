"""Reserving a slot: the one place a visit is created, safe under concurrent requests.

Capacity is checked and the visit written while holding a lock on the schedule's row
(SELECT ... FOR UPDATE on PostgreSQL; SQLite's database write lock, which every writing
request takes as its transaction begins, see `inquick.database`), so that two requests
for the last place of a slot, in any two server processes, are serialized: the second
one sees the first one's visit and is refused.
"""

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from inquick.booking.availability import slot_at
from inquick.booking.holds import release_hold
from inquick.booking.refusals import BookingRefused, TokenSpent
from inquick.booking.schedule_rules import RULE_ATTRIBUTES, rules_of, taken_seats
from inquick.models import ConfirmationCounter, Schedule, SpentVisitToken, Visit
from inquick.models.base import as_utc


class SlotUnavailable(BookingRefused):
    """The time is not a slot of the schedule, or the slot is full."""


class AlreadyBooked(Exception):
    """The visit token has booked already (a retry that waited for the lock)."""

    def __init__(self, visit):
        super().__init__(visit.id)
        self.visit = visit


def lock_schedule(session, schedule_id):
    """Hold the schedule's booking lock until the transaction ends; True if it is active.

    Whether it is active is read under the lock, so a booking that waited behind the
    schedule's withdrawal sees it withdrawn.
    """
    active = select(Schedule.active).where(Schedule.id == schedule_id)
    if session.get_bind().dialect.name == "sqlite":  # the transaction holds the write lock
        return bool(session.scalar(active))
    return bool(session.scalar(active.with_for_update()))


def next_confirmation_number(session, health_system_id):
    """The health system's next confirmation number.

    The UPDATE locks the counter row until commit, so numbers are unique and increasing
    even across server processes.
    """
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(ConfirmationCounter)
        .values(health_system_id=health_system_id, last_number=0)
        .on_conflict_do_nothing()
    )
    return session.scalar(
        update(ConfirmationCounter)
        .where(ConfirmationCounter.health_system_id == health_system_id)
        .values(last_number=ConfirmationCounter.last_number + 1)
        .returning(ConfirmationCounter.last_number)
    )


def free_slot(session, schedule, durations, start, now, ignoring=None, holder=None):
    """(the slot of `schedule` starting at `start`, the minutes of the first of `durations`
    it has room for), else `SlotUnavailable` saying why the first one has none.

    Live holds take seats like visits. `ignoring` names a visit not to count (the one being
    moved), `holder` a token whose own hold is not counted (the one being used).
    """
    horizon_end = now + timedelta(days=schedule.booking_horizon_days + 2)
    if not now - timedelta(days=1) <= start <= horizon_end:
        raise SlotUnavailable("That time is outside the schedule's booking horizon.")
    end = start + timedelta(minutes=max(durations))
    taken = taken_seats(
        session, [schedule.id], start - timedelta(days=1), end, now,
        ignoring=ignoring, holder=holder,
    ).of(schedule.id)  # fmt: skip
    rules = rules_of(schedule)
    refusals = []
    for duration in durations:
        slot = slot_at(rules, duration, taken, start, now)
        if slot is None:
            refusals.append("That time is not a bookable slot of this schedule.")
        elif slot.remaining <= 0:
            refusals.append("That slot has just been taken; choose another time.")
        else:
            return slot, duration
    raise SlotUnavailable(refusals[0])


def bookable_durations(schedule, appointment_type):
    """The durations a visit to `schedule` may last: its type's, or, when the type is not
    chosen yet, each type's the schedule offers (shortest first), since the booking checks
    the slot again with the type it books."""
    if appointment_type is not None or not schedule.appointment_types:
        return [duration_of(appointment_type, schedule)]
    return sorted({offered.duration_minutes for offered in schedule.appointment_types})


def reserve_slot(session, *, schedule, appointment_type, start, now, token_id=None, **visit_fields):
    """Create the visit for `start` if the slot still has room; the caller commits.

    A request that waited for the lock behind the same token's first request finds that
    visit here and raises `AlreadyBooked` with it, instead of finding the slot full.
    """
    if not lock_schedule(session, schedule.id):
        raise SlotUnavailable("The schedule no longer takes bookings.")
    session.refresh(schedule, RULE_ATTRIBUTES)
    if token_id is not None:
        booked = session.scalar(select(Visit).where(Visit.token_id == token_id))
        if booked is not None:
            raise AlreadyBooked(booked)
        if session.get(SpentVisitToken, token_id) is not None:
            raise TokenSpent("This visit token has already moved a booking.")
    duration = duration_of(appointment_type, schedule)
    free_slot(session, schedule, [duration], start, now, holder=token_id)
    starts_at = as_utc(start)
    visit = Visit(
        health_system_id=schedule.health_system_id,
        schedule=schedule,
        appointment_type=appointment_type,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=duration),
        confirmation_number=next_confirmation_number(session, schedule.health_system_id),
        token_id=token_id,
        **visit_fields,
    )
    session.add(visit)
    if token_id is not None:
        release_hold(session, schedule.health_system_id, token_id)  # the visit takes its seat
    session.flush()
    return visit


class NotOffered(Exception):
    """The schedule does not offer that appointment type."""


def default_type(schedule):
    """The schedule's highest-priority appointment type (priority 1 first), if it has any."""
    return schedule.appointment_types[0] if schedule.appointment_types else None


def offered_type(schedule, slug):
    """The schedule's appointment type `slug`, or its default one when `slug` is None."""
    if slug is None:
        return default_type(schedule)
    for offered in schedule.appointment_types:
        if offered.slug == slug:
            return offered
    raise NotOffered(f"Schedule {schedule.id} does not offer the appointment type {slug!r}.")


def duration_of(appointment_type, schedule):
    """A visit lasts its type's duration; without a type, one slot interval."""
    return appointment_type.duration_minutes if appointment_type else schedule.slot_interval_minutes

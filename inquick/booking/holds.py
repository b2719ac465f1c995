"""Slot holds: a visit token keeps one seat of its slot while the patient fills the form.

A hold is taken under the schedule's booking lock, after the slot is found free counting
every live hold, so holds and bookings together never exceed a slot's capacity in any
number of server processes. It ends when its token books or moves a booking, when it is
released, or at `expires_at`; expired holds simply stop counting (and the health
system's are swept when it next holds a seat). A token whose hold expired still books if
a seat is free.

Holding is bounded so that it cannot become a cheap way to block a schedule (OWASP API6):
one key, and one client address within a health system, hold a bounded number of seats
at once. Past a bound a token is still issued, holding nothing, and says so. The bounds
are checked under a lock of the key and of the address (PostgreSQL advisory locks, taken
after the schedule's lock; SQLite's writers queue already), so bursts across schedules
cannot exceed them either.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text

from inquick.models import SlotHold
from inquick.models.base import as_utc

# The advisory lock classes (the first key of PostgreSQL's two-key advisory locks) under
# which one key's, and one address's, holds are counted and taken.
KEY_LOCKS, ADDRESS_LOCKS = 1_701_001, 1_701_002


@dataclass(frozen=True)
class HoldOutcome:
    """What a visit token holds: `held` until `expires_at`, or nothing and why."""

    state: str  # "held", "not-held" (a bound was reached) or "off" (the schedule holds none)
    expires_at: datetime | None = None
    reason: str | None = None


OFF = HoldOutcome("off", reason="The schedule does not hold slots.")


@dataclass(frozen=True)
class HoldBounds:
    """The most seats one key, and one client address in a health system, hold at once."""

    per_key: int
    per_address: int


@dataclass(frozen=True)
class Requester:
    """Who asks for a hold: the key, and a keyed digest of the client's address."""

    api_key_id: int
    client_digest: str


def lock_key_and_address(session, requester):
    """Queue behind other holds of the same key and of the same client address."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: every writing transaction holds the database's write lock
    lock = text("SELECT pg_advisory_xact_lock(:kind, :id)")
    session.execute(lock, {"kind": KEY_LOCKS, "id": requester.api_key_id})
    session.execute(lock, {"kind": ADDRESS_LOCKS, "id": int(requester.client_digest[:7], 16)})


def live_holds(session, now, *conditions):
    """How many holds meeting `conditions` are live at `now`."""
    return session.scalar(
        select(func.count()).select_from(SlotHold).where(SlotHold.expires_at > now, *conditions)
    )


def bound_reached(session, bounds, requester, health_system_id, now):
    """Why the key or the address may hold no more seats now, or None."""
    if live_holds(session, now, SlotHold.api_key_id == requester.api_key_id) >= bounds.per_key:
        return f"This key holds {bounds.per_key} seats already, the most it may hold at once."
    by_address = live_holds(
        session, now,
        SlotHold.health_system_id == health_system_id,
        SlotHold.client_digest == requester.client_digest,
    )  # fmt: skip
    if by_address >= bounds.per_address:
        return (
            f"This client address holds {bounds.per_address} seats already, the most it may "
            "hold at once."
        )
    return None


def hold_seat(session, *, schedule, slot_start, minutes, token_id, requester, bounds, now):
    """Hold a seat of the free slot at `slot_start` for a visit of `minutes`, for the token
    `token_id`; the caller holds the schedule's lock, has found the slot free with its
    rules read under it, and commits."""
    if schedule.hold_minutes <= 0:
        return OFF
    lock_key_and_address(session, requester)
    reason = bound_reached(session, bounds, requester, schedule.health_system_id, now)
    if reason is not None:
        return HoldOutcome("not-held", reason=reason)
    session.execute(
        delete(SlotHold).where(
            SlotHold.health_system_id == schedule.health_system_id, SlotHold.expires_at <= now
        )
    )
    expires_at = now + timedelta(minutes=schedule.hold_minutes)
    starts_at = as_utc(slot_start)
    session.add(
        SlotHold(
            token_id=token_id,
            health_system_id=schedule.health_system_id,
            schedule_id=schedule.id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            expires_at=expires_at,
            api_key_id=requester.api_key_id,
            client_digest=requester.client_digest,
            created_at=now,
        )
    )
    return HoldOutcome("held", expires_at=expires_at)


def release_hold(session, health_system_id, token_id):
    """End the token's hold, if it has one; the caller commits."""
    session.execute(
        delete(SlotHold).where(
            SlotHold.health_system_id == health_system_id, SlotHold.token_id == token_id
        )
    )

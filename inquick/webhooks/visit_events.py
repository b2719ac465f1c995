"""The events of a visit's life: booked, rescheduled, cancelled, its status changed.

Their data names the visit and what a receiver needs to know it changed (times, statuses,
the schedule and appointment type); never the patient, the reason given for a change
(free text, which may hold anything) or the booking reference (a credential).
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from inquick.models.base import as_utc
from inquick.webhooks.events import (
    VISIT_BOOKED,
    VISIT_CANCELLED,
    VISIT_RESCHEDULED,
    VISIT_STATUS_CHANGED,
    emit,
)


@dataclass(frozen=True)
class VisitState:
    """What a change of a visit is told apart by: its status and its start."""

    status: str
    starts_at: datetime

    @classmethod
    def of(cls, visit):
        """The state of `visit` now, to compare with after a change."""
        return cls(visit.status, as_utc(visit.starts_at))


def local_time(visit, moment):
    """`moment` in the visit's schedule's zone, so that its ISO form shows the offset."""
    return as_utc(moment).astimezone(ZoneInfo(visit.schedule.time_zone_name)).isoformat()


def visit_data(visit):
    """The ids, time and status of a visit, as every visit event carries them."""
    kind = visit.appointment_type
    return {
        "visit": visit.id,
        "schedule": visit.schedule_id,
        "appointment-type": kind.slug if kind is not None else None,
        "appointment-at": local_time(visit, visit.starts_at),
        "status": visit.status,
        "confirmation-number": visit.confirmation_number,
    }


def visit_booked(session, visit, now):
    """Announce a visit just booked."""
    return emit(
        session,
        health_system_id=visit.health_system_id,
        event_type=VISIT_BOOKED,
        data=visit_data(visit),
        now=now,
    )


def visit_changed(session, visit, before, now):
    """Announce how `visit` changed since it was in state `before` (a `VisitState`):
    moved, cancelled, or given another status. Nothing when it did not change."""
    after = VisitState.of(visit)
    data = visit_data(visit)
    if after.starts_at != before.starts_at:
        event_type = VISIT_RESCHEDULED
        data["previous-appointment-at"] = local_time(visit, before.starts_at)
    elif after.status != before.status:
        event_type = VISIT_CANCELLED if after.status == "cancelled" else VISIT_STATUS_CHANGED
        data["previous-status"] = before.status
    else:
        return None
    return emit(
        session,
        health_system_id=visit.health_system_id,
        event_type=event_type,
        data=data,
        now=now,
    )

"""available-appointment-times: the free (or all) slots of some schedules over some days."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, g, request
from marshmallow import Schema, validate
from webargs import fields

from inquick.auth.keys import require_scope
from inquick.booking.availability import slots
from inquick.booking.reservations import NotOffered, duration_of, offered_type
from inquick.booking.schedule_rules import local_day_bounds, published_rules, taken_seats
from inquick.extensions import db
from inquick.jsonapi.document import api_root, request_url
from inquick.jsonapi.errors import InvalidQueryParameter, NotFound
from inquick.jsonapi.media import JSONAPI, document_response
from inquick.jsonapi.query import parse_arguments

blueprint = Blueprint("available-appointment-times", __name__)
MAX_SCHEDULES = 50
MAX_DAYS = 92
# Dates further from today than this cannot hold a slot (and would overflow date arithmetic).
MAX_DISTANCE_DAYS = 3660


class AvailabilityArgs(Schema):
    schedule_ids = fields.List(
        fields.Str(validate=validate.Length(min=1, max=64)),
        data_key="schedule_ids[]",
        required=True,
        validate=validate.Length(min=1, max=MAX_SCHEDULES),
    )
    appointment_type = fields.Str(data_key="appointment_type", validate=validate.Length(max=120))
    start_date = fields.Date(data_key="start_date")
    end_date = fields.Date(data_key="end_date")
    available_only = fields.Bool(data_key="available_only", load_default=True)

    class Meta:
        unknown = "exclude"


availability_args = AvailabilityArgs()


def requested_schedules(ids):
    """The rules of the caller's active schedules with these ids, read in one statement."""
    by_id = published_rules(db.session, g.tenant.id, dict.fromkeys(ids))
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise NotFound(f"No schedule {missing[0]!r}.", parameter="schedule_ids[]")
    return [by_id[i] for i in dict.fromkeys(ids)]


def appointment_type_of(schedule, slug):
    """The requested type (which the schedule must offer) or the schedule's default one."""
    try:
        return offered_type(schedule, slug)
    except NotOffered as refusal:
        raise InvalidQueryParameter(str(refusal), parameter="appointment_type") from None


def date_range(schedule, args, now):
    """The local dates asked for; by default from today through the booking horizon.

    A default end never makes a request invalid: it stops at the horizon (or at the
    longest range served), and not before the start.
    """
    today = now.astimezone(ZoneInfo(schedule.time_zone_name)).date()
    for name in ("start_date", "end_date"):
        if name in args and abs((args[name] - today).days) > MAX_DISTANCE_DAYS:
            raise InvalidQueryParameter(
                f"{name} must be within {MAX_DISTANCE_DAYS} days of today.", parameter=name
            )
    start = args.get("start_date") or today
    end = args.get("end_date")
    if end is None:
        horizon = today + timedelta(days=schedule.rules.booking_horizon_days)
        return start, max(start, min(horizon, start + timedelta(days=MAX_DAYS - 1)))
    if end < start:
        raise InvalidQueryParameter("end_date is before start_date.", parameter="end_date")
    if (end - start).days >= MAX_DAYS:
        raise InvalidQueryParameter(
            f"Ask for at most {MAX_DAYS} days at a time.", parameter="end_date"
        )
    return start, end


@blueprint.get("/available-appointment-times")
@require_scope("availability:read")
def available_appointment_times():
    """The times of each requested schedule, reading all their visits in one query."""
    args = parse_arguments(availability_args, request.args)
    now = datetime.now(UTC)
    schedules = requested_schedules(args["schedule_ids"])
    plans = []
    for schedule in schedules:
        kind = appointment_type_of(schedule, args.get("appointment_type"))
        plans.append((schedule, kind, *date_range(schedule, args, now)))
    earliest = min(local_day_bounds(p[2], p[3])[0] for p in plans)
    latest = max(local_day_bounds(p[2], p[3])[1] for p in plans)
    taken = taken_seats(db.session, [s.id for s in schedules], earliest, latest, now)
    data = [
        availability_object(schedule, kind, start, end, taken, now, args)
        for schedule, kind, start, end in plans
    ]
    return document_response({"jsonapi": JSONAPI, "links": {"self": request_url()}, "data": data})


def availability_object(schedule, kind, start, end, taken, now, args):
    """One schedule's entry: its times, and, when asked for all, every slot with the seats
    it has left and those visit tokens hold."""
    duration = duration_of(kind, schedule)
    found = slots(schedule.rules, duration, taken.of(schedule.id), start, end, now)
    if args["available_only"]:
        found = [slot for slot in found if slot.remaining > 0]
    attributes = {
        "schedule-id": schedule.id,
        "appointment-type": kind.slug if kind else None,
        "start-date": start.isoformat(),
        "end-date": end.isoformat(),
        "times": [slot.start.isoformat() for slot in found],
    }
    if not args["available_only"]:
        # The same slots counting visits only: the difference is what holds take.
        unheld = slots(schedule.rules, duration, taken.booked[schedule.id], start, end, now)
        attributes["slots"] = [
            {
                "time": slot.start.isoformat(),
                "remaining-capacity": slot.remaining,
                "held": without_holds.remaining - slot.remaining,
            }
            for slot, without_holds in zip(found, unheld, strict=True)
        ]
    schedule_url = f"{api_root()}/schedules/{schedule.id}"
    return {
        "type": "available-appointment-times",
        "id": f"{schedule.id}:{kind.slug if kind else 'none'}",
        "attributes": attributes,
        "relationships": {
            "schedule": {
                "links": {"related": schedule_url},
                "data": {"type": "schedules", "id": schedule.id},
            }
        },
    }

"""visit-token: a short-lived token for booking one free slot."""

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, g, request
from marshmallow import Schema, validate
from webargs import fields

from inquick.auth.keys import require_scope
from inquick.booking.reservations import (
    NotOffered,
    SlotUnavailable,
    bookable_durations,
    free_slot,
    offered_type,
)
from inquick.booking.tokens import issue_token
from inquick.config import token_secret
from inquick.extensions import db
from inquick.jsonapi.errors import InvalidQueryParameter, Unprocessable
from inquick.jsonapi.query import parse_arguments
from inquick.resources.base import active_schedule

blueprint = Blueprint("visit-token", __name__)
JWT_MEDIA_TYPE = "application/jwt"


class VisitTokenArgs(Schema):
    schedule_id = fields.Str(
        data_key="schedule_id", required=True, validate=validate.Length(min=1, max=64)
    )
    appointment_at = fields.AwareDateTime(data_key="appointment_at", required=True)
    appointment_type = fields.Str(data_key="appointment_type", validate=validate.Length(max=120))

    class Meta:
        unknown = "exclude"


visit_token_args = VisitTokenArgs()


@blueprint.get("/visit-token")
@require_scope("visits:create")
def visit_token():
    """GET /visit-token: the raw JWT, or a 422 when the time is not a free slot.

    Without `appointment_type`, any type the schedule offers may fit the slot: a partner
    that lists the times of one type and asks for a token without naming it gets one.
    """
    args = parse_arguments(visit_token_args, request.args)
    schedule = active_schedule(args["schedule_id"], "schedule_id")
    chosen = args.get("appointment_type")
    try:
        kind = offered_type(schedule, chosen) if chosen is not None else None
    except NotOffered as refusal:
        raise InvalidQueryParameter(str(refusal), parameter="appointment_type") from None
    now = datetime.now(UTC)
    durations = bookable_durations(schedule, kind)
    try:
        slot = free_slot(db.session, schedule, durations, args["appointment_at"], now)
    except SlotUnavailable as refusal:
        raise Unprocessable(str(refusal), parameter="appointment_at") from None
    token = issue_token(
        token_secret(current_app),
        health_system=g.tenant,
        schedule_id=schedule.id,
        slot_start=slot.start,
        now=now,
        api_key_id=g.api_key.id,
    )
    return Response(token, mimetype=JWT_MEDIA_TYPE, headers={"Cache-Control": "no-store"})

"""visit-token: a short-lived token for booking one free slot, holding a seat of it."""

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, g, request
from marshmallow import Schema, validate
from webargs import fields

from inquick.auth.keys import require_scope
from inquick.auth.visit_tokens import authenticate_hold_release
from inquick.booking.holds import HoldBounds, HoldOutcome, Requester, release_hold
from inquick.booking.reservations import NotOffered, SlotUnavailable, offered_type
from inquick.booking.token_slots import check_slot, take_slot
from inquick.booking.tokens import issue_token, new_token_id, utc_text
from inquick.client_addresses import request_client_digest
from inquick.config import token_secret
from inquick.database import writes_on_read
from inquick.extensions import db
from inquick.jsonapi.errors import InvalidQueryParameter, Unprocessable
from inquick.jsonapi.media import empty_response
from inquick.jsonapi.query import check_parameter_names, parse_arguments
from inquick.resources.base import active_schedule

blueprint = Blueprint("visit-token", __name__)
JWT_MEDIA_TYPE = "application/jwt"
HEAD_HOLDS_NOTHING = HoldOutcome("not-held", reason="A HEAD request holds nothing.")


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
@writes_on_read
def visit_token():
    """GET /visit-token: the raw JWT, holding a seat of its slot (the `Slot-Hold` header
    says whether it does, and until when), or a 422 when the time is not a free slot.

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
    token_id = new_token_id()
    try:
        slot, hold = slot_and_hold(schedule, kind, args["appointment_at"], now, token_id)
    except SlotUnavailable as refusal:
        raise Unprocessable(str(refusal), parameter="appointment_at") from None
    db.session.commit()
    token = issue_token(
        token_secret(current_app),
        health_system=g.tenant,
        schedule_id=schedule.id,
        slot_start=slot.start,
        now=now,
        api_key_id=g.api_key.id,
        token_id=token_id,
    )
    headers = {"Cache-Control": "no-store", "Slot-Hold": hold_header(hold)}
    return Response(token, mimetype=JWT_MEDIA_TYPE, headers=headers)


def slot_and_hold(schedule, kind, start, now, token_id):
    """The free slot at `start` and what the token holds of it. A HEAD request holds
    nothing: its token is never sent."""
    if request.method == "HEAD":
        slot = check_slot(db.session, schedule=schedule, appointment_type=kind, start=start,
                          now=now)  # fmt: skip
        return slot, HEAD_HOLDS_NOTHING
    return take_slot(
        db.session, schedule=schedule, appointment_type=kind, start=start, now=now,
        token_id=token_id, requester=requester(), bounds=hold_bounds(),
    )  # fmt: skip


def requester():
    """The key asking for a token, and a keyed digest of its client's address."""
    return Requester(g.api_key.id, request_client_digest())


def hold_bounds():
    """The deployment's bounds on holding (INQUICK_MAX_HOLDS_PER_KEY, _PER_ADDRESS)."""
    config = current_app.config
    return HoldBounds(config["MAX_HOLDS_PER_KEY"], config["MAX_HOLDS_PER_ADDRESS"])


def hold_header(hold):
    """`held; expires=...Z`, or `not-held` / `off` with the reason, as a client reads it."""
    if hold.state == "held":
        return f"held; expires={utc_text(hold.expires_at)}"
    return f'{hold.state}; reason="{hold.reason}"'


@blueprint.delete("/visit-token")
def release_visit_token():
    """DELETE /visit-token: the Bearer visit token gives its seat back (204, also when it
    held none or no longer does). The token itself still books, if a seat is free then."""
    check_parameter_names(request.args, allowed_families=())
    tenant, claims = authenticate_hold_release(datetime.now(UTC))
    release_hold(db.session, tenant.id, claims["jti"])
    db.session.commit()
    return empty_response(headers={"Cache-Control": "no-store"})


release_visit_token.authenticates_itself = True

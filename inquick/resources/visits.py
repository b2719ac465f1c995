"""visits: booking with a visit token (POST /visits)."""

from datetime import UTC, datetime

from flask import Blueprint, current_app, g, request
from marshmallow_jsonapi import Schema, fields
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from inquick.auth.tenancy import refuse_live_on_sandbox_host
from inquick.booking.bookings import (
    BodyMismatch,
    InvalidVisit,
    TokenSpent,
    book_visit,
)
from inquick.booking.reservations import SlotUnavailable
from inquick.booking.tokens import TokenRefused, read_token
from inquick.config import token_secret
from inquick.extensions import db
from inquick.jsonapi.document import api_root, single_document
from inquick.jsonapi.errors import (
    Conflict,
    Emergency,
    ErrorList,
    NotAuthenticated,
    NotFound,
    Unprocessable,
)
from inquick.jsonapi.media import document_response
from inquick.jsonapi.query import QueryParams
from inquick.jsonapi.request_document import linked_id, read_resource_object
from inquick.jsonapi.resource import Resource
from inquick.models import HealthSystem, Schedule, Visit
from inquick.ratelimit import spend_for_bookings
from inquick.resources.base import active_schedule, dasherize

blueprint = Blueprint("visits", __name__)


class VisitSchema(Schema):
    """What a partner sees of a visit: never the patient's data."""

    id = fields.Str()
    appointment_at = fields.DateTime()
    appointment_type = fields.Function(lambda v: v.appointment_type and v.appointment_type.slug)
    appointment_type_name = fields.Function(
        lambda v: v.appointment_type and v.appointment_type.name
    )
    confirmation_number = fields.Int()
    # Ids of the visit in connected EHR systems; none is connected yet.
    remote_visit_ids = fields.Function(lambda _v: [])
    status = fields.Str()
    schedule = fields.Relationship(type_="schedules")
    location = fields.Relationship(type_="locations")
    provider = fields.Relationship(type_="providers")

    class Meta:
        type_ = "visits"
        inflect = dasherize


visits = Resource(
    VisitSchema,
    Visit,
    always_load=(
        selectinload(Visit.schedule).options(
            selectinload(Schedule.location), selectinload(Schedule.provider)
        ),
        selectinload(Visit.appointment_type),
    ),
    always_linked=("schedule", "location", "provider"),
    # /visits/{id}/... endpoints come with the patient-data endpoints (visits:read).
    relationship_links=False,
)


def token_claims(now):
    """The claims of the Bearer visit token, or a 401."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("POST /visits takes a visit token: Authorization: Bearer <token>.")
    try:
        return read_token(token_secret(current_app), token.strip(), now)
    except TokenRefused as refusal:
        raise NotAuthenticated(str(refusal)) from None


def tenant_of(claims):
    """The health system (live, or its sandbox) the token was issued for, or a 401."""
    refuse_live_on_sandbox_host(claims["mode"])
    live = g.health_system
    if claims["mode"] == "live" and claims["hs"] == live.id:
        return live
    if claims["mode"] == "test":
        sandbox = db.session.scalar(
            select(HealthSystem).where(
                HealthSystem.id == claims["hs"], HealthSystem.live_system_id == live.id
            )
        )
        if sandbox is not None:
            return sandbox
    raise NotAuthenticated("The visit token is not valid for this health system.")


def created(visit):
    """201 with the visit and its URL."""
    location = f"{api_root()}/visits/{visit.id}"
    document = single_document(visits, visit, QueryParams())
    document["links"]["self"] = location
    return document_response(document, 201, {"Location": location})


def refusal(invalid):
    """One 422 error per attribute, pointing at it, and the call-911 advice if it applies."""
    errors = [
        Unprocessable(f"{name} {message}.", pointer=f"/data/attributes/{name}")
        for name, message in invalid.problems.items()
    ]
    if invalid.emergency:
        errors.append(
            Emergency(
                "This may be an emergency. Call 911 or go to the nearest emergency room now; "
                "do not wait for a scheduled visit.",
                pointer="/data/attributes/patient-complaint",
            )
        )
    return ErrorList(errors)


@blueprint.post("/visits")
def create_visit():
    """Book the token's slot for the patient in the body."""
    now = datetime.now(UTC)
    claims = token_claims(now)
    g.tenant = tenant_of(claims)
    spend_for_bookings(g.tenant)
    data = read_resource_object("visits")
    schedule_id = linked_id(data, "schedule", "schedules")
    try:
        schedule = active_schedule(claims["sch"])
    except NotFound:
        raise Conflict("The schedule no longer takes bookings.") from None
    try:
        visit = book_visit(
            db.session, tenant=g.tenant, schedule=schedule, claims=claims, data=data,
            schedule_id=schedule_id, now=now,
        )  # fmt: skip
    except BodyMismatch as mismatch:
        raise Unprocessable(str(mismatch), pointer=mismatch.pointer) from None
    except InvalidVisit as invalid:
        raise refusal(invalid) from None
    except (TokenSpent, SlotUnavailable) as conflict:
        db.session.rollback()
        raise Conflict(str(conflict)) from None
    db.session.commit()
    return created(visit)


create_visit.authenticates_itself = True

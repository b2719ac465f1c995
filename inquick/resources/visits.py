"""visits: booking with a visit token (POST /visits)."""

from datetime import UTC, datetime

from flask import Blueprint, current_app, g, request
from marshmallow_jsonapi import Schema, fields
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from inquick.booking.reservations import SlotUnavailable, reserve_slot
from inquick.booking.tokens import TokenRefused, read_token
from inquick.booking.visit_requests import (
    attribute_errors,
    attribute_pointer,
    parse_appointment_at,
    request_digest,
)
from inquick.config import token_secret
from inquick.extensions import db
from inquick.jsonapi.document import api_root, single_document
from inquick.jsonapi.errors import Conflict, ErrorList, NotAuthenticated, NotFound, Unprocessable
from inquick.jsonapi.media import document_response
from inquick.jsonapi.query import QueryParams
from inquick.jsonapi.request_document import linked_id, read_resource_object
from inquick.jsonapi.resource import Resource
from inquick.models import HealthSystem, Schedule, Visit
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


def check_binding(data, claims):
    """The body must ask for the token's schedule and slot."""
    schedule_id = linked_id(data, "schedule", "schedules")
    if schedule_id != claims["sch"]:
        raise Unprocessable(
            "The schedule must be the one the visit token was issued for.",
            pointer="/data/relationships/schedule",
        )
    at = parse_appointment_at(data.get("attributes", {}).get("appointment-at"))
    if at is None or at != claims["at"]:
        raise Unprocessable(
            "appointment-at must be the slot the visit token was issued for.",
            pointer=attribute_pointer("appointment-at"),
        )


def replay(visit, digest):
    """A retry of the request that booked `visit`: the same answer; another body: 409."""
    if visit.request_digest != digest:
        raise Conflict("This visit token has already booked a visit with another request.")
    return created(visit)


def created(visit):
    location = f"{api_root()}/visits/{visit.id}"
    document = single_document(visits, visit, QueryParams())
    document["links"]["self"] = location
    return document_response(document, 201, {"Location": location})


def booked_with(token_id):
    return db.session.scalar(
        select(Visit).where(Visit.token_id == token_id).options(*visits.always_load)
    )


@blueprint.post("/visits")
def create_visit():
    """POST /visits: book the token's slot for the patient in the body."""
    now = datetime.now(UTC)
    claims = token_claims(now)
    g.tenant = tenant_of(claims)
    data = read_resource_object("visits")
    check_binding(data, claims)
    digest = request_digest(data)
    existing = booked_with(claims["jti"])
    if existing is not None:
        return replay(existing, digest)
    try:
        schedule = active_schedule(claims["sch"])
    except NotFound:
        raise Conflict("The schedule no longer takes bookings.") from None
    attributes = data.get("attributes", {})
    errors = attribute_errors(schedule, attributes, now)
    if errors:
        raise ErrorList(errors)
    kind = next(
        (t for t in schedule.appointment_types if t.slug == attributes.get("appointment-type")),
        None,
    )
    patient = {
        k: v for k, v in attributes.items() if k not in ("appointment-at", "appointment-type")
    }
    try:
        visit = reserve_slot(
            db.session,
            schedule=schedule,
            appointment_type=kind,
            start=claims["at"],
            now=now,
            token_id=claims["jti"],
            request_digest=digest,
            remote_uid=attributes.get("remote-uid"),
            patient=patient,
        )
        db.session.commit()
    except SlotUnavailable as refusal:
        db.session.rollback()
        raise Conflict(str(refusal)) from None
    except IntegrityError:
        # The same token raced itself: the other request booked; answer as a retry.
        db.session.rollback()
        existing = booked_with(claims["jti"])
        if existing is None:
            raise
        return replay(existing, digest)
    return created(visit)


create_visit.authenticates_itself = True

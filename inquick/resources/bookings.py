"""bookings: a patient's own booking, found by its booking reference with a partner key.

A partner's site (scope `visits:create`, the scope that books) lets a patient read their
booking, cancel it, move it (with a visit token for the new time) or add it to a calendar
with nothing but the reference they were given. A booking shows the appointment (when,
where, with whom, what, its status) and never the patient's data; every lookup costs
against the lookup limits (a reference is a credential) and every read or change is
audited like any access to a visit.
"""

import hashlib
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, g, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from inquick.auth.cors import check_token_issuer
from inquick.auth.keys import require_scope
from inquick.booking.audit import record_read
from inquick.booking.calendar import CalendarEntry, calendar_file
from inquick.booking.patient_moves import TOKEN_POINTER, check_move_token
from inquick.booking.references import read_reference, shown
from inquick.booking.service import change_visit
from inquick.booking.tokens import TokenRefused, read_token
from inquick.config import verifying_secrets
from inquick.extensions import db
from inquick.jsonapi.conditional import never_stored
from inquick.jsonapi.document import api_root
from inquick.jsonapi.errors import Conflict, InvalidDocument, NotFound, Unprocessable
from inquick.jsonapi.media import JSONAPI, document_response
from inquick.jsonapi.query import check_parameter_names
from inquick.jsonapi.request_document import read_body, read_resource_object
from inquick.models import Schedule, Visit
from inquick.models.base import as_utc
from inquick.ratelimit import spend_for_address, spend_for_lookup
from inquick.request_urls import base_url
from inquick.resources.visits import local_time, read_change

blueprint = Blueprint("bookings", __name__)
blueprint.after_request(never_stored)
CALENDAR_MEDIA_TYPE = "text/calendar"
NOT_FOUND = "There is no booking with that reference."
# What a booking shows beside the visit, read with it in one statement.
SHOWN_WITH = (
    joinedload(Visit.appointment_type),
    joinedload(Visit.schedule).joinedload(Schedule.location),
    joinedload(Visit.schedule).joinedload(Schedule.provider),
)


def find_booking(reference):
    """The caller's visit with `reference` (as typed), counted against the lookup limits."""
    spend_for_lookup(g.api_key)
    stored = read_reference(reference)
    visit = None
    if stored is not None:
        visit = db.session.scalar(
            select(Visit)
            .where(Visit.health_system_id == g.tenant.id, Visit.booking_reference == stored)
            .options(*SHOWN_WITH)
        )
    if visit is None:
        raise NotFound(NOT_FOUND)  # the reference is not repeated: it is a credential
    return visit


def booking_url(visit):
    return f"{api_root()}/bookings/{shown(visit.booking_reference)}"


def booking_object(visit):
    """The booking as a resource object: the appointment, never the patient."""
    schedule, kind = visit.schedule, visit.appointment_type
    location, provider = schedule.location, schedule.provider
    zone = schedule.time_zone_name
    url = booking_url(visit)
    return {
        "type": "bookings",
        "id": shown(visit.booking_reference),
        "attributes": {
            "appointment-at": local_time(visit.starts_at, zone),
            "ends-at": local_time(visit.ends_at, zone),
            "time-zone-name": zone,
            "status": visit.status,
            "reason": visit.change_reason,
            "confirmation-number": visit.confirmation_number,
            "appointment-type": kind.slug if kind else None,
            "appointment-type-name": kind.name if kind else None,
            "provider-name": provider.name,
            "location-name": location.name,
            "address": one_line_address(location),
            "phone": location.phone,
        },
        "relationships": {
            "schedule": {"data": {"type": "schedules", "id": schedule.id}},
            "location": {"data": {"type": "locations", "id": location.slug}},
            "provider": {"data": {"type": "providers", "id": provider.slug}},
        },
        "links": {"self": url, "calendar": f"{url}/calendar"},
    }


def one_line_address(location):
    """The location's address as one line, the parts it has in their usual order."""
    place = " ".join(part for part in (location.state, location.zip) if part)
    parts = (location.facility_name, location.address, location.city, place)
    return ", ".join(part for part in parts if part) or None


def booking_document(visit):
    return {"jsonapi": JSONAPI, "links": {"self": base_url()}, "data": booking_object(visit)}


def answer_booking(reference, answer):
    """`answer(visit)` for the booking `reference` names, its read audited (no patient
    field is shown) once the answer is made: the audit's commit expires the rows read."""
    check_parameter_names(request.args, allowed_families=())
    visit = find_booking(reference)
    made = answer(visit)
    record_read(db.session, tenant=g.tenant, visits=[visit], fields=[], key=g.api_key)
    return made


@blueprint.get("/bookings/<reference>")
@require_scope("visits:create")
def show_booking(reference):
    """GET /bookings/{reference}: the booking, never the patient."""
    return document_response(answer_booking(reference, booking_document))


@blueprint.patch("/bookings/<reference>")
@require_scope("visits:create")
def change_booking(reference):
    """PATCH /bookings/{reference}: the patient cancels, saying why (`status: cancelled` and
    `reason`), or moves the booking to the time of a visit token for its schedule
    (`appointment-at` and `reason`, the token in the document's `meta`), atomically, as a
    `visits:write` key reschedules."""
    check_parameter_names(request.args, allowed_families=())
    data = read_resource_object("bookings", allow_id=True)
    if "id" not in data:
        raise InvalidDocument("A PATCH names the booking's reference.", pointer="/data/id")
    if read_reference(data["id"]) != read_reference(reference):
        raise Conflict("The document's id must be the booking's reference.", pointer="/data/id")
    if data.get("relationships"):
        raise Unprocessable(
            "A booking's relationships cannot be changed.", pointer="/data/relationships"
        )
    changes = read_change(data.get("attributes", {}))
    if "status" in changes and changes["status"] != "cancelled":
        raise Unprocessable(
            "A patient changes a booking by cancelling it or moving it: status must be cancelled.",
            pointer="/data/attributes/status",
        )
    now = datetime.now(UTC)
    token = move_token(now) if "appointment_at" in changes else None
    visit = find_booking(reference)
    if token is not None:
        check_move_token(token, g.tenant, visit, changes["appointment_at"])
        changes["token_id"] = token["jti"]
    change_visit(db.session, visit, **changes, now=now, tenant=g.tenant, key=g.api_key)
    db.session.commit()
    return document_response(booking_document(visit))


def move_token(now):
    """The claims of the visit token in the document's `meta`, which a move needs."""
    meta = read_body().get("meta")
    token = meta.get("visit-token") if isinstance(meta, dict) else None
    if not isinstance(token, str):
        raise Unprocessable(
            "Moving a booking takes a visit token for the new time, as meta.visit-token.",
            pointer=TOKEN_POINTER,
        )
    try:
        claims = read_token(verifying_secrets(current_app), token, now)
        check_token_issuer(claims["key"])
    except TokenRefused as refusal:
        spend_for_address()  # a refused token counts like a refused key
        raise Unprocessable(str(refusal), pointer=TOKEN_POINTER) from None
    return claims


@blueprint.get("/bookings/<reference>/calendar")
@require_scope("visits:create")
def booking_calendar(reference):
    """GET /bookings/{reference}/calendar: the booking as a calendar file (RFC 5545), a
    cancellation once it is cancelled."""
    return answer_booking(reference, calendar_response)


def calendar_response(visit):
    """The booking as a calendar file to download."""
    body = calendar_file(calendar_entry(visit, datetime.now(UTC)))
    # Neither the file nor its name carries the reference: calendar files are forwarded and
    # synced far beyond the patient, and the reference is a credential.
    name = f"appointment-{visit.confirmation_number}.ics"
    return Response(
        body,
        content_type=f"{CALENDAR_MEDIA_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def calendar_entry(visit, now):
    """The calendar entry of `visit`, made at `now`: the appointment, never the patient."""
    schedule, kind = visit.schedule, visit.appointment_type
    location, provider = schedule.location, schedule.provider
    what = kind.name if kind else "Visit"
    # Stable for the booking's whole life, and telling nothing of it: a digest of its id.
    uid = hashlib.sha256(f"inquick booking {visit.id}".encode()).hexdigest()[:32]
    return CalendarEntry(
        uid=f"{uid}@inquick",
        sequence=visit.calendar_sequence,
        cancelled=visit.status == "cancelled",
        start=as_utc(visit.starts_at),
        end=as_utc(visit.ends_at),
        time_zone_name=schedule.time_zone_name,
        summary=f"{what} with {provider.name}",
        location=", ".join(p for p in (location.name, one_line_address(location)) if p),
        stamp=now,
        description=f"Confirmation number {visit.confirmation_number}",
    )

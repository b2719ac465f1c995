"""visits: booking with a visit token (POST), reading (visits:read) and changing (visits:write)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, g, request
from marshmallow_jsonapi import Schema, fields
from sqlalchemy import select

from inquick.auth.callers import Tenant
from inquick.auth.keys import require_scope
from inquick.auth.tenancy import bearer_token, refuse_live_on_sandbox_host
from inquick.booking.audit import record_access
from inquick.booking.bookings import (
    BodyMismatch,
    InvalidVisit,
    TokenSpent,
    book_visit,
    booked_with,
)
from inquick.booking.changes import ChangeRefused, cancel_visit, change_status, reschedule_visit
from inquick.booking.reservations import SlotUnavailable, lock_schedule
from inquick.booking.tokens import TokenRefused, read_token
from inquick.booking.visit_filters import VISIT_FILTERS
from inquick.booking.visit_requests import parse_appointment_at
from inquick.booking.visit_rules import PATIENT_ATTRIBUTES
from inquick.config import verifying_secrets
from inquick.extensions import db
from inquick.jsonapi.conditional import never_stored
from inquick.jsonapi.document import api_root, single_document
from inquick.jsonapi.errors import (
    Conflict,
    Emergency,
    ErrorList,
    InvalidDocument,
    NotAuthenticated,
    NotFound,
    Unprocessable,
)
from inquick.jsonapi.fields import Computed
from inquick.jsonapi.media import document_response
from inquick.jsonapi.query import QueryParams, check_parameter_names
from inquick.jsonapi.request_document import linked_id, read_resource_object
from inquick.jsonapi.views import add_resource_routes, find, read_one
from inquick.models import AppointmentType, HealthSystem, Schedule, Visit
from inquick.models.base import as_utc
from inquick.models.visits import STATUSES
from inquick.operations import remember_caller
from inquick.ratelimit import spend_for_address, spend_for_bookings, spend_for_replays
from inquick.resources.base import CatalogResource, active_schedule, dasherize

blueprint = Blueprint("visits", __name__)
# Patient data and keys: no cache may keep an answer (and none carries an ETag).
blueprint.after_request(never_stored)


PATIENT = Visit.__table__.c.patient


def patient_field(name):
    """One of the patient's attributes, as submitted (null when it was not)."""
    return Computed(PATIENT, convert=lambda patient: (patient or {}).get(name), data_key=name)


def of_appointment_type(column):
    """A column of the visit's appointment type (null without one)."""
    return select(column).where(AppointmentType.id == Visit.appointment_type_id).scalar_subquery()


def local_time(starts_at, time_zone_name):
    """The start in the schedule's zone, so that its ISO form shows the local offset."""
    return as_utc(starts_at).astimezone(ZoneInfo(time_zone_name)).isoformat()


class VisitSchema(Schema):
    """A visit: the appointment, and (for `visits:read`) the patient's attributes."""

    id = fields.Str()
    appointment_at = Computed(
        (
            Visit.starts_at,
            select(Schedule.time_zone_name)
            .where(Schedule.id == Visit.schedule_id)
            .scalar_subquery(),
        ),
        convert=local_time,
    )
    appointment_type = Computed(of_appointment_type(AppointmentType.slug))
    appointment_type_name = Computed(of_appointment_type(AppointmentType.name))
    confirmation_number = fields.Int()
    # Ids of the visit in connected EHR systems; none is connected yet, so no column.
    remote_visit_ids = Computed((), convert=list)
    status = fields.Str()
    reason = fields.Str(attribute="change_reason", allow_none=True)
    schedule = fields.Relationship(type_="schedules")
    location = fields.Relationship(type_="locations")
    provider = fields.Relationship(type_="providers")

    class Meta:
        type_ = "visits"
        inflect = dasherize


# Each patient attribute is a field of its own, declared from the one list of attributes.
VisitSchema = type(
    "VisitSchema",
    (VisitSchema,),
    {name.replace("-", "_"): patient_field(name) for name in PATIENT_ATTRIBUTES},
)


# What a booking partner gets back: the appointment, never the patient's data.
PUBLIC_FIELDS = {
    "appointment-at", "appointment-type", "appointment-type-name", "confirmation-number",
    "remote-visit-ids", "status", "schedule", "location", "provider",
}  # fmt: skip


def record_reads(objects, params):
    """Every visit a caller reads leaves one audit entry naming the patient fields shown."""
    if request.method == "HEAD":  # headers only: no patient data leaves
        return
    wanted = params.fields.get("visits")
    shown = [name for name in PATIENT_ATTRIBUTES if wanted is None or name in wanted]
    record_access(
        db.session, tenant=g.tenant, visits=objects, action="read", fields=shown, key=g.api_key
    )
    db.session.commit()


# Visits are the tenant's rows like the catalog's, scoped the same way.
visits = CatalogResource(
    VisitSchema,
    Visit,
    default_sort=("appointment-at",),
    always_linked=("schedule", "location", "provider"),
    extra_sorts={"appointment-at": Visit.starts_at},
    filters=VISIT_FILTERS,
    on_read=record_reads,
)
add_resource_routes(blueprint, visits, decorators=[require_scope("visits:read")])


def token_claims(now):
    """The claims of the Bearer visit token, or a 401.

    A refused token counts against the caller's address, as a refused key does: guessing
    tokens is limited like guessing keys.
    """
    token = bearer_token()
    if not token:
        spend_for_address()
        raise NotAuthenticated("POST /visits takes a visit token: Authorization: Bearer <token>.")
    try:
        return read_token(verifying_secrets(current_app), token, now)
    except TokenRefused as refusal:
        spend_for_address()
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
            return Tenant.of(sandbox)
    raise NotAuthenticated("The visit token is not valid for this health system.")


def created(visit):
    """201 with the visit and its URL, without the patient's data."""
    location = f"{api_root()}/visits/{visit.id}"
    params = QueryParams(fields={"visits": PUBLIC_FIELDS})
    document = single_document(read_one(visits, visit.id, params), params)
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


def count_attempt(claims):
    """Count the request against the pools of the key that issued the token.

    A new booking attempt (even one refused later) spends from the key's bookings; a
    replay of a token that already booked is the same booking answered again, and spends
    from the key's replays instead. Either way only that partner's pool runs out.
    """
    if booked_with(db.session, g.tenant, claims["jti"]) is None:
        spend_for_bookings(claims["key"])
    else:
        spend_for_replays(claims["key"])


def still_takes_bookings(schedule_id):
    """Whether the schedule is still active, read afresh.

    Its rules were read in several statements before the booking lock: a withdrawal that
    committed between them leaves them torn (no appointment types, say), and the honest
    answer is then that the schedule is gone, not that the visit was invalid.
    """
    return db.session.scalar(select(Schedule.active).where(Schedule.id == schedule_id)) is True


@blueprint.post("/visits")
def create_visit():
    """Book the token's slot for the patient in the body."""
    check_parameter_names(request.args, allowed_families=())
    now = datetime.now(UTC)
    claims = token_claims(now)
    g.tenant = tenant_of(claims)
    remember_caller(g.tenant)
    count_attempt(claims)
    data = read_resource_object("visits")
    schedule_id = linked_id(data, "schedule", "schedules")
    try:
        schedule = active_schedule(claims["sch"])
    except NotFound:
        raise Conflict("The schedule no longer takes bookings.") from None
    try:
        visit, booked_now = book_visit(
            db.session, tenant=g.tenant, schedule=schedule, claims=claims, data=data,
            schedule_id=schedule_id, now=now,
        )  # fmt: skip
    except BodyMismatch as mismatch:
        raise Unprocessable(str(mismatch), pointer=mismatch.pointer) from None
    except InvalidVisit as invalid:
        if not still_takes_bookings(schedule.id):
            raise Conflict("The schedule no longer takes bookings.") from None
        raise refusal(invalid) from None
    except (TokenSpent, SlotUnavailable) as conflict:
        db.session.rollback()
        raise Conflict(str(conflict)) from None
    if booked_now:
        record_access(
            db.session, tenant=g.tenant, visits=[visit], action="create",
            fields=[k for k in data.get("attributes", {}) if k in PATIENT_ATTRIBUTES],
            token_id=claims["jti"],
        )  # fmt: skip
        db.session.commit()
    return created(visit)


create_visit.authenticates_itself = True


@blueprint.patch("/visits/<object_id>")
@require_scope("visits:write")
def change_visit(object_id):
    """Reschedule (a new appointment-at) or change the status (cancel) of a visit."""
    now = datetime.now(UTC)
    check_parameter_names(request.args, allowed_families=())
    data = read_resource_object("visits", allow_id=True)
    if "id" not in data:
        raise InvalidDocument("A PATCH names the visit's id.", pointer="/data/id")
    if data["id"] != object_id:
        raise Conflict("The document's id must be the visit's id.", pointer="/data/id")
    if data.get("relationships"):
        raise Unprocessable(
            "A visit's relationships cannot be changed.", pointer="/data/relationships"
        )
    attributes = data.get("attributes", {})
    changes = read_change(attributes)
    visit = find(visits, object_id)
    # Changes to one schedule's visits queue like its bookings; read the state under the lock.
    lock_schedule(db.session, visit.schedule_id)
    db.session.refresh(visit)
    try:
        if "appointment-at" in changes:
            reschedule_visit(db.session, visit, changes["appointment-at"], changes["reason"], now)
            action = "reschedule"
        elif changes["status"] == "cancelled":
            cancel_visit(visit, changes["reason"], now)
            action = "cancel"
        else:
            change_status(visit, changes["status"], changes["reason"])
            action = "update-status"
    except (ChangeRefused, SlotUnavailable) as refusal:
        db.session.rollback()
        raise Conflict(str(refusal)) from None
    record_access(
        db.session, tenant=g.tenant, visits=[visit], action=action, fields=sorted(attributes),
        key=g.api_key,
    )  # fmt: skip
    db.session.commit()
    params = QueryParams(fields={"visits": CHANGE_FIELDS})
    return document_response(single_document(read_one(visits, visit.id, params), params))


# What a change answers: the appointment and its state, not the patient's data.
CHANGE_FIELDS = PUBLIC_FIELDS | {"reason"}
CHANGEABLE = {"appointment-at", "status", "reason"}


def read_change(attributes):
    """{appointment-at or status, reason} from a PATCH, or one 422 per wrong attribute."""
    errors = [
        Unprocessable(f"{name} cannot be changed here.", pointer=f"/data/attributes/{name}")
        for name in attributes
        if name not in CHANGEABLE
    ]
    reason = attributes.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500 or "\x00" in reason:
        errors.append(
            Unprocessable(
                "reason is required: a sentence of at most 500 characters.",
                pointer="/data/attributes/reason",
            )
        )
    changes = {"reason": reason}
    if ("appointment-at" in attributes) == ("status" in attributes):
        errors.append(
            Unprocessable(
                "Send either appointment-at (to reschedule) or status (to change the state).",
                pointer="/data/attributes",
            )
        )
    elif "appointment-at" in attributes:
        changes["appointment-at"] = parse_appointment_at(attributes["appointment-at"])
        if changes["appointment-at"] is None:
            errors.append(
                Unprocessable(
                    "appointment-at must be an ISO 8601 time with a UTC offset.",
                    pointer="/data/attributes/appointment-at",
                )
            )
    elif attributes["status"] not in STATUSES:
        errors.append(
            Unprocessable(
                f"status must be one of: {', '.join(STATUSES)}.",
                pointer="/data/attributes/status",
            )
        )
    else:
        changes["status"] = attributes["status"]
    if errors:
        raise ErrorList(errors)
    return changes

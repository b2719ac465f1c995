"""visits: booking with a visit token (POST), reading (visits:read) and changing (visits:write)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, g, request
from marshmallow import ValidationError
from marshmallow_jsonapi import Schema, fields
from sqlalchemy import select

from inquick.auth.keys import require_scope
from inquick.auth.visit_tokens import authenticate_visit_token
from inquick.booking.audit import record_read
from inquick.booking.change_requests import CHANGEABLE, change_schema
from inquick.booking.references import shown
from inquick.booking.service import book, change_visit
from inquick.booking.visit_filters import VISIT_FILTERS
from inquick.booking.visit_rules import PATIENT_ATTRIBUTES
from inquick.extensions import db
from inquick.jsonapi.conditional import never_stored
from inquick.jsonapi.document import api_root, single_document
from inquick.jsonapi.errors import Conflict, ErrorList, InvalidDocument, Unprocessable
from inquick.jsonapi.fields import Computed
from inquick.jsonapi.media import document_response
from inquick.jsonapi.query import QueryParams, check_parameter_names
from inquick.jsonapi.request_document import linked_id, read_resource_object
from inquick.jsonapi.views import add_resource_routes, find, read_one
from inquick.models import AppointmentType, Schedule, Visit
from inquick.models.base import as_utc
from inquick.resources.base import CatalogResource, dasherize

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
    booking_reference = Computed(Visit.booking_reference, convert=shown)
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
    "booking-reference", "remote-visit-ids", "status", "schedule", "location", "provider",
}  # fmt: skip


def record_reads(objects, params):
    """Every visit a caller reads leaves one audit entry naming the patient fields shown."""
    if request.method == "HEAD":  # headers only: no patient data leaves
        return
    wanted = params.fields.get("visits")
    shown = [name for name in PATIENT_ATTRIBUTES if wanted is None or name in wanted]
    record_read(db.session, tenant=g.tenant, visits=objects, fields=shown, key=g.api_key)


# Visits are the tenant's rows like the catalog's, scoped the same way.
visits = CatalogResource(
    VisitSchema,
    Visit,
    default_sort=("appointment-at",),
    always_linked=("schedule", "location", "provider"),
    extra_sorts={"appointment-at": Visit.starts_at},
    filters=VISIT_FILTERS,
    comparable=("appointment-at",),
    on_read=record_reads,
)
add_resource_routes(blueprint, visits, decorators=[require_scope("visits:read")])


def created(visit):
    """201 with the visit and its URL, without the patient's data."""
    location = f"{api_root()}/visits/{visit.id}"
    params = QueryParams(fields={"visits": PUBLIC_FIELDS})
    document = single_document(read_one(visits, visit.id, params), params)
    document["links"]["self"] = location
    return document_response(document, 201, {"Location": location})


@blueprint.post("/visits")
def create_visit():
    """Book the token's slot for the patient in the body."""
    check_parameter_names(request.args, allowed_families=())
    now = datetime.now(UTC)
    g.tenant, claims, booked = authenticate_visit_token(now)
    data = read_resource_object("visits")
    schedule_id = linked_id(data, "schedule", "schedules")
    visit, booked_now = book(
        db.session, tenant=g.tenant, claims=claims, data=data, schedule_id=schedule_id,
        now=now, booked=booked,
    )  # fmt: skip
    if booked_now:
        db.session.commit()
    return created(visit)


create_visit.authenticates_itself = True


@blueprint.patch("/visits/<object_id>")
@require_scope("visits:write")
def update_visit(object_id):
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
    changes = read_change(data.get("attributes", {}))
    visit = find(visits, object_id)
    change_visit(db.session, visit, **changes, now=now, tenant=g.tenant, key=g.api_key)
    db.session.commit()
    params = QueryParams(fields={"visits": CHANGE_FIELDS})
    return document_response(single_document(read_one(visits, visit.id, params), params))


# What a change answers: the appointment and its state, not the patient's data.
CHANGE_FIELDS = PUBLIC_FIELDS | {"reason"}
# The order a refused change lists its errors in; `_schema` is marshmallow's key for the
# rule on the change as a whole, which points at all the attributes.
ERROR_ORDER = ("reason", "_schema", "appointment-at", "status")


def read_change(attributes):
    """The arguments of `change_visit` from a PATCH's attributes, or one 422 per wrong one."""
    errors = [
        Unprocessable(f"{name} cannot be changed here.", pointer=f"/data/attributes/{name}")
        for name in attributes
        if name not in CHANGEABLE
    ]
    try:
        changes = change_schema.load(attributes)
    except ValidationError as invalid:
        changes, found = None, invalid.messages
        errors += [change_error(key, found[key][0]) for key in ERROR_ORDER if key in found]
    if errors:
        raise ErrorList(errors)
    return changes


def change_error(key, message):
    """The 422 of one of marshmallow's messages (the first, when a value breaks several rules)."""
    if key == "_schema":
        return Unprocessable(message, pointer="/data/attributes")
    return Unprocessable(f"{key} {message}.", pointer=f"/data/attributes/{key}")

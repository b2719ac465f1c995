"""validations: a schedule's own rules for visit attributes, beside the built-in ones.

Every rule of a schedule appears in its visit-settings document; the schedule's own
ones also have a URL here, where `catalog:write` creates, changes and deletes them. A
rule is checked before it is stored (`inquick.booking.stored_rules`): the server
enforces exactly what it stores.
"""

from flask import Blueprint, g, request
from marshmallow import validate
from marshmallow_jsonapi import Schema, fields
from sqlalchemy import func, select

from inquick.auth.keys import require_scope
from inquick.booking.stored_rules import rule_problems
from inquick.booking.visit_rules import stored_rule
from inquick.extensions import db
from inquick.jsonapi.attributes import read_attributes
from inquick.jsonapi.conditional import revalidated
from inquick.jsonapi.document import object_document
from inquick.jsonapi.errors import (
    ErrorList,
    Forbidden,
    NotFound,
    Unprocessable,
)
from inquick.jsonapi.media import empty_response
from inquick.jsonapi.query import check_parameter_names, parse_query
from inquick.jsonapi.request_document import (
    pointer_token,
    read_linkage,
    read_resource_object,
    read_update,
)
from inquick.jsonapi.resource import Resource
from inquick.jsonapi.write_views import commit, document_answer
from inquick.models import Schedule, VisitValidation
from inquick.models.catalog_state import CATALOG_VERSION
from inquick.resources.base import active_schedule, caller_scope, dasherize

blueprint = Blueprint("validations", __name__)


class ValidationSchema(Schema):
    id = fields.Str()
    kind = fields.Str(required=True)  # checked with the whole rule (stored_rules)
    attributes = fields.List(fields.Str(), required=True)
    options = fields.Dict()
    # Built-in rules may hold only under a condition; a schedule's own rules always hold.
    condition = fields.Dict(allow_none=True, data_key="if", dump_only=True)
    message = fields.Str(allow_none=True, validate=validate.Length(1, 300))

    class Meta:
        type_ = "validations"
        inflect = dasherize


# Built-in rules exist only inside a visit-settings document: no URL of their own.
validations = Resource(
    ValidationSchema, None, self_links=lambda rule: rule.stored, relationship_links=False
)


def stored_validation(validation_id):
    """One of the caller's stored rules, on an active schedule, or a 404."""
    statement = (
        select(VisitValidation)
        .join(Schedule, Schedule.id == VisitValidation.schedule_id)
        .where(
            VisitValidation.id == validation_id,
            Schedule.health_system_id == g.tenant.id,
            Schedule.active,
        )
    )
    row = db.session.scalar(statement)
    if row is None:
        raise NotFound(f"There is no stored validation with id {validation_id!r}.")
    return row


def check_rule(row):
    problems = rule_problems(row.kind, row.attributes, row.options)
    if problems:
        raise ErrorList(
            Unprocessable(f"{member.split('/')[-1]} {message}.", pointer=attribute_pointer(member))
            for member, message in problems.items()
        )


def attribute_pointer(member):
    """`options/a/b` (an option named `a/b`) -> `/data/attributes/options/a~1b`."""
    head, _, option = member.partition("/")
    return f"/data/attributes/{head}" + (f"/{pointer_token(option)}" if option else "")


def linked_schedule(data):
    """The active schedule a new rule belongs to, named by its `schedule` relationship."""
    for name in data.get("relationships", {}):
        if name != "schedule":
            raise Unprocessable(f"validations have no relationship {name!r}.",
                                pointer=f"/data/relationships/{name}")  # fmt: skip
    relationship = data.get("relationships", {}).get("schedule")
    pointer = "/data/relationships/schedule"
    schedule_id = None
    if relationship is not None:
        schedule_id = read_linkage(relationship, "schedules", False, pointer)
    if schedule_id is None:
        raise Unprocessable("schedule is required.", pointer=pointer)
    if "\x00" in schedule_id:  # no schedule has such an id; not worth asking the database
        raise NotFound(f"No schedule {schedule_id!r}.", pointer=f"{pointer}/data")
    try:
        return active_schedule(schedule_id)
    except NotFound as missing:
        missing.source = {"pointer": f"{pointer}/data"}
        raise


def validation_answer(row, status):
    params = parse_query(request.args, validations, collection=False)
    return document_answer(object_document(validations, stored_rule(row), params), status)


@blueprint.get("/validations/<validation_id>")
@require_scope("catalog:read")
@revalidated(CATALOG_VERSION, caller_scope)
def show_validation(validation_id):
    """GET /validations/{id}: one of a schedule's own rules."""
    parse_query(request.args, validations, collection=False)
    return validation_answer(stored_validation(validation_id), 200)


@blueprint.post("/validations")
@require_scope("catalog:write")
def create_validation():
    """POST /validations: a new rule of a schedule, checked after the ones it has."""
    parse_query(request.args, validations, collection=False)
    data = read_resource_object("validations")
    values = read_attributes(validations, data.get("attributes", {}), creating=True)
    schedule = linked_schedule(data)
    last = db.session.scalar(
        select(func.max(VisitValidation.position)).where(VisitValidation.schedule_id == schedule.id)
    )
    values.setdefault("options", {})
    row = VisitValidation(schedule_id=schedule.id, position=(last or 0) + 1, **values)
    check_rule(row)
    db.session.add(row)
    commit("The schedule's rules changed meanwhile; retry.")
    return validation_answer(row, 201)


@blueprint.patch("/validations/<validation_id>")
@require_scope("catalog:write")
def change_validation(validation_id):
    """PATCH /validations/{id}: change the attributes sent; the whole rule is checked again."""
    parse_query(request.args, validations, collection=False)
    data = read_update("validations", validation_id)
    row = stored_validation(validation_id)
    if data.get("relationships"):
        raise Forbidden("A validation stays with its schedule.", pointer="/data/relationships")
    for name, value in read_attributes(
        validations, data.get("attributes", {}), creating=False
    ).items():
        setattr(row, name, value)
    check_rule(row)
    commit("The rule changed meanwhile; retry.")
    return validation_answer(row, 200)


@blueprint.delete("/validations/<validation_id>")
@require_scope("catalog:write")
def delete_validation(validation_id):
    """DELETE /validations/{id}: the rule no longer applies to new bookings."""
    check_parameter_names(request.args, allowed_families=())
    db.session.delete(stored_validation(validation_id))
    commit("The rule changed meanwhile; retry.")
    return empty_response()

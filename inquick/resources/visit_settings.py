"""visit-settings: what a booking form for a schedule must ask and check."""

from dataclasses import dataclass

from flask import Blueprint, request
from marshmallow_jsonapi import Schema, fields

from inquick.auth.keys import require_scope
from inquick.booking.visit_rules import enabled_fields, rules_for
from inquick.jsonapi.document import single_document
from inquick.jsonapi.media import document_response
from inquick.jsonapi.query import parse_query
from inquick.jsonapi.resource import Resource
from inquick.resources.base import active_schedule, dasherize

blueprint = Blueprint("visit-settings", __name__)


@dataclass(frozen=True)
class SettingsView:
    """A schedule's settings as the API shows them (built, not stored as one row)."""

    id: str
    enabled_fields: list
    patient_instructions: str | None
    preregistration_form: str | None
    screening_questions: str | None
    emergency_keywords: list
    validations: list


class ValidationSchema(Schema):
    id = fields.Str()
    kind = fields.Str()
    attributes = fields.List(fields.Str())
    options = fields.Dict()
    condition = fields.Dict(allow_none=True, data_key="if")
    message = fields.Str(allow_none=True)

    class Meta:
        type_ = "validations"
        inflect = dasherize


class VisitSettingsSchema(Schema):
    id = fields.Str()
    enabled_fields = fields.List(fields.Str())
    patient_instructions = fields.Str(allow_none=True)
    preregistration_form = fields.Str(allow_none=True)
    screening_questions = fields.Str(allow_none=True)
    emergency_keywords = fields.List(fields.Str())
    validations = fields.Relationship(type_="validations", many=True)

    class Meta:
        type_ = "visit-settings"
        inflect = dasherize


# Validations exist only inside their settings document: no URL of their own.
validations = Resource(ValidationSchema, None, self_links=False, relationship_links=False)
visit_settings = Resource(VisitSettingsSchema, None, relationship_links=False)


def settings_of(schedule):
    stored = schedule.visit_settings
    return SettingsView(
        id=schedule.id,
        enabled_fields=enabled_fields(schedule),
        patient_instructions=stored.patient_instructions if stored else None,
        preregistration_form=stored.preregistration_form if stored else None,
        screening_questions=stored.screening_questions if stored else None,
        emergency_keywords=list(stored.emergency_keywords or []) if stored else [],
        validations=rules_for(schedule),
    )


@blueprint.get("/visit-settings/<schedule_id>")
@require_scope("catalog:read")
def show_visit_settings(schedule_id):
    """GET /visit-settings/{schedule_id}: the settings, with every validation included."""
    params = parse_query(request.args, visit_settings, collection=False)
    params.include = {"validations": {}}
    schedule = active_schedule(schedule_id)
    return document_response(single_document(visit_settings, settings_of(schedule), params))

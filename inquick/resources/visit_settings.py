"""visit-settings: what a booking form for a schedule must ask and check."""

from dataclasses import dataclass

from flask import Blueprint, request
from marshmallow import ValidationError, validate
from marshmallow_jsonapi import Schema, fields

from inquick.auth.keys import require_scope
from inquick.booking.emergency import normalized, screening_report
from inquick.booking.visit_rules import ATTRIBUTES, enabled_fields, rules_for
from inquick.jsonapi.attributes import read_attributes
from inquick.jsonapi.conditional import revalidated
from inquick.jsonapi.document import object_document
from inquick.jsonapi.errors import Forbidden
from inquick.jsonapi.media import document_response
from inquick.jsonapi.query import parse_query
from inquick.jsonapi.request_document import read_update
from inquick.jsonapi.resource import Resource
from inquick.jsonapi.write_views import commit
from inquick.models import VisitSettings
from inquick.models.catalog_state import CATALOG_VERSION
from inquick.resources.base import URL, active_schedule, caller_scope, dasherize

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
    emergency_screening: dict
    validations: list


def matchable(keyword):
    """A keyword must keep a letter or a digit once normalized: one of only spaces or
    punctuation would match nothing (and, looked for as empty text, everything)."""
    if not normalized(keyword):
        raise ValidationError("must contain a letter or a digit")


class VisitSettingsSchema(Schema):
    id = fields.Str()
    # null: every attribute (a field some presence rule demands is enabled in any case).
    enabled_fields = fields.List(fields.Str(validate=validate.OneOf(ATTRIBUTES)), allow_none=True)
    patient_instructions = fields.Str(allow_none=True, validate=validate.Length(max=5000))
    preregistration_form = fields.Str(allow_none=True, validate=[URL, validate.Length(max=500)])
    screening_questions = fields.Str(allow_none=True, validate=[URL, validate.Length(max=500)])
    emergency_keywords = fields.List(
        fields.Str(validate=[validate.Length(1, 100), matchable]),
        validate=validate.Length(max=100),
    )
    # How the keywords are matched: the server's own steps, so a form can screen the same.
    emergency_screening = fields.Dict(dump_only=True)
    validations = fields.Relationship(type_="validations", many=True)

    class Meta:
        type_ = "visit-settings"
        inflect = dasherize


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
        emergency_screening=screening_report(),
        validations=rules_for(schedule),
    )


@blueprint.get("/visit-settings/<schedule_id>")
@require_scope("catalog:read")
@revalidated(CATALOG_VERSION, caller_scope)
def show_visit_settings(schedule_id):
    """GET /visit-settings/{schedule_id}: the settings, with every validation included."""
    params = parse_query(request.args, visit_settings, collection=False)
    params.include = {"validations": {}}
    schedule = active_schedule(schedule_id)
    return document_response(object_document(visit_settings, settings_of(schedule), params))


@blueprint.patch("/visit-settings/<schedule_id>")
@require_scope("catalog:write")
def change_visit_settings(schedule_id):
    """PATCH /visit-settings/{schedule_id}: the form's fields, texts and emergency keywords.

    The schedule's own validations are resources of their own (`/validations`).
    """
    params = parse_query(request.args, visit_settings, collection=False)
    params.include = {"validations": {}}
    data = read_update("visit-settings", schedule_id)
    if data.get("relationships"):
        raise Forbidden("Validations are changed at /validations.", pointer="/data/relationships")
    schedule = active_schedule(schedule_id)
    values = read_attributes(visit_settings, data.get("attributes", {}), creating=False)
    if schedule.visit_settings is None:
        schedule.visit_settings = VisitSettings(emergency_keywords=[])
    for name, value in values.items():
        setattr(schedule.visit_settings, name, value)
    commit("The settings were changed at the same moment; retry.")
    return document_response(object_document(visit_settings, settings_of(schedule), params))

"""appointment-types: kinds of visit, with a priority and a duration."""

from marshmallow_jsonapi import Schema, fields

from inquick.catalog.schedules import offered_for_service, offered_in_context
from inquick.jsonapi.resource import Filter
from inquick.models import AppointmentType
from inquick.resources.base import CatalogResource, catalog_blueprint, dasherize


class AppointmentTypeSchema(Schema):
    id = fields.Str(attribute="slug")
    name = fields.Str(required=True)
    priority = fields.Int()
    duration_minutes = fields.Int()
    contexts = fields.List(fields.Str())

    class Meta:
        type_ = "appointment-types"
        inflect = dasherize


appointment_types = CatalogResource(
    AppointmentTypeSchema,
    AppointmentType,
    default_sort=("priority", "name"),
    filters={"context": Filter(offered_in_context), "service": Filter(offered_for_service)},
)
blueprint = catalog_blueprint(appointment_types, aliases=("appointment_types",))

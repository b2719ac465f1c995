"""appointment-types: kinds of visit, with a priority and a duration."""

from marshmallow import validate
from marshmallow_jsonapi import Schema, fields

from inquick.catalog.schedules import offered_for_service, offered_in_context
from inquick.jsonapi.resource import Filter
from inquick.models import AppointmentType
from inquick.models.catalog import CONTEXTS
from inquick.resources.base import (
    CatalogResource,
    catalog_blueprint,
    dasherize,
    not_blank,
    search_filter,
)


class AppointmentTypeSchema(Schema):
    id = fields.Str(attribute="slug")
    name = fields.Str(required=True, validate=not_blank)
    priority = fields.Int(validate=validate.Range(1, 10))
    duration_minutes = fields.Int(validate=validate.Range(5, 24 * 60))
    contexts = fields.List(
        fields.Str(validate=validate.OneOf(CONTEXTS)), validate=validate.Length(min=1)
    )
    services = fields.Relationship(type_="services", many=True)

    class Meta:
        type_ = "appointment-types"
        inflect = dasherize


appointment_types = CatalogResource(
    AppointmentTypeSchema,
    AppointmentType,
    default_sort=("priority", "name"),
    filters={
        "context": Filter(offered_in_context),
        "service": Filter(offered_for_service),
        "search": search_filter(AppointmentType),
    },
    comparable=("duration-minutes", "priority"),
    writable_relationships={"services": "services"},
)
blueprint = catalog_blueprint(appointment_types, aliases=("appointment_types",))

"""providers: practitioners and health resources, with what their schedules offer."""

from marshmallow_jsonapi import Schema, fields
from sqlalchemy.orm import selectinload

from inquick.catalog import providers as search
from inquick.jsonapi.resource import Filter
from inquick.models import Provider, Schedule
from inquick.resources.base import CatalogResource, catalog_blueprint, dasherize


def summaries(items):
    return [{"id": item.slug, "name": item.name} for item in items]


class ProviderSchema(Schema):
    id = fields.Str(attribute="slug")
    name = fields.Str(required=True)
    suffix = fields.Str(allow_none=True)
    credentials = fields.Str(allow_none=True)
    provider_type = fields.Str()
    gender = fields.Str(allow_none=True)
    affiliation = fields.Str(allow_none=True)
    bio = fields.Str(allow_none=True)
    backgrounds = fields.List(fields.Str())
    subspecialties = fields.List(fields.Str())
    languages = fields.List(fields.Str())
    grad_school = fields.Str(allow_none=True)
    undergrad_school = fields.Str(allow_none=True)
    card_image = fields.Str(allow_none=True)
    profile_image = fields.Str(allow_none=True)
    appointment_types = fields.Function(lambda p: summaries(p.offered_appointment_types))
    medical_groups = fields.Function(lambda p: summaries(p.medical_groups))
    schedules = fields.Relationship(type_="schedules", many=True)

    class Meta:
        type_ = "providers"
        inflect = dasherize


FILTERS = {
    **{
        name: Filter(condition, together=search.with_schedule)
        for name, condition in search.SCHEDULE_CONDITIONS.items()
    },
    **{name: Filter(condition) for name, condition in search.PROVIDER_CONDITIONS.items()},
    "near": Filter(order=search.nearest_first),
}

providers = CatalogResource(
    ProviderSchema,
    Provider,
    default_sort=("name",),
    filters=FILTERS,
    always_load=(
        selectinload(Provider.medical_groups),
        selectinload(Provider.schedules).selectinload(Schedule.appointment_types),
    ),
)
blueprint = catalog_blueprint(providers)

"""providers: practitioners and health resources, with what their schedules offer."""

from functools import partial

from flask import g
from marshmallow import ValidationError, validate
from marshmallow_jsonapi import Schema, fields
from sqlalchemy import select

from inquick.catalog import providers as search
from inquick.extensions import db
from inquick.jsonapi.errors import NotFound
from inquick.jsonapi.fields import Computed
from inquick.jsonapi.resource import Filter
from inquick.models import MedicalGroup, Provider
from inquick.models.catalog import AFFILIATIONS, GENDERS, PROVIDER_TYPES
from inquick.resources.base import (
    TENANT,
    URL,
    CatalogResource,
    catalog_blueprint,
    dasherize,
    not_blank,
    search_filter,
)


def read_summary_ids(value):
    """The ids of a `[{"id", "name"}]` attribute sent by a client."""
    if not isinstance(value, list) or not all(
        isinstance(item, dict) and isinstance(item.get("id"), str) and set(item) <= {"id", "name"}
        for item in value
    ):
        raise ValidationError('must be an array of {"id": ...} objects')
    return list(dict.fromkeys(item["id"] for item in value))


class ProviderResource(CatalogResource):
    """A provider's medical groups are an attribute (the reference's shape) naming rows."""

    def assign(self, provider, name, value):
        if name != "medical_groups":
            return super().assign(provider, name, value)
        statement = select(MedicalGroup).where(
            MedicalGroup.health_system_id == g.tenant.id, MedicalGroup.slug.in_(value)
        )
        found = {group.slug: group for group in db.session.scalars(statement)}
        missing = [slug for slug in value if slug not in found]
        if missing:
            raise NotFound(
                f"There is no medical-groups with id {missing[0]!r}.",
                pointer="/data/attributes/medical-groups",
            )
        provider.medical_groups = [found[slug] for slug in value]


def text_list():
    """A list of short texts: languages, backgrounds, subspecialties."""
    return fields.List(
        fields.Str(validate=validate.Length(1, 100)), validate=validate.Length(max=50)
    )


class ProviderSchema(Schema):
    id = fields.Str(attribute="slug")
    name = fields.Str(required=True, validate=not_blank)
    suffix = fields.Str(allow_none=True)
    credentials = fields.Str(allow_none=True)
    provider_type = fields.Str(validate=validate.OneOf(PROVIDER_TYPES))
    gender = fields.Str(allow_none=True, validate=validate.OneOf(GENDERS))
    affiliation = fields.Str(allow_none=True, validate=validate.OneOf(AFFILIATIONS))
    bio = fields.Str(allow_none=True, validate=validate.Length(max=10_000))
    backgrounds = text_list()
    subspecialties = text_list()
    languages = text_list()
    grad_school = fields.Str(allow_none=True)
    undergrad_school = fields.Str(allow_none=True)
    card_image = fields.Str(allow_none=True, validate=URL)
    profile_image = fields.Str(allow_none=True, validate=URL)
    # What the provider's schedules offer: set on the schedules, not here.
    appointment_types = Computed(search.offered_appointment_types)
    # Written in the shape it is read: [{"id": ...}] ("name" may be sent back; it is ignored).
    medical_groups = Computed(search.medical_groups, load=read_summary_ids)
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
    "near": Filter(rank=partial(search.nearest_first, tenant=TENANT)),
    "search": search_filter(Provider),
}

providers = ProviderResource(
    ProviderSchema,
    Provider,
    default_sort=("name",),
    filters=FILTERS,
)
blueprint = catalog_blueprint(providers)

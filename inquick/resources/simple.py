"""services and medical-groups: named catalog entries with nothing else to them."""

from marshmallow_jsonapi import Schema, fields

from inquick.models import MedicalGroup, Service
from inquick.resources.base import (
    CatalogResource,
    catalog_blueprint,
    dasherize,
    not_blank,
    search_filter,
)


class ServiceSchema(Schema):
    id = fields.Str(attribute="slug")
    name = fields.Str(required=True, validate=not_blank)

    class Meta:
        type_ = "services"
        inflect = dasherize


class MedicalGroupSchema(Schema):
    id = fields.Str(attribute="slug")
    name = fields.Str(required=True, validate=not_blank)

    class Meta:
        type_ = "medical-groups"
        inflect = dasherize


services = CatalogResource(
    ServiceSchema, Service, default_sort=("name",), filters={"search": search_filter(Service)}
)
medical_groups = CatalogResource(MedicalGroupSchema, MedicalGroup, default_sort=("name",))
services_blueprint = catalog_blueprint(services)
medical_groups_blueprint = catalog_blueprint(medical_groups, aliases=("medical_groups",))

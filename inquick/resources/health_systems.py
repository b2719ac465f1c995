"""health-systems: the caller's own health system."""

from flask import g
from marshmallow_jsonapi import Schema, fields

from inquick.models import HealthSystem
from inquick.resources.base import CatalogResource, catalog_blueprint, dasherize


class HealthSystemSchema(Schema):
    id = fields.Str(attribute="slug")
    name = fields.Str(required=True)
    use_gtm_container = fields.Bool()
    disable_google_indexing = fields.Bool()
    gtm_container = fields.Str(allow_none=True)
    gtag_conversion_event_id = fields.Str(allow_none=True)
    gtag_id = fields.Str(allow_none=True)

    class Meta:
        type_ = "health-systems"
        inflect = dasherize


class HealthSystemResource(CatalogResource):
    def scoped(self, statement):
        return statement.where(HealthSystem.id == g.tenant.id)


health_systems = HealthSystemResource(HealthSystemSchema, HealthSystem, default_sort=("name",))
blueprint = catalog_blueprint(health_systems, aliases=("health_systems",))

"""health-systems: the caller's own health system."""

from marshmallow_jsonapi import Schema, fields

from inquick.auth.keys import require_scope
from inquick.jsonapi.write_views import refuse
from inquick.models import HealthSystem
from inquick.resources.base import (
    TENANT,
    URL,
    CatalogResource,
    catalog_blueprint,
    dasherize,
    not_blank,
)


class HealthSystemSchema(Schema):
    id = fields.Str(attribute="slug")
    name = fields.Str(required=True, validate=not_blank)
    use_gtm_container = fields.Bool()
    disable_google_indexing = fields.Bool()
    gtm_container = fields.Str(allow_none=True)
    gtag_conversion_event_id = fields.Str(allow_none=True)
    gtag_id = fields.Str(allow_none=True)
    # SMART Scheduling Links: slots published at /fhir/r4/{hostname}/$bulk-publish (no key),
    # their booking deep links opening `booking-url`.
    publishes_slots = fields.Bool()
    booking_url = fields.Str(allow_none=True, validate=URL)

    class Meta:
        type_ = "health-systems"
        inflect = dasherize


class HealthSystemResource(CatalogResource):
    def scoped(self, statement):
        return statement.where(HealthSystem.id == TENANT)


health_systems = HealthSystemResource(HealthSystemSchema, HealthSystem, default_sort=("name",))
blueprint = catalog_blueprint(health_systems, aliases=("health_systems",), write_methods={"PATCH"})
# A key belongs to one health system: systems are created and removed by the operator.
refuse_system_change = require_scope("catalog:write")(
    refuse("Health systems are created and removed by the deployment's operator.")
)
for path in ("health-systems", "health_systems"):
    blueprint.add_url_rule(f"/{path}", f"create_{path}", refuse_system_change, methods=["POST"])
    blueprint.add_url_rule(
        f"/{path}/<object_id>", f"delete_{path}", refuse_system_change, methods=["DELETE"]
    )

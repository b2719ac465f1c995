"""insurance-plans: the plans a health system's schedules accept."""

from marshmallow_jsonapi import Schema, fields

from inquick.catalog.schedules import accepted_by_active_schedules
from inquick.models import InsurancePlan
from inquick.resources.base import CatalogResource, catalog_blueprint, dasherize, not_blank


class InsurancePlanSchema(Schema):
    id = fields.Str(attribute="slug")
    company = fields.Str(required=True, validate=not_blank)
    name = fields.Str(required=True, validate=not_blank)
    # Accepted wherever no schedule, location or region says otherwise.
    accepted_by_default = fields.Bool()

    class Meta:
        type_ = "insurance-plans"
        inflect = dasherize


class InsurancePlanResource(CatalogResource):
    """The list publishes the plans an active schedule accepts; every plan has its URL."""

    def list_query(self):
        return super().list_query().where(accepted_by_active_schedules())


insurance_plans = InsurancePlanResource(
    InsurancePlanSchema, InsurancePlan, default_sort=("company", "name")
)
blueprint = catalog_blueprint(insurance_plans, aliases=("insurance_plans",))

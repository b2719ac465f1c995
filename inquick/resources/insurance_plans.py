"""insurance-plans: the plans a health system's schedules accept."""

from marshmallow_jsonapi import Schema, fields

from inquick.models import InsurancePlan
from inquick.resources.base import CatalogResource, catalog_blueprint, dasherize


class InsurancePlanSchema(Schema):
    id = fields.Str(attribute="slug")
    company = fields.Str(required=True)
    name = fields.Str(required=True)

    class Meta:
        type_ = "insurance-plans"
        inflect = dasherize


insurance_plans = CatalogResource(
    InsurancePlanSchema, InsurancePlan, default_sort=("company", "name")
)
blueprint = catalog_blueprint(insurance_plans, aliases=("insurance_plans",))

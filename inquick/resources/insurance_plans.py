"""insurance-plans: the plans a health system's schedules accept."""

from marshmallow_jsonapi import Schema, fields

from inquick.catalog.schedules import accepted_by_active_schedules
from inquick.models import InsurancePlan
from inquick.resources.base import CatalogResource, catalog_blueprint, dasherize


class InsurancePlanSchema(Schema):
    id = fields.Str(attribute="slug")
    company = fields.Str(required=True)
    name = fields.Str(required=True)

    class Meta:
        type_ = "insurance-plans"
        inflect = dasherize


class InsurancePlanResource(CatalogResource):
    """Published plans are those an active schedule accepts."""

    def scoped(self, statement):
        return super().scoped(statement).where(accepted_by_active_schedules())


insurance_plans = InsurancePlanResource(
    InsurancePlanSchema, InsurancePlan, default_sort=("company", "name")
)
blueprint = catalog_blueprint(insurance_plans, aliases=("insurance_plans",))

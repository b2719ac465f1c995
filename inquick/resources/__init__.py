"""The API's resources: one blueprint per type, mounted under every API prefix."""

from inquick.auth.callers import API_PREFIXES
from inquick.jsonapi.resource import register
from inquick.resources import (
    api_keys,
    appointment_types,
    availability,
    bookings,
    health_systems,
    insurance_plans,
    locations,
    providers,
    schedules,
    simple,
    validations,
    visit_settings,
    visit_tokens,
    visits,
    webhook_deliveries,
    webhook_endpoints,
)

# The types relationships, `include` and `fields[TYPE]` may name: registered here, in one
# place, rather than by each declaration as it is built.
register(
    health_systems.health_systems,
    locations.locations,
    simple.services,
    simple.medical_groups,
    appointment_types.appointment_types,
    insurance_plans.insurance_plans,
    providers.providers,
    schedules.schedules,
    visits.visits,
    visit_settings.visit_settings,
    validations.validations,
    api_keys.api_keys,
    webhook_endpoints.webhook_endpoints,
    webhook_deliveries.webhook_deliveries,
)


def init_app(app):
    """Mount every resource's blueprint under each API prefix."""
    blueprints = [
        health_systems.blueprint,
        locations.blueprint,
        simple.services_blueprint,
        simple.medical_groups_blueprint,
        appointment_types.blueprint,
        insurance_plans.blueprint,
        providers.blueprint,
        schedules.blueprint,
        availability.blueprint,
        visit_tokens.blueprint,
        visits.blueprint,
        bookings.blueprint,
        visit_settings.blueprint,
        validations.blueprint,
        api_keys.blueprint,
        webhook_endpoints.blueprint,
        webhook_deliveries.blueprint,
    ]
    for blueprint in blueprints:
        for index, prefix in enumerate(API_PREFIXES):
            name = blueprint.name if index == 0 else f"{blueprint.name}-v3"
            app.register_blueprint(blueprint, url_prefix=prefix, name=name)

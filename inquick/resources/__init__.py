"""The API's resources: one blueprint per type, mounted under every API prefix."""

from inquick.auth.tenancy import API_PREFIXES


def init_app(app):
    from inquick.resources import (
        api_keys,
        appointment_types,
        availability,
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
    )

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
        visit_settings.blueprint,
        validations.blueprint,
        api_keys.blueprint,
    ]
    for blueprint in blueprints:
        for index, prefix in enumerate(API_PREFIXES):
            name = blueprint.name if index == 0 else f"{blueprint.name}-v3"
            app.register_blueprint(blueprint, url_prefix=prefix, name=name)

"""What every catalog type shares: tenant scoping, dasherized names, read scope."""

from flask import Blueprint, g

from inquick.auth.keys import require_scope
from inquick.jsonapi.resource import Resource
from inquick.jsonapi.views import add_resource_routes


def dasherize(name):
    return name.replace("_", "-")


class CatalogResource(Resource):
    """A type whose rows belong to one health system; requests see only the caller's."""

    def scoped(self, statement):
        return statement.where(self.model.health_system_id == g.tenant.id)


def catalog_blueprint(resource, aliases=()):
    """The blueprint serving a catalog type's read endpoints under `catalog:read`."""
    blueprint = Blueprint(resource.type, __name__)
    add_resource_routes(
        blueprint, resource, decorators=[require_scope("catalog:read")], aliases=aliases
    )
    return blueprint

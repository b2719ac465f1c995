"""What every catalog type shares: tenant scoping, slugs, dasherized names, RFC 3339
times, scopes."""

from flask import Blueprint, g
from marshmallow import ValidationError, validate
from sqlalchemy import Integer, bindparam

from inquick.auth.keys import require_scope
from inquick.booking.schedule_rules import bookable_schedules
from inquick.catalog.search import SearchOf
from inquick.catalog.slugs import free_slug, is_slug, slug_taken
from inquick.extensions import db
from inquick.jsonapi.conditional import revalidated
from inquick.jsonapi.errors import Conflict, NotFound, Unprocessable
from inquick.jsonapi.resource import Filter, Resource
from inquick.jsonapi.views import add_resource_routes
from inquick.jsonapi.write_views import add_write_routes
from inquick.models import Schedule
from inquick.models.base import as_utc
from inquick.models.catalog_state import CATALOG_VERSION

# Validators shared by the catalog schemas.
URL = validate.URL(schemes={"http", "https"})


def not_blank(value):
    if not value.strip():
        raise ValidationError("must not be blank")


def dasherize(name):
    return name.replace("_", "-")


def moment(value):
    """RFC 3339 with its offset, also for the naive UTC times SQLite hands back."""
    return as_utc(value).isoformat() if value is not None else None


# The caller's health system, read each time a statement runs: read statements are built
# once and run again for other requests (and other callers).
TENANT = bindparam("tenant", callable_=lambda: g.tenant.id, type_=Integer)


class CatalogResource(Resource):
    """A type whose rows belong to one health system; requests see only the caller's."""

    def scoped(self, statement):
        return statement.where(self.model.health_system_id == TENANT)

    def new_object(self, object_id, values):
        """A row of the caller's health system, under the client's slug or one from its name."""
        if object_id is None:
            fallback = self.type.rstrip("s")
            slug = free_slug(db.session, self.model, g.tenant.id, values.get("name", ""), fallback)
        elif not is_slug(object_id):
            raise Unprocessable(
                "An id is lowercase letters and digits in words joined by dashes "
                "(at most 100 characters).",
                pointer="/data/id",
            )
        elif slug_taken(db.session, self.model, g.tenant.id, object_id):
            raise Conflict(f"The {self.type} id {object_id!r} is taken.", pointer="/data/id")
        else:
            slug = object_id
        return self.model(health_system_id=g.tenant.id, slug=slug)


def caller_scope():
    """What tells apart what callers see of the catalog: their health system."""
    return g.tenant.id


# Every catalog read: the scope, then ETag and 304 (the scope is checked first: a key
# without it learns nothing, not even that nothing changed).
CATALOG_READ = (require_scope("catalog:read"), revalidated(CATALOG_VERSION, caller_scope))


def catalog_blueprint(resource, aliases=(), write_methods=None):
    """The blueprint serving a catalog type: reads under `catalog:read`, writes under
    `catalog:write`."""
    blueprint = Blueprint(resource.type, __name__)
    add_resource_routes(blueprint, resource, decorators=CATALOG_READ, aliases=aliases)
    add_write_routes(
        blueprint,
        resource,
        decorators=[require_scope("catalog:write")],
        aliases=aliases,
        methods=write_methods,
    )
    return blueprint


def active_schedules():
    """The caller's active schedules, with everything booking reads of them loaded."""
    return bookable_schedules(g.tenant.id)


def active_schedule(schedule_id, parameter=None):
    """One of the caller's active schedules, with its rules loaded, or a 404."""
    schedule = db.session.scalar(active_schedules().where(Schedule.id == schedule_id))
    if schedule is None:
        raise NotFound(f"No schedule {schedule_id!r}.", parameter=parameter)
    return schedule


def search_filter(model):
    """`filter[search]` on a `Searchable` type: it restricts, and ranks unless sorted."""
    search = SearchOf(model)
    return Filter(search.condition, rank=search.rank, bound=search.bound)

"""What every catalog type shares: tenant scoping, dasherized names, read scope."""

from flask import Blueprint, g
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from inquick.auth.keys import require_scope
from inquick.extensions import db
from inquick.jsonapi.errors import NotFound
from inquick.jsonapi.resource import Resource
from inquick.jsonapi.views import add_resource_routes
from inquick.models import Schedule


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


def active_schedules():
    """The caller's active schedules, with everything booking reads of them loaded."""
    return (
        select(Schedule)
        .where(Schedule.health_system_id == g.tenant.id, Schedule.active.is_(True))
        .options(
            selectinload(Schedule.weekly_windows),
            selectinload(Schedule.exceptions),
            selectinload(Schedule.appointment_types),
            selectinload(Schedule.visit_settings),
            selectinload(Schedule.visit_validations),
        )
    )


def active_schedule(schedule_id, parameter=None):
    """One of the caller's active schedules, with its rules loaded, or a 404."""
    schedule = db.session.scalar(active_schedules().where(Schedule.id == schedule_id))
    if schedule is None:
        raise NotFound(f"No schedule {schedule_id!r}.", parameter=parameter)
    return schedule

"""Schedule, appointment-type and insurance-plan filters."""

from sqlalchemy import and_, func, or_, select

from inquick.catalog.filters import one_or_more
from inquick.catalog.providers import of_provider_type
from inquick.models import AppointmentType, InsurancePlan, Provider, Schedule, Service
from inquick.models.catalog import CONTEXTS
from inquick.models.coverage import effective
from inquick.sql import JsonListContains

# `filter[context]` takes the stored contexts in any case; they are matched so, too.
FILTER_CONTEXTS = tuple(context.lower() for context in CONTEXTS)


def held_by_provider_type(value):
    """Schedules whose provider is of the type (a provider type, in any case)."""
    return Schedule.provider.has(
        and_(of_provider_type(value), Provider.health_system_id == Schedule.health_system_id)
    )


def offered_in_context(value):
    """Appointment types offered in the context (one of CONTEXTS, in any case)."""
    contexts = one_or_more(value, FILTER_CONTEXTS)
    return or_(*(JsonListContains(AppointmentType.contexts, c) for c in contexts))


def offered_for_service(value):
    """Appointment types of a service, named by its name (the reference's form) or its id."""
    wanted = [item.lower() for item in one_or_more(value)]
    return AppointmentType.services.any(
        and_(
            or_(func.lower(Service.name).in_(wanted), Service.slug.in_(wanted)),
            Service.health_system_id == AppointmentType.health_system_id,
        )
    )


def accepted_by_active_schedules():
    """Plans some active schedule accepts, through the override chain."""
    accepted = (
        select(effective.c.insurance_plan_id)
        .join(Schedule, Schedule.id == effective.c.schedule_id)
        .where(
            Schedule.active,
            Schedule.health_system_id == InsurancePlan.health_system_id,
        )
    )
    return InsurancePlan.id.in_(accepted)

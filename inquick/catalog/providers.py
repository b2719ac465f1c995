"""Provider search: the filters of contract section 4, all in SQL.

Filters about what a provider offers (service, appointment type, insurance, hours,
new patients) must all hold on one and the same active schedule: a doctor who sees
children at one clinic and takes a plan at another does not match "pediatrics and that
plan". Filters about the provider itself (gender, language…) apply to the provider row.
"""

from datetime import time

from sqlalchemy import and_, exists, func, or_, select

from inquick.catalog.filters import boolean, one_or_more
from inquick.catalog.geo import haversine_term, parse_point
from inquick.models import (
    AppointmentType,
    InsurancePlan,
    Location,
    MedicalGroup,
    Provider,
    Schedule,
    Service,
    WeeklyWindow,
)
from inquick.models.catalog import provider_medical_groups
from inquick.models.schedules import schedule_appointment_types
from inquick.sql import CodePointOrder, JsonListContains, json_list

# Local-time periods, [start, end): a window overlapping a period makes the provider match.
PERIODS = {
    "morning": (time(5), time(12)),
    "afternoon": (time(12), time(18)),
    "evening": (time(18), None),
}
PROVIDER_TYPES = {"practitioner": "Practitioner", "healthresource": "HealthResource"}


# Conditions on one schedule (combined into a single EXISTS by `with_schedule`).


# Each condition also names the schedule's health system: ids are slugs, unique only
# within one system, so a link to another system's row can never satisfy a filter.


def offers_service(value):
    slugs = one_or_more(value)
    return Schedule.service_id.in_(
        select(Service.id).where(
            Service.slug.in_(slugs), Service.health_system_id == Schedule.health_system_id
        )
    )


def offers_appointment_type(value):
    slugs = one_or_more(value)
    return Schedule.appointment_types.any(
        and_(
            AppointmentType.slug.in_(slugs),
            AppointmentType.health_system_id == Schedule.health_system_id,
        )
    )


def accepts_insurance(value):
    slugs = one_or_more(value)
    return Schedule.effective_insurance_plans.any(
        and_(
            InsurancePlan.slug.in_(slugs),
            InsurancePlan.health_system_id == Schedule.health_system_id,
        )
    )


def accepts_new_patients(value):
    """ "true": a schedule accepting new patients; "false": no restriction."""
    return Schedule.accepting_new_patients.is_(True) if boolean(value) else None


def open_during(value):
    """A weekly window overlapping the period, in the schedule's local time.

    Windows are stored in local wall-clock time, so the comparison needs no conversion:
    an evening window in Denver is an evening window whatever UTC says.
    """
    periods = []
    for name in one_or_more(value, tuple(PERIODS)):
        start, end = PERIODS[name]
        overlap = WeeklyWindow.closes_at > start
        if end is not None:
            overlap = and_(overlap, WeeklyWindow.opens_at < end)
        periods.append(overlap)
    return Schedule.weekly_windows.any(or_(*periods))


SCHEDULE_CONDITIONS = {
    "service": offers_service,
    "appointment-type": offers_appointment_type,
    "insurance": accepts_insurance,
    "accepting-new-patients": accepts_new_patients,
    "hours-availability": open_during,
}


def with_schedule(conditions):
    """Providers with one active schedule meeting every condition."""
    return exists().where(
        Schedule.provider_id == Provider.id, Schedule.active.is_(True), *conditions
    )


# Conditions on the provider row.


def of_gender(value):
    return Provider.gender.in_(one_or_more(value, ("female", "male")))


def of_affiliation(value):
    return Provider.affiliation.in_(one_or_more(value, ("employed", "affiliated")))


def of_provider_type(value):
    kinds = one_or_more(value, tuple(PROVIDER_TYPES))
    return Provider.provider_type.in_([PROVIDER_TYPES[k] for k in kinds])


def speaking(value):
    return or_(*(JsonListContains(Provider.languages, lang) for lang in one_or_more(value)))


def in_medical_group(value):
    slugs = one_or_more(value)
    return exists().where(
        provider_medical_groups.c.provider_id == Provider.id,
        provider_medical_groups.c.medical_group_id == MedicalGroup.id,
        MedicalGroup.slug.in_(slugs),
        MedicalGroup.health_system_id == Provider.health_system_id,
    )


PROVIDER_CONDITIONS = {
    "gender": of_gender,
    "affiliation": of_affiliation,
    "provider-type": of_provider_type,
    "language": speaking,
    "medical-group": in_medical_group,
}


def nearest_first(value):
    """The order of providers by the distance of their nearest active location."""
    lat, lng = parse_point(value)
    nearness = (
        select(func.min(haversine_term(lat, lng, Location.latitude, Location.longitude)))
        .join(Schedule, Schedule.location_id == Location.id)
        .where(Schedule.provider_id == Provider.id, Schedule.active.is_(True))
        .scalar_subquery()
    )
    # Providers without a located schedule come last (`a` never exceeds 1).
    return func.coalesce(nearness, 2)


# A provider's list-shaped attributes, built by the database with the provider's row.


def offered_appointment_types():
    """`[{id, name}]` of the types the provider's active schedules offer, highest priority
    first (then by id)."""
    offered = (
        select(schedule_appointment_types.c.appointment_type_id)
        .join(Schedule, Schedule.id == schedule_appointment_types.c.schedule_id)
        .where(Schedule.provider_id == Provider.id, Schedule.active.is_(True))
        .correlate(Provider)
    )
    rows = (
        select(AppointmentType.slug, AppointmentType.name)
        .where(AppointmentType.id.in_(offered))
        .order_by(AppointmentType.priority, CodePointOrder(AppointmentType.slug))
    )
    return json_list(rows, ("id", "name"), correlate=[Provider])


def medical_groups():
    """`[{id, name}]` of the provider's medical groups, by id."""
    rows = (
        select(MedicalGroup.slug, MedicalGroup.name)
        .join(
            provider_medical_groups, provider_medical_groups.c.medical_group_id == MedicalGroup.id
        )
        .where(provider_medical_groups.c.provider_id == Provider.id)
        .order_by(MedicalGroup.slug)
    )
    return json_list(rows, ("id", "name"), correlate=[Provider])

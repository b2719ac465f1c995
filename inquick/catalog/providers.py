"""Provider search: the filters of contract section 4, all in SQL.

Filters about what a provider offers (service, appointment type, insurance, hours,
new patients) must all hold on one and the same active schedule: a doctor who sees
children at one clinic and takes a plan at another does not match "pediatrics and that
plan". Filters about the provider itself (gender, language…) apply to the provider row.
"""

from dataclasses import dataclass
from datetime import time

from sqlalchemy import and_, exists, literal, null, or_, select, true, tuple_, union_all

from inquick.catalog.filters import boolean, one_or_more
from inquick.catalog.geo import haversine_term, point_values
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
from inquick.models.catalog import AFFILIATIONS, GENDERS, PROVIDER_TYPES, provider_medical_groups
from inquick.models.coverage import effective
from inquick.models.schedules import schedule_appointment_types
from inquick.sql import CodePointOrder, JsonListContains, json_list

# Local-time periods, [start, end): a window overlapping a period makes the provider match.
PERIODS = {
    "morning": (time(5), time(12)),
    "afternoon": (time(12), time(18)),
    "evening": (time(18), None),
}
# `filter[provider-type]` takes the stored types in any case: `healthresource`.
STORED_PROVIDER_TYPES = {kind.lower(): kind for kind in PROVIDER_TYPES}


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
    """The schedule accepts one of the plans, through the override chain.

    Asked of the resolution for this schedule alone: PostgreSQL pushes the schedule's id
    into every arm of the union, so each schedule costs a few index lookups.
    """
    plans = (
        select(InsurancePlan.id)
        .where(
            InsurancePlan.slug.in_(one_or_more(value)),
            InsurancePlan.health_system_id == Schedule.health_system_id,
        )
        .correlate(Schedule)
    )
    return (
        exists()
        .where(effective.c.schedule_id == Schedule.id, effective.c.insurance_plan_id.in_(plans))
        .correlate(Schedule)
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
    return exists().where(Schedule.provider_id == Provider.id, Schedule.active, *conditions)


# Conditions on the provider row.


def of_gender(value):
    """Providers of the gender(s), which a refusal lists alphabetically: `female, male`."""
    return Provider.gender.in_(one_or_more(value, sorted(GENDERS)))


def of_affiliation(value):
    return Provider.affiliation.in_(one_or_more(value, AFFILIATIONS))


def of_provider_type(value):
    kinds = one_or_more(value, tuple(STORED_PROVIDER_TYPES))
    return Provider.provider_type.in_([STORED_PROVIDER_TYPES[k] for k in kinds])


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


@dataclass(frozen=True)
class NearestFirst:
    """Providers by the distance of their nearest located active schedule, nearest first.

    Rather than working out every provider's nearest location and sorting them all, the
    page walks the health system's locations nearest first, taking at each the providers
    it is nearest for, and stops once the page is full: its cost follows the page, not
    the catalog. Providers with no located active schedule come after all the others, at
    a last stop at distance 2 (the haversine `a` never exceeds 1).
    """

    values: dict
    tenant: object

    def page(self, where, order, limit, offset, dialect):
        located = select(
            Location.id.label("id"),
            haversine_term(Location.latitude, Location.longitude).label("distance"),
        ).where(
            Location.health_system_id == self.tenant,
            Location.latitude.is_not(None),
            Location.longitude.is_not(None),
        )
        stops = union_all(located, select(null(), literal(2.0))).cte("stops")
        walk = select(stops).order_by(stops.c.distance, stops.c.id).subquery("walk")
        other = Schedule.__table__.alias("other_schedules")
        nearer = Location.__table__.alias("other_locations")
        # Taken where it is nearest: no active schedule of it is at a nearer location (or
        # an equally near one that comes first). The same arithmetic gives the same
        # distances as the stops'.
        nearer_distance = haversine_term(nearer.c.latitude, nearer.c.longitude)
        nearest_here = ~(
            select(other.c.provider_id)
            .select_from(other.join(nearer, other.c.location_id == nearer.c.id))
            .where(
                other.c.provider_id == Provider.id,
                other.c.active,
                tuple_(nearer_distance, nearer.c.id) < tuple_(walk.c.distance, walk.c.id),
            )
            .correlate(Provider, walk)
            .exists()
        )
        here = Provider.id.in_(
            select(Schedule.provider_id)
            .where(Schedule.location_id == walk.c.id, Schedule.active)
            .correlate(walk)
        )
        keys = [expression.label(f"s{n}") for n, (expression, _) in enumerate(order, 1)]
        directions = [descending for _, descending in order]
        if dialect == "postgresql":
            # LATERAL makes PostgreSQL take the stops one by one, in order, and stop.
            at_stop = select(Provider.id.label("key"), *keys).where(here, where, nearest_here)
            at_last = select(Provider.id.label("key"), *keys).where(
                walk.c.id.is_(None), where, nearest_here
            )
            candidates = union_all(at_stop, at_last).lateral("candidates")
            columns = [candidates.c[f"s{n}"] for n in range(1, len(keys) + 1)]
            statement = select(candidates.c.key, walk.c.distance.label("s0"), *columns).select_from(
                walk.join(candidates, true())
            )
        else:  # SQLite has no LATERAL: the same conditions, joined.
            taken = and_(or_(here, walk.c.id.is_(None)), where, nearest_here)
            statement = select(
                Provider.id.label("key"), walk.c.distance.label("s0"), *keys
            ).select_from(walk.join(Provider, taken))
            columns = keys
        ordering = [
            column.desc() if d else column.asc()
            for column, d in zip(columns, directions, strict=True)
        ]
        return statement.order_by(walk.c.distance, *ordering).limit(limit).offset(offset)


def nearest_first(value, tenant):
    """The ranking of `filter[near]`: `tenant` is the SQL for the caller's health system."""
    return NearestFirst(point_values(value), tenant)


# A provider's list-shaped attributes, built by the database with the provider's row.


def offered_appointment_types():
    """`[{id, name}]` of the types the provider's active schedules offer, highest priority
    first (then by id)."""
    offered = (
        select(schedule_appointment_types.c.appointment_type_id)
        .join(Schedule, Schedule.id == schedule_appointment_types.c.schedule_id)
        .where(Schedule.provider_id == Provider.id, Schedule.active)
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

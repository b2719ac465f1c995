"""The rows FHIR resources are written from: the JSON:API declarations of the same types,
read through the same read path, with what FHIR shows beside them and its search filters.

Each source extends a JSON:API schema (so every attribute is read as JSON:API reads it)
with the columns FHIR needs besides (when a row last changed), and declares the filters
of the FHIR search parameters over the same tables. Filter values arrive normalized by
`inquick.fhir.search`: a tuple of occurrences (all must hold), each a tuple of
alternatives (any may).
"""

from math import pi, sin

from flask import g
from sqlalchemy import Float, and_, bindparam, false, func, or_, select

from inquick.catalog.geo import haversine_term, point_values
from inquick.extensions import db
from inquick.fhir.ids import slugs_named
from inquick.jsonapi.fields import Computed
from inquick.jsonapi.resource import Filter
from inquick.models import Location, Provider, Schedule, Service, Visit
from inquick.models.base import as_utc
from inquick.resources.base import CatalogResource
from inquick.resources.locations import LocationSchema
from inquick.resources.providers import ProviderSchema
from inquick.resources.schedules import ScheduleResource, ScheduleSchema
from inquick.resources.simple import ServiceSchema
from inquick.resources.visits import VisitSchema, local_time

# The mean radius of the Earth, for `near`'s distance.
EARTH_KM = 6371.0088
NEAR_LIMIT = "near_limit"


def instant(moment):
    """A stored time as a FHIR instant (UTC, to the second)."""
    return as_utc(moment).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def last_updated(model):
    return Computed(model.updated_at, convert=instant)


def every(occurrences, clause):
    """All occurrences hold, each when any of its alternatives does."""
    return and_(*(or_(false(), *map(clause, alternatives)) for alternatives in occurrences))


def bound_filter(key, *parts):
    """A filter whose values are bound by name when its statement runs, so one statement
    serves every value (values built into a statement would build and cache one per id).
    Each part is (clause(parameter), values(alternatives)): an occurrence holds when any
    part's clause does with its values bound as the expanding `parameter`."""

    def name(occurrence, part):
        return f"fhir_{key}_{occurrence}_{part}".replace("-", "_")

    def holds(n):
        clauses = [
            clause(bindparam(name(n, p), expanding=True)) for p, (clause, _) in enumerate(parts)
        ]
        return or_(*clauses)

    def condition(occurrences):
        return and_(*map(holds, range(len(occurrences))))

    def bound(occurrences):
        values = {
            name(n, p): tuple(read(alternatives))
            for n, alternatives in enumerate(occurrences)
            for p, (_, read) in enumerate(parts)
        }
        return len(occurrences), values

    return Filter(condition, bound=bound)


def slugs_of(model, fhir_ids):
    """The slugs of the caller's `model` rows the FHIR ids name."""
    return slugs_named(db.session, model, g.tenant.id, fhir_ids)


def with_slugs(model):
    """`_id` of a catalog type: its slug is one the ids name."""
    return bound_filter("_id", (model.slug.in_, lambda ids: slugs_of(model, ids)))


def with_ids(column):
    """`_id` of a type whose FHIR id is its id."""
    return bound_filter("_id", (column.in_, lambda ids: ids))


def updated(column):
    """`_lastUpdated`: the row's update time meets every criterion."""
    return Filter(lambda criteria: and_(*(c.condition(column) for c in criteria)))


def referenced(relationship, model, kinds):
    """A part of a reference filter: a row of `model` (FHIR type one of `kinds`, or
    unnamed) that the reference names by its id."""

    def clause(slugs):
        return relationship.has(
            and_(model.slug.in_(slugs), model.health_system_id == Schedule.health_system_id)
        )

    def read(pairs):
        return slugs_of(model, [fhir_id for kind, fhir_id in pairs if kind in (None, *kinds)])

    return clause, read


class LocationSource(LocationSchema):
    last_updated = last_updated(Location)


def in_state(occurrences):
    """FHIR string matching: the state starts with the value, in any case."""
    return every(
        occurrences,
        lambda state: func.lower(Location.state).startswith(state.lower(), autoescape=True),
    )


def near(point):
    """Locations within the distance of the point (SQL bound when the statement runs)."""
    limit = bindparam(NEAR_LIMIT, type_=Float)
    term = haversine_term(Location.latitude, Location.longitude)
    return and_(Location.latitude.is_not(None), Location.longitude.is_not(None), term <= limit)


def near_values(point):
    """The bound values of `near`: the point, and the haversine `a` of the distance."""
    latitude, longitude, kilometres = point
    half_angle = min(kilometres / (2 * EARTH_KM), pi / 2)
    values = point_values(f"{latitude},{longitude}")
    return None, {**values, NEAR_LIMIT: sin(half_angle) ** 2}


def named_catalog(source, model, **filters):
    """The catalog type `model`, read through `source`, in name order, searched by `_id`,
    `_lastUpdated` and its own `filters`."""
    return CatalogResource(
        source,
        model,
        default_sort=("name",),
        filters={
            "_id": with_slugs(model),
            "_lastUpdated": updated(model.updated_at),
            **filters,
        },
    )


locations = named_catalog(
    LocationSource,
    Location,
    **{"address-state": Filter(in_state), "near": Filter(near, bound=near_values)},
)


class ProviderSource(ProviderSchema):
    last_updated = last_updated(Provider)


providers = named_catalog(ProviderSource, Provider)


class ServiceSource(ServiceSchema):
    last_updated = last_updated(Service)


services = named_catalog(ServiceSource, Service)


class ScheduleSource(ScheduleSchema):
    last_updated = last_updated(Schedule)


def with_service(occurrences):
    return every(
        occurrences,
        lambda code: Schedule.service.has(
            and_(Service.slug == code, Service.health_system_id == Schedule.health_system_id)
        ),
    )


PRACTITIONER = referenced(Schedule.provider, Provider, ("Practitioner",))
LOCATION = referenced(Schedule.location, Location, ("Location",))


# Schedules are both Schedule and PractitionerRole resources: one source, each type
# taking the parameters it declares.
schedules = ScheduleResource(
    ScheduleSource,
    Schedule,
    default_sort=("sort-order", "name"),
    filters={
        "_id": with_ids(Schedule.id),
        "_lastUpdated": updated(Schedule.updated_at),
        "service-type": Filter(with_service),
        # A schedule's actors: its practitioner and its location.
        "actor": bound_filter("actor", PRACTITIONER, LOCATION),
        "practitioner": bound_filter("practitioner", PRACTITIONER),
        "location": bound_filter("location", LOCATION),
    },
)


def visit_zone():
    return select(Schedule.time_zone_name).where(Schedule.id == Visit.schedule_id).scalar_subquery()


class VisitSource(VisitSchema):
    ends_at = Computed((Visit.ends_at, visit_zone()), convert=local_time)
    created_at = Computed(Visit.created_at, convert=instant)
    last_updated = last_updated(Visit)


def starts(criteria):
    return and_(*(c.condition(Visit.starts_at) for c in criteria))


def with_status(occurrences):
    return every(occurrences, lambda status: Visit.status == status)


visits = CatalogResource(
    VisitSource,
    Visit,
    default_sort=("appointment-at",),
    extra_sorts={"appointment-at": Visit.starts_at},
    filters={
        "_id": with_ids(Visit.id),
        "_lastUpdated": updated(Visit.updated_at),
        "date": Filter(starts),
        "status": Filter(with_status),
    },
)

"""The FHIR types served: each one's scope, search parameters, includes, reads and searches.

This table is what the routes serve and what the CapabilityStatement lists, so the two
cannot disagree.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from inquick.fhir import sources
from inquick.fhir.appointments import (
    APPOINTMENT_FIELDS,
    APPOINTMENT_TREE,
    VISIT_STATUSES,
    appointment_resource,
)
from inquick.fhir.catalog import (
    PRACTITIONER_FIELDS,
    healthcare_service_resource,
    location_resource,
    practitioner_resource,
    practitioner_role_resource,
)
from inquick.fhir.ids import logical_id
from inquick.fhir.reads import Found, Rows, audit_reads
from inquick.fhir.schedules import (
    SCHEDULE_FIELDS,
    SCHEDULE_TREE,
    quarter_hour,
    schedule_resource,
)
from inquick.fhir.search import (
    SearchParameter,
    date_criteria,
    references,
    tokens,
)
from inquick.jsonapi.errors import InvalidQueryParameter
from inquick.resources.base import caller_scope

# Appointment statuses FHIR R4 defines (a search may name any; inquick's visits have four).
APPOINTMENT_STATUSES = ("proposed", "pending", "booked", "arrived", "fulfilled", "cancelled",
                        "noshow", "entered-in-error", "checked-in", "waitlist")  # fmt: skip
CATALOG_READ = "catalog:read"
# `near`'s distance when the client gives none, and the units it may be given in.
NEAR_KILOMETRES = 50.0
UNITS = {"km": 1.0, "m": 0.001, "mi": 1.609344, "[mi_i]": 1.609344}


@dataclass(frozen=True)
class FhirType:
    """A FHIR resource type served: `read(id, context)` answers a resource or None,
    `search(search, context)` a `Found`."""

    name: str
    scope: str
    parameters: tuple
    read: Callable
    search: Callable
    includes: tuple = ()
    # For catalog types: what tells apart the documents of one catalog version (the
    # caller's health system, and whatever else they depend on): their ETag's scope.
    revalidated_by: Callable = None

    @property
    def parameter_names(self):
        return {parameter.name for parameter in self.parameters}


# How search parameters' values are read into what their filters take.


def as_given(search, name, _context):
    return search.values(name)


def as_dates(search, name, _context):
    return date_criteria(search, name)


def as_service_codes(search, name, context):
    return tokens(search, name, context.service_system)


def reference_reader(*types):
    return lambda search, name, context: references(search, name, types, context.base)


def as_visit_statuses(search, name, _context):
    found = []
    for alternatives in search.values(name):
        unknown = [code for code in alternatives if code not in APPOINTMENT_STATUSES]
        if unknown:
            raise InvalidQueryParameter(
                f"{unknown[0]!r} is not an Appointment status.", parameter=name
            )
        found.append(tuple(VISIT_STATUSES[c] for c in alternatives if c in VISIT_STATUSES))
    return tuple(found)


def as_point(search, name, _context):
    """`near=lat|lon|distance|unit`: (latitude, longitude, kilometres)."""
    occurrences = search.values(name)
    if len(occurrences) > 1 or len(occurrences[0]) > 1:
        raise InvalidQueryParameter("near takes one point.", parameter=name)
    parts = occurrences[0][0].split("|")
    try:
        latitude, longitude = float(parts[0]), float(parts[1])
        distance = float(parts[2]) if len(parts) > 2 and parts[2] else NEAR_KILOMETRES
        unit = parts[3] if len(parts) > 3 and parts[3] else "km"
        if len(parts) > 4 or unit not in UNITS:
            raise ValueError
    except (ValueError, IndexError):
        raise InvalidQueryParameter(
            "near is latitude|longitude|distance|unit, e.g. 43.66|-70.26|25|km "
            f"(units: {', '.join(UNITS)}).",
            parameter=name,
        ) from None
    kilometres = distance * UNITS[unit]
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180 and 0 <= kilometres < 1e6):
        raise InvalidQueryParameter(
            "near needs a latitude in [-90,90], a longitude in [-180,180] and a distance "
            "of at least 0.",
            parameter=name,
        )
    return latitude, longitude, kilometres


ID = SearchParameter("_id", "token", "The resource's logical id.", as_given)
LAST_UPDATED = SearchParameter("_lastUpdated", "date", "When the resource last changed.", as_dates)
SERVICE_TYPE = SearchParameter(
    "service-type",
    "token",
    "The service offered: its id among the health system's JSON:API services "
    "(the coding's system).",
    as_service_codes,
)


def filters_of(search, parameters, context):
    """The source filters of a search: {parameter: (its value, its name)}."""
    return {
        parameter.name: (parameter.value(search, context), parameter.name)
        for parameter in parameters
        if parameter.name in search.criteria
    }


def row_type(name, scope, rows, parameters, includes=None, revalidated_by=None):
    """A type written from rows: reads by id, searches page through the rows."""
    includes = includes or {}
    if scope == CATALOG_READ and revalidated_by is None:
        revalidated_by = caller_scope

    def search(found_search, context):
        filters = filters_of(found_search, parameters, context)
        records, total = rows.page(filters, found_search.count, found_search.page)
        included = []
        for include in found_search.includes:
            included += includes[include](records, context)
        return Found([rows.write(r, context) for r in records], total, included)

    return FhirType(name, scope, parameters, rows.read, search, tuple(includes), revalidated_by)


LOCATIONS = Rows(sources.locations, location_resource)
PRACTITIONERS = Rows(
    sources.providers, practitioner_resource, fields={"providers": PRACTITIONER_FIELDS}
)
SERVICES = Rows(sources.services, healthcare_service_resource)
SCHEDULES = Rows(sources.schedules, schedule_resource, SCHEDULE_FIELDS, SCHEDULE_TREE)
ROLES = Rows(sources.schedules, practitioner_role_resource, SCHEDULE_FIELDS, SCHEDULE_TREE)
APPOINTMENTS = Rows(
    sources.visits, appointment_resource, APPOINTMENT_FIELDS, APPOINTMENT_TREE, audit_reads
)


def schedule_actors(records, context):
    """`_include=Schedule:actor`: the practitioners and locations of the schedules."""
    providers = [logical_id(record.related["provider"].id) for record in records]
    places = [logical_id(record.related["location"].id) for record in records]
    return [
        *(PRACTITIONERS.write(r, context) for r in PRACTITIONERS.by_ids(providers)),
        *(LOCATIONS.write(r, context) for r in LOCATIONS.by_ids(places)),
    ]


def schedules_scope():
    """A Schedule's planning horizon moves on at midnight: its documents are the caller's
    and the quarter hour's."""
    return f"{caller_scope()}:{quarter_hour(datetime.now(UTC)).isoformat()}"


TYPES = {
    found.name: found
    for found in (
        row_type(
            "Location",
            CATALOG_READ,
            LOCATIONS,
            (
                ID,
                LAST_UPDATED,
                SearchParameter(
                    "address-state", "string", "The state, or its start, in any case.", as_given
                ),
                SearchParameter(
                    "near",
                    "special",
                    "Within a distance of a point: latitude|longitude|distance|unit "
                    f"(units km, m, mi; {NEAR_KILOMETRES:g} km when no distance is given).",
                    as_point,
                ),
            ),
        ),
        row_type("Practitioner", CATALOG_READ, PRACTITIONERS, (ID, LAST_UPDATED)),
        row_type(
            "PractitionerRole",
            CATALOG_READ,
            ROLES,
            (
                ID,
                LAST_UPDATED,
                SearchParameter(
                    "practitioner",
                    "reference",
                    "The role's practitioner.",
                    reference_reader("Practitioner"),
                ),
                SearchParameter(
                    "location",
                    "reference",
                    "Where the role is held.",
                    reference_reader("Location"),
                ),
            ),
        ),
        row_type("HealthcareService", CATALOG_READ, SERVICES, (ID, LAST_UPDATED)),
        row_type(
            "Schedule",
            CATALOG_READ,
            SCHEDULES,
            (
                ID,
                LAST_UPDATED,
                SearchParameter(
                    "actor",
                    "reference",
                    "The schedule's practitioner or location.",
                    reference_reader("Practitioner", "Location"),
                ),
                SERVICE_TYPE,
            ),
            {"Schedule:actor": schedule_actors},
            schedules_scope,
        ),
        row_type(
            "Appointment",
            "visits:read",
            APPOINTMENTS,
            (
                ID,
                LAST_UPDATED,
                SearchParameter("date", "date", "When the appointment starts.", as_dates),
                SearchParameter("status", "token", "The appointment's status.", as_visit_statuses),
            ),
        ),
    )
}

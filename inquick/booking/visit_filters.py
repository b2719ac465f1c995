"""Filters of GET /visits: a date range, provider, location, schedule and status."""

from datetime import UTC, datetime, time

from sqlalchemy import and_

from inquick.catalog.filters import FilterValueError, one_or_more
from inquick.dates import parse_date
from inquick.jsonapi.resource import Filter
from inquick.models import Location, Provider, Schedule, Visit
from inquick.models.visits import STATUSES


def utc_on(value, moment):
    """`moment` (a time of day) of a YYYY-MM-DD date, in UTC (visits of several zones are
    compared in UTC)."""
    day = parse_date(value.strip())
    if day is None:
        raise FilterValueError("The filter takes a date, YYYY-MM-DD.")
    return datetime.combine(day, moment, tzinfo=UTC)


def starting_from(value):
    return Visit.starts_at >= utc_on(value, time.min)


def starting_until(value):
    """Through the whole of that day, to its last microsecond (the next day's midnight is
    past the last date there is, 9999-12-31)."""
    return Visit.starts_at <= utc_on(value, time.max)


def with_provider(value):
    return Visit.schedule.has(
        Schedule.provider.has(
            and_(
                Provider.slug.in_(one_or_more(value)),
                Provider.health_system_id == Visit.health_system_id,
            )
        )
    )


def at_location(value):
    return Visit.schedule.has(
        Schedule.location.has(
            and_(
                Location.slug.in_(one_or_more(value)),
                Location.health_system_id == Visit.health_system_id,
            )
        )
    )


def on_schedule(value):
    return Visit.schedule_id.in_(one_or_more(value))


def with_status(value):
    return Visit.status.in_(one_or_more(value, STATUSES))


VISIT_FILTERS = {
    "start-date": Filter(starting_from),
    "end-date": Filter(starting_until),
    "provider": Filter(with_provider),
    "location": Filter(at_location),
    "schedule": Filter(on_schedule),
    "status": Filter(with_status),
}

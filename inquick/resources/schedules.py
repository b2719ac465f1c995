"""schedules: bookable calendars, their rules, and what they link to."""

from marshmallow_jsonapi import Schema, fields
from sqlalchemy.orm import selectinload

from inquick.catalog.schedules import held_by_provider_type
from inquick.jsonapi.resource import Filter
from inquick.models import Schedule
from inquick.models.coverage import plans_accepted_by
from inquick.models.schedules import WEEKDAYS
from inquick.resources.base import CatalogResource, catalog_blueprint, dasherize


def weekly_hours(schedule):
    """The opening windows in the schedule's local time, Monday first."""
    return [
        {
            "day": WEEKDAYS[w.weekday],
            "opens-at": w.opens_at.strftime("%H:%M"),
            "closes-at": w.closes_at.strftime("%H:%M"),
        }
        for w in schedule.weekly_windows
    ]


def dated_exceptions(schedule):
    return [
        {
            "date": e.on_date.isoformat(),
            "closed": e.closed,
            "opens-at": e.opens_at.strftime("%H:%M") if e.opens_at else None,
            "closes-at": e.closes_at.strftime("%H:%M") if e.closes_at else None,
        }
        for e in schedule.exceptions
    ]


class ScheduleSchema(Schema):
    id = fields.Str()
    name = fields.Str(required=True)
    schedule_type = fields.Str()
    sort_order = fields.Int()
    time_zone_name = fields.Str(required=True)
    # The reference calls this attribute `service`; JSON:API forbids an attribute and a
    # relationship of one name, and `service` is the relationship (see the README).
    service_name = fields.Str(dump_only=True)
    accepting_new_patients = fields.Bool()
    age_limit_threshold = fields.Int(allow_none=True)
    age_limit_direction = fields.Str(allow_none=True)
    translator_languages = fields.List(fields.Str())
    hours = fields.Function(weekly_hours)
    exceptions = fields.Function(dated_exceptions)
    slot_interval_minutes = fields.Int()
    capacity = fields.Int()
    minimum_notice_minutes = fields.Int()
    booking_horizon_days = fields.Int()
    location = fields.Relationship(type_="locations")
    provider = fields.Relationship(type_="providers")
    service = fields.Relationship(type_="services")
    insurance_plans = fields.Relationship(
        type_="insurance-plans", many=True, attribute="effective_insurance_plans"
    )
    appointment_types = fields.Relationship(type_="appointment-types", many=True)

    class Meta:
        type_ = "schedules"
        inflect = dasherize


class ScheduleResource(CatalogResource):
    """Only active schedules are published."""

    def scoped(self, statement):
        return super().scoped(statement).where(Schedule.active.is_(True))


schedules = ScheduleResource(
    ScheduleSchema,
    Schedule,
    default_sort=("sort-order", "name"),
    filters={"provider-type": Filter(held_by_provider_type)},
    related_queries={"insurance-plans": plans_accepted_by},
    always_load=(
        selectinload(Schedule.service),
        selectinload(Schedule.weekly_windows),
        selectinload(Schedule.exceptions),
    ),
)
blueprint = catalog_blueprint(schedules)

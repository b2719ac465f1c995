"""schedules: bookable calendars, their rules, and what they link to."""

import uuid
from datetime import UTC, datetime

import marshmallow
from flask import g, request
from marshmallow import validate
from marshmallow_jsonapi import Schema, fields
from sqlalchemy import inspect, select

from inquick.auth.keys import require_scope
from inquick.booking.audit import record_access
from inquick.booking.changes import ChangeRefused, VisitsAhead, withdraw_schedule
from inquick.booking.reservations import lock_schedule
from inquick.catalog.opening_hours import (
    check_time_zone,
    dated_exceptions,
    read_exceptions,
    read_weekly_hours,
    weekly_hours,
)
from inquick.catalog.schedules import held_by_provider_type
from inquick.extensions import db
from inquick.jsonapi.errors import Conflict, Forbidden, NotFound, Unprocessable
from inquick.jsonapi.fields import Computed
from inquick.jsonapi.links import Link
from inquick.jsonapi.media import JSONAPI, document_response
from inquick.jsonapi.query import parse_arguments
from inquick.jsonapi.resource import Filter
from inquick.jsonapi.views import find
from inquick.jsonapi.write_views import commit
from inquick.models import InsurancePlan, Schedule, Service
from inquick.models.coverage import plans_of_each_schedule
from inquick.resources.base import CatalogResource, catalog_blueprint, dasherize, not_blank
from inquick.webhooks.schedule_events import availability_changed, changed_attributes

AGE_DIRECTIONS = ("older", "younger")
# The rules a schedule's free times are computed from, by the names a write gives them: a
# change of any is announced (`schedule.availability-changed`).
AVAILABILITY_RULES = {
    "time_zone_name": "time-zone-name", "weekly_windows": "hours", "exceptions": "exceptions",
    "slot_interval_minutes": "slot-interval-minutes", "capacity": "capacity",
    "minimum_notice_minutes": "minimum-notice-minutes",
    "booking_horizon_days": "booking-horizon-days", "appointment_types": "appointment-types",
}  # fmt: skip


class ScheduleSchema(Schema):
    id = fields.Str()
    name = fields.Str(required=True, validate=not_blank)
    schedule_type = fields.Str(validate=not_blank)
    sort_order = fields.Int()
    # A new schedule takes its location's time zone unless it names its own.
    time_zone_name = fields.Str(validate=check_time_zone)
    # The reference calls this attribute `service`; JSON:API forbids an attribute and a
    # relationship of one name, and `service` is the relationship (see the README).
    service_name = Computed(
        select(Service.name).where(Service.id == Schedule.service_id).scalar_subquery()
    )
    accepting_new_patients = fields.Bool()
    age_limit_threshold = fields.Int(allow_none=True, validate=validate.Range(1, 130))
    age_limit_direction = fields.Str(allow_none=True, validate=validate.OneOf(AGE_DIRECTIONS))
    translator_languages = fields.List(
        fields.Str(validate=validate.Length(1, 100)), validate=validate.Length(max=50)
    )
    hours = Computed(weekly_hours, load=read_weekly_hours, attribute="weekly_windows")
    exceptions = Computed(dated_exceptions, load=read_exceptions, attribute="exceptions")
    slot_interval_minutes = fields.Int(validate=validate.Range(5, 24 * 60))
    capacity = fields.Int(validate=validate.Range(1, 1000))
    minimum_notice_minutes = fields.Int(validate=validate.Range(0, 90 * 24 * 60))
    booking_horizon_days = fields.Int(validate=validate.Range(1, 730))
    # At most a visit token's lifetime: a hold outliving its token would hold for no one.
    hold_minutes = fields.Int(validate=validate.Range(0, 30))
    location = fields.Relationship(type_="locations", required=True)
    provider = fields.Relationship(type_="providers", required=True)
    service = fields.Relationship(type_="services")
    # Read: the plans the schedule accepts in effect (`plans_in_effect`); written: its own.
    insurance_plans = fields.Relationship(type_="insurance-plans", many=True)
    appointment_types = fields.Relationship(type_="appointment-types", many=True)

    class Meta:
        type_ = "schedules"
        inflect = dasherize


class ScheduleResource(CatalogResource):
    """Only active schedules are published; a schedule's id is a UUID."""

    def scoped(self, statement):
        return super().scoped(statement).where(Schedule.active)

    def parse_id(self, object_id):
        return object_id if is_uuid(object_id) else None

    def new_object(self, object_id, values):
        if object_id is None:
            return Schedule(health_system_id=g.tenant.id)
        if not is_uuid(object_id):
            raise Unprocessable("A schedule's id is a lowercase UUID.", pointer="/data/id")
        # Schedule ids are unique across systems; a client can only collide with another
        # system's by knowing its UUID, so the 409 tells it nothing it did not know.
        if db.session.get(Schedule, object_id) is not None:
            raise Conflict(f"The schedules id {object_id!r} is taken.", pointer="/data/id")
        return Schedule(id=object_id, health_system_id=g.tenant.id)

    def lock(self, schedule):
        """A change of a schedule queues with its bookings, which re-read its rules after."""
        lock_schedule(db.session, schedule.id)

    def settle(self, schedule):
        if schedule.time_zone_name is None:
            schedule.time_zone_name = schedule.location.time_zone_name
        if (schedule.age_limit_threshold is None) != (schedule.age_limit_direction is None):
            return [
                Unprocessable(
                    "age-limit-threshold and age-limit-direction are set (or cleared) together.",
                    pointer="/data/attributes/age-limit-direction",
                )
            ]
        return []

    def written(self, schedule):
        """A change of a stored schedule's rules is announced in the change's transaction."""
        if not inspect(schedule).persistent:
            return  # a new schedule: nobody has read its times yet
        with db.session.no_autoflush:  # a flush would clear the history the change is read from
            changed = changed_attributes(schedule, AVAILABILITY_RULES)
        if changed:
            names = [AVAILABILITY_RULES[name] for name in changed]
            availability_changed(db.session, schedule, names, datetime.now(UTC))


def plans_in_effect():
    """The plans each schedule accepts, through the override chain, by plan id.

    Resolved for the schedules asked about only, one schedule at a time: a read knows its
    schedules, and each costs a few index lookups whatever the size of the catalog.
    """
    accepted = plans_of_each_schedule().subquery("accepted")
    statement = select(
        accepted.c.schedule_id.label("parent"), accepted.c.insurance_plan_id.label("target")
    )
    return Link(statement, accepted.c.schedule_id, order=(InsurancePlan.slug,))


def is_uuid(text):
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


schedules = ScheduleResource(
    ScheduleSchema,
    Schedule,
    default_sort=("sort-order", "name"),
    filters={"provider-type": Filter(held_by_provider_type)},
    comparable=("age-limit-threshold",),
    links={"insurance-plans": plans_in_effect},
    # A write sets the schedule's own plans; a read shows the plans it accepts in effect.
    writable_relationships={
        "location": "location",
        "provider": "provider",
        "service": "service",
        "insurance-plans": "insurance_plans",
        "appointment-types": "appointment_types",
    },
)
blueprint = catalog_blueprint(schedules, write_methods={"POST", "PATCH"})


class WithdrawalArgs(marshmallow.Schema):
    # Exactly `true` or `false`: a withdrawal that cancels visits is never guessed at.
    cancel_visits = fields.Bool(
        data_key="cancel_visits",
        load_default=False,
        truthy={"true"},
        falsy={"false"},
        error_messages={"invalid": "cancel_visits must be true or false."},
    )


withdrawal_args = WithdrawalArgs()


@blueprint.delete("/schedules/<object_id>")
@require_scope("catalog:write")
def delete_schedule(object_id):
    """DELETE /schedules/{id}: withdraw it; visits still to come block it unless cancelled.

    With `cancel_visits=true` (which also needs `visits:write`), those visits are cancelled
    as a PATCH of each would, each change audited. Answers 200 with the number cancelled.
    """
    cancel_visits = parse_arguments(withdrawal_args, request.args)["cancel_visits"]
    if cancel_visits and "visits:write" not in g.api_key.scope_set:
        raise Forbidden(
            "Cancelling visits needs the visits:write scope.", parameter="cancel_visits"
        )
    schedule = find(schedules, object_id)
    now = datetime.now(UTC)
    try:
        cancelled = withdraw_schedule(db.session, schedule, cancel_visits=cancel_visits, now=now)
    except VisitsAhead as blocked:
        raise Conflict(str(blocked)) from None
    except ChangeRefused:  # withdrawn by a request that held the lock before this one
        raise NotFound(f"There is no schedules with id {object_id!r}.") from None
    record_access(
        db.session, tenant=g.tenant, visits=cancelled, action="cancel",
        fields=["reason", "status"], key=g.api_key,
    )  # fmt: skip
    commit("The schedule changed while this request withdrew it; retry.")
    return document_response({"jsonapi": JSONAPI, "meta": {"cancelled-visits": len(cancelled)}})

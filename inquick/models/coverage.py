"""Which insurance plans a schedule accepts, resolved by override, in one SQL construct.

A schedule's own list of plans replaces its location's, which replaces its region's,
which replaces the health system's default plans. An empty list means "inherit". The
resolution is a UNION of four arms, each taking a level only where every level below
it is empty: the insurance filters read it (`effective`), asking which schedules accept a
plan. A read that knows its schedules (a page's plans) asks the other way round, and reads
`plans_of_each_schedule`, the same chain walked one schedule at a time; a test holds the
two to the same answer.
"""

from sqlalchemy import and_, cast, exists, func, select, true, union_all

from inquick.models.catalog import (
    InsurancePlan,
    Location,
    location_insurance_plans,
    region_insurance_plans,
)
from inquick.models.schedules import Schedule, schedule_insurance_plans
from inquick.sql import JsonListItems, JsonListOrNull


def effective_insurance_plans():
    """A SELECT of (schedule_id, insurance_plan_id) pairs: every schedule's accepted plans."""
    own = schedule_insurance_plans
    at_location = location_insurance_plans
    in_region = region_insurance_plans
    has_own = exists().where(own.c.schedule_id == Schedule.id)
    location_has = exists().where(at_location.c.location_id == Schedule.location_id)
    region_has = exists().where(in_region.c.region_id == Location.region_id)

    schedule_arm = select(own.c.schedule_id, own.c.insurance_plan_id)
    location_arm = (
        select(Schedule.id, at_location.c.insurance_plan_id)
        .join(at_location, at_location.c.location_id == Schedule.location_id)
        .where(~has_own)
    )
    region_arm = (
        select(Schedule.id, in_region.c.insurance_plan_id)
        .join(Location, Location.id == Schedule.location_id)
        .join(in_region, in_region.c.region_id == Location.region_id)
        .where(~has_own, ~location_has)
    )
    default_plan = InsurancePlan.__table__.alias("default_plans")
    system_arm = (
        select(Schedule.id, default_plan.c.id)
        .join(Location, Location.id == Schedule.location_id)
        .join(
            default_plan,
            and_(
                default_plan.c.health_system_id == Schedule.health_system_id,
                default_plan.c.accepted_by_default.is_(True),
            ),
        )
        .where(~has_own, ~location_has, ~region_has)
    )
    return union_all(schedule_arm, location_arm, region_arm, system_arm)


effective = effective_insurance_plans().subquery("effective_insurance_plans")


def plans_of_each_schedule():
    """A SELECT of (schedule_id, insurance_plan_id) pairs: each schedule's accepted plans,
    from the first level of the chain that lists any, to be narrowed to some schedules.

    Each level is a lookup by one schedule's own keys, and the levels after the first
    that lists plans are never read, so the cost is the schedules' and not the tables'.
    The union's arms join whole tables; narrowed to a page of schedules, PostgreSQL plans
    them as scans of the tables when they are small, which costs more than the lookups.
    """
    schedules = Schedule.__table__
    own, at_location = schedule_insurance_plans, location_insurance_plans
    in_region = region_insurance_plans
    levels = [
        select(JsonListOrNull(own.c.insurance_plan_id)).where(own.c.schedule_id == schedules.c.id),
        select(JsonListOrNull(at_location.c.insurance_plan_id)).where(
            at_location.c.location_id == schedules.c.location_id
        ),
        select(JsonListOrNull(in_region.c.insurance_plan_id))
        .select_from(in_region.join(Location, Location.region_id == in_region.c.region_id))
        .where(Location.id == schedules.c.location_id),
        select(JsonListOrNull(InsurancePlan.id)).where(
            InsurancePlan.health_system_id == schedules.c.health_system_id,
            InsurancePlan.accepted_by_default.is_(True),
        ),
    ]
    first_listed = func.coalesce(
        *(level.correlate(schedules).scalar_subquery() for level in levels)
    )
    accepted = JsonListItems(first_listed).table_valued("value").alias("accepted")
    return select(
        schedules.c.id.label("schedule_id"),
        cast(accepted.c.value, InsurancePlan.id.type).label("insurance_plan_id"),
    ).select_from(schedules.join(accepted, true()))

"""Which insurance plans a schedule accepts, resolved by override, in one SQL construct.

A schedule's own list of plans replaces its location's, which replaces its region's,
which replaces the health system's default plans. An empty list means "inherit". The
resolution is a UNION of four arms, each taking a level only where every level below
it is empty. Reads of a schedule's plans and the insurance filters all read `effective`,
so they give the same answer.
"""

from sqlalchemy import and_, exists, select, union_all

from inquick.models.catalog import (
    InsurancePlan,
    Location,
    location_insurance_plans,
    region_insurance_plans,
)
from inquick.models.schedules import Schedule, schedule_insurance_plans


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

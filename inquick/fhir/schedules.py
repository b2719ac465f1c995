"""Schedules as FHIR Schedule resources: a provider's calendar at a location."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from inquick.fhir.catalog import actor_references, service_concept
from inquick.fhir.codes import meta, pruned

# What a schedule's record must hold for `schedule_resource` (and `practitioner_role_resource`),
# and what is read with it: its actors and its service, joined to its row.
SCHEDULE_FIELDS = {
    "schedules": ("name", "time-zone-name", "booking-horizon-days", "hours", "last-updated"),
    "providers": ("name",),
    "services": ("name",),
}
SCHEDULE_TREE = {"provider": {}, "location": {}, "service": {}}


def local_instant(moment):
    """An aware time as FHIR writes instants: to the second, with its offset."""
    return moment.isoformat(timespec="seconds")


def planning_horizon(zone_name, horizon_days, now):
    """The days the schedule may be booked for, today through the last, in its zone.

    It changes only at the zone's midnight, which falls on a quarter hour of UTC in every
    zone: a document holding it is current for the quarter hour (`quarter_hour`).
    """
    zone = ZoneInfo(zone_name)
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time.min, tzinfo=zone)
    end = datetime.combine(today + timedelta(days=horizon_days + 1), time.min, tzinfo=zone)
    return {"start": local_instant(start), "end": local_instant(end)}


def quarter_hour(now):
    """The quarter hour of UTC `now` is in: what a Schedule document depends on besides
    its rows."""
    return now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)


def schedule_resource(record, context):
    attributes = record.attributes
    service = record.related["service"]
    return pruned(
        {
            "resourceType": "Schedule",
            "id": record.id,
            "meta": meta(attributes["last-updated"]),
            "active": True,
            "serviceType": [service_concept(context, service)] if service else None,
            "actor": actor_references(record),
            "planningHorizon": planning_horizon(
                attributes["time-zone-name"], attributes["booking-horizon-days"], context.now
            ),
            "comment": attributes["name"],
        }
    )

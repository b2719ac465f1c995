"""A filtered, included page costs the same number of queries on a small and a large catalog."""

import uuid
from datetime import time, timedelta

from sqlalchemy import insert, select

from inquick.auth import keys
from inquick.models import Location, Provider, Schedule, WeeklyWindow
from inquick.models.catalog import provider_medical_groups
from inquick.models.schedules import schedule_appointment_types, schedule_insurance_plans
from tests import factories

QUERY = {
    "filter[insurance]": "plan-a",
    "filter[hours-availability]": "morning",
    "filter[gender]": "female",
    "filter[near]": "[40.0,-75.0]",
    "include": "schedules.location,schedules.insurance-plans",
    "page[size]": 50,
}


def add_providers(session, tenant, start, count, shared):
    """Bulk-insert `count` providers, each with one schedule, a window and the shared links."""
    session.execute(
        insert(Provider),
        [
            {
                "health_system_id": tenant.id,
                "slug": f"p{n:05}",
                "name": f"Provider {n:05}",
                "provider_type": "Practitioner",
                "gender": "female" if n % 2 else "male",
                "languages": ["English"],
                "backgrounds": [],
                "subspecialties": [],
            }
            for n in range(start, start + count)
        ],
    )
    provider_ids = session.scalars(
        select(Provider.id).where(
            Provider.slug >= f"p{start:05}",
            Provider.slug < f"p{start + count:05}",
            Provider.health_system_id == tenant.id,
        )
    ).all()
    schedules = [
        {
            "id": str(uuid.uuid4()),
            "health_system_id": tenant.id,
            "name": f"Schedule {pid}",
            "time_zone_name": "America/New_York",
            "provider_id": pid,
            "location_id": shared["locations"][pid % len(shared["locations"])],
            "service_id": None,
            "translator_languages": [],
        }
        for pid in provider_ids
    ]
    session.execute(insert(Schedule), schedules)
    session.execute(
        insert(WeeklyWindow),
        [
            {"schedule_id": s["id"], "weekday": 1, "opens_at": time(8), "closes_at": time(12)}
            for s in schedules
        ],
    )
    session.execute(
        insert(schedule_insurance_plans),
        [{"schedule_id": s["id"], "insurance_plan_id": shared["plan"]} for s in schedules],
    )
    session.execute(
        insert(schedule_appointment_types),
        [{"schedule_id": s["id"], "appointment_type_id": shared["type"]} for s in schedules],
    )
    session.execute(
        insert(provider_medical_groups),
        [{"provider_id": pid, "medical_group_id": shared["group"]} for pid in provider_ids],
    )


def test_a_filtered_included_page_costs_the_same_at_2000_providers(
    api, session, tenant, count_queries, monkeypatch
):
    # A key's use is recorded once a minute: on a loaded machine the minute could end
    # between a warm request and the measured one, adding the write to one count only.
    monkeypatch.setattr(keys, "LAST_USED_PRECISION", timedelta(days=1))
    shared = {
        "plan": factories.InsurancePlanFactory(health_system=tenant, slug="plan-a").id,
        "type": factories.AppointmentTypeFactory(health_system=tenant).id,
        "group": factories.MedicalGroupFactory(health_system=tenant).id,
        "locations": [
            factories.LocationFactory(
                health_system=tenant, latitude=40 + n / 10, longitude=-75.0
            ).id
            for n in range(20)
        ],
    }

    def measure():
        api.get("/providers", QUERY)  # the key's first use of a minute is recorded
        with count_queries() as counter:
            response = api.get("/providers", QUERY)
        assert response.status_code == 200, response.json
        return counter.statements, response.json

    add_providers(session, tenant, 0, 120, shared)
    small_statements, small = measure()
    add_providers(session, tenant, 120, 1880, shared)
    large_statements, large = measure()

    assert session.scalar(select(Provider.id).where(Provider.slug == "p01999")) is not None
    assert small["meta"]["record-count"] == 60
    assert large["meta"]["record-count"] == 1000
    assert len(large["data"]) == 50
    included_types = {o["type"] for o in large["included"]}
    assert included_types == {"schedules", "locations", "insurance-plans"}
    assert len(large_statements) == len(small_statements), (small_statements, large_statements)
    assert session.scalar(select(Location.id).limit(1)) is not None

"""A list costs a bounded number of queries, whatever its page size and includes."""

import pytest

from tests import factories

INCLUDE = "location,provider,service,insurance-plans"


@pytest.fixture
def many_schedules(tenant):
    plans = [factories.InsurancePlanFactory(health_system=tenant) for _ in range(4)]
    types = [factories.AppointmentTypeFactory(health_system=tenant) for _ in range(3)]
    return [
        factories.ScheduleFactory(
            health_system=tenant, insurance_plans=plans[n % 3 :], appointment_types=types
        )
        for n in range(50)
    ]


def queries_for(api, count_queries, path, query):
    # The key's first request of a minute also records its use; keep that out of the count.
    api.get(path, query)
    with count_queries() as counter:
        response = api.get(path, query)
    assert response.status_code == 200, response.json
    return counter.count, response.json


def test_fifty_schedules_cost_as_many_queries_as_five(api, count_queries, many_schedules):
    five, small = queries_for(
        api, count_queries, "/schedules", {"page[size]": 5, "include": INCLUDE}
    )
    fifty, large = queries_for(
        api, count_queries, "/schedules", {"page[size]": 50, "include": INCLUDE}
    )
    assert len(small["data"]) == 5 and len(large["data"]) == 50
    assert {o["type"] for o in large["included"]} == {
        "locations",
        "providers",
        "services",
        "insurance-plans",
    }
    assert fifty == five


def test_nested_includes_stay_bounded(api, count_queries, many_schedules):
    query = {"include": "provider.schedules.location,insurance-plans"}
    five, _ = queries_for(api, count_queries, "/schedules", {**query, "page[size]": 5})
    fifty, _ = queries_for(api, count_queries, "/schedules", {**query, "page[size]": 50})
    assert fifty == five


def test_providers_attributes_do_not_query_per_row(api, count_queries, tenant, many_schedules):
    five, _ = queries_for(api, count_queries, "/providers", {"page[size]": 5})
    fifty, document = queries_for(api, count_queries, "/providers", {"page[size]": 50})
    assert len(document["data"]) == 50
    assert all(p["attributes"]["appointment-types"] for p in document["data"])
    assert fifty == five

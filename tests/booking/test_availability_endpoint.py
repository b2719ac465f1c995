"""GET /available-appointment-times: the engine's slots served per schedule, and its 4xx answers."""

from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlencode

import pytest

from inquick.extensions import db
from tests import factories
from tests.booking.conftest import ZONE, open_every_day, post_visit, tomorrow_at, visit_body
from tests.conftest import Api, make_key

PATH = "/available-appointment-times"


def tomorrow():
    return tomorrow_at(0).date()


def ask(api, *schedules, **query):
    """The times of `schedules` tomorrow (unless the query says otherwise), asserting a 200.

    The session forgets what it loaded first, as a new request's session would not have it.
    """
    day = tomorrow().isoformat()
    ids = [s.id for s in schedules]
    db.session.expire_all()
    params = {
        "schedule_ids[]": ids,
        "start_date": day,
        "end_date": day,
        **query,
    }
    response = api.get(PATH, {k: v for k, v in params.items() if v is not None})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["data"]


def half_hours(first, last):
    """Tomorrow's local times from `first` to `last` (hours), every 30 minutes, in ISO 8601."""
    start, end = tomorrow_at(first), tomorrow_at(*last)
    found = []
    while start <= end:
        found.append(start.isoformat())
        start += timedelta(minutes=30)
    return found


def refused(api, query, status, parameter):
    response = api.get(PATH, query)
    assert response.status_code == status, response.get_data(as_text=True)
    [error] = response.json["errors"]
    assert error["source"] == {"parameter": parameter}
    return error


def test_the_times_are_the_schedules_slots_tomorrow(booking_api, schedule):
    [entry] = ask(booking_api, schedule)
    assert entry["type"] == "available-appointment-times"
    attributes = entry["attributes"]
    assert attributes["schedule-id"] == schedule.id
    assert attributes["appointment-type"] == "annual-physical"
    assert attributes["times"] == half_hours(8, (17, 30))
    assert entry["relationships"]["schedule"]["data"] == {"type": "schedules", "id": schedule.id}
    # The offset is New York's on that day (-05:00 in winter, -04:00 in summer).
    offset = tomorrow_at(12).utcoffset()
    sign, amount = ("-", -offset) if offset < timedelta(0) else ("+", offset)
    hours, minutes = divmod(int(amount.total_seconds()) // 60, 60)
    suffix = f"{sign}{hours:02}:{minutes:02}"
    assert attributes["times"][0] == f"{tomorrow().isoformat()}T08:00:00{suffix}"
    assert all(time.endswith(suffix) for time in attributes["times"])


def test_the_default_range_starts_now_and_runs_to_the_horizon(booking_api, schedule):
    schedule.booking_horizon_days = 3
    response = booking_api.get(PATH, {"schedule_ids[]": schedule.id})
    assert response.status_code == 200, response.get_data(as_text=True)
    times = [datetime.fromisoformat(t) for t in response.json["data"][0]["attributes"]["times"]]
    now = datetime.now(UTC)
    today = now.astimezone(ZONE).date()
    assert times == sorted(times) and all(t >= now for t in times)
    assert {t.astimezone(ZONE).date() for t in times} >= {today + timedelta(days=d) for d in (1, 3)}
    assert max(times).astimezone(ZONE).date() == today + timedelta(days=3)


def test_a_booked_time_disappears_and_is_listed_full_when_asked_for(
    booking_api, schedule, slot, token_for
):
    assert post_visit(booking_api, token_for(slot), visit_body(schedule, slot)).status_code == 201

    [entry] = ask(booking_api, schedule)
    assert slot.isoformat() not in entry["attributes"]["times"]
    assert len(entry["attributes"]["times"]) == 19
    assert "slots" not in entry["attributes"]

    [everything] = ask(booking_api, schedule, available_only="false")
    attributes = everything["attributes"]
    assert attributes["times"] == half_hours(8, (17, 30))
    remaining = {s["time"]: s["remaining-capacity"] for s in attributes["slots"]}
    assert list(remaining) == attributes["times"]
    assert remaining[slot.isoformat()] == 0
    assert set(remaining.values()) == {0, 1} and list(remaining.values()).count(0) == 1


def test_several_schedules_give_one_entry_each_in_the_order_asked(
    booking_api, tenant, physical, schedule
):
    def hourly(opens, closes):
        return factories.ScheduleFactory(
            health_system=tenant,
            weekly_windows=open_every_day(time(opens), time(closes)),
            appointment_types=[physical],
            slot_interval_minutes=60,
            minimum_notice_minutes=0,
        )

    early, late = hourly(8, 10), hourly(14, 16)
    data = ask(booking_api, late, schedule, early)
    assert [entry["attributes"]["schedule-id"] for entry in data] == [
        late.id,
        schedule.id,
        early.id,
    ]
    assert [entry["attributes"]["times"] for entry in data] == [
        [tomorrow_at(14).isoformat(), tomorrow_at(15).isoformat()],
        half_hours(8, (17, 30)),
        [tomorrow_at(8).isoformat(), tomorrow_at(9).isoformat()],
    ]
    assert len({entry["id"] for entry in data}) == 3


def test_five_schedules_cost_as_many_queries_as_one(
    booking_api, session, tenant, physical, schedule, count_queries, slot, token_for
):
    assert post_visit(booking_api, token_for(slot), visit_body(schedule, slot)).status_code == 201
    others = [
        factories.ScheduleFactory(
            health_system=tenant,
            weekly_windows=open_every_day(),
            appointment_types=[physical],
            minimum_notice_minutes=0,
        )
        for _ in range(4)
    ]
    ids = [s.id for s in (schedule, *others)]
    query = {"start_date": tomorrow().isoformat(), "end_date": tomorrow().isoformat()}
    assert booking_api.get(PATH, {"schedule_ids[]": ids, **query}).status_code == 200  # warm-up
    session.expire_all()
    with count_queries() as one:
        response = booking_api.get(PATH, {"schedule_ids[]": ids[:1], **query})
    assert response.status_code == 200 and len(response.json["data"]) == 1
    session.expire_all()
    with count_queries() as five:
        response = booking_api.get(PATH, {"schedule_ids[]": ids, **query})
    assert response.status_code == 200 and len(response.json["data"]) == 5
    assert five.count == one.count, five.statements


def test_the_default_type_is_the_highest_priority_one(booking_api, tenant):
    # Alphabetical order and priority disagree, and so do the durations.
    later = factories.AppointmentTypeFactory(
        health_system=tenant, slug="aa-consult", priority=2, duration_minutes=30
    )
    first = factories.AppointmentTypeFactory(
        health_system=tenant, slug="zz-long-visit", priority=1, duration_minutes=120
    )
    schedule = factories.ScheduleFactory(
        health_system=tenant,
        weekly_windows=open_every_day(),
        appointment_types=[later, first],
        slot_interval_minutes=30,
        minimum_notice_minutes=0,
    )
    [entry] = ask(booking_api, schedule)
    assert entry["attributes"]["appointment-type"] == "zz-long-visit"
    assert entry["attributes"]["times"] == half_hours(8, (16, 0))
    [chosen] = ask(booking_api, schedule, appointment_type="aa-consult")
    assert chosen["attributes"]["appointment-type"] == "aa-consult"
    assert chosen["attributes"]["times"] == half_hours(8, (17, 30))


def test_schedule_ids_are_required(booking_api):
    refused(booking_api, {"start_date": tomorrow().isoformat()}, 400, "schedule_ids[]")


def hourly_schedules(tenant, physical, count):
    """`count` schedules open 14:00-16:00 every day, an hour a slot."""
    return [
        factories.ScheduleFactory(
            health_system=tenant,
            weekly_windows=open_every_day(time(14), time(16)),
            appointment_types=[physical],
            slot_interval_minutes=60,
            minimum_notice_minutes=0,
        )
        for _ in range(count)
    ]


def spelled(pairs):
    """A query string of `pairs` for tomorrow, encoded as is (a dict would be re-spelled)."""
    day = tomorrow().isoformat()
    return urlencode([*pairs, ("start_date", day), ("end_date", day)])


@pytest.mark.parametrize(
    "spell",
    [
        lambda ids: [("schedule_ids", i) for i in ids],
        lambda ids: [(f"schedule_ids[{n}]", i) for n, i in enumerate(ids)],
    ],
    ids=["schedule_ids=a&schedule_ids=b", "schedule_ids[0]=a&schedule_ids[1]=b"],
)
def test_client_libraries_array_spellings_give_the_same_answer(
    booking_api, tenant, physical, schedule, spell
):
    [other] = hourly_schedules(tenant, physical, 1)
    expected = ask(booking_api, other, schedule)
    response = booking_api.get(PATH, spelled(spell([other.id, schedule.id])))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["data"] == expected
    assert [entry["attributes"]["schedule-id"] for entry in expected] == [other.id, schedule.id]


def test_indexed_ids_are_read_in_numeric_order_gaps_and_all(
    booking_api, tenant, physical, schedule
):
    second, third = hourly_schedules(tenant, physical, 2)
    expected = ask(booking_api, schedule, second, third)
    # As text, "10" sorts before "2" and "9": only numeric order gives the order asked.
    pairs = [("schedule_ids[10]", third.id), ("schedule_ids[2]", schedule.id)]
    response = booking_api.get(PATH, spelled([*pairs, ("schedule_ids[9]", second.id)]))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["data"] == expected


def test_one_request_spells_the_ids_one_way(booking_api, tenant, physical, schedule):
    [other] = hourly_schedules(tenant, physical, 1)
    for second in ("schedule_ids", "schedule_ids[0]"):
        query = spelled([("schedule_ids[]", schedule.id), (second, other.id)])
        error = refused(booking_api, query, 400, "schedule_ids[]")
        assert error["code"] == "invalid-query-parameter"


def test_an_unknown_or_foreign_schedule_is_not_found(booking_api, schedule, other_tenant):
    theirs = factories.ScheduleFactory(health_system=other_tenant)
    for ids in (["no-such-schedule"], [schedule.id, theirs.id]):
        refused(booking_api, {"schedule_ids[]": ids}, 404, "schedule_ids[]")


def test_an_inactive_schedule_is_not_found(booking_api, schedule):
    schedule.active = False
    refused(booking_api, {"schedule_ids[]": schedule.id}, 404, "schedule_ids[]")


def test_a_type_the_schedule_does_not_offer(booking_api, tenant, schedule):
    factories.AppointmentTypeFactory(health_system=tenant, slug="x-ray")
    for slug in ("x-ray", "no-such-type"):
        query = {"schedule_ids[]": schedule.id, "appointment_type": slug}
        refused(booking_api, query, 400, "appointment_type")


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"start_date": "2025-02-30"}, "start_date"),
        ({"end_date": "tomorrow"}, "end_date"),
        ({"start_date": "2026-03-10", "end_date": "2026-03-09"}, "end_date"),
        ({"start_date": "2026-03-01", "end_date": "2026-06-01"}, "end_date"),  # 93 days
        ({"available_only": "maybe"}, "available_only"),
        ({"foo": "1"}, "foo"),
    ],
)
def test_bad_parameters_are_400s_naming_the_parameter(booking_api, schedule, query, parameter):
    error = refused(booking_api, {"schedule_ids[]": schedule.id, **query}, 400, parameter)
    assert error["code"] == "invalid-query-parameter"


def test_ninety_two_days_is_the_longest_range(booking_api, schedule):
    start = tomorrow()
    end = start + timedelta(days=91)
    [entry] = ask(booking_api, schedule, start_date=start.isoformat(), end_date=end.isoformat())
    assert entry["attributes"]["end-date"] == end.isoformat()


def test_the_availability_scope_is_required(client, session, tenant, schedule):
    secret = make_key(session, tenant, scopes=["catalog:read", "visits:create"])
    api = Api(client, "tenant-a.example.org", secret)
    response = api.get(PATH, {"schedule_ids[]": schedule.id})
    assert response.status_code == 403
    assert response.json["errors"][0]["code"] == "forbidden"

"""Slots through FHIR: computed from the schedules' rules, visits and holds, free or busy."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from inquick.fhir import slots as slots_module
from inquick.fhir.codes import SLOT_CAPACITY
from tests import factories
from tests.conftest import make_key
from tests.fhir.conftest import HOST, ZONE, Fhir, included, link, matches, tomorrow_at


def week_of_tomorrow():
    first = tomorrow_at(0).date()
    return [("start", f"ge{first}"), ("start", f"lt{first + timedelta(days=7)}")]


def by_start(slots):
    return {datetime.fromisoformat(s["start"]).astimezone(UTC): s for s in slots}


def test_a_week_of_slots_follows_the_rules(fhir, world):
    schedule = world["schedules"]["ruiz-portland"]
    slots, bundles = fhir.all_pages(
        "/Slot", [("schedule", f"Schedule/{schedule.id}"), *week_of_tomorrow(), ("_count", "50")]
    )
    # Open 08:00-18:00 every day, 30-minute slots: 20 a day, 7 days.
    assert len(slots) == 140 and len(bundles) == 3
    assert {bundle.json["total"] for bundle in bundles} == {140}
    first = slots[0]
    assert first == {
        "resourceType": "Slot",
        "id": f"{schedule.id}.{tomorrow_at(8).astimezone(UTC):%Y%m%dT%H%M%SZ}",
        "serviceType": [
            {
                "coding": [{"system": f"http://localhost/api/v3/{HOST}/services",
                            "code": "primary-care", "display": "Primary Care"}],
                "text": "Primary Care",
            }
        ],
        "appointmentType": {
            "coding": [{"system": f"http://localhost/api/v3/{HOST}/appointment-types",
                        "code": "annual-physical"}]
        },
        "schedule": {"reference": f"Schedule/{schedule.id}"},
        "status": "free",
        "start": tomorrow_at(8).isoformat(),
        "end": tomorrow_at(8, 30).isoformat(),
    }  # fmt: skip
    starts = [datetime.fromisoformat(s["start"]) for s in slots]
    assert starts == sorted(starts)
    # Each slot reads again by its id.
    assert fhir.get(f"/Slot/{first['id']}").json == first


def test_visits_make_slots_busy_and_holds_busy_tentative(fhir, session, world):
    schedule = world["schedules"]["ruiz-portland"]
    nine = tomorrow_at(9).astimezone(UTC)
    visit = factories.VisitFactory(
        schedule=schedule, starts_at=nine, ends_at=nine + timedelta(minutes=30)
    )
    token = fhir.client.get(
        f"/api/v3/{HOST}/visit-token",
        query_string={"schedule_id": schedule.id, "appointment_at": tomorrow_at(10).isoformat()},
        headers={"Authorization": fhir.secret},
    )
    assert token.status_code == 200
    day = [("start", f"{tomorrow_at(0).date()}"), ("_count", "100")]
    slots = by_start(matches(fhir.get("/Slot", [("schedule", schedule.id), *day])))
    assert slots[nine]["status"] == "busy"
    assert slots[tomorrow_at(10).astimezone(UTC)]["status"] == "busy-tentative"
    assert slots[tomorrow_at(11).astimezone(UTC)]["status"] == "free"
    free = matches(fhir.get("/Slot", [("schedule", schedule.id), ("status", "free"), *day]))
    assert len(free) == 18 and {s["status"] for s in free} == {"free"}
    busy = matches(fhir.get("/Slot", [("schedule", schedule.id), ("status", "busy,busy-tentative"),
                                      *day]))  # fmt: skip
    assert [s["status"] for s in busy] == ["busy", "busy-tentative"]
    assert fhir.get(f"/Slot/{slots[nine]['id']}").json["status"] == "busy"
    # A cancelled visit gives its seat back.
    visit.status = "cancelled"
    session.flush()
    assert fhir.get(f"/Slot/{slots[nine]['id']}").json["status"] == "free"


def test_capacity_above_one_is_the_slot_capacity_extension(fhir, world):
    schedule = world["schedules"]["chen-portland"]  # three patients at once
    nine = tomorrow_at(9).astimezone(UTC)
    for _ in range(2):
        factories.VisitFactory(
            schedule=schedule, starts_at=nine, ends_at=nine + timedelta(minutes=30)
        )
    day = [("start", f"{tomorrow_at(0).date()}"), ("_count", "100")]
    slots = by_start(matches(fhir.get("/Slot", [("schedule", schedule.id), *day])))
    assert slots[nine]["extension"] == [{"url": SLOT_CAPACITY, "valueInteger": 1}]
    eight = slots[tomorrow_at(8).astimezone(UTC)]
    assert eight["extension"] == [{"url": SLOT_CAPACITY, "valueInteger": 3}]
    factories.VisitFactory(schedule=schedule, starts_at=nine, ends_at=nine + timedelta(minutes=30))
    full = fhir.get(f"/Slot/{slots[nine]['id']}").json
    assert full["status"] == "busy" and "extension" not in full
    # One seat at a time: no extension.
    single = matches(fhir.get("/Slot", [("schedule", world["schedules"]["ruiz-portland"].id),
                                        *day]))  # fmt: skip
    assert all("extension" not in s for s in single)


def test_start_prefixes_are_instants_and_dates_are_the_schedules_days(fhir, world):
    schedule = world["schedules"]["chen-denver"]  # Denver time
    denver = tomorrow_at(0, zone=ZoneInfo(schedule.time_zone_name)).date()

    def starts(*criteria):
        found = matches(fhir.get("/Slot", [("schedule", schedule.id), *criteria,
                                           ("_count", "100")]))  # fmt: skip
        return [datetime.fromisoformat(s["start"]) for s in found]

    day = starts(("start", f"{denver}"))
    assert len(day) == 20
    assert {s.date() for s in day} == {denver} and day[0].hour == 8  # Denver's 08:00
    ten = day[4]
    assert starts(("start", f"ge{ten.isoformat()}"), ("start", f"le{ten.isoformat()}")) == [ten]
    assert starts(("start", f"eq{ten.isoformat()}")) == [ten]
    assert (
        starts(("start", f"gt{ten.isoformat()}"), ("start", f"lt{day[7].isoformat()}")) == day[5:7]
    )
    utc = ten.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert starts(("start", f"eq{utc}")) == [ten]
    assert starts(("start", "lt2000-01-01")) == []
    assert starts(("start", "gt9999-12-31")) == []


def test_include_id_and_several_schedules(fhir, world):
    schedules = world["schedules"]
    both = ",".join(schedules[name].id for name in ("ruiz-portland", "chen-portland"))
    day = [("start", f"{tomorrow_at(0).date()}")]
    response = fhir.get("/Slot", [("schedule", both), *day, ("_count", "4"),
                                  ("_include", "Slot:schedule")])  # fmt: skip
    page = matches(response)
    # Soonest first, then by schedule: both schedules' 08:00 and 08:30.
    assert [s["start"] for s in page] == [tomorrow_at(8).isoformat()] * 2 + [
        tomorrow_at(8, 30).isoformat()
    ] * 2
    assert response.json["total"] == 40
    assert sorted(r["id"] for r in included(response)) == sorted(both.split(","))
    ids = ",".join(s["id"] for s in page[:3])
    by_id = matches(fhir.get("/Slot", {"_id": ids}))
    assert [s["id"] for s in by_id] == [s["id"] for s in page[:3]]
    assert matches(fhir.get("/Slot", {"_id": "not-a-slot"})) == []
    assert link(response.json, "next").count("_include=Slot%3Aschedule") == 1


def test_slots_that_are_not_offered_are_not_found(fhir, world):
    schedule = world["schedules"]["ruiz-portland"]
    yesterday = tomorrow_at(9) - timedelta(days=2)
    for at in (yesterday, tomorrow_at(9, 10), tomorrow_at(7), tomorrow_at(9) + timedelta(days=45)):
        slot_id = f"{schedule.id}.{at.astimezone(UTC):%Y%m%dT%H%M%SZ}"
        response = fhir.get(f"/Slot/{slot_id}")
        assert response.status_code == 404, at
        assert response.json["issue"][0]["code"] == "not-found"
    assert fhir.get("/Slot/nothing").status_code == 404
    assert fhir.get("/Slot", {"schedule": "Schedule/unknown"}).json["total"] == 0


def test_slot_searches_refuse_what_they_cannot_compute(fhir, session, world):
    schedule = world["schedules"]["ruiz-portland"]
    schedule.booking_horizon_days = 365
    session.flush()
    today = datetime.now(ZONE).date()

    def refused(query):
        response = fhir.get("/Slot", query)
        assert response.status_code == 400, response.get_data(as_text=True)
        [issue] = response.json["issue"]
        return issue["expression"][0]

    assert refused({}) == "schedule"
    assert refused([("schedule", schedule.id), ("start", f"ge{today}"),
                    ("start", f"lt{today + timedelta(days=200)}")]) == "start"  # fmt: skip
    assert refused({"schedule": schedule.id, "status": "open"}) == "status"
    assert refused({"schedule": schedule.id, "start": f"{today},{today}"}) == "start"
    assert refused({"schedule": ",".join(f"s{n}" for n in range(51))}) == "schedule"
    # Without an upper bound, a long horizon is cut at 92 days.
    found = fhir.get("/Slot", {"schedule": schedule.id, "_count": "0"}).json
    assert found["total"] <= 92 * 20


def test_the_calendars_last_second_is_no_slot(fhir, session, world):
    schedule = world["schedules"]["chen-denver"]
    schedule.time_zone_name = "Pacific/Auckland"  # ahead of UTC: its 10000-01-01 overflows
    session.flush()
    last = f"{schedule.id}.99991231T235959Z"
    assert fhir.get(f"/Slot/{last}").status_code == 404
    nobody = "00000000-0000-0000-0000-000000000000.99991231T235959Z"
    for query in ({"_id": nobody}, {"_id": last}, {"schedule": schedule.id, "_id": last}):
        assert fhir.get("/Slot", query).json["total"] == 0
    for start in ("ge9999-12-31T20:00:00Z", "gt9999-12-31T23:59:58Z", "ge9999-12-31"):
        response = fhir.get("/Slot", {"schedule": schedule.id, "start": start})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.json["total"] == 0


def test_including_schedules_needs_the_catalog_scope(fhir, session, tenant, world):
    schedule = world["schedules"]["ruiz-portland"]
    slots_only = Fhir(fhir.client, HOST, make_key(session, tenant, scopes=["availability:read"]))
    query = {"schedule": schedule.id, "_count": "1"}
    assert matches(slots_only.get("/Slot", query))
    refused = slots_only.get("/Slot", {**query, "_include": "Slot:schedule"})
    assert refused.status_code == 403
    [issue] = refused.json["issue"]
    assert issue["code"] == "forbidden" and issue["expression"] == ["_include"]
    assert included(fhir.get("/Slot", {**query, "_include": "Slot:schedule"}))


def test_the_engine_runs_twice_only_to_tell_holds_from_visits(fhir, monkeypatch, world):
    schedule = world["schedules"]["ruiz-portland"]
    token = fhir.client.get(
        f"/api/v3/{HOST}/visit-token",
        query_string={"schedule_id": schedule.id, "appointment_at": tomorrow_at(10).isoformat()},
        headers={"Authorization": fhir.secret},
    )
    assert token.status_code == 200
    passes = []
    engine = slots_module.slots
    monkeypatch.setattr(slots_module, "slots", lambda *a: passes.append(a) or engine(*a))
    day = [("schedule", schedule.id), ("start", f"{tomorrow_at(0).date()}")]
    for statuses, engine_passes, found in (("free", 1, 19), ("busy-tentative", 2, 1),
                                           ("busy,free", 2, 19)):  # fmt: skip
        passes.clear()
        assert fhir.get("/Slot", [*day, ("status", statuses)]).json["total"] == found
        assert len(passes) == engine_passes, statuses
    passes.clear()  # no holds on Chen's schedule: one pass, whatever the status
    chen = world["schedules"]["chen-portland"].id
    assert fhir.get("/Slot", {"schedule": chen, "status": "busy"}).json["total"] == 0
    assert len(passes) == 1

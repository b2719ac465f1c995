"""What the booking flow offers, it accepts; what it does not offer, it refuses.

For random schedules (zone, hours, slot interval, capacity, appointment types of several
durations) with random visits already booked, tomorrow:

- every time `GET /available-appointment-times` lists for a type gets a visit token with
  that `appointment_type` and without one, and booking one of them with that type succeeds;
- a time it does not list for a type gets no token for that type, and `POST /visits` with
  a token signed for that time (as if issued earlier) refuses to book it for that type;
- a time it lists for no type gets no token at all.

And the README's walk-through on the demo data, for a time at the end of an opening
window: listed for an annual physical, too late for the schedule's longest type.
"""

from datetime import UTC, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from inquick.auth.keys import SCOPES, issue_key
from inquick.booking.tokens import issue_token, new_token_id
from inquick.demo import DEMO_HOSTNAME, seed
from inquick.extensions import db
from inquick.models import HealthSystem, Location, Schedule, WeeklyWindow
from tests import factories
from tests.booking.conftest import PATIENT, post_visit
from tests.conftest import Api, make_key

ZONES = ["America/New_York", "America/Denver", "Pacific/Auckland"]
DURATIONS = [15, 20, 30, 40, 45, 60]
GRID_MINUTES = 5
slugs = count()


@st.composite
def shapes(draw):
    """A schedule's shape: one or two windows tomorrow, its types and its booked visits."""
    opens = draw(st.integers(8 * 12, 10 * 12)) * GRID_MINUTES  # minutes after midnight
    windows = [(opens, opens + draw(st.integers(4, 24)) * GRID_MINUTES)]
    if draw(st.booleans()):
        gap = draw(st.integers(1, 12)) * GRID_MINUTES
        start = windows[0][1] + gap
        windows.append((start, start + draw(st.integers(4, 24)) * GRID_MINUTES))
    last = windows[-1][1]
    return {
        "zone": draw(st.sampled_from(ZONES)),
        "windows": windows,
        "interval": draw(st.sampled_from([10, 15, 20, 30])),
        "capacity": draw(st.integers(1, 2)),
        "durations": draw(
            st.lists(st.sampled_from(DURATIONS), min_size=1, max_size=3, unique=True)
        ),
        "visits": draw(
            st.lists(
                st.tuples(
                    st.integers(opens // GRID_MINUTES, last // GRID_MINUTES),
                    st.sampled_from(DURATIONS),
                ),
                max_size=4,
            )
        ),
    }


def clock(minutes):
    return time(minutes // 60, minutes % 60)


def build(session, tenant, shape):
    """The schedule of `shape`, open tomorrow (its local date), with its visits booked."""
    zone = ZoneInfo(shape["zone"])
    day = datetime.now(UTC).astimezone(zone).date() + timedelta(days=1)
    types = [
        factories.AppointmentTypeFactory(
            health_system=tenant, slug=f"type-{next(slugs)}", duration_minutes=minutes,
            priority=priority,
        )
        for priority, minutes in enumerate(sorted(shape["durations"], reverse=True), start=1)
    ]  # fmt: skip
    schedule = factories.ScheduleFactory(
        health_system=tenant,
        time_zone_name=shape["zone"],
        weekly_windows=[
            WeeklyWindow(weekday=day.weekday(), opens_at=clock(a), closes_at=clock(b))
            for a, b in shape["windows"]
        ],
        appointment_types=types,
        slot_interval_minutes=shape["interval"],
        capacity=shape["capacity"],
        minimum_notice_minutes=0,
        hold_minutes=0,  # every candidate is asked for: tokens that held would fill the day
    )
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    for step, minutes in shape["visits"]:
        start = (midnight + timedelta(minutes=step * GRID_MINUTES)).astimezone(UTC)
        factories.VisitFactory(
            schedule=schedule, starts_at=start, ends_at=start + timedelta(minutes=minutes)
        )
    session.flush()
    return schedule, day, types


def listed(api, schedule, day, slug):
    """The instants the available times list for `slug` on `day`."""
    db.session.expire_all()
    response = api.get(
        "/available-appointment-times",
        {
            "schedule_ids[]": schedule.id,
            "appointment_type": slug,
            "start_date": day.isoformat(),
            "end_date": day.isoformat(),
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    [entry] = response.json["data"]
    return {datetime.fromisoformat(t).astimezone(UTC) for t in entry["attributes"]["times"]}


def token_status(api, schedule, at, slug=None):
    query = {"schedule_id": schedule.id, "appointment_at": at.isoformat()}
    if slug is not None:
        query["appointment_type"] = slug
    return api.get("/visit-token", query).status_code


def book(api, schedule, at, slug, token):
    body = {
        "data": {
            "type": "visits",
            "attributes": {**PATIENT, "appointment-at": at.isoformat(), "appointment-type": slug},
            "relationships": {"schedule": {"data": {"type": "schedules", "id": schedule.id}}},
        }
    }
    return post_visit(api, token, body)


def candidates(shape, day):
    """Every 5 minutes from half an hour before the first window to half an hour after the
    last, in UTC: on and off the slot grid, inside and outside the hours."""
    midnight = datetime.combine(day, time(0), tzinfo=ZoneInfo(shape["zone"]))
    first, last = shape["windows"][0][0] - 30, shape["windows"][-1][1] + 30
    return [
        (midnight + timedelta(minutes=m)).astimezone(UTC)
        for m in range(first, last + 1, GRID_MINUTES)
    ]


def signed(app, tenant, schedule, at, key_id):
    """A token for `at`, signed as GET /visit-token signs one, whether or not it would."""
    return issue_token(
        app.config["TOKEN_SECRET"], health_system=tenant, schedule_id=schedule.id,
        slot_start=at, now=datetime.now(UTC), api_key_id=key_id, token_id=new_token_id(),
    )  # fmt: skip


def test_every_listed_time_books_and_no_other(app, client, session, tenant, monkeypatch):
    # Hundreds of requests a minute: the limits are not what is tested here.
    monkeypatch.setitem(app.config, "RATE_LIMIT", 10**6)
    monkeypatch.setitem(app.config, "BOOKING_RATE_LIMIT", 10**6)
    key, secret = issue_key(tenant, scopes=SCOPES)
    session.add(key)
    session.flush()
    api, key_id = Api(client, "tenant-a.example.org", secret), key.id
    seen = {"booked": 0, "refused-unlisted": 0}

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(shape=shapes(), data=st.data())
    def agree(shape, data):
        schedule, day, types = build(session, tenant, shape)
        times = candidates(shape, day)
        offered = {kind.slug: listed(api, schedule, day, kind.slug) for kind in types}
        any_type = set().union(*offered.values())
        for at in times:
            expected = 200 if at in any_type else 422
            assert token_status(api, schedule, at) == expected, (at, offered)
        for slug, starts in offered.items():
            for at in times:
                expected = 200 if at in starts else 422
                assert token_status(api, schedule, at, slug) == expected, (slug, at)
        # Book one listed time of each type (the lists are asked again: a booking may
        # have filled what another type listed), then try to book a time not listed.
        for kind in types:
            starts = sorted(listed(api, schedule, day, kind.slug))
            unlisted = [at for at in times if at not in starts]
            if unlisted:
                at = data.draw(st.sampled_from(unlisted), label=f"unlisted for {kind.slug}")
                forged = signed(app, tenant, schedule, at, key_id)
                response = book(api, schedule, at, kind.slug, forged)
                assert response.status_code in (409, 422), response.get_data(as_text=True)
                seen["refused-unlisted"] += 1
            if starts:
                at = data.draw(st.sampled_from(starts), label=f"listed for {kind.slug}")
                issued = api.get(
                    "/visit-token", {"schedule_id": schedule.id, "appointment_at": at.isoformat()}
                )
                assert issued.status_code == 200, issued.get_data(as_text=True)
                response = book(api, schedule, at, kind.slug, issued.get_data(as_text=True))
                assert response.status_code == 201, response.get_data(as_text=True)
                seen["booked"] += 1

    agree()
    assert seen["booked"] >= 10 and seen["refused-unlisted"] >= 10, seen


def test_the_readme_walk_books_a_time_at_the_end_of_a_window(client, session):
    """Steps 1 to 5 of the README's booking walk-through (the token asked for without an
    appointment type, as there), for the last annual physical (30 min) of a day: too late
    in its window for the schedule's default type (new patient, 40 min)."""
    seed(session, progress=lambda _line: None)
    session.flush()
    winter = session.scalar(select(HealthSystem).where(HealthSystem.slug == "winter-health"))
    api = Api(client, DEMO_HOSTNAME, make_key(session, winter))
    schedule_id = api.get("/locations/feestport/schedules").json["data"][0]["id"]
    schedule = session.get(Schedule, schedule_id)
    assert session.get(Location, schedule.location_id).slug == "feestport"
    kinds = {kind.slug: kind.duration_minutes for kind in schedule.appointment_types}
    assert kinds["annual-physical"] < kinds[schedule.appointment_types[0].slug]

    def times(slug):
        response = api.get(
            "/available-appointment-times",
            {"schedule_ids[]": schedule_id, "appointment_type": slug},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.json["data"][0]["attributes"]["times"]

    default_times = set(times(schedule.appointment_types[0].slug))
    last_of_each_day = {}
    for at in times("annual-physical"):  # ascending: the last of a day is the end of its hours
        last_of_each_day[at[:10]] = at
    late = [at for at in last_of_each_day.values() if at not in default_times]
    assert late, "the demo has a day whose last time only the shorter type fits"
    at = late[0]
    assert api.get(f"/visit-settings/{schedule_id}").status_code == 200
    issued = api.get("/visit-token", {"schedule_id": schedule_id, "appointment_at": at})
    assert issued.status_code == 200, issued.get_data(as_text=True)
    response = book(api, schedule, datetime.fromisoformat(at), "annual-physical",
                    issued.get_data(as_text=True))  # fmt: skip
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.json["data"]["attributes"]["appointment-at"] == at

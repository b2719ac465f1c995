"""Slot holds: a visit token keeps a seat while the patient fills the form, until it books,
is released or expires; holding is bounded per key and per client address.

(The race across server processes is tests/booking/test_hold_race.py.)
"""

import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inquick.auth.keys import issue_key
from inquick.booking.holds import HoldBounds, Requester
from inquick.booking.reservations import SlotUnavailable, reserve_slot
from inquick.booking.schedule_rules import taken_seats
from inquick.booking.token_slots import take_slot
from inquick.client_addresses import client_digest
from inquick.models import SlotHold
from tests import factories
from tests.booking.conftest import (
    open_every_day,
    post_visit,
    request_token,
    tomorrow_at,
    visit_body,
)
from tests.conftest import Api, make_key

HELD = re.compile(r"held; expires=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")
BOUNDS = HoldBounds(per_key=100, per_address=100)


def slot_state(api, schedule, at):
    """The slot's entry with every slot listed: (remaining capacity, held), and whether the
    default list shows it."""
    day = at.date().isoformat()
    query = {"schedule_ids[]": schedule.id, "start_date": day, "end_date": day}
    everything = api.get("/available-appointment-times", {**query, "available_only": "false"})
    listed = api.get("/available-appointment-times", query).json["data"][0]["attributes"]
    [entry] = [s for s in everything.json["data"][0]["attributes"]["slots"]
               if s["time"] == at.isoformat()]  # fmt: skip
    return entry["remaining-capacity"], entry["held"], at.isoformat() in listed["times"]


def release(api, token):
    return api.client.delete(api.url("/visit-token"), headers={"Authorization": f"Bearer {token}"})


def test_a_token_holds_its_seat_until_it_books(booking_api, session, holding):
    at = tomorrow_at(10)
    before = datetime.now(UTC)
    issued = request_token(booking_api, holding, at)
    assert issued.status_code == 200
    expires = datetime.strptime(HELD.fullmatch(issued.headers["Slot-Hold"])[1],
                                "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)  # fmt: skip
    assert timedelta(minutes=9) < expires - before <= timedelta(minutes=10, seconds=1)
    assert slot_state(booking_api, holding, at) == (0, 1, False)

    second = request_token(booking_api, holding, at)
    assert second.status_code == 422, "the held seat was given again"

    booked = post_visit(booking_api, issued.get_data(as_text=True), visit_body(holding, at))
    assert booked.status_code == 201, booked.get_data(as_text=True)
    # The visit took the hold's seat: the slot is full of one visit, nothing is held.
    assert slot_state(booking_api, holding, at) == (0, 0, False)
    assert session.scalars(select(SlotHold)).all() == []


def test_a_released_seat_is_free_at_once_and_the_token_still_books_if_one_is(booking_api, holding):
    at = tomorrow_at(11)
    first = request_token(booking_api, holding, at).get_data(as_text=True)

    assert release(booking_api, first).status_code == 204
    assert slot_state(booking_api, holding, at) == (1, 0, True)
    second = request_token(booking_api, holding, at)
    assert second.status_code == 200 and second.headers["Slot-Hold"].startswith("held")

    # The first token's seat is now the second's: it cannot book until that is given back.
    assert post_visit(booking_api, first, visit_body(holding, at)).status_code == 409
    assert release(booking_api, second.get_data(as_text=True)).status_code == 204
    assert post_visit(booking_api, first, visit_body(holding, at)).status_code == 201


def test_a_release_is_harmless_to_repeat_and_needs_the_token(
    booking_api, client, session, holding, other_tenant
):
    token = request_token(booking_api, holding, tomorrow_at(12)).get_data(as_text=True)
    assert [release(booking_api, token).status_code for _ in range(2)] == [204, 204]

    for credentials in (None, "Bearer not-a-token", f"Bearer {booking_api.secret}"):
        headers = {"Authorization": credentials} if credentials else {}
        refused = client.delete(booking_api.url("/visit-token"), headers=headers)
        assert refused.status_code == 401, credentials
        assert refused.json["errors"][0]["status"] == "401"
    # Another health system's hostname does not take this system's token.
    other = Api(client, "tenant-b.example.org", make_key(session, other_tenant))
    assert release(other, token).status_code == 401


def test_a_hold_counts_until_it_expires_and_an_expired_token_books_a_free_seat(
    session, tenant, holding
):
    t0 = datetime.now(UTC).replace(microsecond=0)
    at = tomorrow_at(13)
    key_id = make_key_id(session, tenant)

    def hold(token_id, now):
        return take_slot(
            session, schedule=holding, appointment_type=None, start=at, now=now,
            token_id=token_id, requester=Requester(key_id, client_digest("192.0.2.7", "s")),
            bounds=BOUNDS,
        )[1]  # fmt: skip

    def taken(now):
        found = taken_seats(
            session, [holding.id], at - timedelta(hours=1), at + timedelta(hours=1), now
        )
        return len(found.held[holding.id])

    assert hold("first", t0).expires_at == t0 + timedelta(minutes=10)
    assert taken(t0 + timedelta(minutes=9, seconds=59)) == 1
    assert taken(t0 + timedelta(minutes=10)) == 0
    with pytest.raises(SlotUnavailable):
        hold("too-soon", t0 + timedelta(minutes=9))

    # Expired, the first token's seat goes to the next who asks; the first cannot book.
    assert hold("second", t0 + timedelta(minutes=11)).state == "held"
    with pytest.raises(SlotUnavailable):
        book(session, holding, at, "first", t0 + timedelta(minutes=12))
    # The second token books over its own hold, expired or not, as long as the seat is free.
    visit = book(session, holding, at, "second", t0 + timedelta(minutes=25))
    assert visit.token_id == "second"
    assert session.get(SlotHold, "second") is None


def make_key_id(session, tenant):
    key, _ = issue_key(tenant, scopes=["visits:create"])
    session.add(key)
    session.flush()
    return key.id


def book(session, schedule, at, token_id, now):
    return reserve_slot(
        session, schedule=schedule, appointment_type=schedule.appointment_types[0], start=at,
        now=now, token_id=token_id, patient={},
    )  # fmt: skip


def test_one_key_holds_a_bounded_number_of_seats(app, booking_api, session, holding, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_HOLDS_PER_KEY", 2)
    answers = [request_token(booking_api, holding, tomorrow_at(9, m)) for m in (0, 30)]
    answers.append(request_token(booking_api, holding, tomorrow_at(14)))

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers["Slot-Hold"].split(";")[0] for a in answers] == ["held", "held", "not-held"]
    assert "This key holds 2 seats already" in answers[2].headers["Slot-Hold"]
    # The token that holds nothing still books, and the seat it did not hold is free.
    assert slot_state(booking_api, holding, tomorrow_at(14)) == (1, 0, True)
    booked = post_visit(booking_api, answers[2].get_data(as_text=True),
                        visit_body(holding, tomorrow_at(14)))  # fmt: skip
    assert booked.status_code == 201


def test_one_client_address_holds_a_bounded_number_of_seats_whatever_its_keys(
    app, client, session, tenant, holding, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_HOLDS_PER_ADDRESS", 1)
    first, second = (Api(client, "tenant-a.example.org", make_key(session, tenant))
                     for _ in range(2))  # fmt: skip
    assert request_token(first, holding, tomorrow_at(15)).headers["Slot-Hold"].startswith("held")
    refused = request_token(second, holding, tomorrow_at(16)).headers["Slot-Hold"]
    assert refused.startswith("not-held") and "client address holds 1 seats" in refused


def test_an_ipv6_client_holds_a_bounded_number_of_seats_whatever_its_addresses_in_a_64(
    app, client, session, tenant, holding, monkeypatch
):
    """One host has a whole /64 to send from: the bound is on the /64, not each address."""
    monkeypatch.setitem(app.config, "MAX_HOLDS_PER_ADDRESS", 1)
    api = Api(client, "tenant-a.example.org", make_key(session, tenant))

    def hold_from(address, hour):
        return api.get(
            "/visit-token",
            {"schedule_id": holding.id, "appointment_at": tomorrow_at(hour).isoformat()},
            environ_base={"REMOTE_ADDR": address},
        ).headers["Slot-Hold"]

    assert hold_from("2001:db8:1:2::1", 15).startswith("held")
    assert hold_from("2001:db8:1:2:ffff:ffff:ffff:fffe", 16).startswith("not-held")
    assert hold_from("2001:db8:1:3::1", 16).startswith("held")  # another /64


def test_the_bound_on_an_address_counts_its_holds_in_one_health_system(
    app, client, session, tenant, other_tenant, holding, physical, monkeypatch
):
    """A partner's sandbox or another system served from the same address takes nothing
    from this system's bound, and is not told of it."""
    monkeypatch.setitem(app.config, "MAX_HOLDS_PER_ADDRESS", 1)
    theirs = factories.ScheduleFactory(
        health_system=other_tenant, time_zone_name="America/New_York",
        weekly_windows=open_every_day(), minimum_notice_minutes=0, hold_minutes=10,
    )  # fmt: skip
    other = Api(client, "tenant-b.example.org", make_key(session, other_tenant))
    ours = Api(client, "tenant-a.example.org", make_key(session, tenant))
    assert request_token(other, theirs, tomorrow_at(15)).headers["Slot-Hold"].startswith("held")
    assert request_token(ours, holding, tomorrow_at(15)).headers["Slot-Hold"].startswith("held")


def test_a_head_request_holds_nothing(booking_api, session, holding):
    answer = booking_api.client.head(
        booking_api.url("/visit-token"),
        query_string={"schedule_id": holding.id, "appointment_at": tomorrow_at(10).isoformat()},
        headers={"Authorization": booking_api.secret},
    )
    assert answer.status_code == 200
    assert answer.headers["Slot-Hold"] == 'not-held; reason="A HEAD request holds nothing."'
    assert session.scalars(select(SlotHold)).all() == []
    assert (
        request_token(booking_api, holding, tomorrow_at(10)).headers["Slot-Hold"].startswith("held")
    )


def test_client_addresses_are_kept_as_keyed_digests():
    digests = {client_digest(address, "one secret") for address in ("192.0.2.7", "192.0.2.8")}
    assert len(digests) == 2
    assert client_digest("192.0.2.7", "another secret") not in digests
    assert all("192.0.2" not in digest for digest in digests)


def test_an_ipv4_clients_digest_keys_the_text_holds_stored_before():
    """Holds live at a deploy keep counting against their address's bound."""
    before = hmac.new(b"s", b"hold client 192.0.2.7", hashlib.sha256).hexdigest()[:32]
    assert client_digest("192.0.2.7", "s") == client_digest("::ffff:192.0.2.7", "s") == before


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("2001:db8::1", "2001:db8::ffff:1", True),
        ("2001:db8::1", "2001:DB8:0:0:1::1", True),
        ("2001:db8::1", "2001:db8:0:1::1", False),
        ("192.0.2.7", "192.0.2.8", False),
    ],
)
def test_an_ipv6_client_is_counted_by_its_64(one, other, same):
    assert (client_digest(one, "s") == client_digest(other, "s")) is same


def test_a_schedule_that_holds_nothing_says_so(booking_api, schedule):
    issued = request_token(booking_api, schedule, tomorrow_at(10))
    assert issued.headers["Slot-Hold"] == 'off; reason="The schedule does not hold slots."'
    assert slot_state(booking_api, schedule, tomorrow_at(10)) == (1, 0, True)


def test_a_visit_is_not_moved_onto_a_held_seat(booking_api, holding, token_for):
    booked = post_visit(booking_api, token_for(tomorrow_at(9), holding),
                        visit_body(holding, tomorrow_at(9)))  # fmt: skip
    request_token(booking_api, holding, tomorrow_at(17))
    move = {"data": {"type": "visits", "id": booked.json["data"]["id"],
                     "attributes": {"appointment-at": tomorrow_at(17).isoformat(),
                                    "reason": "later suits"}}}  # fmt: skip
    assert booking_api.patch(f"/visits/{booked.json['data']['id']}", move).status_code == 409


def test_hold_minutes_is_a_setting_of_the_schedule(booking_api, holding):
    path = f"/schedules/{holding.id}"

    def change(minutes):
        body = {"data": {"type": "schedules", "id": holding.id,
                         "attributes": {"hold-minutes": minutes}}}  # fmt: skip
        return booking_api.patch(path, body)

    assert booking_api.get(path).json["data"]["attributes"]["hold-minutes"] == 10
    refused = change(31)
    assert refused.status_code == 422
    assert refused.json["errors"][0]["source"] == {"pointer": "/data/attributes/hold-minutes"}
    assert change(0).status_code == 200
    assert (
        request_token(booking_api, holding, tomorrow_at(10)).headers["Slot-Hold"].startswith("off")
    )

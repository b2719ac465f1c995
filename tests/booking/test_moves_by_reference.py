"""A patient moves their own booking by reference with a visit token for the new time:
atomically, like a reschedule, spending the token; anything else about the token is
refused pointing at what is wrong."""

import jwt
import pytest
from sqlalchemy import select

from inquick.auth.keys import PARTNER_SCOPES
from inquick.models import AuditEntry, SlotHold, SpentVisitToken, Visit
from tests import factories
from tests.booking.conftest import (
    open_every_day,
    post_visit,
    request_token,
    tomorrow_at,
    visit_body,
)
from tests.booking.test_booking_references import calendar_of
from tests.conftest import Api, make_key


@pytest.fixture
def partner(client, session, tenant):
    return Api(client, "tenant-a.example.org", make_key(session, tenant, scopes=PARTNER_SCOPES))


def token(api, schedule, at):
    issued = request_token(api, schedule, at)
    assert issued.status_code == 200, issued.get_data(as_text=True)
    return issued.get_data(as_text=True)


def book(api, schedule, at):
    """(the booking reference, the visit id, the token that booked) of a new booking."""
    booking_token = token(api, schedule, at)
    response = post_visit(api, booking_token, visit_body(schedule, at))
    assert response.status_code == 201, response.get_data(as_text=True)
    data = response.json["data"]
    return data["attributes"]["booking-reference"], data["id"], booking_token


def move(reference, at, visit_token=None, reason="The afternoon suits me better."):
    attributes = {"appointment-at": at.isoformat(), "reason": reason}
    body = {"data": {"type": "bookings", "id": reference, "attributes": attributes}}
    if visit_token is not None:
        body["meta"] = {"visit-token": visit_token}
    return body


def test_a_patient_moves_their_booking_with_a_token_for_the_new_time(session, partner, holding):
    reference, visit_id, _ = book(partner, holding, tomorrow_at(10))
    new_token = token(partner, holding, tomorrow_at(14))  # holds the 14:00 seat

    moved = partner.patch(f"/bookings/{reference}", move(reference, tomorrow_at(14), new_token))

    assert moved.status_code == 200, moved.get_data(as_text=True)
    assert moved.json["data"]["attributes"]["appointment-at"] == tomorrow_at(14).isoformat()
    assert moved.json["data"]["attributes"]["reason"] == "The afternoon suits me better."
    session.expire_all()
    visit = session.get(Visit, visit_id)
    assert visit.calendar_sequence == 1 and visit.booking_reference == reference.replace("-", "")
    assert session.get(SpentVisitToken, token_claim(new_token)).visit_id == visit_id
    assert session.scalars(select(SlotHold)).all() == [], "the token's hold ended with the move"
    _, event = calendar_of(partner, reference)
    assert int(event["SEQUENCE"]) == 1
    # The old time is free at once; the new one is the visit's.
    assert request_token(partner, holding, tomorrow_at(10)).status_code == 200
    assert request_token(partner, holding, tomorrow_at(14)).status_code == 422
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.visit_id == visit_id).order_by(AuditEntry.id)
    ).all()
    assert actions[-2:] == ["reschedule", "read"]  # the move, then the calendar's read


def token_claim(visit_token):
    return jwt.decode(visit_token, options={"verify_signature": False})["jti"]


def test_a_token_moves_once_and_then_neither_moves_nor_books(session, partner, holding):
    reference, visit_id, booking_token = book(partner, holding, tomorrow_at(9))
    new_token = token(partner, holding, tomorrow_at(15))
    body = move(reference, tomorrow_at(15), new_token)
    assert partner.patch(f"/bookings/{reference}", body).status_code == 200

    again = partner.patch(f"/bookings/{reference}", body)
    assert again.status_code == 200, "the same move sent again answers the booking as it is"
    session.expire_all()
    assert session.get(Visit, visit_id).calendar_sequence == 1

    back = partner.patch(f"/bookings/{reference}", move(reference, tomorrow_at(9), new_token))
    assert back.status_code == 422  # the token is for 15:00, not 09:00
    spent = post_visit(partner, new_token, visit_body(holding, tomorrow_at(15)))
    assert spent.status_code == 409, "a token that moved a booking cannot also book"
    # The token that booked cannot move the booking either.
    other = partner.patch(f"/bookings/{reference}", move(reference, tomorrow_at(9), booking_token))
    assert other.status_code == 409
    assert other.json["errors"][0]["detail"] == (
        "This visit token has been used already; ask for a new one."
    )


@pytest.mark.parametrize(
    ("case", "pointer"),
    [
        ("no token", "/meta/visit-token"),
        ("not a token", "/meta/visit-token"),
        ("another schedule", "/meta/visit-token"),
        ("another time", "/data/attributes/appointment-at"),
    ],
)
def test_a_move_needs_a_token_for_the_booking_s_schedule_and_time(
    session, partner, holding, tenant, physical, case, pointer
):
    reference, visit_id, _ = book(partner, holding, tomorrow_at(11))
    elsewhere = factories.ScheduleFactory(
        health_system=tenant, time_zone_name="America/New_York",
        weekly_windows=open_every_day(), appointment_types=[physical],
        slot_interval_minutes=30, capacity=1, minimum_notice_minutes=0,
    )  # fmt: skip
    session.flush()
    visit_token = {
        "no token": None,
        "not a token": "not-a-token",
        "another schedule": lambda: token(partner, elsewhere, tomorrow_at(16)),
        "another time": lambda: token(partner, holding, tomorrow_at(17)),
    }[case]
    visit_token = visit_token() if callable(visit_token) else visit_token

    refused = partner.patch(f"/bookings/{reference}", move(reference, tomorrow_at(16), visit_token))

    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert [e["source"]["pointer"] for e in refused.json["errors"]] == [pointer]
    session.expire_all()
    assert session.get(Visit, visit_id).calendar_sequence == 0


def test_another_system_s_token_moves_nothing(client, session, partner, holding, other_tenant):
    reference, visit_id, _ = book(partner, holding, tomorrow_at(12))
    theirs = Api(client, "tenant-b.example.org",
                 make_key(session, other_tenant, scopes=PARTNER_SCOPES))  # fmt: skip
    their_schedule = factories.ScheduleFactory(
        health_system=other_tenant, time_zone_name="America/New_York",
        weekly_windows=open_every_day(), minimum_notice_minutes=0,
    )  # fmt: skip
    session.flush()
    their_token = token(theirs, their_schedule, tomorrow_at(16))

    refused = partner.patch(f"/bookings/{reference}", move(reference, tomorrow_at(16), their_token))

    assert refused.status_code == 422
    assert refused.json["errors"][0]["source"] == {"pointer": "/meta/visit-token"}
    assert refused.json["errors"][0]["detail"] == (
        "The visit token is not valid for this health system."
    )
    session.expire_all()
    assert session.get(Visit, visit_id).calendar_sequence == 0


def test_a_move_to_a_slot_taken_meanwhile_is_a_conflict(session, partner, schedule):
    reference, visit_id, _ = book(partner, schedule, tomorrow_at(10))  # holds nothing
    new_token = token(partner, schedule, tomorrow_at(13))
    book(partner, schedule, tomorrow_at(13))

    taken = partner.patch(f"/bookings/{reference}", move(reference, tomorrow_at(13), new_token))

    assert taken.status_code == 409
    session.expire_all()
    assert session.get(Visit, visit_id).calendar_sequence == 0
    assert session.get(SpentVisitToken, token_claim(new_token)) is None, "nothing was spent"

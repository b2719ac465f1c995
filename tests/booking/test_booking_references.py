"""Booking references: given at booking, found again with a partner key, never more than
the appointment; cancelled and added to a calendar by reference; lookups rate limited and
audited."""

import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from inquick.auth.keys import PARTNER_SCOPES
from inquick.booking.references import ALPHABET, LENGTH, new_reference, read_reference, shown
from inquick.models import AuditEntry, Visit
from tests import factories
from tests.booking.conftest import PATIENT, post_visit, request_token, visit_body
from tests.conftest import Api, make_key

SHOWN = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


@pytest.fixture
def partner(client, session, tenant):
    """What a partner's booking site holds: a key with the partner scopes only."""
    return Api(client, "tenant-a.example.org", make_key(session, tenant, scopes=PARTNER_SCOPES))


@pytest.fixture
def booked(booking_api, schedule, slot, token_for):
    """A visit booked through the API: (its answer's attributes, the visit's id)."""
    response = post_visit(booking_api, token_for(slot), visit_body(schedule, slot))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json["data"]["attributes"], response.json["data"]["id"]


def reference_of(booked):
    return booked[0]["booking-reference"]


def audit_of(session, visit_id):
    return [
        (e.action, e.fields)
        for e in session.scalars(
            select(AuditEntry).where(AuditEntry.visit_id == visit_id).order_by(AuditEntry.id)
        )
    ]


def patient_values_in(text):
    return [value for value in PATIENT.values() if value in text]


def test_a_reference_carries_60_random_bits_in_an_alphabet_without_look_alikes():
    assert len(ALPHABET) ** LENGTH >= 2**60
    assert not set("ILOU") & set(ALPHABET) and len(set(ALPHABET)) == 32
    references = {new_reference() for _ in range(20_000)}
    assert len(references) == 20_000
    assert all(SHOWN.fullmatch(shown(r)) for r in references)
    # Every character is drawn: each of the 32 turns up in every position.
    for position in range(LENGTH):
        assert {r[position] for r in references} == set(ALPHABET)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("7KQ2-M9XD-4HTR", "7KQ2M9XD4HTR"),
        ("7kq2 m9xd 4htr", "7KQ2M9XD4HTR"),
        ("7KQ2M9XD4HTR", "7KQ2M9XD4HTR"),
        ("O0IL-M9XD-4HTR", "0011M9XD4HTR"),  # O read as 0, I and L as 1
        ("7KQ2-M9XD-4HTU", None),  # U is not in the alphabet
        ("7KQ2-M9XD-4HT", None),
        ("7KQ2-M9XD-4HTRR", None),
        ("", None),
        ("-" * 200, None),
    ],
)
def test_a_reference_is_read_as_a_person_types_it(typed, read):
    assert read_reference(typed) == read


def test_the_booking_answer_carries_its_reference(session, booked):
    attributes, visit_id = booked
    assert SHOWN.fullmatch(reference_of(booked))
    stored = session.get(Visit, visit_id).booking_reference
    assert shown(stored) == reference_of(booked)
    assert not patient_values_in(str(attributes))


@pytest.mark.parametrize("form", ["as-given", "lowercase", "spaced", "look-alikes"])
def test_a_partner_finds_the_booking_by_reference_without_patient_data(
    session, partner, booked, schedule, slot, form
):
    reference = reference_of(booked)
    typed = {
        "as-given": reference,
        "lowercase": reference.lower(),
        "spaced": reference.replace("-", " "),
        "look-alikes": reference.replace("0", "O").replace("1", "l"),
    }[form]
    response = partner.get(f"/bookings/{typed}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    data = response.json["data"]
    assert (data["type"], data["id"]) == ("bookings", reference)
    attributes = data["attributes"]
    assert attributes["appointment-at"] == slot.isoformat()
    assert attributes["ends-at"] == (slot + timedelta(minutes=30)).isoformat()
    assert attributes["status"] == "scheduled"
    assert attributes["appointment-type"] == "annual-physical"
    assert attributes["provider-name"] == schedule.provider.name
    assert attributes["location-name"] == schedule.location.name
    assert data["relationships"]["schedule"]["data"] == {"type": "schedules", "id": schedule.id}
    assert data["links"]["calendar"] == data["links"]["self"] + "/calendar"
    assert not patient_values_in(response.get_data(as_text=True))
    assert audit_of(session, booked[1])[-1] == ("read", [])


def test_another_system_or_an_unknown_reference_finds_nothing(
    client, session, other_tenant, partner, booked
):
    reference = reference_of(booked)
    stranger = Api(client, "tenant-b.example.org", make_key(session, other_tenant))
    assert stranger.get(f"/bookings/{reference}").status_code == 404
    unknown = "ZZZZ-ZZZZ-ZZZZ" if reference != "ZZZZ-ZZZZ-ZZZZ" else "YYYY-YYYY-YYYY"
    response = partner.get(f"/bookings/{unknown}")
    assert response.status_code == 404
    assert unknown not in response.get_data(as_text=True)
    assert partner.get("/bookings/not-a-reference").status_code == 404


def test_a_key_without_the_booking_scope_cannot_look_up(client, session, tenant, booked):
    reader = Api(client, "tenant-a.example.org", make_key(session, tenant, scopes=["catalog:read"]))
    assert reader.get(f"/bookings/{reference_of(booked)}").status_code == 403


def cancellation(reference, **attributes):
    attributes = {"status": "cancelled", "reason": "The patient cannot come.", **attributes}
    return {"data": {"type": "bookings", "id": reference, "attributes": attributes}}


def test_a_patient_cancels_by_reference_and_the_slot_is_free_again(
    session, partner, booked, booking_api, schedule, slot, token_for
):
    reference = reference_of(booked)
    response = partner.patch(f"/bookings/{reference}", cancellation(reference.lower()))
    assert response.status_code == 200, response.get_data(as_text=True)
    attributes = response.json["data"]["attributes"]
    assert (attributes["status"], attributes["reason"]) == ("cancelled", "The patient cannot come.")
    session.expire_all()
    visit = session.get(Visit, booked[1])
    assert (visit.status, visit.calendar_sequence) == ("cancelled", 1)
    assert audit_of(session, visit.id)[-1] == ("cancel", ["reason", "status"])
    again = post_visit(booking_api, token_for(slot), visit_body(schedule, slot))
    assert again.status_code == 201, "the slot is free once its booking is cancelled"
    assert partner.patch(f"/bookings/{reference}", cancellation(reference)).status_code == 409


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [
        ({"status": "completed"}, "/data/attributes/status"),
        # A move needs a visit token for the new time (tests/booking/test_moves_by_reference.py).
        ({"status": None, "appointment-at": "2030-01-01T10:00:00-05:00"}, "/meta/visit-token"),
        ({"reason": ""}, "/data/attributes/reason"),
        ({"email": "x@example.org"}, "/data/attributes/email"),
    ],
)
def test_a_patient_cancels_or_moves_with_a_token_and_nothing_else(
    session, partner, booked, attributes, pointer
):
    reference = reference_of(booked)
    body = cancellation(reference, **attributes)
    body["data"]["attributes"] = {
        k: v for k, v in body["data"]["attributes"].items() if v is not None
    }
    response = partner.patch(f"/bookings/{reference}", body)
    assert response.status_code == 422, response.get_data(as_text=True)
    if pointer:
        assert pointer in {e["source"]["pointer"] for e in response.json["errors"]}
    session.expire_all()
    assert session.get(Visit, booked[1]).status == "scheduled"


def test_the_document_must_name_the_booking(partner, booked):
    reference = reference_of(booked)
    other = "ZZZZ-ZZZZ-ZZZZ" if reference != "ZZZZ-ZZZZ-ZZZZ" else "YYYY-YYYY-YYYY"
    response = partner.patch(f"/bookings/{reference}", cancellation(other))
    assert response.status_code == 409
    assert response.json["errors"][0]["source"] == {"pointer": "/data/id"}


def test_lookups_are_limited_per_address_and_per_key(app, client, session, tenant, monkeypatch):
    monkeypatch.setitem(app.config, "LOOKUP_RATE_LIMIT", 3)
    one = Api(client, "tenant-a.example.org", make_key(session, tenant, scopes=PARTNER_SCOPES))
    statuses = [one.get(f"/bookings/{new_reference()}").status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    another_key = Api(client, "tenant-a.example.org", make_key(session, tenant))
    assert another_key.get(f"/bookings/{new_reference()}").status_code == 429, "same address"

    monkeypatch.setitem(app.config, "LOOKUP_RATE_LIMIT", 1000)
    monkeypatch.setitem(app.config, "KEY_LOOKUP_RATE_LIMIT", 2)
    fresh = Api(client, "tenant-a.example.org", make_key(session, tenant, scopes=PARTNER_SCOPES))
    statuses = [
        fresh.get(
            f"/bookings/{new_reference()}", environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}
        ).status_code
        for n in range(3)
    ]
    assert statuses == [404, 404, 429], "many addresses, one key"


def calendar_of(api, reference):
    response = api.get(f"/bookings/{reference}/calendar")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/calendar"
    assert not patient_values_in(response.get_data(as_text=True))
    # The reference is a credential: not in a file that is forwarded and synced.
    assert read_reference(reference).lower() not in response.get_data(as_text=True).lower()
    assert reference not in response.get_data(as_text=True)
    assert reference not in response.headers["Content-Disposition"]
    calendar = Calendar.from_ical(response.data)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_the_readme_walk_book_look_up_add_to_calendar_move_cancel(
    session, booking_api, partner, schedule, slot, token_for
):
    # Book (the answer gives the reference), look it up, add it to a calendar, move it,
    # cancel it.
    answer = post_visit(booking_api, token_for(slot), visit_body(schedule, slot))
    reference = answer.json["data"]["attributes"]["booking-reference"]
    assert partner.get(f"/bookings/{reference}").json["data"]["attributes"]["status"] == (
        "scheduled"
    )
    calendar, event = calendar_of(partner, reference)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert event.decoded("DTSTART") == slot
    assert event.decoded("DTEND") == slot + timedelta(minutes=30)
    assert int(event["SEQUENCE"]) == 0
    uid = str(event["UID"])
    assert reference not in uid and answer.json["data"]["id"] not in uid

    # A reschedule by the health system: the same entry, one version later.
    later = slot + timedelta(hours=2)
    staff = booking_api
    moved = staff.patch(
        f"/visits/{answer.json['data']['id']}",
        {
            "data": {
                "type": "visits",
                "id": answer.json["data"]["id"],
                "attributes": {"appointment-at": later.isoformat(), "reason": "Doctor late."},
            }
        },
    )
    assert moved.status_code == 200, moved.get_data(as_text=True)
    _, event = calendar_of(partner, reference)
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (uid, 1)
    assert event.decoded("DTSTART") == later

    # The patient moves it themselves, with a visit token for the new time.
    latest = slot + timedelta(hours=3)
    token = request_token(partner, schedule, latest).get_data(as_text=True)
    move = {
        "data": {
            "type": "bookings",
            "id": reference,
            "attributes": {"appointment-at": latest.isoformat(), "reason": "Later suits me."},
        },
        "meta": {"visit-token": token},
    }
    assert partner.patch(f"/bookings/{reference}", move).status_code == 200
    _, event = calendar_of(partner, reference)
    assert (str(event["UID"]), int(event["SEQUENCE"]), event.decoded("DTSTART")) == (
        uid, 2, latest,
    )  # fmt: skip

    cancelled = partner.patch(f"/bookings/{reference}", cancellation(reference))
    assert cancelled.status_code == 200
    calendar, event = calendar_of(partner, reference)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (uid, 3)


def test_a_sandbox_key_sees_only_sandbox_bookings(client, session, tenant, booked):
    sandbox = factories.HealthSystemFactory(
        slug=tenant.slug, name="Sandbox", mode="test", live_system_id=tenant.id, hostnames=[]
    )
    tester = Api(client, "tenant-a.example.org", make_key(session, sandbox, mode="test"))
    assert tester.get(f"/bookings/{reference_of(booked)}").status_code == 404

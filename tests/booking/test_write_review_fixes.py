"""What a review of the write side found, held in place: hostile JSON, runaway patterns,
and rules changed while a booking waits for the schedule's lock."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from inquick.booking.reservations import SlotUnavailable, reserve_slot
from inquick.booking.stored_rules import rule_problems
from inquick.models import Schedule, Visit, VisitValidation
from tests.booking.conftest import post_visit, visit_body
from tests.conftest import Api, make_key


@pytest.fixture
def admin(client, session, tenant):
    """A key that may change the catalog and its visits."""
    scopes = ["catalog:read", "catalog:write", "visits:read", "visits:write"]
    return Api(client, "tenant-a.example.org", make_key(session, tenant, scopes=scopes))


def raw_post(api, path, text):
    return api.client.post(
        api.url(path),
        data=text,
        content_type="application/vnd.api+json",
        headers={"Authorization": api.secret},
    )


@pytest.mark.parametrize(
    "number", ["NaN", "Infinity", "-Infinity", "1e400", "9" * 5000], ids=str.__len__
)
def test_numbers_json_does_not_have_are_a_bad_document(admin, session, number):
    text = f'{{"data": {{"type": "services", "attributes": {{"name": "x", "n": {number}}}}}}}'
    response = raw_post(admin, "/services", text)
    assert response.status_code == 400
    [error] = response.json["errors"]
    assert (error["code"], error["source"]) == ("invalid-document", {"pointer": ""})


def test_a_document_nested_past_any_reason_is_a_bad_document(admin):
    text = '{"data": ' + "[" * 5000 + "]" * 5000 + "}"
    response = raw_post(admin, "/services", text)
    assert response.status_code == 400
    assert response.json["errors"][0]["code"] == "invalid-document"


def new_rule(schedule, **attributes):
    return {
        "data": {
            "type": "validations",
            "attributes": attributes,
            "relationships": {"schedule": {"data": {"type": "schedules", "id": schedule.id}}},
        }
    }


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?=a)a", r"(?<!b)a"])
def test_a_pattern_re2_refuses_is_not_stored(admin, session, schedule, pattern):
    body = new_rule(schedule, kind="format", attributes=["zip"], options={"with": pattern})
    response = admin.post("/validations", body)
    assert response.status_code == 422
    [error] = response.json["errors"]
    assert error["source"] == {"pointer": "/data/attributes/options/with"}
    assert session.scalar(select(func.count()).select_from(VisitValidation)) == 0


def test_a_backtracking_pattern_cannot_stall_a_booking(
    admin, booking_api, session, schedule, slot, token_for
):
    """`([a-z]+ ?)*` against 60 letters and a `!` takes Python's `re` hours; RE2 no time."""
    body = new_rule(
        schedule, kind="format", attributes=["first-name"], options={"with": "([a-z]+ ?)*"}
    )
    assert admin.post("/validations", body).status_code == 201
    visit = visit_body(schedule, slot, **{"first-name": "a" * 60 + "!"})
    response = post_visit(booking_api, token_for(slot), visit)
    assert response.status_code == 422
    assert response.json["errors"][0]["source"] == {"pointer": "/data/attributes/first-name"}


@pytest.mark.parametrize("value", [[float("nan")], ["a", 1e308 * 10]], ids=["nan", "inf"])
def test_inclusion_choices_must_be_finite(value):
    assert rule_problems("inclusion", ["zip"], {"in": value}) == {
        "options/in": "must hold only strings, finite numbers and booleans"
    }


def test_a_nul_schedule_link_is_not_found(admin, session):
    body = {
        "data": {
            "type": "validations",
            "attributes": {"kind": "presence", "attributes": ["zip"]},
            "relationships": {"schedule": {"data": {"type": "schedules", "id": "a\x00b"}}},
        }
    }
    response = admin.post("/validations", body)
    assert response.status_code == 404
    assert response.json["errors"][0]["source"] == {"pointer": "/data/relationships/schedule/data"}


def test_a_booking_counts_against_the_capacity_committed_before_its_lock(
    session, schedule, physical, slot
):
    """The rules are read again once the lock is held: a capacity lowered behind the
    loaded schedule's back is the one that counts."""
    schedule.capacity = 2
    session.flush()
    session.execute(
        update(Schedule).where(Schedule.id == schedule.id).values(capacity=1),
        execution_options={"synchronize_session": False},
    )
    assert schedule.capacity == 2  # the loaded object still says 2
    now = datetime.now(UTC)
    reserve_slot(session, schedule=schedule, appointment_type=physical, start=slot, now=now)
    with pytest.raises(SlotUnavailable):
        reserve_slot(session, schedule=schedule, appointment_type=physical, start=slot, now=now)
    assert session.scalar(select(func.count()).select_from(Visit)) == 1

"""Input no endpoint can mean is a 4xx JSON:API error, never a 500, on every database.

The walk of every operation with every hostile shape is tests/hostile/test_hostile_input.py; these
are the booking's own: dates far from today, attributes past their limits, and signed visit
tokens whose claims no column can be compared with.
"""

import jwt
import pytest
from sqlalchemy import func, select

from inquick.extensions import db
from inquick.models import Visit
from tests import factories
from tests.booking.conftest import post_visit, visit_body


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"start_date": "0001-01-01"}, "start_date"),
        ({"end_date": "9999-12-31"}, "end_date"),
        ({"start_date": "9999-12-29"}, "start_date"),
    ],
)
def test_dates_far_from_today(booking_api, schedule, query, parameter):
    response = booking_api.get(
        "/available-appointment-times", {"schedule_ids[]": schedule.id, **query}
    )
    assert response.status_code == 400
    assert response.json["errors"][0]["source"] == {"parameter": parameter}


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:00:00-05:00"])
def test_visit_tokens_for_times_far_from_today(booking_api, schedule, at):
    response = booking_api.get("/visit-token", {"schedule_id": schedule.id, "appointment_at": at})
    assert response.status_code == 422
    assert response.json["errors"][0]["source"] == {"parameter": "appointment_at"}


@pytest.mark.parametrize(
    ("claim", "value", "mode"),
    [
        ("hs", 2**31, "test"),  # past PostgreSQL's integer ids
        ("hs", 2**64, "test"),  # past SQLite's too
        ("jti", "a\x00b", "live"),  # PostgreSQL refuses NUL in text
        ("jti", "f" * 65, "live"),  # past the 64 characters a visit keeps
        ("sch", "a\x00b", "live"),
    ],
    ids=["hs-past-32-bits", "hs-past-64-bits", "jti-with-nul", "jti-of-65", "sch-with-nul"],
)
def test_signed_claims_past_their_columns_are_refused(
    app, booking_api, session, schedule, slot, token_for, claim, value, mode
):
    """Signed with the real secret, such a token reached the statements that use its claims:
    a 500 (on PostgreSQL, or on both databases) and never a booking."""
    token = token_for(slot)
    claims = jwt.decode(token, options={"verify_signature": False})
    signed = jwt.encode(
        {**claims, "mode": mode, claim: value},
        app.config["TOKEN_SECRET"],
        algorithm="HS256",
        headers=jwt.get_unverified_header(token),
    )
    response = post_visit(booking_api, signed, visit_body(schedule, slot))
    assert response.status_code == 401, response.get_data(as_text=True)
    [error] = response.json["errors"]
    assert error["code"] == "not-authenticated"
    assert error["detail"] == f"The visit token is not valid: its {claim} claim is malformed."
    assert session.scalar(select(func.count()).select_from(Visit)) == 0


@pytest.mark.parametrize(
    "attributes",
    [
        {"remote-uid": "x" * 300},
        {"comments": "y" * 2001},
        {"pregnant": "yes", "weeks-pregnant": "1" * 400},
    ],
)
def test_oversized_or_nul_attributes_are_422s(
    booking_api, session, schedule, slot, token_for, attributes
):
    response = post_visit(booking_api, token_for(slot), visit_body(schedule, slot, **attributes))
    assert response.status_code == 422, response.get_data(as_text=True)
    pointers = {e["source"]["pointer"] for e in response.json["errors"]}
    assert pointers == {f"/data/attributes/{max(attributes, key=lambda k: k != 'pregnant')}"}
    assert session.scalar(select(func.count()).select_from(Visit)) == 0


def test_sql_errors_never_log_their_values(app):
    """A failing statement's parameters (patient data) stay out of exceptions and logs."""
    with app.app_context():
        assert db.engine.hide_parameters is True


def test_another_systems_rows_cannot_satisfy_a_filter(api, session, tenant, other_tenant):
    """Even a (corrupt) link to another system's plan does not match that plan's slug."""
    theirs = factories.InsurancePlanFactory(health_system=other_tenant, slug="shared-slug")
    mine = factories.ScheduleFactory(health_system=tenant, insurance_plans=[theirs])
    session.flush()
    found = api.get("/providers", {"filter[insurance]": "shared-slug"}).json["data"]
    assert mine.provider.slug not in [p["id"] for p in found]

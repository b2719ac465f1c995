"""Visit tokens: issued only for free slots, refused whenever they are not exactly right."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from sqlalchemy import func, select

from inquick.booking.tokens import issue_token, new_token_id
from inquick.models import Visit
from tests import factories
from tests.booking.conftest import (
    open_every_day,
    post_visit,
    request_token,
    tomorrow_at,
    visit_body,
)
from tests.conftest import Api, make_key


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


def assert_refused(response, status, code, pointer=None):
    assert response.status_code == status, response.get_data(as_text=True)
    [error] = response.json["errors"]
    assert error["code"] == code
    if pointer is not None:
        assert error["source"] == {"pointer": pointer}
    return error


def test_a_token_binds_the_schedule_slot_system_and_mode(booking_api, schedule, slot, tenant):
    response = request_token(booking_api, schedule, slot)
    assert response.status_code == 200
    assert response.mimetype == "application/jwt"
    token = response.get_data(as_text=True)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = claims_of(token)
    assert claims["sch"] == schedule.id
    assert claims["at"] == slot.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (claims["hs"], claims["mode"]) == (tenant.id, "live")
    assert claims["exp"] - claims["iat"] == 30 * 60
    assert (
        claims["jti"] != claims_of(request_token(booking_api, schedule, slot).data.decode())["jti"]
    )


@pytest.mark.parametrize(
    "at", ["between-slots", "closed-hours", "past", "naive", "not-a-time", "24:00"]
)
def test_no_token_for_a_time_that_is_not_a_free_slot(booking_api, schedule, at):
    values = {
        "between-slots": tomorrow_at(10, 10).isoformat(),
        "closed-hours": tomorrow_at(19).isoformat(),
        "past": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
        "naive": tomorrow_at(10).replace(tzinfo=None).isoformat(),
        "not-a-time": "tomorrow at ten",
        "24:00": tomorrow_at(10).date().isoformat() + "T24:00:00-05:00",
    }
    response = booking_api.get(
        "/visit-token", {"schedule_id": schedule.id, "appointment_at": values[at]}
    )
    assert response.status_code in (400, 422)
    assert response.json["errors"][0]["source"] == {"parameter": "appointment_at"}


def test_no_token_for_a_full_slot(booking_api, schedule, slot, token_for):
    assert post_visit(booking_api, token_for(slot), visit_body(schedule, slot)).status_code == 201
    response = request_token(booking_api, schedule, slot)
    assert_refused(response, 422, "unprocessable")


def test_no_token_for_another_systems_schedule(booking_api, other_tenant, slot):
    theirs = factories.ScheduleFactory(health_system=other_tenant)
    response = request_token(booking_api, theirs, slot)
    assert response.status_code == 404
    assert response.json["errors"][0]["source"] == {"parameter": "schedule_id"}


def test_tokens_need_the_visits_create_scope(client, session, tenant, schedule, slot):
    api = Api(client, "tenant-a.example.org", make_key(session, tenant, scopes=["catalog:read"]))
    assert_refused(request_token(api, schedule, slot), 403, "forbidden")


def sign(header, claims, secret):
    """A token signed with `secret`, of any claims: PyJWT refuses to encode some shapes."""
    unsigned = forge(claims, header).rstrip(".")
    mac = hmac.new(secret.encode(), unsigned.encode(), hashlib.sha256).digest()
    return f"{unsigned}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def forge(claims, header):
    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def refused_tokens(app, token, tenant, slot, schedule):
    claims = claims_of(token)
    secret = app.config["TOKEN_SECRET"]
    head, body, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return {
        "tampered signature": f"{head}.{body}.{flipped}",
        "tampered claims": f"{head}.{forge({**claims, 'sch': 'x'}, {'alg': 'HS256'}).split('.')[1]}"
        f".{signature}",
        "alg none": forge(claims, {"alg": "none", "typ": "JWT"}),
        "another key": jwt.encode(claims, "not-the-secret-" * 4, algorithm="HS256"),
        "another algorithm": jwt.encode(claims, secret, algorithm="HS512"),
        "expired": issue_token(
            secret,
            health_system=tenant,
            schedule_id=schedule.id,
            slot_start=slot,
            now=datetime.now(UTC) - timedelta(minutes=31),
            api_key_id=claims["key"],
            token_id=new_token_id(),
        ),
        "not a token": "hello",
    }


@pytest.mark.parametrize(
    "kind",
    [
        "tampered signature",
        "tampered claims",
        "alg none",
        "another key",
        "another algorithm",
        "expired",
        "not a token",
    ],
)
def test_bad_tokens_are_refused(app, booking_api, session, schedule, slot, tenant, token_for, kind):
    bad = refused_tokens(app, token_for(slot), tenant, slot, schedule)[kind]
    response = post_visit(booking_api, bad, visit_body(schedule, slot))
    assert_refused(response, 401, "not-authenticated")
    assert session.scalar(select(func.count()).select_from(Visit)) == 0


def test_a_missing_token_is_refused(booking_api, schedule, slot):
    response = booking_api.client.post(
        booking_api.url("/visits"),
        json=visit_body(schedule, slot),
        headers={"Authorization": booking_api.secret},
    )
    assert_refused(response, 401, "not-authenticated")


def test_a_token_of_another_health_system_is_refused(client, session, tenant, other_tenant, slot):
    theirs = factories.ScheduleFactory(
        health_system=other_tenant, weekly_windows=open_every_day(), minimum_notice_minutes=0
    )
    other_api = Api(client, "tenant-b.example.org", make_key(session, other_tenant))
    token = request_token(other_api, theirs, slot).get_data(as_text=True)
    mine = Api(client, "tenant-a.example.org", None)
    assert_refused(post_visit(mine, token, visit_body(theirs, slot)), 401, "not-authenticated")


def test_the_body_must_name_the_tokens_slot(booking_api, schedule, slot, token_for):
    token = token_for(slot)
    later = slot + timedelta(minutes=30)
    response = post_visit(booking_api, token, visit_body(schedule, later))
    assert_refused(response, 422, "unprocessable", "/data/attributes/appointment-at")


def test_the_body_must_name_the_tokens_schedule(booking_api, tenant, schedule, slot, token_for):
    other = factories.ScheduleFactory(health_system=tenant)
    response = post_visit(booking_api, token_for(slot), visit_body(other, slot))
    assert_refused(response, 422, "unprocessable", "/data/relationships/schedule")


def test_the_same_instant_in_another_offset_is_the_same_slot(
    booking_api, schedule, slot, token_for
):
    body = visit_body(schedule, slot.astimezone(UTC))
    assert post_visit(booking_api, token_for(slot), body).status_code == 201


def test_a_retry_returns_the_same_visit_and_stores_one(
    booking_api, session, schedule, slot, token_for
):
    token, body = token_for(slot), visit_body(schedule, slot)
    first = post_visit(booking_api, token, body)
    again = post_visit(booking_api, token, body)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert session.scalar(select(func.count()).select_from(Visit)) == 1


def test_a_token_reused_with_another_body_is_a_conflict(
    booking_api, session, schedule, slot, token_for
):
    token = token_for(slot)
    assert post_visit(booking_api, token, visit_body(schedule, slot)).status_code == 201
    response = post_visit(booking_api, token, visit_body(schedule, slot, **{"first-name": "Ada"}))
    assert_refused(response, 409, "conflict")
    assert session.scalar(select(func.count()).select_from(Visit)) == 1


def test_a_second_token_for_a_slot_taken_meanwhile_is_a_conflict(
    booking_api, session, schedule, slot, token_for
):
    first, second = token_for(slot), token_for(slot)
    assert post_visit(booking_api, first, visit_body(schedule, slot)).status_code == 201
    response = post_visit(booking_api, second, visit_body(schedule, slot, **{"first-name": "Ada"}))
    assert_refused(response, 409, "conflict")
    assert session.scalar(select(func.count()).select_from(Visit)) == 1


@pytest.mark.parametrize(
    ("claim", "value"),
    [("exp", "soon"), ("iat", "then"), ("sch", {"id": "x"}), ("hs", [1]), ("hs", True),
     ("at", 1700000000), ("mode", 1), ("mode", "prod"), ("jti", {"a": 1}), ("key", "1"),
     ("iss", ["inquick"])],
)  # fmt: skip
def test_signed_claims_of_the_wrong_type_are_refused(
    app, booking_api, session, schedule, slot, token_for, claim, value
):
    """Signed with the real secret, such a token once reached the code using it: a 500."""
    token, secret = token_for(slot), app.config["TOKEN_SECRET"]
    header = jwt.get_unverified_header(token)
    resigned = sign(header, claims_of(token), secret)  # signed as the server signs:
    assert jwt.decode(resigned, secret, algorithms=["HS256"], issuer="inquick") == claims_of(token)
    forged = sign(header, {**claims_of(token), claim: value}, secret)
    error = assert_refused(
        post_visit(booking_api, forged, visit_body(schedule, slot)), 401, "not-authenticated"
    )
    assert error["detail"].startswith("The visit token is not valid")
    assert session.scalar(select(func.count()).select_from(Visit)) == 0


def test_a_rotated_secret_still_verifies_until_it_is_removed(
    app, booking_api, session, schedule, token_for, monkeypatch
):
    old_secret = app.config["TOKEN_SECRET"]
    first, second = tomorrow_at(9), tomorrow_at(11)
    old_tokens = [token_for(first), token_for(second)]
    monkeypatch.setitem(app.config, "TOKEN_SECRET", "a-new-secret-" * 5)
    monkeypatch.setitem(app.config, "PREVIOUS_TOKEN_SECRET", old_secret)
    new_token = token_for(tomorrow_at(12))
    assert (
        jwt.get_unverified_header(new_token)["kid"]
        != jwt.get_unverified_header(old_tokens[0])["kid"]
    )
    assert old_secret not in json.dumps(jwt.get_unverified_header(new_token))
    # Both verify while the old secret is kept.
    booked = post_visit(booking_api, old_tokens[0], visit_body(schedule, first))
    assert booked.status_code == 201
    assert (
        post_visit(booking_api, new_token, visit_body(schedule, tomorrow_at(12))).status_code == 201
    )
    # Removed, the old secret verifies nothing.
    monkeypatch.setitem(app.config, "PREVIOUS_TOKEN_SECRET", None)
    error = assert_refused(
        post_visit(booking_api, old_tokens[1], visit_body(schedule, second)),
        401, "not-authenticated",
    )  # fmt: skip
    assert "no longer in use" in error["detail"]

"""CORS: publishable keys answer their allowed origins' pages; writes from others are 403s."""

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from inquick.auth.callers import Callers
from inquick.auth.cors import ALLOWED_HEADERS, EXPOSED_HEADERS, allowed_from
from inquick.auth.keys import digest
from inquick.models import ApiKey, SlotHold, Visit
from tests import factories
from tests.auth.test_callers import Clock
from tests.booking.conftest import open_every_day, tomorrow_at, visit_body
from tests.conftest import Api, make_key

HOST = "tenant-a.example.org"
SHOP = "https://shop.example.org"
ELSEWHERE = "https://elsewhere.example.net"
OWN = "http://localhost"  # the test client's own origin
PAGE_SCOPES = ["catalog:read", "availability:read", "visits:create"]


def publishable(session, system, origins=(SHOP,), **options):
    return make_key(session, system, publishable=True, allowed_origins=origins, **options)


@pytest.fixture
def page(client, session, tenant):
    """An Api holding a publishable key of `tenant` allowed from SHOP."""
    return Api(client, HOST, publishable(session, tenant))


@pytest.fixture
def partner(client, session, tenant):
    """An Api holding a secret key of `tenant` with the same scopes."""
    return Api(client, HOST, make_key(session, tenant, scopes=PAGE_SCOPES))


@pytest.fixture
def holding(tenant):
    """A schedule open every day whose visit tokens hold their seat."""
    physical = factories.AppointmentTypeFactory(
        health_system=tenant, slug="annual-physical", name="Annual Physical", duration_minutes=30
    )
    return factories.ScheduleFactory(
        health_system=tenant, time_zone_name="America/New_York",
        weekly_windows=open_every_day(), appointment_types=[physical],
        slot_interval_minutes=30, capacity=1, minimum_notice_minutes=0, hold_minutes=10,
    )  # fmt: skip


def preflight(client, origin, path="/services", host=HOST, method="GET"):
    return client.options(
        f"/api/v3/{host}{path}",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def cors_headers(response):
    return {k: v for k, v in response.headers.items() if k.startswith("Access-Control-")}


def take_token(api, schedule, at, headers=None):
    return api.get(
        "/visit-token",
        {"schedule_id": schedule.id, "appointment_at": at.isoformat()},
        headers=headers,
    )


def holds(session):
    return session.scalar(select(func.count()).select_from(SlotHold))


def visits(session):
    return session.scalar(select(func.count()).select_from(Visit))


def test_a_preflight_from_an_allowed_origin_is_answered(client, page):
    response = preflight(client, SHOP, method="POST")
    assert response.status_code == 204 and response.get_data() == b""
    assert "Content-Type" not in response.headers
    assert cors_headers(response) == {
        "Access-Control-Allow-Origin": SHOP,
        "Access-Control-Allow-Methods": "GET, HEAD, POST, PATCH, DELETE",
        "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
        "Access-Control-Max-Age": "600",
    }
    assert response.headers["Vary"] == "Origin"
    assert {"Authorization", "Content-Type"} <= set(ALLOWED_HEADERS)
    # The alias prefix and a path with an id answer alike.
    aliased = client.options(
        f"/v3/{HOST}/bookings/ABCD",
        headers={"Origin": SHOP, "Access-Control-Request-Method": "PATCH"},
    )
    assert aliased.headers["Access-Control-Allow-Origin"] == SHOP


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        (ELSEWHERE, HOST),  # not an allowed origin
        (SHOP.upper(), HOST),  # a browser never spells it so
        ("null", HOST),
        (SHOP, "tenant-b.example.org"),  # another health system's hostname
        (SHOP, "nowhere.example.org"),  # an unknown one: no 404 body either
    ],
)
def test_a_preflight_from_anywhere_else_gets_no_cors_headers(
    client, page, other_tenant, origin, host
):
    response = preflight(client, origin, host=host)
    assert response.status_code == 204 and response.get_data() == b""
    assert cors_headers(response) == {}


def test_a_secret_key_never_opens_a_preflight(client, session, tenant):
    make_key(session, tenant, scopes=PAGE_SCOPES, label=SHOP)
    assert cors_headers(preflight(client, SHOP)) == {}


def test_a_preflight_counts_the_sandbox_keys(client, session, tenant):
    sandbox = tenant.new_sandbox()
    session.add(sandbox)
    session.flush()
    publishable(session, sandbox, origins=["https://qa.example.org"], mode="test")
    response = preflight(client, "https://qa.example.org")
    assert response.headers["Access-Control-Allow-Origin"] == "https://qa.example.org"


def test_a_revoked_keys_origins_stop_passing_preflights_within_the_kept_time(
    app, client, session, page
):
    clock = Clock()
    app.extensions["callers"] = Callers(5, clock=clock)
    assert "Access-Control-Allow-Origin" in preflight(client, SHOP).headers
    key = session.scalar(select(ApiKey).where(ApiKey.digest == digest(page.secret)))
    key.revoked_at = datetime.now(UTC)  # as another server process would
    session.flush()
    clock.now += 4
    assert "Access-Control-Allow-Origin" in preflight(client, SHOP).headers  # kept, 5 s
    clock.now += 2
    assert cors_headers(preflight(client, SHOP)) == {}


def test_a_key_revoked_through_this_process_stops_passing_at_once(app, client, session, page):
    app.extensions["callers"] = Callers(5, clock=Clock())
    manager = Api(
        client, HOST, make_key(session, page_tenant(session, page), scopes=["keys:manage"])
    )
    assert "Access-Control-Allow-Origin" in preflight(client, SHOP).headers
    key_id = session.scalar(select(ApiKey.id).where(ApiKey.digest == digest(page.secret)))
    assert manager.delete(f"/api-keys/{key_id}").status_code == 204
    assert cors_headers(preflight(client, SHOP)) == {}


def page_tenant(session, page):
    return session.scalar(select(ApiKey).where(ApiKey.digest == digest(page.secret))).health_system


def test_a_new_publishable_key_passes_preflights_at_once(app, client, session, tenant):
    app.extensions["callers"] = Callers(5, clock=Clock())
    manager = Api(client, HOST, make_key(session, tenant, scopes=[*PAGE_SCOPES, "keys:manage"]))
    assert cors_headers(preflight(client, SHOP)) == {}
    made = manager.post("/api-keys", {"data": {"type": "api-keys", "attributes": {
        "scopes": ["catalog:read"], "publishable": True, "allowed-origins": [SHOP]}}})  # fmt: skip
    assert made.status_code == 201
    assert preflight(client, SHOP).headers["Access-Control-Allow-Origin"] == SHOP


def test_a_read_from_an_allowed_origin_names_it(page):
    response = page.get("/services", headers={"Origin": SHOP})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    exposed = response.headers["Access-Control-Expose-Headers"].split(", ")
    assert set(EXPOSED_HEADERS) <= set(exposed)
    assert {"Slot-Hold", "Location", "ETag", "Retry-After", "X-RateLimit-Remaining"} <= set(exposed)
    assert "Origin" in response.headers["Vary"] and "Authorization" in response.headers["Vary"]


def test_a_read_from_another_origin_is_served_without_cors_headers(page):
    response = page.get("/services", headers={"Origin": ELSEWHERE})
    assert response.status_code == 200
    assert cors_headers(response) == {}
    assert "Origin" in response.headers["Vary"]


def test_a_secret_key_never_gets_cors_headers(page, partner):
    for origin in (SHOP, OWN, ELSEWHERE):
        response = partner.get("/services", headers={"Origin": origin})
        assert response.status_code == 200
        assert cors_headers(response) == {}, origin
    # Nor its errors, those answered before the key is looked at included.
    assert cors_headers(partner.get("/services/none", headers={"Origin": SHOP})) == {}
    refused = partner.get(
        "/services", headers={"Origin": OWN, "Accept": 'application/vnd.api+json; ext="x"'}
    )
    assert refused.status_code == 406 and cors_headers(refused) == {}


@pytest.mark.parametrize(
    ("path", "status"),
    [("/services/none", 404), ("/visits", 403), ("/services?bogus=1", 400)],
)
def test_errors_from_an_allowed_origin_carry_cors_headers(page, path, status):
    response = page.get(path, headers={"Origin": SHOP})
    assert response.status_code == status
    assert response.headers["Access-Control-Allow-Origin"] == SHOP


def test_refused_credentials_from_an_allowed_origin_are_readable(client, page):
    for secret in ("iq_pub_live_unknown", None):
        headers = {"Origin": SHOP, **({"Authorization": secret} if secret else {})}
        response = client.get(f"/api/v3/{HOST}/services", headers=headers)
        assert response.status_code == 401
        assert response.headers["Access-Control-Allow-Origin"] == SHOP
    refused = client.get(f"/api/v3/{HOST}/services", headers={"Origin": ELSEWHERE})
    assert cors_headers(refused) == {}


def test_a_page_reads_its_rate_limit_refusal(app, client, session, tenant):
    page = Api(client, HOST, publishable(session, tenant, rate_limit=1))
    assert page.get("/services", headers={"Origin": SHOP}).status_code == 200
    refused = page.get("/services", headers={"Origin": SHOP})
    assert refused.status_code == 429
    assert refused.headers["Access-Control-Allow-Origin"] == SHOP
    assert "Retry-After" in refused.headers["Access-Control-Expose-Headers"]


def test_a_visit_token_from_an_allowed_origin_holds_its_seat(page, session, holding):
    response = take_token(page, holding, tomorrow_at(10), {"Origin": SHOP})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    assert response.headers["Slot-Hold"].startswith("held")
    assert holds(session) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": ELSEWHERE},
        {"Origin": "null"},
        # An <img> or a no-cors fetch of another site's page: no Origin, but the browser says.
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_visit_token_for_another_sites_page_holds_nothing(page, session, holding, headers):
    response = take_token(page, holding, tomorrow_at(10), headers)
    assert response.status_code == 403
    [error] = response.json["errors"]
    assert error["code"] == "forbidden" and "allowed origins" in error["detail"]
    assert ELSEWHERE not in error["detail"] and SHOP not in error["detail"]
    assert cors_headers(response) == {}
    assert holds(session) == 0


@pytest.mark.parametrize(
    "headers", [{}, {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}, {"Origin": OWN}]
)
def test_a_visit_token_without_an_origin_or_from_the_apis_own_is_issued(
    page, session, holding, headers
):
    """Browsers send no Origin on a same-origin GET: the hosted booking page's own."""
    response = take_token(page, holding, tomorrow_at(10), headers)
    assert response.status_code == 200
    assert holds(session) == 1


def test_a_secret_key_takes_tokens_from_anywhere(partner, session, holding):
    response = take_token(partner, holding, tomorrow_at(10), {"Origin": ELSEWHERE})
    assert response.status_code == 200 and cors_headers(response) == {}


def book(api, token, schedule, at, origin):
    headers = {"Authorization": f"Bearer {token}"}
    if origin is not None:
        headers["Origin"] = origin
    return api.client.post(
        api.url("/visits"), json=visit_body(schedule, at), headers=headers,
        content_type="application/vnd.api+json",
    )  # fmt: skip


@pytest.mark.parametrize("origin", [ELSEWHERE, None, "null"])
def test_a_publishable_keys_token_books_nothing_from_another_origin(page, session, holding, origin):
    at = tomorrow_at(11)
    token = take_token(page, holding, at, {"Origin": SHOP}).get_data(as_text=True)
    response = book(page, token, holding, at, origin)
    assert response.status_code == 403
    assert "Origin" in response.json["errors"][0]["detail"]
    assert cors_headers(response) == {}
    assert visits(session) == 0 and holds(session) == 1


@pytest.mark.parametrize("origin", [SHOP, OWN])
def test_a_publishable_keys_token_books_from_an_allowed_origin(page, session, holding, origin):
    at = tomorrow_at(11)
    token = take_token(page, holding, at, {"Origin": SHOP}).get_data(as_text=True)
    response = book(page, token, holding, at, origin)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert "Location" in response.headers["Access-Control-Expose-Headers"]
    assert visits(session) == 1


def test_a_secret_keys_token_books_from_anywhere_without_cors_headers(partner, session, holding):
    at = tomorrow_at(11)
    token = take_token(partner, holding, at).get_data(as_text=True)
    for origin in (ELSEWHERE, None):
        response = book(partner, token, holding, at, origin)
        assert response.status_code == 201 and cors_headers(response) == {}
    assert visits(session) == 1


def revoke(session, secret):
    key = session.scalar(select(ApiKey).where(ApiKey.digest == digest(secret)))
    key.revoked_at = datetime.now(UTC)  # as another server process would
    session.flush()
    return key


@pytest.mark.parametrize("origin", [SHOP, OWN])
def test_a_revoked_publishable_keys_tokens_book_nothing_from_a_browser(
    client, session, page, holding, origin
):
    """From the API's own origin too (the hosted page's, always allowed): a 401 as for
    any token that is not valid (readable only by the hosted page: a revoked key allows no
    origin of its own), and its hold is not given back either."""
    at = tomorrow_at(11)
    token = take_token(page, holding, at, {"Origin": SHOP}).get_data(as_text=True)
    revoke(session, page.secret)
    response = book(page, token, holding, at, origin)
    assert response.status_code == 401
    [error] = response.json["errors"]
    assert error["code"] == "not-authenticated" and "revoked" in error["detail"]
    assert cors_headers(response).get("Access-Control-Allow-Origin") == (
        OWN if origin == OWN else None
    )
    assert visits(session) == 0
    released = page.client.delete(
        page.url("/visit-token"), headers={"Authorization": f"Bearer {token}", "Origin": origin}
    )
    assert released.status_code == 401 and holds(session) == 1


def test_a_revoked_publishable_keys_token_moves_no_booking(app, client, session, tenant, holding):
    """A page that rotated its key cannot move a booking with a token of the revoked one."""
    old = Api(client, HOST, publishable(session, tenant))
    booked = book(old, take_token(old, holding, tomorrow_at(9), {"Origin": SHOP}).get_data(
        as_text=True), holding, tomorrow_at(9), SHOP)  # fmt: skip
    assert booked.status_code == 201, booked.get_data(as_text=True)
    reference = booked.json["data"]["attributes"]["booking-reference"]
    token = take_token(old, holding, tomorrow_at(13), {"Origin": SHOP}).get_data(as_text=True)
    app.extensions["callers"].forget_key(revoke(session, old.secret).id)  # as DELETE does
    new = Api(client, HOST, publishable(session, tenant))
    body = {
        "data": {"type": "bookings", "id": reference,
                 "attributes": {"appointment-at": tomorrow_at(13).isoformat(), "reason": "x"}},
        "meta": {"visit-token": token},
    }  # fmt: skip
    moved = new.patch(f"/bookings/{reference}", body, headers={"Origin": SHOP})
    assert moved.status_code == 422, moved.get_data(as_text=True)
    [error] = moved.json["errors"]
    assert error["source"] == {"pointer": "/meta/visit-token"} and "revoked" in error["detail"]


def test_a_revoked_secret_keys_tokens_still_book(client, session, partner, holding):
    """Unchanged: a secret key's tokens were asked for by its partner's server, and live
    out their half hour."""
    at = tomorrow_at(11)
    token = take_token(partner, holding, at).get_data(as_text=True)
    revoke(session, partner.secret)
    assert book(partner, token, holding, at, None).status_code == 201


@pytest.mark.parametrize(
    "refusal",
    [
        {"Accept": 'application/vnd.api+json; ext="x"'},  # 406
        {"Content-Type": "text/plain"},  # 415
    ],
)
def test_a_secret_keys_token_gets_no_cors_headers_on_errors_before_it_is_read(
    page, partner, holding, refusal
):
    """Not even from an origin a publishable key of the hostname allows."""
    at = tomorrow_at(11)
    token = take_token(partner, holding, at).get_data(as_text=True)
    headers = {"Authorization": f"Bearer {token}", "Origin": SHOP, **refusal}
    response = partner.client.post(
        partner.url("/visits"), data=json.dumps(visit_body(holding, at)), headers=headers,
        content_type=refusal.get("Content-Type", "application/vnd.api+json"),
    )  # fmt: skip
    assert response.status_code in (406, 415)
    assert cors_headers(response) == {}


def test_a_publishable_keys_refused_tokens_are_readable_by_its_page(page, session, holding):
    at = tomorrow_at(11)
    token = take_token(page, holding, at, {"Origin": SHOP}).get_data(as_text=True)
    refused = page.client.post(
        page.url("/visits"), data=json.dumps(visit_body(holding, at)),
        headers={"Authorization": f"Bearer {token}", "Origin": SHOP,
                 "Accept": 'application/vnd.api+json; ext="x"'},
        content_type="application/vnd.api+json",
    )  # fmt: skip
    assert refused.status_code == 406
    assert refused.headers["Access-Control-Allow-Origin"] == SHOP
    forged = book(page, token[:-4] + "AAAA", holding, at, SHOP)
    assert forged.status_code == 401
    assert forged.headers["Access-Control-Allow-Origin"] == SHOP  # as for a refused key


def test_a_write_refused_for_its_origin_counts_against_the_address(
    app, page, session, holding, monkeypatch
):
    """As a refused token does: another site's page cannot try tokens without limit."""
    monkeypatch.setitem(app.config, "RATE_LIMIT", 1)
    at = tomorrow_at(11)
    token = take_token(page, holding, at, {"Origin": SHOP}).get_data(as_text=True)
    assert book(page, token, holding, at, ELSEWHERE).status_code == 403
    assert book(page, token, holding, at, ELSEWHERE).status_code == 429
    assert visits(session) == 0


def test_a_token_gives_its_seat_back_only_from_an_allowed_origin(page, session, holding):
    token = take_token(page, holding, tomorrow_at(12), {"Origin": SHOP}).get_data(as_text=True)

    def release(origin):
        headers = {"Authorization": f"Bearer {token}", **({"Origin": origin} if origin else {})}
        return page.client.delete(page.url("/visit-token"), headers=headers)

    for origin in (ELSEWHERE, None):
        assert release(origin).status_code == 403
        assert holds(session) == 1
    released = release(SHOP)
    assert released.status_code == 204
    assert released.headers["Access-Control-Allow-Origin"] == SHOP
    assert holds(session) == 0


@pytest.mark.parametrize("origin", [ELSEWHERE, None])
def test_other_writes_with_a_publishable_key_need_an_allowed_origin(page, origin):
    headers = {"Origin": origin} if origin else {}
    body = {"data": {"type": "bookings", "id": "ABCD", "attributes": {"status": "cancelled"}}}
    response = page.patch("/bookings/ABCD", body, headers=headers)
    assert response.status_code == 403
    assert "publishable key" in response.json["errors"][0]["detail"]


def test_allowed_from_tells_a_page_whether_it_may_use_a_key(app, session, tenant):
    page_secret = publishable(session, tenant)
    secret = make_key(session, tenant)
    callers = app.extensions["callers"]
    with app.test_request_context(f"/api/v3/{HOST}/services"):
        _t, page_grant = callers.look_up(session, HOST, digest(page_secret))
        _t, secret_grant = callers.look_up(session, HOST, digest(secret))
        assert allowed_from(page_grant, SHOP) and allowed_from(page_grant, OWN)
        assert not allowed_from(page_grant, ELSEWHERE)
        assert not allowed_from(secret_grant, SHOP) and not allowed_from(secret_grant, OWN)


def test_a_publishable_keys_bookings_are_limited_per_client_address(
    app, page, session, holding, monkeypatch
):
    monkeypatch.setitem(app.config, "BOOKING_RATE_LIMIT", 1)

    def book_from(address, at):
        environ = {"REMOTE_ADDR": address}
        token = page.get(
            "/visit-token",
            {"schedule_id": holding.id, "appointment_at": at.isoformat()},
            headers={"Origin": SHOP},
            environ_base=environ,
        ).get_data(as_text=True)
        return page.client.post(
            page.url("/visits"), json=visit_body(holding, at), environ_base=environ,
            headers={"Authorization": f"Bearer {token}", "Origin": SHOP},
        ).status_code  # fmt: skip

    assert book_from("192.0.2.1", tomorrow_at(9)) == 201
    assert book_from("198.51.100.7", tomorrow_at(10)) == 201  # a pool of its own
    assert book_from("192.0.2.1", tomorrow_at(11)) == 429
    assert visits(session) == 2

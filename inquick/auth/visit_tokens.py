"""Authenticating with a visit token: POST /visits (booking) and DELETE /visit-token (giving
its hold back) carry a visit token where other requests carry a key.

The token stands for the key that asked for it: its claims name the health system (live,
or a sandbox of the hostname's) and that key, whose pools the attempt spends from and, for
a publishable key, whose allowed origins the request must come from (`inquick.auth.cors`),
and which must not be revoked.
"""

from flask import current_app, g
from sqlalchemy import select

from inquick.auth.callers import Tenant, bearer_token
from inquick.auth.cors import check_token_origin
from inquick.auth.tenancy import refuse_live_on_sandbox_host
from inquick.booking.bookings import booked_with
from inquick.booking.tokens import TokenRefused, read_token
from inquick.config import verifying_secrets
from inquick.extensions import db
from inquick.jsonapi.errors import Forbidden
from inquick.models import HealthSystem
from inquick.operations import remember_caller
from inquick.ratelimit import spend_for_address, spend_for_bookings, spend_for_replays


def authenticate_visit_token(now):
    """(the tenant, the claims, the visit the token already booked or None) of the
    request's Bearer visit token, its attempt counted; `TokenRefused` for a missing,
    invalid or foreign token. The booked visit is handed on, so booking need not look
    it up again."""
    claims = token_claims(now)
    tenant = tenant_of(claims)
    remember_caller(tenant)
    publishable = issuer_checked(claims)
    booked = booked_with(db.session, tenant, claims["jti"])
    count_attempt(claims, replay=booked is not None, publishable=publishable)
    return tenant, claims, booked


def authenticate_hold_release(now):
    """(the tenant, the claims) of the Bearer visit token giving its hold back; the attempt
    spends from the issuing key's replays, as it books nothing."""
    claims = token_claims(now)
    tenant = tenant_of(claims)
    remember_caller(tenant)
    publishable = issuer_checked(claims)
    spend_for_replays(claims["key"], publishable=publishable)
    return tenant, claims


def token_claims(now):
    """The claims of the Bearer visit token.

    A refused token counts against the caller's address, as a refused key does: guessing
    tokens is limited like guessing keys.
    """
    token = bearer_token()
    if not token:
        spend_for_address()
        raise TokenRefused("This request takes a visit token: Authorization: Bearer <token>.")
    try:
        return read_token(verifying_secrets(current_app), token, now)
    except TokenRefused:
        spend_for_address()
        raise


def issuer_checked(claims):
    """Whether the token's issuing key is publishable, after refusing the request if that
    key is revoked (401) or does not allow its origin (403). A refused request counts
    against the caller's address, as a refused token does: a page of another origin
    cannot try tokens without limit either."""
    try:
        return check_token_origin(claims["key"])
    except (TokenRefused, Forbidden):
        spend_for_address()
        raise


def tenant_of(claims):
    """The health system (the hostname's live one, or its sandbox) the token was issued for."""
    refuse_live_on_sandbox_host(claims["mode"])
    live = g.health_system
    if claims["mode"] == "live" and claims["hs"] == live.id:
        return live
    if claims["mode"] == "test":
        sandbox = db.session.scalar(
            select(HealthSystem).where(
                HealthSystem.id == claims["hs"], HealthSystem.live_system_id == live.id
            )
        )
        if sandbox is not None:
            return Tenant.of(sandbox)
    raise TokenRefused("The visit token is not valid for this health system.")


def count_attempt(claims, *, replay, publishable):
    """Count the request against the pools of the key that issued the token.

    A new booking attempt (even one refused later) spends from the key's bookings; a
    replay of a token that already booked is the same booking answered again, and spends
    from the key's replays instead. Either way only that partner's pool runs out (for a
    publishable key, only that client address's share of it).
    """
    if replay:
        spend_for_replays(claims["key"], publishable=publishable)
    else:
        spend_for_bookings(claims["key"], publishable=publishable)

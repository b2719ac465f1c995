"""Tenancy: the partner hostname picks the health system, the key must belong to it.

Every URL of the API starts with `/api/v3/{partner_hostname}` (or `/v3/...`). The
hostname is resolved before any view runs; the view then sees `g.tenant`, the health
system (live or sandbox) whose rows it may read, and never looks at the hostname again.
"""

import logging
from datetime import UTC, datetime
from urllib.parse import quote

from flask import current_app, g, request
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from inquick.auth.callers import Callers, bearer_token
from inquick.auth.cors import check_key_origin
from inquick.auth.keys import digest, use_is_stale
from inquick.extensions import db
from inquick.jsonapi.errors import NotAuthenticated, NotFound
from inquick.models import ApiKey
from inquick.operations import remember_caller
from inquick.ratelimit import spend_for_address, spend_for_key
from inquick.request_urls import host_url

log = logging.getLogger(__name__)


def init_app(app):
    app.extensions["callers"] = Callers(app.config["CALLER_CACHE_SECONDS"])
    app.url_value_preprocessor(resolve_partner)
    app.before_request(authenticate)


def resolve_partner(_endpoint, values):
    """Turn the hostname segment into `g.health_system`, or answer 404.

    The presented key, if any, is looked up with the hostname, in the same statement.
    """
    if not values or "partner_hostname" not in values:
        return
    hostname = values.pop("partner_hostname").lower()
    secret = presented_key()
    key_digest = digest(secret) if secret else None
    health_system, grant = current_app.extensions["callers"].look_up(
        db.session, hostname, key_digest
    )
    if health_system is None:
        raise NotFound(f"No health system is published at {hostname!r}.")
    g.health_system = health_system
    g.presented = (hostname, key_digest, grant)
    g.api_root = f"{host_url()}api/v3/{quote(hostname, safe='')}"


def presented_key():
    """The key from `api_key`, or from the Authorization header (raw or as a Bearer token)."""
    if "api_key" in request.args:
        return request.args["api_key"]
    token = bearer_token()
    return request.headers.get("Authorization", "").strip() if token is None else token


def authenticate():
    """Set `g.api_key` and `g.tenant` for API requests that are not token-authenticated."""
    if "health_system" not in g:
        return
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "authenticates_itself", False):
        return
    hostname, key_digest, grant = g.presented
    if grant is None or not serves(grant.tenant, g.health_system, grant.mode):
        spend_for_address()  # failed attempts are limited too
        if key_digest is None:
            raise NotAuthenticated("Pass an API key as api_key or in the Authorization header.")
        # One answer for unknown keys and other systems' keys: never confirm who exists.
        raise NotAuthenticated("The API key is not valid for this health system.")
    spend_for_key(grant)
    refuse_live_on_sandbox_host(grant.mode)
    check_key_origin(grant)
    g.api_key, g.tenant = grant, grant.tenant
    remember_caller(grant.tenant, grant)
    now = datetime.now(UTC)
    if use_is_stale(grant, now) and record_use(grant.id, now):
        current_app.extensions["callers"].used(hostname, key_digest, grant, now)


def record_use(key_id, now):
    """Write the key's last use in a transaction of its own, and never fail the request.

    The read transaction ends first: on SQLite a transaction that read and then writes can
    be refused outright when another process wrote in between. True if it was written.
    """
    db.session.commit()
    try:
        db.session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
        db.session.commit()
    except OperationalError:
        db.session.rollback()
        log.info("a key's last use was not recorded: the database is busy")
        return False
    return True


def refuse_live_on_sandbox_host(mode):
    """A sandbox host (INQUICK_SANDBOX_HOST) serves test-mode credentials only."""
    if mode == "live" and current_app.config.get("SANDBOX_HOST"):
        raise NotAuthenticated(
            "This deployment is a sandbox host: use a test key (iq_test_... or iq_pub_test_...)."
        )


def serves(tenant, health_system, mode):
    """Whether a key whose rows are `tenant` may call the hostname of `health_system`."""
    if mode == "live":
        return tenant.id == health_system.id and tenant.mode == "live"
    return tenant.live_system_id == health_system.id and tenant.mode == "test"

"""API keys: generated with a mode prefix, stored as a digest, checked for scopes.

A publishable key (`iq_pub_live_...`, `iq_pub_test_...`) is made for pages in patients'
browsers: it is seen by anyone who opens the page's source, so it holds only what a
booking page needs and is bound to the origins of the pages that may use it.
"""

import hashlib
import secrets
from datetime import timedelta
from functools import wraps

from flask import g

from inquick.auth.origins import normalised_origins
from inquick.models import ApiKey
from inquick.models.base import as_utc

SCOPES = (
    "catalog:read",
    "availability:read",
    "visits:create",
    "visits:read",
    "visits:write",
    "catalog:write",
    "keys:manage",
    "webhooks:manage",
)
PARTNER_SCOPES = ("catalog:read", "availability:read", "visits:create")
# What a key shown in page source may do: read the catalog and free times, and book.
PUBLISHABLE_SCOPES = PARTNER_SCOPES
# How much of a secret is kept to tell keys apart: its kind, its mode and 4 random characters.
PREFIX_RANDOM_CHARACTERS = 4
# last_used_at is a hint for operators, not an audit trail: write it at most this often.
LAST_USED_PRECISION = timedelta(minutes=1)


class UnknownScope(ValueError):
    """A scope name that does not exist."""


class NotPublishable(ValueError):
    """A key asked for with a scope or origins its kind (publishable or secret) cannot have."""


class MissingScope(Exception):
    """The caller's key does not hold a scope the request needs."""


def digest(secret):
    """Keys carry 256 random bits, so a fast hash is as safe as a slow one and costs nothing."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_key(
    health_system,
    *,
    mode="live",
    scopes=PARTNER_SCOPES,
    label=None,
    rate_limit=None,
    publishable=False,
    allowed_origins=(),
):
    """A new key for `health_system`: returns the stored row and the secret, shown once.

    A publishable key also keeps its whole value (`public_value`: it is public anyway) and
    its normalised `allowed_origins`; `InvalidOrigin` or `NotPublishable` if they are wrong.
    """
    unknown = set(scopes) - set(SCOPES)
    if unknown:
        raise UnknownScope(", ".join(sorted(unknown)))
    if allowed_origins and not publishable:
        raise NotPublishable("Only a publishable key has allowed origins.")
    origins = publishable_origins(scopes, allowed_origins) if publishable else None
    head = f"iq_pub_{mode}_" if publishable else f"iq_{mode}_"
    secret = head + secrets.token_urlsafe(32)
    key = ApiKey(
        health_system=health_system,
        digest=digest(secret),
        prefix=secret[: len(head) + PREFIX_RANDOM_CHARACTERS],
        mode=mode,
        scopes=" ".join(s for s in SCOPES if s in scopes),
        label=label,
        rate_limit=rate_limit,
        publishable=publishable,
        allowed_origins=origins,
        public_value=secret if publishable else None,
    )
    return key, secret


def publishable_origins(scopes, allowed_origins):
    """The stored form of a publishable key's origins, after checking what it may hold."""
    beyond = set(scopes) - set(PUBLISHABLE_SCOPES)
    if beyond:
        raise NotPublishable(
            f"A publishable key cannot hold {', '.join(sorted(beyond))}: only "
            f"{', '.join(PUBLISHABLE_SCOPES)}."
        )
    if not allowed_origins:
        raise NotPublishable("A publishable key needs at least one allowed origin.")
    return " ".join(normalised_origins(list(allowed_origins)))


def use_is_stale(key, now):
    """Whether the key's recorded last use is older than we bother to keep it to."""
    return key.last_used_at is None or now - as_utc(key.last_used_at) > LAST_USED_PRECISION


def require_scope(scope):
    """A view decorator: `MissingScope` unless the authenticated key holds `scope`."""

    def decorator(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if scope not in g.api_key.scope_set:
                raise MissingScope(f"This key lacks the {scope} scope.")
            return view(*args, **kwargs)

        return checked

    return decorator

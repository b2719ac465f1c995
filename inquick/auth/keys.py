"""API keys: generated with a mode prefix, stored as a digest, checked for scopes."""

import hashlib
import secrets
from datetime import timedelta
from functools import wraps

from flask import g

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
# last_used_at is a hint for operators, not an audit trail: write it at most this often.
LAST_USED_PRECISION = timedelta(minutes=1)


class UnknownScope(ValueError):
    """A scope name that does not exist."""


class MissingScope(Exception):
    """The caller's key does not hold a scope the request needs."""


def digest(secret):
    """Keys carry 256 random bits, so a fast hash is as safe as a slow one and costs nothing."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_key(health_system, *, mode="live", scopes=PARTNER_SCOPES, label=None, rate_limit=None):
    """A new key for `health_system`: returns the stored row and the secret, shown once."""
    unknown = set(scopes) - set(SCOPES)
    if unknown:
        raise UnknownScope(", ".join(sorted(unknown)))
    secret = f"iq_{mode}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        health_system=health_system,
        digest=digest(secret),
        prefix=secret[:12],
        mode=mode,
        scopes=" ".join(s for s in SCOPES if s in scopes),
        label=label,
        rate_limit=rate_limit,
    )
    return key, secret


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

"""Who calls: a partner hostname's health system and an API key's grant, in one lookup.

Every request names a hostname and most carry a key; both are read in one statement,
and what was read is kept a few seconds (`INQUICK_CALLER_CACHE_SECONDS`) in each
process, so a busy partner's requests mostly read nothing at all to authenticate. A
key revoked here is forgotten at once; revoked by another process or server, it stops
working when the kept copy expires. Only what a lookup found is kept: an unknown key
is looked up every time it is tried (and its tries are rate limited).

The origins that publishable keys allow are kept the same way: those of one key (for
requests made with its visit tokens) and those of all the keys of a hostname's health
system (for CORS preflights, which carry no key).
"""

import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime

from flask import request
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import aliased

from inquick.models import ApiKey, HealthSystem, PartnerHostname

# Where the JSON:API is mounted: every URL names the partner hostname it calls.
API_PREFIXES = ("/api/v3/<partner_hostname>", "/v3/<partner_hostname>")


@dataclass(frozen=True)
class Tenant:
    """A health system as a request sees it: live, or the sandbox of a live one."""

    id: int
    slug: str
    mode: str
    live_system_id: int | None

    @classmethod
    def of(cls, health_system):
        return cls(
            health_system.id, health_system.slug, health_system.mode, health_system.live_system_id
        )


@dataclass(frozen=True)
class Grant:
    """What an API key allows, and whose rows it reads."""

    id: int
    mode: str
    scope_set: frozenset
    rate_limit: int | None
    last_used_at: datetime | None
    tenant: Tenant
    publishable: bool
    allowed_origins: frozenset  # a publishable key's; empty for a secret key


@dataclass(frozen=True)
class KeyOrigins:
    """What a request made with a key's visit token needs of that key."""

    publishable: bool
    origins: frozenset  # none for a secret key, or once revoked
    revoked: bool


_published, _owner = aliased(HealthSystem), aliased(HealthSystem)
# The hostname's health system and, if the digest is an unrevoked key's, the key and its
# own health system (a sandbox key's is the sandbox).
STATEMENT = (
    select(
        _published.id,
        _published.slug,
        _published.mode,
        _published.live_system_id,
        ApiKey.id,
        ApiKey.mode,
        ApiKey.scopes,
        ApiKey.rate_limit,
        ApiKey.last_used_at,
        ApiKey.publishable,
        ApiKey.allowed_origins,
        _owner.id,
        _owner.slug,
        _owner.mode,
        _owner.live_system_id,
    )
    .select_from(PartnerHostname)
    .join(_published, _published.id == PartnerHostname.health_system_id)
    .outerjoin(ApiKey, (ApiKey.digest == bindparam("digest")) & ApiKey.revoked_at.is_(None))
    .outerjoin(_owner, _owner.id == ApiKey.health_system_id)
    .where(PartnerHostname.hostname == bindparam("hostname"))
)
# The origins of every unrevoked publishable key of the hostname's health system, live
# keys and its sandbox's test keys alike (a page's preflight does not say which it holds).
_system = aliased(HealthSystem)
HOSTNAME_ORIGINS = (
    select(ApiKey.allowed_origins)
    .select_from(PartnerHostname)
    .join(
        _system,
        or_(
            _system.id == PartnerHostname.health_system_id,
            _system.live_system_id == PartnerHostname.health_system_id,
        ),
    )
    .join(ApiKey, ApiKey.health_system_id == _system.id)
    .where(
        PartnerHostname.hostname == bindparam("hostname"),
        ApiKey.publishable.is_(True),
        ApiKey.revoked_at.is_(None),
    )
)
# Whether a key (the one that issued a visit token) is publishable, its origins, and
# whether it was revoked.
KEY_ORIGINS = select(ApiKey.publishable, ApiKey.allowed_origins, ApiKey.revoked_at).where(
    ApiKey.id == bindparam("key_id")
)


def bearer_token():
    """The credentials of an `Authorization: Bearer ...` header, or None."""
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def origin_set(stored):
    """The stored space-separated origins as a set."""
    return frozenset((stored or "").split())


class Callers:
    """Hostnames and grants looked up lately, each kept for `seconds` by `clock`."""

    def __init__(self, seconds, clock=time.monotonic, size=10_000):
        self.seconds, self.clock, self.size = seconds, clock, size
        self.hostnames = OrderedDict()  # hostname -> (expires, tenant)
        self.grants = OrderedDict()  # (hostname, digest) -> (expires, grant)
        self.hostname_origins = OrderedDict()  # hostname -> (expires, origins)
        self.key_origins = OrderedDict()  # key id -> (expires, KeyOrigins)

    def _get(self, kept, key):
        found = kept.get(key)
        if found is None or found[0] <= self.clock():
            return None
        return found[1]

    def _keep(self, kept, key, value):
        if self.seconds <= 0:
            return
        kept[key] = (self.clock() + self.seconds, value)
        kept.move_to_end(key)
        while len(kept) > self.size:
            kept.popitem(last=False)

    def look_up(self, session, hostname, key_digest):
        """(the hostname's tenant or None, the key's grant or None)."""
        tenant = self._get(self.hostnames, hostname)
        grant = self._get(self.grants, (hostname, key_digest)) if key_digest else None
        if tenant is not None and (grant is not None or key_digest is None):
            return tenant, grant
        row = session.execute(STATEMENT, {"hostname": hostname, "digest": key_digest}).first()
        if row is None:
            return None, None
        tenant = Tenant(*row[0:4])
        self._keep(self.hostnames, hostname, tenant)
        grant = None
        if row[4] is not None:
            key_id, mode, scopes, rate_limit, last_used_at, publishable, origins = row[4:11]
            grant = Grant(key_id, mode, frozenset(scopes.split()), rate_limit, last_used_at,
                          Tenant(*row[11:15]), publishable, origin_set(origins))  # fmt: skip
            self._keep(self.grants, (hostname, key_digest), grant)
        return tenant, grant

    def origins_of_hostname(self, session, hostname):
        """The origins any unrevoked publishable key of the hostname's system allows."""
        origins = self._get(self.hostname_origins, hostname)
        if origins is None:
            stored = session.scalars(HOSTNAME_ORIGINS, {"hostname": hostname})
            origins = frozenset().union(*map(origin_set, stored))
            self._keep(self.hostname_origins, hostname, origins)
        return origins

    def origins_of_key(self, session, key_id):
        """The key's `KeyOrigins` (an unknown key's: a secret key's, never revoked)."""
        found = self._get(self.key_origins, key_id)
        if found is None:
            row = session.execute(KEY_ORIGINS, {"key_id": key_id}).first()
            publishable, stored, revoked_at = row or (False, None, None)
            revoked = revoked_at is not None
            found = KeyOrigins(publishable, frozenset() if revoked else origin_set(stored), revoked)
            self._keep(self.key_origins, key_id, found)
        return found

    def used(self, hostname, key_digest, grant, moment):
        """Remember that the key's use at `moment` was recorded."""
        if (hostname, key_digest) in self.grants:
            self._keep(self.grants, (hostname, key_digest), replace(grant, last_used_at=moment))

    def forget_key(self, key_id):
        """Drop every kept grant of a key (revoked through this process)."""
        for cache_key in [k for k, (_, grant) in self.grants.items() if grant.id == key_id]:
            del self.grants[cache_key]
        self.key_origins.pop(key_id, None)
        self.origins_changed()

    def origins_changed(self):
        """Forget every hostname's origins (a publishable key was made or revoked here)."""
        self.hostname_origins.clear()

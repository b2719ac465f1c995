"""Who calls: a partner hostname's health system and an API key's grant, in one lookup.

Every request names a hostname and most carry a key; both are read in one statement,
and what was read is kept a few seconds (`INQUICK_CALLER_CACHE_SECONDS`) in each
process, so a busy partner's requests mostly read nothing at all to authenticate. A
key revoked here is forgotten at once; revoked by another process or server, it stops
working when the kept copy expires. Only what a lookup found is kept: an unknown key
is looked up every time it is tried (and its tries are rate limited).
"""

import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from inquick.models import ApiKey, HealthSystem, PartnerHostname


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


class Callers:
    """Hostnames and grants looked up lately, each kept for `seconds` by `clock`."""

    def __init__(self, seconds, clock=time.monotonic, size=10_000):
        self.seconds, self.clock, self.size = seconds, clock, size
        self.hostnames = OrderedDict()  # hostname -> (expires, tenant)
        self.grants = OrderedDict()  # (hostname, digest) -> (expires, grant)

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
            key_id, mode, scopes, rate_limit, last_used_at = row[4:9]
            grant = Grant(key_id, mode, frozenset(scopes.split()), rate_limit, last_used_at,
                          Tenant(*row[9:13]))  # fmt: skip
            self._keep(self.grants, (hostname, key_digest), grant)
        return tenant, grant

    def used(self, hostname, key_digest, grant, moment):
        """Remember that the key's use at `moment` was recorded."""
        if (hostname, key_digest) in self.grants:
            self._keep(self.grants, (hostname, key_digest), replace(grant, last_used_at=moment))

    def forget_key(self, key_id):
        """Drop every kept grant of a key (revoked through this process)."""
        for cache_key in [k for k, (_, grant) in self.grants.items() if grant.id == key_id]:
            del self.grants[cache_key]

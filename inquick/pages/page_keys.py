"""Which publishable key the hosted booking page of a partner hostname uses.

The page runs in the patient's browser and calls the API like any partner page, so it needs
a publishable key, and only a publishable key: such keys are meant to be shown in page
source, which is why their value is stored and can be put in the page. The newest live key
of the hostname's health system is used; a system with only sandbox keys gets a page in
test mode, so that a partner can try the page before going live. A sandbox host (which
serves test keys only) takes test keys alone. No publishable key, no page: a health
system opts in by creating one.
"""

from dataclasses import dataclass

from sqlalchemy import case, select

from inquick.models import ApiKey, HealthSystem, PartnerHostname

# What the page does: read the catalog and free times, take a visit token and book.
PAGE_SCOPES = ("catalog:read", "availability:read", "visits:create")


@dataclass(frozen=True)
class PageKey:
    value: str
    mode: str
    health_system_name: str


def page_key(session, hostname, *, sandbox_host=False):
    """The hostname's page key, or None when it publishes no page (or does not exist)."""
    published = (
        select(HealthSystem.id, HealthSystem.name)
        .join(PartnerHostname, PartnerHostname.health_system_id == HealthSystem.id)
        .where(PartnerHostname.hostname == hostname, HealthSystem.mode == "live")
    )
    row = session.execute(published).first()
    if row is None:
        return None
    system_id, name = row
    preferred = "test" if sandbox_host else "live"
    owner = select(HealthSystem.id).where(
        (HealthSystem.id == system_id) | (HealthSystem.live_system_id == system_id)
    )
    newest = session.execute(
        select(ApiKey.public_value, ApiKey.mode)
        .where(
            ApiKey.health_system_id.in_(owner.scalar_subquery()),
            ApiKey.publishable.is_(True),
            ApiKey.revoked_at.is_(None),
            *(ApiKey.scopes.contains(scope) for scope in PAGE_SCOPES),
            *((ApiKey.mode == "test",) if sandbox_host else ()),
        )
        .order_by(case((ApiKey.mode == preferred, 0), else_=1), ApiKey.id.desc())
        .limit(1)
    ).first()
    if newest is None:
        return None
    value, mode = newest
    return PageKey(value, mode, name)

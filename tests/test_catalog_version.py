"""The catalog's version changes with every change of a catalog row, whoever makes it.

Totals and ETags are kept under the version (inquick.models.catalog_state): a change it
missed would serve stale answers, so every table is accounted for, every catalog table
carries the trigger, and writes of every kind are seen.
"""

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import delete, insert, select, text, update

from inquick.extensions import db
from inquick.models import ApiKey, Provider, Visit, WeeklyWindow
from inquick.models.catalog import provider_medical_groups
from inquick.models.catalog_state import CATALOG_TABLES, OTHER_TABLES, CatalogState
from tests import factories
from tests.conftest import make_key


def version(session):
    return session.scalar(select(CatalogState.version))


def triggered_tables(session):
    """{table: number of catalog triggers on it}, read from the database itself."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE 'catalog_%'")
        )
    else:
        rows = session.execute(
            text(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'catalog_changed_%'"
            )
        )
    found = {}
    for (table,) in rows:
        found[table] = found.get(table, 0) + 1
    return found


def test_every_table_is_either_catalog_or_not():
    tables = set(db.metadata.tables)
    assert tables == set(CATALOG_TABLES) | set(OTHER_TABLES)
    assert not set(CATALOG_TABLES) & set(OTHER_TABLES)


def test_every_catalog_table_and_no_other_carries_the_trigger(session):
    found = triggered_tables(session)
    assert set(found) == set(CATALOG_TABLES)
    # PostgreSQL: one for rows (at commit) and one for TRUNCATE; SQLite: one per event.
    expected = 2 if session.get_bind().dialect.name == "postgresql" else 3
    assert set(found.values()) == {expected}


def changes_version(session, change):
    before = version(session)
    change()
    session.flush()
    return version(session) != before


def test_orm_writes_change_it(session, tenant):
    provider = factories.ProviderFactory(health_system=tenant)
    assert changes_version(session, lambda: setattr(provider, "name", "Renamed"))
    assert changes_version(session, lambda: session.delete(provider))


def test_core_writes_change_it(session, tenant):
    provider = factories.ProviderFactory(health_system=tenant)
    group = factories.MedicalGroupFactory(health_system=tenant)
    schedule = factories.ScheduleFactory(health_system=tenant, provider=provider)
    link = {"provider_id": provider.id, "medical_group_id": group.id}
    window = {"schedule_id": schedule.id, "weekday": 0, "opens_at": time(9), "closes_at": time(12)}
    assert changes_version(
        session, lambda: session.execute(insert(provider_medical_groups).values(**link))
    )
    assert changes_version(session, lambda: session.execute(insert(WeeklyWindow).values(**window)))
    assert changes_version(
        session,
        lambda: session.execute(update(Provider).where(Provider.id == provider.id).values(bio="x")),
    )
    assert changes_version(
        session, lambda: session.execute(delete(WeeklyWindow).where(WeeklyWindow.id > 0))
    )


def test_each_change_gets_a_version_never_seen_before(session, tenant):
    provider = factories.ProviderFactory(health_system=tenant)
    seen = {version(session)}
    for n in range(5):
        provider.name = f"Name {n}"
        session.flush()
        seen.add(version(session))
    assert len(seen) == 6


@pytest.mark.parametrize("what", ["a booking", "a key's use"])
def test_writes_outside_the_catalog_leave_it(session, tenant, what):
    schedule = factories.ScheduleFactory(health_system=tenant)
    before = version(session)
    if what == "a booking":
        factories.VisitFactory(schedule=schedule)
        session.execute(update(Visit).values(status="cancelled"))
    else:
        make_key(session, tenant)
        session.execute(update(ApiKey).values(last_used_at=datetime.now(UTC)))
    session.flush()
    assert version(session) == before

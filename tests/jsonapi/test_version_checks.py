"""A read of versioned data checks that its statements all saw one version of it.

Its statements may each see a snapshot of their own (`inquick.database.statements_alone`):
a change committed between two of them has the read made again, in one snapshot, so that
its document and its ETag describe one state of the catalog.
"""

from uuid import uuid4

import pytest
from flask import g
from sqlalchemy import literal, update

from inquick.jsonapi import records
from inquick.jsonapi.conditional import DataVersion, VersionUnsure
from inquick.models.catalog_state import CatalogState
from tests import factories

PATH = "/locations/feestport/schedules"
QUERY = {"include": "insurance-plans"}
# A page brings its plans with its own rows (`Reader.embeddable`); a schedule read by its id
# reads them in a statement of their own: a change can come between the two.


@pytest.fixture
def location(tenant):
    return factories.LocationFactory(health_system=tenant, slug="feestport")


def change_before_the_include(monkeypatch, session):
    """The catalog changes, as another request's commit would, just before the read's first
    statement of the included plans; returns the SQL of every statement the reads run."""
    ran = []
    execute = records.execute
    dialect = session.get_bind().dialect

    def changing(kept, values, per_value=False):
        sql = str(kept.statement.compile(dialect=dialect))
        if "FROM insurance_plans" in sql and not any("FROM insurance_plans" in s for s in ran):
            session.execute(update(CatalogState).values(version=str(uuid4())))
        ran.append(sql)
        return execute(kept, values, per_value)

    monkeypatch.setattr(records, "execute", changing)
    return ran


def statements_alone(app, monkeypatch):
    """Requests take their statements to run alone, as a catalog read on PostgreSQL does
    (the suite's requests share the test's transaction)."""

    def alone():
        g.statements_alone = True

    monkeypatch.setitem(app.before_request_funcs, None, [*app.before_request_funcs[None], alone])


def test_a_change_between_two_statements_has_the_read_made_again(
    api, session, tenant, location, monkeypatch
):
    plan = factories.InsurancePlanFactory(health_system=tenant)
    schedule = factories.ScheduleFactory(
        health_system=tenant, location=location, insurance_plans=[plan]
    )
    ran = change_before_the_include(monkeypatch, session)
    first = api.get(f"/schedules/{schedule.id}", QUERY)
    assert first.status_code == 200
    assert sum("FROM insurance_plans" in sql for sql in ran) == 2  # read again
    assert first.json["included"][0]["id"] == plan.slug
    # The tag is that of the catalog as it is now, which the document shows.
    headers = {"If-None-Match": first.headers["ETag"]}
    assert api.get(f"/schedules/{schedule.id}", QUERY, headers=headers).status_code == 304


def test_a_statement_without_rows_is_vouched_for_by_the_version_read_after_it(
    app, api, session, tenant, location, monkeypatch
):
    schedule = factories.ScheduleFactory(health_system=tenant, location=location)  # no plan
    statements_alone(app, monkeypatch)
    ran = change_before_the_include(monkeypatch, session)
    first = api.get(f"/schedules/{schedule.id}", QUERY)
    assert first.status_code == 200
    assert first.json["data"]["relationships"]["insurance-plans"]["data"] == []
    assert sum("FROM insurance_plans" in sql for sql in ran) == 2
    headers = {"If-None-Match": first.headers["ETag"]}
    assert api.get(f"/schedules/{schedule.id}", QUERY, headers=headers).status_code == 304


def test_in_one_snapshot_a_read_reads_no_version_more(api, tenant, location, count_queries):
    path = f"/schedules/{factories.ScheduleFactory(health_system=tenant, location=location).id}"
    api.get(path, QUERY)  # the caller is known from here on
    with count_queries() as counter:
        assert api.get(path, QUERY).status_code == 200
    assert len(counter.statements) == 2  # the schedule, the plans (none): no version read after


def test_a_first_statement_without_rows_read_alone_is_read_again_in_one_snapshot(
    app, api, session, location, monkeypatch
):
    """A version read after it could be a later one than it saw: nothing vouches for it."""
    statements_alone(app, monkeypatch)
    pages = []
    execute = records.execute
    dialect = session.get_bind().dialect

    def recording(kept, values, per_value=False):
        pages.append("LIMIT" in str(kept.statement.compile(dialect=dialect)))
        return execute(kept, values, per_value)

    monkeypatch.setattr(records, "execute", recording)
    first = api.get(PATH, QUERY)  # no schedule at the location
    assert first.status_code == 200 and first.json["data"] == []
    assert sum(pages) == 2  # its page, read again
    again = api.get(PATH, QUERY, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_a_version_seen_alone_is_checked_against_a_snapshot_taken_after_it(app):
    """A version read alone (If-None-Match's), then statements in one snapshot, which
    may be of a later catalog: their statement without rows is checked against it."""
    with app.test_request_context():
        version = DataVersion(literal("v2"), "scope")
        g.statements_alone = True
        version.agree("v1")
        g.statements_alone = False  # moved: the rest runs in one transaction
        version.unconfirmed = True
        with pytest.raises(VersionUnsure):
            version.confirm()


def test_versions_seen_in_one_transaction_need_no_check(app):
    with app.test_request_context():
        version = DataVersion(literal("v2"), "scope")
        version.agree("v1")
        version.unconfirmed = True
        version.confirm()  # the transaction's one snapshot vouches for it: nothing read
        assert version.value == "v1:scope"

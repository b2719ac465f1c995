"""Whether a request changed the database: every row of every table, before and after.

Shared by the walks that send requests which must change nothing (tests/test_write_tenancy.py,
tests/hostile/test_hostile_input.py).
"""

import pytest
from sqlalchemy import select

from inquick.extensions import db

JSONAPI = "application/vnd.api+json"
# A refused request may write exactly one thing: authenticating a key records when it was
# last used (inquick.auth.tenancy.record_use). Every other column of every table is compared.
# (Rate-limit counters live outside the database; audit entries are compared like the rest.)
IGNORED_COLUMNS = {("api_keys", "last_used_at")}


def send(client, secret, method, url, body=None, **options):
    """One request with the key. `body` is sent as a JSON:API document; `options` go to the
    test client (`data`, `query_string`, `headers`, ...)."""
    if body is not None:
        options.update(json=body, content_type=JSONAPI)
    headers = {"Authorization": secret, **options.pop("headers", {})}
    return client.open(url, method=method, headers=headers, **options)


def snapshot(session):
    """Every row of every table (bar IGNORED_COLUMNS), each table's rows in a stable order."""
    tables = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if (table.name, c.name) not in IGNORED_COLUMNS]
        rows = session.execute(select(*columns)).all()
        tables[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return tables


def changed_tables(before, after):
    """{table: (rows gone, rows new)} for each table whose rows differ."""
    changes = {}
    for name, rows in before.items():
        gone = [r for r in rows if r not in after[name]]
        new = [r for r in after[name] if r not in rows]
        if gone or new:
            changes[name] = (gone, new)
    return changes


@pytest.fixture
def frozen(session):
    """A function: commits the test's rows (so a rollback keeps them) and snapshots them."""

    def freeze():
        session.commit()  # a savepoint of the test's transaction, still rolled back after
        return snapshot(session)

    return freeze

"""The migrations build exactly the schema the models describe."""

from contextlib import contextmanager

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from inquick import create_app
from inquick.booking.references import read_reference
from inquick.extensions import db


def test_models_and_migrations_agree(app, session):
    """A model change without its migration fails here (and in CI)."""
    context = MigrationContext.configure(session.connection(), opts={"compare_type": True})
    assert compare_metadata(context, db.metadata) == []


@contextmanager
def scratch_database(tmp_path):
    """An app context on a new, empty SQLite file, its engine disposed of afterwards."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'scratch.db'}"},
                     serving=False)  # fmt: skip
    with app.app_context():
        try:
            yield
        finally:
            db.engine.dispose()


def test_visits_booked_before_references_get_one_each(tmp_path):
    """The revision that adds booking references gives every visit already booked its own."""
    with scratch_database(tmp_path):
        flask_migrate.upgrade(revision=BEFORE_REFERENCES)
        with db.engine.begin() as connection:
            parents = {"health_system_id": 1, "location_id": 1, "provider_id": 1}
            for table in ("health_systems", "locations", "providers"):
                insert_row(connection, table, id=1, **parents)
            insert_row(connection, "schedules", id="a-schedule", **parents)
            for n in range(25):
                insert_row(connection, "visits", id=f"{n:032x}", schedule_id="a-schedule",
                           confirmation_number=n + 1, **parents)  # fmt: skip
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            columns = "SELECT booking_reference, calendar_sequence FROM visits"
            rows = connection.execute(text(columns))
            references, sequences = zip(*rows, strict=True)
    assert len(set(references)) == 25
    assert all(read_reference(reference) == reference for reference in references)
    assert set(sequences) == {0}


def test_going_below_publishable_keys_revokes_them(tmp_path):
    """Without its columns a publishable key would be a secret key whose value is public."""
    with scratch_database(tmp_path):
        flask_migrate.upgrade(revision=PUBLISHABLE_KEYS)
        with db.engine.begin() as connection:
            insert_row(connection, "health_systems", id=1)
            for key_id, publishable, revoked_at in [
                (1, True, None),
                (2, False, None),
                (3, True, "2026-12-01 10:00:00"),
            ]:
                insert_row(connection, "api_keys", id=key_id, health_system_id=1,
                           digest=f"d{key_id}", publishable=publishable,
                           revoked_at=revoked_at)  # fmt: skip
        flask_migrate.downgrade(revision=BEFORE_PUBLISHABLE_KEYS)
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT id, revoked_at FROM api_keys ORDER BY id"))
            revoked = {key_id: revoked_at for key_id, revoked_at in rows}
    assert revoked[1] is not None and revoked[2] is None
    assert revoked[3].startswith("2026-12-01 10:00:00")  # revoked before: left as it was


BEFORE_REFERENCES = "5e1f0c3a9b27"
PUBLISHABLE_KEYS, BEFORE_PUBLISHABLE_KEYS = "d4a7c91e5b02", "b8e1f0c2d3a4"
# A value for a required column of each declared type, as the revision's tables declare them.
FILLERS = {"INTEGER": 1, "BOOLEAN": 1, "DATETIME": "2026-12-01 10:00:00", "JSON": "[]"}


def insert_row(connection, table, **values):
    """A row of `table` with `values` and a filler in every other required column."""
    columns = connection.exec_driver_sql(f"PRAGMA table_info({table})").all()
    row = {
        name: values.get(name, FILLERS.get(kind.split("(")[0], "x"))
        for _, name, kind, required, default, _ in columns
        if name in values or (required and default is None)
    }
    names = ", ".join(row)
    marks = ", ".join(f":{name}" for name in row)
    connection.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), row)

"""The migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from inquick.extensions import db


def test_models_and_migrations_agree(app, session):
    """A model change without its migration fails here (and in CI)."""
    context = MigrationContext.configure(session.connection(), opts={"compare_type": True})
    assert compare_metadata(context, db.metadata) == []

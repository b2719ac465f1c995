"""Alembic's entry point, run by `inquick db ...` inside the application context."""

from alembic import context
from flask import current_app

database = current_app.extensions["migrate"].db
config = context.config


def run_migrations_offline():
    """Write the SQL to stdout (`inquick db upgrade --sql`)."""
    context.configure(
        url=database.engine.url.render_as_string(hide_password=False),
        target_metadata=database.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def skip_empty_autogenerate(context_, revision, directives):
    """`inquick db migrate` with no model change writes no empty revision."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []


def run_migrations_online():
    with database.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=database.metadata,
            process_revision_directives=skip_empty_autogenerate,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

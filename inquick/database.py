"""Database set-up: the engine's per-dialect behaviour and the migrations directory."""

import math
import os

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from inquick.extensions import db, migrate

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def init_app(app):
    """Bind SQLAlchemy and Alembic to the app."""
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _make_sqlite_transactional(db.engine)


def _make_sqlite_transactional(engine: Engine):
    """Let SQLAlchemy, not the sqlite3 module, open transactions.

    The sqlite3 module defers BEGIN and ignores SAVEPOINT semantics; taking over
    makes nested transactions (used by the tests) and foreign keys behave as on
    PostgreSQL.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")
        # Readers never wait for the writer; writers queue for up to 15 s.
        dbapi_connection.execute("PRAGMA journal_mode = WAL")
        dbapi_connection.execute("PRAGMA busy_timeout = 15000")
        # Not every SQLite build has math functions; distance ordering needs these three.
        for name, function in (("sin", math.sin), ("cos", math.cos), ("radians", math.radians)):
            dbapi_connection.create_function(name, 1, _null_safe(function), deterministic=True)

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        # A request that may write takes the write lock as its transaction begins. Taken
        # later, after a read, two writers can each hold a read lock and want the write
        # lock: SQLite then fails one of them at once instead of letting it wait.
        writes = has_request_context() and request.method not in SAFE_METHODS
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def _null_safe(function):
    return lambda value: None if value is None else function(value)

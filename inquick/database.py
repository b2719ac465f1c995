"""Database set-up: the engine's per-dialect behaviour and the migrations directory."""

import logging
import math
import os
import time
from contextlib import suppress

import orjson
import psycopg
from flask import current_app, g, has_request_context, request
from psycopg import IsolationLevel
from psycopg.adapt import Loader
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError

from inquick.config import engine_options
from inquick.extensions import db, migrate

log = logging.getLogger(__name__)
MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# A pooled connection unused this long is checked before use.
IDLE_PING_SECONDS = 10


def init_app(app):
    """Bind SQLAlchemy and Alembic to the app."""
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    options.update(engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    app.url_value_preprocessor(forget_earlier_reads)
    app.after_request(end_reads_with_commit)
    app.teardown_request(release_read_connection)
    # Registered after Flask-SQLAlchemy's: teardown functions run last-registered first.
    app.teardown_appcontext(end_session_quietly)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _make_sqlite_transactional(db.engine)
        elif db.engine.dialect.name == "postgresql":
            _give_reads_one_snapshot(db.engine)
            _ping_idle_connections(db.engine)
            _parse_json_values_directly(db.engine)


def writes_on_read(view):
    """Mark a GET view that writes (a visit token holds its seat): its transactions begin
    as a writer's, taking SQLite's write lock at once and PostgreSQL's default isolation,
    under which a statement after a row lock sees what committed before the lock."""
    view.writes = True
    return view


def reads_by_version(view):
    """Mark a GET view whose every statement brings the version of the data it reads and
    checks it (`inquick.jsonapi.records`): when that data has a version, its statements
    need not share a transaction, and it is read without BEGIN and COMMIT."""
    view.checks_version = True
    return view


def request_writes():
    """Whether the request may write: an unsafe method, or a view marked `writes_on_read`."""
    if request.method not in SAFE_METHODS:
        return True
    return getattr(current_app.view_functions.get(request.endpoint), "writes", False)


def statements_alone():
    """Whether this request's statements may each run in a snapshot of their own: a read
    of versioned data by a view marked `reads_by_version`, not sent back to one snapshot
    (`g.one_snapshot`) by a change that committed between two of its statements."""
    if g.get("data_version") is None or g.get("one_snapshot"):
        return False
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, "checks_version", False) and not request_writes()


def read_connection():
    """The connection a read statement runs on (`inquick.jsonapi.statements.execute`).

    A read whose statements may run alone takes a pooled connection of its own, kept to the
    end of the request, on which each statement runs alone: no BEGIN or COMMIT sent, and no
    ORM session (in a profile of the served app, a session's transaction begun and closed
    was a tenth of a small read's Python time). Any other read runs on the session's
    connection, in its transaction, once the changes the session holds are flushed.

    A session bound to one connection (the test suite binds it to a transaction it rolls
    back) keeps every read on that connection: no other would see what it holds.
    """
    if has_request_context():
        connection = g.get("read_connection")
        if connection is not None:
            return connection
        if statements_alone() and db.session.session_factory.kw.get("bind") is None:
            if db.session.registry.has():
                # A hook's lookup began a transaction: it ends, and its connection goes back
                # (a request holding one while it waits for another could starve the pool).
                db.session.commit()
            connection = g.read_connection = db.engine.connect()
            if connection.dialect.name == "postgresql":
                # SQLite's connections are in autocommit already: BEGIN is ours to send.
                connection.connection.driver_connection.autocommit = True
            g.statements_alone = True
            return connection
    db.session.flush()
    return db.session.connection()


def read_in_one_snapshot():
    """Run the rest of the request's reads in one snapshot, on the session's connection,
    in a transaction begun after anything it has read so far."""
    release_read_connection()
    g.one_snapshot, g.statements_alone = True, False
    db.session.commit()


def release_read_connection(_error=None):
    """Give the connection a read took for its own back to the pool (at the latest, as its
    request ends). No transaction is open on it, so closing it sends nothing, and psycopg
    keeps the statements it has prepared (a ROLLBACK would make it forget them)."""
    connection = g.pop("read_connection", None)
    if connection is not None:
        try:
            connection.close()
        except SQLAlchemyError as failure:  # a teardown must not fail the answer made
            log.warning("a read's connection could not be given back to the pool: %s",
                        error_name(failure))  # fmt: skip


# What a request decides of how its statements run, and the base of its links (worked out
# once: `inquick.jsonapi.document.request_url`); `g` outlives a request served inside an
# application context already pushed (a script's, a test's), so each request forgets it.
READ_STATE = ("data_version", "one_snapshot", "statements_alone", "link_base")


def forget_earlier_reads(_endpoint=None, _values=None):
    """Start the request with none of an earlier request's read state (before any hook
    that may begin a transaction)."""
    for name in READ_STATE:
        g.pop(name, None)


def end_reads_with_commit(response):
    """End a reading request's transaction with COMMIT rather than the teardown's ROLLBACK.

    Both end a transaction that changed nothing alike, but psycopg forgets every statement
    it has prepared at a ROLLBACK: each request would then have PostgreSQL plan all its
    statements again, which costs more than running them. A read that never used the
    session (its statements ran on a connection of their own) has none to end.
    """
    reading = request.method in SAFE_METHODS and response.status_code < 400
    if reading and db.session.registry.has():
        # A failure leaves the answer as made; the teardown then ends the session.
        with suppress(SQLAlchemyError):
            db.session.commit()
    return response


def end_session_quietly(_error):
    """End the request's session; a database lost meanwhile does not undo the answer.

    The answer (or the 503 of an outage) was made by then: a failing ROLLBACK here would
    escape every error handler and turn it into the server's own HTML 500. SQLAlchemy has
    invalidated the broken connection, so the pool hands the next request a fresh one.
    """
    try:
        db.session.remove()
    except SQLAlchemyError as failure:
        log.warning("the database connection was lost as a request ended: %s",
                    error_name(failure))  # fmt: skip
        db.session.registry.clear()


def error_name(failure):
    """The driver's name for a database failure, for a log line: its message can quote the
    statement's values (patient data), its class never does."""
    return type(getattr(failure, "orig", failure)).__name__


def _ping_idle_connections(engine: Engine):
    """Check a pooled connection before use only when it has been idle a while.

    A connection the server dropped (a restart, a failover, an idle timeout) is found
    and replaced before a request uses it; pinging every checkout would cost a round
    trip on every request of a busy server, whose connections cannot have gone stale.
    """

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            dbapi_connection.execute("SELECT 1")
            dbapi_connection.commit()  # not ROLLBACK: psycopg forgets its prepared statements
        except psycopg.Error:
            raise DisconnectionError() from None  # the pool opens a fresh connection


class JsonValues(Loader):
    """A JSON value as orjson parses it from the driver's buffer, with no Python frame
    between: psycopg's own loader copies the buffer and calls the parser from a method of
    its own, for each of the ~90 JSON values of a page of schedules (4.5% of the served
    workers' CPU on a location's schedules)."""

    load = staticmethod(orjson.loads)


def _parse_json_values_directly(engine: Engine):
    """Have every connection read JSON values with `JsonValues`."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        for name in ("json", "jsonb"):
            dbapi_connection.adapters.register_loader(name, JsonValues)


def _give_reads_one_snapshot(engine: Engine):
    """Run a reading request's transactions at REPEATABLE READ on PostgreSQL.

    Under the default isolation each statement sees what committed before it, so a read
    could take the catalog's version from one state and the rows from the next; a
    document's ETag must describe exactly the rows it was built from. SQLite's read
    transactions are snapshots already. The level is set on psycopg's connection before
    it sends BEGIN, which costs no round trip; other transactions get the default back.

    A read whose statements check the version themselves (`statements_alone`) runs in
    autocommit instead: no BEGIN and no COMMIT, two round trips fewer a request.
    """

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        in_request = has_request_context()
        reads = in_request and not request_writes()
        alone = reads and statements_alone()
        driver = connection.connection.driver_connection
        if driver.autocommit != alone:
            driver.autocommit = alone
        driver.isolation_level = IsolationLevel.REPEATABLE_READ if reads else None
        if in_request:
            g.statements_alone = alone


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
        writes = has_request_context() and request_writes()
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def _null_safe(function):
    return lambda value: None if value is None else function(value)

"""How the app uses its database connections: reads end with COMMIT (or, checking versions,
need no transaction), idle ones are checked."""

import gc
import os
import time

import psycopg
import pytest
from flask import g
from psycopg.pq import TransactionStatus
from sqlalchemy import bindparam, create_engine, event, func, literal, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from inquick import create_app, database, serving
from inquick.extensions import db
from inquick.jsonapi.conditional import DataVersion
from inquick.jsonapi.document import request_url
from inquick.jsonapi.statements import Kept, execute
from inquick.models.catalog_state import CATALOG_VERSION


@pytest.fixture
def own_app(app):
    """An app of its own on the suite's database, with Flask-SQLAlchemy's own session
    (the suite's `session` fixture swaps in one bound to its rolled-back transaction)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    secret = app.config["TOKEN_SECRET"]
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "TOKEN_SECRET": secret})
    harness, db.session = db.session, db._make_scoped_session({})
    try:
        yield other  # each request's app context removes its session as it ends
    finally:
        db.session = harness
        with other.app_context():
            db.engine.dispose()


def transaction_ends(own_app):
    """A list of "commit"/"rollback" as the app's connections end their transactions."""
    ends = []
    with own_app.app_context():
        engine = db.engine
    event.listen(engine, "commit", lambda _conn: ends.append("commit"))
    event.listen(engine, "rollback", lambda _conn: ends.append("rollback"))
    return ends


def test_a_read_ends_with_commit(own_app):
    """psycopg forgets its prepared statements at every ROLLBACK: reads must not end so."""
    ends = transaction_ends(own_app)
    client = own_app.test_client()
    for _ in range(3):
        assert client.get("/readyz").status_code == 200
    assert ends == ["commit"] * 3


def test_a_refused_read_is_rolled_back(own_app):
    ends = transaction_ends(own_app)
    assert own_app.test_client().get("/api/v3/nowhere.example.org/services").status_code == 404
    assert ends == ["rollback"]


@pytest.mark.postgres
def test_an_idle_connection_the_server_dropped_is_replaced_before_use():
    engine = create_engine(
        os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
    )
    database._ping_idle_connections(engine)
    try:
        with engine.connect() as connection:
            first = connection.scalar(text("SELECT pg_backend_pid()"))
        with psycopg.connect(os.environ["TEST_DATABASE_URL"], autocommit=True) as killer:
            killer.execute("SELECT pg_terminate_backend(%s)", [first])
        # The first connection, back in the pool, has been idle "long enough".
        for record in list(engine.pool._pool.queue):
            record.info["idle_since"] = time.monotonic() - database.IDLE_PING_SECONDS - 1
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT 1")) == 1
            assert connection.scalar(text("SELECT pg_backend_pid()")) != first
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_json_values_are_parsed_by_orjson_from_the_drivers_buffer(own_app):
    with own_app.app_context(), db.engine.connect() as connection:
        adapters = connection.connection.driver_connection.adapters
        for name in ("json", "jsonb"):
            oid = adapters.types[name].oid
            assert adapters.get_loader(oid, psycopg.pq.Format.TEXT) is database.JsonValues
        row = connection.exec_driver_sql(
            """SELECT '[1, {"a": true}, "\\u00e9"]'::json, '{"b": null}'::jsonb"""
        ).one()
    assert tuple(row) == ([1, {"a": True}, "\u00e9"], {"b": None})


def test_a_worker_keeps_its_start_up_objects_out_of_the_collectors_way():
    threshold = gc.get_threshold()
    try:
        serving.post_worker_init(None)
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == serving.YOUNG_COLLECTION_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def terminate_after_the_answer(own_app):
    """Make the database drop the request's connection once its answer is made, before the
    request ends: as a PostgreSQL stopping mid-request does."""

    @own_app.after_request
    def terminate(response):  # runs before the app's own after-request functions
        backend = db.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with psycopg.connect(os.environ["TEST_DATABASE_URL"], autocommit=True) as killer:
            killer.execute("SELECT pg_terminate_backend(%s)", [backend])
        return response


@pytest.mark.postgres
@pytest.mark.parametrize("path", ["/readyz", "/api/v3/nowhere.example.org/services"])
def test_a_connection_lost_at_the_end_of_a_request_leaves_its_answer_whole(own_app, path):
    """The answer was made; the COMMIT or ROLLBACK that ends the transaction then fails.

    That failure must not escape past the error handlers (gunicorn would answer its own
    HTML 500), and the next request gets a working connection.
    """
    terminate_after_the_answer(own_app)
    own_app.testing = False  # as served: a failure past the handlers is not re-raised here
    client = own_app.test_client()
    answer = client.get(path)
    assert answer.status_code in (200, 404, 503)
    assert answer.mimetype == "application/vnd.api+json"
    assert client.get("/healthz").status_code == 200


def test_a_failed_read_names_none_of_its_values(own_app):
    """A read's values may be patient data (a booking reference): its error, which is
    logged, names the statement but not them."""
    wrong = Kept(select(literal(1)).where(bindparam("reference") == func.no_such_function()))
    with own_app.app_context(), pytest.raises(DBAPIError) as failure:
        execute(wrong, {"reference": "IQ-SECRET-7"})
    assert "no_such_function" in str(failure.value)
    assert "IQ-SECRET-7" not in str(failure.value)


@pytest.mark.postgres
def test_a_read_on_a_connection_the_server_dropped_fails_as_sqlalchemy_would(own_app):
    """Reads run on the driver's own cursor: a broken connection must still fail as
    SQLAlchemy's OperationalError (which is answered 503), and every connection the pool
    held from before it (a restarted server broke them all) is replaced, not tried."""
    one = Kept(select(literal(1)))
    with own_app.app_context():
        pooled = [db.engine.connect(), db.engine.connect()]
        backends = [c.exec_driver_sql("SELECT pg_backend_pid()").scalar() for c in pooled]
        for connection in pooled:
            connection.close()  # back in the pool, to be handed out again
        with psycopg.connect(os.environ["TEST_DATABASE_URL"], autocommit=True) as killer:
            for backend in backends:
                killer.execute("SELECT pg_terminate_backend(%s)", [backend])
        with pytest.raises(OperationalError) as failure:
            execute(one, {})
        assert failure.value.connection_invalidated
        db.session.remove()
        assert execute(one, {}) == [(1,)]
        again = db.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        assert again not in backends


@pytest.mark.postgres
@pytest.mark.parametrize(
    "method, path, versioned, alone",
    [
        ("GET", "/api/v3/h.example.org/locations/x/schedules", True, True),
        ("GET", "/api/v3/h.example.org/locations/x/schedules", False, False),  # not versioned
        ("GET", "/api/v3/h.example.org/visit-settings/x", True, False),  # reads on its own
        ("PATCH", "/api/v3/h.example.org/locations/x", True, False),  # a write
    ],
)
def test_a_read_that_checks_versions_runs_without_begin_and_commit(
    app, method, path, versioned, alone
):
    """A read whose statements each check the catalog's version needs no transaction:
    psycopg then sends neither BEGIN nor COMMIT. Every other request keeps its own."""
    engine = create_engine(
        os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
    )
    database._give_reads_one_snapshot(engine)
    try:
        with app.test_request_context(path, method=method), engine.connect() as connection:
            if versioned:
                g.data_version = DataVersion(CATALOG_VERSION, 1)
            connection.execute(text("SELECT 1"))
            status = connection.connection.driver_connection.info.transaction_status
            assert (status == TransactionStatus.IDLE) is alone
            assert g.statements_alone is alone
    finally:
        engine.dispose()


SCHEDULES_PATH = "/api/v3/h.example.org/locations/x/schedules"


@pytest.mark.parametrize("used, ends", [(True, ["commit"]), (False, [])])
def test_a_read_commits_the_session_only_if_it_used_it(own_app, monkeypatch, used, ends):
    """A COMMIT would cost Python time and end no transaction: a read whose statements
    ran on a connection of their own leaves the session it never made alone."""
    ended = []
    with own_app.test_request_context("/healthz"):
        if used:
            db.session.connection()
        monkeypatch.setattr(db.session, "commit", lambda: ended.append("commit"))
        database.end_reads_with_commit(own_app.response_class(status=200))
    assert ended == ends


def test_a_read_whose_statements_may_run_alone_leaves_the_session_out(own_app):
    """Its statements run on a pooled connection of its own, each alone (no BEGIN sent).
    The ORM session is never made, and the connection is back in the pool once the
    request ends."""
    with own_app.app_context():
        engine = db.engine
    with own_app.test_request_context(SCHEDULES_PATH):
        g.data_version = DataVersion(CATALOG_VERSION, 1)
        assert execute(Kept(select(literal(1))), {}) == [(1,)]
        assert execute(Kept(select(literal(2))), {}) == [(2,)]
        own = g.read_connection
        assert g.statements_alone and not own.in_transaction()
        driver = own.connection.driver_connection
        if own.dialect.name == "postgresql":
            assert driver.info.transaction_status == TransactionStatus.IDLE
        else:
            assert not driver.in_transaction
        assert not db.session.registry.has()
        assert engine.pool.checkedout() == 1
    assert engine.pool.checkedout() == 0


def test_a_failed_read_leaves_its_connection_fit_for_the_next(own_app):
    """SQLAlchemy's handler closes the cursor of a failed statement: the connection, which
    keeps its cursor from read to read, must take a new one for the next."""
    wrong = Kept(select(literal(1)).where(func.no_such_function() == 1))
    with own_app.test_request_context(SCHEDULES_PATH):
        g.data_version = DataVersion(CATALOG_VERSION, 1)
        with pytest.raises(DBAPIError):
            execute(wrong, {})
        assert execute(Kept(select(literal(2))), {}) == [(2,)]


def test_a_version_read_on_a_connection_of_its_own_begins_no_transaction(own_app):
    """Read through SQLAlchemy's execution, the version would begin one (and on SQLite send
    BEGIN): the rest of the read would no longer run alone."""
    with own_app.test_request_context(SCHEDULES_PATH):
        version = g.data_version = DataVersion(CATALOG_VERSION, 1)
        version.read()
        own = g.read_connection
        assert not own.in_transaction()
        driver = own.connection.driver_connection
        if own.dialect.name == "postgresql":
            assert driver.info.transaction_status == TransactionStatus.IDLE
        else:
            assert not driver.in_transaction


def test_a_read_ends_a_hooks_transaction_before_taking_a_connection(own_app):
    """A request holds one pooled connection at a time: one waiting for a second while
    holding the first could starve the pool under threads."""
    with own_app.app_context():
        engine = db.engine
    with own_app.test_request_context(SCHEDULES_PATH):
        db.session.connection()  # as a lookup of the caller's key does
        g.data_version = DataVersion(CATALOG_VERSION, 1)
        execute(Kept(select(literal(1))), {})
        assert "read_connection" in g
        assert engine.pool.checkedout() == 1


def test_a_read_made_again_in_one_snapshot_gives_its_own_connection_back(own_app):
    """A change seen between two of its statements sends the read to the session's one
    snapshot: the connection it took for itself goes back, and is used no more."""
    with own_app.app_context():
        engine = db.engine
    with own_app.test_request_context(SCHEDULES_PATH):
        g.data_version = DataVersion(CATALOG_VERSION, 1)
        execute(Kept(select(literal(1))), {})
        database.read_in_one_snapshot()
        assert "read_connection" not in g
        assert database.read_connection() is db.session.connection()
        assert engine.pool.checkedout() == 1  # the session's


@pytest.mark.parametrize("path, versioned", [
    ("/api/v3/h.example.org/locations/x/schedules", False),  # no version to check
    ("/api/v3/h.example.org/visit-settings/x", True),  # a view that reads on its own
])  # fmt: skip
def test_other_reads_run_on_the_session(own_app, path, versioned):
    with own_app.test_request_context(path):
        if versioned:
            g.data_version = DataVersion(CATALOG_VERSION, 1)
        execute(Kept(select(literal(1))), {})
        assert "read_connection" not in g
        assert db.session.registry.has() and db.session().in_transaction()


def test_a_request_forgets_the_read_state_of_the_one_before_it(app):
    """Requests served in one application context share its `g`: a version or a choice
    left by one must not decide how the next one's statements run."""
    with app.app_context():
        for name in database.READ_STATE:
            setattr(g, name, True)
        with app.test_request_context("/healthz"):
            app.preprocess_request()
            assert not any(name in g for name in database.READ_STATE)


def test_a_request_served_after_another_in_one_application_context_links_to_itself(app):
    with app.app_context():
        with app.test_request_context("/healthz?x=1"):
            app.preprocess_request()
            assert request_url() == "http://localhost/healthz?x=1"
        with app.test_request_context("/readyz?y=2"):
            app.preprocess_request()
            assert request_url() == "http://localhost/readyz?y=2"

"""How the app uses its database connections: reads end with COMMIT, idle ones are checked."""

import gc
import os
import time

import psycopg
import pytest
from sqlalchemy import create_engine, event, text

from inquick import create_app, database, serving
from inquick.extensions import db


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

"""Fixtures: an app migrated once to head, and each test inside a transaction rolled back.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set
(`.ci/run` does both).
"""

import logging
import os
import secrets
from contextlib import contextmanager
from contextvars import ContextVar

import flask_migrate
import pytest
from flask import has_app_context, request, request_finished
from flask.globals import app_ctx
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import scoped_session, sessionmaker

from inquick import create_app
from inquick.auth.callers import Callers
from inquick.auth.keys import issue_key
from inquick.config import database_url
from inquick.extensions import db
from inquick.ratelimit import Counting
from tests import factories
from tests.conformance import Conformance


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = database_url(
        str(tmp_path_factory.mktemp("instance")),
        {"DATABASE_URL": os.environ.get("TEST_DATABASE_URL", "")},
    )
    settings = {"SQLALCHEMY_DATABASE_URI": url, "TOKEN_SECRET": secrets.token_hex(32)}
    app = create_app({"TESTING": True, **settings})
    app.test_client_class = ServingClient
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


# Set while the test client runs the app: the app's code, not the test's, is using the database.
_serving = ContextVar("serving", default=False)


class ServingClient(FlaskClient):
    """The test client: each request is served in an app context, and a session, of its own."""

    def open(self, *args, **kwargs):
        # The test's rows reach the request as another process's commits would.
        db.session.commit()
        serving = _serving.set(True)
        try:
            return super().open(*args, **kwargs)
        finally:
            _serving.reset(serving)


def _scope():
    """Whose `db.session`: the request's (one per app context) or, else, the test's own."""
    return id(app_ctx._get_current_object()) if _serving.get() and has_app_context() else None


class Sessions(scoped_session):
    """`db.session` as the test harness has it: the test's own, and one per request."""

    def remove(self):
        """Remove the session of the app context ending (a request's), never the test's."""
        in_context = _serving.set(has_app_context())
        try:
            super().remove()
        finally:
            _serving.reset(in_context)


@contextmanager
def sessions_on(connection):
    """`db.session` bound to `connection`, its every commit a savepoint; restored after.

    As when served, each request has a session of its own, removed as its app context ends;
    the test's own code (in an app context of its own or in none) has one more, committed
    before each request and read again, with what the request did, when next used.
    """
    original = db.session
    # A plain Session: Flask-SQLAlchemy's own picks its engine and would ignore `bind`.
    db.session = Sessions(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint"), scopefunc=_scope
    )
    try:
        yield db.session
    finally:
        db.session.remove()
        db.session = original


@pytest.fixture(autouse=True)
def session(app):
    """A session whose every commit is a savepoint inside one transaction, rolled back after.

    No app context stays open across the test: each request pushes its own, as when served.
    """
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    if connection.dialect.name == "postgresql":
        # The catalog's version changes at COMMIT (deferred triggers); this transaction
        # never commits, so its changes take effect at once, as each commit would.
        connection.exec_driver_sql("SET CONSTRAINTS ALL IMMEDIATE")
    try:
        with sessions_on(connection) as session:
            yield session
    finally:
        outer.rollback()
        connection.close()


# What the suite's patients are called, write from and phone from: factories, booking
# tests and the demo. None of it may leave the visit endpoints that exist to show it.
PATIENT_MARKERS = (
    "Quarrington", "w.quarrington@example.org", "555-0177",
    "Hopper", "grace.hopper@example.org", "555-0142",
    "Thornbury", "Oakhurst", "Fenwick", "Ashgrove", "avery.quill@example.com",
)  # fmt: skip
# The endpoints whose purpose is to show patient data (visits:read).
PATIENT_ENDPOINTS = {"visits.list", "visits.show", "visits-v3.list", "visits-v3.show"}


@pytest.fixture(autouse=True)
def patient_data_stays_put(app):
    """Fail any test in which patient data reached a response or a log line it should not."""
    leaks = []

    def on_response(_sender, response, **_extra):
        if request.endpoint in PATIENT_ENDPOINTS or response.direct_passthrough:
            return
        body = response.get_data(as_text=True)
        leaks.extend(f"{request.method} {request.path}: {m}" for m in PATIENT_MARKERS if m in body)

    class LeakWatch(logging.Handler):
        def emit(self, record):
            line = self.format(record)
            leaks.extend(f"log line: {m}" for m in PATIENT_MARKERS if m in line)

    watcher = LeakWatch()
    logger = logging.getLogger("inquick")
    logger.addHandler(watcher)
    request_finished.connect(on_response, app)
    yield
    request_finished.disconnect(on_response, app)
    logger.removeHandler(watcher)
    assert leaks == [], "patient data left the visit endpoints"


CONFORMANCE = Conformance()


def pytest_collection_modifyitems(config, items):
    """The check that every operation was seen runs after every other test; tests that need
    PostgreSQL are deselected (not skipped) when the suite runs on SQLite: .ci/run runs
    them in its PostgreSQL pass."""
    if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        deselected = [item for item in items if item.get_closest_marker("postgres")]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if item not in deselected]
    items.sort(key=lambda item: item.path.name == "test_conformance.py")


@pytest.fixture(autouse=True)
def responses_conform(app):
    """Fail any test that received a response off the JSON:API schema or off the spec."""
    problems = []

    def on_response(_sender, response, **_extra):
        problems.extend(CONFORMANCE.check(request, response))

    request_finished.connect(on_response, app)
    yield
    request_finished.disconnect(on_response, app)
    assert problems == [], "responses that do not conform"


@pytest.fixture(autouse=True)
def fresh_rate_limits(app):
    """Each test starts with no request counted (ids of rolled-back keys come back) and no
    caller kept (hostnames of rolled-back health systems come back with other ids)."""
    app.extensions["rate_limits"] = Counting()
    app.extensions["callers"] = Callers(app.config["CALLER_CACHE_SECONDS"])


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tenant(session):
    """A health system, published at `tenant-a.example.org`."""
    return factories.HealthSystemFactory(slug="tenant-a", hostnames=["tenant-a.example.org"])


@pytest.fixture
def other_tenant(session):
    """A second health system, whose rows must never reach `tenant`'s callers."""
    return factories.HealthSystemFactory(slug="tenant-b", hostnames=["tenant-b.example.org"])


def make_key(session, system, **options):
    key, secret = issue_key(system, **options)
    session.add(key)
    session.flush()
    return secret


@pytest.fixture
def key(session, tenant):
    """A live partner key of `tenant`."""
    return make_key(session, tenant)


class Api:
    """A test client bound to one partner hostname and key."""

    def __init__(self, client, hostname, secret):
        self.client, self.hostname, self.secret = client, hostname, secret

    def url(self, path):
        return f"/api/v3/{self.hostname}{path}"

    def get(self, path, query=None, headers=None, **kwargs):
        return self.send("GET", path, query=query, headers=headers, **kwargs)

    def send(self, method, path, body=None, query=None, headers=None, **kwargs):
        """A request with the key in the Authorization header (and a JSON:API body, if any)."""
        headers = {"Authorization": self.secret, **(headers or {})} if self.secret else headers
        if body is not None:
            kwargs["json"] = body
            headers = {"Content-Type": "application/vnd.api+json", **(headers or {})}
        return self.client.open(
            self.url(path), method=method, query_string=query, headers=headers, **kwargs
        )

    def post(self, path, body, **kwargs):
        return self.send("POST", path, body, **kwargs)

    def patch(self, path, body, **kwargs):
        return self.send("PATCH", path, body, **kwargs)

    def delete(self, path, body=None, **kwargs):
        return self.send("DELETE", path, body, **kwargs)


@pytest.fixture
def api(client, key):
    return Api(client, "tenant-a.example.org", key)


@pytest.fixture
def writer(client, session, tenant):
    """An Api holding a live key of `tenant` that may read and write the catalog."""
    secret = make_key(session, tenant, scopes=["catalog:read", "catalog:write"])
    return Api(client, "tenant-a.example.org", secret)


@pytest.fixture
def count_queries(app):
    """A context manager counting the SQL statements run inside it."""

    with app.app_context():
        engine = db.engine

    class Counter:
        def __init__(self):
            self.statements = []

        def __enter__(self):
            event.listen(engine, "before_cursor_execute", self.record)
            return self

        def __exit__(self, *exc):
            event.remove(engine, "before_cursor_execute", self.record)

        def record(self, _conn, _cursor, statement, *_args):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
                self.statements.append(statement)

        @property
        def count(self):
            return len(self.statements)

    return Counter

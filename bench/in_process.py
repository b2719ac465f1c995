"""The app and the floor inside this process: the bench's API key, and SQL statement counts.

Counting needs the code in reach: the app's statements are seen by a SQLAlchemy event
listener, the floor's by its own counter, each on one request after a warm one (the first
request of a key in a minute also records the key's use).
"""

from contextlib import contextmanager

import psycopg
from sqlalchemy import event, select
from werkzeug.test import Client

from bench.dataset import HOSTNAME
from bench.floor import Floor

SCOPES = ("catalog:read", "availability:read", "visits:create", "visits:read")


def sqlalchemy_url(url):
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@contextmanager
def app_context(url):
    """The app configured for the bench database, inside its application context."""
    from inquick import create_app
    from inquick.extensions import db

    settings = {"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "RATE_LIMIT": 10**9}
    app = create_app({**settings, "LOG_LEVEL": "WARNING"}, serving=False)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def create_key(url):
    """A fresh partner key, made by the app's own code as `inquick create-key` makes one."""
    from inquick.auth.keys import issue_key
    from inquick.extensions import db
    from inquick.models import HealthSystem, PartnerHostname

    with app_context(url):
        system = db.session.scalar(
            select(HealthSystem).join(PartnerHostname).where(PartnerHostname.hostname == HOSTNAME)
        )
        key, secret = issue_key(system, scopes=SCOPES, label="make bench")
        db.session.add(key)
        db.session.commit()
    return secret


def app_query_counts(url, secret, paths):
    """{name: statements} for one request of each path, made through the app in-process."""
    from inquick.extensions import db

    counts = {}
    with app_context(url) as app:
        client = app.test_client()
        statements = []

        def record(*_args):
            statements.append(1)

        for name, path in paths.items():
            warm = client.get(path, headers={"Authorization": secret})
            event.listen(db.engine, "before_cursor_execute", record)
            try:
                response = client.get(path, headers={"Authorization": secret})
            finally:
                event.remove(db.engine, "before_cursor_execute", record)
            if warm.status_code != 200 or response.status_code != 200:
                raise RuntimeError(f"{name}: the app answered {response.status_code} to {path}")
            counts[name] = len(statements)
            statements.clear()
    return counts


def app_revalidation_queries(url, secret, path):
    """Statements of one request of `path` revalidated with its own ETag (a 304)."""
    from inquick.extensions import db

    with app_context(url) as app:
        client = app.test_client()
        headers = {"Authorization": secret}
        etag = client.get(path, headers=headers).headers["ETag"]
        statements = []

        def record(*_args):
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            response = client.get(path, headers={**headers, "If-None-Match": etag})
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        if response.status_code != 304:
            raise RuntimeError(f"revalidation: the app answered {response.status_code} to {path}")
    return len(statements)


def floor_query_counts(url, secret, paths):
    """{name: statements} for one request of each path, made through the floor in-process."""
    counts = {}
    with psycopg.connect(url, autocommit=True) as connection:
        floor = Floor(lambda: connection)
        client = Client(floor)
        for name, path in paths.items():
            client.get(path, headers={"Authorization": secret})
            before = floor.statements
            response = client.get(path, headers={"Authorization": secret})
            if response.status_code != 200:
                raise RuntimeError(f"{name}: the floor answered {response.status_code} to {path}")
            counts[name] = floor.statements - before
    return counts

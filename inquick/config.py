"""Configuration, read from environment variables only (see the README's table)."""

import os

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100


def database_url(instance_path, environ=os.environ):
    """The SQLAlchemy URL: `DATABASE_URL`, or SQLite in the instance folder."""
    url = environ.get("DATABASE_URL")
    if not url:
        os.makedirs(instance_path, exist_ok=True)
        return "sqlite:///" + os.path.join(instance_path, "inquick.sqlite3")
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(instance_path, environ=os.environ):
    """Flask settings derived from the environment."""
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path, environ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "JSON_SORT_KEYS": False,
        "LOG_LEVEL": environ.get("LOG_LEVEL", "INFO"),
    }

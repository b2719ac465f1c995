"""Configuration, read from environment variables only (see the README's table)."""

import logging
import os
import secrets

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
        "TOKEN_SECRET": environ.get("INQUICK_TOKEN_SECRET"),
    }


def token_secret(app):
    """The key visit tokens are signed with: INQUICK_TOKEN_SECRET, or a development one.

    The development secret is generated once into the instance folder, so that every
    worker process of one deployment shares it; it says so in the log.
    """
    if not app.config.get("TOKEN_SECRET"):
        path = os.path.join(app.instance_path, "development-token-secret")
        if not os.path.exists(path):
            os.makedirs(app.instance_path, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as secret_file:
                secret_file.write(secrets.token_hex(32))
        with open(path) as secret_file:
            app.config["TOKEN_SECRET"] = secret_file.read().strip()
        logging.getLogger("inquick").warning(
            "INQUICK_TOKEN_SECRET is not set: signing visit tokens with the DEVELOPMENT secret "
            "in %s. Set INQUICK_TOKEN_SECRET in production.",
            path,
        )
    return app.config["TOKEN_SECRET"]

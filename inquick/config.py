"""Configuration, read from environment variables only (see the README's table)."""

import logging
import os
import secrets

import orjson

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


def engine_options(url):
    """What each database needs of its connections.

    PostgreSQL may start parallel workers for a query it believes large; for the small
    queries of an API under load, starting them costs more than the query (the setting
    travels with the connection, no statement).
    """
    if url.startswith("postgresql"):
        return {"connect_args": {"options": "-c max_parallel_workers_per_gather=0"}}
    return {}


def load_config(instance_path, environ=os.environ):
    """Flask settings derived from the environment."""
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path, environ),
        # hide_parameters: a failed statement's values (patient data) never reach a log.
        # JSON values a read selects (hours, lists) are many per page: orjson parses them.
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "hide_parameters": True,
            "json_deserializer": orjson.loads,
        },
        "MAX_CONTENT_LENGTH": int(environ.get("INQUICK_MAX_BODY_BYTES", 1024 * 1024)),
        "TRUSTED_PROXIES": int(environ.get("INQUICK_TRUSTED_PROXIES", 0)),
        "LOG_LEVEL": environ.get("LOG_LEVEL", "INFO"),
        "TOKEN_SECRET": environ.get("INQUICK_TOKEN_SECRET"),
        # The secret being retired: tokens it signed still verify until it is removed.
        "PREVIOUS_TOKEN_SECRET": environ.get("INQUICK_PREVIOUS_TOKEN_SECRET"),
        # The hostnames this server answers to (Flask's TRUSTED_HOSTS): links and Location
        # headers are made from the Host a client sends, so no other Host is served.
        "TRUSTED_HOSTS": host_list(environ.get("INQUICK_TRUSTED_HOSTS", "localhost,127.0.0.1")),
        "REDIS_URL": environ.get("REDIS_URL"),
        # Rate counters in Redis carry this prefix (by default one drawn from the database).
        "RATE_LIMIT_PREFIX": environ.get("INQUICK_RATE_LIMIT_PREFIX"),
        # How long a process keeps a hostname's health system and a key's grant: a key
        # revoked through another process stops working within this many seconds.
        "CALLER_CACHE_SECONDS": float(environ.get("INQUICK_CALLER_CACHE_SECONDS", 5)),
        "RATE_LIMIT": int(environ.get("INQUICK_RATE_LIMIT", 300)),
        "BOOKING_RATE_LIMIT": int(environ.get("INQUICK_BOOKING_RATE_LIMIT", 100)),
        # Lookups by booking reference a minute, per client address and per key: a reference
        # is a credential, and guessing one must stay hopeless.
        "LOOKUP_RATE_LIMIT": int(environ.get("INQUICK_LOOKUP_RATE_LIMIT", 30)),
        "KEY_LOOKUP_RATE_LIMIT": int(environ.get("INQUICK_KEY_LOOKUP_RATE_LIMIT", 600)),
        # A publishable key's requests (bookings, lookups...) are limited per client address,
        # and all its addresses together to this many times the key's limit.
        "PUBLISHABLE_KEY_CEILING_FACTOR": int(
            environ.get("INQUICK_PUBLISHABLE_KEY_CEILING_FACTOR", 10)
        ),
        # The most seats one key, and one client address, may hold at once (slot holds): past
        # them a visit token is still issued, holding nothing.
        "MAX_HOLDS_PER_KEY": int(environ.get("INQUICK_MAX_HOLDS_PER_KEY", 200)),
        "MAX_HOLDS_PER_ADDRESS": int(environ.get("INQUICK_MAX_HOLDS_PER_ADDRESS", 25)),
        # The most requests a minute a health system's keys may add up to.
        "KEYS_RATE_LIMIT_TOTAL": int(environ.get("INQUICK_KEYS_RATE_LIMIT_TOTAL", 3000)),
        # A staging deployment for partners' QA: it refuses live keys and live visit tokens.
        "SANDBOX_HOST": environ.get("INQUICK_SANDBOX_HOST", "") not in ("", "0", "false"),
        # Development only: webhooks may go to loopback addresses, over plain http too
        # (never to private, link-local or metadata addresses; inquick.webhooks.addresses).
        "WEBHOOKS_ALLOW_LOOPBACK": environ.get("INQUICK_WEBHOOKS_ALLOW_LOOPBACK", "")
        not in ("", "0", "false"),
        # The most webhook endpoints a health system may have: each change writes one
        # delivery per endpoint, in the change's own transaction.
        "MAX_WEBHOOK_ENDPOINTS": int(environ.get("INQUICK_MAX_WEBHOOK_ENDPOINTS", 16)),
    }


def announce_loopback(config):
    """Say in the log that the development setting WEBHOOKS_ALLOW_LOOPBACK is on, if it is."""
    if config.get("WEBHOOKS_ALLOW_LOOPBACK"):
        logging.getLogger("inquick.webhooks").warning(
            "INQUICK_WEBHOOKS_ALLOW_LOOPBACK is on: webhook endpoints may be at loopback "
            "addresses, over plain http. This is for development and tests only."
        )


def host_list(text):
    """`a.example.org, .example.net` as a list; a leading dot admits every subdomain."""
    return [name.strip().lower() for name in text.split(",") if name.strip()]


class ConfigurationError(RuntimeError):
    """The server cannot start as configured; the message says what to set."""


def require_token_secret(config):
    """Refuse to start without INQUICK_TOKEN_SECRET on any database but embedded SQLite.

    The development secret is a file each server makes for itself: servers sharing a
    database would refuse each other's tokens, and whoever reads the file can mint them.
    It is fit only for the embedded default, one machine serving its own file.
    """
    if config.get("TOKEN_SECRET"):
        return
    if not config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        raise ConfigurationError(
            "INQUICK_TOKEN_SECRET is not set. Every server of a deployment on a shared "
            "database signs visit tokens with it: set it to one long random value, e.g. "
            "the output of `python -c 'import secrets; print(secrets.token_hex(32))'`."
        )


def token_secret(app):
    """The key visit tokens are signed with: INQUICK_TOKEN_SECRET, or a development one.

    The development secret is generated once into the instance folder, so that every
    worker process of one deployment shares it; it says so in the log.
    """
    if not app.config.get("TOKEN_SECRET"):
        path = os.path.join(app.instance_path, "development-token-secret")
        if not os.path.exists(path):
            create_secret_file(path)
        with open(path) as secret_file:
            app.config["TOKEN_SECRET"] = secret_file.read().strip()
        logging.getLogger("inquick").warning(
            "INQUICK_TOKEN_SECRET is not set: signing visit tokens with the DEVELOPMENT secret "
            "in %s. Set INQUICK_TOKEN_SECRET in production.",
            path,
        )
    return app.config["TOKEN_SECRET"]


def verifying_secrets(app):
    """The secrets visit tokens are verified with: the current one, then the one retiring."""
    previous = app.config.get("PREVIOUS_TOKEN_SECRET")
    return [token_secret(app), *([previous] if previous else [])]


def create_secret_file(path):
    """Write a random secret to `path` whole, once, even with several processes racing.

    The secret is written to a file of this process's own and linked into place: `link`
    fails if another process got there first, and nobody ever reads a half-written file.
    """
    os.makedirs(os.path.dirname(path), exist_ok=True)
    draft = f"{path}.{os.getpid()}"
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as draft_file:
        draft_file.write(secrets.token_hex(32))
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another process made it first; theirs is the secret
    finally:
        os.remove(draft)

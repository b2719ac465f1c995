"""inquick: a JSON:API service for healthcare scheduling."""

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from inquick.config import announce_loopback, load_config, require_token_secret


def create_app(test_config=None, *, serving=True):
    """Build the WSGI application from environment variables (or `test_config`).

    An app built to serve requests refuses a configuration it cannot serve safely; the
    console commands (`serving=False`: migrations, keys, the audit) neither sign nor
    verify visit tokens, and run without the token secret.
    """
    app = Flask(
        __name__,
        instance_path=os.environ.get("INQUICK_INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    app.config.update(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    if serving:
        require_token_secret(app.config)

    from inquick import database, docs, errors, operations, pages, ratelimit, resources
    from inquick.auth import cors, tenancy
    from inquick.fhir import views as fhir
    from inquick.jsonapi import hygiene, negotiation

    # Order matters: request ids first, then input hygiene, then CORS preflights (they
    # carry no key), then tenancy.
    operations.init_app(app)
    database.init_app(app)
    errors.init_app(app)
    hygiene.init_app(app)
    negotiation.init_app(app)
    ratelimit.init_app(app)
    cors.init_app(app)
    tenancy.init_app(app)
    resources.init_app(app)
    fhir.init_app(app)
    docs.init_app(app)
    pages.init_app(app)
    announce_loopback(app.config)
    if app.config.get("TRUSTED_PROXIES"):
        # Behind N proxies: links use the scheme and host the client used.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    return app

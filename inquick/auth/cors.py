"""CORS for publishable keys: pages of their allowed origins call the API from browsers.

A browser lets a page read an answer from another origin only when the answer names the
page's origin (`Access-Control-Allow-Origin`), and asks first (a preflight `OPTIONS`,
without credentials) before sending a request with an `Authorization` header. inquick
names the origin only for publishable keys and only for origins one of them allows;
secret keys never get CORS headers, so a page cannot use one even if it holds it.

CORS only decides what a page may read. A page of any origin can still make a browser
send a request, so a write with a publishable key (or a visit token it issued) is
refused outright, with a 403, unless its `Origin` is allowed: nothing is written for a
site that merely embeds the key. `GET /visit-token` writes too (it holds a seat), with
one difference: browsers send no `Origin` on a same-origin GET, so a missing `Origin` is
accepted there, unless `Sec-Fetch-Site` says another site's page sent it (an `<img>` or a
`no-cors` fetch, which carry no `Origin` either). What is left without an `Origin` is the
hosted page's own request, or one from outside a browser, where the key is public anyway
and its per-address rate limit and hold bounds apply.

The API's own origin (the hosted booking page's) is always allowed for publishable keys.
"""

from flask import current_app, g, request

from inquick.auth.callers import API_PREFIXES
from inquick.database import SAFE_METHODS, request_writes
from inquick.extensions import db
from inquick.jsonapi.errors import Forbidden
from inquick.jsonapi.media import empty_response

# The headers a booking page reads, besides the CORS-safelisted ones.
EXPOSED_HEADERS = (
    "Slot-Hold", "Location", "ETag", "Retry-After",
    "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-Request-Id",
)  # fmt: skip
ALLOWED_METHODS = ("GET", "HEAD", "POST", "PATCH", "DELETE")
ALLOWED_HEADERS = ("Authorization", "Content-Type", "Accept", "If-None-Match", "X-Request-Id")
# How long a browser may keep a preflight's answer (a revoked key is refused all the same).
MAX_AGE_SECONDS = 600
# `Sec-Fetch-Site` values of requests sent by a page of another origin.
OTHER_SITES = ("cross-site", "same-site")


def init_app(app):
    """Register before the tenancy: a preflight is answered before any key is asked for."""
    app.url_value_preprocessor(set_preflight_aside)
    app.before_request(answer_preflight)
    app.after_request(add_cors_headers)


def under_api():
    """Whether the request is for the JSON:API (FHIR, under its own prefix, has no CORS)."""
    rule = request.url_rule
    return rule is not None and rule.rule.startswith(API_PREFIXES)


def is_preflight():
    """Whether the request is a browser's CORS preflight, not an OPTIONS of its own."""
    return (
        request.method == "OPTIONS"
        and "Origin" in request.headers
        and "Access-Control-Request-Method" in request.headers
    )


def set_preflight_aside(_endpoint, values):
    """Take a preflight's hostname before the tenancy resolves it: a preflight carries no
    key, and an unknown hostname's must look like any refused origin's, not a 404."""
    if values and "partner_hostname" in values and is_preflight() and under_api():
        g.preflight_hostname = values.pop("partner_hostname").lower()


def answer_preflight():
    """204 to a preflight under an API prefix, with CORS headers if the origin is allowed."""
    hostname = g.pop("preflight_hostname", None)
    if hostname is None:
        return None
    response = empty_response(headers={"Vary": "Origin"})
    origin = request.headers["Origin"]
    if allowed(origin, hostname_origins(hostname)):
        response.headers.update({
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ", ".join(ALLOWED_METHODS),
            "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
            "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
        })  # fmt: skip
    return response


def hostname_origins(hostname):
    """The origins the hostname's publishable keys allow (an unknown hostname's: none)."""
    return current_app.extensions["callers"].origins_of_hostname(db.session, hostname)


def own_origin():
    """The API's own origin, as the client addressed it: `scheme://host[:port]`."""
    return request.host_url.rstrip("/").lower()


def allowed(origin, origins):
    """Whether `origin` is the API's own or one of `origins`."""
    return origin == own_origin() or origin in origins


def allowed_from(grant, origin):
    """Whether a page of `origin` may use `grant`'s key (`g.api_key`): one of a publishable
    key's own origins, or the API's own origin. False for every secret key."""
    return grant.publishable and allowed(origin, grant.allowed_origins)


def check_key_origin(grant):
    """Keep the key's origins for the answer's CORS headers (none for a secret key), and
    refuse a publishable key's write from an origin it does not allow (403)."""
    g.cors_origins = grant.allowed_origins if grant.publishable else None
    if grant.publishable:
        check_write_origin(grant.allowed_origins)


def check_token_origin(key_id):
    """The same for a request made with a visit token: its issuing key's origins rule
    (read by id, and kept a few seconds like the key's grant). Whether that key is
    publishable."""
    publishable, origins = current_app.extensions["callers"].origins_of_key(db.session, key_id)
    g.cors_origins = origins if publishable else None
    if publishable:
        check_write_origin(origins)
    return publishable


def check_write_origin(origins):
    """403 unless a write's `Origin` is allowed; see the module's docstring for GETs that
    write and a missing `Origin`."""
    if not request_writes():
        return
    origin = request.headers.get("Origin")
    if origin is None and request.method in SAFE_METHODS:
        if request.headers.get("Sec-Fetch-Site") not in OTHER_SITES:
            return
        raise Forbidden(
            "A publishable key takes a visit token only for a page of one of its allowed origins, "
            "and this request came from another site's page."
        )
    if origin is None:
        raise Forbidden(
            "A publishable key writes only from a browser page of an allowed origin: this "
            "request has no Origin header."
        )
    if not allowed(origin, origins):
        raise Forbidden(
            "A publishable key writes only from a page of one of its allowed origins, and "
            "the request's Origin is not one of them."
        )


def add_cors_headers(response):
    """Name an allowed origin on an API answer, errors included, so its page can read it.

    Any answer a publishable key's page could read varies by `Origin`, so that no cache
    hands one origin's answer to another's page.
    """
    if "presented" not in g or is_preflight() or not under_api():
        return response
    origin = request.headers.get("Origin")
    origins = credential_origins(origin)
    if origins is None:
        return response
    response.vary.add("Origin")
    if origin is not None and allowed(origin, origins):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
    return response


def credential_origins(origin):
    """The origins the request's credential allows: its publishable key's (or the visit
    token's issuer's), None for a secret key. With no credential accepted (a 401, a request
    refused before its key was read), those of the hostname's publishable keys, as its
    preflight would answer, looked up only for a request from a page (with an `Origin`)."""
    if "cors_origins" in g:
        return g.cors_origins
    hostname, _key_digest, grant = g.presented
    if grant is not None:
        return grant.allowed_origins if grant.publishable else None
    return None if origin is None else hostname_origins(hostname)

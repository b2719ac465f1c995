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

The API's own origin (the hosted booking page's) is always allowed for publishable keys,
but never for a revoked one's visit tokens (`check_token_origin`).
"""

from flask import current_app, g, request

from inquick.auth.callers import API_PREFIXES, bearer_token
from inquick.booking.tokens import TokenRefused, issuing_key
from inquick.config import verifying_secrets
from inquick.database import SAFE_METHODS, request_writes
from inquick.extensions import db
from inquick.jsonapi.errors import Forbidden
from inquick.jsonapi.media import empty_response
from inquick.request_urls import host_url

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
REVOKED_ISSUER = "The visit token is not valid: the publishable key that asked for it is revoked."


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
    return host_url().rstrip("/").lower()


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
    publishable.

    A revoked publishable key's tokens are refused outright, from the API's own origin
    too: its value is public, so revoking it is the only way to stop whoever copied it,
    and the tokens it gave out must stop with it. A secret key's tokens keep working
    until they expire, as before: they were asked for by the partner's own server.
    """
    issuer = current_app.extensions["callers"].origins_of_key(db.session, key_id)
    g.cors_origins = issuer.origins if issuer.publishable else None
    refuse_revoked_issuer(issuer)
    if issuer.publishable:
        check_write_origin(issuer.origins)
    return issuer.publishable


def refuse_revoked_issuer(issuer):
    """`TokenRefused` if `issuer` (a token's issuing key's `KeyOrigins`) is a revoked
    publishable key."""
    if issuer.publishable and issuer.revoked:
        raise TokenRefused(REVOKED_ISSUER)


def check_token_issuer(key_id):
    """`TokenRefused` if the key that issued a token is a revoked publishable key (for a
    token carried in a document, by a request made with a key)."""
    refuse_revoked_issuer(current_app.extensions["callers"].origins_of_key(db.session, key_id))


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
    preflight would answer, looked up only for a request from a page (with an `Origin`);
    but a visit token of ours refused before it was read (a 406, a 415) or because it
    expired answers as its issuing key would, so that a secret key's tokens never get
    CORS headers."""
    if "cors_origins" in g:
        return g.cors_origins
    hostname, _key_digest, grant = g.presented
    if grant is not None:
        return grant.allowed_origins if grant.publishable else None
    if origin is None:
        return None
    token = bearer_token()
    key_id = issuing_key(verifying_secrets(current_app), token) if token else None
    if key_id is not None:
        issuer = current_app.extensions["callers"].origins_of_key(db.session, key_id)
        return issuer.origins if issuer.publishable else None
    return hostname_origins(hostname)

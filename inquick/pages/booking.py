"""The hosted booking page, `/book/{partner_hostname}`, and its embeddable snippet.

The page is a template and a script: the script walks the patient through the public API
(schedules, free times, a visit token that holds the slot, the visit settings' form, the
booking) with the health system's publishable key. `?schedule=ID&at=TIME` opens it ready
to book that slot, which is where a FHIR Slot's booking deep link points.

A page that may be framed by anyone can be framed to trick a patient (clickjacking), so
it may be framed only by the origins the system's publishable keys allow, and by this server.
"""

from urllib.parse import quote

from flask import Blueprint, current_app, render_template, request

from inquick.extensions import db
from inquick.pages.page_keys import page_key
from inquick.pages.texts import texts_for
from inquick.request_urls import host_url

blueprint = Blueprint(
    "pages",
    __name__,
    static_folder="static",
    static_url_path="/book-assets",
)


def content_security_policy(allowed_origins):
    """Everything from this server only; framed only by this server and `allowed_origins`."""
    framers = " ".join(("'self'", *allowed_origins))
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        f"frame-ancestors {framers}"
    )


@blueprint.get("/book/<hostname>")
def booking_page(hostname):
    """The booking page of a partner hostname (not under the API's prefix: the page itself
    needs no key, and an unknown hostname gets a page a person can read)."""
    hostname = hostname.lower()
    texts = texts_for(request.accept_languages)
    key = page_key(db.session, hostname, sandbox_host=bool(current_app.config.get("SANDBOX_HOST")))
    if key is None:
        return page_missing(texts, hostname)
    config = {
        "api": f"{host_url()}api/v3/{quote(hostname, safe='')}",
        "key": key.value,
        "mode": key.mode,
        "texts": texts,
        "schedule": request.args.get("schedule", ""),
        "at": request.args.get("at", ""),
    }
    html = render_template("book.html", texts=texts, config=config, system=key.health_system_name)
    # Framed by any page a publishable key of the system allows (the preflight's origins).
    framers = current_app.extensions["callers"].origins_of_hostname(db.session, hostname)
    return html, 200, page_headers(sorted(framers))


def page_missing(texts, hostname):
    """A page a person can read, not a JSON error, when there is no booking page here."""
    html = render_template("book_missing.html", texts=texts, hostname=hostname)
    return html, 404, page_headers(())


def page_headers(allowed_origins):
    """What keeps the page from being framed, sniffed, cached with a revoked key, or sent
    with the wrong language by a cache."""
    return {
        "Content-Security-Policy": content_security_policy(allowed_origins),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        # The page holds the key it was rendered with: a revoked key must not live on in caches.
        "Cache-Control": "no-cache",
        "Vary": "Accept-Language",
    }

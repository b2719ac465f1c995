"""Every failure, answered as one JSON:API error document."""

import logging

from flask import current_app
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, SecurityError

from inquick.auth.keys import MissingScope
from inquick.booking.bookings import BodyMismatch, InvalidVisit
from inquick.booking.changes import ChangeRefused
from inquick.booking.refusals import ScheduleClosed, TokenSpent
from inquick.booking.reservations import SlotUnavailable
from inquick.booking.tokens import TokenRefused
from inquick.database import error_name
from inquick.jsonapi.errors import (
    BadRequest,
    Conflict,
    Emergency,
    ErrorList,
    Forbidden,
    InternalError,
    JsonApiError,
    NotAuthenticated,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
    Unprocessable,
)
from inquick.jsonapi.media import error_response
from inquick.ratelimit import RateLimitExceeded

log = logging.getLogger(__name__)

# Werkzeug's own failures (no route, wrong method, body too large...), by status.
HTTP_CODES = {
    400: "bad-request",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    413: "payload-too-large",
    414: "uri-too-long",
    415: "unsupported-media-type",
    431: "headers-too-large",
}
# The domain's refusals, each answered as one error of this kind with the refusal's
# message (and its `pointer`, if it has one). A view whose answer differs for a refusal
# (a slot a visit token cannot be issued for is a 422 naming the parameter) catches it.
REFUSALS = {
    MissingScope: Forbidden,
    TokenRefused: NotAuthenticated,
    BodyMismatch: Unprocessable,
    ScheduleClosed: Conflict,
    TokenSpent: Conflict,
    SlotUnavailable: Conflict,
    ChangeRefused: Conflict,
}


def init_app(app):
    app.register_error_handler(JsonApiError, handle_jsonapi_error)
    for refusal in REFUSALS:
        app.register_error_handler(refusal, handle_refusal)
    app.register_error_handler(InvalidVisit, handle_invalid_visit)
    app.register_error_handler(RateLimitExceeded, handle_rate_limit)
    # An outage: the database is gone (OperationalError), its connection broke under the
    # driver (InterfaceError), or no connection came free in time (the pool's timeout).
    for outage in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(outage, handle_database_unavailable)
    app.register_error_handler(ErrorList, handle_error_list)
    app.register_error_handler(RequestEntityTooLarge, handle_body_too_large)
    app.register_error_handler(SecurityError, handle_untrusted_host)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)


def handle_jsonapi_error(error):
    return error_response([error], error.status, error.headers)


def handle_error_list(error_list):
    return error_response(error_list.errors, error_list.status)


def handle_refusal(refusal):
    """A refusal of the domain, as the error `REFUSALS` answers it with."""
    error_class = next(REFUSALS[kind] for kind in type(refusal).__mro__ if kind in REFUSALS)
    return handle_jsonapi_error(
        error_class(str(refusal), pointer=getattr(refusal, "pointer", None))
    )


def handle_invalid_visit(invalid):
    """One 422 per attribute, pointing at it, and the call-911 advice for each free-text
    member that names an emergency (pointing at the member, never repeating its text)."""
    errors = [
        Unprocessable(f"{name} {message}.", pointer=f"/data/attributes/{name}")
        for name, message in invalid.problems.items()
    ]
    errors += [
        Emergency(
            f"{name} may describe an emergency. Call 911 or go to the nearest emergency room "
            "now; do not wait for a scheduled visit.",
            pointer=f"/data/attributes/{name}",
        )
        for name in invalid.emergencies
    ]
    return handle_error_list(ErrorList(errors))


def handle_rate_limit(exceeded):
    """429, saying when to retry (`Retry-After`) beside the window's own headers."""
    error = RateLimited(str(exceeded))
    headers = {"Retry-After": str(exceeded.retry_after), **exceeded.allowance.headers()}
    return error_response([error], error.status, headers)


def handle_http_exception(exception):
    code = HTTP_CODES.get(exception.code)
    if code is None:  # a status we never answer on purpose: say it is a bad request
        code = "bad-request" if exception.code < 500 else "internal-error"
    error = JsonApiError(exception.description)
    error.code = code
    headers = {}
    if exception.code == 405 and getattr(exception, "valid_methods", None):
        headers["Allow"] = ", ".join(sorted(exception.valid_methods))
    return error_response([error], error.status, headers)


def handle_body_too_large(_exception):
    """The body is refused whole and unread: the error points at the whole document ("")."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    over = f"over {limit} bytes" if limit else "too large"
    error = PayloadTooLarge(f"The request body is {over}.", pointer="")
    return error_response([error], error.status)


def handle_untrusted_host(_exception):
    """A Host outside TRUSTED_HOSTS: links would carry it, so nothing is served to it."""
    error = BadRequest(
        "This server does not answer to the hostname in the Host header "
        "(its operator lists those it does in INQUICK_TRUSTED_HOSTS).",
        header="Host",
    )
    return error_response([error], error.status)


def handle_database_unavailable(exception):
    """The database is unreachable or busy past our patience: the client may retry."""
    log.warning("database unavailable: %s", error_name(exception))
    error = Unavailable("The database is busy or unreachable; retry in a moment.")
    return error_response([error], 503, {"Retry-After": "1"})


def handle_unexpected(exception):
    """A bug: logged with its trace on the server, answered without one."""
    log.exception("unhandled error")
    error = InternalError("Something went wrong on our side; the failure has been logged.")
    return error_response([error], 500)

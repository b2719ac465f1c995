"""JSON:API 1.1 content negotiation (415 for request bodies, 406 for Accept)."""

from flask import current_app, request
from werkzeug.http import parse_options_header

from inquick.jsonapi.errors import NotAcceptable, UnsupportedMediaType
from inquick.jsonapi.media import MEDIA_TYPE

# Parameters JSON:API allows on its media type. No extension is supported, so `ext`
# with any value is refused like an unknown parameter.
ALLOWED_PARAMETERS = {"profile"}
PLAIN_JSON = "application/json"


def init_app(app):
    app.before_request(negotiate)


def negotiate():
    """Refuse bodies and Accept headers that JSON:API tells us to refuse; a view speaking
    another media type (FHIR's) is marked `negotiates_itself` and does its own."""
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "negotiates_itself", False):
        return
    if _has_body():
        check_content_type(request.headers.get("Content-Type", ""))
    check_accept(request.headers.get("Accept", ""))


def _has_body():
    return bool(request.content_length) or request.headers.get("Transfer-Encoding") == "chunked"


def check_content_type(header):
    """A body must be JSON:API (with at most a `profile`) or plain JSON."""
    media_type, params = parse_options_header(header)
    if media_type == PLAIN_JSON:
        return
    if media_type != MEDIA_TYPE:
        raise UnsupportedMediaType(f"Send request bodies as {MEDIA_TYPE}.", header="Content-Type")
    unsupported = set(params) - ALLOWED_PARAMETERS
    if unsupported:
        raise UnsupportedMediaType(
            f"The media type parameter(s) {', '.join(sorted(unsupported))} are not supported.",
            header="Content-Type",
        )


def check_accept(header):
    """406 when every JSON:API media type in Accept carries a parameter we cannot honour."""
    instances = []
    for part in header.split(","):
        media_type, params = parse_options_header(part.strip())
        if media_type == MEDIA_TYPE:
            params.pop("q", None)
            instances.append(params)
    if instances and all(set(params) - ALLOWED_PARAMETERS for params in instances):
        raise NotAcceptable(
            f"Accept {MEDIA_TYPE} without media type parameters other than profile.",
            header="Accept",
        )

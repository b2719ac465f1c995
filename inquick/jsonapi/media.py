"""The JSON:API media type and the serialization of documents."""

import orjson
from flask import Response

MEDIA_TYPE = "application/vnd.api+json"
# The `jsonapi` member of every document the API writes: the version of JSON:API it speaks.
JSONAPI = {"version": "1.1"}


def document_response(document, status=200, headers=None):
    """A response carrying a JSON:API document."""
    body = orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS)
    return Response(body, status=status, headers=headers, mimetype=MEDIA_TYPE)


def empty_response(status=204, headers=None):
    """An answer without content (a 204, a 304): with no body, no Content-Type either
    (Flask would label the empty body `text/html`)."""
    response = Response(status=status, headers=headers)
    del response.headers["Content-Type"]
    return response


def error_response(errors, status, headers=None):
    """A response carrying an error document built from `JsonApiError`s."""
    return document_response(
        {"jsonapi": JSONAPI, "errors": [e.to_dict() for e in errors]}, status, headers
    )

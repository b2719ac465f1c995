"""gunicorn settings of `inquick serve` (read with `-c python:inquick.serving`)."""

import gc

import orjson
from gunicorn import util

from inquick.jsonapi.errors import ERROR_CODES
from inquick.jsonapi.media import JSONAPI, MEDIA_TYPE

# A request allocates many small objects (a row, a record, a resource object each); with
# the collector's default threshold it runs every few hundred, and a full collection
# walks every object the app made at start-up. Those objects are moved out of its reach
# once the worker has loaded the app, and young objects are collected less often.
YOUNG_COLLECTION_THRESHOLD = 10_000
# Our codes for the statuses gunicorn answers itself; any other is a "bad-request".
GUNICORN_REFUSALS = {
    403: "forbidden",
    414: "uri-too-long",
    431: "headers-too-large",
    500: "internal-error",
}


def post_worker_init(_worker):
    """Called by gunicorn in each worker once the app is loaded."""
    gc.freeze()
    _young, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, older, oldest)
    # gunicorn answers a request it cannot read (headers or a request line over its limits,
    # a malformed request) itself, with an HTML page; clients of a JSON:API expect an
    # error document. Its one writer of those answers is swapped for ours.
    util.write_error = write_jsonapi_error


def write_jsonapi_error(sock, status_int, reason, _mesg):
    """gunicorn's refusal as a JSON:API error document, on a connection it then closes.

    gunicorn's own message is left out: it quotes the refused request line or headers,
    which can hold a key or patient data.
    """
    code = GUNICORN_REFUSALS.get(status_int, "bad-request")
    error = {"status": str(status_int), "code": code, "title": ERROR_CODES[code][1],
             "detail": f"The server could not read the request: {reason.lower()}."}  # fmt: skip
    body = orjson.dumps({"jsonapi": JSONAPI, "errors": [error]})
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: {MEDIA_TYPE}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)

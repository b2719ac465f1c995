"""A FHIR request and its answer: where its resources live, what a client may ask for
(`_format`, `Accept`), and answers in FHIR's media type."""

from datetime import UTC, datetime
from urllib.parse import quote

import orjson
from flask import Response, g
from werkzeug.datastructures import MIMEAccept

from inquick.fhir.codes import Context
from inquick.jsonapi.errors import NotAcceptable
from inquick.request_urls import host_url

FHIR_JSON = "application/fhir+json"
# `_format` values meaning JSON (FHIR's short form, the media types, R3's old one).
JSON_FORMATS = ("json", FHIR_JSON, "application/json", "application/json+fhir")
ACCEPTED = (FHIR_JSON, "application/json", "application/json+fhir")


def takes_json(accept):
    """Whether an `Accept` takes one of `ACCEPTED`, its parameters aside (FHIR clients send
    `; fhirVersion=4.0` or `; charset=utf-8`, which werkzeug's match would have equal)."""
    bare = MIMEAccept((value.split(";")[0].strip(), quality) for value, quality in accept)
    return bare.best_match(ACCEPTED) is not None


def check_format(format_values, accept):
    """406 unless the client takes JSON: `_format` decides when given, else `Accept`."""
    if format_values:
        for value in format_values:
            if value.split(";")[0].strip() not in JSON_FORMATS:
                raise NotAcceptable(
                    f"_format={value} is not served: this server speaks FHIR JSON only "
                    "(_format=json).",
                    parameter="_format",
                )
        return
    if accept and not takes_json(accept):
        raise NotAcceptable(
            f"This server answers {FHIR_JSON} only; say so in Accept (or send */*).",
            header="Accept",
        )


def fhir_response(resource, status=200, headers=None):
    return Response(orjson.dumps(resource), status=status, headers=headers, mimetype=FHIR_JSON)


def fhir_base():
    """The FHIR base URL of this request's partner hostname."""
    return f"{host_url()}fhir/r4/{quote(g.presented[0], safe='')}"


def request_context():
    """The `Context` resources of this request are written in."""
    return Context(base=g.fhir_base, api_root=g.api_root, now=datetime.now(UTC))

"""Hostile request bodies: malformed, of the wrong JSON type, members of the wrong type,
unknown members, NUL characters, lone surrogates, integers past 64 bits, deep nesting,
non-ASCII text and 10 MB."""

import json

from inquick.jsonapi.request_document import MAX_DEPTH
from tests.hostile.dates import attribute_date_cases
from tests.hostile.documents import (
    NO_CLIENT_IDS,
    changed,
    encode,
    nested,
    text_attribute,
)
from tests.hostile.expectations import (
    Accepted,
    Case,
    Refused,
    Stored,
    refused_body,
)

# A resource a client library sends along in `included`: it would change a row if it were read.
INCLUDED = {"type": "services", "id": "primary-care", "attributes": {"name": "Hostile"}}
# Valid text beyond ASCII: accents, an emoji outside the BMP, Arabic (written right to left).
UNICODE = "Zoë Ávila 🩺 مستشفى"
TEN_MEGABYTES = 10 * 1024 * 1024
# Integers just past what 64 bits hold, signed below and unsigned above (orjson's range).
PAST_64_BITS = (2**64, -(2**63) - 1, 10**30)


def body_cases(operation):
    """The hostile documents of an operation that takes a body."""
    yield from whole_document_cases(operation)
    if operation.linkage:
        yield from linkage_cases(operation)
    else:
        yield from resource_object_cases(operation)


def whole_document_cases(operation):
    whole = refused_body("")
    for shape, spoil in {
        "body is malformed JSON": lambda d: encode(d)[:-2],
        "body is an array": lambda d: encode([d]),
        "body is a string": lambda d: encode("data"),
        "body is a number": lambda d: b"42",
        "body is null": lambda d: b"null",
    }.items():
        yield Case(operation, shape, whole, spoil=spoil)
    yield Case(
        operation,
        "body has an unknown top-level member",
        Accepted(),
        spoil=lambda d: encode({**d, "x-client": {"hostile": True}}),
    )
    yield Case(
        operation,
        "body has included resources",
        Accepted(),
        spoil=lambda d: encode({**d, "included": [INCLUDED]}),
    )
    yield Case(
        operation,
        "body has data and errors",
        refused_body("/errors"),
        spoil=lambda d: encode({**d, "errors": [{"status": "400"}]}),
    )
    yield Case(
        operation,
        "meta holds an integer above 64 bits",
        refused_body("/meta/counts/1"),
        spoil=lambda d: encode({**d, "meta": {"counts": [1, PAST_64_BITS[0]]}}),
    )
    yield Case(
        operation,
        "meta holds objects nested 300 deep",
        refused_body("/meta" + "/a" * MAX_DEPTH),
        spoil=lambda d: encode({**d, "meta": nested(1, "a", 300)}),
    )
    yield Case(
        operation,
        "body is 10 MB",
        refused_body("", 413, "payload-too-large"),
        spoil=lambda d: encode(d)[:-1] + b" " * TEN_MEGABYTES + b"}",
    )


def wrong_data(operation):
    """{what: value} for `data` of a JSON type the operation does not take."""
    wrong = {"a string": lambda d: "hostile", "a number": lambda d: 7}
    if operation.to_many:
        wrong["an object"] = lambda d: d["data"][0]
    else:
        wrong["an array"] = lambda d: [d["data"]]
    return wrong


def member_cases(operation, trail, pointer):
    """`type`, `id` and an unknown member (ignored) of the object at `trail` (`data`, or an
    identifier)."""
    yield Case(
        operation,
        "type is a number",
        refused_body(f"{pointer}/type"),
        spoil=lambda d: encode(changed(d, (*trail, "type"), 7)),
    )
    yield Case(
        operation,
        "type names another type",
        refused_body(f"{pointer}/type", 409, "conflict"),
        spoil=lambda d: encode(changed(d, (*trail, "type"), "hostiles")),
    )
    id_refused = refused_body(f"{pointer}/id")
    if (operation.path, operation.method) in NO_CLIENT_IDS:
        id_refused = refused_body(f"{pointer}/id", 403, "forbidden")
    yield Case(
        operation,
        "id is a number",
        id_refused,
        spoil=lambda d: encode(changed(d, (*trail, "id"), 7)),
    )
    yield Case(
        operation,
        f"{'identifier' if operation.linkage else 'data'} has an unknown member",
        Accepted(),
        spoil=lambda d: encode(changed(d, (*trail, "hostile"), True)),
    )


def wrong_data_cases(operation):
    for what, value in wrong_data(operation).items():
        yield Case(
            operation,
            f"data is {what}",
            refused_body("/data"),
            spoil=lambda d, value=value: encode({"data": value(d)}),
        )


def linkage_cases(operation):
    yield from wrong_data_cases(operation)
    trail, pointer = (("data", 0), "/data/0") if operation.to_many else (("data",), "/data")
    yield from member_cases(operation, trail, pointer)
    missing = Refused(404, "not-found", {"pointer": pointer})
    yield Case(
        operation,
        "id holds a NUL character",
        missing,
        spoil=lambda d: encode(changed(d, (*trail, "id"), "first\x00second")),
    )
    yield Case(
        operation,
        "id in emoji and right-to-left script",
        missing,
        spoil=lambda d: encode(changed(d, (*trail, "id"), UNICODE)),
    )
    yield Case(
        operation,
        "identifier meta holds an integer below 64 bits",
        refused_body(f"{pointer}/meta/n"),
        spoil=lambda d: encode(changed(d, (*trail, "meta"), {"n": PAST_64_BITS[1]})),
    )
    yield Case(
        operation,
        "id holds a lone surrogate",
        refused_body(f"{pointer}/id"),
        # ensure_ascii writes the surrogate as the six characters \ud800 of the JSON text.
        spoil=lambda d: json.dumps(changed(d, (*trail, "id"), "a\ud800b")).encode(),
    )


def resource_object_cases(operation):
    yield from wrong_data_cases(operation)
    yield from member_cases(operation, ("data",), "/data")
    for member in ("attributes", "relationships"):
        yield Case(
            operation,
            f"{member} is an array",
            refused_body(f"/data/{member}"),
            spoil=lambda d, member=member: encode(changed(d, ("data", member), [{}])),
        )
    yield Case(
        operation,
        "an unknown attribute",
        refused_body("/data/attributes/hostile", 422, "unprocessable"),
        spoil=lambda d: encode(changed(d, ("data", "attributes", "hostile"), "x")),
    )
    text = text_attribute(operation)
    at = ("data", "attributes", text)
    yield Case(
        operation,
        f"{text} holds a NUL character",
        refused_body(f"/data/attributes/{text}", 422, "unprocessable"),
        spoil=lambda d: encode(changed(d, at, "Ada\x00Byron")),
    )
    yield Case(
        operation,
        f"{text} holds a lone surrogate",
        refused_body(f"/data/attributes/{text}"),
        spoil=lambda d: json.dumps(changed(d, at, "Ada\ud800Byron")).encode(),
    )
    yield Case(
        operation,
        f"{text} is an integer above 64 bits",
        refused_body(f"/data/attributes/{text}"),
        spoil=lambda d: encode(changed(d, at, PAST_64_BITS[2])),
    )
    yield Case(
        operation,
        "an unknown attribute holds an integer below 64 bits",
        refused_body("/data/attributes/hostile/0/n"),
        spoil=lambda d: encode(
            changed(d, ("data", "attributes", "hostile"), [{"n": PAST_64_BITS[1]}])
        ),
    )
    yield Case(
        operation,
        f"{text} in emoji and right-to-left script",
        Stored(text, UNICODE),
        spoil=lambda d: encode(changed(d, at, UNICODE)),
    )
    yield from attribute_date_cases(operation)

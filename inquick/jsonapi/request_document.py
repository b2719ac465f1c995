"""Reading a request document: one resource object of an expected type, and linkage.

JSON:API 1.1 has servers ignore the members they do not recognize: `included` (which some
client libraries send along), `jsonapi`, `meta`, `links`, `lid` and a client's own members,
at any level, are never read (only screened, like every value, by `unusable_value`). What
the specification forbids (no `data`, `data` beside `errors`) is refused, and so are the
attributes and relationships a type does not have (`attributes`, `write_views`).
"""

import json

from flask import request

from inquick.jsonapi.errors import Conflict, Forbidden, InvalidDocument

NOT_JSON = object()
# What orjson writes: integers of 64 bits, signed or unsigned.
INTEGERS = range(-(2**63), 2**64)
# Far deeper than any document the API takes; far shallower than the 255 levels orjson writes.
MAX_DEPTH = 64
NOT_UNICODE = "This text is not valid Unicode (a lone surrogate)."


def members(obj):
    """The member names of a JSON:API object but its @-members, which JSON:API 1.1 tells
    processors to ignore completely (they carry a client's own annotations)."""
    return {name for name in obj if not name.startswith("@")}


def pointer_token(name):
    return str(name).replace("~", "~0").replace("/", "~1")


def unusable_value(value, pointer):
    """(pointer, why) of the first value no database, response or booking digest can hold,
    or None; it is refused wherever it is, even in members the server ignores (`meta`).

    - text that is not Unicode (a lone surrogate escape such as `\\ud800`, which JSON allows);
    - an integer past 64 bits, or a value more than MAX_DEPTH levels down: orjson, which
      writes every response and the digest of a booking, refuses both. Hashing the digest
      another way would only move the failure to the answer that shows the value.
    """
    if pointer.count("/") > MAX_DEPTH:  # each level adds one `/` (a `/` in a name is `~1`)
        return pointer, f"A document is at most {MAX_DEPTH} levels deep."
    if isinstance(value, str):
        return None if value.isascii() or not has_surrogate(value) else (pointer, NOT_UNICODE)
    if isinstance(value, int) and value not in INTEGERS:
        return pointer, "Integers are at most 64 bits (-2^63 to 2^64 - 1)."
    if isinstance(value, list):
        items = ((f"{pointer}/{index}", item) for index, item in enumerate(value))
    elif isinstance(value, dict):
        items = []
        for key, item in value.items():
            if has_surrogate(key):
                return pointer, NOT_UNICODE
            items.append((f"{pointer}/{pointer_token(key)}", item))
    else:
        return None
    for inner, item in items:
        found = unusable_value(item, inner)
        if found is not None:
            return found
    return None


def has_surrogate(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def refuse_non_finite(text):
    raise ValueError(f"{text} is not a JSON number")


def finite_float(text):
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is too large a number")
    return number


def parse_json(raw):
    """JSON as RFC 8259 has it: no NaN or Infinity, no number that overflows to one.

    NOT_JSON when it is not JSON (`null` is JSON: None).
    """
    try:
        return json.loads(raw, parse_constant=refuse_non_finite, parse_float=finite_float)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python recurses
        return NOT_JSON


def read_body():
    """The request body: a JSON object with `data`, or a 400 pointing at what is wrong.

    A body that is not an object has no member to point at: the pointer is "", the whole
    document.
    """
    body = parse_json(request.get_data())
    if body is NOT_JSON:
        raise InvalidDocument("The request body is not a JSON document.", pointer="")
    unusable = unusable_value(body, "")
    if unusable is not None:
        pointer, why = unusable
        raise InvalidDocument(why, pointer=pointer)
    if not isinstance(body, dict):
        raise InvalidDocument("The document must be a JSON object.", pointer="")
    if "data" not in body:
        raise InvalidDocument("The document must have a `data` member.", pointer="/data")
    if "errors" in body:
        raise InvalidDocument("A document cannot hold both `data` and `errors`.", pointer="/errors")
    return body


def read_resource_object(expected_type, *, allow_id=False):
    """`data` of the request body, checked for shape; 400, 403 or 409 when it is off."""
    data = read_body()["data"]
    if not isinstance(data, dict):
        raise InvalidDocument("`data` must be a resource object.", pointer="/data")
    if not isinstance(data.get("type"), str):
        raise InvalidDocument("A resource object needs a string `type`.", pointer="/data/type")
    if data["type"] != expected_type:
        raise Conflict(
            f"This endpoint takes resources of type {expected_type!r}.", pointer="/data/type"
        )
    if "id" in data and not allow_id:
        raise Forbidden("Client-generated ids are not supported here.", pointer="/data/id")
    if "id" in data and not isinstance(data["id"], str):
        raise InvalidDocument("A resource's id is a string.", pointer="/data/id")
    for member in ("attributes", "relationships"):
        if not isinstance(data.get(member, {}), dict):
            raise InvalidDocument(f"`{member}` must be an object.", pointer=f"/data/{member}")
    return data


def read_update(expected_type, object_id):
    """`data` of an update of the resource at `object_id`: it must name that id."""
    data = read_resource_object(expected_type, allow_id=True)
    if "id" not in data:
        raise InvalidDocument("An update names the resource's id.", pointer="/data/id")
    if data["id"] != object_id:
        raise Conflict("The document's id must be the id in the URL.", pointer="/data/id")
    return data


def identifier(item, expected_type, pointer):
    """The id of a resource identifier object of `expected_type`; 400 or 409 otherwise, each
    pointing at the member at fault."""
    if not isinstance(item, dict):
        raise InvalidDocument("A resource identifier is an object.", pointer=pointer)
    for member in ("type", "id"):
        if not isinstance(item.get(member), str):
            raise InvalidDocument(
                f"A resource identifier needs a string {member}.", pointer=f"{pointer}/{member}"
            )
    if item["type"] != expected_type:
        raise Conflict(f"This must identify a {expected_type} resource.", pointer=f"{pointer}/type")
    return item["id"]


def read_linkage(relationship_object, expected_type, many, pointer):
    """The ids a relationship object's `data` names: an id or None (to-one), a list (to-many)."""
    if not isinstance(relationship_object, dict) or "data" not in relationship_object:
        raise InvalidDocument("A relationship needs a `data` member.", pointer=pointer)
    linkage = relationship_object["data"]
    if many:
        if not isinstance(linkage, list):
            raise InvalidDocument("This relationship takes an array.", pointer=f"{pointer}/data")
        ids = [
            identifier(item, expected_type, f"{pointer}/data/{n}") for n, item in enumerate(linkage)
        ]
        return list(dict.fromkeys(ids))  # each once, in the order given
    if linkage is None:
        return None
    return identifier(linkage, expected_type, f"{pointer}/data")


def linked_id(data, name, target_type):
    """The id in `data.relationships.NAME.data`, checked to be of `target_type`, or None."""
    relationship = data.get("relationships", {}).get(name)
    if relationship is None:
        return None
    linked = read_linkage(relationship, target_type, False, f"/data/relationships/{name}")
    if linked is None:
        raise InvalidDocument(f"{name} cannot be null.", pointer=f"/data/relationships/{name}/data")
    return linked

"""Reading a request document: one resource object of an expected type."""

from flask import request

from inquick.jsonapi.errors import Conflict, Forbidden, InvalidDocument


def read_resource_object(expected_type, *, allow_id=False):
    """`data` of the request body, checked for shape; 400, 403 or 409 when it is off."""
    body = request.get_json(silent=True, force=True)
    if body is None:
        raise InvalidDocument("The request body is not a JSON document.", pointer="")
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise InvalidDocument("The document must have a `data` object.", pointer="/data")
    data = body["data"]
    if data.get("type") != expected_type:
        raise Conflict(
            f"This endpoint takes resources of type {expected_type!r}.", pointer="/data/type"
        )
    if "id" in data and not allow_id:
        raise Forbidden("Client-generated ids are not supported here.", pointer="/data/id")
    for member in ("attributes", "relationships"):
        if not isinstance(data.get(member, {}), dict):
            raise InvalidDocument(f"`{member}` must be an object.", pointer=f"/data/{member}")
    return data


def linked_id(data, name, target_type):
    """The id in `data.relationships.NAME.data`, checked to be of `target_type`, or None."""
    relationship = data.get("relationships", {}).get(name)
    pointer = f"/data/relationships/{name}"
    if relationship is None:
        return None
    linkage = relationship.get("data") if isinstance(relationship, dict) else None
    if not isinstance(linkage, dict) or not isinstance(linkage.get("id"), str):
        raise InvalidDocument(f"{name} needs data: {{type, id}}.", pointer=f"{pointer}/data")
    if linkage.get("type") != target_type:
        raise Conflict(f"{name} must be a {target_type} resource.", pointer=f"{pointer}/data/type")
    return linkage["id"]

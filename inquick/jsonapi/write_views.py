"""The generic write endpoints: create, update, delete, and to-many/to-one linkage changes.

A type takes part by declaring which relationships are writable, defining `new_object`,
and where it needs to, overriding the other write hooks of its `Resource` (`lock`,
`assign`, `settle`, `written`). Every write commits once, at the end of the request, through
`commit`: a uniqueness or reference conflict the database finds at that moment (two
clients racing for one id) is a 409, and a row deleted meanwhile a 404.
"""

from functools import partial

from flask import request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from inquick.extensions import db
from inquick.jsonapi.attributes import read_attributes
from inquick.jsonapi.document import single_document
from inquick.jsonapi.errors import (
    Conflict,
    ErrorList,
    Forbidden,
    NotFound,
    Unprocessable,
)
from inquick.jsonapi.media import document_response, empty_response
from inquick.jsonapi.query import check_parameter_names, parse_query
from inquick.jsonapi.request_document import (
    members,
    read_body,
    read_linkage,
    read_resource_object,
    read_update,
)
from inquick.jsonapi.views import find, read_one, register_routes, show_related


def commit(conflict):
    """Commit the request's changes; a constraint the database enforces answers `conflict`."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(conflict) from None
    except StaleDataError:  # a concurrent request deleted the row being changed
        db.session.rollback()
        raise NotFound("The resource was deleted while this request changed it.") from None


def document_answer(document, status):
    """A written resource's document; a 201 names the new resource's URL in `Location` too."""
    headers = {}
    if status == 201:  # the document, like the header, is about the new resource
        headers["Location"] = document["links"]["self"] = document["data"]["links"]["self"]
    return document_response(document, status, headers)


def required_relationships(resource):
    """The relationships every object of the type must have (`required` in its schema)."""
    return [
        schema_field.data_key or schema_field.name
        for schema_field in resource.schema.fields.values()
        if schema_field.required
        and (schema_field.data_key or schema_field.name) in resource.relationships
    ]


def read_to_one_or_many(resource, name, relationship_object, pointer):
    """The linkage of one writable relationship; null is refused where one is required."""
    spec = resource.relationships[name]
    linkage = read_linkage(relationship_object, spec.type, spec.many, pointer)
    if linkage is None and name in required_relationships(resource):
        raise Unprocessable(f"{name} is required; it cannot be null.", pointer=f"{pointer}/data")
    return linkage


def read_relationships(resource, data, *, creating):
    """{name: linked id(s)} from a resource object's relationships, each checked for shape."""
    linkage = {}
    relationships = data.get("relationships", {})
    for name in members(relationships):
        relationship_object, pointer = relationships[name], f"/data/relationships/{name}"
        if name not in resource.relationships:
            raise Unprocessable(f"{resource.type} have no relationship {name!r}.", pointer=pointer)
        if name not in resource.writable_relationships:
            raise Forbidden(f"{name} cannot be changed through {resource.type}.", pointer=pointer)
        linkage[name] = read_to_one_or_many(resource, name, relationship_object, pointer)
    if creating:
        missing = [
            Unprocessable(f"{name} is required.", pointer=f"/data/relationships/{name}")
            for name in required_relationships(resource)
            if name not in linkage
        ]
        if missing:
            raise ErrorList(missing)
    return linkage


def linked_objects(relationship, linkage, pointer):
    """The caller's objects the linkage names (None, one, or a list); 404 for a missing one."""
    if linkage is None:
        return None
    target = relationship.target
    ids = linkage if relationship.many else [linkage]
    # An id no column can hold (a NUL character) names nothing: not worth asking the database.
    parsed = [target.parse_id(i) for i in ids if "\x00" not in i]
    statement = target.base_query().where(target.id_column().in_([p for p in parsed if p]))
    found = {target.object_id(o): o for o in db.session.scalars(statement)}
    for index, wanted in enumerate(ids):
        if wanted not in found:
            at = f"{pointer}/data/{index}" if relationship.many else f"{pointer}/data"
            raise NotFound(f"There is no {target.type} with id {wanted!r}.", pointer=at)
    objects = [found[i] for i in ids]
    return objects if relationship.many else objects[0]


def apply_changes(resource, obj, values, linkage):
    """Set attributes and relationships on `obj`, then let the type check the whole."""
    with db.session.no_autoflush:  # a half-written row must not reach the database early
        targets = {
            name: linked_objects(resource.relationships[name], ids, f"/data/relationships/{name}")
            for name, ids in linkage.items()
        }
        for name, value in values.items():
            resource.assign(obj, name, value)
        for name, linked in targets.items():
            setattr(obj, resource.writable_relationships[name], linked)
        problems = resource.settle(obj)
    if problems:
        raise ErrorList(problems)
    resource.written(obj)


def stored_resource_answer(resource, obj, params, status):
    """The object as stored now, read as any read reads it, with the includes asked for."""
    record = read_one(resource, resource.object_id(obj), params)
    return document_answer(single_document(record, params), status)


def create_resource(resource):
    """POST /TYPE: 201 with the new resource, and its URL in `Location`."""
    params = parse_query(request.args, resource, collection=False)
    data = read_resource_object(resource.type, allow_id=True)
    values = read_attributes(resource, data.get("attributes", {}), creating=True)
    linkage = read_relationships(resource, data, creating=True)
    obj = resource.new_object(data.get("id"), values)
    apply_changes(resource, obj, values, linkage)
    db.session.add(obj)  # only once complete: a refused request leaves nothing pending
    commit(f"Another {resource.type} resource took this id at the same moment; retry.")
    return stored_resource_answer(resource, obj, params, 201)


def update_resource(resource, object_id):
    """PATCH /TYPE/{id}: change the attributes and relationships sent, nothing else."""
    params = parse_query(request.args, resource, collection=False)
    data = read_update(resource.type, object_id)
    obj = find(resource, object_id)
    resource.lock(obj)
    values = read_attributes(resource, data.get("attributes", {}), creating=False)
    linkage = read_relationships(resource, data, creating=False)
    apply_changes(resource, obj, values, linkage)
    commit(f"The change conflicts with another {resource.type} resource.")
    return stored_resource_answer(resource, obj, params, 200)


def delete_resource(resource, object_id):
    """DELETE /TYPE/{id}: 204, or 409 while other rows still refer to the resource."""
    check_parameter_names(request.args, allowed_families=())
    obj = find(resource, object_id)
    db.session.delete(obj)
    commit(f"Other resources still refer to {resource.type} {object_id!r}; change them first.")
    return empty_response()


def change_linkage(resource, object_id, *, name, how):
    """PATCH (replace), POST (add) or DELETE (remove) /TYPE/{id}/relationships/NAME."""
    spec = resource.relationships[name]
    parse_query(request.args, spec.target, collection=spec.many, linkage=True)
    obj = find(resource, object_id)
    resource.lock(obj)
    ids = read_to_one_or_many(resource, name, read_body(), "")
    linked = linked_objects(spec, ids, "")
    attribute = resource.writable_relationships[name]
    if how == "add":
        current = getattr(obj, attribute)
        linked = current + [o for o in linked if o not in current]
    elif how == "remove":
        linked = [o for o in getattr(obj, attribute) if o not in linked]
    with db.session.no_autoflush:
        setattr(obj, attribute, linked)
        problems = resource.settle(obj)
    if problems:
        raise ErrorList(problems)
    resource.written(obj)
    commit(f"The change conflicts with another {resource.type} resource.")
    return show_related(resource, object_id, name, identifiers_only=True)


def refuse(detail):
    """A view answering 403: a write this API does not offer on purpose."""

    def view(**_ids):
        raise Forbidden(detail)

    return view


def add_write_routes(blueprint, resource, *, decorators=(), aliases=(), methods=None):
    """Register the write endpoints of `resource` (all of them unless `methods` narrows)."""
    methods = methods or {"POST", "PATCH", "DELETE"}
    routes = []
    if "POST" in methods:
        routes.append(("", "create", "POST", lambda: create_resource(resource)))
    if "PATCH" in methods:
        routes.append(("/<object_id>", "update", "PATCH",
                       lambda object_id: update_resource(resource, object_id)))  # fmt: skip
    if "DELETE" in methods:
        routes.append(("/<object_id>", "delete", "DELETE",
                       lambda object_id: delete_resource(resource, object_id)))  # fmt: skip
    for name in resource.writable_relationships:
        hows = {"PATCH": "replace", "POST": "add", "DELETE": "remove"}
        if not resource.relationships[name].many:
            hows = {"PATCH": "replace"}
        for method, how in hows.items():
            view = partial(change_linkage, resource, name=name, how=how)
            routes.append((f"/<object_id>/relationships/{name}", f"{how}_{name}", method, view))
    register_routes(blueprint, resource, routes, decorators=decorators, aliases=aliases)

"""The generic read endpoints every type gets: list, show, related and relationship."""

from functools import partial

from flask import g, request
from sqlalchemy import and_, bindparam, select

from inquick.database import reads_by_version
from inquick.extensions import db
from inquick.jsonapi.document import (
    collection_document,
    linkage_document,
    request_url,
    single_document,
)
from inquick.jsonapi.errors import NotFound
from inquick.jsonapi.media import document_response
from inquick.jsonapi.query import parse_query
from inquick.jsonapi.records import Reader
from inquick.jsonapi.statements import ID, PARENT


def find(resource, object_id):
    """The object with this id among those the caller may see, or a 404 (for writes)."""
    parsed = resource.parse_id(object_id)
    obj = None
    if parsed is not None:
        statement = resource.base_query().where(resource.id_column() == parsed)
        obj = db.session.scalars(statement).one_or_none()
    if obj is None:
        raise NotFound(f"There is no {resource.type} with id {object_id!r}.")
    return obj


def reader_for(fields):
    """A reader for this request, keeping totals under its data's version if it has one."""
    return Reader(fields, g.get("data_version"))


def find_key(reader, resource, parsed_id):
    """The key of the row with this (parsed) id among those the caller may see, or a 404."""
    key = reader.key(resource, parsed_id)
    if key is None:
        raise NotFound(f"There is no {resource.type} with id {parsed_id!r}.")
    return key


def id_is_bound(resource):
    """The condition that a row's id is the one bound as `id`."""
    return resource.id_column() == bindparam(ID)


def read_one(resource, object_id, params):
    """The record of the resource with this id, with its includes, or a 404."""
    parsed = resource.parse_id(object_id)
    reader = reader_for(params.fields)
    record = None
    if parsed is not None:
        where = partial(id_is_bound, resource)
        record = reader.one(resource, "id", where, {ID: parsed}, tree=params.include)
    if record is None:
        raise NotFound(f"There is no {resource.type} with id {object_id!r}.")
    reader.always_linked(resource, [record], params.include)
    return record


def list_resources(resource):
    """GET /TYPE"""
    params = parse_query(request.args, resource, collection=True)
    reader = reader_for(params.fields)
    records, count = reader.page(resource, params, resource.list_query, tree=params.include)
    reader.always_linked(resource, records, params.include)
    document = collection_document(records, params, count)
    resource.on_read(records, params)
    return document_response(document)


def show_resource(resource, object_id):
    """GET /TYPE/{id}"""
    params = parse_query(request.args, resource, collection=False)
    record = read_one(resource, object_id, params)
    document = single_document(record, params)
    resource.on_read([record], params)
    return document_response(document)


def linked_to_parent(resource, relationship):
    """A condition on the target's key: linked by `relationship` to the caller's row of
    `resource` whose id is bound as `parent`."""
    parent_key = resource.keys_query().where(resource.id_column() == bindparam(PARENT))
    link = resource.link(relationship)
    if link.on_target is not None:  # on the target's own row: no join of its table to itself
        return and_(link.parent == parent_key.scalar_subquery(), *link.on_target)
    pairs = link.narrowed(lambda parent: parent == parent_key.scalar_subquery())
    return relationship.target.read_plan.key.in_(select(pairs.c.target))


def related_url():
    """For a relationship endpoint, the URL of its related endpoint."""
    return request_url().replace("/relationships/", "/", 1)


def show_related(resource, object_id, name, *, identifiers_only=False):
    """GET /TYPE/{id}/REL and GET /TYPE/{id}/relationships/REL

    The parent is found by the statement that reads the related rows; only when that
    finds nothing is it looked for alone, to tell a missing parent (404) from an empty
    relationship.
    """
    relationship = resource.relationships[name]
    parent_id = resource.parse_id(object_id)
    if parent_id is None:
        raise NotFound(f"There is no {resource.type} with id {object_id!r}.")
    if relationship.many:
        document = related_collection(resource, parent_id, relationship, identifiers_only)
    else:
        document = related_single(resource, parent_id, relationship, identifiers_only)
    return document_response(document)


def related_collection(resource, parent_id, relationship, identifiers_only):
    """A to-many relationship: a paginated, sortable, filterable list of the target type."""
    target = relationship.target
    params = parse_query(request.args, target, collection=True, linkage=identifiers_only)
    # Linkage needs no attribute: the fieldset of the target is then empty.
    reader = reader_for({target.type: ()} if identifiers_only else params.fields)
    records, count = reader.page(
        target,
        params,
        lambda: target.keys_query().where(linked_to_parent(resource, relationship)),
        shape=(resource, relationship.name),
        values={PARENT: parent_id},
        tree=params.include,
    )
    if not records:
        find_key(reader, resource, parent_id)
    if identifiers_only:
        document = collection_document(records, params, count, identifiers=target)
        document["links"]["related"] = related_url()
        return document
    reader.always_linked(target, records, params.include)
    return collection_document(records, params, count)


def related_single(resource, parent_id, relationship, identifiers_only):
    """A to-one relationship: the target (or null), found within the caller's scope."""
    target = relationship.target
    params = parse_query(request.args, target, collection=False, linkage=identifiers_only)
    reader = reader_for({target.type: ()} if identifiers_only else params.fields)
    record = reader.one(
        target,
        (resource, relationship.name),
        lambda: linked_to_parent(resource, relationship),
        {PARENT: parent_id},
        tree=params.include,
    )
    if record is None:
        find_key(reader, resource, parent_id)
    if identifiers_only:
        return linkage_document(relationship, record, request_url(), related_url())
    if record is not None:
        reader.always_linked(target, [record], params.include)
    return single_document(record, params)


def register_routes(blueprint, resource, routes, *, decorators, aliases):
    """Add (path suffix, endpoint, method, view) routes under the type's path and its
    aliases, each view wrapped in `decorators` (outermost first) once."""
    wrapped = []
    for suffix, endpoint, method, view in routes:
        for decorator in reversed(decorators):
            view = decorator(view)
        wrapped.append((suffix, endpoint, method, view))
    for path in (resource.type, *aliases):
        for suffix, endpoint, method, view in wrapped:
            blueprint.add_url_rule(f"/{path}{suffix}", endpoint, view, methods=[method])


def add_resource_routes(blueprint, resource, *, decorators=(), aliases=()):
    """Register the read endpoints of `resource` on `blueprint` (and its path aliases)."""
    routes = [
        ("", "list", "GET", lambda: list_resources(resource)),
        ("/<object_id>", "show", "GET", lambda object_id: show_resource(resource, object_id)),
    ]
    for name in resource.relationships:
        related = partial(show_related, resource, name=name)
        linkage = partial(show_related, resource, name=name, identifiers_only=True)
        routes.append((f"/<object_id>/{name}", f"related_{name}", "GET", related))
        routes.append(
            (f"/<object_id>/relationships/{name}", f"relationship_{name}", "GET", linkage)
        )
    # Outermost: every statement these views run is the Reader's, which checks versions.
    decorators = (reads_by_version, *decorators)
    register_routes(blueprint, resource, routes, decorators=decorators, aliases=aliases)

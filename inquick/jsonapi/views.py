"""The generic read endpoints every type gets: list, show, related and relationship."""

from functools import partial

from flask import request
from sqlalchemy import func, select
from sqlalchemy.orm import with_parent

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


def include_loaders(resource, include_tree):
    """One eager-loading option per relationship in the include tree, nested like the tree."""
    loaders = []
    for name, subtree in include_tree.items():
        relationship = resource.relationships[name]
        nested = include_loaders(relationship.target, subtree)
        loaders.append(resource.loader(relationship, nested=nested))
    return loaders


def loader_options(resource, include_tree):
    """Everything serializing a page needs, one query per relationship level.

    This is what keeps a request's query count independent of its page size.
    """
    return [*resource.always_load, *include_loaders(resource, include_tree)]


def fetch_page(resource, statement, params):
    """One page of `statement` in the requested order, and the total count."""
    statement = resource.apply_filters(statement, params.filters)
    count = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    order = [column.desc() if descending else column.asc() for column, descending in params.sort]
    order.append(resource.id_column().asc())  # a stable order whatever the sort keys
    statement = (
        statement.order_by(*order)
        .limit(params.page_size)
        .offset((params.page_number - 1) * params.page_size)
        .options(*loader_options(resource, params.include))
    )
    return db.session.scalars(statement).unique().all(), count


def find(resource, object_id, include_tree=None):
    """The object with this id among those the caller may see, or a 404."""
    parsed = resource.parse_id(object_id)
    obj = None
    if parsed is not None:
        statement = resource.base_query().where(resource.id_column() == parsed)
        if include_tree is not None:
            statement = statement.options(*loader_options(resource, include_tree))
        obj = db.session.scalars(statement).unique().one_or_none()
    if obj is None:
        raise NotFound(f"There is no {resource.type} with id {object_id!r}.")
    return obj


def list_resources(resource):
    """GET /TYPE"""
    params = parse_query(request.args, resource, collection=True)
    objects, count = fetch_page(resource, resource.list_query(), params)
    document = collection_document(resource, objects, params, count)
    resource.on_read(objects, params)
    return document_response(document)


def show_resource(resource, object_id):
    """GET /TYPE/{id}"""
    params = parse_query(request.args, resource, collection=False)
    obj = find(resource, object_id, params.include)
    document = single_document(resource, obj, params)
    resource.on_read([obj], params)
    return document_response(document)


def related_statement(resource, parent, relationship):
    """The target type's statement narrowed to what `parent` points at."""
    target = relationship.target
    custom = resource.related_queries.get(relationship.name)
    if custom is not None:
        return target.scoped(custom(parent))
    attribute = getattr(resource.model, relationship.attribute)
    return target.base_query().where(with_parent(parent, attribute))


def related_url():
    """For a relationship endpoint, the URL of its related endpoint."""
    return request_url().replace("/relationships/", "/", 1)


def show_related(resource, object_id, name, *, identifiers_only=False):
    """GET /TYPE/{id}/REL and GET /TYPE/{id}/relationships/REL"""
    relationship = resource.relationships[name]
    parent = find(resource, object_id)
    if relationship.many:
        document = related_collection(resource, parent, relationship, identifiers_only)
    else:
        document = related_single(resource, parent, relationship, identifiers_only)
    return document_response(document)


def related_collection(resource, parent, relationship, identifiers_only):
    """A to-many relationship: a paginated, sortable, filterable list of the target type."""
    target = relationship.target
    params = parse_query(request.args, target, collection=True, linkage=identifiers_only)
    statement = related_statement(resource, parent, relationship)
    objects, count = fetch_page(target, statement, params)
    document = collection_document(
        target, objects, params, count, identifiers_only=identifiers_only
    )
    if identifiers_only:
        document["links"]["related"] = related_url()
    return document


def related_single(resource, parent, relationship, identifiers_only):
    """A to-one relationship: the target (or null), found again within the caller's scope."""
    target = relationship.target
    params = parse_query(request.args, target, collection=False, linkage=identifiers_only)
    obj = resource.related(parent, relationship)
    if obj is not None:
        statement = target.base_query().where(target.id_column() == target.object_id(obj))
        statement = statement.options(*loader_options(target, params.include))
        obj = db.session.scalars(statement).unique().one_or_none()
    if identifiers_only:
        return linkage_document(relationship, obj, request_url(), related_url())
    return single_document(target, obj, params)


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
    register_routes(blueprint, resource, routes, decorators=decorators, aliases=aliases)

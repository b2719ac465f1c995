"""Building JSON:API documents: resource objects, links, compound documents, pagination."""

import math
from urllib.parse import quote, urlencode

from flask import g, request

# Query parameters that never appear in links we hand out: a link is pasted, logged and
# cached, and a key in it would leak.
PRIVATE_PARAMETERS = ("api_key",)


def api_root():
    """The absolute URL the type paths hang from, set per request by whoever mounts the API."""
    return g.api_root


def request_url(**replace):
    """The URL of this request without private parameters, with `replace` applied."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in PRIVATE_PARAMETERS]
    args = [(k, v) for k, v in args if k not in replace] + list(replace.items())
    return request.base_url + ("?" + urlencode(args) if args else "")


class CompoundDocument:
    """Collects primary data and included resources, each (type, id) pair once."""

    def __init__(self, params):
        self.params = params
        self.root = api_root()
        self.objects = {}
        self.primary = set()
        self.linked = set()

    def resource_url(self, resource, obj):
        return f"{self.root}/{resource.type}/{quote(resource.object_id(obj), safe='')}"

    def identifier(self, resource, obj):
        return {"type": resource.type, "id": resource.object_id(obj)}

    def resource_object(self, resource, obj):
        """The resource object for `obj`, built once per document."""
        key = (resource.type, resource.object_id(obj))
        built = self.objects.get(key)
        if built is not None:
            return built
        wanted = self.params.fields.get(resource.type)
        self_url = self.resource_url(resource, obj)
        built = {"type": resource.type, "id": key[1]}
        attributes = {
            name: schema_field.serialize(schema_field.name, obj)
            for name, schema_field in resource.attributes.items()
            if wanted is None or name in wanted
        }
        if attributes:
            built["attributes"] = attributes
        relationships = {
            name: self.relationship_object(resource, obj, self_url, name)
            for name in resource.relationships
            if wanted is None or name in wanted
        }
        if relationships:
            built["relationships"] = relationships
        if resource.links_to(obj):
            built["links"] = {"self": self_url}
        self.objects[key] = built
        return built

    def relationship_object(self, resource, obj, self_url, name):
        """Links to the relationship's endpoints, and its linkage where always given."""
        relationship = {}
        if resource.relationship_links:
            relationship["links"] = {
                "self": f"{self_url}/relationships/{name}",
                "related": f"{self_url}/{name}",
            }
        if name in resource.always_linked:
            spec = resource.relationships[name]
            relationship["data"] = self.linkage(spec, resource.related(obj, spec))
        return relationship

    def linkage(self, relationship, related):
        target = relationship.target
        if relationship.many:
            return [self.identifier(target, o) for o in related]
        return None if related is None else self.identifier(target, related)

    def add(self, resource, obj, include_tree, primary=False):
        """Add `obj` and, following `include_tree`, everything it includes."""
        built = self.resource_object(resource, obj)
        if primary:
            self.primary.add((built["type"], built["id"]))
        marker = (built["type"], built["id"], id(include_tree))
        if marker in self.linked:
            return built
        self.linked.add(marker)
        for name, subtree in include_tree.items():
            relationship = resource.relationships[name]
            related = resource.related(obj, relationship)
            if name in built.get("relationships", {}):
                built["relationships"][name]["data"] = self.linkage(relationship, related)
            for target_obj in related if relationship.many else filter(None, [related]):
                self.add(relationship.target, target_obj, subtree)
        return built

    def included(self):
        return [o for key, o in self.objects.items() if key not in self.primary]

    def finish(self, data, links, meta=None):
        document = {"jsonapi": {"version": "1.1"}, "links": links, "data": data}
        included = self.included()
        if included:
            document["included"] = included
        if meta:
            document["meta"] = meta
        return document


def single_document(resource, obj, params):
    """The document for one resource (or null)."""
    document = CompoundDocument(params)
    data = None if obj is None else document.add(resource, obj, params.include, primary=True)
    return document.finish(data, {"self": request_url()})


def collection_document(resource, objects, params, record_count, *, identifiers_only=False):
    """The document for one page of a collection, with pagination links and counts."""
    document = CompoundDocument(params)
    if identifiers_only:
        data = [document.identifier(resource, o) for o in objects]
    else:
        data = [document.add(resource, o, params.include, primary=True) for o in objects]
    number, size = params.page_number, params.page_size
    page_count = max(1, math.ceil(record_count / size))

    def page_link(n):
        return request_url(**{"page[number]": str(n), "page[size]": str(size)})

    links = {"self": request_url(), "first": page_link(1), "last": page_link(page_count)}
    # A page with no neighbour leaves the link out (JSON:API allows null or absent; some
    # validators and clients take only the latter).
    if number > 1:
        links["prev"] = page_link(min(number - 1, page_count))
    if number < page_count:
        links["next"] = page_link(number + 1)
    meta = {"record-count": record_count, "page-count": page_count}
    return document.finish(data, links, meta)


def linkage_document(relationship, related, self_url, related_url):
    """The document of a to-one relationship endpoint: linkage only."""
    document = CompoundDocument(None)
    return {
        "jsonapi": {"version": "1.1"},
        "links": {"self": self_url, "related": related_url},
        "data": document.linkage(relationship, related),
    }

"""Building JSON:API documents: resource objects, links, compound documents, pagination."""

import math
from functools import lru_cache
from urllib.parse import quote, urlencode

from flask import g, request

from inquick.jsonapi.media import JSONAPI
from inquick.jsonapi.records import Reader
from inquick.request_urls import base_url

# Query parameters that never appear in links we hand out: a link is pasted, logged and
# cached, and a key in it would leak.
PRIVATE_PARAMETERS = ("api_key",)


def api_root():
    """The absolute URL the type paths hang from, set per request by whoever mounts the API."""
    return g.api_root


def request_url(**replace):
    """The URL of this request without private parameters, with `replace` applied."""
    link_base = g.get("link_base")
    if link_base is None:  # every link of a document starts from the same URL and parameters
        encoded = [
            (k, urlencode([(k, v)]))
            for k, v in request.args.items(multi=True)
            if k not in PRIVATE_PARAMETERS
        ]  # each parameter encoded once: a page's links are five URLs of one request
        link_base = g.link_base = (base_url(), encoded)
    url, encoded = link_base
    if replace:
        parts = [part for k, part in encoded if k not in replace]
        parts += [urlencode([item]) for item in replace.items()]
    else:
        parts = [part for _, part in encoded]
    return url + ("?" + "&".join(parts) if parts else "")


@lru_cache(maxsize=65536)
def quoted(object_id):
    """An id as a URL path segment (ids repeat across documents: each is quoted once)."""
    return quote(object_id, safe="")


@lru_cache(maxsize=1024)
def relationship_shapes(resource, wanted):
    """For each relationship a resource object of `resource` shows (for a sparse fieldset
    `wanted`): its name, the suffixes of its two links (or None), its target's type and
    whether it is to-many. Worked out once, not per object."""
    return tuple(
        (
            name,
            (f"/relationships/{name}", f"/{name}") if resource.relationship_links else None,
            relationship.target.type,
            relationship.many,
        )
        for name, relationship in resource.relationships.items()
        if wanted is None or name in wanted
    )


class CompoundDocument:
    """Primary data and included resources from records, each (type, id) pair once."""

    def __init__(self, fields):
        self.fields = {name: frozenset(wanted) for name, wanted in fields.items()}
        self.root = api_root()
        self.prefixes = {}
        self.primary = set()
        self.linked = set()
        self.included_records = []

    def resource_object(self, record):
        """The resource object of `record`, built once per document."""
        if record.built is not None:
            return record.built
        resource = record.resource
        built = {"type": resource.type, "id": record.id}
        if record.attributes:
            built["attributes"] = record.attributes
        prefix = self.prefixes.get(resource.type)
        if prefix is None:
            prefix = self.prefixes[resource.type] = f"{self.root}/{resource.type}/"
        self_url = prefix + quoted(record.id)
        shapes = relationship_shapes(resource, self.fields.get(resource.type))
        if shapes:
            relationships = {}
            linkage = record.linkage
            for name, suffixes, target, many in shapes:
                relationship = {}
                if suffixes is not None:
                    relationship["links"] = {
                        "self": self_url + suffixes[0],
                        "related": self_url + suffixes[1],
                    }
                if name in linkage:
                    ids = linkage[name]
                    if many:
                        relationship["data"] = [{"type": target, "id": i} for i in ids]
                    else:
                        relationship["data"] = None if ids is None else {"type": target, "id": ids}
                relationships[name] = relationship
            built["relationships"] = relationships
        if record.has_url:
            built["links"] = {"self": self_url}
        record.built = built
        return built

    def add(self, record, include_tree, primary=False):
        """Add `record` and, following `include_tree`, the records it includes."""
        key = (record.resource.type, record.id)
        if primary:
            self.primary.add(key)
        marker = (key, id(include_tree))
        if marker in self.linked:
            return
        self.linked.add(marker)
        if not primary:
            self.included_records.append(record)
        for name, subtree in include_tree.items():
            related = record.related.get(name)
            for child in related if isinstance(related, list) else filter(None, [related]):
                self.add(child, subtree)

    def finish(self, data, links, meta=None):
        """The document; included resources are built last, when every linkage is known."""
        document = {"jsonapi": JSONAPI, "links": links, "data": data}
        seen, included = set(self.primary), []
        for record in self.included_records:
            key = (record.resource.type, record.id)
            if key not in seen:
                seen.add(key)
                included.append(self.resource_object(record))
        if included:
            document["included"] = included
        if meta:
            document["meta"] = meta
        return document


def single_document(record, params):
    """The document for one resource (or null)."""
    document = CompoundDocument(params.fields)
    data = None
    if record is not None:
        document.add(record, params.include, primary=True)
        data = document.resource_object(record)
    return document.finish(data, {"self": request_url()})


def collection_document(records, params, record_count, *, identifiers=None):
    """The document for one page of a collection, with pagination links and counts.

    `identifiers` (a type) makes it linkage only: resource identifiers of that type.
    """
    document = CompoundDocument(params.fields)
    if identifiers is not None:
        data = [{"type": identifiers.type, "id": record.id} for record in records]
    else:
        for record in records:
            document.add(record, params.include, primary=True)
        data = [document.resource_object(record) for record in records]
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


def linkage_document(relationship, record, self_url, related_url):
    """The document of a to-one relationship endpoint: linkage only."""
    data = None if record is None else {"type": relationship.target.type, "id": record.id}
    return {"jsonapi": JSONAPI, "links": {"self": self_url, "related": related_url}, "data": data}


def object_document(resource, obj, params):
    """The document for one object of a type built in Python (no table behind it)."""
    reader = Reader(params.fields)
    [record] = reader.objects(resource, [obj], params.include)
    return single_document(record, params)

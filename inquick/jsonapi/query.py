"""The JSON:API query parameters of a request, parsed and checked against a type."""

import json
import re
from copy import copy
from dataclasses import dataclass, field
from functools import lru_cache

from marshmallow import Schema, validate
from webargs import fields
from webargs.core import Parser
from werkzeug.datastructures import MultiDict

from inquick.config import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from inquick.jsonapi.comparisons import OPERATORS
from inquick.jsonapi.errors import (
    InvalidFields,
    InvalidFilter,
    InvalidInclude,
    InvalidPage,
    InvalidQueryParameter,
    InvalidSort,
)
from inquick.jsonapi.request_document import parse_json
from inquick.jsonapi.resource import REGISTRY

# A JSON:API family parameter: an all-lowercase base name, maybe followed by brackets.
FAMILY = re.compile(r"^(?P<family>[a-z]+)(?P<brackets>\[.*)?$")
MEMBER = re.compile(r"^\[(?P<member>[^\[\]]*)\]$")
# A comparison filter's brackets: `[ATTRIBUTE][OP]`.
COMPARED = re.compile(r"^\[(?P<member>[^\[\]]+)\]\[(?P<op>[^\[\]]+)\]$")
# The index of an array parameter spelled `name[0]`, `name[1]`...: nine digits at most, far
# past any array a request holds.
INDEX = re.compile(r"\[(\d{1,9})\]")
MAX_INCLUDE_DEPTH = 4
# Far past any real collection, and far below where an OFFSET overflows.
MAX_PAGE_NUMBER = 1_000_000
# Parses of query parameters kept (the least recently used go first).
PARSES_KEPT = 4096


class PageArgs(Schema):
    error_class = InvalidPage

    number = fields.Int(
        data_key="page[number]", load_default=1, validate=validate.Range(min=1, max=MAX_PAGE_NUMBER)
    )
    size = fields.Int(
        data_key="page[size]",
        load_default=DEFAULT_PAGE_SIZE,
        validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
    )

    class Meta:
        unknown = "exclude"


class QueryParser(Parser):
    """webargs reading the query arguments it is handed (its "request" is their MultiDict),
    with its failures answered as 400s that name the parameter."""

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        by_location = error.normalized_messages()  # {"query": {"page[size]": [...]}}
        parameter, messages = next(iter(by_location["query"].items()))
        if isinstance(messages, dict):  # a list parameter: {index: [messages]}
            messages = [m for item in messages.values() for m in item]
        detail = " ".join(messages)
        if not detail.startswith(parameter):  # marshmallow's own messages name no parameter
            detail = f"{parameter}: {detail}"
        error_class = getattr(schema, "error_class", InvalidQueryParameter)
        raise error_class(detail, parameter=parameter)

    def load_querystring(self, args, schema):
        """The arguments, each array parameter (`name[]`) read in any of its spellings."""
        read = MultiDict(args)
        for schema_field in schema.fields.values():
            name = schema_field.data_key or schema_field.name
            if isinstance(schema_field, fields.List) and name.endswith("[]"):
                values = array_parameter(args, name)
                if values:
                    read.setlist(name, values)
        return self._makeproxy(read, schema)


parser = QueryParser()
page_args = PageArgs()


@dataclass
class QueryParams:
    """What a request asked for: includes, sparse fieldsets, sort, page and filters."""

    include: dict = field(default_factory=dict)
    fields: dict = field(default_factory=dict)
    sort: tuple = ()
    sort_given: bool = False  # `sort` was in the request (not the type's default order)
    page_number: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    filters: dict = field(default_factory=dict)


def array_parameter(args, name):
    """The values of the array parameter `name[]` as client libraries spell arrays:
    `name[]=a&name[]=b`, `name=a&name=b` or `name[0]=a&name[1]=b` (indexes in numeric order,
    gaps allowed). Mixing spellings is a 400: no order of the mix is surely the one meant."""
    base = name.removesuffix("[]")
    indexed = sorted(
        (int(match[1]), key)
        for key in args
        if key.startswith(base) and (match := INDEX.fullmatch(key, len(base)))
    )
    spellings = [
        args.getlist(name),
        args.getlist(base),
        [value for _index, key in indexed for value in args.getlist(key)],
    ]
    used = [values for values in spellings if values]
    if len(used) > 1:
        raise InvalidQueryParameter(
            f"Spell {name} one way: {name}=a&{name}=b, {base}=a&{base}=b or "
            f"{base}[0]=a&{base}[1]=b.",
            parameter=name,
        )
    return used[0] if used else []


def check_parameter_names(args, allowed_families):
    """JSON:API 1.1: an all-lowercase name must be a family, in a form, this endpoint supports.

    Names with any other character (`api_key`, `schedule_ids[]`) are implementation
    parameters; endpoints read the ones they know.
    """
    for name in args:
        match = FAMILY.match(name)
        if not match:
            continue
        family, brackets = match["family"], match["brackets"]
        member = None
        if brackets is not None:
            single = MEMBER.match(brackets)
            if single is None and family == "filter":  # filter[a][b]: a comparison
                single = COMPARED.match(brackets)
            if single is None:  # page[a][b], filter[a][b][c]: nested members are not supported
                raise InvalidQueryParameter(
                    f"The query parameter {name} is not supported here.", parameter=name
                )
            member = single["member"]
        well_formed = {
            "include": member is None,
            "sort": member is None,
            "fields": bool(member),
            "page": member in ("number", "size"),
            "filter": member != "",
        }
        if family not in allowed_families or not well_formed.get(family, False):
            raise InvalidQueryParameter(
                f"The query parameter {name} is not supported here.", parameter=name
            )


def parse_include(raw, resource):
    """`a.b,c` -> {"a": {"b": {}}, "c": {}}, every step checked against the types."""
    tree = {}
    if raw is None:
        return tree
    for path in raw.split(","):
        steps = path.strip().split(".")
        if not path.strip() or len(steps) > MAX_INCLUDE_DEPTH:
            raise InvalidInclude(f"The include path {path!r} is not allowed.", parameter="include")
        current, node = resource, tree
        for step in steps:
            relationship = current.relationships.get(step)
            if relationship is None:
                raise InvalidInclude(
                    f"{current.type} has no relationship {step!r} (in include path {path!r}).",
                    parameter="include",
                )
            node = node.setdefault(step, {})
            current = relationship.target
    return tree


def parse_fields(args):
    """`fields[TYPE]=a,b` for every type, each field checked against the type."""
    fieldsets = {}
    for name, value in args.items():
        match = FAMILY.match(name)
        if not match or match["family"] != "fields":
            continue
        type_name = match["brackets"][1:-1]
        resource = REGISTRY.get(type_name)
        if resource is None:
            raise InvalidFields(f"There is no type {type_name!r}.", parameter=name)
        wanted = {f.strip() for f in value.split(",") if f.strip()}
        unknown = wanted - set(resource.attributes) - set(resource.relationships)
        if unknown:
            raise InvalidFields(
                f"{type_name} has no field(s) {', '.join(sorted(unknown))}.", parameter=name
            )
        fieldsets[type_name] = wanted
    return fieldsets


def parse_sort(raw, resource):
    """`-name,id` -> ((name, descending), ...), each checked as a sortable attribute."""
    if raw is None:
        raw = ",".join(resource.default_sort)
    order = []
    for item in raw.split(","):
        item = item.strip()
        name = item.removeprefix("-")
        if name not in resource.sorts:
            raise InvalidSort(f"{resource.type} cannot be sorted by {name!r}.", parameter="sort")
        order.append((name, item.startswith("-")))
    return tuple(order)


SCALAR = (str, int, float, bool)


def is_filter_value(value):
    """A scalar, an array of scalars (`"near": [43.6, -70.2]`), or operators to scalars
    (`"duration-minutes": {"gte": 15, "lt": 30}`)."""
    if isinstance(value, dict):
        return bool(value) and all(isinstance(v, SCALAR) for v in value.values())
    return isinstance(value, SCALAR) or (
        isinstance(value, list) and all(isinstance(v, SCALAR) for v in value)
    )


def as_filter_text(value):
    """The `filter[key]=...` spelling of a JSON value: arrays become comma-separated."""
    if isinstance(value, list):
        return ",".join(map(as_filter_text, value))
    return value if isinstance(value, str) else json.dumps(value)


def parse_filters(args, resource):
    """Both filter syntaxes, `filter={"k":"v","n":{"lt":3}}` and `filter[k]=v&filter[n][lt]=3`,
    read into {key: (value, parameter)}, a comparison's key being `n[lt]`; unknown keys
    refused."""
    filters = {}
    if "filter" in args:
        decoded = parse_json(args["filter"])  # as a body is read: too deeply nested is not JSON
        if not isinstance(decoded, dict) or not all(map(is_filter_value, decoded.values())):
            raise InvalidFilter(
                'filter must be a JSON object of keys to values, e.g. {"service":"primary-care"}'
                ' or {"duration-minutes":{"lt":30}}.',
                parameter="filter",
            )
        for key, value in decoded.items():
            if "[" in key or "]" in key:  # not a key, whatever the brackets hold
                raise InvalidFilter(f"{resource.type} has no filter {key!r}.", parameter="filter")
            if isinstance(value, dict):
                for op, operand in value.items():
                    filters[f"{key}[{op}]"] = (as_filter_text(operand), "filter")
            else:
                filters[key] = (as_filter_text(value), "filter")
    for name, value in args.items():
        match = FAMILY.match(name)
        if match and match["family"] == "filter" and match["brackets"] is not None:
            filters[filter_key(match["brackets"])] = (value, name)
    for key, (_value, parameter) in filters.items():
        if key not in resource.filters:
            raise InvalidFilter(unknown_filter(resource, key), parameter=parameter)
    return filters


def filter_key(brackets):
    """The key of a `filter[...]` parameter's brackets: `[k]` is k, `[n][lt]` is n[lt]."""
    compared = COMPARED.match(brackets)
    return f"{compared['member']}[{compared['op']}]" if compared else brackets[1:-1]


def unknown_filter(resource, key):
    """Why `key` (`k`, or `n[op]` for a comparison) is no filter of `resource`."""
    name, _, op = key.partition("[")
    op = op.removesuffix("]")
    if not op:
        return f"{resource.type} has no filter {key!r}."
    if name in resource.comparable:
        return f"{op!r} is no operator; {name} takes {', '.join(OPERATORS)}."
    if name in resource.filters or name in resource.attributes:
        comparable = ", ".join(resource.comparable) or "none"
        return f"{resource.type} cannot compare {name!r} (comparable: {comparable})."
    return f"{resource.type} has no filter {name!r}."


def parse_arguments(schema, args):
    """An endpoint's own (non-JSON:API) query parameters, read by a webargs schema.

    No JSON:API family applies to such an endpoint, so any all-lowercase name is a 400.
    """
    check_parameter_names(args, allowed_families=())
    return parser.parse(schema, args, location="query")


def parse_query(args, resource, *, collection, linkage=False):
    """Everything a request on `resource` asked for, or a 400 naming the bad parameter.

    Linkage (relationship endpoints) has no attributes to include or to trim. What was
    asked depends on the parameters alone, so each spelling of them is parsed once (about
    0.1 ms of a read); a request gets its own copy, whose members it may replace.
    """
    # A key in the query (`api_key`) is not part of what was asked: kept out of the cache,
    # no secret stays in memory after its request.
    asked = tuple((name, value) for name, value in args.items(multi=True) if name != "api_key")
    return copy(parsed_query(asked, resource, collection, linkage))


@lru_cache(maxsize=PARSES_KEPT)
def parsed_query(items, resource, collection, linkage):
    """`parse_query` of the parameters `items` ((name, value) pairs, in order)."""
    args = MultiDict(items)
    families = set() if linkage else {"include", "fields"}
    if collection:
        families |= {"sort", "page", "filter"}
    check_parameter_names(args, families)
    params = QueryParams(
        include=parse_include(args.get("include"), resource),
        fields=parse_fields(args),
    )
    if collection:
        params.sort = parse_sort(args.get("sort"), resource)
        params.sort_given = args.get("sort") is not None
        params.filters = parse_filters(args, resource)
        resource.check_filters(params.filters)
        page = parser.parse(page_args, args, location="query")
        params.page_number, params.page_size = page["number"], page["size"]
    return params

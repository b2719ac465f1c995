"""Hostile query parameters: `page`, `include`, each `filter[KEY]` and every other parameter
an operation documents, and one it does not take."""

from inquick.jsonapi.resource import REGISTRY
from tests.hostile.dates import (
    filter_date_cases,
    parameter_date_cases,
)
from tests.hostile.documents import path_type
from tests.hostile.expectations import (
    Case,
    NoRows,
    refused_parameter,
)
from tests.hostile.paths import (
    SQL,
    path_cases,
)
from tests.hostile.spec import resolve

# JSON nested deeper than Python recurses. The objects go unencoded, as `curl -g` sends
# them: percent-encoded, 1,000 levels of them are past the URL limit.
DEEP_JSON = {"arrays": "[" * 1000 + "]" * 1000, "objects": '{"a":' * 1000 + "1" + "}" * 1000}
# A filter whose every value is a valid one: a list of ids or names, matched as text.
TEXT_FILTER = r"[^\s,]"


def deep_include(operation, steps=50):
    """An include path `steps` long, along relationships that exist where it can."""
    parts = operation.path.strip("/").split("/")
    resource_ = REGISTRY[path_type(operation.path)]
    if len(parts) == 3 and parts[1].startswith("{"):  # /TYPE/{id}/REL: REL's type
        resource_ = resource_.relationships[parts[2]].target
    names = []
    while len(names) < steps:
        relationships = resource_.relationships
        if not relationships:
            names.append(names[-1] if names else "schedules")
            continue
        # The relationship leading on furthest, so that the path goes round a cycle.
        name = max(relationships, key=lambda n: len(relationships[n].target.relationships))
        names.append(name)
        resource_ = relationships[name].target
    return ".".join(names)


PAGES = (("size", "1000000"), ("number", "-1"), ("number", "abc"), ("number", "9" * 20))
# Query parameters naming a row by id: a SQL-looking value names no row, a 404 naming it.
NAMES_A_ROW = {"schedule_ids[]", "schedule_id"}
FAMILY_CODES = {"sort": "invalid-sort", "include": "invalid-include", "page": "invalid-page"}


def query_cases(operation):
    """Hostile values of each query and path parameter the operation documents, and a
    parameter it does not take (JSON:API: a 400, never silently ignored)."""
    yield Case(
        operation,
        "an unknown query parameter",
        refused_parameter("hostile"),
        query=(("hostile", "1"),),
    )
    for parameter in operation.parameters:
        name = parameter["name"]
        if parameter["in"] == "path":
            yield from path_cases(operation, name)
        elif name == "page":
            for member, value in PAGES:
                yield Case(
                    operation,
                    f"page[{member}]={value}",
                    refused_parameter(f"page[{member}]", "invalid-page"),
                    query=((f"page[{member}]", value),),
                )
        elif name == "include":
            refused = refused_parameter("include", "invalid-include")
            yield Case(
                operation, "include 50 levels deep", refused, query=(("include", deep_include),)
            )
            yield Case(operation, "an unknown include", refused, query=(("include", "hostile"),))
        elif name == "filter":
            refused = refused_parameter("filter", "invalid-filter")
            yield Case(
                operation,
                "filter holds arrays nested 1,000 deep",
                refused,
                query=(("filter", DEEP_JSON["arrays"]),),
            )
            yield Case(
                operation,
                "filter holds objects nested 1,000 deep",
                refused,
                raw_query=f"filter={DEEP_JSON['objects']}",
            )
            for key, schema in resolve(parameter["schema"])["properties"].items():
                yield from filter_cases(operation, f"filter[{key}]", schema)
        elif name != "fields":  # fields: names checked against a fixed list, before any query
            yield from plain_parameter_cases(operation, name, parameter["schema"])


def filter_cases(operation, parameter, schema):
    # A list of ids or names (`IdsFilterValue`, or any text but blanks and commas) is compared
    # as text, in bound parameters: a SQL-looking value is a valid value that no row has. The
    # right answer is no rows, not a 4xx. A filter with a fixed set or a syntax refuses it.
    as_text = "$ref" in schema or schema.get("pattern") == TEXT_FILTER
    expect = NoRows() if as_text else refused_parameter(parameter, "invalid-filter")
    for value in SQL:
        yield Case(
            operation, f"{parameter} looks like SQL ({value})", expect, query=((parameter, value),)
        )
    yield from filter_date_cases(operation, parameter, schema)


def plain_parameter_cases(operation, name, schema):
    family = FAMILY_CODES.get(name, "invalid-query-parameter")
    for value in SQL:
        expect = refused_parameter(name, family)
        if name in NAMES_A_ROW:
            expect = refused_parameter(name, "not-found", 404)
        yield Case(operation, f"{name} looks like SQL ({value})", expect, query=((name, value),))
    yield from parameter_date_cases(operation, name, schema)

"""spec/openapi.yaml says what the server enforces: each constraint a declaration holds
(a type's relationships, fields, sorts and filters, a marshmallow validator, a column's
length, a vocabulary) is compared with the spec's schema for it, so the two cannot drift.

Where a parser enforces the rule, the parser itself is asked (`parse_include`,
`parse_fields`, `parse_sort`); the spec's patterns are run against the same candidates.
"""

import re
from pathlib import Path

import pytest
import yaml
from marshmallow import fields, validate

import inquick.resources  # noqa: F401 - registers the types the parsers look up
from inquick.auth.keys import SCOPES
from inquick.catalog.providers import PERIODS
from inquick.jsonapi.attributes import column_of
from inquick.jsonapi.comparisons import OPERATORS
from inquick.jsonapi.errors import InvalidFields, InvalidInclude, InvalidSort
from inquick.jsonapi.query import PageArgs, parse_fields, parse_include, parse_sort
from inquick.jsonapi.resource import REGISTRY
from inquick.models.catalog import AFFILIATIONS, CONTEXTS, GENDERS, PROVIDER_TYPES
from inquick.models.visits import STATUSES
from inquick.resources.api_keys import NewKeySchema
from inquick.resources.availability import AvailabilityArgs
from inquick.resources.visit_tokens import VisitTokenArgs

SPEC = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "spec" / "openapi.yaml").read_text()
)
PARAMETERS = SPEC["components"]["parameters"]
SCHEMAS = SPEC["components"]["schemas"]
# Every name a field, relationship or sort key has on any type: the candidates a pattern
# must accept exactly when the server does.
NAMES = sorted(
    {"id", "", *(n for r in REGISTRY.values() for n in [*r.attributes, *r.relationships])}
)
# The writable types, with the spec's schemas of their write documents.
WRITES = {
    "health-systems": ("HealthSystemWriteAttributes", None),
    "locations": ("LocationWriteAttributes", "LocationCreateDocument"),
    "services": ("NameWriteAttributes", "ServiceCreateDocument"),
    "medical-groups": ("NameWriteAttributes", "MedicalGroupCreateDocument"),
    "appointment-types": ("AppointmentTypeWriteAttributes", "AppointmentTypeCreateDocument"),
    "insurance-plans": ("InsurancePlanWriteAttributes", "InsurancePlanCreateDocument"),
    "providers": ("ProviderWriteAttributes", "ProviderCreateDocument"),
    "schedules": ("ScheduleWriteAttributes", "ScheduleCreateDocument"),
    "webhook-endpoints": ("WebhookEndpointWriteAttributes", "WebhookEndpointCreateDocument"),
}


def resolved(node):
    """A schema with its `$ref` followed and its `allOf` parts merged (properties, required)."""
    while "$ref" in node:
        node = SCHEMAS[node["$ref"].rsplit("/", 1)[1]] | {
            k: v for k, v in node.items() if k != "$ref"
        }
    merged = {k: v for k, v in node.items() if k != "allOf"}
    for part in map(resolved, node.get("allOf", [])):
        merged["properties"] = {**part.get("properties", {}), **merged.get("properties", {})}
        merged["required"] = [*part.get("required", []), *merged.get("required", [])]
    return merged


def accepts(parse, *args, error):
    try:
        parse(*args)
    except error:
        return False
    return True


def matches(schema, value):
    return re.search(resolved(schema)["pattern"], value) is not None


def include_paths(resource):
    """Every include path the server takes on `resource`, found by asking its parser."""
    steps = {name for r in REGISTRY.values() for name in r.relationships}
    found, frontier = set(), [""]
    while frontier:
        prefix = frontier.pop()
        for step in steps:
            path = f"{prefix}.{step}" if prefix else step
            if accepts(parse_include, path, resource, error=InvalidInclude):
                found.add(path)
                frontier.append(path)
    return found


@pytest.mark.parametrize("type_name", sorted(REGISTRY))
def test_include_lists_exactly_the_paths_the_server_takes(type_name):
    taken = include_paths(REGISTRY[type_name])
    parameter = PARAMETERS.get(f"include-{type_name}")
    if parameter is None:
        assert taken == set(), f"no include-{type_name} parameter lists {sorted(taken)}"
        return
    schema = parameter["schema"]
    listed = schema["items"]["enum"] if "items" in schema else [schema["const"]]
    assert sorted(listed) == sorted(taken)


def test_no_include_parameter_names_an_unknown_type():
    named = {name.removeprefix("include-") for name in PARAMETERS if name.startswith("include-")}
    assert named <= set(REGISTRY)


def fieldsets():
    """(parameter, type, schema) of every `fields[TYPE]` the spec describes."""
    for name, parameter in PARAMETERS.items():
        if parameter["name"] == "fields":
            assert parameter["schema"].get("additionalProperties") is False, name
            for type_name, schema in parameter["schema"]["properties"].items():
                yield pytest.param(type_name, schema, id=f"{name}[{type_name}]")


@pytest.mark.parametrize(("type_name", "schema"), list(fieldsets()))
def test_a_fieldset_takes_exactly_the_type_s_fields(type_name, schema):
    assert type_name in REGISTRY
    resource = REGISTRY[type_name]
    everything = ",".join([*resource.attributes, *resource.relationships])
    for value in [*NAMES, everything, f"{everything},id", " name , "]:
        server = accepts(parse_fields, {f"fields[{type_name}]": value}, error=InvalidFields)
        assert matches(schema, value) == server, value


def sort_parameters():
    for name, parameter in PARAMETERS.items():
        if name.startswith("sort-"):
            yield pytest.param(name.removeprefix("sort-"), parameter["schema"], id=name)


@pytest.mark.parametrize(("type_name", "schema"), list(sort_parameters()))
def test_a_sort_takes_exactly_the_type_s_sort_keys(type_name, schema):
    resource = REGISTRY[type_name]
    assert schema["default"] == ",".join(resource.default_sort)
    for value in [*NAMES, *(f"-{n}" for n in NAMES), "id,-id", "id,,id", "--id"]:
        assert matches(schema, value) == accepts(parse_sort, value, resource, error=InvalidSort), (
            value
        )


def test_every_type_with_filters_beyond_id_has_its_filter_parameter():
    for type_name, resource in REGISTRY.items():
        keys = {key for key in resource.filters if "[" not in key}
        parameter = PARAMETERS.get(f"filter-{type_name}", PARAMETERS["filter"])
        assert set(parameter["schema"]["properties"]) == keys, type_name
        assert parameter["schema"]["additionalProperties"] is False


def vocabulary_filters():
    """(type, key, schema) of the filters whose spec schema is a pattern the server's
    condition alone decides (not a search, a ranking or a comparison)."""
    for type_name, resource in REGISTRY.items():
        if resource.model is None:  # built in Python, never listed: no collection to filter
            continue
        parameter = PARAMETERS.get(f"filter-{type_name}", PARAMETERS["filter"])
        for key, schema in parameter["schema"]["properties"].items():
            declared = resource.filters[key]
            if "pattern" in resolved(schema) and declared.rank is declared.bound is None:
                yield pytest.param(type_name, key, schema, id=f"{type_name}:{key}")


# Every word a filter's vocabulary holds, as written and as typed, and near misses.
WORDS = [*CONTEXTS, *PROVIDER_TYPES, *GENDERS, *AFFILIATIONS, *STATUSES, *PERIODS, "true"]
FILTER_VALUES = [
    *WORDS,
    *(w.upper() for w in WORDS),
    *(f" {w} ,, {WORDS[0]}" for w in WORDS),
    "false",
    "",
    " , ",
    "other",
    "male female",
]


@pytest.mark.parametrize(("type_name", "key", "schema"), list(vocabulary_filters()))
def test_a_filter_s_pattern_takes_exactly_the_values_the_server_reads(type_name, key, schema):
    condition = REGISTRY[type_name].filters[key].condition
    for value in FILTER_VALUES:
        assert matches(schema, value) == accepts(condition, value, error=ValueError), value


@pytest.mark.parametrize("type_name", [t for t in REGISTRY if REGISTRY[t].comparable])
def test_comparisons_take_exactly_the_operators(type_name):
    properties = PARAMETERS[f"filter-{type_name}"]["schema"]["properties"]
    for name in REGISTRY[type_name].comparable:
        compared = next(s for s in properties[name]["oneOf"] if s["type"] == "object")
        assert set(compared["properties"]) == set(OPERATORS), name


def range_of(schema_field):
    """(min, max) of a field's Range or Length validator."""
    for validator in schema_field.validators:
        if isinstance(validator, validate.Range | validate.Length):
            return validator.min, validator.max
    return None, None


def test_page_bounds_are_the_parser_s():
    schema = PARAMETERS["page"]["schema"]["properties"]
    for name, schema_field in PageArgs().fields.items():
        low, high = range_of(schema_field)
        assert (schema[name]["minimum"], schema[name]["maximum"]) == (low, high), name
        assert schema[name]["default"] == schema_field.load_default, name


def longest(resource, schema_field):
    """The most characters a string attribute may hold: its validator's, or its column's."""
    limits = [v.max for v in schema_field.validators if isinstance(v, validate.Length) and v.max]
    column = column_of(resource.model, schema_field)
    if column is not None and getattr(column.type, "length", None):
        limits.append(column.type.length)
    return min(limits, default=None)


def choices(schema_field):
    for validator in schema_field.validators:
        if isinstance(validator, validate.OneOf):
            return {*validator.choices, *([None] if schema_field.allow_none else [])}
    return None


@pytest.mark.parametrize("type_name", sorted(WRITES))
def test_write_attributes_are_the_schema_s(type_name):
    resource = REGISTRY[type_name]
    attributes_name, create_name = WRITES[type_name]
    spec = resolved(SCHEMAS[attributes_name])
    assert spec["additionalProperties"] is False
    writable = {k: f for k, f in resource.attributes.items() if not f.dump_only}
    assert set(spec["properties"]) >= set(writable)
    for key, schema_field in writable.items():
        member = resolved(spec["properties"][key])
        if choices(schema_field) is not None:  # a vocabulary: its words bound the length
            assert set(member["enum"]) == choices(schema_field), key
        elif isinstance(schema_field, fields.Str):
            assert member.get("maxLength") == longest(resource, schema_field), key
        if isinstance(schema_field, fields.Int) and range_of(schema_field) != (None, None):
            bounds = (member.get("minimum"), member.get("maximum"))
            assert bounds == range_of(schema_field), key
    if create_name:
        data = resolved(resolved(SCHEMAS[create_name])["properties"]["data"])
        required = set(resolved(data["properties"]["attributes"]).get("required", []))
        assert required == {k for k, f in writable.items() if f.required}


def test_a_new_key_s_attributes_are_the_schema_s():
    data = SCHEMAS["ApiKeyCreateDocument"]["properties"]["data"]
    spec = data["properties"]["attributes"]
    # The declared fields: an instance needs the key that makes the new one.
    declared = {f.data_key or name: f for name, f in NewKeySchema._declared_fields.items()}
    assert set(spec["properties"]) == set(declared)
    assert set(spec["required"]) == {k for k, f in declared.items() if f.required}
    assert spec["properties"]["scopes"]["items"]["enum"] == list(SCOPES)
    assert spec["properties"]["label"]["maxLength"] == range_of(declared["label"])[1]


def query_parameters(path, method):
    operation = SPEC["paths"][path][method]
    found = [
        PARAMETERS[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
        for p in operation["parameters"]
    ]
    return {p["name"]: p for p in found if p["in"] == "query"}


@pytest.mark.parametrize(
    ("path", "args"),
    [("/visit-token", VisitTokenArgs), ("/available-appointment-times", AvailabilityArgs)],
)
def test_an_endpoint_s_own_arguments_are_its_schema_s(path, args):
    parameters = query_parameters(path, "get")
    for name, schema_field in args._declared_fields.items():
        parameter = parameters[schema_field.data_key or name]
        assert parameter.get("required", False) == schema_field.required, name
        schema = parameter["schema"]
        if isinstance(schema_field, fields.List):
            assert (schema.get("minItems"), schema.get("maxItems")) == range_of(schema_field)
            schema, schema_field = schema["items"], schema_field.inner
        if isinstance(schema_field, fields.Str):
            low, high = range_of(schema_field)
            assert (schema.get("minLength"), schema.get("maxLength")) == (low or None, high), name

"""Reads are planned from the schemas alone: an attribute added to a type's schema is read,
and shown, with no other change anywhere."""

import dataclasses

import pytest
from flask import g
from marshmallow_jsonapi import fields
from sqlalchemy import bindparam, inspect, literal_column

import inquick.resources  # noqa: F401 (registers every type the app declares)
from inquick.jsonapi.document import single_document
from inquick.jsonapi.fields import Computed
from inquick.jsonapi.query import QueryParams
from inquick.jsonapi.read_plan import ReadPlan, UnreadableAttribute
from inquick.jsonapi.records import Reader
from inquick.jsonapi.resource import REGISTRY, register
from inquick.jsonapi.statements import ID
from tests.test_tenancy import populate

TABLE_TYPES = sorted(name for name, resource in REGISTRY.items() if resource.model is not None)


@pytest.fixture
def declared_again():
    """Declare a type anew and register it; the original comes back after."""
    originals = dict(REGISTRY)

    def declare(resource, schema_class):
        declared = dataclasses.replace(resource, schema_class=schema_class)
        register(declared)
        return declared

    yield declare
    REGISTRY.clear()
    REGISTRY.update(originals)


def with_probes(resource):
    """The type's schema with two attributes more: a plain column and computed SQL."""
    key = inspect(resource.model).primary_key[0]
    probes = {
        "probe_column": fields.Raw(attribute=key.key, dump_only=True),
        "probe_sql": Computed(literal_column("6 * 7"), convert=lambda value: f"{value}!"),
    }
    return type("ProbedSchema", (resource.schema_class,), probes)


@pytest.mark.parametrize("type_name", TABLE_TYPES)
def test_an_attribute_added_to_a_schema_is_read_and_shown(
    app, session, tenant, declared_again, type_name
):
    catalog = populate(tenant, "Probe")
    resource = REGISTRY[type_name]
    probed = declared_again(resource, with_probes(resource))
    object_id = catalog.published[type_name][0]
    with app.test_request_context(f"/api/v3/tenant-a.example.org/{type_name}/{object_id}"):
        g.tenant, g.api_root = tenant, "http://localhost/api/v3/tenant-a.example.org"
        where = lambda: probed.id_column() == bindparam(ID)  # noqa: E731
        record = Reader({}).one(probed, "id", where, {ID: probed.parse_id(object_id)})
        document = single_document(record, QueryParams())
    attributes = document["data"]["attributes"]
    assert attributes["probe-sql"] == "42!"
    assert str(attributes["probe-column"]) == str(record.key)
    # Everything the original declaration shows is still shown, in the schema's order.
    assert list(attributes)[: len(resource.attributes)] == list(resource.attributes)


def test_declaring_a_type_leaves_the_served_one_registered():
    served = REGISTRY["services"]
    dataclasses.replace(served, schema_class=served.schema_class)
    assert REGISTRY["services"] is served


def test_an_attribute_that_is_neither_a_column_nor_computed_is_refused_at_once(
    declared_again,
):
    resource = REGISTRY["services"]
    schema = type("Unreadable", (resource.schema_class,), {"loose": fields.Str(attribute="nope")})
    with pytest.raises(UnreadableAttribute, match=r"services\.loose"):
        ReadPlan(declared_again(resource, schema))

"""The values spec/openapi.yaml offers a FHIR client are the ones the server takes: a
client (or a fuzzer) generating from the spec is not refused for what the spec allows."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from inquick.fhir.moments import read_criterion
from inquick.fhir.search import parse_search
from tests.conftest import CONFORMANCE
from tests.fhir.conftest import HOST

PARAMETERS = CONFORMANCE.spec["components"]["parameters"]
SCHEMAS = CONFORMANCE.spec["components"]["schemas"]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


def test_every_format_the_spec_offers_is_served(fhir, world):
    formats = PARAMETERS["FhirFormat"]["schema"]["enum"]
    assert "json" in formats
    for value in formats:
        assert fhir.get("/Location/portland", {"_format": value}).status_code == 200, value
    for media_type in (f for f in formats if "/" in f):
        response = fhir.get("/Location/portland", headers={"Accept": media_type})
        assert response.status_code == 200, media_type


def date_parameters():
    """(path, name) of every FHIR query parameter holding a date search value."""
    for path, item in CONFORMANCE.spec["paths"].items():
        for parameter in item.get("get", {}).get("parameters", []):
            if "(FHIR date)" in parameter.get("description", ""):
                yield path, parameter


@pytest.mark.parametrize("parameter", [p for _, p in date_parameters()], ids=lambda p: p["name"])
def test_date_parameters_are_described_as_date_search_values(parameter):
    assert parameter["schema"] == {"$ref": "#/components/schemas/FhirDateSearch"}


@FUZZ
@given(st.from_regex(SCHEMAS["FhirDateSearch"]["pattern"], fullmatch=True))
def test_every_date_value_the_spec_allows_is_read(value):
    read_criterion(value)


@FUZZ
@given(st.from_regex(PARAMETERS["FhirPage"]["schema"]["pattern"], fullmatch=True))
def test_every_page_the_spec_allows_is_taken(value):
    assert parse_search(MultiDict({"_page": value}), ()).page == int(value)


def test_the_file_names_pattern_is_the_manifests(client, session, tenant, world):
    tenant.publishes_slots = True
    session.flush()
    operation = CONFORMANCE.spec["paths"]["/fhir/r4/{partner_hostname}/$bulk-publish/{file_name}"]
    [parameter] = [p for p in operation["get"]["parameters"] if p.get("name") == "file_name"]
    manifest = client.get(f"/fhir/r4/{HOST}/$bulk-publish").json
    for output in manifest["output"]:
        name = output["url"].split("?")[0].rsplit("/", 1)[1]
        assert re.fullmatch(parameter["schema"]["pattern"], name), name

"""The CapabilityStatement lists exactly what is served: the routes, every search
parameter a search takes and no other, its includes; the spec describes the same."""

import pytest

from tests.conftest import CONFORMANCE
from tests.fhir.conftest import HOST, link

PREFIX = "/fhir/r4/<partner_hostname>/"
# A value each parameter type takes, for a request that must not be refused for its name.
SAMPLE = {"token": "x", "date": "ge2026-01-01", "reference": "Schedule/x", "string": "x",
          "special": "43.6|-70.2|10|km", "number": "5"}  # fmt: skip
# Tokens from a closed list of codes.
CODES = {("Appointment", "status"): "booked", ("Slot", "status"): "free"}


@pytest.fixture
def statement(client, world):
    response = client.get(f"/fhir/r4/{HOST}/metadata")  # no key
    assert response.status_code == 200
    return response.json


def served_paths(app):
    return {
        rule.rule.removeprefix(PREFIX).split("/")[0]
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(PREFIX) and not rule.rule.endswith(("/metadata", "/_search"))
    }


def served_types(app):
    """The resource types served (operations, `$name`, are listed apart)."""
    found = served_paths(app)
    assert {path for path in found if path.startswith("$")} == {"$bulk-publish"}
    return {path for path in found if not path.startswith("$")}


def test_it_lists_the_served_types_and_their_interactions(app, statement):
    [rest] = statement["rest"]
    listed = {entry["type"]: entry for entry in rest["resource"]}
    assert set(listed) == served_types(app)
    for entry in listed.values():
        assert entry["interaction"] == [{"code": "read"}, {"code": "search-type"}]
    assert statement["implementation"]["url"] == f"http://localhost/fhir/r4/{HOST}"
    assert statement["fhirVersion"] == "4.0.1"


def test_every_listed_parameter_is_taken_and_no_other(fhir, statement):
    for entry in statement["rest"][0]["resource"]:
        kind = entry["type"]
        for parameter in entry["searchParam"]:
            value = CODES.get((kind, parameter["name"]), SAMPLE[parameter["type"]])
            query = {parameter["name"]: value}
            if kind == "Slot" and parameter["name"] not in ("schedule", "_id"):
                query["schedule"] = "Schedule/x"
            response = fhir.get(f"/{kind}", query)
            assert response.status_code == 200, (kind, parameter, response.json)
        for include in entry.get("searchInclude", []):
            query = {"_include": include, **({"schedule": "x"} if kind == "Slot" else {})}
            assert fhir.get(f"/{kind}", query).status_code == 200, (kind, include)
        refused = fhir.get(f"/{kind}", {"_sort": "name"})
        assert refused.status_code == 400, kind
        assert refused.json["issue"][0]["expression"] == ["_sort"]
        assert fhir.get(f"/{kind}", {"_include": f"{kind}:nothing"}).status_code == 400


def test_lenient_handling_ignores_what_is_not_taken(fhir, world):
    response = fhir.get(
        "/Location",
        [("_sort", "name"), ("address-state", "ME"), ("_include", "Location:x")],
        headers={"Prefer": "handling=lenient"},
    )
    assert response.status_code == 200
    assert [e["resource"]["id"] for e in response.json["entry"]] == ["portland"]
    # The self link says what the search did.
    assert link(response.json, "self").endswith("/Location?address-state=ME")
    strict = fhir.get("/Location/portland", {"_elements": "name"})
    assert strict.status_code == 400
    lenient = fhir.get("/Location/portland", {"_elements": "name"},
                       headers={"Prefer": "return=minimal; handling=lenient"})  # fmt: skip
    assert lenient.status_code == 200


def test_the_spec_describes_the_same_parameters(statement):
    paths = CONFORMANCE.spec["paths"]
    for entry in statement["rest"][0]["resource"]:
        operation = paths[f"/fhir/r4/{{partner_hostname}}/{entry['type']}"]["get"]
        documented = set()
        for parameter in operation["parameters"]:
            if "$ref" in parameter:
                parameter = CONFORMANCE.resolve(parameter["$ref"].removeprefix("#"))
            if parameter["in"] == "query":
                documented.add(parameter["name"])
        listed = {p["name"] for p in entry["searchParam"]}
        assert documented == listed | {"_format", "_page"} | (
            {"_include"} if entry.get("searchInclude") else set()
        ), entry["type"]


@pytest.mark.parametrize(
    ("query", "headers", "status"),
    [
        ({}, {}, 200),
        ({"_format": "json"}, {}, 200),
        ({"_format": "application/fhir+json"}, {"Accept": "application/fhir+xml"}, 200),
        ({}, {"Accept": "application/json"}, 200),
        ({}, {"Accept": "text/html,*/*;q=0.8"}, 200),
        ({}, {"Accept": "application/fhir+json; fhirVersion=4.0"}, 200),
        ({}, {"Accept": "application/fhir+json; charset=utf-8"}, 200),
        ({}, {"Accept": "application/fhir+json; fhirVersion=4.0; q=0"}, 406),
        ({"_format": "xml"}, {}, 406),
        ({"_format": "application/fhir+xml"}, {}, 406),
        ({}, {"Accept": "application/fhir+xml"}, 406),
    ],
)
def test_format_and_accept(fhir, world, query, headers, status):
    response = fhir.get("/Location/portland", query, headers)
    assert response.status_code == status
    assert response.mimetype == "application/fhir+json"
    assert response.json["resourceType"] == ("Location" if status == 200 else "OperationOutcome")


@pytest.mark.parametrize(
    "query",
    [{"mode": "full"}, {"mode": "normative"}, {"_summary": "false"}, {"_summary": "data"},
     {"mode": "full", "_summary": "false"}],
)  # fmt: skip
def test_metadata_takes_the_modes_and_summaries_fhir_clients_send(client, statement, query):
    response = client.get(f"/fhir/r4/{HOST}/metadata", query_string=query)
    assert response.status_code == 200, response.json
    assert response.json == statement


def test_metadata_summary_is_the_summary_elements_tagged_as_a_subset(client, statement):
    response = client.get(f"/fhir/r4/{HOST}/metadata", query_string={"_summary": "true"})
    assert response.status_code == 200
    summary = response.json
    assert summary["meta"]["tag"] == [
        {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED"}
    ]
    assert {k: v for k, v in summary.items() if k not in ("meta", "rest")} == {
        k: v for k, v in statement.items() if k != "rest"
    }
    [rest] = summary["rest"]
    assert rest == {
        "mode": "server",
        "resource": [{"type": r["type"]} for r in statement["rest"][0]["resource"]],
    }


@pytest.mark.parametrize(
    "query",
    [{"mode": "terminology"}, {"mode": "everything"}, {"_summary": "count"},
     {"_summary": "text"}, {"_summary": "true,false"}, [("mode", "full"), ("mode", "normative")]],
)  # fmt: skip
def test_metadata_refuses_what_it_does_not_serve_unless_lenient(client, statement, query):
    url = f"/fhir/r4/{HOST}/metadata"
    refused = client.get(url, query_string=query)
    assert refused.status_code == 400
    [issue] = refused.json["issue"]
    assert issue["expression"] in (["mode"], ["_summary"])
    lenient = client.get(url, query_string=query, headers={"Prefer": "handling=lenient"})
    assert lenient.status_code == 200
    assert lenient.json == statement

"""`POST [type]/_search`: FHIR's search with a form body, the same as the GET of its
parameters; and failures outside the views, answered as OperationOutcomes too."""

import pytest

from tests.conftest import make_key
from tests.fhir.conftest import FHIR_JSON, HOST, link, matches

FORM = "application/x-www-form-urlencoded"


def post_search(fhir, kind, body, query=None, headers=None):
    return fhir.client.post(
        f"{fhir.base}/{kind}/_search",
        query_string=query,
        data=body,
        headers={"Authorization": fhir.secret, **(headers or {})},
    )


def test_a_form_search_is_the_get_of_its_parameters(fhir, world):
    searched = post_search(fhir, "Location", {"address-state": "c,m", "_count": "1"})
    assert searched.headers["Content-Type"] == FHIR_JSON
    got = fhir.get("/Location", {"address-state": "c,m", "_count": "1"})
    assert searched.json == got.json
    assert [r["id"] for r in matches(searched)] == ["denver"]
    assert link(searched.json, "self").endswith("/Location?address-state=c%2Cm&_count=1")
    following = fhir.follow(link(searched.json, "next"))
    assert [r["id"] for r in matches(following)] == ["portland"]


def test_the_query_and_the_body_are_searched_together(fhir, world):
    schedule = world["schedules"]["ruiz-portland"]
    searched = post_search(fhir, "Slot", {"status": "free"}, {"schedule": schedule.id})
    got = fhir.get("/Slot", [("schedule", schedule.id), ("status", "free")])
    assert searched.json["total"] == got.json["total"] > 0
    assert matches(searched) == matches(got)
    both = post_search(fhir, "Location", {"address-state": "ME"}, {"address-state": "CO"})
    assert matches(both) == []  # a repeated parameter: both must hold


def test_a_form_search_takes_the_types_scope(client, session, tenant, world):
    secret = make_key(session, tenant, scopes=["availability:read"])
    for kind in ("Location", "Appointment"):
        refused = client.post(
            f"/fhir/r4/{HOST}/{kind}/_search", data={}, headers={"Authorization": secret}
        )
        assert refused.status_code == 403
        assert refused.json["issue"][0]["code"] == "forbidden"


def test_a_form_search_is_the_callers_health_systems(client, session, other_tenant, world):
    secret = make_key(session, other_tenant, scopes=["catalog:read"])
    refused = client.post(
        f"/fhir/r4/{HOST}/Location/_search", data={}, headers={"Authorization": secret}
    )
    assert refused.status_code == 401
    assert refused.json["issue"][0]["code"] == "login"


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ('{"address-state": "ME"}', "application/json", 415),
        ("address-state=ME", "text/plain", 415),
        ("_format=xml", FORM, 406),
        ("_sort=name", FORM, 400),
        ("", None, 200),
    ],
)
def test_a_form_search_refuses_what_a_get_would(fhir, world, body, content_type, status):
    response = fhir.client.post(
        f"{fhir.base}/Location/_search",
        data=body,
        content_type=content_type,
        headers={"Authorization": fhir.secret},
    )
    assert response.status_code == status, response.json
    assert response.mimetype == FHIR_JSON


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("POST", "/Patient/_search", {}, 404),
        ("GET", "/Patient", {}, 404),
        ("GET", "/Location/portland/extra", {}, 404),
        ("DELETE", "/Location/portland", {}, 405),
        ("PUT", "/Location/_search", {}, 405),
        ("GET", "/Location", {"Accept": "application/vnd.api+json; ext=x"}, 406),
        ("POST", "/Location/_search", {"Content-Type": "application/vnd.api+json"}, 415),
    ],
)
def test_failures_on_fhir_urls_are_operation_outcomes(fhir, world, method, path, headers, status):
    response = fhir.client.open(
        f"{fhir.base}{path}",
        method=method,
        data="{}" if "Content-Type" in headers else None,
        headers={"Authorization": fhir.secret, **headers},
    )
    assert response.status_code == status
    assert response.mimetype == FHIR_JSON
    [issue] = response.json["issue"]
    assert "vnd.api" not in issue["diagnostics"]  # FHIR's own words, not JSON:API's

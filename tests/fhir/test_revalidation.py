"""The FHIR catalog reads carry an ETag and answer 304, as the JSON:API's catalog reads do;
availability and patient data never do."""

import re

import pytest

from inquick.fhir import types
from tests.conftest import CONFORMANCE

GETS = {
    path: item["get"]
    for path, item in CONFORMANCE.spec["paths"].items()
    if path.startswith("/fhir/") and "get" in item
}
REVALIDATED = sorted(path for path, operation in GETS.items() if "304" in operation["responses"])


def test_the_catalog_reads_and_only_they_are_revalidated():
    catalog = sorted(p for p, o in GETS.items() if o.get("x-required-scopes") == ["catalog:read"])
    assert catalog == REVALIDATED
    assert len(REVALIDATED) == 10


def concrete(path, world):
    ids = {"Location": "portland", "Practitioner": "dr-ruiz", "HealthcareService": "primary-care",
           "Schedule": world["schedules"]["ruiz-portland"].id,
           "PractitionerRole": world["schedules"]["ruiz-portland"].id}  # fmt: skip
    kind = path.split("/")[4]
    return re.sub(r"\{id\}", ids[kind], path).replace("/fhir/r4/{partner_hostname}", "")


@pytest.mark.parametrize("path", REVALIDATED)
def test_a_documented_304_is_answered(fhir, world, path):
    url = concrete(path, world)
    first = fhir.get(url)
    assert first.status_code == 200
    tag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache, public"
    again = fhir.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b""
    world["locations"][0].name = "Portland Clinic, renamed"  # a change of the catalog
    assert fhir.get(url, headers={"If-None-Match": tag}).status_code == 200


def test_slots_and_appointments_carry_no_etag(fhir, world):
    schedule = world["schedules"]["ruiz-portland"]
    assert "ETag" not in fhir.get("/Slot", {"schedule": schedule.id}).headers
    assert "ETag" not in fhir.get("/Appointment").headers


def test_a_schedules_documents_change_each_quarter_hour(fhir, world, monkeypatch):
    url = f"/Schedule/{world['schedules']['ruiz-portland'].id}"
    tag = fhir.get(url).headers["ETag"]
    assert fhir.get(url, headers={"If-None-Match": tag}).status_code == 304
    later = types.quarter_hour

    monkeypatch.setattr(types, "quarter_hour", lambda now: later(now).replace(year=2099))
    assert fhir.get(url, headers={"If-None-Match": tag}).status_code == 200

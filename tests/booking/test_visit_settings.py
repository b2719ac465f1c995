"""GET /visit-settings/{schedule_id}: the document a partner builds its booking form from.

That the server enforces exactly these rules, for any patient, is the property of
`test_rules_agreement.py`; here: the document itself, and one enforcement example each.
"""

import pytest

from inquick.booking.emergency import DESCRIPTION as SCREENING_DESCRIPTION
from inquick.models import VisitSettings, VisitValidation
from tests import factories
from tests.booking.conftest import open_every_day, post_visit, visit_body
from tests.conftest import Api, make_key

ROOT = "http://localhost/api/v3/tenant-a.example.org"
# The reference's visit attributes, in its order (contract section 5).
ALL_ATTRIBUTES = [
    "address", "address-2", "appointment-at", "appointment-type", "birthdate",
    "caregiver-name", "city", "comments", "email", "first-name", "gender", "has-physician",
    "insurance-group-number", "insurance-member-number", "insurance-plan-name",
    "insurance-plan-permalink", "insurance-plan-phone-number", "last-name", "middle-initial",
    "new-patient", "optin", "patient-complaint", "phone-number", "pregnant",
    "primary-care-physician", "referer", "remote-uid", "requires-standing-assistance",
    "requires-translator", "state", "translator-language", "url", "user-agent",
    "weeks-pregnant", "zip",
]  # fmt: skip
REQUIRED = [
    "appointment-at", "birthdate", "email", "first-name", "gender", "last-name",
    "new-patient", "phone-number",
]  # fmt: skip

CHOSEN_FIELDS = ["zip", "patient-complaint", "caregiver-name"]


def settings_document(api, schedule):
    response = api.get(f"/visit-settings/{schedule.id}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/vnd.api+json"
    return response.json


def rules_in(document):
    """The included validations, in the order the relationship lists them."""
    by_identity = {(r["type"], r["id"]): r for r in document["included"]}
    linkage = document["data"]["relationships"]["validations"]["data"]
    return [by_identity[(item["type"], item["id"])] for item in linkage]


def find_rule(document, kind, attributes, condition=None):
    """The one reported rule of `kind` on exactly `attributes` (in any order)."""
    found = [
        rule["attributes"]
        for rule in rules_in(document)
        if rule["attributes"]["kind"] == kind
        and sorted(rule["attributes"]["attributes"]) == sorted(attributes)
        and rule["attributes"]["if"] == condition
    ]
    assert len(found) == 1, (kind, attributes, [r["attributes"] for r in rules_in(document)])
    return found[0]


@pytest.fixture
def configured(session, schedule):
    """The schedule with a settings row and one stored validation."""
    schedule.visit_settings = VisitSettings(
        enabled_fields=[*CHOSEN_FIELDS, "no-such-field"],
        patient_instructions="Bring a photo ID.",
        preregistration_form="https://forms.example.org/pre",
        screening_questions="https://forms.example.org/screen",
        emergency_keywords=["chest pain", "shortness of breath"],
    )
    schedule.visit_validations.append(
        VisitValidation(
            kind="format",
            attributes=["zip"],
            options={"with": "[0-9]{5}"},
            message="must be five digits",
        )
    )
    session.flush()
    return schedule


def test_the_whole_document(booking_api, configured):
    document = settings_document(booking_api, configured)
    url = f"{ROOT}/visit-settings/{configured.id}"
    included = document.pop("included")
    linkage = document["data"]["relationships"]["validations"].pop("data")
    assert document == {
        "jsonapi": {"version": "1.1"},
        "links": {"self": url},
        "data": {
            "type": "visit-settings",
            "id": configured.id,
            "attributes": {
                # The stored choice, with every field a presence rule may demand added
                # (conditional ones too), in the reference's order; a stored name that is
                # no visit attribute is not reported.
                "enabled-fields": [
                    name
                    for name in ALL_ATTRIBUTES
                    if name
                    in {
                        *REQUIRED,
                        "appointment-type",
                        "caregiver-name",
                        "weeks-pregnant",
                        *CHOSEN_FIELDS,
                    }
                ],
                "patient-instructions": "Bring a photo ID.",
                "preregistration-form": "https://forms.example.org/pre",
                "screening-questions": "https://forms.example.org/screen",
                "emergency-keywords": ["chest pain", "shortness of breath"],
                "emergency-screening": {
                    "members": ["comments", "patient-complaint"],
                    "normalization": [
                        "nfkc",
                        "casefold",
                        "strip-marks",
                        "ascii-digits",
                        "letters-and-digits-only",
                    ],
                    "match": "contains",
                    "characters-screened": 8000,
                    "description": SCREENING_DESCRIPTION,
                },
            },
            "relationships": {"validations": {}},
            "links": {"self": url},
        },
    }
    # Every validation is included, once, and every included resource is linked.
    assert [{"type": r["type"], "id": r["id"]} for r in included] == linkage
    assert len({item["id"] for item in linkage}) == len(linkage) >= 12
    for rule in included:
        assert rule["type"] == "validations"
        assert set(rule["attributes"]) == {"kind", "attributes", "options", "if", "message"}
        assert rule["attributes"]["kind"] in {
            "acceptance", "birthdate", "email", "format", "inclusion", "length",
            "numericality", "presence", "phone",
        }  # fmt: skip
        assert rule["attributes"]["attributes"]
        assert set(rule["attributes"]["attributes"]) <= set(ALL_ATTRIBUTES)


def test_every_link_in_the_document_answers(booking_api, configured):
    document = settings_document(booking_api, configured)

    def links(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "links":
                    yield from (v if isinstance(v, str) else v["href"] for v in value.values())
                else:
                    yield from links(value)
        elif isinstance(node, list):
            for item in node:
                yield from links(item)

    found = set(links(document))
    assert f"{ROOT}/visit-settings/{configured.id}" in found
    for url in found:
        response = booking_api.get(url.removeprefix(ROOT))
        assert response.status_code == 200, (url, response.status_code)


@pytest.mark.parametrize(
    ("direction", "threshold", "options"),
    [
        (None, None, {}),
        ("older", 18, {"minimum-age": 18}),
        ("younger", 18, {"maximum-age": 17}),
    ],
)
def test_the_built_in_rules(booking_api, tenant, physical, schedule, direction, threshold, options):
    checkup = factories.AppointmentTypeFactory(health_system=tenant, slug="checkup", priority=1)
    schedule.appointment_types.append(checkup)
    schedule.age_limit_direction, schedule.age_limit_threshold = direction, threshold
    document = settings_document(booking_api, schedule)

    assert find_rule(document, "presence", REQUIRED)["options"] == {}
    assert find_rule(document, "email", ["email"])["options"] == {}
    assert find_rule(document, "phone", ["phone-number"])["options"] == {}
    gender = find_rule(document, "inclusion", ["gender"])["options"]
    assert sorted(gender["in"]) == ["female", "male"]
    new_patient = find_rule(document, "inclusion", ["new-patient"])["options"]
    assert sorted(new_patient["in"]) == ["no", "yes"]
    assert find_rule(document, "birthdate", ["birthdate"])["options"] == options
    child = {"attribute": "birthdate", "age-at-most": 13}
    assert find_rule(document, "presence", ["caregiver-name"], child)["message"]
    pregnant = {"attribute": "pregnant", "in": ["yes"]}
    find_rule(document, "presence", ["weeks-pregnant"], pregnant)
    find_rule(document, "presence", ["appointment-type"])
    offered = find_rule(document, "inclusion", ["appointment-type"])["options"]
    assert sorted(offered["in"]) == ["annual-physical", "checkup"]


def test_a_schedule_without_types_does_not_ask_for_one(booking_api, tenant):
    untyped = factories.ScheduleFactory(health_system=tenant, weekly_windows=open_every_day())
    document = settings_document(booking_api, untyped)
    rules = [r["attributes"] for r in rules_in(document)]
    assert not [r for r in rules if "appointment-type" in r["attributes"]]
    assert find_rule(document, "presence", REQUIRED)


def test_a_stored_validation_appears_with_its_id_and_url(booking_api, configured):
    """A schedule's own rule has a URL serving the same resource object; built-in ones none."""
    [stored] = configured.visit_validations
    document = settings_document(booking_api, configured)
    [reported] = [r for r in rules_in(document) if r["id"] == stored.id]
    url = f"http://localhost{booking_api.url(f'/validations/{stored.id}')}"
    assert reported == {
        "type": "validations",
        "id": stored.id,
        "attributes": {
            "kind": "format",
            "attributes": ["zip"],
            "options": {"with": "[0-9]{5}"},
            "if": None,
            "message": "must be five digits",
        },
        "links": {"self": url},
    }
    assert booking_api.get(f"/validations/{stored.id}").json["data"] == reported
    built_in = [r for r in rules_in(document) if r["id"] != stored.id]
    assert built_in and all("links" not in r for r in built_in)


def test_ids_are_stable_and_each_names_one_rule(booking_api, tenant, configured):
    other_type = factories.AppointmentTypeFactory(health_system=tenant, slug="consult")
    other = factories.ScheduleFactory(
        health_system=tenant, weekly_windows=open_every_day(), appointment_types=[other_type]
    )
    first = settings_document(booking_api, configured)
    again = settings_document(booking_api, configured)
    assert first == again
    # A client caches resources by type and id: two schedules' rules that differ (their
    # appointment types do) must not share an id.
    theirs = {r["id"]: r for r in settings_document(booking_api, other)["included"]}
    for rule in first["included"]:
        if rule["id"] in theirs:
            assert theirs[rule["id"]] == rule


def test_a_schedule_without_settings_enables_everything(booking_api, schedule):
    attributes = settings_document(booking_api, schedule)["data"]["attributes"]
    assert attributes.pop("emergency-screening")["members"] == ["comments", "patient-complaint"]
    assert attributes == {
        "enabled-fields": ALL_ATTRIBUTES,
        "patient-instructions": None,
        "preregistration-form": None,
        "screening-questions": None,
        "emergency-keywords": [],
    }


def test_unknown_inactive_and_foreign_schedules_are_not_found(
    booking_api, tenant, other_tenant, schedule
):
    inactive = factories.ScheduleFactory(health_system=tenant, active=False)
    theirs = factories.ScheduleFactory(health_system=other_tenant)
    for schedule_id in ("no-such-schedule", inactive.id, theirs.id):
        response = booking_api.get(f"/visit-settings/{schedule_id}")
        assert response.status_code == 404, schedule_id
        assert response.json["errors"][0]["code"] == "not-found"


def test_the_catalog_scope_is_required(client, session, tenant, schedule):
    secret = make_key(session, tenant, scopes=["availability:read", "visits:create"])
    response = Api(client, "tenant-a.example.org", secret).get(f"/visit-settings/{schedule.id}")
    assert response.status_code == 403
    assert response.json["errors"][0]["code"] == "forbidden"


def test_a_booking_meets_a_stored_format_rule(booking_api, configured, slot, token_for):
    body = visit_body(configured, slot, zip="4101")
    response = post_visit(booking_api, token_for(slot), body)
    assert response.status_code == 422
    [error] = response.json["errors"]
    assert error["source"] == {"pointer": "/data/attributes/zip"}
    assert "five digits" in error["detail"]
    body = visit_body(configured, slot, zip="04101")
    assert post_visit(booking_api, token_for(slot), body).status_code == 201


def test_a_booking_may_not_carry_an_attribute_the_schedule_does_not_collect(
    booking_api, configured, slot, token_for
):
    body = visit_body(configured, slot, city="Portland")
    response = post_visit(booking_api, token_for(slot), body)
    assert response.status_code == 422
    [error] = response.json["errors"]
    assert error["source"] == {"pointer": "/data/attributes/city"}
    assert "Portland" not in response.get_data(as_text=True)
    configured.visit_settings.enabled_fields = [*configured.visit_settings.enabled_fields, "city"]
    assert post_visit(booking_api, token_for(slot), body).status_code == 201

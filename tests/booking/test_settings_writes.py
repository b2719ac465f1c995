"""Writing a schedule's booking form: PATCH /visit-settings/{id}, and /validations.

What a write stores is what GET reports and what POST /visits enforces from the next booking
on; a malformed write is refused with a pointer at what is wrong, and stores nothing.
"""

import uuid

import pytest
from sqlalchemy import func, select

from inquick.booking.visit_rules import ATTRIBUTES, REQUIRED
from inquick.models import VisitSettings, VisitValidation
from tests import factories
from tests.booking.conftest import post_visit, visit_body
from tests.conftest import Api, make_key

ROOT = "http://localhost/api/v3/tenant-a.example.org"
# Asked whatever a schedule chooses: the required fields, and those a conditional presence
# rule (caregiver-name, weeks-pregnant) or the schedule's appointment types may demand.
ALWAYS_ENABLED = {*REQUIRED, "appointment-type", "caregiver-name", "weeks-pregnant"}
SETTINGS = {
    "enabled-fields": ["zip", "patient-complaint"],
    "patient-instructions": "Bring a photo ID.",
    "preregistration-form": "https://forms.example.org/pre",
    "screening-questions": "https://forms.example.org/screen",
    "emergency-keywords": ["chest pain", "shortness of breath"],
}
# A key that may change visits but not the catalog.
WITHOUT_CATALOG_WRITE = ["catalog:read", "availability:read", "visits:create", "visits:write"]
FIVE_DIGITS = {
    "kind": "format",
    "attributes": ["zip"],
    "options": {"with": "[0-9]{5}"},
    "message": "must be five digits",
}


def send(session, api, method, path, body=None):
    """A request, served in a session of its own (tests/conftest.py commits the test's rows
    to a savepoint first, and the request's app context ends its session)."""
    return api.send(method, path, body)


def pointers(response):
    return {error["source"].get("pointer") for error in response.json["errors"]}


def enabled(chosen):
    """The enabled-fields reported for a stored choice: it, plus what is always asked."""
    return [name for name in ATTRIBUTES if name in chosen or name in ALWAYS_ENABLED]


# --- visit-settings ---------------------------------------------------------------------------


def settings_change(schedule_id, attributes, **members):
    """A PATCH /visit-settings/{id} document."""
    data = {"type": "visit-settings", "id": schedule_id, "attributes": attributes, **members}
    return {"data": data}


def stored_settings(session, schedule_id):
    """The stored settings row as a tuple, or None when the schedule has none."""
    row = session.scalar(select(VisitSettings).where(VisitSettings.schedule_id == schedule_id))
    if row is None:
        return None
    session.refresh(row)
    return (
        row.enabled_fields,
        row.patient_instructions,
        row.preregistration_form,
        row.screening_questions,
        row.emergency_keywords,
    )


@pytest.fixture
def configured(session, schedule):
    """The schedule with a settings row of its own."""
    schedule.visit_settings = VisitSettings(
        enabled_fields=["city"],
        patient_instructions="Arrive early.",
        preregistration_form="https://old.example.org/pre",
        screening_questions=None,
        emergency_keywords=["stroke"],
    )
    session.flush()
    return schedule


@pytest.mark.parametrize("had_settings", [False, True], ids=["without-a-row", "with-a-row"])
def test_a_patch_writes_every_attribute_and_get_shows_it(
    request, session, writer, schedule, had_settings
):
    if had_settings:
        request.getfixturevalue("configured")
    path = f"/visit-settings/{schedule.id}"

    response = send(session, writer, "PATCH", path, settings_change(schedule.id, SETTINGS))

    assert response.status_code == 200, response.json
    expected = {**SETTINGS, "enabled-fields": enabled(SETTINGS["enabled-fields"])}
    shown_attributes = dict(response.json["data"]["attributes"])
    assert shown_attributes.pop("emergency-screening")["match"] == "contains"  # read only
    assert shown_attributes == expected
    shown = writer.get(path)
    assert shown.status_code == 200
    assert shown.json == response.json  # the answer is the document GET serves
    assert stored_settings(session, schedule.id) == tuple(SETTINGS.values())


def test_a_patch_changes_only_what_it_sends(session, writer, configured):
    before = stored_settings(session, configured.id)
    change = settings_change(configured.id, {"patient-instructions": "Bring your card."})

    response = send(session, writer, "PATCH", f"/visit-settings/{configured.id}", change)

    assert response.status_code == 200, response.json
    assert stored_settings(session, configured.id) == (before[0], "Bring your card.", *before[2:])


def test_null_clears_a_choice(session, writer, configured):
    change = settings_change(
        configured.id,
        {"enabled-fields": None, "patient-instructions": None, "preregistration-form": None},
    )

    response = send(session, writer, "PATCH", f"/visit-settings/{configured.id}", change)

    assert response.status_code == 200, response.json
    attributes = response.json["data"]["attributes"]
    assert attributes["enabled-fields"] == list(ATTRIBUTES)  # no choice: every attribute
    assert attributes["patient-instructions"] is None
    assert attributes["preregistration-form"] is None
    assert attributes["emergency-keywords"] == ["stroke"]


@pytest.mark.parametrize(
    ("case", "status", "pointer"),
    [
        ("another-id", 409, "/data/id"),
        ("no-id", 400, "/data/id"),
        ("another-type", 409, "/data/type"),
        ("relationships", 403, "/data/relationships"),
        ("unknown-attribute", 422, "/data/attributes/colour"),
        ("not-a-url", 422, "/data/attributes/preregistration-form"),
        ("not-a-web-url", 422, "/data/attributes/screening-questions"),
        ("unknown-field", 422, "/data/attributes/enabled-fields"),
        ("fields-not-a-list", 422, "/data/attributes/enabled-fields"),
        ("blank-keyword", 422, "/data/attributes/emergency-keywords"),
        ("null-keywords", 422, "/data/attributes/emergency-keywords"),
        ("long-instructions", 422, "/data/attributes/patient-instructions"),
    ],
)
@pytest.mark.parametrize("had_settings", [False, True], ids=["without-a-row", "with-a-row"])
def test_a_malformed_patch_changes_nothing(
    request, session, writer, schedule, had_settings, case, status, pointer
):
    """Each document is refused with one error pointing at what is wrong (with or without
    a stored row before), and the stored settings are as they were."""
    if had_settings:
        request.getfixturevalue("configured")
    before = stored_settings(session, schedule.id)
    good = {"patient-instructions": "changed"}
    body = {
        "another-id": settings_change(str(uuid.uuid4()), good),
        "no-id": {"data": {"type": "visit-settings", "attributes": good}},
        "another-type": {"data": {"type": "schedules", "id": schedule.id, "attributes": good}},
        "relationships": settings_change(
            schedule.id, good, relationships={"validations": {"data": []}}
        ),
        "unknown-attribute": settings_change(schedule.id, {**good, "colour": "red"}),
        "not-a-url": settings_change(schedule.id, {"preregistration-form": "forms here"}),
        "not-a-web-url": settings_change(
            schedule.id, {"screening-questions": "ftp://forms.example.org/screen"}
        ),
        "unknown-field": settings_change(schedule.id, {"enabled-fields": ["zip", "shoe-size"]}),
        "fields-not-a-list": settings_change(schedule.id, {"enabled-fields": "zip"}),
        "blank-keyword": settings_change(schedule.id, {"emergency-keywords": ["stroke", "  "]}),
        "null-keywords": settings_change(schedule.id, {"emergency-keywords": None}),
        "long-instructions": settings_change(schedule.id, {"patient-instructions": "x" * 5001}),
    }[case]

    response = send(session, writer, "PATCH", f"/visit-settings/{schedule.id}", body)

    assert response.status_code == status, response.json
    [error] = response.json["errors"]
    assert (error["status"], error["source"]) == (str(status), {"pointer": pointer})
    assert stored_settings(session, schedule.id) == before


def test_an_unknown_field_name_is_the_documented_error(session, writer, schedule):
    change = settings_change(schedule.id, {"enabled-fields": ["zip", "shoe-size"]})
    response = send(session, writer, "PATCH", f"/visit-settings/{schedule.id}", change)
    [error] = response.json["errors"]
    assert {k: v for k, v in error.items() if k != "detail"} == {
        "status": "422",
        "code": "unprocessable",
        "title": "Unprocessable entity",
        "source": {"pointer": "/data/attributes/enabled-fields"},
    }
    assert error["detail"].startswith("enabled-fields: item 1: ")


@pytest.mark.parametrize("which", ["unknown", "other-system", "withdrawn"])
def test_settings_of_a_schedule_out_of_reach_are_404(session, writer, tenant, other_tenant, which):
    schedule = {
        "unknown": None,
        "other-system": factories.ScheduleFactory(health_system=other_tenant),
        "withdrawn": factories.ScheduleFactory(health_system=tenant, active=False),
    }[which]
    schedule_id = schedule.id if schedule else "no-such-schedule"

    response = send(
        session,
        writer,
        "PATCH",
        f"/visit-settings/{schedule_id}",
        settings_change(schedule_id, SETTINGS),
    )

    assert response.status_code == 404
    assert response.json["errors"][0]["code"] == "not-found"
    assert session.scalar(select(func.count()).select_from(VisitSettings)) == 0


def test_writing_settings_needs_catalog_write(client, session, tenant, schedule):
    partner = Api(
        client, "tenant-a.example.org", make_key(session, tenant, scopes=WITHOUT_CATALOG_WRITE)
    )
    path = f"/visit-settings/{schedule.id}"
    response = send(session, partner, "PATCH", path, settings_change(schedule.id, SETTINGS))
    assert response.status_code == 403
    assert stored_settings(session, schedule.id) is None


def test_a_new_emergency_keyword_applies_to_the_next_booking(
    session, writer, booking_api, schedule, slot, token_for
):
    change = settings_change(schedule.id, {"emergency-keywords": ["crushing pain"]})
    written = send(session, writer, "PATCH", f"/visit-settings/{schedule.id}", change)
    assert written.status_code == 200, written.json

    complaint = {"patient-complaint": "A Crushing Pain in my arm"}
    response = post_visit(booking_api, token_for(slot), visit_body(schedule, slot, **complaint))

    assert response.status_code == 422
    [error] = response.json["errors"]
    assert {k: v for k, v in error.items() if k != "detail"} == {
        "status": "422",
        "code": "emergency",
        "title": "Possible emergency",
        "source": {"pointer": "/data/attributes/patient-complaint"},
    }
    assert "911" in error["detail"]
    calm = visit_body(schedule, slot, **{"patient-complaint": "a sore knee"})
    assert post_visit(booking_api, token_for(slot), calm).status_code == 201


def test_a_field_no_longer_enabled_is_refused_at_the_next_booking(
    session, writer, booking_api, schedule, slot, token_for
):
    change = settings_change(schedule.id, {"enabled-fields": ["zip"]})
    written = send(session, writer, "PATCH", f"/visit-settings/{schedule.id}", change)
    assert written.status_code == 200, written.json

    response = post_visit(booking_api, token_for(slot), visit_body(schedule, slot, city="Bath"))

    assert response.status_code == 422
    assert pointers(response) == {"/data/attributes/city"}
    body = visit_body(schedule, slot, zip="04101")
    assert post_visit(booking_api, token_for(slot), body).status_code == 201


# --- validations ------------------------------------------------------------------------------


def rule_document(schedule_id, attributes, **members):
    """A POST /validations document for the schedule (None: no schedule relationship)."""
    data = {"type": "validations", "attributes": attributes, **members}
    if schedule_id is not None:
        linkage = {"type": "schedules", "id": schedule_id}
        data.setdefault("relationships", {"schedule": {"data": linkage}})
    return {"data": data}


def rule_change(rule_id, attributes, **members):
    """A PATCH /validations/{id} document."""
    return {"data": {"type": "validations", "id": rule_id, "attributes": attributes, **members}}


def stored_rules(session, schedule_id):
    """(kind, attributes, options, message) of each of the schedule's stored rules."""
    rows = session.scalars(
        select(VisitValidation)
        .where(VisitValidation.schedule_id == schedule_id)
        .order_by(VisitValidation.position)
    ).all()
    for row in rows:
        session.refresh(row)
    return [(r.kind, r.attributes, r.options, r.message) for r in rows]


def reported(rule_id, attributes, options, message=None, kind="format"):
    """A stored rule's resource object, as GET /validations/{id} and visit-settings show it."""
    return {
        "type": "validations",
        "id": rule_id,
        "attributes": {
            "kind": kind,
            "attributes": attributes,
            "options": options,
            "if": None,
            "message": message,
        },
        "links": {"self": f"{ROOT}/validations/{rule_id}"},
    }


def settings_rules(api, schedule):
    """The validations the schedule's visit-settings document includes, by id."""
    document = api.get(f"/visit-settings/{schedule.id}").json
    return {rule["id"]: rule for rule in document["included"]}


def zip_refusal(response):
    """The one 422 error of a booking refused for its zip."""
    assert response.status_code == 422, response.json
    [error] = response.json["errors"]
    assert error["source"] == {"pointer": "/data/attributes/zip"}
    return error


@pytest.fixture
def stored(session, schedule):
    """A format rule of the schedule, stored directly (not through POST)."""
    row = VisitValidation(position=1, **FIVE_DIGITS)
    schedule.visit_validations.append(row)
    session.flush()
    return row


def test_post_creates_a_rule_with_a_url_of_its_own(session, writer, schedule):
    response = send(
        session, writer, "POST", "/validations", rule_document(schedule.id, FIVE_DIGITS)
    )

    assert response.status_code == 201, response.json
    rule_id = response.json["data"]["id"]
    expected = reported(rule_id, ["zip"], {"with": "[0-9]{5}"}, "must be five digits")
    assert response.json["data"] == expected
    assert response.headers["Location"] == expected["links"]["self"]
    shown = writer.get(response.headers["Location"].removeprefix(ROOT))
    assert shown.status_code == 200
    assert shown.json["data"] == expected
    assert settings_rules(writer, schedule)[rule_id] == expected
    assert stored_rules(session, schedule.id) == [tuple(FIVE_DIGITS.values())]


def test_a_posted_rule_is_enforced_from_the_next_booking(
    session, writer, booking_api, schedule, slot, token_for
):
    created = send(session, writer, "POST", "/validations", rule_document(schedule.id, FIVE_DIGITS))
    assert created.status_code == 201, created.json

    refused = post_visit(booking_api, token_for(slot), visit_body(schedule, slot, zip="4101"))

    assert zip_refusal(refused) == {
        "status": "422",
        "code": "unprocessable",
        "title": "Unprocessable entity",
        "detail": "zip must be five digits.",
        "source": {"pointer": "/data/attributes/zip"},
    }
    body = visit_body(schedule, slot, zip="04101")
    assert post_visit(booking_api, token_for(slot), body).status_code == 201


def test_a_posted_rule_without_options_is_enforced(
    session, writer, booking_api, schedule, slot, token_for
):
    rule = rule_document(schedule.id, {"kind": "presence", "attributes": ["zip"]})
    created = send(session, writer, "POST", "/validations", rule)
    assert created.status_code == 201, created.json
    assert created.json["data"]["attributes"]["options"] == {}

    refused = post_visit(booking_api, token_for(slot), visit_body(schedule, slot))

    assert zip_refusal(refused)["detail"] == "zip is required."
    body = visit_body(schedule, slot, zip="04101")
    assert post_visit(booking_api, token_for(slot), body).status_code == 201


def test_a_second_rule_comes_after_the_first(session, writer, schedule, stored):
    rule = rule_document(schedule.id, {"kind": "presence", "attributes": ["zip"]})
    created = send(session, writer, "POST", "/validations", rule)
    assert created.status_code == 201, created.json
    assert [kind for kind, *_ in stored_rules(session, schedule.id)] == ["format", "presence"]
    ids = list(settings_rules(writer, schedule))
    assert ids[-2:] == [stored.id, created.json["data"]["id"]]


def test_patch_changes_a_rule_and_the_next_booking_meets_the_change(
    session, writer, booking_api, schedule, stored, slot, token_for
):
    zip_plus_four = {"with": "[0-9]{5}-[0-9]{4}"}
    change = rule_change(stored.id, {"options": zip_plus_four, "message": "must be ZIP+4"})

    response = send(session, writer, "PATCH", f"/validations/{stored.id}", change)

    assert response.status_code == 200, response.json
    expected = reported(stored.id, ["zip"], zip_plus_four, "must be ZIP+4")
    assert response.json["data"] == expected
    assert writer.get(f"/validations/{stored.id}").json["data"] == expected
    assert settings_rules(writer, schedule)[stored.id] == expected
    refused = post_visit(booking_api, token_for(slot), visit_body(schedule, slot, zip="04101"))
    assert zip_refusal(refused)["detail"] == "zip must be ZIP+4."
    body = visit_body(schedule, slot, zip="04101-1234")
    assert post_visit(booking_api, token_for(slot), body).status_code == 201


def test_patch_checks_the_whole_rule_again(
    session, writer, booking_api, schedule, stored, slot, token_for
):
    """Changing only the kind leaves options that do not fit it: refused, nothing changed."""
    before = stored_rules(session, schedule.id)

    response = send(
        session,
        writer,
        "PATCH",
        f"/validations/{stored.id}",
        rule_change(stored.id, {"kind": "inclusion"}),
    )

    assert response.status_code == 422, response.json
    assert pointers(response) == {
        "/data/attributes/options/in",  # inclusion needs `in`
        "/data/attributes/options/with",  # and has no `with`
    }
    assert stored_rules(session, schedule.id) == before
    refused = post_visit(booking_api, token_for(slot), visit_body(schedule, slot, zip="4101"))
    assert zip_refusal(refused)["detail"] == "zip must be five digits."


def test_delete_removes_a_rule_from_the_next_booking(
    session, writer, booking_api, schedule, stored, slot, token_for
):
    rule_id = stored.id

    response = send(session, writer, "DELETE", f"/validations/{rule_id}")

    assert response.status_code == 204
    assert response.get_data() == b""
    assert "Content-Type" not in response.headers
    assert stored_rules(session, schedule.id) == []
    assert writer.get(f"/validations/{rule_id}").status_code == 404
    assert rule_id not in settings_rules(writer, schedule)
    assert send(session, writer, "DELETE", f"/validations/{rule_id}").status_code == 404
    body = visit_body(schedule, slot, zip="4101")
    assert post_visit(booking_api, token_for(slot), body).status_code == 201


MALFORMED = {
    # name: (the whole rule sent, the pointers of the errors)
    "unknown-kind": ({"kind": "telepathy", "attributes": ["zip"]}, {"/data/attributes/kind"}),
    "no-attributes": ({"kind": "presence", "attributes": []}, {"/data/attributes/attributes"}),
    "unknown-attribute": (
        {"kind": "presence", "attributes": ["shoe-size"]},
        {"/data/attributes/attributes"},
    ),
    "attribute-not-a-name": (
        {"kind": "presence", "attributes": [5]},
        {"/data/attributes/attributes"},
    ),
    "format-without-with": (
        {"kind": "format", "attributes": ["zip"], "options": {}},
        {"/data/attributes/options/with"},
    ),
    "with-does-not-compile": (
        {"kind": "format", "attributes": ["zip"], "options": {"with": "[a-"}},
        {"/data/attributes/options/with"},
    ),
    "unknown-option": (
        {"kind": "presence", "attributes": ["zip"], "options": {"bogus": 1}},
        {"/data/attributes/options/bogus"},
    ),
    "option-name-with-a-slash": (
        {"kind": "presence", "attributes": ["zip"], "options": {"a/b": 1}},
        {"/data/attributes/options/a~1b"},
    ),
    "length-minimum-over-maximum": (
        {"kind": "length", "attributes": ["zip"], "options": {"minimum": 5, "maximum": 2}},
        {"/data/attributes/options/maximum"},
    ),
    "inclusion-in-not-an-array": (
        {"kind": "inclusion", "attributes": ["zip"], "options": {"in": "04101"}},
        {"/data/attributes/options/in"},
    ),
    "options-not-an-object": (
        {"kind": "presence", "attributes": ["zip"], "options": ["with"]},
        {"/data/attributes/options"},
    ),
    "message-too-long": (
        {"kind": "presence", "attributes": ["zip"], "message": "x" * 301},
        {"/data/attributes/message"},
    ),
    "message-empty": (
        {"kind": "presence", "attributes": ["zip"], "message": ""},
        {"/data/attributes/message"},
    ),
    "condition-is-read-only": (
        {"kind": "presence", "attributes": ["zip"], "if": {"attribute": "city", "in": ["Bath"]}},
        {"/data/attributes/if"},
    ),
    "unknown-member": (
        {"kind": "presence", "attributes": ["zip"], "colour": "red"},
        {"/data/attributes/colour"},
    ),
}


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_rule_is_refused_and_nothing_is_stored(
    session, writer, schedule, stored, method, case
):
    """A rule is checked whole before it is stored: a new one (POST), or one changed to be
    exactly this (PATCH of the stored rule)."""
    attributes, expected = MALFORMED[case]
    before = stored_rules(session, schedule.id)
    if method == "POST":
        response = send(
            session, writer, "POST", "/validations", rule_document(schedule.id, attributes)
        )
    else:
        # The stored rule's own options go, so that the rule is exactly the one sent.
        change = rule_change(stored.id, {"options": {}, **attributes})
        response = send(session, writer, "PATCH", f"/validations/{stored.id}", change)

    assert response.status_code == 422, response.json
    assert {e["status"] for e in response.json["errors"]} == {"422"}
    assert pointers(response) == expected
    assert stored_rules(session, schedule.id) == before


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_an_empty_range_is_the_documented_error(session, writer, schedule, stored, method):
    attributes, _ = MALFORMED["length-minimum-over-maximum"]
    if method == "POST":
        response = send(
            session, writer, "POST", "/validations", rule_document(schedule.id, attributes)
        )
    else:
        response = send(
            session,
            writer,
            "PATCH",
            f"/validations/{stored.id}",
            rule_change(stored.id, attributes),
        )
    assert response.json["errors"] == [
        {
            "status": "422",
            "code": "unprocessable",
            "title": "Unprocessable entity",
            "detail": "maximum must not be below minimum.",
            "source": {"pointer": "/data/attributes/options/maximum"},
        }
    ]


@pytest.mark.parametrize(
    ("case", "status", "pointer"),
    [
        ("missing", 422, "/data/relationships/schedule"),
        ("null", 422, "/data/relationships/schedule"),  # no schedule, like "missing"
        ("wrong-type", 409, "/data/relationships/schedule/data/type"),
        ("other-system", 404, "/data/relationships/schedule/data"),
        ("withdrawn", 404, "/data/relationships/schedule/data"),
        ("unknown", 404, "/data/relationships/schedule/data"),
        ("another-relationship", 422, "/data/relationships/location"),
        ("client-id", 403, "/data/id"),
    ],
)
def test_the_schedule_of_a_new_rule_must_be_one_of_the_callers(
    session, writer, tenant, other_tenant, schedule, case, status, pointer
):
    theirs = factories.ScheduleFactory(health_system=other_tenant)
    withdrawn = factories.ScheduleFactory(health_system=tenant, active=False)
    presence = {"kind": "presence", "attributes": ["zip"]}

    def linked(data):
        return rule_document(None, presence, relationships={"schedule": {"data": data}})

    body = {
        "missing": rule_document(None, presence),
        "null": linked(None),
        "wrong-type": linked({"type": "locations", "id": schedule.id}),
        "other-system": linked({"type": "schedules", "id": theirs.id}),
        "withdrawn": linked({"type": "schedules", "id": withdrawn.id}),
        "unknown": linked({"type": "schedules", "id": "no-such-schedule"}),
        "another-relationship": rule_document(
            None,
            presence,
            relationships={
                "schedule": {"data": {"type": "schedules", "id": schedule.id}},
                "location": {"data": None},
            },
        ),
        "client-id": rule_document(schedule.id, presence, id="my-own-id"),
    }[case]

    response = send(session, writer, "POST", "/validations", body)

    assert response.status_code == status, response.json
    [error] = response.json["errors"]
    assert (error["status"], error["source"]) == (str(status), {"pointer": pointer})
    assert session.scalar(select(func.count()).select_from(VisitValidation)) == 0


@pytest.mark.parametrize(
    ("case", "status", "pointer"),
    [
        ("another-id", 409, "/data/id"),
        ("no-id", 400, "/data/id"),
        ("another-type", 409, "/data/type"),
        ("relationships", 403, "/data/relationships"),
    ],
)
def test_a_patch_document_must_name_the_rule_and_nothing_else(
    session, writer, schedule, stored, case, status, pointer
):
    before = stored_rules(session, schedule.id)
    message = {"message": "changed"}
    body = {
        "another-id": rule_change("another-rule", message),
        "no-id": {"data": {"type": "validations", "attributes": message}},
        "another-type": {"data": {"type": "schedules", "id": stored.id, "attributes": message}},
        "relationships": rule_change(
            stored.id,
            message,
            relationships={"schedule": {"data": {"type": "schedules", "id": schedule.id}}},
        ),
    }[case]

    response = send(session, writer, "PATCH", f"/validations/{stored.id}", body)

    assert response.status_code == status, response.json
    [error] = response.json["errors"]
    assert (error["status"], error["source"]) == (str(status), {"pointer": pointer})
    assert stored_rules(session, schedule.id) == before


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("built_in", ["required", "email", "appointment-type-offered"])
def test_a_built_in_rule_has_no_url(session, writer, schedule, method, built_in):
    rule_id = f"{schedule.id}.{built_in}"
    assert rule_id in settings_rules(writer, schedule)  # it exists, in the document only
    body = rule_change(rule_id, {"message": "changed"}) if method == "PATCH" else None

    response = send(session, writer, method, f"/validations/{rule_id}", body)

    assert response.status_code == 404, response.json
    assert response.json["errors"][0]["code"] == "not-found"
    rule = settings_rules(writer, schedule)[rule_id]
    assert "links" not in rule and rule["attributes"]["message"] is None


def test_a_rule_of_a_withdrawn_schedule_is_404(session, writer, schedule, stored):
    schedule.active = False
    for method, body in [
        ("GET", None),
        ("PATCH", rule_change(stored.id, {"message": "changed"})),
        ("DELETE", None),
    ]:
        response = send(session, writer, method, f"/validations/{stored.id}", body)
        assert response.status_code == 404, method
    assert stored_rules(session, schedule.id) == [tuple(FIVE_DIGITS.values())]


def test_writing_rules_needs_catalog_write(client, session, tenant, schedule, stored):
    partner = Api(
        client, "tenant-a.example.org", make_key(session, tenant, scopes=WITHOUT_CATALOG_WRITE)
    )
    presence = {"kind": "presence", "attributes": ["zip"]}
    for method, path, body in [
        ("POST", "/validations", rule_document(schedule.id, presence)),
        ("PATCH", f"/validations/{stored.id}", rule_change(stored.id, {"message": "x"})),
        ("DELETE", f"/validations/{stored.id}", None),
    ]:
        assert send(session, partner, method, path, body).status_code == 403, method
    assert stored_rules(session, schedule.id) == [tuple(FIVE_DIGITS.values())]

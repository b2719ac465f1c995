"""Patient data: reading visits (visits:read), changing them (visits:write), and the audit log."""

import json
from datetime import UTC, timedelta

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from inquick import cli
from inquick.booking.audit import record_access
from inquick.models import AuditEntry, Visit
from inquick.models.audit import ACTIONS
from tests import factories
from tests.booking.conftest import PATIENT, post_visit, tomorrow_at, visit_body
from tests.conftest import Api, make_key


@pytest.fixture
def booked(booking_api, schedule, slot, token_for, session):
    """A visit booked through the API (so its create entry is in the log)."""
    response = post_visit(booking_api, token_for(slot), visit_body(schedule, slot))
    assert response.status_code == 201
    return session.get(Visit, response.json["data"]["id"])


def audit_entries(session, visit=None):
    statement = select(AuditEntry).order_by(AuditEntry.id)
    if visit is not None:
        statement = statement.where(AuditEntry.visit_id == visit.id)
    return session.scalars(statement).all()


def test_a_booking_is_audited_once_with_its_token(booked, session):
    [entry] = audit_entries(session, booked)
    assert (entry.action, entry.key_id, entry.visit_id) == ("create", None, booked.id)
    assert entry.token_id and set(entry.fields) == set(PATIENT)


def test_reading_a_visit_shows_the_patient_and_is_audited_once(booking_api, booked, session):
    response = booking_api.get(f"/visits/{booked.id}")
    assert response.status_code == 200
    attributes = response.json["data"]["attributes"]
    assert attributes["first-name"] == PATIENT["first-name"]
    assert attributes["email"] == PATIENT["email"]
    assert attributes["comments"] is None
    reads = [e for e in audit_entries(session, booked) if e.action == "read"]
    assert len(reads) == 1
    assert reads[0].key_id is not None and "email" in reads[0].fields


def test_a_list_audits_each_visit_it_returns_once(booking_api, schedule, session):
    visits = [
        factories.VisitFactory(schedule=schedule, starts_at=tomorrow_at(h)) for h in (9, 10, 11)
    ]
    response = booking_api.get("/visits", {"page[size]": 2})
    shown = [v["id"] for v in response.json["data"]]
    assert shown == [visits[0].id, visits[1].id]  # by appointment-at
    reads = [e.visit_id for e in audit_entries(session) if e.action == "read"]
    assert sorted(reads) == sorted(shown)


def test_a_sparse_fieldset_is_recorded_as_such(booking_api, schedule, session):
    visit = factories.VisitFactory(schedule=schedule)
    booking_api.get(f"/visits/{visit.id}", {"fields[visits]": "appointment-at,last-name"})
    [entry] = audit_entries(session, visit)
    assert entry.fields == ["last-name"]


def test_visit_filters(booking_api, tenant, schedule, session):
    other = factories.ScheduleFactory(
        health_system=tenant,
        location=factories.LocationFactory(health_system=tenant, slug="elsewhere"),
    )
    today = factories.VisitFactory(schedule=schedule, starts_at=tomorrow_at(9).astimezone(UTC))
    later = factories.VisitFactory(
        schedule=other,
        starts_at=tomorrow_at(9).astimezone(UTC) + timedelta(days=3),
        status="cancelled",
    )

    def ids(**filters):
        query = {f"filter[{k}]": v for k, v in filters.items()}
        response = booking_api.get("/visits", query)
        assert response.status_code == 200, response.json
        return [v["id"] for v in response.json["data"]]

    day = today.starts_at.date().isoformat()
    assert ids(**{"start-date": day, "end-date": day}) == [today.id]
    assert ids(**{"start-date": (today.starts_at + timedelta(days=1)).date().isoformat()}) == [
        later.id
    ]
    assert ids(location="elsewhere") == [later.id]
    assert ids(provider=schedule.provider.slug) == [today.id]
    assert ids(schedule=schedule.id) == [today.id]
    assert ids(status="cancelled") == [later.id]
    assert ids(status="scheduled,cancelled") == [today.id, later.id]
    bad = booking_api.get("/visits", {"filter[start-date]": "2025-02-30"})
    assert bad.status_code == 400
    assert bad.json["errors"][0]["source"] == {"parameter": "filter[start-date]"}


def test_reading_needs_visits_read(client, session, tenant, schedule):
    visit = factories.VisitFactory(schedule=schedule)
    partner = Api(client, "tenant-a.example.org", make_key(session, tenant))
    assert partner.get(f"/visits/{visit.id}").status_code == 403
    assert partner.get("/visits").status_code == 403
    assert audit_entries(session) == []


def test_another_systems_visits_are_not_found(booking_api, other_tenant, session):
    theirs = factories.VisitFactory(schedule=factories.ScheduleFactory(health_system=other_tenant))
    assert booking_api.get(f"/visits/{theirs.id}").status_code == 404
    assert booking_api.get("/visits").json["data"] == []
    assert audit_entries(session) == []


def patch(api, visit_id, attributes, **data):
    body = {"data": {"type": "visits", "id": visit_id, "attributes": attributes, **data}}
    return api.client.patch(
        api.url(f"/visits/{visit_id}"), json=body, headers={"Authorization": api.secret}
    )


def test_cancel_frees_the_slot_and_is_audited(booking_api, booked, schedule, slot, session):
    response = patch(booking_api, booked.id, {"status": "cancelled", "reason": "Feeling better"})
    assert response.status_code == 200, response.json
    attributes = response.json["data"]["attributes"]
    assert attributes["status"] == "cancelled" and attributes["reason"] == "Feeling better"
    assert "email" not in attributes
    session.refresh(booked)
    assert booked.status == "cancelled" and booked.cancelled_at is not None
    times = booking_api.get("/available-appointment-times", {"schedule_ids[]": schedule.id}).json[
        "data"
    ][0]["attributes"]["times"]
    assert slot.isoformat() in times
    changes = [e for e in audit_entries(session, booked) if e.action == "cancel"]
    assert len(changes) == 1 and changes[0].fields == ["reason", "status"]
    again = patch(booking_api, booked.id, {"status": "cancelled", "reason": "Twice"})
    assert again.status_code == 409


def test_reschedule_takes_the_new_slot_and_frees_the_old(
    booking_api, booked, schedule, slot, session
):
    later = tomorrow_at(14)
    response = patch(
        booking_api, booked.id, {"appointment-at": later.isoformat(), "reason": "Work"}
    )
    assert response.status_code == 200, response.json
    assert response.json["data"]["attributes"]["appointment-at"] == later.isoformat()
    times = booking_api.get("/available-appointment-times", {"schedule_ids[]": schedule.id}).json[
        "data"
    ][0]["attributes"]["times"]
    assert slot.isoformat() in times and later.isoformat() not in times
    assert [e.action for e in audit_entries(session, booked)] == ["create", "reschedule"]


def test_reschedule_into_its_own_slot_or_a_full_one(booking_api, booked, schedule, session):
    same = patch(
        booking_api,
        booked.id,
        {"appointment-at": booked.appointment_at.isoformat(), "reason": "No change"},
    )
    assert same.status_code == 200  # its own slot is free for it
    factories.VisitFactory(schedule=schedule, starts_at=tomorrow_at(15).astimezone(UTC))
    full = patch(
        booking_api, booked.id, {"appointment-at": tomorrow_at(15).isoformat(), "reason": "Clash"}
    )
    assert full.status_code == 409


@pytest.mark.parametrize(
    ("attributes", "pointers"),
    [
        ({"status": "cancelled"}, {"/data/attributes/reason"}),
        ({"status": "cancelled", "reason": "  "}, {"/data/attributes/reason"}),
        ({"reason": "Nothing to do"}, {"/data/attributes"}),
        ({"status": "gone", "reason": "x"}, {"/data/attributes/status"}),
        ({"appointment-at": "soon", "reason": "x"}, {"/data/attributes/appointment-at"}),
        (
            {"status": "cancelled", "email": "new@example.org", "reason": "x"},
            {"/data/attributes/email"},
        ),
    ],
)
def test_bad_changes_are_422s(booking_api, booked, session, attributes, pointers):
    response = patch(booking_api, booked.id, attributes)
    assert response.status_code == 422
    assert {e["source"]["pointer"] for e in response.json["errors"]} == pointers
    session.refresh(booked)
    assert booked.status == "scheduled"
    assert [e.action for e in audit_entries(session, booked)] == ["create"]


def test_document_mismatches_are_409s(booking_api, booked):
    wrong_id = booking_api.client.patch(
        booking_api.url(f"/visits/{booked.id}"),
        json={"data": {"type": "visits", "id": "0" * 32, "attributes": {}}},
        headers={"Authorization": booking_api.secret},
    )
    assert wrong_id.status_code == 409
    wrong_type = booking_api.client.patch(
        booking_api.url(f"/visits/{booked.id}"),
        json={"data": {"type": "schedules", "id": booked.id, "attributes": {}}},
        headers={"Authorization": booking_api.secret},
    )
    assert wrong_type.status_code == 409


def test_changing_needs_visits_write(client, session, tenant, booked):
    reader = Api(client, "tenant-a.example.org", make_key(session, tenant, scopes=["visits:read"]))
    response = patch(reader, booked.id, {"status": "cancelled", "reason": "x"})
    assert response.status_code == 403


def test_the_audit_command_prints_the_log(app, booking_api, booked, session):
    booking_api.get(f"/visits/{booked.id}")
    today = booked.created_at.date().isoformat()
    for last_day in (today, "9999-12-31"):  # the calendar's last day has no next day
        result = CliRunner().invoke(
            cli.main,
            ["audit", "--from", today, "--to", last_day, "--partner", "tenant-a.example.org"],
            obj=ScriptInfo(create_app=lambda: app),
        )
        assert result.exit_code == 0, result.output
        lines = [json.loads(line) for line in result.output.splitlines()]
        assert [(line["visit"], line["action"]) for line in lines] == [
            (booked.id, "create"),
            (booked.id, "read"),
        ]
    assert lines[1]["key"].startswith("iq_live_")
    assert PATIENT["email"] not in result.output
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 2


def test_no_endpoint_reaches_the_audit_log(app):
    assert not [rule for rule in app.url_map.iter_rules() if "audit" in rule.rule]


def test_patch_refuses_what_it_does_not_take(booking_api, booked, session):
    url = booking_api.url(f"/visits/{booked.id}")
    headers = {"Authorization": booking_api.secret}
    cancel = {"status": "cancelled", "reason": "x"}
    unknown = booking_api.client.patch(
        url + "?bogus=1",
        json={"data": {"type": "visits", "id": booked.id, "attributes": cancel}},
        headers=headers,
    )
    assert unknown.status_code == 400
    no_id = booking_api.client.patch(
        url, json={"data": {"type": "visits", "attributes": cancel}}, headers=headers
    )
    assert no_id.status_code == 400
    linked = patch(
        booking_api,
        booked.id,
        cancel,
        relationships={"schedule": {"data": {"type": "schedules", "id": "x"}}},
    )
    assert linked.status_code == 422
    session.refresh(booked)
    assert booked.status == "scheduled"


def test_a_visit_on_a_deactivated_schedule_is_not_moved(booking_api, booked, schedule):
    schedule.active = False
    response = patch(
        booking_api, booked.id, {"appointment-at": tomorrow_at(14).isoformat(), "reason": "x"}
    )
    assert response.status_code == 409


def test_date_filters_take_only_calendar_dates(booking_api, booked):
    response = booking_api.get("/visits", {"filter[start-date]": "2026-W47-1"})
    assert response.status_code == 400


def test_a_head_request_shows_no_patient_data_and_is_not_audited(booking_api, booked, session):
    response = booking_api.client.head(
        booking_api.url(f"/visits/{booked.id}"), headers={"Authorization": booking_api.secret}
    )
    assert response.status_code == 200 and response.get_data() == b""
    assert [e.action for e in audit_entries(session, booked)] == ["create"]


def test_an_action_outside_the_audit_vocabulary_is_refused(session, tenant, booked):
    """Readers of the log know every action; a new one must be added to ACTIONS first."""
    with pytest.raises(ValueError, match="not an audit action"):
        record_access(session, tenant=tenant, visits=[booked], action="peek", fields=[])
    for action in ACTIONS:
        record_access(session, tenant=tenant, visits=[booked], action=action, fields=[])

"""SMART Scheduling Links: `$bulk-publish` read as a slot-discovery client reads it."""

import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import g

from inquick.fhir import publish
from inquick.fhir.codes import BOOKING_DEEP_LINK, BOOKING_PHONE, SLOT_CAPACITY
from inquick.fhir.media import request_context
from inquick.models import Visit
from tests import factories
from tests.conftest import Api, make_key
from tests.fhir.conftest import HOST, Fhir, tomorrow_at, validated

BOOKING_URL = "https://book.tenant-a.example.org/start?from=fhir"
MANIFEST = f"/fhir/r4/{HOST}/$bulk-publish"


@pytest.fixture
def publishing(client, session, tenant, world):
    """tenant-a, publishing its slots (set as a partner would, with catalog:write)."""
    writer = Api(client, HOST, make_key(session, tenant, scopes=["catalog:read", "catalog:write"]))
    attributes = {"publishes-slots": True, "booking-url": BOOKING_URL}
    body = {"data": {"type": "health-systems", "id": tenant.slug, "attributes": attributes}}
    response = writer.patch(f"/health-systems/{tenant.slug}", body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["data"]["attributes"]["publishes-slots"] is True
    return world


def fetch(client, url):
    """GET an absolute URL with no key, as a discovery client does."""
    parts = urlsplit(url)
    return client.get(parts.path, query_string=parts.query)


def lines(response):
    """The resources of an NDJSON file, each validated by its R4B model."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/fhir+ndjson"
    found = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    for resource in found:
        validated(resource)
    return found


def read_everything(client, query=None):
    """The manifest and its files, by type: what a slot-discovery client gathers."""
    response = client.get(MANIFEST, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    manifest = response.json
    files = {}
    for output in manifest["output"]:
        resources = lines(fetch(client, output["url"]))
        assert {r["resourceType"] for r in resources} <= {output["type"]}
        files.setdefault(output["type"], []).append((output, resources))
    return manifest, files


def test_publication_is_opt_in(client, session, tenant, world):
    refused = client.get(MANIFEST)
    assert refused.status_code == 404
    assert (
        refused.json["issue"][0]["diagnostics"] == "This health system does not publish its slots."
    )
    assert client.get(f"{MANIFEST}/locations.ndjson").status_code == 404
    statement = client.get(f"/fhir/r4/{HOST}/metadata").json
    assert "operation" not in statement["rest"][0]
    tenant.publishes_slots = True
    session.flush()
    assert client.get(MANIFEST).status_code == 200
    [operation] = client.get(f"/fhir/r4/{HOST}/metadata").json["rest"][0]["operation"]
    assert operation["name"] == "bulk-publish"


def test_the_manifest_follows_the_guide(client, publishing):
    manifest, files = read_everything(client)
    assert set(manifest) == {"transactionTime", "request", "output", "error"}
    moment = datetime.fromisoformat(manifest["transactionTime"])
    assert abs(moment - datetime.now(UTC)) < timedelta(minutes=1)
    assert manifest["transactionTime"].endswith("Z")
    assert manifest["request"] == f"http://localhost{MANIFEST}"
    assert manifest["error"] == []
    slot_files = {tuple(o["extension"]["state"]): o["url"] for o, _ in files["Slot"]}
    assert slot_files == {
        ("CO",): f"http://localhost{MANIFEST}/slots-CO.ndjson",
        ("ME",): f"http://localhost{MANIFEST}/slots-ME.ndjson",
    }
    assert [o["type"] for o in manifest["output"]] == [
        "Location", "Practitioner", "Schedule", "Slot", "Slot",
    ]  # fmt: skip


def test_references_between_files_resolve(client, publishing):
    _manifest, files = read_everything(client)

    def ids(kind):
        return {(kind, r["id"]) for _, resources in files[kind] for r in resources}

    published = ids("Location") | ids("Practitioner") | ids("Schedule")
    schedules = {r["id"]: r for _, resources in files["Schedule"] for r in resources}
    assert len(schedules) == 3
    for schedule in schedules.values():
        # The guide's Schedule has one actor, its Location: ours comes first.
        assert [a["reference"].split("/")[0] for a in schedule["actor"]] == [
            "Location", "Practitioner"
        ]  # fmt: skip
        for actor in schedule["actor"]:
            assert tuple(actor["reference"].split("/")) in published
    locations = {r["id"]: r for _, resources in files["Location"] for r in resources}
    slots = 0
    for output, resources in files["Slot"]:
        for slot in resources:
            kind, schedule_id = slot["schedule"]["reference"].split("/")
            assert (kind, schedule_id) in published
            location_id = schedules[schedule_id]["actor"][0]["reference"].split("/")[1]
            assert [locations[location_id]["address"]["state"]] == output["extension"]["state"]
            slots += 1
    assert slots > 3 * 20 * 20  # three schedules, twenty slots a day, thirty days


def test_slots_carry_the_guides_extensions(client, publishing):
    _manifest, files = read_everything(client)
    by_state = {tuple(o["extension"]["state"]): resources for o, resources in files["Slot"]}
    maine, colorado = by_state[("ME",)], by_state[("CO",)]
    for slot in maine + colorado:
        extensions = {e["url"]: e for e in slot.get("extension", [])}
        link = urlsplit(extensions[BOOKING_DEEP_LINK]["valueUrl"])
        assert (
            f"{link.scheme}://{link.netloc}{link.path}" == "https://book.tenant-a.example.org/start"
        )
        asked = parse_qs(link.query)
        assert asked == {
            "from": ["fhir"],
            "schedule": [slot["schedule"]["reference"].removeprefix("Schedule/")],
            "at": [slot["start"]],
        }
        # Portland has a phone; Denver none.
        if slot in maine:
            assert extensions[BOOKING_PHONE] == {
                "url": BOOKING_PHONE,
                "valueString": "207-555-0101",
            }
        else:
            assert BOOKING_PHONE not in extensions
    capacities = {e["valueInteger"] for s in maine for e in s.get("extension", [])
                  if e["url"] == SLOT_CAPACITY}  # fmt: skip
    assert capacities == {3}  # the three-seat schedule's free slots


def test_published_slots_are_the_apis_slots(client, session, tenant, publishing):
    schedule = publishing["schedules"]["ruiz-portland"]
    nine = tomorrow_at(9).astimezone(UTC)
    factories.VisitFactory(schedule=schedule, starts_at=nine, ends_at=nine + timedelta(minutes=30))
    _manifest, files = read_everything(client)
    published = {
        slot["id"]: slot["status"]
        for _, resources in files["Slot"]
        for slot in resources
        if slot["schedule"]["reference"] == f"Schedule/{schedule.id}"
    }
    fhir = Fhir(client, HOST, make_key(session, tenant))
    searched, _ = fhir.all_pages("/Slot", {"schedule": schedule.id, "_count": "100"})
    assert published == {slot["id"]: slot["status"] for slot in searched}
    assert list(published.values()).count("busy") == 1


def test_since_narrows_the_catalog_files(client, session, publishing):
    portland, denver = publishing["locations"]
    portland.updated_at = datetime(2026, 1, 1, tzinfo=UTC)
    denver.updated_at = datetime(2026, 6, 1, tzinfo=UTC)
    for schedule in publishing["schedules"].values():
        schedule.updated_at = datetime(2026, 1, 1, tzinfo=UTC)
    session.flush()
    manifest, files = read_everything(client, {"_since": "2026-03-01T00:00:00Z"})
    assert manifest["request"] == f"http://localhost{MANIFEST}?_since=2026-03-01T00%3A00%3A00Z"
    assert [r["id"] for _, resources in files["Location"] for r in resources] == ["denver"]
    assert files["Schedule"] == [(files["Schedule"][0][0], [])]
    assert "_since=" in files["Location"][0][0]["url"]
    # Slot files hold every slot whatever the _since.
    assert sum(len(resources) for _, resources in files["Slot"]) > 1000
    refused = client.get(MANIFEST, query_string={"_since": "yesterday"})
    assert refused.status_code == 400
    assert refused.json["issue"][0]["expression"] == ["_since"]


def test_files_stream_a_batch_at_a_time(client, tenant, publishing, monkeypatch):
    whole = lines(client.get(f"{MANIFEST}/slots-ME.ndjson"))
    for n in range(5):
        factories.LocationFactory(health_system=tenant, slug=f"extra-{n}", name=f"Extra {n}")
    monkeypatch.setattr(publish, "BATCH", 1)
    response = client.get(f"{MANIFEST}/slots-ME.ndjson")
    assert response.is_streamed
    assert lines(response) == whole  # schedule by schedule, the same slots
    locations = lines(client.get(f"{MANIFEST}/locations.ndjson"))
    assert len(locations) == 7 and len({r["id"] for r in locations}) == 7


def test_no_patient_data_is_published(client, count_queries, publishing):
    schedule = publishing["schedules"]["chen-portland"]
    nine = tomorrow_at(9).astimezone(UTC)
    visit = factories.VisitFactory(
        schedule=schedule, starts_at=nine, ends_at=nine + timedelta(minutes=30),
        patient={**factories.VisitFactory.patient.function(), "remote-uid": "uid-4471"},
    )  # fmt: skip
    with count_queries() as counter:
        manifest, files = read_everything(client)
    bodies = json.dumps(manifest) + json.dumps(files)
    assert visit.id not in bodies and str(visit.confirmation_number) not in bodies
    assert [v for v in visit.patient.values() if len(v) > 6 and v in bodies] == []
    # By construction: of a visit, publishing selects the seat it takes, nothing else.
    selected = set()
    for statement in counter.statements:
        for part in statement.split("UNION ALL"):
            columns = part.split("FROM")[0]
            selected |= set(re.findall(r"\bvisits\.(\w+)", columns))
    assert selected == {"schedule_id", "starts_at", "ends_at"}
    assert "patient" in {column.name for column in Visit.__table__.c}  # it is there, unread


def test_publication_needs_no_key_and_is_the_live_systems(client, session, tenant, publishing):
    sandbox = factories.HealthSystemFactory(
        slug=tenant.slug, name="Sandbox", mode="test", live_system_id=tenant.id, hostnames=[]
    )
    factories.LocationFactory(health_system=sandbox, slug="sandbox-only", name="Sandbox Only")
    test_key = make_key(session, sandbox, mode="test")
    for headers in ({}, {"Authorization": test_key}, {"Authorization": "iq_live_unknown"}):
        response = client.get(f"{MANIFEST}/locations.ndjson", headers=headers)
        assert [r["id"] for r in lines(response)] == ["denver", "portland"]
    other = factories.HealthSystemFactory(slug="tenant-b", hostnames=["tenant-b.example.org"])
    factories.LocationFactory(health_system=other, slug="bravo", name="Bravo")
    assert client.get("/fhir/r4/tenant-b.example.org/$bulk-publish").status_code == 404
    other.publishes_slots = True
    session.flush()
    files = client.get("/fhir/r4/tenant-b.example.org/$bulk-publish/locations.ndjson")
    assert [r["id"] for r in lines(files)] == ["bravo"]


def test_keyless_requests_count_against_the_address(app, client, publishing, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMIT", 2)
    assert client.get(MANIFEST).status_code == 200
    assert client.get(f"{MANIFEST}/locations.ndjson").status_code == 200
    limited = client.get(MANIFEST)
    assert limited.status_code == 429
    assert limited.json["issue"][0]["code"] == "throttled"


def test_held_slots_are_published_busy(client, session, tenant, publishing):
    schedule = publishing["schedules"]["ruiz-portland"]
    ten = tomorrow_at(10)
    token = client.get(
        f"/api/v3/{HOST}/visit-token",
        query_string={"schedule_id": schedule.id, "appointment_at": ten.isoformat()},
        headers={"Authorization": make_key(session, tenant)},
    )
    assert token.status_code == 200
    _manifest, files = read_everything(client)
    statuses = {slot["start"]: slot["status"]
                for _, resources in files["Slot"] for slot in resources
                if slot["schedule"]["reference"] == f"Schedule/{schedule.id}"}  # fmt: skip
    assert statuses[ten.isoformat()] == "busy"  # the API says busy-tentative
    assert set(statuses.values()) == {"free", "busy"}


def test_since_reaches_back_past_late_commits(client, session, publishing):
    """A row stamped before `_since` may commit after a client read at `_since`: the files
    reach back `SINCE_MARGIN`; the manifest's transactionTime is when it was made, so
    passed back as `_since` it is reached back from once, not twice."""
    since = datetime(2026, 3, 1, tzinfo=UTC)
    portland, denver = publishing["locations"]
    portland.updated_at = since - publish.SINCE_MARGIN + timedelta(seconds=1)
    denver.updated_at = since - publish.SINCE_MARGIN - timedelta(seconds=1)
    session.flush()
    _manifest, files = read_everything(client, {"_since": "2026-03-01T00:00:00Z"})
    assert [r["id"] for _, resources in files["Location"] for r in resources] == ["portland"]
    before = datetime.now(UTC).replace(microsecond=0)
    manifest = client.get(MANIFEST).json
    moment = datetime.fromisoformat(manifest["transactionTime"])
    assert before <= moment <= datetime.now(UTC)
    earliest = client.get(MANIFEST, query_string={"_since": "0001-01-01T00:00:00Z"})
    assert earliest.status_code == 200
    assert fetch(client, earliest.json["output"][0]["url"]).status_code == 200


def test_slot_files_take_since_and_hold_every_slot(client, publishing):
    _manifest, files = read_everything(client)
    for output, resources in files["Slot"]:
        since = fetch(client, output["url"] + "?_since=2026-03-01T00:00:00Z")
        assert lines(since) == resources
    refused = client.get(f"{MANIFEST}/slots-ME.ndjson", query_string={"_since": "yesterday"})
    assert refused.status_code == 400
    assert refused.json["issue"][0]["expression"] == ["_since"]


def test_a_sandbox_host_publishes_the_sandbox(app, client, session, tenant, publishing,
                                              monkeypatch):  # fmt: skip
    monkeypatch.setitem(app.config, "SANDBOX_HOST", True)
    assert client.get(MANIFEST).status_code == 404  # no sandbox yet
    sandbox = factories.HealthSystemFactory(
        slug=tenant.slug, name="Sandbox", mode="test", live_system_id=tenant.id, hostnames=[]
    )
    factories.LocationFactory(health_system=sandbox, slug="sandbox-only", name="Sandbox Only")
    session.flush()
    assert client.get(MANIFEST).status_code == 404  # the sandbox does not publish
    assert "operation" not in client.get(f"/fhir/r4/{HOST}/metadata").json["rest"][0]
    sandbox.publishes_slots = True
    session.flush()
    assert client.get(f"/fhir/r4/{HOST}/metadata").json["rest"][0]["operation"]
    _manifest, files = read_everything(client)
    assert [r["id"] for _, resources in files["Location"] for r in resources] == ["sandbox-only"]
    assert files["Schedule"][0][1] == [] and "Slot" not in files


def test_slot_files_compute_one_schedule_at_a_time(app, session, count_queries, publishing):
    """Each schedule's seats are read when its turn comes, after the one before it has been
    written: never more than one schedule's slots are held."""
    seats_read = []  # at each line: how many times taken seats had been read
    with app.test_request_context(f"{MANIFEST}/slots-ME.ndjson"), count_queries() as counter:
        app.preprocess_request()  # the hostname's system, as the file's request has it
        found = publish.slots_file(session, g.tenant.id, ["ME"], None, request_context())
        for slot in found:
            taken = [s for s in counter.statements if "slot_holds" in s]
            seats_read.append((slot["schedule"]["reference"], len(taken)))
    schedules = list(dict.fromkeys(reference for reference, _ in seats_read))
    assert len(schedules) == 2  # the two Portland schedules, one after the other
    for turn, schedule in enumerate(schedules, start=1):
        assert {n for reference, n in seats_read if reference == schedule} == {turn}


def test_without_a_booking_url_slots_open_the_hosted_booking_page(
    client, session, tenant, publishing
):
    """The system's own booking page wins; without one, the page this server hosts (when a
    publishable key makes one), asked for the slot as the page reads it."""
    tenant.booking_url = None
    session.flush()

    def links():
        _manifest, files = read_everything(client)
        return [
            (slot, e["valueUrl"])
            for _, resources in files["Slot"]
            for slot in resources
            for e in slot.get("extension", [])
            if e["url"] == BOOKING_DEEP_LINK
        ]

    assert links() == []  # no page of its own and none here
    make_key(session, tenant, publishable=True, allowed_origins=["https://tenant-a.example.org"])
    found = links()
    assert found
    for slot, url in found[:20]:
        link = urlsplit(url)
        assert (link.scheme, link.netloc, link.path) == ("http", "localhost", f"/book/{HOST}")
        schedule = slot["schedule"]["reference"].removeprefix("Schedule/")
        assert parse_qs(link.query) == {"schedule": [schedule], "at": [slot["start"]]}
    slot, url = found[0]
    page = client.get(urlsplit(url).path, query_string=urlsplit(url).query)
    assert page.status_code == 200
    assert f'"at": "{slot["start"]}"' in page.get_data(as_text=True)

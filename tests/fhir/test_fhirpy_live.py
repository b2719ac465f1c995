"""A real FHIR client library, fhirpy, drives the FHIR API of a live server (gunicorn over a
database of its own): a week of a schedule's slots, page after page, then the schedule and
its practitioner."""

import json
from datetime import UTC, datetime, timedelta

from fhirpy import SyncFHIRClient

from tests.fhir.conftest import validated
from tests.live_server import HOSTNAME, serve


def test_fhirpy_searches_slots_and_reads_the_schedule_and_its_practitioner(tmp_path):
    with serve(tmp_path, workers=1) as server:
        client = SyncFHIRClient(
            f"http://127.0.0.1:{server.port}/fhir/r4/{HOSTNAME}", authorization=server.secret
        )
        schedule_id = server.schedule_ids[1]
        first = datetime.now(UTC).date() + timedelta(days=1)
        week = (
            client.resources("Slot")
            .search(schedule=f"Schedule/{schedule_id}")
            .search(start__ge=first.isoformat(), start__lt=(first + timedelta(days=7)).isoformat())
            .limit(100)
        )
        first_page = week.fetch_raw()  # a Bundle: this page, and how many there are in all
        validated(json.loads(json.dumps(first_page)))
        assert first_page["total"] > 300  # open all day, 30-minute slots: several pages
        assert len(first_page["entry"]) == 100
        slots = week.fetch_all()  # following the Bundles' next links
        assert len(slots) == first_page["total"]
        assert len({slot.id for slot in slots}) == len(slots)
        starts = [datetime.fromisoformat(slot["start"]) for slot in slots]
        assert starts == sorted(starts)
        assert {slot["status"] for slot in slots} == {"free"}
        for slot in slots:
            validated(slot.serialize())

        schedule = client.reference(reference=slots[0]["schedule"]["reference"]).to_resource()
        validated(schedule.serialize())
        assert schedule.id == schedule_id
        practitioner_reference, location_reference = schedule["actor"]
        practitioner = client.reference(reference=practitioner_reference["reference"]).to_resource()
        validated(practitioner.serialize())
        assert practitioner["name"][0]["text"] == "Race Provider"
        assert practitioner_reference["display"] == "Race Provider"
        assert location_reference["reference"] == "Location/race-clinic"

        # What the library reads is what the availability engine says, slot by slot.
        slot = client.reference("Slot", slots[5].id).to_resource()
        assert slot.serialize() == slots[5].serialize()

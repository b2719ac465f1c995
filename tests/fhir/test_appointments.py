"""Visits through FHIR: Appointment resources under `visits:read`, audited like JSON:API
reads, referring to the patient without a word of the patient's data."""

from datetime import UTC, timedelta

from sqlalchemy import select

from inquick.auth.keys import digest
from inquick.models import ApiKey, AuditEntry
from tests import factories
from tests.conftest import make_key
from tests.fhir.conftest import HOST, Fhir, matches, tomorrow_at


def visit_at(schedule, hour, **attributes):
    start = tomorrow_at(hour).astimezone(UTC)
    return factories.VisitFactory(
        schedule=schedule, starts_at=start, ends_at=start + timedelta(minutes=30),
        appointment_type=schedule.appointment_types[0], **attributes,
    )  # fmt: skip


def test_an_appointment_is_the_visit_and_a_reference_to_its_patient(fhir, world):
    schedule = world["schedules"]["ruiz-portland"]
    visit = visit_at(schedule, 9, patient={**factories.VisitFactory.patient.function(),
                                            "remote-uid": "partner-patient-7"})  # fmt: skip
    response = fhir.get(f"/Appointment/{visit.id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    resource = response.json
    assert resource.pop("meta")["lastUpdated"].endswith("Z")
    assert resource.pop("created").endswith("Z")
    assert resource == {
        "resourceType": "Appointment",
        "id": visit.id,
        "identifier": [{"type": {"text": "confirmation number"},
                        "value": str(visit.confirmation_number)}],
        "status": "booked",
        "serviceType": [{"coding": [{"system": f"http://localhost/api/v3/{HOST}/services",
                                     "code": "primary-care", "display": "Primary Care"}],
                         "text": "Primary Care"}],
        "appointmentType": {"coding": [{"system": f"http://localhost/api/v3/{HOST}/appointment-types",
                                        "code": "annual-physical", "display": "Annual Physical"}],
                            "text": "Annual Physical"},
        "start": tomorrow_at(9).isoformat(),
        "end": tomorrow_at(9, 30).isoformat(),
        "minutesDuration": 30,
        "participant": [
            {"actor": {"reference": "Practitioner/dr-ruiz", "display": "Ana Ruiz"},
             "status": "accepted"},
            {"actor": {"reference": "Location/portland", "display": "Portland Clinic"},
             "status": "accepted"},
            {"type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                   "code": "SBJ", "display": "subject"}]}],
             "actor": {"type": "Patient", "identifier": {"value": "partner-patient-7"}},
             "status": "accepted"},
        ],
    }  # fmt: skip
    body = response.get_data(as_text=True)
    distinctive = [v for name, v in visit.patient.items() if name != "remote-uid" and len(v) > 6]
    assert len(distinctive) >= 4  # names, email, phone, birthdate
    assert [value for value in distinctive if value in body] == []


def test_reads_and_searches_are_audited(fhir, session, tenant, world):
    schedule = world["schedules"]["ruiz-portland"]
    first, second = visit_at(schedule, 9), visit_at(schedule, 10)
    key_id = session.scalar(select(ApiKey.id).where(ApiKey.digest == digest(fhir.secret)))
    assert fhir.get(f"/Appointment/{first.id}").status_code == 200
    assert len(matches(fhir.get("/Appointment"))) == 2
    fhir.client.head(f"{fhir.base}/Appointment/{first.id}", headers={"Authorization": fhir.secret})
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.visit_id, e.action, e.fields, e.key_id) for e in entries] == [
        (first.id, "read", ["remote-uid"], key_id),
        (first.id, "read", ["remote-uid"], key_id),
        (second.id, "read", ["remote-uid"], key_id),
    ]


def test_appointments_by_date_and_status(fhir, world):
    schedule = world["schedules"]["ruiz-portland"]
    morning, afternoon = visit_at(schedule, 9), visit_at(schedule, 15, status="cancelled")

    def ids(*query):
        return [r["id"] for r in matches(fhir.get("/Appointment", list(query)))]

    assert ids() == [morning.id, afternoon.id]
    assert ids(("status", "cancelled")) == [afternoon.id]
    assert ids(("status", "booked,fulfilled")) == [morning.id]
    assert ids(("status", "waitlist")) == []
    assert fhir.get("/Appointment", {"status": "gone"}).status_code == 400
    noon = tomorrow_at(12).isoformat()
    assert ids(("date", f"lt{noon}")) == [morning.id]
    assert ids(("date", f"ge{noon}")) == [afternoon.id]
    assert ids(("date", f"{tomorrow_at(0).date() + timedelta(days=1)}")) == []


def test_appointments_need_visits_read(client, session, tenant, world):
    visit = visit_at(world["schedules"]["ruiz-portland"], 9)
    partner = Fhir(client, HOST, make_key(session, tenant))  # the partner scopes
    for path in ("/Appointment", f"/Appointment/{visit.id}"):
        refused = partner.get(path)
        assert refused.status_code == 403
        assert refused.json["issue"][0]["code"] == "forbidden"
    assert session.scalars(select(AuditEntry)).all() == []


def test_patient_data_stays_out_of_every_other_fhir_answer(fhir, world):
    schedule = world["schedules"]["ruiz-portland"]
    visit = visit_at(schedule, 9)
    slot = f"{schedule.id}.{tomorrow_at(9).astimezone(UTC):%Y%m%dT%H%M%SZ}"
    answers = [
        fhir.get("/Slot", {"schedule": schedule.id, "_include": "Slot:schedule", "_count": "100"}),
        fhir.get(f"/Slot/{slot}"),
        fhir.get("/Schedule", {"_include": "Schedule:actor"}),
        fhir.get("/PractitionerRole"),
        fhir.get("/Location"),
        fhir.get("/Practitioner"),
        fhir.get("/HealthcareService"),
        fhir.get("/metadata"),
    ]
    assert answers[1].json["status"] == "busy"  # the visit's slot is there, taken
    for answer in answers:
        body = answer.get_data(as_text=True)
        assert answer.status_code == 200
        assert visit.id not in body
        assert not [value for value in visit.patient.values() if len(value) > 6 and value in body]

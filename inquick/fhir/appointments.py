"""Visits as FHIR Appointment resources: the appointment, and a reference to its patient.

An Appointment holds what the visit is (when, where, with whom, of which type, its status
and confirmation number) and who it is for only as a reference: the patient's identifier
in the partner's own system (the visit's `remote-uid`), when the booking gave one. None of
the patient's attributes (name, birthdate, contact details, complaint…) is written.
"""

from datetime import datetime

from inquick.fhir.catalog import service_concept
from inquick.fhir.codes import concept, meta, pruned, slug_reference

# inquick's visit statuses as FHIR's, and back (a search names FHIR's).
STATUSES = {"scheduled": "booked", "cancelled": "cancelled", "completed": "fulfilled",
            "no-show": "noshow"}  # fmt: skip
VISIT_STATUSES = {fhir: stored for stored, fhir in STATUSES.items()}
# The patient's attributes an Appointment shows: the audit log names them at each read.
PATIENT_FIELDS = ("remote-uid",)
APPOINTMENT_FIELDS = {
    "visits": ("appointment-at", "ends-at", "appointment-type", "appointment-type-name",
               "confirmation-number", "status", "created-at", "last-updated", *PATIENT_FIELDS),
    "providers": ("name",),
    "services": ("name",),
    "schedules": (),
}  # fmt: skip
APPOINTMENT_TREE = {"schedule": {"service": {}}, "location": {}, "provider": {}}
SUBJECT = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
            "code": "SBJ",
            "display": "subject",
        }
    ]
}


def patient_participant(remote_uid):
    """The patient: referred to by the partner's identifier for them, never described."""
    actor = {"type": "Patient", "identifier": {"value": remote_uid}} if remote_uid else None
    return pruned({"type": [SUBJECT], "actor": actor, "status": "accepted"})


def appointment_resource(record, context):
    attributes = record.attributes
    provider, location = record.related["provider"], record.related["location"]
    service = record.related["schedule"].related["service"]
    start = datetime.fromisoformat(attributes["appointment-at"])
    end = datetime.fromisoformat(attributes["ends-at"])
    kind = None
    if attributes["appointment-type"]:
        kind = concept(
            context.appointment_type_system,
            attributes["appointment-type"],
            attributes["appointment-type-name"],
        )
    return pruned(
        {
            "resourceType": "Appointment",
            "id": record.id,
            "meta": meta(attributes["last-updated"]),
            "identifier": [
                {
                    "type": {"text": "confirmation number"},
                    "value": str(attributes["confirmation-number"]),
                }
            ],
            "status": STATUSES[attributes["status"]],
            "serviceType": [service_concept(context, service)] if service else None,
            "appointmentType": kind,
            "start": start.isoformat(timespec="seconds"),
            "end": end.isoformat(timespec="seconds"),
            "minutesDuration": int((end - start).total_seconds() // 60),
            "created": attributes["created-at"],
            "participant": [
                {
                    "actor": slug_reference(
                        "Practitioner", provider.id, provider.attributes["name"]
                    ),
                    "status": "accepted",
                },
                {
                    "actor": slug_reference("Location", location.id, location.attributes["name"]),
                    "status": "accepted",
                },
                patient_participant(attributes["remote-uid"]),
            ],
        }
    )

"""The catalog as FHIR: locations, providers (Practitioner), services (HealthcareService)
and schedules seen as a practitioner's role at a location (PractitionerRole).

Each function writes one resource from a record of the JSON:API read path (`Record`:
`attributes` by their JSON:API names, `related` records of what was read with it).
"""

from inquick.fhir.codes import concept, meta, pruned, slug_reference
from inquick.fhir.ids import logical_id

# FHIR's days of the week, from the names inquick stores opening hours under.
DAYS = {
    "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu",
    "friday": "fri", "saturday": "sat", "sunday": "sun",
}  # fmt: skip


def location_resource(record, _context):
    attributes = record.attributes
    address = pruned(
        {
            "line": [attributes["address"]] if attributes["address"] else None,
            "city": attributes["city"],
            "state": attributes["state"],
            "postalCode": attributes["zip"],
        }
    )
    position = None
    if attributes["latitude"] is not None and attributes["longitude"] is not None:
        position = {"latitude": attributes["latitude"], "longitude": attributes["longitude"]}
    facility, phone = attributes["facility-name"], attributes["phone"]
    return pruned(
        {
            "resourceType": "Location",
            "id": logical_id(record.id),
            "meta": meta(attributes["last-updated"]),
            "status": "active",
            "name": attributes["name"],
            "alias": [facility] if facility and facility != attributes["name"] else None,
            "mode": "instance",
            "telecom": [{"system": "phone", "value": phone}] if phone else None,
            "address": address,
            "position": position,
        }
    )


def practitioner_resource(record, _context):
    attributes = record.attributes
    suffix = [attributes["suffix"]] if attributes["suffix"] else None
    name = pruned({"text": attributes["name"], "suffix": suffix})
    qualification = None
    if attributes["credentials"]:
        qualification = [{"code": {"text": attributes["credentials"]}}]
    return pruned(
        {
            "resourceType": "Practitioner",
            "id": logical_id(record.id),
            "meta": meta(attributes["last-updated"]),
            "active": True,
            "name": [name],
            "gender": attributes["gender"],
            "qualification": qualification,
            "communication": [{"text": language} for language in attributes["languages"]],
        }
    )


# What a provider's record must hold for `practitioner_resource`.
PRACTITIONER_FIELDS = ("name", "suffix", "credentials", "gender", "languages", "last-updated")


def service_concept(context, service):
    """A service as a CodeableConcept: its id in the JSON:API services, and its name."""
    return concept(context.service_system, service.id, service.attributes["name"])


def healthcare_service_resource(record, context):
    return pruned(
        {
            "resourceType": "HealthcareService",
            "id": logical_id(record.id),
            "meta": meta(record.attributes["last-updated"]),
            "active": True,
            "name": record.attributes["name"],
            "type": [service_concept(context, record)],
        }
    )


def available_times(hours):
    """A schedule's opening hours as FHIR `availableTime`s, one per window."""
    return [
        {
            "daysOfWeek": [DAYS[window["day"]]],
            "availableStartTime": f"{window['opens-at']}:00",
            "availableEndTime": f"{window['closes-at']}:00",
        }
        for window in hours
    ]


def practitioner_role_resource(record, context):
    """A schedule as its provider's role: at its location, offering its service, in its
    opening hours."""
    provider, location = record.related["provider"], record.related["location"]
    service = record.related["service"]
    return pruned(
        {
            "resourceType": "PractitionerRole",
            "id": record.id,
            "meta": meta(record.attributes["last-updated"]),
            "active": True,
            "practitioner": slug_reference(
                "Practitioner", provider.id, provider.attributes["name"]
            ),
            "location": [slug_reference("Location", location.id, location.attributes["name"])],
            "healthcareService": [
                slug_reference("HealthcareService", service.id, service.attributes["name"])
            ]
            if service
            else None,
            "availableTime": available_times(record.attributes["hours"]),
        }
    )


def actor_references(record):
    """A schedule's actors: its practitioner and its location."""
    provider, location = record.related["provider"], record.related["location"]
    return [
        slug_reference("Practitioner", provider.id, provider.attributes["name"]),
        slug_reference("Location", location.id, location.attributes["name"]),
    ]

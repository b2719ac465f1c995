"""What FHIR resources share: the context they are written in, references, codes and the
extensions inquick writes."""

from dataclasses import dataclass
from datetime import datetime

from inquick.fhir.ids import logical_id

# SMART Scheduling Links' extensions, under the URLs the guide gives them.
BOOKING_DEEP_LINK = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link"
BOOKING_PHONE = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-phone"
SLOT_CAPACITY = "http://fhir-registry.smarthealthit.org/StructureDefinition/slot-capacity"


@dataclass(frozen=True)
class Context:
    """Where resources are written for: the FHIR base URL of the request, the JSON:API
    root of the same partner hostname (whose collections name inquick's codes), and now."""

    base: str
    api_root: str
    now: datetime

    @property
    def service_system(self):
        """The code system of services: their ids at the JSON:API collection."""
        return f"{self.api_root}/services"

    @property
    def appointment_type_system(self):
        return f"{self.api_root}/appointment-types"


def reference(kind, object_id, display=None):
    """A relative reference (`Location/feestport`), with the target's name to show."""
    return pruned({"reference": f"{kind}/{object_id}", "display": display})


def slug_reference(kind, slug, display=None):
    return reference(kind, logical_id(slug), display)


def concept(system, code, display):
    """A CodeableConcept of one coding, its display also its text."""
    return pruned(
        {"coding": [pruned({"system": system, "code": code, "display": display})], "text": display}
    )


def pruned(element):
    """The element without its empty members: FHIR has no empty strings, lists or objects."""
    return {key: value for key, value in element.items() if value not in (None, "", [], {})}


def meta(last_updated):
    return {"lastUpdated": last_updated} if last_updated else None

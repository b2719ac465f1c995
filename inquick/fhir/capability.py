"""The CapabilityStatement: what this server serves, written from the table it serves."""

from importlib import metadata

from inquick.fhir.media import FHIR_JSON

FHIR_VERSION = "4.0.1"
# When what the statement describes last changed.
DATE = "2026-12-07"
# Parameters every search takes besides its type's own.
RESULT_PARAMETERS = (("_count", "number", "Matches per page (default 10, at most 100)."),)
SECURITY = (
    "Send the health system's API key in the Authorization header (the raw key, or "
    "`Bearer <key>`), as for the JSON:API. Scopes: catalog:read for the catalog types, "
    "availability:read for Slot, visits:read for Appointment. A key reads its own health "
    "system (a test key, its sandbox), at the partner hostname in the URL."
)


def search_parameter(name, type_, documentation):
    return {"name": name, "type": type_, "documentation": documentation}


def resource_entry(fhir_type):
    """One type: read and search-type, its search parameters and its includes."""
    parameters = [
        search_parameter(p.name, p.type, p.documentation) for p in fhir_type.parameters
    ] + [search_parameter(*p) for p in RESULT_PARAMETERS]
    entry = {
        "type": fhir_type.name,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": parameters,
        "documentation": f"Scope {fhir_type.scope}.",
    }
    if fhir_type.includes:
        entry["searchInclude"] = list(fhir_type.includes)
    return entry


def capability_statement(base, types, operations=()):
    """The statement of the server at `base` serving `types` and system `operations`
    ((name, definition URL) pairs)."""
    rest = {
        "mode": "server",
        "security": {"description": SECURITY},
        "resource": [resource_entry(t) for t in types],
    }
    if operations:
        rest["operation"] = [
            {
                "name": name,
                "definition": url,
                "documentation": "SMART Scheduling Links: the manifest of this health "
                "system's published Location, Practitioner, Schedule and Slot files (no key).",
            }
            for name, url in operations
        ]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": DATE,
        "publisher": "inquick",
        "kind": "instance",
        "software": {"name": "inquick", "version": metadata.version("inquick")},
        "implementation": {"description": "inquick FHIR R4 scheduling", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_JSON, "json"],
        "rest": [rest],
    }

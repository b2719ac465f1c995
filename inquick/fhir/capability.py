"""The CapabilityStatement: what this server serves, written from the table it serves."""

from importlib import metadata

from inquick.fhir.media import FHIR_JSON
from inquick.jsonapi.errors import InvalidQueryParameter

FHIR_VERSION = "4.0.1"
# When what the statement describes last changed.
DATE = "2026-12-07"
SEARCHES = (
    "Every type is searched by `GET [type]?...` or by `POST [type]/_search` with the "
    "parameters in an application/x-www-form-urlencoded body (and the query)."
)
# Parameters every search takes besides its type's own.
RESULT_PARAMETERS = (("_count", "number", "Matches per page (default 10, at most 100)."),)
SECURITY = (
    "Send the health system's API key in the Authorization header (the raw key, or "
    "`Bearer <key>`), as for the JSON:API. Scopes: catalog:read for the catalog types, "
    "availability:read for Slot, visits:read for Appointment. A key reads its own health "
    "system (a test key, its sandbox), at the partner hostname in the URL."
)


# The parameters of `metadata`, and the values of them it serves: every mode FHIR defines
# but `terminology` (a TerminologyCapabilities, not served), every `_summary` but `text`
# and `count` (for searches). `normative`: all of this statement is normative in R4.
MODES = ("full", "normative")
SUMMARIES = ("true", "false", "data")
METADATA_PARAMETERS = ("mode", "_summary")
# FHIR's tag of a resource with elements left out.
SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
             "code": "SUBSETTED"}  # fmt: skip


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
        "documentation": SEARCHES,
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


def chosen_value(search, name, served, lenient):
    """The one value a metadata request gives `name` (None without one); a 400 for a value
    not served, or several, unless `lenient` (then it is ignored, as unknown parameters
    are)."""
    values = {value for alternatives in search.values(name) for value in alternatives}
    if len(values) == 1 and values <= set(served):
        return values.pop()
    if not values or lenient:
        return None
    raise InvalidQueryParameter(f"{name} takes one of {', '.join(served)} here.", parameter=name)


def summary(statement):
    """`_summary=true`: the elements FHIR marks as summary (the version, formats, and the
    types and operations served, without their details), tagged as a subset."""
    rest = []
    for found in statement["rest"]:
        kept = {"mode": found["mode"], "resource": [{"type": r["type"]} for r in found["resource"]]}
        if "operation" in found:
            kept["operation"] = [
                {"name": o["name"], "definition": o["definition"]} for o in found["operation"]
            ]
        rest.append(kept)
    return {**statement, "meta": {"tag": [SUBSETTED]}, "rest": rest}


def answered_statement(statement, search, lenient):
    """The statement as a metadata request asks for it (`mode`, `_summary`)."""
    chosen_value(search, "mode", MODES, lenient)
    if chosen_value(search, "_summary", SUMMARIES, lenient) == "true":
        return summary(statement)
    return statement

"""FHIR's error document, OperationOutcome, for every failure the API answers.

Failures are raised and answered as everywhere else in inquick (one table of codes, one
handler per kind, `inquick.errors`); on a FHIR URL the answer is then rewritten as an
OperationOutcome with the same status and headers, each JSON:API error one issue. So a
failure is answered the same way whichever surface it happens on, and never with a trace.
"""

import orjson

# FHIR's issue type for each HTTP status the API answers with.
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    413: "too-long",
    414: "too-long",
    415: "not-supported",
    422: "processing",
    429: "throttled",
    431: "too-long",
    500: "exception",
    503: "transient",
}


def operation_outcome(status, details):
    """An OperationOutcome of one error issue per detail."""
    code = ISSUE_CODES.get(status, "invalid" if status < 500 else "exception")
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": d} for d in details],
    }


def outcome_of_errors(body, status):
    """The OperationOutcome of a JSON:API error document's bytes; a parameter an error
    names is the issue's `expression`, as FHIR names search parameters there."""
    outcome = operation_outcome(status, [])
    for error in orjson.loads(body).get("errors", []):
        issue = {
            "severity": "error",
            "code": ISSUE_CODES.get(int(error["status"]), "exception"),
            "diagnostics": error.get("detail") or error.get("title"),
        }
        parameter = error.get("source", {}).get("parameter")
        if parameter:
            issue["expression"] = [parameter]
        outcome["issue"].append(issue)
    return outcome

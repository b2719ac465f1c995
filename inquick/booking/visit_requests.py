"""Checking a visit request against its token and its schedule, before anything is reserved."""

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

import orjson

from inquick.booking.visit_rules import ATTRIBUTES, FORBIDDEN, enabled_fields, rules_for, violations
from inquick.jsonapi.errors import Emergency, Unprocessable

SCALAR = (str, int, float, bool, type(None))


def attribute_pointer(name):
    return f"/data/attributes/{name}"


def request_digest(data):
    """A digest of the request's resource object, independent of key order."""
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


def parse_appointment_at(value):
    """An aware datetime from an ISO 8601 string with an offset, or None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def attribute_errors(schedule, attributes, now):
    """One `Unprocessable` per attribute that is not allowed or breaks a rule.

    Patient data never goes into a message: only attribute names and the rule.
    """
    errors = {}
    allowed = set(enabled_fields(schedule))
    for name, value in attributes.items():
        if name in FORBIDDEN:
            errors[name] = "must not be sent: the patient accepts terms on our side"
        elif name not in ATTRIBUTES:
            errors[name] = "is not a visit attribute"
        elif name not in allowed:
            errors[name] = "is not collected for this schedule"
        elif not isinstance(value, SCALAR):
            errors[name] = "must be a string, a number, a boolean or null"
    today = now.astimezone(ZoneInfo(schedule.time_zone_name)).date()
    for name, message in violations(rules_for(schedule), attributes, today).items():
        errors.setdefault(name, message)
    if (
        "appointment-at" not in errors
        and parse_appointment_at(attributes["appointment-at"]) is None
    ):
        errors["appointment-at"] = "must be an ISO 8601 time with a UTC offset"
    found = [
        Unprocessable(f"{name} {message}.", pointer=attribute_pointer(name))
        for name, message in errors.items()
    ]
    emergency = emergency_error(schedule, attributes.get("patient-complaint"))
    return found + ([emergency] if emergency and "patient-complaint" not in errors else [])


def emergency_error(schedule, complaint):
    """A refusal telling the patient to call 911 when the complaint names an emergency."""
    settings = schedule.visit_settings
    keywords = settings.emergency_keywords if settings else []
    if not isinstance(complaint, str) or not keywords:
        return None
    lowered = complaint.lower()
    if any(keyword.lower() in lowered for keyword in keywords):
        return Emergency(
            "This may be an emergency. Call 911 or go to the nearest emergency room now; "
            "do not wait for a scheduled visit.",
            pointer=attribute_pointer("patient-complaint"),
        )
    return None

"""Checking a visit request's attributes against its schedule, before anything is reserved.

Messages name attributes and rules, never the values: they end up in responses.
"""

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

import orjson

from inquick.booking.visit_rules import ATTRIBUTES, FORBIDDEN, enabled_fields, rules_for, violations

SCALAR = (str, int, float, bool, type(None))


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


def shape_problem(name, value, allowed):
    """Why an attribute cannot be taken at all, before any rule looks at its value."""
    if name in FORBIDDEN:
        return "must not be sent: the patient accepts terms on our side"
    if name not in ATTRIBUTES:
        return "is not a visit attribute"
    if name not in allowed:
        return "is not collected for this schedule"
    if not isinstance(value, SCALAR):
        return "must be a string, a number, a boolean or null"
    if isinstance(value, str) and "\x00" in value:
        return "must not contain NUL characters"
    return None


def attribute_problems(schedule, attributes, now):
    """{attribute: message} for every attribute that is not allowed or breaks a rule."""
    allowed = set(enabled_fields(schedule))
    problems = {}
    for name, value in attributes.items():
        problem = shape_problem(name, value, allowed)
        if problem:
            problems[name] = problem
    today = now.astimezone(ZoneInfo(schedule.time_zone_name)).date()
    checkable = {k: v for k, v in attributes.items() if k not in problems}
    for name, message in violations(rules_for(schedule), checkable, today).items():
        problems.setdefault(name, message)
    if (
        "appointment-at" not in problems
        and parse_appointment_at(attributes["appointment-at"]) is None
    ):
        problems["appointment-at"] = "must be an ISO 8601 time with a UTC offset"
    return problems

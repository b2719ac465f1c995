"""Checking a schedule's own visit validations before they are stored.

POST /visits enforces a stored rule, and visit-settings reports it, exactly as stored;
so a malformed one (an unknown kind, a missing or misspelt option, a pattern that does
not compile) must never reach the database, where it would fail every booking.
"""

import math

import re2

from inquick.booking.visit_rules import ATTRIBUTES, compiled_pattern

MAX_PATTERN, MAX_CHOICES = 500, 200


def whole_number(low, high):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"must be a whole number from {low} to {high}"
        return None

    return check


def finite_number(value):
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "must be a number"
    return None


def boolean(value):
    return None if isinstance(value, bool) else "must be true or false"


def choices(value):
    """A list of JSON scalars a value is compared with (inclusion's `in`, acceptance's `accept`)."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_CHOICES:
        return f"must be an array of 1 to {MAX_CHOICES} values"
    if not all(isinstance(item, str | bool) or finite_number(item) is None for item in value):
        return "must hold only strings, finite numbers and booleans"
    return None


def pattern(value):
    """A `format` pattern: one RE2 takes, so that matching it can never run away."""
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_PATTERN:
        return f"must be a regular expression of at most {MAX_PATTERN} characters"
    try:
        compiled_pattern(value)
    except re2.error:
        return "is not a regular expression RE2 accepts (no backreferences or lookaround)"
    return None


# kind -> ({option: check}, the options it must have)
KINDS = {
    "acceptance": ({"accept": choices}, ()),
    "birthdate": ({"minimum-age": whole_number(0, 150), "maximum-age": whole_number(0, 150)}, ()),
    "email": ({}, ()),
    "format": ({"with": pattern}, ("with",)),
    "inclusion": ({"in": choices}, ("in",)),
    "length": (
        {name: whole_number(0, 10_000) for name in ("is", "minimum", "maximum")},
        (),
    ),
    "numericality": (
        {
            "only-integer": boolean,
            "greater-than-or-equal-to": finite_number,
            "less-than-or-equal-to": finite_number,
        },
        (),
    ),
    "phone": ({}, ()),
    "presence": ({}, ()),
}
# Options that bound a range, which must not be empty.
RANGES = (
    ("minimum-age", "maximum-age"),
    ("minimum", "maximum"),
    ("greater-than-or-equal-to", "less-than-or-equal-to"),
)


def attribute_problem(names):
    if not isinstance(names, list) or not names:
        return "must be a non-empty array of visit attribute names"
    unknown = [name for name in names if name not in ATTRIBUTES]
    if unknown:
        return f"{unknown[0]!r} is not a visit attribute"
    if len(set(names)) != len(names):
        return "must name each attribute once"
    return None


def option_problems(kind, options):
    """{option: message} for the options of a rule of `kind`."""
    checks, required = KINDS[kind]
    problems = {name: "is not an option of this kind" for name in options if name not in checks}
    problems |= {name: "is required for this kind" for name in required if name not in options}
    for name, value in options.items():
        message = checks[name](value) if name in checks else None
        if message:
            problems[name] = message
    for low, high in RANGES:
        if not problems.keys() & {low, high} and options.get(low, -math.inf) > options.get(
            high, math.inf
        ):
            problems[high] = f"must not be below {low}"
    if kind == "length" and not options.keys() & {"is", "minimum", "maximum"}:
        problems["is"] = "a length rule needs is, minimum or maximum"
    return problems


def rule_problems(kind, attributes, options):
    """{member: message} for a rule about to be stored; empty when it is well-formed.

    Members are `kind`, `attributes`, or `options/NAME` for one option.
    """
    if kind not in KINDS:
        return {"kind": f"must be one of: {', '.join(KINDS)}"}
    problems = {}
    message = attribute_problem(attributes)
    if message:
        problems["attributes"] = message
    for name, message in option_problems(kind, options).items():
        problems[f"options/{name}"] = message
    return problems

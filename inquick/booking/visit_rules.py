"""The rules a visit's attributes must meet: reported by visit-settings, enforced by POST /visits.

Both read the same list of `Validation`s from `rules_for(schedule)`, and POST /visits
checks a visit with `violations(...)`, which interprets each rule exactly as its
report says. That is what keeps a partner's form and the server in agreement.
"""

import json
import math
import re
from dataclasses import dataclass, field, replace
from functools import cache

import re2

from inquick.dates import parse_date
from inquick.models.catalog import GENDERS

# The reference's visit attributes (contract section 5), in its order.
ATTRIBUTES = (
    "address", "address-2", "appointment-at", "appointment-type", "birthdate",
    "caregiver-name", "city", "comments", "email", "first-name", "gender", "has-physician",
    "insurance-group-number", "insurance-member-number", "insurance-plan-name",
    "insurance-plan-permalink", "insurance-plan-phone-number", "last-name", "middle-initial",
    "new-patient", "optin", "patient-complaint", "phone-number", "pregnant",
    "primary-care-physician", "referer", "remote-uid", "requires-standing-assistance",
    "requires-translator", "state", "translator-language", "url", "user-agent",
    "weeks-pregnant", "zip",
)  # fmt: skip
REQUIRED = (
    "appointment-at", "birthdate", "email", "first-name", "last-name", "gender",
    "new-patient", "phone-number",
)  # fmt: skip
# Sent by the reference's own forms; a partner must never send them: the patient agreed
# to nothing on the partner's site that we could rely on.
FORBIDDEN = ("terms-tos", "terms-911")
CAREGIVER_AGE = 13
# What to book rather than who: checked against the token and the schedule's types.
BOOKING_FIELDS = ("appointment-at", "appointment-type")
# Who the visit is for: every attribute but what to book.
PATIENT_ATTRIBUTES = tuple(a for a in ATTRIBUTES if a not in BOOKING_FIELDS)
# Free-text attributes may be long; every other one is short.
LONG_TEXT = ("comments", "patient-complaint")
MAX_TEXT, MAX_LONG_TEXT = 200, 2000
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
PHONE_DELIMITERS = re.compile(r"[\s().\-]")
# What an acceptance rule accepts unless it says otherwise (reported in its options).
ACCEPTED = [True, "yes", "true", "1"]


@dataclass(frozen=True)
class Validation:
    """One rule: a kind, the attributes it applies to, its options and an optional condition.

    `condition` is {"attribute": A, "in": [...]} (A has one of the values) or
    {"attribute": "birthdate", "age-at-most": N} (a valid birthdate before today, of a
    patient aged N or younger today); the rule applies only when it holds.
    """

    id: str
    kind: str
    attributes: tuple
    options: dict = field(default_factory=dict)
    message: str | None = None
    condition: dict | None = None
    # A schedule's own rule, stored (with a URL of its own), rather than a built-in one.
    stored: bool = False


def built_in_rules(schedule):
    """The rules every schedule has (contract section 5), with ids unique to the schedule."""
    rules = [
        Validation("required", "presence", REQUIRED),
        Validation("email", "email", ("email",)),
        Validation("phone-number", "phone", ("phone-number",)),
        Validation("gender", "inclusion", ("gender",), {"in": sorted(GENDERS)}),
        Validation("new-patient", "inclusion", ("new-patient",), {"in": ["yes", "no"]}),
        Validation("pregnant", "inclusion", ("pregnant",), {"in": ["yes", "no"]}),
        Validation("birthdate", "birthdate", ("birthdate",), age_limit(schedule)),
        Validation(
            "caregiver-name",
            "presence",
            ("caregiver-name",),
            message=f"is required for patients aged {CAREGIVER_AGE} or younger",
            condition={"attribute": "birthdate", "age-at-most": CAREGIVER_AGE},
        ),
        Validation(
            "weeks-pregnant",
            "presence",
            ("weeks-pregnant",),
            condition={"attribute": "pregnant", "in": ["yes"]},
        ),
        Validation(
            "weeks-pregnant-range",
            "numericality",
            ("weeks-pregnant",),
            {"only-integer": True, "greater-than-or-equal-to": 1, "less-than-or-equal-to": 45},
        ),
        Validation(
            "text-length",
            "length",
            tuple(a for a in ATTRIBUTES if a not in (*LONG_TEXT, *BOOKING_FIELDS)),
            {"maximum": MAX_TEXT},
        ),
        Validation("long-text-length", "length", LONG_TEXT, {"maximum": MAX_LONG_TEXT}),
    ]
    type_ids = [t.slug for t in schedule.appointment_types]
    if type_ids:
        rules.append(Validation("appointment-type", "presence", ("appointment-type",)))
        rules.append(
            Validation(
                "appointment-type-offered", "inclusion", ("appointment-type",), {"in": type_ids}
            )
        )
    # A built-in rule's options depend on the schedule, so its id names the schedule too.
    return [replace(rule, id=f"{schedule.id}.{rule.id}") for rule in rules]


def age_limit(schedule):
    """The schedule's age limit as birthdate options (age in whole years, as of today)."""
    threshold = schedule.age_limit_threshold
    if threshold is None:
        return {}
    if schedule.age_limit_direction == "younger":
        return {"maximum-age": threshold - 1}
    return {"minimum-age": threshold}


def with_defaults(kind, options):
    """A stored rule's options with the defaults filled in, so the report says all of it."""
    defaults = {"accept": ACCEPTED} if kind == "acceptance" else {}
    return {**defaults, **(options or {})}


def rules_for(schedule):
    """Every rule a visit to `schedule` must meet: the built-in ones, then the schedule's own."""
    return built_in_rules(schedule) + [stored_rule(v) for v in schedule.visit_validations]


def stored_rule(row):
    """A schedule's own rule (a `VisitValidation` row) as a `Validation`."""
    return Validation(
        row.id, row.kind, tuple(row.attributes), with_defaults(row.kind, row.options),
        row.message, stored=True,
    )  # fmt: skip


def enabled_fields(schedule):
    """The attributes a visit to `schedule` may carry: the schedule's chosen fields (all of
    them unless it chose), always with every one a presence rule may demand."""
    stored = schedule.visit_settings
    chosen = stored.enabled_fields if stored and stored.enabled_fields is not None else ATTRIBUTES
    demanded = {
        name for rule in rules_for(schedule) if rule.kind == "presence" for name in rule.attributes
    }
    return [name for name in ATTRIBUTES if name in chosen or name in demanded]


def age_on(birthdate, today):
    before_birthday = (today.month, today.day) < (birthdate.month, birthdate.day)
    return today.year - birthdate.year - before_birthday


def blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def condition_holds(condition, attributes, today):
    if condition is None:
        return True
    value = attributes.get(condition["attribute"])
    if "in" in condition:
        return value in condition["in"]
    born = parse_date(value)  # only a valid past birthdate has an age
    return born is not None and born < today and age_on(born, today) <= condition["age-at-most"]


def number(value):
    """A finite number from a JSON number or a decimal numeral; None otherwise (booleans too)."""
    if isinstance(value, str):
        value = float(value) if DECIMAL.fullmatch(value) else None  # may be inf: 400 digits
    elif isinstance(value, bool) or not isinstance(value, int | float):
        value = None
    return value if value is not None and math.isfinite(value) else None


def same_json_value(value, option):
    """JSON equality: `true` is not `1`, as Python's `True == 1` would have it."""
    if isinstance(value, bool) or isinstance(option, bool):
        return type(value) is type(option) and value == option
    return value == option


def one_of(value, options):
    return any(same_json_value(value, option) for option in options)


def check_email(options, value, today):
    return None if isinstance(value, str) and EMAIL.fullmatch(value) else "is not an email address"


def check_phone(options, value, today):
    digits = PHONE_DELIMITERS.sub("", value) if isinstance(value, str) else ""
    return None if re.fullmatch(r"[0-9]{10}", digits) else "must be 10 digits"


@cache
def compiled_pattern(pattern):
    """A `format` pattern compiled by RE2 (linear time on any input); `re2.error` if invalid."""
    options = re2.Options()
    options.log_errors = False  # an invalid pattern is the caller's answer, not a log line
    return re2.compile(pattern, options)


def check_format(options, value, today):
    matches = isinstance(value, str) and compiled_pattern(options["with"]).fullmatch(value)
    return None if matches else "has an invalid format"


def check_inclusion(options, value, today):
    allowed = options["in"]
    return None if one_of(value, allowed) else f"must be one of: {', '.join(map(str, allowed))}"


def outside(amount, low, high, unit=""):
    """Why `amount` is not within the optional bounds [low, high], or None."""
    if low is not None and amount < low:
        return f"must be at least {low}{unit}"
    if high is not None and amount > high:
        return f"must be at most {high}{unit}"
    return None


def check_length(options, value, today):
    # A string by its characters; a number or a boolean by its JSON text (`true`, `12`).
    size = len(value) if isinstance(value, str) else len(json.dumps(value))
    if "is" in options and size != options["is"]:
        return f"must be {options['is']} characters long"
    return outside(size, options.get("minimum"), options.get("maximum"), " characters long")


def check_number(options, value, today):
    amount = number(value)
    if amount is None:
        return "must be a number"
    if options.get("only-integer") and amount != int(amount):
        return "must be a whole number"
    low, high = options.get("greater-than-or-equal-to"), options.get("less-than-or-equal-to")
    return outside(amount, low, high)


def check_birthdate(options, value, today):
    born = parse_date(value)
    if born is None:
        return "must be a date (YYYY-MM-DD)"
    if born >= today:
        return "must be before today"
    age = age_on(born, today)
    if age < options.get("minimum-age", age):
        return f"must make the patient at least {options['minimum-age']} for this schedule"
    if age > options.get("maximum-age", age):
        return f"must make the patient at most {options['maximum-age']} for this schedule"
    return None


# Kinds that judge a value only when it is there (presence and acceptance judge absence).
VALUE_CHECKS = {
    "email": check_email,
    "phone": check_phone,
    "format": check_format,
    "inclusion": check_inclusion,
    "length": check_length,
    "numericality": check_number,
    "birthdate": check_birthdate,
}


def failure(rule, value, today):
    """The message for `value` under `rule`, or None when it passes."""
    if rule.kind == "presence":
        return "is required" if blank(value) else None
    if rule.kind == "acceptance":
        return None if one_of(value, rule.options["accept"]) else "must be accepted"
    if blank(value):
        return None
    return VALUE_CHECKS[rule.kind](rule.options, value, today)


def violations(rules, attributes, today):
    """{attribute: message} for the first rule each attribute breaks."""
    found = {}
    for rule in rules:
        if not condition_holds(rule.condition, attributes, today):
            continue
        for name in rule.attributes:
            if name not in found:
                message = failure(rule, attributes.get(name), today)
                if message:
                    found[name] = rule.message or message
    return found

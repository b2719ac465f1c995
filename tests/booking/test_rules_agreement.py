"""A booking form built only from GET /visit-settings agrees with POST /visits (contract §6).

`predicted_failures` below is a partner's reading of the visit-settings document: it shares
no code with `inquick.booking.visit_rules`, so a rule that the server reports one way and
enforces another makes the property fail. How it reads each rule:

- an attribute is blank when it is absent, null or only whitespace;
- presence: not blank; acceptance: the value is one of `accept` (JSON equality, so 1 is not
  true); every other kind judges only values that are not blank;
- email: text@domain with a dot in the domain and no whitespace; phone: exactly 10 digits
  once spaces, parentheses, dots and hyphens are removed;
- format: the expression matches the whole value (as an HTML `pattern` does); inclusion:
  one of `in`; length: the text's length (a non-string's JSON text); numericality: a JSON
  number or a decimal numeral;
- birthdate: a YYYY-MM-DD calendar date before today, the age in whole years between
  `minimum-age` and `maximum-age`;
- `if`: `{attribute, in}` (the value is one of them) or `{attribute: birthdate, age-at-most}`
  (only a valid birthdate before today gives an age);
- an attribute outside `enabled-fields` is refused;
- emergency: each member `emergency-screening` lists, when it is a string, is refused with
  the code `emergency` if it names an `emergency-keywords` entry: both texts normalized by
  the reported steps in order (`STEPS` below), the keyword's result found in the text's
  (`match: contains`), a keyword normalized to nothing matching nothing. It is reported
  beside whatever else is wrong with the member.

An option or condition this reading does not know fails the test rather than being skipped.
"Today" is the UTC date: every generated birthdate is weeks away from a birthday, so the
schedule's zone (which the document does not give) never changes an age.
"""

import json
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from inquick.models import VisitSettings, VisitValidation
from tests.booking.conftest import post_visit, visit_body

ABSENT = object()

# What the schedule stores on top of the built-in rules.
STORED_VALIDATIONS = [
    ("format", ["zip"], {"with": "[0-9]{5}"}, None),
    ("length", ["state"], {"is": 2}, "must be a two-letter state code"),
    ("inclusion", ["translator-language"], {"in": ["Spanish", "French", "Somali"]}, None),
    ("acceptance", ["optin"], {"accept": ["yes", True]}, None),
    ("presence", ["address"], {}, None),
]
# Stored without the required fields, which the server must add to what it reports.
ENABLED = [
    "address", "caregiver-name", "city", "comments", "optin", "patient-complaint",
    "pregnant", "requires-translator", "state", "translator-language", "weeks-pregnant", "zip",
]  # fmt: skip
EMERGENCY_KEYWORDS = ["chest pain", "Shortness of Breath"]
NO_LIMIT = (None, None)
AGE_LIMITS = [NO_LIMIT, ("younger", 65), ("older", 18)]


# --- the partner's interpreter: reads only the visit-settings document --------------------


def is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def same_json(a, b):
    """JSON equality: true is not 1, and "1" is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def one_of(value, allowed):
    return any(same_json(value, item) for item in allowed)


def calendar_date(value):
    if not (isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def age_in_years(born, today):
    had_birthday = (today.month, today.day) >= (born.month, born.day)
    return today.year - born.year - (0 if had_birthday else 1)


def numeric(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+(\.[0-9]+)?", value):
        return float(value)
    return None


def known_options(options, *names):
    unknown = set(options) - set(names)
    assert not unknown, f"the report has options a form cannot read: {sorted(unknown)}"


def email_ok(value, options, today):
    known_options(options)
    return isinstance(value, str) and re.fullmatch(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+", value)


def phone_ok(value, options, today):
    known_options(options)
    digits = re.sub(r"[ ().\-]", "", value) if isinstance(value, str) else ""
    return re.fullmatch(r"[0-9]{10}", digits) is not None


def format_ok(value, options, today):
    known_options(options, "with")
    return isinstance(value, str) and re.fullmatch(options["with"], value) is not None


def inclusion_ok(value, options, today):
    known_options(options, "in")
    return one_of(value, options["in"])


def length_ok(value, options, today):
    known_options(options, "is", "minimum", "maximum")
    # The report's wording: a string by its characters, anything else by its JSON text.
    size = len(value) if isinstance(value, str) else len(json.dumps(value))
    return (
        size == options.get("is", size)
        and size >= options.get("minimum", size)
        and size <= options.get("maximum", size)
    )


def numericality_ok(value, options, today):
    known_options(options, "only-integer", "greater-than-or-equal-to", "less-than-or-equal-to")
    amount = numeric(value)
    if amount is None or (options.get("only-integer") and amount != int(amount)):
        return False
    return amount >= options.get("greater-than-or-equal-to", amount) and amount <= options.get(
        "less-than-or-equal-to", amount
    )


def birthdate_ok(value, options, today):
    known_options(options, "minimum-age", "maximum-age")
    born = calendar_date(value)
    if born is None or born >= today:
        return False
    age = age_in_years(born, today)
    return options.get("minimum-age", age) <= age <= options.get("maximum-age", age)


VALUE_KINDS = {
    "email": email_ok,
    "phone": phone_ok,
    "format": format_ok,
    "inclusion": inclusion_ok,
    "length": length_ok,
    "numericality": numericality_ok,
    "birthdate": birthdate_ok,
}


def applies(condition, attributes, today):
    if condition is None:
        return True
    value = attributes.get(condition["attribute"])
    if set(condition) == {"attribute", "in"}:
        return one_of(value, condition["in"])
    if set(condition) == {"attribute", "age-at-most"}:
        born = calendar_date(value)
        return (
            born is not None
            and born < today
            and age_in_years(born, today) <= condition["age-at-most"]
        )
    raise AssertionError(f"the report has a condition a form cannot read: {condition}")


def breaks(rule, value, today):
    kind, options = rule["kind"], rule["options"]
    if kind == "presence":
        known_options(options)
        return is_blank(value)
    if kind == "acceptance":
        known_options(options, "accept")
        return not one_of(value, options["accept"])
    assert kind in VALUE_KINDS, f"the report has a kind a form cannot read: {kind}"
    return not is_blank(value) and not VALUE_KINDS[kind](value, options, today)


def without_marks(text):
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c)[0] != "M")


# The normalization steps as the spec defines each name.
STEPS = {
    "nfkc": lambda text: unicodedata.normalize("NFKC", text),
    "casefold": lambda text: text.casefold(),
    "strip-marks": without_marks,
    "ascii-digits": lambda text: "".join(
        str(int(unicodedata.numeric(c))) if unicodedata.category(c) == "Nd" else c for c in text
    ),
    "letters-and-digits-only": lambda text: "".join(
        c for c in text if unicodedata.category(c) in LETTERS_AND_DIGITS
    ),
}
# General categories L and N, but not Lm (modifier letters).
LETTERS_AND_DIGITS = {"Lu", "Ll", "Lt", "Lo", "Nd", "Nl", "No"}


def screened(screening, text):
    for step in screening["normalization"]:
        assert step in STEPS, f"the report has a step a form cannot apply: {step}"
        text = STEPS[step](text)
    return text


def emergency_pointers(shown, attributes):
    """The pointers of the members a form built from the report sees an emergency in."""
    screening = shown["emergency-screening"]
    assert screening["match"] == "contains", screening
    needles = [screened(screening, k) for k in shown["emergency-keywords"]]
    return {
        f"/data/attributes/{name}"
        for name in screening["members"]
        if isinstance(attributes.get(name), str)
        and any(
            n and n in screened(screening, attributes[name][: screening["characters-screened"]])
            for n in needles
        )
    }


def predicted_failures(report, attributes, today):
    """The pointers a form built from `report` refuses, and those it sees an emergency in."""
    shown = report["data"]["attributes"]
    linked = [(v["type"], v["id"]) for v in report["data"]["relationships"]["validations"]["data"]]
    rules = {(r["type"], r["id"]): r["attributes"] for r in report["included"]}
    failing = {name for name in attributes if name not in shown["enabled-fields"]}
    for rule in (rules[identity] for identity in linked):
        if applies(rule["if"], attributes, today):
            failing |= {
                name for name in rule["attributes"] if breaks(rule, attributes.get(name), today)
            }
    return {f"/data/attributes/{name}" for name in failing}, emergency_pointers(shown, attributes)


# --- the patients: each attribute from an ordinary pool, or now and then an unusual one ---


def years_ago(today, years, days=100):
    """A birthdate `years` whole years (and about `days` days) back: far from any birthday."""
    return (today - timedelta(days=round(years * 365.2425) + days)).isoformat()


def pools(today):
    """{attribute: (ordinary values, unusual values)}; ABSENT leaves the attribute out."""
    return {
        "first-name": (["Grace"], ["", "   ", None, ABSENT]),
        "last-name": (["Hopper"], ["", None, ABSENT]),
        "email": (
            ["grace.hopper@example.org", "g@x.io"],
            ["grace", "grace@example", "grace hopper@example.org", "@example.org", "", ABSENT],
        ),
        "phone-number": (
            ["(207) 555-0142", "207.555.0142", "2075550142", "207 555 0142"],
            ["555-0142", "2075550142x", "1-207-555-0142", "207-555-014", "", ABSENT],
        ),
        "birthdate": (
            [years_ago(today, 40), years_ago(today, 30)],
            [
                (today + timedelta(days=30)).isoformat(),  # in the future
                "12/09/1970",
                "1970-13-01",
                "1970-02-30",
                "2010-W01-1",
                "soon",
                years_ago(today, 8),  # a child: needs a caregiver
                years_ago(today, 13),
                years_ago(today, 14),
                years_ago(today, 17),  # too young for an "older than 18" schedule
                years_ago(today, 80),  # too old for a "younger than 65" schedule
                "",
                ABSENT,
            ],
        ),
        "caregiver-name": ([ABSENT], ["Ada Lovelace", "", " "]),
        "gender": (["female", "male"], ["Female", "other", "", ABSENT]),
        "new-patient": (["yes", "no"], ["maybe", "", ABSENT]),
        "pregnant": ([ABSENT, "no"], ["yes", "perhaps", ""]),
        "weeks-pregnant": ([ABSENT], ["20", 20, "0", 46, "twelve", "12.5", "1_2", "NaN", ""]),
        "address": (["12 Congress St"], ["", "  ", ABSENT]),
        "zip": (["04101", ABSENT], ["4101", "041011", "ME 04101", "04101-1234", ""]),
        "state": (["ME", ABSENT], ["Maine", "M", "me", ""]),
        "optin": (["yes", True], ["no", False, 1, "", ABSENT]),
        "translator-language": ([ABSENT, "Spanish"], ["Klingon", "spanish", ""]),
        "patient-complaint": (
            [ABSENT, "a sore knee"],
            [
                "sudden CHEST PAIN since noon",
                "some shortness of breath",
                "chest  pain",
                "chest-pain",
                "chestpain",
                "CHEST\npain",
                "Chest\u00a0Pain",
                "\uff43\uff48\uff45\uff53\uff54 \uff50\uff41\uff49\uff4e",  # full width
                "shórtness of bréath" + "!" * 2000,  # too long, and an emergency
                "chest x-ray follow-up",
                "",
            ],
        ),
    }


# Attributes a schedule may not collect (or no schedule does), and one it does.
EXTRAS = (
    [ABSENT, ("comments", "after 5pm please")],
    [
        ("middle-initial", "B"),
        ("remote-uid", "r-1"),
        ("terms-tos", True),
        ("shoe-size", 9),
        ("comments", "Shortness-of-breath at night"),
    ],
)


# Chosen for an unusual value more often: they drive several rules and both conditions.
OFTEN_UNUSUAL = [
    "birthdate", "birthdate", "pregnant", "weeks-pregnant", "weeks-pregnant", "optin",
    "patient-complaint",
]  # fmt: skip


@st.composite
def patients(draw, today):
    table = {**pools(today), "extra": EXTRAS}
    names = st.sampled_from(sorted(table) + OFTEN_UNUSUAL)
    unusual = set(draw(st.lists(names, unique=True, max_size=4)))
    attributes = {}
    for name, (ordinary, odd) in table.items():
        value = draw(st.sampled_from(odd if name in unusual else ordinary))
        if value is ABSENT:
            continue
        if name == "extra":
            name, value = value
        attributes[name] = value
    return attributes


def ordinary_patient(today, **changes):
    """The first ordinary value of each attribute, with `changes` (dashes as underscores)."""
    attributes = {name: ordinary[0] for name, (ordinary, _odd) in pools(today).items()}
    attributes.update({name.replace("_", "-"): value for name, value in changes.items()})
    return {name: value for name, value in attributes.items() if value is not ABSENT}


# --- the property --------------------------------------------------------------------------


@pytest.fixture
def form_schedule(session, schedule):
    """The fixture's schedule with stored rules and settings, and room for every example."""
    schedule.capacity = 1000
    schedule.visit_validations.extend(
        VisitValidation(position=i, kind=kind, attributes=names, options=options, message=message)
        for i, (kind, names, options, message) in enumerate(STORED_VALIDATIONS)
    )
    schedule.visit_settings = VisitSettings(
        enabled_fields=ENABLED, emergency_keywords=EMERGENCY_KEYWORDS
    )
    session.flush()
    return schedule


def test_the_reported_rules_are_the_enforced_rules(booking_api, session, form_schedule, slot):
    today = datetime.now(UTC).date()
    answers = []

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(attributes=patients(today), age_limit=st.sampled_from(AGE_LIMITS))
    # Cases worth checking on every run, besides what is generated.
    @example(ordinary_patient(today, patient_complaint="sudden CHEST PAIN since noon"), NO_LIMIT)
    @example(
        ordinary_patient(today, patient_complaint="chest\tpain", comments="chestpain"), NO_LIMIT
    )
    @example(ordinary_patient(today, patient_complaint="chest pain" + "." * 2000), NO_LIMIT)
    @example(ordinary_patient(today, birthdate=years_ago(today, 8), caregiver_name="Ada"), NO_LIMIT)
    @example(ordinary_patient(today, birthdate=years_ago(today, 8)), NO_LIMIT)
    @example(ordinary_patient(today, birthdate=years_ago(today, 17)), ("older", 18))
    @example(ordinary_patient(today, birthdate=years_ago(today, 70)), ("younger", 65))
    @example(ordinary_patient(today, pregnant="yes", weeks_pregnant="20"), NO_LIMIT)
    @example(ordinary_patient(today, pregnant="yes"), NO_LIMIT)
    # Values a lenient parser takes (an ISO week date, Python's "1_2", 1 for true).
    @example(ordinary_patient(today, birthdate="2010-W01-1"), NO_LIMIT)
    @example(ordinary_patient(today, weeks_pregnant="1_2"), NO_LIMIT)
    @example(ordinary_patient(today, weeks_pregnant="NaN"), NO_LIMIT)
    @example(ordinary_patient(today, optin=1), NO_LIMIT)
    def agree(attributes, age_limit):
        form_schedule.age_limit_direction, form_schedule.age_limit_threshold = age_limit
        session.flush()
        report = booking_api.get(f"/visit-settings/{form_schedule.id}")
        assert report.status_code == 200, report.get_data(as_text=True)
        attributes = {
            "appointment-at": slot.isoformat(),
            "appointment-type": "annual-physical",
            **attributes,
        }
        expected, emergencies = predicted_failures(report.json, attributes, today)

        issued = booking_api.get(
            "/visit-token", {"schedule_id": form_schedule.id, "appointment_at": slot.isoformat()}
        )
        assert issued.status_code == 200, issued.get_data(as_text=True)
        token = issued.get_data(as_text=True)
        body = visit_body(form_schedule, slot)
        body["data"]["attributes"] = attributes
        response = post_visit(booking_api, token, body)
        answers.append(response.status_code)
        if not expected and not emergencies:
            assert response.status_code == 201, response.get_data(as_text=True)
            return
        assert response.status_code == 422, response.get_data(as_text=True)
        errors = response.json["errors"]
        by_code = {"unprocessable": [], "emergency": []}
        for error in errors:
            by_code[error["code"]].append(error["source"]["pointer"])
        for found in by_code.values():
            assert len(found) == len(set(found)), "one error per attribute and code"
        assert set(by_code["unprocessable"]) == expected
        assert set(by_code["emergency"]) == emergencies

    agree()
    # Both answers must have been seen, or the property held vacuously.
    assert answers.count(201) >= 5 and answers.count(422) >= 5, answers

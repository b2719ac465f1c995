"""Emergency screening: whether a patient's free text names one of the schedule's keywords.

A keyword is patient safety: with "chest pain" among them, "Chest  Pain!", "chest-pain",
"chestpain", "CHEST" on one line and "pain" on the next, full-width letters or a
non-breaking space must all get the call-911 answer, and "dólor de pécho" must match
"dolor de pecho". So the keyword and the text are both normalized by the same steps, the
last of which drops every separator, and the text matches when the keyword's result
occurs in the text's. Matching ignores word boundaries on purpose: a false alarm sends a
patient to the phone; a missed one can cost a life.

visit-settings reports the steps by name, in order (`screening_report`), and `normalized`
applies exactly the steps it reports, so a partner's form screens as the server does.
"""

import unicodedata

from inquick.booking.visit_rules import LONG_TEXT, MAX_LONG_TEXT


def without_marks(text):
    """The text canonically decomposed, its combining marks (accents) dropped."""
    return "".join(
        c for c in unicodedata.normalize("NFD", text) if not unicodedata.category(c).startswith("M")
    )


def ascii_digits(text):
    """Every decimal digit of any script as its ASCII digit: "٩١١" is "911"."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


# Letters and digits (general categories L and N) but modifier letters (Lm), which are
# typed as apostrophes and dashes (U+02BC, U+30FC).
KEPT = {"Lu", "Ll", "Lt", "Lo", "Nd", "Nl", "No"}


def letters_and_digits(text):
    """Only the text's letters and digits: spaces, punctuation and line breaks are gone."""
    return "".join(c for c in text if unicodedata.category(c) in KEPT)


# The steps, in the order they are applied, as visit-settings names them.
STEPS = {
    "nfkc": lambda text: unicodedata.normalize("NFKC", text),
    "casefold": str.casefold,
    "strip-marks": without_marks,
    "ascii-digits": ascii_digits,
    "letters-and-digits-only": letters_and_digits,
}
# The members a patient writes in freely: every one of them is screened.
SCREENED = tuple(sorted(LONG_TEXT))
# How much of a member is screened: four times the longest one accepted. Text past the
# limit is refused anyway; screening all of a megabyte would cost seconds of CPU.
SCREENED_LENGTH = 4 * MAX_LONG_TEXT
DESCRIPTION = (
    "Each member listed in `members` is screened when it is a string. Both the member's "
    "text and every keyword are normalized by the `normalization` steps, in order: nfkc "
    "(Unicode normalization form NFKC), casefold (Unicode full case folding), strip-marks "
    "(canonical decomposition, NFD, then every combining mark removed, so accents are "
    "ignored), ascii-digits (every decimal digit of any script replaced by its ASCII "
    "digit) and letters-and-digits-only (every character that is not a Unicode letter or "
    "digit removed, modifier letters too, so spaces, punctuation and line breaks are "
    "ignored and words joined with nothing still match). Only the first "
    "`characters-screened` characters of a member are screened (a longer member is "
    "refused for its length anyway). The text names a keyword when the normalized "
    "keyword occurs anywhere in the normalized text; a keyword that normalizes to "
    "nothing never matches."
)


def normalized(text):
    """`text` after every step, in order."""
    for step in STEPS.values():
        text = step(text)
    return text


def screening_report():
    """How keywords are matched, as visit-settings reports it."""
    return {
        "members": list(SCREENED),
        "normalization": list(STEPS),
        "match": "contains",
        "characters-screened": SCREENED_LENGTH,
        "description": DESCRIPTION,
    }


def emergency_members(keywords, attributes):
    """The screened members of `attributes` whose text names one of `keywords`."""
    needles = [needle for needle in map(normalized, keywords) if needle]
    found = []
    for name in SCREENED:
        text = attributes.get(name)
        if needles and isinstance(text, str):
            plain = normalized(text[:SCREENED_LENGTH])
            if any(needle in plain for needle in needles):
                found.append(name)
    return found

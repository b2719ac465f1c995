"""Emergency keywords stop a booking however the patient types them, in every free-text member.

Each row: a member, the text typed, and whether the booking must be refused with the
call-911 answer (422, code `emergency`, pointing at the member, the text never echoed)
or booked (201). The schedule's keywords are `KEYWORDS`.
"""

import pytest

from inquick.models import VisitSettings
from tests.booking.conftest import post_visit, visit_body

KEYWORDS = ["chest pain", "dolor de pecho", "πόνος στο στήθος", "胸痛", "can't breathe", "911"]
REFUSED, BOOKED = 422, 201
COMPLAINT, COMMENTS = "patient-complaint", "comments"
FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) if c != " " else c for c in "chest pain")

CASES = [
    # The table.
    ("plain", COMPLAINT, "chest pain", REFUSED),
    ("title case and a mark", COMPLAINT, "Chest Pain!", REFUSED),
    ("two spaces", COMPLAINT, "chest  pain", REFUSED),
    ("a hyphen", COMPLAINT, "chest-pain", REFUSED),
    ("joined", COMPLAINT, "chestpain", REFUSED),
    ("a line break", COMPLAINT, "CHEST\npain", REFUSED),
    ("a non-breaking space", COMPLAINT, "Chest\u00a0Pain", REFUSED),
    # More ways of typing it.
    ("a tab", COMPLAINT, "chest\tpain", REFUSED),
    ("a carriage return", COMPLAINT, "chest\r\npain", REFUSED),
    ("an ideographic space", COMPLAINT, "chest\u3000pain", REFUSED),
    ("a zero-width space", COMPLAINT, "chest\u200bpain", REFUSED),
    ("full-width letters", COMPLAINT, FULL_WIDTH, REFUSED),
    ("inside a sentence", COMPLAINT, "Since noon: sudden chest... pain, left arm", REFUSED),
    ("dots between", COMPLAINT, "c.h.e.s.t p.a.i.n", REFUSED),
    ("accents on the text", COMPLAINT, "dólor de pécho", REFUSED),
    ("spanish, capitals", COMPLAINT, "DOLOR DE PECHO desde ayer", REFUSED),
    ("decomposed accents", COMPLAINT, "do\u0301lor de pe\u0301cho", REFUSED),
    ("greek capitals without tonos", COMPLAINT, "ΠΟΝΟΣ ΣΤΟ ΣΤΗΘΟΣ", REFUSED),
    ("greek final sigma", COMPLAINT, "πονος στο στηθος", REFUSED),
    ("chinese in an english sentence", COMPLAINT, "I have 胸 痛 since this morning", REFUSED),
    ("mixed scripts", COMPLAINT, "Brother says: 胸痛 and chest-pain", REFUSED),
    ("a typographic apostrophe", COMPLAINT, "I can\u2019t breathe", REFUSED),
    ("no apostrophe", COMPLAINT, "i cant breathe well", REFUSED),
    ("in the comments", COMMENTS, "Call me after 5. Also CHEST PAIN.", REFUSED),
    ("in the comments, joined", COMMENTS, "chestpain at night", REFUSED),
    ("a modifier letter as apostrophe", COMPLAINT, "I can\u02bct breathe", REFUSED),
    ("a prolonged sound mark as dash", COMPLAINT, "chest\u30fcpain", REFUSED),
    ("arabic-indic digits", COMPLAINT, "\u0669\u0661\u0661 told me to come", REFUSED),
    ("devanagari digits", COMPLAINT, "\u096f\u0967\u0967", REFUSED),
    # Booked: no keyword, only parts of one, or its words apart.
    ("a sore knee", COMPLAINT, "a sore knee", BOOKED),
    ("only one word", COMPLAINT, "pain in my chest area", BOOKED),
    ("a chest x-ray", COMPLAINT, "chest x-ray follow-up", BOOKED),
    ("quiet comments", COMMENTS, "mornings are best", BOOKED),
    ("other numbers", COMPLAINT, "room 91, floor 1", BOOKED),
]


@pytest.fixture
def screened(session, schedule):
    schedule.visit_settings = VisitSettings(emergency_keywords=KEYWORDS)
    session.flush()
    return schedule


@pytest.mark.parametrize(
    ("member", "text", "expected"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_keywords_are_matched_however_they_are_typed(
    booking_api, screened, slot, token_for, member, text, expected
):
    body = visit_body(screened, slot, **{member: text})
    response = post_visit(booking_api, token_for(slot), body)
    assert response.status_code == expected, response.get_data(as_text=True)
    if expected == BOOKED:
        return
    [error] = response.json["errors"]
    assert error["code"] == "emergency"
    assert error["source"] == {"pointer": f"/data/attributes/{member}"}
    assert member in error["detail"] and "911" in error["detail"]
    assert text not in response.get_data(as_text=True)


def test_both_members_are_named_and_other_faults_still_reported(
    booking_api, screened, slot, token_for
):
    body = visit_body(
        screened,
        slot,
        email="not an email",
        **{COMPLAINT: "chest pain" + " and more" * 300, COMMENTS: "Chest-Pain"},
    )
    response = post_visit(booking_api, token_for(slot), body)
    assert response.status_code == 422
    found = {(e["code"], e["source"]["pointer"]) for e in response.json["errors"]}
    assert found == {
        ("unprocessable", "/data/attributes/email"),
        ("unprocessable", f"/data/attributes/{COMPLAINT}"),  # too long
        ("emergency", f"/data/attributes/{COMPLAINT}"),
        ("emergency", f"/data/attributes/{COMMENTS}"),
    }


@pytest.mark.parametrize("keyword", ["!!!", " - ", "\u200b"])
def test_a_keyword_of_nothing_but_separators_is_refused(booking_api, schedule, keyword):
    change = {
        "data": {
            "type": "visit-settings",
            "id": schedule.id,
            "attributes": {"emergency-keywords": ["stroke", keyword]},
        }
    }
    response = booking_api.patch(f"/visit-settings/{schedule.id}", change)
    assert response.status_code == 422, response.get_data(as_text=True)
    [error] = response.json["errors"]
    assert error["source"] == {"pointer": "/data/attributes/emergency-keywords"}
    assert "letter or a digit" in error["detail"]


@pytest.mark.parametrize(("padding", "found"), [(7_980, True), (8_000, False)])
def test_a_member_is_screened_up_to_the_reported_length(
    booking_api, screened, slot, token_for, padding, found
):
    """Too long either way (a 422 for its length); an emergency only when the keyword is
    within the first `characters-screened` (8,000) characters, as visit-settings says."""
    report = booking_api.get(f"/visit-settings/{screened.id}").json["data"]["attributes"]
    assert report["emergency-screening"]["characters-screened"] == 8_000
    body = visit_body(screened, slot, **{COMPLAINT: "x" * padding + "chest pain"})
    response = post_visit(booking_api, token_for(slot), body)
    assert response.status_code == 422
    codes = {e["code"] for e in response.json["errors"]}
    assert ("emergency" in codes) == found
    assert "unprocessable" in codes

"""The rules of a request to change a visit, read without a database or a request."""

from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError

from inquick.booking.change_requests import change_schema


def refused(attributes):
    with pytest.raises(ValidationError) as refusal:
        change_schema.load(attributes)
    return refusal.value.messages


def test_a_reschedule_and_a_status_change_read_as_change_visit_takes_them():
    assert change_schema.load({"appointment-at": "2030-01-02T10:00:00Z", "reason": "Work"}) == {
        "appointment_at": datetime(2030, 1, 2, 10, tzinfo=UTC),
        "reason": "Work",
    }
    assert change_schema.load({"status": "cancelled", "reason": "Better"}) == {
        "status": "cancelled",
        "reason": "Better",
    }


@pytest.mark.parametrize("reason", [None, 5, "", "   ", "a" * 501, "a\x00b"])
def test_every_bad_reason_gets_the_one_message(reason):
    assert refused({"status": "cancelled", "reason": reason}) == {
        "reason": ["is required: a sentence of at most 500 characters"]
    }


def test_sending_both_changes_is_the_one_error_whatever_their_values():
    messages = refused({"appointment-at": "soon", "status": "gone", "reason": "x"})
    assert list(messages) == ["_schema"]


def test_a_null_status_is_told_the_statuses():
    assert refused({"status": None, "reason": "x"}) == {
        "status": ["must be one of: scheduled, cancelled, completed, no-show"]
    }

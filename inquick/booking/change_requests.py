"""Reading a request to change a visit: a new time or a new status, and the reason for it.

The schema holds the rules; the view answers its messages (`attribute message.`) as 422s.
"""

import marshmallow
from marshmallow import EXCLUDE, ValidationError, pre_load, validate, validates_schema

from inquick.booking.visit_requests import parse_appointment_at
from inquick.models.visits import STATUSES

REASON = "is required: a sentence of at most 500 characters"
ONE_OF_STATUSES = f"must be one of: {', '.join(STATUSES)}"


def has_words(text):
    """Blank text is no reason."""
    if not text.strip():
        raise ValidationError(REASON)


class AppointmentAt(marshmallow.fields.Field):
    """A time as booking reads `appointment-at`: ISO 8601 with a UTC offset."""

    default_error_messages = {
        "invalid": "must be an ISO 8601 time with a UTC offset",
        "null": "must be an ISO 8601 time with a UTC offset",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        moment = parse_appointment_at(value)
        if moment is None:
            raise self.make_error("invalid")
        return moment


class VisitChangeSchema(marshmallow.Schema):
    """A PATCH of a visit: a new time or a new status, and always the reason for it.

    Attributes it does not declare (see `CHANGEABLE`) are refused by the view, not here:
    marshmallow would report them under their own names, and a client may name one
    `_schema`, marshmallow's name for the rule on the whole change.
    """

    appointment_at = AppointmentAt(data_key="appointment-at")
    status = marshmallow.fields.Raw(
        validate=validate.OneOf(STATUSES, error=ONE_OF_STATUSES),
        error_messages={"null": ONE_OF_STATUSES},
    )
    reason = marshmallow.fields.Str(
        required=True,
        validate=[
            validate.Length(max=500, error=REASON),
            validate.ContainsNoneOf("\x00", error=REASON),
            has_words,
        ],
        error_messages={"required": REASON, "null": REASON, "invalid": REASON},
    )

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def one_change_read(self, attributes, **_kwargs):
        """With both a time and a status, neither is read: the one error is sending both."""
        if "appointment-at" in attributes and "status" in attributes:
            return {k: v for k, v in attributes.items() if k not in ("appointment-at", "status")}
        return attributes

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def one_change(self, _changes, attributes, **_kwargs):
        """One change a request: a new time or a new status, never both nor neither."""
        if ("appointment-at" in attributes) == ("status" in attributes):
            raise ValidationError(
                "Send either appointment-at (to reschedule) or status (to change the state)."
            )


change_schema = VisitChangeSchema()
CHANGEABLE = {field.data_key or name for name, field in change_schema.fields.items()}

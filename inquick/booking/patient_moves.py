"""A patient moving their own booking, by reference, with a visit token for the new time.

The token is what the patient's site asked for the new slot, as it would to book: it must
be this health system's, for the booking's own schedule and for the time asked. The move
itself (atomic, spending the token) is `inquick.booking.service.change_visit`.
"""

from inquick.booking.bookings import BodyMismatch

TOKEN_POINTER = "/meta/visit-token"


def check_move_token(claims, tenant, visit, appointment_at):
    """Refuse a token that cannot move `visit` to `appointment_at`, pointing at what differs."""
    if claims["hs"] != tenant.id or claims["mode"] != tenant.mode:
        raise BodyMismatch("The visit token is not valid for this health system.", TOKEN_POINTER)
    if claims["sch"] != visit.schedule_id:
        raise BodyMismatch(
            "The visit token is for another schedule: a booking moves within its own.",
            TOKEN_POINTER,
        )
    # Compared as they are: aware times compare across offsets, and a time at the calendar's
    # end cannot always be converted to UTC.
    if appointment_at != claims["at"]:
        raise BodyMismatch(
            "appointment-at must be the slot the visit token was issued for.",
            "/data/attributes/appointment-at",
        )

"""Why a booking or a change of a visit is refused.

Every refusal of the booking domain is a `BookingRefused`, its message written for the
client; `inquick.errors` answers each kind with its JSON:API failure in one table.
"""


class BookingRefused(Exception):
    """A booking or change that the token, the request or the schedule does not allow."""


class ScheduleClosed(BookingRefused):
    """The schedule no longer takes bookings: withdrawn, or being withdrawn meanwhile."""


class TokenSpent(BookingRefused):
    """The visit token was used already: to book with another request body, or to move a
    booking."""

"""Booking: availability, visit tokens, visit rules and reserving slots."""

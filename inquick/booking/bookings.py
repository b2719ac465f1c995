"""Booking a visit with a visit token: every check, in order, then the reservation."""

from sqlalchemy import select

from inquick.booking.emergency import emergency_members
from inquick.booking.refusals import BookingRefused, TokenSpent
from inquick.booking.reservations import AlreadyBooked, NotOffered, offered_type, reserve_slot
from inquick.booking.visit_requests import (
    attribute_problems,
    parse_appointment_at,
    request_digest,
)
from inquick.booking.visit_rules import BOOKING_FIELDS
from inquick.models import Visit


class BodyMismatch(BookingRefused):
    """The body asks for another schedule or slot than the token's."""

    def __init__(self, message, pointer):
        super().__init__(message)
        self.pointer = pointer


class InvalidVisit(BookingRefused):
    """Attributes that break the schedule's rules ({attribute: message}), and the free-text
    members that name an emergency (the patient must then call 911, whatever else is wrong).
    """

    def __init__(self, problems, emergencies=()):
        super().__init__(", ".join(problems))
        self.problems = problems
        self.emergencies = list(emergencies)


def check_binding(schedule_id, attributes, claims):
    """The body must ask for the token's schedule and slot."""
    if schedule_id != claims["sch"]:
        raise BodyMismatch(
            "The schedule must be the one the visit token was issued for.",
            "/data/relationships/schedule",
        )
    at = parse_appointment_at(attributes.get("appointment-at"))
    if at is None or at != claims["at"]:
        raise BodyMismatch(
            "appointment-at must be the slot the visit token was issued for.",
            "/data/attributes/appointment-at",
        )


def booked_with(session, tenant, token_id):
    return session.scalar(
        select(Visit).where(Visit.health_system_id == tenant.id, Visit.token_id == token_id)
    )


def replay(visit, digest):
    """A retry of the request that booked `visit` gets it back; another body is refused."""
    if visit.request_digest != digest:
        raise TokenSpent("This visit token has already booked a visit with another request.")
    return visit


def book_visit(session, *, tenant, schedule, claims, data, schedule_id, now, booked):
    """(visit, True) when this request booked it, (visit, False) when an earlier identical
    request did; the caller commits. `booked` is the visit the token has booked already
    (`booked_with`), or None: two requests racing with one token are told apart by the
    reservation itself.

    Raises BodyMismatch, TokenSpent, InvalidVisit or SlotUnavailable.
    """
    attributes = data.get("attributes", {})
    check_binding(schedule_id, attributes, claims)
    digest = request_digest(data)
    if booked is not None:
        return replay(booked, digest), False
    problems = attribute_problems(schedule, attributes, now)
    # Screened even when a member breaks a rule (too long, not collected): the advice to
    # call 911 must not wait for the form to be right.
    settings = schedule.visit_settings
    emergencies = emergency_members(settings.emergency_keywords if settings else [], attributes)
    if problems or emergencies:
        raise InvalidVisit(problems, emergencies)
    try:
        kind = offered_type(schedule, attributes.get("appointment-type"))
    except NotOffered as refusal:
        raise InvalidVisit({"appointment-type": "is not offered by this schedule"}) from refusal
    patient = {k: v for k, v in attributes.items() if k not in BOOKING_FIELDS}
    try:
        visit = reserve_slot(
            session,
            schedule=schedule,
            appointment_type=kind,
            start=claims["at"],
            now=now,
            token_id=claims["jti"],
            request_digest=digest,
            remote_uid=attributes.get("remote-uid"),
            patient=patient,
        )
    except AlreadyBooked as booked:  # the same request, sent twice at once
        return replay(booked.visit, digest), False
    return visit, True

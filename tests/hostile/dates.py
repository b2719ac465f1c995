"""Hostile dates, times of day and time zones: impossible ones (refused) and the calendar's
ends (which must work or be refused), in a body's attributes and in query parameters."""

from datetime import date

from tests.hostile.documents import (
    HOURS,
    changed,
    encode,
)
from tests.hostile.expectations import (
    Case,
    NoRows,
    Refused,
    Rows,
    Stored,
    refused_body,
    refused_parameter,
)
from tests.hostile.spec import (
    attribute_kinds,
    value_kinds,
)

IMPOSSIBLE = {
    "date": ("2025-02-30",),
    "date-time": ("2025-02-30T10:00", "2025-02-30T10:00:00-05:00", "2025-03-01T24:00:00-05:00"),
    "clock": ("24:00", "25:61"),
    "time-zone": ("Mars/Olympus_Mons",),
}
# The ends of the calendar (a date-time whose offset puts UTC past them): valid values that
# overflow date arithmetic done carelessly (the next day, the UTC instant).
CALENDAR_ENDS = {
    "date": ("0001-01-01", "9999-12-31"),
    "date-time": ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"),
}
# A date filter is one end of a range: at the calendar's end that leaves the range open it
# holds every row, at the other end none.
OPEN_ENDS = {"filter[start-date]": "0001-01-01", "filter[end-date]": "9999-12-31"}
# Query parameters naming a time: a valid time that is no free slot is a 422 naming it.
NAMES_A_SLOT = {"appointment_at"}


def attribute_date_cases(operation):
    """Each date, time and zone a body's attributes take: the calendar's ends, impossible ones."""
    for (attribute, inner), kind in attribute_kinds(operation).items():
        where = "/".join(map(str, (attribute, *inner)))
        for value in CALENDAR_ENDS.get(kind, ()):
            yield Case(
                operation,
                f"{where} is {value}",
                calendar_end_answer(operation, attribute, value),
                spoil=lambda d, t=("data", "attributes", attribute, *inner), v=value: encode(
                    changed(d, t, v)
                ),
            )
        for value in IMPOSSIBLE[kind]:
            yield Case(
                operation,
                f"{where} is {value}",
                refused_body(f"/data/attributes/{attribute}", 422, "unprocessable"),
                spoil=lambda d, t=("data", "attributes", attribute, *inner), v=value: encode(
                    changed(d, t, v)
                ),
            )


def calendar_end_answer(operation, attribute, value):
    """A body's date at a calendar's end: a schedule's exception and a past birthdate are kept
    as sent, a future birthdate is refused. A visit's time there is no slot: a booking must
    name its token's slot (422), as must a patient's move by booking reference, and moving
    a visit out of its schedule's horizon is a conflict, as it is for any time out there."""
    pointer = f"/data/attributes/{attribute}"
    if attribute == "exceptions":
        return Stored(attribute, [{**HOURS["exceptions"][0], "date": value}])
    if attribute == "birthdate" and value < date.today().isoformat():
        return Stored(attribute, value)
    if operation.method == "patch" and operation.path != "/bookings/{reference}":
        return Refused(409, "conflict", None)
    return refused_body(pointer, 422, "unprocessable")


def filter_date_cases(operation, parameter, schema):
    """A date filter at the calendar's ends holds every row or none; an impossible date, a 400."""
    for _trail, kind in dict.fromkeys(value_kinds(schema)):
        for value in CALENDAR_ENDS.get(kind, ()):
            expect = Rows() if OPEN_ENDS.get(parameter) == value else NoRows()
            yield Case(operation, f"{parameter}={value}", expect, query=((parameter, value),))
        for value in IMPOSSIBLE[kind]:
            yield Case(
                operation,
                f"{parameter}={value}",
                refused_parameter(parameter, "invalid-filter"),
                query=((parameter, value),),
            )


def parameter_date_cases(operation, name, schema):
    """Any other date or time parameter at the calendar's ends (422 for a slot) or impossible."""
    for _trail, kind in dict.fromkeys(value_kinds(schema)):
        for value in CALENDAR_ENDS.get(kind, ()):
            expect = refused_parameter(name)
            if name in NAMES_A_SLOT:
                expect = refused_parameter(name, "unprocessable", 422)
            yield Case(operation, f"{name}={value}", expect, query=((name, value),))
        for value in IMPOSSIBLE[kind]:
            yield Case(
                operation, f"{name}={value}", refused_parameter(name), query=((name, value),)
            )

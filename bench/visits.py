"""The generated visits: each on a real slot of its schedule, never two in one slot.

Visits are placed round by round over the schedules, so one schedule's visits are spread
through the table as real bookings arrive, and each starts a whole number of "strides"
into a weekly window, a stride being enough slots for the schedule's longest type: no
two visits of a schedule ever overlap, whatever their types.
"""

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import orjson

from inquick.booking.references import ALPHABET, LENGTH

# Visits fall on the 90 days from 60 days before the anchor to 30 days after it.
PAST_DAYS, FUTURE_DAYS = 60, 30
VISIT_COLUMNS = (
    "id", "health_system_id", "schedule_id", "appointment_type_id", "starts_at", "ends_at",
    "status", "confirmation_number", "token_id", "request_digest", "remote_uid", "patient",
    "change_reason", "cancelled_at", "created_at", "updated_at", "booking_reference",
)  # fmt: skip
PAST_STATUSES = ("scheduled", "completed", "no-show", "cancelled")
# An odd number: multiplying by it permutes the 60-bit numbers.
REFERENCE_MULTIPLIER = 0x9E3779B97F4A7C15


def synthetic_reference(number):
    """The booking reference of the `number`th visit: unique (a permutation of `number`)
    and drawn from no generator, so that the rest of the data set stays as it was."""
    value = number * REFERENCE_MULTIPLIER % 2**60
    return "".join(ALPHABET[value >> (5 * i) & 31] for i in range(LENGTH))


@dataclass
class ScheduleSpec:
    """What placing visits on a schedule needs to know of it."""

    id: str
    zone: ZoneInfo
    windows: list  # [(weekday, opens, closes)]
    interval: int
    types: list  # [(type id, minutes)]
    active: bool
    closed_days: set = field(default_factory=set)

    def openings(self):
        """{weekday: [(opens, closes) in minutes]} for windows long enough for any type."""
        longest = max(minutes for _, minutes in self.types)
        by_day = {}
        for weekday, opens, closes in self.windows:
            start, end = opens.hour * 60 + opens.minute, closes.hour * 60 + closes.minute
            if end - start >= longest:
                by_day.setdefault(weekday, []).append((start, end))
        return by_day


class VisitPlacer:
    """Rows for `count` visits over `specs`, from `rng`; the anchor is a Monday."""

    def __init__(self, specs, anchor, rng, count, system_id):
        self.specs, self.anchor, self.rng = specs, anchor, rng
        self.count, self.system_id = count, system_id
        self.made_at = datetime.combine(anchor, time(), tzinfo=UTC)

    def rows(self):
        per_schedule, extra = divmod(self.count, len(self.specs))
        openings = [spec.openings() for spec in self.specs]
        taken = [set() for _ in self.specs]
        number = 0
        for round_ in range(per_schedule + 1):
            for n, spec in enumerate(self.specs):
                if round_ == per_schedule and n >= extra:
                    return
                number += 1
                yield self.visit(spec, openings[n], taken[n], number)

    def free_start(self, spec, openings, taken):
        """(day offset, UTC start) of a stride no visit of the schedule holds yet."""
        rng = self.rng
        longest = max(minutes for _, minutes in spec.types)
        stride = math.ceil(longest / spec.interval) * spec.interval
        while True:
            offset = rng.randrange(-PAST_DAYS, FUTURE_DAYS)
            day = self.anchor + timedelta(days=offset)
            windows = openings.get(offset % 7)
            if not windows or day in spec.closed_days:
                continue
            window = rng.randrange(len(windows))
            opens, closes = windows[window]
            step = rng.randrange((closes - opens - longest) // stride + 1)
            if (offset, window, step) not in taken:
                taken.add((offset, window, step))
                wall = datetime.combine(day, time()) + timedelta(minutes=opens + step * stride)
                return offset, wall.replace(tzinfo=spec.zone).astimezone(UTC)

    def visit(self, spec, openings, taken, number):
        rng = self.rng
        kind, minutes = rng.choice(spec.types)
        offset, starts = self.free_start(spec, openings, taken)
        if offset < 0:
            status = rng.choices(PAST_STATUSES, (70, 20, 5, 5))[0]
        else:  # a withdrawn schedule's visits to come were cancelled with it
            status = "cancelled" if not spec.active or rng.random() < 0.05 else "scheduled"
        created = min(starts - timedelta(days=rng.randint(1, 30)), self.made_at)
        cancelled = created + timedelta(days=1) if status == "cancelled" else None
        patient = {
            "first-name": "Synthetic", "last-name": f"Patient {number:07d}",
            "email": f"patient{number:07d}@example.invalid",
            "phone-number": f"(555) 01{number % 10}-{number % 10000:04d}",
            "birthdate": (date(1940, 1, 1) + timedelta(days=rng.randrange(29000))).isoformat(),
            "gender": rng.choice(("female", "male")), "new-patient": rng.choice(("yes", "no")),
            "zip": "00000", "state": "ZZ",
        }  # fmt: skip
        return (
            f"{rng.getrandbits(128):032x}", self.system_id, spec.id, kind, starts,
            starts + timedelta(minutes=minutes), status, number,
            f"{rng.getrandbits(128):032x}", f"{rng.getrandbits(256):064x}", None,
            orjson.dumps(patient).decode(), "Patient asked to cancel." if cancelled else None,
            cancelled, created, cancelled or created, synthetic_reference(number),
        )  # fmt: skip

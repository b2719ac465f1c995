"""When a failed delivery is tried again, when it is given up, and when an endpoint that
only fails is disabled.

The wait after the nth failed attempt doubles from 30 seconds up to 8 hours, and is
shortened at random by up to a quarter (jitter), so that the deliveries of an endpoint
that was down do not all come back at the same moment. With ATTEMPTS attempts, even the
shortest draws add up to more than a day (`shortest_retry_window`); the delivery is then
marked failed. An endpoint whose every attempt failed for DISABLE_AFTER is disabled.
"""

import random
from datetime import timedelta

FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=8)
JITTER = 0.25  # a wait is shortened by a random share of itself, up to this one
ATTEMPTS = 14
DISABLE_AFTER = timedelta(days=3)


def nominal_wait(attempt):
    """The wait after failed attempt number `attempt` (from 1), before jitter."""
    return min(FIRST_WAIT * 2 ** (attempt - 1), LONGEST_WAIT)


def wait_after(attempt, rng=random):
    """The wait after failed attempt number `attempt`, jittered by `rng`."""
    return nominal_wait(attempt) * (1 - JITTER * rng.random())


def next_attempt(attempt, now, rng=random):
    """When to try again after failed attempt number `attempt` at `now`; None once the
    last attempt has failed."""
    if attempt >= ATTEMPTS:
        return None
    return now + wait_after(attempt, rng)


def shortest_retry_window():
    """The least time from the first attempt to the last, whatever the jitter draws."""
    return sum((nominal_wait(n) * (1 - JITTER) for n in range(1, ATTEMPTS)), timedelta())

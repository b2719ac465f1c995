"""`inquick worker`: claim what is due, send each delivery outside any transaction, record
how it went, and log one line per attempt (ids, outcome, status, timing; never a body,
a secret or a URL's path and query, which may hold a receiver's own token).

The clock that decides what is due and when to retry is a parameter (`clock`), so tests
can move time; the `webhook-timestamp` a delivery is signed with is always the real time
of sending, which receivers compare with their own clock.
"""

import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError

from inquick.database import error_name
from inquick.models.base import utcnow
from inquick.webhooks.delivery import TIMEOUT, failure, post
from inquick.webhooks.events import instant
from inquick.webhooks.outbox import claim_due, record_outcome, release
from inquick.webhooks.signing import signed_headers

log = logging.getLogger("inquick.webhooks")
# Seconds allowed per attempt, beyond its deadline, to sign it and record how it went.
RECORD_SECONDS = 1.0


class LeaseTooShort(ValueError):
    """A lease that a batch of attempts could outlast; the message says what would do."""


@dataclass(frozen=True)
class WorkerSettings:
    """How a worker runs. A claim's lease must outlast its batch, or another worker could
    claim a delivery still being sent and send it again: each attempt ends by its deadline
    (`timeout`, for the whole attempt), so a batch takes at most `worst_case`. The default
    lease is twice that and 30 s more; a lease shorter than the worst case is refused."""

    batch: int = 10
    timeout: float = TIMEOUT
    allow_loopback: bool = False
    lease: timedelta | None = None  # by default, comfortably longer than the worst case

    @property
    def worst_case(self):
        """The longest a batch takes: every attempt cut off at its deadline, and each
        allowed RECORD_SECONDS more to be signed and recorded."""
        return timedelta(seconds=self.batch * (self.timeout + RECORD_SECONDS))

    def __post_init__(self):
        if self.lease is None:
            object.__setattr__(self, "lease", 2 * self.worst_case + timedelta(seconds=30))
        elif self.lease < self.worst_case:
            least = self.worst_case.total_seconds()
            raise LeaseTooShort(
                f"{self.lease.total_seconds():g} s is shorter than a batch's worst case, "
                f"{least:g} s ({self.batch} attempt(s) of up to {self.timeout:g} s, and "
                f"{RECORD_SECONDS:g} s each to record): another worker could claim a delivery "
                f"still being sent and send it again. Give at least {least:g} s, or a smaller "
                "batch."
            )


def deliver_due(session, settings, *, clock=utcnow, send=post, rng=random, stop=None):
    """Claim a batch of due deliveries and attempt each; returns how many were claimed.

    Claims whose turn has not come when `stop` is set are given back, due at once for
    another worker.
    """
    claims = claim_due(session, now=clock(), lease=settings.lease, limit=settings.batch)
    session.commit()  # the claim is its own short transaction: nothing is held while sending
    for index, claim in enumerate(claims):
        if stop is not None and stop.is_set():
            release(session, claims[index:])
            session.commit()
            break
        attempt = attempt_claim(claim, settings, send)
        outcome = record_outcome(session, claim, attempt, now=clock(), rng=rng)
        session.commit()
        log_attempt(claim, attempt, outcome)
    return len(claims)


def attempt_claim(claim, settings, send):
    """Sign and send one claimed delivery; the `Attempt`. Anything it raises (a URL stored
    before a rule refused it, a bug) is a failed attempt, so that one endpoint can never
    stop a worker, nor, through its lease, every worker that claims it after."""
    started = time.monotonic()
    try:
        body = claim.body.encode()
        headers = signed_headers(claim.secret, claim.event_id, body, datetime.now(UTC))
        return send(
            claim.url, body, headers, allow_loopback=settings.allow_loopback,
            timeout=settings.timeout,
        )  # fmt: skip
    except Exception as error:
        # Named by its type only: its message may quote the URL, path and query included.
        log.error(
            "webhook delivery attempt raised",
            extra={"fields": {"delivery": claim.delivery_id, "endpoint": claim.endpoint_id,
                              "error": type(error).__name__}},
        )  # fmt: skip
        return failure(f"failed unexpectedly ({type(error).__name__})", started)


def drain(session, settings, **options):
    """Deliver until nothing is due (`inquick worker --once`); returns how many attempts."""
    attempts = 0
    while claimed := deliver_due(session, settings, **options):
        attempts += claimed
    return attempts


def run(session, settings, stop, *, poll_seconds=1.0, **options):
    """Deliver until `stop` is set, looking for due deliveries every `poll_seconds` when
    there were none; a database that fails is tried again after the pause."""
    while not stop.is_set():
        try:
            claimed = deliver_due(session, settings, stop=stop, **options)
        except SQLAlchemyError as failure:
            session.rollback()
            log.warning("the webhook worker cannot reach the database: %s",
                        error_name(failure))  # fmt: skip
            claimed = 0
        if not claimed:
            stop.wait(poll_seconds)


def log_attempt(claim, attempt, outcome):
    """One line for one attempt."""
    fields = {
        "delivery": claim.delivery_id, "endpoint": claim.endpoint_id, "event": claim.event_id,
        "event-type": claim.event_type, "host": urlsplit(claim.url).hostname,
        "attempt": claim.attempt, "outcome": outcome.status, "status": attempt.status,
        "duration-ms": attempt.duration_ms, "error": attempt.error,
        "next-attempt-at": instant(outcome.next_attempt_at) if outcome.next_attempt_at else None,
    }  # fmt: skip
    log.info("webhook delivery attempt", extra={"fields": fields})
    if outcome.disabled:
        log.warning(
            "webhook endpoint disabled",
            extra={"fields": {"endpoint": claim.endpoint_id, "reason": outcome.disabled}},
        )

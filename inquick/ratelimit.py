"""Rate limits: a one-minute window per caller, counted by the `limits` package.

The caller is the API key (its own limit, or the default; a publishable key's counted
apart for each client address, since every patient of a booking page shares the one key,
under a ceiling for all its addresses together),
the issuing key for bookings made with its visit tokens, or the client address when no
credential was accepted (so guessing keys is limited too). With REDIS_URL the counts live
in Redis and the limits hold across every server process; without it each process counts
on its own.

Rate limiting must never take the API down with it. Redis is asked with short timeouts;
when it cannot answer, counting goes on in this process's memory (said once in the log,
and by `/readyz` as degraded) and Redis is tried again a few seconds later. Keys in Redis
carry a per-deployment prefix, so deployments sharing a Redis never share a counter.
"""

import hashlib
import logging
import threading
import time
from dataclasses import dataclass

from flask import current_app, g
from limits import RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from inquick.client_addresses import request_client_digest

log = logging.getLogger(__name__)
# How long Redis may take to answer before a request stops waiting for it.
REDIS_TIMEOUT_SECONDS = 0.25
# How long counting stays in memory after Redis failed, before Redis is tried again.
REDIS_RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class Allowance:
    limit: int
    remaining: int
    reset: int  # when the window ends, in Unix seconds

    def headers(self):
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.remaining, 0)),
            "X-RateLimit-Reset": str(self.reset),
        }


class RateLimitExceeded(Exception):
    """A caller past its limit in this window: `retry_after` seconds until the next one."""

    def __init__(self, allowance, retry_after):
        super().__init__(
            f"Over the limit of {allowance.limit} requests a minute; retry in {retry_after} s."
        )
        self.allowance = allowance
        self.retry_after = retry_after


@dataclass(frozen=True)
class Window:
    """A caller's window as `limits` reports one: when it ends (Unix seconds), and what is
    left of it."""

    reset_time: float
    remaining: int


class LocalWindows:
    """Fixed one-minute windows counted in this process's memory, as `limits` counts them
    (a window starts at its first hit).

    Not `limits`' own memory storage: it expires its counters from a timer thread, started
    again whenever the last one has ended, so at a few hundred requests a second nearly
    every request started a thread (a profile of a catalog read found it the costliest
    part of rate limiting). Here a window is replaced when it has ended, and ended ones
    are swept when the table is full.
    """

    def __init__(self, seconds=60, size=100_000, clock=time.time):
        self.seconds, self.size, self.clock = seconds, size, clock
        self.windows = {}  # caller -> [end, hits]
        self.lock = threading.Lock()

    def hit(self, limit, caller):
        now = self.clock()
        with self.lock:
            window = self.windows.get(caller)
            if window is None or window[0] <= now:
                if len(self.windows) >= self.size:
                    self.sweep(now)
                window = self.windows[caller] = [now + self.seconds, 0]
            allowed = window[1] < limit
            window[1] += allowed
            return allowed, Window(window[0], limit - window[1])

    def sweep(self, now):
        """Drop the ended windows; if the table is still full, the oldest tenth of the live
        ones (their callers start afresh: memory stays bounded under a flood of callers,
        and a full table is swept once per tenth of its size, not at every new caller)."""
        self.windows = {c: w for c, w in self.windows.items() if w[0] > now}
        if len(self.windows) >= self.size:
            for caller in list(self.windows)[: max(1, self.size // 10)]:
                del self.windows[caller]


class Counting:
    """Counts hits per caller in Redis, or in memory while Redis is unreachable."""

    def __init__(self, redis_url=None, prefix="inquick"):
        self.memory = LocalWindows()
        self.shared = None
        if redis_url:
            storage = storage_from_string(
                redis_url,
                key_prefix=prefix,
                wrap_exceptions=True,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
            self.shared = FixedWindowRateLimiter(storage)
        self.lock = threading.Lock()
        self.down_until = 0.0  # while in the future, Redis is not asked

    @property
    def degraded(self):
        """True while a configured Redis is unreachable and counts are this process's."""
        return self.shared is not None and time.monotonic() < self.down_until

    def hit(self, limit, caller):
        """Count one hit of `caller` against `limit` a minute: (allowed, window stats)."""
        if self.shared is not None and not self.degraded:
            item = RateLimitItemPerMinute(limit)
            try:
                allowed = self.shared.hit(item, caller)
                window = self.shared.get_window_stats(item, caller)
            except StorageError as failure:
                self.redis_failed(failure)
            else:
                if self.down_until:
                    self.redis_answered()
                return allowed, window
        return self.memory.hit(limit, caller)

    def redis_failed(self, failure):
        """Count in memory for a while; say so once per outage, not once per request."""
        with self.lock:
            newly = self.down_until == 0.0
            self.down_until = time.monotonic() + REDIS_RETRY_SECONDS
        if newly:
            log.warning(
                "rate limits: Redis is unreachable (%s); counting in this process's memory "
                "until it answers again",
                type(failure.storage_error).__name__,
            )

    def redis_answered(self):
        with self.lock:
            recovered, self.down_until = self.down_until != 0.0, 0.0
        if recovered:
            log.warning("rate limits: Redis answers again; counting there")

    def check(self):
        """Whether Redis answers now (True without Redis). While a degraded spell lasts the
        answer is no, without asking: a check must not wait on a Redis known to be down."""
        if self.shared is None:
            return True
        if self.degraded:
            return False
        if self.shared.storage.check():
            self.redis_answered()
            return True
        self.redis_failed(StorageError(ConnectionError("no answer to PING")))
        return False


def deployment_prefix(config):
    """The prefix of this deployment's Redis keys: configured, or drawn from its database.

    Two deployments with different databases get different prefixes without being told;
    the database URL is hashed, so no password reaches Redis.
    """
    configured = config.get("RATE_LIMIT_PREFIX")
    if configured:
        return configured
    database = config["SQLALCHEMY_DATABASE_URI"].encode()
    return "inquick-" + hashlib.sha256(database).hexdigest()[:12]


def init_app(app):
    app.extensions["rate_limits"] = Counting(
        app.config.get("REDIS_URL"), deployment_prefix(app.config)
    )
    app.after_request(add_headers)


def spend(caller, limit):
    """Count one request of `caller`; `RateLimitExceeded` past `limit` in this window."""
    allowed, window = current_app.extensions["rate_limits"].hit(limit, caller)
    reset = int(window.reset_time)
    g.allowance = Allowance(limit, window.remaining, reset)
    if not allowed:
        raise RateLimitExceeded(g.allowance, retry_after=max(1, reset - int(time.time())))


def key_limit(key):
    """The requests a minute a key may make: its own limit, or the deployment's default."""
    return key.rate_limit or current_app.config["RATE_LIMIT"]


def spend_from_pool(kind, key_id, publishable, limit):
    """Count one request of a key's `kind` against `limit` a minute.

    A secret key's requests share one pool. A publishable key's are counted apart for each
    client address (a keyed digest of it, an IPv6 client's /64), with the whole limit each,
    so that no patient, or abuser, can spend the allowance of the rest of its page's
    patients; and all of them together against a ceiling of `limit` times
    `PUBLISHABLE_KEY_CEILING_FACTOR`, so that many addresses cannot use the key without
    bound. The address's pool is counted first: a client past its own limit spends
    nothing of everyone's ceiling. The headers tell whichever has less left.
    """
    if not publishable:
        spend(f"{kind}:{key_id}", limit)
        return
    spend(f"{kind}:{key_id}:address:{request_client_digest()}", limit)
    own = g.allowance
    ceiling = limit * current_app.config["PUBLISHABLE_KEY_CEILING_FACTOR"]
    spend(f"{kind}:{key_id}", ceiling)
    if own.remaining <= g.allowance.remaining:
        g.allowance = own


def spend_for_key(key):
    spend_from_pool("key", key.id, key.publishable, key_limit(key))


def spend_for_bookings(key_id, *, publishable):
    """Count a booking attempt against the key that issued its visit token.

    Each partner's bookings have a pool of their own: no partner can use up another's.
    """
    spend_from_pool("bookings", key_id, publishable, current_app.config["BOOKING_RATE_LIMIT"])


def spend_for_replays(key_id, *, publishable):
    """Count a replay of a token that booked: the issuing key's own, at the default limit."""
    spend_from_pool("replays", key_id, publishable, current_app.config["RATE_LIMIT"])


def spend_for_lookup(key):
    """Count a lookup by booking reference against the client's address and the key: a
    guesser must go slowly however many addresses or keys it holds. A publishable key's
    lookups are its patients', each client address with a share of its own (and the
    key's ceiling over them all), so that one client cannot use up every patient's."""
    spend(f"lookups:address:{request_client_digest()}", current_app.config["LOOKUP_RATE_LIMIT"])
    limit = current_app.config["KEY_LOOKUP_RATE_LIMIT"]
    spend_from_pool("lookups:key", key.id, key.publishable, limit)


def spend_for_address():
    spend(f"address:{request_client_digest()}", current_app.config["RATE_LIMIT"])


def add_headers(response):
    allowance = g.get("allowance")
    if allowance is not None:
        response.headers.extend(
            {k: v for k, v in allowance.headers().items() if k not in response.headers}
        )
    return response

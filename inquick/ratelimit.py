"""Rate limits: a fixed one-minute window per caller, shared through Redis when configured.

The caller is the API key (its own limit, or the default), the health system for
token-authenticated bookings, or the client address when no credential was accepted
(so guessing keys is limited too). Counting is one atomic INCR per request, so the
limit holds across every server process sharing the Redis; without REDIS_URL each
process counts on its own.
"""

import threading
import time
from dataclasses import dataclass

from flask import current_app, g, request

from inquick.jsonapi.errors import RateLimited

WINDOW_SECONDS = 60


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


class MemoryCounter:
    """Counts per process; enough for one process or a development server."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}

    def hit(self, name, window):
        with self.lock:
            # Forget earlier windows so the dictionary stays small.
            self.counts = {k: v for k, v in self.counts.items() if k[1] >= window}
            count = self.counts.get((name, window), 0) + 1
            self.counts[(name, window)] = count
            return count


class RedisCounter:
    """Counts in Redis, shared by every process that uses the same server."""

    def __init__(self, url):
        import redis

        self.client = redis.Redis.from_url(url)

    def hit(self, name, window):
        key = f"inquick:rate:{name}:{window}"
        pipeline = self.client.pipeline()
        pipeline.incr(key)
        pipeline.expire(key, WINDOW_SECONDS * 2)
        count, _ = pipeline.execute()
        return count


def init_app(app):
    url = app.config.get("REDIS_URL")
    app.extensions["rate_counter"] = RedisCounter(url) if url else MemoryCounter()
    app.after_request(add_headers)


def spend(caller, limit):
    """Count one request of `caller`; 429 past `limit` in this window."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    count = current_app.extensions["rate_counter"].hit(caller, window)
    reset = (window + 1) * WINDOW_SECONDS
    g.allowance = Allowance(limit, limit - count, reset)
    if count > limit:
        retry_after = max(1, int(reset - now))
        raise RateLimited(
            f"Over the limit of {limit} requests a minute; retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after), **g.allowance.headers()},
        )


def spend_for_key(key):
    spend(f"key:{key.id}", key.rate_limit or current_app.config["RATE_LIMIT"])


def spend_for_bookings(tenant):
    spend(f"bookings:{tenant.id}", current_app.config["BOOKING_RATE_LIMIT"])


def spend_for_address():
    spend(f"address:{request.remote_addr}", current_app.config["RATE_LIMIT"])


def add_headers(response):
    allowance = g.get("allowance")
    if allowance is not None:
        response.headers.extend(
            {k: v for k, v in allowance.headers().items() if k not in response.headers}
        )
    return response

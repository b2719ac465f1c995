"""Rate limits: headers on every API response, 429 past the limit, shared through Redis."""

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from sqlalchemy import select

from inquick.models import ApiKey
from inquick.ratelimit import RedisCounter
from tests.live_server import serve

REDIS_URL = "redis://127.0.0.1:6379/15"


def test_every_api_response_carries_the_headers(api):
    first = api.get("/services")
    second = api.get("/services")
    assert first.headers["X-RateLimit-Limit"] == "300"
    assert int(first.headers["X-RateLimit-Remaining"]) == 299
    assert int(second.headers["X-RateLimit-Remaining"]) == 298
    reset = int(first.headers["X-RateLimit-Reset"])
    assert time.time() < reset <= time.time() + 60
    for refused in (api.get("/services/nowhere"), api.get("/services", {"sort": "nope"})):
        assert refused.status_code in (400, 404)
        assert refused.headers["X-RateLimit-Limit"] == "300"


def test_a_keys_own_limit_and_the_429(api, session):
    key = session.scalar(select(ApiKey))
    key.rate_limit = 3
    session.flush()
    statuses = [api.get("/services").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = api.get("/services")
    assert refused.status_code == 429
    [error] = refused.json["errors"]
    assert error["code"] == "rate-limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"


def test_failed_attempts_are_limited_by_address(app, client, tenant, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMIT", 5)
    headers = {"Authorization": "iq_live_guessing"}
    statuses = [
        client.get("/api/v3/tenant-a.example.org/services", headers=headers).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]


def test_guessed_visit_tokens_are_limited_by_address(app, client, tenant, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMIT", 3)
    guesses = [{"Authorization": "Bearer not.a.token"}, {}, {"Authorization": "Bearer x"}, {}]
    statuses = [
        client.post("/api/v3/tenant-a.example.org/visits", headers=headers).status_code
        for headers in guesses
    ]
    assert statuses == [401, 401, 401, 429]


@pytest.fixture
def shared_redis():
    """A Redis database for this test, emptied of rate counters first and after."""
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter("inquick:rate:*"):
        client.delete(key)
    yield client
    for key in client.scan_iter("inquick:rate:*"):
        client.delete(key)
    client.close()


def test_the_limit_is_shared_by_two_server_processes(tmp_path, shared_redis):
    environment = {"REDIS_URL": REDIS_URL, "INQUICK_RATE_LIMIT": "300"}
    with serve(tmp_path, workers=2, environment=environment) as server:
        # Keep the 301 requests inside one minute's window.
        if time.time() % 60 > 40:
            time.sleep(61 - time.time() % 60)
        for key in shared_redis.scan_iter("inquick:rate:*"):  # the start-up probes
            shared_redis.delete(key)
        # Four clients at once keep both worker processes busy.
        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = list(pool.map(lambda _n: server.get("/services")[0], range(301)))
        processes = {
            json.loads(line)["process"]
            for line in server.log().splitlines()
            if line.startswith("{") and '"route"' in line
        }
    assert Counter(statuses) == {200: 300, 429: 1}
    assert len(processes) == 2, "both worker processes served requests"


def test_redis_counts_atomically_across_clients(shared_redis):
    one, two = RedisCounter(REDIS_URL), RedisCounter(REDIS_URL)
    counts = [counter.hit("key:test", 1) for counter in (one, two, one, two)]
    assert counts == [1, 2, 3, 4]
    assert shared_redis.ttl("inquick:rate:key:test:1") > 0

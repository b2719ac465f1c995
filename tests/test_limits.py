"""Rate limits: headers on every API response, 429 past the limit, shared through Redis."""

import json
import signal
import socket
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import redis
from sqlalchemy import select

from inquick import ratelimit
from inquick.models import ApiKey
from inquick.ratelimit import Counting, LocalWindows, deployment_prefix
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


def test_addresses_are_counted_by_a_keyed_digest_never_as_they_are(app, client, tenant):
    """The counters' names (Redis keys, when Redis counts) never hold a client's address."""
    address = "203.0.113.77"
    for path in ("/services", "/bookings/7KQ2-M9XD-4HTR"):
        client.get(f"/api/v3/tenant-a.example.org{path}", headers={"Authorization": "iq_live_x"},
                   environ_base={"REMOTE_ADDR": address})  # fmt: skip
    callers = list(app.extensions["rate_limits"].memory.windows)
    assert any(caller.startswith("address:") for caller in callers)
    assert not any(address in caller for caller in callers)


def test_guessed_visit_tokens_are_limited_by_address(app, client, tenant, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMIT", 3)
    guesses = [{"Authorization": "Bearer not.a.token"}, {}, {"Authorization": "Bearer x"}, {}]
    statuses = [
        client.post("/api/v3/tenant-a.example.org/visits", headers=headers).status_code
        for headers in guesses
    ]
    assert statuses == [401, 401, 401, 429]


PREFIX = "inquick-test-limits"


@pytest.fixture
def shared_redis():
    """A Redis database for this test, emptied of this test's rate counters first and after."""
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{PREFIX}*"):
        client.delete(key)
    yield client
    for key in client.scan_iter(f"{PREFIX}*"):
        client.delete(key)
    client.close()


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def test_a_window_in_memory_counts_to_its_limit_and_ends_a_minute_after_it_began():
    clock = Clock(1_000.0)
    windows = LocalWindows(clock=clock)
    answers = [windows.hit(3, "key:1") for _ in range(4)]
    assert [allowed for allowed, _ in answers] == [True, True, True, False]
    assert [w.remaining for _, w in answers] == [2, 1, 0, 0]
    assert {w.reset_time for _, w in answers} == {1_060.0}
    assert windows.hit(3, "key:2")[0], "each caller has a window of its own"
    clock.now = 1_059.9
    assert not windows.hit(3, "key:1")[0]
    clock.now = 1_060.0
    allowed, window = windows.hit(3, "key:1")
    assert allowed and window.remaining == 2 and window.reset_time == 1_120.0


def test_windows_in_memory_stay_bounded_and_drop_ended_ones_first():
    clock = Clock(0.0)
    windows = LocalWindows(size=3, clock=clock)
    windows.hit(1, "old")
    clock.now = 30.0
    windows.hit(1, "a")
    windows.hit(1, "b")
    clock.now = 61.0  # "old" has ended; "a" and "b" have not
    windows.hit(1, "c")
    assert set(windows.windows) == {"a", "b", "c"}
    assert not windows.hit(1, "a")[0], "a live window is kept, with its count"
    windows.hit(1, "d")  # full of live windows: the oldest goes
    assert set(windows.windows) == {"b", "c", "d"}


def test_the_limit_is_shared_by_two_server_processes(tmp_path, shared_redis):
    environment = {
        "REDIS_URL": REDIS_URL, "INQUICK_RATE_LIMIT": "300", "INQUICK_RATE_LIMIT_PREFIX": PREFIX,
    }  # fmt: skip
    with serve(tmp_path, workers=2, environment=environment) as server:
        for key in shared_redis.scan_iter(f"{PREFIX}*"):  # the start-up probes
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
    one, two = Counting(REDIS_URL, PREFIX), Counting(REDIS_URL, PREFIX)
    left = [counting.hit(10, "key:test")[1].remaining for counting in (one, two, one, two)]
    assert left == [9, 8, 7, 6]
    [stored] = shared_redis.keys(f"{PREFIX}*")
    assert 0 < shared_redis.ttl(stored) <= 60


def test_deployments_sharing_a_redis_count_apart(shared_redis):
    """Key ids repeat across deployments: a prefix of each one's own keeps counts apart."""
    first = Counting(REDIS_URL, f"{PREFIX}-one")
    second = Counting(REDIS_URL, f"{PREFIX}-two")
    assert first.hit(5, "key:1")[1].remaining == 4
    assert second.hit(5, "key:1")[1].remaining == 4
    assert first.hit(5, "key:1")[1].remaining == 3


def test_the_default_prefix_is_drawn_from_the_database():
    def prefix(url, configured=None):
        return deployment_prefix({"SQLALCHEMY_DATABASE_URI": url, "RATE_LIMIT_PREFIX": configured})

    one = prefix("postgresql+psycopg://app:hunter2@db.example.org/clinic_one")
    assert one == prefix("postgresql+psycopg://app:hunter2@db.example.org/clinic_one")
    assert one != prefix("postgresql+psycopg://app:hunter2@db.example.org/clinic_two")
    assert "hunter2" not in one and "clinic" not in one
    assert prefix("sqlite:///x", configured="staging") == "staging"


# --- Redis stopping and stalling ------------------------------------------------------------


@contextmanager
def private_redis(port):
    """A redis-server of this test's own on `port`, killed when the block ends."""
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(port=port)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield process
    finally:
        process.kill()
        process.wait()
        client.close()


def counters(port):
    client = redis.Redis(port=port)
    try:
        return {key.decode(): int(client.get(key)) for key in client.keys("*")}
    finally:
        client.close()


@pytest.fixture
def redis_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_redis_degrades_counting_and_never_fails_a_request(
    app, api, redis_port, monkeypatch, caplog
):
    """Redis down once answered 500 to every keyed request; stalled, it held workers."""
    monkeypatch.setattr(ratelimit, "REDIS_RETRY_SECONDS", 0.2)
    counting = Counting(f"redis://127.0.0.1:{redis_port}/0", "outage")
    monkeypatch.setitem(app.extensions, "rate_limits", counting)
    with private_redis(redis_port) as server:
        assert [api.get("/services").status_code for _ in range(3)] == [200] * 3
        assert list(counters(redis_port).values()) == [3]
        assert api.client.get("/readyz").json["meta"]["status"] == "ready"
        server.kill()
        server.wait()
    # Down: every request is answered, still limited (in memory), and said once in the log.
    with caplog.at_level("WARNING", logger="inquick.ratelimit"):
        down = [api.get("/services") for _ in range(5)]
    assert [answer.status_code for answer in down] == [200] * 5
    assert all("X-RateLimit-Remaining" in answer.headers for answer in down)
    [said] = [r.message for r in caplog.records if r.name == "inquick.ratelimit"]
    assert "Redis is unreachable" in said
    ready = api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json["meta"]["status"] == "degraded"
    # Back: after the retry delay, counts resume in Redis.
    with private_redis(redis_port):
        time.sleep(0.3)
        assert api.get("/services").status_code == 200
        assert api.get("/services").status_code == 200
        assert list(counters(redis_port).values()) == [2]
        assert api.client.get("/readyz").json["meta"]["status"] == "ready"


def test_a_stalled_redis_is_given_up_on_and_the_request_served(app, api, redis_port, monkeypatch):
    """A paused Redis accepts connections and never answers: reads time out, then memory."""
    counting = Counting(f"redis://127.0.0.1:{redis_port}/0", "stall")
    monkeypatch.setitem(app.extensions, "rate_limits", counting)
    with private_redis(redis_port) as server:
        assert api.get("/services").status_code == 200
        server.send_signal(signal.SIGSTOP)
        try:
            answers = [api.get("/services") for _ in range(3)]
            ready = api.client.get("/readyz")
        finally:
            server.send_signal(signal.SIGCONT)
    assert [answer.status_code for answer in answers] == [200] * 3
    assert counting.degraded
    assert ready.status_code == 200 and ready.json["meta"]["status"] == "degraded"

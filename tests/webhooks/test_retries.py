"""Retries: exponential backoff with jitter for more than a day, then failed; an endpoint
whose every attempt fails for 3 days is disabled and says why."""

import random
from datetime import timedelta
from itertools import pairwise

import pytest

from inquick.models.base import as_utc
from inquick.webhooks import retries
from inquick.webhooks.delivery import Attempt
from inquick.webhooks.retries import (
    ATTEMPTS,
    DISABLE_AFTER,
    JITTER,
    next_attempt,
    nominal_wait,
    shortest_retry_window,
    wait_after,
)
from inquick.webhooks.worker import drain
from tests import factories
from tests.webhooks.conftest import deliveries


def test_the_wait_doubles_from_30_seconds_up_to_8_hours():
    waits = [nominal_wait(n) for n in range(1, ATTEMPTS)]
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert all(b == min(a * 2, timedelta(hours=8)) for a, b in pairwise(waits))
    assert waits[-1] == timedelta(hours=8)


def test_each_wait_is_jittered_within_a_quarter_below_its_nominal_value():
    rng = random.Random(17)
    for attempt in range(1, ATTEMPTS):
        drawn = {wait_after(attempt, rng) for _ in range(50)}
        assert len(drawn) > 40  # random, not one fixed value
        nominal = nominal_wait(attempt)
        assert all(nominal * (1 - JITTER) <= wait <= nominal for wait in drawn)


def test_even_the_shortest_draws_keep_trying_for_more_than_a_day():
    always_shortest = type("Shortest", (), {"random": staticmethod(lambda: 1.0)})()
    total = sum((wait_after(n, always_shortest) for n in range(1, ATTEMPTS)), timedelta())
    assert total == shortest_retry_window()
    assert total >= timedelta(days=1)


def test_after_the_last_attempt_there_is_no_next_one(clock):
    assert next_attempt(ATTEMPTS - 1, clock.now) > clock.now
    assert next_attempt(ATTEMPTS, clock.now) is None


def failing(status=500):
    """A `send` whose receiver always answers `status`, recording the attempts."""

    def send(url, body, headers, *, allow_loopback, timeout):
        send.attempts.append(headers["webhook-id"])
        return Attempt(status, 12, f"HTTP {status}")

    send.attempts = []
    return send


def answering(*statuses):
    """A `send` answered with `statuses` in turn."""
    queue = list(statuses)

    def send(url, body, headers, *, allow_loopback, timeout):
        status = queue.pop(0)
        return Attempt(status, 3, None if status < 300 else f"HTTP {status}")

    return send


@pytest.fixture
def endpoint(tenant):
    return factories.WebhookEndpointFactory(health_system_id=tenant.id)


def queued(endpoint, clock):
    """An event with one delivery to `endpoint`, due at the clock's time."""
    event = factories.WebhookEventFactory(health_system_id=endpoint.health_system_id)
    return factories.WebhookDeliveryFactory(
        endpoint=endpoint, event=event, created_at=clock.now, next_attempt_at=clock.now
    )


def test_a_delivery_that_keeps_failing_is_tried_over_more_than_a_day_then_failed(
    session, endpoint, clock, settings
):
    delivery = queued(endpoint, clock)
    send, first = failing(), clock.now
    times = []
    while True:
        assert drain(session, settings, clock=clock, send=send) == 1
        times.append(clock.now)
        [row] = deliveries(session)
        if row.status == "failed":
            break
        assert row.status == "pending" and row.attempts == len(times)
        assert drain(session, settings, clock=clock, send=send) == 0  # not due yet
        clock.now = as_utc(row.next_attempt_at)
    assert len(send.attempts) == ATTEMPTS and set(send.attempts) == {delivery.event_id}
    assert (row.attempts, row.response_code, row.last_error) == (ATTEMPTS, 500, "HTTP 500")
    assert row.next_attempt_at is None
    assert times[-1] - first >= timedelta(days=1)
    gaps = [b - a for a, b in pairwise(times)]
    assert gaps[0] < gaps[5] < gaps[9]  # backing off
    assert drain(session, settings, clock=clock.advance(days=30), send=send) == 0


def test_an_endpoint_failing_for_three_days_is_disabled_and_says_why(
    session, endpoint, clock, settings, manager
):
    send = failing(503)
    for day in range(4):
        queued(endpoint, clock)
        drain(session, settings, clock=clock, send=send)
        session.refresh(endpoint)
        if clock.now - as_utc(endpoint.failing_since) < DISABLE_AFTER:
            assert endpoint.enabled, f"disabled after {day} days"
        clock.advance(days=1)
    assert not endpoint.enabled
    assert "every delivery attempt failed for 3 days" in endpoint.disabled_reason
    shown = manager.get(f"/webhook-endpoints/{endpoint.id}").json["data"]["attributes"]
    assert shown["enabled"] is False
    assert shown["disabled-reason"] == endpoint.disabled_reason
    # Disabled: nothing more is sent to it, even what is due.
    attempts = len(send.attempts)
    queued(endpoint, clock)
    assert drain(session, settings, clock=clock.advance(days=1), send=send) == 0
    assert len(send.attempts) == attempts


def test_a_success_ends_the_failing_streak(session, endpoint, clock, settings):
    queued(endpoint, clock)
    drain(session, settings, clock=clock, send=answering(500))
    session.refresh(endpoint)
    assert as_utc(endpoint.failing_since) == clock.now
    clock.advance(days=2, hours=23)
    drain(session, settings, clock=clock, send=answering(200))
    session.refresh(endpoint)
    assert endpoint.failing_since is None and endpoint.enabled
    queued(endpoint, clock.advance(hours=2))
    drain(session, settings, clock=clock, send=answering(500))
    session.refresh(endpoint)
    assert endpoint.enabled  # failing for minutes now, not for days


def test_the_schedule_is_the_module_s(monkeypatch, session, endpoint, clock, settings):
    """The worker reads the module's numbers: three attempts, and it gives up."""
    monkeypatch.setattr(retries, "ATTEMPTS", 3)
    queued(endpoint, clock)
    send = failing()
    for _ in range(5):
        drain(session, settings, clock=clock, send=send)
        clock.advance(hours=9)
    assert len(send.attempts) == 3
    assert deliveries(session)[0].status == "failed"

"""The worker: a lease outlasts the batch it claims (a shorter one is refused), an attempt
ends by its deadline, and nothing an attempt raises stops the worker."""

import logging
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from inquick import cli
from inquick.webhooks.delivery import TIMEOUT, Attempt
from inquick.webhooks.worker import LeaseTooShort, WorkerSettings, drain
from tests import factories
from tests.webhooks.conftest import deliveries
from tests.webhooks.receiver import trickling


def queue_to(tenant, clock, url):
    """An endpoint at `url` with one delivery due at the clock's time."""
    endpoint = factories.WebhookEndpointFactory(health_system_id=tenant.id, url=url)
    event = factories.WebhookEventFactory(health_system_id=tenant.id)
    factories.WebhookDeliveryFactory(endpoint=endpoint, event=event, next_attempt_at=clock.now)
    return endpoint


def test_the_default_lease_comfortably_outlasts_a_batch():
    settings = WorkerSettings(batch=10)
    assert settings.worst_case >= timedelta(seconds=10 * TIMEOUT)
    assert settings.lease >= 2 * settings.worst_case


def test_a_lease_shorter_than_a_batch_s_worst_case_is_refused():
    with pytest.raises(LeaseTooShort, match="shorter than a batch's worst case, 110 s"):
        WorkerSettings(batch=10, lease=timedelta(seconds=100))
    assert WorkerSettings(batch=10, lease=timedelta(seconds=110)).lease.total_seconds() == 110


def test_the_worker_command_refuses_such_a_lease(app):
    runner = CliRunner()
    refused = runner.invoke(
        cli.main, ["worker", "--once", "--lease-seconds", "30"],
        obj=ScriptInfo(create_app=lambda: app),
    )  # fmt: skip
    assert refused.exit_code == 2
    assert "Invalid value for '--lease-seconds': 30 s is shorter than" in refused.output
    assert "Give at least 110 s" in refused.output


def test_an_attempt_ends_a_failure_at_its_deadline(session, tenant, clock):
    """A receiver trickling its headers: the attempt is recorded as timed out after about
    the deadline, well within the lease."""
    settings = WorkerSettings(timeout=1.0, allow_loopback=True)
    with trickling(interval=0.2) as url:
        queue_to(tenant, clock, url)
        started = time.monotonic()
        assert drain(session, settings, clock=clock) == 1
        took = time.monotonic() - started
    [row] = deliveries(session)
    assert (row.status, row.attempts, row.response_code, row.last_error) == (
        "pending", 1, None, "timed out",
    )  # fmt: skip
    assert 900 <= row.duration_ms < 1600
    assert took < 2, took


def test_an_attempt_that_raises_is_a_failed_attempt(session, tenant, clock, settings, caplog):
    """One endpoint whose attempt raises (whatever the reason) fails that attempt; the
    batch goes on, and the log names the exception's type, never the URL's path."""
    broken = queue_to(tenant, clock, "https://93.184.216.34/hooks/secret-path?token=abc")
    clock.advance(seconds=1)
    fine = queue_to(tenant, clock, "https://93.184.216.35/hooks")

    def send(url, body, headers, *, allow_loopback, timeout):
        if url == broken.url:
            raise ValueError(f"cannot send to {url}")
        return Attempt(204, 5)

    with caplog.at_level(logging.INFO, logger="inquick.webhooks"):
        assert drain(session, settings, clock=clock, send=send) == 2
    by_endpoint = {row.endpoint_id: row for row in deliveries(session)}
    failed, delivered = by_endpoint[broken.id], by_endpoint[fine.id]
    assert (failed.status, failed.attempts, failed.last_error) == (
        "pending", 1, "failed unexpectedly (ValueError)",
    )  # fmt: skip
    assert failed.next_attempt_at is not None  # tried again later, like any failure
    assert (delivered.status, delivered.response_code) == ("succeeded", 204)
    logged = repr(
        [(record.getMessage(), getattr(record, "fields", None)) for record in caplog.records]
    )
    assert "failed unexpectedly (ValueError)" in logged
    assert "secret-path" not in logged and "token" not in logged

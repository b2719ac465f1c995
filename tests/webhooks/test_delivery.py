"""One attempt has one deadline for all it does: a slow lookup, addresses that never accept,
or a receiver trickling its answer cannot keep it open past the deadline; and a stored URL
that http.client would refuse is a failed attempt, not an exception."""

import ipaddress
import socket
import threading
import time
from datetime import UTC, datetime

import pytest

from inquick.webhooks import addresses
from inquick.webhooks.delivery import post
from inquick.webhooks.signing import new_secret, signed_headers
from tests.webhooks.conftest import endpoint_document
from tests.webhooks.receiver import trickling

SLOW_HOST = "slow.example.org"


def headers_for(body):
    return signed_headers(new_secret(), "msg_test", body, datetime.now(UTC))


def timed_post(url, timeout):
    """(the `Attempt` of POSTing `{}` to `url` within `timeout`, how many seconds it took)."""
    started = time.monotonic()
    attempt = post(url, b"{}", headers_for(b"{}"), allow_loopback=True, timeout=timeout)
    return attempt, time.monotonic() - started


@pytest.fixture
def slow_dns(monkeypatch):
    """A resolver that does not answer for SLOW_HOST until the test is over."""
    original = socket.getaddrinfo
    released = threading.Event()

    def getaddrinfo(host, *args, **kwargs):
        if host == SLOW_HOST:
            released.wait(30)
            raise socket.gaierror(socket.EAI_AGAIN, "no answer")
        return original(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
    released.set()


def test_an_answer_trickled_a_header_at_a_time_is_cut_off_at_the_deadline():
    """Each header line comes well within a socket timeout; the attempt still ends, a
    failure, when its deadline passes."""
    with trickling(interval=0.2) as url:
        attempt, took = timed_post(url, timeout=1.0)
    assert (attempt.status, attempt.error) == (None, "timed out")
    assert 0.9 <= took < 1.6, took
    assert 900 <= attempt.duration_ms < 1600


def test_a_lookup_that_does_not_answer_is_cut_off_at_the_deadline(slow_dns):
    attempt, took = timed_post(f"http://{SLOW_HOST}:8080/hook", timeout=0.5)
    assert attempt.status is None
    assert attempt.error == "refused: the URL names a host whose lookup timed out."
    assert took < 1.0, took


def test_the_api_gives_a_url_s_lookup_a_few_seconds(manager, slow_dns, monkeypatch):
    monkeypatch.setattr(addresses, "LOOKUP_TIMEOUT", 0.3)
    started = time.monotonic()
    response = manager.post("/webhook-endpoints", endpoint_document(f"https://{SLOW_HOST}/"))
    took = time.monotonic() - started
    assert response.status_code == 422, response.json
    [error] = response.json["errors"]
    assert error["detail"] == "url names a host whose lookup timed out."
    assert error["source"] == {"pointer": "/data/attributes/url"}
    assert took < 2, took


def test_the_addresses_of_a_host_share_the_deadline(monkeypatch):
    """Three addresses that never accept: the attempt gives up when its time is up, not
    after a full timeout for each."""
    found = [ipaddress.ip_address(f"127.0.0.{n}") for n in (2, 3, 4)]
    monkeypatch.setattr(addresses, "resolve", lambda host, port, timeout: found)
    given = []

    def never_accepts(address, timeout=None, *args, **kwargs):
        given.append(timeout)
        time.sleep(timeout)
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket, "create_connection", never_accepts)
    attempt, took = timed_post("http://unanswered.invalid:8080/hook", timeout=0.6)
    assert (attempt.status, attempt.error) == (None, "timed out")
    assert took < 1.0, took
    assert sum(given) <= 0.6


@pytest.mark.parametrize("host", ["receiver .invalid", "receiver\x7f.invalid"])
def test_a_stored_url_http_client_would_refuse_is_a_failed_attempt(receiver, monkeypatch, host):
    """A URL stored before the host rule (or written to the table by hand) fails its attempt;
    it does not raise out of `post`, into the worker."""
    loopback = [ipaddress.ip_address("127.0.0.1")]
    monkeypatch.setattr(addresses, "resolve", lambda host, port, timeout: loopback)
    url = f"http://{host}:{receiver.port}/hook"
    attempt = post(url, b"{}", headers_for(b"{}"), allow_loopback=True, timeout=5)
    assert attempt.status is None and attempt.error.startswith("refused: the URL must have no")
    assert receiver.received == []

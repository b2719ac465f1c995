"""Deliveries are signed per Standard Webhooks: the `standardwebhooks` package verifies
them with the endpoint's secret, and refuses a changed body, another secret or an old
signature."""

import base64
import hashlib
import hmac
import math
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from standardwebhooks import Webhook, WebhookVerificationError

from inquick.webhooks import signing
from inquick.webhooks.signing import new_secret, signed_headers

BODY = b'{"type":"visit.booked","timestamp":"2026-12-06T10:00:00Z","data":{"visit":"a"}}'


def test_a_secret_is_whsec_and_32_random_bytes():
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


def test_the_headers_verify_with_the_standardwebhooks_package():
    secret = new_secret()
    headers = signed_headers(secret, "msg_0123", BODY, datetime.now(UTC))
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-id"] == "msg_0123"
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(BODY, headers)["data"] == {"visit": "a"}


@pytest.mark.parametrize(
    "spoil",
    [
        lambda secret, headers, body: (secret, headers, body.replace(b'"a"', b'"b"')),
        lambda secret, headers, body: (new_secret(), headers, body),
        lambda secret, headers, body: (secret, {**headers, "webhook-id": "msg_other"}, body),
    ],
    ids=["changed body", "other secret", "other message id"],
)
def test_a_changed_delivery_does_not_verify(spoil):
    secret = new_secret()
    headers = signed_headers(secret, "msg_0123", BODY, datetime.now(UTC))
    key, sent_headers, body = spoil(secret, headers, BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(key).verify(body, sent_headers)


def test_a_signature_of_long_ago_does_not_verify():
    """Signed when sent: a request captured and replayed later is refused."""
    secret = new_secret()
    headers = signed_headers(secret, "msg_0123", BODY, datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(BODY, headers)


class SignsLikeVersion11(Webhook):
    """`Webhook.sign` as standardwebhooks 1.1.0 had it: the payload formatted into the
    signed text, so bytes were signed by their repr (`b'...'`)."""

    def sign(self, msg_id, timestamp, data):
        signed = f"{msg_id}.{math.floor(timestamp.timestamp())}.{data}".encode()
        digest = hmac.new(self._whsecret, signed, hashlib.sha256).digest()
        return f"v1,{base64.b64encode(digest).decode()}"


def test_the_signature_does_not_depend_on_how_the_package_signs_bytes(monkeypatch):
    monkeypatch.setattr(signing, "Webhook", SignsLikeVersion11)
    secret = new_secret()
    headers = signed_headers(secret, "msg_0123", BODY, datetime.now(UTC))
    assert Webhook(secret).verify(BODY, headers)["data"] == {"visit": "a"}


def test_the_package_is_one_that_signs_bytes_as_they_are():
    pyproject = Path(__file__).parents[2] / "pyproject.toml"
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    [pinned] = [r for r in map(Requirement, dependencies) if r.name == "standardwebhooks"]
    assert not pinned.specifier.contains("1.1.0")
    assert pinned.specifier.contains("1.3.0")

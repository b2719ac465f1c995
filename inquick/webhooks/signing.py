"""Signing deliveries per Standard Webhooks, with the `standardwebhooks` package.

Each endpoint has its own secret, `whsec_` and 32 random bytes in base64; a delivery
carries `webhook-id` (the event's id, the same on every attempt), `webhook-timestamp`
(when this attempt was signed, in Unix seconds) and `webhook-signature` (`v1,` and the
HMAC-SHA256 of `id.timestamp.body`), which `standardwebhooks.Webhook(secret).verify`
checks on the receiving side.
"""

import base64
import math
import secrets

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret():
    """A fresh endpoint secret, shown to the partner once."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signed_headers(secret, message_id, body, at):
    """The Standard Webhooks headers of `body` (UTF-8 bytes) sent as message `message_id`
    at the aware datetime `at`."""
    # Signed as text, which every version of the package signs as its UTF-8 bytes: given
    # bytes, standardwebhooks 1.1.0 signed their repr (b'...'), which no receiver verifies.
    signature = Webhook(secret).sign(message_id, at, body.decode())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(math.floor(at.timestamp())),
        "webhook-signature": signature,
    }

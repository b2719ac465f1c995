"""A client's address as inquick keeps it: a keyed digest, never the address itself.

Holds are bounded per client address, and publishable keys are rate limited per client
address; neither needs the address, only a way to tell one from another. A digest keyed
with the deployment's secret cannot be turned back into the address by trying them all.
"""

import hashlib
import hmac

from flask import current_app, request

from inquick.config import token_secret


def client_digest(address, secret):
    """The keyed digest of `address` (the text keyed is the one holds first stored: a new
    one would forget whose the holds live at a deploy are)."""
    keyed = hmac.new(secret.encode(), f"hold client {address}".encode(), hashlib.sha256)
    return keyed.hexdigest()[:32]


def request_client_digest():
    """The keyed digest of the address of the request's client."""
    return client_digest(request.remote_addr, token_secret(current_app))

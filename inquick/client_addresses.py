"""A client's address as inquick keeps it: a keyed digest, never the address itself.

Holds are bounded per client address, and publishable keys are rate limited per client
address; neither needs the address, only a way to tell one from another. A digest keyed
with the deployment's secret cannot be turned back into the address by trying them all.

An IPv6 address is counted by its /64, not whole: one host is commonly given a /64 and
can send from any of its 2**64 addresses, which would make every per-address bound
meaningless. An IPv4 address is its own /32.
"""

import hashlib
import hmac
import ipaddress

from flask import current_app, request

from inquick.config import token_secret

# The prefix an IPv6 client is counted by: the usual size of one host's or one site's LAN.
IPV6_PREFIX = 64


def counted_address(address):
    """The part of `address` a client is counted by: an IPv4 address as it is (an IPv6
    address mapped from one, as the IPv4 address), an IPv6 address's /64 (`2001:db8::/64`),
    and anything that is not an address (a Unix socket's) unchanged."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6 and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    if parsed.version == 4:
        return str(parsed)
    return str(ipaddress.IPv6Network((parsed, IPV6_PREFIX), strict=False))


def client_digest(address, secret):
    """The keyed digest of the client at `address` (its counted part, see above).

    The text keyed is the one holds first stored, and an IPv4 address keys the same text
    as before IPv6 was counted by /64: the holds live at a deploy go on counting against
    their address's bound instead of being forgotten.
    """
    text = f"hold client {counted_address(address)}"
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()[:32]


def request_client_digest():
    """The keyed digest of the request's client (for IPv6, of its /64)."""
    return client_digest(request.remote_addr, token_secret(current_app))

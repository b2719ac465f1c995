"""Where a webhook may be sent: public addresses only (no SSRF).

A URL is checked when an endpoint is written and again at every delivery, each time by
resolving its host and checking every address it resolves to; the delivery then connects
to an address it checked (`inquick.webhooks.delivery`), so a name that resolves to a
public address when checked and to a private one a moment later (DNS rebinding) cannot
send a request inside the network. Loopback is allowed only under the development
setting `INQUICK_WEBHOOKS_ALLOW_LOOPBACK`, which also allows plain `http`.

A refusal never names the address a host resolved to: the resolver is the deployment's,
and its answers for internal names are not the client's to learn.
"""

import ipaddress
import re
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

# Seconds a host's lookup may take when an endpoint is written (a delivery gives its
# lookup what is left of the attempt's time instead).
LOOKUP_TIMEOUT = 5.0
# What a host name is made of once in its DNS form; anything else (a space, a control
# character, a percent sign) is no host at all, and http.client would refuse to send.
HOST_NAME = re.compile(r"[A-Za-z0-9._-]+")
# Instance metadata services, named whatever range they fall in.
METADATA = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack…
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
}
NOT_PUBLIC = "resolves to an address that is not public; webhooks go to public addresses only."


class RefusedUrl(ValueError):
    """A URL no webhook may be sent to; the message says why, for the client."""


@dataclass(frozen=True)
class Target:
    """What a webhook URL names: the scheme, the host (an IPv6 literal without brackets),
    the port, and the path and query a request asks for."""

    scheme: str
    host: str
    port: int
    path: str


def read_url(url, *, allow_loopback):
    """The target of `url`, or `RefusedUrl`: https (http too under the development
    setting), a host, no user name or password, nothing that is not percent-encoded."""
    if not url.isprintable() or " " in url:
        # urlsplit would quietly drop a tab or a newline; a space is no part of any URL.
        raise RefusedUrl("must have no spaces or control characters (percent-encode them).")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RefusedUrl("is not a URL.") from None
    schemes = ("https", "http") if allow_loopback else ("https",)
    if parts.scheme not in schemes:
        raise RefusedUrl(f"must be an {' or '.join(schemes)} URL.")
    if not parts.hostname:
        raise RefusedUrl("must name a host.")
    if parts.username is not None or parts.password is not None:
        raise RefusedUrl("must not carry a user name or password.")
    host = host_name(parts.hostname)
    default = 443 if parts.scheme == "https" else 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not path.isascii():
        raise RefusedUrl("must have its path and query percent-encoded (ASCII only).")
    return Target(parts.scheme, host, port or default, path)


def host_name(hostname):
    """`hostname` as DNS has it (a name in any script, IDNA-encoded), or `RefusedUrl`
    unless it is letters, digits, '-', '_' and '.', or an IP address."""
    if ":" in hostname:  # an IPv6 literal; one with a zone (`fe80::1%eth0`) is not public
        try:
            address = ipaddress.IPv6Address(hostname)
        except ValueError:
            address = None
        if address is None or address.scope_id is not None:
            raise RefusedUrl("names a host that is not a valid IPv6 address.")
        return str(address)
    try:
        host = hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise RefusedUrl("names a host that is not a valid domain name.") from None
    if not HOST_NAME.fullmatch(host):
        raise RefusedUrl("names a host that is not a valid domain name.")
    return host


def refusal(address, *, allow_loopback):
    """Why a webhook may not go to `address` (an `ipaddress` address), or None."""
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:10.0.0.1 reaches 10.0.0.1
    if address.version == 6:
        # A 6to4 or Teredo address carries an IPv4 address that a gateway sends on to: it
        # is refused for whatever that one is refused for (loopback too: not ours).
        for carried in filter(None, (address.sixtofour, *(address.teredo or ()))):
            why = refusal(carried, allow_loopback=False)
            if why is not None:
                return why
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_link_local", "a link-local address"),
        ("is_site_local", "a site-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    )
    for check, described in checks:
        if getattr(address, check, False):  # only IPv6 addresses have is_site_local
            return described
    return None if address.is_global else "an address that is not public"


def resolve(host, port, *, timeout):
    """Every address `host` resolves to, in the resolver's order (a literal is itself), or
    `RefusedUrl` when it does not resolve within `timeout` seconds."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass  # a name: ask the resolver
    addresses = []
    for _family, _type, _protocol, _name, sockaddr in look_up(host, port, timeout):
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])  # no IPv6 zone
        if address not in addresses:
            addresses.append(address)
    return addresses


def look_up(host, port, timeout):
    """`socket.getaddrinfo` of `host`, given `timeout` seconds.

    The system resolver takes no timeout, so it runs in a daemon thread that is left to
    finish on its own when it is too slow: a stuck lookup holds up neither the caller nor
    a worker's exit.
    """
    answer = {}

    def ask():
        try:
            answer["found"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError):
            answer["found"] = None

    lookup = threading.Thread(target=ask, name="webhook-host-lookup", daemon=True)
    lookup.start()
    lookup.join(max(timeout, 0))
    if "found" not in answer:
        raise RefusedUrl("names a host whose lookup timed out.")
    if not answer["found"]:
        raise RefusedUrl(f"names a host that does not resolve ({host}).")
    return answer["found"]


def checked_addresses(target, *, allow_loopback, timeout):
    """The addresses of `target`'s host, each one allowed, or `RefusedUrl` if any is not:
    a name that resolves to a public and a private address is refused."""
    addresses = resolve(target.host, target.port, timeout=timeout)
    if any(refusal(address, allow_loopback=allow_loopback) for address in addresses):
        raise RefusedUrl(NOT_PUBLIC)
    return addresses


def check_url(url, *, allow_loopback):
    """`RefusedUrl` unless `url` is one a webhook may be sent to now."""
    target = read_url(url, allow_loopback=allow_loopback)
    checked_addresses(target, allow_loopback=allow_loopback, timeout=LOOKUP_TIMEOUT)

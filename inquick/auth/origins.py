"""Web origins a publishable key may be used from: parsed strictly, kept in one spelling.

A browser sends its page's origin in the `Origin` header as `scheme://host[:port]`, ASCII,
lower-case, without a default port (RFC 6454's serialization). Allowed origins are stored
in that same spelling, so that deciding whether a request's origin is allowed is a plain
comparison, never a parse of attacker-chosen text against a pattern.

Only `https` origins are accepted, except `http` on the loopback host (a developer's
machine, `make run`): a page served over plain HTTP elsewhere can be changed in transit,
and a key bound to it would be bound to whoever sits on the network. Wildcards are
refused: a key allowed everywhere is a key any site can take and spend.
"""

import ipaddress
import re

# How many origins one key may list, and how long one may be: a key serves a few sites.
MAX_ORIGINS = 20
MAX_LENGTH = 300
DEFAULT_PORTS = {"https": 443, "http": 80}
LOOPBACK_NAMES = ("localhost",)
# A DNS name in its ASCII form (an internationalized one in punycode, `xn--...`).
LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
SHAPE = re.compile(
    r"(?P<scheme>[a-z]+)://(?P<host>\[[0-9a-f:.]+\]|[^:/\[\]]+)(?::(?P<port>\d{1,5}))?/?"
)


class InvalidOrigin(ValueError):
    """Text that is not an origin a publishable key may be bound to; the message says why."""


def normalised_origin(text):
    """`text` as a browser's `Origin` header spells it, or `InvalidOrigin` saying why not."""
    if not isinstance(text, str) or not text.isascii():
        raise InvalidOrigin("must be ASCII text (an internationalized name in its xn-- form).")
    if len(text) > MAX_LENGTH:
        raise InvalidOrigin(f"must be at most {MAX_LENGTH} characters.")
    lowered = text.strip().lower()
    if "*" in lowered:
        raise InvalidOrigin("cannot hold a wildcard: list each origin.")
    if any(mark in lowered for mark in "@?#"):
        raise InvalidOrigin("must be scheme://host[:port], without user, query or fragment.")
    shape = SHAPE.fullmatch(lowered)
    if shape is None:
        raise InvalidOrigin("must be scheme://host[:port], without a path.")
    scheme, host = shape["scheme"], canonical_host(shape["host"])
    if scheme not in DEFAULT_PORTS:
        raise InvalidOrigin("must be an https:// origin.")
    if scheme == "http" and not is_loopback(host):
        raise InvalidOrigin("must be https:// (http:// only for localhost, 127.0.0.1 or [::1]).")
    port = shape["port"]
    if port is not None and not 0 < int(port) < 65536:
        raise InvalidOrigin("must have a port from 1 to 65535.")
    if port is None or int(port) == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{int(port)}"


def canonical_host(host):
    """An IP literal in its shortest form, or a DNS name checked label by label."""
    if host.startswith("["):
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            raise InvalidOrigin("has a malformed IPv6 address.") from None
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    if len(host) > 253 or not all(LABEL.fullmatch(label) for label in labels):
        raise InvalidOrigin("has a malformed host name.")
    return ".".join(labels)


def is_loopback(host):
    """Whether `host` (canonical) is this machine: `localhost`, 127.0.0.0/8 or [::1]."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def normalised_origins(texts):
    """Each origin of `texts` normalised, duplicates dropped, in the order given;
    `InvalidOrigin` naming the first that is not one, or for too many."""
    if len(texts) > MAX_ORIGINS:
        raise InvalidOrigin(f"can list at most {MAX_ORIGINS} origins.")
    found = {}
    for number, text in enumerate(texts, 1):
        try:
            found.setdefault(normalised_origin(text), None)
        except InvalidOrigin as invalid:
            named = repr(text) if isinstance(text, str) and len(text) <= 80 else f"entry {number}"
            raise InvalidOrigin(f"{named} {invalid}") from None
    return list(found)

"""One delivery attempt: an HTTP POST of an event's body to an endpoint, outside any
database transaction.

The host is resolved and every address checked (`inquick.webhooks.addresses`), then the
connection goes to an address that was checked, not to the name again, so DNS cannot
swap in another address in between; TLS still verifies the certificate for the name.
Redirects are not followed (a 3xx is a failure: the receiver's URL is the one it gave)
and no proxy from the environment is used.

An attempt has one deadline, TIMEOUT after it starts, for everything it does: the lookup,
connecting (to each address in turn), TLS, sending, and reading the answer's status line
and headers. Each step is given only what is left of it, so a receiver that answers a
byte at a time cannot keep an attempt open past it.
"""

import http.client
import io
import socket
import ssl
import time
from dataclasses import dataclass
from functools import partial

from inquick.webhooks.addresses import RefusedUrl, checked_addresses, read_url

TIMEOUT = 10.0  # seconds a whole attempt may take, from the lookup to the answer's headers
USER_AGENT = "inquick-webhooks/1"


@dataclass(frozen=True)
class Attempt:
    """How an attempt went: the HTTP status answered (None when none was), how long it
    took, and why it failed, in a few words (never the receiver's answer itself)."""

    status: int | None
    duration_ms: int
    error: str | None = None

    @property
    def succeeded(self):
        """Whether the receiver took the event (a 2xx)."""
        return self.status is not None and 200 <= self.status < 300


class Deadline:
    """The moment an attempt must be over by."""

    def __init__(self, seconds):
        self.ends = time.monotonic() + seconds

    def remaining(self):
        """The seconds left, for the next step's timeout; TimeoutError when none are."""
        left = self.ends - time.monotonic()
        if left <= 0:
            raise TimeoutError("the attempt's time is up")
        return left


class DeadlineReader(socket.SocketIO):
    """A socket's reading side that gives each read only what is left of `deadline`:
    a timeout per read alone would let a receiver trickle bytes for ever."""

    def __init__(self, sock, deadline):
        super().__init__(sock, "rb")
        self.deadline = deadline

    def readinto(self, buffer):
        """Read what has arrived, waiting no longer than the deadline."""
        self._sock.settimeout(self.deadline.remaining())
        return super().readinto(buffer)


class DeadlineResponse(http.client.HTTPResponse):
    """An HTTP response read off its socket against the attempt's `deadline`."""

    def __init__(self, sock, *args, deadline, **kwargs):
        super().__init__(sock, *args, **kwargs)
        self.fp.close()  # the plain reader http.client made; the socket stays open
        self.fp = io.BufferedReader(DeadlineReader(sock, deadline))


class PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to a checked `address`, for the URL's host and port, that does
    everything before `deadline`."""

    def __init__(self, host, port, address, deadline):
        super().__init__(host, port)
        self.address = address
        self.deadline = deadline
        self.response_class = partial(DeadlineResponse, deadline=deadline)

    def open_socket(self):
        """A TCP connection to the checked address, made within the time left."""
        remaining = self.deadline.remaining()
        return socket.create_connection((str(self.address), self.port), remaining)

    def connect(self):
        """Connect to the checked address (not to the name again)."""
        self.sock = self.open_socket()

    def send(self, data):
        """Send `data`, all of it within the time left (sendall's timeout is the whole)."""
        self.sock.settimeout(self.deadline.remaining())
        super().send(data)


class PinnedHTTPSConnection(PinnedHTTPConnection):
    """An HTTPS connection to a checked `address`, verifying the certificate of the host."""

    default_port = http.client.HTTPS_PORT

    def __init__(self, host, port, address, deadline):
        super().__init__(host, port, address, deadline)
        self.tls = ssl.create_default_context()

    def connect(self):
        """Connect to the checked address and complete TLS (one timeout for the handshake
        whole) within the time left."""
        raw = self.open_socket()
        try:
            raw.settimeout(self.deadline.remaining())
            self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def failure(error, started, status=None):
    """A failed `Attempt` that began at `started` (a `time.monotonic()` reading)."""
    return Attempt(status, round((time.monotonic() - started) * 1000), error)


def post(url, body, headers, *, allow_loopback, timeout=TIMEOUT):
    """POST `body` (bytes) to `url` with `headers` within `timeout` seconds in all; the
    `Attempt`, whatever happened."""
    started = time.monotonic()
    deadline = Deadline(timeout)
    try:
        target = read_url(url, allow_loopback=allow_loopback)
        addresses = checked_addresses(
            target, allow_loopback=allow_loopback, timeout=deadline.remaining()
        )
    except RefusedUrl as refused:
        return failure(f"refused: the URL {refused}"[:200], started)
    kind = PinnedHTTPSConnection if target.scheme == "https" else PinnedHTTPConnection
    last = "no address to connect to"
    # Each address in turn, as a client would, until one accepts the connection; all of
    # them share the attempt's time.
    for address in addresses:
        connection = kind(target.host, target.port, address, deadline)
        try:
            connection.connect()
        except OSError as error:
            connection.close()
            last = describe(error)
            continue
        try:
            return answered(connection, target.path, body, headers, started)
        finally:
            connection.close()
    return failure(last, started)


def answered(connection, path, body, headers, started):
    """Send the request on an open connection and read the status line and headers (the
    body is left unread: nothing in it is used, and a receiver could make it endless)."""
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
        )
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException, ValueError) as error:
        return failure(describe(error), started)
    if 200 <= status < 300:
        return Attempt(status, round((time.monotonic() - started) * 1000))
    why = f"redirect not followed (HTTP {status})" if 300 <= status < 400 else f"HTTP {status}"
    return failure(why, started, status)


def describe(error):
    """A few words for a failed connection or exchange."""
    if isinstance(error, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed: {error.reason or type(error).__name__}"[:200]
    if isinstance(error, http.client.HTTPException):
        return f"not an HTTP answer ({type(error).__name__})"
    return f"connection failed ({type(error).__name__})"

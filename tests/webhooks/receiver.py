"""A live webhook receiver: a real HTTP server on 127.0.0.1, in a thread, that records each
request and answers with the statuses it is given, in turn (then 200); and one that
trickles its answer for ever."""

import socket
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def webhook_id(self):
        return self.headers["webhook-id"]

    def verified(self, secret):
        """The JSON body, once `standardwebhooks` has verified its signature (or raised)."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    """What the server was sent, and how it answers next: `stall` holds each request
    without answering (a receiver that hangs), `delay` takes that long to answer. It counts
    the most requests it had in hand at once (`most_at_once`)."""

    def __init__(self, port):
        self.port = port
        self.received = []
        self.statuses = deque()
        self.stall = False
        self.delay = 0.0
        self.released = threading.Event()
        self.arrived = threading.Condition()
        self.in_hand = self.most_at_once = 0

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hooks/inquick"

    def answer(self, *statuses):
        self.statuses.extend(statuses)

    def wait_for(self, count, timeout=30):
        """Block until `count` requests have arrived; False if they did not in time."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.received) >= count, timeout)

    def record(self, path, headers, body):
        with self.arrived:
            self.received.append(Received(path, headers, body))
            self.in_hand += 1
            self.most_at_once = max(self.most_at_once, self.in_hand)
            self.arrived.notify_all()
        if self.stall:
            self.released.wait(60)
            return None
        time.sleep(self.delay)
        with self.arrived:
            self.in_hand -= 1
            return self.statuses.popleft() if self.statuses else 200


def handler_for(receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # the name http.server calls
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            status = receiver.record(self.path, headers, body)
            if status is None:
                return  # stalled: the sender is gone by now
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args):  # no lines on stderr for each request
            pass

    return Handler


@contextmanager
def receiving():
    """A running receiver; stopped (stalled requests released) after."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    receiver = Receiver(server.server_address[1])
    server.RequestHandlerClass = handler_for(receiver)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.released.set()
        server.shutdown()
        server.server_close()
        thread.join(10)


@contextmanager
def trickling(interval):
    """A receiver on 127.0.0.1 that takes a request in, then answers its status line and a
    header line every `interval` seconds, never ending its headers; yields its URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stopped = threading.Event()

    def answer(connection):
        with connection:
            try:
                connection.settimeout(10)
                connection.recv(65536)  # the request: headers and a small body
                connection.sendall(b"HTTP/1.1 200 OK\r\n")
                while not stopped.wait(interval):
                    connection.sendall(b"X-Still-Coming: 1\r\n")
            except OSError:
                pass  # the sender hung up, as it should

    def serve():
        while not stopped.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hooks/inquick"
    finally:
        stopped.set()
        thread.join(10)
        listener.close()

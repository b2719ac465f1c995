"""Scenario 8: webhook delivery throughput by one worker.

EVENTS events are written to the outbox as the app writes them (`emit`, one endpoint
subscribed), then one worker drains them (the loop of `inquick worker --once`, in this
process), each POSTed to a receiver on loopback that answers 204 at once. Measured:
deliveries a second over the whole drain (claiming, signing, sending, recording), and
the percentiles of each attempt's HTTP time as the delivery log records it. The
endpoint, its events and its deliveries are removed after.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg

from bench.dataset import SYSTEM_ID
from bench.in_process import app_context
from bench.stats import percentile

EVENTS = 2000
BATCH = 50


class Answering(BaseHTTPRequestHandler):
    """Reads the request and answers 204, counting what it was sent."""

    def do_POST(self):  # the name http.server calls
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.server.lock:
            self.server.received += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args):
        pass


def start_receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answering)
    server.daemon_threads, server.lock, server.received = True, threading.Lock(), 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def queue_events(url, receiver_url, events):
    """An endpoint of the bench's health system at the receiver, and `events` events for
    it written as a booking writes them; returns the endpoint's id."""
    from inquick.extensions import db
    from inquick.models import WebhookEndpoint
    from inquick.models.base import utcnow
    from inquick.webhooks.events import EVENT_TYPES, emit
    from inquick.webhooks.signing import new_secret

    with app_context(url):
        endpoint = WebhookEndpoint(
            health_system_id=SYSTEM_ID, url=receiver_url, secret=new_secret(),
            events=list(EVENT_TYPES), enabled=True, description="make bench",
        )  # fmt: skip
        db.session.add(endpoint)
        for n in range(events):
            data = {"visit": f"{n:032x}", "status": "scheduled", "confirmation-number": n}
            emit(db.session, health_system_id=SYSTEM_ID, event_type="visit.booked", data=data,
                 now=utcnow())  # fmt: skip
        db.session.commit()
        return endpoint.id


def drain_once(url, batch):
    """One worker's drain of everything due: (seconds, attempts)."""
    from inquick.extensions import db
    from inquick.webhooks.worker import WorkerSettings, drain

    with app_context(url):
        settings = WorkerSettings(batch=batch, allow_loopback=True)
        started = time.perf_counter()
        attempts = drain(db.session, settings)
        return time.perf_counter() - started, attempts


def remove(url, endpoint_id):
    """The endpoint, its deliveries and its events: the next run starts from the same data."""
    with psycopg.connect(url) as connection:
        events = "SELECT event_id FROM webhook_deliveries WHERE endpoint_id = %s"
        ids = [row[0] for row in connection.execute(events, [endpoint_id])]
        connection.execute("DELETE FROM webhook_endpoints WHERE id = %s", [endpoint_id])
        connection.execute("DELETE FROM webhook_events WHERE id = ANY(%s)", [ids])


def webhook_run(url, events=EVENTS, batch=BATCH):
    """Scenario 8's figures: deliveries a second, attempt latencies, what arrived."""
    receiver = start_receiver()
    endpoint_id = None
    try:
        receiver_url = f"http://127.0.0.1:{receiver.server_address[1]}/bench"
        endpoint_id = queue_events(url, receiver_url, events)
        seconds, attempts = drain_once(url, batch)
        with psycopg.connect(url) as connection:
            rows = connection.execute(
                "SELECT status, duration_ms FROM webhook_deliveries WHERE endpoint_id = %s",
                [endpoint_id],
            ).fetchall()
    finally:
        receiver.shutdown()
        receiver.server_close()
        if endpoint_id is not None:
            remove(url, endpoint_id)
    durations = sorted(duration for status, duration in rows if duration is not None)
    delivered = sum(1 for status, _ in rows if status == "succeeded")
    return {
        "events": events, "batch": batch, "attempts": attempts, "delivered": delivered,
        "received": receiver.received, "seconds": seconds,
        "deliveries_per_second": delivered / seconds if seconds else None,
        "p50_ms": percentile(durations, 0.50), "p95_ms": percentile(durations, 0.95),
        "p99_ms": percentile(durations, 0.99),
    }  # fmt: skip

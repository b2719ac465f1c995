"""The load generator: clients in processes of their own, for a fixed time after a warm-up.

Each client is a process (one GIL each, so the client side is never capped by one
interpreter) holding one HTTP/1.1 connection, opened again whenever the server closes it
(gunicorn's sync workers close after every response). A request counts when it starts
inside the measured window; its latency runs from sending to the last byte read.

The read scenarios drive the app and the floor in turns (`drive_interleaved`): short
windows of one server then the other, round after round, so that whatever else the
machine does at a moment weighs on both alike.
"""

import http.client
import multiprocessing
import signal
import time
from collections import Counter
from dataclasses import dataclass, field

# Time for the client processes to start before the warm-up begins.
START_DELAY_SECONDS = 1.5
# Between two windows of an interleaved run no request starts: the requests in flight end
# before the other server's window opens (a p99 under load is well below this).
WINDOW_GAP_SECONDS = 0.25


@dataclass(frozen=True)
class Timing:
    """Wall-clock times (time.time()) when a run starts, starts measuring and stops."""

    begin: float
    measure_from: float
    stop: float

    @classmethod
    def starting_soon(cls, warmup, seconds):
        begin = time.time() + START_DELAY_SECONDS
        return cls(begin, begin + warmup, begin + warmup + seconds)

    def wait_for_start(self):
        time.sleep(max(0.0, self.begin - time.time()))


@dataclass
class Samples:
    """What the clients saw in the measured window."""

    latencies_ms: list = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    exhausted: bool = False  # a client ran out of work (free slots) before the end

    def record(self, latency_ms, status):
        self.latencies_ms.append(latency_ms)
        self.statuses[str(status)] += 1

    def merge(self, other):
        self.latencies_ms.extend(other.latencies_ms)
        self.statuses.update(other.statuses)
        self.exhausted = self.exhausted or other.exhausted


class Client:
    """One connection to a server on loopback, reopened when the server closes it."""

    def __init__(self, port):
        self.port = port
        self.connection = None
        self.last_status, self.last_headers = None, None

    def send(self, method, path, body=None, headers=None):
        """(status, body bytes); "error" for the status when the connection failed."""
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            return "error", b""
        self.last_status, self.last_headers = response.status, dict(response.getheaders())
        if response.will_close:
            self.close()
        return response.status, data

    def head_etag(self, path, headers):
        """(status, ETag) of one GET of `path`."""
        self.send("GET", path, headers=headers)
        response_headers = self.last_headers or {}
        return self.last_status, response_headers.get("ETag")

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def with_headers(paths, headers):
    """(path, headers) for each path; a path may come with headers of its own, as (path,
    headers), added to the common ones."""
    return [
        (item[0], {**headers, **item[1]}) if isinstance(item, tuple) else (item, headers)
        for item in paths
    ]


def fetch_loop(port, headers, paths, timing):
    """GET the paths in turn, over and over, until the run stops."""
    client, samples = Client(port), Samples()
    requests = with_headers(paths, headers)
    timing.wait_for_start()
    sent = 0
    while (started := time.time()) < timing.stop:
        begun = time.perf_counter()
        path, path_headers = requests[sent % len(requests)]
        status, _ = client.send("GET", path, headers=path_headers)
        latency = (time.perf_counter() - begun) * 1000
        sent += 1
        if started >= timing.measure_from:
            samples.record(latency, status)
    client.close()
    return samples


def client_process(loop, job, timing, results):
    """One client: ctrl-c is the bench's to handle; the client stops on its own at the end."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    results.put(loop(*job, timing))


def run_clients(loop, jobs, warmup, seconds):
    """Run `loop(*job, timing)` in one process per job; their samples, merged."""
    timing = Timing.starting_soon(warmup, seconds)
    merged = Samples()
    for samples in in_processes(loop, jobs, timing, timing.stop):
        merged.merge(samples)
    return merged


def in_processes(loop, jobs, timing, ends_at):
    """What `loop(*job, timing)` returns in one process per job, once every one has ended
    (at `ends_at`, wall-clock time, or a little after)."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [
        context.Process(target=client_process, args=(loop, job, timing, results)) for job in jobs
    ]
    for process in processes:
        process.start()
    answers = []
    try:
        for _ in processes:
            answers.append(results.get(timeout=max(0.0, ends_at - time.time()) + 120))
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
    return answers


def rotations(items, count):
    """`count` rotations of `items`, so that clients start at different places in it."""
    step = max(1, len(items) // count)
    return [
        items[(n * step) % len(items) :] + items[: (n * step) % len(items)] for n in range(count)
    ]


def drive(port, headers, paths, clients, warmup, seconds):
    """`clients` processes GETting `paths` for `seconds` after `warmup`."""
    jobs = [(port, headers, rotation) for rotation in rotations(paths, clients)]
    return run_clients(fetch_loop, jobs, warmup, seconds)


@dataclass(frozen=True)
class Window:
    """A stretch of an interleaved run: requests go to `port` from `begin` to `stop`
    (wall-clock times), measured as round `round` of `server`; a warm-up has no round."""

    server: str
    port: int
    round: int | None
    begin: float
    stop: float


def timetable(ports, warmup, seconds, rounds, begin):
    """The windows of an interleaved run from `begin`: each server's warm-up, then `rounds`
    rounds in which each server has `seconds / rounds`, the servers' order reversed every
    other round (app, floor; floor, app; ...) so that a drift weighs on both alike."""
    windows, at = [], begin
    order = list(ports)
    plan = [(server, None, warmup) for server in order if warmup > 0]
    for n in range(rounds):
        plan += [(server, n, seconds / rounds) for server in order[:: 1 if n % 2 == 0 else -1]]
    for server, round_number, length in plan:
        windows.append(Window(server, ports[server], round_number, at, at + length))
        at += length + WINDOW_GAP_SECONDS
    return windows


def interleaved_loop(headers, paths, windows):
    """GET the paths in turn from each window's server while the window lasts, from the
    first path again in each window; the samples of every window, in order."""
    clients, taken = {}, []
    requests = with_headers(paths, headers)
    for window in windows:
        client = clients.setdefault(window.port, Client(window.port))
        samples, sent = Samples(), 0
        time.sleep(max(0.0, window.begin - time.time()))
        while time.time() < window.stop:
            begun = time.perf_counter()
            path, path_headers = requests[sent % len(requests)]
            status, _ = client.send("GET", path, headers=path_headers)
            samples.record((time.perf_counter() - begun) * 1000, status)
            sent += 1
        taken.append(samples)
    for client in clients.values():
        client.close()
    return taken


def drive_interleaved(ports, headers, paths, clients, warmup, seconds, rounds):
    """`clients` processes GETting `paths` from the servers of `ports` ({name: port}) in
    turns: {name: [Samples of each round]}."""
    windows = timetable(ports, warmup, seconds, rounds, time.time() + START_DELAY_SECONDS)
    jobs = [(headers, rotation) for rotation in rotations(paths, clients)]
    by_window = [Samples() for _ in windows]
    for taken in in_processes(interleaved_loop, jobs, windows, windows[-1].stop):
        for merged, samples in zip(by_window, taken, strict=True):
            merged.merge(samples)
    measured = {name: [] for name in ports}
    for window, samples in zip(windows, by_window, strict=True):
        if window.round is not None:
            measured[window.server].append(samples)
    return measured

"""The two servers under test: the app by `inquick serve`, and the floor, under one gunicorn.

Each runs in a process group of its own, so that stopping it stops its workers too; the
bench stops them on every way out (the end, an error, ctrl-c, SIGTERM).
"""

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 2
# `inquick serve`'s own gunicorn settings; the floor gets the same ones.
GUNICORN_SETTINGS = ["--no-control-socket", "--limit-request-line", "8190"]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A gunicorn process group of ours, logging to a file."""

    def __init__(self, name, argv, env, port):
        self.name, self.argv, self.env, self.port = name, argv, env, port
        self.log = Path(tempfile.mkdtemp(prefix="inquick-bench-")) / f"{name}.log"
        self.process = None

    def start(self):
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                self.argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def wait_until_ready(self, timeout=60):
        """Return once /healthz answers; fail with the log's end if the server died."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer in {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines=20):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self):
        """Stop the whole group; its log goes too (errors have shown its end already)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.log.parent, ignore_errors=True)


def app_server(database_url, token_secret):
    """The app exactly as the README deploys it: `inquick serve --workers 2`, with rate
    limits far above what the bench sends."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "INQUICK_RATE_LIMIT": str(10**9),
        "INQUICK_BOOKING_RATE_LIMIT": str(10**9),
        "INQUICK_TOKEN_SECRET": token_secret,
    }
    inquick = str(Path(sys.executable).with_name("inquick"))
    argv = [inquick, "serve", "--workers", str(WORKERS), "--port", str(port)]
    return Server("app", argv, env, port)


def floor_server(database_url):
    port = free_port()
    argv = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
        str(WORKERS), *GUNICORN_SETTINGS, "bench.floor:serve_floor()",
    ]  # fmt: skip
    return Server("floor", argv, {**os.environ, "DATABASE_URL": database_url}, port)


def stop_on_signals():
    """SIGTERM (and SIGHUP) end the bench like ctrl-c does, through every `finally`."""

    def interrupt(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)


@contextmanager
def serving(*servers):
    """The servers started and ready inside the block, stopped when it is left."""
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_until_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()

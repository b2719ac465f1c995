"""The token secret: required to serve on a shared database, generated only for SQLite.

With INQUICK_TOKEN_SECRET unset, every server once made its own secret file: servers of
one deployment refused each other's tokens, and whoever read the file could mint them.
"""

import subprocess
import sys

import pytest

from inquick import create_app
from inquick.config import ConfigurationError
from tests.live_server import REPO_ROOT, free_port

SHARED = "postgresql+psycopg://inquick@127.0.0.1:5432/anywhere"


def test_an_app_to_serve_on_a_shared_database_needs_the_secret():
    with pytest.raises(ConfigurationError, match="INQUICK_TOKEN_SECRET is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": SHARED, "TOKEN_SECRET": None})
    served = create_app({"SQLALCHEMY_DATABASE_URI": SHARED, "TOKEN_SECRET": "s" * 64})
    assert served.config["TOKEN_SECRET"] == "s" * 64


def test_commands_run_without_it():
    """Migrations and key commands neither sign nor verify tokens."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": SHARED, "TOKEN_SECRET": None}, serving=False)
    assert app.config["TOKEN_SECRET"] is None


def test_the_server_refuses_to_start_and_says_why(tmp_path):
    environment = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": "postgresql://inquick@127.0.0.1:5432/anywhere",
        "INQUICK_INSTANCE_PATH": str(tmp_path),
    }
    started = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{free_port()}",
         "--no-control-socket", "--config", "python:inquick.serving", "inquick:create_app()"],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert started.returncode != 0
    assert "INQUICK_TOKEN_SECRET is not set" in started.stderr
    assert not list(tmp_path.iterdir()), "no secret file was made"

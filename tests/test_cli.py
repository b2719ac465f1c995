"""The `inquick` console script."""

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from inquick import cli
from inquick.demo import DEMO_HOSTNAME
from inquick.models import ApiKey, HealthSystem


@pytest.fixture
def run(app, session):
    """Invoke `inquick ARGS...` against the test app and its rolled-back session."""

    def invoke(*args):
        return CliRunner().invoke(cli.main, args, obj=ScriptInfo(create_app=lambda: app))

    return invoke


def test_create_key_prints_the_key_alone_on_its_last_line(run, client, tenant):
    result = run("create-key", "--partner", "tenant-a.example.org", "--label", "partner site")
    assert result.exit_code == 0, result.output
    secret = result.output.rstrip("\n").splitlines()[-1]
    assert secret.startswith("iq_live_") and " " not in secret
    response = client.get(
        "/api/v3/tenant-a.example.org/services", headers={"Authorization": secret}
    )
    assert response.status_code == 200


def test_create_key_with_scopes(run, client, session, tenant):
    result = run("create-key", "--partner", "tenant-a.example.org", "--scopes", "availability:read")
    secret = result.output.splitlines()[-1]
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == secret[:12]))
    assert key.scopes == "availability:read"
    response = client.get(
        "/api/v3/tenant-a.example.org/services", headers={"Authorization": secret}
    )
    assert response.status_code == 403


def test_create_test_key_creates_the_sandbox_once(run, session, tenant):
    for _ in range(2):
        result = run("create-key", "--partner", "tenant-a.example.org", "--mode", "test")
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[-1].startswith("iq_test_")
    sandboxes = session.scalars(
        select(HealthSystem).where(HealthSystem.live_system_id == tenant.id)
    ).all()
    assert [(s.mode, s.slug) for s in sandboxes] == [("test", tenant.slug)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--partner", "nobody.example.org"), "No health system"),
        (("--partner", "tenant-a.example.org", "--scopes", "catalog:read,root"), "root"),
        (("--partner", "tenant-a.example.org", "--mode", "prod"), "prod"),
    ],
)
def test_create_key_refuses_bad_input(run, session, tenant, args, message):
    result = run("create-key", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert session.scalar(select(func.count()).select_from(ApiKey)) == 0


def test_seed_demo_then_if_empty_does_nothing(run, session):
    assert run("seed-demo", "--if-empty").exit_code == 0
    systems = session.scalar(select(func.count()).select_from(HealthSystem))
    again = run("seed-demo", "--if-empty")
    assert again.exit_code == 0 and "nothing seeded" in again.output
    # Two live systems, each with its sandbox.
    assert session.scalar(select(func.count()).select_from(HealthSystem)) == systems == 4


def test_demo_key_prints_a_working_curl_command(run, client):
    run("seed-demo")
    result = run("demo-key", "--port", "8123")
    assert result.exit_code == 0, result.output
    [curl] = [line.strip() for line in result.output.splitlines() if "curl" in line]
    url = curl.split("'")[1]
    assert url.startswith(f"http://127.0.0.1:8123/api/v3/{DEMO_HOSTNAME}/locations/feestport")
    assert client.get(url.removeprefix("http://127.0.0.1:8123")).status_code == 200


def test_serve_runs_gunicorn_without_its_access_log(run, monkeypatch):
    calls = []
    monkeypatch.setattr(cli.os, "execv", lambda path, argv: calls.append(argv))
    monkeypatch.setenv("PORT", "8765")
    result = run("serve", "--workers", "3")
    assert result.exit_code == 0, result.output
    [argv] = calls
    assert argv[1:3] == ["-m", "gunicorn"]
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8765"
    assert argv[argv.index("--workers") + 1] == "3"
    # The app's own JSON request log replaces it: gunicorn's would hold query strings.
    assert "--access-logfile" not in argv and "--no-control-socket" in argv
    assert argv[-1] == "inquick:create_app()"


def test_demo_key_prints_the_demos_publishable_key_every_time(run, client, session):
    run("seed-demo")
    printed = []
    for _ in range(2):
        result = run("demo-key")
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        [at] = [n for n, line in enumerate(lines) if line.startswith("Demo publishable key")]
        assert "http://127.0.0.1:8000" in lines[at]
        printed.append(lines[at + 1].strip())
    assert printed[0] == printed[1] and printed[0].startswith("iq_pub_live_")
    publishable = session.scalars(select(ApiKey).where(ApiKey.publishable.is_(True))).all()
    assert [key.public_value for key in publishable] == printed[:1]
    response = client.get(
        f"/api/v3/{DEMO_HOSTNAME}/locations",
        headers={"Authorization": printed[0], "Origin": "http://localhost:8000"},
    )
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:8000"

"""The `inquick` console script: Flask's commands, `db` (migrations) and our own."""

import json
import os
import signal
import sys
import threading
from datetime import UTC, datetime, time, timedelta

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from inquick import create_app
from inquick.auth.keys import PARTNER_SCOPES, SCOPES, UnknownScope, issue_key
from inquick.extensions import db
from inquick.models import ApiKey, AuditEntry, HealthSystem, PartnerHostname
from inquick.models.base import as_utc
from inquick.models.tenancy import MODES


def command_app():
    """The app the commands run in: `serve` execs gunicorn, whose app checks its settings."""
    return create_app(serving=False)


@click.group(cls=FlaskGroup, create_app=command_app, add_version_option=False)
def main():
    """inquick: a JSON:API service for healthcare scheduling."""


@main.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when a health system exists.")
@with_appcontext
def seed_demo(if_empty):
    """Load the demo health systems (Winter Health, Summer Clinic)."""
    from inquick.demo import seed

    if if_empty and db.session.scalar(select(HealthSystem.id).limit(1)) is not None:
        click.echo("Demo data: the database already holds health systems; nothing seeded.")
        return
    seed(db.session, progress=click.echo)
    db.session.commit()
    click.echo("Demo data seeded.")


def health_system_at(hostname):
    """The live health system published at `hostname`, or a usage error."""
    system = db.session.scalar(
        select(HealthSystem).join(PartnerHostname).where(PartnerHostname.hostname == hostname)
    )
    if system is None:
        raise click.UsageError(f"No health system is published at {hostname!r}.")
    return system


def sandbox_of(system):
    """The sandbox of a live health system, created on first use."""
    sandbox = db.session.scalar(
        select(HealthSystem).where(HealthSystem.live_system_id == system.id)
    )
    if sandbox is None:
        sandbox = system.new_sandbox()
        db.session.add(sandbox)
    return sandbox


@main.command("create-key")
@click.option("--partner", "hostname", required=True, help="The health system's partner hostname.")
@click.option("--mode", type=click.Choice(MODES), default="live", show_default=True)
@click.option(
    "--scopes",
    default=",".join(PARTNER_SCOPES),
    show_default=True,
    help=f"Comma-separated, from: {', '.join(SCOPES)}.",
)
@click.option("--label", default=None, help="A note on who holds the key.")
@with_appcontext
def create_key(hostname, mode, scopes, label):
    """Create an API key; the key itself is printed alone on the last line, once."""
    system = health_system_at(hostname.lower())
    owner = system if mode == "live" else sandbox_of(system)
    try:
        key, secret = issue_key(
            owner,
            mode=mode,
            scopes=[s.strip() for s in scopes.split(",") if s.strip()],
            label=label,
        )
    except UnknownScope as error:
        raise click.UsageError(f"Unknown scope(s): {error}") from error
    db.session.add(key)
    db.session.commit()
    click.echo(f"Created a {mode} key for {system.name} with scopes: {key.scopes}")
    click.echo("Store it now: it is not shown again.")
    click.echo(secret)


@main.command("demo-key")
@click.option("--port", default=8000, show_default=True)
@with_appcontext
def demo_key(port):
    """Issue a fresh live partner key for the demo and print a curl command that uses it, and
    the demo's publishable key (for pages in browsers) with its allowed origins."""
    from inquick.demo import DEMO_HOSTNAME, demo_publishable_key

    system = health_system_at(DEMO_HOSTNAME)
    key, secret = issue_key(system, label="demo key (make run)")
    db.session.add(key)
    publishable = demo_publishable_key(db.session, system)
    db.session.commit()
    url = f"http://127.0.0.1:{port}/api/v3/{DEMO_HOSTNAME}/locations/feestport/schedules"
    click.echo(f"\nDemo partner key (scopes {key.scopes}):\n  {secret}")
    click.echo(f"Try:\n  curl -s '{url}?include=insurance-plans&api_key={secret}'")
    click.echo(
        f"Demo publishable key (for pages at {publishable.allowed_origins.replace(' ', ', ')}"
        f" and this server):\n  {publishable.public_value}\n"
    )


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port", default=lambda: int(os.environ.get("PORT", 8000)), show_default="$PORT or 8000"
)
@click.option(
    "--workers",
    default=lambda: int(os.environ.get("WEB_CONCURRENCY", 2)),
    show_default="$WEB_CONCURRENCY or 2",
)
def serve(host, port, workers):
    """Serve the API with gunicorn."""
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        # gunicorn's control socket lives at one path per user: two servers would share it.
        "--no-control-socket",
        # gunicorn's longest request line, so that the app answers long URLs with its own
        # JSON:API 414 (inquick.jsonapi.hygiene) before gunicorn's HTML one.
        "--limit-request-line",
        "8190",
        # Worker settings (the collector's); no gunicorn access log: the app logs each
        # request as JSON, without query strings.
        "--config",
        "python:inquick.serving",
        "inquick:create_app()",
    ]
    os.execv(sys.executable, argv)


@main.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due, then exit.")
@click.option(
    "--batch", default=10, show_default=True, type=click.IntRange(1, 100),
    help="Deliveries claimed at a time.",
)  # fmt: skip
@click.option(
    "--poll-seconds", default=1.0, show_default=True, type=click.FloatRange(0.05),
    help="The pause when nothing is due.",
)  # fmt: skip
@click.option(
    "--lease-seconds", default=None, type=click.FloatRange(1),
    help="How long a claim lasts before another worker may try it: at least a batch's worst "
    "case, batch x 11 s (each attempt ends within 10 s, and 1 s to record it); by default "
    "twice that and 30 s more.",
)  # fmt: skip
@with_appcontext
def worker(once, batch, poll_seconds, lease_seconds):
    """Deliver webhooks from the outbox, one log line per attempt, until Ctrl-C or SIGTERM
    (which let the attempt under way finish). Run as many as you like."""
    from inquick.webhooks.worker import LeaseTooShort, WorkerSettings, drain, run

    try:
        settings = WorkerSettings(
            batch=batch,
            allow_loopback=current_app.config["WEBHOOKS_ALLOW_LOOPBACK"],
            lease=timedelta(seconds=lease_seconds) if lease_seconds else None,
        )
    except LeaseTooShort as short:
        raise click.BadParameter(str(short), param_hint="'--lease-seconds'") from None
    if once:
        attempts = drain(db.session, settings)
        click.echo(f"Webhook worker: {attempts} delivery attempt(s); nothing more is due.")
        return
    stop = threading.Event()
    for stopping in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stopping, lambda *_: stop.set())
    click.echo(
        f"Webhook worker {os.getpid()}: delivering (batches of {batch}, leases of "
        f"{settings.lease.total_seconds():.0f} s); Ctrl-C stops it."
    )
    run(db.session, settings, stop, poll_seconds=poll_seconds)
    click.echo(f"Webhook worker {os.getpid()}: stopped.")


@main.command("audit")
@click.option(
    "--from",
    "start",
    type=click.DateTime(["%Y-%m-%d"]),
    required=True,
    help="First day (UTC), YYYY-MM-DD.",
)
@click.option(
    "--to",
    "end",
    type=click.DateTime(["%Y-%m-%d"]),
    required=True,
    help="Last day (UTC), YYYY-MM-DD, included.",
)
@click.option("--partner", "hostname", default=None, help="Only this health system's entries.")
@with_appcontext
def audit(start, end, hostname):
    """Print the audit log of patient data for a date range, one JSON line per entry."""
    statement = (
        select(AuditEntry, HealthSystem.slug, HealthSystem.mode, ApiKey.prefix)
        .join(HealthSystem, HealthSystem.id == AuditEntry.health_system_id)
        .outerjoin(ApiKey, ApiKey.id == AuditEntry.key_id)
        .where(AuditEntry.at >= start.replace(tzinfo=UTC))
        # The end day's last moment, not the next day's first: 9999-12-31 has no next day.
        .where(AuditEntry.at <= datetime.combine(end.date(), time.max, UTC))
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    if hostname:
        system = health_system_at(hostname.lower())
        statement = statement.where(
            (HealthSystem.id == system.id) | (HealthSystem.live_system_id == system.id)
        )
    for entry, system_slug, mode, key_prefix in db.session.execute(statement):
        click.echo(json.dumps({
            "at": as_utc(entry.at).isoformat(), "health-system": system_slug, "mode": mode,
            "key": key_prefix, "token": entry.token_id, "visit": entry.visit_id,
            "action": entry.action, "fields": entry.fields,
        }))  # fmt: skip

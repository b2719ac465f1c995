"""The `inquick` console script: Flask's commands, `db` (migrations) and our own."""

import os
import sys

import click
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from inquick import create_app
from inquick.auth.keys import PARTNER_SCOPES, SCOPES, UnknownScope, issue_key
from inquick.extensions import db
from inquick.models import HealthSystem, PartnerHostname


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
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
@click.option("--mode", type=click.Choice(["live", "test"]), default="live", show_default=True)
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
    """Issue a fresh live partner key for the demo and print a curl command that uses it."""
    from inquick.demo import DEMO_HOSTNAME

    key, secret = issue_key(health_system_at(DEMO_HOSTNAME), label="demo key (make run)")
    db.session.add(key)
    db.session.commit()
    url = f"http://127.0.0.1:{port}/api/v3/{DEMO_HOSTNAME}/locations/feestport/schedules"
    click.echo(f"\nDemo partner key (scopes {key.scopes}):\n  {secret}")
    click.echo(f"Try:\n  curl -s '{url}?include=insurance-plans&api_key={secret}'\n")


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
        # No gunicorn access log: the app logs each request as JSON, without query strings.
        "inquick:create_app()",
    ]
    os.execv(sys.executable, argv)

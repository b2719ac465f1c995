"""One PostgreSQL database per size: created, migrated with the app's migrations, bulk-loaded.

Rows go in through COPY, which is what makes the large set load in minutes. A marker row
in `bench_meta`, written only once everything is in, lets the next run reuse the data.
"""

import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg

from bench.dataset import GENERATOR_VERSION, SIZES, SyntheticSystem, anchor_for

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
# What a booking records in the audit log: the patient fields the generator fills.
BOOKED_FIELDS = '["birthdate","email","first-name","gender","last-name","new-patient",' + (
    '"phone-number","state","zip"]'
)


def server_url():
    """The PostgreSQL server, without a database: BENCH_DATABASE_URL or the local default."""
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_SERVER).rstrip("/")


def database_url(size_name):
    return f"{server_url()}/inquick_bench_{size_name}"


def admin_connection():
    """An autocommit connection to the `postgres` database, for CREATE and DROP DATABASE."""
    return psycopg.connect(f"{server_url()}/postgres", autocommit=True)


class Progress:
    """Rows loaded so far, on stderr, at most once a second (and once at the end)."""

    def __init__(self, table, total):
        self.table, self.total = table, total
        self.started = self.shown = time.perf_counter()
        self.done = 0
        self.live = sys.stderr.isatty()

    def advance(self, rows):
        self.done += rows
        now = time.perf_counter()
        if now - self.shown >= 1:
            self.shown = now
            self.show(end="\r" if self.live else "\n")

    def show(self, end="\n"):
        rate = self.done / max(time.perf_counter() - self.started, 1e-9)
        line = f"  {self.table:<26} {self.done:>10,} / {self.total:<10,} {rate:>10,.0f} rows/s"
        print(line, end=end, file=sys.stderr, flush=True)


def copy_rows(connection, table):
    """COPY one table's rows in, showing progress."""
    progress = Progress(table.name, table.count)
    columns = ", ".join(table.columns)
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy,
    ):
        pending = 0
        for row in table.rows:
            copy.write_row(row)
            pending += 1
            if pending == 5_000:
                progress.advance(pending)
                pending = 0
        progress.done += pending
    progress.show()


def stored_marker(url):
    """The `bench_meta` row of a database, or None when it has none (or does not exist)."""
    try:
        with psycopg.connect(url) as connection:
            return connection.execute(
                "SELECT size, generator_version, anchor, load_seconds FROM bench_meta"
            ).fetchone()
    except psycopg.Error:
        return None


def recreate_database(size_name):
    name = f"inquick_bench_{size_name}"
    with admin_connection() as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")


def drop_databases():
    """Drop every size's database (`make bench-clean`)."""
    with admin_connection() as admin:
        for size_name in SIZES:
            admin.execute(f"DROP DATABASE IF EXISTS inquick_bench_{size_name} WITH (FORCE)")
            print(f"dropped inquick_bench_{size_name} (if it existed)")


def migrate(url):
    """`inquick db upgrade` on the database: the schema exactly as the app deploys it."""
    inquick = Path(sys.executable).with_name("inquick")
    subprocess.run(
        [str(inquick), "db", "upgrade"],
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        capture_output=True,
    )


def finish_load(connection, size, anchor, seconds):
    """Sequences past the loaded ids, the audit log of the bookings, statistics, the marker."""
    for table in ("health_systems", "insurance_plans", "regions", "locations", "services",
                  "medical_groups", "appointment_types", "providers", "weekly_windows",
                  "schedule_exceptions"):  # fmt: skip
        connection.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
        )
    started = time.perf_counter()
    connection.execute(
        "INSERT INTO audit_entries (health_system_id, at, token_id, visit_id, action, fields) "
        "SELECT health_system_id, created_at, token_id, id, 'create', %s FROM visits",
        [BOOKED_FIELDS],
    )
    connection.execute(
        "INSERT INTO audit_entries (health_system_id, at, visit_id, action, fields) "
        "SELECT health_system_id, cancelled_at, id, 'cancel', '[\"reason\",\"status\"]' "
        "FROM visits WHERE status = 'cancelled'"
    )
    print(
        f"  {'audit_entries':<26} {size.visits:>10,} bookings logged by INSERT ... SELECT "
        f"in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    connection.commit()
    started = time.perf_counter()
    # VACUUM as well as ANALYZE: the first reads of fresh pages would otherwise write hint
    # bits while being measured, and index-only scans need the visibility map.
    connection.autocommit = True
    connection.execute("VACUUM (ANALYZE)")
    connection.autocommit = False
    print(f"  VACUUM (ANALYZE) in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    connection.execute(
        "CREATE TABLE bench_meta (size text, generator_version integer, anchor date, "
        "load_seconds double precision, loaded_at timestamptz)"
    )
    connection.execute(
        "INSERT INTO bench_meta VALUES (%s, %s, %s, %s, %s)",
        [size.name, GENERATOR_VERSION, anchor, seconds, datetime.now(UTC)],
    )
    connection.commit()


def load_rows(connection, system):
    """COPY every table of a synthetic system, in dependency order, on `connection`.

    Triggers are off while it loads (the rows are consistent by construction): the
    catalog's version then changes once, at the end, not once per row.
    """
    connection.execute("SET session_replication_role = replica")
    for table in system.tables():
        copy_rows(connection, table)
    connection.execute("SET session_replication_role = DEFAULT")
    connection.execute("UPDATE catalog_state SET version = md5(random()::text)")


def ensure_data(size, reload=False, today=None):
    """The database URL of `size`, loading it unless a complete current copy is there.

    Returns (url, how): `how` says whether the data was reused or loaded, and how long
    that load took.
    """
    url = database_url(size.name)
    anchor = anchor_for(today or date.today())
    marker = None if reload else stored_marker(url)
    if marker and marker[:3] == (size.name, GENERATOR_VERSION, anchor):
        migrate(url)  # the data stays; the schema follows the app's migrations
        return url, {"reused": True, "load_seconds": marker[3], "anchor": anchor.isoformat()}
    started = time.perf_counter()
    recreate_database(size.name)
    migrate(url)
    print(f"{size.name}: loading (anchor date {anchor})", file=sys.stderr)
    with psycopg.connect(url) as connection:
        load_rows(connection, SyntheticSystem(size, anchor))
        finish_load(connection, size, anchor, time.perf_counter() - started)
    seconds = time.perf_counter() - started
    with psycopg.connect(url) as connection:
        connection.execute("UPDATE bench_meta SET load_seconds = %s", [seconds])
    return url, {"reused": False, "load_seconds": seconds, "anchor": anchor.isoformat()}


def remove_bench_bookings(url, since):
    """Delete the visits the bench booked (and their audit entries): the next run starts
    from the same data."""
    with psycopg.connect(url) as connection:
        booked = "SELECT id FROM visits WHERE created_at >= %s"
        connection.execute(f"DELETE FROM audit_entries WHERE visit_id IN ({booked})", [since])
        removed = connection.execute("DELETE FROM visits WHERE created_at >= %s", [since])
        connection.execute(
            "UPDATE confirmation_counters SET last_number = "
            "(SELECT coalesce(max(confirmation_number), 0) FROM visits)"
        )
        return removed.rowcount

"""`python -m bench`: for each size, load (or reuse) the data, serve, check, measure, report."""

import argparse
import os
import secrets
import shlex
import sys
from dataclasses import asdict
from datetime import UTC, datetime

import orjson
import psycopg

from bench.booking import booking_run, contention_run
from bench.dataset import SIZES
from bench.equality import DocumentsDiffer, difference, rebased
from bench.fhir_slots import ViewsDiffer, fhir_week_run
from bench.in_process import (
    app_query_counts,
    app_revalidation_queries,
    create_key,
    floor_query_counts,
)
from bench.load import Client, Samples, drive, drive_interleaved
from bench.loading import database_url, drop_databases, ensure_data, remove_bench_bookings
from bench.machine import describe
from bench.report import scaling, targets, write
from bench.scenarios import READ_SCENARIOS, read_paths, revalidations
from bench.servers import WORKERS, app_server, floor_server, serving, stop_on_signals
from bench.stats import median, ratios_by_round, rounds_within, summary
from bench.webhooks import webhook_run

COUNTED_TABLES = ("providers", "schedules", "locations", "insurance_plans", "weekly_windows",
                  "visits", "audit_entries")  # fmt: skip


def arguments():
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds a scenario")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds a scenario")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds a read scenario's seconds are split into, app and floor "
                             "in turns")  # fmt: skip
    parser.add_argument("--clients", type=int, default=8, help="concurrent client processes")
    parser.add_argument("--reload", action="store_true", help="reload data even if current")
    parser.add_argument("--drop", action="store_true", help="drop the bench databases, and stop")
    return parser.parse_args()


def say(text):
    print(text, flush=True)


def same_documents(app, floor, secret, paths):
    """Stop the bench unless the floor answers each read scenario as the app does."""
    headers = {"Authorization": secret}
    for scenario, candidates in paths.items():
        answers = []
        for server in (app, floor):
            status, body = Client(server.port).send("GET", candidates[0], headers=headers)
            if status != 200:
                raise DocumentsDiffer(f"{scenario}: {server.name} answered {status}: {body[:500]}")
            answers.append(orjson.loads(body))
        floor_document = rebased(
            answers[1], f"http://127.0.0.1:{floor.port}/", f"http://127.0.0.1:{app.port}/"
        )
        diff = difference(answers[0], floor_document)
        if diff:
            raise DocumentsDiffer(f"{scenario}: the floor's document differs:\n{diff}")
    say(f"  same documents from app and floor: {', '.join(paths)}")


def measured(samples, seconds, queries):
    """The summary of a run's samples, with its statuses, non-2xx count and queries."""
    result = summary(samples.latencies_ms, seconds)
    # A status is "200", or for a booking "visit 201" / "token 422": its last word counts.
    ok = sum(n for status, n in samples.statuses.items() if status.split()[-1].startswith("2"))
    return {**result, "statuses": dict(samples.statuses), "errors": result["requests"] - ok,
            "queries": queries}  # fmt: skip


def line(scenario, server, result, unit="req/s"):
    """One scenario's figures, printed as soon as they are measured."""
    return (
        f"  {scenario:<19} {server:<6} {result['requests_per_second']:>8.1f} {unit:<6} "
        f"p50 {result['p50_ms']:>7.1f}  p95 {result['p95_ms']:>7.1f}  "
        f"p99 {result['p99_ms']:>7.1f} ms  non-2xx {result['errors']}"
    )


def measure_reads(app, floor, secret, paths, url, options):
    """Scenarios 1-3 and 7, the app and the floor in turns: figures, queries and ratios.

    Each server's figures pool its rounds; each ratio is the median of the ratios of the
    rounds, each round's app and floor measured seconds apart.
    """
    first = {scenario: candidates[0] for scenario, candidates in paths.items()}
    queries = {
        "app": app_query_counts(url, secret, first),
        "floor": floor_query_counts(url, secret, first),
    }
    say(f"  queries a request: app {queries['app']}, floor {queries['floor']}")
    rounds = rounds_within(options.seconds, options.rounds)
    ports = {server.name: server.port for server in (app, floor)}
    reads = {}
    for scenario in READ_SCENARIOS:
        taken = drive_interleaved(
            ports, {"Authorization": secret}, paths[scenario], options.clients, options.warmup,
            options.seconds, rounds,
        )  # fmt: skip
        outcome = {}
        for name, windows in taken.items():
            pooled = Samples()
            for samples in windows:
                pooled.merge(samples)
            outcome[name] = measured(pooled, options.seconds, queries[name][scenario])
            say(line(scenario, name, outcome[name]))
        outcome["rounds"] = ratios_by_round(
            [samples.latencies_ms for samples in taken["app"]],
            [samples.latencies_ms for samples in taken["floor"]],
        )
        for kind in ("latency_ratio", "throughput_ratio"):
            outcome[kind] = median(r[kind] for r in outcome["rounds"])
        say(
            f"  {scenario:<19} ratios by round: latency "
            f"{by_round(outcome['rounds'], 'latency_ratio')}; throughput "
            f"{by_round(outcome['rounds'], 'throughput_ratio')}"
        )
        reads[scenario] = outcome
    return reads


def by_round(rounds, kind):
    """One kind of the rounds' ratios, as printed: `1.21, 1.35, —`."""
    return ", ".join("—" if r[kind] is None else f"{r[kind]:.2f}" for r in rounds)


def measure_revalidation(app, secret, paths, url, options):
    """Scenario 6 on the app alone (the floor answers no conditional request): the
    location-schedules requests again, each with its document's ETag."""
    headers = {"Authorization": secret}
    etags = {}
    for path in paths["location-schedules"]:
        status, tag = Client(app.port).head_etag(path, headers)
        if status != 200 or tag is None:
            raise DocumentsDiffer(f"revalidation: {path} answered {status} without an ETag")
        etags[path] = tag
    requests = revalidations(paths, etags)
    queries = app_revalidation_queries(url, secret, paths["location-schedules"][0])
    samples = drive(app.port, headers, requests, options.clients, options.warmup, options.seconds)
    result = measured(samples, options.seconds, queries)
    # A 304 is the success here; anything else counts against it.
    result["errors"] = result["requests"] - samples.statuses.get("304", 0)
    return result


def row_counts(url):
    with psycopg.connect(url) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in COUNTED_TABLES
        }


def run_size(size, options):
    """Everything for one size: data, servers, the equality check, the five scenarios."""
    say(f"== {size.name}: {size.providers:,} providers, {size.visits:,} visits")
    url, data = ensure_data(size, reload=options.reload)
    how = "reused the stored data set" if data["reused"] else "loaded"
    say(f"  data: {how} (load took {data['load_seconds']:.1f} s, anchor {data['anchor']})")
    data["rows"] = row_counts(url)
    secret = create_key(url)
    started = datetime.now(UTC)
    today = started.date()
    with psycopg.connect(url) as connection:
        paths = read_paths(connection, today)
    app, floor = app_server(url, secrets.token_hex(32)), floor_server(url)
    try:
        with serving(app, floor):
            say(f"  serving: app on port {app.port}, floor on port {floor.port}")
            same_documents(app, floor, secret, paths)
            reads = measure_reads(app, floor, secret, paths, url, options)
            revalidation = measure_revalidation(app, secret, paths, url, options)
            say(line("revalidation", "app", revalidation) + f"  {revalidation['statuses']}")
            samples = booking_run(
                app.port, secret, url, today, options.clients, options.warmup, options.seconds
            )
            booking = measured(samples, options.seconds, None)
            booking["exhausted"] = samples.exhausted
            say(line("booking", "app", booking, "pairs/s") + f"  {booking['statuses']}")
            contention = contention_run(app.port, secret, url, today)
            say(
                f"  contention: tokens {contention['tokens']}, bookings {contention['posts']}, "
                f"visits per slot {[s['visits'] for s in contention['slots']]}, "
                f"overbooked: {'YES' if contention['overbooked'] else 'no'}"
            )
            fhir = fhir_week_run(app.port, secret, url, today, options.seconds)
            say(
                f"  fhir: a week of {fhir['slots']} free slots of {fhir['schedules']} schedules "
                f"in {fhir['pages']} pages: p50 {fhir['fhir_p50_ms']} ms, against "
                f"{fhir['jsonapi_p50_ms']} ms through JSON:API (ratio {fhir['ratio']})"
            )
            webhooks = webhook_run(url)
            say(
                f"  webhooks: one worker delivered {webhooks['delivered']}/{webhooks['events']} "
                f"events in {webhooks['seconds']:.1f} s: "
                f"{webhooks['deliveries_per_second']:.0f} deliveries/s, attempt p50 "
                f"{webhooks['p50_ms']} ms"
            )
    finally:
        removed = remove_bench_bookings(url, started)
        say(f"  removed the {removed} visits the bench booked")
    return {
        "size": asdict(size), "data": data, "reads": reads, "revalidation": revalidation,
        "booking": booking, "contention": contention, "webhooks": webhooks, "fhir": fhir,
    }  # fmt: skip


def main():
    options = arguments()
    if options.drop:
        drop_databases()
        return 0
    stop_on_signals()
    if os.environ.get("BENCH_RELOAD", "") not in ("", "0"):
        options.reload = True
    results = {}
    try:
        for name in options.sizes:
            results[name] = run_size(SIZES[name], options)
    except (DocumentsDiffer, ViewsDiffer) as differ:
        print(f"bench stopped: {differ}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench interrupted: servers stopped, no results written", file=sys.stderr)
        return 130
    sizes_text = " ".join(options.sizes)
    document = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": shlex.join(["python", "-m", "bench", *sys.argv[1:]]),
        "make": f'make bench SIZES="{sizes_text}" BENCH_SECONDS={options.seconds:g} '
        f"BENCH_WARMUP={options.warmup:g} BENCH_ROUNDS={options.rounds}",
        "machine": describe(database_url(options.sizes[0])),
        "settings": {
            "workers": WORKERS,
            "clients": options.clients,
            "warmup": options.warmup,
            "seconds": options.seconds,
            "rounds": rounds_within(options.seconds, options.rounds),
        },
        "sizes": results,
    }
    document["scaling"] = scaling(results)
    document["targets"] = targets(results, document["scaling"])
    written = write(document)
    say(f"\nresults: {written}")
    say(written.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())

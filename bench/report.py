"""The results: targets judged, a scaling table and plot, written as JSON and markdown.

Targets are reported, never asserted: a missed one is a finding, not a failure.
"""

import json
import shutil
from pathlib import Path

from bench.scenarios import READ_SCENARIOS, REVALIDATION
from bench.stats import growth

RESULTS = Path(__file__).resolve().parent / "results"
SCALED = ("provider-search", "available-times", "name-search")
RATIO_TARGET, GROWTH_TARGET = 1.5, 50.0
RATIO_DEFINITION = (
    "Ratio to the floor, two ways: latency ratio = app p50 / floor p50, and throughput "
    "ratio = floor req/s / app req/s. Both are 1.0 when the app is as fast as the floor; "
    f"the target (at most {RATIO_TARGET}, scenarios 1, 2, 3 and 7) counts as met when both are. "
    "The read scenarios run the app and the floor in turns: a scenario's seconds are split "
    "into rounds, each one window of the app's and one of the floor's, back to back, their "
    "order reversed every other round, so that a passing load or a drift of the machine "
    "weighs on both alike. Each ratio is the median of the rounds' ratios, a round's app "
    "and floor measured seconds apart; beside it, in brackets, the lowest and highest of "
    "them. The req/s and latencies are of all rounds pooled."
)


def scaling(sizes):
    """{scenario: {"p50_ms": {size: p50}, "growth_percent": smallest to largest size}} for
    the app and (as "floor p50_ms", "floor growth_percent") for the floor."""
    table = {}
    for scenario in SCALED:
        row = {}
        for server, prefix in (("app", ""), ("floor", "floor ")):
            p50 = {
                name: result["reads"][scenario][server]["p50_ms"] for name, result in sizes.items()
            }
            values = list(p50.values())
            row[f"{prefix}p50_ms"] = p50
            row[f"{prefix}growth_percent"] = (
                growth(values[0], values[-1]) if len(values) > 1 else None
            )
        table[scenario] = row
    return table


def verdict(met):
    return "n/a" if met is None else "met" if met else "missed"


def targets(sizes, scaled):
    """Each target with the figures it was judged on."""
    judged = []
    for scenario in READ_SCENARIOS:
        reads = {name: result["reads"][scenario] for name, result in sizes.items()}
        worst = max(
            max(r["latency_ratio"] or 0, r["throughput_ratio"] or 0) for r in reads.values()
        )
        judged.append({
            "target": f"ratio to the floor <= {RATIO_TARGET}: {READ_SCENARIOS[scenario][:2]} "
                      f"{scenario}, every size",
            "value": "; ".join(f"{name} latency {number(r['latency_ratio'], 2)}, throughput "
                               f"{number(r['throughput_ratio'], 2)}" for name, r in reads.items()),
            "met": worst <= RATIO_TARGET,
        })  # fmt: skip
        judged.append({
            "target": f"queries a request at most the floor's + 1: {scenario}, every size",
            "value": "; ".join(f"{name} app {r['app']['queries']}, floor {r['floor']['queries']}"
                               for name, r in reads.items()),
            "met": all(r["app"]["queries"] <= r["floor"]["queries"] + 1 for r in reads.values()),
        })  # fmt: skip
    names = list(sizes)
    for scenario in SCALED:
        for prefix in ("", "floor "):
            change = scaled[scenario][f"{prefix}growth_percent"]
            judged.append({
                "target": f"{prefix or 'app '}p50 growth < {GROWTH_TARGET:.0f}% from "
                          f"{names[0]} to {names[-1]}, {scenario}",
                "value": "needs two sizes" if change is None else f"{change:+.0f}%",
                "met": None if change is None or len(names) < 2 else change < GROWTH_TARGET,
            })  # fmt: skip
    delivered = {name: r["webhooks"] for name, r in sizes.items() if "webhooks" in r}
    if delivered:
        judged.append({
            "target": "every webhook event delivered, once (scenario 8)",
            "value": "; ".join(f"{name} {w['delivered']} of {w['events']}, {w['received']} "
                               "received" for name, w in delivered.items()),
            "met": all(w["delivered"] == w["received"] == w["events"]
                       for w in delivered.values()),
        })  # fmt: skip
    overbooked = [name for name, result in sizes.items() if result["contention"]["overbooked"]]
    judged.append({
        "target": "zero overbooking (scenario 5)",
        "value": f"overbooked at {', '.join(overbooked)}" if overbooked else "none at any size",
        "met": not overbooked,
    })  # fmt: skip
    return judged


def number(value, digits=1):
    return "—" if value is None else f"{value:,.{digits}f}"


def size_section(name, result):
    size, data = result["size"], result["data"]
    how = "reused" if data["reused"] else "loaded"
    lines = [
        f"## {name}: {size['providers']:,} providers, {size['schedules']:,} schedules, "
        f"{size['locations']:,} locations, {size['plans']} plans, {size['visits']:,} visits",
        "",
        f"Data {how} (load took {data['load_seconds']:.0f} s; dates anchored on {data['anchor']}).",
        "",
        "| scenario | server | req/s | p50 ms | p95 ms | p99 ms | queries/req | non-2xx "
        "| latency ratio | throughput ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for scenario, title in READ_SCENARIOS.items():
        read = result["reads"][scenario]
        for server in ("app", "floor"):
            s = read[server]
            ratios = (
                (ratio_cell(read, "latency_ratio"), ratio_cell(read, "throughput_ratio"))
                if server == "app"
                else ("", "")
            )
            lines.append(
                f"| {title if server == 'app' else ''} | {server} | "
                f"{number(s['requests_per_second'])} | {number(s['p50_ms'])} | "
                f"{number(s['p95_ms'])} | {number(s['p99_ms'])} | {s['queries']} | "
                f"{s['errors']} | {ratios[0]} | {ratios[1]} |"
            )
    revalidation = result["revalidation"]
    lines.append(
        f"| {REVALIDATION} | app | {number(revalidation['requests_per_second'])} | "
        f"{number(revalidation['p50_ms'])} | {number(revalidation['p95_ms'])} | "
        f"{number(revalidation['p99_ms'])} | {revalidation['queries']} | "
        f"{revalidation['errors']} | | |"
    )
    if "webhooks" in result:
        lines.append(webhook_row(result["webhooks"]))
    if "fhir" in result:
        lines.append(fhir_row(result["fhir"]))
    booking = result["booking"]
    outcomes = counted(booking["statuses"])
    lines += [
        f"| 4. booking, holds on: visit token (holding its seat) + POST /visits, distinct "
        f"free slots | app | "
        f"{number(booking['requests_per_second'])} pairs | {number(booking['p50_ms'])} | "
        f"{number(booking['p95_ms'])} | {number(booking['p99_ms'])} | | "
        f"{booking['errors']} | | |",
        "",
        f"Booking outcomes: {outcomes}"
        + (" (a client ran out of free slots before the end)" if booking["exhausted"] else ""),
        "",
    ]
    contention = result["contention"]
    held = ", ".join(str(slot["visits"]) for slot in contention["slots"])
    capacities = {slot["capacity"] for slot in contention["slots"]}
    lines += [
        f"5. Contention: {contention['clients']} clients on {len(contention['slots'])} slots "
        f"(capacity {', '.join(map(str, sorted(capacities)))}): visit tokens "
        f"{counted(contention['tokens'])}; bookings {counted(contention['posts'])}; "
        f"visits in the database per slot: {held}; overbooked: "
        f"**{'yes' if contention['overbooked'] else 'no'}**.",
        "",
    ]
    return lines


def webhook_row(webhooks):
    """Scenario 8's row: one worker's deliveries a second over the whole drain; its
    latencies are each attempt's HTTP time, and non-2xx the events not delivered."""
    return (
        f"| 8. webhook delivery by one worker: {webhooks['events']} events to a receiver on "
        f"loopback, claimed {webhooks['batch']} at a time (latency: each attempt's HTTP time) "
        f"| worker | {number(webhooks['deliveries_per_second'])} deliveries | "
        f"{number(webhooks['p50_ms'])} | {number(webhooks['p95_ms'])} | "
        f"{number(webhooks['p99_ms'])} | | {webhooks['events'] - webhooks['delivered']} | | |"
    )


def fhir_row(fhir):
    """Scenario 9's row: a week of free Slots walked page by page through FHIR, its p50
    beside the same times through JSON:API, and the ratio of the two."""
    return (
        f"| 9. a week of free slots of {fhir['schedules']} schedules through FHIR "
        f"({fhir['slots']} slots, {fhir['pages']} pages followed), against "
        f"available-appointment-times ({number(fhir['jsonapi_p50_ms'])} ms p50) | app | "
        f"— | {number(fhir['fhir_p50_ms'])} | | | | 0 | "
        f"{number(fhir['ratio'], 2)} | |"
    )


def ratio_cell(read, kind):
    """A scenario's ratio of one kind, and the range of the rounds' ratios it is the
    median of: `1.21 (1.10 to 1.35)`."""
    shown = number(read[kind], 2)
    measured = [r[kind] for r in read.get("rounds", ()) if r[kind] is not None]
    if len(measured) > 1:
        shown += f" ({min(measured):.2f} to {max(measured):.2f})"
    return shown


def counted(counts):
    """`201: 5, 409: 45`: how many answers of each status."""
    return ", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "none"


def in_rounds(settings):
    """How the read scenarios' seconds were split, when they were."""
    rounds = settings.get("rounds")
    if not rounds:
        return ""
    return (
        f" (the reads in {rounds} rounds of {settings['seconds'] / rounds:g} s a server, "
        "the app's and the floor's windows in turns)"
    )


def markdown(document, plot_name):
    machine, settings = document["machine"], document["settings"]
    lines = [
        f"# inquick benchmark, {document['date']} ({', '.join(document['sizes'])})",
        "",
        f"Command: `{document['make']}` (`{document['command']}`)",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"{machine['os']}, Python {machine['python']}, PostgreSQL {machine['postgresql']}.",
        "",
        f"Each server: gunicorn, {settings['workers']} sync workers, on loopback, on the same "
        f"database. Load: {settings['clients']} client processes on the same "
        f"{machine['cores']} cores as the servers and PostgreSQL; {settings['warmup']} s "
        f"warm-up, then {settings['seconds']} s measured per scenario{in_rounds(settings)}. "
        "Latency is per request "
        "(per token + booking pair in scenario 4), queueing included.",
        "",
        RATIO_DEFINITION,
        "",
    ]
    for name, result in document["sizes"].items():
        lines += size_section(name, result)
    lines += [
        "## Scaling: p50 latency (ms)",
        "",
        f"| scenario | server | {' | '.join(document['sizes'])} | growth |",
        f"| --- | --- |{' ---: |' * (len(document['sizes']) + 1)}",
    ]
    for scenario, row in document["scaling"].items():
        for server, prefix in (("app", ""), ("floor", "floor ")):
            values = " | ".join(number(v) for v in row[f"{prefix}p50_ms"].values())
            change = row[f"{prefix}growth_percent"]
            shown = "—" if change is None else f"{change:+.0f}%"
            title = READ_SCENARIOS[scenario] if server == "app" else ""
            lines.append(f"| {title} | {server} | {values} | {shown} |")
    lines += ["", f"![p50 latency by size]({plot_name})", "", "## Targets", ""]
    lines += ["| target | value | verdict |", "| --- | --- | --- |"]
    lines += [
        f"| {t['target']} | {t['value']} | {verdict(t['met'])} |" for t in document["targets"]
    ]
    return "\n".join(lines) + "\n"


def plot(document, path):
    """p50 of the scaled scenarios, app and floor, against the number of providers."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    sizes = document["sizes"]
    providers = [result["size"]["providers"] for result in sizes.values()]
    figure, axes = pyplot.subplots(figsize=(7, 4.5))
    for scenario in SCALED:
        for server, style in (("app", "-o"), ("floor", "--s")):
            p50 = [result["reads"][scenario][server]["p50_ms"] for result in sizes.values()]
            axes.plot(providers, p50, style, label=f"{READ_SCENARIOS[scenario][:2]} {server}")
    axes.set_xscale("log")
    axes.set_xticks(providers, [f"{name}\n{n:,}" for name, n in zip(sizes, providers, strict=True)])
    axes.minorticks_off()
    axes.set_xlabel("size (providers)")
    axes.set_ylabel("p50 latency (ms)")
    axes.set_ylim(bottom=0)
    axes.set_title("p50 latency by size: 1. provider search, 3. available times, 7. name search")
    axes.legend()
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    pyplot.close(figure)


def write(document):
    """Dated JSON, markdown and plot, and the same three as latest.*; the markdown path."""
    RESULTS.mkdir(exist_ok=True)
    stem = f"{document['date'][:10]}-{'-'.join(document['sizes'])}"
    plot(document, RESULTS / f"{stem}.png")
    (RESULTS / f"{stem}.json").write_text(json.dumps(document, indent=1) + "\n")
    (RESULTS / f"{stem}.md").write_text(markdown(document, f"{stem}.png"))
    shutil.copyfile(RESULTS / f"{stem}.png", RESULTS / "latest.png")
    shutil.copyfile(RESULTS / f"{stem}.json", RESULTS / "latest.json")
    (RESULTS / "latest.md").write_text(markdown(document, "latest.png"))
    return RESULTS / f"{stem}.md"

"""Summaries of measured latencies: throughput, percentiles, and ratios by round."""


def percentile(ordered, fraction):
    """The value below which `fraction` of the sorted sample lies, interpolating linearly
    between the two nearest ranks (the common definition, as numpy's default)."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def summary(latencies_ms, seconds):
    """Requests a second over the measured time, and p50/p95/p99/max latency in ms."""
    ordered = sorted(latencies_ms)
    return {
        "requests": len(ordered),
        "requests_per_second": len(ordered) / seconds if seconds else None,
        "p50_ms": percentile(ordered, 0.50),
        "p95_ms": percentile(ordered, 0.95),
        "p99_ms": percentile(ordered, 0.99),
        "max_ms": ordered[-1] if ordered else None,
    }


def ratio(numerator, denominator):
    return numerator / denominator if numerator is not None and denominator else None


def growth(first, last):
    """How much `last` exceeds `first`, in per cent."""
    return (last - first) / first * 100 if first and last is not None else None


def median(values):
    """The median of the values that are not None, or None if none is."""
    present = [value for value in values if value is not None]
    return percentile(sorted(present), 0.5)


def ratios_by_round(app_rounds, floor_rounds):
    """For each round, the app's and the floor's latencies (ms) measured side by side in
    windows of one length: the latency ratio (app p50 / floor p50) and the throughput
    ratio (floor requests / app requests, the same as of their rates)."""
    return [
        {
            "latency_ratio": ratio(percentile(sorted(app), 0.5), percentile(sorted(floor), 0.5)),
            "throughput_ratio": ratio(len(floor), len(app)),
        }
        for app, floor in zip(app_rounds, floor_rounds, strict=True)
    ]


def rounds_within(seconds, rounds, shortest=1.0):
    """How many rounds `seconds` holds when no round may last under `shortest` seconds
    (at least one): a p50 needs a few hundred requests a window."""
    return max(1, min(rounds, int(seconds // shortest)))

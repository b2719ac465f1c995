"""Summaries of measured latencies: throughput and percentiles."""


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

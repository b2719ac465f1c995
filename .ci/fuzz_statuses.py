"""The statuses a schemathesis run was answered with, from its NDJSON report: per status, and
the share of 2xx among all cases and among those generated to be valid (`positive`)."""

import json
import sys
from collections import Counter
from pathlib import Path


def statuses(report):
    """(every case's status, the positive cases' status) counters of one NDJSON report."""
    every, positive = Counter(), Counter()
    for line in report.open():
        scenario = json.loads(line).get("ScenarioFinished", {}).get("recorder")
        if not scenario:
            continue
        cases = scenario.get("cases", {})
        for case_id, interaction in scenario.get("interactions", {}).items():
            if interaction.get("response") is None:
                continue
            status = interaction["response"]["status_code"]
            every[status] += 1
            meta = cases.get(case_id, {}).get("value", {}).get("meta") or {}
            if meta.get("generation", {}).get("mode") == "positive":
                positive[status] += 1
    return every, positive


def line(label, counts):
    total = sum(counts.values())
    served = sum(n for status, n in counts.items() if 200 <= status < 300)
    share = f"{served / total:.1%}" if total else "-"
    listed = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
    return f"{label}: {total} cases, 2xx {share} ({listed})"


if __name__ == "__main__":
    every, positive = statuses(next(Path(sys.argv[1]).glob("*.ndjson")))
    print(line("all", every))
    print(line("positive", positive))

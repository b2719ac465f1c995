"""Scenario 9: a week of free slots for 10 schedules through FHIR, against the same times
through JSON:API, both from the app.

A FHIR client reads the week as a Slot search, page after page (`_count=100`, following
each Bundle's `next` link), where a JSON:API client asks `available-appointment-times`
once. One client walks each way in turn for the measured time; the ratio is the median
FHIR walk over the median JSON:API request. Both must find the same number of free times
(the two views share the availability engine), or the bench stops.
"""

import time
from datetime import timedelta
from statistics import median
from urllib.parse import urlencode, urlsplit

import orjson
import psycopg

from bench.dataset import HOSTNAME
from bench.load import Client
from bench.scenarios import availability_path

SCHEDULES, PAGE = 10, 100
FHIR_PREFIX = f"/fhir/r4/{HOSTNAME}"


class ViewsDiffer(Exception):
    """FHIR and JSON:API found a different number of free times."""


def week_schedules(url):
    """Ten active schedules, in a fixed order."""
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT id FROM schedules WHERE active ORDER BY md5(id || 'fhir') LIMIT %s",
            [SCHEDULES],
        ).fetchall()
    return [row[0] for row in rows]


def slot_search_path(schedule_ids, first_day, last_day):
    query = [
        ("schedule", ",".join(schedule_ids)),
        ("start", f"ge{first_day.isoformat()}"),
        ("start", f"le{last_day.isoformat()}"),
        ("status", "free"),
        ("_count", str(PAGE)),
    ]
    return f"{FHIR_PREFIX}/Slot?{urlencode(query)}"


def fhir_walk(client, headers, path):
    """(pages, free slots) of a Slot search followed to its last page."""
    pages = slots = 0
    while path is not None:
        status, body = client.send("GET", path, headers=headers)
        if status != 200:
            raise ViewsDiffer(f"the Slot search answered {status}: {body[:300]!r}")
        bundle = orjson.loads(body)
        pages += 1
        slots += len(bundle.get("entry", []))
        following = [link["url"] for link in bundle.get("link", []) if link["relation"] == "next"]
        path = None
        if following:
            parts = urlsplit(following[0])
            path = f"{parts.path}?{parts.query}"
    return pages, slots


def jsonapi_times(client, headers, path):
    status, body = client.send("GET", path, headers=headers)
    if status != 200:
        raise ViewsDiffer(f"the available times answered {status}: {body[:300]!r}")
    return sum(len(entry["attributes"]["times"]) for entry in orjson.loads(body)["data"])


def fhir_week_run(port, secret, url, today, seconds):
    """Figures of scenario 9: the walk's and the request's p50, pages, slots, and ratio."""
    first_day = today + timedelta(days=1)
    last_day = first_day + timedelta(days=6)
    schedule_ids = week_schedules(url)
    fhir_path = slot_search_path(schedule_ids, first_day, last_day)
    jsonapi_path = availability_path(schedule_ids, first_day, last_day)
    headers = {"Authorization": secret}
    client = Client(port)
    pages, slots = fhir_walk(client, headers, fhir_path)
    times = jsonapi_times(client, headers, jsonapi_path)
    if slots != times:
        raise ViewsDiffer(f"FHIR found {slots} free slots, JSON:API {times} free times")
    walks, requests = [], []
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        begun = time.perf_counter()
        fhir_walk(client, headers, fhir_path)
        walks.append((time.perf_counter() - begun) * 1000)
        begun = time.perf_counter()
        jsonapi_times(client, headers, jsonapi_path)
        requests.append((time.perf_counter() - begun) * 1000)
    client.close()
    return {
        "schedules": len(schedule_ids), "pages": pages, "slots": slots,
        "walks": len(walks), "fhir_p50_ms": round(median(walks), 1),
        "jsonapi_p50_ms": round(median(requests), 1),
        "ratio": round(median(walks) / median(requests), 2),
    }  # fmt: skip

"""Scenarios 4 and 5: booking free slots under load, and many clients racing for few slots.

Both book as a partner's site does: a visit token for the slot, then POST /visits with
it. Free slots are read from the app's own availability answers before the run, spread
over many schedules so that concurrent bookings do not all queue on one schedule's lock.
"""

import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from urllib.parse import urlencode

import orjson
import psycopg

from bench.dataset import APPOINTMENT_TYPES
from bench.load import Client, Samples, run_clients
from bench.scenarios import PREFIX, availability_days, availability_path

MEDIA_TYPE = "application/vnd.api+json"
LONGEST_VISIT_MINUTES = max(minutes for _, _, _, minutes, _ in APPOINTMENT_TYPES)
CONTENTION_SLOTS, CONTENTION_CLIENTS = 5, 50
# An upper bound on booking pairs a second, to read enough free slots for a whole run.
MOST_BOOKINGS_PER_SECOND = 250


def bookable_schedules(url, count):
    """Active single-capacity schedules an adult may book, in a fixed order."""
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT id FROM schedules WHERE active AND capacity = 1 "
            "AND (age_limit_direction IS NULL OR age_limit_direction = 'older') "
            "ORDER BY md5(id) LIMIT %s",
            [count],
        ).fetchall()
    return [row[0] for row in rows]


def free_slots(port, secret, schedule_ids, today):
    """{schedule id: [(appointment type, time), ...]} as the app's availability gives them."""
    client, found = Client(port), {}
    first_day, last_day = availability_days(today)
    for start in range(0, len(schedule_ids), 10):
        path = availability_path(schedule_ids[start : start + 10], first_day, last_day)
        status, body = client.send("GET", path, headers={"Authorization": secret})
        if status != 200:
            raise RuntimeError(f"availability answered {status}: {body[:300]!r}")
        for entry in orjson.loads(body)["data"]:
            attributes = entry["attributes"]
            found[attributes["schedule-id"]] = [
                (attributes["appointment-type"], at) for at in attributes["times"]
            ]
    client.close()
    return found


def spaced(slots):
    """Slots far enough apart that no visit booked on one can overlap the next."""
    kept, free_from = [], None
    for kind, at in slots:
        start = datetime.fromisoformat(at)
        if free_from is None or start >= free_from:
            kept.append((kind, at))
            free_from = start + timedelta(minutes=LONGEST_VISIT_MINUTES)
    return kept


def interleaved(slots_by_schedule):
    """One slot of each schedule in turn: neighbours in the list are different schedules."""
    queues = [
        [(s, kind, at) for kind, at in spaced(slots)] for s, slots in slots_by_schedule.items()
    ]
    merged = []
    while any(queues):
        for queue in queues:
            if queue:
                merged.append(queue.pop(0))
    return merged


def visit_document(schedule_id, kind, at):
    """A booking body that meets every rule the generated schedules have."""
    attributes = {
        "appointment-at": at, "appointment-type": kind, "first-name": "Synthetic",
        "last-name": "Booker", "email": "booker@example.invalid",
        "phone-number": "(555) 010-0199", "birthdate": "1990-01-31", "gender": "female",
        "new-patient": "yes", "zip": "04101", "state": "ME",
    }  # fmt: skip
    schedule = {"data": {"type": "schedules", "id": schedule_id}}
    return orjson.dumps(
        {"data": {"type": "visits", "attributes": attributes,
                  "relationships": {"schedule": schedule}}}
    )  # fmt: skip


def book(client, secret, schedule_id, kind, at):
    """("token STATUS") or ("visit STATUS"): how far one booking got and its last answer."""
    query = urlencode({"schedule_id": schedule_id, "appointment_at": at, "appointment_type": kind})
    status, token = client.send(
        "GET", f"{PREFIX}/visit-token?{query}", headers={"Authorization": secret}
    )
    if status != 200:
        return f"token {status}"
    headers = {"Authorization": f"Bearer {token.decode()}", "Content-Type": MEDIA_TYPE}
    status, _ = client.send(
        "POST", f"{PREFIX}/visits", body=visit_document(schedule_id, kind, at), headers=headers
    )
    return f"visit {status}"


def booking_loop(port, secret, slots, timing):
    """Book this client's own slots one after the other until the run stops."""
    client, samples = Client(port), Samples()
    timing.wait_for_start()
    for slot in slots:
        started = time.time()
        if started >= timing.stop:
            break
        begun = time.perf_counter()
        outcome = book(client, secret, *slot)
        if started >= timing.measure_from:
            samples.record((time.perf_counter() - begun) * 1000, outcome)
    else:
        samples.exhausted = True
    client.close()
    return samples


def booking_run(port, secret, url, today, clients, warmup, seconds):
    """Scenario 4: each client books distinct free slots; returns the merged samples."""
    needed = int(MOST_BOOKINGS_PER_SECOND * (warmup + seconds))
    schedules = bookable_schedules(url, CONTENTION_SLOTS + 300)[CONTENTION_SLOTS:]
    slots = interleaved(free_slots(port, secret, schedules, today))[:needed]
    jobs = [(port, secret, slots[n::clients]) for n in range(clients)]
    return run_clients(booking_loop, jobs, warmup, seconds)


def contention_run(port, secret, url, today):
    """Scenario 5: 10 clients for each of 5 free slots, all posting at once.

    Every client first gets its visit token (the slot is free then), waits at a barrier,
    then books. At most one booking a slot may succeed; the database has the last word.
    """
    schedules = bookable_schedules(url, CONTENTION_SLOTS)
    found = free_slots(port, secret, schedules, today)
    targets = [(s, *found[s][len(found[s]) // 2]) for s in schedules if found.get(s)]
    barrier = threading.Barrier(CONTENTION_CLIENTS)
    tokens, posts, lock = Counter(), Counter(), threading.Lock()

    def contend(schedule_id, kind, at):
        client = Client(port)
        query = urlencode({"schedule_id": schedule_id, "appointment_at": at})
        token_status, token = client.send(
            "GET", f"{PREFIX}/visit-token?{query}", headers={"Authorization": secret}
        )
        barrier.wait()
        if token_status == 200:
            headers = {"Authorization": f"Bearer {token.decode()}", "Content-Type": MEDIA_TYPE}
            post_status, _ = client.send(
                "POST", f"{PREFIX}/visits", visit_document(schedule_id, kind, at), headers
            )
        with lock:
            tokens[str(token_status)] += 1
            if token_status == 200:
                posts[str(post_status)] += 1
        client.close()

    threads = [
        threading.Thread(target=contend, args=targets[n % len(targets)])
        for n in range(CONTENTION_CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    held = visits_held(url, targets)
    return {
        "clients": CONTENTION_CLIENTS,
        "slots": [
            {"schedule": s, "time": at, "capacity": capacity, "visits": visits}
            for (s, _, at), (capacity, visits) in zip(targets, held, strict=True)
        ],
        "tokens": dict(tokens),
        "posts": dict(posts),
        "overbooked": any(visits > capacity for capacity, visits in held),
    }


def visits_held(url, targets):
    """[(capacity, visits holding the slot)] for each (schedule, type, time), read back."""
    with psycopg.connect(url) as connection:
        return [
            connection.execute(
                "SELECT s.capacity, count(v.id) FROM schedules s LEFT JOIN visits v "
                "ON v.schedule_id = s.id AND v.starts_at = %s "
                "AND v.status IN ('scheduled', 'completed', 'no-show') "
                "WHERE s.id = %s GROUP BY s.capacity",
                [datetime.fromisoformat(at), schedule_id],
            ).fetchone()
            for schedule_id, _, at in targets
        ]

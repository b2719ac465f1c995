"""The requests of the read scenarios, varied so that no single cached row serves them all.

Parameters are read from the data set itself: real location coordinates and slugs, real
schedule ids. Every scenario's list is the same on every run of one data set.
"""

import random
from datetime import timedelta
from urllib.parse import urlencode

from bench.dataset import HOSTNAME, SEED

PREFIX = f"/api/v3/{HOSTNAME}"
READ_SCENARIOS = {
    "provider-search": "1. provider search: service, accepting new patients, near; 50 a page",
    "location-schedules": "2. a location's schedules with their plans and providers",
    "available-times": "3. available times of 10 schedules over 14 days",
    "name-search": "7. a provider's name typed letter by letter: filter[search]",
}
# Every search names primary care, which a third of the providers offer: the first page
# is full at every size, so sizes compare the same amount of work per page.
SEARCH_SERVICES = (
    "primary-care",
    "primary-care,pediatrics",
    "primary-care,family-medicine",
    "primary-care,cardiology",
)
VARIANTS = 64
# A name the data set holds at every size (1, 3 and 32 times), typed as a person types it:
# each request one letter more ("d", "da", … "dana vasquez"; the space adds no request).
TYPED_NAME = "dana vasquez"
REVALIDATION = "6. a location's schedules revalidated: If-None-Match answered 304"


def availability_days(today):
    """Tomorrow through 13 days later: no slot of the range is too close to `now`."""
    first = today + timedelta(days=1)
    return first, first + timedelta(days=13)


def availability_path(schedule_ids, first_day, last_day):
    query = [("schedule_ids[]", s) for s in schedule_ids]
    query += [("start_date", first_day.isoformat()), ("end_date", last_day.isoformat())]
    return f"{PREFIX}/available-appointment-times?{urlencode(query)}"


def read_paths(connection, today):
    """{scenario: [path with query, ...]} for the three read scenarios, read from the data
    set on `connection` (psycopg)."""
    rng = random.Random(SEED)
    locations = connection.execute(
        "SELECT slug, latitude, longitude FROM locations ORDER BY id"
    ).fetchall()
    schedules = [
        row[0] for row in connection.execute("SELECT id FROM schedules WHERE active ORDER BY id")
    ]
    searches = []
    for _ in range(VARIANTS):
        _, lat, lng = rng.choice(locations)
        near = f"[{lat + rng.uniform(-0.5, 0.5):.2f},{lng + rng.uniform(-0.5, 0.5):.2f}]"
        query = [
            ("filter[service]", rng.choice(SEARCH_SERVICES)),
            ("filter[accepting-new-patients]", "true"),
            ("filter[near]", near),
            ("include", "schedules.location"),
            ("page[size]", "50"),
        ]
        searches.append(f"{PREFIX}/providers?{urlencode(query)}")
    slugs = [slug for slug, _, _ in locations]
    rng.shuffle(slugs)
    at_locations = [
        f"{PREFIX}/locations/{slug}/schedules?include=insurance-plans,provider" for slug in slugs
    ]
    first_day, last_day = availability_days(today)
    times = [
        availability_path(rng.sample(schedules, 10), first_day, last_day) for _ in range(VARIANTS)
    ]
    return {
        "provider-search": searches,
        "location-schedules": at_locations,
        "available-times": times,
        "name-search": typed_letter_by_letter(TYPED_NAME),
    }


def typed_letter_by_letter(name):
    """The provider searches sent while `name` is typed, one a letter."""
    typed = [name[:n] for n in range(1, len(name) + 1) if not name[:n].endswith(" ")]
    return [f"{PREFIX}/providers?{urlencode({'filter[search]': text})}" for text in typed]


def revalidations(paths, etags):
    """The location-schedules requests, each with the ETag its document was answered with."""
    return [(path, {"If-None-Match": etags[path]}) for path in paths["location-schedules"]]

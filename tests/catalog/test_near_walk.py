"""`filter[near]` walks locations nearest first; its pages match a direct computation.

Random catalogs from fixed seeds, with what makes the walk hard: providers at several
locations, equal distances (one location, many providers), inactive schedules, locations
without coordinates, providers with no schedule, a filter that other schedules of a
provider meet, names that tie. The reference ranks every provider by the haversine `a`
of its nearest located active schedule (2 when it has none), then by name and id.
"""

import random
from math import cos, radians, sin

import pytest

from tests import factories

POINT = (40.0, -75.0)


def haversine_a(lat, lng):
    half_dlat, half_dlng = radians(lat - POINT[0]) / 2, radians(lng - POINT[1]) / 2
    return sin(half_dlat) ** 2 + cos(radians(POINT[0])) * cos(radians(lat)) * sin(half_dlng) ** 2


def build(tenant, seed):
    """A random catalog; returns the reference order for all providers and for the filter."""
    rng = random.Random(seed)
    care = factories.ServiceFactory(health_system=tenant, slug="primary-care")
    other = factories.ServiceFactory(health_system=tenant, slug="imaging")
    places = []
    for n in range(8):
        located = rng.random() < 0.8
        place = factories.LocationFactory(
            health_system=tenant,
            latitude=round(rng.uniform(38, 42), 3) if located else None,
            longitude=round(rng.uniform(-77, -73), 3) if located else None,
            slug=f"place-{n}",
        )
        places.append(place)
    everyone, offering = [], []
    for n in range(30):
        name = rng.choice(["Ana Ruiz", "Bo Chen", "Cy Diaz", f"Provider {n:02}"])
        provider = factories.ProviderFactory(health_system=tenant, slug=f"p{n:02}", name=name)
        nearest, offers = 2.0, False
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            place, active = rng.choice(places), rng.random() < 0.85
            service = rng.choice([care, other])
            factories.ScheduleFactory(
                health_system=tenant, provider=provider, location=place, service=service,
                active=active,
            )  # fmt: skip
            if active and place.latitude is not None:
                nearest = min(nearest, haversine_a(place.latitude, place.longitude))
            offers = offers or (active and service is care)
        rank = (nearest, name, provider.slug)
        everyone.append(rank)
        if offers:
            offering.append(rank)
    return [r[2] for r in sorted(everyone)], [r[2] for r in sorted(offering)]


def walked(api, page_size, **filters):
    """Every page of the search, in order."""
    query = {"filter[near]": f"[{POINT[0]},{POINT[1]}]", "page[size]": page_size}
    query.update({f"filter[{key}]": value for key, value in filters.items()})
    found, number = [], 1
    while True:
        page = api.get("/providers", {**query, "page[number]": number}).json
        found += [provider["id"] for provider in page["data"]]
        if "next" not in page["links"]:
            return found, page["meta"]["record-count"]
        number += 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pages_nearest_first_match_a_direct_ranking(api, tenant, seed):
    everyone, offering = build(tenant, seed)
    for page_size in (1, 7, 100):
        assert walked(api, page_size) == (everyone, len(everyone))
        assert walked(api, page_size, service="primary-care") == (offering, len(offering))


def test_a_page_past_the_end_is_empty_and_still_counts(api, tenant):
    everyone, _ = build(tenant, 4)
    query = {"filter[near]": "[40,-75]", "page[size]": 10, "page[number]": 50}
    page = api.get("/providers", query).json
    assert page["data"] == [] and page["meta"]["record-count"] == len(everyone)

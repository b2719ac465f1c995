"""Pagination: page[number]/page[size], links first/last/prev/next, counts."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests import factories

BASE = "http://localhost/api/v3/tenant-a.example.org/services"


@pytest.fixture
def services(tenant):
    return [factories.ServiceFactory(health_system=tenant, slug=f"s{n:02}") for n in range(25)]


def page_of(link):
    """(number, size) named by a pagination link."""
    query = parse_qs(urlsplit(link).query)
    return int(query["page[number]"][0]), int(query["page[size]"][0])


def test_default_page_is_the_first_ten(api, services):
    document = api.get("/services", {"sort": "id"}).json
    assert [d["id"] for d in document["data"]] == [f"s{n:02}" for n in range(10)]
    assert document["meta"] == {"record-count": 25, "page-count": 3}


def test_first_page_links(api, services):
    document = api.get("/services", {"sort": "id", "page[size]": "10"}).json
    links = document["links"]
    assert "prev" not in links
    assert page_of(links["first"]) == (1, 10)
    assert page_of(links["next"]) == (2, 10)
    assert page_of(links["last"]) == (3, 10)
    assert all(links[k].startswith(BASE + "?") for k in ("self", "first", "next", "last"))


def test_middle_page_links_keep_the_other_parameters(api, services):
    document = api.get("/services", {"sort": "-id", "page[number]": "2", "page[size]": "10"}).json
    assert [d["id"] for d in document["data"]] == [f"s{n:02}" for n in range(14, 4, -1)]
    links = document["links"]
    assert page_of(links["prev"]) == (1, 10)
    assert page_of(links["next"]) == (3, 10)
    assert parse_qs(urlsplit(links["next"]).query)["sort"] == ["-id"]


def test_last_page_links(api, services):
    document = api.get("/services", {"sort": "id", "page[number]": "3"}).json
    assert [d["id"] for d in document["data"]] == [f"s{n:02}" for n in range(20, 25)]
    links = document["links"]
    assert "next" not in links
    assert page_of(links["prev"]) == (2, 10)
    assert page_of(links["last"]) == (3, 10)


def test_following_next_links_visits_every_record_once(api, services):
    seen, link = [], BASE + "?page[size]=7"
    while link:
        document = api.client.get(link, headers={"Authorization": api.secret}).json
        seen += [d["id"] for d in document["data"]]
        link = document["links"].get("next")
    assert sorted(seen) == [s.slug for s in services]
    assert len(seen) == len(set(seen))


def test_a_page_past_the_end_is_empty_with_links_back(api, services):
    document = api.get("/services", {"page[number]": "9"}).json
    assert document["data"] == []
    assert page_of(document["links"]["prev"]) == (3, 10)
    assert "next" not in document["links"]


def test_an_empty_collection_has_one_page(api, tenant):
    document = api.get("/services").json
    assert document["data"] == []
    assert document["meta"] == {"record-count": 0, "page-count": 1}
    assert "prev" not in document["links"] and "next" not in document["links"]


def test_the_api_key_never_appears_in_links(client, key, services):
    response = client.get(
        "/api/v3/tenant-a.example.org/services", query_string={"api_key": key, "page[size]": 5}
    )
    assert response.status_code == 200
    assert key not in response.get_data(as_text=True)
    assert "api_key" not in str(response.json["links"])

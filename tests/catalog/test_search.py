"""`filter[search]`: every word, anywhere in the name-like attributes, folded; best first."""

import json

import pytest
from sqlalchemy import text

from inquick.catalog.search import MAX_SEARCH_LENGTH
from tests import factories

NAMES = {
    "ana-ruiz": "Ana Ruiz",
    "ana-lopez": "Ana Lopez",
    "jose-garcia": "José García",
    "jose-plain": "Jose Plain",
    "oneil": "Mary O'Neil",
    "smith-jones": "Kim Smith-Jones",
    "diana": "Diana Banas",
    "percent": "Dr 100% Sure",
    "under": "Lee_Underscore",
    "back": "Back\\Slash",
    "dots": "Ed .*Star",
    "quote": "Tom ' OR 1=1 --",
}


@pytest.fixture
def providers(tenant):
    for slug, name in NAMES.items():
        factories.ProviderFactory(health_system=tenant, slug=slug, name=name)
    factories.ProviderFactory(
        health_system=tenant,
        slug="polyglot",
        name="Zed Quill",
        credentials="MD, PhD",
        subspecialties=["Pédiatrie"],
        languages=["Español", "Tiếng Việt"],
    )


def found(api, value, path="/providers", **query):
    response = api.get(path, {"filter[search]": value, "page[size]": "50", **query})
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["data"]]


def refused(api, query, path="/providers"):
    response = api.get(path, query)
    assert response.status_code == 400, response.json
    [error] = response.json["errors"]
    return error


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jose", ["jose-garcia", "jose-plain"]),  # "José" found without its accent
        ("josé", ["jose-garcia", "jose-plain"]),  # and "Jose" with one
        ("GARCÍA", ["jose-garcia"]),
        ("o'neil", ["oneil"]),
        ("oneil", ["oneil"]),
        ("neil", ["oneil"]),
        ("O\u2019Neil", ["oneil"]),  # a typographic apostrophe
        ("smith", ["smith-jones"]),
        ("jones", ["smith-jones"]),
        ("smith-jones", ["smith-jones"]),
        ("smith jones", ["smith-jones"]),
    ],
)
def test_accents_apostrophes_and_hyphens(api, providers, value, expected):
    assert sorted(found(api, value)) == expected


def test_every_word_must_match_in_any_order(api, providers):
    assert found(api, "ana ruiz") == ["ana-ruiz"]
    assert found(api, "ruiz ana") == ["ana-ruiz"]
    assert found(api, "  ANA   ruiz  ") == ["ana-ruiz"]
    assert found(api, "ana ruizz") == []


def test_one_letter_finds_every_name_holding_it(api, providers):
    expected = {slug for slug, name in NAMES.items() if "z" in name.lower()} | {"polyglot"}
    assert set(found(api, "z")) == expected
    assert set(found(api, "Z")) == expected


def test_name_like_attributes_are_searched(api, providers):
    assert found(api, "phd") == ["polyglot"]
    assert found(api, "pediatrie") == ["polyglot"]
    assert found(api, "espanol") == ["polyglot"]
    assert found(api, "viet quill") == ["polyglot"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("%", ["percent"]),
        ("100%", ["percent"]),
        ("_", ["under"]),
        ("e_u", ["under"]),
        ("\\", ["back"]),
        ("k\\s", ["back"]),
        (".*", ["dots"]),
        ("a.*", []),
        ("' OR 1=1 --", ["quote"]),  # folded as "or 1=1 --": every word held, literally
        ("%' OR '1'='1", []),
        ("[a-z]+", []),
        ("^ana", []),
        ("ana$", []),
        ("(", []),
        ("a\U0010ffff", []),  # the last character has no successor
        ("a\ud7ff", []),  # whose successor would be a surrogate
    ],
)
def test_metacharacters_are_plain_text(api, providers, value, expected):
    assert sorted(found(api, value)) == expected


def test_best_match_first_then_name_then_id(api, providers, tenant):
    factories.ProviderFactory(health_system=tenant, slug="ana-2", name="Ana Ruiz")
    factories.ProviderFactory(health_system=tenant, slug="hanan", name="Hanan Ruiz")
    factories.ProviderFactory(health_system=tenant, slug="ruiz-zamora", name="Ruiz Zamora")
    # The name starting with it, then a word of the name starting with it, then every word
    # starting a word of the name, then the rest; ties by name, then id.
    assert found(api, "ana") == ["ana-lopez", "ana-2", "ana-ruiz", "diana", "hanan"]
    assert found(api, "ruiz") == ["ruiz-zamora", "ana-2", "ana-ruiz", "hanan"]
    assert found(api, "ruiz ana") == ["ana-2", "ana-ruiz", "hanan"]
    assert found(api, "zam ruiz") == ["ruiz-zamora"]
    assert found(api, "ruiz", sort="name") == ["ana-2", "ana-ruiz", "hanan", "ruiz-zamora"]


def test_a_sort_given_orders_instead_of_the_ranking(api, providers, tenant):
    factories.ProviderFactory(health_system=tenant, slug="hanan", name="Hanan Ruiz")
    ranked = ["ana-lopez", "ana-ruiz", "diana", "hanan", "polyglot"]  # "espanol" holds "an"
    assert found(api, "an") == ranked
    assert found(api, "an", sort="-name") == ["polyglot", "hanan", "diana", "ana-ruiz", "ana-lopez"]
    assert found(api, "an", sort="-id") == ranked[::-1]


def test_search_combines_with_other_filters_pages_and_includes(api, providers, tenant):
    ruiz = factories.ProviderFactory(health_system=tenant, slug="ana-spanish", name="Ana Spanish",
                                     languages=["Spanish"])  # fmt: skip
    factories.ScheduleFactory(health_system=tenant, provider=ruiz)
    assert found(api, "ana", **{"filter[language]": "spanish"}) == ["ana-spanish"]
    assert found(api, "ana", **{"filter[id]": "ana-ruiz,diana"}) == ["ana-ruiz", "diana"]
    response = api.get("/providers", {"filter[search]": "ana", "page[size]": "2",
                                      "include": "schedules"})  # fmt: skip
    assert response.status_code == 200
    assert [p["id"] for p in response.json["data"]] == ["ana-lopez", "ana-ruiz"]
    assert response.json["meta"]["record-count"] == 4
    second = api.get("/providers", {"filter[search]": "ana", "page[size]": "2",
                                    "page[number]": "2", "include": "schedules"})  # fmt: skip
    assert [p["id"] for p in second.json["data"]] == ["ana-spanish", "diana"]
    assert [i["type"] for i in second.json["included"]] == ["schedules"]


def test_the_json_filter_form(api, providers):
    response = api.get("/providers", {"filter": json.dumps({"search": "ruiz ana"})})
    assert [p["id"] for p in response.json["data"]] == ["ana-ruiz"]


def test_other_health_systems_are_not_searched(api, providers):
    other = factories.HealthSystemFactory()
    factories.ProviderFactory(health_system=other, slug="ana-elsewhere", name="Ana Elsewhere")
    assert "ana-elsewhere" not in found(api, "ana")


def test_a_renamed_row_is_found_by_its_new_name(api, providers, session, tenant):
    provider = factories.ProviderFactory(health_system=tenant, slug="renamed", name="Old Name")
    assert found(api, "old name") == ["renamed"]
    provider.name = "Élise Nouveau"
    session.flush()
    assert found(api, "old name") == []
    assert found(api, "elise") == ["renamed"]


@pytest.mark.parametrize("value", ["", " ", "   \t ", "-", "'"])
def test_a_blank_search_is_refused(api, providers, value):
    error = refused(api, {"filter[search]": value})
    assert error["code"] == "invalid-filter"
    assert error["source"] == {"parameter": "filter[search]"}


def test_a_search_past_the_longest_is_refused(api, providers):
    assert found(api, "a" * MAX_SEARCH_LENGTH) == []
    error = refused(api, {"filter[search]": "a" * (MAX_SEARCH_LENGTH + 1)})
    assert error["code"] == "invalid-filter"
    assert error["source"] == {"parameter": "filter[search]"}
    assert str(MAX_SEARCH_LENGTH) in error["detail"]
    error = refused(api, {"filter": json.dumps({"search": "ana " * 40})})
    assert error["source"] == {"parameter": "filter"}


def test_locations_services_and_appointment_types(api, tenant):
    factories.LocationFactory(health_system=tenant, slug="feestport", name="Feestport Clinic",
                              facility_name="Saint-Éloi Hall", city="Portland",
                              zip="04101")  # fmt: skip
    factories.LocationFactory(health_system=tenant, slug="other", name="Other", city="Bangor",
                              zip="04401")  # fmt: skip
    assert found(api, "eloi", "/locations") == ["feestport"]
    assert found(api, "portland clinic", "/locations") == ["feestport"]
    assert found(api, "0410", "/locations") == ["feestport"]
    assert sorted(found(api, "04", "/locations")) == ["feestport", "other"]
    factories.ServiceFactory(health_system=tenant, slug="urgent", name="Urgent Care")
    factories.ServiceFactory(health_system=tenant, slug="primary", name="Primary Care")
    assert found(api, "care", "/services") == ["primary", "urgent"]
    assert found(api, "care urg", "/services") == ["urgent"]
    factories.AppointmentTypeFactory(health_system=tenant, slug="physical", name="Annual Physical")
    factories.AppointmentTypeFactory(health_system=tenant, slug="sick", name="Sick Visit")
    assert found(api, "PHYS", "/appointment-types") == ["physical"]
    assert found(api, "i", "/appointment-types", sort="-id") == ["sick", "physical"]


def test_near_orders_a_search_by_distance(api, tenant):
    for slug, name, latitude in (("ana-far", "Ana Far", 45.0), ("hanan-near", "Hanan Near", 40.0)):
        provider = factories.ProviderFactory(health_system=tenant, slug=slug, name=name)
        location = factories.LocationFactory(health_system=tenant, latitude=latitude,
                                             longitude=-75.0)  # fmt: skip
        factories.ScheduleFactory(health_system=tenant, provider=provider, location=location)
    assert found(api, "ana") == ["ana-far", "hanan-near"]
    assert found(api, "ana", **{"filter[near]": "40.0,-75.0"}) == ["hanan-near", "ana-far"]
    assert found(api, "ana", **{"filter[near]": "45.0,-75.0"}) == ["ana-far", "hanan-near"]


@pytest.mark.postgres
def test_a_search_is_planned_for_its_values(api, providers, session):
    """A search's page and count are sent unprepared, so PostgreSQL plans them for the
    letters typed, never with the one plan it may settle on after five runs of a prepared
    statement (which reads every name for "d"); other reads stay prepared."""
    for _ in range(7):  # psycopg prepares a statement at its fifth run
        assert api.get("/providers", {"filter[search]": "ana"}).status_code == 200
        assert api.get("/providers").status_code == 200
    prepared = session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    reads = [sql for sql in prepared if not sql.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert any("FROM providers" in sql for sql in reads)
    assert not any("search_text" in sql for sql in reads)

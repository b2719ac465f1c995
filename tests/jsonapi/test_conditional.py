"""Catalog reads carry a strong ETag; If-None-Match answers 304; patient data never does."""

import pytest

from inquick.jsonapi import conditional
from tests import factories
from tests.conftest import Api, make_key


@pytest.fixture
def catalog(tenant):
    factories.ServiceFactory(health_system=tenant, slug="primary-care", name="Primary Care")
    location = factories.LocationFactory(health_system=tenant, slug="feestport")
    return factories.ScheduleFactory(health_system=tenant, location=location)


def revalidate(api, path, tag, query=None):
    return api.get(path, query, headers={"If-None-Match": tag})


@pytest.mark.parametrize(
    "path",
    ["/services", "/services/primary-care", "/locations/feestport/schedules",
     "/locations/feestport/relationships/schedules"],
)  # fmt: skip
def test_a_catalog_read_carries_a_strong_etag_and_answers_304(api, catalog, path):
    first = api.get(path)
    tag = first.headers["ETag"]
    assert first.status_code == 200 and tag.startswith('"') and not tag.startswith("W/")
    assert first.headers["Cache-Control"] == "no-cache, public"
    assert first.headers["Vary"] == "Authorization"
    again = revalidate(api, path, tag)
    assert again.status_code == 304
    assert again.get_data() == b"" and "Content-Type" not in again.headers
    assert again.headers["ETag"] == tag
    # A weak comparison, as RFC 9110 has If-None-Match compare, and a list of tags.
    assert revalidate(api, path, f'W/{tag}, "other"').status_code == 304
    assert revalidate(api, path, '"something else"').status_code == 200


def test_a_304_reads_the_catalogs_version_alone(api, catalog, count_queries):
    tag = api.get("/services").headers["ETag"]
    with count_queries() as counter:
        assert revalidate(api, "/services", tag).status_code == 304
    assert len(counter.statements) == 1
    assert "catalog_state" in counter.statements[0]


def test_the_etag_is_the_documents_identity(app, api, catalog, writer, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["localhost", "other.example.net"])
    tag = api.get("/services").headers["ETag"]
    assert api.get("/services").headers["ETag"] == tag  # the same document, the same tag
    assert api.get("/services", {"sort": "-name"}).headers["ETag"] != tag
    assert api.get("/services", base_url="https://other.example.net").headers["ETag"] != tag
    changed = writer.patch(
        "/services/primary-care",
        {"data": {"type": "services", "id": "primary-care", "attributes": {"name": "Care"}}},
    )
    assert changed.status_code == 200
    after = revalidate(api, "/services", tag)
    assert after.status_code == 200
    assert after.json["data"][0]["attributes"]["name"] == "Care"
    assert after.headers["ETag"] != tag


def test_a_write_the_api_did_not_make_changes_the_etag_too(api, catalog, session):
    """The version is kept by the database's triggers, whoever writes."""
    tag = api.get("/services/primary-care").headers["ETag"]
    catalog.name = "Renamed by an operator"
    session.flush()
    assert revalidate(api, "/services/primary-care", tag).status_code == 200


def test_another_health_systems_same_path_has_another_etag(
    client, session, tenant, other_tenant, catalog
):
    factories.ServiceFactory(health_system=other_tenant, slug="primary-care", name="Primary Care")
    mine = Api(client, "tenant-a.example.org", make_key(session, tenant))
    theirs = Api(client, "tenant-b.example.org", make_key(session, other_tenant))
    tag = mine.get("/services/primary-care").headers["ETag"]
    assert revalidate(theirs, "/services/primary-care", tag).status_code == 200


def test_a_new_build_changes_every_etag(api, catalog, monkeypatch):
    tag = api.get("/services").headers["ETag"]
    monkeypatch.setattr(conditional, "BUILD", "another build")
    assert revalidate(api, "/services", tag).status_code == 200


def test_if_none_match_star_is_304_for_what_exists_and_404_otherwise(api, catalog):
    assert revalidate(api, "/services/primary-care", "*").status_code == 304
    assert revalidate(api, "/services/nothing-here", "*").status_code == 404


def test_a_key_without_the_scope_learns_nothing_from_a_tag(client, session, tenant, api, catalog):
    tag = api.get("/services").headers["ETag"]
    bare = Api(client, "tenant-a.example.org", make_key(session, tenant, scopes=["visits:read"]))
    assert revalidate(bare, "/services", tag).status_code == 403


def test_visit_settings_carry_an_etag_too(api, catalog):
    path = f"/visit-settings/{catalog.id}"
    tag = api.get(path).headers["ETag"]
    assert revalidate(api, path, tag).status_code == 304


def test_patient_data_and_keys_carry_no_etag_and_are_never_stored(client, session, tenant, catalog):
    reader = Api(
        client,
        "tenant-a.example.org",
        make_key(session, tenant, scopes=["visits:read", "keys:manage"]),
    )
    factories.VisitFactory(schedule=catalog)
    for path in ("/visits", "/api-keys"):
        response = reader.get(path)
        assert response.status_code == 200
        assert "ETag" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
        assert revalidate(reader, path, "*").status_code == 200


@pytest.mark.parametrize(
    "junk", ["' OR 1=1 --", '"unterminated', "W/", ", , ,", '"a", W/"b", *x', "é" * 300]
)
def test_junk_in_if_none_match_is_no_match(api, catalog, junk):
    response = revalidate(api, "/services", junk)
    assert response.status_code == 200
    assert "primary-care" in [service["id"] for service in response.json["data"]]

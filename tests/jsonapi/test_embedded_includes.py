"""A page's included relationships that come with its own rows, as one JSON value a row
(`Reader.embeddable`), make the same document as when each is read in a statement of its
own, one statement fewer."""

import itertools
import json

import pytest

from inquick.jsonapi import records
from inquick.jsonapi.records import Reader
from inquick.jsonapi.resource import REGISTRY
from tests import factories


@pytest.fixture
def catalog(tenant):
    """Plans whose slugs sort otherwise than their keys, some accepted by default, and
    schedules taking their plans from each level of the override chain, or none: on every
    page of two, something to include."""
    plans = [
        factories.InsurancePlanFactory(health_system=tenant, slug=slug, accepted_by_default=d)
        for slug, d in (("zeta", False), ("alpha", True), ("mid", False), ("beta", None))
    ]
    zeta, alpha, mid, beta = plans
    covered, bare, *others = [
        factories.LocationFactory(health_system=tenant, insurance_plans=own)
        for own in ([mid, zeta], [], [alpha], [beta, mid, zeta])
    ]
    services = [factories.ServiceFactory(health_system=tenant) for _ in range(3)]
    kinds = [
        factories.AppointmentTypeFactory(health_system=tenant, services=services[n:])
        for n in range(3)
    ]
    for location, own, types in (
        (covered, [beta, zeta, alpha], kinds),
        (covered, [], kinds[1:]),
        (bare, [], []),
        (bare, [mid], kinds[:1]),
        *((location, [], kinds) for location in others),
    ):
        factories.ScheduleFactory(
            health_system=tenant, location=location, insurance_plans=own, appointment_types=types
        )


def embeddable_includes():
    """(type, relationship) of every relationship a page of its type would embed."""
    found = []
    for resource in REGISTRY.values():
        for name in resource.relationships:
            reader, tree = Reader({}), {name: {}}
            if reader.embeddable(resource, tree, reader.joinable(resource, tree)):
                found.append((resource.type, name))
    return found


def read(api, count_queries, path, query):
    """The document's bytes (a boolean is not a number there) and the statements it cost,
    the caller known already."""
    api.get(path, query)
    with count_queries() as counter:
        response = api.get(path, query)
    assert response.status_code == 200, response.json
    return response.get_data(), counter.count


def test_what_comes_with_a_row_is_text_numbers_and_booleans():
    assert ("schedules", "insurance-plans") in embeddable_includes()
    assert ("schedules", "provider") not in embeddable_includes()  # joined to the row
    # A date would come through JSON as text: a type with one is read on its own.
    assert not REGISTRY["visits"].read_plan.same_in_json(None)


def test_an_embedded_include_makes_the_document_a_statement_of_its_own_makes(
    api, count_queries, catalog, monkeypatch
):
    includes = embeddable_includes()  # the types are registered once the app is made
    assert includes
    for (type_name, name), page in itertools.product(includes, (1, 2)):
        path = f"/{type_name}"
        query = {"include": name, "page[size]": 2, "page[number]": page}
        embedded, statements = read(api, count_queries, path, query)
        with monkeypatch.context() as patched:
            patched.setattr(records.Reader, "embeddable", lambda *_: ())
            followed, followed_statements = read(api, count_queries, path, query)
        assert embedded == followed, (type_name, name, page)
        shown = json.loads(embedded)["data"]
        assert any(o["relationships"][name].get("data") for o in shown), (path, name)
        assert statements == followed_statements - 1

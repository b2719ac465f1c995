"""A page's included relationships that come with its own rows, as one JSON value a row
(`Reader.embeddable`), make the same document as when each is read in a statement of its
own, one statement fewer."""

import itertools
import json

import pytest

from inquick.auth.keys import SCOPES
from inquick.jsonapi import records
from inquick.jsonapi.records import Reader
from inquick.jsonapi.resource import REGISTRY
from tests import factories
from tests.conftest import Api, make_key
from tests.fhir.conftest import Fhir


@pytest.fixture
def catalog(tenant):
    """Plans whose slugs sort otherwise than their keys, some accepted by default, and
    schedules taking their plans from each level of the override chain, or none, with
    visits and a webhook endpoint's deliveries: on every page of two, something to
    include."""
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
    schedules = [
        factories.ScheduleFactory(
            health_system=tenant, location=location, insurance_plans=own, appointment_types=types
        )
        for location, own, types in (
            (covered, [beta, zeta, alpha], kinds),
            (covered, [], kinds[1:]),
            (bare, [], []),
            (bare, [mid], kinds[:1]),
            *((location, [], kinds) for location in others),
        )
    ]
    for schedule in schedules:
        factories.VisitFactory(schedule=schedule)
    endpoints = [factories.WebhookEndpointFactory(health_system_id=tenant.id) for _ in range(3)]
    for endpoint, n in zip(endpoints, (2, 0, 1), strict=True):
        for _ in range(n):
            event = factories.WebhookEventFactory(health_system_id=tenant.id)
            factories.WebhookDeliveryFactory(endpoint=endpoint, event=event)


@pytest.fixture
def every_scope(client, session, tenant):
    """The API and FHIR of tenant-a with one key holding every scope."""
    secret = make_key(session, tenant, scopes=SCOPES)
    return Api(client, "tenant-a.example.org", secret), Fhir(client, "tenant-a.example.org", secret)


def fieldsets(target):
    """The target's fieldsets to read it with: all of it, what of it is text, whole numbers
    and booleans (when that is not all of it), and none of it."""
    plan = target.read_plan
    plain = [name for name in target.attributes if plan.same_in_json(frozenset([name]))]
    yield None
    if len(plain) < len(target.attributes):
        yield ",".join(plain)
    yield ""


def embeddable_includes():
    """(type, relationship, fieldset of its target) of every relationship a page of its
    type would embed."""
    found = []
    for resource in REGISTRY.values():
        for name, relationship in resource.relationships.items():
            if relationship.target.model is None:
                continue
            for fieldset in fieldsets(relationship.target):
                fields = {} if fieldset is None else {relationship.target.type: fieldset.split(",")}
                reader, tree = Reader(fields), {name: {}}
                if reader.embeddable(resource, tree, reader.joinable(resource, tree)):
                    found.append((resource.type, name, fieldset))
    return found


def both_ways(monkeypatch, count_queries, send):
    """`send()`'s answer, its relationships embedded and each read on its own: (bytes,
    statements) of each, the caller known already."""
    answers = []
    for embedding in (True, False):
        with monkeypatch.context() as patched:
            if not embedding:
                patched.setattr(records.Reader, "embeddable", lambda *_: ())
            send()
            with count_queries() as counter:
                response = send()
        assert response.status_code == 200, response.get_data()
        answers.append((response.get_data(), counter.count))
    return answers


def test_what_comes_with_a_row_is_text_numbers_and_booleans():
    includes = {(type_name, name) for type_name, name, _ in embeddable_includes()}
    assert {("schedules", "insurance-plans"), ("visits", "provider")} <= includes
    assert ("schedules", "provider") not in includes  # joined to the row
    # A date would come through JSON as text: a type with one is read on its own.
    assert not REGISTRY["visits"].read_plan.same_in_json(None)


def test_an_embedded_include_makes_the_document_a_statement_of_its_own_makes(
    every_scope, count_queries, catalog, monkeypatch
):
    api, _ = every_scope
    includes = embeddable_includes()  # the types are registered once the app is made
    for (type_name, name, fieldset), page in itertools.product(includes, (1, 2)):
        query = {"include": name, "page[size]": 2, "page[number]": page}
        if fieldset is not None:
            query[f"fields[{REGISTRY[type_name].relationships[name].target.type}]"] = fieldset
        embedded, followed = both_ways(
            monkeypatch, count_queries, lambda q=query, t=type_name: api.get(f"/{t}", q)
        )
        assert embedded[0] == followed[0], (type_name, name, fieldset, page)
        assert embedded[1] == followed[1] - 1
        if page == 1:
            shown = json.loads(embedded[0])["data"]
            assert any(o["relationships"][name].get("data") for o in shown), (type_name, name)


def test_fhir_appointments_come_with_their_providers_as_a_statement_of_their_own_brings(
    every_scope, count_queries, catalog, monkeypatch
):
    _, fhir = every_scope
    embedded, followed = both_ways(monkeypatch, count_queries, lambda: fhir.get("/Appointment"))
    assert embedded[0] == followed[0]
    assert json.loads(embedded[0])["total"] == 6
    assert embedded[1] == followed[1] - 1

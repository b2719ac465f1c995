"""No row of another health system, or of the other mode, is reachable through any endpoint.

Each test walks every GET route of the app, so a route added later is covered too.
"""

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from inquick.auth.keys import SCOPES, digest, issue_key
from inquick.booking.references import shown
from inquick.extensions import db
from inquick.jsonapi.resource import REGISTRY
from inquick.models import ApiKey, VisitValidation
from tests import factories
from tests.conftest import make_key

HOST_A, HOST_B = "tenant-a.example.org", "tenant-b.example.org"
VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
CATALOG_TYPES = (
    "health-systems",
    "locations",
    "services",
    "medical-groups",
    "appointment-types",
    "insurance-plans",
    "providers",
    "schedules",
    "visits",
    "bookings",
    "api-keys",
    "validations",
    "webhook-endpoints",
    "webhook-deliveries",
)
# URL variables that are not `TYPE_id`: the type whose ids they take.
VARIABLE_TYPES = {"reference": "bookings"}
# Actions on a resource (`/TYPE/{id}/ACTION`, POST): neither relationships nor types.
ACTIONS = {"redelivery"}


@dataclass
class Catalog:
    """The rows of one health system, by type, and the word every one of its names carries."""

    marker: str
    published: dict = field(default_factory=dict)  # type -> ids a caller of this system sees
    schedule_ids: set = field(default_factory=set)  # every schedule, inactive ones too

    def add(self, type_, *rows):
        for row in rows:
            self.published.setdefault(type_, []).append(row.slug)


def populate(system, marker):
    """Catalog rows of every type: some with slugs every system uses, some with its own."""
    tag = marker.lower()
    catalog = Catalog(marker)
    catalog.published["health-systems"] = [system.slug]

    def rows(factory, slugs, **attributes):
        return [
            factory(health_system=system, slug=slug, name=f"{marker} {slug}", **attributes)
            for slug in slugs
        ]

    plans = rows(factories.InsurancePlanFactory, ["aarp-ppo", f"{tag}-hmo"], company=marker)
    plans[0].accepted_by_default = True
    region = factories.RegionFactory(
        health_system=system, slug="coast", name=f"{marker} coast", insurance_plans=plans[:1]
    )
    services = rows(factories.ServiceFactory, ["primary-care", f"{tag}-urgent-care"])
    groups = rows(factories.MedicalGroupFactory, ["maine-medical", f"{tag}-group"])
    types = rows(factories.AppointmentTypeFactory, ["annual-physical", f"{tag}-sick-visit"])
    types[0].services = services
    downtown, uptown = rows(factories.LocationFactory, ["downtown", f"{tag}-uptown"])
    downtown.region, downtown.insurance_plans = region, plans[1:]
    smith, jones = rows(factories.ProviderFactory, ["dr-smith", f"{tag}-dr-jones"])
    smith.medical_groups, jones.medical_groups = groups[:1], groups

    def schedule(name, **attributes):
        return factories.ScheduleFactory(
            health_system=system, name=f"{marker} {name}", **attributes
        )

    schedules = [
        schedule(
            "own plans",
            location=downtown,
            provider=smith,
            service=services[0],
            insurance_plans=plans,
            appointment_types=types,
        ),
        # No plans of its own: the location's (then region's, then system's) apply.
        schedule("inherits", location=uptown, provider=jones, service=services[1]),
        schedule("no service", location=downtown, provider=jones, service=None),
    ]
    inactive = schedule(
        "inactive", location=downtown, provider=smith, active=False, appointment_types=types
    )
    catalog.add("insurance-plans", *plans)
    catalog.add("services", *services)
    catalog.add("medical-groups", *groups)
    catalog.add("appointment-types", *types)
    catalog.add("locations", downtown, uptown)
    catalog.add("providers", smith, jones)
    catalog.add("schedules", *schedules)
    catalog.schedule_ids = {s.id for s in [*schedules, inactive]}
    rule = VisitValidation(kind="format", attributes=["zip"], options={"with": f"{tag}[0-9]+"})
    schedules[0].visit_validations.append(rule)
    db.session.flush()
    catalog.published["validations"] = [rule.id]
    for schedule_row in schedules:
        visit = factories.VisitFactory(
            schedule=schedule_row,
            patient={"first-name": f"{marker} patient", "email": f"{tag}@example.org"},
        )
        catalog.published.setdefault("visits", []).append(visit.id)
        catalog.published.setdefault("bookings", []).append(shown(visit.booking_reference))
    key, _secret = issue_key(system, label=f"{marker} key")
    # A publishable key, whose whole value and origins any read of it shows.
    page_key, _secret = issue_key(
        system, label=f"{marker} page", publishable=True, allowed_origins=[f"https://{tag}.example"]
    )
    db.session.add_all([key, page_key])
    db.session.flush()
    catalog.published["api-keys"] = [str(key.id), str(page_key.id)]
    endpoint = factories.WebhookEndpointFactory(
        health_system_id=system.id,
        url=f"https://93.184.216.34/{tag}",
        description=f"{marker} hooks",
    )
    event = factories.WebhookEventFactory(health_system_id=system.id)
    delivery = factories.WebhookDeliveryFactory(endpoint=endpoint, event=event)
    catalog.published["webhook-endpoints"] = [endpoint.id]
    catalog.published["webhook-deliveries"] = [delivery.id]
    return catalog


@pytest.fixture(autouse=True)
def no_rate_limit(app, monkeypatch):
    """These walks send hundreds of requests from one address on purpose (limits: test_limits)."""
    monkeypatch.setitem(app.config, "RATE_LIMIT", 1_000_000)
    monkeypatch.setitem(app.config, "LOOKUP_RATE_LIMIT", 1_000_000)
    monkeypatch.setitem(app.config, "KEY_LOOKUP_RATE_LIMIT", 1_000_000)


@pytest.fixture
def tenants(session, tenant, other_tenant):
    """Tenant A and tenant B, each with a full catalog; B reuses some of A's slugs."""
    tenant.name, other_tenant.name = "Alpha Health", "Bravo Health"
    return populate(tenant, "Alpha"), populate(other_tenant, "Bravo")


@pytest.fixture
def sandbox(session, tenant):
    """Tenant A's sandbox, slugged like A as `inquick create-key --mode test` makes it."""
    # A sandbox has no hostnames of its own: it is reached through its live system's.
    return factories.HealthSystemFactory(
        slug=tenant.slug, name="Sandbox Health", mode="test", live_system_id=tenant.id, hostnames=[]
    )


# --- walking the URL map ----------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One GET rule of the API, and what its URL variables and query parameters mean."""

    rule: str
    type: str  # the first path segment, dasherized
    id_type: str | None  # the type whose id fills the rule's id variable, if it has one
    target: str | None  # the type of the primary data, when the route serves a declared type
    many: bool = False
    linkage: bool = False  # a relationship endpoint: resource identifiers, no include

    def url(self, hostname, object_id=None):
        values = {"partner_hostname": hostname}
        return VARIABLE.sub(lambda m: values.get(m[1], object_id), self.rule)

    def query(self):
        """include= every relationship path (two levels deep) where taken, the largest page."""
        query = {}
        if self.target in REGISTRY and not self.linkage:
            relationships = REGISTRY[self.target].relationships
            paths = [
                f"{name}.{inner}" if inner else name
                for name, rel in relationships.items()
                for inner in ["", *rel.target.relationships]
            ]
            if paths:
                query["include"] = ",".join(paths)
        if self.many:
            query["page[size]"] = "100"
        return query


def describe(rule):
    """A rule's parts: `/TYPE`, `/TYPE/{id}`, `/TYPE/{id}/REL`, `/TYPE/{id}/relationships/REL`."""
    path = rule.rule.split("<partner_hostname>/", 1)[1]
    parts = path.split("/")
    type_ = parts[0].replace("_", "-")
    variables = [v for v in rule.arguments if v != "partner_hostname"]
    assert len(variables) <= 1, f"{rule.rule}: teach this test to fill {variables}"
    id_type = None
    if variables:
        name = variables[0]
        id_type = type_ if name == "object_id" else name.removesuffix("_id") + "s"
        id_type = VARIABLE_TYPES.get(name, id_type)
        assert id_type in CATALOG_TYPES, f"{rule.rule}: teach this test the ids of <{name}>"
    resource = REGISTRY.get(type_)
    if resource is None or parts[-1] in ACTIONS:
        return Route(rule.rule, type_, id_type, None)
    if len(parts) <= 2:
        return Route(rule.rule, type_, id_type, type_, many=len(parts) == 1)
    relationship = resource.relationships[parts[-1]]
    linkage = parts[2] == "relationships"
    return Route(rule.rule, type_, id_type, relationship.type, relationship.many, linkage)


@pytest.fixture
def routes(app):
    found = [
        describe(rule)
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and "partner_hostname" in rule.arguments
        and not rule.rule.startswith("/fhir/")  # FHIR's own walk: tests/fhir/test_tenancy.py
    ]
    assert len(found) > 30  # both prefixes, every type: the walk is not vacuous
    return found


def route_urls(routes, hostname, ids):
    """(route, url) for every route, each id variable filled with each of `ids[type]`."""
    for route in routes:
        if route.id_type is None:
            yield route, route.url(hostname)
        else:
            for object_id in ids.get(route.id_type, []):
                yield route, route.url(hostname, object_id)


def identifiers(document):
    """Every (type, id) in a document's primary data and included resources."""
    data = document.get("data")
    objects = [
        *(data if isinstance(data, list) else [data] if data else []),
        *document.get("included", []),
    ]
    return {(o["type"], o["id"]) for o in objects}


def hidden_rows(visible, hidden):
    """The (type, id) of `hidden`'s rows that no row of `visible` shares."""
    return {
        (type_, object_id)
        for type_, ids in hidden.published.items()
        for object_id in ids
        if object_id not in visible.published.get(type_, [])
    } | {("schedules", s) for s in hidden.schedule_ids}


def own_ids(hidden, visible):
    """`hidden`'s ids by type, leaving out those `visible` also uses."""
    return {
        type_: sorted(
            {i for i in ids if i not in visible.published.get(type_, [])}
            | (hidden.schedule_ids if type_ == "schedules" else set())
        )
        for type_, ids in hidden.published.items()
    }


def assert_isolated(client, secret, routes, visible, hidden):
    """With `secret` on tenant A's hostname, `visible`'s rows answer and `hidden`'s never do."""
    headers = {"Authorization": secret}
    leaked_ids = hidden_rows(visible, hidden)
    failures = []
    for route, url in route_urls(routes, HOST_A, visible.published):
        response = client.get(url, query_string=route.query(), headers=headers)
        body = response.get_data(as_text=True)
        if response.status_code >= 500 or (route.target and response.status_code != 200):
            failures.append(f"{url}: {response.status_code} {body[:300]}")
            continue
        if hidden.marker.lower() in body.lower() or any(s in body for s in hidden.schedule_ids):
            failures.append(f"{url}: a {hidden.marker} row is in {body}")
        if response.is_json and identifiers(response.json) & leaked_ids:
            failures.append(f"{url}: {sorted(identifiers(response.json) & leaked_ids)}")
    addressed = [r for r in routes if r.id_type]
    for _route, url in route_urls(addressed, HOST_A, own_ids(hidden, visible)):
        response = client.get(url, headers=headers)
        if response.status_code != 404 or response.json["errors"][0]["status"] != "404":
            failures.append(f"{url}: {response.status_code}, expected 404")
    assert failures == []


# --- tests ------------------------------------------------------------------------------------


def test_another_systems_rows_are_unreachable(client, session, tenant, routes, tenants):
    alpha, bravo = tenants
    # Every scope, so that every route (patient data included) answers and is checked.
    secret = make_key(session, tenant, scopes=SCOPES)
    assert_isolated(client, secret, routes, visible=alpha, hidden=bravo)


def test_a_key_on_another_systems_hostname_is_401(client, key, routes, tenants, other_tenant):
    alpha, bravo = tenants
    for ids in (bravo.published, alpha.published):
        for _route, url in route_urls(routes, HOST_B, ids):
            response = client.get(url, headers={"Authorization": key})
            assert response.status_code == 401, url
            assert response.json["errors"][0]["status"] == "401", url
            body = response.get_data(as_text=True)
            assert other_tenant.name not in body, url
            assert bravo.marker not in body, url


def revoked_key(session, system):
    secret = make_key(session, system)
    row = session.scalar(select(ApiKey).where(ApiKey.digest == digest(secret)))
    row.revoked_at = datetime.now(UTC)
    session.flush()
    return secret


@pytest.mark.parametrize("credential", ["none", "unknown", "revoked"])
def test_without_a_valid_key_every_route_is_401(
    client, session, tenant, routes, tenants, credential
):
    alpha, _bravo = tenants
    secret = {
        "none": None,
        "unknown": f"iq_live_{secrets.token_urlsafe(32)}",
        "revoked": revoked_key(session, tenant),
    }[credential]
    headers = {"Authorization": secret} if secret else {}
    for _route, url in route_urls(routes, HOST_A, alpha.published):
        response = client.get(url, headers=headers)
        assert response.status_code == 401, url
        error = response.json["errors"][0]
        assert (error["status"], error["code"]) == ("401", "not-authenticated"), url
        # The query parameter works like the header.
        if secret:
            assert client.get(url, query_string={"api_key": secret}).status_code == 401, url


def test_a_key_without_catalog_read_is_403(client, session, tenant, routes, tenants):
    alpha, _bravo = tenants
    secret = make_key(session, tenant, scopes=["availability:read"])
    catalog_routes = [r for r in routes if r.type in CATALOG_TYPES]
    assert catalog_routes
    for _route, url in route_urls(catalog_routes, HOST_A, alpha.published):
        response = client.get(url, headers={"Authorization": secret})
        assert response.status_code == 403, url
        assert response.json["errors"][0]["status"] == "403", url


@pytest.mark.parametrize("with_key", [True, False])
def test_an_unknown_hostname_is_404(client, key, routes, tenants, with_key):
    alpha, _bravo = tenants
    headers = {"Authorization": key} if with_key else {}
    for _route, url in route_urls(routes, "nowhere.example.org", alpha.published):
        response = client.get(url, headers=headers)
        assert response.status_code == 404, url
        error = response.json["errors"][0]
        assert (error["status"], error["code"]) == ("404", "not-found"), url


def test_a_test_key_sees_only_the_sandbox(client, session, routes, tenant, sandbox):
    tenant.name = "Alpha Health"
    live, sandboxed = populate(tenant, "Alpha"), populate(sandbox, "Sandbox")
    secret = make_key(session, sandbox, mode="test", scopes=SCOPES)
    assert secret.startswith("iq_test_")
    assert_isolated(client, secret, routes, visible=sandboxed, hidden=live)


def test_a_live_key_never_sees_the_sandbox(client, session, routes, tenant, sandbox):
    live, sandboxed = populate(tenant, "Alpha"), populate(sandbox, "Sandbox")
    secret = make_key(session, tenant, scopes=SCOPES)
    assert_isolated(client, secret, routes, visible=live, hidden=sandboxed)

"""No write of health system A's keys reaches a row of health system B, or of A's other mode.

The walks take every POST, PATCH and DELETE route from the app's URL map, so a write route
added later is covered too. With a key of A holding every scope (live, and test for A's
sandbox): on B's hostname every write answers 401; on A's hostname a write naming B's rows,
in its URL or in its body, answers 404; and afterwards not one row of any table differs.
The same holds between A's live data and its sandbox's, in both directions.
"""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from inquick.auth.keys import SCOPES
from inquick.jsonapi.resource import REGISTRY
from inquick.models import InsurancePlan, Location
from tests import snapshots, test_tenancy
from tests.conftest import Api, make_key
from tests.snapshots import JSONAPI, changed_tables, send, snapshot
from tests.test_tenancy import HOST_A, HOST_B, Catalog, Route, describe, own_ids, populate

# The read walk's fixtures: A and B with full catalogs, A's sandbox, no rate limit (autouse).
tenants, sandbox = test_tenancy.tenants, test_tenancy.sandbox
no_rate_limit = test_tenancy.no_rate_limit
frozen = snapshots.frozen

WRITE_METHODS = ("POST", "PATCH", "DELETE")
# What a PATCH of each type changes; any type not named here has a `name`.
CHANGES = {
    "visits": {"status": "cancelled", "reason": "changed"},
    "validations": {"message": "changed"},
    "visit-settings": {"patient-instructions": "changed"},
    "bookings": {"status": "cancelled", "reason": "changed"},
}
# POST /TYPE routes that name no existing row at all: they create a row of the caller's own
# system (or, for health-systems, are refused outright), so there is no id of B to send.
# What they create is tested with each type; on B's hostname they are 401s like the rest.
NAME_NOTHING = {
    "services": {"name": "changed"},
    "medical-groups": {"name": "changed"},
    "insurance-plans": {"company": "changed", "name": "changed"},
    "health-systems": {"name": "changed"},
    "api-keys": {"scopes": ["catalog:read"]},
    "webhook-endpoints": {"url": "https://93.184.216.34/hooks"},
}
# POST /visits and DELETE /visit-token authenticate with a visit token, not a key: which
# system they act for is the token's (tests/booking/test_visit_tokens.py,
# tests/booking/test_slot_holds.py, tests/auth/test_sandbox.py), so a key of A naming B's
# schedule is not a case they have. On B's hostname they are a 401 all the same.
TOKEN_AUTHENTICATED = {"visits", "visit-token"}


@dataclass(frozen=True)
class Write:
    """One write operation of the API: a route and a method."""

    route: Route
    method: str

    @property
    def creates(self):
        """POST /TYPE: no id in the URL."""
        return self.route.id_type is None


@pytest.fixture
def writes(app):
    """Every write operation under a partner hostname (both API prefixes)."""
    found = [
        Write(describe(rule), method)
        for rule in app.url_map.iter_rules()
        # FHIR's one POST, `[type]/_search`, is a search: tests/fhir/test_search_by_form.py.
        if "partner_hostname" in rule.arguments and not rule.rule.startswith("/fhir/")
        for method in WRITE_METHODS
        if method in rule.methods
    ]
    assert len(found) > 20  # every type's writes, both prefixes: the walk is not vacuous
    creating = {w.route.type for w in found if w.creates}
    # A new POST /TYPE route must be classified: as linking to rows, naming none, or not
    # authenticated by a key.
    unclassified = creating - set(LINKING) - set(NAME_NOTHING) - TOKEN_AUTHENTICATED
    assert unclassified == set(), f"teach this test what POST /{unclassified} can link to"
    return found


# --- documents --------------------------------------------------------------------------------


def first_own(hidden, visible, type_):
    """An id of `hidden`'s (published, so active) rows of `type_` that `visible` does not use."""
    return next(i for i in hidden.published[type_] if i not in visible.published.get(type_, []))


def identifier(type_, object_id):
    return {"type": type_, "id": object_id}


def one(type_, theirs):
    """The resource identifier of the row of `type_` that `theirs(type_)` names."""
    return identifier(type_, theirs(type_))


# POST /TYPE documents linking to existing rows, each picked by `theirs(type)`:
# type -> theirs -> (attributes, relationships).
LINKING = {
    "locations": lambda theirs: (
        {"name": "changed", "time-zone-name": "America/New_York"},
        {"insurance-plans": {"data": [one("insurance-plans", theirs)]}},
    ),
    "schedules": lambda theirs: (
        {"name": "changed"},
        {
            "location": {"data": one("locations", theirs)},
            "provider": {"data": one("providers", theirs)},
            "service": {"data": one("services", theirs)},
        },
    ),
    "appointment-types": lambda theirs: (
        {"name": "changed"},
        {"services": {"data": [one("services", theirs)]}},
    ),
    "validations": lambda theirs: (
        {"kind": "presence", "attributes": ["zip"]},
        {"schedule": {"data": one("schedules", theirs)}},
    ),
    # A provider names its medical groups in an attribute (the reference's shape).
    "providers": lambda theirs: (
        {"name": "changed", "medical-groups": [{"id": theirs("medical-groups")}]},
        {},
    ),
}


def creation(type_, theirs):
    """A plausible POST /TYPE document, linking to `theirs` rows where the type links at all."""
    if type_ in LINKING:
        attributes, relationships = LINKING[type_](theirs)
        data = {"type": type_, "attributes": attributes, "relationships": relationships}
    elif type_ in TOKEN_AUTHENTICATED:
        data = {"type": type_, "attributes": {"first-name": "changed"}}
    else:
        data = {"type": type_, "attributes": NAME_NOTHING[type_]}
    return {"data": data}


def document(write, object_id, theirs):
    """A plausible body for `write` on the object `object_id` (None: no body)."""
    route = write.route
    if route.linkage:  # TYPE/{id}/relationships/NAME: replace, add or remove linkage
        return {"data": [] if route.many else None}
    if write.method == "DELETE":
        return None
    if write.creates:
        return creation(route.type, theirs)
    attributes = CHANGES.get(route.type, {"name": "changed"})
    return {"data": {"type": route.type, "id": object_id, "attributes": attributes}}


# --- answers ----------------------------------------------------------------------------------


def refused(response, status, hidden):
    """Why `response` is not a JSON:API error of `status` telling nothing of `hidden`, or None."""
    body = response.get_data(as_text=True)
    if response.status_code != status:
        return f"{response.status_code}, expected {status}: {body[:300]}"
    if response.mimetype != JSONAPI:
        return f"answered {response.mimetype}"
    error = response.json["errors"][0]
    code = {401: "not-authenticated", 404: "not-found"}[status]
    if (error["status"], error["code"]) != (str(status), code):
        return f"error {error}"
    # Names carry the capitalized marker; ids (which an error may echo back) a lowercase one.
    if hidden.marker in body:
        return f"a {hidden.marker} row is in {body}"
    return None


def refused_outright(client, secret, write, url, response):
    """Whether `write` answered the same 403 it answers for an id nobody has.

    A route refusing a method for every id (DELETE /health-systems/{id}: systems are the
    operator's) says nothing about whether the row exists, so that 403 reveals nothing.
    """
    if response.status_code != 403 or write.route.id_type is None:
        return False
    nobody = write.route.url(HOST_A, "no-such-row")
    again = send(client, secret, write.method, nobody, document(write, "no-such-row", None))
    return again.status_code == 403 and again.json == response.json


# --- scenarios --------------------------------------------------------------------------------


@dataclass
class Standoff:
    """A caller's key, the catalog it owns, and a catalog it must never reach."""

    secret: str
    visible: Catalog
    hidden: Catalog

    def theirs(self, type_):
        return first_own(self.hidden, self.visible, type_)

    def mine(self, type_):
        return self.visible.published[type_][0]


SCENARIOS = {
    # (whose key, the catalog it must not reach)
    "live-key-vs-system-b": ("live", "bravo"),
    "test-key-vs-system-b": ("test", "bravo"),
    "test-key-vs-live-rows": ("test", "live"),
    "live-key-vs-sandbox-rows": ("live", "sandbox"),
}


@pytest.fixture
def catalogs(session, tenant, sandbox, tenants):
    """A's live catalog, A's sandbox's and B's, all sharing some slugs."""
    alpha, bravo = tenants
    return {"live": alpha, "sandbox": populate(sandbox, "Sandbox"), "bravo": bravo}


@pytest.fixture(params=list(SCENARIOS))
def standoff(request, session, tenant, sandbox, catalogs):
    mode, hidden = SCENARIOS[request.param]
    if mode == "live":
        secret, visible = make_key(session, tenant, scopes=SCOPES), catalogs["live"]
    else:
        secret = make_key(session, sandbox, mode="test", scopes=SCOPES)
        visible = catalogs["sandbox"]
    assert secret.startswith(f"iq_{mode}_")
    return Standoff(secret, visible, catalogs[hidden])


# --- tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["live", "test"])
def test_every_write_on_another_systems_hostname_is_401(
    client, session, tenant, sandbox, tenants, writes, frozen, mode
):
    """(a) B's hostname, B's ids (in the URL, or linked from the body): 401, nothing changed."""
    _alpha, bravo = tenants
    system = tenant if mode == "live" else sandbox
    secret = make_key(session, system, mode=mode, scopes=SCOPES)
    before = frozen()
    failures, sent = [], 0
    for write in writes:
        ids = [None] if write.creates else bravo.published[write.route.id_type]
        for object_id in ids:
            url = write.route.url(HOST_B, object_id)
            body = document(write, object_id, lambda t: bravo.published[t][-1])
            response = send(client, secret, write.method, url, body)
            sent += 1
            problem = refused(response, 401, bravo)
            if problem:
                failures.append(f"{write.method} {url}: {problem}")
    assert failures == []
    assert sent > len(writes)
    assert changed_tables(before, snapshot(session)) == {}


def test_every_write_naming_a_row_out_of_reach_is_404(client, session, writes, frozen, standoff):
    """(b) A's hostname, ids only the other system (or mode) has: 404, nothing changed."""
    hidden_ids = own_ids(standoff.hidden, standoff.visible)
    before = frozen()
    failures, sent = [], 0
    for write in writes:
        if write.creates and write.route.type not in LINKING:
            continue  # TOKEN_AUTHENTICATED or NAME_NOTHING: the request names no row of B
        ids = [None] if write.creates else hidden_ids[write.route.id_type]
        if not ids:
            # A sandbox has its live system's slug: /health-systems/{that slug} is one's own.
            assert write.route.id_type == "health-systems", write
            continue
        for object_id in ids:
            url = write.route.url(HOST_A, object_id)
            body = document(write, object_id, standoff.theirs)
            response = send(client, standoff.secret, write.method, url, body)
            sent += 1
            if refused_outright(client, standoff.secret, write, url, response):
                continue
            problem = refused(response, 404, standoff.hidden)
            if problem:
                failures.append(f"{write.method} {url}: {problem}")
    assert failures == []
    assert sent > len(writes)
    assert changed_tables(before, snapshot(session)) == {}


def linking_changes(writes, standoff):
    """(write, object id, body): each of the caller's own rows linked to an unreachable row.

    Every relationship endpoint, and every PATCH /TYPE/{id} once per writable relationship
    (and a provider's medical-groups attribute), names a row of the caller's own in the URL
    and a row out of reach in the body.
    """
    for write in writes:
        route = write.route
        if route.id_type is None or route.type not in REGISTRY:
            continue
        mine = standoff.mine(route.id_type)
        if route.linkage:
            linked = one(route.target, standoff.theirs)
            yield write, mine, {"data": [linked] if route.many else linked}
        elif write.method == "PATCH" and route.target == route.type:
            resource = REGISTRY[route.type]
            members = [
                {"relationships": {name: {"data": [linked] if spec.many else linked}}}
                for name, spec in resource.relationships.items()
                if name in resource.writable_relationships
                for linked in [one(spec.type, standoff.theirs)]
            ]
            if route.type == "providers":
                groups = [{"id": standoff.theirs("medical-groups")}]
                members.append({"attributes": {"medical-groups": groups}})
            for member in members:
                yield write, mine, {"data": {**identifier(route.type, mine), **member}}


def test_linking_own_rows_to_rows_out_of_reach_is_404(client, session, writes, frozen, standoff):
    """A's own row in the URL, the other system's (or mode's) row in the body: 404."""
    changes = list(linking_changes(writes, standoff))
    # Every relationship endpoint (both prefixes) and the PATCHes of locations,
    # appointment-types, schedules (5 relationships) and providers.
    assert len(changes) > 30
    before = frozen()
    failures = []
    for write, object_id, body in changes:
        url = write.route.url(HOST_A, object_id)
        response = send(client, standoff.secret, write.method, url, body)
        problem = refused(response, 404, standoff.hidden)
        if problem:
            failures.append(f"{write.method} {url} {body}: {problem}")
    assert failures == []
    assert changed_tables(before, snapshot(session)) == {}


@pytest.mark.parametrize("creator", ["live", "test"])
def test_a_row_written_in_one_mode_exists_only_in_that_mode(
    client, session, tenant, sandbox, creator
):
    systems = {"live": tenant, "test": sandbox}
    apis = {
        mode: Api(client, HOST_A, make_key(session, system, mode=mode, scopes=SCOPES))
        for mode, system in systems.items()
    }
    other = "test" if creator == "live" else "live"

    def location(name):
        attributes = {"name": name, "time-zone-name": "America/New_York"}
        return {"data": {"type": "locations", "id": "made-here", "attributes": attributes}}

    created = apis[creator].post("/locations", location(f"Made in {creator}"))
    assert created.status_code == 201, created.json
    assert apis[creator].get("/locations/made-here").status_code == 200
    assert apis[other].get("/locations/made-here").status_code == 404
    assert apis[other].get("/locations").json["data"] == []
    change = {"data": {"type": "locations", "id": "made-here", "attributes": {"name": "x"}}}
    assert apis[other].patch("/locations/made-here", change).status_code == 404
    assert apis[other].delete("/locations/made-here").status_code == 404
    # Nor can the other mode link to a row of this one.
    plan = {"company": "C", "name": "P"}
    plan = {"data": {"type": "insurance-plans", "id": "made-here", "attributes": plan}}
    assert apis[creator].post("/insurance-plans", plan).status_code == 201
    linking = location("Linking")
    linking["data"]["id"] = "linking"
    linking["data"]["relationships"] = {
        "insurance-plans": {"data": [identifier("insurance-plans", "made-here")]}
    }
    refused_link = apis[other].post("/locations", linking)
    assert refused_link.status_code == 404
    assert refused_link.json["errors"][0]["source"] == {
        "pointer": "/data/relationships/insurance-plans/data/0"
    }
    # The id is free in the other mode: it makes a row of its own, leaving this one alone.
    assert apis[other].post("/locations", location(f"Made in {other}")).status_code == 201
    rows = session.execute(
        select(Location.health_system_id, Location.name).where(Location.slug == "made-here")
    ).all()
    assert sorted(rows) == sorted(
        (systems[mode].id, f"Made in {mode}") for mode in (creator, other)
    )
    assert session.scalar(select(Location.id).where(Location.slug == "linking")) is None
    [plan_owner] = session.scalars(
        select(InsurancePlan.health_system_id).where(InsurancePlan.slug == "made-here")
    ).all()
    assert plan_owner == systems[creator].id


def test_a_write_to_a_slug_both_systems_use_changes_only_the_callers_row(
    client, session, tenant, other_tenant, tenants
):
    """`downtown` is a location of A and of B: A's key renames and relinks A's alone."""
    api = Api(client, HOST_A, make_key(session, tenant, scopes=SCOPES))
    frozen_b = {
        (row.name, tuple(p.slug for p in row.insurance_plans))
        for row in session.scalars(
            select(Location).where(Location.health_system_id == other_tenant.id)
        )
    }
    change = {"data": {"type": "locations", "id": "downtown", "attributes": {"name": "Renamed"}}}
    assert api.patch("/locations/downtown", change).status_code == 200
    plans = {"data": [identifier("insurance-plans", "aarp-ppo")]}
    relinked = api.patch("/locations/downtown/relationships/insurance-plans", plans)
    assert relinked.status_code == 200, relinked.json
    assert relinked.json["data"] == [identifier("insurance-plans", "aarp-ppo")]
    session.expire_all()
    mine = session.scalar(
        select(Location).where(Location.health_system_id == tenant.id, Location.slug == "downtown")
    )
    assert mine.name == "Renamed"
    assert [(p.slug, p.health_system_id) for p in mine.insurance_plans] == [("aarp-ppo", tenant.id)]
    assert {
        (row.name, tuple(p.slug for p in row.insurance_plans))
        for row in session.scalars(
            select(Location).where(Location.health_system_id == other_tenant.id)
        )
    } == frozen_b

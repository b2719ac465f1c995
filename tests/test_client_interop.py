"""Interoperability: a third-party JSON:API client library drives a live server.

A gunicorn-served API (tests/live_server.py) over its own database, seeded with the demo
data (Winter Health at winter-health.example.org), is read and booked through
`jsonapi_requests`, as a partner's code would use it. It proves that:

- the library parses every JSON:API answer these flows get (collections, single resources,
  `included`, `links`, `meta`, relationship linkage, the 201 of a booking) and its ORM
  resolves included resources, dotted includes too, without another request;
- following `links.next` page by page reaches the last page, and the pages together hold
  every location once, as many as `meta.record-count` says, in the order of one big page;
- each schedule's related endpoint (`/schedules/{id}/insurance-plans`) and relationship
  endpoint agree with the plans included with the schedule;
- the README's booking walk-through works from the library: available times, visit
  settings, a visit token, `POST /visits` authenticated by that token (201, a confirmation
  number, no patient data), and the visit read back by a `visits:read` key;
- the library needs no special case: after each flow's first request, every request it
  sent is, byte for byte, a link from an earlier answer (`links.next`, a resource's
  `links.self`, a relationship's `links.related` and `links.self`). Only endpoints that
  no answer links to (available times, visit settings, the visit token, `POST /visits`)
  are addressed from the API root.

The library's defaults do not all fit: see `library_client` for the settings it needs.
"""

import json
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import requests
from jsonapi_requests import JsonApiObject, orm
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from inquick.auth.keys import PARTNER_SCOPES, issue_key
from inquick.demo import DEMO_HOSTNAME, seed
from inquick.models import HealthSystem
from tests.live_server import HTTP_TIMEOUT, serve

API_PATH = f"/api/v3/{DEMO_HOSTNAME}/"
APPOINTMENT_TYPE = "annual-physical"
# Who books: none of it may come back in the booking's answer.
PATIENT = {
    "first-name": "Ottoline",
    "last-name": "Interopwright",
    "email": "ottoline.interopwright@example.org",
    "phone-number": "(207) 555-0166",
    "birthdate": "1984-03-09",
}


# --- the server and its keys --------------------------------------------------------------


def seed_demo(url):
    """The demo data in the server's database, and two Winter Health keys: their secrets.

    The partner key reads the catalog and books (the partner scopes); the staff key only
    reads visits, with their patient data.
    """
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            seed(session, progress=lambda _line: None)
            session.flush()
            winter = session.scalar(
                select(HealthSystem).where(
                    HealthSystem.slug == "winter-health", HealthSystem.mode == "live"
                )
            )
            partner, partner_secret = issue_key(winter, scopes=PARTNER_SCOPES, label="interop")
            staff, staff_secret = issue_key(winter, scopes=["visits:read"], label="interop")
            session.add_all([partner, staff])
            session.commit()
            return partner_secret, staff_secret
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A live server with the demo data: its API root for Winter Health and two keys."""
    with serve(tmp_path_factory.mktemp("interop"), workers=2) as running:
        partner_secret, staff_secret = seed_demo(running.url)
        yield SimpleNamespace(
            root=f"http://127.0.0.1:{running.port}{API_PATH}",
            partner_secret=partner_secret,
            staff_secret=staff_secret,
        )


# --- the library, and what it sends -------------------------------------------------------


class Recorder(requests.auth.AuthBase):
    """The library's AUTH hook: sets the Authorization header and notes each request sent."""

    def __init__(self, authorization, sent):
        self.authorization, self.sent = authorization, sent

    def __call__(self, request):
        request.headers["Authorization"] = self.authorization
        self.sent.append((request.method, request.url))
        return request


class Journal:
    """What was sent (as the library sent it), what the API linked to, and what was built."""

    def __init__(self):
        self.sent = []  # (method, URL) of every request, in order
        self.linked = set()  # every link of every answer so far
        self.built = []  # (method, URL) of the requests whose URL the test made

    def note_links(self, payload):
        """Every link anywhere in a JSON:API document: `links` members, strings or objects."""
        if isinstance(payload, list):
            for item in payload:
                self.note_links(item)
        elif isinstance(payload, dict):
            for name, value in payload.items():
                if name == "links" and isinstance(value, dict):
                    for link in value.values():
                        href = link.get("href") if isinstance(link, dict) else link
                        if isinstance(href, str):
                            self.linked.add(href)
                else:
                    self.note_links(value)

    def built_paths(self):
        """The paths, below the API root, of the requests the test addressed itself."""
        return [(method, urlsplit(url).path.removeprefix(API_PATH)) for method, url in self.built]


def library_client(root, auth):
    """A jsonapi_requests ORM client of the API root, its requests passed through `auth`."""
    return orm.OrmApi.config(
        {
            "API_ROOT": root,
            # The library hands AUTH to requests: an auth object sets the Authorization header.
            "AUTH": auth,
            # Its default appends "/" to every URL (request_factory.py, _build_absolute_url):
            # our paths have none (a 404), and a followed link would get it after its query.
            "APPEND_SLASH": False,
            # Its default is 1 s; the server's first answers can take longer on PostgreSQL.
            "TIMEOUT": HTTP_TIMEOUT,
            # Its default retries a 5xx three times, POST included: a 5xx must fail here.
            "RETRIES": 1,
        }
    )


def models_for(orm_api):
    """ORM models, registered with `orm_api`, for the types these flows read."""

    class Location(orm.ApiModel):
        class Meta:
            type = "locations"
            api = orm_api

        name = orm.AttributeField("name")
        schedules = orm.RelationField("schedules")

    class Schedule(orm.ApiModel):
        class Meta:
            type = "schedules"
            api = orm_api

        name = orm.AttributeField("name")
        accepting_new_patients = orm.AttributeField("accepting-new-patients")
        provider = orm.RelationField("provider")
        insurance_plans = orm.RelationField("insurance-plans")
        appointment_types = orm.RelationField("appointment-types")

    class Provider(orm.ApiModel):
        class Meta:
            type = "providers"
            api = orm_api

        name = orm.AttributeField("name")

    class InsurancePlan(orm.ApiModel):
        class Meta:
            type = "insurance-plans"
            api = orm_api

        company = orm.AttributeField("company")
        name = orm.AttributeField("name")

    class AppointmentType(orm.ApiModel):
        class Meta:
            type = "appointment-types"
            api = orm_api

        name = orm.AttributeField("name")

    return SimpleNamespace(
        Location=Location,
        Schedule=Schedule,
        Provider=Provider,
        InsurancePlan=InsurancePlan,
        AppointmentType=AppointmentType,
    )


class Client:
    """One credential's use of the API through the library, every request in `journal`."""

    def __init__(self, root, authorization, journal):
        self.root, self.journal = root, journal
        self.auth = Recorder(authorization, journal.sent)
        self.api = library_client(root, self.auth)
        self.models = models_for(self.api)

    def _send(self, send, *, built):
        """One request through the library: exactly one sent; its answer's links noted."""
        before = len(self.journal.sent)
        response = send()
        assert len(self.journal.sent) == before + 1, "the library sent one request"
        if built:
            self.journal.built.append(self.journal.sent[-1])
        self.journal.note_links(response.payload)
        return response

    def start(self, path, **params):
        """GET a path below the API root: a flow's first request, or an unlinked endpoint."""
        return self._send(lambda: self.api.endpoint(path).get(params=params), built=True)

    def follow(self, link):
        """GET a link of an earlier answer; the library must request it unchanged."""
        assert link in self.journal.linked, f"{link} is not a link the API gave"
        response = self._send(lambda: self.api.endpoint(link).get(), built=False)
        assert self.journal.sent[-1] == ("GET", link)
        return response

    def post(self, path, resource):
        """POST a resource object to a path below the API root."""
        return self._send(lambda: self.api.endpoint(path).post(object=resource), built=True)

    def visit_token(self, schedule_id, appointment_at):
        """GET /visit-token with plain `requests`: the answer is a JWT, not JSON:API.

        The library parses every 2xx answer as JSON (request_factory.py, `_parse_response`):
        it would hand the `application/jwt` body over only inside an ApiInvalidResponseError.
        """
        response = requests.get(
            self.root + "visit-token",
            params={
                "schedule_id": schedule_id,
                "appointment_at": appointment_at,
                "appointment_type": APPOINTMENT_TYPE,
            },
            headers={"Accept": "application/jwt"},
            auth=self.auth,
            timeout=HTTP_TIMEOUT,
        )
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("application/jwt")
        self.journal.built.append(self.journal.sent[-1])
        return response.text


def every_page(client, model, first):
    """The first answer and each one after it by `links.next`: [(answer, model objects)]."""
    pages, response = [], first
    while True:
        pages.append((response, model.from_response_content(response.content)))
        following = response.content.links.get("next")
        if not following:
            return pages
        response = client.follow(following)


def linkage(resource, relationship):
    """The (type, id) pairs of a resource's relationship, as the library parsed them."""
    data = resource.relationships[relationship].data
    if isinstance(data, list):
        return [(each.type, each.id) for each in data]
    return [(data.type, data.id)] if data.id else []  # to-one: an identifier, maybe empty


def assert_only_links_followed(journal, *built):
    """The test addressed only `built` (method, path) itself; all else was a link, unchanged."""
    assert journal.built_paths() == list(built)
    followed = [sent for sent in journal.sent if sent not in journal.built]
    assert followed, "the flow followed links"
    assert all(method == "GET" and url in journal.linked for method, url in followed)


# --- the flows ----------------------------------------------------------------------------


def test_locations_with_their_schedules_page_by_page_through_links_next(server):
    journal = Journal()
    partner = Client(server.root, server.partner_secret, journal)
    Location = partner.models.Location

    first = partner.start("locations", include="schedules", **{"page[size]": 1})
    pages = every_page(partner, Location, first)

    record_count = first.content.meta["record-count"]
    assert record_count >= 3, "the demo has several locations"
    assert len(pages) == record_count, "one location a page"
    assert all(answer.content.meta == first.content.meta for answer, _ in pages)
    assert all("next" in answer.content.links for answer, _ in pages[:-1])
    locations = [location for _, page in pages for location in page]
    ids = [location.id for location in locations]
    assert len(ids) == len(set(ids)) == record_count
    assert "feestport" in ids

    before = len(journal.sent)
    for answer, page in pages:
        included = [(each.type, each.id) for each in answer.content.included]
        linked = [pair for location in page for pair in linkage(location, "schedules")]
        assert sorted(included) == sorted(set(linked)), "the page's schedules, each once"
        for location in page:
            schedules = location.schedules  # resolved by the ORM from `included`
            assert [("schedules", s.id) for s in schedules] == linkage(location, "schedules")
            assert all(not s.is_stub and s.name for s in schedules)
    assert len(journal.sent) == before, "included resources cost no request"
    assert next(loc for loc in locations if loc.id == "feestport").schedules

    everything = partner.start("locations", **{"page[size]": 100})
    assert "next" not in everything.content.links
    assert [location.id for location in everything.content.data] == ids

    assert_only_links_followed(journal, ("GET", "locations"), ("GET", "locations"))


def test_each_schedules_related_insurance_plans_match_its_included_plans(server):
    journal = Journal()
    partner = Client(server.root, server.partner_secret, journal)
    models = partner.models

    first = partner.start("schedules", include="insurance-plans", **{"page[size]": 100})
    assert "next" not in first.content.links
    schedules = models.Schedule.from_response_content(first.content)
    assert len(schedules) == first.content.meta["record-count"] >= 5

    plan_lists = set()
    for schedule in schedules:
        before = len(journal.sent)
        included = schedule.insurance_plans  # resolved by the ORM from `included`
        assert len(journal.sent) == before
        assert included, f"{schedule.name} accepts some plan"
        assert all(not plan.is_stub for plan in included)
        expected = [(plan.id, plan.company, plan.name) for plan in included]
        plan_lists.add(tuple(expected))

        links = schedule.relationships["insurance-plans"].links
        pages = every_page(partner, models.InsurancePlan, partner.follow(links["related"]))
        related = [(plan.id, plan.company, plan.name) for _, page in pages for plan in page]
        assert related == expected, schedule.name
        identifiers = partner.follow(links["self"]).content.data
        assert [(each.type, each.id) for each in identifiers] == linkage(
            schedule, "insurance-plans"
        )
    assert len(plan_lists) >= 2, "schedules with plans of their own and inherited ones"

    assert_only_links_followed(journal, ("GET", "schedules"))


def test_booking_a_visit_through_the_library(server):
    journal = Journal()
    partner = Client(server.root, server.partner_secret, journal)

    # 1. Feestport's schedules with their providers and appointment types, in one request.
    answer = partner.start(
        "locations/feestport", include="schedules.provider,schedules.appointment-types"
    )
    before = len(journal.sent)
    feestport = partner.models.Location.from_response_content(answer.content)
    schedule = next(
        s
        for s in feestport.schedules
        if s.accepting_new_patients and APPOINTMENT_TYPE in {t.id for t in s.appointment_types}
    )
    kind = next(t for t in schedule.appointment_types if t.id == APPOINTMENT_TYPE)
    assert kind.name == "Annual Physical"
    assert not schedule.provider.is_stub and schedule.provider.name
    assert len(journal.sent) == before, "dotted includes cost no request"

    # 2. Its free times for the type, and what the booking form must ask.
    times = partner.start(
        "available-appointment-times",
        **{"schedule_ids[]": schedule.id, "appointment_type": APPOINTMENT_TYPE},
    )
    (offer,) = times.content.data
    assert offer.attributes["schedule-id"] == schedule.id
    appointment_at = offer.attributes["times"][0]
    settings = partner.start(f"visit-settings/{schedule.id}").content.data
    attributes = {
        "appointment-at": appointment_at,
        "appointment-type": APPOINTMENT_TYPE,
        **PATIENT,
        "gender": "female",
        "new-patient": "yes",
    }
    assert set(attributes) <= set(settings.attributes["enabled-fields"])

    # 3. A visit token, then the booking, authenticated by the token alone.
    token = partner.visit_token(schedule.id, appointment_at)
    booker = Client(server.root, f"Bearer {token}", journal)
    booked = booker.post(
        "visits",
        JsonApiObject(
            type="visits",
            attributes=attributes,
            # Plain JSON, as for attributes: JsonApiObject keeps a plain dict as it is, so
            # the library's own Relationship objects inside one would not serialize.
            relationships={"schedule": {"data": {"type": "schedules", "id": schedule.id}}},
        ),
    )
    assert booked.status_code == 201
    visit = booked.content.data
    assert visit.type == "visits" and visit.id
    number = visit.attributes["confirmation-number"]
    assert isinstance(number, int) and number > 0
    assert visit.attributes["appointment-at"] == appointment_at
    assert linkage(visit, "schedule") == [("schedules", schedule.id)]
    assert not set(PATIENT) & set(visit.attributes)
    answer_text = json.dumps(booked.payload)
    assert [value for value in PATIENT.values() if value in answer_text] == []

    # 4. The visit, read back through its own link by a key holding visits:read.
    staff = Client(server.root, f"Bearer {server.staff_secret}", journal)
    stored = staff.follow(visit.links["self"]).content.data
    assert (stored.type, stored.id) == ("visits", visit.id)
    assert stored.attributes["confirmation-number"] == number
    assert stored.attributes["status"] == "scheduled"
    assert {name: stored.attributes[name] for name in PATIENT} == PATIENT

    assert_only_links_followed(
        journal,
        ("GET", "locations/feestport"),
        ("GET", "available-appointment-times"),
        ("GET", f"visit-settings/{schedule.id}"),
        ("GET", "visit-token"),
        ("POST", "visits"),
    )

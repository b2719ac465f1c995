"""The outbox is transactional: an event is written in the transaction of the change that
caused it, so a change rolled back leaves no event and a change committed always has
its event; each event gets one delivery per enabled endpoint subscribed to it, in the
change's own health system and mode."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from inquick.booking.service import change_visit
from inquick.models import Visit, WebhookDelivery, WebhookEvent
from inquick.webhooks.events import emit
from inquick.webhooks.visit_events import visit_booked
from tests import factories
from tests.booking.conftest import post_visit, request_token, tomorrow_at, visit_body
from tests.webhooks.conftest import deliveries, events


def count(session, model):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_an_event_is_part_of_its_change_s_transaction(session, tenant, schedule):
    endpoint = factories.WebhookEndpointFactory(health_system_id=tenant.id)
    visit = factories.VisitFactory(schedule=schedule)
    session.commit()
    now = datetime.now(UTC)

    change = session.begin_nested()
    change_visit(session, visit, reason="Unwell.", now=now, tenant=tenant, key=None,
                 status="cancelled")  # fmt: skip
    session.flush()
    assert [e.type for e in events(session)] == ["visit.cancelled"]  # written with the change
    change.rollback()  # the change fails (or the process dies) before it commits
    assert count(session, WebhookEvent) == count(session, WebhookDelivery) == 0
    assert session.get(Visit, visit.id).status == "scheduled"

    change_visit(session, session.get(Visit, visit.id), reason="Unwell.", now=now,
                 tenant=tenant, key=None, status="cancelled")  # fmt: skip
    session.commit()
    [event] = events(session)
    assert event.type == "visit.cancelled" and visit.id in event.payload
    assert [(d.endpoint_id, d.event_id, d.status) for d in deliveries(session)] == [
        (endpoint.id, event.id, "pending")
    ]
    assert session.get(Visit, visit.id).status == "cancelled"


def test_a_refused_write_leaves_no_event(manager, session, tenant, schedule):
    factories.WebhookEndpointFactory(health_system_id=tenant.id)
    document = {"data": {"type": "schedules", "id": schedule.id,
                         "attributes": {"capacity": 3, "age-limit-threshold": 12}}}  # fmt: skip
    refused = manager.patch(f"/schedules/{schedule.id}", document)
    assert refused.status_code == 422  # the age limit needs its direction too
    assert count(session, WebhookEvent) == 0

    at = tomorrow_at(10)
    token = request_token(manager, schedule, at).get_data(as_text=True)
    invalid = post_visit(manager, token, visit_body(schedule, at, email="not an address"))
    assert invalid.status_code == 422
    assert count(session, WebhookEvent) == 0
    assert post_visit(manager, token, visit_body(schedule, at)).status_code == 201
    assert [e.type for e in events(session)] == ["visit.booked"]


def test_each_enabled_subscribed_endpoint_gets_one_delivery(
    session, tenant, other_tenant, schedule
):
    every = factories.WebhookEndpointFactory(health_system_id=tenant.id)
    bookings = factories.WebhookEndpointFactory(
        health_system_id=tenant.id, events=["visit.booked", "visit.cancelled"]
    )
    factories.WebhookEndpointFactory(health_system_id=tenant.id, events=["visit.cancelled"])
    factories.WebhookEndpointFactory(health_system_id=tenant.id, enabled=False)
    factories.WebhookEndpointFactory(health_system_id=other_tenant.id)
    visit = factories.VisitFactory(schedule=schedule)

    event = visit_booked(session, visit, datetime.now(UTC))
    session.commit()

    assert {(d.endpoint_id, d.event_id) for d in deliveries(session)} == {
        (every.id, event.id),
        (bookings.id, event.id),
    }
    assert {d.health_system_id for d in deliveries(session)} == {tenant.id}


def test_a_sandbox_s_events_go_to_the_sandbox_s_endpoints_only(session, tenant):
    sandbox = factories.HealthSystemFactory(
        slug=tenant.slug, mode="test", live_system_id=tenant.id, hostnames=[]
    )
    live = factories.WebhookEndpointFactory(health_system_id=tenant.id)
    sandboxed = factories.WebhookEndpointFactory(health_system_id=sandbox.id)
    sandbox_schedule = factories.ScheduleFactory(health_system=sandbox)
    sandbox_visit = factories.VisitFactory(schedule=sandbox_schedule)
    live_visit = factories.VisitFactory(schedule=factories.ScheduleFactory(health_system=tenant))

    visit_booked(session, sandbox_visit, datetime.now(UTC))
    visit_booked(session, live_visit, datetime.now(UTC))
    session.commit()

    sent = {(d.endpoint_id, d.event.payload.count(sandbox_visit.id)) for d in deliveries(session)}
    assert sent == {(sandboxed.id, 1), (live.id, 0)}


def test_without_a_subscribed_endpoint_nothing_is_written(session, tenant, schedule):
    factories.WebhookEndpointFactory(health_system_id=tenant.id, events=["visit.cancelled"])
    visit = factories.VisitFactory(schedule=schedule)
    assert visit_booked(session, visit, datetime.now(UTC)) is None
    session.commit()
    assert count(session, WebhookEvent) == count(session, WebhookDelivery) == 0


def test_an_unknown_event_type_is_a_programming_error(session, tenant):
    try:
        emit(session, health_system_id=tenant.id, event_type="visit.eaten", data={},
             now=datetime.now(UTC))  # fmt: skip
    except ValueError as error:
        assert "visit.eaten" in str(error)
    else:
        raise AssertionError("an unknown event type was written")

"""webhooks:manage: endpoints listed, created (the secret shown once), changed and deleted;
the delivery log read and filtered; each health system and mode sees only its own."""

import pytest
from sqlalchemy import select

from inquick.config import load_config
from inquick.models import WebhookDelivery, WebhookEndpoint
from tests import factories
from tests.conftest import Api, make_key
from tests.webhooks.conftest import HOST, create_endpoint, deliveries, endpoint_document

URL = "https://93.184.216.34/inquick/hooks?partner=7"


def change(api, endpoint_id, **attributes):
    document = {"data": {"type": "webhook-endpoints", "id": endpoint_id, "attributes": attributes}}
    return api.patch(f"/webhook-endpoints/{endpoint_id}", document)


def test_a_new_endpoint_shows_its_secret_once(manager, session):
    created = create_endpoint(manager, URL, description="Front desk", events=["visit.booked"])
    attributes = created["attributes"]
    assert attributes["secret"].startswith("whsec_")
    assert {k: attributes[k] for k in ("url", "description", "events", "enabled")} == {
        "url": URL, "description": "Front desk", "events": ["visit.booked"], "enabled": True,
    }  # fmt: skip
    assert (attributes["disabled-reason"], attributes["failing-since"]) == (None, None)
    stored = session.get(WebhookEndpoint, created["id"])
    assert stored.secret == attributes["secret"]
    shown = manager.get(f"/webhook-endpoints/{created['id']}")
    assert shown.status_code == 200
    assert shown.headers["Cache-Control"] == "no-store"
    assert "secret" not in shown.json["data"]["attributes"]
    assert attributes["secret"] not in manager.get("/webhook-endpoints").get_data(as_text=True)


def test_events_default_to_every_type_and_count_once(manager):
    every = create_endpoint(manager, URL)["attributes"]["events"]
    assert every == [
        "visit.booked", "visit.rescheduled", "visit.cancelled", "visit.status-changed",
        "schedule.availability-changed",
    ]  # fmt: skip
    twice = create_endpoint(manager, URL, events=["visit.booked", "visit.booked"])
    assert twice["attributes"]["events"] == ["visit.booked"]


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [
        ({"events": []}, "/data/attributes/events"),
        ({"events": ["visit.eaten"]}, "/data/attributes/events"),
        ({"events": "visit.booked"}, "/data/attributes/events"),
        ({"enabled": "yes"}, "/data/attributes/enabled"),
        ({"description": "x" * 201}, "/data/attributes/description"),
        ({"secret": "whsec_mine"}, "/data/attributes/secret"),
        ({"disabled-reason": "no"}, "/data/attributes/disabled-reason"),
    ],
)
def test_a_new_endpoint_with_a_bad_attribute_is_422(manager, session, attributes, pointer):
    response = manager.post("/webhook-endpoints", endpoint_document(URL, **attributes))
    assert response.status_code == 422, response.json
    assert [e["source"]["pointer"] for e in response.json["errors"]] == [pointer]
    assert session.scalar(select(WebhookEndpoint.id)) is None


def test_a_url_is_required_and_ids_are_the_server_s(manager):
    document = {"data": {"type": "webhook-endpoints", "attributes": {"events": ["visit.booked"]}}}
    missing = manager.post("/webhook-endpoints", document)
    assert missing.status_code == 422
    assert missing.json["errors"][0]["source"] == {"pointer": "/data/attributes/url"}
    document = {"data": {"type": "webhook-endpoints", "id": "mine", "attributes": {"url": URL}}}
    assert manager.post("/webhook-endpoints", document).status_code == 403


def test_an_endpoint_changes_and_is_deleted_with_its_log(manager, session, tenant):
    created = create_endpoint(manager, URL)
    endpoint_id = created["id"]
    changed = change(manager, endpoint_id, url="https://93.184.216.35/new",
                     events=["visit.cancelled"], description=None)  # fmt: skip
    assert changed.status_code == 200, changed.json
    attributes = changed.json["data"]["attributes"]
    assert (attributes["url"], attributes["events"]) == (
        "https://93.184.216.35/new",
        ["visit.cancelled"],
    )
    assert session.get(WebhookEndpoint, endpoint_id).secret == created["attributes"]["secret"]

    event = factories.WebhookEventFactory(health_system_id=tenant.id)
    factories.WebhookDeliveryFactory(
        endpoint=session.get(WebhookEndpoint, endpoint_id), event=event
    )
    deleted = manager.delete(f"/webhook-endpoints/{endpoint_id}")
    assert deleted.status_code == 204
    assert manager.get(f"/webhook-endpoints/{endpoint_id}").status_code == 404
    assert session.scalar(select(WebhookDelivery.id)) is None


def test_enabling_again_starts_afresh(manager, session, tenant, clock):
    endpoint = factories.WebhookEndpointFactory(
        health_system_id=tenant.id, enabled=False, disabled_reason="Disabled at …: every …",
        failing_since=clock.now,
    )  # fmt: skip
    enabled = change(manager, endpoint.id, enabled=True)
    assert enabled.status_code == 200
    attributes = enabled.json["data"]["attributes"]
    assert (attributes["enabled"], attributes["disabled-reason"]) == (True, None)
    assert attributes["failing-since"] is None
    disabled = change(manager, endpoint.id, enabled=False).json["data"]["attributes"]
    assert disabled["disabled-reason"] == "Disabled through the API."


def test_the_delivery_log_filters_and_sorts(manager, session, tenant):
    endpoint = factories.WebhookEndpointFactory(health_system_id=tenant.id)
    other = factories.WebhookEndpointFactory(health_system_id=tenant.id)
    for kind, status, target in [
        ("visit.booked", "succeeded", endpoint),
        ("visit.cancelled", "failed", endpoint),
        ("visit.booked", "pending", other),
    ]:
        event = factories.WebhookEventFactory(health_system_id=tenant.id, type=kind)
        factories.WebhookDeliveryFactory(endpoint=target, event=event, status=status)
    log = manager.get(f"/webhook-endpoints/{endpoint.id}/deliveries")
    assert log.status_code == 200
    assert len(log.json["data"]) == 2
    failed = manager.get("/webhook-deliveries", {"filter[status]": "failed"}).json["data"]
    assert [d["attributes"]["event-type"] for d in failed] == ["visit.cancelled"]
    booked = manager.get("/webhook-deliveries", {"filter[event-type]": "visit.booked"})
    assert {d["attributes"]["status"] for d in booked.json["data"]} == {"succeeded", "pending"}
    bad = manager.get("/webhook-deliveries", {"filter[status]": "lost"})
    assert bad.status_code == 400
    assert bad.json["errors"][0]["source"] == {"parameter": "filter[status]"}
    linkage = manager.get(f"/webhook-endpoints/{endpoint.id}/relationships/deliveries")
    assert {i["id"] for i in linkage.json["data"]} == {d["id"] for d in log.json["data"]}
    one = log.json["data"][0]["id"]
    owner = manager.get(f"/webhook-deliveries/{one}/endpoint")
    assert owner.json["data"]["id"] == endpoint.id
    relationship = manager.get(f"/webhook-deliveries/{one}/relationships/endpoint")
    assert relationship.json["data"] == {"type": "webhook-endpoints", "id": endpoint.id}
    included = manager.get(f"/webhook-deliveries/{one}", {"include": "endpoint"})
    assert [i["id"] for i in included.json["included"]] == [endpoint.id]


def test_a_disabled_endpoint_takes_no_redelivery(manager, session, tenant):
    endpoint = factories.WebhookEndpointFactory(health_system_id=tenant.id, enabled=False)
    event = factories.WebhookEventFactory(health_system_id=tenant.id)
    delivery = factories.WebhookDeliveryFactory(endpoint=endpoint, event=event, status="failed")
    refused = manager.post(f"/webhook-deliveries/{delivery.id}/redelivery", None)
    assert refused.status_code == 409
    assert "enabled" in refused.json["errors"][0]["detail"]
    assert len(deliveries(session)) == 1


def test_a_key_without_webhooks_manage_is_403(client, session, tenant):
    partner = Api(client, HOST, make_key(session, tenant))
    assert partner.get("/webhook-endpoints").status_code == 403
    assert partner.post("/webhook-endpoints", endpoint_document(URL)).status_code == 403


def test_each_system_and_mode_sees_only_its_own(client, session, manager, tenant, other_tenant):
    theirs = factories.WebhookEndpointFactory(health_system_id=other_tenant.id)
    sandbox = factories.HealthSystemFactory(
        slug=tenant.slug, mode="test", live_system_id=tenant.id, hostnames=[]
    )
    sandboxed = factories.WebhookEndpointFactory(health_system_id=sandbox.id)
    mine = create_endpoint(manager, URL)
    tester = Api(client, HOST, make_key(session, sandbox, mode="test", scopes=["webhooks:manage"]))

    assert [e["id"] for e in manager.get("/webhook-endpoints").json["data"]] == [mine["id"]]
    assert [e["id"] for e in tester.get("/webhook-endpoints").json["data"]] == [sandboxed.id]
    for endpoint_id in (theirs.id, sandboxed.id):
        assert manager.get(f"/webhook-endpoints/{endpoint_id}").status_code == 404
        assert change(manager, endpoint_id, enabled=False).status_code == 404
        assert manager.delete(f"/webhook-endpoints/{endpoint_id}").status_code == 404
    made = create_endpoint(tester, URL)
    assert session.get(WebhookEndpoint, made["id"]).health_system_id == sandbox.id


def test_a_health_system_has_at_most_its_allowance_of_endpoints(
    app, manager, session, tenant, monkeypatch
):
    """Each change writes a delivery per endpoint in its own transaction: the operator's
    INQUICK_MAX_WEBHOOK_ENDPOINTS bounds them (16 unless set)."""
    assert load_config(app.instance_path, {})["MAX_WEBHOOK_ENDPOINTS"] == 16
    environ = {"INQUICK_MAX_WEBHOOK_ENDPOINTS": "3"}
    assert load_config(app.instance_path, environ)["MAX_WEBHOOK_ENDPOINTS"] == 3
    monkeypatch.setitem(app.config, "MAX_WEBHOOK_ENDPOINTS", 2)
    factories.WebhookEndpointFactory(health_system_id=tenant.id, enabled=False)  # counts too
    kept = create_endpoint(manager, URL)

    refused = manager.post("/webhook-endpoints", endpoint_document(URL))
    assert refused.status_code == 409
    assert refused.json["errors"] == [{
        "status": "409", "code": "conflict", "title": "Conflict",
        "detail": "This health system has 2 webhook endpoints, the most it may have (2). "
        "Delete one, or send more event types to one you have.",
    }]  # fmt: skip
    assert len(session.scalars(select(WebhookEndpoint)).all()) == 2

    assert manager.delete(f"/webhook-endpoints/{kept['id']}").status_code == 204
    create_endpoint(manager, URL)  # room again

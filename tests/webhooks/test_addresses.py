"""SSRF: webhook URLs that reach loopback, private, link-local, metadata or other non-public
addresses are refused when an endpoint is written and again when a delivery is sent,
without saying which address a host resolved to; the development setting allows loopback
(and plain http), nothing else."""

import ipaddress
from datetime import UTC, datetime

import pytest

from inquick.webhooks import addresses
from inquick.webhooks.addresses import NOT_PUBLIC, RefusedUrl, check_url, read_url, refusal
from inquick.webhooks.delivery import post
from inquick.webhooks.signing import new_secret, signed_headers
from tests.webhooks.conftest import endpoint_document

REFUSED = [
    ("https://127.0.0.1/hook", "a loopback address"),
    ("https://127.8.9.10:8443/hook", "a loopback address"),
    ("https://[::1]/hook", "a loopback address"),
    ("https://localhost/hook", "a loopback address"),  # a name that resolves to loopback
    ("https://10.1.2.3/hook", "a private address"),
    ("https://192.168.0.10/hook", "a private address"),
    ("https://172.16.5.4/hook", "a private address"),
    ("https://[fd12:3456::1]/hook", "a private address"),
    ("https://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
    ("https://[fd00:ec2::254]/", "a cloud metadata address"),
    ("https://100.100.100.200/", "a cloud metadata address"),
    ("https://169.254.10.20/hook", "a link-local address"),
    ("https://[fe80::1]/hook", "a link-local address"),
    ("https://[::ffff:10.0.0.1]/hook", "a private address"),  # IPv4 mapped into IPv6
    ("https://0.0.0.0/hook", "an unspecified address"),
    ("https://224.0.0.251/hook", "a multicast address"),
    ("https://100.64.0.1/hook", "an address that is not public"),  # carrier-grade NAT
    ("https://[fec0::1]/hook", "a site-local address"),
    # 6to4 (2002::/16) and Teredo (2001::/32) carry an IPv4 address a gateway sends on to.
    ("https://[2002:7f00:1::]/hook", "a loopback address"),
    ("https://[2002:a9fe:a9fe::]/hook", "a cloud metadata address"),
    ("https://[2002:a00:1::1]/hook", "a private address"),
    ("https://[2001:0:5db8:d822::80ff:fefe]/hook", "a loopback address"),  # client 127.0.1.1
    ("https://[2001:0:a9fe:a9fe::]/hook", "a cloud metadata address"),  # the Teredo server
]
MALFORMED = [
    ("ftp://93.184.216.34/hook", "must be an https URL."),
    ("http://93.184.216.34/hook", "must be an https URL."),
    ("https:///hook", "must name a host."),
    ("https://user:pass@93.184.216.34/hook", "must not carry a user name or password."),
    ("https://93.184.216.34:99999/hook", "is not a URL."),
    ("hooks.example.org/hook", "must be an https URL."),
    ("https://93.184.216.34/a hook", "must have no spaces or control characters"),
    ("https://93.184.216.34/ünïcode", "must have its path and query percent-encoded"),
    ("https://" + "a" * 70 + ".example.org/", "names a host that is not a valid domain name."),
    # http.client refuses to send to such hosts: refused here, never stored.
    ("https://hooks .example.org/", "must have no spaces or control characters"),
    ("https://hooks\x7f.example.org/", "must have no spaces or control characters"),
    ("https://hooks\t.example.org/", "must have no spaces or control characters"),
    ("https://hooks%20.example.org/", "names a host that is not a valid domain name."),
    ("https://hooks!.example.org/", "names a host that is not a valid domain name."),
    ("https://[fe80::1%25eth0]/", "names a host that is not a valid IPv6 address."),
]


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_a_url_reaching_a_non_public_address_is_refused(url, why):
    target = read_url(url, allow_loopback=False)
    found = addresses.resolve(target.host, target.port, timeout=5)
    assert {refusal(address, allow_loopback=False) for address in found} == {why}
    with pytest.raises(RefusedUrl) as refused:
        check_url(url, allow_loopback=False)
    assert str(refused.value) == NOT_PUBLIC  # which address, or what kind, is not said


@pytest.mark.parametrize(("url", "message"), MALFORMED)
def test_a_url_that_is_not_an_https_url_to_a_host_is_refused(url, message):
    with pytest.raises(RefusedUrl) as refused:
        check_url(url, allow_loopback=False)
    assert str(refused.value).startswith(message)


def test_a_public_address_is_allowed():
    check_url("https://93.184.216.34/hooks?token=abc", allow_loopback=False)
    check_url("https://[2606:2800:220:1:248:1893:25c8:1946]:8443/", allow_loopback=False)
    check_url("https://[2002:5db8:d822::1]/", allow_loopback=False)  # 6to4 of a public one


def test_a_host_name_is_letters_digits_dashes_underscores_and_dots():
    for host in ("hooks.example.org", "hooks_1.example-2.org", "éxample.org"):
        assert read_url(f"https://{host}/", allow_loopback=False).host.isascii()


@pytest.mark.parametrize(
    "url",
    ["https://127.0.0.1/hook", "http://127.0.0.1:8080/hook", "http://[::1]/", "http://localhost/"],
)
def test_the_development_setting_allows_loopback(url):
    check_url(url, allow_loopback=True)
    with pytest.raises(RefusedUrl):
        check_url(url, allow_loopback=False)


@pytest.mark.parametrize(
    "url",
    [u for u, why in REFUSED if why != "a loopback address"],
)
def test_the_development_setting_allows_nothing_but_loopback(url):
    with pytest.raises(RefusedUrl):
        check_url(url, allow_loopback=True)


@pytest.mark.parametrize(
    "url", ["https://[2002:7f00:1::]/", "https://[2001:0:5db8:d822::80ff:fefe]/"]
)
def test_the_development_setting_allows_no_loopback_carried_in_6to4_or_teredo(url):
    with pytest.raises(RefusedUrl):
        check_url(url, allow_loopback=True)


def test_a_name_resolving_to_a_public_and_a_private_address_is_refused(monkeypatch):
    found = [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.0.0.7")]
    monkeypatch.setattr(addresses, "resolve", lambda host, port, timeout: found)
    with pytest.raises(RefusedUrl) as refused:
        check_url("https://mixed.example.org/hook", allow_loopback=False)
    assert str(refused.value) == NOT_PUBLIC  # not "10.0.0.7": no oracle of internal DNS


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(RefusedUrl, match="does not resolve"):
        check_url("https://nowhere.invalid/hook", allow_loopback=False)


@pytest.mark.parametrize(("url", "why"), REFUSED[:6] + REFUSED[8:9])
def test_the_api_refuses_such_a_url_pointing_at_it(manager, session, url, why):
    response = manager.post("/webhook-endpoints", endpoint_document(url))
    assert response.status_code == 422, response.json
    [error] = response.json["errors"]
    assert error["source"] == {"pointer": "/data/attributes/url"}
    assert error["detail"] == f"url {NOT_PUBLIC}"
    assert manager.get("/webhook-endpoints").json["data"] == []


def test_the_api_refuses_a_change_to_such_a_url(manager, session):
    created = manager.post("/webhook-endpoints", endpoint_document("https://93.184.216.34/hook"))
    endpoint_id = created.json["data"]["id"]
    change = {"data": {"type": "webhook-endpoints", "id": endpoint_id,
                       "attributes": {"url": "https://169.254.169.254/latest"}}}  # fmt: skip
    response = manager.patch(f"/webhook-endpoints/{endpoint_id}", change)
    assert response.status_code == 422
    assert response.json["errors"][0]["source"] == {"pointer": "/data/attributes/url"}
    shown = manager.get(f"/webhook-endpoints/{endpoint_id}").json["data"]["attributes"]
    assert shown["url"] == "https://93.184.216.34/hook"


def test_the_api_takes_loopback_only_under_the_development_setting(manager, session, loopback):
    allowed = manager.post("/webhook-endpoints", endpoint_document("http://127.0.0.1:9/hook"))
    assert allowed.status_code == 201, allowed.json
    private = manager.post("/webhook-endpoints", endpoint_document("http://10.0.0.1/hook"))
    assert private.status_code == 422


def headers_for(body):
    return signed_headers(new_secret(), "msg_test", body, datetime.now(UTC))


def test_a_delivery_to_a_url_that_now_resolves_to_loopback_is_refused_unsent(receiver):
    """Stored when it was allowed (or when its name resolved elsewhere), refused when sent:
    the receiver on loopback never sees the request."""
    url = receiver.url.replace("http://", "https://")
    attempt = post(url, b"{}", headers_for(b"{}"), allow_loopback=False, timeout=5)
    assert attempt.status is None
    assert attempt.error == f"refused: the URL {NOT_PUBLIC}"
    assert receiver.received == []


def test_a_delivery_connects_to_the_address_it_checked(receiver, monkeypatch):
    """The name is resolved once, checked, and that very address is connected to: a second
    resolution (which DNS rebinding would answer differently) never happens. Here the name
    exists only for the check; the system's resolver does not know it."""
    resolved = []

    def resolve_once(host, port, timeout):
        resolved.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    monkeypatch.setattr(addresses, "resolve", resolve_once)
    url = f"http://receiver.invalid:{receiver.port}/hooks/pinned?kind=test"
    attempt = post(url, b"{}", headers_for(b"{}"), allow_loopback=True, timeout=5)
    assert attempt.succeeded, attempt
    assert resolved == ["receiver.invalid"]
    [request] = receiver.received
    assert request.headers["host"] == f"receiver.invalid:{receiver.port}"
    assert request.path == "/hooks/pinned?kind=test"


def test_a_redirect_is_not_followed(receiver):
    receiver.answer(302)
    attempt = post(receiver.url, b"{}", headers_for(b"{}"), allow_loopback=True, timeout=5)
    assert (attempt.status, attempt.error) == (302, "redirect not followed (HTTP 302)")
    assert not attempt.succeeded
    assert len(receiver.received) == 1

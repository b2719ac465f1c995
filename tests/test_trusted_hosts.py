"""Only configured hostnames make links: a Host header of any other name gets a 400.

Links and Location headers are built from the Host a client sends; served to any Host, a
forged one would be written into every link a cache or a partner's page then hands on.
"""

import pytest
from sqlalchemy import func, select

from inquick.config import load_config
from inquick.models import ApiKey
from tests.conftest import Api, make_key

ATTACKER = "attacker.example.com"


@pytest.fixture
def trusted(app, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["api.example.org", ".partners.example.net"])


def refused_as_untrusted(answer):
    assert answer.status_code == 400
    assert answer.mimetype == "application/vnd.api+json"
    [error] = answer.json["errors"]
    assert error["code"] == "bad-request" and error["source"] == {"header": "Host"}
    assert ATTACKER not in answer.get_data(as_text=True)
    assert "Location" not in answer.headers
    return True


def test_a_read_for_another_host_is_refused(trusted, api):
    path = "/schedules"
    assert refused_as_untrusted(api.get(path, headers={"Host": ATTACKER}))
    assert refused_as_untrusted(api.get(path, base_url=f"https://{ATTACKER}"))
    served = api.get(path, base_url="https://api.example.org")
    assert served.status_code == 200
    assert served.json["links"]["self"].startswith("https://api.example.org/api/v3/")


def test_a_leading_dot_admits_subdomains_and_ports_are_ignored(trusted, api):
    served = api.get("/services", base_url="https://eu.partners.example.net:8443")
    assert served.status_code == 200
    assert served.json["links"]["self"].startswith("https://eu.partners.example.net:8443/")
    assert refused_as_untrusted(api.get("/services", base_url=f"https://{ATTACKER}"))


def test_a_write_for_another_host_changes_nothing(trusted, client, session, tenant):
    manager = Api(client, "tenant-a.example.org", make_key(session, tenant, scopes=["keys:manage"]))
    before = session.scalar(select(func.count()).select_from(ApiKey))
    answer = manager.post(
        "/api-keys",
        {"data": {"type": "api-keys", "attributes": {"scopes": ["keys:manage"]}}},
        base_url=f"https://{ATTACKER}",
    )
    assert refused_as_untrusted(answer)
    assert session.scalar(select(func.count()).select_from(ApiKey)) == before


def test_the_default_is_the_loopback_names_and_the_setting_a_list(tmp_path):
    assert load_config(str(tmp_path), {})["TRUSTED_HOSTS"] == ["localhost", "127.0.0.1"]
    configured = {"INQUICK_TRUSTED_HOSTS": " API.example.org, .partners.example.net ,"}
    assert load_config(str(tmp_path), configured)["TRUSTED_HOSTS"] == [
        "api.example.org",
        ".partners.example.net",
    ]

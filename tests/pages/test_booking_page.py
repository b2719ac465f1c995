"""The booking page as served: which key it carries, who may frame it, what it says when
there is none, and texts that cover every word its template and script show."""

import json
import re
from datetime import UTC, datetime

from sqlalchemy import update

from inquick.models import ApiKey
from inquick.pages.page_keys import PAGE_SCOPES
from inquick.pages.texts import languages
from tests.conftest import make_key
from tests.live_server import REPO_ROOT

PAGES = REPO_ROOT / "inquick" / "pages"
TEMPLATES = REPO_ROOT / "inquick" / "templates"
ORIGIN = "https://clinic.example.com"


def page_config(response):
    """The configuration the page's script reads, from the page's HTML."""
    found = re.search(
        r'<script type="application/json" id="booking-config">(.*?)</script>',
        response.get_data(as_text=True),
        re.S,
    )
    return json.loads(found.group(1))


def publishable(session, system, **options):
    options.setdefault("scopes", PAGE_SCOPES)
    return make_key(session, system, publishable=True, allowed_origins=[ORIGIN], **options)


def test_the_page_carries_the_newest_live_publishable_key_and_nothing_secret(
    client, session, tenant
):
    make_key(session, tenant)  # a secret key is never put in a page
    publishable(session, tenant)
    newest = publishable(session, tenant)
    response = client.get("/book/TENANT-A.example.org?schedule=s-1&at=2026-12-07T09:00:00-05:00")
    assert response.status_code == 200 and response.mimetype == "text/html"
    config = page_config(response)
    assert config["key"] == newest
    assert config["mode"] == "live"
    assert config["api"] == "http://localhost/api/v3/tenant-a.example.org"
    assert (config["schedule"], config["at"]) == ("s-1", "2026-12-07T09:00:00-05:00")
    assert 'class="test-mode"' not in response.get_data(as_text=True)


def test_only_this_server_and_the_keys_origins_may_frame_the_page(client, session, tenant):
    publishable(session, tenant)
    make_key(session, tenant, publishable=True, allowed_origins=["https://older.example.com"],
             scopes=("catalog:read",))  # fmt: skip
    response = client.get("/book/tenant-a.example.org")
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    # Every page a publishable key of the system allows may embed it, as its preflight says.
    assert directives["frame-ancestors"] == f"'self' {ORIGIN} https://older.example.com"
    assert response.headers["Vary"] == "Accept-Language"
    assert directives["script-src"] == "'self'" and directives["connect-src"] == "'self'"


def test_a_system_with_only_a_sandbox_key_gets_a_page_in_test_mode(client, session, tenant):
    sandbox = tenant.new_sandbox()
    session.add(sandbox)
    session.flush()
    value = publishable(session, sandbox, mode="test")
    response = client.get("/book/tenant-a.example.org")
    assert response.status_code == 200
    assert page_config(response)["key"] == value and page_config(response)["mode"] == "test"
    banner = f'<p class="test-mode">{languages()["en"]["test_mode"]}</p>'
    assert banner in response.get_data(as_text=True)


def test_a_sandbox_host_serves_the_page_with_the_test_key(
    app, client, session, tenant, monkeypatch
):
    sandbox = tenant.new_sandbox()
    session.add(sandbox)
    session.flush()
    test_key = publishable(session, sandbox, mode="test")
    publishable(session, tenant)  # newer, and live: refused on a sandbox host
    monkeypatch.setitem(app.config, "SANDBOX_HOST", True)
    assert page_config(client.get("/book/tenant-a.example.org"))["key"] == test_key
    session.execute(update(ApiKey).where(ApiKey.public_value == test_key)
                    .values(revoked_at=datetime.now(UTC)))  # fmt: skip
    # A live key cannot call a sandbox host: no page rather than one that cannot book.
    assert client.get("/book/tenant-a.example.org").status_code == 404


def test_no_page_without_a_usable_publishable_key(client, session, tenant, other_tenant):
    make_key(session, tenant)  # secret keys do not make a page
    publishable(session, tenant, scopes=("catalog:read", "availability:read"))  # cannot book
    revoked = publishable(session, tenant)
    session.execute(
        update(ApiKey).where(ApiKey.public_value == revoked).values(revoked_at=datetime.now(UTC))
    )
    publishable(session, other_tenant)  # another system's key serves another hostname
    for hostname in ("tenant-a.example.org", "nowhere.example.org"):
        response = client.get(f"/book/{hostname}")
        assert response.status_code == 404 and response.mimetype == "text/html"
        html = response.get_data(as_text=True)
        assert "No booking page here" in html and "booking-config" not in html
        assert "iq_" not in html


def test_every_text_the_page_shows_is_in_every_language():
    """Each `T.name` and `T.group.name` of the script and `texts.name` of the templates is a
    text of every language, and every text is used somewhere."""
    script = (PAGES / "static" / "booking.js").read_text(encoding="utf-8")
    templates = "".join(p.read_text(encoding="utf-8") for p in TEMPLATES.glob("book*.html"))
    used = set(re.findall(r"\bT\.(\w+)\b(?!\.)", script))
    used |= {f"rules.{name}" for name in re.findall(r"\bT\.rules\.(\w+)", script)}
    used |= set(re.findall(r"\btexts\.(\w+)", templates))
    for language, texts in languages().items():
        flat = {name for name, text in texts.items() if isinstance(text, str)}
        flat |= {f"rules.{name}" for name in texts["rules"]}
        assert used - {"fields", "choices", "rules"} <= flat, language
        assert flat - used - {"locale"} == set(), f"{language}: texts nothing shows"

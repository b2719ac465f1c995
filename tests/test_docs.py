"""The API reference: `/` leads to `/docs`, which renders every operation of the spec from
files this server serves; the spec itself is served as YAML and as JSON."""

import json
import re

import pytest
import yaml
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import chromium, console_errors, screenshot
from tests.conftest import CONFORMANCE
from tests.live_server import REPO_ROOT, serve

SPEC = REPO_ROOT / "spec" / "openapi.yaml"
RENDER_SECONDS = 30
METHODS = ("get", "post", "patch", "put", "delete")


def spec_operations():
    """(METHOD, path) of every operation the spec describes, aliases and webhooks included
    (a webhook's name stands for its path)."""
    operations = set()
    for path, item in CONFORMANCE.spec["paths"].items():
        _pointer, item = CONFORMANCE.path_item(path)
        operations |= {(method.upper(), path) for method in item if method in METHODS}
    for name, item in CONFORMANCE.spec.get("webhooks", {}).items():
        operations |= {(method.upper(), name) for method in item if method in METHODS}
    return operations


def test_the_root_sends_a_browser_to_the_reference(client):
    response = client.get("/")
    assert (response.status_code, response.headers["Location"]) == (302, "/docs")


def test_the_spec_is_served_as_written_and_as_json(client):
    written = client.get("/openapi.yaml")
    assert written.mimetype == "application/yaml"
    assert written.get_data(as_text=True) == SPEC.read_text(encoding="utf-8")
    converted = client.get("/openapi.json")
    assert converted.mimetype == "application/json"
    assert converted.json == yaml.safe_load(SPEC.read_text(encoding="utf-8"))


def test_the_reference_loads_nothing_from_elsewhere(client):
    """Every script, stylesheet and the spec come from this server: the page works offline."""
    page = client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/docs/assets/swagger-ui-bundle.js" in sources
    for source in sources:
        with client.get(source) as asset:  # closed: a static file holds its file open
            assert asset.status_code == 200, source


@pytest.fixture
def browser():
    driver = chromium((1280, 2000))
    yield driver
    driver.quit()


LISTED = """
window.scrollBy(0, window.innerHeight);
return [...document.querySelectorAll(".opblock")].map((block) => [
  block.querySelector(".opblock-summary-method").textContent,
  block.querySelector(".opblock-summary-path").dataset.path,
]);
"""


def scroll_through(driver, listed):
    """Scroll one screen down (Swagger UI renders operations as they come into view) and add
    the (METHOD, path) of every operation block on the page to `listed`."""
    listed |= {tuple(operation) for operation in driver.execute_script(LISTED)}
    return listed


def test_the_reference_lists_every_operation_in_a_browser(tmp_path, browser):
    expected = spec_operations()
    assert len(expected) > 100
    with serve(tmp_path, workers=1) as server:
        browser.get(f"http://127.0.0.1:{server.port}/")
        wait = WebDriverWait(browser, RENDER_SECONDS)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock"))
        screenshot(browser, "reference-top")
        assert browser.current_url.endswith("/docs")
        assert browser.find_elements(By.CSS_SELECTOR, ".errors-wrapper") == []
        title = browser.find_element(By.CSS_SELECTOR, ".info .title").text
        assert title.startswith(CONFORMANCE.spec["info"]["title"])
        listed = set()
        wait.until(lambda d: scroll_through(d, listed) >= expected)
        screenshot(browser, "reference-scrolled")
        assert listed == expected
        errors = console_errors(browser)
        assert errors == [], json.dumps(errors, indent=2)


def test_the_reference_is_searched_by_typing_in_its_filter_box(tmp_path, browser):
    """Swagger UI's filter box keeps the operations of the tags that match what is typed."""
    tagged = {
        (method, path)
        for method, path in spec_operations()
        if "pages"
        in CONFORMANCE.spec["paths"].get(path, {}).get(method.lower(), {}).get("tags", [])
    }
    assert tagged == {("GET", "/book/{hostname}")}
    with serve(tmp_path, workers=1) as server:
        browser.get(f"http://127.0.0.1:{server.port}/docs")
        wait = WebDriverWait(browser, RENDER_SECONDS)
        box = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".operation-filter-input"))
        box.send_keys("pages")
        # The webhooks' section (named events, not paths) is not filtered by tag.
        wait.until(
            lambda d: {tuple(op) for op in d.execute_script(LISTED) if op[1][0] == "/"} == tagged
        )
        screenshot(browser, "reference-searched")

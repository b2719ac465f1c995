"""The booking page in a real browser, against a real server over the demo catalog.

A patient books by keyboard alone with the page's publishable key, and the visit is then
read back with a `visits:read` key; at phone width every step fits the screen; axe-core
finds no serious or critical violation on any step; rule errors appear beside their
field, from the page's own checks as the patient types and from the server; emergency
words bring the 911 message before anything is sent; a FHIR-style deep link opens a slot
ready to book; giving a time back frees it; and pages on origins the key does not allow
can neither call the API nor frame the page. Screenshots of every step, at desktop and at
phone width, land in artifacts/screenshots.
"""

import http.server
import json
import re
import threading
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import axe_core_python
import pytest
from axe_selenium_python import Axe
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from inquick import demo
from inquick.auth.keys import issue_key
from inquick.models import HealthSystem, Schedule, VisitValidation
from tests.browser import PHONE, chromium, console_errors, screenshot
from tests.live_server import call, free_port, serve

HOSTNAME = demo.DEMO_HOSTNAME
API = f"/api/v3/{HOSTNAME}"
WAIT_SECONDS = 15
AXE_CORE = str(Path(axe_core_python.__file__).parent / "axe.min.js")
# Kent Cormier's schedule at Feestport: emergency keywords and a ZIP rule in the demo.
SCHEDULE_NAME = "Kent Cormier - Feestport"
# A rule only the server can check: RE2 reads `(?i)`, a browser's RegExp does not.
SERVER_ONLY_RULE = {"with": "(?i)[a-z' -]+"}
SERVER_ONLY_MESSAGE = "must be letters only"
GROUPS = [100, 200]
PATIENT = {
    "first-name": "Jo",
    "last-name": "Example",
    "birthdate": "01/31/1990",
    "email": "jo@example.org",
    "phone-number": "(207) 555-0199",
    "zip": "04101",
    "state": "ME",
    "patient-complaint": "Yearly checkup",
}


# --- the world: the demo, a publishable key for the page, a reader, a partner site -------


class PartnerSite:
    """Static pages served from one port, reachable as two origins: 127.0.0.1 (allowed by
    the page's key) and localhost (not allowed)."""

    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        handler = partial(QuietHandler, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def allowed(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def disallowed(self):
        return f"http://localhost:{self.port}"

    def page(self, name, html):
        (self.folder / name).write_text(html, encoding="utf-8")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def demo_seeder(partner_origin, found):
    """Seed the demo, a publishable key allowed on `partner_origin`, a reader key and one
    server-only rule; put the schedule's id in `found` and return what `serve` expects."""

    def seeder(url):
        engine = create_engine(url)
        try:
            with Session(engine) as session:
                demo.seed(session, progress=lambda *_: None)
                session.flush()
                system = session.scalar(
                    select(HealthSystem).where(HealthSystem.slug == "winter-health",
                                               HealthSystem.mode == "live")
                )  # fmt: skip
                schedule = session.scalar(
                    select(Schedule).where(Schedule.health_system_id == system.id,
                                           Schedule.name == SCHEDULE_NAME)
                )  # fmt: skip
                page_key, _ = issue_key(system, publishable=True, allowed_origins=[partner_origin])
                reader, reader_secret = issue_key(
                    system, scopes=("catalog:read", "availability:read", "visits:read")
                )
                rules = [
                    VisitValidation(
                        schedule_id=schedule.id, kind="format", attributes=["last-name"],
                        options=SERVER_ONLY_RULE, message=SERVER_ONLY_MESSAGE, position=9,
                    ),
                    # Answers that are JSON numbers and booleans, not the strings typed.
                    VisitValidation(
                        schedule_id=schedule.id, kind="inclusion", position=10,
                        attributes=["insurance-group-number"], options={"in": GROUPS},
                    ),
                    VisitValidation(
                        schedule_id=schedule.id, kind="acceptance", attributes=["optin"],
                        position=11,
                    ),
                ]  # fmt: skip
                session.add_all([page_key, reader, *rules])
                session.commit()
                found.update(schedule=schedule.id, key=page_key.public_value)
                return {"kent": schedule.id}, reader_secret
        finally:
            engine.dispose()

    return seeder


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("partner")
    partner = PartnerSite(folder)
    partner.thread.start()
    found = {}
    try:
        with serve(
            tmp_path_factory.mktemp("server"),
            workers=2,
            seeder=demo_seeder(partner.allowed, found),
            hostname=HOSTNAME,
        ) as server:
            server.partner, server.schedule = partner, found["schedule"]
            server.page_key = found["key"]
            server.base = f"http://127.0.0.1:{server.port}"
            yield server
    finally:
        partner.server.shutdown()
        partner.server.server_close()


@pytest.fixture
def downloads(tmp_path):
    return tmp_path / "downloads"


@pytest.fixture
def browser(downloads):
    driver = chromium(downloads=downloads)
    yield driver
    errors = console_errors(driver)
    driver.quit()
    assert errors == [], json.dumps(errors, indent=2)


# --- driving the page as a person would ---------------------------------------------------


def waiting(driver):
    return WebDriverWait(driver, WAIT_SECONDS)


def keys(driver, *typed):
    ActionChains(driver).send_keys(*typed).perform()


def tab_to(driver, element, limit=120):
    """Press Tab until `element` has the focus: a keyboard user can reach it."""
    for _ in range(limit):
        if driver.switch_to.active_element == element:
            return
        keys(driver, Keys.TAB)
    raise AssertionError(f"Tab never reached {element.get_attribute('outerHTML')[:200]}")


def visible_step(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('section.step')].find((s) => !s.hidden).id"
    )


def wait_for_step(driver, step):
    waiting(driver).until(lambda d: visible_step(d) == f"step-{step}")
    heading = f"{step}-heading"  # focus moves to the step's heading, for screen readers
    waiting(driver).until(lambda d: d.switch_to.active_element.get_attribute("id") == heading)


def field(driver, name):
    return driver.find_element(By.ID, f"field-{name}")


def error_beside(driver, name):
    error = driver.find_element(By.ID, f"field-{name}-error")
    return error.text if error.is_displayed() else ""


def assert_accessible(driver, step):
    """axe-core's verdict on the page as it is now: nothing serious or critical.

    axe-selenium-python runs it, with the axe-core that axe-core-python ships (4.4): the
    runner's own copy is axe-core 3.1, from 2018, which misjudges `autocomplete="off"`."""
    axe = Axe(driver, script_url=AXE_CORE)
    axe.inject()
    found = axe.run()
    severe = [v for v in found["violations"] if v["impact"] in ("serious", "critical")]
    assert severe == [], f"{step}:\n{axe.report(severe)}"


def open_page(driver, world, **query):
    url = f"{world.base}/book/{HOSTNAME}" + (f"?{urlencode(query)}" if query else "")
    driver.get(url)
    if not query:
        waiting(driver).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "#location option")) > 2
        )


def choose_kent_by_keyboard(driver, listed=lambda: None):
    """Location, then provider name, then the one schedule left; `listed()` runs when the
    list shows it."""
    location = driver.find_element(By.ID, "location")
    tab_to(driver, location)
    keys(driver, "Feestport")
    waiting(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#schedules button"))
    tab_to(driver, driver.find_element(By.ID, "provider-filter"))
    keys(driver, "Cormier")
    waiting(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#schedules button")) == 1)
    assert driver.find_element(By.ID, "schedules-summary").text == "1 option at this location."
    listed()
    tab_to(driver, driver.find_element(By.CSS_SELECTOR, "#schedules button"))
    keys(driver, Keys.ENTER)
    wait_for_step(driver, "time")


def first_free_time(driver):
    waiting(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".times button"))
    return driver.find_elements(By.CSS_SELECTOR, ".times button")[0]


def open_form(driver, world):
    """The page opened on Kent's first free time, its form shown (the slot held)."""
    open_page(driver, world)
    choose_kent_by_keyboard(driver)
    first_free_time(driver).click()
    wait_for_step(driver, "details")


def fill_by_keyboard(driver, answers):
    for name, text in answers.items():
        tab_to(driver, field(driver, name))
        keys(driver, text)
    # Radio groups: Tab into the group, Space picks its first option; so does a checkbox.
    for name in ("gender", "new-patient", "insurance-group-number", "optin"):
        tab_to(driver, driver.find_element(By.CSS_SELECTOR, f"input[name='{name}']"))
        keys(driver, Keys.SPACE)


def api_get(world, path, key):
    headers = {"Authorization": key, "Accept": "application/vnd.api+json"}
    status, _, body = call(world.port, "GET", f"{API}{path}", headers)
    return status, json.loads(body) if body else None


def free_times(world):
    query = urlencode({"schedule_ids[]": world.schedule, "appointment_type": "new-patient"})
    _, document = api_get(world, f"/available-appointment-times?{query}", world.secret)
    return set(document["data"][0]["attributes"]["times"])


def visits_read(world):
    status, document = api_get(world, "/visits?page[size]=100", world.secret)
    assert status == 200
    return document["data"]


# --- the tests ----------------------------------------------------------------------------


def test_a_patient_books_by_keyboard_alone_and_the_visit_is_there_to_read(
    world, browser, downloads
):
    open_page(browser, world)
    assert_accessible(browser, "choose, empty")

    def listed():
        screenshot(browser, "booking-1-choose-desktop")
        assert_accessible(browser, "choose")

    choose_kent_by_keyboard(browser, listed)
    screenshot(browser, "booking-2-time-desktop")
    assert_accessible(browser, "time")
    slot = first_free_time(browser)
    chosen = slot.get_attribute("aria-label")
    tab_to(browser, slot)
    keys(browser, Keys.ENTER)
    wait_for_step(browser, "details")
    hold = browser.find_element(By.ID, "hold").text
    assert hold == f"We are holding {chosen} for you for the next 10 minutes."
    fill_by_keyboard(browser, PATIENT)
    screenshot(browser, "booking-3-details-desktop")
    assert_accessible(browser, "details")
    tab_to(browser, browser.find_element(By.ID, "book"))
    keys(browser, Keys.ENTER)
    wait_for_step(browser, "done")
    screenshot(browser, "booking-4-done-desktop")
    assert_accessible(browser, "done")

    reference = browser.find_element(By.ID, "reference").text
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", reference)
    facts = browser.find_element(By.ID, "booking-facts").text
    assert chosen in facts and "Kent Cormier" in facts and "Feestport" in facts
    calendar = browser.find_element(By.ID, "calendar")
    tab_to(browser, calendar)
    keys(browser, Keys.ENTER)
    saved = downloads / "appointment.ics"
    waiting(browser).until(lambda _: saved.exists() and saved.stat().st_size > 0)
    entry = saved.read_text(encoding="utf-8")
    assert "BEGIN:VCALENDAR" in entry and "Kent Cormier" in entry

    [visit] = [v for v in visits_read(world) if v["attributes"]["booking-reference"] == reference]
    attributes = visit["attributes"]
    assert (attributes["first-name"], attributes["last-name"]) == ("Jo", "Example")
    assert attributes["birthdate"] == "1990-01-31"  # typed the US way, sent the API's way
    assert attributes["appointment-type"] == "new-patient"
    assert attributes["insurance-group-number"] == GROUPS[0]  # the number, not "100"
    assert attributes["optin"] is True  # the checkbox sends what the rule accepts
    assert visit["relationships"]["schedule"]["data"]["id"] == world.schedule


def test_at_phone_width_every_step_fits_the_screen_and_passes_axe(world):
    driver = chromium(PHONE)
    try:
        open_page(driver, world)
        steps = []

        def check(step):
            wide = driver.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert wide <= 0, f"{step} scrolls sideways by {wide}px at phone width"
            screenshot(driver, f"booking-{len(steps) + 1}-{step}-phone")
            assert_accessible(driver, step)
            steps.append(step)

        choose_kent_by_keyboard(driver, lambda: check("choose"))
        check("time")
        first_free_time(driver).click()
        wait_for_step(driver, "details")
        fill_by_keyboard(driver, PATIENT)
        check("details")
        driver.find_element(By.ID, "book").click()
        wait_for_step(driver, "done")
        check("done")
        assert steps == ["choose", "time", "details", "done"]
        assert console_errors(driver) == []
    finally:
        driver.quit()


def test_the_pages_own_checks_show_beside_the_field_as_the_patient_types(world, browser):
    open_form(browser, world)
    email = field(browser, "email")
    tab_to(browser, email)
    keys(browser, "jo-at-example")
    assert error_beside(browser, "email") == ""  # not while the first try is being typed
    keys(browser, Keys.TAB)
    expected = "Email must be an email address, like name@example.org."
    assert error_beside(browser, "email") == expected
    assert email.get_attribute("aria-invalid") == "true"
    assert "field-email-error" in email.get_attribute("aria-describedby").split()
    email.send_keys(Keys.END, ".org")
    email.clear()
    email.send_keys("jo@example.org")
    assert error_beside(browser, "email") == ""  # fixed as typed, before leaving the field
    assert email.get_attribute("aria-invalid") is None

    before = len(visits_read(world))
    browser.find_element(By.ID, "book").click()  # nothing else filled: every required one
    assert error_beside(browser, "first-name") == "First name is required."
    assert browser.switch_to.active_element == field(browser, "first-name")
    assert "highlighted fields" in browser.find_element(By.ID, "problem").text
    assert len(visits_read(world)) == before


def test_a_field_error_from_the_server_appears_beside_its_field(world, browser):
    open_form(browser, world)
    fill_by_keyboard(browser, {**PATIENT, "last-name": "Ex4mple"})
    before = len(visits_read(world))
    browser.find_element(By.ID, "book").click()
    waiting(browser).until(lambda d: error_beside(d, "last-name"))
    assert error_beside(browser, "last-name") == f"Last name {SERVER_ONLY_MESSAGE}."
    assert field(browser, "last-name").get_attribute("aria-invalid") == "true"
    assert browser.switch_to.active_element == field(browser, "last-name")
    screenshot(browser, "booking-server-error-desktop")
    assert len(visits_read(world)) == before
    [refused] = console_errors(browser)  # the 422, logged by the browser as a failed load
    assert "422" in refused["message"]
    # Corrected, the same token books.
    field(browser, "last-name").clear()
    field(browser, "last-name").send_keys("Example")
    browser.find_element(By.ID, "book").click()
    wait_for_step(browser, "done")
    assert len(visits_read(world)) == before + 1


def test_emergency_words_bring_the_911_message_before_anything_is_sent(world, browser):
    open_form(browser, world)
    fill_by_keyboard(browser, {**PATIENT, "patient-complaint": "Sudden CHEST-pain since noon"})
    message = browser.find_element(By.ID, "emergency")
    assert message.is_displayed() and "call 911" in message.text
    assert message.get_attribute("role") == "alert"
    screenshot(browser, "booking-emergency-desktop")
    before = len(visits_read(world))
    browser.find_element(By.ID, "book").click()
    assert browser.switch_to.active_element == message
    assert len(visits_read(world)) == before
    field(browser, "patient-complaint").clear()
    field(browser, "patient-complaint").send_keys("Yearly checkup")
    assert not message.is_displayed()


def test_a_deep_link_offers_its_slot_and_another_time_gives_it_back(world, browser):
    at = sorted(free_times(world))[0]
    open_page(browser, world, schedule=world.schedule, at=at)
    wait_for_step(browser, "time")
    picked = browser.find_element(By.ID, "picked")
    waiting(browser).until(lambda _: picked.is_displayed())
    assert picked.text.startswith("You chose ")
    assert at in free_times(world)  # nothing held before the patient says so
    browser.find_element(By.ID, "picked-continue").click()
    wait_for_step(browser, "details")
    assert "We are holding" in browser.find_element(By.ID, "hold").text
    assert at not in free_times(world)  # held while the form is filled
    browser.find_element(By.ID, "another-time").click()
    wait_for_step(browser, "time")
    waiting(browser).until(lambda _: at in free_times(world))


def test_paging_weeks_by_keyboard_never_drops_the_focus(world, browser):
    open_page(browser, world)
    choose_kent_by_keyboard(browser)
    later = browser.find_element(By.ID, "later")
    tab_to(browser, later)
    for _ in range(12):  # past the booking horizon's last week: the button is disabled
        keys(browser, Keys.ENTER)
        focused = browser.switch_to.active_element
        assert focused.tag_name != "body"
        if later.get_attribute("disabled"):
            break
    assert later.get_attribute("disabled") and focused.get_attribute("id") == "earlier"


# --- other origins ------------------------------------------------------------------------

FETCH = """
const [url, key, method, done] = arguments;
fetch(url, {method, headers: {Authorization: key, Accept: "application/vnd.api+json"}})
  .then((response) => done(String(response.status)), () => done("blocked"));
"""


def test_a_page_on_an_origin_the_key_does_not_allow_cannot_call_the_api(world, browser):
    world.partner.page("blank.html", "<!DOCTYPE html><title>Partner</title><p>Partner site</p>")
    locations = f"{world.base}{API}/locations"
    hold = f"{world.base}{API}/visit-token?" + urlencode(
        {"schedule_id": world.schedule, "appointment_at": sorted(free_times(world))[0]}
    )
    browser.get(f"{world.partner.allowed}/blank.html")
    assert browser.execute_async_script(FETCH, locations, world.page_key, "GET") == "200"
    browser.get(f"{world.partner.disallowed}/blank.html")
    assert browser.execute_async_script(FETCH, locations, world.page_key, "GET") == "blocked"
    before = free_times(world)
    assert browser.execute_async_script(FETCH, hold, world.page_key, "GET") == "blocked"
    book = f"{world.base}{API}/visits"
    assert browser.execute_async_script(FETCH, book, world.page_key, "POST") == "blocked"
    # A request a page cannot read the answer of, and that no preflight guards: no hold either.
    no_cors = "fetch(arguments[0], {mode: 'no-cors'}).then(() => arguments[1]('sent'));"
    assert browser.execute_async_script(no_cors, f"{hold}&api_key={world.page_key}") == "sent"
    assert free_times(world) == before  # nothing held
    browser.get_log("browser")  # the blocked calls' console noise is the point of this test


EMBED = """<!DOCTYPE html><html lang="en"><title>Partner clinic</title>
<h1>Partner clinic</h1>
<script src="{base}/book-assets/embed.js" data-partner="{hostname}"
        data-title="Book a visit"></script>
"""


def test_the_snippet_embeds_the_page_only_on_origins_the_key_allows(world, browser):
    world.partner.page("embed.html", EMBED.format(base=world.base, hostname=HOSTNAME))
    browser.get(f"{world.partner.allowed}/embed.html")
    frame = waiting(browser).until(lambda d: d.find_element(By.TAG_NAME, "iframe"))
    assert frame.get_attribute("title") == "Book a visit"
    browser.switch_to.frame(frame)
    waiting(browser).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#location option")) > 2)
    browser.switch_to.default_content()
    # The framed page reports its height and the snippet follows it.
    waiting(browser).until(lambda d: d.execute_script("return arguments[0].style.height", frame))
    screenshot(browser, "booking-embedded-desktop")

    browser.get(f"{world.partner.disallowed}/embed.html")
    frame = waiting(browser).until(lambda d: d.find_element(By.TAG_NAME, "iframe"))
    browser.switch_to.frame(frame)
    assert browser.find_elements(By.ID, "booking-config") == []  # refused by frame-ancestors
    browser.switch_to.default_content()
    browser.get_log("browser")  # the refused frame's console entry is expected

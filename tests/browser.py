"""Headless Chromium for the browser tests, from Debian's `chromium` and `chromium-driver`
(`make browser` and `.ci/run` install them); without them a test fails rather than skips."""

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from tests.live_server import REPO_ROOT

SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"
DESKTOP = (1280, 1000)
PHONE = (390, 844)
MINIMUM_WINDOW_WIDTH = 500


def chromium(size=DESKTOP, downloads=None):
    """A headless Chromium whose page is `size` (width, height) CSS pixels, console kept,
    saving downloads in the folder `downloads` without asking."""
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    if size[0] < MINIMUM_WINDOW_WIDTH:
        # A phone: its viewport emulated, since a window is never narrower than 500 pixels.
        metrics = {"width": size[0], "height": size[1], "pixelRatio": 2, "touch": True}
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
    else:
        options.add_argument(f"--window-size={size[0]},{size[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if downloads is not None:
        prefs = {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
        }
        options.add_experimental_option("prefs", prefs)
    return webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))


def screenshot(driver, name):
    """Save what the page looks like now as artifacts/screenshots/NAME.png (gitignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def console_errors(driver):
    """The page's SEVERE console entries since the last call."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]

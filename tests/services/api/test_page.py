"""The worklist page in a real headless Chromium, against the API process and a real Redis."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver import Chrome
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from tests.fixtures_api import ApiProcess
from tests.services.api.seeding import Seeder, epidural, paraspinal
from tests.support import wait_for

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_ARGUMENTS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1600,1000",
)
REPO = Path(__file__).resolve().parents[3]
USER = "Dr Adams"
ROWS_SCRIPT = """
return [...document.querySelectorAll('#rows tr')].map((tr) => ({
  uid: tr.dataset.studyUid,
  text: tr.innerText,
  badge: tr.querySelector('.badge').textContent,
  claimed: tr.querySelector('.claimed').textContent,
  read: tr.classList.contains('is-read'),
}));
"""


def _browser_available() -> None:
    """Skip where Chromium or its driver are missing; under CI, which must have them, fail."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if shutil.which(path) is None]
    if missing:
        reason = f"headless Chromium not installed (missing: {', '.join(missing)})"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason, allow_module_level=True)


_browser_available()


def artifacts_dir() -> Path:
    folder = Path(os.environ.get("SPINETRIAGE_TEST_ARTIFACTS", REPO / "var" / "test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Chrome]:
    """A fresh headless Chromium; its screenshot is kept as an artifact whatever the outcome."""
    options = Options()
    options.binary_location = CHROMIUM
    for argument in (*CHROMIUM_ARGUMENTS, f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.save_screenshot(str(artifacts_dir() / f"{request.node.name}.png"))
        driver.quit()


def rows(browser: Chrome) -> list[dict[str, Any]]:
    """The table as the radiologist sees it, read in one go (rows are rebuilt on updates)."""
    found: list[dict[str, Any]] = browser.execute_script(ROWS_SCRIPT)
    return found


def uids(browser: Chrome) -> list[str]:
    return [row["uid"] for row in rows(browser)]


def click(browser: Chrome, selector: str) -> None:
    """Click an element of the table, again if an update replaced it meanwhile."""

    def clicked() -> bool:
        try:
            browser.find_element(By.CSS_SELECTOR, selector).click()
        except StaleElementReferenceException:
            return False
        return True

    wait_for(clicked)


def open_page(browser: Chrome, api: ApiProcess) -> None:
    """Open the page with the token in the address, and give the reader's name once."""
    browser.get(f"{api.base_url}/#token={api.token}")
    name = wait_for(lambda: browser.find_element(By.ID, "user-input").is_displayed())
    assert name
    browser.find_element(By.ID, "user-input").send_keys(USER)
    browser.find_element(By.CSS_SELECTOR, "#user-form button[type=submit]").click()
    wait_for(lambda: browser.find_element(By.ID, "live").text.endswith("Live"))


def script_errors(browser: Chrome) -> list[str]:
    """What the page's console reported as errors (script errors, failed loads)."""
    log = browser.get_log("browser")  # type: ignore[no-untyped-call]  # untyped in selenium
    return [entry["message"] for entry in log if entry["level"] == "SEVERE"]


def test_the_critical_study_leads_and_a_new_one_appears_live_and_can_be_claimed(
    api: ApiProcess, seed: Seeder, browser: Chrome
) -> None:
    """The page lists the critical study first with its finding in words and its priority as a
    word; a critical study written to the store afterwards shows up in its place without a
    reload; claiming it from the page names the reader, and marking it read dims it."""
    seed.analysed("3.1", 30, epidural("2"), patient="Critical^Carla")
    seed.analysed("3.2", 50, epidural("1c", "L1", "L3", 35.0))
    seed.analysed("3.3", 90)
    seed.failed("3.4", 15, "no sagittal or axial series to read")
    open_page(browser, api)
    wait_for(lambda: uids(browser) == ["3.1", "3.2", "3.3", "3.4"])
    first = rows(browser)[0]
    assert first["badge"] == "Critical"
    assert "Epidural mass C5\u2013T2, Bilsky 2, canal 60% compromised" in first["text"]
    assert "Critical, Carla" in first["text"]
    assert "30 min ago" in first["text"]
    assert "no sagittal or axial series to read" in rows(browser)[3]["text"]
    assert "token" not in browser.current_url
    browser.execute_script("window.notReloaded = true;")

    seed.analysed("3.5", 10, epidural("3", "T4", "T7", 80.0), patient="Later^Luke")
    wait_for(lambda: uids(browser) == ["3.1", "3.5", "3.2", "3.3", "3.4"])
    assert browser.execute_script("return window.notReloaded === true;")
    assert rows(browser)[1]["badge"] == "Critical"

    click(browser, 'tr[data-study-uid="3.5"] button[data-action="claim"]')
    wait_for(lambda: rows(browser)[1]["claimed"] == f"{USER} (you)")
    assert seed.store.item_or_raise("3.5").claimed_by == USER
    click(browser, 'tr[data-study-uid="3.5"] button[data-action="read"]')
    wait_for(lambda: rows(browser)[1]["read"])
    assert "Read by Dr Adams" in rows(browser)[1]["text"]
    assert script_errors(browser) == []


def test_a_finding_opens_its_key_image_and_a_flag_is_dismissed_with_a_reason(
    api: ApiProcess, seed: Seeder, browser: Chrome
) -> None:
    """Clicking a finding shows its key image in an overlay; dismissing the flag asks for a
    reason, which the store keeps, and the study then shows its flag dismissed."""
    seed.analysed("4.1", 20, epidural("2"), paraspinal())
    open_page(browser, api)
    wait_for(lambda: uids(browser) == ["4.1"])
    click(browser, 'tr[data-study-uid="4.1"] button[data-action="image"][data-index="1"]')
    image = browser.find_element(By.ID, "key-image")
    wait_for(lambda: browser.execute_script("return arguments[0].naturalWidth;", image) == 16)
    assert "Paraspinal mass T4\u2013T8" in browser.find_element(By.ID, "image-caption").text
    browser.save_screenshot(str(artifacts_dir() / "key-image-overlay.png"))
    browser.find_element(By.CSS_SELECTOR, "#image-dialog button[type=submit]").click()

    click(browser, 'tr[data-study-uid="4.1"] button[data-action="dismiss"]')
    reason = wait_for(lambda: _shown(browser, "dismiss-reason"))
    reason.send_keys("a disc extrusion, not a mass")
    browser.find_element(By.CSS_SELECTOR, '#dismiss-form button[value="dismiss"]').click()
    wait_for(lambda: "flag dismissed" in rows(browser)[0]["text"])
    (kept,) = seed.store.dismissals("4.1")
    assert (kept["by"], kept["reason"]) == (USER, "a disc extrusion, not a mass")
    assert script_errors(browser) == []


def test_the_page_reconnects_after_the_server_restarts_and_catches_up(
    start_api: Callable[..., ApiProcess], seed: Seeder, browser: Chrome
) -> None:
    """When the API goes away the page says it is reconnecting; once the API is back it says
    live again and shows what changed meanwhile, without a reload."""
    api = start_api()
    seed.analysed("5.1", 20, epidural("1b"))
    open_page(browser, api)
    wait_for(lambda: uids(browser) == ["5.1"])
    browser.execute_script("window.notReloaded = true;")
    api.stop()
    wait_for(lambda: browser.find_element(By.ID, "live").text.endswith("Reconnecting…"))
    seed.analysed("5.2", 10, epidural("2", "T9", "T11", 70.0))
    start_api(api_port=api.port, api_token=api.token)
    wait_for(lambda: browser.find_element(By.ID, "live").text.endswith("Live"))
    wait_for(lambda: uids(browser) == ["5.2", "5.1"])
    assert browser.execute_script("return window.notReloaded === true;")


def _shown(browser: Chrome, element_id: str) -> Any:
    element = browser.find_element(By.ID, element_id)
    return element if element.is_displayed() else None

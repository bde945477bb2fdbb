"""A real headless Chromium (Debian's chromium + chromium-driver) for end-to-end tests."""

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture
def browser(request, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (shutil.which("chromium") and os.path.exists(CHROMEDRIVER)):
        # CI installs them (.ci/run); a developer's machine may not have them.
        message = "Browser tests need Debian's chromium and chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    # Console messages (CSP refusals among them) for driver.get_log("browser").
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if request.node.get_closest_marker("dialogs"):
        # ChromeDriver accepts "leave this page?" prompts itself; the DevTools
        # events in the performance log still show that the browser asked.
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.shots = Screenshots(driver, request.node.name)
    yield driver
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        driver.shots.take("failure")
    driver.quit()


class Screenshots:
    """Numbered screenshots of a test's steps, kept in test-artifacts/."""

    def __init__(self, driver, name):
        self.driver, self.name, self.count = driver, name, 0

    def take(self, step):
        self.count += 1
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{self.count:02d}-{step}.png"
        self.driver.save_screenshot(str(path))
        return path


def sign_in(browser, base, username, password):
    """Sign in on the admin's login page and wait for the desk to come back.

    The login page shows the desk's header too, so waiting for its text alone let a test
    go on while the login POST was still in flight (its next browser.get then cancelled
    it and landed on the login page again): wait for the sign-out form instead."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{base}/admin/login/")
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 30).until(lambda driver: driver.find_elements(By.ID, "logout-form"))


def pytest_configure(config):
    config.addinivalue_line("markers", "dialogs: log the page's dialogs (DevTools events)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report

"""Browser fixtures: headless Debian Chromium driven by Selenium against a live server.

Skipped, with the reason, only where no Chromium is installed (`.ci/run` installs it).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
# Seconds a lookup waits for an element to appear (pages that are still loading).
IMPLICIT_WAIT = 2


@pytest.fixture(scope="session")
def _chromium() -> Iterator[Any]:
    """One Chromium per test process: starting one costs about a second of CPU each time."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip(
            "Chromium and chromedriver are not installed (apt-get install chromium "
            "chromium-driver); .ci/run installs them"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(IMPLICIT_WAIT)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture()
def browser(_chromium: Any) -> Iterator[Any]:
    """The process's Chromium as a fresh visitor: no cookies, cache or storage of an earlier
    test (each test's server has its own port, but cookies are per host, not per port), the
    default window and emulation, a blank page, and the usual implicit wait."""
    driver = _chromium
    if len(driver.window_handles) > 1:
        for handle in driver.window_handles[1:]:
            driver.switch_to.window(handle)
            driver.close()
    driver.switch_to.window(driver.window_handles[0])
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": "*", "storageTypes": "all"})
    driver.set_window_size(1280, 1000)
    driver.implicitly_wait(IMPLICIT_WAIT)
    yield driver
    driver.get("about:blank")  # no page of this test keeps running scripts into the next


@pytest.fixture()
def browser_app(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """The shared app as a user meets it: CSRF on, matching on with its own index."""
    keys = ("WTF_CSRF_ENABLED", "MATCHING_ENABLED", "INDEX_DIR", "MEDIA_ROOT")
    saved = {key: app.config[key] for key in keys}
    app.config.update(
        WTF_CSRF_ENABLED=True,
        MATCHING_ENABLED=True,
        INDEX_DIR=str(tmp_path / "index"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    app.extensions.pop("live_index", None)
    try:
        yield app
    finally:
        app.extensions.pop("live_index", None)
        app.config.update(saved)

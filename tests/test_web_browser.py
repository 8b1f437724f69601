"""A surgeon's path through the web pages in a real browser: Debian's headless Chromium driven
by Selenium through the system chromedriver, against the real server on loopback. The
database is checked after each step. `.ci/run` installs chromium and chromium-driver."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as arrived
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.websites import Site, serve_site

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
)  # fmt: skip

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="Chromium not installed: apt-get install -y chromium chromium-driver (.ci/run does)",
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    options.add_argument("--window-size=1280,1000")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with serve_site(tmp_path) as served:
        yield served


def untouched(site: Site) -> None:
    """Browsing changed nothing: both subscribers as created, no change logged."""
    with site.store() as store:
        assert store.subscriber_by_id(site.surgeon.id) == site.surgeon
        assert store.subscriber_by_id(site.colleague.id) == site.colleague
        assert store.subscriber_changes(site.surgeon.id) == []


def test_map_filter_study_preferences_unsubscribe(site: Site, browser: webdriver.Chrome) -> None:
    # 1. The evidence map.
    browser.get(site.url + "/")
    assert "Where the evidence stands" in browser.page_source
    assert len(browser.find_elements(By.CSS_SELECTOR, "tr.study")) == 5
    untouched(site)

    # 2. Filter to randomized trials with at least 24 months of follow-up.
    Select(browser.find_element(By.ID, "f-design")).select_by_value("rct")
    Select(browser.find_element(By.ID, "f-followup")).select_by_value("24")
    browser.find_element(By.ID, "apply").click()
    WebDriverWait(browser, 10).until(arrived.url_contains("followup=24"))
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.study")
    assert "design=rct" in browser.current_url
    assert len(rows) == 2
    assert {r.get_attribute("data-design") for r in rows} == {"rct"}
    assert all(float(r.get_attribute("data-followup") or 0) >= 24 for r in rows)
    untouched(site)

    # 3. Open a study: its tags, each with the words behind it.
    rows[0].find_element(By.CSS_SELECTOR, "a.study-link").click()
    WebDriverWait(browser, 10).until(arrived.url_contains("/articles/9001"))
    assert "Evidence tags" in browser.page_source
    assert "walking tolerance remained improved" in browser.page_source
    untouched(site)

    # 4. A subscriber's preferences: weekly → monthly.
    browser.get(f"{site.url}/subscriber/{site.surgeon.token}")
    assert browser.find_element(By.ID, "frequency-weekly").is_selected()
    browser.find_element(By.ID, "frequency-monthly").click()
    browser.find_element(By.ID, "save").click()
    WebDriverWait(browser, 10).until(arrived.url_contains("saved=1"))
    assert "Saved." in browser.find_element(By.CSS_SELECTOR, ".ok-box").text
    with site.store() as store:
        surgeon = store.subscriber_by_id(site.surgeon.id)
        assert surgeon is not None and surgeon.frequency == "monthly" and surgeon.active
        changes = store.subscriber_changes(surgeon.id)
        assert [c.changes for c in changes] == [{"frequency": ["weekly", "monthly"]}]
        assert store.subscriber_by_id(site.colleague.id) == site.colleague

    # 5. Unsubscribe from the same page.
    browser.find_element(By.ID, "unsubscribe").click()
    # The page is replaced while the wait reads it: a read landing mid-navigation fails
    # ("node does not belong to the document") and is tried again, until the 10 s are up.
    WebDriverWait(browser, 10, ignored_exceptions=(WebDriverException,)).until(
        arrived.text_to_be_present_in_element((By.TAG_NAME, "h1"), "You are unsubscribed")
    )
    with site.store() as store:
        surgeon = store.subscriber_by_id(site.surgeon.id)
        assert surgeon is not None and not surgeon.active and surgeon.unsubscribed_at
        assert store.subscriber_by_id(site.colleague.id) == site.colleague

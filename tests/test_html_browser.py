"""The HTML report in a real headless browser: Debian's Chromium driven by Selenium.

Needs ``/usr/bin/chromium``, ``/usr/bin/chromedriver`` (``apt-get install chromium
chromium-driver``) and ``selenium``; the module is skipped, with the reason, when one is missing.
Selenium never downloads anything here: the driver path is given and ``SE_OFFLINE`` is set. The
page is opened from a file:// URL; it loads nothing else (its Content-Security-Policy forbids it).
"""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

pytest.importorskip("selenium", reason="selenium is not installed (pip install 'selenium>=4')")
for _path, _package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
    if shutil.which(_path) is None:
        pytest.skip(
            f"{_path} is missing (Debian: apt-get install {_package})", allow_module_level=True
        )

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

from clauseclf.index import ClauseIndex  # noqa: E402
from conftest import FERNWICK_POLICY  # noqa: E402

POLICY = FERNWICK_POLICY
INDEXED = {
    "Alpha": "Any dispute with Alpha will be resolved by binding arbitration.",
    "Beta": "Beta sells your personal data to data brokers.",
}


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    previous = os.environ.get("SE_OFFLINE")
    os.environ["SE_OFFLINE"] = "true"  # selenium-manager must not go online
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        if previous is None:
            os.environ.pop("SE_OFFLINE", None)
        else:
            os.environ["SE_OFFLINE"] = previous


@pytest.fixture(scope="module")
def report(tiny_model):
    return tiny_model.analyze(POLICY, platform="Fernwick", format="text", source="fern.txt")


@pytest.fixture(scope="module")
def page(browser, report, tiny_model, tmp_path_factory):
    """The report (with similar clauses from a small index) open in the browser."""
    frame = pd.concat(
        [tiny_model.analyze(t, platform=p).to_frame() for p, t in INDEXED.items()],
        ignore_index=True,
    )
    index = ClauseIndex.from_frame(frame, tiny_model)
    path = tmp_path_factory.mktemp("report") / "fernwick.html"
    path.write_text(report.to_html(index=index), encoding="utf-8")
    browser.get(path.as_uri())
    return browser


def clauses(driver):
    return driver.find_elements(By.CSS_SELECTOR, "article.clause")


def box(driver, group, value):
    return driver.find_element(By.CSS_SELECTOR, f'input[data-filter="{group}"][value="{value}"]')


def shown(driver):
    return [element.is_displayed() for element in clauses(driver)]


def test_every_clause_is_shown(page, report):
    assert len(clauses(page)) == len(report.clauses) == 7
    assert all(shown(page))
    assert page.find_element(By.ID, "shown-count").text == "7"
    assert page.title == "Clause report: Fernwick"


def test_unticking_a_type_hides_exactly_its_clauses(page, report):
    elements = clauses(page)
    types = [set(e.get_attribute("data-types").split()) for e in elements]
    assert {"arbitration"} in types and {"jurisdiction", "governing_law"} in types
    for value in ("arbitration", "governing_law"):
        box(page, "type", value).click()
    # A clause shows while one of its types is ticked: the two-type clause stays.
    expected = [not t <= {"arbitration", "governing_law"} for t in types]
    assert shown(page) == expected
    assert page.find_element(By.ID, "shown-count").text == str(sum(expected))
    page.find_element(By.CSS_SELECTOR, 'button[data-group="type"][data-select="all"]').click()
    assert all(shown(page))


def test_only_one_type(page):
    page.find_element(By.CSS_SELECTOR, 'button[data-group="type"][data-select="none"]').click()
    assert not any(shown(page))
    box(page, "type", "other").click()
    expected = [e.get_attribute("data-types") == "other" for e in clauses(page)]
    assert sum(expected) == 2
    assert shown(page) == expected
    page.find_element(By.CSS_SELECTOR, 'button[data-group="type"][data-select="all"]').click()
    assert all(shown(page))


def test_severity_filter(page, report):
    severities = [e.get_attribute("data-severity") for e in clauses(page)]
    assert severities == [c.severity for c in report.clauses]
    box(page, "severity", "high").click()
    assert shown(page) == [s != "high" for s in severities]
    box(page, "severity", "none").click()
    assert shown(page) == [s not in ("high", "none") for s in severities]
    for value in ("high", "none"):
        box(page, "severity", value).click()
    assert all(shown(page))


def test_evidence_and_similar_clauses_are_visible(page):
    mark = page.find_element(By.CSS_SELECTOR, 'article[data-types="arbitration"] p.text mark')
    assert mark.is_displayed()
    assert "arbitration" in mark.text or "dispute" in mark.text.lower()
    similar = page.find_element(By.CSS_SELECTOR, 'article[data-types="arbitration"] .similar')
    assert similar.is_displayed()
    assert "Alpha" in similar.text


def test_hostile_text_stays_text(page):
    assert page.execute_script("return typeof window.pwned") == "undefined"
    hostile = clauses(page)[-1]
    assert "<script>window.pwned = 1</script>" in hostile.text
    assert not hostile.find_elements(By.TAG_NAME, "img")


def test_no_javascript_errors(page):
    try:
        entries = page.get_log("browser")
    except (AttributeError, WebDriverException) as exc:
        pytest.skip(f"the browser log is not available: {exc}")
    errors = [e for e in entries if e.get("level") == "SEVERE"]
    assert errors == []

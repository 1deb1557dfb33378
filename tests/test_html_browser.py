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

pytest.importorskip("selenium", reason="selenium is not installed (pip install 'selenium>=4.11')")
for _path, _package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
    if shutil.which(_path) is None:
        pytest.skip(
            f"{_path} is missing (Debian: apt-get install {_package})", allow_module_level=True
        )

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

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


def test_other_is_folded_by_default(page, report):
    assert len(clauses(page)) == len(report.clauses) == 7
    assert shown(page) == [bool(c.prediction.labels) for c in report.clauses]
    assert page.find_element(By.ID, "shown-count").text == "5"
    assert page.title == "Clause report: Fernwick"
    page.find_element(By.CSS_SELECTOR, 'button[data-group="type"][data-select="all"]').click()
    assert all(shown(page))
    assert page.find_element(By.ID, "shown-count").text == "7"


def test_verdict_first_and_sort_by_severity(page, report, tmp_path_factory):
    verdict = page.find_element(By.CSS_SELECTOR, "section.verdict")
    main = page.find_element(By.CSS_SELECTOR, "main.clauses")
    assert verdict.location["y"] < main.location["y"]
    assert verdict.find_element(By.CSS_SELECTOR, ".grade").is_displayed()
    assert "Why it matters" in verdict.text
    Select(page.find_element(By.ID, "sort-order")).select_by_value("severity")
    ranks = [int(e.get_attribute("data-rank")) for e in clauses(page)]
    assert ranks == sorted(ranks, reverse=True)
    Select(page.find_element(By.ID, "sort-order")).select_by_value("document")
    assert [int(e.get_attribute("data-index")) for e in clauses(page)] == list(range(7))
    shot = tmp_path_factory.mktemp("screenshots") / "report.png"
    assert page.save_screenshot(str(shot)) and shot.stat().st_size > 1000


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


# -- accessibility and the atlas ----------------------------------------------------------------


def _luminance(rgb):
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _rgb(css):
    return [int(v) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]


def contrast(driver, element):
    """The contrast ratio of an element's text colour on its background colour."""
    colour = driver.execute_script("return getComputedStyle(arguments[0]).color", element)
    background = driver.execute_script(
        "var e = arguments[0]; while (e) { var c = getComputedStyle(e).backgroundColor;"
        " if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') { return c; }"
        " e = e.parentElement; } return 'rgb(255, 255, 255)';",
        element,
    )
    light, dark = sorted((_luminance(_rgb(colour)), _luminance(_rgb(background))), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def check_accessibility(driver):
    """Every form control has a label; badges, grades and muted text reach 4.5:1."""
    for control in driver.find_elements(By.CSS_SELECTOR, "input, select"):
        control_id = control.get_attribute("id")
        labelled = control_id and driver.find_elements(
            By.CSS_SELECTOR, f'label[for="{control_id}"]'
        )
        wrapped = driver.execute_script("return arguments[0].closest('label') !== null", control)
        assert labelled or wrapped, control.get_attribute("outerHTML")
    for element in driver.find_elements(By.CSS_SELECTOR, ".badge, .grade, .muted"):
        if element.is_displayed():
            assert contrast(driver, element) >= 4.5, element.get_attribute("outerHTML")[:200]


def test_report_accessibility(page):
    check_accessibility(page)


@pytest.fixture(scope="module")
def site(tiny_model, tmp_path_factory):
    from clauseclf.atlas import build_atlas

    documents = [
        {
            "id": "alder",
            "platform": "Alder",
            "text": "Alder sells your personal data to data "
            "brokers. Any dispute with Alder will be resolved by binding arbitration.",
        },
        {
            "id": "birch",
            "platform": "Birch",
            "text": "Birch does not sell your personal "
            "information. These terms are governed by the laws of Oregon.",
        },
    ]
    folder = tmp_path_factory.mktemp("site")
    build_atlas(tiny_model.score(documents, progress=False), folder, model_version="tiny")
    return folder


def test_atlas_pages_render_with_their_key_elements(browser, site, tmp_path_factory):
    from clauseclf.atlas import platform_page_name, type_page_name

    shots = tmp_path_factory.mktemp("atlas-screenshots")
    browser.get((site / platform_page_name("Alder")).as_uri())
    assert browser.find_element(By.CSS_SELECTOR, ".grade").is_displayed()
    assert "Findings per category" in browser.page_source
    assert browser.save_screenshot(str(shots / "platform.png"))
    check_accessibility(browser)
    finding = browser.find_element(By.CSS_SELECTOR, "ol.findings a")
    finding.click()
    assert "Why it matters" in browser.find_element(By.TAG_NAME, "main").text
    assert "Cite as" in browser.find_element(By.TAG_NAME, "main").text
    assert browser.save_screenshot(str(shots / "finding.png"))
    check_accessibility(browser)
    browser.get((site / type_page_name("data_sale")).as_uri())
    assert "of 2 platforms" in browser.find_element(By.CLASS_NAME, "prevalence").text
    assert "sells your personal data" in browser.find_element(By.TAG_NAME, "main").text
    assert browser.save_screenshot(str(shots / "type.png"))
    check_accessibility(browser)
    assert all(p.stat().st_size > 1000 for p in shots.iterdir())


def test_atlas_search_and_filter_by_keyboard(browser, site):
    browser.get((site / "index.html").as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "tr[data-search]")
    assert len(rows) == 2
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    for _ in range(10):  # tab to the search box
        if browser.switch_to.active_element.get_attribute("id") == "search":
            break
        browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "search"
    browser.switch_to.active_element.send_keys("birch")
    assert [r.is_displayed() for r in rows] == [False, True]
    assert browser.find_element(By.ID, "shown-count").text == "1"
    check_accessibility(browser)

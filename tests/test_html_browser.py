"""The HTML report and the atlas's pages in a real headless browser: Debian's Chromium driven
by Selenium (filters, sort and search by mouse and keyboard; accessibility; screenshots of a
platform, a finding and a type page, saved in pytest's temporary folder and checked for their key
elements).

Needs ``/usr/bin/chromium``, ``/usr/bin/chromedriver`` (``apt-get install chromium
chromium-driver``; ``.ci/run`` installs them when it runs as root with apt-get) and
``selenium``; the module is skipped, with the reason, when one is missing.
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
        "--window-size=1280,1800",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    # The page keeps the input focus whatever the (headless) window does, so that :focus styles
    # and keyboard tests do not depend on which window the system thinks is active.
    driver.execute_cdp_cmd("Emulation.setFocusEmulationEnabled", {"enabled": True})
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

#: Every visible element with text of its own whose contrast with the background it is drawn on
#: (the nearest opaque ones, translucent ones blended in) is below WCAG 2 AA: 4.5:1, or 3:1 for
#: large text (24px, or 18.66px bold).
LOW_CONTRAST = """
function rgba(css) {
  var v = css.match(/[0-9.]+/g).map(Number);
  return {r: v[0], g: v[1], b: v[2], a: v.length > 3 ? v[3] : 1};
}
function luminance(c) {
  function channel(v) {
    v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  }
  return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
}
function background(e) {
  var layers = [];
  for (; e; e = e.parentElement) {
    var c = rgba(getComputedStyle(e).backgroundColor);
    if (c.a > 0) { layers.push(c); if (c.a >= 1) { break; } }
  }
  var base = {r: 255, g: 255, b: 255};
  for (var i = layers.length - 1; i >= 0; i--) {
    var l = layers[i];
    base = {r: l.r * l.a + base.r * (1 - l.a), g: l.g * l.a + base.g * (1 - l.a),
            b: l.b * l.a + base.b * (1 - l.a)};
  }
  return base;
}
var failing = [];
document.querySelectorAll("body *").forEach(function (e) {
  var own = Array.prototype.some.call(e.childNodes, function (n) {
    return n.nodeType === 3 && n.textContent.trim();
  });
  var box = e.getBoundingClientRect();
  var style = getComputedStyle(e);
  if (!own || !box.width || !box.height || style.visibility === "hidden") { return; }
  var a = luminance(rgba(style.color)), b = luminance(background(e));
  var ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  var size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
  var needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
  if (ratio < needed) {
    failing.push(ratio.toFixed(2) + " < " + needed + ": " + e.outerHTML.slice(0, 160));
  }
});
return failing;
"""

#: Every link, button, form control and summary that shows no outline when it has the focus.
NO_FOCUS_OUTLINE = """
var failing = [];
window.focus();
document.querySelectorAll("a[href], button, input, select, summary").forEach(function (e) {
  if (e.checkVisibility ? !e.checkVisibility() : !e.getClientRects().length) { return; }
  e.focus();
  var style = getComputedStyle(e);
  if (document.activeElement !== e || style.outlineStyle === "none" ||
      parseFloat(style.outlineWidth) < 2) {
    failing.push("focus " + document.hasFocus() + ", outline " + style.outlineStyle + " " +
      style.outlineWidth + ": " + e.outerHTML.slice(0, 160));
  }
  e.blur();
});
return failing;
"""


def check_accessibility(driver):
    """The page has a language; every form control has a label and every link and button a
    name, and no two visible buttons the same name; all visible text (details opened) reaches
    WCAG AA contrast; every control shows a focus outline."""
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang")
    for control in driver.find_elements(By.CSS_SELECTOR, "input, select"):
        control_id = control.get_attribute("id")
        labelled = control_id and driver.find_elements(
            By.CSS_SELECTOR, f'label[for="{control_id}"]'
        )
        wrapped = driver.execute_script("return arguments[0].closest('label') !== null", control)
        assert labelled or wrapped, control.get_attribute("outerHTML")
    for element in driver.find_elements(By.CSS_SELECTOR, "a[href], button"):
        name = element.get_attribute("aria-label") or element.get_attribute("textContent")
        assert name.strip(), element.get_attribute("outerHTML")
    # Buttons do different things, so their names (as the browser computes them) differ.
    buttons = [b for b in driver.find_elements(By.TAG_NAME, "button") if b.is_displayed()]
    names = [b.accessible_name for b in buttons]
    assert all(names) and len(names) == len(set(names)), names
    closed = driver.execute_script(
        "var d = Array.prototype.filter.call(document.querySelectorAll('details'),"
        " function (e) { return !e.open; }); d.forEach(function (e) { e.open = true; });"
        " return d;"
    )
    try:
        assert driver.execute_script(LOW_CONTRAST) == []
    finally:
        driver.execute_script("arguments[0].forEach(function (e) { e.open = false; })", closed)
    focus_page(driver)
    assert driver.execute_script(NO_FOCUS_OUTLINE) == []


def test_report_accessibility(page):
    check_accessibility(page)


def focus_page(driver):
    """Check that the page has the input focus (the browser fixture emulates it)."""
    assert driver.execute_script("return document.hasFocus()")


def tab_to(driver, selector, limit=60):
    """Press Tab from the top of the page until the element matching ``selector`` has the
    focus; that element."""
    target = driver.find_element(By.CSS_SELECTOR, selector)
    focus_page(driver)
    driver.execute_script("document.activeElement && document.activeElement.blur(); scrollTo(0, 0)")
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    for _ in range(limit):
        if driver.switch_to.active_element == target:
            return target
        driver.switch_to.active_element.send_keys(Keys.TAB)
    raise AssertionError(f"{selector} is not reached with Tab")


def test_report_filters_and_sort_by_keyboard(page, report):
    types = [set(e.get_attribute("data-types").split()) for e in clauses(page)]
    before = shown(page)
    tab_to(page, 'input[data-filter="type"][value="arbitration"]').send_keys(Keys.SPACE)
    assert shown(page) == [s and t != {"arbitration"} for s, t in zip(before, types, strict=True)]
    page.switch_to.active_element.send_keys(Keys.SPACE)
    tab_to(page, 'button[data-group="type"][data-select="all"]').send_keys(Keys.ENTER)
    assert all(shown(page))
    tab_to(page, "#sort-order").send_keys("s")  # type-ahead: "severity"
    assert page.find_element(By.ID, "sort-order").get_attribute("value") == "severity"
    ranks = [int(e.get_attribute("data-rank")) for e in clauses(page)]
    assert ranks == sorted(ranks, reverse=True)
    Select(page.find_element(By.ID, "sort-order")).select_by_value("document")
    page.find_element(By.CSS_SELECTOR, 'button[data-group="type"][data-select="all"]').click()


ALDER = (
    "Alder sells your personal data to data brokers. Any dispute with Alder will be resolved "
    "by binding arbitration. These terms are governed by the laws of Oregon."
)
ALDER_LATER = ALDER.replace("binding arbitration", "binding individual arbitration")


@pytest.fixture(scope="module")
def scored(tiny_model):
    documents = [
        {"id": "alder/2024-01-15.txt", "platform": "Alder", "document": "Terms", "text": ALDER},
        {
            "id": "alder/2025-03-01.txt",
            "platform": "Alder",
            "document": "Terms",
            "text": ALDER_LATER,
        },
        {
            "id": "birch",
            "platform": "Birch",
            "text": "Birch does not sell your personal "
            "information. These terms are governed by the laws of Oregon.",
        },
    ]
    return tiny_model.score(documents, progress=False)


@pytest.fixture(scope="module")
def site(scored, tmp_path_factory):
    from clauseclf.atlas import build_atlas

    folder = tmp_path_factory.mktemp("site")
    build_atlas(scored, folder, model_version="tiny")
    return folder


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    return tmp_path_factory.mktemp("atlas-screenshots")


def element_box(driver, element):
    """``element``'s box in screenshot pixels: (left, top, right, bottom)."""
    left, top, width, height, scale = driver.execute_script(
        "var r = arguments[0].getBoundingClientRect();"
        " return [r.left, r.top, r.width, r.height, window.devicePixelRatio];",
        element,
    )
    return tuple(round(v * scale) for v in (left, top, left + width, top + height))


def screenshot(driver, path, *elements):
    """Save a screenshot of the window at ``path`` and check that each of ``elements`` is
    displayed, lies in the window and was drawn (its part of the image is not one flat
    colour). Returns the image."""
    image_module = pytest.importorskip("PIL.Image", reason="Pillow is not installed")
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", elements[0])
    assert driver.save_screenshot(str(path))
    image = image_module.open(path).convert("RGB")
    for element in elements:
        assert element.is_displayed(), element.get_attribute("outerHTML")[:160]
        box = element_box(driver, element)
        inside = 0 <= box[0] < box[2] <= image.width and 0 <= box[1] < box[3] <= image.height
        assert inside, f"{element.get_attribute('outerHTML')[:160]} is outside the window"
        assert len(colours(image, box)) > 2, "the element was not drawn"
    return image


def colours(image, box):
    """(pixel count, colour) of every colour in the part ``box`` of ``image``."""
    part = image.crop(box)
    return part.getcolors(maxcolors=part.width * part.height)


def share_of_colour(image, box, css_colour):
    """The share of the pixels of ``box`` in ``image`` that have the colour ``css_colour``."""
    wanted = [int(v) for v in css_colour[css_colour.index("(") + 1 : -1].split(",")[:3]]
    counts = colours(image, box)
    same = sum(n for n, c in counts if max(abs(a - b) for a, b in zip(c, wanted, strict=True)) <= 3)
    return same / sum(n for n, _ in counts)


def test_atlas_platform_page(browser, site, scored, screenshots):
    from clauseclf.atlas import platform_page_name
    from clauseclf.collection import collection_documents

    browser.get((site / platform_page_name("Alder")).as_uri())
    # The current version (2025) first, then the earlier one.
    documents = [d for d in collection_documents(scored) if d.platform == "Alder"][::-1]
    grades = browser.find_elements(By.CSS_SELECTOR, ".grade")
    assert [g.text for g in grades] == [d.verdict.grade.label for d in documents]
    tables = browser.find_elements(By.CSS_SELECTOR, "table.categories")
    shown_counts = {
        row.find_element(By.TAG_NAME, "th").text: [
            int(c.text) for c in row.find_elements(By.TAG_NAME, "td")
        ]
        for row in tables[0].find_elements(By.CSS_SELECTOR, "tr")[1:]
    }
    expected = {
        c: [n["adverse"], n["neutral"], n["protective"]]
        for c, n in documents[0].verdict.category_counts().items()
    }
    assert shown_counts == expected and sum(map(sum, expected.values())) > 0
    versions = [v.text for v in browser.find_elements(By.CSS_SELECTOR, "p.version")]
    assert versions == ["Version of 2025-03-01 (2 of 2)", "Version of 2024-01-15 (1 of 2)"]
    image = screenshot(browser, screenshots / "platform.png", grades[0], tables[0])
    colour = browser.execute_script(
        "return getComputedStyle(arguments[0]).backgroundColor", grades[0]
    )
    assert share_of_colour(image, element_box(browser, grades[0]), colour) > 0.5
    check_accessibility(browser)


def test_atlas_finding_page(browser, site, screenshots):
    from clauseclf.atlas import platform_page_name

    browser.get((site / platform_page_name("Alder")).as_uri())
    link = browser.find_elements(By.CSS_SELECTOR, "ol.findings")[0].find_element(
        By.XPATH, ".//a[text()='arbitration']"
    )
    link.send_keys(Keys.ENTER)  # follow the link by keyboard
    main = browser.find_element(By.TAG_NAME, "main")
    assert "Why it matters" in main.text and "Cite as" in main.text
    clause = main.find_element(By.CSS_SELECTOR, "article.finding blockquote")
    assert (
        clause.text == "Any dispute with Alder will be resolved by binding individual arbitration."
    )
    badge = main.find_element(By.CSS_SELECTOR, "article.finding .badge")
    stability = main.find_element(By.CSS_SELECTOR, "section.stability")
    facts = dict(
        zip(
            [e.text for e in stability.find_elements(By.TAG_NAME, "dt")],
            [e.text for e in stability.find_elements(By.TAG_NAME, "dd")],
            strict=True,
        )
    )
    assert facts["First seen"] == "2024-01-15" and facts["Changes"] == "1"
    screenshot(browser, screenshots / "finding.png", badge, clause, stability)
    check_accessibility(browser)


def test_atlas_type_page_and_its_filter_by_keyboard(browser, site, screenshots):
    from clauseclf.atlas import type_page_name

    browser.get((site / type_page_name("data_sale")).as_uri())
    prevalence = browser.find_element(By.CLASS_NAME, "prevalence")
    assert prevalence.text == (
        "Found on 2 of 2 platforms. By stance and severity: high: 1 of 2; "
        "none (protective): 1 of 2."
    )
    rows = browser.find_elements(By.CSS_SELECTOR, "tr[data-search]")
    wordings = [r.find_element(By.CSS_SELECTOR, "td.wording") for r in rows]
    assert [w.text for w in wordings] == [
        "Alder sells your personal data to data brokers.",
        "Birch does not sell your personal information.",
    ]
    screenshot(browser, screenshots / "type.png", prevalence, *wordings)
    check_accessibility(browser)
    tab_to(browser, "#filter-severity").send_keys("h")  # type-ahead: "high"
    assert [r.is_displayed() for r in rows] == [True, False]
    assert browser.find_element(By.ID, "shown-count").text == "1"
    assert all(p.stat().st_size > 1000 for p in screenshots.iterdir())


def test_atlas_search_and_filter_by_keyboard(browser, site):
    browser.get((site / "index.html").as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "tr[data-search]")
    assert len(rows) == 2
    tab_to(browser, "#search").send_keys("birch")
    assert [r.is_displayed() for r in rows] == [False, True]
    assert browser.find_element(By.ID, "shown-count").text == "1"
    browser.switch_to.active_element.send_keys(Keys.BACKSPACE * 5)
    assert all(r.is_displayed() for r in rows)
    check_accessibility(browser)


def test_atlas_pages_log_no_javascript_errors(browser, site):
    from clauseclf.atlas import type_page_name

    for name in ("index.html", type_page_name("data_sale")):
        browser.get((site / name).as_uri())
        try:
            entries = browser.get_log("browser")
        except (AttributeError, WebDriverException) as exc:
            pytest.skip(f"the browser log is not available: {exc}")
        assert [e for e in entries if e.get("level") == "SEVERE"] == [], name

"""The HTML report, rendered in headless Chromium (Debian's package; `make browser` installs it).

One realistic report is rendered once per module; the tests check what a reader sees: no console or
page errors, no network requests (the file must be self-contained), a chart with one bar per theme
that fits its frame, every theme's quotes, and headings and tables that screen readers can use.
Set THEMES_SAVE_SCREENSHOT=1 to also write docs/report-screenshot.png for the README.
"""

from __future__ import annotations

import os
import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from themes.report import ReportData, render_html

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
# Keep Chromium from phoning home (updates, sync, safe browsing), so any request seen is the report's.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
DOCS_SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "report-screenshot.png"

# theme id -> (label, respondents, passages); "housing" is raised by no one, so it has no quotes.
THEMES = {
    "trust": ("Trust and relationships with communities", 132, 201),
    "funding": ("Funding stability and flexible grants", 101, 143),
    "workforce": ("Workforce shortages, staff turnover and burnout among frontline community health workers",
                  88, 119),
    "data": ("Data sharing and measurement", 47, 58),
    "housing": ("Housing", 0, 0),
}
USABLE = 240
QUOTES = {
    "trust": [
        ("People come to us because the promotoras live on their street and speak their language.",
         "Respondent R-0412, community-based organization, NM"),
        ("Trust took ten years to build & one bad referral to lose.", "Respondent R-0077, health system, TX"),
        ("Families tell us things they would never tell a clinic intake form.",
         "Respondent R-0190, tribal organization, WA"),
    ],
    "funding": [
        ("Every grant is one year long, so every spring we lay people off and every fall we rehire them.",
         "Respondent R-0033, local health department, CA"),
        ("Flexible dollars <not tied to a single disease> would let us follow what families actually need.",
         "Respondent R-0251, community-based organization, TX"),
    ],
    "workforce": [
        ("We lost 3 of our 5 CHWs last year; the ones who stay are exhausted and carry double caseloads while we try "
         "to hire, and the pay still does not match what the hospital down the road offers for less stressful work.",
         "Respondent R-0118, community-based organization, CA"),
        ("Burnout is the number one reason people leave.", "Respondent R-0302, health system, WA"),
    ],
    "data": [
        ("We enter the same visit into three systems and none of them talk to each other.",
         "Respondent R-0009, local health department, NM"),
        ("\"Outcomes\" means whatever this year's funder wants it to mean.",
         "Respondent R-0144, health system, CA"),
    ],
    "housing": [],
}
# group -> (respondents in the group, respondents raising each theme, in THEMES order)
BREAKDOWNS = {
    "org_type": {
        "Community-based organization": (110, [71, 52, 48, 15, 0]),
        "Health system": (64, [28, 22, 19, 20, 0]),
        "Local health department": (41, [20, 17, 12, 9, 0]),
        "Tribal organization": (25, [13, 10, 9, 3, 0]),
    },
    "state": {
        "California": (78, [40, 37, 31, 18, 0]),
        "New Mexico": (52, [33, 20, 17, 8, 0]),
        "Texas": (61, [34, 27, 24, 11, 0]),
        "Washington": (49, [25, 17, 16, 10, 0]),
    },
}
PAIRS = {("trust", "funding"): 61, ("trust", "workforce"): 49, ("trust", "data"): 22, ("funding", "workforce"): 57,
         ("funding", "data"): 25, ("workforce", "data"): 18}


def _percent(count: int, base: int) -> float:
    return round(100 * count / base, 1)


def report_data() -> ReportData:
    counts = pd.DataFrame([{"theme": t, "label": label, "respondents": n, "percent": _percent(n, USABLE),
                            "answers": n, "segments": passages, "base_respondents": USABLE}
                           for t, (label, n, passages) in THEMES.items()])
    quotes = pd.DataFrame([{"theme": t, "label": THEMES[t][0], "rank": rank, "quote": quote, "attribution": who}
                           for t, items in QUOTES.items() for rank, (quote, who) in enumerate(items, 1)])
    breakdowns = {
        column: pd.DataFrame([{column: group, "theme": t, "label": THEMES[t][0], "respondents": n,
                               "percent": _percent(n, base), "answers": n, "base_respondents": base}
                              for group, (base, ns) in groups.items() for t, n in zip(THEMES, ns)])
        for column, groups in BREAKDOWNS.items()}
    ids = list(THEMES)
    co = pd.DataFrame(0, index=ids, columns=ids)
    for t, (_, n, _) in THEMES.items():
        co.loc[t, t] = n
    for (a, b), n in PAIRS.items():
        co.loc[a, b] = co.loc[b, a] = n
    accounting = {"input_answers": 612, "coded": 455, "uncoded": 88, "too_long": 4, "non_english": 9,
                  "duplicate": 21, "non_answer": 27, "empty": 8}
    method = {"Codebook": "Community health RFI, version 3 (content hash 9f2c41d07a3e)",
              "Embedding model": "sentence-transformers/all-MiniLM-L6-v2",
              "Classifier": "logistic regression per theme, trained on the codebook's examples",
              "Thresholds": "trust 0.52 (calibrated), funding 0.48 (calibrated), workforce 0.50 (default), "
                            "data 0.55 (calibrated), housing 0.50 (default)",
              "Unit": "sentences; an answer carries a theme when one of its sentences does; counts are respondents"}
    return ReportData(title="Themes in community_health_rfi", counts=counts, quotes=quotes, breakdowns=breakdowns,
                      co_occurrence=co, accounting=accounting, method=method, respondents=256,
                      usable_respondents=USABLE)


@dataclass
class Rendered:
    """What Chromium saw while loading the report, and the page, still open, to query."""
    page: object
    screenshot: Path
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("THEMES_SKIP_BROWSER") == "1":
        pytest.skip("THEMES_SKIP_BROWSER=1 is set")
    pytest.fail(f"Chromium is not installed at {CHROMIUM}, so the report cannot be checked in a browser. "
                "Run `make browser` (as root) to install Debian's chromium, or set THEMES_SKIP_BROWSER=1 to skip.",
                pytrace=False)


def _open(browser, url: str, *, width: int, height: int) -> Rendered:
    page = browser.new_page(viewport={"width": width, "height": height})
    seen = Rendered(page=page, screenshot=Path())

    def route(request_route):
        url = request_route.request.url
        if url.startswith(("file:", "data:")):
            request_route.continue_()
        else:
            seen.requests.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.on("console", lambda message: message.type == "error" and seen.console_errors.append(message.text))
    page.on("pageerror", lambda error: seen.page_errors.append(str(error)))
    page.goto(url, wait_until="load")
    return seen


@pytest.fixture(scope="module")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html(report_data()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def rendered(browser, report_file) -> Rendered:
    seen = _open(browser, report_file.as_uri(), width=1280, height=900)
    seen.screenshot = report_file.with_name("report.png")
    seen.page.screenshot(path=seen.screenshot, full_page=True)
    if os.environ.get("THEMES_SAVE_SCREENSHOT") == "1":
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(seen.screenshot, DOCS_SCREENSHOT)
    yield seen
    seen.page.close()


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not rendered"
    return box


def _inside(inner: dict, outer: dict, slack: float = 0.5) -> bool:
    return (inner["x"] >= outer["x"] - slack and inner["y"] >= outer["y"] - slack
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack)


def test_loads_without_errors_or_network(rendered):
    assert rendered.console_errors == []
    assert rendered.page_errors == []
    assert rendered.requests == [], "the report must be self-contained"


def test_full_page_screenshot(rendered):
    png = rendered.screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width == 1280 and height > 900, "the screenshot should cover the whole, scrolled page"
    assert len(png) > 50_000, "a screenshot this small is probably blank"


def test_prevalence_chart_has_one_visible_bar_per_theme(rendered):
    chart = rendered.page.locator("#prevalence-chart svg[role=img]")
    assert chart.is_visible()
    frame = _box(chart)
    assert frame["width"] > 300 and frame["height"] > 100
    bars = chart.locator("rect")
    assert bars.count() == len(THEMES)
    for i in range(bars.count()):
        assert _inside(_box(bars.nth(i)), frame), f"bar {i} overflows the chart"
    # Every label and value, however long, is drawn inside the chart rather than cut off at its edge.
    texts = chart.locator("text")
    assert texts.count() >= 2 * len(THEMES)
    for i in range(texts.count()):
        assert _inside(_box(texts.nth(i)), frame), f"{texts.nth(i).text_content()!r} is cut off"


def test_chart_has_a_text_alternative(rendered):
    chart = rendered.page.locator("#prevalence-chart svg[role=img]")
    title, desc = chart.locator("title"), chart.locator("desc")
    assert title.text_content() == "Percent of respondents with an answer flagged for each theme"
    for label, n, _ in THEMES.values():
        assert f"{label}: {_percent(n, USABLE):.1f}%" in desc.text_content()
    assert chart.get_attribute("aria-labelledby").split() == [title.get_attribute("id"), desc.get_attribute("id")]


@pytest.mark.parametrize("theme", list(THEMES))
def test_each_theme_has_its_quote_section(rendered, theme):
    section = rendered.page.locator(f"section.quotes#quotes-{theme}")
    assert section.is_visible()
    assert section.locator("h3").inner_text() == THEMES[theme][0]
    quotes = section.locator("blockquote")
    assert quotes.count() == len(QUOTES[theme])
    for i, (quote, who) in enumerate(QUOTES[theme]):
        assert quotes.nth(i).locator("p").inner_text() == f"\u201c{quote}\u201d"
        assert quotes.nth(i).locator("footer").inner_text() == f"\u2014 {who}"
    if not QUOTES[theme]:
        assert section.get_by_text("No passage carried this theme.").is_visible()


def test_headings(rendered):
    page = rendered.page
    assert page.locator("h1").all_inner_texts() == ["Themes in community_health_rfi"]
    assert page.locator("h2").all_inner_texts() == ["Key findings", "Prevalence", "By org type", "By state",
                                                    "Themes raised together", "Quotes", "Method"]


def test_tables_have_scoped_headers(rendered):
    tables = rendered.page.locator("table")
    assert tables.count() == 5  # prevalence, two breakdowns, co-occurrence, answers by status
    for i in range(tables.count()):
        table = tables.nth(i)
        assert table.locator("caption").count() == 1
        assert table.locator("thead th[scope=col]").count() >= 2
        assert table.locator("tbody th[scope=row]").count() == table.locator("tbody tr").count()
        assert table.locator("th:not([scope])").count() == 0


def test_narrow_screen_does_not_scroll_sideways(browser, report_file):
    """On a phone, wide tables scroll inside their own box; the page itself keeps to the screen."""
    seen = _open(browser, report_file.as_uri(), width=390, height=844)
    try:
        overflow = seen.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow == 0
        assert seen.console_errors == [] and seen.page_errors == []
    finally:
        seen.page.close()


def test_an_estimate_s_interval_stays_on_one_line_on_a_phone(browser, tmp_path):
    """A program officer's review: "48% (41-55%)" broke at its hyphen in the estimates column, the range's end on
    a line of its own."""
    from themes.prevalence import CORRECTED_METHOD

    data = report_data()
    data.counts = data.counts.assign(estimate=[48.2, 31.0, 12.4, 9.9, 55.5], low=[41.0, 24.6, 8.1, 6.0, 47.9],
                                     high=[55.3, 37.9, 17.7, 14.6, 63.0], method=CORRECTED_METHOD)
    path = tmp_path / "report.html"
    path.write_text(render_html(data), encoding="utf-8")
    for width in (390, 1280):
        seen = _open(browser, path.as_uri(), width=width, height=844)
        try:
            lines = seen.page.evaluate("""[...document.querySelectorAll('td.num')]
                .filter(td => /\\([0-9.]+-[0-9.]+%?\\)/.test(td.textContent))
                .map(td => { const range = document.createRange(); range.selectNodeContents(td);
                             const style = getComputedStyle(td);
                             return range.getBoundingClientRect().height / parseFloat(style.lineHeight); })""")
            assert len(lines) == 5 and max(lines) < 1.5, (width, lines)
        finally:
            seen.page.close()

"""The HTML report printed from headless Chromium (print-to-PDF) and read on a phone: no table is
cut or scrolls sideways, with five themes (tables side by side) and with eight themes of long labels
and intervals (wide tables stack), and the report says its title and run date.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from test_report_browser import browser, report_data  # noqa: F401  (browser: the shared headless Chromium fixture)

from themes.prevalence import CORRECTED_METHOD
from themes.report import ReportData, render_html

pytestmark = pytest.mark.browser

# Three more themes with long labels: eight side by side do not fit a portrait page.
MORE = {"housing_navigation": "Housing navigation and eviction prevention for families in crisis",
        "transport": "Transportation to appointments in rural counties",
        "language_access": "Language access, interpretation and culturally specific outreach"}
PAGE = {"A4": (595.28, 841.89), "Letter": (612, 792)}  # points


def wide_report() -> ReportData:
    """The browser test's report with eight themes, each share with its 95% interval (the widest cells)."""
    data = report_data()
    extra = pd.DataFrame([{"theme": t, "label": label, "respondents": 30 + i, "percent": 12.5 + i, "answers": 30,
                           "segments": 40, "base_respondents": 240} for i, (t, label) in enumerate(MORE.items())])
    counts = pd.concat([data.counts, extra], ignore_index=True)
    counts = counts.assign(estimate=(counts["percent"] - 1.5).clip(lower=0), low=(counts["percent"] - 9.25).clip(lower=0),
                           high=counts["percent"] + 8.75, coded_answers=300, method=CORRECTED_METHOD)
    breakdowns = {}
    for column, long in data.breakdowns.items():
        groups = long.drop_duplicates(column)[[column, "base_respondents"]]
        added = pd.concat([groups.assign(theme=t, label=label, respondents=10, percent=21.3, answers=10)
                           for t, label in MORE.items()], ignore_index=True)
        long = pd.concat([long, added], ignore_index=True)
        breakdowns[column] = long.assign(estimate=(long["percent"] - 1.25).clip(lower=0),
                                         low=(long["percent"] - 10.5).clip(lower=0),
                                         high=long["percent"] + 11.75, method=CORRECTED_METHOD)
    ids = list(counts["theme"])
    co = data.co_occurrence.reindex(index=ids, columns=ids, fill_value=7)
    return ReportData(**{**vars(data), "counts": counts, "breakdowns": breakdowns, "co_occurrence": co,
                         "title": "Health care and community partnerships RFI, batch 3",
                         "run_date": date(2026, 11, 28), "source": "batch3.xlsx"})


REPORTS = {"five themes": report_data, "eight themes with intervals": wide_report}


@pytest.fixture(scope="module", params=list(REPORTS))
def report(request, tmp_path_factory) -> tuple[object, list[str]]:
    """The report's file and its theme labels."""
    data = REPORTS[request.param]()
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html(data), encoding="utf-8")
    return path, list(data.counts["label"])


def _cut_off(page) -> list[str]:
    """Tables (and their cells) that reach past the page's content box, or scroll inside their own box."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth, cut = [];
        for (const table of document.querySelectorAll('table')) {
            const name = table.querySelector('caption').textContent;
            const box = table.parentElement;
            if (box.scrollWidth > box.clientWidth + 1) cut.push(`${name}: scrolls (${box.scrollWidth} > ${box.clientWidth})`);
            for (const cell of table.querySelectorAll('th, td')) {
                const right = cell.getBoundingClientRect().right;
                if (right > width + 0.5) { cut.push(`${name}: "${cell.textContent.trim()}" ends at ${right} > ${width}`); break; }
            }
        }
        return cut;
    }""")


@pytest.mark.parametrize("paper", list(PAGE))
def test_print_to_pdf_cuts_no_column(browser, report, paper, tmp_path):
    """Chromium prints the page at the paper's width less the @page margins: nothing may reach past it,
    on the laid-out page or in the PDF Chromium writes."""
    import pdfplumber

    report_file, labels = report
    page = browser.new_page()
    try:
        page.goto(report_file.as_uri(), wait_until="load")
        page.emulate_media(media="print")
        margin = 1.5 / 2.54 * 96  # the report's @page margin, 1.5 cm, in CSS pixels
        page.set_viewport_size({"width": int(PAGE[paper][0] / 72 * 96 - 2 * margin), "height": 1000})
        assert _cut_off(page) == []
        pdf = tmp_path / "report.pdf"
        page.pdf(path=str(pdf), format=paper, prefer_css_page_size=True)
    finally:
        page.close()
    with pdfplumber.open(pdf) as document:
        assert len(document.pages) >= 2
        right_margin = 1.5 / 2.54 * 72 - 1  # points, a point of slack for glyph edges
        for number, sheet in enumerate(document.pages, start=1):
            assert (sheet.width, sheet.height) == pytest.approx(PAGE[paper], abs=1)
            beyond = [c["text"] for c in sheet.chars if c["x1"] > sheet.width - right_margin]
            assert not beyond, f"page {number}: text past the right margin: {''.join(beyond)[:80]!r}"
        text = " ".join(" ".join((sheet.extract_text() or "").split()) for sheet in document.pages)
    # Every theme's label is printed whole (wrapped across lines, never clipped).
    words = set(text.replace("-", " ").replace(",", " ").split())
    for label in labels:
        missing = [w for w in label.replace("-", " ").replace(",", " ").split() if w not in words]
        assert not missing, f"{label!r}: {missing} not printed"


def test_a_phone_shows_every_table_whole(browser, report):
    """At 390 px every table stacks or fits: none scrolls sideways inside its box or reaches past the screen."""
    report_file, _ = report
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(report_file.as_uri(), wait_until="load")
        assert _cut_off(page) == []
        stacked = page.evaluate("getComputedStyle(document.querySelector('table.breakdown tr')).display")
        assert stacked == "block"
    finally:
        page.close()


def test_wide_tables_stack_in_print_and_narrow_ones_do_not(browser, tmp_path):
    page = browser.new_page()
    try:
        displays = {}
        for name, build in REPORTS.items():
            path = tmp_path / f"{len(displays)}.html"
            path.write_text(render_html(build()), encoding="utf-8")
            page.goto(path.as_uri(), wait_until="load")
            page.emulate_media(media="print")
            displays[name] = page.evaluate("getComputedStyle(document.querySelector('table.breakdown tr')).display")
        assert displays == {"five themes": "table-row", "eight themes with intervals": "block"}
    finally:
        page.close()

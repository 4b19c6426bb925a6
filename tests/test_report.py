"""The findings report as Markdown and as self-contained, accessible HTML, from a small hand-made ReportData."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser

import pandas as pd
import pytest

from themes.report import ReportData, prevalence_sentence, render_html, render_markdown

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
QUOTE = 'We said <script>alert("x")</script> & "trust" matters.'


@pytest.fixture
def data() -> ReportData:
    labels = {"trust": "Trust and relationships", "funding": "Funding needs"}
    counts = pd.DataFrame({"theme": ["trust", "funding"], "label": list(labels.values()), "respondents": [1, 2],
                           "percent": [33.3, 66.7], "segments": [1, 3], "answers": [1, 2],
                           "base_respondents": [3, 3]})
    by_type = pd.DataFrame({"org_type": ["CBO", "CBO", "Gov", "Gov"], "theme": ["trust", "funding"] * 2,
                            "label": list(labels.values()) * 2, "respondents": [1, 1, 0, 1],
                            "percent": [50.0, 50.0, 0.0, 100.0], "answers": [1, 1, 0, 1],
                            "base_respondents": [2, 2, 1, 1]})
    co = pd.DataFrame([[1, 1], [1, 2]], index=["trust", "funding"], columns=["trust", "funding"])
    quotes = pd.DataFrame({"theme": ["funding", "funding"], "label": ["Funding needs"] * 2, "rank": [1, 2],
                           "quote": [QUOTE, "Grants end after two years..."],
                           "attribution": ["Nonprofit CBO respondent from partnership based in Ohio",
                                           "Government respondent"],
                           "respondent_id": ["R1", "R2"], "question": ["challenges"] * 2, "score": [0.9, 0.8],
                           "use": ["", ""]})
    accounting = {"input_answers": 6, "coded": 3, "uncoded": 1, "too_long": 0, "non_english": 0, "duplicate": 0,
                  "non_answer": 1, "empty": 1}
    return ReportData(title="Themes in tiny", counts=counts, quotes=quotes, breakdowns={"org_type": by_type},
                      co_occurrence=co, accounting=accounting,
                      method={"Codebook": "Tiny codebook, version 1", "Embedding model": "test:hashing"},
                      respondents=4, usable_respondents=3)


@pytest.mark.parametrize(("args", "expected"), [
    ((132, 65.7, 201, "Trust and relationships"),
     "132 of 201 respondents (66%) had an answer flagged for trust and relationships."),
    ((1, 100.0, 1, "Funding needs"), "1 of 1 respondent (100%) had an answer flagged for funding needs."),
    ((0, 0.0, 5, "Data collection and sharing"),
     "0 of 5 respondents (0%) had an answer flagged for data collection and sharing."),
    ((3, 30.0, 10, "Service model: Referral"),
     "3 of 10 respondents (30%) had an answer flagged for service model: Referral."),
    ((4, 40.0, 10, "HIPAA and privacy"), "4 of 10 respondents (40%) had an answer flagged for HIPAA and privacy."),
    ((4, 40.0, 10, "A champion inside"), "4 of 10 respondents (40%) had an answer flagged for a champion inside."),
])
def test_prevalence_sentence(args, expected):
    assert prevalence_sentence(*args) == expected


MARKDOWN = """\
# Themes in tiny

4 respondents gave 6 answers; 3 respondents gave at least one answer that could be coded. Percentages are of \
those respondents.

## Key findings

- 2 of 3 respondents (67%) had an answer flagged for funding needs.
- 1 of 3 respondents (33%) had an answer flagged for trust and relationships.

## Prevalence

These are raw counts: a respondent counts when any answer was flagged, so a small false-positive rate per answer adds up over their answers, and no coded sample of this survey measured it. Code a random sample of its answers (themes sample) and run again with --coded-sample for estimates with intervals.

| Theme | Respondents flagged | Percent flagged | Passages |
|---|---|---|---|
| Trust and relationships | 1 | 33.3 | 1 |
| Funding needs | 2 | 66.7 | 3 |

## By org type

Percent of respondents in each group with an answer flagged for each theme.

| org_type | respondents | Trust and relationships | Funding needs |
|---|---|---|---|
| CBO | 2 | 50 | 50 |
| Gov | 1 | 0 | 100 |

## Themes raised together

Respondents with answers flagged for both themes, raw counts (diagonal: respondents flagged for the theme).

| Theme | Trust and relationships | Funding needs |
|---|---|---|
| Trust and relationships | 1 | 1 |
| Funding needs | 1 | 2 |

## Quotes

### Trust and relationships

No passage carried this theme.

### Funding needs

> "We said &lt;script&gt;alert("x")&lt;/script&gt; &amp; "trust" matters."
> — Nonprofit CBO respondent from partnership based in Ohio

> "Grants end after two years..."
> — Government respondent

## Method

- **Codebook**: Tiny codebook, version 1
- **Embedding model**: test:hashing
- **Agreement with human coding**: not measured on this survey: no coded sample of its answers was given (themes sample, then --coded-sample)
- **Counts**: respondents, each counted once per theme and once per dimension; raw: no coded sample of this survey measured the classifier's error, so they tend to run high where false positives add up over a respondent's answers

Answers by status:

| Status | Answers |
|---|---|
| input_answers | 6 |
| coded | 3 |
| uncoded | 1 |
| too_long | 0 |
| non_english | 0 |
| duplicate | 0 |
| non_answer | 1 |
| empty | 1 |
"""


def test_render_markdown(data):
    assert render_markdown(data) == MARKDOWN


def test_markdown_with_agreement_and_notes(data):
    data.agreement = {"summary": "kappa 0.68 on 400 passages"}
    data.notes = ["Note: a test note."]

    text = render_markdown(data)

    assert "- **Agreement with human coding**: kappa 0.68 on 400 passages\n" in text
    assert text.endswith("| empty | 1 |\n\nNote: a test note.\n")


def test_markdown_table_cells_escape_pipes(data):
    data.counts.loc[0, "label"] = "Trust | relationships"

    assert "| Trust \\| relationships | 1 | 33.3 | 1 |" in render_markdown(data)


class Collector(HTMLParser):
    """Every start tag with its attributes, and the text inside each element of interest."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: dict[str, list[str]] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open.append(tag)

    def handle_endtag(self, tag):
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data):
        if self._open:
            self.text.setdefault(self._open[-1], []).append(data)


@pytest.fixture
def page(data) -> str:
    return render_html(data)


@pytest.fixture
def parsed(page) -> Collector:
    collector = Collector()
    collector.feed(page)
    return collector


def test_html_is_self_contained(page, parsed):
    assert not [attrs for _, attrs in parsed.tags if "src" in attrs or "href" in attrs]
    assert not [tag for tag, _ in parsed.tags if tag in ("script", "link", "img", "iframe", "object")]
    # The only URL is the SVG namespace, an identifier that is never fetched.
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) <= {SVG_NAMESPACE}
    assert "url(" not in page and "@import" not in page


def test_html_headings(parsed):
    assert [tag for tag, _ in parsed.tags if tag == "h1"] == ["h1"]
    assert parsed.text["h1"] == ["Themes in tiny"]
    assert ("html", {"lang": "en"}) in parsed.tags
    assert "Key findings" in parsed.text["h2"] and "Quotes" in parsed.text["h2"]
    assert parsed.text["h3"] == ["Trust and relationships", "Funding needs"]


def test_html_key_findings(parsed):
    assert parsed.text["li"] == ["2 of 3 respondents (67%) had an answer flagged for funding needs.",
                                 "1 of 3 respondents (33%) had an answer flagged for trust and relationships."]


def test_html_tables_have_headers_with_scope(page, parsed):
    headers = [attrs for tag, attrs in parsed.tags if tag == "th"]

    assert page.count("<table") >= 4  # prevalence, breakdown, co-occurrence, accounting
    assert headers and all(attrs.get("scope") in ("col", "row") for attrs in headers)
    assert sum(attrs["scope"] == "row" for attrs in headers) >= 2 + 2 + 2 + 8
    assert [tag for tag, _ in parsed.tags].count("caption") == page.count("<table")


def test_html_breakdown_values(page):
    rows = re.findall(r"<tr><th scope=\"row\">(CBO|Gov)</th>(.*?)</tr>", page)

    assert [(group, re.findall(r">([^<]+)</td>", cells)) for group, cells in rows] == [
        ("CBO", ["2", "50.0", "50.0"]), ("Gov", ["1", "0.0", "100.0"])]


def test_html_chart_is_accessible_svg(page):
    svgs = re.findall(r"<svg\b.*?</svg>", page, flags=re.S)
    assert len(svgs) == 1

    svg = ET.fromstring(svgs[0])
    ns = {"s": SVG_NAMESPACE}
    title, desc = svg.find("s:title", ns), svg.find("s:desc", ns)
    assert svg.get("role") == "img"
    assert title is not None and title.text == "Percent of respondents with an answer flagged for each theme"
    assert desc is not None and "Funding needs: 66.7%" in desc.text and "Trust and relationships: 33.3%" in desc.text
    assert svg.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
    assert len(svg.findall("s:rect", ns)) == 2  # one bar per theme


def test_html_chart_is_the_same_for_the_same_data(data):
    assert render_html(data) == render_html(data)


def test_html_quotes_are_escaped(page, parsed):
    assert "<script" not in page
    assert "&lt;script&gt;alert(" in page
    quotes = [text for text in parsed.text["p"] if "alert" in text or "Grants" in text]
    assert quotes == [f"\u201c{QUOTE}\u201d", "\u201cGrants end after two years...\u201d"]
    assert "\u2014 Nonprofit CBO respondent from partnership based in Ohio" in parsed.text["footer"]
    assert "No passage carried this theme." in parsed.text["p"]


def test_html_escapes_every_text_it_is_given(data):
    data.title = "Themes <b>bold</b>"
    data.counts.loc[0, "label"] = "Trust <i>and</i> relationships"

    page = render_html(data)

    assert "<b>" not in page and "<i>" not in page
    assert "<h1>Themes &lt;b&gt;bold&lt;/b&gt;</h1>" in page


def _estimated(data: ReportData) -> ReportData:
    """The fixture's counts as a run with a coded sample gives them: estimates, intervals, a method."""
    from dataclasses import replace

    counts = data.counts.assign(estimate=[40.0, 55.5], low=[20.0, 35.0], high=[60.5, 75.0],
                                method="corrected for measured error (latent class model, bootstrap)")
    framework = pd.DataFrame({"dimension": "service", "dimension_label": "Service model",
                              "type": ["referral", "joint", "not_described"], "label": ["Referral", "Joint",
                                                                                        "Not described"],
                              "respondents": [1, 1, 1], "percent": [33.3, 33.3, 33.3], "base_respondents": 3,
                              "estimate": [20.0, 30.0, 50.0], "low": [5.0, 10.0, 30.0], "high": [40.0, 50.0, 70.0],
                              "method": counts["method"].iloc[0], "suppressed": False})
    return replace(data, counts=counts, framework=framework, agreement={"summary": "on 300 answers of this survey"})


def test_the_report_leads_with_estimates_and_intervals_when_a_coded_sample_measured_the_error(data):
    markdown = render_markdown(_estimated(data))
    assert "- About 56% (35-75%) of respondents raised funding needs; 67% had at least one answer flagged." \
        in markdown
    assert "| Funding needs | 55.5 (35.0-75.0) | 2 | 66.7 | 3 |" in markdown
    assert "These are raw counts" not in markdown
    assert "## Partnership models" in markdown and "| Service model | Joint | 30.0 (10.0-50.0) |" in markdown
    html = render_html(_estimated(data))
    assert "95% interval" in html and '<line class="interval"' in html
    # the chart's description gives an interval's ends as the tables do: "35.0", not "35" (a program officer's note)
    assert "Funding needs: 55.5% (95% interval 35.0-75.0%)" in html
    # which figure to cite, in words, under the findings of a corrected run only (review 156)
    assert "The first figure of each finding is the one to cite" in markdown
    assert "The first figure of each finding is the one to cite" in html
    assert "the one to cite" not in render_markdown(data) and "the one to cite" not in render_html(data)


def test_an_estimate_resting_on_fewer_coded_answers_than_a_kappa_needs_says_so(data):
    """Review 163: the method section read "not measured (only 3 coded answers carry it)", the finding "About 4%
    (0-8%)" with no word; and the interval's reading did not say it leaves coders' disagreement out."""
    estimated = _estimated(data)
    few = replace(estimated, agreement={**estimated.agreement, "few": {"funding": 3}})
    markdown = render_markdown(few)
    assert ("- About 56% (35-75%) of respondents raised funding needs; 67% had at least one answer flagged. It rests "
            "on only 3 coded answers that carry it, too few to measure how the tool codes it: a rough figure.") \
        in markdown
    assert "too few to measure" not in render_markdown(estimated)
    assert "not disagreement between coders" in markdown
    assert "check that the coders had this theme" not in markdown
    # ... where the tool flagged many more of the coded answers: the coders may not have had it (review 176)
    doubted = replace(few, agreement={**few.agreement, "few_flagged": {"funding": 30}})
    assert ("a rough figure. The tool flagged 30 of the coded answers with it: check that the coders had this theme "
            "in their codebook and applied it.") in render_markdown(doubted)


@pytest.mark.parametrize("low, high, shown", [(35.0, 75.0, "(35-75%)"), (95.4, 99.6, "(95-99.6%)"),
                                              (0.3, 4.0, "(0.3-4%)"), (0.0, 100.0, "(0-100%)")])
def test_a_findings_interval_never_rounds_to_0_or_100_that_it_does_not_reach(low, high, shown):
    from themes.report import estimate_sentence

    assert estimate_sentence(50.0, low, high, 50.0, "Trust") == (f"About 50% {shown} of respondents raised trust; 50% "
                                                                 "had at least one answer flagged.")


def test_quotes_of_a_theme_whose_flags_are_mostly_errors_say_to_read_each(data):
    """Review 149: 37 respondents flagged, about 3 by the estimate; a program officer took its quotes as
    evidence of it. Funding needs: 66.7% flagged, estimated 20% (5-30%)."""
    from dataclasses import replace

    estimated = _estimated(data)
    doubtful = replace(estimated, counts=estimated.counts.assign(estimate=[40.0, 20.0], low=[20.0, 5.0],
                                                                 high=[60.5, 30.0]))
    caution = ("Read each quote before you use it: 2 respondents were flagged, but the corrected estimate puts those "
               "who raised it at about 1 (20.0%, 5.0-30.0%), so many of these passages are likely not about it.")
    markdown = render_markdown(doubtful)
    assert f"### Funding needs\n\n*{caution}*\n\n> " in markdown
    assert f'<h3 id="q-funding">Funding needs</h3>\n    <p class="warning">{caution}</p>' in render_html(doubtful)
    # An estimate within reach of the flags (55.5%, 35-75%, of 66.7%) and a theme without quotes get none
    assert "Read each quote" not in render_markdown(estimated) + render_html(estimated)
    assert "Read each quote" not in render_markdown(replace(doubtful, quotes=doubtful.quotes.iloc[:0]))
    # Review 156: a dimension or theme that agrees poorly with the coded sample's coders says so above its quotes
    poorly = replace(estimated, agreement={"summary": "on 300 answers", "poor": {"funding": 0.3}})
    assert ("*Read each quote before you use it: the tool's coding of this theme agrees poorly with the coded "
            "sample's coders (Cohen's kappa 0.30)") in render_markdown(poorly)
    assert "coding of this theme agrees poorly" in render_html(poorly)


def test_the_method_says_what_stays_raw_because_the_coded_sample_does_not_code_it(data):
    from dataclasses import replace

    from themes.counts import NOT_IN_SAMPLE_METHOD

    estimated = _estimated(data)
    raw = estimated.framework.assign(estimate=estimated.framework["percent"], low=float("nan"),
                                     high=float("nan"), method=NOT_IN_SAMPLE_METHOD)
    markdown = render_markdown(replace(estimated, framework=raw))
    assert ("the raw share of respondents with at least one flagged answer is beside each estimate; raw, not "
            "corrected, where the coded sample does not code them: Service model") in " ".join(markdown.split())
    assert "does not code them" not in render_markdown(estimated)


def test_a_raw_report_says_so_and_draws_no_interval(data):
    html = render_html(data)
    assert "These are raw counts" in html and '<line class="interval"' not in html


def test_a_theme_the_coded_sample_never_carries_is_reported_flagged_but_not_estimated(data):
    from dataclasses import replace

    from themes.prevalence import UNMEASURED_METHOD

    estimated = _estimated(data)
    counts = estimated.counts.copy()
    counts.loc[0, ["estimate", "low", "high", "method"]] = [float("nan"), float("nan"), float("nan"), UNMEASURED_METHOD]
    unmeasured = replace(estimated, counts=counts)
    markdown = render_markdown(unmeasured)
    label = counts.loc[0, "label"]
    assert f"had at least one answer flagged for {label[:1].lower() + label[1:]}; not estimated (no coded answer " \
           "carries it)." in markdown
    assert "About 56% (35-75%) of respondents raised funding needs" in markdown
    html = render_html(unmeasured)
    assert not re.search(r"\bnan\b", html, re.IGNORECASE) and html.count('<line class="interval"') == 1
    # Its dashes say what they are, under the table, in each breakdown and where the chart draws no bar for it: a
    # program officer read them as groups hidden to protect respondents.
    note = f"— stands for no estimate: {label} (no coded answer carries it)."
    by_type = data.breakdowns["org_type"].assign(estimate=[float("nan"), 50.0] * 2, low=[float("nan"), 30.0] * 2,
                                                 high=[float("nan"), 70.0] * 2,
                                                 method=[UNMEASURED_METHOD, counts.loc[1, "method"]] * 2)
    both = replace(unmeasured, breakdowns={"org_type": by_type})
    markdown = render_markdown(both)
    assert markdown.count(note) == 2  # the prevalence table's and the breakdown's
    html = render_html(both)
    assert f"Not drawn: {label} (no coded answer carries it)." in html
    assert f"(— stands for no estimate: {label} (no coded answer carries it))" in html  # the table's caption
    assert html.count(note.rstrip(".")) == 2  # and the breakdown's
    assert note not in render_markdown(estimated)


def test_the_report_breaks_counts_down_by_question_at_the_answer_level(data):
    from dataclasses import replace

    labels = dict(zip(data.counts["theme"], data.counts["label"]))
    theme = next(iter(labels))
    by_question = pd.DataFrame({"theme": theme, "label": labels[theme], "question": ["challenges", "data", "goals"],
                                "base_answers": [40, 38, 4], "answers": [10, 3, 1], "percent": [25.0, 7.9, 25.0],
                                "estimate": [20.0, 5.5, float("nan")], "low": [12.0, 1.0, float("nan")],
                                "high": [30.5, 11.0, float("nan")],
                                "method": "corrected for measured error (latent class model, bootstrap)",
                                "suppressed": [False, False, True]})
    markdown = render_markdown(replace(data, by_question=by_question))
    section = markdown.split("## By question", 1)[1]
    assert "Percent of the answers to each question that raised each theme." in section
    assert "| challenges | 40 | 20.0 (12.0-30.5) |" in section and "| data | 38 | 5.5 (1.0-11.0) |" in section
    assert "goals" not in section.split("##", 1)[0]  # 4 answers: suppressed
    # ... and said so (7 of 9 questions shown, no word why)
    assert "1 question is not shown: too few answers for figures of their own" in section
    html = render_html(replace(data, by_question=by_question))
    assert "Percent of the answers to each question that raised each theme" in html and "<th scope=\"col\" " \
        "class=\"num\">Answers</th>" in html
    assert "## By question" not in render_markdown(data)


def test_the_report_has_its_title_and_run_date(data):
    from datetime import date

    data.title, data.run_date, data.source = "Health care and community partnerships RFI, batch 3", date(2026, 11, 8), \
        "batch3.xlsx"

    html, markdown = render_html(data), render_markdown(data)

    assert "<title>Health care and community partnerships RFI, batch 3</title>" in html
    assert "<h1>Health care and community partnerships RFI, batch 3</h1>" in html
    assert '<p class="dateline">Run on 8 November 2026 from batch3.xlsx.</p>' in html
    assert markdown.startswith("# Health care and community partnerships RFI, batch 3\n\nRun on 8 November 2026 "
                               "from batch3.xlsx.\n\n")


def test_a_theme_without_quotes_says_why(data):
    """Trust has no quote: none asked for, none fit to quote though passages carry it, or nothing coded."""
    from dataclasses import replace

    evidence = pd.DataFrame({"theme": ["trust"], "respondent_id": ["R1"], "question": ["challenges"],
                             "segment_id": [1], "passage": ["We trust them."], "score": [0.9]})
    under_trust = {}
    for name, changed in {"none asked": replace(data, quotes_per_theme=0, evidence=evidence),
                          "none fit": replace(data, quotes_per_theme=5, evidence=evidence),
                          "none coded": replace(data, quotes_per_theme=5)}.items():
        lines = render_markdown(changed).splitlines()
        under_trust[name] = lines[lines.index("### Trust and relationships") + 2]
    assert under_trust == {
        "none asked": "No quotes were asked for (--quotes-per-theme 0).",
        "none fit": "None of its 1 passage made a quote (a quote holds only sentences in the survey's languages); "
                    "the evidence lists them.",
        "none coded": "No passage carried this theme."}
    assert "No quotes were asked for (--quotes-per-theme 0)." in render_html(replace(data, quotes_per_theme=0))


def test_a_breakdown_says_how_many_groups_it_does_not_show(data):
    from dataclasses import replace

    by_type = data.breakdowns["org_type"].assign(suppressed=[False, False, True, True])
    lines = render_markdown(replace(data, breakdowns={"org_type": by_type})).splitlines()
    said = ("Percent of respondents in each group with an answer flagged for each theme. 1 group is not shown, to "
            "protect their respondents (groups under the minimum size, and the next smallest where those alone would "
            "be given away: one group alone, or a theme that all or none of them raised)")
    assert said + "." in lines
    assert f"<caption>{said}</caption>" in render_html(replace(data, breakdowns={"org_type": by_type}))  # ". 1 group"
    assert not any("Gov" in line for line in lines[lines.index("## By org type"):lines.index("## By org type") + 8])


def test_a_group_hidden_to_protect_smaller_ones_is_named(data):
    """Government (19 respondents) was hidden from the themes table by complementary suppression and shown in the
    framework's, and the note did not say which group it was, or why."""
    from dataclasses import replace

    from themes.counts import SUPPRESSED_METHOD
    from themes.prevalence import PROTECTING_METHOD

    by_type = data.breakdowns["org_type"]
    by_type = pd.concat([by_type, by_type[by_type["org_type"] == "Gov"].assign(org_type="Tribal")])
    by_type = by_type.assign(suppressed=[False, False, True, True, True, True],
                             method=["raw"] * 2 + [PROTECTING_METHOD] * 2 + [SUPPRESSED_METHOD] * 2)
    lines = render_markdown(replace(data, breakdowns={"org_type": by_type})).splitlines()
    assert ("Percent of respondents in each group with an answer flagged for each theme. 2 groups are not shown, to "
            "protect their respondents: 1 with fewer respondents than the minimum (--min-group), and Gov, large "
            "enough to show but hidden because, beside the groups shown and the total, it would give the smaller one "
            "away (one hidden group alone, or a theme that all or none of them raised).") in lines
    # a blank value is the group of those who gave none; a group's name is inert Markdown, as in the table
    named = by_type.assign(org_type=["CBO", "CBO", "", "", "<b>Tribal</b>", "<b>Tribal</b>"],
                           method=["raw"] * 2 + [PROTECTING_METHOD] * 4)
    lines = render_markdown(replace(data, breakdowns={"org_type": named})).splitlines()
    said = next(line for line in lines if "not shown, to protect" in line)
    assert "respondents: the respondents with no org_type and &lt;b&gt;Tribal&lt;/b&gt;, large enough" in said


def test_the_framework_matrix_says_whether_its_shares_are_corrected_or_raw():
    """With a coded sample of the themes only, the matrix showed raw shares (16% where the corrected estimate is
    1.6%) beside corrected theme estimates, and said nothing."""
    from types import SimpleNamespace

    from themes.counts import NOT_IN_SAMPLE_METHOD
    from themes.prevalence import CORRECTED_METHOD, UNMEASURED_METHOD
    from themes.report import framework_matrix, matrix_caption

    def frame(methods: dict[str, str]) -> pd.DataFrame:
        rows = []
        for dimension, method in methods.items():
            for kind, estimate in (("a", 20.0 if method == CORRECTED_METHOD else float("nan")),
                                   ("not_described", 80.0)):
                rows.append({"dimension": dimension, "dimension_label": dimension.title(), "type": kind,
                             "label": kind,
                             "respondents": 4, "percent": 40.0, "base_respondents": 10, "estimate": estimate,
                             "low": estimate - 5, "high": estimate + 5,
                             "method": UNMEASURED_METHOD if kind == "a" and method == "none" else method})
        return pd.DataFrame(rows)

    corrected_only = SimpleNamespace(framework=frame({"data": CORRECTED_METHOD}), framework_by=None)
    assert matrix_caption(corrected_only).endswith("estimates corrected for the classifier's measured errors, with "
                                                   "95% intervals.")
    raw = SimpleNamespace(framework=frame({"data": NOT_IN_SAMPLE_METHOD}), framework_by=None)
    assert "raw shares, each respondent under the most integrated type" in matrix_caption(raw)
    mixed = SimpleNamespace(framework=frame({"data": CORRECTED_METHOD, "governance": NOT_IN_SAMPLE_METHOD}),
                            framework_by=None)
    assert "except Governance: raw shares" in matrix_caption(mixed)
    unaddressed = SimpleNamespace(framework=frame({"data": CORRECTED_METHOD, "governance": "none"}), framework_by=None)
    unaddressed.framework.loc[unaddressed.framework["dimension"] == "governance", "method"] = UNMEASURED_METHOD
    assert "except Governance: raw shares, not estimated (no coded answer addresses them" in matrix_caption(unaddressed)
    assert framework_matrix(mixed).iloc[:, 2].tolist() == ["20.0 (15.0-25.0)", "80.0 (75.0-85.0)", "40.0", "40.0"]
    assert "do not add up to 100" not in matrix_caption(mixed)  # its raw shares do
    # A corrected dimension with one type not estimated: the others' estimates leave a gap that is not its share.
    gap = frame({"data": CORRECTED_METHOD})
    gap.loc[0, ["estimate", "low", "high", "method"]] = [float("nan"), float("nan"), float("nan"), UNMEASURED_METHOD]
    assert "its dimension's estimates do not add up to 100: what they leave is not an estimate of that type" in \
        matrix_caption(SimpleNamespace(framework=gap, framework_by=None))


def test_a_group_hidden_in_one_dimension_of_the_matrix_shows_dashes_there_and_its_base_elsewhere():
    """A group hidden for one dimension only (the next smallest, so that one hidden group is not given away)
    crashed the report after the coding: 'int() argument must be ... not NAType' from its missing base."""
    from types import SimpleNamespace

    from themes.report import framework_matrix

    def rows(group, dimension, shown):
        return [{"org_type": group, "dimension": dimension, "dimension_label": dimension.title(), "type": kind,
                 "label": kind, "respondents": 4 if shown else pd.NA, "percent": 40.0 if shown else float("nan"),
                 "base_respondents": 10 if shown else pd.NA, "suppressed": not shown}
                for kind in ("a", "not_described")]

    overall = pd.DataFrame(rows("all", "data", True) + rows("all", "governance", True)).drop(columns="org_type")
    by = pd.DataFrame(rows("CBO", "data", False) + rows("CBO", "governance", True)
                      + rows("Gov", "data", False) + rows("Gov", "governance", False))
    by["base_respondents"] = by["base_respondents"].astype("Int64")
    matrix = framework_matrix(SimpleNamespace(framework=overall, framework_by=("org_type", by)))
    assert list(matrix.columns) == ["Dimension", "Type", "All respondents (n=10)", "CBO (n=10)"]
    assert matrix["CBO (n=10)"].tolist() == ["—", "—", "40.0", "40.0"]


def test_a_breakdown_whose_every_group_is_hidden_is_a_sentence_not_a_table_of_headings():
    from themes.report import _all_hidden, _breakdown_table

    long = pd.DataFrame({"theme": ["trust"] * 2, "state": ["OH", "MI"], "base_respondents": [3, 4],
                         "percent": [float("nan")] * 2, "suppressed": [True, True]})
    assert _breakdown_table(long, "state", {"trust": "Trust"}).empty
    assert _all_hidden(long, "state").startswith("No group is shown (2 groups), to protect their respondents")


def test_raw_counts_from_too_small_a_coded_sample_say_so_not_that_there_is_none():
    from types import SimpleNamespace

    from themes.report import RAW_WARNING, raw_warning

    few = SimpleNamespace(counts=pd.DataFrame({"method": ["not estimated: 7 coded answers (at least 100 are needed)"]}))
    assert "The coded sample holds 7 coded answers, fewer than the 100 an estimate needs" in raw_warning(few)
    assert raw_warning(SimpleNamespace(counts=pd.DataFrame({"method": ["raw (no coded sample)"]}))) == RAW_WARNING


def test_a_survey_smaller_than_the_smallest_group_shown_is_said_to_describe_each_respondent(data):
    """One respondent: the report said '1 respondents gave 3 answers' and '1 of 1 respondent raised trust',
    figures a breakdown would have hidden for a group that small."""
    one = replace(data, respondents=1, usable_respondents=1, accounting={**data.accounting, "input_answers": 1},
                  min_group=10)
    said = ("1 respondent gave 1 answer; 1 respondent gave at least one answer that could be coded. Percentages are "
            "of that respondent. They are fewer than the smallest group a breakdown shows (10, --min-group), so these "
            "figures describe each of them closely: share this report as you would their answers.")
    assert said in render_markdown(one) and said in render_html(one)
    assert "fewer than the smallest group" not in render_markdown(replace(data, min_group=3))


def test_a_by_question_breakdown_with_every_question_hidden_says_so(data):
    by_question = pd.DataFrame({"question": ["q1", "q2"], "theme": ["trust", "trust"], "base_answers": [3, 4],
                                "answers": [pd.NA, pd.NA], "percent": [float("nan")] * 2, "suppressed": [True, True]})
    said = "No question is shown (2 questions), to protect their respondents"
    markdown = render_markdown(replace(data, by_question=by_question))
    assert said in markdown and "| question | answers |" not in markdown
    assert said in render_html(replace(data, by_question=by_question))


def test_a_count_links_to_its_passages_only_when_it_has_some(data):
    """A theme no passage carries showed '<a href="#evidence-space_travel">0</a>', a link to no section."""
    from dataclasses import replace

    evidence = pd.DataFrame({"theme": ["funding"] * 3, "respondent_id": ["R1", "R2", "R2"],
                             "question": ["challenges"] * 3, "passage": ["Grants end.", "No staff.", "No money."],
                             "score": [0.9, 0.8, 0.7]})
    counts = data.counts.assign(segments=[0, 3], respondents=[0, 2], percent=[0.0, 66.7])
    page = render_html(replace(data, counts=counts, evidence=evidence))
    assert '<a href="#evidence-funding">3</a>' in page and 'id="evidence-funding"' in page
    assert 'href="#evidence-trust"' not in page and 'id="evidence-trust"' not in page


def test_a_run_that_hardly_agrees_with_its_coded_sample_says_so_under_the_findings(data):
    from dataclasses import replace

    warning = "coded.csv: the run hardly agrees with its codes (kappa trust 0.03); those estimates rest on ..."
    changed = replace(data, agreement={"summary": "on 120 answers", "warning": warning})
    lines = render_markdown(changed).splitlines()
    assert lines[lines.index("## Key findings") + 5] == warning
    assert f'<p class="warning">{warning}</p>' in render_html(changed)
    assert "hardly agrees" not in render_markdown(replace(data, agreement={"summary": "on 120 answers"}))


def test_a_framework_only_run_says_where_it_hardly_agrees_under_its_lede(data):
    """A run of the framework alone has no key findings, and the warning went missing from both reports."""
    from dataclasses import replace

    warning = "coded.csv: the run hardly agrees with its codes (kappa governance 0.03)"
    framework_only = replace(data, counts=data.counts.iloc[0:0], agreement={"summary": "s", "warning": warning})
    assert warning in render_markdown(framework_only).splitlines()
    assert f'<p class="warning">{warning}</p>' in render_html(framework_only)


def test_a_raw_runs_table_and_chart_say_flagged(page):
    assert "<caption>Respondents with an answer flagged for each theme</caption>" in page
    assert "raising each theme" not in page


def test_the_table_of_themes_by_type_says_its_rows_are_flags_not_the_types_estimates(data):
    """A program officer read "Respondents of the type (row)" as the respondents the type counts: 37 under a type
    whose estimate was about 3."""
    from dataclasses import replace

    estimated = _estimated(data)
    co = pd.DataFrame([[1, 1, 1], [1, 2, 1], [1, 1, 3]], index=["trust", "funding", "joint"],
                      columns=["trust", "funding", "joint"])
    markdown = " ".join(render_markdown(replace(estimated, co_occurrence=co)).split())
    assert "### Themes and partnership types together" in markdown
    assert ("Respondents flagged for the type (row) and with an answer flagged for the theme (column), raw counts of "
            "the classifier's flags: a type's estimate above may count far fewer respondents.") in markdown


def test_a_type_links_to_its_passages_from_the_matrix_as_a_theme_does_from_its_count(data):
    """report.md said "report.html links each count to them", and no type of the matrix linked to its evidence."""
    from dataclasses import replace

    estimated = _estimated(data)
    evidence = pd.DataFrame({"theme": ["service.joint"] * 2, "respondent_id": ["R1", "R2"],
                             "question": ["model"] * 2, "passage": ["We co-run it.", "One team."], "score": [0.9, 0.8]})
    page = render_html(replace(estimated, evidence=evidence))
    assert '<th scope="row"><a href="#evidence-service.joint">Joint</a></th>' in page
    assert 'id="evidence-service.joint"' in page
    assert '<th scope="row">Referral</th>' in page  # no passage, no link


def test_a_group_estimate_of_none_beside_flagged_respondents_says_what_it_means():
    """0.0 (0.0-2.6) for a group of 142 with 12 flagged, beside a quote of one of them, read as "no CBO has
    shared accountability" (a program officer's review)."""
    from types import SimpleNamespace

    from themes.prevalence import CORRECTED_METHOD
    from themes.report import EDGE_NOTE, _breakdown_caption, matrix_caption

    def long(estimate, respondents):
        return pd.DataFrame({"org_type": ["CBO", "Gov"], "theme": "trust", "label": "Trust", "category": "trust",
                             "respondents": [respondents, 5], "percent": [8.5, 25.0], "base_respondents": [142, 20],
                             "estimate": [estimate, 20.0], "low": [0.0, 5.0], "high": [2.6, 40.0],
                             "method": CORRECTED_METHOD, "suppressed": False})

    assert _breakdown_caption(long(0.0, 12), "org_type").endswith(EDGE_NOTE)
    assert EDGE_NOTE not in _breakdown_caption(long(0.0, 0), "org_type")  # nobody flagged: nothing to explain
    assert EDGE_NOTE not in _breakdown_caption(long(3.0, 12), "org_type")
    full = long(100.0, 100).assign(dimension="data", dimension_label="Data", type="not_described",
                                   label="Not described")
    overall = full.drop(columns="org_type").iloc[:1].assign(base_respondents=162)
    assert matrix_caption(SimpleNamespace(framework=overall, framework_by=("org_type", full))).endswith(EDGE_NOTE)
    assert EDGE_NOTE not in matrix_caption(SimpleNamespace(framework=overall, framework_by=None))
    # and at the answer level, by question (a second review: four such cells went unexplained there)
    from themes.report import _by_question_caption

    by_question = long(0.0, 12).rename(columns={"org_type": "question", "respondents": "answers",
                                                "base_respondents": "base_answers"})
    assert EDGE_NOTE.strip() in _by_question_caption(by_question, {"trust": "Trust"})
    assert EDGE_NOTE.strip() not in _by_question_caption(by_question.assign(answers=0), {"trust": "Trust"})


def test_a_theme_one_question_asks_about_says_how_many_raised_it_elsewhere(data):
    """An officer's review: "97% raised community engagement" on a survey with a question on community engagement
    said that they answered it as much as that they raised it (19% had it flagged elsewhere on the sample)."""
    by_question = pd.DataFrame({"question": ["engagement", "engagement", "challenges", "challenges"],
                                "theme": ["trust", "funding"] * 2, "base_answers": [3, 3, 3, 3],
                                "answers": [0, 3, 1, 1], "percent": [0.0, 100.0, 33.3, 33.3]})
    evidence = pd.DataFrame({"theme": ["funding", "funding", "funding", "funding", "trust"],
                             "respondent_id": ["R1", "R2", "R3", "R1", "R1"],
                             "question": ["engagement", "engagement", "engagement", "challenges", "challenges"],
                             "passage": ["a", "b", "c", "d", "e"], "score": [0.9] * 5})
    asked = replace(data, by_question=by_question, evidence=evidence)

    assert render_markdown(asked).splitlines()[6:8] == [
        "- 2 of 3 respondents (67%) had an answer flagged for funding needs. The question 'engagement' asks about it "
        "(100% of its answers flagged); outside that question, 33% of respondents had an answer flagged for it.",
        "- 1 of 3 respondents (33%) had an answer flagged for trust and relationships."]
    # A question Qualtrics names Q2 is named with what it asks
    assert "The question 'engagement: How do you engage the community?' asks about it" in render_markdown(
        replace(asked, asked={"engagement": "How do you engage the community?"}))
    # Under the share (80%), or one question only: nothing added
    under = by_question.assign(percent=[0.0, 79.0, 33.3, 33.3])
    assert "asks about it" not in render_markdown(replace(asked, by_question=under))
    alone = by_question[by_question["question"] == "engagement"]
    assert "asks about it" not in render_markdown(replace(asked, by_question=alone))
    # Review 142: most of its respondents flagged under other questions too, so the count is not the question's
    elsewhere = evidence.assign(question=["engagement", "challenges", "challenges", "challenges", "challenges"])
    assert "asks about it" not in render_markdown(replace(asked, evidence=elsewhere))
    # Two questions that ask about it
    both = by_question.assign(percent=[0.0, 100.0, 33.3, 90.0])
    assert ("The questions 'engagement' and 'challenges' ask about it (100% and 90% of their answers flagged); "
            "outside them, 0% of respondents") in render_markdown(replace(asked, by_question=both))


def test_the_framework_has_a_key_finding_per_dimension(data):
    """The key findings spoke of the themes alone (review 156): each dimension now says its types' shares, most first,
    and how many described none; a type with no estimate, and a dimension the run agrees poorly on, say so."""
    from dataclasses import replace

    from themes.prevalence import CORRECTED_METHOD, UNMEASURED_METHOD

    def row(dimension, label, kind, estimate, method=CORRECTED_METHOD):
        return {"dimension": dimension, "dimension_label": label, "type": kind, "label": kind.replace("_", " ").title(),
                "respondents": 10, "percent": 30.0, "base_respondents": 100, "estimate": estimate,
                "low": max(estimate - 10, 0), "high": min(estimate + 10, 100), "method": method}

    framework = pd.DataFrame([row("finance", "Financial relationship", "grants", 56.2),
                              row("finance", "Financial relationship", "contracts", 28.0),
                              row("finance", "Financial relationship", "not_described", 13.1),
                              row("governance", "Governance", "informal", float("nan"), UNMEASURED_METHOD),
                              row("governance", "Governance", "agreements", 5.4),
                              row("governance", "Governance", "not_described", 90.4)])
    shown = replace(data, framework=framework, agreement={"poor": {"governance": 0.22}, "warning": "Rough."})
    lines = render_markdown(shown).splitlines()
    findings = lines[lines.index("## Key findings") + 2:]
    assert findings[2:4] == [
        "- Financial relationship: about 56% (46-66%) of respondents described grants and 28% (18-38%) contracts; 13% "
        "(3-23%) described none.",
        "- Governance: about 5% (0-15%) of respondents described agreements; 90% (80-100%) described none; informal "
        "not estimated (rough: the tool agrees poorly with the coders on this dimension)."]
    assert "<li>Financial relationship: about 56% (46-66%) of respondents described grants" in render_html(shown)
    # Review 173: a dimension only 2 coded answers address had its estimate and interval with no caution
    few = replace(data, framework=framework, agreement={"poor": {}, "few_dimensions": {"finance": 2}})
    lines = render_markdown(few).splitlines()
    assert lines[lines.index("## Key findings") + 4] == (
        "- Financial relationship: about 56% (46-66%) of respondents described grants and 28% (18-38%) contracts; 13% "
        "(3-23%) described none (rough: only 2 coded answers address this dimension, too few to measure how the tool "
        "codes it).")
    alone = replace(shown, counts=data.counts.iloc[:0], breakdowns={}, quotes=data.quotes.iloc[:0])  # framework-only
    lines = render_markdown(alone).splitlines()
    assert lines[lines.index("## Key findings") + 2].startswith("- Financial relationship: about 56% (46-66%)")
    assert lines.index("Rough.") > lines.index("## Key findings")  # the warning under the findings, as with themes
    page = render_html(alone)
    assert '<h2 id="findings">Key findings</h2>' in page and page.count("Rough.") == 1
    assert "The first figure of each finding is the one to cite" in page  # its estimates: which to cite
    assert "The first figure of each finding is the one to cite" in render_markdown(alone)
    raw = framework.assign(estimate=float("nan"), method="raw (no coded sample)")
    assert ("- Financial relationship: 30% of respondents came under grants and 30% contracts; 30% had none "
            "flagged.") in render_markdown(replace(data, framework=raw)).splitlines()
    unmeasured = framework.assign(estimate=float("nan"), method=UNMEASURED_METHOD)
    assert f"- Governance: not estimated ({UNMEASURED_METHOD.removeprefix('not estimated: ')})." in \
        render_markdown(replace(shown, framework=unmeasured)).splitlines()
    three = framework.assign(estimate=[56.2, float("nan"), float("nan"), float("nan"), 5.4, float("nan")],
                             method=[CORRECTED_METHOD, UNMEASURED_METHOD, UNMEASURED_METHOD, UNMEASURED_METHOD,
                                     CORRECTED_METHOD, UNMEASURED_METHOD])
    assert "; informal and none not estimated (rough" in render_markdown(replace(shown, framework=three))
    assert ("- Financial relationship: about 56% (46-66%) of respondents described grants; contracts and none not "
            "estimated.") in render_markdown(replace(shown, framework=three)).splitlines()
    loans = pd.concat([three, pd.DataFrame([row("finance", "Financial relationship", "loans", float("nan"),
                                                UNMEASURED_METHOD)])]).sort_values("dimension", kind="stable")
    assert "grants; contracts, loans and none not estimated." in render_markdown(replace(shown, framework=loans))

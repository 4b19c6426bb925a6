"""Officer-facing files are inert: no tag, link, image or formula from any text, whatever its origin;
and --force never replaces a folder themes did not write."""

from __future__ import annotations

import json
import re
import zipfile
from html.parser import HTMLParser

import openpyxl
import pandas as pd
import pytest
from markdown_it import MarkdownIt

from themes.errors import OutputError
from themes.export import check_output_folder, staged_folder, write_quotes_workbook
from themes.report import ReportData, render_html, render_markdown
from themes.safe import escape, file_slugs, is_themes_output

# What a hostile or careless respondent, survey designer or file name can carry.
HOSTILE = [
    '<script>alert("answer")</script>',
    "&lt;script&gt;alert('decoded')&lt;/script&gt;",
    '<svg onload="alert(1)"></svg>',
    '<iframe src="https://evil.example/x"></iframe>',
    "[click here](javascript:alert(document.cookie))",
    "![tracker](https://evil.example/pixel.png)",
    "<img src=https://evil.example/p.png onerror=alert(2)>",
    "<javascript:alert(3)>",
    "[ref]\n\n[ref]: javascript:alert(4)",
    "<a href='javascript:alert(5)'>x</a>",
]


def hostile_report(text: str) -> ReportData:
    """Every text of a report carries `text`: quote, attribution, labels, metadata values and column
    names, the title (from the input file name), the codebook name and a note."""
    labels = {"trust": f"Trust {text}", "funding": "Funding needs"}
    counts = pd.DataFrame({"theme": list(labels), "label": list(labels.values()), "respondents": [1, 2],
                           "percent": [33.3, 66.7], "segments": [1, 3], "answers": [1, 2],
                           "base_respondents": [3, 3]})
    column = f"org {text}"
    by_type = pd.DataFrame({column: [f"CBO {text}"] * 2 + ["Gov"] * 2, "theme": list(labels) * 2,
                            "label": list(labels.values()) * 2, "respondents": [1, 1, 0, 1],
                            "percent": [50.0, 50.0, 0.0, 100.0], "answers": [1, 1, 0, 1],
                            "base_respondents": [2, 2, 1, 1]})
    co = pd.DataFrame([[1, 1], [1, 2]], index=list(labels), columns=list(labels))
    quotes = pd.DataFrame({"theme": ["trust"], "label": [labels["trust"]], "rank": [1],
                           "quote": [f"We trust them {text} a lot."], "attribution": [f"{text} respondent"],
                           "respondent_id": ["R1"], "question": ["q"], "score": [0.9], "use": [""]})
    accounting = {"input_answers": 6, "coded": 3, "uncoded": 3}
    return ReportData(title=f"Themes in {text}", counts=counts, quotes=quotes, breakdowns={column: by_type},
                      co_occurrence=co, accounting=accounting, method={"Codebook": f"Book {text}"},
                      respondents=4, usable_respondents=3, notes=[f"Note {text}"])


class Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def live_content(page: str) -> list[str]:
    """Tags, event handlers and links that a browser would run or fetch."""
    parser = Tags()
    parser.feed(page)
    found = []
    for tag, attrs in parser.tags:
        if tag in ("script", "iframe", "img", "a", "object", "embed", "link"):
            found.append(tag)
        if tag == "svg" and attrs.get("class") != "chart":
            found.append("svg")
        found += [name for name in attrs if name.startswith("on")]
        # A data-* attribute (the report's data-label, a stacked table's column name) is text that CSS shows
        # through attr(): never run, followed or fetched, whatever it says.
        found += [f"{name}={value}" for name, value in attrs.items() if "javascript:" in str(value).lower()
                  and not name.startswith("data-")]
    return found


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_report_renders_nothing_live(text):
    markdown = render_markdown(hostile_report(text))
    # A CommonMark renderer with raw HTML allowed, as common Markdown viewers are; tables as in GFM.
    page = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)

    assert live_content(page) == []


@pytest.mark.parametrize("text", HOSTILE)
def test_html_report_renders_nothing_live(text):
    assert live_content(render_html(hostile_report(text))) == []


def test_markdown_shows_the_text_as_written():
    page = MarkdownIt("commonmark", {"html": True}).render(escape("a <b> &lt;i&gt; [x](y) *z* `c` | d_e", "markdown"))

    assert page == "<p>a &lt;b&gt; &amp;lt;i&amp;gt; [x](y) *z* `c` | d_e</p>\n"


@pytest.mark.parametrize(("text", "expected"), [
    ("plain words, 50% more.", "plain words, 50% more."),
    ("line one\nline two", "line one line two"),
    ("a|b", "a\\|b"),
    ("<b>", "&lt;b&gt;"),
])
def test_escape_markdown(text, expected):
    assert escape(text, "markdown") == expected


def test_escape_rejects_an_unknown_format():
    with pytest.raises(ValueError, match=r"^The 'fmt' must be one of html, markdown\. Got 'rtf' instead\.$"):
        escape("x", "rtf")


# Workbook cells ---------------------------------------------------------------------------------

LIVE_CELLS = ["{=1+1}", "{=HYPERLINK(\"http://evil.example\",\"x\")}", "http://evil.example/a",
              "https://evil.example", "mailto:someone@example.org", "external:c:\\windows\\calc.exe",
              "ftp://evil.example", "=HYPERLINK(\"file:///c:/windows/calc.exe\")", "+1+1", "@SUM(A1)"]


def test_workbook_never_holds_a_formula_or_a_link(tmp_path):
    n = len(LIVE_CELLS)
    summary = pd.DataFrame({"theme": ["trust"], "label": ["http://label.example"], "respondents": [1],
                            "percent": [10.0]})
    quotes = pd.DataFrame({"theme": ["trust"] * n, "label": ["{=1}"] * n, "rank": range(1, n + 1),
                           "quote": LIVE_CELLS, "attribution": LIVE_CELLS[::-1], "respondent_id": LIVE_CELLS,
                           "question": ["mailto:q@example.org"] * n, "score": [0.5] * n, "use": [""] * n})
    path = tmp_path / "quotes.xlsx"

    write_quotes_workbook(path, summary, quotes, {"trust": "=Trust"})

    with zipfile.ZipFile(path) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
        xml = "".join(archive.read(name).decode() for name in sheets)
        assert "<f>" not in xml and "<f " not in xml and "<hyperlink" not in xml
        assert not [name for name in archive.namelist() if name.endswith(".rels") and
                    "hyperlink" in archive.read(name).decode()]
    book = openpyxl.load_workbook(path)
    texts = [cell.value for row in book["trust"].iter_rows(min_row=2, max_col=4) for cell in row]
    assert all(isinstance(value, str) or isinstance(value, int) for value in texts)
    assert book["trust"]["B2"].value == "{=1+1}" and book["trust"]["B4"].value == "http://evil.example/a"


# Output folder ownership ------------------------------------------------------------------------

@pytest.mark.parametrize("content", ["{}", "not json at all", '{"themes_version": "0.1.0"}', "[1, 2]", ""])
def test_force_never_replaces_a_folder_with_a_foreign_manifest(tmp_path, content):
    out = tmp_path / "project"
    out.mkdir()
    (out / "manifest.json").write_text(content)
    (out / "thesis.docx").write_text("years of work")

    with pytest.raises(OutputError, match="holds files that are not a themes run"):
        with staged_folder(out, force=True):
            pytest.fail("must not be reached")

    assert (out / "thesis.docx").read_text() == "years of work"


def run_manifest() -> str:
    return json.dumps({"themes_version": "0.1.0", "created": "2026-01-01T00:00:00+00:00",
                       "input": {"path": "x.csv"}, "codebook": {"name": "c"}, "accounting": {"input_answers": 1}})


def test_force_replaces_a_real_previous_run(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "manifest.json").write_text(run_manifest())

    check_output_folder(out, force=True)
    assert is_themes_output(out)


def test_an_evaluation_folder_is_recognised(tmp_path):
    (tmp_path / "evaluation.json").write_text(json.dumps({"overall": {}, "per_theme": [], "gold_file": "g.csv",
                                                           "codebook_content_hash": "abc"}))

    assert is_themes_output(tmp_path)


def test_metadata_columns_whose_names_fold_alike_get_distinct_files():
    slugs = file_slugs(["a/b", "a b", "A_B", "state", "Org Type!"])

    assert slugs == {"a/b": "a_b", "a b": "a_b_2", "A_B": "a_b_3", "state": "state", "Org Type!": "org_type"}
    assert len(set(slugs.values())) == 5
    assert all(re.fullmatch(r"[a-z0-9_]+", slug) for slug in slugs.values())


def test_metadata_values_in_report_breakdowns_are_de_identified():
    data = hostile_report("x")
    column = next(iter(data.breakdowns))
    data.breakdowns[column][column] = ["Maria Gonzalez (self)"] * 2 + ["maria.g@example.org"] * 2

    for page in (render_markdown(data), render_html(data)):
        assert "Maria" not in page and "example.org" not in page
        assert re.search(r"\\?\[name\\?\] \(self\)", page) and re.search(r"\\?\[email\\?\]", page)

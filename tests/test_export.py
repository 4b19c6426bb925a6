"""Writing a run's files: formula neutralising, the staged output folder, and the quotes workbook."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from themes.errors import OutputError
from themes.export import (
    MANIFEST,
    check_output_folder,
    neutralise_formula,
    neutralise_frame,
    staged_folder,
    write_csv,
    write_quotes_workbook,
)


@pytest.mark.parametrize(("value", "expected"), [
    ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
    ('=HYPERLINK("http://x.example","click")', '\'=HYPERLINK("http://x.example","click")'),
    ("+1 555 201 3344", "'+1 555 201 3344"),
    ("-2", "'-2"),
    ("-5 dollars a visit", "'-5 dollars a visit"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tindented", "'\tindented"),
    ("\rreturn", "'\rreturn"),
    # Unchanged:
    ("short-term grants", "short-term grants"),
    ("co-located - jointly staffed", "co-located - jointly staffed"),
    ("N/A", "N/A"),
    ("a = b", "a = b"),
    (" =not at the start", " =not at the start"),
    ("", ""),
    ("'already quoted", "'already quoted"),
    (3, 3),
    (-3, -3),
    (2.5, 2.5),
    (None, None),
])
def test_neutralise_formula(value, expected):
    assert neutralise_formula(value) == expected


def test_neutralise_frame_leaves_numbers_and_nan_alone():
    frame = pd.DataFrame({"quote": ["=1+1", "fine", None], "n": [-1, 2, 3], "score": [0.5, math.nan, -0.25],
                          "=bad header": ["x", "y", "z"]})

    out = neutralise_frame(frame)

    assert out["quote"].tolist()[:2] == ["'=1+1", "fine"] and out["quote"].isna().tolist() == [False, False, True]
    assert out["n"].tolist() == [-1, 2, 3]
    assert out["score"].tolist()[::2] == [0.5, -0.25]
    assert list(out.columns) == ["quote", "n", "score", "'=bad header"]
    assert frame["quote"].tolist()[0] == "=1+1"  # the input is not changed


def test_write_csv_keeps_the_apostrophe_and_the_bom(tmp_path):
    frame = pd.DataFrame({"quote": ['=HYPERLINK("http://x")', "plain \u2014 caf\u00e9", "-5 dollars",
                                    "line one\nline two"],
                          "n": [1, -2, 3, 4]})
    path = tmp_path / "out.csv"

    write_csv(frame, path)

    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back["quote"].tolist() == ['\'=HYPERLINK("http://x")', "plain \u2014 caf\u00e9", "'-5 dollars",
                                      "line one\nline two"]
    assert back["n"].tolist() == [1, -2, 3, 4]


# The staged output folder ---------------------------------------------------------------------------

# What a previous run's manifest always holds (a file merely named manifest.json is not enough).
RUN_MANIFEST = json.dumps({"themes_version": "0.1.0", "created": "2026-01-01T00:00:00+00:00",
                           "input": {"path": "old.csv"}, "codebook": {"name": "c"}, "accounting": {}})

def test_staged_folder_appears_only_on_success(tmp_path):
    out = tmp_path / "run"

    with staged_folder(out, force=False) as folder:
        (folder / "a.csv").write_text("x")
        (folder / MANIFEST).write_text("{}")
        assert not out.exists()

    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", MANIFEST]


def test_staged_folder_leaves_nothing_on_failure(tmp_path):
    out = tmp_path / "run"

    with pytest.raises(RuntimeError, match="^boom$"):
        with staged_folder(out, force=False) as folder:
            (folder / "a.csv").write_text("x")
            raise RuntimeError("boom")

    assert list(tmp_path.iterdir()) == []


def test_failed_forced_run_keeps_the_previous_run(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / MANIFEST).write_text(RUN_MANIFEST)

    with pytest.raises(KeyboardInterrupt):
        with staged_folder(out, force=True) as folder:
            (folder / "new.csv").write_text("x")
            raise KeyboardInterrupt

    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert (out / MANIFEST).read_text() == RUN_MANIFEST and not (out / "new.csv").exists()


def test_forced_run_replaces_a_previous_run_and_keeps_what_a_run_does_not_write(tmp_path):
    """--force replaced the whole folder: the coders' workbook `themes sample` wrote into it, a .qdpx, discover's
    edited draft and a researcher's notes went with it, without a word."""
    from themes.export import RUN_FILES

    out = tmp_path / "run"
    out.mkdir()
    (out / MANIFEST).write_text(RUN_MANIFEST)
    (out / "theme_counts_by_region.csv").write_text("old")  # a breakdown this run no longer makes: stale
    (out / "report.md").write_text("old")
    (out / "coding_sample.xlsx").write_text("the coders' work")
    (out / "discover").mkdir()
    (out / "discover" / "codebook_draft.yaml").write_text("edited")

    kept: list[str] = []
    with staged_folder(out, force=True, owned=RUN_FILES, kept=kept) as folder:
        (folder / MANIFEST).write_text("{}")
        (folder / "report.md").write_text("new")

    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert sorted(p.name for p in out.iterdir()) == ["coding_sample.xlsx", "discover", MANIFEST, "report.md"]
    assert (out / "report.md").read_text() == "new" and (out / "coding_sample.xlsx").read_text() == "the coders' work"
    assert (out / "discover" / "codebook_draft.yaml").read_text() == "edited"
    assert kept == ["coding_sample.xlsx", "discover/"]


def test_refuses_a_previous_run_without_force(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / MANIFEST).write_text(RUN_MANIFEST)

    with pytest.raises(OutputError, match=f"^{re.escape(f'Output folder {out} already holds an earlier run')}'s "
                                          r"outputs \(of old\.csv, run 2026-01-01\)\. Pass --force to replace it, "
                                          r"or choose another --out\.$"):
        with staged_folder(out, force=False):
            pytest.fail("must not be reached")

    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.parametrize("force", [False, True])
def test_refuses_a_folder_that_is_not_a_run_even_with_force(tmp_path, force):
    out = tmp_path / "notes"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    message = (f"Output folder {out} holds files that are not a themes run; --force only replaces a previous "
               "run's folder. Choose another --out.")

    with pytest.raises(OutputError, match=f"^{re.escape(message)}$"):
        with staged_folder(out, force=force):
            pytest.fail("must not be reached")

    assert (out / "mine.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes"]


def test_an_empty_folder_is_fine(tmp_path):
    out = tmp_path / "run"
    out.mkdir()

    check_output_folder(out, force=False)


def test_refuses_a_file(tmp_path):
    out = tmp_path / "file.txt"
    out.write_text("x")

    with pytest.raises(OutputError, match=f"^{re.escape(f'--out {out} is a file; give a folder path.')}$"):
        check_output_folder(out, force=True)


# The quotes workbook --------------------------------------------------------------------------------

LABELS = {"trust": "Trust and relationships", "funding": "Funding needs", "service.joint": "Service model: Joint"}


@pytest.fixture
def workbook(tmp_path):
    summary = pd.DataFrame({"theme": ["trust", "funding", "service.joint"], "label": list(LABELS.values()),
                            "respondents": [2, 1, 0], "percent": [66.7, 33.3, 0.0], "base_n": [3, 3, 3]})
    quotes = pd.DataFrame({
        "theme": ["trust", "trust", "funding"], "label": ["Trust and relationships"] * 2 + ["Funding needs"],
        "rank": [1, 2, 1], "quote": ["We trust them after ten years of work together.", "=cmd|' /C calc'!A0",
                                     "Grants end after two years."],
        "attribution": ["Respondent from partnership based in Ohio"] * 3, "respondent_id": ["R1", "R2", "R3"],
        "question": ["effective_practices"] * 3, "score": [0.91, 0.8, 0.7], "use": [""] * 3})
    path = tmp_path / "quotes.xlsx"
    write_quotes_workbook(path, summary, quotes, LABELS)
    return openpyxl.load_workbook(path)


def values(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_a_quote_sheet_whose_flags_are_mostly_errors_says_so_beside_its_header(tmp_path):
    """Review 149: a type's sheet of 11 quotes, where the estimate said about 6 respondents raised it, was read as
    evidence of it; its caution stands beside the header row and in the printed page's header, and its tab is
    marked."""
    summary = pd.DataFrame({"theme": ["trust", "funding"], "label": list(LABELS.values())[:2],
                            "respondents": [20, 37], "percent": [66.7, 17.5], "base_n": [30, 212],
                            "estimate": [60.0, 1.6], "low": [50.0, 0.0], "high": [70.0, 6.8]})
    quotes = pd.DataFrame({"theme": ["trust", "funding"], "label": list(LABELS.values())[:2], "rank": [1, 1],
                           "quote": ["We trust them.", "Grants end."], "attribution": ["Respondent"] * 2,
                           "respondent_id": ["R1", "R2"], "question": ["q"] * 2, "score": [0.9, 0.8], "use": [""] * 2})
    path = tmp_path / "quotes.xlsx"
    write_quotes_workbook(path, summary, quotes, dict(list(LABELS.items())[:2]))

    book = openpyxl.load_workbook(path)
    funding, trust = book["funding"], book["trust"]
    assert funding["H1"].value == (
        "Read each quote before you use it: 37 respondents were flagged, but the corrected estimate puts those who "
        "raised it at about 3 (1.6%, 0.0-6.8%), so many of these passages are likely not about it.")
    assert funding.print_area == "'funding'!$A$1:$G$2"
    assert "(read each first: most flags may not be about it)" in funding.oddHeader.left.text  # and in print
    assert funding.sheet_properties.tabColor.rgb.endswith("B5832F")
    assert trust["H1"].value is None and trust.sheet_properties.tabColor is None


def test_quote_sheets_of_a_poorly_agreeing_dimension_or_an_unmeasured_type_say_to_read_each_first(tmp_path):
    """Review 156: informal governance's quotes (a formal agreement, two about trust) had no caution: its type has
    no estimate (no coded answer carries it) and governance agrees poorly with the coders (kappa 0.22)."""
    from themes.prevalence import UNMEASURED_METHOD

    method = "corrected for measured error (latent class model, bootstrap)"
    summary = pd.DataFrame({"theme": ["trust", "funding", "service.joint", "service.referral"],
                            "label": ["Trust", "Funding", "Service model: Joint", "Service model: Referral"],
                            "respondents": [20, 12, 17, 9], "percent": [66.7, 40.0, 8.0, 4.2],
                            "base_n": [30, 30, 212, 212], "estimate": [60.0, float("nan"), 5.4, float("nan")],
                            "low": [50.0, float("nan"), 1.3, float("nan")],
                            "high": [70.0, float("nan"), 10.8, float("nan")],
                            "method": [method, UNMEASURED_METHOD, method, UNMEASURED_METHOD]})
    labels = dict(zip(summary["theme"], summary["label"]))
    quotes = pd.DataFrame({"theme": list(labels), "label": list(labels.values()), "rank": [1] * 4,
                           "quote": ["We trust them.", "Grants end.", "A joint MOU.", "We refer."],
                           "attribution": ["Respondent"] * 4, "respondent_id": ["R1", "R2", "R3", "R4"],
                           "question": ["q"] * 4, "score": [0.9] * 4, "use": [""] * 4})
    path = tmp_path / "quotes.xlsx"
    write_quotes_workbook(path, summary, quotes, labels, poor={"service": 0.22})

    book = openpyxl.load_workbook(path)
    poorly = ("Read each quote before you use it: the tool's coding of this dimension agrees poorly with the coded "
              "sample's coders (Cohen's kappa 0.22), so some of these passages may not be about it.")
    assert book["service.joint"]["H1"].value == poorly
    assert "(read each first: the coding agrees poorly with the coders)" in book["service.joint"].oddHeader.left.text
    unmeasured = ("Read each quote before you use it: the coders gave it to no answer of the coded sample, so every "
                  "answer of that sample the tool flagged with it was, to them, a false alarm, and how often these "
                  "flags are right could not be estimated.")
    assert book["funding"]["H1"].value == unmeasured  # review 163: not "never measured": nothing flagged was confirmed
    # Review 168: a type no coder gave, in a dimension that agrees poorly, said only "agrees poorly (kappa 0.22)"
    assert book["service.referral"]["H1"].value == unmeasured
    assert "(read each first: the coders gave it to no coded answer)" in book["funding"].oddHeader.left.text
    assert book["trust"]["H1"].value is None
    # a theme that agrees poorly, by its own id
    write_quotes_workbook(path, summary, quotes, labels, poor={"trust": 0.31})
    assert "coding of this theme agrees poorly" in openpyxl.load_workbook(path)["trust"]["H1"].value


def test_workbook_has_a_summary_and_one_sheet_per_theme(workbook):
    assert workbook.sheetnames == ["Summary", "trust", "funding", "service.joint"]
    assert values(workbook["Summary"]) == [
        ["theme", "label", "respondents flagged", "percent flagged", "of respondents"],
        ["trust", "Trust and relationships", 2, 66.7, 3],
        ["funding", "Funding needs", 1, 33.3, 3],
        ["service.joint", "Service model: Joint", 0, 0, 3],
    ]
    header = ["rank", "quote", "attribution", "respondent_id", "question", "score", "use"]
    assert values(workbook["trust"]) == [
        header,
        [1, "We trust them after ten years of work together.", "Respondent from partnership based in Ohio", "R1",
         "effective_practices", 0.91, None],
        [2, "=cmd|' /C calc'!A0", "Respondent from partnership based in Ohio", "R2", "effective_practices", 0.8,
         None],
    ]
    # Text a spreadsheet could run stays text through Excel's quote prefix, not a stray apostrophe an officer
    # would copy with the quote ('=1+1 trust...'); edited, the cell is still text.
    assert workbook["trust"]["B3"].quotePrefix and workbook["trust"]["B3"].data_type == "s"
    assert not workbook["trust"]["B2"].quotePrefix
    assert values(workbook["service.joint"]) == [header]  # a theme without quotes still gets its sheet
    # a percentage shows its one decimal, as the report gives it ("0.0", not "0"; review 149), and still wraps
    assert [workbook["Summary"][f"D{row}"].number_format for row in (2, 3, 4)] == ["0.0"] * 3
    assert workbook["Summary"]["C2"].number_format == "General" and workbook["Summary"]["D2"].alignment.wrap_text
    # the header row is as tall as its wrapped titles ("respondents flagged" runs to two lines; review 156)
    assert workbook["Summary"].row_dimensions[1].height == pytest.approx(36, abs=0.5)
    assert workbook["trust"].row_dimensions[1].height == pytest.approx(19, abs=0.5)


@pytest.mark.parametrize("name", ["Summary", "trust", "service.joint"])
def test_every_sheet_has_a_frozen_header_and_a_filter(workbook, name):
    sheet = workbook[name]

    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == {"Summary": "A1:E4", "trust": "A1:G3", "service.joint": "A1:G2"}[name]
    assert all(cell.font.bold for cell in sheet[1])


def test_quote_column_is_wide_and_wrapped(workbook):
    sheet = workbook["trust"]

    assert sheet["B1"].value == "quote"
    assert sheet.column_dimensions["B"].width == pytest.approx(80, abs=1)
    assert sheet["B2"].alignment.wrap_text and sheet["B3"].alignment.wrap_text
    assert sheet["A1"].comment.text.startswith("Quotes for: Trust and relationships")


def test_a_framework_workbook_names_each_type_sheet_by_its_type_not_a_cut_dimension(tmp_path):
    labels = {"trust": "Trust", "financial_relationship.independent": "Independent",
              "financial_relationship.service_contracts": "Service contracts", "service.joint": "Joint",
              "data.joint": "Joint data"}
    summary = pd.DataFrame({"theme": list(labels), "label": list(labels.values()), "respondents": 0, "percent": 0.0})
    evidence = pd.DataFrame(columns=["theme", "respondent_id", "question", "passage", "score"])
    quotes = pd.DataFrame(columns=["theme", "label", "rank", "quote", "attribution", "respondent_id", "question",
                                   "score", "use"])
    path = tmp_path / "quotes.xlsx"

    write_quotes_workbook(path, summary, quotes, labels, evidence)

    # 'joint' is two types' id: those keep their full ids
    assert openpyxl.load_workbook(path).sheetnames == [
        "Summary", "trust", "independent", "service_contracts", "service.joint", "data.joint", "evidence trust",
        "evidence independent", "evidence service_contracts", "evidence service.joint", "evidence data.joint"]


def test_the_summary_sheet_says_its_raw_columns_are_flags(tmp_path):
    """A program officer read "percent" (36.3) as the figure to publish beside the estimate (28.4). Evidence scores
    stay as theme_evidence.csv gives them: rounded to three places, 0.9998 read "1.0", as if certain."""
    labels = {"trust": "Trust"}
    summary = pd.DataFrame({"theme": ["trust"], "label": ["Trust"], "respondents": 1, "percent": 50.0})
    evidence = pd.DataFrame({"theme": ["trust"], "respondent_id": ["R1"], "question": ["q"],
                             "passage": ["We trust them."], "score": [0.995199978351593]})
    quotes = pd.DataFrame(columns=["theme", "label", "rank", "quote", "attribution", "respondent_id", "question",
                                   "score", "use"])
    path = tmp_path / "quotes.xlsx"

    write_quotes_workbook(path, summary, quotes, labels, evidence)

    book = openpyxl.load_workbook(path)
    assert values(book["evidence trust"]) == [["respondent_id", "question", "passage", "score"],
                                              ["R1", "q", "We trust them.", 0.995]]  # not 0.995199978351593
    assert values(book["Summary"])[0] == ["theme", "label", "respondents flagged", "percent flagged"]


def test_sheet_names_are_valid_and_unique(tmp_path):
    labels = {"summary": "Summary theme", "a" * 40: "Long", "a" * 40 + "b": "Long too", "what?": "Question"}
    summary = pd.DataFrame({"theme": list(labels), "label": list(labels.values()), "respondents": 0, "percent": 0.0})
    quotes = pd.DataFrame(columns=["theme", "label", "rank", "quote", "attribution", "respondent_id", "question",
                                   "score", "use"])
    path = tmp_path / "quotes.xlsx"

    write_quotes_workbook(path, summary, quotes, labels)

    assert openpyxl.load_workbook(path).sheetnames == ["Summary", "summary~2", "a" * 31, "a" * 28 + "~2", "what"]


@pytest.mark.parametrize("name", ["Summary", "trust", "service.joint"])
def test_every_sheet_prints_landscape_one_page_wide_with_its_header_on_each_page(workbook, name):
    sheet = workbook[name]

    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # One page wide (1 is the file format's default, so it may be left out); 0: as many pages tall as needed.
    # one page wide; the summary one page tall too (it is read as a whole), the others as tall as they need
    height = sheet.page_setup.fitToHeight  # 1 is the default, which the file leaves out
    assert (sheet.page_setup.fitToWidth or 1, 1 if height is None else height) == (1, 1 if name == "Summary" else 0)
    assert sheet.print_title_rows == "$1:$1"


def test_rows_are_tall_enough_for_their_wrapped_quotes(tmp_path):
    from themes.export import LINE_POINTS, QUOTE_WIDTHS

    sentence = "Trust took ten years to build and one bad referral to lose, so we guard it. "
    quotes = pd.DataFrame({"theme": "trust", "label": "Trust", "rank": [1, 2, 3],
                           "quote": ["Short.", sentence * 4, sentence * 13],  # about 1, 4 and 13 lines at 80
                           "attribution": "Respondent", "respondent_id": ["R1", "R2", "R3"], "question": "q",
                           "score": 0.9, "use": ""})
    path = tmp_path / "quotes.xlsx"
    write_quotes_workbook(path, pd.DataFrame(columns=["theme", "label", "respondents", "percent", "base_n"]),
                          quotes, {"trust": "Trust"})
    sheet = openpyxl.load_workbook(path)["trust"]

    heights = [sheet.row_dimensions[row].height for row in (2, 3, 4)]
    characters = [len(q) for q in quotes["quote"]]
    # At least the lines the text needs at 1.25 characters per unit of width (more than prose ever fits:
    # tests/test_workbook_print.py checks against LibreOffice's own layout), at most about twice one per unit.
    fewest = [max(math.ceil(n / (1.25 * QUOTE_WIDTHS["quote"])), 1) * LINE_POINTS for n in characters]
    most = [2 * max(math.ceil(n / QUOTE_WIDTHS["quote"]), 1) * LINE_POINTS for n in characters]
    assert all(low <= height <= high for low, height, high in zip(fewest, heights, most)), (heights, fewest, most)
    assert heights[0] < heights[1] < heights[2]


def test_the_summary_gives_the_base_of_each_percentage():
    from types import SimpleNamespace

    from themes.export import summary_table

    counts = pd.DataFrame({"theme": ["trust"], "label": ["Trust"], "respondents": [12], "percent": [40.0],
                           "base_respondents": [30], "segments": [20]})
    framework = pd.DataFrame({"dimension": ["service", "service"], "dimension_label": ["Service model"] * 2,
                              "type": ["joint", "not_described"], "label": ["Joint", "Not described"],
                              "respondents": [6, 20], "percent": [20.0, 66.7], "base_respondents": [30, 30]})

    table = summary_table(SimpleNamespace(counts=counts, framework=framework))

    assert table.to_dict("records") == [
        {"theme": "trust", "label": "Trust", "respondents": 12, "percent": 40.0, "base_n": 30},
        {"theme": "service.joint", "label": "Service model: Joint", "respondents": 6, "percent": 20.0, "base_n": 30},
        # as the report's matrix and the command line show it: each dimension's shares add up to 100
        {"theme": "service.not_described", "label": "Service model: Not described", "respondents": 20,
         "percent": 66.7, "base_n": 30}]


def test_the_summary_sheet_carries_the_estimates_the_report_leads_with():
    """With a coded sample the report leads with the corrected estimate: the workbook's summary shows it, its
    interval and its method beside the raw share, so the two never disagree unexplained."""
    from types import SimpleNamespace

    from themes.export import summary_table

    estimate = {"estimate": [33.1], "low": [25.0], "high": [41.2], "method": ["corrected for measured error"]}
    counts = pd.DataFrame({"theme": ["trust"], "label": ["Trust"], "respondents": [12], "percent": [40.0],
                           "base_respondents": [30], "segments": [20], **estimate})
    framework = pd.DataFrame({"dimension": ["service"], "dimension_label": ["Service model"], "type": ["joint"],
                              "label": ["Joint"], "respondents": [6], "percent": [20.0], "base_respondents": [30],
                              "estimate": [14.0], "low": [8.0], "high": [22.0], "method": ["raw (no coded sample)"]})
    table = summary_table(SimpleNamespace(counts=counts, framework=framework))
    assert table.to_dict("records") == [
        {"theme": "trust", "label": "Trust", "respondents": 12, "percent": 40.0, "base_n": 30, "estimate": 33.1,
         "low": 25.0, "high": 41.2, "method": "corrected for measured error"},
        {"theme": "service.joint", "label": "Service model: Joint", "respondents": 6, "percent": 20.0, "base_n": 30,
         "estimate": 14.0, "low": 8.0, "high": 22.0, "method": "raw (no coded sample)"}]


def test_breakdown_files_name_groups_without_contact_details():
    from themes.export import _named_safely

    frame = pd.DataFrame({"contact": ["mlopez@example.org", "Maria Gonzalez (self)", "Ohio"], "respondents": [1, 1, 9]})
    assert _named_safely(frame, "contact")["contact"].tolist() == ["[email]", "[name] (self)", "Ohio"]


def test_breakdown_groups_named_by_people_are_de_identified_and_kept_apart():
    """A column of the people who filled the form in, named with --meta-column or --attribute-with: the run's
    redactor (names by spaCy and the name lists) names its groups, numbered where two read the same."""
    from themes.export import _named_safely
    from themes.redact import Redactor

    frame = pd.DataFrame({"completed_by": ["Ananya Iyer", "Wei Zhang", "Self", "District of Columbia"],
                          "respondents": [20, 20, 20, 3]})
    named = _named_safely(frame, "completed_by", Redactor())["completed_by"].tolist()
    assert named == ["[name] (1)", "[name] (2)", "Self", "District of Columbia"]


def test_evidence_rows_lead_to_their_raw_passage_in_segments_csv_when_the_id_is_a_pseudonym():
    from types import SimpleNamespace

    from themes.export import evidence_frame, segments_frame
    from themes.quotes import deidentify_evidence

    answers = pd.DataFrame({"respondent_id": ["ana@example.org", "R2"], "question": ["challenges", "goals"]})
    segments = pd.DataFrame({"answer_index": [0, 0, 1], "segment_id": [1, 2, 1], "start": [0, 10, 0],
                             "end": [9, 20, 5], "text": ["No trust.", "Short money.", "Trust"],
                             "themes": ["trust", "", "trust;funding"], "top_theme": ["trust", "none", "trust"],
                             "score_trust": [0.9, 0.1, 0.8], "score_funding": [0.1, 0.2, 0.7]})
    run = SimpleNamespace(answers=answers, segments=segments)

    shown = deidentify_evidence(evidence_frame(run))

    written = segments_frame(run)  # segments.csv, row 1 its header
    assert shown["respondent_id"].str.fullmatch(r"resp-[0-9a-f]{8}|R2").all()
    for row in shown.itertuples():
        raw = written.iloc[row.segments_row - 2]
        assert row.theme in raw["themes"].split(";") and (raw["segment_id"], raw["question"]) == (row.segment_id,
                                                                                                  row.question)
    assert sorted(shown["segments_row"]) == [2, 4, 4]


def test_a_types_evidence_holds_the_passages_of_the_respondents_it_counts(tiny_codebook):
    """A respondent counts under the most integrated type of their answers: referral's evidence listed the
    referral passage of a respondent counted as joint (71 passages of 60 respondents for a count of 44)."""
    from types import SimpleNamespace

    from themes.aggregate import framework_counts
    from themes.export import evidence_frame

    answers = pd.DataFrame({"respondent_id": ["R1", "R1", "R2"], "question": ["services", "goals", "services"],
                            "status": ["coded"] * 3, "themes": ["service.referral", "service.joint",
                                                                  "service.referral;trust"]})
    segments = pd.DataFrame({"answer_index": [0, 1, 2], "segment_id": [1, 1, 1], "start": [0, 0, 0],
                             "end": [5, 5, 5], "text": ["We refer.", "We share staff.", "We refer; trust."],
                             "themes": ["service.referral", "service.joint", "service.referral;trust"],
                             "top_theme": ["none", "none", "trust"], "score_trust": [0.1, 0.1, 0.9],
                             "score_service.referral": [0.8, 0.1, 0.9], "score_service.joint": [0.1, 0.9, 0.1]})
    run = SimpleNamespace(answers=answers, segments=segments, codebook=tiny_codebook)
    evidence = evidence_frame(run)
    counts = framework_counts(answers, tiny_codebook).set_index("type")["respondents"]
    for code in ("service.referral", "service.joint"):
        assert evidence.loc[evidence["theme"] == code, "respondent_id"].nunique() == counts[code.split(".")[1]]
    assert evidence.loc[evidence["theme"] == "service.referral", "respondent_id"].tolist() == ["R2"]
    assert evidence.loc[evidence["theme"] == "trust", "respondent_id"].tolist() == ["R2"]


@pytest.mark.parametrize("force", [False, True])
def test_a_run_that_finishes_after_another_wrote_the_same_new_folder_refuses(tmp_path, force):
    """Two runs to one new --out both passed the check at their start; the later one replaced the other's
    folder with exit 0, without --force. Given --force, it is not told to use --force (a review)."""
    out = tmp_path / "run"
    again = ("Run it again to replace that run's files, or with another --out." if force else
             "Run it again with another --out (or --force to replace that run's).")
    with pytest.raises(OutputError, match=r"was written by another run while this one ran, so this run's files were "
                                          rf"not written there\. {re.escape(again)}$"):
        with staged_folder(out, force=force) as folder:
            (folder / MANIFEST).write_text("{}")
            out.mkdir()  # the other run's swap, meanwhile
            (out / MANIFEST).write_text(RUN_MANIFEST)
    assert (out / MANIFEST).read_text() == RUN_MANIFEST and sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_run_killed_between_the_two_renames_of_the_swap_gets_its_previous_folder_back(tmp_path):
    """Killed after the previous run's folder was renamed aside and before the new one took its place, the next
    run deleted both: the previous run's files and the user's notes in its folder were lost."""
    from themes.export import RUN_FILES, _remove_leftovers

    out = tmp_path / "run"
    aside = tmp_path / ".run.old-1a2b3c4d"
    aside.mkdir()
    (aside / MANIFEST).write_text(RUN_MANIFEST)
    (aside / "notes.txt").write_text("mine")
    _remove_leftovers(out, RUN_FILES)
    assert (out / "notes.txt").read_text() == "mine" and not aside.exists()
    # Killed while the user's files were moved over: the rest are moved now, the old run's own files dropped.
    aside.mkdir()
    (aside / MANIFEST).write_text("old")
    (aside / "coding_sample.xlsx").write_text("coded")
    _remove_leftovers(out, RUN_FILES)
    assert (out / "coding_sample.xlsx").read_text() == "coded" and (out / MANIFEST).read_text() == RUN_MANIFEST


def _run_folder(folder: Path, created: str, files: dict[str, str]) -> dict[str, str]:
    """A run's folder as write_run leaves it: its files, and a manifest listing their digests."""
    from themes.export import file_digest

    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    digests = {name: file_digest(folder / name) for name in files}
    (folder / MANIFEST).write_text(json.dumps({**json.loads(RUN_MANIFEST), "created": created, "files": digests}))
    return digests


def test_a_crash_while_the_users_files_were_moved_over_keeps_the_marked_workbook(tmp_path):
    """Review 166: a run killed after its swap, while the previous folder's other files were moved over, left that
    folder aside; the next run moved the rest over by the new run's names, so a program officer's marked
    quotes.xlsx (a name the new run writes too) went with the aside folder, without a word."""
    from themes.export import _remove_leftovers, earlier_run_files

    out = tmp_path / "run"
    _run_folder(out, "2026-12-05T01:00:00+00:00", {"quotes.xlsx": "new run's", "report.md": "new"})
    aside = tmp_path / ".run.old-99999999-1a2b3c4d"  # its process is gone
    _run_folder(aside, "2026-12-03T01:00:00+00:00", {"quotes.xlsx": "as written", "report.md": "old"})
    (aside / "quotes.xlsx").write_text("marked by the officer")
    (aside / "notes.txt").write_text("mine")
    kept: list[str] = []
    _remove_leftovers(out, earlier_run_files(out)[0], kept)
    assert not aside.exists() and (out / "quotes.xlsx").read_text() == "new run's"
    assert (out / "quotes (edited, from the run of 2026-12-03).xlsx").read_text() == "marked by the officer"
    assert (out / "report.md").read_text() == "new" and (out / "notes.txt").read_text() == "mine"
    assert sorted(kept) == ["notes.txt", "quotes (edited, from the run of 2026-12-03).xlsx (your edits to the "
                                         "earlier run's quotes.xlsx)"]


def test_edits_of_the_same_day_on_both_sides_of_a_crash_are_both_kept_and_listed_once(tmp_path):
    """Review 167: the previous run and the killed one of the same day, quotes marked in both: both edited copies took
    one name, and the previous one's fell through and was deleted with its folder; `kept` listed files twice."""
    from themes.export import earlier_run_files

    out = tmp_path / "run"
    _run_folder(out, "2026-12-05T09:00:00+00:00", {"quotes.xlsx": "killed run's"})
    (out / "quotes.xlsx").write_text("edited by officer A")
    aside = tmp_path / ".run.old-99999999-1a2b3c4d"
    _run_folder(aside, "2026-12-05T08:00:00+00:00", {"quotes.xlsx": "first run's"})
    (aside / "quotes.xlsx").write_text("edited by officer B")
    (aside / "notes.txt").write_text("mine")
    owned, edited = earlier_run_files(out)
    kept: list[str] = []
    with staged_folder(out, force=True, owned=owned, kept=kept, aside=edited) as folder:
        (folder / MANIFEST).write_text(RUN_MANIFEST)
    texts = sorted(p.read_text() for p in out.glob("quotes (edited*"))
    assert texts == ["edited by officer A", "edited by officer B"]
    assert sorted(p.name for p in out.glob("quotes (edited*")) == [
        "quotes (edited, from the run of 2026-12-05).xlsx", "quotes (edited, from the run of 2026-12-05, 2).xlsx"]
    assert len(kept) == len(set(kept)) == 3 and "notes.txt" in kept


def test_force_after_a_crash_between_the_two_renames_keeps_the_marked_workbook(tmp_path):
    """Killed between the two renames, the previous folder sat aside with no `out`: --force read no manifest there,
    so the folder put back had its marked quotes.xlsx replaced by the new run's."""
    from themes.export import earlier_run_files

    out = tmp_path / "run"
    aside = tmp_path / ".run.old-99999999-1a2b3c4d"
    _run_folder(aside, "2026-12-03T01:00:00+00:00", {"quotes.xlsx": "as written"})
    (aside / "quotes.xlsx").write_text("marked by the officer")
    owned, edited = earlier_run_files(out)
    assert (out / MANIFEST).is_file() and not aside.exists()
    assert edited == {"quotes.xlsx": "quotes (edited, from the run of 2026-12-03).xlsx"}
    kept: list[str] = []
    with staged_folder(out, force=True, owned=owned, kept=kept, aside=edited) as folder:
        (folder / MANIFEST).write_text(RUN_MANIFEST)
        (folder / "quotes.xlsx").write_text("new run's")
    assert (out / "quotes (edited, from the run of 2026-12-03).xlsx").read_text() == "marked by the officer"
    assert (out / "quotes.xlsx").read_text() == "new run's"


def test_a_manifest_edited_by_hand_neither_deletes_a_folder_nor_makes_a_path(tmp_path):
    """Review 166: a manifest whose `files` named the user's folder "notes" had --force delete it; a `created` of
    "2026/12/04" made the name an edited workbook is kept under a path, and the run stopped on FileNotFoundError."""
    from themes.export import earlier_run_files

    out = tmp_path / "run"
    digests = _run_folder(out, "2026/12/04 10:00", {"quotes.xlsx": "as written", "my_notes.docx": "hers"})
    (out / "quotes.xlsx").write_text("marked")
    (out / "notes").mkdir()
    (out / "notes" / "a.txt").write_text("hers")
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["files"] = {**digests, "notes": "sha256:0", "../elsewhere.csv": "sha256:0"}
    (out / MANIFEST).write_text(json.dumps(manifest))
    owned, edited = earlier_run_files(out)
    assert edited == {"quotes.xlsx": "quotes (edited, from the run of before).xlsx"}
    assert sorted(owned) == sorted([MANIFEST, "quotes.xlsx"])  # not a user's file nor a folder a run never writes
    with staged_folder(out, force=True, owned=owned, aside=edited) as folder:
        (folder / MANIFEST).write_text(RUN_MANIFEST)
    assert (out / "notes" / "a.txt").read_text() == "hers" and (out / "my_notes.docx").read_text() == "hers"
    assert (out / "quotes (edited, from the run of before).xlsx").read_text() == "marked"


def test_the_folder_the_command_runs_in_is_written_in_place(tmp_path, monkeypatch):
    """`--out .` failed after the whole run ("unexpected OSError: Device or resource busy: '.'"), and left its staging
    folder in the user's folder; renamed aside and removed, the folder would have left the shell in a deleted one."""
    from themes.export import RUN_FILES

    out = tmp_path / "results"
    (out / "sub").mkdir(parents=True)
    (out / MANIFEST).write_text(RUN_MANIFEST)
    (out / "theme_counts_by_state.csv").write_text("the run before's breakdown")
    (out / "notes.txt").write_text("mine")
    for here in (out / "sub", out):  # inside it, as well as in it
        monkeypatch.chdir(here)
        kept: list[str] = []
        with staged_folder(Path("." if here == out else ".."), force=True, owned=RUN_FILES, kept=kept) as folder:
            (folder / MANIFEST).write_text(RUN_MANIFEST.replace("{", '{"new": 1, ', 1))
            (folder / "report.md").write_text("new report")
        assert Path.cwd() == here and here.exists()
        assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "notes.txt", "report.md", "sub"]
        assert '"new": 1' in (out / MANIFEST).read_text() and (out / "notes.txt").read_text() == "mine"
        assert sorted(kept) == ["notes.txt", "sub/"]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]  # no staging left beside it


def test_an_interrupt_after_the_folder_was_written_says_so():
    from themes import export

    written = list(export._WRITTEN)  # the folders earlier tests of this process wrote
    export._WRITTEN.clear()
    assert export.interrupted_line() == "interrupted; no output folder was changed."
    export._WRITTEN.append(Path("outputs/responses"))
    try:
        assert export.interrupted_line() == ("interrupted after outputs/responses was written (it holds this run's "
                                             "files).")
    finally:
        export._WRITTEN[:] = written


def test_an_earlier_evaluation_is_not_called_a_run(tmp_path):
    """Review 150: evaluate run twice into its own folder was told the folder held 'another run's outputs'."""
    out = tmp_path / "evaluation"
    out.mkdir()
    (out / "evaluation.json").write_text(json.dumps(dict.fromkeys(
        ["overall", "per_theme", "gold_file", "codebook_content_hash"], 1)))

    with pytest.raises(OutputError, match="already holds an earlier evaluation's outputs. Pass --force"):
        with staged_folder(out, force=False, owned=("evaluation.json", "evaluation.md")):
            pass


def test_forced_into_a_folder_of_the_other_kind_or_through_a_link(tmp_path):
    """An evaluation forced into a run's folder kept every file of the run beside it; a user's
    theme_counts_checked_by_maria.csv went as a run's file; an --out that is a link lost the link and left the
    old run's files in its target."""
    from themes.export import RUN_FILES

    out = tmp_path / "run"
    out.mkdir()
    (out / MANIFEST).write_text(RUN_MANIFEST)
    (out / "theme_counts_checked_by_maria.csv").write_text("hers")
    with pytest.raises(OutputError, match=r"holds a themes run; this writes a folder of its own"):
        with staged_folder(out, force=True, owned=("evaluation.json", "evaluation.md")):
            pass
    with staged_folder(out, force=True, owned=RUN_FILES) as folder:
        (folder / MANIFEST).write_text(RUN_MANIFEST)
    assert (out / "theme_counts_checked_by_maria.csv").read_text() == "hers"
    link = tmp_path / "linked"
    link.symlink_to(out)
    with staged_folder(link, force=True, owned=RUN_FILES) as folder:
        (folder / MANIFEST).write_text(RUN_MANIFEST)
        (folder / "report.md").write_text("new")
    assert link.is_symlink() and (out / "report.md").read_text() == "new"
    assert (out / "theme_counts_checked_by_maria.csv").read_text() == "hers"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_previous_folder_put_back_after_a_crash_is_not_written_over_without_force(tmp_path):
    """The check ran before the crash recovery put the previous run back, so a run without --force replaced it."""
    out = tmp_path / "run"
    aside = tmp_path / ".run.old-99999999-1a2b3c4d"  # no such process
    aside.mkdir()
    (aside / MANIFEST).write_text(RUN_MANIFEST)
    with pytest.raises(OutputError, match="already holds an earlier run's outputs"):
        with staged_folder(out, force=False):
            pass
    assert (out / MANIFEST).read_text() == RUN_MANIFEST
    # One whose process still runs is in the middle of its swap: left to it.
    import os

    live = tmp_path / f".other.old-{os.getppid()}-1a2b3c4d"
    live.mkdir()
    from themes.export import _remove_leftovers

    _remove_leftovers(tmp_path / "other")
    assert live.is_dir() and not (tmp_path / "other").exists()


def test_a_runs_codebook_is_found_from_another_folder(tmp_path, monkeypatch, tiny_codebook_path):
    """The manifest named the codebook as the run was given it ('cb/rfi_themes.yaml'), so export-project, sample
    and diff run from another folder said it was 'not there'. The absolute path is recorded beside it."""
    from themes.codebook import load_codebook
    from themes.export import CodebookUse, codebook_entry
    from themes.runfolder import recorded_codebook

    monkeypatch.chdir(tiny_codebook_path.parent)
    entry = codebook_entry(CodebookUse(tiny_codebook_path.name, load_codebook(tiny_codebook_path), None, "none"))
    assert entry["path"] == tiny_codebook_path.name and entry["absolute_path"] == str(tiny_codebook_path.resolve())
    monkeypatch.chdir(tmp_path.parent)
    assert recorded_codebook(entry) == tiny_codebook_path.resolve()
    assert recorded_codebook({"path": "rfi_themes"}).name == "rfi_themes.yaml"  # a shipped one, by its name
    assert recorded_codebook({"path": "gone.yaml", "absolute_path": str(tmp_path / "gone.yaml")}) is None
    # Another folder's file at the same relative path is not the run's: the recorded content picks the right one.
    shipped = Path(__file__).resolve().parents[1] / "codebooks" / "rfi_themes.yaml"
    (tmp_path.parent / tiny_codebook_path.name).write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    assert recorded_codebook(entry) == tiny_codebook_path.resolve()


def test_the_manifest_names_the_versions_of_what_the_run_used():
    """Review 162: an ONNX run's manifest named no onnxruntime, a Dask run's no dask, distributed or prefect-dask."""
    from themes.export import PACKAGES, package_versions

    assert list(package_versions()) == list(PACKAGES)
    assert list(package_versions({"backend": "torch", "workers": None, "dask_address": None})) == list(PACKAGES)
    onnx = package_versions({"backend": "onnx"})
    assert list(onnx)[-1] == "onnxruntime" and onnx["onnxruntime"]  # a version, or "not installed"
    dask = package_versions({"backend": "torch", "workers": 2})
    assert [name for name in dask if name not in PACKAGES] == ["dask", "distributed", "prefect-dask"]
    assert dask["distributed"][0].isdigit()


def test_a_count_resting_on_few_coded_answers_says_rough_in_its_method_column():
    """Review 176: the report called the estimate of a theme one coded answer carries "a rough figure"; the workbook's
    Summary and theme_counts.csv read "corrected for measured error" with no word."""
    from dataclasses import dataclass

    from themes.export import _rough_methods
    from themes.prevalence import CORRECTED_METHOD

    @dataclass
    class Run:
        sample_agreement: dict | None
        counts: pd.DataFrame
        counts_by: dict
        counts_by_question: pd.DataFrame | None = None
        framework: pd.DataFrame | None = None
        framework_by: dict | None = None
        framework_by_question: pd.DataFrame | None = None

    counts = pd.DataFrame({"theme": ["trust", "culture"], "method": [CORRECTED_METHOD] * 2})
    framework = pd.DataFrame({"dimension": ["data", "data"], "type": ["full", "not_described"],
                              "method": [CORRECTED_METHOD, "not estimated: no coded answer carries it"]})
    agreement = {"per_theme": [{"theme": "trust", "gold": 40, "predicted": 41}, {"theme": "culture", "gold": 1,
                                                                                 "predicted": 30}],
                 "per_dimension": [{"dimension": "data", "gold_addressed": 2}]}
    run = _rough_methods(Run(agreement, counts, {"state": counts}, framework=framework,
                             framework_by={"state": framework}))
    assert list(run.counts["method"]) == [CORRECTED_METHOD,
                                          f"{CORRECTED_METHOD}; rough: only 1 coded answer carries it"]
    assert list(run.counts_by["state"]["method"]) == list(run.counts["method"])
    assert list(run.framework["method"]) == [f"{CORRECTED_METHOD}; rough: only 2 coded answers address its dimension",
                                             "not estimated: no coded answer carries it"]
    from themes.prevalence import corrected

    assert corrected(run.counts)  # still read as a corrected table
    assert _rough_methods(Run(None, counts, {})).counts is counts

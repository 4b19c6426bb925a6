"""End to end: the Prefect flow and the CLI on the tiny fixture, with the fake embedder."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from themes.cli import app
from themes.settings import RunSettings

pytestmark = pytest.mark.usefixtures("prefect_harness")

CONTRACT = ["manifest.json", "quotes.csv", "quotes.xlsx", "report.html", "report.md", "responses.csv",
            "segments.csv", "theme_counts.csv", "theme_counts_by_org_type.csv", "theme_counts_by_question.csv",
            "theme_counts_by_state.csv", "theme_evidence.csv"]


@pytest.fixture
def settings(tmp_path) -> RunSettings:
    return RunSettings(codebook="codebooks/rfi_themes.yaml", model="test:hashing",
                       cache_dir=str(tmp_path / "cache"))


@pytest.fixture
def tiny_run(tmp_path, tiny_responses_path, settings):
    from themes.flows.code_responses import run_flow

    out = tmp_path / "out"
    summary = run_flow(str(tiny_responses_path), str(out), settings)
    return out, summary


def test_the_flow_writes_every_file_of_the_contract(tiny_run):
    out, summary = tiny_run
    assert sorted(p.name for p in out.iterdir()) == CONTRACT
    assert summary["files"] == CONTRACT


def test_prefects_own_listings_read_the_runs_back(tiny_run):
    """`prefect flow-run ls` sends its filters with empty fields (limit, sort); FastAPI 0.151 and later make
    Prefect 3.8's server refuse them with a 422, so the CLI could not list the runs."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(limit=5)
        flows = client.read_flows()  # limit=None, sort=None: what the CLI's listing asks
    assert runs and any(flow.name == "code-responses" for flow in flows)


def test_every_answer_is_accounted_for_with_a_status(tiny_run, tiny_responses_path):
    out, _ = tiny_run
    responses = pd.read_csv(out / "responses.csv", keep_default_na=False)
    wide = pd.read_csv(tiny_responses_path)
    assert len(responses) == len(wide) * 3  # three free-text columns
    assert list(responses.columns[:7]) == ["respondent_id", "question", "status", "reason", "themes", "top_theme",
                                           "top_score"]
    assert set(responses["status"]) <= {"coded", "uncoded", "empty", "non_answer", "duplicate", "non_english",
                                        "too_long"}
    assert (responses["reason"] != "").all()
    manifest = json.loads((out / "manifest.json").read_text())
    accounting = manifest["accounting"]
    assert accounting["input_answers"] == len(responses)
    assert sum(v for k, v in accounting.items() if k != "input_answers") == len(responses)
    assert manifest["accounting_adds_up"] is True
    assert responses.set_index(["respondent_id", "question"]).loc[("R2", "community_engagement"), "status"] == \
        "non_answer"
    assert responses.set_index(["respondent_id", "question"]).loc[("R4", "challenges"), "status"] == "empty"


def test_manifest_records_what_is_needed_to_reproduce_the_run(tiny_run):
    out, _ = tiny_run
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model"] == "test:hashing"
    assert len(manifest["input"]["sha256"]) == 64 and len(manifest["codebook"]["sha256"]) == 64
    assert manifest["codebook"]["version"] == "1.0"
    assert set(manifest["thresholds"]) == {"trust", "cultural_differences", "community_engagement",
                                           "resource_needs", "data_challenges"}
    assert {"sentence-transformers", "scikit-learn", "prefect"} <= set(manifest["packages"])
    assert {"ingest_and_screen", "segment", "embed", "train", "classify", "quotes"} <= set(manifest["timings_seconds"])
    assert manifest["input"]["column_sources"]["text_columns"] == "guessed"


def test_counts_and_segments_have_the_contract_columns(tiny_run):
    out, _ = tiny_run
    counts = pd.read_csv(out / "theme_counts.csv")
    assert list(counts.columns[:5]) == ["theme", "label", "respondents", "percent", "segments"]
    by_state = pd.read_csv(out / "theme_counts_by_state.csv")
    assert set(by_state["state"]) == {"OH", "CA", "NY", "MN"}
    segments = pd.read_csv(out / "segments.csv", keep_default_na=False)
    assert list(segments.columns[:7]) == ["respondent_id", "question", "segment_id", "start", "end", "text", "themes"]
    responses = pd.read_csv(out / "responses.csv", keep_default_na=False).set_index(["respondent_id", "question"])
    for row in segments.itertuples():
        assert responses.loc[(row.respondent_id, row.question), "answer"][row.start:row.end] == row.text


def test_an_uncalibrated_codebook_scores_its_themes_without_the_nearest_passages_vote(tmp_path, tiny_responses_path):
    """Learned from a codebook's few examples alone the vote blurs them; the report says what was done."""
    from themes.flows.code_responses import run_flow

    book = tmp_path / "book.yaml"  # the shipped codebook, another version: no calibration matches it
    book.write_text(Path("codebooks/rfi_themes.yaml").read_text(encoding="utf-8").replace('version: "1.0"',
                                                                                          'version: "1.1"', 1))
    out = tmp_path / "uncalibrated"
    run_flow(str(tiny_responses_path), str(out), RunSettings(codebook=str(book), model="test:hashing",
                                                             cache_dir=str(tmp_path / "cache")))
    report = (out / "report.md").read_text()
    assert "(not addressed or one type), trained on the codebook's examples\n" in report
    assert "vote" not in report
    assert json.loads((out / "manifest.json").read_text())["codebooks"][0]["calibration"] is None


def test_the_method_says_what_the_calibration_learned_from_and_how_well_it_agreed(tmp_path, tiny_responses_path,
                                                                                   tiny_codebook_path):
    """A run on a calibration of 40 passages read like one on 2,455: the method named no calibration (review 160).
    The coded file's name is de-identified, as the export's is."""
    from themes.calibrate import Calibration, CodedPassage, save_calibration
    from themes.codebook import load_codebook
    from themes.flows.code_responses import run_flow

    book = load_codebook(tiny_codebook_path)
    passages = [CodedPassage(text=f"We trust the county staff {n}.", themes=["trust"]) for n in range(30)]
    passages += [CodedPassage(text=f"Grants end in year {n}.", themes=["funding"]) for n in range(10)]
    save_calibration(Calibration(
        codebook=str(tiny_codebook_path), codebook_hash=book.content_hash(), model="test:hashing", method="logistic",
        C=4.0, thresholds={"trust": 0.4}, passages=passages, gold_file="/coders/coded by Maria Lopez.csv",
        cross_validated={"passages": 40, "measured": 40, "summary": "cross-validated on 40 coded passages (5 folds; "
                         "thresholds tuned inside each fold): Cohen's kappa of the primary theme 0.79"}),
        tiny_codebook_path.with_name("tiny_codebook.calibration.json"))
    out = tmp_path / "calibrated"
    run_flow(str(tiny_responses_path), str(out), RunSettings(codebook=str(tiny_codebook_path), model="test:hashing",
                                                             cache_dir=str(tmp_path / "cache")))
    report = (out / "report.md").read_text(encoding="utf-8")
    method = next(line for line in report.splitlines() if line.startswith("- **Calibration**"))
    assert method.startswith("- **Calibration**: Tiny codebook: learned from 40 coded passages of coded by \\[name\\]; "
                             "cross-validated on 40 coded passages (5 folds; thresholds tuned inside each fold): "
                             "Cohen's kappa of the primary theme 0.79 (agreement on 40 passages only: one passage")
    assert "Maria" not in (out / "report.html").read_text(encoding="utf-8")


def test_no_name_or_email_reaches_quotes_or_report(tiny_run):
    out, _ = tiny_run
    texts = [(out / name).read_text(encoding="utf-8-sig") for name in ("quotes.csv", "report.md", "report.html")]
    book = openpyxl.load_workbook(out / "quotes.xlsx")
    texts.append(" ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value))
    for text in texts:
        assert "Maria" not in text and "mlopez@example.org" not in text


def test_every_count_opens_onto_its_passages_in_the_workbook_and_the_report(tiny_run):
    out, _ = tiny_run
    evidence = pd.read_csv(out / "theme_evidence.csv", keep_default_na=False)
    counts = pd.read_csv(out / "theme_counts.csv")
    book = openpyxl.load_workbook(out / "quotes.xlsx")
    html = (out / "report.html").read_text(encoding="utf-8")
    for theme, segments in zip(counts["theme"], counts["segments"]):
        sheet = book[f"evidence {theme}"[:31]]
        rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
        assert len(rows) == segments == (evidence["theme"] == theme).sum()
        if segments:
            assert f'<a href="#evidence-{theme}">{segments}</a>' in html and f'id="evidence-{theme}"' in html
        else:  # no passage: no link to a section that is not there
            assert f'href="#evidence-{theme}"' not in html and f'id="evidence-{theme}"' not in html
    # The evidence a reviewer is handed, the CSV as the workbook, is de-identified; its segments_row leads to the
    # raw passage in segments.csv (a spreadsheet's row number: the header is row 1), pseudonymised ids or not.
    keys = ["respondent_id", "question", "segment_id"]
    segments = pd.read_csv(out / "segments.csv", keep_default_na=False)
    raw = segments.iloc[evidence["segments_row"] - 2].reset_index(drop=True)
    plain = ~evidence["respondent_id"].str.startswith("resp-")
    assert (raw.loc[plain, keys].astype(str) == evidence.loc[plain, keys].astype(str)).all().all() and plain.any()
    assert (raw["themes"].str.split(";").map(set).to_numpy() >= evidence["theme"].map(lambda t: {t})).all()
    raw = raw[raw["text"].str.contains("mlopez@example.org")]
    assert len(raw), "the fixture's e-mail should be in a coded passage for this test to mean anything"
    shown = " ".join(str(c.value) for name in book.sheetnames if name.startswith("evidence") for row in
                     book[name].iter_rows() for c in row if c.value)
    for text in (shown, " ".join(evidence["passage"])):
        assert "Contact" in text and "mlopez@example.org" not in text and "Maria" not in text


def test_a_rerun_after_a_codebook_edit_embeds_only_the_codebook(tmp_path, tiny_responses_path, settings):
    from themes.flows.code_responses import run_flow

    first = run_flow(str(tiny_responses_path), str(tmp_path / "a"), settings)
    edited = tmp_path / "edited.yaml"
    text = open("codebooks/rfi_themes.yaml", encoding="utf-8").read()
    edited.write_text(text.replace("examples:\n", "examples:\n      - \"A brand new example about partner trust.\"\n", 1))
    shutil.copy("codebooks/rfi_themes.calibration.json", tmp_path / "edited.calibration.json")
    second = run_flow(str(tiny_responses_path), str(tmp_path / "b"), settings.model_copy(update={"codebooks": (str(edited),)}))
    assert first["embedding"]["embedded"] > 1
    assert second["embedding"]["embedded"] == 1
    assert second["embedding"]["from_cache"] == first["embedding"]["unique"]


def test_cli_run_then_refuses_to_overwrite_without_force(tmp_path, tiny_responses_path):
    """The refusal names the run the folder holds: batch 2 run into batch 1's folder was told only that a run was
    there (review 165). The manifest records where the input was, not only the path as typed."""
    import json

    runner = CliRunner()
    out = tmp_path / "cli"
    args = ["run", str(tiny_responses_path), "--model", "test:hashing", "--out", str(out), "--no-cache"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Coded 15 answers: " in first.output and f"Wrote {out}/: manifest.json" in first.output
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    day = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["created"][:10]
    assert again.output.strip() == (f"error: Output folder {out} already holds an earlier run's outputs (of "
                                    f"{tiny_responses_path.name}, run {day}). Pass --force to replace it, or choose "
                                    "another --out.")
    forced = runner.invoke(app, args + ["--force"])
    assert forced.exit_code == 0, forced.output
    recorded = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["input"]
    assert recorded["absolute_path"] == str(tiny_responses_path.resolve())


def test_force_replaces_only_what_the_run_wrote_and_keeps_a_run_file_edited_since(tmp_path, tiny_responses_path):
    """--force deleted a user's theme_counts_by_state_batch1.csv (it matched a run file's pattern) and replaced a
    quotes.xlsx whose `use` cells a program officer had marked, without a word (review 165)."""
    import json

    from openpyxl import load_workbook

    from themes.export import file_digest

    runner = CliRunner()
    out = tmp_path / "cli"
    args = ["run", str(tiny_responses_path), "--model", "test:hashing", "--out", str(out), "--no-cache"]
    assert runner.invoke(app, args).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    written = sorted(p.name for p in out.iterdir() if p.name != "manifest.json")
    assert sorted(manifest["files"]) == written
    assert all(manifest["files"][name] == file_digest(out / name) for name in written)
    (out / "theme_counts_by_state_batch1.csv").write_text("the user's own", encoding="utf-8")
    book = load_workbook(out / "quotes.xlsx")
    book.worksheets[1]["A2"] = "picked"
    book.save(out / "quotes.xlsx")
    marked = file_digest(out / "quotes.xlsx")
    forced = runner.invoke(app, args + ["--force"])
    assert forced.exit_code == 0, forced.output
    day = manifest["created"][:10]
    kept_as = out / f"quotes (edited, from the run of {day}).xlsx"
    assert kept_as.is_file() and file_digest(kept_as) == marked
    assert file_digest(out / "quotes.xlsx") != marked  # the new run's workbook
    assert (out / "theme_counts_by_state_batch1.csv").read_text(encoding="utf-8") == "the user's own"
    assert f"quotes (edited, from the run of {day}).xlsx (your edits to the earlier run's quotes.xlsx)" in forced.output
    assert "theme_counts_by_state_batch1.csv" in forced.output
    # The run after that replaces the new files alone: the kept workbook is the user's now.
    again = runner.invoke(app, args + ["--force"])
    assert again.exit_code == 0 and kept_as.is_file() and (out / "theme_counts_by_state_batch1.csv").is_file()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--text-column", "challenge"], "error: Column 'challenge' (from --text-column) is not in the file. "
                                         "Did you mean 'challenges'? Columns: respondent_id, org_type, state, "
                                         "challenges, effective_practices, community_engagement."),
        (["--codebook", "missing.yaml"], "error: Codebook not found: missing.yaml. Give the path of a codebook "
                                         "YAML file or the name of a shipped one (partnership_models, rfi_themes)."),
        (["--attribute-with", "org_category"], "error: Column 'org_category' (from --attribute-with) is not in the "
                                               "file. Did you mean 'org_type'? Columns: respondent_id, org_type, "
                                               "state, challenges, effective_practices, community_engagement."),
    ],
    ids=["unknown-column", "missing-codebook", "unknown-attribution-column"],
)
def test_cli_errors_are_one_line_and_leave_no_output(tmp_path, tiny_responses_path, extra, message):
    out = tmp_path / "never"
    result = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--model", "test:hashing", "--out", str(out),
                                      "--no-cache", *extra])
    assert result.exit_code == 2
    assert result.output.strip() == message
    assert not out.exists() and not list(tmp_path.glob(".never*"))


def test_cli_title_date_and_attribution_columns_reach_the_outputs(tmp_path, tiny_responses_path):
    from datetime import datetime, timezone

    out = tmp_path / "titled"
    result = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--model", "test:hashing", "--out", str(out),
                                      "--no-cache", "--title", "Partnerships RFI, batch 3", "--attribute-with", "state",
                                      "--min-group", "1"])  # the tiny survey's states hold a respondent or two

    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    created = datetime.fromisoformat(json.loads((out / "manifest.json").read_text())["created"])
    assert created.date() == datetime.now(timezone.utc).date()
    assert "<h1>Partnerships RFI, batch 3</h1>" in html
    assert f'<p class="dateline">Run on {created.day} {created:%B %Y} from tiny_responses.csv.</p>' in html
    quotes = pd.read_csv(out / "quotes.csv", encoding="utf-8-sig")
    assert len(quotes) and quotes["attribution"].str.fullmatch(r"Respondent from partnership based in [A-Z][A-Za-z ]+").all()
    workbook = openpyxl.load_workbook(out / "quotes.xlsx")
    assert [c.value for c in workbook["Summary"][1]] == ["theme", "label", "respondents flagged", "percent flagged",
                                                         "of respondents", "estimate", "low (95%)", "high (95%)", "method"]
    assert {row[8].value for row in workbook["Summary"].iter_rows(min_row=2)} == {"raw (no coded sample)"}


def test_a_breakdown_by_a_column_of_peoples_names_never_shows_them(tmp_path, tiny_responses_path):
    """--meta-column or --attribute-with a column of who filled the form in is refused. A question or metadata
    column named by a header that holds someone's contact details is de-identified wherever it is shown."""
    table = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    table["completed_by"] = ["Ananya Iyer", "Wei Zhang", "Ananya Iyer", "Wei Zhang", "Self"]
    asked = "Challenges (ask Priya Raghunathan, priya.r@example.org)"
    kind = "Organization category (verified by Siobhan O'Neill)"  # a metadata header that names someone
    table = table.rename(columns={"challenges": asked, "org_type": kind})
    source = tmp_path / "RFI export (Maria Gonzalez, 212-555-0143).csv"  # the report's title and source name it
    table.to_csv(source, index=False)
    out = tmp_path / "named"
    options = ["run", str(source), "--model", "test:hashing", "--out", str(out), "--no-cache", "--meta-column", kind,
               "--text-column", asked, "--text-column", "effective_practices", "--text-column",
               "community_engagement", "--min-group", "1"]
    # A column of who filled the form in is refused: its de-identified groups still showed the names the redactor
    # does not know ("Sarah (program manager)", "Smith, J.").
    refused = CliRunner().invoke(app, [*options, "--meta-column", "completed_by"])
    assert refused.exit_code == 2 and "Column 'completed_by' names people or their contact details" in refused.output
    assert not out.exists()
    result = CliRunner().invoke(app, options)
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(out / "quotes.xlsx")
    cells = " ".join(str(cell.value) for sheet in workbook for row in sheet.iter_rows() for cell in row)
    for name in ("quotes.csv", "theme_evidence.csv", "theme_counts_by_question.csv", "report.md", "report.html"):
        text = (out / name).read_text(encoding="utf-8-sig")
        assert "Priya" not in text and "priya" not in text, name
        assert "Gonzalez" not in text and "0143" not in text, name
        assert "Siobhan" not in text and "Neill" not in text, name
    assert not [path.name for path in out.iterdir() if "siobhan" in path.name.lower()]
    assert "Organization category (verified by [name])" in pd.read_csv(
        out / "theme_counts_by_organization_category__verified_by__name.csv").columns
    assert r"# Themes in RFI export (\[name\], \[phone\])" in (out / "report.md").read_text(encoding="utf-8")
    assert "Priya" not in cells and "priya" not in cells and "Siobhan" not in cells
    assert "Challenges (ask [name], [email])" in set(pd.read_csv(out / "theme_counts_by_question.csv")["question"])


def test_a_question_worded_otherwise_is_read_as_the_sidecar_says(tmp_path, tiny_responses_path):
    """'What has made this partnership work?' names no calibration question: the sidecar's question_as says which
    it is, and the coder reads it as that question (the scores of the named columns), recorded in the manifest."""
    from themes.flows.code_responses import run_flow

    table = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    worded = table.rename(columns={"effective_practices": "What has made this partnership work?",
                                   "community_engagement": "How do residents take part?"})
    path = tmp_path / "worded.csv"
    worded.to_csv(path, index=False)
    path.with_suffix(".yaml").write_text('question_as:\n  "What has made this partnership work?": effective_practices\n'
                                         '  "How do residents take part?": community_engagement\n')
    settings = RunSettings(codebook="codebooks/rfi_themes.yaml", model="test:hashing", cache_dir=str(tmp_path / "c"),
                           min_group=1)
    run_flow(str(path), str(tmp_path / "w"), settings)
    run_flow(str(tiny_responses_path), str(tmp_path / "named"), settings)
    manifest = json.loads((tmp_path / "w" / "manifest.json").read_text())
    assert manifest["questions_read_as"] == {"What has made this partnership work?": "effective_practices",
                                             "How do residents take part?": "community_engagement"}
    assert manifest["input"]["column_sources"]["question_as"] == "sidecar worded.yaml"
    read = pd.read_csv(tmp_path / "w" / "responses.csv", keep_default_na=False)
    named = pd.read_csv(tmp_path / "named" / "responses.csv", keep_default_na=False)
    scores = [c for c in named.columns if c.startswith("score_")]
    numbers = lambda frame: frame[scores].apply(pd.to_numeric, errors="coerce").to_numpy(float)  # noqa: E731
    assert np.allclose(numbers(read), numbers(named), atol=1e-6, equal_nan=True)
    # Without the sidecar's word the worded questions are read without their question: other scores
    path.with_suffix(".yaml").unlink()
    run_flow(str(path), str(tmp_path / "unread"), settings)
    unread = pd.read_csv(tmp_path / "unread" / "responses.csv", keep_default_na=False)
    assert not np.allclose(numbers(unread), numbers(named), atol=1e-6, equal_nan=True)


def test_a_qualtrics_question_named_q3_is_read_as_the_question_its_text_asks(tmp_path, tiny_responses_path):
    """Qualtrics names its columns Q1, Q2 ... and writes each question's text in the row below: the classifier
    reads Q3 as the calibration's 'challenges' (its text asks it), as it reads a column named 'challenges', not
    by the models learned without the question."""
    from themes.flows.code_responses import run_flow

    table = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    texts = {"challenges": "What challenges hold the partnership back?",
             "effective_practices": "What practices made the partnership effective?",
             "community_engagement": "How does the partnership engage the community?"}
    qualtrics = table.rename(columns={"respondent_id": "ResponseId", "org_type": "Q1", "state": "Q2",
                                      "challenges": "Q3", "effective_practices": "Q4", "community_engagement": "Q5"})
    label = ["Response ID", "What type of organization are you?", "In which state is your partnership based?",
             *texts.values()]
    imports = [f'{{"ImportId":"{c}"}}' for c in qualtrics.columns]
    path = tmp_path / "qualtrics.csv"
    pd.concat([pd.DataFrame([label, imports], columns=qualtrics.columns), qualtrics]).to_csv(path, index=False)
    settings = RunSettings(codebook="codebooks/rfi_themes.yaml", model="test:hashing", cache_dir=str(tmp_path / "c"),
                           min_group=1)
    run_flow(str(path), str(tmp_path / "q"), settings)
    run_flow(str(tiny_responses_path), str(tmp_path / "named"), settings)
    manifest = json.loads((tmp_path / "q" / "manifest.json").read_text())
    assert manifest["questions_read_as"] == {"Q3": "challenges", "Q4": "effective_practices",
                                             "Q5": "community_engagement"}
    by_label = pd.read_csv(tmp_path / "q" / "responses.csv", keep_default_na=False)
    named = pd.read_csv(tmp_path / "named" / "responses.csv", keep_default_na=False)
    scores = [c for c in named.columns if c.startswith("score_")]
    numbers = lambda frame: frame[scores].apply(pd.to_numeric, errors="coerce").to_numpy(float)  # noqa: E731
    assert np.allclose(numbers(by_label), numbers(named), atol=1e-6, equal_nan=True)
    assert list(by_label["themes"]) == list(named["themes"])
    # The report names what Q1 and Q3 ask: a program officer read "By Q1" and a row "Q3" with no word of either
    report = (tmp_path / "q" / "report.md").read_text()
    assert "## By Q1 (What type of organization are you?)" in report
    assert "| Q3: What challenges hold the partnership back? |" in report
    assert "By Q2 (In which state is your partnership based?)</h2>" in (tmp_path / "q" / "report.html").read_text()
    assert "## By org type\n" in (tmp_path / "named" / "report.md").read_text()


def test_validate_codebook_reports_counts_and_errors(tmp_path):
    ok = CliRunner().invoke(app, ["validate-codebook", "codebooks/rfi_themes.yaml"])
    assert ok.exit_code == 0
    assert ok.output.startswith("codebooks/rfi_themes.yaml: valid. RFI partnership themes, version 1.0, "
                                "5 categories.")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nthemes:\n  - id: trust\n    label: Trust\n    definition: d\n    colour: red\n")
    result = CliRunner().invoke(app, ["validate-codebook", str(bad)])
    assert result.exit_code == 2
    assert result.output.strip() == (f"error: {bad}:6: [themes -> 0 -> colour] unknown key 'colour'; did you mean "
                                     "'color'?")


@pytest.fixture
def two_codebook_run(tmp_path, tiny_responses_path):
    from themes.flows.code_responses import run_flow

    out = tmp_path / "both"
    settings = RunSettings(codebooks=("codebooks/rfi_themes.yaml", "codebooks/partnership_models.yaml"),
                           model="test:hashing", cache_dir=str(tmp_path / "cache"))
    return out, run_flow(str(tiny_responses_path), str(out), settings)


def test_one_run_codes_themes_and_the_framework_with_one_type_per_dimension(two_codebook_run):
    out, summary = two_codebook_run
    names = {p.name for p in out.iterdir()}
    assert {"theme_counts.csv", "framework_counts.csv", "framework_counts_by_org_type.csv",
            "framework_counts_by_state.csv", "framework_counts_by_question.csv"} <= names
    by_question = pd.read_csv(out / "framework_counts_by_question.csv")
    assert len(by_question) == 15 * by_question["question"].nunique()  # every type of every dimension
    from themes.counts import SUPPRESSED_QUESTION_METHOD

    # raw, or hidden: a question of the tiny survey with fewer answers than the minimum shows no figure
    assert set(by_question["method"]) <= {"raw (no coded sample)", SUPPRESSED_QUESTION_METHOD}
    assert (by_question["method"] == SUPPRESSED_QUESTION_METHOD).equals(by_question["suppressed"].astype(bool))
    framework = pd.read_csv(out / "framework_counts.csv")
    assert list(framework.columns) == ["dimension", "dimension_label", "type", "label", "respondents", "percent",
                                       "base_respondents", "estimate", "low", "high", "method", "coded_answers",
                                       "suppressed"]
    # Each usable respondent has exactly one type (or "not described") per dimension.
    per_dimension = framework.groupby("dimension")["respondents"].sum()
    assert (per_dimension == framework["base_respondents"].iloc[0]).all() and len(per_dimension) == 5
    counts = pd.read_csv(out / "theme_counts.csv")
    assert set(counts["theme"]) == {"trust", "cultural_differences", "community_engagement", "resource_needs",
                                    "data_challenges"}
    responses = pd.read_csv(out / "responses.csv", keep_default_na=False)
    for themes in responses["themes"]:
        dimensions = [t.split(".")[0] for t in themes.split(";") if "." in t]
        assert len(dimensions) == len(set(dimensions))
    manifest = json.loads((out / "manifest.json").read_text())
    assert [c["path"] for c in manifest["codebooks"]] == ["codebooks/rfi_themes.yaml",
                                                          "codebooks/partnership_models.yaml"]
    assert {"trust", "service_model", "governance"} <= set(manifest["thresholds"])
    report = (out / "report.md").read_text()
    assert "## Partnership models" in report and "most integrated type described across their answers" in report
    assert "| Dimension | Type | All respondents (n=5) |" in report
    assert "Health care organization (n=" not in report  # groups under --min-group (10) are not shown
    assert len(summary["framework"]) == 20  # 5 dimensions x (3 types + not described)
    # The method says how the themes were scored: the shipped calibration mixes in the nearest passages' vote,
    # and records it; the framework's calibration (its dimensions' models) does without.
    assert ("trained on the codebook's examples and the calibration sample; each theme's score is 80% the "
            "regression's and 20% the vote of the 10 training passages (coded passages and examples) nearest in "
            "meaning") in report
    assert [c["calibration"]["neighbour_weight"] for c in manifest["codebooks"]] == [0.2, 0.0]


def test_run_and_evaluate_decide_identically_on_the_same_passages(two_codebook_run, tmp_path):
    """Evaluation re-codes the run's answers through its own entry point: every decision must match."""
    out, _ = two_codebook_run
    _assert_evaluate_decides_as_the_run(out, tmp_path, ["codebooks/rfi_themes.yaml", "codebooks/partnership_models.yaml"])


def test_run_and_evaluate_read_planned_sentences_alike(tmp_path, monkeypatch):
    """Answers that mix what is in place with what is only planned: the run gives the coder each
    in-place reading's own vector, and decides as evaluation does."""
    from themes.codebook import load_codebook
    from themes.coding import Coder, in_place_readings
    from themes.embed import embedding_function
    from themes.flows.code_responses import run_flow

    path = tmp_path / "planned.csv"
    pd.DataFrame({"respondent_id": ["P1", "P2", "P3"], "services": [
        "Right now it is just referrals back and forth with the clinic. In five years we want one team under one roof.",
        "We'd love a shared record someday. Today the clinic faxes us a monthly list of shared clients.",
        "Our case managers work inside the clinic with the nurses every day."]}).to_csv(path, index=False)
    given = {}
    score = Coder.score

    def recording(self, texts, vectors, questions=None, embed=None):
        if embed is not None:
            readings = in_place_readings(self.codebook, list(texts))
            given.update(zip(readings, embed(readings)))
        return score(self, texts, vectors, questions, embed)

    monkeypatch.setattr(Coder, "score", recording)
    out = tmp_path / "run"
    settings = RunSettings(codebooks=("codebooks/partnership_models.yaml",), model="test:hashing",
                           cache_dir=str(tmp_path / "cache"))
    run_flow(str(path), str(out), settings)
    segments = pd.read_csv(out / "segments.csv", keep_default_na=False)
    readings = in_place_readings(load_codebook("codebooks/partnership_models.yaml"), list(segments["text"]))
    assert readings == ["Right now it is just referrals back and forth with the clinic.",
                        "Today the clinic faxes us a monthly list of shared clients."]
    own = embedding_function("test:hashing")(readings)
    assert np.allclose([given[r] for r in readings], own, atol=1e-3)  # float16 in the run's cache
    embedding = json.loads((out / "manifest.json").read_text())["embedding"]
    assert embedding["texts"] >= embedding["unique"]  # the readings are counted among the texts looked up
    assert embedding["unique"] == embedding["from_shipped"] + embedding["from_cache"] + embedding["embedded"]
    monkeypatch.undo()
    _assert_evaluate_decides_as_the_run(out, tmp_path, ["codebooks/partnership_models.yaml"])


def _assert_evaluate_decides_as_the_run(out: Path, tmp_path: Path, codebooks: list[str]) -> None:
    from themes.flows.agreement import evaluate_agreement

    responses = pd.read_csv(out / "responses.csv", keep_default_na=False)
    read = responses[responses["status"].isin(["coded", "uncoded"])]
    for codebook in codebooks:
        is_mine = (lambda t: "." in t) if "partnership" in codebook else (lambda t: "." not in t)
        # The run's codes of this codebook, its top theme first (the primary theme evaluation compares).
        themes = [sorted(filter(is_mine, codes.split(";")), key=lambda t, top=top: t != top)
                  for codes, top in zip(read["themes"], read["top_theme"])]
        gold_path = tmp_path / f"gold-{Path(codebook).stem}.csv"
        # With each answer's question, as the run coded it: the question is part of what is decided on.
        pd.DataFrame({"text": read["answer"], "question": read["question"],
                      "themes": [";".join(t) or "none" for t in themes]}).to_csv(
            gold_path, index=False)
        settings = RunSettings(codebook=codebook, model="test:hashing", cache_dir=str(tmp_path / "cache"))
        result = evaluate_agreement(gold_path=str(gold_path), out=str(tmp_path / f"eval-{gold_path.stem}"),
                                    settings=settings)
        assert result["overall"]["passages"] + result["left_out"] == len(read)
        assert result["disagreements"] == 0, codebook
        assert (f"; passages from 'text', codes from 'themes', questions from 'question'. Codebook: "
                in (tmp_path / f"eval-{gold_path.stem}" / "evaluation.md").read_text(encoding="utf-8"))
        saved = json.loads((tmp_path / f"eval-{gold_path.stem}" / "evaluation.json").read_text(encoding="utf-8"))
        assert saved["calibration"]["file"].endswith(".calibration.json")
        assert saved["calibration"]["matches_codebook"] is True and saved["calibration"]["where"]


def test_the_evaluation_files_name_a_calibration_made_for_other_content(tmp_path, tiny_codebook_path):
    """A theme renamed after calibrating: the mismatch was said in the console only, and evaluation.md and .json
    named no calibration."""
    from themes.calibrate import Calibration, save_calibration
    from themes.flows.agreement import evaluate_agreement

    stale = tmp_path / "stale.calibration.json"
    save_calibration(Calibration(codebook=str(tiny_codebook_path), codebook_hash="0" * 16, model="test:hashing",
                                 method="logistic", C=4.0, thresholds={"trust": 0.4}), stale)
    gold = tmp_path / "gold.csv"
    gold.write_text("text,themes\nWe trust the county staff.,trust\nGrants end next year.,funding\n"
                    "We deliver food boxes.,none\n", encoding="utf-8")
    settings = RunSettings(codebook=str(tiny_codebook_path), model="test:hashing", calibration=str(stale),
                           cache_dir=str(tmp_path / "cache"))
    evaluate_agreement(gold_path=str(gold), out=str(tmp_path / "eval"), settings=settings)
    saved = json.loads((tmp_path / "eval" / "evaluation.json").read_text(encoding="utf-8"))
    assert saved["calibration"]["file"] == str(stale) and saved["calibration"]["matches_codebook"] is False
    assert "made for other content" in saved["calibration"]["where"]
    markdown = (tmp_path / "eval" / "evaluation.md").read_text(encoding="utf-8")
    assert f"Calibration: `{stale}` (option --calibration, but made for other content" in markdown
    # three passages: the figure comes with a caution (a reviewer's read 1.000, nothing said)
    assert "Agreement on 3 passages only: one passage more or less moves it far" in markdown


def test_a_coded_sample_gives_every_count_an_estimate_and_interval(tmp_path, tiny_responses_path):
    """The mechanics on a 7-answer sample of the tiny survey: the product estimates from 100 coded answers or
    more (test_prevalence, and below), so the floor is lowered here."""
    from themes.flows.code_responses import run_flow

    # R2's and R3's challenges hold a codebook example whole ("They just don't get how we operate."): answers the
    # coder learned from, which measure nothing (themes.nearcopy). Written here in other words, they are coded answers.
    survey = tmp_path / "tiny.csv"
    survey.write_text(tiny_responses_path.read_text(encoding="utf-8").replace(
        "they just don't get how we operate.", "our ways of working are foreign to them.").replace(
        "We still fax referrals and re-key them into our system,", "Referrals come by fax and are typed in again,"),
        encoding="utf-8")
    tiny_responses_path = survey

    sample = tmp_path / "coded.csv"
    sample.write_text("respondent_id,question,themes\nR1,challenges,resource_needs\nR2,challenges,cultural_differences\n"
                      "R3,challenges,data_challenges\nR1,effective_practices,trust\nR2,effective_practices,trust\n"
                      "R5,challenges,resource_needs\nR1,community_engagement,community_engagement\n", encoding="utf-8")
    out = tmp_path / "estimated"
    settings = RunSettings(codebook="codebooks/rfi_themes.yaml", model="test:hashing", cache_dir=str(tmp_path / "c"),
                           coded_sample=str(sample), min_group=2, min_coded=1)
    summary = run_flow(str(tiny_responses_path), str(out), settings)
    counts = pd.read_csv(out / "theme_counts.csv")
    assert {"estimate", "low", "high", "method", "suppressed"} <= set(counts.columns)
    assert counts["method"].str.startswith("corrected").all()
    assert ((counts["low"] <= counts["estimate"]) & (counts["estimate"] <= counts["high"])).all()
    manifest = json.loads((out / "manifest.json").read_text())
    recorded = manifest["coded_sample_agreement"]
    assert recorded["answers"] == 7
    # as the report shows them: no kappa from fewer than 5 coded cases, and no primary kappa where no theme has 5
    assert all(row["kappa"] is None and row["few"] == row["gold"]
               for row in recorded["per_theme"] if 0 < row["gold"] < 5)
    assert recorded["overall"]["primary_kappa"] is None and recorded["overall"]["passages"] == 7
    report = (out / "report.md").read_text()
    assert "Estimate, % (95% interval)" in report and "About " in report
    # 7 coded answers: no theme's kappa from one or two coded cases, and the figure with a caution (a review read
    # "cultural_differences 1.00" from 3 coded cases, no word)
    assert "not measured (only 1 coded answer carries it)" in report or "not measured (only 2 coded answers" in report
    assert "On 7 answers one more or less moves these far: read them as a rough sign." in report
    by_question = pd.read_csv(out / "theme_counts_by_question.csv")
    answers = pd.read_csv(out / "responses.csv")
    usable = answers[answers["status"].isin(["coded", "uncoded", "too_long"])]
    assert set(by_question["question"]) == set(usable["question"])
    assert len(by_question) == by_question["question"].nunique() * len(counts)
    shown = by_question[~by_question["suppressed"]]
    assert shown["method"].str.startswith("corrected").all()
    assert ((shown["low"] <= shown["estimate"]) & (shown["estimate"] <= shown["high"])).all()
    assert "## By question" in report
    evidence = pd.read_csv(out / "theme_evidence.csv")
    assert list(evidence.columns) == ["theme", "respondent_id", "question", "segment_id", "segments_row", "passage",
                                      "score"]
    assert len(evidence) == sum(len(t.split(";")) for t in pd.read_csv(out / "segments.csv", keep_default_na=False)[
        "themes"] if t)
    assert summary["counts"][0]["method"].startswith("corrected")

    # The same sample coded in two files (a second draw, --exclude the first): the same estimates, both files named.
    lines = sample.read_text(encoding="utf-8").splitlines()
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("\n".join(lines[:5]) + "\n", encoding="utf-8")
    second.write_text("\n".join(lines[:1] + lines[5:]) + "\n", encoding="utf-8")
    parts = tmp_path / "parts"
    run_flow(str(tiny_responses_path), str(parts), settings.model_copy(update={"coded_sample": (str(first), str(second))}))
    pd.testing.assert_frame_equal(pd.read_csv(parts / "theme_counts.csv"), counts)
    # A coded sample's file named after its coder: de-identified in the report as the export's name is
    named = tmp_path / "coded by Jane Roe (jroe@clinic.org) 555-201-7788.csv"
    shutil.copy(sample, named)
    run_flow(str(tiny_responses_path), str(tmp_path / "named"),
             settings.model_copy(update={"coded_sample": (str(named),)}))
    shown = (tmp_path / "named" / "report.md").read_text() + (tmp_path / "named" / "report.html").read_text()
    assert "jroe@clinic.org" not in shown and "555-201-7788" not in shown and "Jane Roe" not in shown
    assert str(tmp_path) not in shown
    agreement = json.loads((parts / "manifest.json").read_text())["coded_sample_agreement"]
    assert (agreement["answers"], agreement["files"]) == (7, [str(first), str(second)])
    assert "(first.csv + second.csv)" in (parts / "report.md").read_text()


def test_without_a_coded_sample_the_report_says_the_counts_are_raw(tiny_run):
    out, _ = tiny_run
    report = (out / "report.md").read_text()
    assert "These are raw counts" in report and "not measured on this survey" in report
    assert set(pd.read_csv(out / "theme_counts.csv")["method"]) == {"raw (no coded sample)"}


def test_a_run_of_two_codebooks_exports_to_a_qda_project_with_both(two_codebook_run, tmp_path):
    import zipfile

    from themes.research import export_project

    out, _ = two_codebook_run
    path = export_project(out, tmp_path / "both.qdpx")["path"]
    project = zipfile.ZipFile(path).read("project.qde").decode("utf-8")
    assert 'name="Trust and relationships"' in project and 'name="Service model"' in project
    # Each code is the one its codebook's .qdc names, and each codebook's set lists its codes.
    from themes.codebook import load_codebook
    from themes.refi import codebook_codes

    themes = codebook_codes(load_codebook("codebooks/rfi_themes.yaml"))
    assert f'guid="{themes[0].guid}"' in project and f'MemberCode targetGUID="{themes[0].guid}"' in project


def test_the_flow_works_while_the_embedding_runs_and_stops_when_it_is_done():
    """`PendingEmbedding.result(idle=...)` calls the idle work while a batch runs, and no more once the work
    says it has nothing left or the batches are done."""
    import threading
    import time
    from concurrent.futures import Future

    from themes.flows.code_responses import Embedded, PendingEmbedding
    from themes.settings import RunSettings

    class Batch:
        def __init__(self):
            self.wrapped_future = Future()

        def result(self):
            return self.wrapped_future.result()

    batch = Batch()
    pending = PendingEmbedding.__new__(PendingEmbedding)
    pending.settings, pending.texts, pending.unique = RunSettings(cache_dir=None), ["a"], ["a"]
    pending.todo, pending.missing, pending.found, pending.counts = [], [], [], (0, 0)
    pending.futures, pending.chunks, pending.before, pending.model_id = [batch], [["a"]], 0, "test"
    calls = []

    def idle() -> bool:
        calls.append(1)
        time.sleep(0.01)  # a piece of work
        if len(calls) == 3:  # the batch finishes while the flow works
            threading.Timer(0.05, batch.wrapped_future.set_result,
                            [Embedded(np.zeros((1, 2), dtype=np.float16), "cpu", "test")]).start()
        return len(calls) < 1000

    import themes.flows.code_responses as flow

    original = flow._embedder
    flow._embedder = lambda settings: type("E", (), {"resolved_device": "cpu"})()
    try:
        pending.result(idle=idle)
    finally:
        flow._embedder = original
    assert 3 <= len(calls) < 1000
    calls.clear()
    done = Batch()
    done.wrapped_future.set_result(Embedded(np.zeros((1, 2), dtype=np.float16), "cpu", "test"))
    pending.futures = [done]
    flow._embedder = lambda settings: type("E", (), {"resolved_device": "cpu"})()
    try:
        pending.result(idle=idle)
    finally:
        flow._embedder = original
    assert calls == []


def test_the_survey_is_embedded_longest_first_across_chunks_and_each_vector_returns_to_its_text(monkeypatch):
    """The model pads each batch to its longest text: texts in survey order, sorted only inside each model call,
    padded 14% more. Every chunk holds texts of like length, and the vectors still land on their own texts."""
    from prefect import flow as prefect_flow

    import themes.flows.code_responses as run_flow
    from themes.embed import HASHING_MODEL, HashingEmbedder
    from themes.settings import RunSettings

    seen: list[str] = []

    class Recording(HashingEmbedder):
        texts_per_batch = 2

        def encode(self, texts, progress=None):
            seen.extend(texts)
            return super().encode(texts, progress)

    monkeypatch.setattr(run_flow, "_embedder", lambda settings: Recording())
    texts = [f"{'word ' * n}{n}" for n in (3, 40, 1, 17, 8, 25, 2, 33, 12, 5, 30, 1)]  # 11 distinct, one twice
    settings = RunSettings(model=HASHING_MODEL, chunk_size=16, cache_dir=None)

    @prefect_flow
    def embed_them():
        return run_flow.embed_texts(texts, settings)

    table, stats = embed_them()
    assert stats["embedded"] == 11 and sorted(seen) == sorted(set(texts))
    assert [len(t) for t in seen] == sorted((len(t) for t in seen), reverse=True)
    expected = HashingEmbedder().encode(texts)
    assert np.array_equal(table.lookup(texts), expected)


def test_each_chunk_is_cached_as_it_lands_so_a_stopped_run_keeps_what_it_embedded(monkeypatch, tmp_path):
    """Review 162: the cache was written once every chunk was done, so a run stopped in its last chunk (of 100,000
    answers: hours) embedded everything again."""
    from prefect import flow as prefect_flow
    from prefect.task_runners import ThreadPoolTaskRunner

    import themes.flows.code_responses as run_flow
    from themes.embed import HASHING_MODEL, EmbeddingCache, HashingEmbedder, text_key
    from themes.settings import RunSettings

    class StopsInTheThirdChunk(HashingEmbedder):
        calls = 0

        def encode(self, texts, progress=None):
            StopsInTheThirdChunk.calls += 1
            if StopsInTheThirdChunk.calls == 3:
                raise KeyboardInterrupt
            return super().encode(texts, progress)

    monkeypatch.setattr(run_flow, "_embedder", lambda settings: StopsInTheThirdChunk())
    texts = [f"answer {k} " + "word " * k for k in range(40)]
    settings = RunSettings(model=HASHING_MODEL, chunk_size=16, cache_dir=str(tmp_path / "cache"))

    @prefect_flow(task_runner=ThreadPoolTaskRunner(max_workers=1))  # one chunk at a time, as run_flow runs them
    def embed_them():
        return run_flow.embed_texts(texts, settings)

    with pytest.raises(BaseException):
        embed_them()
    cache = EmbeddingCache(tmp_path / "cache", StopsInTheThirdChunk().model_id)
    _, missing = cache.get([text_key(t) for t in texts])
    assert len(missing) == 40 - 32  # the two chunks done (longest first) are cached; the third is not
    assert sorted(missing) == list(range(8))  # the shortest texts, the third chunk's


def test_runs_on_a_temporary_server_send_no_heartbeats_and_runs_on_ones_own_server_do():
    # Prefect's heartbeat thread sleeps in steps of a second and each run waited for it at its end (1.0 s of a
    # 1,000-answer run's 9); a temporary server ends with the run, so nothing would read them.
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    from themes.flows.code_responses import _no_heartbeats_on_a_temporary_server

    with temporary_settings(updates={PREFECT_API_URL: None}):
        with _no_heartbeats_on_a_temporary_server():
            assert get_current_settings().flows.heartbeat_frequency is None
        assert get_current_settings().flows.heartbeat_frequency == 180
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:4200/api"}):
        with _no_heartbeats_on_a_temporary_server():
            assert get_current_settings().flows.heartbeat_frequency == 180


def test_a_large_run_starts_the_helper_that_shares_its_de_identification(tmp_path, tiny_responses_path, settings,
                                                                          monkeypatch):
    """The helper loads while the run reads its input (themes.redact_helper); a small export, whose evidence is too
    short to share, starts none (it cost 400 answers a second of wall time for nothing)."""
    from themes import redact_helper
    from themes.flows import code_responses
    from themes.redact import Redactor

    redactor = Redactor()
    if not redactor.ner_available:
        pytest.skip("spaCy's model is not installed: a run de-identifies with patterns only and starts no helper")
    for helpers in redact_helper._helpers.values():
        for helper in helpers:
            helper.close()
    monkeypatch.setattr(redact_helper, "_helpers", {})
    code_responses.run_flow(str(tiny_responses_path), str(tmp_path / "small"), settings)
    assert redact_helper._helpers == {}
    monkeypatch.setattr(code_responses, "HELPER_FROM_BYTES", tiny_responses_path.stat().st_size)
    code_responses.run_flow(str(tiny_responses_path), str(tmp_path / "large"), settings)
    helpers = redact_helper._helpers[redactor.model]
    assert len(helpers) == redact_helper.helpers_wanted() >= 1
    assert all(helper.owner == os.getpid() and helper.process.poll() is None for helper in helpers)
    for helper in helpers:
        helper.close()


def test_a_codebook_whose_examples_are_this_surveys_answers_is_warned_of(tmp_path, tiny_codebook_path,
                                                                           tiny_responses_path):
    """A theme drafted by themes discover keeps this survey's passages as its examples: 8 of its 9 respondents were
    its own examples, coded by memory, and nothing said so."""
    book = tmp_path / "drafted.yaml"
    book.write_text(tiny_codebook_path.read_text(encoding="utf-8").replace(
        "      - A champion on the hospital side made it happen.\n",
        "      - A champion on the hospital side made it happen.\n      - Regular check-ins and shared goals\n"),
        encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["run", str(tiny_responses_path), "--model", "test:hashing", "--codebook", str(book),
                                 "--out", str(tmp_path / "out"), "--no-cache"])
    assert result.exit_code == 0, result.output
    assert ("warning: 2 passages of this survey are the codebook's own examples (trust 2): the coder learned them, so "
            "it codes them by memory and their themes' counts include them") in result.output
    plain = runner.invoke(app, ["run", str(tiny_responses_path), "--model", "test:hashing", "--codebook",
                                str(tiny_codebook_path), "--out", str(tmp_path / "plain"), "--no-cache"])
    # the tiny codebook's own: R5 answered with its example "A champion on the hospital side made it happen."
    assert plain.exit_code == 0 and "warning: 1 passage of this survey is the codebook's own examples (trust 1)" in \
        plain.output


def test_a_quotes_attribution_leaves_out_the_groups_its_themes_breakdown_hides(tmp_path, tiny_responses_path,
                                                                              monkeypatch):
    """The flow picks quotes after the counts and hands them what each theme's breakdown hides
    (counts.hidden_groups): here every state, for every theme, with groups of one shown otherwise."""
    from themes.flows import code_responses

    settings = RunSettings(codebook="codebooks/rfi_themes.yaml", model="test:hashing", min_group=1,
                           cache_dir=str(tmp_path / "cache"))
    shown = pd.read_csv(code_responses.run_flow(str(tiny_responses_path), str(tmp_path / "shown"), settings)["out"]
                        + "/quotes.csv", encoding="utf-8-sig")
    assert shown["attribution"].str.contains("based in").any()
    states = set(pd.read_csv(tiny_responses_path, dtype=str)["state"])
    monkeypatch.setattr(code_responses, "hidden_groups",
                        lambda estimates: {t: {"state": states} for t in set(shown["theme"])})
    hidden = pd.read_csv(code_responses.run_flow(str(tiny_responses_path), str(tmp_path / "hidden"), settings)["out"]
                         + "/quotes.csv", encoding="utf-8-sig")
    assert len(hidden) == len(shown) and not hidden["attribution"].str.contains("based in").any()


def test_a_types_quotes_come_from_the_respondents_the_flow_counts_under_it(tmp_path, tiny_responses_path,
                                                                           monkeypatch):
    """The flow hands the quotes each type's respondents (aggregate.counted_under_types): none here, so no type is
    quoted, where the run without that quotes two."""
    from themes.flows import code_responses

    settings = RunSettings(codebooks=("codebooks/rfi_themes.yaml", "codebooks/partnership_models.yaml"),
                           model="test:hashing", cache_dir=str(tmp_path / "cache"))
    quoted = pd.read_csv(code_responses.run_flow(str(tiny_responses_path), str(tmp_path / "all"), settings)["out"]
                         + "/quotes.csv", encoding="utf-8-sig")
    assert quoted["theme"].str.contains(".", regex=False).any()
    monkeypatch.setattr(code_responses, "counted_under_types",
                        lambda answers, codebook: {t: set() for t in quoted["theme"] if "." in t})
    none = pd.read_csv(code_responses.run_flow(str(tiny_responses_path), str(tmp_path / "none"), settings)["out"]
                       + "/quotes.csv", encoding="utf-8-sig")
    assert not none["theme"].str.contains(".", regex=False).any() and len(none) == len(quoted) - sum(
        quoted["theme"].str.contains(".", regex=False))


def test_evaluation_md_names_a_zero_shot_method_as_the_console_does(tmp_path, tiny_codebook_path):
    """A researcher's review: the console said "zero-shot" where evaluation.md said "method prototype"."""
    from themes.flows.agreement import evaluate_agreement

    gold = tmp_path / "gold.csv"
    gold.write_text("text,themes\nWe trust the county staff.,trust\nGrants end next year.,funding\n"
                    "We deliver food boxes.,none\n", encoding="utf-8")
    settings = RunSettings(codebook=str(tiny_codebook_path), model="test:hashing", method="prototype",
                           cache_dir=str(tmp_path / "cache"))
    evaluate_agreement(gold_path=str(gold), out=str(tmp_path / "eval"), settings=settings)
    assert "; method zero-shot (prototype); " in (tmp_path / "eval" / "evaluation.md").read_text(encoding="utf-8")


def test_a_submission_sent_again_is_said_in_the_console_the_report_and_the_manifest(tmp_path, tiny_responses_path):
    """Respondents read as another's version sent again were said only in each answer's reason: the console gave "32
    duplicate", the report "155 respondents gave at least one answer", and a user could not see anyone was removed."""
    table = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    again = table.iloc[[4]].assign(respondent_id="R5-again")
    again["effective_practices"] += " We also share a care coordinator."
    pd.concat([table, again]).to_csv(tmp_path / "again.csv", index=False)
    result = CliRunner().invoke(app, ["run", str(tmp_path / "again.csv"), "--model", "test:hashing", "--out",
                                      str(tmp_path / "out"), "--no-cache", "--min-group", "1"])
    assert result.exit_code == 0, result.output
    assert ("Read 1 submission as another's sent again (the same answers, one answer edited, or the same sender's "
            "e-mail): counted once, as the fuller version (status duplicate; responses.csv's reason names the one "
            "kept).") \
        in result.output.splitlines()
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["submissions_sent_again"] == 1
    assert ("1 submission was another's sent again (the same answers, one answer edited, or the same sender's "
            "e-mail) and counted once, as the fuller version.") in (tmp_path / "out" / "report.md").read_text()
    responses = pd.read_csv(tmp_path / "out" / "responses.csv", keep_default_na=False)
    assert set(responses.loc[responses["respondent_id"] == "R5", "status"]) == {"duplicate"}


def test_sigterm_in_a_flow_s_process_stops_the_embedding_task_at_its_next_model_batches():
    """A production review: SIGTERM to a served run's process while it embedded ended the flow, whose thread pool
    then waited for the embedding chunk (16-60 s) before the process ended. The handler, ahead of Prefect's, tells
    the task to stop between model calls; it is put back after the run."""
    import signal
    import threading

    from themes import embed as embedding
    from themes.flows import code_responses as flows

    heard, done = [], threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: heard.append(signum))
    try:
        with flows._embedding_stops_on_sigterm():
            assert not embedding.STOPPING.is_set()
            os.kill(os.getpid(), signal.SIGTERM)
            assert embedding.STOPPING.is_set() and heard == [signal.SIGTERM]  # Prefect's (here, the test's) heard too
            calls = []
            settings = RunSettings(model="test:hashing", batch_size=2)

            def embed():
                try:
                    flows.embed_batch.fn([f"text {n}" for n in range(64)], settings)
                except RuntimeError as error:
                    calls.append(str(error))
                done.set()

            threading.Thread(target=embed).start()
            assert done.wait(30) and calls == ["stopped (SIGTERM) while embedding"]
        assert embedding.STOPPING.is_set()  # on the way out the flow's thread pool waits for the task: still stopping
        assert signal.getsignal(signal.SIGTERM) is not previous and signal.getsignal(signal.SIGTERM).__name__ == \
            "<lambda>"  # the handler before the run, as it was
    finally:
        signal.signal(signal.SIGTERM, previous)
    with flows._embedding_stops_on_sigterm():  # the next run embeds again
        assert len(flows.embed_batch.fn(["after the run"], RunSettings(model="test:hashing"))) == 1


def test_the_manifest_s_device_and_the_cache_s_model_are_those_of_the_process_that_embedded(monkeypatch, tmp_path):
    """Review 162: a Dask worker resolves --device auto on its own machine, but the manifest said the flow machine's
    device ('cpu' for a GPU worker's vectors), and a worker's fp16 vectors would have been cached as the fp32
    model's."""
    from prefect import flow as prefect_flow

    import themes.flows.code_responses as run_flow
    from themes.embed import HASHING_MODEL, EmbeddingCache, HashingEmbedder, text_key
    from themes.settings import RunSettings

    class OnTheCard(HashingEmbedder):  # what a worker with a GPU and THEMES_FP16=1 would be
        resolved_device = "cuda"

        @property
        def model_id(self):
            return super().model_id + "+fp16"

    here = HashingEmbedder()
    monkeypatch.setattr(run_flow, "_embedder", lambda settings: here)
    texts = [f"answer {k}" for k in range(5)]
    settings = RunSettings(model=HASHING_MODEL, cache_dir=str(tmp_path / "cache"))
    real_task = run_flow.embed_batch.fn

    def on_a_worker(chunk, settings):  # the task runs where the worker's embedder is
        monkeypatch.setattr(run_flow, "_embedder", lambda settings: OnTheCard())
        try:
            return real_task(chunk, settings)
        finally:
            monkeypatch.setattr(run_flow, "_embedder", lambda settings: here)

    monkeypatch.setattr(run_flow.embed_batch, "fn", on_a_worker)

    @prefect_flow
    def embed_them():
        return run_flow.embed_texts(texts, settings)

    _, stats = embed_them()
    assert stats["device"] == "cuda" and stats["model_id"] == here.model_id + "+fp16"
    _, missing = EmbeddingCache(tmp_path / "cache", here.model_id + "+fp16").get([text_key(t) for t in texts])
    assert missing == []
    _, missing = EmbeddingCache(tmp_path / "cache", here.model_id).get([text_key(t) for t in texts])
    assert len(missing) == 5  # nothing under the fp32 model's id


def test_a_framework_dimension_few_coded_answers_address_is_a_rough_finding(tmp_path, tiny_responses_path,
                                                                            monkeypatch):
    """Review 173: partnership_effects, addressed by 2 coded answers, was 'not measured' in the agreement, yet its
    finding read "about 15% (0-29%) ... described partner level" with no caution: the report is handed how few
    coded answers address each such dimension (its sentence: test_report)."""
    from themes import export
    from themes.flows.code_responses import run_flow

    sample = tmp_path / "coded.csv"
    rows = ["respondent_id,question,themes,service_model,financial_relationship,data,partnership_effects,governance"]
    for k in range(1, 6):
        effects = "partner_level" if k == 1 else "none"
        rows += [f"R{k},challenges,resource_needs,referral,independent,reporting_only,{effects},none",
                 f"R{k},effective_practices,trust,coordinated,service_contracts,partial_access,none,none"]
    sample.write_text("\n".join(rows) + "\n", encoding="utf-8")
    settings = RunSettings(codebooks=("codebooks/rfi_themes.yaml", "codebooks/partnership_models.yaml"),
                           model="test:hashing", cache_dir=str(tmp_path / "cache"), coded_sample=str(sample),
                           min_group=2, min_coded=1)
    handed = []
    monkeypatch.setattr(export, "render_markdown", lambda data: handed.append(data) or "")
    run_flow(str(tiny_responses_path), str(tmp_path / "out"), settings)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    few = {row["dimension"]: row.get("few") for row in manifest["coded_sample_agreement"]["per_dimension"]}
    assert few["partnership_effects"] == 1 and not few["service_model"]
    assert handed[0].agreement["few_dimensions"] == {"partnership_effects": 1}


def test_counts_from_a_coded_sample_of_learned_texts_alone_say_why_they_are_raw(tmp_path, tiny_responses_path):
    """Review 173: a coded sample whose answers were all texts the classifier learned from left theme_counts.csv and
    the manifest saying "raw (no coded sample)", though one was given."""
    from themes.counts import LEARNED_ONLY_METHOD
    from themes.flows.code_responses import run_flow

    sample = tmp_path / "coded.csv"  # R2's and R3's challenges hold a codebook example whole (see above)
    sample.write_text("respondent_id,question,themes\nR2,challenges,cultural_differences\n"
                      "R3,challenges,data_challenges\n", encoding="utf-8")
    settings = RunSettings(codebook="codebooks/rfi_themes.yaml", model="test:hashing", cache_dir=str(tmp_path / "c"),
                           coded_sample=str(sample), min_group=2, min_coded=1)
    summary = run_flow(str(tiny_responses_path), str(tmp_path / "out"), settings)
    assert summary["coded_all_learned"] == 2
    counts = pd.read_csv(tmp_path / "out" / "theme_counts.csv")
    assert set(counts["method"]) == {LEARNED_ONLY_METHOD}
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["counts_method"] == LEARNED_ONLY_METHOD

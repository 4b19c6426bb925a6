"""Messy real-world exports: every answer comes out with a status, nothing identifying reaches a quote,
and a file or codebook that cannot be used fails with one clear line and leaves nothing behind.

The exports are built by tests/fixtures/make_messy.py (read its docstring for what is in them).
"""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from themes.cli import app
from themes.ingest import InputSpec
from themes.settings import RunSettings

pytestmark = pytest.mark.usefixtures("prefect_harness")

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "tests" / "fixtures" / "messy_export.csv"
XLSX = ROOT / "tests" / "fixtures" / "messy_export.xlsx"
CODEBOOK = ROOT / "codebooks" / "rfi_themes.yaml"
TEXT_COLUMNS = ["effective_practices", "challenges", "community_engagement", "data_sharing"]
READ = {"coded", "uncoded"}

# What the fixture's respondents wrote that must never reach a quote or the report.
PII = ["Maria", "Lopez", "James", "Carter", "mlopez@example.org", "example.org", "eastsidewellnesscollab",
       "(303) 555-0142", "720.555.0188", "206-555-0110", "555"]
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"\(?\b\d{3}\)?[ .-]?\d{3}[ .-]\d{4}\b")
# The report's SVG charts name their XML namespace (http://www.w3.org/2000/svg): that is not a respondent's.
URL = re.compile(r"https?://(?!www\.w3\.org/)|www\.(?!w3\.org/)|\b(?!w3\.org)[\w-]+\.(?:org|com|net)\b",
                 re.IGNORECASE)


def settings() -> RunSettings:
    # Ten quotes a theme, not five: most of the 15-17 respondents' coded passages are quoted, so that what the
    # quotes must show (names replaced, a list's items kept apart) does not hang on which five a change of the
    # classifier's scores puts first.
    return RunSettings(codebook=str(CODEBOOK), model="test:hashing", cache_dir=None, quotes_per_theme=10)


def raw_table(path: Path) -> pd.DataFrame:
    """The export as written, read without the package: the reference to compare the outputs with."""
    if path.suffix == ".csv":
        return pd.read_csv(path, encoding="cp1252", dtype=str, keep_default_na=False)
    rows = list(openpyxl.load_workbook(path)["Responses"].values)
    return pd.DataFrame([["" if v is None else str(v) for v in row] for row in rows[1:]], columns=rows[0])


class Run:
    """One flow run's output folder, read back."""

    def __init__(self, out: Path):
        self.out = out
        self.responses = pd.read_csv(out / "responses.csv", keep_default_na=False, dtype={"respondent_id": str})
        self.by_key = self.responses.set_index(["respondent_id", "question"])
        self.manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        self.segments = pd.read_csv(out / "segments.csv", keep_default_na=False, dtype={"respondent_id": str})

    def answer(self, respondent: str, question: str) -> str:
        return self.by_key.loc[(respondent, question), "answer"]

    def status(self, respondent: str, question: str) -> tuple[str, str]:
        row = self.by_key.loc[(respondent, question)]
        return row["status"], row["reason"]

    def shared_texts(self) -> dict[str, str]:
        """What program officers see: the quote files and the reports, every text cell of every sheet (the
        numbers are scores and counts: a score's digits, 0.96530002355, are not a phone number's)."""
        texts = {name: (self.out / name).read_text(encoding="utf-8-sig")
                 for name in ("quotes.csv", "report.md", "report.html")}
        book = openpyxl.load_workbook(self.out / "quotes.xlsx")
        for sheet in book:
            texts[f"quotes.xlsx:{sheet.title}"] = "\n".join(
                cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str))
        return texts


@pytest.fixture(scope="module")
def csv_runs(prefect_harness, tmp_path_factory) -> tuple[Run, Run]:
    from themes.flows.code_responses import run_flow

    base = tmp_path_factory.mktemp("messy_csv")
    for name in ("first", "second"):
        run_flow(str(CSV), str(base / name), settings())
    return Run(base / "first"), Run(base / "second")


@pytest.fixture(scope="module")
def xlsx_run(prefect_harness, tmp_path_factory) -> Run:
    from themes.flows.code_responses import run_flow

    out = tmp_path_factory.mktemp("messy_xlsx") / "out"
    run_flow(str(XLSX), str(out), settings(), InputSpec(sheet="Responses"))
    return Run(out)


@pytest.fixture(params=["csv", "xlsx"])
def run(request, csv_runs, xlsx_run) -> tuple[Run, Path]:
    return (csv_runs[0], CSV) if request.param == "csv" else (xlsx_run, XLSX)


# Nothing lost ---------------------------------------------------------------------------------------

def test_one_row_per_answer_and_the_accounting_adds_up(run):
    result, path = run
    raw = raw_table(path)
    expected = len(raw) * len(TEXT_COLUMNS)

    assert (len(raw), expected) == ((15, 60) if path == CSV else (17, 68))
    assert result.manifest["input"]["columns"]["text_columns"] == TEXT_COLUMNS
    assert len(result.responses) == expected
    assert sorted(zip(result.responses["source_row"], result.responses["question"])) == sorted(
        (row, question) for row in range(2, len(raw) + 2) for question in TEXT_COLUMNS)
    accounting = result.manifest["accounting"]
    assert accounting["input_answers"] == expected
    assert sum(v for k, v in accounting.items() if k != "input_answers") == expected
    assert result.manifest["accounting_adds_up"] is True
    assert {k: v for k, v in accounting.items() if k != "input_answers" and v} == \
        result.responses["status"].value_counts().to_dict()


def test_no_answer_with_letters_or_digits_comes_out_empty(run):
    result, path = run
    raw = raw_table(path)
    for position, row in raw.iterrows():
        for question in TEXT_COLUMNS:
            answer = result.responses[(result.responses["source_row"] == position + 2)
                                      & (result.responses["question"] == question)]["answer"].item()
            if any(ch.isalnum() for ch in row[question]):
                assert answer, (position + 2, question)


def test_each_answer_gets_the_status_it_should(run):
    result, path = run
    expected = {
        ("R103~2", "community_engagement"): ("non_answer", 'placeholder "see above"'),
        ("R103~2", "data_sharing"): ("empty", "blank"),
        ("R105", "effective_practices"): ("non_answer", 'placeholder "N/A"'),
        ("R105", "challenges"): ("non_answer", 'placeholder "none"'),
        ("R105", "community_engagement"): ("non_answer", "no letters or digits"),  # "-"
        ("R105", "data_sharing"): ("non_answer", 'placeholder "see above"'),
        ("R106", "effective_practices"): ("non_answer", 'placeholder "idk"'),
        ("R106", "challenges"): ("empty", "blank"),
        ("R106", "data_sharing"): ("empty", "blank"),  # spaces only
        ("R108", "data_sharing"): ("non_answer", 'placeholder "no sé"'),
        **{("R107", q): ("duplicate", "repeat of the submission of respondent R102") for q in TEXT_COLUMNS},
    }
    no_id = [p["respondent_id"] for p in result.manifest["respondent_id_problems"] if p["problem"] == "missing_id"]
    expected[(no_id[1], "community_engagement")] = ("non_answer", 'placeholder "N/A"')
    if path == XLSX:
        expected |= {("R114", "community_engagement"): ("empty", "blank"),
                     ("R114", "data_sharing"): ("non_answer", 'placeholder "N/A"'),
                     ("115", "challenges"): ("empty", "blank"),
                     ("115", "data_sharing"): ("non_answer", 'placeholder "none \U0001f937"')}
    spanish = {("R108", q) for q in TEXT_COLUMNS[:3]}
    long_answer = raw_table(path).set_index("respondent_id").at["R109", "challenges"]

    for key, row in result.by_key.iterrows():
        status, reason = row["status"], row["reason"]
        if key in expected:
            assert (status, reason) == expected[key], key
        elif key in spanish:
            assert status == "non_english" and reason.startswith("detected language 'es'; not coded"), key
        elif key == ("R109", "challenges"):
            assert (status, reason) == ("too_long", f"{len(long_answer.split())} words; coded on the first 1500 "
                                                    "(full text kept)")
        else:
            assert status in READ, (key, status, reason)


def test_the_long_answer_is_kept_whole_and_coded_on_its_start(run):
    result, path = run
    raw = raw_table(path).set_index("respondent_id").at["R109", "challenges"]
    answer = result.answer("R109", "challenges")

    assert len(raw.split()) > (20_000 if path == CSV else 4_000)
    assert answer.split() == raw.split()  # only blank lines between paragraphs are dropped
    segments = result.segments[(result.segments["respondent_id"] == "R109")
                               & (result.segments["question"] == "challenges")]
    assert sum(len(text.split()) for text in segments["text"]) == 1500


def test_generated_ids_are_stable_and_a_repeated_id_is_kept_apart(csv_runs):
    first, second = csv_runs
    problems = first.manifest["respondent_id_problems"]

    assert problems == second.manifest["respondent_id_problems"]
    assert list(first.responses["respondent_id"]) == list(second.responses["respondent_id"])
    assert problems[0] == {"row": 5, "problem": "repeated_id_different_content", "respondent_id": "R103~2",
                           "original_id": "R103"}
    assert [(p["row"], p["problem"]) for p in problems[1:]] == [(13, "missing_id"), (14, "missing_id")]
    generated = [p["respondent_id"] for p in problems[1:]]
    assert all(re.fullmatch(r"gen-[0-9a-f]{8}", g) for g in generated) and generated[0] != generated[1]
    ids_by_row = first.responses.groupby("source_row")["respondent_id"].agg(set).to_dict()
    assert (ids_by_row[4], ids_by_row[5], ids_by_row[13], ids_by_row[14]) == (
        {"R103"}, {"R103~2"}, {generated[0]}, {generated[1]})
    assert first.answer("R103", "effective_practices").startswith("What made it work:")
    assert first.answer("R103~2", "effective_practices").startswith("Consistency.")


# Cleaned, not mangled -------------------------------------------------------------------------------

def test_windows_characters_are_decoded_and_normalised(csv_runs):
    result = csv_runs[0]

    assert result.answer("R108", "effective_practices") == (
        "La confianza entre las organizaciones es lo más importante; nos conocemos desde hace muchos años y "
        "trabajamos juntos.")
    assert result.answer("R101", "effective_practices").startswith(
        "Honestly it's the relationships. Our community health worker, Maria Lopez, has worked side by side "
        "with the discharge nurses for six years - they trust each other")
    assert 'talk in acronyms and "care pathways," ours' in result.answer("R101", "challenges")


def test_mojibake_is_repaired_and_emoji_are_kept(xlsx_run):
    assert xlsx_run.answer("R114", "effective_practices") == (
        "Our director and the clinic manager have known each other since grad school, and it's that trust that "
        "carried us through 2019-2021.")
    assert xlsx_run.answer("R114", "challenges") == (
        "We don't have a budget line for coordination, and the hospital's grants only cover one year at a time.")
    assert not xlsx_run.responses["answer"].str.contains("â€|Ã", regex=True).any()
    assert xlsx_run.answer("115", "effective_practices") == (
        "Trust \U0001f91d and showing up every single week for our partners \U0001f4aa")


def test_html_and_bullet_lists_become_one_item_per_line(run):
    result, _ = run

    assert result.answer("R103", "effective_practices").split("\n") == [
        "What made it work:", "Monthly meetings with the hospital's care management team",
        "Shared goals written into the MOU", "Honest check-ins when something goes wrong"]
    assert result.answer("R103", "challenges").split("\n") == [
        "Staff turnover at the health department.",
        "Every new program manager means we start the relationship over from scratch."]
    assert result.answer("R104", "effective_practices").split("\n") == [
        "Trust built over many years", "A champion inside the health system who returns our calls",
        "Regular check-ins even when nothing is urgent"]
    assert result.answer("R104", "community_engagement").split("\n") == [
        "Community members on our board", "Surveys at every food distribution", "Town halls twice a year"]
    for text in pd.concat([result.responses["answer"], result.segments["text"]]):
        assert not re.search(r"</?(?:p|ul|li|div|br)\b|&#?\w+;", text), text
    for segment in result.segments.itertuples():  # segments start at a line or after a sentence's end
        answer = result.answer(segment.respondent_id, segment.question)
        assert answer[segment.start:segment.end] == segment.text
        before = answer[:segment.start].rstrip(" ")
        assert before == "" or before[-1] in "\n.!?", (segment.respondent_id, segment.question, before[-40:])


def test_quoted_fields_keep_their_commas_quotes_and_line_breaks(csv_runs):
    result = csv_runs[0]
    no_id = result.manifest["respondent_id_problems"][2]["respondent_id"]

    assert result.answer(no_id, "effective_practices") == (
        "Every Tuesday we meet with the clinic, the food bank, and the housing authority.\n"
        'We call it "the Tuesday table," and it has kept us honest with each other for five years.')


# Nothing identifying is shared ----------------------------------------------------------------------

def test_no_name_email_phone_or_url_reaches_quotes_or_reports(run):
    result, _ = run
    texts = result.shared_texts()

    assert set(texts) >= {"quotes.xlsx:Summary", "quotes.xlsx:trust", "quotes.xlsx:data_challenges"}
    for name, text in texts.items():
        for pii in PII:
            assert pii not in text, (name, pii)
        assert not EMAIL.search(text), (name, EMAIL.search(text))
        assert not PHONE.search(text), (name, PHONE.search(text))
        assert not URL.search(text), (name, URL.search(text))


def test_quotes_come_from_several_themes_with_their_pii_redacted(run):
    result, _ = run
    quotes = pd.read_csv(result.out / "quotes.csv", keep_default_na=False)

    assert set(quotes["theme"]) == {"trust", "cultural_differences", "community_engagement", "resource_needs",
                                    "data_challenges"}
    # The fixture put names, a phone number, an e-mail and a URL inside codable answers: they reach the
    # workbook (a quote, the answer it is cut from, or a theme's evidence sheet), redacted.
    sheets = {f"quotes.xlsx:{prefix}{theme}" for theme in set(quotes["theme"]) for prefix in ("", "evidence ")}
    shown = " ".join(text for name, text in result.shared_texts().items() if name in sheets)
    assert {"[name]", "[phone]", "[email]", "[url]"} <= set(re.findall(r"\[\w+\]", shown))
    assert "[name]" in " ".join(quotes["quote"])
    assert not (set(quotes["respondent_id"]) & {"R107"})  # the repeat submission is never quoted
    # A bullet list quoted whole keeps its items apart.
    assert "Trust built over many years / A champion inside the health system who returns our calls / Regular " \
           "check-ins even when nothing is urgent" in set(quotes["quote"])


# Clear errors, nothing half-written -----------------------------------------------------------------

DUPLICATE_IDS = """\
name: Messy test codebook
themes:
  - id: trust
    label: Trust
    definition: Trust between partner organizations.
  - id: funding
    label: Funding
    definition: Money and staff as a barrier.
  - id: trust
    label: Trust again
    definition: A second theme with the first one's id.
"""
THRESHOLD_OUT_OF_RANGE = """\
name: Messy test codebook
themes:
  - id: trust
    label: Trust
    definition: Trust between partner organizations.
    threshold: 1.7
"""


def _empty(folder: Path) -> tuple[Path, list[str], str]:
    path = folder / "empty.csv"
    path.write_bytes(b"")
    return path, [], f"{path} is empty (0 bytes). Export the survey again."


def _header_only(folder: Path) -> tuple[Path, list[str], str]:
    path = folder / "header.csv"
    path.write_bytes(CSV.read_bytes().split(b"\r\n", 1)[0] + b"\r\n")
    return path, [], f"{path} has no rows of data. Export the survey again, with its answers."


def _header_and_blank_rows(folder: Path) -> tuple[Path, list[str], str]:
    path = folder / "header.csv"
    path.write_bytes(CSV.read_bytes().split(b"\r\n", 1)[0] + b"\r\n,,,,,,\r\n,, ,,,,\r\n")
    return path, [], f"{path} has no rows of data. Export the survey again, with its answers."


def _docx(folder: Path) -> tuple[Path, list[str], str]:
    path = folder / "answers.docx"
    path.write_bytes(b"PK\x03\x04" + bytes(60))
    return path, [], f"{path}: unknown file type '.docx'. Use .csv, .tsv, .xlsx, .jsonl or .parquet."


def _binary(folder: Path) -> tuple[Path, list[str], str]:
    path = folder / "export.csv"
    path.write_bytes(random.Random(6).randbytes(4096))
    return path, [], f"{path} holds binary data, not text. Is it the right file? Export the survey as CSV and retry."


def _workbook_named_csv(folder: Path) -> tuple[Path, list[str], str]:
    path = folder / "export.csv"
    shutil.copy(XLSX, path)
    return path, [], (f"{path} looks like an Excel workbook, not CSV text. Rename it to .xlsx (save an old .xls "
                      "as .xlsx) and retry.")


def _missing_sheet(folder: Path) -> tuple[Path, list[str], str]:
    return XLSX, ["--sheet", "Answers"], (f"{XLSX} has no sheet 'Answers'. Sheets: Instructions, Responses. "
                                          "Pass one with --sheet.")


def _formulas_never_computed(folder: Path) -> tuple[Path, list[str], str]:
    # A script (openpyxl) wrote the answers as formulas and never computed them: each would read as a blank answer.
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["respondent_id", "org_type", "challenges"])
    for k in range(12):
        book.active.append([f"R{k}", "Hospital", f'="Funding ran out in year "&{k + 1}&" and staff left"'])
    path = folder / "computed.xlsx"
    book.save(path)
    return path, [], (f"{path}: 12 cells of column 'challenges' (first in row 2) hold a formula whose result was never "
                      "saved, so they would read as blank: open the workbook in Excel or LibreOffice, save it, and run "
                      "again (answers that begin with '=': export them again as text).")


def _codebook(text: str, line: int, message: str):
    def make(folder: Path) -> tuple[Path, list[str], str]:
        path = folder / "codebook.yaml"
        path.write_text(text, encoding="utf-8")
        return CSV, ["--codebook", str(path)], f"{path}:{line}: {message}"
    return make


@pytest.mark.parametrize("make", [
    _empty, _header_only, _header_and_blank_rows, _docx, _binary, _workbook_named_csv, _missing_sheet,
    _formulas_never_computed,
    _codebook(DUPLICATE_IDS, 9, "[top level] theme id 'trust' is used twice; give each theme its own id"),
    _codebook(THRESHOLD_OUT_OF_RANGE, 6, "[themes -> 0 -> threshold] The 'threshold' of theme 'trust' must be in "
                                         "[0, 1]. Got 1.7 instead."),
], ids=["empty", "header-only", "header-and-blank-rows", "docx", "binary", "workbook-named-csv", "missing-sheet",
        "formulas-never-computed", "duplicate-theme-ids", "threshold-out-of-range"])
def test_unusable_input_fails_with_one_line_and_writes_nothing(tmp_path, make):
    inputs = tmp_path / "in"
    inputs.mkdir()
    path, extra, message = make(inputs)
    out = tmp_path / "out"

    result = CliRunner().invoke(app, ["run", str(path), "--model", "test:hashing", "--out", str(out), "--no-cache",
                                      "--codebook", str(CODEBOOK), *extra])

    assert result.exit_code == 2
    assert result.output.strip() == f"error: {message}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no output folder, no hidden .out.partial-*


def test_an_interrupted_run_leaves_no_folder(tmp_path, monkeypatch):
    # Ctrl-C while the files are written; a forced rerun that fails keeps the previous run (test_export).
    from themes import export
    from themes.flows.code_responses import run_flow

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(export, "write_quotes_workbook", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_flow(str(XLSX), str(tmp_path / "out"), settings(), InputSpec(sheet="Responses"))

    assert list(tmp_path.iterdir()) == []  # neither out/ nor a hidden .out.partial-*

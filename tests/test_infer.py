"""A stranger's exports read with no options: the id, wide or long, metadata and the sheet guessed from
names and shapes, announced; a doubtful guess stops with one line naming the option to pass."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from exports import QUESTIONS, RESPONDENTS, sample, write_batch_xlsx, write_long_csv

from themes.errors import InputError
from themes.infer import announcement, guess_id_column
from themes.ingest import InputSpec, load_answers


@pytest.fixture
def batch_xlsx(tmp_path) -> Path:
    return write_batch_xlsx(tmp_path)


@pytest.fixture
def long_csv(tmp_path) -> Path:
    return write_long_csv(tmp_path)


def test_a_workbook_with_a_read_me_sheet_first_is_read_from_its_answers(batch_xlsx):
    answers, spec, problems = load_answers(batch_xlsx, InputSpec())

    assert spec.sheet == "Responses" and spec.sources["sheet"] == "guessed: 'Read me' has no table of answers"
    assert (spec.id_column, spec.sources["id_column"]) == ("Submission ID", "guessed")
    assert spec.text_columns == tuple(QUESTIONS.values())
    assert spec.meta_columns == ("Organization category", "State / territory")
    assert not spec.is_long and problems == []
    assert list(answers["respondent_id"].unique()) == list(sample()["respondent_id"])
    assert len(answers) == RESPONDENTS * 3
    first = answers.iloc[0]
    assert (first["Organization category"], first["State / territory"]) == tuple(sample().iloc[0][["org_type",
                                                                                                  "state"]])


def test_a_long_csv_is_recognised_by_its_shape(long_csv):
    answers, spec, problems = load_answers(long_csv, InputSpec())

    assert spec.is_long and (spec.id_column, spec.question_column, spec.answer_column) == \
        ("resp_id", "item_code", "response_text")
    assert spec.sources["format"] == ("guessed from its shape: 'item_code' has 3 values that vary within each "
                                      "respondent, 'response_text' holds the text")
    assert answers["respondent_id"].nunique() == RESPONDENTS and problems == []
    wide = sample().melt(id_vars=["respondent_id"], value_vars=list(QUESTIONS), value_name="answer")
    wide = wide[wide["answer"].str.strip() != ""]
    assert sorted(zip(answers["respondent_id"], answers["answer_raw"])) == \
        sorted(zip(wide["respondent_id"], wide["answer"]))


def test_the_announcement_says_what_was_read_and_where_each_choice_came_from(batch_xlsx, long_csv):
    _, spec, _ = load_answers(batch_xlsx, InputSpec())
    assert announcement(spec, batch_xlsx, respondents=45, answers=135) == [
        f"Reading {batch_xlsx}: 45 respondents, 135 answers",
        "  sheet      'Responses' (guessed: 'Read me' has no table of answers)",
        "  format     wide, one row per respondent (guessed: no column varies like a question within a "
        "respondent)",
        "  text       'Q4. What has made this partnership effective?', 'Q5. What challenges hold the partnership "
        "back?', 'Q6. How does the partnership engage the community?' (guessed: free text)",
        "  id         'Submission ID' (guessed from its name)",
        "  metadata   'Organization category', 'State / territory' (guessed from their names)",
        "  quotes     attributed by 'Organization category', 'State / territory' (guessed: the respondent's type and "
        "place; --attribute-with chooses others)"]
    _, spec, _ = load_answers(long_csv, InputSpec(id_column="resp_id"))
    lines = announcement(spec, long_csv)
    assert lines[1].startswith("  format     long, one row per answer (guessed from its shape: 'item_code'")
    assert lines[2:] == ["  question   'item_code'; answer 'response_text'", "  id         'resp_id' (option)",
                         "  metadata   none found (--meta-column names the columns to break counts down by)"]


@pytest.mark.parametrize("name", ["respondent_id", "Submission ID", "Response ID", "Respondent #", "resp_id",
                                  "Respondent No.", "ID",
                                  # French and Spanish exports, the number's mark first (review 152)
                                  "N° répondant", "Nº de encuestado", "Numéro de réponse", "ID del encuestado"])
def test_id_columns_are_recognised_as_real_exports_name_them(name):
    assert guess_id_column(["Organization category", name, "Q4. What has made this partnership effective?"]) == name


@pytest.mark.parametrize("name", ["Q4. What has made this partnership effective?", "Identity of partners",
                                  "paid", "Idea", "No answer reason", "Number of staff",
                                  "No response", "No participant"])  # review 154
def test_other_columns_are_not_taken_for_ids(name):
    assert guess_id_column([name, "State / territory"]) is None


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_without_an_id_column_stops_and_names_the_option(tmp_path):
    path = write(tmp_path / "noid.csv", "Organization category,comments\n"
                                        "CBO,We trust each other after years of shared work\n"
                                        "Clinic,Money is short and grants end far too soon\n")
    with pytest.raises(InputError, match=re.escape(
            "No respondent id column found (columns: Organization category, comments). Pass --id-column with its "
            "name, or --id-column none to name each row as a respondent by its content.")):
        load_answers(path, InputSpec())
    answers, spec, problems = load_answers(path, InputSpec(id_column="none"))
    assert spec.id_column is None and spec.sources["id_column"] == "option --id-column none"
    assert problems == []  # named by their content, as asked: no id is missing
    assert answers["respondent_id"].str.fullmatch(r"gen-[0-9a-f]{8}").all() and answers["respondent_id"].nunique() == 2
    assert spec.meta_columns == ("Organization category",) and len(answers) == 2
    assert ("  id         none: each row a respondent, named by its content ('gen-' and 8 hex digits; the same row "
            "exported twice is one) (option --id-column none)") in announcement(spec, path, problems=problems)


def test_a_single_guessed_answer_stops_and_names_the_options(tmp_path):
    path = write(tmp_path / "one.csv", "respondent_id,comments\nR1,We trust each other after years of shared work\n")
    with pytest.raises(InputError, match=re.escape(
            f"{path}: only 1 answer found in the guessed column(s) comments; name the sheet with --sheet or the "
            "answer columns with --text-column.")):
        load_answers(path, InputSpec())
    answers, _, _ = load_answers(path, InputSpec(text_columns=("comments",)))
    assert len(answers) == 1


def test_answers_that_mostly_repeat_stop_as_a_misread_long_file(tmp_path):
    # A long file whose question column is not there to be found, read wide: most answers repeat (the ids
    # are unique; the answers, seven distinct among twelve, still pass for free text).
    texts = [f"Answer number {n} about how the partnership works" for n in (1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 7)]
    lines = ["respondent_id,answer_text"] + [f"R{i},{text}" for i, text in enumerate(texts)]
    path = write(tmp_path / "dupes.csv", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match=re.escape(
            f"{path}: 10 of 12 answers repeat another row's word for word, so the columns were likely misread; for a "
            "long file (one row per answer) pass --question-column and --answer-column, else name the columns "
            "with --text-column.")):
        load_answers(path, InputSpec())
    answers, _, _ = load_answers(path, InputSpec(text_columns=("answer_text",)))
    assert len(answers) == 12


def test_metadata_is_a_constant_of_the_respondent_not_the_question_of_a_long_file(tmp_path, long_csv):
    table = pd.read_csv(long_csv, dtype=str, keep_default_na=False)
    states = dict(zip(sample()["respondent_id"], sample()["state"]))
    table.insert(1, "Region", table["resp_id"].map(states))
    path = tmp_path / "long_with_region.csv"
    table.to_csv(path, index=False)

    _, spec, _ = load_answers(path, InputSpec())
    assert spec.question_column == "item_code" and spec.meta_columns == ("Region",)


def test_the_announcement_names_the_sidecar_that_set_the_columns(repo_root):
    path = repo_root / "data" / "sample_rfi" / "responses.csv"
    _, spec, _ = load_answers(path, InputSpec())
    assert announcement(spec, path)[1:] == [
        "  format     wide, one row per respondent (sidecar responses.yaml)",
        "  text       'goals', 'services', 'funding', 'data', 'effective_practices', 'challenges', "
        "'community_engagement', 'five_year_goals' (sidecar responses.yaml)",
        "  id         'respondent_id' (sidecar responses.yaml)",
        "  metadata   'org_type', 'state' (sidecar responses.yaml)",
        "  quotes     attributed by 'org_type', 'state' (guessed: the respondent's type and place; --attribute-with "
        "chooses others)"]


def _workbook(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    with pd.ExcelWriter(path) as book:
        for name, table in sheets.items():
            table.to_excel(book, sheet_name=name, index=False)
    return path


READ_ME = pd.DataFrame({"Notes": ["Exported from the portal.", "Answers are on the Data sheet."]})
CODES = pd.DataFrame({"Code": ["trust", "data"], "Label": ["Trust between partners", "Data sharing"]})


def test_a_list_of_codes_is_not_taken_for_the_table_of_answers(tmp_path):
    data = pd.DataFrame({"respondent_id": ["R1", "R2", "R3"],
                         "challenges": ["Grants end before the work does, every single year.",
                                        "We have trusted the clinic's staff for a decade now.",
                                        "Our data systems cannot talk to the hospital's records."]})
    path = _workbook(tmp_path / "export.xlsx", {"Read me": READ_ME, "Codes": CODES, "Data": data})
    answers, spec, _ = load_answers(path, InputSpec())
    assert spec.sheet == "Data" and len(answers) == 3


def test_a_workbook_with_no_table_of_answers_names_the_sheet_it_read(tmp_path):
    path = _workbook(tmp_path / "export.xlsx", {"Read me": READ_ME, "Codes": CODES})
    with pytest.raises(InputError, match=re.escape("(Read sheet 'Read me' of 'Read me', 'Codes'; pass --sheet to "
                                                   "read another.)")):
        load_answers(path, InputSpec())


def test_metadata_asked_as_a_question_in_the_header_is_found(tmp_path):
    """SurveyMonkey, Google and Microsoft Forms head each column with its question: the type and state were
    found under Qualtrics's Q1 and Q2 (whose question text is read without its asking words) but not here."""
    rows = ["Respondent ID,What type of organization are you?,In which state is your partnership based?,"
            "What challenges hold the partnership back?"]
    kinds, states = ["Nonprofit CBO", "Government", "Health care organization"], ["OH", "MI", "CA", "TX"]
    for k in range(24):
        rows.append(f"R{k},{kinds[k % 3]},{states[k % 4]},Grants end after {k} years and we lose the staff we "
                    "trained for months")
    path = tmp_path / "forms.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    _, spec, _ = load_answers(path, InputSpec())
    assert spec.meta_columns == ("What type of organization are you?", "In which state is your partnership based?")

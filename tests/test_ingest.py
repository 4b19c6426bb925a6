"""Reading survey exports: formats, encodings, column settings, respondent ids and their errors."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest

from themes.errors import InputError
from themes.infer import announcement
from themes.ingest import InputSpec, load_answers, read_table

WIDE = """\
rid,kind,q1,q2
A,CBO,Trust matters to us a lot here,Money is short for everything we do
B,Gov,We meet monthly with partners,Data sharing is slow and painful
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def raises_exactly(message: str):
    return pytest.raises(InputError, match=f"^{re.escape(message)}$")


def rows(answers: pd.DataFrame, *columns: str) -> list[tuple]:
    return list(answers[list(columns)].itertuples(index=False, name=None))


# Column settings ------------------------------------------------------------------------------------

def test_wide_csv_with_sidecar(tmp_path):
    path = write(tmp_path / "wide.csv", WIDE)
    write(tmp_path / "wide.yaml", "id_column: rid\ntext_columns: [q1, q2]\nmeta_columns: kind\n")

    answers, spec, problems = load_answers(path, InputSpec())

    assert (spec.id_column, spec.text_columns, spec.meta_columns) == ("rid", ("q1", "q2"), ("kind",))
    assert spec.sources == {"id_column": "sidecar wide.yaml", "text_columns": "sidecar wide.yaml",
                            "meta_columns": "sidecar wide.yaml"}
    assert list(answers.columns) == ["respondent_id", "question", "answer_raw", "source_row", "kind"]
    assert rows(answers, "respondent_id", "question", "answer_raw", "source_row", "kind") == [
        ("A", "q1", "Trust matters to us a lot here", 2, "CBO"),
        ("A", "q2", "Money is short for everything we do", 2, "CBO"),
        ("B", "q1", "We meet monthly with partners", 3, "Gov"),
        ("B", "q2", "Data sharing is slow and painful", 3, "Gov"),
    ]
    assert problems == []


def test_options_override_sidecar(tmp_path):
    path = write(tmp_path / "wide.csv", WIDE)
    write(tmp_path / "wide.yaml", "id_column: rid\ntext_columns: [q1, q2]\nmeta_columns: kind\n")

    answers, spec, _ = load_answers(path, InputSpec(text_columns=("q2",)))

    assert spec.text_columns == ("q2",)
    assert spec.sources["text_columns"] == "option"
    assert spec.sources["id_column"] == "sidecar wide.yaml"
    assert rows(answers, "respondent_id", "question") == [("A", "q2"), ("B", "q2")]


def test_sidecar_with_unknown_setting(tmp_path):
    path = write(tmp_path / "wide.csv", WIDE)
    sidecar = write(tmp_path / "wide.yaml", "id_column: rid\ntext_column: q1\n")

    allowed = ["answer_column", "attribute_with", "header_row", "id_column", "meta_columns", "question_as",
               "question_column", "sheet", "text_columns"]
    with raises_exactly(f"{sidecar}: unknown setting(s) ['text_column']; allowed: {allowed}."):
        load_answers(path, InputSpec())


def test_the_sidecars_question_as_maps_questions_to_the_calibrations(tmp_path):
    path = write(tmp_path / "wide.csv", WIDE)
    write(tmp_path / "wide.yaml", "id_column: rid\nquestion_as:\n  q1: challenges\n  2024: goals\n")

    _, spec, _ = load_answers(path, InputSpec())

    assert spec.question_as == (("q1", "challenges"), ("2024", "goals"))
    assert spec.sources["question_as"] == "sidecar wide.yaml"
    # the option wins over the sidecar, whole
    _, spec, _ = load_answers(path, InputSpec(question_as=(("q2", "goals"),)))
    assert spec.question_as == (("q2", "goals"),) and spec.sources["question_as"] == "option"


@pytest.mark.parametrize("written", ["question_as: [q1, challenges]", "question_as: q1=challenges",
                                     "question_as:\n  q1: [challenges, goals]", "question_as:\n  q1:"])
def test_a_sidecars_question_as_not_a_mapping_is_one_line(tmp_path, written):
    path = write(tmp_path / "wide.csv", WIDE)
    sidecar = write(tmp_path / "wide.yaml", f"id_column: rid\n{written}\n")

    with pytest.raises(InputError, match=f"^{re.escape(str(sidecar))}: question_as maps each survey question to a "
                       "calibration question's name; got .* Write it as lines under 'question_as:'"):
        load_answers(path, InputSpec())


def test_long_format(tmp_path):
    path = write(tmp_path / "long.csv", "respondent,question,answer,state\n"
                                        "A,goals,Housing for all,OH\nA,challenges,Funding,OH\nB,goals,Food,CA\n")

    answers, spec, problems = load_answers(path, InputSpec())

    assert (spec.id_column, spec.question_column, spec.answer_column) == ("respondent", "question", "answer")
    assert spec.is_long and spec.meta_columns == ("state",)
    assert rows(answers, "respondent_id", "question", "answer_raw", "source_row", "state") == [
        ("A", "goals", "Housing for all", 2, "OH"),
        ("A", "challenges", "Funding", 3, "OH"),
        ("B", "goals", "Food", 4, "CA"),
    ]
    assert problems == []  # a long file repeats ids by design


def test_long_format_with_named_columns(tmp_path):
    path = write(tmp_path / "long.csv", "who,item,text\nA,goals,Housing\nB,goals,Food\n")

    answers, spec, _ = load_answers(path, InputSpec(id_column="who", question_column="item", answer_column="text"))

    assert rows(answers, "respondent_id", "question", "answer_raw") == [("A", "goals", "Housing"),
                                                                         ("B", "goals", "Food")]


def test_guessed_columns_when_nothing_is_declared(tiny_responses_path):
    answers, spec, problems = load_answers(tiny_responses_path, InputSpec())

    assert spec.id_column == "respondent_id"
    assert spec.text_columns == ("challenges", "effective_practices", "community_engagement")
    assert spec.meta_columns == ("org_type", "state")
    assert spec.sources == {"id_column": "guessed", "text_columns": "guessed", "meta_columns": "guessed",
                            "format": "guessed: no column varies like a question within a respondent",
                            "attribute_with": "guessed"}
    assert spec.attribute_with == ("org_type", "state")
    assert len(answers) == 15
    assert rows(answers.head(3), "respondent_id", "question", "org_type", "state") == [
        ("R1", "challenges", "Nonprofit CBO", "OH"),
        ("R1", "effective_practices", "Nonprofit CBO", "OH"),
        ("R1", "community_engagement", "Nonprofit CBO", "OH"),
    ]
    assert answers.at[5, "answer_raw"] == "N/A"
    assert answers.at[9, "answer_raw"] == ""  # R4 left "challenges" blank: kept, as an empty answer
    assert problems == []


def test_short_closed_columns_are_not_guessed_as_text(tmp_path):
    path = write(tmp_path / "s.csv", "id,year,funding_sources,goals\n"
                                     "1,2015,Grants,We want every family in the county to have a home\n"
                                     "2,2019,Contracts,Fewer emergency visits and better food security for kids\n")

    _, spec, _ = load_answers(path, InputSpec())

    assert spec.text_columns == ("goals",)


def test_no_free_text_column(tmp_path):
    path = write(tmp_path / "s.csv", "id,year,state\n1,2015,OH\n2,2019,CA\n")

    with raises_exactly("No free-text column found. Name them with --text-column (repeatable). "
                        "Columns: id, year, state."):
        load_answers(path, InputSpec())


def test_unknown_column_lists_columns_and_closest_match(tiny_responses_path):
    with raises_exactly("Column 'challenge' (from --text-column) is not in the file. Did you mean "
                        "'challenges'? Columns: respondent_id, org_type, state, challenges, effective_practices, "
                        "community_engagement."):
        load_answers(tiny_responses_path, InputSpec(text_columns=("challenge",)))


def test_unknown_column_without_a_close_match(tiny_responses_path):
    with raises_exactly("Column 'zzz' (from --meta-column) is not in the file. Columns: respondent_id, "
                        "org_type, state, challenges, effective_practices, community_engagement."):
        load_answers(tiny_responses_path, InputSpec(meta_columns=("zzz",)))


def test_unknown_column_from_the_sidecar_names_the_sidecar(tmp_path):
    path = write(tmp_path / "wide.csv", WIDE)
    write(tmp_path / "wide.yaml", "id_column: rid\ntext_columns: [q1, q3]\n")

    with raises_exactly("Column 'q3' (from text_columns in the sidecar wide.yaml) is not in the file. Did you mean "
                        "'q2'? Columns: rid, kind, q1, q2."):
        load_answers(path, InputSpec())


# Formats --------------------------------------------------------------------------------------------

WAVE_1 = pd.DataFrame({"respondent_id": ["R1", "R2"], "state": ["OH", "CA"],
                       "goals": ["Build housing for families in need together",
                                 "Feed every child in the county, every day of the year"]})
WAVE_2 = pd.DataFrame({"respondent_id": ["S1"], "challenges": ["Funding is short-term and staff keep leaving us"]})


@pytest.fixture
def workbook(tmp_path) -> Path:
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        WAVE_1.to_excel(writer, sheet_name="Wave 1", index=False)
        WAVE_2.to_excel(writer, sheet_name="Wave 2", index=False)
    return path


def test_xlsx_reads_the_first_sheet_by_default(workbook):
    answers, _, _ = load_answers(workbook, InputSpec())

    assert rows(answers, "respondent_id", "question", "answer_raw", "state") == [
        ("R1", "goals", "Build housing for families in need together", "OH"),
        ("R2", "goals", "Feed every child in the county, every day of the year", "CA"),
    ]


def test_xlsx_sheet_option(workbook):
    answers, spec, _ = load_answers(workbook, InputSpec(sheet="Wave 2"))

    assert spec.sheet == "Wave 2"
    assert rows(answers, "respondent_id", "question", "answer_raw") == [
        ("S1", "challenges", "Funding is short-term and staff keep leaving us")]


def test_xlsx_sheet_from_sidecar(workbook):
    write(workbook.with_suffix(".yaml"), "sheet: Wave 2\n")

    answers, spec, _ = load_answers(workbook, InputSpec())

    assert spec.sources["sheet"] == "sidecar book.yaml"
    assert list(answers["respondent_id"]) == ["S1"]


def test_xlsx_unknown_sheet_lists_sheets(workbook):
    with raises_exactly(f"{workbook} has no sheet 'Wave 3'. Sheets: Wave 1, Wave 2. Pass one with --sheet."):
        load_answers(workbook, InputSpec(sheet="Wave 3"))


def test_an_unknown_sheet_the_sidecar_named_points_at_the_sidecar(workbook):
    # batch 1's sidecar beside batch 2's workbook: "Pass one with --sheet" sent the user looking for an option
    write(workbook.with_suffix(".yaml"), "sheet: Wave 3\n")
    with raises_exactly(f"{workbook} has no sheet 'Wave 3'. Sheets: Wave 1, Wave 2. Correct 'sheet' in the sidecar "
                        "book.yaml (or pass one with --sheet)."):
        load_answers(workbook, InputSpec())


def test_xlsx_numeric_ids_are_text(tmp_path):
    path = tmp_path / "n.xlsx"
    pd.DataFrame({"id": [101, 102], "answer_text": ["Trust.", "Money."]}).to_excel(path, index=False)

    answers, _, _ = load_answers(path, InputSpec(text_columns=("answer_text",)))

    assert list(answers["respondent_id"]) == ["101", "102"]


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".parquet"])
def test_jsonl_json_and_parquet(tmp_path, suffix):
    path = tmp_path / f"answers{suffix}"
    if suffix == ".parquet":
        WAVE_1.to_parquet(path)
    else:
        WAVE_1.to_json(path, orient="records", lines=suffix == ".jsonl")

    answers, spec, _ = load_answers(path, InputSpec())

    assert spec.text_columns == ("goals",)
    assert rows(answers, "respondent_id", "question", "answer_raw", "source_row", "state") == [
        ("R1", "goals", "Build housing for families in need together", 2, "OH"),
        ("R2", "goals", "Feed every child in the county, every day of the year", 3, "CA"),
    ]


def test_null_answers_in_parquet_become_empty_text(tmp_path):
    path = tmp_path / "n.parquet"
    pd.DataFrame({"id": [1, 2], "text": ["We trust each other after years of work", None]}).to_parquet(path)

    answers, _, _ = load_answers(path, InputSpec(text_columns=("text",)))

    assert rows(answers, "respondent_id", "answer_raw") == [("1", "We trust each other after years of work"),
                                                             ("2", "")]


def test_blank_rows_are_not_respondents_and_rows_keep_their_numbers(tmp_path):
    # Excel writes ",," lines for rows that were once used; a blank line, spaces only, then real rows.
    path = write(tmp_path / "blank.csv", "respondent_id,answer_text\n"
                                         "R1,We trust each other\n,\n\n , \t\n,Money is short\nR2,Data\n,\n,\n")

    answers, _, problems = load_answers(path, InputSpec(text_columns=("answer_text",)))

    assert rows(answers, "answer_raw", "source_row") == [("We trust each other", 2), ("Money is short", 6),
                                                         ("Data", 7)]
    assert [(p["row"], p["problem"]) for p in problems] == [(6, "missing_id")]


def test_formatted_but_empty_excel_rows_are_not_respondents(tmp_path):
    import openpyxl

    path = tmp_path / "ghost.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["respondent_id", "answer_text"])
    sheet.append(["R1", "We trust each other"])
    sheet["A4"] = "R2"
    sheet["B4"] = "Money is short"
    sheet["A6"].number_format = "0"  # touched, never filled
    sheet["B7"] = " "
    book.save(path)

    answers, _, problems = load_answers(path, InputSpec(text_columns=("answer_text",)))

    assert rows(answers, "respondent_id", "source_row") == [("R1", 2), ("R2", 4)]
    assert problems == []


def test_header_and_blank_rows_only(tmp_path):
    path = write(tmp_path / "blank.csv", "id,answer_text\n,\n,\n")

    with raises_exactly(f"{path} has no rows of data. Export the survey again, with its answers."):
        load_answers(path, InputSpec())


# Encodings and quoting ------------------------------------------------------------------------------

def test_cp1252_csv_with_smart_quotes(tmp_path):
    text = ("respondent_id,answer_text\n"
            "R1,\u201cTrust\u201d isn\u2019t enough \u2013 we need funding for the caf\u00e9 program\n"
            "R2,Our partners\u2019 staff know the families\u2026 and they care about them\n")
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("cp1252"))

    answers, _, _ = load_answers(path, InputSpec(text_columns=("answer_text",)))

    assert list(answers["answer_raw"]) == [
        "\u201cTrust\u201d isn\u2019t enough \u2013 we need funding for the caf\u00e9 program",
        "Our partners\u2019 staff know the families\u2026 and they care about them",
    ]


def test_cp1252_letters_that_other_windows_code_pages_read_differently(tmp_path):
    # cp1250 and cp1257 fit these bytes as well as cp1252 does, but read "ñ" as "ń" and "ó" as "ó"/"ų".
    text = ("respondent_id,answer_text\n"
            "R1,\u201cWe\u2019ve worked together for years \u2013 the clinic trusts our promotoras\u201d\n"
            "R2,Hacemos reuniones con las familias cada a\u00f1o y escuchamos sus ideas\n"
            "R3,La confianza es lo m\u00e1s importante para la colaboraci\u00f3n\n")
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("cp1252"))

    answers, _, _ = load_answers(path, InputSpec(text_columns=("answer_text",)))

    assert list(answers["answer_raw"]) == [line.split(",", 1)[1] for line in text.splitlines()[1:]]


def test_a_windows_export_with_many_accents_is_not_read_as_a_mac_code_page(tmp_path):
    """An operator's review: a cp1252 export of 40 respondents whose answers end in "Café santé." (478 "é", 4 "•";
    tests/fixtures/windows_accents.csv) was read as Mac Latin 2, which detection found the more coherent: "Cafť
    santť" reached the quotes and the report."""
    path = Path(__file__).parent / "fixtures" / "windows_accents.csv"

    answers, spec, _ = load_answers(path, InputSpec())

    assert spec.sources["encoding"] == "cp1252"
    assert answers["answer_raw"].str.contains("Caf\u00e9 sant\u00e9").sum() > 200
    assert not answers["answer_raw"].str.contains("\u0165").any()  # "ť"


@pytest.mark.parametrize("odd", ["hospital\u2019s", "espa\u00f1ol", "Pe\u00f1a", "na\u00efve"])
def test_one_windows_character_in_an_english_export_is_read_as_windows_text(tmp_path, odd):
    """One "’" or "ñ" fits Big5 or a DOS code page byte for byte, and detection took them: "hospital𠏋",
    "espa±ol"."""
    rows = [f"R{k},We meet every month and the staff share what they learn about each family" for k in range(30)]
    rows[7] = f"R7,The {odd} staff never call back about the families we refer to them"
    path = tmp_path / "export.csv"
    path.write_bytes(("respondent_id,answer_text\n" + "\n".join(rows) + "\n").encode("cp1252"))

    answers, spec, _ = load_answers(path, InputSpec(text_columns=("answer_text",)))

    assert answers["answer_raw"].iloc[7] == rows[7].split(",", 1)[1] and spec.sources["encoding"] == "cp1252"


def test_a_chinese_export_is_still_read_as_chinese(tmp_path):
    rows = [f"R{k},我们每个月都和医院开会，分享我们对每个家庭的了解" for k in range(20)]
    path = tmp_path / "export.csv"
    path.write_bytes(("respondent_id,answer_text\n" + "\n".join(rows) + "\n").encode("gb18030"))

    answers, _, _ = load_answers(path, InputSpec(text_columns=("answer_text",)))

    assert answers["answer_raw"].iloc[3] == rows[3].split(",", 1)[1]


def test_utf8_bom_is_not_part_of_the_first_column(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffrespondent_id,answer_text\nR1,Caf\u00e9 \u2014 trust matters\n".encode("utf-8"))

    assert list(read_table(path).columns) == ["respondent_id", "answer_text"]
    answers, spec, _ = load_answers(path, InputSpec(text_columns=("answer_text",)))
    assert spec.id_column == "respondent_id"
    assert rows(answers, "respondent_id", "answer_raw") == [("R1", "Caf\u00e9 \u2014 trust matters")]


def test_quoted_fields_with_newlines_and_quotes(tmp_path):
    path = write(tmp_path / "nl.csv", 'respondent_id,answer_text\n'
                                      'R1,"Line one, with a comma.\nLine two ""quoted""."\nR2,plain\n')

    answers, _, _ = load_answers(path, InputSpec(text_columns=("answer_text",)))

    assert rows(answers, "respondent_id", "answer_raw", "source_row") == [
        ("R1", 'Line one, with a comma.\nLine two "quoted".', 2), ("R2", "plain", 3)]


def test_tsv(tmp_path):
    path = write(tmp_path / "t.tsv", "id\tanswer_text\n1\tTrust, respect, and time\n")

    answers, _, _ = load_answers(path, InputSpec(text_columns=("answer_text",)))

    assert rows(answers, "respondent_id", "answer_raw") == [("1", "Trust, respect, and time")]


def test_na_like_values_are_kept_as_text(tmp_path):
    path = write(tmp_path / "na.csv", "id,answer_text\n1,N/A\n2,NA\n3,null\n")

    answers, _, _ = load_answers(path, InputSpec(text_columns=("answer_text",)))

    assert list(answers["answer_raw"]) == ["N/A", "NA", "null"]  # the screening step decides what they mean


# File errors ----------------------------------------------------------------------------------------

def test_empty_file(tmp_path):
    path = write(tmp_path / "empty.csv", "")

    with raises_exactly(f"{path} is empty (0 bytes). Export the survey again."):
        load_answers(path, InputSpec())


def test_header_only_file(tmp_path):
    path = write(tmp_path / "header.csv", "id,answer_text\n")

    with raises_exactly(f"{path} has no rows of data. Export the survey again, with its answers."):
        load_answers(path, InputSpec())


def test_missing_file(tmp_path):
    path = tmp_path / "missing.csv"

    with raises_exactly(f"Input file not found: {path}. Check the path."):
        load_answers(path, InputSpec())


def test_unknown_file_type(tmp_path):
    path = write(tmp_path / "answers.docx", "x")

    with raises_exactly(f"{path}: unknown file type '.docx'. Use .csv, .tsv, .xlsx, .jsonl or .parquet."):
        load_answers(path, InputSpec())


def test_a_csv_that_is_not_an_xlsx(tmp_path):
    path = write(tmp_path / "answers.xlsx", WIDE)

    with pytest.raises(InputError, match=f"^{re.escape(str(path))} is a text file, not a workbook \\(a CSV named "
                                         r"\.xlsx\?\)\. Rename it to \.csv and run again\.$"):
        load_answers(path, InputSpec())


def test_a_workbook_with_a_csv_name(tmp_path, workbook):
    path = tmp_path / "export.csv"
    path.write_bytes(workbook.read_bytes())

    with raises_exactly(f"{path} looks like an Excel workbook, not CSV text. Rename it to .xlsx (save an old "
                        ".xls as .xlsx) and retry."):
        load_answers(path, InputSpec())


@pytest.mark.parametrize("content", [bytes(range(256)) * 4, b"\x00\x01\x02" * 300],
                         ids=["undecodable", "valid-utf8-with-nul"])
def test_binary_data_with_a_csv_name(tmp_path, content):
    path = tmp_path / "export.csv"
    path.write_bytes(content)

    with raises_exactly(f"{path} holds binary data, not text. Is it the right file? Export the survey as CSV "
                        "and retry."):
        load_answers(path, InputSpec())


def test_utf16_without_a_bom(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes("id,answer_text\nR1,We trust each other after years of work\n".encode("utf-16-le"))

    answers, _, _ = load_answers(path, InputSpec(text_columns=("answer_text",)))

    assert rows(answers, "respondent_id", "answer_raw") == [("R1", "We trust each other after years of work")]


# Respondent ids -------------------------------------------------------------------------------------

def test_ids_made_from_a_row_are_keyed_so_a_mailing_list_cannot_find_them(tmp_path, monkeypatch):
    """--id-column none names a row by everything it holds, an e-mail column not read included: an unkeyed hash
    was found again by hashing a mailing list's addresses with the rest of the row. Keyed as pseudonyms are, the
    id is stable under one key and another under another."""
    import hashlib

    from themes import quotes

    path = write(tmp_path / "mail.csv", "Email,comments\nomar.ruiz@example.org,We trust each other after years\n")
    spec = InputSpec(id_column="none", text_columns=("comments",))
    first = load_answers(path, spec)[0]["respondent_id"].iloc[0]
    assert first == load_answers(path, spec)[0]["respondent_id"].iloc[0]
    for row_text in ("omar.ruiz@example.org\x1fWe trust each other after years",
                     "We trust each other after years\x1fomar.ruiz@example.org"):
        assert first != "gen-" + hashlib.sha1(row_text.encode()).hexdigest()[:8]
    monkeypatch.setenv(quotes.PSEUDONYM_KEY_ENV, "another machine's key")
    assert load_answers(path, spec)[0]["respondent_id"].iloc[0] != first


def test_missing_ids_get_stable_generated_ids(tmp_path):
    path = write(tmp_path / "noid.csv", "respondent_id,answer_text\n"
                                        ",We trust each other\nX,Money is short\n,Data takes forever\n")
    spec = InputSpec(text_columns=("answer_text",))

    first, _, problems = load_answers(path, spec)
    second, _, _ = load_answers(path, spec)

    ids = list(first["respondent_id"])
    assert ids == list(second["respondent_id"])
    assert ids[1] == "X"
    assert re.fullmatch(r"gen-[0-9a-f]{8}", ids[0]) and re.fullmatch(r"gen-[0-9a-f]{8}", ids[2])
    assert ids[0] != ids[2]
    assert problems == [{"row": 2, "problem": "missing_id", "respondent_id": ids[0]},
                        {"row": 4, "problem": "missing_id", "respondent_id": ids[2]}]


def test_rows_without_ids_that_differ_only_outside_the_answers_are_different_respondents(tmp_path):
    """Three people in different states wrote the same answer (QA round 3: they became one respondent and two
    'duplicate' answers); the same row exported twice is still one."""
    path = write(tmp_path / "form.csv", "Timestamp,state,challenges\n2026-01-05 10:01,CA,Funding\n"
                                        "2026-01-05 10:07,NY,Funding\n2026-01-06 09:00,TX,Funding\n"
                                        "2026-01-06 09:00,TX,Funding\n")

    answers, _, _ = load_answers(path, InputSpec(id_column="none", text_columns=("challenges",)))

    ids = list(answers["respondent_id"])
    assert len(set(ids[:3])) == 3 and ids[3] == ids[2]


def test_generated_id_does_not_depend_on_row_position(tmp_path):
    spec = InputSpec(text_columns=("answer_text",))
    one = write(tmp_path / "one.csv", "respondent_id,answer_text\n,We trust each other\n")
    two = write(tmp_path / "two.csv", "respondent_id,answer_text\nA,Other\n,We trust each other\n")

    assert load_answers(one, spec)[0].at[0, "respondent_id"] == load_answers(two, spec)[0].at[1, "respondent_id"]


def test_repeated_id_with_different_content_is_kept_apart(tmp_path):
    path = write(tmp_path / "rep.csv", "respondent_id,q1,q2\n"
                                       "X,Trust,Money\nX,Trust,Data\nX,Trust,Money\nX,Other,Answers\n")

    answers, _, problems = load_answers(path, InputSpec(text_columns=("q1", "q2")))

    assert list(answers["respondent_id"]) == ["X", "X", "X~2", "X~2", "X", "X", "X~3", "X~3"]
    assert problems == [
        {"row": 3, "problem": "repeated_id_different_content", "respondent_id": "X~2", "original_id": "X"},
        {"row": 4, "problem": "repeated_row", "respondent_id": "X", "first_row": 2},  # the same answers again
        {"row": 5, "problem": "repeated_id_different_content", "respondent_id": "X~3", "original_id": "X"},
    ]


def test_without_sheet_the_sheet_holding_the_declared_columns_is_read(tmp_path):
    from themes.ingest import InputSpec, load_answers

    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"Read me": ["This workbook holds the RFI answers."]}).to_excel(writer, sheet_name="Instructions",
                                                                                    index=False)
        pd.DataFrame({"respondent_id": ["R1"], "challenges": ["Grants end after two years."]}).to_excel(
            writer, sheet_name="Responses", index=False)
    answers, spec, _ = load_answers(path, InputSpec(id_column="respondent_id", text_columns=("challenges",)))
    assert spec.sheet == "Responses" and spec.sources["sheet"] == "found by its columns"
    assert list(answers["answer_raw"]) == ["Grants end after two years."]


@pytest.mark.parametrize("declared", [False, True])
def test_a_hidden_sheet_before_the_data_is_not_read_and_is_named(tmp_path, declared):
    """Last year's answers on a hidden first sheet (QA round 3): they were coded in place of the visible ones."""
    import openpyxl

    from themes.ingest import InputSpec, load_answers

    book = openpyxl.Workbook()
    old = book.active
    old.title, old.sheet_state = "2025 (old)", "hidden"
    data = book.create_sheet("Responses")
    for sheet, first in ((old, 90), (data, 1)):
        sheet.append(["respondent_id", "challenges"])
        for k in range(first, first + 6):
            sheet.append([f"R{k}", f"Grants end after {k} years and we lose staff we trained for months"])
    book.save(tmp_path / "survey.xlsx")

    spec = InputSpec(id_column="respondent_id", text_columns=("challenges",)) if declared else InputSpec()
    answers, spec, _ = load_answers(tmp_path / "survey.xlsx", spec)

    assert list(answers["respondent_id"]) == [f"R{k}" for k in range(1, 7)] and spec.sheet == "Responses"
    assert spec.sources["sheet"].endswith("the first visible sheet" + (", which has the columns given" if declared
                                                                      else "") + "; hidden sheets not read: '2025 (old)'")


# Inputs from an adversarial review ------------------------------------------------------------------

def test_a_text_column_named_twice_codes_both_copies(tmp_path):
    path = write(tmp_path / "dup.csv", "id,challenges,challenges\nR1,Trust is hard to build,Money is short\n"
                                       "R2,We meet monthly,Data sharing is slow\n")

    answers, spec, _ = load_answers(path, InputSpec(text_columns=("challenges",)))

    assert spec.text_columns == ("challenges", "challenges (2)")
    assert rows(answers, "respondent_id", "question", "answer_raw") == [
        ("R1", "challenges", "Trust is hard to build"), ("R1", "challenges (2)", "Money is short"),
        ("R2", "challenges", "We meet monthly"), ("R2", "challenges (2)", "Data sharing is slow")]


def test_an_instructions_sheet_with_one_row_does_not_stop_the_sheet_search(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Instructions"
    book.active.append(["Read me first: one row, no table."])
    data = book.create_sheet("Responses")
    data.append(["id", "challenges"])
    data.append(["R1", "Trust is hard to build with the hospital"])
    book.save(tmp_path / "survey.xlsx")

    answers, spec, _ = load_answers(tmp_path / "survey.xlsx", InputSpec(text_columns=("challenges",)))

    assert spec.sheet == "Responses" and rows(answers, "respondent_id", "answer_raw") == [
        ("R1", "Trust is hard to build with the hospital")]


def test_a_header_with_a_quoted_line_break(tmp_path):
    path = write(tmp_path / "q.csv", 'id,"What are your\nchallenges?"\nR1,"Trust is hard, and slow"\n'
                                     'R2,We meet monthly with partners at the clinic\n')

    table = read_table(path)

    assert list(table.columns) == ["id", "What are your challenges?"]
    assert table["What are your challenges?"].tolist() == ["Trust is hard, and slow",
                                                           "We meet monthly with partners at the clinic"]


def test_a_single_column_csv_is_one_column(tmp_path):
    path = write(tmp_path / "one.csv", "answer\nTrust is hard to build with the hospital partners\n"
                                       "We meet monthly with our partners at the clinic\n")

    assert list(read_table(path).columns) == ["answer"]


@pytest.mark.parametrize(("delimiter", "suffix"), [(";", ".csv"), ("|", ".csv"), ("\t", ".txt")])
def test_other_delimiters_are_found(tmp_path, delimiter, suffix):
    path = write(tmp_path / f"d{suffix}", delimiter.join(["id", "challenges"]) + "\n"
                 + delimiter.join(["R1", "Trust, honestly, takes years"]) + "\n")

    assert read_table(path).to_dict("records") == [{"id": "R1", "challenges": "Trust, honestly, takes years"}]


def test_a_cell_over_131072_characters_is_read(tmp_path):
    long_answer = "We share data. " * 10_000
    path = write(tmp_path / "big.csv", f'id,challenges\nR1,"{long_answer}"\nR2,Short one\n')

    assert read_table(path)["challenges"].tolist() == [long_answer, "Short one"]


def test_a_parquet_list_column_is_read_as_lines(tmp_path):
    path = tmp_path / "l.parquet"
    pd.DataFrame({"id": ["R1"], "challenges": [["Trust is hard", "Money is short"]]}).to_parquet(path)

    answers, _, _ = load_answers(path, InputSpec(text_columns=("challenges",)))

    assert answers["answer_raw"].tolist() == ["Trust is hard\nMoney is short"]


def test_a_sidecar_with_nested_aliases_is_refused_quickly(tmp_path):
    path = write(tmp_path / "s.csv", WIDE)
    write(tmp_path / "s.yaml", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
                               "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                               "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
                               "text_columns: *e\n")

    with raises_exactly(f"{tmp_path / 's.yaml'}: the settings file cannot be parsed (line 2: aliases (*name) "
                        "are not allowed in a settings file; write the values out)."):
        load_answers(path, InputSpec())


def test_a_text_column_with_little_variety_is_skipped_with_a_warning(tmp_path, caplog):
    import logging

    boiler = "I agree to the terms of the survey and its privacy notice"
    path = write(tmp_path / "v.csv", "id,consent,challenges\n" + "".join(
        f"R{i},{boiler},Answer number {i} says trust takes years to build\n" for i in range(6)))

    with caplog.at_level(logging.WARNING, logger="themes"):
        _, spec, _ = load_answers(path, InputSpec())

    assert spec.text_columns == ("challenges",)
    assert ("the column 'consent' holds text but repeats most of its values, so it was not taken for an "
            "open-ended question; name it with --text-column to code it.") in caplog.text


# Attribution columns ----------------------------------------------------------------------------------

ATTRIBUTED = """\
Submission ID,Organization category,State / territory,q1
S1,Hospital,OH,Trust between the directors is what makes it work here
S2,Food bank,NY,We meet monthly with partners and share our numbers
"""


def test_attribution_columns_are_carried_with_the_answers(tmp_path):
    path = write(tmp_path / "export.csv", ATTRIBUTED)

    answers, spec, _ = load_answers(path, InputSpec(id_column="Submission ID", text_columns=("q1",),
                                                    attribute_with=("Organization category", "State / territory")))

    assert spec.attribute_with == ("Organization category", "State / territory")
    assert spec.meta_columns == ("Organization category", "State / territory")
    assert rows(answers, "respondent_id", "Organization category", "State / territory") == [
        ("S1", "Hospital", "OH"), ("S2", "Food bank", "NY")]


def test_attribution_columns_from_the_sidecar(tmp_path):
    path = write(tmp_path / "export.csv", ATTRIBUTED)
    write(tmp_path / "export.yaml", "id_column: Submission ID\ntext_columns: q1\nattribute_with: State / territory\n")

    _, spec, _ = load_answers(path, InputSpec())

    assert spec.attribute_with == ("State / territory",)
    assert spec.sources["attribute_with"] == "sidecar export.yaml"


PARTNERED = """\
respondent_id,Partner organization type,Partner state,Your organization type,Your state,q1
R1,Health system,PA,Nonprofit CBO,OH,Trust between the directors is what makes it work here
R2,FQHC,NY,Food bank,MD,We meet monthly with partners and share our numbers
"""


def test_the_run_chooses_and_says_the_respondents_own_attribution_columns(tmp_path):
    """Of a partner's and the respondent's own type and state, quotes took the first pair, the partner's, and the
    manifest recorded no choice (review 144)."""
    from themes.infer import announcement

    path = write(tmp_path / "export.csv", PARTNERED)
    _, spec, _ = load_answers(path, InputSpec(text_columns=("q1",)))
    assert spec.attribute_with == ("Your organization type", "Your state")
    said = "\n".join(announcement(spec, path))
    assert ("  quotes     attributed by 'Your organization type', 'Your state' (guessed: the respondent's type and "
            "place; not 'Partner organization type', 'Partner state': the partner's, not the respondent's; "
            "--attribute-with chooses others)") in said
    # named, they are used as named
    _, named, _ = load_answers(path, InputSpec(text_columns=("q1",), attribute_with=("Partner state",)))
    assert named.attribute_with == ("Partner state",)
    assert ("  quotes     attributed by 'Partner state' (option; 'Partner state' reads as the partner's: each quote "
            "then names the partner's type or place as the respondent's)") in announcement(named, path)
    # only the partner's: quotes read "Respondent", and the run says why
    only = PARTNERED.replace("Your organization type,Your state", "Funding,Cohort")
    _, spec, _ = load_answers(write(tmp_path / "only.csv", only), InputSpec(text_columns=("q1",),
                                                                            meta_columns=("Partner state",
                                                                                          "Cohort")))
    assert spec.attribute_with == ()
    assert ("  quotes     attributed to 'Respondent' alone: no metadata column names the respondent's type or state; "
            "not 'Partner state': the partner's, not the respondent's (--attribute-with names one)") in \
        announcement(spec, path)


def test_qualtrics_legacy_export_finds_its_ids_and_names_under_v_columns(tmp_path):
    """Qualtrics's legacy export names its columns V1, V2 and writes 'ResponseID' and 'Name' in the row under them:
    "No respondent id column found (columns: V1, V2, ...)" (review 144)."""
    from themes.infer import announcement

    rows = ["V1,V2,V3,Q1,Q2", "ResponseID,ResponseSet,Name,Which best describes your organization?,"
            "What challenges hold the partnership back?"]
    given = ["Ada", "Bola", "Chidi", "Dayo", "Emeka", "Femi", "Gozie", "Hauwa", "Ifeoma", "Jide", "Kemi", "Lola"]
    rows += [f"R_{k:03d}abc,Default Response Set,\"Okafor, {name}\",Nonprofit CBO,\"{_answer(k, 'money')} "
             f"{name} Okafor wrote this.\"" for k, name in enumerate(given)]
    path = write(tmp_path / "legacy.csv", "\n".join(rows) + "\n")
    answers, spec, _ = load_answers(path, InputSpec())
    assert spec.id_column == "V1" and answers["respondent_id"].iloc[0] == "R_000abc"
    said = announcement(spec, path)
    assert "  id         'V1' (guessed from the text under its name, 'ResponseID')" in said
    assert any(line.startswith("  own names  'V3': ") for line in said)
    assert not answers["answer_raw"].str.contains("Okafor").any()


OWN_NAMES = """\
respondent_id,First Name,Last Name,Organization name,q1
R1,Ji-woo,Park,Park Street Clinic,When Park Ji-woo and the VP started meeting we moved. Write to ji-woo.park@example.org
R2,maria,gonzalez,Casa Maria,Our navigator MARIA GONZALEZ built trust; Maria's team runs Casa Maria's pantry.
R3,,,Food Bank,We trust the hospital now that Park and Maria left.
R4,Will,Grant,Young Center,We will expand grant funding next year. Will Grant leads it; Grant agreed.
R5,Li,Wu,Wu Clinic,Li and Wu attended; Dr. Li said so.
R6,José,O'Brien,Smith-Jones Fund,Jose O’Brien wrote this; O’Brien agrees.
"""


def test_a_respondents_own_name_is_read_as_a_placeholder_in_their_own_answers(tmp_path):
    """'When Park Ji-woo and the hospital's VP started meeting' reached the evidence, the quotes and the report while
    the row's 'Your name' held the name, a name the lists and the model miss (review 144)."""
    from themes.infer import announcement

    path = write(tmp_path / "export.csv", OWN_NAMES)
    answers, spec, _ = load_answers(path, InputSpec(text_columns=("q1",)))
    assert list(answers["answer_raw"]) == [
        "When [name] and the VP started meeting we moved. Write to ji-woo.park@example.org",  # the redactor's
        # the whole name in any case; a part alone that is an English word by the word lists ("maria", a plural of
        # "mare") only where its writer names themself ("- Fatima", "I'm Mei": review 152)
        "Our navigator [name] built trust; Maria's team runs Casa Maria's pantry.",
        "We trust the hospital now that Park and Maria left.",  # another respondent's row names no one of theirs
        # review 147: a name's parts that are words ("will", "grant") are not read alone
        "We will expand grant funding next year. [name] leads it; Grant agreed.",
        "[name] and [name] attended; Dr. [name] said so.",  # two letters are a name too
        "[name] wrote this; [name] agrees.",  # without its accent, with the other apostrophe
    ]
    assert ("  own names  'First Name', 'Last Name': each respondent's name, where their own answers write it, read "
            "as [name] (5 answers)") in announcement(spec, path)
    # A name cell that gives no name is no name to read out; a title is no part of one; "Family, Given" is read
    # either way round
    cells = write(tmp_path / "cells.csv", "respondent_id,Your name,q1\n"
                                          'R1,"Dr. Maria Lopez","Dr. Smith helped us; Dr. Lopez agreed."\n'
                                          'R2,Prefer not to say,"I prefer not to say much about funding."\n'
                                          'R3,Anonymous,"Anonymous donors fund us."\n'
                                          'R4,"Lopez, Ana","Ana from Anaheim met Ana Lopez."\n'
                                          'R5,Maria Gonzalez,"More staff, please. - Maria G."\n')
    answers, _, _ = load_answers(cells, InputSpec(text_columns=("q1",)))
    assert list(answers["answer_raw"]) == ["Dr. Smith helped us; Dr. [name] agreed.",
                                           "I prefer not to say much about funding.", "Anonymous donors fund us.",
                                           "Ana from Anaheim met [name].",
                                           "More staff, please. - [name]"]  # review 168: not "[name] G."
    # Review 148: titles and initials left out of the whole name; a role, a placeholder or an organisation in a
    # name cell is no name; a column mostly of organisations still reads its people's cells
    mixed = write(tmp_path / "mixed.csv", "respondent_id,Name,q1\n"
                                          'R1,"Mr. Jordan Rivers","Jordan Rivers leads the Jordan River work."\n'
                                          'R2,"John Q. Public","John Public wrote it."\n'
                                          'R3,Executive Director,"Our executive director left."\n'
                                          'R4,Not provided,"Data was not provided by the state."\n'
                                          'R5,"St. Louis Food Bank","St. Louis needs food."\n'
                                          'R6,Community Health Center,"Our community health center needs nurses."\n'
                                          'R7,Family Services,"Family services are key."\n'
                                          'R8,Tigist Bekele,"Tigist Bekele here; Tigist again."\n')
    answers, _, _ = load_answers(mixed, InputSpec(text_columns=("q1",)))
    assert list(answers["answer_raw"]) == [
        "[name] leads the Jordan River work.", "[name] wrote it.", "Our executive director left.",
        "Data was not provided by the state.", "St. Louis needs food.", "Our community health center needs nurses.",
        "Family services are key.", "[name] here; [name] again."]
    # Review 152: a part the word lists hold ("mei", "fatima") in a sign-off or after "I'm" is the name; "Submitted
    # by" names the person who filled the form in
    signed = write(tmp_path / "signed.csv", "respondent_id,Submitted by,q1\n"
                                            'R1,Fatima Kowalczyk,"Grace and trust matter. - Fatima"\n'
                                            'R2,Mei Raghunathan,"I\'m Mei, program lead. Mei wrote the plan.\n-Mei"\n'
                                            'R3,Grace Obi,"Grace is what we need."\n'
                                            'R4,Sarah English,"We teach classes in English. I am English."\n')
    answers, spec, _ = load_answers(signed, InputSpec(text_columns=("q1",)))
    assert list(answers["answer_raw"]) == ["Grace and trust matter. - [name]",
                                           "I'm [name], program lead. Mei wrote the plan.\n-[name]",
                                           "Grace is what we need.",  # the word, where no one names themself
                                           "We teach classes in English. I am [name]."]  # review 154
    assert spec.sources["own_names"] == "'Submitted by' (3 answers)"
    # A long export's name on each respondent's first row only: their later answers are read too (review 147)
    long = write(tmp_path / "long.csv", "respondent_id,Your name,question,answer\n"
                                        "R1,Ngozi Okonkwo,goals,Okonkwo here: more staff for the pantry.\n"
                                        ",,challenges,Okonkwo here: the hospital never calls back.\n"
                                        "R2,Ada Eze,goals,Eze here: more money.\n,,challenges,Eze here: trust.\n")
    answers, _, _ = load_answers(long, InputSpec())
    assert list(answers["answer_raw"]) == ["[name] here: more staff for the pantry.",
                                           "[name] here: the hospital never calls back.", "[name] here: more money.",
                                           "[name] here: trust."]
    # A "Name" column of organisations' names is no person's (review 147: "[name] health workers")
    orgs = write(tmp_path / "orgs.csv", "respondent_id,Name,q1\nR1,Community Health Partners,Community health "
                                        "workers were key.\nR2,Family Services,Family services are key.\n")
    answers, spec, _ = load_answers(orgs, InputSpec(text_columns=("q1",)))
    assert "[name]" not in "".join(answers["answer_raw"]) and "own_names" not in spec.sources
    assert not any("not read" in line and "First Name" in line for line in announcement(spec, path))


def test_an_unknown_attribution_column_is_one_line(tmp_path):
    path = write(tmp_path / "export.csv", ATTRIBUTED)

    with raises_exactly("Column 'org_category' (from --attribute-with) is not in the file. Did you mean "
                        "'Organization category'? Columns: Submission ID, Organization category, "
                        "State / territory, q1."):
        load_answers(path, InputSpec(id_column="Submission ID", text_columns=("q1",),
                                     attribute_with=("org_category",)))


def test_quotes_are_not_attributed_with_answers_or_ids(tmp_path):
    path = write(tmp_path / "export.csv", ATTRIBUTED)

    with raises_exactly("Column 'Submission ID' (from --attribute-with) holds respondent ids or answers; attribute "
                        "quotes with metadata columns, e.g. --attribute-with org_type --attribute-with state."):
        load_answers(path, InputSpec(id_column="Submission ID", text_columns=("q1",),
                                     attribute_with=("Submission ID",)))


@pytest.mark.parametrize("line", [2, 4])
def test_an_unquoted_comma_in_an_answer_is_an_error_naming_its_line(tmp_path, line):
    # In the first record pandas would take the extra field as a row index and shift every column by one.
    rows = ["R1,CBO,Grants end soon.", "R2,Hospital,We trust each other.", "R3,CBO,Data sharing is hard."]
    rows[line - 2] = rows[line - 2].replace("soon.", "soon, and staff leave.").replace("Data sharing", "Data, sharing")
    path = tmp_path / "export.csv"
    path.write_text("respondent_id,org_type,challenges\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(
            f"{path}:{line}: 4 fields where the header names 3: a comma inside an answer without quotes around it? "
            'Quote that answer ("...") or export the file again.')):
        read_table(path)


def test_a_delimiter_at_the_end_of_every_line_keeps_the_columns(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("respondent_id,org_type,challenges\nR1,CBO,Grants end soon.,\nR2,Hospital,We trust them.,\n",
                    encoding="utf-8")
    table = read_table(path)
    assert table["respondent_id"].tolist() == ["R1", "R2"] and table["challenges"].tolist()[0] == "Grants end soon."


@pytest.mark.parametrize(("meta", "role"), [("challenges", "answers or questions"), ("respondent_id", "the respondent ids")])
def test_a_column_named_both_as_metadata_and_as_answers_or_ids_is_refused(tmp_path, meta, role):
    path = tmp_path / "export.csv"
    path.write_text("respondent_id,org_type,challenges\nR1,CBO,Grants end soon.\nR2,Hospital,We trust them.\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(f"Column '{meta}' is named as metadata and also holds {role}")):
        load_answers(path, InputSpec(text_columns=("challenges",), meta_columns=(meta,)))


_ANSWERS = ["Trust built over years with the clinic staff.", "Funding for the coordinator ends in June.",
            "Our navigator sits in the clinic three days a week.", "We cannot share data across our systems."]


def _export(header_rows: list[str]) -> str:
    rows = [f'R{i},Nonprofit CBO,NH,"{text}"' for i, text in enumerate(_ANSWERS, 1)]
    return "\n".join(["ResponseId,Q1,Q2,Q3", *header_rows, *rows]) + "\n"


QUALTRICS_TEXT = "Response ID,What type of organization?,State,What has made this partnership effective?"
QUALTRICS_IMPORT = '"{""ImportId"":""_recordId""}","{""ImportId"":""QID1""}","{""ImportId"":""QID2""}","{""ImportId"":""QID3_TEXT""}"'


@pytest.mark.parametrize(("header_rows", "skipped"), [
    ([QUALTRICS_TEXT, QUALTRICS_IMPORT], "rows 2-3, Qualtrics's question-text and ImportId rows: not answers"),
    ([QUALTRICS_IMPORT], "row 2, Qualtrics's ImportId row: not answers"),
    ([QUALTRICS_TEXT], "row 2, a question-text row: it repeats the column names: not answers"),
    ([",Response,Response,Open-Ended Response"], "row 2, SurveyMonkey's response-type row: not answers"),
])
def test_a_survey_platforms_header_rows_are_not_respondents(tmp_path, header_rows, skipped):
    path = tmp_path / "export.csv"
    path.write_text(_export(header_rows), encoding="utf-8")
    answers, spec, problems = load_answers(path, InputSpec())
    assert answers["respondent_id"].tolist() == ["R1", "R2", "R3", "R4"] and not problems
    assert answers["source_row"].tolist() == [2 + len(header_rows) + i for i in range(4)]  # the spreadsheet's rows
    assert spec.sources["platform_rows"] == skipped
    assert f"  skipped    {skipped}" in announcement(spec, path)


def test_qualtrics_question_text_names_the_metadata_columns(tmp_path):
    # Qualtrics names columns Q1, Q2; its question-text row says which is the respondent's type and state.
    path = tmp_path / "export.csv"
    path.write_text(_export([QUALTRICS_TEXT, QUALTRICS_IMPORT]), encoding="utf-8")
    answers, spec, _ = load_answers(path, InputSpec())
    assert spec.meta_columns == ("Q1", "Q2") and spec.text_columns == ("Q3",)
    assert "'Q1', 'Q2' (guessed from their question text)" in "\n".join(announcement(spec, path))
    # The question text of each text and metadata column travels with the spec: what a question named "Q3" asks.
    assert spec.question_labels == (("Q3", "What has made this partnership effective?"),
                                    ("Q1", "What type of organization?"), ("Q2", "State"))


def test_qualtrics_preview_and_test_responses_are_not_respondents(tmp_path):
    """Two 'Survey Preview' rows were read as 2 of 30 respondents, with no mention."""
    rows = [f'R{i},{status},Nonprofit CBO,NH,"{text}"'
            for i, (status, text) in enumerate(zip(["Survey Preview", "IP Address", "Survey Test", "IP Address"],
                                                  _ANSWERS), 1)]
    path = tmp_path / "export.csv"
    path.write_text("\n".join(["ResponseId,Status,Q1,Q2,Q3", QUALTRICS_IMPORT.replace('","{""ImportId"":""QID1',
                                                                                   '","{""ImportId"":""status""}",'
                                                                                   '"{""ImportId"":""QID1'),
                               *rows]) + "\n", encoding="utf-8")
    answers, spec, _ = load_answers(path, InputSpec())
    assert answers["respondent_id"].tolist() == ["R2", "R4"]
    assert spec.sources["platform_rows"].endswith("; rows 3, 5, Qualtrics preview, test or spam responses (Status, "
                                                  "DistributionChannel): not respondents")
    # A numeric-values export writes the Status as a number: 0 a response, 1 a preview, 8 spam.
    numeric = tmp_path / "numeric.csv"
    numeric.write_text(path.read_text(encoding="utf-8").replace("Survey Preview", "1").replace("Survey Test", "8")
                       .replace("IP Address", "0"), encoding="utf-8")
    assert load_answers(numeric, InputSpec())[0]["respondent_id"].tolist() == ["R2", "R4"]


def test_a_long_exports_question_wording_beside_its_ids_is_read_as_their_labels(tmp_path):
    """A database export's question_id (QID3) was read as the question and its question_text 'not read': the
    classifier read QID3 with the models learned without the question, and the report named QID3 (review 144)."""
    from themes.infer import announcement

    wording = {"QID3": "What are the goals of your partnership?", "QID9": "What challenges hold the partnership back?"}
    rows = [f"R{k},{qid},{text},\"{_answer(k, 'money' if qid == 'QID9' else 'goals')}\""
            for k in range(6) for qid, text in wording.items()]
    rows[-1] = rows[-1].replace("What challenges", "What challenges now")  # edited part way: its commonest read
    path = write(tmp_path / "db.csv", "respondent_id,question_id,question_text,answer_text\n" + "\n".join(rows) + "\n")
    _, spec, _ = load_answers(path, InputSpec())
    assert spec.question_column == "question_id" and dict(spec.question_labels) == wording
    said = announcement(spec, path)
    assert ("  wording    'question_text': each question's wording, read with its name (the classifier reads the "
            "question it asks; the report names it)") in said
    assert not any(line.startswith("  not read") and "question_text" in line for line in said)


def test_qualtrics_responses_not_finished_are_read_and_said(tmp_path):
    """Five responses with Finished False (Progress 40) were read and counted without a word (review 144)."""
    from themes.infer import announcement

    rows = [f'R{i},{"40" if i % 2 else "100"},{"False" if i % 2 else "True"},Nonprofit CBO,"{text}"'
            for i, text in enumerate(_ANSWERS * 3, 1)]
    path = write(tmp_path / "export.csv", "\n".join(["ResponseId,Progress,Finished,Q1,Q2", *rows]) + "\n")
    answers, spec, _ = load_answers(path, InputSpec(text_columns=("Q2",)))
    unfinished = sum(1 for i in range(1, len(rows) + 1) if i % 2)
    assert answers["respondent_id"].nunique() == len(rows)  # read: the answers they gave are answers
    assert (f"  unfinished {unfinished} of {len(rows)} responses were not finished (Qualtrics's Finished): read with "
            "the answers given before they stopped; delete their rows from the export to leave them out") in \
        announcement(spec, path)
    # another platform's "Finished" question, answered Yes or No, is no finish flag (review 148)
    other = write(tmp_path / "other.csv", "\n".join(["Response ID,Finished,Q1,Q2", *(
        f'R{i},{"No" if i % 2 else "Yes"},Nonprofit CBO,"{text}"' for i, text in enumerate(_ANSWERS * 3, 1))]) + "\n")
    assert "unfinished" not in load_answers(other, InputSpec(text_columns=("Q2",)))[1].sources


def test_qualtrics_question_text_asked_as_a_question_names_the_metadata_columns(tmp_path):
    """"What type of organization are you?" and "In which state is your partnership based?" (the wording of a real
    survey) were too long to read as names, and the breakdowns went missing."""
    long_text = ("Response ID,What type of organization are you?,In which state is your partnership based?,"
                 "What has made this partnership effective?")
    path = tmp_path / "export.csv"
    path.write_text(_export([long_text, QUALTRICS_IMPORT]), encoding="utf-8")
    _, spec, _ = load_answers(path, InputSpec())
    assert spec.meta_columns == ("Q1", "Q2") and spec.text_columns == ("Q3",)


@pytest.mark.parametrize("asked", ["Which best describes your organization?",
                                   "Which of the following best describes your organization?"])
def test_the_question_of_what_best_describes_the_organization_names_its_type(tmp_path, asked):
    """A reviewer's exports of six platforms (Qualtrics, SurveyMonkey, Microsoft Forms, Typeform, Jotform,
    Alchemer) ask the respondent's type so: no column was taken for it, and the breakdown by type went missing."""
    types = ["Hospital", "Community-based organization", "Health department"]
    lines = [f'Response ID,"{asked}",State,Which best describes your partnership?,What has worked?']
    lines += [f'R{k},{types[k % 3]},OH,"{_answer(k, "a formal partnership")}","{_answer(k, "trust")}"'
              for k in range(12)]
    _, spec, _ = load_answers(write(tmp_path / "export.csv", "\n".join(lines) + "\n"), InputSpec())
    assert spec.meta_columns == (asked, "State")
    assert spec.text_columns == ("Which best describes your partnership?", "What has worked?")


@pytest.mark.parametrize(("name", "label"), [
    ("Q1_7_TEXT", "What type of organization? - Other - Text"),
    ("Q1_TEXT", "Organization type"),  # the name alone, beside its choice column Q1
    ("Q9", "What type of organization? - Other (please specify)"),
])
def test_an_other_choices_text_is_not_taken_for_metadata(tmp_path, name, label):
    """Qualtrics writes the text typed beside an 'Other' choice in a column of its own: it was guessed as metadata
    (its label names the organisation type), a breakdown of groups of one and 'unknown' for everyone else."""
    rows = [f'R{i},Nonprofit CBO,{"Tribal council" if i == 1 else ""},NH,"{text}"'
            for i, text in enumerate(_ANSWERS, 1)]
    head = f"ResponseId,Q1,{name},Q2,Q3"
    labels = f"Response ID,What type of organization? - Selected Choice,{label},State,What has made it effective?"
    path = tmp_path / "export.csv"
    path.write_text("\n".join([head, labels, *rows]) + "\n", encoding="utf-8")
    _, spec, _ = load_answers(path, InputSpec())
    assert spec.meta_columns == ("Q1", "Q2") and spec.text_columns == ("Q3",)
    assert f"'{name}'" in next(line for line in announcement(spec, path) if line.startswith("  not read"))


def test_a_question_that_offers_other_is_still_metadata(tmp_path):
    """Google Forms' "Organization type (other, please specify)" holds every respondent's choice."""
    rows = [f'R{i},Nonprofit CBO,NH,"{text}"' for i, text in enumerate(_ANSWERS, 1)]
    path = tmp_path / "export.csv"
    path.write_text("\n".join(['ResponseId,"Organization type (other, please specify)",State,What made it effective?',
                               *rows]) + "\n", encoding="utf-8")
    _, spec, _ = load_answers(path, InputSpec())
    assert spec.meta_columns == ("Organization type (other, please specify)", "State")


def test_a_workbook_from_qualtrics_drops_the_same_rows(tmp_path):
    table = pd.read_csv(io.StringIO(_export([QUALTRICS_TEXT, QUALTRICS_IMPORT])), dtype=str)
    path = tmp_path / "export.xlsx"
    table.to_excel(path, index=False)
    answers, spec, _ = load_answers(path, InputSpec())
    assert answers["respondent_id"].tolist() == ["R1", "R2", "R3", "R4"]
    assert spec.sources["platform_rows"].startswith("rows 2-3, Qualtrics")


@pytest.mark.parametrize("first_answer", ["Response", "Response ID", '{"note": "ImportId"}'])
def test_an_answer_that_only_looks_like_a_header_cell_is_kept(tmp_path, first_answer):
    path = tmp_path / "export.csv"
    path.write_text("respondent_id,org_type,challenges\n"
                    f'R1,CBO,"{first_answer.replace(chr(34), chr(34) * 2)}"\nR2,Hospital,We trust them.\n',
                    encoding="utf-8")
    answers, spec, _ = load_answers(path, InputSpec(text_columns=("challenges",)))
    assert answers["respondent_id"].tolist() == ["R1", "R2"] and "platform_rows" not in spec.sources


def test_rows_without_an_id_and_repeated_ids_are_announced(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("respondent_id,org_type,challenges\nR1,CBO,Grants end before the work does.\n"
                    ",CBO,We trust the clinic staff.\nR1,Hospital,Our data systems cannot talk.\n", encoding="utf-8")
    answers, spec, problems = load_answers(path, InputSpec(text_columns=("challenges",)))
    lines = announcement(spec, path, problems=problems)
    generated = answers["respondent_id"].iloc[1]
    assert f"  no id      row 3: given an id made from the row ('{generated}'; the manifest's " \
           "respondent_id_problems lists each)" in lines
    assert ("  repeated   row 4: an id seen before with other answers, kept apart as 'R1~2' ('R1' again; where its "
            "metadata agree and most answers are alike it is a version of the same submission, read once, the fuller "
            "coded; said after the run)") in lines


def test_a_sheet_named_for_a_csv_is_one_line(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("respondent_id,challenges\nR1,Grants end.\nR2,We trust them.\n", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(f"A sheet ('Data') was named, but {path} is CSV, not a workbook: "
                                                   "leave out --sheet (or the sidecar's sheet).")):
        load_answers(path, InputSpec(sheet="Data"))


def test_an_id_column_of_free_text_is_refused(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("respondent_id,challenges\nR1,Grants end before the work does every single year.\n"
                    "R2,We have trusted the clinic staff for a decade now.\n"
                    "R3,Our data systems cannot talk to the hospital records.\n", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape("Column 'challenges' (--id-column) holds free text, not "
                                                   "respondent ids.")):
        load_answers(path, InputSpec(id_column="challenges"))


def test_a_file_without_a_header_row_is_told_so_without_printing_contact_details(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("R001,CBO,Call Maria Gonzalez at maria@example.org or 555-867-5309 about the grant we lost.\n"
                    "R002,Hospital,We have trusted the clinic staff for a decade now and it shows.\n"
                    "R003,CBO,Our data systems cannot talk to the hospital records at all.\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_answers(path, InputSpec())
    message = str(raised.value)
    assert "The first row looks like answers, not column names: add a header row naming the columns" in message
    assert "maria@example.org" not in message and "867-5309" not in message and "[email]" in message


def test_an_id_column_that_is_not_in_the_file_is_one_line(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("respondent_id,challenges\nR1,Grants end.\nR2,We trust them.\n", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape("Column 'resp' (from --id-column) is not in the file.")):
        load_answers(path, InputSpec(id_column="resp"))


def test_text_columns_the_guess_passed_over_are_announced(tmp_path):
    # Two respondents: 'goals' holds short answers, so it does not look like free text; it is said, not dropped.
    path = tmp_path / "export.csv"
    path.write_text("respondent_id,state,goals,challenges,score\n"
                    "R1,OH,Healthier kids,Grants end before the work does and staff leave every year.,3\n"
                    "R2,MI,Food access,We have trusted the clinic staff for a decade and it shows.,4\n",
                    encoding="utf-8")
    _, spec, _ = load_answers(path, InputSpec())
    assert spec.text_columns == ("challenges",)
    assert ("  not read   'goals': not free text, nor ids or metadata (--text-column codes a column; --meta-column "
            "breaks counts down by one)") in announcement(spec, path)
    _, named, _ = load_answers(path, InputSpec(text_columns=("challenges",)))
    assert "ignored" not in named.sources  # columns the user named: the rest is left out on purpose


def test_long_column_names_are_shortened_in_a_message_and_not_taken_for_data(tmp_path):
    question = "What challenges hold the partnership back, and what would it take to overcome them in the next year?"
    path = tmp_path / "export.csv"
    path.write_text(f'respondent_id,"{question}"\nR1,Grants end.\nR2,We trust them.\n', encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_answers(path, InputSpec(text_columns=("challenges",)))
    assert str(raised.value).endswith("Columns: respondent_id, What challenges hold the partnership back, and what "
                                      "would\u2026.")
    assert "looks like answers" not in str(raised.value)


@pytest.mark.parametrize(("content", "message"), [
    # Excel encrypts a workbook saved with a password into an OLE2 file holding an 'EncryptedPackage' stream
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 64,
     "is password-protected. Open it in Excel, remove the password"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 + "Workbook".encode("utf-16-le") + b"\0" * 64,
     "is an old Excel .xls workbook named .xlsx. Open it in Excel and save it as .xlsx"),
    # A CSV renamed .xlsx; a web tool's HTML table saved as a workbook ("File is not a zip file" said neither).
    ("respondent_id,challenges\nR1,Grants end after two years, and we lose staff\n".encode(),
     "is a text file, not a workbook (a CSV named .xlsx?). Rename it to .csv and run again."),
    (b"<html><body><table><tr><td>R1</td></tr></table></body></html>",
     "is a web page (an HTML table) named like a workbook. Open it in Excel and save it as .xlsx."),
])
def test_a_workbook_that_is_not_an_xlsx_inside_says_what_it_is(tmp_path, content, message):
    path = tmp_path / "answers.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputError, match=f"^{re.escape(str(path))} {re.escape(message)}"):
        read_table(path)


def test_an_old_spreadsheet_format_says_to_save_it_as_xlsx(tmp_path):
    path = tmp_path / "answers.ods"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(InputError, match=r"unknown file type '.ods'\. .* save it as \.xlsx"):
        read_table(path)


def test_a_long_files_metadata_is_one_value_per_respondent(tmp_path):
    """Type given on each respondent's first row only (QA round 3): every respondent was counted in their group
    and in 'unknown'. Now their value holds for all their rows; rows that disagree are said, the first kept."""
    from themes.infer import id_problem_lines

    path = write(tmp_path / "long.csv", "respondent,org_type,question,answer\nR1,CBO,goals,Trust\nR1,,challenges,Money\n"
                                        "R2,Government,goals,Data\nR2,Health system,challenges,Staff\n")

    answers, _, problems = load_answers(path, InputSpec(meta_columns=("org_type",)))

    assert list(answers["org_type"]) == ["CBO", "CBO", "Government", "Government"]
    assert id_problem_lines(problems) == [
        "  metadata   'org_type' is empty on 1 row of respondents who give it on another row: their value holds "
        "for all their rows",
        "  metadata   'org_type' differs among the rows of 1 respondent ('R2': 'Government', 'Health system'): the "
        "first value is used (row 4)"]


def test_a_long_files_id_that_holds_several_submissions_stops_the_run(tmp_path):
    """Review 152: a sender's e-mail that sent a submission for each of several partnerships, named with
    --id-column, joined 45 submissions into 20 respondents (trust 95% where it was 60%); the run went on."""
    rows = ["who,state,question,answer"]
    for k in range(5):
        for state, answer in (("NY", "Trust took years"), ("CA", "Funding ended")):
            rows += [f"a{k}@x.org,{state},goals,{answer} {k}", f"a{k}@x.org,{state},challenges,{state} staff {k}"]
    path = write(tmp_path / "long.csv", "\n".join(rows) + "\n")

    with pytest.raises(InputError, match=r"^The id column 'who' names no single respondent: 5 of its 5 values answer "
                                         r"a question more than once with other answers, and 'state' differs among "
                                         r"the rows of 5 of them"):
        load_answers(path, InputSpec(id_column="who", meta_columns=("state",)))
    # Answers per partner, their partner's type differing, or a panel's years, are one respondent's (review 154)
    partners = ["who,state,partner_type,question,answer"] + [
        f"a{k}@x.org,NY,{kind},{question},{kind} {question} {k}" for k in range(5) for kind in ("hospital", "clinic")
        for question in ("goals", "challenges")]
    per_partner = write(tmp_path / "partners.csv", "\n".join(partners) + "\n")
    answers, _, _ = load_answers(per_partner, InputSpec(id_column="who", meta_columns=("state", "partner_type")))
    assert answers["respondent_id"].nunique() == 5
    # An answer edited and sent again by the same respondent (their state the same) is no such id
    edited = write(tmp_path / "edited.csv", "\n".join(r.replace("CA", "NY") for r in rows) + "\n")
    answers, _, _ = load_answers(edited, InputSpec(id_column="who", meta_columns=("state",)))
    assert answers["respondent_id"].nunique() == 5


def test_a_guessed_encoding_and_repeated_column_names_are_announced(tmp_path):
    """Both were guesses made silently (the encoding) or said as a warning printed twice (repeated names)."""
    path = tmp_path / "export.csv"
    path.write_bytes("id,challenges,challenges\nR1,Caf\u00e9 \u201cpartners\u201d,Money\nR2,Trust,Data\n".encode("cp1252"))

    answers, spec, problems = load_answers(path, InputSpec(text_columns=("challenges",)))
    lines = announcement(spec, path, respondents=2, answers=len(answers), problems=problems)

    assert "  encoding   cp1252 (guessed: not UTF-8; if letters look wrong, save the file as UTF-8 CSV)" in lines
    assert ("  repeated   column names: 'challenges' 2 times, each copy read ('challenges', 'challenges (2)')"
            in lines)
    # UTF-16 with its byte-order mark is no guess (review 159: "utf_16 (guessed ...)")
    wide = tmp_path / "wide.csv"
    wide.write_bytes("id,challenges\nR1,Caf\u00e9 partners\nR2,Trust\n".encode("utf-16"))
    answers, spec, problems = load_answers(wide, InputSpec(text_columns=("challenges",)))
    said = [line for line in announcement(spec, wide, problems=problems) if line.startswith("  encoding")]
    assert len(said) == 1 and said[0].endswith("(read from the file's bytes, not UTF-8)") and "utf" in said[0].lower()
    utf8 = write(tmp_path / "utf8.csv", "id,challenges\nR1,Caf\u00e9\n")
    _, spec, _ = load_answers(utf8, InputSpec(text_columns=("challenges",)))
    assert "encoding" not in spec.sources and "repeated_columns" not in spec.sources


def test_a_copy_of_a_repeated_column_the_guess_left_out_stays_out_when_the_flow_reads_again(tmp_path):
    """An evaluator's review: 'challenges (2)' was announced as not read, then coded when the flow read the planned
    spec again (it expanded every copy of a name): 700 answers where 600 were said, 30 of 41 respondents flagged for
    trust resting on it."""
    rows = "".join(f"R{k},Grants end after {k} years and nobody covers rent,We trust the clinic {k},same\n"
                   for k in range(12))
    path = write(tmp_path / "export.csv", "id,challenges,goals,challenges\n" + rows)
    first, spec, _ = load_answers(path, InputSpec())
    assert spec.sources["text_columns"].startswith("guessed") and "challenges (2)" not in spec.text_columns
    again, respec, _ = load_answers(path, spec)
    assert respec.text_columns == spec.text_columns and len(again) == len(first)


def test_notes_by_the_surveys_staff_are_not_coded_as_answers(tmp_path, caplog):
    """'Reviewer comments' and 'Follow-up notes (staff)' were guessed as questions: a reviewer's "Trust between
    partners seems high" was counted and quoted as the respondent's (review 144)."""
    rows = "".join(f"R{k},Grants end after {k} years and nobody pays the rent for the pantry,Trust between partners "
                   f"seems high; the director is engaged ({k}),Called them on day {k}; they will send the budget\n"
                   for k in range(12))
    path = write(tmp_path / "export.csv", "id,challenges,Reviewer comments,Follow-up notes (staff)\n" + rows)
    _, spec, _ = load_answers(path, InputSpec())
    assert spec.text_columns == ("challenges",)
    said = [r.getMessage() for r in caplog.records]
    assert ("the column 'Reviewer comments' is named for notes by the survey's staff (a reviewer's or an internal "
            "note), not a respondent's answer, so it was not taken for an open-ended question; name it with "
            "--text-column to code it.") in said
    # named, it is coded
    assert load_answers(path, InputSpec(text_columns=("challenges", "Reviewer comments")))[1].text_columns == (
        "challenges", "Reviewer comments")
    # questions to respondents about staff are questions (review 147: their answers were dropped)
    from themes.ingest import _STAFF_NOTES

    for question in ("Any comments for staff?", "Do you have follow-up comments?", "Notes for staff", "Staff comments"):
        assert not _STAFF_NOTES.search(question), question
    # Review 152: notes by their cells, under a second "Comments" (its first the respondents')
    notes = ["Called Mei Petrov back on 3/{k}, left voicemail", "Rob spoke with Sven on 3/{k}: invite to round 2",
             "Follow up with Harriet re: budget line {k}", "Site visit {k} April - ask Javier about the MOU"]
    rows = "".join(f'R{k},Grants end after {k} years and nobody pays the rent,We met the clinic {k} times and it '
                   f'helped,"{notes[k % 4].format(k=k)}"\n' for k in range(12))
    path = write(tmp_path / "comments.csv", "id,challenges,Comments,Comments\n" + rows)
    _, spec, _ = load_answers(path, InputSpec())
    assert spec.text_columns == ("challenges", "Comments")
    assert any(m.startswith("the column 'Comments (2)' holds notes by the survey's staff about the respondents")
               for m in (r.getMessage() for r in caplog.records))
    # a question answered so is a question (review 154)
    rows = "".join(f'R{k},Grants end after {k} years and nobody pays the rent,"{notes[k % 4].format(k=k)}"\n'
                   for k in range(12))
    asked = write(tmp_path / "asked.csv", "id,challenges,How did you reach patients who missed appointments?\n" + rows)
    assert load_answers(asked, InputSpec())[1].text_columns == (
        "challenges", "How did you reach patients who missed appointments?")


def test_a_question_for_contact_details_is_not_coded(tmp_path, caplog):
    """An evaluator's review: 'Name and title of person completing this form' and 'Best way to reach you' were coded;
    '[name], VP Community Health, Faith Outreach Network' became a quote, 14 of 16 flagged answers trust."""
    people = ["Maria Gonzalez", "James Brown", "Linda Nguyen", "Robert Smith", "Ana Lopez", "David Kim",
              "Sarah Johnson", "Michael Lee", "Rosa Martinez", "Kevin Patel", "Grace Okafor", "Tom Wilson"]
    rows = "".join(f'R{k},"{who}, Executive Director, Eastside Partner {k}","Email is best: {who.split()[0].lower()}'
                   f'@partner{k}.org, or call (555) 201-{1000 + k}",Grants end after {k} years and nobody pays rent,'
                   f"The clinic refers {k} families to our pantry every week\n" for k, who in enumerate(people))
    path = write(tmp_path / "export.csv", "id,Name and title of person completing this form,Best way to reach you,"
                                          "challenges,services\n" + rows)
    _, spec, _ = load_answers(path, InputSpec())
    assert spec.text_columns == ("challenges", "services")
    said = [r.getMessage() for r in caplog.records]
    assert ("the column 'Best way to reach you' asks for or holds contact details (names, e-mails, phone numbers), not "
            "answers, so it was not taken for an open-ended question; name it with --text-column to code it.") in said
    assert not any("repeats most of its values" in line for line in said)
    # by its answers alone, whatever its name
    renamed = write(tmp_path / "renamed.csv", path.read_text(encoding="utf-8").replace(
        "Name and title of person completing this form", "Q7"))
    assert load_answers(renamed, InputSpec())[1].text_columns == ("challenges", "services")


def test_a_merged_cell_range_is_read_as_its_value_in_each_row(tmp_path):
    """A type merged over its respondents' rows (QA round 3): 36 of 40 respondents read as 'unknown'."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["respondent_id", "org_type", "challenges"])
    for k, kind in enumerate(["Government", "", "", "Nonprofit CBO", ""], start=1):
        sheet.append([f"R{k}", kind or None, f"Grants end after {k} years and we lose the staff we trained"])
    sheet.merge_cells("B2:B4")
    sheet.merge_cells("B5:B6")
    book.save(tmp_path / "merged.xlsx")

    answers, spec, problems = load_answers(tmp_path / "merged.xlsx", InputSpec(meta_columns=("org_type",)))

    assert list(answers["org_type"]) == ["Government"] * 3 + ["Nonprofit CBO"] * 2
    lines = announcement(spec, tmp_path / "merged.xlsx", respondents=5, answers=5, problems=problems)
    assert "  merged     2 merged cell ranges: each cell of one read as the value the spreadsheet shows across it" in lines


@pytest.mark.parametrize("last", ["Total,38,40", ",Total responses: 40,Total responses: 38"])
def test_a_summary_row_at_the_end_is_not_a_respondent(tmp_path, last):
    path = write(tmp_path / "export.csv", "id,goals,challenges\nR1,Trust,Money\nR2,Data,Staff\nR3,Meetings,Time\n"
                                          f"{last}\n")
    answers, spec, problems = load_answers(path, InputSpec(text_columns=("goals", "challenges")))
    assert sorted(answers["respondent_id"].unique()) == ["R1", "R2", "R3"]
    assert spec.sources["platform_rows"].startswith("row 5, a summary row ('")


@pytest.mark.parametrize("last, said", [
    ("Total: 3 responses,,", "row 5, a summary row ('Total: 3 responses'): not answers"),
    ("N = 3,,", "row 5, a summary row ('N = 3'): not answers"),
    ('"Source: Partnership RFI export, November 2024. Confidential.",,',
     "row 5, a note ('Source: Partnership RFI export, November'): not answers"),
    ("Total,3,3\nAverage words,1.0,1.0", "row 5, a summary row ('Total'): not answers; row 6, a summary row "
                                         "('Average words'): not answers"),
    ("Grand Total,3,3", "row 5, a summary row ('Grand Total'): not answers"),
    # SurveyMonkey's own rows under each column (review 144: read as two more respondents)
    ("answered question,3,2\nskipped question,0,1", "row 5, a summary row ('answered question'): not answers; row 6, "
                                                    "a summary row ('skipped question'): not answers"),
    ("Total,3,3\nResponse rate,62%,", "row 5, a summary row ('Total'): not answers; row 6, a summary row "
                                      "('Response rate'): not answers"),
    ("Total responses: 3,,\nOverall response rate: 62%,,", "row 5, a summary row ('Total responses: 3'): not "
                                                          "answers; row 6, a summary row ('Overall response rate: "
                                                          "62%'): not answers"),
    ("\"Total: 3 of 5\",62% response rate,Responses: 3/5", "row 5, a summary row ('Total: 3 of 5'): not answers"),
    ("Response rate = 62% (3 of 5),,", "row 5, a summary row ('Response rate = 62% (3 of 5)'): not answers"),
    ('Number of responses,3,3\n"Data as of November 2, 2024; incomplete responses removed",,',
     "row 5, a summary row ('Number of responses'): not answers; row 6, a note ('Data as of November 2, 2024; "
     "incomplete '): not answers"),
    # A second reviewer's (2026-11-30): a note marked with a star, a legend, a block of lines under "Notes:"
    ("* Responses lightly edited for spelling.,,", "row 5, a note ('* Responses lightly edited for spelling.'): not "
                                                   "answers"),
    ("N/A = left blank by respondent,,", "row 5, a note ('N/A = left blank by respondent'): not answers"),
    ("Notes:,,\nResponses are verbatim.,,\nTwo late submissions were added by hand.,,\nNames were removed.,,",
     "row 5, a note ('Notes:'): not answers; row 6, a note ('Responses are verbatim.'): not answers; row 7, a note "
     "('Two late submissions were added by hand.'): not answers; row 8, a note ('Names were removed.'): not answers"),
])
def test_summary_and_note_rows_under_the_table_are_not_respondents(tmp_path, last, said):
    path = write(tmp_path / "export.csv", "id,goals,challenges\nR1,Trust,Money\nR2,Data,Staff\nR3,Meetings,Time\n"
                                          f"{last}\n")
    answers, spec, _ = load_answers(path, InputSpec(text_columns=("goals", "challenges")))
    assert sorted(answers["respondent_id"].unique()) == ["R1", "R2", "R3"]
    assert spec.sources["platform_rows"] == said


def _twelve_respondents() -> list[str]:
    return ["respondent_id,org_type,state,goals,challenges"] + [
        f"R{k:03d},{['CBO', 'Hospital'][k % 2]},{['OH', 'PA'][k % 2]},\"{_answer(k, 'trust')}\","
        f"\"{_answer(k, 'money')}\"" for k in range(1, 13)]


@pytest.mark.parametrize("below, said", [
    # A small table of counts past a blank row: each of its rows was a respondent ("CBO" of type "6")
    (["", "Responses by type,,,,", "Type,Count,,,", "CBO,6,,,", "Hospital,6,,,"],
     "rows 15-18, under the answers past a blank row and with no respondent's id ('Responses by type'): not answers"),
    (["", ",,,,", "Type,Count,,,", "CBO,6,,,"],
     "rows 16-17, under the answers past a blank row and with no respondent's id ('Type'): not answers"),
    # A two-cell note, under the table or past a blank row; a labelled note in a later column, the id cell blank
    (["Prepared by:,Evaluation team,,,"], "row 14, a note ('Prepared by:'): not answers"),
    (["", "Prepared by:,Evaluation team,,,"], "row 15, a note ('Prepared by:'): not answers"),
    (["Notes:,,,,", "Responses are verbatim.,,,,", "Prepared by:,Evaluation team,,,"],
     "row 14, a note ('Notes:'): not answers; row 15, a note ('Responses are verbatim.'): not answers; row 16, a note "
     "('Prepared by:'): not answers"),
    (["", ",,,Note: two respondents asked that their answers stay unattributed.,"],
     "row 15, a note ('Note: two respondents asked that their a'): not answers"),
])
def test_a_table_or_a_note_under_the_answers_is_no_respondent(tmp_path, below, said):
    """A reviewer's exports (2026-11-30): a table of counts under the answers past a blank row, a "Prepared by: |
    Evaluation team" line and a note in column B were each read as respondents, with exit 0."""
    path = write(tmp_path / "export.csv", "\n".join(_twelve_respondents() + below) + "\n")
    answers, spec, _ = load_answers(path, InputSpec())
    assert answers["respondent_id"].nunique() == 12 and len(answers) == 24
    assert set(answers["org_type"]) == {"CBO", "Hospital"}
    assert spec.sources["platform_rows"] == said


@pytest.mark.parametrize("below", [
    ["", "R013,CBO,OH,\"We meet monthly.\",\"Money\""],  # a late respondent past a blank row
    ["", "R013,,,,"],  # one who answered nothing but is listed
    ["", "R013,,,\"We meet monthly.\","],  # one who answered little (under half the cells)
    ["Prepared by:,Evaluation team,CBO,OH,Hospital"],  # a row filled as a respondent's is one
    # A third reviewer's (2026-11-30): past a blank row, a late respondent with an id of another shape and an answer,
    # one with no id, one whose only answer is a labelled one; right under the answers, an anonymous respondent whose
    # answer starts as a note does
    ["", "Paper 1,,,\"We meet with the clinic every month and share referrals.\","],
    ["", "R021-late,,,\"Staff turnover at the hospital means we start over.\","],
    ["", ",CBO,,\"We meet with the clinic every month.\","],
    [",,,,\"Note: please do not quote us by name.\""],
    ["Source:,Partner e-mail,CBO,,"],
])
def test_a_respondent_under_a_blank_row_is_kept(tmp_path, below):
    path = write(tmp_path / "export.csv", "\n".join(_twelve_respondents() + below) + "\n")
    answers, spec, _ = load_answers(path, InputSpec())
    assert answers["respondent_id"].nunique() == 13 and "platform_rows" not in spec.sources


def test_rows_under_a_dropped_header_or_under_timestamps_are_no_table_below(tmp_path):
    """A gap left by a pasted header row that was dropped is no blank row; and under a first column of times (a form's
    Timestamp) a row typed in by hand, with no time, is a respondent's."""
    lines = _twelve_respondents()
    lines += [lines[0], "901,CBO,,Short answer,", "902,CBO,,Another answer,"]
    answers, spec, _ = load_answers(write(tmp_path / "pasted.csv", "\n".join(lines) + "\n"), InputSpec())
    assert answers["respondent_id"].nunique() == 14 and "under the answers" not in spec.sources.get("platform_rows", "")
    lines = ["Timestamp,org_type,state,goals,challenges"] + [
        f"3/{k}/2024 10:{k:02d}:00,CBO,OH,\"{_answer(k, 'trust')}\",\"{_answer(k, 'money')}\"" for k in range(1, 13)]
    lines += ["", "Entered by hand,,,Funding,"]
    answers, spec, _ = load_answers(write(tmp_path / "forms.csv", "\n".join(lines) + "\n"), InputSpec(id_column="none"))
    assert answers["respondent_id"].nunique() == 13


def test_a_bulleted_answer_under_a_dropped_header_row_is_no_note_past_a_blank_row(tmp_path):
    """A header pasted again over the last answers is dropped; the gap it leaves is no blank row, so a bulleted last
    answer under it ("* More funding for staff") is a respondent's, as it is with no header above it."""
    said = ["We meet monthly", "Trust grew over the years slowly", "Shared referrals", "Staff turnover hurts us",
            "Data never comes back from the clinic", "Funding", "Language access for families who speak Spanish",
            "Hard to reach rural clients", "Our board is new", "Weekly calls", "Co-located staff at the clinic",
            "Nothing yet"]
    lines = ["goals,challenges"] + [f"{a},{b}" for a, b in zip(said, reversed(said))]
    lines += ["goals,challenges", "* More funding for staff,"]
    spec = InputSpec(id_column="none", text_columns=("goals", "challenges"))
    answers, _, _ = load_answers(write(tmp_path / "pasted.csv", "\n".join(lines) + "\n"), spec)
    assert "* More funding for staff" in answers["answer_raw"].tolist()
    lines[-2] = ""  # a blank row: a marked note past it is a note
    answers, _, _ = load_answers(write(tmp_path / "blank.csv", "\n".join(lines) + "\n"), spec)
    assert "* More funding for staff" not in answers["answer_raw"].tolist()


def test_a_table_under_answers_with_a_blank_row_of_their_own_is_cut_at_its_own_gap(tmp_path):
    lines = _twelve_respondents()
    lines = lines[:7] + [""] + lines[7:] + ["", "Type,Count,,,", "CBO,6,,,"]
    answers, spec, _ = load_answers(write(tmp_path / "export.csv", "\n".join(lines) + "\n"), InputSpec())
    assert answers["respondent_id"].nunique() == 12
    assert spec.sources["platform_rows"].startswith("rows 16-17, under the answers")


def test_a_last_respondent_who_wrote_about_totals_is_kept(tmp_path):
    path = write(tmp_path / "export.csv", "id,goals,challenges\nR1,Trust,Money\nR2,Data,Staff\n"
                                          ",Total cost of care,Count on partners\n")
    answers, _, _ = load_answers(path, InputSpec(text_columns=("goals", "challenges")))
    assert answers["respondent_id"].nunique() == 3
    path = write(tmp_path / "rates.csv", "id,goals,challenges\nR1,Trust,Money\nR2,Data,Staff\n"
                                         "R3,Response rate,Rates are low\n")
    answers, _, _ = load_answers(path, InputSpec(text_columns=("goals", "challenges")))
    assert answers["respondent_id"].nunique() == 3


@pytest.mark.parametrize("last", ['"Updated our data-sharing agreement with the clinic",',
                                  '"As of this year we meet monthly",', '"Extracted lessons from each case",',
                                  '"Number of referrals",'])
def test_a_last_respondent_whose_answer_starts_like_a_note_is_kept(tmp_path, last):
    """Notes are "As of 3/1/2025", "Updated: 2 Nov", "Number of responses: 80": a last answer alone in its row that
    starts "Updated our ..." or "Number of referrals" is a respondent's (a second review found them dropped)."""
    path = write(tmp_path / "export.csv", "goals,challenges\nTrust each other,Money\nData,Staff\nMeetings,Time\n"
                                          f"{last}\n")
    answers, spec, _ = load_answers(path, InputSpec(id_column="none", text_columns=("goals", "challenges")))
    assert answers["respondent_id"].nunique() == 4 and "platform_rows" not in spec.sources


def test_a_last_respondent_with_only_an_id_or_words_in_a_column_of_words_is_kept(tmp_path):
    """Words alone in the first cell of the last row are a note's line only under ids of one shape ("R1", "R2"):
    not a last respondent whose id is its only cell, nor an answer under answers."""
    path = write(tmp_path / "ids.csv", "id,goals,challenges\nR1,Trust,Money\nR2,Data,Staff\nR3,,\n")
    answers, spec, _ = load_answers(path, InputSpec(text_columns=("goals", "challenges")))
    assert "R3" in answers["respondent_id"].tolist() and "platform_rows" not in spec.sources
    path = write(tmp_path / "words.csv", "goals,challenges\nTrust each other,Money\nData sharing,Staff\n"
                                         "Meet monthly with partners,\n")
    answers, spec, _ = load_answers(path, InputSpec(id_column="none", text_columns=("goals", "challenges")))
    assert answers["respondent_id"].nunique() == 3 and "platform_rows" not in spec.sources


def test_excels_delimiter_line_names_the_delimiter(tmp_path):
    """'sep=;' on the first line (Excel writes it) was read as the header, with a misleading error."""
    path = write(tmp_path / "export.csv", "sep=;\nid;challenges\nR1;Money, staff and time\nR2;Trust\n")
    answers, _, _ = load_answers(path, InputSpec(text_columns=("challenges",)))
    assert list(answers["answer_raw"]) == ["Money, staff and time", "Trust"]
    assert list(answers["source_row"]) == [2, 3]  # as Excel shows the file: the line is not a row


def test_spellings_of_one_metadata_value_are_one_group_and_said(tmp_path):
    """'CA', 'ca' and 'California' were three groups, and four spellings of 'Nonprofit CBO' hid it (QA round 3)."""
    from themes.infer import id_problem_lines

    rows = [("R1", "Nonprofit CBO", "CA"), ("R2", "Nonprofit CBO", "ca"), ("R3", "nonprofit cbo", "California"),
            ("R4", "Non-profit CBO.", "NY"), ("R5", "Government", "New York"), ("R6", "Foundation", "OH"),
            # a newspaper's abbreviations: "calif." was a group of its own, "Washington, D.C." not DC's
            ("R7", "Foundation", "calif."), ("R8", "Foundation", '"Washington, D.C."'), ("R9", "Foundation", "DC")]
    path = write(tmp_path / "export.csv", "id,org_type,state,challenges\n" + "".join(
        f"{r},{kind},{state},Grants end and we lose staff {k}\n" for k, (r, kind, state) in enumerate(rows)))

    answers, _, problems = load_answers(path, InputSpec(text_columns=("challenges",), meta_columns=("org_type", "state")))

    assert list(answers["org_type"]) == ["Nonprofit CBO"] * 4 + ["Government"] + ["Foundation"] * 4
    assert list(answers["state"]) == ["CA", "CA", "CA", "NY", "NY", "OH", "CA", "DC", "DC"]
    assert ("  metadata   'org_type': spellings of one value read as one group: 'nonprofit cbo', 'Non-profit CBO.' "
            "as 'Nonprofit CBO'") in id_problem_lines(problems)


def test_columns_named_for_contact_details_are_not_guessed_as_questions(tmp_path):
    """An organisation's name and a mailing address are text, and were coded as open questions (QA round 3)."""
    rows = "".join(f"R{k},Riverside Community Health and Wellness Center of Springfield {k},"
                   f"\"{k}00 North Main Street Suite 2, Springfield, IL 6270{k}\","
                   f"555-201-334{k},We meet every month and the hospital never sends anyone who decides {k}\n"
                   for k in range(1, 6))
    path = write(tmp_path / "export.csv", "id,Organization name,Mailing address,Phone,What holds the partnership "
                 "back?\n" + rows)
    _, spec, _ = load_answers(path, InputSpec())
    assert spec.text_columns == ("What holds the partnership back?",)
    # a phone column of digits alone is said too: it went unmentioned (review 159)
    assert "'Organization name', 'Mailing address', 'Phone'" in spec.sources["ignored"]


@pytest.mark.parametrize("above", [[["Partnership RFI - responses exported 2 Nov 2026"], []],
                                   [["Respondent", None, "Open-ended questions", None]]],
                         ids=["title and blank line", "group labels"])
def test_a_header_below_a_title_or_group_labels_is_found_and_the_rows_above_skipped(tmp_path, above):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in above:
        sheet.append(row)
    sheet.append(["respondent_id", "state", "goals", "challenges"])
    for k in range(1, 6):
        sheet.append([f"R{k}", "OH", f"Improve access to care for {k} counties", f"Grants end after {k} years"])
    book.save(tmp_path / "export.xlsx")

    answers, spec, _ = load_answers(tmp_path / "export.xlsx", InputSpec(text_columns=("goals", "challenges")))

    header = len(above) + 1
    assert sorted(answers["respondent_id"].unique()) == [f"R{k}" for k in range(1, 6)]
    assert answers["source_row"].min() == header + 1
    assert spec.sources["platform_rows"].startswith(("row 1, " if header == 2 else "rows 1-2, ")
                                                    + f"above the column names in row {header}")


@pytest.mark.parametrize("content", [
    '{"total_items": 1, "items": [{"response_id": "R1", "answers": [{"field": "challenges", "text": "Money"}]}]}',
    '{"id": "R1", "hidden": {"state": "OH"}, "challenges": "Money"}\n{"id": "R2", "hidden": {"state": "MI"}, '
    '"challenges": "Trust"}\n',
    '{\n  "survey": "RFI",\n  "responses": [\n    {"id": "R1", "challenges": "Money"}\n  ]\n}\n',
], ids=["api export", "nested object per line", "pretty-printed api export"])
def test_a_json_of_records_inside_records_says_to_export_flat_rows(tmp_path, content):
    """A Typeform API export read as one respondent with an 'items' answer, or asked for --sheet (QA round 3)."""
    path = write(tmp_path / "export.json", content)
    with pytest.raises(InputError, match="holds records inside records .* not one flat row per respondent"):
        read_table(path)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_surveymonkey_choices_are_named_by_their_question(tmp_path, suffix):
    """A question written once over its choices: 'Other (please specify)' became the question 'nan (3)' (QA 3)."""
    rows = [["Respondent ID", "Which agreements are in place?", None, None, "What challenges hold it back?"],
            [None, "MOU", "Contract", "Other (please specify)", "Open-Ended Response"],
            ["11", "MOU", None, "A handshake with the county health officer and a shared calendar", "Money"],
            ["12", None, "Contract", None, "Staff turnover at the hospital"]]
    path = tmp_path / f"monkey{suffix}"
    if suffix == ".csv":
        path.write_text("\n".join(",".join(cell or "" for cell in row) for row in rows) + "\n", encoding="utf-8")
    else:
        pd.DataFrame(rows[1:], columns=rows[0]).to_excel(path, index=False)

    table = read_table(path)

    assert list(table.columns) == ["Respondent ID", "Which agreements are in place? - MOU",
                                   "Which agreements are in place? - Contract",
                                   "Which agreements are in place? - Other (please specify)",
                                   "What challenges hold it back?"]
    assert not table.attrs.get("repeated_columns")


def test_a_guessed_id_column_that_most_rows_repeat_stops_the_run(tmp_path):
    """An 'ID' column of five organisations over 20 rows: each repeat would have become a respondent of its own."""
    lines = ["ID,kind,q1,q2"] + [f"ORG{r % 5},CBO,Answer {r} says we trust each other a lot,Funding {r} is short "
                                 "for all the work we do" for r in range(20)]
    path = write(tmp_path / "orgs.csv", "\n".join(lines) + "\n")
    with pytest.raises(InputError) as raised:
        load_answers(path, InputSpec())
    assert str(raised.value) == ("The id column 'ID' (guessed) repeats in 15 of 20 rows with other answers (e.g. "
                                 "'ORG0'): it does not name respondents. Pass --id-column with the column that does; "
                                 "if each row is one answer to one question (a long export), name its columns with "
                                 "--question-column and --answer-column; or pass --id-column none to name each row "
                                 "as a respondent by its content.")
    answers, _, problems = load_answers(path, InputSpec(id_column="ID"))  # named: taken, each repeat apart
    assert answers["respondent_id"].nunique() == 20 and len(problems) == 15


def test_answers_on_two_sheets_stop_the_guess_in_one_line(tmp_path):
    """A pilot or codes sheet before the responses: the first sheet with a table was coded, 5 respondents of 35."""
    import openpyxl

    book = openpyxl.Workbook()
    for title, n in (("Pilot", 5), ("Responses", 30)):
        sheet = book.active if title == "Pilot" else book.create_sheet(title)
        sheet.title = title
        sheet.append(["respondent_id", "challenges"])
        for k in range(n):
            sheet.append([f"R{k}", f"Grants end after {k} years and we lose the staff we trained for months"])
    book.save(tmp_path / "survey.xlsx")
    with pytest.raises(InputError) as raised:
        load_answers(tmp_path / "survey.xlsx", InputSpec())
    assert str(raised.value) == ("survey.xlsx has tables of answers on 2 sheets: 'Pilot' (5 rows), 'Responses' (30 "
                                 "rows). Pass the one to code with --sheet.")
    answers, spec, _ = load_answers(tmp_path / "survey.xlsx", InputSpec(sheet="Responses"))
    assert answers["respondent_id"].nunique() == 30 and spec.sheet == "Responses"


def test_a_legend_of_the_columns_is_no_table_of_answers_and_labels_them(tmp_path):
    """Review 152: a 'Code | Question' sheet before the responses stopped the run as a second table of answers; its
    questions say what Q1 and Q3 are, as Qualtrics's question-text row does."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Legend"
    for row in (["Code", "Question"], ["Q1", "Which best describes your organization?"],
                ["Q2", "In which state is your partnership based?"],
                ["Q3", "What challenges hold the partnership back?"]):
        book.active.append(row)
    sheet = book.create_sheet("Responses")
    sheet.append(["Response ID", "Q1", "Q2", "Q3"])
    for k in range(30):
        sheet.append([f"R{k}", ["Nonprofit CBO", "Health system"][k % 2], ["OH", "CA", "NY"][k % 3],
                      f"Grants end after {k} years and we lose the staff we trained for months"])
    book.save(tmp_path / "survey.xlsx")

    answers, spec, _ = load_answers(tmp_path / "survey.xlsx", InputSpec())

    assert spec.sheet == "Responses" and answers["respondent_id"].nunique() == 30
    assert spec.sources["sheet"] == ("guessed: 'Legend' lists the columns of 'Responses' (a legend, no answers; its "
                                     "questions read as their labels)")
    assert spec.text_columns == ("Q3",) and spec.meta_columns == ("Q1", "Q2")
    assert dict(spec.question_labels)["Q3"] == "What challenges hold the partnership back?"
    # A data dictionary's label, not its longer column of value codes (review 154)
    legend = book["Legend"]
    legend.delete_rows(1, legend.max_row)
    for row in (["Variable", "Label", "Values"],
                ["Q1", "Which best describes your organization?", "1=Nonprofit CBO; 2=Health system; 3=Government; "
                 "4=Other organization of any kind"],
                ["Q2", "In which state is your partnership based?", "Two-letter code of the state or territory"],
                ["Q3", "What challenges hold the partnership back?", "Open text, as many words as one likes"]):
        legend.append(row)
    book.save(tmp_path / "survey.xlsx")
    _, spec, _ = load_answers(tmp_path / "survey.xlsx", InputSpec())
    assert dict(spec.question_labels)["Q1"] == "Which best describes your organization?"


def test_answers_on_two_sheets_after_an_instructions_sheet_stop_too(tmp_path):
    """An instructions sheet, then a pilot and the responses: the pilot was taken without a word."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Read me"
    book.active.append(["This workbook holds the answers to the partnership survey, one row per respondent."])
    for title, n in (("Pilot", 5), ("Responses", 30)):
        sheet = book.create_sheet(title)
        sheet.append(["respondent_id", "challenges"])
        for k in range(n):
            sheet.append([f"R{k}", f"Grants end after {k} years and we lose the staff we trained for months"])
    hidden = book.create_sheet("Old")  # a hidden sheet is not a candidate
    hidden.sheet_state = "hidden"
    hidden.append(["respondent_id", "challenges"])
    hidden.append(["R1", "Last year's answer about the grants that ended and the staff we lost"])
    book.save(tmp_path / "survey.xlsx")
    with pytest.raises(InputError) as raised:
        load_answers(tmp_path / "survey.xlsx", InputSpec())
    assert str(raised.value) == ("survey.xlsx has tables of answers on 2 sheets: 'Pilot' (5 rows), 'Responses' (30 "
                                 "rows). Pass the one to code with --sheet.")
    book.remove(book["Pilot"])
    book.save(tmp_path / "survey.xlsx")
    answers, spec, _ = load_answers(tmp_path / "survey.xlsx", InputSpec())
    assert spec.sheet == "Responses" and answers["respondent_id"].nunique() == 30
    assert spec.sources["sheet"] == "guessed: 'Read me' has no table of answers"


def _answer(k: int, topic: str) -> str:
    return f"Answer {k} about {topic}: we meet monthly and share what we learn about each family we serve"


def test_rows_of_one_respondent_split_over_events_are_joined_and_said(tmp_path):
    """REDCap exports a row per record and event: type, state and half the answers on 'baseline', the rest on
    'followup'. Read as rows they were 100 respondents for 50, every share halved, with exit 0."""
    lines = ["record_id,redcap_event_name,org_type,state,goals,challenges"]
    for k in range(30):
        lines.append(f"{k},baseline_arm_1,CBO,CA,{_answer(k, 'goals')},")
        lines.append(f"{k},followup_arm_1,,,,{_answer(k, 'challenges')}")
    lines.append("99,baseline_arm_1,CBO,CA,One answer about goals that we share with every partner we meet,"
                 "A first answer about the challenges we meet with the hospital and its staff")
    lines.append("99,baseline_arm_1,CBO,CA,Another answer about goals from a second form sent in later,")
    path = write(tmp_path / "redcap.csv", "\n".join(lines) + "\n")

    answers, spec, problems = load_answers(path, InputSpec())

    assert answers["respondent_id"].nunique() == 32  # 99 answered goals twice: a resubmission, kept apart
    first = answers[answers["respondent_id"] == "0"].set_index("question")
    assert first.loc["goals", "answer_raw"] == _answer(0, "goals")
    assert first.loc["challenges", "answer_raw"] == _answer(0, "challenges")
    assert (first["org_type"] == "CBO").all() and (first["state"] == "CA").all()
    assert problems[0] == {"row": None, "problem": "rows_joined", "respondents": 30, "rows": 60, "respondent_id": "0"}
    from themes.infer import id_problem_lines

    assert id_problem_lines(problems)[0] == (
        "  joined     60 rows into 30 respondents: rows that share an id and answer different questions (e.g. '0'; "
        "a REDCap event or a form saved page by page) are one respondent's answers")


def test_a_redcap_repeating_instrument_is_read_as_its_records_answers(tmp_path):
    """REDCap writes a record's row, then a row per instance of a repeated form with the record's id and only that
    form's fields. Each instance was a respondent of its own (typed 'unknown'): 101 respondents for 40 records."""
    lines = ["record_id,redcap_repeat_instrument,redcap_repeat_instance,org_type,state,goals,partner_work"]
    for k in range(20):
        lines.append(f"{k},,,CBO,CA,{_answer(k, 'goals')},")
        for instance in range(1, k % 3 + 1):  # none, one or two partners
            lines.append(f"{k},partners,{instance},,,,{_answer(k, f'partner {instance}')}")
    lines.append("77,partners,2,,,,Second partner written before the first in the file")  # out of order
    lines.append("77,partners,1,,,,First partner of a record with no row of its own")
    path = write(tmp_path / "redcap.csv", "\n".join(lines) + "\n")

    answers, spec, problems = load_answers(path, InputSpec())

    assert spec.id_column == "record_id" and answers["respondent_id"].nunique() == 21
    assert not answers["respondent_id"].str.contains("~").any()
    two = answers[answers["respondent_id"] == "2"].set_index("question")
    assert two.loc["goals", "answer_raw"] == _answer(2, "goals")
    assert two.loc["partner_work", "answer_raw"] == _answer(2, "partner 1") + "\n\n" + _answer(2, "partner 2")
    assert (two["org_type"] == "CBO").all() and (two["state"] == "CA").all()
    late = answers[answers["respondent_id"] == "77"].set_index("question")
    assert late.loc["partner_work", "answer_raw"] == ("First partner of a record with no row of its own\n\n"
                                                      "Second partner written before the first in the file")
    assert problems[0] == {"row": None, "problem": "repeat_instances_joined", "respondents": 14, "rows": 21,
                           "instruments": ["partners"], "answers_joined": 7, "respondent_id": "1"}
    from themes.infer import id_problem_lines

    assert id_problem_lines(problems)[0] == (
        "  joined     21 rows of REDCap's repeating instrument 'partners' into their 14 records (e.g. '1'): each record "
        "is one respondent; 7 answers join several instances' texts, one paragraph each")


def test_a_long_export_where_most_people_answered_one_question_is_read_as_long(tmp_path):
    """50 respondents, one in four answered all three questions: it was read as wide, 75 respondents."""
    questions = ["What made it effective?", "What holds it back?", "How do you engage the community?"]
    lines = ["Response ID,Organization category,Question,Response"]
    for k in range(50):
        for q in (questions if k % 4 == 0 else [questions[k % 3]]):
            lines.append(f"R{k},Nonprofit CBO,{q},{_answer(k, q[:-1])}")
    path = write(tmp_path / "long.csv", "\n".join(lines) + "\n")

    answers, spec, _ = load_answers(path, InputSpec())

    assert (spec.question_column, spec.answer_column) == ("Question", "Response")
    assert answers["respondent_id"].nunique() == 50 and len(answers) == len(lines) - 1


def test_numeric_json_ids_stay_as_written_when_one_is_missing(tmp_path):
    """pandas read a column of integers with one null as floats: every id became '1000.0', '1001.0', ..."""
    lines = [f'{{"respondent_id": {1000 + k}, "score": 0.5, "challenges": "{_answer(k, "money")}"}}' for k in range(4)]
    lines.append(f'{{"respondent_id": null, "score": 1, "challenges": "{_answer(9, "staff")}"}}')
    path = write(tmp_path / "export.jsonl", "\n".join(lines) + "\n")
    table = read_table(path)
    assert list(table["respondent_id"])[:4] == ["1000", "1001", "1002", "1003"] and table["score"].iloc[0] == "0.5"
    with pytest.raises(InputError, match=r"export.jsonl:2: not a JSON object"):
        read_table(write(tmp_path / "export.jsonl", lines[0] + "\n{broken\n"))


def test_a_hidden_column_is_not_guessed_as_a_question_and_is_said(tmp_path):
    """A reviewer's notes, hidden in the workbook, held staff names and were coded as an open question."""
    import openpyxl

    from themes.infer import announcement

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["respondent_id", "challenges", "Reviewer notes (internal)"])
    for k in range(12):
        sheet.append([f"R{k}", _answer(k, "money"), f"Checked by Dana Whitfield on visit {k}, follow up with the site"])
    sheet.column_dimensions["C"].hidden = True
    book.save(tmp_path / "survey.xlsx")

    answers, spec, problems = load_answers(tmp_path / "survey.xlsx", InputSpec())
    assert spec.text_columns == ("challenges",) and set(answers["question"]) == {"challenges"}
    assert ("  hidden     'Reviewer notes (internal)': hidden in the workbook, so not read (--text-column or "
            "--meta-column reads one)") in announcement(spec, tmp_path / "survey.xlsx", problems=problems)
    named, _, _ = load_answers(tmp_path / "survey.xlsx",
                               InputSpec(text_columns=("challenges", "Reviewer notes (internal)")))
    assert set(named["question"]) == {"challenges", "Reviewer notes (internal)"}


def test_hidden_rows_are_read_and_named_by_their_sheet_rows(tmp_path):
    """Rows hidden in the workbook (by hand or by a filter) were read with no word: a row hidden to leave a test
    answer out was coded, and one hidden to tidy the view must not be lost either, so they are read and named."""
    import openpyxl

    from themes.infer import announcement

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Partnership RFI - export of 2 Nov"])  # a title: the header is row 2
    sheet.append(["respondent_id", "state", "challenges"])
    for k in range(10):
        sheet.append([f"R{k}", "OH", _answer(k, "money")])
    sheet.append([])
    for row in (4, 9, 13):  # R1, R6 and the blank row 13: no one
        sheet.row_dimensions[row].hidden = True
    book.save(tmp_path / "survey.xlsx")

    answers, spec, problems = load_answers(tmp_path / "survey.xlsx", InputSpec())
    assert len(answers) == 10 and {"R1", "R6"} <= set(answers["respondent_id"])
    assert answers.loc[answers["respondent_id"] == "R1", "source_row"].tolist() == [4]
    assert ("  hidden     rows 4, 9: hidden in the workbook, but read as answers (delete a row from the file to leave "
            "it out)") in announcement(spec, tmp_path / "survey.xlsx", problems=problems)

    for row in (4, 9, 13):
        sheet.row_dimensions[row].hidden = False
    book.save(tmp_path / "shown.xlsx")
    _, shown, _ = load_answers(tmp_path / "shown.xlsx", InputSpec())
    assert "hidden_rows" not in shown.sources


def test_a_title_line_without_delimiters_above_a_csv_is_skipped_and_said(tmp_path):
    """It was read as the header, then the first record failed: '11 fields where the header names 1: a comma
    inside an answer without quotes around it?', the wrong cause."""
    rows = ["Partnership RFI - responses exported 2 Nov 2024", "respondent_id,state,challenges"]
    rows += [f"R{k},OH,{_answer(k, 'money')}" for k in range(5)]
    path = write(tmp_path / "export.csv", "\n".join(rows) + "\n")
    answers, spec, _ = load_answers(path, InputSpec())
    assert answers["respondent_id"].tolist() == [f"R{k}" for k in range(5)]
    assert answers["source_row"].tolist() == [3, 4, 5, 6, 7]  # as the file numbers its lines
    assert spec.sources["platform_rows"] == ("row 1, a title above the column names ('Partnership RFI - responses "
                                             "exported 2 N'): not answers")
    one_column = write(tmp_path / "one.csv", "comments\nWe need money, staff, and time\nTrust takes years\n"
                                             "Data, data and more data\n")
    with pytest.raises(InputError, match="one.csv:2: 3 fields where the header names 1"):
        load_answers(one_column, InputSpec(id_column="none"))


def test_a_workbook_whose_first_rows_are_blank_finds_its_header_below(tmp_path):
    """'cannot be read as EXCEL: single positional indexer is out-of-bounds' for a header in row 3."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([])
    sheet.append([])
    sheet.append(["respondent_id", "state", "challenges"])
    for k in range(5):
        sheet.append([f"R{k}", "OH", _answer(k, "money")])
    book.save(tmp_path / "blank_top.xlsx")
    answers, spec, _ = load_answers(tmp_path / "blank_top.xlsx", InputSpec())
    assert answers["respondent_id"].tolist() == [f"R{k}" for k in range(5)]


def test_a_table_of_counts_beside_the_answers_is_not_read_and_is_said(tmp_path):
    """A pivot of respondents by type past two empty columns: its 'Type' was a metadata column, most respondents
    'unknown', and the empty columns were announced as a repeated column name 'nan'."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["respondent_id", "org_type", "challenges", None, None, "Type", "Count"])
    kinds = ["Nonprofit CBO", "Government", "Health care organization"]
    for k in range(12):
        side = [kinds[k], 4] if k < 3 else [None, None]
        sheet.append([f"R{k}", kinds[k % 3], _answer(k, "money"), None, None, *side])
    book.save(tmp_path / "survey.xlsx")
    answers, spec, _ = load_answers(tmp_path / "survey.xlsx", InputSpec())
    assert "Type" not in spec.meta_columns and "Type" not in answers.columns
    assert spec.sources["platform_rows"] == "columns 'Type', 'Count', a table beside the answers (3 rows): not read"
    assert not read_table(tmp_path / "survey.xlsx").attrs.get("repeated_columns")


def test_header_cells_of_spaces_alone_are_empty_columns_not_an_error(tmp_path):
    """`ID,Type,...,Funding, ,  ,` (a spreadsheet's trailing cells of spaces): the names repeated once read, and an
    internal ValueError ("The truth value of a Series is ambiguous") reached the user (review 159)."""
    rows = [f"R{k},Hospital,CA,{_answer(k, 'money')},Grants from the county., ,  " for k in range(8)]
    survey = tmp_path / "spaces.csv"
    survey.write_text("ID,Type,State,Challenges,Funding, ,  ,   \n" + "\n".join(row + ",   " for row in rows) + "\n",
                      encoding="utf-8")
    answers, spec, _ = load_answers(survey, InputSpec())
    assert list(read_table(survey).columns) == ["ID", "Type", "State", "Challenges", "Funding"]
    assert answers["respondent_id"].nunique() == 8 and "Challenges" in set(answers["question"])


def test_a_sheet_turned_on_its_side_is_one_line_not_a_hint_to_read_rows_as_respondents(tmp_path):
    """Respondents as columns (R000, R001, ...) and questions as rows: the message advised --id-column none, which
    read 4 rows as respondents and 96 cells as answers, exit 0 (review 159). Q-numbered questions are no ids."""
    ids = [f"R{k:03d}" for k in range(8)]
    rows = [["Question", *ids], ["org_type", *(["Nonprofit CBO", "Hospital"] * 4)], ["state", *(["CA"] * 8)],
            ["challenges", *(_answer(k, "money") for k in range(8))], ["goals", *(_answer(k, "goals") for k in range(8))]]
    path = write(tmp_path / "turned.csv", "\n".join(",".join(f'"{cell}"' for cell in row) for row in rows) + "\n")
    with raises_exactly("The file looks turned on its side: its columns are named like respondent ids ('R000', 'R001', "
                        "'R002', ... 8 in all) and its rows like questions or fields ('org_type', 'state', "
                        "'challenges', ...), 'org_type' of few values across them. Put one respondent per row (in "
                        "Excel: copy the table, Paste Special, Transpose) and run again."):
        load_answers(path, InputSpec())
    numbered = [["Org", *(f"Q{k}" for k in range(1, 9))]] + [[f"Org {n}", *(["Yes"] * 8)] for n in range(4)]
    path = write(tmp_path / "numbered.csv", "\n".join(",".join(row) for row in numbered) + "\n")
    with pytest.raises(InputError) as error:
        load_answers(path, InputSpec())
    assert "turned on its side" not in str(error.value)


def test_the_same_row_sent_twice_is_said_in_the_block(tmp_path):
    from themes.infer import id_problem_lines

    rows = ["respondent_id,challenges"] + [f"R{k},{_answer(k, 'money')}" for k in range(4)]
    rows.append(f"R2,{_answer(2, 'money')}")
    answers, _, problems = load_answers(write(tmp_path / "export.csv", "\n".join(rows) + "\n"), InputSpec())
    assert problems == [{"row": 6, "problem": "repeated_row", "respondent_id": "R2", "first_row": 4}]
    assert id_problem_lines(problems) == ["  sent again row 6: the same answers as an earlier row of the same "
                                          "respondent ('R2', row 4), read once (status duplicate)"]


def test_header_row_names_the_row_of_column_names_the_search_misses(tmp_path):
    """Group labels over most columns (7 of 11) read as the header, and no option could say where the names are."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["About", None, "Place", "Answers", None, None])
    sheet.append(["respondent_id", "org_type", "state", "goals", "challenges", "community_engagement"])
    for k in range(6):
        sheet.append([f"R{k}", "CBO", "OH", _answer(k, "goals"), _answer(k, "money"), _answer(k, "people")])
    book.save(tmp_path / "groups.xlsx")
    answers, spec, _ = load_answers(tmp_path / "groups.xlsx", InputSpec(header_row=2))
    assert spec.id_column == "respondent_id" and answers["respondent_id"].nunique() == 6
    assert answers["source_row"].min() == 3  # as the sheet numbers its rows
    assert spec.sources["platform_rows"] == "row 1, above the column names in row 2 (--header-row): not answers"
    csv_path = write(tmp_path / "groups.csv", "About,,Place,Answers,,\nrespondent_id,org_type,state,goals,challenges,"
                     "community_engagement\n" + "".join(f"R{k},CBO,OH,{_answer(k, 'goals')},{_answer(k, 'money')},"
                                                        f"{_answer(k, 'people')}\n" for k in range(6)))
    answers, spec, _ = load_answers(csv_path, InputSpec(header_row=2))
    assert spec.id_column == "respondent_id" and answers["source_row"].min() == 3
    write(tmp_path / "groups.yaml", "header_row: 2\n")
    assert load_answers(csv_path, InputSpec())[1].sources["header_row"] == "sidecar groups.yaml"
    write(tmp_path / "groups.yaml", "header_row: second\n")
    with pytest.raises(InputError, match=r"groups.yaml: header_row must be a row number from 1"):
        load_answers(csv_path, InputSpec())
    with pytest.raises(InputError, match=r"--header-row 99 is past the end of the file"):
        read_table(csv_path, header_row=99)
    # a workbook says it as plainly (review 144: pandas's "Passed header=[98], len of 1, but only 8 lines in file")
    with pytest.raises(InputError, match=r"^groups.xlsx: --header-row 99 is past the end of sheet '.+' \(\d+ rows\)"
                                         r".*; give the row that holds the column names\.$"):
        read_table(tmp_path / "groups.xlsx", header_row=99)


def test_an_event_row_sent_twice_or_a_state_in_other_case_still_joins(tmp_path):
    lines = ["record_id,redcap_event_name,org_type,state,goals,challenges"]
    for k in range(12):
        lines.append(f"{k},baseline_arm_1,CBO,LA,{_answer(k, 'goals')},")
        lines.append(f"{k},followup_arm_1,,{'la' if k == 3 else ''},,{_answer(k, 'challenges')}")
    lines.append(f"2,followup_arm_1,,,,{_answer(2, 'challenges')}")  # an event's row exported twice
    answers, _, problems = load_answers(write(tmp_path / "redcap.csv", "\n".join(lines) + "\n"), InputSpec())
    assert answers["respondent_id"].nunique() == 12
    assert problems[0]["problem"] == "rows_joined" and problems[0]["respondents"] == 12


def test_a_hidden_column_under_a_title_line_is_not_read_and_is_said_by_its_name(tmp_path):
    """A title in row 1: the hidden notes were coded, and said as hidden under the name 'nan (3)'."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Partnership RFI - responses exported 2 Nov 2024"])
    sheet.append(["respondent_id", "challenges", "Reviewer notes (internal)"])
    for k in range(12):
        sheet.append([f"R{k}", _answer(k, "money"), f"Checked by Dana Whitfield on visit {k}, follow up with the site"])
    sheet.column_dimensions["C"].hidden = True
    book.save(tmp_path / "survey.xlsx")

    answers, spec, _ = load_answers(tmp_path / "survey.xlsx", InputSpec())

    assert spec.text_columns == ("challenges",) and set(answers["question"]) == {"challenges"}
    assert spec.sources["hidden"] == "'Reviewer notes (internal)'"


def test_header_row_still_leaves_hidden_columns_out_and_fills_merged_cells(tmp_path):
    """With --header-row the reader returned before both steps: the hidden notes were coded and a type merged
    over its respondents' rows read as 'unknown' for all but the first."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["About you", None, "Open questions", "Internal"])
    sheet.append(["respondent_id", "org_type", "challenges", "Reviewer notes (internal)"])
    for k, kind in enumerate(["Government", None, None, "Nonprofit CBO", None, None], start=1):
        sheet.append([f"R{k}", kind, _answer(k, "money"), f"Checked by Dana Whitfield on visit {k}, call the site"])
    sheet.merge_cells("B3:B5")
    sheet.merge_cells("B6:B8")
    sheet.column_dimensions["D"].hidden = True
    book.save(tmp_path / "groups.xlsx")

    answers, spec, problems = load_answers(tmp_path / "groups.xlsx", InputSpec(header_row=2))

    assert spec.text_columns == ("challenges",)
    assert list(answers["org_type"]) == ["Government"] * 3 + ["Nonprofit CBO"] * 3
    lines = announcement(spec, tmp_path / "groups.xlsx", problems=problems)
    assert ("  merged     2 merged cell ranges: each cell of one read as the value the spreadsheet shows across "
            "it") in lines
    assert ("  hidden     'Reviewer notes (internal)': hidden in the workbook, so not read (--text-column or "
            "--meta-column reads one)") in lines


@pytest.mark.parametrize("repeat, said", [
    ("respondent_id,state,challenges", "row 5, a repeat of the header row (exports pasted together): not answers"),
    ("Respondent_ID, state ,", "row 5, a repeat of the header row (exports pasted together): not answers"),
    ("R9,state,Trust takes years", None),  # a respondent who wrote 'state': one cell of three is not a header
], ids=["whole", "blank cell and spacing", "one cell"])
def test_a_header_row_repeated_inside_the_file_is_not_a_respondent(tmp_path, repeat, said):
    """Two exports pasted together: the second header became a respondent whose state was 'state'."""
    lines = ["respondent_id,state,challenges"] + [f"R{k},OH,{_answer(k, 'money')}" for k in range(3)]
    lines += [repeat] + [f"R{k},MI,{_answer(k, 'money')}" for k in range(3, 6)]
    answers, spec, _ = load_answers(write(tmp_path / "export.csv", "\n".join(lines) + "\n"), InputSpec())

    assert answers["respondent_id"].nunique() == (6 if said else 7)
    assert spec.sources.get("platform_rows") == said
    if said:
        assert answers["source_row"].tolist() == [2, 3, 4, 6, 7, 8]  # as the file numbers its lines


def test_a_title_over_a_pasted_block_is_not_a_respondent(tmp_path):
    """'Batch 2 (received after 15 March)' over the second block's header became a respondent with every answer
    empty (31 respondents for 30)."""
    lines = ["respondent_id,state,challenges"] + [f"R{k},OH,{_answer(k, 'money')}" for k in range(3)]
    lines += ['"Batch 2 (received after 15 March)",,', "respondent_id,state,challenges"]
    lines += [f"R{k},MI,{_answer(k, 'money')}" for k in range(3, 6)]
    answers, spec, _ = load_answers(write(tmp_path / "export.csv", "\n".join(lines) + "\n"), InputSpec())
    assert answers["respondent_id"].nunique() == 6
    assert spec.sources["platform_rows"] == ("rows 5, 6, a repeat of the header row (exports pasted together), and "
                                             "the title above it: not answers")


def test_a_browsers_user_agent_column_is_not_taken_for_an_open_question(tmp_path):
    """Alchemer exports the respondent's browser ("Mozilla/5.0 (Windows NT 10.0; ...)"): it was coded."""
    agents = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.{k} "
              "Safari/537.36", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
              "like Gecko) Version/17.1 Mobile/15E148 Safari/604.1 ({k})"]
    rows = "".join(f'{k},"{agents[k % 2].format(k=k)}",{_answer(k, "money")}\n' for k in range(8))
    path = write(tmp_path / "export.csv", "Response ID,User Agent,What holds the partnership back?\n" + rows)

    _, spec, _ = load_answers(path, InputSpec())

    assert spec.text_columns == ("What holds the partnership back?",)
    assert ("  not read   'User Agent': not free text, nor ids or metadata (--text-column codes a column; "
            "--meta-column breaks counts down by one)") in announcement(spec, path)


def test_a_respondent_who_ticked_every_choice_named_in_the_header_is_kept(tmp_path):
    """Columns named for a question's choices hold the choice when ticked: such a row names its columns too."""
    lines = ["respondent_id,MOU,Contract,Grant,Other,challenges"]
    lines += [f"R{k},MOU,{'Contract' if k % 2 else ''},,,{_answer(k, 'money')}" for k in range(5)]
    lines.append("R5,MOU,Contract,Grant,Other,")
    answers, spec, _ = load_answers(write(tmp_path / "export.csv", "\n".join(lines) + "\n"),
                                    InputSpec(text_columns=("challenges",)))
    assert answers["respondent_id"].nunique() == 6 and "platform_rows" not in spec.sources


@pytest.mark.parametrize("header", ["How do partners work together? (Check all that apply)", "How partners work"])
def test_a_check_all_that_apply_column_is_not_taken_for_an_open_question(tmp_path, caplog, header):
    """Google Forms writes the options ticked, comma-joined: the combinations vary, so it passed for free text, and
    its options' wording ("Partners share client-level data ...") was coded as themes. Known by its header, or by
    answers made of a few recurring phrases; a typed list of things ("housing, food and rent help") is an answer."""
    options = ["Partners refer clients to each other's services", "Partners coordinate services for shared clients",
               "Partners share client-level data in a common system", "Partners jointly apply for grants",
               "Partners have a formal governance board"]
    rows = []
    for k in range(24):
        ticked = ", ".join(option for j, option in enumerate(options) if (k >> j) & 1 or j == k % 5)
        rows.append(f'R{k},"{ticked}",{_answer(k, "money")},"We help with {["housing", "food", "rent"][k % 3]}, '
                    f'{["jobs", "transport", "childcare"][k % 3]} and case {k} paperwork for families"')
    path = write(tmp_path / "form.csv", f'respondent_id,"{header}",challenges,services\n' + "\n".join(rows) + "\n")

    with caplog.at_level("WARNING", logger="themes"):
        _, spec, _ = load_answers(path, InputSpec())

    assert spec.text_columns == ("challenges", "services")
    assert f"the column '{header}' holds choices ticked from a list" in caplog.text
    assert "repeats most of its values" not in caplog.text  # one reason, not two


def test_an_open_question_that_asks_whether_one_selected_any_is_coded(tmp_path):
    """"Did your organization select any partners ...? Please describe." asks for words: answered "Yes, we ..." and
    "No, ...", whose recurring "Yes" and "No" are no list of options."""
    rows = [f'R{k},"{["Yes", "No"][k % 2]}, we meet monthly with partner {k} to review referrals and shared goals",'
            f'{_answer(k, "money")}' for k in range(40)]
    header = "Did your organization select any partners through a formal process? Please describe."
    path = write(tmp_path / "form.csv", f'respondent_id,"{header}",challenges\n' + "\n".join(rows) + "\n")
    _, spec, _ = load_answers(path, InputSpec())
    assert spec.text_columns == (header, "challenges")


def test_a_utf8_export_with_a_row_of_windows_text_added_reads_each_row_in_its_own_encoding(tmp_path):
    """A cp1252 row appended to a UTF-8 export: the whole file was read as Mac Icelandic, "café" as "caf√©" in
    every row, and only the encoding line hinted at it."""
    rows = ["respondent_id,state,challenges",
            f'R1,OH,"Our caf\u00e9 comunitario lost its grant.\nWe still meet."',
            "R2,NM,Educaci\u00f3n en espa\u00f1ol para adultos mayores needs staff we cannot pay",
            *(f"R{k},OH,{_answer(k, 'money')}" for k in range(3, 9))]
    added = "R9,CA,Our partners\u2019 staff turnover is the biggest barrier\n"
    path = tmp_path / "export.csv"
    path.write_bytes(("\n".join(rows) + "\n").encode("utf-8") + added.encode("cp1252"))

    answers, spec, problems = load_answers(path, InputSpec(text_columns=("challenges",)))

    assert answers["answer_raw"].tolist()[:2] == ["Our caf\u00e9 comunitario lost its grant.\nWe still meet.",
                                                  "Educaci\u00f3n en espa\u00f1ol para adultos mayores needs staff we "
                                                  "cannot pay"]
    assert answers["answer_raw"].iloc[-1] == "Our partners\u2019 staff turnover is the biggest barrier"
    assert "encoding" not in spec.sources  # the file is UTF-8: no guess of one encoding for the whole
    # Row 10 of the spreadsheet (line 11 of the file: the first answer spans two lines).
    assert ("  encoding   UTF-8, but row 10 not: read as cp1252 (Windows); if letters look wrong there, retype them "
            "and save the file as UTF-8 CSV") in announcement(spec, path, problems=problems)


@pytest.mark.parametrize("encoding", ["utf-8", "mac_roman"])
def test_lines_that_end_in_a_bare_cr_are_read_as_lines(tmp_path, encoding):
    """Excel for Mac's "CSV (Macintosh)" ends lines with CR: 'cannot be read as CSV: new-line character seen in
    unquoted field - do you need to open the file in universal-newline mode?'. A LF in such a file is a line break
    inside an answer, quoted or not; and its text is Mac Roman, whose curly quotes cp1252 reads as letters."""
    rows = ["respondent_id,state,challenges", "R1,OH,The county\u2019s data \u201cmost of the time\u201d",
            "R2,MI,First line\nsecond line of the same answer", 'R3,NM,"Quoted, and\non two lines"',
            *(f"R{k},OH,{_answer(k, 'money')}" for k in range(4, 8))]
    path = tmp_path / "export.csv"
    path.write_bytes("\r".join(rows).encode(encoding) + b"\r")

    answers, spec, _ = load_answers(path, InputSpec(text_columns=("challenges",)))

    assert answers["respondent_id"].tolist() == [f"R{k}" for k in range(1, 8)]
    assert answers["answer_raw"].tolist()[:3] == ["The county\u2019s data \u201cmost of the time\u201d",
                                                  "First line\nsecond line of the same answer",
                                                  "Quoted, and\non two lines"]
    assert spec.sources.get("encoding") == (None if encoding == "utf-8" else "mac_roman")


@pytest.mark.parametrize("above, said", [
    ("\n", None),
    ("\n\n", None),
    ("Partnership RFI responses\n\n", "row 1, a title above the column names ('Partnership RFI responses'): not "
                                      "answers"),
    ("\nPartnership RFI responses\n\n", "row 2, a title above the column names ('Partnership RFI responses'): not "
                                        "answers"),
    ("Partnership RFI, responses exported 2 Nov 2024\n", "row 1, a title above the column names ('Partnership RFI, "
                                                         "responses exported 2 No'): not answers"),
    # Two or three lines of a title, blank lines between allowed: two stopped the read, blamed on a comma inside an
    # answer (review 159)
    ("Partnership RFI 2025 - export\nGenerated 4/1/2025\n", "rows 1-2, a title above the column names ('Partnership "
                                                           "RFI 2025 - export'): not answers"),
    ("\nPartnership RFI\n\nGenerated 4/1/2025\nAll respondents\n\n", "rows 2-5, a title above the column names "
                                                                     "('Partnership RFI'): not answers"),
], ids=["blank line", "two blank lines", "title and blank line", "blank, title, blank", "title with a comma",
        "two title lines", "three title lines and blanks"])
def test_blank_lines_and_a_title_above_a_csv_header_are_skipped(tmp_path, above, said):
    """Each was blamed on 'a comma inside an answer without quotes around it?' (the header read was the empty
    first line, or the title's two fields), though the README says blank lines are skipped."""
    rows = ["respondent_id,state,goals,challenges"] + [f"R{k},OH,Trust,{_answer(k, 'money')}" for k in range(5)]
    path = write(tmp_path / "export.csv", above + "\n".join(rows) + "\n")

    answers, spec, _ = load_answers(path, InputSpec(text_columns=("challenges",)))

    assert answers["respondent_id"].tolist() == [f"R{k}" for k in range(5)]
    header = above.count("\n") + 1
    assert answers["source_row"].tolist() == [header + 1 + k for k in range(5)]  # as the file numbers its lines
    assert spec.sources.get("platform_rows") == said


def test_a_title_line_over_too_few_rows_to_tell_names_its_cause(tmp_path):
    """Over two rows the title cannot be told from a header; the message said 'a comma inside an answer'."""
    path = write(tmp_path / "export.csv", "Partnership RFI\nrespondent_id,state,challenges\nR1,OH,Money\n")
    with raises_exactly(f"{path}:1: the line above the table ('Partnership RFI') has 1 field and line 2 has 3: a "
                        "title? Pass --header-row 2 (the row that names the columns), or delete the line."):
        load_answers(path, InputSpec())


def test_surveymonkey_choices_over_most_columns_keep_the_first_row_as_the_header(tmp_path):
    """With most columns a choice under a question written once, the row of choices named more columns than the
    header and was taken for it: 'No respondent id column found (columns: , Response, Housing assistance, ...)'."""
    choices = ["Housing", "Food", "Care coordination", "Transport", "Legal aid", "Child care", "Dental care",
               "Vision care", "Peer support", "Translation", "Case management", "Home visiting", "Reentry support",
               "Veterans services", "Utility assistance", "Other (please specify)"]
    services = "Which services does the partnership provide? (Select all that apply)"
    rows = [["Respondent ID", "What type of organization are you?", services] + [""] * 15
            + ["What are the goals of your partnership?"],
            ["", "Response", *choices, "Open-Ended Response"]]
    rows += [[f"114{k:03d}", "Government", "Housing", *[""] * 15, _answer(k, "goals")] for k in range(6)]
    path = write(tmp_path / "monkey.csv", "\n".join(",".join(row) for row in rows) + "\n")

    answers, spec, _ = load_answers(path, InputSpec())

    assert spec.id_column == "Respondent ID" and answers["respondent_id"].nunique() == 6
    assert spec.text_columns == ("What are the goals of your partnership?",)
    assert spec.sources["platform_rows"] == "row 2, SurveyMonkey's response-type row: not answers"
    assert f"{services} - Housing" in read_table(path).columns


def test_no_id_column_under_a_first_row_that_names_one_suggests_header_row_1(tmp_path):
    """A platform's row of choices under its questions, taken for the header: the first row names the ids."""
    choices = [f"Choice {k}" for k in range(12)]
    rows = [["Respondent ID", "Which services? (Select all that apply)"] + [""] * 11 + ["Your goals"],
            ["", *choices, "Comment"]]
    rows += [[str(100 + k), "Choice 1", *[""] * 11, _answer(k, "goals")] for k in range(6)]
    path = write(tmp_path / "export.csv", "\n".join(",".join(row) for row in rows) + "\n")
    with pytest.raises(InputError, match=re.escape(
            "Row 1 names 'Respondent ID': if row 1 holds the column names, pass --header-row 1. Pass --id-column")):
        load_answers(path, InputSpec())


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_row_of_variable_labels_under_the_names_is_skipped_and_names_the_questions(tmp_path, suffix):
    """SPSS-style labels under the variable names: read as data they were an 81st respondent, the question
    wordings coded as answers and "Type of organization" a type group."""
    rows = [["resp_id", "org_type", "state", "q1_goals", "q2_challenges"],
            ["Respondent ID", "Type of organization", "State where the partnership is based",
             "What are the goals of your partnership?", "What challenges hold the partnership back?"]]
    rows += [[f"R{k:03d}", ["Government", "Nonprofit CBO"][k % 2], ["OH", "MI"][k % 2], _answer(k, "goals"),
              _answer(k, "money")] for k in range(1, 7)]
    path = tmp_path / f"labels{suffix}"
    if suffix == ".csv":
        pd.DataFrame(rows[1:], columns=rows[0]).to_csv(path, index=False)
    else:
        pd.DataFrame(rows[1:], columns=rows[0]).to_excel(path, index=False)

    answers, spec, _ = load_answers(path, InputSpec())

    assert answers["respondent_id"].unique().tolist() == [f"R{k:03d}" for k in range(1, 7)]
    assert set(answers["org_type"]) == {"Government", "Nonprofit CBO"}
    assert spec.sources["platform_rows"] == ("row 2, a row of labels under the variable names (as SPSS exports "
                                             "write it): not answers")
    assert spec.question_labels == (("q1_goals", "What are the goals of your partnership?"),
                                    ("q2_challenges", "What challenges hold the partnership back?"),
                                    ("org_type", "Type of organization"),
                                    ("state", "State where the partnership is based"))


def test_a_first_respondent_with_an_id_unlike_the_others_is_kept(tmp_path):
    """Their type and state are other respondents' too: answers, not labels."""
    rows = ["resp_id,org_type,state,q1_goals"]
    rows += [f"{'Pilot site' if k == 1 else f'R{k:03d}'},Government,OH,What are the goals? {_answer(k, 'goals')}"
             for k in range(1, 6)]
    answers, spec, _ = load_answers(write(tmp_path / "export.csv", "\n".join(rows) + "\n"), InputSpec())
    assert answers["respondent_id"].tolist()[0] == "Pilot site" and "platform_rows" not in spec.sources


def test_redcap_labels_exports_repeating_events_and_a_question_asked_at_each_event_are_one_record(tmp_path):
    """A labels export ('Repeat Instrument'), repeating events (no form, an instance number) and a question
    asked at baseline and follow-up each read as one respondent per instance or event ('3~2', typed
    'unknown'), or stopped the run as an id column that names no respondents."""
    labels = ["Record ID,Repeat Instrument,Repeat Instance,Organization type,goals,partner_work"]
    for k in range(12):
        labels.append(f"{k},,,CBO,{_answer(k, 'goals')},")
        labels.append(f"{k},Partners,1,,,{_answer(k, 'a partner')}")
    answers, _, problems = load_answers(write(tmp_path / "labels.csv", "\n".join(labels) + "\n"), InputSpec())
    assert answers["respondent_id"].nunique() == 12 and set(answers["Organization type"]) == {"CBO"}
    events = ["record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,org_type,goals,visit"]
    for k in range(12):
        events.append(f"{k},enrollment_arm_1,,,CBO,{_answer(k, 'goals')},")
        events.append(f"{k},site_visit_arm_1,,1,,,{_answer(k, 'visit 1')}")
        events.append(f"{k},site_visit_arm_1,,2,,,{_answer(k, 'visit 2')}")
    answers, _, problems = load_answers(write(tmp_path / "events.csv", "\n".join(events) + "\n"), InputSpec())
    assert answers["respondent_id"].nunique() == 12 and set(answers["org_type"]) == {"CBO"}
    visits = answers[(answers["respondent_id"] == "3") & (answers["question"] == "visit")]["answer_raw"]
    assert visits.tolist() == [_answer(3, "visit 1") + "\n\n" + _answer(3, "visit 2")]
    from themes.infer import id_problem_lines

    assert id_problem_lines(problems)[0].startswith("  joined     24 rows of REDCap's repeating events into their 12 "
                                                    "records")
    asked_twice = ["record_id,redcap_event_name,org_type,challenges"]
    for k in range(12):
        asked_twice.append(f"{k},baseline_arm_1,CBO,{_answer(k, 'challenges at baseline')}")
        asked_twice.append(f"{k},followup_arm_1,,{_answer(k, 'challenges a year on')}")
    answers, _, problems = load_answers(write(tmp_path / "twice.csv", "\n".join(asked_twice) + "\n"), InputSpec())
    assert answers["respondent_id"].nunique() == 12 and set(answers["org_type"]) == {"CBO"}
    assert answers.loc[answers["respondent_id"] == "0", "answer_raw"].tolist() == [
        _answer(0, "challenges at baseline") + "\n\n" + _answer(0, "challenges a year on")]
    assert id_problem_lines(problems)[0] == (
        "  joined     24 rows into 12 records answering a question at several REDCap events (e.g. '0'): each record "
        "is one respondent; 12 answers join several events' texts, one paragraph each, in the file's order")


def test_an_event_name_column_outside_redcap_is_a_long_files_question(tmp_path):
    """Only a REDCap export's event column is a time point: a long file's question column named 'Event Name' was
    joined into one answer per respondent."""
    lines = ["respondent_id,Event Name,answer"]
    for k in range(20):
        for question in ("What made it work?", "What held it back?", "What comes next?"):
            lines.append(f"R{k},{question},{_answer(k, question[:-1])}")
    answers, spec, problems = load_answers(write(tmp_path / "long.csv", "\n".join(lines) + "\n"), InputSpec())
    assert spec.question_column == "Event Name" and len(answers) == 60 and not problems


def test_redcap_events_left_apart_are_said_as_events(tmp_path):
    """Events that disagree on metadata, or a row sent twice in one event, stay apart, and each row counted as a
    respondent with only the generic 'repeated' line to say so."""
    lines = ["record_id,redcap_event_name,org_type,challenges"]
    for k in range(12):
        lines.append(f"{k},baseline_arm_1,CBO,{_answer(k, 'challenges at baseline')}")
        lines.append(f"{k},followup_arm_1,{'Hospital' if k == 4 else ''},{_answer(k, 'challenges a year on')}")
    answers, _, problems = load_answers(write(tmp_path / "apart.csv", "\n".join(lines) + "\n"), InputSpec())
    assert answers["respondent_id"].nunique() == 13  # record 4 as two
    from themes.infer import id_problem_lines

    assert ("  apart      1 record whose REDCap events answer a question twice was kept apart, each row a respondent "
            "of its own (e.g. '4': its events give two values of 'org_type'): make its metadata agree across events, "
            "or drop a row sent twice, to read it as one record") in id_problem_lines(problems)


def _long_export(tmp_path, header="resp,variable,text,submitted_at", name="long.csv") -> Path:
    rows = [header]
    for k in range(30):
        for n, question in enumerate(["challenges", "effective_practices", "funding"]):
            rows.append(f"{1000 + k},{question},\"{_answer(k, question)}, {n}\",2024-03-01 10:00:0{n}")
    return write(tmp_path / name, "\n".join(rows) + "\n")


def test_a_long_file_whose_ids_were_not_guessed_is_not_advised_to_go_without(tmp_path):
    """'No respondent id column found ... or --id-column none', followed, read 30 respondents' 90 answers as 90
    respondents with the question column unread (exit 0). The advice names the column that makes it long, and
    --id-column none on a long file is one line."""
    path = _long_export(tmp_path)
    with pytest.raises(InputError) as raised:
        load_answers(path, InputSpec())
    assert str(raised.value).endswith("The file has a row per answer ('variable' has 3 values that vary within each "
                                      "respondent, 'text' holds the text) if 'resp' names the respondents: pass "
                                      "--id-column 'resp'. If each row is a respondent of its own instead, several to "
                                      "each 'resp' ('variable' then describes them), pass --id-column none "
                                      "--text-column 'text'.")  # staff of one organisation a row each (review 159)
    answers, _, _ = load_answers(path, InputSpec(id_column="none", text_columns=("text",)))
    assert len(answers) == answers["respondent_id"].nunique() == 90  # what that advice reads
    with pytest.raises(InputError, match=r"^--id-column none reads each row as a respondent, but this file has a row "
                                         r"per answer \(questions in 'variable'\): pass the column naming respondents "
                                         r"with --id-column \('resp' looks like them\)\.$"):
        load_answers(path, InputSpec(id_column="none"))
    tidy = _long_export(tmp_path, "respondent,question,answer,submitted_at", "tidy.csv")
    with pytest.raises(InputError, match="questions in 'question'"):
        load_answers(tidy, InputSpec(id_column="none"))
    answers, _, _ = load_answers(path, InputSpec(id_column="resp"))
    assert answers["respondent_id"].nunique() == 30 and len(answers) == 90


def test_swapped_question_and_answer_columns_and_free_text_named_as_metadata_are_one_line(tmp_path):
    """--question-column answer --answer-column question coded the question names with 90 paragraphs as
    questions; --meta-column challenges took an open question out of coding and made each answer a group of the
    count files (exit 0 both)."""
    tidy = _long_export(tmp_path, "respondent,question,answer,submitted_at", "tidy.csv")
    with pytest.raises(InputError, match=r"^Column 'answer' \(the question column\) holds free text, not the "
                                         r"questions' names: were --question-column and --answer-column swapped\?$"):
        load_answers(tidy, InputSpec(question_column="answer", answer_column="question"))
    wide = write(tmp_path / "wide.csv", "respondent_id,state,challenges,goals\n" + "".join(
        f"R{k},OH,\"{_answer(k, 'money')}\",\"{_answer(k, 'trust')}\"\n" for k in range(12)))
    for spec in (InputSpec(meta_columns=("state", "challenges")), InputSpec(attribute_with=("challenges",),
                                                                          text_columns=("goals",))):
        with pytest.raises(InputError, match=r"^Column 'challenges' is named as metadata but holds free text"):
            load_answers(wide, spec)
    answers, spec, _ = load_answers(wide, InputSpec(meta_columns=("state",)))
    assert spec.text_columns == ("challenges", "goals") and len(answers) == 24


def test_an_empty_id_column_is_not_guessed_and_a_submission_key_is(tmp_path):
    """SurveyCTO writes an always-empty 'caseid' beside its unique 'KEY': the empty one was guessed, and every
    respondent went unnamed ('gen-' ids by content, 'no id rows 2, 3, 4, ...')."""
    rows = ["SubmissionDate,caseid,org_type,state,challenges,KEY"]
    rows += [f"2024-03-0{k % 9 + 1},,Nonprofit CBO,CA,\"{_answer(k, 'money')}\",uuid:{k:08d}-aaaa" for k in range(12)]
    answers, spec, problems = load_answers(write(tmp_path / "scto.csv", "\n".join(rows) + "\n"), InputSpec())
    assert spec.id_column == "KEY" and not problems
    assert answers["respondent_id"].tolist() == [f"uuid:{k:08d}-aaaa" for k in range(12)]


def test_an_open_question_most_people_skipped_is_still_read(tmp_path):
    """A 'data' column of 40 real answers and 60 of "N/A", "None", "-" was 'not read' (it repeats most of its
    values): the 40 answers were lost, with no status. The fillers now count for neither side."""
    fillers = ["N/A", "None", "-", "n/a", "No"]
    rows = ["respondent_id,challenges,data"]
    rows += [f"R{k},\"{_answer(k, 'money')}\",\"{_answer(k, 'data') if k < 40 else fillers[k % 5]}\""
             for k in range(100)]
    answers, spec, _ = load_answers(write(tmp_path / "mostly_na.csv", "\n".join(rows) + "\n"), InputSpec())
    assert spec.text_columns == ("challenges", "data") and len(answers) == 200


def test_a_mac_csv_whose_answers_hold_more_line_breaks_than_it_has_rows_is_read(tmp_path):
    """Records ended by a bare CR (Excel for Mac), each answer a quoted cell of two paragraphs: the LFs outnumbered
    the CRs, so the CRs were not taken for line ends, and the reader failed with Python's 'new-line character seen
    in unquoted field - do you need to open the file in universal-newline mode?'."""
    rows = ["respondent_id,org_type,state,challenges"]
    rows += [f'R{k},Nonprofit CBO,CA,"We need money for staff {k}.\n\n- and staffing is short, so families wait"'
             for k in range(12)]
    path = tmp_path / "mac.csv"
    path.write_bytes(("\r".join(rows) + "\r").encode())
    answers, _, _ = load_answers(path, InputSpec())
    assert len(answers) == 12 and answers["answer_raw"].iloc[0].startswith("We need money for staff 0.\n\n- and")
    unquoted = tmp_path / "unquoted.csv"
    unquoted.write_bytes(("\r".join(row.replace('"', "") for row in rows) + "\r").encode())
    with pytest.raises(InputError, match=r"has a line break inside a cell that is not in quotes"):
        load_answers(unquoted, InputSpec())


def test_a_column_that_joins_other_answers_is_not_coded_twice(tmp_path, caplog):
    """'All comments' (=F2&" "&G2) was coded as a third question: every passage counted twice per respondent."""
    rows = ["respondent_id,challenges,effective_practices,All comments"]
    for k in range(12):
        one, two = _answer(k, "money"), _answer(k, "trust")
        rows.append(f'R{k},"{one}","{two}","{one} {two}"')
    with caplog.at_level("WARNING", logger="themes"):
        answers, spec, _ = load_answers(write(tmp_path / "joined.csv", "\n".join(rows) + "\n"), InputSpec())
    assert spec.text_columns == ("challenges", "effective_practices") and len(answers) == 24
    assert "the column 'All comments' joins the answers of 'challenges', 'effective_practices'" in caplog.text
    named, _, _ = load_answers(tmp_path / "joined.csv", InputSpec(text_columns=("All comments",)))
    assert len(named) == 12  # named, it is coded


@pytest.mark.parametrize("column", ["submitted_by", "Contact name", "Email"])
def test_a_column_of_people_cannot_break_counts_down_or_attribute_quotes(tmp_path, column):
    """--attribute-with submitted_by put 'Sarah (program manager) respondent' beside quotes and 'Smith, J.' as a
    group of the count files: the redactor left the values, which read as no name it knows."""
    rows = [f"respondent_id,state,{column},challenges"]
    rows += [f"R{k},OH,\"Smith, J.\",\"{_answer(k, 'money')}\"" for k in range(12)]
    path = write(tmp_path / "people.csv", "\n".join(rows) + "\n")
    for spec in (InputSpec(meta_columns=("state", column)), InputSpec(attribute_with=(column,))):
        with pytest.raises(InputError, match=rf"^Column '{column}' names people or their contact details"):
            load_answers(path, spec)


TRACE = "holds where or how each respondent answered"

ALCHEMER = ("Response ID,IP Address,Longitude,Latitude,Country,City,State/Region,Postal,"
            "Which of the following best describes your organization?,In which state is your partnership based?,q1\n"
            + "".join(f"{k},73.12.4.{k},-77.4,39.0,United States,Ashburn,VA,20147,"
                      f"{'Nonprofit CBO' if k % 2 else 'Hospital'},NY,{_answer(k, 'trust')}\n" for k in range(12)))


def test_a_platforms_look_up_of_the_ip_address_is_no_place_of_the_partnership(tmp_path):
    """Alchemer writes where the respondent's IP address is (Country, City, State/Region, Postal) beside it: the
    guess took 'Country' and 'State/Region' as metadata, and quotes read "from partnership based in Virginia" for a
    New York partnership, whose respondent's computer was in Ashburn (review 144)."""
    from themes.infer import announcement, located_by_address

    path = write(tmp_path / "alchemer.csv", ALCHEMER)
    _, spec, _ = load_answers(path, InputSpec(text_columns=("q1",)))
    assert spec.meta_columns == ("Which of the following best describes your organization?",
                                 "In which state is your partnership based?")
    assert spec.attribute_with == spec.meta_columns
    assert ("  located    'Country', 'City', 'State/Region', 'Postal': where the survey platform placed each "
            "respondent's IP address, not their answer: not read (--meta-column cannot name them)") in \
        announcement(spec, path)
    for named in (InputSpec(text_columns=("q1",), meta_columns=("State/Region",)),
                  InputSpec(text_columns=("q1",), attribute_with=("City",))):
        with pytest.raises(InputError, match=r"^Column '(State/Region|City)' sits beside the IP address or location "
                                             r"columns, where a survey platform writes its look-up"):
            load_answers(path, named)
    # A place column with no IP address or location beside it is the respondent's answer
    assert located_by_address(["respondent_id", "Country", "State", "q1"]) == []
    assert located_by_address(["IPAddress", "Progress", "LocationLatitude", "LocationLongitude", "Country"]) == \
        ["Country"]
    # The survey's own first question right after the look-up, or a bare "State" after an IP (review 146: refused)
    alchemer = ["IP Address", "Longitude", "Latitude", "Country", "City", "State/Region", "Postal"]
    assert located_by_address([*alchemer, "State", "q1"]) == alchemer[3:]
    assert located_by_address([*alchemer, "Region", "q1"]) == alchemer[3:]
    assert located_by_address(["IP Address", "Latitude", "State", "q1"]) == []


@pytest.mark.parametrize(("column", "values", "said"), [
    ("IP Address", [f"10.0.0.{k}" for k in range(12)], TRACE),
    ("LocationLatitude", [f"40.{k}" for k in range(12)], TRACE),
    ("Source", [f"2001:db8::{k}" for k in range(12)], TRACE),
    ("Source", [f"r{k}@example.org" for k in range(12)], "names people or their contact details"),
    ("Referred by", [f"(502) 555-01{k:02d}" for k in range(12)], "names people or their contact details"),
    # a second review's: Qualtrics's panel columns, coordinates, masked IPs, ports and lists, a browser
    ("RecipientLastName", ["Okafor", "Nguyen", "Smith"] * 4, "names people or their contact details"),
    ("ExternalReference", [f"EXT{k}" for k in range(12)], "names people or their contact details"),
    ("Location", [f"47.6{k},-122.3{k}" for k in range(12)], TRACE),
    ("Where", [f"73.12.4.{'xxx' if k % 2 else k}" for k in range(12)], TRACE),
    ("Where", [f"73.12.4.{k}:443" for k in range(12)], TRACE),
    ("Where", [f"10.0.0.{k}, 73.12.4.1" for k in range(12)], TRACE),
    ("User Agent", ["Mozilla/5.0 (Windows NT 10.0; Win64; x64)"] * 12, TRACE),
    ("SessionID", [f"FS_{k}abc" for k in range(12)], TRACE),
    # people named by their role, whom no list or model knows (review 148): "theme_counts_by_program_officer.csv"
    ("Program officer", ["Mere Tipene", "Wilma Two Bulls", "Jordan Rivers"] * 4,
     "names people or their contact details"),
    ("Assigned reviewer", ["Aroha Ngata", "Hemi Rua"] * 6, "names people or their contact details")])
def test_a_column_of_addresses_cannot_break_counts_down(tmp_path, column, values, said):
    """--meta-column "IP Address" was accepted: each respondent's IP a group label of the count files. A column of
    IPs, e-mails or phone numbers is refused by its values too, whatever it is called."""
    rows = [f"respondent_id,state,{column},challenges"]
    rows += [f"R{k},OH,\"{value}\",\"{_answer(k, 'money')}\"" for k, value in enumerate(values)]
    path = write(tmp_path / "traces.csv", "\n".join(rows) + "\n")
    for spec in (InputSpec(meta_columns=("state", column)), InputSpec(attribute_with=(column,))):
        with pytest.raises(InputError, match=rf"^Column '{column}' {said}"):
            load_answers(path, spec)
    answers, _, _ = load_answers(path, InputSpec(meta_columns=("state",)))  # left out, the file reads
    assert len(answers) == 12 and column not in answers.columns


@pytest.mark.parametrize(("column", "values"), [
    ("Shift", ["07:00:00", "15:00:00", "23:00:00"] * 4), ("Duration", ["0:05:12", "0:07:40"] * 6),
    ("Ratio", ["1:1:2", "1:2:2"] * 6), ("Section", ["1.1.2.3", "1.2.1.4"] * 6), ("IP", ["Yes", "No"] * 6),
    ("Plan Lat", ["Gold", "Silver"] * 6), ("Postal", ["97201", "97202"] * 6),
    # a role's column of roles, teams or words, and people's names in a column not named for a person
    ("Program director", ["Executive Director", "Program Manager"] * 6), ("Staff member", ["Part Time", "Full Time"] * 6),
    ("Case manager", ["Health Department", "County Office"] * 6),
    ("Lead partner", ["Mercy Health", "Faith Outreach"] * 6),
    # firms and portfolios whose words the name lists hold too (review 153)
    ("Evaluator", ["Abt Associates", "Mathematica Policy Research", "Urban Institute", "RTI International"] * 3),
    ("Portfolio lead", ["Early Childhood", "Basic Needs", "Grant Making", "Major Gifts", "Rural West", "Rural"] * 2)])
def test_metadata_shaped_like_an_address_is_not_refused_as_one(tmp_path, column, values):
    """Times, ratios and dotted section numbers read as IPv6 or IPv4 addresses, and a column named IP (inpatient,
    Yes or No) as IP addresses: each refused as where respondents answered from."""
    rows = [f"respondent_id,state,{column},challenges"]
    rows += [f"R{k},OH,\"{value}\",\"{_answer(k, 'money')}\"" for k, value in enumerate(values)]
    _, spec, _ = load_answers(write(tmp_path / "fine.csv", "\n".join(rows) + "\n"),
                              InputSpec(meta_columns=("state", column)))
    assert column in spec.meta_columns


def test_second_review_of_the_export_reader(tmp_path):
    """What a second review found in the day's reader changes, each a file read wrongly or refused."""
    # A one-question file typed in by interviewers, one interview a day each: no long file, with or without ids.
    rows = ["Interviewer,Interview date,District,What are the main health problems in your community?"]
    rows += [f"Ana{k % 5},2024-03-{k // 5 + 1:02d},North,\"{_answer(k, 'clinic waits')}\"" for k in range(40)]
    answers, _, _ = load_answers(write(tmp_path / "field.csv", "\n".join(rows) + "\n"), InputSpec(id_column="none"))
    assert answers["respondent_id"].nunique() == 40
    # Three open questions most people skipped ("N/A" holds "N/A": they read as joining each other).
    rows = ["respondent_id,org_type,challenges,barriers,support"]
    rows += [f"R{k},CBO,\"{_answer(k, 'money')}\"," + ",".join(f"\"{_answer(k, t)}\"" if k < 8 else "N/A"
                                                              for t in ("staff", "data")) for k in range(50)]
    _, spec, _ = load_answers(write(tmp_path / "skipped.csv", "\n".join(rows) + "\n"), InputSpec())
    assert spec.text_columns == ("challenges", "barriers", "support")
    # A closed Yes/No question with a few explanations is no open one.
    rows = ["respondent_id,formal,challenges"]
    rows += [f"R{k},{'Yes' if k % 3 else 'No'},\"{_answer(k, 'money')}\"" for k in range(45)]
    rows += [f"R{k},\"{_answer(k, 'a written agreement signed last year')}\",\"{_answer(k, 'money')}\""
             for k in range(45, 50)]
    _, spec, _ = load_answers(write(tmp_path / "yesno.csv", "\n".join(rows) + "\n"), InputSpec())
    assert spec.text_columns == ("challenges",)
    # An organisation's name of many words may break counts down; a question column of full question texts
    # beside an answer column of free text is no swap.
    rows = ["respondent_id,Organization name,challenges"]
    rows += [f"R{k},Riverside Community Health and Wellness Center of Springfield {k},\"{_answer(k, 'money')}\""
             for k in range(12)]
    answers, _, _ = load_answers(write(tmp_path / "orgs.csv", "\n".join(rows) + "\n"),
                                 InputSpec(meta_columns=("Organization name",)))
    assert len(answers) == 12
    rows = ["resp,item_text,response_text"] + [
        f"P{k % 8},\"What has made partnership number {k} effective for the families you serve?\","
        f"\"{_answer(k, 'money')}\"" for k in range(19)]
    answers, _, _ = load_answers(write(tmp_path / "fullq.csv", "\n".join(rows) + "\n"), InputSpec(
        id_column="resp", question_column="item_text", answer_column="response_text"))
    assert answers["respondent_id"].nunique() == 8
    # An ODK repeat group's KEY names each member's row, not the household: no id is guessed.
    rows = ["member_name,member_health_concern,PARENT_KEY,KEY"]
    rows += [f"M{k},\"{_answer(k, 'diabetes')}\",uuid:{k // 3},uuid:{k // 3}/members[{k % 3 + 1}]" for k in range(30)]
    with pytest.raises(InputError, match="No respondent id column found"):
        load_answers(write(tmp_path / "odk.csv", "\n".join(rows) + "\n"), InputSpec())


def test_a_mac_csv_is_told_apart_when_a_quote_stands_alone(tmp_path):
    """One stray quote (a 5" pipe) swapped inside and outside for the rest of the file: a Mac file failed, and a
    LF file whose answers hold bare CRs was taken for a Mac one."""
    mac = ["id,comments"] + [f"R{k},\"We need money for staff {k}.\nAnd time.\"" for k in range(30)]
    mac[5] = 'R4,We laid a 5" pipe to the clinic'
    (tmp_path / "mac.csv").write_bytes(("\r".join(mac) + "\r").encode())
    assert len(load_answers(tmp_path / "mac.csv", InputSpec(text_columns=("comments",)))[0]) == 30
    lf = ["id,comments"] + [f"R{k},\"We need money for staff {k}.\rAnd time.\"" for k in range(30)]
    lf[5] = 'R4,We laid a 5" pipe to the clinic'
    (tmp_path / "lf.csv").write_bytes(("\n".join(lf) + "\n").encode())
    assert len(load_answers(tmp_path / "lf.csv", InputSpec(text_columns=("comments",)))[0]) == 30
    # Answers of three paragraphs: more line breaks inside them than records, in either file.
    for name, inside, end in (("lf3.csv", "\r", "\n"), ("mac3.csv", "\n", "\r")):
        rows = ["id,comments"] + [f"R{k},\"Money for staff {k}.{inside}And time.{inside}And space.\""
                                  for k in range(30)]
        rows[5] = 'R4,We laid a 5" pipe to the clinic'
        (tmp_path / name).write_bytes((end.join(rows) + end).encode())
        answers = load_answers(tmp_path / name, InputSpec(text_columns=("comments",)))[0]
        assert len(answers) == 30 and answers["answer_raw"].iloc[0].count(inside) == 2
    pipes = ["id|comments"] + [f"R{k}|\"We need money for staff {k}.\nAnd time.\"" for k in range(30)]
    pipes[5] = 'R4|We laid a 5" pipe to the clinic'
    (tmp_path / "mac_pipes.csv").write_bytes(("\r".join(pipes) + "\r").encode())
    assert len(load_answers(tmp_path / "mac_pipes.csv", InputSpec(text_columns=("comments",)))[0]) == 30


def test_third_review_of_the_export_reader(tmp_path):
    """A comments column mostly 'No' is an open question (a lone 'No' is its filler, not a closed answer), and a
    long file whose ids are named as people are ('Student') is refused without them."""
    rows = ["respondent_id,challenges,Any other comments?"]
    rows += [f"R{k},\"{_answer(k, 'money')}\"," + (f"\"{_answer(k, 'thanks')}\"" if k % 3 == 0 else "No")
             for k in range(60)]
    _, spec, _ = load_answers(write(tmp_path / "comments.csv", "\n".join(rows) + "\n"), InputSpec())
    assert spec.text_columns == ("challenges", "Any other comments?")
    path = _long_export(tmp_path, "Student,Question,Answer text,submitted_at", "students.csv")
    with pytest.raises(InputError, match=r"\('Student' looks like them\)"):
        load_answers(path, InputSpec(id_column="none"))


def test_hidden_rows_are_found_in_sheets_written_other_ways(tmp_path):
    """Read from the sheet's XML, a target './worksheets/...' failed the whole read, and rows written without
    their number (r=), or with single quotes, hid nothing."""
    import zipfile

    import openpyxl

    from themes.ingest import _hidden_rows

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data & more"
    for k in range(8):
        sheet.append([f"R{k}", f"answer {k}"])
    for row in (4, 7):
        sheet.row_dimensions[row].hidden = True
    book.save(tmp_path / "plain.xlsx")
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as source, zipfile.ZipFile(tmp_path / "other.xlsx", "w") as out:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/_rels/workbook.xml.rels":
                data = re.sub(rb'Target="/?(?:xl/)?worksheets/', b'Target="./worksheets/', data)
            if name.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<row r="\d+"', b"<row", data).replace(b'hidden="1"', b"hidden='1'")
            out.writestr(name, data)
    assert _hidden_rows(tmp_path / "plain.xlsx", "Data & more") == [4, 7]
    assert _hidden_rows(tmp_path / "other.xlsx", "Data & more") == [4, 7]


def _first_rows_only(tmp_path, skipped=(), name="first_rows.csv") -> Path:
    """A long export laid out for reading: each respondent's id, type and state on their first row only."""
    rows = ["Respondent,Org type,State,Question,Response"]
    for k in range(30):
        asked = [(n, q) for n, q in enumerate(["What are your goals?", "What holds it back?", "What made it work?"])
                 if (k, n) not in skipped]
        for n, question in asked:
            lead = f"R{k:03d},{'CBO' if k % 2 else 'Hospital'},OH" if n == asked[0][0] else ",,"
            rows.append(f"{lead},{question},\"{_answer(k, question)}, {n}\"")
    return write(tmp_path / name, "\n".join(rows) + "\n")


def test_ids_on_each_respondents_first_row_only_are_carried_down_and_said(tmp_path):
    """A long CSV with the id (and type, state) on each respondent's first row only, as a sheet laid out for reading
    or saved from merged cells writes it: it was read as wide, 90 respondents for 30, two in three with a made-up
    id and the question column unread, with exit 0."""
    path = _first_rows_only(tmp_path)
    answers, spec, problems = load_answers(path, InputSpec())
    assert (spec.question_column, spec.answer_column, spec.id_column) == ("Question", "Response", "Respondent")
    assert answers["respondent_id"].nunique() == 30 and len(answers) == 90
    assert not answers["respondent_id"].str.startswith("gen-").any()
    assert answers.groupby("respondent_id")["Org type"].nunique().eq(1).all()
    assert set(answers.loc[answers["respondent_id"] == "R001", "Org type"]) == {"CBO"}
    said = "\n".join(announcement(spec, path, problems=problems))
    assert ("  carried    60 rows with no id read as the respondent above them: each respondent's id is on their "
            "first row only, their other answers on the rows under it") in said
    # Named, the columns read the same; --id-column none names the id column instead of making 90 respondents.
    named, spec, _ = load_answers(path, InputSpec(id_column="Respondent", question_column="Question",
                                                  answer_column="Response"))
    assert spec.carry_ids and named["respondent_id"].nunique() == 30
    with pytest.raises(InputError, match=r"\('Respondent' looks like them\)\.$"):
        load_answers(path, InputSpec(id_column="none"))
    # A respondent who skipped the first question opens on the second; still one respondent each.
    answers, _, _ = load_answers(_first_rows_only(tmp_path, skipped={(4, 0), (9, 0)}, name="skips.csv"), InputSpec())
    assert answers["respondent_id"].nunique() == 30 and len(answers) == 88


def test_a_long_file_missing_a_few_ids_and_a_wide_file_missing_many_are_not_carried_down(tmp_path):
    """Carrying ids down is for a file written so, not for ids left out: a long file with two rows without an id
    keeps them apart (named by content and said), and a wide file of anonymous rows stays wide."""
    lines = _long_export(tmp_path).read_text().splitlines()
    lines[5] = "," + lines[5].split(",", 1)[1]
    lines[40] = "," + lines[40].split(",", 1)[1]
    answers, spec, problems = load_answers(write(tmp_path / "gaps.csv", "\n".join(lines) + "\n"),
                                           InputSpec(id_column="resp"))
    assert spec.is_long and not spec.carry_ids
    assert sum(p["problem"] == "missing_id" for p in problems) == 2
    wide = ["respondent_id,site,challenges"] + [
        f"{'' if k % 2 else f'R{k}'},{['North', 'South', 'East'][k % 3]},\"{_answer(k, 'money')}\"" for k in range(30)]
    answers, spec, _ = load_answers(write(tmp_path / "wide.csv", "\n".join(wide) + "\n"), InputSpec())
    assert not spec.is_long and not spec.carry_ids and len(answers) == 30


def test_names_in_a_second_row_under_group_labels_are_read_with_them(tmp_path):
    """"Challenges" over "Internal" and "External" (merged in the workbook, blank in CSV): row 2's names were read as
    a respondent's answers ("Internal" coded as two themes), and the group's other columns were named 'nan'."""
    lines = ["Respondent ID,Org type,State,Challenges,,What works,", ",,,Internal,External,For staff,For the community"]
    lines += [f"R{k},CBO,OH,\"{_answer(k, 'staff')}\",\"{_answer(k, 'money')}\",\"{_answer(k, 'trust')}\","
              f"\"{_answer(k, 'residents')}\"" for k in range(12)]
    path = write(tmp_path / "two_rows.csv", "\n".join(lines) + "\n")
    answers, spec, problems = load_answers(path, InputSpec())
    grouped = ("Challenges: Internal", "Challenges: External", "What works: For staff", "What works: For the community")
    assert spec.text_columns == grouped and spec.id_column == "Respondent ID"
    assert answers["respondent_id"].nunique() == 12 and len(answers) == 48
    said = "\n".join(announcement(spec, path, problems=problems))
    assert ("  skipped    row 2, the names of the columns under row 1's group labels: read with them as "
            "'Challenges: Internal', 'Challenges: External', 'What works: For staff', 'What works: For the community'"
            ) in said and "repeated" not in said
    # The same in a workbook, the group labels merged over their columns.
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in pd.read_csv(path, dtype=str, keep_default_na=False, header=None).itertuples(index=False):
        sheet.append([cell or None for cell in row])
    sheet.merge_cells("D1:E1")
    sheet.merge_cells("F1:G1")
    book.save(tmp_path / "two_rows.xlsx")
    answers, spec, _ = load_answers(tmp_path / "two_rows.xlsx", InputSpec())
    assert spec.text_columns == grouped and len(answers) == 48


def test_a_two_level_header_as_pandas_writes_it_is_read_with_its_labels(tmp_path):
    """`to_csv(index=False)` of a frame with two-level columns repeats each label over its group: row 2 (the names)
    was read as a respondent and the columns named 'Respondent (2)', 'Open questions (2)', their type and state
    lost, with exit 0."""
    frame = pd.DataFrame({("Respondent", "respondent_id"): [f"R{k:03d}" for k in range(12)],
                          ("Respondent", "org_type"): ["CBO", "Hospital"] * 6, ("Respondent", "state"): ["OH"] * 12,
                          ("Open questions", "goals"): [_answer(k, "trust") for k in range(12)],
                          ("Open questions", "challenges"): [_answer(k, "money") for k in range(12)]})
    frame.to_csv(tmp_path / "two_levels.csv", index=False)
    answers, spec, problems = load_answers(tmp_path / "two_levels.csv", InputSpec())
    assert spec.id_column == "respondent_id" and answers["respondent_id"].nunique() == 12 and len(answers) == 24
    assert spec.text_columns == ("Open questions: goals", "Open questions: challenges")
    assert spec.meta_columns == ("Respondent: org_type", "Respondent: state")
    said = "\n".join(announcement(spec, tmp_path / "two_levels.csv", problems=problems))
    assert "row 2, the names of the columns under row 1's group labels" in said and "repeated" not in said
    # With its row index (to_csv's default): a first column blank in both header rows over 0, 1, 2, ...
    frame.to_csv(tmp_path / "indexed.csv")
    answers, spec, _ = load_answers(tmp_path / "indexed.csv", InputSpec())
    assert spec.id_column == "respondent_id" and answers["respondent_id"].nunique() == 12 and len(answers) == 24
    assert spec.meta_columns == ("Respondent: org_type", "Respondent: state")


def test_two_columns_of_one_name_over_answers_are_no_group(tmp_path):
    """A question asked twice under one name, side by side: its copies stay two columns of answers, a first respondent
    with short answers ("More housing") among them (a third reviewer's, 2026-11-30: read as the columns' names)."""
    lines = ["respondent_id,org_type,Comments,Comments"] + [
        f"R{k:03d},CBO,\"{_answer(k, 'staff')}\",\"{_answer(k, 'notes')}\"" for k in range(12)]
    answers, spec, _ = load_answers(write(tmp_path / "twice.csv", "\n".join(lines) + "\n"), InputSpec())
    assert answers["respondent_id"].nunique() == 12 and spec.text_columns == ("Comments", "Comments (2)")
    lines = ["respondent_id,goals,goals,challenges,challenges", ",More housing,State funding,Staff turnover,No data"]
    lines += [f"R{k:03d},\"{_answer(k, 'a')}\",\"{_answer(k, 'b')}\",\"{_answer(k, 'c')}\",\"{_answer(k, 'd')}\""
              for k in range(2, 14)]
    answers, spec, _ = load_answers(write(tmp_path / "pairs.csv", "\n".join(lines) + "\n"), InputSpec())
    assert "More housing" in answers["answer_raw"].tolist() and "platform_rows" not in spec.sources


def test_an_unnamed_column_over_answers_is_no_group_label(tmp_path):
    """A blank header over a notes column, with answers under it from row 2: no names in row 2, nothing regrouped."""
    lines = ["respondent_id,org_type,challenges,"] + [
        f"R{k},CBO,\"{_answer(k, 'staff')}\",\"{_answer(k, 'notes')}\"" for k in range(12)]
    answers, spec, _ = load_answers(write(tmp_path / "blank.csv", "\n".join(lines) + "\n"), InputSpec())
    assert answers["respondent_id"].nunique() == 12 and "challenges" in spec.text_columns
    assert not any(column.startswith("challenges:") for column in spec.text_columns)
    assert "platform_rows" not in spec.sources


def test_a_long_files_closed_fields_are_metadata_or_left_out_not_coded(tmp_path):
    """'record, field_name, value' with org_type, state and consent among the open questions: each 'Hospital' and
    'Yes' was coded as an answer (15 respondent types coded as cultural differences, 57% of the headline)."""
    lines = ["record,field_name,value"]
    for k in range(30):
        lines += [f"{k},org_type,{['Hospital', 'Government', 'Nonprofit CBO'][k % 3]}",
                  f"{k},state,{['OH', 'TX'][k % 2]}", f"{k},consent,{'Yes' if k % 5 else 'No'}",
                  f"{k},challenges,\"{_answer(k, 'staff')}\"",
                  f"{k},funding,{['Grants.', 'Medicaid.', 'Donors.'][k % 3]}"]
    path = write(tmp_path / "fields.csv", "\n".join(lines) + "\n")
    answers, spec, problems = load_answers(path, InputSpec(id_column="record", question_column="field_name",
                                                           answer_column="value"))
    assert sorted(answers["question"].unique()) == ["challenges", "funding"]  # a short open answer stays an answer
    assert spec.meta_columns == ("org_type", "state") and len(answers) == 60
    assert set(answers.loc[answers["respondent_id"] == "4", "org_type"]) == {"Government"}
    said = "\n".join(announcement(spec, path, problems=problems))
    assert ("  fields     'org_type', 'state' read as metadata, one value per respondent; 'consent' not read: "
            "answered Yes or No, not an open question (90 rows of 'field_name')") in said
    # The spec as the command line resolves it reads the same (the flow reads the file again with it).
    again, spec_again, _ = load_answers(path, spec)
    assert again.equals(answers) and spec_again.meta_columns == spec.meta_columns


def test_a_long_files_contact_fields_are_not_coded(tmp_path):
    """A long file's "Best way to reach you" and "contact_email" rows were coded as answers, as a wide file's columns
    no longer are: "[name], VP Community Health, Faith Outreach Network" was a quote."""
    lines = ["record,field_name,value"]
    for k in range(30):
        lines += [f"{k},challenges,\"{_answer(k, 'staff')}\"",
                  f"{k},Name and title of person completing this form,\"Dana Whitfield, VP Community Health\"",
                  f"{k},contact_email,dana{k}@example.org",
                  f"{k},Referral line,\"(502) 555-01{k:02d}\"",  # by its values
                  f"{k},Who are your partners?,\"{_answer(k, 'clinics')}\""]
    path = write(tmp_path / "fields.csv", "\n".join(lines) + "\n")
    answers, spec, problems = load_answers(path, InputSpec(id_column="record", question_column="field_name",
                                                           answer_column="value"))
    assert sorted(answers["question"].unique()) == ["Who are your partners?", "challenges"] and len(answers) == 60
    said = "\n".join(announcement(spec, path, problems=problems))
    assert ("  fields     'Name and title of person completing this form', 'Referral line', 'contact_email' not read: "
            "asks for or holds contact details (names, e-mails, phone numbers), not answers (90 rows of "
            "'field_name')") in said
    # Questions about reaching people, contact information or hotlines are questions (a second review found six
    # dropped, with no option to keep them); a key contact's name, a title or a LinkedIn page is no answer.
    asked = {"How do community members reach you?": "clinics",
             "What information do you share with partners (e.g., contact information, diagnoses)?": "records",
             "Does each partner have a contact person, and how do partners communicate?": "meetings",
             # a third review's
             "Who is your key contact at the hospital, and how do you work together?": "shared goals",
             "What phone or email outreach do you do?": "text reminders", "Frequency of contact": "monthly calls",
             "Initial contact": "a referral", "Program title": "Healthy Homes",
             # a fourth's
             "Email outreach": "newsletters", "Phone outreach": "reminder calls",
             # a regression check's: POC, people of colour
             "Serving POC communities": "outreach"}
    lines = ["record,field_name,value"]
    for k in range(30):
        lines += [f"{k},\"{q}\",\"{_answer(k, topic)}\"" for q, topic in asked.items()]
        lines += [f"{k},How do families get help after hours?,\"Call our 24/7 hotline at 1-800-555-01{k:02d}.\"",
                  f"{k},Key contact,\"dana whitfield\"", f"{k},Title,Program Director",
                  f"{k},Respondent title,Program Director", f"{k},Point of contact,\"Dana Whitfield\"",
                  f"{k},\"Contact information for follow-up questions (name, email, phone)\","
                  f"\"Dana Whitfield, Director of Community Health Programs, Harbor Lights Community Clinic, "
                  f"dana{k}@x.org, (502) 555-0143\"",
                  f"{k},Who initiated the partnership?,\"{['Pastor Johnson.', 'Mayor Ruiz convened us.'][k % 2]}\"",
                  f"{k},LinkedIn,https://www.linkedin.com/in/person{k}"]
    path = write(tmp_path / "asked.csv", "\n".join(lines) + "\n")
    answers, spec, _ = load_answers(path, InputSpec(id_column="record", question_column="field_name",
                                                    answer_column="value"))
    assert set(answers["question"]) == {*asked, "How do families get help after hours?",
                                        "Who initiated the partnership?"}


def test_a_qualtrics_panels_reference_and_names_are_not_guessed_to_be_questions(tmp_path, caplog):
    """Qualtrics's ExternalReference held "Westside Community Health Center (Salem site 49)": guessed free text, it was
    coded, and the organisations' names reached theme_evidence.csv."""
    rows = ["ResponseId,RecipientLastName,RecipientEmail,ExternalReference,challenges"]
    rows += [f"R_{k:015d},Okafor{k},r{k}@example.org,\"{['Westside', 'Eastside', 'North'][k % 3]} Community Health "
             f"Center (Salem site {k})\",\"{_answer(k, 'money')}\"" for k in range(30)]
    with caplog.at_level("WARNING", logger="themes"):
        _, spec, _ = load_answers(write(tmp_path / "panel.csv", "\n".join(rows) + "\n"), InputSpec())
    assert spec.text_columns == ("challenges",)


def test_an_email_column_no_option_reads_tells_who_sent_each_submission(tmp_path):
    """An export's 'Email' column, read by nothing, is the evidence that two alike submissions are one person's sent
    again or two people's: carried to the screen as a keyed digest (never the address), and said."""
    from themes.respondents import SENDER

    rows = ["respondent_id,Email,state,challenges"]
    rows += [f"R{k},{'jo' if k < 2 else f'p{k}'}@x.org,OH,\"{_answer(k, 'money')}\"" for k in range(12)]
    path = write(tmp_path / "mail.csv", "\n".join(rows) + "\n")
    answers, spec, problems = load_answers(path, InputSpec())
    assert answers[SENDER].nunique() == 11 and not answers[SENDER].str.contains("@").any()
    assert ("  senders    'Email' (not read as answers or metadata) tells who sent each submission: two from one "
            "address whose answers are mostly the same, or whose metadata agree where one is a first try, are one "
            "respondent's sent again, read once; from two, never (a keyed digest serves the screen alone; nothing of "
            "it is written out)") in announcement(spec, path, problems=problems)
    answers, _, _ = load_answers(path, InputSpec(meta_columns=("state",), text_columns=("challenges",)))
    assert SENDER in answers  # an option naming other columns leaves the e-mail unread, and a sender's
    # A review's: no sender from a column that holds no addresses, a supervisor's address, a shared mailbox, an
    # address four respondents gave, or a placeholder; nor from a name
    for name, values in (("Email opt-in", ["Yes", "No"] * 6), ("Supervisor email", ["boss@x.org"] * 12),
                         ("Email", ["info@coalition.org"] * 6 + [f"p{k}@x.org" for k in range(6)]),
                         ("Email", ["jo@x.org"] * 4 + [f"p{k}@x.org" for k in range(8)]),
                         ("Email", ["N/A"] * 6 + [f"p{k}@x.org" for k in range(6)]), ("Name", ["Healthy Homes"] * 12)):
        rows = [f"respondent_id,{name},state,challenges"]
        rows += [f"R{k},{value},OH,\"{_answer(k, 'money')}\"" for k, value in enumerate(values)]
        answers, _, _ = load_answers(write(tmp_path / "other.csv", "\n".join(rows) + "\n"), InputSpec())
        shared = answers.groupby(SENDER)["respondent_id"].nunique() if SENDER in answers else pd.Series(dtype=int)
        assert not (shared[shared.index != ""] > 1).any(), (name, values[0])


def test_a_pipe_delimited_file_with_lines_under_the_table_is_read(tmp_path):
    """'Exported by: ...' and 'Total records: 30' under a pipe-delimited table made every delimiter but the comma
    split the records unevenly: the file was read as one column, and the advice (--header-row 25) read a row of
    answers as the column names. The exporter's address is not repeated where the note is said."""
    lines = ["resp_id|org_type|challenges"] + [f"R{k}|CBO|{_answer(k, 'staff')}" for k in range(30)]
    lines += ["", "Exported by: Kim Lee (kim.lee@foundation.org) on 2024-06-30", "Total records: 30"]
    answers, spec, _ = load_answers(write(tmp_path / "pipes.csv", "\n".join(lines) + "\n"), InputSpec())
    assert spec.text_columns == ("challenges",) and answers["respondent_id"].nunique() == 30
    assert spec.sources["platform_rows"] == ("row 33, a note ('Exported by: Kim Lee ([email]) on 2024-0'): not "
                                             "answers; row 34, a summary row ('Total records: 30'): not answers")


def test_a_long_files_columns_left_unread_are_said(tmp_path):
    """A long file's respondent type in French ('type_repondant') and a 'Segment' column were read by nothing and
    said nowhere, where a wide file lists such columns as not read."""
    rows = ["identifiant,type_repondant,Segment,question,answer"]
    for k in range(30):
        for n, question in enumerate(["challenges", "funding", "goals"]):
            rows.append(f"{k},{['Hôpital', 'OBNL'][k % 2]},{['urbain', 'rural'][k % 2]},{question},"
                        f"\"{_answer(k, question)}, {n}\"")
    path = write(tmp_path / "long.csv", "\n".join(rows) + "\n")
    answers, spec, problems = load_answers(path, InputSpec(id_column="identifiant"))
    # the respondent's type in French is read as metadata since 3 December (review 159: 'Tipo de organización' and
    # 'Estado' were not); the segment is still said
    assert spec.is_long and spec.meta_columns == ("type_repondant",) and spec.sources["ignored"] == "'Segment'"
    assert ("  not read   'Segment': not free text, nor ids or metadata"
            in "\n".join(announcement(spec, path, problems=problems)))


def test_a_respondents_type_and_place_named_in_spanish_or_french_are_metadata():
    """A translated export's 'Tipo de organización' and 'Estado' were listed as not read: no breakdown (review 159)."""
    from themes.infer import names_type_or_place

    for name in ("Tipo de organización", "Estado", "Type d'organisation", "Région", "Categoría de entidad"):
        assert names_type_or_place(name), name
    for name in ("¿Qué obstáculos enfrenta la alianza?", "Comentarios", "Departamento de salud"):
        assert not names_type_or_place(name), name


def test_a_file_whose_answers_are_all_placeholders_says_so(tmp_path):
    """Every answer 'N/A', 'none.' or 'N/A - see above': 'No free-text column found' while the columns were there."""
    lines = ["respondent_id,state,challenges,goals"] + [f"R{k},OH,{['none.', 'N/A - see above'][k % 2]},-"
                                                          for k in range(10)]
    with raises_exactly("No answer to code: 'challenges', 'goals' hold only placeholders (\"N/A\", \"none\", \"see "
                        "above\"). Check that this is the export with the answers; --text-column names the "
                        "open-ended columns."):
        load_answers(write(tmp_path / "empty.csv", "\n".join(lines) + "\n"), InputSpec())


def test_second_review_of_the_export_readers_new_rules(tmp_path):
    """Found by a second review of this stop's rules: a REDCap record whose first row (the one with the id) is a
    closed field lost every id; a question named for a county became metadata; a repeat sent in a later batch
    was kept; a wide file with the id on a Lead row only read as long; a respondent whose first id is missing was
    joined to the one above; the same names under two group labels were not read as a two-row header."""
    lines = ["record,field,value"]
    for k in range(20):
        lines += [f"{k},consent,Yes", f",org_type,{['Hospital', 'Government'][k % 2]}",
                  f",challenges,\"{_answer(k, 'staff')}\"", f",county_partners,{['Housing', 'Food bank'][k % 2]}"]
    answers, spec, problems = load_answers(write(tmp_path / "redcap.csv", "\n".join(lines) + "\n"),
                                           InputSpec(id_column="record", question_column="field",
                                                     answer_column="value"))
    assert answers["respondent_id"].nunique() == 20 and not answers["respondent_id"].str.startswith("gen-").any()
    assert sorted(answers["question"].unique()) == ["challenges", "county_partners"] and spec.meta_columns == (
        "org_type",)
    # Where the user named the metadata (a project's spec), fields stay questions.
    answers, _, _ = load_answers(tmp_path / "redcap.csv", InputSpec(id_column="record", question_column="field",
                                                                     answer_column="value", meta_columns=()))
    named = InputSpec(id_column="record", question_column="field", answer_column="value",
                      sources={"meta_columns": "option"})
    assert "org_type" in set(load_answers(tmp_path / "redcap.csv", named)[0]["question"])

    lead = ["Partnership ID,Role,What made it work?"] + [
        f"{f'P{k // 2}' if k % 2 == 0 else ''},{['Lead', 'Partner'][k % 2]},\"{_answer(k, 'trust')}\""
        for k in range(30)]
    answers, spec, _ = load_answers(write(tmp_path / "lead.csv", "\n".join(lead) + "\n"),
                                    InputSpec(id_column="Partnership ID"))
    assert not spec.is_long

    rows = ["Respondent,Question,Response"]
    for k in range(40):
        for n, question in enumerate(["What are your goals?", "What holds it back?"]):
            rows.append(f"{f'R{k}' if n == 0 and k != 5 else ''},{question},\"{_answer(k, question)}\"")
    answers, spec, problems = load_answers(write(tmp_path / "gap.csv", "\n".join(rows) + "\n"), InputSpec())
    assert answers.groupby("respondent_id")["question"].apply(lambda q: q.is_unique).all()
    assert sum(p["problem"] == "missing_id" for p in problems) == 2  # R5's rows, said

    header = ["Respondent ID,Org type,Challenges,,Successes,", ",,Internal,External,Internal,External"]
    header += [f"R{k},CBO," + ",".join(f"\"{_answer(k, t)}\"" for t in "abcd") for k in range(12)]
    answers, spec, _ = load_answers(write(tmp_path / "same_names.csv", "\n".join(header) + "\n"), InputSpec())
    assert spec.text_columns == ("Challenges: Internal", "Challenges: External", "Successes: Internal",
                                 "Successes: External") and answers["respondent_id"].nunique() == 12


def test_third_review_of_the_export_readers_new_rules(tmp_path):
    """A third review: a REDCap field named 'dem_org_type' was coded as answers again, a question column named
    'QuestionID' or 'Pregunta' stopped ids being carried, an answer continued on a second row cut the respondent's
    later rows off, and two missing first-row ids made the whole file one row per respondent."""
    lines = ["record,field_name,value"]
    for k in range(20):
        lines += [f"{k},dem_org_type,{['Hospital', 'Government'][k % 2]}", f"{k},q1_state,{['OH', 'TX'][k % 2]}",
                  f"{k},challenges,\"{_answer(k, 'staff')}\""]
    _, spec, _ = load_answers(write(tmp_path / "prefixed.csv", "\n".join(lines) + "\n"),
                              InputSpec(id_column="record", question_column="field_name", answer_column="value"))
    assert spec.meta_columns == ("dem_org_type", "q1_state")

    for name in ("QuestionID", "Pregunta"):
        rows = [f"Respondent,{name},Response"]
        for k in range(30):
            for n, question in enumerate(["goals", "challenges", "effective"]):
                rows.append(f"{f'R{k}' if n == 0 else ''},{question},\"{_answer(k, question)}\"")
        answers, spec, _ = load_answers(write(tmp_path / f"{name}.csv", "\n".join(rows) + "\n"), InputSpec())
        assert spec.question_column == name and answers["respondent_id"].nunique() == 30

    rows = ["Respondent,Question,Response"]
    for k in range(100):
        asked = ["goals", "challenges", "challenges", "effective"] if k in (3, 10) else ["goals", "challenges",
                                                                                         "effective"]
        for n, question in enumerate(asked):
            missing = k in (7, 20) and n == 0
            rows.append(f"{f'R{k}' if n == 0 and not missing else ''},{question},\"{_answer(k, question)}, {n}\"")
    answers, spec, problems = load_answers(write(tmp_path / "continued.csv", "\n".join(rows) + "\n"), InputSpec())
    assert spec.is_long and set(answers.loc[answers["respondent_id"] == "R3", "question"]) == {
        "goals", "challenges", "effective"}  # the continued answer's next row is still R3's
    assert sum(p["problem"] == "missing_id" for p in problems) == 6  # R7's and R20's rows, said


def _saved_as_excel_would(path: Path, results: dict[str, str]) -> None:
    """Rewrite `path` as Excel saves it: each formula cell (by reference) with its result as text."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    for reference, value in results.items():
        sheet = re.sub(rf'<c r="{reference}"( [^>]*)?><f>(.*?)</f><v></v></c>',
                       lambda m, v=value: f'<c r="{reference}" t="str"><f>{m.group(2)}</f><v>{v}</v></c>', sheet)
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_answers_a_formula_computes_are_refused_until_their_results_are_saved(tmp_path):
    """A workbook a script wrote with formulas it never computed: pandas reads each such cell as blank, so 12 answers
    were lost as 'empty' with exit 0. The run now stops with one line; saved by Excel, the results are read."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["respondent_id", "org_type", "challenges"])
    for k in range(12):
        book.active.append([f"R{k}", "Hospital", f'="Funding ran out in year "&{k + 1}&" and staff left"'])
    book.save(tmp_path / "script.xlsx")

    with pytest.raises(InputError, match=r"script.xlsx: 12 cells of column 'challenges' \(first in row 2\) hold a "
                                         r"formula whose result was never saved, so they would read as blank: open the "
                                         r"workbook in Excel"):
        load_answers(tmp_path / "script.xlsx", InputSpec())
    _saved_as_excel_would(tmp_path / "script.xlsx", {f"C{k + 2}": f"Funding ran out in year {k + 1} and staff left"
                                                     for k in range(12)})
    answers, _, _ = load_answers(tmp_path / "script.xlsx", InputSpec())
    assert answers["answer_raw"].tolist() == [f"Funding ran out in year {k + 1} and staff left" for k in range(12)]


def test_unsaved_formulas_in_a_column_not_read_are_no_reason_to_stop_unless_it_would_read_as_nothing(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["respondent_id", "challenges", "flag", "words"])
    for k in range(12):
        book.active.append([f"R{k}", _answer(k, "money"), "=1+1" if k < 2 else "checked", f"=LEN(B{k + 2})"])
    book.save(tmp_path / "survey.xlsx")
    # A column that reads as empty may be answers no guess can see: said, not passed over.
    with pytest.raises(InputError, match=r"12 cells of column 'words' \(and 2 in other columns\) \(first in row 2\) "
                                         r"hold a formula"):
        load_answers(tmp_path / "survey.xlsx", InputSpec())

    for row in range(2, 14):
        book.active.cell(row=row, column=4).value = 40 + row
    book.save(tmp_path / "survey.xlsx")
    answers, spec, _ = load_answers(tmp_path / "survey.xlsx", InputSpec())
    assert spec.text_columns == ("challenges",) and len(answers) == 12  # two unsaved flags, in a column not read


def test_a_formula_result_saved_as_empty_text_is_no_unsaved_result(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["respondent_id", "challenges", "note"])
    for k in range(12):
        book.active.append([f"R{k}", _answer(k, "money"), '=IF(A2="x","flag","")'])
    book.save(tmp_path / "survey.xlsx")
    _saved_as_excel_would(tmp_path / "survey.xlsx", {f"C{k + 2}": "" for k in range(12)})

    answers, spec, _ = load_answers(tmp_path / "survey.xlsx", InputSpec())
    assert len(answers) == 12


def test_ids_under_a_blank_header_cell_in_the_first_column_are_the_respondents_ids(tmp_path):
    """A table saved with its row index (pandas's to_csv) or ids under a header cell left empty stopped with "No
    respondent id column found (columns: Unnamed: 0, ...)"; the column is now read as the ids, and said."""
    from themes.infer import announcement

    rows = [[f"R{100 + k}", "Hospital", "OH", _answer(k, "money"), _answer(k, "trust")] for k in range(12)]
    frame = pd.DataFrame(rows, columns=["", "org_type", "state", "challenges", "goals"])
    frame.to_csv(tmp_path / "blank.csv", index=False)
    answers, spec, problems = load_answers(tmp_path / "blank.csv", InputSpec())
    assert answers["respondent_id"].nunique() == 12 and spec.text_columns == ("challenges", "goals")
    assert ("  id         'Unnamed: 0' (guessed: column 1 has no name in the header and a different short value on "
            "every row)") in announcement(spec, tmp_path / "blank.csv", problems=problems)

    frame.iloc[:, 0] = [f"R{100 + k // 2}" for k in range(12)]  # repeated: no respondent's id
    frame.to_csv(tmp_path / "repeated.csv", index=False)
    with pytest.raises(InputError, match="No respondent id column found"):
        load_answers(tmp_path / "repeated.csv", InputSpec())


def test_a_row_index_over_two_named_columns_is_no_title_over_the_header(tmp_path):
    """A reviewer's three-column export saved with its row index (`,org_type,challenges`): two of three header
    cells named looked like a title row, so the first respondent's row was read as the column names and the run
    stopped with "No respondent id column found (columns: 1, Nonprofit, ...)". A title or a group label starts
    its row; a row index's blank cell is the first and only blank one."""
    rows = [["Hospital" if k % 2 else "Nonprofit", f"Funding ran out in year {k} and staff left #{k}"]
            for k in range(12)]
    pd.DataFrame(rows, columns=["org_type", "challenges"]).to_csv(tmp_path / "indexed.csv")
    answers, spec, _ = load_answers(tmp_path / "indexed.csv", InputSpec())
    assert spec.text_columns == ("challenges",) and spec.id_column == "Unnamed: 0"
    assert len(answers) == 12 and "platform_rows" not in spec.sources

    sheet = [["Partnership RFI responses", None, None], ["id", "org_type", "challenges"],
             *[[f"R{k}", *row] for k, row in enumerate(rows)]]
    pd.DataFrame(sheet).to_csv(tmp_path / "titled.csv", index=False, header=False)
    answers, spec, _ = load_answers(tmp_path / "titled.csv", InputSpec())  # a title in the first cell still is one
    assert spec.id_column == "id" and spec.sources["platform_rows"].startswith("row 1, above the column names")

    # A reviewer's: a title in B1 and a date in C1, or a group label over each column, over a header whose first
    # cell names ids: its first value ("#", "Respondent ID") is no value of the column below it, so it is the header.
    for above, first in [(["Partnership RFI responses", "Exported 2 Nov 2024"], "#"),
                         (["About you", "Your answers"], "Respondent ID")]:
        sheet = [[None, *above], [first, "org_type", "challenges"], *[[k + 1, *row] for k, row in enumerate(rows)]]
        pd.DataFrame(sheet).to_csv(tmp_path / "b1.csv", index=False, header=False)
        answers, spec, _ = load_answers(tmp_path / "b1.csv", InputSpec(id_column=first))
        assert spec.text_columns == ("challenges",) and len(answers) == 12
        assert spec.sources["platform_rows"].startswith("row 1, above the column names")


def test_unsaved_formulas_in_rows_or_columns_that_are_never_read_are_no_reason_to_stop(tmp_path):
    """A reviewer's workbooks: a total row and a title computed by formulas, a hidden helper column of them, and a
    helper column beside columns the user named were refused, though no answer was lost."""
    import openpyxl

    def book(title=None, total=False, hidden=False):
        made = openpyxl.Workbook()
        sheet = made.active
        if title:
            sheet.append([title])
        sheet.append(["respondent_id", "challenges", "words"])
        for k in range(12):
            sheet.append([f"R{k}", _answer(k, "money"), f"=LEN(B{k + 2})"])
        if total:
            sheet.append(["Total", "=COUNTA(B2:B13)", None])
        if hidden:
            sheet.column_dimensions["C"].hidden = True
        return made

    for name, made, spec in [
        ("total.xlsx", book(total=True, hidden=True), InputSpec()),
        ("title.xlsx", book(title='="Survey export "&TEXT(TODAY(),"yyyy-mm-dd")', hidden=True), InputSpec()),
        ("named.xlsx", book(), InputSpec(id_column="respondent_id", text_columns=("challenges",)))]:
        made.save(tmp_path / name)
        answers, _, _ = load_answers(tmp_path / name, spec)
        assert len(answers) == 12, name
    with pytest.raises(InputError, match=r"1 cell of column 'challenges' \(and 12 in other columns\) \(first in row "
                                         r"5\) holds a formula whose result was never saved, so it would read as blank"):
        made = book(hidden=True)
        made.active["B5"] = "=CONCAT(A5)"
        made.save(tmp_path / "one.xlsx")
        load_answers(tmp_path / "one.xlsx", InputSpec())


def test_an_answer_beginning_with_equals_that_a_script_saved_as_a_formula_is_read_as_its_text(tmp_path):
    """pandas's to_excel (openpyxl) writes an answer that begins with "=" as a formula with no result: it read as blank,
    then was refused with advice that could not work. Prose is no formula: it is read as written, and said."""
    from themes.infer import announcement

    answers_given = [f"=> more staff, and a shared database for family {k}" if k < 3 else _answer(k, "money")
                     for k in range(12)]
    pd.DataFrame({"respondent_id": [f"R{k}" for k in range(12)], "challenges": answers_given}).to_excel(
        tmp_path / "arrows.xlsx", index=False)
    answers, spec, problems = load_answers(tmp_path / "arrows.xlsx", InputSpec())
    assert answers["answer_raw"].tolist() == answers_given
    assert any(line.startswith("  formulas   3 cells that the program which wrote the workbook saved as a formula")
               for line in announcement(spec, tmp_path / "arrows.xlsx", problems=problems))


def test_formula_cells_without_a_reference_are_found_by_their_place_in_the_row(tmp_path):
    """A sheet may leave out each cell's `r` (OOXML allows it): the unsaved answers of such a sheet were read as an
    empty column, silently."""
    import openpyxl

    made = openpyxl.Workbook()
    made.active.append(["respondent_id", "challenges", "what_worked"])
    for k in range(12):
        made.active.append([f"R{k}", f'="Funding ran out in year "&{k + 1}', _answer(k, "trust")])
    made.save(tmp_path / "refs.xlsx")
    _without_references(tmp_path / "refs.xlsx")
    with pytest.raises(InputError, match=r"12 cells of column 'challenges' \(first in row 2\) hold a formula"):
        load_answers(tmp_path / "refs.xlsx", InputSpec())


def _without_references(path: Path) -> None:
    import re
    import zipfile

    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["xl/worksheets/sheet1.xml"] = re.sub(rb'<c r="[A-Z]+\d+"', b"<c", members["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_a_sheet_of_unsaved_answers_after_an_instructions_sheet_is_named(tmp_path):
    """The search for the answers' sheet passed over a sheet whose answers all read as blank, and the error named
    the instructions sheet's columns instead."""
    import openpyxl

    made = openpyxl.Workbook()
    made.active.title = "Instructions"
    made.active.append(["How to read this workbook"])
    made.active.append(["Each row is one respondent."])
    data = made.create_sheet("Q&A responses")
    data.append(["respondent_id", "org_type", "challenges"])
    for k in range(12):
        data.append([f"R{k}", "Hospital", f'="Funding ran out in year "&{k + 1}'])
    made.save(tmp_path / "two.xlsx")
    with pytest.raises(InputError, match=r"No respondent id column found .* Sheet 'Q&A responses' has 12 cells "
                                         r"holding a formula whose result was never saved"):
        load_answers(tmp_path / "two.xlsx", InputSpec())


def test_text_formulas_xlsxwriter_saved_with_its_zero_are_unsaved_results(tmp_path):
    """XlsxWriter saves 0 as the result of every formula it writes: answers made by joining texts read as "0"."""
    import xlsxwriter

    made = xlsxwriter.Workbook(tmp_path / "xw.xlsx")
    sheet = made.add_worksheet()
    sheet.write_row(0, 0, ["respondent_id", "challenges", "what_worked"])
    for k in range(12):
        sheet.write_row(k + 1, 0, [f"R{k}"])
        sheet.write_formula(k + 1, 1, f'="Funding ran out in year "&{k + 1}')
        sheet.write_string(k + 1, 2, _answer(k, "trust"))
    made.close()
    with pytest.raises(InputError, match=r"12 cells of column 'challenges' \(first in row 2\) hold a formula whose "
                                         r"result was never saved"):
        load_answers(tmp_path / "xw.xlsx", InputSpec())


def _excel_saved_zeros(path: Path, column: str) -> None:
    """Rewrite `path` as Excel saves a numeric formula's result 0: no type, `<v>0</v>`, no request to recompute."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    sheet = re.sub(rf'(<c r="{column}\d+"[^>]*><f>[^<]*</f>)<v></v>', r"\1<v>0</v>", sheet)
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    members["xl/workbook.xml"] = members["xl/workbook.xml"].replace(b' fullCalcOnLoad="1"', b"")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_a_zero_excel_saved_for_a_formula_with_quotes_is_its_result(tmp_path):
    """A reviewer's Excel file: COUNTIF(C2,"*test*") saved 0 on every row, which the XlsxWriter rule took for an
    unsaved result; Excel writes no request to recompute, XlsxWriter does."""
    import openpyxl

    made = openpyxl.Workbook()
    made.active.append(["respondent_id", "challenges", "test_flag"])
    for k in range(12):
        made.active.append([f"R{k}", _answer(k, "money"), f'=COUNTIF(B{k + 2},"*test*")'])
    made.save(tmp_path / "excel.xlsx")
    _excel_saved_zeros(tmp_path / "excel.xlsx", "C")
    answers, spec, _ = load_answers(tmp_path / "excel.xlsx", InputSpec())
    assert len(answers) == 12 and spec.text_columns == ("challenges",)


def test_unsaved_formulas_elsewhere_do_not_replace_an_unrelated_error(tmp_path):
    import openpyxl

    made = openpyxl.Workbook()
    made.active.append(["Ref", "challenges"])
    for k in range(12):
        made.active.append([f"Household {k}", _answer(k, "money")])
    made.active.append(["Total", "=COUNTA(B2:B13)"])
    summary = made.create_sheet("Summary")
    summary.append(["theme", "count"])
    for k in range(4):
        summary.append([f"theme {k}", f'=COUNTIF(Sheet!B2:B13,"*{k}*")'])
    made.save(tmp_path / "ids.xlsx")
    with pytest.raises(InputError, match="No respondent id column found"):
        load_answers(tmp_path / "ids.xlsx", InputSpec())


def test_an_answer_that_began_with_an_arrow_is_read_as_text_and_a_defined_name_or_a_spaced_formula_is_not(tmp_path):
    import openpyxl

    made = openpyxl.Workbook()
    made.active.append(["respondent_id", "challenges"])
    for k in range(12):
        made.active.append([f"R{k}", "=> same as Q3" if k == 0 else "=Raw_Responses" if k == 1 else
                            '= "Funding ran out"' if k == 2 else _answer(k, "money")])
    made.save(tmp_path / "mixed.xlsx")
    with pytest.raises(InputError, match=r"2 cells of column 'challenges' \(first in row 3\) hold a formula"):
        load_answers(tmp_path / "mixed.xlsx", InputSpec())
    made.active["B3"] = made.active["B4"] = _answer(1, "money")
    made.save(tmp_path / "mixed.xlsx")
    answers, _, _ = load_answers(tmp_path / "mixed.xlsx", InputSpec())
    assert answers["answer_raw"].iloc[0] == "=> same as Q3"


@pytest.mark.parametrize("columns", [["", "household", "question", "answer"], ["", "Household", "org_type", "goals"]])
def test_an_unnamed_first_column_is_no_id_in_a_long_file_or_beside_another_column_of_ids(tmp_path, columns):
    if columns[2] == "question":
        rows = [[str(k), f"H{k // 2}", ["goals", "challenges"][k % 2], _answer(k, "money")] for k in range(24)]
    else:
        rows = [[str(k), f"H{k}", "Hospital", _answer(k, "money")] for k in range(12)]
    pd.DataFrame(rows, columns=columns).to_csv(tmp_path / "index.csv", index=False)
    with pytest.raises(InputError, match="respondent"):
        answers, _, _ = load_answers(tmp_path / "index.csv", InputSpec())
        assert answers["respondent_id"].nunique() < len(answers)  # read as long by its household, if at all
        raise InputError("respondent ids read by household")


def test_a_result_excel_saved_for_a_formula_written_with_a_space_is_read(tmp_path):
    """Excel keeps a space typed after "=": "= ROW()-1" saved as 1 was read as the formula's text."""
    import re
    import zipfile

    import openpyxl

    made = openpyxl.Workbook()
    made.active.append(["", "challenges"])
    for k in range(12):
        made.active.append([f"= ROW()-{k}", _answer(k, "money")])
    made.save(tmp_path / "space.xlsx")
    with zipfile.ZipFile(tmp_path / "space.xlsx") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["xl/worksheets/sheet1.xml"] = re.sub(rb"<f> ROW\(\)-(\d+)</f><v></v>", lambda m: b"<f> ROW()-" + m.group(1)
                                                 + b"</f><v>" + str(100 + int(m.group(1))).encode() + b"</v>",
                                                 members["xl/worksheets/sheet1.xml"])
    members["xl/workbook.xml"] = members["xl/workbook.xml"].replace(b' fullCalcOnLoad="1"', b"")
    with zipfile.ZipFile(tmp_path / "space.xlsx", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    answers, _, _ = load_answers(tmp_path / "space.xlsx", InputSpec())
    assert sorted(answers["respondent_id"].unique()) == sorted(str(100 + k) for k in range(12))


def test_a_row_index_is_still_the_ids_beside_a_question_worded_column_or_a_column_of_numbers(tmp_path):
    """A reviewer's pandas files: "Any other questions or comments?" named like a long file's question column, and
    an age or ZIP column unique on every row, had turned the row-index guess off."""
    frame = pd.DataFrame({"age": [30 + k for k in range(12)],
                          "Any other questions or comments?": [_answer(k, "money") for k in range(12)],
                          "challenges": [_answer(k, "trust") for k in range(12)]})
    frame.to_csv(tmp_path / "index.csv")
    answers, spec, _ = load_answers(tmp_path / "index.csv", InputSpec())
    assert spec.id_column == "Unnamed: 0" and answers["respondent_id"].nunique() == 12


def _sheet_csv(path: Path, sheet: list[list]) -> Path:
    pd.DataFrame(sheet).to_csv(path, index=False, header=False)
    return path


_TYPED_ANSWERS = [["Hospital" if k % 2 else "Nonprofit", f"Funding ran out in year {k} and staff left #{k}"]
            for k in range(12)]


@pytest.mark.parametrize("header", [["id", None, "challenges"], ["id", "org_type", None], [None, None, "challenges"]])
def test_a_header_with_blank_cells_over_ids_is_the_header_not_a_title(tmp_path, header):
    """A reviewer's `id,,challenges`: two of three header cells named looked like a title row, so the first
    respondent's row was read as the column names and the run stopped ("No respondent id column found (columns:
    R0001, ...)"). The row under the header is a respondent's: its id has the shape of those below it."""
    path = _sheet_csv(tmp_path / "blanks.csv", [header, *[[f"R{k:04d}", *row] for k, row in enumerate(_TYPED_ANSWERS)]])
    answers, spec, _ = load_answers(path, InputSpec())
    assert answers["respondent_id"].tolist() == [f"R{k:04d}" for k in range(12)]
    assert "platform_rows" not in spec.sources
    assert "Funding ran out in year 0 and staff left #0" in answers["answer_raw"].tolist()


def test_a_title_over_two_columns_is_skipped_and_a_first_respondent_under_one_name_is_no_header(tmp_path):
    """A title in A1 over a two-column sheet ("Respondent ID", "challenges") was read as a group label over both
    ('Partnership RFI ...: Respondent ID'), and the run stopped with no id column. Under a header with its second
    cell blank, the first respondent's row is still a respondent, not the column names."""
    rows = [[f"R{k:04d}", text] for k, (_, text) in enumerate(_TYPED_ANSWERS)]
    path = _sheet_csv(tmp_path / "titled.csv", [["Partnership RFI - responses exported 2 Nov", None],
                                                ["Respondent ID", "challenges"], *rows])
    answers, spec, _ = load_answers(path, InputSpec())
    assert spec.id_column == "Respondent ID" and spec.text_columns == ("challenges",) and len(answers) == 12
    assert spec.sources["platform_rows"] == ("row 1, above the column names in row 2 (a title or a row of group "
                                             "labels): not answers")

    path = _sheet_csv(tmp_path / "unnamed.csv", [["Respondent ID", None], *rows])
    answers, spec, _ = load_answers(path, InputSpec())
    assert spec.id_column == "Respondent ID" and len(answers) == 12 and "platform_rows" not in spec.sources
    # A sheet per question, its text as the title over "Respondent ID | Response": 'Response' is no SurveyMonkey row
    path = _sheet_csv(tmp_path / "q7.csv", [["Q7: Please describe any challenges.", None],
                                            ["Respondent ID", "Response"], *rows])
    answers, spec, _ = load_answers(path, InputSpec())
    assert spec.id_column == "Respondent ID" and spec.text_columns == ("Response",) and len(answers) == 12


def test_a_header_with_its_id_cell_blank_under_a_title_is_found_above_the_first_respondent(tmp_path):
    """A title in B1 and a date in C1 over a header whose A2 is blank: the header names two of three columns, so
    the search took the first respondent's row for it and stopped. The header is the row above the first row of
    ids."""
    path = _sheet_csv(tmp_path / "b1.csv", [[None, "Partnership RFI responses", "Exported 2 Nov 2024"],
                                            [None, "org_type", "challenges"],
                                            *[[f"R{k:04d}", *row] for k, row in enumerate(_TYPED_ANSWERS)]])
    answers, spec, _ = load_answers(path, InputSpec())
    assert answers["respondent_id"].tolist() == [f"R{k:04d}" for k in range(12)]
    assert spec.text_columns == ("challenges",) and spec.meta_columns == ("org_type",)
    assert spec.sources["platform_rows"].startswith("row 1, above the column names in row 2")


def test_group_labels_over_a_named_id_column_are_read_with_the_names_below_them(tmp_path):
    """"Respondent" over "Respondent ID", "Profile" over type and state, "Challenges" over two questions: row 2
    named the id column too, so it was read as a respondent ('Respondent ID' coded as an answer, 'Internal' as
    another), with exit 0. A column outside a group may be named in row 2 with words of its own name."""
    lines = ["Respondent,Profile,,Challenges,,Successes", "Respondent ID,Organization type,State,Internal,External,"]
    lines += [f"R{k:04d},CBO,OH,\"{_answer(k, 'staff')}\",\"{_answer(k, 'money')}\",\"{_answer(k, 'trust')}\""
              for k in range(12)]
    answers, spec, _ = load_answers(write(tmp_path / "groups.csv", "\n".join(lines) + "\n"), InputSpec())
    assert spec.id_column == "Respondent ID" and len(answers) == 36
    assert spec.text_columns == ("Challenges: Internal", "Challenges: External", "Successes")
    assert spec.meta_columns == ("Profile: Organization type", "Profile: State")
    # The id column's cell in row 1 left blank (s35's hole: "No respondent id column found (columns: , Profile, ...")
    blank = write(tmp_path / "blank.csv", "\n".join([lines[0].replace("Respondent", "", 1), *lines[1:]]) + "\n")
    answers, spec, _ = load_answers(blank, InputSpec())
    assert spec.id_column == "Respondent ID" and answers["respondent_id"].nunique() == 12
    assert spec.text_columns == ("Challenges: Internal", "Challenges: External", "Successes")
    # A respondent's row under the same labels is no row of names: "R0000" shares no word with "Respondent".
    answers, spec, _ = load_answers(write(tmp_path / "data.csv", "\n".join(lines[:1] + lines[2:]) + "\n"),
                                    InputSpec(id_column="Respondent"))
    assert answers["respondent_id"].nunique() == 12


def test_a_column_that_numbers_the_rows_is_the_respondents_id_and_said(tmp_path):
    """A hand-kept sheet's "#" over 1, 2, 3: "No respondent id column found (columns: #, ...)"."""
    path = _sheet_csv(tmp_path / "numbered.csv", [["#", "org_type", "challenges"],
                                                  *[[k + 1, *row] for k, row in enumerate(_TYPED_ANSWERS)]])
    answers, spec, _ = load_answers(path, InputSpec())
    assert spec.id_column == "#" and answers["respondent_id"].nunique() == 12
    assert spec.sources["id_column"] == "guessed: named as a row's number, and a different short value on every row"
    # Not a column of numbers that repeat (a question's number in a row per answer, a count)
    path = _sheet_csv(tmp_path / "counts.csv", [["#", "org_type", "challenges"],
                                                *[[k % 3, *row] for k, row in enumerate(_TYPED_ANSWERS)]])
    with pytest.raises(InputError, match="No respondent id column found"):
        load_answers(path, InputSpec())


def test_a_column_name_a_formula_computes_is_refused_until_its_result_is_saved(tmp_path):
    """A header cell a script wrote as a formula it never computed: the question read as 'Unnamed: 2', coded as no
    question the calibration knows, with exit 0 (and, before the reader took row 1 for the header over its ids,
    "No respondent id column found"). Saved by Excel, the name is read."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["respondent_id", "org_type", '="chal"&"lenges"'])
    for k in range(12):
        book.active.append([f"R{k}", "Hospital", f"Funding ran out in year {k + 1} and staff left"])
    book.save(tmp_path / "script.xlsx")
    with raises_exactly(f"{tmp_path / 'script.xlsx'}: the header cell over column 'Unnamed: 2' holds a formula whose "
                        "result was never saved, so the column has no name: open the workbook in Excel or LibreOffice, "
                        "save it, and run again (or type the column's name in that cell)."):
        load_answers(tmp_path / "script.xlsx", InputSpec(header_row=1))
    with pytest.raises(InputError, match="the header cell over column 'Unnamed: 2' holds a formula"):
        load_answers(tmp_path / "script.xlsx", InputSpec())
    _saved_as_excel_would(tmp_path / "script.xlsx", {"C1": "challenges"})
    _, spec, _ = load_answers(tmp_path / "script.xlsx", InputSpec())
    assert spec.text_columns == ("challenges",)
    # Over a column the guess passes over for want of a name (a state's, a fifth reviewer's): it was lost unsaid
    book = openpyxl.Workbook()
    book.active.append(["respondent_id", '="St"&"ate"', "challenges"])
    for k in range(12):
        book.active.append([f"R{k}", ["OH", "WA"][k % 2], f"Funding ran out in year {k + 1} and staff left"])
    book.save(tmp_path / "state.xlsx")
    with pytest.raises(InputError, match="the header cell over column 'Unnamed: 1' holds a formula"):
        load_answers(tmp_path / "state.xlsx", InputSpec())
    _, spec, _ = load_answers(tmp_path / "state.xlsx", InputSpec(text_columns=("challenges",)))  # named: not read
    assert spec.text_columns == ("challenges",)


def test_openpyxls_notes_on_a_workbooks_look_are_not_printed():
    """"Workbook contains no default style, apply openpyxl's default", printed three times a run for workbooks some
    tools write: nothing of the answers is lost."""
    import warnings

    from themes.ingest import quiet_workbook_notes

    with warnings.catch_warnings(record=True) as caught:
        quiet_workbook_notes()  # as importing the reader does (pytest restores the filters after collecting)
        warnings.warn_explicit("Workbook contains no default style, apply openpyxl's default", UserWarning,
                               "stylesheet.py", 237, module="openpyxl.styles.stylesheet")
        warnings.warn_explicit("Something else", UserWarning, "x.py", 1, module="themes.other")
    assert [str(w.message) for w in caught] == ["Something else"]


def test_a_header_of_years_or_codes_over_their_values_is_still_the_header(tmp_path):
    """A reviewer's regression of the first version: a header cell "2023" over amounts, or "C1" over "C2", "C3",
    has the shape of the values below it, and was taken for a respondent's row; the title above it became the
    column names (stopped), or a row of group labels did (the questions' names lost, exit 0)."""
    body = [[f"R{k:04d}", *row, str(1000 * (k + 3) + 250 * (k % 3)), f"C{k + 2}"]
            for k, row in enumerate(_TYPED_ANSWERS)]
    header = ["Respondent ID", "org_type", "challenges", "2023", "C1"]
    for above in ([["Partnership RFI 2024", None, None, None, None]],
                  [["Partnership RFI 2024", None, None, None, None], ["Respondent", "Profile", None, "Funding", None]]):
        answers, spec, _ = load_answers(_sheet_csv(tmp_path / "years.csv", [*above, header, *body]), InputSpec())
        assert spec.id_column == "Respondent ID" and spec.text_columns == ("challenges",) and len(answers) == 12
        assert spec.sources["platform_rows"].startswith(f"row{'s 1-' if len(above) > 1 else ' '}{len(above)}, above")
    # Years under a group label: the group's names, not a respondent's row with no id
    lines = ["Respondent ID,Organization type,Funding,,Challenges", ",,2023,2024,"]
    lines += [f"R{k:04d},CBO,{54250 + 997 * k},{64250 - 331 * k},\"{_answer(k, 'staff')}\"" for k in range(12)]
    answers, spec, _ = load_answers(write(tmp_path / "grouped.csv", "\n".join(lines) + "\n"), InputSpec())
    assert answers["respondent_id"].nunique() == 12 and spec.text_columns == ("Challenges",)


def test_a_long_files_row_numbers_are_no_respondents_ids(tmp_path):
    """'#' numbering the rows of a file of a row per answer: each answer would be a respondent (36 for 12), as
    `--id-column none` there is refused."""
    lines = ["#,Organization,Topic,Comment"]
    for k in range(12):
        lines += [f"{3 * k + q + 1},Org {k} Services,{topic},\"{_answer(k, topic)}\""
                  for q, topic in enumerate(["Challenges", "Successes", "Advice"])]
    with pytest.raises(InputError, match="No respondent id column found"):
        load_answers(write(tmp_path / "long.csv", "\n".join(lines) + "\n"), InputSpec())


def test_a_first_respondent_with_no_id_under_group_labels_is_no_row_of_names(tmp_path):
    """A reviewer's: the first respondent's id left blank, their sector ("Nonprofit sector" under "Sector") and two
    short answers under a group label: read as the names of the columns, the respondent lost. Row 2 names
    columns outside a group only where it names the ids."""
    lines = ["Respondent ID,Sector,Challenges,,Successes", ",Nonprofit sector,Volunteer burnout,Slow county contracts,"]
    lines += [f"R{k:04d},{['Public', 'Private'][k % 2]} sector,\"{_answer(k, 'staff')}\",\"{_answer(k, 'money')}\","
              f"\"{_answer(k, 'trust')}\"" for k in range(1, 13)]
    answers, spec, _ = load_answers(write(tmp_path / "first.csv", "\n".join(lines) + "\n"), InputSpec())
    assert answers["respondent_id"].nunique() == 13 and "Volunteer burnout" in answers["answer_raw"].tolist()


@pytest.mark.parametrize("above", [
    [["1", "Names removed"], ["2", "Answers lightly edited"]],  # numbered notes
    [["Hospital", "5"], ["Health department", "4"], ["Nonprofit", "3"]],  # a small count table
    [["Surveys sent", "15"], ["Responses received", "14"]],  # a key and its value
])
def test_numbered_notes_or_counts_above_the_header_are_no_respondents_rows(tmp_path, above):
    """A third reviewer's: a row of the title block whose number the next row's follows ("1 | Names removed",
    "2 | ...", counts 5, 4, 3) was taken for the first respondent's, and the run stopped with the title as the
    column names. A respondent's row fills half its cells or more."""
    width = 5
    sheet = [["Community Partnerships Survey 2024 - responses", *[None] * (width - 1)],
             *[[*row, *[None] * (width - len(row))] for row in above], [None] * width,
             ["Respondent ID", "org_type", "state", "challenges", "successes"],
             *[[f"R{k:03d}", kind, "OH", text, text.replace("Funding", "Trust")]
               for k, (kind, text) in enumerate(_TYPED_ANSWERS)]]
    answers, spec, _ = load_answers(_sheet_csv(tmp_path / "above.csv", sheet), InputSpec())
    assert spec.id_column == "Respondent ID" and answers["respondent_id"].nunique() == 12
    assert spec.text_columns == ("challenges", "successes")


def test_one_respondents_form_of_fields_is_no_table_of_respondents(tmp_path):
    """"Respondent ID | R007", then "Organization type | Hospital", "State | PA" and each question beside its answer,
    under a title: read as a table, 11 respondents named by the fields, each answer under a question named 'R007'.
    Under a column named as ids, ids are codes (digits in them), not field names."""
    rows = [["Respondent ID", "R007"], ["Organization type", "Hospital"], ["State", "PA"],
            *[[f"What has worked, part {k}?", f"Funding ran out in year {k} and staff left"] for k in range(9)]]
    with pytest.raises(InputError):
        load_answers(_sheet_csv(tmp_path / "form.csv", [["Site visit notes", None], *rows]), InputSpec())


def test_row_numbers_are_no_ids_where_an_organisation_has_several_rows(tmp_path):
    """'#', an organisation on each of its comments' rows and no question column: each comment was a respondent
    (15 for 5 organisations), their type counted per comment."""
    lines = ["#,Organization,Organization type,Comment"]
    lines += [f"{3 * k + j + 1},Org {k} Services,CBO,\"{_answer(3 * k + j, 'partners')}\"" for k in range(5)
              for j in range(3)]
    with pytest.raises(InputError, match="No respondent id column found"):
        load_answers(write(tmp_path / "comments.csv", "\n".join(lines) + "\n"), InputSpec())
    # A count of partners beside the row numbers is no organisation's rows
    lines = ["#,Organization type,Partners,What has worked?"]
    lines += [f"{k + 1},CBO,{k % 4 + 2},\"{_answer(k, 'partners')}\"" for k in range(14)]
    _, spec, _ = load_answers(write(tmp_path / "counts.csv", "\n".join(lines) + "\n"), InputSpec())
    assert spec.id_column == "#"


def test_a_bulleted_or_shorthand_answer_last_in_a_column_of_answers_is_kept(tmp_path):
    """A fourth reviewer's: comments in column A, read with `--id-column none`; the last ones, with no type or state,
    were dropped as notes ("* more funding", "Staff time = the biggest barrier"). A marked note or a legend is one
    under ids, or apart from the rows above (a blank row between)."""
    comments = ["We meet monthly with the clinic.", "Trust took two years to build.", "The county pays for rides.",
                "Our navigator sits in the ER on Fridays.", "Data sharing is still by fax.", "Staff left in 2023.",
                "Grants end in June, then what?", "The hospital listens now.", "We need a shared database.",
                "Families trust the promotoras.", "Referrals doubled since spring.", "Meetings run long."]
    lines = ["Comment,Organization type,State"] + [f"\"{comment}\",CBO,OH" for comment in comments]
    lines += ["* Need more funding for community health workers,,", "Staff time = the biggest barrier for us,,"]
    answers, spec, _ = load_answers(write(tmp_path / "comments.csv", "\n".join(lines) + "\n"),
                                    InputSpec(id_column="none", text_columns=("Comment",)))
    assert answers["respondent_id"].nunique() == 14 and "platform_rows" not in spec.sources
    # The same lines a blank row below the answers are notes
    lines[-2:-2] = [",,"]
    answers, spec, _ = load_answers(write(tmp_path / "apart.csv", "\n".join(lines) + "\n"),
                                    InputSpec(id_column="none", text_columns=("Comment",)))
    assert answers["respondent_id"].nunique() == 12 and "a note ('* Need more funding" in spec.sources["platform_rows"]


def test_a_first_respondent_who_answered_little_under_a_title_is_read(tmp_path):
    """Under a title and a header with blank cells, a first respondent filling under half the row (an id and one
    answer) was taken for the header's row, and the run stopped with the title as the column names."""
    width = 6
    sheet = [["Community Partnerships Survey 2024", *[None] * (width - 1)],
             ["Respondent ID", "org_type", "state", "challenges", None, None],
             ["R000", None, None, "Funding ran out in year 0 and staff left", None, None],
             *[[f"R{k:03d}", kind, "OH", text, "x", "y"] for k, (kind, text) in enumerate(_TYPED_ANSWERS[1:], 1)]]
    answers, spec, _ = load_answers(_sheet_csv(tmp_path / "sparse.csv", sheet), InputSpec())
    assert spec.id_column == "Respondent ID" and answers["respondent_id"].nunique() == 12


@pytest.mark.parametrize("asked", ["Which best describes your organization's biggest challenge?",
                                   "Which best describes your organization? Select all that apply.",
                                   "What best describes your main partner organization?"])
def test_other_questions_of_what_best_describes_are_no_respondents_type(tmp_path, asked):
    """A fourth reviewer's: a short open question, a check-all list, or the partner's type, worded "... best
    describes ...", became the respondent's type."""
    values = ["Funding", "Staff turnover", "Data sharing", "Trust"]
    lines = [f'Response ID,org_type,"{asked}",What has worked?']
    lines += [f'R{k},CBO,{values[k % 4]},"{_answer(k, "trust")}"' for k in range(12)]
    _, spec, _ = load_answers(write(tmp_path / "export.csv", "\n".join(lines) + "\n"), InputSpec())
    assert spec.meta_columns == ("org_type",)


def test_row_numbers_of_a_comment_log_by_person_are_no_ids_but_beside_a_state_they_are(tmp_path):
    """'#, Date, Submitted by, Comment' (each person on several rows, under no name an organisation's) made each
    comment a respondent; and '#' beside a type, a state and one question was refused when types happened not to
    repeat within a state (the state read as ids of a file of a row per answer)."""
    people = ["Ana", "Ben", "Cara", "Dev"]
    lines = ["#,Date,Submitted by,Comment"]
    lines += [f"{k + 1},2024-03-0{k % 3 + 1},{people[k % 4]},\"{_answer(k, 'partners')}\"" for k in range(16)]
    with pytest.raises(InputError, match="No respondent id column found"):
        load_answers(write(tmp_path / "log.csv", "\n".join(lines) + "\n"), InputSpec())
    kinds = ["Hospital", "Nonprofit", "Health department", "School", "Tribal government", "Church"]
    states = ["OH", "WA", "TX"]
    lines = ["#,Organization type,State,What has worked?"]
    lines += [f"{k + 1},{kinds[k % 6]},{states[k % 3]},\"{_answer(k, 'trust')}\"" for k in range(18)]
    _, spec, _ = load_answers(write(tmp_path / "one.csv", "\n".join(lines) + "\n"), InputSpec())
    assert spec.id_column == "#"


def test_a_row_of_units_under_the_header_is_no_respondent(tmp_path):
    """"USD", "%", "(1-5)" under the budget, share and rating columns: read as one more respondent, with a made-up
    id. It is said like a platform's extra header rows, after a title's."""
    sheet = [["Partnership survey 2024", None, None, None, None],
             ["Respondent ID", "org_type", "Budget", "Rating", "challenges"], [None, None, "USD", "(1-5)", None],
             *[[f"R{k:03d}", kind, str(1000 * k), str(k % 5 + 1), text]
               for k, (kind, text) in enumerate(_TYPED_ANSWERS)]]
    answers, spec, _ = load_answers(_sheet_csv(tmp_path / "units.csv", sheet), InputSpec())
    assert answers["respondent_id"].nunique() == 12
    assert spec.sources["platform_rows"] == ("row 1, above the column names in row 2 (a title or a row of group "
                                             "labels): not answers; row 3, a row of units under the column names "
                                             "('USD', '(1-5)'): not answers")


def test_a_google_forms_export_with_no_id_is_read_a_row_per_submission_and_said(tmp_path):
    """Google Forms writes no id: its first column, "Timestamp", is when each form was sent. Every such export
    stopped with "No respondent id column found", to be run again with --id-column none; now it is read so, and
    said. Not a file of a row per answer (a column named as the question)."""
    lines = ["Timestamp,Organization type,State,What has worked?,What is hard?"]
    lines += [f"2024/03/{k + 1:02d} 9:{k:02d}:00 AM GMT-5,CBO,OH,\"{_answer(k, 'trust')}\",\"{_answer(k, 'money')}\""
              for k in range(12)]
    answers, spec, problems = load_answers(write(tmp_path / "form.csv", "\n".join(lines) + "\n"), InputSpec())
    assert spec.id_column is None and answers["respondent_id"].nunique() == 12 and len(answers) == 24
    assert ("  id         none: each row a respondent, named by its content ('gen-' and 8 hex digits; the same row "
            "exported twice is one) (guessed: a form's export, a row per submission, its first column 'Timestamp' the "
            "time it was sent)") in announcement(spec, tmp_path / "form.csv", problems=problems)
    lines = ["Timestamp,Question,Answer"] + [f"3/{k // 2 + 1}/2024 9:00:00,Q{k % 2 + 1},\"{_answer(k, 'trust')}\""
                                             for k in range(12)]
    with pytest.raises(InputError, match="No respondent id column found"):
        load_answers(write(tmp_path / "long.csv", "\n".join(lines) + "\n"), InputSpec())


HEADER = "respondent_id,org_type,challenges\n"
FULL_ROWS = 'R1,Hospital,"Trust took years, and staff turnover."\nR2,CBO,"Funding\nis short."\n'


@pytest.mark.parametrize(("tail", "line"), [("R20", 5), ("R3,CB", 5), ('R3,"Half an ans', 5)],
                         ids=["mid-id", "mid-field", "mid-quote"])
def test_an_export_cut_off_mid_row_is_refused_not_read_as_a_respondent(tmp_path, tail, line):
    """A production review: an export still being written was read with its last row cut off ("R20" of "R207"),
    a phantom respondent with empty answers, and R207's answers and all after them lost, with exit 0."""
    from themes.errors import CutShort

    path = tmp_path / "export.csv"
    path.write_text(HEADER + FULL_ROWS + tail, encoding="utf-8")
    with pytest.raises(CutShort, match=rf"^{re.escape(str(path))} ends in the middle of a row: its last row \(line "
                                       rf"{line} of the file\) has fewer columns than the others and no line end\. It "
                                       r"looks cut short \(half-written, or still being copied\)"):
        read_table(path)


def test_an_export_cut_off_inside_its_last_answer_is_refused(tmp_path):
    from themes.errors import CutShort

    path = tmp_path / "export.csv"
    path.write_text(HEADER + FULL_ROWS + 'R3,CBO,"Half an answer, and\nthe rest', encoding="utf-8")
    with pytest.raises(CutShort, match=r"ends inside a quoted answer \(a quote opened and never closed\)\. It "
                                       r"looks cut short \(half-written, or still being copied\): export or copy it "
                                       r"again\.$"):
        read_table(path)


@pytest.mark.parametrize("text", [HEADER + FULL_ROWS + "R3,CBO,Whole", HEADER + FULL_ROWS + "R3,CBO\n",
                                  HEADER + "R1,Hospital\nR2,CBO,Some\nR3,CBO"],
                         ids=["whole, no line end", "short, with its line end", "ragged throughout"])
def test_a_last_row_that_is_whole_or_as_ragged_as_the_rest_is_read(tmp_path, text):
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    assert list(read_table(path)["respondent_id"]) == ["R1", "R2", "R3"]


SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_rfi" / "responses.csv"


def _sample_rows(n: int) -> pd.DataFrame:
    return pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).head(n)


def test_a_first_respondent_who_ticked_choices_in_their_own_columns_is_no_question_text_row(tmp_path):
    """Review 171: Typeform writes a check-all question one column per option, its cell the option's name when
    ticked. The first respondent's two ticks repeated the column names: their row was dropped as a question-text
    row, their answers became the questions' wording in the report, and the metadata was lost."""
    rows = _sample_rows(30)
    table = pd.DataFrame({"#": [f"{k:032x}" for k in range(30)], "Which best describes your organization?":
                          rows["org_type"], "State": rows["state"], "MOU": "MOU", "Contract": "Contract",
                          "What challenges hold the partnership back?": rows["challenges"]})
    table.loc[5:, "Contract"] = ""
    path = tmp_path / "typeform.csv"
    table.to_csv(path, index=False)
    answers, spec, _ = load_answers(path, InputSpec())
    assert answers["respondent_id"].nunique() == 30 and spec.meta_columns == (
        "Which best describes your organization?", "State")
    assert not answers.attrs.get("column_labels")


@pytest.mark.parametrize("joint", [",", "\n", " | "])
def test_options_joined_without_a_space_as_qualtrics_writes_them_are_choices_not_answers(tmp_path, joint):
    """Review 171: Qualtrics joins a check-all question's options with a bare comma ("Door to door,Sharing results"),
    Jotform with a line end: read as free text, the options' wording was coded, community engagement at 100%."""
    options = ["Community surveys at food distributions", "Community advisory board with resident members",
               "Monthly community meetings at the library", "Focus groups with patients and families",
               "Community health workers going door to door", "Sharing results back at neighborhood events"]
    import random

    pick = random.Random(3)
    rows = _sample_rows(40)
    ticked = [joint.join(options[j] for j in sorted(pick.sample(range(6), pick.randint(1, 4)))) for _ in range(40)]
    table = pd.DataFrame({"ResponseId": [f"R_{k:015d}" for k in range(40)], "Q7": ticked,
                          "Q10": rows["challenges"]})
    path = tmp_path / "export.csv"
    table.to_csv(path, index=False)
    _, spec, _ = load_answers(path, InputSpec())
    assert spec.text_columns == ("Q10",)


@pytest.mark.parametrize("label", ["Total (N)", "Responses", "Answered", "Respondents"])
def test_a_count_row_labelled_by_a_word_alone_is_no_respondent(tmp_path, label):
    """Review 171: "Total (N)", "N", "Responses" ... with the columns' counts under the answers became one more
    respondent in every base, and "30" a group of the breakdowns."""
    rows = _sample_rows(12)[["respondent_id", "org_type", "state", "effective_practices", "challenges"]]
    path = tmp_path / "export.csv"
    path.write_text(rows.to_csv(index=False) + f"{label},12,12,11,10\n", encoding="utf-8")
    answers, _, _ = load_answers(path, InputSpec())
    assert answers["respondent_id"].nunique() == 12


def test_surveymonkeys_response_row_with_choices_and_no_open_ended_cell_is_skipped(tmp_path):
    """Review 171: SurveyMonkey's second header row of "Response" cells, with a check-all question's choices under it
    ("MOU", "Contract") and no "Open-Ended Response", was read as a respondent whose answers were all "Response"."""
    rows = _sample_rows(12)
    import csv

    path = tmp_path / "sm.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["Respondent ID", "Collector ID", "Which best describes your organization?",
                      "Which agreements does the partnership have?", "", "What challenges hold the partnership back?"])
        out.writerow(["", "", "Response", "MOU", "Contract", "Response"])
        out.writerows([f"1140000000{k:02d}", "431234567", rows["org_type"][k], "MOU", "", rows["challenges"][k]]
                      for k in range(12))
    answers, spec, _ = load_answers(path, InputSpec())
    assert answers["respondent_id"].nunique() == 12 and "Response" not in set(answers["answer_raw"])
    assert "SurveyMonkey's response-type row" in str(answers.attrs.get("skipped") or spec.sources)


def test_a_respondent_column_of_peoples_names_is_no_id_beside_a_response_id(tmp_path):
    """Review 171: 'Respondent' holding people's names was taken for the id over 'Response ID': the names became the
    respondent ids of the research files, and two people of one name stopped the run."""
    rows = _sample_rows(12)
    names = ["Maria Smith", "John Lee", "Ana Lopez", "Maria Smith", "Tom Park", "Lin Wu", "Sara Cole", "Ben Ortiz",
             "Amy Diaz", "Raj Patel", "Kim Ng", "Leo Ruiz"]
    table = pd.DataFrame({"Response ID": [f"RID{k:04d}" for k in range(12)], "Respondent": names,
                          "Organization type": rows["org_type"], "State": rows["state"],
                          "What challenges hold the partnership back?": rows["challenges"]})
    path = tmp_path / "export.csv"
    table.to_csv(path, index=False)
    answers, spec, _ = load_answers(path, InputSpec())
    assert spec.id_column == "Response ID" and answers["respondent_id"].nunique() == 12
    assert not set(names) & set(answers["respondent_id"])


@pytest.mark.parametrize("header", ["id,respondent_id,question,answer", "id,respondent_id,Item,Response"])
def test_a_long_files_respondent_names_are_kept_over_a_row_number_id(tmp_path, header):
    """Review 172: the switch above took a row number 'id' over 'respondent_id' holding "Participant 1" on each of
    that respondent's answer rows: 6 respondents became 18, one per answer."""
    questions = ["What are your goals?", "What challenges do you face?", "What helps most?"]
    lines = [header]
    for k in range(18):
        person = f"Participant {k // 3 + 1}"
        lines.append(f"{k + 1},{person},{questions[k % 3]},{person} says the clinic waits too long for a referral "
                     f"to the food bank (answer {k}).")
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    answers, spec, _ = load_answers(path, InputSpec())
    assert spec.id_column == "respondent_id"
    assert answers["respondent_id"].nunique() == 6 and len(answers) == 18


def test_a_persons_name_over_submissions_for_several_sites_is_no_long_files_id(tmp_path):
    """Review 175: 'Respondent' names, each on 3 submissions of other 'Site's beside a 'Response ID', were read as a
    long file's ids with 'Site' its question: 15 submissions became 5 respondents."""
    rows = [{"Response ID": f"R_{k:03d}", "Respondent": name, "Site": site,
             "What are your biggest challenges?": f"Rides to the clinic are hard to get at {site} ({k})."}
            for k, (name, site) in enumerate(((n, s) for n in ("Maria Lopez", "James Carter", "Ana Ruiz", "Tom Baker",
                                                                "Lee Chen") for s in ("Eastside", "Westside",
                                                                                       "Downtown")), start=1)]
    path = tmp_path / "sites.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    answers, spec, _ = load_answers(path, InputSpec())
    assert (spec.id_column, spec.question_column, answers["respondent_id"].nunique()) == ("Response ID", None, 15)


def test_redcaps_eav_export_with_its_event_column_is_read_long(tmp_path):
    """Review 171: REDCap's EAV export (`record,redcap_event_name,field_name,value`) was read as wide because REDCap
    'never writes a row per question': 30 records became 149 respondents, "Nonprofit CBO" and "NH" coded."""
    rows = _sample_rows(12)
    lines = ["record,redcap_event_name,field_name,value"]
    for k, row in rows.iterrows():
        for field in ("org_type", "state", "challenges", "effective_practices"):
            value = str(row[field]).replace('"', '""')
            lines.append(f'{k + 1},baseline_arm_1,{field},"{value}"')
    path = write(tmp_path / "eav.csv", "\n".join(lines) + "\n")
    answers, spec, _ = load_answers(path, InputSpec(id_column="record"))
    assert (answers["respondent_id"].nunique(), spec.question_column, spec.meta_columns) == (
        12, "field_name", ("org_type", "state"))
    assert set(answers["question"]) == {"challenges", "effective_practices"}


def test_redcaps_eav_export_over_several_events_is_read_long_each_field_one_answer(tmp_path):
    """Review 172: REDCap's EAV export over two events asks each field twice within a record, so the field was no
    question column and the file was read as wide: 12 records became 82 respondents. A field answered at both
    events is one answer over time, the events a paragraph each, as the wide export's events are joined."""
    rows = _sample_rows(12)
    lines = ["record,redcap_event_name,field_name,value"]
    for k, row in rows.iterrows():
        for event, extra in (("baseline_arm_1", ""), ("followup_arm_1", " A year on, still so.")):
            for field in ("org_type", "state", "challenges", "effective_practices"):
                value = (str(row[field]) + (extra if field not in ("org_type", "state") else "")).replace('"', '""')
                lines.append(f'{k + 1},{event},{field},"{value}"')
    path = write(tmp_path / "eav.csv", "\n".join(lines) + "\n")
    answers, spec, problems = load_answers(path, InputSpec(id_column="record"))
    assert (answers["respondent_id"].nunique(), spec.question_column, spec.meta_columns) == (
        12, "field_name", ("org_type", "state"))
    assert not answers.duplicated(["respondent_id", "question"]).any()
    first = answers.loc[(answers["respondent_id"] == "1") & (answers["question"] == "challenges"), "answer_raw"].item()
    assert first == f"{rows.loc[0, 'challenges']}\n\n{rows.loc[0, 'challenges']} A year on, still so."
    assert any(p["problem"] == "events_joined" and p["respondents"] == 12 for p in problems)
    assert "redcap_event_name" not in spec.sources.get("ignored", "")  # read: it joins the events


def test_redcaps_eav_export_with_a_repeating_instrument_is_read_long_each_field_one_answer(tmp_path):
    """Review 172's leftover: REDCap's EAV export with a repeating instrument (a partner form filled once per partner)
    writes a field once per instance, so the field was no question column and the file was read as wide (a
    respondent per value). The instances of a field are one answer, a paragraph each, as the wide export's are."""
    rows = _sample_rows(12)
    lines = ["record,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,field_name,value"]
    for k, row in rows.iterrows():
        for field in ("org_type", "state", "goals"):
            lines.append(f'{k + 1},baseline_arm_1,,,{field},"{str(row[field]).replace(chr(34), chr(34) * 2)}"')
        for instance, partner in ((1, "the county clinic"), (2, "a food bank")):
            value = f"{row['challenges']} With {partner} it took a year.".replace('"', '""')
            lines.append(f'{k + 1},baseline_arm_1,partners,{instance},challenges,"{value}"')
    path = write(tmp_path / "eav.csv", "\n".join(lines) + "\n")
    answers, spec, problems = load_answers(path, InputSpec(id_column="record"))
    assert (answers["respondent_id"].nunique(), spec.question_column, spec.meta_columns) == (
        12, "field_name", ("org_type", "state"))
    assert set(answers["question"]) == {"goals", "challenges"}
    assert not answers.duplicated(["respondent_id", "question"]).any()
    first = answers.loc[(answers["respondent_id"] == "1") & (answers["question"] == "challenges"), "answer_raw"].item()
    assert first == (f"{rows.loc[0, 'challenges']} With the county clinic it took a year.\n\n"
                     f"{rows.loc[0, 'challenges']} With a food bank it took a year.")
    from themes.infer import id_problem_lines

    said = "\n".join(id_problem_lines(problems))
    assert "24 rows into 12 records answering a question at several REDCap instances of a repeating instrument" in said
    assert "12 answers join several instances' texts" in said
    assert "redcap_repeat" not in spec.sources.get("ignored", "")  # read: they join the instances

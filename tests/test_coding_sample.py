"""`themes sample`: a random sample of a run's usable answers as a coding workbook that reads back as gold."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from themes.cli import app
from themes.coding_sample import Coded, draw_sample
from themes.errors import GoldError, InputError
from themes.evaluate import not_coded_note, read_gold
from themes.export import write_csv

STATUSES = ["coded", "uncoded", "too_long", "non_answer", "empty", "duplicate", "non_english"]


def _responses(n_respondents: int = 12) -> pd.DataFrame:
    rows = []
    for r in range(1, n_respondents + 1):
        for q, question in enumerate(["challenges", "effective_practices", "community_engagement"]):
            status = STATUSES[(r + q) % len(STATUSES)]
            rows.append({"respondent_id": f"R{r}", "question": question, "status": status, "reason": "",
                         "themes": "trust" if status == "coded" else "", "top_theme": "", "top_score": 0.9,
                         "org_type": "Nonprofit CBO" if r % 3 else "Government", "state": "OH",
                         "score_trust": 0.9, "score_funding": 0.1, "source_row": r + 1,
                         "answer": f"Answer {r}-{question}: we meet every month."})
    return pd.DataFrame(rows)


@pytest.fixture
def run_dir(tmp_path: Path, tiny_codebook_path: Path) -> Path:
    folder = tmp_path / "run"
    folder.mkdir()
    write_csv(_responses(), folder / "responses.csv")
    manifest = {"codebook": {"path": str(tiny_codebook_path)},
                "input": {"columns": {"meta_columns": ["org_type", "state"]}}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def _invoke(*args: str):
    return CliRunner().invoke(app, ["sample", *args], terminal_width=200)


def test_the_workbook_has_instructions_and_a_coding_sheet_of_usable_answers(run_dir: Path):
    result = _invoke(str(run_dir), "-n", "8", "--seed", "3")
    assert result.exit_code == 0, result.output
    out = run_dir / "coding_sample.xlsx"
    assert result.output == f"Drew 8 answers at random (seed 3) from {run_dir}/responses.csv; wrote {out}\n"
    # stratified, it says so (a researcher's review: "at random" alone)
    again = _invoke(str(run_dir), "-n", "8", "--seed", "3", "--stratify-by", "question", "--out",
                    str(run_dir / "by_question.xlsx"))
    assert again.output.startswith("Drew 8 answers at random within each question (seed 3)"), again.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Instructions", "Coding"]
    coding = pd.read_excel(out, sheet_name="Coding", dtype=str, keep_default_na=False)
    assert list(coding.columns) == ["sample_id", "respondent_id", "question", "org_type", "state", "answer", "themes"]
    assert list(coding["sample_id"]) == [f"S{i:03d}" for i in range(1, 9)]
    assert set(coding["themes"]) == {""}
    responses = _responses().set_index(["respondent_id", "question"])
    statuses = [responses.loc[(r, q), "status"] for r, q in zip(coding["respondent_id"], coding["question"])]
    assert set(statuses) <= {"coded", "uncoded", "too_long"}
    instructions = [row[0] for row in book["Instructions"].iter_rows(values_only=True) if row[0]]
    assert {"trust", "funding", "service.referral", "service.joint", "none"} <= set(instructions)
    validation = book["Coding"].data_validations.dataValidation[0]
    assert validation.type == "list" and str(validation.sqref) == "G2:G9"
    sheet, cells = validation.formula1.split("!")
    listed = [cell.value for row in book[sheet][cells.replace("$", "")] for cell in row]
    assert listed == ["trust", "funding", "service.referral", "service.joint", "none"]


def test_the_same_seed_draws_the_same_answers_and_another_seed_others(run_dir: Path, tmp_path: Path):
    frames = []
    for seed, name in ((0, "a.csv"), (0, "b.csv"), (1, "c.csv")):
        assert _invoke(str(run_dir), "-n", "10", "--seed", str(seed), "--out", str(tmp_path / name)).exit_code == 0
        frames.append(pd.read_csv(tmp_path / name, dtype=str, keep_default_na=False))
    assert frames[0].equals(frames[1])
    assert not frames[0].equals(frames[2])


def test_a_coded_workbook_reads_back_as_gold_without_the_survey(run_dir: Path, tiny_codebook):
    assert _invoke(str(run_dir), "-n", "4").exit_code == 0
    path = run_dir / "coding_sample.xlsx"
    book = openpyxl.load_workbook(path)
    for row, codes in zip(range(2, 6), ["trust", "none", "funding;trust", "service.joint"]):
        book["Coding"].cell(row=row, column=7, value=codes)
    book.save(path)
    gold = read_gold(path, tiny_codebook)
    assert list(gold["gold"]) == [["trust"], [], ["funding", "trust"], ["service.joint"]]
    coding = pd.read_excel(path, sheet_name="Coding", dtype=str)
    assert list(gold["text"]) == list(coding["answer"])


def _coded_workbook(run_dir: Path, codes: list[str]) -> tuple[Path, openpyxl.Workbook]:
    assert _invoke(str(run_dir), "-n", str(len(codes)), "--force").exit_code == 0
    path = run_dir / "coding_sample.xlsx"
    book = openpyxl.load_workbook(path)
    for row, value in zip(range(2, 2 + len(codes)), codes):
        book["Coding"].cell(row=row, column=7, value=value)
    return path, book


def test_what_coders_type_that_no_one_sees_or_means_as_a_code(run_dir: Path, tiny_codebook):
    """A review of filled-in workbooks (2026-11-30): a zero-width space after an id read as an unknown theme that
    looked like 'trust'; a cell of a separator alone was coded with no theme (kappa fell, unsaid): it is not coded."""
    path, book = _coded_workbook(run_dir, ["trust\u200b", "none", ";", "funding ; trust", " / "])
    book.save(path)
    gold = read_gold(path, tiny_codebook)
    assert list(gold["gold"]) == [["trust"], [], ["funding", "trust"]] and gold.attrs["not_coded"] == 2


@pytest.mark.parametrize("codes, said", [
    (["funding and trust", "none", "trust"], r"coding_sample.xlsx:2 \(sample_id S001\): unknown theme 'funding and "
                                             r"trust'\. It names 2 themes \(funding, trust\): separate them with ';'\."),
    (["trsut", "none", "trust"], r"coding_sample.xlsx:2 \(sample_id S001\): unknown theme 'trsut'\. Did you mean "
                                 r"'trust'\?"),
])
def test_themes_joined_by_a_word_are_said_to_need_a_separator(run_dir: Path, tiny_codebook, codes, said):
    path, book = _coded_workbook(run_dir, codes)
    book.save(path)
    with pytest.raises(GoldError, match=said):
        read_gold(path, tiny_codebook)


def test_a_second_theme_in_the_next_cell_or_a_copied_sheet_stops_and_rows_are_the_sheets(run_dir, tiny_codebook):
    """The workbook's list picks one theme a cell: a coder put a row's second in the next cell, which was not read;
    another coded a copy of the sheet, and the stale sheet was read. Both stop. A typo's row is the sheet's own row
    with a blank row above it (it was one less)."""
    path, book = _coded_workbook(run_dir, ["trust", "none", "funding"])
    book["Coding"].cell(row=4, column=8, value="trust")
    book.save(path)
    with pytest.raises(GoldError, match=r"column H, which has no header, holds theme codes in 1 row \(row 4: "
                                        r"'trust'\), which are not read: put every theme of a row in its 'themes' "
                                        r"cell"):
        read_gold(path, tiny_codebook)
    path, book = _coded_workbook(run_dir, ["trust", "none", "funding"])
    book.copy_worksheet(book["Coding"]).title = "Coding (2)"
    book.save(path)
    with pytest.raises(GoldError, match=r"has a 'themes' column on 2 sheets \('Coding', 'Coding \(2\)'\): keep the "
                                        r"sheet that holds the codes"):
        read_gold(path, tiny_codebook)
    path, book = _coded_workbook(run_dir, ["trust", "none", "trsut"])
    book["Coding"].insert_rows(3)
    book.save(path)
    with pytest.raises(GoldError, match=r"coding_sample.xlsx:5 \(sample_id S003\): unknown theme 'trsut'"):
        read_gold(path, tiny_codebook)


def test_codes_in_a_column_of_their_own_or_under_a_renamed_header_are_pointed_to(run_dir: Path, tiny_codebook):
    """Codes typed in a column the coder named ("codes") left every 'themes' cell empty and the error said no more;
    a 'themes' header renamed ("Themes (ids)") was answered with the Instructions sheet's columns."""
    path, book = _coded_workbook(run_dir, ["", "", ""])
    sheet = book["Coding"]
    sheet.cell(row=1, column=9, value="codes")
    for row, codes in zip(range(2, 5), ["trust", "none", "funding;trust"]):
        sheet.cell(row=row, column=9, value=codes)
    book.save(path)
    with pytest.raises(GoldError, match=r"every 'themes' cell is empty: nothing is coded yet\. .* The column 'codes' "
                                        r"holds theme codes: move them into 'themes'"):
        read_gold(path, tiny_codebook)
    # ... and where the first rows were coded in 'themes' and the later ones in 'codes': those rows are left out
    # as not coded, and the column is named with them (they were counted as not coded yet, no more said)
    path, book = _coded_workbook(run_dir, ["trust;funding", "none", "", ""])
    sheet = book["Coding"]
    sheet.cell(row=1, column=9, value="codes")
    for row, codes in zip(range(4, 6), ["none", "funding;trust"]):
        sheet.cell(row=row, column=9, value=codes)
    book.save(path)
    gold = read_gold(path, tiny_codebook)
    assert gold.attrs["not_coded"] == 2 and not_coded_note(2, gold.attrs["codes_elsewhere"]) == (
        "left out 2 rows whose codes cell is empty (not coded yet; write 'none' for a passage with no theme); the "
        "column 'codes' holds theme codes in 2 of them, which are not read: move them into 'themes' if they are "
        "those rows' codes")
    assert not_coded_note(2) == "left out 2 rows whose codes cell is empty (not coded yet; write 'none' for a " \
        "passage with no theme)"
    # ... but not the question column, when a question is named as a theme and its rows are left for later (the
    # advice would have coded every answer to it with that theme)
    path = run_dir.parent / "by_question.csv"
    path.write_text("text,question,themes\nWe trust them.,challenges,trust\nGrants end.,challenges,funding\n"
                    "No.,challenges,none\nWe meet.,trust,\nWe talk.,trust,\n", encoding="utf-8")
    gold = read_gold(path, tiny_codebook)
    assert gold.attrs["not_coded"] == 2 and gold.attrs["codes_elsewhere"] is None
    path, book = _coded_workbook(run_dir, ["trust", "none", "funding"])
    book["Coding"].cell(row=1, column=7, value="Themes (ids)")
    book.save(path)
    with pytest.raises(GoldError, match=r"no column of gold codes; name a column 'themes' .*Columns: .*Themes \(ids\) "
                                        r"\(of its 'Coding' sheet; no sheet has a 'themes' column\)\."):
        read_gold(path, tiny_codebook)


def test_stratified_draws_give_each_value_its_share():
    usable = _responses(60)
    usable = usable[usable["status"].isin(["coded", "uncoded", "too_long"])]
    drawn = draw_sample(usable, 30, seed=0, stratify_by="org_type", meta_columns=("org_type",))
    expected = (usable["org_type"].value_counts() / len(usable) * 30).round().astype(int)
    assert drawn["org_type"].value_counts().sort_index().equals(expected.sort_index().rename("count"))


@pytest.mark.parametrize("args, message", [
    (["-n", "99"], "error: -n 99 is more than the run's 13 usable answers (statuses coded, uncoded, too_long); "
                   "ask for at most 13.\n"),
    (["-n", "3", "--stratify-by", "sector"], "error: --stratify-by 'sector' is not a column of responses.csv. "
                                             "It can be: question, org_type, state, score_trust, score_funding.\n"),
    # review 145: no hint for a capital, and the run's own output columns offered as strata
    (["-n", "3", "--stratify-by", "State"], "error: --stratify-by 'State' is not a column of responses.csv. Did you "
                                            "mean 'state'? It can be: question, org_type, state, score_trust, "
                                            "score_funding.\n"),
    (["-n", "3", "--out", "sample.txt"], "error: --out sample.txt must end in .xlsx (the coding workbook) or "
                                         ".csv (the coding sheet).\n"),
])
def test_bad_input_is_one_line_and_exit_2(run_dir: Path, args, message):
    result = CliRunner().invoke(app, ["sample", str(run_dir), *args])
    assert result.exit_code == 2
    assert result.output == message


def test_a_folder_that_is_not_a_run_is_refused(tmp_path: Path):
    result = CliRunner().invoke(app, ["sample", str(tmp_path), "-n", "3"])
    assert result.exit_code == 2
    assert result.output == (f"error: {tmp_path}/responses.csv not found; RUN_DIR must be the output folder of "
                             "'themes run'.\n")


def test_an_existing_workbook_is_replaced_only_with_force(run_dir: Path):
    assert _invoke(str(run_dir), "-n", "3").exit_code == 0
    again = CliRunner().invoke(app, ["sample", str(run_dir), "-n", "3"])
    assert again.exit_code == 2 and "already exists. Pass --force" in again.output
    assert _invoke(str(run_dir), "-n", "3", "--force").exit_code == 0


def test_a_run_of_two_codebooks_samples_for_both(run_dir: Path, tmp_path: Path, tiny_codebook_path: Path):
    """The manifest's codebooks (themes and framework): the Instructions list the ids of every one of them."""
    framework = tmp_path / "framework.yaml"
    framework.write_text(
        "name: Models\nversion: '1'\ndimensions:\n- id: governance\n  label: Governance\n  types:\n"
        "  - id: informal\n    label: Informal\n    definition: No written agreement.\n"
        "  - id: formal\n    label: Formal\n    definition: A signed agreement.\n", encoding="utf-8")
    manifest = {"codebook": {"path": str(tiny_codebook_path)},
                "codebooks": [{"path": str(tiny_codebook_path)}, {"path": str(framework)}],
                "input": {"columns": {"meta_columns": ["org_type", "state"]}}}
    (run_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert _invoke(str(run_dir), "-n", "4").exit_code == 0
    book = openpyxl.load_workbook(run_dir / "coding_sample.xlsx")
    instructions = [row[0] for row in book["Instructions"].iter_rows(values_only=True) if row[0]]
    assert {"trust", "governance.informal", "governance.formal", "none"} <= set(instructions)
    framework.unlink()
    gone = _invoke(str(run_dir), "-n", "4", "--force")
    assert (gone.exit_code, gone.output) == (2, f"error: The codebook {framework} that {run_dir / 'manifest.json'} "
                                                "names is not there any more; pass it with --codebook.\n")


def test_an_email_used_as_the_id_reaches_the_coders_as_a_pseudonym_and_reads_back_as_the_id(tiny_codebook, tmp_path):
    """Coders are handed the workbook: an e-mail id (a Google Form's 'Email address' as --id-column) went in raw."""
    responses = _responses(4)
    responses["respondent_id"] = responses["respondent_id"].str.lower() + "@example.org"
    sample = draw_sample(responses, 3, seed=0)
    assert sample["respondent_id"].str.fullmatch(r"resp-[0-9a-f]{8}").all()
    coded = sample.assign(themes=["trust", "none", "funding"])[["respondent_id", "question", "themes"]]
    from themes.evaluate import read_coded_sample

    path = tmp_path / "coded.csv"
    coded.to_csv(path, index=False)
    back = read_coded_sample(path, tiny_codebook, responses)
    assert set(back["respondent_id"]) <= set(responses["respondent_id"]) and len(back) == 3


def test_a_sample_grows_by_drawing_from_the_answers_it_does_not_hold(run_dir: Path, tmp_path: Path):
    """Coding more answers narrows the interval: the second draw must not repeat the first, and its ids go on."""
    first = tmp_path / "coded.csv"
    assert _invoke(str(run_dir), "-n", "8", "--seed", "0", "--out", str(first)).exit_code == 0
    coded = pd.read_csv(first, dtype=str, keep_default_na=False)
    coded["sample_id"] = coded["sample_id"].str.lower()  # ids written by hand keep their own shape
    coded.to_csv(first, index=False)
    more = tmp_path / "more.csv"
    result = _invoke(str(run_dir), "-n", "5", "--seed", "0", "--exclude", str(first), "--out", str(more))
    assert result.exit_code == 0, result.output
    assert result.output == (f"Drew 5 answers at random (seed 0) from {run_dir}/responses.csv not already in "
                             f"{first} (8 left out); wrote {more}\n")
    drawn = pd.read_csv(more, dtype=str, keep_default_na=False)
    assert list(drawn["sample_id"]) == [f"s{i:03d}" for i in range(9, 14)]
    keys = lambda table: set(zip(table["respondent_id"], table["question"]))  # noqa: E731
    assert not keys(drawn) & keys(coded)
    # 13 usable answers: the 8 coded and the 5 drawn are all of them, so one more is refused with the count.
    again = _invoke(str(run_dir), "-n", "6", "--exclude", str(first), "--out", str(tmp_path / "x.csv"))
    assert again.exit_code == 2
    assert again.output == ("error: -n 6 is more than the run's 5 usable answers not already coded (8 excluded) "
                            "(statuses coded, uncoded, too_long); ask for at most 5.\n")


def test_an_excluded_workbook_is_read_from_its_coding_sheet_and_pseudonyms_match(tiny_codebook, tmp_path: Path):
    from themes.coding_sample import already_coded, write_coding_workbook

    responses = _responses(6)
    responses["respondent_id"] = responses["respondent_id"].str.lower() + "@example.org"
    first = draw_sample(responses, 4, seed=2)
    path = tmp_path / "coded.xlsx"
    write_coding_workbook(path, first, tiny_codebook)
    coded = already_coded(path)
    assert (coded.prefix, coded.last, coded.width) == ("S", 4, 3)
    rest = draw_sample(responses, 2, seed=2, exclude=coded)
    assert list(rest["sample_id"]) == ["S005", "S006"]
    assert not set(zip(rest["respondent_id"], rest["question"])) & set(zip(first["respondent_id"], first["question"]))


def test_an_excluded_file_with_the_ids_themselves_leaves_those_answers_out():
    from themes.coding_sample import Coded

    responses = _responses(6)
    responses["respondent_id"] = responses["respondent_id"].str.lower() + "@example.org"
    usable = responses[responses["status"].isin(["coded", "uncoded", "too_long"])]
    held = frozenset(zip(usable["respondent_id"], usable["question"]))  # every usable answer, ids as in the survey
    with pytest.raises(InputError, match=r"usable answers not already coded \(\d+ excluded\)"):
        draw_sample(responses, 1, exclude=Coded(held))


def test_an_excluded_sample_whose_questions_are_spelled_otherwise_leaves_those_answers_out():
    """Review 166: batch 1's coded sample names 'Challenges' and 'Effective practices' where batch 2's run says
    'challenges' and 'effective_practices' (evaluate reads them as one); --exclude compared them exactly, so a draw
    for batch 2 drew the coded answers again."""
    from themes.coding_sample import Coded

    responses = _responses(12)
    first = draw_sample(responses, 6, seed=3)
    spelled = {"challenges": "Challenges", "effective_practices": "Effective practices",
               "community_engagement": "Community-Engagement"}
    held = frozenset((i, spelled[q]) for i, q in zip(first["respondent_id"], first["question"]))
    rest = draw_sample(responses, 4, seed=3, exclude=Coded(held, last=6))
    assert not set(zip(rest["respondent_id"], rest["question"])) & set(zip(first["respondent_id"], first["question"]))
    # Two of the run's questions that differ only so: neither is taken for the other.
    twins = responses.copy()
    twins.loc[twins["question"] == "community_engagement", "question"] = "Challenges"
    usable = twins[twins["status"].isin(["coded", "uncoded", "too_long"])]
    one = usable[usable["question"] == "challenges"].iloc[0]
    drawn = draw_sample(twins, len(usable) - 1, exclude=Coded(frozenset({(one["respondent_id"], "CHALLENGES")})))
    assert len(drawn) == len(usable) - 1  # nothing held: 'CHALLENGES' could be either


def test_an_excluded_file_without_answer_keys_is_one_line(run_dir: Path, tmp_path: Path):
    path = tmp_path / "coded.csv"
    pd.DataFrame({"text": ["We meet monthly."], "themes": ["trust"]}).to_csv(path, index=False)
    result = _invoke(str(run_dir), "-n", "2", "--exclude", str(path))
    assert result.exit_code == 2
    assert result.output == (f"error: --exclude {path} has no 'respondent_id' or 'question' column; pass a coded "
                             "sample that 'themes sample' wrote (it keys each answer by respondent_id and "
                             "question).\n")
    assert not (run_dir / "coding_sample.xlsx").exists()


def test_a_sample_drawn_in_parts_is_read_as_one_sample(tiny_codebook, tmp_path: Path):
    """The second draw (--exclude the first) is coded in a file of its own: both files are the coded sample."""
    from themes.errors import GoldError
    from themes.evaluate import coded_sample_note, read_coded_sample
    from themes.settings import RunSettings

    responses = _responses(8)
    first = draw_sample(responses, 4, seed=0)
    second = draw_sample(responses, 3, seed=1, exclude=Coded(frozenset(zip(first["respondent_id"],
                                                                             first["question"])), last=4))
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    first.assign(themes=["trust", "none", "funding", "trust;service.joint"])[
        ["sample_id", "respondent_id", "question", "themes"]].to_csv(a, index=False)
    second.assign(themes=["none", "funding", "service.referral"])[
        ["sample_id", "respondent_id", "question", "themes"]].to_csv(b, index=False)
    both = read_coded_sample([a, b], tiny_codebook, responses)
    assert len(both) == 7 and list(both["gold"].iloc[4:]) == [[], ["funding"], ["service.referral"]]
    assert both.attrs["coded_dimensions"] == ["service"] and coded_sample_note(both, tiny_codebook) == ""
    from themes.evaluate import not_in_survey

    assert not_in_survey(both, [a, b], responses) is None
    stranger = both.copy()
    stranger.loc[5, "respondent_id"] = "X1"  # a row of the second file: another survey's answer
    assert not_in_survey(stranger, [a, b], responses).startswith(f"{b}: 1 of its 7 coded answers are of 1 respondent "
                                                                 "this input does not hold (e.g. 'X1')")
    stranger["text"] = "Another survey's answer."  # no answer of this input's word for word: another survey's
    assert not_in_survey(stranger, [a, b], responses).startswith(f"{b}: respondent 'X1', question ")
    stranger = both.copy()
    stranger.loc[5, "respondent_id"] = "resp-0123abcd"  # a pseudonym made with another machine's key
    assert not_in_survey(stranger, [a, b], responses) == (
        f"{b}: respondent 'resp-0123abcd' is a pseudonym this machine's key does not make for any respondent of "
        "this input (1 coded answer like it): was the sample drawn on another machine? Set THEMES_PSEUDONYM_KEY to "
        "the key that machine keeps (the text of ~/.config/themes/pseudonym.key there) and run again.")
    # A small top-up draw coded all 'none' is part of the sample: checked with the other files (review 145: refused)
    only_none = tmp_path / "none.csv"
    second.assign(themes=["none", "none", "none"])[["sample_id", "respondent_id", "question", "themes"]].to_csv(
        only_none, index=False)
    first.assign(themes=["trust", "none", "funding", "trust"])[["sample_id", "respondent_id", "question",
                                                               "themes"]].to_csv(tmp_path / "a2.csv", index=False)
    assert len(read_coded_sample([tmp_path / "a2.csv", only_none], tiny_codebook, responses)) == 7
    first.assign(themes="none")[["sample_id", "respondent_id", "question", "themes"]].to_csv(
        tmp_path / "a3.csv", index=False)
    with pytest.raises(GoldError, match=r"every one of their 7 coded passages has the same codes \(none\)"):
        read_coded_sample([tmp_path / "a3.csv", only_none], tiny_codebook, responses)
    assert RunSettings(coded_sample=str(a)).coded_sample == (str(a),)  # one file, as before
    assert RunSettings(coded_sample=[a, b]).coded_sample == (str(a), str(b))
    assert RunSettings(coded_sample=None).coded_sample == ()

    # A file coded for the themes alone, beside one that codes the framework too: one line, before anything runs.
    second.assign(themes=["none", "funding", "trust"])[["respondent_id", "question", "themes"]].to_csv(b, index=False)
    with pytest.raises(GoldError) as raised:
        read_coded_sample([a, b], tiny_codebook, responses)
    assert str(raised.value) == (f"{a} codes the themes and service; {b} codes the themes: the files of one coded "
                                 "sample must code the same things. Code the same columns in each, or pass only the "
                                 "files that do.")

    # An answer in both files is one line that names them: the sample holds each answer once.
    pd.concat([second, first.iloc[[0]]]).assign(themes=["none", "funding", "trust", "trust;service.joint"])[
        ["respondent_id", "question", "themes"]].to_csv(b, index=False)
    with pytest.raises(GoldError) as raised:
        read_coded_sample([a, b], tiny_codebook, responses)
    with pytest.raises(GoldError, match=r"a.csv is given twice as the coded sample; give each file of the sample once"):
        read_coded_sample([a, b, a], tiny_codebook, responses)
    assert str(raised.value) == (f"{a} and {b} both code respondent '{first['respondent_id'].iloc[0]}', question "
                                 f"'{first['question'].iloc[0]}': a coded sample holds each answer once. Keep one row "
                                 "(a draw with themes sample --exclude of the other files never repeats one).")
    # Two coders' files of one draw (the same answers, coded apart) were told the same, about draws
    rows = len(pd.read_csv(a))
    coded_apart = pd.read_csv(a)
    coded_apart["themes"] = ["trust", "funding", "none", "trust;funding"][:rows]
    coded_apart.to_csv(b, index=False)
    with pytest.raises(GoldError) as raised:
        read_coded_sample([a, b], tiny_codebook, responses)
    assert str(raised.value) == (f"{a} and {b} code the same {rows} answers (of {rows} and {rows}): two coders' "
                                 "codings of one sample, not two draws of it. Give one file, the codes the coders "
                                 "settled on; each answer counts once.")
    # ... and a file beside a copy of it (or its part) is no two coders' work: the codes are the same
    pd.read_csv(a).to_csv(b, index=False)
    with pytest.raises(GoldError, match=rf"hold the same {rows} answers with the same codes \(of {rows} and "
                                        rf"{rows}\): one holds the other"):
        read_coded_sample([a, b], tiny_codebook, responses)


def test_a_third_draw_excludes_every_file_of_the_sample(run_dir: Path, tmp_path: Path):
    first, second, third = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    assert _invoke(str(run_dir), "-n", "4", "--seed", "0", "--out", str(first)).exit_code == 0
    assert _invoke(str(run_dir), "-n", "4", "--seed", "1", "--exclude", str(first), "--out", str(second)).exit_code == 0
    result = _invoke(str(run_dir), "-n", "5", "--seed", "2", "--exclude", str(first), "--exclude", str(second),
                     "--out", str(third))
    assert result.exit_code == 0, result.output
    assert result.output == (f"Drew 5 answers at random (seed 2) from {run_dir}/responses.csv not already in {first} "
                             f"or {second} (8 left out); wrote {third}\n")
    tables = [pd.read_csv(path, dtype=str, keep_default_na=False) for path in (first, second, third)]
    assert list(tables[2]["sample_id"]) == [f"S{i:03d}" for i in range(9, 14)]
    keys = [set(zip(t["respondent_id"], t["question"])) for t in tables]
    assert len(keys[0] | keys[1] | keys[2]) == 13  # every usable answer once


def test_a_draw_that_excludes_a_file_with_rows_deleted_stops(run_dir: Path, tmp_path: Path):
    """A row deleted from the first draw's file is an answer it no longer holds: the next draw (the same seed goes on
    down the same order) drew it again, and evaluate's warning to put the row back then clashed with it (review
    145)."""
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    assert _invoke(str(run_dir), "-n", "6", "--seed", "0", "--out", str(first)).exit_code == 0
    table = pd.read_csv(first, dtype=str, keep_default_na=False)
    table[table["sample_id"] != "S003"].to_csv(first, index=False)
    result = _invoke(str(run_dir), "-n", "4", "--seed", "0", "--exclude", str(first), "--out", str(second))
    assert (result.exit_code, result.output) == (2, "error: --exclude a.csv: 1 row of the draw is missing (S003), so "
                                                    "its answer could be drawn again. Put the row back and code it "
                                                    "('none' where an answer has no theme), then draw.\n")
    assert not second.exists()
    # Review 153: the first row deleted, or a block of rows (a file of the draw not given), went through
    table[table["sample_id"] != "S001"].to_csv(first, index=False)
    result = _invoke(str(run_dir), "-n", "4", "--seed", "0", "--exclude", str(first), "--out", str(second))
    assert result.exit_code == 2 and "1 row of the draw is missing (S001)" in result.output
    table[~table["sample_id"].isin(["S002", "S003", "S004"])].to_csv(first, index=False)
    result = _invoke(str(run_dir), "-n", "4", "--seed", "0", "--exclude", str(first), "--out", str(second))
    assert result.exit_code == 2 and "3 rows of the draw are missing (S002-S004)" in result.output
    table[~table["sample_id"].isin(["S001", "S002"])].to_csv(first, index=False)  # perhaps a file not given
    result = _invoke(str(run_dir), "-n", "4", "--seed", "0", "--exclude", str(first), "--out", str(second))
    assert "(S001-S002), so their answers could be drawn again. Give every file of the earlier draws to --exclude, " \
           "or put the rows back" in result.output.replace("\n", " ")
    table.to_csv(first, index=False)  # put back, it draws
    assert _invoke(str(run_dir), "-n", "4", "--seed", "0", "--exclude", str(first), "--out", str(second)).exit_code == 0


@pytest.mark.parametrize("stratify_by", [None, "question"])
def test_a_second_draw_with_the_first_ones_seed_goes_on_down_the_same_random_order(stratify_by):
    """The same seed on the rest of a list picked the first draw's neighbours (16 of 20 new rows next to an old
    one): the two together were no random sample. A seed now orders every usable answer, and each draw goes on
    down that order, so drawing 20 and then 20 more is drawing 40 at once."""
    responses = _responses(40)
    first = draw_sample(responses, 20, seed=0, stratify_by=stratify_by)
    held = Coded(frozenset(zip(first["respondent_id"], first["question"])), last=20)
    second = draw_sample(responses, 20, seed=0, stratify_by=stratify_by, exclude=held)
    both = draw_sample(responses, 40, seed=0, stratify_by=stratify_by)
    keys = lambda table: set(zip(table["respondent_id"], table["question"]))  # noqa: E731
    assert not keys(first) & keys(second)
    if stratify_by is None:
        assert keys(first) | keys(second) == keys(both)
    other = draw_sample(responses, 20, seed=5, stratify_by=stratify_by, exclude=held)  # another seed: a new order
    assert not keys(other) & keys(first) and keys(other) != keys(second)


def test_the_instructions_give_an_example_in_the_codebooks_own_ids(tiny_codebook_path):
    """The example read 'trust;resource_needs' whatever the codebook: ids a renamed codebook does not have."""
    from themes.codebook import load_codebook
    from themes.coding_sample import instructions

    codebook = load_codebook(tiny_codebook_path)
    lines, _ = instructions(codebook)
    first, second = (c.id for c in codebook.categories[:2])
    assert f"(e.g. {first};{second})" in lines[1]


def test_a_codebook_changed_since_the_run_is_said(run_dir: Path, tiny_codebook_path: Path):
    """The workbook listed the codebook as it is now, with no word that the run had coded with another."""
    from themes.codebook import load_codebook

    content = load_codebook(tiny_codebook_path).content_hash()
    for recorded, warned in ((content, False), ("0123456789abcdef", True)):
        manifest = {"codebook": {"path": str(tiny_codebook_path), "content_hash": recorded},
                    "input": {"columns": {"meta_columns": ["org_type", "state"]}}}
        (run_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        result = _invoke(str(run_dir), "-n", "4", "--force")
        assert result.exit_code == 0
        assert (f"warning: {tiny_codebook_path} has changed since {run_dir} was coded: the workbook lists its codes "
                "as they are now." in result.output) is warned


def test_a_two_codebook_coding_workbook_is_read_by_each_codebook_with_its_own_ids(tmp_path: Path):
    """The workbook of a themes-and-framework run tells coders to write both codebooks' ids in one cell; evaluate
    and calibrate, given one codebook, stopped at the other's ('unknown theme service_model.referral'). Each
    reads its own and says what it left to the other; an id of neither is still an error."""
    from themes.codebook import load_codebook, merge_codebooks
    from themes.coding_sample import write_coding_workbook
    from themes.errors import GoldError
    from themes.evaluate import gold_announcement

    themes, framework = (load_codebook(f"codebooks/{name}.yaml") for name in ("rfi_themes", "partnership_models"))
    sample = draw_sample(_responses(6), 4, seed=2)
    path = tmp_path / "sample.xlsx"
    write_coding_workbook(path, sample, merge_codebooks([themes, framework]))
    book = openpyxl.load_workbook(path)
    cells = ["trust;service_model.referral", "none", "data.full_access", "data_challenges;data.partial_access"]
    sheet = book["Coding"]
    column = [c.value for c in sheet[1]].index("themes") + 1
    for row, value in enumerate(cells, start=2):
        sheet.cell(row=row, column=column, value=value)
    book.save(path)

    by_themes = read_gold(path, themes)
    assert by_themes["gold"].tolist() == [["trust"], [], [], ["data_challenges"]]
    assert ("  aside      codes of the file's other codebook, left to it: data.full_access (1), "
            "data.partial_access (1), service_model.referral (1)") in gold_announcement(by_themes, path)
    by_framework = read_gold(path, framework)
    assert by_framework["gold"].tolist() == [["service_model.referral"], [], ["data.full_access"],
                                             ["data.partial_access"]]
    sheet.cell(row=3, column=column, value="trsut")
    book.save(path)
    with pytest.raises(GoldError, match="unknown theme 'trsut'"):
        read_gold(path, themes)


def test_a_two_codebook_coding_sheet_saved_as_csv_or_coded_by_names_is_read_by_each(tmp_path: Path):
    """`themes sample --out sample.csv` writes the coding sheet alone: with no Instructions listing the other
    codebook's ids, each codebook stopped at the other's ('unknown theme service_model.joint'). A workbook coded
    with the Instructions' names ('Service model: Joint') stopped too. A typo is still an error."""
    from themes.codebook import load_codebook, merge_codebooks
    from themes.coding_sample import write_coding_workbook
    from themes.errors import GoldError
    from themes.evaluate import gold_announcement

    themes, framework = (load_codebook(f"codebooks/{name}.yaml") for name in ("rfi_themes", "partnership_models"))
    sample = draw_sample(_responses(6), 4, seed=2)
    path = tmp_path / "sample.xlsx"
    write_coding_workbook(path, sample, merge_codebooks([themes, framework]))
    coding = pd.read_excel(path, sheet_name="Coding", dtype=str, keep_default_na=False)
    coding["themes"] = ["trust;service_model.referral", "none", "data.full_access/trust",
                        "data_challenges;data.partial_access;service_model.joint"]
    coding.to_csv(tmp_path / "sheet.csv", index=False)

    by_themes = read_gold(tmp_path / "sheet.csv", themes)
    assert by_themes["gold"].tolist() == [["trust"], [], ["trust"], ["data_challenges"]]
    assert ("  aside      codes of the file's other codebook, left to it: data.full_access (1), data.partial_access "
            "(1), service_model.joint (1), service_model.referral (1)") in gold_announcement(by_themes,
                                                                                            tmp_path / "sheet.csv")
    # A framework cannot tell a theme's id from a typo or a coder's "unclear" by its shape: it stops, and says
    # where the sheet is read whole.
    with pytest.raises(GoldError, match=r"unknown theme 'trust'\. Known: .*, none \(or a theme's label as the "
                                        r"codebook writes it\)\. If the file codes a codebook "
                                        r"of themes too, read it from the coding workbook"):
        read_gold(tmp_path / "sheet.csv", framework)
    for typo, said in (("trsut", "unknown theme 'trsut'"),
                       ("trust.data_challenges", r"It names 2 themes \(trust, data_challenges\): separate them "
                                                 "with ';'"),
                       ("data.challenges", "Did you mean 'data_challenges'"), ("cultural.diff", "'cultural.diff'")):
        coding.loc[1, "themes"] = typo
        coding.to_csv(tmp_path / "typo.csv", index=False)
        with pytest.raises(GoldError, match=said):  # a typo is not set aside as the framework's
            read_gold(tmp_path / "typo.csv", themes)

    joint = next(k for d in framework.dimensions for k in d.types if d.id == "service_model" and k.id == "joint")
    book = openpyxl.load_workbook(path)
    names = {row[0].value: row[1].value for row in book["Instructions"].iter_rows() if row[0].value}
    # 'none' beside a type is refused as two codes at once; the Instructions of such a run say so.
    assert any("(no theme and no type: an answer with a type and no theme is coded with the type alone)" in str(key)
               for key in names)
    sheet = book["Coding"]
    column = [c.value for c in sheet[1]].index("themes") + 1
    sheet.cell(row=2, column=column, value=f"Trust and relationships; {names['service_model.joint']}")
    sheet.cell(row=3, column=column, value="none")
    book.save(path)
    assert joint.label in names["service_model.joint"]
    assert read_gold(path, themes)["gold"].tolist() == [["trust"], []]


def test_a_workbook_whose_codebook_renamed_a_theme_since_still_stops_at_the_code(tmp_path: Path):
    """Its old id was set aside as another codebook's, and the answers coded only with it read as 'none'."""
    from themes.codebook import load_codebook
    from themes.coding_sample import write_coding_workbook
    from themes.errors import GoldError

    themes = load_codebook("codebooks/rfi_themes.yaml")
    path = tmp_path / "sample.xlsx"
    write_coding_workbook(path, draw_sample(_responses(6), 4, seed=2), themes)
    book = openpyxl.load_workbook(path)
    column = [c.value for c in book["Coding"][1]].index("themes") + 1
    for row, value in enumerate(["trust", "cultural_differences", "none", "trust"], start=2):
        book["Coding"].cell(row=row, column=column, value=value)
    book.save(path)
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text(Path("codebooks/rfi_themes.yaml").read_text(encoding="utf-8").replace(
        "id: cultural_differences", "id: culture"), encoding="utf-8")
    with pytest.raises(GoldError, match="unknown theme 'cultural_differences'"):
        read_gold(path, load_codebook(renamed))


def test_a_two_codebook_workbook_is_read_by_a_codebook_that_gained_a_theme(tmp_path: Path):
    """Requiring every id of the reading codebook in the workbook refused the framework's codes as unknown once
    the themes codebook gained a theme after the draw."""
    from themes.codebook import load_codebook, merge_codebooks
    from themes.coding_sample import write_coding_workbook

    themes, framework = (load_codebook(f"codebooks/{name}.yaml") for name in ("rfi_themes", "partnership_models"))
    path = tmp_path / "sample.xlsx"
    write_coding_workbook(path, draw_sample(_responses(6), 4, seed=2), merge_codebooks([themes, framework]))
    book = openpyxl.load_workbook(path)
    column = [c.value for c in book["Coding"][1]].index("themes") + 1
    for row, value in enumerate(["trust;service_model.referral", "none", "data.full_access", "trust"], start=2):
        book["Coding"].cell(row=row, column=column, value=value)
    book.save(path)
    text = Path("codebooks/rfi_themes.yaml").read_text(encoding="utf-8")
    gained = tmp_path / "gained.yaml"
    gained.write_text(text.replace("\nthemes:\n", "\nthemes:\n  - id: housing\n    label: Housing\n    definition: "
                                   "Housing as a need.\n    examples: [We need housing for our clients.]\n", 1),
                      encoding="utf-8")
    assert read_gold(path, load_codebook(gained))["gold"].tolist() == [["trust"], [], [], ["trust"]]


def test_a_definition_longer_than_a_cell_is_cut_and_said(tiny_codebook_path: Path, tmp_path: Path, recwarn):
    """A 40,000-character definition was cut without a word, and pandas warned in the console."""
    import yaml

    from themes.codebook import load_codebook
    from themes.coding_sample import write_coding_workbook

    data = yaml.safe_load(tiny_codebook_path.read_text(encoding="utf-8"))
    first = data["themes"][0]
    first["definition"] = "Partners keep their word over years of shared work. " * 800  # 41,600 characters
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    workbook = tmp_path / "coding.xlsx"
    write_coding_workbook(workbook, draw_sample(_responses(6), 4, seed=0), load_codebook(path))
    sheet = openpyxl.load_workbook(workbook)["Instructions"]
    texts = [cell for row in sheet.iter_rows(values_only=True) for cell in row if isinstance(cell, str)]
    cut = next(text for text in texts if text.startswith("Partners keep their word"))
    assert len(cut) == 32_767 and cut.endswith("\u2026")
    assert (f"The definition of '{first['id']}' is longer than a cell holds (41,599 characters; a cell holds "
            "32,767): it is cut, '\u2026' where cut. Read it whole in the codebook.") in texts
    assert not [w for w in recwarn if "too long" in str(w.message)]


def test_a_definition_cut_in_the_workbook_is_said_in_the_console(run_dir: Path, tmp_path: Path,
                                                                   tiny_codebook_path: Path):
    import yaml

    data = yaml.safe_load(tiny_codebook_path.read_text(encoding="utf-8"))
    data["themes"][0]["definition"] = "Partners keep their word over years of shared work. " * 800
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    manifest = {"codebook": {"path": str(path)}, "input": {"columns": {"meta_columns": ["org_type", "state"]}}}
    (run_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = _invoke(str(run_dir), "-n", "4", "--force")
    assert result.exit_code == 0
    assert f"warning: The definition of '{data['themes'][0]['id']}' is longer than a cell holds" in result.output
    assert "UserWarning" not in result.output


def test_a_sample_of_batch_one_reads_batch_twos_capitalised_questions(tiny_codebook, tmp_path: Path):
    """Batch 2's export tool wrote 'Challenges' where batch 1's had 'challenges': batch 1's coded sample stopped the
    run ("not a usable answer of this input"), though the classifier reads 'Challenges' as 'challenges' (review
    165). Read under the input's names, and said."""
    from themes.evaluate import check_coded_sample, not_in_survey, read_coded_sample

    responses = _responses(8)
    sample = draw_sample(responses, 5, seed=0)
    path = tmp_path / "coded.csv"
    sample.assign(themes=["trust", "none", "funding", "trust", "none"])[
        ["sample_id", "respondent_id", "question", "themes"]].to_csv(path, index=False)
    renamed = {"challenges": "Challenges", "effective_practices": "Effective practices",
               "community_engagement": "Community-Engagement"}
    batch2 = responses.assign(question=responses["question"].map(renamed))
    back = read_coded_sample(path, tiny_codebook, batch2)
    assert set(back["question"]) <= set(renamed.values()) and len(back) == 5
    usable = batch2[batch2["status"].isin(["coded", "uncoded", "pending", "too_long"])]
    assert not_in_survey(back, path, usable) is None
    said = check_coded_sample(back, path, batch2.assign(status="pending"), tiny_codebook)
    used = sorted({q for q in sample["question"]})
    assert f"{path}: questions read under this input's names: " + ", ".join(
        f"'{q}' as '{renamed[q]}'" for q in used) + "." in said


def test_a_respondent_withdrawn_since_the_draw_leaves_the_sample_said_and_ids_written_otherwise_are_named(
        tiny_codebook, tmp_path: Path):
    """Batch 1's sample on batch 2, which no longer holds R3 (withdrawn), stopped the run with advice to code a
    sample of this survey; with the same export read as XLSX ('012' as '12') it said the same (review 165)."""
    from themes.evaluate import codable_only, not_in_survey, read_coded_sample

    drawn_from = _responses(40)
    sample = draw_sample(drawn_from, 40, seed=0)
    gone = next(r for r in sample["respondent_id"] if r not in ("R1", "R2"))
    path = tmp_path / "coded.csv"
    sample.assign(themes=["trust", "none"] * (len(sample) // 2) + ["funding"] * (len(sample) % 2))[
        ["sample_id", "respondent_id", "question", "themes"]].to_csv(path, index=False)
    responses = drawn_from.assign(status="pending")  # as the screen gives them to a run
    batch2 = responses[responses["respondent_id"] != gone]
    coded = read_coded_sample(path, tiny_codebook, responses)
    left, said = codable_only(coded, path, batch2)
    withdrawn = int((sample["respondent_id"] == gone).sum())
    assert withdrawn and len(left) == len(sample) - withdrawn and gone not in set(left["respondent_id"])
    assert said == (f"{path.name}: {withdrawn} coded answer{'s' if withdrawn != 1 else ''} of 1 respondent not in "
                    f"this input at all ('{gone}': withdrawn, or left out of this export?) left out of the correction")
    assert not_in_survey(left, path, batch2) is None
    # ... and counted in the report's method section, which counted the answers left alone (review 176)
    assert left.attrs["left_out"] == {"not_in_input": withdrawn, "not_coded": 0}
    from themes.export import sample_agreement_summary

    summary = sample_agreement_summary({"file": "coded.csv", "answers": len(left), "left_out_learned": 0,
                                        "left_out": {"not_in_input": withdrawn}, "overall": {}, "per_theme": [],
                                        "per_dimension": []})
    assert f"(coded.csv; {withdrawn} more left out: of respondents this input does not hold)" in summary
    # Ids whose digits alone match another respondent's (A7 and B7): still a withdrawal, not ids written otherwise
    prefixed = responses.assign(respondent_id="A" + responses["respondent_id"].str[1:])
    prefixed = pd.concat([prefixed, prefixed.assign(respondent_id="B" + prefixed["respondent_id"].str[1:])])
    coded_a = coded.assign(respondent_id="A" + coded["respondent_id"].str[1:])
    assert len(codable_only(coded_a, path, prefixed[prefixed["respondent_id"] != "A" + gone[1:]])[0]) == \
        len(sample) - withdrawn
    # A pseudonym another machine's key made is left for not_in_survey to name the key
    keyed = coded.copy()
    keyed.loc[keyed.index[0], "respondent_id"] = "resp-0a1b2c3d"
    assert "resp-0a1b2c3d" in set(codable_only(keyed, path, responses)[0]["respondent_id"])
    # In a project the respondent may be of a batch to come: kept, for coded_in_project to say
    assert len(codable_only(coded, path, batch2, project=True)[0]) == len(sample)
    # Many respondents gone is another survey's sample: left for not_in_survey to refuse
    few = responses[responses["respondent_id"].isin(["R1", "R2"])]
    assert len(codable_only(coded, path, few)[0]) == len(coded)
    # ... or, where the answers it holds are this input's word for word, a sample of the whole survey on a run of
    # part of it (review 173: "code a sample drawn from this survey", which it was)
    assert not_in_survey(coded, path, few) == (
        f"{path}: 37 of its 40 coded answers are of 23 respondents this input does not hold (e.g. "
        f"'{coded['respondent_id'][~coded['respondent_id'].isin(['R1', 'R2'])].iloc[0]}'), as where a sample of the "
        "whole survey meets a run on part of it. Keep only the rows of this input's respondents (they are a random "
        "sample of its answers still), or run on the whole survey.")
    assert "is not a usable answer of this input" in not_in_survey(coded.assign(text="Other words."), path, few)
    # The same respondents, their ids written otherwise by the other export
    numbered = responses.assign(respondent_id=responses["respondent_id"].str.replace("R", "0", regex=False))
    assert len(codable_only(coded, path, numbered)[0]) == len(coded)
    message = not_in_survey(coded, path, numbered)
    assert message.startswith(f"{path}: its respondent ids are written otherwise than this input's (")
    assert "in the sample, " in message and "Write the sample's ids as the input writes them" in message

"""`themes diff`: what changed between two runs of the same survey."""

from __future__ import annotations

import pandas as pd
import pytest
from run_files import write_run_folder
from typer.testing import CliRunner

from themes.cli import app
from themes.redact import Redactor
from themes.research import diff_run_folders

BEFORE = [  # (respondent, question, answer, themes of the one segment)
    ("R1", "challenges", "Grants end after two years and we lose staff.", ["funding"]),
    ("R1", "practices", "Trust between our directors, built over ten years.", ["trust"]),
    ("R2", "challenges", "Our partners are honest when things go wrong.", []),
    ("R3", "challenges", "Nobody covers ongoing costs; call Maria Lopez at 555-123-4567.", ["funding"]),
    ("R3", "practices", "A champion at the hospital made it happen.", ["trust"]),
]
AFTER = [
    ("R1", "challenges", "Grants end after two years and we lose staff.", ["funding"]),
    ("R1", "practices", "Trust between our directors, built over ten years.", ["trust"]),
    ("R2", "challenges", "Our partners are honest when things go wrong.", ["trust"]),
    ("R3", "challenges", "Nobody covers ongoing costs; call Maria Lopez at 555-123-4567.", []),
    ("R3", "practices", "A champion at the hospital made it happen.", ["trust"]),
]


def run(folder, rows, codebook_path, **kwargs):
    answers = [{"respondent_id": r, "question": q, "answer": a, "org_type": "Nonprofit CBO", "state": "OH",
                "segments": [(0, len(a), themes)]} for r, q, a, themes in rows]
    return write_run_folder(folder, answers, codebook_path=codebook_path, **kwargs)


@pytest.fixture
def two_runs(tmp_path, tiny_codebook_path):
    before = run(tmp_path / "before", BEFORE, tiny_codebook_path)
    after = run(tmp_path / "after", AFTER, tiny_codebook_path,
                thresholds={"trust": 0.4, "funding": 0.6, "service.referral": 0.5, "service.joint": 0.5})
    return before, after


def test_diff_counts_respondents_and_answers_gained_and_lost_per_theme(two_runs):
    result = diff_run_folders(*two_runs)
    themes = result["diff"].themes.set_index("theme")

    assert themes.loc["trust", ["respondents_a", "respondents_b", "respondents_gained", "respondents_lost",
                                "answers_gained", "answers_lost"]].tolist() == [2, 3, 1, 0, 1, 0]
    assert themes.loc["funding", ["respondents_a", "respondents_b", "respondents_gained", "respondents_lost",
                                  "answers_gained", "answers_lost"]].tolist() == [2, 1, 0, 1, 0, 1]
    assert themes.loc["trust", ["threshold_a", "threshold_b"]].tolist() == [0.5, 0.4]
    changes = result["diff"].changes
    assert changes[["theme", "change", "respondent_id", "question"]].values.tolist() == [
        ["trust", "gained", "R2", "challenges"], ["funding", "lost", "R3", "challenges"]]
    # The examples shown are de-identified; the CSV keeps the run's own text.
    assert result["examples"] == [("trust", "gained", "Our partners are honest when things go wrong."),
                                  ("funding", "lost", "Nobody covers ongoing costs; call [name] at [phone].")]
    assert result["diff"].same_input


def test_diff_writes_a_report_and_tables_with_both_sides(two_runs, tmp_path):
    diff_run_folders(*two_runs, out=tmp_path / "diff", redactor=Redactor(use_ner=False))

    report = (tmp_path / "diff" / "diff.md").read_text(encoding="utf-8")
    assert "| trust | 2 | 3 | 1 | 0 | 1 | 0 | 0.50 | 0.40 |" in report
    assert "| codebook content hash |" in report
    changes = pd.read_csv(tmp_path / "diff" / "diff_changes.csv")
    assert list(changes.columns) == ["theme", "change", "respondent_id", "question", "passage", "score_a", "score_b",
                                     "answer_edited"]
    assert changes["passage"].tolist()[1] == "Nobody covers ongoing costs; call Maria Lopez at 555-123-4567."


def test_a_manifest_that_records_no_input_is_not_said_to_read_another_file(tmp_path, tiny_codebook_path):
    """Helper 123: a run folder whose manifest lacks `input` was "read different input files" beside a full one,
    and "the same" beside another such."""
    import json

    before = run(tmp_path / "a", BEFORE, tiny_codebook_path)
    after = run(tmp_path / "b", BEFORE, tiny_codebook_path)
    manifest = json.loads((after / "manifest.json").read_text(encoding="utf-8"))
    del manifest["input"]
    (after / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    result = diff_run_folders(before, after, out=tmp_path / "diff", redactor=Redactor(use_ner=False))
    assert result["diff"].same_input is None
    report = (tmp_path / "diff" / "diff.md").read_text(encoding="utf-8")
    assert "Run B's manifest does not record its input file, so whether the two runs read the same one is not " \
           "known" in report and "read different input files" not in report
    (before / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert diff_run_folders(before, after)["diff"].same_input is None


def test_runs_of_different_inputs_are_compared_on_the_answers_they_share(tmp_path, tiny_codebook_path):
    before = run(tmp_path / "a", BEFORE, tiny_codebook_path)
    after = run(tmp_path / "b", AFTER[:3], tiny_codebook_path, input_sha="input-2")

    diff = diff_run_folders(before, after, redactor=Redactor(use_ner=False))["diff"]

    assert not diff.same_input
    assert diff.answers_only_in == {"a": 2, "b": 0}
    assert diff.changes["respondent_id"].tolist() == ["R2"]
    # R3 is only in A: its funding is not a respondent lost, its absence is no change of coding
    funding = diff.themes.set_index("theme").loc["funding"]
    assert (funding["respondents_a"], funding["respondents_b"], funding["respondents_lost"]) == (2, 1, 0)


def test_runs_that_share_no_answer_are_one_line_not_a_table_of_gains(tmp_path, tiny_codebook_path):
    before = run(tmp_path / "a", BEFORE, tiny_codebook_path)
    other = run(tmp_path / "b", [(f"S{r}", f"other {q}", *rest) for r, q, *rest in AFTER], tiny_codebook_path,
                input_sha="input-2")
    result = CliRunner().invoke(app, ["diff", str(before), str(other)])
    assert (result.exit_code, result.output) == (2, f"error: {before} and {other} share no answer (respondent and "
                                                    "question): they code different surveys or exports, so there is "
                                                    "no change to show. Diff two runs of the same survey.\n")


def test_cli_diff_prints_both_sides_a_table_and_examples(two_runs):
    before, after = two_runs

    result = CliRunner().invoke(app, ["diff", str(before), str(after), "--examples", "1"], terminal_width=200)

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"A: {before}  codebook ")
    assert lines[3].split() == ["respondents", "answers", "threshold"]
    assert lines[4].split() == ["theme", "A", "B", "gained", "lost", "gained", "lost", "A", "B"]
    assert lines[5].split() == ["trust", "2", "3", "1", "0", "1", "0", "0.50", "0.40"]
    assert lines[-1] == 'funding lost: "Nobody covers ongoing costs; call [name] at [phone]."'


def test_cli_diff_of_a_folder_that_is_not_a_run(two_runs, tmp_path):
    result = CliRunner().invoke(app, ["diff", str(two_runs[0]), str(tmp_path)])

    assert result.exit_code == 2
    assert result.output == f"error: {tmp_path} is not a themes run folder: responses.csv, segments.csv, " \
                            "manifest.json missing. Pass the --out folder of a 'themes run'.\n"


def test_a_framework_is_compared_type_by_type_as_the_run_writes_it(tmp_path, tiny_codebook_path):
    """The product's manifest keys a dimension's threshold by the dimension ("service"), while answers
    carry its types ("service.referral"): the diff compares the types, each with its dimension's threshold."""
    import json

    def framework(rows):
        return [(r, q, a, [*themes, "service.referral" if r == "R1" else "service.joint"]) for r, q, a, themes in rows]

    thresholds = {"trust": 0.5, "funding": 0.5, "service": 0.55}
    before = run(tmp_path / "before", framework(BEFORE), tiny_codebook_path, thresholds=thresholds)
    after = run(tmp_path / "after", [(r, q, a, [*t, "service.joint"]) for r, q, a, t in AFTER], tiny_codebook_path,
                thresholds=thresholds)
    manifest = json.loads((after / "manifest.json").read_text())
    manifest["codebooks"] = [{"path": "themes.yaml", "content_hash": "aaa"}, {"path": "framework.yaml",
                                                                              "content_hash": "bbb"}]
    (after / "manifest.json").write_text(json.dumps(manifest))

    types = diff_run_folders(before, after, redactor=Redactor(use_ner=False))["diff"].themes.set_index("theme")

    assert list(types.index) == ["trust", "funding", "service.referral", "service.joint"]  # no "service" row
    assert types.loc["service.referral", ["respondents_a", "respondents_b", "respondents_lost", "answers_lost"]
                     ].tolist() == [1, 0, 1, 2]
    assert types.loc["service.joint", ["respondents_a", "respondents_b", "respondents_gained", "answers_gained"]
                     ].tolist() == [2, 3, 1, 2]
    assert types.loc["service.joint", ["threshold_a", "threshold_b"]].tolist() == [0.55, 0.55]
    printed = CliRunner().invoke(app, ["diff", str(before), str(after)], terminal_width=200).output.splitlines()
    assert printed[1].startswith(f"B: {after}  codebook themes.yaml + framework.yaml (content hash aaa + bbb)")
    assert [line.split()[0] for line in printed[5:9]] == ["trust", "funding", "service.referral", "service.joint"]


def test_a_type_counts_the_respondents_the_run_counts_under_it(tmp_path, tiny_codebook_path):
    """A respondent counts under the most integrated type of their answers (framework_counts.csv): counted by
    any answer, referral read 77 respondents in the diff where the run counted 55."""
    a_rows = [("R1", "challenges", "We refer clients.", ["service.referral"]),
              ("R1", "practices", "We share one building.", ["service.joint"]),
              ("R2", "challenges", "We send people to the clinic.", ["service.referral"])]
    b_rows = [*a_rows[:1], ("R1", "practices", "We share one building.", []), *a_rows[2:]]
    before, after = run(tmp_path / "a", a_rows, tiny_codebook_path), run(tmp_path / "b", b_rows, tiny_codebook_path)
    types = diff_run_folders(before, after, redactor=Redactor(use_ner=False))["diff"].themes.set_index("theme")
    columns = ["respondents_a", "respondents_b", "respondents_gained", "respondents_lost", "answers_gained",
               "answers_lost"]
    assert types.loc["service.referral", columns].tolist() == [1, 2, 1, 0, 0, 0]  # R1 moved down to referral
    assert types.loc["service.joint", columns].tolist() == [1, 0, 0, 1, 0, 1]
    # A question the later export dropped moves R1 down to referral in B: no change of coding, no gain or loss.
    dropped = run(tmp_path / "c", [a_rows[0], a_rows[2]], tiny_codebook_path, input_sha="input-2")
    types = diff_run_folders(before, dropped, redactor=Redactor(use_ner=False))["diff"].themes.set_index("theme")
    assert types.loc["service.referral", columns].tolist() == [1, 2, 0, 0, 0, 0]
    assert types.loc["service.joint", columns].tolist() == [1, 0, 0, 0, 0, 0]


def test_cli_diff_into_a_file_is_one_line(two_runs, tmp_path):
    (tmp_path / "a_file").write_text("x")
    result = CliRunner().invoke(app, ["diff", str(two_runs[0]), str(two_runs[1]), "--out", str(tmp_path / "a_file")])
    assert result.exit_code == 2
    assert result.output.strip() == (f"error: --out {tmp_path / 'a_file'} cannot be created: {tmp_path / 'a_file'} "
                                     "is a file, not a folder. Choose another --out.")


def test_answers_edited_between_the_runs_are_marked_as_such(tmp_path, tiny_codebook_path):
    """A corrected export rewrote R3's answer: its lost theme read as a change of the coding."""
    edited = [row if row[0] != "R3" or row[1] != "challenges" else
              ("R3", "challenges", "Costs are covered now; the county pays.", []) for row in BEFORE]
    before = run(tmp_path / "a", BEFORE, tiny_codebook_path)
    after = run(tmp_path / "b", edited, tiny_codebook_path, input_sha="input-2")
    result = diff_run_folders(before, after, out=tmp_path / "diff", redactor=Redactor(use_ner=False))
    assert result["diff"].edited == 1
    assert result["diff"].changes[["theme", "change", "respondent_id", "answer_edited"]].values.tolist() == [
        ["funding", "lost", "R3", True]]
    report = (tmp_path / "diff" / "diff.md").read_text(encoding="utf-8")
    assert "**1 answer in both runs read differently** (edited or corrected in the later export)" in report
    printed = CliRunner().invoke(app, ["diff", str(before), str(after)]).output
    assert "note: 1 answer in both runs read differently (edited in the later export)" in printed


def _edit_manifest(folder, **changes):
    import json

    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(changes)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _cli_diff(*arguments):
    return CliRunner().invoke(app, ["diff", *map(str, arguments)], terminal_width=200)


def test_an_answer_the_later_export_lacks_loses_no_respondent(tmp_path, tiny_codebook_path):
    """B's export dropped the 'practices' column: R1's and R3's trust (said there) is not lost, it is unread."""
    before = run(tmp_path / "a", BEFORE, tiny_codebook_path)
    after = run(tmp_path / "b", [row for row in BEFORE if row[1] != "practices"], tiny_codebook_path,
                input_sha="input-2")

    result = diff_run_folders(before, after, out=tmp_path / "diff", redactor=Redactor(use_ner=False))

    trust = result["diff"].themes.set_index("theme").loc["trust"]
    assert trust[["respondents_a", "respondents_b", "respondents_gained", "respondents_lost"]].tolist() == [2, 0, 0, 0]
    assert result["diff"].questions_only_in == {"a": ["practices"], "b": []}
    printed = _cli_diff(before, after).output.splitlines()
    assert printed[2:5] == [
        "note: the two runs read different input files; only answers in both are compared.",
        "note: 3 answers (3 respondents) are in both runs and compared; 2 in A only and 0 in B only are left out.",
        "note: questions in A only: 'practices'; in B only: none. Their answers are not compared; name a question "
        "alike in both exports to compare it."]
    report = (tmp_path / "diff" / "diff.md").read_text(encoding="utf-8")
    assert "- Questions in A only: 'practices'; in B only: none." in report


def test_the_columns_say_what_they_count(two_runs, tmp_path):
    legend = ("respondents A and B: everyone each run coded with the theme, respondents in one run only included (a "
              "framework type: those each run counts under it, by the most integrated type of their answers); gained "
              "and lost: among the answers both runs hold.")
    printed = _cli_diff(*two_runs, "--out", tmp_path / "diff").output.splitlines()
    assert printed[9] == legend  # under the table's four rows
    assert legend[:1].upper() + legend[1:] in (tmp_path / "diff" / "diff.md").read_text(encoding="utf-8")


def test_questions_the_run_read_as_the_calibrations_match_the_other_runs(tmp_path, tiny_codebook_path):
    """B's export words its columns as questions; the run read 'challenges' as such (questions_read_as), not
    'practices' (it reads "What worked?")."""
    worded = {"challenges": "What challenges hold the partnership back?", "practices": "What worked?"}
    before = run(tmp_path / "a", BEFORE, tiny_codebook_path)
    after = run(tmp_path / "b", [(r, worded[q], a, t) for r, q, a, t in AFTER], tiny_codebook_path,
                input_sha="input-2")
    _edit_manifest(after, questions_read_as={"What challenges hold the partnership back?": "challenges"})

    diff = diff_run_folders(before, after, redactor=Redactor(use_ner=False))["diff"]

    assert diff.changes[["theme", "change", "respondent_id", "question"]].values.tolist() == [
        ["trust", "gained", "R2", "challenges"], ["funding", "lost", "R3", "challenges"]]
    assert diff.questions_only_in == {"a": ["practices"], "b": ["What worked?"]}


def test_runs_of_one_survey_whose_ids_are_written_differently_are_told_so(tmp_path, tiny_codebook_path):
    before = run(tmp_path / "a", BEFORE, tiny_codebook_path)
    numbered = run(tmp_path / "b", [(r.removeprefix("R"), *rest) for r, *rest in AFTER], tiny_codebook_path,
                   input_sha="input-2")

    result = _cli_diff(before, numbered)

    assert (result.exit_code, result.output) == (2, f"error: {before} and {numbered} ask the same questions but share "
                                                    "no respondent id: if they are one survey, its exports write the "
                                                    "ids differently ('R1' in A, '1' in B). Give both exports the "
                                                    "same ids and run again.\n")


def test_runs_sharing_one_question_of_several_are_other_surveys_not_ids_to_renumber(tmp_path, tiny_codebook_path):
    """Review 170: two surveys sharing 'challenges' alone were said to 'ask the same questions', and the advice was to
    give both exports the same ids, which would compare strangers."""
    before = run(tmp_path / "a", BEFORE, tiny_codebook_path)
    other = run(tmp_path / "b", [(f"P{r[1:]}", q if q == "challenges" else f"{q} {k}", f"{a} (another survey)", t)
                                 for k in range(3) for r, q, a, t in AFTER if q != "challenges" or k == 0],
                tiny_codebook_path, input_sha="input-2")
    result = _cli_diff(before, other)
    assert (result.exit_code, result.output) == (2, f"error: {before} and {other} share 1 of the 5 questions they ask "
                                                    "('challenges') and no respondent: they code different surveys or "
                                                    "exports, so there is no change to show. Diff two runs of the same "
                                                    "survey.\n")


def test_one_survey_with_ids_renumbered_and_questions_added_is_told_so(tmp_path, tiny_codebook_path):
    """Review 172: the next export of one survey, its ids renumbered ('R1' as 'P1') and questions added, was called
    "different surveys": the questions both ask hold the same texts under ids of the same number."""
    before = run(tmp_path / "a", BEFORE, tiny_codebook_path)
    added = [(f"P{r[1:]}", f"{q} {k}", a, t) for k in range(3) for r, q, a, t in AFTER if q == "practices"]
    later = run(tmp_path / "b", [(f"P{r[1:]}", q, a, t) for r, q, a, t in AFTER] + added, tiny_codebook_path,
                input_sha="input-2")
    result = _cli_diff(before, later)
    assert (result.exit_code, result.output) == (2, f"error: {before} and {later} share no respondent id, but 5 of 5 "
                                                    "answers to the questions they share are the same texts under ids "
                                                    "of the same number ('R1' in A, 'P1' in B): if they are one "
                                                    "survey, its exports write the ids differently. Give both exports "
                                                    "the same ids and run again.\n")


def test_two_surveys_sharing_stock_answers_under_alike_numbers_are_not_one_survey(tmp_path, tiny_codebook_path):
    """Review 175: cohorts A001... and B001... sharing one question answered "No." were told their ids were written
    differently: stock answers are anyone's."""
    before = run(tmp_path / "a", [(r, q, "No.", t) for r, q, _, t in BEFORE], tiny_codebook_path)
    other = run(tmp_path / "b", [(f"B{r[1:]}", q if q == "challenges" else f"{q} {k}", "No.", t)
                                 for k in range(3) for r, q, _, t in AFTER if q != "challenges" or k == 0],
                tiny_codebook_path, input_sha="input-2")
    assert "share 1 of the 5 questions" in _cli_diff(before, other).output


def test_respondents_in_one_run_only_are_counted_on_screen(tmp_path, tiny_codebook_path):
    before = run(tmp_path / "a", BEFORE, tiny_codebook_path)
    after = run(tmp_path / "b", [("R03" if r == "R3" else r, *rest) for r, *rest in AFTER], tiny_codebook_path,
                input_sha="input-2")

    printed = _cli_diff(before, after).output.splitlines()

    assert printed[3:5] == [
        "note: 3 answers (2 respondents) are in both runs and compared; 2 in A only and 2 in B only are left out.",
        "note: respondents in A only: 1 (e.g. 'R3'); in B only: 1 (e.g. 'R03'). Some look like one id written "
        "differently ('R3' in A, 'R03' in B); give both exports the same ids to compare them."]


def test_new_and_departed_respondents_are_not_taken_for_ids_written_differently(tmp_path, tiny_codebook_path):
    before = run(tmp_path / "a", BEFORE, tiny_codebook_path)
    after = run(tmp_path / "b", [("R7" if r == "R3" else r, *rest) for r, *rest in AFTER], tiny_codebook_path,
                input_sha="input-2")

    printed = _cli_diff(before, after).output.splitlines()

    assert printed[4] == "note: respondents in A only: 1 (e.g. 'R3'); in B only: 1 (e.g. 'R7')."


def test_a_renamed_theme_is_said_to_look_renamed_and_is_no_gain_or_loss(tmp_path, tiny_codebook_path):
    renamed_book = tmp_path / "renamed.yaml"
    renamed_book.write_text(tiny_codebook_path.read_text().replace("id: trust", "id: relationships"))
    before = run(tmp_path / "a", BEFORE, tiny_codebook_path)
    after = run(tmp_path / "b", [(r, q, a, ["relationships" if t == "trust" else t for t in themes])
                                 for r, q, a, themes in AFTER], renamed_book)

    result = diff_run_folders(before, after, out=tmp_path / "diff", redactor=Redactor(use_ner=False))

    themes = result["diff"].themes.set_index("theme")
    assert themes.loc[["trust", "relationships"], ["respondents_a", "respondents_b", "respondents_gained",
                                                   "respondents_lost", "answers_gained", "answers_lost"]
                      ].astype(object).where(themes.notna(), None).values.tolist() == [
        [2, 0, None, None, None, None], [0, 3, None, None, None, None]]
    assert result["diff"].changes["theme"].tolist() == ["funding"]
    printed = _cli_diff(before, after).output.splitlines()
    assert "relationships                      -       3               coded in B only       -    0.50" in printed
    assert printed[2:5] == ["note: 'relationships' (B only) looks like 'trust' (A only) renamed: same label and "
                            "definition. If it is, write 'formerly: [trust]' under 'relationships' in B's codebook "
                            "and run B again: the two are then compared.",
                            "note: coded in A only, not counted as gained or lost: trust.",
                            "note: coded in B only, not counted as gained or lost: relationships."]
    report = (tmp_path / "diff" / "diff.md").read_text(encoding="utf-8")
    assert "| relationships | - | 3 | coded in B only | - | - | - | - | 0.50 |" in report
    # The usual way: the codebook edited in place, so A's no longer holds 'trust'; its count files still do.
    tiny_codebook_path.write_text(renamed_book.read_text())
    assert diff_run_folders(before, after, out=None, redactor=Redactor(use_ner=False))["diff"].renamed == []
    from themes.codebook import load_codebook

    labels = {c.id: c.label for c in load_codebook(renamed_book).themes}
    pd.DataFrame({"theme": ["trust", "funding"], "label": [labels["relationships"], labels["funding"]]}).to_csv(
        before / "theme_counts.csv", index=False)
    again = diff_run_folders(before, after, out=None, redactor=Redactor(use_ner=False))
    assert again["diff"].renamed == [("trust", "relationships", "label")]


def test_a_calibration_made_for_other_codebook_content_is_said(two_runs, tmp_path):
    before, after = two_runs
    import json

    book = json.loads((after / "manifest.json").read_text())["codebook"]
    _edit_manifest(after, codebook={**book, "calibration": {"codebook_hash": "0123456789abcdef"}})

    printed = _cli_diff(before, after, "--out", tmp_path / "diff").output.splitlines()

    # A ran without one: B's gains and losses mix the runs' change with the calibration's (said on its own).
    assert printed[2] == ("note: run A ran without a calibration and run B with one: its gains and losses mix the "
                          "change between the runs with the thresholds and passages the calibration gives (themes "
                          "calibrate, or pass --calibration to both runs).")
    assert printed[3] == (f"note: run B's calibration was made for other codebook content (codebook hash "
                          f"0123456789abcdef; the run's codebook is {book['content_hash']}): run 'themes calibrate' "
                          "again.")
    report = (tmp_path / "diff" / "diff.md").read_text(encoding="utf-8")
    assert "| calibration made for codebook hash |  | 0123456789abcdef |" in report  # A recorded none


def test_diff_refuses_to_replace_its_earlier_files_without_force(two_runs, tmp_path):
    out = tmp_path / "diff"
    out.mkdir()
    (out / "diff.md").write_text("edited", encoding="utf-8")

    refused = _cli_diff(*two_runs, "--out", out)
    assert (refused.exit_code, refused.output) == (2, f"error: {out / 'diff.md'} exists. Pass --force to replace it, "
                                                      "or choose another --out.\n")
    assert (out / "diff.md").read_text(encoding="utf-8") == "edited"
    assert _cli_diff(*two_runs, "--out", out, "--force").exit_code == 0
    assert (out / "diff.md").read_text(encoding="utf-8").startswith("# What changed between two runs")


def test_diff_never_writes_into_a_run_folder(two_runs):
    before, after = two_runs
    for force in ([], ["--force"]):
        refused = _cli_diff(before, after, "--out", after, *force)
        assert (refused.exit_code, refused.output) == (2, f"error: --out {after} is a run folder (it holds "
                                                          "manifest.json); write the diff to a folder of its own, "
                                                          f"e.g. --out {after.parent / 'diff'}.\n")
    assert not (after / "diff.md").exists()


def test_runs_made_with_another_model_or_settings_are_told_so(two_runs):
    """torch and ONNX alone moved 3 answers of 48 between themes, and the diff read them as the change studied."""
    before, after = two_runs
    assert not any("other settings" in line for line in _cli_diff(before, after).output.splitlines())
    _edit_manifest(after, model="all-MiniLM-L6-v2+onnx-int8", settings={"max_words": 300, "languages": ["en"]})
    _edit_manifest(before, settings={"max_words": 1500, "languages": ["en"]})
    model = [line for line in _cli_diff(before, after).output.splitlines() if "other settings" in line]
    assert model == [
        "note: the runs were made with other settings (model test:hashing in A, all-MiniLM-L6-v2+onnx-int8 in B; "
        "max words 1500 in A, 300 in B): their gains and losses mix the change between the runs with what those "
        "settings change; run both alike to compare one change."]


def test_a_second_batch_is_not_told_to_take_the_first_ones_ids(tmp_path, tiny_codebook_path):
    """R001-R110 and R111-R212 were told 'give both exports the same ids', and renumbered so, the diff read 816 of
    816 answers of strangers as edits and printed their gains and losses."""
    before = run(tmp_path / "a", BEFORE, tiny_codebook_path)
    later = run(tmp_path / "b", [(f"R{int(r[1:]) + 110}", *rest) for r, *rest in AFTER], tiny_codebook_path,
                input_sha="input-2")
    result = _cli_diff(before, later)
    assert (result.exit_code, result.output) == (2, f"error: {before} and {later} ask the same questions but share "
                                                    "no respondent ('R1' in A, 'R111' in B): other respondents, as a "
                                                    "new batch holds, so there is nothing to compare. diff compares "
                                                    "two runs of the same answers (the codebook, its calibration or "
                                                    "the export changed between them); a project counts batches "
                                                    "together (themes serve --project).\n")
    rows = [(f"R{k}", "challenges", f"Answer number {k} of the first batch.", []) for k in range(12)]
    renumbered = [(r, q, f"Another person's answer {k}.", t) for k, (r, q, _, t) in enumerate(rows)]
    first, second = run(tmp_path / "c", rows, tiny_codebook_path), run(tmp_path / "d", renumbered, tiny_codebook_path)
    assert ("note: 12 of the 12 answers both runs hold read differently: these may be other respondents under the "
            "same ids (a batch numbered from the first id again), whose themes differ with the people, not the "
            "coding. Check that both runs coded the same answers.") in _cli_diff(first, second).output.splitlines()
    assert "(edited in the later export)" not in _cli_diff(first, second).output  # not both readings at once
    edited = [*rows[:10], *renumbered[10:]]  # two corrections are no other people
    assert "other respondents" not in _cli_diff(first, run(tmp_path / "e", edited, tiny_codebook_path)).output


def test_a_run_diffed_with_itself_is_told_so(two_runs):
    before, _ = two_runs
    assert "note: A and B are the same run folder: nothing can have changed between them." in _cli_diff(
        before, before / ".." / before.name).output.splitlines()


def test_runs_of_codebooks_with_no_id_in_common_are_one_line(tmp_path, tiny_codebook_path):
    """A researcher's review: the themes codebook's run against the framework's printed 20 rows of 'coded in A only'
    and 'coded in B only', exit 0."""
    other = tmp_path / "other.yaml"
    other.write_text("name: Other\nthemes:\n  - id: housing\n    label: Housing\n    definition: Homes.\n"
                     "  - id: transport\n    label: Transport\n    definition: Rides.\n", encoding="utf-8")
    before = run(tmp_path / "before", BEFORE, tiny_codebook_path)
    after = run(tmp_path / "after", [(r, q, a, []) for r, q, a, _ in AFTER], other)
    result = CliRunner().invoke(app, ["diff", str(before), str(after)])
    assert result.exit_code == 2
    assert result.output == (f"error: {before} and {after} share no theme or type (their codebooks have no id in "
                             "common): nothing to compare. diff compares two runs coded with the same codebook, or one "
                             "edited; run both with a codebook in common.\n")


def test_runs_on_calibrations_learned_from_other_passages_are_said(two_runs, tmp_path):
    """Two runs of one codebook and content, one on the shipped calibration (2,455 passages) and one on a calibration
    of 120: trust went 141 -> 88 respondents with no word of why (review 160)."""
    before, after = two_runs
    import json

    book = json.loads((after / "manifest.json").read_text())["codebook"]
    calibration = {"codebook_hash": book["content_hash"], "matches_codebook": True, "gold_hash": "ab" * 32}
    _edit_manifest(before, codebook={**book, "calibration": {**calibration, "gold_file": "/data/gold.csv",
                                                              "training_passages": 2455}})
    _edit_manifest(after, codebook={**book, "calibration": {**calibration, "gold_file": "coded120.xlsx",
                                                             "gold_hash": "cd" * 32, "training_passages": 120}})

    printed = _cli_diff(before, after, "--out", tmp_path / "diff").output.splitlines()

    said = ("note: the runs' calibrations learned from other coded passages (A: 2,455 passages of gold.csv, "
            "abababababab; B: 120 passages of coded120.xlsx, cdcdcdcdcdcd): their gains and losses mix the change "
            "between the runs with what the calibrations learned; run both with one calibration (--calibration) to "
            "compare one change.")
    assert said in printed
    report = (tmp_path / "diff" / "diff.md").read_text(encoding="utf-8")
    assert ("| calibration learned from | 2,455 passages of gold.csv, abababababab | 120 passages of coded120.xlsx, "
            "cdcdcdcdcdcd |") in report
    _edit_manifest(after, codebook={**book, "calibration": {**calibration, "gold_file": "/elsewhere/gold.csv",
                                                             "training_passages": 2455}})
    assert not any("learned from other" in line for line in _cli_diff(before, after).output.splitlines())
    # Review 172: the codebook renamed, with a calibration of other passages, was compared with nothing: no word
    _edit_manifest(after, codebook={**book, "name": "RFI themes v2", "calibration": {
        **calibration, "gold_file": "coded120.xlsx", "gold_hash": "cd" * 32, "training_passages": 120}})
    renamed = _cli_diff(before, after).output.splitlines()
    assert any(line.startswith(f"note: the runs' calibrations learned from other coded passages ({book['name']} in "
                               "A, RFI themes v2 in B: A: 2,455 passages of gold.csv") for line in renamed), renamed
    # Review 170: a run that adds the framework, on the same themes calibration, was said to have learned from other
    # passages (A: the themes' 2,455; B: the themes' 2,455 + the framework's 1,611)
    framework = {**book, "name": "Framework", "path": "framework.yaml",
                 "calibration": {**calibration, "gold_file": "gold_framework.csv", "training_passages": 1611}}
    _edit_manifest(after, codebook={**book, "calibration": {**calibration, "gold_file": "/data/gold.csv",
                                                             "training_passages": 2455}},
                   codebooks=[{**book, "calibration": {**calibration, "gold_file": "/data/gold.csv",
                                                       "training_passages": 2455}}, framework])
    assert not any("learned from other" in line for line in _cli_diff(before, after).output.splitlines())

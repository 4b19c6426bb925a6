"""Before a run starts: the shipped codebooks found from any folder, every input check before Prefect's
server and the model, the announcement, option errors in one line, --version, progress per stage."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from exports import write_batch_xlsx, write_long_csv
from typer.testing import CliRunner

from themes import __version__
from themes.cli import app
from themes.codebook import shipped_codebooks
from themes.settings import RunSettings

ROOT = Path(__file__).resolve().parents[1]


def test_version():
    result = CliRunner().invoke(app, ["--version"])
    assert (result.exit_code, result.output) == (0, f"themes {__version__}\n")


def test_the_default_codebook_is_the_shipped_one_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    default = Path(RunSettings().codebook)
    assert default.is_file() and default.name == "rfi_themes.yaml"
    assert default.read_bytes() == (ROOT / "codebooks" / "rfi_themes.yaml").read_bytes()
    assert sorted(shipped_codebooks()) == ["partnership_models", "rfi_themes"]
    assert Path(RunSettings(codebook="partnership_models").codebook) == shipped_codebooks()["partnership_models"]
    result = CliRunner().invoke(app, ["validate-codebook", "partnership_models"])
    assert result.exit_code == 0 and result.output.startswith("partnership_models: valid.")


@pytest.fixture
def no_server(monkeypatch):
    """Starting the flow (Prefect's server) or loading the model fails the test."""
    from themes import embed
    from themes.flows import code_responses

    def started(*args, **kwargs):
        raise AssertionError("the server or the model was started")

    monkeypatch.setattr(code_responses, "run_flow", started)
    monkeypatch.setattr(embed, "get_embedder", started)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing-input", "error: Input file not found: {tmp}/nope.csv. Check the path."),
        ("out-under-a-file", "error: --out {tmp}/file.txt/out cannot be created: {tmp}/file.txt is a file, not a "
                             "folder. Choose another --out."),
        ("bad-calibration", "error: {tmp}/bad.json: the calibration file cannot be read (Expecting value: line 1 "
                            "column 1 (char 0)). Run 'themes calibrate' again or delete the file."),
        ("missing-coded-sample", "error: Coded sample not found: {tmp}/nope.csv. Check --coded-sample."),
        ("uncoded-sample", "error: {tmp}/coded.csv: every 'themes' cell is empty: nothing is coded yet. Write each "
                           "passage's codes (';'-joined ids, 'none' for a passage with no theme) and run again."),
        ("other-survey-sample", "error: {tmp}/other.csv: respondent 'X9', question 'challenges' is not a usable "
                                "answer of this input (2 coded answers like it); code a sample drawn from this survey "
                                "(themes sample), its ids and question names as the run reads them."),
        ("no-id", "error: No respondent id column found (columns: comments, notes). Pass --id-column with its "
                  "name, or --id-column none to name each row as a respondent by its content."),
        ("quotes-range", "error: --quotes-per-theme must be in [0, 50]. Got 100 instead."),
        ("words-range", "error: --max-words must be 10 or more. Got 5 instead."),
        ("backend", "error: --backend must be one of torch, onnx. Got tensorflow instead."),
        ("languages", "error: --languages must be language codes such as en,es,fr; unknown: klingon. Got en,klingon "
                      "instead."),
        ("language-names", "error: --languages must be language codes such as en,es,fr; for english write en; for "
                           "spanish write es. Got English,Spanish instead."),
    ],
)
def test_input_and_option_errors_come_before_the_server_and_the_model(tmp_path, tiny_responses_path, no_server,
                                                                      case, message):
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "bad.json").write_text("")
    (tmp_path / "coded.csv").write_text("respondent_id,question,themes\nR1,challenges,\nR2,challenges,\n")
    (tmp_path / "other.csv").write_text("respondent_id,question,answer,themes\nR1,challenges,Funding is short.,"
                                        "resource_needs\nX9,challenges,We trust them.,trust\n"
                                        "X8,challenges,No data.,none\n")
    no_id = tmp_path / "noid.csv"
    no_id.write_text("comments,notes\nWe trust each other after years of shared work,ok\n"
                     "Money is short and grants end far too soon,ok\n")
    args = {"missing-input": [str(tmp_path / "nope.csv")],
            "out-under-a-file": [str(tiny_responses_path), "--out", str(tmp_path / "file.txt" / "out")],
            "bad-calibration": [str(tiny_responses_path), "--calibration", str(tmp_path / "bad.json")],
            "missing-coded-sample": [str(tiny_responses_path), "--coded-sample", str(tmp_path / "nope.csv")],
            "uncoded-sample": [str(tiny_responses_path), "--coded-sample", str(tmp_path / "coded.csv")],
            "other-survey-sample": [str(tiny_responses_path), "--coded-sample", str(tmp_path / "other.csv")],
            "no-id": [str(no_id)],
            "quotes-range": [str(tiny_responses_path), "--quotes-per-theme", "100"],
            "words-range": [str(tiny_responses_path), "--max-words", "5"],
            "backend": [str(tiny_responses_path), "--backend", "tensorflow"],
            "languages": [str(tiny_responses_path), "--languages", "en,klingon"],
            "language-names": [str(tiny_responses_path), "--languages", "English,Spanish"]}[case]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, ["run", *args, "--model", "test:hashing", "--no-cache"])
    assert (result.exit_code, result.output.strip()) == (2, message.format(tmp=tmp_path))


def test_the_coded_sample_is_read_and_announced_before_the_server(tmp_path, tiny_responses_path, monkeypatch):
    import themes.cli

    def started(*args, **kwargs):
        raise AssertionError("the server or the model was started")

    monkeypatch.setattr(themes.cli, "_run_with_progress", started)
    coded = tmp_path / "coded.csv"
    coded.write_text("respondent_id,question,themes\nR1,challenges,resource_needs\nR2,challenges,none\n"
                     "R3,challenges,\n")
    result = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--coded-sample", str(coded), "--out",
                                      str(tmp_path / "out"), "--model", "test:hashing", "--no-cache"])
    # R2's answer is a calibration passage: left out of the agreement and the error rates, and said
    assert ("  coded      coded.csv: 2 coded answers, 1 used (1 is a passage the classifier learned from, or a copy of "
            "one); left out 1 row whose codes cell is empty (not coded yet; write 'none' for a passage with no theme); "
            "fewer than the 100 an estimate needs, so the counts stay raw (code more: themes sample --exclude)"
            ) in result.output.splitlines()
    assert "the server or the model was started" in str(result.exception)  # the announcement came first
    second = tmp_path / "second.csv"
    second.write_text("respondent_id,question,themes\nR4,effective_practices,trust\nR5,challenges,none\n")
    result = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--coded-sample", str(coded), "--coded-sample",
                                      str(second), "--out", str(tmp_path / "out"), "--model", "test:hashing",
                                      "--no-cache"])
    assert ("  coded      coded.csv + second.csv: 4 coded answers, 3 used (1 is a passage the classifier learned "
            "from, or a copy of one); left out 1 row whose codes cell is empty (not coded "
            "yet; write 'none' for a passage with no theme); fewer than the 100 an estimate needs, so the counts stay "
            "raw (code more: themes sample --exclude)") in result.output.splitlines()
    # Two types of one dimension in a cell: read as the most integrated, and said (review 145: with no word)
    framework = tmp_path / "framework.csv"
    framework.write_text("respondent_id,question,themes\nR1,challenges,service_model.referral; service_model.joint\n"
                         "R4,effective_practices,N/A\n")
    result = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--codebook", "partnership_models",
                                      "--coded-sample", str(framework), "--out", str(tmp_path / "out"), "--model",
                                      "test:hashing", "--no-cache"])
    assert any(line.startswith("  coded      framework.csv: ") and line.endswith(
        "; 1 cell of 'N/A' read as none (no theme); fewer than the 100 an estimate needs, so the counts stay raw (code "
        "more: themes sample --exclude); 1 row codes two types of one dimension (row 2: service_model referral, "
        "joint), read as the most integrated") for line in result.output.splitlines()), result.output


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("export", ["workbook", "long"])
def test_a_strangers_export_is_coded_with_no_options_from_another_folder(tmp_path, monkeypatch, export):
    data = tmp_path / "data"
    data.mkdir()
    path = write_batch_xlsx(data) if export == "workbook" else write_long_csv(data)
    monkeypatch.chdir(tmp_path)  # no codebooks/ folder here: the default codebook comes with the package

    result = CliRunner().invoke(app, ["run", str(path), "--model", "test:hashing", "--no-cache", "--out", "out"])

    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    announced = manifest["input"]["announced"]
    assert "\n".join(announced) in result.output  # printed before the run, recorded in the manifest
    assert announced[0] == f"Reading {path}: 45 respondents, 135 answers"
    assert manifest["codebook"]["path"] == str(shipped_codebooks()["rfi_themes"])
    assert manifest["codebook"]["calibration_source"] == "beside the codebook"
    assert manifest["codebook"]["calibration"]["matches_codebook"] is True
    columns = manifest["input"]["columns"]
    if export == "workbook":
        assert (columns["sheet"], columns["id_column"]) == ("Responses", "Submission ID")
        assert manifest["accounting"]["input_answers"] == 135
        # the metadata was found, so the counts are broken down by it
        assert sorted(p.name for p in (tmp_path / "out").glob("theme_counts_by_*.csv")) == [
            "theme_counts_by_organization_category.csv", "theme_counts_by_question.csv",
            "theme_counts_by_state___territory.csv"]
    else:
        assert (columns["id_column"], columns["question_column"], columns["answer_column"]) == \
            ("resp_id", "item_code", "response_text")
        # one answer per row, none read as a duplicate (read wide, a long file's rows were "respondents")
        assert manifest["respondent_id_problems"] == [] and manifest["accounting"]["input_answers"] == 135
        assert manifest["accounting"].get("duplicate", 0) == 0


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_progress_is_reported_per_stage_with_embedding_counted_per_batch(tmp_path, tiny_responses_path):
    from themes.flows import code_responses

    seen = []
    code_responses.progress_hook = lambda stage, done, total: seen.append((stage, done, total))
    try:
        settings = RunSettings(codebook="rfi_themes", model="test:hashing", cache_dir=None, batch_size=2)
        code_responses.run_flow(str(tiny_responses_path), str(tmp_path / "out"), settings)
    finally:
        code_responses.progress_hook = None
    stages = list(dict.fromkeys(stage for stage, _, _ in seen))
    assert stages == ["reading", "cleaning", "segmenting", "embedding", "coding", "counting", "picking quotes",
                      "writing"]
    embedding = [done for stage, done, _ in seen if stage == "embedding"]
    # the coder's texts, then the survey's: the total grows once the survey's are known
    total = [total for stage, _, total in seen if stage == "embedding"][-1]
    assert embedding[0] == 0 and embedding[-1] == total and len(set(embedding)) > 3  # batch by batch
    assert embedding == sorted(embedding)


def test_questions_the_calibration_never_learned_are_announced(tmp_path, tiny_responses_path, tiny_codebook_path,
                                                               monkeypatch):
    """The classifier reads the question as a word: a renamed question column codes without it."""
    import themes.cli
    from themes.calibrate import Calibration, CodedPassage, save_calibration

    monkeypatch.setattr(themes.cli, "_run_with_progress", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("the server or the model was started")))
    questions = list(dict.fromkeys(pd.read_csv(tiny_responses_path).columns[3:]))
    calibration = tmp_path / "tiny.calibration.json"

    def announced(learned: list[str], *options: str, use_question: bool = True) -> list[str]:
        save_calibration(Calibration(codebook=str(tiny_codebook_path), codebook_hash="x", model="test:hashing",
                                     method="logistic", C=1.0, use_question=use_question, thresholds={},
                                     passages=[CodedPassage(text="We trust them.", themes=["trust"], question=q)
                                               for q in learned]), calibration)
        result = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--codebook", str(tiny_codebook_path),
                                          "--calibration", str(calibration), "--out", str(tmp_path / "out"),
                                          "--model", "test:hashing", "--no-cache", *options])
        return [line for line in result.output.splitlines() if line.startswith("  questions  ")]

    assert announced(questions) == []
    assert announced(questions[:1]) == [
        f"  questions  {', '.join(repr(q) for q in questions[1:])} not among the calibration's ({questions[0]}): "
        "coded by models learned without the question, which agree less with people. Say which each is "
        f"(--question-as \"{questions[1]}=NAME\", NAME one of those), or calibrate on this survey's coded sample."]
    assert announced(questions[:1], use_question=False) == []
    # A question named otherwise (a wording, a longer name) is read as the calibration's that it names.
    assert questions == ["challenges", "effective_practices", "community_engagement"]
    assert announced(["practices", "engagement"]) == [
        "  questions  read as the calibration's: 'effective_practices' as 'practices', 'community_engagement' as "
        "'engagement'",
        "  questions  'challenges' not among the calibration's (practices, engagement): coded by models learned "
        "without the question, which agree less with people. Say which each is (--question-as \"challenges=NAME\", "
        "NAME one of those), or calibrate on this survey's coded sample."]
    # What no word of its name places is read as the user says (--question-as), and said so
    assert announced(["challenges", "practices"], "--question-as", "community_engagement=challenges") == [
        "  questions  read as the calibration's: 'effective_practices' as 'practices', 'community_engagement' (as "
        "told) as 'challenges'"]
    assert announced(questions[:1], "--question-as", "COMMUNITY_ENGAGEMENT=challenges")[0].startswith(
        "  questions  read as the calibration's: 'community_engagement' (as told) as 'challenges'")


@pytest.mark.parametrize("given, told", [
    ("challenges", "--question-as 'challenges': write the survey's question, '=' and the calibration's question"),
    ("=challenges", "--question-as '=challenges': write the survey's question"),
    ("What helped?=challenges", "--question-as 'What helped?': the survey has no such question (its questions: "
                                "'challenges', 'effective_practices', 'community_engagement')"),
    ("challenges=barriers", "--question-as 'challenges'='barriers': 'barriers' is not a question the calibration "
                            "learned; name one of challenges, effective_practices."),
])
def test_a_wrong_question_as_is_one_line_before_the_model(tmp_path, monkeypatch, tiny_responses_path,
                                                          tiny_codebook_path, given, told):
    import themes.cli
    from themes.calibrate import Calibration, CodedPassage, save_calibration

    monkeypatch.setattr(themes.cli, "_run_with_progress", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("the server or the model was started")))
    calibration = tmp_path / "tiny.calibration.json"
    save_calibration(Calibration(codebook=str(tiny_codebook_path), codebook_hash="x", model="test:hashing",
                                 method="logistic", C=1.0, use_question=True, thresholds={},
                                 passages=[CodedPassage(text="We trust them.", themes=["trust"], question=q)
                                           for q in ("challenges", "effective_practices")]), calibration)
    result = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--codebook", str(tiny_codebook_path),
                                      "--calibration", str(calibration), "--out", str(tmp_path / "out"),
                                      "--model", "test:hashing", "--no-cache", "--question-as", given])
    assert result.exit_code != 0
    assert told in result.output and "Traceback" not in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1


def test_the_summary_prints_a_raw_count_beside_estimates_as_raw_not_as_nan():
    from themes.cli import _interval

    assert _interval({"estimate": 20.8, "low": float("nan"), "high": float("nan")}) == "raw, not coded"
    assert _interval({"estimate": 20.8, "low": 10.0, "high": 31.5}) == "20.8% (10.0-31.5)"
    assert _interval({"estimate": float("nan"), "low": float("nan"), "high": float("nan")}) == "not estimated"


def test_coding_another_language_says_what_codes_it_and_that_nothing_measured_it(tmp_path, tiny_responses_path,
                                                                                 monkeypatch):
    import themes.cli

    def started(*args, **kwargs):
        raise AssertionError("the server or the model was started")

    monkeypatch.setattr(themes.cli, "_run_with_progress", started)
    result = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--languages", "en,es", "--out",
                                      str(tmp_path / "out"), "--model", "test:hashing", "--no-cache"])
    assert ("  languages  en, es: answers in es are coded by test:hashing, against the codebook's English examples "
            "and calibration; agreement on them is not measured") in result.output.splitlines()


def test_a_codebook_with_a_theme_short_of_examples_says_it_runs_zero_shot(tmp_path, tiny_responses_path,
                                                                          monkeypatch):
    """One theme with two examples made the whole uncalibrated codebook zero-shot (kappa 0.525 against 0.649), and
    only the report's method said so."""
    import yaml

    import themes.cli

    def started(*args, **kwargs):
        raise AssertionError("the server or the model was started")

    monkeypatch.setattr(themes.cli, "_run_with_progress", started)
    data = yaml.safe_load(open("codebooks/rfi_themes.yaml", encoding="utf-8"))
    data["themes"][2]["examples"] = data["themes"][2]["examples"][:2]
    book = tmp_path / "book.yaml"
    book.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--codebook", str(book), "--out",
                                      str(tmp_path / "out"), "--model", "test:hashing", "--no-cache"])
    assert ("  method     zero-shot (similarity to each category's definition and examples): 'community_engagement' "
            "(2) has fewer than 3 examples, and the classifier learns from examples only when every category has 3 "
            "or more; add examples (on the sample's test split zero-shot agrees at kappa 0.525, the classifier "
            "learned from the examples at 0.649)") in result.output.splitlines()
    shipped = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--out", str(tmp_path / "out2"), "--model",
                                       "test:hashing", "--no-cache"])
    assert "zero-shot" not in shipped.output
    # evaluate says it too, before its figure (it said only "calibration none")
    from themes.flows import agreement as flow

    monkeypatch.setattr(flow, "evaluate_agreement", started)
    gold = tmp_path / "gold.csv"
    gold.write_text("text,themes\nWe trust them.,trust\nGrants end.,none\n", encoding="utf-8")
    evaluated = CliRunner().invoke(app, ["evaluate", "--gold", str(gold), "--codebook", str(book), "--out",
                                         str(tmp_path / "e")])
    assert any(line.startswith("  method     zero-shot (similarity to each category's definition and examples): "
                               "'community_engagement' (2)") for line in evaluated.output.splitlines())
    assert "the server or the model was started" in str(evaluated.exception)


@pytest.mark.parametrize("command", ["evaluate", "calibrate"])
def test_a_missing_coded_file_is_named_as_one(tmp_path, no_server, command):
    result = CliRunner().invoke(app, [command, "--gold", str(tmp_path / "nope.csv"), "--model", "test:hashing"])
    assert (result.exit_code, result.output.strip()) == (
        2, f"error: Coded file not found: {tmp_path / 'nope.csv'}. Check the --gold path.")


def test_every_language_name_the_options_translate_is_one_the_screen_knows():
    from themes.clean import known_languages
    from themes.settings import _LANGUAGE_NAMES

    assert set(_LANGUAGE_NAMES.values()) <= set(known_languages())


def test_a_coded_answer_the_run_will_not_code_is_said_and_left_out_before_the_server(tmp_path, monkeypatch):
    """A coded answer in another language passed the check before the run and failed after the whole run; then it
    was refused before the server, and so was a sample coded before the screen learned a placeholder ("See Q3").
    The run does not code it, so the correction leaves it out, and says so before the server."""
    survey = tmp_path / "survey.csv"
    survey.write_text("respondent_id,challenges\n"
                      "R1,Grants end after two years and we lose the staff we trained for months\n"
                      "R2,Trust between our directors was built over many years of shared work\n"
                      "R3,Necesitamos más fondos para contratar promotoras de salud en la comunidad rural\n")
    coded = tmp_path / "coded.csv"
    coded.write_text("respondent_id,question,themes\nR1,challenges,resource_needs\nR2,challenges,trust\n"
                     "R3,challenges,resource_needs\n")
    from themes.flows import code_responses

    class Started(Exception):
        pass

    def started(*args, **kwargs):
        raise Started

    monkeypatch.setattr(code_responses, "run_flow", started)
    result = CliRunner().invoke(app, ["run", str(survey), "--coded-sample", str(coded), "--out",
                                      str(tmp_path / "out"), "--model", "test:hashing", "--no-cache"])
    assert ("warning: coded.csv: 1 coded answer the run does not code (e.g. respondent 'R3', question 'challenges': "
            "non_english, ") in result.output
    assert "set --languages to code it" in next(line for line in result.output.splitlines() if "R3" in line)
    assert isinstance(result.exception, Started)  # it went on to start the run
    coded.write_text("respondent_id,question,themes\nR1,challenges,resource_needs\nR9,challenges,trust\n")
    result = CliRunner().invoke(app, ["run", str(survey), "--coded-sample", str(coded), "--out",
                                      str(tmp_path / "out"), "--model", "test:hashing", "--no-cache"])
    assert result.exit_code == 2 and result.output.strip().splitlines()[-1] == (
        f"error: {coded}:3: respondent 'R9', question 'challenges' matches no answer of the input. Check the ids and "
        "question names.")


def test_a_coded_sample_whose_answers_are_not_this_inputs_stops_or_warns(tmp_path, tiny_responses_path, monkeypatch):
    """Coded answers are matched by respondent and question; their text is checked too. Ids renumbered since the
    draw (the keys still name usable answers, other ones) put every code on another answer: one line, before the
    server. One answer edited since the draw is a warning; the same text re-spaced or cut short is no difference."""
    import themes.cli

    def started(*args, **kwargs):
        raise AssertionError("the server or the model was started")

    monkeypatch.setattr(themes.cli, "_run_with_progress", started)
    answers = {"R1": "Trust between our directors, built over ten years of working together.",
               "R2": "Regular check-ins and shared goals.",
               "R4": "Our partners know each other well and are honest when things go wrong.",
               "R5": "A champion on the hospital side made it happen."}
    ids = list(answers)

    def write(name: str, keyed: list[str], texts: list[str]) -> Path:
        path = tmp_path / name
        pd.DataFrame({"respondent_id": keyed, "question": "effective_practices", "answer": texts,
                      "themes": ["trust", "none", "trust", "none"]}).to_csv(path, index=False)
        return path

    def run(path: Path):
        return CliRunner().invoke(app, ["run", str(tiny_responses_path), "--coded-sample", str(path), "--out",
                                        str(tmp_path / "out"), "--model", "test:hashing", "--no-cache"])

    renumbered = write("renumbered.csv", ids[1:] + ids[:1], list(answers.values()))
    result = run(renumbered)
    assert result.exit_code == 2 and result.output.strip() == (
        "error: renumbered.csv: 4 of 4 coded answers' text is not this input's answer under the same respondent and "
        "question (the first: respondent 'R2', question 'effective_practices'): the codes belong to other answers. "
        "Was the sample drawn from another export, or the ids renumbered since? Draw and code a sample of this input "
        "(themes sample). If the coders edited the answers in their copy, delete its answer column: the answers are "
        "then looked up by respondent and question.")
    keyed = tmp_path / "keyed.csv"  # as that line says: without the text column the codes are read by their keys
    pd.read_csv(renumbered, dtype=str).drop(columns=["answer"]).to_csv(keyed, index=False)
    result = run(keyed)  # every check passed: the run went on to start the model
    assert isinstance(result.exception, AssertionError) and "was started" in str(result.exception)
    texts = list(answers.values())
    texts[0] = "  trust between our directors,\nbuilt over ten years of working together."  # spacing and case
    same = write("same.csv", ids, texts)
    assert "warning:" not in run(same).output
    texts[1] = "We meet the CEO every month and write the plan together."  # edited since the draw
    edited = write("edited.csv", ids, texts)
    result = run(edited)
    assert ("warning: edited.csv: 1 of 4 coded answers' text is not this input's answer under the same respondent "
            "and question (the first: respondent 'R2', question 'effective_practices'); they are read as codes of "
            "this input's answers: check that the answers were only edited since the draw, and code again (or drop) "
            "the rows whose edits change what they say.") in result.output
    assert "the server or the model was started" in str(result.exception)


def test_a_coded_sample_without_one_answer_coded_none_is_doubted(tmp_path, tiny_responses_path, monkeypatch):
    """Answers picked for carrying themes are no random sample: the correction would count more respondents than
    raised them. A sample of 100 or more with no answer coded 'none' is a warning before the server; one 'none' is
    enough to say nothing (a survey may truly have few)."""
    import themes.cli

    monkeypatch.setattr(themes.cli, "_run_with_progress", lambda *a, **k: (_ for _ in ()).throw(AssertionError("ran")))
    table = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    rows = [{"respondent_id": f"P{k}", "org_type": "Government", "state": "OH",
             "challenges": f"Grant number {k} ends and we cannot keep staff on.", "effective_practices": "",
             "community_engagement": ""} for k in range(110)]
    big = tmp_path / "big.csv"
    pd.concat([table, pd.DataFrame(rows)]).to_csv(big, index=False)
    coded = pd.DataFrame({"respondent_id": [r["respondent_id"] for r in rows], "question": "challenges",
                          "themes": ["resource_needs", "trust"] * 55})
    picked = tmp_path / "picked.csv"
    coded.to_csv(picked, index=False)

    def warned(path: Path) -> list[str]:
        result = CliRunner().invoke(app, ["run", str(big), "--coded-sample", str(path), "--out", str(tmp_path / "o"),
                                          "--model", "test:hashing", "--no-cache"])
        assert "ran" in str(result.exception), result.output
        return [line for line in result.output.splitlines() if line.startswith("warning: picked")]

    assert warned(picked) == [
        "warning: picked.csv: not one of its 110 coded answers is coded 'none' (no theme); a random sample of a "
        "survey's answers holds some. If these answers were picked for carrying themes, the corrected counts "
        "overstate them: code a random sample (themes sample)."]
    coded.loc[0, "themes"] = "none"
    coded.to_csv(picked, index=False)
    assert warned(picked) == []


@pytest.mark.usefixtures("prefect_harness")
def test_a_forced_run_keeps_and_names_the_files_a_run_does_not_write(tmp_path, tiny_responses_path):
    def run(*extra: str):
        return CliRunner().invoke(app, ["run", str(tiny_responses_path), "--model", "test:hashing", "--no-cache",
                                        "--out", str(tmp_path / "out"), *extra])

    assert run().exit_code == 0
    (tmp_path / "out" / "coding_sample.xlsx").write_bytes(b"the coders' work")
    result = run("--force")
    assert result.exit_code == 0, result.output
    assert (f"Kept in {tmp_path / 'out'}/, as the folder it replaced held them (not a run's files): "
            "coding_sample.xlsx") in result.output
    assert (tmp_path / "out" / "coding_sample.xlsx").read_bytes() == b"the coders' work"


def test_a_calibration_made_for_a_codebook_since_renamed_is_said_and_its_stale_codes_not_learned(
        tmp_path, tiny_responses_path, tiny_codebook_path, monkeypatch):
    """A theme renamed since the calibration: its 388 passages were learned as negatives of every theme (the renamed
    theme fell from 64% to 3% of respondents), and with --calibration nothing was said."""
    import themes.cli
    from themes.calibrate import Calibration, CodedPassage, save_calibration
    from themes.codebook import load_codebook
    from themes.coding import fit_coder

    monkeypatch.setattr(themes.cli, "_run_with_progress", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("the server or the model was started")))
    codebook = load_codebook(tiny_codebook_path)
    passages = [CodedPassage(text="We trust them.", themes=["trusting"]),
                CodedPassage(text="Grants end in June.", themes=[codebook.themes[0].id]),
                CodedPassage(text="Nothing to add.", themes=["none"])]
    calibration = Calibration(codebook=str(tiny_codebook_path), codebook_hash="0123456789abcdef",
                              model="test:hashing", method="logistic", C=1.0, thresholds={}, passages=passages)
    path = tmp_path / "tiny.calibration.json"
    save_calibration(calibration, path)
    result = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--codebook", str(tiny_codebook_path),
                                      "--calibration", str(path), "--out", str(tmp_path / "out"),
                                      "--model", "test:hashing", "--no-cache"])
    assert (f"calibration tiny.calibration.json (option --calibration, but made for other content (codebook hash "
            f"0123456789abcdef, this one {codebook.content_hash()}): run 'themes calibrate' again)") in result.output
    assert ("  calibration 1 of its 3 passages are coded 'trusting', which this codebook does not have (renamed or "
            "removed since): the model those codes belong to does not learn from them. Run 'themes calibrate' "
            "again") in result.output.splitlines()

    # Passages of every other code but 'funding': it may be 'trusting' renamed, said with how to keep its passages
    save_calibration(calibration.model_copy(update={"passages": [
        *passages, CodedPassage(text="We trust the clinic.", themes=["trust"]),
        CodedPassage(text="They refer clients to us.", themes=["service.referral"]),
        CodedPassage(text="One team runs the clinic.", themes=["service.joint"])]}), path)
    said = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--codebook", str(tiny_codebook_path),
                                    "--calibration", str(path), "--out", str(tmp_path / "out"),
                                    "--model", "test:hashing", "--no-cache"]).output
    assert ("  calibration 1 of its 6 passages are coded 'trusting', which this codebook does not have (renamed or "
            "removed since): the model those codes belong to does not learn from them (if 'funding', which no "
            "passage codes, is 'trusting' renamed: write 'formerly: [trusting]' under 'funding' in the codebook, and "
            "its passages are read as its own)") in said.splitlines()
    save_calibration(calibration, path)

    learned: list[list[str]] = []  # each model's training texts, the themes' first

    def embed(texts):
        learned.append(list(texts))
        return np.zeros((len(texts), 8))

    fit_coder(codebook, embed, calibration, method="logistic")
    themes, service = learned[0], learned[1]
    assert "Grants end in June." in themes and "We trust them." not in themes
    assert "We trust them." in service  # a theme's old name leaves the dimension's codes as they were


def test_a_calibration_tuned_with_another_model_is_said():
    """The shipped calibration under another --model: its thresholds were tuned on MiniLM's scores, with no word."""
    from types import SimpleNamespace

    from themes.cli import _other_model_line

    assert _other_model_line(SimpleNamespace(model="all-MiniLM-L6-v2"), "all-MiniLM-L6-v2") == []
    assert _other_model_line(SimpleNamespace(model="all-MiniLM-L6-v2"), "/models/all-MiniLM-L6-v2") == []
    assert _other_model_line(SimpleNamespace(model="all-MiniLM-L6-v2"), "paraphrase-multilingual-MiniLM-L12-v2") == [
        "  calibration made with the model all-MiniLM-L6-v2; this run embeds with "
        "paraphrase-multilingual-MiniLM-L12-v2: its thresholds were tuned on the other model's scores (themes calibrate --model re-tunes them for this one)"]


def test_a_run_into_a_projects_output_is_refused_before_the_model(tmp_path, tiny_responses_path, monkeypatch):
    """`themes run week1.csv --out project/output --force` replaced a project's figures with one export's, its
    project.json still listing every batch, with exit 0."""
    import themes.cli

    def started(*args, **kwargs):
        raise AssertionError("the server or the model was started")

    monkeypatch.setattr(themes.cli, "_run_with_progress", started)
    (tmp_path / "project" / "output").mkdir(parents=True)
    (tmp_path / "project" / "project.json").write_text('{"batches": []}', encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--out", str(tmp_path / "project" / "output"),
                                      "--force", "--model", "test:hashing", "--no-cache"])
    assert result.exit_code == 2 and result.output.strip().splitlines()[-1] == (
        f"error: --out {tmp_path / 'project' / 'output'} is the output of the project in {tmp_path / 'project'}, "
        "which writes it from every batch: a run here would replace its figures with this export's alone. Add the "
        "export to the project (its inbox), or choose another --out.")
    # another tool's project.json (no batches) beside an output folder is no project of ours
    (tmp_path / "project" / "project.json").write_text('{"name": "web-app"}', encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--out", str(tmp_path / "project" / "output"),
                                      "--force", "--model", "test:hashing", "--no-cache"])
    assert "the server or the model was started" in str(result.exception)


@pytest.mark.usefixtures("prefect_harness")
def test_themes_no_calibration_passage_codes_are_said_in_the_run_and_its_report(tmp_path, tiny_responses_path,
                                                                              tiny_codebook_path):
    """A researcher's review: a theme added with 2 examples, calibrated on a sample that never coded it, flagged none
    of the 17 answers that raised it, and the report gave "0 of 48 respondents (0%)" as a finding, with no word."""
    from themes.calibrate import Calibration, CodedPassage, save_calibration
    from themes.codebook import load_codebook

    codebook = load_codebook(tiny_codebook_path)
    passages = [CodedPassage(text="We trust the clinic's staff.", themes=["trust"]),
                CodedPassage(text="We refer families to the food bank.", themes=["trust", "service.referral"]),
                CodedPassage(text="Nothing to add.", themes=["none"])]
    path = tmp_path / "tiny.calibration.json"
    calibration = Calibration(codebook=str(tiny_codebook_path), codebook_hash=codebook.content_hash(),
                              model="test:hashing", method="logistic", C=1.0, thresholds={}, passages=passages)
    save_calibration(calibration, path)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--codebook", str(tiny_codebook_path),
                                      "--calibration", str(path), "--out", str(out), "--model", "test:hashing",
                                      "--no-cache"])
    assert result.exit_code == 0, result.output
    examples = {c.id: len(c.theme.examples) for c in codebook.categories}
    named = f"'funding' ({examples['funding']} examples), 'service.joint' ({examples['service.joint']} examples)"
    assert (f"  calibration codes no passage with {named}: learned from the examples alone, their counts are untested "
            "(0 where the theme is present, perhaps); code answers with them (themes sample) and run 'themes "
            "calibrate' again") in result.output.splitlines()
    report = (out / "report.md").read_text(encoding="utf-8")
    assert f"no calibration passage codes {named}: the classifier learned them from the codebook's examples alone" \
        in report


def test_a_codebook_beside_another_with_no_negatives_is_said(tmp_path, tiny_responses_path, tiny_codebook_path,
                                                             monkeypatch):
    """A researcher's review: a discovered codebook of two themes (9 and 5 examples) run beside the shipped one flagged
    100% of respondents for one of them, and nothing said why."""
    import themes.cli

    monkeypatch.setattr(themes.cli, "_run_with_progress", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("the server or the model was started")))
    emergent = tmp_path / "emergent.yaml"
    themes = "".join(f"  - id: {tid}\n    label: {tid.title()}\n    definition: {tid}.\n"
                     f"    examples: [\"{tid} one\", \"{tid} two\", \"{tid} three\"]\n"
                     for tid in ("funding_mix", "case_management"))
    emergent.write_text("name: Emergent\nthemes:\n" + themes, encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--codebook", str(tiny_codebook_path),
                                      "--codebook", str(emergent), "--out", str(tmp_path / "out"), "--model",
                                      "test:hashing", "--no-cache"])
    said = (f"  negatives  {emergent} has no none_examples and no counter_examples: its themes learn what they are not "
            "from each other's examples alone, so they may flag most answers; add none_examples (passages that carry "
            "none of its themes), or merge it into the other codebook")
    assert said in result.output.splitlines()
    emergent.write_text(emergent.read_text(encoding="utf-8") + "none_examples: [\"We meet monthly.\"]\n",
                        encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--codebook", str(tiny_codebook_path),
                                      "--codebook", str(emergent), "--out", str(tmp_path / "out"), "--model",
                                      "test:hashing", "--no-cache"])
    assert "  negatives" not in result.output


def test_a_breakdown_no_group_of_which_can_show_is_said_before_the_server(tmp_path, tiny_responses_path, monkeypatch):
    """A column of a value per respondent given as metadata (a date, a zip code) gave a report section hiding its
    every group, and no word in the console: said now, with the minimum it misses."""
    import themes.cli

    def started(*args, **kwargs):
        raise AssertionError("the server or the model was started")

    monkeypatch.setattr(themes.cli, "_run_with_progress", started)
    table = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    table["submitted_on"] = [f"2024-05-0{k}" for k in range(1, 6)]
    table.to_csv(tmp_path / "dated.csv", index=False)
    options = ["run", str(tmp_path / "dated.csv"), "--meta-column", "submitted_on", "--meta-column", "state",
               "--out", str(tmp_path / "out"), "--model", "test:hashing", "--no-cache"]
    said = CliRunner().invoke(app, [*options, "--min-group", "2"]).output.splitlines()
    assert "  metadata   'submitted_on' has 5 values, none held by 2 respondents (--min-group): its breakdown will " \
           "show no group" in said
    assert not any(line.startswith("  metadata   'state'") for line in said)  # CA twice
    blank = table.copy()  # ... once R4, of CA, leaves every answer blank: no group reaches 2 respondents
    blank.loc[blank["respondent_id"] == "R4", ["challenges", "effective_practices", "community_engagement"]] = ""
    blank.to_csv(tmp_path / "dated.csv", index=False)
    said = CliRunner().invoke(app, [*options, "--min-group", "2"]).output.splitlines()
    assert "  metadata   'state' has 4 values, none held by 2 respondents (--min-group): its breakdown will show no " \
           "group" in said
    table.to_csv(tmp_path / "dated.csv", index=False)
    said = CliRunner().invoke(app, [*options, "--min-group", "1"]).output
    assert "its breakdown will show no group" not in said
    # REDCap's raw export codes a respondent's type: its groups would read "1", "2", "3"; years are no such codes
    table["org_type"] = ["1", "2", "3", "", "2"]  # a blank is no value of its own
    table["submitted_on"] = ["2019", "2020", "2019", "2021", "2020"]
    table.to_csv(tmp_path / "dated.csv", index=False)
    said = CliRunner().invoke(app, [*options, "--meta-column", "org_type", "--min-group", "1"]).output.splitlines()
    assert ("  metadata   'org_type' holds numbers (1, 2, 3), a survey tool's codes for its choices: the breakdown's "
            "groups will read as those numbers (export the choices' labels: REDCap's 'labels' export, Qualtrics's "
            "'Use choice text')") in said
    assert not any(line.startswith("  metadata   'submitted_on' holds") for line in said)


def test_the_opening_block_says_how_many_coded_answers_the_run_uses(tmp_path, tiny_responses_path, monkeypatch):
    """A coded answer the classifier learned from (a codebook example written into the survey) is left out of the
    run's agreement and error rates: the opening block said "120 coded answers" where the report used 112."""
    import themes.cli

    def started(*args, **kwargs):
        raise AssertionError("the server or the model was started")

    monkeypatch.setattr(themes.cli, "_run_with_progress", started)
    table = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    table.loc[0, "challenges"] = "We've been running the program on volunteer hours since the pilot money ran out."
    table.to_csv(tmp_path / "survey.csv", index=False)
    coded = tmp_path / "coded.csv"
    coded.write_text("respondent_id,question,themes\nR1,challenges,resource_needs\nR5,challenges,none\n"
                     "R1,effective_practices,trust\n")
    result = CliRunner().invoke(app, ["run", str(tmp_path / "survey.csv"), "--coded-sample", str(coded), "--out",
                                      str(tmp_path / "out"), "--model", "test:hashing", "--no-cache"])
    assert ("  coded      coded.csv: 3 coded answers, 2 used (1 is a passage the classifier learned from, or a copy "
            "of one); fewer than the 100 an estimate needs, so the counts stay raw (code more: themes sample "
            "--exclude)") in result.output.splitlines()

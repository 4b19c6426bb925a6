"""Bad input across the commands, found by a sweep of every command (2026-12-01): each is one line that says how to
fix it, a non-zero exit, and comes before the slow start (the model, the server, the cross-validation)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from themes.errors import ThemesError

GOLD = Path("data/sample_rfi/gold.csv")


@pytest.fixture
def run_folder(tmp_path, tiny_codebook_path) -> Path:
    from run_files import write_run_folder

    answers = [{"respondent_id": f"R{i}", "question": q, "answer": f"Answer {i} to {q}: trust and funding.",
                "org_type": "CBO", "state": "OH"} for i in range(12) for q in ("challenges", "goals")]
    return write_run_folder(tmp_path / "run", answers, codebook_path=tiny_codebook_path)


def _never(*args, **kwargs):
    raise AssertionError("the slow part started")


def _invoke(args, monkeypatch=None, env=None):
    from themes.cli import app

    return CliRunner().invoke(app, args, env=env)


def _error_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2 and len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize(("output", "said"), [
    ("/proc/x.json", "cannot be written"),  # found after minutes of cross-validation: 'unexpected FileNotFoundError'
    ("{tmp}", "is a folder"),
    ("{tmp}/missing/sub/x.json", "does not exist"),
    ("{tmp}/x.txt", "does not end in .json"),
])
def test_calibrate_checks_where_it_saves_before_it_learns(tmp_path, monkeypatch, output, said):
    import themes.flows.agreement

    monkeypatch.setattr(themes.flows.agreement, "calibrate_codebook", _never)
    result = _invoke(["calibrate", "--gold", str(GOLD), "--output", output.format(tmp=tmp_path),
                      "--model", "test:hashing"])
    assert said in _error_line(result)


def test_evaluate_checks_its_out_folder_before_the_model(tmp_path, monkeypatch):
    import themes.flows.agreement

    monkeypatch.setattr(themes.flows.agreement, "evaluate_agreement", _never)
    result = _invoke(["evaluate", "--gold", str(GOLD), "--split", "test", "--out", "/proc/ev", "--model",
                      "test:hashing"])
    assert "cannot be" in _error_line(result)


@pytest.mark.parametrize("command", [["evaluate", "--gold", str(GOLD), "--out", "{tmp}/ev"],
                                     ["calibrate", "--gold", str(GOLD), "--output", "{tmp}/c.json"],
                                     ["discover", "{tmp}/no-run", "--out", "{tmp}/d"]])
def test_a_device_set_in_the_environment_is_checked_by_every_command(tmp_path, monkeypatch, command):
    """evaluate, calibrate and discover ignored THEMES_DEVICE=bogus (exit 0), or failed after the model."""
    import themes.flows.agreement

    for flow in ("evaluate_agreement", "calibrate_codebook"):  # (nothing is written where the check is missing)
        monkeypatch.setattr(themes.flows.agreement, flow, _never)
    result = _invoke([part.format(tmp=tmp_path) for part in command] + ["--model", "test:hashing"] * (
        command[0] != "discover"), env={"THEMES_DEVICE": "bogus"})
    assert _error_line(result) == ("error: The 'THEMES_DEVICE' must be one of ['auto', 'cpu', 'cuda', 'mps']. Got "
                                   "'bogus' instead.")


@pytest.mark.parametrize(("model", "said"), [
    ("bogus-model", "is neither the bundled all-MiniLM-L6-v2, a local folder, nor in the model cache"),
    ("/nonexistent/model", "no such model folder"),
    ("{tmp}", "is a folder without a sentence-transformers model"),
])
def test_a_model_that_cannot_load_is_one_line_before_the_run(tmp_path, tiny_responses_path, monkeypatch, model, said):
    import themes.cli

    monkeypatch.setattr(themes.cli, "_run_with_progress", _never)
    result = _invoke(["run", str(tiny_responses_path), "--out", str(tmp_path / "out"), "--model",
                      model.format(tmp=tmp_path)])
    assert said in _error_line(result)
    monkeypatch.setattr("themes.flows.agreement.evaluate_agreement", _never)
    assert said in _error_line(_invoke(["evaluate", "--gold", str(GOLD), "--model", model.format(tmp=tmp_path),
                                        "--out", str(tmp_path / "ev")]))


@pytest.mark.parametrize("languages", ["", ",", " , "])
def test_no_language_at_all_is_refused_not_a_screen_turned_off(tmp_path, tiny_responses_path, monkeypatch, languages):
    import themes.cli

    monkeypatch.setattr(themes.cli, "_run_with_progress", _never)
    result = _invoke(["run", str(tiny_responses_path), "--out", str(tmp_path / "out"), "--model", "test:hashing",
                      "--languages", languages])
    assert "--languages needs at least one language code" in _error_line(result)


def test_coded_rows_without_a_passage_are_said_to_be_left_out(tmp_path, tiny_codebook):
    from themes.evaluate import gold_announcement, read_gold

    path = tmp_path / "g.csv"
    rows = ["text,themes", "We trust them.,trust", ",trust", "Money is short.,funding", " ,none", "Nothing.,none"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    gold = read_gold(path, tiny_codebook)
    assert len(gold) == 3
    assert "  no text    2 coded rows with an empty passage, left out: fill in their text to measure them" in \
        gold_announcement(gold, path)


@pytest.mark.parametrize(("content", "said"), [
    ("- id_column: respondent_id\n", "holds a list, not settings"),
    ("just a sentence\n", "holds a line of text, not settings"),
    ("id_column: [respondent_id, state]\n", "id_column names one column; got ['respondent_id', 'state']"),
    ("id_column: [unclosed\n", "cannot be parsed at line 2"),
    ("id_column: No\n", "Put the name in quotes: id_column: 'No'"),
    ("text_columns: [yes, on]\n", "text_columns holds true, not a name"),  # read as the columns 'True', 'True'
    ("meta_columns: off\n", "meta_columns holds false, not a name"),
    (b"\xff\xfe\x00bin", "is not text (UTF-8)"),
])
def test_a_settings_file_beside_the_input_that_cannot_be_read_says_how_to_write_it(tmp_path, content, said):
    from themes.ingest import InputSpec, resolve_spec

    (tmp_path / "data.csv").write_text("respondent_id,answer\nR1,Trust.\n", encoding="utf-8")
    sidecar = tmp_path / "data.yaml"
    sidecar.write_bytes(content) if isinstance(content, bytes) else sidecar.write_text(content, encoding="utf-8")
    with pytest.raises(ThemesError, match="^" + str(sidecar)) as error:
        resolve_spec(tmp_path / "data.csv", InputSpec())
    assert said in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("manifest", ["[1, 2]", "{not json", ""])
def test_a_run_folder_whose_manifest_is_not_one_is_one_line(tmp_path, run_folder, manifest):
    from themes.runfolder import read_run

    run = run_folder
    (run / "manifest.json").write_text(manifest, encoding="utf-8")
    with pytest.raises(ThemesError, match=r"manifest\.json (is not a run's manifest|cannot be read)"):
        read_run(run)
    result = _invoke(["sample", str(run), "-n", "5", "--out", str(tmp_path / "s.xlsx")])
    assert "manifest.json" in _error_line(result)


def test_sample_checks_the_run_and_where_it_writes(tmp_path, run_folder):
    run = run_folder
    (tmp_path / "dir.csv").mkdir()
    assert "is a folder" in _error_line(_invoke(["sample", str(run), "-n", "5", "--out", str(tmp_path / "dir.csv"),
                                                 "--force"]))
    assert "cannot be written" in _error_line(_invoke(["sample", str(run), "-n", "5", "--out", "/proc/s.xlsx"]))
    responses = (run / "responses.csv").read_text(encoding="utf-8-sig").splitlines()
    header = responses[0].split(",")
    keep = [i for i, name in enumerate(header) if name != "status"]
    import csv
    import io

    rows = list(csv.reader(io.StringIO("\n".join(responses))))
    out = io.StringIO()
    csv.writer(out).writerows([[row[i] for i in keep] for row in rows])
    (run / "responses.csv").write_text(out.getvalue(), encoding="utf-8")
    line = _error_line(_invoke(["sample", str(run), "-n", "5", "--out", str(tmp_path / "s.xlsx")]))
    assert "lacks the column status that 'themes run' writes" in line


def test_discover_reads_its_codebook_as_every_command_does(tmp_path, run_folder):
    bad = tmp_path / "bad.yaml"
    bad.write_text("themes: [\n", encoding="utf-8")
    assert _error_line(_invoke(["discover", str(run_folder), "--codebook", str(bad), "--out",
                                str(tmp_path / "d")])).startswith(f"error: {bad}")


def test_discover_says_when_the_runs_codebook_is_gone(tmp_path, run_folder):
    from themes.research import _discover_notes
    from themes.runfolder import read_run

    run = read_run(run_folder)
    run.manifest = {**run.manifest, "codebook": {"path": str(tmp_path / "gone.yaml"), "content_hash": "x"},
                    "codebooks": None}
    found = type("Found", (), {"considered": 3, "clusters": __import__("pandas").DataFrame({"c": [1]})})()
    notes = _discover_notes(run, None, None, found, None)
    assert any("is not there any more: the draft holds the candidates alone" in note for note in notes)


@pytest.mark.parametrize(("args", "said"), [
    (["export-codebook", "rfi_themes", "--out", "/proc/x.qdc"], "cannot be written"),
    (["export-codebook", "rfi_themes", "--out", "{tmp}/x.yaml"], "does not end in .qdc"),
    (["export-codebook", "{tmp}/book.yaml", "--out", "{tmp}/book.yaml", "--force"], "is the file this command reads"),
    (["import-codebook", "{tmp}/book.qdc", "--out", "{tmp}/book.qdc", "--force"], "is the file this command reads"),
    (["import-codebook", "{tmp}/book.qdc", "--out", "{tmp}/book.txt"], "does not end in .yaml"),
    (["export-project", "{tmp}/run", "--out", "{tmp}/review.txt"], "does not end in .qdpx"),
])
def test_codebook_and_project_files_are_written_only_where_they_can_be(tmp_path, run_folder, args, said):
    shutil.copy("codebooks/rfi_themes.yaml", tmp_path / "book.yaml")
    assert _invoke(["export-codebook", str(tmp_path / "book.yaml"), "--out", str(tmp_path / "book.qdc")]).exit_code == 0
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir() if path.is_file()}
    assert said in _error_line(_invoke([a.format(tmp=tmp_path) for a in args]))
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir() if path.is_file()} == before


def test_a_run_does_not_replace_the_folder_that_holds_its_input(tmp_path, run_folder, tiny_responses_path,
                                                                 monkeypatch):
    import themes.cli

    monkeypatch.setattr(themes.cli, "_run_with_progress", _never)
    run = run_folder
    result = _invoke(["run", str(run / "responses.csv"), "--out", str(run), "--force", "--model", "test:hashing"])
    assert "is one of the files the run writes into --out" in _error_line(result)
    assert (run / "manifest.json").is_file()
    # A file of the user's in the folder is no run file: the run keeps it, moved into the new folder (a second review)
    shutil.copy(tiny_responses_path, run / "survey.csv")
    monkeypatch.setattr("themes.guard.preflight", lambda *args, **kwargs: None)  # (this fixture is no whole run)
    result = _invoke(["run", str(run / "survey.csv"), "--out", str(run), "--force", "--model", "test:hashing"])
    assert isinstance(result.exception, AssertionError), result.output  # past every check, into the (stubbed) run


def test_a_device_in_the_environment_is_no_concern_of_commands_that_embed_nothing(tmp_path):
    result = _invoke(["validate-codebook", "rfi_themes"], env={"THEMES_DEVICE": "bogus"})
    assert result.exit_code == 0, result.output


def test_a_model_name_is_looked_up_where_sentence_transformers_looks(tmp_path, monkeypatch):
    """A model cached under SENTENCE_TRANSFORMERS_HOME was refused; a name the hub does not allow was an
    'unexpected HFValidationError'; HF_HUB_OFFLINE=0 (downloads allowed) was overruled (a second review)."""
    from themes.embed import check_model

    snapshot = tmp_path / "st" / "models--myorg--mini" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}", encoding="utf-8")
    (tmp_path / "st" / "models--myorg--mini" / "refs").mkdir()
    (tmp_path / "st" / "models--myorg--mini" / "refs" / "main").write_text("abc123", encoding="utf-8")
    with pytest.raises(ThemesError, match="nor in the model cache"):
        check_model("myorg/mini")
    monkeypatch.setenv("SENTENCE_TRANSFORMERS_HOME", str(tmp_path / "st"))
    check_model("myorg/mini")
    with pytest.raises(ThemesError, match="nor in the model cache"):
        check_model("my modle")
    with pytest.raises(ThemesError, match="'~' is not expanded here"):
        check_model("~/models/mini")
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    check_model("someorg/not-cached")


@pytest.mark.parametrize(("content", "expected"), [("id_column: 2024\n", "2024"), ("id_column: ''\n", None)])
def test_a_settings_file_names_a_column_by_a_number_or_leaves_it_empty(tmp_path, content, expected):
    from themes.ingest import InputSpec, resolve_spec

    (tmp_path / "data.csv").write_text("2024,answer\nR1,Trust.\n", encoding="utf-8")
    (tmp_path / "data.yaml").write_text(content, encoding="utf-8")
    assert resolve_spec(tmp_path / "data.csv", InputSpec()).id_column == expected


def test_sample_does_not_write_over_the_coded_sample_it_excludes(tmp_path, run_folder):
    first = tmp_path / "coded1.csv"
    assert _invoke(["sample", str(run_folder), "-n", "5", "--out", str(first)]).exit_code == 0
    before = first.read_bytes()
    line = _error_line(_invoke(["sample", str(run_folder), "-n", "5", "--exclude", str(first), "--out", str(first),
                                "--force"]))
    assert "is the coded sample given to --exclude" in line and first.read_bytes() == before


def test_serve_checks_its_coded_sample_and_model_before_it_serves(tmp_path, monkeypatch):
    binary = tmp_path / "coded.csv"
    binary.write_bytes(b"\x00\x01\x02binary\x00")
    env = {"PREFECT_API_URL": "http://127.0.0.1:1/api"}
    line = _error_line(_invoke(["serve", "--coded-sample", str(binary)], env=env))
    assert line.startswith(f"error: --coded-sample {binary} cannot be read as a coded sample") and "survey" not in line
    assert "is neither the bundled" in _error_line(_invoke(["serve", "--model", "bogus-model"], env=env))
    # and a server that does not answer is not sent to the temporary server serve cannot use
    line = _error_line(_invoke(["serve"], env=env))
    assert "unset PREFECT_API_URL" not in line and "point PREFECT_API_URL at one that runs" in line


def test_a_calibration_made_for_another_codebook_stops_the_run(tmp_path, tiny_responses_path, monkeypatch):
    """It warned of 1,252 of its 1,611 passages coded with codes the codebook lacks, and went on: 38 answers coded
    where 157 were. A calibration with a few codes renamed since still only warns (tests/test_flow.py)."""
    import themes.cli

    monkeypatch.setattr(themes.cli, "_run_with_progress", _never)
    result = _invoke(["run", str(tiny_responses_path), "--out", str(tmp_path / "out"), "--model", "test:hashing",
                      "--codebook", "codebooks/rfi_themes.yaml",
                      "--calibration", "codebooks/partnership_models.calibration.json"])
    line = _error_line(result)
    assert line.startswith("error: The calibration was made for another codebook: ") and "themes calibrate" in line


def test_a_delimiter_other_than_a_comma_is_said_and_a_tsv_of_commas_is_one_line(tmp_path, monkeypatch):
    """A .csv read with ';' between its columns said nothing of it, and a comma-separated .tsv read as one column,
    with advice to name the id column (the sweep)."""
    import themes.cli

    monkeypatch.setattr(themes.cli, "_run_with_progress", _never)
    rows = ["respondent_id{0}org_type{0}challenges",
            "R1{0}CBO{0}Funding is short and our staff leave for the hospital.",
            "R2{0}Gov{0}Trust takes years to build with partners in the county."]
    (tmp_path / "semi.csv").write_text("\n".join(rows).format(";") + "\n", encoding="utf-8")
    result = _invoke(["run", str(tmp_path / "semi.csv"), "--out", str(tmp_path / "o1"), "--model", "test:hashing"])
    assert "  delimiter  ';' between columns (guessed from the file, not a comma)" in result.output.splitlines()
    (tmp_path / "comma.csv").write_text("\n".join(rows).format(",") + "\n", encoding="utf-8")
    result = _invoke(["run", str(tmp_path / "comma.csv"), "--out", str(tmp_path / "o2"), "--model", "test:hashing"])
    assert "  delimiter  " not in result.output
    (tmp_path / "comma.tsv").write_text("\n".join(rows).format(",") + "\n", encoding="utf-8")
    line = _error_line(_invoke(["run", str(tmp_path / "comma.tsv"), "--out", str(tmp_path / "o3"), "--model",
                                "test:hashing"]))
    assert line == (f"error: {tmp_path / 'comma.tsv'} is named .tsv, but commas, not tabs, separate its columns: "
                    "rename it .csv.")


if __name__ == "__main__":
    sys.exit(pytest.main([__file__]))


def test_quiet_keeps_the_runs_warnings_about_its_figures(tmp_path, tiny_responses_path, monkeypatch):
    """Review 174's leftover: --quiet kept the warnings said before the run (a coded sample's missing rows) and dropped
    those said after it (the run agrees poorly with the coded sample), with the summary they were printed in."""
    import themes.cli

    out = tmp_path / "out"
    summary = {"out": str(out), "files": ["report.md"], "disagreement": "the tool agrees poorly on trust",
               "unlike_survey": "", "own_examples": "3 answers are the codebook's own examples"}
    monkeypatch.setattr(themes.cli, "_run_with_progress", lambda *args, **kwargs: summary)
    result = CliRunner().invoke(themes.cli.app, ["run", str(tiny_responses_path), "--out", str(out), "--model",
                                                 "test:hashing", "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["warning: the tool agrees poorly on trust",
                                          "warning: 3 answers are the codebook's own examples", str(out)]


def test_gold_file_mistakes_name_the_way_out(tmp_path, monkeypatch):
    """Review 178: a framework's gold file with the default codebook said "no column of gold codes" only; a theme's
    label misspelled listed the ids alone; --split calibration advised to calibrate on the calibration rows, then
    evaluate them (on which it was calibrated)."""
    framework = tmp_path / "fw.csv"
    framework.write_text("text,service_model,financial_relationship,data,effects,governance\n"
                         "We share staff.,joint,independent,none,none,none\n", encoding="utf-8")
    assert _error_line(_invoke(["evaluate", "--gold", str(framework), "--model", "test:hashing"])).endswith(
        "They are the Partnership models framework codebook's: pass --codebook partnership_models.")
    typo = tmp_path / "typo.csv"
    typo.write_text("text,themes\nWe trust them.,Trust & relationships\nGrants end.,none\n", encoding="utf-8")
    assert "none (or a theme's label as the codebook writes it)." in _error_line(
        _invoke(["evaluate", "--gold", str(typo), "--model", "test:hashing"]))
    said = _error_line(_invoke(["evaluate", "--gold", str(GOLD), "--split", "calibration", "--model", "test:hashing",
                                "--out", str(tmp_path / "ev")]))
    assert "Evaluate on a split it never saw (e.g. --split test); themes calibrate's cross-validated figure" in said

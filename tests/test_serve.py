"""`themes serve` refuses what cannot work in one line, before anything is served."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from themes.cli import app

CODEBOOK = Path(__file__).resolve().parents[1] / "codebooks" / "rfi_themes.yaml"


@pytest.mark.parametrize("args, env, message", [
    (["serve"], {"PREFECT_API_URL": ""},
     "error: themes serve needs a Prefect server: start one (prefect server start) and set "
     "PREFECT_API_URL=http://127.0.0.1:4200/api.\n"),
    (["serve", "--inbox", "inbox"], {"PREFECT_API_URL": "http://127.0.0.1:9/api"},
     "error: --inbox and --project go together: the inbox's exports become the project's batches.\n"),
    (["serve", "--codebook", "missing.yaml"], {"PREFECT_API_URL": "http://127.0.0.1:9/api"},
     "error: Codebook not found: missing.yaml. Give the path of a codebook YAML file or the name of a shipped one "
     "(partnership_models, rfi_themes).\n"),
    (["serve", "--codebook", str(CODEBOOK)], {"PREFECT_API_URL": "http://127.0.0.1:9/api"},
     "error: PREFECT_API_URL=http://127.0.0.1:9/api does not answer"),
    # what every served run would be given is checked once, before serving (each look at the inbox failed)
    (["serve", "--min-group", "0"], {"PREFECT_API_URL": "http://127.0.0.1:9/api"}, "error: --min-group must be"),
    (["serve", "--quotes-per-theme", "-1"], {"PREFECT_API_URL": "http://127.0.0.1:9/api"},
     "error: --quotes-per-theme must be"),
    (["serve", "--name", "food access"], {"PREFECT_API_URL": "http://127.0.0.1:9/api"},
     "error: --name 'food access' is not a name for deployments: use letters, digits, '-' and '_'"),
])
def test_what_cannot_be_served_is_one_line_and_exit_2(args, env, message, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value) if value else monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert result.output.startswith(message) and result.output.count("\n") == 1


def test_a_project_folder_that_holds_other_files_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "notes.txt").write_text("mine")
    result = CliRunner().invoke(app, ["serve", "--inbox", str(tmp_path / "inbox"), "--project",
                                      str(tmp_path / "project")])
    assert result.exit_code == 2
    assert result.output == (f"error: --project {tmp_path}/project holds files but no project.json; give an empty or "
                             "new folder.\n")


@pytest.mark.parametrize("exists", [True, False])
def test_an_inbox_that_did_not_exist_is_said_to_be_created(monkeypatch, tmp_path, exists):
    """A typo ("--inbox inbx") served an empty folder of its own and said nothing: exports dropped in the real inbox
    waited there for ever."""
    from themes import cli_serve, guard

    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setattr(guard, "check_prefect_api", lambda **_: None)
    monkeypatch.setattr(cli_serve, "check_not_served_elsewhere", lambda *_: None)
    served = []
    monkeypatch.setattr(cli_serve, "_serve", served.append)
    inbox = tmp_path / "inbx"
    if exists:
        inbox.mkdir()
    result = CliRunner().invoke(app, ["serve", "--inbox", str(inbox), "--project", str(tmp_path / "project"),
                                      "--codebook", str(CODEBOOK), "--model", "test:hashing"])
    assert result.exit_code == 0, result.output
    said = (f"--inbox {inbox} did not exist: created it, empty. If exports are dropped in another folder, stop "
            "(Ctrl+C) and give that one.")
    assert (said in result.output.splitlines()) is not exists
    assert inbox.is_dir() and [d.name for d in served[0]] == ["code-export", "inbox"]


def test_a_broken_calibration_is_one_line_before_serving(monkeypatch, tmp_path):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    book = tmp_path / "mine.yaml"
    book.write_text(CODEBOOK.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "mine.calibration.json").write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(app, ["serve", "--codebook", str(book)])
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and "mine.calibration.json" in result.output
    assert result.output.count("\n") == 1


def test_a_calibration_made_for_another_codebook_is_refused_before_serving(monkeypatch, tmp_path):
    """As `themes run` refuses it: before, serve said nothing and every batch was coded with a calibration whose codes
    the codebook does not have."""
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    book = tmp_path / "mine.yaml"
    book.write_text(CODEBOOK.read_text(encoding="utf-8"), encoding="utf-8")
    other = CODEBOOK.parent / "partnership_models.calibration.json"
    (tmp_path / "mine.calibration.json").write_text(other.read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(app, ["serve", "--codebook", str(book)])
    assert result.exit_code == 2
    assert result.output.startswith("error: The calibration was made for another codebook: ")
    assert result.output.count("\n") == 1


def test_sigterm_while_deployments_are_registered_stops_serving():
    """Runner.add_deployment registers each deployment before Runner.start installs a SIGTERM handler: a
    signal in that window (a supervisor that saw the deployments listed) stops serving, it does not kill.
    In a process of its own: the signal would otherwise end pytest."""
    import subprocess
    import sys

    script = """
import os, signal
import prefect.runner
from themes import cli_serve

class Runner:
    def __init__(self, **_):
        pass
    def add_deployment(self, deployment):
        os.kill(os.getpid(), signal.SIGTERM)
    async def start(self):
        raise AssertionError("the signal stops serving before the runner starts")

prefect.runner.Runner = Runner
cli_serve._serve(["a deployment"])
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, "Stopped serving.\n"), done.stderr


def test_a_shipped_codebook_is_served_by_its_file_from_any_folder(monkeypatch, tmp_path):
    """Without --codebook every export dropped in the inbox was rejected: 'Codebook not found: <cwd>/rfi_themes'."""
    from themes.cli_serve import served_codebooks
    from themes.codebook import shipped_codebooks

    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text(CODEBOOK.read_text(encoding="utf-8"), encoding="utf-8")
    assert served_codebooks(["rfi_themes", "partnership_models", "mine.yaml"]) == [
        str(shipped_codebooks()["rfi_themes"].resolve()), str(shipped_codebooks()["partnership_models"].resolve()),
        str(tmp_path / "mine.yaml")]

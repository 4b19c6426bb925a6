"""The README's commands and options exist as documented."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from themes.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(set(re.findall(r"^\| `themes ([a-z-]+)", README, flags=re.MULTILINE)))


def test_the_readme_lists_every_command():
    assert COMMANDS == ["calibrate", "diff", "discover", "evaluate", "export-codebook", "export-project",
                        "import-codebook", "run", "sample", "serve", "validate-codebook"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_documented_command_has_help_with_an_example(command):
    result = CliRunner().invoke(app, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert f"Example: themes {command}" in " ".join(result.output.split())


def test_every_documented_run_option_exists():
    paragraph = README[README.index("`themes run` options:"):README.index("Errors are one line")]
    options = set(re.findall(r"`(--[a-z-]+)", paragraph))
    help_text = CliRunner().invoke(app, ["run", "--help"], terminal_width=200).output
    assert options and {o for o in options if o not in help_text} == set()


@pytest.mark.parametrize("target", ["run", "test", "bench", "test-fast", "office", "vectors"])
def test_the_make_targets_the_readme_names_exist(target):
    assert f"make {target}" in README
    subprocess.run(["make", "-n", target], check=True, capture_output=True, cwd=Path(__file__).resolve().parents[1])


def test_help_is_fast_because_heavy_imports_wait():
    # Not a timing test: what makes `themes --help` slow is importing torch, Prefect or pandas.
    code = ("import sys; from themes.cli import app; "
            "print(sorted(m for m in ('torch', 'prefect', 'sentence_transformers', 'pandas', 'sklearn') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"

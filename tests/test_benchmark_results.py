"""benchmarks/run.py rewrites results.md with each run: the notes people add below its mark stay."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _bench():
    """The benchmark module, without the environment it sets for its own runs (Prefect's logging level, ...)."""
    saved = dict(os.environ)
    try:
        spec = importlib.util.spec_from_file_location("bench_run", BENCHMARKS / "run.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return module


def test_notes_by_hand_survive_a_new_run_of_the_benchmark(tmp_path: Path):
    bench = _bench()
    results = json.loads((BENCHMARKS / "results.json").read_text(encoding="utf-8"))
    first = bench.write_results(results, tmp_path)
    assert first.rstrip().endswith(bench.NOTES_MARK)  # a fresh file invites notes below its tables
    path = tmp_path / "results.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n## Reading these figures\n\n- a note by hand\n",
                    encoding="utf-8")
    results["runs"][0]["first_run_s"] = 123.4  # the next run's figures
    again = bench.write_results(results, tmp_path)
    assert "| 123.4 |" in again and "- a note by hand" in again
    assert again.count(bench.NOTES_MARK) == 1 and again.index("| 123.4 |") < again.index("- a note by hand")
    assert path.read_text(encoding="utf-8") == again
    # The shipped results.md holds its notes below the mark, so the next benchmark run keeps them.
    assert "by hand" in bench.kept_notes(BENCHMARKS / "results.md")


def test_help_is_timed_through_the_themes_on_path_when_none_sits_beside_python(tmp_path: Path, monkeypatch):
    # Installed with pip --target (as on a lent GPU machine), `themes` is not beside the interpreter.
    bench = _bench()
    script = tmp_path / "bin" / "themes"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setattr(bench.sys, "executable", str(tmp_path / "python-without-themes" / "python3"))
    monkeypatch.setenv("PATH", str(script.parent))
    wall, cpu = bench.help_seconds(repeats=1)
    assert 0 <= cpu <= wall < 30
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    try:
        bench.help_seconds(repeats=1)
    except SystemExit as stop:
        assert "no `themes` command" in str(stop)
    else:
        raise AssertionError("no themes anywhere should stop the benchmark with one line")

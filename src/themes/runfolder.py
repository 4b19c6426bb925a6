"""A finished run, read back from the files it wrote: responses.csv, segments.csv, manifest.json.

Only the output contract is read (never the flow's in-memory objects), and columns beyond the ones
needed are carried along untouched, so runs written by later versions still read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from themes.errors import ThemesError
from themes.safe import FORMULA_START, MANIFEST

RESPONSES = "responses.csv"
SEGMENTS = "segments.csv"
ANSWER_KEY = ["respondent_id", "question"]
_NEEDED = {RESPONSES: ["respondent_id", "question", "status", "themes", "answer"],
           SEGMENTS: ["respondent_id", "question", "start", "end", "text", "themes"]}


class RunFolderError(ThemesError):
    """A folder is not a complete themes run."""


@dataclass
class RunFolder:
    path: Path
    answers: pd.DataFrame   # responses.csv as text, with `theme_list`
    segments: pd.DataFrame  # segments.csv as text, `start`/`end` as integers, with `theme_list`
    manifest: dict

    @property
    def theme_ids(self) -> list[str]:
        """The run's theme ids in codebook order: the manifest's thresholds, else the score columns."""
        thresholds = self.manifest.get("thresholds")
        if isinstance(thresholds, dict) and thresholds:
            return list(thresholds)
        return [c.removeprefix("score_") for c in self.answers.columns if c.startswith("score_")]

    @property
    def category_ids(self) -> list[str]:
        """What an answer's `themes` can hold, in codebook order: each theme's id, and for a framework
        dimension its types' ids (`service_model.referral`, read from their score columns), not the
        dimension's own id, which no answer carries."""
        ids = []
        for theme in self.theme_ids:
            types = [c.removeprefix("score_") for c in self.answers.columns if c.startswith(f"score_{theme}.")]
            ids += types or [theme]
        return ids

    @property
    def meta_columns(self) -> list[str]:
        columns = (self.manifest.get("input") or {}).get("columns") or {}
        return [c for c in columns.get("meta_columns") or [] if c in self.answers.columns]

    @property
    def attribute_with(self) -> list[str]:
        """The columns the run attributed quotes with (--attribute-with), when it named them."""
        columns = (self.manifest.get("input") or {}).get("columns") or {}
        return [c for c in columns.get("attribute_with") or [] if c in self.meta_columns]

    @property
    def question_labels(self) -> dict[str, str]:
        """The questions over columns named only "Q1", "Q2" (Qualtrics), as the run read them."""
        columns = (self.manifest.get("input") or {}).get("columns") or {}
        return {str(c): str(label) for c, label in columns.get("question_labels") or []}

    @property
    def setting(self) -> dict:
        return self.manifest.get("settings") or {}

    @property
    def codebook_path(self) -> str | None:
        codebook = self.manifest.get("codebook")
        if not isinstance(codebook, dict):
            return None
        found = recorded_codebook(codebook)
        return str(found) if found is not None else codebook.get("path")


def renamed_codes(run: RunFolder) -> dict[str, str]:
    """The codes (and dimension ids) the run's codebooks list in `formerly`, with the code each became, as its
    manifest recorded them."""
    entries = run.manifest.get("codebooks") or [run.manifest.get("codebook")]
    return {str(old): str(new) for entry in entries if isinstance(entry, dict)
            for old, new in (entry.get("renamed") or {}).items()}


def with_codes_renamed(run: RunFolder, renamed: dict[str, str]) -> RunFolder:
    """The run with its codes under the names `renamed` gives them (its answers' and segments' codes and score
    columns, its thresholds), as a run coded with the renamed codebook would write them."""
    if not renamed:
        return run

    def code(value: str) -> str:
        return renamed.get(value, value)

    def frame(table: pd.DataFrame) -> pd.DataFrame:
        for new in dict.fromkeys(renamed.values()):
            olds = [f"score_{old}" for old, to in renamed.items() if to == new and f"score_{old}" in table.columns]
            olds += [f"score_{new}"] * bool(olds and f"score_{new}" in table.columns)  # merged into a theme kept
            if olds:  # themes merged into one: the higher of their scores, as the merged theme's
                best = table[olds].apply(pd.to_numeric, errors="coerce").max(axis=1)
                table = table.drop(columns=olds).assign(**{f"score_{new}": best.map(
                    lambda v: "" if v != v else f"{v:g}")})
        table["theme_list"] = table["theme_list"].map(lambda codes: list(dict.fromkeys(code(c) for c in codes)))
        table["themes"] = table["theme_list"].map(";".join)
        if "top_theme" in table.columns:
            table["top_theme"] = table["top_theme"].map(code)
        return table

    manifest = dict(run.manifest)
    if isinstance(manifest.get("thresholds"), dict):
        manifest["thresholds"] = {code(key): value for key, value in manifest["thresholds"].items()}
    return RunFolder(run.path, frame(run.answers.copy()), frame(run.segments.copy()), manifest)


def recorded_codebook(entry: dict) -> Path | None:
    """Where a manifest's codebook entry is now: of its path as the run was given it (from the folder the run was
    started in), the absolute path the run recorded beside it and a shipped codebook of that name, the first with
    the content the run recorded, else the first there; None when none is. Read from another folder, the relative
    path alone was 'not there', or another folder's file of that name."""
    from themes.codebook import codebook_path, load_codebook
    from themes.errors import CodebookError

    found = [Path(value) for value in (entry.get("path"), entry.get("absolute_path"))
             if value and Path(value).is_file()]
    try:
        found += [codebook_path(entry["path"])] if entry.get("path") else []
    except CodebookError:
        pass
    recorded = entry.get("content_hash")
    for path in found if recorded else ():  # another file at the same relative path is not the run's codebook
        try:
            if load_codebook(path).content_hash() == recorded:
                return path
        except (CodebookError, OSError):  # an unreadable file is no match; the callers say what is wrong
            continue
    return found[0] if found else None  # changed since: the callers say so


def read_manifest(path: Path) -> dict:
    """A run's manifest.json as a mapping; one that cannot be read, or holds another JSON value (a list), raises
    RunFolderError saying so (discover, diff, export-project and sample stopped with "unexpected AttributeError")."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RunFolderError(f"{path} cannot be read ({str(error).splitlines()[0]}); pass the --out folder of a "
                             "'themes run', as it wrote it.") from None
    if not isinstance(manifest, dict):
        raise RunFolderError(f"{path} is not a run's manifest (it holds a JSON {type(manifest).__name__}, not an "
                             "object); pass the --out folder of a 'themes run', as it wrote it.")
    return manifest


def read_run(path: str | Path) -> RunFolder:
    """Read a run folder; a missing file or column raises RunFolderError saying what is missing."""
    path = Path(path)
    if not path.is_dir():
        raise RunFolderError(f"{path} is not a folder; pass the --out folder of a 'themes run'.")
    missing = [name for name in (RESPONSES, SEGMENTS, MANIFEST) if not (path / name).is_file()]
    if missing:
        raise RunFolderError(f"{path} is not a themes run folder: {', '.join(missing)} missing. "
                             "Pass the --out folder of a 'themes run'.")
    manifest = read_manifest(path / MANIFEST)
    answers, segments = (_read_table(path / name) for name in (RESPONSES, SEGMENTS))
    for column in ("start", "end"):
        segments[column] = pd.to_numeric(segments[column], errors="raise").astype(int)
    for frame in (answers, segments):
        frame["theme_list"] = frame["themes"].map(lambda cell: [t for t in cell.split(";") if t])
    return RunFolder(path, answers, segments, manifest)


def _read_table(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError) as error:
        raise RunFolderError(f"{path} cannot be read as CSV ({str(error).splitlines()[0]}).") from None
    table.columns = [restore_formula(c) for c in table.columns]
    absent = [c for c in _NEEDED[path.name] if c not in table.columns]
    if absent:
        raise RunFolderError(f"{path} lacks the column(s) {', '.join(absent)}. Columns: {', '.join(table.columns)}.")
    return table.apply(lambda column: column.map(restore_formula))


def restore_formula(value: str) -> str:
    """Undo the export's formula guard: "'=SUM(A1)" -> "=SUM(A1)" (segment offsets count the original)."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def answer_key(frame: pd.DataFrame) -> pd.Series:
    """(respondent_id, question) pairs, which name one answer of a run."""
    return pd.Series(list(zip(frame["respondent_id"], frame["question"])), index=frame.index)

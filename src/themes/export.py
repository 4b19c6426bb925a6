"""Write a run's files: into a temporary folder first, moved into place only when complete.

Every text cell a spreadsheet could run as a formula (starting with =, +, -, @, or a tab or
carriage return) is neutralised with a leading apostrophe in CSV and XLSX exports.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import json
import os
import re
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from themes.aggregate import USABLE
from themes.coding import nearest_vote
from themes.errors import OutputError
from themes.quotes import deidentify_evidence, quote_cautions
from themes.report import ReportData, render_html, render_markdown
from themes.safe import MANIFEST, WORKBOOK_OPTIONS, file_slugs, is_themes_output, neutralise_formula, write_table
from themes.status import sent_again


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_formula)
    out.columns = [neutralise_formula(str(c)) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    # utf-8-sig: Excel opens UTF-8 CSVs with accents and dashes intact only with the BOM.
    neutralise_frame(frame).to_csv(path, index=False, encoding="utf-8-sig")


def check_output_folder(out: Path, *, force: bool, owned: tuple[str, ...] = ()) -> None:
    """Refuse to overwrite a folder that holds files, unless forced; never touch a non-run folder, nor (given
    what the writer `owned`) a folder of the other kind: an evaluation forced into a run's folder kept every file
    of the run beside it, and said nothing."""
    _restore_swapped(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file; give a folder path.")
    if out.is_dir() and any(out.iterdir()):
        # Checked first: suggesting --force for a folder that --force will not replace sends the user in a circle.
        if not is_themes_output(out):
            raise OutputError(f"Output folder {out} holds files that are not a themes run; "
                              f"--force only replaces a previous run's folder. Choose another --out.")
        for marker, kind in ((MANIFEST, "run"), ("evaluation.json", "evaluation")):
            if owned and (out / marker).is_file() and not any(fnmatch.fnmatch(marker, p) for p in owned):
                raise OutputError(f"Output folder {out} holds a themes {kind}; this writes a folder of its own. "
                                  "Choose another --out.")
        if not force:
            earlier = "evaluation" if (out / "evaluation.json").is_file() else "run"
            raise OutputError(f"Output folder {out} already holds an earlier {earlier}'s outputs{_which_run(out)}. "
                              "Pass --force to replace it, or choose another --out.")


def _which_run(out: Path) -> str:
    """" (of b1.csv, run 2026-12-03)": which export the run in `out` coded, and when, from its manifest; a user
    re-running batch 2 into batch 1's folder was told only that a run was there (review 165)."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        name, day = Path(str(manifest["input"]["path"])).name, str(manifest["created"])[:10]
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    return f" (of {name}, run {day})" if name and day else ""


_STAGING: set[Path] = set()  # this process's staging folders, removed on an interrupt
_WRITTEN: list[Path] = []  # output folders this process has replaced: an interrupt after that changed them


def interrupted_line() -> str:
    """What an interrupt left: nothing changed, or (stopped in the last seconds) the folder already written."""
    if _WRITTEN:
        return f"interrupted after {_WRITTEN[-1]} was written (it holds this run's files)."
    return "interrupted; no output folder was changed."


def remove_own_staging() -> None:
    for staging in list(_STAGING):
        shutil.rmtree(staging, ignore_errors=True)


def _remove_leftovers(out: Path, owned: tuple[str, ...] = (), kept: list[str] | None = None) -> None:
    """Staging and replaced folders of runs that were killed before they could clean up (their process
    is gone; the process id is in the name). A replaced folder is the previous run, and may hold the user's
    files: killed between the two renames of the swap, it goes back in place; killed while its other files
    were moved over, the rest of them are moved over now, its own files edited since (a program officer's marked
    quotes.xlsx) under the name a swap keeps them by. Its own files are those its manifest lists (`owned` is of the
    folder it was replaced by), so an evaluation's folder is read by `owned`."""
    import psutil

    for path in out.parent.glob(f".{out.name}.partial-*") if out.parent.is_dir() else ():
        pid = path.name.rsplit(".partial-", 1)[1].split("-")[0]
        if not pid.isdigit() or not psutil.pid_exists(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
    _restore_swapped(out)
    for path in _swapped_aside(out):
        if (path / MANIFEST).is_file():
            # The marked workbook matched the new run's names and went with the folder (review 166).
            its_own, aside = earlier_run_files(path)
            _move_the_rest(path, out, its_own, kept, aside)
        else:
            _move_the_rest(path, out, owned, kept)
        shutil.rmtree(path, ignore_errors=True)


def _swapped_aside(out: Path) -> list[Path]:
    """Previous folders of `out` renamed aside by runs whose process is gone (the process id is in the name;
    one still running is between its two renames, or moving the user's files over: left to it)."""
    import psutil

    found = []
    for path in sorted(out.parent.glob(f".{out.name}.old-*")) if out.parent.is_dir() else ():
        pid = path.name.rsplit(".old-", 1)[1].split("-")[0]
        running = pid.isdigit() and len(pid) < 8 and int(pid) != os.getpid() and psutil.pid_exists(int(pid))
        if not running:  # an older name without a process id: its run is long gone
            found.append(path)
    return found


def _restore_swapped(out: Path) -> None:
    """A run killed between the two renames of its swap left no `out`, only its previous folder renamed aside:
    put back before anything looks at `out` (else a run without --force wrote over the restored run)."""
    if not out.exists() and not out.is_symlink():
        aside = _swapped_aside(out)
        if aside:
            aside[-1].rename(out)


def _move_the_rest(old: Path, out: Path, owned: tuple[str, ...], kept: list[str] | None = None,
                   aside: dict[str, str] | None = None) -> None:
    """Move what the replaced folder `old` holds besides the writer's own files (`owned`) into `out`, and the
    writer's files edited since (`aside`) under their new names."""
    for entry in sorted(old.iterdir()):
        if entry.name in (aside or {}) and entry.is_file():
            # The name taken (edits of the same day on both sides of a crash): the next free one, never dropped
            kept_as = _free_name(out, aside[entry.name])
            entry.rename(out / kept_as)
            if kept is not None:
                kept.append(f"{kept_as} (your edits to the earlier run's {entry.name})")
            continue
        if not (out / entry.name).exists() and not any(fnmatch.fnmatch(entry.name, pattern) for pattern in owned):
            entry.rename(out / entry.name)
            if kept is not None:
                kept.append(entry.name + ("/" if (out / entry.name).is_dir() else ""))


def _free_name(folder: Path, name: str) -> str:
    """The name an edited file is kept under in `folder`: `name` (`quotes (edited, from the run of D).xlsx`), or
    where `folder` holds it already (edits of the same day on both sides of a crash, a copy kept before),
    `quotes (edited, from the run of D, 2).xlsx`, `..., 3)`, ...: checked where the file goes, as it goes."""
    stem, suffix = os.path.splitext(name)
    free, number = name, 2
    while (folder / free).exists():
        free, number = f"{stem[:-1]}, {number}){suffix}", number + 1
    return free


def _state(out: Path) -> tuple | None:
    """What is at `out` now, to tell whether another run wrote it meanwhile: nothing, or its manifest's stamp."""
    if not out.exists():
        return None
    found = [out / name for name in (MANIFEST, "evaluation.json") if (out / name).is_file()]
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in found)


# What an evaluation writes into its folder.
EVALUATION_FILES = ("evaluation.md", "evaluation.json", "per_theme.csv", "confusion.csv", "per_dimension.csv",
                    "confusion_by_dimension.csv", "disagreements.csv")
# What a run writes into its folder; on --force these are replaced, and anything else in the folder stays.
RUN_FILES = ("manifest.json", "responses.csv", "segments.csv", "quotes.csv", "quotes.xlsx", "report.md", "report.html",
             "theme_counts.csv", "theme_counts_by_*.csv", "framework_counts.csv", "framework_counts_by_*.csv",
             "theme_evidence.csv")


def file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return "sha256:" + hashlib.file_digest(handle, "sha256").hexdigest()


def earlier_run_files(out: Path) -> tuple[tuple[str, ...], dict[str, str]]:
    """The files the run in `out` wrote, as --force may replace them: the names its manifest lists under `files`
    (a manifest of before 4 December lists none: RUN_FILES' names and patterns), and those of them edited since
    (their digest differs: a program officer's picks marked in quotes.xlsx), each to the name it is kept under
    (`_free_name` numbers it where the folder it goes to holds that name). A user's `theme_counts_by_state_batch1.csv` matched RUN_FILES' pattern and
    was deleted; the marked workbook was replaced without a word (review 165).

    Only names a run writes count (RUN_FILES' patterns), and only files: a manifest edited by hand to list
    "notes" deleted the user's folder of that name, a `created` of "2026/12/04" made the kept name a path (review
    166). A previous folder a killed run left renamed aside is put back first (`_restore_swapped`), so that its
    manifest is the one read."""
    _restore_swapped(out)
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return RUN_FILES, {}
    if not isinstance(files, dict) or not all(isinstance(n, str) and isinstance(d, str) for n, d in files.items()):
        return RUN_FILES, {}
    files = {name: digest for name, digest in files.items()
             if "/" not in name and "\\" not in name and any(fnmatch.fnmatch(name, p) for p in RUN_FILES)
             and not (out / name).is_dir()}
    created = str(manifest.get("created", ""))[:10]
    day = created if re.fullmatch(r"\d{4}-\d{2}-\d{2}", created) else "before"
    edited: dict[str, str] = {}
    for name, digest in files.items():
        path = out / name
        if path.is_file() and not path.is_symlink() and file_digest(path) != digest:
            stem, suffix = os.path.splitext(name)
            edited[name] = f"{stem} (edited, from the run of {day}){suffix}"
    return (MANIFEST, *(glob.escape(name) for name in files)), edited


@contextmanager
def staged_folder(out: Path, *, force: bool, owned: tuple[str, ...] = (),
                  kept: list[str] | None = None, aside: dict[str, str] | None = None) -> Iterator[Path]:
    """Yield a temporary sibling folder; on success it replaces `out`, on failure it is removed.

    What the replaced folder holds besides the files this writer owns (`owned`: names or glob patterns) is moved
    into the new one and listed in `kept`: a run folder also holds the coders' workbook `themes sample` wrote, a
    .qdpx, discover's drafts, a researcher's notes, and --force replaced them all without a word. An owned file
    edited since it was written (`aside`: its name to the name it is kept under) is kept too, renamed."""
    aside = aside or {}
    out = Path(os.path.abspath(out))  # "--out ." has no name to stage beside, nor a parent to rename it in
    check_output_folder(out, force=force, owned=owned)
    if out.is_symlink():  # a link to a shared folder: the folder is replaced where it is, the link kept
        out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out, owned, kept)
    before = _state(out)
    staging = out.parent / f".{out.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    _STAGING.add(staging)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        _STAGING.discard(staging)
    if _state(out) != before:
        # Two runs to one --out: both passed the check at their start, and the later one replaced the other's
        # folder with exit 0 (without --force).
        shutil.rmtree(staging, ignore_errors=True)
        again = ("Run it again to replace that run's files, or with another --out." if force else
                 "Run it again with another --out (or --force to replace that run's).")
        raise OutputError(f"{out} was written by another run while this one ran, so this run's files were not "
                          f"written there. {again}")
    if _holds_the_working_folder(out):
        _replace_in_place(staging, out, owned, kept, aside)
        _WRITTEN.append(out)
        return
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        out.rename(old)
    staging.rename(out)
    _WRITTEN.append(out)
    if old is not None:
        _move_the_rest(old, out, owned, kept, aside)
        shutil.rmtree(old, ignore_errors=True)
    if kept is not None:  # a crash's leftovers moved over, then moved again by this swap: listed once
        edits = {k.split(" (your edits to", 1)[0] for k in kept if " (your edits to" in k}
        kept[:] = [k for k in dict.fromkeys(kept) if k not in edits]


def _holds_the_working_folder(out: Path) -> bool:
    """Whether the folder the command runs in is `out` or inside it ("--out ."): renamed aside and removed, it
    would leave the user's shell in a deleted folder."""
    try:
        here = Path.cwd().resolve()
    except OSError:
        return False
    return out.is_dir() and (here == out.resolve() or out.resolve() in here.parents)


def _replace_in_place(staging: Path, out: Path, owned: tuple[str, ...], kept: list[str] | None,
                      aside: dict[str, str] | None = None) -> None:
    """The swap without renaming `out`: its own files of the run before removed (those edited since renamed,
    `aside`), the new ones moved in, the user's files left where they are (and listed in `kept`, as a swap lists
    the files it moves over)."""
    for entry in sorted(out.iterdir()):
        if entry.name in (aside or {}) and entry.is_file():
            kept_as = _free_name(out, aside[entry.name])
            entry.rename(out / kept_as)
            if kept is not None:
                kept.append(f"{kept_as} (your edits to the earlier run's {entry.name})")
        elif any(fnmatch.fnmatch(entry.name, pattern) for pattern in owned):
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        elif kept is not None and not (staging / entry.name).exists():
            kept.append(entry.name + ("/" if entry.is_dir() else ""))
    for entry in sorted(staging.iterdir()):
        if (out / entry.name).exists():  # a user's file of the same name as one the writer makes: the writer's wins
            shutil.rmtree(out / entry.name) if (out / entry.name).is_dir() else (out / entry.name).unlink()
        entry.rename(out / entry.name)
    staging.rmdir()


def write_json(data: dict, path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


# Column widths (characters) of the quotes workbook; the quote sheets print landscape, one page wide.
# The Summary sheet's raw columns say what they count: a program officer read "percent" (36.3) as the figure to
# publish beside the estimate (28.4). theme_counts.csv keeps its column names.
# "base_n", "low" and "high" were a statistician's words (review 156): what the percentages are of, and the 95%
# interval.
SUMMARY_HEADERS = {"respondents": "respondents flagged", "percent": "percent flagged", "base_n": "of respondents",
                   "low": "low (95%)", "high": "high (95%)"}
SUMMARY_WIDTHS = {"theme": 22, "label": 40, "respondents flagged": 13, "percent flagged": 10, "of respondents": 12,
                  "estimate": 10, "low (95%)": 9, "high (95%)": 9, "method": 36}
QUOTE_WIDTHS = {"rank": 6, "quote": 80, "attribution": 30, "respondent_id": 14, "question": 18, "score": 8, "use": 8}
EVIDENCE_WIDTHS = {"respondent_id": 14, "question": 18, "passage": 100, "score": 8}
LINE_POINTS = 15.0  # the height of one line of 11-point Calibri (Excel's default row height)


def wrapped_lines(text: str, width: float) -> int:
    """Lines `text` takes in a wrapped cell `width` characters wide (a width counts '0' glyphs; prose
    averages narrower ones, so about 1.1 characters fit per unit, wrapped at word ends). Checked against
    LibreOffice's own heights with Carlito, Calibri's metric twin (tests/test_workbook_print.py)."""
    import textwrap

    budget = max(int(width * 1.1), 1)
    # A line that fits is one line whatever textwrap would do with it (a tab may widen it, so not with one).
    return sum(1 if len(line) <= budget and "\t" not in line else
               max(len(textwrap.wrap(line, budget, break_long_words=True)), 1) for line in str(text).split("\n"))


def row_heights(frame: pd.DataFrame, widths: dict[str, int], default_width: int = 14) -> list[float]:
    """Points per data row of `frame` so that every wrapped cell shows all its lines."""
    heights = []
    for row in frame.itertuples(index=False):
        lines = max((wrapped_lines(value, widths.get(str(column), default_width))
                     for column, value in zip(frame.columns, row) if isinstance(value, str) and value), default=1)
        heights.append(LINE_POINTS * lines + 2)
    return heights


def _print_setup(sheet, frame: pd.DataFrame, widths: dict[str, int], title: str, *, tall: int = 0) -> None:
    """Landscape, one page wide (as many tall as needed, or `tall` pages), the header row on every page, and
    rows tall enough for their wrapped text (a spreadsheet only grows rows itself for text typed in by hand)."""
    sheet.set_landscape()
    sheet.fit_to_pages(1, tall)
    sheet.repeat_rows(0)
    sheet.set_header(f"&L{title.replace('&', '&&')}&RPage &P of &N")
    # The header row too: "respondents flagged" in a column 13 wide ran over the first row when printed (review 156).
    # Its titles are bold and boxed: a line is taller (LibreOffice: 35 points for two).
    sheet.set_row(0, max((wrapped_lines(str(c), widths.get(str(c), 14)) for c in frame.columns), default=1)
                  * (LINE_POINTS + 2) + 2)
    for row, height in enumerate(row_heights(frame, widths), start=1):
        sheet.set_row(row, height)


def write_quotes_workbook(path: Path, summary: pd.DataFrame, quotes: pd.DataFrame, labels: dict[str, str],
                          evidence: pd.DataFrame | None = None, poor: dict[str, float] | None = None) -> None:
    """A summary sheet and one sheet per theme: wrapped quotes, sensible widths, frozen header, filters,
    and a 'use' column for the reader to mark the quotes they pick. Every cell is plain text or a number.
    Every sheet prints landscape, one page wide, with its header row repeated on each page.

    With `evidence` (de-identified, as quotes.deidentify_evidence gives it), an evidence sheet per theme
    after the quote sheets: every passage the theme's count stands on, best score first. `poor`: the themes and
    dimensions that agree poorly with the coded sample (evaluate.poorly_agreeing), whose quote sheets say so."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    try:
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        quoted = book.add_format({"text_wrap": True, "valign": "top", "quote_prefix": True})
        header = book.add_format({"bold": True, "bg_color": "#DDE5F0", "border": 1, "valign": "top",
                                  "text_wrap": True})
        sheet = book.add_worksheet("Summary")
        cautions = quote_cautions(summary, poor)
        summary = summary.rename(columns=SUMMARY_HEADERS)
        # Percentages with their one decimal, as the report and the count files give them: Excel's General showed
        # 94.0 as "94" beside "95.4" (review 149)
        tenths = book.add_format({"text_wrap": True, "valign": "top", "num_format": "0.0"})
        caution = book.add_format({"valign": "top", "bold": True, "font_color": "#8A5A12"})
        write_table(sheet, summary, header_format=header, cell_format=wrap, widths=SUMMARY_WIDTHS,
                    quoted_format=quoted,
                    formats=dict.fromkeys(("percent flagged", "estimate", "low (95%)", "high (95%)"), tenths))
        # One page: the summary is read as a whole (a framework adds each dimension's 'not described' row)
        _print_setup(sheet, summary, SUMMARY_WIDTHS, "Respondents per theme", tall=1)
        used: set[str] = {"summary"}
        short = sheet_ids(list(labels))
        for theme_id, label in labels.items():
            part = quotes[quotes["theme"] == theme_id].drop(columns=["theme", "label"])
            sheet = book.add_worksheet(_sheet_name(short[theme_id], used))
            write_table(sheet, part, header_format=header, cell_format=wrap, widths=QUOTE_WIDTHS,
                        quoted_format=quoted)
            warned = f" (read each first: {cautions[theme_id].short})" if theme_id in cautions else ""
            _print_setup(sheet, part, QUOTE_WIDTHS, f"Quotes for: {label}{warned}")
            sheet.write_comment(0, 0, f"Quotes for: {label}")
            if theme_id in cautions:
                # Beside the header, where the reader picking quotes looks, the tab marked, and in the printed page's
                # header (the print area is the quotes': a note drawn open on the sheet printed as pages of its own
                # in LibreOffice)
                beside = len(part.columns)
                sheet.write_string(0, beside, cautions[theme_id].text, caution)  # one line, running on to the right
                sheet.print_area(0, 0, max(len(part), 1), len(part.columns) - 1)
                sheet.set_tab_color("#B5832F")
        for theme_id, label in labels.items() if evidence is not None else ():
            part = evidence.loc[evidence["theme"] == theme_id, list(EVIDENCE_WIDTHS)]
            if "score" in part:  # 0.9998000264167786 in a cell a reader compares by eye
                part = part.assign(score=part["score"].round(3))
            sheet = book.add_worksheet(_sheet_name(f"evidence {short[theme_id]}", used))
            write_table(sheet, part, header_format=header, cell_format=wrap, widths=EVIDENCE_WIDTHS,
                        quoted_format=quoted)
            _print_setup(sheet, part, EVIDENCE_WIDTHS, f"Every passage coded: {label}")
            sheet.write_comment(0, 0, f"Every passage coded: {label} ({len(part)})")
    finally:
        book.close()


def sheet_ids(ids: list[str]) -> dict[str, str]:
    """What each theme's sheets are named by. A sheet name holds 31 characters, and a framework's type ids
    do not fit ('evidence financial_relationship.service_contracts' was cut to 'evidence
    financial_relationship' for all three types, told apart by ~2, ~3). Where one type's would be cut, every
    type is named by its own id ('evidence service_contracts'), as long as no two share one; a type id that
    would still be cut, or is shared, keeps its full id (and is cut)."""
    tail = {i: i.rsplit(".", 1)[-1] for i in ids if "." in i}
    if not any(len(f"evidence {i}") > 31 for i in tail):
        return {i: i for i in ids}
    shared = {t for t, n in Counter([*tail.values(), *(i for i in ids if i not in tail)]).items() if n > 1}
    return {i: tail[i] if i in tail and tail[i] not in shared else i for i in ids}


def _sheet_name(theme_id: str, used: set[str]) -> str:
    base = "".join(ch for ch in theme_id if ch not in "[]:*?/\\")[:31] or "theme"
    name, n = base, 2
    while name.lower() in used:
        name = f"{base[:28]}~{n}"
        n += 1
    used.add(name.lower())
    return name


@dataclass
class CodebookUse:
    """One codebook of a run: where it came from, its content, and the calibration it used."""

    path: str
    codebook: object
    calibration: object | None
    calibration_source: str = ""  # where the calibration came from, or why there is none (calibrate.locate_calibration)


@dataclass
class RunResult:
    """Everything a run produced, in memory, ready to be written."""

    input_path: str
    settings: object
    spec: object
    codebook: object  # every codebook of the run, merged (see codebook.merge_codebooks)
    codebooks: list[CodebookUse]
    answers: pd.DataFrame
    segments: pd.DataFrame
    counts: pd.DataFrame
    counts_by: dict[str, pd.DataFrame]
    counts_by_question: pd.DataFrame  # per theme and question, at the answer level
    framework: pd.DataFrame
    framework_by: dict[str, pd.DataFrame]
    co_occurrence: pd.DataFrame
    sample_agreement: dict | None
    quotes: pd.DataFrame
    thresholds: dict[str, float]
    threshold_sources: dict[str, str]
    method: str
    embedding: dict
    id_problems: list[dict]
    timings: dict[str, float] = field(default_factory=dict)
    # When the run was made: the manifest's "created" and the report's date.
    created: datetime = field(default_factory=lambda: datetime.now(timezone.utc).replace(microsecond=0))
    batches: list[dict] | None = None  # a project's batches (themes.project), listed in the manifest
    framework_by_question: pd.DataFrame | None = None  # per framework type and question, at the answer level
    questions_read_as: dict[str, str] = field(default_factory=dict)  # survey question -> calibration's (questions.py)
    read_without_attribution: int = 0  # segments the coder read without a report's attribution (themes.attribution)

    @property
    def accounting(self) -> dict[str, int]:
        from themes.aggregate import status_accounting

        return status_accounting(self.answers)


PACKAGES = ("themes", "sentence-transformers", "torch", "transformers", "scikit-learn", "spacy", "pandas",
            "numpy", "prefect", "pydantic")


# What a run used beyond the core, by its settings: the ONNX backend's runtime, a Dask run's scheduler and runner
# (review 162: neither was recorded, so a run's figures could not be traced to them)
ONNX_PACKAGES, DASK_PACKAGES = ("onnxruntime",), ("dask", "distributed", "prefect-dask")


def package_versions(settings: dict | None = None) -> dict[str, str]:
    """The versions of the packages a run's figures rest on: the core's, and those its `settings` used."""
    from importlib.metadata import PackageNotFoundError, version

    settings = settings or {}
    used = [*(ONNX_PACKAGES if settings.get("backend") == "onnx" else ()),
            *(DASK_PACKAGES if settings.get("workers") or settings.get("dask_address") else ())]
    found = {}
    for name in (*PACKAGES, *used):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def responses_frame(run: RunResult) -> pd.DataFrame:
    meta = list(run.spec.meta_columns)
    scores = [c for c in run.answers.columns if c.startswith("score_")]
    columns = ["respondent_id", "question", "status", "reason", "themes", "top_theme", "top_score", *meta,
               *scores, "source_row", "answer"]
    return run.answers[columns]


def segments_frame(run: RunResult) -> pd.DataFrame:
    info = run.answers.loc[run.segments["answer_index"], ["respondent_id", "question"]].reset_index(drop=True)
    segments = run.segments.reset_index(drop=True)
    scores = [c for c in segments.columns if c.startswith("score_")]
    return pd.concat([info, segments[["segment_id", "start", "end", "text", "themes", "top_theme", *scores]]],
                     axis=1)


def evidence_frame(run: RunResult) -> pd.DataFrame:
    """Every count opened up: one row per coded passage and code it carries (theme or dimension type),
    with its respondent, question and score, so a reviewer can read what each count stands on.
    `segments_row` is the passage's row in segments.csv as a spreadsheet numbers it (the header is row 1): it
    finds the raw passage where the respondent id is shown as a pseudonym."""
    segments = segments_frame(run)
    segments["segments_row"] = np.arange(len(segments)) + 2
    rows = segments.assign(code=segments["themes"].str.split(";")).explode("code")
    rows = rows[rows["code"].fillna("") != ""]
    codebook = getattr(run, "codebook", None)
    if codebook is not None and codebook.dimensions and len(rows):
        # A type's evidence listed 60 respondents for a count of 44: those counted under a more integrated type too.
        from themes.aggregate import counted_under_types

        counted = counted_under_types(run.answers, codebook)
        keep = [code not in counted or respondent in counted[code]
                for code, respondent in zip(rows["code"], rows["respondent_id"])]
        rows = rows[keep]
    score = [row[f"score_{code}"] for code, row in zip(rows["code"], rows.to_dict("records"))]
    return pd.DataFrame({"theme": rows["code"].to_numpy(), "respondent_id": rows["respondent_id"].to_numpy(),
                         "question": rows["question"].to_numpy(), "segment_id": rows["segment_id"].to_numpy(),
                         "segments_row": rows["segments_row"].to_numpy(), "passage": rows["text"].to_numpy(),
                         "score": score}).sort_values(
        ["theme", "score"], ascending=[True, False], kind="stable")


def manifest(run: RunResult) -> dict:
    from themes import __version__
    from themes.codebook import file_hash
    from themes.evaluate import recorded_agreement
    from themes.infer import announcement

    settings = run.settings.model_dump(mode="json")
    codebooks = [codebook_entry(use) for use in run.codebooks]
    accounting = run.accounting
    return {
        "themes_version": __version__,
        "created": run.created.isoformat(timespec="seconds"),
        # As typed, and where it was: "b2.csv" from another folder named no file a reader could find (review 165)
        "input": {"path": str(run.input_path), "absolute_path": str(Path(run.input_path).resolve()),
                  "sha256": file_hash(run.input_path),
                  "columns": {k: v for k, v in asdict(run.spec).items() if k != "sources"},
                  "column_sources": run.spec.sources,
                  # The block the run printed before it started: what was read and where each choice came from.
                  "announced": announcement(run.spec, run.input_path, respondents=int(run.answers["respondent_id"].nunique()),
                                            answers=len(run.answers), problems=run.id_problems)},
        "codebook": codebooks[0],
        "codebooks": codebooks,
        "model": run.embedding.get("model_id"),
        "method": run.method,
        "thresholds": {k: round(float(v), 4) for k, v in run.thresholds.items()},
        "threshold_sources": run.threshold_sources,
        "questions_read_as": run.questions_read_as,
        "segments_read_without_attribution": run.read_without_attribution,
        "settings": settings,
        "packages": package_versions(settings),
        "embedding": run.embedding,
        "timings_seconds": run.timings,
        "accounting": accounting,
        "accounting_adds_up": sum(v for k, v in accounting.items() if k != "input_answers")
        == accounting["input_answers"],
        "respondent_id_problems": run.id_problems,
        "submissions_sent_again": sent_again(run.answers),
        **_pseudonyms(run),
        # the run's method, not one theme's caution ("; rough: only 1 coded answer carries it", review 179)
        "counts_method": (str(run.counts["method"].iloc[0]).split("; rough")[0] if len(run.counts) and "method" in
                          run.counts else str(run.framework["method"].iloc[0]).split("; rough")[0]
                          if len(run.framework) and "method" in run.framework else None),
        "coded_sample_agreement": recorded_agreement(run.sample_agreement),
        **({"batches": run.batches} if run.batches is not None else {}),
    }


def _pseudonyms(run: RunResult) -> dict:
    """Which key made the pseudonyms quotes and evidence show, by its fingerprint: runs that show the same one
    share pseudonyms. Only when an id needed one."""
    from themes.quotes import key_fingerprint, safe_reference

    ids = run.answers["respondent_id"].astype(str).unique()
    if all(safe_reference(i) == i for i in ids):
        return {}
    return {"pseudonym_key": key_fingerprint()}


def codebook_entry(use: CodebookUse) -> dict:
    """A codebook's identity in the manifest, with the calibration it ran with."""
    from themes.codebook import codebook_path, file_hash

    book, calibration = use.codebook, use.calibration
    entry = {"path": use.path, "absolute_path": str(codebook_path(use.path).resolve()), "name": book.name,
             "version": book.version, "sha256": file_hash(use.path),
             "content_hash": book.content_hash(), "calibration": None,
             "calibration_source": use.calibration_source}
    renamed = {**book.renamed, **book.renamed_dimensions}
    if renamed:  # what `diff` reads an earlier run's codes as
        entry["renamed"] = renamed
    if calibration is not None:
        entry["calibration"] = {
            "codebook_hash": calibration.codebook_hash, "matches_codebook": book.made_for(calibration.codebook_hash),
            "gold_file": calibration.gold_file, "gold_hash": calibration.gold_hash,
            "training_passages": len(calibration.passages), "C": calibration.C,
            "word_weight": calibration.word_weight, "use_question": calibration.use_question,
            "neighbour_weight": calibration.neighbour_weight, "neighbours": calibration.neighbours,
            "neighbour_temperature": calibration.neighbour_temperature,
            "cross_validated": calibration.cross_validated}
    return entry


def kappa(value: float) -> str:
    """A kappa to two decimals; a slightly negative one near nothing reads "0.00", not "-0.00"."""
    return f"{value:.2f}".replace("-0.00", "0.00")


# Coded answers the tool flagged with a theme that few coded answers carry, before the report says the coders may
# not have coded it (1 carried, 30 flagged: the estimate reads 1%, against 37% flagged)
FEW_FLAGGED = 10


def _rough_methods(run: RunResult) -> RunResult:
    """Every count file's `method` (and the workbook's Summary), where too few coded answers carry the theme (or
    address the dimension) to measure how the tool codes it: the report's "a rough figure" said there too. The
    workbook and the CSVs read "corrected for measured error" of an estimate resting on 1 coded answer (review 176)."""
    from themes.evaluate import with_few_unmeasured
    from themes.prevalence import CORRECTED_METHOD

    if not run.sample_agreement:
        return run
    unmeasured = with_few_unmeasured(run.sample_agreement)
    few = {"theme": {row["theme"]: row["few"] for row in unmeasured["per_theme"] if row.get("few")},
           "dimension": {row["dimension"]: row["few"] for row in unmeasured["per_dimension"] if row.get("few")}}
    if not few["theme"] and not few["dimension"]:
        return run

    def marked(frame: pd.DataFrame | None, key: str) -> pd.DataFrame | None:
        if frame is None or key not in frame or "method" not in frame:
            return frame
        def method(code, value) -> str:
            count = few[key].get(code)
            if not count or not str(value).startswith(CORRECTED_METHOD):
                return value
            one = count == 1
            verb = (f"carr{'ies' if one else 'y'} it" if key == "theme" else f"address{'es' if one else ''} its "
                    "dimension")
            return f"{value}; rough: only {count} coded answer{'' if one else 's'} {verb}"

        return frame.assign(method=[method(code, value) for code, value in zip(frame[key], frame["method"])])

    return replace(run, counts=marked(run.counts, "theme"),
                   counts_by={c: marked(f, "theme") for c, f in run.counts_by.items()},
                   counts_by_question=marked(run.counts_by_question, "theme"),
                   framework=marked(run.framework, "dimension"),
                   framework_by={c: marked(f, "dimension") for c, f in run.framework_by.items()},
                   framework_by_question=marked(run.framework_by_question, "dimension"))


def sample_agreement_summary(result: dict) -> str:
    """This survey's measured agreement, in one sentence for the method section."""
    from themes.evaluate import FEW_CODED, FEW_PASSAGES, coded_sample_name

    parts = []

    def theme_kappa(row: dict) -> str:
        carried = row.get("gold")
        if row["kappa"] is None or carried == 0:
            return f"{row['theme']} not measured (no coded answer carries it)"
        if carried is not None and carried < FEW_CODED:  # 1.00 from three coded cases says nothing
            return (f"{row['theme']} not measured (only {carried} coded answer"
                    f"{' carries' if carried == 1 else 's carry'} it)")
        return f"{row['theme']} {kappa(row['kappa'])}"

    if result["per_theme"]:
        # 1.00 on five coded answers, where no theme had the coded cases to be measured by itself
        carried = max((r.get("gold") or 0) for r in result["per_theme"])
        primary = (kappa(result["overall"]["primary_kappa"]) if carried >= FEW_CODED else
                   f"not measured (no theme is carried by {FEW_CODED} coded answers or more)")
        parts.append(f"Cohen's kappa of the primary theme {primary}; per theme "
                     + ", ".join(theme_kappa(r) for r in result["per_theme"]))
    if result["per_dimension"]:
        fewer = {r["dimension"]: f" (on the {r['passages']} answers that code it)" for r in result["per_dimension"]
                 if r.get("passages", result["answers"]) < result["answers"]}
        def dimension_kappa(row: dict) -> str:
            addressed = row.get("gold_addressed")
            if row["kappa"] is None:
                return f"{row['dimension']} not measured"
            if addressed is not None and addressed < FEW_CODED:  # as a theme's: 0.19 from two coded answers
                return (f"{row['dimension']} not measured (only {addressed} coded answer"
                        f"{' addresses' if addressed == 1 else 's address'} it)")
            return f"{row['dimension']} {kappa(row['kappa'])}" + fewer.get(row["dimension"], "")

        parts.append("kappa per dimension (\"none\" a class) " + ", ".join(
            dimension_kappa(r) for r in result["per_dimension"]))
    learned = result.get("left_out_learned", 0)
    if not result["answers"] and learned:
        return (f"none measured on this survey: all {learned} answers of its coded sample "
                f"({coded_sample_name(result.get('files') or result['file'])}) are texts the classifier learned from "
                "(codebook examples or calibration passages, or copies of them), and on those it would be memory, "
                "not agreement.")
    left_out = (f", less {learned} whose text the classifier learned from (a codebook example or calibration "
                "passage, or a copy of one)" if learned else "")
    other = result.get("left_out") or {}
    left_out += "".join(f"; {other[key]} more left out: {what}" for key, what in (
        ("not_in_input", "of respondents this input does not hold"),
        ("not_coded", "answers the run does not code (placeholders, duplicates, another language)")) if other.get(key))
    few = (f" On {result['answers']} answers one more or less moves these far: read them as a rough sign."
           if result["answers"] < FEW_PASSAGES else "")
    # "at random" only where the sample looks it by the machine's flags (review 163: a hand-picked one was called so)
    how = ("coded by people, in a sample unlike a random one of the survey (see the caution under the key findings)"
           if result.get("unlike_survey") else "coded by people, in a sample whose draw has rows missing (see the "
           "caution under the key findings)" if result.get("draw_rows_missing") else
           "coded by people in a sample drawn at random as far as the tool can "
           "tell (its answers are flagged as often as the survey's)" if result.get("compared_with_survey") else
           "coded by people in a sample read as random (too few coded answers to compare with the survey's)")
    return (f"on {result['answers']} answers of this survey, {how} "
            f"({coded_sample_name(result.get('files') or result['file'])}{left_out}): " + "; ".join(parts) + "." + few)


def _calibration_items(run: RunResult, redactor) -> str:
    """What each codebook's calibration learned from and how well it agreed, cross-validated: a run on a calibration
    of 40 passages read like one on 2,455 (review 160). The coded file's name is de-identified as the export's is."""
    from themes.evaluate import few_passages_note

    said = []
    for use in run.codebooks:
        calibration = use.calibration
        if calibration is None:
            continue
        where = ""
        if calibration.gold_file:
            name = Path(calibration.gold_file).name
            where = f" of {_safe_names([name], redactor)[name]}"
        checked = calibration.cross_validated or {}
        summary = str(checked.get("summary") or "not cross-validated")
        rough = few_passages_note(int(checked.get("measured", checked.get("passages", 0)) or 0)) if checked else None
        said.append(f"{use.codebook.name}: learned from {len(calibration.passages):,} coded passages{where}; {summary}"
                    + (f" ({rough})" if rough else ""))
    return ". ".join(said)


def report_data(run: RunResult, evidence: pd.DataFrame | None = None, redactor=None) -> ReportData:
    from themes.quotes import attribution_columns, who_column

    usable = int(run.answers.loc[run.answers["status"].isin(USABLE), "respondent_id"].nunique())
    # The export's file and folder names head the report: de-identified like everything in it ("RFI export (Maria
    # Gonzalez, 212-555-0143).csv").
    names = _safe_names([Path(run.input_path).name, Path(run.input_path).parent.name], redactor)
    source, folder_name = names[Path(run.input_path).name], names.get(Path(run.input_path).parent.name, "")
    stem = Path(source).stem
    books = "; ".join(f"{u.codebook.name}, version {u.codebook.version} (content hash {u.codebook.content_hash()})"
                      for u in run.codebooks)
    calibrated = any(u.calibration is not None for u in run.codebooks)
    votes = [nearest_vote(u.codebook, u.calibration.method, u.calibration) for u in run.codebooks
             if u.calibration is not None]
    vote = max(votes, key=lambda v: v["neighbour_weight"], default={"neighbour_weight": 0})
    weight = vote["neighbour_weight"]
    classifier = {"logistic": "logistic regression per theme, and a multinomial logistic regression per "
                              "framework dimension (not addressed or one type), trained on the codebook's examples"
                              + (" and the calibration sample" if calibrated else "")
                              + (f"; each theme's score is {1 - weight:.0%} the regression's and {weight:.0%} the vote "
                                 f"of the {vote['neighbours']} training passages (coded passages and examples) nearest "
                                 "in meaning" if weight else ""),
                  "prototype": "zero-shot: similarity to each theme's definition and notes"}
    method = {"Codebook": books,
              "Embedding model": run.embedding.get("model_id"),
              "Classifier": classifier.get(run.method, "; ".join(classifier.values())),
              "Thresholds": ", ".join(f"{k} {v:.2f} ({run.threshold_sources[k]})" for k, v in run.thresholds.items()),
              "Unit": "segments (runs of whole sentences of up to about 60 words); an answer carries a theme "
                      "when one of its segments does; counts are respondents"}
    learned = _calibration_items(run, redactor)
    if learned:
        method["Calibration"] = learned
    from themes.coding import uncalibrated_categories, uncalibrated_note

    uncalibrated = [found for u in run.codebooks for found in uncalibrated_categories(u.codebook, u.calibration)]
    if uncalibrated:
        it, count = ("it", "its count is") if len(uncalibrated) == 1 else ("them", "their counts are")
        method["Not in the calibration"] = (
            f"no calibration passage codes {uncalibrated_note(uncalibrated)}: the classifier learned {it} from the "
            f"codebook's examples alone, with thresholds never tuned on {it}, so {count} untested and may read 0 "
            "where the theme is present")
    agreement = None
    if run.sample_agreement:
        from themes.evaluate import counts_estimated, disagreeing_parts, poorly_agreeing, rows_missing_note, \
            unlike_survey_note, with_few_unmeasured

        # The coded sample's file names are de-identified as the export's are ("coded by Jane Roe (jroe@...).csv"),
        # and its folders left out.
        shown = dict(run.sample_agreement)
        files = [str(f) for f in (shown.get("files") or [shown.get("file") or "the coded sample"])]
        safe = _safe_names([Path(f).name for f in files], redactor)
        shown["files"] = [safe[Path(f).name] for f in files]
        shown["file"] = " + ".join(shown["files"])
        labels = {**{c.id: c.label for c in run.codebook.themes}, **{d.id: d.label for d in run.codebook.dimensions}}
        warnings = [unlike_survey_note(shown.get("unlike_survey"), labels),
                    rows_missing_note(shown["draw_rows_missing"], shown["file"]) if shown.get("draw_rows_missing")
                    else "",
                    disagreeing_parts(shown, estimated=counts_estimated(run.counts), labels=labels) or ""]
        unmeasured = with_few_unmeasured(shown)
        agreement = {"summary": sample_agreement_summary(shown), "poor": poorly_agreeing(shown),
                     "warning": " ".join(w for w in warnings if w) or None,
                     # themes too few coded answers carry for a kappa: their estimates are as rough (review 163)
                     "few": {row["theme"]: row["few"] for row in unmeasured["per_theme"] if row.get("few")},
                     # ... of which the tool flagged many more: the coders may not have had the theme (review 176)
                     "few_flagged": {row["theme"]: row["predicted"] for row in unmeasured["per_theme"]
                                     if row.get("few") and row.get("predicted", 0) >= max(FEW_FLAGGED,
                                                                                          5 * row["few"])},
                     # ... and dimensions too few address: "about 15% (0-29%)" on one coded answer (review 173)
                     "few_dimensions": {row["dimension"]: row["few"] for row in unmeasured["per_dimension"]
                                        if row.get("few")}}
    framework_by = None
    if run.codebook.dimensions:
        # By the respondent's type, as quotes are attributed (the column chosen or named, the question over "Q1")
        asks = dict(run.spec.question_labels)
        type_column = who_column(attribution_columns(run.spec.meta_columns, run.spec.attribute_with, asks), asks)
        if type_column in run.framework_by:
            framework_by = (type_column, run.framework_by[type_column])
    title = f"Themes in {stem}" if run.batches is None else \
        f"Themes in {folder_name} ({len(run.batches)} batch{'es' * (len(run.batches) != 1)})"
    return ReportData(
        title=run.settings.title or title, counts=run.counts, quotes=run.quotes,
        run_date=run.created.date(), source=source,
        breakdowns={m: frame for m, frame in run.counts_by.items()} if run.codebook.themes else {},
        by_question=run.counts_by_question if run.codebook.themes else None,
        co_occurrence=run.co_occurrence, accounting=run.accounting, method=method,
        respondents=int(run.answers["respondent_id"].nunique()), usable_respondents=usable, agreement=agreement,
        sent_again=sent_again(run.answers),
        framework=run.framework if run.codebook.dimensions else None, framework_by=framework_by,
        evidence=evidence, quotes_per_theme=run.settings.quotes_per_theme, min_group=run.settings.min_group)


def write_run(run: RunResult, out: Path, *, force: bool, redactor=None) -> tuple[list[str], list[str]]:
    """Write every file of the output contract; the folder appears only when all are written. `redactor`:
    the run's (spaCy already loaded), for the evidence officers read. Returns the files written, and what a
    replaced folder held besides a run's files, kept in it."""
    kept: list[str] = []
    owned, aside = earlier_run_files(Path(out)) if force else (RUN_FILES, {})
    with staged_folder(out, force=force, owned=owned, kept=kept, aside=aside) as folder:
        write_csv(responses_frame(run), folder / "responses.csv")
        write_csv(segments_frame(run), folder / "segments.csv")
        # Metadata columns are named by the export's headers, which may name a person ("Organization category
        # (verified by Siobhan O'Neill)"): de-identified in the count files' names and columns and in the report.
        headers = _safe_names(run.spec.meta_columns, redactor)
        if any(headers[c] != c for c in run.spec.meta_columns):
            def headed(frames: dict) -> dict:
                return {headers.get(c, c): f.rename(columns={c: headers.get(c, c)}) for c, f in frames.items()}

            run = replace(run, counts_by=headed(run.counts_by), framework_by=headed(run.framework_by),
                          spec=replace(run.spec, meta_columns=tuple(headers[c] for c in run.spec.meta_columns)))
        slugs = file_slugs({**run.counts_by, **run.framework_by})
        # Breakdown groups are named by respondents' own metadata values: de-identified once, for the count files
        # and the report alike.
        # So are the questions, named by the export's column headers ("What made it effective? (ask Maria)").
        questions = _safe_names(run.answers["question"], redactor)
        # What the platform wrote under each column's name (Qualtrics's Q1, Q2), for the report's headings
        labels = dict(run.spec.question_labels)
        texts = _safe_names(labels.values(), redactor) if labels else {}
        asked_as = {headers.get(c, questions.get(c, c)): texts[str(text)] for c, text in labels.items()}

        def asked(frame: pd.DataFrame | None) -> pd.DataFrame | None:
            if frame is None or "question" not in frame:
                return frame
            return frame.assign(question=frame["question"].map(lambda value: questions.get(str(value), value)))

        run = _rough_methods(run)
        run = replace(run, counts_by={c: _named_safely(f, c, redactor) for c, f in run.counts_by.items()},
                      framework_by={c: _named_safely(f, c, redactor) for c, f in run.framework_by.items()},
                      counts_by_question=asked(run.counts_by_question),
                      framework_by_question=asked(run.framework_by_question), quotes=asked(run.quotes))
        if run.codebook.themes:
            write_csv(run.counts, folder / "theme_counts.csv")
            for column, frame in run.counts_by.items():
                write_csv(frame, folder / f"theme_counts_by_{slugs[column]}.csv")
            write_csv(run.counts_by_question, folder / "theme_counts_by_question.csv")
        if run.codebook.dimensions:
            write_csv(run.framework, folder / "framework_counts.csv")
            for column, frame in run.framework_by.items():
                write_csv(frame, folder / f"framework_counts_by_{slugs[column]}.csv")
            if run.framework_by_question is not None:
                write_csv(run.framework_by_question, folder / "framework_counts_by_question.csv")
        # Evidence is what a reviewer is handed to check a count: de-identified in the CSV as in the workbook
        # and the report; its segments_row leads to the raw passage in segments.csv.
        shown = asked(deidentify_evidence(evidence_frame(run), redactor))
        write_csv(shown, folder / "theme_evidence.csv")
        write_csv(run.quotes, folder / "quotes.csv")
        summary = summary_table(run)
        data = replace(report_data(run, evidence=shown, redactor=redactor), asked=asked_as)
        write_quotes_workbook(folder / "quotes.xlsx", summary, run.quotes,
                              {c.id: c.label for c in run.codebook.categories}, evidence=shown,
                              poor=(data.agreement or {}).get("poor"))  # as the report cautions them
        (folder / "report.md").write_text(render_markdown(data), encoding="utf-8")
        (folder / "report.html").write_text(render_html(data), encoding="utf-8")
        # What this run wrote, with digests: the next --force replaces these alone, and keeps any edited since
        data = manifest(run)
        data["files"] = {p.name: file_digest(p) for p in sorted(folder.iterdir()) if p.is_file()}
        write_json(data, folder / MANIFEST)
        files = sorted(p.name for p in folder.iterdir())
    return files, kept


def _named_safely(frame: pd.DataFrame, column: str, redactor=None) -> pd.DataFrame:
    """A breakdown with its groups de-identified as quotes are: a metadata value may hold an e-mail, a phone number
    or a name ("Maria Gonzalez (self)", or a column of the people who filled the form in, named with --meta-column
    or --attribute-with), which neither a count file nor the report is the place for. `redactor`: the run's, which
    finds names with spaCy and the name lists; without it, patterns only."""
    if frame is None or column not in frame or frame.empty:
        return frame
    named = _safe_names(frame[column], redactor)
    return frame.assign(**{column: frame[column].map(lambda value: named[str(value)])})


def _safe_names(values, redactor=None) -> dict[str, str]:
    """Each distinct value, de-identified; values that read the same once de-identified are numbered apart."""
    from themes.redact import redact_patterns

    values = list(dict.fromkeys(str(value) for value in values))
    shown = redactor.redact_many(values) if redactor is not None else [redact_patterns(v) for v in values]
    # Two people's names both read "[name]": numbered, so that their groups stay apart.
    clashes = Counter(shown)
    seen: Counter = Counter()
    for position, label in enumerate(shown):
        if clashes[label] > 1:
            seen[label] += 1
            shown[position] = f"{label} ({seen[label]})"
    return dict(zip(values, shown))


def summary_table(run: RunResult | ReportData) -> pd.DataFrame:
    """Respondents per theme and per framework type (one type per respondent and dimension, 'not described'
    among them, as the report's matrix shows it), with the base n each percentage is of. Of a run, or of the
    report made of it (whose framework is None where the run coded none)."""
    columns = ["theme", "label", "respondents", "percent", "base_n"]
    kinds = run.framework if run.framework is not None else pd.DataFrame()
    # The estimate a report leads with, beside the raw share, and how it was made (a raw count says so).
    estimated = [c for c in ("estimate", "low", "high", "method") if c in run.counts or c in kinds]
    types = pd.DataFrame({"theme": kinds["dimension"] + "." + kinds["type"],
                          "label": kinds["dimension_label"] + ": " + kinds["label"],
                          "respondents": kinds["respondents"], "percent": kinds["percent"],
                          "base_n": kinds["base_respondents"],
                          **{c: kinds[c] for c in estimated if c in kinds}}) if len(kinds) else None
    # base_n: the respondents each percentage is of (those with at least one answer that could be coded).
    parts = [run.counts.rename(columns={"base_respondents": "base_n"})[[*columns, *(
        c for c in estimated if c in run.counts)]]] if len(run.counts) else []
    parts += [types] if types is not None else []
    return (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)).reindex(
        columns=[*columns, *estimated])


def summary_markdown(run: RunResult) -> str:
    lines = ["| Theme | Respondents | Percent |", "|---|---|---|"]
    lines += [f"| {r.label} | {r.respondents} | {r.percent}% |" for r in summary_table(run).itertuples()]
    accounting = ", ".join(f"{k}: {v}" for k, v in run.accounting.items())
    return "\n".join([f"# Coding run: {Path(run.input_path).name}", "", *lines, "", f"Answers — {accounting}"])


"""A random sample of a run's answers for people to code, as a workbook they fill in.

Counts are corrected with error rates measured on this sample (`themes.prevalence`), so it must be
a random sample of the answers the classifier read, not passages picked by hand: hand-picked
passages are clearer, and more often carry a theme, than the survey's answers as a whole.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from themes.aggregate import USABLE
from themes.codebook import Codebook
from themes.errors import InputError

SAMPLE_COLUMNS = ("sample_id", "respondent_id", "question")  # then metadata, `answer`, `themes`
THEMES_COLUMN = "themes"
SCORE_BINS = 5  # a score column is stratified by its quintiles


@dataclass(frozen=True)
class Coded:
    """The answers a coded sample already holds (`respondent_id`, `question`), and where its ids stop."""

    keys: frozenset[tuple[str, str]]
    prefix: str = "S"
    last: int = 0
    width: int = 3
    sample_ids: tuple[str, ...] = ()  # as the files hold them: a number missing is a row deleted


def already_coded(paths: str | Path | Sequence[str | Path]) -> Coded:
    """Read a coded sample (CSV or coding workbook; or the several files of one sample) so that a new draw
    leaves its answers out and its `sample_id`s continue the files' (s601, ... after s001-s300 and s301-s600)."""
    if not isinstance(paths, (str, Path)):
        parts = [already_coded(path) for path in paths]
        keys = frozenset().union(*(part.keys for part in parts))
        ids = tuple(i for part in parts for i in part.sample_ids)
        if len({part.prefix for part in parts}) == 1:
            return Coded(keys, prefix=parts[0].prefix, last=max(part.last for part in parts),
                         width=max(part.width for part in parts), sample_ids=ids)
        return Coded(keys, last=len(keys), sample_ids=ids)  # ids of several shapes: number on after the rows
    from themes.ingest import read_table, sheet_with_column

    path = Path(paths)
    table = read_table(path, sheet=sheet_with_column(path, THEMES_COLUMN))
    lowered = {c.strip().lower(): c for c in table.columns}
    missing = [c for c in ("respondent_id", "question") if c not in lowered]
    if missing:
        raise InputError(f"--exclude {path} has no {' or '.join(repr(c) for c in missing)} column; pass a coded "
                         "sample that 'themes sample' wrote (it keys each answer by respondent_id and question).")
    keys = frozenset(zip(table[lowered["respondent_id"]].astype(str).str.strip(),
                         table[lowered["question"]].astype(str).str.strip()))
    ids = table[lowered["sample_id"]].astype(str).str.strip() if "sample_id" in lowered else pd.Series([], dtype=str)
    parts = [re.fullmatch(r"(\D*)(\d+)", i) for i in ids]
    if ids.empty or not all(parts) or len({m.group(1) for m in parts}) != 1:
        return Coded(keys, last=len(table), sample_ids=tuple(ids))  # ids of another shape: number on after the rows
    return Coded(keys, prefix=parts[0].group(1), last=max(int(m.group(2)) for m in parts),
                 width=max(len(m.group(2)) for m in parts), sample_ids=tuple(ids))


def draw_sample(responses: pd.DataFrame, n: int, *, seed: int = 0, stratify_by: str | None = None,
                meta_columns: tuple[str, ...] = (), exclude: Coded | None = None) -> pd.DataFrame:
    """`n` usable answers (statuses coded, uncoded, too_long) drawn at random without replacement.

    A seed puts the run's usable answers in one random order, and a draw takes them in that order. With
    `stratify_by`, each value of that column (quintiles of a `score_` column) gets its share of `n` in
    proportion to its answers (largest remainders), taken in the same order, so the sample stays
    self-weighting. The rows come out in that random order with `sample_id` S001, S002, ...; the same seed
    draws the same rows. With `exclude`, the answers a coded sample already holds are passed over and the ids
    continue its own: a random draw from the rest, added to a random sample, is a random sample of both sizes.
    With the seed of the first draw, the second goes on down the same order, so the two together are exactly
    the draw of both sizes at once; with another seed the order is drawn anew.
    """
    from themes.quotes import safe_reference

    usable = responses[responses["status"].isin(USABLE)].reset_index(drop=True)
    if n < 1:
        raise InputError(f"The sample size -n must be at least 1. Got {n} instead.")
    exclude = exclude or Coded(frozenset())
    held = np.zeros(len(usable), dtype=bool)
    if exclude.keys:
        # `themes sample` wrote pseudonyms for ids that look like contact data; a file made by hand has the ids.
        # A question named otherwise in the coded file ('Challenges', where this run says 'challenges': the workbook
        # of batch 1's run, this run of batch 2, whose tool capitalised its headers) is the run's question, as
        # `evaluate` reads it; compared exactly, its answers were drawn again (review 166).
        from themes.evaluate import _as_run_questions

        ids, questions = usable["respondent_id"].astype(str), usable["question"].astype(str)
        renamed = _as_run_questions({q for _, q in exclude.keys}, usable)
        keys = set(exclude.keys) | {(i, renamed[q]) for i, q in exclude.keys if q in renamed}
        held = np.array([(i, q) in keys or (safe_reference(i), q) in keys
                         for i, q in zip(ids, questions)], dtype=bool)
    # The order is drawn over every usable answer, those held included, so that it does not depend on what an
    # earlier draw took: the same seed on a shorter list would pick the neighbours of the first draw's rows.
    order = np.random.default_rng(seed).permutation(len(usable))
    rest = order[~held[order]]
    if n > len(rest):
        left = f" not already coded ({len(exclude.keys)} excluded)" if exclude.keys else ""
        raise InputError(f"-n {n} is more than the run's {len(rest)} usable answers{left} (statuses "
                         f"{', '.join(USABLE)}); ask for at most {len(rest)}.")
    if stratify_by is None:
        chosen = rest[:n]
    else:
        if stratify_by not in usable.columns:
            # What a draw can be stratified by: the question, the metadata, a theme's score (not the run's own output
            # columns, "themes" or "top_theme", which the review offered)
            strata = [c for c in usable.columns if c == "question" or c in (meta_columns or ()) or
                      str(c).startswith("score_")]
            close = next((c for c in strata if c.lower() == stratify_by.strip().lower()), None) or next(
                iter(difflib.get_close_matches(stratify_by, strata, n=1)), None)
            raise InputError(f"--stratify-by '{stratify_by}' is not a column of responses.csv."
                             + (f" Did you mean '{close}'?" if close else "") + f" It can be: {', '.join(strata)}.")
        chosen = rest[_stratified(_strata(usable[stratify_by], stratify_by).iloc[rest].reset_index(drop=True), n)]
    width = max(exclude.width, len(str(exclude.last + n)))
    numbers = range(exclude.last + 1, exclude.last + n + 1)
    sample = pd.DataFrame({"sample_id": [f"{exclude.prefix}{i:0{width}d}" for i in numbers]})
    picked = usable.iloc[chosen].reset_index(drop=True)
    # Coders are often not the survey's team: an id that looks like contact data (an e-mail used as the id) goes
    # as its pseudonym, which reading the coded sample back maps to the id (evaluate._own_ids).
    picked["respondent_id"] = picked["respondent_id"].astype(str).map(safe_reference)
    columns = ["respondent_id", "question", *[c for c in meta_columns if c in picked.columns], "answer"]
    sample = pd.concat([sample, picked[columns]], axis=1)
    sample[THEMES_COLUMN] = ""
    return sample


def _strata(column: pd.Series, name: str) -> pd.Series:
    if name.startswith("score_"):
        scores = pd.to_numeric(column, errors="coerce")
        return pd.qcut(scores.rank(method="first"), SCORE_BINS, labels=False).astype(str)
    return column.fillna("").astype(str)


def _stratified(strata: pd.Series, n: int) -> np.ndarray:
    """Positions of `strata` (in the draw's random order) to take: each stratum's share of `n` by largest
    remainders, its first answers in that order, kept in that order."""
    sizes = strata.value_counts(sort=False).sort_index()
    quota = sizes / sizes.sum() * n
    take = np.floor(quota).astype(int)
    remainder = (quota - take).sort_values(ascending=False, kind="stable")
    take[remainder.index[: n - int(take.sum())]] += 1
    values = strata.to_numpy()
    picked = [np.flatnonzero(values == value)[:int(k)] for value, k in take.items() if k]
    return np.sort(np.concatenate(picked))


def instructions(codebook: Codebook) -> tuple[list[str], pd.DataFrame]:
    """The lines that open the Instructions sheet, and one row per id a coder may write."""
    example = ";".join(c.id for c in codebook.categories[:2])  # this codebook's ids, not the shipped one's
    lines = [
        f"Coding sample for {codebook.name} (version {codebook.version})",
        "Read each answer on the Coding sheet and write in its 'themes' cell the ids of every theme it carries, "
        f"';'-joined, most salient first (e.g. {example}), or 'none' when it carries none"
        + (" (no theme and no type: an answer with a type and no theme is coded with the type alone)."
           if codebook.themes and codebook.dimensions else "."),
        "Code the whole answer as written; leave no cell empty. The rows are a random sample of the survey: "
        "code them all, in any order, without skipping hard ones, or the corrected counts will not hold.",
    ]
    if codebook.dimensions:
        lines.append("For a dimension (ids 'dimension.type'), write at most one type: the most integrated one "
                     "the answer describes (types are listed from least to most integrated).")
    rows = [{"id": c.id, "name": c.label, "definition": " ".join(c.theme.definition.split()),
             "includes": "; ".join(c.theme.include), "excludes": "; ".join(c.theme.exclude)}
            for c in codebook.categories]
    rows.append({"id": "none", "name": "None of these", "definition": "The answer carries no theme of the "
                 "codebook.", "includes": "", "excludes": ""})
    lines += cut_lines(rows)
    return lines, pd.DataFrame(rows)


def cut_lines(rows: list[dict]) -> list[str]:
    """A definition (or its includes, excludes) longer than a cell holds is cut, "..." where cut: said, with where to
    read it whole (a 40,000-character definition was cut without a word, and pandas warned in the console)."""
    from themes.safe import EXCEL_CELL_LIMIT

    return [f"The {field} of '{row['id']}' is longer than a cell holds ({len(text):,} characters; a cell holds "
            f"{EXCEL_CELL_LIMIT:,}): it is cut, '\u2026' where cut. Read it whole in the codebook."
            for row in rows for field, text in row.items() if field != "id" and len(text) > EXCEL_CELL_LIMIT]


def write_coding_workbook(path: Path, sample: pd.DataFrame, codebook: Codebook) -> list[str]:
    """An Instructions sheet (the codebook's ids and definitions) and a Coding sheet (one row per answer,
    a `themes` column whose cells offer the ids in a list but accept several ';'-joined). Returns what it had to
    cut (`cut_lines`), for the console."""
    from themes.export import neutralise_frame
    from themes.safe import write_cell

    lines, ids = instructions(codebook)
    coding = neutralise_frame(sample)
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        book = writer.book
        book.set_properties({"title": f"Coding sample: {codebook.name}"})
        bold = book.add_format({"bold": True})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        header = book.add_format({"bold": True, "bg_color": "#DDE5F0", "border": 1, "valign": "top"})
        first = len(lines) + 1  # a blank row between the text and the table
        sheet = book.add_worksheet("Instructions")
        for row, line in enumerate(lines):
            sheet.write_string(row, 0, line, bold if row == 0 else None)
        for column, title in enumerate(ids.columns):
            sheet.write(first, column, title, header)
        for row, values in enumerate(ids.itertuples(index=False), start=first + 1):
            for column, value in enumerate(values):  # a text longer than a cell holds is cut with "..." (cut_lines)
                write_cell(sheet, row, column, value)
        for column, width in enumerate((30, 34, 80, 40, 40)):
            sheet.set_column(column, column, width, wrap)
        coding.to_excel(writer, sheet_name="Coding", index=False)
        sheet = writer.sheets["Coding"]
        for column, title in enumerate(coding.columns):
            sheet.write(0, column, title, header)
            sheet.set_column(column, column, {"answer": 80, THEMES_COLUMN: 30}.get(title, 14), wrap)
        target = list(coding.columns).index(THEMES_COLUMN)
        id_range = f"=Instructions!$A${first + 2}:$A${first + 1 + len(ids)}"
        # 'information' lets a coder type several ids ("trust;resource_needs") past the one-pick list.
        sheet.data_validation(1, target, max(len(coding), 1), target, {
            "validate": "list", "source": id_range, "error_type": "information",
            "input_title": "Themes", "input_message": "Ids from the Instructions sheet, ';'-joined; 'none' for none.",
            "error_title": "Not a single id", "error_message": "Several ids are fine when ';'-joined. Continue?"})
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(coding), 1), len(coding.columns) - 1)
    return cut_lines(ids.to_dict("records"))

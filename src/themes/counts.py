"""Counts a reviewer can defend: each count the run reports, beside its estimate corrected for the
classifier's measured error on a coded random sample of the same survey, with a 95% interval.

Pure: takes the coded answers of a run and the coded sample as tables, returns tables. The
statistics are `themes.prevalence`'s; this module only shapes the run's answers for it and joins
its estimates onto the run's count tables. Without a coded sample the estimate is the raw count,
its method says so, and there is no interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from themes.aggregate import NOT_DESCRIBED, USABLE
from themes.codebook import Codebook
from themes.prevalence import (PROTECTING_METHOD, RAW_METHOD, Job, PrevalenceOptions, corrected, decision_columns,
                               run_jobs, type_column)

SUPPRESSED_METHOD = "suppressed: too few respondents to show (--min-group)"  # or PROTECTING_METHOD
SUPPRESSED_QUESTION_METHOD = ("suppressed: too few answers to show (--min-group), or one that would give such a "
                             "question away")
ESTIMATE_COLUMNS = ["estimate", "low", "high", "method", "coded_answers", "suppressed"]
NOT_IN_SAMPLE_METHOD = "raw (the coded sample does not code it)"


@dataclass
class Estimates:
    """Corrected figures per theme and type, overall and by each metadata column; per theme and question
    at the answer level."""

    themes: pd.DataFrame
    themes_by: dict[str, pd.DataFrame]
    types: pd.DataFrame
    types_by: dict[str, pd.DataFrame]
    themes_by_question: pd.DataFrame
    types_by_question: pd.DataFrame | None = None

    @property
    def corrected(self) -> bool:
        frames = [f for f in (self.themes, self.types) if len(f)]
        return bool(frames) and all(corrected(f) for f in frames)

    def raw_as(self, method: str) -> "Estimates":
        """These figures with the raw ones' method said as `method` (why they are raw)."""
        def said(frame: pd.DataFrame | None) -> pd.DataFrame | None:
            return frame.replace({"method": {RAW_METHOD: method}}) if frame is not None and "method" in frame \
                else frame

        return Estimates(said(self.themes), {k: said(v) for k, v in self.themes_by.items()}, said(self.types),
                         {k: said(v) for k, v in self.types_by.items()}, said(self.themes_by_question),
                         said(self.types_by_question))


# A coded sample given, every answer of it a text the classifier learned from: "raw (no coded sample)" said none was
# given (review 173)
LEARNED_ONLY_METHOD = "raw (every coded answer is a text the classifier learned from)"


def model_table(answers: pd.DataFrame, codebook: Codebook, meta_columns: Sequence[str]) -> pd.DataFrame:
    """The run's usable answers as `themes.prevalence` reads them: a 0/1 column per theme and, per
    dimension, the type the machine gave ("" for none)."""
    usable = answers[answers["status"].isin(USABLE)]
    table = decision_columns(usable[["respondent_id", "question", *meta_columns, "themes"]],
                             [t.id for t in codebook.themes])
    for dimension in codebook.dimensions:
        table[dimension.id] = type_column(table, [f"{dimension.id}.{k.id}" for k in dimension.types])
    return table.drop(columns="themes").reset_index(drop=True)


def coded_table(coded: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """The coded sample (respondent_id, question and each answer's list of codes in `gold`) in the
    same form as `model_table`."""
    table = coded[["respondent_id", "question"]].astype(str).copy()
    joined = coded["gold"].map(";".join)
    return model_table(table.assign(themes=joined.to_numpy(), status="coded"), codebook, [])


def estimate(answers: pd.DataFrame, codebook: Codebook, coded: pd.DataFrame | None,
             meta_columns: Sequence[str], options: PrevalenceOptions, *, processes: int = 1) -> Estimates:
    """Respondent-level estimates for every theme and framework type, overall and by each metadata column;
    answer-level ones per question. With a coded sample each category's bootstrap is one job, and the jobs
    run in `processes` worker processes (the same figures as in one)."""
    from themes.evaluate import coded_for

    table = model_table(answers, codebook, meta_columns)
    sample = coded_table(coded, codebook) if coded is not None and len(coded) else None
    # A coded sample may code the themes and not the framework (or some dimensions only): what it does not
    # code stays raw, and says why. Without it everything is raw.
    in_sample = set(coded.attrs.get("coded_dimensions", [d.id for d in codebook.dimensions])) \
        if sample is not None else set()
    themes_in_sample = sample is not None and coded.attrs.get("themes_coded", True)
    themes = [t.id for t in codebook.themes]
    types = {d.id: [f"{d.id}.{k.id}" for k in d.types] for d in codebook.dimensions}
    every_type = [t for ids in types.values() for t in ids]
    # Per question, each type is a category of its own (an answer has at most one type per dimension).
    tables = {"answers": table, "coded": sample, "answers_by_type": _with_type_flags(table, every_type),
              "coded_by_type": _with_type_flags(sample, every_type) if sample is not None else None,
              "not_coded": None}
    # Each part (the themes, a dimension) on the rows that code it: a row may code the themes and leave the
    # framework's cells for later (`read_gold(partly=True)`); read as coded, they would say "not addressed".
    part_of = {}
    if sample is not None and "uncoded" in coded.columns and any(coded["uncoded"].map(bool)):
        for part in ["themes", *types]:
            rows = coded_for(coded, part)
            part_of[part] = f"coded:{part}"
            tables[part_of[part]] = coded_table(rows, codebook) if len(rows) else None
            tables[f"coded_by_type:{part}"] = _with_type_flags(tables[part_of[part]], every_type) if len(rows) \
                else None
    # The framework's jobs first: they are the longest (several fits each, rare types settle slowly), and a
    # worker that finishes early takes the themes' short ones.
    bys = [None, *meta_columns]

    def coded_as(name: str, known: bool, part: str) -> str:
        if not known:
            return "not_coded"
        if part not in part_of:
            return name
        own = part_of[part] if name == "coded" else f"coded_by_type:{part}"
        return own if tables[own] is not None else "not_coded"

    jobs = {("types", by, d): Job("types", "answers", coded_as("coded", d in in_sample, d), (d, ids),
                                  {"by": by, "options": options})
            for by in bys for d, ids in types.items()}
    jobs |= {("type_question", t): Job("questions", "answers_by_type",
                                       coded_as("coded_by_type", t.split(".", 1)[0] in in_sample,
                                                t.split(".", 1)[0]), ([t],), {"options": options})
             for t in every_type}
    jobs |= {("themes", by, t): Job("respondents", "answers", coded_as("coded", themes_in_sample, "themes"), ([t],),
                                    {"by": by, "options": options})
             for by in bys for t in themes}
    jobs |= {("question", t): Job("questions", "answers", coded_as("coded", themes_in_sample, "themes"), ([t],),
                                  {"options": options}) for t in themes}
    done = dict(zip(jobs, run_jobs(list(jobs.values()), tables, processes if sample is not None else 1)))
    if sample is not None:  # raw beside a coded sample: say why
        done = {key: frame.replace({"method": {RAW_METHOD: NOT_IN_SAMPLE_METHOD}}) if jobs[key].coded == "not_coded"
                else frame for key, frame in done.items()}

    def joined(kind: str, *key) -> pd.DataFrame:
        frames = [frame for k, frame in done.items() if k[0] == kind and k[1:len(key) + 1] == key]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    return Estimates(joined("themes", None), {m: _whole_groups(joined("themes", m), m) for m in meta_columns},
                     joined("types", None), {m: _whole_groups(joined("types", m), m) for m in meta_columns},
                     _whole_groups(joined("question"), "question"),
                     _whole_groups(joined("type_question"), "question") if every_type else pd.DataFrame())


def _whole_groups(frame: pd.DataFrame, group: str) -> pd.DataFrame:
    """A group hidden for one theme is hidden for every theme, and for every type of a dimension when it is for
    one: which themes hide a group gave away that its respondents all raised that one (or none did), and a
    dimension's types shown, with the group's base, gave the hidden type away by subtraction. Each category's
    hidden groups already mix raisers and others (themes.prevalence), and adding groups keeps them mixed."""
    if frame.empty or "suppressed" not in frame or not frame["suppressed"].any():
        return frame
    within = frame["category"].str.split(".", n=1).str[0] if frame["category"].str.contains(".", regex=False).any() \
        else pd.Series("", index=frame.index)
    hidden = {(w, g) for w, g, s in zip(within, frame[group], frame["suppressed"]) if s}
    suppressed = pd.Series([(w, g) in hidden for w, g in zip(within, frame[group])], index=frame.index)
    frame = frame.copy()
    for column in ("respondents", "answers", "percent", "estimate", "low", "high"):
        if column in frame:
            frame[column] = frame[column].astype("Int64" if column in ("respondents", "answers") else float
                                                 ).mask(suppressed)
    if "method" in frame and group != "question":  # a group large enough to show (a small one was hidden for
        # every theme already); a question keeps its own wording (SUPPRESSED_QUESTION_METHOD)
        frame["method"] = frame["method"].mask(suppressed & ~frame["suppressed"].astype(bool), PROTECTING_METHOD)
    frame["suppressed"] = suppressed
    return frame


def _with_type_flags(frame: pd.DataFrame, types: Sequence[str]) -> pd.DataFrame:
    """A 0/1 column per framework type (`dimension.type`) from the dimension's column."""
    flags = {t: (frame[t.split(".", 1)[0]].fillna("").astype(str) == t).astype(int) for t in types}
    return frame.assign(**flags)


def question_counts(estimates: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Per theme and question: answers, the share of the question's answers that carry the theme, and its
    estimate and interval (`theme_counts_by_question.csv`)."""
    columns = ["theme", "label", "question", "base_answers", "answers", "percent", *ESTIMATE_COLUMNS]
    if estimates.empty:
        return pd.DataFrame(columns=columns)
    labels = {t.id: t.label for t in codebook.themes}
    frame = estimates.rename(columns={"category": "theme"})
    return _blank_suppressed(frame.assign(label=frame["theme"].map(labels))[columns], ["answers", "percent"])


def type_question_counts(estimates: pd.DataFrame | None, codebook: Codebook) -> pd.DataFrame:
    """Per framework type and question: answers of the type, their share of the question's answers, and its
    estimate and interval (`framework_counts_by_question.csv`)."""
    columns = ["dimension", "type", "label", "question", "base_answers", "answers", "percent", *ESTIMATE_COLUMNS]
    if estimates is None or estimates.empty:
        return pd.DataFrame(columns=columns)
    labels = {f"{d.id}.{k.id}": f"{d.label}: {k.label}" for d in codebook.dimensions for k in d.types}
    parts = estimates["category"].str.split(".", n=1, expand=True)
    frame = estimates.assign(dimension=parts[0], type=parts[1], label=estimates["category"].map(labels))
    return _blank_suppressed(frame[columns].reset_index(drop=True), ["answers", "percent"])


def hidden_groups(estimates: Estimates) -> dict[str, dict[str, set[str]]]:
    """Per theme and type, per metadata column, the groups its breakdown hides (too few respondents, or one that would
    give such a group away): what a quote's attribution must not show beside that theme either. A risk-sharing
    respondent's quote read 'Nonprofit CBO respondent' where the CBO column hid its share, so that with the overall
    count of one it told the hidden groups' share (none) all the same."""
    out: dict[str, dict[str, set[str]]] = {}
    for frames in (estimates.themes_by, estimates.types_by):
        for column, frame in frames.items():
            if frame is None or frame.empty or "suppressed" not in frame or column not in frame:
                continue
            hidden = frame[frame["suppressed"].fillna(False).astype(bool)]
            for category, value in zip(hidden["category"], hidden[column]):
                out.setdefault(str(category), {}).setdefault(column, set()).add(str(value))
    return out


def with_theme_estimates(counts: pd.DataFrame, estimates: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """The run's theme counts with the estimate, interval and method of each row; a suppressed group's
    figures are blank (too few respondents to show)."""
    if counts.empty or estimates.empty:
        return counts.assign(**{c: pd.Series(dtype=object) for c in ESTIMATE_COLUMNS})
    keys = ["category"] + ([by] if by else [])
    right = estimates[keys + ESTIMATE_COLUMNS].rename(columns={"category": "theme"})
    merged = counts.merge(right, on=["theme"] + ([by] if by else []), how="left")
    return _blank_suppressed(merged, ["respondents", "percent", "answers"])


def with_type_estimates(framework: pd.DataFrame, estimates: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """The framework counts with each type's (and "not described"'s) estimate and interval."""
    if framework.empty or estimates.empty:
        return framework.assign(**{c: pd.Series(dtype=object) for c in ESTIMATE_COLUMNS})
    right = estimates[["category"] + ([by] if by else []) + ESTIMATE_COLUMNS].copy()
    parts = right["category"].str.split(".", n=1, expand=True)
    right = right.assign(dimension=parts[0], type=parts[1].replace("none", NOT_DESCRIBED)).drop(columns="category")
    merged = framework.merge(right, on=["dimension", "type"] + ([by] if by else []), how="left")
    return _blank_suppressed(merged, ["respondents", "percent"])


def _blank_suppressed(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    frame["suppressed"] = frame["suppressed"].fillna(False).astype(bool)
    # A hidden group's size too: with the overall base and the sizes shown, it narrows down who is in it.
    columns = [*columns, *(c for c in ("base_respondents", "base_answers", "coded_answers", "estimate", "low", "high")
                           if c in frame.columns)]
    if "method" in frame:  # no figure shown, so no method of making one
        per_answer = "base_answers" in frame.columns and "base_respondents" not in frame.columns  # by question
        said = frame["method"].astype(str) == PROTECTING_METHOD  # a group hidden to protect smaller ones, as such
        frame["method"] = frame["method"].mask(frame["suppressed"] & ~said,
                                               SUPPRESSED_QUESTION_METHOD if per_answer else SUPPRESSED_METHOD)
    whole = ("respondents", "answers", "base_respondents", "base_answers", "coded_answers")
    for column in columns:
        frame[column] = frame[column].astype("Int64" if column in whole else float).mask(frame["suppressed"])
    return frame

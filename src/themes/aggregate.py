"""From segment scores to answer-level themes, and from answers to respondent counts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from themes.classify import NONE, decide, max_by_group, primary, themes_column
from themes.codebook import Codebook

USABLE = ("coded", "uncoded", "too_long")  # answers that were read by the classifier


def score_column(theme_id: str) -> str:
    return f"score_{theme_id}"


def code_answers(answers: pd.DataFrame, segments: pd.DataFrame, segment_scores: np.ndarray,
                 thresholds: np.ndarray, codebook: Codebook) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Decide themes per segment, then per answer (an answer carries a theme when a segment does).

    Returns the answers with `themes`, `top_theme`, `top_score`, one score column per theme and the
    final status ("coded" / "uncoded" for answers that were read), and the segments with `themes`.
    """
    ids = codebook.ids
    groups = [c.group for c in codebook.categories]
    segment_decided = decide(segment_scores, thresholds, groups)
    segments = segments.copy()
    segments["themes"] = themes_column(segment_decided, ids)
    segments["top_theme"] = primary(segment_scores, segment_decided, ids)
    for k, theme_id in enumerate(ids):
        segments[score_column(theme_id)] = np.round(segment_scores[:, k], 4)

    n = len(answers)
    keys = segments["answer_index"].to_numpy()
    answer_scores = max_by_group(segment_scores, keys, n)
    decided_any = max_by_group(segment_decided.astype(np.float32), keys, n) > 0
    # The union of segment decisions; within a dimension, the best-scoring type among them.
    answer_decided = decide(np.where(decided_any, answer_scores, -1.0), np.full(len(ids), -0.5), groups)
    answers = answers.copy()
    read = answers["status"].isin(["pending", "too_long"]).to_numpy()
    answers["themes"] = np.where(read, themes_column(answer_decided, ids), "")
    top = primary(answer_scores, answer_decided, ids)
    answers["top_theme"] = np.where(read, top, "")
    best = answer_scores.max(axis=1) if len(ids) else np.zeros(n)
    answers["top_score"] = np.where(read, np.round(best, 4), np.nan)
    for k, theme_id in enumerate(ids):
        answers[score_column(theme_id)] = np.where(read, np.round(answer_scores[:, k], 4), np.nan)
    coded = read & (answers["themes"] != "")
    pending = answers["status"] == "pending"
    answers.loc[pending & coded, "status"] = "coded"
    answers.loc[pending & coded, "reason"] = "themes reached their thresholds"
    answers.loc[pending & ~coded, "status"] = "uncoded"
    best_theme = [ids[k] for k in answer_scores.argmax(axis=1)] if len(ids) else [NONE] * n
    answers.loc[pending & ~coded, "reason"] = [
        f"no theme reached its threshold (closest: {t} {s:.2f})"
        for t, s, c, p in zip(best_theme, best, coded, pending) if p and not c
    ]
    return answers, segments


def theme_counts(answers: pd.DataFrame, codebook: Codebook, by: str | None = None) -> pd.DataFrame:
    """Respondents (and segments) per theme; percent of respondents with at least one usable answer."""
    usable = answers[answers["status"].isin(USABLE)]
    carried = _theme_rows(usable)
    frames = []
    groups = [(None, usable)] if by is None else list(usable.groupby(by, sort=True))
    for value, part in groups:
        base = part["respondent_id"].nunique()
        mine = carried[carried["_row"].isin(part.index)]
        for category in codebook.categories:
            hits = mine[mine["theme"] == category.id]
            row = {"theme": category.id, "label": category.label,
                   "respondents": hits["respondent_id"].nunique(),
                   "percent": round(100 * hits["respondent_id"].nunique() / base, 1) if base else 0.0,
                   "answers": len(hits), "base_respondents": base}
            frames.append(row if by is None else {by: value, **row})
    return pd.DataFrame(frames)


def add_segment_counts(counts: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    exploded = segments["themes"].str.split(";").explode()
    per_theme = exploded[exploded != ""].value_counts()
    counts = counts.copy()
    counts.insert(4, "segments", counts["theme"].map(per_theme).fillna(0).astype(int))
    return counts


def _theme_rows(answers: pd.DataFrame) -> pd.DataFrame:
    exploded = answers.assign(theme=answers["themes"].str.split(";"), _row=answers.index).explode("theme")
    return exploded[exploded["theme"].fillna("") != ""][["respondent_id", "theme", "_row"]]


def co_occurrence(answers: pd.DataFrame, ids: Sequence[str]) -> pd.DataFrame:
    """Respondents who raised both themes, for each pair (the diagonal: respondents per theme)."""
    usable = answers[answers["status"].isin(USABLE)]
    rows = _theme_rows(usable)
    sets = rows.groupby("respondent_id")["theme"].agg(set)
    matrix = pd.DataFrame(0, index=list(ids), columns=list(ids))
    for themes in sets:
        for a in themes:
            for b in themes:
                matrix.loc[a, b] += 1
    return matrix


def status_accounting(answers: pd.DataFrame) -> dict[str, int]:
    counts = answers["status"].value_counts()
    return {"input_answers": int(len(answers)), **{s: int(counts.get(s, 0)) for s in
            ("coded", "uncoded", "too_long", "non_english", "duplicate", "non_answer", "empty")}}

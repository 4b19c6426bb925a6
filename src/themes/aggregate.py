"""From segment scores to answer-level themes, and from answers to respondent counts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from themes.classify import NONE
from themes.codebook import Codebook
from themes.coding import Scheme

USABLE = ("coded", "uncoded", "too_long")  # answers that were read by the classifier


def score_column(theme_id: str) -> str:
    return f"score_{theme_id}"


def code_answers(answers: pd.DataFrame, segments: pd.DataFrame, segment_scores: np.ndarray,
                 scheme: Scheme, thresholds: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Decide each segment, then each answer, through the one decision path (`Scheme.code`).

    Returns the answers with `themes` (every category id they carry: themes, and one type per
    addressed dimension), `top_theme`, `top_score`, one score column per category and the final
    status ("coded" / "uncoded" for answers that were read), and the segments with `themes`.
    """
    ids = scheme.ids
    n = len(answers)
    keys = segments["answer_index"].to_numpy(dtype=int)
    segment_decided, answer_scores, answer_decided = scheme.code(segment_scores, keys, n, thresholds)
    segments = segments.copy()
    segments["themes"] = themes_column(segment_decided, ids)
    segments["top_theme"] = scheme.primary(segment_scores, segment_decided)
    for k, theme_id in enumerate(ids):
        segments[score_column(theme_id)] = np.round(segment_scores[:, k], 4)

    answers = answers.copy()
    read = answers["status"].isin(["pending", "too_long"]).to_numpy()
    answers["themes"] = np.where(read, themes_column(answer_decided, ids), "")
    answers["top_theme"] = np.where(read, scheme.primary(answer_scores, answer_decided), "")
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


def themes_column(decided: np.ndarray, ids: Sequence[str]) -> list[str]:
    return [";".join(ids[k] for k in np.flatnonzero(row)) for row in decided]


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
            if category.group is not None:
                continue  # dimension types are counted by framework_counts
            hits = mine[mine["theme"] == category.id]
            row = {"theme": category.id, "label": category.label,
                   "respondents": hits["respondent_id"].nunique(),
                   "percent": round(100 * hits["respondent_id"].nunique() / base, 1) if base else 0.0,
                   "answers": len(hits), "base_respondents": base}
            frames.append(row if by is None else {by: value, **row})
    columns = ["theme", "label", "respondents", "percent", "answers", "base_respondents"]
    return pd.DataFrame(frames, columns=columns if by is None else [by, *columns])


def add_segment_counts(counts: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    exploded = segments["themes"].str.split(";").explode()
    per_theme = exploded[exploded != ""].value_counts()
    counts = counts.copy()
    counts.insert(4, "segments", counts["theme"].map(per_theme).fillna(0).astype(int))
    return counts


def _theme_rows(answers: pd.DataFrame) -> pd.DataFrame:
    exploded = answers.assign(theme=answers["themes"].str.split(";"), _row=answers.index).explode("theme")
    return exploded[exploded["theme"].fillna("") != ""][["respondent_id", "theme", "_row"]]


def co_occurrence(answers: pd.DataFrame, ids: Sequence[str], codebook: Codebook | None = None) -> pd.DataFrame:
    """Respondents who raised both categories, for each pair (the diagonal: respondents per category).

    With `codebook`, a framework type is the respondent's own (the most integrated across their answers), as
    the framework's counts have it: a respondent with one referral answer and one joint answer is of type
    joint, not both."""
    usable = answers[answers["status"].isin(USABLE)]
    rows = _theme_rows(usable)[["respondent_id", "theme"]]
    if codebook is not None and codebook.dimensions:
        kinds = respondent_types(answers, codebook).reset_index().melt(
            id_vars="respondent_id", var_name="dimension", value_name="kind")
        kinds = kinds[kinds["kind"] != NOT_DESCRIBED]
        own = pd.DataFrame({"respondent_id": kinds["respondent_id"], "theme": kinds["dimension"] + "." + kinds["kind"]})
        types = {f"{d.id}.{k.id}" for d in codebook.dimensions for k in d.types}
        rows = pd.concat([rows[~rows["theme"].isin(types)], own], ignore_index=True)
    # A fresh index: the exploded theme lists repeat their answer's, and pandas 3.0's crosstab refuses that.
    rows = rows[rows["theme"].isin(ids)].drop_duplicates(["respondent_id", "theme"]).reset_index(drop=True)
    onehot = pd.crosstab(rows["respondent_id"], rows["theme"]).reindex(columns=list(ids), fill_value=0)
    values = onehot.to_numpy(dtype=np.int64)
    return pd.DataFrame(values.T @ values, index=list(ids), columns=list(ids))


NOT_DESCRIBED = "not_described"


def respondent_types(answers: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Each respondent's type per dimension: the most integrated type across their usable answers
    (the codebook lists types from least to most integrated), or "not_described"."""
    usable = answers[answers["status"].isin(USABLE)]
    respondents = pd.Index(usable["respondent_id"].unique(), name="respondent_id")
    carried = _theme_rows(usable)
    out = pd.DataFrame(index=respondents)
    for dimension in codebook.dimensions:
        order = {f"{dimension.id}.{kind.id}": rank for rank, kind in enumerate(dimension.types)}
        mine = carried[carried["theme"].isin(order)]
        top = mine.assign(rank=mine["theme"].map(order)).groupby("respondent_id")["rank"].max()
        kinds = [kind.id for kind in dimension.types]
        out[dimension.id] = top.reindex(respondents).map(lambda r: kinds[int(r)] if r == r else NOT_DESCRIBED)
    return out


def counted_under_types(answers: pd.DataFrame, codebook: Codebook) -> dict[str, set]:
    """The respondents each type's count holds ("service_model.joint" -> ids): a respondent counts under the most
    integrated type of their answers, so a passage of a less integrated one stands behind no count; the evidence
    and the quotes of a type are drawn from these respondents alone."""
    if not codebook.dimensions or answers.empty:
        return {}
    types = respondent_types(answers, codebook)
    return {f"{d.id}.{t.id}": set(types.index[types[d.id] == t.id]) for d in codebook.dimensions for t in d.types}


def framework_counts(answers: pd.DataFrame, codebook: Codebook, by: str | None = None) -> pd.DataFrame:
    """Respondents of each type per dimension (and "not described"), one type per respondent."""
    types = respondent_types(answers, codebook)
    usable = answers[answers["status"].isin(USABLE)]
    if by is not None:
        first = usable.drop_duplicates("respondent_id").set_index("respondent_id")[by]
        types = types.assign(**{by: first.reindex(types.index)})
    groups = [(None, types)] if by is None else list(types.groupby(by, sort=True))
    rows = []
    for value, part in groups:
        base = len(part)
        for dimension in codebook.dimensions:
            counts = part[dimension.id].value_counts()
            options = [(k.id, k.label) for k in dimension.types] + [(NOT_DESCRIBED, "Not described")]
            for kind, label in options:
                n = int(counts.get(kind, 0))
                row = {"dimension": dimension.id, "dimension_label": dimension.label, "type": kind, "label": label,
                       "respondents": n, "percent": round(100 * n / base, 1) if base else 0.0,
                       "base_respondents": base}
                rows.append(row if by is None else {by: value, **row})
    return pd.DataFrame(rows)


def status_accounting(answers: pd.DataFrame) -> dict[str, int]:
    counts = answers["status"].value_counts()
    return {"input_answers": int(len(answers)), **{s: int(counts.get(s, 0)) for s in
            ("coded", "uncoded", "too_long", "non_english", "duplicate", "non_answer", "empty")}}

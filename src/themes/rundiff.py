"""What changed between two runs of the same survey: per theme, the respondents and answers gained
and lost, with the passages behind them, and what each side ran with."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from themes.errors import ThemesError
from themes.runfolder import RunFolder, answer_key

THEME_COLUMNS = ["theme", "in_a", "in_b", "respondents_a", "respondents_b", "respondents_gained",
                 "respondents_lost", "answers_a", "answers_b", "answers_gained", "answers_lost", "threshold_a",
                 "threshold_b"]
CHANGE_COLUMNS = ["theme", "change", "respondent_id", "question", "passage", "score_a", "score_b", "answer_edited"]


@dataclass
class RunDiff:
    themes: pd.DataFrame   # one row per theme of either run
    changes: pd.DataFrame  # one row per answer that gained or lost a theme
    sides: dict            # "a"/"b": what each run ran with (codebook, hashes, model, input)
    answers_only_in: dict  # "a"/"b": answers of one run missing from the other
    same_input: bool
    edited: int = 0        # answers of both runs whose text differs (a corrected resubmission, a new export)


def side_summary(run: RunFolder) -> dict:
    manifest = run.manifest
    codebook = manifest.get("codebook") if isinstance(manifest.get("codebook"), dict) else {}
    calibration = manifest.get("calibration") or {}
    # A run of several codebooks (themes and framework) names each: "a.yaml + b.yaml".
    books = [b for b in manifest.get("codebooks") or [] if isinstance(b, dict)] or [codebook]

    def each(key: str):
        values = [b.get(key) for b in books]
        return values[0] if len(values) == 1 else " + ".join(str(v) for v in values)

    return {"folder": str(run.path), "codebook": each("path"), "codebook_version": each("version"),
            "codebook_content_hash": each("content_hash"), "codebook_sha256": each("sha256"),
            "calibration_codebook_hash": calibration.get("codebook_hash") if isinstance(calibration, dict) else None,
            "model": manifest.get("model"), "method": manifest.get("method"),
            "input_sha256": (manifest.get("input") or {}).get("sha256"),
            "thresholds": manifest.get("thresholds") or {}, "answers": len(run.answers)}


def diff_runs(a: RunFolder, b: RunFolder) -> RunDiff:
    """Compare the theme decisions of two runs answer by answer (answers matched by respondent and question)."""
    left, right = _by_answer(a), _by_answer(b)
    shared = left.index.intersection(right.index)
    if shared.empty:
        raise ThemesError(f"{a.path} and {b.path} share no answer (respondent and question): they code different "
                          "surveys or exports, so there is no change to show. Diff two runs of the same survey.")
    # Respondents gained and lost are counted among those in both runs: a respondent only one run read is not
    # a change of coding.
    both = set(shared.get_level_values(0))
    sides = {"a": side_summary(a), "b": side_summary(b)}
    ids = list(dict.fromkeys(a.category_ids + b.category_ids))
    rows, changes = [], []
    passages = {"a": _passages(a), "b": _passages(b)}
    # An answer whose text changed gains and loses themes with its text, not with the coding: marked.
    texts_a, texts_b = left.loc[shared, "answer"].astype(str), right.loc[shared, "answer"].astype(str)
    edited = set(shared[(texts_a.str.strip() != texts_b.str.strip()).to_numpy()])
    for theme in ids:
        has_a = left.loc[shared, "theme_list"].map(lambda themes: theme in themes)
        has_b = right.loc[shared, "theme_list"].map(lambda themes: theme in themes)
        gained, lost = shared[has_b & ~has_a], shared[has_a & ~has_b]
        people_a = _respondents(left, theme)
        people_b = _respondents(right, theme)
        common_a, common_b = people_a & both, people_b & both
        rows.append({"theme": theme, "in_a": theme in a.category_ids, "in_b": theme in b.category_ids,
                     "respondents_a": len(people_a), "respondents_b": len(people_b),
                     "respondents_gained": len(common_b - common_a), "respondents_lost": len(common_a - common_b),
                     "answers_a": int(left["theme_list"].map(lambda t: theme in t).sum()),
                     "answers_b": int(right["theme_list"].map(lambda t: theme in t).sum()),
                     "answers_gained": len(gained), "answers_lost": len(lost),
                     "threshold_a": _threshold_of(sides["a"], theme), "threshold_b": _threshold_of(sides["b"], theme)})
        for change, keys, side in (("gained", gained, "b"), ("lost", lost, "a")):
            for key in keys:
                changes.append({"theme": theme, "change": change, "respondent_id": key[0], "question": key[1],
                                "passage": passages[side].get((*key, theme), ""),
                                "score_a": _score(left, key, theme), "score_b": _score(right, key, theme),
                                "answer_edited": key in edited})
    changes_frame = pd.DataFrame(changes, columns=CHANGE_COLUMNS)
    if len(changes_frame):
        # The most decided changes first: those the two runs scored furthest apart.
        distance = (changes_frame["score_b"].fillna(0) - changes_frame["score_a"].fillna(0)).abs()
        changes_frame = changes_frame.assign(_d=distance).sort_values(["theme", "change", "_d"], ascending=[
            True, False, False], kind="stable").drop(columns="_d").reset_index(drop=True)
        order = {theme: k for k, theme in enumerate(ids)}
        changes_frame = changes_frame.sort_values("theme", key=lambda s: s.map(order), kind="stable")
    return RunDiff(pd.DataFrame(rows, columns=THEME_COLUMNS), changes_frame.reset_index(drop=True), sides,
                   {"a": len(left.index.difference(right.index)), "b": len(right.index.difference(left.index))},
                   sides["a"]["input_sha256"] == sides["b"]["input_sha256"], len(edited))


def _threshold_of(side: dict, category: str) -> float | None:
    """A theme's threshold; a framework type's is its dimension's (`service_model.referral` -> `service_model`)."""
    thresholds = side["thresholds"]
    return thresholds[category] if category in thresholds else thresholds.get(category.split(".", 1)[0])


def _by_answer(run: RunFolder) -> pd.DataFrame:
    frame = run.answers.copy()
    frame.index = pd.MultiIndex.from_tuples(answer_key(frame), names=["respondent_id", "question"])
    return frame[~frame.index.duplicated()]


def _respondents(frame: pd.DataFrame, theme: str) -> set[str]:
    return set(frame.index.get_level_values(0)[frame["theme_list"].map(lambda themes: theme in themes).to_numpy()])


def _score(frame: pd.DataFrame, key: tuple[str, str], theme: str) -> float | None:
    column = f"score_{theme}"
    if column not in frame.columns:
        return None
    value = pd.to_numeric(frame.at[key, column], errors="coerce")
    return None if pd.isna(value) else round(float(value), 4)


def _passages(run: RunFolder) -> dict[tuple[str, str, str], str]:
    """(respondent, question, theme) -> the first segment carrying the theme, else the whole answer."""
    found: dict[tuple[str, str, str], str] = {}
    segments = run.segments
    for respondent, question, text, themes in zip(segments["respondent_id"], segments["question"],
                                                  segments["text"], segments["theme_list"]):
        for theme in themes:
            found.setdefault((respondent, question, theme), text)
    for respondent, question, text, themes in zip(run.answers["respondent_id"], run.answers["question"],
                                                  run.answers["answer"], run.answers["theme_list"]):
        for theme in themes:
            found.setdefault((respondent, question, theme), text)
    return found


def diff_markdown(diff: RunDiff, *, examples: list[tuple[str, str, str]]) -> str:
    """The diff as a short report: both sides, a table per theme, example passages (de-identified by the caller)."""
    a, b = diff.sides["a"], diff.sides["b"]
    lines = ["# What changed between two runs", "",
             "| | A | B |", "|---|---|---|"]
    for label, key in (("folder", "folder"), ("codebook", "codebook"), ("codebook version", "codebook_version"),
                       ("codebook content hash", "codebook_content_hash"), ("model", "model"), ("method", "method"),
                       ("input sha256", "input_sha256"), ("answers", "answers")):
        lines.append(f"| {label} | {_cell(a[key])} | {_cell(b[key])} |")
    if not diff.same_input:
        lines += ["", "**The two runs read different input files**: answers are matched by respondent and "
                  "question, and those in one run only are left out of the comparison."]
    lines += ["", f"Answers in A only: {diff.answers_only_in['a']}; in B only: {diff.answers_only_in['b']}."]
    if diff.edited:
        marked = int(diff.changes["answer_edited"].sum()) if len(diff.changes) else 0
        lines += ["", f"**{diff.edited} answer{'s' if diff.edited != 1 else ''} in both runs read differently** "
                  "(edited or corrected in the later export): their themes change with their text, not with the "
                  f"coding. {marked} of the changes below are theirs (`answer_edited` in diff_changes.csv)."]
    lines += ["",
              "| theme | respondents A | respondents B | gained | lost | answers gained | answers lost | "
              "threshold A | threshold B |", "|---|---|---|---|---|---|---|---|---|"]
    for row in diff.themes.itertuples():
        lines.append(f"| {row.theme} | {row.respondents_a if row.in_a else '-'} | "
                     f"{row.respondents_b if row.in_b else '-'} | {row.respondents_gained} | {row.respondents_lost} | "
                     f"{row.answers_gained} | {row.answers_lost} | {_threshold(row.threshold_a)} | "
                     f"{_threshold(row.threshold_b)} |")
    if examples:
        lines += ["", "## Example passages", ""]
        for theme, change, passage in examples:
            lines.append(f"- **{theme}**, {change}: \"{passage}\"")
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    return "" if value is None else str(value).replace("|", "/")


def _threshold(value) -> str:
    return "-" if value is None or value != value else f"{float(value):.2f}"

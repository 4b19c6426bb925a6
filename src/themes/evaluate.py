"""Agreement with human coding: read a coded (gold) file, score its passages, compute statistics.

Statistics come from well-kept libraries: scikit-learn (precision, recall, F1, Cohen's kappa,
confusion matrix) and `krippendorff` (alpha). The primary theme of a passage is its first gold
theme, or the model's best-scoring theme among those it assigned; "none" is a class of its own.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score, confusion_matrix, precision_recall_fscore_support

from themes.classify import NONE
from themes.codebook import Codebook
from themes.errors import GoldError

TEXT_COLUMNS = ("text", "passage", "quote", "segment", "answer", "excerpt")
THEME_COLUMNS = ("themes", "theme", "codes", "code", "gold", "gold_themes", "labels", "label")
_SPLIT_THEMES = re.compile(r"\s*[;,|]\s*")
NONE_WORDS = {"none", "no theme", "no_theme", "", "-", "n/a", "na"}


def read_gold(path: str | Path, codebook: Codebook, *, answers: pd.DataFrame | None = None,
              split: str | None = None) -> pd.DataFrame:
    """A gold file as rows of `text`, `gold` (list of theme ids, [] for none) and `split`.

    Passages come from a text column, or from `respondent_id` + `question` keys looked up in
    `answers` (the cleaned answers of a run). Theme ids may also be given as the themes' labels.
    """
    from themes.ingest import read_table, sheet_with_column

    path = Path(path)
    table = read_table(path, sheet=sheet_with_column(path, "themes"))
    lowered = {c.lower(): c for c in table.columns}
    theme_column = next((lowered[c] for c in THEME_COLUMNS if c in lowered), None)
    if theme_column is None:
        raise GoldError(f"{path}: no column of gold themes; name one 'themes' (';'-joined ids, 'none' for none). "
                        f"Columns: {', '.join(table.columns)}.")
    text_column = next((lowered[c] for c in TEXT_COLUMNS if c in lowered), None)
    gold = pd.DataFrame({"gold": [_parse_themes(v, codebook, path, row) for row, v in
                                  enumerate(table[theme_column], start=2)]})
    gold["split"] = table[lowered["split"]].str.strip().str.lower().to_numpy() if "split" in lowered else "all"
    gold["passage_id"] = table[lowered["passage_id"]].to_numpy() if "passage_id" in lowered else \
        [f"row{r}" for r in range(2, len(table) + 2)]
    if text_column is not None:
        gold["text"] = table[text_column].astype(str).to_numpy()
    elif {"respondent_id", "question"} <= set(lowered):
        gold["text"] = _texts_by_key(table, lowered, answers, path)
    else:
        raise GoldError(f"{path}: no passage text column (one of {', '.join(TEXT_COLUMNS)}) and no "
                        f"'respondent_id' + 'question' keys. Columns: {', '.join(table.columns)}.")
    if split is not None:
        if split not in set(gold["split"]):
            raise GoldError(f"{path}: no rows with split '{split}'. Splits: {', '.join(sorted(set(gold['split'])))}.")
        gold = gold[gold["split"] == split]
    gold = gold[gold["text"].str.strip() != ""].reset_index(drop=True)
    if gold.empty:
        raise GoldError(f"{path}: no coded passages with text.")
    return gold


def _parse_themes(value, codebook: Codebook, path: Path, row: int) -> list[str]:
    ids = codebook.ids
    by_label = {c.label.lower(): c.id for c in codebook.categories}
    found = []
    for item in _SPLIT_THEMES.split(str(value if value == value else "").strip()):
        key = item.strip().lower()
        if key in NONE_WORDS:
            continue
        theme = key if key in ids else by_label.get(key) or (key.replace(" ", "_") if key.replace(" ", "_") in ids
                                                             else None)
        if theme is None:
            close = difflib.get_close_matches(key, ids, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise GoldError(f"{path}:{row}: unknown theme '{item.strip()}'.{hint} "
                            f"Known: {', '.join(ids)}, none.")
        if theme not in found:
            found.append(theme)
    return found


def _texts_by_key(table: pd.DataFrame, lowered: dict, answers: pd.DataFrame | None, path: Path) -> list[str]:
    if answers is None:
        raise GoldError(f"{path} names passages by respondent_id and question; pass the survey export with "
                        "--input so their answers can be looked up.")
    lookup = {(str(r), str(q)): t for r, q, t in zip(answers["respondent_id"], answers["question"], answers["answer"])}
    texts = []
    for row, (respondent, question) in enumerate(zip(table[lowered["respondent_id"]], table[lowered["question"]]),
                                                 start=2):
        key = (str(respondent).strip(), str(question).strip())
        if key not in lookup:
            raise GoldError(f"{path}:{row}: respondent '{key[0]}', question '{key[1]}' matches no answer of the "
                            "input. Check the ids and question names.")
        texts.append(lookup[key])
    return texts


def primary_of(themes: list[str]) -> str:
    return themes[0] if themes else NONE


def agreement(gold: list[list[str]], predicted: list[list[str]], predicted_primary: list[str],
              ids: list[str]) -> dict:
    """Per-theme precision, recall, F1, kappa and alpha; overall kappa and alpha of the primary theme."""
    import krippendorff

    gold_matrix = np.array([[t in g for t in ids] for g in gold], dtype=int).reshape(len(gold), len(ids))
    pred_matrix = np.array([[t in p for t in ids] for p in predicted], dtype=int).reshape(len(gold), len(ids))
    per_theme = []
    for k, theme in enumerate(ids):
        y, p = gold_matrix[:, k], pred_matrix[:, k]
        precision, recall, f1, _ = precision_recall_fscore_support(y, p, average="binary", zero_division=0)
        per_theme.append({"theme": theme, "gold": int(y.sum()), "predicted": int(p.sum()),
                          "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
                          "kappa": round(cohen_kappa(y, p), 3),
                          "alpha": round(_alpha(krippendorff, y, p), 3)})
    gold_primary = [primary_of(g) for g in gold]
    labels = ids + [NONE]
    codes = {label: i for i, label in enumerate(labels)}
    overall = {
        "passages": len(gold),
        "primary_kappa": round(cohen_kappa(gold_primary, predicted_primary), 3),
        "primary_alpha": round(_alpha(krippendorff, [codes[g] for g in gold_primary],
                                      [codes[p] for p in predicted_primary]), 3),
        "primary_accuracy": round(float(np.mean([g == p for g, p in zip(gold_primary, predicted_primary)])), 3),
        "any_gold_theme_accuracy": round(float(np.mean(
            [(p in g) if g else p == NONE for g, p in zip(gold, predicted_primary)])), 3),
        "exact_match": round(float(np.mean([set(g) == set(p) for g, p in zip(gold, predicted)])), 3),
        "macro_f1": round(float(np.mean([row["f1"] for row in per_theme])), 3) if per_theme else 0.0,
    }
    matrix = confusion_matrix(gold_primary, predicted_primary, labels=labels)
    confusion = pd.DataFrame(matrix, index=[f"gold {x}" for x in labels], columns=[f"predicted {x}" for x in labels])
    return {"overall": overall, "per_theme": per_theme, "confusion": confusion}


def cohen_kappa(a, b) -> float:
    a, b = list(a), list(b)
    if len(set(a) | set(b)) < 2:
        return 1.0 if a == b else 0.0
    value = cohen_kappa_score(a, b)
    return float(value) if value == value else 0.0


def _alpha(krippendorff, a, b) -> float:
    data = np.array([list(a), list(b)], dtype=float)
    if len(np.unique(data)) < 2:
        return 1.0
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def disagreements(gold: pd.DataFrame, predicted: list[list[str]], predicted_primary: list[str],
                  scores: np.ndarray, ids: list[str]) -> pd.DataFrame:
    """Passages where the model's themes differ from the gold ones, the most confident mistakes first."""
    rows = []
    for i, (g, p, pp) in enumerate(zip(gold["gold"], predicted, predicted_primary)):
        if set(g) == set(p) and primary_of(g) == pp:
            continue
        confidence = float(scores[i].max()) if pp != NONE else float(1 - scores[i].max())
        rows.append({"passage_id": gold["passage_id"].iat[i], "text": gold["text"].iat[i],
                     "gold": ";".join(g) or NONE, "predicted": ";".join(p) or NONE,
                     "gold_primary": primary_of(g), "predicted_primary": pp, "confidence": round(confidence, 3),
                     **{f"score_{t}": round(float(scores[i, k]), 3) for k, t in enumerate(ids)}})
    frame = pd.DataFrame(rows)
    return frame.sort_values("confidence", ascending=False, kind="stable") if len(frame) else frame


def evaluation_markdown(result: dict, *, title: str, notes: list[str]) -> str:
    overall = result["overall"]
    lines = [f"# {title}", "", *notes, "",
             f"- Passages: {overall['passages']}",
             f"- Cohen's kappa, primary theme (\"none\" a class): **{overall['primary_kappa']:.3f}**",
             f"- Krippendorff's alpha (nominal), primary theme: {overall['primary_alpha']:.3f}",
             f"- Primary theme accuracy: {overall['primary_accuracy']:.3f}",
             f"- Exact match of theme sets: {overall['exact_match']:.3f}; macro F1: {overall['macro_f1']:.3f}", "",
             "## Per theme (presence of the theme, multi-label)", "",
             "| theme | gold | predicted | precision | recall | F1 | kappa | alpha |", "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['theme']} | {r['gold']} | {r['predicted']} | {r['precision']:.3f} | {r['recall']:.3f} | "
              f"{r['f1']:.3f} | {r['kappa']:.3f} | {r['alpha']:.3f} |" for r in result["per_theme"]]
    confusion = result["confusion"]
    lines += ["", "## Confusion of the primary theme (rows: gold, columns: predicted)", "",
              "| | " + " | ".join(c.removeprefix("predicted ") for c in confusion.columns) + " |",
              "|---" * (len(confusion.columns) + 1) + "|"]
    lines += [f"| {idx.removeprefix('gold ')} | " + " | ".join(str(v) for v in row) + " |"
              for idx, row in zip(confusion.index, confusion.to_numpy())]
    return "\n".join(lines) + "\n"


def score_passages(texts: list[str], classifier, embed, *, segment_words: int = 60) -> np.ndarray:
    """Theme scores of whole passages, coded the way `themes run` codes answers: cleaned, split into
    segments, each segment scored, a passage scoring its best segment per theme."""
    from themes.classify import features, max_by_group
    from themes.clean import clean_text
    from themes.segment import segment_answers

    cleaned = [clean_text(t) for t in texts]
    segments = segment_answers(cleaned, range(len(cleaned)), max_words=segment_words)
    if segments.empty:
        return np.zeros((len(texts), classifier.n_themes_), dtype=np.float32)
    scores = classifier.predict_proba(features(list(segments["text"]), embed(list(segments["text"]))))
    return max_by_group(scores, segments["answer_index"].to_numpy(), len(texts))


def predictions(scores: np.ndarray, thresholds: np.ndarray, codebook: Codebook) -> tuple[list[list[str]], list[str]]:
    """Theme lists and primary themes from passage scores."""
    from themes.classify import decide, primary

    ids = codebook.ids
    decided = decide(scores, np.asarray(thresholds, dtype=float), [c.group for c in codebook.categories])
    return [[ids[k] for k in np.flatnonzero(row)] for row in decided], primary(scores, decided, ids)

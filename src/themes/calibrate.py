"""Calibration: per-theme thresholds (and training passages) learned from a human-coded sample by
cross-validation, saved beside the codebook as `<codebook>.calibration.json`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from themes.codebook import Codebook
from themes.errors import ThemesError


class CodedPassage(BaseModel):
    text: str
    themes: list[str]


class Calibration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    codebook: str
    codebook_hash: str
    model: str
    method: str
    C: float
    word_weight: float = 1.0
    thresholds: dict[str, float]
    passages: list[CodedPassage] = Field(default_factory=list)
    gold_file: str | None = None
    gold_hash: str | None = None
    gold_split: str | None = None
    cross_validated: dict = Field(default_factory=dict)
    created: str = ""


def calibration_path(codebook_path: str | Path) -> Path:
    path = Path(codebook_path)
    return path.with_name(f"{path.stem}.calibration.json")


def load_calibration(path: str | Path) -> Calibration:
    path = Path(path)
    try:
        return Calibration.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, ValidationError) as error:
        reason = str(error).splitlines()[0][:160]
        raise ThemesError(f"{path}: the calibration file cannot be read ({reason}). "
                          "Run 'themes calibrate' again or delete the file.") from None


def find_calibration(codebook_path: str | Path, explicit: str | None) -> Calibration | None:
    """The explicit calibration file, else the one beside the codebook, else None."""
    if explicit:
        if not Path(explicit).is_file():
            raise ThemesError(f"Calibration file not found: {explicit}. Check --calibration.")
        return load_calibration(explicit)
    beside = calibration_path(codebook_path)
    return load_calibration(beside) if beside.is_file() else None


def save_calibration(calibration: Calibration, path: str | Path) -> None:
    Path(path).write_text(calibration.model_dump_json(indent=2) + "\n", encoding="utf-8")


THRESHOLD_GRID = tuple(round(x, 2) for x in np.arange(0.2, 0.81, 0.05))


def out_of_fold_scores(codebook: Codebook, texts: list[str], gold: list[list[str]], embed, *, folds: int = 5,
                       C: float = 4.0, word_weight: float = 1.0, segment_words: int = 60,
                       seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Scores of each coded passage from a classifier that never saw it (codebook + the other folds).

    Returns the scores and each passage's fold number."""
    from sklearn.model_selection import StratifiedKFold

    from themes.classify import fit_codebook_classifier
    from themes.evaluate import primary_of, score_passages

    strata = np.array([primary_of(g) for g in gold])
    smallest = min(np.unique(strata, return_counts=True)[1])
    if len(texts) < 2 * folds or smallest < 2:
        raise ThemesError(f"Calibration needs at least {2 * folds} coded passages and 2 per primary theme "
                          f"(found {len(texts)}; smallest class {smallest}). Code more passages.")
    splitter = StratifiedKFold(n_splits=min(folds, smallest), shuffle=True, random_state=seed)
    scores = np.zeros((len(texts), len(codebook.ids)), dtype=np.float32)
    fold_of = np.zeros(len(texts), dtype=int)
    for fold, (train, test) in enumerate(splitter.split(np.zeros(len(texts)), strata)):
        passages = [(texts[i], gold[i]) for i in train]
        classifier = fit_codebook_classifier(codebook, embed, method="logistic", C=C, word_weight=word_weight,
                                             passages=passages)
        scores[test] = score_passages([texts[i] for i in test], classifier, embed, segment_words=segment_words)
        fold_of[test] = fold
    return scores, fold_of


def tune_thresholds(scores: np.ndarray, gold: list[list[str]], codebook: Codebook, *, passes: int = 2) -> np.ndarray:
    """Per-theme thresholds that maximise Cohen's kappa of the primary theme, by coordinate ascent
    over a grid; ties go to the value nearest 0.5 (the untuned default)."""
    from themes.evaluate import cohen_kappa, predictions, primary_of

    ids = codebook.ids
    thresholds = np.full(len(ids), 0.5)
    gold_primary = [primary_of(g) for g in gold]

    def kappa(values: np.ndarray) -> float:
        return cohen_kappa(gold_primary, predictions(scores, values, codebook)[1])

    for _ in range(passes):
        for k in range(len(ids)):
            results = []
            for value in THRESHOLD_GRID:
                trial = thresholds.copy()
                trial[k] = value
                results.append((kappa(trial), -abs(value - 0.5), value))
            thresholds[k] = max(results)[2]
    return thresholds


def cross_fitted_predictions(scores: np.ndarray, fold_of: np.ndarray, gold: list[list[str]],
                             codebook: Codebook) -> tuple[list[list[str]], list[str]]:
    """Predictions where each fold's thresholds were tuned on the other folds only (honest CV)."""
    from themes.evaluate import predictions

    predicted: list[list[str]] = [[] for _ in gold]
    primary: list[str] = ["none"] * len(gold)
    for fold in np.unique(fold_of):
        inside, outside = fold_of == fold, fold_of != fold
        thresholds = tune_thresholds(scores[outside], [g for g, o in zip(gold, outside) if o], codebook)
        fold_predicted, fold_primary = predictions(scores[inside], thresholds, codebook)
        for position, p, pp in zip(np.flatnonzero(inside), fold_predicted, fold_primary):
            predicted[position], primary[position] = p, pp
    return predicted, primary


def calibrate(codebook: Codebook, gold_texts: list[str], gold: list[list[str]], embed, *, folds: int = 5,
              C: float = 4.0, word_weight: float = 1.0, segment_words: int = 60) -> tuple[np.ndarray, dict]:
    """Thresholds tuned on out-of-fold scores of the coded passages, and cross-validated agreement
    (model and thresholds never saw the passages they are scored on)."""
    from themes.evaluate import agreement, predictions

    ids = codebook.ids
    scores, fold_of = out_of_fold_scores(codebook, gold_texts, gold, embed, folds=folds, C=C,
                                         word_weight=word_weight, segment_words=segment_words)
    untuned_predicted, untuned_primary = predictions(scores, np.full(len(ids), 0.5), codebook)
    untuned = agreement(gold, untuned_predicted, untuned_primary, ids)
    predicted, primary = cross_fitted_predictions(scores, fold_of, gold, codebook)
    tuned = agreement(gold, predicted, primary, ids)
    thresholds = tune_thresholds(scores, gold, codebook)
    overall = tuned["overall"]
    report = {
        "folds": int(len(np.unique(fold_of))), "passages": len(gold_texts),
        "primary_kappa": overall["primary_kappa"], "primary_alpha": overall["primary_alpha"],
        "macro_f1": overall["macro_f1"], "primary_kappa_untuned": untuned["overall"]["primary_kappa"],
        "per_theme": tuned["per_theme"],
        "summary": (f"cross-validated on {len(gold_texts)} coded passages ({len(np.unique(fold_of))} folds; "
                    f"thresholds tuned inside each fold): Cohen's kappa of the primary theme "
                    f"{overall['primary_kappa']:.2f}, Krippendorff's alpha {overall['primary_alpha']:.2f}"),
    }
    return thresholds, report

"""The classifiers, following scikit-learn's contract: `fit` returns self, learned state ends in `_`.

- `ThemeClassifier`: independent themes, one logistic regression per theme (multi-label), or
  zero-shot cosine similarity to each theme's centre ("prototype");
- `DimensionClassifier`: one dimension's mutually exclusive types, a multinomial logistic
  regression over {not addressed, type 1, ..., type n}, or zero-shot prototypes.
Both read `features(texts, vectors, questions)` (the embedding beside the text, for TF-IDF word
features, and the question each passage answers) and return an (n, k) score matrix in [0, 1]. How
scores become decisions is `themes.coding`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from themes import defaults

NONE = "none"


def features(texts: Sequence[str], vectors: np.ndarray, questions: Sequence[str] | None = None) -> pd.DataFrame:
    """The classifier's input: the texts (for word features) and the question each answers ("" when
    unknown, as for a codebook's examples) beside their embeddings."""
    vectors = np.asarray(vectors, dtype=np.float32)
    frame = pd.DataFrame(vectors, columns=[f"v{i}" for i in range(vectors.shape[1])])
    frame.insert(0, "text", list(texts))
    frame.insert(1, "question", [str(q or "") for q in questions] if questions is not None else "")
    return frame


def _vector_columns(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if c not in ("text", "question")]


QUESTION_WORD = "qq"  # the question enters the word features as one word: "qqchallenges"


def with_question(X: pd.DataFrame) -> list[str]:
    """Each text led by a word naming its question, so that the word features learn what a phrase
    means under each question (trust as a practice under one, its loss as a barrier under another)."""
    questions = X["question"] if "question" in X.columns else [""] * len(X)
    return [f"{QUESTION_WORD}{'_'.join(str(q).lower().split())} {t}" if q else t
            for t, q in zip(X["text"], questions)]


# scikit-learn's English stop words less the words of negation, modality and time: the codebooks turn on
# them ("no one follows up", "a shared record will launch next year": planned, not in place).
STOP_WORDS = sorted(ENGLISH_STOP_WORDS - frozenset(
    "no not nor never none nothing nobody cannot cant will would could should might must may yet still already "
    "once now currently until before after again".split()))


def _encoder(X: pd.DataFrame, word_weight: float, use_question: bool = False) -> ColumnTransformer:
    """The embedding passed through, beside TF-IDF word and bigram features of the text (weighted),
    the question's word among them when `use_question`."""
    parts = [("vectors", "passthrough", _vector_columns(X))]
    if word_weight > 0:
        words = TfidfVectorizer(ngram_range=(1, 2), min_df=2 if len(X) >= 100 else 1, sublinear_tf=True,
                                stop_words=STOP_WORDS)
        if use_question and "question" in X.columns:
            parts.append(("words", make_pipeline(FunctionTransformer(with_question), words), ["text", "question"]))
        else:
            parts.append(("words", words, "text"))
    return ColumnTransformer(parts, transformer_weights={"words": word_weight}).fit(X)


def _check_params(estimator) -> None:
    if estimator.method not in ("logistic", "prototype"):
        raise ValueError(f"The 'method' must be one of ['logistic', 'prototype']. Got {estimator.method!r} instead.")
    if estimator.word_weight < 0:
        raise ValueError(f"The 'word_weight' must be >= 0. Got {estimator.word_weight!r} instead.")
    if not isinstance(estimator.use_question, bool):
        raise ValueError(f"The 'use_question' must be True or False. Got {estimator.use_question!r} instead.")
    if estimator.C <= 0:
        raise ValueError(f"The 'C' must be > 0. Got {estimator.C!r} instead.")
    voting = getattr(estimator, "neighbour_weight", 0)  # a DimensionClassifier has no vote
    if not 0 <= voting <= 1:
        raise ValueError(f"The 'neighbour_weight' must be in [0, 1]. Got {estimator.neighbour_weight!r} instead.")
    if voting and not (estimator.neighbours >= 1 and estimator.neighbour_temperature > 0):
        raise ValueError(f"The 'neighbours' must be >= 1 and the 'neighbour_temperature' > 0. Got "
                         f"{estimator.neighbours!r} and {estimator.neighbour_temperature!r} instead.")


def _unit_rows(centres: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(centres, axis=1, keepdims=True)
    return centres / np.where(norms == 0, 1, norms)


def _check_and_zero_shot(estimator, X: pd.DataFrame) -> np.ndarray | None:
    """Refuse features of another width; for a zero-shot estimator, its scores (cosine to each
    prototype), else None."""
    columns = _vector_columns(X)
    if len(columns) != estimator.n_features_in_:
        raise ValueError(f"X has {len(columns)} features, but the classifier was fitted with "
                         f"{estimator.n_features_in_}.")
    if estimator.method == "prototype":
        return np.clip(X[columns].to_numpy(dtype=np.float32) @ estimator.prototypes_.T, 0.0, 1.0)
    return None


CHUNK = 20_000  # rows scored at once: bounded memory on large runs
NEIGHBOUR_CHUNK = 2_000  # rows compared with every coded passage at once (2,000 x 3,000 cosines: 24 MB)


def neighbour_vote(vectors: np.ndarray, coded: np.ndarray, codes: np.ndarray, k: int = defaults.NEIGHBOURS,
                   temperature: float = defaults.NEIGHBOUR_TEMPERATURE) -> np.ndarray:
    """Each row's vote of its `k` nearest coded passages (cosine to the unit rows of `coded`; a passage as near
    as the k-th votes too): the share of each code (`codes`, (m, t) 0/1) among them, the nearer counting more
    (softmax of the cosine over `temperature`). It learns what a linear model on the same vectors cannot: the
    small pockets of passages that say a theme in their own way ("we can take 30 clients, the hospital refers
    100" as a need)."""
    k = min(k, len(coded))
    out = np.zeros((len(vectors), codes.shape[1]), dtype=np.float32)
    if k == 0:
        return out
    coded, codes = coded.astype(np.float32, copy=False), codes.astype(np.float32, copy=False)
    for begin in range(0, len(vectors), NEIGHBOUR_CHUNK):
        similarity = _unit_rows(vectors[begin:begin + NEIGHBOUR_CHUNK]) @ coded.T
        kth = np.partition(similarity, -k, axis=1)[:, -k, None]
        top = similarity.max(axis=1, keepdims=True)
        similarity -= top
        weight = np.exp(similarity / temperature, where=similarity >= kth - top, out=np.zeros_like(similarity))
        out[begin:begin + NEIGHBOUR_CHUNK] = (weight @ codes) / weight.sum(axis=1, keepdims=True)
    return out


class ThemeClassifier(ClassifierMixin, BaseEstimator):
    """Scores each theme of a codebook for each passage.

    `X` is `features(texts, vectors)`; `Y` an (n, k) 0/1 matrix, one column per theme.

    Parameters
    ----------
    method : "logistic" (learned) or "prototype" (zero-shot cosine to each theme's centre).
    C : inverse regularisation strength of the logistic regressions.
    word_weight : weight of TF-IDF word and bigram features beside the embedding (0: embedding only).
        Measured on the sample's calibration split (5-fold): kappa 0.61 embedding only, 0.68-0.71 with;
        see defaults.WORD_WEIGHT for the weight kept.
    class_weight : passed to each logistic regression ("balanced" offsets rare themes).
    use_question : the question each passage answers (`X["question"]`) as a word of its word features.
    neighbour_weight : the share of each score that is the vote of the training passages nearest in
        meaning (`neighbour_vote`); 0: the logistic regressions alone.
    neighbours, neighbour_temperature : how many of them vote, and how much more the nearer count.
    """

    def __init__(self, method: str = "logistic", C: float = defaults.CLASSIFIER_C,
                 word_weight: float = defaults.WORD_WEIGHT, class_weight: str | None = "balanced",
                 use_question: bool = defaults.USE_QUESTION, neighbour_weight: float = defaults.NEIGHBOUR_WEIGHT,
                 neighbours: int = defaults.NEIGHBOURS, neighbour_temperature: float = defaults.NEIGHBOUR_TEMPERATURE):
        self.method = method
        self.C = C
        self.word_weight = word_weight
        self.class_weight = class_weight
        self.use_question = use_question
        self.neighbour_weight = neighbour_weight
        self.neighbours = neighbours
        self.neighbour_temperature = neighbour_temperature

    def fit(self, X: pd.DataFrame, Y: np.ndarray) -> ThemeClassifier:
        Y = np.asarray(Y)
        if Y.ndim == 1:
            Y = Y.reshape(-1, 1)
        _check_params(self)
        if len(X) != Y.shape[0]:
            raise ValueError(f"X has {len(X)} rows but Y has {Y.shape[0]}.")
        columns = _vector_columns(X)
        self.n_features_in_ = len(columns)
        self.n_themes_ = Y.shape[1]
        self.classes_ = np.arange(self.n_themes_)
        if self.method == "prototype":
            vectors = X[columns].to_numpy(dtype=np.float32)
            self.prototypes_ = _unit_rows(np.stack([
                vectors[Y[:, k] == 1].mean(axis=0) if Y[:, k].any() else np.zeros(len(columns))
                for k in range(self.n_themes_)]).reshape(self.n_themes_, len(columns)))
            return self
        self.encoder_ = _encoder(X, self.word_weight, self.use_question)
        encoded = self.encoder_.transform(X)
        self.estimators_ = []
        for k in range(self.n_themes_):
            column = Y[:, k]
            if column.min() == column.max():  # a theme with only positives or only negatives
                self.estimators_.append(float(column[0]))
                continue
            model = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=3000)
            self.estimators_.append(model.fit(encoded, column))
        if self.neighbour_weight > 0:  # half precision: the shipped vectors are kept so (themes.shipped)
            self.voters_ = _unit_rows(X[columns].to_numpy(dtype=np.float32)).astype(np.float16)
            self.voter_codes_ = Y.astype(np.uint8)
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        zero_shot = _check_and_zero_shot(self, X)
        if zero_shot is not None:
            return zero_shot
        out = np.zeros((len(X), self.n_themes_), dtype=np.float32)
        for begin in range(0, len(X), CHUNK):
            chunk = X.iloc[begin:begin + CHUNK]
            encoded = self.encoder_.transform(chunk)
            for k, model in enumerate(self.estimators_):
                out[begin:begin + CHUNK, k] = model if isinstance(model, float) else model.predict_proba(encoded)[:, 1]
            if self.neighbour_weight > 0:
                vote = neighbour_vote(chunk[_vector_columns(chunk)].to_numpy(dtype=np.float32), self.voters_,
                                      self.voter_codes_, self.neighbours, self.neighbour_temperature)
                out[begin:begin + CHUNK] = (1 - self.neighbour_weight) * out[begin:begin + CHUNK] \
                    + self.neighbour_weight * vote
        return out

    def predict(self, X: pd.DataFrame, threshold: float = defaults.DEFAULT_THRESHOLD) -> np.ndarray:
        return (self.predict_proba(X) >= threshold).astype(int)


class DimensionClassifier(ClassifierMixin, BaseEstimator):
    """Scores the types of one dimension: at most one applies to a passage, or none.

    `X` is `features(texts, vectors)`; `y` holds a type id of `types`, or "none" (not addressed).
    `predict_proba` returns (n, len(types)): P(type) in the order of `types`, so the row sum is
    P(addressed). Zero-shot ("prototype"): cosine similarity to each type's centre.

    Parameters
    ----------
    types : the dimension's type ids, least to most integrated.
    method, C, word_weight, class_weight, use_question : as for `ThemeClassifier`; one multinomial
        logistic regression over {"none", *types}.
    """

    def __init__(self, types: tuple[str, ...] = (), method: str = "logistic", C: float = defaults.CLASSIFIER_C,
                 word_weight: float = defaults.WORD_WEIGHT, class_weight: str | None = "balanced",
                 use_question: bool = defaults.USE_QUESTION):
        self.types = types
        self.method = method
        self.C = C
        self.word_weight = word_weight
        self.class_weight = class_weight
        self.use_question = use_question

    def fit(self, X: pd.DataFrame, y) -> DimensionClassifier:
        _check_params(self)
        y = np.asarray(y, dtype=object)
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}.")
        unknown = sorted(set(y) - {NONE, *self.types})
        if unknown:
            raise ValueError(f"The labels must be one of {[NONE, *self.types]}. Got {unknown!r} instead.")
        columns = _vector_columns(X)
        self.n_features_in_ = len(columns)
        self.classes_ = np.array([NONE, *self.types], dtype=object)
        if self.method == "prototype":
            vectors = X[columns].to_numpy(dtype=np.float32)
            self.prototypes_ = _unit_rows(np.stack([
                vectors[y == kind].mean(axis=0) if (y == kind).any() else np.zeros(len(columns))
                for kind in self.types]).reshape(len(self.types), len(columns)))
            return self
        self.encoder_ = _encoder(X, self.word_weight, self.use_question)
        present = [kind for kind in self.classes_ if (y == kind).any()]
        if len(present) < 2:  # one label only: that label always
            self.model_ = present[0] if present else NONE
        else:
            self.model_ = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=3000)
            self.model_.fit(self.encoder_.transform(X), y)
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        zero_shot = _check_and_zero_shot(self, X)
        if zero_shot is not None:
            return zero_shot
        out = np.zeros((len(X), len(self.types)), dtype=np.float32)
        if isinstance(self.model_, str):
            if self.model_ != NONE:
                out[:, list(self.types).index(self.model_)] = 1.0
            return out
        where = {label: k for k, label in enumerate(self.model_.classes_)}
        for begin in range(0, len(X), CHUNK):
            proba = self.model_.predict_proba(self.encoder_.transform(X.iloc[begin:begin + CHUNK]))
            for k, kind in enumerate(self.types):
                if kind in where:
                    out[begin:begin + CHUNK, k] = proba[:, where[kind]]
        return out

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The most probable label per passage ("none" when not addressed is likeliest)."""
        proba = self.predict_proba(X)
        labels = np.array([NONE, *self.types], dtype=object)
        return labels[np.column_stack([1 - proba.sum(axis=1), proba]).argmax(axis=1)]

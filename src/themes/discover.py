"""Emergent themes: cluster the passages no theme caught, name each cluster by its words, and draft
candidate themes in the codebook's own schema.

Clustering follows BERTopic's recipe with stock parts: the embeddings are reduced with PCA, then
scikit-learn's HDBSCAN clusters them (noise stays unclustered); clusters are named by class-based
TF-IDF (c-TF-IDF). For scale, HDBSCAN sees at most `sample_size` passages and the rest join the
nearest cluster centre when close enough, so no step compares every pair of passages in the corpus.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin

NOISE = -1
_WORD = r"(?u)\b[a-zA-Z][a-zA-Z]+\b"
# Contact details are no topic (and no word to publish): e-mails and URLs go first (digits are no words).
_EMAIL = re.compile(r"[^\s@]+@\S+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+")
# What the tokenizer leaves of contractions ("doesn't" -> "doesn") and of "N/A".
_FRAGMENTS = {"doesn", "don", "isn", "aren", "wasn", "weren", "didn", "haven", "hasn", "hadn", "couldn", "wouldn",
              "shouldn", "won", "ve", "ll", "re", "na"}


class PassageClusters(ClusterMixin, BaseEstimator):
    """HDBSCAN on PCA-reduced, re-normalised embeddings of (a sample of) the passages; every other
    passage joins the nearest cluster centre when it is as close to it as most of the cluster's members
    and the cluster has room.

    `min_cluster_size` counts passages of the whole input (scaled down to the sample); no cluster
    may hold more than `max_cluster_share` of the passages (HDBSCAN's excess-of-mass selection
    otherwise prefers one blob of everything loosely related). A passage that HDBSCAN left out, or
    that was not sampled, joins its nearest centre when its cosine similarity reaches the
    `join_percentile` percentile of the members' (BERTopic's outlier reduction by embeddings), the
    closest first until the cluster holds `max_cluster_share` of the passages.
    After `fit`: `labels_` (0..k-1 by decreasing size, -1 for unclustered) and `n_clusters_`.
    """

    def __init__(self, *, min_cluster_size: int | None = None, n_components: int = 16, sample_size: int = 8000,
                 max_cluster_share: float = 0.2, join_percentile: float = 10.0, random_state: int = 0):
        self.min_cluster_size = min_cluster_size
        self.n_components = n_components
        self.sample_size = sample_size
        self.max_cluster_share = max_cluster_share
        self.join_percentile = join_percentile
        self.random_state = random_state

    def fit(self, X, y=None) -> PassageClusters:
        from sklearn.cluster import HDBSCAN
        from sklearn.decomposition import PCA

        X = np.asarray(X, dtype=np.float32)
        n = len(X)
        self._check_params()
        size = self.min_cluster_size or default_min_cluster_size(n)
        self.labels_ = np.full(n, NOISE, dtype=int)
        self.n_clusters_ = 0
        if n < max(2 * size, 3):
            return self
        rng = np.random.default_rng(self.random_state)
        sample = np.sort(rng.choice(n, self.sample_size, replace=False)) if n > self.sample_size else np.arange(n)
        components = min(self.n_components, len(sample) - 1, X.shape[1])
        pca = PCA(n_components=components, random_state=self.random_state,
                  svd_solver="randomized" if len(sample) > 2000 else "full").fit(X[sample])
        reduced = pca.transform(X[sample])
        # Re-normalised: the reduced vectors keep the cosine geometry the embeddings were made for.
        reduced /= np.maximum(np.linalg.norm(reduced, axis=1, keepdims=True), 1e-12)
        scaled = max(2, round(size * len(sample) / n))
        sampled = HDBSCAN(min_cluster_size=scaled, min_samples=min(scaled, 3), copy=True,
                          max_cluster_size=max(2 * scaled, int(self.max_cluster_share * len(sample))),
                          ).fit_predict(reduced)
        labels = np.full(n, NOISE, dtype=int)
        labels[sample] = sampled
        clusters = [c for c in np.unique(sampled) if c != NOISE]
        if clusters:
            centres = np.stack([X[sample][sampled == c].mean(axis=0) for c in clusters])
            centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
            floor = np.array([np.percentile(X[sample][sampled == c] @ centres[k], self.join_percentile)
                              for k, c in enumerate(clusters)])
            left = np.flatnonzero(labels == NOISE)
            joining, target, closeness = [np.empty(0, int)], [np.empty(0, int)], [np.empty(0)]
            for start in range(0, len(left), 65536):  # n x k similarities, a block at a time
                block = left[start:start + 65536]
                similarity = X[block] @ centres.T
                nearest = similarity.argmax(axis=1)
                best = similarity[np.arange(len(block)), nearest]
                joins = best >= floor[nearest]
                joining.append(block[joins])
                target.append(nearest[joins])
                closeness.append(best[joins])
            _join_up_to(labels, np.asarray(clusters), np.concatenate(joining), np.concatenate(target),
                        np.concatenate(closeness), cap=max(2 * size, int(self.max_cluster_share * n)))
        self.labels_ = _renumber_by_size(labels)
        self.n_clusters_ = int(self.labels_.max() + 1)
        return self

    def _check_params(self) -> None:
        for name, low in (("n_components", 2), ("sample_size", 100)):
            value = getattr(self, name)
            if not isinstance(value, int) or value < low:
                raise ValueError(f"The '{name}' parameter must be an integer >= {low}. Got {value!r} instead.")
        if self.min_cluster_size is not None and (not isinstance(self.min_cluster_size, int)
                                                  or self.min_cluster_size < 2):
            raise ValueError(f"The 'min_cluster_size' parameter must be an integer >= 2 or None. "
                             f"Got {self.min_cluster_size!r} instead.")
        if not 0 < self.max_cluster_share <= 1:
            raise ValueError(f"The 'max_cluster_share' parameter must be in (0, 1]. Got {self.max_cluster_share!r} "
                             "instead.")
        if not 0 <= self.join_percentile <= 100:
            raise ValueError(f"The 'join_percentile' parameter must be in [0, 100]. Got {self.join_percentile!r} "
                             "instead.")


def _join_up_to(labels: np.ndarray, clusters: np.ndarray, passages: np.ndarray, nearest: np.ndarray,
                closeness: np.ndarray, *, cap: int) -> None:
    """Passages join their nearest cluster, the closest first, until it holds `cap` passages: joining
    must not make one cluster the blob of everything loosely related that the cap keeps HDBSCAN from."""
    for k, cluster in enumerate(clusters):
        mine = np.flatnonzero(nearest == k)
        room = max(0, cap - int((labels == cluster).sum()))
        keep = mine[np.argsort(-closeness[mine], kind="stable")[:room]]
        labels[passages[keep]] = cluster


def default_min_cluster_size(n_passages: int) -> int:
    """1% of the passages, at least 5: a theme a researcher would add is raised more than a few times."""
    return max(5, round(0.01 * n_passages))


def _renumber_by_size(labels: np.ndarray) -> np.ndarray:
    found = [c for c in np.unique(labels) if c != NOISE]
    # Largest first; ties by first appearance, so the numbering is stable for a given input.
    order = sorted(found, key=lambda c: (-(labels == c).sum(), int(np.argmax(labels == c))))
    mapping = {old: new for new, old in enumerate(order)}
    return np.array([mapping.get(c, NOISE) for c in labels], dtype=int)


def cluster_words(texts: Sequence[str], labels: np.ndarray, *, respondents: Sequence[str] | None = None,
                  top_n: int = 6, is_name: Callable[[str, list[str]], bool] | None = None) -> dict[int, list[str]]:
    """The words that set each cluster apart, by class-based TF-IDF (BERTopic's c-TF-IDF).

    Every cluster is one "document"; the unclustered passages are one more, so words common to all
    passages rank low. A two-word term is kept only when it adds a word the terms above it lack.
    E-mail addresses and URLs are removed first. Given `respondents` (one per passage), a word must
    come from at least two respondents of the cluster: one person's repeated word (a colleague's
    name) neither names a theme nor should be published. A name several respondents use (a shared
    contact) is caught by `is_name(term, passages)`, asked with a few of the cluster's passages that use
    the term: a term it calls a name is skipped.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    labels = np.asarray(labels)
    clusters = sorted(c for c in set(labels.tolist()) if c != NOISE)
    if not clusters:
        return {}
    classes = clusters + [NOISE]
    vectorizer = CountVectorizer(stop_words=sorted(ENGLISH_STOP_WORDS | _FRAGMENTS), ngram_range=(1, 2),
                                 token_pattern=_WORD, min_df=min(2, len(texts)))
    counts = vectorizer.fit_transform([_without_contacts(text) for text in texts])
    membership = (labels[:, None] == np.array(classes)[None, :]).astype(np.float32)
    per_class = np.asarray(counts.T @ membership).T  # classes x terms
    tf = per_class / np.maximum(per_class.sum(axis=1, keepdims=True), 1)
    average_words = per_class.sum() / len(classes)
    idf = np.log(1 + average_words / np.maximum(per_class.sum(axis=0), 1))
    scores = tf * idf
    if respondents is not None:
        scores[:len(clusters)] *= _respondents_per_term(counts, labels, respondents, clusters) >= 2
    terms = vectorizer.get_feature_names_out()
    words = {}
    for row, cluster in enumerate(clusters):
        picked: list[str] = []
        covered: set[str] = set()
        for column in np.argsort(-scores[row], kind="stable"):
            if scores[row, column] <= 0 or len(picked) == top_n:
                break
            tokens = set(terms[column].split())
            if tokens <= covered:
                continue
            if is_name is not None and is_name(str(terms[column]), _using(texts, labels == cluster, tokens)):
                continue
            picked.append(str(terms[column]))
            covered |= tokens
        words[cluster] = picked
    return words


def _using(texts: Sequence[str], members: np.ndarray, tokens: set[str], most: int = 5) -> list[str]:
    """Up to `most` distinct passages of a cluster that hold every one of `tokens` as a word."""
    patterns = [re.compile(rf"(?<!\w){re.escape(token)}(?!\w)", re.IGNORECASE) for token in tokens]
    found: list[str] = []
    for text in dict.fromkeys(t for t, member in zip(texts, members) if member):
        if all(p.search(text) for p in patterns):
            found.append(text)
            if len(found) == most:
                break
    return found


def _respondents_per_term(counts, labels: np.ndarray, respondents: Sequence[str], clusters: list[int]) -> np.ndarray:
    """clusters x terms: how many distinct respondents of each cluster used each term."""
    from scipy import sparse

    pairs, pair_of = np.unique(np.array([f"{label}\x1f{who}" for label, who in zip(labels, respondents)]),
                               return_inverse=True)
    by_pair = sparse.csr_matrix((np.ones(len(labels)), (pair_of.ravel(), np.arange(len(labels)))),
                                shape=(len(pairs), len(labels))) @ (counts > 0)
    pair_cluster = np.array([int(p.split("\x1f")[0]) for p in pairs])
    to_cluster = (pair_cluster[None, :] == np.array(clusters)[:, None]).astype(np.float32)
    return (sparse.csr_matrix(to_cluster) @ (by_pair > 0).astype(np.float32)).toarray()


def _without_contacts(text: str) -> str:
    # The cheap membership tests spare the regular expressions on nearly every passage.
    if "@" in text:
        text = _EMAIL.sub(" ", text)
    if "://" in text or "www." in text:
        text = _URL.sub(" ", text)
    return text


@dataclass
class Discovery:
    """What `discover` found: one row per cluster, and each passage's cluster."""

    clusters: pd.DataFrame   # cluster, candidate_id, label, words, passages, respondents, share, questions
    passages: pd.DataFrame   # the input passages with `cluster` (-1: unclustered) and `centrality`
    considered: int


def discover(passages: pd.DataFrame, vectors: np.ndarray, *, taken_ids: Sequence[str] = (), prefix: str = "",
             min_cluster_size: int | None = None, seed: int = 0, sample_size: int = 8000,
             is_name: Callable[[str, list[str]], bool] | None = None) -> Discovery:
    """Cluster passages (`text`, `respondent_id` columns) by their embeddings and name the clusters.

    `taken_ids` are the codebook's ids, which candidate ids avoid; `prefix` starts every candidate id
    (the parent theme when clustering one theme's passages into sub-themes); `is_name` keeps people's
    names out of the clusters' words (see `cluster_words`).
    """
    model = PassageClusters(min_cluster_size=min_cluster_size, random_state=seed, sample_size=sample_size)
    labels = model.fit(vectors).labels_ if len(passages) else np.zeros(0, dtype=int)
    words = cluster_words(list(passages["text"]), labels, respondents=list(passages["respondent_id"]),
                          is_name=is_name) if len(passages) else {}
    out = passages.copy()
    out["cluster"] = labels
    out["centrality"] = _centrality(np.asarray(vectors, dtype=np.float32), labels)
    taken = set(taken_ids)
    rows = []
    for cluster in range(int(labels.max(initial=NOISE)) + 1):
        members = out[out["cluster"] == cluster]
        candidate = _candidate_id(words.get(cluster, []), prefix, taken, cluster)
        taken.add(candidate)
        rows.append({"cluster": cluster + 1, "candidate_id": candidate,
                     "label": _label(words.get(cluster, [])) or f"Cluster {cluster + 1}",
                     "words": ", ".join(words.get(cluster, [])), "passages": len(members),
                     "respondents": members["respondent_id"].nunique(),
                     "share": round(len(members) / len(out), 3), "questions": _questions_of(members)})
    out["cluster"] = np.where(labels == NOISE, NOISE, labels + 1)
    columns = ["cluster", "candidate_id", "label", "words", "passages", "respondents", "share", "questions"]
    return Discovery(pd.DataFrame(rows, columns=columns), out, len(out))


def _label(words: list[str]) -> str:
    """A cluster's label: its first three terms, a word a later term of two words holds given as that term ("Serve,
    serve people" read twice as one word; review 170: "Serve people")."""
    picked: list[str] = []
    for term in words:
        inside = [k for k, earlier in enumerate(picked) if set(earlier.split()) < set(term.split())]
        if inside:
            picked[inside[0]] = term
            picked = [p for k, p in enumerate(picked) if k not in inside[1:]]
        elif len(picked) < 3:
            picked.append(term)
    return ", ".join(picked[:3]).capitalize()


def _questions_of(members: pd.DataFrame) -> str:
    """The questions a cluster's passages answer, most first ("funding 108, challenges 20, goals 14"): a cluster of
    one question's answers may be what a theme leaves out on purpose (answers to 'funding' that state their sources,
    which resource needs excludes; review 160). "" where the passages name no question."""
    if "question" not in members or not len(members):
        return ""
    counts = members["question"].astype(str).value_counts()
    shown = ", ".join(f"{question} {count}" for question, count in counts.head(3).items())
    return shown + (f" and {len(counts) - 3} more" if len(counts) > 3 else "")


def _centrality(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Cosine similarity of each passage to its cluster's centre (0 for unclustered passages)."""
    out = np.zeros(len(labels), dtype=np.float32)
    for cluster in set(labels.tolist()) - {NOISE}:
        members = labels == cluster
        centre = vectors[members].mean(axis=0)
        centre /= np.linalg.norm(centre) or 1.0
        out[members] = vectors[members] @ centre
    return np.round(out, 4)


def _candidate_id(words: list[str], prefix: str, taken: set[str], cluster: int) -> str:
    unigrams = [w for term in words for w in term.split()]
    stem = "_".join(dict.fromkeys(unigrams[:2])).lower() or f"cluster_{cluster + 1}"
    base = re.sub(r"[^a-z0-9_]+", "_", f"{prefix}_{stem}" if prefix else stem).strip("_")
    if not re.match(r"^[a-z]", base):
        base = f"theme_{base}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def representatives(discovery: Discovery, cluster: int, n: int) -> pd.DataFrame:
    """The `n` passages closest to the cluster's centre, one per distinct text ("N/A" and "n/a" are one)."""
    members = discovery.passages[discovery.passages["cluster"] == cluster]
    members = members.sort_values("centrality", ascending=False, kind="stable")
    from themes.codebook import plain_key

    return members[~members["text"].map(plain_key).duplicated()].head(n)

"""Levers tried for the themes codebook's agreement, each measured as `themes calibrate` measures the
product: 5-fold cross-validation on the gold file's calibration split only (thresholds tuned inside each
fold), primary-theme kappa, the test split never read. Each lever changes one thing of the product's coder:

    baseline           the coder as `themes calibrate` fits it
    word-weight=W      the TF-IDF word features' weight beside the embedding (the product uses 2)
    vector-weight=W    the embedding's weight beside the TF-IDF word features (the product uses 1)
    C=C                the logistic regressions' inverse regularisation (the product uses 4)
    neighbours=W[,K,T] the share W of each theme's score that is the vote of the K training passages nearest in
                       meaning, softmax temperature T (themes.classify.neighbour_vote; the product uses 0.2, 10,
                       0.05; neighbours=0: the logistic regressions alone, the coder before 2026-11-30's evening)
    chars=W            character 3-5-grams (TF-IDF, weight W) beside the word features
    trigrams           word 1-3-grams instead of 1-2-grams
    mlp=MIX            an MLP (256 hidden units) on the frozen embedding and the question, its
                       probabilities mixed with the logistic regressions' (MIX=1: the MLP alone)
    examples-weight=W  each of the codebook's own texts (its examples) weighted W in the logistic regressions, the
                       coded passages 1 (the product weighs all alike)
    mix-unasked=MIX    the themes' probabilities mixed with those of the same model learned without the question
                       (MIX=1: that model alone)
    question-fixed=W   the question as a one-hot block of weight W beside the word features, instead of a word
                       among them (whose weight falls as the passage grows: it alone decides a two-word answer)
    layers=L,L,...[@W] the embedding as the mean-pooled outputs of several of MiniLM's layers (0-6; 6 alone is
                       the product's vector), each unit-length times W (default 1), concatenated; one
                       forward pass
    finetune=K,EPOCHS  the sentence model's last K layers fine-tuned inside each fold on that fold's
                       training passages (multi-label cross-entropy through a linear head that also sees
                       the question; lr 5e-5, batch 16), then the product's coder on the tuned vectors
    primary=RULE       which of the themes a passage carries is its primary one: by the score's margin over
                       the theme's threshold (margin), its ratio to it (ratio) or their log-odds' difference
                       (logit); the product takes the highest score. By where in the passage each theme is
                       evidenced, among the themes it carries when it carries 2+ (`_sentence_primary`): the one its
                       earliest sentence carries (first), its last (last), the most sentences (most), or the
                       score less W times the first sentence's relative position (first-weighted,W); each
                       sentence scored by the fold's coder on its own embedding (embeds the sentences once,
                       about a minute on 2 cores, cached under THEMES_CACHE_DIR or /tmp), or with `@words` on the
                       passage's embedding and the sentence's words (no embedding: what a run could afford); a
                       theme is where its first sentence over its threshold is, or with `@best` / `@words-best`
                       its best-scoring sentence
    self-train=HI,LO   self-training on the passages being coded (a run's own answers): each fold's coder scores
                       them, those with a theme scored HI or more (those themes) or none over LO (no theme) are added
                       to its training passages with those codes, and the coder fitted again scores them all
    third-person       each training passage also as a copy in the third person ("we", "our", "I", "my" ->
                       "they", "their"), as a findings report paraphrases respondents

    .venv/bin/python benchmarks/agreement_levers.py baseline vector-weight=0.5 C=8 --seeds 0,1,2
    .venv/bin/python benchmarks/agreement_levers.py word-weight=1 word-weight=1.5 word-weight=3
    .venv/bin/python benchmarks/agreement_levers.py layers=6 layers=2,4,6@0.707   # layers=6: the baseline
    .venv/bin/python benchmarks/agreement_levers.py finetune=2,3 --seeds 0    # ~25 minutes on 2 cores

`--by-writer`: each fold holds whole writers (the passage id's letter prefix; nine in the calibration
split), as a new writer meets the product, instead of folds that mix every writer's passages: a lever that
only learns a writer's style gains in mixed folds and not here (leave-one-writer-out on the test split,
`benchmarks/leave_one_writer_out.py`, is the check on held-out passages).

Every lever but finetune and layers reads the shipped vectors and the embedding cache (about 15 s per seed);
layers embeds the passages and the codebook's texts once (about a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

LEVER = {}  # the lever being measured, read by the patched encoder below


def _encoder(X, word_weight, use_question=False):
    """The product's encoder (themes.classify._encoder) with the lever's changes."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from themes.classify import STOP_WORDS, _vector_columns, with_question

    words = TfidfVectorizer(ngram_range=(1, 3) if "trigrams" in LEVER else (1, 2), min_df=2 if len(X) >= 100 else 1,
                            sublinear_tf=True, stop_words=STOP_WORDS)
    in_words = use_question and "question-fixed" not in LEVER
    parts = [("vectors", "passthrough", _vector_columns(X)),
             ("words", make_pipeline(FunctionTransformer(with_question), words) if in_words else words,
              ["text", "question"] if in_words else "text")]
    weights = {"vectors": LEVER.get("vector-weight", 1.0), "words": LEVER.get("word-weight", word_weight)}
    if use_question and "question-fixed" in LEVER:
        from sklearn.preprocessing import OneHotEncoder

        parts.append(("question", OneHotEncoder(handle_unknown="ignore"), ["question"]))
        weights["question"] = LEVER["question-fixed"]
    if "chars" in LEVER:
        parts.append(("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3, sublinear_tf=True,
                                               max_features=50_000), "text"))
        weights["chars"] = LEVER["chars"]
    return ColumnTransformer(parts, transformer_weights=weights).fit(X)


def _classifier():
    """The product's ThemeClassifier with the lever's C and, for mlp, an MLP beside it."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    import themes.classify
    from themes.classify import ThemeClassifier, _vector_columns

    def inputs(X, questions):
        onehot = np.stack([(X["question"] == q).to_numpy(np.float32) for q in questions], axis=1)
        return np.hstack([X[_vector_columns(X)].to_numpy(np.float32), onehot])

    class Weighted(LogisticRegression):
        """The product's logistic regression, each codebook text's weight `examples-weight` (the coded passages' 1)."""
        weights = None

        def fit(self, X, y, sample_weight=None):
            return super().fit(X, y, sample_weight=Weighted.weights if Weighted.weights is not None else sample_weight)

    class Lever(ThemeClassifier):
        def fit(self, X, Y):
            self.C = LEVER.get("C", self.C)
            if "examples-weight" in LEVER:  # the codebook's own texts answer no question (themes.coding._questions)
                themes.classify.LogisticRegression = Weighted
                Weighted.weights = np.where(X["question"].astype(str) == "", LEVER["examples-weight"], 1.0)
            if "neighbours" in LEVER:  # the weight, and the neighbours and temperature where given
                vote = dict(zip(("neighbour_weight", "neighbours", "neighbour_temperature"), LEVER["neighbours"]))
                self.set_params(**vote)
            super().fit(X, Y)
            if "mix-unasked" in LEVER and self.use_question:
                self.unasked_ = ThemeClassifier(C=self.C, word_weight=self.word_weight, class_weight=self.class_weight,
                                                use_question=False).fit(X, Y)
            if "mlp" in LEVER:
                self.questions_ = sorted(pd.unique(X["question"]))
                self.mlp_ = MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-3, max_iter=300,
                                          random_state=0).fit(inputs(X, self.questions_), np.asarray(Y))
            return self

        def predict_proba(self, X):
            scores = super().predict_proba(X)
            if "mix-unasked" in LEVER and hasattr(self, "unasked_"):
                mix = LEVER["mix-unasked"]
                scores = (1 - mix) * scores + mix * self.unasked_.predict_proba(X)
            if "mlp" not in LEVER:
                return scores
            mix = LEVER["mlp"]
            return (1 - mix) * scores + mix * self.mlp_.predict_proba(inputs(X, self.questions_))

    return Lever


_THIRD_PERSON = [(r"\bI am\b", "they are"), (r"\bI'm\b", "they're"), (r"\bI was\b", "they were"),
                 (r"\b(?:I|we)'ve\b", "they've"), (r"\b(?:I|we)'ll\b", "they'll"), (r"\b(?:I|we)'d\b", "they'd"),
                 (r"\bwe're\b", "they're"), (r"\b(?:I|we)\b", "they"), (r"\b(?:me|us)\b", "them"),
                 (r"\b(?:my|our)\b", "their"), (r"\b(?:mine|ours)\b", "theirs"),
                 (r"\b(?:myself|ourselves)\b", "themselves")]


def third_person(text: str) -> str:
    """The passage with its grammatical person turned to the third ("We trust our partners" -> "They trust their
    partners"); crude (no verb agreement beyond "am" and "was"), as a lever's probe."""
    import re

    for pattern, replacement in _THIRD_PERSON:
        def sub(m: re.Match, replacement: str = replacement) -> str:
            if len(m.group()) > 1 and m.group().isupper():
                return m.group()  # "US Census", a passage in capitals
            starts = m.start() == 0 or m.string[:m.start()].rstrip()[-1:] in ".!?"  # "I" is always a capital
            capital = m.group()[0].isupper() and (not m.group().startswith("I") or starts)
            return replacement[0].upper() + replacement[1:] if capital else replacement
        text = re.sub(pattern, sub, text, flags=re.IGNORECASE)
    return text


def _with_third_person_copies(fit_coder):
    """themes.coding.fit_coder training on each passage and its third-person copy."""
    def fit(codebook, embed, calibration=None, *, passages=None, **kwargs):
        if passages:
            copies = [(third_person(p[0]), *p[1:]) for p in passages]
            passages = list(passages) + [c for c, p in zip(copies, passages) if c[0] != p[0]]
        return fit_coder(codebook, embed, calibration, passages=passages, **kwargs)
    return fit


def _self_training(product_fit, product_score_segments, high: float, low: float):
    """fit_coder and Coder.score_segments for `self-train`: the fitted coder remembers how it was fitted; scoring, it
    takes the passages it is confident of (a theme at `high` or more, or every theme under `low`) as coded so, fits
    again with them beside its own passages, and the new coder scores every passage."""
    from themes.coding import Scheme

    def fit(codebook, embed, calibration=None, **kwargs):
        coder = product_fit(codebook, embed, calibration, **kwargs)
        coder.fitted_with_ = (codebook, embed, calibration, kwargs)
        return coder

    def score_segments(self, texts, embed, *, questions=None, segment_words=None):
        from themes import defaults

        words = segment_words or defaults.SEGMENT_WORDS
        scores, keys = product_score_segments(self, texts, embed, questions=questions, segment_words=words)
        if not hasattr(self, "fitted_with_") or not len(texts):
            return scores, keys
        codebook, fit_embed, calibration, kwargs = self.fitted_with_
        scheme = Scheme(codebook)
        best = np.zeros((len(texts), scores.shape[1]))
        np.maximum.at(best, keys, scores)
        columns = scheme.theme_columns
        pseudo = []
        for i, text in enumerate(texts):
            on = [scheme.ids[c] for c in columns if best[i, c] >= high]
            if on or best[i, columns].max() < low:
                pseudo.append((text, on, questions[i]) if questions is not None else (text, on))
        again = product_fit(codebook, fit_embed, calibration,
                            **{**kwargs, "passages": [*(kwargs.get("passages") or ()), *pseudo]})
        SELF_TRAINED.append(len(pseudo) / len(texts))
        return product_score_segments(again, texts, embed, questions=questions, segment_words=words)

    return fit, score_segments


SELF_TRAINED: list[float] = []  # the share of each fold's passages taken as coded


def _primary_by(rule: str, product_primary):
    """Scheme.primary choosing among the themes carried by `rule`: the product's own choice (`product_primary`, the
    highest value among the carried themes) made on each theme's lead over its threshold instead of its score (the
    thresholds are those Scheme.code last decided with, recorded by the patched Scheme.code)."""
    def primary(self, scores, decided):
        columns = self.theme_columns
        keyed = np.array(scores, dtype=float)
        values, cut = keyed[:, columns], self.thresholds_[columns]
        if rule == "margin":
            keyed[:, columns] = values - cut
        elif rule == "ratio":
            keyed[:, columns] = values / cut
        else:
            odds = lambda p: np.log(np.clip(p, 1e-6, 1 - 1e-6) / (1 - np.clip(p, 1e-6, 1 - 1e-6)))  # noqa: E731
            keyed[:, columns] = odds(values) - odds(cut)
        return product_primary(self, keyed, decided)
    return primary


SENTENCE_RULES = ("first", "last", "most", "first-weighted")


def _sentence_scores(coder, texts, questions, embed, locator, segment_words):
    """Per passage, its sentences' scores (n_sentences, k) by the fold's `coder`, in the passage's order (None for a
    passage of one sentence, where no sentence rule chooses): locator "embed", each sentence on its own embedding;
    "words", each on its segment's embedding (the passage's, as the product scored it) beside its own words."""
    from themes.clean import clean_text
    from themes.coding import classified_texts
    from themes.segment import segment_answers, split_sentences

    cleaned = [clean_text(t) for t in texts]
    segments = segment_answers(cleaned, range(len(texts)), max_words=segment_words)
    spans = split_sentences(cleaned)
    pieces, owners, segment_of = [], [], []
    for row, (k, start, end) in enumerate(segments[["answer_index", "start", "end"]].itertuples(index=False)):
        if len(spans[k]) < 2:
            continue
        for s, e in spans[k]:
            if s >= start and e <= end:
                pieces.append(cleaned[k][s:e])
                owners.append(k)
                segment_of.append(row)
    out = [None] * len(texts)
    if not pieces:
        return out
    pieces = classified_texts(pieces)
    if locator == "words":
        vectors = embed(classified_texts(list(segments["text"].iloc[segment_of])))
    else:
        vectors = embed(pieces)
    asked = [questions[k] for k in owners] if questions is not None else None
    scores = coder.score(pieces, vectors, asked, embed)
    owners = np.array(owners)
    for k in np.unique(owners):
        out[k] = scores[owners == k]
    return out


def _located(sentences, columns, margins, best_only=False):
    """Each theme of `columns`' place in the passage: its first sentence at or over its threshold (`margins` >= 0),
    else its best sentence; with its last such sentence and how many sentences carry it. `best_only`: its place is
    its best sentence (the highest margin)."""
    values = margins[:, columns]
    carried = values >= 0
    best = values.argmax(axis=0)
    if best_only:
        return best, best, carried.sum(axis=0)
    first = np.where(carried.any(axis=0), carried.argmax(axis=0), best)
    last = np.where(carried.any(axis=0), len(values) - 1 - carried[::-1].argmax(axis=0), best)
    return first, last, carried.sum(axis=0)


def _sentence_primary(rule, weight, scores, decided, sentences, thresholds, scheme, baseline, best_only=False):
    """Each passage's primary theme by `rule` among the themes it carries, when it carries 2+ and has 2+
    sentences (`sentences`: the per-passage sentence scores of `_sentence_scores`); otherwise `baseline`'s.
    Ties go to the higher passage score."""
    out = list(baseline)
    for i, (row, carried) in enumerate(zip(scores, decided)):
        columns = scheme.theme_columns[carried[scheme.theme_columns]]
        if len(columns) < 2 or sentences[i] is None:
            continue
        first, last, count = _located(sentences[i], columns, sentences[i] - thresholds, best_only)
        score = row[columns]
        if rule == "first":
            key = -first + 1e-3 * score
        elif rule == "last":
            key = last + 1e-3 * score
        elif rule == "most":
            key = count + 1e-3 * score
        else:
            key = score - weight * first / (len(sentences[i]) - 1)
        out[i] = scheme.ids[columns[int(np.argmax(key))]]
    return out


def _cross_fitted_by_sentences(oof, gold, scheme, rule, weight, sentences, best_only=False):
    """calibrate.cross_fitted_predictions with the primary theme chosen by `_sentence_primary` on each fold's
    own thresholds."""
    from themes.calibrate import cross_fitted_predictions

    def choose(scores, decided, rows, thresholds):
        return _sentence_primary(rule, weight, scores, decided, [sentences[i] for i in rows], thresholds, scheme,
                                 scheme.primary(scores, decided), best_only)

    return cross_fitted_predictions(oof, gold, scheme, choose)


def _writers_first(gold, sentences, scheme, thresholds, best_only=False):
    """On the passages of 2+ gold themes and 2+ sentences, how often the locator puts the writer's first theme
    first (strictly before the others), level with another, or after: (first, level, after)."""
    position = {category_id: k for k, category_id in enumerate(scheme.ids)}
    found = [0, 0, 0]
    for codes, scored in zip(gold, sentences):
        columns = [position[c] for c in codes if c in position and position[c] in scheme.theme_columns]
        if len(columns) < 2 or scored is None:
            continue
        first, _, _ = _located(scored, np.array(columns), scored - thresholds, best_only)
        found[0 if first[0] < first[1:].min() else 1 if first[0] == first[1:].min() else 2] += 1
    return found


def _fine_tuned(texts, codes, questions, ids, layers, epochs, seed):
    """MiniLM with its last `layers` layers trained on these passages (multi-label BCE), as an embed function."""
    import torch
    from sentence_transformers import SentenceTransformer
    from torch import nn

    from themes.embed import DEFAULT_MODEL, embedding_dimension, resolve_model_path

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = SentenceTransformer(resolve_model_path(DEFAULT_MODEL), device="cpu")
    for parameter in model.parameters():
        parameter.requires_grad = False
    stack = model[0].auto_model.encoder.layer
    for layer in stack[len(stack) - layers:]:
        for parameter in layer.parameters():
            parameter.requires_grad = True
    asked = sorted(set(questions))
    head = nn.Linear(embedding_dimension(model) + len(asked), len(ids))
    tuned = [p for p in model.parameters() if p.requires_grad]
    optimisers = [torch.optim.AdamW(tuned, lr=5e-5, weight_decay=0.01), torch.optim.AdamW(head.parameters(), lr=1e-3)]
    targets = torch.tensor([[i in c for i in ids] for c in codes], dtype=torch.float32)
    onehot = torch.tensor([[q == a for a in asked] for q in questions], dtype=torch.float32)
    order = np.concatenate([rng.permutation(len(texts)) for _ in range(int(np.ceil(epochs)))])
    loss = nn.BCEWithLogitsLoss()
    tokenize = getattr(model, "preprocess", None) or model.tokenize  # sentence-transformers 6 / 5
    model.train()
    for step in range(int(epochs * len(texts) / 16)):
        batch = order[step * 16:(step + 1) * 16]
        vectors = model(tokenize([texts[i] for i in batch]))["sentence_embedding"]
        value = loss(head(torch.cat([vectors * 5, onehot[batch]], 1)), targets[batch])
        for optimiser in optimisers:
            optimiser.zero_grad()
        value.backward()
        for optimiser in optimisers:
            optimiser.step()
    model.eval()
    return lambda xs: model.encode(list(xs), batch_size=64, normalize_embeddings=True, convert_to_numpy=True)


def _layered(layers, weight=1.0):
    """An embed function: mean-pooled outputs of MiniLM's `layers` (0 = the token embeddings, 6 = the last,
    whose pooled output is the product's vector), each unit-length times `weight`, concatenated; memoised."""
    import torch
    from sentence_transformers import SentenceTransformer

    from themes.embed import DEFAULT_MODEL, resolve_model_path

    model = SentenceTransformer(resolve_model_path(DEFAULT_MODEL), device="cpu")
    model[0].auto_model.config.output_hidden_states = True
    memo: dict[str, np.ndarray] = {}

    def embed(texts):
        missing = [t for t in dict.fromkeys(texts) if t not in memo]
        order = sorted(missing, key=len)
        tokenize = getattr(model, "preprocess", None) or model.tokenize  # sentence-transformers 6 / 5
        with torch.inference_mode():
            for begin in range(0, len(order), 64):
                batch = order[begin:begin + 64]
                features = model[0](dict(tokenize(batch)))
                mask = features["attention_mask"].unsqueeze(-1).float()
                parts = []
                for layer in layers:
                    pooled = (features["all_layer_embeddings"][layer] * mask).sum(1) / mask.sum(1)
                    parts.append(torch.nn.functional.normalize(pooled, dim=-1) * weight)
                for text, vector in zip(batch, torch.cat(parts, dim=-1).numpy()):
                    memo[text] = vector
        return np.stack([memo[t] for t in texts]) if len(texts) else np.zeros((0, 384 * len(layers)), np.float32)

    return embed


def _fine_tuned_out_of_fold(codebook, texts, codes, questions, layers, epochs, seed):
    """calibrate.out_of_fold_scores with a model fine-tuned inside each fold."""
    from sklearn.model_selection import StratifiedKFold

    from themes.calibrate import OutOfFold, _strata
    from themes.coding import Scheme, fit_coder

    ids = [theme.id for theme in codebook.themes]
    splitter = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    parts, fold_of = [], np.zeros(len(texts), dtype=int)
    for fold, (train, test) in enumerate(splitter.split(np.zeros(len(texts)), _strata(codes, Scheme(codebook), 5))):
        embed = _fine_tuned([texts[i] for i in train], [codes[i] for i in train], [questions[i] for i in train],
                            ids, layers, epochs, seed)
        coder = fit_coder(codebook, embed, method="logistic", passages=[(texts[i], codes[i], questions[i]) for i in train])
        scores, keys = coder.score_segments([texts[i] for i in test], embed, questions=[questions[i] for i in test])
        parts.append((scores, test[keys]))
        fold_of[test] = fold
    order = np.argsort(np.concatenate([k for _, k in parts]), kind="stable")
    return OutOfFold(np.vstack([s for s, _ in parts])[order], np.concatenate([k for _, k in parts])[order], fold_of)


def _folds_by_writer(writers) -> None:
    """Make the product's out-of-fold splitter (sklearn's StratifiedKFold, imported where it is used) keep
    each writer's passages in one fold, still balanced on the primary theme as far as whole writers allow."""
    import sklearn.model_selection
    from sklearn.model_selection import StratifiedGroupKFold

    class ByWriter(StratifiedGroupKFold):
        def split(self, X, y=None, groups=None):
            return super().split(X, y, writers)

    sklearn.model_selection.StratifiedKFold = ByWriter


def parse_lever(text: str) -> dict:
    name, _, value = text.partition("=")
    if name in ("baseline", "trigrams", "third-person"):
        return {name: True}
    if name == "finetune":
        layers, epochs = value.split(",")
        return {"finetune": (int(layers), float(epochs))}
    if name == "layers":
        layers, _, weight = value.partition("@")
        return {"layers": (tuple(int(layer) for layer in layers.split(",")), float(weight or 1))}
    if name == "neighbours":
        weight, *rest = value.split(",")
        return {"neighbours": (float(weight), *[kind(x) for kind, x in zip((int, float), rest)])}
    if name == "primary" and value in ("margin", "ratio", "logit"):
        return {"primary": value}
    if name == "primary" and value.partition("@")[0].partition(",")[0] in SENTENCE_RULES:
        rule, _, locator = value.partition("@")
        rule, _, weight = rule.partition(",")
        if locator not in ("", "words", "best", "words-best") or (weight and rule != "first-weighted"):
            raise SystemExit(f"Unknown lever {text!r}: see this script's docstring.")
        return {"primary-sentences": (rule, float(weight or 0.1), "words" if "words" in locator else "embed",
                                      "best" in locator)}
    if name == "self-train":
        high, low = value.split(",")
        return {"self-train": (float(high), float(low))}
    if name in ("word-weight", "vector-weight", "C", "chars", "mlp", "question-fixed", "mix-unasked",
                "examples-weight"):
        return {name: float(value)}
    raise SystemExit(f"Unknown lever {text!r}: see this script's docstring.")


def parse_levers(text: str) -> dict:
    """Levers joined by '+' measured together: `layers=2,4,6@0.707+neighbours=0.2`."""
    return {name: value for part in text.split("+") for name, value in parse_lever(part).items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("levers", nargs="+")
    parser.add_argument("--codebook", default="codebooks/rfi_themes.yaml")
    parser.add_argument("--gold", default="data/sample_rfi/gold.csv")
    parser.add_argument("--seeds", default="0,1,2", help="fold seeds to average over")
    parser.add_argument("--by-writer", action="store_true", help="folds of whole writers (the passage id's letters)")
    args = parser.parse_args(argv)
    levers = [parse_levers(text) for text in args.levers]

    import themes.classify
    import themes.coding
    from themes import defaults
    from themes.calibrate import cross_fitted_predictions, out_of_fold_scores
    from themes.codebook import load_codebook
    from themes.coding import Scheme
    from themes.embed import embedding_function
    from themes.evaluate import agreement, read_gold
    from themes.shipped import shipped_paths

    themes.classify._encoder = _encoder
    themes.coding.ThemeClassifier = _classifier()
    product_fit, product_code, product_primary = themes.coding.fit_coder, Scheme.code, Scheme.primary

    def code(self, segment_scores, keys, n, thresholds):
        self.thresholds_ = np.asarray(thresholds, dtype=float)
        return product_code(self, segment_scores, keys, n, thresholds)
    codebook = load_codebook(args.codebook)
    gold = read_gold(args.gold, codebook, split="calibration")
    texts, codes, questions = list(gold["text"]), list(gold["gold"]), list(gold["question"])
    if args.by_writer:
        _folds_by_writer(gold["passage_id"].astype(str).str.extract(r"^([A-Za-z]+)")[0].to_numpy())
    embed = embedding_function(shipped=shipped_paths([args.codebook]))
    scheme = Scheme(codebook)
    locators = {lever["primary-sentences"][2] for lever in levers if "primary-sentences" in lever}
    sentence_embed = embedding_function(shipped=shipped_paths([args.codebook]), cache_dir=os.environ.get(
        "THEMES_CACHE_DIR", "/tmp/themes-agreement-levers-cache")) if "embed" in locators else None
    product_score_segments, scored = themes.coding.Coder.score_segments, []

    def score_segments(self, texts, embed, *, questions=None, segment_words=defaults.SEGMENT_WORDS):
        """The product's, and each passage's sentences scored by the same coder, kept in `scored` (one per fold)."""
        scored.append({"texts": list(texts)} | {
            locator: _sentence_scores(self, texts, questions, sentence_embed if locator == "embed" else embed, locator,
                                      segment_words) for locator in locators})
        return product_score_segments(self, texts, embed, questions=questions, segment_words=segment_words)
    memo = {}  # (the levers that change the scores, seed) -> out-of-fold scores and sentence scores
    for text, lever in zip(args.levers, levers):
        LEVER.clear()
        LEVER.update(lever)
        themes.coding.fit_coder = _with_third_person_copies(product_fit) if "third-person" in lever else product_fit
        self_fit, self_score = _self_training(product_fit, product_score_segments, *lever["self-train"]) \
            if "self-train" in lever else (None, None)
        if self_fit is not None:
            themes.coding.fit_coder = self_fit
        SELF_TRAINED.clear()
        Scheme.code = code if "primary" in lever else product_code
        Scheme.primary = _primary_by(lever["primary"], product_primary) if "primary" in lever else product_primary
        lever_embed = _layered(*lever["layers"]) if "layers" in lever else embed
        began, rows, moved = time.perf_counter(), [], [0, 0, 0]  # primaries changed, made right, made wrong
        for seed in (int(s) for s in args.seeds.split(",")):
            key = (repr(sorted((k, v) for k, v in lever.items() if k != "baseline" and not k.startswith("primary"))),
                   seed)
            if key in memo:  # the primary rules change no score: the same folds' scores serve them all
                oof, sentences = memo[key]
            elif "finetune" in lever:
                oof = _fine_tuned_out_of_fold(codebook, texts, codes, questions, *lever["finetune"], seed)
                sentences = None
            else:
                themes.coding.Coder.score_segments = score_segments if locators else (
                    self_score or product_score_segments)
                scored.clear()
                oof = out_of_fold_scores(codebook, texts, codes, lever_embed, questions=questions, seed=seed)
                themes.coding.Coder.score_segments = product_score_segments
                sentences = None
                if locators:  # fold f's passages are its test indices in order, as out_of_fold_scores scored them
                    sentences = {locator: [None] * len(texts) for locator in locators}
                    for fold, found in enumerate(scored):
                        assert found.pop("texts") == [texts[i] for i in np.flatnonzero(oof.fold_of == fold)]
                        for locator, part in found.items():
                            for i, value in zip(np.flatnonzero(oof.fold_of == fold), part, strict=True):
                                sentences[locator][i] = value
                    from themes.calibrate import tune_thresholds

                    everywhere, _ = tune_thresholds(oof, codes, scheme)
                    for locator in sorted(locators):
                        for best_only in (False, True):
                            found = _writers_first(codes, sentences[locator], scheme, everywhere, best_only)
                            print(f"  seed {seed}, locator {locator}{'-best' * best_only}: the writer's first theme "
                                  f"located first {found[0]}, level {found[1]}, after {found[2]} (passages of 2+ "
                                  "themes and 2+ sentences)", flush=True)
            memo[key] = oof, sentences
            if "primary-sentences" in lever:
                rule, weight, locator, best_only = lever["primary-sentences"]
                made = _cross_fitted_by_sentences(oof, codes, scheme, rule, weight, sentences[locator], best_only)
                before = cross_fitted_predictions(oof, codes, scheme)[1]
                for i, (was, now) in enumerate(zip(before, made[1])):
                    if was != now:
                        moved[0] += 1
                        moved[1] += now == codes[i][0] if codes[i] else 0
                        moved[2] += was == codes[i][0] if codes[i] else 0
            else:
                made = cross_fitted_predictions(oof, codes, scheme)
            result = agreement(codes, *made, scheme)
            rows.append([result["overall"]["primary_kappa"], result["overall"]["macro_f1"]]
                        + [theme["kappa"] for theme in result["per_theme"]])
        mean = np.mean(rows, axis=0)
        per_theme = ", ".join(f"{t['theme']} {k:.3f}" for t, k in zip(result["per_theme"], mean[2:]))
        print(f"{text}: CV kappa {mean[0]:.3f} (seeds: {', '.join(f'{r[0]:.3f}' for r in rows)}), macro F1 "
              f"{mean[1]:.3f}; per theme {per_theme}; {time.perf_counter() - began:.0f} s"
              + (f"; primaries changed {moved[0]}, to the writer's {moved[1]}, from it {moved[2]} (all seeds)"
                 if "primary-sentences" in lever else "")
              + (f"; taken as coded: {np.mean(SELF_TRAINED):.2f} of each fold's passages" if SELF_TRAINED else ""),
              flush=True)


if __name__ == "__main__":
    main()

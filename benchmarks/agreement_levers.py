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
                       (logit); the product takes the highest score
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
    for text, lever in zip(args.levers, levers):
        LEVER.clear()
        LEVER.update(lever)
        themes.coding.fit_coder = _with_third_person_copies(product_fit) if "third-person" in lever else product_fit
        Scheme.code = code if "primary" in lever else product_code
        Scheme.primary = _primary_by(lever["primary"], product_primary) if "primary" in lever else product_primary
        lever_embed = _layered(*lever["layers"]) if "layers" in lever else embed
        began, rows = time.perf_counter(), []
        for seed in (int(s) for s in args.seeds.split(",")):
            if "finetune" in lever:
                oof = _fine_tuned_out_of_fold(codebook, texts, codes, questions, *lever["finetune"], seed)
            else:
                oof = out_of_fold_scores(codebook, texts, codes, lever_embed, questions=questions, seed=seed)
            result = agreement(codes, *cross_fitted_predictions(oof, codes, scheme), scheme)
            rows.append([result["overall"]["primary_kappa"], result["overall"]["macro_f1"]]
                        + [theme["kappa"] for theme in result["per_theme"]])
        mean = np.mean(rows, axis=0)
        per_theme = ", ".join(f"{t['theme']} {k:.3f}" for t, k in zip(result["per_theme"], mean[2:]))
        print(f"{text}: CV kappa {mean[0]:.3f} (seeds: {', '.join(f'{r[0]:.3f}' for r in rows)}), macro F1 "
              f"{mean[1]:.3f}; per theme {per_theme}; {time.perf_counter() - began:.0f} s", flush=True)


if __name__ == "__main__":
    main()

"""One coding path: from passages and their vectors to decisions, for themes and dimensions alike.

A `Coder` is fitted once from one or more codebooks (each with its calibration) and used unchanged
by `themes run`, `themes evaluate`, `themes calibrate` and quote scoring:

- a codebook's **themes** are independent: one logistic regression per theme scores each passage (with
  coded passages to learn from, mixed with the vote of the nearest of them: themes.classify.neighbour_vote),
  and a passage carries a theme when the score reaches the theme's threshold;
- each **dimension** holds mutually exclusive types ordered from least to most integrated: one
  multinomial logistic regression over {not addressed, type 1, ..., type n} scores each type; the
  dimension is addressed when the type probabilities add up to its threshold (1 - P(not
  addressed)), and then the most probable type applies. Chosen by 5-fold cross-validation on the
  framework's calibration split: mean kappa 0.834 ("not addressed" a class), against 0.822 for a
  presence model followed by a type model. The type is read from what the passage says is in
  place, without its planned or wished-for sentences (themes.planned); presence from all of it.

Answers are split into segments, each segment is decided, and the answer takes the union: it
carries a theme when one of its segments does, and for a dimension the most integrated type
among its segments (the codebook's rule). `Scheme` holds the structure these decisions need,
so calibration can re-decide out-of-fold scores under trial thresholds with the same functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from themes import defaults
from themes.attribution import without_attribution
from themes.classify import NONE, DimensionClassifier, ThemeClassifier, features
from themes.codebook import Codebook, Dimension, folded_text, merge_codebooks
from themes.fitted import FittedModels, fit_key
from themes.planned import in_place
from themes.questions import aliases, not_learned

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Block:
    """The columns of one model in the score matrix: a codebook's themes, or one dimension's types."""

    kind: str  # "themes" or "dimension"
    columns: tuple[int, ...]
    dimension: str | None = None
    presence: str = "sum"  # how a dimension's type scores say it is addressed: "sum" (probabilities), "max"


class Scheme:
    """How a codebook's score matrix turns into decisions: which columns are independent themes,
    which form a dimension (in the order of integration), and how a dimension's presence is read."""

    def __init__(self, codebook: Codebook, method: str = "logistic", blocks: list[Block] | None = None):
        self.codebook = codebook
        self.ids = codebook.ids
        self.method = method
        position = {category_id: k for k, category_id in enumerate(self.ids)}
        self.theme_columns = np.array([position[t.id] for t in codebook.themes], dtype=int)
        if blocks is None:
            blocks = [Block("themes", tuple(self.theme_columns))] if codebook.themes else []
            presence = "max" if method == "prototype" else "sum"
            for dimension in codebook.dimensions:
                columns = tuple(position[f"{dimension.id}.{kind.id}"] for kind in dimension.types)
                blocks.append(Block("dimension", columns, dimension.id, presence))
        self.blocks = blocks

    @classmethod
    def join(cls, schemes: list[Scheme]) -> Scheme:
        """Several codebooks' schemes side by side, in the column order of their merged codebook."""
        if len(schemes) == 1:
            return schemes[0]
        merged = merge_codebooks([s.codebook for s in schemes])
        position = {category_id: k for k, category_id in enumerate(merged.ids)}
        blocks = [Block(b.kind, tuple(position[scheme.ids[c]] for c in b.columns), b.dimension, b.presence)
                  for scheme in schemes for b in scheme.blocks]
        methods = {s.method for s in schemes}
        return cls(merged, methods.pop() if len(methods) == 1 else "mixed", blocks)

    @property
    def dimension_blocks(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "dimension"]

    @staticmethod
    def presence(scores: np.ndarray, block: Block) -> np.ndarray:
        """How strongly each passage addresses a dimension: P(addressed) from the multinomial model,
        or the best type's similarity when zero-shot."""
        part = scores[:, list(block.columns)]
        return part.max(axis=1) if block.presence == "max" else part.sum(axis=1)

    def decide(self, scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
        """Boolean (n, k) decisions of passages (or segments) from their scores."""
        scores = np.asarray(scores, dtype=float).reshape(-1, len(self.ids))
        thresholds = np.asarray(thresholds, dtype=float)
        decided = np.zeros(scores.shape, dtype=bool)
        columns = self.theme_columns
        decided[:, columns] = scores[:, columns] >= thresholds[columns]
        rows = np.arange(len(scores))
        for block in self.dimension_blocks:
            columns = np.array(block.columns)
            addressed = self.presence(scores, block) >= thresholds[columns[0]]
            best = columns[scores[:, columns].argmax(axis=1)] if len(scores) else columns[:0]
            decided[rows[addressed], best[addressed]] = True
        return decided

    def combine(self, scores: np.ndarray, decided: np.ndarray, keys: np.ndarray,
                n: int) -> tuple[np.ndarray, np.ndarray]:
        """Answer-level scores (the best segment's, per column) and decisions: a theme when one
        segment carries it; for a dimension, the most integrated type among the segments' types."""
        keys = np.asarray(keys, dtype=int)
        answer_scores = _max_by_group(np.asarray(scores, dtype=np.float32), keys, n)
        answer_decided = np.zeros((n, len(self.ids)), dtype=bool)
        columns = self.theme_columns
        answer_decided[:, columns] = _max_by_group(decided[:, columns].astype(np.float32), keys, n) > 0
        for block in self.dimension_blocks:
            columns = np.array(block.columns)
            # The rank of each segment's type in the order of integration (-1: not addressed).
            rank = np.where(decided[:, columns].any(axis=1), decided[:, columns].argmax(axis=1), -1)
            top = np.full(n, -1)
            if len(keys):
                np.maximum.at(top, keys, rank)
            rows = np.flatnonzero(top >= 0)
            answer_decided[rows, columns[top[rows]]] = True
        return answer_scores, answer_decided

    def code(self, segment_scores: np.ndarray, keys: np.ndarray, n: int,
             thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Segment decisions, then answer scores and answer decisions: the one decision path."""
        segment_decided = self.decide(segment_scores, thresholds)
        answer_scores, answer_decided = self.combine(segment_scores, segment_decided, keys, n)
        return segment_decided, answer_scores, answer_decided

    def primary(self, scores: np.ndarray, decided: np.ndarray) -> list[str]:
        """The best-scoring theme each passage carries, or "none" (themes only; dimensions have their own)."""
        columns = self.theme_columns
        if not len(columns):
            return [NONE] * len(scores)
        masked = np.where(decided[:, columns], scores[:, columns], -np.inf)
        best = masked.argmax(axis=1)
        carried = decided[:, columns].any(axis=1)
        return [self.ids[columns[b]] if c else NONE for b, c in zip(best, carried)]

    def dimension_types(self, decided: np.ndarray) -> dict[str, list[str]]:
        """Per dimension, each passage's type id (without the dimension prefix) or "none"."""
        out = {}
        for block in self.dimension_blocks:
            columns = np.array(block.columns)
            kinds = [self.ids[c].split(".", 1)[1] for c in columns]
            part = decided[:, columns]
            out[block.dimension] = [kinds[row.argmax()] if row.any() else NONE for row in part]
        return out

    def labels(self, decided: np.ndarray) -> list[list[str]]:
        """Each passage's category ids (themes, then one type per addressed dimension)."""
        return [[self.ids[k] for k in np.flatnonzero(row)] for row in decided]


def _max_by_group(values: np.ndarray, keys: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n, values.shape[1]), dtype=np.float32)
    if len(keys):
        frame = pd.DataFrame(values).groupby(keys).max()
        out[frame.index.to_numpy()] = frame.to_numpy()
    return out


# --- training sets ------------------------------------------------------------------------------

def theme_training_set(codebook: Codebook, passages: Sequence[tuple[str, Sequence[str]]] = (),
                       *, notes: bool = True) -> tuple[list[str], np.ndarray]:
    """Texts and an (n, themes) 0/1 matrix: examples (and, with `notes`, definitions and inclusion
    notes) are positives of their theme; counter-examples, none-examples and the other passages
    negatives; coded passages carry the themes they were coded with."""
    ids = [theme.id for theme in codebook.themes]
    labels: dict[str, set[str]] = {}
    for theme in codebook.themes:
        for text in [*theme.examples, *([theme.definition, *theme.include] if notes else [])]:
            labels.setdefault(text, set()).add(theme.id)
        for text in theme.counter_examples:
            labels.setdefault(text, set())
    for text in codebook.none_examples:
        labels.setdefault(text, set())
    texts = list(labels)
    matrix = [[theme_id in labels[text] for theme_id in ids] for text in texts]
    for text, coded in passages:
        texts.append(text)
        matrix.append([theme_id in set(coded) for theme_id in ids])
    return texts, np.array(matrix, dtype=np.int8).reshape(len(texts), len(ids))


def dimension_training_set(codebook: Codebook, dimension: Dimension,
                           passages: Sequence[tuple[str, Sequence[str]]] = ()) -> tuple[list[str], list[str]]:
    """Texts and labels (a type id or "none") for one dimension's model.

    A type's examples, definition and inclusion notes are that type; the other dimensions'
    examples and the none-examples are "not addressed". Counter-examples are left out: a near
    miss of one type is often another type of the same dimension, and the codebook does not say
    which. Coded passages carry their coded type, or "none"."""
    labels: dict[str, str] = {}
    for other in codebook.dimensions:
        if other.id == dimension.id:
            continue
        for kind in other.types:
            for text in kind.examples:
                labels.setdefault(text, NONE)
    for text in codebook.none_examples:
        labels.setdefault(text, NONE)
    for kind in dimension.types:
        for text in [*kind.examples, kind.definition, *kind.include]:
            labels[text] = kind.id  # a text listed under a type is that type, whatever else lists it
    texts, kinds = list(labels), list(labels.values())
    prefix = f"{dimension.id}."
    for text, coded in passages:
        found = [c.removeprefix(prefix) for c in coded if c.startswith(prefix)]
        texts.append(text)
        kinds.append(found[0] if found else NONE)
    return texts, kinds


def in_current_codes(codebook: Codebook, calibration):
    """A calibration as the codebook names its codes now: a passage's codes and the thresholds under the ids the
    codebook's `formerly` lists, read as the code each became (a theme renamed kept its coded passages and tuned
    threshold; before, they were another codebook's codes, left out). The calibration itself when nothing was
    renamed."""
    renamed = codebook.renamed
    if calibration is None or not renamed:
        return calibration
    groups = codebook.renamed_dimensions
    passages = [p.model_copy(update={"themes": list(dict.fromkeys(renamed.get(code, code) for code in p.themes))})
                for p in calibration.passages]
    thresholds = dict(calibration.thresholds)
    for key, value in calibration.thresholds.items():
        now = renamed.get(key, groups.get(key))
        if now is not None:  # a threshold tuned under the code's own id now wins
            del thresholds[key]
            thresholds.setdefault(now, value)
    return calibration.model_copy(update={"passages": passages, "thresholds": thresholds})


def unknown_codes(codebook: Codebook, calibration) -> tuple[int, list[str]]:
    """How many of a calibration's passages carry codes the codebook does not have, and those codes: the model
    those codes belong to does not learn from them (`fit_coder`), and the run says so."""
    calibration = in_current_codes(codebook, calibration)
    known = {*codebook.ids, NONE}
    odd = [p for p in calibration.passages if not set(p.themes) <= known]
    return len(odd), sorted({code for p in odd for code in p.themes} - known)


def uncalibrated_categories(codebook: Codebook, calibration) -> list[tuple[str, int]]:
    """The themes (and types) no passage of the calibration codes, with their number of examples: added since, or
    never coded in the passages it was made from. The classifier learns them from their examples alone, with
    thresholds never tuned on them (a theme of 2 examples flagged none of the 17 answers that raised it, and the
    report gave its 0% as a finding)."""
    if calibration is None or not calibration.passages:
        return []
    calibration = in_current_codes(codebook, calibration)
    coded = {code for passage in calibration.passages for code in passage.themes}
    return [(c.id, len(c.theme.examples)) for c in codebook.categories if c.id not in coded]


def uncalibrated_note(found: list[tuple[str, int]]) -> str:
    """`uncalibrated_categories`, said in words ("'workforce' (2 examples)")."""
    named = [f"'{code}' ({n} example{'s' if n != 1 else ''})" for code, n in found]
    return ", ".join(named[:6]) + (f" and {len(named) - 6} more" if len(named) > 6 else "")


def training_texts(codebook: Codebook, calibration=None) -> list[str]:
    """Every text the coder learns from (the codebook's and the calibration's passages), as it reads and
    embeds them (`classified_texts`)."""
    texts, _ = theme_training_set(codebook)
    for dimension in codebook.dimensions:
        texts += dimension_training_set(codebook, dimension)[0]
    if calibration is not None:
        texts += [passage.text for passage in calibration.passages]
    return list(dict.fromkeys(classified_texts(texts)))


def own_examples(texts: Sequence[str], codebook: Codebook) -> dict[str, int]:
    """Per theme (and type), how many of `texts` are its own examples (as `learned_from` compares them): the coder
    codes those by memory, so a count resting on them counts the codebook's examples. A theme drafted from this survey's
    passages (themes discover) has them: 8 of its 9 respondents were its 8 examples, and nothing said so."""
    examples: dict[str, set[str]] = {}
    for theme in codebook.themes:
        examples[theme.id] = {folded_text(text) for text in theme.examples}
    for dimension in codebook.dimensions:
        for kind in dimension.types:
            examples[f"{dimension.id}.{kind.id}"] = {folded_text(text) for text in kind.examples}
    folded = [folded_text(text) for text in texts]
    found = {code: sum(text in mine for text in folded) for code, mine in examples.items() if mine - {""}}
    return {code: n for code, n in found.items() if n}


def own_examples_note(found: dict[str, int]) -> str | None:
    """The warning for `own_examples`' counts, or None where no passage is an example."""
    if not found:
        return None
    total = sum(found.values())
    listed = ", ".join(f"{code} {n}" for code, n in found.items())
    return (f"{total} passage{'s' if total != 1 else ''} of this survey {'are' if total != 1 else 'is'} the codebook's "
            f"own examples ({listed}): the coder learned them, so it codes them by memory and their themes' counts "
            "include them (a theme drafted from this survey's passages by themes discover counts its own examples); "
            "read those counts with that in mind, or give the theme examples from elsewhere.")


def learned_from(texts: Sequence[str], codebook: Codebook, calibration=None) -> np.ndarray:
    """Which of `texts` the coder learns from, as it reads them, or a copy of one (`themes.nearcopy`: case, spacing,
    curly quotes and the punctuation around it aside, "Not applicable." is "Not applicable"; a word or two added,
    changed or dropped; split from or merged into a longer passage): a figure on those would not be agreement but
    memory (a calibration's passages with curly quotes and no final stop measured kappa 0.98 as new ones, with " too."
    added 0.93)."""
    from themes.nearcopy import copies_of

    return copies_of(classified_texts(texts), training_texts(codebook, calibration))


def classified_texts(texts: Sequence[str]) -> list[str]:
    """The texts as the coder reads them, for its embedding and its word features alike: a findings report's
    attribution left out (themes.attribution); a respondent's own words as they are. What is shown (quotes,
    evidence) stays the text itself."""
    return [without_attribution(text) for text in texts]


# --- the fitted coder ---------------------------------------------------------------------------

METHODS = ("auto", "logistic", "prototype")


def resolve_method(method: str, codebook: Codebook) -> str:
    if method not in METHODS:
        raise ValueError(f"The 'method' must be one of {list(METHODS)}. Got {method!r} instead.")
    if method == "auto":
        return "logistic" if codebook.has_examples() else "prototype"
    return method


class Coder:
    """A codebook's fitted models and resolved thresholds; `code` turns segment texts into decisions."""

    def __init__(self, codebook: Codebook, scheme: Scheme, models: list, thresholds: np.ndarray,
                 sources: dict[str, str], params: dict, questions: Sequence[str] = (), unasked: list | None = None):
        self.codebook = codebook
        self.scheme = scheme
        self.models = models  # one per scheme block, in order
        self.thresholds = thresholds
        self.sources = sources
        self.params = params
        self.questions = list(questions)  # the questions its passages answered: the ones it reads as context
        # Per block, the same model learned without the question (None where there is none): it scores the
        # passages whose question the coder never learned, which the question's model would read with their
        # context missing (`fit_coder`).
        self.unasked = unasked or [None] * len(models)

    @classmethod
    def join(cls, coders: list[Coder]) -> Coder:
        """One coder for several codebooks: each keeps its models, thresholds and calibration."""
        if len(coders) == 1:
            return coders[0]
        scheme = Scheme.join([c.scheme for c in coders])
        position = {category_id: k for k, category_id in enumerate(scheme.ids)}
        thresholds = np.zeros(len(scheme.ids))
        for coder in coders:
            thresholds[[position[i] for i in coder.ids]] = coder.thresholds
        sources = {k: v for c in coders for k, v in c.sources.items()}
        return cls(scheme.codebook, scheme, [m for c in coders for m in c.models], thresholds, sources,
                   {c.codebook.name: c.params for c in coders}, dict.fromkeys(q for c in coders for q in c.questions),
                   [m for c in coders for m in c.unasked])

    @property
    def ids(self) -> list[str]:
        return self.scheme.ids

    @property
    def method(self) -> str:
        return self.scheme.method

    def score(self, texts: Sequence[str], vectors: np.ndarray, questions: Sequence[str] | None = None,
              embed: Embed | None = None) -> np.ndarray:
        """(n, k) scores: theme probabilities, and each dimension's type probabilities. `questions`:
        the question each text answers (its segment's answer's), when known. A dimension's types are
        read from what a text says is in place (themes.planned), its presence from the whole text;
        `embed` gives the vectors of those in-place readings (see `in_place_readings`). `texts` are as the
        coder reads them (`classified_texts`) and `vectors` their embeddings."""
        out = np.zeros((len(texts), len(self.ids)), dtype=np.float32)
        if not len(texts):
            return out
        if questions is not None:  # a question named otherwise is read as the one it names (themes.questions)
            named = aliases(questions, self.questions)
            questions = [named.get(q, q) for q in questions]
        X = features(list(texts), vectors, questions)
        unasked = self.not_learned(questions, len(texts))
        for block, model, alone in zip(self.scheme.blocks, self.models, self.unasked):
            out[:, list(block.columns)] = _predict(model, alone, X, unasked)
        blocks = [(b, m, a) for b, m, a in zip(self.scheme.blocks, self.models, self.unasked) if b.kind == "dimension"]
        readings = in_place(texts) if blocks else []
        rows = np.array([i for i, reading in enumerate(readings) if reading is not None], dtype=int)
        if len(rows):
            if embed is None:
                raise ValueError("Scoring a framework needs `embed` for the passages' in-place readings.")
            kept = [readings[i] for i in rows]
            X = features(kept, embed(kept), [questions[i] for i in rows] if questions is not None else None)
            for block, model, alone in blocks:
                columns = list(block.columns)
                types = np.zeros((len(rows), len(self.ids)), dtype=np.float32)
                types[:, columns] = _predict(model, alone, X, unasked[rows])
                # Which type, from the in-place reading; how strongly addressed, from the whole text.
                scale = Scheme.presence(out[rows], block) / np.maximum(Scheme.presence(types, block), 1e-9)
                out[np.ix_(rows, columns)] = types[:, columns] * scale[:, None]
        return out

    def not_learned(self, questions: Sequence[str] | None, n: int) -> np.ndarray:
        """Which of `n` passages answer a question the coder never learned (none, or one no calibration
        passage answered): those its models that learned without the question score."""
        if all(alone is None for alone in self.unasked):
            return np.zeros(n, dtype=bool)
        if questions is None:
            return np.ones(n, dtype=bool)
        unknown = set(not_learned(questions, self.questions))
        return np.array([not q or q in unknown for q in questions], dtype=bool)

    def code(self, segment_scores: np.ndarray, keys: np.ndarray, n: int, thresholds: np.ndarray | None = None):
        return self.scheme.code(segment_scores, keys, n, self.thresholds if thresholds is None else thresholds)

    def code_texts(self, texts: Sequence[str], embed: Embed, *, questions: Sequence[str] | None = None,
                   segment_words: int = defaults.SEGMENT_WORDS):
        """Whole passages coded the way `themes run` codes answers: cleaned, split into segments,
        each segment scored and decided, the passage taking its segments' union.
        Returns (segment scores, segment keys, passage scores, passage decisions)."""
        segment_scores, keys = self.score_segments(texts, embed, questions=questions, segment_words=segment_words)
        _, scores, decided = self.code(segment_scores, keys, len(texts))
        return segment_scores, keys, scores, decided

    def score_segments(self, texts: Sequence[str], embed: Embed, *, questions: Sequence[str] | None = None,
                       segment_words: int = defaults.SEGMENT_WORDS) -> tuple[np.ndarray, np.ndarray]:
        from themes.clean import clean_text
        from themes.segment import segment_answers

        segments = segment_answers([clean_text(t) for t in texts], range(len(texts)), max_words=segment_words)
        pieces = classified_texts(segments["text"])
        keys = segments["answer_index"].to_numpy(dtype=int)
        asked = [questions[k] for k in keys] if questions is not None else None
        return self.score(pieces, embed(pieces) if pieces else None, asked, embed), keys


def in_place_readings(codebook: Codebook, texts: Sequence[str]) -> list[str]:
    """The texts a coder scores besides the passages themselves (as it reads them, `classified_texts`): for a
    codebook with dimensions, each passage's in-place reading where it differs (themes.planned), once each."""
    readings = in_place(texts) if codebook.dimensions else []
    return list(dict.fromkeys(r for r in readings if r is not None))


def fit_coder(codebook: Codebook, embed: Embed, calibration=None, *, method: str = "auto",
              passages: Sequence[tuple[str, Sequence[str]] | tuple[str, Sequence[str], str]] | None = None,
              fitted: FittedModels | None = None, unasked: bool = True) -> Coder:
    """Fit every model of a codebook: its themes' classifier and one model per dimension, on the
    codebook's examples plus coded passages (the calibration's, or `passages` when given, as in
    cross-validation): (text, codes) or (text, codes, question). Thresholds: the codebook's own
    value wins (the researcher decides), then the calibration's, then the default. `fitted`: models
    fitted before on the same data are taken from it (themes.fitted), and new fits added to it.

    When the models read the question and the passages have one, each block also gets the same model
    learned without the question (`unasked`; False: not fitted, as for cross-validation, where every
    passage's question is learned). A passage whose question the coder never learned (no question, or
    an export's `Q3`) is scored by it: the question's model would read it with its context missing,
    which it never learned to do (the sample's test split read without its questions: kappa 0.779 by
    the question's model, 0.800 by the one without; README, "The codebook")."""
    calibration = in_current_codes(codebook, calibration)
    if calibration is not None:
        method = calibration.method
        C, word_weight, use_question = calibration.C, calibration.word_weight, calibration.use_question
        learned = calibration.thresholds
    else:
        method = resolve_method(method, codebook)
        C, word_weight, use_question = defaults.CLASSIFIER_C, defaults.WORD_WEIGHT, defaults.USE_QUESTION
        learned = {}
    if passages is None:
        passages = [(p.text, p.themes, p.question) for p in calibration.passages] if calibration is not None else []
    vote = nearest_vote(codebook, method, calibration, passages)
    asked = [p[2] if len(p) > 2 else "" for p in passages]
    calibrated = _coded_dimensions(passages)
    scheme = Scheme(codebook, method)
    settings = {"method": method, "C": C, "word_weight": word_weight, "use_question": use_question}
    alone = {**settings, "use_question": False} if unasked and use_question and method == "logistic" and any(asked) \
        else None
    models, alone_models = [], []
    for block in scheme.blocks:
        # A passage coded with a code the codebook no longer has (renamed, removed since the calibration) says
        # nothing of that code's model now: learned from, it was a negative of every theme (a renamed 'trust'
        # fell from 64% to 3% of respondents). It still teaches the other models (a renamed governance took
        # 77 of financial_relationship's 355 positives with it when it was left out whole).
        mine = [p for p in passages if _speaks_for(p[1], codebook, block.dimension, calibrated)]
        coded, asked = [(p[0], p[1]) for p in mine], [p[2] if len(p) > 2 else "" for p in mine]
        if block.kind == "themes":
            texts, labels = theme_training_set(codebook, coded)
            kind, model = "themes:" + ",".join(t.id for t in codebook.themes), ThemeClassifier
        else:
            dimension = next(d for d in codebook.dimensions if d.id == block.dimension)
            texts, kinds = dimension_training_set(codebook, dimension, coded)
            labels = np.array(kinds, dtype=object)
            types = tuple(t.id for t in dimension.types)
            kind, model = f"dimension:{dimension.id}:" + ",".join(types), partial(DimensionClassifier, types=types)
        questions = _questions(texts, asked)
        texts = classified_texts(texts)
        X = None
        for params, into in [(settings, models)] + ([(alone, alone_models)] if alone else []):
            if block.kind == "themes" and method == "logistic":  # the nearest passages' vote is the themes' only
                params = {**params, **vote}
            key = fit_key(fitted.model_id, kind, texts, labels, questions, params) if fitted is not None else None
            known = fitted.get(key) if key else None
            if known is None:
                X = features(texts, embed(texts), questions) if X is None else X
                known = model(**params).fit(X, labels)
                _share_voters(known, models[-1] if into is alone_models else None)
                if key:
                    fitted.put(key, known)
            into.append(known)
    thresholds, sources = resolve_thresholds(scheme, learned)
    everything_asked = [p[2] if len(p) > 2 else "" for p in passages]
    return Coder(codebook, scheme, models, thresholds, sources, {**settings, **vote},
                 dict.fromkeys(q for q in everything_asked if q), alone_models or None)


def nearest_vote(codebook: Codebook, method: str, calibration=None, passages=None) -> dict:
    """The vote of the nearest training passages the themes' model mixes in (themes.classify.neighbour_vote): its
    weight, neighbours and temperature as the calibration recorded them (the defaults without one), and weight 0 where
    the themes learn from no coded passage (a codebook's few examples alone: a vote over them blurs them, test kappa
    0.649 -> 0.644 with it), where the codebook has no themes, or for zero-shot scoring."""
    calibration = in_current_codes(codebook, calibration)
    if calibration is not None:
        vote = {"neighbour_weight": calibration.neighbour_weight, "neighbours": calibration.neighbours,
                "neighbour_temperature": calibration.neighbour_temperature}
        passages = [(p.text, p.themes) for p in calibration.passages] if passages is None else passages
    else:
        vote = {"neighbour_weight": defaults.NEIGHBOUR_WEIGHT, "neighbours": defaults.NEIGHBOURS,
                "neighbour_temperature": defaults.NEIGHBOUR_TEMPERATURE}
    passages = passages or []
    calibrated = _coded_dimensions(passages)
    teaches = any(_speaks_for(p[1], codebook, None, calibrated) for p in passages)
    return vote if method == "logistic" and codebook.themes and teaches else {**vote, "neighbour_weight": 0.0}


def _share_voters(model, twin) -> None:
    """The model learned without the question votes with the same passages as its twin learned with it: one array
    for both, so that the file of kept models (one pickle) holds them once."""
    mine, theirs = getattr(model, "voters_", None), getattr(twin, "voters_", None)
    if mine is not None and theirs is not None and np.array_equal(mine, theirs) \
            and np.array_equal(model.voter_codes_, twin.voter_codes_):
        model.voters_, model.voter_codes_ = theirs, twin.voter_codes_


def _coded_dimensions(passages) -> set[str]:
    """The dimensions the coded passages code (the prefix of a code such as 'service.joint')."""
    return {code.split(".", 1)[0] for p in passages for code in p[1] if "." in code}


def _speaks_for(codes: Sequence[str], codebook: Codebook, dimension: str | None, calibrated: set[str]) -> bool:
    """Whether a coded passage's codes can teach the themes' model (`dimension` None) or one dimension's. A theme
    code the codebook lacks leaves the themes unclear, not the dimensions; a type the dimension lacks leaves that
    dimension unclear; a code of a dimension the codebook lacks may be this dimension's under its old name,
    unless the calibration coded this dimension under its own."""
    themes = {theme.id for theme in codebook.themes}
    dimensions = {d.id: {f"{d.id}.{k.id}" for k in d.types} for d in codebook.dimensions}
    for code in codes:
        if code == NONE:
            continue
        prefix = code.split(".", 1)[0] if "." in code else None
        if dimension is None and prefix is None and code not in themes:
            return False
        if dimension is not None and prefix == dimension and code not in dimensions[dimension]:
            return False
        if dimension is not None and prefix is not None and prefix not in dimensions and dimension not in calibrated:
            return False
    return True


def _predict(model, alone, X: pd.DataFrame, unasked: np.ndarray) -> np.ndarray:
    """`model`'s probabilities, and `alone`'s (learned without the question) for the `unasked` rows."""
    if alone is None or not unasked.any():
        return model.predict_proba(X)
    if unasked.all():
        return alone.predict_proba(X)
    asked = model.predict_proba(X[~unasked])
    out = np.empty((len(X), asked.shape[1]), dtype=asked.dtype)
    out[~unasked] = asked
    out[unasked] = alone.predict_proba(X[unasked])
    return out


def _questions(texts: list[str], asked: list[str]) -> list[str]:
    """The question of each training text: the coded passages come last in a training set, after
    the codebook's own texts, which answer no question."""
    return [""] * (len(texts) - len(asked)) + list(asked)


def resolve_thresholds(scheme: Scheme, learned: dict[str, float] | None = None) -> tuple[np.ndarray, dict[str, str]]:
    """Per-column thresholds (a dimension's value repeated over its types) and where each came from,
    keyed by theme id or dimension id."""
    learned = learned or {}
    codebook = scheme.codebook
    default = defaults.PROTOTYPE_THRESHOLD if scheme.method == "prototype" else defaults.DEFAULT_THRESHOLD
    values = np.full(len(scheme.ids), default, dtype=float)
    sources: dict[str, str] = {}
    position = {category_id: k for k, category_id in enumerate(scheme.ids)}
    owners = [(t.id, t.threshold, [position[t.id]]) for t in codebook.themes]
    owners += [(d.id, d.threshold, [position[f"{d.id}.{k.id}"] for k in d.types]) for d in codebook.dimensions]
    for owner, own, columns in owners:
        if own is not None:
            values[columns], sources[owner] = own, "codebook"
        elif owner in learned:
            values[columns], sources[owner] = float(learned[owner]), "calibration"
        else:
            sources[owner] = "default"
    return values, sources


def threshold_items(scheme: Scheme, thresholds: np.ndarray) -> dict[str, float]:
    """Thresholds keyed as a calibration file and the manifest record them: by theme and dimension."""
    out = {scheme.ids[c]: float(thresholds[c]) for c in scheme.theme_columns}
    out.update({b.dimension: float(thresholds[b.columns[0]]) for b in scheme.dimension_blocks})
    return out

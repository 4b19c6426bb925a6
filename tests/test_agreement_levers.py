"""benchmarks/agreement_levers.py: the levers' own pieces, so that a figure the README quotes comes from what the
script says it measures."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from themes.codebook import load_codebook
from themes.coding import Scheme

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "agreement_levers.py"


@pytest.fixture(scope="module")
def levers():
    spec = importlib.util.spec_from_file_location("agreement_levers", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("text, expected", [
    ("We trust our partners.", "They trust their partners."),
    ("I am worried that our funding ends. Then I left.", "They are worried that their funding ends. Then they left."),
    ("I'm sure we'll manage, and I've said so.", "They're sure they'll manage, and they've said so."),
    ("The US Census counts us.", "The US Census counts them."),  # "US" in capitals is the country
    ("The hospital funds the clinic.", "The hospital funds the clinic."),
])
def test_third_person_turns_the_speaker_not_the_rest(levers, text, expected):
    assert levers.third_person(text) == expected


def test_levers_parse_and_unknown_ones_say_where_to_look(levers):
    assert levers.parse_lever("primary=margin") == {"primary": "margin"}
    assert levers.parse_lever("third-person") == {"third-person": True}
    assert levers.parse_lever("neighbours=0") == {"neighbours": (0.0,)}
    assert levers.parse_lever("neighbours=0.3,5,0.02") == {"neighbours": (0.3, 5, 0.02)}
    assert levers.parse_levers("C=8+neighbours=0.1,15") == {"C": 8.0, "neighbours": (0.1, 15)}
    assert levers.parse_lever("primary=first") == {"primary-sentences": ("first", 0.1, "embed", False)}
    assert levers.parse_lever("primary=first-weighted,0.3@words-best") == {
        "primary-sentences": ("first-weighted", 0.3, "words", True)}
    for unknown in ("primary=nearest", "primary=first,0.2", "primary=most@elsewhere"):
        with pytest.raises(SystemExit, match="docstring"):
            levers.parse_lever(unknown)


@pytest.mark.parametrize("rule", ["margin", "ratio", "logit"])
def test_the_primary_theme_by_its_lead_over_its_threshold(levers, tiny_codebook_path, rule):
    scheme = Scheme(load_codebook(tiny_codebook_path))
    ids = [scheme.ids[c] for c in scheme.theme_columns]
    scores = np.zeros((1, len(scheme.ids)))
    thresholds = np.full(len(scheme.ids), 0.5)
    scores[0, scheme.theme_columns[0]], thresholds[scheme.theme_columns[0]] = 0.70, 0.65  # highest, barely over
    scores[0, scheme.theme_columns[1]], thresholds[scheme.theme_columns[1]] = 0.60, 0.30  # lower, far over
    decided = scheme.decide(scores, thresholds)
    scheme.thresholds_ = thresholds
    assert scheme.primary(scores, decided) == [ids[0]]  # the product: the highest score
    chosen = levers._primary_by(rule, Scheme.primary)(scheme, scores, decided)
    assert chosen == [ids[1]]  # the one furthest over its threshold


def test_examples_weight_weighs_the_codebooks_own_texts_in_each_regression(levers, monkeypatch):
    """The codebook's texts answer no question (""): they get the lever's weight, the coded passages 1."""
    import themes.classify
    from themes.classify import features

    monkeypatch.setattr(themes.classify, "LogisticRegression", themes.classify.LogisticRegression)  # put back after
    monkeypatch.setattr(levers, "LEVER", {"examples-weight": 0.25})
    texts = ["trust grows", "money is short", "we trust the clinic", "funding ended", "trust takes years",
             "staff are short"]
    vectors = np.random.default_rng(0).normal(size=(len(texts), 8)).astype(np.float32)
    X = features(texts, vectors, ["", "", "challenges", "challenges", "goals", "goals"])
    Y = np.array([[1, 0], [0, 1], [1, 0], [0, 1], [1, 0], [0, 1]])
    model = levers._classifier()(word_weight=1.0, neighbour_weight=0.0).fit(X, Y)
    weighted = themes.classify.LogisticRegression
    assert weighted.weights.tolist() == [0.25, 0.25, 1, 1, 1, 1]
    assert all(isinstance(estimator, weighted) for estimator in model.estimators_)


@pytest.mark.parametrize("rule, weight, expected", [
    ("first", 0.1, 1),  # the second theme is carried by the first sentence
    ("last", 0.1, 0),
    ("most", 0.1, 0),  # the first theme by two sentences of three
    ("first-weighted", 0.05, 0),  # its higher score outweighs a small weight on position
    ("first-weighted", 0.5, 1),
])
def test_the_primary_theme_by_where_the_passage_says_it(levers, tiny_codebook_path, rule, weight, expected):
    scheme = Scheme(load_codebook(tiny_codebook_path))
    columns = scheme.theme_columns
    scores = np.zeros((2, len(scheme.ids)))
    scores[:, columns[0]], scores[:, columns[1]] = 0.8, 0.7  # both carried, the first theme the higher
    thresholds = np.full(len(scheme.ids), 0.5)
    decided = scheme.decide(scores, thresholds)
    sentences = np.zeros((3, len(scheme.ids)))
    sentences[:, columns[0]] = [0.2, 0.9, 0.8]
    sentences[:, columns[1]] = [0.9, 0.1, 0.1]
    baseline = scheme.primary(scores, decided)
    assert baseline == [scheme.ids[columns[0]]] * 2
    chosen = levers._sentence_primary(rule, weight, scores, decided, [sentences, None], thresholds, scheme, baseline)
    assert chosen == [scheme.ids[columns[expected]], baseline[1]]  # a passage of one sentence keeps its primary

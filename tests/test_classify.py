"""The classifiers follow scikit-learn's contract."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from themes.classify import DimensionClassifier, ThemeClassifier, features, neighbour_vote, with_question
from themes.coding import dimension_training_set, theme_training_set
from themes.embed import embedding_function


@pytest.fixture
def embed():
    return embedding_function("test:hashing")


def test_fit_returns_self_and_learned_attributes_end_in_underscore(tiny_codebook, embed):
    texts, labels = theme_training_set(tiny_codebook)
    model = ThemeClassifier(C=2.0)
    assert model.fit(features(texts, embed(texts)), labels) is model
    assert model.n_themes_ == 2 and len(model.estimators_) == 2
    assert clone(model).get_params() == {"C": 2.0, "class_weight": "balanced", "method": "logistic",
                                         "word_weight": 2.0, "use_question": True, "neighbour_weight": 0.2,
                                         "neighbours": 10, "neighbour_temperature": 0.05}


def test_the_theme_classifier_scores_its_own_examples_on_their_theme(tiny_codebook, embed):
    texts, labels = theme_training_set(tiny_codebook)
    model = ThemeClassifier().fit(features(texts, embed(texts)), labels)
    probe = ["Grants end after two years.", "Trust between our directors, built over ten years."]
    scores = model.predict_proba(features(probe, embed(probe)))
    assert scores.shape == (2, 2)
    assert scores[0].argmax() == 1 and scores[1].argmax() == 0


def test_the_dimension_classifier_gives_type_probabilities_in_the_codebook_order(tiny_codebook, embed):
    dimension = tiny_codebook.dimensions[0]
    texts, kinds = dimension_training_set(tiny_codebook, dimension)
    model = DimensionClassifier(types=("referral", "joint"))
    assert model.fit(features(texts, embed(texts)), kinds) is model
    assert list(model.classes_) == ["none", "referral", "joint"]
    probe = ["We send clients to the food bank.", "Our case managers work inside the clinic."]
    proba = model.predict_proba(features(probe, embed(probe)))
    assert proba.shape == (2, 2) and np.all(proba.sum(axis=1) <= 1.0 + 1e-6)
    assert list(model.predict(features(probe, embed(probe)))) == ["referral", "joint"]


def test_a_dimension_with_one_label_only_always_gives_it(embed):
    texts = ["We refer clients.", "We send people over."]
    model = DimensionClassifier(types=("referral", "joint")).fit(features(texts, embed(texts)), ["referral"] * 2)
    assert model.predict_proba(features(texts, embed(texts))).tolist() == [[1.0, 0.0], [1.0, 0.0]]


@pytest.mark.parametrize(
    ("params", "message"),
    [({"method": "magic"}, r"The 'method' must be one of \['logistic', 'prototype'\]. Got 'magic' instead."),
     ({"word_weight": -1}, r"The 'word_weight' must be >= 0. Got -1 instead."),
     ({"C": 0}, r"The 'C' must be > 0. Got 0 instead."),
     ({"use_question": "yes"}, r"The 'use_question' must be True or False. Got 'yes' instead.")],
)
def test_bad_parameters_get_one_message_shape(tiny_codebook, embed, params, message):
    texts, labels = theme_training_set(tiny_codebook)
    with pytest.raises(ValueError, match=message):
        ThemeClassifier(**params).fit(features(texts, embed(texts)), labels)
    texts, kinds = dimension_training_set(tiny_codebook, tiny_codebook.dimensions[0])
    with pytest.raises(ValueError, match=message):
        DimensionClassifier(types=("referral", "joint"), **params).fit(features(texts, embed(texts)), kinds)


def test_a_dimension_label_outside_its_types_is_refused(embed):
    texts = ["a", "b"]
    with pytest.raises(ValueError, match=r"The labels must be one of \['none', 'referral', 'joint'\]. "
                                         r"Got \['shared'\] instead."):
        DimensionClassifier(types=("referral", "joint")).fit(features(texts, embed(texts)), ["none", "shared"])


def test_the_question_is_a_word_of_the_passage_when_used():
    X = features(["Trust took years.", "Trust took years."], np.zeros((2, 3)), ["effective_practices", ""])
    assert with_question(X) == ["qqeffective_practices Trust took years.", "Trust took years."]


def test_the_same_words_score_by_the_question_they_answer(embed):
    # The same sentence is a barrier under one question and not under the other: only the question can tell.
    texts = ["Staff time is the issue.", "Staff time is the issue.", "Staff time is the issue.",
             "Staff time is the issue."] * 3
    questions = ["challenges", "effective_practices"] * 6
    labels = np.array([[int(q == "challenges")] for q in questions])
    X = features(texts, embed(texts), questions)
    probe = features(["Staff time is the issue."] * 2, embed(["Staff time is the issue."] * 2),
                     ["challenges", "effective_practices"])
    scores = ThemeClassifier(use_question=True).fit(X, labels).predict_proba(probe)[:, 0]
    assert scores[0] > 0.5 > scores[1]
    blind = ThemeClassifier(use_question=False).fit(X, labels).predict_proba(probe)[:, 0]
    assert blind[0] == pytest.approx(blind[1])


def _unit(rows) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_the_nearest_passages_vote_the_nearer_counting_more():
    coded = _unit([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0.9, 0.1], [0, 0, 1]])
    codes = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [1, 1]], dtype=np.float32)
    # Two voters: the query's two nearest, both of the first code.
    assert neighbour_vote(_unit([[1, 0.05, 0]]), coded, codes, k=2).tolist() == [[1.0, 0.0]]
    # Three voters, the third of the second code and farther: it counts, but less than the two nearer ones.
    vote = neighbour_vote(_unit([[1, 0.6, 0]]), coded, codes, k=3, temperature=0.05)[0]
    assert 0.5 < vote[0] < 1 and 0 < vote[1] < 0.5 and vote.sum() == pytest.approx(1)
    # A high temperature counts the voters alike; more voters asked for than there are: all of them.
    assert neighbour_vote(_unit([[1, 0.6, 0]]), coded, codes, k=3, temperature=1e6)[0] == pytest.approx([2 / 3, 1 / 3])
    assert neighbour_vote(_unit([[1, 1, 1]]), coded, codes, k=50, temperature=1e6)[0] == pytest.approx([0.6, 0.6])
    # A passage as near as the k-th votes too (no arbitrary pick among ties).
    tied = neighbour_vote(_unit([[1, 1, 0]]), _unit([[1, 0, 0], [0, 1, 0]]), np.array([[1, 0], [0, 1]]), k=1)
    assert tied.tolist() == [[0.5, 0.5]]
    assert neighbour_vote(_unit([[1, 0, 0]]), np.zeros((0, 3)), np.zeros((0, 2))).tolist() == [[0.0, 0.0]]
    # A vector of zeros (no word the embedder knows) is as near to every passage: all vote alike, no NaN.
    assert neighbour_vote(np.zeros((1, 3), np.float32), coded, codes, k=2)[0] == pytest.approx([0.6, 0.6])


def test_the_vote_is_the_same_whatever_the_chunk(monkeypatch):
    import themes.classify

    rng = np.random.default_rng(0)
    vectors, coded = rng.normal(size=(7, 5)).astype(np.float32), _unit(rng.normal(size=(12, 5)))
    codes = (rng.random((12, 3)) < 0.4).astype(np.float32)
    whole = neighbour_vote(vectors, coded, codes, k=4)
    monkeypatch.setattr(themes.classify, "NEIGHBOUR_CHUNK", 2)
    # float32 products of another shape round otherwise (BLAS picks its kernel by shape and CPU), and the softmax at
    # temperature 0.05 scales that by 20: 1.2e-6 apart on an AVX-512 machine
    np.testing.assert_allclose(neighbour_vote(vectors, coded, codes, k=4), whole, rtol=2e-5, atol=1e-7)


def test_the_vote_takes_its_share_of_each_theme_score(embed):
    """A pocket of passages that say a theme in their own way: the vote of the nearest carries what the linear
    model, out-voted by the rest, does not (CV kappa 0.804 -> 0.812 on the sample's calibration split)."""
    texts = ["We can take thirty clients a month.", "Trust built over years."] * 4 + ["Funding ran out."] * 2
    labels = np.array([[1, 0], [0, 1]] * 4 + [[1, 0]] * 2)
    X = features(texts, embed(texts))
    alone = ThemeClassifier(neighbour_weight=0.0).fit(X, labels)
    voting = ThemeClassifier(neighbour_weight=0.2).fit(X, labels)
    assert not hasattr(alone, "voters_") and voting.voters_.dtype == np.float16
    probe = features(texts[:2], embed(texts[:2]))
    vote = neighbour_vote(embed(texts[:2]), voting.voters_, voting.voter_codes_)
    np.testing.assert_allclose(voting.predict_proba(probe), 0.8 * alone.predict_proba(probe) + 0.2 * vote, rtol=1e-5)
    assert vote[0].tolist() == pytest.approx([1, 0], abs=1e-6) and vote[1].tolist() == pytest.approx([0, 1], abs=1e-6)
    with pytest.raises(ValueError, match=r"The 'neighbour_weight' must be in \[0, 1\]. Got 1.5 instead."):
        ThemeClassifier(neighbour_weight=1.5).fit(X, labels)
    with pytest.raises(ValueError, match=r"The 'neighbours' must be >= 1 and the 'neighbour_temperature' > 0. Got 0 "):
        ThemeClassifier(neighbours=0).fit(X, labels)
    # Its neighbours and temperature are the model's own: three voters, all alike at a high temperature, where the
    # default's ten at 0.05 leave the vote to the passage's two copies.
    three = ThemeClassifier(neighbours=3, neighbour_temperature=1e6).fit(X, labels)
    funding = features(["Funding ran out."], embed(["Funding ran out."]))
    vote = neighbour_vote(embed(["Funding ran out."]), three.voters_, three.voter_codes_, 3, 1e6)
    np.testing.assert_allclose(three.predict_proba(funding), 0.8 * alone.predict_proba(funding) + 0.2 * vote,
                               rtol=1e-5)
    assert vote[0, 1] > 0.2 and neighbour_vote(embed(["Funding ran out."]), three.voters_, three.voter_codes_)[0, 1] \
        < 0.01

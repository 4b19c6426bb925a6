"""The classifiers follow scikit-learn's contract."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from themes.classify import DimensionClassifier, ThemeClassifier, features, with_question
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
                                         "word_weight": 2.0, "use_question": True}


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

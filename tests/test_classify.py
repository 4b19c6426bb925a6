"""The classifier follows scikit-learn's contract and learns from the codebook."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from themes.calibrate import CodedPassage
from themes.classify import (ThemeClassifier, codebook_training_set, decide, features, fit_codebook_classifier,
                             resolve_method, resolve_thresholds, training_texts)
from themes.codebook import load_codebook
from themes.embed import embedding_function


@pytest.fixture
def embed():
    return embedding_function("test:hashing")


def test_training_set_marks_examples_notes_and_negatives(tiny_codebook):
    texts, labels = codebook_training_set(tiny_codebook)
    row = texts.index("Grants end after two years.")
    assert list(labels[row]) == [0, 1, 0, 0]
    definition = texts.index("Trust, honesty and respect between partner organizations.")
    assert list(labels[definition]) == [1, 0, 0, 0]
    texts_without_notes, _ = codebook_training_set(tiny_codebook, notes=False)
    assert definition not in [texts_without_notes.index(t) for t in texts_without_notes if t == texts[definition]]


def test_a_text_listed_under_two_themes_carries_both(tmp_path, tiny_codebook_path):
    text = tiny_codebook_path.read_text().replace("Nobody covers ongoing costs.", "We cannot keep staff.")
    text = text.replace("      - Grants end after two years.", "      - Grants end after two years.\n"
                        "      - Trust between our directors, built over ten years.")
    path = tmp_path / "both.yaml"
    path.write_text(text)
    texts, labels = codebook_training_set(load_codebook(path))
    row = texts.index("Trust between our directors, built over ten years.")
    assert list(labels[row]) == [1, 1, 0, 0]


def test_fit_returns_self_and_learned_attributes_end_in_underscore(tiny_codebook, embed):
    texts, labels = codebook_training_set(tiny_codebook)
    model = ThemeClassifier(C=2.0)
    assert model.fit(features(texts, embed(texts)), labels) is model
    assert model.thresholds_.tolist() == [0.5] * 4
    assert model.n_themes_ == 4
    assert clone(model).get_params() == {"C": 2.0, "class_weight": "balanced", "default_threshold": None,
                                         "method": "logistic", "word_weight": 1.0}


def test_the_classifier_scores_its_own_examples_on_their_theme(tiny_codebook, embed):
    classifier = fit_codebook_classifier(tiny_codebook, embed, method="logistic")
    scores = classifier.predict_proba(features(["Grants end after two years.", "We send clients to the food bank."],
                                               embed(["Grants end after two years.",
                                                      "We send clients to the food bank."])))
    assert scores.shape == (2, 4)
    assert scores[0].argmax() == 1 and scores[1].argmax() == 2


def test_coded_passages_are_learned_from(tiny_codebook, embed):
    text = "Potluck dinners with the clinic staff every month."
    before = fit_codebook_classifier(tiny_codebook, embed, method="logistic")
    after = fit_codebook_classifier(tiny_codebook, embed, method="logistic", passages=[(text, ["trust"])] * 3)
    x = features([text], embed([text]))
    assert after.predict_proba(x)[0, 0] > before.predict_proba(x)[0, 0]


@pytest.mark.parametrize(
    ("params", "message"),
    [({"method": "magic"}, r"The 'method' must be one of \['logistic', 'prototype'\]. Got 'magic' instead."),
     ({"word_weight": -1}, r"The 'word_weight' must be >= 0. Got -1 instead.")],
)
def test_bad_parameters_get_one_message_shape(tiny_codebook, embed, params, message):
    texts, labels = codebook_training_set(tiny_codebook)
    with pytest.raises(ValueError, match=message):
        ThemeClassifier(**params).fit(features(texts, embed(texts)), labels)


def test_prototype_method_is_chosen_for_a_codebook_without_examples(tmp_path):
    path = tmp_path / "bare.yaml"
    path.write_text("name: Bare\nthemes:\n  - id: trust\n    label: Trust\n    definition: Trust between partners.\n"
                    "  - id: money\n    label: Money\n    definition: Funding and staff shortages.\n")
    codebook = load_codebook(path)
    assert resolve_method("auto", codebook) == "prototype"
    classifier = fit_codebook_classifier(codebook, embedding_function("test:hashing"))
    assert classifier.method == "prototype" and classifier.thresholds_.tolist() == [0.45, 0.45]


def test_thresholds_codebook_wins_over_calibration_over_default(tmp_path, tiny_codebook_path, embed):
    text = tiny_codebook_path.read_text().replace("    definition: Trust, honesty",
                                                  "    threshold: 0.7\n    definition: Trust, honesty")
    path = tmp_path / "with_threshold.yaml"
    path.write_text(text)
    codebook = load_codebook(path)
    classifier = fit_codebook_classifier(codebook, embed, method="logistic")
    values, sources = resolve_thresholds(codebook, classifier, {"trust": 0.2, "funding": 0.3})
    assert values.tolist() == [0.7, 0.3, 0.5, 0.5]
    assert sources == {"trust": "codebook", "funding": "calibration", "service.referral": "default",
                       "service.joint": "default"}


def test_decide_keeps_only_the_best_type_of_a_dimension():
    scores = np.array([[0.6, 0.2, 0.7, 0.9], [0.6, 0.2, 0.7, 0.1]])
    decided = decide(scores, np.full(4, 0.5), [None, None, "service", "service"])
    assert decided.tolist() == [[True, False, False, True], [True, False, True, False]]


def test_training_texts_include_calibration_passages(tiny_codebook):
    class Calibration:
        passages = [CodedPassage(text="Extra coded passage.", themes=["trust"])]

    assert training_texts(tiny_codebook, Calibration())[-1] == "Extra coded passage."


def test_a_run_uses_the_calibration_passages_parameters_and_thresholds(tiny_codebook, embed):
    from themes.calibrate import Calibration
    from themes.classify import fit_for_run

    calibration = Calibration(codebook="x", codebook_hash="h", model="m", method="logistic", C=2.0, word_weight=0.5,
                              thresholds={"trust": 0.3},
                              passages=[CodedPassage(text="Potluck dinners with the clinic staff.", themes=["trust"])])
    classifier, thresholds, sources = fit_for_run(tiny_codebook, embed, calibration)
    assert (classifier.method, classifier.C, classifier.word_weight) == ("logistic", 2.0, 0.5)
    assert thresholds.tolist()[0] == 0.3 and sources["trust"] == "calibration"
    plain, _, plain_sources = fit_for_run(tiny_codebook, embed)
    assert plain.method == "prototype" and set(plain_sources.values()) == {"default"}

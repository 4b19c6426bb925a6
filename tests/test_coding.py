"""The one coding path: training sets, decisions for themes and dimensions, thresholds, several codebooks."""

from __future__ import annotations

import numpy as np
import pytest

from themes.calibrate import Calibration, CodedPassage
from themes.classify import features
from themes.codebook import load_codebook, merge_codebooks
from themes.coding import (Coder, Scheme, dimension_training_set, fit_coder, in_place_readings, nearest_vote,
                           resolve_method, theme_training_set, threshold_items, training_texts)
from themes.embed import embedding_function
from themes.errors import CodebookError

# The tiny codebook's columns: trust, funding, service.referral, service.joint.


@pytest.fixture
def embed():
    return embedding_function("test:hashing")


def test_theme_training_set_marks_examples_notes_and_negatives(tiny_codebook):
    texts, labels = theme_training_set(tiny_codebook)
    assert list(labels[texts.index("Grants end after two years.")]) == [0, 1]
    assert list(labels[texts.index("Trust, honesty and respect between partner organizations.")]) == [1, 0]
    # A dimension's examples are not theme training data.
    assert "We send clients to the food bank." not in texts
    without_notes, _ = theme_training_set(tiny_codebook, notes=False)
    assert "Trust, honesty and respect between partner organizations." not in without_notes


def test_a_text_listed_under_two_themes_carries_both(tmp_path, tiny_codebook_path):
    text = tiny_codebook_path.read_text().replace("      - Grants end after two years.", "      - Grants end after "
                                                  "two years.\n      - Trust between our directors, built over ten years.")
    path = tmp_path / "both.yaml"
    path.write_text(text)
    texts, labels = theme_training_set(load_codebook(path))
    assert list(labels[texts.index("Trust between our directors, built over ten years.")]) == [1, 1]


def test_dimension_training_set_labels_types_none_and_coded_passages(tiny_codebook):
    dimension = tiny_codebook.dimensions[0]
    texts, kinds = dimension_training_set(tiny_codebook, dimension, [("We share a building.", ["service.joint"]),
                                                                    ("We bake bread.", ["trust"])])
    labels = dict(zip(texts, kinds))
    assert labels["We send clients to the food bank."] == "referral"
    assert labels["Partners refer clients to each other's services."] == "referral"  # the definition
    assert labels["Our case managers work inside the clinic."] == "joint"
    assert labels["We share a building."] == "joint" and labels["We bake bread."] == "none"


def test_themes_are_decided_by_threshold_and_a_dimension_by_its_presence_then_its_best_type(tiny_codebook):
    scheme = Scheme(tiny_codebook)
    thresholds = np.full(4, 0.5)
    scores = np.array([
        [0.6, 0.2, 0.35, 0.30],  # dimension addressed (0.65), referral the likelier type
        [0.4, 0.7, 0.10, 0.20],  # not addressed (0.30)
        [0.5, 0.5, 0.05, 0.50],  # joint; both themes at their threshold
    ])
    decided = scheme.decide(scores, thresholds)
    assert decided.tolist() == [[True, False, True, False], [False, True, False, False], [True, True, False, True]]
    assert scheme.dimension_types(decided) == {"service": ["referral", "none", "joint"]}
    assert scheme.primary(scores, decided) == ["trust", "funding", "trust"]


def test_an_answer_takes_the_most_integrated_type_among_its_segments(tiny_codebook):
    scheme = Scheme(tiny_codebook)
    # Answer 0: a joint segment, then a referral one; answer 1: referral only; answer 2: nothing.
    scores = np.array([[0.1, 0.1, 0.1, 0.8], [0.9, 0.1, 0.7, 0.1], [0.1, 0.1, 0.9, 0.0], [0.1, 0.1, 0.0, 0.1]])
    keys = np.array([0, 0, 1, 2])
    _, answer_scores, decided = scheme.code(scores, keys, 3, np.full(4, 0.5))
    assert scheme.dimension_types(decided) == {"service": ["joint", "referral", "none"]}
    assert decided[:, 0].tolist() == [True, False, False]  # trust from the second segment
    assert answer_scores[0].tolist() == pytest.approx([0.9, 0.1, 0.7, 0.8])


def test_thresholds_codebook_wins_over_calibration_over_default(tmp_path, tiny_codebook_path):
    text = tiny_codebook_path.read_text().replace("    definition: Trust, honesty",
                                                  "    threshold: 0.7\n    definition: Trust, honesty")
    text = text.replace("    label: Service model\n", "    label: Service model\n    threshold: 0.6\n")
    path = tmp_path / "with_threshold.yaml"
    path.write_text(text)
    from themes.coding import resolve_thresholds

    scheme = Scheme(load_codebook(path))
    values, sources = resolve_thresholds(scheme, {"trust": 0.2, "funding": 0.3, "service": 0.4})
    assert values.tolist() == [0.7, 0.3, 0.6, 0.6]
    assert sources == {"trust": "codebook", "funding": "calibration", "service": "codebook"}
    assert threshold_items(scheme, values) == {"trust": 0.7, "funding": 0.3, "service": 0.6}


def test_a_threshold_on_a_dimension_type_is_a_codebook_error(tmp_path, tiny_codebook_path):
    text = tiny_codebook_path.read_text().replace("        label: Joint\n", "        label: Joint\n"
                                                  "        threshold: 0.4\n")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(CodebookError, match=r"type 'joint' has a threshold, .* move it to dimension 'service'"):
        load_codebook(path)


def test_a_coder_uses_the_calibration_passages_parameters_and_thresholds(tiny_codebook, embed):
    calibration = Calibration(codebook="x", codebook_hash="h", model="m", method="logistic", C=2.0, word_weight=0.5,
                              thresholds={"trust": 0.3, "service": 0.45},
                              passages=[CodedPassage(text="Potluck dinners with the clinic staff.",
                                                     themes=["trust", "service.joint"])])
    coder = fit_coder(tiny_codebook, embed, calibration)
    # A calibration file from before the question was a feature, or the nearest passages' vote, says nothing of
    # them: it did without.
    assert coder.params == {"method": "logistic", "C": 2.0, "word_weight": 0.5, "use_question": False,
                            "neighbour_weight": 0.0, "neighbours": 10, "neighbour_temperature": 0.05}
    assert coder.models[0].neighbour_weight == 0.0 and not hasattr(coder.models[0], "voters_")
    assert [m.C for m in coder.models] == [2.0, 2.0]
    assert [m.use_question for m in coder.models] == [False, False]
    assert coder.thresholds.tolist() == [0.3, 0.5, 0.45, 0.45]
    assert coder.sources == {"trust": "calibration", "funding": "default", "service": "calibration"}
    assert "Potluck dinners with the clinic staff." in training_texts(tiny_codebook, calibration)


def test_coded_passages_are_learned_from(tiny_codebook, embed):
    text = "Potluck dinners with the clinic staff every month."
    before = fit_coder(tiny_codebook, embed, method="logistic")
    after = fit_coder(tiny_codebook, embed, method="logistic", passages=[(text, ["trust"])] * 3)
    assert after.score([text], embed([text]))[0, 0] > before.score([text], embed([text]))[0, 0]


def test_coded_passages_teach_what_their_question_changes(tiny_codebook, embed):
    text = "Staff time is the issue."
    passages = [(text, ["funding"], "challenges"), (text, [], "effective_practices")] * 4
    coder = fit_coder(tiny_codebook, embed, method="logistic", passages=passages)
    assert coder.params["use_question"] is True
    scores = coder.score([text, text], embed([text, text]), ["challenges", "effective_practices"])[:, 1]
    assert scores[0] > 0.5 > scores[1]
    _, _, by_passage, _ = coder.code_texts([text, text], embed, questions=["challenges", "effective_practices"])
    assert by_passage[0, 1] == pytest.approx(scores[0]) and by_passage[1, 1] == pytest.approx(scores[1])


def test_zero_shot_for_a_codebook_without_examples(tmp_path, embed):
    path = tmp_path / "bare.yaml"
    path.write_text("name: Bare\nthemes:\n  - id: trust\n    label: Trust\n    definition: Trust between partners.\n"
                    "  - id: money\n    label: Money\n    definition: Funding and staff shortages.\n")
    codebook = load_codebook(path)
    assert resolve_method("auto", codebook) == "prototype"
    coder = fit_coder(codebook, embed)
    assert coder.method == "prototype" and coder.thresholds.tolist() == [0.45, 0.45]


def test_two_codebooks_are_coded_side_by_side(tiny_codebook, tmp_path, embed):
    path = tmp_path / "second.yaml"
    path.write_text("name: Second\nthemes:\n  - id: data\n    label: Data\n    definition: We share records.\n")
    second = load_codebook(path)  # zero-shot: no examples
    coder = Coder.join([fit_coder(tiny_codebook, embed, method="logistic"), fit_coder(second, embed)])
    assert coder.ids == ["trust", "funding", "data", "service.referral", "service.joint"]  # themes, then dimensions
    assert coder.thresholds.tolist() == [0.5, 0.5, 0.45, 0.5, 0.5]
    texts = ["We send clients to the food bank.", "We share records."]
    scores = coder.score(texts, embed(texts))
    _, _, decided = coder.code(scores, np.arange(2), 2)
    assert decided.shape == (2, 5) and decided[1, 2] == (scores[1, 2] >= 0.45)
    assert coder.scheme.dimension_types(decided)["service"][0] == "referral"
    with pytest.raises(CodebookError, match=r"cannot be coded together: theme id 'trust' is used twice"):
        merge_codebooks([tiny_codebook, tiny_codebook])


def test_passages_are_coded_by_the_same_path_as_answers(tiny_codebook, embed):
    """Evaluation's passages go through clean -> segment -> score -> decide -> combine, like a run's answers."""
    from themes.aggregate import code_answers
    from themes.clean import clean_text
    from themes.segment import segment_answers
    import pandas as pd

    coder = fit_coder(tiny_codebook, embed, method="logistic")
    texts = ["Trust between our directors. We send clients to the food bank, and our case managers work inside "
             "the clinic with the nurses every day of the week, as planned together.", "Grants end.", "<b>We</b> cannot keep staff."]
    _, _, scores, decided = coder.code_texts(texts, embed, segment_words=8)
    cleaned = [clean_text(t) for t in texts]
    segments = segment_answers(cleaned, range(3), max_words=8)
    answers = pd.DataFrame({"respondent_id": ["a", "b", "c"], "question": "q", "answer": cleaned,
                            "status": "pending", "reason": ""})
    coded, _ = code_answers(answers, segments, coder.score(list(segments["text"]), embed(list(segments["text"]))),
                            coder.scheme, coder.thresholds)
    assert list(coded["themes"]) == [";".join(labels) for labels in coder.scheme.labels(decided)]


def test_a_dimension_takes_its_type_from_what_is_in_place_and_its_presence_from_the_whole_text(tiny_codebook, embed):
    coder = fit_coder(tiny_codebook, embed, method="logistic")
    whole = "We send clients to the food bank. In five years we want our case managers to work inside the clinic."
    in_place = "We send clients to the food bank."
    columns = [2, 3]  # service.referral, service.joint
    scores = coder.score([whole], embed([whole]), embed=embed)[0]
    alone = coder.score([in_place], embed([in_place]), embed=embed)[0]
    read_whole = np.zeros(4, dtype=np.float32)
    read_whole[columns] = coder.models[1].predict_proba(features([whole], embed([whole])))[0]
    assert scores[columns].sum() == pytest.approx(read_whole[columns].sum(), rel=1e-5)  # presence: the whole text
    assert scores[columns] / scores[columns].sum() == pytest.approx(alone[columns] / alone[columns].sum(), rel=1e-4)
    themes = coder.models[0].predict_proba(features([whole], embed([whole])))[0]
    assert scores[:2] == pytest.approx(themes)  # themes: the whole text
    with pytest.raises(ValueError, match="needs `embed`"):
        coder.score([whole], embed([whole]))
    assert in_place_readings(tiny_codebook, [whole, in_place, whole]) == [in_place]
    assert in_place_readings(tiny_codebook.model_copy(update={"dimensions": []}), [whole]) == []



def _asked_passages():
    return [("Staff time is the issue.", ["funding"], "challenges"), ("Staff time is the issue.", [], "effective_practices"),
            ("Grants end after a year.", ["funding"], "challenges"), ("We trust each other.", ["trust"], "effective_practices"),
            ("Nobody returns our calls.", ["trust"], "challenges"), ("Potluck dinners with the clinic.", ["trust"], "")] * 3


def test_a_passage_whose_question_was_never_learned_is_scored_by_the_model_learned_without_it(tiny_codebook, embed):
    """Read by the question's model, such a passage misses the context that model learned to lean on."""
    coder = fit_coder(tiny_codebook, embed, method="logistic", passages=_asked_passages())
    asked_only = fit_coder(tiny_codebook, embed, method="logistic", passages=_asked_passages(), unasked=False)
    without = fit_coder(tiny_codebook, embed, method="logistic",
                        passages=[(t, c) for t, c, _ in _asked_passages()])  # learned with no question at all
    assert [m is not None for m in coder.unasked] == [True] * len(coder.models)
    assert all(m is None for m in asked_only.unasked)
    texts = ["Staff time is the issue.", "Grants end after a year.", "We trust each other."]
    vectors = embed(texts)
    for questions in (None, ["Q3", "", "Q3"]):
        np.testing.assert_allclose(coder.score(texts, vectors, questions), without.score(texts, vectors, questions),
                                   rtol=1e-5)
        assert not np.allclose(asked_only.score(texts, vectors, questions), coder.score(texts, vectors, questions))
    # A learned question keeps the question's model, row by row in a mixed batch.
    mixed = coder.score(texts, vectors, ["challenges", "Q3", "effective_practices"])
    np.testing.assert_allclose(mixed[[0, 2]], asked_only.score(texts, vectors, ["challenges", "Q3", "effective_practices"])[[0, 2]],
                               rtol=1e-5)
    np.testing.assert_allclose(mixed[1], without.score(texts[1:2], vectors[1:2])[0], rtol=1e-5)
    assert list(coder.not_learned(["challenges", "Q3", "", "What challenges hold it back?"], 4)) == [False, True, True, True]


def test_a_joined_coder_keeps_each_codebooks_model_learned_without_the_question(tiny_codebook, tmp_path, embed):
    path = tmp_path / "second.yaml"
    path.write_text("name: Second\nthemes:\n  - id: data\n    label: Data\n    definition: We share records.\n"
                    "    examples: ['We share records.', 'A shared dashboard.']\n")
    first = fit_coder(tiny_codebook, embed, method="logistic", passages=_asked_passages())
    second = fit_coder(load_codebook(path), embed, method="logistic")  # learned from no question
    joined = Coder.join([first, second])
    assert joined.unasked == [*first.unasked, None] and len(joined.unasked) == len(joined.models)
    texts = ["Staff time is the issue.", "We share records."]
    np.testing.assert_allclose(joined.score(texts, embed(texts), ["Q3", "Q3"])[:, :2],
                               first.score(texts, embed(texts), ["Q3", "Q3"])[:, :2], rtol=1e-5)


def test_a_stale_code_leaves_out_a_passage_only_from_the_model_it_belongs_to(tiny_codebook):
    """Calibration passages with a code the codebook lacks were left out whole: a renamed governance took 77 of
    financial_relationship's 355 positives with it."""
    from themes.coding import _speaks_for

    calibrated = {"service", "governance"}
    assert not _speaks_for(["trusting"], tiny_codebook, None, calibrated)  # a renamed theme: not the themes'
    assert _speaks_for(["trusting", "service.joint"], tiny_codebook, "service", calibrated)
    assert not _speaks_for(["service.merged"], tiny_codebook, "service", calibrated)  # a type the dimension lacks
    assert _speaks_for(["governance.formal", "trust"], tiny_codebook, None, calibrated)
    # A dimension the calibration coded under its own name: another dimension's old codes say nothing of it.
    assert _speaks_for(["governance.formal"], tiny_codebook, "service", calibrated)
    # A dimension new to the calibration (perhaps governance renamed): those codes may be its own.
    assert not _speaks_for(["governance.formal"], tiny_codebook, "service", {"governance"})


def test_the_nearest_passages_vote_only_where_coded_passages_are_learned_from(tiny_codebook, embed, tmp_path):
    """Over a codebook's few examples alone the vote blurs them (the sample's examples alone: test kappa 0.649 ->
    0.644); with coded passages it is the default's share. The model learned without the question votes with the
    same passages: one array for both, kept once in the file of fitted models."""
    from themes.fitted import FittedModels, write_models

    examples_only = fit_coder(tiny_codebook, embed, method="logistic")
    assert examples_only.params["neighbour_weight"] == 0.0 and examples_only.models[0].neighbour_weight == 0.0
    fitted = FittedModels("test:hashing")
    coder = fit_coder(tiny_codebook, embed, method="logistic", passages=_asked_passages(), fitted=fitted)
    assert coder.params["neighbour_weight"] == 0.2
    themes, alone = coder.models[0], coder.unasked[0]
    assert themes.neighbour_weight == alone.neighbour_weight == 0.2
    assert alone.voters_ is themes.voters_ and alone.voter_codes_ is themes.voter_codes_
    assert not hasattr(coder.models[1], "neighbour_weight")  # a dimension's model does without
    import pickle

    kept = pickle.loads(write_models(tmp_path / "x.models.pkl", fitted).read_bytes())
    read = [m for m in kept.values() if hasattr(m, "voters_")]
    assert len(read) == 2 and read[0].voters_ is read[1].voters_


def test_a_calibration_s_vote_reaches_the_themes_model_as_it_was_made(tiny_codebook, embed):
    calibration = Calibration(codebook="x", codebook_hash="h", model="m", method="logistic", C=4.0, word_weight=2.0,
                              neighbour_weight=0.1, neighbours=3, neighbour_temperature=0.2, thresholds={},
                              passages=[CodedPassage(text="Potluck dinners with the clinic staff.", themes=["trust"])])
    model = fit_coder(tiny_codebook, embed, calibration).models[0]
    assert (model.neighbour_weight, model.neighbours, model.neighbour_temperature) == (0.1, 3, 0.2)
    # Passages whose theme codes the codebook no longer has teach the themes nothing: their examples alone, no vote.
    stale = calibration.model_copy(update={"passages": [CodedPassage(text="Potluck dinners.", themes=["renamed"])]})
    assert fit_coder(tiny_codebook, embed, stale).models[0].neighbour_weight == 0.0
    assert nearest_vote(tiny_codebook.model_copy(update={"themes": []}), "logistic", calibration)["neighbour_weight"] \
        == 0.0  # a framework's dimensions: no themes to vote on
    assert nearest_vote(tiny_codebook, "prototype", calibration)["neighbour_weight"] == 0.0

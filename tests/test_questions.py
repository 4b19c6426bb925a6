"""A survey's question named otherwise is read as the calibration question it names (themes.questions)."""

from __future__ import annotations

import numpy as np
import pytest

from themes.questions import aliases, match_question, unplaced

KNOWN = ["goals", "services", "funding", "data", "effective_practices", "challenges", "community_engagement",
         "five_year_goals"]


@pytest.mark.parametrize("question, name", [
    ("What challenges hold the partnership back?", "challenges"),
    ("What are the goals of your partnership?", "goals"),
    # several names match: the one with the most words ("goals" is one of five_year_goals' words)
    ("What are your goals for the next five years?", "five_year_goals"),
    ("Q7 - Goals for the next 5 years", "five_year_goals"),
    # an abbreviated "years" (review 160: "Goals (5 yrs)" was read as goals)
    ("Goals (5 yrs)", "five_year_goals"),
    ("5-yr goals", "five_year_goals"),
    ("How does the partnership engage the community?", "community_engagement"),
    ("What practices made the partnership effective?", "effective_practices"),
    ("How is the partnership funded, and how has that changed?", "funding"),
    ("data_sharing", "data"),
    # two different names match with as many words: left as it is, not guessed
    ("Funding challenges", None),
    ("What made it work?", None),
    ("Q3", None),
    ("", None),
])
def test_a_question_is_read_as_the_calibration_question_it_names(question, name):
    assert match_question(question, KNOWN) == name


def test_only_questions_the_classifier_did_not_learn_are_read_as_another():
    assert aliases(["challenges", "Challenges", "What challenges hold it back?", "Q3", ""], KNOWN) == {
        "What challenges hold it back?": "challenges"}
    assert aliases(["What challenges hold it back?"], []) == {}


def test_a_question_neither_learned_nor_naming_one_is_unplaced():
    known = ["challenges", "effective_practices", "five_year_goals"]
    asked = ["challenges", "What challenges hold it back?", "Q3", "", "Five Year Goals", "Funding challenges", "Q3"]
    assert unplaced(asked, known) == {"Q3"}
    assert unplaced(["Funding challenges"], ["funding", "challenges"]) == {"Funding challenges"}  # a tie names none


def test_the_coder_scores_a_question_named_otherwise_as_the_one_it_names(tiny_codebook, hashing_embedder):
    from themes.coding import fit_coder

    passages = [("We trust the hospital's staff.", ["trust"], "effective_practices"),
                ("Their lawyers took a year to sign.", ["none"], "challenges"),
                ("Staff turnover holds us back.", ["none"], "challenges"),
                ("We meet every week and trust each other.", ["trust"], "effective_practices")]
    coder = fit_coder(tiny_codebook, hashing_embedder.encode, method="logistic", passages=passages)
    assert coder.questions == ["effective_practices", "challenges"]
    texts = ["We trust them to follow through."] * 3
    vectors = hashing_embedder.encode(texts)
    named, worded, unknown = coder.score(texts, vectors, ["challenges", "What challenges hold it back?", "Q3"])
    np.testing.assert_array_equal(named, worded)
    assert not np.array_equal(named, unknown)


def test_a_question_named_q3_is_read_by_its_question_text():
    from themes.questions import read_by_label

    known = ["goals", "effective_practices", "challenges", "community_engagement"]
    labels = {"Q3": "What challenges hold the partnership back?", "Q4": "How does the partnership engage the community?",
              "Q9": "Anything else you would like to add?", "goals": "What are its goals?"}
    assert read_by_label(["Q3", "Q9", "goals", "Q4", "Q3"], labels, known) == {"Q3": "challenges",
                                                                           "Q4": "community_engagement"}

"""From hand-made segment scores to answer themes, respondent counts, co-occurrence and accounting.

The tiny codebook's categories, in order: trust, funding, service.referral, service.joint (the last
two are types of one dimension, least to most integrated: their scores are type probabilities, the
dimension is addressed when they add up to its threshold). Every threshold is 0.5.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from themes.aggregate import (add_segment_counts, co_occurrence, code_answers, framework_counts, respondent_types,
                              status_accounting, theme_counts)
from themes.coding import Scheme

THRESHOLDS = np.full(4, 0.5)
SCORE_COLUMNS = ["score_trust", "score_funding", "score_service.referral", "score_service.joint"]


@pytest.fixture
def answers() -> pd.DataFrame:
    return pd.DataFrame({
        "respondent_id": ["R1", "R1", "R2", "R3", "R3", "R4", "R5"],
        "question": ["q1", "q2", "q1", "q1", "q2", "q1", "q1"],
        "org_type": ["CBO", "CBO", "Gov", "CBO", "CBO", "Gov", "Health"],
        "answer": ["a1 a2", "b", "c", "d", "e", "", "N/A"],
        "status": ["pending", "pending", "pending", "too_long", "pending", "empty", "non_answer"],
        "reason": ["", "", "", "120 words; coded on the first 100 (full text kept)", "", "blank",
                   'placeholder "N/A"'],
    })


@pytest.fixture
def segments() -> pd.DataFrame:
    return pd.DataFrame({"answer_index": [0, 0, 1, 2, 3, 4], "segment_id": [1, 2, 1, 1, 1, 1],
                         "start": 0, "end": 1, "text": ["a1", "a2", "b", "c", "d", "e"]})


SCORES = np.array([
    # trust funding referral joint
    [0.90, 0.10, 0.45, 0.30],  # R1 q1, segment 1: trust; the dimension addressed (0.75), referral
    [0.20, 0.80, 0.05, 0.60],  # R1 q1, segment 2: funding; joint
    [0.10, 0.10, 0.10, 0.10],  # R1 q2: nothing (the dimension at 0.20)
    [0.30, 0.45, 0.20, 0.10],  # R2 q1: nothing, funding closest
    [0.60, 0.20, 0.05, 0.90],  # R3 q1 (too long): trust, joint
    [0.10, 0.40, 0.10, 0.10],  # R3 q2: nothing
], dtype=np.float32)


@pytest.fixture
def coded(answers, segments, tiny_codebook):
    return code_answers(answers, segments, SCORES, Scheme(tiny_codebook), THRESHOLDS)


def test_answer_carries_a_theme_when_a_segment_does(coded):
    answers, _ = coded

    assert list(answers["themes"]) == ["trust;funding;service.joint", "", "", "trust;service.joint", "", "", ""]
    # The top theme is among the themes; a dimension's type is not a theme.
    assert list(answers["top_theme"]) == ["trust", "none", "none", "trust", "none", "", ""]
    assert list(answers["status"]) == ["coded", "uncoded", "uncoded", "too_long", "uncoded", "empty", "non_answer"]


def test_answer_scores_are_the_best_segment_scores(coded):
    answers, _ = coded

    assert answers.loc[0, SCORE_COLUMNS].tolist() == pytest.approx([0.9, 0.8, 0.45, 0.6])
    assert answers["top_score"].tolist()[:5] == pytest.approx([0.9, 0.1, 0.45, 0.9, 0.4])
    # Answers that were not read have no scores.
    assert answers.loc[5:, ["top_score", *SCORE_COLUMNS]].isna().all().all()


def test_an_answer_keeps_the_most_integrated_type_of_its_segments(coded):
    answers, segments = coded

    # Each segment has its own type; the answer keeps the most integrated (joint), not the likeliest.
    assert list(segments["themes"])[:2] == ["trust;service.referral", "funding;service.joint"]
    assert "service.referral" not in answers.at[0, "themes"].split(";")
    for themes in answers["themes"]:
        assert sum(t.startswith("service.") for t in themes.split(";")) <= 1


def test_uncoded_reason_names_the_closest_theme(coded):
    answers, _ = coded

    assert list(answers["reason"]) == [
        "themes reached their thresholds",
        "no theme reached its threshold (closest: trust 0.10)",
        "no theme reached its threshold (closest: funding 0.45)",
        "120 words; coded on the first 100 (full text kept)",  # too_long keeps its status and reason
        "no theme reached its threshold (closest: funding 0.40)",
        "blank",
        'placeholder "N/A"',
    ]


def test_segments_get_themes_and_scores(coded):
    _, segments = coded

    assert list(segments["themes"]) == ["trust;service.referral", "funding;service.joint", "", "",
                                        "trust;service.joint", ""]
    assert list(segments["top_theme"]) == ["trust", "funding", "none", "none", "trust", "none"]
    assert segments[SCORE_COLUMNS].to_numpy() == pytest.approx(SCORES.round(4))


def test_the_input_is_not_changed(answers, segments, tiny_codebook):
    before_answers, before_segments = answers.copy(), segments.copy()

    code_answers(answers, segments, SCORES, Scheme(tiny_codebook), THRESHOLDS)

    pd.testing.assert_frame_equal(answers, before_answers)
    pd.testing.assert_frame_equal(segments, before_segments)


def test_theme_counts_by_respondent(coded, tiny_codebook):
    answers, _ = coded

    counts = theme_counts(answers, tiny_codebook)

    # Base: R1, R2, R3 gave a usable answer; R4 (empty) and R5 (non-answer) did not.
    assert counts.to_dict("records") == [
        {"theme": "trust", "label": "Trust and relationships", "respondents": 2, "percent": 66.7, "answers": 2,
         "base_respondents": 3},
        {"theme": "funding", "label": "Funding needs", "respondents": 1, "percent": 33.3, "answers": 1,
         "base_respondents": 3},
    ]


def test_a_respondent_has_one_type_per_dimension_the_most_integrated(tiny_codebook):
    answers = pd.DataFrame({"respondent_id": ["R1", "R1", "R2", "R3", "R4"], "question": ["q1", "q2", "q1", "q1", "q1"],
                            "status": ["coded", "coded", "coded", "uncoded", "empty"],
                            "themes": ["service.joint", "trust;service.referral", "service.referral", "", ""],
                            "org_type": ["CBO", "CBO", "Gov", "CBO", "CBO"]})

    assert respondent_types(answers, tiny_codebook)["service"].to_dict() == {
        "R1": "joint", "R2": "referral", "R3": "not_described"}
    counts = framework_counts(answers, tiny_codebook)
    assert counts[["type", "respondents", "percent", "base_respondents"]].values.tolist() == [
        ["referral", 1, 33.3, 3], ["joint", 1, 33.3, 3], ["not_described", 1, 33.3, 3]]
    assert counts["respondents"].sum() == 3  # each respondent once per dimension
    by = framework_counts(answers, tiny_codebook, by="org_type")
    assert by.loc[by["org_type"] == "CBO", ["type", "respondents"]].values.tolist() == [
        ["referral", 0], ["joint", 1], ["not_described", 1]]


def test_a_respondent_is_counted_once_however_many_answers_carry_the_theme(tiny_codebook):
    answers = pd.DataFrame({"respondent_id": ["R1", "R1", "R2"], "question": ["q1", "q2", "q1"],
                            "status": ["coded", "coded", "uncoded"],
                            "themes": ["trust", "trust;funding", ""]})

    counts = theme_counts(answers, tiny_codebook).set_index("theme")

    assert counts.loc["trust", ["respondents", "answers", "percent"]].tolist() == [1, 2, 50.0]
    assert counts.loc["funding", ["respondents", "answers", "percent"]].tolist() == [1, 1, 50.0]


def test_theme_counts_by_metadata(coded, tiny_codebook):
    answers, _ = coded

    counts = theme_counts(answers, tiny_codebook, by="org_type")

    # Health (R5) gave no usable answer, so it has no row; Gov's base is R2 only.
    table = counts.pivot(index="org_type", columns="theme", values="respondents")
    assert table.to_dict("index") == {"CBO": {"funding": 1, "trust": 2}, "Gov": {"funding": 0, "trust": 0}}
    assert counts.groupby("org_type")["base_respondents"].first().to_dict() == {"CBO": 2, "Gov": 1}
    assert counts.loc[counts["org_type"] == "CBO", "percent"].tolist() == [100.0, 50.0]
    assert list(counts.columns) == ["org_type", "theme", "label", "respondents", "percent", "answers",
                                    "base_respondents"]


def test_theme_counts_with_no_usable_answer(tiny_codebook):
    answers = pd.DataFrame({"respondent_id": ["R1"], "question": ["q1"], "status": ["empty"], "themes": [""]})

    counts = theme_counts(answers, tiny_codebook)

    assert counts["respondents"].tolist() == [0, 0]
    assert counts["percent"].tolist() == [0.0, 0.0]
    assert counts["base_respondents"].tolist() == [0, 0]


def test_add_segment_counts(coded, tiny_codebook):
    answers, segments = coded

    counts = add_segment_counts(theme_counts(answers, tiny_codebook), segments)

    assert list(counts.columns[:5]) == ["theme", "label", "respondents", "percent", "segments"]
    assert counts["segments"].tolist() == [2, 1]


def test_co_occurrence(coded, tiny_codebook):
    answers, _ = coded

    matrix = co_occurrence(answers, tiny_codebook.ids)

    assert matrix.to_dict("index") == {
        "trust": {"trust": 2, "funding": 1, "service.referral": 0, "service.joint": 2},
        "funding": {"trust": 1, "funding": 1, "service.referral": 0, "service.joint": 1},
        "service.referral": {"trust": 0, "funding": 0, "service.referral": 0, "service.joint": 0},
        "service.joint": {"trust": 2, "funding": 1, "service.referral": 0, "service.joint": 2},
    }
    # The diagonal is the respondents per theme.
    counts = theme_counts(answers, tiny_codebook).set_index("theme")["respondents"]
    assert np.diag(matrix.to_numpy()).tolist()[:2] == counts.loc[["trust", "funding"]].tolist()


def test_co_occurrence_gives_crosstab_no_repeated_index(monkeypatch, tiny_codebook):
    # pandas 3.0's crosstab refuses columns whose index repeats ("cannot reindex on an axis with duplicate
    # labels"); 3.1's accepts them. A 100k run on a GPU machine with pandas 3.0.6 failed here at the write stage.
    answers = pd.DataFrame({"respondent_id": ["R1", "R2"], "question": ["q1", "q1"], "status": ["coded"] * 2,
                            "themes": ["trust;funding", "trust"]})
    crosstab = pd.crosstab

    def strict_crosstab(index, columns, *args, **kwargs):
        assert not index.index.has_duplicates and not columns.index.has_duplicates
        return crosstab(index, columns, *args, **kwargs)

    monkeypatch.setattr("themes.aggregate.pd.crosstab", strict_crosstab)
    matrix = co_occurrence(answers, tiny_codebook.ids)
    assert matrix.at["trust", "trust"] == 2 and matrix.at["trust", "funding"] == 1


def test_co_occurrence_counts_a_respondent_under_their_own_type(tiny_codebook):
    # R1 has a referral answer and a joint one: of type joint (the most integrated), as the framework counts
    answers = pd.DataFrame({"respondent_id": ["R1", "R1", "R2"], "question": ["q1", "q2", "q1"],
                            "status": ["coded"] * 3, "themes": ["service.joint", "trust;service.referral",
                                                                "trust;service.referral"]})
    by_answers = co_occurrence(answers, tiny_codebook.ids)
    by_type = co_occurrence(answers, tiny_codebook.ids, tiny_codebook)
    assert by_answers.at["service.referral", "trust"] == 2
    assert by_type.at["service.referral", "trust"] == 1 and by_type.at["service.joint", "trust"] == 1
    types = respondent_types(answers, tiny_codebook)["service"].value_counts()
    assert [by_type.at[f"service.{k}", f"service.{k}"] for k in ("referral", "joint")] == [types["referral"],
                                                                                         types["joint"]]


def test_status_accounting_adds_up(coded):
    answers, _ = coded

    accounting = status_accounting(answers)

    assert accounting == {"input_answers": 7, "coded": 1, "uncoded": 3, "too_long": 1, "non_english": 0,
                          "duplicate": 0, "non_answer": 1, "empty": 1}
    assert sum(v for k, v in accounting.items() if k != "input_answers") == accounting["input_answers"]

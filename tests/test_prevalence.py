"""Corrected prevalence: checked on simulated surveys whose truth is known, and on small exact cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from themes.errors import GoldError
from themes.prevalence import (CORRECTED_METHOD, PROTECTING_METHOD, RAW_METHOD, UNMEASURED_ABOVE_METHOD,
                               UNMEASURED_METHOD,
                               PrevalenceOptions, corrected, decision_columns, question_prevalence,
                               respondent_prevalence, type_column, type_prevalence)
from themes.simulated_survey import Setting, simulate

FAST = PrevalenceOptions(draws=40)  # the benchmark uses 200; 40 keeps 400 simulated surveys near a minute


@pytest.mark.parametrize("setting", [
    Setting(0.05, sensitivity=0.85, specificity=0.98),  # a rare theme: raw counts read 19%
    Setting(0.25, sensitivity=0.80, specificity=0.95),  # like cultural differences: raw counts read 48%
], ids=["rare", "common"])
def test_corrected_estimates_are_unbiased_and_their_intervals_cover_the_truth(setting):
    rng = np.random.default_rng(11)
    rows = []
    for _ in range(200):
        survey = simulate(setting, rng)
        result = respondent_prevalence(survey.answers, survey.coded, ["theme"], options=FAST).iloc[0]
        rows.append((100 * survey.truth, result["percent"], result["estimate"], result["low"], result["high"]))
    truth, raw, estimate, low, high = np.array(rows).T
    # A coded sample with no positive answer leaves the theme unestimated (not a 0-0 interval), and
    # a result that claims nothing cannot miss the truth.
    measured = ~np.isnan(estimate)
    assert measured.mean() >= 0.90  # 13 of 200 here: a 5% theme is in about 1% of answers
    truth, raw, estimate, low, high = (v[measured] for v in (truth, raw, estimate, low, high))
    assert (raw - truth).mean() > 10  # what the correction is for
    assert abs((estimate - truth).mean()) < 1.0
    assert ((low <= truth) & (truth <= high)).mean() >= 0.90


def test_a_simulated_survey_flags_falsely_at_each_questions_own_rate():
    setting = Setting(0.0, specificity_by_question=(1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5), respondents=2000)
    survey = simulate(setting, np.random.default_rng(0))
    rates = survey.answers.groupby("question")["theme"].mean()
    assert rates[["q0", "q1", "q2", "q3"]].max() == 0 and rates[["q4", "q5", "q6", "q7"]].between(0.45, 0.55).all()
    assert "specificity 0.50-1.00 by question" in setting.describe()
    with pytest.raises(ValueError, match="one value per question"):
        Setting(0.1, specificity_by_question=(0.9,))


def test_a_simulated_survey_says_which_respondents_raised_the_theme():
    """Each respondent's truth, for the share of any group of them (benchmarks/prevalence_group_coverage.py)."""
    survey = simulate(Setting(0.3, sensitivity=1.0, specificity=1.0, respondents=50), np.random.default_rng(1))
    flagged = survey.answers.groupby("respondent_id")["theme"].max().astype(bool)
    assert survey.raised.equals(flagged.rename(None).rename_axis(None)) and survey.raised.mean() == survey.truth


def test_a_perfect_classifier_leaves_the_raw_count_with_a_narrow_interval():
    survey = simulate(Setting(0.3, sensitivity=1.0, specificity=1.0, coded=400), np.random.default_rng(3))
    result = respondent_prevalence(survey.answers, survey.coded, ["theme"], options=FAST).iloc[0]
    assert result["method"] == CORRECTED_METHOD
    # not exactly the raw count: error rates measured as 0 on 400 answers could still be a fraction of a percent
    assert result["estimate"] == pytest.approx(result["percent"], abs=2.0)
    assert result["low"] <= result["percent"] <= result["high"]
    assert result["high"] - result["low"] < 16  # sampling 200 respondents at 30%: about +-6.5 points


def test_without_a_coded_sample_the_counts_are_raw_and_carry_no_interval():
    survey = simulate(Setting(0.25), np.random.default_rng(0))
    flagged = survey.answers.groupby("respondent_id")["theme"].max()
    result = respondent_prevalence(survey.answers, None, ["theme"])
    assert result.drop(columns=["low", "high"]).to_dict("records") == [{
        "category": "theme", "base_respondents": 200, "respondents": flagged.sum(),
        "percent": round(100 * flagged.mean(), 1), "estimate": round(100 * flagged.mean(), 1), "method": RAW_METHOD,
        "coded_answers": 0, "suppressed": False}]
    assert result[["low", "high"]].isna().all(axis=None)
    assert respondent_prevalence(survey.answers, survey.coded.iloc[:0], ["theme"])["method"].tolist() == [RAW_METHOD]


def test_breakdowns_suppress_groups_smaller_than_the_minimum():
    survey = simulate(Setting(0.25), np.random.default_rng(1))
    answers = survey.answers.copy()
    answers.loc[answers["respondent_id"].isin(["R0000", "R0001", "R0002"]), "group"] = "tiny"
    result = respondent_prevalence(answers, survey.coded, ["theme"], by="group", options=FAST)
    assert list(result["group"]) == ["a", "b", "tiny"]
    assert list(result["base_respondents"]) == [98, 99, 3]
    # 'tiny' alone hidden could be read off as the total less 'a' and 'b': the next smallest, 'a', goes too
    assert list(result["suppressed"]) == [True, False, True]
    # 'a' is large enough to show: its method says it is hidden to protect a smaller group, which the report names
    assert result.iloc[0]["method"] == PROTECTING_METHOD and result.iloc[2]["method"] != PROTECTING_METHOD
    for hidden in (result.iloc[0], result.iloc[2]):
        assert hidden[["respondents", "percent", "estimate", "low", "high"]].isna().all()
    assert result.iloc[1]["low"] <= result.iloc[1]["estimate"]
    answers.loc[answers["respondent_id"].isin(["R0003", "R0004"]), "group"] = "small"
    result = respondent_prevalence(answers, survey.coded, ["theme"], by="group", options=FAST)
    assert dict(zip(result["group"], result["suppressed"])) == {"a": False, "b": False, "small": True, "tiny": True}


def test_hidden_groups_in_which_everyone_raised_it_or_nobody_did_hide_the_next_group_too():
    """Two one-respondent groups hidden, but the overall count less the groups shown gave both away: 'all of the
    7 hidden respondents raised it'. The next smallest group is hidden for that theme until the hidden ones mix."""
    answers = pd.DataFrame({"respondent_id": [f"R{k}" for k in range(26)], "question": "q1",
                            "group": ["a"] * 12 + ["b"] * 12 + ["x", "y"],
                            "theme": [1] * 6 + [0] * 6 + [1] * 3 + [0] * 9 + [1, 1]})
    result = respondent_prevalence(answers, None, ["theme"], by="group", options=PrevalenceOptions(draws=10))
    assert dict(zip(result["group"], result["suppressed"])) == {"a": True, "b": False, "x": True, "y": True}
    mixed = answers.assign(theme=[1] * 6 + [0] * 6 + [1] * 3 + [0] * 9 + [1, 0])
    result = respondent_prevalence(mixed, None, ["theme"], by="group", options=PrevalenceOptions(draws=10))
    assert dict(zip(result["group"], result["suppressed"])) == {"a": False, "b": False, "x": True, "y": True}


def test_answer_level_estimates_per_question_are_near_the_truth():
    setting = Setting(0.5, coded=400)
    rng = np.random.default_rng(4)
    errors = []
    for _ in range(10):
        survey = simulate(setting, rng)
        result = question_prevalence(survey.answers, survey.coded, ["theme"], options=FAST).set_index("question")
        # each raiser's answer to q0 carries it with 0.8, plus the raisers with no answer who got one forced
        errors.append(result.loc["q0", "estimate"] - 100 * 0.5 * (0.8 + 0.2 * 0.2 * 0.9 ** 2 * 0.95 ** 4 / 8))
    assert abs(np.mean(errors)) < 2.0
    assert list(result.columns) == ["category", "base_answers", "answers", "percent", "estimate", "low", "high",
                                    "method", "coded_answers", "suppressed"]


def _typed_survey(rng: np.random.Generator, respondents: int = 200, questions: int = 8, coded: int = 300):
    """Each respondent has a true type 0-2 (none, referral, joint); their answers show it or lower types;
    the machine reads one type too low or too high a tenth of the time."""
    true_type = rng.choice(3, size=respondents, p=[0.3, 0.45, 0.25])
    answer_type = np.minimum(rng.choice(3, size=(respondents, questions), p=[0.7, 0.2, 0.1]), true_type[:, None])
    answer_type[np.arange(respondents), rng.integers(0, questions, respondents)] = true_type
    noise = rng.choice([-1, 0, 1], size=answer_type.shape, p=[0.05, 0.9, 0.05])
    machine = np.clip(answer_type + noise, 0, 2)
    names = np.array(["", "service.referral", "service.joint"])
    ids = np.repeat([f"R{i}" for i in range(respondents)], questions)
    question = np.tile([f"q{j}" for j in range(questions)], respondents)
    answers = pd.DataFrame({"respondent_id": ids, "question": question, "service": names[machine.ravel()]})
    picked = rng.choice(respondents * questions, size=coded, replace=False)
    sample = pd.DataFrame({"respondent_id": ids[picked], "question": question[picked],
                           "service": names[answer_type.ravel()[picked]]})
    truth = np.bincount(true_type, minlength=3) / respondents
    return answers, sample, truth


def test_a_respondents_type_is_the_most_integrated_one_and_is_corrected():
    rng = np.random.default_rng(5)
    estimates, truths, raws = [], [], []
    for _ in range(10):
        answers, sample, truth = _typed_survey(rng)
        result = type_prevalence(answers, sample, "service", ["service.referral", "service.joint"], options=FAST)
        assert list(result["category"]) == ["service.none", "service.referral", "service.joint"]
        assert result["estimate"].sum() == pytest.approx(100, abs=0.2)
        assert (result["low"] <= result["estimate"]).all() and (result["estimate"] <= result["high"]).all()
        estimates.append(result["estimate"].to_numpy())
        raws.append(result["percent"].to_numpy())
        truths.append(100 * truth)
    estimates, truths, raws = map(np.array, (estimates, truths, raws))
    assert np.abs(raws - truths).mean(axis=0).max() > 10  # a type read too high once in eight answers sticks
    assert np.abs((estimates - truths).mean(axis=0)).max() < 3


def test_types_without_a_coded_sample_are_the_raw_most_integrated_type():
    answers = pd.DataFrame({"respondent_id": ["A", "A", "B", "C"], "question": ["q1", "q2", "q1", "q1"],
                            "service": ["service.referral", "service.joint", "service.referral", ""]})
    result = type_prevalence(answers, None, "service", ["service.referral", "service.joint"])
    assert result[["category", "respondents", "percent", "method"]].values.tolist() == [
        ["service.none", 1, 33.3, RAW_METHOD], ["service.referral", 1, 33.3, RAW_METHOD],
        ["service.joint", 1, 33.3, RAW_METHOD]]


def test_a_category_no_coded_answer_carries_has_no_estimate_not_a_zero_width_interval():
    # The machine flags answers, the coders never saw the theme: its error rates were never measured, and a
    # bootstrap of zero positives would print "0.0 (0.0-0.0)" as if that were certain.
    survey = simulate(Setting(0.25), np.random.default_rng(2))
    coded = survey.coded.assign(theme=0)
    for result in (respondent_prevalence(survey.answers, coded, ["theme"], options=FAST),
                   respondent_prevalence(survey.answers, coded, ["theme"], by="group", options=FAST),
                   question_prevalence(survey.answers, coded, ["theme"], options=FAST)):
        assert set(result["method"]) == {UNMEASURED_METHOD}
        assert result[["estimate", "low", "high"]].isna().all(axis=None)
        assert (result["percent"].dropna() > 0).all()  # the raw share is still shown
    assert respondent_prevalence(survey.answers, survey.coded, ["theme"], options=FAST)["method"].tolist() == [
        CORRECTED_METHOD]


def _coded_without(type_id: str, instead: str, by: str | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """The typed survey's estimates where every coded answer of `type_id` reads `instead`, and each row's method."""
    answers, sample, _ = _typed_survey(np.random.default_rng(5))
    sample = sample.assign(service=sample["service"].replace(type_id, instead))
    if by:
        answers = answers.assign(**{by: np.where(answers["respondent_id"].str[-1].isin(list("01234")), "a", "b")})
    result = type_prevalence(answers, sample, "service", ["service.referral", "service.joint"], by=by, options=FAST)
    return result, dict(zip(result["category"], result["method"]))


def test_a_type_no_coded_answer_carries_is_not_estimated_while_the_others_are():
    result, methods = _coded_without("service.referral", "service.joint")
    assert methods == {"service.none": CORRECTED_METHOD, "service.referral": UNMEASURED_METHOD,
                       "service.joint": CORRECTED_METHOD}
    assert corrected(result)  # a table with one unmeasured row is still a table of corrected estimates
    assert not corrected(result.assign(method=UNMEASURED_METHOD))


def test_a_type_below_one_no_coded_answer_carries_is_not_estimated_either():
    """A type's estimate is P(it or above) less P(the next or above): with no coded answer of the next type, the
    second was fitted to nothing, and the type took in every respondent the machine put above it (partner-level
    effects read 23.5% (13.1-36.9) where 8% were flagged, from one coded answer, policy level 'not estimated')."""
    result, methods = _coded_without("service.joint", "service.referral")
    assert methods == {"service.none": CORRECTED_METHOD, "service.referral": UNMEASURED_ABOVE_METHOD,
                       "service.joint": UNMEASURED_METHOD}
    assert result.set_index("category").loc[["service.referral", "service.joint"], "estimate"].isna().all()
    by, _ = _coded_without("service.joint", "service.referral", by="group")
    assert set(by.loc[by["category"] == "service.referral", "method"]) == {UNMEASURED_ABOVE_METHOD}


def test_a_dimension_no_coded_answer_addresses_has_no_not_described_estimate_either():
    """Ten coded answers held no governance type: its types were 'not estimated' but 'not described' read 97.3%
    (93.1-100), corrected, though how the machine tells an answer that addresses governance was never measured."""
    answers, sample, _ = _typed_survey(np.random.default_rng(5))
    result = type_prevalence(answers, sample.assign(service=""), "service", ["service.referral", "service.joint"],
                             options=FAST)
    assert set(result["method"]) == {UNMEASURED_METHOD} and result["estimate"].isna().all()


def test_too_small_a_coded_sample_gives_no_estimate_and_says_how_many_are_needed():
    """On simulated surveys the 95% interval covered the truth 75% of the time from 30 coded answers, 80% from
    60, 88% from 100 (benchmarks/prevalence_coverage.md); 10 coded answers of the sample survey put trust at 94%
    (90-97%) where its coders say 65%."""
    survey = simulate(Setting(0.25, coded=60), np.random.default_rng(2))
    options = PrevalenceOptions(draws=20)
    for result in (respondent_prevalence(survey.answers, survey.coded, ["theme"], options=options),
                   question_prevalence(survey.answers, survey.coded, ["theme"], options=options)):
        assert set(result["method"]) == {"not estimated: 60 coded answers (at least 100 are needed)"}
        assert result["estimate"].isna().all() and (result["percent"].dropna() > 0).all()
    assert not corrected(respondent_prevalence(survey.answers, survey.coded, ["theme"], options=options))
    enough = simulate(Setting(0.25, coded=100), np.random.default_rng(2))
    assert respondent_prevalence(enough.answers, enough.coded, ["theme"], options=options)["method"].tolist() == [
        CORRECTED_METHOD]


def test_coded_answers_that_are_not_in_the_run_are_an_error():
    survey = simulate(Setting(0.25, coded=10), np.random.default_rng(0))
    coded = pd.concat([survey.coded, pd.DataFrame({"respondent_id": ["X"], "question": ["q0"], "theme": [1]})])
    with pytest.raises(GoldError, match=r"^Coded answer of respondent 'X', question 'q0' is not among the run's "
                                         r"usable answers \(1 such\); code a sample drawn from this run "
                                         r"\(themes sample\)\.$"):
        respondent_prevalence(survey.answers, coded, ["theme"])


def test_a_missing_column_lists_the_columns_there_are():
    survey = simulate(Setting(0.25, coded=10), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^answers has no column 'trust'\. Columns: respondent_id, question, "
                                         r"group, theme\.$"):
        respondent_prevalence(survey.answers, survey.coded, ["trust"])


def test_an_unknown_type_is_named():
    answers = pd.DataFrame({"respondent_id": ["A"], "question": ["q1"], "service": ["co-located"]})
    with pytest.raises(ValueError, match=r"^Column 'service' of answers holds 'co-located', not types of 'service'\. "
                                         r"Allowed: referral, joint, or empty for none\.$"):
        type_prevalence(answers, None, "service", ["referral", "joint"])


def test_decision_columns_split_the_runs_themes():
    frame = pd.DataFrame({"themes": ["trust;data_challenges", "", None]})
    out = decision_columns(frame, ["trust", "data_challenges", "resource_needs"])
    assert out[["trust", "data_challenges", "resource_needs"]].values.tolist() == [[1, 1, 0], [0, 0, 0], [0, 0, 0]]


def test_type_column_keeps_the_most_integrated_type_named():
    frame = pd.DataFrame({"themes": ["trust;service.joint;service.referral", "service.referral", "trust", None]})
    assert type_column(frame, ["service.referral", "service.joint"]).tolist() == [
        "service.joint", "service.referral", "", ""]


def test_run_jobs_refuses_fewer_than_one_process():
    from themes.prevalence import run_jobs

    with pytest.raises(ValueError, match="'processes' must be at least 1"):
        run_jobs([], {}, processes=0)


def test_available_processes_is_one_per_core_at_most_the_cap_and_one_in_a_daemon(monkeypatch):
    import multiprocessing
    import os

    import psutil

    from themes.prevalence import available_processes

    monkeypatch.setattr(psutil, "virtual_memory", lambda: type("Memory", (), {"available": 64e9})())
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(12)), raising=False)
    assert available_processes() == 8 and available_processes(most=3) == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert available_processes() == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(4)), raising=False)
    # Half of 4 GB free holds one worker with 20,000 respondents x 500 draws (about 1.2 GB), not two.
    monkeypatch.setattr(psutil, "virtual_memory", lambda: type("Memory", (), {"available": 4e9})())
    assert available_processes(respondents=200, draws=500) == 4
    assert available_processes(respondents=20_000, draws=500) == 1
    monkeypatch.setattr(multiprocessing, "current_process", lambda: type("Worker", (), {"daemon": True})())
    assert available_processes() == 1  # a Dask worker: no children


def test_questions_hidden_together_are_widened_as_groups_are():
    """By question, the answers less the questions shown gave 0 for every theme of two small questions."""
    rows = [{"respondent_id": f"R{k}", "question": q, "theme": t}
            for k in range(30) for q, t in (("big", k % 2), ("other", k % 3 == 0)) if q == "big" or k < 29]
    rows += [{"respondent_id": f"R{k}", "question": "tiny", "theme": 0} for k in range(4)]
    rows += [{"respondent_id": f"R{k}", "question": "small", "theme": 0} for k in range(5)]
    result = question_prevalence(pd.DataFrame(rows), None, ["theme"], options=PrevalenceOptions(draws=10))
    # 'tiny' and 'small' carry it nowhere: hidden together they would read 0 by subtraction; the next goes too
    assert dict(zip(result["question"], result["suppressed"])) == {"big": False, "other": True, "tiny": True,
                                                                  "small": True}


def test_a_theme_nobody_or_everybody_raised_hides_no_group_of_its_own():
    """Widening the hidden groups until they mix raisers and others can never end for a theme nobody raised: it
    hid every group, and with every theme's groups hidden together, every breakdown of the run went empty."""
    sizes = {"A": 30, "B": 20, "C": 5, "D": 4}
    rows = []
    for group, size in sizes.items():
        for k in range(size):
            for q in ("q0", "q1"):
                rows.append({"respondent_id": f"{group}{k}", "question": q, "type": group,
                             "never": 0, "always": int(q == "q0"), "some": int(k % 2 == 0 and q == "q1")})
    result = respondent_prevalence(pd.DataFrame(rows), None, ["never", "always", "some"], by="type",
                                   options=PrevalenceOptions(draws=10))
    hidden = {(c, g) for c, g, s in zip(result["category"], result["type"], result["suppressed"]) if s}
    # C and D are under the minimum size; one of them would not be hidden alone, so both: nothing more
    assert hidden == {(c, g) for c in ("never", "always", "some") for g in ("C", "D")}


def test_a_question_the_coded_sample_never_reached_has_no_estimate():
    """A sample coded for some questions only printed intervals for every question, the others' error rates
    standing in for the ones never measured."""
    from themes.prevalence import UNCODED_QUESTION_METHOD

    survey = simulate(Setting(0.5, coded=400), np.random.default_rng(4))
    coded = survey.coded[survey.coded["question"] != "q0"]
    result = question_prevalence(survey.answers, coded, ["theme"], options=FAST).set_index("question")
    assert result.loc["q0", "method"] == UNCODED_QUESTION_METHOD and np.isnan(result.loc["q0", "estimate"])
    assert result.loc["q0", "coded_answers"] == 0 and result.loc["q0", "percent"] > 0  # the raw share stays
    assert (result.drop(index="q0")["method"] == CORRECTED_METHOD).all()

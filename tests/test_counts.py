"""Counts joined with their corrected estimates: raw without a coded sample, intervals with one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from themes.aggregate import framework_counts, theme_counts
from themes.counts import coded_table, estimate, model_table, type_question_counts, with_theme_estimates, \
    with_type_estimates
from themes.prevalence import CORRECTED_METHOD, RAW_METHOD, UNMEASURED_METHOD, PrevalenceOptions

OPTIONS = PrevalenceOptions(draws=50, min_n=3, min_coded=1)  # the mechanics, on a small coded sample


@pytest.fixture
def answers() -> pd.DataFrame:
    """12 respondents x 2 questions; trust flagged on q1 for the first six, service types here and there."""
    rows = []
    for r in range(12):
        group = "A" if r < 8 else "B"
        rows.append({"respondent_id": f"R{r}", "question": "q1", "org_type": group, "status": "coded" if r < 6 else
                     "uncoded", "themes": "trust" if r < 6 else ""})
        rows.append({"respondent_id": f"R{r}", "question": "q2", "org_type": group, "status": "coded",
                     "themes": "service.joint" if r % 3 == 0 else "funding;service.referral"})
    return pd.DataFrame(rows)


@pytest.fixture
def coded() -> pd.DataFrame:
    keys = [(f"R{r}", q) for r in range(8) for q in ("q1", "q2")]
    # q2 carries a service type as the machine mostly gives one: a type no coded answer carries has no estimate,
    # and neither has "not described" where no coded answer addresses the dimension.
    gold = [["trust"] if (q == "q1" and int(r[1:]) < 4) else
            ["funding"] + (["service.referral"] if int(r[1:]) % 2 == 0 else []) if (q == "q2" and int(r[1:]) % 3)
            else ["service.joint"] if q == "q2" else [] for r, q in keys]
    return pd.DataFrame({"respondent_id": [k[0] for k in keys], "question": [k[1] for k in keys], "gold": gold})


def test_the_model_table_has_a_decision_per_theme_and_a_type_per_dimension(answers, tiny_codebook):
    table = model_table(answers, tiny_codebook, ["org_type"])
    assert list(table.columns) == ["respondent_id", "question", "org_type", "trust", "funding", "service"]
    assert table["trust"].sum() == 6
    assert set(table["service"]) == {"", "service.joint", "service.referral"}  # "": not addressed
    coded = coded_table(pd.DataFrame({"respondent_id": ["R1"], "question": ["q2"], "gold": [["service.joint"]]}),
                        tiny_codebook)
    assert coded.loc[0, "service"] == "service.joint" and coded.loc[0, "trust"] == 0


def test_without_a_coded_sample_the_counts_are_raw_and_carry_no_interval(answers, tiny_codebook):
    estimates = estimate(answers, tiny_codebook, None, ["org_type"], OPTIONS)
    counts = with_theme_estimates(theme_counts(answers, tiny_codebook), estimates.themes)
    assert set(counts["method"]) == {RAW_METHOD} and not estimates.corrected
    assert counts["estimate"].tolist() == counts["percent"].tolist()
    assert counts[["low", "high"]].isna().all().all()


def test_with_a_coded_sample_each_count_gets_an_estimate_inside_its_interval(answers, coded, tiny_codebook):
    estimates = estimate(answers, tiny_codebook, coded, ["org_type"], OPTIONS)
    assert estimates.corrected
    counts = with_theme_estimates(theme_counts(answers, tiny_codebook), estimates.themes)
    assert (counts["low"] <= counts["estimate"]).all() and (counts["estimate"] <= counts["high"]).all()
    assert (counts["coded_answers"] == 16).all()
    types = with_type_estimates(framework_counts(answers, tiny_codebook), estimates.types)
    assert list(types["type"]) == ["referral", "joint", "not_described"]
    assert types["estimate"].sum() == pytest.approx(100, abs=0.5)  # one type (or none) per respondent


def test_groups_below_the_minimum_are_suppressed_in_breakdowns(answers, coded, tiny_codebook):
    options = PrevalenceOptions(draws=50, min_n=5, min_coded=1)
    estimates = estimate(answers, tiny_codebook, coded, ["org_type"], options)
    by = with_theme_estimates(theme_counts(answers, tiny_codebook, by="org_type"), estimates.themes_by["org_type"],
                              by="org_type")
    small = by[by["org_type"] == "B"]  # 4 respondents
    assert small["suppressed"].all() and small[["respondents", "percent", "estimate"]].isna().all().all()
    assert small["base_respondents"].isna().all()  # its size too: with the sizes shown it narrows down who
    from themes.counts import SUPPRESSED_METHOD

    assert (small["method"] == SUPPRESSED_METHOD).all()  # no figure, so no method of making one
    # With two groups the other would give the small one away (the total less it shown): it is hidden too
    assert by.loc[by["org_type"] == "A", "suppressed"].all()
    assert np.isfinite(with_theme_estimates(theme_counts(answers, tiny_codebook), estimates.themes)["estimate"]).all()


def test_a_theme_the_coded_sample_never_carries_shows_its_raw_count_and_no_estimate(answers, coded, tiny_codebook):
    without_funding = coded.assign(gold=[[c for c in codes if c != "funding"] for codes in coded["gold"]])
    estimates = estimate(answers, tiny_codebook, without_funding, [], OPTIONS)
    counts = with_theme_estimates(theme_counts(answers, tiny_codebook), estimates.themes).set_index("theme")
    assert counts.loc["trust", "method"] == CORRECTED_METHOD
    assert counts.loc["funding", "method"] == UNMEASURED_METHOD
    assert counts.loc["funding", ["estimate", "low", "high"]].isna().all() and counts.loc["funding", "respondents"] > 0
    assert estimates.corrected


def test_framework_types_are_estimated_by_question_at_the_answer_level(answers, coded, tiny_codebook):
    coded = coded.assign(gold=[g + (["service.referral"] if q == "q2" and int(r[1:]) % 3 else
                                    ["service.joint"] if q == "q2" else [])
                               for g, r, q in zip(coded["gold"], coded["respondent_id"], coded["question"])])
    estimates = estimate(answers, tiny_codebook, coded, ["org_type"], OPTIONS)
    table = type_question_counts(estimates.types_by_question, tiny_codebook)
    assert list(table.columns[:7]) == ["dimension", "type", "label", "question", "base_answers", "answers", "percent"]
    assert set(zip(table["type"], table["question"])) == {(t, q) for t in ("referral", "joint") for q in ("q1", "q2")}
    q2 = table[table["question"] == "q2"].set_index("type")
    assert q2.loc["joint", "answers"] == 4 and q2.loc["referral", "answers"] == 8  # one type per answer
    assert q2.loc["referral", "label"] == "Service model: Referral"
    shown = table[~table["suppressed"] & table["method"].str.startswith("corrected")]
    assert len(shown) and ((shown["low"] <= shown["estimate"]) & (shown["estimate"] <= shown["high"])).all()
    raw = type_question_counts(estimate(answers, tiny_codebook, None, [], OPTIONS).types_by_question, tiny_codebook)
    assert set(raw["method"]) == {RAW_METHOD} and raw["low"].isna().all()


def _tables(estimates) -> list[pd.DataFrame]:
    return [estimates.themes, estimates.types, estimates.themes_by_question, estimates.types_by_question,
            *estimates.themes_by.values(), *estimates.types_by.values()]


def test_estimates_in_worker_processes_are_the_same_as_in_one(answers, coded, tiny_codebook, monkeypatch):
    import joblib

    pools = []

    class Recorded(joblib.Parallel):
        def __init__(self, n_jobs, **kwargs):
            pools.append(n_jobs)
            super().__init__(n_jobs, **kwargs)

    monkeypatch.setattr(joblib, "Parallel", Recorded)
    coded = coded.assign(gold=[g + (["service.referral"] if q == "q2" else [])
                               for g, q in zip(coded["gold"], coded["question"])])
    alone = estimate(answers, tiny_codebook, coded, ["org_type"], OPTIONS)
    assert pools == []
    shared = estimate(answers, tiny_codebook, coded, ["org_type"], OPTIONS, processes=2)
    assert pools == [2]
    for one, other in zip(_tables(alone), _tables(shared), strict=True):
        pd.testing.assert_frame_equal(one, other)
    assert alone.corrected and len(alone.types_by_question)


def test_an_error_in_a_worker_process_reaches_the_caller_as_itself(answers, coded, tiny_codebook):
    from themes.errors import GoldError

    stranger = pd.concat([coded, pd.DataFrame({"respondent_id": ["R99"], "question": ["q1"], "gold": [["trust"]]})])
    with pytest.raises(GoldError, match="respondent 'R99'"):
        estimate(answers, tiny_codebook, stranger, [], OPTIONS, processes=2)


def test_a_coded_sample_of_the_themes_only_leaves_the_framework_raw_and_says_why(answers, coded, tiny_codebook):
    """A sample coded for the themes alone (no type anywhere, no dimension column): the types are not estimated
    as if every respondent were 'not described'; they stay raw, and their method says why."""
    from themes.counts import NOT_IN_SAMPLE_METHOD

    coded.attrs.update(themes_coded=True, coded_dimensions=[])
    estimates = estimate(answers, tiny_codebook, coded, ["org_type"], OPTIONS)
    assert set(estimates.themes["method"]) <= {CORRECTED_METHOD, UNMEASURED_METHOD}
    types = with_type_estimates(framework_counts(answers, tiny_codebook), estimates.types)
    assert set(types["method"]) == {NOT_IN_SAMPLE_METHOD}
    assert (types["estimate"] == types["percent"]).all() and types[["low", "high"]].isna().all(axis=None)
    assert set(estimates.types_by_question["method"]) == {NOT_IN_SAMPLE_METHOD}
    coded.attrs.update(coded_dimensions=["service"])  # coded in the sample: estimated as before
    assert CORRECTED_METHOD in set(estimate(answers, tiny_codebook, coded, [], OPTIONS).types["method"])


def test_a_group_hidden_for_one_theme_or_type_is_hidden_for_all_of_them():
    """Government hidden for community engagement alone said that the small groups all raised it (Government = 15
    by subtraction); its risk-sharing cell hidden alone was its base less the types shown (19 - 9 - 7 - 2 = 1)."""
    from themes.counts import _whole_groups

    from themes.prevalence import CORRECTED_METHOD, PROTECTING_METHOD

    themes = pd.DataFrame({"category": ["trust", "trust", "engagement", "engagement"], "org": ["Gov", "CBO"] * 2,
                           "base_respondents": [19, 142] * 2, "respondents": [12, 102, pd.NA, 140],
                           "estimate": [60.0, 70.0, float("nan"), 98.0], "suppressed": [False, False, True, False],
                           "method": [CORRECTED_METHOD] * 2 + [PROTECTING_METHOD, CORRECTED_METHOD]})
    out = _whole_groups(themes, "org")
    assert out["suppressed"].tolist() == [True, False, True, False]
    assert out.loc[0, ["respondents", "estimate"]].isna().all()
    assert out["method"].tolist() == [PROTECTING_METHOD, CORRECTED_METHOD, PROTECTING_METHOD, CORRECTED_METHOD]
    # a question keeps its own wording (counts.SUPPRESSED_QUESTION_METHOD, given as its figures are blanked)
    questions = themes.rename(columns={"org": "question"}).assign(method=CORRECTED_METHOD)
    assert _whole_groups(questions, "question")["method"].tolist() == [CORRECTED_METHOD] * 4
    types = pd.DataFrame({"category": ["fin.none", "fin.risk", "data.none", "data.full"], "org": ["Gov"] * 4,
                          "base_respondents": [19] * 4, "respondents": [9, pd.NA, 10, 9],
                          "suppressed": [False, True, False, False]})
    assert _whole_groups(types, "org")["suppressed"].tolist() == [True, True, False, False]  # its dimension only


def test_a_row_that_leaves_the_framework_for_later_counts_for_the_themes_only(answers, coded, tiny_codebook):
    """A coded sample whose framework cells are empty on half its rows: each part is estimated on the rows that
    code it. Read as coded, the empty cells said "not addressed" (a reviewer's 'not described' went 12% -> 50%);
    left out, the rows' finished theme codes were lost."""
    later = coded.assign(uncoded=[("service",) if int(r[1:]) >= 4 else () for r in coded["respondent_id"]])
    partly = estimate(answers, tiny_codebook, later, [], OPTIONS)
    # The themes: every row, as if the sample were complete.
    whole = estimate(answers, tiny_codebook, coded, [], OPTIONS)
    pd.testing.assert_frame_equal(partly.themes, whole.themes)
    # The framework: only the rows that code it, the same as a sample of those rows alone.
    first_rows = coded[coded["respondent_id"].map(lambda r: int(r[1:]) < 4)].reset_index(drop=True)
    alone = estimate(answers, tiny_codebook, first_rows, [], OPTIONS)
    pd.testing.assert_frame_equal(partly.types, alone.types)
    assert set(partly.types["coded_answers"]) == {len(first_rows)}
    assert not partly.types.equals(whole.types)


def test_the_groups_a_themes_breakdown_hides_are_listed_per_theme_and_column():
    """The quotes' attributions leave them out (quotes.select_quotes): a risk-sharing respondent's quote read 'Nonprofit
    CBO respondent' where the report hid that column's share of the type."""
    from themes.counts import Estimates, hidden_groups

    themes_by = {"org_type": pd.DataFrame({"category": ["trust", "trust", "funding"],
                                           "org_type": ["CBO", "Tribe", "CBO"], "suppressed": [False, True, False]})}
    types_by = {"org_type": pd.DataFrame({"category": ["fin.risk", "fin.grants"], "org_type": ["CBO", "CBO"],
                                          "suppressed": [True, True]}),
                "state": pd.DataFrame({"category": ["fin.risk"], "state": ["OH"], "suppressed": [False]})}
    estimates = Estimates(themes=pd.DataFrame(), themes_by=themes_by, types=pd.DataFrame(), types_by=types_by,
                          themes_by_question=pd.DataFrame())
    assert hidden_groups(estimates) == {"trust": {"org_type": {"Tribe"}}, "fin.risk": {"org_type": {"CBO"}},
                                        "fin.grants": {"org_type": {"CBO"}}}

"""How many respondents raised each theme, corrected for the classifier's measured errors, with intervals.

Pure functions over in-memory tables; no file I/O, no Prefect.

Inputs
------
`answers`: one row per usable answer of a run (statuses coded, uncoded, too_long), with
`respondent_id`, `question`, any metadata columns, and per category a column named by its id holding
the machine's decision: 0/1 for a theme; for a dimension (`type_prevalence`), a column named by the
dimension id holding the machine's type id ("" for none).

`coded`: a random sample of those answers coded by people (`themes sample`), with `respondent_id`,
`question` and the human codes in the same columns and form. The machine's decisions on them are
looked up in `answers`; when the classifier learned from these very answers (`themes calibrate`), pass
its out-of-fold decisions as `machine_<id>` columns instead, or the error rates look better than they
are. A coded answer that is not among `answers` raises GoldError. None (or an empty frame) means no
coded sample: raw counts, method "raw (no coded sample)", and no interval. A category that no coded
answer carries has no estimate (method "not estimated: ..."): its error rates were never measured.

Method
------
Counting respondents with at least one flagged answer adds up false positives over a respondent's
answers (eight answers with a 5% false-positive rate flag a third of respondents who never raised
the theme). Treating each answer's truth as independent given the machine's decisions (1 - prod(1 - PPV
or false-omission rate)) does not fix it: a respondent's answers are not independent (who raises a
theme often raises it twice), and simulation shows that estimator 2-10 points too high. Adjusted
classify-and-count (Forman 2008) and the other quantifiers of QuaPy estimate prevalence at the unit that
was classified and coded (answers); a respondent-level count from answer-level codes needs a model of
how a respondent's answers hang together.

So each category is a two-class latent class model (Lazarsfeld and Henry 1968; Hui and Walter 1980
for diagnostic error without a gold standard on every unit): a respondent raised the theme with
probability pi (one pi per group when estimating by a metadata column); if so, their answer to
question q carries it with probability rho_q, independently; if not, none of their answers does.
Given the truth, the machine flags an answer with sensitivity se_q and false-positive rate 1 - sp_q.
The coded answers enter the likelihood with their truth known, so they pin the error rates; the
machine's flags on every answer, and how they cluster within respondents, pin pi and rho. se_q and
sp_q are shrunk toward the rates pooled over questions (`shrinkage` pseudo-answers), so a question
with few coded answers borrows from the others. Fitted by EM (Dempster, Laird and Rubin 1977), sped up
by SQUAREM (Varadhan and Roland 2008), on many bootstrap replicates at once.

The estimate is the mean over respondents of P(respondent raised it | their answers' flags and codes);
per question it is the mean over answers of P(answer carries it | ...). The interval is the percentile
interval of a cluster bootstrap that resamples respondents with their answers and their coded answers
(Efron and Tibshirani 1993, ch. 13; two-phase sampling), refitting the whole model each time, so it
carries the survey's sampling and the uncertainty of error rates measured on a finite coded sample.
Dimensions (a respondent's type is the most integrated type across their answers) use the same model
on "type at least t" for each t: P(type = t) = P(at least t) - P(at least t + 1).

Assumptions an evaluator should know: the coded sample is a random sample of usable answers (it may be
stratified by question, metadata or score: selection on observed columns leaves the likelihood valid);
given whether a respondent raised the theme, their answers carry it independently, and the machine's
errors are independent across answers given the truth. `benchmarks/prevalence_coverage.md` measures
bias and coverage on simulated surveys, including ones that break the second assumption.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from themes.errors import GoldError

RAW_METHOD = "raw (no coded sample)"
CORRECTED_METHOD = "corrected for measured error (latent class model, bootstrap)"
# No coded answer carries the category: its error rates cannot be measured, so there is no estimate
# (a bootstrap of zero positives gives a 0-0 "interval" that claims a certainty nobody has).
UNMEASURED_METHOD = "not estimated: no coded answer carries it"
# A question the coded sample holds no answer of: its error rates would be the other questions' alone (a sample
# coded for two questions of eight printed intervals for all eight).
UNCODED_QUESTION_METHOD = "not estimated: no coded answer of this question"
# A framework type is P(this type or above) less P(the next type or above): where no coded answer carries the next
# type or any above it, the second has no measured error rates, and the difference would take in every respondent
# the machine put above (a type flagged for 8% of respondents read 23.5% from one coded answer).
UNMEASURED_ABOVE_METHOD = "not estimated: no coded answer carries a more integrated type, which its estimate needs"
# Below this, the error rates rest on a handful of coded answers and the intervals claim more than they hold: on
# simulated surveys (three settings, 30 surveys each) the 95% interval covered the truth 75% of the time with 30
# coded answers, 80% with 60, 88% with 100, 96% with 300; 10 coded answers of the sample survey gave trust 94%
# (90-97%) where its coders' full coding says 65%.
MIN_CODED_ANSWERS = 100  # PrevalenceOptions.min_coded's default
MACHINE_PREFIX = "machine_"


def unmeasured(n_coded: int, positives: int, min_coded: int | None = None) -> str | None:
    """Why a category with a coded sample has no estimate (its method), or None when it has one; a run without
    a coded sample (n_coded 0) is raw, not this."""
    min_coded = MIN_CODED_ANSWERS if min_coded is None else min_coded
    if not n_coded:
        return None
    if n_coded < min_coded:  # the first reason: more coded answers, and then perhaps some that carry it
        return f"not estimated: {n_coded} coded answers (at least {min_coded} are needed)"
    if not positives:
        return UNMEASURED_METHOD
    return None


def too_few_coded(methods) -> tuple[int, int] | None:
    """(coded answers, the minimum) when counts are not estimated because the coded sample is too small."""
    for method in methods:
        found = re.fullmatch(r"not estimated: (\d+) coded answers \(at least (\d+) are needed\)", str(method))
        if found:
            return int(found.group(1)), int(found.group(2))
    return None


def corrected(frame: pd.DataFrame | None) -> bool:
    """Whether a table of counts carries estimates corrected with a coded sample (not raw counts); a
    category the coded sample never saw is part of such a table, with no estimate."""
    if frame is None or not len(frame) or "method" not in frame:
        return False
    methods = frame["method"].astype(str)
    made = methods.str.startswith(CORRECTED_METHOD)  # "...; rough: only 1 coded answer carries it" too
    return bool((made | methods.str.startswith(("not estimated", "suppressed"))).all() and made.any())
KEYS = ["respondent_id", "question"]
# An answer's state: not coded (machine 0, 1), or coded (machine, human) = (0,0), (0,1), (1,0), (1,1).
_STATES = 6
_FLAGGED = [1, 4, 5]
_TINY = 1e-300
_EPS = 1e-6
# Pseudo-answers for rho (and, at 1, for the pooled error rates): they keep the fit off 0 and 1. Half an
# answer for rho pulled a rare theme's rho up and its estimate down by more than a point; simulated.
_RHO_PRIOR = 0.05


@dataclass(frozen=True)
class PrevalenceOptions:
    """Settings of the correction; every default is written here once."""

    draws: int = 1000  # bootstrap replicates
    level: float = 0.95
    min_n: int = 10  # groups with fewer respondents (or answers, per question) are suppressed
    min_coded: int | None = None  # fewer coded answers: no estimate; None: MIN_CODED_ANSWERS
    shrinkage: float = 10.0  # pseudo-answers pulling a question's error rates to the pooled ones
    seed: int = 0
    tolerance: float = 1e-5  # EM stops when the mean estimate moves less than this (a proportion)
    max_iterations: int = 2000

    def __post_init__(self) -> None:
        if not 0 < self.level < 1:
            raise ValueError(f"The 'level' of the interval must be in (0, 1). Got {self.level:g} instead.")
        if self.draws < 10:
            raise ValueError(f"'draws' must be at least 10. Got {self.draws} instead.")


# ---------------------------------------------------------------------------------------------------
# Public functions


def respondent_prevalence(answers: pd.DataFrame, coded: pd.DataFrame | None, categories: Sequence[str], *,
                          by: str | None = None, options: PrevalenceOptions = PrevalenceOptions()) -> pd.DataFrame:
    """Share of respondents who raised each category (a respondent raised it if any answer carries it),
    overall or per value of the metadata column `by`, raw and corrected, in percent.

    Columns: category, [by], base_respondents, respondents, percent, estimate, low, high, method,
    coded_answers, suppressed. Suppressed groups (fewer than `min_n` respondents) show no figures.
    """
    _require(answers, [*KEYS, *categories] + ([by] if by else []), "answers")
    coded = _coded_or_none(coded, categories)
    rows = []
    for category in categories:
        data = _Data.build(answers, coded, category, lambda v: v.astype(float) > 0, by)
        rows += _respondent_rows(data, category, by, options)
    return _finish(pd.DataFrame(rows), by, options)


def question_prevalence(answers: pd.DataFrame, coded: pd.DataFrame | None, categories: Sequence[str], *,
                        options: PrevalenceOptions = PrevalenceOptions()) -> pd.DataFrame:
    """Share of answers to each question that carry each category, raw and corrected, in percent.

    Columns: category, question, base_answers, answers, percent, estimate, low, high, method,
    coded_answers, suppressed (fewer than `min_n` answers).
    """
    _require(answers, [*KEYS, *categories], "answers")
    coded = _coded_or_none(coded, categories)
    rows = []
    for category in categories:
        data = _Data.build(answers, coded, category, lambda v: v.astype(float) > 0, None)
        rows += _question_rows(data, category, options)
    frame = pd.DataFrame(rows)
    small = _not_all_or_none(frame, _too_small(frame, "question", "base_answers", options.min_n), "question",
                             "answers", "base_answers")
    return _suppress(frame, small, ["answers", "percent"])


def type_prevalence(answers: pd.DataFrame, coded: pd.DataFrame | None, dimension: str, types: Sequence[str], *,
                    by: str | None = None, options: PrevalenceOptions = PrevalenceOptions()) -> pd.DataFrame:
    """Share of respondents whose type on `dimension` is each of `types` (ordered least to most
    integrated; a respondent's type is the most integrated one across their answers), plus
    `<dimension>.none` for respondents with none. Columns as `respondent_prevalence`.

    The dimension's column holds a type id from `types` (or "" / NaN for none) in `answers` and `coded`.
    """
    _require(answers, [*KEYS, dimension] + ([by] if by else []), "answers")
    coded = _coded_or_none(coded, [dimension])
    rank = {t: k + 1 for k, t in enumerate(types)}
    for frame, name in ((answers, "answers"), (coded, "coded")):
        if frame is not None:
            for column in [c for c in (dimension, MACHINE_PREFIX + dimension) if c in frame.columns]:
                unknown = sorted(set(frame[column].fillna("").astype(str)) - set(rank) - {""})
                if unknown:
                    raise ValueError(f"Column '{column}' of {name} holds {', '.join(map(repr, unknown))}, not types "
                                     f"of '{dimension}'. Allowed: {', '.join(types)}, or empty for none.")
    levels = [_Data.build(answers, coded, dimension, lambda v, k=k: v.fillna("").astype(str).map(rank)
                          .fillna(0).to_numpy() >= k, by) for k in range(1, len(types) + 1)]
    data = levels[0]
    # P(type >= k) per respondent for k = 1..K, forced non-increasing in k (each k is fitted on its own).
    raw = np.minimum.accumulate(np.stack([d.raw.astype(float) for d in levels]), axis=0)
    point = draws = weights = None
    if data.n_coded:
        weights = _bootstrap_weights(len(data.raw), options)
        fits = [_respondent_draws(d, weights, options) for d in levels]
        point = np.minimum.accumulate(np.stack([f[0] for f in fits]), axis=0)
        draws = np.minimum.accumulate(np.stack([f[1] for f in fits]), axis=0)

    def share(at_least, k):  # P(type = k) from P(type >= k); k = 0 is "none"
        upper = at_least[k - 1] if k else 1 - 0 * at_least[0]
        return upper - at_least[k] if k < len(at_least) else upper

    at_least = [data.n_coded] + [d.n_positive for d in levels] + [0]  # coded answers of type >= k
    rows = []
    for k, type_id in enumerate([f"{dimension}.none", *types]):  # types as given: the codebook's ids
        # "Not described" rests on how well the machine tells answers that address the dimension: it needs coded
        # answers that do, as a type needs coded answers of it.
        rows += _group_rows(data, type_id, by, share(raw, k), None if point is None else share(point, k),
                            None if draws is None else share(draws, k), weights, options,
                            positives=at_least[k] - at_least[k + 1] if k else at_least[1],
                why=UNMEASURED_ABOVE_METHOD if 0 < k < len(types) and not at_least[k + 1] else None)
    return _finish(pd.DataFrame(rows), by, options)


def decision_columns(frame: pd.DataFrame, ids: Sequence[str], column: str = "themes") -> pd.DataFrame:
    """`frame` with a 0/1 column per id from a ';'-joined column of ids (the run's `themes`)."""
    sets = frame[column].fillna("").astype(str).str.split(";").map(lambda items: {i.strip() for i in items})
    out = frame.copy()
    for category in ids:
        out[category] = sets.map(lambda s, c=category: int(c in s))
    return out


def type_column(frame: pd.DataFrame, types: Sequence[str], column: str = "themes") -> pd.Series:
    """The type of a dimension each row carries, from a ';'-joined column of ids: the most integrated of
    `types` (ordered least to most) named there, or "" for none."""
    rank = {t: k for k, t in enumerate(types)}

    def most(value) -> str:
        named = [i.strip() for i in str(value if value == value else "").split(";") if i.strip() in rank]
        return max(named, key=rank.__getitem__) if named else ""

    return frame[column].map(most)


# ---------------------------------------------------------------------------------------------------
# Building the model's data


@dataclass
class _Data:
    counts: np.ndarray  # (R, Q * states): answers of each respondent per question and state
    raw: np.ndarray  # (R,) bool: at least one answer flagged
    group: np.ndarray  # (R,) int
    groups: list
    questions: list
    n_coded: int
    n_positive: int  # coded answers that carry the category by the coders' codes

    @classmethod
    def build(cls, answers, coded, column, decide, by) -> _Data:
        respondents, r_index = np.unique(answers["respondent_id"].astype(str), return_inverse=True)
        questions, q_index = np.unique(answers["question"].astype(str), return_inverse=True)
        machine = np.asarray(decide(answers[column]), dtype=bool)
        state = machine.astype(int)
        n_coded = n_positive = 0
        if coded is not None:
            where = _locate(answers, coded)
            human = np.asarray(decide(coded[column]), dtype=bool)
            own = MACHINE_PREFIX + column
            coded_machine = np.asarray(decide(coded[own]), dtype=bool) if own in coded.columns else machine[where]
            state[where] = 2 + 2 * coded_machine + human
            n_coded, n_positive = len(where), int(human.sum())
        counts = np.zeros((len(respondents), len(questions) * _STATES))
        np.add.at(counts, (r_index, q_index * _STATES + state), 1)
        raw = np.zeros(len(respondents), bool)
        raw[r_index[machine]] = True
        if by is None:
            groups, group = [None], np.zeros(len(respondents), int)
        else:
            first = pd.Series(answers[by].fillna("").astype(str).to_numpy()).groupby(r_index).first()
            groups, group = np.unique(first.to_numpy(), return_inverse=True)
            groups = list(groups)
        return cls(counts, raw, group, groups, list(questions), n_coded, n_positive)


def _locate(answers: pd.DataFrame, coded: pd.DataFrame) -> np.ndarray:
    """Row positions in `answers` of the coded answers; an unknown or repeated key is an error."""
    keys = pd.MultiIndex.from_frame(answers[KEYS].astype(str))
    wanted = pd.MultiIndex.from_frame(coded[KEYS].astype(str))
    if wanted.duplicated().any():
        first = wanted[wanted.duplicated()][0]
        raise GoldError(f"The coded sample holds respondent '{first[0]}', question '{first[1]}' twice; code "
                         "each answer once.")
    position = keys.get_indexer(wanted) if keys.is_unique else _first_positions(keys, wanted)
    if (position < 0).any():
        missing = wanted[position < 0][0]
        raise GoldError(f"Coded answer of respondent '{missing[0]}', question '{missing[1]}' is not among the "
                         f"run's usable answers ({int((position < 0).sum())} such); code a sample drawn "
                         "from this run (themes sample).")
    return position


def _first_positions(keys: pd.MultiIndex, wanted: pd.MultiIndex) -> np.ndarray:
    first = pd.Series(np.arange(len(keys)), index=keys).groupby(level=[0, 1]).first()
    return first.reindex(wanted).fillna(-1).astype(int).to_numpy()


def _coded_or_none(coded: pd.DataFrame | None, columns: Sequence[str]) -> pd.DataFrame | None:
    if coded is None or len(coded) == 0:
        return None
    _require(coded, [*KEYS, *columns], "coded")
    return coded


def _require(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} has no column {', '.join(map(repr, missing))}. Columns: "
                         f"{', '.join(map(str, frame.columns))}.")


# ---------------------------------------------------------------------------------------------------
# The latent class model, fitted by EM on many weightings (bootstrap replicates) at once


# Rows: the four (truth, flag) combinations of an answer; columns: its states (see _STATES).
_NOT_RAISED = np.array([[1, 0, 1, 0, 0, 0], [0, 1, 0, 0, 1, 0]], float)  # passed, flagged
_RAISED = np.array([[1, 0, 0, 1, 0, 0], [0, 1, 0, 0, 0, 1], [1, 0, 1, 0, 0, 0], [0, 1, 0, 0, 1, 0]], float)
_CARRIED = np.array([0, 0, 0, 1, 0, 1], float)  # coded states where the human says it carries the theme


def _tables(rho, se, sp):
    """Per question and state: P(state | not raised), P(state | raised), P(answer carries it | raised, state)."""
    missed, caught = rho * (1 - se), rho * se
    f0 = np.stack([sp, 1 - sp], axis=-1) @ _NOT_RAISED
    f1 = np.stack([missed, caught, (1 - rho) * sp, (1 - rho) * (1 - sp)], axis=-1) @ _RAISED
    carries = np.broadcast_to(_CARRIED, f1.shape).copy()
    carries[..., 0] = missed / f1[..., 0]
    carries[..., 1] = caught / f1[..., 1]
    return f0, f1, carries


def _fit(counts: np.ndarray, weights: np.ndarray, group: np.ndarray, n_groups: int, options: PrevalenceOptions,
         start: tuple | None = None):
    """EM for every row of `weights` (B, R). Returns P(raised the theme) per respondent (B, R), P(raised)
    in the latent sense and P(answer carries it | raised, state) for answer-level estimates, and the
    parameters of the first row (to start the bootstrap replicates from)."""
    from scipy.sparse import csr_array
    from scipy.special import expit
    from threadpoolctl import threadpool_limits

    n_respondents = counts.shape[0]
    n_questions = counts.shape[1] // _STATES
    b = weights.shape[0]
    onehot = np.zeros((n_respondents, n_groups))
    onehot[np.arange(n_respondents), group] = 1
    # Each respondent answers each question once or so: the counts are sparse, and sparse products are
    # several times faster than dense ones here.
    by_respondent, by_column = csr_array(counts), csr_array(np.ascontiguousarray(counts.T))
    if start is None:
        per_state = counts.reshape(n_respondents, n_questions, _STATES)
        flagged = per_state[:, :, _FLAGGED].sum(-1)
        pi0 = float(np.clip((flagged.sum(1) > 0).mean(), 0.05, 0.95))
        rate = flagged.sum(0) / np.maximum(per_state.sum((0, 2)), 1)
        start = (np.full(n_groups, pi0), np.clip(rate / pi0, 0.02, 0.9), np.full(n_questions, 0.8),
                 np.full(n_questions, 0.95))
    sizes = np.cumsum([0, n_groups, n_questions, n_questions, n_questions])
    theta = np.tile(np.concatenate([np.asarray(x, float) for x in start]), (b, 1))  # pi, rho, se, sp per row
    by_state = (by_column @ weights.T).T.reshape(b, n_questions, _STATES)  # answers per state, either class
    by_group = weights @ onehot

    def em_step(theta, rows, w, likelihood=True):
        """One EM step for replicates `rows` (their weights `w`): new parameters, the log-likelihood (when
        asked for) and E-step of the old ones."""
        pi, rho, se, sp = (theta[:, sizes[k]:sizes[k + 1]] for k in range(4))
        f0, f1, carries = _tables(rho, se, sp)
        log0 = (by_respondent @ np.log(np.maximum(f0, _TINY)).reshape(len(rows), -1).T).T + np.log1p(-pi) @ onehot.T
        log1 = (by_respondent @ np.log(np.maximum(f1, _TINY)).reshape(len(rows), -1).T).T + np.log(pi) @ onehot.T
        raised = expit(log1 - log0)
        loglik = (w * np.logaddexp(log0, log1)).sum(1) if likelihood else None
        w1 = w * raised
        class1 = (by_column @ w1.T).T.reshape(len(rows), n_questions, _STATES)
        new = _m_step(class1, by_state[rows] - class1, w1 @ onehot, by_group[rows], carries, options.shrinkage)
        return new, loglik, raised, carries

    # EM crawls along the ridge where fewer raisers who mention the theme more often fit as well; SQUAREM
    # (Varadhan and Roland 2008) extrapolates two steps at a time, falling back to plain EM when that lowers
    # the likelihood. Replicates that have settled stop taking steps.
    last = np.full(b, np.inf)
    active = np.arange(b)
    totals = weights.sum(1)
    with threadpool_limits(limits=1, user_api="blas"):  # threads fight over a shared machine for small products
        for _ in range(options.max_iterations):
            w = weights[active]
            theta1, _, _, _ = em_step(theta[active], active, w, likelihood=False)
            theta2, loglik1, _, _ = em_step(theta1, active, w)
            step, curve = theta1 - theta[active], theta2 - 2 * theta1 + theta[active]
            alpha = -np.sqrt((step ** 2).sum(1) / np.maximum((curve ** 2).sum(1), 1e-300))
            alpha = np.minimum(alpha, -1.0)[:, None]
            jumped = np.clip(theta[active] - 2 * alpha * step + alpha ** 2 * curve, _EPS, 1 - _EPS)
            theta3, loglik3, raised, _ = em_step(jumped, active, w)
            theta[active] = np.where((loglik3 >= loglik1)[:, None], theta3, theta2)
            mean = (w * raised).sum(1) / totals[active]
            moving = np.abs(mean - last[active]) >= options.tolerance
            last[active] = mean
            active = active[moving]
            if not len(active):
                break
        everyone = np.arange(b)
        _, _, raised, carries = em_step(theta, everyone, weights, likelihood=False)
        none_carry = (by_respondent @ np.log(np.maximum(1 - carries, _TINY)).reshape(b, -1).T).T
    return raised * (1 - np.exp(none_carry)), raised, carries, tuple(theta[0, sizes[k]:sizes[k + 1]]
                                                                      for k in range(4))


def _m_step(class1, class0, raised_by_group, by_group, carries, shrinkage):
    """Expected counts -> parameters; a question's error rates shrunk toward the pooled ones."""
    carried = class1 * carries
    clear = class1 * (1 - carries) + class0
    pi = raised_by_group / np.maximum(by_group, 1e-12)
    rho = (carried.sum(-1) + _RHO_PRIOR) / (class1.sum(-1) + 2 * _RHO_PRIOR)
    caught, positives = carried[..., 1] + carried[..., 5], carried.sum(-1)
    passed, negatives = clear[..., 0] + clear[..., 2], clear.sum(-1)
    se_pooled = (caught.sum(-1, keepdims=True) + 1) / (positives.sum(-1, keepdims=True) + 2)
    sp_pooled = (passed.sum(-1, keepdims=True) + 1) / (negatives.sum(-1, keepdims=True) + 2)
    se = (caught + shrinkage * se_pooled) / (positives + shrinkage)
    sp = (passed + shrinkage * sp_pooled) / (negatives + shrinkage)
    return np.clip(np.concatenate([pi, rho, se, sp], axis=1), _EPS, 1 - _EPS)


def _exact(options: PrevalenceOptions) -> PrevalenceOptions:
    """The point estimate is one fit, not hundreds: let it settle ten times closer."""
    return replace(options, tolerance=options.tolerance / 10)


def _bootstrap_weights(n: int, options: PrevalenceOptions) -> np.ndarray:
    """Replicate weights (B, R): how often each respondent is drawn. The same for every category of a
    call, so the replicates are whole re-drawn surveys."""
    rng = np.random.default_rng(options.seed)
    return rng.multinomial(n, np.full(n, 1 / n), size=options.draws).astype(float)


def _respondent_draws(data: _Data, weights: np.ndarray, options: PrevalenceOptions):
    """P(raised) per respondent: the point fit (R,) and each bootstrap replicate's fit (B, R)."""
    n = len(data.raw)
    point, _, _, start = _fit(data.counts, np.ones((1, n)), data.group, len(data.groups), _exact(options))
    draws, _, _, _ = _fit(data.counts, weights, data.group, len(data.groups), options, start)
    return point[0], draws


# ---------------------------------------------------------------------------------------------------
# Rows of the output


def _respondent_rows(data: _Data, category: str, by: str | None, options: PrevalenceOptions) -> list[dict]:
    raw = data.raw.astype(float)
    if data.n_coded == 0 or unmeasured(data.n_coded, data.n_positive, options.min_coded):
        return _group_rows(data, category, by, raw, None, None, None, options)
    weights = _bootstrap_weights(len(raw), options)
    point, draws = _respondent_draws(data, weights, options)
    return _group_rows(data, category, by, raw, point, draws, weights, options)


def _group_rows(data: _Data, category: str, by: str | None, raw: np.ndarray, point: np.ndarray | None,
                draws: np.ndarray | None, weights: np.ndarray | None, options: PrevalenceOptions,
                positives: int | None = None, why: str | None = None) -> list[dict]:
    """One row per group. `positives`: coded answers carrying the category (default: the data's). `why`: another
    reason there is no estimate, where the coded sample's size and the category's own coded answers give none."""
    why = unmeasured(data.n_coded, data.n_positive if positives is None else positives, options.min_coded) or (
        why if data.n_coded else None)
    rows = []
    for g, value in enumerate(data.groups):
        mine = data.group == g
        row = {"category": category, **({by: value} if by else {}), "base_respondents": int(mine.sum()),
               "respondents": int(round(raw[mine].sum())), "percent": _pct(raw[mine].mean())}
        if why:
            row |= {"estimate": np.nan, "low": np.nan, "high": np.nan, "method": why}
        elif point is None:
            row |= {"estimate": row["percent"], "low": np.nan, "high": np.nan, "method": RAW_METHOD}
        else:
            low, high = _interval(draws[:, mine], weights[:, mine], options.level)
            low, high = _at_least_sampling(low, high, float(point[mine].mean()), int(mine.sum()), options.level)
            row |= {"estimate": _pct(point[mine].mean()), "low": low, "high": high, "method": CORRECTED_METHOD}
        rows.append(row | {"coded_answers": data.n_coded})
    return rows


def _at_least_sampling(low: float, high: float, share: float, n: int, level: float) -> tuple[float, float]:
    """The interval widened, where it is narrower, to the Wilson score interval of `share` among `n`: the
    percentile bootstrap collapses at 0% and 100% (every replicate of a group whose 28 respondents all raised
    a theme says 100%), yet 28 respondents cannot show a share closer than that (Wilson 1927)."""
    from statistics import NormalDist

    if not n or share != share or low != low:
        return low, high
    z = NormalDist().inv_cdf((1 + level) / 2)
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return min(low, _pct(max(centre - half, 0.0))), max(high, _pct(min(centre + half, 1.0)))


def _interval(draws: np.ndarray, weights: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval of the replicates' weighted means (replicates that drew nobody are skipped)."""
    total = weights.sum(1)
    means = (draws * weights).sum(1)[total > 0] / total[total > 0]
    if len(means) == 0:
        return np.nan, np.nan
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return _pct(low), _pct(high)


def _question_rows(data: _Data, category: str, options: PrevalenceOptions) -> list[dict]:
    """Answer level: the mean over a question's answers of P(answer carries it | the respondent's data)."""
    n = len(data.raw)
    per_state = data.counts.reshape(n, len(data.questions), _STATES)
    answers = per_state.sum((0, 2))
    flagged = per_state[:, :, _FLAGGED].sum((0, 2))
    estimate = low = high = None
    why = unmeasured(data.n_coded, data.n_positive, options.min_coded)
    if data.n_coded and not why:
        weights = _bootstrap_weights(n, options)
        point, start = _question_means(data, np.ones((1, n)), _exact(options))
        estimate, (draws, _) = point[0], _question_means(data, weights, options, start)
        low, high = np.nanquantile(draws, [(1 - options.level) / 2, (1 + options.level) / 2], axis=0)
    rows = []
    for q, question in enumerate(data.questions):
        coded = int(per_state[:, q, 2:].sum())
        row = {"category": category, "question": question, "base_answers": int(answers[q]),
               "answers": int(flagged[q]), "percent": _pct(flagged[q] / answers[q] if answers[q] else np.nan)}
        if why or (estimate is not None and not coded):
            row |= {"estimate": np.nan, "low": np.nan, "high": np.nan, "method": why or UNCODED_QUESTION_METHOD}
        elif estimate is None:
            row |= {"estimate": row["percent"], "low": np.nan, "high": np.nan, "method": RAW_METHOD}
        else:
            bounds = _at_least_sampling(_pct(low[q]), _pct(high[q]), float(estimate[q]), int(answers[q]),
                                        options.level)
            row |= {"estimate": _pct(estimate[q]), "low": bounds[0], "high": bounds[1], "method": CORRECTED_METHOD}
        rows.append(row | {"coded_answers": coded})
    return rows


def _question_means(data: _Data, weights: np.ndarray, options: PrevalenceOptions, start: tuple | None = None):
    b, n_questions = weights.shape[0], len(data.questions)
    _, raised, carries, start = _fit(data.counts, weights, data.group, len(data.groups), options, start)
    carried = (((weights * raised) @ data.counts).reshape(b, n_questions, _STATES) * carries).sum(-1)
    answers = (weights @ data.counts).reshape(b, n_questions, _STATES).sum(-1)
    return np.where(answers > 0, carried / np.maximum(answers, 1e-12), np.nan), start


def _pct(share: float) -> float:
    return round(100 * float(share), 1) if share == share else np.nan


# A group of --min-group respondents or more, hidden only so that the smaller ones cannot be worked out from the total
# (complementary suppression: `_too_small`, `_not_all_or_none`).
PROTECTING_METHOD = ("suppressed: large enough to show, but hidden so that a smaller group cannot be worked out from "
                     "the total less the groups shown")


def _suppress(frame: pd.DataFrame, small: pd.Series, columns: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    frame["suppressed"] = small.to_numpy()
    for column in [*columns, "estimate", "low", "high"]:
        # counts stay whole numbers beside the blanks of suppressed groups
        kind = "Int64" if column in ("respondents", "answers") else float
        frame[column] = frame[column].astype(kind).mask(frame["suppressed"])
    return frame


def _finish(frame: pd.DataFrame, by: str | None, options: PrevalenceOptions) -> pd.DataFrame:
    if by is None:
        frame["suppressed"] = False
        return frame
    small = _too_small(frame, by, "base_respondents", options.min_n)
    frame = _suppress(frame, _not_all_or_none(frame, small, by), ["respondents", "percent"])
    if "method" in frame:  # hidden though large enough: said apart, so that a reader is told which groups it is
        frame["method"] = frame["method"].mask(frame["suppressed"] & (frame["base_respondents"] >= options.min_n),
                                               PROTECTING_METHOD)
    return frame


def _not_all_or_none(frame: pd.DataFrame, small: pd.Series, group: str, count: str = "respondents",
                     base: str = "base_respondents") -> pd.Series:
    """Per category, the hidden groups widened until they hold respondents who raised it and respondents who did
    not: when every hidden respondent raised it (or none did), the overall count less the groups shown says so of
    each of them, a one-person group included (complementary suppression, as `_too_small` does for sizes). A
    category every respondent raised, or none did, is left as it is: its overall count already says so of each,
    and widening would hide every group (a theme nobody raised emptied every breakdown of every theme)."""
    small = small.copy()
    for _, rows in frame.groupby("category", sort=False):
        if rows[count].sum() in (0, rows[base].sum()):
            continue
        while True:
            hidden = rows[small.loc[rows.index]]
            shown = rows[~small.loc[rows.index]]
            raised, size = hidden[count].sum(), hidden[base].sum()
            if hidden.empty or shown.empty or 0 < raised < size:
                break
            small.loc[shown[base].idxmin()] = True
    return small


def _too_small(frame: pd.DataFrame, group: str, base: str, min_n: int) -> pd.Series:
    """The rows of groups too small to show; and, where only one group is, of the next smallest too: a single
    hidden group could be read off as the total less the groups shown (complementary suppression)."""
    bases = frame.groupby(group, sort=False)[base].first()
    hidden = set(bases.index[bases < min_n])
    if len(hidden) == 1 and len(bases) > 1:
        hidden.add(bases.drop(list(hidden)).idxmin())
    return frame[group].isin(hidden)


# ---------------------------------------------------------------------------------------------------
# Many estimates at once, in worker processes


@dataclass(frozen=True)
class Job:
    """One estimator's call on two tables shared by every job of a run:
    `ESTIMATORS[estimator](tables[answers], tables[coded], *args, **kwargs)`."""

    estimator: str
    answers: str
    coded: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


ESTIMATORS = {"respondents": respondent_prevalence, "questions": question_prevalence, "types": type_prevalence}


def _run(job: Job, tables: dict[str, pd.DataFrame | None]) -> pd.DataFrame:
    return ESTIMATORS[job.estimator](tables[job.answers], tables[job.coded], *job.args, **job.kwargs)


def run_jobs(jobs: Sequence[Job], tables: dict[str, pd.DataFrame | None], processes: int = 1) -> list[pd.DataFrame]:
    """Each job's table, in the jobs' order. With `processes` > 1 the jobs run in that many worker
    processes (a bootstrap fit is single-threaded: it uses one core); the results are the same as in one."""
    if processes < 1:
        raise ValueError(f"'processes' must be at least 1. Got {processes} instead.")
    if processes == 1 or len(jobs) < 2:
        return [_run(job, tables) for job in jobs]
    from joblib import Parallel, delayed

    # joblib's loky workers start fresh (not forked from a process holding torch's, Prefect's and a server's
    # threads) and, unlike multiprocessing's, do not re-run the caller's script: no __main__ guard is needed.
    return Parallel(n_jobs=min(processes, len(jobs)), backend="loky")(delayed(_run)(job, tables) for job in jobs)


def available_processes(most: int = 8, *, respondents: int = 0, draws: int = 1000) -> int:
    """Worker processes for the estimates: one per core this process may use, at most `most`, and no more
    than half the free memory holds (a worker's bootstrap keeps about a dozen (draws, respondents)
    arrays of floats); 1 inside a daemon process (a Dask worker), which cannot start processes."""
    import psutil

    from themes.cores import may_start_processes, usable_cores

    if not may_start_processes():
        return 1
    cores = usable_cores()
    each = 200e6 + 12 * 8 * draws * respondents  # bytes: the interpreter and libraries, then the arrays
    room = int(psutil.virtual_memory().available / 2 // each)
    return max(1, min(cores, most, room))

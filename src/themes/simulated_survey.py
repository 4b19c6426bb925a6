"""Surveys with a known truth, to check `themes.prevalence` by simulation (tests, benchmarks, README).

A respondent raises the theme with probability `prevalence`; one who does carries it in their answer
to question q with probability `spread[q]` (at least one answer: if none came up, one question is
picked at random). `pattern` breaks the model's assumptions on purpose:

- "clustered": as above (the correction's model);
- "uneven": how many answers carry it varies among respondents who raised it (propensity x Beta(2, 2) x 2);
- "independent": each answer carries it on its own with probability prevalence x spread[q]; respondents
  are not "raisers" or not, so the respondent-level truth is 1 - prod(1 - p_q).

The machine then flags an answer that carries the theme with probability `sensitivity`, and one that
does not with 1 - `specificity` (or 1 - `specificity_by_question[q]`: on real surveys a theme is flagged far
more often in some questions' answers than others', e.g. resource needs in answers about funding),
independently; `coded` answers are drawn at random and get their truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

PATTERNS = ("clustered", "uneven", "independent")
# Where a theme such as cultural differences turns up: mostly in one question, sometimes elsewhere.
DEFAULT_SPREAD = (0.8, 0.2, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05)


@dataclass(frozen=True)
class Setting:
    prevalence: float
    sensitivity: float = 0.8
    specificity: float = 0.95
    pattern: str = "clustered"
    respondents: int = 200
    coded: int = 300
    spread: tuple[float, ...] = DEFAULT_SPREAD
    specificity_by_question: tuple[float, ...] | None = None  # instead of one `specificity`

    def __post_init__(self) -> None:
        if self.pattern not in PATTERNS:
            raise ValueError(f"'pattern' must be one of {', '.join(PATTERNS)}. Got {self.pattern!r} instead.")
        if self.specificity_by_question is not None and len(self.specificity_by_question) != len(self.spread):
            raise ValueError("'specificity_by_question' needs one value per question of 'spread'.")

    def describe(self) -> str:
        by_question = self.specificity_by_question
        specificity = (f"specificity {min(by_question):.2f}-{max(by_question):.2f} by question" if by_question
                       else f"specificity {self.specificity:.2f}")
        return (f"{self.pattern}, prevalence {self.prevalence:.0%}, sensitivity {self.sensitivity:.2f}, "
                f"{specificity}, {self.respondents} respondents x {len(self.spread)} answers, {self.coded} coded")


@dataclass
class Survey:
    answers: pd.DataFrame  # respondent_id, question, group, theme (machine 0/1)
    coded: pd.DataFrame  # respondent_id, question, theme (human 0/1)
    truth: float  # share of these respondents who raised it
    expected: float  # the share in the population they were drawn from
    raised: pd.Series | None = None  # per respondent id: whether they raised it (for shares of any group of them)


def expected_share(setting: Setting) -> float:
    """The population share of respondents who raised the theme under `setting`."""
    spread = np.asarray(setting.spread)
    if setting.pattern == "independent":
        return float(1 - np.prod(1 - setting.prevalence * spread))
    return setting.prevalence  # at least one answer carries it for every respondent who raised it


def simulate(setting: Setting, rng: np.random.Generator) -> Survey:
    n, spread = setting.respondents, np.asarray(setting.spread)
    q = len(spread)
    if setting.pattern == "independent":
        carries = rng.random((n, q)) < setting.prevalence * spread
    else:
        raised = rng.random(n) < setting.prevalence
        propensity = np.broadcast_to(spread, (n, q))
        if setting.pattern == "uneven":
            propensity = np.clip(spread * 2 * rng.beta(2, 2, n)[:, None], 0, 1)
        carries = (rng.random((n, q)) < propensity) & raised[:, None]
        missing = raised & ~carries.any(1)
        carries[missing, rng.integers(0, q, missing.sum())] = True
    specificity = np.asarray(setting.specificity_by_question or [setting.specificity] * q)
    flagged = np.where(carries, rng.random((n, q)) < setting.sensitivity, rng.random((n, q)) > specificity)
    ids = np.repeat([f"R{i:04d}" for i in range(n)], q)
    questions = np.tile([f"q{j}" for j in range(q)], n)
    answers = pd.DataFrame({"respondent_id": ids, "question": questions,
                            "group": np.repeat(np.where(np.arange(n) % 2 == 0, "a", "b"), q),
                            "theme": flagged.ravel().astype(int)})
    picked = np.sort(rng.choice(n * q, size=min(setting.coded, n * q), replace=False))
    coded = pd.DataFrame({"respondent_id": ids[picked], "question": questions[picked],
                          "theme": carries.ravel()[picked].astype(int)})
    raised_it = pd.Series(carries.any(1), index=ids[::q])
    return Survey(answers, coded, float(raised_it.mean()), expected_share(setting), raised_it)

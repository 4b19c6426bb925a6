"""Coverage of the corrected estimates for rare categories, by how many coded answers carry them.

A framework type can be estimated from one coded answer that carries it (the shipped run's
policy_systems_level: 1.6% (0.0-6.8)). Below 100 coded answers no estimate is made at all; this checks
that at 100 coded answers or more an interval resting on 1-4 coded cases is not too narrow. Rare
categories (2-8% of 212 respondents x 8 answers; sensitivity 0.6-0.8, specificity 0.98-0.995) are
simulated (`themes.simulated_survey`); each survey's 95% interval is checked against the share of its own
respondents who raised the category, and the surveys are grouped by the coded answers carrying it.

    .venv/bin/python benchmarks/few_positives.py                     # 100 and 300 coded answers
    .venv/bin/python benchmarks/few_positives.py --coded 150 --surveys 40 --seed 3
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

from themes.prevalence import PrevalenceOptions, respondent_prevalence
from themes.simulated_survey import Setting, simulate

RATES = ((0.8, 0.98), (0.6, 0.99), (0.8, 0.995))  # (sensitivity, specificity) per answer
PREVALENCES = (0.02, 0.04, 0.08)


def bucket(positives: int) -> str:
    return str(positives) if positives < 5 else "5-9" if positives < 10 else "10+"


def check(coded: int, surveys: int, seed: int, draws: int) -> dict[str, list[tuple[float, float, float]]]:
    """Per bucket of coded positives: (truth, low, high) of each survey that got an estimate (none with 0)."""
    rng = np.random.default_rng(seed)
    options = PrevalenceOptions(draws=draws)
    found: dict[str, list] = defaultdict(list)
    for prevalence in PREVALENCES:
        for sensitivity, specificity in RATES:
            setting = Setting(prevalence, sensitivity=sensitivity, specificity=specificity, respondents=212,
                              coded=coded)
            for _ in range(surveys):
                survey = simulate(setting, rng)
                row = respondent_prevalence(survey.answers, survey.coded, ["theme"], options=options).iloc[0]
                if row["estimate"] == row["estimate"]:
                    found[bucket(int(survey.coded["theme"].sum()))].append(
                        (100 * survey.truth, row["low"], row["high"]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coded", type=int, nargs="*", default=[100, 300])
    parser.add_argument("--surveys", type=int, default=40, help="surveys per setting (9 settings)")
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print("| coded answers | coded answers carrying it | surveys | 95% interval covered the truth | mean width |")
    print("|---:|---:|---:|---:|---:|")
    for coded in args.coded:
        found = check(coded, args.surveys, args.seed, args.draws)
        for key in sorted(found, key=lambda k: ["1", "2", "3", "4", "5-9", "10+"].index(k)):
            rows = found[key]
            covered = np.mean([low <= truth <= high for truth, low, high in rows])
            width = np.mean([high - low for _, low, high in rows])
            print(f"| {coded} | {key} | {len(rows)} | {covered:.2f} | {width:.1f} |")


if __name__ == "__main__":
    main()

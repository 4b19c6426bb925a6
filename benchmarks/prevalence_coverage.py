"""Bias and coverage of the corrected respondent-level estimates on simulated surveys.

Each setting simulates surveys with a known truth (`themes.simulated_survey`), runs
`themes.prevalence.respondent_prevalence` on each, and reports, in percentage points: the mean error of
the raw count and of the estimate against the share of the survey's own respondents who raised the
theme, the estimate's RMSE, the mean interval width, and how often the 95% interval covered that share
and the population share the survey was drawn from.

    .venv/bin/python benchmarks/prevalence_coverage.py                  # prints, writes prevalence_coverage.md
    .venv/bin/python benchmarks/prevalence_coverage.py --surveys 50 --draws 200
"""

from __future__ import annotations

import argparse
import platform
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from themes.prevalence import PrevalenceOptions, respondent_prevalence
from themes.simulated_survey import Setting, simulate

HETEROGENEOUS = (0.99, 0.99, 0.98, 0.97, 0.95, 0.92, 0.88, 0.85)  # specificity per question of DEFAULT_SPREAD
SETTINGS = [
    Setting(0.05, 0.80, 0.95),
    Setting(0.05, 0.85, 0.98),
    Setting(0.25, 0.80, 0.95),
    Setting(0.50, 0.85, 0.97),
    Setting(0.65, 0.85, 0.95),
    Setting(0.25, 0.80, 0.95, coded=150),
    Setting(0.25, 0.80, 0.95, pattern="uneven"),
    Setting(0.25, 0.80, 0.95, pattern="independent"),
    # False flags far more common in the questions where the theme is rare, as on the sample survey
    Setting(0.25, 0.85, specificity_by_question=HETEROGENEOUS),
    Setting(0.05, 0.85, specificity_by_question=HETEROGENEOUS),
]
# How wide the interval is for a given number of coded answers (README: "How many answers to code").
SIZES = (100, 200, 300, 500, 1000)
WIDTH_SETTINGS = [Setting(0.05, 0.85, 0.98), Setting(0.25, 0.80, 0.95), Setting(0.50, 0.85, 0.97)]
HERE = Path(__file__).resolve().parent


def measure(setting: Setting, surveys: int, options: PrevalenceOptions, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(surveys):
        survey = simulate(setting, rng)
        result = respondent_prevalence(survey.answers, survey.coded, ["theme"], options=options).iloc[0]
        rows.append((100 * survey.truth, 100 * survey.expected, result["percent"], result["estimate"],
                     result["low"], result["high"]))
    truth, expected, raw, estimate, low, high = np.array(rows).T
    # A survey whose coded answers hold no case of the theme gives no estimate (NaN, "not estimated"): it claims
    # nothing, so it is left out of every figure but its count (as tests/test_prevalence.py does).
    measured = ~np.isnan(estimate)
    truth_m, expected_m, low, high = truth[measured], expected[measured], low[measured], high[measured]
    return {"truth": truth.mean(), "raw_bias": (raw - truth).mean(), "bias": np.nanmean(estimate - truth),
            "rmse": np.sqrt(np.nanmean((estimate - truth) ** 2)), "width": (high - low).mean(),
            "coverage": ((low <= truth_m) & (truth_m <= high)).mean(),
            "coverage_population": ((low <= expected_m) & (expected_m <= high)).mean(),
            "no_estimate": int((~measured).sum())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surveys", type=int, default=200)
    parser.add_argument("--draws", type=int, default=200, help="bootstrap replicates per survey")
    parser.add_argument("--width-surveys", type=int, default=30, help="surveys per cell of the width table")
    parser.add_argument("--out", type=Path, default=HERE / "prevalence_coverage.md")
    parser.add_argument("--shrinkage", type=float, default=PrevalenceOptions.shrinkage,
                        help="pseudo-answers pulling a question's error rates to the pooled ones")
    parser.add_argument("--settings", help="only these settings, by number from 1 (comma-separated)")
    parser.add_argument("--no-widths", action="store_true", help="skip the table of widths by coded answers")
    args = parser.parse_args()
    options = PrevalenceOptions(draws=args.draws, shrinkage=args.shrinkage)
    chosen = [int(k) - 1 for k in args.settings.split(",")] if args.settings else range(len(SETTINGS))
    header = ("| setting | truth | raw error | bias | RMSE | 95% interval width | covers the survey's share "
              "| covers the population share | no estimate (no coded answer carried it) |")
    lines = [header, "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    print(header)
    started = time.process_time()
    for k in chosen:
        setting = SETTINGS[k]
        m = measure(setting, args.surveys, options, seed=k)
        line = (f"| {setting.describe()} | {m['truth']:.1f} | {m['raw_bias']:+.1f} | {m['bias']:+.2f} | "
                f"{m['rmse']:.1f} | {m['width']:.1f} | {m['coverage']:.1%} | {m['coverage_population']:.1%} | "
                f"{m['no_estimate']} |")
        lines.append(line)
        print(line, flush=True)
    names = [f"{s.prevalence:.0%} (sens. {s.sensitivity:.2f}, spec. {s.specificity:.2f})" for s in WIDTH_SETTINGS]
    widths = ["| coded answers | " + " | ".join(names) + " |", "|---:|" + "---:|" * len(names)]
    print(widths[0])
    for n in () if args.no_widths else SIZES:
        cells = [measure(replace(s, coded=n), args.width_surveys, options, seed=n)["width"] for s in WIDTH_SETTINGS]
        widths.append(f"| {n} | " + " | ".join(f"{w:.0f} (+-{w / 2:.0f})" for w in cells) + " |")
        print(widths[-1], flush=True)
    seconds = time.process_time() - started
    note = (f"{args.surveys} simulated surveys per setting, {args.draws} bootstrap replicates each, shrinkage "
            f"{args.shrinkage:g}; figures in percentage points. A survey whose coded answers hold no case of the "
            "theme gives no estimate ('not estimated'): it is left out of every figure but the last column. "
            f"{seconds:.0f} s of CPU on {platform.machine()} ({platform.python_version()}).")
    print(note)
    args.out.write_text("# Corrected prevalence on simulated surveys\n\n"
                        "`benchmarks/prevalence_coverage.py`: " + note + "\n\n" + "\n".join(lines) + "\n\n"
                        f"## Width of the 95% interval (points) by coded answers, {args.width_surveys} surveys "
                        "a cell, 200 respondents x 8 answers, clustered\n\n" + "\n".join(widths) + "\n",
                        encoding="utf-8")


if __name__ == "__main__":
    main()

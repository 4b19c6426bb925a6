"""How the corrected respondent-level estimates behave on the shipped sample survey, by the number of coded answers.

The sample's author tagged every passage with the themes meant for it (`data/sample_rfi/build_sample.py`); those
tags, replayed for every answer, are the truth here. From the answers of a finished run of the sample (`make run`
writes outputs/responses) the script draws many random coded samples of each size, codes them with the author's
tags (as if a coder agreed with the author exactly), estimates each theme as `themes run --coded-sample` does, and
reports, in percentage points against the share of respondents the tags give: mean error (bias), spread, RMSE
(over the samples that give an estimate: one with no coded answer of a theme gives none), how often the 95%
interval covers the truth, and how often the estimate lands within 5 points (a missing one does not).

It measures the method on real classifier errors, which the simulated surveys of prevalence_coverage.py do not
have (there every question shares one error rate); it says nothing about how a coder's reading differs from the
author's.

    .venv/bin/python benchmarks/coded_sample_size.py                          # 40 samples of 150, 300, 600
    .venv/bin/python benchmarks/coded_sample_size.py --sizes 300 --samples 60 --run outputs/responses
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np
import pandas as pd

from themes.codebook import load_codebook
from themes.counts import model_table
from themes.prevalence import PrevalenceOptions, respondent_prevalence

ROOT = Path(__file__).resolve().parents[1]


def author_tags() -> pd.DataFrame:
    """The author's themes of every answer of responses.csv (respondent_id, question, one 0/1 column per theme),
    replayed from the generator as `build_sample.py --author-tags` does for the coded answers."""
    spec = importlib.util.spec_from_file_location("build_sample", ROOT / "data" / "sample_rfi" / "build_sample.py")
    sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sample)
    return pd.DataFrame([{"respondent_id": respondent, "question": question,
                          **{theme: int(theme in tags) for theme in sample.THEME_TAGS.values()}}
                         for (respondent, question), tags in sample.author_tags().items()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=ROOT / "outputs" / "responses", help="a run of the sample")
    parser.add_argument("--sizes", default="150,300,600", help="coded answers per sample, comma-separated")
    parser.add_argument("--samples", type=int, default=40, help="coded samples drawn per size")
    parser.add_argument("--draws", type=int, default=200, help="bootstrap replicates per estimate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".md"))
    parser.add_argument("--shrinkage", type=float, default=PrevalenceOptions.shrinkage,
                        help="pseudo-answers pulling a question's error rates to the pooled ones")
    args = parser.parse_args()
    codebook = load_codebook(ROOT / "codebooks" / "rfi_themes.yaml")
    themes = [t.id for t in codebook.themes]
    answers = pd.read_csv(args.run / "responses.csv", dtype=str, keep_default_na=False)
    table = model_table(answers, codebook, [])[["respondent_id", "question", *themes]]
    usable = table[["respondent_id", "question"]].merge(author_tags(), on=["respondent_id", "question"], how="left")
    truth = usable.groupby("respondent_id")[themes].max().mean() * 100
    raw = table.groupby("respondent_id")[themes].max().mean() * 100
    options = PrevalenceOptions(draws=args.draws, shrinkage=args.shrinkage)
    rng = np.random.default_rng(args.seed)
    started = time.process_time()
    lines = ["| coded answers | theme | truth | raw | bias | SD | RMSE | 95% interval covers | within 5 points |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for size in (int(s) for s in args.sizes.split(",")):
        found = []
        for _ in range(args.samples):
            coded = usable.iloc[rng.choice(len(usable), min(size, len(usable)), replace=False)]
            found.append(respondent_prevalence(table, coded, themes, options=options).set_index("category"))
        every = np.ones(len(found), dtype=bool)
        for theme in themes:
            estimate = np.array([f.at[theme, "estimate"] for f in found])
            low, high = (np.array([f.at[theme, side] for f in found]) for side in ("low", "high"))
            error = estimate - truth[theme]
            every &= np.abs(error) <= 5  # a sample with no coded answer of the theme has no estimate (NaN)
            missing = int(np.isnan(estimate).sum())
            name = f"{theme} (no estimate from {missing})" if missing else theme
            lines.append(f"| {size} | {name} | {truth[theme]:.1f} | {raw[theme]:.1f} | {np.nanmean(error):+.1f} | "
                         f"{np.nanstd(estimate, ddof=1):.1f} | {np.sqrt(np.nanmean(error ** 2)):.1f} | "
                         f"{((low <= truth[theme]) & (truth[theme] <= high)).mean():.0%} | "
                         f"{(np.abs(error) <= 5).mean():.0%} |")
        lines.append(f"| {size} | all five within 5 points | | | | | | | {every.mean():.0%} |")
        print("\n".join(lines[-len(themes) - 1:]), flush=True)
    note = (f"{args.samples} coded samples per size, {args.draws} bootstrap replicates each, shrinkage "
            f"{args.shrinkage:g}, from {args.run.name}/responses.csv; {time.process_time() - started:.0f} s of CPU.")
    print(f"\n{note}\n")
    print("\n".join(lines))
    args.out.write_text("# Corrected estimates on the sample survey, by coded answers\n\n`benchmarks/coded_sample_size.py`"
                        f" (the author's tags as the truth and as a perfect coder): {note}\n\n" + "\n".join(lines) + "\n",
                        encoding="utf-8")


if __name__ == "__main__":
    main()

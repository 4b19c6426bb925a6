"""A run's corrected theme estimates on the shipped sample survey against two references for the truth.

- The author's intent: the share of respondents whose answers the sample's author tagged with the theme
  (`data/sample_rfi/build_sample.py --report`, replayed here for every answer).
- The coders' reading of every answer: `data/sample_rfi/full_coding.csv`, all usable answers coded blind by
  people who read the codebook (the coded sample's 600 and the other 1,010, each coded by two coders whose
  differences a third settled). A respondent raised a theme when any of their coded answers carries it.

The estimate is built from the coded sample's codes, so it estimates the coders' reading; where the coders
and the author read a theme differently, the two references differ, and this shows by how much.

    .venv/bin/python benchmarks/reference_check.py                      # the run make run writes
    .venv/bin/python benchmarks/reference_check.py --run /tmp/run_with_another_coded_sample
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from coded_sample_size import ROOT, author_tags

FULL_CODING = ROOT / "data" / "sample_rfi" / "full_coding.csv"


def coders_codes(path: Path, themes: list[str]) -> pd.DataFrame:
    """The coded answers as `author_tags()` gives the author's: respondent_id, question, one 0/1 column per theme."""
    coded = pd.read_csv(path, dtype=str, keep_default_na=False)
    carried = coded["themes"].str.split(";").apply(lambda ids: {i.strip() for i in ids})
    flags = {theme: carried.map(lambda ids, t=theme: int(t in ids)) for theme in themes}
    return coded[["respondent_id", "question"]].assign(**flags)


def respondent_share(codes: pd.DataFrame, themes: list[str], respondents: int) -> pd.Series:
    """Percent of `respondents` with at least one answer carrying each theme."""
    return codes.groupby("respondent_id")[themes].max().sum() / respondents * 100


def compare(counts: pd.DataFrame, references: dict[str, pd.Series]) -> pd.DataFrame:
    """One row per theme: the run's raw share and estimate, each reference, and the estimate's distance to it
    and whether the 95% interval covers it."""
    rows = []
    for row in counts.itertuples():
        line = {"theme": row.theme, "raw": row.percent, "estimate": row.estimate, "low": row.low, "high": row.high}
        for name, reference in references.items():
            truth = reference[row.theme]
            line |= {name: truth, f"{name} off": abs(row.estimate - truth),
                     f"{name} covered": row.low <= truth <= row.high}
        rows.append(line)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=ROOT / "outputs" / "responses",
                        help="a run of the sample with --coded-sample (make run writes outputs/responses)")
    parser.add_argument("--full-coding", type=Path, default=FULL_CODING)
    args = parser.parse_args()
    counts = pd.read_csv(args.run / "theme_counts.csv", encoding="utf-8-sig")
    if counts["estimate"].isna().all():
        raise SystemExit(f"{args.run}/theme_counts.csv has no estimates: run with --coded-sample (make run).")
    themes, respondents = list(counts["theme"]), int(counts["base_respondents"].iloc[0])
    table = compare(counts, {"author": respondent_share(author_tags(), themes, respondents),
                             "coders": respondent_share(coders_codes(args.full_coding, themes), themes, respondents)})
    print("| theme | author's intent | coders, every answer | raw: flagged | estimate (95% interval) | "
          "off the author's, covered | off the coders', covered |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    yes = {True: "yes", False: "no"}
    for r in table.to_dict("records"):
        print(f"| {r['theme']} | {r['author']:.1f}% | {r['coders']:.1f}% | {r['raw']:.1f}% | {r['estimate']:.1f}% "
              f"({r['low']:.1f}-{r['high']:.1f}) | {r['author off']:.1f}, {yes[r['author covered']]} | "
              f"{r['coders off']:.1f}, {yes[r['coders covered']]} |")


if __name__ == "__main__":
    main()

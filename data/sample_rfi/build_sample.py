"""Build the synthetic sample RFI (responses.csv) from hand-written answer pools.

Usage (from the repository root):

    .venv/bin/python data/sample_rfi/build_sample.py            # writes responses.csv
    .venv/bin/python data/sample_rfi/build_sample.py --report   # also prints a summary
    .venv/bin/python data/sample_rfi/build_sample.py --author-tags author_tags.csv  # the author's tags as a
                                                                 # coded sample of coded_sample.csv's answers

Everything is seeded, so the output is byte-for-byte reproducible.

Answer pools live in ``passages/<question>.txt`` beside this script, one file per
open-ended question. A passage starts with a line ``@@`` followed by optional tags
and runs until the next ``@@`` line; its text may span several lines (bullet lists).
Lines starting with ``#`` before the first ``@@`` are comments. Tags:

* ``v=hc|gov|fdn|cbo``  voice: who could plausibly have written it (health-care org,
  government, foundation/research, community organization). Untagged = anyone.
* ``s=food|housing|aging|bh|chw|kids|workforce|legal|faith|coalition``  sector, used
  to keep a respondent's answers loosely on one topic. Untagged = generic.
* ``T C E R D``  the themes the author meant the passage to carry (trust,
  cultural_differences, community_engagement, resource_needs, data_challenges);
  ``b`` marks data passages that present data as a barrier (implied for ``D`` in
  challenges); ``survey meeting board``
  mark engagement methods. These steer prevalence and feed ``--report`` only. They
  are authoring intent, not a gold standard, and are never written to the CSV.

Assignment: each respondent gets a sector and a voice (from org_type). Per question,
respondents are visited in random order and take the best-matching *unused* passage
(voice, sector, and short passages for the few terse respondents); only when a pool
runs dry is a passage reused. Passages left over at the end are appended to another
respondent's answer, so some answers combine two passages. About 5% of answers are
replaced by blanks or "N/A" / "see above"-style non-answers.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
POOLS = HERE / "passages"
OUT = HERE / "responses.csv"

SEED = 20240611
N_RESPONDENTS = 212

TEXT_COLUMNS = [
    "goals",
    "services",
    "funding",
    "data",
    "effective_practices",
    "challenges",
    "community_engagement",
    "five_year_goals",
]
META_COLUMNS = [
    "respondent_id",
    "org_type",
    "state",
    "year_started",
    "people_served",
    "initiated_by",
    "agreements",
    "funding_sources",
]

# Exact counts (sum = N_RESPONDENTS): ~67% nonprofit CBO, 13% health care, 9% government.
ORG_COUNTS = {
    "Nonprofit CBO": 142,
    "Health care organization": 28,
    "Government": 19,
    "Foundation": 8,
    "Research or consulting": 8,
    "For-profit CBO": 7,
}
VOICE = {
    "Nonprofit CBO": "cbo",
    "For-profit CBO": "cbo",
    "Health care organization": "hc",
    "Government": "gov",
    "Foundation": "fdn",
    "Research or consulting": "fdn",
}

# Most partnerships in CA, NY, CO, PA, MN; every state at least once.
TOP_STATES = {"CA": 28, "NY": 20, "CO": 16, "PA": 14, "MN": 14}
# Rough population weights for the other 45 states.
OTHER_STATES = {
    "TX": 9, "FL": 7, "IL": 6, "OH": 6, "GA": 5, "NC": 5, "MI": 5, "NJ": 4, "VA": 4,
    "WA": 4, "AZ": 4, "MA": 4, "TN": 3, "IN": 3, "MD": 3, "MO": 3, "WI": 3, "SC": 2,
    "AL": 2, "LA": 2, "KY": 2, "OR": 3, "OK": 2, "CT": 2, "UT": 2, "IA": 2, "NV": 2,
    "AR": 1, "MS": 1, "KS": 1, "NM": 2, "NE": 1, "ID": 1, "WV": 1, "HI": 1, "NH": 1,
    "ME": 1, "MT": 1, "RI": 1, "DE": 1, "SD": 1, "ND": 1, "AK": 1, "VT": 1, "WY": 1,
}

PEOPLE_SERVED = {"<100": 12, "100-499": 25, "500-999": 17, "1,000-4,999": 26, "5,000+": 20}

INITIATED_BY = {
    "cbo": {"CBO": 46, "Health care organization": 18, "Jointly": 26, "Funder": 5, "Government": 5},
    "hc": {"Health care organization": 52, "Jointly": 28, "CBO": 12, "Funder": 4, "Government": 4},
    "gov": {"Government": 52, "Jointly": 26, "Health care organization": 10, "CBO": 8, "Funder": 4},
    "fdn": {"Funder": 45, "Jointly": 25, "CBO": 15, "Health care organization": 10, "Government": 5},
}

AGREEMENTS = {"MOU": 0.55, "Contract": 0.40, "Data-sharing agreement": 0.25, "BAA": 0.12}
FUNDING = {
    "Federal grant": 0.35,
    "State grant": 0.35,
    "Foundation grant": 0.50,
    "Hospital community benefit": 0.30,
    "Medicaid reimbursement": 0.20,
    "Private insurance": 0.06,
    "In-kind": 0.35,
    "Individual donors": 0.25,
}

SECTORS = {
    "food": 15, "housing": 14, "aging": 10, "bh": 10, "chw": 12, "kids": 10,
    "workforce": 5, "faith": 6, "legal": 4, "coalition": 14,
}

TERSE_SHARE = 0.07  # respondents who answer little and often skip
P_JUNK_TERSE = 0.35
P_JUNK_NORMAL = 0.035
JUNK_FIRST = ["", "", "N/A", "n/a", "NA", "-", "TBD"]
JUNK_LATER = ["", "", "N/A", "n/a", "NA", "see above", "See above", "Same as above", "none", "None", "-"]


class Passage:
    def __init__(self, text: str, tags: list[str]):
        self.text = text
        self.voice = None
        self.sector = None
        self.tags: set[str] = set()
        for t in tags:
            if t.startswith("v="):
                self.voice = t[2:]
            elif t.startswith("s="):
                self.sector = t[2:]
            else:
                self.tags.add(t)
        self.words = len(text.split())
        self.used = 0


def load_pool(question: str) -> list[Passage]:
    lines = (POOLS / f"{question}.txt").read_text(encoding="utf-8").splitlines()
    passages: list[Passage] = []
    tags: list[str] | None = None
    body: list[str] = []

    def flush():
        if tags is not None:
            text = "\n".join(body).strip()
            if text:
                passages.append(Passage(text, tags))

    for line in lines:
        if line.startswith("@@"):
            flush()
            tags = line[2:].split()
            body = []
        elif tags is None:
            continue  # header comments
        else:
            body.append(line.rstrip())
    flush()
    if question == "challenges":  # any data passage under "challenges" is a barrier
        for p in passages:
            if "D" in p.tags:
                p.tags.add("b")
    return passages


def weighted(rng: random.Random, table: dict[str, float]) -> str:
    keys = list(table)
    return rng.choices(keys, weights=[table[k] for k in keys])[0]


def make_states(rng: random.Random) -> list[str]:
    states = [s for s, n in TOP_STATES.items() for _ in range(n)]
    states += list(OTHER_STATES)
    rest = N_RESPONDENTS - len(states)
    keys = list(OTHER_STATES)
    states += rng.choices(keys, weights=[OTHER_STATES[k] for k in keys], k=rest)
    rng.shuffle(states)
    return states


def make_year(rng: random.Random) -> str:
    if rng.random() < 0.03:
        return ""
    years = list(range(1995, 2025))
    weights = [1 + max(0, y - 2005) * 0.5 + (3 if 2015 <= y <= 2022 else 0) for y in years]
    return str(rng.choices(years, weights=weights)[0])


def make_agreements(rng: random.Random) -> str:
    chosen = [a for a, p in AGREEMENTS.items() if rng.random() < p]
    return ";".join(chosen) if chosen else "None"


def make_funding(rng: random.Random, voice: str) -> str:
    probs = dict(FUNDING)
    if voice == "hc":
        probs["Hospital community benefit"] = 0.6
        probs["Medicaid reimbursement"] = 0.4
    if voice == "gov":
        probs["Federal grant"] = 0.6
        probs["State grant"] = 0.6
    chosen = [f for f, p in probs.items() if rng.random() < p]
    if not chosen:
        chosen = [weighted(rng, FUNDING)]
    return ";".join(chosen)


def make_respondents(rng: random.Random) -> list[dict]:
    orgs = [o for o, n in ORG_COUNTS.items() for _ in range(n)]
    assert len(orgs) == N_RESPONDENTS
    rng.shuffle(orgs)
    states = make_states(rng)
    people = []
    for i in range(N_RESPONDENTS):
        org = orgs[i]
        voice = VOICE[org]
        people.append(
            {
                "respondent_id": f"R{i + 1:03d}",
                "org_type": org,
                "state": states[i],
                "year_started": make_year(rng),
                "people_served": "" if rng.random() < 0.02 else weighted(rng, PEOPLE_SERVED),
                "initiated_by": weighted(rng, INITIATED_BY[voice]),
                "agreements": make_agreements(rng),
                "funding_sources": make_funding(rng, voice),
                "_voice": voice,
                "_sector": weighted(rng, SECTORS),
                "_terse": rng.random() < TERSE_SHARE,
            }
        )
    return people


def score(p: Passage, person: dict, rng: random.Random) -> float:
    s = rng.random() * 1.5
    if p.voice:
        s += 3 if p.voice == person["_voice"] else -5
    if p.sector:
        s += 2 if p.sector == person["_sector"] else -1
    if person["_terse"]:
        s += 2 if p.words <= 12 else (-2 if p.words > 40 else 0)
    return s


def assign_column(question: str, people: list[dict], rng: random.Random) -> tuple[dict, list[Passage]]:
    pool = load_pool(question)
    answers: dict[str, list[Passage] | str] = {}
    order = list(people)
    rng.shuffle(order)
    junk = JUNK_FIRST if question == "goals" else JUNK_LATER
    for person in order:
        p_junk = P_JUNK_TERSE if person["_terse"] else P_JUNK_NORMAL
        if question == "community_engagement":
            p_junk /= 2
        if rng.random() < p_junk:
            answers[person["respondent_id"]] = rng.choice(junk)
            continue
        unused = [p for p in pool if p.used == 0]
        if not unused:
            least = min(p.used for p in pool)
            unused = [p for p in pool if p.used == least]
        best = max(unused, key=lambda p: score(p, person, rng))
        best.used += 1
        answers[person["respondent_id"]] = [best]
    # Leftover passages: append to another respondent's answer (answers of 2 passages).
    by_id = {p["respondent_id"]: p for p in people}
    for extra in [p for p in pool if p.used == 0]:
        if extra.words <= 3:
            continue  # "N/A"-like pool entries stand alone
        hosts = [
            rid
            for rid, a in answers.items()
            if isinstance(a, list) and len(a) == 1 and not by_id[rid]["_terse"] and a[0].words > 3
        ]
        if not hosts:
            break
        rid = max(hosts, key=lambda r: score(extra, by_id[r], rng))
        answers[rid].append(extra)
        extra.used += 1
    return answers, pool


def render(parts: list[Passage], rng: random.Random) -> str:
    if len(parts) == 1:
        return parts[0].text
    sep = "\n\n" if rng.random() < 0.5 or any("\n" in p.text for p in parts) else " "
    return sep.join(p.text for p in parts)


def build(report: bool = False) -> None:
    rng = random.Random(SEED)
    people = make_respondents(rng)
    rows = {p["respondent_id"]: {k: p[k] for k in META_COLUMNS} for p in people}
    themes: dict[str, set[str]] = {p["respondent_id"]: set() for p in people}
    stats = {}
    for q in TEXT_COLUMNS:
        answers, pool = assign_column(q, people, rng)
        for rid, a in answers.items():
            if isinstance(a, str):
                rows[rid][q] = a
            else:
                rows[rid][q] = render(a, rng)
                for p in a:
                    themes[rid] |= p.tags
        stats[q] = (
            len(pool),
            sum(1 for p in pool if p.used > 1),
            sum(1 for a in answers.values() if isinstance(a, list) and len(a) > 1),
        )
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=META_COLUMNS + TEXT_COLUMNS)
        w.writeheader()
        for p in people:
            w.writerow(rows[p["respondent_id"]])
    print(f"wrote {OUT} ({len(people)} respondents)")
    if report:
        n = len(people)
        print("\nquestion              pool  reused  two-passage answers")
        for q, (size, reused, combo) in stats.items():
            print(f"{q:22s}{size:5d}{reused:8d}{combo:8d}")
        print("\nintended themes per respondent (authoring tags, not gold):")
        names = {"T": "trust", "C": "cultural_differences", "E": "community_engagement",
                 "R": "resource_needs", "D": "data_challenges", "b": "  data as a barrier",
                 "survey": "  engagement: surveys", "meeting": "  engagement: meetings",
                 "board": "  engagement: advisory/governance"}
        counts = Counter(t for ts in themes.values() for t in ts)
        for tag, name in names.items():
            print(f"  {name:34s}{counts[tag]:4d}  {counts[tag] / n:5.0%}")


THEME_TAGS = {"T": "trust", "C": "cultural_differences", "E": "community_engagement", "R": "resource_needs",
              "D": "data_challenges"}


def author_tags() -> dict[tuple[str, str], set[str]]:
    """Every answer's theme ids as the author tagged its passages, keyed by (respondent_id, question): replays
    the generation (same seed, same calls) without writing anything."""
    rng = random.Random(SEED)
    people = make_respondents(rng)
    tags: dict[tuple[str, str], set[str]] = {}
    for q in TEXT_COLUMNS:
        answers, _ = assign_column(q, people, rng)
        for rid, a in answers.items():
            if not isinstance(a, str):
                render(a, rng)  # the same draws as build()
            tags[(rid, q)] = set() if isinstance(a, str) else {THEME_TAGS[t] for p in a for t in p.tags
                                                               if t in THEME_TAGS}
    return tags


def write_author_tags(path: Path) -> None:
    """The author's tags of the answers in coded_sample.csv, as a coded sample (respondent_id, question,
    themes). Run with it as --coded-sample, it checks that the correction follows its reference."""
    tags = author_tags()
    with (HERE / "coded_sample.csv").open(encoding="utf-8") as fh:
        keys = [(row["respondent_id"], row["question"]) for row in csv.DictReader(fh)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["respondent_id", "question", "themes"])
        for key in keys:
            w.writerow([*key, ";".join(t for t in THEME_TAGS.values() if t in tags[key]) or "none"])
    print(f"wrote {path} ({len(keys)} answers)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--report", action="store_true", help="print pool use and intended prevalence")
    ap.add_argument("--author-tags", type=Path, metavar="CSV",
                    help="write the author's tags of coded_sample.csv's answers as a coded sample, and stop")
    args = ap.parse_args()
    if args.author_tags:
        write_author_tags(args.author_tags)
    else:
        build(args.report)

"""The shipped codings of the sample survey's own answers: the coded sample that corrects counts, and the coding
of every usable answer that checks those corrections (benchmarks/reference_check.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from themes.codebook import load_codebook
from themes.evaluate import read_coded_sample
from themes.ingest import InputSpec, load_answers
from themes.status import CODABLE, screen_answers

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_rfi"
KEYS = ["respondent_id", "question"]


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLE / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def usable() -> pd.DataFrame:
    answers, _, _ = load_answers(SAMPLE / "responses.csv", InputSpec())
    screened = screen_answers(answers)
    return screened[screened["status"].isin(CODABLE)]  # what a run codes: statuses coded, uncoded, too_long


@pytest.fixture(scope="module")
def themes() -> set[str]:
    return {t.id for t in load_codebook(ROOT / "codebooks" / "rfi_themes.yaml").themes}


def _ids(cell: str) -> set[str]:
    return {i.strip() for i in cell.split(";")} - {"none"}


def test_the_coded_sample_is_two_draws_of_distinct_usable_answers(usable, themes):
    coded = _read("coded_sample.csv")
    assert list(coded["sample_id"]) == [f"s{i:03d}" for i in range(1, 601)]
    assert not coded.duplicated(KEYS).any()
    assert set(zip(coded["respondent_id"], coded["question"])) <= set(zip(usable["respondent_id"], usable["question"]))
    assert all(_ids(cell) <= themes and cell.strip() for cell in coded["themes"])
    framework = load_codebook(ROOT / "codebooks" / "partnership_models.yaml")
    read = read_coded_sample(SAMPLE / "coded_sample.csv", framework, usable)
    assert len(read) == 600 and read.attrs["coded_dimensions"] == [d.id for d in framework.dimensions]


def test_every_usable_answer_is_coded_once_and_the_coded_sample_keeps_its_settled_codes(usable, themes):
    full = _read("full_coding.csv")
    assert not full.duplicated(KEYS).any()
    assert set(zip(full["respondent_id"], full["question"])) == set(zip(usable["respondent_id"], usable["question"]))
    assert all(_ids(cell) <= themes and cell.strip() for cell in full["themes"])
    assert not full["sample_id"].duplicated().any()
    coded = _read("coded_sample.csv").merge(full, on=KEYS, suffixes=("", "_full"))
    assert len(coded) == 600 and (coded["sample_id"] == coded["sample_id_full"]).all()
    assert (coded["themes"] == coded["themes_full"]).all() and (coded["answer"] == coded["answer_full"]).all()
    assert (full["coding"] == "coded_sample.csv").sum() == 600
    # The other answers were coded twice too: each difference was settled, and the codes carry the decision.
    settled = _read("full_coding_adjudication.csv").merge(full, on="sample_id", suffixes=("", "_full"))
    assert len(settled) == len(_read("full_coding_adjudication.csv"))
    assert (settled["coding"] != "coded_sample.csv").all()
    assert all((row.theme in _ids(row.themes)) == (row.decision == "present") for row in settled.itertuples())


def test_the_second_coding_and_the_adjudication_cover_the_coded_sample(themes):
    first, second = _read("coded_sample.csv"), _read("coded_sample_second_coder.csv")
    assert list(second["sample_id"]) == list(first["sample_id"])
    settled = _read("coded_sample_adjudication.csv")
    assert set(settled["decision"]) == {"present", "absent"} and set(settled["theme"]) <= themes
    by_id = first.set_index("sample_id")["themes"].map(_ids)
    other = second.set_index("sample_id")["themes"].map(_ids)
    # Every theme the two codings differ on was settled, and the coded sample carries the decision.
    differ = {(s, t) for s in by_id.index for t in by_id[s] ^ other[s]}
    decided = dict(zip(zip(settled["sample_id"], settled["theme"]), settled["decision"]))
    assert differ <= set(decided)
    assert all((t in by_id[s]) == (decided[(s, t)] == "present") for s, t in differ)


def test_the_second_draw_of_the_coded_sample_is_what_themes_sample_drew(usable):
    """s301-s600 are what `themes sample RUN -n 300 --seed 1 --exclude <s001-s300>` drew (8c9a09f): anyone can
    draw them again and see that they are a random draw, not picked. That version drew `rng.choice` over the
    answers not held, in the survey's order, then shuffled them; `themes sample` now walks one random order of
    all the answers instead (a second draw with the first's seed picked the first's neighbours). Its seed, 1,
    was not the first draw's, and s001-s300 were drawn before `themes sample` existed."""
    import numpy as np

    coded = _read("coded_sample.csv")
    number = coded["sample_id"].str[1:].astype(int)
    first, second = coded[number <= 300], coded[number > 300]
    keys = lambda table: list(zip(table["respondent_id"], table["question"]))  # noqa: E731
    held = set(keys(first))
    rest = usable[[key not in held for key in keys(usable)]].reset_index(drop=True)
    rng = np.random.default_rng(1)
    drawn = rest.iloc[rng.permutation(rng.choice(len(rest), size=300, replace=False))]
    assert keys(drawn) == keys(second)


def test_the_third_person_split_is_the_majority_of_its_three_codings_led_by_the_writers_primary_theme():
    """The primary theme is a passage's first gold theme. The majority of three keeps each theme two of them gave;
    its order is the writer's (then the blind coders'), as in the other splits, where the writer's codes are the
    gold: one coder listed every passage's themes in the codebook's order, which says nothing of the primary."""
    coding = _read("third_person_coding.csv")
    gold = _read("gold.csv")
    gold = gold[gold["split"] == "third_person"].set_index("passage_id")["themes"]
    for row in coding.itertuples():
        cells = (row.writer_codes, row.coder_a, row.coder_b)
        votes = [[c for c in cell.split(";") if c and c != "none"] for cell in cells]
        kept = [t for t in dict.fromkeys(t for v in votes for t in v) if sum(t in v for v in votes) >= 2]
        assert row.themes == gold[row.passage_id] == (";".join(kept) or "none"), row.passage_id

"""Calibration moves thresholds the expected way, and its cross-validated figure is honest."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from themes.calibrate import (Calibration, OutOfFold, calibrate, calibration_path, cross_fitted_predictions,
                              find_calibration, save_calibration, tune_thresholds)
from themes.coding import Scheme
from themes.embed import embedding_function
from themes.errors import ThemesError


def _oof(trust: list[float], service: list[float] | None = None, fold_of=None) -> OutOfFold:
    """One segment per passage of the tiny codebook (trust, funding, service.referral, service.joint):
    trust varies, and the referral type's probability when given."""
    service = service or [0.0] * len(trust)
    scores = np.array([[t, 0.0, s, 0.0] for t, s in zip(trust, service)])
    return OutOfFold(scores, np.arange(len(trust)), np.zeros(len(trust), dtype=int) if fold_of is None else fold_of)


def test_tuning_lowers_a_threshold_when_true_passages_score_low(tiny_codebook):
    # Every trust passage scores 0.3-0.4, every none passage 0.1: 0.5 misses them all.
    oof = _oof([0.35, 0.3, 0.4, 0.38, 0.1, 0.1, 0.1, 0.1])
    thresholds, tuned = tune_thresholds(oof, [["trust"]] * 4 + [[]] * 4, Scheme(tiny_codebook))
    assert 0.1 < thresholds[0] <= 0.3 and tuned == {"trust"}


def test_tuning_raises_a_threshold_when_none_passages_score_high(tiny_codebook):
    oof = _oof([0.9, 0.85, 0.95, 0.9, 0.6, 0.65, 0.7, 0.6])
    thresholds, _ = tune_thresholds(oof, [["trust"]] * 4 + [[]] * 4, Scheme(tiny_codebook))
    assert 0.7 < thresholds[0] <= 0.85


def test_a_theme_or_dimension_nobody_coded_is_not_tuned_and_keeps_the_default(tiny_codebook):
    oof = _oof([0.9, 0.8, 0.85, 0.1, 0.2], service=[0.9, 0.1, 0.9, 0.1, 0.1])
    thresholds, tuned = tune_thresholds(oof, [["trust"], ["trust"], ["trust"], [], []], Scheme(tiny_codebook))
    assert list(thresholds[1:]) == [0.5, 0.5, 0.5]
    assert tuned == {"trust"}


def test_a_theme_on_fewer_than_three_coded_passages_is_not_tuned(tiny_codebook):
    """A reviewer's calibration of 12 passages tuned data challenges on the one that carried it: the grid's best
    value is then that passage's score."""
    oof = _oof([0.35, 0.1, 0.1, 0.1], service=[0.3, 0.32, 0.1, 0.1])
    gold = [["trust", "service.referral"], ["service.referral"], [], []]
    thresholds, tuned = tune_thresholds(oof, gold, Scheme(tiny_codebook))
    assert list(thresholds) == [0.5, 0.5, 0.5, 0.5] and tuned == set()


def test_a_dimension_threshold_is_tuned_on_the_dimension_kappa(tiny_codebook):
    # Referral passages have a type probability of 0.3-0.4: the default 0.5 misses them.
    oof = _oof([0.0] * 8, service=[0.35, 0.3, 0.4, 0.38, 0.1, 0.05, 0.1, 0.1])
    gold = [["service.referral"]] * 4 + [[]] * 4
    thresholds, tuned = tune_thresholds(oof, gold, Scheme(tiny_codebook))
    assert 0.1 < thresholds[2] == thresholds[3] <= 0.3
    assert tuned == {"service"}


def test_cross_fitting_never_uses_a_fold_to_tune_its_own_threshold(tiny_codebook):
    # Fold 0 holds the only passages whose trust scores are low; tuned on fold 1 alone the
    # threshold stays high, so fold 0's trust passages are missed: an honest (worse) figure.
    oof = _oof([0.3, 0.3, 0.1, 0.1, 0.9, 0.9, 0.1, 0.1], fold_of=np.array([0, 0, 0, 0, 1, 1, 1, 1]))
    gold = [["trust"], ["trust"], [], [], ["trust"], ["trust"], [], []]
    _, primary = cross_fitted_predictions(oof, gold, Scheme(tiny_codebook))
    assert primary[:2] == ["none", "none"]
    assert primary[4:6] == ["trust", "trust"]


# Ten passages per theme, each two words and a number away from the others: a passage and one that differs by a number
# alone ("built over 10 years", "... 11 years") are one passage written twice (themes.nearcopy), not measured on.
_WHO = ["directors", "nurses", "pastors", "chaplains", "navigators", "boards", "volunteers", "managers", "doctors",
        "elders"]
_WHERE = ["county", "clinic", "church", "school", "shelter", "pantry", "hospital", "library", "office", "market"]
_COSTS = ["rent", "salaries", "vans", "phones", "laptops", "insurance", "training", "fuel", "software", "printing"]
TRUST = [f"Trust between our {who} and the {where}, built over {k + 10} years." for k, (who, where)
         in enumerate(zip(_WHO, _WHERE))]
FUNDING = [f"Grants to the {where} end after {k + 10} years and nobody covers {cost}." for k, (where, cost)
           in enumerate(zip(_WHERE[::-1], _COSTS))]
FOOD = [f"We deliver {k + 10} food boxes a week to {who} at the {where}." for k, (who, where)
        in enumerate(zip(_WHO[::-1], _WHERE))]


def test_calibrate_reports_cross_validated_agreement_with_the_fake_embedder(tiny_codebook):
    embed = embedding_function("test:hashing")
    texts = TRUST + FUNDING + FOOD
    gold = [["trust"]] * 10 + [["funding"]] * 10 + [[]] * 10
    thresholds, report = calibrate(tiny_codebook, texts, gold, embed, folds=5)
    assert report["folds"] == 5 and report["passages"] == 30
    assert report["primary_kappa"] > 0.8
    assert "thresholds tuned inside each fold" in report["summary"]
    assert set(thresholds) == {"trust", "funding"}  # nothing coded for the service dimension: not tuned
    assert report["not_tuned"] == ["service"]


def test_fewer_folds_than_asked_are_said_with_the_theme_that_caps_them(tiny_codebook):
    """60 coded passages were calibrated on 2 folds, the summary saying "2 folds" and no word of why."""
    embed = embedding_function("test:hashing")
    _, report = calibrate(tiny_codebook, TRUST + FUNDING[:3] + FOOD, [["trust"]] * 10 + [["funding"]] * 3 + [[]] * 10,
                          embed, folds=5)
    assert report["folds"] == 3
    # review 178: funding's figures from 3 coded passages were kept in the calibration and every run's manifest
    funding = next(row for row in report["per_theme"] if row["theme"] == "funding")
    assert (funding["kappa"], funding["recall"], funding["few"]) == (None, None, 3)
    assert "(3 folds, not 5: the themes rarest as primary (funding) have 3 coded passages together, and each fold " \
           "needs one; code more that carry them; thresholds tuned inside each fold" in report["summary"]
    _, report = calibrate(tiny_codebook, TRUST + FUNDING + FOOD, [["trust"]] * 10 + [["funding"]] * 10 + [[]] * 10,
                          embed, folds=5)
    assert "(5 folds; thresholds" in report["summary"]


def test_the_codebooks_own_texts_and_passages_coded_again_in_another_fold_are_not_measured_on(tiny_codebook):
    """A coded file of 60 of the codebook's own examples cross-validated to kappa 1.00, no word: every fold learns
    them. A passage coded twice, its copies in two folds, taught the coder that scored the other. Both are left out
    of the figure, and said; the folds and the thresholds are as they were (the shipped calibration reproduces)."""
    from themes.calibrate import measured_passages

    example = tiny_codebook.themes[0].examples[0]
    texts = ["We trust them.", "we TRUST them", "Grants end.", "Grants end", example.upper(), "We share data."]
    mask, examples, repeats = measured_passages(tiny_codebook, texts, np.array([0, 1, 2, 2, 3, 4]))
    assert list(mask) == [False, False, True, True, False, True] and (examples, repeats) == (1, 2)
    embed = embedding_function("test:hashing")
    base = TRUST + FUNDING + FOOD
    gold = [["trust"]] * 10 + [["funding"]] * 10 + [[]] * 10
    thresholds, report = calibrate(tiny_codebook, base + [example], gold + [["trust"]], embed, folds=5)
    assert report["passages"] == 31 and report["measured"] == 30
    assert report["left_out"] == {"codebook_texts": 1, "repeated": 0}
    assert "cross-validated on 30 coded passages (5 folds; thresholds tuned inside each fold; left out of the " \
           "figure: 1 that are the codebook's own texts, which every fold learns):" in report["summary"]
    only = [t.examples[0] for t in tiny_codebook.themes if t.examples] * 6
    learned, report = calibrate(tiny_codebook, only, [[t.id] for t in tiny_codebook.themes if t.examples] * 6, embed)
    assert "primary_kappa" not in report and report["summary"].startswith(
        f"cross-validated agreement not measured: of the {len(only)} coded passages, 0 can be measured on")


def test_a_threshold_the_codebook_sets_is_kept_while_the_others_are_tuned(tiny_codebook):
    """A run uses a theme's own `threshold` over the calibration's; calibration tuned it anyway (trust 0.35 where the
    codebook says 0.30), and the others beside a value the run never uses."""
    book = tiny_codebook.model_copy(update={"themes": [tiny_codebook.themes[0].model_copy(update={"threshold": 0.45}),
                                                       *tiny_codebook.themes[1:]]})
    oof = _oof([0.35, 0.3, 0.4, 0.38, 0.1, 0.1, 0.1, 0.1])
    thresholds, tuned = tune_thresholds(oof, [["trust"]] * 4 + [[]] * 4, Scheme(book))
    assert thresholds[0] == 0.45 and tuned == set()
    thresholds, tuned = tune_thresholds(oof, [["trust"]] * 4 + [[]] * 4, Scheme(tiny_codebook))
    assert thresholds[0] < 0.45 and tuned == {"trust"}
    embed = embedding_function("test:hashing")
    texts = TRUST + FUNDING
    learned, report = calibrate(book, texts, [["trust"]] * 10 + [["funding"]] * 10, embed, folds=5)
    assert "trust" not in learned and report["set_in_codebook"] == {"trust": 0.45}
    assert report["not_tuned"] == ["service"]


def test_calibrate_refuses_too_few_passages(tiny_codebook):
    with pytest.raises(ThemesError, match=r"Calibration needs at least 10 coded passages"):
        calibrate(tiny_codebook, ["a", "b"], [["trust"], []], embedding_function("test:hashing"))


def test_too_few_passages_says_how_many_each_primary_theme_has(tiny_codebook):
    # the folds pool rare classes, so the pooled count (5 here) is not what the coder needs to hear
    gold = [["trust"], ["funding"], [], [], []]
    with pytest.raises(ThemesError, match=r"\(found 5: funding 1, trust 1, none 3\)\. Code more passages\.$"):
        calibrate(tiny_codebook, list("abcde"), gold, embedding_function("test:hashing"))


def test_calibration_file_round_trip_and_discovery(tmp_path, tiny_codebook_path):
    calibration = Calibration(codebook=str(tiny_codebook_path), codebook_hash="abc", model="m", method="logistic",
                              C=4.0, thresholds={"trust": 0.4})
    path = calibration_path(tiny_codebook_path)
    assert path.name == "tiny_codebook.calibration.json"
    assert find_calibration(tiny_codebook_path, None) is None
    save_calibration(calibration, path)
    assert find_calibration(tiny_codebook_path, None) == calibration
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ThemesError, match=r"the calibration file cannot be read .* Run 'themes calibrate' again"):
        find_calibration(tiny_codebook_path, None)
    with pytest.raises(ThemesError, match=r"Calibration file not found: nope.json"):
        find_calibration(tiny_codebook_path, "nope.json")


# A calibration belongs to the codebook's content, not its path ---------------------------------------

def test_a_copied_codebook_finds_its_calibration_by_content(tmp_path, repo_root):
    from themes.calibrate import locate_calibration

    copy = tmp_path / "my_themes.yaml"
    shutil.copy(repo_root / "codebooks" / "rfi_themes.yaml", copy)
    shipped = Calibration.model_validate_json((repo_root / "codebooks" / "rfi_themes.calibration.json").read_text())

    path, where = locate_calibration(copy, None)
    assert path.name == "rfi_themes.calibration.json"
    assert where == f"matched by the codebook's content hash {shipped.codebook_hash}"
    assert find_calibration(copy, None) == shipped


def test_an_edited_copy_says_it_runs_uncalibrated(tmp_path, repo_root):
    from themes.calibrate import locate_calibration
    from themes.codebook import load_codebook

    copy = tmp_path / "my_themes.yaml"
    text = (repo_root / "codebooks" / "rfi_themes.yaml").read_text(encoding="utf-8")
    copy.write_text(text.replace("examples:\n", "examples:\n      - \"A new example about partner trust.\"\n", 1),
                    encoding="utf-8")
    content = load_codebook(copy).content_hash()

    # an edited copy of a shipped codebook (here an example added; a label changed in a QDA tool alike) is said to be
    # one, with how to keep its calibration: kappa fell from 0.93 to 0.68 with no word of why (review 160)
    assert locate_calibration(copy, None) == (None, (
        f"none: no calibration file is beside the codebook or made for its content (hash {content}); it runs "
        "uncalibrated on default thresholds. It is rfi_themes.yaml with trust's examples edited (the same ids): pass "
        "--calibration codebooks/rfi_themes.calibration.json to run with the calibration made before the edit (its "
        "coded passages use these ids), or run 'themes calibrate' again"))
    relabelled = tmp_path / "relabelled.yaml"
    relabelled.write_text(text.replace("label: Resource needs", "label: Resource needs (funding & staff)", 1).replace(
        "label: Trust and relationships", "label: Trust", 1).replace("version: \"1.0\"", "version: \"1.1\"", 1),
        encoding="utf-8")
    assert "It is rfi_themes.yaml with trust's label and resource_needs's label edited (the same ids)" in \
        locate_calibration(relabelled, None)[1]
    own = tmp_path / "own.yaml"  # another codebook: no shipped one's ids
    own.write_text(text.replace("id: trust", "id: relationships", 1).replace("label: Trust and", "label: Bonds and"),
                   encoding="utf-8")
    assert locate_calibration(own, None)[1].endswith("on default thresholds ('themes calibrate' makes one)")
    assert find_calibration(copy, None) is None
    shutil.copy(repo_root / "codebooks" / "rfi_themes.calibration.json", tmp_path / "my_themes.calibration.json")
    path, where = locate_calibration(copy, None)
    assert path == tmp_path / "my_themes.calibration.json" and where.startswith(
        "beside the codebook, but made for other content (codebook hash ")


def test_a_shipped_codebook_named_by_its_name_is_calibrated_only_with_output(tmp_path, monkeypatch):
    """`themes calibrate --gold my_coded.csv` (the README's step) replaced the shipped rfi_themes calibration, inside
    the installed package, that every run of it uses (review 145)."""
    from typer.testing import CliRunner

    from themes.cli import app
    from themes.codebook import shipped_codebooks
    from themes.flows import agreement

    def started(**kwargs):
        raise AssertionError("the calibration was started")

    monkeypatch.setattr(agreement, "calibrate_codebook", started)
    gold = tmp_path / "coded.csv"
    gold.write_text("text,themes\nWe trust them.,trust\nGrants end.,none\n", encoding="utf-8")
    shipped = shipped_codebooks()["rfi_themes"]
    before = shipped.with_suffix(".calibration.json").stat().st_mtime
    result = CliRunner().invoke(app, ["calibrate", "--gold", str(gold), "--model", "test:hashing"])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        f"error: 'rfi_themes' is the shipped codebook rfi_themes, whose calibration every run of it uses: calibrating "
        f"it here would replace that one. Calibrate a copy (cp {shipped.resolve()} my_rfi_themes.yaml; then "
        "--codebook my_rfi_themes.yaml), or save this calibration elsewhere with --output FILE.json and run with "
        "--calibration FILE.json.")
    # by a path to it too (review 147: the help's own example)
    result = CliRunner().invoke(app, ["calibrate", "--gold", str(gold), "--model", "test:hashing", "--codebook",
                                      str(shipped.parent / ".." / shipped.parent.name / shipped.name)])
    assert result.exit_code == 2 and "is the shipped codebook rfi_themes" in result.output.splitlines()[-1]
    assert shipped.with_suffix(".calibration.json").stat().st_mtime == before
    # with --output it goes on to the calibration
    result = CliRunner().invoke(app, ["calibrate", "--gold", str(gold), "--model", "test:hashing", "--output",
                                      str(tmp_path / "mine.calibration.json")])
    assert "the calibration was started" in str(result.exception)


def test_a_run_says_when_its_calibration_learned_mostly_the_runs_own_codings():
    """A calibration learned from a project a person reviewed in part said so at calibrate only (review 145)."""
    from themes.calibrate import Calibration
    from themes.cli import _own_codings_line

    said = ("themes (automatic) 97, Ana Reyes 31; 30 of 40 sources hold no coding of a person's: unless someone "
            "reviewed them, their passages measure the run against itself")
    made = Calibration(codebook="c.yaml", codebook_hash="0" * 16, model="m", method="logistic", C=4.0, thresholds={},
                       gold_file="/x/rev.qdpx",
                       gold_coded_by=said)
    assert _own_codings_line(made) == [f"  calibration learned from rev.qdpx, coded by {said}"]
    assert _own_codings_line(made.model_copy(update={"gold_coded_by": "Ana Reyes 31"})) == []
    assert _own_codings_line(made.model_copy(update={"gold_coded_by": None})) == []

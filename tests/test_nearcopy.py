"""One passage written twice is memory, not agreement: near copies of what the coder learned from are left out of
every agreement figure and of the error rates that correct the counts (a methods reviewer's findings: the calibration's
passages with " too." added read kappa 0.93 as new ones, the codebook's examples with " as well." 0.975)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from themes.calibrate import find_calibration
from themes.codebook import load_codebook
from themes.coding import learned_from
from themes.nearcopy import copies_of, copy_groups, is_copy, words

ROOT = Path(__file__).resolve().parents[1]
PASSAGE = "Our partnership with the hospital works because we meet every month and share data on referrals."


@pytest.mark.parametrize("variant", [
    PASSAGE[:-1] + " too.",                                   # a word added
    PASSAGE.replace("every month", "every week"),             # a word changed
    PASSAGE.replace("with the hospital ", "with hospital "),  # a word dropped
    "• " + PASSAGE, "- " + PASSAGE.upper(),                   # a bullet, capitals
    PASSAGE.replace("we ", "we&nbsp;").replace("data", "d&#97;ta"),  # escaped for the web
    PASSAGE.replace(",", "").replace("because", "because,"),  # punctuation
    PASSAGE + " Funding from the county foundation keeps the navigators on staff.",  # merged with another
    "Our partnership with the hospital works because we meet every month.",          # split from it
])
def test_a_passage_edited_escaped_split_or_merged_is_a_copy(variant):
    assert is_copy(words(variant), words(PASSAGE))


@pytest.mark.parametrize("other", [
    "Our partnership with the clinic struggles because nobody shares data on referrals or outcomes.",
    "We meet every month.",                                   # a short piece of it: no memory worth the name
    "The hospital refers patients to us.",
    "Funding is short.",
])
def test_other_passages_are_not(other):
    assert not is_copy(words(other), words(PASSAGE))


@pytest.mark.parametrize("a, b", [
    ("End hunger in our county.", "End hunger in Pike County."),
    ("Smoking cessation classes and free nicotine replacement therapy.",
     "Smoking cessation counseling and free nicotine replacement therapy."),
    ("We recieve no funding for the partnership.", "We receive no funding for the partnership."),
])
def test_a_word_changed_in_a_short_passage_is_still_a_copy(a, b):
    """A coder's tidied copy of a short training passage changes a word. Counting a changed word only in passages of
    ten words or more (tried, then reverted) let such copies back into the measured sets: a different passage taken
    for a copy costs one measurement, a copy kept in inflates agreement."""
    assert is_copy(words(a), words(b))


def test_copies_of_finds_the_known_text_and_its_near_copies_only():
    known = [PASSAGE, "Not applicable.", "Trust was built over years of showing up."]
    texts = ["not applicable", PASSAGE[:-1] + " as well.", "Trust was built over years of showing up at events.",
             "We need a second van for the mobile pantry.", ""]
    assert copies_of(texts, known).tolist() == [True, True, True, False, False]


def test_copy_groups_join_chains_of_copies_and_exact_repeats():
    texts = [PASSAGE, PASSAGE[:-1] + " too.", PASSAGE[:-1] + " too, and it helps.", "TBD", "tbd.", "Funding is short."]
    groups = copy_groups(texts)
    assert groups[0] == groups[1] == groups[2] and groups[3] == groups[4]
    assert len(set(groups.tolist())) == 3


def test_the_shipped_splits_lose_only_the_passages_that_are_copies():
    """Guard against a rule that takes different passages for copies: of the test split, 9 (7 the same text but for a
    stop or case; "Open a second clinic site on the east side." beside the calibration's "Open a second site on the
    east side."; "See attached annual report." beside "Please see our attached annual report."); of the third-person
    split, none."""
    path = ROOT / "codebooks" / "rfi_themes.yaml"
    codebook, calibration = load_codebook(path), find_calibration(path, None)
    gold = pd.read_csv(ROOT / "data" / "sample_rfi" / "gold.csv")
    test = gold.loc[gold["split"] == "test", "text"].astype(str).tolist()
    learned = learned_from(test, codebook, calibration)
    assert int(learned.sum()) == 9
    assert "Open a second clinic site on the east side." in np.array(test)[learned]
    assert not learned_from(gold.loc[gold["split"] == "third_person", "text"].astype(str).tolist(), codebook,
                            calibration).any()


def test_near_copies_of_the_calibration_are_refused_by_evaluate(tmp_path, monkeypatch):
    """60 calibration passages with " too." added read kappa 0.93 and "No passage of this file was used to train or
    calibrate the classifier"."""
    from themes.settings import RunSettings
    from flows.agreement import evaluate_agreement
    from themes.errors import ThemesError

    path = ROOT / "codebooks" / "rfi_themes.yaml"
    calibration = find_calibration(path, None)
    long = [p for p in calibration.passages if len(words(p.text)) >= 5][:60]  # "Trust." and "Trust too." may differ
    rows = [{"text": p.text.rstrip(".") + " too.", "themes": ";".join(p.themes) or "none"} for p in long]
    gold = tmp_path / "gold.csv"
    pd.DataFrame(rows).to_csv(gold, index=False)
    settings = RunSettings(codebooks=[str(path)], model="test:hashing")
    with pytest.raises(ThemesError, match=r"every passage was used to train or calibrate .*\(e\.g\. --split test\)"):
        evaluate_agreement.fn(str(gold), str(tmp_path / "eval"), settings)
    assert not (tmp_path / "eval").exists()
    # with --split test given already, it does not advise it (review 155)
    pd.DataFrame(rows).assign(split="test").to_csv(gold, index=False)
    with pytest.raises(ThemesError, match="the 'test' rows too, so it was calibrated on them: calibrate on the "
                                          "calibration rows alone"):
        evaluate_agreement.fn(str(gold), str(tmp_path / "eval"), settings, split="test")


def test_near_copies_in_other_folds_are_not_measured_on_in_calibration(tiny_codebook):
    """A coded file of 131 answers and their copies with " too" cross-validated to 0.94 (0.78 with exact copies)."""
    from themes.calibrate import measured_passages

    texts = ["Trust between our directors and the pastors took years.",
             "Trust between our directors and the pastors took years too.",
             "Grants end after two years and nobody covers rent.",
             "Grants end after two years and nobody covers rent, sadly.",
             "We deliver food boxes to elders at the church."]
    mask, examples, repeats = measured_passages(tiny_codebook, texts, np.array([0, 1, 2, 2, 3]))
    assert mask.tolist() == [False, False, True, True, True] and (examples, repeats) == (0, 2)


def test_a_coded_sample_tidied_by_its_coders_is_not_measured_on_by_a_calibration_made_from_it():
    """A run's coded answers, calibrated on a copy of their file where a coder added " too": the run reported kappa 1.00
    and corrected its counts with error rates measured on answers the coder had learned (left out: 0)."""
    from themes.evaluate import without_learned

    path = ROOT / "codebooks" / "rfi_themes.yaml"
    codebook, calibration = load_codebook(path), find_calibration(path, None)
    taught = [p.text for p in calibration.passages if len(words(p.text)) >= 8][:2]
    answers = pd.DataFrame({"respondent_id": ["R1", "R2", "R3"], "question": ["challenges"] * 3,
                            "answer": [taught[0].rstrip(".") + " too.", taught[1].upper(),
                                       "A passage nobody wrote before, about potluck dinners at the senior center."]})
    coded = pd.DataFrame({"respondent_id": ["R1", "R2", "R3"], "question": ["challenges"] * 3,
                          "gold": [["trust"], ["resource_needs"], []]})
    kept = without_learned(answers, coded, [(codebook, calibration)])
    assert kept["respondent_id"].tolist() == ["R3"]

"""A findings report's attribution is left out of what the word features read; respondents' own words are not."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from themes.attribution import without_attribution
from themes.calibrate import find_calibration
from themes.cli import _print_summary
from themes.codebook import load_codebook
from themes.coding import fit_coder, training_texts
from themes.embed import embedding_function

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("text, read", [
    ("One CBO director said that the hospital never calls back.", "The hospital never calls back."),
    ("Several hospital respondents noted that grants end after two years.", "Grants end after two years."),
    ("A food bank respondent said the partnership's goal is dignified access to fresh food.",
     "The partnership's goal is dignified access to fresh food."),
    ("According to one county official, data sharing stalled over consent forms.",
     "Data sharing stalled over consent forms."),
    ("Health plan respondent: funding is year to year and nobody can plan.", "Funding is year to year and nobody can plan."),
    ("A rural clinic reported that referrals arrive by fax and are often lost.", "Referrals arrive by fax and are often lost."),
    ("One respondent hopes the partnership will outlast current leadership.",
     "The partnership will outlast current leadership."),
    ("No data are shared between the partners, per this respondent.", "No data are shared between the partners."),
    ("Referrals arrive through a shared platform, the respondent explained, so clinic staff can see them.",
     "Referrals arrive through a shared platform so clinic staff can see them."),
    ("Funding, as this respondent summarised it, comes from community benefit dollars.",
     "Funding comes from community benefit dollars."),
    ('"We never hear back after a referral," said one CBO director.', '"We never hear back after a referral".'),
])
def test_a_reports_attribution_is_left_out(text, read):
    assert without_attribution(text) == read


@pytest.mark.parametrize("text", [
    "The hospital said they would help, and then nothing happened.",  # a partner speaking in a respondent's answer
    "We said no to the data request.",
    "The health plan expects us to front the costs for 90 days.",
    "Our director said that we should stop chasing small grants.",  # "our": the respondent's own frame
    "A jointly appointed executive director reports to a board made up of all eight partner CEOs.",
    "Quarterly reports to the hospital: number served, services, outcomes.",
    "Landlord liaison program: we recruit landlords to rent to our clients.",
    "One respondent said: yes.",  # nothing would be left to read
    "Trust. Plain and simple.",
])
def test_respondents_own_words_are_read_as_they_are(text):
    assert without_attribution(text) == text


def test_no_shipped_training_text_or_sample_answer_has_a_frame():
    """The shipped models were fitted on these texts as they are (their keys hash what the word features read), and the
    first-person figures of the README are unchanged because none of these has an attribution."""
    texts = []
    for name in ("rfi_themes", "partnership_models"):
        path = ROOT / "codebooks" / f"{name}.yaml"
        texts += training_texts(load_codebook(path), find_calibration(path, None))
    answers = pd.read_csv(ROOT / "data" / "sample_rfi" / "responses.csv", dtype=str)
    texts += [t for column in answers.columns[8:] for t in answers[column].dropna()]
    gold = pd.read_csv(ROOT / "data" / "sample_rfi" / "gold.csv", dtype=str)
    texts += list(gold.loc[gold["split"] == "test", "text"].dropna())
    assert len(texts) > 5000
    assert [t for t in texts if without_attribution(t) != t] == []


def test_the_coder_reads_a_paraphrase_as_the_words_it_reports(tiny_codebook):
    """Its embedding and its word features alike: the paraphrase scores as the plain sentence."""
    embed = embedding_function("test:hashing")
    said = [("One director said that grants end and nobody pays for staff.", ["funding"]),
            ("A director noted that the director of the clinic trusts us.", ["trust"]),
            ("Respondents said the partners said thank you.", [])] * 3
    coder = fit_coder(tiny_codebook, embed, method="logistic", passages=said)
    plain, framed = "Grants end after two years.", "One director said that grants end after two years."
    _, _, scores, _ = coder.code_texts([plain, framed], embed)
    np.testing.assert_allclose(scores[0], scores[1], rtol=1e-6)


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_codes_a_paraphrase_as_the_answer_and_shows_it_as_written(tmp_path, tiny_responses_path, capsys):
    from themes.flows.code_responses import run_flow
    from themes.settings import RunSettings

    plain = "The hospital's legal team took nine months to approve a two-page agreement."
    framed = "One CBO director said that the hospital's legal team took nine months to approve a two-page agreement."
    answers = pd.read_csv(tiny_responses_path, dtype=str)
    twins = answers.iloc[:2].assign(respondent_id=["P1", "P2"], challenges=[plain, framed])
    path = tmp_path / "responses.csv"
    pd.concat([answers, twins]).to_csv(path, index=False)
    settings = RunSettings(codebooks=("codebooks/rfi_themes.yaml", "codebooks/partnership_models.yaml"),
                           model="test:hashing", cache_dir=str(tmp_path / "cache"))
    summary = run_flow(str(path), str(tmp_path / "out"), settings)
    coded = pd.read_csv(tmp_path / "out" / "responses.csv", dtype=str).set_index(["respondent_id", "question"])
    scores = [c for c in coded.columns if c.startswith("score_")]
    assert coded.loc[("P1", "challenges"), scores].tolist() == coded.loc[("P2", "challenges"), scores].tolist()
    segments = pd.read_csv(tmp_path / "out" / "segments.csv", dtype=str)
    assert framed in set(segments["text"])  # shown as written
    # ... and said: in the manifest and in the run's summary.
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["segments_read_without_attribution"] == 1
    _print_summary(summary)
    assert (f"Read 1 of {len(segments)} segments without a report's attribution ('One CBO director said that ...'): "
            "coded as what was said; quotes and evidence show them as written.") in capsys.readouterr().out

    # Evaluation reads the passage as the run did, decides it alike, and says so.
    from themes.flows.agreement import evaluate_agreement

    answers = pd.read_csv(tmp_path / "out" / "responses.csv", keep_default_na=False)
    read = answers[answers["status"].isin(["coded", "uncoded"])]
    themes = [sorted((t for t in codes.split(";") if t and "." not in t), key=lambda t, top=top: t != top)
              for codes, top in zip(read["themes"], read["top_theme"])]
    gold = tmp_path / "gold.csv"
    pd.DataFrame({"text": read["answer"], "question": read["question"],
                  "themes": [";".join(t) or "none" for t in themes]}).to_csv(gold, index=False)
    result = evaluate_agreement(gold_path=str(gold), out=str(tmp_path / "eval"), settings=RunSettings(
        codebook="codebooks/rfi_themes.yaml", model="test:hashing", cache_dir=str(tmp_path / "cache")))
    assert result["disagreements"] == 0 and result["read_without_attribution"] == 1
    assert "1 passage was read without a report's attribution" in (tmp_path / "eval" / "evaluation.md").read_text()


def test_a_paraphrase_of_a_passage_the_coder_learned_from_is_left_out_of_agreement():
    """Read as the coder reads it, "One director said that <a calibration passage>" is that passage: a figure on it
    would be memory, not agreement."""
    from themes.coding import learned_from

    path = ROOT / "codebooks" / "rfi_themes.yaml"
    codebook, calibration = load_codebook(path), find_calibration(path, None)
    learned = calibration.passages[0].text
    framed = "One CBO director said that " + learned[0].lower() + learned[1:]
    texts = [learned, framed, "  " + learned.upper() + " ", "A passage nobody wrote before, about potluck dinners."]
    assert learned_from(texts, codebook, calibration).tolist() == [True, True, True, False]

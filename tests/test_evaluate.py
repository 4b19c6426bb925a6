"""Agreement statistics against hand-computed cases, and reading gold files."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from themes.errors import GoldError
from themes.codebook import load_codebook
from themes.coding import Scheme
from themes.evaluate import NO_QUESTION, NO_QUESTION_TO_LEARN, agreement, cohen_kappa, disagreements, read_gold
from themes.settings import RunSettings

IDS = ["trust", "funding", "service.referral", "service.joint"]


@pytest.fixture
def scheme(tiny_codebook) -> Scheme:
    return Scheme(tiny_codebook)


def test_cohen_kappa_matches_the_hand_computation():
    # 10 items, gold a a a a a b b b b none ; predicted a a a a b b b b none none
    gold = ["a"] * 5 + ["b"] * 4 + ["none"]
    predicted = ["a"] * 4 + ["b"] * 4 + ["none"] * 2
    # observed agreement 8/10; expected: a .5*.4 + b .4*.4 + none .1*.2 = .20+.16+.02 = .38
    expected = (0.8 - 0.38) / (1 - 0.38)
    assert cohen_kappa(gold, predicted) == pytest.approx(expected)


def test_krippendorff_alpha_nominal_matches_the_hand_computation(scheme):
    # Two coders, 4 units: (1,1) (1,1) (2,2) (1,2). Coincidence matrix: o11=4, o22=2, o12=o21=1; n=8.
    # D_o = (1+1)/8 = .25; n1=5, n2=3; D_e = 2*5*3/(8*7) = 30/56. alpha = 1 - .25/(30/56) = 1 - 14/30.
    result = agreement([["trust"], ["trust"], ["funding"], ["trust"]],
                       [["trust"], ["trust"], ["funding"], ["funding"]],
                       ["trust", "trust", "funding", "funding"], scheme)
    assert result["overall"]["primary_alpha"] == pytest.approx(round(1 - 14 / 30, 3))


def test_a_passage_coded_with_a_type_only_has_no_gold_theme_for_any_gold_theme_accuracy(scheme):
    """Review 163: framework codes counted as gold themes, so a passage coded 'service.referral' alone, which the
    model rightly gave no theme, missed; the manifest read any-gold-theme accuracy 0.785 under a primary accuracy of
    0.904, which cannot be."""
    gold = [["service.referral"], ["trust", "service.joint"], ["funding"]]
    result = agreement(gold, [[], ["trust"], ["trust"]], ["none", "trust", "trust"], scheme)["overall"]
    assert result["primary_accuracy"] == result["any_gold_theme_accuracy"] == round(2 / 3, 3)


def test_per_theme_precision_recall_f1_and_confusion(scheme):
    gold = [["trust"], ["trust", "funding"], [], ["funding"]]
    predicted = [["trust"], ["trust"], ["trust"], ["funding"]]
    primary = ["trust", "trust", "trust", "funding"]

    result = agreement(gold, predicted, primary, scheme)

    trust = next(r for r in result["per_theme"] if r["theme"] == "trust")
    funding = next(r for r in result["per_theme"] if r["theme"] == "funding")
    assert (trust["gold"], trust["predicted"], trust["precision"], trust["recall"]) == (2, 3, 0.667, 1.0)
    assert trust["f1"] == 0.8
    assert (funding["precision"], funding["recall"], funding["f1"]) == (1.0, 0.5, 0.667)
    assert result["overall"]["primary_accuracy"] == 0.75  # the none passage was called trust
    assert result["overall"]["exact_match"] == 0.5
    # One mixed passage (trust, then funding): its second theme was missed.
    assert (result["overall"]["mixed_passages"], result["overall"]["later_theme_recall"]) == (1, 0.0)
    confusion = result["confusion"]
    assert confusion.loc["gold none", "predicted trust"] == 1
    assert confusion.loc["gold trust", "predicted trust"] == 2
    assert int(confusion.to_numpy().sum()) == 4


def test_a_theme_no_passage_carries_gets_no_figure(scheme):
    gold = [["trust"], [], ["trust"]]
    result = agreement(gold, [["trust"], [], []], ["trust", "none", "none"], scheme)
    funding = next(r for r in result["per_theme"] if r["theme"] == "funding")
    assert funding["kappa"] is None and funding["recall"] is None and funding["f1"] is None
    assert result["per_dimension"][0]["kappa"] is None  # no passage addresses the dimension
    assert result["overall"]["macro_f1"] == next(r["f1"] for r in result["per_theme"] if r["theme"] == "trust")
    assert (result["overall"]["mixed_passages"], result["overall"]["later_theme_recall"]) == (0, None)
    # ... but its false alarms are errors: the mean counts it 0 (skipped, false alarms raised macro F1)
    flagged = agreement(gold, [["trust"], ["funding"], ["trust", "funding"]], ["trust", "funding", "trust"], scheme)
    assert flagged["overall"]["macro_f1"] == round(next(r["f1"] for r in flagged["per_theme"]
                                                        if r["theme"] == "trust") / 2, 3)


def test_dimension_agreement_counts_types_and_not_addressed(scheme):
    gold = [["service.referral"], ["service.joint"], ["service.joint"], [], [], ["trust"]]
    predicted = [["service.referral"], ["service.referral"], [], [], ["service.joint"], ["trust"]]
    result = agreement(gold, predicted, ["none"] * 5 + ["trust"], scheme)
    row = result["per_dimension"][0]
    assert (row["dimension"], row["gold_addressed"], row["predicted_addressed"]) == ("service", 3, 3)
    assert row["type_accuracy"] == 0.5  # of the 2 passages both addressed, 1 has the coder's type
    assert row["type_accuracy_all_addressed"] == 0.333
    assert row["kappa"] == round(cohen_kappa(["referral", "joint", "joint", "none", "none", "none"],
                                             ["referral", "referral", "none", "none", "joint", "none"]), 3)
    confusion = result["dimension_confusion"]["service"]
    assert confusion.loc["gold joint", "predicted referral"] == 1 and confusion.loc["gold none", "predicted joint"] == 1


def test_a_file_coded_for_themes_and_framework_serves_a_framework_codebook(tmp_path):
    path = tmp_path / "both.csv"
    path.write_text("text,themes,service_model\nWe refer.,trust,referral\nHi.,data_challenges,none\n",
                    encoding="utf-8")
    gold = read_gold(path, load_codebook("codebooks/partnership_models.yaml"))
    assert list(gold["gold"]) == [["service_model.referral"], []]


def test_read_gold_reads_one_column_per_dimension(tmp_path, tiny_codebook):
    path = tmp_path / "framework.csv"
    path.write_text("text,themes,Service model\nWe refer.,none,referral\nOne team.,trust,Joint\nHi.,none,none\n",
                    encoding="utf-8")
    gold = read_gold(path, tiny_codebook)
    assert list(gold["gold"]) == [["service.referral"], ["trust", "service.joint"], []]
    path.write_text("text,service\nWe refer.,referal\n", encoding="utf-8")
    with pytest.raises(GoldError, match=r"framework.csv:2: unknown type 'referal' for dimension 'service'. "
                                        r"Did you mean 'referral'\? Known: referral, joint, none."):
        read_gold(path, tiny_codebook)


def test_a_type_in_the_codes_cell_against_its_dimensions_column_stops_the_read(tmp_path, tiny_codebook):
    """'service_model.joint' in the themes cell and 'referral' in the service_model column: one was not read, with
    no word (a framework codebook reads the column alone, and the first type was taken where both were read)."""
    path = tmp_path / "both.csv"
    path.write_text("text,themes,service\nWe refer.,none,referral\nOne team.,trust;service.joint,referral\n",
                    encoding="utf-8")
    with pytest.raises(GoldError, match=r"^.*both.csv:3: the 'themes' cell codes service.joint and the 'service' "
                                        r"column referral: give a dimension's type in its own column only, and run "
                                        r"again\.$"):
        read_gold(path, tiny_codebook)
    path.write_text("text,themes,service\nOne team.,trust;service.joint,joint\nHi.,none,\n", encoding="utf-8")
    assert list(read_gold(path, tiny_codebook, partly=True)["gold"]) == [["trust", "service.joint"], []]


def test_an_empty_dimension_cell_beside_written_codes_stops_the_read(tmp_path, tiny_codebook):
    """A framework coded for half the rows after the themes on all: read as "not addressed", its empty cells made
    the other half count as not describing the dimension (a reviewer's sample moved 'financial: not described' from
    12% to 50%); dropping those rows threw their finished theme codes away. One line says which row and how to fix
    it. A row with every codes cell empty is not coded yet: left out and counted."""
    path = tmp_path / "half.csv"
    path.write_text("text,themes,service\nWe refer.,none,referral\nOne team.,trust,\nHi.,none,none\n,,\n"
                    "Later.,,\n", encoding="utf-8")
    with pytest.raises(GoldError, match=r"half.csv:3: the 'service' cell is empty while the row's other codes are "
                                        r"written \(1 row like it\)"):
        read_gold(path, tiny_codebook)
    path.write_text("text,themes,service\nWe refer.,none,referral\nHi.,none,none\nLater.,,\n", encoding="utf-8")
    gold = read_gold(path, tiny_codebook)
    assert list(gold["text"]) == ["We refer.", "Hi."] and gold.attrs["not_coded"] == 1
    # A coded sample keeps such a row: its themes count, its framework waits (`uncoded`).
    path.write_text("text,themes,service\nWe refer.,none,referral\nOne team.,trust,\nHi.,none,none\n,,\n"
                    "Later.,,\n", encoding="utf-8")
    gold = read_gold(path, tiny_codebook, partly=True)
    assert list(gold["text"]) == ["We refer.", "One team.", "Hi."] and gold.attrs["not_coded"] == 1
    assert list(gold["uncoded"]) == [(), ("service",), ()]
    from themes.evaluate import coded_for, coded_sample_note

    assert list(coded_for(gold, "service")["text"]) == ["We refer.", "Hi."]
    assert len(coded_for(gold, "themes")) == 3
    assert coded_sample_note(gold, tiny_codebook) == ("some rows leave cells for later, so each part is read on the "
                                                      "rows that code it: service 2")


def test_disagreements_put_the_most_confident_mistakes_first():
    gold = pd.DataFrame({"passage_id": ["p1", "p2", "p3"], "text": ["a", "b", "c"],
                         "gold": [["trust"], [], ["funding"]]})
    scores = np.array([[0.6, 0.1, 0, 0], [0.95, 0.1, 0, 0], [0.1, 0.9, 0, 0]])
    frame = disagreements(gold, [["trust"], ["trust"], ["trust"]], ["trust", "trust", "trust"], scores, IDS)
    assert list(frame["passage_id"]) == ["p2", "p3"]
    assert list(frame["gold"]) == ["none", "funding"]


def test_read_gold_accepts_labels_and_none_and_splits(tmp_path, tiny_codebook):
    path = tmp_path / "gold.csv"
    path.write_text("text,themes,split\nWe trust them.,Trust and relationships,test\n"
                    "Grants end.,\"funding\ntrust\",calibration\nWe serve food.,none,test\n", encoding="utf-8")
    gold = read_gold(path, tiny_codebook)
    assert list(gold["gold"]) == [["trust"], ["funding", "trust"], []]  # a line each (Alt+Enter) is a list too
    assert list(read_gold(path, tiny_codebook, split="test")["text"]) == ["We trust them.", "We serve food."]


def test_a_slash_between_ids_is_a_list_but_not_inside_a_label(tmp_path, tiny_codebook, tiny_codebook_path):
    path = tmp_path / "gold.csv"
    rows = "text,themes\nWe trust them.,trust/funding\nGrants end.,Funding needs / Trust and relationships\nNo.,none\n"
    path.write_text(rows + "Nothing.,trust / fundng\n", encoding="utf-8")
    with pytest.raises(GoldError, match="unknown theme 'fundng'. Did you mean 'funding'"):
        read_gold(path, tiny_codebook)
    path.write_text(rows, encoding="utf-8")
    assert list(read_gold(path, tiny_codebook)["gold"]) == [["trust", "funding"], ["funding", "trust"], []]
    # a label that holds a slash is read whole
    slashed = tmp_path / "slashed.yaml"
    slashed.write_text(tiny_codebook_path.read_text().replace("Trust and relationships", "Trust / relationships"))
    path.write_text("text,themes\nWe trust them.,Trust / relationships\nNo.,none\n", encoding="utf-8")
    assert list(read_gold(path, load_codebook(slashed))["gold"]) == [["trust"], []]


def test_a_label_typed_with_a_combining_accent_is_the_label(tmp_path, tiny_codebook_path):
    """"Confiance — équipe" typed as 'e' and a combining accent (NFD: macOS, some exports) was an unknown theme that
    looked the same as the codebook's label."""
    import unicodedata

    accented = tmp_path / "accented.yaml"
    accented.write_text(tiny_codebook_path.read_text().replace("Trust and relationships", "Confiance — équipe"),
                        encoding="utf-8")
    path = tmp_path / "gold.csv"
    path.write_text(f"text,themes\nWe trust them.,{unicodedata.normalize('NFD', 'Confiance — équipe')}\nNo.,none\n",
                    encoding="utf-8")
    assert list(read_gold(path, load_codebook(accented))["gold"]) == [["trust"], []]


def test_n_a_and_the_instructions_name_for_none_are_none_and_a_label_may_hold_a_comma(tmp_path, tiny_codebook_path):
    """'N/A' in a codes cell said "unknown theme 'n'" (the slash split ran before the words for none), the
    Instructions sheet's own "None of these" was refused, and a label with a comma was cut in two."""
    path = tmp_path / "gold.csv"
    path.write_text("text,themes\nWe serve food.,N/A\nWe cook.,None of these\nWe trust them.,trust\n", encoding="utf-8")
    assert list(read_gold(path, load_codebook(tiny_codebook_path))["gold"]) == [[], [], ["trust"]]
    comma = tmp_path / "comma.yaml"
    comma.write_text(tiny_codebook_path.read_text().replace("Trust and relationships", "Trust, respect and ties"))
    path.write_text("text,themes\nWe trust them.,\"trust, respect and ties; funding\"\nNo.,none\n", encoding="utf-8")
    assert list(read_gold(path, load_codebook(comma))["gold"]) == [["trust", "funding"], []]
    # A label whose parts are each a code ("Funding needs, trust") is read as the codes, as before; across a ";"
    # nothing is joined.
    both = tmp_path / "both.yaml"
    both.write_text(tiny_codebook_path.read_text().replace("Trust and relationships", "Funding needs, trust"))
    path.write_text("text,themes\nWe trust them.,\"Funding needs, trust\"\nNo.,\"trust, respect; and ties\"\n",
                    encoding="utf-8")
    with pytest.raises(GoldError, match="unknown theme 'respect'"):
        read_gold(path, load_codebook(comma))
    path.write_text("text,themes\nWe trust them.,\"Funding needs, trust\"\nNo.,none\n", encoding="utf-8")
    assert list(read_gold(path, load_codebook(both))["gold"]) == [["funding", "trust"], []]


def test_any_split_name_can_be_evaluated_and_the_question_is_kept(tmp_path, tiny_codebook):
    # A set added later as its own split (third-person summaries, say) is read like `test`, in any case.
    path = tmp_path / "gold.csv"
    path.write_text("text,themes,split,question\nWe trust them.,trust,calibration,effective_practices\n"
                    "They said grants end.,funding,Third_Person,challenges\n"
                    "One director said trust took years.,trust,third_person,effective_practices\n", encoding="utf-8")
    for name in ("third_person", "Third_Person"):
        gold = read_gold(path, tiny_codebook, split=name)
        assert list(gold["text"]) == ["They said grants end.", "One director said trust took years."]
        assert list(gold["question"]) == ["challenges", "effective_practices"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("text,themes\nWe trust them.,trusst\n", r"gold.csv:2: unknown theme 'trusst'. Did you mean 'trust'\? "
                                                  r"Known: trust, funding, service.referral, service.joint, none."),
        ("passage,label_x\nWe trust them.,trust\n", r"gold.csv: no column of gold codes; name a column 'themes'"),
        ("id,themes\n1,trust\n", r"no passage text column .* Columns: id, themes."),
        ("text,themes,split\nWe trust them.,trust,test\n", r"no rows with split 'train'. Splits: test."),
        ("text,themes\nWe trust them.,trust; None\n", r"gold.csv:2: 'trust; None' names trust and 'None' at once. "
                                                      r"Write the themes alone, or 'None' alone for a passage"),
        ("text,themes\nWe trust them.,trust\nGrants end.,none\n", r"gold.csv has no 'split' column for --split "
                                                                   r"train to choose rows by; leave out --split"),
    ],
    ids=["unknown-theme", "no-theme-column", "no-text-column", "unknown-split", "themes-and-none", "no-split-column"],
)
def test_read_gold_errors_say_how_to_fix(tmp_path, tiny_codebook, content, message):
    path = tmp_path / "gold.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(GoldError, match=message):
        read_gold(path, tiny_codebook, split="train" if "split" in content or "Grants" in content else None)


def test_read_gold_by_keys_needs_answers_and_matching_keys(tmp_path, tiny_codebook):
    path = tmp_path / "gold.csv"
    path.write_text("respondent_id,question,themes\nR1,challenges,funding\nR9,challenges,trust\n", encoding="utf-8")
    with pytest.raises(GoldError, match="pass the survey export with --input"):
        read_gold(path, tiny_codebook)
    answers = pd.DataFrame({"respondent_id": ["R1"], "question": ["challenges"], "answer": ["Grants end."]})
    with pytest.raises(GoldError, match=r"gold.csv:3: respondent 'R9', question 'challenges' matches no answer"):
        read_gold(path, tiny_codebook, answers=answers)


def test_a_gold_file_that_gives_one_class_is_an_error_not_a_kappa(tmp_path, tiny_codebook):
    # One row with unfamiliar headers: the codes are read, but one class agrees with anything.
    path = tmp_path / "gold.csv"
    path.write_text("Excerpt,Code\nOur directors have trusted each other for ten years.,trust\n", encoding="utf-8")
    with pytest.raises(GoldError, match=re.escape(
            f"{path}: every one of its 1 coded passage(s) has the same codes (trust), so agreement cannot be "
            "measured. Read columns: text 'Excerpt', codes 'Code'; check them and code more passages.")):
        read_gold(path, tiny_codebook)


def _evaluate_printing(monkeypatch, tmp_path, codebook_path, result: dict, gold_text: str) -> str:
    """What `themes evaluate` prints for a flow that returns `result`."""
    from typer.testing import CliRunner

    from themes.cli import app
    from themes.flows import agreement as flow

    monkeypatch.setattr(flow, "evaluate_agreement", lambda **kwargs: result)
    gold = tmp_path / "gold.csv"
    gold.write_text(gold_text, encoding="utf-8")
    out = CliRunner().invoke(app, ["evaluate", "--gold", str(gold), "--codebook", str(codebook_path),
                                   "--out", str(tmp_path / "e")])
    assert out.exit_code == 0, out.output
    return out.output


def test_evaluate_says_which_themes_were_not_measured(monkeypatch, tmp_path, tiny_codebook_path):
    measured = {"theme": "trust", "gold": 8, "predicted": 6, "precision": 1.0, "recall": 0.75, "f1": 0.857,
                "kappa": 0.8, "alpha": 0.8}
    unmeasured = {"theme": "funding", "gold": 0, "predicted": 1, "precision": 0.0, "recall": None, "f1": None,
                  "kappa": None, "alpha": None}
    few = {"theme": "service", "gold": 1, "predicted": 1, "precision": 1.0, "recall": 1.0, "f1": 1.0, "kappa": 0.49,
           "alpha": 0.49}
    from themes.evaluate import with_few_unmeasured

    result = with_few_unmeasured({"overall": {"passages": 10, "primary_kappa": 0.8, "primary_alpha": 0.79,
                                              "macro_f1": 0.857}, "per_theme": [measured, unmeasured, few],
                                  "per_dimension": []})
    assert result["per_theme"][0] == measured  # a theme of five coded passages or more is as measured
    # Review 149: a precision from fewer than five passages the model coded with the theme says nothing either
    assert result["per_theme"][1] == {**unmeasured, "precision": None, "few_predicted": 1}
    result.update(left_out=0, files=["evaluation.md"])
    output = _evaluate_printing(monkeypatch, tmp_path, tiny_codebook_path, result,
                                "text,themes\nWe trust them.,trust\nGrants end.,none\n")
    lines = output.splitlines()
    assert f"  question   {NO_QUESTION}" in lines
    lines = lines[next(k for k, line in enumerate(lines) if line.startswith("Agreement on")):]
    assert lines[2:8] == [
        "trust                        1.000   0.750  0.857  0.800",
        "funding                        n/a     n/a    n/a    n/a",
        "service                        n/a     n/a    n/a    n/a",  # recall 1.000, kappa 0.49 from one coded passage
        "n/a for funding: not measured, no coded passages carry it.",
        "n/a for service (1): not measured, fewer than 5 coded passages carry it (the number in brackets); the macro "
        "F1 above still counts its F1.",
        "precision n/a for funding (1), service (1): the model coded fewer than 5 passages with them (the number in "
        "brackets)."]
    # No theme of five coded passages: no primary kappa, alpha or macro F1 either, as the run records it (review 150:
    # kappa 0.536 and macro F1 0.556 above a table of n/a)
    from themes.evaluate import recorded_agreement

    result = recorded_agreement({"overall": {"passages": 10, "primary_kappa": 0.8, "primary_alpha": 0.79,
                                             "macro_f1": 0.857, "primary_accuracy": 0.8, "exact_match": 0.7,
                                             "mixed_passages": 0, "later_theme_recall": None},
                                 "per_theme": [{**measured, "gold": 4}, unmeasured, few], "per_dimension": []})
    result.update(left_out=0, files=["evaluation.md"], confusion=pd.DataFrame())
    from themes.evaluate import _theme_markdown

    markdown = "\n".join(_theme_markdown(result))
    assert "- Cohen's kappa, primary theme (\"none\" a class): **not measured**" in markdown
    assert "macro F1: not measured" in markdown
    output = _evaluate_printing(monkeypatch, tmp_path, tiny_codebook_path, result,
                                "text,themes\nWe trust them.,trust\nGrants end.,none\n")
    assert "Cohen's kappa (primary theme, 'none' a class) n/a, Krippendorff's alpha n/a, macro F1 n/a" in output
    assert ("n/a for trust (4), service (1): not measured, fewer than 5 coded passages carry them (the number in "
            "brackets); so no theme is measured, nor the primary theme's kappa and alpha, nor the macro F1: code more "
            "passages.") in output


def test_the_few_coded_passages_are_written_as_whole_numbers():
    """per_theme.csv wrote `few` as 1.0 beside the empty cells of the themes measured in full."""
    from flows.agreement import _frame

    table = _frame([{"theme": "trust", "gold": 8, "kappa": 0.8}, {"theme": "service", "gold": 1, "kappa": None,
                                                                   "few": 1}])
    assert table.to_csv(index=False).splitlines() == ["theme,gold,kappa,few", "trust,8,0.8,", "service,1,,1"]


@pytest.mark.parametrize("count, line", [
    (0, None),
    (1, "Read 1 passage without a report's attribution ('One CBO director said that ...'): coded as what was said."),
    (45, "Read 45 passages without a report's attribution ('One CBO director said that ...'): coded as what was said."),
])
def test_evaluate_says_how_many_passages_it_read_without_attribution(monkeypatch, tmp_path, tiny_codebook_path,
                                                                      count, line):
    result = {"overall": {"passages": 2, "primary_kappa": 1.0, "primary_alpha": 1.0, "macro_f1": 1.0},
              "per_theme": [], "per_dimension": [], "left_out": 0, "files": ["evaluation.md"],
              "read_without_attribution": count}
    output = _evaluate_printing(monkeypatch, tmp_path, tiny_codebook_path, result,
                                "text,themes\nOne director said that they trust us.,trust\nGrants end.,none\n")
    said = [text for text in output.splitlines() if "attribution" in text]
    assert said == ([line] if line else [])


def test_an_empty_codes_cell_is_not_coded_yet_not_none(tmp_path, tiny_codebook):
    """A coding workbook half done: its empty cells are left out and counted, 'none' stays a code."""
    path = tmp_path / "gold.csv"
    path.write_text("text,themes\nWe trust them.,trust\nGrants end.,\nWe serve food.,none\nWe share data.,  \n",
                    encoding="utf-8")
    gold = read_gold(path, tiny_codebook)
    assert list(gold["text"]) == ["We trust them.", "We serve food."] and list(gold["gold"]) == [["trust"], []]
    assert gold.attrs["not_coded"] == 2
    path.write_text("text,themes\nWe trust them.,\nGrants end.,\n", encoding="utf-8")
    with pytest.raises(GoldError, match="every 'themes' cell is empty: nothing is coded yet"):
        read_gold(path, tiny_codebook)


@pytest.mark.parametrize("mark", ["NA", "#N/A", "nan", "null", "NA;NA"])
def test_a_programs_mark_for_no_value_in_a_codes_cell_is_not_coded_yet(tmp_path, tiny_codebook, mark):
    """A half-coded sample saved from R (write.csv writes NA in each empty cell) read its 50 uncoded rows as 'none',
    and an estimate came from them with no word (review 145). Said, as empty cells are; 'none' stays a code."""
    from themes.evaluate import gold_announcement

    path = tmp_path / "gold.csv"
    path.write_text(f"text,themes\nWe trust them.,trust\nGrants end.,{mark}\nWe serve food.,none\n"
                    "We share data.,funding\n", encoding="utf-8")
    gold = read_gold(path, tiny_codebook)
    assert list(gold["text"]) == ["We trust them.", "We serve food.", "We share data."]
    assert gold.attrs["not_coded"] == 1
    said = "\n".join(gold_announcement(gold, path))
    assert (f"left out 1 row whose codes cell is empty or '{mark}' (a program's mark for no value) (not coded yet; "
            "write 'none' for a passage with no theme)") in said


def test_a_drawn_passage_is_named_by_its_sample_id(tmp_path, tiny_codebook):
    """disagreements.csv named a re-sorted workbook's passages 'row18', where the draw's S048 stays with the row."""
    path = tmp_path / "gold.csv"
    path.write_text("sample_id,text,themes\nS002,We trust them.,trust\nS001,Grants end.,funding\n", encoding="utf-8")
    assert list(read_gold(path, tiny_codebook)["passage_id"]) == ["S002", "S001"]
    path.write_text("text,themes\nWe trust them.,trust\nGrants end.,funding\n", encoding="utf-8")
    assert list(read_gold(path, tiny_codebook)["passage_id"]) == ["row2", "row3"]
    # a cell to mend is named by its draw's id too, which stays with the row when coders re-sort (review 160)
    path.write_text("sample_id,text,themes\nS002,We trust them.,trust\nS001,Grants end.,fundng\n", encoding="utf-8")
    with pytest.raises(GoldError, match=rf"^{re.escape(str(path))}:3 \(sample_id S001\): unknown theme 'fundng'"):
        read_gold(path, tiny_codebook)


def test_two_types_of_one_dimension_in_a_cell_are_read_as_the_most_integrated_and_said(tmp_path, tiny_codebook):
    """'service_model.referral; service_model.coordinated' was read as coordinated with no word (review 145)."""
    from themes.evaluate import gold_announcement

    path = tmp_path / "gold.csv"
    path.write_text("text,themes\nWe refer and run a joint clinic.,service.referral; service.joint\n"
                    "We trust them.,trust\nWe refer.,service.referral\n", encoding="utf-8")
    gold = read_gold(path, tiny_codebook)
    assert list(gold["gold"])[0] == ["service.referral", "service.joint"]
    assert ("  two types  row 2 service (referral, joint) as joint: a dimension takes one type per answer, so the "
            "most integrated was read, as a run reads an answer's; if a coder slipped, keep one") in \
        gold_announcement(gold, path)
    # in the dimension's own column too (review 147: "unknown type 'referral; coordinated'")
    path.write_text("text,themes,service\nWe refer and run a joint clinic.,none,referral; joint\n"
                    "We trust them.,trust,none\nWe refer.,none,referral\n", encoding="utf-8")
    gold = read_gold(path, tiny_codebook)
    assert list(gold["gold"])[0] == ["service.joint"]
    assert any(line.startswith("  two types  row 2 service (referral, joint) as joint") for line in
               gold_announcement(gold, path))


def test_a_coders_n_a_or_dash_is_none_and_said(tmp_path, tiny_codebook):
    from themes.evaluate import gold_announcement

    path = tmp_path / "gold.csv"
    path.write_text("text,themes\nWe trust them.,trust\nGrants end.,N/A\nWe serve food.,-\nWe cook.,N/A\n",
                    encoding="utf-8")
    gold = read_gold(path, tiny_codebook)
    assert list(gold["gold"]) == [["trust"], [], [], []]
    assert ("  none       2 cells of 'N/A', 1 cell of '-' read as none (no theme); leave a cell empty for an answer "
            "not coded yet") in gold_announcement(gold, path)


@pytest.mark.parametrize("cell", ["TBD", "unsure", "x", "maybe"])
def test_a_code_that_is_no_code_is_not_told_to_be_a_former_id(tmp_path, tiny_codebook, cell):
    """"unknown theme 'TBD' ... list it under that theme in the codebook ('formerly: [tbd]')" (review 145)."""
    path = tmp_path / "gold.csv"
    path.write_text(f"text,themes\nWe trust them.,trust\nGrants end.,{cell}\nWe serve food.,none\n", encoding="utf-8")
    with pytest.raises(GoldError) as error:
        read_gold(path, tiny_codebook)
    assert str(error.value).endswith("It is no code: write the themes' ids (';' between them), 'none' for a passage "
                                     "with no theme, or leave the cell empty for one not coded yet.")
    assert "formerly" not in str(error.value)


def test_a_workbook_drawn_for_another_codebook_says_so(tmp_path, tiny_codebook):
    """A workbook of a researcher's own codebook, evaluated without --codebook (so with the shipped one), was told to
    add 'formerly: [food_access]' to it; its Instructions list the codes it was drawn for (review 145)."""
    path = tmp_path / "coding.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"a": ["Coding sample for Reviewer themes (version 2.0)", None, "id", "trust", "food_access"],
                      "b": [None, None, "name", "Trust", "Food access"]}).to_excel(
            book, sheet_name="Instructions", index=False, header=False)
        pd.DataFrame({"question": ["challenges"] * 3, "answer": ["We trust them.", "No grocer here.", "We share."],
                      "themes": ["trust", "food_access", "none"]}).to_excel(book, sheet_name="Coding", index=False)
    with pytest.raises(GoldError) as error:
        read_gold(path, tiny_codebook)
    assert ("unknown theme 'food_access'. Known: trust, funding, service.referral, service.joint, none (or a theme's "
            "label as the codebook writes it). The workbook's "
            "Instructions list 'food_access': it was drawn for a codebook that has it. Pass that codebook with "
            "--codebook") in str(error.value)


def test_rows_of_other_splits_are_said_and_a_misspelled_one_is_named(tmp_path, tiny_codebook):
    """calibrate read 57 of 59 calibration rows: two were 'calibraton', one had no split, and nothing said so."""
    from themes.evaluate import gold_announcement

    path = tmp_path / "gold.csv"
    path.write_text("text,themes,split\nWe trust them.,trust,calibration\nGrants end.,none,calibraton\n"
                    "We serve food.,none,calibration\nWe share data.,funding,test\nMoney is short.,none,\n",
                    encoding="utf-8")
    gold = read_gold(path, tiny_codebook, split="calibration")
    assert len(gold) == 2
    assert ("  other rows not read: 'calibraton' 1 (is it 'calibration'? fix it to read them), 'test' 1, no split 1 "
            "(write one to read them)") in gold_announcement(gold, path, "calibration")
    assert not any(line.startswith("  other rows") for line in gold_announcement(read_gold(path, tiny_codebook),
                                                                                 path))
    # The other splits' cells are not read: an unknown code there stops nothing, and their empty, 'NA' and 'N/A'
    # cells are not counted as this split's (review 146)
    path.write_text("text,themes,split\nWe trust them.,trust,calibration\nWe serve food.,none,calibration\n"
                    "Grants end.,TBD,test\nMoney is short.,NA,test\nWe cook.,N/A,test\n", encoding="utf-8")
    gold = read_gold(path, tiny_codebook, split="calibration")
    assert len(gold) == 2 and gold.attrs["not_coded"] == 0 and not gold.attrs["none_marks"]
    assert list(gold["passage_id"]) == ["row2", "row3"]


def test_evaluate_announces_what_it_read_before_the_model(monkeypatch, tmp_path, tiny_codebook_path):
    """A coding workbook: its sheet, the columns taken for passages, codes and questions, and the rows not yet
    coded, said before anything slow starts; a wrong code is one line before it."""
    from typer.testing import CliRunner

    from themes.cli import app
    from themes.flows import agreement as flow

    def started(**kwargs):
        raise AssertionError("the flow was started")

    monkeypatch.setattr(flow, "evaluate_agreement", started)
    gold = tmp_path / "coding.xlsx"
    with pd.ExcelWriter(gold) as book:
        pd.DataFrame({"Read me": ["Code each answer."]}).to_excel(book, sheet_name="Instructions", index=False)
        pd.DataFrame({"question": ["challenges"] * 3, "Answer": ["We trust them.", "Grants end.", "We share."],
                      "themes": ["trust", "none", ""]}).to_excel(book, sheet_name="Coding", index=False)
    out = CliRunner().invoke(app, ["evaluate", "--gold", str(gold), "--codebook", str(tiny_codebook_path),
                                   "--out", str(tmp_path / "e")])
    assert out.output.splitlines()[:6] == [
        f"Reading {gold}: 2 coded passages",
        "  sheet      'Coding' (the first with a 'themes' column)",
        "  text       'Answer'",
        "  codes      'themes'",
        "  question   'question'",
        "  not coded  left out 1 row whose codes cell is empty (not coded yet; write 'none' for a passage with no "
        "theme)"]
    assert "the flow was started" in str(out.exception)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("text,themes\nWe trust them.,trsut\nGrants end.,none\n", encoding="utf-8")
    out = CliRunner().invoke(app, ["evaluate", "--gold", str(wrong), "--codebook", str(tiny_codebook_path),
                                   "--out", str(tmp_path / "e")])
    assert out.exit_code == 2 and out.output.startswith(f"error: {wrong}:2: unknown theme 'trsut'")


def test_evaluate_cautions_about_few_passages_only_over_a_figure_it_shows(monkeypatch, tmp_path, tiny_codebook_path):
    """Review 173: 12 passages, every figure n/a, and yet "warning: agreement on 12 passages only ... read it as a
    rough sign" under them."""
    from typer.testing import CliRunner

    from themes.cli import app
    from themes.flows import agreement as flow

    def result(kappa):
        row = {"theme": "trust", "precision": None, "recall": None, "f1": None, "kappa": kappa, "gold": 3, "few": 3,
               "predicted": 2}
        return {"overall": {"passages": 12, "primary_kappa": kappa, "primary_alpha": None, "macro_f1": None},
                "per_theme": [row], "per_dimension": [], "left_out": {}, "files": ["evaluation.md"]}

    gold = tmp_path / "gold.csv"
    gold.write_text("text,themes\nWe trust them.,trust\nGrants end.,none\n", encoding="utf-8")
    command = ["evaluate", "--gold", str(gold), "--codebook", str(tiny_codebook_path), "--out", str(tmp_path / "e")]
    monkeypatch.setattr(flow, "evaluate_agreement", lambda **kwargs: result(None))
    out = CliRunner().invoke(app, command)
    assert out.exit_code == 0 and "passages only" not in out.output, out.output
    monkeypatch.setattr(flow, "evaluate_agreement", lambda **kwargs: result(0.5))
    assert "warning: agreement on 12 passages only" in CliRunner().invoke(app, command).output


def test_calibrate_announces_its_gold_and_stops_on_a_wrong_code_before_the_model(monkeypatch, tmp_path,
                                                                                   tiny_codebook_path):
    from typer.testing import CliRunner

    from themes.cli import app
    from themes.flows import agreement as flow

    def started(**kwargs):
        raise AssertionError("the flow was started")

    monkeypatch.setattr(flow, "calibrate_codebook", started)
    gold = tmp_path / "gold.csv"
    gold.write_text("Excerpt,Code,split\nWe trust them.,trust,calibration\nGrants end.,none,calibration\n"
                    "We share.,trust,test\n", encoding="utf-8")
    out = CliRunner().invoke(app, ["calibrate", "--gold", str(gold), "--codebook", str(tiny_codebook_path)])
    assert out.output.splitlines()[:5] == [f"Reading {gold}, split 'calibration': 2 coded passages",
                                           "  other rows not read: 'test' 1",
                                           "  text       'Excerpt'", "  codes      'Code'",
                                           f"  question   {NO_QUESTION_TO_LEARN}"]  # calibrate learns, evaluate codes
    assert "the flow was started" in str(out.exception)
    gold.write_text("text,themes\nWe trust them.,trsut\nGrants end.,none\n", encoding="utf-8")
    out = CliRunner().invoke(app, ["calibrate", "--gold", str(gold), "--codebook", str(tiny_codebook_path)])
    assert out.exit_code == 2 and out.output.startswith(f"error: {gold}:2: unknown theme 'trsut'")


def test_calibrate_reads_the_split_of_a_coding_workbook_whose_first_sheet_is_its_instructions(monkeypatch, tmp_path,
                                                                                             tiny_codebook_path):
    """Review 155: `themes sample`'s workbook, coded, with a split column added: calibrate read the Instructions
    sheet for the column, found none, and learned from the test rows too."""
    import openpyxl
    from typer.testing import CliRunner

    from themes.cli import app
    from themes.flows import agreement as flow

    monkeypatch.setattr(flow, "calibrate_codebook", lambda **kwargs: (_ for _ in ()).throw(
        AssertionError("the flow was started")))
    gold = tmp_path / "coded.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Instructions"
    book.active.append(["How to code these passages"])
    sheet = book.create_sheet("Passages")
    for row in (["text", "themes", "split"], ["We trust them.", "trust", "calibration"],
                ["Grants end.", "none", "calibration"], ["We share.", "trust", "test"]):
        sheet.append(row)
    book.save(gold)
    out = CliRunner().invoke(app, ["calibrate", "--gold", str(gold), "--codebook", str(tiny_codebook_path)])
    assert out.output.splitlines()[:2] == [f"Reading {gold}, split 'calibration': 2 coded passages",
                                           "  other rows not read: 'test' 1"]


@pytest.mark.parametrize("content", ["", "text,themes\n"])
def test_an_empty_gold_file_says_what_a_coded_file_holds(tmp_path, tiny_codebook, content):
    path = tmp_path / "gold.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(GoldError, match=re.escape(f"{path} holds no coded passages. A coded file has a header such "
                                                  "as 'text,themes' and one row per passage")):
        read_gold(path, tiny_codebook)


def test_calibrate_looks_up_passages_given_by_key_in_the_input(monkeypatch, tmp_path, tiny_codebook_path,
                                                               tiny_responses_path):
    from typer.testing import CliRunner

    from themes.cli import app
    from themes.flows import agreement as flow

    given = {}

    def started(**kwargs):
        given.update(kwargs)
        raise AssertionError("the flow was started")

    monkeypatch.setattr(flow, "calibrate_codebook", started)
    gold = tmp_path / "keys.csv"
    gold.write_text("respondent_id,question,themes\nR1,challenges,trust\nR2,challenges,none\n", encoding="utf-8")
    out = CliRunner().invoke(app, ["calibrate", "--gold", str(gold), "--codebook", str(tiny_codebook_path),
                                   "--input", str(tiny_responses_path)])
    assert out.output.splitlines()[:2] == [f"Reading {gold}: 2 coded passages",
                                           "  text       looked up by 'respondent_id' + 'question'"]
    assert given["input_path"] == str(tiny_responses_path)
    assert not any(line.startswith("  input ") for line in out.output.splitlines())
    # A file that holds its passages (a coding workbook's 'answer' column): --input is not used, and says so.
    gold.write_text("respondent_id,question,answer,themes\nX1,challenges,We trust them.,trust\n"
                    "X2,challenges,Grants end.,none\n", encoding="utf-8")
    out = CliRunner().invoke(app, ["calibrate", "--gold", str(gold), "--codebook", str(tiny_codebook_path),
                                   "--input", str(tiny_responses_path)])
    assert (f"  input      {tiny_responses_path} not used: the passages are the file's 'answer' column (--input "
            "looks up passages named only by respondent_id + question)") in out.output.splitlines()


def test_what_a_coded_file_codes_is_recorded(tmp_path, tiny_codebook):
    """The themes column alone codes the themes; a type written in it ('service.joint') codes the framework too."""
    from themes.evaluate import read_coded_sample

    answers = pd.DataFrame({"respondent_id": ["R1", "R2"], "question": ["q1"] * 2,
                            "answer": ["We trust them.", "Grants end."]})
    path = tmp_path / "coded.csv"
    path.write_text("respondent_id,question,themes\nR1,q1,trust\nR2,q1,none\n", encoding="utf-8")
    coded = read_coded_sample(path, tiny_codebook, answers)
    assert (coded.attrs["themes_coded"], coded.attrs["coded_dimensions"]) == (True, [])
    path.write_text("respondent_id,question,themes\nR1,q1,trust;service.joint\nR2,q1,none\n", encoding="utf-8")
    assert read_coded_sample(path, tiny_codebook, answers).attrs["coded_dimensions"] == ["service"]
    # headers retyped ("Respondent ID", "Question", "Sample-ID"): the keys all the same (review 176: "passages
    # without them")
    path.write_text("Question,Themes,Respondent ID,Sample-ID\nq1,trust,R1,S001\nq1,none,R2,S002\n", encoding="utf-8")
    coded = read_coded_sample(path, tiny_codebook, answers)
    assert list(coded["respondent_id"]) == ["R1", "R2"] and coded.attrs["sample_ids"] == ["S001", "S002"]
    path.write_text("text,themes\nWe trust them.,trust\nGrants end.,none\n", encoding="utf-8")
    with pytest.raises(GoldError, match="a coded sample names each answer by 'respondent_id' and 'question'"):
        read_coded_sample(path, tiny_codebook, answers)
    # a draw of themes sample with its keys deleted is told to put them back, not to use evaluate (review 145)
    path.write_text("sample_id,answer,themes\nS001,We trust them.,trust\nS002,Grants end.,none\n", encoding="utf-8")
    with pytest.raises(GoldError, match=r"its sample_ids are a draw of themes sample's, but its 'respondent_id' and "
                                        r"'question' columns are gone.* Put them back from the file the draw wrote"):
        read_coded_sample(path, tiny_codebook, answers)


def test_evaluate_says_which_questions_it_reads_as_the_calibrations(monkeypatch, tmp_path):
    """A gold file that words its questions is coded with the calibration question each names, and says so."""
    from typer.testing import CliRunner

    from themes.cli import app
    from themes.flows import agreement as flow

    monkeypatch.setattr(flow, "evaluate_agreement", lambda **kwargs: (_ for _ in ()).throw(
        AssertionError("the flow was started")))
    gold = tmp_path / "gold.csv"
    gold.write_text("text,themes,question\nWe trust them.,trust,What challenges hold the partnership back?\n"
                    "Grants end.,none,Q3\n", encoding="utf-8")
    out = CliRunner().invoke(app, ["evaluate", "--gold", str(gold), "--codebook", "rfi_themes",
                                   "--out", str(tmp_path / "e")])
    lines = [line for line in out.output.splitlines() if line.startswith("  questions  ")]
    assert lines[0] == ("  questions  read as the calibration's: 'What challenges hold the partnership back?' as "
                        "'challenges'")
    assert lines[1].startswith("  questions  'Q3' not among the calibration's (")
    assert "Write the calibration's names in the question column, or calibrate" in lines[1]  # evaluate has no option


def test_a_coded_sample_shows_no_agreement_for_what_it_does_not_code(tiny_codebook):
    """A sample coded for the themes alone: the framework's answers all read "not addressed" in it, so a kappa
    per dimension would be measured against nothing."""
    from themes.coding import Scheme
    from themes.evaluate import run_agreement

    answers = pd.DataFrame({"respondent_id": ["R1", "R2", "R3", "R4"], "question": ["q"] * 4,
                            "themes": ["trust;service.joint", "funding", "", "trust"],
                            "top_theme": ["trust", "funding", "", "trust"]})
    coded = pd.DataFrame({"respondent_id": ["R1", "R2", "R3", "R4"], "question": ["q"] * 4,
                          "gold": [["trust"], ["funding"], [], ["funding"]]})
    coded.attrs.update(themes_coded=True, coded_dimensions=[])
    result = run_agreement(answers, coded, Scheme(tiny_codebook), "coded.csv")
    assert [r["theme"] for r in result["per_theme"]] == ["trust", "funding"] and result["per_dimension"] == []
    coded.attrs.update(coded_dimensions=["service"])
    assert [r["dimension"] for r in run_agreement(answers, coded, Scheme(tiny_codebook), "c.csv")["per_dimension"]] \
        == ["service"]
    # Rows that leave the framework for later: its agreement is on the rows that code it, the themes' on all.
    coded["uncoded"] = [(), (), ("service",), ("service",)]
    result = run_agreement(answers, coded, Scheme(tiny_codebook), "c.csv")
    assert result["overall"]["passages"] == 4 and [r["passages"] for r in result["per_dimension"]] == [2]


def test_a_runs_agreement_leaves_out_answers_the_classifier_learned_from(tiny_codebook):
    """A coded answer identical to a codebook example was counted in the run's agreement ('on 600 answers'),
    where themes evaluate leaves such passages out: on them it is memory, not agreement."""
    from themes.coding import Scheme
    from themes.evaluate import run_agreement
    from themes.export import sample_agreement_summary

    example = tiny_codebook.themes[0].examples[0]
    answers = pd.DataFrame({"respondent_id": ["R1", "R2", "R3", "R4"], "question": ["q"] * 4,
                            "answer": [example.upper(), "Money is short.", "We meet.", "We trust them."],
                            "themes": ["trust", "funding", "", "trust"],
                            "top_theme": ["trust", "funding", "", "trust"]})
    coded = pd.DataFrame({"respondent_id": ["R1", "R2", "R3", "R4"], "question": ["q"] * 4,
                          "gold": [["trust"], ["funding"], [], ["funding"]]})
    result = run_agreement(answers, coded, Scheme(tiny_codebook), "coded.csv", [(tiny_codebook, None)])
    assert (result["answers"], result["left_out_learned"]) == (3, 1)
    assert "(coded.csv, less 1 whose text the classifier learned from" in sample_agreement_summary(result)
    assert run_agreement(answers, coded, Scheme(tiny_codebook), "coded.csv")["answers"] == 4
    # Curly quotes and a final stop do not make a learned text new (kappa 0.98 on a calibration's own passages).
    answers.loc[0, "answer"] = example.replace("'", "\u2019").rstrip(".") + " "
    assert run_agreement(answers, coded, Scheme(tiny_codebook), "coded.csv", [(tiny_codebook, None)])[
        "left_out_learned"] == 1
    # Every coded answer learned from: said, not "on 0 answers ...: ." (the report's method section).
    every = run_agreement(answers.iloc[:1], coded.iloc[:1], Scheme(tiny_codebook), "coded.csv",
                          [(tiny_codebook, None)])
    assert sample_agreement_summary(every) == (
        "none measured on this survey: all 1 answers of its coded sample (coded.csv) are texts the classifier "
        "learned from (codebook examples or calibration passages, or copies of them), and on those it would be memory, "
        "not agreement.")


def test_calibrate_says_which_calibration_it_replaced_and_how_a_run_finds_the_new_one(monkeypatch, tmp_path,
                                                                                       tiny_codebook_path, repo_root):
    """Calibrating on a small test file silently replaced the calibration beside the codebook, and a file saved
    elsewhere was said to be used by 'themes run' though a run finds only the one beside the codebook."""
    import shutil

    from typer.testing import CliRunner

    from themes.cli import app
    from themes.flows import agreement as flow

    codebook = tmp_path / "book.yaml"
    shutil.copy(tiny_codebook_path, codebook)
    beside = tmp_path / "book.calibration.json"
    shutil.copy(repo_root / "codebooks" / "rfi_themes.calibration.json", beside)

    def saved(**kwargs):
        path = kwargs["output"] or str(beside)
        return {"path": path, "vectors": "v.npz", "models": "m.pkl", "thresholds": {"trust": 0.5},
                "report": {"passages": 2, "summary": "cross-validated"}}

    monkeypatch.setattr(flow, "calibrate_codebook", saved)
    gold = tmp_path / "gold.csv"
    gold.write_text("text,themes\nWe trust them.,trust\nGrants end.,none\n", encoding="utf-8")
    out = CliRunner().invoke(app, ["calibrate", "--gold", str(gold), "--codebook", str(codebook)])
    lines = out.output.splitlines()
    assert lines[-2].startswith(f"Saved {beside}; 'themes run' with this codebook now uses it.")
    assert lines[-1].startswith("It replaced the calibration that was there: 2455 passages of gold.csv, split "
                                "calibration, cross-validated kappa 0.82, made 2026-")
    elsewhere = tmp_path / "trial.calibration.json"
    out = CliRunner().invoke(app, ["calibrate", "--gold", str(gold), "--codebook", str(codebook), "--output",
                                   str(elsewhere)])
    assert out.output.splitlines()[-1].startswith(f"Saved {elsewhere}; 'themes run --calibration {elsewhere}' uses it")


def test_calibrating_a_copy_of_a_shipped_codebook_says_the_shipped_calibration_it_takes_the_place_of(
        monkeypatch, tmp_path, repo_root):
    """Review 173: a copy of rfi_themes ran with the shipped calibration (2,455 passages, found by its content);
    calibrating it on 60 passages said only "Saved", and the copy's agreement fell from 0.83 to 0.68."""
    import shutil

    from typer.testing import CliRunner

    from themes.cli import app
    from themes.flows import agreement as flow

    codebook = tmp_path / "my_rfi_themes.yaml"
    shutil.copy(repo_root / "codebooks" / "rfi_themes.yaml", codebook)
    beside = tmp_path / "my_rfi_themes.calibration.json"
    monkeypatch.setattr(flow, "calibrate_codebook", lambda **kwargs: {
        "path": str(beside), "vectors": "v.npz", "models": "m.pkl", "thresholds": {"trust": 0.5},
        "report": {"passages": 60, "summary": "cross-validated"}})
    gold = tmp_path / "gold60.csv"
    gold.write_text("text,themes\nWe trust them.,trust\nGrants end.,resource_needs\n", encoding="utf-8")
    out = CliRunner().invoke(app, ["calibrate", "--gold", str(gold), "--codebook", str(codebook)])
    assert out.output.splitlines()[-1].startswith(
        "It takes the place of the shipped calibration that runs of this codebook used until now, found by its "
        "content: 2455 passages of gold.csv, split calibration, cross-validated kappa 0.82, made 2026-"), out.output
    assert out.output.splitlines()[-1].endswith(f"To go back to it, delete {beside}; to learn from its passages too, "
                                                "add the coded passages it learned from (gold.csv) to your coded file.")


def test_a_coded_sample_that_codes_an_answer_twice_is_one_line_for_calibrate_and_evaluate_too(tmp_path, tiny_codebook,
                                                                                              tiny_responses_path):
    """`themes run --coded-sample` refused it; calibrate learned the answer twice and evaluate counted it twice."""
    from themes.ingest import InputSpec, load_answers

    answers, _, _ = load_answers(tiny_responses_path, InputSpec())
    path = tmp_path / "coded.csv"
    path.write_text("respondent_id,question,themes\nR1,challenges,funding\nR2,challenges,none\n"
                    "R1,challenges,trust\n", encoding="utf-8")
    with pytest.raises(GoldError) as raised:
        read_gold(path, tiny_codebook, answers=answers.assign(answer=answers["answer_raw"]))
    assert str(raised.value) == (f"{path}: respondent 'R1', question 'challenges' is coded twice (rows 2 and 4); "
                                 "code each answer once.")


def test_a_passage_coded_twice_with_other_codes_is_one_line(tmp_path, tiny_codebook):
    """Review 173: two coders' files pasted together (text and codes, no respondent ids): evaluate counted both
    codings (kappa 0.60 on 150 passages, no word) and calibrate learned both."""
    path = tmp_path / "gold.csv"
    path.write_text("question,text,themes\nchallenges,Grants end after two years and we lose staff.,funding\n"
                    "practices,We trust the county staff.,trust\nchallenges,Nothing else to add.,none\n"
                    "challenges,Grants  end after two years and we lose STAFF.,none\n"
                    "practices,We trust the county staff.,trust\n", encoding="utf-8")
    with pytest.raises(GoldError) as raised:
        read_gold(path, tiny_codebook)
    assert str(raised.value) == (f"{path}: 1 passage is coded twice with other codes (rows 2 and 5), as two coders' "
                                 "codings pasted together are: agreement would count both and calibration learn both. "
                                 "Keep one row per passage with the codes the coders agreed on.")
    # a short answer under two questions, or without questions: read as before; the same codes twice: read once
    # (review 178)
    path.write_text("question,text,themes\nchallenges,Funding.,funding\npractices,Funding.,none\n"
                    "practices,We trust the county staff.,trust\npractices,We trust the county staff.,trust\n"
                    "practices,Same as above.,trust\npractices,Same as above.,none\n", encoding="utf-8")
    assert len(read_gold(path, tiny_codebook)) == 5  # review 175: "Same as above." is coded by its context
    path.write_text("text,themes\nFunding.,funding\nFunding.,none\nWe trust them.,trust\n", encoding="utf-8")
    assert len(read_gold(path, tiny_codebook)) == 3


def test_a_workbook_with_no_codes_column_on_any_sheet_says_which_sheet_was_read(tmp_path, tiny_codebook):
    """The coding sheet was left out of the workbook: the error listed the Instructions sheet's columns alone."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Instructions"
    book.active.append(["id", "name", "definition"])
    book.active.append(["trust", "Trust", "Relationships between partners"])
    book.create_sheet("Notes").append(["note"])
    path = tmp_path / "coded.xlsx"
    book.save(path)
    with pytest.raises(GoldError) as raised:
        read_gold(path, tiny_codebook)
    assert str(raised.value).endswith("Columns: id, name, definition (no sheet has one; read the first, "
                                      "'Instructions', of 'Instructions', 'Notes': a coding workbook's codes are on "
                                      "its Coding sheet).")


def test_a_coded_answer_copied_de_identified_is_the_same_answer():
    """A coder's copy of an answer may be de-identified ("Call [name] at [phone] or [email]."): the same answer,
    not one of another export, which past a tenth of the sample stops the run."""
    from themes.evaluate import text_mismatch

    usable = pd.DataFrame({"respondent_id": ["R1", "R2"], "question": ["q", "q"],
                           "answer": ["Call Maria Lopez at 617-555-0111 or mlopez@example.org.", "We share data."]})
    coded = pd.DataFrame({"respondent_id": ["R1", "R2"], "question": ["q", "q"],
                          "text": ["Call [name] at [phone] or [email].", "Funding ends in June."]})
    coded.attrs["read"] = {"text": "'answer'"}
    error, warning = text_mismatch(coded, "coded.csv", usable)
    assert error is None and warning.startswith("coded.csv: 1 of 2 coded answers' text") and "'R2'" in warning


def test_a_coded_answer_extended_since_the_draw_is_not_the_same_answer():
    """An answer given a sentence in a later export ("... Funding ends in June.") read as the coded one: a prefix
    of 20 characters or a difflib ratio of 0.8 was enough, so the added sentence's themes were missing from its
    codes with no word. Typos a coder fixed, curly quotes and a cell cut at Excel's limit are still the same."""
    from themes.evaluate import _same_text

    drawn = "Trust built over many years of working side by side with the clinic's outreach staff."
    assert not _same_text(drawn, drawn + " Funding ends in June.")
    assert not _same_text(drawn + " Funding ends in June.", drawn)  # a sentence cut since
    assert not _same_text(drawn, drawn.replace("many years", "many years, though funding ends in June,"))
    assert _same_text(drawn.replace("years", "yeras").replace("side by", "side-by"), drawn)
    assert _same_text(drawn.replace("'", "\u2019"), drawn)
    assert _same_text("Call [name] at [phone].", "Call Maria Lopez at [phone].")
    assert _same_text(drawn[:40] + "\u2026", drawn) and not _same_text(drawn[:40], drawn)
    assert not _same_text("Funding.", "Trust.")
    # The same answer still (a second review): another Unicode form, a final stop, a cut marked "...", Excel's
    # cut with no mark, and a coder's copy with each of several names written '[name]'
    import unicodedata

    accents = "Café résumé naïve coördination matters for us here."
    assert _same_text(unicodedata.normalize("NFD", accents), accents)
    assert _same_text("Yes", "yes.") and _same_text("Funding.", "Funding")
    assert _same_text((drawn * 3)[:240] + "...", drawn * 3)
    long = "We need staff and money for the clinic. " * 1000
    assert _same_text(long[:32_767], long) and not _same_text(long[:20_000], long)
    named = "Dr. Okafor and Okafor's team call us every week about the referrals we send them."
    assert _same_text("[name] and [name] team call us every week about the referrals we send them.", named)
    assert not _same_text("[name] and [name] team call us every week.", named)
    # ... and not the same (a third review): a respondent's own "but...", a '[name]' standing for "the clinic"
    # beside another change, answers of punctuation alone
    assert not _same_text("I liked the program but...", "I liked the program but the hours were too short.")
    assert not _same_text("I would recommend [name] to anyone", "I would never recommend the clinic to anyone")
    assert not _same_text("...", "!!!")
    assert not _same_text("I do not like it", "I do like it") and not _same_text("[name] helped us",
                                                                                 "They never helped us")


def test_a_coded_sample_with_every_theme_on_most_answers_is_a_warning():
    """119 of 120 answers coded with all five themes gave "about 100% (98-100%)" for each theme, with no word."""
    from themes.evaluate import codes_everything

    codebook = load_codebook("codebooks/rfi_themes.yaml")
    ids = [theme.id for theme in codebook.themes]
    pasted = pd.DataFrame({"gold": [ids] * 30 + [[ids[0]]] * 10})
    said = codes_everything(pasted, codebook, "coded.csv")
    assert said.startswith("coded.csv: 30 of its 40 coded answers carry every one of the 5 themes")
    assert codes_everything(pd.DataFrame({"gold": [ids] * 10 + [[ids[0]]] * 30}), codebook, "coded.csv") is None


def test_themes_the_run_hardly_agrees_on_are_named():
    """A sample coded 'none' but once per theme gave trust 2% where 64% were flagged, and nothing said that the
    run and the coders disagree. One or two coded cases are chance, and a theme not measured has no kappa."""
    from themes.evaluate import disagreeing_parts

    agreement = {"file": "coded.csv", "per_theme": [
        {"theme": "trust", "kappa": 0.03, "gold": 12}, {"theme": "funding", "kappa": 0.71, "gold": 40},
        {"theme": "rare", "kappa": 0.0, "gold": 1}, {"theme": "unseen", "kappa": None, "gold": 0}],
        "per_dimension": [{"dimension": "governance", "kappa": 0.11, "gold_addressed": 9}]}
    said = disagreeing_parts(agreement)
    assert said.startswith("coded.csv: the run hardly agrees with its codes (kappa trust 0.03, governance 0.11)")
    agreement["per_theme"][0]["kappa"] = -0.002  # near nothing: "0.00", not "-0.00"
    assert disagreeing_parts(agreement).startswith("coded.csv: the run hardly agrees with its codes (kappa trust 0.00,")
    assert said.endswith("Check that the sample was coded with this codebook's definitions before reporting them.")
    # under 0.4 ("fair"): said too, as poor agreement (a program officer read governance 0.0 for the nonprofits where
    # 12 were flagged, kappa 0.22 in the method section only)
    agreement["per_theme"][0]["kappa"], agreement["per_dimension"][0]["kappa"] = 0.5, 0.22
    assert disagreeing_parts(agreement) == (
        "coded.csv: the run agrees poorly with its codes (kappa governance 0.22); those estimates rest on the coders' "
        "codes more than on the run's flags, so a group's figure can read 0 where some of its respondents were "
        "flagged: read them as rough. Code more answers that carry them to narrow their intervals.")
    # counts left raw (too few coded answers): the warning speaks of the flags, not of estimates there are none of
    assert disagreeing_parts(agreement, estimated=False) == (
        "coded.csv: the run agrees poorly with its codes (kappa governance 0.22); the counts stay raw here, and the "
        "machine's flags of those themes are not what the coders would code: check that the sample was coded with "
        "this codebook's definitions, and read those counts with care.")
    # for the report's readers: labels and plain words (review 149: ids, "the run" and "flags")
    agreement["per_theme"][0]["kappa"] = 0.1
    labels = {"trust": "Trust between partners", "governance": "Governance"}
    assert disagreeing_parts(agreement, labels=labels) == (
        "Checked against human coders (coded.csv), the tool's coding hardly agrees with theirs on Trust between "
        "partners and Governance (Cohen's kappa 0.10, 0.22; 1 is full agreement, 0 no better than chance). Those "
        "figures lean on the coders' judgement more than on the tool's: read them as rough; a group can read 0% where "
        "some of its respondents' answers were flagged.")
    agreement["per_theme"][0]["kappa"], agreement["per_dimension"][0]["kappa"] = 0.4, 0.5
    assert disagreeing_parts(agreement) is None


def test_counts_are_estimated_when_any_method_corrects_them():
    from themes.evaluate import counts_estimated

    raw = ["raw (no coded sample)", "not estimated: 70 coded answers (at least 100 are needed)"]
    assert not counts_estimated(pd.DataFrame({"method": raw}))
    assert counts_estimated(pd.DataFrame({"method": [*raw, "bayesian"]}))
    assert not counts_estimated(pd.DataFrame({"theme": ["trust"]}))


def test_a_coded_sample_that_skips_questions_a_random_one_would_reach_is_a_warning():
    """A sample of 162 answers coded for two questions of eight gave all eight an interval, with no word."""
    from themes.evaluate import questions_left_out

    usable = pd.DataFrame({"respondent_id": [f"R{k}" for k in range(400)],
                           "question": [f"q{k % 8}" for k in range(400)]})
    two = usable[usable["question"].isin(["q0", "q1"])].head(60)
    said = questions_left_out(two, "coded.csv", usable)
    assert said.startswith("coded.csv: none of its 60 coded answers is to 'q2', 'q3', 'q4', 'q5', 'q6' and 1 more, "
                           "where a random sample of that size would hold some of each (6 of 8 questions)")
    assert questions_left_out(usable.sample(60, random_state=1), "coded.csv", usable) is None
    # 20 coded answers would hold 2.5 of each question on average: one missing is chance, not a choice
    assert questions_left_out(usable[usable["question"] != "q7"].head(20), "coded.csv", usable) is None


def test_rows_deleted_from_the_draw_are_a_warning(tmp_path, tiny_codebook):
    """A coder deleted S009 from the coding workbook and the estimate read the 59 rows left with no word: rows
    deleted for being hard to code are not a random few. Gaps in `themes sample`'s numbering say which."""
    from themes.evaluate import draw_rows_missing, read_coded_sample

    def write(name: str, numbers) -> Path:
        rows = ["sample_id,respondent_id,question,text,themes"] + [
            f"S{k:03d},R{k},q,Answer {k}.,{'trust' if k % 2 else 'none'}" for k in numbers]
        (tmp_path / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
        return tmp_path / name

    gone = read_coded_sample(write("coded.csv", [k for k in range(1, 13) if k not in (4, 7, 8)]), tiny_codebook, None)
    assert draw_rows_missing(gone, "coded.csv") == (
        "coded.csv: 3 rows of the draw are missing (S004, S007-S008; its sample_ids run S001-S012). The estimate "
        "reads the rows left as a random sample: answers deleted for being hard to code, or off-topic, lean the "
        "corrected counts. Put the rows back and code them ('none' where an answer has no theme). Rows left out for "
        "being of respondents this input does not hold (a sample of the whole survey, a run on part of it) are no "
        "loss: the rows left are a random sample of its answers still.")
    assert "1 row of the draw is missing (S001; its sample_ids run S001-S012; if they are a file of the sample, " \
           "give it too)" in draw_rows_missing(read_coded_sample(write("first.csv", range(2, 13)), tiny_codebook,
                                                                 None), "first.csv")
    # a file of a sample grown with --exclude left out: one block, the file named as the likely cause
    files = [write("a.csv", range(1, 7)), write("c.csv", range(19, 25))]
    assert "12 rows of the draw are missing (S007-S018; its sample_ids run S001-S024; if they are a file of the " \
           "sample, give it too)" in draw_rows_missing(read_coded_sample(files, tiny_codebook, None), files)
    # whole draws, a later draw alone, and ids of the coders' own making say nothing
    assert draw_rows_missing(read_coded_sample(write("whole.csv", range(1, 13)), tiny_codebook, None), "x") is None
    assert draw_rows_missing(read_coded_sample(write("later.csv", range(301, 313)), tiny_codebook, None), "x") is None
    own = read_coded_sample(write("own.csv", range(1, 13)), tiny_codebook, None)
    for ids in (["first", "second", "S3"], ["R001", "R001", "R006"], ["2", "3", "5"]):  # respondents, sheet rows
        own.attrs["sample_ids"] = ids
        assert draw_rows_missing(own, "x") is None


def test_agreement_on_few_passages_comes_with_a_caution():
    from themes.evaluate import few_passages_note

    assert few_passages_note(3) == ("agreement on 3 passages only: one passage more or less moves it far, so read it "
                                    "as a rough sign; measure on 50 or more (100 or more to report it)")
    assert few_passages_note(1).startswith("agreement on 1 passage only") and few_passages_note(50) is None


def test_no_primary_kappa_where_no_theme_has_the_coded_answers_to_be_measured():
    """A coded sample of 5 answers printed "Cohen's kappa of the primary theme 1.00" beside every theme not measured."""
    from themes.export import sample_agreement_summary

    themes = [{"theme": "trust", "kappa": 1.0, "gold": 2}, {"theme": "funding", "kappa": 1.0, "gold": 1}]
    result = {"answers": 5, "file": "coded.csv", "overall": {"primary_kappa": 1.0}, "per_theme": themes,
              "per_dimension": []}
    said = sample_agreement_summary(result)
    assert "Cohen's kappa of the primary theme not measured (no theme is carried by 5 coded answers or more); per " \
           "theme trust not measured (only 2 coded answers carry it)" in said and "1.00" not in said
    themes[0]["gold"] = 5
    assert "Cohen's kappa of the primary theme 1.00; per theme trust 1.00" in sample_agreement_summary(result)


def test_the_method_says_a_dimension_measured_on_fewer_answers():
    from themes.export import sample_agreement_summary

    result = {"answers": 300, "file": "coded.csv", "per_theme": [],
              "per_dimension": [{"dimension": "service", "kappa": 0.61, "passages": 150},
                                {"dimension": "data", "kappa": 0.7, "passages": 300}]}
    assert sample_agreement_summary(result).endswith(
        "kappa per dimension (\"none\" a class) service 0.61 (on the 150 answers that code it), data 0.70.")
    # As a theme's: a dimension two coded answers address has no kappa to speak of (governance 0.19 was printed).
    result["per_dimension"] = [{"dimension": "governance", "kappa": 0.19, "passages": 300, "gold_addressed": 2},
                               {"dimension": "data", "kappa": 0.7, "passages": 300, "gold_addressed": 1},
                               {"dimension": "service", "kappa": 0.61, "passages": 300, "gold_addressed": 40}]
    assert sample_agreement_summary(result).endswith(
        "kappa per dimension (\"none\" a class) governance not measured (only 2 coded answers address it), data not "
        "measured (only 1 coded answer addresses it), service 0.61.")


def test_the_answers_the_classifier_learned_from_are_left_out_of_the_correction_too(tiny_codebook):
    """The run's agreement left out a coded answer the classifier learned from (599 answers) while the counts'
    correction kept it (600): its decision there is memory, which makes the error rates look better."""
    from themes.evaluate import without_learned

    example = tiny_codebook.themes[0].examples[0]
    answers = pd.DataFrame({"respondent_id": ["R1", "R2", "R3"], "question": ["q"] * 3,
                            "answer": [example.upper(), "Money is short.", "We meet."]})
    coded = pd.DataFrame({"respondent_id": ["R1", "R2", "R3"], "question": ["q"] * 3,
                          "gold": [["trust"], ["funding"], []]})
    coded.attrs.update(themes_coded=True, coded_dimensions=["service"])
    kept = without_learned(answers, coded, [(tiny_codebook, None)])
    assert list(kept["respondent_id"]) == ["R2", "R3"] and kept.attrs["coded_dimensions"] == ["service"]
    assert without_learned(answers, coded) is coded and without_learned(answers, None) is None


def test_a_dimension_left_empty_wherever_it_is_none_is_a_warning(tmp_path, tiny_codebook):
    """Empty cells are 'not coded yet': a coder who left 'none' empty had every coded row describe the dimension
    and no word said so."""
    from themes.evaluate import empty_for_none

    rows = ["text,themes,service"] + [f"Answer {k}.,{'trust' if k % 2 else 'none'},{'referral' if k < 8 else ''}"
                                      for k in range(20)]
    path = tmp_path / "coded.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    gold = read_gold(path, tiny_codebook, partly=True)
    assert empty_for_none(gold, tiny_codebook, "coded.csv") == (
        "coded.csv: every one of the 8 rows that code service carries it, and 12 rows leave its cell empty, read as "
        "not coded yet. If the empty cells mean 'none' (no theme, or the answer does not address the dimension), "
        "write none in them: else its share rests on answers that all carry it.")
    rows[2] = "Answer 1.,trust,none"  # one coded row says it does not address the dimension: nothing to doubt
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert empty_for_none(read_gold(path, tiny_codebook, partly=True), tiny_codebook, "coded.csv") is None


def test_the_run_says_where_it_hardly_agrees_with_the_coded_sample(capsys):
    from themes.cli import _print_summary

    said = "coded.csv: the run hardly agrees with its codes (kappa trust 0.03)"
    summary = {"accounting": {"input_answers": 2, "coded": 2}, "counts": [], "framework": [], "out": "out",
               "files": ["report.md"], "disagreement": said}
    _print_summary(summary)
    assert f"warning: {said}\n" in capsys.readouterr().err


def test_a_run_whose_coded_answers_were_all_learned_from_says_so(capsys):
    """'Raw counts: no coded sample of this survey measured ...; pass --coded-sample', where one was passed and all
    its 150 answers were calibration passages."""
    from themes.cli import _print_summary

    summary = {"accounting": {"input_answers": 2, "coded": 2}, "counts": [
        {"theme": "trust", "respondents": 1, "percent": 50.0, "segments": 1, "method": "raw: no coded sample"}],
        "framework": [], "out": "out", "files": ["report.md"], "coded_all_learned": 150}
    _print_summary(summary)
    assert ("Raw counts: all 150 answers of the coded sample are texts the classifier learned from (codebook "
            "examples or calibration passages, or copies of them), so none measured its error") in \
        " ".join(capsys.readouterr().out.split())


def test_a_coded_sample_too_small_once_the_learned_answers_are_left_out_says_so(capsys):
    """'the coded sample holds 74 coded answers' where the opening block said 131: 57 were calibration passages."""
    from themes.cli import _print_summary

    summary = {"accounting": {"input_answers": 2, "coded": 2}, "counts": [
        {"theme": "trust", "respondents": 1, "percent": 50.0, "segments": 1,
         "method": "not estimated: 74 coded answers (at least 100 are needed)"}],
        "framework": [], "out": "out", "files": ["report.md"], "coded_learned": 57, "coded_all_learned": 0}
    _print_summary(summary)
    assert ("Raw counts: the coded sample holds 131 coded answers; less the 57 the classifier learned from (codebook "
            "examples or calibration passages, or copies of them), 74 are fewer than the 100 an estimate needs") \
        in " ".join(capsys.readouterr().out.split())
    summary["coded_learned"] = 0
    _print_summary(summary)
    assert "Raw counts: the coded sample holds 74 coded answers, fewer than the 100" in capsys.readouterr().out


def test_every_cell_to_mend_is_said_at_once(tmp_path, tiny_codebook):
    """A coder with three typos learned of them one run at a time."""
    path = tmp_path / "gold.csv"
    path.write_text("text,themes\nA.,trust\nB.,fundng\nC.,none\nD.,trst\nE.,trust;funds\n", encoding="utf-8")
    with pytest.raises(GoldError,
                       match=r"gold.csv:3: unknown theme 'fundng'.* Also rows 5, 6 \(2 more cells to mend\)"):
        read_gold(path, tiny_codebook)


def test_a_file_coded_for_another_codebook_is_told_to_pass_it(tmp_path):
    """A researcher's own codes read against the shipped codebook (calibrate's default): the first cell's "Did you
    mean 'data_challenges'?" and "formerly" hints pointed the wrong way (review 150)."""
    codebook = load_codebook("codebooks/rfi_themes.yaml")
    path = tmp_path / "mine.csv"
    path.write_text("text,themes\nA.,data_collection\nB.,partner_trust\nC.,none\nD.,resources;housing\n"
                    "E.,data_collection\n", encoding="utf-8")
    with pytest.raises(GoldError, match=r"^.*mine.csv: 4 of its 5 coded rows carry codes the codebook 'RFI "
                                        r"partnership themes' lacks \('data_collection', 'partner_trust', 'resources'; "
                                        r"it knows trust, .*\): was the file coded for another codebook\? Pass that "
                                        r"one with --codebook\.$"):
        read_gold(path, codebook)
    # One id renamed since the coding, among the codebook's own: the rename's hint (review 153)
    path.write_text("text,themes\nA.,trust\nB.,funding\nC.,funding\nD.,funding\nE.,community_engagement\n"
                    "F.,data_challenges\n", encoding="utf-8")
    with pytest.raises(GoldError, match=r"unknown theme 'funding'.*formerly"):
        read_gold(path, codebook)


def test_a_passage_coded_with_two_types_of_a_dimension_is_read_as_the_more_integrated():
    """A project's coding gives an answer one type per selection: the first by position was taken, and a
    researcher's added risk-sharing read as the 'independent' before it (the run takes the most integrated)."""
    from themes.evaluate import most_integrated

    kinds = ["independent", "service_contracts", "risk_sharing"]
    coded = ["trust", "fin.independent", "fin.risk_sharing", "fin.service_contracts"]
    assert most_integrated(coded, "fin", kinds) == "risk_sharing"
    assert most_integrated(["trust"], "fin", kinds) == "none" and most_integrated([], "fin", kinds, "-") == "-"


def test_passages_a_run_sets_aside_are_left_out_of_agreement(monkeypatch, tmp_path, tiny_codebook_path):
    """A researcher's review: "N/A", "Same as above." and an answer in Spanish, coded 'none' (or a theme) by the
    coder, were counted in agreement, though a run never codes them: each "none" agreed with the model's every time."""
    from themes.flows.agreement import evaluate_agreement, set_aside

    gold = tmp_path / "gold.csv"
    rows = [("We trust the clinic staff and they trust us.", "trust"), ("The grant money runs out in June.", "funding"),
            ("Their director keeps every promise she makes to us.", "trust"),
            ("The county pays for the nurse line.", "funding"), ("We meet every month to plan.", "none"),
            ("N/A", "none"), ("Same as above.", "none"),
            ("Confiamos en el personal de la clínica y ellos confían en nosotros desde hace muchos años.", "trust")]
    pd.DataFrame(rows, columns=["text", "themes"]).to_csv(gold, index=False)
    aside = set_aside(pd.read_csv(gold, dtype=str, keep_default_na=False), ("en",))
    assert aside.tolist() == [False] * 5 + [True] * 3
    assert aside.attrs["reasons"][5] == 'non_answer, placeholder "N/A"'
    anywhere = set_aside(pd.read_csv(gold, dtype=str, keep_default_na=False), ())  # a run that codes any language
    assert anywhere.tolist() == [False] * 5 + [True] * 2 + [False]

    result = evaluate_agreement(gold_path=str(gold), out=str(tmp_path / "eval"), settings=RunSettings(
        codebook=str(tiny_codebook_path), model="test:hashing", cache_dir=str(tmp_path / "cache")))
    assert result["overall"]["passages"] == 5 and result["set_aside"] == 3
    assert ("Left out 3 passages a run sets aside and does not code (e.g. 'N/A': non_answer, placeholder \"N/A\")."
            in (tmp_path / "eval" / "evaluation.md").read_text(encoding="utf-8"))
    printed = _evaluate_printing(monkeypatch, tmp_path, tiny_codebook_path, {**result, "left_out": 2},
                                 gold.read_text(encoding="utf-8"))
    assert ("Agreement on 5 passages (3 set aside, as a run sets aside placeholders ('N/A') and answers in another "
            "language; 2 left out: the classifier learned from them, or from copies of them)") in printed


def test_a_gold_file_of_set_aside_passages_alone_is_one_line(tmp_path, tiny_codebook_path):
    from themes.flows.agreement import evaluate_agreement

    gold = tmp_path / "gold.csv"
    gold.write_text("text,themes\nN/A,none\nSee above,trust\n", encoding="utf-8")
    with pytest.raises(GoldError, match="every passage is one a run sets aside and does not code"):
        evaluate_agreement(gold_path=str(gold), out=str(tmp_path / "eval"), settings=RunSettings(
            codebook=str(tiny_codebook_path), model="test:hashing", cache_dir=str(tmp_path / "cache")))


def test_evaluate_without_split_says_the_file_has_parts(tmp_path, tiny_codebook):
    """A researcher's review: a file with a 'split' column, evaluated without --split, was read whole (its
    calibration rows with its test rows) and nothing said it had parts."""
    from themes.evaluate import gold_announcement

    path = tmp_path / "gold.csv"
    path.write_text("text,themes,split\nWe trust them.,trust,calibration\nGrants end.,funding,test\n"
                    "They refer clients.,none,test\n", encoding="utf-8")
    lines = gold_announcement(read_gold(path, tiny_codebook), path)
    assert lines[1] == ("  split      every row read, whatever its 'split' ('test' 2, 'calibration' 1): --split NAME "
                        "reads one part alone (e.g. --split test)")
    assert not any(line.startswith("  split ") for line in gold_announcement(
        read_gold(path, tiny_codebook, split="test"), path, "test"))


def test_a_theme_the_model_never_gave_says_why_its_precision_is_n_a(monkeypatch, tmp_path, tiny_codebook_path):
    """A researcher's review: a theme the coders used eight times and the model never gave showed precision n/a, and
    the notes under the table named every n/a but that one."""
    never = {"theme": "trust", "gold": 8, "predicted": 0, "precision": None, "recall": 0.0, "f1": 0.0, "kappa": 0.0,
             "alpha": 0.0}
    funding = {"theme": "funding", "gold": 6, "predicted": 6, "precision": 1.0, "recall": 1.0, "f1": 1.0,
               "kappa": 1.0, "alpha": 1.0}
    result = {"overall": {"passages": 14, "primary_kappa": 0.5, "primary_alpha": 0.5, "macro_f1": 0.5},
              "per_theme": [never, funding], "per_dimension": [], "left_out": 0, "files": ["evaluation.md"]}
    output = _evaluate_printing(monkeypatch, tmp_path, tiny_codebook_path, result,
                                "text,themes\nWe trust them.,trust\nGrants end.,none\n")
    assert "precision n/a for trust: the model coded no passage with it." in output.splitlines()


def test_a_theme_the_coding_workbook_was_drawn_without_is_not_measured(tmp_path, tiny_codebook_path):
    """A theme added after the sample was drawn and coded: its codes read as false alarms (precision 0.000 above
    'not measured'), counted in the macro F1, and took the primary theme from the coders' (review 160). The
    workbook's Instructions list what its coders had."""
    from typer.testing import CliRunner

    from themes.cli import app
    from themes.evaluate import read_gold
    from themes.flows.agreement import evaluate_agreement
    from themes.codebook import load_codebook

    rows = [("We trust the clinic staff and they trust us.", "trust"), ("The grant money runs out in June.", "none"),
            ("Their director keeps every promise she makes to us.", "trust"),
            ("The county pays the nurse line.", "none"), ("We meet every month to plan the food drive.", "none"),
            ("Trust took years, and the grant ends soon.", "trust")]
    path = tmp_path / "coding.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"a": ["Coding sample for Tiny codebook (version 1)", None, "id", "trust", "service.referral",
                            "service.joint", "none"],
                      "b": [None, None, "name", "Trust", "Referral", "Joint", "None of these"]}).to_excel(
            book, sheet_name="Instructions", index=False, header=False)
        pd.DataFrame(rows, columns=["answer", "themes"]).to_excel(book, sheet_name="Coding", index=False)
    gold = read_gold(path, load_codebook(tiny_codebook_path))
    assert gold.attrs["coded_without"] == ["funding"]
    from themes.evaluate import gold_announcement

    assert ("  without    funding: the workbook's Instructions do not list it, so its coders could not give it; its "
            "passages teach the model that it is absent from them: code a sample with it (themes sample) before "
            "calibrating") in gold_announcement(gold, path, learning=True)
    assert ("  without    funding: the workbook's Instructions do not list it, so its coders could not give it; not "
            "measured") in gold_announcement(gold, path)

    result = evaluate_agreement(gold_path=str(path), out=str(tmp_path / "eval"), settings=RunSettings(
        codebook=str(tiny_codebook_path), model="test:hashing", cache_dir=str(tmp_path / "cache")))

    funding = next(row for row in result["per_theme"] if row["theme"] == "funding")
    assert (funding["predicted"], funding["precision"], funding["f1"]) == (0, None, None)
    assert result["coded_without"] == ["funding"]
    assert ("Coded without funding: the coding workbook's Instructions do not list it (drawn before the codebook had "
            "it)") in (tmp_path / "eval" / "evaluation.md").read_text(encoding="utf-8")
    printed = CliRunner().invoke(app, ["evaluate", "--gold", str(path), "--codebook", str(tiny_codebook_path),
                                       "--model", "test:hashing", "--out", str(tmp_path / "again")]).output
    assert ("n/a for funding: not measured, the coding workbook's Instructions do not list it (drawn before the "
            "codebook had it); the model's codes of it are set aside.") in printed
    assert "n/a for funding: not measured, no coded passages carry it" not in printed


def test_codes_cells_read_by_name_or_other_marks_are_said(tmp_path, tiny_codebook):
    """'trust, funding', 'trust / funding', 'trust|funding' and a theme's name were read right but unsaid, so a coder
    could not check what was meant (review 160)."""
    from themes.evaluate import gold_announcement

    path = tmp_path / "gold.csv"
    path.write_text('text,themes\nWe trust them.,Trust\nGrants end.,"trust, funding"\nWe share.,trust / funding\n'
                    "We meet.,trust|funding\nWe eat.,none\nMoney.,funding;trust\n", encoding="utf-8")
    gold = read_gold(path, tiny_codebook)
    assert [sorted(g) for g in gold["gold"]] == [["trust"], ["funding", "trust"], ["funding", "trust"],
                                                  ["funding", "trust"], [], ["funding", "trust"]]
    assert gold.attrs["loose"] == {"names": 0, "marks": 3}
    assert ("  read as    codes cells read as written: 3 with ',', '/' or '|' between codes, not ';'; check a few in "
            "disagreements.csv (themes evaluate) if a coder may have meant otherwise") in gold_announcement(gold, path)
    named = tmp_path / "named.csv"
    label = tiny_codebook.themes[1].label
    named.write_text(f"text,themes\nWe trust them.,trust\nGrants end.,{label}\nWe eat.,none\n", encoding="utf-8")
    assert read_gold(named, tiny_codebook).attrs["loose"] == {"names": 1, "marks": 0}
    clean = tmp_path / "clean.csv"
    clean.write_text("text,themes\nWe trust them.,trust\nGrants end.,funding;trust\nWe eat.,none\n", encoding="utf-8")
    assert not any(line.startswith("  read as") for line in gold_announcement(read_gold(clean, tiny_codebook), clean))


def test_a_coded_sample_unlike_the_survey_by_the_machine_s_flags_is_said():
    """Review 163: a hand-picked coded sample (answers the machine flagged 88% of, against 52% of the survey's) read
    trust 74% (67-83%), the coders' own 65% outside it, with no warning, and the report called it 'at random'."""
    from themes.evaluate import unlike_survey, unlike_survey_note

    rng = np.random.default_rng(0)
    survey = pd.DataFrame({"respondent_id": [f"r{k}" for k in range(1000)], "question": "challenges",
                           "themes": np.where(rng.random(1000) < 0.5, "trust", "")})
    survey["status"] = np.where(survey["themes"] == "trust", "coded", "uncoded")
    survey.loc[::10, "status"] = "empty"  # not codable: not in the survey's share
    codable = survey[survey["status"] != "empty"]
    keys = lambda rows: list(zip(rows["respondent_id"], rows["question"]))  # noqa: E731
    drawn = codable.sample(150, random_state=1)
    assert unlike_survey(survey, keys(drawn), ["trust", "data_challenges"]) is None  # random: nothing said
    picked = pd.concat([codable[codable["themes"] == "trust"].head(130), codable[codable["themes"] == ""].head(20)])
    found = unlike_survey(survey, keys(picked), ["trust", "data_challenges"])
    assert found["theme"] in ("trust", "any") and found["sample"] == round(130 / 150, 3) and found["p"] < 0.001
    note = unlike_survey_note(found, {"trust": "Trust and relationships"})
    assert note.startswith("The coded sample does not look like a random sample of this survey: the tool flagged ")
    assert "87% of its answers against 48% of all the survey's answers" in note
    assert unlike_survey(survey, keys(picked.head(20)), ["trust"]) is None  # too few to tell


def test_the_share_said_unlike_the_survey_is_the_least_likely_one():
    """A re-read of the change: the next share's raw tail was compared with the last one's tail times the number of
    shares, so 'a' (p 5.1e-10) was said over 'any' (p 1.7e-10)."""
    from themes.evaluate import unlike_survey

    flags = np.array([""] * 1000, dtype=object)
    flags[:300], flags[300:302] = "a", "b"
    survey = pd.DataFrame({"respondent_id": [f"r{k}" for k in range(1000)], "question": "q", "status": "coded",
                           "themes": flags})
    keys = [(f"r{k}", "q") for k in [*range(60), 300, *range(400, 440)]]
    assert unlike_survey(survey, keys, ["a", "b"]) == {"theme": "any", "sample": 0.604, "survey": 0.302,
                                                         "p": 1.7e-10}


def test_random_samples_are_seldom_said_unlike_the_survey_even_with_a_rare_theme():
    """Review 164: a normal approximation said 5% of random samples of 50 unlike a survey of 2,000 answers where a
    theme was flagged on 2 (one hit gave z 4.3); the exact tail, all shares together, stays under 1 in 1,000."""
    from themes.evaluate import unlike_survey

    rng = np.random.default_rng(3)
    flags = np.array([""] * 2000, dtype=object)
    flags[:2] = "rare"
    flags[2:600] = "trust"
    flags[600:700] = "trust;service.joint"  # a framework's type in the same column is no theme
    survey = pd.DataFrame({"respondent_id": [f"r{k}" for k in range(2000)], "question": "q", "status": "coded",
                           "themes": flags})
    said = 0
    for _ in range(400):
        rows = survey.iloc[rng.choice(2000, 50, replace=False)]
        said += unlike_survey(survey, list(zip(rows["respondent_id"], rows["question"])), ["trust", "rare"]) is not None
    assert said <= 2


def test_a_runs_agreement_with_a_picked_sample_is_not_called_random(tiny_codebook):
    """Review 163: the method section said 'coded by people at random' of a sample picked for its themes."""
    from themes.coding import Scheme
    from themes.evaluate import run_agreement
    from themes.export import sample_agreement_summary

    flags = ["trust"] * 50 + [""] * 150
    answers = pd.DataFrame({"respondent_id": [f"R{k}" for k in range(200)], "question": "q", "themes": flags,
                            "top_theme": flags, "status": ["coded"] * 50 + ["uncoded"] * 150})
    picked = answers.iloc[list(range(40)) + list(range(50, 60))]  # 40 of its 50 flagged answers, 10 of the rest
    coded = pd.DataFrame({"respondent_id": picked["respondent_id"], "question": "q",
                          "gold": [["trust"]] * 40 + [[]] * 10}).reset_index(drop=True)
    result = run_agreement(answers, coded, Scheme(tiny_codebook), "picked.csv")
    assert result["unlike_survey"]["sample"] == 0.8 and result["unlike_survey"]["survey"] == 0.25
    assert "this survey, coded by people, in a sample unlike a random one of the survey" in \
        sample_agreement_summary(result)
    drawn = answers.iloc[::4]  # a quarter flagged, as the survey
    coded = pd.DataFrame({"respondent_id": drawn["respondent_id"], "question": "q",
                          "gold": [["trust"] if f else [] for f in drawn["themes"]]}).reset_index(drop=True)
    result = run_agreement(answers, coded, Scheme(tiny_codebook), "drawn.csv")
    assert result["unlike_survey"] is None and result["draw_rows_missing"] is None
    assert "coded by people in a sample drawn at random as far as the tool can tell" in sample_agreement_summary(result)
    few = run_agreement(answers, coded.head(20), Scheme(tiny_codebook), "few.csv")  # review 164: not compared
    assert "coded by people in a sample read as random (too few coded answers to compare with the survey's)" in \
        sample_agreement_summary(few)
    # Review 176: rows of the draw deleted were said on the console alone; the report called the sample random
    coded = coded.drop(index=[3, 4]).reset_index(drop=True)
    coded.attrs["sample_ids"] = [f"S{k:03d}" for k in range(1, 51) if k not in (4, 5)]
    result = run_agreement(answers, coded, Scheme(tiny_codebook), "drawn.csv")
    assert result["draw_rows_missing"][:2] == [2, "S004-S005"]
    assert "coded by people, in a sample whose draw has rows missing (see the caution under the key findings)" in \
        sample_agreement_summary(result)


def test_a_code_matrix_of_one_0_1_column_per_theme_is_read_as_codes_cells(tmp_path):
    """Review 172's leftover: a gold file of one 0/1 column per theme (a spreadsheet's or a QDA tool's code matrix)
    was "no column of gold codes". Its marks are read as the codes cells they stand for; a theme with no column stops
    the read, as its passages would read as not raising it."""
    from themes.evaluate import gold_announcement

    codebook = load_codebook("codebooks/rfi_themes.yaml")
    path = tmp_path / "matrix.csv"
    path.write_text("text,Trust,Cultural differences,community_engagement,resource_needs,DATA_CHALLENGES\n"
                    "We built trust over years.,1,0,0,0,0\n"
                    "Grants end and staff leave.,0,0,,x,0\n"
                    "Nothing else to add about this.,0,0,0,0,0\n"
                    "Not coded yet.,,,,,\n"
                    "Trust and shared data both matter.,TRUE,FALSE,FALSE,FALSE,TRUE\n", encoding="utf-8")
    gold = read_gold(path, codebook)
    assert [sorted(codes) for codes in gold["gold"]] == [["trust"], ["resource_needs"], [],
                                                          ["data_challenges", "trust"]]
    assert gold.attrs["not_coded"] == 1
    said = "\n".join(gold_announcement(gold, path))
    assert "codes      one 0/1 column per theme ('Trust', 'Cultural differences', 'community_engagement', " in said
    path.write_text("text,trust,cultural_differences,community_engagement,resource_needs\nWe trust them.,1,0,0,0\n",
                    encoding="utf-8")
    with pytest.raises(GoldError, match=r"codes one 0/1 column per theme, but has none for data_challenges: "):
        read_gold(path, codebook)
    path.write_text("text,trust,cultural_differences\nWe trust them.,1,0\n", encoding="utf-8")  # no matrix: as before
    with pytest.raises(GoldError, match="no column of gold codes"):
        read_gold(path, codebook)
    # Review 179: an "x"-and-empty matrix (no 0 anywhere) reads a row with no mark as 'none'; a QDA tool's count of
    # codings ("2") is a mark; a theme never marked keeps its empty column
    path.write_text("text,trust,cultural_differences,community_engagement,resource_needs,data_challenges\n"
                    "We built trust over years.,x,,,,\nNothing else to add about this.,,,,,\n"
                    "Grants end and staff leave.,,,2,x,\n", encoding="utf-8")
    gold = read_gold(path, codebook)
    assert [sorted(codes) for codes in gold["gold"]] == [["trust"], [], ["community_engagement", "resource_needs"]]
    assert "no cell is 0, so an empty cell is 0 and a row with no mark is 'none'" in "\n".join(
        gold_announcement(gold, path))
    # ... and a file whose codes are in a column of another name is not read from its 0/1 columns
    path.write_text("text,Codes applied,trust,cultural_differences,community_engagement,resource_needs,"
                    "data_challenges\nWe built trust over years.,resource_needs,1,0,0,0,0\n"
                    "Grants end.,trust,0,0,0,1,0\n", encoding="utf-8")
    with pytest.raises(GoldError, match="no column of gold codes"):
        read_gold(path, codebook)


def test_a_passage_repeated_with_the_same_codes_is_read_once_and_said(tmp_path, tiny_codebook):
    """Review 178: 60 passages pasted twice (upper case, trailing spaces) read as 120, kappa as on 60, past the 100 a
    figure is reported from, with no word. Short stock answers two respondents may both write stay two."""
    from themes.evaluate import gold_announcement

    path = tmp_path / "gold.csv"
    path.write_text("text,themes\nWe built trust over many years.,trust\nGrants end and staff leave.,funding\n"
                    "WE BUILT TRUST OVER  many years. ,trust\nFunding.,funding\nFunding.,funding\n", encoding="utf-8")
    gold = read_gold(path, tiny_codebook)
    assert list(gold["text"]) == ["We built trust over many years.", "Grants end and staff leave.", "Funding.",
                                  "Funding."]
    assert ("  repeated   1 row repeats an earlier passage word for word (case and spacing aside) with the same codes: "
            "read once") in gold_announcement(gold, path)


def test_no_accuracy_or_later_theme_recall_is_shown_from_too_few_passages():
    """Review 178: with kappa withheld (no theme carried by five coded passages) evaluation.md still printed "Primary
    theme accuracy: 1.000" and "Exact match of theme sets: 1.000" from 2 passages, and a later themes' recall of 0.333
    from 3 mixed passages with no word."""
    from themes.evaluate import evaluation_markdown, recorded_agreement

    result = {"overall": {"passages": 2, "primary_kappa": 1.0, "primary_alpha": 1.0, "primary_accuracy": 1.0,
                          "exact_match": 1.0, "macro_f1": 1.0, "mixed_passages": 3, "later_theme_recall": 0.333},
              "per_theme": [{"theme": "trust", "gold": 1, "predicted": 1, "precision": 1.0, "recall": 1.0, "f1": 1.0,
                             "kappa": 1.0, "alpha": 1.0}], "per_dimension": [],
              "confusion": pd.DataFrame([[1]], index=["gold trust"], columns=["predicted trust"])}
    shown = evaluation_markdown(recorded_agreement(result), title="t", notes=[])
    assert "- Primary theme accuracy: not measured" in shown
    assert "- Exact match of theme sets: not measured; macro F1: not measured" in shown
    assert "recall of their themes after the first: not measured (fewer than 5 mixed passages)" in shown

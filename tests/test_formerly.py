"""`formerly`: a theme (type, dimension) renamed in the codebook keeps what was coded under its old id: coded files,
calibrations and earlier runs read as the theme it became."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TINY_CODEBOOK_YAML

from themes.calibrate import Calibration, CodedPassage
from themes.codebook import load_codebook
from themes.errors import CodebookError

# 'funding' renamed 'resource_needs', the dimension 'service' renamed 'service_model' and its type 'joint' 'joint_program'
RENAMED_YAML = (TINY_CODEBOOK_YAML
                .replace("  - id: funding\n", "  - id: resource_needs\n    formerly: [funding]\n")
                .replace("  - id: service\n", "  - id: service_model\n    formerly: service\n")
                .replace("      - id: joint\n", "      - id: joint_program\n        formerly: [joint]\n"))


@pytest.fixture
def renamed_path(tmp_path):
    path = tmp_path / "renamed.yaml"
    path.write_text(RENAMED_YAML, encoding="utf-8")
    return path


def test_formerly_maps_each_old_code_to_the_code_it_became(renamed_path):
    book = load_codebook(renamed_path)

    assert book.renamed == {"funding": "resource_needs", "service.referral": "service_model.referral",
                            "service.joint": "service_model.joint_program",
                            "service.joint_program": "service_model.joint_program",
                            "service_model.joint": "service_model.joint_program"}
    assert book.renamed_dimensions == {"service": "service_model"}
    assert book.current_code("funding") == "resource_needs" and book.current_code("trust") == "trust"


def test_formerly_does_not_change_the_content_hash(tiny_codebook_path, tmp_path):
    """Listing an old id is no change of what the codebook means: a calibration made for it still fits."""
    listed = tmp_path / "listed.yaml"
    listed.write_text(TINY_CODEBOOK_YAML.replace("  - id: trust\n", "  - id: trust\n    formerly: [trusting]\n"))

    assert load_codebook(listed).content_hash() == load_codebook(tiny_codebook_path).content_hash()


@pytest.mark.parametrize(("edit", "said"), [
    (("  - id: funding\n", "  - id: funding\n    formerly: [trust]\n"),
     "'funding' lists 'trust' in formerly, but 'trust' is a theme or dimension id of the codebook now"),
    (("  - id: funding\n", "  - id: funding\n    formerly: [service]\n"),
     "'service' is a theme or dimension id of the codebook now"),
    (("      - id: joint\n", "      - id: joint\n        formerly: [referral]\n"),
     "'service.joint' lists 'referral' in formerly, but 'referral' is a type id of 'service' of the codebook now"),
    (("  - id: funding\n", "  - id: funding\n    formerly: [Funding Needs]\n"),
     "'Funding Needs' in the formerly of 'funding' is not an id"),
    (("  - id: funding\n", "  - id: funding\n    formerly: [funding]\n"), "'funding' lists its own id in formerly"),
    (("  - id: funding\n", "  - id: funding\n    formerly: [none]\n"),
     "'none' in the formerly of 'funding' is what coded files write for no theme"),
    (("  - id: funding\n", "  - id: funding\n    formerly: [money, money]\n"),
     "'money' is in the formerly of 'funding' twice"),
])
def test_a_former_id_that_would_name_two_codes_is_refused(tmp_path, edit, said):
    path = tmp_path / "book.yaml"
    path.write_text(TINY_CODEBOOK_YAML.replace(*edit), encoding="utf-8")
    with pytest.raises(CodebookError) as error:
        load_codebook(path)
    assert said in str(error.value)


def test_two_codes_that_both_claim_a_former_id_are_refused(tmp_path):
    path = tmp_path / "book.yaml"
    path.write_text(TINY_CODEBOOK_YAML.replace("  - id: trust\n", "  - id: trust\n    formerly: [old]\n")
                    .replace("  - id: funding\n", "  - id: funding\n    formerly: [old]\n"), encoding="utf-8")

    with pytest.raises(CodebookError) as error:
        load_codebook(path)
    assert "'trust' and 'funding' both list 'old' in formerly" in str(error.value)


def test_a_file_coded_with_the_old_ids_is_read_under_the_new(renamed_path, tmp_path):
    from themes.evaluate import read_gold

    gold = tmp_path / "gold.csv"
    gold.write_text("text,themes,service\n"
                    "Grants end in June.,funding,none\n"
                    "We trust them and send clients over.,trust; service.referral,referral\n"
                    "One team runs it.,none,joint\n", encoding="utf-8")

    read = read_gold(gold, load_codebook(renamed_path))

    assert read["gold"].tolist() == [["resource_needs"], ["trust", "service_model.referral"],
                                     ["service_model.joint_program"]]


def test_codes_by_an_old_id_are_said_as_that_not_as_a_themes_name(renamed_path, tmp_path):
    """review 160: 'funding' read as resource_needs through formerly was said as "by a theme's name, not its id"."""
    from themes.evaluate import gold_announcement, read_gold

    gold = tmp_path / "gold.csv"
    gold.write_text("text,themes\n"
                    "Grants end in June.,funding\n"
                    "Money is short.,Funding\n"
                    "We trust them and send clients over.,trust; service.referral\n"
                    "We trust them.,Trust and relationships\n", encoding="utf-8")

    read = read_gold(gold, load_codebook(renamed_path))
    said = "\n".join(gold_announcement(read, gold))

    assert read.attrs["formerly"] == {"funding -> resource_needs": 2, "service.referral -> service_model.referral": 1}
    assert read.attrs["loose"]["names"] == 1  # the theme's label
    assert ("read as    3 codes written as an old id the codebook's formerly lists (funding -> resource_needs, "
            "service.referral -> service_model.referral): counted as the code each became") in said
    assert "1 by a theme's name, not its id" in said


def test_a_calibration_made_before_the_rename_keeps_its_passages_and_thresholds(renamed_path):
    from themes.coding import fit_coder, in_current_codes, uncalibrated_categories, unknown_codes

    book = load_codebook(renamed_path)
    passages = [CodedPassage(text="Grants end in June.", themes=["funding"]),
                CodedPassage(text="We cannot keep staff.", themes=["funding", "service.joint"]),
                CodedPassage(text="We trust them.", themes=["trust", "service.referral"]),
                CodedPassage(text="Nothing to add.", themes=["none"])]
    calibration = Calibration(codebook="x.yaml", codebook_hash="0123456789abcdef", model="test:hashing",
                              method="logistic", C=1.0, thresholds={"funding": 0.35, "trust": 0.45, "service": 0.6},
                              passages=passages)

    current = in_current_codes(book, calibration)

    assert [p.themes for p in current.passages] == [["resource_needs"],
                                                    ["resource_needs", "service_model.joint_program"],
                                                    ["trust", "service_model.referral"], ["none"]]
    assert current.thresholds == {"trust": 0.45, "resource_needs": 0.35, "service_model": 0.6}
    assert unknown_codes(book, calibration) == (0, [])
    assert uncalibrated_categories(book, calibration) == []
    coder = fit_coder(book, lambda texts: np.random.default_rng(0).normal(size=(len(texts), 8)), calibration)
    assert coder.sources["resource_needs"] == "calibration" and coder.sources["service_model"] == "calibration"
    assert in_current_codes(book, None) is None
    # Without formerly the old codes are codes the codebook lacks: their model does not learn from them
    without = load_codebook(renamed_path).model_copy(update={"themes": [
        t.model_copy(update={"formerly": []}) for t in book.themes]})
    assert unknown_codes(without, calibration) == (2, ["funding"])


def test_the_manifest_records_the_renames_and_diff_reads_the_earlier_run_under_them(tmp_path, tiny_codebook_path,
                                                                                    renamed_path):
    import json

    from run_files import write_run_folder
    from typer.testing import CliRunner

    from themes.cli import app
    from themes.redact import Redactor
    from themes.research import diff_run_folders

    def rows(funding: str, both: bool) -> list[dict]:
        texts = [("R1", "challenges", "Grants end after two years.", [funding]),
                 ("R2", "challenges", "We cannot keep staff.", [funding] if both else []),
                 ("R3", "practices", "Trust between our directors.", ["trust"])]
        return [{"respondent_id": r, "question": q, "answer": a, "org_type": "CBO", "state": "OH",
                 "segments": [(0, len(a), themes)]} for r, q, a, themes in texts]

    before = write_run_folder(tmp_path / "a", rows("funding", False), codebook_path=tiny_codebook_path)
    after = write_run_folder(tmp_path / "b", rows("resource_needs", True), codebook_path=renamed_path)
    assert json.loads((after / "manifest.json").read_text())["codebook"]["renamed"]["funding"] == "resource_needs"

    diff = diff_run_folders(before, after, out=None, redactor=Redactor(use_ner=False))["diff"]

    themes = diff.themes.set_index("theme")
    assert "funding" not in themes.index
    assert themes.loc["resource_needs", ["respondents_a", "respondents_b", "respondents_gained",
                                         "respondents_lost"]].tolist() == [1, 2, 1, 0]
    assert diff.read_renamed == [("a", "funding", "resource_needs"), ("a", "service.referral", "service_model.referral"),
                                 ("a", "service.joint", "service_model.joint_program")]
    printed = CliRunner().invoke(app, ["diff", str(before), str(after)]).output.splitlines()
    assert ("note: A's codes read as the other run's codebook names them (its formerly): 'funding' as 'resource_needs', "
            "'service.referral' as 'service_model.referral', 'service.joint' as 'service_model.joint_program'."
            ) in printed
    # Diffed the other way round, B's codes are read as A's codebook names them
    back = diff_run_folders(after, before, out=None, redactor=Redactor(use_ner=False))["diff"]
    assert back.read_renamed[0] == ("b", "funding", "resource_needs")


def test_formerly_survives_a_round_trip_through_a_qda_tool_and_the_yaml_writer(renamed_path, tmp_path):
    from themes.codebook_yaml import codebook_data, to_yaml
    from themes.research import export_codebook, import_codebook

    book = load_codebook(renamed_path)
    qdc = export_codebook(renamed_path, tmp_path / "book.qdc")
    back, _ = import_codebook(qdc, tmp_path / "back.yaml")

    assert load_codebook(back).renamed == book.renamed
    assert load_codebook(back).renamed_dimensions == {"service": "service_model"}
    written = to_yaml(codebook_data(book))
    assert "- id: resource_needs\n  formerly:\n  - funding\n  label: Funding needs\n" in written


def test_a_renamed_theme_in_a_run_keeps_its_calibration(tmp_path, tiny_codebook_path, tiny_responses_path):
    """End to end: the run's opening block says nothing of codes the codebook lacks, and the renamed theme is tuned
    by the calibration made before the rename."""
    import json

    from typer.testing import CliRunner

    from themes.calibrate import save_calibration
    from themes.cli import app

    book = load_codebook(tiny_codebook_path)
    passages = [CodedPassage(text="Grants end in June.", themes=["funding"]),
                CodedPassage(text="We cannot keep staff at all.", themes=["funding"]),
                CodedPassage(text="We trust them.", themes=["trust"]),
                CodedPassage(text="Nothing to add.", themes=["none"])]
    calibration = Calibration(codebook=str(tiny_codebook_path), codebook_hash=book.content_hash(),
                              model="test:hashing", method="logistic", C=1.0, thresholds={"funding": 0.35},
                              passages=passages)
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text(TINY_CODEBOOK_YAML.replace("  - id: funding\n", "  - id: resource_needs\n    formerly: [funding]\n"))
    save_calibration(calibration, tmp_path / "renamed.calibration.json")

    result = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--codebook", str(renamed),
                                      "--out", str(tmp_path / "out"), "--model", "test:hashing", "--no-cache"])

    assert result.exit_code == 0, result.output
    assert "which this codebook does not have" not in result.output
    assert ("calibration renamed.calibration.json (beside the codebook; made before the codebook's renames (formerly), "
            "its codes read under the new ids)") in result.output
    assert "made for other content" not in result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["thresholds"]["resource_needs"] == 0.35
    assert manifest["codebook"]["renamed"] == {"funding": "resource_needs"}
    assert manifest["codebook"]["calibration"]["matches_codebook"] is True


def test_a_shipped_codebook_copied_and_a_theme_renamed_keeps_the_shipped_calibration(tmp_path):
    from themes.calibrate import calibration_path, locate_calibration
    from themes.codebook import codebook_path

    shipped = codebook_path("rfi_themes")
    copy = tmp_path / "ours.yaml"
    copy.write_text(shipped.read_text().replace("  - id: resource_needs\n",
                                                "  - id: resources\n    formerly: [resource_needs]\n"))

    found, where = locate_calibration(copy, None)

    assert found == calibration_path(shipped)
    assert where == (f"matched by the codebook's content hash before its renames (formerly; "
                     f"{load_codebook(shipped).content_hash()}), its codes read under the new ids")
    # Renamed without formerly, the copy is other content: it runs uncalibrated, and says so
    copy.write_text(shipped.read_text().replace("  - id: resource_needs\n", "  - id: resources\n"))
    assert locate_calibration(copy, None)[0] is None


def test_a_former_id_refused_is_said_at_its_line(tmp_path):
    path = tmp_path / "book.yaml"
    path.write_text(TINY_CODEBOOK_YAML.replace("  - id: trust\n", "  - id: trust\n    formerly: money\n")
                    .replace("  - id: funding\n", "  - id: funding\n    formerly:\n      - cash\n      - money\n"))

    with pytest.raises(CodebookError) as error:
        load_codebook(path)
    assert str(error.value).startswith(f"{path}:16: [top level] 'trust' and 'funding' both list 'money' in formerly")


def test_a_qda_project_coded_before_the_rename_is_read_as_gold_under_the_new_ids(tmp_path, tiny_codebook_path,
                                                                                 renamed_path):
    """Exported from a run of the old codebook, reviewed in a QDA tool and read back as gold by the renamed one: the
    codes' GUIDs were made from the old ids, so they are matched by their `themes id:` lines' former ids."""
    from run_files import write_run_folder
    from test_refi import reviewed

    from themes.evaluate import read_gold
    from themes.research import export_project

    texts = [("R1", "challenges", "Grants end after two years.", ["funding"]),
             ("R2", "services", "We send clients to the food bank.", ["service.referral", "trust"])]
    run = write_run_folder(tmp_path / "run", [
        {"respondent_id": r, "question": q, "answer": a, "org_type": "CBO", "state": "OH",
         "segments": [(0, len(a), themes)]} for r, q, a, themes in texts], codebook_path=tiny_codebook_path)
    path = export_project(run, tmp_path / "review.qdpx", per="answer")["path"]

    gold = read_gold(reviewed(path), load_codebook(renamed_path))

    assert sorted(map(sorted, gold["gold"])) == [["resource_needs"], ["service_model.referral", "trust"]]


@pytest.mark.parametrize("formerly", ["[resource_needs, funding]", "[funding, resource_needs]"])
def test_a_calibration_made_before_any_of_the_renames_fits_whatever_their_order(tmp_path, formerly):
    """Review 141: with two former ids listed oldest first, only the last was tried, and the shipped calibration
    was lost (every count moved); and a calibration made between two renames was "made for other content"."""
    from themes.calibrate import calibration_path, locate_calibration
    from themes.codebook import codebook_path

    shipped = codebook_path("rfi_themes")
    copy = tmp_path / "ours.yaml"
    copy.write_text(shipped.read_text().replace("  - id: resource_needs\n",
                                                f"  - id: resources\n    formerly: {formerly}\n"))
    assert locate_calibration(copy, None)[0] == calibration_path(shipped)

    # Renamed twice: 'trust' after a calibration made for the copy with 'resources' already
    between = load_codebook(copy).content_hash()
    twice = tmp_path / "twice.yaml"
    twice.write_text(copy.read_text().replace("  - id: trust\n", "  - id: relationships\n    formerly: [trust]\n"))
    book = load_codebook(twice)
    assert book.made_for(between) and book.made_for(load_codebook(shipped).content_hash())
    assert not book.made_for("0123456789abcdef") and not book.made_for(None)


def test_a_shipped_codebook_copied_and_renamed_without_formerly_says_how_to_keep_its_calibration(tmp_path):
    from themes.calibrate import locate_calibration
    from themes.codebook import codebook_path

    copy = tmp_path / "ours.yaml"
    copy.write_text(codebook_path("partnership_models").read_text().replace("      - id: joint\n",
                                                                           "      - id: joint_program\n"))

    found, where = locate_calibration(copy, None)

    assert found is None
    assert where.endswith("It is partnership_models.yaml with 'service_model.joint' renamed "
                          "'service_model.joint_program': write 'formerly: [joint]' under the type 'joint_program' of "
                          "'service_model', and the shipped calibration is used")


def test_an_unknown_code_that_is_no_typo_names_formerly(renamed_path, tmp_path):
    from themes.evaluate import GoldError, read_gold

    plain = tmp_path / "plain.yaml"
    plain.write_text(RENAMED_YAML.replace("    formerly: [funding]\n", ""))
    gold = tmp_path / "gold.csv"
    gold.write_text("text,themes\nGrants end in June.,funding\nWe trust them.,trust\n", encoding="utf-8")
    with pytest.raises(GoldError) as error:
        read_gold(gold, load_codebook(plain))
    assert str(error.value).endswith("If a theme had the id 'funding' before, list it under that theme in the "
                                     "codebook ('formerly: [funding]'): codes of its old id are then read as its own. "
                                     "If the theme was removed from the codebook, delete 'funding' from the coded "
                                     "cells ('none' where it was a passage's only code), or pass the codebook that "
                                     "has it.")
    gold.write_text("text,themes\nGrants end in June.,resource_need\nWe trust them.,trsut\n", encoding="utf-8")
    with pytest.raises(GoldError) as error:
        read_gold(gold, load_codebook(plain))
    assert "Did you mean 'resource_needs'?" in str(error.value) and "formerly" not in str(error.value)


def test_a_type_listing_its_code_with_the_dimension_is_told_to_list_its_own_id(tmp_path):
    path = tmp_path / "book.yaml"
    path.write_text(RENAMED_YAML.replace("formerly: [joint]", "formerly: [service.joint]"))

    with pytest.raises(CodebookError) as error:
        load_codebook(path)
    assert ("'service.joint' in the formerly of 'joint_program' is a code with its dimension: a type renamed within "
            "its dimension lists its own former id alone ('joint')") in str(error.value)
    # A type moved between dimensions: the bare id would name another code, so the message does not stop at it
    assert "A type moved from another dimension is not read under its old code" in str(error.value)


def test_a_renamed_code_keeps_its_qda_guid_and_validate_codebook_says_the_renames(tiny_codebook_path, renamed_path):
    from typer.testing import CliRunner

    from themes.cli import app
    from themes.refi import codebook_codes

    def guids(path):
        codes = codebook_codes(load_codebook(path))
        return [c.guid for code in codes for c in [code, *code.children]]

    # The same codebook name: only the ids changed
    assert guids(renamed_path) == guids(tiny_codebook_path)
    said = CliRunner().invoke(app, ["validate-codebook", str(renamed_path)]).output.splitlines()
    assert said[-2] == ("  read as renamed (formerly): funding -> resource_needs, service -> service_model, "
                        "service_model.joint -> service_model.joint_program")


def test_two_themes_merged_into_one_read_both_old_ids_as_it(tmp_path):
    """A merge is a rename of two: both old ids listed under the theme they became."""
    from themes.coding import in_current_codes
    from themes.evaluate import read_gold

    path = tmp_path / "merged.yaml"
    merged = TINY_CODEBOOK_YAML.replace("  - id: trust\n", "  - id: partnership\n    formerly: [trust, funding]\n")
    start, end = merged.index("  - id: funding\n"), merged.index("dimensions:\n")
    path.write_text(merged[:start] + merged[end:], encoding="utf-8")
    book = load_codebook(path)
    gold = tmp_path / "gold.csv"
    gold.write_text("text,themes\nWe trust them; grants end.,trust; funding\nGrants end.,funding\nNo.,none\n",
                    encoding="utf-8")

    assert read_gold(gold, book)["gold"].tolist() == [["partnership"], ["partnership"], []]
    calibration = Calibration(codebook="x", codebook_hash="0123456789abcdef", model="test:hashing", method="logistic",
                              C=1.0, thresholds={"trust": 0.4, "funding": 0.6},
                              passages=[CodedPassage(text="Both.", themes=["trust", "funding"])])
    current = in_current_codes(book, calibration)
    assert current.passages[0].themes == ["partnership"] and current.thresholds == {"partnership": 0.4}


def test_a_former_id_clash_between_codebooks_run_together_names_each_codebook(tmp_path, tiny_codebook_path):
    from themes.codebook import merge_codebooks

    other = tmp_path / "other.yaml"
    other.write_text("name: Money codebook\nthemes:\n  - id: money\n    formerly: [trust]\n    label: Money\n"
                     "    definition: Money as a need.\n", encoding="utf-8")

    with pytest.raises(CodebookError) as error:
        merge_codebooks([load_codebook(tiny_codebook_path), load_codebook(other)])
    assert str(error.value) == ("These codebooks cannot be coded together: 'money' of Money codebook lists 'trust' in "
                                "formerly, but 'trust' is a code of Tiny codebook; a coded file's 'trust' would name "
                                "both: remove it from formerly.")
    cash = tmp_path / "cash.yaml"
    cash.write_text(other.read_text().replace("name: Money codebook", "name: Cash codebook").replace(
        "id: money", "id: cash").replace("[trust]", "[old]").replace("label: Money", "label: Cash"))
    coin = tmp_path / "coin.yaml"
    coin.write_text(cash.read_text().replace("Cash", "Coin").replace("id: cash", "id: coin"))
    with pytest.raises(CodebookError) as error:
        merge_codebooks([load_codebook(cash), load_codebook(coin)])
    assert str(error.value) == ("These codebooks cannot be coded together: 'cash' of Cash codebook and 'coin' of Coin "
                                "codebook both list 'old' in formerly; a coded file's 'old' can be read as one of them "
                                "only.")


def _diff_of_a_merge(tmp_path, tiny_codebook_path, theme_line: str, after: list[list[str]]):
    """The diff of a run of the tiny codebook and one of it with 'funding' merged as `theme_line` says."""
    from run_files import write_run_folder

    from themes.redact import Redactor
    from themes.research import diff_run_folders

    merged = tmp_path / "merged.yaml"
    text = TINY_CODEBOOK_YAML.replace("  - id: trust\n", theme_line)
    merged.write_text(text[:text.index("  - id: funding\n")] + text[text.index("dimensions:\n"):], encoding="utf-8")

    def rows(themes: list[list[str]]) -> list[dict]:
        texts = ["We trust them and grants end.", "Grants end.", "Nothing."]
        return [{"respondent_id": f"R{k}", "question": "challenges", "answer": a, "org_type": "CBO", "state": "OH",
                 "segments": [(0, len(a), t)]} for k, (a, t) in enumerate(zip(texts, themes))]

    before = write_run_folder(tmp_path / "a", rows([["trust", "funding"], ["funding"], []]),
                              codebook_path=tiny_codebook_path,
                              thresholds={"trust": 0.45, "funding": 0.5, "service": 0.5})
    coded = write_run_folder(tmp_path / "b", rows(after), codebook_path=merged)
    return diff_run_folders(before, coded, out=tmp_path / "diff", redactor=Redactor(use_ner=False))["diff"]


def test_diff_reads_two_themes_merged_since_as_the_one_they_became(tmp_path, tiny_codebook_path):
    diff = _diff_of_a_merge(tmp_path, tiny_codebook_path, "  - id: partnership\n    formerly: [trust, funding]\n",
                            [["partnership"], ["partnership"], ["partnership"]])

    themes = diff.themes.set_index("theme")
    assert themes.loc["partnership", ["respondents_a", "respondents_b", "answers_gained", "answers_lost"]].tolist() \
        == [2, 3, 1, 0]
    assert {"trust", "funding"}.isdisjoint(themes.index)
    # each of A's thresholds, not the last one renamed (review 160: "0.50" where A used 0.45 and 0.50)
    assert themes.loc["partnership", ["threshold_a", "threshold_b"]].tolist() == ["0.45/0.50", 0.5]
    assert "| partnership | 2 | 3 | 1 | 0 | 1 | 0 | 0.45/0.50 | 0.50 |" in (tmp_path / "diff" / "diff.md").read_text(
        encoding="utf-8")
    # The answer gained, with both runs' scores (A's: the higher of trust's and funding's, 0.1 each)
    assert diff.changes[["respondent_id", "change", "score_a", "score_b"]].values.tolist() == [
        ["R2", "gained", 0.1, 0.9]]


def test_discover_within_a_merged_theme_names_the_theme_it_became(tmp_path, tiny_codebook_path):
    """'--within trust' on a run of a codebook that merged trust into 'partnership' said 'not a theme' with no word of
    the theme that lists it in formerly (review 160)."""
    from run_files import write_run_folder

    from themes.errors import ThemesError
    from themes.research import discover_run

    merged = tmp_path / "merged.yaml"
    text = TINY_CODEBOOK_YAML.replace("  - id: trust\n", "  - id: partnership\n    formerly: [trust, funding]\n")
    merged.write_text(text[:text.index("  - id: funding\n")] + text[text.index("dimensions:\n"):], encoding="utf-8")
    row = {"respondent_id": "R1", "question": "challenges", "answer": "We trust them.", "org_type": "CBO",
           "state": "OH", "segments": [(0, 14, ["partnership"])]}
    run = write_run_folder(tmp_path / "b", [row], codebook_path=merged)
    with pytest.raises(ThemesError, match=r"--within 'trust' is not a theme of .*\. The codebook lists it in formerly "
                                          r"under 'partnership': pass --within partnership\. Themes:"):
        discover_run(run, within="trust")


def test_diff_reads_a_theme_merged_into_one_that_kept_its_id(tmp_path, tiny_codebook_path):
    """Review 143: 'funding' folded into 'trust' (formerly: [funding]) was 'coded in A only', and trust 'gained'."""
    diff = _diff_of_a_merge(tmp_path, tiny_codebook_path, "  - id: trust\n    formerly: [funding]\n",
                            [["trust"], ["trust"], []])

    themes = diff.themes.set_index("theme")
    assert "funding" not in themes.index
    assert themes.loc["trust", ["respondents_a", "respondents_b", "answers_gained", "answers_lost"]].tolist() == [
        2, 2, 0, 0]
    assert diff.read_renamed == [("a", "funding", "trust")]


@pytest.mark.parametrize("in_place", [False, True])
def test_a_run_coded_before_a_rename_exports_to_a_qda_project_under_the_new_ids(tmp_path, tiny_codebook_path,
                                                                                renamed_path, in_place):
    """Review 143: export-project refused it ('The run codes funding, which the codebook lacks'; renamed in place,
    'changed since')."""
    import zipfile

    from run_files import write_run_folder

    from themes.research import export_project

    text = "Grants end after two years."
    run = write_run_folder(tmp_path / "run", [{"respondent_id": "R1", "question": "challenges", "answer": text,
                                               "org_type": "CBO", "state": "OH", "segments": [(0, len(text),
                                                                                                ["funding"])]}],
                           codebook_path=tiny_codebook_path)
    if in_place:
        tiny_codebook_path.write_text(renamed_path.read_text())

    path = export_project(run, tmp_path / "out.qdpx", codebook=None if in_place else renamed_path)["path"]

    with zipfile.ZipFile(path) as archive:
        qde = archive.read("project.qde").decode("utf-8")
    assert "themes id: resource_needs" in qde and "<CodeRef" in qde


def test_a_project_of_merged_themes_read_by_the_codebook_from_before_is_refused_not_misread(tmp_path,
                                                                                           tiny_codebook_path):
    """Review 143: the merged code's GUID, derived from its first former id, matched the old 'trust', and the
    evaluation read every merged coding as trust (recall 0.500) with no word."""
    from run_files import write_run_folder
    from test_refi import reviewed

    from themes.evaluate import GoldError, read_gold
    from themes.research import export_project

    merged = tmp_path / "merged.yaml"
    text = TINY_CODEBOOK_YAML.replace("  - id: trust\n    label: Trust and relationships\n",
                                      "  - id: partnership\n    formerly: [trust, funding]\n    label: Partnership\n")
    merged.write_text(text[:text.index("  - id: funding\n")] + text[text.index("dimensions:\n"):], encoding="utf-8")
    answer = "We trust them and grants end."
    run = write_run_folder(tmp_path / "run", [{"respondent_id": "R1", "question": "challenges", "answer": answer,
                                               "org_type": "CBO", "state": "OH",
                                               "segments": [(0, len(answer), ["partnership"])]}], codebook_path=merged)
    path = export_project(run, tmp_path / "out.qdpx")["path"]

    with pytest.raises(GoldError) as error:
        read_gold(reviewed(path), load_codebook(tiny_codebook_path))
    assert "codes not in the codebook: 'Partnership'" in str(error.value)


def test_a_dimension_renamed_without_formerly_stops_at_its_old_column(tmp_path, renamed_path):
    """Review 143: a gold file's `service` column under a dimension renamed `service_model` was not read, with no
    word: evaluate said "addressed 0", and a calibration learned the dimension was never addressed."""
    from themes.evaluate import GoldError, read_gold

    plain = tmp_path / "plain.yaml"
    plain.write_text(RENAMED_YAML.replace("    formerly: service\n", ""))
    gold = tmp_path / "gold.csv"
    gold.write_text("text,themes,service\nWe send clients over.,trust,referral\nOne team.,none,joint\n"
                    "They refer to us.,none,referral\nNothing.,none,none\n", encoding="utf-8")

    with pytest.raises(GoldError) as error:
        read_gold(gold, load_codebook(plain))
    assert str(error.value) == (f"{gold}: the column 'service' holds the types of the dimension 'service_model' (3 "
                                "cells), which has no column of its own here, so it was not read. If 'service_model' "
                                "was 'service', write 'formerly: [service]' under it in the codebook; else name the "
                                "column 'service_model'.")
    # With formerly, the column is the dimension's
    assert read_gold(gold, load_codebook(renamed_path))["gold"].tolist()[:2] == [
        ["trust", "service_model.referral"], ["service_model.joint_program"]]


def test_a_dimension_read_by_an_old_column_or_its_types_old_ids_is_said(tmp_path, renamed_path):
    """Review 160: a dimension's column under the dimension's old id, and its cells by a type's old id or name, were
    read with no word (a theme's were said): a coder looking at the announcement could not tell what was read as
    what."""
    from themes.evaluate import gold_announcement, read_gold

    labelled = tmp_path / "labelled.yaml"
    labelled.write_text(RENAMED_YAML.replace("label: Joint\n", "label: Jointly staffed\n"), encoding="utf-8")
    gold = tmp_path / "gold.csv"
    gold.write_text("text,themes,service\nWe send clients over.,trust,referral\nOne team.,none,joint\n"
                    "They work in our clinic.,none,Jointly staffed\nNothing.,none,none\n", encoding="utf-8")

    read = read_gold(gold, load_codebook(labelled))
    said = "\n".join(gold_announcement(read, gold))

    assert read["gold"].tolist()[1:3] == [["service_model.joint_program"], ["service_model.joint_program"]]
    assert read.attrs["formerly"] == {"service_model.joint -> service_model.joint_program": 1}
    assert ("read as    1 codes written as an old id the codebook's formerly lists (service_model.joint -> "
            "service_model.joint_program)") in said
    assert "1 dimension cells by a type's name, not its id" in said
    assert "codes      'themes', 'service' (as service_model, an old id its formerly lists)" in said
    # A column by the dimension's id, cells by ids: nothing more said
    plain = tmp_path / "plain.csv"
    plain.write_text("text,themes,service_model\nWe send clients over.,trust,referral\nNothing.,none,none\n",
                     encoding="utf-8")
    said = "\n".join(gold_announcement(read_gold(plain, load_codebook(labelled)), plain))
    assert "read as" not in said and "codes      'themes', 'service_model'\n" in said + "\n"

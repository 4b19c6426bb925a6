"""Incremental projects through the inbox flow: batches accumulate, resubmissions replace, bad files go aside."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from themes.calibrate import find_calibration
from themes.codebook import load_codebook
from themes.coding import in_place_readings, training_texts
from themes.ingest import InputSpec
from themes.errors import InputError
from themes.project import add_batch, is_withdrawal, open_project, stage
from themes.runfolder import read_run

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_rfi" / "responses.csv"
CODEBOOKS = [str(ROOT / "codebooks" / "rfi_themes.yaml"), str(ROOT / "codebooks" / "partnership_models.yaml")]


def drop(inbox: Path, name: str, table: pd.DataFrame, sidecar: Path | None = None) -> Path:
    """Put an export into the inbox as a user would: written under a hidden name, then renamed."""
    inbox.mkdir(exist_ok=True)
    hidden = inbox / f".{name}"
    table.to_csv(hidden, index=False)
    if sidecar is not None:
        shutil.copy(sidecar, (inbox / name).with_suffix(".yaml"))
    return hidden.rename(inbox / name)


def run_inbox(inbox: Path, project: Path, cache: Path, **options) -> list[dict]:
    from themes.flows.deployments import code_inbox

    options = {"codebooks": [CODEBOOKS[0]], "model": "test:hashing", "quotes_per_theme": 1, **options}
    return code_inbox(inbox=str(inbox), project_dir=str(project), cache_dir=str(cache), settle_seconds=0, **options)


@pytest.mark.slow  # three runs over the whole sample (fake embedder): minutes on a busy 2-core machine
@pytest.mark.usefixtures("prefect_harness")
def test_two_batches_of_the_sample_count_as_one_run_and_the_second_embeds_only_its_new_texts(tmp_path):
    from themes.flows.code_responses import run_flow
    from themes.settings import RunSettings

    sample = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    first, second = sample.iloc[:106], sample.iloc[106:]
    inbox, project, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    sidecar = SAMPLE.with_suffix(".yaml")
    drop(inbox, "week1.csv", first, sidecar)
    assert [o["outcome"] for o in run_inbox(inbox, project, cache, codebooks=CODEBOOKS)] == ["added"]
    drop(inbox, "week2.csv", second, sidecar)
    outcomes = run_inbox(inbox, project, cache, codebooks=CODEBOOKS)
    assert [(o["file"], o["outcome"], o["batch"]) for o in outcomes] == [("week2.csv", "added", "002 week2.csv")]

    whole = tmp_path / "whole"
    run_flow(str(SAMPLE), str(whole), RunSettings(codebooks=tuple(CODEBOOKS), model="test:hashing",
                                                  cache_dir=str(tmp_path / "other-cache"), quotes_per_theme=1))
    output = project / "output"
    for name in ("theme_counts.csv", "framework_counts.csv", "theme_counts_by_state.csv",
                 "framework_counts_by_org_type.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(output / name), pd.read_csv(whole / name), obj=name)
    mine = pd.read_csv(output / "responses.csv", dtype=str, keep_default_na=False)
    theirs = pd.read_csv(whole / "responses.csv", dtype=str, keep_default_na=False)
    assert (mine[["respondent_id", "question", "status", "themes"]].values
            == theirs[["respondent_id", "question", "status", "themes"]].values).all()

    manifest = json.loads((output / "manifest.json").read_text())
    batches = manifest["batches"]
    assert [(b["batch"], b["file"], b["respondents"]) for b in batches] == [("001 week1.csv", "week1.csv", 106),
                                                                           ("002 week2.csv", "week2.csv", 106)]
    assert [b["sha256"] for b in batches] == [json.loads((project / "project.json").read_text())["batches"][i]["sha256"]
                                              for i in range(2)]
    assert len({b["sha256"] for b in batches}) == 2
    # The second batch embedded exactly its segment texts (and the framework's in-place readings of them) that
    # neither the first batch nor the codebooks' training passages (embedded by the first run) had brought.
    run = read_run(output)
    batch_of = dict(zip(run.answers["respondent_id"], run.answers["batch"]))
    framework = load_codebook(CODEBOOKS[1])
    texts = {}
    for label in ("001 week1.csv", "002 week2.csv"):
        segments = list(run.segments.loc[run.segments["respondent_id"].map(batch_of) == label, "text"])
        texts[label] = set(segments) | set(in_place_readings(framework, segments))
    learned = {t for path in CODEBOOKS for t in training_texts(load_codebook(path), find_calibration(path, None))}
    new_texts = texts["002 week2.csv"] - texts["001 week1.csv"] - learned
    assert batches[1]["embedding"]["embedded"] == len(new_texts) > 0
    assert outcomes[0]["embedded"] == len(new_texts)
    assert batches[0]["embedding"]["embedded"] > batches[1]["embedding"]["embedded"]
    # A table per batch, whose respondents add up to the project's.
    by_batch = pd.read_csv(output / "theme_counts_by_batch.csv")
    assert sorted(set(by_batch["batch"])) == ["001 week1.csv", "002 week2.csv"]
    totals = by_batch.groupby("theme")["respondents"].sum()
    overall = pd.read_csv(output / "theme_counts.csv").set_index("theme")["respondents"]
    assert (totals.reindex(overall.index) == overall).all()
    report = (output / "report.md").read_text()
    assert report.startswith("# Themes in project (2 batches)\n") and "\n## By batch\n" in report
    assert sorted(p.name.split(" ", 1)[1] for p in (inbox / "processed").iterdir()) == [
        "week1.csv", "week1.yaml", "week2.csv", "week2.yaml"]
    log = pd.read_csv(project / "inbox.csv", keep_default_na=False)
    assert list(log["outcome"]) == ["added", "added"] and list(log["file"]) == ["week1.csv", "week2.csv"]


def test_a_resubmission_replaces_the_respondents_earlier_answers_and_is_recorded(tmp_path, tiny_responses_path):
    tiny = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    project = open_project(tmp_path / "project")
    combined, project = add_batch(project, tiny_responses_path, InputSpec())
    stage(project, combined)
    again = tiny[tiny["respondent_id"] == "R2"].assign(challenges="Nothing holds us back now.")
    again = pd.concat([again, tiny.iloc[[0]].assign(respondent_id="R6")])
    resubmitted = tmp_path / "resubmitted.csv"
    again.to_csv(resubmitted, index=False)
    combined, project = add_batch(project, resubmitted, InputSpec())
    assert project.batches[1]["replaced"] == [{"respondent_id": "R2", "replaced_batch": "001 tiny_responses.csv"}]
    assert project.batches[1]["respondents"] == 2
    r2 = combined[combined["respondent_id"] == "R2"]
    assert len(r2) == 3 and set(r2["batch"]) == {"002 resubmitted.csv"}
    assert r2.set_index("question").at["challenges", "answer"] == "Nothing holds us back now."
    assert sorted(combined["respondent_id"].unique()) == ["R1", "R2", "R3", "R4", "R5", "R6"]
    assert len(combined) == 6 * 3


def test_a_batch_sidecars_question_as_stays_with_the_project(tmp_path, tiny_responses_path):
    """The project is coded anew from all its batches: a question the first batch's sidecar said to read as a
    calibration question is read so in every later run, a later batch's word winning."""
    tiny = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    project = open_project(tmp_path / "project")
    worded = tmp_path / "week1.csv"
    tiny.rename(columns={"challenges": "What holds it back?"}).to_csv(worded, index=False)
    worded.with_suffix(".yaml").write_text('question_as:\n  "What holds it back?": challenges\n')
    combined, project = add_batch(project, worded, InputSpec())
    stage(project, combined)
    assert project.spec.question_as == (("What holds it back?", "challenges"),)
    assert project.spec.sources["question_as"] == "sidecars of the project's batches"
    later = tmp_path / "week2.csv"
    tiny.assign(respondent_id=lambda t: t["respondent_id"] + "b").rename(
        columns={"challenges": "What holds it back?"}).to_csv(later, index=False)
    combined, project = add_batch(project, later, InputSpec())
    assert project.spec.question_as == (("What holds it back?", "challenges"),)  # week2 had no sidecar
    latest = tmp_path / "week3.csv"
    tiny.assign(respondent_id=lambda t: t["respondent_id"] + "c").rename(
        columns={"challenges": "What holds it back?"}).to_csv(latest, index=False)
    latest.with_suffix(".yaml").write_text('question_as:\n  "What holds it back?": effective_practices\n')
    combined, project = add_batch(project, latest, InputSpec())
    assert project.spec.question_as == (("What holds it back?", "effective_practices"),)


def test_a_batch_of_other_people_numbered_the_same_way_is_refused(tmp_path, tiny_responses_path):
    """A second site's export with ids 1-40 replaced the first site's 40 respondents (QA round 3): ids that
    repeat, with not one answer in common, are other people."""
    from themes.errors import InputError

    tiny = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    project = open_project(tmp_path / "project")
    combined, project = add_batch(project, tiny_responses_path, InputSpec())
    stage(project, combined)
    other = tiny.copy()
    for column in ("challenges", "effective_practices", "community_engagement"):
        other[column] = [f"Site B respondent {k} wrote about {column} in their own words." for k in range(len(tiny))]
    site_b = tmp_path / "site_b.csv"
    other.to_csv(site_b, index=False)
    with pytest.raises(InputError, match=r"^site_b.csv: 5 of its respondent ids are already in the project, yet not "
                                         r"one of their answers matches"):
        add_batch(project, site_b, InputSpec())


def test_a_batch_names_its_columns_as_earlier_batches_did(tmp_path, tiny_responses_path):
    """'State' and 'Org type' in week 2 where week 1 had 'state' and 'org_type' split every breakdown in two."""
    tiny = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    project = open_project(tmp_path / "project")
    combined, project = add_batch(project, tiny_responses_path, InputSpec(meta_columns=("org_type", "state")))
    stage(project, combined)
    week2 = tiny.assign(respondent_id=[f"W{k}" for k in range(len(tiny))]).rename(
        columns={"state": "State", "org_type": "Org type", "challenges": "Challenges"})
    path = tmp_path / "week2.csv"
    week2.to_csv(path, index=False)
    combined, project = add_batch(project, path, InputSpec(meta_columns=("Org type", "State")))
    assert project.batches[1]["renamed"] == {"Org type": "org_type", "State": "state", "Challenges": "challenges"}
    assert {"org_type", "state"} <= set(combined.columns) and not {"Org type", "State"} & set(combined.columns)
    assert set(combined["question"]) == set(combined.loc[combined["batch"].str.startswith("001"), "question"])
    assert (combined["state"] != "unknown").all()


def _first_batch(tmp_path: Path, tiny_responses_path: Path):
    project = open_project(tmp_path / "project")
    combined, project = add_batch(project, tiny_responses_path, InputSpec(meta_columns=("org_type", "state")))
    stage(project, combined)
    return pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False), project


def test_an_export_to_date_keeps_its_unchanged_respondents_in_their_batches(tmp_path, tiny_responses_path):
    """A cumulative export (every response to date) took its 49 unchanged respondents as resubmissions: batch 1
    vanished from the counts by batch, with every answer identical."""
    tiny, project = _first_batch(tmp_path, tiny_responses_path)
    to_date = pd.concat([tiny.assign(challenges=tiny["challenges"] + "  "),  # spacing is no change
                         tiny.iloc[[0]].assign(respondent_id="R6")])
    to_date.loc[to_date["respondent_id"] == "R2", "challenges"] = "Nothing holds us back now."
    path = tmp_path / "to_date.csv"
    to_date.to_csv(path, index=False)
    combined, project = add_batch(project, path, InputSpec(meta_columns=("org_type", "state")))
    record = project.batches[1]
    assert record["unchanged"] == 4 and [r["respondent_id"] for r in record["replaced"]] == ["R2"]
    assert record["respondents"] == 2
    batch_of = combined.drop_duplicates("respondent_id").set_index("respondent_id")["batch"]
    assert {rid for rid, b in batch_of.items() if b.startswith("001")} == {"R1", "R3", "R4", "R5"}
    assert len(combined) == 6 * 3


def test_an_export_to_date_without_some_of_the_projects_respondents_names_them(tmp_path, tiny_responses_path):
    """R010, absent from week 2's export of all responses to date (withdrawn), stayed in every count, evidence and
    base of the project, and nothing said so (review 165)."""
    tiny, project = _first_batch(tmp_path, tiny_responses_path)
    to_date = pd.concat([tiny[tiny["respondent_id"] != "R3"], tiny.iloc[[0]].assign(
        respondent_id="R6", challenges="Our new partner clinic has no interpreter on Saturdays.")])
    path = tmp_path / "to_date.csv"
    to_date.to_csv(path, index=False)
    combined, project = add_batch(project, path, InputSpec(meta_columns=("org_type", "state")))
    assert project.batches[1]["absent"] == ["R3"] and project.batches[1]["unchanged"] == 4
    # A batch of new respondents alone is no export to date: the project's others are not absent from it
    week3 = tiny.iloc[[0]].assign(respondent_id="R7")
    path = tmp_path / "week3.csv"
    week3.to_csv(path, index=False)
    stage(project, combined)
    _, project = add_batch(project, path, InputSpec(meta_columns=("org_type", "state")))
    assert project.batches[2]["absent"] == []


def test_a_resubmission_keeps_its_answers_to_a_question_its_export_dropped(tmp_path, tiny_responses_path):
    """R5 resubmitted in an export that no longer had one question: the earlier answer to it was deleted."""
    tiny, project = _first_batch(tmp_path, tiny_responses_path)
    again = tiny[tiny["respondent_id"] == "R5"].assign(challenges="Grants end; we found a new funder.", state="WI")
    path = tmp_path / "again.csv"
    again.drop(columns=["community_engagement"]).to_csv(path, index=False)
    combined, project = add_batch(project, path, InputSpec(meta_columns=("org_type", "state")))
    r5 = combined[combined["respondent_id"] == "R5"].set_index("question")
    assert r5.at["community_engagement", "answer"] == "Community members review the results with us every year."
    assert set(r5["batch"]) == {project.batches[1]["batch"]} and set(r5["state"]) == {"WI"}
    assert project.batches[1]["kept_from_before"] == ["community_engagement"]
    assert project.batches[1]["kept_beside_new"] == []


def test_a_resubmission_whose_question_was_renamed_says_it_holds_both_answers(tmp_path, tiny_responses_path):
    """Review 174: R5 resubmitted with 'challenges' renamed 'barriers': the earlier answer was kept beside the edited
    one, both counted, and nothing tied the kept question to the new one."""
    tiny, project = _first_batch(tmp_path, tiny_responses_path)
    again = tiny[tiny["respondent_id"] == "R5"].assign(challenges="Edited later: staff turnover is the barrier.")
    path = tmp_path / "again.csv"
    again.rename(columns={"challenges": "barriers"}).to_csv(path, index=False)
    _, project = add_batch(project, path, InputSpec(meta_columns=("org_type", "state")))
    assert (project.batches[1]["kept_from_before"], project.batches[1]["kept_beside_new"]) == (["challenges"],
                                                                                             ["barriers"])


def test_a_few_ids_of_other_people_are_refused_and_ids_written_otherwise_too(tmp_path, tiny_responses_path):
    """Two organisations of other states under the project's ids replaced its respondents with no word (the
    refusal needed five such ids), and R041 sent again as '41' was counted twice."""
    from themes.errors import InputError

    tiny, project = _first_batch(tmp_path, tiny_responses_path)
    spec = InputSpec(meta_columns=("org_type", "state"),
                     text_columns=("challenges", "effective_practices", "community_engagement"))
    other = tiny.iloc[[3, 4]].assign(state=["WA", "ME"], challenges=["Rural roads.", "Broadband is poor."],
                                     effective_practices=["Weekly calls.", "Shared staff."],
                                     community_engagement=["Listening sessions.", "A youth council."])
    path = tmp_path / "other.csv"
    other.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"^other.csv: respondent ids 'R4' \(state CA -> WA\), 'R5' \(state MN -> "
                                         r"ME\) are already in the project for another respondent"):
        add_batch(project, path, spec)
    again = tiny.iloc[[0, 1]].assign(respondent_id=["1", "002"])
    path = tmp_path / "renumbered.csv"
    again.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"^renumbered.csv: respondent ids '1' \(the project's 'R1'\), '002' \(the "
                                         r"project's 'R2'\) look like respondents the project holds"):
        add_batch(project, path, spec)
    # other people under new ids of the same digits, with answers of their own, are new respondents
    fresh = tiny.iloc[[0, 1]].assign(respondent_id=["1", "2"], challenges=["Rural roads.", "Staff leave."],
                                     effective_practices=["Weekly calls.", "Shared staff."],
                                     community_engagement=["Listening sessions.", "A youth council."])
    fresh.to_csv(path, index=False)
    combined, _ = add_batch(project, path, spec)
    assert combined["respondent_id"].nunique() == 7
    # ... and one respondent who moved and rewrote every answer, in an export that repeats the others, resubmits
    # (a review: it rejected the export, and every later export to date with it)
    moved = pd.concat([tiny.iloc[:4], other.iloc[[1]]])
    moved.to_csv(path, index=False)
    combined, staged = add_batch(project, path, spec)
    assert staged.batches[-1]["unchanged"] == 4 and staged.batches[-1]["replaced"][0]["respondent_id"] == "R5"
    # ... and a platform's ids ('R_x2Kq') are no number written another way, nor is 'N/A' anyone's own answer
    platform = tiny.iloc[[1]].assign(respondent_id="R_x2Kq", effective_practices="N/A")
    platform.to_csv(path, index=False)
    assert add_batch(project, path, spec)[0]["respondent_id"].nunique() == 6


def test_a_metadata_column_renamed_in_the_form_is_read_by_its_values(tmp_path, tiny_responses_path):
    """'Organization category' and 'State / territory' in week 4 for 'org_type' and 'state' split every
    breakdown in two, each with an 'unknown' group of the other's respondents, unsaid."""
    tiny, project = _first_batch(tmp_path, tiny_responses_path)
    week = tiny.assign(respondent_id=[f"W{k}" for k in range(len(tiny))], state=["CA", "NY", "OH", "MN", "CA"]
                       ).rename(columns={"org_type": "Organization category", "state": "State / territory"})
    path = tmp_path / "week.csv"
    week.to_csv(path, index=False)
    combined, project = add_batch(project, path, InputSpec(meta_columns=("Organization category",
                                                                          "State / territory")))
    assert project.batches[1]["renamed"] == {"Organization category": "org_type", "State / territory": "state"}
    assert (combined["state"] != "unknown").all() and "State / territory" not in combined.columns
    # two columns of one set of choices, or names with no word in common, are not told apart by their values
    week["Partner organization type"] = week["Organization category"]
    week.to_csv(path, index=False)
    _, staged = add_batch(project, path, InputSpec(meta_columns=("Partner organization type", "Organization category",
                                                                 "State / territory")))
    assert staged.batches[-1]["renamed"] == {"State / territory": "state"}
    sized = week.drop(columns=["Partner organization type"]).rename(columns={"Organization category": "Kind"})
    sized.to_csv(path, index=False)
    _, staged = add_batch(project, path, InputSpec(meta_columns=("Kind", "State / territory")))
    assert staged.batches[-1]["renamed"] == {"State / territory": "state"}


def test_an_export_to_date_fills_in_a_new_column_and_a_carried_answer_drops_a_gone_one(tmp_path,
                                                                                        tiny_responses_path):
    """A cumulative export that adds 'region' gave it to its new respondents only; a resubmission's answer kept
    from before carried its old type where the export had dropped the column ('unknown' on its other answers)."""
    tiny, project = _first_batch(tmp_path, tiny_responses_path)
    path = tmp_path / "to_date.csv"
    pd.concat([tiny, tiny.iloc[[0]].assign(respondent_id="R6")]).assign(region=list("NWSEWN")).to_csv(path, index=False)
    combined, _ = add_batch(project, path, InputSpec(meta_columns=("org_type", "state", "region")))
    region = combined.drop_duplicates("respondent_id").set_index("respondent_id")["region"]
    assert list(region.sort_index()) == list("NWSEWN")
    again = tiny[tiny["respondent_id"] == "R5"].assign(challenges="Grants end; we found a new funder.")
    again.drop(columns=["community_engagement", "org_type"]).to_csv(path, index=False)
    combined, _ = add_batch(project, path, InputSpec(meta_columns=("state",)))
    assert set(combined.loc[combined["respondent_id"] == "R5", "org_type"]) == {"unknown"}


def test_an_inbox_batch_says_the_questions_the_calibration_never_learned():
    """Questions Q1-Q8 were coded by the models learned without the question, which agree less with people: a
    standalone run said so, the inbox did not."""
    from themes.flows.deployments import _new_questions
    from themes.settings import RunSettings

    lines = _new_questions(["Q1", "Q2", "challenges"], RunSettings(codebooks=[CODEBOOKS[0]]))
    assert len(lines) == 1 and lines[0].startswith("  questions  'Q1', 'Q2' not among the calibration's (")
    assert "Say which each is in the batch's sidecar (question_as: {\"Q1\": NAME}, NAME one of those)" in lines[0]
    # the project's sidecars said which Q1 is
    lines = _new_questions(["Q1", "Q2", "challenges"], RunSettings(codebooks=[CODEBOOKS[0]]), {"Q1": "funding"})
    assert lines[0] == "  questions  read as the calibration's: 'Q1' (as told) as 'funding'"
    assert lines[1].startswith("  questions  'Q2' not among the calibration's (")


@pytest.mark.usefixtures("prefect_harness")
def test_a_batch_coded_after_its_codebook_was_edited_says_the_calibration_no_longer_fits(tmp_path,
                                                                                       tiny_responses_path):
    """A production review: the codebook edited while the inbox was served (a theme added); `themes run` says the
    calibration was made for other content and learned nothing of the new theme; the batch's reason said neither."""
    from themes.flows.deployments import _calibration_said
    from themes.settings import RunSettings

    inbox, folder, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    edited = tmp_path / "rfi_themes.yaml"
    edited.write_text(Path(CODEBOOKS[0]).read_text(encoding="utf-8").replace("themes:\n", (
        "themes:\n  - id: transport\n    label: Transport\n    definition: Getting to appointments and services.\n"
        "    examples:\n      - \"Patients miss visits because there is no bus.\"\n"), 1), encoding="utf-8")
    shutil.copy(Path(CODEBOOKS[0]).with_suffix("").with_suffix(".calibration.json"), tmp_path)
    assert _calibration_said(RunSettings(codebooks=[CODEBOOKS[0]])) == []

    said = _calibration_said(RunSettings(codebooks=[str(edited)]))
    assert said[0].startswith("rfi_themes.yaml's calibration rfi_themes.calibration.json: made for other content "
                              "(codebook hash ")
    assert said[1].startswith("calibration codes no passage with 'transport'")
    drop(inbox, "week.csv", pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False))
    outcome, = run_inbox(inbox, folder, cache, codebooks=[str(edited)])
    assert outcome["outcome"] == "added" and all(line in outcome["reason"] for line in said)


def test_the_same_file_twice_is_refused(tmp_path, tiny_responses_path):
    from themes.errors import InputError

    project = open_project(tmp_path / "project")
    _, project = add_batch(project, tiny_responses_path, InputSpec())
    copy = tmp_path / "again.csv"
    shutil.copy(tiny_responses_path, copy)
    with pytest.raises(InputError, match=r"^again.csv has the same content as batch '001 tiny_responses.csv', "
                                         r"already in the project; nothing to add.$"):
        add_batch(project, copy, InputSpec())


@pytest.mark.usefixtures("prefect_harness")
def test_a_bad_file_is_rejected_with_its_reason_and_the_others_are_coded(tmp_path, tiny_responses_path,
                                                                         tiny_codebook_path):
    inbox, project, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    tiny = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    drop(inbox, "a_blank.csv", tiny.assign(challenges="", effective_practices="N/A", community_engagement="-"))
    time.sleep(0.05)
    # with a column the reader passes over, and says so: in the inbox too (a standalone run printed it, the inbox
    # said nothing)
    drop(inbox, "b_good.csv", tiny.assign(entry_note="Entered by the intake team from the paper forms they collected."))
    os.utime(inbox / "b_good.csv")
    outcomes = run_inbox(inbox, project, cache, codebooks=[str(tiny_codebook_path)])
    assert [(o["file"], o["outcome"]) for o in outcomes] == [("a_blank.csv", "rejected"), ("b_good.csv", "added")]
    assert len(outcomes[0]["sha256"]) == 64  # which version of the file was refused
    # the option the message names is, in an inbox, a sidecar's key
    assert outcomes[0]["reason"] == ("No answer to code: 'effective_practices', 'community_engagement' hold only "
                                     "placeholders (\"N/A\", \"none\", \"see above\"). Check that this is the export "
                                     "with the answers; --text-column names the open-ended columns. In the inbox, give "
                                     "it in a sidecar beside the export: a_blank.yaml with 'text_columns: ...' (README, "
                                     "'Input').")
    assert outcomes[1]["batch"] == "001 b_good.csv"  # a rejected file takes no batch number
    assert outcomes[1]["reason"] == ("the column 'entry_note' holds text but repeats most of its values, so it was not "
                                     "taken for an open-ended question; name it with --text-column to code it.")
    assert [p.name.split(" ", 1)[1] for p in (inbox / "rejected").iterdir()] == ["a_blank.csv"]
    assert [p.name.split(" ", 1)[1] for p in (inbox / "processed").iterdir()] == ["b_good.csv"]
    assert [p.name for p in inbox.iterdir() if p.is_file()] == []
    log = pd.read_csv(project / "inbox.csv", keep_default_na=False)
    assert list(log["outcome"]) == ["rejected", "added"]
    assert log.at[0, "reason"] == outcomes[0]["reason"]
    assert json.loads((project / "project.json").read_text())["batches"][0]["file"] == "b_good.csv"
    # Nothing new: the next look codes nothing and leaves the project as it was.
    assert run_inbox(inbox, project, cache, codebooks=[str(tiny_codebook_path)]) == []


@pytest.mark.usefixtures("prefect_harness")
def test_a_file_that_fails_while_coding_leaves_the_project_as_it_was(tmp_path, tiny_responses_path,
                                                                     tiny_codebook_path):
    inbox, project, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    tiny = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    drop(inbox, "first.csv", tiny.iloc[:3])
    run_inbox(inbox, project, cache, codebooks=[str(tiny_codebook_path)])
    before = (project / "answers.parquet").read_bytes(), (project / "project.json").read_text()
    drop(inbox, "second.csv", tiny.iloc[3:])
    outcomes = run_inbox(inbox, project, cache, codebooks=[str(tiny_codebook_path)],
                         coded_sample=str(tmp_path / "missing.csv"))
    assert [o["outcome"] for o in outcomes] == ["rejected"]
    assert ((project / "answers.parquet").read_bytes(), (project / "project.json").read_text()) == before
    assert not list(project.glob(".*previous"))


def _two_halves(tmp_path: Path, responses: Path) -> tuple[Path, Path]:
    """The tiny survey as two exports: its first three respondents, then the others."""
    tiny = pd.read_csv(responses, dtype=str, keep_default_na=False)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    tiny.iloc[:3].to_csv(first, index=False)
    tiny.iloc[3:].to_csv(second, index=False)
    return first, second


def test_a_batch_stopped_while_coded_is_taken_out_when_the_project_is_opened_again(tmp_path, tiny_responses_path):
    """Killed after its answers were staged and before project.json listed it: the next batch's run counted its
    respondents, and trying it again recorded each of them as 'replaced' by itself."""
    from themes.project import save

    folder = tmp_path / "project"
    first, second = _two_halves(tmp_path, tiny_responses_path)
    # The first batch stopped before it was saved: nothing of it stays, and the folder is still a new project.
    combined, staged = add_batch(open_project(folder), first, InputSpec())
    stage(staged, combined)
    (folder / "output").mkdir()  # the run had begun writing
    assert open_project(folder).batches == [] and not (folder / "answers.parquet").exists()
    # The first batch saved; the second stopped: the answers are the first batch's again, the backup gone.
    combined, staged = add_batch(open_project(folder), first, InputSpec())
    save(staged, staged.batches, stage(staged, combined))
    saved = (folder / "answers.parquet").read_bytes()
    combined, staged = add_batch(open_project(folder), second, InputSpec())
    stage(staged, combined)
    reopened = open_project(folder)
    assert (folder / "answers.parquet").read_bytes() == saved and not list(folder.glob(".*previous"))
    combined, staged = add_batch(reopened, second, InputSpec())  # tried again: nobody replaced
    assert staged.batches[-1]["replaced"] == [] and staged.batches[-1]["batch"] == "002 second.csv"
    # A backup left by a save that stopped after writing project.json is stale: removed, the answers kept.
    save(staged, staged.batches, stage(staged, combined))
    (folder / ".answers.parquet.previous").write_bytes(saved)
    kept = (folder / "answers.parquet").read_bytes()
    open_project(folder)
    assert (folder / "answers.parquet").read_bytes() == kept and not list(folder.glob(".*previous"))


def test_a_batch_with_no_answer_to_code_is_refused(tmp_path, tiny_responses_path):
    """Twelve respondents who all wrote 'N/A' were added as a batch, while 'themes run' refuses such a file."""
    from themes.errors import InputError
    from themes.settings import RunSettings

    tiny = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    first, empty = tmp_path / "first.csv", tmp_path / "empty.csv"
    tiny.to_csv(first, index=False)
    blank = tiny.assign(respondent_id=[f"N{k}" for k in range(len(tiny))],
                        **{c: "N/A" for c in ("challenges", "effective_practices", "community_engagement")})
    blank.to_csv(empty, index=False)
    combined, staged = add_batch(open_project(tmp_path / "p"), first, InputSpec(), RunSettings())
    stage(staged, combined)
    with pytest.raises(InputError, match=r"^None of the 15 answers has text to code \(15 non_answer\)"):
        add_batch(staged, empty, InputSpec(text_columns=("challenges", "effective_practices",
                                                         "community_engagement")), RunSettings())


def test_a_small_batch_reads_the_questions_earlier_batches_coded(tmp_path, tiny_responses_path):
    """Five new respondents with short answers to one question ("Surveys."): the guess passed it over, and the
    project lost the question for them (and a resubmitted answer to it) without a word."""
    tiny = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    first, small = tmp_path / "first.csv", tmp_path / "small.csv"
    tiny.to_csv(first, index=False)
    tiny.assign(respondent_id=[f"N{k}" for k in range(len(tiny))],
                community_engagement=["Surveys.", "Town halls.", "A board.", "Surveys.", "Focus groups."]
                ).to_csv(small, index=False)
    combined, staged = add_batch(open_project(tmp_path / "p"), first, InputSpec())
    stage(staged, combined)
    combined, staged = add_batch(staged, small, InputSpec())
    assert staged.batches[-1]["kept_questions"] == ["community_engagement"]
    new = combined[combined["batch"] == staged.batches[-1]["batch"]]
    assert set(new["question"]) == {"challenges", "effective_practices", "community_engagement"}


def test_the_same_export_saved_again_is_refused_though_its_bytes_differ(tmp_path, tiny_responses_path):
    """Saved again with Windows line endings, an export was a new batch that 'replaced' every respondent."""
    from themes.errors import InputError

    again = tmp_path / "again.csv"
    again.write_bytes(tiny_responses_path.read_bytes().replace(b"\n", b"\r\n"))
    combined, staged = add_batch(open_project(tmp_path / "p"), tiny_responses_path, InputSpec())
    stage(staged, combined)
    with pytest.raises(InputError, match=r"^again.csv holds no answer the project does not hold already, word for "
                                         r"word \(batch '001 tiny_responses.csv'\): the same export saved again"):
        add_batch(staged, again, InputSpec())


def _renumbered_sample(tmp_path: Path) -> Path:
    """A coded sample whose ids were shifted by one since the draw: every code sits on another answer's key."""
    answers = {"R1": "Trust between our directors, built over ten years of working together.",
               "R2": "Regular check-ins and shared goals.",
               "R4": "Our partners know each other well and are honest when things go wrong.",
               "R5": "A champion on the hospital side made it happen."}
    ids = list(answers)
    path = tmp_path / "renumbered.csv"
    pd.DataFrame({"respondent_id": ids[1:] + ids[:1], "question": "effective_practices",
                  "answer": list(answers.values()), "themes": ["trust", "none", "trust", "none"]}).to_csv(path,
                                                                                                        index=False)
    return path


@pytest.mark.usefixtures("prefect_harness")
def test_an_inbox_batch_is_refused_when_the_coded_sample_codes_other_answers(tmp_path, tiny_responses_path,
                                                                            tiny_codebook_path):
    """`themes run` refuses a sample whose texts are not the answers under its keys; a served project read it
    without that check and corrected the counts with codes of other answers."""
    inbox, project, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    drop(inbox, "first.csv", pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False))
    outcomes = run_inbox(inbox, project, cache, codebooks=[str(tiny_codebook_path)],
                         coded_sample=str(_renumbered_sample(tmp_path)))
    assert [o["outcome"] for o in outcomes] == ["rejected"]
    assert outcomes[0]["reason"].startswith(
        "renumbered.csv: 4 of 4 coded answers' text is not this input's answer under the same respondent and question")


@pytest.mark.usefixtures("prefect_harness")
def test_a_served_export_run_stops_when_the_coded_sample_codes_other_answers(tmp_path, tiny_responses_path,
                                                                           tiny_codebook_path):
    from themes.errors import ThemesError
    from themes.flows.deployments import code_export

    with pytest.raises(ThemesError, match="the codes belong to other answers"):
        code_export(input_path=str(tiny_responses_path), out=str(tmp_path / "out"),
                    codebooks=[str(tiny_codebook_path)], coded_sample=[str(_renumbered_sample(tmp_path))],
                    model="test:hashing", cache_dir=str(tmp_path / "cache"))
    assert not (tmp_path / "out" / "report.md").exists()


def _held_by_another_process(folder: Path):
    """A live process other than this one holding the project, as the flow run a killed serve left does."""
    import subprocess
    import sys

    from themes.project import LOCK

    folder.mkdir(parents=True, exist_ok=True)
    code = ("import fcntl, json, os, sys, time\n"
            f"handle = os.open({str(folder / LOCK)!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(handle, fcntl.LOCK_EX)\n"
            "os.write(handle, json.dumps({'pid': os.getpid(), 'host': 'other-host'}).encode())\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_batch_another_live_process_is_coding_is_left_alone(tmp_path, tiny_responses_path):
    """A serve killed with SIGKILL leaves its flow run coding a batch; a serve started again took that batch's
    staged answers out while it was coded, and the batch was saved with none of its answers."""
    folder = tmp_path / "project"
    tiny = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    first = tmp_path / "first.csv"
    tiny.iloc[:3].to_csv(first, index=False)
    combined, staged = add_batch(open_project(folder), first, InputSpec())
    stage(staged, combined)
    staged_bytes = (folder / "answers.parquet").read_bytes()
    child = _held_by_another_process(folder)
    try:
        assert open_project(folder).batches == [] and (folder / "answers.parquet").read_bytes() == staged_bytes
        from themes.project import ProjectBusy, working_on

        with pytest.raises(ProjectBusy, match=f"is being worked on by process {child.pid} on other-host"):
            with working_on(folder):
                pass
    finally:
        child.kill()
        child.wait()
    # Its holder gone (killed before it saved): the batch was interrupted, and is taken out.
    assert open_project(folder).batches == [] and not (folder / "answers.parquet").exists()
    from themes.project import working_on

    with working_on(folder):  # a lock its holder left is no hold
        pass


@pytest.mark.usefixtures("prefect_harness")
def test_an_inbox_look_while_another_process_holds_the_project_leaves_the_exports_waiting(tmp_path,
                                                                                         tiny_responses_path,
                                                                                         tiny_codebook_path):
    inbox, folder, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    drop(inbox, "first.csv", pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False))
    child = _held_by_another_process(folder)
    try:
        assert run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)]) == []
        assert (inbox / "first.csv").is_file() and not (inbox / "rejected").exists()
    finally:
        child.kill()
        child.wait()


def test_an_unfinished_first_batch_without_a_backup_takes_only_its_own_answers(tmp_path, tiny_responses_path):
    """With no backup of the answers, putting an unfinished batch back deleted answers.parquet whole: every
    listed batch's answers went (project.json listed 12 batches, the answers held the last one only)."""
    from themes.project import save

    folder = tmp_path / "project"
    first, second = _two_halves(tmp_path, tiny_responses_path)
    combined, staged = add_batch(open_project(folder), first, InputSpec())
    save(staged, staged.batches, stage(staged, combined))
    listed = pd.read_parquet(folder / "answers.parquet")
    combined, staged = add_batch(open_project(folder), second, InputSpec())
    stage(staged, combined)
    (folder / ".answers.parquet.previous").unlink()  # the backup lost
    open_project(folder)
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "answers.parquet"), listed)


@pytest.mark.usefixtures("prefect_harness")
def test_a_broken_project_fails_the_look_and_rejects_no_export(tmp_path, tiny_responses_path, tiny_codebook_path):
    """project.json unreadable, or the project folder emptied after exports were coded into it: each export was
    moved to rejected/ with the project's reason, or a new project silently began."""
    from themes.errors import ThemesError

    inbox, folder, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    tiny = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    drop(inbox, "first.csv", tiny.iloc[:3])
    assert [o["outcome"] for o in run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])] == ["added"]
    (folder / "project.json").write_text('{"batches": [', encoding="utf-8")
    drop(inbox, "second.csv", tiny.iloc[3:])
    with pytest.raises(ThemesError, match="project.json cannot be read"):
        run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert (inbox / "second.csv").is_file() and not (inbox / "rejected").exists()
    shutil.rmtree(folder)
    with pytest.raises(ThemesError, match=r"holds no batch, but 1 export in .* were coded into a project"):
        run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert (inbox / "second.csv").is_file()


def test_a_lock_path_that_is_no_file_is_one_line(tmp_path):
    from themes.project import LOCK, ProjectError, working_on

    (tmp_path / "project" / LOCK).mkdir(parents=True)
    with pytest.raises(ProjectError, match=r"\.working cannot be opened to hold the project .*remove it if it is "
                                           r"not a file"):
        with working_on(tmp_path / "project"):
            pass


@pytest.mark.usefixtures("prefect_harness")
def test_an_export_that_changes_while_it_is_coded_stays_in_the_inbox_and_is_read_again(tmp_path, tiny_responses_path,
                                                                                     tiny_codebook_path, monkeypatch):
    """An operator's review: a file of the same name dropped over an export while it was coded (or a slow copy that
    paused past the settle time) was moved to processed/ unread, and its answers were lost with no word."""
    from themes.flows import deployments

    inbox, folder, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    table = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    first, later = table.iloc[:2], table.copy()
    later["respondent_id"] = [f"P{k}" for k in range(len(later))]
    drop(inbox, "week.csv", first)
    coding = deployments.run_flow

    def overwritten_meanwhile(*args, **kwargs):
        later.to_csv(inbox / "week.csv", index=False)  # the other file, copied over it
        return coding(*args, **kwargs)

    monkeypatch.setattr(deployments, "run_flow", overwritten_meanwhile)
    outcome, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert (outcome["outcome"], outcome["respondents"]) == ("added", 2)
    assert "the file changed while it was coded" in outcome["reason"]
    assert (inbox / "week.csv").is_file() and not (inbox / "processed").exists()
    monkeypatch.setattr(deployments, "run_flow", coding)
    outcome, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert (outcome["outcome"], outcome["respondents"]) == ("added", len(later))
    assert not (inbox / "week.csv").exists() and len(list((inbox / "processed").iterdir())) == 1
    answers = pd.read_parquet(folder / "answers.parquet")
    assert set(answers["respondent_id"]) == set(first["respondent_id"]) | set(later["respondent_id"])


def test_an_inbox_export_to_date_without_a_respondent_says_so(tmp_path, tiny_responses_path, tiny_codebook_path):
    """Week 2's export of all responses to date lacked R3 (withdrawn); the inbox kept R3 in every count and its
    reason said only '4 respondents the project holds already, unchanged' (review 165)."""
    inbox, folder, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    table = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    drop(inbox, "week1.csv", table)
    run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    to_date = pd.concat([table[table["respondent_id"] != "R3"], table.iloc[[0]].assign(
        respondent_id="R6", challenges="Our new partner clinic has no interpreter on Saturdays.")])
    drop(inbox, "week2.csv", to_date)
    outcome, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert outcome["outcome"] == "added"
    assert ("1 respondent the project holds is not in this export of all responses to date ('R3'): still counted; "
            "if they withdrew, drop a withdrawal file listing their ids into the inbox (withdrawn.txt; see the README)"
            ) in outcome["reason"]


def test_an_inbox_resubmission_with_a_renamed_question_says_both_answers_count(tmp_path, tiny_responses_path,
                                                                               tiny_codebook_path):
    """Review 174: the reason said the earlier 'challenges' was kept, and apart that 'barriers' was new, never that
    the respondent now held both answers."""
    inbox, folder, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    table = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    drop(inbox, "week1.csv", table)
    run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    again = table[table["respondent_id"] == "R5"].assign(challenges="Edited later: staff turnover is the barrier.")
    drop(inbox, "week2.csv", again.rename(columns={"challenges": "barriers"}))
    outcome, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert ("resubmitted respondents' earlier answers to questions this export has no column for, kept: 'challenges', "
            "beside their answers to 'barriers', which no earlier batch asked: if one is a kept question renamed, both "
            "answers count; give the column its earlier name (or question_as in a sidecar) and drop the export in "
            "again") in outcome["reason"], outcome["reason"]


def test_a_withdrawal_file_takes_respondents_out_and_keeps_them_out(tmp_path, tiny_responses_path, tiny_codebook_path):
    """Review 165/166: a respondent who withdrew stayed in every count, quote and evidence of the project, and an
    export of all responses to date brought them back; the only way out was a new project."""
    inbox, folder, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    table = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    drop(inbox, "week1.csv", table)
    run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    r3 = set(table.loc[table["respondent_id"] == "R3", ["challenges", "effective_practices"]].to_numpy().ravel())
    (folder / "output" / "picked_quotes.txt").write_text("a program officer's own file", encoding="utf-8")
    inbox_file = inbox / "withdrawn.txt"
    inbox_file.write_text("R3\nR99\n", encoding="utf-8")
    outcome, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert outcome["outcome"] == "withdrawn" and outcome["respondents"] == 1, outcome
    assert outcome["reason"].startswith("1 respondent taken out of the project (3 answers); the project was coded "
                                        "again without them; 1 id not in the project: left out of batches to come")
    assert outcome["reason"].endswith("files in the output this run did not write, which may still hold their "
                                      "answers: picked_quotes.txt")
    state = json.loads((folder / "project.json").read_text())
    assert "R3" not in json.dumps(state["withdrawn"]) and len(state["withdrawn"][0]["ids"]) == 4  # R3, r3, R99, r99
    answers = pd.read_parquet(folder / "answers.parquet")
    assert "R3" not in set(answers["respondent_id"]) and len(state["batches"]) == 1
    for name in ("responses.csv", "segments.csv", "quotes.csv", "theme_evidence.csv", "report.md"):
        text = (folder / "output" / name).read_text(encoding="utf-8-sig")
        assert not any(answer and answer in text for answer in r3), name
    assert not inbox_file.exists() and any(p.name.endswith(" withdrawn.txt") for p in (inbox / "processed").iterdir())
    # Week 2's export of all responses to date still holds R3: left out, said; R99's first answers too.
    drop(inbox, "week2.csv", pd.concat([table, table.iloc[[0]].assign(
        respondent_id="R99", challenges="Our clinic partner has no interpreter on Saturdays."),
        table.iloc[[0]].assign(respondent_id="R6", challenges="Rent doubled; we may lose the food pantry space.")]))
    outcome, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert outcome["outcome"] == "added", outcome["reason"]
    assert "2 respondents who withdrew from the project, left out" in outcome["reason"]
    answers = pd.read_parquet(folder / "answers.parquet")
    assert not {"R3", "R99"} & set(answers["respondent_id"])
    assert json.loads((folder / "project.json").read_text())["batches"][1]["withdrawn_left_out"] == 2


def test_a_withdrawal_stopped_before_it_was_saved_is_taken_again_with_its_count(tmp_path, tiny_responses_path,
                                                                                 tiny_codebook_path):
    """A process killed while the project was coded again without the withdrawn respondents (after `stage`, before
    `save`) left answers.parquet without them and project.json without the withdrawal: tried again, it recorded
    'none of its respondents is in the project', 0 answers taken out."""
    from themes.project import PENDING, read_answers, withdraw

    inbox, folder, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    table = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    drop(inbox, "week1.csv", table)
    run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    (inbox / "withdrawn.txt").write_text("R3\n", encoding="utf-8")
    combined, staged, record = withdraw(open_project(folder), inbox / "withdrawn.txt")
    before = (folder / "answers.parquet").read_bytes()
    stage(staged, combined, record)  # ... and the process is killed: nothing saved
    assert "R3" in set(read_answers(open_project(folder))["respondent_id"]) and not (folder / PENDING).exists()
    outcome, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert outcome["outcome"] == "withdrawn" and outcome["respondents"] == 1, outcome
    assert outcome["reason"].startswith("1 respondent taken out of the project (3 answers)")
    assert "R3" not in set(read_answers(open_project(folder))["respondent_id"]) and not (folder / PENDING).exists()
    # A marker that outlived its save (killed between the two) puts nothing back: project.json records it.
    (folder / PENDING).write_text(outcome["sha256"] + "\n", encoding="utf-8")
    (folder / ".answers.parquet.previous").write_bytes(before)  # R3's answers: put back, they would return
    assert len(open_project(folder).withdrawn) == 1 and not (folder / PENDING).exists()
    assert "R3" not in set(read_answers(open_project(folder))["respondent_id"])


def test_a_withdrawal_of_ids_the_project_does_not_hold_is_recorded_without_coding_it_again(tmp_path, tiny_responses_path,
                                                                                             tiny_codebook_path):
    """Review 174: a withdrawal listing only ids the project does not hold (yet) coded every batch again for nothing.
    Where the output still names one (answers staged without them, the output never written), it is coded again."""
    from themes.project import PENDING, withdraw

    inbox, folder, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    table = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    drop(inbox, "week1.csv", table)
    run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    written = (folder / "output" / "manifest.json").read_bytes()
    (inbox / "withdrawn.txt").write_text("R99\n", encoding="utf-8")
    outcome, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert outcome["outcome"] == "withdrawn" and outcome["respondents"] == 0, outcome
    assert outcome["reason"].startswith("none of its respondents is in the project; 1 id not in the project: left "
                                        "out of batches to come"), outcome["reason"]
    assert (folder / "output" / "manifest.json").read_bytes() == written  # not coded again
    assert len(open_project(folder).withdrawn) == 1
    # R3's answers gone from answers.parquet, the output never written again (no marker left to put them back)
    (inbox / "withdraw_r3.txt").write_text("R3\n", encoding="utf-8")
    combined, staged, record = withdraw(open_project(folder), inbox / "withdraw_r3.txt")
    stage(staged, combined)
    (inbox / "withdraw_r3.txt").unlink()
    assert not (folder / PENDING).exists()
    (inbox / "withdrawn_again.txt").write_text("R3\n", encoding="utf-8")
    outcome, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert outcome["reason"].startswith("none of its respondents is in the project; the project was coded again"), \
        outcome["reason"]
    assert "R3" not in (folder / "output" / "responses.csv").read_text(encoding="utf-8-sig")


def test_withdrawn_ids_are_kept_under_the_projects_key_and_older_plain_digests_still_match(tmp_path,
                                                                                         tiny_responses_path):
    """project.json kept the withdrawn ids' plain SHA-256: shared alone, a short numeric id came back by trying
    every number. They are now an HMAC under the project's own key; a project's earlier plain digests still match,
    and a copy of the project without its key is refused rather than letting those respondents back in."""
    import hashlib

    from themes.project import KEY, ProjectError, save, withdraw

    table, project = _first_batch(tmp_path, tiny_responses_path)
    save(project, project.batches, None)
    listing = tmp_path / "withdrawn.txt"
    listing.write_text("R3\n", encoding="utf-8")
    combined, project, record = withdraw(open_project(project.path), listing)
    stage(project, combined, record)
    save(project, project.batches, None)
    key_file = project.path / KEY
    assert key_file.stat().st_mode & 0o077 == 0
    plain = {"sha256:" + hashlib.sha256(form.encode()).hexdigest() for form in ("R3", "r3")}
    held = json.loads((project.path / "project.json").read_text())["withdrawn"][0]["ids"]
    assert len(held) == 2 and all(d.startswith("hmac-sha256:") for d in held) and not plain & set(held)
    again = tmp_path / "to_date.csv"
    pd.concat([table, table.iloc[[0]].assign(respondent_id="R6", challenges="Rent doubled this year.")]).to_csv(
        again, index=False)
    _, later = add_batch(open_project(project.path), again, InputSpec(meta_columns=("org_type", "state")))
    assert later.batches[-1]["withdrawn_left_out"] == 1
    # A project whose withdrawal was kept as plain SHA-256 (before the key) still leaves R3 out.
    state = json.loads((project.path / "project.json").read_text())
    state["withdrawn"][0]["ids"] = sorted(plain)
    (project.path / "project.json").write_text(json.dumps(state), encoding="utf-8")
    key_file.unlink()
    _, later = add_batch(open_project(project.path), again, InputSpec(meta_columns=("org_type", "state")))
    assert later.batches[-1]["withdrawn_left_out"] == 1
    # Keyed digests without the key: refused in one line, before anything is read.
    state["withdrawn"][0]["ids"] = held
    (project.path / "project.json").write_text(json.dumps(state), encoding="utf-8")
    with pytest.raises(ProjectError, match=r"\.withdrawal\.key is missing: project\.json's withdrawals are kept "
                                           r"with that key.*copy it back"):
        open_project(project.path)


@pytest.mark.parametrize("text, ids", [("R3\n\nR4\n", ["R3", "R4"]), ("respondent_id,note\nR3,asked by phone\n", ["R3"]),
                                       ("R3\nR3\n", ["R3"]), ("\ufeffId\nR4\n", ["R4"])])
def test_a_withdrawal_file_reads_one_id_per_line_or_an_id_column(tmp_path, text, ids):
    from themes.project import read_withdrawal

    path = tmp_path / "withdrawn.csv"
    path.write_text(text, encoding="utf-8")
    assert read_withdrawal(path) == ids


@pytest.mark.parametrize("text, said", [
    ("", "lists no respondent id; write one id per line"),
    ("name,date\nAna,2026-12-01\n", "has 2 columns and none is named respondent_id"),
    ("respondent_id\n", "lists no respondent id under its 'respondent_id' column")])
def test_a_bad_withdrawal_file_is_rejected_with_the_fix(tmp_path, tiny_responses_path, tiny_codebook_path, text, said):
    inbox, folder, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    drop(inbox, "week1.csv", pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False))
    run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    (inbox / "Withdrawals.csv").write_text(text, encoding="utf-8")
    outcome, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert outcome["outcome"] == "rejected" and said in outcome["reason"], outcome
    assert any(p.name.endswith("Withdrawals.csv") for p in (inbox / "rejected").iterdir())
    assert "withdrawn" not in json.loads((folder / "project.json").read_text())


def test_a_withdrawal_of_everyone_or_the_same_file_twice_is_refused(tmp_path, tiny_responses_path):
    from themes.project import withdraw

    _, project = _first_batch(tmp_path, tiny_responses_path)
    everyone = tmp_path / "withdraw_all.txt"
    everyone.write_text("\n".join(f"R{k}" for k in range(1, 6)), encoding="utf-8")
    with pytest.raises(InputError, match=r"withdraws every respondent the project holds \(5\); start a new project"):
        withdraw(project, everyone)
    one = tmp_path / "withdrawn.txt"
    one.write_text("R2\n", encoding="utf-8")
    combined, project, record = withdraw(project, one)
    assert set(combined["respondent_id"]) == {"R1", "R3", "R4", "R5"} and record["respondents"] == 1
    with pytest.raises(InputError, match="same content as a withdrawal already taken"):
        withdraw(project, one)
    assert is_withdrawal(Path("Withdrawn 2026-12.CSV")) and not is_withdrawal(Path("week1.csv"))
    assert is_withdrawal(Path("withdrawals.xlsx"))  # refused by read_withdrawal, not coded as a batch


def test_a_withdrawal_matches_ids_written_otherwise_and_leaves_no_plain_id_behind(tmp_path, tiny_responses_path):
    """Review 167: 'r2' for 'R2', a repeated id's other submission ('R2~2') and an e-mail's case were not matched, and
    a batch's `replaced` kept the plain id in project.json."""
    from themes.project import withdraw

    _, project = _first_batch(tmp_path, tiny_responses_path)
    combined = pd.read_parquet(project.answers_path)
    again = combined[combined["respondent_id"] == "R4"].assign(respondent_id="R2~2")
    stage(project, pd.concat([combined, again], ignore_index=True))
    project.batches[0]["replaced"] = [{"respondent_id": "R2", "replaced_batch": "000"}]
    listed = tmp_path / "withdrawn.txt"
    listed.write_text("r2\n", encoding="utf-8")
    combined, project, record = withdraw(project, listed)
    assert not {"R2", "R2~2"} & set(combined["respondent_id"]) and record["respondents"] == 2
    assert record["not_in_project"] == 0 and project.batches[0]["replaced"] == []


def test_a_withdrawal_of_ids_written_another_way_than_the_projects_is_refused(tmp_path, tiny_responses_path):
    """Review 174: 'R007' in the project and 'R7' or '7' in the withdrawal took nobody out ("none of its respondents
    is in the project"), and the respondents stayed in the quotes and evidence."""
    from themes.project import withdraw

    _, project = _first_batch(tmp_path, tiny_responses_path)
    combined = pd.read_parquet(project.answers_path)
    stage(project, combined.assign(respondent_id=combined["respondent_id"].str.replace("R", "R00", regex=False)))
    listed = tmp_path / "withdrawn.txt"
    listed.write_text("R2\n4\nR9\n", encoding="utf-8")
    with pytest.raises(InputError) as refused:
        withdraw(project, listed)
    assert str(refused.value) == ("withdrawn.txt: 2 ids the project does not hold, written another way than ids it "
                                  "does ('R2' as 'R002'; '4' as 'R004'): nothing was taken. Write each id as the "
                                  "project's exports do and drop the file in again.")
    # Another prefix is another site's respondent, not the project's written otherwise (review 175: 'A7' refused as
    # 'B7'): taken as an id of a respondent to come
    listed.write_text("R002\nR9\nA4\n", encoding="utf-8")  # an id of a respondent to come ('R9') is still taken
    combined, project, record = withdraw(project, listed)
    assert "R002" not in set(combined["respondent_id"]) and (record["respondents"], record["not_in_project"]) == (1, 2)


def test_a_withdrawn_respondent_back_under_an_id_written_another_way_is_refused(tmp_path, tiny_responses_path):
    """Review 174's leftover: 'R3' withdrew, and a later export that wrote the id '3' (or 'R003') brought them back
    into every count and quote. Another site's 'B3' is another respondent; so is an id the project holds."""
    from themes.project import save, withdraw

    tiny, project = _first_batch(tmp_path, tiny_responses_path)
    save(project, project.batches, None)
    listed = tmp_path / "withdrawn.txt"
    listed.write_text("R3\n", encoding="utf-8")
    combined, project, record = withdraw(open_project(project.path), listed)
    save(project, project.batches, stage(project, combined, record))
    assert "R3" not in json.dumps(record["near"])
    new = tiny[tiny["respondent_id"] == "R3"].assign(challenges="We lost the grant that paid our outreach staff.")
    for written in ("3", "R003", "0003"):  # "r3" is R3 as written, left out
        path = tmp_path / f"later_{written.strip()}.csv"
        new.assign(respondent_id=written).to_csv(path, index=False)
        with pytest.raises(InputError) as refused:
            add_batch(open_project(project.path), path, InputSpec(meta_columns=("org_type", "state")))
        assert f"1 respondent id ({written.strip()!r}) with the number of a respondent who withdrew from the " \
               "project, written another way" in str(refused.value), written
    path = tmp_path / "later_b3.csv"
    pd.concat([new.assign(respondent_id="B3", challenges="Our partner clinic closed its Saturday hours.",
                          community_engagement="A youth council reviews each program."),
               new.assign(respondent_id="R3")]).to_csv(path, index=False)
    combined, later = add_batch(open_project(project.path), path, InputSpec(meta_columns=("org_type", "state")))
    assert "B3" in set(combined["respondent_id"]) and "R3" not in set(combined["respondent_id"])
    assert later.batches[-1]["withdrawn_left_out"] == 1
    # Review 179: a project whose own ids are numbers, and a withdrawal that wrote one 'R3' before any batch: its
    # batches write '3' as the project does, taken and said, not refused for good
    from themes.project import withdraw as withdraw_again

    fresh = open_project(tmp_path / "fresh")
    early = tmp_path / "withdraw_early.txt"
    early.write_text("R3\n", encoding="utf-8")
    _, fresh, record = withdraw_again(fresh, early)
    save(fresh, fresh.batches, None)
    numbered = tmp_path / "numbered.csv"
    tiny.assign(respondent_id=tiny["respondent_id"].str.removeprefix("R")).to_csv(numbered, index=False)
    combined, fresh = add_batch(open_project(fresh.path), numbered, InputSpec(meta_columns=("org_type", "state")))
    assert "3" in set(combined["respondent_id"]) and fresh.batches[-1]["near_withdrawn"] == 1


@pytest.mark.parametrize("name, text, said", [
    ("withdrawals.xlsx", "x", "read from a .csv or .txt file"),
    ("Withdrawal from services survey.csv", "respondent_id,state,challenges\nR1,OH,Rent\n", "reads as a survey export"),
])
def test_what_is_no_withdrawal_list_is_refused(tmp_path, name, text, said):
    from themes.project import read_withdrawal

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=said):
        read_withdrawal(path)


def test_a_semicolon_withdrawal_list_and_a_withdrawal_before_any_batch(tmp_path, tiny_responses_path,
                                                                      tiny_codebook_path):
    """Review 167: a list `respondent_id;reason` read as one column; a withdrawal into an empty project, once in
    processed/, stopped every later look ('holds no batch, but 1 export in processed')."""
    from themes.project import read_withdrawal

    path = tmp_path / "withdrawn.csv"
    path.write_text("respondent_id;reason\nR3;by phone\nR4;e-mail\n", encoding="utf-8")
    assert read_withdrawal(path) == ["R3", "R4"]
    inbox, folder, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    inbox.mkdir()
    (inbox / "withdrawn.txt").write_text("R3\n", encoding="utf-8")
    outcome, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert outcome["outcome"] == "withdrawn", outcome["reason"]
    drop(inbox, "week1.csv", pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False))
    outcome, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert outcome["outcome"] == "added", outcome["reason"]
    assert "1 respondent who withdrew from the project, left out" in outcome["reason"]
    assert "R3" not in set(pd.read_parquet(folder / "answers.parquet")["respondent_id"])


def test_the_code_export_deployment_refuses_a_projects_output(tmp_path, tiny_responses_path):
    """`themes run --out <project>/output --force` is refused; the deployment's run of one export replaced the
    project's figures (452 respondents) with its own (40)."""
    from themes.errors import ThemesError
    from themes.flows.deployments import code_export

    folder = tmp_path / "project"
    (folder / "output").mkdir(parents=True)
    (folder / "project.json").write_text(json.dumps({"batches": [{"batch": "001 a.csv"}]}), encoding="utf-8")
    with pytest.raises(ThemesError, match="is the output of the project"):
        code_export.fn(str(tiny_responses_path), str(folder / "output"), model="test:hashing", force=True)


@pytest.mark.usefixtures("prefect_harness")
def test_an_export_refused_while_it_was_still_being_written_stays_in_the_inbox(tmp_path, tiny_responses_path,
                                                                             tiny_codebook_path, monkeypatch):
    """Half an export read (a copy paused past the settle time) was refused ("16 fields where the header names 4")
    and moved to rejected/, the whole file with it."""
    from themes import project as projects
    from themes.errors import ThemesError

    inbox, folder, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    path = drop(inbox, "week.csv", pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False))

    def torn(*args, **kwargs):
        path.write_text(path.read_text(encoding="utf-8") + "R9,Nonprofit CBO,OH,More,Rows,Here\n", encoding="utf-8")
        raise ThemesError("week.csv: line 7 has 16 fields where the header names 6.")

    monkeypatch.setattr(projects, "add_batch", torn)
    outcome, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert outcome["outcome"] == "rejected" and "changed while it was read" in outcome["reason"]
    assert path.is_file() and not (inbox / "rejected").exists()


@pytest.mark.usefixtures("prefect_harness")
def test_an_export_cut_off_mid_row_waits_in_the_inbox_then_is_refused(tmp_path, tiny_responses_path,
                                                                      tiny_codebook_path):
    """A production review: an export whose copy paused mid-row past the settle time was coded (its last row a
    phantom respondent, the rest lost) and moved to processed/. Now it waits, unlogged in inbox.csv, while its copy
    may be under way; once unchanged for 10 minutes it is refused with the reason."""
    import os
    import time

    from themes.flows.deployments import CUT_SHORT_WAIT

    inbox, folder, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    path = drop(inbox, "week.csv", pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False))
    path.write_bytes(path.read_bytes()[:path.read_bytes().index(b"R5,Foundation,M") + 15])  # "R5,Foundation,M"
    outcome, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert outcome["outcome"] == "waiting"
    assert outcome["reason"].endswith("It stays in the inbox until it has not changed for 10 minutes (a copy may be "
                                      "under way); then it is refused.")
    assert path.is_file() and not (folder / "inbox.csv").exists() and not (folder / "answers.parquet").exists()
    old = time.time() - CUT_SHORT_WAIT - 1
    os.utime(path, (old, old))
    outcome, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert outcome["outcome"] == "rejected" and "ends in the middle of a row" in outcome["reason"]
    assert not path.exists() and len(list((inbox / "rejected").glob("* week.csv"))) == 1
    logged = pd.read_csv(folder / "inbox.csv", dtype=str)
    assert list(logged["outcome"]) == ["rejected"]


@pytest.mark.parametrize("export_ok", [True, False])
def test_a_sidecar_that_comes_after_its_export_is_refused_with_the_reason(tmp_path, tiny_responses_path,
                                                                          tiny_codebook_path, export_ok):
    """An operator's review: a sidecar copied in after its export had been taken sat in the inbox for ever, and nothing
    said that the export was read with guessed columns."""
    inbox, folder, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    table = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    drop(inbox, "week.csv", table if export_ok else table.iloc[:0])
    first, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert first["outcome"] == ("added" if export_ok else "rejected")
    (inbox / "week.yaml").write_text("id_column: respondent_id\n", encoding="utf-8")
    (inbox / "other.yaml").write_text("id_column: respondent_id\n", encoding="utf-8")  # its export not come yet
    late, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    taken = next((inbox / ("processed" if export_ok else "rejected")).glob("* week.csv")).name
    assert (late["file"], late["outcome"]) == ("week.yaml", "rejected")
    assert late["reason"].startswith(f"a sidecar that came after its export: "
                                     f"{'processed' if export_ok else 'rejected'}/{taken} was "
                                     + ("coded without it, its columns guessed" if export_ok else
                                        "refused without it (its row says why)"))
    assert not (inbox / "week.yaml").exists() and (inbox / "other.yaml").is_file()
    assert len(list((inbox / "rejected").glob("* week.yaml"))) == 1
    assert run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)]) == []
    logged = pd.read_csv(folder / "inbox.csv", dtype=str, keep_default_na=False)
    assert logged["file"].tolist() == ["week.csv", "week.yaml"]


def test_a_folder_dropped_into_the_inbox_is_refused_with_the_reason(tmp_path, tiny_responses_path,
                                                                    tiny_codebook_path):
    """An operator's review: exports in a folder dropped into the inbox (an unzipped archive) waited for ever, and
    nothing said why."""
    inbox, folder, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    table = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    inbox.mkdir()
    drop(inbox / "week3", "a.csv", table)
    drop(inbox / "week3", "b.csv", table)
    outcome, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert (outcome["file"], outcome["outcome"]) == ("week3/", "rejected")
    assert outcome["reason"] == ("a folder (2 files): exports are taken from the inbox itself, one file each; copy its "
                                 "exports (and their sidecars) into the inbox")
    moved, = (inbox / "rejected").iterdir()
    assert moved.name.endswith(" week3") and sorted(p.name for p in moved.iterdir()) == ["a.csv", "b.csv"]
    assert not (inbox / "week3").exists() and run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)]) == []


def test_a_later_batch_whose_columns_are_guessed_keeps_the_metadata_earlier_batches_broke_counts_down_by(
        tmp_path, tiny_responses_path):
    """An operator's review: the first batch's sidecar named 'initiated_by' a metadata column; later exports without a
    sidecar guessed org_type and state alone, and every later respondent was 'unknown' in the initiated_by
    breakdown."""
    from themes.project import save

    tiny = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    tiny.insert(3, "initiated_by", ["CBO", "Hospital", "CBO", "Hospital", "CBO"])
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    tiny.iloc[:3].to_csv(first, index=False)
    tiny.iloc[3:].to_csv(second, index=False)
    folder = tmp_path / "project"
    named = InputSpec(meta_columns=("org_type", "state", "initiated_by"), sources={"meta_columns": "sidecar a.yaml"})
    combined, staged = add_batch(open_project(folder), first, named)
    save(staged, staged.batches, stage(staged, combined))
    assert "initiated_by" not in add_batch(open_project(tmp_path / "other"), second, InputSpec())[1].spec.meta_columns

    combined, staged = add_batch(open_project(folder), second, InputSpec())
    assert staged.batches[-1]["kept_meta"] == ["initiated_by"]
    later = combined[combined["respondent_id"].isin(["R4", "R5"])].drop_duplicates("respondent_id")
    assert later.set_index("respondent_id")["initiated_by"].to_dict() == {"R4": "Hospital", "R5": "CBO"}


def test_a_batch_coded_after_the_codebook_changed_says_every_batch_was_coded_again(tmp_path, tiny_responses_path,
                                                                                    tiny_codebook_path):
    """An operator's review: serve restarted with an edited codebook (or another --model) coded every batch again,
    so the counts already reported moved, and the batch's row said only "added"."""
    inbox, folder, cache = tmp_path / "inbox", tmp_path / "project", tmp_path / "cache"
    table = pd.read_csv(tiny_responses_path, dtype=str, keep_default_na=False)
    drop(inbox, "week1.csv", table.iloc[:3])
    first, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert first["outcome"] == "added" and "coded again" not in first["reason"]
    drop(inbox, "week2.csv", table.iloc[3:])
    same, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])
    assert same["outcome"] == "added" and "coded again" not in same["reason"]

    before = load_codebook(tiny_codebook_path).content_hash()
    tiny_codebook_path.write_text(tiny_codebook_path.read_text().replace("We cannot keep staff.",
                                                                         "We cannot keep our staff."))
    edited = table.iloc[3:].assign(respondent_id=lambda t: t["respondent_id"] + "b")
    drop(inbox, "week3.csv", edited)
    later, = run_inbox(inbox, folder, cache, codebooks=[str(tiny_codebook_path)])

    assert later["outcome"] == "added"
    assert (f"tiny_codebook.yaml changed since the last batch (content hash {before} -> "
            f"{load_codebook(tiny_codebook_path).content_hash()}): every batch was coded again, so earlier "
            "batches' counts may move") in later["reason"]


def test_what_codes_every_batch_again_is_said_model_codebook_and_calibration():
    from themes.flows.deployments import recoded_since

    book = {"path": "rfi.yaml", "absolute_path": "/p/rfi.yaml", "content_hash": "a", "version": "1", "calibration": {
        "codebook_hash": "a", "gold_hash": "g", "gold_file": "gold.csv", "training_passages": 10,
        "matches_codebook": True}}
    before = {"model": "m1", "codebooks": [book], "thresholds": {"trust": 0.45, "funding": 0.5},
              "settings": {"max_words": 1500, "languages": ["en"]}}
    again = "every batch was coded again, so earlier batches' counts may move"

    assert recoded_since(None, before) == [] and recoded_since(before, before) == []
    assert recoded_since(before, {**before, "model": "m2"}) == [
        f"the model changed since the last batch (m1 -> m2): every answer of the project was embedded again and {again}"]
    recalibrated = {**book, "calibration": {**book["calibration"], "gold_hash": "h"}}
    assert recoded_since(before, {**before, "codebooks": [recalibrated]}) == [
        f"rfi.yaml's calibration changed since the last batch: {again}"]
    edited = {**book, "content_hash": "b", "version": "2"}
    assert recoded_since(before, {**before, "codebooks": [edited]}) == [
        f"rfi.yaml changed since the last batch (version 1 -> 2): {again}"]
    framework = {**book, "absolute_path": "/p/framework.yaml", "path": "framework.yaml"}
    assert recoded_since(before, {**before, "codebooks": [framework]}) == [
        f"framework.yaml codes the project from this batch on: {again}",
        "rfi.yaml no longer codes the project: its counts are gone from the output"]
    assert recoded_since(before, {**before, "thresholds": {"trust": 0.4, "funding": 0.5}}) == [
        f"the thresholds changed since the last batch (trust 0.45 -> 0.4): {again}"]
    assert recoded_since(before, {**before, "settings": {"max_words": 500, "languages": ["en"]}}) == [
        f"settings changed since the last batch (max_words 1500 -> 500): {again}"]

    # Review 142's false alarms: no word where nothing that codes changed
    older = {**before, "codebooks": [{k: v for k, v in book.items() if k != "absolute_path"}]}  # made before 7c1ed2f
    moved = {**before, "codebooks": [{**book, "absolute_path": "/elsewhere/rfi.yaml"}]}
    read_elsewhere = {**book, "calibration": {**book["calibration"], "gold_file": "/data/gold.csv"}}
    unrecorded = {**before, "codebooks": [{**book, "content_hash": None, "calibration": {
        k: v for k, v in book["calibration"].items() if k != "training_passages"}}]}
    for after in (older, moved, {**before, "codebooks": [read_elsewhere]}, unrecorded):
        assert recoded_since(before, after) == [] and recoded_since(after, before) == []

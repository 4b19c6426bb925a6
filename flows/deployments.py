"""The flows `themes serve` serves: one export on request, and an inbox on a schedule.

Both take plain parameters (paths, lists of paths, numbers), validated by Prefect, so a run started
from the Prefect UI or API with JSON parameters works; each builds the run's settings and calls the
code-responses flow.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.task_runners import ThreadPoolTaskRunner

from themes import defaults, project, serving
from themes.errors import CutShort, ThemesError
from themes.guard import check_not_a_projects_output
from themes.flows.code_responses import code_responses, named_after_input, run_flow
from themes.ingest import InputSpec
from themes.settings import RunSettings

PROCESSED, REJECTED = "processed", "rejected"
WAITING = "waiting"  # an outcome said in the run's log and artifact, not in inbox.csv: the file is looked at again
CUT_SHORT_WAIT = 600  # seconds a file that ends mid-row waits unchanged in the inbox before it is refused
SIDECARS = (".yaml", ".yml")


def run_settings(codebooks: list[str], calibration: str | None, coded_sample: str | list[str] | None, model: str,
                 cache_dir: str | None, min_group: int, quotes_per_theme: int) -> RunSettings:
    return RunSettings(codebooks=tuple(codebooks), calibration=calibration, coded_sample=coded_sample, model=model,
                       cache_dir=cache_dir or RunSettings().cache_dir, min_group=min_group,
                       quotes_per_theme=quotes_per_theme)


def input_spec(id_column: str | None, text_columns: list[str], meta_columns: list[str]) -> InputSpec:
    return InputSpec(id_column=id_column, text_columns=tuple(text_columns), meta_columns=tuple(meta_columns))


@flow(name="code-export", flow_run_name=named_after_input, task_runner=ThreadPoolTaskRunner(max_workers=1))
def code_export(input_path: str, out: str, codebooks: list[str] = [defaults.DEFAULT_CODEBOOK],  # noqa: B006
                calibration: str | None = None, coded_sample: str | list[str] | None = None,
                id_column: str | None = None,
                text_columns: list[str] = [], meta_columns: list[str] = [],  # noqa: B006
                model: str = defaults.DEFAULT_MODEL, cache_dir: str | None = None, min_group: int = 10,
                quotes_per_theme: int = 5, force: bool = False) -> dict:
    """Code one survey export into `out`: what `themes run` does, started from the Prefect UI or API."""
    serving.note_flow_process()
    settings = run_settings(codebooks, calibration, coded_sample, model, cache_dir, min_group, quotes_per_theme)
    # As `themes run` refuses it: forced into a project's output/, one export's figures replaced the project's.
    check_not_a_projects_output(Path(out))
    # The code-responses flow's body, in this run: one flow run per export, its tasks, logs and artifacts.
    return code_responses.fn(input_path, out, settings, input_spec(id_column, text_columns, meta_columns), force)


@flow(name="code-inbox", flow_run_name="inbox {inbox}")
def code_inbox(inbox: str, project_dir: str, codebooks: list[str] = [defaults.DEFAULT_CODEBOOK],  # noqa: B006
               calibration: str | None = None, coded_sample: str | list[str] | None = None,
               id_column: str | None = None,
               text_columns: list[str] = [], meta_columns: list[str] = [],  # noqa: B006
               model: str = defaults.DEFAULT_MODEL, cache_dir: str | None = None, min_group: int = 10,
               quotes_per_theme: int = 5, settle_seconds: float = 2.0) -> list[dict]:
    """Add each new export in `inbox` to the project as a batch and code the project again.

    A file is moved to `inbox/processed/` once coded, or to `inbox/rejected/` when it cannot be (the
    reason is in the project's inbox.csv and this run's `inbox-outcomes` artifact); the others go on.
    """
    serving.note_flow_process()
    logger = get_run_logger()
    settings = run_settings(codebooks, calibration, coded_sample, model, cache_dir, min_group, quotes_per_theme)
    spec = input_spec(id_column, text_columns, meta_columns)
    files = waiting(Path(inbox), settle_seconds)
    late = late_sidecars(Path(inbox), settle_seconds)
    folders = dropped_folders(Path(inbox), settle_seconds)
    if not files and not late and not folders:
        return []
    try:
        with project.working_on(project_dir):
            # A fault of the project (project.json unreadable, the folder gone) is no fault of an export: the run
            # fails with it and the exports wait, where each was moved to rejected/ with the project's reason.
            _check_project(Path(project_dir), Path(inbox))
            outcomes = [refuse_late_sidecar(path, taken) for path, taken in late]
            outcomes += [refuse_folder(path) for path in folders]
            outcomes += [withdraw_file(path, Path(project_dir), settings) if project.is_withdrawal(path) else
                         add_file(path, Path(project_dir), settings, spec) for path in files]
    except project.ProjectBusy as busy:
        logger.warning("%s", busy)
        return []
    for outcome in outcomes:
        said = f" ({outcome['reason']})" if outcome["reason"] else ""
        (logger.warning if outcome["outcome"] == WAITING else logger.info)(
            "%s: %s%s", outcome["file"], outcome["outcome"],
            f" as batch {outcome['batch']}{said}" if outcome["batch"] else said)
    logged = [outcome for outcome in outcomes if outcome["outcome"] != WAITING]
    if logged:
        project.log_outcomes(Path(project_dir), logged)
    if outcomes:
        create_table_artifact(table=outcomes, key="inbox-outcomes",
                              description=f"Files taken from {inbox} into project {project_dir}")
    return outcomes


@contextmanager
def _warnings_said() -> Iterator[list[str]]:
    """The warnings the `themes` logger gives meanwhile (the reader's: a column not taken for a question, and why),
    collected for the batch's reason, as `themes run` prints them."""
    said: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            said.append(record.getMessage())

    handler, logger = Collect(logging.WARNING), logging.getLogger("themes")
    logger.addHandler(handler)
    try:
        yield said
    finally:
        logger.removeHandler(handler)


def _new_questions(questions: list[str], settings: RunSettings, given: dict[str, str] | None = None) -> list[str]:
    """What a run says of the batch's questions each codebook's calibration never learned; `given`: the project's
    sidecars' question_as."""
    from themes.calibrate import find_calibration
    from themes.questions import new_questions_lines

    lines: list[str] = []
    for path in settings.codebooks:
        calibration = find_calibration(path, settings.calibration)
        if calibration is not None:
            lines += [line for line in new_questions_lines(questions, calibration, given=given, remedy="sidecar")
                      if line not in lines]
    return lines


def _calibration_said(settings: RunSettings) -> list[str]:
    """What `themes run` says before it starts of a calibration that no longer fits its codebook (the codebook
    edited while the inbox was served: made for other content, codes it no longer has, a theme no passage codes),
    for the batch's reason: a batch coded after such an edit said only "added"."""
    from themes.calibrate import fit_lines, load_calibration, locate_calibration

    lines: list[str] = []
    for path in settings.codebooks:
        found, where = locate_calibration(path, settings.calibration)
        if found is None:
            continue
        if "other content" in where:
            lines.append(f"{Path(path).name}'s calibration {found.name}: {where.split(', but ', 1)[-1]}")
        calibration = load_calibration(found)
        lines += [line.strip() for line in fit_lines(path, calibration)]
    return lines


def _check_project(project_dir: Path, inbox: Path) -> None:
    """The project can take a batch: readable, and not emptied since exports were coded into it (a folder moved
    away between looks silently began a new project)."""
    current = project.open_project(project_dir)
    processed = inbox / PROCESSED
    coded = [p for p in processed.iterdir() if p.is_file() and p.suffix.lower() not in SIDECARS
             and not project.is_withdrawal(Path(p.name.partition(" ")[2] or p.name))] \
        if processed.is_dir() else []
    if coded and not current.batches:
        raise project.ProjectError(
            f"{project_dir} holds no batch, but {len(coded)} export{'s' if len(coded) != 1 else ''} in {processed} "
            "were coded into a project: restore the project folder, or move processed/ aside to begin a new one.")


def waiting(inbox: Path, settle_seconds: float) -> list[Path]:
    """Exports waiting in the inbox, oldest first: not hidden, not a sidecar, unchanged for `settle_seconds`
    (a file still being copied in is left for the next run)."""
    if not inbox.is_dir():
        raise ThemesError(f"The inbox {inbox} is not a folder; create it or pass another --inbox.")
    now = time.time()
    files = [p for p in inbox.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))
             and p.suffix.lower() not in SIDECARS and now - p.stat().st_mtime >= settle_seconds]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def late_sidecars(inbox: Path, settle_seconds: float) -> list[tuple[Path, Path]]:
    """Sidecars left in the inbox after their export was taken without them (copied in more than the settle time
    after it): each with the export as it was moved aside. The export was read with guessed columns; the sidecar
    waited in the inbox for ever, and nothing said so."""
    now = time.time()
    exports = {p.stem for p in inbox.iterdir() if p.is_file() and p.suffix.lower() not in SIDECARS}
    late = []
    for sidecar in sorted(p for p in inbox.iterdir() if p.is_file() and p.suffix.lower() in SIDECARS
                          and not p.name.startswith(".") and now - p.stat().st_mtime >= settle_seconds):
        if sidecar.stem in exports:
            continue  # its export waits beside it
        taken = sorted((p for folder in (PROCESSED, REJECTED) if (inbox / folder).is_dir()
                        for p in (inbox / folder).iterdir()
                        if p.suffix.lower() not in SIDECARS and p.stem.partition(" ")[2] == sidecar.stem),
                       key=lambda p: p.name.partition(" ")[0])
        if taken:
            late.append((sidecar, taken[-1]))
    return late


def dropped_folders(inbox: Path, settle_seconds: float) -> list[Path]:
    """Folders dropped into the inbox (an unzipped archive, a week's exports in a folder): only files are taken, so
    their exports waited for ever, and nothing said so."""
    now = time.time()
    return sorted(p for p in inbox.iterdir() if p.is_dir() and p.name not in (PROCESSED, REJECTED)
                  and not p.name.startswith(".") and now - p.stat().st_mtime >= settle_seconds)


def _rejected(file: str, reason: str = "") -> dict:
    """An inbox outcome row, rejected until the file is added (the columns of `project.INBOX_LOG_COLUMNS`)."""
    return {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "file": file, "sha256": "",
            "outcome": "rejected", "batch": "", "respondents": 0, "replaced": 0, "embedded": 0, "reason": reason}


def refuse_folder(folder: Path) -> dict:
    """Move a folder dropped into the inbox to rejected/, saying what to do with its files."""
    held = sum(1 for p in folder.rglob("*") if p.is_file())
    _move(folder, folder.parent / REJECTED)
    return _rejected(f"{folder.name}/", f"a folder ({held} file{'s' if held != 1 else ''}): exports are taken from "
                     "the inbox itself, one file each; copy its exports (and their sidecars) into the inbox")


def refuse_late_sidecar(sidecar: Path, taken: Path) -> dict:
    """Move a sidecar that came after its export to rejected/, saying which export was read without it (coded, the
    same export dropped again is refused as the same content: what was guessed stays, and the reason says so)."""
    _move(sidecar, sidecar.parent / REJECTED)
    return _rejected(sidecar.name, f"a sidecar that came after its export: {taken.parent.name}/{taken.name} was "
                     + ("refused without it (its row says why): to code it by this sidecar, drop the export again "
                        "with the sidecar beside it" if taken.parent.name == REJECTED else
                        "coded without it, its columns guessed: check that batch in the project's output. Copy a "
                        "sidecar in before its export, or with it"))


def add_file(path: Path, project_dir: Path, settings: RunSettings, spec: InputSpec) -> dict:
    """Code one export as the project's next batch; move it aside; return its outcome (never raise for a
    bad file: the next files still go)."""
    outcome = _rejected(path.name)
    backup, staged_answers = None, False
    try:
        from themes.codebook import file_hash

        outcome["sha256"] = file_hash(path)  # a rejected file too: which version of it was refused
        current = project.open_project(project_dir)
        coded_before = _manifest(current.output) if current.batches else None
        with _warnings_said() as read_warnings:  # what the reader guessed and said: `themes run` prints it
            combined, staged = project.add_batch(current, path, spec, settings)
        batch = staged.batches[-1]
        outcome["sha256"] = batch["sha256"]
        backup, staged_answers = project.stage(staged, combined), True
        summary = run_flow(str(staged.answers_path), str(staged.output), settings, staged.spec, force=True,
                           batches=staged.batches)
        coded = _manifest(staged.output)
        if coded is None:
            raise ThemesError(f"the run wrote no readable manifest.json in {staged.output}")
        project.save(staged, coded["batches"], backup)
        outcome.update(outcome="added", batch=batch["batch"], respondents=batch["respondents"],
                       replaced=len(batch["replaced"]), embedded=summary["embedding"]["embedded"])
        said = recoded_since(coded_before, coded)
        if batch.get("renamed"):  # said, not silent: the batch's columns under the names earlier batches gave them
            said.append("named as in earlier batches: " + ", ".join(
                f"'{mine}' as '{theirs}'" for mine, theirs in batch["renamed"].items()))
        if batch.get("kept_meta"):
            said.append("read as metadata, as earlier batches broke the counts down by them: " + ", ".join(
                f"'{column}'" for column in batch["kept_meta"]))
        encoding = (batch.get("column_sources") or {}).get("encoding")
        if encoding:  # `themes run` says its guess before it starts; an inbox's operator reads it here
            said.append(f"encoding {encoding} (guessed: not UTF-8; if letters look wrong, save the export as UTF-8)")
        if batch.get("kept_questions"):
            said.append("read as questions, as earlier batches coded them: " + ", ".join(
                f"'{column}'" for column in batch["kept_questions"]))
        if batch.get("unchanged"):  # a cumulative export: those it repeats as they were stay in their batches
            said.append(f"{batch['unchanged']} respondents the project holds already, unchanged: kept in their batches")
        if batch.get("absent"):  # a cumulative export without some of the project's respondents
            absent = batch["absent"]
            said.append(f"{len(absent)} respondent{'s' if len(absent) > 1 else ''} the project holds "
                        f"{'are' if len(absent) > 1 else 'is'} not in this export of all responses to date ("
                        + ", ".join(f"'{rid}'" for rid in absent[:5]) + (", ..." if len(absent) > 5 else "")
                        + "): still counted; if they withdrew, drop a withdrawal file listing their ids into the inbox "
                        "(withdrawn.txt; see the README)")
        if batch.get("withdrawn_left_out"):  # an export to date still holding respondents who withdrew
            gone = batch["withdrawn_left_out"]
            said.append(f"{gone} respondent{'s' if gone != 1 else ''} who withdrew from the project, left out")
        if batch.get("near_withdrawn"):  # '3' where 'R3' withdrew, in an export that writes ids as the project does
            near = batch["near_withdrawn"]
            said.append(f"{near} respondent{'s' if near != 1 else ''} with the number of one who withdrew, written "
                        "as this project writes its ids, not as the withdrawal did: kept; if "
                        f"{'they are' if near != 1 else 'it is'} the one who withdrew, drop a withdrawal file with "
                        "the id as this export writes it")
        if batch.get("kept_from_before"):
            said.append("resubmitted respondents' earlier answers to questions this export has no column for, kept: "
                        + ", ".join(f"'{question}'" for question in batch["kept_from_before"])
                        + (f", beside their answers to {', '.join(repr(q) for q in batch['kept_beside_new'])}, which "
                           "no earlier batch asked: if one is a kept question renamed, both answers count; give the "
                           "column its earlier name (or question_as in a sidecar) and drop the export in again"
                           if batch.get("kept_beside_new") else ""))
        asked = list(dict.fromkeys(combined.loc[combined[project.BATCH] == batch["batch"], "question"]))
        said += [line.strip().removeprefix("questions").strip()
                 for line in _new_questions(asked, settings, dict(staged.spec.question_as))]
        said += _calibration_said(settings)
        said += read_warnings
        changed = _changed_since(path, batch["sha256"])  # still being written, or replaced: read again next time
        if changed:
            said.append("the file changed while it was coded (still being written, or replaced by another of the same "
                        "name): the version read is this batch; the file stays in the inbox and is read again")
        outcome["reason"] = "; ".join(said)
        if not changed:
            _move(path, path.parent / PROCESSED)
    except Exception as error:  # noqa: BLE001  any failure rejects this file only
        if staged_answers:
            project.unstage(project.Project(project_dir), backup)
        outcome["reason"] = _failure(error)
        option = re.search(r"--(id-column|text-column|meta-column|sheet|question-column|answer-column)\b",
                           outcome["reason"])
        if option:  # an inbox takes no options per file: they go in a sidecar beside it
            outcome["reason"] += (f" In the inbox, give it in a sidecar beside the export: {path.stem}.yaml with "
                                  f"'{_SIDECAR_KEYS[option.group(1)]}: ...' (README, 'Input').")
        if outcome["sha256"] and _changed_since(path, outcome["sha256"]):  # half-copied when read: not the file's fault
            outcome["reason"] += " The file changed while it was read (still being written?): it stays in the inbox."
        elif isinstance(error, CutShort) and time.time() - path.stat().st_mtime < CUT_SHORT_WAIT:
            # A copy that paused past the settle time: refused, its rest then went to rejected/ too
            outcome["outcome"] = WAITING
            outcome["reason"] += (f" It stays in the inbox until it has not changed for {CUT_SHORT_WAIT // 60} "
                                  "minutes (a copy may be under way); then it is refused.")
        else:
            _move(path, path.parent / REJECTED)
    except BaseException:  # stopped (Ctrl-C, SIGTERM, a cancelled flow run): the batch is not added; tried again
        if staged_answers:
            project.unstage(project.Project(project_dir), backup)
        raise
    return outcome


def withdraw_file(path: Path, project_dir: Path, settings: RunSettings) -> dict:
    """Take the respondents a withdrawal file lists out of the project and code it again without them; move the file
    aside; return its outcome (never raise for a bad file: the next files still go). Before, a respondent who
    withdrew stayed in every count, quote and evidence of the project, short of a new project (review 165)."""
    outcome = _rejected(path.name)
    backup, staged_answers = None, False
    try:
        current = project.open_project(project_dir)
        combined, staged, record = project.withdraw(current, path)
        outcome["sha256"] = record["sha256"]
        if combined is not None:
            # Coded again even where none of the ids is in the project now, if its output still names one (see
            # project._output_holds); a withdrawal of ids it does not hold is only recorded.
            backup, staged_answers = project.stage(staged, combined, record), True
            summary = run_flow(str(staged.answers_path), str(staged.output), settings, staged.spec, force=True,
                               batches=staged.batches)
            kept = [str(k) for k in (summary or {}).get("kept") or []]
            coded = _manifest(staged.output)
            if coded is None:
                raise ThemesError(f"the run wrote no readable manifest.json in {staged.output}")
            batches = coded["batches"]
        else:
            batches, kept = staged.batches, []
        project.save(staged, batches, backup)
        found, unknown = record["respondents"], record["not_in_project"]
        said = [f"{found} respondent{'s' if found != 1 else ''} taken out of the project ({record['answers']} "
                f"answer{'s' if record['answers'] != 1 else ''}); the project was coded again without them"
                if found else "none of its respondents is in the project" + ("; the project was coded again"
                                                                             if combined is not None else "")]
        if unknown:
            said.append(f"{unknown} id{'s' if unknown != 1 else ''} not in the project: left out of batches to come")
        said.append("kept in project.json as digests under the project's key (.withdrawal.key, HMAC-SHA256), so a "
                    "later export that still holds them does not bring them back")
        if kept:  # files of the output this run did not write: a marked workbook, discover's drafts, a .qdpx
            said.append("files in the output this run did not write, which may still hold their answers: "
                        + ", ".join(kept))
        outcome.update(outcome="withdrawn", respondents=found, reason="; ".join(said))
        if not _changed_since(path, record["sha256"]):
            _move(path, path.parent / PROCESSED)
    except Exception as error:  # noqa: BLE001  any failure rejects this file only
        if staged_answers:
            project.unstage(project.Project(project_dir), backup)
        outcome["reason"] = _failure(error)
        _move(path, path.parent / REJECTED)
    except BaseException:  # stopped: the withdrawal is not taken; tried again at the next look
        if staged_answers:
            project.unstage(project.Project(project_dir), backup)
        raise
    return outcome


def _failure(error: Exception) -> str:
    """A file's refusal in one line: a ThemesError's own first line, else what kind of error it was."""
    first = str(error).splitlines()[0] if str(error) else ""
    return first if isinstance(error, ThemesError) else f"unexpected {type(error).__name__}: {first}"


def _changed_since(path: Path, sha256: str) -> bool:
    """Whether the export in the inbox is no longer the version that was read (a slow copy that paused past the settle
    time, or a file of the same name dropped over it meanwhile): moved aside, the version never read was lost."""
    from themes.codebook import file_hash

    try:
        return path.is_file() and file_hash(path) != sha256
    except OSError:
        return False


_SIDECAR_KEYS = {"id-column": "id_column", "text-column": "text_columns", "meta-column": "meta_columns",
                 "sheet": "sheet", "question-column": "question_column", "answer-column": "answer_column"}


def _manifest(output: Path) -> dict | None:
    """The project's output manifest, None where there is none or it cannot be read (then nothing is compared)."""
    import json

    from themes.safe import MANIFEST

    try:
        manifest = json.loads((output / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def recoded_since(before: dict | None, after: dict | None) -> list[str]:
    """What changed since the last batch was coded that codes every batch again: the model (every answer embedded
    again), a codebook's content or its calibration, the thresholds, the settings that decide. Each batch codes the
    whole project, so the counts of batches already reported move where no answer did; an operator who restarted
    `themes serve` with another --model or an edited codebook read only "added" (a model change re-embedded every
    batch with no word). What a manifest of an older version does not record is not compared."""
    if not before or not after:
        return []
    again = "every batch was coded again, so earlier batches' counts may move"
    said = []
    if before.get("model") and before.get("model") != after.get("model"):
        said.append(f"the model changed since the last batch ({before.get('model')} -> {after.get('model')}): every "
                    f"answer of the project was embedded again and {again}")

    def books(manifest: dict) -> dict[str, dict]:  # by file name: a project made before paths were resolved too
        entries = [e for e in manifest.get("codebooks") or [manifest.get("codebook")] if isinstance(e, dict)]
        return {Path(str(e.get("absolute_path") or e.get("path"))).name: e for e in entries}

    then, now = books(before), books(after)
    for name, entry in now.items():
        old = then.get(name)
        if old is None:
            said.append(f"{name} codes the project from this batch on: {again}")
        elif None not in (old.get("content_hash"), entry.get("content_hash")) and \
                old["content_hash"] != entry["content_hash"]:
            version = (f"version {old.get('version')} -> {entry.get('version')}" if old.get("version") !=
                       entry.get("version") else f"content hash {old['content_hash']} -> {entry['content_hash']}")
            said.append(f"{name} changed since the last batch ({version}): {again}")
        elif _calibration_changed(old, entry):
            said.append(f"{name}'s calibration changed since the last batch: {again}")
    said += [f"{name} no longer codes the project: its counts are gone from the output" for name in then
             if name not in now]
    thresholds = after.get("thresholds") or {}
    moved = [f"{key} {value:g} -> {thresholds[key]:g}" for key, value in (before.get("thresholds") or {}).items()
             if isinstance(value, (int, float)) and isinstance(thresholds.get(key), (int, float))
             and abs(thresholds[key] - value) > 1e-9]
    if moved and not said:  # a codebook's or calibration's change says it already
        said.append(f"the thresholds changed since the last batch ({', '.join(moved[:4])}"
                    f"{' ...' if len(moved) > 4 else ''}): {again}")
    settings = [f"{key} {before['settings'][key]} -> {after['settings'].get(key)}" for key in _DECIDING
                if key in (before.get("settings") or {}) and key in (after.get("settings") or {})
                and before["settings"][key] != after["settings"][key]]
    if settings:
        said.append(f"settings changed since the last batch ({', '.join(settings)}): {again}")
    return said


# The settings that decide how answers are coded (a change codes every batch again)
_DECIDING = ("method", "segment_words", "max_words", "languages", "backend", "fp16", "coded_sample")


def _calibration_changed(old: dict, new: dict) -> bool:
    """Whether the calibration a codebook ran with changed: none then and one now (or the other way), or a value the
    two manifests both record differs (where the gold file was read from does not count)."""
    a, b = old.get("calibration"), new.get("calibration")
    if not isinstance(a, dict) or not isinstance(b, dict):
        return isinstance(a, dict) != isinstance(b, dict)
    return any(a[key] != b[key] for key in a.keys() & b.keys() - {"matches_codebook", "gold_file"})


def _move(path: Path, folder: Path) -> None:
    """Move an export (and its sidecar) into `folder`, prefixed with the time, so names never collide."""
    folder.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    for item in [path, *(path.with_suffix(s) for s in SIDECARS)] if path.is_file() else [path]:
        if item.exists():
            shutil.move(str(item), str(folder / f"{stamp} {item.name}"))

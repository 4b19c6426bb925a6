"""A project folder that accumulates a survey's batches of submissions.

    PROJECT/
      project.json       the batches so far: number, file, sha256, respondents, replaced ids, embedding
      answers.parquet    every batch's answers, one row per (respondent, question), the latest submission
                         of each respondent; its `batch` column says which batch an answer came from
      output/            the run over all batches (the output contract, plus counts by batch)
      inbox.csv          one row per file the inbox looked at: when, which, outcome, batch, reason

A respondent who withdrew is taken out by a withdrawal file dropped into the inbox (`withdraw*.csv` or
`withdraw*.txt`, their ids): their answers leave `answers.parquet`, the project is coded again without them, and
project.json keeps the ids' HMAC-SHA256 under the project's key (`withdrawn`, `.withdrawal.key`), not the ids, so a
later export that still holds them (an export of all responses to date) does not bring them back.

A new batch is added to `answers.parquet` and the whole project is coded again: the embedding cache
keys texts, so only the batch's new texts are embedded, and counts, quotes and the report cover every
batch. A respondent whose id is already in the project is a resubmission: their earlier answers are
replaced by the new ones, and the batch records whose.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import logging
import os
import re
import shutil
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from themes.codebook import file_hash
from themes.errors import InputError, ThemesError
from themes.ingest import InputSpec, load_answers
from themes.questions import spelling_key

log = logging.getLogger(__name__)

BATCH = "batch"  # the metadata column that names each answer's batch (counts by batch come from it)
ANSWERS = "answers.parquet"
STATE = "project.json"
OUTPUT = "output"
INBOX_LOG = "inbox.csv"
KEY = ".withdrawal.key"  # the project's own key for the withdrawn ids' digests (HMAC-SHA256), made at the first
PENDING = ".withdrawal.pending"  # the withdrawal staged and not yet saved: its file's SHA-256
LOCK = ".working"  # held (flock) by the process adding a batch, which writes in its pid and host
INBOX_LOG_COLUMNS = ["time", "file", "sha256", "outcome", "batch", "respondents", "replaced", "embedded", "reason"]
_FIXED = ["respondent_id", "question", "answer"]


class ProjectError(ThemesError):
    """A project folder cannot be used as asked."""


class ProjectBusy(ProjectError):
    """Another live process is adding a batch to the project."""


_HELD: dict[Path, int] = {}  # the projects this process holds, and the lock file's descriptor


@contextmanager
def working_on(path: str | Path) -> Iterator[None]:
    """Hold the project while this process adds batches to it. A serve killed (SIGKILL) leaves the flow run it
    started coding in a process of its own; a serve started again put that batch's staged answers back while
    it was still coded, and the batch, saved afterwards, was listed with none of its answers (636 respondents
    gone with exit 0). Held, a second process leaves the project alone (`ProjectBusy`).

    The hold is an advisory lock (flock) on `.working`: the system lets it go when its process ends, however it
    ends, so no stale lock is ever broken by hand (two processes breaking one held the project together); it
    holds across machines that share the folder where the file system passes locks on (NFSv4)."""
    import fcntl

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    key = path.resolve()
    if key in _HELD:  # held already by this process: an inbox look adding its files
        yield
        return
    handle = _open_lock(path)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        said = _said_holder(handle)
        os.close(handle)
        raise ProjectBusy(f"{path} is being worked on by {said} (a run a stopped serve left, or another serve of "
                          "this project); its exports wait in the inbox until it ends.") from None
    os.ftruncate(handle, 0)
    os.pwrite(handle, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode(), 0)
    _HELD[key] = handle
    try:
        yield
    finally:
        del _HELD[key]
        os.ftruncate(handle, 0)
        fcntl.flock(handle, fcntl.LOCK_UN)
        os.close(handle)


def _open_lock(path: Path) -> int:
    try:
        return os.open(path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:  # a folder of that name, a read-only project
        raise ProjectError(f"{path / LOCK} cannot be opened to hold the project ({error.strerror or error}); "
                           "remove it if it is not a file, or make the project folder writable.") from None


def _said_holder(handle: int) -> str:
    """Who holds the lock, as it wrote itself in: 'process 1234 on host-a' (or 'another process')."""
    try:
        held = json.loads(os.pread(handle, 4096, 0) or b"{}")
        return f"process {held['pid']} on {held['host']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


def _held_elsewhere(path: Path) -> bool:
    """Whether another process holds the project now (see `working_on`)."""
    import fcntl

    if not (path / LOCK).is_file() or path.resolve() in _HELD:
        return False
    try:
        handle = os.open(path / LOCK, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
    finally:
        os.close(handle)


@dataclass
class Project:
    path: Path
    batches: list[dict] = field(default_factory=list)
    withdrawn: list[dict] = field(default_factory=list)  # each withdrawal file taken: its ids' keyed digests

    @property
    def answers_path(self) -> Path:
        return self.path / ANSWERS

    @property
    def output(self) -> Path:
        return self.path / OUTPUT

    @property
    def spec(self) -> InputSpec:
        """How to read `answers.parquet`: long, with the batches' metadata columns and `batch` last."""
        meta: list[str] = []
        given: dict[str, str] = {}  # the batches' sidecars' question_as, a later batch's word last
        for batch in self.batches:
            meta += [m for m in batch["meta_columns"] if m not in meta]
            given.update({str(question): str(name) for question, name in batch.get("question_as") or []})
        return InputSpec(id_column="respondent_id", question_column="question", answer_column="answer",
                         meta_columns=(*meta, BATCH), question_as=tuple(given.items()),
                         sources={"question_as": "sidecars of the project's batches"} if given else {})


def open_project(path: str | Path) -> Project:
    """The project at `path`; a folder that does not exist yet is a project with no batches."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ProjectError(f"--project {path} is a file; give a folder path.")
    state = path / STATE
    _put_back_interrupted(path)
    if not state.is_file():
        # inbox.csv, and the output of a first batch that was stopped before it was saved, are the project's
        # ... and, while another process codes a first batch, the answers it staged.
        own = (INBOX_LOG, OUTPUT, LOCK, KEY) + ((ANSWERS,) if _held_elsewhere(path) else ())
        if path.is_dir() and any(p for p in path.iterdir() if p.name not in own):
            raise ProjectError(f"--project {path} holds files but no {STATE}; give an empty or new folder.")
        return Project(path)
    try:
        held = json.loads(state.read_text(encoding="utf-8"))
        batches, withdrawn = held["batches"], held.get("withdrawn") or []
        if not isinstance(withdrawn, list) or not all(isinstance(w, dict) for w in withdrawn):
            raise TypeError("'withdrawn' is not a list of withdrawals")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ProjectError(f"{state} cannot be read ({str(error).splitlines()[0]}); restore it or start "
                           "a new project folder.") from None
    if any(str(digest).startswith(KEYED) for w in withdrawn for digest in w.get("ids") or ()) \
            and not (path / KEY).is_file():
        # Without it no later export's id matches a withdrawal: the respondents who withdrew would come back.
        raise ProjectError(f"{path / KEY} is missing: {STATE}'s withdrawals are kept with that key, and without it "
                           "respondents who withdrew would be coded again; copy it back from where the project was "
                           "(a copy that left out hidden files).")
    return Project(path, batches, withdrawn)


def _put_back_interrupted(path: Path) -> None:
    """A batch staged (`stage`) but never saved (the process killed or stopped while it was coded) leaves its
    answers in answers.parquet: counted in the next batch's run, its respondents 'replaced' by themselves when
    it is tried again. The answers go back to what project.json lists."""
    answers, backup = path / ANSWERS, path / f".{ANSWERS}.previous"
    if _held_elsewhere(path):
        return  # still being coded by the process that staged it: not interrupted
    if _put_back_withdrawal(path, answers, backup):
        return
    if not answers.is_file():
        if backup.is_file():
            backup.replace(answers)
        return
    try:
        listed = {batch["batch"] for batch in json.loads((path / STATE).read_text(encoding="utf-8"))["batches"]}
    except FileNotFoundError:
        listed = set()
    except (OSError, ValueError, KeyError, TypeError):
        return  # open_project says the state cannot be read
    held = set(pd.read_parquet(answers, columns=[BATCH])[BATCH].astype(str))
    if held <= listed:
        backup.unlink(missing_ok=True)  # saved: the backup outlived it
        return
    log.warning("%s: batch %s was not finished (the run stopped while it was coded); its answers were taken out "
                "and the export is tried again from the inbox", path, ", ".join(sorted(held - listed)))
    if backup.is_file():
        backup.replace(answers)
        return
    # No backup (the first batch staged, or the backup lost): only the unfinished batch's answers go; the
    # whole file went, every listed batch's answers with it (project.json listed 12 batches, answers held none).
    frame = pd.read_parquet(answers)
    kept = frame[frame[BATCH].astype(str).isin(listed)]
    if kept.empty:
        answers.unlink()
    else:
        kept.to_parquet(answers, index=False)


def _put_back_withdrawal(path: Path, answers: Path, backup: Path) -> bool:
    """A withdrawal staged but never saved left answers.parquet without its respondents and project.json without
    its record: tried again, it found none of them ("none of its respondents is in the project", 0 answers taken
    out), a wrong audit count. Its answers go back (True), unless project.json records it (saved)."""
    pending = path / PENDING
    if not pending.is_file():
        return False
    digest = pending.read_text(encoding="utf-8").strip()
    try:
        taken = {w.get("sha256") for w in json.loads((path / STATE).read_text(encoding="utf-8")).get("withdrawn") or []
                 if isinstance(w, dict)}
    except FileNotFoundError:
        taken = set()
    except (OSError, ValueError, AttributeError):
        return False  # open_project says the state cannot be read
    pending.unlink()
    if digest in taken or not backup.is_file():
        return False  # saved (the marker outlived it), or nothing to put back: the batches' own check follows
    log.warning("%s: a withdrawal was not finished (the run stopped while the project was coded again); the answers "
                "were put back and the withdrawal file is tried again from the inbox", path)
    backup.replace(answers)
    return True


def batch_label(number: int, file: Path) -> str:
    return f"{number:03d} {file.name}"


def add_batch(project: Project, file: Path, spec: InputSpec, settings=None) -> tuple[pd.DataFrame, Project]:
    """Read `file` as the project's next batch: the combined answers and the project with the batch listed.
    With the run's `settings`, a batch with no answer to code is refused, as `themes run` refuses such a file
    (the project's earlier batches would have let it through).

    Nothing is written; the caller saves both once the batch is coded (see `save`).
    """
    digest = file_hash(file)
    for batch in project.batches:
        if batch["sha256"] == digest:
            raise InputError(f"{file.name} has the same content as batch {batch['batch']!r}, already in the "
                             "project; nothing to add.")
    answers, spec, id_problems = load_answers(file, spec)
    gone, key = withdrawn_ids(project), project_key(project.path)
    answers, left_out = _without_withdrawn(file, answers, gone, key)
    if settings is not None:
        from themes.ingest import require_codable
        from themes.status import screen_answers

        require_codable(screen_answers(answers, max_words=settings.max_words, languages=settings.languages), spec)
    clash = [m for m in spec.meta_columns if m in (*_FIXED, BATCH)]
    if clash:
        raise InputError(f"{file.name}: the metadata column(s) {', '.join(clash)} have names the project uses "
                         "itself; rename them in the export.")
    earlier = read_answers(project)
    answers, spec, id_problems, kept = _earlier_questions(file, earlier, answers, spec, id_problems)
    answers, spec, id_problems, kept_meta = _earlier_meta(file, project, earlier, answers, spec, id_problems)
    answers, spec, renamed = _earlier_names(project, earlier, answers, spec)
    answers, _ = _without_withdrawn(file, answers, gone, key)  # the file read again for an earlier column: filtered again
    near_withdrawn = _refuse_withdrawn_written_otherwise(file, answers, project, key, set(earlier["respondent_id"])
                                                         if earlier is not None else set())
    label = batch_label(len(project.batches) + 1, file)
    new = pd.DataFrame({"respondent_id": answers["respondent_id"], "question": answers["question"],
                        "answer": answers["answer_raw"]})
    for column in spec.meta_columns:
        new[column] = answers[column]
    new[BATCH] = label
    resubmitted = sorted(set(new["respondent_id"]) & set(earlier["respondent_id"])) if earlier is not None else []
    replaced, unchanged, carried, absent, unasked = [], [], [], [], []
    if earlier is not None:
        mine, theirs = _respondents(new), _respondents(earlier)  # once: a look-up per respondent was quadratic
        _refuse_other_respondents(file, mine, theirs, resubmitted)
        _refuse_the_same_answers(file, new, earlier)
        _refuse_ids_written_otherwise(file, mine, theirs)
        # A cumulative export ("all responses to date") repeats respondents as they were: they stay in their batch,
        # taking a metadata column the export adds (or fills) for them as the new respondents do.
        unchanged = [rid for rid in resubmitted if _same_respondent(mine[rid], theirs[rid])]
        # A cumulative export (half the project's respondents or more repeated as they were) that lacks some of them:
        # withdrawn, or left out of this export. They stay in every count, said, not silent (review 165).
        absent = sorted(set(theirs) - set(mine)) if len(unchanged) >= max(2, len(theirs) / 2) else []
        earlier = _filled_in(earlier, new, unchanged)
        resubmitted = [rid for rid in resubmitted if rid not in set(unchanged)]
        new = new[~new["respondent_id"].isin(unchanged)]
        previous = earlier.drop_duplicates("respondent_id").set_index("respondent_id")[BATCH]
        replaced = [{"respondent_id": rid, "replaced_batch": previous[rid]} for rid in resubmitted]
        # A resubmission replaces the answers its export holds; an answer to a question the export has no column
        # for (dropped from the form since) is kept, in the resubmission's batch and with its metadata (a column the
        # export dropped is unknown, as on its other answers).
        asked = set(new["question"])
        again = earlier["respondent_id"].isin(resubmitted)
        carried_rows = earlier[again & ~earlier["question"].isin(asked)].copy()
        if len(carried_rows):
            latest = new.drop_duplicates("respondent_id").set_index("respondent_id")
            for column in [c for c in carried_rows.columns if c not in _FIXED]:
                carried_rows[column] = carried_rows["respondent_id"].map(latest[column]) if column in latest \
                    else pd.NA
            carried = sorted(set(carried_rows["question"]))
            # ... beside a question no earlier batch asked: likely the same question renamed, whose resubmitted
            # answer then sat beside the answer it replaced, both counted (review 174); said, as it may be new
            answered = set(new.loc[new["respondent_id"].isin(resubmitted), "question"])
            unasked = sorted(answered - set(earlier["question"]))
        earlier = pd.concat([earlier[~again], carried_rows], ignore_index=True)
    combined = pd.concat([earlier, new], ignore_index=True) if earlier is not None else new
    combined = combined.fillna("unknown").astype(str)  # a metadata column an earlier batch lacked
    record = {"batch": label, "file": file.name, "sha256": digest,
              "added": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "respondents": int(new["respondent_id"].nunique()), "answers": len(new),
              "replaced": replaced, "unchanged": len(unchanged), "absent": absent, "kept_from_before": carried,
              "kept_beside_new": unasked,
              "meta_columns": list(spec.meta_columns), "renamed": renamed,
              "column_sources": spec.sources, "respondent_id_problems": id_problems, "kept_questions": kept,
              "kept_meta": kept_meta, "question_as": [list(pair) for pair in spec.question_as],
              "withdrawn_left_out": left_out, "near_withdrawn": near_withdrawn}
    return combined, replace(project, batches=[*project.batches, record])


def _without_withdrawn(file: Path, answers: pd.DataFrame, gone: set[str], key: bytes | None
                       ) -> tuple[pd.DataFrame, int]:
    """The answers without those of respondents who withdrew (`gone`: their ids' digests, a `~N` version of one
    too, `key` the project's), and how many respondents that left out: an export of all responses to date still
    holds them."""
    if not gone:
        return answers, 0
    ids = answers["respondent_id"].astype(str)
    withdrew = ids.map(lambda rid: bool(id_digests(rid, key) & gone))
    left_out = int(ids[withdrew].nunique())
    answers = answers[~withdrew].reset_index(drop=True)
    if answers.empty:
        raise InputError(f"{file.name} holds only respondents who withdrew from the project ({left_out}); "
                         "nothing to add.")
    return answers, left_out


def id_forms(respondent_id: str) -> set[str]:
    """The forms an id is matched by for a withdrawal: as written, its case folded (an e-mail address), without a
    `~N` that ingest gives a repeated id's other submission, and a number without leading zeros (`041` as `41`)."""
    rid = re.sub(r"~\d+$", "", str(respondent_id).strip())
    forms = {str(respondent_id).strip(), rid, rid.casefold()}
    if rid.isdigit():
        forms.add(str(int(rid)))
    return forms


WITHDRAWAL = "withdraw"  # an inbox file whose name starts so (.csv or .txt) lists respondents who withdrew
_ID_HEADERS = {"respondent_id", "id", "respondent", "respondentid", "response_id", "responseid"}


def is_withdrawal(path: Path) -> bool:
    """Whether an inbox file is a withdrawal (`withdraw*.csv`, `withdrawn.txt`, ...), not an export: any file whose
    name starts so (a `withdrawals.xlsx` was coded as a batch, its reasons as answers); `read_withdrawal` refuses
    what it cannot read as a list of ids."""
    return path.name.casefold().startswith(WITHDRAWAL)


KEYED = "hmac-sha256:"


def id_digest(respondent_id: str, key: bytes | None = None) -> str:
    """How project.json keeps a withdrawn respondent's id, which a later export's id is matched by, not the id (an
    e-mail address may be one): its HMAC-SHA256 under the project's key (`.withdrawal.key`), so that project.json
    shared alone gives no id back; a plain SHA-256 of a short number was undone by trying every number. Without a
    key, the plain SHA-256 that projects made before the key kept."""
    text = str(respondent_id).strip().encode("utf-8")
    if key is None:
        return "sha256:" + hashlib.sha256(text).hexdigest()
    return KEYED + hmac.new(key, text, hashlib.sha256).hexdigest()


def id_digests(respondent_id: str, key: bytes | None) -> set[str]:
    """Every digest an id's forms may be kept under: keyed, and plain (a withdrawal taken before the key)."""
    forms = id_forms(respondent_id)
    return {id_digest(form) for form in forms} | ({id_digest(form, key) for form in forms} if key else set())


def project_key(path: Path, create: bool = False) -> bytes | None:
    """The project's key for withdrawn ids' digests (32 random bytes, hex, readable by its owner only); made when
    `create` and missing."""
    file = path / KEY
    if file.is_file():
        try:
            key = bytes.fromhex(file.read_text(encoding="utf-8").strip())
        except ValueError:
            key = b""
        if len(key) < 16:  # empty (a crash as it was written) or edited: no digest would match (review 172)
            raise ProjectError(f"{file} holds no key: restore it from a copy of the project; withdrawn respondents "
                               "cannot be matched without it.")
        return key
    if not create:
        return None
    path.mkdir(parents=True, exist_ok=True)
    handle = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(os.urandom(32).hex() + "\n")
    return project_key(path)


def withdrawn_ids(project: Project) -> set[str]:
    return {str(digest) for withdrawal in project.withdrawn for digest in withdrawal.get("ids") or ()}


def read_withdrawal(file: Path) -> list[str]:
    """The respondent ids a withdrawal file lists: one per line, or a CSV's id column (`respondent_id`, `id`; or its
    only column, whose first line is an id too unless it names the column)."""
    import io

    if file.suffix.lower() not in (".csv", ".txt"):
        raise InputError(f"{file.name}: a withdrawal is read from a .csv or .txt file of respondent ids (one per "
                         "line, or a respondent_id column); save it as CSV and drop it in again.")
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{file.name} is not UTF-8 text; save the list of ids as UTF-8 (one id per line).") from None
    except OSError as error:
        raise InputError(f"{file.name} cannot be read ({error.strerror or error}).") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if "\n" in text.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in row)]
    if not rows:
        raise InputError(f"{file.name} lists no respondent id; write one id per line (or a respondent_id column).")
    header = [spelling_key(cell) for cell in rows[0]]
    named = [k for k, cell in enumerate(header) if cell in _ID_HEADERS]
    if len(rows[0]) > 1 and not named:
        raise InputError(f"{file.name} has {len(rows[0])} columns and none is named respondent_id; write one id per "
                         "line, or name the id column respondent_id.")
    if len(rows[0]) > 2:  # an export whose name starts with "withdraw" ("Withdrawal from services survey.csv")
        raise InputError(f"{file.name} has {len(rows[0])} columns: it reads as a survey export, not a withdrawal. A "
                         "withdrawal lists respondent ids (and at most a note beside each); rename an export so that "
                         "its name does not start with 'withdraw'.")
    column = named[0] if named else 0
    ids = [row[column].strip() for row in rows[1 if named else 0:] if len(row) > column and row[column].strip()]
    if not ids:
        raise InputError(f"{file.name} lists no respondent id under its {rows[0][column]!r} column.")
    return list(dict.fromkeys(ids))


def withdraw(project: Project, file: Path) -> tuple[pd.DataFrame | None, Project, dict]:
    """Take the respondents `file` lists out of the project: the answers without theirs (None where the project
    holds none yet), the project with the withdrawal recorded (their ids' keyed digests, to keep them out of batches to
    come), and the record. Nothing is written; the caller saves both once the project is coded again."""
    digest = file_hash(file)
    if any(w.get("sha256") == digest for w in project.withdrawn):
        raise InputError(f"{file.name} has the same content as a withdrawal already taken; nothing to do.")
    ids = read_withdrawal(file)
    key = project_key(project.path, create=True)
    earlier = read_answers(project)
    held = set(earlier["respondent_id"]) if earlier is not None else set()
    asked = {form for rid in ids for form in id_forms(rid)}
    found = sorted(rid for rid in held if id_forms(rid) & asked)  # `R3~2`, `041` as `41`, an address's case
    matched = {rid for rid in ids if id_forms(rid) & {form for h in found for form in id_forms(h)}}
    _refuse_withdrawn_ids_written_otherwise(file, [rid for rid in ids if rid not in matched], held)
    if earlier is not None and found and held <= set(found):
        raise InputError(f"{file.name} withdraws every respondent the project holds ({len(held)}); start a new "
                         "project folder instead.")
    combined = earlier[~earlier["respondent_id"].isin(found)].reset_index(drop=True) \
        if earlier is not None and (found or _output_holds(project.output, asked)) else None
    record = {"file": file.name, "sha256": digest, "taken": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "respondents": len(found), "answers": int(earlier["respondent_id"].isin(found).sum())
              if earlier is not None else 0, "not_in_project": len(ids) - len(matched),
              "ids": sorted({id_digest(form, key) for rid in ids for form in id_forms(rid)}),
              "near": sorted({id_digest(form, key) for rid in ids for form in _near_forms(rid, withdrawn=True)})}
    batches = [_without_ids(batch, {form for rid in [*ids, *found] for form in id_forms(rid)})
               for batch in project.batches]
    return combined, replace(project, batches=batches, withdrawn=[*project.withdrawn, record]), record


def _output_holds(output: Path, forms: set[str]) -> bool:
    """Whether the project's output still names one of the withdrawn ids (a withdrawal stopped after its answers were
    staged, before the output was written): then the project is coded again though it holds none of them. Else a
    withdrawal of ids the project does not hold (yet) coded every batch again for nothing (review 174). An output
    that cannot be read is taken to hold them."""
    try:
        ids = pd.read_csv(output / "responses.csv", usecols=["respondent_id"], dtype=str, keep_default_na=False,
                          encoding="utf-8-sig")["respondent_id"]
    except (OSError, ValueError):
        return (output / "responses.csv").exists()
    return any(id_forms(rid) & forms for rid in set(ids))


def _refuse_withdrawn_ids_written_otherwise(file: Path, unmatched: list[str], held: set[str]) -> None:
    """A withdrawal's id the project does not hold, where it holds one of the same number written another way ('R7'
    or '7' for 'R007'): taken as it was, it took nobody out, and the respondent stayed in the quotes and evidence
    (review 174). Refused, nothing taken: which of several ('A7', 'B7') is meant is not ours to guess."""
    def alike(asked: str, held_id: str) -> bool:
        # The same number, the prefix the same or left out on one side ('R7', '7' for 'R007'); not 'A7' for 'B7',
        # another site's respondent (review 175)
        mine, theirs = _id_parts(asked), _id_parts(held_id)
        return bool(mine and theirs and mine[1] == theirs[1] and (mine[0] == theirs[0] or not mine[0] or not theirs[0]))

    near = [(rid, found) for rid in unmatched if (found := [h for h in sorted(held) if alike(rid, h)])]
    if near:
        named = "; ".join(f"'{rid}' as {' or '.join(repr(h) for h in held_ids[:3])}" for rid, held_ids in near[:4]) + (
            f"; and {len(near) - 4} more" if len(near) > 4 else "")
        raise InputError(f"{file.name}: {len(near)} id{'s' if len(near) != 1 else ''} the project does not hold, "
                         f"written another way than ids it does ({named}): nothing was taken. Write each id as the "
                         "project's exports do and drop the file in again.")


def _id_parts(rid: str) -> tuple[str, str] | None:
    """A numbered id's prefix (case folded) and number, without leading zeros: ('r', '7') for 'R007'."""
    found = _NUMBERED_ID.fullmatch(str(rid).strip())
    return (str(rid).strip()[:found.start(1)].rstrip("0").casefold(), found.group(1)) if found else None


def _near_forms(rid: str, withdrawn: bool) -> set[str]:
    """The forms that tell a later export's id written another way from a withdrawn id of the same number: alike
    where the prefix is the same or left out on one side ('7' or 'R7' for 'R007'; not 'B7' for 'A7'). A withdrawn id
    is kept under its own (`withdrawn`), a later id looked up under the ones it matches."""
    parts = _id_parts(rid)
    if parts is None:
        return set()
    prefix, number = parts
    if withdrawn:
        return {f"near {prefix} {number}", f"near* {number}"} if prefix else {f"near- {number}"}
    return {f"near {prefix} {number}", f"near- {number}"} if prefix else {f"near* {number}", f"near- {number}"}


def _refuse_withdrawn_written_otherwise(file: Path, answers: pd.DataFrame, project: Project, key: bytes | None,
                                        held: set[str]) -> int:
    """A later export's id of a withdrawn respondent's number written another way ('7' where 'R007' withdrew): taken
    as new, the respondent who withdrew came back into every count and quote (review 174's leftover). Refused,
    nothing added, where the project's own ids are written otherwise than the export's ('R007' and '7'): whether '7'
    is them is not ours to guess. An id the project holds is its own respondent's; an export that writes its ids as
    the project does (or a project that holds none yet) is taken, and how many such ids it holds returned: the
    withdrawal wrote the id otherwise, and refusing would stop every later batch (review 179)."""
    near = {str(digest) for withdrawal in project.withdrawn for digest in withdrawal.get("near") or ()}
    if not near or key is None:
        return 0
    near_ids = sorted(rid for rid in set(answers["respondent_id"].astype(str)) - held
                      if {id_digest(form, key) for form in _near_forms(rid, withdrawn=False)} & near)
    def style(rid: str) -> tuple[str, bool]:  # its prefix, and whether its number has leading zeros
        return _id_parts(rid)[0], bool(re.search(r"(?<!\d)0\d", str(rid)))

    styles = Counter(style(rid) for rid in held if _id_parts(rid) is not None)
    own = styles.most_common(1)[0][0] if styles else None  # how the project's exports write their ids
    back = [rid for rid in near_ids if own is not None and style(rid) != own]
    if not back:
        return len(near_ids)
    named = ", ".join(repr(rid) for rid in back[:4]) + (f" and {len(back) - 4} more" if len(back) > 4 else "")
    raise InputError(f"{file.name}: {len(back)} respondent id{'s' if len(back) != 1 else ''} ({named}) with the "
                     "number of a respondent who withdrew from the project, written another way (a prefix or "
                     "leading zeros left out or added): nothing was added. Write the ids as the project's earlier "
                     "exports do (a withdrawn respondent's answers are then left out) and drop it in again.")


def _without_ids(batch: dict, forms: set[str]) -> dict:
    """A batch's record with the withdrawn respondents' ids taken out of what names them (`replaced`, `absent`,
    `respondent_id_problems`): project.json keeps their digests, not their ids."""
    named = lambda rid: bool(id_forms(str(rid)) & forms)  # noqa: E731
    out = dict(batch)
    out["replaced"] = [r for r in batch.get("replaced") or [] if not named(r.get("respondent_id", ""))]
    out["absent"] = [r for r in batch.get("absent") or [] if not named(r)]
    out["respondent_id_problems"] = [p for p in batch.get("respondent_id_problems") or []
                                     if not named(p.get("respondent_id", "")) and not named(p.get("original_id", ""))]
    return out


def _earlier_questions(file: Path, earlier: pd.DataFrame | None, answers: pd.DataFrame, spec: InputSpec,
                       problems: list[dict]) -> tuple[pd.DataFrame, InputSpec, list[dict], list[str]]:
    """A batch whose question columns were guessed also reads the columns earlier batches coded: in a small batch
    a question's few short answers ("Surveys.") do not look like free text, and the guess dropped the question
    from the project, a resubmitted answer to it with it. Returns the answers, spec and id problems (read again
    when a column was added) and the columns added."""
    if earlier is None or spec.is_long or spec.sources.get("text_columns") != "guessed":
        return answers, spec, problems, []
    asked = {spelling_key(q) for q in earlier["question"].unique()}
    return _read_also(file, answers, spec, problems, "text_columns", asked,
                      {spec.id_column, *spec.meta_columns, *spec.text_columns})


def _earlier_meta(file: Path, project: Project, earlier: pd.DataFrame | None, answers: pd.DataFrame, spec: InputSpec,
                  problems: list[dict]) -> tuple[pd.DataFrame, InputSpec, list[dict], list[str]]:
    """A batch whose metadata columns were guessed also reads the columns earlier batches broke the counts down by,
    where it has them: the first batch's sidecar named 'initiated_by', later exports without one guessed 'org_type'
    and 'state' alone, and every later respondent was 'unknown' in the 'initiated_by' breakdown. Returns the answers,
    spec and id problems (read again when a column was added) and the columns added."""
    if earlier is None or str(spec.sources.get("meta_columns", "guessed")).startswith(("option", "sidecar")):
        return answers, spec, problems, []
    wanted = {spelling_key(m) for m in project.spec.meta_columns if m != BATCH} - \
        {spelling_key(m) for m in spec.meta_columns}
    taken = {spec.id_column, spec.question_column, spec.answer_column, *spec.meta_columns, *spec.text_columns}
    return _read_also(file, answers, spec, problems, "meta_columns", wanted, taken)


def _read_also(file: Path, answers: pd.DataFrame, spec: InputSpec, problems: list[dict], field: str,
               wanted: set[str], taken: set) -> tuple[pd.DataFrame, InputSpec, list[dict], list[str]]:
    """The export read again with its columns whose names (`spelling_key`) are `wanted`, and not `taken`, added to the
    spec's `field` (text_columns or meta_columns), as earlier batches read them; the columns added."""
    from themes.ingest import read_table

    kept = [c for c in read_table(file, sheet=spec.sheet).columns if spelling_key(str(c)) in wanted and c not in taken]
    if not kept:
        return answers, spec, problems, []
    wider = replace(spec, **{field: (*getattr(spec, field), *kept)},
                    sources={**spec.sources, field: "guessed, and as earlier batches read them"})
    answers, wider, problems = load_answers(file, wider)
    return answers, wider, problems, kept


def _earlier_names(project: Project, earlier: pd.DataFrame | None, answers: pd.DataFrame, spec: InputSpec
                   ) -> tuple[pd.DataFrame, InputSpec, dict[str, str]]:
    """The batch's metadata columns and questions under the names earlier batches gave them when they differ
    only in case, spaces or underscores ('State' for 'state', 'Org type' for 'org_type'): else one breakdown
    splits in two ('By state' and 'By State', each with an 'unknown' group of the other's respondents)."""
    earlier_meta = [m for m in project.spec.meta_columns if m != BATCH]
    earlier_questions = list(earlier["question"].unique()) if earlier is not None else []
    renamed: dict[str, str] = {}
    for names, mine in ((earlier_meta, list(spec.meta_columns)), (earlier_questions, list(answers["question"].unique()))):
        known = {spelling_key(name): name for name in names}
        renamed |= {name: known[spelling_key(name)] for name in mine
                    if spelling_key(name) in known and known[spelling_key(name)] != name}
    renamed |= _named_by_values(earlier, [m for m in earlier_meta if m not in renamed.values()], answers,
                                [m for m in spec.meta_columns if m not in renamed])
    if not renamed:
        return answers, spec, {}
    answers = answers.rename(columns=renamed).assign(question=answers["question"].replace(renamed))
    spec = replace(spec, meta_columns=tuple(renamed.get(m, m) for m in spec.meta_columns))
    return answers, spec, renamed


def _named_by_values(earlier: pd.DataFrame | None, earlier_meta: list[str], answers: pd.DataFrame,
                     mine: list[str]) -> dict[str, str]:
    """The batch's metadata columns of a new name that hold an earlier column's values, that column gone from the
    batch ('Organization category' beside no 'org_type', holding 'Nonprofit CBO', 'Hospital'): the same column
    renamed in the form. Else each breakdown splits in two, each with an 'unknown' group of the other's
    respondents. Only where four of five of its values (three or more) are the earlier column's, the two names
    share a word ('org' of 'organization', 'state'), and the pair is the only fit either way: two columns of one
    set of choices ('Organization category' and 'Partner organization type'; Yes/No columns; size bands) are
    not told apart by their values. `earlier_meta`: the earlier columns no batch column is named as yet; `mine`:
    the batch's columns not yet named as one."""
    if earlier is None:
        return {}
    gone = [m for m in earlier_meta if m in earlier.columns and m not in mine]

    def values(column: pd.Series) -> set[str]:
        return {_plain(v).casefold() for v in column.astype(str)} - {"", "unknown", "nan"}

    def words(name: str) -> set[str]:
        return {w for w in re.findall(r"[a-z]+", str(name).casefold()) if len(w) >= 3}

    def share_a_word(one: str, other: str) -> bool:
        return any(a.startswith(b) or b.startswith(a) for a in words(one) for b in words(other))

    before = {m: values(earlier[m]) for m in gone}
    fits = {column: [m for m in gone if share_a_word(column, m) and len(given := values(answers[column])) >= 3
                     and len(given & before[m]) >= 0.8 * len(given)]
            for column in mine if column not in earlier_meta}
    found: dict[str, str] = {}
    for column, matched in fits.items():
        if len(matched) == 1 and sum(matched[0] in other for other in fits.values()) == 1:
            found[column] = matched[0]
    return found


def _refuse_the_same_answers(file: Path, new: pd.DataFrame, earlier: pd.DataFrame) -> None:
    """An export whose every answer the project holds already, word for word and with the same metadata (the same
    export saved again, with other line endings or in another format): its respondents would all be 'replaced'
    by themselves."""
    columns = [c for c in new.columns if c in earlier.columns and c != BATCH]

    def answers(frame: pd.DataFrame) -> set[tuple]:
        cells = frame[columns].astype(str).map(lambda text: " ".join(text.split()))
        return set(cells.itertuples(index=False, name=None))

    mine = answers(new)
    if mine and mine <= answers(earlier):
        batches = earlier.loc[earlier["respondent_id"].isin(new["respondent_id"]), BATCH].unique()
        raise InputError(f"{file.name} holds no answer the project does not hold already, word for word (batch "
                         f"{', '.join(repr(b) for b in batches)}): the same export saved again? Nothing to add.")


@dataclass
class _Respondent:
    """One respondent's answers (question, answer with its spacing folded; blank ones too) and metadata (the first
    row's), read out of a frame once."""

    answers: list[tuple[str, str]]
    meta: dict[str, str]


def _respondents(frame: pd.DataFrame) -> dict[str, _Respondent]:
    columns = [c for c in frame.columns if c not in (*_FIXED, BATCH)]
    values = [frame[c].tolist() for c in columns]
    out: dict[str, _Respondent] = {}
    for row, (rid, question, answer) in enumerate(zip(frame["respondent_id"], frame["question"], frame["answer"])):
        held = out.get(rid)
        if held is None:
            held = out[rid] = _Respondent([], {c: _plain(v[row]) for c, v in zip(columns, values)})
        held.answers.append((question, _plain(answer)))
    return out


def _refuse_other_respondents(file: Path, mine: dict[str, _Respondent], theirs: dict[str, _Respondent],
                              repeated: list[str]) -> None:
    """A batch whose ids repeat the project's but whose answers share nothing with theirs is other people
    numbered the same way (a second site's export, record ids from 1): taken as resubmissions, it would replace
    every earlier respondent it names. With fewer than five such ids, it is other people where, besides, each of
    them gives metadata otherwise (two organisations of other states under ids 84 and 85 replaced the project's,
    unsaid); one respondent who moved and rewrote every answer, in an export of others repeated, is a
    resubmission."""
    if not repeated:
        return
    def texts(held: _Respondent) -> set[str]:  # by text alone, as before: a question renamed since still matches
        return {answer for _, answer in held.answers if answer}

    shared = [rid for rid in repeated if texts(mine[rid]) & texts(theirs[rid])]
    if shared:
        return
    if len(repeated) >= 5:
        raise InputError(f"{file.name}: {len(repeated)} of its respondent ids are already in the project, yet not "
                         "one of their answers matches what those respondents gave before, so they look like other "
                         "people numbered the same way (another site's export?). Make its ids distinct (prefix them "
                         "in the export) and drop it in again; a real resubmission repeats at least some answers.")
    differs = {rid: _metadata_differs(mine[rid], theirs[rid]) for rid in repeated}
    if all(differs.values()):
        named = ", ".join(f"'{rid}' ({differs[rid]})" for rid in repeated)
        raise InputError(f"{file.name}: respondent id{'s' if len(repeated) > 1 else ''} {named} "
                         f"{'are' if len(repeated) > 1 else 'is'} already in the project for another respondent: "
                         "not one answer matches what that respondent gave before, and the metadata differ. Make "
                         "the ids distinct (prefix them in the export) and drop it in again; a resubmission repeats "
                         "some answers or its type and place.")


def _plain(text: str) -> str:
    return " ".join(str(text).split())


def _answers(held: _Respondent) -> set[tuple[str, str]]:
    """A respondent's non-blank answers, by question."""
    return {(question, answer) for question, answer in held.answers if answer}


def _metadata_differs(mine: _Respondent, theirs: _Respondent) -> str:
    """The metadata a respondent of the batch gives otherwise than the project's respondent of that id, as
    "state CA -> WA" ("" when none: a value missing on either side is no difference, and a column that says when
    or how a submission came in, a date or a batch, differs between a submission and its repeat)."""
    from themes.status import names_how_or_when

    missing = ("", "unknown", "nan", "<na>")
    return ", ".join(f"{c} {before} -> {mine.meta[c]}" for c, before in theirs.meta.items()
                     if c in mine.meta and not names_how_or_when(c)
                     and mine.meta[c].casefold() not in (*missing, before.casefold())
                     and before.casefold() not in missing)


def _same_respondent(mine: _Respondent, theirs: _Respondent) -> bool:
    """Whether the batch repeats a respondent as the project holds them: every answer the batch gives (blank ones
    too) the same, spacing aside, and no metadata otherwise. A question the batch has no column for is no change."""
    before = dict(theirs.answers)
    return all(before.get(question, "") == answer for question, answer in mine.answers) \
        and not _metadata_differs(mine, theirs)


def _filled_in(earlier: pd.DataFrame, new: pd.DataFrame, unchanged: list[str]) -> pd.DataFrame:
    """The project's rows with the batch's metadata for the respondents it repeats unchanged, where the project
    has none (a column the export adds, or a value it lacked): "all responses to date" with a new 'region' column
    gave it to its new respondents only."""
    if not unchanged:
        return earlier
    earlier = earlier.copy()
    latest = new.drop_duplicates("respondent_id").set_index("respondent_id")
    rows = earlier["respondent_id"].isin(unchanged)
    for column in [c for c in new.columns if c not in (*_FIXED, BATCH)]:
        if column not in earlier.columns:
            earlier[column] = pd.NA
        held = earlier[column].astype("string").str.strip().fillna("")
        empty = rows & held.str.casefold().isin(["", "unknown", "nan"])
        earlier.loc[empty, column] = earlier.loc[empty, "respondent_id"].map(latest[column])
    return earlier


# An id that is a number with at most a short prefix ("R041", "ID-7", "#12", "0041"): one an export may write with
# or without its prefix and zeros. Platform ids ("R_QuBUvVLEUS1tuav") are not.
_NUMBERED_ID = re.compile(r"[A-Za-z#_-]{0,4}?0*(\d+)")
_WORDS = re.compile(r"\w+")


def _refuse_ids_written_otherwise(file: Path, mine: dict[str, _Respondent], theirs: dict[str, _Respondent]
                                  ) -> None:
    """Respondents the project holds under ids written another way ('41' for 'R041': an export that dropped the
    prefix or the zeros), their answers the same: taken as new respondents, each is counted twice. Only numbered
    ids, compared by number; only answers of four words or more, to the same question, count ('N/A' is anyone's);
    and half of the respondent's such answers must be the project's respondent's, whose metadata do not differ."""
    def number(rid: str) -> str | None:
        found = _NUMBERED_ID.fullmatch(str(rid).strip())
        return found.group(1) if found else None

    def worded(held: _Respondent) -> set[tuple[str, str]]:
        return {(q, a) for q, a in _answers(held) if len(_WORDS.findall(a)) >= 4}

    known: dict[str, list[str]] = {}
    for rid in theirs:
        if number(rid) is not None:
            known.setdefault(number(rid), []).append(rid)
    twins = []
    for rid, held in mine.items():
        if rid in theirs or number(rid) is None:
            continue
        given = worded(held)
        for other in known.get(number(rid), []):
            if given and len(given & worded(theirs[other])) >= 0.5 * len(given) \
                    and not _metadata_differs(held, theirs[other]):
                twins.append((rid, other))
                break
    if twins:
        named = ", ".join(f"'{mine_id}' (the project's '{their_id}')" for mine_id, their_id in twins[:4]) + (
            f" and {len(twins) - 4} more" if len(twins) > 4 else "")
        raise InputError(f"{file.name}: respondent id{'s' if len(twins) > 1 else ''} {named} look like respondents "
                         "the project holds, their ids written another way: most of their answers are the same word "
                         "for word. Taken as new, each would be counted twice: write the ids as earlier batches did "
                         "and drop it in again.")


def read_answers(project: Project) -> pd.DataFrame | None:
    if not project.answers_path.is_file():
        return None
    return pd.read_parquet(project.answers_path).astype(str)


def stage(project: Project, combined: pd.DataFrame, withdrawal: dict | None = None) -> Path | None:
    """Write the combined answers where the run reads them; return a backup of the previous ones. A withdrawal's
    record (`withdraw`) is marked pending until `save`, so that a process killed meanwhile puts its answers back."""
    project.path.mkdir(parents=True, exist_ok=True)
    backup = None
    if project.answers_path.is_file():
        backup = project.path / f".{ANSWERS}.previous"
        shutil.copy2(project.answers_path, backup)
    if withdrawal is not None:
        (project.path / PENDING).write_text(withdrawal["sha256"] + "\n", encoding="utf-8")
    combined.to_parquet(project.answers_path, index=False)
    return backup


def unstage(project: Project, backup: Path | None) -> None:
    """Put the answers back as they were before `stage` (a batch that could not be coded)."""
    if backup is not None:
        backup.replace(project.answers_path)
    else:
        project.answers_path.unlink(missing_ok=True)
    (project.path / PENDING).unlink(missing_ok=True)


def save(project: Project, batches: list[dict], backup: Path | None) -> None:
    """Record the batches (as the run's manifest lists them, embedding counts included)."""
    state = {"batches": batches, **({"withdrawn": project.withdrawn} if project.withdrawn else {})}
    text = json.dumps(state, indent=2, ensure_ascii=False, default=str) + "\n"
    partial = project.path / f".{STATE}.partial"
    partial.write_text(text, encoding="utf-8")
    partial.replace(project.path / STATE)
    (project.path / PENDING).unlink(missing_ok=True)
    if backup is not None:
        backup.unlink(missing_ok=True)


def with_embedding(batches: list[dict] | None, embedding: dict) -> list[dict] | None:
    """The batch list with the run's embedding counts on the batch it added (the last one)."""
    if not batches:
        return batches
    return [*batches[:-1], {**batches[-1], "embedding": embedding}]


def log_outcomes(project_path: Path, outcomes: list[dict]) -> None:
    """Append each file's outcome to the project's inbox.csv."""
    project_path.mkdir(parents=True, exist_ok=True)
    log = project_path / INBOX_LOG
    new = not log.is_file()
    with log.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=INBOX_LOG_COLUMNS, extrasaction="ignore")
        if new:
            writer.writeheader()
        writer.writerows(outcomes)


def coded_in_project(coded: pd.DataFrame, answers: pd.DataFrame) -> tuple[pd.DataFrame | None, int]:
    """The coded sample's answers that the project holds so far (None if none), and how many it does not."""
    held = set(zip(answers["respondent_id"].astype(str), answers["question"].astype(str)))
    keep = [(r, q) in held for r, q in zip(coded["respondent_id"].astype(str), coded["question"].astype(str))]
    return (coded[keep].reset_index(drop=True) if any(keep) else None), len(coded) - sum(keep)

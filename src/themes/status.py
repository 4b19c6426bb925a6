"""Give every answer a status and a reason before coding, so that none is ever silently dropped.

Order of checks: empty -> non_answer -> duplicate -> non_english -> too_long. Answers still
open after these are coded; classification then sets "coded" or "uncoded".
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd

from themes.cores import may_start_processes, usable_cores
from themes.clean import answer_status, clean_text, detect_language, in_languages, question_words
from themes.respondents import SENDER

STATUS_ORDER = ("coded", "uncoded", "too_long", "non_english", "duplicate", "non_answer", "empty")
CODABLE = ("pending", "too_long")  # statuses whose text goes on to segmentation
_WORD = re.compile(r"\S+")
# Below this many words of real answers, two respondents giving the same answers ("Funding.") is a
# coincidence, not one submission sent twice.
_MIN_REPEAT_WORDS = 10
_FOLD = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    return _FOLD.sub(" ", text.lower()).strip()


# The per-answer screen (cleaning, placeholders, language) in a pool of processes: only from this many answers (each
# process imports the screen and loads the language identifier, about a second, before it saves any) and on 4 cores
# or more (on 2, the model loads and the helpers start beside the screen). On a 16-core GPU machine, reading and
# screening 100k answers took 30 s on one core while the card waited (benchmarks/gpu/results.md).
PARALLEL_FROM = 20_000
MOST_PROCESSES = 8


def screen_processes(answers: int, cores: int | None = None) -> int:
    """Processes for the per-answer screen of `answers` answers: one (this one) below PARALLEL_FROM answers, on
    fewer than 4 cores or inside a daemon process; else one per core but this one's, at most MOST_PROCESSES."""
    if not may_start_processes():
        return 1
    if cores is None:
        cores = usable_cores()
    if answers < PARALLEL_FROM or cores < 4:
        return 1
    return min(cores - 1, MOST_PROCESSES)


def _screen_chunk(raws: list, asked: frozenset[str], languages: tuple[str, ...], judge_language: bool):
    """Each answer cleaned, its placeholder verdict and, with `judge_language`, whether it may be in `languages`
    (None where not judged: not pending, or not asked)."""
    texts = [clean_text(raw) for raw in raws]
    verdicts = [answer_status(text, asked) or ("pending", "") for text in texts]
    judged = [in_languages(text, languages) if judge_language and languages and status == "pending" else None
              for text, (status, _) in zip(texts, verdicts)]
    return texts, verdicts, judged


def _screen_texts(raws: list, asked: frozenset[str], languages: tuple[str, ...], processes: int):
    """`_screen_chunk` of all `raws`, in `processes` processes where more than one; a pool that cannot start or
    breaks leaves the work to this process (the same results, later)."""
    if processes > 1:
        from joblib import Parallel, delayed

        step = max(1, -(-len(raws) // (processes * 4)))  # a few chunks a process, so that a slow one holds up little
        try:
            # joblib's loky workers start fresh (not forked from a process holding torch's and Prefect's threads)
            # and do not re-run the caller's script; the estimates reuse them later in the run.
            parts = Parallel(n_jobs=processes, backend="loky")(
                delayed(_screen_chunk)(raws[start:start + step], asked, languages, True)
                for start in range(0, len(raws), step))
            return [x for part in parts for x in part[0]], [x for part in parts for x in part[1]], \
                [x for part in parts for x in part[2]]
        except (OSError, RuntimeError):  # no process to be had (loky's broken pool is a RuntimeError)
            pass
    return _screen_chunk(raws, asked, languages, judge_language=False)


def screen_answers(answers: pd.DataFrame, *, max_words: int = 1500, languages: tuple[str, ...] = ("en",),
                   processes: int | None = None) -> pd.DataFrame:
    """Add `answer` (cleaned), `status`, `reason` and `coded_end` (characters of `answer` to code).

    `processes` (screen_processes() by default) share the per-answer work; the result is the same either way."""
    out = answers.copy()
    # The questions by their names and, where a platform wrote them (Qualtrics's Q1, Q2), their texts.
    labels = answers.attrs.get("column_labels") or {}
    names = list(out["question"].unique()) if "question" in out.columns else []
    asked = question_words([*names, *(labels.get(name, "") for name in names)])
    raws = list(out["answer_raw"])
    texts, verdicts, judged = _screen_texts(raws, asked, tuple(languages or ()),
                                            screen_processes(len(raws)) if processes is None else processes)
    out["answer"] = texts
    out["status"] = [status for status, _ in verdicts]
    out["reason"] = [reason for _, reason in verdicts]
    _mark_duplicates(out)
    # Worked on as lists and written back once: a cell at a time, pandas took longer than the checks.
    status, reason, coded_end = list(out["status"]), list(out["reason"]), [len(text) for text in texts]
    if languages:
        for position, text in enumerate(texts):
            # Only an answer confidently in another language: short English lists ("Hiring bilingual,
            # bicultural staff.") come out as Catalan or Latin at low confidence.
            if status[position] != "pending":
                continue
            may_be = judged[position] if judged[position] is not None else in_languages(text, languages)
            if not may_be:
                status[position] = "non_english"
                reason[position] = (f"detected language '{detect_language(text)}'; not coded against an English "
                                    "codebook (set --languages to code it with a multilingual model)")
    for position, text in enumerate(texts):
        if status[position] != "pending":
            continue
        words = list(_WORD.finditer(text))
        if len(words) > max_words:
            coded_end[position] = words[max_words - 1].end()
            status[position] = "too_long"
            reason[position] = f"{len(words)} words; coded on the first {max_words} (full text kept)"
    out["status"], out["reason"], out["coded_end"] = status, reason, coded_end
    return out.drop(columns=SENDER) if SENDER in out else out  # who sent it serves the screen alone


# A metadata column that says how a submission came in (a batch of the export, a collector, who typed it in), or when
# (a date, a time, one value per submission), not who sent it: not compared when two submissions are one sent again.
# A wave, round or timepoint is compared: the same organisation answering the 2023 and 2024 waves is two submissions.
_HOW_IT_CAME = frozenset("batch collector channel import imported upload uploaded interviewer coder entered "
                         "enumerator".split())
_WHEN_IT_CAME = frozenset("date time timestamp stamp submitted submission recorded duration start started end "
                          "ended week month day".split())
# Words of a measuring occasion, which win over a when-word: "Time point", "Wave date", "Follow-up month", "Start year"
_OCCASION = frozenset("wave round timepoint point period phase cycle follow followup visit year baseline cohort "
                      "occasion".split())
_NAME_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
# A value of a date with its day, or a time: "2024-03-09", "3/9/2024", "March 5, 2024", "5 Mar 2024", "09:14"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE_OR_TIME = re.compile(rf"(?i)\d{{1,4}}[-/.]\d{{1,2}}[-/.]\d{{1,4}}|\b\d{{1,2}}:\d{{2}}|\b{_MONTH}\s+\d{{1,2}}\b"
                           rf"|\b\d{{1,2}}\s+{_MONTH}\s+\d{{2,4}}")
_SECONDS = re.compile(r"^\s*\d+(?:\.\d+)?\s*$")


def names_how_or_when(column: str) -> bool:
    """Whether a column's name says how or when a submission came in ("Date submitted", "batch", "Collector ID")."""
    return bool({w.casefold() for w in _NAME_WORD.findall(str(column))} & (_HOW_IT_CAME | _WHEN_IT_CAME))


def _compared(frame: pd.DataFrame) -> list[str]:
    """The metadata columns two submissions must agree on to be one sent again: all but how or when it came in, by
    the words of its name ("RecordedDate", "Date submitted"; not "gender", "Funding source" or "Full-time staff"),
    a when-column only where most of its values are dates with their day, times, or seconds of a "Duration"; "Time
    1", "2023" and a wave, round or time point are occasions, compared."""
    compared = []
    for column in (c for c in frame.columns if c not in _NOT_METADATA):
        words = {w.casefold() for w in _NAME_WORD.findall(str(column))}
        if words & _OCCASION:
            compared.append(column)
            continue
        if words & _HOW_IT_CAME:
            continue
        if words & _WHEN_IT_CAME:
            values = frame.drop_duplicates("respondent_id")[column].astype(str)
            # a date with its day or a time; a number only as a duration ("Duration (in seconds)"); a year is none
            when = values.str.contains(_DATE_OR_TIME) | (values.str.fullmatch(_SECONDS) & ("duration" in words))
            if when.mean() >= 0.5:
                continue
        compared.append(column)
    return compared


# What `screen_answers` and `to_answers` add to an answer; every other column is the respondent's metadata.
_NOT_METADATA = {"respondent_id", "question", "answer_raw", "source_row", "answer", "status", "reason", "coded_end",
                 SENDER}


def _mark_duplicates(frame: pd.DataFrame) -> None:
    """Keep the first of: the same text from one respondent twice, or a whole repeated submission."""
    folded = frame["answer"].map(_fold)
    # A respondent whose every answer repeats an earlier respondent's is a repeat submission, unless their metadata
    # disagree (a Hospital in WA and a Government in GA who sent a coalition's shared statement are two respondents).
    by_respondent = folded.groupby(frame["respondent_id"], sort=False).agg(tuple)
    # A batch, collector or date column differs between a submission and its repeat sent a week later: not compared.
    # Every other metadata column is (a type or state by any name: Qualtrics's 'Q2', 'Provider type'; a wave).
    meta = _compared(frame)
    given = frame[meta].astype(str).apply(lambda column: column.str.strip().str.casefold()).groupby(
        frame["respondent_id"], sort=False).first() if meta else None
    real_words = folded.where(frame["status"] == "pending", "").str.split().str.len()
    words = real_words.groupby(frame["respondent_id"], sort=False).sum()
    first_of: dict[tuple, list[str]] = {}
    repeats: dict[str, str] = {}

    def agree(one: str, other: str) -> bool:
        if given is None:
            return True
        return all(a == b or a in ("", "unknown") or b in ("", "unknown")
                   for a, b in zip(given.loc[one], given.loc[other]))

    answered = _real_answers(frame, folded)
    holders = Counter((q, t) for mine in answered.values() for q, t in mine.items())
    sent = by_respondent.value_counts()

    def fingerprinted(respondent: str, texts: tuple) -> bool:  # an answer few beside the identical ones gave
        return any(holders[(q, t)] <= 2 * sent[texts] for q, t in answered[respondent].items())

    # Who sent each submission, where the export says it (an e-mail or name column no option reads: ingest._senders)
    senders = {r: d for r, d in zip(frame["respondent_id"], frame[SENDER]) if d} if SENDER in frame else {}

    def one_sender(one: str, other: str) -> bool | None:
        return senders[one] == senders[other] if one in senders and other in senders else None

    for respondent, texts in by_respondent.items():
        if words[respondent] < _MIN_REPEAT_WORDS:
            continue
        # Thirty respondents who gave the same three boilerplate answers ("We do not share data at this time.") and
        # left the rest blank are thirty, not one submission sent 29 times
        if sent[texts] > 1 and not fingerprinted(respondent, texts):
            continue
        earlier = next((first for first in first_of.get(texts, []) if one_sender(first, respondent) is not False
                        and agree(first, respondent)), None)
        if earlier is not None:
            repeats[respondent] = earlier
        else:
            first_of.setdefault(texts, []).append(respondent)
    # More than three identical submissions whose metadata agree are a form letter that several organisations sent,
    # not one sent again and again (eight letters on eight days read as one): each counts, unless one sender sent them
    copies = Counter(repeats.values())
    repeats = {r: first for r, first in repeats.items() if copies[first] < _MOST_COPIES or one_sender(r, first)}
    same = _same_sender(senders, words, set(repeats), answered, agree)
    # The same id in the export with other answers (read as `R020` and `R020~2`, respondents._respondent_ids): one
    # respondent's submission sent again, edited, where the metadata agree and most answers are alike; the same rule
    # as one sender's. Two edits, or one answer rewritten, counted the respondent twice (review 165).
    same_id = {r: (kept, _SAME_ID) for r, (kept, _) in _same_sender(
        _versions(list(by_respondent.index)), words, set(repeats) | set(same), answered, agree,
        first_try=False).items()}
    edited = _edited_resubmissions(answered, holders, words, set(repeats) | set(same) | set(same_id),
                                   lambda one, other: one_sender(one, other) is not False and agree(one, other))
    edited.update(same)
    edited.update(same_id)
    for respondent, (kept, alike) in edited.items():  # a chain of versions, or of a sender's: each to the one kept
        while kept in edited:
            kept = edited[kept][0]
        edited[respondent] = (kept, alike)
    # A repeat of a submission that is itself another's version: named after the one kept
    repeats = {r: edited[first][0] if first in edited else first for r, first in repeats.items()}
    seen: dict[tuple[str, str], str] = {}
    status, reason = list(frame["status"]), list(frame["reason"])
    for position, (respondent, question, text) in enumerate(zip(frame["respondent_id"], frame["question"], folded)):
        if status[position] != "pending":
            continue
        if respondent in repeats:
            status[position] = "duplicate"
            reason[position] = f"repeat of the submission of respondent {repeats[respondent]}"
            continue
        if respondent in edited:
            kept, alike = edited[respondent]
            status[position] = "duplicate"
            reason[position] = (f"another submission from the sender of respondent {kept} (the same e-mail address in "
                                "the export): the fuller one is coded" if alike is None else
                                f"another version of the submission of respondent {kept} (the same id in the export, "
                                "its metadata and most answers alike): the fuller one is coded" if alike == _SAME_ID else
                                f"another version of the submission of respondent {kept}, sent again with one of its "
                                f"{alike} answers edited, the others word for word: the fuller one is coded")
            continue
        key = (respondent, text)
        if key in seen:
            status[position] = "duplicate"
            reason[position] = f"same text as this respondent's answer to '{seen[key]}'"
        else:
            seen[key] = question
    frame["status"], frame["reason"] = status, reason


_FEW_HOLDERS = 5
_SAME_ID = "same id"
_VERSION = re.compile(r"^(.*)~(\d+)$")


def _versions(respondents: list[str]) -> dict[str, str]:
    """Each respondent whose id the export gave another submission too (`R020` and `R020~2`, as respondents._respondent_ids
    names a repeated id with other answers), to that id."""
    present = set(respondents)
    base = {r: m.group(1) for r in respondents if (m := _VERSION.match(r)) and m.group(1) in present}
    return {r: base.get(r, r) for r in respondents if r in base or r in base.values()}


_MOST_COPIES = 3
_MIN_SHARED_WORDS = 5  # an answer as short as "Funding." is shared by chance, and finds no submission sent again
_EDITED_WORDS = 10
_MIN_ALIKE = 3  # questions answered, at least: two a coalition's members may both have pasted its statement into


def _alike(one: str, other: str) -> bool:
    """Two answers to one question the same or nearly: a near copy (`nearcopy.is_copy`), or one whole inside the
    other ("Get our own building." and "Get our own building. We rent now."), as a version sent again has them."""
    from themes.nearcopy import is_copy
    from themes.nearcopy import words as words_of

    if one == other:
        return True
    a, b = words_of(one), words_of(other)
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    # A word changed in a long answer is an edit; in a short one, another answer ("Our biggest barrier is funding."
    # and "... staffing.", "We do share data." and "We do not share data.")
    if len(long) >= _EDITED_WORDS and is_copy(a, b):
        return True
    return len(short) >= 3 and any(long[k:k + len(short)] == short for k in range(len(long) - len(short) + 1))


def _same_sender(senders: dict[str, str], words: pd.Series, repeats: set[str], answered: dict[str, dict[str, str]],
                 agree, first_try: bool = True) -> dict[str, tuple[str, None]]:
    """Respondents whose sender (`ingest._senders`: the export's e-mail address) sent another submission that is
    theirs too, each to the fullest of them (more words; the later on a tie): one person's form sent twice, edited,
    or a first try left unfinished (each to the fullest they are theirs too, where a group holds several people's).
    Theirs too: half or more of the answers both gave are the same word for word (one
    of `_MIN_SHARED_WORDS` words at least: a type corrected), or the metadata agree (`agree`) and half or more are
    nearly the same (`_alike`: every answer touched up) or one holds half the other's answers or fewer. A grant writer who sent three clients' answers from one address, in
    three states, sent three respondents' (a review found two of them dropped)."""
    by_sender: dict[str, list[str]] = {}
    for respondent, sender in senders.items():
        if respondent not in repeats and words.get(respondent, 0) > 0:
            by_sender.setdefault(sender, []).append(respondent)

    def theirs_too(one: str, other: str) -> bool:
        mine, theirs = answered[one], answered[other]
        common = mine.keys() & theirs.keys()
        agreeing = agree(one, other)

        def mostly(same) -> bool:  # half the answers both gave or more, one of them `_MIN_SHARED_WORDS` words long
            found = [q for q in common if same(mine[q], theirs[q])]
            return len(found) >= max(1, len(common) / 2) and any(len(mine[q].split()) >= _MIN_SHARED_WORDS
                                                                 for q in found)

        # Most answers word for word (a type corrected), or, the metadata agreeing, nearly (every answer touched up):
        # one form sent again. One stock sentence in common is not that (a coalition's two partnerships, 1 answer of
        # 8; review 147), nor one client's answers beside another's in another state (a grant writer's).
        if mostly(str.__eq__) or (agreeing and mostly(_alike)):
            return True
        # The metadata agree and one is a first try left unfinished (half the other's answers or fewer). Two whole
        # submissions otherwise are two respondents who share an address (both Nonprofit CBOs in CA; review 144).
        # Not for one id alone (`first_try` False): ids that restart in each batch name two organisations that
        # share no answer (review 166).
        fewer, more = sorted((len(mine), len(theirs)))
        return first_try and agreeing and fewer <= more / 2

    dropped: dict[str, tuple[str, None]] = {}
    for sent in (group for group in by_sender.values() if len(group) > 1):
        # Fullest first, the latest of equals: each joins the first fuller one it is theirs too, else is kept. Compared
        # with the fullest alone, one id's two versions of organisation A stayed two respondents beside organisation
        # B's fuller submission under the same id (review 166).
        kept: list[str] = []
        for respondent in sorted(reversed(sent), key=lambda r: -words[r]):
            home = next((k for k in kept if theirs_too(respondent, k)), None)
            if home is None:
                kept.append(respondent)
            else:
                dropped[respondent] = (home, None)
    return dropped


def _real_answers(frame: pd.DataFrame, folded: pd.Series) -> dict[str, dict[str, str]]:
    """Each respondent's real answers (folded), by question: a shared "N/A" is no evidence of a submission sent
    again."""
    given: dict[str, dict[str, str]] = {}
    for respondent, question, text, status in zip(frame["respondent_id"], frame["question"], folded, frame["status"]):
        answers = given.setdefault(respondent, {})
        if text and status == "pending":
            answers[question] = text
    return given


def _edited_resubmissions(given: dict[str, dict[str, str]], held: Counter, words: pd.Series, repeats: set[str],
                          agree) -> dict[str, tuple[str, int]]:
    """Respondents whose submission was sent again with one answer edited, each to (the respondent kept, the answers it
    gave): a form filled in again to fix a sentence counted its sender twice. Two submissions are one sent again when
    their metadata agree (`agree`: all but how or when it came in; a blank agrees with anything), they share an
    answer of `_MIN_SHARED_WORDS` words word for word that few others gave, they answered the same questions,
    `_MIN_ALIKE` at least, and all but one answer are the same word for word, that one alike (`_alike`: a sentence
    added, a word changed in a long answer). Reviews found every looser rule merged organisations: a coalition member
    who sent its letter alone beside one who added a line, a template filled in with each hospital's own barrier, a
    panel's second wave. The fuller submission (more words) is kept, the later on a tie: a file's order need not be
    the order they came in. A first try left unfinished, or a type corrected, stays a respondent of its own."""
    holders: dict[tuple[str, str], list[str]] = {}
    dropped: dict[str, tuple[str, int]] = {}
    for respondent in (r for r in given if r not in repeats and words.get(r, 0) >= _MIN_REPEAT_WORDS):
        mine = given[respondent]
        # Only an answer few others gave word for word finds a candidate: one a hundred gave ("We do not share data
        # yet.") fingerprints no submission, and comparing with each of its senders grows with the square.
        candidates = dict.fromkeys(r for q, t in mine.items() if len(t.split()) >= _MIN_SHARED_WORDS
                                   and held[(q, t)] <= _FEW_HOLDERS for r in holders.get((q, t), []))
        for earlier in (c for c in candidates if c not in dropped):
            if not agree(earlier, respondent):
                continue
            theirs = given[earlier]
            if set(mine) != set(theirs):  # an answer added: a form letter alone beside one with a line of its own
                continue
            edited = [q for q in mine if mine[q] != theirs[q]]
            if len(edited) != 1 or len(mine) < _MIN_ALIKE or not _alike(mine[edited[0]], theirs[edited[0]]):
                continue
            alike = len(mine)
            if words[respondent] >= words[earlier]:
                dropped[earlier] = (respondent, alike)
            else:
                dropped[respondent] = (earlier, alike)
                break
        for question, text in mine.items():
            holders.setdefault((question, text), []).append(respondent)
    return dropped  # a chain of versions is followed to its end by `_mark_duplicates`


SENT_AGAIN = ("repeat of the submission of respondent", "another version of the submission of respondent",
              "another submission from the sender of respondent")


def other_language_only(answers: pd.DataFrame) -> tuple[int, int]:
    """(respondents, answers) of the respondents none of whose answers could be coded because each that holds words
    is in another language (non_english): they are outside every count's base, which an equity-minded reader needs
    told up front, not in the method's table (review 152: 12 Spanish-only respondents showed as '34 non_english')."""
    if "status" not in answers or answers.empty:
        return 0, 0
    given = answers[~answers["status"].isin(["empty", "non_answer", "duplicate"])]
    other = given["status"] == "non_english"
    only = other.groupby(given["respondent_id"]).all()
    ids = set(only[only].index)
    return len(ids), int((other & given["respondent_id"].isin(ids)).sum())


def sent_again(answers: pd.DataFrame) -> int:
    """How many respondents' submissions are another's sent again (a repeat, or a version with edits), read once: their
    answers are all duplicates of the one kept, and the respondent counts nowhere."""
    if "reason" not in answers or answers.empty:
        return 0
    again = answers["reason"].astype(str).str.startswith(SENT_AGAIN)
    return int(answers.loc[again, "respondent_id"].nunique())


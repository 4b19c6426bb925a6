"""Give every answer a status and a reason before coding, so that none is ever silently dropped.

Order of checks: empty -> non_answer -> duplicate -> non_english -> too_long. Answers still
open after these are coded; classification then sets "coded" or "uncoded".
"""

from __future__ import annotations

import re

import pandas as pd

from themes.clean import answer_status, clean_text, detect_language, in_languages, question_words

STATUS_ORDER = ("coded", "uncoded", "too_long", "non_english", "duplicate", "non_answer", "empty")
CODABLE = ("pending", "too_long")  # statuses whose text goes on to segmentation
_WORD = re.compile(r"\S+")
# Below this many words of real answers, two respondents giving the same answers ("Funding.") is a
# coincidence, not one submission sent twice.
_MIN_REPEAT_WORDS = 10
_FOLD = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    return _FOLD.sub(" ", text.lower()).strip()


def screen_answers(answers: pd.DataFrame, *, max_words: int = 1500,
                   languages: tuple[str, ...] = ("en",)) -> pd.DataFrame:
    """Add `answer` (cleaned), `status`, `reason` and `coded_end` (characters of `answer` to code)."""
    out = answers.copy()
    texts = [clean_text(raw) for raw in out["answer_raw"]]
    # The questions by their names and, where a platform wrote them (Qualtrics's Q1, Q2), their texts.
    labels = answers.attrs.get("column_labels") or {}
    names = list(out["question"].unique()) if "question" in out.columns else []
    asked = question_words([*names, *(labels.get(name, "") for name in names)])
    verdicts = [answer_status(text, asked) or ("pending", "") for text in texts]
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
            if status[position] == "pending" and not in_languages(text, languages):
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
    return out


# A metadata column that says when or how a submission came in, not who sent it.
_PER_SUBMISSION = re.compile(r"(?i)batch|wave|round|collector|channel|source|submitted|submission|date|time|week|"
                             r"month|interviewer|entered|coder|import")
# What `screen_answers` and `to_answers` add to an answer; every other column is the respondent's metadata.
_NOT_METADATA = {"respondent_id", "question", "answer_raw", "source_row", "answer", "status", "reason", "coded_end"}


def _mark_duplicates(frame: pd.DataFrame) -> None:
    """Keep the first of: the same text from one respondent twice, or a whole repeated submission."""
    folded = frame["answer"].map(_fold)
    # A respondent whose every answer repeats an earlier respondent's is a repeat submission, unless their metadata
    # disagree (a Hospital in WA and a Government in GA who sent a coalition's shared statement are two respondents).
    by_respondent = folded.groupby(frame["respondent_id"], sort=False).agg(tuple)
    # A batch, wave, collector or date column differs between a submission and its repeat sent a week later: not
    # compared. Every other metadata column is (a type or state by any name: Qualtrics's 'Q2', 'Provider type').
    meta = [column for column in frame.columns if column not in _NOT_METADATA and not _PER_SUBMISSION.search(
        str(column))]
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

    for respondent, texts in by_respondent.items():
        if words[respondent] < _MIN_REPEAT_WORDS:
            continue
        earlier = next((first for first in first_of.get(texts, []) if agree(first, respondent)), None)
        if earlier is not None:
            repeats[respondent] = earlier
        else:
            first_of.setdefault(texts, []).append(respondent)
    seen: dict[tuple[str, str], str] = {}
    status, reason = list(frame["status"]), list(frame["reason"])
    for position, (respondent, question, text) in enumerate(zip(frame["respondent_id"], frame["question"], folded)):
        if status[position] != "pending":
            continue
        if respondent in repeats:
            status[position] = "duplicate"
            reason[position] = f"repeat of the submission of respondent {repeats[respondent]}"
            continue
        key = (respondent, text)
        if key in seen:
            status[position] = "duplicate"
            reason[position] = f"same text as this respondent's answer to '{seen[key]}'"
        else:
            seen[key] = question
    frame["status"], frame["reason"] = status, reason

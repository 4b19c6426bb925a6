"""Which of the calibration's questions a survey's question is, when it is named otherwise.

The classifier reads each passage's question as one word of its features (`qqchallenges`, see
themes.classify), learned from the calibration's coded passages, whose questions are short names
(`challenges`, `five_year_goals`). A survey export often names its columns by the question's wording
("What challenges hold the partnership back?", "Q7 - Goals for the next five years"): read as is, that
is a word the classifier never learned, and the passage is coded without its question (the sample's
test split: kappa 0.829 with its questions, 0.779 without).

A question is read as a calibration question when every word of that question's name appears in it
(compared on their first four letters, so "engage" meets "engagement", "years" meets "year", "yrs" meets
"years" and "5" meets "five"); when
several match, the one with the most words wins ("goals for the next five years" is `five_year_goals`,
not `goals`); a tie between different questions, or no match, leaves it as it is. The run and
`evaluate` say which were read as which.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache


def spelling_key(name: str) -> str:
    """A question's or column's name with case, spaces, underscores and hyphens aside ("Org type" -> "org_type"):
    how a project matches a batch's columns to earlier batches', and a coded sample its questions to the input's."""
    return re.sub(r"[\s_-]+", "_", str(name).strip().casefold())

_WORD = re.compile(r"[a-z0-9]+")
_NUMBERS = dict(zip("1 2 3 4 5 6 7 8 9 10".split(), "one two three four five six seven eight nine ten".split()))
# Words a question's wording abbreviates ("Goals (5 yrs)"): read as the word, so "yrs" meets "years"
_SHORT = {"yr": "year", "yrs": "years"}


@cache
def question_word(question: str) -> str:
    """The word the classifier reads for a question, written by themes.classify.with_question itself
    (classify.py's source is part of the shipped models' key, so the rule is not copied here)."""
    import pandas as pd

    from themes.classify import with_question

    return with_question(pd.DataFrame({"text": [""], "question": [question]}))[0].strip()


def _stems(text: str) -> list[str]:
    words = _WORD.findall(str(text).lower().replace("_", " "))
    return [_NUMBERS.get(word, _SHORT.get(word, word))[:4] for word in words]


def match_question(question: str, known: Sequence[str]) -> str | None:
    """The calibration question (one of `known`) that `question` names, or None: see the module's rule."""
    if not question or not known:
        return None
    words = set(_stems(question))
    named = {name: set(_stems(name)) for name in known}
    matches = [name for name, stems in named.items() if stems and stems <= words]
    if not matches:
        return None
    most = max(len(named[name]) for name in matches)
    best = [name for name in matches if len(named[name]) == most]
    return best[0] if len({question_word(name) for name in best}) == 1 else None


def aliases(questions: Iterable[str], known: Sequence[str]) -> dict[str, str]:
    """Each of `questions` that the classifier did not learn, mapped to the calibration question it names."""
    found = {}
    for question in not_learned(questions, known):
        name = match_question(question, known)
        if name is not None:
            found[question] = name
    return found


def unplaced(questions: Iterable[str], known: Sequence[str]) -> set[str]:
    """The questions (not empty) that the classifier did not learn and that name none it did: it reads them
    without their question (themes.coding.fit_coder's models learned without it)."""
    return {question for question in not_learned(questions, known) if match_question(question, known) is None}


def not_learned(questions: Iterable[str], known: Sequence[str]) -> list[str]:
    """The questions (not empty, once each) whose word the classifier did not learn from `known`."""
    learned = {question_word(name) for name in known}
    return [question for question in dict.fromkeys(q for q in questions if q) if question_word(question) not in learned]


def read_by_label(questions: Iterable[str], labels: Mapping[str, str], known: Sequence[str]) -> dict[str, str]:
    """Questions whose name names no calibration question ("Q3") but whose question text does ("What are the
    goals of the partnership?"), each mapped to that calibration question."""
    found = {}
    questions = list(dict.fromkeys(questions))
    placed_nowhere = unplaced(questions, known)
    for question in (q for q in questions if q in placed_nowhere):
        name = match_question(labels.get(question, ""), known)
        if name is not None:
            found[question] = name
    return found


def new_questions_lines(questions: list[str], calibration, labels: dict[str, str] | None = None,
                        given: dict[str, str] | None = None, remedy: str = "run") -> list[str]:
    """What a run says of the survey's questions the calibration never learned (`themes run`'s opening block, an
    inbox batch's reason): the classifier reads the question as context
    (a word). One that names a calibration question otherwise is read as it (themes.questions); the rest
    are coded by the models learned without it (themes.coding.fit_coder), and a renamed column codes differently.
    `given`: the questions the user said to read as one (`given_as`), said as such. `remedy`: where the user says
    which question each is: "run" (--question-as), "sidecar" (an inbox batch's) or "gold" (a gold file's column)."""
    known = calibration_questions(calibration)
    if not known:
        return []
    given = {q: name for q, name in (given or {}).items() if name in known}  # another codebook's question: not here
    by_label = read_by_label(questions, labels or {}, known)  # Qualtrics's Q3 by its question text
    read_as = {**aliases(questions, known), **by_label, **given}
    unknown = unplaced(questions, known) - set(by_label) - set(given)
    new = [q for q in dict.fromkeys(questions) if q in unknown]

    def listed(items: list[str]) -> str:
        return ", ".join(items[:4]) + (f" and {len(items) - 4} more" if len(items) > 4 else "")

    lines = []
    if read_as:
        lines.append("  questions  read as the calibration's: " + listed([
            f"'{q}'{' (as told)' if q in given else ' (its question text)' if q in by_label else ''} as '{name}'"
            for q, name in read_as.items()]))
    if new:
        say = {"run": f"Say which each is (--question-as \"{new[0]}=NAME\", NAME one of those)",
               "sidecar": f"Say which each is in the batch's sidecar (question_as: {{\"{new[0]}\": NAME}}, NAME one of "
                          "those)",
               "gold": "Write the calibration's names in the question column"}[remedy]
        lines.append(f"  questions  {listed([repr(q) for q in new])} not among the calibration's ("
                     f"{', '.join(known[:6])}{', ...' if len(known) > 6 else ''}): coded by models learned without "
                     f"the question, which agree less with people. {say}, or calibrate on this survey's coded sample.")
    return lines


def given_as(given: Sequence[tuple[str, str]], questions: Iterable[str], known: Sequence[str],
             where: str = "--question-as") -> dict[str, str]:
    """The user's `--question-as` (or sidecar `question_as`) pairs as {survey question: calibration question}, each
    checked: the question is the survey's (compared without case and spacing, so a column's wording copied loosely
    still counts) and the name one the calibrations learned. A mistake is one line (InputError) before the model;
    `where` names what gave the pairs (the option, or the sidecar's `question_as`)."""
    from themes.errors import InputError

    if not given:
        return {}
    asked = list(dict.fromkeys(str(q) for q in questions if q))
    loose = {" ".join(q.casefold().split()): q for q in asked}
    learned = list(dict.fromkeys(known))
    found = {}
    for question, name in given:
        survey = question if question in asked else loose.get(" ".join(question.casefold().split()))
        if survey is None:
            shown = ", ".join(repr(q) for q in asked[:6]) + (", ..." if len(asked) > 6 else "")
            raise InputError(f"{where} {question!r}: the survey has no such question (its questions: "
                             f"{shown or 'none'}); copy the column's name, or the long file's question, as it is.")
        if not learned:
            raise InputError(f"{where} {question!r}: no calibration of these codebooks reads the question "
                             f"(none was found, or it was made without questions); leave {where} out.")
        if name not in learned:
            names = ", ".join(learned[:10]) + (", ..." if len(learned) > 10 else "")
            raise InputError(f"{where} {question!r}={name!r}: {name!r} is not a question the calibration "
                             f"learned; name one of {names}.")
        found[survey] = name
    return found


def calibration_questions(calibration) -> list[str]:
    """The questions a calibration's classifier reads as context (none where it was made without them)."""
    if calibration is None or not calibration.use_question:
        return []
    return list(dict.fromkeys(p.question for p in calibration.passages if p.question))


def given_where(spec) -> str:
    """What gave the spec's `question_as`, as a message names it."""
    source = spec.sources.get("question_as", "option")
    return "--question-as" if source == "option" else f"question_as in the {source}"

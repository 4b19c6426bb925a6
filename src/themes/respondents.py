"""From a table of rows to one row per answer: whose answer (ids found, made, repeated, or joined over the rows
REDCap and paged forms split a respondent into), to which question, with which metadata (one spelling per group,
one value per respondent)."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

import pandas as pd

from themes.errors import InputError
from themes.quotes import keyed_digest

if TYPE_CHECKING:
    from themes.ingest import InputSpec

ANSWER_COLUMNS = ["respondent_id", "question", "answer_raw", "source_row"]
SENDER = "__sender"  # a keyed digest of who sent the submission (ingest._senders), read and dropped by the screen


def to_answers(table: pd.DataFrame, spec: InputSpec) -> tuple[pd.DataFrame, list[dict]]:
    """One row per (respondent, question) with the raw answer, and the id problems found.

    Respondents without an id get a stable one from the row's content; two rows that share an id but
    differ in content are kept apart (the second becomes `<id>~2`) and reported.
    """
    # The spreadsheet row (the header is row 1), from the reader's row positions, which `read_table`
    # keeps when it drops blank rows.
    positional = pd.api.types.is_integer_dtype(table.index) and table.index.is_unique
    rows = table.index + 2 if positional else range(2, len(table) + 2)
    table = table.reset_index(drop=True).copy()
    table["__row"] = list(rows)
    content_columns = [spec.answer_column] if spec.is_long else list(spec.text_columns)
    joined: list[dict] = []
    if not spec.is_long and spec.id_column:
        table, joined = _join_repeat_instances(table, spec)
        table, over_time = _join_events(table, spec)
        table, split = _join_split_rows(table, spec)
        joined += over_time + split
    if spec.carry_ids:
        from themes.infer import carried_down

        table[spec.id_column] = carried_down(table[spec.id_column], table[spec.question_column])
    ids, problems = _respondent_ids(table, spec, content_columns)
    problems = joined + problems
    repeated = [p for p in problems if p["problem"] == "repeated_id_different_content"]
    if not spec.is_long and spec.sources.get("id_column") == "guessed" and len(table) >= 10 \
            and 2 * len(repeated) >= len(table):
        # Most rows share an id with another row of other answers: the guessed column names something else (an
        # organisation, a site, a wave), and each repeat would be counted as a respondent of its own.
        raise InputError(f"The id column '{spec.id_column}' (guessed) repeats in {len(repeated)} of {len(table)} rows "
                         f"with other answers (e.g. '{repeated[0]['original_id']}'): it does not name respondents. "
                         "Pass --id-column with the column that does; if each row is one answer to one question (a "
                         "long export), name its columns with --question-column and --answer-column; or pass "
                         "--id-column none to name each row as a respondent by its content.")
    table["__id"] = ids
    meta = list(spec.meta_columns)
    if spec.is_long:
        answers = pd.DataFrame({
            "respondent_id": table["__id"],
            "question": table[spec.question_column].astype(str).str.strip(),
            "answer_raw": table[spec.answer_column],
            "source_row": table["__row"],
        })
        for column in meta:
            answers[column] = table[column].values
    else:
        answers = table.melt(id_vars=["__id", "__row", *meta], value_vars=list(spec.text_columns),
                             var_name="question", value_name="answer_raw")
        answers = answers.rename(columns={"__id": "respondent_id", "__row": "source_row"})
        order = {q: i for i, q in enumerate(spec.text_columns)}
        answers["__q"] = answers["question"].map(order)
        answers = answers.sort_values(["source_row", "__q"], kind="stable").drop(columns="__q")
        answers = answers[ANSWER_COLUMNS + meta]
    answers["answer_raw"] = answers["answer_raw"].map(as_text)
    if spec.is_long:
        answers, over_time = _join_long_events(answers, table)
        problems = over_time + problems
        _check_ids_name_one_submission(answers, spec, meta)
        problems += _one_value_per_respondent(answers, meta)
    for column in meta:
        answers[column] = answers[column].map(as_text).str.strip().replace("", "unknown")
        problems += _one_spelling(answers, column)
    return answers.reset_index(drop=True), problems


def _field(column) -> str:
    """A column's name as REDCap's fields are written: "Repeat Instrument" -> repeat_instrument."""
    return re.sub(r"[\W_]+", "_", str(column).strip().casefold()).strip("_")


def _disagreeing(meta: pd.DataFrame) -> str | None:
    """The first metadata column whose given values differ across these rows, case, spacing and punctuation
    aside ("LA" and "la" are one state), or None: rows that give two organisation types are not one respondent."""
    return next((column for column in meta.columns if meta[column][meta[column] != ""].map(
        _plain_value).nunique() > 1), None)


def _plain_value(value: str) -> str:
    """A metadata value with case, spacing and punctuation aside: "LA" and "l.a." are one state."""
    return re.sub(r"[\W_]+", "", str(value).casefold())


def redcap_export(columns) -> bool:
    """A REDCap export, by its columns: a raw one's `redcap_*` fields, or a labels one's "Record ID" with its
    "Repeat Instrument" or "Event Name". An "Event Name" column alone is no sign (a long file's question, a
    survey of event attendees)."""
    names = {_field(column) for column in columns}
    return any(name.startswith("redcap_") for name in names) or (
        "record_id" in names and bool(names & {"repeat_instrument", "repeat_instance", "event_name"}))


def redcap_column(table: pd.DataFrame, field: str):
    """REDCap's column for `field` ("repeat_instrument", "event_name") as a raw export names it
    (`redcap_repeat_instrument`) or a labels export does ("Repeat Instrument"), or None (or not REDCap's)."""
    if not redcap_export(table.columns):
        return None
    for column in table.columns:
        if _field(column).removeprefix("redcap_") == field:
            return column
    return None


def _join_repeat_instances(table: pd.DataFrame, spec: InputSpec) -> tuple[pd.DataFrame, list[dict]]:
    """REDCap's repeating instruments and events: a record's row, then a row per instance of a repeated form
    (a partner, a site visit), each with the record's id and only that form's fields. They are one respondent:
    each record's rows of one event are joined into one, a question answered in several instances reading as
    one answer (the instances in order, a paragraph each), metadata and the other columns their first value;
    and said. Else each instance was a respondent of its own (a survey of 40 records counted 101 respondents,
    61 of them typed 'unknown'). Rows of different events stay apart here (`_join_split_rows` joins them when
    they answer different questions)."""
    instrument = redcap_column(table, "repeat_instrument")
    instance = redcap_column(table, "repeat_instance")
    if instrument is None and instance is None:
        return table, []
    event = redcap_column(table, "event_name")
    ids = table[spec.id_column].map(as_text).str.strip()
    forms = table[instrument].map(as_text).str.strip() if instrument is not None else pd.Series("", table.index)
    numbers = table[instance].map(as_text).str.strip() if instance is not None else pd.Series("", table.index)
    events = table[event].map(as_text).str.strip() if event is not None else pd.Series("", table.index)
    # A repeating instrument names its form; a repeating event leaves the form empty and numbers the instance.
    repeats = (ids != "") & ((forms != "") | (numbers != ""))
    if not repeats.any():
        return table, []
    form_order = {form: k for k, form in enumerate(dict.fromkeys(f for f in forms[repeats] if f))}
    # The record's own row first, then each form's instances in their order; ties keep the file's order.
    order = pd.DataFrame({"repeat": repeats, "form": forms.map(form_order).fillna(-1),
                          "instance": pd.to_numeric(numbers, errors="coerce").fillna(0),
                          "position": range(len(table))})
    joined_keys = set(zip(ids[repeats], events[repeats]))
    rows_of: dict[tuple[str, str], list[int]] = {}
    chosen = [key in joined_keys for key in zip(ids, events)]
    for position in order[chosen].sort_values(["repeat", "form", "instance", "position"]).index:
        rows_of.setdefault((ids[position], events[position]), []).append(position)
    text_columns = set(spec.text_columns)
    keep = pd.Series(True, index=table.index)
    table = table.copy()
    several = 0
    for rows in rows_of.values():
        first = min(rows)
        several += _fold_into(table, first, rows, text_columns)
        keep.loc[[r for r in rows if r != first]] = False
    for column in (instrument, instance):  # a joined row is the record's, not one instance's
        if column is not None:
            table.loc[keep.index[keep], column] = ""
    example = ids[order[repeats].index[0]]
    return table[keep].reset_index(drop=True), [{
        "row": None, "problem": "repeat_instances_joined", "respondents": len({i for i, _ in rows_of}),
        "rows": int(repeats.sum()), "instruments": list(form_order), "answers_joined": several,
        "respondent_id": example}]


def _fold_into(table: pd.DataFrame, first: int, rows: list[int], text_columns: set) -> int:
    """Join `rows` into row `first`, in place: a question's distinct answers one paragraph each, in the rows'
    order; every other column its first value given. Returns how many answers join several texts."""
    several = 0
    for column in table.columns:
        if column == "__row":
            continue
        given = [table.at[r, column] for r in rows if as_text(table.at[r, column]).strip()]
        if column in text_columns:
            distinct = list(dict.fromkeys(as_text(value).strip() for value in given))
            several += len(distinct) > 1
            table.at[first, column] = "\n\n".join(distinct) if distinct else table.at[first, column]
        elif given:
            table.at[first, column] = given[0]
    return several


def _join_events(table: pd.DataFrame, spec: InputSpec) -> tuple[pd.DataFrame, list[dict]]:
    """A REDCap longitudinal export that asks a question at several events (baseline, follow-up): one record's
    answers over time, not a resubmission. Its rows (one per event) are joined into one, a question answered at
    several events reading as one answer, the events in the file's order; metadata their first value. Records
    whose events answer different questions only are left to `_join_split_rows`, and two rows of one event (a
    form sent twice) or events that disagree on metadata stay apart. Else each follow-up was a respondent of its
    own ('1~2', typed 'unknown'), and most ids repeating stopped the run as not naming respondents."""
    event = redcap_column(table, "event_name")
    if event is None:
        return table, []
    ids = table[spec.id_column].map(as_text).str.strip()
    events = table[event].map(as_text).str.strip()
    text = table[list(spec.text_columns)].map(as_text).map(str.strip)
    meta = table[list(spec.meta_columns)].map(as_text).map(str.strip)
    keep = pd.Series(True, index=table.index)
    table = table.copy()
    joined, several, example = 0, 0, None
    apart: list[tuple[str, str]] = []  # records left apart, and why: said, as each row becomes a respondent
    for respondent, group in ids[(ids != "") & ids.duplicated(keep=False)].groupby(ids, sort=False):
        # An event's row exported twice is one row (as `_join_split_rows` reads it).
        rows = list(pd.concat([events[group.index], text.loc[group.index], meta.loc[group.index]], axis=1)
                    .drop_duplicates().index)
        if events[rows].eq("").any() or events[rows].nunique() < 2:
            continue  # rows of no event, or of one event only: not a record over time
        if not ((text.loc[rows] != "").sum() > 1).any():
            continue  # no question answered twice: `_join_split_rows` joins rows of different questions
        twice = events[rows][events[rows].duplicated()]
        if len(twice):
            apart.append((respondent, f"two rows of the event '{twice.iloc[0]}'"))
            continue  # a form sent twice within an event: which row holds is not for us to guess
        differs = _disagreeing(meta.loc[rows])
        if differs is not None:
            apart.append((respondent, f"its events give two values of '{differs}'"))
            continue  # two organisation types or states: not one respondent
        several += _fold_into(table, rows[0], rows, set(spec.text_columns))
        keep.loc[rows[1:]] = False
        joined += 1
        example = example or respondent
    said = [{"row": None, "problem": "events_apart", "records": len(apart), "respondent_id": apart[0][0],
             "why": apart[0][1]}] if apart else []
    if not joined:
        return table, said
    return table[keep].reset_index(drop=True), [{
        "row": None, "problem": "events_joined", "respondents": joined, "rows": int((~keep).sum()) + joined,
        "answers_joined": several, "respondent_id": example}, *said]


def redcap_occasions(table: pd.DataFrame) -> tuple[pd.Series, list[str]]:
    """Each row's event and repeat instance in a REDCap export ("" where it has neither column), and those columns:
    in its EAV export a field is written once per event and instance."""
    columns = [c for c in (redcap_column(table, field) for field in ("event_name", "repeat_instrument",
                                                                       "repeat_instance")) if c is not None]
    occasions = pd.Series("", index=table.index)
    for column in columns:
        occasions = occasions + "\x1f" + table[column].map(as_text).str.strip()
    return occasions, columns


def _join_long_events(answers: pd.DataFrame, table: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """REDCap's EAV export over several events or instances of a repeating instrument
    (`record,redcap_event_name,field_name,value`): a field answered at baseline and at follow-up, or for each
    partner, is one record's answer, read as one answer, the texts a paragraph each in the file's order, as
    `_join_events` and `_join_repeat_instances` read the wide export. Else each record answered each question twice
    (two answers of one key). `answers` holds a row per row of `table`, in its order."""
    occasions, columns = redcap_occasions(table)
    if not columns:
        return answers, []
    events = occasions.to_numpy()
    given = answers["answer_raw"].str.strip() != ""
    key = answers["respondent_id"].astype(str) + "\x1f" + answers["question"]
    several = key[given].groupby(key[given]).transform("size").gt(1)
    spread = pd.Series(events, index=answers.index)[given].groupby(key[given]).transform("nunique").gt(1)
    fold = (several & spread).reindex(answers.index, fill_value=False)
    if not fold.any():
        return answers, []
    answers = answers.copy()
    keep = pd.Series(True, index=answers.index)
    joined = 0
    for _, rows in answers[fold].groupby(key[fold], sort=False).groups.items():
        rows = list(rows)
        texts = list(dict.fromkeys(answers.loc[rows, "answer_raw"].str.strip()))
        answers.at[rows[0], "answer_raw"] = "\n\n".join(texts)
        keep.loc[rows[1:]] = False
        joined += len(texts) > 1
    records = answers.loc[fold, "respondent_id"]
    event = redcap_column(table, "event_name")
    over_events = event is not None and table.loc[fold[fold].index, event].map(as_text).nunique() > 1
    over_instances = any(c != event for c in columns) and \
        table.loc[fold[fold].index, [c for c in columns if c != event]].map(as_text).map(str.strip).ne("").any().any()
    return answers[keep].reset_index(drop=True), [{
        "row": None, "problem": "events_joined", "respondents": records.nunique(), "rows": int(fold.sum()),
        "answers_joined": joined, "respondent_id": records.iloc[0],
        "occasions": " and ".join(what for what, found in (("events", over_events),
                                                           ("instances of a repeating instrument", over_instances))
                                  if found) or "events"}]


def _join_split_rows(table: pd.DataFrame, spec: InputSpec) -> tuple[pd.DataFrame, list[dict]]:
    """Rows that share an id and answer different questions are one respondent's answers split over rows (REDCap's
    events, a form saved page by page): joined into one row, each column its first value, and said. Rows that
    answer a question twice, or give two values of a metadata column, stay apart (two respondents, or a
    resubmission: `_respondent_ids` says which)."""
    ids = table[spec.id_column].map(as_text).str.strip()
    repeats = ids[(ids != "") & ids.duplicated(keep=False)]
    if repeats.empty:
        return table, []
    text = table[list(spec.text_columns) + list(spec.meta_columns)].map(as_text).map(str.strip)
    answered = text[list(spec.text_columns)] != ""
    keep = pd.Series(True, index=table.index)
    merged_rows: dict[int, dict] = {}
    for _, group in repeats.groupby(repeats, sort=False):
        every = list(group.index)
        rows = list(text.loc[every].drop_duplicates().index)  # an event's row sent twice is one row
        if len(rows) < 2 or (answered.loc[rows].sum() > 1).any():
            continue  # the same row again (said as sent again), or a question answered on two rows
        if _disagreeing(text.loc[rows, list(spec.meta_columns)]) is not None:
            continue  # two organisation types or states ("LA" and "la" are one): not one respondent
        first = rows[0]
        values = {}
        for column in table.columns:
            if column == "__row":
                continue
            given = [table.at[r, column] for r in rows if as_text(table.at[r, column]).strip()]
            values[column] = given[0] if given else table.at[first, column]
        merged_rows[first] = values
        keep.loc[[r for r in every if r != first]] = False
    if not merged_rows:
        return table, []
    table = table.copy()
    for row, values in merged_rows.items():
        for column, value in values.items():
            table.at[row, column] = value
    joined = int((~keep).sum())  # rows folded into another (an event's row sent twice among them)
    example = ids[next(iter(merged_rows))]
    return table[keep].reset_index(drop=True), [{"row": None, "problem": "rows_joined", "respondents": len(merged_rows),
                                                 "rows": joined + len(merged_rows), "respondent_id": example}]


def _spelling_key(value: str, place: bool) -> str:
    key = re.sub(r"[\W_]+", "", value.casefold())
    return _state_codes().get(key, key) if place else key  # a state written out or abbreviated: "California", "CA"


@functools.lru_cache(maxsize=1)
def _state_codes() -> dict[str, str]:
    from themes.quotes import STATE_NAMES

    codes = {re.sub(r"[\W_]+", "", name.casefold().removeprefix("the ")): code.casefold()
             for code, name in STATE_NAMES.items()}
    # The abbreviations of newspapers and forms ("Calif.", "Mass.", "Washington, D.C."): read as their own
    # groups, "calif." split California in two.
    return codes | {short: code for code, shorts in _STATE_ABBREVIATIONS.items() for short in shorts}


_STATE_ABBREVIATIONS = {
    "al": ("ala",), "az": ("ariz",), "ar": ("ark",), "ca": ("calif", "cal"), "co": ("colo",), "ct": ("conn",),
    "de": ("del",), "dc": ("washingtondc", "washdc", "districtofcolumbia"), "fl": ("fla",), "il": ("ill",),
    "in": ("ind",), "ks": ("kan", "kans"), "ma": ("mass",), "mi": ("mich",), "mn": ("minn",), "ms": ("miss",),
    "mt": ("mont",), "ne": ("neb", "nebr"), "nv": ("nev",), "ok": ("okla",), "or": ("ore", "oreg"),
    "pa": ("penn", "penna"), "tn": ("tenn",), "tx": ("tex",), "wa": ("wash",), "wv": ("wva",), "wi": ("wis", "wisc"),
    "wy": ("wyo",),
}


def _one_spelling(answers: pd.DataFrame, column: str) -> list[dict]:
    """Values of a metadata column that differ only in case, spacing or punctuation ('Nonprofit CBO',
    'nonprofit cbo', 'Non-profit CBO.'), or a state written out and abbreviated ('California', 'CA'), are one
    group: else each is a group of its own, and a small one hidden. The group takes its commonest spelling that
    is not all lower case and does not end in punctuation (a state its code). In place; returns what was merged,
    to be said."""
    from themes.quotes import _PLACE

    counts = answers.loc[answers[column] != "unknown"].drop_duplicates(["respondent_id"])[column].value_counts()
    place = bool(_PLACE.search(column))
    groups: dict[str, list[str]] = {}
    for value in counts.index:  # commonest first
        groups.setdefault(_spelling_key(value, place), []).append(value)
    def plain_first(spelling: str) -> tuple:  # sorted() is stable: among equals, the commonest first
        return (not spelling[-1:].isalnum(), spelling == spelling.lower(),
                place and not re.fullmatch(r"[A-Z]{2}", spelling))  # a state as its code, as exports mostly have it

    chosen = {key: sorted(spellings, key=plain_first)[0] for key, spellings in groups.items() if len(spellings) > 1}
    merged = {other: chosen[key] for key, spellings in groups.items() if key in chosen
              for other in spellings if other != chosen[key]}
    if not merged:
        return []
    answers[column] = answers[column].replace(merged)
    return [{"row": None, "problem": "metadata_spellings", "column": column,
             "merged": {kept: [o for o, k in merged.items() if k == kept] for kept in dict.fromkeys(merged.values())}}]


def _check_ids_name_one_submission(answers: pd.DataFrame, spec: InputSpec, meta: list[str]) -> None:
    """A long file's id that names no single respondent: a fifth of its values or more (three at least) answer a
    question more than once with other answers, and the respondent's type or place differs among the rows of some of
    those. Such an id is a sender's (an e-mail address that sent a submission for each of several partnerships): read
    as one respondent, 45 submissions were counted as 20 respondents and trust as 95% where it was 60% (review 152).
    A respondent who edited an answer and sent it again keeps their type and state, and is read as one."""
    given = answers[answers["answer_raw"].str.strip() != ""]
    per_question = given.groupby(["respondent_id", "question"], sort=False)["answer_raw"].nunique()
    several = set(per_question[per_question > 1].index.get_level_values(0))
    ids = given["respondent_id"].nunique()
    if len(several) < 3 or 5 * len(several) < ids:
        return
    from themes.infer import about_a_partner, names_type_or_place

    differing: dict[str, int] = {}
    # The respondent's own type or place only: a partner's type, a wave or a year differs among one respondent's rows
    # by design (review 154: answers per partner, and a panel's years, were stopped)
    for column in (c for c in meta if names_type_or_place(str(c)) and not about_a_partner(str(c))):
        values = answers[column].map(as_text).str.strip()
        kinds = values.where(values != "").map(_plain_value, na_action="ignore")
        count = kinds.groupby(answers["respondent_id"], sort=False).nunique()
        differing[column] = len(set(count[count > 1].index) & several)
    column = max(differing, key=differing.get, default=None)
    if column is None or not differing[column]:
        return
    raise InputError(f"The id column '{spec.id_column}' names no single respondent: {len(several)} of its {ids} "
                     f"values answer a question more than once with other answers, and '{column}' differs among the "
                     f"rows of {differing[column]} of them, so each holds several submissions. Pass --id-column with "
                     "the column that names each submission (a response id); if the file has none, add one.")


def _one_value_per_respondent(answers: pd.DataFrame, meta: list[str]) -> list[dict]:
    """In a long file each respondent's metadata is read from every row of theirs: a value given on some rows
    only (often the first) holds for all their rows, else each respondent counted in their group and in
    'unknown'; where rows give different values, the first is used and the rows are reported. In place."""
    problems = []
    for column in meta:
        values = answers[column].map(as_text).str.strip()
        found = values.where(values != "").groupby(answers["respondent_id"], sort=False).agg(
            lambda v: list(dict.fromkeys(v.dropna())))
        filled = int(((values == "") & answers["respondent_id"].map(found.map(bool))).sum())
        if filled:
            problems.append({"row": None, "problem": "metadata_filled", "column": column, "rows": filled})
        first_row = answers.groupby("respondent_id", sort=False)["source_row"].min()
        for respondent, given in found[found.map(len) > 1].items():
            problems.append({"row": int(first_row[respondent]), "problem": "metadata_varies", "column": column,
                             "respondent_id": respondent, "values": given[:3]})
        answers[column] = answers["respondent_id"].map(found.map(lambda v: v[0] if v else "")).to_numpy()
    return problems


def as_text(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        # A list column (Parquet, JSON): one item per line, as a respondent's bullet list would read.
        return "\n".join(as_text(item) for item in value if as_text(item).strip())
    return str(value)


def _respondent_ids(table: pd.DataFrame, spec: InputSpec, content_columns: list[str]) -> tuple[list[str], list[dict]]:
    content = table[content_columns].map(as_text).agg("\x1f".join, axis=1)
    raw_ids = table[spec.id_column].map(as_text).str.strip() if spec.id_column else pd.Series([""] * len(table))
    # A row without an id is named by everything it holds, the columns not read too (a form's timestamp, state):
    # two people who wrote the same answer are two respondents; the same row exported twice is one.
    whole = (table.drop(columns="__row").map(as_text).agg("\x1f".join, axis=1) if (raw_ids == "").any()
             else content)
    ids: list[str] = []
    problems: list[dict] = []
    first_content: dict[str, str] = {}
    first_row: dict[str, int] = {}
    copies: dict[str, int] = {}
    for row, raw_id, text, row_text in zip(table["__row"], raw_ids, content, whole):
        if not raw_id:
            # Keyed, as pseudonyms are: an unkeyed hash of a row that holds an e-mail column was found again by
            # hashing a mailing list's addresses with the rest of the row (72 of 96 respondents in 4 s).
            generated = "gen-" + keyed_digest(row_text)
            if spec.id_column:  # with --id-column none every row is named so: nothing is missing
                problems.append({"row": int(row), "problem": "missing_id", "respondent_id": generated})
            raw_id = generated
        if spec.is_long:
            ids.append(raw_id)  # long files repeat ids by design, one row per question
            continue
        if raw_id in first_content and first_content[raw_id] != text:
            copies[raw_id] = copies.get(raw_id, 1) + 1
            new_id = f"{raw_id}~{copies[raw_id]}"
            problems.append({"row": int(row), "problem": "repeated_id_different_content",
                             "respondent_id": new_id, "original_id": raw_id})
            raw_id = new_id
        elif raw_id in first_content and any(text.split("\x1f")):  # the same answers sent again: read once
            problems.append({"row": int(row), "problem": "repeated_row", "respondent_id": raw_id,
                             "first_row": first_row[raw_id]})
        first_content.setdefault(raw_id, text)
        first_row.setdefault(raw_id, int(row))
        ids.append(raw_id)
    return ids, problems

"""Read a survey export (CSV, XLSX, JSON Lines, Parquet; wide or long) into one row per answer."""

from __future__ import annotations

import difflib
import functools
import logging
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from themes.clean import clean_text, non_answer_reason
from themes.csv_input import decode, distinct_columns, read_csv_export
from themes.errors import InputError
from themes.respondents import SENDER, as_text, redcap_occasions, to_answers
from themes.infer import (_QUESTION_NAME, ID_KEYS, carried_down, data_shape, doubtful_guess, first_rows_shape,
                          guess_id_column, guess_meta_columns, ids_on_first_rows, located_by_address, long_shape,
                          meta_origin, name_key, names_type_or_place, words)

READERS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "excel", ".xlsm": "excel",
           ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
ID_NAMES = ("respondent_id", "respondent", "response_id", "responseid", "id", "record_id")
log = logging.getLogger("themes")


def quiet_workbook_notes() -> None:
    """openpyxl's notes on what it does not keep of a workbook's look ("Workbook contains no default style", "Data
    Validation extension is not supported"), printed three times a run: nothing of the answers is lost, so they are
    not shown. Set when this module is imported."""
    warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")


quiet_workbook_notes()


class EmptyTableError(InputError):
    """The file (or sheet) opens but holds no rows of data."""


class _NoAliases(yaml.SafeLoader):
    """YAML without anchors and aliases: a settings file never needs them, and nested aliases can
    expand a few lines into gigabytes ("billion laughs")."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.YAMLError(f"line {event.start_mark.line + 1}: aliases (*name) are not allowed in a settings "
                                 "file; write the values out")
        return super().compose_node(parent, index)


@dataclass(frozen=True)
class InputSpec:
    """Which columns hold what. Empty fields are filled from a sidecar YAML, then guessed."""

    id_column: str | None = None
    text_columns: tuple[str, ...] = ()
    meta_columns: tuple[str, ...] = ()
    question_column: str | None = None  # set for long files: one row per (respondent, question)
    answer_column: str | None = None
    sheet: str | None = None
    sources: dict[str, str] = field(default_factory=dict, compare=False)  # field -> "option" | "sidecar" | "guessed"
    # Metadata columns a quote is attributed with ("Nonprofit respondent from partnership based in Ohio");
    # empty: the respondent type and state columns, when found.
    attribute_with: tuple[str, ...] = ()
    # A platform's question text per text or metadata column (Qualtrics names its columns Q1, Q2 and writes the
    # question in the row below): what a question named only "Q3" asks, so that the classifier reads it as the
    # question it is, and the report names it.
    question_labels: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    # The row (from 1) that holds the column names, where the reader's own search misses it (group labels over most
    # columns); None: found (the first row, or the row of names under a title or group labels).
    header_row: int | None = None
    # A long file's ids are on each respondent's first row only (`infer.ids_on_first_rows`): carried down over the
    # blank rows under them.
    carry_ids: bool = False
    # Survey questions the user said to read as a calibration question (`--question-as`, the sidecar's
    # `question_as`): a question worded otherwise than the calibration's names, which themes.questions cannot place
    # ("What has made this partnership effective?" as `effective_practices`).
    question_as: tuple[tuple[str, str], ...] = ()

    @property
    def is_long(self) -> bool:
        return self.question_column is not None


def sidecar_path(path: Path) -> Path | None:
    for candidate in (path.with_suffix(".yaml"), path.with_suffix(".yml"), Path(f"{path}.yaml")):
        if candidate.is_file():
            return candidate
    return None


def resolve_spec(path: Path, given: InputSpec) -> InputSpec:
    """Options win over the sidecar `<input>.yaml`; what neither sets is guessed later from the table."""
    sidecar = sidecar_path(path)
    if sidecar is None:
        # A spec resolved before (by the command line, before the run starts) keeps the origins it found.
        return replace(given, sources={**{k: "option" for k, v in vars(given).items()
                                          if v and k not in ("sources", "question_labels")}, **given.sources})
    allowed = {"id_column", "text_columns", "meta_columns", "question_column", "answer_column", "sheet",
               "attribute_with", "header_row", "question_as"}
    how = f"write it as 'setting: value' lines, one per setting ({', '.join(sorted(allowed))}), or remove it"
    try:
        declared = yaml.load(sidecar.read_text(encoding="utf-8-sig"), Loader=_NoAliases) or {}
    except UnicodeDecodeError:
        raise InputError(f"{sidecar}: the settings file beside the input is not text (UTF-8); {how}.") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        if mark is None:  # this loader's own refusal (aliases), which says what to do
            raise InputError(f"{sidecar}: the settings file cannot be parsed ({' '.join(str(error).split())[:300]})."
                             ) from None
        reason = " ".join(str(getattr(error, "problem", None) or error).split())[:200]
        raise InputError(f"{sidecar}: the settings file cannot be parsed at line {mark.line + 1} ({reason}); "
                         f"{how}.") from None
    if not isinstance(declared, dict):  # a list, or a sentence: its characters were listed as unknown settings
        kind = {"list": "a list", "str": "a line of text", "int": "a number", "float": "a number"}.get(
            type(declared).__name__, f"a {type(declared).__name__}")
        raise InputError(f"{sidecar}: the settings file holds {kind}, not settings; {how}.")
    unknown = set(declared) - allowed
    if unknown:
        unknown = sorted(str(key)[:40] for key in unknown)[:10]
        raise InputError(f"{sidecar}: unknown setting(s) {unknown}; allowed: {sorted(allowed)}.")
    for name in ("id_column", "question_column", "answer_column", "sheet"):  # one column (or sheet) each
        value = declared.get(name)
        if isinstance(value, bool):  # YAML reads an unquoted No, yes or on as true or false
            raise InputError(f"{sidecar}: {name} reads as {str(value).lower()}, not a name: YAML takes an unquoted "
                             f"yes, no, on or off for one. Put the name in quotes: {name}: 'No'.")
        if isinstance(value, (list, dict)):
            raise InputError(f"{sidecar}: {name} names one column{' (or sheet)' if name == 'sheet' else ''}; "
                             f"got {value!r}. Write '{name}: <its name>'.")
        if value is not None and not isinstance(value, str):  # a column named 2024, or a date
            declared[name] = str(value)
        if value == "":
            declared[name] = None  # not set: guessed, as before
    for name in ("text_columns", "meta_columns", "attribute_with"):
        value = declared.get(name)
        items = value if isinstance(value, list) else [value]
        if value is not None and any(isinstance(item, (list, dict)) for item in items):
            raise InputError(f"{sidecar}: {name} lists column names; got {value!r}. Write '{name}: [first, second]'.")
        truth = next((item for item in items if isinstance(item, bool)), None)
        if truth is not None:  # "text_columns: [yes, on]" read as the columns "True", "True"
            raise InputError(f"{sidecar}: {name} holds {str(truth).lower()}, not a name: YAML takes an unquoted yes, "
                             f"no, on or off for one. Put the names in quotes: {name}: ['yes', 'on'].")
    mapping = declared.get("question_as")
    if mapping is not None:
        if not isinstance(mapping, dict) or any(isinstance(v, (list, dict, bool)) or v is None or k is None
                                                for k, v in mapping.items()):
            raise InputError(f"{sidecar}: question_as maps each survey question to a calibration question's name; got "
                             f"{str(mapping)[:80]!r}. Write it as lines under 'question_as:', e.g. "
                             "'  \"What has made this partnership effective?\": effective_practices'.")
        declared["question_as"] = tuple((str(k), str(v)) for k, v in mapping.items())
    row = declared.get("header_row")
    if row is not None and (isinstance(row, bool) or not isinstance(row, int) or row < 1):
        raise InputError(f"{sidecar}: header_row must be a row number from 1 (the row with the column names). Got "
                         f"{row!r} instead.")
    merged, sources = {}, {}
    for name in allowed:
        mine = getattr(given, name)
        theirs = declared.get(name)
        if isinstance(theirs, list):
            theirs = tuple(str(item) for item in theirs)
        elif (name.endswith("_columns") or name == "attribute_with") and theirs is not None:
            theirs = (str(theirs),)
        merged[name] = mine if mine else theirs if theirs is not None else getattr(InputSpec(), name)
        if mine:
            sources[name] = given.sources.get(name, "option")
        elif theirs:
            sources[name] = f"sidecar {sidecar.name}"
    return InputSpec(**merged, sources={**given.sources, **sources})


# The first bytes of an OLE2 compound file: an old .xls, or an .xlsx saved with a password (Excel encrypts it
# into one).
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _not_a_workbook(path: Path) -> str | None:
    """Why a file named .xlsx cannot be read, when its first bytes say: password-protected, an old .xls, a web
    page (some tools export an HTML table as .xls), or text (a CSV renamed)."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.lstrip().lower().startswith((b"<!doctype html", b"<html", b"<table")):
        return "is a web page (an HTML table) named like a workbook. Open it in Excel and save it as .xlsx."
    if not head.startswith((_OLE2, b"PK")) and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            text = error.start > len(head) - 4  # only a character cut by the 4096 bytes read
        else:
            text = True
        if text:
            return f"is a text file, not a workbook (a CSV named {path.suffix}?). Rename it to .csv and run again."
    if not head.startswith(_OLE2):
        return None
    with path.open("rb") as handle:
        whole = handle.read(1 << 20)
    if "EncryptedPackage".encode("utf-16-le") in whole:
        return ("is password-protected. Open it in Excel, remove the password (File > Info > Protect Workbook) and "
                "save it, then run again.")
    return "is an old Excel .xls workbook named .xlsx. Open it in Excel and save it as .xlsx (or export CSV)."


def read_table(path: str | Path, *, sheet: str | None = None, header_row: int | None = None,
               sheet_from: str = "option") -> pd.DataFrame:
    """Read a table as text columns; decoding problems and unknown formats raise InputError. `header_row`: the
    row (from 1) with the column names, the rows above it skipped, as the user said (no title search)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"Input file not found: {path}. Check the path.")
    if path.is_dir():
        raise InputError(f"{path} is a folder; pass a CSV, XLSX, JSONL or Parquet file.")
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        saved = (" Open it in the spreadsheet program and save it as .xlsx (or export CSV)."
                 if path.suffix.lower() in (".xls", ".ods", ".numbers", ".xlsb") else "")
        raise InputError(f"{path}: unknown file type '{path.suffix}'. Use .csv, .tsv, .xlsx, .jsonl or .parquet.{saved}")
    if sheet is not None and kind != "excel":
        raise InputError(f"A sheet ('{sheet}') was named, but {path} is {kind.upper()}, not a workbook: leave out "
                         "--sheet (or the sidecar's sheet).")
    if path.stat().st_size == 0:
        raise EmptyTableError(f"{path} is empty (0 bytes). Export the survey again.")
    try:
        if header_row is not None and kind not in ("csv", "excel"):
            raise InputError(f"--header-row reads spreadsheets and CSV files; {path} is {kind.upper()}, whose "
                             "records name their fields: leave it out.")
        if kind == "csv":
            table = read_csv_export(path, header_row)
        elif kind == "excel":
            table = _read_excel(path, sheet, header_row, sheet_from)
        elif kind == "jsonl":
            table = _read_json(path)
        else:
            table = pd.read_parquet(path)
    except InputError:
        raise
    except Exception as error:  # the readers raise many types; the user needs the file and the reason
        if kind == "excel" and (hint := _not_a_workbook(path)):
            raise InputError(f"{path} {hint}") from None
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        if "new-line character seen in unquoted field" in reason:  # Python's words, about its own open()
            raise InputError(f"{path} has a line break inside a cell that is not in quotes, so its rows cannot be "
                             "told apart: open it in the spreadsheet program and save it again as CSV.") from None
        raise InputError(f"{path} cannot be read as {kind.upper()}: {reason}. Is it the right file and format?") from None
    if header_row is None:
        table = _names_under_group_labels(_header_below_a_title(table))
    elif header_row > 1:
        table.attrs["platform_rows"] = (f"row{'s 1-' if header_row > 2 else ' '}{header_row - 1}, above the column "
                                        f"names in row {header_row} (--header-row): not answers")
    table.columns = [" ".join(str(column).split()) for column in table.columns]  # "chal\nlenges" as one line
    hidden = table.attrs.pop("hidden_positions", [])
    if hidden:  # named only now: the header may be a row below a title
        table.attrs["hidden_columns"] = [table.columns[p] for p in hidden if p < len(table.columns)]
    uncomputed = table.attrs.pop("uncomputed_positions", [])
    if uncomputed:  # by column name and sheet row: rows dropped below (a title, a total) are no answers lost
        table.attrs["uncomputed_formulas"] = [(table.columns[p], row) for row, p in uncomputed
                                              if p < len(table.columns)]
        header = table.attrs.get("header_rows", {header_row or 1})
        table.attrs["formula_names"] = [column for column, row in table.attrs["uncomputed_formulas"] if row in header]
    # Rows with no cell filled (",,,," lines, formatted but empty Excel rows) are not respondents.
    # The index is kept: it numbers the rows as a spreadsheet shows them (see `to_answers`).
    blank = _blank_rows(table)
    blank_rows = set(table.index[blank]) if pd.api.types.is_integer_dtype(table.index) else set()
    table = table[~blank]
    table = _without_side_table(table)
    table = _without_platform_rows(table)
    table = _without_repeated_header(table)
    table = _without_summary_row(table, blank_rows)
    table = _without_table_below(table, blank_rows)
    table = _without_test_responses(table)
    if table.empty or len(table.columns) == 0:
        raise EmptyTableError(f"{path} has no rows of data. Export the survey again, with its answers.")
    _count_unfinished(table)
    return table


_NOT_FINISHED = {"false", "0"}
# Columns only Qualtrics writes beside its Finished: a "Finished" column elsewhere may be a question ("Yes"/"No")
_QUALTRICS_MARKS = {"progress", "durationinseconds", "recordeddate", "startdate", "enddate", "distributionchannel"}


def _count_unfinished(table: pd.DataFrame) -> None:
    """A Qualtrics export's responses not finished (`Finished` False or 0; a respondent who stopped part way, whose
    answers so far Qualtrics records): read, as the answers they gave are answers, and counted in
    `attrs["unfinished"]` to be said (review 144: read without a word)."""
    keyed = {name_key(c): c for c in table.columns}
    if "responseid" not in keyed or "finished" not in keyed or not _QUALTRICS_MARKS & set(keyed):
        return
    values = table[keyed["finished"]].map(as_text).str.strip().str.casefold()
    unfinished = int(values.isin(_NOT_FINISHED).sum())
    if unfinished and values.isin(_NOT_FINISHED | {"true", "1", ""}).all():
        table.attrs["unfinished"] = f"{unfinished} of {len(table)}"


_IMPORT_ID = re.compile(r'^\{\s*"ImportId"\s*:')
_SURVEYMONKEY_CELLS = {"response", "open-ended response"}


# A blank header cell as each reader names it: pandas's 'Unnamed: 3', 'nan' from a workbook, '' from a CSV, then
# ' (2)', ' (3)' when there are several (`distinct_columns`).
_BLANK_HEADER = re.compile(r"(?:Unnamed: \d+|nan)?\s*(?:\(\d+\))?")


def _surveymonkey_choices(table: pd.DataFrame, second: list[str]) -> pd.DataFrame:
    """SurveyMonkey writes a question once over its choices' columns and each choice in the row below
    ("Which agreements...?" over "MOU", "Contract", "Other (please specify)"): each such column is named
    "question - choice", where the unnamed ones read 'nan (3)'."""
    names, question = list(table.columns), None
    for k, (name, choice) in enumerate(zip(table.columns, second)):
        if not _BLANK_HEADER.fullmatch(str(name).strip()):
            question = str(name)
        if choice and choice.lower() not in _SURVEYMONKEY_CELLS and question is not None:
            names[k] = f"{question} - {choice}"
    if names == list(table.columns):
        return table
    renamed = table.copy()
    renamed.columns = names
    repeated = {n: c for n, c in (table.attrs.get("repeated_columns") or {}).items() if not _BLANK_HEADER.fullmatch(n)}
    renamed.attrs = {**table.attrs, "repeated_columns": repeated}
    return renamed


def _surveymonkey_row(columns: list, cells: list[str]) -> bool:
    """SurveyMonkey's response-type row under the questions: "Open-Ended Response", or "Response" cells with, under a
    check-all question and its unnamed columns, the choices' names ("MOU", "Contract"); such a row with no
    "Open-Ended Response" in it was read as a respondent whose answers were all "Response" (review 171)."""
    filled = [cell.lower() for cell in cells if cell]
    if "open-ended response" in filled or (filled and set(filled) <= _SURVEYMONKEY_CELLS):
        return True
    if "response" not in filled:
        return False
    names = [str(column).strip() for column in columns]
    blank = [bool(_BLANK_HEADER.fullmatch(name)) for name in names]
    return all(not cell or cell.lower() in _SURVEYMONKEY_CELLS or blank[k] or (k + 1 < len(names) and blank[k + 1])
               for k, cell in enumerate(cells))


def _ticked_column(column: pd.Series, name) -> bool:
    """A choice's own column, as Typeform and SurveyMonkey write a check-all question: each cell its option's name
    (the column's) or empty. The first respondent's ticks repeat the column names: their row was dropped as a
    question-text row, and their answers became the questions' wording (review 171)."""
    values = {name_key(as_text(value).strip()) for value in column} - {""}
    return len(column) > 1 and values == {name_key(name)}


def _without_platform_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The table less the extra header rows survey platforms write under the column names, which read as
    data would each count as a respondent: Qualtrics's question-text row and its ImportId row
    ({"ImportId":"QID3_TEXT"}), SurveyMonkey's row of "Response" / "Open-Ended Response".

    `attrs["platform_rows"]` says what was dropped (the spreadsheet rows and why), and
    `attrs["column_labels"]` holds a question-text row's text per column (metadata is guessed from it:
    Qualtrics names columns Q1, Q2).
    """
    head = table.head(3).map(lambda cell: as_text(cell).strip())
    rows, why, labels = 0, "", {}
    for position in range(len(head)):
        cells = [cell for cell in head.iloc[position] if cell]
        if cells and all(_IMPORT_ID.match(cell) for cell in cells):
            rows = position + 1
            why = "Qualtrics's question-text and ImportId rows" if position else "Qualtrics's ImportId row"
            labels = dict(zip(table.columns, head.iloc[0])) if position else {}
            break
    if not rows and len(head):
        first = [cell.lower() for cell in head.iloc[0] if cell]
        if first and _surveymonkey_row(list(table.columns), list(head.iloc[0])):
            rows, why = 1, "SurveyMonkey's response-type row"
            table = _surveymonkey_choices(table, list(head.iloc[0]))
        else:
            # A question-text row with no ImportId row under it: it repeats column names ("ResponseId" over
            # "Response ID", "StartDate" over "Start Date").
            repeats = [column for column, cell in zip(table.columns, head.iloc[0]) if cell and name_key(cell)
                       and name_key(cell) == name_key(column) and not _ticked_column(table[column], column)]
            # Qualtrics's legacy export: columns V1, V2 ... and "ResponseID" in the question-text row under V1
            legacy = sum(bool(re.fullmatch(r"V\d+", str(c))) for c in table.columns) >= 3 and any(
                name_key(cell) in ID_KEYS for cell in head.iloc[0] if cell)
            if len(repeats) >= 2 or any(name_key(column) in ID_KEYS for column in repeats):
                rows, why = 1, "a question-text row: it repeats the column names"
                labels = dict(zip(table.columns, head.iloc[0]))
            elif legacy:
                rows, why = 1, "a question-text row: Qualtrics's legacy export, its ids named 'ResponseID' in it"
                labels = dict(zip(table.columns, head.iloc[0]))
            elif _variable_labels(table):
                rows, why = 1, "a row of labels under the variable names (as SPSS exports write it)"
                labels = dict(zip(table.columns, head.iloc[0]))
            elif first and len(first) <= 0.5 * len(table.columns) and all(_UNIT.fullmatch(cell) for cell in first):
                shown = ", ".join(f"'{cell}'" for cell in head.iloc[0] if cell)
                rows, why = 1, f"a row of units under the column names ({shown})"
    if not rows:
        return table
    numbers = [int(n) + 2 for n in table.index[:rows]] if pd.api.types.is_integer_dtype(table.index) else []
    where = (f"row {numbers[0]}" if rows == 1 else f"rows {numbers[0]}-{numbers[-1]}") if numbers else f"{rows} row(s)"
    rest = table.iloc[rows:].copy()
    rest.attrs = {**_also_skipped(table.attrs, f"{where}, {why}: not answers"),  # under a title's, if skipped
                  "column_labels": {c: label for c, label in labels.items() if label and label != c}}
    return rest


# A unit or scale under a column's name, in a row of them under the header ("USD", "%", "(1-5)", "1 = low, 5 = high"):
# read as data, that row was one more respondent, with a generated id.
_UNIT = re.compile(r"(?i)\(?\s*(?:usd|eur|gbp|cad|aud|\$|€|£|%|percent|#|n|count|number|years?|yrs?|months?|weeks?|"
                   r"days?|hours?|hrs?|people|persons|staff|fte|\d+\s*[-–]\s*\d+|scale\s+(?:of\s+)?\d+\s*[-–]\s*\d+"
                   r"|\d+\s*=\s*[a-z]+(?:\s+[a-z]+)?\s*[,;/]?\s*\d+\s*=\s*[a-z]+(?:\s+[a-z]+)?)\s*\)?")


def _variable_labels(table: pd.DataFrame) -> bool:
    """The first row is a row of labels under the variable names, as SPSS and Stata exports and a codebook-minded
    analyst write it ("resp_id" over "Respondent ID", "q1_goals" over "What are the goals of your partnership?"):
    read as data it is one more respondent, its labels coded as answers and "Type of organization" a type. Such a
    row names nearly every column, none of its cells comes again in its column, its id cell is not shaped like the
    ids below it ("Respondent ID" over "R001", "R002"), and its cells read as labels: questions, or words of
    their columns' names. A first respondent's row fails on its id, or on a type or state others share."""
    below = table.iloc[1:201].map(lambda cell: as_text(cell).strip())
    first = [as_text(cell).strip() for cell in table.iloc[0]]
    lowered = {str(c).lower(): c for c in table.columns}
    id_column = next((lowered[name] for name in ID_NAMES if name in lowered), None) or guess_id_column(
        [str(c) for c in table.columns])
    if len(below) < 3 or id_column is None or sum(map(bool, first)) < 0.8 * len(first) or len(set(first)) < len(first):
        return False
    ids = below[id_column][below[id_column] != ""].map(_shape)
    position = list(table.columns).index(id_column)
    if (ids.empty or not first[position] or (ids == ids.mode()[0]).mean() < 0.9
            or _shape(first[position]) == ids.mode()[0]):
        return False
    if any(cell and (below.iloc[:, k] == cell).any() for k, cell in enumerate(first)):
        return False
    worded = sum(bool(set(words(cell)) & set(words(column))) for column, cell in zip(table.columns, first) if cell)
    return any(cell.endswith("?") for cell in first) or worded >= 0.5 * sum(map(bool, first))


def _header_below_a_title(table: pd.DataFrame) -> pd.DataFrame:
    """A sheet whose first row is a title ("Partnership RFI - responses exported 2 Nov") or a row of group labels
    over the real column names: most columns come out unnamed. The first of the next rows that names nearly
    every column, each once, is the header; the rows above it are skipped and said."""
    blank = [bool(_BLANK_HEADER.fullmatch(str(c).strip())) for c in table.columns]
    named = [c for c, b in zip(table.columns, blank) if not b]
    # Two columns: a title in A1 over the names ("Respondent ID", "challenges"); the names must name the ids there,
    # as a first respondent's row under a header's one name would otherwise pass for names.
    two = len(table.columns) == 2 and blank == [False, True]
    if (len(table.columns) < 3 and not two) or len(named) > max(2, len(table.columns) // 4):
        return table  # a header names most columns; a title or two or three group labels name a few
    if blank[0] and not any(blank[1:]) and _first_row_is_data(table.iloc[:, 0]):
        return table  # a row index's blank cell over names (pandas `to_csv`): its first value is one of the others
    for position in range(min(10, len(table))):
        cells = [as_text(c).strip() for c in table.iloc[position]]
        if _row_of_data(table, position) and not _names_the_ids(table, position, cells):
            # Answers from here on, and above it any a first respondent who answered little gave (their id shaped as
            # the others'): the header is the row above them (row 1 where they start at row 2), a cell or two left
            # blank, if it names half the columns or more, each once
            while position and _row_of_data(table, position - 1, sparse=True):
                position -= 1
            above = [as_text(c).strip() for c in table.iloc[position - 1]] if position else []
            return _header_at(table, position - 1, above, named) if _column_names(above, share=0.5) else table
        if _column_names(cells, share=0.8) and (not two or _names_ids_over_codes(table, position, cells)):
            if position == 0 and {c.lower() for c in cells} & _SURVEYMONKEY_CELLS and not two:
                # SurveyMonkey's row of choices under its questions, each question over its choices' columns:
                # the first row is the header, and `_without_platform_rows` names each column for its choice
                # (not a two-column sheet's "Respondent ID | Response" under a title).
                return table
            return _header_at(table, position, cells, named)
    return table


def _names_the_ids(table: pd.DataFrame, position: int, cells: list[str]) -> bool:
    """The row names the ids ("Respondent ID") over values of another shape: a header, whatever another of its columns
    is named ("C1" over "C2", "C3")."""
    named = _id_by_name([c for c in cells if c])
    return named is not None and not _first_row_is_data(table.iloc[position:position + 201, cells.index(named)])


def _names_ids_over_codes(table: pd.DataFrame, position: int, cells: list[str]) -> bool:
    """The row names the ids, and the values under that name are codes, not a form's field names ("Respondent ID |
    R007" over "State | PA", "What has worked? | ...": one respondent's form, one field a row)."""
    named = _id_by_name([c for c in cells if c])
    if named is None:
        return False
    below = table.iloc[position + 1:position + 201, cells.index(named)].map(as_text).str.strip()
    below = below[below != ""]
    fields = below.map(lambda value: bool(_id_by_name([value]) or names_type_or_place(value))).any()
    return (len(below) > 0 and not fields and (~below.str.contains(r"\s")).mean() >= 0.9
            and below.str.contains(r"[\d@]").mean() >= 0.5)


def _column_names(cells: list[str], *, share: float) -> bool:
    """The cells name that share of the columns or more, each once, and are names, not answers (short)."""
    names = [c for c in cells if c]
    return (bool(names) and len(names) >= share * len(cells) and len(set(names)) == len(names)
            and all(len(c) <= 80 and len(c.split()) <= 12 for c in names))


def _header_at(table: pd.DataFrame, position: int, cells: list[str], row_1_names: list) -> pd.DataFrame:
    """The table with the row at `position` as its header, the rows above it skipped and said."""
    rest = table.iloc[position + 1:].copy()
    rest.attrs = {**table.attrs, "repeated_columns": {}, "row_1_names": row_1_names}
    cells = [cell or f"Unnamed: {k}" for k, cell in enumerate(cells)]  # a blank one as pandas names it
    rest = distinct_columns(rest, cells)
    if not rest.attrs["repeated_columns"]:
        rest.columns = cells
    first = int(table.index[position]) + 2 if pd.api.types.is_integer_dtype(table.index) else position + 2
    rest.attrs["header_rows"] = {first}
    rest.attrs["platform_rows"] = (f"row{'s 1-' if first > 2 else ' '}{first - 1}, above the column names "
                                   f"in row {first} (a title or a row of group labels): not answers")
    return rest


def _shape(value: str) -> str:
    """A value's shape: runs of digits and of letters each one mark ("R0012" and "R7" are 'a9', "12" is '9')."""
    return re.sub(r"[^\W\d_]+", "a", re.sub(r"\d+", "9", value.strip()))


def _first_row_is_data(column: pd.Series) -> bool:
    """The column's first value has the shape of nearly all below it: a row index's 0 over 1, 2, ... or an id over
    ids, where a header's cell ("Respondent ID", "#") over them differs. Tells a row index's blank header cell
    over two named columns from a title and a note in B1 and C1 over the header."""
    values = [as_text(cell).strip() for cell in column.iloc[:201]]
    rest = [_shape(v) for v in values[1:] if v]
    return bool(values and values[0] and rest) and sum(s == _shape(values[0]) for s in rest) >= 0.9 * len(rest)


def _row_of_data(table: pd.DataFrame, position: int, *, sparse: bool = False) -> bool:
    """The row is a respondent's, not a header: in some column of values that mostly differ, its value is an id of
    letters and digits shaped as nearly all the values below ("R0001" over "R0002", "R0003"), or a number the next
    row's follows (a row's number, 12 over 13), where a column's name ("Respondent ID", "#") differs. Not a year or
    a date over amounts or timestamps ("2023" over "125000"; a group's names under their labels), nor a platform's
    row of choices ("Choice 0" over "Choice 1" on every row). A respondent's row fills half its cells or more, unless
    `sparse` (a first respondent who answered little, above others)."""
    rows = table.iloc[position:position + 201]
    if not sparse and sum(bool(as_text(cell).strip()) for cell in rows.iloc[0]) < 0.5 * len(table.columns):
        return False  # a respondent's row fills half its cells or more; a note's, a legend's or a count's a few

    def ids(k: int) -> bool:
        values = rows.iloc[:, k].map(as_text).str.strip()
        given = values[values != ""]
        shape = _shape(values.iat[0])
        if shape == "9":  # a number: a row's, when the row below numbers itself next
            return len(given) > 1 and given.iat[0] == values.iat[0] and given.iat[1].isdigit() and abs(
                int(given.iat[1]) - int(given.iat[0])) == 1
        return ("9" in shape and "a" in shape and given.nunique() >= 0.5 * len(given)
                and _first_row_is_data(values))

    return len(rows) > 2 and any(ids(k) for k in range(len(table.columns)))


def _counts_rows(column: pd.Series) -> bool:
    """The column numbers its rows: 0, 1, 2, ... (or from 1), as a row index does."""
    values = column.iloc[:50].map(as_text).str.strip().tolist()
    return len(values) > 1 and all(v.isdigit() for v in values) and [int(v) for v in values] == list(
        range(int(values[0]), int(values[0]) + len(values))) and values[0] in ("0", "1")


def _names_under_group_labels(table: pd.DataFrame) -> pd.DataFrame:
    """A header of two rows, as a sheet laid out for reading writes it: group labels in row 1 over the names of their
    columns in row 2 ("Challenges" over "Internal" and "External", its other cells blank or merged), the columns
    outside a group named in row 1 alone. Read as one row, row 2's names were a respondent's answers and the
    group's other columns had no name ('nan'). Each column of a group is named "group: name" and row 2 is said.
    A group is a named column followed by unnamed ones; row 2 names every column of a group, each once and in a
    few words, and no column outside one but with its own name's words ("Respondent" over "Respondent ID", which then
    names it); a first column with no label is named in row 2 alone, as the ids."""
    columns = [str(column) for column in table.columns]
    # A label repeated over each column of its group, as pandas writes a two-level header ("Respondent", "Respondent
    # (2)" when read) continues the group as a blank or merged cell does.
    repeated = table.attrs.get("repeated_columns", {})
    runs = {copy: name for name, copies in repeated.items() for copy in copies[1:]}
    unnamed = [bool(_BLANK_HEADER.fullmatch(column.strip())) or (
        k > 0 and column in runs and columns[k - 1] in repeated[runs[column]]) for k, column in enumerate(columns)]
    if len(table) < 2 or not any(unnamed) or "platform_rows" in table.attrs or _row_of_data(table, 0):
        return table
    below = [as_text(cell).strip() for cell in table.iloc[0]]
    if unnamed[0] and not below[0] and _counts_rows(table.iloc[1:, 0]):
        unnamed[0] = False  # pandas's row index (`to_csv` with it), blank in both rows over 0, 1, 2, ...: in no group
    if unnamed[0] and not _id_by_name(below[:1]):
        return table  # a first column named in row 2 alone is the ids' ("Respondent ID" under no label)
    if any(column in runs for column in columns) and not (
            _id_by_name([cell for cell in below if cell])
            or any(names_type_or_place(cell, only=True) for cell in below if cell)):
        # a question's name twice side by side over a first respondent's short answers ("More housing", "State funding")
        return table
    grouped = [unnamed[k] or (k + 1 < len(columns) and unnamed[k + 1]) for k in range(len(columns))]
    groups, group = [], ""
    for column, blank in zip(columns, unnamed):
        group = group if blank else column
        groups.append(group)
    names = [(group, cell) for group, cell, inside in zip(groups, below, grouped) if inside]
    # Each name once within its group ("Internal" and "External" under both "Challenges" and "Successes" is fine).
    # Named in row 2 outside a group: only with the ids named in that row too (a first respondent's "Nonprofit
    # sector" under "Sector" shares a word with its column's name as well)
    alone = [cell for cell, column, inside in zip(below, columns, grouped) if cell and not inside]
    if alone and not _id_by_name([cell for cell in below if cell]):
        return table
    if (not all(cell for _, cell in names) or not all(len(cell.split()) <= 6 and set(words(cell)) & set(words(column))
                                                      for cell, column in zip(below, columns) if cell in alone)
            or len(set(names)) != len(names) or any(len(cell.split()) > 6 for _, cell in names)):
        return table
    rest = table.iloc[1:].copy()
    rest.attrs = {**table.attrs, "repeated_columns": {  # the unnamed and the repeated labels, now named
        name: copies for name, copies in repeated.items()
        if not _BLANK_HEADER.fullmatch(name.strip()) and not any(runs.get(copy) == name for copy in copies)}}
    # Under a label repeated over its group (pandas's two-level header), the ids' column is named by row 2 alone
    # ("respondent_id", not "Respondent: respondent_id"), as the ids; not under a title over a form's two columns.
    labels = set(runs.values())
    rest.columns = [(f"{group}: {cell}" if group and not (group in labels and _id_by_name([cell])) else cell)
                    if inside else cell or column
                    for column, group, cell, inside in zip(columns, groups, below, grouped)]
    row = int(table.index[0]) + 2 if pd.api.types.is_integer_dtype(table.index) else 2
    rest.attrs["header_rows"] = {row - 1, row}
    shown = ", ".join(f"'{name}'" for name, column, inside in zip(rest.columns, columns, grouped)
                      if inside or name != column)
    rest.attrs["platform_rows"] = (f"row {row}, the names of the columns under row {row - 1}'s group labels: read "
                                   f"with them as {shown}")
    return rest


def _without_side_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table less its unnamed empty columns (a spacer, formatting), and less a small table set beside it past
    such a column (a pivot of counts by type, filled on a few rows): read, its 'Type' became a metadata column
    with most respondents 'unknown'. The side table is said."""
    if len(table) < 5:
        return table
    # By position: header cells of spaces alone are names that repeat once read ("' '" and "'  '"), and a name that
    # repeats picks several columns (a ValueError reached the user; review 159).
    filled = table.map(lambda value: bool(as_text(value).strip()))
    names = list(table.columns)
    empty = [i for i, c in enumerate(names) if _BLANK_HEADER.fullmatch(str(c).strip()) and not filled.iloc[:, i].any()]
    if not empty:
        return table
    last_gap = max(empty)
    left = [i for i in range(last_gap) if i not in empty]
    right = [i for i in range(last_gap + 1, len(names)) if i not in empty]
    beside = bool(left and right and filled.iloc[:, right].any(axis=1).mean() <= 1 / 3
                  and filled.iloc[:, left].any(axis=1).mean() >= 0.9)
    kept = [i for i in range(len(names)) if i not in empty and not (beside and i in right)]
    out = table.iloc[:, kept].copy()
    out.attrs = dict(table.attrs)
    kept_names = {names[i] for i in kept}
    repeated = {name: [c for c in copies if c in kept_names]
                for name, copies in table.attrs.get("repeated_columns", {}).items()}
    out.attrs["repeated_columns"] = {name: copies for name, copies in repeated.items() if len(copies) > 1}
    if beside:
        rows = int(filled.iloc[:, right].any(axis=1).sum())
        said = (f"columns {', '.join(repr(str(names[i])) for i in right)}, a table beside the answers ({rows} rows): "
                "not read")
        out.attrs = _also_skipped(out.attrs, said)
    return out


# A summary row's cell: "Total", a number, or a summary word followed by a number ("Total responses: 40", "Total:
# 45 responses", "N = 45", "Response rate 62%") or by a word or two ("Average words", "Number of responses",
# "Grand Total").
_COUNTED = r"(?:responses|respondents|records|rows|submissions|completes|completed|surveys|entries)"
# SurveyMonkey's summary export ends each column with "answered question" and "skipped question" rows.
_SUMMARY_WORD = (rf"(?i:(?:grand[ \t]+|sub-?)?totals?|count|sum|average|mean|responses|respondents|answered|all|"
                 rf"overall|n|"
                 rf"(?:answered|skipped)[ \t]+question|"
                 rf"(?:overall[ \t]+)?(?:response|completion|completed|participation)[ \t]+rate|"
                 rf"(?:number|no\.)[ \t]+of[ \t]+{_COUNTED})")
_OUT_OF = r"(?:\s*(?:/|of)\s*\d[\d,]*)?(?:\s*\(\d[\d,]*\s*(?:/|of)\s*\d[\d,]*\))?"  # "20 of 32", "45/73", "(45 of 73)"
_SUMMARY_CELL = re.compile(rf"{_SUMMARY_WORD}(?:[ \t]+[A-Za-z]+){{0,2}}(?:[ \t]*\((?i:n)\))?|[\d.,%]+{_OUT_OF}"
                           rf"|[\d.,%]+[ \t]+{_SUMMARY_WORD}"
                           rf"|{_SUMMARY_WORD}\b[\w ]*[:=]?\s*\d[\d.,%]*{_OUT_OF}(?:[ \t]+[A-Za-z]+){{0,2}}")
# ... and a count row labelled by a word alone ("Responses", "Answered": review 171, one more respondent); not "N" or
# "All", which a last respondent answers beside a numeric id (review 172)
_SUMMARY_SAYS = re.compile(rf"(?i)total|count|sum|average|mean|\brate\b|\bn\s*=|^responses\s*[:=]|"
                           rf"^(?:responses|respondents|answered)$|"
                           rf"^(?:answered|skipped)\s+question$|"
                           rf"^(?:number|no\.)[ \t]+of[ \t]+{_COUNTED}\b")
# A note marked as one ("* Lightly edited") or a legend ("N/A = left blank"): under ids, or apart from the rows above;
# in a column of answers it may be a pasted bullet ("* more funding") or shorthand ("Staff time = the barrier").
_MARKED_NOTE = re.compile(r"\*.*|[^=\s][^=]{0,15}[ \t]+=[ \t]+\D.*")
# A note under the table, in its first cell alone: where the data came from, who may read it, how current it is.
_FOOTNOTE = re.compile(r"(?i)(?:source|sources|note|notes|exported|generated|downloaded|prepared|confidential|"
                       r"copyright|©|(?:data|responses|figures)[ \t]+(?:as[ \t]+of|current|through)|"
                       # "As of 3/1/2025", "Updated: 2 Nov", "Retrieved on ...": a date or a colon after it, not
                       # an answer that starts so ("Updated our data-sharing agreement ...")
                       r"(?:as[ \t]+of|(?:last[ \t]+)?updated|retrieved|extracted)(?=[ \t]*:|[ \t]+(?:on[ \t]+)?"
                       r"(?:\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)))\b.*")

# A note's label and its colon, alone in its cell ("Prepared by:") or before the note ("Note: ...").
_NOTE_LABEL = re.compile(r"(?i)(?:notes?|sources?|prepared[ \t]+by|exported(?:[ \t]+(?:on|by))?|generated(?:[ \t]+"
                         r"(?:on|by))?|downloaded(?:[ \t]+(?:on|by))?|compiled[ \t]+by)[ \t]*:")
_LABELLED_NOTE = re.compile(_NOTE_LABEL.pattern + ".*")


def _without_summary_row(table: pd.DataFrame, blank: set) -> pd.DataFrame:
    """The table less the rows under it that sum the others up ("Total responses: 40" under each column, as a
    spreadsheet user adds, then "Average words") or note its source: read as data each would be one more
    respondent in every base."""
    from themes.redact import _EMAIL  # a note that names its exporter is said without its address

    dropped: list[str] = []
    while len(table) >= 3 and len(dropped) < 10:  # a summary or two, a "Notes:" block of a few lines
        cells = [as_text(c).strip() for c in table.iloc[-1]]
        filled = [cell for cell in cells if cell]
        summary = (filled and all(_SUMMARY_CELL.fullmatch(cell) for cell in filled)
                   and any(_SUMMARY_SAYS.search(cell) for cell in filled))
        footnote = ((len(filled) == 1 and cells[0] == filled[0] and _note_line(table, filled[0], blank))
                    # "Prepared by: | Evaluation team" in a table of four columns or more; a labelled note in a later
                    # column past a blank row, the first (the ids') blank: "Note: three respondents asked that ..."
                    # (right under the answers it may be an anonymous respondent's: "Note: do not quote us by name")
                    or (len(filled) == 2 and cells[0] == filled[0] and len(cells) >= 4
                        and bool(_NOTE_LABEL.fullmatch(filled[0])))
                    or (len(filled) == 1 and not cells[0] and bool(_LABELLED_NOTE.match(filled[0]))
                        and _apart(table, blank)))
        if not (summary or footnote) or len(table.columns) < 2:
            break
        row = int(table.index[-1]) + 2 if pd.api.types.is_integer_dtype(table.index) else len(table) + 1
        shown = _EMAIL.sub("[email]", filled[0])[:40]
        dropped.insert(0, f"row {row}, a {'summary row' if summary else 'note'} ('{shown}'): not answers")
        attrs = table.attrs
        table = table.iloc[:-1].copy()
        table.attrs = attrs
    if dropped:
        table.attrs = _also_skipped(table.attrs, "; ".join(dropped))
    return table


def _without_table_below(table: pd.DataFrame, blank: set) -> pd.DataFrame:
    """The table less what sits under it past a blank row and is no respondent's: a small table of counts ("Responses
    by type" over "Type | Count", "CBO | 11"), a two-cell "Prepared by: | Evaluation team", a notes block too long for
    `_without_summary_row`. Each of its rows fills under half the cells (a respondent's fills half or more) and starts
    with a word where nearly every row above starts with an id of one shape (R001, R002: `_ids_shape`; not a time),
    its other cells a few words each (a late respondent's hold answers); it is a few rows, at most half as many as
    those above. Read, each row was one more respondent, its cells a type or a state. Said. `blank`: the index of the
    sheet's blank rows (a gap where a repeated header row was dropped is no blank row)."""
    if len(table) < 5 or not pd.api.types.is_integer_dtype(table.index) or len(table.columns) < 2:
        return table
    rows = table.index.to_numpy()
    gaps = [k for k in range(max(1, len(rows) - 20), len(rows)) if _blank_between(blank, rows[k - 1], rows[k])]
    for start in gaps:  # the first gap with only such rows under it: the answers may hold a blank row of their own
        below = table.iloc[start:].map(lambda value: as_text(value).strip())
        ids = _ids_shape(table.iloc[:start + 1])  # the shape of the first cells above the gap
        firsts, rest = below.iloc[:, 0], below.iloc[:, 1:]
        if (ids is not None and re.fullmatch(r"[a9@._#-]+", ids) and len(below) <= (len(table) - len(below)) / 2
                and not ((below != "").sum(axis=1) >= 0.5 * len(table.columns)).any()
                and firsts.map(lambda value: bool(value) and _shape(value) != ids).all()
                and rest.map(lambda value: len(value.split()) <= 4).all().all()):
            break
    else:
        return table
    title = next((cell for row in below.itertuples(index=False) for cell in row if cell), "")
    from themes.redact import _EMAIL

    first, last = int(rows[start]) + 2, int(rows[-1]) + 2
    where = f"rows {first}-{last}" if last > first else f"row {first}"
    out = table.iloc[:start].copy()
    out.attrs = _also_skipped(table.attrs, f"{where}, under the answers past a blank row and with no respondent's id "
                                           f"('{_EMAIL.sub('[email]', title)[:40]}'): not answers")
    return out


def _ids_shape(table: pd.DataFrame) -> str | None:
    """The shape, digits in it, of nearly all first cells of the respondents' rows above the last (R001, R002: 'a9'),
    where the first column holds ids; the note's other lines (one cell filled) aside."""
    rows = table.iloc[-501:-1].map(lambda value: as_text(value).strip())  # the rows just above tell
    values = rows.iloc[:, 0][(rows != "").sum(axis=1) > 1]
    shapes = Counter(_shape(value) for value in values if value)
    if not shapes:
        return None
    shape, n = shapes.most_common(1)[0]
    return shape if "9" in shape and n >= 0.9 * sum(shapes.values()) else None


def _apart(table: pd.DataFrame, blank: set) -> bool:
    """A blank row between the last respondent's row (two cells filled or more) and the lines of one cell under it,
    the last row's among them (the index numbers the sheet's rows; `blank`: those of its blank rows, as a row dropped
    for another reason, a repeated header, leaves a gap too)."""
    tail = table.iloc[-12:]
    if len(tail) < 2 or not pd.api.types.is_integer_dtype(tail.index):
        return False
    filled = tail.map(lambda value: bool(as_text(value).strip())).sum(axis=1).tolist()
    last = max((k for k, n in enumerate(filled) if n > 1), default=None)
    if last is None or last == len(tail) - 1:
        return False
    return _blank_between(blank, tail.index[last], tail.index[last + 1])


def _blank_between(blank: set, above, below) -> bool:
    """A blank row of the sheet (`blank`: their index) between two rows of the table, given by their index."""
    return any(row in blank for row in range(int(above) + 1, int(below)))


def _note_line(table: pd.DataFrame, note: str, blank: set) -> bool:
    """The last row's one cell, in the first column, is a note's line, not a respondent's: a note by its words
    (`_FOOTNOTE`); words under a column of ids of one shape, digits in it ("Responses are verbatim." under R001,
    R002: a line of a "Notes:" block); or a marked note or a legend (`_MARKED_NOTE`) under ids or past a blank row
    (`_apart`)."""
    if _FOOTNOTE.fullmatch(note):
        return True
    ids = _ids_shape(table)
    if ids is not None and len(note.split()) >= 2 and _shape(note) != ids:
        return True
    return bool(_MARKED_NOTE.fullmatch(note)) and (ids is not None or _apart(table, blank))


def _without_repeated_header(table: pd.DataFrame) -> pd.DataFrame:
    """The table less the rows that repeat its column names (two exports pasted together): read as data each
    would be a respondent whose type is 'org_type'. A row is a repeat when two or more of its filled cells name
    their columns, at most one in five does not (a cell edited or left blank), and one of them is in a column of
    varied values (ids, answers): a respondent who ticked every choice of columns named for the choices is kept.
    The rows dropped are said."""
    if len(table.columns) < 2 or len(table) < 2:
        return table
    copies = {c: name for name, names in (table.attrs.get("repeated_columns") or {}).items() for c in names}
    keys = [re.sub(r"[\W_]+", "", str(copies.get(c, c)).casefold()) for c in table.columns]  # "goals (2)": "goals"
    cells = [table.iloc[:, k].map(as_text).str.casefold().str.replace(r"[\W_]+", "", regex=True)
             for k in range(len(keys))]
    same = pd.concat([(cell == key) & (key != "") for cell, key in zip(cells, keys)], axis=1, ignore_index=True)
    matches, filled = same.sum(axis=1), pd.concat([cell != "" for cell in cells], axis=1).sum(axis=1)
    others = [cell[(cell != "") & (cell != key)] for cell, key in zip(cells, keys)]  # the values, not the name
    varied = [len(values) >= 2 and values.nunique() > 0.5 * len(values) for values in others]
    repeated = (matches >= 2) & (matches >= 0.8 * filled) & same.loc[:, varied].any(axis=1)
    if not repeated.any():
        return table
    # A title over the pasted block ("Batch 2 (received after 15 March)"), one cell above the repeated header, is
    # no respondent either (read, it was one with every answer empty).
    above = repeated.shift(-1, fill_value=False) & (filled == 1) & ~repeated
    repeated = repeated | above
    said = ("a repeat of the header row (exports pasted together)" + (", and the title above it" if above.any()
                                                                       else "") + ": not answers")
    return _without_rows(table, repeated.to_numpy(), said)


# Qualtrics's Status ("Survey Preview", "Survey Test", "Spam"; in a numeric-values export 1, 2, 8 and 9) and
# DistributionChannel ("preview", "test") of a response its owner made to try the survey out, or its spam
# filter caught.
_QUALTRICS_STATUS_CODES = {"0", "1", "2", "4", "8", "9", "12", "16", "17"}
_TEST_RESPONSE = {"status": {"survey preview", "survey test", "spam", "survey preview spam", "preview spam",
                             "1", "2", "8", "9"},
                  "distributionchannel": {"preview", "test"}}


def _without_test_responses(table: pd.DataFrame) -> pd.DataFrame:
    """The table less a Qualtrics export's preview, test and spam responses (its ResponseId column says it is
    one), said: read, two previews counted as 2 of 30 respondents with no mention. A file of only such responses
    is a trial run of the survey, kept whole."""
    if "responseid" not in {name_key(c) for c in table.columns}:
        return table
    trial = pd.Series(False, index=table.index)
    for column in table.columns:
        kinds = _TEST_RESPONSE.get(name_key(column))
        values = table[column].map(as_text).str.strip().str.casefold()
        if kinds and values.str.isdigit().any() and not values.isin(_QUALTRICS_STATUS_CODES | {""}).all():
            kinds = kinds - set(_QUALTRICS_STATUS_CODES)  # numbers, but not Qualtrics's: another platform's codes
        if kinds:
            trial |= values.isin(kinds)
    if not trial.any() or trial.all():
        return table
    return _without_rows(table, trial.to_numpy(), "Qualtrics preview, test or spam responses (Status, "
                         "DistributionChannel): not respondents", shown=8)


def _without_rows(table: pd.DataFrame, dropped, why: str, *, shown: int | None = None) -> pd.DataFrame:
    """The table less the rows `dropped` marks, said after the others skipped: "rows 5, 6, <why>" (the sheet's
    rows, at most `shown` of them named)."""
    numbers = [str(int(n) + 2) for n in table.index[dropped]] if pd.api.types.is_integer_dtype(table.index) else []
    count = int(np.sum(dropped))
    listed = ", ".join(numbers[:shown]) + (" and more" if shown is not None and len(numbers) > shown else "")
    where = f"row{'s' * (len(numbers) > 1)} {listed}" if numbers else f"{count} row{'s' * (count > 1)}"
    rest = table[~dropped].copy()
    rest.attrs = _also_skipped(table.attrs, f"{where}, {why}")
    return rest


def _also_skipped(attrs: dict, said: str) -> dict:
    """`attrs` with `said` added to what the reading skipped (`platform_rows`, announced as "skipped")."""
    earlier = attrs.get("platform_rows")
    return {**attrs, "platform_rows": f"{earlier}; {said}" if earlier else said}


def sheet_with_column(path: str | Path, column: str) -> str | None:
    """The first sheet of a workbook with a header cell `column` (any case); None for other files or when no
    sheet has one (a coding workbook opens with its instructions; its codes are on a later sheet)."""
    return next(iter(sheets_with_column(path, column)), None)


def sheets_with_column(path: str | Path, column: str) -> list[str]:
    """Every sheet of a workbook with a header cell `column` (any case), in order; [] for other files."""
    path = Path(path)
    if READERS.get(path.suffix.lower()) != "excel" or not path.is_file():
        return []
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True)
    except Exception:  # read_table reports an unreadable workbook with the reason
        return []
    try:
        return [sheet.title for sheet in book.worksheets
                if column.lower() in {str(cell).strip().lower() for cell in next(sheet.iter_rows(
                    max_row=1, values_only=True), ()) if cell is not None}]
    finally:
        book.close()


def _blank_rows(table: pd.DataFrame) -> pd.Series:
    filled = table.fillna("").astype(str).apply(lambda column: column.str.strip() != "")
    return ~filled.any(axis=1)


def _sheet_names(path: Path, *, hidden: set[str] | None = None) -> list[str]:
    """The workbook's sheets, the visible ones first: a hidden sheet (last year's data, a lookup list) is what
    the person who exported the file did not mean to be read, so it is read only when named or alone.
    `hidden`, when given, receives the hidden ones' names."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    sheets = [(sheet.title, sheet.sheet_state != "visible") for sheet in book.worksheets]
    book.close()
    if hidden is not None:
        hidden.update(name for name, concealed in sheets if concealed)
    return [name for name, concealed in sheets if not concealed] + [name for name, concealed in sheets if concealed]


def _read_excel(path: Path, sheet: str | None, header_row: int | None = None,
                sheet_from: str = "option") -> pd.DataFrame:
    """`sheet_from`: where the sheet's name came from, "option" or "sidecar <name>.yaml" (InputSpec.sources)."""
    names = _sheet_names(path)
    if sheet is None:
        sheet = names[0]
    elif sheet not in names:
        # The sidecar's sheet, when it named it: "Pass one with --sheet" sent a user who had passed none looking for
        # an option, not at the batch-1 sidecar beside the batch-2 workbook (review 165).
        fix = "Pass one with --sheet." if sheet_from == "option" else \
            f"Correct 'sheet' in the {sheet_from} (or pass one with --sheet)."
        raise InputError(f"{path} has no sheet '{sheet}'. Sheets: {', '.join(names)}. {fix}")
    if header_row is not None:
        rows = len(pd.read_excel(path, sheet_name=sheet, header=None, dtype=str))
        if header_row > rows:  # as the CSV reader says it, not pandas's "Passed header=[499], len of 1"
            others = f" (sheets: {', '.join(names)}; --sheet reads another)" if len(names) > 1 else ""
            raise InputError(f"{path.name}: --header-row {header_row} is past the end of sheet '{sheet}' ({rows} rows)"
                             f"{others}; give the row that holds the column names.")
        table = pd.read_excel(path, sheet_name=sheet, dtype=str, keep_default_na=False, header=header_row - 1)
        table.index = table.index + header_row - 1  # rows numbered as the sheet shows them
    else:
        table = pd.read_excel(path, sheet_name=sheet, dtype=str, keep_default_na=False)
        first = pd.read_excel(path, sheet_name=sheet, header=None, nrows=1, dtype=str) if len(table.columns) else None
        # A blank first row (the column names further down) reads as no row at all.
        header = first.iloc[0].tolist() if first is not None and len(first) else []
        table = distinct_columns(table, header)
    filled = _fill_merged(path, sheet, table, header_row or 1)
    if filled:
        table.attrs["merged_cells"] = filled
    hidden = _hidden_positions(path, sheet)
    if hidden:
        table.attrs["hidden_positions"] = hidden  # named by `read_table` once the header row is known
    hidden_rows = _hidden_rows(path, sheet)
    if hidden_rows:
        table.attrs["hidden_rows"] = hidden_rows  # said by `load_answers` for the rows that hold answers
    uncomputed = _uncomputed_formulas(path, sheet)
    prose = [(row, position, text) for row, position, text in uncomputed if text is not None]
    for row, position, text in prose:  # the index numbers rows as the sheet does, less the header's two
        if row - 2 in table.index and position < len(table.columns):
            table.loc[row - 2, table.columns[position]] = text
    if prose:
        table.attrs["formula_text"] = len(prose)
    unsaved = [(row, position) for row, position, text in uncomputed if text is None]
    if unsaved:
        table.attrs["uncomputed_positions"] = unsaved  # named by `read_table`, refused by `load_answers` if read
    return table


_FORMULA = rb"<(?:\w+:)?f[\s>/]"
_ROW = re.compile(rb"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_TYPED = re.compile(rb"""\bt=["'](?!n["'])""")  # a result of a type: text ("str", even empty), a truth value, an error
_REFERENCE = re.compile(rb"""\br=["']([A-Za-z]{1,3})(\d+)["']""")
_ROW_NUMBER = re.compile(rb"""\br=["'](\d+)["']""")
_FORMULA_TEXT = re.compile(rb"<(?:\w+:)?f\b[^>]*>(.*?)</(?:\w+:)?f>", re.S)
# What a formula has and prose has not: a function's call, a cell's address, a quoted text or "&", a sheet's "!", a
# table's brackets, a name's "_" or inner capital, a bare number.
_FORMULA_LIKE = re.compile(r'[A-Za-z][A-Za-z0-9._]*\(|\$?\b[A-Za-z]{1,3}\$?\d+\b|["&!\[\]_$]|[a-z][A-Z]|'
                           r'^\s*[-+]?[\d.]+\s*$')
# No formula starts so, but an answer may: "=> more staff", "== above", "=< 5 staff" (the "=" was the respondent's).
_PROSE_START = re.compile(r"\s*[>=<]")


def _prose(formula: str) -> bool:
    """An answer that began with "=", which a program saved as a formula: it starts where no formula can, or it is
    words with none of a formula's marks (a call, an address, a quote, a name's underscore or inner capital)."""
    return bool(_PROSE_START.match(formula)) or (len(re.findall(r"[^\W\d_]{2,}", formula)) >= 2
                                                  and not _FORMULA_LIKE.search(formula))


def _uncomputed_formulas(path: Path, sheet: str) -> list[tuple[int, int, str | None]]:
    """(sheet row, column position from 0, text) of each formula cell whose result was never saved. A program that
    writes a workbook without computing it (openpyxl, a script) leaves such a cell an empty value of no type, and
    every reader, pandas's included, takes it for a blank: the answers it computes would be lost without a word.
    Excel and LibreOffice save each result (an empty text as an empty value of type "str"). `text` is the answer
    itself where the "formula" is prose: an answer that began with "=" ("=> more staff"), which such a program
    wrote as a formula; None for a formula."""
    if not _any_sheet_holds(path, _FORMULA):
        return []
    try:
        xml = _sheet_xml(path, sheet)
    except (KeyError, ValueError, UnicodeDecodeError):
        return []
    from openpyxl.utils import column_index_from_string

    recompute = _asks_to_recompute(path)
    found, number = [], 0
    for row in _ROW.finditer(xml):
        given = _ROW_NUMBER.search(row.group(1))
        number = int(given.group(1)) if given else number + 1  # `r` may be left out: the row after the last
        position = -1
        for cell in _CELL.finditer(row.group(2) or b""):
            attributes, inside = cell.group(1), cell.group(2) or b""
            reference = _REFERENCE.search(attributes)
            position = column_index_from_string(reference.group(1).decode().upper()) - 1 if reference else position + 1
            if not re.search(_FORMULA, inside) or _TYPED.search(attributes):
                continue  # no formula, or a result Excel or LibreOffice saved with its type
            written = _FORMULA_TEXT.search(inside)
            formula = _xml_text(written.group(1)) if written else ""
            value = _VALUE.search(inside)
            value = value.group(1).strip() if value else b""
            # XlsxWriter saves 0 for every formula and asks the reader to compute them all on opening: 0 is no result
            # there. Excel's own 0 (a COUNTIF's) comes with no such request, and is one.
            if value and not (value == b"0" and recompute):
                continue
            if _prose(formula):
                found.append((number, position, "=" + formula))  # an answer that began with "=": its text
            elif not value or re.search(r'"|&', formula):  # XlsxWriter's 0 for a formula that makes text
                found.append((number, position, None))
    return found


def _asks_to_recompute(path: Path) -> bool:
    """The workbook asks to compute every formula when opened (XlsxWriter's `fullCalcOnLoad`): its saved results
    are placeholders."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return bool(re.search(rb"""fullCalcOnLoad=["'](?:1|true)["']""", archive.read("xl/workbook.xml")))
    except (KeyError, OSError, zipfile.BadZipFile):
        return False


def _any_sheet_holds(path: Path, pattern: bytes) -> bool:
    """Whether any sheet's XML matches `pattern`: read as bytes, so that the workbook is opened in full (slow for
    a large one) only when a sheet hides a column or row or merges cells."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return any(re.search(pattern, archive.read(name)) for name in archive.namelist()
                   if name.startswith("xl/worksheets/") and name.endswith(".xml"))


def _hidden_positions(path: Path, sheet: str) -> list[int]:
    """The positions (from 0: column A) of the columns the workbook hides (a reviewer's notes, a lookup): what
    the person who shared it did not mean to be read, as a hidden sheet. Positions, not names: the names may be
    in a row below a title, found later. The workbook is opened in full only when a sheet hides a column."""
    if not _any_sheet_holds(path, rb"<(?:\w+:)?col [^>]*hidden=[\"'](?:1|true)[\"']"):
        return []
    import openpyxl

    book = openpyxl.load_workbook(path)
    try:
        dimensions = list(book[sheet].column_dimensions.values())
    finally:
        book.close()
    return sorted({index - 1 for dim in dimensions if dim.hidden for index in range(dim.min, dim.max + 1)})


def _hidden_rows(path: Path, sheet: str) -> list[int]:
    """The sheet rows (from 1, as the spreadsheet numbers them) the workbook hides, by hand or by a filter. They are
    read: a row hidden to tidy the view is a respondent, and one left out would be lost without a trace; the
    announcement names them, so that rows hidden to leave them out (tests, withdrawn answers) can be deleted.
    Read from the sheet's XML: opening a large workbook in full to learn it took longer than reading it."""
    if not _any_sheet_holds(path, _HIDDEN_ROW):
        return []
    try:
        xml = _sheet_xml(path, sheet)
    except (KeyError, ValueError, UnicodeDecodeError):
        xml = b""
    if not xml:  # a layout this reading does not know: the slow, sure way
        import openpyxl

        book = openpyxl.load_workbook(path)
        try:
            return sorted(number for number, dim in book[sheet].row_dimensions.items() if dim.hidden)
        finally:
            book.close()
    rows, number = [], 0
    for tag in re.finditer(rb"<(?:\w+:)?row\b[^>]*>", xml):
        given = re.search(rb"""\br=["'](\d+)["']""", tag.group())
        number = int(given.group(1)) if given else number + 1  # `r` may be left out: the row after the last
        if re.search(rb"""\bhidden=["'](?:1|true)["']""", tag.group()):
            rows.append(number)
    return rows


_HIDDEN_ROW = rb"<(?:\w+:)?row [^>]*hidden=[\"'](?:1|true)[\"']"


def _sheet_xml(path: Path, sheet: str) -> bytes:
    """The XML of the workbook's sheet named `sheet`, found through the workbook's list of sheets ("" when not)."""
    import posixpath
    import zipfile

    def attribute(tag: bytes, name: bytes) -> bytes | None:
        found = re.search(rb"\b" + name + rb"""=(?:"([^"]*)"|'([^']*)')""", tag)
        return (found.group(1) if found.group(1) is not None else found.group(2)) if found else None

    with zipfile.ZipFile(path) as archive:
        book = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
        for tag in re.finditer(rb"<(?:\w+:)?sheet\b[^>]*>", book):
            name, rid = attribute(tag.group(), b"name"), attribute(tag.group(), rb"(?:\w+:)?id")
            if name is None or rid is None or _xml_text(name) != sheet:
                continue
            for relation in re.finditer(rb"<(?:\w+:)?Relationship\b[^>]*>", rels):
                if attribute(relation.group(), b"Id") == rid and attribute(relation.group(), b"Target"):
                    member = attribute(relation.group(), b"Target").decode()
                    member = member.lstrip("/") if member.startswith("/") else posixpath.join("xl", member)
                    return archive.read(posixpath.normpath(member))
    return b""


def _xml_text(raw: bytes) -> str:
    import html

    return html.unescape(raw.decode("utf-8"))  # named and numeric references ("&amp;", "&#233;")


def _fill_merged(path: Path, sheet: str, table: pd.DataFrame, header_row: int) -> int:
    """Cells of a merged range below the header (in sheet row `header_row`) take the range's value, as the
    spreadsheet shows it (a type merged over its respondents' rows read as 'unknown' for all but the first). In
    place; returns the number of ranges filled. The workbook is opened in full only when a sheet has merged cells."""
    if not _any_sheet_holds(path, rb"<(?:\w+:)?mergeCell "):
        return 0
    import openpyxl

    book = openpyxl.load_workbook(path)
    try:
        ranges = [r for r in book[sheet].merged_cells.ranges if r.min_row > header_row]
    finally:
        book.close()
    for merged in ranges:
        top, left = merged.min_row - header_row - 1, merged.min_col - 1
        if top >= len(table) or left >= len(table.columns):
            continue
        bottom = min(merged.max_row - header_row - 1, len(table) - 1)
        right = min(merged.max_col - 1, len(table.columns) - 1)
        table.iloc[top:bottom + 1, left:right + 1] = table.iat[top, left]
    return len(ranges)


def _read_json(path: Path) -> pd.DataFrame:
    """JSON Lines, or a JSON array of flat records. Parsed with the json module, so that numbers stay as written:
    pandas made the ids of a file with one missing id floats ("1000.0")."""
    import json

    text = decode(path.read_bytes(), path).strip()
    nested_message = (f"{path} holds records inside records (a survey platform's API export, such as Typeform's "
                      "'items' with their 'answers'), not one flat row per respondent. Export the responses from "
                      "the survey tool as CSV or XLSX, or as JSON Lines with one flat object per respondent.")
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, list):
        records = whole
    elif isinstance(whole, dict):
        raise InputError(nested_message if any(isinstance(v, (list, dict)) for v in whole.values()) else
                         f"{path} holds one JSON object, not one per respondent. Export JSON Lines (one object per "
                         "line) or a JSON array of objects.")
    else:
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise InputError(f"{path}:{number}: not a JSON object ({error.msg}). JSON Lines holds one object "
                                 "per line; fix the line or export the survey as CSV.") from None
    if not all(isinstance(record, dict) for record in records):
        raise InputError(f"{path} holds values that are not objects: each respondent is one JSON object.")

    def plain(value):  # numbers as written ("1000", "0.5"); lists and objects as they are
        return value if isinstance(value, (str, list, dict)) or value is None else json.dumps(value)

    table = pd.DataFrame([{key: plain(value) for key, value in record.items()} for record in records],
                         dtype=object)

    def nested(value) -> bool:  # an object, or a list of objects: records inside a record
        return isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict) for v in value))

    if any(nested(value) for column in table.columns for value in table[column].head(50)):
        raise InputError(nested_message)
    return table


def listed_columns(table: pd.DataFrame) -> str:
    """The table's column names for an error message: shortened, contact details masked (a file without a
    header row has its first respondent's answers there), and a hint when they look like data."""
    from themes.redact import Redactor

    redactor = Redactor(use_ner=False)
    names = [str(c) for c in table.columns]
    masked = [redactor.redact(name) for name in names]
    text = ", ".join(name if len(name) <= 60 else name[:60].rsplit(" ", 1)[0] + "\u2026" for name in masked)
    return text + (". The first row looks like answers, not column names: add a header row naming the columns"
                   if _header_looks_like_data(table, masked=masked != names) else "")


def _header_looks_like_data(table: pd.DataFrame, *, masked: bool) -> bool:
    """Contact details in a column name, or a name with digits shaped as its column's values ("R001" over
    "R002", "R003"): the first record was read as the header."""
    if masked:
        return True
    for column in table.columns:
        name = str(column)
        values = table[column].map(as_text).str.strip()
        values = values[values != ""]
        if any(ch.isdigit() for ch in name) and len(values) and (values.map(_shape) == _shape(name)).mean() > 0.8:
            return True
    return False


def _joined_columns(table: pd.DataFrame, text_columns: Sequence[str]) -> dict[str, list[str]]:
    """Text columns that hold other text columns' answers joined (`=F2&" "&G2`, "All comments"), with those
    columns: in most rows where two or more of the others are answered, it holds each of them. Read on the first
    300 rows, which tell."""
    table = table.head(300)
    texts = {c: table[c].map(as_text).map(lambda text: "" if _filler(text) else " ".join(text.split()))
             for c in text_columns}  # "N/A" holds "N/A": fillers join nothing
    found = {}
    for column in text_columns:
        others = [c for c in text_columns if c != column]
        holds = {c: [bool(o) and o in t for o, t in zip(texts[c], texts[column])] for c in others}
        rows = [k for k in range(len(table)) if sum(bool(texts[c].iat[k]) for c in others) >= 2]
        parts = [c for c in others if rows and np.mean([holds[c][k] for k in rows if texts[c].iat[k]] or [0]) >= 0.8]
        if len(parts) >= 2 and np.mean([all(holds[c][k] for c in parts if texts[c].iat[k]) for k in rows]) >= 0.8:
            found[column] = parts
    return found


def _id_by_name(columns: list[str]) -> str | None:
    """The first of `columns` named as respondent ids are ("respondent_id", "Response ID", "KEY"). Not an ODK
    repeat group's KEY, which names each repeat's row: its PARENT_KEY names the submission (one per household
    read as one per member)."""
    if any(name_key(c) == "parentkey" for c in columns):
        columns = [c for c in columns if name_key(c) != "key"]
    lowered = {c.lower(): c for c in columns}
    return next((lowered[name] for name in ID_NAMES if name in lowered), None) or guess_id_column(columns)


_ID_WORDS = {"id", "ids", "resp", "respondent", "respondents", "participant", "record", "case", "submission",
             "response", "person", "key", "uuid", "no", "number", "code", "student", "client", "patient", "household",
             "member", "user", "username", "token", "pid", "email", "learner", "employee", "name"}


def _long_by_a_question(table: pd.DataFrame, id_column: str) -> bool:
    """The file is long by `id_column`, its question column named as one ('Item', 'Question'): a 'Site' that varies
    within a person who answered for several sites is no question (review 175: 15 submissions read as 5)."""
    shape = long_shape(table, id_column)
    return shape is not None and bool(_QUESTION_NAME.search(str(shape[0])))


def _distinct_codes(values: pd.Series) -> bool:
    """A value on every row, each different, none with a space and none long: what ids are."""
    return bool(values.ne("").all() and values.is_unique and not values.str.contains(r"\s").any()
                and values.str.len().max() <= 40)


def _same_kind_within(table: pd.DataFrame, names: pd.Series) -> bool:
    """Each name's rows give the same type and place (an organisation's comments), where the table says them: two
    'YMCA' rows of different types are two respondents that share a name."""
    kinds = [c for c in table.columns if names_type_or_place(str(c))]
    given = names != ""
    return all(table.loc[given, c].map(as_text).str.strip().groupby(names[given]).nunique().max() <= 1 for c in kinds)


def _row_numbers(table: pd.DataFrame) -> str | None:
    """The column named as a hand-kept sheet numbers its rows ("#", "No.", "Nr."), with a different value on every
    row (numbers in order, or codes), where no column is named as ids: before, "No respondent id column found
    (columns: #, ...)". Not in a file of a row per answer, which numbering its rows would make one respondent each:
    a column named as a question ("Question", "Item", "Topic"), or one of short values that makes the file long
    (an organisation's name on each of its answers' rows)."""
    column = next((c for c in table.columns if words(c) in (["#"], ["no"], ["nr"]) and len(str(c).strip()) <= 3), None)
    if column is None or len(table) < 2:
        return None
    values = table[column].map(as_text).str.strip()
    numbers = pd.to_numeric(values, errors="coerce")
    if not _distinct_codes(values) or (numbers.notna().all() and not (numbers.is_monotonic_increasing
                                                                       or numbers.is_monotonic_decreasing)):
        return None  # counts ('No' of partners), not a row's number
    others = [c for c in table.columns if c != column]
    if _named_as_a_question(others) or _long_by_some_id(table):
        return None
    # A file of a row per answer holds one column of answers (`long_shape`): with two or more, none is long, and the
    # look (each other column's a full guess of the file's shape) is left out: it took 13 s on 5,000 rows.
    head = table.head(1000)
    one_answer_column = sum(_looks_like_free_text(head[c]) for c in others) <= 2
    for other in others:
        texts = table[other].map(as_text).str.strip()
        given = texts[texts != ""]
        if (len(given) < 0.9 * len(texts) or not 2 <= given.nunique() <= len(given) / 1.5
                or given.str.split().str.len().max() > 6):
            continue
        if names_type_or_place(str(other)):
            continue  # a type's or a state's values repeat over respondents
        counts = given.value_counts()
        # Rows of one organisation, person or site ("Organization", "Submitted by", "Partner": each value on several
        # rows, the same type and state on each): a row per comment, each comment no respondent of its own. Not a
        # count's values; a choice's (Yes, No) vary in type or state within them, where the table says them.
        rows_of_one = (pd.to_numeric(given, errors="coerce").isna().all() and given.nunique() >= 3
                       and counts[counts > 1].sum() >= 0.8 * len(given) and _same_kind_within(table, texts))
        if rows_of_one or one_answer_column and long_shape(table, other) is not None:
            return None
    return column


def _form_submissions(table: pd.DataFrame) -> bool:
    """A form's export with no id column, a row per submission: Google Forms' first column, "Timestamp", holds the
    time each was sent (nearly all parse as times), and no column makes the file one of a row per answer. Before,
    every such export stopped with "No respondent id column found", to be run again with --id-column none."""
    if not len(table.columns) or words(table.columns[0]) != ["timestamp"] or len(table) < 2:
        return False
    # "2024/03/01 9:00:00 AM GMT-5", "3/1/2024 9:00:00": the zone left out (pandas refuses zones that differ)
    zone = r"\s*(?:GMT|UTC)[+-]?\d{0,2}(?::?\d{2})?$|\s+[A-Z]{3,4}$"
    sent = table.iloc[:, 0].map(as_text).str.strip().str.replace(zone, "", regex=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas's note that it guessed each value's format
            times = pd.to_datetime(sent, errors="coerce", format="mixed")
    except (ValueError, TypeError):  # zones written otherwise
        return False
    others = table.columns[1:]
    return times.notna().mean() >= 0.9 and not _named_as_a_question(others) and _long_by_some_id(table) is None


def _named_as_a_question(columns) -> bool:
    """A column named as a long file's question ("Question", "Item", "Topic"; a word or two): a row per answer."""
    return any(_QUESTION_NAME.search(str(c)) and len(words(c)) <= 2 for c in columns)


def _unnamed_ids(table: pd.DataFrame) -> bool:
    """The first column has a blank header cell and holds ids: a value on every row, each different, none with a space
    (a table saved with its row index, `DataFrame.to_csv`'s default, or ids under a header cell left empty). Before,
    such a file stopped with "No respondent id column found (columns: Unnamed: 0, ...)"."""
    if not len(table.columns) or not _BLANK_HEADER.fullmatch(str(table.columns[0]).strip()) or len(table) < 2:
        return False

    def values(column) -> pd.Series:
        return table[column].map(as_text).str.strip()

    if not _distinct_codes(values(table.columns[0])):
        return False
    # Not where a row holds one answer (a column named as a long file's question: the ids would make each answer a
    # respondent), nor where another column holds codes of letters and digits on every row, each different
    # ('Household' H1, H2 beside a row index): there the user says which.
    question = _named_as_a_question(table.columns[1:])
    codes = any((v := values(c)).str.fullmatch(r"(?=\S*[^\W\d_])(?=\S*\d)\S{1,40}").all() and v.is_unique
                for c in table.columns[1:])
    return not question and not codes and _long_by_some_id(table) is None


# Column names numbered as questions are (Q1, Q2, V1, item3), not as respondents
_NUMBERED_QUESTION = re.compile(r"(?i)(?:q|question|v|var|item|col|column|field)[ _.#-]?\d+.*")


def _transposed(table: pd.DataFrame) -> str | None:
    """The one line for a sheet turned on its side: a respondent per column, named like ids ('R000', 'R001', ...), and
    a question or field per row, one of them a field of few values across the respondents (a type, a state); None
    for any other table."""
    names = [str(c).strip() for c in table.columns[1:]]
    if len(names) < 5 or len(table) < 2:
        return None
    shape, count = Counter(_shape(name) for name in names).most_common(1)[0]
    if "9" not in shape or count < 0.8 * len(names) or len(set(names)) < len(names) \
            or sum(bool(_NUMBERED_QUESTION.fullmatch(name)) for name in names) > len(names) / 2:
        return None
    fields = [as_text(value).strip() for value in table.iloc[:, 0]]
    if not all(fields) or len(set(fields)) < len(fields) or max(map(len, fields)) > 200:
        return None
    cells = table.iloc[:, 1:].map(lambda value: as_text(value).strip())
    few = [field for field, (_, row) in zip(fields, cells.iterrows())
           if row.ne("").sum() >= 0.8 * len(names) and row[row.ne("")].nunique() <= max(3, len(names) // 5)]
    if not few:
        return None
    ids = ", ".join(f"'{name}'" for name in names[:3])
    return (f"The file looks turned on its side: its columns are named like respondent ids ({ids}, ... {len(names)} "
            f"in all) and its rows like questions or fields ({', '.join(repr(f[:30]) for f in fields[:3])}, ...), "
            f"'{few[0][:30]}' of few values across them. Put one respondent per row (in Excel: copy the table, Paste "
            "Special, Transpose) and run again.")


def _long_by_some_id(table: pd.DataFrame) -> tuple[str, str, str, str] | None:
    """(id column, question column, answer column, why) when a column the id guess passed over makes the table
    long (see `infer.long_shape`): named like ids ("resp", "Participant"), short values, nearly all given, most
    of them repeated. By its values alone an interviewer's column made a file of one question long (each
    interviewer's dates then read as questions), and a file of many rating columns took minutes to try."""
    for column in table.columns:
        if not set(words(column)) & _ID_WORDS or name_key(column) == "parentkey":  # ODK's: a repeat group's rows
            continue
        values = table[column].map(as_text).str.strip()
        first_rows = first_rows_shape(table, column)  # each respondent's id on their first row only
        if first_rows is not None:
            values = carried_down(values)
        given = values[values != ""]
        if (len(given) < 0.9 * len(values) or given.nunique() < 2 or len(given) < 1.5 * given.nunique()
                or given.str.split().str.len().max() > 3):
            continue
        shape = first_rows or long_shape(table, column)
        if shape is not None:
            return (column, *shape)
    return None


def require_columns(table: pd.DataFrame, columns: list[str], option: str) -> None:
    """Unknown columns raise one line listing what exists and the closest match."""
    existing = [str(c) for c in table.columns]
    for column in columns:
        if column in existing:
            continue
        close = difflib.get_close_matches(column, existing, n=1, cutoff=0.5)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise InputError(
            f"Column '{column}' (from {option}) is not in the file.{hint} Columns: {listed_columns(table)}."
        )


def complete_spec(table: pd.DataFrame, spec: InputSpec) -> InputSpec:
    """Fill what neither options nor sidecar said: the id column, free-text columns, metadata columns."""
    columns = list(table.columns)
    lowered = {c.lower(): c for c in columns}
    sources = dict(spec.sources)
    id_column = spec.id_column
    if id_column is not None and id_column.lower() == "none" and id_column not in columns:
        id_column = None  # --id-column none: respondents are numbered by their rows' content
        sources["id_column"] = "option --id-column none"
        long = spec.question_column or ({"question", "answer"} <= set(lowered) and not spec.text_columns and
                                        lowered["question"]) or (not spec.text_columns and _long_by_some_id(table))
        if long:
            # Each row is one answer: named by its content, every answer was a respondent of its own (90 where
            # there were 30), and the question column went unread.
            said = long if isinstance(long, str) else long[1]
            ids = f" ('{long[0]}' looks like them)" if isinstance(long, tuple) else ""
            raise InputError(f"--id-column none reads each row as a respondent, but this file has a row per answer "
                             f"(questions in '{said}'): pass the column naming respondents with --id-column{ids}.")
    elif id_column is None and "id_column" not in sources:
        # A column with ids before one left empty (SurveyCTO's 'caseid' beside its 'KEY'), where every respondent
        # would go unnamed; an empty one alone still names the rows by content, and says so.
        given = [c for c in columns if table[c].map(as_text).str.strip().ne("").any()]
        id_column = _id_by_name(given) or _id_by_name(columns)
        if id_column is not None and given:
            # "Respondent" holding people's names beside "Response ID" holding ids: the names were the ids, and
            # two people of one name stopped the run (review 171). Ids hold no spaces; names mostly do.
            # Not where the file is long by them: "Participant 1" on each of a respondent's answer rows beside a
            # row number 'id' named every answer a respondent of its own (review 172).
            values = table[id_column].map(as_text).str.strip()
            other = _id_by_name([c for c in given if c != id_column])
            if values[values != ""].str.contains(r"\s").mean() > 0.5 and other is not None \
                    and _distinct_codes(table[other].map(as_text).str.strip()) \
                    and not {"question", "answer"} <= set(lowered) and not _long_by_a_question(table, id_column):
                id_column = other
        # The header was looked for under a first row that names few columns; if that row names the ids, it was the
        # header (a row of choices or group labels under it named more).
        first = guess_id_column([str(c) for c in table.attrs.get("row_1_names", [])])
        # Qualtrics's legacy export names its columns V1, V2 and writes "ResponseID" in the row of question texts
        # under them (review 144: "No respondent id column found (columns: V1, V2, ...)")
        labels = table.attrs.get("column_labels") or {}
        asked = {str(labels[c]): c for c in given if c in labels and str(labels[c]).strip()}
        by_label = asked.get(guess_id_column(list(asked)) or "") if not id_column else None
        if by_label is not None:
            id_column = by_label
            sources["id_column"] = f"guessed from the text under its name, '{labels[by_label]}'"
        elif id_column:
            sources["id_column"] = "guessed"
        elif not first and _unnamed_ids(table):
            id_column = columns[0]
            sources["id_column"] = ("guessed: column 1 has no name in the header and a different short value on "
                                    "every row")
        elif not first and (numbers := _row_numbers(table)):
            id_column = numbers
            sources["id_column"] = f"guessed: named as a row's number, and a different short value on every row"
        elif not first and _form_submissions(table):
            id_column = None  # as --id-column none: each row a respondent, named by its content
            sources["id_column"] = (f"guessed: a form's export, a row per submission, its first column "
                                    f"'{table.columns[0]}' the time it was sent")
        else:
            hint = (f" Row 1 names '{first}': if row 1 holds the column names, pass --header-row 1." if first
                    else "")
            long = _long_by_some_id(table) if not hint and not spec.text_columns else None
            if long:  # "--id-column none" would make each answer a respondent
                # or a row per person of several to each id: staff of one organisation (review 159)
                raise InputError(f"No respondent id column found (columns: {listed_columns(table)}). The file has a "
                                 f"row per answer ({long[3]}) if '{long[0]}' names the respondents: pass "
                                 f"--id-column '{long[0]}'. If each row is a respondent of its own instead, several "
                                 f"to each '{long[0]}' ('{long[1]}' then describes them), pass --id-column none "
                                 f"--text-column '{long[2]}'.")
            turned = _transposed(table) if not hint else None
            if turned:  # "--id-column none" read its 4 rows as respondents and 96 cells as answers (review 159)
                raise InputError(turned)
            raise InputError(f"No respondent id column found (columns: {listed_columns(table)}).{hint} Pass "
                             "--id-column with its name, or --id-column none to name each row as a respondent by its "
                             "content.")
    if id_column is not None:
        origin = sources.get("id_column", "option")
        require_columns(table, [id_column], "--id-column" if origin in ("option", "guessed") else
                        f"id_column in the {origin}")
    if id_column is not None and _looks_like_free_text(table[id_column]):
        origin = "--id-column" if sources.get("id_column", "option") == "option" else "the guessed id column"
        raise InputError(f"Column '{id_column}' ({origin}) holds free text, not respondent ids. Pass the column "
                         "of ids with --id-column, or --id-column none to name each row as a respondent by its "
                         "content.")
    question_column, answer_column = spec.question_column, spec.answer_column
    if question_column is None and not spec.text_columns and {"question", "answer"} <= set(lowered):
        question_column, answer_column = lowered["question"], lowered["answer"]
        sources["question_column"] = sources["answer_column"] = "guessed"
        sources["format"] = "guessed from the columns 'question' and 'answer'"
    elif question_column is None and not spec.text_columns and id_column is not None:
        shape = long_shape(table, id_column) or first_rows_shape(table, id_column)
        if shape is not None:
            question_column, answer_column, why = shape
            sources["question_column"] = sources["answer_column"] = "guessed"
            sources["format"] = f"guessed from its shape: {why}"
        else:
            sources["format"] = "guessed: no column varies like a question within a respondent"
    if question_column is not None and answer_column is None:
        answer_column = lowered.get("answer") or (spec.text_columns[0] if spec.text_columns else None)
        if answer_column is None:
            raise InputError("A long file needs --answer-column (the column holding the answers) with --question-column.")
    carry_ids = bool(question_column is not None and id_column is not None and question_column in columns
                     and ids_on_first_rows(table, id_column, question_column))
    if carry_ids:
        sources["ids_carried"] = _rows_carried(table[id_column], carried_down(table[id_column], table[question_column]))
    repeated = table.attrs.get("repeated_columns", {})
    # A name given twice in the header codes every column of that name when an option or a sidecar names it; a guess
    # (the flow reads the planned spec again) keeps the columns it chose: a copy it had left out, and said so, was
    # coded on the second reading (30 of 41 respondents flagged for trust rested on it).
    text_columns = tuple(spec.text_columns) if str(sources.get("text_columns", "")).startswith("guessed") else \
        tuple(copy for c in spec.text_columns for copy in repeated.get(c, [c]))
    meta_columns = spec.meta_columns
    hidden = [c for c in table.attrs.get("hidden_columns", []) if c in columns and c not in (
        id_column, question_column, answer_column, *text_columns, *meta_columns)]
    if hidden:
        sources["hidden"] = ", ".join(f"'{c}'" for c in hidden)
    if question_column is None and not text_columns:
        taken = {id_column, *meta_columns, *hidden}
        # A column named for contact or identity details (an organisation's name, a mailing address) holds text
        # too, but no answer to a question: coded, it adds respondents to every base and fills the coding sample.
        text_columns = tuple(c for c in columns if c not in taken and not _CONTACT_COLUMN.search(c)
                             and _looks_like_free_text(table[c]))
        # A question for contact details ("Best way to reach you", "Name and title of person completing this form"),
        # by its name or its answers: coded, its "[name], Executive Director, Eastside Food Bank" was a quote
        contacts = [c for c in text_columns if _asks_for_contact(c) or _mostly_contact_details(table[c])]
        for column in contacts:
            log.warning("the column '%s' asks for or holds contact details (names, e-mails, phone numbers), not "
                        "answers, so it was not taken for an open-ended question; name it with --text-column to "
                        "code it.", column)
        text_columns = tuple(c for c in text_columns if c not in contacts)
        # Notes the survey's own staff wrote beside the answers ("Reviewer comments", "Follow-up notes (staff)"):
        # coded, a reviewer's "Trust between partners seems high" counted and was quoted as the respondent's (review
        # 144).
        staff = [c for c in text_columns if _STAFF_NOTES.search(str(c))]
        for column in staff:
            log.warning("the column '%s' is named for notes by the survey's staff (a reviewer's or an internal note), "
                        "not a respondent's answer, so it was not taken for an open-ended question; name it with "
                        "--text-column to code it.", column)
        # ... or whose cells read as such notes, whatever the column's name (review 152: a second "Comments" of
        # "Called Mei back on 3/1, left voicemail", "Follow up with Harriet re: budget" was coded and counted)
        noted = [c for c in text_columns if c not in staff and _NOTES_NAME.search(str(c)) and "?" not in str(c)
                 and _mostly_staff_notes(table[c])]
        for column in noted:
            log.warning("the column '%s' holds notes by the survey's staff about the respondents (calls, follow-ups, "
                        "site visits), not a respondent's answers, so it was not taken for an open-ended question; "
                        "name it with --text-column to code it.", column)
        staff += noted
        text_columns = tuple(c for c in text_columns if c not in staff)
        labels = table.attrs.get("column_labels") or {}  # Qualtrics: "How ...? - Selected Choice" under Q7
        choices = [c for c in text_columns if _choice_lists(f"{c} {labels.get(c, '')}", table[c])]
        for column in choices:
            log.warning("the column '%s' holds choices ticked from a list (check all that apply), not answers in "
                        "the respondent's words, so it was not taken for an open-ended question; name it with "
                        "--text-column to code it.", column)
        text_columns = tuple(c for c in text_columns if c not in choices)
        joins = _joined_columns(table, text_columns)
        for column, parts in joins.items():
            log.warning("the column '%s' joins the answers of %s (a formula or the platform's 'all comments'), so it "
                        "was not taken for an open-ended question: coded, each answer would count twice; name it "
                        "with --text-column to code it.", column, ", ".join(f"'{p}'" for p in parts))
        text_columns = tuple(c for c in text_columns if c not in joins)
        for column in columns:
            if column not in (*taken, *text_columns, *choices, *joins, *contacts, *staff) and _looks_like_free_text(
                    table[column], variety=0):
                log.warning("the column '%s' holds text but repeats most of its values, so it was not taken for "
                            "an open-ended question; name it with --text-column to code it.", column)
        if not text_columns:
            # Every answer a placeholder ("N/A", "see above"): the columns are there, with nothing to code in them.
            empty = [c for c in columns if c not in taken and _only_placeholders(table[c])]
            if empty:
                raise InputError(f"No answer to code: {', '.join(repr(c) for c in empty)} hold only placeholders "
                                 "(\"N/A\", \"none\", \"see above\"). Check that this is the export with the answers; "
                                 "--text-column names the open-ended columns.")
            raise InputError(
                "No free-text column found. Name them with --text-column (repeatable). "
                f"Columns: {listed_columns(table)}."
            )
        sources["text_columns"] = "guessed"
        guessing_text = True
    else:
        guessing_text = False
    if not meta_columns:
        taken = {id_column, question_column, answer_column, *text_columns, *hidden}
        meta_columns = guess_meta_columns(table, taken)
        if meta_columns:
            sources["meta_columns"] = meta_origin(table, meta_columns)
    for name, option, named in (("id_column", "--id-column", [id_column]),
                                ("text_columns", "--text-column", text_columns),
                                ("meta_columns", "--meta-column", meta_columns),
                                ("attribute_with", "--attribute-with", spec.attribute_with),
                                ("question_column", "--question-column", [question_column]),
                                ("answer_column", "--answer-column", [answer_column])):
        origin = sources.get(name, "option")
        where = option if origin == "option" else f"{name} in the {origin}" if origin != "guessed" else option
        require_columns(table, [c for c in named if c], where)
    for column in meta_columns:
        if column in (id_column, question_column, answer_column, *text_columns):
            role = "the respondent ids" if column == id_column else "answers or questions"
            raise InputError(f"Column '{column}' is named as metadata and also holds {role}: a column is one or the "
                             f"other. Leave it out of --meta-column (or the sidecar's meta_columns).")
    looked_up = located_by_address(table.columns)
    if looked_up and not spec.meta_columns:
        sources["located"] = ", ".join(f"'{c}'" for c in looked_up)
    for column in (*spec.meta_columns, *spec.attribute_with):  # given ones: a guess is by a type's or place's name
        if _TRACE_COLUMN.search(str(column)) or _mostly(table[column], "ip") or column in looked_up:
            # An IP address or a location pinpoints the respondent: as group labels, the count files listed them.
            what = ("sits beside the IP address or location columns, where a survey platform writes its look-up of "
                    "where each respondent's computer was (a column of your own there needs another name)"
                    if column in looked_up else "holds where or how each respondent answered (an IP address, a "
                    "location, a browser or a visit)")
            raise InputError(f"Column '{column}' {what}, which can identify them: it cannot break counts down or "
                             "attribute quotes. Leave it out of --meta-column and --attribute-with (or the sidecar's "
                             "meta_columns).")
        if _PERSON_COLUMN.search(str(column)) or _mostly(table[column], "contact") or _staff_names(column, table[column]):
            # Its values are people: each a group label of the count files, and the name beside every quote.
            raise InputError(f"Column '{column}' names people or their contact details: it cannot break counts down "
                             "or attribute quotes, which go to readers without names. Leave it out of --meta-column "
                             "and --attribute-with (or the sidecar's meta_columns).")
        if column not in (id_column, question_column, answer_column, *text_columns) and \
                not _CONTACT_COLUMN.search(column) and _looks_like_free_text(table[column]):  # "Organization name"
            # Broken down by, each answer was a group (its text a label in the count files) and went uncoded.
            raise InputError(f"Column '{column}' is named as metadata but holds free text (answers in respondents' "
                             "words, not a type or a place): code it with --text-column, and leave it out of "
                             "--meta-column and --attribute-with (or the sidecar's meta_columns).")
    if question_column is not None and answer_column in table.columns and _looks_like_free_text(
            table[question_column]) and not _looks_like_free_text(table[answer_column]):  # a question's full text
        raise InputError(f"Column '{question_column}' (the question column) holds free text, not the questions' names: "
                         "were --question-column and --answer-column swapped?")
    for column in spec.attribute_with:
        if column in (id_column, question_column, answer_column, *text_columns):
            raise InputError(f"Column '{column}' (from --attribute-with) holds respondent ids or answers; attribute "
                             "quotes with metadata columns, e.g. --attribute-with org_type --attribute-with state.")
    # An attribution column is carried with the answers like any metadata column (and broken down by).
    meta_columns = (*meta_columns, *(c for c in spec.attribute_with if c not in meta_columns))
    worded = _question_wording(table, question_column, {id_column, answer_column, *meta_columns})
    if worded:
        sources["question_text"] = f"'{worded[0]}'"
    if guessing_text or question_column is not None:
        # Columns of text the guess passed over are said, not dropped silently: in a small batch an open
        # question's few answers may be too short or too alike to look like free text; beside a long file's
        # question and answer, a respondent's type the metadata guess did not know ('type_repondant').
        # A long REDCap export's events and repeat instances are read: a field answered at several is one answer
        # (`joined`)
        occasions = redcap_occasions(table)[1] if question_column is not None else []
        events = tuple(c for c in occasions if table[c].map(as_text).str.strip().nunique() > 1)
        read = {id_column, question_column, answer_column, *text_columns, *meta_columns, *hidden, *events,
                *(looked_up if "located" in sources else ()), *(worded[:1] if worded else ()),
                *own_name_columns(table, replace(spec, id_column=id_column, text_columns=tuple(text_columns),
                                                 meta_columns=tuple(meta_columns)))}  # said as "own names"
        # A contact column of digits alone ('Phone') is said too: left out of the block, a reader could not tell
        # that the export's phone numbers were seen and left unread (review 159)
        passed = [c for c in columns if c not in read and (table[c].map(as_text).str.strip().str.contains(
            r"[^\W\d_]{2}", regex=True).any() or _CONTACT_COLUMN.search(str(c))
            and table[c].map(as_text).str.strip().ne("").any())]
        if passed:
            sources["ignored"] = ", ".join(f"'{c}'" for c in passed)
    return InputSpec(id_column, tuple(text_columns), tuple(meta_columns), question_column, answer_column,
                     spec.sheet, sources, attribute_with=tuple(spec.attribute_with), header_row=spec.header_row,
                     carry_ids=carry_ids, question_labels=tuple(worded[1].items()) if worded else spec.question_labels,
                     question_as=spec.question_as)


def _question_wording(table: pd.DataFrame, question_column, taken: set) -> tuple[str, dict[str, str]] | None:
    """Beside a long file's question column of ids (a database's "question_id": QID3, QID4), a column of each
    question's wording ("question_text"): for each question one text in three of its rows in four or more, of three
    words or more on average. (column, {question: wording}), read as the questions' labels, as Qualtrics's question
    text over Q1 is: the classifier reads QID3 as the question it asks, and the report names it (review 144: the ids
    were read and the wording "not read")."""
    if question_column is None:
        return None
    questions = table[question_column].map(as_text).str.strip()
    for column in table.columns:
        if column in taken or column == question_column:
            continue
        values = table[column].map(as_text).map(lambda v: " ".join(v.replace("’", "'").split()))
        pairs = pd.DataFrame({"q": questions, "t": values})
        pairs = pairs[(pairs["q"] != "") & (pairs["t"] != "")]
        if pairs["q"].nunique() < 2 or (pairs["q"] == pairs["t"]).any() or \
                pairs["q"].nunique() < questions[questions != ""].nunique():
            continue
        # Each id's commonest wording, held by three of its rows in four or more: a wording edited part way through
        # the survey ("most" -> "the most") or typed with another apostrophe is the same question (review 148)
        counts = pairs.groupby(["q", "t"]).size().reset_index(name="n").sort_values("n", ascending=False,
                                                                                   kind="stable")
        commonest = counts.drop_duplicates("q")
        held = commonest.set_index("q")["n"] / pairs.groupby("q").size()
        if (held >= 0.75).all() and commonest["t"].str.split().str.len().mean() >= 3:
            return column, dict(zip(commonest["q"], commonest["t"]))
    return None


# A column of people, by its name: who filled the form in, a contact's name, e-mail or phone.
# A column of people, by its name: who filled the form in, a respondent's or contact's name, Qualtrics's panel columns
# (RecipientLastName, RecipientEmail, ExternalReference); and, as metadata, any column of e-mails or phone numbers
_PERSON_NAMES = (r"(?i)\b(?:submitted|completed|filled|entered|prepared|reported)[ _-]?(?:in[ _-]?)?by\b|"
                 r"recipient[ _-]?(?:(?:first|last)[ _-]?)?(?:name|e-?mail)|external[ _-]?(?:data[ _-]?)?reference"
                 r"|\b(?:key|primary|main|lead|point[ _-]of)[ _-]?contact\b|^\W*poc\W*$|"
                 r"\b(?:respondent|contact|first|last|full|your|staff|person|coordinator)[ _-]?name\b|^\W*name\W*$")
_PERSON_NAME = re.compile(_PERSON_NAMES)
_PERSON_COLUMN = re.compile(_PERSON_NAMES + r"|e-?mail|\bphone\b|telephone")
_CONTACT_COLUMN = re.compile(
    r"^(?:\W*\w+\W+){0,3}?\W*(?i:(?:organi[sz]ation|org|agency|company|first|last|full|contact|your)?[ _-]?"
    r"(?:name|address|e-?mail|phone|telephone|fax|website|url|zip|postal|post ?code|street|city|linkedin"
    r"|job ?title))\W*$")
# A column named for a person in a role ("Program officer", "Assigned reviewer", "Case manager", "Interviewer"): its
# values are that person's name, or their role
_ROLE_COLUMN = re.compile(r"(?i)^\W*(?:[^\W\d_]+[ _-]+){0,3}?(?:officer|manager|coordinator|director|reviewer|"
                          r"interviewer|caseworker|case[ _-]worker|liaison|navigator|supervisor|facilitator|evaluator|"
                          r"coder|analyst|assigned[ _-]to|assignee|owner|rep|representative|staff[ _-]member)"
                          r"(?:[ _-]?\(\w+\))?\W*$")


def _staff_names(column, values: pd.Series) -> bool:
    """A column named for a person in a role whose cells are mostly people's names, two to four capitalised words that
    name no role, organisation or placeholder ("Program officer": "Mere Tipene", "Wilma Two Bulls"): names the
    de-identifier's lists and model do not know, which a breakdown by it printed in the count files and the report
    (review 148). A column of roles ("Executive Director") or of teams is metadata."""
    if not _ROLE_COLUMN.match(str(column)):
        return False

    from themes.names import _english, _listed, name_lists
    from themes.redact import english_words

    english, (given, family) = english_words(), name_lists()

    def word(w: str) -> bool:
        return english is not None and _english(w.lower(), english)

    def person(value: str) -> bool:
        """Named as a person is: a family name no English word ("Mere Tipene"), a given name no English word first
        ("Wilma Two Bulls"), or a listed given and family name ("John Smith"); not words of a portfolio or a firm
        that the lists also hold ("Early Childhood", "Grant Making", "Abt Associates"; review 153)."""
        words = value.split()
        if not (2 <= len(words) <= 4 and all(w[:1].isupper() for w in words) and not re.search(r"[\d@/&]", value)
                and not _no_name(value)):
            return False
        first, last = words[0], words[-1]
        return not word(last) or (_listed(first, given) and (not word(first) or _listed(last, family)))

    return _half_or_more(values, person)


# Whole names of a field of contact details that are words of questions too ("Frequency of contact", "Program title")
_CONTACT_ALONE = re.compile(r"(?i)^\W*(?:(?:key|primary|main|lead)[ _-]?)?contact\W*$"
                            r"|^\W*(?:(?:respondent|your|job|staff)[ _-]?)?title(?:[ _-]of[ _-](?:the[ _-])?"
                            r"(?:respondent|person|contact))?\W*$")


# What a platform records of where a respondent answered from: Qualtrics's "IPAddress", "LocationLatitude" and
# "LocationLongitude", SurveyMonkey's "IP Address", Alchemer's "IP Address", "Latitude", "Longitude".
_TRACE_COLUMN = re.compile(r"(?i)\bip[ _-]?addr(?:ess)?\b|ipaddress|\b(?:location[ _-]?)?(?:latitude|longitude)\b"
                           r"|location(?:latitude|longitude)|\bgeo[ _-]?location\b|\bcoordinates\b"
                           # and how they answered: their browser, their visit
                           r"|user[ _-]?agent|\bbrowser\b|session[ _-]?id|\breferr?er\b|\bdevice[ _-]?id\b")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1?\d?\d)"
# An IPv4 address (one part of two digits at least: "1.1.2.3" numbers a section), masked ("73.12.4.xxx") or with its
# port; an IPv6 one (eight groups, or "::"); a latitude and longitude ("47.61,-122.33"); a list of them.
_IP_ADDRESS = re.compile(
    rf"(?=[^,]*\d\d)(?:{_OCTET}\.){{2}}{_OCTET}\.(?:{_OCTET}|x{{1,3}}|\*)(?::\d{{1,5}})?"
    r"|(?=[0-9a-f:]*[a-f:]{2})(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?=[0-9a-f:]*::)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}"
    r"|-?\d{1,2}\.\d{2,}\s*,\s*-?\d{1,3}\.\d{2,}", re.IGNORECASE)


def _addresses(value: str) -> bool:
    """A cell of IP addresses or coordinates, one or a list ("10.0.0.1, 73.12.4.1")."""
    parts = [p.strip() for p in re.split(r"[;\s]+|,\s+(?=\d+\.\d+\.)", value.strip()) if p.strip()]
    return bool(parts) and (bool(_IP_ADDRESS.fullmatch(value.strip())) or all(_IP_ADDRESS.fullmatch(p) for p in parts))


def _mostly(column: pd.Series, kind: str, *, sample: int = 200) -> bool:
    """Half or more of the column's filled cells (the first `sample`) are IP addresses (`kind` "ip"), or e-mail
    addresses and phone numbers ("contact"), whatever the column is called ("Source" held Alchemer's IPs)."""
    from themes.redact import PLACEHOLDERS, redact_patterns

    marks = (PLACEHOLDERS["email"], PLACEHOLDERS["phone"])
    return _half_or_more(column, _addresses if kind == "ip" else lambda v: redact_patterns(v).strip() in marks,
                         sample=sample)


def _half_or_more(column: pd.Series, test, *, sample: int = 200) -> bool:
    """Whether `test` holds for half or more of the column's filled cells (the first `sample`, stripped)."""
    values = column.dropna().map(as_text).str.strip()
    values = values[values != ""].head(sample)
    return not values.empty and bool(values.map(lambda value: bool(test(value))).mean() >= 0.5)


# A question asking for contact details, by words a contact column's name does not end in.
_CONTACT_QUESTION = re.compile(r"(?i)\bperson[ _-]completing\b|\bcompleting this (?:form|survey)\b|\bname[ _-]and[ _-]"
                               r"(?:title|role|position)\b|\byour (?:name|e-?mail|phone|title)\b"
                               r"|\b(?:best|preferred) (?:way|method|time|number) to (?:reach|contact) you\b"
                               r"|\bhow (?:can|should|may|do) we (?:reach|contact) you\b"
                               r"|\bcan we (?:reach|contact) you\b"
                               # "Contact information for follow-up questions (name, email, phone)"
                               r"|\bcontact (?:info(?:rmation)?|details) (?:for|of|to)\b"
                               r"|\bname,? (?:and |or )?(?:title,? (?:and |or )?)?e-?mail\b|\be-?mail,? (?:and |or )?"
                               r"(?:tele)?phone\b")
# Words that name a field of contact details only in a short name: "Contact information", "Contact person (optional)";
# in a question ("What information do you share with partners (e.g., contact information, diagnoses)?", "Does each
# partner have a contact person?") they are part of what is asked.
_CONTACT_FIELD = re.compile(r"(?i)\bcontact[ _-]?(?:info(?:rmation)?|details|person|info)\b")


def _asks_for_contact(name: str) -> bool:
    """A column or field that asks for contact details or names a person, by its name: a phrase that does so only in a
    short name ("Contact person", "Key contact", "Submitted by"), not in a question that mentions one ("Who is your
    key contact at the hospital, and how do you work together?")."""
    name = str(name)
    short = len(name.split()) <= 5
    return bool(_CONTACT_QUESTION.search(name) or _CONTACT_ALONE.search(name) or _CONTACT_COLUMN.search(name)) or (
        short and bool(_CONTACT_FIELD.search(name) or _PERSON_NAME.search(name)))


def _mostly_contact_details(column: pd.Series, *, sample: int = 200) -> bool:
    """Half or more of the column's filled cells (the first `sample`) are contact details, whatever the column is
    called: a short cell (`_CONTACT_WORDS` words at most) with an e-mail, a phone number or a listed name, as the
    de-identifier's patterns find them. An answer that gives a hotline among its words ("Families call our nurse
    line at 555-201-3344 after hours, or text the number on the card") is an answer."""
    from themes.redact import PLACEHOLDERS, redact_patterns

    def contact(value: str) -> bool:
        if len(value.split()) > _CONTACT_WORDS:
            return False
        shown = redact_patterns(value)
        # An e-mail, or a person named first as a signature names them ("Dana Whitfield, VP Community Health"); a
        # person an answer names ("Pastor Johnson convened us.") is an answer
        if PLACEHOLDERS["email"] in shown or re.match(rf"\s*{re.escape(PLACEHOLDERS['name'])}\s*(?:,|$)", shown):
            return True
        # A number alone ("Cell: (502) 555-0143"), not a line an answer gives ("Call our hotline at 1-800-555-0199.")
        rest = shown.replace(PLACEHOLDERS["phone"], " ")
        return PLACEHOLDERS["phone"] in shown and len(re.findall(r"[^\W\d_]{2,}", rest)) <= 2

    return _half_or_more(column, contact, sample=sample)


_CONTACT_WORDS = 12  # "Dana Whitfield, VP Community Health, Faith Outreach Network, (502) 555-0143": 10


# A browser's user agent, as Alchemer and other platforms export it: "Mozilla/5.0 (Windows NT 10.0; Win64; x64)
# AppleWebKit/537.36 ...", a product and its version, then its platform in brackets.
_USER_AGENT = re.compile(r"[A-Za-z][\w.-]*/\d[\w.]*\s+\(")


# "(Check all that apply)", "Select all", "choose up to 3", Qualtrics's "- Selected Choice": not "Did you select any
# partners ...? Please describe."
_CHECK_ALL = re.compile(r"(?i)\b(?:(?:check|select|mark|tick|choose|pick)\s+(?:all|up to \w+)\b|"
                        r"(?:all|any)\s+that\s+apply|-\s*selected\s+choice\s*$)")
# Where a list of ticked options splits: a semicolon, a comma before a space or, as Qualtrics joins them, before a
# capital ("Door to door,Sharing results"), a line end (Jotform) or a bar (review 171: each read as free text).
_CHOICE_JOINT = r"\s*[;|\n]\s*|\s*,\s+|,(?=[A-Z])"


def _choice_lists(name: str, column: pd.Series) -> bool:
    """A check-all-that-apply question as Google Forms, Qualtrics and Microsoft Forms export it: each answer the
    options ticked, joined by commas or semicolons. The combinations vary, so it passes for free text, but its
    words are the form's, not the respondent's: coded, the options' wording counted as themes. Its header says
    so ("(Check all that apply)"), or its answers are made almost only of a few phrases that recur across
    respondents (options are phrases of several words; a list of things someone typed, "housing, food", is not)."""
    values = column.dropna().map(as_text).str.strip()
    values = values[values != ""]
    if len(values) < 10:
        return False
    items = values.str.split(_CHOICE_JOINT).explode().str.strip().str.rstrip(".")
    items = items[items != ""]
    counts = items.value_counts()
    recurring = counts[counts >= max(3, 0.05 * len(values))]
    share = recurring.sum() / len(items) if len(items) else 0.0
    phrases = bool(len(recurring)) and np.mean([len(str(item).split()) for item in recurring.index]) >= 3
    if _CHECK_ALL.search(name):  # options, several of them ("Yes, we meet monthly" splits into a recurring "Yes")
        return share >= 0.5 and len(recurring) >= 3
    return bool(phrases and len(recurring) <= 30 and share >= 0.95 and (items.groupby(level=0).size() > 1).mean()
                >= 0.3)


def _looks_like_free_text(column: pd.Series, *, variety: float = 0.5) -> bool:
    """Sentences rather than codes: six words or more on average, and more than `variety` of the values
    distinct. A column of browser user agents has the words and the variety, but is the platform's metadata."""
    values = column.dropna().map(as_text).str.strip()
    values = values[values != ""]
    if values.empty:
        return False
    # "N/A", "None", "-" and "see above" say nothing either way: an open question most people skipped so was
    # not read, its 40 real answers lost with no status. "Yes" and "No", both common, answer a closed question
    # (a few explanations beside them make no open one); "No" alone is a comments column's filler.
    yes_no = values.map(_yes_or_no).astype(bool)
    initials = values[yes_no].str.casefold().str[0]
    closed = bool(yes_no.mean() > 0.5 and (initials == "y").mean() > 0.1 and (initials == "n").mean() > 0.1)
    values = values[~values.map(_filler).astype(bool) | (yes_no & closed)]
    if values.empty:
        return False
    if values.str.match(_USER_AGENT).mean() > 0.5:
        return False
    words = values.str.split().str.len()
    return bool(words.mean() >= 6 and values.nunique() > variety * len(values))


def _only_placeholders(column: pd.Series) -> bool:
    """Two cells or more filled, every one a placeholder ("N/A", "-", "see above"); numbers (a year) are values."""
    cells = column.map(as_text).str.strip()
    cells = cells[cells != ""]
    reasons = cells.map(lambda cell: non_answer_reason(clean_text(cell)) or "")
    return len(cells) >= 2 and bool(reasons.str.startswith(("placeholder", "no letters or digits")).all())


@functools.lru_cache(maxsize=65536)
def _filler(value: str) -> bool:
    """A cell that says nothing ("N/A", "-", "see above", a lone "No" under "Any other comments?")."""
    return non_answer_reason(clean_text(value)) is not None


def _yes_or_no(value: str) -> bool:
    return value.strip().casefold().rstrip(".!") in {"yes", "no", "y", "n"}


def load_answers(path: str | Path, spec: InputSpec) -> tuple[pd.DataFrame, InputSpec, list[dict]]:
    """Read, resolve the column settings, and turn the table into answers."""
    path = Path(path)
    spec = resolve_spec(path, spec)
    searching = spec.sheet is None and READERS.get(path.suffix.lower()) == "excel"
    try:
        table = read_table(path, sheet=spec.sheet, header_row=spec.header_row,
                           sheet_from=spec.sources.get("sheet", "option"))
    except EmptyTableError:
        if not searching or path.stat().st_size == 0:
            raise
        table = None  # an instructions sheet without a table: look for the data on the other sheets
    if searching:
        table, spec = _sheet_with_columns(path, table, spec)
    if "platform_rows" in table.attrs:
        spec = replace(spec, sources={**spec.sources, "platform_rows": table.attrs["platform_rows"]})
    if table.attrs.get("merged_cells"):
        spec = replace(spec, sources={**spec.sources, "merged_cells": table.attrs["merged_cells"]})
    if table.attrs.get("formula_text"):
        spec = replace(spec, sources={**spec.sources, "formula_text": table.attrs["formula_text"]})
    if table.attrs.get("unfinished"):
        spec = replace(spec, sources={**spec.sources, "unfinished": table.attrs["unfinished"]})
    if table.attrs.get("encoding"):  # a guess, so said
        spec = replace(spec, sources={**spec.sources, "encoding": table.attrs["encoding"]})
    if table.attrs.get("delimiter"):  # a guess too: a .csv's columns are most often separated by commas
        spec = replace(spec, sources={**spec.sources, "delimiter": table.attrs["delimiter"]})
    odd = table.attrs.get("encoding_rows")
    if odd:
        listed = ", ".join(map(str, odd[:5])) + (f" and {len(odd) - 5} more" if len(odd) > 5 else "")
        spec = replace(spec, sources={**spec.sources, "encoding_rows": f"row{'s' * (len(odd) > 1)} {listed}"})
    repeated = table.attrs.get("repeated_columns") or {}
    if repeated:
        spec = replace(spec, sources={**spec.sources, "repeated_columns": "; ".join(
            f"'{name}' {len(copies)} times, each copy read ({', '.join(repr(c) for c in copies)})"
            for name, copies in repeated.items())})
    try:
        # A long file's closed fields become columns before the columns are checked (a spec resolved before, as
        # `themes run` hands the flow, names them as metadata), and after its question column is found.
        table, spec = _closed_fields(table, spec)
        _refuse_uncomputed(table, spec, path)  # before the guess: a column of them reads as empty, and no guess sees it
        spec = complete_spec(table, spec)
        table, spec = _closed_fields(table, spec)
        _refuse_uncomputed(table, spec, path)
        labels = table.attrs.get("column_labels", {})
        if labels and not spec.is_long:
            spec = replace(spec, question_labels=tuple((c, str(labels[c])) for c in (*spec.text_columns,
                                                                                     *spec.meta_columns)
                                                       if c in labels))
        spec = _chosen_attribution(spec)
        answers, problems = to_answers(table, spec)
        answers, spec = _own_names_out(table, spec, answers)
        senders, used = _senders(table, spec, answers)
        if used:  # read by the screen alone, which drops it (status.SENDER)
            answers[SENDER] = answers["respondent_id"].map(senders).fillna("")
            spec = replace(spec, sources={**spec.sources, "senders": ", ".join(f"'{c}'" for c in used)})
        doubtful_guess(answers, spec, path)
        if table.attrs.get("hidden_rows"):
            spec = _said_hidden_rows(answers, table.attrs["hidden_rows"], spec)
    except InputError as error:
        if not searching or "--sheet" in str(error) or isinstance(error, UnsavedFormulasError):
            raise
        unsaved = _sheet_of_unsaved_formulas(path, spec.sheet)
        # A sheet whose answers read as blank may be why the search passed it over: said beside the error.
        hint = (f" Sheet '{unsaved[0]}' has {unsaved[1]} cells holding a formula whose result was never saved (read as "
                "blank): if the answers are there, open the workbook in Excel or LibreOffice, save it, and run again."
                if unsaved else "")
        raise InputError(f"{error}{_which_sheet(path, spec)}{hint}") from None
    return answers, spec, problems


# A note by the survey's staff about a respondent: what they did or will do ("Called Mei back on 3/1", "Follow up
# with Harriet re: budget", "Site visit 4 April - ask Javier about the MOU", "Rob spoke with Sven on 3/2: invite to
# round 2"), not an answer in a respondent's words.
_STAFF_NOTE = re.compile(
    r"^\W*(?:\d{1,2}/\d{1,2}(?:/\d{2,4})?[:\s-]+)?(?i:called|phoned|e-?mailed|texted|left (?:a )?(?:voicemail|vm|"
    r"message)|follow(?:ed)?[ -]?up (?:with|on|re)\b|f/u\b|site visit\b|reminder\b|to ?do\b|awaiting\b|waiting on\b)"
    r"|\b(?:spoke|talked|met) (?:with|to) [A-Z][a-z]+ (?:on|re|about)\b|\bleft (?:a )?(?:voicemail|vm)\b"
    r"|\binvite (?:to|for) (?:round|interview)|\bre: ")


# A column named as notes could be (a question is not: "How did you reach patients who missed appointments?" was
# answered "Called them", "Left voicemails"; review 154)
_NOTES_NAME = re.compile(r"(?i)comment|note|remark|follow|log\b|status|activity|contact|unnamed|^\W*(?:column|col)?"
                         r"[ _-]*\d*\W*$")


def _mostly_staff_notes(values: pd.Series) -> bool:
    """Five notes or more, three in five of them by the survey's staff about a respondent (`_STAFF_NOTE`)."""
    given = values.map(as_text).str.strip()
    given = given[given != ""].head(200)
    return len(given) >= 5 and given.map(lambda v: bool(_STAFF_NOTE.search(v))).mean() >= 0.6


# A column of notes by the survey's own staff, by its name: "Reviewer comments", "Internal notes", "Follow-up notes
# (staff)", "Evaluator remarks", "For office use only"; not "Comments", "Any other notes?", nor a question to
# respondents about staff ("Staff comments", "Notes for staff", "Any comments for staff?"; review 147)
_STAFF_NOTES = re.compile(
    r"(?i)^\W*(?:(?:follow[ _-]?up[ _-]+)?(?:reviewers?|internal|admin|evaluators?|graders?|scorers?|coders?|"
    r"program[ _-]?officers?)(?:'s|s')?[ _-]+(?:only[ _-]+)?(?:comments?|notes?|remarks?|observations?)"
    r"|(?:[\w-]+[ _-]+)?(?:comments?|notes?|remarks?)[ _-]*[(\[](?:staff|internal|reviewer|admin)[^)\]]*[)\]]"
    r"|(?:comments?|notes?|remarks?)[ _-]+by[ _-]+(?:staff|reviewers?|admin)"
    r"|(?:for[ _-]+)?(?:office|staff|internal)[ _-]+use(?:[ _-]+only)?)\W*$")


# A column of the respondent's own name, by its name: "Your name", "First Name", "Last name", "Full name", "Name",
# "Respondent name", "Contact name", Qualtrics's "RecipientFirstName"; not "Organization name" or "Partner name"
_OWN_NAME_COLUMN = re.compile(r"(?i)^\W*(?:(?:your|respondents?'?s?|recipient|contact)?[ _-]?"
                              r"(?:first|last|full|given|family|sur)?[ _-]?name"
                              # Who filled the form in: "Submitted by", "Name of person completing this form"
                              r"|(?:submitted|completed|prepared|filled[ _-](?:out|in))[ _-]by"
                              r"|name[ _-]of[ _-](?:the[ _-])?(?:person|individual|respondent)"
                              r"(?:[ _-](?:completing|submitting|filling[ _-](?:out|in))(?:[ _-](?:this|the)"
                              r"[ _-](?:form|survey))?)?)\W*$")
_NAME_PART = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_NAMES_RUN = re.compile(r"\[name\](?:[ \t]+\[name\])+")  # a first and a last name: one person


# Words of an organisation's or a program's name: a "Name" column that holds them names no person (review 147)
_ORGANISATION_WORDS = frozenset(
    "health county services service center centre clinic clinics bank hospital hospitals department partners "
    "partnership coalition network association foundation inc llc church school schools university college program "
    "programs alliance council agency community communities family families org organization organisation ministries "
    "society institute fund group house home food pantry shelter care medical city state district authority "
    "collaborative project initiative team office associates research international consulting consultants "
    "corporation company corp llp solutions analytics evaluation strategies advisors export".split())


def own_name_columns(table: pd.DataFrame, spec: InputSpec) -> list:
    """The export's columns of the respondent's own name, by their name or the question over them ("Your name",
    "First Name", Qualtrics's legacy "V3" over "Name"), less those that hold organisations' names (nine filled cells
    in ten with a word such as Health, County, Services: "Name" is as often the organisation's; in a column of both,
    each organisation's cell is passed over, `_no_name`)."""
    read = {spec.id_column, spec.question_column, spec.answer_column, *spec.text_columns, *spec.meta_columns}
    labels = table.attrs.get("column_labels") or {}

    def organisations(value: str) -> bool:
        return bool({w.lower() for w in _NAME_PART.findall(value)} & _ORGANISATION_WORDS)

    def mostly_organisations(column: pd.Series) -> bool:  # nine cells in ten: a person's cell among them is read
        values = column.dropna().map(as_text).str.strip()
        values = values[values != ""].head(200)
        return not values.empty and values.map(organisations).mean() >= 0.9

    return [c for c in table.columns if c not in read and (_OWN_NAME_COLUMN.match(str(c))
                                                           or _OWN_NAME_COLUMN.match(str(labels.get(c, ""))))
            and not mostly_organisations(table[c])]


# Titles and letters after a name ("Dr. Ana Lopez, RN"): no part of it, so not read alone ("Dr. Smith helped")
_HONORIFICS = frozenset("dr mr mrs ms mx miss prof rev sr jr st md phd rn np pa msw lcsw mph do dds esq".split())
_NO_NAME = frozenset("anonymous anon declined withheld redacted unknown unnamed none n/a na respondent "
                     "prefer rather not to say provided given available applicable same as above".split())
# A role in a name cell ("Executive Director", "Program Manager"): no person's name to read out of the answers
_ROLE_WORDS = frozenset("director manager coordinator officer executive president chair chairman chairperson ceo cfo "
                        "coo cmo vp chief head lead supervisor specialist administrator assistant navigator worker "
                        "nurse doctor physician volunteer staff team member representative liaison analyst "
                        "consultant secretary treasurer founder owner principal program programs".split())


def _no_name(value: str) -> bool:
    """A name cell that gives no person's name: a placeholder ("Anonymous", "N/A", "Prefer not to say", "Not
    provided"), a role ("Executive Director"), an organisation ("St. Louis Food Bank"). Its words are no name to read
    out of the answers ("I prefer not to say" and "Our executive director" are answers; review 148)."""
    from themes.clean import answer_status, clean_text

    named = [w.lower() for w in _NAME_PART.findall(value)]
    return (answer_status(clean_text(value)) is not None or all(w in _NO_NAME for w in named)
            or any(w in _ROLE_WORDS or w in _ORGANISATION_WORDS for w in named))


def _without_titles(value: str) -> str:
    """A name less its titles and initials ("Mr. Jordan Rivers", "John Q. Public", "Dr. Maria Lopez, RN"): the words
    the answers write it by ("Jordan Rivers", "John Public", "Maria Lopez")."""
    words = [w for w in re.split(r"[\s,]+", value) if w]
    kept = [w for w in words if w.strip(".").lower() not in _HONORIFICS and not re.fullmatch(r"[^\W\d_]\.?", w)]
    return " ".join(kept)


def _name_patterns(values: list[str], english) -> list[str]:
    """What of a respondent's own name is read as "[name]" in their answers, as regular expressions: the whole name
    of two words or more in any case (its given name and family initial too, "Maria G."), and each part of two
    letters or more, capitalised as a name is written; a part that is an English word by the word lists ("Will",
    "Grant", "English", but also "Mei" and "Fatima") only where its writer names themself ("I'm Mei", "- Fatima", review 152; "We will expand grant funding", "classes in English"
    keep theirs, reviews 147 and 154); each with and without its accents, either apostrophe. Without the word lists
    (no spaCy model) the whole name alone."""
    import unicodedata

    from themes.names import _english

    def plain(text: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))

    def pattern(text: str) -> str:
        return re.sub(r"['’]", "['’]", re.escape(text)).replace(r"\ ", r"\s+")

    def word(part: str) -> bool:  # an English word ("well-being"; not "Smith-Jones" of two words, nor "O'Brien")
        if re.search(r"['’]", part):
            return all(_english(piece.lower(), english) for piece in re.split(r"['’]", part) if piece)
        return part.lower() in _ORGANISATION_WORDS or _english(part.lower(), english)

    values = [v for v in values if len(v) >= 2 and not re.search(r"[\d@]", v) and not _no_name(v)]
    # The whole name: each value of two words or more, and a first and a last name's columns joined, either way round
    # "Lopez, Ana", as lists write people: "Ana Lopez" too
    turned = [f"{given.strip()} {family.strip()}" for v in values if v.count(",") == 1
              for family, given in [v.split(",")] if family.strip() and given.strip()]
    bare = [_without_titles(v) for v in [*values, *turned]]
    wholes = {v for v in [*values, *turned, *bare] if len(v.split()) > 1}
    if len(values) > 1:
        plain_values = [_without_titles(v) for v in values]
        wholes |= {" ".join(values), " ".join(reversed(values)), " ".join(plain_values),
                   " ".join(reversed(plain_values))}
    wholes = {w for w in wholes if len(w.split()) > 1}
    # A given name and the family name's initial, as a sign-off writes it ("- Maria G."): read "[name] G." (review
    # 168), where the redactor's own reading of the line gives "[name]"
    wholes |= {f"{parts[0]} {parts[-1][0]}." for whole in list(wholes) if (parts := whole.split())[-1][:1].isalpha()}
    # (the dot only: "Will A" read "Will a new grant ..." as a name, review 172)
    said = {f"(?i:{pattern(form)})" for whole in wholes for form in {whole, plain(whole)}}
    first = sorted(said, key=len, reverse=True)  # before any part, which a regex alternation would take first
    said = set()
    if english is not None:
        for value in values:
            for piece in _NAME_PART.findall(value):
                for part in {piece, *re.split(r"[-'’]", piece)}:
                    capitalised = part[:1].upper() + part[1:]
                    if len(part) < 2 or part.lower() in _HONORIFICS:
                        continue
                    # A part that is also a word only where its writer names themself: after "I'm", "I am", "this
                    # is", "my name is" or a sign-off's dash ("I'm Mei", "- Fatima"; review 152); elsewhere it is the
                    # word as often ("classes in English", "Black families", "Kresge Grant"; review 154)
                    where = _NAMED_SELF if word(part) else ""
                    said |= {where + pattern(form) for form in {capitalised, plain(capitalised)}}
    return first + sorted(said - set(first), key=len, reverse=True)


_NAMED_SELF = r"(?:(?<=I'm )|(?<=I’m )|(?<=I am )|(?<=is )|(?<=[-–—~] )|(?<=[-–—~]))"


def _own_names_out(table: pd.DataFrame, spec: InputSpec, answers: pd.DataFrame) -> tuple[pd.DataFrame, InputSpec]:
    """Each respondent's own name, from the export's name columns (`own_name_columns`; not read otherwise), read as
    "[name]" where their own answers write it: "When Park Ji-woo and the hospital's VP started meeting" reached the
    evidence, the quotes and the report while the row's 'Your name' held "Park Ji-woo", as a name the lists and the
    model miss (review 144). What is read: `_name_patterns`. By respondent, so a long export's answers under a
    respondent's first row are read too. Done as the answers are read, so every file, batch and later command sees
    the same text. Said."""
    columns = own_name_columns(table, spec)
    if not columns or answers.empty:
        return answers, spec
    from themes.redact import english_words

    english = english_words()
    positional = pd.api.types.is_integer_dtype(table.index) and table.index.is_unique
    rows = table.index + 2 if positional else range(2, len(table) + 2)  # the sheet's rows, as to_answers numbers them
    respondent_of = dict(zip(answers["source_row"], answers["respondent_id"]))
    names: dict[str, dict[str, None]] = {}  # in the columns' order: a first and a last name joined
    for row, values in zip(rows, table[columns].itertuples(index=False)):
        respondent = respondent_of.get(int(row))
        written = [w for w in (" ".join(as_text(v).split()) for v in values) if w]
        if respondent is not None and written:
            names.setdefault(respondent, {}).update(dict.fromkeys(written))
    patterns = {}
    for respondent, written in names.items():
        said = _name_patterns(list(written), english)
        if said:  # not inside an e-mail address ("maria.gonzalez@..."), which the redactor takes whole
            # Not a part of a longer word or name ("Smith-Jones", "O'Brien"); a sign-off's dash may stand before it
            patterns[respondent] = re.compile(rf"(?<![\w'’@.])(?<!\w[-'’])(?:{'|'.join(said)})(?![\w-]|[.@+]\w)")
    changed, texts = 0, []
    for respondent, text in zip(answers["respondent_id"], answers["answer_raw"]):
        pattern = patterns.get(respondent) if isinstance(text, str) else None
        new = _NAMES_RUN.sub("[name]", pattern.sub("[name]", text)) if pattern is not None else text
        changed += new != text
        texts.append(new)
    answers = answers.assign(answer_raw=texts)
    named = ", ".join(f"'{c}'" for c in columns)
    return answers, replace(spec, sources={**spec.sources, "own_names": f"{named} ({changed} answer"
                                                                        f"{'s' * (changed != 1)})"})


def _chosen_attribution(spec: InputSpec) -> InputSpec:
    """The columns quotes are attributed with, chosen here when none are named, so that the run says which and
    every reader of the run (quotes, the framework's table by type, `discover`) uses the same: the respondent's
    type and state, by name or by the question over a "Q1" (`quotes.type_and_state_columns`), never the partner's."""
    from themes.infer import about_a_partner
    from themes.quotes import attribution_columns

    if spec.attribute_with or not spec.meta_columns:
        return spec
    asks = dict(spec.question_labels)
    chosen = attribution_columns(spec.meta_columns, (), asks)
    # A partner's type or place, passed over, is said: it would have been the guess's by its words alone
    partners = [c for c in spec.meta_columns if about_a_partner(c) or about_a_partner(asks.get(c, ""))]
    passed = f"; not {', '.join(repr(c) for c in partners)}: the partner's, not the respondent's" if partners else ""
    if not chosen:
        return replace(spec, sources={**spec.sources, "attribute_with": f"none{passed}"}) if partners else spec
    return replace(spec, attribute_with=chosen, sources={**spec.sources, "attribute_with": f"guessed{passed}"})


# A column of the respondent's own e-mail address, by its name: "Email", "E-mail address", "Your email",
# "RecipientEmail", Google Forms's "Email Address"; not "Supervisor email", "Referral email" or "Email opt-in"
_SENDER_COLUMN = re.compile(r"(?i)^\W*(?:your|respondent|recipient|contact)?[ _-]?e-?mail(?:[ _-]?address)?\W*$")
_EMAIL_VALUE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# A mailbox several people share ("info@coalition.org") names no one
_SHARED_MAILBOX = re.compile(r"(?i)^(?:info|office|admin|contact|hello|team|staff|general|noreply|no-reply|mail|"
                             r"inquiries|enquiries|help|support|frontdesk|reception)@")
_MOST_SHARING = 3  # respondents of one address, at most: more are a shared mailbox


def _senders(table: pd.DataFrame, spec: InputSpec, answers: pd.DataFrame) -> tuple[dict[str, str], list[str]]:
    """Who sent each respondent's submission, as a keyed digest of the respondent's own e-mail address in a column no
    option reads ('Email', 'RecipientEmail'), and that column: the evidence that two alike submissions are one
    person's sent again, or two people's (`status._mark_duplicates`). Only a column whose filled cells are addresses
    (nine in ten); only an address that is no shared mailbox ("info@") and that at most `_MOST_SHARING` respondents
    gave. Keyed as pseudonyms are, so that no one finds an address from its digest; the screen drops it, and nothing
    of it is written out. A review found names, opt-in flags and supervisors' addresses merged different people."""
    import hashlib
    import hmac

    from themes.quotes import pseudonym_key

    read = {spec.id_column, spec.question_column, spec.answer_column, *spec.text_columns, *spec.meta_columns}
    used = []
    for column in (c for c in table.columns if c not in read and _SENDER_COLUMN.search(str(c))):
        values = table[column].map(as_text).str.strip()
        filled = values[values != ""]
        if len(filled) and filled.map(lambda v: bool(_EMAIL_VALUE.fullmatch(v))).mean() >= 0.9:
            used.append(column)
    if len(used) != 1 or "source_row" not in answers or not pd.api.types.is_integer_dtype(table.index):
        return {}, []
    by_row = dict(zip(table.index + 2, table[used[0]].map(as_text).str.strip().str.casefold()))
    addresses: dict[str, str] = {}
    for respondent, row in zip(answers["respondent_id"], answers["source_row"]):
        address = by_row.get(row, "")
        if respondent not in addresses and _EMAIL_VALUE.fullmatch(address) and not _SHARED_MAILBOX.match(address):
            addresses[respondent] = address
    shared = Counter(addresses.values())
    key = pseudonym_key()[0]
    senders = {r: hmac.new(key, a.encode(), hashlib.sha256).hexdigest()[:16] for r, a in addresses.items()
               if shared[a] <= _MOST_SHARING}
    return senders, used if senders else []


class UnsavedFormulasError(InputError):
    """Cells that are read hold formulas whose results were never saved (said as it is, whichever sheet was
    searched)."""


def _sheet_of_unsaved_formulas(path: Path, read: str | None) -> tuple[str, int] | None:
    """(sheet, cells) of the visible sheet other than the one `read` with the most formula cells whose results were
    never saved (two or more), if any."""
    hidden: set[str] = set()
    names = _sheet_names(path, hidden=hidden)
    read = read or names[0]
    counts = [(name, sum(text is None for _, _, text in _uncomputed_formulas(path, name))) for name in names
              if name != read and name not in hidden]
    best = max(counts, key=lambda item: item[1], default=None)
    return best if best and best[1] >= 2 else None


def _refuse_uncomputed(table: pd.DataFrame, spec: InputSpec, path: Path) -> None:
    """A column that is read, or one that would read as empty where the columns are guessed (not hidden), holds formulas
    whose results were never saved (`_uncomputed_formulas`) in rows that are read: its cells would read as blank
    answers, ids or groups, or the column as nothing at all (no guess would find answers in it), so the run stops and
    says how to save the results."""
    found_in_sheet = table.attrs.get("uncomputed_formulas")
    if not found_in_sheet:  # most files: nothing to look at
        return
    read = {spec.id_column, *spec.text_columns, *spec.meta_columns, spec.question_column, spec.answer_column}
    named = spec.sources.get("text_columns") in ("option", "sidecar") or spec.sources.get("question_column") in (
        "option", "sidecar")
    hidden = set(table.attrs.get("hidden_columns") or [])
    # Read, the question would be 'Unnamed: 2' (coded as no question of the calibration's); where the columns are
    # guessed, a column of words with no name is passed over ('State', lost from the breakdowns without a word; a
    # column of numbers, a score's, is not read either way)
    named_by_formula = [column for column in table.attrs.get("formula_names", []) if column in read or (
        not named and column not in hidden and column in table.columns and _words_in(table[column]))]
    if named_by_formula:
        raise UnsavedFormulasError(
            f"{path}: the header cell over column '{named_by_formula[0]}' holds a formula whose result was never "
            "saved, so the column has no name: open the workbook in Excel or LibreOffice, save it, and run again "
            "(or type the column's name in that cell).")
    rows = {index + 2 for index in table.index if isinstance(index, (int, np.integer))}  # as the sheet numbers them
    unsaved = [(column, row) for column, row in found_in_sheet if row in rows and column in table.columns]
    cells = Counter(column for column, _ in unsaved)
    if not cells:
        return

    def nothing_else(column: str) -> bool:  # blank but for those cells (XlsxWriter's "0" in them)
        theirs = {row - 2 for name, row in unsaved if name == column}
        return not table.loc[~table.index.isin(theirs), column].map(as_text).str.strip().ne("").any()

    found = {column: n for column, n in cells.items()
             if column in read or not named and column not in hidden and nothing_else(column)}
    if found:
        column, n = max(found.items(), key=lambda item: item[1])
        others = sum(cells.values()) - n
        more = f" (and {others} in other columns)" if others else ""
        one = n == 1
        first = min(row for name, row in unsaved if name == column)
        raise UnsavedFormulasError(
            f"{path}: {n} cell{'' if one else 's'} of column '{column}'{more} (first in row {first}) "
            f"hold{'s' if one else ''} a formula whose result was never saved, so {'it' if one else 'they'} would "
            "read as blank: open the workbook in Excel or LibreOffice, save it, and run again (answers that begin "
            "with '=': export them again as text).")


def _words_in(column: pd.Series) -> bool:
    """Some of the column's values are words, not numbers: what a question's answers or a group's names are."""
    values = column.map(as_text).str.strip()
    values = values[values != ""]
    return bool(len(values)) and pd.to_numeric(values, errors="coerce").isna().mean() >= 0.5


def _closed_fields(table: pd.DataFrame, spec: InputSpec) -> tuple[pd.DataFrame, InputSpec]:
    """A long file of fields and values (REDCap's or a form tool's "record, field_name, value") holds closed fields
    among the open questions: coded, each "Hospital" or "Yes" was an answer (15 respondent types coded as cultural
    differences, 57% of a headline). A field named as nothing but a respondent's type or place, with a few short
    values (`infer.guess_meta_columns`, as a wide file's column), becomes a metadata column, one value per respondent,
    unless the metadata columns were named; a Yes/No field (`_only_yes_or_no`) is not read. Their rows leave the
    answers, and the announcement says which."""
    if not spec.is_long or not {spec.id_column, spec.question_column, spec.answer_column} <= set(table.columns):
        return table, spec
    ids = table[spec.id_column].map(as_text).str.strip()
    carry = spec.carry_ids or ids_on_first_rows(table, spec.id_column, spec.question_column)
    ids = carried_down(ids, table[spec.question_column]) if carry else ids
    fields = table[spec.question_column].map(as_text).str.strip()
    values = table[spec.answer_column].map(as_text).str.strip()
    given = pd.DataFrame({"id": ids, "field": fields, "value": values})[(ids != "") & (fields != "")]
    wide = given.drop_duplicates(["id", "field"]).pivot(index="id", columns="field", values="value").fillna("")
    wide.columns = [str(column) for column in wide.columns]
    # Only a field named as nothing but a type or place ("org_type", "state"; not "county_partners", "Which state
    # agencies do you work with?"), and not where the user named the metadata (a project's questions stay questions).
    named = str(spec.sources.get("meta_columns", "")).startswith(("option", "sidecar"))
    meta = [field for field in guess_meta_columns(wide, set()) if field not in table.columns and not named
            and names_type_or_place(field, only=True)]
    yes_no = [field for field in wide.columns if field not in meta and _only_yes_or_no(wide[field], field)]
    # A field for contact details ("contact_email", "Name and title of person completing this form"), by its name
    # or its values, as a wide file's column: coded, "[name], VP Community Health, Faith Outreach Network" was a quote.
    contacts = [field for field in wide.columns if field not in (*meta, *yes_no) and (
        _asks_for_contact(field)
        or _mostly_contact_details(wide[field]))]
    closed = [*meta, *yes_no, *contacts]
    if not closed or len(closed) == len(wide.columns):
        return table, spec
    out = table.copy()
    if carry:  # the rows that name the respondents may be the closed fields' (REDCap's record starts with consent)
        out[spec.id_column] = ids.to_numpy()
    out = out[~fields.isin(closed)].copy()
    out.attrs = table.attrs
    for field in meta:
        out[field] = ids[out.index].map(wide[field]).fillna("").to_numpy()
    said = []
    if meta:
        said.append(f"{', '.join(repr(f) for f in meta)} read as metadata, one value per respondent")
    if yes_no:
        said.append(f"{', '.join(repr(f) for f in yes_no)} not read: answered Yes or No, not an open question")
    if contacts:
        said.append(f"{', '.join(repr(f) for f in contacts)} not read: asks for or holds contact details (names, "
                    "e-mails, phone numbers), not answers")
    rows = len(table) - len(out)
    sources = {**spec.sources, "closed_fields": f"{'; '.join(said)} ({rows} rows of '{spec.question_column}')"}
    if carry and "ids_carried" not in sources:
        sources["ids_carried"] = _rows_carried(table[spec.id_column], ids)
    if meta:
        sources["meta_columns"] = sources.get("meta_columns", "guessed") if spec.meta_columns else "guessed"
    return out, replace(spec, meta_columns=(*spec.meta_columns, *(f for f in meta if f not in spec.meta_columns)),
                        sources=sources)


def _rows_carried(raw: pd.Series, carried: pd.Series) -> str:
    """How many rows with no id took the id above them (`infer.carried_down`), as the announcement says it."""
    return str(int(((raw.map(as_text).str.strip() == "") & (carried != "")).sum()))


def _only_yes_or_no(values: pd.Series, field: str) -> bool:
    """A closed Yes/No field: five answers or more, each Yes or No, both given (all "No" is an open question most
    people had nothing for), or one only where the field asks for consent (everyone who answered agreed)."""
    given = values[values != ""]
    initials = set(given.str.strip().str.casefold().str[0])
    return len(given) >= 5 and bool(given.map(_yes_or_no).all()) and (
        initials >= {"y", "n"} or bool(_CONSENT.search(field)))


_CONSENT = re.compile(r"(?i)consent|agree|permission|authori[sz]")


def _said_hidden_rows(answers: pd.DataFrame, hidden: list[int], spec: InputSpec) -> InputSpec:
    """The spec with `sources["hidden_rows"]`: the hidden rows that gave answers (hidden blank rows are no one)."""
    rows = sorted({int(row) for row in answers["source_row"] if int(row) in set(hidden)})
    if not rows:
        return spec
    listed = ", ".join(map(str, rows[:8])) + (f" and {len(rows) - 8} more" if len(rows) > 8 else "")
    return replace(spec, sources={**spec.sources, "hidden_rows": f"row{'s' * (len(rows) > 1)} {listed}"})


def _which_sheet(path: Path, spec: InputSpec) -> str:
    """For an error about a workbook's columns when no --sheet was given: which sheet was read, of which."""
    names = _sheet_names(path)
    if len(names) < 2:
        return ""
    return (f" (Read sheet '{spec.sheet or names[0]}' of {', '.join(repr(n) for n in names)}; pass --sheet to read "
            "another.)")


def _later_tables(path: Path, names: list[str], skip: set[str] = frozenset(), header_row: int | None = None):
    """(name, table) of each sheet after the first that holds a table, in order, less those in `skip`."""
    for name in names[1:]:
        if name in skip:
            continue
        try:
            yield name, read_table(path, sheet=name, header_row=header_row)
        except InputError:
            continue  # a sheet without a table


def _legend_of(table: pd.DataFrame, others: list[tuple[str, pd.DataFrame]]) -> str | None:
    """The sheet (of `others`) whose column names fill, four in five, a column of `table`, a shorter table: a legend
    of that sheet's columns. None when it is no legend."""
    for name, other in others:
        columns = {str(c).strip().casefold() for c in other.columns}
        for column in table.columns:
            values = table[column].map(as_text).str.strip().str.casefold()
            values = values[values != ""]
            if len(values) >= 2 and len(table) < len(other) and values.isin(columns).mean() >= 0.8:
                return name
    return None


def _legend_labels(legend: pd.DataFrame, table: pd.DataFrame) -> dict:
    """A legend's text per column of `table`: the column of its codes (the table's column names), and beside it the
    column of the longest text (the question)."""
    columns = {str(c).strip().casefold(): c for c in table.columns}
    texts = {c: legend[c].map(as_text).str.strip() for c in legend.columns}
    code = max(texts, key=lambda c: texts[c].str.casefold().isin(columns).mean())
    others = [c for c in texts if c != code]
    if not others:
        return {}
    # A column named for the question ("Question", "Label", "Text"), else the one of the longest text (a data
    # dictionary's "Values" of "1=CBO; 2=Health system" is longer than its "Label": review 154)
    named = [c for c in others if re.search(r"(?i)question|label|text|prompt|wording|description", str(c))]
    asked = named[0] if named else max(others, key=lambda c: texts[c].str.len().mean())
    return {columns[k.casefold()]: v for k, v in zip(texts[code], texts[asked]) if k.casefold() in columns and v}


def _sheet_with_columns(path: Path, first: pd.DataFrame, spec: InputSpec) -> tuple[pd.DataFrame, InputSpec]:
    """Without --sheet, the first sheet that has the declared columns (workbooks often open with an
    instructions sheet); when nothing is declared, the first sheet with the shape of a table of answers
    (an instructions sheet is one column of prose); the first sheet when no sheet has them."""
    declared = [c for c in (spec.id_column, spec.question_column, spec.answer_column) if c]
    declared += list(spec.text_columns)
    hidden: set[str] = set()
    names = _sheet_names(path, hidden=hidden)
    first_sheet = "the first visible sheet" if hidden else "the first sheet"
    not_read = f"; hidden sheets not read: {', '.join(repr(n) for n in names if n in hidden)}" if hidden else ""
    if first is not None and declared and set(declared) <= set(first.columns):
        if len(names) == 1:
            return first, spec
        return first, replace(spec, sheet=names[0], sources={
            **spec.sources, "sheet": f"{first_sheet}, which has the columns given{not_read}"})
    skipped = f"'{names[0]}' has no table of answers"  # prose, a title line or nothing
    if not declared:
        # Tables of answers on two visible sheets (a pilot or codes sheet beside the responses, after an
        # instructions sheet or not) make any choice a guess that may be wrong: the user says which.
        tables = [(names[0], first)] if first is not None and data_shape(first) else []
        later = _later_tables(path, names, skip=hidden, header_row=spec.header_row)
        tables += [(name, table) for name, table in later if data_shape(table)]
        # A legend of another sheet's columns ("Code | Question": Q1, Q2 ... over the responses' Q1, Q2) holds no
        # answers (review 152: it stopped the run as a second table of answers)
        legends = [(name, table, _legend_of(table, [t for t in tables if t[0] != name])) for name, table in tables]
        legends = [(name, table, of) for name, table, of in legends if of is not None]
        if legends and len(legends) < len(tables):
            tables = [t for t in tables if t[0] not in {name for name, _, _ in legends}]
            # ... and its questions are the columns' labels, as Qualtrics's question text over Q1 is: a Q1 asking
            # the organisation's type is metadata, a Q3 asking what made it effective that question
            for name, legend, of in legends:
                table = next(t for n, t in tables if n == of)
                table.attrs = {**table.attrs, "column_labels": {**_legend_labels(legend, table),
                                                               **(table.attrs.get("column_labels") or {})}}
            said = "; ".join(f"'{name}' lists the columns of '{of}' (a legend, no answers; its questions read as "
                             "their labels)" for name, _, of in legends)
            not_read += "; " + said
            skipped = said if names[0] in {n for n, _, _ in legends} else skipped
        if len(tables) > 1:
            listed = ", ".join(f"'{name}' ({len(table)} rows)" for name, table in tables)
            raise InputError(f"{path.name} has tables of answers on {len(tables)} sheets: {listed}. Pass the "
                             "one to code with --sheet.")
        if tables and tables[0][0] == names[0]:
            if len(names) == 1:
                return first, spec
            return first, replace(spec, sheet=names[0], sources={**spec.sources,
                                                                 "sheet": f"guessed: {first_sheet}{not_read}"})
        if tables:
            name, table = tables[0]
            return table, replace(spec, sheet=name, sources={**spec.sources, "sheet": f"guessed: {skipped}"})
    for name, table in _later_tables(path, names, header_row=spec.header_row):
        if declared and set(declared) <= set(table.columns):
            return table, replace(spec, sheet=name, sources={**spec.sources, "sheet": "found by its columns"})
        if not declared and data_shape(table):  # only a hidden sheet holds one
            return table, replace(spec, sheet=name, sources={**spec.sources, "sheet": f"guessed: {skipped}"})
    if first is None:
        raise InputError(f"{path}: the first sheet has no table, and no other sheet has the columns "
                         f"{', '.join(declared) or 'of a survey'}. Pass the sheet with --sheet. Sheets: "
                         f"{', '.join(names)}.")
    return first, spec


def require_codable(answers: pd.DataFrame, spec: InputSpec) -> None:
    """Raise InputError when no answer has text to code (every one blank, "N/A", another language...)."""
    from themes.status import CODABLE

    if answers["status"].isin(CODABLE).any():
        return
    counts = answers["status"].value_counts()
    found = ", ".join(f"{n} {status}" for status, n in counts.items())
    columns = ", ".join(spec.text_columns) if spec.text_columns else spec.answer_column
    raise InputError(f"None of the {len(answers)} answers has text to code ({found}) in column(s) {columns}. "
                     "Check that --text-column names the columns with the open-ended answers.")

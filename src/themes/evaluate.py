"""Agreement with human coding: read a coded (gold) file, compute statistics.

Statistics come from well-kept libraries: scikit-learn (precision, recall, F1, Cohen's kappa,
confusion matrix) and `krippendorff` (alpha). Themes: the primary theme of a passage is its first
gold theme, or the model's best-scoring theme among those it assigned; "none" is a class of its
own. Dimensions: the type of each passage, "none" (not addressed) a class of its own.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score, confusion_matrix, precision_recall_fscore_support

from themes.classify import NONE
from themes.codebook import ID_PATTERN, STRAIGHT_QUOTES, Codebook
from themes.coding import Scheme
from themes.errors import GoldError
from themes.questions import spelling_key

TEXT_COLUMNS = ("text", "passage", "quote", "segment", "answer", "excerpt")
THEME_COLUMNS = ("themes", "theme", "codes", "code", "gold", "gold_themes", "labels", "label")
_SPLIT_THEMES = re.compile(r"\s*[;,|\n\r]\s*")  # a line each (Alt+Enter in a cell) is a list too
# "None of these" is how a coding workbook's Instructions sheet names the row for no theme (`themes sample`).
NONE_WORDS = {"none", "no theme", "no_theme", "", "-", "n/a", "na", "none of these"}
# What a program writes in a cell it has no value for (R's "NA", pandas's "nan", Excel's "#N/A"): a codes cell of one
# of them alone is not coded yet, as an empty one is (review 145: a half-coded sample saved from R read its 50
# uncoded rows as "none", and an estimate came from them). A coder writes "none" for no theme; "N/A" and "-", as
# coders type them for "no theme", are read as none and said (`attrs["none_marks"]`).
MISSING_MARKS = {"na", "nan", "null", "#n/a"}
_TYPED_NONE = {"n/a", "-", "--"}


def _only_marks(value) -> bool:
    """A codes cell of a program's marks for no value alone ("NA", "NA;NA"): not coded yet."""
    parts = [part for part in _SPLIT_THEMES.split(str(value).strip().lower()) if part]
    return bool(parts) and all(part in MISSING_MARKS for part in parts)


def read_gold(path: str | Path, codebook: Codebook, *, answers: pd.DataFrame | None = None,
              split: str | None = None, partly: bool = False, one_of_several: bool = False) -> pd.DataFrame:
    """A gold file as rows of `text`, `gold` (list of theme ids, [] for none) and `split`. Rows whose
    codes cell is empty are not coded yet: left out, their number in `attrs["not_coded"]`.

    `partly`: a row with some codes cells written and others empty (the themes coded on every row, the framework
    on half) is kept, what it leaves uncoded in `uncoded` ("themes" or dimension ids): a coded sample's counts
    read each part on the rows that code it. Else such a row stops the read (a passage learned from, or measured,
    needs all its codes).

    Passages come from a text column, or from `respondent_id` + `question` keys looked up in
    `answers` (the cleaned answers of a run). Theme ids may also be given as the themes' labels.
    """
    from themes.ingest import EmptyTableError, read_table, sheets_with_column

    path = Path(path)
    if not path.exists():
        raise GoldError(f"Coded file not found: {path}. Check the --gold path.")
    sheet = None
    if path.suffix.lower() == ".qdpx":  # a REFI-QDA project coded in a QDA tool: one row per answer
        from themes.refi import qdpx_gold_table

        table = qdpx_gold_table(path, codebook)
    else:
        sheets = sheets_with_column(path, "themes")
        if len(sheets) > 1:  # a coder who copied the sheet and coded the copy: the stale one was read, unsaid
            raise GoldError(f"{path} has a 'themes' column on {len(sheets)} sheets ({', '.join(map(repr, sheets))}): "
                            "keep the sheet that holds the codes (delete the others) and run again.")
        sheet = sheets[0] if sheets else None
        try:
            table = read_table(path, sheet=sheet)
        except EmptyTableError:
            raise GoldError(f"{path} holds no coded passages. A coded file has a header such as 'text,themes' and "
                            "one row per passage: its text and its codes (';'-joined ids, 'none' for none).") from None
    # The keys' headers as a person retypes them ("Respondent ID", "Sample-ID"): read as themes sample writes them
    # (review 176: "Respondent ID" was "passages without them")
    keys = {re.sub(r"[\s_-]+", "_", str(c).strip().lower()): c for c in table.columns}
    table = table.rename(columns={keys[k]: k for k in ("respondent_id", "sample_id", "passage_id")
                                  if k in keys and k not in table.columns})
    lowered = {c.lower(): c for c in table.columns}
    renamed_questions = {}
    if "question" in lowered and "respondent_id" in lowered:  # keys into this input: its question names
        column = table[lowered["question"]].fillna("").astype(str).str.strip()
        renamed_questions = _as_run_questions(column, answers)
        if renamed_questions:
            table = table.assign(**{lowered["question"]: column.map(lambda q: renamed_questions.get(q, q))})
    other_splits: dict[str, int] = {}
    if split is not None:
        # The split's rows alone are read from here on: a cell of another split neither stops the read nor is counted
        # as not coded or none (review 146); the rows left are said, so that a misspelled split ('calibraton') or an
        # empty one is not left out without a word.
        if "split" not in lowered:
            raise GoldError(f"{path} has no 'split' column for --split {split} to choose rows by; leave out --split "
                            "to use every row.")
        split = split.strip().lower()  # split names are compared as the file's are read: any name, any case
        names = table[lowered["split"]].map(lambda v: "" if v != v else str(v)).str.strip().str.lower()
        if split not in set(names):
            raise GoldError(f"{path}: no rows with split '{split}'. Splits: {', '.join(sorted(set(names) - {''}))}.")
        other_splits = {str(k): int(v) for k, v in names[names != split].value_counts().items()}
        attrs = table.attrs
        table = table[(names == split).to_numpy()]
        table.attrs = attrs
    # A code matrix (a spreadsheet's or a QDA tool's export: one 0/1 column per theme) read as the codes cells it
    # stands for. Before, its columns were "no column of gold codes".
    indicators = _indicator_columns(table, codebook, path) \
        if codebook.themes and not any(c in lowered for c in THEME_COLUMNS) else {}
    if indicators:
        attrs = table.attrs
        codes_cells_read, blank_is_none = _from_indicators(table, indicators)
        table = table.assign(themes=codes_cells_read)
        table.attrs = attrs
        lowered["themes"] = "themes"
    dimension_columns = _dimension_columns(codebook, lowered)
    _refuse_renamed_dimension_column(table, codebook, dimension_columns, path)
    # A file coded for several codebooks (themes and framework) serves each: a framework codebook
    # reads its dimension columns and leaves the themes column to the themes codebook.
    codes_cells = next((lowered[c] for c in THEME_COLUMNS if c in lowered), None)
    theme_column = codes_cells if codebook.themes or not dimension_columns else None
    if theme_column is None and not dimension_columns:
        wanted = ("a column 'themes' (';'-joined ids, 'none' for none)" if codebook.themes else
                  "one column per dimension (" + ", ".join(d.id for d in codebook.dimensions) + ")")
        from themes.ingest import READERS, _sheet_names

        where, columns = "", list(table.columns)
        if sheet is None and READERS.get(path.suffix.lower()) == "excel" and len(names := _sheet_names(path)) > 1:
            coding = next((name for name in names if name.strip().lower().startswith("coding")), None)
            if coding is not None and coding != names[0]:  # a coding workbook whose 'themes' header was renamed
                columns = list(read_table(path, sheet=coding).columns)
                where = f" (of its '{coding}' sheet; no sheet has a 'themes' column)"
            else:
                where = (f" (no sheet has one; read the first, '{names[0]}', of {', '.join(repr(n) for n in names)}: "
                         "a coding workbook's codes are on its Coding sheet)")
        raise GoldError(f"{path}: no column of gold codes; name {wanted}. Columns: {', '.join(columns)}{where}."
                        + _another_codebooks_columns(columns, codebook))
    text_column = next((lowered[c] for c in TEXT_COLUMNS if c in lowered), None)
    coded = [[] for _ in range(len(table))]
    # A coding workbook of a run of two codebooks lists both's ids, and its coders write both in one cell: each
    # codebook reads its own and leaves the other's (each was "unknown theme" to the other).
    # Only the other kind's ids (types 'dimension.type' for a codebook of themes, themes for a framework), and only
    # when the workbook lists most of this codebook's: one whose codebook renamed a theme since still stops at the
    # code it no longer knows, and one that gained a theme still leaves the framework's codes aside.
    listed = {codebook.current_code(code): label for code, label in _sampled_ids(path, sheet).items()}
    other_kind = ((lambda code: "." in code) if not codebook.dimensions else
                  (lambda code: "." not in code) if not codebook.themes else (lambda code: False))
    if listed:
        aside = {code for code in set(listed) - set(codebook.ids) if other_kind(code)} \
            if len(set(listed) & set(codebook.ids)) >= 0.5 * len(codebook.ids) else set()
        aside |= {listed[code] for code in aside if listed[code]}  # coded by its name ("Service model: Joint")
    else:  # a coding sheet saved as CSV, or written by hand: no Instructions list the other codebook's ids
        aside = _other_codebooks_ids(table[theme_column], codebook) if theme_column is not None else set()
    left: dict[str, int] = {}
    loose: Counter = Counter()
    wrong: list[tuple[int, GoldError]] = []  # every cell a coder must mend, said at once (row, problem)
    # The sheet's own row numbers: the reader dropped blank rows and kept their numbers in the index.
    sheet_rows = [int(i) + 2 for i in table.index] if pd.api.types.is_integer_dtype(table.index) else \
        list(range(2, len(table) + 2))
    if theme_column is not None:
        table[theme_column] = table[theme_column].map(_typed_codes)
        _refuse_codes_beside(table, theme_column, codebook, path, sheet_rows)
        for position, (row, value) in enumerate(zip(sheet_rows, table[theme_column])):
            try:
                coded[position] = _parse_themes(value, codebook, path, row, aside=aside, left=left,
                                                listed=set(listed), loose=loose)
            except GoldError as error:
                wrong.append((row, error))
    # Two types of one dimension in one cell ("service_model.referral; service_model.coordinated"): read as the most
    # integrated, as a run takes an answer's and a QDA project's selections are read; said with its rows, as a coder's
    # slip may be behind it (review 145: read so with no word).
    kinds = {d.id: [k.id for k in d.types] for d in codebook.dimensions}
    two_types = [(row, dimension, found) for row, codes in zip(sheet_rows, coded) for dimension in kinds
                 if len(found := [c.split(".", 1)[1] for c in codes if c.startswith(f"{dimension}.")]) > 1]
    for dimension in codebook.dimensions:
        if dimension.id not in dimension_columns:
            continue
        column = dimension_columns[dimension.id]
        table[column] = table[column].map(_typed_codes)
        cells = table[codes_cells].tolist() if codes_cells else [None] * len(table)
        for position, (row, value, cell) in enumerate(zip(sheet_rows, table[column], cells)):
            parts = [p for p in _SPLIT_THEMES.split(str(value if value == value else "").strip()) if p]
            try:
                if len(parts) > 1:  # "referral; coordinated" in the dimension's column: as in the codes cell
                    found = [_parse_type(part, dimension, path, row) for part in parts]
                    found = list(dict.fromkeys(k.split(".", 1)[1] for k in found if k))
                    chosen = most_integrated([f"{dimension.id}.{k}" for k in found], dimension.id, kinds[dimension.id])
                    kind = f"{dimension.id}.{chosen}" if found else None
                    if len(found) > 1:
                        two_types.append((row, dimension.id, found))
                else:
                    kind = _parse_type(value, dimension, path, row)
                    _count_loose_type(value, kind, dimension, loose)
            except GoldError as error:
                wrong.append((row, error))
                continue
            # A type in the codes cell too, another than the column's: one of them was not read, with no word.
            elsewhere = _types_named(cell, dimension)
            other = [named for named in elsewhere if named != kind]
            if other and str(value if value == value else "").strip():
                wrong.append((row, GoldError(
                    f"{path}:{row}: the '{codes_cells}' cell codes {other[0]} and the '{column}' column "
                    f"{kind.removeprefix(dimension.id + '.') if kind else 'none'}: give a dimension's type in its own "
                    "column only, and run again.")))
            if kind is not None and kind not in coded[position]:  # the codes cell may name it too
                coded[position].append(kind)
    # No typo of a known id ("fundng"), and no other kind's code (a theme in a framework's read, said apart)
    unknown: Counter = Counter()
    for _, error in wrong if codebook.themes else ():
        if found := re.search(r": unknown theme '([^']*)'", str(error)):
            code = found.group(1).lower()
            if not _typo(code, difflib.get_close_matches(code, codebook.ids, n=1)):
                unknown[code] += 1
    filled = int(table[theme_column].map(lambda v: bool(str(v if v == v else "").strip())).sum()) \
        if theme_column is not None else 0
    # ...and more such codes than of its own: one id renamed since the coding ("funding" among trust, data and
    # engagement) is a rename, which the first cell's "formerly" hint is for (review 153)
    known = {code for codes in coded for code in codes if code in codebook.ids}
    if sum(unknown.values()) >= max(3, 0.5 * filled) and len(unknown) > len(known):
        # Most cells of codes this codebook lacks: coded for another codebook (review 150: the shipped codebook, the
        # default, read a researcher's own codes, and the first cell's "Did you mean 'data_challenges'?" and
        # "formerly" hints pointed the wrong way)
        codes = ", ".join(f"'{code}'" for code, _ in unknown.most_common(4)) + (", ..." if len(unknown) > 4 else "")
        raise GoldError(f"{path}: {sum(unknown.values())} of its {filled} coded rows carry codes the codebook "
                        f"'{codebook.name}' lacks ({codes}; it knows {', '.join(codebook.ids[:6])}"
                        f"{', ...' if len(codebook.ids) > 6 else ''}): was the file coded for another codebook? Pass "
                        "that one with --codebook.")
    if wrong:
        rows = sorted({row for row, _ in wrong[1:]} - {wrong[0][0]})
        more = (f" Also rows {', '.join(map(str, rows[:10]))}{' ...' if len(rows) > 10 else ''} "
                f"({len(wrong) - 1} more cell{'s' if len(wrong) != 2 else ''} to mend)." if len(wrong) > 1 else "")
        first = str(wrong[0][1])
        drawn = lowered.get("passage_id") or lowered.get("sample_id")
        if drawn and f":{wrong[0][0]}: " in first:  # the draw's id too: coders re-sort the sheet (review 160)
            value = table[drawn].iloc[sheet_rows.index(wrong[0][0])]
            if str(value).strip() and value == value:
                first = first.replace(f":{wrong[0][0]}: ", f":{wrong[0][0]} ({drawn} {str(value).strip()}): ", 1)
        raise GoldError(first + more)
    gold = pd.DataFrame({"gold": coded})
    gold["split"] = table[lowered["split"]].str.strip().str.lower().to_numpy() if "split" in lowered else "all"
    # A passage's id: its own, else the draw's (`themes sample`'s S001, which stays with the row when coders re-sort
    # the sheet; review 145), else the sheet's row
    named = lowered.get("passage_id") or lowered.get("sample_id")
    gold["passage_id"] = table[named].to_numpy() if named else [f"row{r}" for r in sheet_rows]
    if "question" in lowered:  # the question each passage answers: context for the classifier
        gold["question"] = table[lowered["question"]].fillna("").astype(str).str.strip().to_numpy()
    if {"respondent_id", "question"} <= set(lowered):  # keys into a run: a coded sample of the survey
        gold["respondent_id"] = _own_ids(table[lowered["respondent_id"]].astype(str).str.strip(), answers)
    if text_column is not None:
        gold["text"] = table[text_column].astype(str).to_numpy()
    elif {"respondent_id", "question"} <= set(lowered):
        gold["text"] = _texts_by_key(table, lowered, answers, path)
    else:
        raise GoldError(f"{path}: no passage text column (one of {', '.join(TEXT_COLUMNS)}) and no "
                        f"'respondent_id' + 'question' keys. Columns: {', '.join(table.columns)}.")
    not_coded, codes_elsewhere, marks, none_marks = 0, None, [], {}
    code_columns = ([theme_column] if theme_column is not None else []) + list(dimension_columns.values())
    if code_columns:
        # An empty codes cell is an answer nobody coded yet (a coding workbook half done), not "none": left
        # out and counted. A passage with no theme says so ("none"), and one that does not address a dimension
        # says so in that dimension's cell ("none"): a row whose codes cells are all empty is not coded yet; read
        # as "none", a framework coded for half the rows counted the other half as not addressing it.
        marked = {column: table[column].map(_only_marks).to_numpy() for column in code_columns}
        blank = {column: (table[column].isna() | (table[column].astype(str).str.strip() == "")).to_numpy()
                 | marked[column] for column in code_columns}
        empty = np.logical_and.reduce(list(blank.values()))
        seen = [str(v).strip() for column in code_columns for v in table.loc[empty & marked[column], column]]
        marks = list({mark.lower(): mark for mark in reversed(seen)}.values())[::-1]  # each once, in any case
        typed = [str(v).strip() for column in code_columns for v in table[column]
                 if str(v).strip().lower() in _TYPED_NONE]
        none_marks = {mark: typed.count(mark) for mark in dict.fromkeys(typed)}
        # Some cells of a row coded and others empty (the framework coded on half the rows after the themes on
        # all): dropping the row loses its finished codes, reading the empty cells as "none" biases the counts.
        partial = np.logical_or.reduce(list(blank.values())) & ~empty
        if partly:
            # Which part each cell codes: the themes column also codes the dimensions written in it
            # ('service_model.referral') that have no column of their own.
            parts = {column: [dimension for dimension, own in dimension_columns.items() if own == column]
                     for column in dimension_columns.values()}
            if theme_column is not None:
                parts[theme_column] = (["themes"] if codebook.themes else []) + [
                    d.id for d in codebook.dimensions if d.id not in dimension_columns]
            gold["uncoded"] = [tuple(part for column in code_columns if blank[column][row] for part in parts[column])
                               for row in range(len(gold))]
        elif partial.any():
            row = int(np.flatnonzero(partial)[0])
            missing = [column for column in code_columns if blank[column][row]]
            rows = int(partial.sum())
            raise GoldError(f"{path}:{sheet_rows[row]}: the '{missing[0]}' cell is empty while the row's other codes "
                            f"are written ({rows} row{'s' if rows != 1 else ''} like it). Code every column of those "
                            "rows ('none' where an answer has no theme or does not address a dimension), or leave that "
                            "column out of the file (what it codes then stays raw).")
        not_coded = int(empty.sum())
        if not_coded == len(gold) and len(gold) and len(code_columns) == 1:
            elsewhere = _codes_elsewhere(table, code_columns[0], codebook)
            where = (f" The column '{elsewhere}' holds theme codes: move them into '{code_columns[0]}', or name that "
                     f"column '{code_columns[0]}' (and the empty one otherwise)." if elsewhere else "")
            raise GoldError(f"{path}: every '{code_columns[0]}' cell is empty: nothing is coded yet. Write each "
                            "passage's codes (';'-joined ids, 'none' for a passage with no theme) and run again."
                            + where)
        if not_coded == len(gold) and len(gold):
            named = ", ".join(f"'{column}'" for column in code_columns)
            raise GoldError(f"{path}: every {named} cell is empty: nothing is coded yet. Write each passage's codes "
                            "('none' for a passage with no theme, or where it does not address a dimension) and run "
                            "again.")
        if not_coded and len(code_columns) == 1:
            # Some rows' codes typed in a column of their own ("codes"), their codes cells empty: said with the rows
            # left out, which they are (the column is not read).
            elsewhere = _codes_elsewhere(table[empty], code_columns[0], codebook)
            if elsewhere is not None:
                held = sum(bool(_parts(str(cell))) for cell in table.loc[empty, elsewhere].fillna(""))
                codes_elsewhere = (elsewhere, held, str(code_columns[0]))
        gold = gold[~empty]
    repeated: list = []
    if "respondent_id" in gold.columns:  # a coded sample: each answer of the survey once
        first: dict[tuple[str, str], int] = {}
        for position, key in zip(gold.index, zip(gold["respondent_id"].astype(str), gold["question"].astype(str))):
            if key in first:
                raise GoldError(f"{path}: respondent '{key[0]}', question '{key[1]}' is coded twice (rows "
                                f"{sheet_rows[first[key]]} and {sheet_rows[position]}); code each answer once.")
            first[key] = position
    else:
        # The same passage again with the same codes (a block pasted twice): read once, said. Counted twice, 60
        # passages read as 120, past the 100 a figure is reported from (review 178)
        repeated = _refuse_coded_two_ways(path, gold, sheet_rows)
        gold = gold.drop(index=repeated)
    if split is not None:
        gold = gold[gold["split"] == split]  # every row by now: the table was read for the split alone
    has_text = gold["text"].str.strip() != ""
    without_text = int((~has_text).sum())  # said, as rows with an empty codes cell are: 30 rows went with no word
    gold = gold[has_text].reset_index(drop=True)
    if gold.empty:
        raise GoldError(f"{path}: no coded passages with text.")
    codes = {tuple(sorted(g)) for g in gold["gold"]}
    if len(codes) < 2 and not one_of_several:  # several files of one sample: checked on them together
        # One class agrees with anything trivially (kappa 1.000 from one row): that is no measurement.
        only = ", ".join(next(iter(codes))) or "none"
        raise GoldError(f"{path}: every one of its {len(gold)} coded passage(s) has the same codes ({only}), so "
                        f"agreement cannot be measured. Read columns: text '{text_column or 'by key'}', codes "
                        f"'{theme_column or ', '.join(dimension_columns.values())}'; check them and code more "
                        "passages" + (f" ({not_coded} rows with an empty codes cell are not coded yet)." if not_coded
                                      else "."))
    gold.attrs["not_coded"] = not_coded
    gold.attrs["repeated"] = len(repeated)
    gold.attrs["not_coded_marks"] = marks
    gold.attrs["none_marks"] = none_marks
    gold.attrs["two_types"] = [(row, dimension, found, most_integrated([f"{dimension}.{k}" for k in found], dimension,
                                                                       kinds[dimension]))
                               for row, dimension, found in two_types]
    gold.attrs["other_splits"] = other_splits
    gold.attrs["questions_renamed"] = renamed_questions
    gold.attrs["loose"] = {kind: n for kind, n in loose.items() if " -> " not in kind}
    gold.attrs["formerly"] = {kind: n for kind, n in loose.items() if " -> " in kind}  # cells by an old id, by id
    gold.attrs["without_text"] = without_text
    # Themes the workbook's Instructions do not list: drawn before they were added, so its coders could not give
    # them, and its "none" is no "not this theme" (review 160: precision 0.000 on a theme they never had)
    gold.attrs["coded_without"] = [theme.id for theme in codebook.themes if theme.id not in listed] \
        if listed and gold.attrs.get("themes_coded", theme_column is not None) else []
    gold.attrs["codes_elsewhere"] = codes_elsewhere
    # The draw's row ids as the file holds them (`themes sample` numbers its rows s001, s002, ...): a row a coder
    # deleted leaves a gap (draw_rows_missing).
    gold.attrs["sample_ids"] = [str(value).strip() for value in table[lowered["sample_id"]] if value == value] \
        if "sample_id" in lowered else []
    # What the file codes: a coded sample of a themes-and-framework run may code only the themes.
    gold.attrs["themes_coded"] = theme_column is not None
    # A dimension is coded in a column of its own, or in the themes column ('service_model.referral'): a file
    # whose themes column names no type at all coded the themes alone (unless the codebook has no themes).
    in_themes_column = theme_column is not None and (not codebook.themes or any(
        "." in code for codes in gold["gold"] for code in codes))
    gold.attrs["coded_dimensions"] = [d.id for d in codebook.dimensions
                                      if d.id in dimension_columns or in_themes_column]
    if "uncoded" in gold.columns:  # a part no row codes yet (the framework's cells all empty) is not coded
        def coded_anywhere(part: str) -> bool:
            return any(part not in left for left in gold["uncoded"])

        gold.attrs["themes_coded"] = gold.attrs["themes_coded"] and coded_anywhere("themes")
        gold.attrs["coded_dimensions"] = [d for d in gold.attrs["coded_dimensions"] if coded_anywhere(d)]
    codes = [] if theme_column is None else [
        "one 0/1 column per theme (" + ", ".join(f"'{c}'" for c in indicators.values()) + (
            "; no cell is 0, so an empty cell is 0 and a row with no mark is 'none'" if blank_is_none else
            "; a row of marks all empty is not coded yet, an empty cell beside a written one is 0") + ")"] \
        if indicators else [f"'{theme_column}'"]
    gold.attrs["read"] = {
        "sheet": sheet,
        "text": f"'{text_column}'" if text_column is not None else "looked up by 'respondent_id' + 'question'",
        "codes": ", ".join([*codes, *(_dimension_column_read(codebook, d, c)
                                                           for d, c in dimension_columns.items())]),
        "question": f"'{lowered['question']}'" if "question" in lowered else None,
        "coders": table.attrs.get("coders", ""),
        "by_paragraph": table.attrs.get("by_paragraph", 0),
        "tied_primary": table.attrs.get("tied_primary", 0),
        "aside": ", ".join(f"{code} ({n})" for code, n in sorted(left.items())[:6])
        + (f" and {len(left) - 6} more" if len(left) > 6 else "")}
    return gold


def _sampled_ids(path: Path, sheet: str | None) -> dict[str, str]:
    """The ids a coding workbook's Instructions sheet lists (`themes sample`), each with its name (lower case), or
    none for other files."""
    from themes.ingest import READERS

    if sheet is None or READERS.get(path.suffix.lower()) != "excel":
        return {}
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        if "Instructions" not in book.sheetnames:
            return {}
        ids, listing = {}, False
        for row in book["Instructions"].iter_rows(values_only=True):
            first = str(row[0]).strip() if row and row[0] is not None else ""
            if listing and not first:
                break
            if listing:
                ids[first.lower()] = str(row[1] or "").strip().lower() if len(row) > 1 else ""
            listing = listing or (first == "id" and len(row) > 1 and str(row[1]).strip() == "name")
        ids.pop(NONE, None)
        return ids
    finally:
        book.close()


_TYPE_ID = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")  # a framework's "dimension.type"


def _other_codebooks_ids(cells: pd.Series, codebook: Codebook) -> set[str]:
    """In a codes column with no Instructions beside it (a run of two codebooks' coding sheet saved as CSV), the
    framework's types a codebook of themes leaves to it: ids of the shape "dimension.type" (no theme id has a dot),
    none of whose parts is one of this codebook's ids and which is no near miss of one ("trust.data_challenges" and
    "data.challenges" are typos, and stop the read). A framework cannot tell another codebook's theme id from a typo
    or a coder's "unclear" by its shape, so it sets nothing aside: such a sheet is read by the framework from its
    workbook, whose Instructions list the themes."""
    if codebook.dimensions:
        return set()
    items: set[str] = set()
    rows: Counter = Counter()  # how many rows code each dimension ("data" of "data.full_access")
    for cell in cells:
        found = {part.strip() for item in _SPLIT_THEMES.split(str(cell if cell == cell else "").strip().lower())
                 for part in (item, *item.split("/"))}
        items |= found
        rows.update({item.split(".")[0] for item in found if "." in item})
    known = sorted(set(codebook.ids) | set(codebook.renamed) | {c.label.lower() for c in codebook.categories})
    if not items & set(known):  # no code of this codebook at all: not a sheet of two codebooks, but another's
        return set()
    # A framework's dimension is coded on several rows; an abbreviation typed once ("cultural.diff") is a typo.
    return {item for item in items - set(known) if _TYPE_ID.fullmatch(item) and rows[item.split(".")[0]] >= 2
            and not set(item.split(".")) & set(codebook.ids)
            and not difflib.get_close_matches(item.replace(".", "_"), known, n=1, cutoff=0.8)}


def _files(paths: str | Path | Sequence[str | Path]) -> list[str | Path]:
    """A coded sample's files: one path, or several."""
    return [paths] if isinstance(paths, (str, Path)) else list(paths)


def read_coded_sample(paths: str | Path | Sequence[str | Path], codebook: Codebook,
                      answers: pd.DataFrame) -> pd.DataFrame:
    """A coded random sample of the survey (`themes sample`'s workbook, or any file keyed by respondent_id and
    question), as gold rows that carry their respondent: what the counts' correction reads. Several files are
    draws of one sample (each drawn with `themes sample --exclude` of those before): read as one, each answer
    once; what the sample codes is what every file codes."""
    paths = _files(paths)
    twice = next((path for k, path in enumerate(paths) if Path(path).resolve() in
                  {Path(p).resolve() for p in paths[:k]}), None)
    if twice is not None:
        raise GoldError(f"{twice} is given twice as the coded sample; give each file of the sample once.")
    parts = []
    for path in paths:
        # A small top-up draw coded all 'none' is a part of the sample: uniform codes are checked on the whole
        # (review 145: refused per file)
        coded = read_gold(path, codebook, answers=answers, partly=True, one_of_several=len(paths) > 1)
        drawn = [i for i in coded.attrs.get("sample_ids", []) if i]
        if "respondent_id" not in coded.columns and drawn and all(_SAMPLE_ID.fullmatch(i) for i in drawn):
            # themes sample's ids with its keys gone: a sorting or tidying of the workbook (review 145: told to use
            # evaluate instead)
            raise GoldError(f"{path}: its sample_ids are a draw of themes sample's, but its 'respondent_id' and "
                            "'question' columns are gone, and they name each answer the counts are corrected on. "
                            "Put them back from the file the draw wrote (copy the columns, rows matched by "
                            "sample_id).")
        if "respondent_id" not in coded.columns:
            raise GoldError(f"{path}: a coded sample names each answer by 'respondent_id' and 'question' (themes "
                            "sample writes them); this file has passages without them. Use it with themes evaluate "
                            "or calibrate, or code a sample drawn by themes sample.")
        parts.append(coded)
    if len(parts) == 1:
        return parts[0]
    combined = pd.concat(parts, ignore_index=True)
    codes = {tuple(sorted(g)) for g in combined["gold"]}
    if len(codes) < 2:
        only = ", ".join(next(iter(codes))) or "none"
        raise GoldError(f"{' + '.join(map(str, paths))}: every one of their {len(combined)} coded passages has the "
                        f"same codes ({only}), so agreement cannot be measured; check the codes columns and code more "
                        "passages.")
    source = np.repeat(np.arange(len(parts)), [len(part) for part in parts])
    keys = list(zip(combined["respondent_id"], combined["question"]))
    seen: dict[tuple, int] = {}
    for key, file in zip(keys, source):  # read_gold refused an answer coded twice in one file
        if key in seen:
            one, other = seen[key], file

            def coded(part: pd.DataFrame) -> dict[tuple, tuple]:
                return {(r, q): tuple(sorted(g)) for r, q, g in zip(part["respondent_id"], part["question"],
                                                                     part["gold"])}

            first, second = coded(parts[one]), coded(parts[other])
            shared = first.keys() & second.keys()
            if len(shared) >= 0.5 * min(len(first), len(second)):
                if all(first[k] == second[k] for k in shared):  # a merged file beside its part, or a copy
                    raise GoldError(f"{paths[one]} and {paths[other]} hold the same {len(shared)} answers with the "
                                    f"same codes (of {len(first)} and {len(second)}): one holds the other, or both "
                                    "a draw made again without --exclude. Give each answer once: leave out the file "
                                    "whose answers the other holds.")
                # Most answers of one in the other, coded otherwise: two coders' files of one draw, not two draws.
                raise GoldError(f"{paths[one]} and {paths[other]} code the same {len(shared)} answers (of "
                                f"{len(first)} and {len(second)}): two coders' codings of one sample, "
                                "not two draws of it. Give one file, the codes the coders settled on; each answer "
                                "counts once.")
            raise GoldError(f"{paths[seen[key]]} and {paths[file]} both code respondent '{key[0]}', question "
                            f"'{key[1]}': a coded sample holds each answer once. Keep one row (a draw with themes "
                            "sample --exclude of the other files never repeats one).")
        seen[key] = file
    # Each file must code what the others code: a theme or dimension coded in one part only is not coded on a
    # random sample of the survey, and its error rates would come from that part alone.
    def codes(part: pd.DataFrame) -> str:
        items = (["the themes"] if codebook.themes and part.attrs.get("themes_coded", True) else []) + \
            list(part.attrs.get("coded_dimensions", []))
        return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items) or "nothing"

    for path, part in zip(paths[1:], parts[1:]):
        if codes(part) != codes(parts[0]):
            raise GoldError(f"{paths[0]} codes {codes(parts[0])}; {path} codes {codes(part)}: the files of one "
                            "coded sample must code the same things. Code the same columns in each, or pass only "
                            "the files that do.")
    combined.attrs.update({key: parts[0].attrs[key] for key in ("themes_coded", "coded_dimensions", "read")
                           if key in parts[0].attrs})
    combined.attrs["not_coded"] = sum(part.attrs.get("not_coded", 0) for part in parts)
    combined.attrs["not_coded_marks"] = sorted({m for part in parts for m in part.attrs.get("not_coded_marks") or []})
    combined.attrs["two_types"] = [found for part in parts for found in part.attrs.get("two_types") or []]
    typed: dict[str, int] = {}
    for part in parts:
        for mark, n in (part.attrs.get("none_marks") or {}).items():
            typed[mark] = typed.get(mark, 0) + n
    combined.attrs["none_marks"] = typed
    combined.attrs["without_text"] = sum(part.attrs.get("without_text", 0) for part in parts)
    combined.attrs["codes_elsewhere"] = next((part.attrs["codes_elsewhere"] for part in parts
                                              if part.attrs.get("codes_elsewhere")), None)
    combined.attrs["sample_ids"] = [i for part in parts for i in part.attrs.get("sample_ids", [])]
    combined.attrs["file_rows"] = [len(part) for part in parts]  # which file each row came from, in order
    combined.attrs["files"] = [str(path) for path in paths]
    combined.attrs["questions_renamed"] = {k: v for part in parts
                                           for k, v in (part.attrs.get("questions_renamed") or {}).items()}
    return combined


def _as_run_questions(names, answers: pd.DataFrame | None) -> dict[str, str]:
    """A coded file's question names to this input's, where they differ only in case, spaces, underscores or
    hyphens ('challenges' as 'Challenges'), each to one of the input's: batch 1's sample on batch 2's export, whose
    tool capitalised its headers, stopped the run ("not a usable answer of this input"; review 165), though the
    classifier reads 'Challenges' as 'challenges'. Said by `questions_renamed`."""
    if answers is None or "question" not in answers.columns:
        return {}
    mine = set(answers["question"].astype(str))
    by_key: dict[str, list[str]] = {}
    for name in mine:
        by_key.setdefault(spelling_key(name), []).append(name)
    return {name: by_key[spelling_key(name)][0] for name in {str(n).strip() for n in names} - mine
            if len(by_key.get(spelling_key(name), [])) == 1}


def questions_renamed(coded: pd.DataFrame, paths) -> str | None:
    """A warning naming the coded sample's questions read under this input's names (`_as_run_questions`)."""
    renamed = coded.attrs.get("questions_renamed") or {}
    if not renamed:
        return None
    pairs = ", ".join(f"'{mine}' as '{theirs}'" for mine, theirs in sorted(renamed.items()))
    return f"{' + '.join(map(str, _files(paths)))}: questions read under this input's names: {pairs}."


def codable_only(coded: pd.DataFrame, paths, screened: pd.DataFrame, *,
                 project: bool = False) -> tuple[pd.DataFrame, str | None]:
    """The coded sample without the answers of this survey the run does not code (a placeholder, a duplicate, another
    language), and a line that says which: a sample coded before the screen learned a placeholder ("Too soon to tell.")
    is still a random sample of the answers the run codes, less those. Answers not in the survey at all are left
    for `not_in_survey` to refuse."""
    from themes.status import CODABLE

    status = {(str(r), str(q)): (s, reason) for r, q, s, reason in zip(
        screened["respondent_id"], screened["question"], screened["status"],
        screened["reason"] if "reason" in screened.columns else [""] * len(screened))}
    keys = list(zip(coded["respondent_id"].astype(str), coded["question"].astype(str)))
    out = [k for k, key in enumerate(keys) if key in status and status[key][0] not in CODABLE]
    # Respondents not in this input at all, where they are a few of the sample's (withdrawn since the draw, or left
    # out of this export): their rows are left out, said. Batch 1's sample with a respondent batch 2 no longer holds
    # stopped the run, and deleting the rows drew "Put the rows back" (review 165). Many such rows are another
    # survey's sample: left for `not_in_survey` to refuse.
    # In a project, a coded respondent not in it yet is one of a batch to come (`coded_in_project` says so).
    present = set(screened["respondent_id"].astype(str))
    # A pseudonym another machine's key made is not a withdrawal: `not_in_survey` names the key (review 166)
    absent = [] if project else [k for k, (respondent, _) in enumerate(keys) if respondent not in present
                                 and not re.fullmatch(r"resp-[0-9a-f]{8}", respondent)]
    # Ids written otherwise only where no coded id is the input's as written: digits alone match A7 with B7, or a
    # Qualtrics id with another's one digit (review 166)
    if absent and len(absent) > max(_MOST_ABSENT * len(keys), 0) or (
            not any(r in present for r, _ in keys) and _ids_written_otherwise([keys[k][0] for k in absent], present)):
        absent = []
    if not out and not absent:
        return coded, None
    notes = []
    if absent:
        gone = list(dict.fromkeys(keys[k][0] for k in absent))
        notes.append(f"{coded_sample_name(paths)}: {len(absent)} coded answer{'s' if len(absent) != 1 else ''} of "
                     f"{len(gone)} respondent{'s' if len(gone) != 1 else ''} not in this input at all ("
                     + ", ".join(f"'{r}'" for r in gone[:3]) + (", ..." if len(gone) > 3 else "")
                     + ": withdrawn, or left out of this export?) left out of the correction")
    out = sorted(set(out) | set(absent))
    keep = np.ones(len(coded), dtype=bool)
    keep[out] = False
    rows = coded.attrs.get("file_rows", [len(coded)])
    files = np.repeat(np.arange(len(rows)), rows)  # each row's file
    kept = coded[keep].reset_index(drop=True).pipe(_with_attrs, coded.attrs)
    kept.attrs["file_rows"] = [int((files[keep] == k).sum()) for k in range(len(rows))]
    screened_out = [k for k in out if keys[k] in status]
    # ... and how many of each, which the report's method section says (review 176: the rows were said on the console
    # alone, and the report's count of answers did not add up to the file's)
    kept.attrs["left_out"] = {"not_in_input": len(absent), "not_coded": len(screened_out)}
    if screened_out:
        first = keys[screened_out[0]]
        why = status[first][1] or status[first][0]
        notes.insert(0, f"{coded_sample_name(paths)}: {len(screened_out)} coded answer"
                        f"{'s' if len(screened_out) != 1 else ''} the run does not code (e.g. respondent '{first[0]}', "
                        f"question '{first[1]}': {status[first][0]}, {why}) left out of the correction: a random "
                        "sample of the answers it codes, less those")
    return kept, "; ".join(notes)


_MOST_ABSENT = 0.05  # of a coded sample's rows, whose respondents an input may lack before it is another's sample


def _ids_written_otherwise(ids: list[str], present: set[str]) -> tuple[str, str] | None:
    """A coded id and one of the input's with the same number ('012' and '12', 'R001' and '1'), where no coded id is
    the input's as written: one survey's ids, written otherwise by its two exports."""
    from themes.rundiff import _written_differently

    return _written_differently(list(dict.fromkeys(ids)), sorted(present)) if ids else None


def not_in_survey(coded: pd.DataFrame, paths: str | Path | Sequence[str | Path], usable: pd.DataFrame) -> str | None:
    """One line when coded answers are not usable answers of this survey (another survey's sample, questions
    renamed), naming the file; None when every one is."""
    paths = _files(paths)
    held = set(zip(usable["respondent_id"].astype(str), usable["question"].astype(str)))
    keys = list(zip(coded["respondent_id"].astype(str), coded["question"].astype(str)))
    missing = [k for k, key in enumerate(keys) if key not in held]
    if not missing:
        return None
    ends = np.cumsum(coded.attrs.get("file_rows", [len(coded)]))
    file = paths[int(np.searchsorted(ends, missing[0], side="right"))] if len(paths) > 1 else paths[0]
    respondent, question = keys[missing[0]]
    everyone = set(usable["respondent_id"].astype(str))
    pair = _ids_written_otherwise([keys[k][0] for k in missing if keys[k][0] not in everyone], everyone)
    if pair and not any(r in everyone for r, _ in keys):
        return (f"{file}: its respondent ids are written otherwise than this input's ({pair[0]!r} in the sample, "
                f"{pair[1]!r} here; {len(missing)} coded answers): the two files are one survey's exports whose ids "
                "differ in writing (a spreadsheet drops leading zeros). Write the sample's ids as the input writes "
                "them, or read the input with its ids as text, and run again.")
    if re.fullmatch(r"resp-[0-9a-f]{8}", respondent) and question in {q for _, q in held}:
        from themes.quotes import PSEUDONYM_KEY_ENV

        return (f"{file}: respondent '{respondent}' is a pseudonym this machine's key does not make for any "
                f"respondent of this input ({len(missing)} coded answer{'s' if len(missing) != 1 else ''} like it): "
                f"was the sample drawn on another machine? Set {PSEUDONYM_KEY_ENV} to the key that machine keeps "
                "(the text of ~/.config/themes/pseudonym.key there) and run again.")
    absent = {keys[k][0] for k in missing if keys[k][0] not in everyone}
    if len(absent) == len({keys[k][0] for k in missing}) and _same_survey(coded, keys, usable, set(missing)):
        # The whole survey's sample on a run of part of it: "code a sample drawn from this survey", which it was
        # (review 173)
        return (f"{file}: {len(missing)} of its {len(keys)} coded answers are of {len(absent)} respondent"
                f"{'s' if len(absent) != 1 else ''} this input does not hold (e.g. '{respondent}'), as where a sample "
                "of the whole survey meets a run on part of it. Keep only the rows of this input's respondents (they "
                "are a random sample of its answers still), or run on the whole survey.")
    return (f"{file}: respondent '{respondent}', question '{question}' is not a usable answer of this input "
            f"({len(missing)} coded answer{'s' if len(missing) != 1 else ''} like it); code a sample drawn from this "
            "survey (themes sample), its ids and question names as the run reads them.")


def _same_survey(coded: pd.DataFrame, keys: list[tuple[str, str]], usable: pd.DataFrame, missing: set[int]) -> bool:
    """Most of the coded answers this input holds by key (three at least, or all where fewer) are its answers word for
    word: one survey's sample, not another's whose ids are numbered alike."""
    if "text" not in coded.columns or "answer" not in usable.columns:
        return False
    answers = dict(zip(zip(usable["respondent_id"].astype(str), usable["question"].astype(str)),
                       usable["answer"].astype(str)))
    texts = coded["text"].astype(str).tolist()
    held = [k for k in range(len(keys)) if k not in missing and texts[k].strip()]
    same = sum(_same_text(texts[k], answers[keys[k]]) for k in held)
    return same >= min(3, len(held)) > 0 and 2 * same > len(held)


_PLACEHOLDER_WORD = re.compile(r"\[(?:name|email|phone|url|id|address|date of birth)\]")
# Words no name is made of: a '[name]' standing for them stood for something else ("the clinic").
_NOT_IN_NAMES = {"the", "a", "an", "our", "their", "my", "your", "his", "her", "its", "this", "that", "these",
                 "those", "to", "of", "in", "on", "at", "for", "with", "and", "or", "not", "never", "no"}
_NEGATIONS = {"not", "no", "never", "nor", "without", "cannot", "don't", "doesn't", "didn't", "isn't", "aren't",
              "wasn't", "weren't", "won't", "can't", "couldn't", "shouldn't", "wouldn't", "haven't", "hasn't"}
_CELL_LIMIT = 32_767  # Excel's characters per cell: a coding workbook holds a longer answer cut there


def _same_text(coded: str, *answers: str) -> bool:
    """A coded answer's text is the run's answer when, spacing, case, Unicode form, curly quotes and the
    punctuation around words aside, they are equal, differ by a few words changed one or two at a time (a typo a
    coder fixed) or by names and contact details a coder's copy writes as '[name]', or the coded text is the
    answer cut where a workbook's cell ends ('…', '...', or Excel's limit). A phrase or sentence added or removed
    is another answer: the themes it carries are not in the codes (an answer extended since the draw read as
    coded)."""
    def plain(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", str(text)).split()).casefold().translate(STRAIGHT_QUOTES)

    def bare(text: str) -> list[str]:
        return [w for w in (w.strip(".,;:!?()\"'-–—…") for w in text.split()) if w]

    mine = plain(coded)
    for answer in map(plain, answers):
        if mine == answer:
            return True
        # A workbook's cut: its own "…", Excel's limit, or "..." after a long text (a respondent's "but..." is theirs)
        cut = re.sub(r"(?:\u2026|\.\.\.)$", "", mine).rstrip()
        marked = mine.endswith("\u2026") or (mine.endswith("...") and len(cut) >= 200)
        if (marked or len(str(coded)) >= _CELL_LIMIT - 1) and len(cut) >= 20 and answer.startswith(cut.rstrip(".…")):
            return True
        words, theirs = bare(mine), bare(answer)
        if words == theirs and words:
            return True
        blocks = difflib.SequenceMatcher(None, words, theirs, autojunk=False).get_opcodes()
        if any((set(words[i1:i2]) ^ set(theirs[j1:j2])) & _NEGATIONS for tag, i1, i2, j1, j2 in blocks
               if tag != "equal"):
            continue  # "I do not like it" is not "I do like it", whatever else is alike
        # A coder's '[name]' for the answer's name (or names) is no change of what it says; for "the clinic", it is.
        changes = [max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in blocks if tag != "equal"
                   and not (words[i1:i2] and all(_PLACEHOLDER_WORD.fullmatch(w) for w in words[i1:i2])
                            and j2 - j1 <= 3 * (i2 - i1) and not set(theirs[j1:j2]) & _NOT_IN_NAMES)]
        kept = sum(i2 - i1 for tag, i1, i2, _, _ in blocks if tag == "equal")
        if not changes:
            if words:
                return True
            continue
        if max(changes) <= 2 and sum(changes) <= max(2, 0.2 * max(len(words), len(theirs))) and kept >= sum(changes):
            return True
    return False


def text_mismatch(coded: pd.DataFrame, paths: str | Path | Sequence[str | Path], usable: pd.DataFrame
                  ) -> tuple[str | None, str | None]:
    """(error, warning): when a coded sample's answer texts are not the run's answers under the same keys, the
    codes belong to other answers (a sample of an older export, an id column renumbered since) and the correction
    would rest on them. Most of them differing is an error; a few (answers edited since the draw), a warning.
    A sample with no text column has nothing to compare."""
    from themes.redact import redact_patterns

    if "text" not in coded.columns or not str(coded.attrs.get("read", {}).get("text", "")).startswith("'"):
        return None, None
    by_key = {(str(r), str(q)): (a, raw) for r, q, a, raw in zip(
        usable["respondent_id"], usable["question"], usable["answer"],
        usable["answer_raw"] if "answer_raw" in usable.columns else usable["answer"])}
    # A coder's copy may be de-identified ("Call [name] at [phone]"): that is the same answer too.
    differ = [(r, q) for r, q, text in zip(coded["respondent_id"].astype(str), coded["question"].astype(str),
                                           coded["text"])
              if (r, q) in by_key and not _same_text(text, *by_key[(r, q)])
              and not _same_text(text, *map(redact_patterns, by_key[(r, q)]))]
    if not differ:
        return None, None
    name = coded_sample_name(paths)
    respondent, question = differ[0]
    said = (f"{name}: {len(differ)} of {len(coded)} coded answers' text is not this input's answer under the same "
            f"respondent and question (the first: respondent '{respondent}', question '{question}')")
    if len(differ) > max(2, 0.1 * len(coded)):
        return (said + ": the codes belong to other answers. Was the sample drawn from another export, or the ids "
                "renumbered since? Draw and code a sample of this input (themes sample). If the coders edited the "
                "answers in their copy, delete its answer column: the answers are then looked up by respondent and "
                "question."), None
    return None, said + ("; they are read as codes of this input's answers: check that the answers were only edited "
                         "since the draw, and code again (or drop) the rows whose edits change what they say.")


def picked_by_hand(coded: pd.DataFrame, codebook: Codebook, paths) -> str | None:
    """A warning when a coded sample of 100 answers or more has not one coded with no theme: a random sample of
    an open-ended survey's answers always holds some ("N/A, see above", a service list), and answers picked for
    carrying themes make the correction count more respondents than raised them (a reviewer's sample of only themed
    answers moved trust from 65% to 77%, its interval excluding the coders' full coding). Nothing stops the run:
    a survey may truly have none."""
    coded = coded_for(coded, "themes")  # a row whose themes cell is not coded yet is not coded 'none'
    if not codebook.themes or not coded.attrs.get("themes_coded", True) or len(coded) < 100:
        return None
    themes = {theme.id for theme in codebook.themes}
    if any(not any(code in themes for code in codes) for codes in coded["gold"]):
        return None
    return (f"{coded_sample_name(paths)}: not one of its {len(coded)} coded answers is coded 'none' (no theme); a "
            "random sample of a survey's answers holds some. If these answers were picked for carrying themes, the "
            "corrected counts overstate them: code a random sample (themes sample).")


def coded_for(coded: pd.DataFrame, part: str) -> pd.DataFrame:
    """The rows of a coded sample that code `part` ("themes", or a dimension's id): a row may leave a part's
    cell empty, not coded yet (`read_gold(partly=True)`)."""
    if "uncoded" not in coded.columns:
        return coded
    keep = [part not in left for left in coded["uncoded"]]
    return coded if all(keep) else coded[keep].reset_index(drop=True).pipe(_with_attrs, coded.attrs)


def _with_attrs(frame: pd.DataFrame, attrs: dict) -> pd.DataFrame:
    frame.attrs.update(attrs)
    return frame


def check_coded_sample(coded: pd.DataFrame, paths, screened: pd.DataFrame, codebook: Codebook, *,
                       project: bool = False) -> list[str]:
    """The checks a coded sample passes before its codes correct a run's counts, wherever the run starts (the
    command line before the model, a served flow run): a sample of another survey or export raises one line;
    what only looks doubtful comes back as warnings. In a project, coded answers of batches still to come are
    not this input's yet, so only those it holds are compared."""
    from themes.status import CODABLE

    if not project:
        problem = not_in_survey(coded, paths, screened[screened["status"].isin(CODABLE)])
        if problem:
            raise GoldError(problem)
    problem, doubt = text_mismatch(coded, paths, screened)
    if problem:
        raise GoldError(problem)
    usable = screened[screened["status"].isin(CODABLE)]
    return [said for said in (questions_renamed(coded, paths), doubt, draw_rows_missing(coded, paths),
                              picked_by_hand(coded, codebook, paths),
                              codes_everything(coded, codebook, paths), questions_left_out(coded, paths, usable),
                              empty_for_none(coded, codebook, paths)) if said]


_SAMPLE_ID = re.compile(r"([A-Za-z]+)(\d+)")  # themes sample's ids: letters (S, or the excluded file's), a number


def draw_rows_missing(coded: pd.DataFrame, paths) -> str | None:
    """A warning when rows of the draw were deleted (`missing_draw_rows`). The estimate reads the rows left as a
    random sample; rows deleted for being hard to code, or off-topic, are not a random few, and the corrected counts
    lean away from what they held. A reviewer's workbook lost S009 unsaid."""
    gap = missing_draw_rows(coded.attrs.get("sample_ids", []))
    return rows_missing_note(gap, coded_sample_name(paths)) if gap is not None else None


def rows_missing_note(gap: Sequence, name: str) -> str:
    """`missing_draw_rows`'s finding in words, for the console and the report (`name`: the sample's, as it may be
    shown)."""
    count, listed, span, one_block = gap
    # One block of many, or the first rows: a file of a sample grown with --exclude (a pilot's five) may be missing.
    file = "; if they are a file of the sample, give it too" if one_block else ""
    return (f"{name}: {count} row{'s' * (count != 1)} of the draw {'are' if count != 1 else 'is'} missing "
            f"({listed}; its sample_ids run {span}{file}). The estimate reads the rows "
            "left as a random sample: answers deleted for being hard to code, or off-topic, lean the corrected "
            "counts. Put the rows back and code them ('none' where an answer has no theme). Rows left out for "
            "being of respondents this input does not hold (a sample of the whole survey, a run on part of it) are "
            "no loss: the rows left are a random sample of its answers still.")


def missing_draw_rows(sample_ids) -> tuple[int, str, str, bool] | None:
    """The rows gone from a draw: `themes sample` numbers its rows s001, s002, ... (a draw grown with --exclude goes
    on from the last), so a number missing between the first and the last the files hold (or before the first, when
    that is s010 or lower) is a row deleted. (how many, them listed "s009, s301-s400", the ids' span, whether they are
    one block of ten or more or the first rows: a file of the sample not given); None when none is, or the ids are of
    the coders' own making (respondent ids, the sheet's row numbers)."""
    given = [value for value in sample_ids if value]
    found = [_SAMPLE_ID.fullmatch(value) for value in given]
    if not found or not all(found) or len({m.group(1).lower() for m in found}) != 1 or len(set(given)) < len(given):
        return None
    numbers = {int(m.group(2)) for m in found}
    first = 1 if min(numbers) <= 10 else min(numbers)
    missing = sorted(set(range(first, max(numbers) + 1)) - numbers)
    if not missing:
        return None
    prefix, width = found[0].group(1), Counter(len(m.group(2)) for m in found).most_common(1)[0][0]

    def named(number: int) -> str:
        return f"{prefix}{number:0{width}d}"

    runs: list[list[int]] = []  # consecutive numbers together: "s301-s400"
    for number in missing:
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    listed = ", ".join(named(a) if a == b else f"{named(a)}-{named(b)}" for a, b in runs[:8]) + (
        f" and {len(runs) - 8} more" if len(runs) > 8 else "")
    one_block = len(runs) == 1 and (len(missing) >= 10 or missing[0] == first)
    return len(missing), listed, f"{named(first)}-{named(max(numbers))}", one_block


def codes_everything(coded: pd.DataFrame, codebook: Codebook, paths) -> str | None:
    """A warning when half or more of a coded sample's answers (of 20 or more) carry every theme of a codebook of
    three or more: the list of ids pasted into each row, not a coding. The correction trusts the coders, so a
    reviewer's such sample gave "about 100% (98-100%)" for every theme with no word."""
    coded = coded_for(coded, "themes")
    themes = {theme.id for theme in codebook.themes}
    if len(themes) < 3 or not coded.attrs.get("themes_coded", True) or len(coded) < 20:
        return None
    every = sum(themes <= set(codes) for codes in coded["gold"])
    if every < 0.5 * len(coded):
        return None
    return (f"{coded_sample_name(paths)}: {every} of its {len(coded)} coded answers carry every one of the "
            f"{len(themes)} themes; an answer carrying them all is rare. Was the list of ids pasted into each row? "
            "The corrected counts rest on these codes: code each answer for the themes it carries.")


def _poor_rows(agreement: dict, below: float) -> list[dict]:
    return [row for row in agreement.get("per_theme", []) + agreement.get("per_dimension", [])
            if row.get("kappa") is not None and row["kappa"] < below
            and row.get("gold", row.get("gold_addressed", 0)) >= FEW_CODED]  # a few coded cases: chance


def poorly_agreeing(agreement: dict | None, below: float = 0.4) -> dict[str, float]:
    """The themes and dimensions (by id) whose agreement with the coded sample `disagreeing_parts` warns of, with
    their kappa: their quotes are read first too (quotes.quote_cautions)."""
    return {row.get("theme") or row.get("dimension"): row["kappa"] for row in _poor_rows(agreement or {}, below)}


def disagreeing_parts(agreement: dict, *, below: float = 0.4, estimated: bool = True,
                      labels: dict[str, str] | None = None) -> str | None:
    """A warning for the themes (and dimensions) whose agreement with the coded sample is kappa under `below` (0.4,
    under "moderate"), where five or more coded answers carry them: the machine and the coders code them
    differently, and the corrected estimate rests on the coders' codes more than on the run's flags, with no word
    before (a program officer read governance 0.0 (0.0-2.6) for the nonprofits where 12 were flagged, its kappa 0.22
    said in the method section only). Under 0.2 which of the two is right the tool cannot tell; the reader must.
    `estimated`: whether the run's counts were corrected at all (too few coded answers leave them raw: then the
    warning is about the flags, not about estimates there are none of). `labels`: the sentence for the report's
    readers, by the themes' and dimensions' labels and in plain words (review 149: "kappa partnership_effects 0.25",
    "the run" and "flags" said nothing to a program officer)."""
    rows = _poor_rows(agreement, below)
    if not rows:
        return None
    from themes.export import kappa

    hardly = any(row["kappa"] < 0.2 for row in rows)
    if labels is not None:
        named = [labels.get(row.get("theme") or row.get("dimension"), row.get("theme") or row.get("dimension"))
                 for row in rows]
        which = ", ".join(named[:-1]) + f" and {named[-1]}" if len(named) > 1 else named[0]
        figures = ", ".join(kappa(row["kappa"]) for row in rows)
        return (f"Checked against human coders ({agreement.get('file', 'a coded sample')}), the tool's coding "
                f"{'hardly agrees' if hardly else 'agrees poorly'} with theirs on {which} (Cohen's kappa {figures}; 1 is "
                "full agreement, 0 no better than chance). " + (
                    "Those figures lean on the coders' judgement more than on the tool's: read them as rough; a group "
                    "can read 0% where some of its respondents' answers were flagged." if estimated else
                    "Their counts are the tool's alone here (no correction): read them with care."))
    said = ", ".join(f"{row.get('theme') or row.get('dimension')} {kappa(row['kappa'])}" for row in rows[:6])
    more = f" and {len(rows) - 6} more" if len(rows) > 6 else ""
    head = f"{agreement.get('file', 'the coded sample')}: the run {'hardly agrees' if hardly else 'agrees poorly'} " \
        f"with its codes (kappa {said}{more})"
    if not estimated:
        return (f"{head}; the counts stay raw here, and the machine's flags of those themes are not what the coders "
                "would code: check that the sample was coded with this codebook's definitions, and read those counts "
                "with care.")
    return (f"{head}; those estimates rest on the coders' codes more than on the run's "
            "flags, so a group's figure can read 0 where some of its respondents were flagged: read them as rough. "
            + ("Check that the sample was coded with this codebook's definitions before reporting them." if hardly
               else "Code more answers that carry them to narrow their intervals."))


def counts_estimated(counts: pd.DataFrame) -> bool:
    """Whether any of a run's counts was corrected with the coded sample (a method other than raw or not
    estimated)."""
    if "method" not in counts:
        return False
    methods = counts["method"].astype(str)
    return bool((~methods.str.startswith(("raw", "not estimated"))).any())


def empty_for_none(coded: pd.DataFrame, codebook: Codebook, paths) -> str | None:
    """A warning when a part (the themes, a dimension) is coded on some rows, every one of them carrying it, and
    left empty on the others: the coder likely left 'none' empty. Read as not coded yet, a dimension's 'not
    described' share then rests on answers that all describe it (a reviewer's service_model kappa read 0.36
    where the same rows coded 'none' gave 0.56)."""
    if "uncoded" not in coded.columns:
        return None
    parts = (["themes"] if codebook.themes and coded.attrs.get("themes_coded", True) else []) + list(
        coded.attrs.get("coded_dimensions", []))
    themes = {theme.id for theme in codebook.themes}
    suspect = []
    for part in parts:
        rows = coded_for(coded, part)
        left = len(coded) - len(rows)
        if not len(rows) or left < max(5, 0.1 * len(coded)):
            continue
        carries = [any((code in themes) if part == "themes" else code.startswith(f"{part}.") for code in codes)
                   for codes in rows["gold"]]
        if all(carries):
            suspect.append((part, len(rows), left))
    if not suspect:
        return None
    part, done, left = suspect[0]
    named = "the themes" if part == "themes" else part
    return (f"{coded_sample_name(paths)}: every one of the {done} rows that code {named} carries it, and {left} rows "
            "leave its cell empty, read as not coded yet. If the empty cells mean 'none' (no theme, or the answer "
            "does not address the dimension), write none in them: else its share rests on answers that all carry "
            "it" + (f" ({len(suspect) - 1} more part{'s' if len(suspect) > 2 else ''} like it)" if len(suspect) > 1
                    else "") + ".")


def questions_left_out(coded: pd.DataFrame, paths, usable: pd.DataFrame) -> str | None:
    """A warning when the coded sample holds no answer to questions a random sample of its size would have
    reached (five answers or more expected): a sample coded for two questions of eight gave every question an
    interval, the other questions' error rates standing in. Those questions' own estimates are not shown
    (themes.prevalence); the overall ones assume the classifier errs on them as on the questions coded."""
    if usable.empty or coded.empty:
        return None
    share = usable["question"].astype(str).value_counts(normalize=True)
    held = set(coded["question"].astype(str))
    missed = [q for q, p in share.items() if q not in held and p * len(coded) >= 5]
    if not missed:
        return None
    named = ", ".join(f"'{q}'" for q in missed[:5]) + (f" and {len(missed) - 5} more" if len(missed) > 5 else "")
    return (f"{coded_sample_name(paths)}: none of its {len(coded)} coded answers is to {named}, where a random "
            f"sample of that size would hold some of each ({len(missed)} of {len(share)} questions): those questions "
            "get no estimate of their own, and the overall estimates assume the classifier errs on them as on the "
            "questions coded. Code a random sample of every question (themes sample).")


def coded_sample_name(paths: str | Path | Sequence[str | Path]) -> str:
    """The coded sample's file name, or its files' names joined ("coded_sample.csv + second_draw.xlsx")."""
    paths = _files(paths)
    return " + ".join(Path(path).name for path in paths)


def coded_sample_note(coded: pd.DataFrame, codebook: Codebook) -> str:
    """What a coded sample leaves raw, as a clause ("" when it codes everything the run counts)."""
    missing = [d.id for d in codebook.dimensions if d.id not in coded.attrs.get("coded_dimensions", [])]
    parts = (["the themes"] if codebook.themes and not coded.attrs.get("themes_coded", True) else []) + missing
    said = ""
    if parts:
        said = f"it does not code {', '.join(parts)}, so those counts stay raw" + (
            " (a dimension is coded in a column named by its id)" if missing else "")
    if "uncoded" in coded.columns and any(coded["uncoded"].map(bool)):
        coded_parts = (["themes"] if codebook.themes and coded.attrs.get("themes_coded", True) else []) + [
            d for d in coded.attrs.get("coded_dimensions", [])]
        fewer = [f"{'the themes' if part == 'themes' else part} {len(coded_for(coded, part))}" for part in coded_parts
                 if len(coded_for(coded, part)) < len(coded)]
        if fewer:
            said += ("; " if said else "") + (f"some rows leave cells for later, so each part is read on the rows "
                                              f"that code it: {', '.join(fewer)}")
    return said


# A run always knows each answer's question and the classifier learns with it: coded without it (by the models learned
# without the question), passages score lower (the sample's test split: kappa 0.829 with its questions, 0.800
# without), and a calibration without it learns nothing of what the question tells.
NO_QUESTION = ("none (the classifier reads passages without their question, which a run always has: agreement "
               "reads lower; add a 'question' column)")
NO_QUESTION_TO_LEARN = ("none (the classifier learns these passages without their question, which a run reads "
                        "with every answer; add a 'question' column)")


def _other_splits(counts: dict[str, int], split: str) -> str:
    """The rows of the other splits, not read: "test 60, 'calibraton' 2 (is it 'calibration'? fix it to read them),
    no split 1"."""
    def one(name: str, n: int) -> str:
        if not name:
            return f"no split {n} (write one to read them)"
        close = difflib.get_close_matches(name, [split], n=1, cutoff=0.75)
        return f"'{name}' {n}" + (f" (is it '{split}'? fix it to read them)" if close else "")

    return "not read: " + ", ".join(one(name, n) for name, n in counts.items())


def gold_announcement(gold: pd.DataFrame, path: str | Path, split: str | None = None, *,
                      learning: bool = False) -> list[str]:
    """What `read_gold` read, one line each, as `themes run` announces a survey's columns: the sheet, the
    columns taken for passages, codes and questions, and how many passages are coded. `learning`: for
    calibrate, which learns from the passages (evaluate codes them)."""
    read = gold.attrs.get("read", {})
    lines = [f"Reading {path}" + (f", split '{split}'" if split else "") + f": {len(gold)} coded passages"]
    if gold.attrs.get("two_types"):
        first = gold.attrs["two_types"][:3]
        rows = "; ".join(f"row {row} {dimension} ({', '.join(found)}) as {chosen}" for row, dimension, found, chosen
                         in first) + (f"; and {len(gold.attrs['two_types']) - 3} more" if len(gold.attrs["two_types"])
                                      > 3 else "")
        lines.append(f"  two types  {rows}: a dimension takes one type per answer, so the most integrated was read, "
                     "as a run reads an answer's; if a coder slipped, keep one")
    if gold.attrs.get("none_marks"):
        lines.append(f"  none       {none_marks_note(gold.attrs['none_marks'])}; leave a cell empty for an answer not "
                     "coded yet")
    loose = gold.attrs.get("loose") or {}
    if loose.get("names") or loose.get("marks") or loose.get("type_names"):
        said = [f"{loose['names']} by a theme's name, not its id" if loose.get("names") else "",
                f"{loose['type_names']} dimension cells by a type's name, not its id" if loose.get("type_names")
                else "",
                f"{loose['marks']} with ',', '/' or '|' between codes, not ';'" if loose.get("marks") else ""]
        lines.append(f"  read as    codes cells read as written: {'; '.join(s for s in said if s)}; check a few in "
                     "disagreements.csv (themes evaluate) if a coder may have meant otherwise")
    if gold.attrs.get("formerly"):  # read under the code it became, as a coder of the old codebook meant
        former = gold.attrs["formerly"]
        lines.append(f"  read as    {sum(former.values())} codes written as an old id the codebook's formerly lists "
                     f"({', '.join(former)}): counted as the code each became")
    if gold.attrs.get("coded_without"):  # a theme added since the workbook was drawn (review 160)
        without = gold.attrs["coded_without"]
        it = "it" if len(without) == 1 else "them"
        lines.append(f"  without    {', '.join(without)}: the workbook's Instructions do not list {it}, so its coders "
                     f"could not give {it}" + (f"; its passages teach the model that {it} is absent from them: code a "
                                              f"sample with {it} (themes sample) before calibrating" if learning
                                              else "; not measured"))
    if gold.attrs.get("repeated"):
        count = gold.attrs["repeated"]
        lines.append(f"  repeated   {count} row{'s' * (count != 1)} repeat{'s' * (count == 1)} an earlier passage word "
                     "for word (case and spacing aside) with the same codes: read once")
    if split and gold.attrs.get("other_splits"):
        lines.append(f"  other rows {_other_splits(gold.attrs['other_splits'], split)}")
    elif not split and "split" in gold.columns and len(set(gold["split"].astype(str).str.strip()) - {""}) > 1:
        # Every row read with no word of the file's own parts: a calibration's rows and a test's in one figure
        counts = gold["split"].astype(str).str.strip().value_counts()
        example = "test" if "test" in counts.index else next(name for name in counts.index if name)
        named = ", ".join(f"'{name}' {count}" for name, count in counts.items() if name)
        lines.append(f"  split      every row read, whatever its 'split' ({named}): --split NAME reads one part "
                     f"alone (e.g. --split {example})")
    if read.get("sheet"):
        lines.append(f"  sheet      '{read['sheet']}' (the first with a 'themes' column)")
    lines.append(f"  text       {read.get('text', '?')}")
    if read.get("by_paragraph"):  # a QDA project no `themes` export wrote
        count = read["by_paragraph"]
        lines.append(f"  passages   the paragraphs of {count} source{'s' * (count != 1)} that no themes export wrote, "
                     "each with the codes of the selections that touch it ('none' where none does)")
    lines.append(f"  codes      {read.get('codes', '?')}")
    if read.get("tied_primary"):
        count = read["tied_primary"]
        lines.append(f"  primary    {count} passage{'s' * (count != 1)} open{'s' * (count == 1)} with two codes at "
                     "one place: the first the file lists is taken as the primary theme (a QDA tool marks none), "
                     "which the primary-theme kappa reads; the per-theme figures do not depend on it")
    if read.get("coders"):
        lines.append(f"  coded by   {read['coders']}")
    if read.get("aside"):
        lines.append(f"  aside      codes of the file's other codebook, left to it: {read['aside']}")
    lines.append(f"  question   {read.get('question') or (NO_QUESTION_TO_LEARN if learning else NO_QUESTION)}")
    if gold.attrs.get("not_coded"):
        note = not_coded_note(gold.attrs["not_coded"], gold.attrs.get("codes_elsewhere"),
                              gold.attrs.get("not_coded_marks"))
        lines.append(f"  not coded  {note}")
    if gold.attrs.get("without_text"):
        rows = gold.attrs["without_text"]
        lines.append(f"  no text    {rows} coded row{'s' * (rows != 1)} with an empty passage, left out: fill in "
                     f"{'their' if rows != 1 else 'its'} text to measure {'them' if rows != 1 else 'it'}")
    return lines


# Fewer measured passages than this and a kappa moves far with one passage more or less (1.000 on 3 passages):
# said beside the figure.
FEW_PASSAGES = 50
# Coded cases a theme needs before its own kappa means anything (a report's method section read 1.00 from three).
FEW_CODED = 5


def few_passages_note(passages: int) -> str | None:
    """A caution for agreement measured on fewer than FEW_PASSAGES passages, or None."""
    if passages >= FEW_PASSAGES:
        return None
    return (f"agreement on {passages} passage{'s' if passages != 1 else ''} only: one passage more or less moves it "
            f"far, so read it as a rough sign; measure on {FEW_PASSAGES} or more (100 or more to report it)")


def none_marks_note(marks: dict[str, int]) -> str:
    """The codes cells a coder wrote "N/A" or "-" in, read as none ("2 cells of 'N/A', 1 cell of '-' read as none (no
    theme)"; `attrs["none_marks"]`)."""
    return ", ".join(f"{n} cell{'s' * (n != 1)} of '{mark}'" for mark, n in marks.items()) + " read as none (no theme)"


def not_coded_note(rows: int, elsewhere: tuple[str, int, str] | None = None, marks: list[str] | None = None) -> str:
    """What was left out of a gold file as not coded yet, as a clause ("left out 20 rows ..."); `elsewhere`: a
    column that holds theme codes in some of those rows, in how many, and the codes column they belong in
    (`attrs["codes_elsewhere"]`); `marks`: what some of those cells hold instead of nothing ("NA": `MISSING_MARKS`)."""
    held = f" or {' or '.join(repr(m) for m in marks)} (a program's mark for no value)" if marks else ""
    said = (f"left out {rows} row{'s' if rows != 1 else ''} whose codes cell is empty{held} (not coded yet; write "
            "'none' for a passage with no theme)")
    if elsewhere:
        column, held, into = elsewhere
        said += (f"; the column '{column}' holds theme codes in {held} of them, which are not read: move them into "
                 f"'{into}' if they are those rows' codes")
    return said


def _another_codebooks_columns(columns, codebook: Codebook) -> str:
    """Where a file's columns are a shipped codebook's dimensions (or themes) and not this one's: which to pass
    (review 178: a framework's gold file evaluated with the default codebook was "no column of gold codes")."""
    from themes.codebook import load_codebook, shipped_codebooks

    names = {re.sub(r"[\W_]+", "", str(c).casefold()) for c in columns}
    for name, path in shipped_codebooks().items():
        other = load_codebook(path)
        if other.name == codebook.name:
            continue
        parts = [*other.dimensions] or [*other.themes]
        found = [p for p in parts if {re.sub(r"[\W_]+", "", p.id.casefold()),
                                      re.sub(r"[\W_]+", "", p.label.casefold())} & names]
        if parts and len(found) >= max(2, len(parts) / 2):
            return f" They are the {other.name} codebook's: pass --codebook {name}."
    return ""


def _dimension_columns(codebook: Codebook, lowered: dict[str, str]) -> dict:
    """The gold file's column for each dimension, named by the dimension's id or label."""
    found = {}
    for dimension in codebook.dimensions:
        for name in (dimension.id, dimension.label.lower(), *dimension.formerly):
            if name in lowered:
                found[dimension.id] = lowered[name]
                break
    return found


def _dimension_column_read(codebook: Codebook, dimension_id: str, column: str) -> str:
    """A dimension's column as the announcement names it: with the dimension it was read as, where the header is an
    old id the codebook's formerly lists ("'services' (as service_model, its old id)") or its label."""
    header = str(column).strip().lower()
    if header == dimension_id:
        return f"'{column}'"
    dimension = next(d for d in codebook.dimensions if d.id == dimension_id)
    how = "an old id its formerly lists" if header in dimension.formerly else "by its name"
    return f"'{column}' (as {dimension_id}, {how})"


def _refuse_renamed_dimension_column(table: pd.DataFrame, codebook: Codebook, found: dict, path: Path) -> None:
    """Stops where a dimension has no column but another column holds its types (three or more cells, nine in ten
    of its filled cells a type or none): the dimension renamed since the file was coded, whose column was not read
    (a gold file's `service_model` under `services` read "addressed 0", and a calibration learned it never was)."""
    taken = set(found.values()) | {c for c in table.columns if str(c).strip().lower() in (*THEME_COLUMNS,
                                                                                         *_KEY_COLUMNS)}
    for dimension in codebook.dimensions:
        if dimension.id in found:
            continue
        names = {name for kind in dimension.types for name in _type_names(kind)}
        for column in table.columns:
            if column in taken:
                continue
            cells = [str(v).strip().lower() for v in table[column] if isinstance(v, str) and v.strip()]
            typed = sum(cell in names for cell in cells)
            if typed >= 3 and sum(cell in names or cell in NONE_WORDS for cell in cells) >= 0.9 * len(cells):
                old = str(column).strip().lower()
                renamed = (f"If '{dimension.id}' was '{old}', write 'formerly: [{old}]' under it in the codebook; "
                           "else name" if re.match(ID_PATTERN, old) else "Name")
                raise GoldError(f"{path}: the column '{column}' holds the types of the dimension '{dimension.id}' "
                                f"({typed} cells), which has no column of its own here, so it was not read. "
                                f"{renamed} the column '{dimension.id}'.")


def _type_names(kind) -> tuple[str, ...]:
    """What a dimension's cell may write for a type: its id, its label (lower case, or with underscores), a former
    id."""
    return (kind.id, kind.label.lower(), kind.label.lower().replace(" ", "_"), *kind.formerly)


def _count_loose_type(value, kind: str | None, dimension, loose: Counter) -> None:
    """Counts a dimension cell read by its type's label (`type_names`) or by an old id its formerly lists
    ("service_model.referral_only -> service_model.referral"), as a codes cell's are counted, so that both are said."""
    key = str(value if value == value else "").strip().lower()
    if kind is None or key == kind.split(".", 1)[1]:
        return
    type_ = next(t for t in dimension.types if f"{dimension.id}.{t.id}" == kind)
    if key in type_.formerly:
        loose[f"{dimension.id}.{key} -> {kind}"] += 1
    else:
        loose["type_names"] += 1


def _parse_type(value, dimension, path: Path, row: int) -> str | None:
    """A dimension cell: a type's id or label, or none (not addressed)."""
    key = str(value if value == value else "").strip().lower()
    if key in NONE_WORDS or key in MISSING_MARKS or key in {"not addressed", "not described", "not_described"}:
        return None
    for kind in dimension.types:
        if key in _type_names(kind):
            return f"{dimension.id}.{kind.id}"
    known = [kind.id for kind in dimension.types]
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise GoldError(f"{path}:{row}: unknown type '{str(value).strip()}' for dimension '{dimension.id}'.{hint} "
                    f"Known: {', '.join(known)}, none.")


def _known_theme(key: str, ids, by_label: dict[str, str]) -> str | None:
    """The theme id a codes cell's item names, by its id, label, or label with underscores; None for none."""
    return key if key in ids else by_label.get(key) or (key.replace(" ", "_") if key.replace(" ", "_") in ids
                                                        else None)


def _with_comma_labels(cell: str, ids, by_label: dict[str, str]) -> list[str]:
    """A codes cell's items, a label that holds commas ("Funding, staff and space") kept whole: items next to each
    other across commas are joined when together they are a label, the longest first, and apart they are not each a
    code ("Funding, staff" is two codes when both are codes)."""
    parts = re.split(f"({_SPLIT_THEMES.pattern})", cell)  # the separators kept: labels join across commas only
    items, separators = parts[0::2], parts[1::2]
    out, k = [], 0
    while k < len(items):
        for end in range(len(items), k + 1, -1):
            if any(separators[m].strip() != "," for m in range(k, end - 1)):
                continue
            joined = ", ".join(item.strip() for item in items[k:end]).lower()
            if joined in by_label and not all(_known_theme(i.strip().lower(), ids, by_label) for i in items[k:end]):
                out.append(joined)
                k = end
                break
        else:
            out.append(items[k])
            k += 1
    return out


# What a coder writes in a codes cell who has not decided, or a spreadsheet's true/false: no code, old or new.
_NOT_A_CODE = {"unsure", "not sure", "tbd", "todo", "to do", "x", "?", "??", "true", "false", "yes", "no", "nothing",
               "unclear", "maybe", "skip", "pending", "later", "check", "n.a."}


def _parse_themes(value, codebook: Codebook, path: Path, row: int, *, aside: set[str] = frozenset(),
                  left: dict[str, int] | None = None, listed: set[str] = frozenset(),
                  loose: Counter | None = None) -> list[str]:
    """A themes cell's ids (or labels). `aside`: ids of another codebook, left out and counted in `left`. `listed`:
    the codes a coding workbook's Instructions list (the codebook it was drawn for). `loose`: cells read by a
    theme's name or with another mark than ';' between codes, counted ("names", "marks"), and codes written as an
    old id the codebook's formerly lists ("funding -> resource_needs")."""
    ids, by_label = codebook.ids, _labels(codebook)
    found, said_none = [], None
    if _only_marks(value):
        return []  # not coded yet: read_gold leaves the row out
    cell = str(value if value == value else "").strip()
    items = _with_comma_labels(cell, ids, by_label)
    if loose is not None:  # read right, but said, so that a coder can check (review 160)
        named = [key for key in (item.strip().lower() for item in items)
                 if key not in ids and key not in NONE_WORDS and _known_theme(key, ids, by_label)]
        # An old id the codebook's formerly lists is no theme's name: said as what it is, with the code it became
        former = [key for key in named if key in codebook.renamed and by_label.get(key) == codebook.renamed[key]]
        loose["names"] += len(named) > len(former)
        for key in former:
            loose[f"{key} -> {codebook.renamed[key]}"] += 1
    for item in items:
        key = item.strip().lower()
        if "/" in key and key not in NONE_WORDS and not _known_theme(key, ids, by_label):
            # "trust/resource_needs": a slash between ids is a list too, unless a label holds it ("Data / privacy")
            items += [part for part in key.split("/") if part.strip()]
            continue
        if key in NONE_WORDS and not (key == "none of these" and _known_theme(key, ids, by_label)):
            said_none = said_none or (item.strip() if key else None)
            continue
        theme = _known_theme(key, ids, by_label)
        if theme is None and key in aside:
            if left is not None:
                left[key] = left.get(key, 0) + 1
            continue
        if theme is None:
            joined = sorted({known for known in (*ids, *by_label) if re.search(rf"\b{re.escape(known)}\b", key)},
                            key=key.find)
            close = difflib.get_close_matches(key, ids, n=1)
            hint = (f" It names {len(joined)} themes ({', '.join(joined)}): separate them with ';'." if len(
                {by_label.get(known, known) for known in joined}) > 1 else f" Did you mean '{close[0]}'?" if close
                else "")
            other = (" If the file codes a codebook of themes too, read it from the coding workbook, whose "
                     "Instructions list both." if not close and not codebook.themes and "." not in key else "")
            if key in _NOT_A_CODE and not close:
                other = (" It is no code: write the themes' ids (';' between them), 'none' for a passage with no "
                         "theme, or leave the cell empty for one not coded yet.")
            elif not other and key in listed:
                other = (f" The workbook's Instructions list '{key}': it was drawn for a codebook that has it. Pass "
                         "that codebook with --codebook; if this one renamed it, list the old id under the new theme "
                         f"('formerly: [{key}]').")
            elif not other and re.match(ID_PATTERN, key) and codebook.themes and not _typo(key, close):
                # ... or a theme removed since, which formerly would merge into another (review 173)
                other = (f" If a theme had the id '{key}' before, list it under that theme in the codebook "
                         f"('formerly: [{key}]'): codes of its old id are then read as its own. If the theme was "
                         f"removed from the codebook, delete '{key}' from the coded cells ('none' where it was a "
                         "passage's only code), or pass the codebook that has it.")
            raise GoldError(f"{path}:{row}: unknown theme '{item.strip()}'.{hint} "
                            f"Known: {', '.join(ids)}, none (or a theme's label as the codebook writes it).{other}")
        if theme not in found:
            found.append(theme)
    if loose is not None:
        loose["marks"] += len(found) > 1 and ";" not in cell and bool(re.search(r"[,|/]", cell))
    if said_none and found:  # which was meant? Coded wrong either way: a theme lost or a theme invented
        alone = "none" if said_none.lower() in MISSING_MARKS else said_none  # "NA" alone is not coded yet
        raise GoldError(f"{path}:{row}: '{str(value).strip()}' names {', '.join(found)} and '{said_none}' at once. "
                        f"Write the themes alone, or '{alone}' alone for a passage with no theme.")
    return found


def _typo(key: str, close: list[str]) -> bool:
    """Whether a code is a typo of the close id (three letters or fewer apart: "trsut"), not an old id a theme was
    renamed from ("resource_needs" beside "resources", which the rename hint names)."""
    if not close:
        return False
    matched = sum(block.size for block in difflib.SequenceMatcher(None, key, close[0]).get_matching_blocks())
    return len(key) + len(close[0]) - 2 * matched <= 3


# What a coder's keyboard or a paste leaves in a cell that no one sees: zero-width spaces and joiners, a byte-order
# mark, a soft hyphen ("trust\u200b" read as an unknown theme that looked like 'trust').
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def _typed_codes(value):
    """A codes cell as the coder sees it: invisible characters out, and a cell of separators alone (";", " / ")
    empty, so not coded yet (it was read as coded with no theme)."""
    if not isinstance(value, str):
        return value
    # Composed as the codebook's labels are: "é" typed as "e" and a combining accent (macOS, some exports) read as
    # an unknown theme that looked the same as the label.
    value = unicodedata.normalize("NFC", _INVISIBLE.sub("", value))
    return "" if re.fullmatch(r"[\s;,|/]*", value) else value


def _labels(codebook: Codebook) -> dict[str, str]:
    """Each theme's id by its label in lower case (composed: NFC): a codes cell may name a theme by its label, or
    by an id the codebook's `formerly` lists (a file coded before the theme was renamed)."""
    return {**codebook.renamed, **{unicodedata.normalize("NFC", c.label).lower(): c.id for c in codebook.categories}}


def _types_named(cell, dimension) -> list[str]:
    """The types of `dimension` a codes cell names by their ids ("service_model.joint"), or by former ones."""
    ids = {f"{dimension.id}.{kind.id}": f"{dimension.id}.{kind.id}" for kind in dimension.types} | dimension.renamed
    return [ids[part] for part in _parts(cell) if part in ids] if isinstance(cell, str) else []


def _parts(cell: str) -> list[str]:
    """A codes cell's items in lower case, split where `_SPLIT_THEMES` splits (a label's commas not kept whole)."""
    return [part.strip().lower() for part in _SPLIT_THEMES.split(cell.strip()) if part.strip()]


# Columns that say which answer a row is, not how it is coded: a question may be named as a theme is.
_KEY_COLUMNS = {"question", "respondent_id", "sample_id", "passage_id", "split", "writer", *TEXT_COLUMNS}


# How a code matrix marks a theme a passage raises, and one it does not (Excel's TRUE/FALSE, an "x" in a cell; a QDA
# tool's count of codings, "2")
_MARKS = {"yes": True, "y": True, "true": True, "x": True, "no": False, "n": False, "false": False}


def _mark(cell: str) -> bool | None:
    """A matrix cell's mark: True, False, or None where it is no mark ("" included)."""
    if re.fullmatch(r"\d+(?:\.0+)?", cell):
        return float(cell) > 0
    return _MARKS.get(cell)


def _matrix_cells(table: pd.DataFrame, column) -> pd.Series:
    return table[column].map(lambda v: "" if v != v else str(v).strip().casefold())


def _indicator_columns(table: pd.DataFrame, codebook: Codebook, path: Path) -> dict[str, str]:
    """Each theme's column where the file codes one 0/1 column per theme, named by its id or label (case, spaces and
    underscores aside) and holding only marks or empty cells; {} where it does not (fewer than half the themes so,
    or a column of the file holds theme ids: its codes under another name, review 179). A theme with no such column
    stops the read: its rows would read as not raising it."""
    def key(name) -> str:
        return re.sub(r"[\W_]+", "", str(name).casefold())

    def marks_only(column) -> bool:
        cells = _matrix_cells(table, column)
        return bool(cells[cells != ""].map(_mark).notna().all())

    by_key = {key(column): column for column in table.columns}
    found = {}
    for theme in codebook.themes:
        column = by_key.get(key(theme.id)) or by_key.get(key(theme.label))
        if column is not None and marks_only(column):
            found[theme.id] = column
    if len(found) < max(2, len(codebook.themes) / 2) or not any(
            (_matrix_cells(table, c) != "").any() for c in found.values()) \
            or _codes_elsewhere(table, "", codebook) is not None:
        return {}
    missing = [theme.id for theme in codebook.themes if theme.id not in found]
    if missing:
        raise GoldError(f"{path} codes one 0/1 column per theme, but has none for {', '.join(missing)}: its passages "
                        "would read as not raising it. Add a column for each theme (0 where a passage does not raise "
                        "it), or give the codes in a 'themes' column (';'-joined ids, 'none' for none).")
    return found


def _from_indicators(table: pd.DataFrame, indicators: dict[str, str]) -> tuple[pd.Series, bool]:
    """A codes cell per row of a code matrix: the themes marked, 'none' where every mark is 0 (an empty cell beside
    a written one is 0), empty (not coded yet) where every cell is; and whether the file writes no 0 at all (marks
    with an "x", the rest left empty), where a row of empty cells is 'none' (review 179: read as not coded, 4 of 10
    passages were left out)."""
    cells = pd.DataFrame({theme: _matrix_cells(table, column) for theme, column in indicators.items()},
                         index=table.index)
    marks = cells.apply(lambda column: column.map(_mark))
    blank_is_none = not (marks == False).any().any()  # noqa: E712  (a frame's cells, compared one by one)
    written = (cells != "").any(axis=1) | blank_is_none
    return pd.Series([";".join(theme for theme in indicators if marks.at[i, theme] == True) or "none"  # noqa: E712
                      if written[i] else "" for i in table.index], index=table.index), blank_is_none


def _codes_elsewhere(table: pd.DataFrame, theme_column: str, codebook: Codebook) -> str | None:
    """The column other than `theme_column` whose filled cells are nearly all theme codes (a coder who typed them in
    a column of their own, "codes"), or None."""
    ids, by_label = codebook.ids, _labels(codebook)
    for column in table.columns:
        if str(column).strip().lower() in _KEY_COLUMNS:  # a question named as a theme ('community_engagement')
            continue
        cells = [_parts(cell) for cell in table[column].fillna("").astype(str) if cell.strip()]
        codes = [all(_known_theme(part, ids, by_label) or part in NONE_WORDS for part in cell) for cell in cells]
        themes = any(_known_theme(part, ids, by_label) for cell in cells for part in cell)
        if column != theme_column and len(cells) >= 2 and themes and sum(codes) >= 0.9 * len(cells):
            return str(column)
    return None


def _refuse_codes_beside(table: pd.DataFrame, theme_column: str, codebook: Codebook, path: Path, rows: list[int]
                         ) -> None:
    """Stops where a column with no header holds theme codes: a coder who put a row's second theme in the next
    cell (the workbook's list picks one a cell), which was not read."""
    from openpyxl.utils import get_column_letter

    ids, by_label = codebook.ids, _labels(codebook)
    for column in table.columns:
        unnamed = re.fullmatch(r"Unnamed: (\d+)(?: \(\d+\))?", str(column))  # pandas names it by its position
        if column == theme_column or not unnamed:
            continue
        hits = [(row, cell.strip()) for row, cell in zip(rows, table[column].fillna("").astype(str))
                if cell.strip() and all(_known_theme(part, ids, by_label) for part in _parts(cell))]
        if hits:
            letter = get_column_letter(int(unnamed.group(1)) + 1)
            raise GoldError(f"{path}: column {letter}, which has no header, holds theme codes in {len(hits)} "
                            f"row{'s' * (len(hits) > 1)} (row {hits[0][0]}: '{hits[0][1][:40]}'), which are not read: "
                            f"put every theme of a row in its '{theme_column}' cell, separated by ';', and run again.")


def _own_ids(ids: pd.Series, answers: pd.DataFrame | None) -> np.ndarray:
    """The survey's respondent ids for those of a coded sample: `themes sample` writes an id that looks like
    contact data (an e-mail) as its pseudonym, which the survey's answers map back."""
    if answers is None:
        return ids.to_numpy()
    from themes.quotes import safe_reference

    mine = set(answers["respondent_id"].astype(str))
    known = {safe_reference(r): r for r in mine}
    return ids.map(lambda r: r if r in mine else known.get(r, r)).to_numpy()


def _texts_by_key(table: pd.DataFrame, lowered: dict, answers: pd.DataFrame | None, path: Path) -> list[str]:
    if answers is None:
        raise GoldError(f"{path} names passages by respondent_id and question; pass the survey export with "
                        "--input so their answers can be looked up.")
    lookup = {(str(r), str(q)): t for r, q, t in zip(answers["respondent_id"], answers["question"], answers["answer"])}
    texts = []
    respondents = _own_ids(table[lowered["respondent_id"]].astype(str).str.strip(), answers)
    for row, (respondent, question) in enumerate(zip(respondents, table[lowered["question"]]), start=2):
        key = (str(respondent).strip(), str(question).strip())
        if key not in lookup:
            raise GoldError(f"{path}:{row}: respondent '{key[0]}', question '{key[1]}' matches no answer of the "
                            "input. Check the ids and question names.")
        texts.append(lookup[key])
    return texts


def primary_of(themes: list[str]) -> str:
    return themes[0] if themes else NONE


def agreement(gold: list[list[str]], predicted: list[list[str]], predicted_primary: list[str],
              scheme: Scheme) -> dict:
    """Themes: per-theme precision, recall, F1, kappa and alpha, and kappa and alpha of the primary
    theme. Dimensions: per dimension the type's accuracy, kappa and alpha ("none" a class) and a
    confusion table. A figure with no basis (no coded passage carries the theme or addresses the
    dimension) is None, not a number."""
    import krippendorff

    ids = [scheme.ids[c] for c in scheme.theme_columns]
    result: dict = {"overall": {"passages": len(gold)}, "per_theme": [], "confusion": None,
                    "per_dimension": [], "dimension_confusion": {}}
    if ids:
        result.update(_theme_agreement(krippendorff, gold, predicted, predicted_primary, ids))
    for block in scheme.dimension_blocks:
        prefix = f"{block.dimension}."
        kinds = [scheme.ids[c].removeprefix(prefix) for c in block.columns]
        g = [most_integrated(labels, block.dimension, kinds) for labels in gold]
        p = [most_integrated(labels, block.dimension, kinds) for labels in predicted]
        row, confusion = _dimension_agreement(krippendorff, block.dimension, g, p, kinds)
        result["per_dimension"].append(row)
        result["dimension_confusion"][block.dimension] = confusion
    return result


def _refuse_coded_two_ways(path, gold: pd.DataFrame, sheet_rows) -> list:
    """One passage (its words, spacing and case aside; under one question where the file names them) coded twice with
    other codes, as two coders' files pasted together give: evaluate counted both codings and calibrate learned both
    (review 173: 30 contradictions, kappa 0.60, no word). Only passages of four words or more, which no two
    respondents write alike by chance ("Funding.", "Same as above."). Returns the rows that repeat an earlier one
    with the same codes, to be read once."""
    if gold.empty:
        return []
    texts = gold["text"].astype(str).str.split().str.join(" ").str.casefold()
    questions = gold["question"].astype(str) if "question" in gold else pd.Series("", index=gold.index)
    codes = gold["gold"].map(lambda found: tuple(sorted(found)))
    # Four words or more, under one question where the file names them: two respondents' "Same as above." under
    # one question are coded by their context (review 175)
    considered = texts.str.count(" ") >= 3
    seen: dict[tuple[str, str], int] = {}
    clashes, repeats = [], []
    for position in gold.index[considered]:
        key = (questions[position], texts[position])
        if key in seen:
            (clashes.append((seen[key], position)) if codes[seen[key]] != codes[position] else repeats.append(position))
        seen.setdefault(key, position)
    if clashes:
        listed = ", ".join(f"rows {sheet_rows[a]} and {sheet_rows[b]}" for a, b in clashes[:3]) + (
            f" and {len(clashes) - 3} more pairs" if len(clashes) > 3 else "")
        raise GoldError(f"{path}: {len(clashes)} passage{'s are' if len(clashes) != 1 else ' is'} coded twice with "
                        f"other codes ({listed}), as two coders' codings pasted together are: agreement would count "
                        "both and calibration learn both. Keep one row per passage with the codes the coders agreed "
                        "on.")
    return repeats


def with_few_unmeasured(result: dict) -> dict:
    """`result` (of `agreement`) with the figures of a theme fewer than FEW_CODED coded passages carry (or a dimension
    fewer address) left out, as the run's report leaves them out: recall 1.000 and kappa 0.49 from one coded passage
    say nothing. Its counts (coded, predicted) stay; `few` says how many carried it. So does a precision from fewer than
    FEW_CODED passages the model coded with the theme (`few_predicted`; review 149: 0.500 from 2). The means (macro
    F1) are as measured, on every passage."""
    themes = [{**row, **({"recall": None, "f1": None, "kappa": None, "alpha": None, "few": row["gold"]}
                         if 0 < row["gold"] < FEW_CODED else {}),
               **({"precision": None, "few_predicted": row["predicted"]}
                  if 0 < row.get("predicted", 0) < FEW_CODED else {})} for row in result["per_theme"]]
    dimensions = [{**row, **({"type_accuracy": None, "type_accuracy_all_addressed": None, "kappa": None, "alpha": None,
                              "few": row["gold_addressed"]} if 0 < row["gold_addressed"] < FEW_CODED else {})}
                  for row in result["per_dimension"]]
    return {**result, "per_theme": themes, "per_dimension": dimensions}


def recorded_agreement(result: dict | None) -> dict | None:
    """A run's agreement with its coded sample as the manifest records it: as the report shows it, the figures of a
    theme or dimension fewer than FEW_CODED coded answers carry left out (`with_few_unmeasured`), and the primary
    theme's kappa and alpha where no theme has that many (the manifest kept kappa 1.00 from one coded case the
    report called not measured)."""
    if not result:
        return result
    recorded = with_few_unmeasured(result)
    overall = dict(recorded.get("overall") or {})
    if overall and recorded["per_theme"] and no_theme_measured(recorded):
        # ... and the primary theme's accuracy and exact match with them (review 178: "1.000" from 2 passages)
        overall.update(primary_kappa=None, primary_alpha=None, macro_f1=None, primary_accuracy=None, exact_match=None)
    if overall and 0 < (overall.get("mixed_passages") or 0) < FEW_CODED:
        overall["later_theme_recall"] = None  # 0.333 from 6 later themes, as a theme's recall from so few
    return {**recorded, "overall": overall}


def no_theme_measured(result: dict) -> bool:
    """Whether no theme of `result` has FEW_CODED coded passages: its primary kappa and alpha, and the mean F1 of
    themes each "not measured", say nothing either (review 150: evaluate printed kappa 0.536 and macro F1 0.556 above
    a table of n/a)."""
    return max((row.get("gold") or 0 for row in result["per_theme"]), default=0) < FEW_CODED


def _theme_agreement(krippendorff, gold, predicted, predicted_primary, ids) -> dict:
    gold_matrix = np.array([[t in g for t in ids] for g in gold], dtype=int).reshape(len(gold), len(ids))
    pred_matrix = np.array([[t in p for t in ids] for p in predicted], dtype=int).reshape(len(gold), len(ids))
    per_theme = []
    for k, theme in enumerate(ids):
        y, p = gold_matrix[:, k], pred_matrix[:, k]
        precision, recall, f1, _ = precision_recall_fscore_support(y, p, average="binary", zero_division=0)
        measured = bool(y.any())
        per_theme.append({"theme": theme, "gold": int(y.sum()), "predicted": int(p.sum()),
                          "precision": round(precision, 3) if p.any() else None,
                          "recall": round(recall, 3) if measured else None,
                          "f1": round(f1, 3) if measured else None,
                          "kappa": round(cohen_kappa(y, p), 3) if measured else None,
                          "alpha": round(_alpha(krippendorff, y, p), 3) if measured else None})
    gold_primary = [primary_of([t for t in g if t in ids]) for g in gold]
    labels = ids + [NONE]
    codes = {label: i for i, label in enumerate(labels)}
    # A theme no coded passage carries has no F1 of its own, but its false alarms are errors: it counts 0 in the
    # mean (skipped, ten false alarms raised macro F1 from 0.816 to 0.878).
    measured = [row["f1"] if row["f1"] is not None else 0.0 for row in per_theme
                if row["f1"] is not None or row["predicted"]]
    overall = {
        "passages": len(gold),
        "primary_kappa": round(cohen_kappa(gold_primary, predicted_primary), 3),
        "primary_alpha": round(_alpha(krippendorff, [codes[g] for g in gold_primary],
                                      [codes[p] for p in predicted_primary]), 3),
        "primary_accuracy": round(float(np.mean([g == p for g, p in zip(gold_primary, predicted_primary)])), 3),
        # Of the themes alone, as the primary theme is: a passage coded with a framework's type only has no gold
        # theme (review 163: 0.785 against a primary accuracy of 0.904, which cannot be)
        "any_gold_theme_accuracy": round(float(np.mean(
            [(p in themes) if (themes := [t for t in g if t in ids]) else p == NONE
             for g, p in zip(gold, predicted_primary)])), 3),
        "exact_match": round(float(np.mean([set(g) & set(ids) == set(p) & set(ids)
                                            for g, p in zip(gold, predicted)])), 3),
        "macro_f1": round(float(np.mean(measured)), 3) if measured else None,
        **_later_theme_recall(gold, predicted, ids),
    }
    matrix = confusion_matrix(gold_primary, predicted_primary, labels=labels)
    confusion = pd.DataFrame(matrix, index=[f"gold {x}" for x in labels], columns=[f"predicted {x}" for x in labels])
    return {"overall": overall, "per_theme": per_theme, "confusion": confusion}


def _later_theme_recall(gold, predicted, ids) -> dict:
    """Mixed answers: of the themes a coder gave a passage after its first, the share the model also
    gave it (None when no passage has two themes)."""
    later = [(t, p) for g, p in zip(gold, predicted) for t in [t for t in g if t in ids][1:]]
    recall = round(float(np.mean([t in p for t, p in later])), 3) if later else None
    return {"mixed_passages": sum(len([t for t in g if t in ids]) > 1 for g in gold), "later_theme_recall": recall}


def _dimension_agreement(krippendorff, dimension: str, gold: list[str], predicted: list[str],
                         kinds: list[str]) -> tuple[dict, pd.DataFrame]:
    g, p = np.array(gold, dtype=object), np.array(predicted, dtype=object)
    addressed, both = g != NONE, (g != NONE) & (p != NONE)
    labels = kinds + [NONE]
    codes = {label: i for i, label in enumerate(labels)}
    row = {"dimension": dimension, "passages": len(g), "gold_addressed": int(addressed.sum()),
           "predicted_addressed": int((p != NONE).sum()),
           # of the passages the coder gave a type: the model's type is the coder's (given both address it)
           "type_accuracy": round(float(np.mean(g[both] == p[both])), 3) if both.any() else None,
           # the same, counting a passage the model left "not addressed" as wrong
           "type_accuracy_all_addressed": round(float(np.mean(g[addressed] == p[addressed])), 3)
           if addressed.any() else None,
           "kappa": round(cohen_kappa(gold, predicted), 3) if addressed.any() else None,
           "alpha": round(_alpha(krippendorff, [codes[x] for x in gold], [codes[x] for x in predicted]), 3)
           if addressed.any() else None}
    matrix = confusion_matrix(gold, predicted, labels=labels)
    confusion = pd.DataFrame(matrix, index=[f"gold {x}" for x in labels], columns=[f"predicted {x}" for x in labels])
    return row, confusion


def learned_answers(answers: pd.DataFrame, coded_sample: pd.DataFrame, books: Sequence = ()) -> np.ndarray:
    """Which coded answers' text the coder learned from (a codebook example or a calibration passage of `books`,
    (codebook, calibration) pairs): its decision on them is memory, so they measure neither its agreement nor
    the error rates that correct the counts."""
    from themes.coding import learned_from

    learned = np.zeros(len(coded_sample), dtype=bool)
    if not books or coded_sample.empty:
        return learned
    texts = dict(zip(zip(answers["respondent_id"], answers["question"]), answers["answer"].astype(str)))
    found = [texts.get(key, "") for key in zip(coded_sample["respondent_id"], coded_sample["question"])]
    for codebook, calibration in books:
        learned |= learned_from(found, codebook, calibration)
    return learned


def without_learned(answers: pd.DataFrame, coded_sample: pd.DataFrame | None, books: Sequence = ()
                    ) -> pd.DataFrame | None:
    """The coded sample less the answers the coder learned from (`learned_answers`), its attrs kept."""
    if coded_sample is None:
        return None
    learned = learned_answers(answers, coded_sample, books)
    if not learned.any():
        return coded_sample
    return _with_attrs(coded_sample[~learned].reset_index(drop=True), coded_sample.attrs)


def most_integrated(labels: Sequence[str], dimension: str, kinds: Sequence[str], none: str = NONE) -> str:
    """A passage's type on `dimension` among its codes (`kinds` least integrated first): the most integrated one, as a
    run takes an answer's. A project's coding can give an answer one type per selection: the first by position was
    taken, and a researcher's added "risk-sharing" read as the "independent" before it."""
    prefix = f"{dimension}."
    found = [label.removeprefix(prefix) for label in labels if label.startswith(prefix)]
    known = [kind for kind in found if kind in kinds]
    return max(known, key=kinds.index) if known else found[0] if found else none


def run_agreement(answers: pd.DataFrame, coded_sample: pd.DataFrame, scheme: Scheme,
                  path: str | Sequence[str], books: Sequence = ()) -> dict:
    """How a run's decisions (its answers' `themes` and `top_theme`) agree with a coded sample of the same
    survey, keyed by respondent_id and question: the agreement of this survey, not of a calibration set.
    Answers the coder learned from (the text of a codebook example or a calibration passage of `books`,
    (codebook, calibration) pairs) are left out, as `themes evaluate` leaves them out: on those it would be
    memory, not agreement."""
    keyed = answers.set_index(["respondent_id", "question"])
    # Rows of the draw deleted: the rows left are no random sample, which the report says beside the figures
    # (review 176: said on the console alone, the report called the sample random)
    gap = missing_draw_rows(coded_sample.attrs.get("sample_ids", []))
    left_out = {k: int(v) for k, v in (coded_sample.attrs.get("left_out") or {}).items() if v}
    keys = list(zip(coded_sample["respondent_id"], coded_sample["question"]))
    missing = [k for k in keys if k not in keyed.index]
    if missing:
        raise GoldError(f"{coded_sample_name(path)}: respondent '{missing[0][0]}', question '{missing[0][1]}' of "
                        "the coded sample is not an answer of this input. Code a sample drawn from this survey "
                        "(themes sample).")
    learned = learned_answers(answers, coded_sample, books)
    if learned.any():
        coded_sample = coded_sample[~learned].reset_index(drop=True)
        keys = [k for k, known in zip(keys, learned) if not known]
    predicted = [[c for c in str(keyed.at[k, "themes"]).split(";") if c] for k in keys]
    primary = [str(keyed.at[k, "top_theme"]) or "none" for k in keys]

    def measured(part: str) -> dict:  # on the rows that code the part: an uncoded cell is no 'none'
        rows = [k for k, left in enumerate(coded_sample.get("uncoded", [()] * len(keys))) if part not in left]
        if not rows:
            return {"overall": {}, "per_theme": [], "per_dimension": []}
        return agreement([coded_sample["gold"].iat[k] for k in rows], [predicted[k] for k in rows],
                         [primary[k] for k in rows], scheme)

    result = measured("themes")
    # What the sample does not code has no agreement to show: its answers would all read "none" (not addressed).
    themes_coded = coded_sample.attrs.get("themes_coded", True)
    coded_dimensions = coded_sample.attrs.get("coded_dimensions", [d.dimension for d in scheme.dimension_blocks])
    per_dimension = []
    for dimension in coded_dimensions:
        rows = measured(dimension)["per_dimension"] if "uncoded" in coded_sample.columns else result["per_dimension"]
        per_dimension += [r for r in rows if r["dimension"] == dimension]
    files = [str(file) for file in _files(path)]
    theme_ids = [c.id for c in scheme.codebook.themes] if themes_coded else []
    return {"file": " + ".join(files), "files": files, "answers": len(keys), "left_out_learned": int(learned.sum()),
            "unlike_survey": unlike_survey(answers, keys, theme_ids),
            "draw_rows_missing": list(gap) if gap is not None else None,
            "left_out": left_out,  # rows of respondents not in this input, answers the run does not code
            "compared_with_survey": compared_with_survey(len(keys), len(_sampled_from(answers)), theme_ids),
            "overall": result["overall"] if themes_coded else {},
            "per_theme": result["per_theme"] if themes_coded else [],
            "per_dimension": per_dimension}


# How unlikely a coded sample's share of answers the machine flagged with a theme (or any) must be under random
# sampling, all the shares compared together (Bonferroni), before the sample is said not to be random
UNLIKE_P = 0.001
UNLIKE_MIN = 30  # coded answers below which no share is compared


def unlike_survey(answers: pd.DataFrame, keys: Sequence[tuple], themes: Sequence[str]) -> dict | None:
    """Whether the coded answers (`keys`, respondent and question) look like a random sample of the survey's codable
    answers by what the machine flagged in them: how many of them it flagged with each theme, and with any, against
    the survey's share, by the exact two-sided tail of the hypergeometric distribution (random sampling without
    replacement), the shares compared together under UNLIKE_P. The least likely, where it passes, else None (also
    where nothing is compared: `compared_with_survey`). Review 163: a hand-picked sample (answers the machine flagged
    88% of, against 52% of the survey's) read trust 74% (67-83%) with the coders' own 65% outside it, and the report
    called it 'at random'. Review 164: a normal approximation warned on 5% of random samples of 50 where a theme was
    flagged on 2 answers of 2,000."""
    from scipy.stats import hypergeom

    survey = _sampled_from(answers)
    n, total = len(keys), len(survey)
    if not compared_with_survey(n, total, themes):
        return None
    own = set(themes)  # a framework's types in the same column are no theme's flag
    flagged = [[c for c in codes if c in own] for codes in survey["themes"].fillna("").astype(str).str.split(";")]
    keyed = dict(zip(zip(survey["respondent_id"], survey["question"]), flagged))
    drawn = [keyed.get(key, []) for key in keys]
    shares = ["any", *themes]
    worst, least = None, UNLIKE_P / len(shares)  # the smallest tail so far, unadjusted
    for theme in shares:
        def has(codes: list[str], theme: str = theme) -> bool:
            return bool(codes) if theme == "any" else theme in codes

        held = sum(has(codes) for codes in flagged)
        hits = sum(has(codes) for codes in drawn)
        tail = min(1.0, 2 * min(hypergeom.cdf(hits, total, held, n), hypergeom.sf(hits - 1, total, held, n)))
        if tail < least:
            least = tail
            worst = {"theme": theme, "sample": round(hits / n, 3), "survey": round(held / total, 3),
                     "p": float(f"{tail * len(shares):.2g}")}
    return worst


def _sampled_from(answers: pd.DataFrame) -> pd.DataFrame:
    """The answers a coded sample is drawn from (themes.coding_sample): coded, with a theme or none, or cut for
    length."""
    return answers[answers["status"].isin(("coded", "uncoded", "too_long"))] if "status" in answers.columns \
        else answers


def compared_with_survey(n: int, total: int, themes: Sequence[str]) -> bool:
    """Whether `unlike_survey` compares a sample of `n` coded answers with the `total` it was drawn from."""
    return n >= UNLIKE_MIN and total > n and bool(themes)


def unlike_survey_note(found: dict | None, labels: dict[str, str] | None = None) -> str:
    """`unlike_survey`'s finding in words for the report and the console, or ""."""
    if not found:
        return ""
    what = "any theme" if found["theme"] == "any" else (labels or {}).get(found["theme"], found["theme"])
    return (f"The coded sample does not look like a random sample of this survey: the tool flagged {what} in "
            f"{found['sample']:.0%} of its answers against {found['survey']:.0%} of all the survey's answers (a gap "
            "fewer than one random sample in a thousand would show). The corrected figures assume a random sample, "
            "so they lean toward what the sample holds more of: if it was not drawn with 'themes sample', code one "
            "that is; if it was, check that no rows were added, dropped or chosen since, and that it was drawn from "
            "this survey as it is now (a project's later batches included).")


def cohen_kappa(a, b) -> float:
    a, b = list(a), list(b)
    if len(set(a) | set(b)) < 2:
        return 1.0 if a == b else 0.0
    value = cohen_kappa_score(a, b)
    return float(value) if value == value else 0.0


def _alpha(krippendorff, a, b) -> float:
    data = np.array([list(a), list(b)], dtype=float)
    if len(np.unique(data)) < 2:
        return 1.0
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def disagreements(gold: pd.DataFrame, predicted: list[list[str]], predicted_primary: list[str],
                  scores: np.ndarray, ids: list[str]) -> pd.DataFrame:
    """Passages where the model's codes differ from the gold ones, the most confident mistakes first."""
    rows = []
    themes = {i for i in ids if "." not in i}
    for i, (g, p, pp) in enumerate(zip(gold["gold"], predicted, predicted_primary)):
        if set(g) == set(p) and primary_of([t for t in g if t in themes]) == pp:
            continue
        confidence = float(scores[i].max()) if pp != NONE else float(1 - scores[i].max())
        rows.append({"passage_id": gold["passage_id"].iat[i], "text": gold["text"].iat[i],
                     "gold": ";".join(g) or NONE, "predicted": ";".join(p) or NONE,
                     "gold_primary": primary_of([t for t in g if t in themes]), "predicted_primary": pp, "confidence": round(confidence, 3),
                     **{f"score_{t}": round(float(scores[i, k]), 3) for k, t in enumerate(ids)}})
    frame = pd.DataFrame(rows)
    return frame.sort_values("confidence", ascending=False, kind="stable") if len(frame) else frame


def evaluation_markdown(result: dict, *, title: str, notes: list[str]) -> str:
    lines = [f"# {title}", "", *notes, ""]
    if result["per_theme"]:
        lines += _theme_markdown(result)
    if result["per_dimension"]:
        lines += _dimension_markdown(result)
    return "\n".join(lines) + "\n"


def _number(value) -> str:
    return "not measured" if value is None else f"{value:.3f}"


def _theme_markdown(result: dict) -> list[str]:
    overall = result["overall"]
    lines = [f"- Passages: {overall['passages']}",
             f"- Cohen's kappa, primary theme (\"none\" a class): **{_number(overall['primary_kappa'])}**",
             f"- Krippendorff's alpha (nominal), primary theme: {_number(overall['primary_alpha'])}",
             f"- Primary theme accuracy: {_number(overall['primary_accuracy'])}",
             f"- Exact match of theme sets: {_number(overall['exact_match'])}; macro F1: "
             f"{_number(overall['macro_f1'])}",
             f"- Mixed passages (two themes or more): {overall['mixed_passages']}; recall of their themes after "
             f"the first: {_number(overall['later_theme_recall'])}"
             + (f" (fewer than {FEW_CODED} mixed passages)" if 0 < overall["mixed_passages"] < FEW_CODED else ""),
             "", "## Per theme (presence of the theme, multi-label)", "",
             f"A theme no coded passage carries is \"not measured\": there is nothing to agree on; nor one fewer than "
             f"{FEW_CODED} carry (recall, F1, kappa and alpha from so few coded passages say nothing), nor the "
             f"precision of one the model coded fewer than {FEW_CODED} passages with. Macro F1 is "
             "the mean F1 of the themes coded or predicted (on every passage, those few included): a theme no coded "
             "passage carries that the model predicted counts 0, its predictions all false alarms.", "",
             "| theme | gold | predicted | precision | recall | F1 | kappa | alpha |", "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['theme']} | {r['gold']} | {r['predicted']} | {_number(r['precision'])} | {_number(r['recall'])} | "
              f"{_number(r['f1'])} | {_number(r['kappa'])} | {_number(r['alpha'])} |" for r in result["per_theme"]]
    lines += ["", "## Confusion of the primary theme (rows: gold, columns: predicted)", "",
              *_confusion_markdown(result["confusion"]), ""]
    return lines


def _dimension_markdown(result: dict) -> list[str]:
    lines = ["## Per dimension (one type per passage, \"none\" = not addressed, a class of its own)", "",
             "Type accuracy: of the passages both the coder and the model gave a type, the share where the types "
             "match; \"all addressed\" counts a passage the model left unaddressed as wrong. A dimension fewer than "
             f"{FEW_CODED} coded passages address is \"not measured\".", "",
             "| dimension | passages | coder addressed | model addressed | type accuracy | type accuracy, all "
             "addressed | kappa | alpha |", "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['dimension']} | {r['passages']} | {r['gold_addressed']} | {r['predicted_addressed']} | "
              f"{_number(r['type_accuracy'])} | {_number(r['type_accuracy_all_addressed'])} | {_number(r['kappa'])} | "
              f"{_number(r['alpha'])} |" for r in result["per_dimension"]]
    for dimension, confusion in result["dimension_confusion"].items():
        lines += ["", f"### Confusion: {dimension} (rows: gold, columns: predicted)", "", *_confusion_markdown(confusion)]
    return lines + [""]


def _confusion_markdown(confusion: pd.DataFrame) -> list[str]:
    lines = ["| | " + " | ".join(c.removeprefix("predicted ") for c in confusion.columns) + " |",
             "|---" * (len(confusion.columns) + 1) + "|"]
    return lines + [f"| {idx.removeprefix('gold ')} | " + " | ".join(str(v) for v in row) + " |"
                    for idx, row in zip(confusion.index, confusion.to_numpy())]

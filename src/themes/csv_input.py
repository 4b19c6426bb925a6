"""Reading a CSV export as a spreadsheet user saved it: its text encoding (a few Windows rows in a UTF-8 file
included), its delimiter, line endings (Excel for Mac's bare CR), blank lines and a title above the column names,
and a header that says which row holds them. `themes.ingest.read_table` reads every format through here or its
own readers."""

from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path

import pandas as pd

from themes.errors import CutShort, InputError

DELIMITERS = (",", "\t", ";", "|")
# A cell may hold a whole pasted report; Python's csv module stops at 131,072 characters by default.
csv.field_size_limit(2**31 - 1)


def read_csv_export(path: Path, header_row: int | None = None) -> pd.DataFrame:
    raw = path.read_bytes()
    text, encoding, odd = _decoded(raw, path)
    # Excel for Mac (2011 and before) ends records with a bare CR, which the CSV reader takes for a line break in
    # an unquoted field ("universal-newline mode"); a LF is then a line break inside an answer, quoted or not. The
    # LFs are set aside while the CRs become line ends: one character for one, so the offsets in `odd` hold.
    inner = ""
    if _mac_line_ends(text, '"', "\r", "\n"):
        inner = next(c for c in map(chr, range(0xE000, 0xF900)) if c not in text)  # a private-use character
        text = re.sub(r"\r(?!\n)", "\n", text.replace("\n", inner))
    whole, cut = text, 0  # characters taken off the front, to find the lines in `odd`
    # Excel writes "sep=;" as a first line to name the delimiter: it is not the header.
    hint = re.match(r"\s*sep=(.)\r?\n", text)
    if hint:
        text, cut = text[hint.end():], hint.end()
    skipped = 0  # lines above the column names: the rows keep the numbers the file gives them
    if header_row is not None:  # the lines above the column names, as the user counts them
        lines = text.split("\n")
        if header_row > len(lines) or not lines[header_row - 1].strip():
            where = "past the end of the file" if header_row > len(lines) else "an empty line"
            raise InputError(f"{path}: --header-row {header_row} is {where}; give the row that holds the column "
                             "names.")
        above = "\n".join(lines[header_row - 1:])
        text, skipped, cut = above, header_row - 1, cut + len(text) - len(above)
    title = ""
    if header_row is None:
        above, title = _above_the_header(text)
        skipped, cut, text = above.count("\n"), cut + len(above), text[len(above):]
    first_line = text.split("\n", 1)[0]
    if not hint and path.suffix.lower() == ".tsv" and "\t" not in first_line and "," in first_line:
        # read with tabs it was one column named "respondent_id,org_type,...", and the advice was --id-column
        raise InputError(f"{path} is named .tsv, but commas, not tabs, separate its columns: rename it .csv.")
    separator = hint.group(1) if hint else "\t" if path.suffix.lower() == ".tsv" else _delimiter(text)
    header = _checked_header(text, separator, path, lines_above=whole[:cut].count("\n"), sep_line=bool(hint))
    # Blank lines are read (as empty rows, dropped later) so that the rows after them keep their numbers.
    # index_col=False: records that end in an empty extra field (a delimiter at the end of each line) keep
    # their columns; pandas would otherwise take the first column as a row index and shift the rest.
    short = _last_row_cut_short(text, separator, len(header))
    if short is not None:
        line = whole[:cut].count("\n") + short
        raise CutShort(f"{path} ends in the middle of a row: its last row (line {line} of the file) has "
                       f"fewer columns than the others and no line end. {_CUT_SHORT}, or, if it is whole, add a line "
                       "break at its end.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.ParserWarning)  # "loss of data": only empty fields, checked
        try:
            table = pd.read_csv(io.StringIO(text), sep=separator, engine="python", dtype=str, keep_default_na=False,
                                skip_blank_lines=False, index_col=False)
        except pd.errors.ParserError as error:
            if "unexpected end of data" in str(error):  # a quote opened and never closed: the rest is gone
                raise CutShort(f"{path} ends inside a quoted answer (a quote opened and never closed). {_CUT_SHORT}."
                               ) from None
            raise
    if inner:
        table = table.map(lambda value: value.replace(inner, "\n") if isinstance(value, str) else value)
        table.columns, header = [str(c).replace(inner, "\n") for c in table.columns], [h.replace(inner, "\n")
                                                                                       for h in header]
    table = distinct_columns(table, header)
    if encoding:
        table.attrs["encoding"] = encoding
    if not hint and path.suffix.lower() != ".tsv" and separator != ",":  # a guess, so said
        table.attrs["delimiter"] = separator
    if odd:
        records = _records_at(text, [start - cut for start in odd if start >= cut], separator)
        table.attrs["encoding_rows"] = [skipped + record + 1 for record in records]
    table.index = table.index + skipped  # rows numbered as the file has them
    if title:
        table.attrs["platform_rows"] = f"{title}: not answers"
    return table


_CUT_SHORT = "It looks cut short (half-written, or still being copied): export or copy it again"


def _last_row_cut_short(text: str, separator: str, columns: int) -> int | None:
    """The line on which the last record begins, when it looks cut off: no line end after it, fewer fields than the
    header, and every other record full. A copy stopped mid-row was read as a respondent ("R20" of "R207") with
    empty answers, and the rest lost, with no word. A file whose rows are ragged throughout is left alone."""
    if not text or text.endswith(("\n", "\r")):
        return None
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    last, start, ended, full = None, 1, 0, True
    try:
        for record in reader:
            if last is not None and any(field.strip() for field in last) and len(last) < columns:
                full = False
            last, start, ended = record, ended + 1, reader.line_num
    except csv.Error:
        return None
    return start if last is not None and len(last) < columns and full else None


def _above_the_header(text: str) -> tuple[str, str]:
    """The blank lines and the title above the column names, as a spreadsheet saved as CSV writes a sheet that
    starts lower down (read as they were, an empty first line was a header of no columns), and the title as said:
    its row and its start ('' for none). A title of up to three lines ("Partnership RFI 2025 - export" over
    "Generated 4/1/2025"), each a field or two, blank lines between them allowed: two lines stopped the read with
    advice about commas inside answers (review 159)."""
    blank_lines = re.compile(r"(?:[ \t\r]*\n)+")
    lines, position = [], 0  # the first lines that are not blank: (their text, where the next line starts)
    while len(lines) < 4:
        blank = blank_lines.match(text, position)
        if blank and text[blank.end():].strip():
            position = blank.end()
        end = text.find("\n", position)
        if end < 0:
            break
        lines.append((text[position:end], end + 1))
        position = end + 1
    first = blank_lines.match(text)
    above = first.group() if first and text[first.end():].strip() else ""
    for count in range(1, min(3, len(lines) - 1) + 1):
        line, after = lines[count - 1]
        short = all(_short_line(earlier) for earlier, _ in lines[:count - 1])
        if short and _title_line(line, text[after:]):
            blank = blank_lines.match(text, after)
            taken = blank.end() if blank and text[blank.end():].strip() else after
            rows = text.count("\n", 0, len(above)) + 1
            last = text.count("\n", 0, lines[count - 1][1])
            where = f"row {rows}" if count == 1 else f"rows {rows}-{last}"
            return text[:taken], f"{where}, a title above the column names ('{lines[0][0].strip()[:40]}')"
    return above, ""


def _short_line(line: str) -> bool:
    """A line of a field or two, no quotes left open: a title's line."""
    return bool(line.strip()) and not line.count('"') % 2 and len(next(csv.reader([line]), [])) <= 3


def _title_line(line: str, below: str) -> bool:
    """A title above the column names ("Partnership RFI - responses exported 2 Nov"), as a spreadsheet saved as CSV
    without padding commas writes it: a line of a field or two (a comma in a title makes two) over a table whose
    header has twice as many or more. Quotes left open start a header cell that spans lines, not a title."""
    if not line.strip() or line.count('"') % 2 or not _same_fields_below(below):
        return False
    delimiter = _delimiter(below)
    fields = next(csv.reader([line], delimiter=delimiter), [])
    header = next((record for record in csv.reader(io.StringIO(below[:200_000]), delimiter=delimiter) if record), [])
    return len(fields) <= min(3, len(header) // 2)


def _records_at(text: str, starts: list[int], delimiter: str) -> list[int]:
    """The records (from 0, the header) that hold the characters at `starts`: a record may span lines."""
    lines = sorted(text.count("\n", 0, start) + 1 for start in starts)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    found: list[int] = []
    for record, _ in enumerate(reader):
        while lines and lines[0] <= reader.line_num:
            found.append(record)
            lines.pop(0)
    return found


def _same_fields_below(text: str) -> bool:
    """The records start with a header of three fields or more that most of the next records match: a table under
    the line above it (a one-column file of answers with commas in them has no such header)."""
    delimiter = _delimiter(text)
    records = [len(r) for r, _ in zip(csv.reader(io.StringIO(text[:200_000]), delimiter=delimiter), range(21)) if r]
    matching = sum(n == records[0] for n in records[1:])
    return len(records) >= 3 and records[0] >= 3 and matching >= 0.8 * (len(records) - 1)


def _checked_header(text: str, separator: str, path: Path, *, lines_above: int = 0, sep_line: bool = False
                    ) -> list[str]:
    """The header's fields. A record with more fields than the header is an error naming its line (counted in the
    file, where `lines_above` lines were taken off the text's top, `sep_line` Excel's "sep=" line among them, which
    --header-row does not count): pandas would take an extra field in the first record as a row index and shift
    every column by one, silently."""
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    header = next(reader, [])
    first = lines_above + reader.line_num
    below = [len(r) for r, _ in zip(csv.reader(io.StringIO(text[:200_000]), delimiter=separator), range(21)) if r][1:]
    for record in reader:
        if len(record) > len(header) and any(field.strip() for field in record[len(header):]):
            line = reader.line_num + lines_above
            # A line of a field or two over records that agree with each other: a title or a note, not the header.
            if len(header) <= min(3, len(record) // 2) and len(set(below)) == 1:
                raise InputError(f"{path}:{first}: the line above the table ('{separator.join(header)[:40]}') has "
                                 f"{len(header)} field{'s' * (len(header) > 1)} and line {line} has {len(record)}: "
                                 f"a title? Pass --header-row {line - sep_line} (the row that names the columns), "
                                 "or delete the line.")
            name = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}.get(separator, repr(separator))
            raise InputError(f"{path}:{line}: {len(record)} fields where the header names {len(header)}: a {name} "
                             "inside an answer without quotes around it? Quote that answer (\"...\") or export the "
                             "file again.")
    return header


def _delimiter(text: str) -> str:
    """The delimiter that splits the first records into the same number of fields, more than one; a comma
    when none does (a single-column file). Quoted fields may hold line breaks, even in the header."""
    sample = text[:200_000]
    best, best_fields = ",", 1
    for delimiter in DELIMITERS:
        try:
            records = [len(r) for r, _ in zip(csv.reader(io.StringIO(sample), delimiter=delimiter), range(50)) if r]
        except csv.Error:
            continue
        if len(records) > 2:
            records = records[:-1]  # the sample may end inside a record
        # Every record has the header's fields, but for a few lines under the table ("Exported by: ...", "Total
        # records: 30"), which the reader skips later as notes and summaries.
        same = next((k for k, n in enumerate(records) if n != records[0]), len(records)) if records else 0
        if records and records[0] > best_fields and same >= 2 and len(records) - same <= 3 and all(
                n < records[0] for n in records[same:]):
            best, best_fields = delimiter, records[0]
    return best


def distinct_columns(table: pd.DataFrame, header: list) -> pd.DataFrame:
    """A header that names a column twice: the copies become "name (2)", "name (3)", each coded, and
    `table.attrs["repeated_columns"]` maps the name to all of them. A blank cell is 'Unnamed: 3', as pandas names
    it (by its position from 0): named '' or 'nan', its column could not be told from no column (an id column named
    '' read as none)."""
    names = [" ".join(str(name).split()) for name in header]
    names = [f"Unnamed: {k}" if name in ("", "nan") else name for k, name in enumerate(names)]
    if len(names) != len(table.columns) or len(set(names)) == len(names):
        return table
    seen: dict[str, list[str]] = {}
    columns = []
    for name in names:
        copies = seen.setdefault(name, [])
        columns.append(name if not copies else f"{name} ({len(copies) + 1})")
        copies.append(columns[-1])
    table.columns = columns
    table.attrs["repeated_columns"] = {name: copies for name, copies in seen.items() if len(copies) > 1}
    return table


def decode(raw: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) first; then the encoding charset-normalizer finds, cp1252 at worst.

    A workbook or other binary file given a text extension raises InputError saying so.
    """
    return _decoded(raw, path)[0]


def _decoded(raw: bytes, path: Path) -> tuple[str, str | None, list[int]]:
    """The text, the encoding guessed when it is not UTF-8 (None for UTF-8), and the offsets in the text of the
    lines read as cp1252 in a file that is UTF-8 but for them: see `decode`."""
    if raw.startswith(_WORKBOOK_MAGIC):
        raise InputError(f"{path} looks like an Excel workbook, not CSV text. Rename it to .xlsx (save an old "
                         f".xls as .xlsx) and retry.")
    try:
        text, encoding = raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        text = None
        mixed = _utf8_but_a_few_lines(raw)
        if mixed is not None:
            return mixed[0], None, mixed[1]
    if text is None or "\x00" in text:  # a NUL may be UTF-16 without a BOM
        text, encoding = _detect_and_decode(raw, path)
    if "\x00" in text:
        raise InputError(_binary_message(path))
    return text, encoding, []


def _utf8_but_a_few_lines(raw: bytes) -> tuple[str, list[int]] | None:
    """A UTF-8 export with a few lines of Windows text added (a row typed or pasted in Excel on Windows and
    appended): taken whole for one encoding, detection picked one that fits both ("caf√©" for "café" in every
    row). Such a file is read as UTF-8 and those lines as cp1252, when other lines hold UTF-8 letters
    beyond ASCII (so the file is UTF-8, not Windows text with a chance sequence) at least as many as the odd
    lines, and the odd lines are few. Returns the text and where each odd line starts in it; None otherwise."""
    if b"\x00" in raw:  # UTF-16 or binary: detection's to judge
        return None
    lines = raw.splitlines(keepends=True) if b"\n" not in raw else raw.split(b"\n")
    parts, odd, utf8 = [], [], 0
    for k, line in enumerate(lines):
        end = b"\n" if b"\n" in raw and k < len(lines) - 1 else b""
        try:
            part = line.decode("utf-8-sig" if k == 0 else "utf-8")
            utf8 += not line.isascii()
        except UnicodeDecodeError:
            odd.append(sum(len(p) for p in parts))
            part = line.decode("cp1252", errors="replace")
        parts.append(part + end.decode())
    if not odd or utf8 < len(odd) or len(odd) > max(3, len(lines) // 50):
        return None
    return "".join(parts), odd


def _few_odd_bytes(raw: bytes, encoding: str) -> bool:
    """An English export with a few characters of Excel's Windows encoding ("hospital’s", "Peña") fits many
    encodings byte for byte, and detection, with so little to go on, may take a DOS or a Chinese one ("espa±ol",
    "hospital𠏋"): a file with only a handful of bytes beyond ASCII is read as cp1252 where that reads it."""
    if encoding.lower().replace("-", "_") in ("utf_8", "utf_16", "utf_32", "cp1252"):
        return False
    odd = sum(1 for byte in raw if byte > 0x7F)
    if not 0 < odd <= 40 or odd > len(raw) / 200:
        return False
    try:
        raw.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


# What the letters beyond ASCII of a Western European text are (Spanish, French, Portuguese, German answers, and
# Excel's quotes and dashes), as cp1252 reads them.
_WESTERN = frozenset("áéíóúñüÁÉÍÓÚÑÜàèìòùâêîôûçëïöäÀÈÌÒÙÂÊÎÔÛÇËÏÖÄãõÃÕåæøœßÅÆØŒ¿¡’‘“”–—…•°«»€ªº")


def _reads_as_western(raw: bytes, encoding: str) -> bool:
    """A Windows export of Western European text that detection took for another code page: "Café santé" 240 times
    read as Mac Latin 2 ("Cafť santť", which it found the more coherent). Where cp1252 reads every byte and nearly all
    the letters it gives beyond ASCII are Western European ones, it is cp1252 (a Polish cp1250 file gives "¹")."""
    if encoding.lower().replace("-", "_") in ("utf_8", "utf_8_sig", "utf_16", "utf_32", "cp1252"):
        return False
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        return False
    beyond = [c for c in text if ord(c) > 0x7F]
    return bool(beyond) and sum(c in _WESTERN for c in beyond) >= 0.98 * len(beyond)


_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (a zip) and the old .xls


def _binary_message(path: Path) -> str:
    return f"{path} holds binary data, not text. Is it the right file? Export the survey as CSV and retry."


_QUOTED_CELL = re.compile(r'(?<![^,;|\t\r\n])"(?:[^"]|"")*"(?![^,;|\t\r\n])')
_QUOTED_CELL_BYTES = re.compile(_QUOTED_CELL.pattern.encode())


def _mac_line_ends(text, quote, cr, lf) -> bool:
    """Whether records end with a bare CR (Excel for Mac): more bare CRs than LFs outside the quoted cells, where
    records end (answers of two paragraphs each, or with CRs of their own, would tip a count of the whole text).
    A stray quote (5" pipe) swaps inside and outside for the rest of the file: then only quotes that open and close a
    cell (at its edges, between delimiters or line ends) count as quoting."""
    def more_crs(part) -> bool:
        return part.count(cr) - part.count(cr + lf) > part.count(lf)

    if text.count(quote) % 2 == 0:
        return more_crs(quote[:0].join(text.split(quote)[0::2]))
    return more_crs((_QUOTED_CELL_BYTES if isinstance(text, bytes) else _QUOTED_CELL).sub(quote[:0], text))


def _detect_and_decode(raw: bytes, path: Path) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    if b"\x00" not in raw and _mac_line_ends(raw, b'"', b"\r", b"\n"):
        # Lines that end in a bare CR come from Excel for Mac's "CSV (Macintosh)", which writes Mac Roman: its
        # curly quotes are letters in cp1252 ("countyÕs"), which detection takes as readily.
        return raw.decode("mac_roman"), "mac_roman"
    matches = from_bytes(raw)
    best = matches.best()
    encoding = best.encoding if best is not None else "cp1252"
    if encoding in ("ascii", "latin_1", "iso8859_1"):
        encoding = "cp1252"  # a superset for the smart quotes and dashes Excel writes
    # A mostly-English export often fits cp1250, cp1252 and cp1257 equally well (they share the bytes
    # of smart quotes and dashes and differ on letters such as "ñ"); Excel on US Windows writes cp1252.
    if best is not None and any("cp1252" in match.could_be_from_charset and match.chaos <= best.chaos
                                and match.coherence >= best.coherence for match in matches):
        encoding = "cp1252"
    if _few_odd_bytes(raw, encoding) or _reads_as_western(raw, encoding):
        encoding = "cp1252"
    try:
        return raw.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError):
        if b"\x00" in raw:
            raise InputError(_binary_message(path)) from None
        raise InputError(f"{path}: the text encoding cannot be recognised. Save it as UTF-8 CSV and retry.") from None

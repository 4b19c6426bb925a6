"""Make everything a program officer opens inert, and never overwrite what themes did not write.

- `escape(text, fmt)`: the one escaping function for every officer-facing text format. Respondents'
  answers, metadata values and column names, codebook labels and the input file name reach the
  reports; in HTML they are entity-escaped, in Markdown every character that starts markup, a link,
  an image or raw HTML is escaped too, so no viewer renders a tag, a `javascript:` link or a remote
  image from them.
- `write_cell` / `write_table`: the one way a workbook cell is written. Strings are always written
  as strings (never formulas, array formulas `{=...}` or links, whatever they start with).
- `is_themes_output(folder)`: a folder is a previous run's only when its manifest says so in content,
  not merely because a file has the manifest's name.
- `file_slugs(names)`: file-name parts for metadata columns, distinct even when two names fold alike.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from numbers import Number
from pathlib import Path

from markupsafe import Markup
from markupsafe import escape as _html_escape

FORMATS = ("html", "markdown")

# Characters that start Markdown constructs anywhere in a line: emphasis, code, links and images
# ([ ] and the ! before them), tables (|), strikethrough (~) and backslash escapes themselves. An
# underscore inside a word ("org_type") starts nothing and is left as it is, for the raw file's reader.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]|~]|(?<![^\W_])_|_(?![^\W_]))")
# Controls (other than tab) and line breaks: a value must stay on its line (a table cell, a quote).
_BREAKS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u2028\u2029]+")


def escape(value: object, fmt: str) -> str:
    """`value` as inert text in `fmt` ("html" or "markdown"); a `Markup` value is trusted as built.

    Markdown: `&`, `<`, `>` become entities (so "&lt;script&gt;" shows as written instead of being
    decoded into a tag), markup characters get a backslash, and line breaks become spaces.
    """
    if fmt not in FORMATS:
        raise ValueError(f"The 'fmt' must be one of {', '.join(FORMATS)}. Got {fmt!r} instead.")
    if isinstance(value, Markup):
        return value
    if fmt == "html":
        return _html_escape("" if value is None else value)
    text = "" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return _BREAKS.sub(" ", text).strip()


# --- Workbooks ----------------------------------------------------------------------------------

# Text a spreadsheet could run as a formula gets a leading apostrophe in every export (CSV too).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXCEL_CELL_LIMIT = 32_767  # characters; xlsxwriter refuses a longer string

WORKBOOK_OPTIONS = {
    # Never turn a string into a formula, a link or a number: the cell holds what the text says.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,
}


def neutralise_formula(value):
    """'=SUM(A1)' -> "'=SUM(A1)"; numbers and other text unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_cell(sheet, row: int, column: int, value, cell_format=None, quoted_format=None) -> None:
    """Write one value to an xlsxwriter sheet: a number as a number, anything else as plain text.

    `write_string` is used for every text, never `write`, which would turn "{=...}" into an array
    formula and "http://", "mailto:" or "external:" text into a link. Text that a spreadsheet could run as a
    formula ("=1+1 trust", "@Trust") takes `quoted_format` when given, a format with Excel's quote prefix: it
    stays text when a reader edits the cell, with no apostrophe in what they read or copy. Without one it gets
    a leading apostrophe, as in the CSV files.
    """
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        sheet.write_blank(row, column, None, cell_format)
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value, cell_format)
    elif isinstance(value, Number) and math.isfinite(float(value)):
        sheet.write_number(row, column, float(value), cell_format)
    else:
        text = str(value)
        quoted = quoted_format is not None and text.startswith(FORMULA_START)
        text = text if quoted else neutralise_formula(text)
        if len(text) > EXCEL_CELL_LIMIT:
            text = text[:EXCEL_CELL_LIMIT - 1] + "\u2026"
        sheet.write_string(row, column, text, quoted_format if quoted else cell_format)


def write_table(sheet, frame, *, header_format=None, cell_format=None, widths: dict[str, int] | None = None,
                default_width: int = 14, quoted_format=None, formats: dict | None = None) -> None:
    """A frame as a sheet: a header row, every cell through `write_cell`, widths, frozen header, filters.
    `quoted_format`: the cell format with a quote prefix, for text a spreadsheet could run (see `write_cell`).
    `formats`: a column's own cell format by its title (a number format: "94.0" shown as "94" beside "95.4")."""
    widths, formats = widths or {}, formats or {}
    for column, title in enumerate(frame.columns):
        write_cell(sheet, 0, column, str(title), header_format)
        sheet.set_column(column, column, widths.get(str(title), default_width), formats.get(str(title), cell_format))
    for row, values in enumerate(frame.itertuples(index=False), start=1):
        for column, value in enumerate(values):
            write_cell(sheet, row, column, value.item() if hasattr(value, "item") else value,
                       formats.get(str(frame.columns[column])), quoted_format=quoted_format)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(frame), 1), max(len(frame.columns) - 1, 0))


# --- Output folders -----------------------------------------------------------------------------

MANIFEST = "manifest.json"
EVALUATION = "evaluation.json"
_MARKER_LIMIT = 50_000_000  # bytes; a real manifest is a few kilobytes
# The keys each marker file of a themes output folder always holds.
_MARKER_KEYS = {MANIFEST: {"themes_version", "created", "input", "codebook", "accounting"},
                EVALUATION: {"overall", "per_theme", "gold_file", "codebook_content_hash"}}


def is_themes_output(folder: Path) -> bool:
    """True when `folder` holds a manifest (or evaluation.json) that themes wrote, judged by its content."""
    for name, keys in _MARKER_KEYS.items():
        marker = folder / name
        try:
            if not marker.is_file() or marker.is_symlink() or marker.stat().st_size > _MARKER_LIMIT:
                continue
            data = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        if isinstance(data, dict) and keys <= set(data):
            return True
    return False


def file_slugs(names: Iterable[str]) -> dict[str, str]:
    """A distinct file-name part for each name: 'Org Type' -> 'org_type'; 'a/b' and 'a b' -> 'a_b', 'a_b_2'."""
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        base = "".join(ch if ch.isalnum() else "_" for ch in str(name).lower()).strip("_")[:80] or "column"
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}_{n}", n + 1
        taken.add(slug)
        slugs[name] = slug
    return slugs

"""REFI-QDA exchange: codebooks (.qdc) and coded projects (.qdpx) that NVivo, ATLAS.ti, MAXQDA,
QualCoder and Taguette read and write.

- A theme is a codable code named by its label; a dimension is a non-codable code whose children
  are its types. The code's description holds the definition, then the inclusion and exclusion
  notes and examples, then a `themes id:` line, so a codebook survives a trip through a QDA tool.
- GUIDs come from the codebook's `guid` fields, else from the codebook name and the id (the same
  codebook always gets the same GUIDs).
- A project holds one text source per respondent (their answers under `## question` headings) or
  per answer; each coded segment is a `PlainTextSelection` coded by the user "themes (automatic)".
  Positions count Unicode code points from 0, the end exclusive (`text[start:end]`).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from themes.codebook import (COLOR_PATTERN, DEFINITION_PLACEHOLDER, GUID_PATTERN, RESERVED_IDS, Codebook, Theme,
                             first_id, plain_key)
from themes.errors import GoldError, ThemesError

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
AUTOMATIC_USER = "themes (automatic)"
ID_LINE = "themes id:"
FORMERLY_LINE = "Formerly:"  # the ids a code had before, read back into `formerly`
# A dimension's types in the order of integration: a QDA tool may list codes by name ("full_access" before
# "reporting_only"), and the order decides which type an answer of several segments takes.
ORDER_LINE = "Types, least to most integrated:"
HEADING = "## "
SECTIONS = {"Include:": "include", "Exclude:": "exclude", "Examples:": "examples",
            "Counter-examples:": "counter_examples"}
_GUIDS = uuid.UUID("5b0f2a1e-8c1d-4f4e-9a57-0d6c2e7f3a10")  # the namespace of every GUID this module makes


def stable_guid(*parts: str) -> str:
    return str(uuid.uuid5(_GUIDS, "\x1f".join(parts)))


def _norm_guid(guid: str) -> str:
    return guid.strip("{}").lower()


# --- codebook <-> codes --------------------------------------------------------------------------

@dataclass
class Code:
    guid: str
    name: str
    codable: bool
    description: str = ""
    children: list[Code] = field(default_factory=list)
    category_id: str | None = None  # the theme id ("dimension.type" for a type) this code stands for
    color: str | None = None  # "#RRGGBB", as the QDA tool showed it
    unread_color: str | None = None  # a colour written otherwise ("red", "#C0504DFF"): said, not kept


def codebook_codes(codebook: Codebook) -> list[Code]:
    """The codebook as REFI codes: themes as codes, dimensions as groups of their types."""
    codes = [Code(theme.guid or stable_guid(codebook.name, first_id(theme)), theme.label, True,
                  describe(theme, theme.id), category_id=theme.id, color=theme.color) for theme in codebook.themes]
    for dimension in codebook.dimensions:
        types = [Code(kind.guid or stable_guid(codebook.name, f"{first_id(dimension)}.{first_id(kind)}"), kind.label,
                      True, describe(kind, f"{dimension.id}.{kind.id}"), category_id=f"{dimension.id}.{kind.id}",
                      color=kind.color)
                 for kind in dimension.types]
        threshold = f"Threshold: {dimension.threshold:g}" if dimension.threshold is not None else ""
        formerly = f"{FORMERLY_LINE} {', '.join(dimension.formerly)}" if dimension.formerly else ""
        order = f"{ORDER_LINE} {', '.join(kind.id for kind in dimension.types)}"
        note = "\n\n".join(part for part in (dimension.description, threshold, formerly, order,
                                             f"{ID_LINE} {dimension.id}") if part)
        codes.append(Code(dimension.guid or stable_guid(codebook.name, first_id(dimension)), dimension.label, False,
                          note, types, color=dimension.color))
    return codes


def describe(theme: Theme, category_id: str) -> str:
    """A code's description: the definition, the notes and examples as lists, the themes id."""
    parts = [theme.definition]
    for title, key in SECTIONS.items():
        items = getattr(theme, key)
        if items:
            parts.append(_list_block(title, items))
    if theme.threshold is not None:
        parts.append(f"Threshold: {theme.threshold:g}")
    if theme.formerly:
        parts.append(f"{FORMERLY_LINE} {', '.join(theme.formerly)}")
    parts.append(f"{ID_LINE} {category_id}")
    return "\n\n".join(parts)


def misread_descriptions(codebook: Codebook) -> list[str]:
    """The categories whose description would not read back as written (a definition holding "Include:" above a
    "- " list, as a researcher adds notes in a QDA tool): after a round trip through a QDA tool the list would be
    the inclusion notes, and the content hash would change. Said when the codebook is exported."""
    out = []
    for category in codebook.categories:
        theme = category.theme
        back = parse_description(describe(theme, category.id))
        for key in ("definition", *SECTIONS.values()):
            written = theme.definition if key == "definition" else list(getattr(theme, key))
            if back.get(key, "" if key == "definition" else []) != written:
                out.append(f"'{category.id}': its {key.replace('_', ' ')} would come back otherwise from a QDA tool "
                           "(a line such as 'Include:' or 'Examples:' above a '- ' list reads as that list's heading): "
                           "write the list as prose, or move it to its own field")
                break
    return out


def _list_block(title: str, items: list[str]) -> str:
    """A titled list as descriptions hold them: "- item" lines, an item's further lines indented."""
    return title + "".join("\n- " + item.replace("\n", "\n  ") for item in items)


# A list item's mark: "- " as `_list_block` writes it, or the bullet a QDA tool or a rich-text paste puts in its
# place.
_ITEM = re.compile(r"(?:[-*•◦‣▪·–—●]|\d{1,3}[.)])\s+")


def _list_items(lines: list[str]) -> list[str]:
    """The items of a `_list_block`'s lines: each starts at a mark ("- ", "• ", "1. "); an indented line goes on
    the item before it. A line with no mark before the first item starts one: its text is never dropped."""
    items: list[str] = []
    if not any(_ITEM.match(line) for line in lines) and any(_ITEM.match(line.lstrip()) for line in lines):
        lines = [line.lstrip() for line in lines]  # a list indented as a whole ("  - a\n  - b")
    for line in lines:
        mark = _ITEM.match(line)
        if mark:
            items.append(line[mark.end():])
        elif items:
            items[-1] += "\n" + line.removeprefix("  ")
        else:
            items.append(line)
    return [item.strip() for item in items if item.strip()]


# A section's heading as `describe` writes it ("Exclude:"), or as a researcher types one in a QDA tool's memo:
# any case, singular or plural, a space before the colon ("INCLUDE:", "Example:", "Counter examples :").
_HEADING_WORDS = r"(?i)(include|exclude|examples?|counter[- ]?examples?)\s*:"
_HEADING = re.compile(_HEADING_WORDS)
_HEADING_KEYS = {"include": "include", "exclude": "exclude", "example": "examples", "examples": "examples"}
_INLINE_HEADING = re.compile(_HEADING_WORDS + r"[ \t]*(\S.*)")  # "Exclude: trust in government agencies"


_EXAMPLE_LINE = re.compile(r"(?i)examples?[ \t]*:[ \t]*(\S.*)")  # "Example: We trust the hospital."


# One quoted example: straight or curly double quotes around text with none of the same kind inside
_QUOTED = re.compile(r'"([^"]+)"|“([^“”]+)”')


def _unquoted(item: str) -> list[str]:
    """A memo's example as its words: '"We trust the hospital."' -> 'We trust the hospital.', and a line of quotes
    with only ';' or ',' between them ('“We trust them.”; “They call back.”') -> each (review 160: an NVivo memo's
    quote marks stayed in the codebook's examples, and two quotes on one line were one example)."""
    found = list(_QUOTED.finditer(item))
    between = [item[:found[0].start()] if found else item, *(item[a.end():b.start()] for a, b in zip(found, found[1:])),
               item[found[-1].end():] if found else ""]
    if not found or any(part.strip() not in ("", ";", ",") for part in between[1:-1]) or \
            between[0].strip() or between[-1].strip() not in ("", ";", ",", "."):
        return [item]
    return [(m.group(1) or m.group(2)).strip() for m in found if (m.group(1) or m.group(2)).strip()]


def _heading(line: str) -> str | None:
    """The section a line alone on itself opens ("include", "examples", ...), or None."""
    found = _HEADING.fullmatch(line.strip())
    if not found:
        return None
    word = found.group(1).casefold()
    return _HEADING_KEYS.get(word, "counter_examples")


def _unix_lines(text: str | None) -> str:
    """A description's or note's text, its line ends as one (Windows' and old Macs' read as "\\n"),
    stripped."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def parse_description(text: str, *, dimension: bool = False) -> dict:
    """The fields `describe` wrote (any text without them is the definition); for a dimension's grouping code
    (`dimension`), also the order of its types. Line ends are read as one ("\r\n" from a tool that writes Windows
    line breaks).

    A description themes wrote (its `themes id:` line) is read as written, so that a codebook comes back whole: a
    heading ("Include:", as `describe` writes it) opens a section at a block's start only, and an item's own lines
    are indented, so "Examples:" or "Threshold: 0.4" inside an example or a definition stays there (a heading retyped
    in a QDA tool at a block's start and before a list item, "examples:\n- ...", is still one). One another tool
    made (a researcher's memo) is read more freely: a heading in any case and singular ("INCLUDE:", "Example:") opens
    a section at a block's start, or within a block alone on its line ("...partners.\nExclude:\n- ...",
    "Money problems.\nexamples:\nWe never have enough."). A blank line ends a section unless the text after it is indented (an item's
    second paragraph) or a list item. The id and threshold are unindented lines of their own, between blank lines;
    the type order likewise, just before the id line, where `codebook_codes` writes it."""
    lines = _unix_lines(text).split("\n")
    ours = any(line.startswith(ID_LINE) for line in lines)
    if ours and len(lines) > 1 and all(line.strip() for line in lines):
        # A tool that collapsed its blank lines: every block `describe` writes starts on a line of its own again
        # (the whole description, id line and examples too, was the definition: review 169)
        starts = (*SECTIONS, "Threshold:", FORMERLY_LINE, ID_LINE, ORDER_LINE)
        lines = [gap for k, line in enumerate(lines)
                 for gap in ([""] if k and line.startswith(starts) else []) + [line]]

    def blank(k: int) -> bool:
        return k < 0 or k >= len(lines) or not lines[k].strip()

    def heading(k: int) -> str | None:
        line = lines[k]
        if line[:1] in " \t":
            return None
        after = next((m for m in range(k + 1, len(lines)) if not blank(m)), None)
        listed = after is not None and bool(_ITEM.match(lines[after].lstrip()))
        if ours:  # at a block's start, as written, or retyped there before a list ("examples:\n- ...")
            if not blank(k - 1):
                return None
            return SECTIONS.get(line.strip()) or (_heading(line) if listed else None)
        key = _heading(line)
        if key is None and blank(k - 1) and blank(k + 1):  # "Examples" alone between blank lines, with no colon
            key = _heading(line.strip() + ":")
        if key is None or blank(k - 1):
            return key
        # within a block: a heading alone on its line in a memo ("Money problems.\nExamples:\nWe never have enough."
        # kept "Examples:" and its items in the definition, review 169): "Examples:" is no sentence of a definition.
        # Not a lower-case one the line above runs on into: "Typical barriers\ninclude:" is a hard-wrapped sentence
        # (review 172), its list the definition's own.
        # A capitalised heading ("Include:", "Examples:") is one under any line, a title or an item without a stop.
        ended = lines[k - 1].rstrip().endswith((".", "!", "?", ":", ";", ")", '"', "\u201d"))
        if line.strip()[:1].isupper() or ended or under_item(k):
            return key
        return None

    def inline(k: int, within: bool) -> tuple[str, str] | None:
        """In a memo, an inclusion or exclusion heading with its first item on its line, right under a section's list
        item (`within`; "- repeat referrals\nExclude: trust in government agencies"): the section it opens and that
        item. Elsewhere such a line is prose ("Exclude: IT budgets go under ..." in a definition), and "Example: ..."
        under an item is that item's example."""
        found = _INLINE_HEADING.fullmatch(lines[k]) if within and not ours else None
        if (found is None or not found.group(1)[:1].isupper() or not under_item(k)
                or _heading(found.group(1) + ":") not in ("include", "exclude")):
            return None
        return _heading(found.group(1) + ":"), found.group(2).strip()

    def example_line(k: int) -> str | None:
        """In a memo, "Example: We trust the hospital." on a line of its own, not under a list's item (where it is
        that item's): the example it gives, as a researcher notes one (it stayed in the definition, review 145)."""
        found = None if ours or lines[k][:1] in " \t" else _EXAMPLE_LINE.fullmatch(lines[k])
        return found.group(1).strip() if found and not under_item(k) else None

    def under_item(k: int) -> bool:
        """Line k follows a list item, on its first line or on one it runs on to ("- relationships built\n  over
        years\nExclude: ..."), with no blank line or heading between."""
        for j in range(k - 1, -1, -1):
            if blank(j) or _heading(lines[j]) is not None:
                return False
            if _ITEM.match(lines[j].lstrip()):
                return True
        return False

    fields: dict = {}
    sections: dict[str, list[list[str]]] = {}  # each heading's blocks: one written twice adds a block
    definition: list[str] = []
    section: str | None = None
    pending: list[str] = []  # blank lines, until what follows says whether the section goes on
    one_example = False  # an "Example: ..." line: what follows it unindented is no more of it (review 153)
    bare = False  # the section's items so far are paragraphs of one line with no mark nor quotes
    for k, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            pending.append(line)
            continue
        if one_example and line[:1] not in " \t" and not _ITEM.match(stripped):  # "- another example" goes on
            section = None
        one_example = False
        key = heading(k)
        alone = line[:1] not in " \t" and blank(k - 1) and blank(k + 1)
        # In a memo, examples set apart by blank lines with no marks, each a quote, are the section's items (not a
        # paragraph after marked items: "\"Trust\" here also covers ..." is the definition's).
        quoted = (not ours and section in ("examples", "counter_examples") and key is None
                  and stripped[:1] in ("\"", "“") and line[:1] not in " \t"
                  and next((item.strip() for item in sections[section][-1] if item.strip()), "")[:1] in ("\"", "“"))
        # ... and so are examples with no quotes, each a paragraph of one line, from the heading on: they went into
        # the definition (review 155). A paragraph of more lines after them is the definition's again.
        bare_example = (not ours and section in ("examples", "counter_examples") and key is None and not quoted
                        and line[:1] not in " \t" and not _ITEM.match(stripped) and bool(pending) and blank(k + 1)
                        and (bare or not any(item.strip() for item in sections[section][-1])))
        quoted = quoted or bare_example
        if section is not None and pending and key is None and not (line[:1] in " \t" or _ITEM.match(stripped)
                                                                    or quoted):
            section = None
        opened = inline(k, section is not None and not pending) if key is None else None
        given = example_line(k) if key is None and opened is None else None
        if given is not None:
            section, one_example = "examples", True
            sections.setdefault(section, []).append(["- " + given])
        elif opened is not None:
            section = opened[0]
            sections.setdefault(section, []).append(["- " + opened[1]])
        elif key is not None:
            section = key
            sections.setdefault(key, []).append([])
        elif alone and stripped.startswith(ID_LINE):
            fields["id"] = stripped.removeprefix(ID_LINE).strip()
            section = None
        elif alone and dimension and stripped.startswith(ORDER_LINE) and (
                k + 2 < len(lines) and lines[k + 2].startswith(ID_LINE)
                or not any(line.strip() for line in lines[k + 1:])):  # a tool dropped the id line after it
            fields["order"] = [part.strip() for part in stripped.removeprefix(ORDER_LINE).split(",") if part.strip()]
            section = None
        elif alone and re.fullmatch(r"Threshold: (?:\d+(?:\.\d*)?|\.\d+)", stripped):
            fields["threshold"] = float(stripped.split()[1])
            section = None
        elif alone and ours and re.fullmatch(rf"{FORMERLY_LINE} [a-z][a-z0-9_]*(?:, [a-z][a-z0-9_]*)*", stripped):
            fields["formerly"] = stripped.removeprefix(FORMERLY_LINE).strip().split(", ")
            section = None
        elif section is not None:
            sections[section][-1] += pending + ["- " + stripped if quoted and pending else line]
        else:
            definition += pending + [line]
        pending = []
        bare = bare_example or (bare and key is None and section in ("examples", "counter_examples"))
    for key, blocks in sections.items():
        # A memo's list with no marks at all is one item a line ("Examples:\nWe trust them.\nOur VP changes ..."
        # was one example, its lines joined)
        fields[key] = [item for block in blocks for item in (
            _list_items(block) if ours or any(_ITEM.match(line.strip()) for line in block)
            else [line.strip() for line in block if line.strip()])]
        if not ours and key in ("examples", "counter_examples"):  # a memo quotes its examples: the words are the text
            fields[key] = [text for item in fields[key] for text in _unquoted(item)]
    paragraphs = re.split(r"\n[ \t]*\n(?=\S)", "\n".join(definition).strip())
    fields["definition"] = "\n\n".join(p.strip() for p in paragraphs if p.strip())
    return fields


def _code_element(parent: ET.Element, code: Code, ns: str) -> None:
    colour = {"color": code.color} if code.color else {}
    element = ET.SubElement(parent, f"{{{ns}}}Code", guid=code.guid, name=code.name,
                            isCodable="true" if code.codable else "false", **colour)
    if code.description:
        ET.SubElement(element, f"{{{ns}}}Description").text = code.description
    for child in code.children:
        _code_element(element, child, ns)


# Characters XML 1.0 forbids: ElementTree writes them as they are, and no QDA tool (nor `import-codebook`) can
# read the file back. Word's manual line break (U+000B) and page break (U+000C) become line breaks.
_NOT_XML = re.compile("[\x00-\x08\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})


def xml_text(text: str | None) -> str | None:
    """`text` with what XML 1.0 cannot hold left out (breaks kept as line breaks)."""
    return None if text is None else _NOT_XML.sub("", text.translate(_BREAKS))


def _to_bytes(root: ET.Element) -> bytes:
    for element in root.iter():
        element.text, element.tail = xml_text(element.text), xml_text(element.tail)
        for key, value in element.attrib.items():
            element.attrib[key] = xml_text(value)
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


CODEBOOK_LINE = "themes codebook:"
NONE_SECTION = "No theme (passages that carry none):"


def codebook_qdc(codebook: Codebook) -> bytes:
    """The codebook as a REFI-QDA codebook file (.qdc, Codebook.xsd). Its codes, then a code set named after
    the codebook and holding them all, whose description carries what codes cannot: the codebook's version and
    description and its passages with no theme (`none_examples`), so that import gives the same codebook back
    (and its calibration still fits)."""
    ET.register_namespace("", CODEBOOK_NS)
    root = ET.Element(f"{{{CODEBOOK_NS}}}CodeBook", origin=_origin())
    codes = ET.SubElement(root, f"{{{CODEBOOK_NS}}}Codes")
    listed = codebook_codes(codebook)
    for code in listed:
        _code_element(codes, code, CODEBOOK_NS)
    _codebook_set(ET.SubElement(root, f"{{{CODEBOOK_NS}}}Sets"), codebook, f"{{{CODEBOOK_NS}}}")
    return _to_bytes(root)


def _codebook_set(sets: ET.Element, codebook: Codebook, q: str, known: set[str] | None = None) -> None:
    """The code set named after `codebook`, holding its codes (those in `known`, when given), whose
    description is `codebook_note`."""
    whole = ET.SubElement(sets, f"{q}Set", guid=stable_guid(codebook.name, "codebook"), name=codebook.name)
    ET.SubElement(whole, f"{q}Description").text = codebook_note(codebook)
    for code in codebook_codes(codebook):
        for leaf in code.children or [code]:
            if known is None or leaf.guid in known:  # a project's member is a reference, a codebook's a guid
                ET.SubElement(whole, f"{q}MemberCode", **({"guid": leaf.guid} if known is None
                                                          else {"targetGUID": leaf.guid}))


def codebook_note(codebook: Codebook) -> str:
    """The codebook set's description: the codebook's description, version and passages with no theme."""
    parts = [codebook.description] if codebook.description else []
    parts.append(f"Version: {codebook.version}")
    if codebook.none_examples:
        parts.append(_list_block(NONE_SECTION, codebook.none_examples))
    parts.append(f"{CODEBOOK_LINE} {codebook.name}")
    return "\n\n".join(parts)


def parse_codebook_note(text: str) -> dict:
    """What `codebook_note` wrote: name, version, description, none_examples ({} for another tool's set)."""
    text = _unix_lines(text)
    if not re.search(r"\n\s*\n", text) and re.search(rf"^{re.escape(CODEBOOK_LINE)}", text, flags=re.MULTILINE):
        # a tool that collapsed its blank lines: each block `codebook_note` writes starts on a line of its own again
        text = re.sub(rf"\n(?=Version: |{re.escape(NONE_SECTION)}|{re.escape(CODEBOOK_LINE)})", "\n\n", text)
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]
    if not blocks or not blocks[-1].startswith(CODEBOOK_LINE) or len(blocks[-1].splitlines()) != 1:
        return {}
    found: dict = {"name": blocks[-1].removeprefix(CODEBOOK_LINE).strip()}
    description = []
    for block in blocks[:-1]:
        lines = block.splitlines()
        if re.fullmatch(r"Version: \S+", lines[0]) and len(lines) == 1:
            found["version"] = lines[0].split(" ", 1)[1]
        elif lines[0] == NONE_SECTION:
            found["none_examples"] = _list_items(lines[1:])
        else:
            description.append(block)
    found["description"] = "\n\n".join(description)
    return found


def _origin() -> str:
    from themes import __version__

    return f"themes {__version__}"


def read_codebook_file(path: str | Path, only: str | None = None) -> tuple[list[Code], dict]:
    """The codes of a .qdc file, or of a project's codebook (.qde, or the project.qde of a .qdpx), and what a
    codebook set themes wrote says of the codebook itself (`parse_codebook_note`; {} when there is none). `only`: of
    a project that holds several codebooks' sets (a run with two codebooks, exported), the one of that name alone,
    its codes and what its set says (its name, version, description and passages with no theme)."""
    data = Path(path).read_bytes()
    if data.startswith(b"PK\x03\x04"):  # a zip: a .qdpx project holds its codebook in project.qde
        try:
            with zipfile.ZipFile(path) as archive:
                qde = next((n for n in archive.namelist() if n.lower().endswith(".qde")), None)
                data = archive.read(qde) if qde else b""
        except (OSError, zipfile.BadZipFile) as error:
            raise ThemesError(f"{path}: a damaged zip ({error}); export the codebook again as REFI-QDA (.qdc).") from None
        if not data:
            raise ThemesError(f"{path}: a zip without a project.qde, so not a REFI-QDA project; export the codebook "
                              "from the QDA tool as REFI-QDA (.qdc).")
    elif not _xml_start(data):
        hint = (" It looks like a codebook YAML, which needs no import: pass it to --codebook (themes "
                "validate-codebook checks it)." if re.search(rb"^(themes|dimensions):", data, re.M) else "")
        raise ThemesError(f"{path} is not a REFI-QDA codebook: a .qdc is XML, and this file is not. Export the "
                          f"codebook from the QDA tool as REFI-QDA (.qdc), or its project as .qdpx.{hint}")
    root = _parse_xml(data, path)
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    codes = root.find(f"{{{ns}}}Codes") if root.tag.endswith("CodeBook") else root.find(f"{{{ns}}}CodeBook/{{{ns}}}Codes")
    if codes is None:
        raise ThemesError(f"{path}: no <Codes> in the file; is it a REFI-QDA codebook (.qdc)?")
    # A .qdc's sets are in its CodeBook, a project's beside its sources.
    sets = [(element, parse_codebook_note(element.findtext(f"{{{ns}}}Description") or ""))
            for element in root.iter(f"{{{ns}}}Set")]
    notes = [note for _, note in sets if note]
    about = notes[0] if len(notes) == 1 else {"codebooks": [n["name"] for n in notes]} if notes else {}
    listed = [_read_code(element, ns) for element in codes.findall(f"{{{ns}}}Code")]
    if only is not None:
        chosen = next(((element, note) for element, note in sets
                       if note and note["name"].casefold() == only.strip().casefold()), None)
        if chosen is None:
            held = ", ".join(f"'{n['name']}'" for n in notes) or "none (its codes are one codebook: leave --set out)"
            raise ThemesError(f"{Path(path).name} holds no codebook named '{only}'; the codebooks it holds: {held}.")
        members = {m.get("guid") or m.get("targetGUID") for m in chosen[0].findall(f"{{{ns}}}MemberCode")}
        claimed = {m.get("guid") or m.get("targetGUID") for element, note in sets if note
                   for m in element.findall(f"{{{ns}}}MemberCode")}
        listed, unclaimed = _only_members(listed, members, claimed)
        about = {**chosen[1], "left_out": [n["name"] for n in notes if n is not chosen[1]], "unclaimed": unclaimed}
    # What a codebook YAML has no place for, said rather than dropped without a word: a tool's own code groups, and
    # memos on codes (a description is read; a memo is a note beside it).
    theirs = [element.get("name") or "unnamed" for element, note in sets
              if not note and element.find(f"{{{ns}}}MemberCode") is not None]  # a set of sources is no codebook's
    about["not_read"] = [f"code set '{name}'" for name in theirs[:5]] + (
        [f"{len(theirs) - 5} more code sets"] if len(theirs) > 5 else [])
    # A code deleted in the tool stays a member of the set themes wrote, its GUID naming nothing: said, since the
    # YAML lost a theme with no word (review 160)
    held = {element.get("guid") for element in codes.iter(f"{{{ns}}}Code")}
    about["members_gone"] = []
    for element, note in sets:
        members = {m.get("guid") or m.get("targetGUID") for m in element.findall(f"{{{ns}}}MemberCode")}
        if note and members - held:
            about["members_gone"].append((note["name"], len(members - held)))
    memos = sum(element.find(f"{{{ns}}}NoteRef") is not None for element in codes.iter(f"{{{ns}}}Code"))
    if memos:
        about["not_read"].append(f"{memos} code memo{'s' * (memos != 1)} (a code's description is read)")
    return listed, about


def _only_members(codes: list[Code], members: set, claimed: set = frozenset(), under: bool = False,
                  beneath: bool = False) -> tuple[list[Code], list[str]]:
    """The codes a set holds, with the grouping codes over them (a dimension's, whose types the set lists) and the
    codes of no codebook's set (`claimed`) under them: added in the tool under a chosen theme or dimension. Also the
    names of codes of no set that stand under none of any set's codes: added in the tool, left out, said (they were
    dropped without a word: review 169)."""
    kept, unclaimed = [], []
    for code in codes:
        ours = code.guid in members or (under and code.guid not in claimed)
        children, theirs = _only_members(code.children, members, claimed, ours or _holds(code, members),
                                         beneath or code.guid in claimed or _holds(code, claimed))
        unclaimed += theirs
        if ours or children:
            kept.append(replace(code, children=children))
        elif code.codable and not beneath and code.guid not in claimed and not _holds(code, claimed):
            unclaimed.append(code.name or "unnamed")
    return kept, unclaimed


def _holds(code: Code, guids: set) -> bool:
    """Whether a code's children, at any depth, include one of `guids`."""
    return any(child.guid in guids or _holds(child, guids) for child in code.children)


def _read_code(element: ET.Element, ns: str) -> Code:
    description = element.findtext(f"{{{ns}}}Description") or ""
    color = (element.get("color") or "").strip()
    color = f"#{color}" if re.fullmatch(r"[0-9a-fA-F]{6}|[0-9a-fA-F]{3}", color) else color  # "C0504D": no '#'
    codable = (element.get("isCodable") or "true").strip().lower() in ("true", "1")  # "True": Python-written files
    return Code(element.get("guid", ""), element.get("name", ""), codable,
                description, [_read_code(child, ns) for child in element.findall(f"{{{ns}}}Code")],
                color=color if re.fullmatch(COLOR_PATTERN, color) else None,
                unread_color=color if color and not re.fullmatch(COLOR_PATTERN, color) else None)


def _xml_start(data: bytes) -> bool:
    """Whether a file opens as XML does ("<"), in UTF-8 or in UTF-16 (a BOM, or none), as QDA tools on Windows may
    save it."""
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[2:400].decode(encoding, "ignore").lstrip().startswith("<")
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") or data[:4] in (b"<\x00?\x00", b"\x00<\x00?")


def _parse_xml(data: bytes, path) -> ET.Element:
    try:
        return ET.fromstring(data)
    except ET.ParseError as error:
        if "encoding specified in XML declaration is incorrect" in str(error) and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            # Notepad's "Unicode": UTF-16 with its byte-order mark under a declaration that still says utf-8
            # (refused, review 169). The mark tells the encoding; the declaration is wrong.
            return _parse_xml(data.decode("utf-16").encode("utf-8"), path)
        mend = ("replace the HTML entity there (&nbsp; and the like are not XML) with its character"
                if "undefined entity" in str(error) else "mend the file at that line")
        what = "project again from the QDA tool as REFI-QDA (.qdpx)" if str(path).lower().endswith(".qdpx") else \
            "codebook again from the QDA tool as REFI-QDA (.qdc)"
        raise ThemesError(f"{path}: not well-formed XML ({error}). Export the {what}, or {mend}.") from None


def exported_ids(books: Sequence[tuple[str, Codebook]]) -> dict[str, tuple[str, str]]:
    """Each GUID export-codebook gives a theme or type of these codebooks (where, codebook), in the order they are
    trusted: its code ("trust", "service_model.referral") and where the codebook is; of two that give one GUID, the
    first."""
    found: dict[str, tuple[str, str]] = {}
    for where, book in books:
        for code in codebook_codes(book):
            for one in (code, *code.children):
                if one.category_id:
                    found.setdefault(_norm_guid(one.guid), (one.category_id, where))
    return found


def codes_to_codebook_data(codes: list[Code], name: str, about: dict | None = None,
                           known: dict[str, tuple[str, str]] | None = None) -> tuple[dict, list[str]]:
    """Codebook data (for YAML) from REFI codes, and notes on what needs the researcher.

    A non-codable code with two or more children becomes a dimension of those types; any other
    nesting is flattened into themes. A code without a description gets a placeholder definition,
    which `validate-codebook` rejects until it is written. `known` (`exported_ids`): the codes of codebooks at hand
    by the GUIDs export-codebook gave them, for a code whose description (with its `themes id:` line) a tool lost.
    """
    notes: list[str] = []
    taken: set[str] = set()
    themes, dimensions = [], []

    within: dict[int, str] = {}  # id() of a flattened theme's data -> the name of the code it sat under

    def slug(code: Code) -> str:
        """An id from a code's name, said where the name gives none a reader would know it by."""
        wanted = _slug(code.name)
        if wanted in RESERVED_IDS:  # a code named "None" or "N/A": coded files write these for no theme
            notes.append(f"'{code.name}' became id '{wanted}_code': '{wanted}' is what coded files write for no "
                         "theme")
            return f"{wanted}_code"
        return wanted

    guids: set[str] = set()

    def guid_of(code: Code) -> str | None:
        """The code's GUID; one that is no GUID ("g1") or another code's too is left out, and said: `validate-codebook`
        refused the YAML. The export derives one from the codebook's name and the id."""
        guid = code.guid.strip()
        if not guid:
            return None
        if re.match(GUID_PATTERN, guid) and _norm_guid(guid) not in guids:
            guids.add(_norm_guid(guid))
            return guid
        why = "is another code's too" if re.match(GUID_PATTERN, guid) else "is not a GUID"
        notes.append(f"'{code.name}': its guid '{' '.join(guid.split())[:40]}' {why}: left out (export-codebook "
                     "derives one from the codebook's name and its id)")
        return None

    def colour_of(code: Code) -> str | None:
        """The code's colour; one written otherwise ("red", "#C0504DFF") is said, not kept."""
        if code.unread_color:
            notes.append(f"'{code.name}': its colour '{' '.join(code.unread_color.split())[:20]}' is not '#RRGGBB': "
                         "left out (set one in the YAML's color field)")
        return code.color

    def said(code: Code, given: str | None, made: str) -> str:
        """`made`, the id a code got, said when its name has no Latin letters or digits to make one (信任, Доверие)."""
        if not given and code.name.strip() and not re.search(r"[A-Za-z0-9]", unicodedata.normalize("NFKD", code.name)):
            notes.append(f"'{code.name.strip()}' has no Latin letters for an id: it became '{made}'; give it an id "
                         "you will know in the output files' score columns")
        return made

    def id_by_guid(code: Code, is_type: bool) -> str | None:
        """The id of a code with no `themes id:` line whose GUID export-codebook gave a code of a codebook at hand
        (review 160: a tool that lost the description gave the code a new id from its name, 'trust_and_relationships',
        which no calibration, coded file or earlier run knows), said; a GUID export-codebook made, but of no codebook
        at hand, is said too."""
        key = _norm_guid(code.guid)
        if key in (known or {}) and ("." in known[key][0]) == is_type:
            category, where = known[key]
            by_guid.setdefault(where, []).append(f"'{code.name.strip()}' as {category}")
            return category
        try:
            made_here = uuid.UUID(key).version == 5
        except ValueError:
            made_here = False
        if made_here and not code.description.strip():
            unplaced.append(f"'{code.name.strip()}'")
        return None

    by_guid: dict[str, list[str]] = {}  # where -> the codes given their id back there
    unplaced: list[str] = []  # codes of an export-codebook GUID, of no codebook at hand

    def theme_of(code: Code, among: set[str] | None = None) -> dict:
        """A theme's data, or a type's when `among` holds its dimension's type ids so far."""
        fields = parse_description(code.description)
        given = fields.pop("id", None)
        if not given and code.guid.strip():
            given = id_by_guid(code, among is not None)
        wanted = given or slug(code)
        theme_id = said(code, given, _unique(wanted.split(".")[-1], taken if among is None else among))
        if theme_id != wanted.split(".")[-1] and (given or re.search(r"[A-Za-z0-9]", unicodedata.normalize(
                "NFKD", code.name))):  # 'Trust?' after 'Trust!': a number added, unsaid (review 155)
            notes.append(f"'{code.name.strip()}' became id '{theme_id}': '{wanted.split('.')[-1]}' is another "
                         "code's; give it an id you will know in the output files' score columns")
        (taken if among is None else among).add(theme_id)
        if not code.name.strip():
            notes.append(f"A code has no name: it became '{theme_id}'; give it a label")
        if not fields["definition"]:
            fields["definition"] = f"{DEFINITION_PLACEHOLDER} write what '{code.name}' means"
            notes.append(f"'{code.name}' has no description: write its definition")
        return {"id": theme_id, "guid": guid_of(code), "color": colour_of(code), "label": code.name.strip() or theme_id,
                **fields}

    def leaves(code: Code) -> list[Code]:
        """The codes under `code` that can stand as themes: every codable leaf, and every codable code with codes of
        its own (a tool's "Funding" under "Barriers", over "Short-term grants"), parent before children."""
        return [c for child in code.children for c in [child] * child.codable + leaves(child)]

    def groupings(code: Code) -> list[Code]:
        """The grouping codes (not codable) under `code`, at any depth: no theme or type stands for them."""
        return [c for child in code.children for c in [child] * (not child.codable) + groupings(child)]

    def left_out(code: Code) -> None:
        """Says which grouping codes under `code` a codebook has no place for: their names and descriptions."""
        inside = groupings(code)
        if inside:
            many = len(inside) > 1
            names = ", ".join(repr(c.name.strip() or "unnamed") for c in inside[:8]) + " and more" * (len(inside) > 8)
            read = f" (the codes in {'them' if many else 'it'} are read)" if any(c.children for c in inside) else ""
            notes.append(f"'{code.name}': grouping code{'s' * many} {names} under it left out, with "
                         f"{'their descriptions' if many else 'its description'}{read}")

    def known_dimension(code: Code) -> dict | None:
        """A grouping code whose description a tool dropped, with it the `themes id:` line and the types' order: its
        id and order by the GUIDs export-codebook gave its codes, the types of one dimension of a codebook at hand
        (review 169: read as 15 themes with ids from their names, no calibration fitting them)."""
        found = [(known or {}).get(_norm_guid(leaf.guid)) for leaf in leaves(code)]
        if len(found) < 2 or any(f is None or "." not in f[0] for f in found):
            return None
        dimensions_of = {(f[0].split(".", 1)[0], f[1]) for f in found}
        if len(dimensions_of) != 1:
            return None
        (dimension, where), = dimensions_of
        return {"id": dimension, "by_guid": where, "order": [
            category.split(".", 1)[1] for category, at in (known or {}).values()
            if at == where and category.startswith(f"{dimension}.")]}

    def dimension_fields(code: Code) -> dict | None:
        """A dimension's fields (its definition, id, types' order) where `code` is one, else None. A dimension themes
        wrote (its types' order, its id) is one however a tool marks its code: NVivo makes every node codable. A
        tool's folder of codes is not: its codes became types a passage carries one at a time (a respondent naming
        grants and jargon counted under jargon alone), where researchers file codes that go together; they become
        themes, and the note says how to make them a dimension."""
        if not code.children or len(leaves(code)) < 2:
            return None
        fields = parse_description(code.description, dimension=True)
        if "order" in fields or (not code.codable and fields.get("id")):
            return fields
        recovered = None if fields.get("id") else known_dimension(code)
        return {**fields, **recovered} if recovered else None

    # A folder a researcher put the framework's dimensions in ("Framework" in QualCoder, a parent node in NVivo): read
    # as if they stood at the top, said; its dimensions were flattened into 15 themes whose ids lost their dimension
    # (review 169)
    folder = True
    while folder:  # a folder in a folder: each pass lifts one level
        lifted: list[Code] = []
        folder = False
        for code in codes:
            if not parse_description(code.description).get("id") and any(map(dimension_fields, code.children)):
                notes.append(f"'{code.name}': a folder over the codebook's dimensions, read as if they stood at the "
                             "top (a codebook YAML has no place for it" + (", nor for its description)" if
                                                                          code.description.strip() else ")"))
                lifted += code.children
                folder = True
            else:
                lifted.append(code)
        codes = lifted

    for code in codes:
        fields = dimension_fields(code)
        if fields is not None:
            if "by_guid" in fields:
                by_guid.setdefault(fields.pop("by_guid"), []).append(f"'{code.name.strip()}' as {fields['id']}")
            if any(child.children for child in code.children):
                notes.append(f"'{code.name}': codes nested deeper than one level became types of one dimension")
            dimension_id = said(code, fields.get("id"), _unique(fields.get("id") or slug(code), taken))
            taken.add(dimension_id)
            dimension_guid = guid_of(code)  # before its types': of two codes that share one, the first keeps it
            type_taken: set[str] = set()
            types = []
            for leaf in leaves(code):
                kind = theme_of(leaf, among=type_taken)
                types.append(kind)
            order = fields.get("order") or []
            if order:  # as themes wrote them, whatever the file's order; a type added since goes last, and is said
                types.sort(key=lambda kind: order.index(kind["id"]) if kind["id"] in order else len(order))
                added = [kind["id"] for kind in types if kind["id"] not in order]
                if added:
                    notes.append(f"'{code.name}': {', '.join(repr(a) for a in added)} not in its order of "
                                 f"integration ({', '.join(order)}): placed last, as the most integrated; move "
                                 "it in the YAML if not")
            left_out(code)
            dimensions.append({"id": dimension_id, "guid": dimension_guid, "color": colour_of(code),
                               "label": code.name.strip() or dimension_id, "description": fields["definition"],
                               "types": types})
            if "threshold" in fields:  # lost before: the content hash changed, and the calibration no longer fit
                dimensions[-1]["threshold"] = fields["threshold"]
            if "formerly" in fields:
                dimensions[-1]["formerly"] = fields["formerly"]
            continue
        if code.codable:
            themes.append(theme_of(code))
        elif not code.children:
            notes.append(f"'{code.name}' is a grouping code with no codes in it: left out")
        if code.children and not code.codable and not leaves(code):
            notes.append(f"'{code.name}' holds grouping codes with no codable code in them: left out")
        elif code.children:
            if not code.codable and len(leaves(code)) >= 2:
                kept = parse_description(code.description).get("definition", "")
                notes.append(f"'{code.name}': a grouping code of {len(leaves(code))} codes, which became themes of "
                             "their own (a passage may carry several); if they exclude each other, as a framework's "
                             "types do, make them a dimension in the YAML (dimensions: id, label, types least to most "
                             "integrated)" + (f"; its description, '{' '.join(kept.split())[:80]}', is kept nowhere "
                                              "else: give it to the dimension, or to its themes' definitions"
                                              if kept else ""))
            else:
                notes.append(f"'{code.name}': its {len(leaves(code))} nested code(s) became themes of their own")
            left_out(code)
            for leaf in leaves(code):
                themes.append(theme_of(leaf))
                within[id(themes[-1])] = code.name
    _distinct_labels(themes, within, notes)
    for dimension in dimensions:
        _distinct_labels(dimension["types"], {}, notes)
    for where, named in by_guid.items():
        notes.append(f"{len(named)} code{'s' * (len(named) != 1)} came without the 'themes id:' line of "
                     f"{'their descriptions' if len(named) != 1 else 'its description'} (lost in the tool?): by the "
                     f"GUIDs export-codebook gave them, read as the codes of {where} ({', '.join(named)}); copy "
                     "a definition from there where one is missing")
    if unplaced:
        many = len(unplaced) != 1
        notes.append(f"{', '.join(unplaced)} came without {'their descriptions' if many else 'its description'} (lost "
                     f"in the tool?), and with {'them' if many else 'it'} the 'themes id:' "
                     f"line{'s' * many}: {'their ids' if many else 'its id'} in the YAML {'are' if many else 'is'} "
                     "made from the names. Calibrations, coded files and earlier runs know the ids of the codebook "
                     "it was exported from: run import-codebook where that codebook's YAML is in ./codebooks, or set "
                     "the ids back by hand")
    about = about or {}
    if "name" not in about and "codebooks" not in about and any(
            ID_LINE in c.description for code in codes for c in [code, *code.children]):
        # themes wrote these codes (their id lines), but the code set that carries the rest is gone: QualCoder, for
        # one, neither reads nor writes code sets
        notes.append("The codes are themes' (their 'themes id:' lines), but the file lost the code set that carries "
                     "the codebook's name, version, description and examples of no theme: copy those from the "
                     "original YAML" + (" (each codebook's, if the file held a codebook of themes and a framework)"
                                        if themes and dimensions else "")
                     + " (until then its content hash differs, and its calibration does not fit)")
    data = {"name": name, "version": about.get("version", "1"), "description": about.get("description", ""),
            "themes": themes, "dimensions": dimensions, "none_examples": about.get("none_examples", [])}
    return {key: value for key, value in data.items() if value or key in ("themes", "dimensions")}, notes


def _distinct_labels(items: list[dict], within: dict[int, str], notes: list[str]) -> None:
    """Codes of one name in two places of a QDA tool's tree ("Other" under "Barriers" and under "Facilitators")
    would be two themes a report cannot tell apart, which a codebook refuses: named by where they sat, or
    numbered."""
    for pass_ in ("parent", "number"):
        counts = Counter(plain_key(item["label"]) for item in items)
        seen: Counter = Counter()
        for item in items:
            if counts[plain_key(item["label"])] < 2:
                continue
            old = item["label"]
            seen[plain_key(old)] += 1
            if pass_ == "parent" and id(item) in within:
                item["label"] = f"{within[id(item)]}: {old}"
            elif pass_ == "number":
                item["label"] = f"{old} ({seen[plain_key(old)]})"
            else:
                continue
            notes.append(f"Two codes are named '{old}': this one became '{item['label']}'; rename it if you like")


_PLAIN_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i",
                                "ŋ": "ng", "ħ": "h"})


def _slug(text: str) -> str:
    import unicodedata

    # accents dropped, not the letters that carry them: 'Confiança comunitária' -> confianca_comunitaria; letters no
    # accent makes written as their plain letters ('Straße' was stra_e, review 155)
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.casefold().translate(_PLAIN_LETTERS))
                    if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9]+", "_", plain).strip("_") or "code"
    return slug if slug[0].isalpha() else f"code_{slug}"


def _unique(wanted: str, taken: set[str]) -> str:
    candidate, n = wanted, 2
    while candidate in taken:
        candidate, n = f"{wanted}_{n}", n + 1
    return candidate


# --- projects --------------------------------------------------------------------------------------

@dataclass
class Passage:
    """One answer in a source: where it starts and ends, and what names it."""

    passage_id: str
    start: int
    end: int
    question: str = ""  # its `## question` heading; for a whole source, what follows "/" in its name


def respondent_text(answers: list[tuple[str, str]]) -> tuple[str, list[tuple[str, int, int]]]:
    """A respondent's answers under `## question` headings; returns the text and each answer's span."""
    parts, spans, position = [], [], 0
    for question, answer in answers:
        heading = f"{HEADING}{question}\n"
        start = position + len(heading)
        spans.append((question, start, start + len(answer)))
        parts.append(heading + answer + "\n\n")
        position += len(parts[-1])
    return "".join(parts), spans


# A line's end as any tool writes it: Windows' "\r\n", an old Mac's "\r". A "\r" before "\n" is never a line end
# of its own: two in a row read "\r\n" as a blank line, and a Windows transcript split at every line (review 169).
_EOL = r"(?:\r\n|\r(?!\n)|\n)"


def passages_of(text: str, name: str, question: str | None = None) -> list[Passage]:
    """The answers in a source text: the blocks under `## question` headings, else the whole text. A heading is
    where `respondent_text` writes one: at the text's start and after a blank line, its lines ended as a Windows
    tool saves them too ("\r\n": a project re-saved so read as one answer per respondent, kappa 0.08). An answer's
    own line that starts with "## " ("Our approach:\n## Trust first\n...") made up a question and cut the answer
    short. `question`: the source is one answer to it (`export-project --per answer`), whatever its first line."""
    headings = [m for m in re.finditer(rf"(?:\A|{_EOL}{_EOL})({re.escape(HEADING)}(.+?){_EOL})", text)] \
        if text.startswith(HEADING) and question is None else []
    if not headings:  # one answer per source (export-project --per answer names it "respondent/question")
        if question is None:  # an id that could hold a "/" names its source by a pseudonym: the first one splits
            question = name.split("/", 1)[1] if "/" in name else ""
        return [Passage(name, 0, len(text.rstrip()), question)]
    out = []
    for k, heading in enumerate(headings):
        end = headings[k + 1].start(1) if k + 1 < len(headings) else len(text)
        body = text[heading.end(1):end]
        question = heading.group(2).strip()
        out.append(Passage(f"{name}/{question}", heading.end(1), heading.end(1) + len(body.rstrip("\r\n")),
                           question))
    return out


def paragraphs_of(text: str, name: str) -> list[Passage]:
    """The paragraphs (blocks between blank lines) of a source no `themes` export wrote: a transcript, a
    respondent's answers as another tool keeps them. Read as one passage, a 3,000-word source carried every code of
    every selection in it, and agreement was measured on whole documents (review 155)."""
    out, start = [], 0
    for gap in [*re.finditer(rf"{_EOL}[ \t]*{_EOL}(?:[ \t]*{_EOL})*", text), None]:
        end = gap.start() if gap is not None else len(text)
        body = text[start:end]
        if body.strip():
            lead = len(body) - len(body.lstrip())
            out.append(Passage(f"{name} ¶{len(out) + 1}", start + lead, start + len(body.rstrip()), ""))
        if gap is not None:
            start = gap.end()
    return out


def project_qde(*, name: str, created: str, codebook: Codebook, sources: list[dict], variables: list[str],
                cases: list[dict], seed: str, books: Sequence[Codebook] = ()) -> tuple[bytes, dict[str, str]]:
    """A REFI-QDA project document (project.qde, Project.xsd) and its source texts by GUID.

    `books`: the codebooks merged into `codebook` (default: it alone), each written as a code set as the .qdc
    writes it, so that `import-codebook` of the project gives the codebook back whole.

    `sources`: dicts of `name`, `text`, `selections` (dicts of `start`, `end`, `codes` as theme ids).
    `cases`: dicts of `name`, `values` (variable -> text) and `sources` (source names).
    `seed` makes the GUIDs of sources, selections and cases stable for the same run.
    """
    ET.register_namespace("", PROJECT_NS)
    q = f"{{{PROJECT_NS}}}"
    user = stable_guid(seed, "user", AUTOMATIC_USER)
    root = ET.Element(f"{q}Project", name=name, origin=_origin(), creatingUserGUID=user, creationDateTime=created)
    ET.SubElement(ET.SubElement(root, f"{q}Users"), f"{q}User", guid=user, name=AUTOMATIC_USER)
    codes = codebook_codes(codebook)
    book = ET.SubElement(ET.SubElement(root, f"{q}CodeBook"), f"{q}Codes")
    for code in codes:
        _code_element(book, code, PROJECT_NS)
    code_guid = {leaf.category_id: leaf.guid for code in codes for leaf in [code, *code.children] if leaf.category_id}
    variable_guid = {v: stable_guid(seed, "variable", v) for v in variables}
    if variables:
        element = ET.SubElement(root, f"{q}Variables")
        for variable, guid in variable_guid.items():
            ET.SubElement(element, f"{q}Variable", guid=guid, name=variable, typeOfVariable="Text")
    source_guid = {s["name"]: stable_guid(seed, "source", s["name"]) for s in sources}
    if cases:
        element = ET.SubElement(root, f"{q}Cases")
        for case in cases:
            node = ET.SubElement(element, f"{q}Case", guid=stable_guid(seed, "case", case["name"]), name=case["name"])
            for variable, value in case["values"].items():
                if value:
                    holder = ET.SubElement(node, f"{q}VariableValue")
                    ET.SubElement(holder, f"{q}VariableRef", targetGUID=variable_guid[variable])
                    ET.SubElement(holder, f"{q}TextValue").text = value
            for source in case["sources"]:
                ET.SubElement(node, f"{q}SourceRef", targetGUID=source_guid[source])
    if sources:
        element = ET.SubElement(root, f"{q}Sources")
        for source in sources:
            guid = source_guid[source["name"]]
            node = ET.SubElement(element, f"{q}TextSource", guid=guid, name=source["name"],
                                 plainTextPath=f"internal://{guid}.txt", creatingUser=user, creationDateTime=created)
            for k, selection in enumerate(source["selections"]):
                key = f"{source['name']}\x1f{k}"
                marked = ET.SubElement(node, f"{q}PlainTextSelection", guid=stable_guid(seed, "selection", key),
                                       startPosition=str(selection["start"]), endPosition=str(selection["end"]),
                                       creatingUser=user, creationDateTime=created)
                for theme_id in selection["codes"]:
                    coding = ET.SubElement(marked, f"{q}Coding", guid=stable_guid(seed, "coding", key, theme_id),
                                           creatingUser=user, creationDateTime=created)
                    ET.SubElement(coding, f"{q}CodeRef", targetGUID=code_guid[theme_id])
    sets = ET.SubElement(root, f"{q}Sets")
    for book in books or [codebook]:
        _codebook_set(sets, book, q, {c.guid for code in codes for c in [code, *code.children]})
    return _to_bytes(root), {source_guid[s["name"]]: s["text"] for s in sources}


def write_qdpx(path: Path, qde: bytes, texts: dict[str, str]) -> None:
    """A .qdpx: project.qde and sources/<guid>.txt (UTF-8), written beside and renamed into place."""
    partial = path.with_name(f".{path.name}.partial-{uuid.uuid4().hex[:8]}")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("project.qde", qde)
            for guid, text in texts.items():
                archive.writestr(f"sources/{guid}.txt", text.encode("utf-8"))
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def qdpx_gold_table(path: str | Path, codebook: Codebook) -> pd.DataFrame:
    """A coded .qdpx as gold rows (`passage_id`, `question`, `text`, `themes`): one per answer (a
    `## question` block of a source, or a whole source), carrying every code whose selections overlap
    it, in the order the selections start. `question` (the heading, or what follows "/" in a whole
    source's name) is the context the run coded the answer with; a question the classifier never saw
    adds nothing."""
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise GoldError(f"{path}: not a .qdpx (zip) file ({error}).") from None
    with archive:
        names = {n.lower(): n for n in archive.namelist()}
        qde = next((names[n] for n in names if n.endswith(".qde")), None)
        if qde is None:
            raise GoldError(f"{path}: no project.qde inside; export the project from the QDA tool as REFI-QDA (.qdpx).")
        root = _parse_xml(archive.read(qde), path)
        ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
        q = f"{{{ns}}}" if ns else ""
        theme_of = _code_mapping(root, q, codebook, path)
        rows, by_paragraph, tied = [], 0, 0
        cases_of: dict[str, list[str]] = {}  # a source may sit in several cases (REFI allows it: "All")
        for case in root.iter(f"{q}Case"):
            for ref in case.findall(f"{q}SourceRef"):
                cases_of.setdefault(_norm_guid(ref.get("targetGUID", "")), []).append(case.get("name") or "")
        for source in root.iter(f"{q}TextSource"):
            text = _source_text(source, q, archive, names, path)
            name = source.get("name") or source.get("guid", "source")
            # `--per answer` names a source "respondent/question" after its case: the question is what follows the
            # case's name ("R 007/x/challenges" of case "R 007/x"), and the text is one answer, a "## " line and all
            case = next((c for c in cases_of.get(_norm_guid(source.get("guid", "")), []) if c
                         and name.startswith(f"{c}/")), None)
            question = name[len(case) + 1:] if case else None
            passages = passages_of(text, name, question)
            if question is None and not text.startswith(HEADING) and len(paragraphs := paragraphs_of(text, name)) > 1:
                passages = paragraphs  # not a themes export: its paragraphs, each with the codes that touch it
                by_paragraph += 1
            found: list[list[tuple[int, int, str]]] = [[] for _ in passages]
            whole = [theme_of.get(_norm_guid(ref.get("targetGUID", "")))
                     for ref in source.findall(f"{q}Coding/{q}CodeRef")]
            listed = itertools.count()
            for selection in source.findall(f"{q}PlainTextSelection"):
                start, end = (_position(selection, side, path) for side in ("startPosition", "endPosition"))
                if start > end or end > len(text):
                    # A code spread over every later answer of the source, unsaid, where a tool counts positions
                    # another way (bytes, UTF-16 units, line ends), or wrote them backwards (review 155)
                    why = (f"starts at {start}, after its end at {end}" if start > end else
                           f"ends at character {end}, past the {len(text)} characters of its text")
                    raise GoldError(f"{path}: a coded selection of source '{name}' {why}: the tool that wrote it "
                                    "counts positions another way, or the source's text was changed after coding. "
                                    "Export the project from the QDA tool as REFI-QDA (.qdpx) again.")
                for ref in selection.findall(f"{q}Coding/{q}CodeRef"):
                    order = next(listed)  # the file's order, over every selection of the source
                    theme = theme_of.get(_norm_guid(ref.get("targetGUID", "")))
                    for k, passage in enumerate(passages):
                        if theme and start < passage.end and end > passage.start:
                            found[k].append((start, order, theme))
            for passage, hits in zip(passages, found):
                hits = sorted(hits)
                # Two codes that start together: the first the file lists is the primary theme (a QDA tool marks
                # none), said (review 155)
                tied += len({theme for at, _, theme in hits if at == hits[0][0]}) > 1
                themes = list(dict.fromkeys([t for *_, t in hits] + [t for t in whole if t]))
                rows.append({"passage_id": passage.passage_id, "question": passage.question,
                             "text": text[passage.start:passage.end], "themes": ";".join(themes) or "none"})
    table = pd.DataFrame(rows, columns=["passage_id", "question", "text", "themes"])
    if not table["question"].astype(bool).any():  # no source names its question: none to read ("question" said)
        table = table.drop(columns="question")
    table.attrs["coders"] = _codings_by_user(root, q, theme_of, path)
    table.attrs["by_paragraph"] = by_paragraph
    table.attrs["tied_primary"] = int(tied)
    return table


def _position(selection: ET.Element, side: str, path: Path) -> int:
    """A selection's character position: a whole number, written "12" or, by some tools, "12.0"."""
    value = selection.get(side) or ""
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not number == number or number != int(number) or number < 0:
        raise GoldError(f"{path}: a coded selection's {side} is '{value[:20]}', not a character position; export the "
                        "project from the QDA tool as REFI-QDA (.qdpx) again.")
    return int(number)


def _codings_by_user(root: ET.Element, q: str, theme_of: dict, path: Path) -> str:
    """Who made the codings of the codebook's codes ("themes (automatic) 812, Ana 40"), said when a project is read
    as human coding. A project where `themes` made every one was never coded by a person: read as gold, it
    measured the run against itself (kappa 0.97) and would train the classifier on its own output."""
    names = {_norm_guid(user.get("guid", "")): user.get("name") or user.get("guid") for user in root.iter(f"{q}User")}
    # The run's user, by name or, in a project themes wrote, as the project's creating user (a tool may rename it
    # or drop the user list).
    automatic = {guid for guid, name in names.items() if name == AUTOMATIC_USER}
    if str(root.get("origin", "")).startswith("themes ") and root.get("creatingUserGUID"):
        automatic.add(_norm_guid(root.get("creatingUserGUID")))
    counts: dict[str, int] = {}
    ours = 0
    sources = list(root.iter(f"{q}TextSource"))
    untouched = 0  # sources that hold no coding of a person's
    for source in sources:
        touched = False
        for coding in source.iter(f"{q}Coding"):
            ref = coding.find(f"{q}CodeRef")
            if ref is None or not theme_of.get(_norm_guid(ref.get("targetGUID", ""))):
                continue
            user = coding.get("creatingUser") or ""
            ours += _norm_guid(user) in automatic
            touched = touched or _norm_guid(user) not in automatic
            who = AUTOMATIC_USER if _norm_guid(user) in automatic else names.get(_norm_guid(user), user or "unnamed")
            counts[who] = counts.get(who, 0) + 1
        untouched += not touched
    total = sum(counts.values())
    if total and counts.get("unnamed") == total and str(root.get("origin", "")).startswith("themes "):
        # export-project's file with its users taken out: no tool that records who coded saved it since (review 155)
        raise GoldError(f"{path}: none of its {total} codings names who made it, and the project is as themes wrote "
                        "it (export-project): it reads as the run's own coding, which cannot measure or teach the "
                        "run. Code it in the QDA tool, then export it from there.")
    if total and ours == total:
        raise GoldError(f"{path}: every one of its {total} codings was made by '{AUTOMATIC_USER}' (the run's own, as "
                        "export-project wrote them): no person coded it, so it cannot measure or teach the run. "
                        "Review and code it in the QDA tool, then read it back.")
    said = ", ".join(f"{who} {n}" for who, n in sorted(counts.items(), key=lambda item: -item[1]))
    if total and ours >= 0.9 * total:
        said += (f"; {ours} of {total} are the run's own, kept as it wrote them: the figures measure it mostly "
                 "against itself unless a person checked each")
    elif ours and untouched >= 0.5 * len(sources):
        # A person re-coded a few sources and left the rest: the codings' share hid it (85% the run's), while most
        # passages were read as gold as the run coded them.
        said += (f"; {untouched} of {len(sources)} sources hold no coding of a person's: unless someone reviewed "
                 "them, their passages measure the run against itself (leave the sources no one reviewed out of the "
                 "project, or code them)")
    return said


def _code_mapping(root: ET.Element, q: str, codebook: Codebook, path: Path) -> dict[str, str | None]:
    """Code GUID -> theme id of `codebook`, matched by GUID, then by the `themes id:` line, then by
    label or id; None for grouping codes. A code that is used but matches no theme is an error."""
    ours = {_norm_guid(leaf.guid): leaf.category_id for code in codebook_codes(codebook)
            for leaf in [code, *code.children]}
    by_name = {c.label.lower(): c.id for c in codebook.categories} | {c.id.lower(): c.id for c in codebook.categories} \
        | codebook.renamed  # a project coded before a theme was renamed: its old id (`formerly`)
    given = {_norm_guid(c.theme.guid) for c in codebook.categories if c.theme.guid}  # the YAML's own GUIDs
    mapping, unknown = {}, {}
    for element in root.iter(f"{q}Code"):
        guid = _norm_guid(element.get("guid", ""))
        marker = parse_description(element.findtext(f"{q}Description") or "").get("id")
        name = (element.get("name") or "").strip()
        named = marker if marker in codebook.ids else codebook.renamed.get(marker or "")
        matched = ours.get(guid)
        if marker and named is None and guid not in given:
            # A GUID derived from a code's first id, on a code that is another now (themes merged into it since, and
            # read by the codebook from before): its `themes id:` line says which
            matched = None
        mapping[guid] = matched or named or by_name.get(name.lower())
        # A code themes exported for another codebook of the run (its `themes id:` line names a type where this
        # codebook has themes only, or a theme where it has dimensions only): a project of a themes-and-framework run
        # is evaluated once per codebook, each reading its own. A theme of its own kind this codebook lacks is no
        # other codebook's (themes merged since and read by the codebook from before were read as none).
        theirs = bool(marker) and (("." in marker) if not codebook.dimensions else
                                   ("." not in marker) if not codebook.themes else False)
        if mapping[guid] is None and not theirs:
            unknown[guid] = name or guid
    used = {_norm_guid(ref.get("targetGUID", "")) for ref in root.iter(f"{q}CodeRef")}
    dangling = sorted(used - set(mapping))
    if dangling:  # its codings were dropped, unsaid (review 155)
        raise GoldError(f"{path}: {len(dangling)} coding(s) refer to a code the project does not hold (GUID "
                        f"{dangling[0]}): the project is incomplete. Export it from the QDA tool as REFI-QDA (.qdpx) "
                        "again.")
    missing = [name for guid, name in unknown.items() if guid in used]
    if missing:
        raise GoldError(f"{path}: codes not in the codebook: {', '.join(repr(n) for n in missing)}. Known: "
                        f"{', '.join(c.label for c in codebook.categories)}. Rename them in the QDA tool, or pass "
                        "the codebook they belong to with --codebook.")
    return mapping


def _source_text(source: ET.Element, q: str, archive: zipfile.ZipFile, names: dict[str, str], path: Path) -> str:
    inline = source.findtext(f"{q}PlainTextContent")
    if inline is not None:
        return inline
    reference = source.get("plainTextPath") or ""
    file_name = reference.split("://", 1)[-1].replace("\\", "/").split("/")[-1]
    member = names.get(f"sources/{file_name}".lower())
    if member is None:
        raise GoldError(f"{path}: the text of source '{source.get('name')}' ({reference}) is not in the file.")
    # A byte-order mark is not text: positions count from the first character after it.
    data = archive.read(member)
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):  # a tool on Windows may save sources as UTF-16
            return data[len(bom):].decode(encoding, errors="replace")
    if len(data) >= 2 and b"\x00" in data:  # UTF-16 without a mark: read as UTF-8, a NUL between letters, kappa 0.15
        encoding = "utf-16-le" if data[1::2].count(0) >= data[0::2].count(0) else "utf-16-be"
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GoldError(f"{path}: the text of source '{source.get('name')}' ({member}) is neither UTF-8 nor UTF-16 "
                        "with a byte-order mark; export the project from the QDA tool again, as REFI-QDA (UTF-8).") \
            from None

"""The codebook: a YAML file of themes (independent, multi-label) and dimensions (groups of
mutually exclusive types), validated by pydantic, with errors that point at the YAML line."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import (BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator,
                      model_validator)

from themes.errors import CodebookError

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
# REFI-QDA's GUID: a UUID, braces allowed. Kept in the YAML so a code keeps its identity across QDA tools.
GUID_PATTERN = r"^(\{[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\}|[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$"
# A code's colour in QDA tools (REFI-QDA's RGBType): kept through a round trip, no part of what a theme means.
COLOR_PATTERN = r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$"
# What `themes discover` and `themes import-codebook` write where only the researcher can write the definition.
DEFINITION_PLACEHOLDER = "TODO:"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _threshold_in_range(value: float | None, owner: str, info: ValidationInfo) -> float | None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise ValueError(f"The 'threshold' of {owner} '{info.data.get('id', '?')}' must be in [0, 1]. "
                         f"Got {value:g} instead.")
    return value


# Words a coded file writes for "no theme" (themes.evaluate.NONE_WORDS) that an id could be: a theme so named
# could never be told from a passage with none.
RESERVED_IDS = ("none", "no_theme", "na")


def _not_reserved(value: str) -> str:
    if value in RESERVED_IDS:
        raise ValueError(f"the id '{value}' is reserved: coded files write it for a passage with no theme; choose "
                         "another id")
    return value


def _as_list(value: Any) -> Any:
    """`formerly: resource_needs`, one id written without brackets, as a list of it."""
    return [value] if isinstance(value, str) else value


def _former_ids(values: list[str], info: ValidationInfo) -> list[str]:
    """`formerly`: ids as ids are written (a label there would never match a coded file's code), each once, and not
    the id itself."""
    owner = info.data.get("id", "?")
    for value in values:
        if re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+", value):  # a type's code, 'service_model.joint'
            raise ValueError(f"'{value}' in the formerly of '{owner}' is a code with its dimension: a type renamed "
                             f"within its dimension lists its own former id alone ('{value.split('.')[-1]}'), and a "
                             "dimension renamed lists its old id in its own formerly. A type moved from another "
                             "dimension is not read under its old code (that bare id would name a type of its new "
                             "dimension): code its passages again")
        if not re.match(ID_PATTERN, value):
            raise ValueError(f"'{value}' in the formerly of '{owner}' is not an id (lower-case letters, digits and "
                             "'_', a letter first): write the id the codes had, as coded files write it")
        if value == owner:
            raise ValueError(f"'{owner}' lists its own id in formerly; list only the ids it had before")
        if value in RESERVED_IDS:
            raise ValueError(f"'{value}' in the formerly of '{owner}' is what coded files write for no theme, so no "
                             "code had that id; remove it")
    repeated = next((value for k, value in enumerate(values) if value in values[:k]), None)
    if repeated is not None:
        raise ValueError(f"'{repeated}' is in the formerly of '{owner}' twice; remove one")
    return values


class Theme(_Strict):
    """One code: what it means, where its edges are, and passages that show it (or nearly do)."""

    id: str = Field(pattern=ID_PATTERN)
    # The ids it had before (a theme renamed): coded files, calibrations and earlier runs that write an old id are
    # read as this theme (a type's: the type's own former ids within its dimension).
    formerly: list[str] = Field(default_factory=list)
    label: str = Field(min_length=1)
    definition: str = Field(min_length=1)
    guid: str | None = Field(default=None, pattern=GUID_PATTERN)
    color: str | None = Field(default=None, pattern=COLOR_PATTERN)
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    counter_examples: list[str] = Field(default_factory=list)
    threshold: float | None = None

    _id_not_reserved = field_validator("id")(_not_reserved)
    _one_former_id = field_validator("formerly", mode="before")(_as_list)
    _former_ids = field_validator("formerly")(_former_ids)

    @field_validator("threshold")
    @classmethod
    def _threshold_in_range(cls, value: float | None, info: ValidationInfo) -> float | None:
        return _threshold_in_range(value, "theme", info)

    @field_validator("definition")
    @classmethod
    def _definition_written(cls, value: str, info: ValidationInfo) -> str:
        if value.startswith(DEFINITION_PLACEHOLDER):
            raise ValueError(f"the definition of '{info.data.get('id', '?')}' is still a draft's placeholder; "
                             "write what the theme means")
        return value

    @field_validator("examples", "counter_examples", "include", "exclude")
    @classmethod
    def _no_blank_items(cls, items: list[str]) -> list[str]:
        for position, item in enumerate(items):
            if not item.strip():
                raise ValueError(f"item {position} is empty; remove it or write the passage")
        return items

    @model_validator(mode="after")
    def _no_repeats(self) -> Theme:
        """A passage pasted twice weighs twice in training; one that is both an example and a counter-example
        teaches nothing: both are slips of hand-editing, said where they are."""
        for field in ("examples", "counter_examples", "include", "exclude"):
            seen: dict[str, int] = {}
            for position, item in enumerate(getattr(self, field)):
                earlier = seen.setdefault(plain_key(item), position)
                if earlier != position:
                    raise ValueError(f"{_quoted(item)} is in the {field} of '{self.id}' twice (items {earlier} and "
                                     f"{position}, counting from 0); remove one")
        both = [item for item in self.examples if plain_key(item) in {plain_key(c) for c in self.counter_examples}]
        if both:
            raise ValueError(f"{_quoted(both[0])} is both an example and a counter-example of '{self.id}'; keep it "
                             "in one list")
        return self


def plain_key(text: str) -> str:
    """How a codebook tells two passages or labels apart: spacing and case aside. discover's draft and
    import-codebook name things by the same key, so that what they write passes these checks."""
    return " ".join(str(text).split()).casefold()


STRAIGHT_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})  # curly to straight


def folded_text(text: str) -> str:
    """A passage as the coder's memory compares it (`coding.learned_from`) and as the codebook tells one passage
    written two ways: case, spacing, curly quotes and the punctuation around it aside."""
    return " ".join(text.casefold().translate(STRAIGHT_QUOTES).split()).strip(" .,;:!?-–—\"'()[]…")


def _quoted(text: str) -> str:
    return repr(text if len(text) <= 50 else text[:47] + "...")


class Dimension(_Strict):
    """A group of types of which at most one applies to a passage (the most integrated one).

    The types are listed from least to most integrated. `threshold` is the probability that the
    dimension is addressed at all above which a passage gets a type."""

    id: str = Field(pattern=ID_PATTERN)
    label: str = Field(min_length=1)
    description: str = ""
    threshold: float | None = None
    guid: str | None = Field(default=None, pattern=GUID_PATTERN)
    color: str | None = Field(default=None, pattern=COLOR_PATTERN)
    types: list[Theme] = Field(min_length=2)
    formerly: list[str] = Field(default_factory=list)  # the dimension's ids before (its types' codes read so)

    _id_not_reserved = field_validator("id")(_not_reserved)
    _one_former_id = field_validator("formerly", mode="before")(_as_list)
    _former_ids = field_validator("formerly")(_former_ids)

    @field_validator("threshold")
    @classmethod
    def _threshold_in_range(cls, value: float | None, info: ValidationInfo) -> float | None:
        return _threshold_in_range(value, "dimension", info)

    @property
    def renamed(self) -> dict[str, str]:
        """Each type's code under its former ids and the dimension's, with its code now (`Codebook.renamed`)."""
        found = {}
        for kind in self.types:
            now = f"{self.id}.{kind.id}"
            found.update({f"{group}.{old}": now for group in (self.id, *self.formerly)
                          for old in (kind.id, *kind.formerly) if f"{group}.{old}" != now})
        return found

    @field_validator("types")
    @classmethod
    def _no_type_thresholds(cls, types: list[Theme], info: ValidationInfo) -> list[Theme]:
        for kind in types:
            if kind.threshold is not None:
                raise ValueError(f"type '{kind.id}' has a threshold, but one type of a dimension is chosen by "
                                 f"the dimension's own 'threshold'; move it to dimension "
                                 f"'{info.data.get('id', '?')}'")
        return types


class Codebook(_Strict):
    name: str = Field(min_length=1)
    version: str = "1"
    description: str = ""
    themes: list[Theme] = Field(default_factory=list)
    dimensions: list[Dimension] = Field(default_factory=list)
    none_examples: list[str] = Field(default_factory=list)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, (int, float)) else value

    @model_validator(mode="after")
    def _ids_are_unique(self) -> Codebook:
        if not self.themes and not self.dimensions:
            raise ValueError("the codebook has no 'themes' and no 'dimensions'; add at least one theme")
        # Every problem at once, one per line (load_codebook lists them): fixed one at a time, each run of
        # validate-codebook showed the next.
        problems: list[str] = []
        seen: set[str] = set()
        for category in self.categories:
            if category.id in seen:
                kind = "type" if category.group else "theme"
                problems.append(f"{kind} id '{category.id}' is used twice; give each {kind} its own id")
            seen.add(category.id)
        dimension_ids: set[str] = set()
        for dimension in self.dimensions:  # two of one id passed when their types differed: one column prefix
            if dimension.id in dimension_ids:
                problems.append(f"dimension id '{dimension.id}' is used twice; give each dimension its own id")
            dimension_ids.add(dimension.id)
        # One GUID on two codes: a QDA tool matches codes by GUID first, and a project read back would give one
        # code's codings to the other.
        guids: dict[str, str] = {}
        for owner, guid in [(t.id, t.guid) for t in self.themes] + [(d.id, d.guid) for d in self.dimensions] + [
                (f"{d.id}.{k.id}", k.guid) for d in self.dimensions for k in d.types]:
            if guid:
                first = guids.setdefault(guid.strip("{}").lower(), owner)
                if first != owner:
                    problems.append(f"'{first}' and '{owner}' have the same guid ({guid}); a QDA tool would take "
                                    "them for one code: give one a new guid, or remove its guid line")
        # A theme and a dimension of one id share the count files' and coded samples' columns and cells ("data"
        # read as a type of the 'data' dimension): the run crashed after the coding.
        dimensions = {dimension.id for dimension in self.dimensions}
        problems += [f"theme id '{theme.id}' is also a dimension's id; rename one of them"
                     for theme in self.themes if theme.id in dimensions]
        try:
            _check_former_ids(self)
        except ValueError as error:
            problems.append(str(error))
        labels: dict[str, str] = {}
        for category in self.categories:
            other = labels.setdefault(plain_key(category.label), category.id)
            if other != category.id:
                problems.append(f"'{other}' and '{category.id}' have the same label ({category.label!r}); a report "
                                "could not tell them apart: give each its own")
        # One passage written two ways under two themes ("Different priorities!!", "Different priorities."): each is
        # learned as its own theme alone, against the other. Written the same, it is learned as carrying both.
        written: dict[str, tuple[str, str]] = {}
        for theme in self.themes:
            for example in theme.examples:
                key = folded_text(example)
                first = written.setdefault(key, (theme.id, example))
                if first[0] != theme.id and first[1] != example:
                    problems.append(f"{_quoted(first[1])} (an example of '{first[0]}') and {_quoted(example)} (of "
                                    f"'{theme.id}') are one passage written two ways, each learned as its theme "
                                    "alone, against the other: write it the same under both (it is then learned as "
                                    "carrying both), or keep it under one")
        coded = {plain_key(example): c.id for c in self.categories for example in c.theme.examples}
        problems += [f"{_quoted(clash)} is both an example of '{coded[plain_key(clash)]}' and one of none of the "
                     "themes (none_examples); keep it in one list"
                     for clash in self.none_examples if plain_key(clash) in coded]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def categories(self) -> list[Category]:
        """Every codable category, flattened: themes as they are, dimension types as 'dimension.type'."""
        flat = [Category(theme.id, theme.label, None, theme) for theme in self.themes]
        for dimension in self.dimensions:
            flat += [
                Category(f"{dimension.id}.{kind.id}", f"{dimension.label}: {kind.label}", dimension.id, kind)
                for kind in dimension.types
            ]
        return flat

    @property
    def ids(self) -> list[str]:
        return [category.id for category in self.categories]

    @property
    def renamed(self) -> dict[str, str]:
        """Each code the codebook's `formerly` lists, as coded files write it, with the code it is now: a theme's
        former id, and a type's code under its own former ids and its dimension's ("service.joint" ->
        "service_model.joint_program")."""
        found = {old: theme.id for theme in self.themes for old in theme.formerly}
        for dimension in self.dimensions:
            found.update(dimension.renamed)
        return found

    @property
    def renamed_dimensions(self) -> dict[str, str]:
        """Each dimension's former ids (`formerly`), with its id now."""
        return {old: dimension.id for dimension in self.dimensions for old in dimension.formerly}

    def current_code(self, code: str) -> str:
        """A code as this codebook names it now (`renamed`); any other code as it is."""
        return self.renamed.get(code, code)

    def label_of(self, category_id: str) -> str:
        return {c.id: c.label for c in self.categories}[category_id]

    def content_hash(self) -> str:
        """Hash of the validated content (not the file's bytes): comments, layout and the GUIDs and colours that
        name and mark codes in QDA tools do not change it, nor the former ids a theme is also read by."""
        return content_hash_of(self.model_dump(mode="json"))

    def content_hashes_before_renames(self) -> set[str]:
        """The content hashes of the codebook as it may have been before its renames: each code that lists former ids
        (`formerly`) under its id now or any of them, in every combination (a calibration made before one rename of
        two, or shipped for the codebook copied and renamed, still fits its content; the order of `formerly` does
        not matter). Empty where nothing was renamed; at most `_MOST_COMBINATIONS` are tried."""
        data = self.model_dump(mode="json")
        items = [*data["themes"], *data["dimensions"], *(k for d in data["dimensions"] for k in d["types"])]
        renamed = [item for item in items if item.get("formerly")]
        choices = [[item["id"], *item["formerly"]] for item in renamed]
        variants: Iterable[tuple[str, ...]] = itertools.product(*choices)
        if math.prod(map(len, choices)) > _MOST_COMBINATIONS:  # many renamed: each under its first, or its last, old id
            variants = [tuple(c[k] for c in choices) for k in (1, -1)]
        hashes = set()
        for ids in variants if renamed else ():
            for item, value in zip(renamed, ids):
                item["id"] = value
            hashes.add(content_hash_of(data))
        return hashes - {self.content_hash()}

    def made_for(self, codebook_hash: str | None) -> bool:
        """Whether a calibration made for `codebook_hash` was made for this content, or for it before renames."""
        return codebook_hash is not None and (codebook_hash == self.content_hash()
                                              or codebook_hash in self.content_hashes_before_renames())

    def has_examples(self, minimum: int = 3) -> bool:
        """True when every category has enough examples for a classifier to learn from."""
        return all(len(c.theme.examples) >= minimum for c in self.categories)


_MOST_COMBINATIONS = 4096  # of former ids tried for a calibration made before renames (12 codes renamed once)


def content_hash_of(data: dict) -> str:
    """The content hash of a codebook's data (`Codebook.content_hash`)."""
    payload = json.dumps(_without_qda_marks(data), sort_keys=True).encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def _without_qda_marks(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: _without_qda_marks(value) for key, value in data.items()
                if key not in ("guid", "color", "formerly")}
    if isinstance(data, list):
        return [_without_qda_marks(item) for item in data]
    return data


def _check_former_ids(codebook: Codebook) -> None:
    """A former id names one code: not a code the codebook has now (a coded file's 'trust' would mean two themes),
    and not the former id of two."""
    def claim(claimed: dict[str, str], old: str, owner: str, what: str, now: set[str]) -> None:
        if old in now:
            raise ValueError(f"'{owner}' lists '{old}' in formerly, but '{old}' is a {what} of the codebook now; a "
                             f"coded file's '{old}' would name both: remove it from formerly")
        first = claimed.setdefault(old, owner)
        if first != owner:
            raise ValueError(f"'{first}' and '{owner}' both list '{old}' in formerly; a coded file's '{old}' can be "
                             "read as one of them only: keep it under the one it became")

    theme_ids, dimension_ids = {t.id for t in codebook.themes}, {d.id for d in codebook.dimensions}
    themes: dict[str, str] = {}
    for theme in codebook.themes:
        for old in theme.formerly:
            claim(themes, old, theme.id, "theme or dimension id", theme_ids | dimension_ids)
    for dimension in codebook.dimensions:  # one name space with the themes': the manifest records both in one map
        for old in dimension.formerly:
            claim(themes, old, dimension.id, "theme or dimension id", theme_ids | dimension_ids)
        types: dict[str, str] = {}
        for kind in dimension.types:
            for old in kind.formerly:
                claim(types, old, f"{dimension.id}.{kind.id}", f"type id of '{dimension.id}'",
                      {k.id for k in dimension.types})


def first_id(item: Theme | Dimension) -> str:
    """The id a code was first given: the first of its `formerly` (oldest first), else its id. GUIDs derived from it
    stay the same through renames, so a QDA tool takes the renamed code for the one it knows."""
    return item.formerly[0] if item.formerly else item.id


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    group: str | None  # the dimension id, or None for an independent theme
    theme: Theme


def merge_codebooks(books: list[Codebook]) -> Codebook:
    """Several codebooks coded in one run, as one: their themes and dimensions side by side.

    Each keeps its own models and calibration (see `themes.coding`); the merged view orders the
    output columns and checks that no id is used twice."""
    if len(books) == 1:
        return books[0]
    from themes.refi import stable_guid

    def own_guid(item, book: Codebook, key: str):
        """The category's GUID as its own codebook gives it (REFI-QDA exchange), not one of the merged name."""
        return item if item.guid else item.model_copy(update={"guid": stable_guid(book.name, key)})

    themes = [own_guid(t, b, first_id(t)) for b in books for t in b.themes]
    dimensions = [own_guid(d, b, first_id(d)).model_copy(update={"types": [
        own_guid(k, b, f"{first_id(d)}.{first_id(k)}") for k in d.types]})
                  for b in books for d in b.dimensions]
    try:
        _check_former_ids_across(books)
        return Codebook(name=" + ".join(b.name for b in books), version=" + ".join(b.version for b in books),
                        description="", themes=themes, dimensions=dimensions)
    except (ValidationError, ValueError) as error:
        message = error.errors()[0]["msg"].removeprefix("Value error, ") if isinstance(error, ValidationError) \
            else str(error)
        first, *more = message.split("\n")
        raise CodebookError(f"These codebooks cannot be coded together: {first}"
                            + (f" ({len(more)} more such problem{'s' * (len(more) > 1)})." if more else ".")) from None


def _check_former_ids_across(books: list[Codebook]) -> None:
    """`_check_former_ids` between codebooks run together, naming the codebook of each code (the merged codebook's
    check said "of the codebook now", of two)."""
    now = {code: book.name for book in books
           for code in (*(t.id for t in book.themes), *(d.id for d in book.dimensions))}
    claimed: dict[str, tuple[str, str]] = {}
    for book in books:
        for old, new in {**book.renamed_dimensions, **{o: t.id for t in book.themes for o in t.formerly}}.items():
            if old in now and now[old] != book.name:
                raise ValueError(f"'{new}' of {book.name} lists '{old}' in formerly, but '{old}' is a code of "
                                 f"{now[old]}; a coded file's '{old}' would name both: remove it from formerly")
            first = claimed.setdefault(old, (new, book.name))
            if first[1] != book.name:
                raise ValueError(f"'{first[0]}' of {first[1]} and '{new}' of {book.name} both list '{old}' in "
                                 f"formerly; a coded file's '{old}' can be read as one of them only")


def shipped_codebooks() -> dict[str, Path]:
    """The codebooks installed with the package (the repository's codebooks/ folder), by name."""
    import themes.codebooks

    folder = Path(themes.codebooks.__file__).parent
    return {path.stem: path for path in sorted(folder.glob("*.yaml"))}


def codebook_path(value: str | Path) -> Path:
    """A codebook given as a path, or by the name of a shipped one ("rfi_themes"); a path that exists wins."""
    path = Path(value)
    if path.is_file():
        return path
    shipped = shipped_codebooks()
    name = str(value)
    if path.suffix == "" and len(path.parts) == 1 and name in shipped:
        return shipped[name]
    # One message for --codebook and validate-codebook's argument, so it names neither.
    if path.is_dir():
        raise CodebookError(f"{path} is a folder, not a codebook. Give the path of a codebook YAML file in it, or the "
                            f"name of a shipped one ({', '.join(shipped)}).")
    raise CodebookError(f"Codebook not found: {path}. Give the path of a codebook YAML file or the name of a shipped "
                        f"one ({', '.join(shipped)}).")


# libyaml's parser (in PyYAML's wheels) reads the shipped codebooks about five times faster than the pure-Python one.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _RepeatedKey(Exception):
    def __init__(self, key: str, first: int, second: int):
        super().__init__(key)
        self.key, self.first, self.second = key, first, second


class _UniqueKeyLoader(_SAFE_LOADER):
    """The safe loader, refusing a key given twice in one mapping: YAML keeps the last, so a second `themes:` block
    appended below the first dropped every theme above it, and a second `examples:` the first list, silently."""

    def construct_mapping(self, node, deep=False):
        lines: dict[str, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                line = key_node.start_mark.line + 1
                if key_node.value in lines:
                    raise _RepeatedKey(key_node.value, lines[key_node.value], line)
                lines[key_node.value] = line
        return super().construct_mapping(node, deep=deep)


# A list item that starts with one of the codebook's keys ("- id: trust") is a mapping: its text after the key is
# what to quote; any other item ("- Staff said: trust: it matters") is text, quoted whole.
_KNOWN_KEY = re.compile(r"(?:id|label|definition|examples|counter_examples|threshold|guid|color|formerly|types|"
                        r"include|exclude|name|version|description): ")


def load_codebook(path: str | Path) -> Codebook:
    """Read and validate a codebook (a path, or a shipped codebook's name); any problem raises CodebookError
    naming the file, YAML path and line."""
    path = codebook_path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        byte = error.object[error.start]
        if path.suffix.lower() not in (".qdc", ".qdpx"):
            raise CodebookError(f"{path}: not UTF-8 text (byte {byte:#04x} at position {error.start}). Save the "
                                "codebook as UTF-8 and run again.") from None
        text = ""
    head = text.lstrip()[:400]
    if path.suffix.lower() in (".qdc", ".qdpx") or head.startswith("<?xml") or "<CodeBook" in head:
        # A QDA tool's export where a YAML codebook goes: its YAML error ("mapping values are not allowed") said
        # nothing of what it was (review 155)
        what = "a REFI-QDA project" if path.suffix.lower() == ".qdpx" else "a REFI-QDA codebook (XML)"
        target = path.with_name(f"{path.stem}_imported.yaml") if path.suffix.lower() in (".yaml", ".yml") else \
            path.with_suffix(".yaml")
        raise CodebookError(f"{path} is {what}, not a YAML codebook: import it first with `themes import-codebook "
                            f"{path} --out {target}`, then pass the .yaml.")
    try:
        try:
            data = yaml.load(text, Loader=_UniqueKeyLoader)
        except yaml.YAMLError:
            data = yaml.safe_load(text)  # the pure-Python parser's messages say what it found ("but got ':'")
    except _RepeatedKey as repeated:
        raise CodebookError(f"{path}:{repeated.second}: '{repeated.key}' is given twice in one place (lines "
                            f"{repeated.first} and {repeated.second}); YAML keeps only the second, so what the first "
                            "holds would be lost: merge them into one.") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        if getattr(error, "context", None) == "while scanning a simple key" and getattr(error, "context_mark", None):
            # A key whose ':' is missing: the scanner notices lines later ("could not find expected ':'"), where the
            # next key starts; the line to mend is the key's own.
            mark = error.context_mark
            raise CodebookError(f"{path}:{mark.line + 1}: the YAML cannot be parsed (could not find expected ':'). "
                                "Is this line a key missing its ':'? Else check quotes and indentation.") from None
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        before = (text.splitlines()[mark.line:mark.line + 1] or [""])[0][:mark.column] if mark else ""
        if problem == "mapping values are not allowed here" and ": " in before:  # label: Trust: earned over time
            item = before.lstrip().startswith("- ") and not _KNOWN_KEY.match(before.lstrip()[2:])
            key = before.split(":")[0].strip().removeprefix("- ")
            where_text = "the whole item after '- '" if item else f"the text after '{key}:'"
            raise CodebookError(f"{where}: the YAML cannot be parsed: a ': ' inside unquoted text starts a key; put "
                                f"{where_text} in double quotes.") from None
        if "'\\t'" in problem:  # "found character '\t' that cannot start any token" (review 160)
            raise CodebookError(f"{where}: the YAML cannot be parsed: a tab in the indentation or before a value; "
                                "YAML indents with spaces: replace the tab with spaces.") from None
        if problem.startswith("expected <block end>, but found '-'"):  # a list item out of line (review 160)
            raise CodebookError(f"{where}: the YAML cannot be parsed: this list item ('-') is not indented as the "
                                "items above it, or the key above it is missing; line it up with them.") from None
        if problem == "mapping values are not allowed here":  # a key indented deeper than the one above it
            raise CodebookError(f"{where}: the YAML cannot be parsed ({problem}). Is this line indented deeper than "
                                "the key above it? Else check quotes.") from None
        raise CodebookError(f"{where}: the YAML cannot be parsed ({problem}). Check quotes and indentation.") from None
    if not isinstance(data, dict):
        raise CodebookError(f"{path}: a codebook is a YAML mapping with 'name' and 'themes'; this file is not.")
    if isinstance(data.get("version"), (int, float)) and not isinstance(data["version"], bool):
        # as written: YAML reads "version: 0.10" as the number 0.1, and the codebook said version 0.1 (review 155)
        data["version"] = next((value.value for key, value in yaml.compose(text).value
                                if key.value == "version"), data["version"])
    try:
        return Codebook.model_validate(data)
    except ValidationError as error:
        node = yaml.compose(text)  # the nodes know their lines; composed only to say where a problem is
        errors = [dict(each, msg=part) for each in error.errors() for part in each["msg"].split("\n")]
        problems = list(dict.fromkeys(_problem(path, node, each) for each in errors))
        if not any("[top level]" in problem for problem in problems):  # the codebook-wide checks never ran
            problems += [_problem(path, node, {"loc": (), "msg": message, "type": "value_error"})
                         for message in _repeats_as_written(data)]
        more = (f" ({len(problems) - 1} more problem{'s' * (len(problems) > 2)}: 'themes validate-codebook "
                f"{path}' lists them all)") if len(problems) > 1 else ""
        raise CodebookError(problems[0] + more, problems) from None


def _unknown_key(loc: list[Any]) -> str:
    """An unknown key, with the key it was likely meant to be among those of its place ("exmaples": "examples"),
    or the keys its place has ("name" in a theme: a theme has a label)."""
    from difflib import get_close_matches

    key = str(loc[-1])
    if len(loc) == 1:
        place, keys = "the codebook", Codebook.model_fields
    elif loc[0] == "dimensions" and "types" in loc[:-1]:
        place, keys = "a type", [k for k in Theme.model_fields if k != "threshold"]
    elif loc[0] == "dimensions":
        place, keys = "a dimension", Dimension.model_fields
    else:
        place, keys = "a theme", Theme.model_fields
    near = get_close_matches(key.lower(), [k for k in keys if k != key], n=1, cutoff=0.75)
    if near:
        return f"unknown key '{key}'; did you mean '{near[0]}'?"
    return f"unknown key '{key}': {place} has {', '.join(keys)}"


def _repeats_as_written(data: dict) -> list[str]:
    """The ids and labels given twice, read from the YAML as written: the codebook-wide checks run only once every
    field is valid, so validate-codebook said a repeated label only after the other problems were fixed (review
    155). The words are those of `Codebook._ids_are_unique`."""
    def listed(value) -> list:  # `themes: 5` is the schema's to refuse in words: it was a TypeError here (review 164)
        return value if isinstance(value, list) else []

    categories = []  # (id, label, kind) of each theme and type, as written
    for theme in listed(data.get("themes")):
        if isinstance(theme, dict):
            categories.append((theme.get("id"), theme.get("label"), "theme"))
    for dimension in listed(data.get("dimensions")):
        if isinstance(dimension, dict):
            for kind in listed(dimension.get("types")):
                if isinstance(kind, dict) and kind.get("id") is not None:
                    categories.append((f"{dimension.get('id')}.{kind['id']}",
                                       f"{dimension.get('label')}: {kind.get('label')}", "type"))
    problems, ids, labels = [], set(), {}
    for category, label, kind in categories:
        if isinstance(category, str) and category in ids:
            problems.append(f"{kind} id '{category}' is used twice; give each {kind} its own id")
        ids.add(category)
        if isinstance(label, str) and isinstance(category, str):
            other = labels.setdefault(plain_key(label), category)
            if other != category:
                problems.append(f"'{other}' and '{category}' have the same label ({label!r}); a report could not "
                                "tell them apart: give each its own")
    return problems


def _problem(path: Path, node: yaml.Node | None, error: dict) -> str:
    """One line for one schema error: where (file, line, YAML path) and what to do."""
    loc = [part for part in error["loc"] if part not in ("function-after",)]
    line = _line_of(node, loc) if loc else _line_of_duplicate_id(node, error["msg"]) or _line_of_former_id(
        node, error["msg"])
    own = re.match(r"Value error, type '(\w+)' has a threshold", error["msg"])
    if own and loc:  # reported at the dimension's `types:` line (18), not the type's own `threshold:` (48)
        line = _line_of_key_in(node, loc, own.group(1), "threshold") or line
    where = f"{path}:{line}" if line else str(path)
    yaml_path = " -> ".join(str(part) for part in loc) or "top level"
    message = error["msg"].removeprefix("Value error, ")
    found = error.get("input")
    if error["type"] == "extra_forbidden" and loc == ["unit"]:
        message = ("unknown key 'unit': answers are always coded by segment and an answer carries what "
                   "its segments carry; remove the key")
    elif error["type"] == "extra_forbidden":
        message = _unknown_key(loc)
    elif error["type"] == "too_short" and loc and loc[-1] == "types":
        message = ("a dimension needs two types or more, of which a passage carries one at a time; "
                   + ("make a lone type a theme" if found else "add its types"))
    elif error["type"] == "missing":
        message = f"field '{loc[-1]}' is required"
    elif error["type"] == "string_type" and isinstance(found, dict):
        message = ("expected text, found 'key: value': in YAML a ': ' inside unquoted text starts a key; put the "
                   "text in double quotes")
    elif error["type"] in ("string_type", "list_type"):
        kind = "text" if error["type"] == "string_type" else "a list (items on lines starting with '- ')"
        message = f"expected {kind}, found {_shown(found)}"
    elif error["type"] == "string_pattern_mismatch" and loc and loc[-1] == "id":
        message = (f"the id {_shown(found)} is not one: ids are lower-case letters, digits and underscores, "
                   "starting with a letter (e.g. resource_needs)")
    elif error["type"] == "string_pattern_mismatch" and loc and loc[-1] == "guid":
        message = (f"the guid {_shown(found)} is not one: a GUID reads like 3F2504E0-4F89-11D3-9A0C-0305E82C3301; "
                   "remove the line and one is made")
    elif error["type"] == "string_pattern_mismatch" and loc and loc[-1] == "color":
        message = f"the color {_shown(found)} is not one: write it as a QDA tool does, #RRGGBB (e.g. #1F77B4)"
    elif error["type"] == "string_too_short" and loc:
        message = f"'{loc[-1]}' is empty; write it"
    return f"{where}: [{yaml_path}] {message}"


def _shown(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _child(node: yaml.Node | None, part: Any) -> yaml.Node | None:
    """The node one step of a YAML path below `node` (a mapping's value by key, a sequence's item by index), or
    None where there is none."""
    if isinstance(node, yaml.MappingNode):
        return next((value for key, value in node.value if key.value == part), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None


def _line_of(node: yaml.Node | None, loc: list[Any]) -> int | None:
    """The 1-based line of the YAML node at `loc`, or of its deepest existing parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        node = _child(node, part)
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _line_of_key_in(node: yaml.Node | None, loc: list[Any], item_id: str, key: str) -> int | None:
    """The line of `key` in the item of the list at `loc` whose id is `item_id`."""
    for part in loc:
        node = _child(node, part)
    for item in node.value if isinstance(node, yaml.SequenceNode) else []:
        fields = {name.value: value for name, value in item.value} if isinstance(item, yaml.MappingNode) else {}
        if getattr(fields.get("id"), "value", None) == item_id and key in fields:
            return fields[key].start_mark.line + 1
    return None


def _line_of_duplicate_id(node: yaml.Node | None, message: str) -> int | None:
    """For a duplicate id or label (which pydantic reports at the top level), the line of the repeat's id."""
    match = re.search(r"(?:theme|type|dimension) id '([\w.]+)' is (?:used twice|also a dimension's id)|and '([\w.]+)' "
                      r"have the same (?:label|guid)", message)
    if not match or node is None:
        return None
    wanted = (match.group(1) or match.group(2)).split(".")[-1]
    lines = [
        value.start_mark.line + 1
        for candidate in _walk(node)
        if isinstance(candidate, yaml.MappingNode)
        for key, value in candidate.value
        if key.value == "id" and getattr(value, "value", None) == wanted
    ]
    return lines[-1] if lines else None


def _line_of_former_id(node: yaml.Node | None, message: str) -> int | None:
    """For a former id that names two codes (`_check_former_ids`, reported at the top level), its line in the
    `formerly` of the code that lists it (of the second, where two do)."""
    match = re.search(r"'([\w.]+)' lists '(\w+)' in formerly|and '([\w.]+)' both list '(\w+)' in formerly", message)
    if not match or node is None:
        return None
    owner, old = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    for candidate in _walk(node):
        fields = {key.value: value for key, value in candidate.value} if isinstance(candidate, yaml.MappingNode) \
            else {}
        if getattr(fields.get("id"), "value", None) != owner.split(".")[-1] or "formerly" not in fields:
            continue
        listed = fields["formerly"]
        items = listed.value if isinstance(listed, yaml.SequenceNode) else [listed]
        for item in items:
            if getattr(item, "value", None) == old:
                return item.start_mark.line + 1
    return None


def _walk(node: yaml.Node):
    yield node
    if isinstance(node, yaml.MappingNode):
        for _, value in node.value:
            yield from _walk(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _walk(item)


def file_hash(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

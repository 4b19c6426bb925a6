"""Write a codebook as YAML in the schema's own key order, with comments where a person must act."""

from __future__ import annotations

import re

import yaml

from themes.codebook import Codebook

THEME_KEYS = ("id", "formerly", "guid", "color", "label", "definition", "include", "exclude", "examples",
              "counter_examples", "threshold")
DIMENSION_KEYS = ("id", "formerly", "guid", "color", "label", "description", "types")
CODEBOOK_KEYS = ("name", "version", "description", "themes", "dimensions", "none_examples")


def codebook_data(codebook: Codebook) -> dict:
    """A validated codebook as plain data, in schema order, without empty fields."""
    return tidy(codebook.model_dump(mode="json"))


def tidy(data: dict) -> dict:
    """Schema key order; text stripped (as validation strips it); empty lists, empty strings and None
    left out (they are the defaults)."""
    def pick(item: dict, keys: tuple[str, ...]) -> dict:
        extra = [k for k in item if k not in keys]  # unknown keys stay, so validation can name them
        picked = {k: _stripped(item[k]) for k in (*keys, *extra) if k in item}
        return {k: v for k, v in picked.items() if v not in (None, "", [])}

    out = pick(data, CODEBOOK_KEYS)
    if "themes" in out:
        out["themes"] = [pick(theme, THEME_KEYS) for theme in out["themes"]]
    if "dimensions" in out:
        out["dimensions"] = [{**pick(d, DIMENSION_KEYS), "types": [pick(t, THEME_KEYS) for t in d.get("types", [])]}
                             for d in out["dimensions"]]
    return out


def _stripped(value):
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return [_stripped(item) for item in value]
    return value


class _Dumper(yaml.SafeDumper):
    """Text with line breaks (bullet lists in an example) as a literal block, as a person would write it."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and not any(line != line.rstrip() for line in value.splitlines()) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def to_yaml(data: dict, *, header: str = "", notes: dict[str, str] | None = None) -> str:
    """YAML text of a codebook; `notes` maps an id to a comment written above its `- id:` line."""
    text = yaml.dump(tidy(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)
    for theme_id, note in (notes or {}).items():
        pattern = re.compile(rf"^(\s*)- id: {re.escape(theme_id)}$", re.MULTILINE)
        text = pattern.sub(lambda m: "".join(f"{m.group(1)}# {line}\n" for line in note.splitlines()) + m.group(0),
                           text, count=1)
    comment = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    return comment + text

"""Loading and validating codebooks: the real ones load; every kind of mistake gets one exact message."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from themes.codebook import load_codebook
from themes.errors import CodebookError

RFI_IDS = ["trust", "cultural_differences", "community_engagement", "resource_needs", "data_challenges"]
DIMENSIONS = {
    "service_model": ["referral", "coordinated", "joint"],
    "financial_relationship": ["independent", "service_contracts", "risk_sharing"],
    "data": ["reporting_only", "partial_access", "full_access"],
    "partnership_effects": ["partner_level", "community_level", "policy_systems_level"],
    "governance": ["informal", "negotiated_agreements", "shared_accountability"],
}


def write(tmp_path: Path, text: str, name: str = "codebook.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def raises_exactly(message: str):
    return pytest.raises(CodebookError, match=f"^{re.escape(message)}$")


@pytest.fixture(scope="module")
def real_codebooks():
    """The project's codebooks, loaded once (pure-Python YAML parsing takes a moment)."""
    folder = Path(__file__).resolve().parents[1] / "codebooks"
    return {name: load_codebook(folder / name) for name in ("rfi_themes.yaml", "partnership_models.yaml")}


# The real codebooks ---------------------------------------------------------------------------------

def test_rfi_themes_codebook_is_valid(real_codebooks):
    codebook = real_codebooks["rfi_themes.yaml"]

    assert codebook.name == "RFI partnership themes"
    assert codebook.ids == RFI_IDS
    assert [c.group for c in codebook.categories] == [None] * 5
    assert codebook.label_of("trust") == "Trust and relationships"
    assert codebook.has_examples()


def test_partnership_models_flatten_dimension_types(real_codebooks):
    codebook = real_codebooks["partnership_models.yaml"]

    assert codebook.themes == []
    assert codebook.ids == [f"{d}.{t}" for d, types in DIMENSIONS.items() for t in types]
    assert [c.group for c in codebook.categories] == [d for d, types in DIMENSIONS.items() for _ in types]
    assert codebook.label_of("service_model.coordinated") == "Service model: Coordinated"


def test_tiny_codebook_fixture(tiny_codebook):
    assert tiny_codebook.ids == ["trust", "funding", "service.referral", "service.joint"]
    assert [c.group for c in tiny_codebook.categories] == [None, None, "service", "service"]
    assert tiny_codebook.version == "1"  # an unquoted YAML number is kept as text


@pytest.mark.parametrize("name", ["rfi_themes.yaml", "partnership_models.yaml"])
def test_content_hash_ignores_layout_and_comments(real_codebooks, repo_root, tmp_path, name):
    original = real_codebooks[name]
    data = yaml.safe_load((repo_root / "codebooks" / name).read_text(encoding="utf-8"))
    # Same content, other layout: flow style, other key order, comments, a BOM.
    reformatted = "# a comment\n" + yaml.safe_dump(data, default_flow_style=True, sort_keys=True, width=60)
    path = tmp_path / name
    path.write_text("\ufeff" + reformatted, encoding="utf-8")

    assert load_codebook(path).content_hash() == original.content_hash()


def test_content_hash_changes_with_content(tiny_codebook_path, tiny_codebook):
    changed = tiny_codebook_path.read_text().replace("Grants end after two years.", "Grants end after a year.")
    tiny_codebook_path.write_text(changed)

    assert load_codebook(tiny_codebook_path).content_hash() != tiny_codebook.content_hash()


def test_content_hash_ignores_surrounding_whitespace(tiny_codebook_path, tiny_codebook):
    padded = tiny_codebook_path.read_text().replace("label: Funding needs", "label: '  Funding needs  '")
    tiny_codebook_path.write_text(padded + "\n\n# trailing comment\n")

    assert load_codebook(tiny_codebook_path).content_hash() == tiny_codebook.content_hash()


# Errors ---------------------------------------------------------------------------------------------

TWO_THEMES = """\
name: Tiny
themes:
  - id: trust
    label: Trust
    definition: Trust between partners.
    examples:
      - We trust each other.
  - id: money
    label: Money
    definition: Funding.
"""


def test_a_theme_and_a_dimension_of_one_id_are_refused(tmp_path):
    """A theme 'data' beside a dimension 'data' passed validation, then crashed the run after the coding."""
    path = write(tmp_path, TWO_THEMES.replace("id: money", "id: data") + """dimensions:
  - id: data
    label: Data
    description: How partners share data.
    types:
      - id: reporting_only
        label: Reporting only
        definition: Reports only.
      - id: full_access
        label: Full access
        definition: Shared records.
""")
    with raises_exactly(f"{path}:12: [top level] theme id 'data' is also a dimension's id; rename one of them"):
        load_codebook(path)


def test_a_key_given_twice_is_refused_not_kept_last(tmp_path):
    """A second 'themes:' block appended at the bottom dropped every theme above it, and a second 'examples:' the
    first list: YAML keeps the last, and validate-codebook called it valid."""
    path = write(tmp_path, TWO_THEMES + "themes:\n  - id: care\n    label: Care\n    definition: Care.\n")
    with raises_exactly(f"{path}:11: 'themes' is given twice in one place (lines 2 and 11); YAML keeps only the "
                        "second, so what the first holds would be lost: merge them into one."):
        load_codebook(path)
    merged = write(tmp_path, "name: Tiny\nthemes:\n  - &trust\n    id: trust\n    label: Trust\n    definition: "
                             "Trust.\n    examples: [We trust them.]\n  - <<: *trust\n    id: care\n    label: Care\n")
    assert [t.label for t in load_codebook(merged).themes] == ["Trust", "Care"]  # a merged key may be replaced


def test_two_codes_of_one_guid_are_refused(tmp_path):
    """A .qdc with two codes of one GUID imported, validated and exported as such; a project read back by GUID
    would then give one code's codings to the other."""
    guid = "d0000000-0000-4000-8000-000000000001"
    text = TWO_THEMES.replace("    label: Trust\n", f"    label: Trust\n    guid: {guid}\n").replace(
        "    label: Money\n", f"    label: Money\n    guid: '{{{guid.upper()}}}'\n")
    path = write(tmp_path, text)
    with raises_exactly(f"{path}:9: [top level] 'trust' and 'money' have the same guid ({{{guid.upper()}}}); a QDA "
                        "tool would take them for one code: give one a new guid, or remove its guid line"):
        load_codebook(path)


def test_duplicate_theme_id_names_the_line_of_the_repeat(tmp_path):
    path = write(tmp_path, TWO_THEMES + "  - id: trust\n    label: Trust again\n    definition: Again.\n")

    with raises_exactly(f"{path}:11: [top level] theme id 'trust' is used twice; give each theme its own id"):
        load_codebook(path)


def test_two_themes_with_one_label_name_the_line_of_the_second(tmp_path):
    path = write(tmp_path, TWO_THEMES.replace("label: Money", "label: trust "))

    with raises_exactly(f"{path}:8: [top level] 'trust' and 'money' have the same label ('trust'); a report could "
                        "not tell them apart: give each its own"):
        load_codebook(path)


def test_an_unquoted_colon_in_an_example_says_to_quote_it(tmp_path):
    path = write(tmp_path, TWO_THEMES.replace("- We trust each other.", "- Note: we trust each other."))

    with raises_exactly(f"{path}:7: [themes -> 0 -> examples -> 0] expected text, found 'key: value': in YAML a ': ' "
                        "inside unquoted text starts a key; put the text in double quotes"):
        load_codebook(path)
    quoted = write(tmp_path, TWO_THEMES.replace("- We trust each other.", '- "Note: we trust each other."'))
    assert load_codebook(quoted).themes[0].examples == ["Note: we trust each other."]


@pytest.mark.parametrize("lists, message", [
    ("    examples:\n      - We trust each other.\n      - we  trust each other.\n",
     "'we  trust each other.' is in the examples of 'trust' twice (items 0 and 1, counting from 0); remove one"),
    ("    examples:\n      - We trust each other.\n    counter_examples:\n      - We trust each OTHER.\n",
     "'We trust each other.' is both an example and a counter-example of 'trust'; keep it in one list"),
])
def test_a_passage_pasted_twice_or_in_contradicting_lists_is_refused(tmp_path, lists, message):
    path = write(tmp_path, TWO_THEMES.replace("    examples:\n      - We trust each other.\n", lists))

    with raises_exactly(f"{path}:3: [themes -> 0] {message}"):
        load_codebook(path)


def test_an_example_of_a_theme_that_is_also_an_example_of_none_is_refused(tmp_path):
    path = write(tmp_path, TWO_THEMES + "none_examples:\n  - We trust each other.\n")

    with raises_exactly(f"{path}: [top level] 'We trust each other.' is both an example of 'trust' and one of none "
                        "of the themes (none_examples); keep it in one list"):
        load_codebook(path)


def test_one_passage_written_two_ways_under_two_themes_is_refused(tmp_path):
    """'Different priorities!!' under trust and 'Different priorities.' under cultural differences validated, and
    each was learned as its theme alone, against the other. Written the same, a passage carries both themes."""
    path = write(tmp_path, TWO_THEMES + "    examples:\n      - \"we TRUST each other!!\"\n")

    with raises_exactly(f"{path}: [top level] 'We trust each other.' (an example of 'trust') and 'we TRUST each "
                        "other!!' (of 'money') are one passage written two ways, each learned as its theme alone, "
                        "against the other: write it the same under both (it is then learned as carrying both), or "
                        "keep it under one"):
        load_codebook(path)
    # as the coder's memory compares passages (coding.learned_from): a curly apostrophe inside is a straight one
    curly = write(tmp_path, TWO_THEMES.replace("We trust each other.", "We\u2019re trusted.")
                  + "    examples:\n      - \"We're trusted\"\n", name="curly.yaml")
    with pytest.raises(CodebookError, match="are one passage written two ways"):
        load_codebook(curly)
    same = write(tmp_path, TWO_THEMES + "    examples:\n      - We trust each other.\n", name="same.yaml")
    assert [t.examples for t in load_codebook(same).themes] == [["We trust each other."]] * 2


def test_every_problem_is_listed_by_validate_codebook_and_the_first_leads_elsewhere(tmp_path):
    from typer.testing import CliRunner

    from themes.cli import app

    path = write(tmp_path, TWO_THEMES.replace("id: money", "id: Money").replace("definition: Funding.", "definition:"))
    first = (f"{path}:8: [themes -> 1 -> id] the id 'Money' is not one: ids are lower-case letters, digits and "
             "underscores, starting with a letter (e.g. resource_needs)")
    second = f"{path}:10: [themes -> 1 -> definition] expected text, found nothing"
    with raises_exactly(f"{first} (1 more problem: 'themes validate-codebook {path}' lists them all)") as raised:
        load_codebook(path)
    assert raised.value.problems == [first, second]
    result = CliRunner().invoke(app, ["validate-codebook", str(path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {first}", f"error: {second}"]


def test_validate_codebook_aligns_long_ids(tmp_path):
    from typer.testing import CliRunner

    from themes.cli import app

    long_id = "a_theme_with_a_very_long_identifier_indeed"
    path = write(tmp_path, TWO_THEMES.replace("id: money", f"id: {long_id}"))
    lines = CliRunner().invoke(app, ["validate-codebook", str(path)]).stdout.splitlines()[1:]
    assert len({line.index(" examples") for line in lines if line.startswith("  ")}) == 1


def test_validate_codebook_says_a_codebook_of_few_examples_is_coded_zero_shot(tmp_path):
    """Only a run said that one theme of fewer than 3 examples makes the whole codebook zero-shot (review 150: the
    run then flagged 3 answers in all); the check a researcher runs on their codebook said "valid" alone."""
    from typer.testing import CliRunner

    from themes.cli import app

    path = write(tmp_path, TWO_THEMES)
    result = CliRunner().invoke(app, ["validate-codebook", str(path)])
    assert result.exit_code == 0
    result = CliRunner().invoke(app, ["validate-codebook", str(path)])
    assert result.stdout.splitlines()[-1] == (
        "note: 'trust' (1), 'money' (0) have fewer than 3 examples, and the classifier learns from examples only when "
        "every category has 3 or more; a run codes this codebook zero-shot (similarity to each category's definition "
        "and examples), which agrees far less with people: add examples, or calibrate it on coded passages (themes "
        "calibrate)")
    assert "note:" not in CliRunner().invoke(app, ["validate-codebook", "codebooks/rfi_themes.yaml"]).stdout
    # A calibration made for it, beside it: the run learns from its coded passages (review 153)
    from themes.codebook import load_codebook

    path.with_name(path.stem + ".calibration.json").write_text(json.dumps(
        {"codebook_hash": load_codebook(path).content_hash()}), encoding="utf-8")
    assert "note:" not in CliRunner().invoke(app, ["validate-codebook", str(path)]).stdout


def test_duplicate_type_id_within_a_dimension(tmp_path):
    path = write(tmp_path, """\
name: X
dimensions:
  - id: service
    label: Service
    types:
      - id: referral
        label: Referral
        definition: Referrals.
      - id: referral
        label: Referral again
        definition: Referrals again.
""")

    with raises_exactly(f"{path}:9: [top level] type id 'service.referral' is used twice; "
                        "give each type its own id"):
        load_codebook(path)


def test_same_type_id_in_two_dimensions_is_allowed(tmp_path):
    types = ("    types:\n      - {id: low, label: Low, definition: Low.}\n"
             "      - {id: high, label: High, definition: High.}\n")
    path = write(tmp_path, "name: X\ndimensions:\n  - id: a\n    label: A\n" + types
                 + "  - id: b\n    label: B\n" + types)

    assert load_codebook(path).ids == ["a.low", "a.high", "b.low", "b.high"]


def test_missing_definition(tmp_path):
    path = write(tmp_path, "name: X\nthemes:\n  - id: trust\n    label: Trust\n")

    with raises_exactly(f"{path}:3: [themes -> 0 -> definition] field 'definition' is required"):
        load_codebook(path)


def test_unknown_key_names_its_line(tmp_path):
    path = write(tmp_path, TWO_THEMES + "    colour: green\n")

    with raises_exactly(f"{path}:11: [themes -> 1 -> colour] unknown key 'colour'; did you mean 'color'?"):
        load_codebook(path)


def test_unknown_top_level_key(tmp_path):
    path = write(tmp_path, "name: X\nthemse: []\n")

    with raises_exactly(f"{path}:2: [themse] unknown key 'themse'; did you mean 'themes'?"):
        load_codebook(path)


def test_an_unknown_key_like_no_other_points_to_the_readme_and_a_dimension_of_one_type_is_said(tmp_path):
    """A researcher's review: "exmaples" got no "did you mean"; a dimension of one type read "List should have at least
    2 items after validation, not 1"."""
    path = write(tmp_path, "name: X\nthemes: []\nnotes: mine\n")
    with raises_exactly(f"{path}:3: [notes] unknown key 'notes': the codebook has name, version, description, themes, "
                        "dimensions, none_examples"):
        load_codebook(path)
    # a key of another place: said with the keys of this one, not "did you mean 'name'?" (a second review)
    path = write(tmp_path, "name: X\nthemes:\n  - id: trust\n    name: Trust\n    label: T\n    definition: d\n")
    with raises_exactly(f"{path}:4: [themes -> 0 -> name] unknown key 'name': a theme has id, formerly, label, "
                        "definition, guid, color, include, exclude, examples, counter_examples, threshold"):
        load_codebook(path)
    path = write(tmp_path, "name: X\ndimensions:\n  - id: a\n    label: A\n    types: []\n")
    with raises_exactly(f"{path}:5: [dimensions -> 0 -> types] a dimension needs two types or more, of which a "
                        "passage carries one at a time; add its types"):
        load_codebook(path)
    one = ("name: X\ndimensions:\n  - id: service\n    label: Service\n    types:\n      - id: referral\n"
           "        label: Referral\n        definition: We refer.\n")
    path = write(tmp_path, one)
    with raises_exactly(f"{path}:6: [dimensions -> 0 -> types] a dimension needs two types or more, of which a passage "
                        "carries one at a time; make a lone type a theme"):
        load_codebook(path)


def test_threshold_out_of_range(tmp_path):
    path = write(tmp_path, TWO_THEMES.replace("      - We trust each other.\n",
                                              "      - We trust each other.\n    threshold: 1.7\n"))

    with raises_exactly(f"{path}:8: [themes -> 0 -> threshold] The 'threshold' of theme 'trust' "
                        "must be in [0, 1]. Got 1.7 instead."):
        load_codebook(path)


def test_threshold_of_a_dimension_type_out_of_range(tmp_path):
    path = write(tmp_path, """\
name: X
dimensions:
  - id: service
    label: Service
    types:
      - {id: referral, label: Referral, definition: Referrals.}
      - {id: joint, label: Joint, definition: Joint work., threshold: -0.2}
""")

    with raises_exactly(f"{path}:7: [dimensions -> 0 -> types -> 1 -> threshold] The 'threshold' of theme "
                        "'joint' must be in [0, 1]. Got -0.2 instead."):
        load_codebook(path)


def test_threshold_in_range_is_kept(tmp_path):
    path = write(tmp_path, TWO_THEMES + "    threshold: 0.35\n")

    assert [c.theme.threshold for c in load_codebook(path).categories] == [None, 0.35]


def test_bad_theme_id(tmp_path):
    path = write(tmp_path, TWO_THEMES.replace("id: money", "id: Money Needs"))

    with raises_exactly(f"{path}:8: [themes -> 1 -> id] the id 'Money Needs' is not one: ids are lower-case letters, "
                        "digits and underscores, starting with a letter (e.g. resource_needs)"):
        load_codebook(path)


@pytest.mark.parametrize("reserved", ["none", "no_theme", "na"])
def test_an_id_that_coded_files_write_for_no_theme_is_refused(tmp_path, reserved):
    path = write(tmp_path, TWO_THEMES.replace("id: money", f"id: {reserved}"))

    with raises_exactly(f"{path}:8: [themes -> 1 -> id] the id '{reserved}' is reserved: coded files write it for a "
                        "passage with no theme; choose another id"):
        load_codebook(path)


def test_blank_example(tmp_path):
    path = write(tmp_path, TWO_THEMES.replace("      - We trust each other.\n",
                                              "      - We trust each other.\n      - '   '\n"))

    with raises_exactly(f"{path}:7: [themes -> 0 -> examples] item 1 is empty; remove it or write the passage"):
        load_codebook(path)


def test_no_themes_and_no_dimensions(tmp_path):
    path = write(tmp_path, "name: X\n")

    with raises_exactly(f"{path}: [top level] the codebook has no 'themes' and no 'dimensions'; "
                        "add at least one theme"):
        load_codebook(path)


def test_dimension_needs_two_types(tmp_path):
    path = write(tmp_path, "name: X\ndimensions:\n  - id: d\n    label: D\n    types:\n"
                           "      - {id: only, label: Only, definition: The only one.}\n")

    with pytest.raises(CodebookError, match=re.escape(f"{path}:6: [dimensions -> 0 -> types] ")):
        load_codebook(path)


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, "name: X\nthemes:\n  - id: trust\n    label: [Trust\n    definition: d\n")

    with raises_exactly(f"{path}:5: the YAML cannot be parsed (expected ',' or ']', but got ':'). "
                        "Check quotes and indentation."):
        load_codebook(path)


def test_a_tab_and_a_list_item_out_of_line_are_said_in_words(tmp_path):
    """The parser's "found character '\\t' that cannot start any token" and "expected <block end>, but found '-'"
    reached the researcher as they were (review 160)."""
    tab = write(tmp_path, "name: X\nthemes:\n  - id: trust\n\tlabel: Trust\n    definition: d\n")
    with raises_exactly(f"{tab}:4: the YAML cannot be parsed: a tab in the indentation or before a value; YAML "
                        "indents with spaces: replace the tab with spaces."):
        load_codebook(tab)
    item = tmp_path / "item.yaml"
    item.write_text("name: X\nthemes:\n  - id: trust\n    label: Trust\n    definition: d\n    examples:\n"
                    "      - \"We trust them.\"\n    - \"Mutual respect.\"\n", encoding="utf-8")
    with raises_exactly(f"{item}:8: the YAML cannot be parsed: this list item ('-') is not indented as the items "
                        "above it, or the key above it is missing; line it up with them."):
        load_codebook(item)


def test_a_key_missing_its_colon_names_its_own_line(tmp_path):
    """'counter_examples' typed without its ':' was blamed on the line of the next key, 11 lines below."""
    path = write(tmp_path, "name: X\nthemes:\n  - id: trust\n    label: Trust\n    definition: d\n    counter_examples\n"
                           "      - \"We meet.\"\n      - \"We eat.\"\n    examples:\n      - \"We trust them.\"\n")

    with raises_exactly(f"{path}:6: the YAML cannot be parsed (could not find expected ':'). Is this line a key "
                        "missing its ':'? Else check quotes and indentation."):
        load_codebook(path)


def test_every_problem_between_themes_is_listed_at_once(tmp_path):
    """Review 150: a repeated id, a repeated label and an example under none_examples were shown one per run of
    validate-codebook, each only once the one before was fixed."""
    text = ("name: X\nthemes:\n"
            "  - {id: trust, label: Trust, definition: d, examples: [We trust them.]}\n"
            "  - {id: trust, label: Money, definition: d, examples: [No money.]}\n"
            "  - {id: data, label: Money, definition: d}\n"
            "none_examples: [No money.]\n")
    path = write(tmp_path, text)

    with pytest.raises(CodebookError) as raised:
        load_codebook(path)

    assert raised.value.problems == [
        f"{path}:4: [top level] theme id 'trust' is used twice; give each theme its own id",
        f"{path}:5: [top level] 'trust' and 'data' have the same label ('Money'); a report could not tell them apart: "
        "give each its own",
        f"{path}: [top level] 'No money.' is both an example of 'trust' and one of none of the themes "
        "(none_examples); keep it in one list"]
    assert str(raised.value).endswith("(2 more problems: 'themes validate-codebook " + str(path) + "' lists them all)")


def test_a_colon_inside_unquoted_text_says_to_quote_it(tmp_path):
    """Review 150: 'label: Trust: earned over time' got PyYAML's 'mapping values are not allowed here'."""
    path = write(tmp_path, "name: X\nthemes:\n  - id: trust\n    label: Trust: earned over time\n    definition: d\n")

    with raises_exactly(f"{path}:4: the YAML cannot be parsed: a ': ' inside unquoted text starts a key; put the text "
                        "after 'label:' in double quotes."):
        load_codebook(path)


def test_a_list_item_with_a_colon_is_told_to_quote_the_whole_item(tmp_path):
    """Review 153: quoting the text after 'Staff said:' made the item a mapping, and the next run failed again."""
    path = write(tmp_path, "name: X\nthemes:\n  - id: trust\n    label: Trust\n    definition: d\n    examples:\n"
                           "      - Staff said: trust: it matters\n")

    with raises_exactly(f"{path}:7: the YAML cannot be parsed: a ': ' inside unquoted text starts a key; put the whole "
                        "item after '- ' in double quotes."):
        load_codebook(path)


def test_a_yaml_error_at_the_files_end_is_one_line(tmp_path):
    """The colon hint read the line of the error's mark, which at the file's end is none (an IndexError)."""
    path = write(tmp_path, "themes: [\n")

    with pytest.raises(CodebookError, match=f"^{re.escape(str(path))}:2: the YAML cannot be parsed"):
        load_codebook(path)


def test_a_key_indented_too_deep_is_not_told_to_quote(tmp_path):
    path = write(tmp_path, "name: X\nthemes:\n  - id: trust\n      label: Trust\n")

    with raises_exactly(f"{path}:4: the YAML cannot be parsed (mapping values are not allowed here). Is this line "
                        "indented deeper than the key above it? Else check quotes."):
        load_codebook(path)


def test_bad_indentation_names_the_line(tmp_path):
    path = write(tmp_path, "name: X\nthemes:\n  - id: trust\n   label: Trust\n")

    with pytest.raises(CodebookError, match=f"^{re.escape(str(path))}:4: the YAML cannot be parsed"):
        load_codebook(path)


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"

    with raises_exactly(f"Codebook not found: {path}. Give the path of a codebook YAML file or the name of a shipped "
                        "one (partnership_models, rfi_themes)."):
        load_codebook(path)


def test_a_folder_is_not_a_codebook(tmp_path):
    with raises_exactly(f"{tmp_path} is a folder, not a codebook. Give the path of a codebook YAML file in it, or "
                        "the name of a shipped one (partnership_models, rfi_themes)."):
        load_codebook(tmp_path)


@pytest.mark.parametrize("text", ["- id: trust\n  label: Trust\n", "", "just a sentence\n"],
                         ids=["list", "empty", "scalar"])
def test_top_level_must_be_a_mapping(tmp_path, text):
    path = write(tmp_path, text)

    with raises_exactly(f"{path}: a codebook is a YAML mapping with 'name' and 'themes'; this file is not."):
        load_codebook(path)


def test_error_is_a_single_line(tmp_path):
    path = write(tmp_path, TWO_THEMES + "    colour: green\n")

    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    assert "\n" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_the_old_unit_key_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text("name: Old\nunit: answer\nthemes:\n  - id: trust\n    label: Trust\n    definition: Trust.\n")
    with pytest.raises(CodebookError, match=r"old.yaml:2: \[unit\] unknown key 'unit': answers are always coded by "
                                            r"segment and an answer carries what its segments carry; remove the key"):
        load_codebook(path)


def test_merged_codebooks_put_themes_first_then_dimensions(real_codebooks):
    from themes.codebook import merge_codebooks

    merged = merge_codebooks([real_codebooks["partnership_models.yaml"], real_codebooks["rfi_themes.yaml"]])
    assert merged.ids[:5] == RFI_IDS and merged.ids[5] == "service_model.referral"
    assert merged.name == "Partnership models framework + RFI partnership themes"


def test_a_codebook_that_is_not_utf8_is_one_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Café codebook\nthemes: []\n".encode("latin-1"))
    with pytest.raises(CodebookError, match=f"^{re.escape(str(path))}: not UTF-8 text \\(byte 0xe9 at position 9\\)\\. "
                                            "Save the codebook as UTF-8 and run again\\.$"):
        load_codebook(path)


@pytest.mark.parametrize("command", [["sample", "RUN", "-n", "5"], ["discover", "RUN"]])
def test_a_negative_seed_is_refused_before_anything_runs(tmp_path, command):
    from typer.testing import CliRunner

    from themes.cli import app

    result = CliRunner().invoke(app, [str(tmp_path) if a == "RUN" else a for a in command] + ["--seed", "-1"])
    assert result.exit_code == 2 and "Invalid value for '--seed'" in result.output


def test_a_types_threshold_is_named_at_its_own_line(tmp_path):
    """A researcher's review: it was named at the dimension's `types:` line, 30 lines above it."""
    path = write(tmp_path, "name: X\ndimensions:\n  - id: service\n    label: Service\n    types:\n"
                           "      - id: referral\n        label: Referral\n        definition: We refer.\n"
                           "      - id: joint\n        label: Joint\n        definition: We work side by side.\n"
                           "        threshold: 0.5\n")
    with raises_exactly(f"{path}:12: [dimensions -> 0 -> types] type 'joint' has a threshold, but one type of a "
                        "dimension is chosen by the dimension's own 'threshold'; move it to dimension 'service'"):
        load_codebook(path)


def test_two_dimensions_of_one_id_are_refused(tmp_path):
    """A second review: two dimensions of one id passed validate-codebook, their types' columns one."""
    kinds = ("    types:\n      - id: a{n}\n        label: A{n}\n        definition: a.\n"
             "      - id: b{n}\n        label: B{n}\n        definition: b.\n")
    path = write(tmp_path, "name: X\ndimensions:\n  - id: service\n    label: Service\n" + kinds.format(n=1)
                 + "  - id: service\n    label: Service again\n" + kinds.format(n=2))
    with raises_exactly(f"{path}:12: [top level] dimension id 'service' is used twice; give each dimension its own "
                        "id"):
        load_codebook(path)


@pytest.mark.parametrize("name, content, what, target", [
    ("my.qdc", '<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0">\n  <Codes>\n'
     '    <Code guid="1" name="Trust" isCodable="true"/>\n  </Codes>\n</CodeBook>\n', "a REFI-QDA codebook (XML)",
     "my.yaml"),
    ("exported.yaml", '<?xml version="1.0"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>\n',
     "a REFI-QDA codebook (XML)", "exported_imported.yaml"),
    ("project.qdpx", b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xff\xfe", "a REFI-QDA project", "project.yaml"),
])
def test_a_qda_export_given_as_the_codebook_says_to_import_it(tmp_path, name, content, what, target):
    """Review 155: a .qdc passed to validate-codebook or run read as YAML: 'mapping values are not allowed here'."""
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(CodebookError, match=re.escape(
            f"{path} is {what}, not a YAML codebook: import it first with `themes import-codebook {path} --out "
            f"{tmp_path / target}`, then pass the .yaml.")):
        load_codebook(path)


@pytest.mark.parametrize(("written", "read"), [("0.10", "0.10"), ("2", "2"), ("1.0", "1.0"), ("'0.10'", "0.10"),
                                               ("2026-01", "2026-01")])
def test_a_version_is_read_as_written(tmp_path, written, read):
    """A review: "version: 0.10" was read by YAML as the number 0.1, and the codebook said version 0.1."""
    path = tmp_path / "book.yaml"
    path.write_text(f"name: Book\nversion: {written}\nthemes:\n  - id: trust\n    label: Trust\n"
                    "    definition: Trust between partners.\n", encoding="utf-8")
    assert load_codebook(path).version == read


def test_a_repeated_id_or_label_is_said_with_the_other_problems(tmp_path):
    """A review: validate-codebook said a label given twice only once every other problem was fixed (the
    codebook-wide checks run on valid fields alone)."""
    path = tmp_path / "book.yaml"
    path.write_text("name: Book\nthemes:\n  - id: trust\n    label: Trust\n    definition: Trust.\n"
                    "  - id: money\n    label: trust\n    definition: Money.\n  - id: trust\n    label: Other\n"
                    "dimensions:\n  - id: gov\n    label: Governance\n    types:\n      - id: formal\n"
                    "        label: Formal\n        definition: A written agreement.\n      - id: formal\n"
                    "        label: Formal\n", encoding="utf-8")
    with pytest.raises(CodebookError) as raised:
        load_codebook(path)
    problems = [problem.split("] ", 1)[1] for problem in raised.value.problems]
    assert problems == ["field 'definition' is required", "field 'definition' is required",
                        "'trust' and 'money' have the same label ('trust'); a report could not tell them apart: give "
                        "each its own", "theme id 'trust' is used twice; give each theme its own id",
                        "type id 'gov.formal' is used twice; give each type its own id"]


@pytest.mark.parametrize("text, said", [
    ("name: x\nthemes: 5\n", ":2: [themes] expected a list (items on lines starting with '- '), found '5'"),
    ("name: x\nthemes: []\ndimensions: 3\n", ":3: [dimensions] expected a list"),
    ("name: x\nthemes: []\ndimensions:\n  - id: d\n    label: D\n    types: 3\n", ":6: [dimensions -> 0 -> types] expected"),
])
def test_a_list_written_as_a_number_is_one_line_not_a_type_error(tmp_path, text, said):
    """Review 164: `themes: 5` was 'unexpected TypeError: 'int' object is not iterable' in validate-codebook (and in
    import-codebook, which reads the codebooks at hand)."""
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError) as error:
        load_codebook(path)
    assert said in str(error.value)

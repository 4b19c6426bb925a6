"""REFI-QDA in and out: codebooks (.qdc) and coded projects (.qdpx), validated against the standard's XSDs."""

from __future__ import annotations

import os
import json
import re
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
import yaml
from run_files import write_run_folder
from typer.testing import CliRunner

from themes.cli import app
from themes.codebook import load_codebook
from themes.errors import CodebookError, GoldError, ThemesError
from themes.evaluate import NO_QUESTION, gold_announcement, read_gold
from themes.refi import CODEBOOK_NS, PROJECT_NS
from themes.research import export_codebook, export_project, import_codebook

ROOT = Path(__file__).resolve().parents[1]
CODEBOOKS = ROOT / "codebooks"


def _schema_folder() -> Path | None:
    """shared/refi-qda beside the clone (CI and worktrees), or where THEMES_REFI_SCHEMAS points."""
    candidates = [Path(os.environ["THEMES_REFI_SCHEMAS"])] if os.environ.get("THEMES_REFI_SCHEMAS") else []
    candidates += [ROOT.parent / "shared" / "refi-qda", ROOT / "shared" / "refi-qda"]
    return next((folder for folder in candidates if (folder / "Project.xsd").is_file()), None)


@pytest.fixture(scope="module")
def schemas():
    folder = _schema_folder()
    if folder is None:
        pytest.skip("the REFI-QDA schemas (shared/refi-qda/Codebook.xsd, Project.xsd) are not beside the clone")
    from lxml import etree

    return {name: etree.XMLSchema(etree.parse(str(folder / f"{name}.xsd"))) for name in ("Codebook", "Project")}


def assert_valid(schemas, name: str, data: bytes) -> None:
    from lxml import etree

    schemas[name].assertValid(etree.fromstring(data))


# Codebooks -------------------------------------------------------------------------------------------

def test_an_example_in_two_paragraphs_comes_back_whole(tmp_path, tiny_codebook_path):
    """Its blank line ended the Examples block: it and the examples after it went into the definition, and the
    content hash (and with it the calibration) changed."""
    data = yaml.safe_load(tiny_codebook_path.read_text(encoding="utf-8"))
    data["themes"][0]["examples"].insert(0, "An answer in two paragraphs.\n\nThe second paragraph here.")
    source = tmp_path / "book.yaml"
    source.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    back_path, _ = import_codebook(export_codebook(source, tmp_path / "book.qdc"), tmp_path / "back.yaml")
    assert load_codebook(back_path).content_hash() == load_codebook(source).content_hash()


def test_a_description_whose_bullets_a_qda_tool_changed_keeps_every_item():
    """A tool or a rich-text paste turns "- " into "• ": every line of the list was dropped, without a word."""
    from themes.refi import parse_description

    text = ("Relationships between partners.\n\nExamples:\n• We trust them.\n• Ten years of work\n  together.\n\n"
            "Counter-examples:\nResidents trust the church.\n1. The clinic distrusts us? No.")
    assert parse_description(text) == {"definition": "Relationships between partners.",
                                       "examples": ["We trust them.", "Ten years of work\ntogether."],
                                       "counter_examples": ["Residents trust the church.", "The clinic distrusts us? No."]}


def test_a_dimensions_types_keep_their_order_when_a_tool_sorts_codes_by_name(tmp_path):
    """The order of a dimension's types (least to most integrated) rode only in the order of the codes: a tool that
    lists codes by name made 'reporting_only' the most integrated type of data, with no word, and the content hash
    changed. The dimension's description now names the order."""
    qdc = export_codebook(CODEBOOKS / "partnership_models.yaml", tmp_path / "book.qdc").read_text(encoding="utf-8")
    assert "Types, least to most integrated: reporting_only, partial_access, full_access" in qdc
    root = ET.fromstring(qdc.encode())
    for parent in root.iter(f"{{{CODEBOOK_NS}}}Code"):
        children = parent.findall(f"{{{CODEBOOK_NS}}}Code")
        for child in children:
            parent.remove(child)
        parent.extend(sorted(children, key=lambda code: code.get("name")))
    (tmp_path / "sorted.qdc").write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
    back, notes = import_codebook(tmp_path / "sorted.qdc", tmp_path / "back.yaml")
    original = load_codebook(CODEBOOKS / "partnership_models.yaml")
    assert notes == [] and load_codebook(back).content_hash() == original.content_hash()
    data = load_codebook(back).dimensions[2]
    assert [k.id for k in data.types] == ["reporting_only", "partial_access", "full_access"]


def test_code_colours_survive_the_round_trip_and_change_no_hash(tmp_path, schemas):
    """NVivo -> themes -> NVivo lost every code's colour: import dropped the attribute and export never wrote one.
    A colour is a code's mark in the QDA tool, not what it means: the content hash (and the calibration) hold."""
    qdc = export_codebook(CODEBOOKS / "partnership_models.yaml", tmp_path / "book.qdc").read_text(encoding="utf-8")
    coloured = re.sub(r'(<Code guid="[^"]+" name="(?:Service model|Referral|Informal)")', r'\1 color="#C0504D"', qdc)
    coloured = coloured.replace('name="Full access" isCodable', 'name="Full access" color="not a colour" isCodable')
    assert coloured.count('color="#C0504D"') == 3 and "not a colour" in coloured  # a tool's bad colour: dropped
    coloured = coloured.replace('name="Coordinated" isCodable', 'name="Coordinated" color="c0504d" isCodable')
    (tmp_path / "coloured.qdc").write_text(coloured, encoding="utf-8")
    back, notes = import_codebook(tmp_path / "coloured.qdc", tmp_path / "back.yaml")
    book = load_codebook(back)
    marked = [c.id for c in book.categories if c.theme.color] + [d.id for d in book.dimensions if d.color]
    assert marked == ["service_model.referral", "service_model.coordinated", "governance.informal", "service_model"]
    assert notes == ["'Full access': its colour 'not a colour' is not '#RRGGBB': left out (set one in the YAML's color "
                     "field)"]  # and "c0504d", the '#' left out, is read
    assert book.content_hash() == load_codebook(CODEBOOKS / "partnership_models.yaml").content_hash()
    again = export_codebook(back, tmp_path / "again.qdc").read_bytes()
    assert_valid(schemas, "Codebook", again)
    assert again.count(b'color="#C0504D"') == coloured.count('color="#C0504D"')
    assert again.count(b'color="#c0504d"') == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text(back.read_text(encoding="utf-8").replace("'#C0504D'", "red", 1), encoding="utf-8")
    with pytest.raises(CodebookError, match=r"the color 'red' is not one: write it as a QDA tool does, #RRGGBB"):
        load_codebook(bad)


def test_a_tools_own_code_sets_are_said_not_dropped(tmp_path):
    """An NVivo set ('Round 1 codes') or an ATLAS.ti code group vanished on import without a word."""
    source = tmp_path / "sets.qdc"
    source.write_text(FOREIGN_QDC.replace(" </Codes>\n", ' </Codes>\n <Sets><Set guid="44444444-4444-4444-8444-'
                                          '444444444444" name="Round 1 codes"><MemberCode guid="{11111111-1111-4111-'
                                          '8111-111111111111}"/></Set></Sets>\n'), encoding="utf-8")
    _, notes = import_codebook(source)
    assert notes[-2:] == ["Not read, as a codebook YAML has no place for them: code set 'Round 1 codes'",
                          "named 'sets' after the file, version '1': sets.qdc names no codebook (QualCoder, for one, "
                          "keeps no code sets); set 'name' and 'version' in the YAML"]
    # A codebook themes wrote carries its own set: that one is read, and nothing is said.
    _, notes = import_codebook(export_codebook(CODEBOOKS / "rfi_themes.yaml", tmp_path / "ours.qdc"))
    assert notes == []


def test_codes_whose_descriptions_a_tool_lost_get_their_ids_back_by_guid(tmp_path, monkeypatch):
    """Review 160: ATLAS.ti lost the descriptions (and with them the 'themes id:' lines) of an exported codebook, and
    import gave each code an id from its name ('trust_and_relationships', 'data_collection_and_sharing'), which no
    calibration, coded file or earlier run knows, unsaid. With the codebook at hand (./codebooks) the GUIDs
    export-codebook gave them bring the ids back; without it, that the ids were made from names is said."""
    import re
    import shutil

    from themes.codebook import load_codebook

    qdc = export_codebook(CODEBOOKS / "rfi_themes.yaml", tmp_path / "ours.qdc").read_text(encoding="utf-8")
    lost = re.sub(r'(<Code guid="[^"]+" name="[^"]+" isCodable="true">)\s*<Description>.*?</Description>', r"\1", qdc,
                  flags=re.S)
    assert lost.count("<Description>") == qdc.count("<Description>") - 5
    (tmp_path / "atlas.qdc").write_text(lost, encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    back, notes = import_codebook(tmp_path / "atlas.qdc", tmp_path / "bare.yaml")
    assert "trust_and_relationships" in back.read_text(encoding="utf-8")
    assert any(note.startswith("'Trust and relationships', 'Cultural differences between partners', 'Community "
                               "engagement', 'Resource needs', 'Data collection and sharing' came without their "
                               "descriptions (lost in the tool?), and with them the 'themes id:' lines: their ids in "
                               "the YAML are made from the names.") for note in notes)

    (tmp_path / "codebooks").mkdir()
    shutil.copy(CODEBOOKS / "rfi_themes.yaml", tmp_path / "codebooks" / "rfi_themes.yaml")
    (tmp_path / "codebooks" / "draft.yaml").write_text("themes: [\n", encoding="utf-8")  # passed over
    (tmp_path / "codebooks" / "half.yaml").write_text("name: x\nthemes: 5\n", encoding="utf-8")  # a TypeError: too
    # ... and an earlier import at the target, loadable, whose GUIDs carry the ids made from names (review 164)
    stale = tmp_path / "back.yaml"
    stale.write_text(re.sub(r"definition: .*", "definition: Written since.", (tmp_path / "bare.yaml").read_text(
        encoding="utf-8")), encoding="utf-8")
    assert load_codebook(stale).themes[0].id == "trust_and_relationships"
    back, notes = import_codebook(tmp_path / "atlas.qdc", stale, force=True)
    text = back.read_text(encoding="utf-8")
    assert [line for line in text.splitlines() if line.startswith("- id: ")] == [
        f"- id: {theme.id}" for theme in load_codebook(CODEBOOKS / "rfi_themes.yaml").themes]
    assert ("5 codes came without the 'themes id:' line of their descriptions (lost in the tool?): by the GUIDs "
            "export-codebook gave them, read as the codes of codebooks/rfi_themes.yaml ('Trust and relationships' as "
            "trust, 'Cultural differences between partners' as cultural_differences, 'Community engagement' as "
            "community_engagement, 'Resource needs' as resource_needs, 'Data collection and sharing' as "
            "data_challenges); copy a definition from there where one is missing") in notes
    # A type of the framework, its dimension's description kept: its id back as a type's
    qdc = export_codebook(CODEBOOKS / "partnership_models.yaml", tmp_path / "pm.qdc").read_text(encoding="utf-8")
    shutil.copy(CODEBOOKS / "partnership_models.yaml", tmp_path / "codebooks" / "partnership_models.yaml")
    referral = re.search(r'<Code guid="[^"]+" name="Referral[^"]*" isCodable="true">\s*<Description>.*?</Description>',
                         qdc, flags=re.S).group()
    (tmp_path / "pm_lost.qdc").write_text(qdc.replace(referral, referral[:referral.index("<Description>")]),
                                          encoding="utf-8")
    back, notes = import_codebook(tmp_path / "pm_lost.qdc", tmp_path / "pm.yaml")
    assert load_codebook(CODEBOOKS / "partnership_models.yaml").dimensions[0].types[0].id in \
        [kind.id for kind in load_codebook_types(back)]
    assert any("read as the codes of codebooks/partnership_models.yaml ('Referral" in note for note in notes)


def load_codebook_types(path):
    """The types of every dimension of the YAML at `path`, read as data (an import with a placeholder definition does
    not load as a codebook)."""
    import yaml
    from types import SimpleNamespace

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [SimpleNamespace(**kind) for dimension in data["dimensions"] for kind in dimension["types"]]


def test_heading_like_lines_inside_a_codebooks_text_survive_the_round_trip(tmp_path, tiny_codebook_path):
    """A second review: once headings were read wherever they stood, an example holding a line "Counter examples:"
    turned it and the examples after it into counter-examples, "Examples:" inside an example dropped the examples
    before it, and "Threshold: 0.4" opening a definition's paragraph set a threshold. A description themes wrote is
    read as written; the content hash holds."""
    data = yaml.safe_load(tiny_codebook_path.read_text(encoding="utf-8"))
    theme = data["themes"][0]
    theme["definition"] = "Passages about help.\nExamples:\nwhat we saw\n\nThreshold: 0.4\nis the team's bar"
    theme["examples"] = ["What worked, in the director's words.\nCounter examples:\nnone come to mind",
                         "We list:\nExamples:\n- shared intake\n- data agreements", "A\n\nThreshold: 0.4\n\nB",
                         "C\n\nthemes id: zz\n\nD", *theme["examples"]]
    data["dimensions"][0]["description"] = "How they work.\n\nTypes, least to most integrated: joint, referral"
    source = tmp_path / "book.yaml"
    source.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    back, _ = import_codebook(export_codebook(source, tmp_path / "book.qdc"), tmp_path / "back.yaml")
    assert load_codebook(back).content_hash() == load_codebook(source).content_hash()


def test_a_memos_headings_are_read_without_a_blank_line_before_them_in_any_case():
    """MAXQDA's memo "Include: ... Exclude: ..." with no blank line between: the exclusions were read as one more
    inclusion, and inclusions train as positives, so "funding sources with no gap" taught the opposite of what it
    says. "Example:", "INCLUDE:" and "Counter examples :" stayed in the definition."""
    from themes.refi import parse_description

    text = ("Definition: the partnership lacks money or staff.\nINCLUDE:\n- staff shortages\n- short-term grants\n"
            "Exclude:\n- funding sources with no gap\nExample:\n- We can take 30 clients a month.\n"
            "Counter examples :\n- A flat annual grant.\n\nExclude: IT budgets go under another code.")
    assert parse_description(text) == {
        "definition": "Definition: the partnership lacks money or staff.\n\nExclude: IT budgets go under another code.",
        "include": ["staff shortages", "short-term grants"], "exclude": ["funding sources with no gap"],
        "examples": ["We can take 30 clients a month."], "counter_examples": ["A flat annual grant."]}


def test_a_memos_heading_with_its_item_on_its_line_under_a_list_and_quoted_examples_apart():
    """A review of NVivo-style memos (2026-11-30): "Exclude: trust in government agencies" right under the include
    list became part of its last inclusion (an exclusion taught as a positive), and quoted examples set apart by blank
    lines with no marks fell into the definition but the first."""
    from themes.refi import parse_description

    text = "Confidence.\nInclude:\n- a trusted contact\n- repeat referrals\nExclude: trust in government agencies"
    assert parse_description(text) == {"definition": "Confidence.",
                                       "include": ["a trusted contact", "repeat referrals"],
                                       "exclude": ["trust in government agencies"]}
    text = 'Confidence.\n\nExamples:\n"We call Maria."\n\n"They never call back."\n\n\u201cThey show up.\u201d'
    assert parse_description(text) == {"definition": "Confidence.", "examples": [
        "We call Maria.", "They never call back.", "They show up."]}  # the words, not the memo's quote marks
    # Elsewhere a heading with text after its colon is prose, as before; so is a paragraph after a section that no
    # quote opens.
    assert parse_description("Exclude: IT budgets go under another code.")["definition"].startswith("Exclude: IT")
    text = "Confidence.\n\nExamples:\n\"We call Maria.\"\n\nSee also the data theme."
    assert parse_description(text) == {"definition": "Confidence.\n\nSee also the data theme.",
                                       "examples": ["We call Maria."]}
    # A second review's: a quoted paragraph after marked examples is the definition's; "Example: ..." under an
    # inclusion is that inclusion's, and the inclusions after it stay inclusions.
    text = 'Confidence.\n\nExamples:\n- We call Maria.\n\n"Trust" here also covers the organisation.'
    assert parse_description(text) == {"definition": 'Confidence.\n\n"Trust" here also covers the organisation.',
                                       "examples": ["We call Maria."]}
    text = "Confidence.\nInclude:\n- a trusted contact\nExample: a nurse who knows us.\n- repeat referrals"
    assert parse_description(text) == {"definition": "Confidence.", "include": [
        "a trusted contact\nExample: a nurse who knows us.", "repeat referrals"]}
    # ... and under an inclusion of two lines, indented or not, the exclusion opens its section as under one
    # (it joined the inclusion); a blank line between them leaves it prose, as before.
    for more in ("\n  with us", "\nwith us"):
        text = f"Confidence.\nInclude:\n- a trusted contact{more}\nExclude: trust in government agencies\n- vendors"
        assert parse_description(text) == {"definition": "Confidence.", "include": ["a trusted contact\nwith us"],
                                           "exclude": ["trust in government agencies", "vendors"]}
    text = "Confidence.\nInclude:\n- a trusted contact\n\nExclude: IT budgets go under another code."
    assert parse_description(text)["definition"] == "Confidence.\n\nExclude: IT budgets go under another code."


def test_a_memos_quoted_examples_are_read_as_their_words():
    """Review 160: an NVivo memo's examples in quote marks kept them in the codebook ('"We trust the hospital."'), and
    two quotes on one line were one example. A quote inside an example, or an example's own words around a quote,
    stay as written; a description themes wrote is read as written."""
    from themes.refi import parse_description

    text = 'Trust.\n\nExamples:\n- "We trust the hospital."\n- \u201cOur VP calls back.\u201d\n- He said "trust" matters.'
    assert parse_description(text)["examples"] == ["We trust the hospital.", "Our VP calls back.",
                                                   'He said "trust" matters.']
    text = "Trust.\nExamples: \u201cWe trust the hospital.\u201d; \u201cOur VP calls back.\u201d"
    assert parse_description(text)["examples"] == ["We trust the hospital.", "Our VP calls back."]
    assert parse_description('Trust.\nExamples:\n- "A" and "B" differ.')["examples"] == ['"A" and "B" differ.']
    assert parse_description('Trust.\n\nCounter-examples:\n- "We trust the county."')["counter_examples"] == [
        "We trust the county."]
    ours = 'Trust.\n\nExamples:\n- "We trust the hospital."\n\nthemes id: trust'
    assert parse_description(ours)["examples"] == ['"We trust the hospital."']


def test_a_memos_example_on_its_own_line_is_an_example():
    """A researcher's memo "Example: ..." below the definition stayed in the definition (review 145), so the theme
    was embedded with it and trained without it. Under a list's item it is still that item's."""
    from themes.refi import parse_description

    assert parse_description('Trust between partners.\nExample: "We trust the hospital."') == {
        "definition": "Trust between partners.", "examples": ["We trust the hospital."]}
    text = "Trust between partners.\n\nExample: We trust the hospital.\nEXAMPLES : They call back.\n\nSee also data."
    assert parse_description(text) == {"definition": "Trust between partners.\n\nSee also data.",
                                       "examples": ["We trust the hospital.", "They call back."]}
    assert "examples" not in parse_description("Confidence.\nInclude:\n- a contact\nExample: a nurse who knows us.")
    # Review 153: what follows the example's line is no more of it ("Exclude: ..." was trained as a positive example)
    assert parse_description("Trust between partners.\nExample: We trust the hospital.\nExclude: trust in government "
                             "agencies.\nThis code also covers distrust.") == {
        "definition": "Trust between partners.\nExclude: trust in government agencies.\nThis code also covers "
                      "distrust.",
        "examples": ["We trust the hospital."]}
    # ... but list items under it are more examples (review 154)
    assert parse_description("Trust.\nExample: We trust the hospital.\n- They call back.")["examples"] == [
        "We trust the hospital.", "They call back."]
    # a description themes wrote is read as written
    assert parse_description("Confidence.\nExample: a nurse.\n\nthemes id: trust")["definition"] == \
        "Confidence.\nExample: a nurse."


GROUPED_QDC = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="QualCoder 3.6"><Codes>
 <Code guid="44444444-4444-4444-8444-444444444444" name="Relationships" isCodable="false">
  <Code guid="44444444-4444-4444-8444-444444444445" name="Trust" isCodable="True"><Description>Trust.</Description>
  </Code>
  <Code guid="g1" name="Conflict" isCodable="true"><Description>Conflict.</Description></Code>
  <Code guid="44444444-4444-4444-8444-444444444446" name="Sub-category" isCodable="false">
   <Description>A folder.</Description>
   <Code guid="44444444-4444-4444-8444-444444444447" name="Mistrust" isCodable="true"><Description>No.</Description>
   </Code>
  </Code>
 </Code>
 <Code guid="55555555-5555-4555-8555-555555555555" name="Barriers" isCodable="true"><Description>Barriers.</Description>
  <Code guid="44444444-4444-4444-8444-444444444445" name="Cost" isCodable="1"><Description>Money.</Description></Code>
  <Code guid="55555555-5555-4555-8555-555555555557" name="Empty sub" isCodable="false"/>
 </Code>
</Codes></CodeBook>
"""


def test_grouping_codes_odd_codables_and_bad_guids_from_another_tool_are_read_or_said(tmp_path):
    """The same review: isCodable="True" (Python-written files) dropped a codable code as an empty grouping code; a
    guid that is no GUID, or one two codes share, made a YAML that validate-codebook refused, unsaid; a grouping code
    between two levels vanished unnamed; an empty grouping code under a codable code became a theme."""
    (tmp_path / "grouped.qdc").write_text(GROUPED_QDC, encoding="utf-8")
    back, notes = import_codebook(tmp_path / "grouped.qdc", tmp_path / "grouped.yaml")
    book = load_codebook(back)  # validates: the GUIDs it keeps are GUIDs, each once
    # a tool's folder of codes holds themes, not a dimension's exclusive types
    assert not book.dimensions
    assert [t.id for t in book.themes] == ["trust", "conflict", "mistrust", "barriers", "cost"]  # not "empty_sub"
    said = "\n".join(notes)
    assert "'Conflict': its guid 'g1' is not a GUID: left out" in said
    assert "'Cost': its guid '44444444-4444-4444-8444-444444444445' is another code's too: left out" in said
    assert "'Relationships': grouping code 'Sub-category' under it left out, with its description" in said
    assert "'Barriers': grouping code 'Empty sub' under it left out" in said
    assert book.themes[1].guid is None and book.themes[4].guid is None


def test_a_dimension_themes_wrote_comes_back_whole_when_a_tool_made_every_code_codable(tmp_path):
    """NVivo makes every node codable: the framework came back as 15 themes and five themes over them, its content
    hash changed, and its calibration no longer fitted. Its dimensions' descriptions name their types' order, as
    themes wrote them."""
    qdc = export_codebook(CODEBOOKS / "partnership_models.yaml", tmp_path / "book.qdc").read_text(encoding="utf-8")
    assert 'isCodable="false"' in qdc
    (tmp_path / "codable.qdc").write_text(qdc.replace('isCodable="false"', 'isCodable="true"'), encoding="utf-8")
    back, notes = import_codebook(tmp_path / "codable.qdc", tmp_path / "back.yaml")
    assert notes == []
    assert load_codebook(back).content_hash() == load_codebook(CODEBOOKS / "partnership_models.yaml").content_hash()


def test_what_a_second_review_found_in_the_import_notes(tmp_path):
    """A category of grouping codes alone is said to be left out (it read "its 0 nested code(s) became themes");
    "the codes in them are read" only where there are some; a guid or colour holding a line break is said on one line;
    "abc", a short colour with no '#', is read; a dimension keeps the guid it shares with one of its types."""
    qdc = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
 <Code guid="66666666-6666-4666-8666-666666666666" name="Folders" isCodable="false">
  <Code guid="66666666-6666-4666-8666-666666666667" name="Later" isCodable="false"/>
 </Code>
 <Code guid="77777777-7777-4777-8777-777777777777" name="Dim" isCodable="false"><Description>Dim.

Types, least to most integrated: one, two

themes id: dim</Description>
  <Code guid="77777777-7777-4777-8777-777777777777" name="One" isCodable="true"><Description>1.</Description></Code>
  <Code guid="77777777-7777-4777-8777-777777777778" name="Two" isCodable="true"><Description>2.</Description></Code>
 </Code>
 <Code guid="g&#10;1" name="Odd" color="red&#10;blue" isCodable="true"><Description>Odd.</Description></Code>
 <Code guid="88888888-8888-4888-8888-888888888888" name="Short" color="abc" isCodable="true">
  <Description>S.</Description>
 </Code>
</Codes></CodeBook>
"""
    (tmp_path / "notes.qdc").write_text(qdc, encoding="utf-8")
    back, notes = import_codebook(tmp_path / "notes.qdc", tmp_path / "notes.yaml")
    book = load_codebook(back)
    assert "'Folders' holds grouping codes with no codable code in them: left out" in notes
    assert ("'Odd': its guid 'g 1' is not a GUID: left out (export-codebook derives one from the codebook's name and "
            "its id)") in notes
    assert "'Odd': its colour 'red blue' is not '#RRGGBB': left out (set one in the YAML's color field)" in notes
    dimension = book.dimensions[0]
    assert dimension.guid == "77777777-7777-4777-8777-777777777777" and dimension.types[0].guid is None
    assert [t.color for t in book.themes] == [None, "#abc"]
    assert not any("are read" in note for note in notes)


def test_a_tools_folder_of_codes_becomes_themes_not_a_dimension(tmp_path):
    """A researcher's review: QualCoder's folder "Barriers" (isCodable="false") over "Grants end", "Reimbursement"
    and "Jargon" became a dimension, so a passage carried one of them at a time and a respondent naming grants and
    jargon was counted under jargon alone; only a to-do line said so."""
    qdc = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="QualCoder 3.6"><Codes>
 <Code guid="99999999-9999-4999-8999-999999999999" name="Barriers" isCodable="false">
  <Code guid="99999999-9999-4999-8999-99999999999a" name="Grants end" isCodable="true"><Description>G.</Description>
  </Code>
  <Code guid="99999999-9999-4999-8999-99999999999b" name="Reimbursement" isCodable="true">
   <Description>R.</Description>
  </Code>
  <Code guid="99999999-9999-4999-8999-99999999999c" name="Jargon" isCodable="true"><Description>J.</Description>
  </Code>
 </Code>
</Codes></CodeBook>
"""
    (tmp_path / "nested.qdc").write_text(qdc, encoding="utf-8")
    back, notes = import_codebook(tmp_path / "nested.qdc", tmp_path / "nested.yaml")
    book = load_codebook(back)
    assert [t.id for t in book.themes] == ["grants_end", "reimbursement", "jargon"] and not book.dimensions
    assert notes == ["'Barriers': a grouping code of 3 codes, which became themes of their own (a passage may carry "
                     "several); if they exclude each other, as a framework's types do, make them a dimension in the "
                     "YAML (dimensions: id, label, types least to most integrated)",
                     "named 'nested' after the file, version '1': nested.qdc names no codebook (QualCoder, for one, "
                     "keeps no code sets); set 'name' and 'version' in the YAML"]


def test_themes_codes_that_lost_their_code_set_on_the_way_are_said(tmp_path):
    """QualCoder neither reads nor writes code sets: a codebook taken through it came back without its name, version,
    description and examples of no theme (160 for the shipped one), with exit 0 and no word."""
    qdc = export_codebook(CODEBOOKS / "rfi_themes.yaml", tmp_path / "book.qdc")
    text = re.sub(r"<Sets>.*</Sets>", "", qdc.read_text(encoding="utf-8"), flags=re.S)
    assert "<Set " not in text
    (tmp_path / "no_sets.qdc").write_text(text, encoding="utf-8")
    back, notes = import_codebook(tmp_path / "no_sets.qdc", tmp_path / "back.yaml")
    said = next(note for note in notes if "lost the code set that carries the codebook's name, version, description "
                "and examples of no theme" in note)
    assert "copy those from the original YAML (until then" in said
    assert load_codebook(back).ids == load_codebook(CODEBOOKS / "rfi_themes.yaml").ids
    # Both shipped codebooks' codes in one file, its sets gone: each codebook's YAML holds what was lost
    framework = export_codebook(CODEBOOKS / "partnership_models.yaml", tmp_path / "framework.qdc")
    codes = re.search(r"<Codes>(.*)</Codes>", framework.read_text(encoding="utf-8"), flags=re.S).group(1)
    (tmp_path / "both.qdc").write_text(text.replace("</Codes>", codes + "</Codes>"), encoding="utf-8")
    _, notes = import_codebook(tmp_path / "both.qdc", tmp_path / "both.yaml")
    assert any("copy those from the original YAML (each codebook's, if the file held a codebook of themes and a "
               "framework) (until then" in note for note in notes)


@pytest.mark.parametrize("name", ["rfi_themes.yaml", "partnership_models.yaml"])
def test_a_qdc_whose_descriptions_a_tool_wrote_with_windows_line_breaks_imports_unchanged(tmp_path, name):
    """Line breaks written as "&#13;&#10;" (a .NET or lxml writer re-saving the file) folded every example and note
    into the definition and lost the 'themes id:' line: new ids, no examples, a new content hash, and the
    calibration no longer fitted; the import said nothing."""
    qdc = export_codebook(CODEBOOKS / name, tmp_path / "book.qdc")
    crlf = qdc.read_text(encoding="utf-8")
    crlf = re.sub(r"(<Description>)(.*?)(</Description>)",
                  lambda m: m.group(1) + m.group(2).replace("\n", "&#13;&#10;") + m.group(3), crlf, flags=re.S)
    assert "&#13;&#10;" in crlf
    (tmp_path / "crlf.qdc").write_text(crlf, encoding="utf-8")
    back_path, notes = import_codebook(tmp_path / "crlf.qdc", tmp_path / "back.yaml")
    assert notes == [] and load_codebook(back_path).content_hash() == load_codebook(CODEBOOKS / name).content_hash()


@pytest.mark.parametrize("name", ["rfi_themes.yaml", "partnership_models.yaml"])
def test_yaml_to_qdc_to_yaml_keeps_ids_labels_definitions_and_guids(tmp_path, schemas, name):
    original = load_codebook(CODEBOOKS / name)

    qdc = export_codebook(CODEBOOKS / name, tmp_path / "book.qdc")
    assert_valid(schemas, "Codebook", qdc.read_bytes())
    back_path, notes = import_codebook(qdc, tmp_path / "back.yaml")
    back = load_codebook(back_path)

    assert notes == []
    # The whole codebook comes back (its name, version, description and passages with no theme ride in a
    # code set): the same content hash, so its calibration still fits it.
    assert back.content_hash() == original.content_hash()
    assert (back.name, back.version, back.none_examples) == (original.name, original.version, original.none_examples)
    assert back.ids == original.ids
    assert [c.label for c in back.categories] == [c.label for c in original.categories]
    for mine, theirs in zip(back.categories, original.categories):
        assert mine.theme.model_dump(exclude={"guid"}) == theirs.theme.model_dump(exclude={"guid"})
    assert [(d.id, d.label, d.description) for d in back.dimensions] == \
        [(d.id, d.label, d.description) for d in original.dimensions]
    # The GUIDs are now in the YAML: exporting again gives the same codes, byte for byte.
    assert all(c.theme.guid for c in back.categories)
    assert export_codebook(back_path, tmp_path / "again.qdc").read_bytes() == qdc.read_bytes()


FOREIGN_QDC = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="Some QDA tool 14">
 <Codes>
  <Code guid="{11111111-1111-4111-8111-111111111111}" name="Transportation" isCodable="true">
   <Description>Getting to appointments: rides, buses, distance.</Description>
  </Code>
  <Code guid="22222222-2222-4222-8222-222222222222" name="Service model" isCodable="false">
   <Code guid="22222222-2222-4222-8222-222222222223" name="Referral" isCodable="true"/>
   <Code guid="22222222-2222-4222-8222-222222222224" name="Joint services" isCodable="true">
    <Description>Co-located or jointly staffed.</Description>
   </Code>
  </Code>
  <Code guid="33333333-3333-4333-8333-333333333333" name="Barriers" isCodable="true">
   <Description>Anything in the way.</Description>
   <Code guid="33333333-3333-4333-8333-333333333334" name="Cost" isCodable="true">
    <Description>Money.</Description>
   </Code>
  </Code>
 </Codes>
</CodeBook>
"""


def test_a_qdc_from_another_tool_imports_with_placeholders_where_descriptions_are_missing(tmp_path, schemas):
    source = tmp_path / "their_codes.qdc"
    source.write_text(FOREIGN_QDC, encoding="utf-8")
    assert_valid(schemas, "Codebook", source.read_bytes())

    path, notes = import_codebook(source)

    assert path == tmp_path / "their_codes.yaml"
    assert notes == ["'Service model': a grouping code of 2 codes, which became themes of their own (a passage may "
                     "carry several); if they exclude each other, as a framework's types do, make them a dimension in "
                     "the YAML (dimensions: id, label, types least to most integrated)",
                     "'Referral' has no description: write its definition",
                     "'Barriers': its 1 nested code(s) became themes of their own",
                     "named 'their_codes' after the file, version '1': their_codes.qdc names no codebook (QualCoder, "
                     "for one, keeps no code sets); set 'name' and 'version' in the YAML"]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["name"] == "their_codes"
    assert [(t["id"], t["label"], t["guid"]) for t in data["themes"]] == [
        ("transportation", "Transportation", "{11111111-1111-4111-8111-111111111111}"),
        ("referral", "Referral", "22222222-2222-4222-8222-222222222223"),
        ("joint_services", "Joint services", "22222222-2222-4222-8222-222222222224"),
        ("barriers", "Barriers", "33333333-3333-4333-8333-333333333333"),
        ("cost", "Cost", "33333333-3333-4333-8333-333333333334")]
    assert "dimensions" not in data or not data["dimensions"]
    with pytest.raises(CodebookError, match=r"\[themes -> 1 -> definition\] the definition of "
                                            r"'referral' is still a draft's placeholder"):
        load_codebook(path)


def test_a_code_named_none_and_codes_named_in_other_scripts_get_ids_that_are_said(tmp_path):
    """A code named "None" became the id 'none', which a codebook refuses (coded files write it for no theme): the
    import said nothing and validate-codebook failed. Names in Chinese or Cyrillic became 'code' and 'code_2', the
    output files' score columns, with no word."""
    source = tmp_path / "named.qdc"
    source.write_text(FOREIGN_QDC.replace('name="Transportation"', 'name="None"').replace(
        'name="Barriers"', 'name="信任"').replace('name="Cost"', 'name="Доверие"'), encoding="utf-8")
    path, notes = import_codebook(source)
    assert notes[0] == "'None' became id 'none_code': 'none' is what coded files write for no theme"
    assert ("'信任' has no Latin letters for an id: it became 'code'; give it an id you will know in the output files' "
            "score columns") in notes
    assert "'Доверие' has no Latin letters for an id: it became 'code_2'; give it an id you will know in the output "\
           "files' score columns" in notes
    assert [t["id"] for t in yaml.safe_load(path.read_text(encoding="utf-8"))["themes"]] == [
        "none_code", "referral", "joint_services", "code", "code_2"]


def test_a_dimensions_threshold_survives_the_qdc_round_trip(tmp_path):
    """refi wrote a theme's 'Threshold:' line but never a dimension's: the content hash changed and the
    calibration no longer fitted the codebook brought back."""
    data = yaml.safe_load((CODEBOOKS / "partnership_models.yaml").read_text(encoding="utf-8"))
    data["dimensions"][0]["threshold"] = 0.6
    source = _write(tmp_path / "pm.yaml", data)
    back, _ = import_codebook(export_codebook(source, tmp_path / "pm.qdc"), tmp_path / "back.yaml")
    assert load_codebook(back).dimensions[0].threshold == 0.6
    assert load_codebook(back).content_hash() == load_codebook(source).content_hash()


def test_a_code_renamed_in_a_qda_tool_says_how_to_keep_the_shipped_calibration(tmp_path, monkeypatch):
    """A label changed in the tool: the content hash changed, a run coded the codebook uncalibrated and agreement fell
    from 0.93 to 0.68, with nothing said on import (review 160)."""
    monkeypatch.chdir(CODEBOOKS.parent)
    qdc = export_codebook(CODEBOOKS / "rfi_themes.yaml", tmp_path / "rfi.qdc")
    qdc.write_text(qdc.read_text(encoding="utf-8").replace('name="Resource needs"', 'name="Resource needs (funding)"'),
                   encoding="utf-8")

    result = CliRunner().invoke(app, ["import-codebook", str(qdc), "--out", str(tmp_path / "back.yaml")])

    assert result.exit_code == 0
    assert result.output.splitlines()[1] == (
        "  to do: a run codes it uncalibrated (no calibration is made for its content). It is rfi_themes.yaml with "
        "resource_needs's label edited (the same ids): pass --calibration codebooks/rfi_themes.calibration.json to run "
        "with the calibration made before the edit (its coded passages use these ids), or run 'themes calibrate' again")


def test_a_theme_deleted_in_the_tool_is_said_on_import(tmp_path):
    """MAXQDA removed the 'Community engagement' code but kept it in the code set themes wrote: the YAML had four
    themes and the import said nothing (review 160)."""
    qdc = export_codebook(CODEBOOKS / "rfi_themes.yaml", tmp_path / "rfi.qdc")
    text = qdc.read_text(encoding="utf-8")
    start = text.rindex("<Code ", 0, text.index('name="Community engagement"'))
    qdc.write_text(text[:start] + text[text.index("</Code>", start) + len("</Code>"):], encoding="utf-8")

    path, notes = import_codebook(qdc, tmp_path / "back.yaml")

    assert "community_engagement" not in [theme.id for theme in load_codebook(path).themes]
    assert ("The code set 'RFI partnership themes' lists 1 code the file no longer holds (deleted in the tool?): it is "
            "not in the YAML; if it was not meant to go, restore it in the tool and export again.") in notes
    assert not any("no longer holds" in note for note in import_codebook(export_codebook(
        CODEBOOKS / "rfi_themes.yaml", tmp_path / "whole.qdc"), tmp_path / "whole.yaml")[1])


def test_cli_codebook_commands(tmp_path):
    runner = CliRunner()
    out = tmp_path / "rfi.qdc"

    first = runner.invoke(app, ["export-codebook", str(CODEBOOKS / "rfi_themes.yaml"), "--format", "qdc",
                                "--out", str(out)])
    again = runner.invoke(app, ["export-codebook", str(CODEBOOKS / "rfi_themes.yaml"), "--out", str(out)])
    wrong = runner.invoke(app, ["export-codebook", "--format", "nvivo"])
    upper = runner.invoke(app, ["export-codebook", str(CODEBOOKS / "rfi_themes.yaml"), "--format", "QDC",
                                "--out", str(tmp_path / "upper.qdc")])  # a format's name as a tool's menu writes it
    back = runner.invoke(app, ["import-codebook", str(out)])

    assert (first.exit_code, first.output) == (0, f"Wrote {out}\n")
    assert (again.exit_code, again.output) == (2, f"error: {out} exists. Pass --force to replace it, or choose "
                                                  "another --out.\n")
    assert (wrong.exit_code, wrong.output) == (2, "error: The '--format' option must be qdc. Got 'nvivo' instead.\n")
    assert (upper.exit_code, upper.output) == (0, f"Wrote {tmp_path / 'upper.qdc'}\n")
    assert (back.exit_code, back.output) == (0, f"Wrote {tmp_path / 'rfi.yaml'}\n"
                                                f"Check it: themes validate-codebook {tmp_path / 'rfi.yaml'}\n")


def test_a_file_that_is_not_xml_is_one_clear_error(tmp_path):
    bad = tmp_path / "bad.qdc"
    bad.write_text("<CodeBook><Codes>", encoding="utf-8")  # XML, cut short

    result = CliRunner().invoke(app, ["import-codebook", str(bad)])

    assert result.exit_code == 2
    assert result.output.startswith(f"error: {bad}: not well-formed XML (")
    assert result.output.endswith("Export the codebook again from the QDA tool as REFI-QDA (.qdc), or mend the file "
                                  "at that line.\n") and result.output.count("\n") == 1
    entity = tmp_path / "entity.qdc"
    entity.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="a" name="T&nbsp;x" '
                      'isCodable="true"/></Codes></CodeBook>', encoding="utf-8")
    result = CliRunner().invoke(app, ["import-codebook", str(entity)])
    assert result.exit_code == 2 and "replace the HTML entity there (&nbsp; and the like are not XML)" in result.output


# Projects --------------------------------------------------------------------------------------------

def tricky_answers() -> list[dict]:
    """Answers whose offsets are easy to get wrong: accents, an emoji (one code point, two UTF-16 units),
    CJK, a formula-like start (the CSV export guards it with an apostrophe), several coded segments."""
    first = "Trust between our directors 🚌 is old. Grants end after two years; José says we cannot keep staff."
    services = "=We refer clients to the food bank – 食物."
    joint = "Our case managers work inside the clinic."
    return [
        {"respondent_id": "R1", "question": "challenges", "answer": first, "org_type": "Nonprofit CBO", "state": "OH",
         "segments": [(0, 37, ["trust"]), (38, len(first), ["funding"])]},
        {"respondent_id": "R1", "question": "services", "answer": services,
         "org_type": "Nonprofit CBO", "state": "OH", "segments": [(0, len(services), ["service.referral", "trust"])]},
        {"respondent_id": "R1", "question": "goals", "answer": "Improve access.", "org_type": "Nonprofit CBO",
         "state": "OH"},
        {"respondent_id": "R2", "question": "challenges", "answer": "N/A", "org_type": "Government", "state": "",
         "status": "non_answer", "segments": []},
        {"respondent_id": "R2", "question": "services", "answer": joint,
         "org_type": "Government", "state": "", "segments": [(0, len(joint), ["service.joint"])]},
        {"respondent_id": "R3", "question": "goals", "answer": "", "org_type": "Health care organization",
         "state": "CA", "status": "empty"},
    ]


@pytest.fixture
def tricky_run(tmp_path, tiny_codebook_path) -> Path:
    return write_run_folder(tmp_path / "run", tricky_answers(), codebook_path=tiny_codebook_path)


def read_qdpx(path: Path) -> tuple[bytes, dict[str, str]]:
    with zipfile.ZipFile(path) as archive:
        return archive.read("project.qde"), {name: archive.read(name).decode("utf-8")
                                             for name in archive.namelist() if name.startswith("sources/")}


def reviewed(path: Path, coder: str = "Ana Reyes") -> Path:
    """The project as a person reviewing it leaves it: the run's codings kept, each now the coder's (as a QDA tool
    records a coding its user accepted or made)."""
    qde, texts = read_qdpx(path)
    user = b"{cccccccc-cccc-4ccc-8ccc-cccccccccccc}"
    automatic = re.search(rb'<User guid="([^"]+)"', qde).group(1)
    qde = qde.replace(b"<Users>", b'<Users><User guid="' + user + b'" name="' + coder.encode() + b'"/>', 1)
    qde = re.sub(rb'(<Coding [^>]*creatingUser=")' + re.escape(automatic), rb"\g<1>" + user, qde)
    out = path.with_name(f"reviewed-{path.name}")
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("project.qde", qde)
        for name, text in texts.items():
            archive.writestr(name, text.encode("utf-8"))
    return out


def test_a_project_no_person_coded_is_not_read_as_human_coding(tricky_run, tiny_codebook, tmp_path):
    """An untouched export read as gold measured the run against itself (kappa 0.97, no word) and would have
    taught the classifier its own output. Once a person's codings are in, it is read, and who coded is said."""
    from themes.evaluate import gold_announcement

    path = export_project(tricky_run, tricky_run / "review.qdpx")["path"]
    with pytest.raises(GoldError, match=r"every one of its \d+ codings was made by 'themes \(automatic\)'"):
        read_gold(path, tiny_codebook)
    gold = read_gold(reviewed(path), tiny_codebook)
    assert any(line.startswith("  coded by   Ana Reyes ") for line in gold_announcement(gold, path))
    # A tool that renames the run's user (or drops the user list) leaves it the project's creating user.
    qde, texts = read_qdpx(path)
    renamed = tmp_path / "renamed.qdpx"
    with zipfile.ZipFile(renamed, "w") as archive:
        archive.writestr("project.qde", qde.replace(b'name="themes (automatic)"', b'name="default"'))
        for name, text in texts.items():
            archive.writestr(name, text.encode("utf-8"))
    with pytest.raises(GoldError, match=r"every one of its \d+ codings was made by 'themes \(automatic\)'"):
        read_gold(renamed, tiny_codebook)


def test_a_project_a_person_reviewed_in_part_says_how_many_sources_no_person_coded(tricky_run, tiny_codebook, tmp_path,
                                                                                    tiny_codebook_path):
    """30 of 212 respondents re-coded by a person, the rest left as the run coded them: 85% of the codings were the
    run's, under the 90% that warns, and 182 sources were read as gold with no word."""
    from themes.evaluate import gold_announcement

    path = export_project(tricky_run, tricky_run / "review.qdpx", per="answer")["path"]
    whole = gold_announcement(read_gold(reviewed(path), tiny_codebook), path)
    assert not any("sources hold no coding of a person's" in line for line in whole)
    qde, texts = read_qdpx(path)
    root = ET.fromstring(qde)
    q = f"{{{PROJECT_NS}}}"
    ET.SubElement(root.find(f"{q}Users"), f"{q}User", guid="cccccccc-cccc-4ccc-8ccc-cccccccccccc", name="Ana Reyes")
    first = next(source for source in root.iter(f"{q}TextSource") if source.find(f".//{q}Coding") is not None)
    for coding in first.iter(f"{q}Coding"):
        coding.set("creatingUser", "cccccccc-cccc-4ccc-8ccc-cccccccccccc")
    part = tmp_path / "part.qdpx"
    with zipfile.ZipFile(part, "w") as archive:
        archive.writestr("project.qde", ET.tostring(root, encoding="utf-8", xml_declaration=True))
        for name, text in texts.items():
            archive.writestr(name, text.encode("utf-8"))
    said = gold_announcement(read_gold(part, tiny_codebook), part)
    assert any(re.search(r"; 4 of 5 sources hold no coding of a person's: unless someone reviewed them", line)
               for line in said)
    # The shared files say it too: the console alone did, and evaluation.md's bold kappa read as a person's (review 145)
    from themes.flows.agreement import evaluate_agreement
    from themes.settings import RunSettings

    evaluate_agreement(gold_path=str(part), out=str(tmp_path / "eval"), settings=RunSettings(
        codebook=str(tiny_codebook_path), model="test:hashing", cache_dir=str(tmp_path / "cache")))
    markdown = (tmp_path / "eval" / "evaluation.md").read_text(encoding="utf-8")
    assert re.search(r"\nCoded by: .*; 4 of 5 sources hold no coding of a person's: unless someone reviewed them",
                     markdown)
    saved = json.loads((tmp_path / "eval" / "evaluation.json").read_text())
    assert "4 of 5 sources hold no coding" in saved["coded_by"]


@pytest.mark.parametrize("per", ["respondent", "answer"])
def test_a_run_exports_to_a_valid_project_whose_selections_are_the_coded_segments(tricky_run, schemas, per):
    from lxml import etree

    result = export_project(tricky_run, tricky_run / "review.qdpx", per=per)
    qde, texts = read_qdpx(result["path"])
    assert_valid(schemas, "Project", qde)

    root = etree.fromstring(qde)
    ns = {"q": "urn:QDA-XML:project:1.0"}
    user = root.find("q:Users/q:User", ns)
    assert user.get("name") == "themes (automatic)"
    codes = {c.get("guid"): c.get("name") for c in root.iterfind(".//q:Code", ns)}
    selected = []
    for source in root.iterfind("q:Sources/q:TextSource", ns):
        assert source.get("plainTextPath") == f"internal://{source.get('guid')}.txt"
        text = texts[f"sources/{source.get('guid')}.txt"]
        for selection in source.iterfind("q:PlainTextSelection", ns):
            assert selection.get("creatingUser") == user.get("guid")
            names = [codes[ref.get("targetGUID")] for ref in selection.iterfind("q:Coding/q:CodeRef", ns)]
            selected.append((text[int(selection.get("startPosition")):int(selection.get("endPosition"))], names))
    answers = tricky_answers()
    assert sorted(selected) == sorted([
        ("Trust between our directors 🚌 is old.", ["Trust and relationships"]),
        ("Grants end after two years; José says we cannot keep staff.", ["Funding needs"]),
        (answers[1]["answer"], ["Referral", "Trust and relationships"]),
        (answers[4]["answer"], ["Joint"])])
    assert (result["sources"], result["selections"], result["codings"]) == \
        ((2, 4, 5) if per == "respondent" else (5, 4, 5))
    cases = {case.get("name"): [v.findtext("q:TextValue", namespaces=ns) for v in case.iterfind("q:VariableValue", ns)]
             for case in root.iterfind("q:Cases/q:Case", ns)}
    assert cases == {"R1": ["Nonprofit CBO", "OH"], "R2": ["Government"]}


def test_a_respondent_source_holds_the_answers_under_question_headings(tricky_run):
    result = export_project(tricky_run, tricky_run / "review.qdpx")
    _, texts = read_qdpx(result["path"])

    answers = [a["answer"] for a in tricky_answers()]
    assert sorted(texts.values()) == [
        f"## challenges\nN/A\n\n## services\n{answers[4]}\n\n",
        f"## challenges\n{answers[0]}\n\n## services\n{answers[1]}\n\n## goals\n{answers[2]}\n\n"]


@pytest.mark.parametrize("per", ["respondent", "answer"])
def test_run_to_qdpx_to_gold_reproduces_the_runs_codings_exactly(tricky_run, tiny_codebook, per):
    path = export_project(tricky_run, tricky_run / "review.qdpx", per=per)["path"]

    gold = read_gold(reviewed(path), tiny_codebook)

    run = pd.read_csv(tricky_run / "responses.csv", dtype=str, keep_default_na=False)
    run = run[run["answer"] != ""]
    expected = {f"{r}/{q}": (a.removeprefix("'"), set(filter(None, t.split(";"))))
                for r, q, a, t in zip(run["respondent_id"], run["question"], run["answer"], run["themes"])}
    found = {p: (text, set(themes)) for p, text, themes in zip(gold["passage_id"], gold["text"], gold["gold"])}
    assert found == expected
    # Each answer keeps its question, the context the run coded it with (the classifier reads it).
    assert list(gold["question"]) == [p.split("/", 1)[1] for p in gold["passage_id"]]
    # The top theme of a one-segment answer comes first: it is the gold primary theme.
    assert gold.loc[gold["passage_id"] == "R1/services", "gold"].iloc[0] == ["service.referral", "trust"]


def test_gold_codes_are_matched_by_name_when_a_qda_tool_gave_them_new_guids(tricky_run, tiny_codebook, tmp_path):
    path = export_project(tricky_run, tricky_run / "review.qdpx")["path"]
    qde, texts = read_qdpx(path)
    renamed = tmp_path / "from_the_tool.qdpx"
    guids = set(re.findall(rb'<Code guid="([^"]+)"', qde))
    for k, guid in enumerate(sorted(guids)):
        qde = qde.replace(guid, f"{{aaaaaaaa-aaaa-4aaa-8aaa-{k:012d}}}".encode())
    with zipfile.ZipFile(renamed, "w") as archive:
        archive.writestr("project.qde", qde)
        for name, text in texts.items():
            archive.writestr(name, text.encode("utf-8"))

    assert list(read_gold(reviewed(renamed), tiny_codebook)["gold"]) == list(read_gold(reviewed(path), tiny_codebook)[
        "gold"])


def test_positions_written_as_decimals_are_read_and_others_are_one_line(tricky_run, tiny_codebook, tmp_path):
    """A tool that writes startPosition="12.0" (the schema wants an integer) got "unexpected ValueError: invalid
    literal for int()"; a position that is no number says which and how to mend it."""
    path = reviewed(export_project(tricky_run, tricky_run / "review.qdpx")["path"])
    qde, texts = read_qdpx(path)

    def rewritten(name: str, position: bytes) -> Path:
        out = tmp_path / name
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("project.qde", re.sub(rb'startPosition="(\d+)"', position, qde))
            for file, text in texts.items():
                archive.writestr(file, text.encode("utf-8"))
        return out

    decimals = rewritten("decimals.qdpx", rb'startPosition="\1.0"')
    assert list(read_gold(decimals, tiny_codebook)["gold"]) == list(read_gold(path, tiny_codebook)["gold"])
    with pytest.raises(GoldError, match=r"^.*words\.qdpx: a coded selection's startPosition is 'twelve', not a "
                                        r"character position; export the project .* again\.$"):
        read_gold(rewritten("words.qdpx", b'startPosition="twelve"'), tiny_codebook)


def test_selections_past_their_text_backwards_or_to_no_code_are_one_line(tricky_run, tiny_codebook, tmp_path):
    """Review 155: an endPosition past the source's text spread its code over every later answer of the source
    (kappa 0.772 -> 0.756), a selection written backwards was read, and a coding of a code the project does not
    hold was dropped, each without a word."""
    path = reviewed(export_project(tricky_run, tricky_run / "review.qdpx")["path"])
    qde, texts = read_qdpx(path)

    def rewritten(name: str, pattern: bytes, replacement: bytes) -> Path:
        out = tmp_path / name
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("project.qde", re.sub(pattern, replacement, qde, count=1))
            for file, text in texts.items():
                archive.writestr(file, text.encode("utf-8"))
        return out

    with pytest.raises(GoldError, match=r"^.*past\.qdpx: a coded selection of source '.+' ends at character 999999, "
                                        r"past the \d+ characters of its text: the tool that wrote it counts positions "
                                        r"another way"):
        read_gold(rewritten("past.qdpx", rb'endPosition="\d+"', b'endPosition="999999"'), tiny_codebook)
    with pytest.raises(GoldError, match=r"^.*backwards\.qdpx: a coded selection of source '.+' starts at 5, after "
                                        r"its end at 2:"):
        read_gold(rewritten("backwards.qdpx", rb'startPosition="\d+" endPosition="\d+"',
                            b'startPosition="5" endPosition="2"'), tiny_codebook)
    with pytest.raises(GoldError, match=r"^.*dangling\.qdpx: 1 coding\(s\) refer to a code the project does not "
                                        r"hold \(GUID 11111111-2222-3333-4444-555555555555\)"):
        read_gold(rewritten("dangling.qdpx", rb'(<CodeRef targetGUID=")[^"]+', rb"\g<1>11111111-2222-3333-4444-"
                            rb"555555555555"), tiny_codebook)
    assert len(read_gold(path, tiny_codebook))  # the file as exported and reviewed reads


def test_an_exported_project_with_its_users_taken_out_is_not_read_as_human_coding(tricky_run, tiny_codebook,
                                                                                   tmp_path):
    """Review 155: export-project's file with <Users> and every creatingUser removed read as 'coded by unnamed 56',
    kappa 0.978: the run against itself."""
    path = export_project(tricky_run, tricky_run / "review.qdpx")["path"]
    qde, texts = read_qdpx(path)
    stripped = tmp_path / "stripped.qdpx"
    with zipfile.ZipFile(stripped, "w") as archive:
        archive.writestr("project.qde", re.sub(rb' creatingUser="[^"]*"', b"",
                                               re.sub(rb"<Users>.*?</Users>", b"", qde, flags=re.S)))
        for file, text in texts.items():
            archive.writestr(file, text.encode("utf-8"))
    with pytest.raises(GoldError, match=r"none of its \d+ codings names who made it, and the project is as themes "
                                        r"wrote it"):
        read_gold(stripped, tiny_codebook)


def test_a_qdc_saved_as_utf16_imports_as_the_utf8_file_does(tmp_path):
    """A codebook a Windows tool saved in UTF-16 (valid XML, valid against the XSD) was refused as 'not XML'."""
    qdc = export_codebook(CODEBOOKS / "rfi_themes.yaml", tmp_path / "book.qdc")
    text = qdc.read_text(encoding="utf-8").replace("encoding='utf-8'", "encoding='UTF-16'")
    for name, encoding in (("bom.qdc", "utf-16"), ("plain.qdc", "utf-16-le")):
        (tmp_path / name).write_bytes(text.replace("encoding='UTF-16'", "encoding='UTF-16LE'").encode(encoding)
                                      if encoding == "utf-16-le" else text.encode(encoding))
        back, notes = import_codebook(tmp_path / name, tmp_path / f"{name}.yaml")
        assert notes == [] and load_codebook(back).content_hash() == load_codebook(CODEBOOKS / "rfi_themes.yaml"
                                                                                    ).content_hash()
    # Review 169: Notepad's "Unicode" save, UTF-16 with its mark under a declaration that still says utf-8
    (tmp_path / "notepad.qdc").write_bytes(qdc.read_text(encoding="utf-8").encode("utf-16"))
    back, notes = import_codebook(tmp_path / "notepad.qdc", tmp_path / "notepad.yaml")
    assert notes == [] and load_codebook(back).content_hash() == load_codebook(CODEBOOKS / "rfi_themes.yaml"
                                                                                ).content_hash()


def test_a_coded_code_the_codebook_lacks_is_named(tricky_run, tiny_codebook, tmp_path):
    path = export_project(tricky_run, tricky_run / "review.qdpx")["path"]
    qde, texts = read_qdpx(path)
    qde = qde.replace(b'name="Funding needs"', b'name="Money worries"')
    qde = re.sub(rb"(name=\"Money worries\" isCodable=\"true\">\s*<Description>)[^<]*", rb"\1Money.", qde)
    changed = tmp_path / "changed.qdpx"
    with zipfile.ZipFile(changed, "w") as archive:
        archive.writestr("project.qde", qde.replace(
            re.search(rb'<Code guid="([^"]+)" name="Money worries"', qde).group(1), b"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"))
        for name, text in texts.items():
            archive.writestr(name, text.encode("utf-8"))

    with pytest.raises(GoldError, match=r"codes not in the codebook: 'Money worries'\. Known: Trust and relationships"):
        read_gold(changed, tiny_codebook)


def test_cli_export_project(tricky_run):
    result = CliRunner().invoke(app, ["export-project", str(tricky_run)])
    again = CliRunner().invoke(app, ["export-project", str(tricky_run), "--per", "question"])

    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote {tricky_run / 'run.qdpx'}: 2 sources (2 respondents), 4 coded selections, " \
                            "5 codings.\n"
    assert (again.exit_code, again.output) == (2, "error: The '--per' option must be one of respondent, answer. "
                                                  "Got 'question' instead.\n")


def test_export_project_refuses_a_changed_codebook(tricky_run, tiny_codebook_path):
    tiny_codebook_path.write_text(tiny_codebook_path.read_text(encoding="utf-8").replace("Grants end", "Grants stop"),
                                  encoding="utf-8")

    result = CliRunner().invoke(app, ["export-project", str(tricky_run)])

    assert result.exit_code == 2
    assert re.fullmatch(rf"error: {re.escape(str(tiny_codebook_path))} has changed since {re.escape(str(tricky_run))} "
                        r"was coded \(content hash \w+, the run recorded \w+\); pass the codebook the run used with "
                        r"--codebook\.\n", result.output)


def test_calibrate_does_not_look_for_a_split_column_in_a_project(tmp_path):
    from themes.cli import _has_split_column

    assert _has_split_column(tmp_path / "reviewed.qdpx") is False


def test_a_folder_given_as_out_is_one_line_even_with_force(tmp_path, tricky_run):
    folder = tmp_path / "exports"
    folder.mkdir()
    qdc = export_codebook(CODEBOOKS / "rfi_themes.yaml", tmp_path / "theirs.qdc")
    runner = CliRunner()
    for command, example in ((["export-codebook", str(CODEBOOKS / "rfi_themes.yaml")], "rfi_themes.qdc"),
                             (["import-codebook", str(qdc)], "theirs.yaml"),
                             (["export-project", str(tricky_run)], f"{tricky_run.name}.qdpx")):
        result = runner.invoke(app, [*command, "--out", str(folder), "--force"])
        assert (result.exit_code, result.output) == (2, f"error: {folder} is a folder; --out names the file to "
                                                        f"write, e.g. --out {folder / example}.\n")
    assert folder.is_dir() and not any(folder.iterdir())


def test_a_projects_codebook_is_imported_from_its_qdpx(tricky_run, tiny_codebook_path, tmp_path):
    project = export_project(tricky_run, tmp_path / "review.qdpx")["path"]
    from_project = yaml.safe_load(import_codebook(project, tmp_path / "from_project.yaml")[0].read_text("utf-8"))
    qdc = export_codebook(tiny_codebook_path, tmp_path / "book.qdc")
    from_qdc = yaml.safe_load(import_codebook(qdc, tmp_path / "from_qdc.yaml")[0].read_text("utf-8"))
    assert from_project["themes"] and from_project["themes"] == from_qdc["themes"]
    # the whole codebook comes back, as from its .qdc: the same content hash, so its calibration still fits
    assert load_codebook(tmp_path / "from_project.yaml").content_hash() == load_codebook(tiny_codebook_path).content_hash()


def test_a_project_of_two_codebooks_imports_as_one_and_says_so(tmp_path, tiny_codebook_path, schemas):
    from themes.refi import project_qde

    data = yaml.safe_load(tiny_codebook_path.read_text(encoding="utf-8"))
    themes_only = load_codebook(_write(tmp_path / "a.yaml", {**data, "name": "A", "dimensions": [], "version": "3",
                                                             "none_examples": ["Thank you for the survey."]}))
    framework = load_codebook(_write(tmp_path / "b.yaml", {**data, "name": "B", "themes": [],
                                                           "none_examples": ["No comment."]}))
    from themes.codebook import merge_codebooks

    qde, _ = project_qde(name="p", created="2026-01-01T00:00:00+00:00", codebook=merge_codebooks(
        [themes_only, framework]), sources=[], variables=[], cases=[], seed="s", books=[themes_only, framework])
    assert_valid(schemas, "Project", qde)
    (tmp_path / "p.qde").write_bytes(qde)
    _, notes = import_codebook(tmp_path / "p.qde", tmp_path / "p.yaml")
    assert any(n.startswith("p.qde holds the codes of 2 codebooks (A, B); they became one codebook, 'p'")
               and n.endswith("import each on its own: themes import-codebook p.qde --set 'A' --out a.yaml")
               for n in notes)
    # --set takes one of them whole, its name, version and passages with no theme (they were dropped), so the same
    # content hash comes back and its calibration still fits
    for book, other in ((themes_only, "B"), (framework, "A")):
        path, notes = import_codebook(tmp_path / "p.qde", tmp_path / f"{book.name}.yaml", only=book.name.lower())
        back = load_codebook(path)
        assert (back.name, back.version, back.content_hash(), back.none_examples) == (
            book.name, book.version, book.content_hash(), book.none_examples)
        assert f"Left out, as --set chose '{book.name}': the codes of '{other}' (import them with --set too)." in notes
    with pytest.raises(ThemesError, match=r"^p.qde holds no codebook named 'C'; the codebooks it holds: 'A', 'B'\.$"):
        import_codebook(tmp_path / "p.qde", tmp_path / "c.yaml", only="C")


@pytest.mark.parametrize("codable", ["false", "true"])  # QualCoder's category; NVivo's parent node, codable
def test_the_framework_put_in_a_folder_in_the_tool_keeps_its_dimensions(tmp_path, codable):
    """Review 169: the five dimensions under one folder code were flattened into 15 themes whose ids lost their
    dimension (`referral`, not `service_model.referral`): no calibration or coded file fitted (NVivo's way: 21
    themes and exit 2)."""
    source = CODEBOOKS / "partnership_models.yaml"
    text = export_codebook(source, tmp_path / "pm.qdc").read_text(encoding="utf-8")
    start, end = text.index("<Codes>") + len("<Codes>"), text.index("</Codes>")
    folder = f'<Code guid="e0b1a3f2-3333-4222-8333-444455556666" name="Framework" isCodable="{codable}">'
    (tmp_path / "folder.qdc").write_text(text[:start] + folder + text[start:end] + "</Code>" + text[end:],
                                         encoding="utf-8")
    path, notes = import_codebook(tmp_path / "folder.qdc", tmp_path / "back.yaml")
    assert load_codebook(path).content_hash() == load_codebook(source).content_hash()
    assert ("'Framework': a folder over the codebook's dimensions, read as if they stood at the top (a codebook YAML "
            "has no place for it)") in notes


@pytest.mark.parametrize("name", ["rfi_themes", "partnership_models"])
def test_descriptions_whose_blank_lines_a_tool_collapsed_come_back_whole(tmp_path, name):
    """Review 169: with each description's blank lines collapsed, the 'themes id:' line, threshold, notes and examples
    all stayed in a 9,288-character definition (the id made from the name), and the code set read as another tool's."""
    source = CODEBOOKS / f"{name}.yaml"
    text = export_codebook(source, tmp_path / "book.qdc").read_text(encoding="utf-8")
    collapsed = re.sub(r"<Description>.*?</Description>", lambda m: m.group(0).replace("\n\n", "\n"), text,
                       flags=re.DOTALL)
    assert collapsed != text
    (tmp_path / "collapsed.qdc").write_text(collapsed, encoding="utf-8")
    path, notes = import_codebook(tmp_path / "collapsed.qdc", tmp_path / "back.yaml")
    assert notes == [] and load_codebook(path).content_hash() == load_codebook(source).content_hash()


def test_a_framework_whose_descriptions_a_tool_dropped_gets_its_dimensions_back_by_guid(tmp_path, monkeypatch):
    """Review 169: with every description gone (the 'themes id:' lines and the types' order with them), the framework
    came back as 15 themes with ids made from names, though its YAML was at hand; the themes codebook's ids did."""
    monkeypatch.chdir(CODEBOOKS.parent)
    source = CODEBOOKS / "partnership_models.yaml"
    text = export_codebook(source, tmp_path / "pm.qdc").read_text(encoding="utf-8")
    codes = text[text.index("<Codes>"):text.index("</Codes>")]
    bare = re.sub(r"<Description>.*?</Description>", "", codes, flags=re.DOTALL)
    (tmp_path / "bare.qdc").write_text(text.replace(codes, bare), encoding="utf-8")
    path, notes = import_codebook(tmp_path / "bare.qdc", tmp_path / "back.yaml")
    back = yaml.safe_load(path.read_text(encoding="utf-8"))
    book = load_codebook(source)
    assert not back.get("themes")
    assert [(d["id"], [t["id"] for t in d["types"]]) for d in back["dimensions"]] == [
        (d.id, [t.id for t in d.types]) for d in book.dimensions]
    assert any("'Service model' as service_model" in n for n in notes)


def test_codes_added_in_the_tool_outside_every_set_are_kept_under_a_chosen_code_or_named(tmp_path, tiny_codebook_path):
    """Review 169: `--set` dropped a code added in the tool under a chosen theme, and a new top-level one, without a
    word: the YAML came back unchanged (the same hash)."""
    from themes.codebook import merge_codebooks
    from themes.refi import PROJECT_NS, project_qde

    data = yaml.safe_load(tiny_codebook_path.read_text(encoding="utf-8"))
    themes_only = load_codebook(_write(tmp_path / "a.yaml", {**data, "name": "A", "dimensions": []}))
    framework = load_codebook(_write(tmp_path / "b.yaml", {**data, "name": "B", "themes": []}))
    qde, _ = project_qde(name="p", created="2026-01-01T00:00:00+00:00", codebook=merge_codebooks(
        [themes_only, framework]), sources=[], variables=[], cases=[], seed="s", books=[themes_only, framework])
    root = ET.fromstring(qde)
    q = f"{{{PROJECT_NS}}}"
    codes = root.find(f"{q}CodeBook/{q}Codes")
    first = next(c for c in codes.findall(f"{q}Code") if c.get("name") == themes_only.themes[0].label)
    ET.SubElement(first, f"{q}Code", guid="e0b1a3f2-1111-4222-8333-444455556666", name="Champions", isCodable="true")
    ET.SubElement(codes, f"{q}Code", guid="e0b1a3f2-2222-4222-8333-444455556666", name="Workforce", isCodable="true")
    ET.register_namespace("", PROJECT_NS)
    (tmp_path / "p.qde").write_bytes(ET.tostring(root, xml_declaration=True, encoding="utf-8"))
    path, notes = import_codebook(tmp_path / "p.qde", tmp_path / "a_back.yaml", only="A")
    ids = [t["id"] for t in yaml.safe_load(path.read_text(encoding="utf-8"))["themes"]]  # Champions: a TODO to write
    assert "champions" in ids and "workforce" not in ids
    assert ("Left out, as --set chose 'A': 1 code in no codebook's code set ('Workforce'; added in the tool?). To "
            "import it, add it to the code set 'A' in the tool and export again, or import without --set.") in notes
    _, notes = import_codebook(tmp_path / "p.qde", tmp_path / "b_back.yaml", only="B")
    assert any("('Workforce'; added in the tool?)" in n for n in notes)  # not 'Champions', under A's theme


def _write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(("content", "hint"), [("hello\n", False), ("name: x\nthemes:\n- id: trust\n", True)])
def test_a_file_that_is_not_a_qdc_says_so(tmp_path, content, hint):
    path = tmp_path / "codes.qdc"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ThemesError) as raised:
        import_codebook(path)
    assert str(raised.value).startswith(f"{path} is not a REFI-QDA codebook: a .qdc is XML, and this file is not.")
    assert ("needs no import: pass it to --codebook" in str(raised.value)) == hint


def test_a_project_of_two_codebooks_is_read_by_each(tricky_run, tiny_codebook_path, tmp_path):
    """The codes themes exported for the run's other codebook are left to it, not refused as unknown."""
    project = export_project(tricky_run, tmp_path / "review.qdpx")["path"]
    data = yaml.safe_load(tiny_codebook_path.read_text(encoding="utf-8"))
    assert data.get("dimensions"), "the tiny codebook should have a dimension for this test to mean anything"
    themes_only = tmp_path / "themes_only.yaml"
    themes_only.write_text(yaml.safe_dump({**data, "dimensions": []}), encoding="utf-8")
    gold = read_gold(reviewed(project), load_codebook(themes_only))
    assert {code for codes in gold["gold"] for code in codes} <= {t["id"] for t in data["themes"]}
    assert any(gold["gold"])
    stranger = tmp_path / "stranger.qdpx"  # a code themes did not make, and unknown, is still an error
    with zipfile.ZipFile(project) as source, zipfile.ZipFile(stranger, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "project.qde":  # the types as another tool would write them: no `themes id:` line
                content = re.sub(rb"themes id: [a-z_]+\.[a-z_]+", b"", content)
            target.writestr(name, content)
    with pytest.raises(GoldError, match="codes not in the codebook"):
        read_gold(stranger, load_codebook(themes_only))


def test_control_characters_never_make_the_xml_unreadable(tmp_path, tiny_codebook_path, schemas):
    """Word's manual line break (U+000B) in a codebook text or a metadata value: XML 1.0 cannot hold it, and the
    files were written anyway (exit 0) for no tool to open. It is a line break now; other controls go."""
    from lxml import etree

    book = tmp_path / "word.yaml"
    book.write_text(tiny_codebook_path.read_text(encoding="utf-8").replace(
        "definition: ", "definition: \"Pasted from Word:\\vline two\\x01.\" # ", 1), encoding="utf-8")
    assert "\\v" in book.read_text(encoding="utf-8")
    qdc = export_codebook(book, tmp_path / "word.qdc")
    assert_valid(schemas, "Codebook", qdc.read_bytes())
    assert "Pasted from Word:\nline two." in etree.fromstring(qdc.read_bytes()).xpath("string(//*[local-name()="
                                                                                    "'Description'][1])")
    answers = tricky_answers()
    answers[0]["org_type"] = "Nonprofit\vCBO"
    run = write_run_folder(tmp_path / "ctrl", answers, codebook_path=tiny_codebook_path)
    qde, _ = read_qdpx(Path(export_project(run, tmp_path / "ctrl.qdpx")["path"]))
    assert_valid(schemas, "Project", qde)
    assert b"Nonprofit\nCBO" in qde


def test_a_codable_code_between_a_parent_and_a_child_is_kept(tmp_path):
    """NVivo-style nesting: 'Funding' is a code of its own under 'Barriers', over 'Short-term grants'."""
    source = tmp_path / "nested.qdc"
    source.write_text("""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
 <Code guid="22222222-2222-4222-8222-222222222222" name="Barriers" isCodable="true">
  <Code guid="33333333-3333-4333-8333-333333333333" name="Funding" isCodable="true"><Description>Money problems.</Description>
   <Code guid="44444444-4444-4444-8444-444444444444" name="Short-term grants" isCodable="true"/>
  </Code>
 </Code>
 <Code guid="66666666-6666-4666-8666-666666666666" name="Confiança comunitária" isCodable="true"/>
</Codes></CodeBook>""", encoding="utf-8")
    path, notes = import_codebook(source, tmp_path / "nested.yaml")
    themes = yaml.safe_load(path.read_text(encoding="utf-8"))["themes"]
    assert [(t["id"], t["definition"][:6]) for t in themes] == [
        ("barriers", "TODO: "), ("funding", "Money "), ("short_term_grants", "TODO: "), ("confianca_comunitaria", "TODO: ")]
    assert "'Barriers': its 2 nested code(s) became themes of their own" in notes


def test_importing_codes_without_descriptions_ends_with_the_to_do_not_an_error(tmp_path):
    """Review 169: codes without a memo (the usual QualCoder or MAXQDA export) got their TODO definitions and to-do
    lines, then the command ended in 'error: ... placeholder' and exit 2, before 'Check it:'."""
    source = tmp_path / "qualcoder.qdc"
    source.write_text("""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
 <Code guid="22222222-2222-4222-8222-222222222222" name="Trust" isCodable="true"><Description>Trust between partners.</Description></Code>
 <Code guid="33333333-3333-4333-8333-333333333333" name="Jargon" isCodable="true"/>
</Codes></CodeBook>""", encoding="utf-8")
    result = CliRunner().invoke(app, ["import-codebook", str(source), "--out", str(tmp_path / "mine.yaml")])
    assert result.exit_code == 0, result.output
    assert "to do:" in result.output and "error" not in result.output
    assert result.output.rstrip().splitlines()[-1] == f"Check it: themes validate-codebook {tmp_path / 'mine.yaml'}"


def test_python_dash_m_runs_every_command():
    """Review 169: `python -m themes.cli` ran the module as __main__, whose app lacked the commands registered from
    other modules (discover, diff, the REFI-QDA commands, serve)."""
    import subprocess
    import sys

    for module in ("themes.cli", "themes"):
        result = subprocess.run([sys.executable, "-m", module, "import-codebook", "--help"], capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0 and "REFI-QDA codebook" in result.stdout, (module, result.stderr[-300:])


def test_codes_of_one_name_in_two_places_and_a_nameless_code_import_as_distinct_themes(tmp_path):
    """'Other' under 'Barriers' and under 'Facilitators' would be two themes a report cannot tell apart, which
    a codebook refuses; a code with no name came in with its id as label, and no word."""
    source = tmp_path / "others.qdc"
    source.write_text("""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
 <Code guid="22222222-2222-4222-8222-222222222222" name="Barriers" isCodable="true"><Description>What holds back.</Description>
  <Code guid="33333333-3333-4333-8333-333333333333" name="Other" isCodable="true"><Description>Else.</Description></Code>
 </Code>
 <Code guid="44444444-4444-4444-8444-444444444444" name="Facilitators" isCodable="true"><Description>What helps.</Description>
  <Code guid="55555555-5555-4555-8555-555555555555" name="other" isCodable="true"><Description>Else.</Description></Code>
 </Code>
 <Code guid="66666666-6666-4666-8666-666666666666" name="Trust" isCodable="true"><Description>Trust.</Description></Code>
 <Code guid="77777777-7777-4777-8777-777777777777" name="Trust" isCodable="true"><Description>Again.</Description></Code>
 <Code guid="88888888-8888-4888-8888-888888888888" name=" " isCodable="true"><Description>Unnamed.</Description></Code>
</Codes></CodeBook>""", encoding="utf-8")
    path, notes = import_codebook(source, tmp_path / "others.yaml")
    themes = yaml.safe_load(path.read_text(encoding="utf-8"))["themes"]
    assert [t["label"] for t in themes] == ["Barriers", "Barriers: Other", "Facilitators", "Facilitators: other",
                                            "Trust (1)", "Trust (2)", "code"]
    assert "Two codes are named 'Other': this one became 'Barriers: Other'; rename it if you like" in notes
    assert "A code has no name: it became 'code'; give it a label" in notes
    assert [t.id for t in load_codebook(path).themes] == ["barriers", "other", "facilitators", "other_2", "trust",
                                                            "trust_2", "code"]


def test_codes_of_a_run_of_two_codebooks_keep_each_codebooks_guids():
    """A project exported from a run of both codebooks named its codes by GUIDs of the merged name: they matched
    neither codebook's .qdc in a QDA tool, and each codebook's code set in the project listed no member."""
    from themes.codebook import merge_codebooks
    from themes.refi import codebook_codes

    books = [load_codebook(CODEBOOKS / "rfi_themes.yaml"), load_codebook(CODEBOOKS / "partnership_models.yaml")]
    merged = merge_codebooks(books)

    def guids(book):
        return [(leaf.category_id or leaf.name, leaf.guid) for code in codebook_codes(book)
                for leaf in [code, *code.children]]

    assert guids(merged) == guids(books[0]) + guids(books[1])
    assert merged.content_hash() == merge_codebooks(books).content_hash()


def test_a_heading_retyped_in_a_qda_tool_at_a_blocks_start_is_still_a_heading():
    """A description themes wrote, edited in NVivo: "examples:" and "Counter examples:" retyped at a block's start were
    read as the definition's text (its examples lost from training, and its content hash changed)."""
    from themes.refi import parse_description

    text = ("Trust between partners.\n\nexamples:\n- We trust them.\n- They keep promises.\n\nCounter examples:\n"
            "- We trust the data.\n\nEXCLUDE:\n- Trust in data systems.\n\nthemes id: trust")
    assert parse_description(text) == {
        "id": "trust", "definition": "Trust between partners.", "examples": ["We trust them.", "They keep promises."],
        "counter_examples": ["We trust the data."], "exclude": ["Trust in data systems."]}
    # Within a block it is still the text themes wrote: an example that quotes a heading keeps it.
    quoted = "Trust.\n\nExamples:\n- She said:\n  examples:\n  we trust them.\n\nthemes id: trust"
    assert parse_description(quoted)["examples"] == ["She said:\nexamples:\nwe trust them."]


def test_a_retyped_heading_needs_a_list_after_it_and_a_heading_written_twice_adds_to_its_list():
    """A reviewer's round trips: a definition paragraph "Example:" with prose under it left the definition, and a
    heading written twice kept only its second list."""
    from themes.refi import parse_description

    prose = "Money problems.\n\nExample:\na grant that was cut mid-year counts.\n\nthemes id: funding"
    assert parse_description(prose) == {"id": "funding", "definition": "Money problems.\n\nExample:\na grant that was "
                                                                      "cut mid-year counts."}
    twice = ("Money problems.\n\nExamples:\n- Our grant ended.\n- The county cut us.\n\nexample:\n- Rent went up.\n\n"
             "themes id: funding")
    assert parse_description(twice)["examples"] == ["Our grant ended.", "The county cut us.", "Rent went up."]


def test_each_block_under_a_repeated_heading_keeps_its_own_items_and_indented_bullets_open_a_list():
    from themes.refi import parse_description

    memo = "Staff leaving.\n\nExample:\nA nurse quit after two months.\n\nExample:\nOur coordinator left."
    assert parse_description(memo)["examples"] == ["A nurse quit after two months.", "Our coordinator left."]
    assert parse_description("Money.\n\nexamples:\n  - a\n  - b\n\nthemes id: m")["examples"] == ["a", "b"]
    assert parse_description("Money.\n\nexamples:\n● a\n● b\n\nthemes id: m")["examples"] == ["a", "b"]
    # Review 169: within a block, a heading alone on its line, before unmarked items or in lower case, stayed in the
    # definition
    for memo, examples in (('Money problems.\nExamples:\n"We never have enough."', ["We never have enough."]),
                           ("Money problems.\nExamples:\nWe never have enough.\nGrants end.",
                            ["We never have enough.", "Grants end."]),
                           ("Money problems.\nexamples:\n- One", ["One"])):
        read = parse_description(memo)
        assert (read["definition"], read.get("examples")) == ("Money problems.", examples), memo
    # Review 172: a sentence hard-wrapped before its "include:" is no heading; its list stays in the definition
    for memo in ("Barriers partners describe. Typical barriers\ninclude:\ntransport, cost and waiting lists.",
                 "Use for staff capacity. Coders should\nexclude:\nvolunteer turnover, which goes elsewhere."):
        assert parse_description(memo) == {"definition": memo}, memo
    read = parse_description("Referrals between partners.\n- a warm hand-off\nExclude:\n- cold calls")
    assert (read["definition"], read["exclude"]) == ("Referrals between partners.\n- a warm hand-off", ["cold calls"])
    # Review 175: a capitalised heading under a line with no stop (a title, an item) is still one
    read = parse_description("Money problems.\nInclude:\nrent arrears\nExclude:\nhousing quality")
    assert (read["include"], read["exclude"]) == (["rent arrears"], ["housing quality"])
    read = parse_description("Money problems\nExamples:\nWe never have enough.\nRent went up.")
    assert (read["definition"], read["examples"]) == ("Money problems", ["We never have enough.", "Rent went up."])


def test_an_answers_own_line_starting_with_hashes_is_no_question_heading():
    """'Our approach:\\n## Trust first' made up a question 'Trust first', counted its codes twice and cut the answer
    to 'Our approach:'; in a source of one answer (--per answer) it dropped the text before it."""
    from themes.refi import passages_of, respondent_text

    answer = "Our approach:\n## Trust first\nWe meet monthly with the clinic."
    text, spans = respondent_text([("challenges", answer), ("funding", "Grants.")])
    passages = passages_of(text, "X06")
    assert [(p.passage_id, text[p.start:p.end]) for p in passages] == [("X06/challenges", answer),
                                                                       ("X06/funding", "Grants.")]
    assert [(p.start, p.end) for p in passages] == [(start, end) for _, start, end in spans]
    whole = passages_of(answer, "X06/challenges")
    assert [(p.passage_id, p.question, answer[p.start:p.end]) for p in whole] == [("X06/challenges", "challenges",
                                                                                   answer)]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_windows_line_end_is_one_line_end_not_a_blank_line(newline):
    """Review 169: a Windows line end matched as two line ends, a blank line: an answer holding a line "## Budget"
    re-saved so made up a question 'Budget', and a transcript of one line per paragraph split into a passage a line."""
    from themes.refi import paragraphs_of, passages_of, respondent_text

    answer = "Our plan:\n## Budget\nWe trust the clinic."  # a run keeps no blank line inside an answer
    text, _ = respondent_text([("effective_practices", answer), ("challenges", "Grants end.")])
    text = text.replace("\n", newline)
    assert [(p.question, text[p.start:p.end]) for p in passages_of(text, "H1")] == [
        ("effective_practices", answer.replace("\n", newline)), ("challenges", "Grants end.")]
    transcript = newline.join(["Interviewer: How did it start?", "We trusted them.", "Money ran out."])
    assert len(paragraphs_of(transcript, "T1")) == 1
    assert len(paragraphs_of(transcript + newline * 2 + "Second block.", "T1")) == 2


def _resaved(path: Path, out: Path, encode, newline: str = "\n") -> Path:
    """The project as a tool on Windows may save it: each source's lines ended with `newline`, its bytes from
    `encode`, and every selection's positions moved with the text."""
    qde, texts = read_qdpx(path)
    root = ET.fromstring(qde)
    q = f"{{{PROJECT_NS}}}"
    for source in root.iter(f"{q}TextSource"):
        name = "sources/" + source.get("plainTextPath").split("://", 1)[1]
        text = texts[name]
        for selection in source.iter(f"{q}PlainTextSelection"):
            for side in ("startPosition", "endPosition"):
                position = int(selection.get(side))
                selection.set(side, str(position + text[:position].count("\n") * (len(newline) - 1)))
        texts[name] = text.replace("\n", newline)
    ET.register_namespace("", PROJECT_NS)
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("project.qde", ET.tostring(root, xml_declaration=True, encoding="utf-8"))
        for name, text in texts.items():
            archive.writestr(name, encode(text))
    return out


@pytest.mark.parametrize("newline, encode", [
    ("\r\n", lambda text: text.encode("utf-8")),
    ("\n", lambda text: "\ufeff".encode("utf-16-le") + text.encode("utf-16-le")),
    ("\r\n", lambda text: "\ufeff".encode("utf-16-be") + text.encode("utf-16-be")),
])
def test_a_project_resaved_with_windows_line_ends_or_as_utf16_reads_the_same(tricky_run, tiny_codebook, tmp_path,
                                                                           newline, encode):
    """A reviewer's finding: a reviewed project re-saved with "\\r\\n" read as one passage per respondent (48 passages
    instead of 381, kappa 0.08, exit 0); sources saved as UTF-16 gave "unexpected UnicodeDecodeError"."""
    path = reviewed(export_project(tricky_run, tricky_run / "review.qdpx")["path"])
    before = read_gold(path, tiny_codebook)
    after = read_gold(_resaved(path, tmp_path / "resaved.qdpx", encode, newline), tiny_codebook)
    assert after[["passage_id", "question", "text"]].to_dict("records") == \
        before[["passage_id", "question", "text"]].to_dict("records")
    assert list(after["gold"]) == list(before["gold"])


def test_a_source_in_utf16_without_its_mark_reads_the_same_and_another_encoding_is_one_line(tricky_run, tiny_codebook,
                                                                                              tmp_path):
    """A second review: UTF-16 without a byte-order mark read as UTF-8, a NUL between letters (kappa 0.15, exit 0)."""
    path = reviewed(export_project(tricky_run, tricky_run / "review.qdpx")["path"])
    unmarked = _resaved(path, tmp_path / "unmarked.qdpx", lambda text: text.encode("utf-16-le"), "\r")
    assert read_gold(unmarked, tiny_codebook)[["passage_id", "text"]].to_dict("records") == \
        read_gold(path, tiny_codebook)[["passage_id", "text"]].to_dict("records")  # an old Mac's "\r" too
    latin = _resaved(path, tmp_path / "latin.qdpx", lambda text: text.encode("cp1252", errors="replace"))
    with pytest.raises(GoldError, match=r"is neither UTF-8 nor UTF-16 with a byte-order mark; export the project "):
        read_gold(latin, tiny_codebook)


def test_an_answer_source_keeps_a_first_line_of_hashes_and_a_slash_in_its_respondent_id(tmp_path, tiny_codebook_path,
                                                                                         tiny_codebook):
    """A reviewer's finding, in `--per answer` projects: an answer starting "## challenges" lost that line as a heading
    (its passage "R004/challenges/challenges"), and the respondent "R 007/x" gave the question
    "x/community_engagement"."""
    answers = [{"respondent_id": "R004", "question": "challenges",
                "answer": "## challenges\nGrants end after two years.", "org_type": "Nonprofit CBO", "state": "OH",
                "segments": [(14, 40, ["funding"])]},
               {"respondent_id": "R 007/x", "question": "goals", "answer": "We trust the clinic.",
                "org_type": "Hospital", "state": "OH", "segments": [(0, 20, ["trust"])]}]
    run = write_run_folder(tmp_path / "run", answers, codebook_path=tiny_codebook_path)
    path = reviewed(export_project(run, run / "review.qdpx", per="answer")["path"])
    gold = read_gold(path, tiny_codebook)
    from themes.quotes import safe_reference
    from themes.refi import passages_of

    assert gold[["passage_id", "question", "text"]].values.tolist() == [
        ["R004/challenges", "challenges", "## challenges\nGrants end after two years."],
        [f"{safe_reference('R 007/x')}/goals", "goals", "We trust the clinic."]]
    assert list(gold["gold"]) == [["funding"], ["trust"]]
    # a tool that drops the cases: the question is what follows the name's first "/" (an id that could hold one is
    # named by its pseudonym), a question's own "/" kept
    assert [p.question for p in passages_of("We trust the clinic.", "R004/challenges / barriers")] == [
        "challenges / barriers"]


def test_an_id_that_looks_like_contact_data_names_no_case_nor_source(tmp_path, tiny_codebook_path):
    """A reviewer's finding: the .qdpx named a case and a source 'jane.doe@example.org', where `themes sample` writes
    the same id as its pseudonym."""
    from themes.quotes import safe_reference

    answers = [{"respondent_id": "jane.doe@example.org", "question": "goals", "answer": "We trust the clinic.",
                "org_type": "Hospital", "state": "OH", "segments": [(0, 20, ["trust"])]}]
    run = write_run_folder(tmp_path / "run", answers, codebook_path=tiny_codebook_path)
    for per in ("respondent", "answer"):
        qde, _ = read_qdpx(export_project(run, run / f"{per}.qdpx", per=per)["path"])
        assert b"jane" not in qde and safe_reference("jane.doe@example.org").encode() in qde


def test_an_answer_source_in_a_second_case_and_a_dimension_without_its_id_line_read_as_written(tmp_path,
                                                                                             tiny_codebook_path,
                                                                                             tiny_codebook):
    """A second review: a source also in a case "All" (REFI allows several) lost its question and its "## " first
    line; a dimension whose "themes id:" line a tool dropped, its order line kept, became themes."""
    answers = [{"respondent_id": "R004", "question": "challenges", "answer": "## Trust first\nGrants end soon.",
                "org_type": "Nonprofit CBO", "state": "OH", "segments": [(15, 31, ["funding"])]}]
    run = write_run_folder(tmp_path / "run", answers, codebook_path=tiny_codebook_path)
    path = reviewed(export_project(run, run / "review.qdpx", per="answer")["path"])
    qde, texts = read_qdpx(path)
    source = re.search(rb'<TextSource guid="([^"]+)"', qde).group(1)
    qde = qde.replace(b"</Cases>", b'<Case guid="{dddddddd-dddd-4ddd-8ddd-dddddddddddd}" name="All"><SourceRef '
                      b'targetGUID="' + source + b'"/></Case></Cases>')
    both = tmp_path / "both.qdpx"
    with zipfile.ZipFile(both, "w") as archive:
        archive.writestr("project.qde", qde)
        for name, text in texts.items():
            archive.writestr(name, text.encode("utf-8"))
    from themes.refi import qdpx_gold_table

    gold = qdpx_gold_table(both, tiny_codebook)
    assert gold[["passage_id", "question", "text", "themes"]].values.tolist() == [
        ["R004/challenges", "challenges", "## Trust first\nGrants end soon.", "funding"]]

    qdc = export_codebook(CODEBOOKS / "partnership_models.yaml", tmp_path / "pm.qdc").read_text(encoding="utf-8")
    stripped = re.sub(r"(Types, least to most integrated: [^\n<]*)\s*themes id: [a-z_]+", r"\1", qdc)
    assert stripped != qdc
    (tmp_path / "stripped.qdc").write_text(stripped, encoding="utf-8")
    back, _ = import_codebook(tmp_path / "stripped.qdc", tmp_path / "stripped.yaml")
    assert [d.id for d in load_codebook(back).dimensions] == [
        d.id for d in load_codebook(CODEBOOKS / "partnership_models.yaml").dimensions]


def test_export_says_which_descriptions_a_qda_tool_would_read_back_otherwise(tmp_path):
    """A researcher's review: a definition holding "Include:" above a "- " list came back from the round trip with
    the list moved into the inclusion notes, its content hash changed and its calibration no longer fitting, with no
    word."""
    from themes.codebook import load_codebook
    from themes.refi import misread_descriptions

    assert misread_descriptions(load_codebook(CODEBOOKS / "rfi_themes.yaml")) == []
    assert misread_descriptions(load_codebook(CODEBOOKS / "partnership_models.yaml")) == []
    data = yaml.safe_load((CODEBOOKS / "rfi_themes.yaml").read_text(encoding="utf-8"))
    data["themes"][1]["definition"] = "Partners differ.\n\nInclude:\n- language\n- pace\n"
    source = _write(tmp_path / "mine.yaml", data)
    result = CliRunner().invoke(app, ["export-codebook", str(source), "--out", str(tmp_path / "mine.qdc")])
    assert result.exit_code == 0
    assert ("warning: 'cultural_differences': its definition would come back otherwise from a QDA tool (a line such "
            "as 'Include:' or 'Examples:' above a '- ' list reads as that list's heading): write the list as prose, "
            "or move it to its own field") in result.output.splitlines()
    back, _ = import_codebook(tmp_path / "mine.qdc", tmp_path / "back.yaml")
    assert load_codebook(back).content_hash() != load_codebook(source).content_hash()  # what the warning is about


def test_a_project_no_themes_export_wrote_is_read_by_paragraph(tiny_codebook, tmp_path):
    """A researcher's review: a project from another tool (an interview per source, coded in places) was read as one
    passage per source, each carrying every code of every selection in it, and the console said questions were read
    from 'question'. Its paragraphs are the passages now, each with the codes of the selections that touch it."""
    text = ("We have trusted the clinic's director for ten years.\n\nGrants end after two years and nobody covers the "
            "costs.\r\n\r\n  We meet on Tuesdays.  \n\n\nShe keeps every promise; the money is another story.")
    trust, money = text.index("trusted"), text.index("Grants")
    last = text.index("She keeps")

    def selection(guid: str, start: int, end: int, code: str) -> str:
        return (f'<PlainTextSelection guid="{guid}" startPosition="{start}" endPosition="{end}" creatingUser="U1">'
                f'<Coding guid="K{guid}" creatingUser="U1"><CodeRef targetGUID="{code}"/></Coding>'
                "</PlainTextSelection>")

    qde = ('<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="Interviews" '
           'origin="NVivo 14"><Users><User guid="U1" name="Ana"/></Users><CodeBook><Codes>'
           '<Code guid="C1" name="Trust" isCodable="true"/><Code guid="C2" name="Funding" isCodable="true"/>'
           '</Codes></CodeBook><Sources><TextSource guid="S1" name="Interview 1" plainTextPath="internal://S1.txt">'
           + selection("1", trust, trust + 40, "C1") + selection("2", money, money + 20, "C2")
           + selection("3", last, len(text), "C1") + selection("4", last + 20, len(text), "C2")
           + "</TextSource></Sources></Project>")
    project = tmp_path / "interviews.qdpx"
    with zipfile.ZipFile(project, "w") as archive:
        archive.writestr("project.qde", qde)
        archive.writestr("sources/S1.txt", text)
    gold = read_gold(project, tiny_codebook)
    assert list(gold["text"]) == ["We have trusted the clinic's director for ten years.",
                                  "Grants end after two years and nobody covers the costs.", "We meet on Tuesdays.",
                                  "She keeps every promise; the money is another story."]
    assert [list(codes) for codes in gold["gold"]] == [["trust"], ["funding"], [], ["trust", "funding"]]
    assert list(gold["passage_id"]) == [f"Interview 1 ¶{k}" for k in range(1, 5)]
    lines = gold_announcement(gold, project)
    assert ("  passages   the paragraphs of 1 source that no themes export wrote, each with the codes of the "
            "selections that touch it ('none' where none does)") in lines
    assert f"  question   {NO_QUESTION}" in lines


def test_two_codes_on_the_selection_that_opens_a_passage_are_said_to_decide_its_primary_theme(tiny_codebook,
                                                                                              tmp_path):
    """A researcher's review: the primary theme of a passage coded twice on one selection followed the order the
    file lists the codings in, without a word (a QDA tool marks no code primary)."""
    text = "We have trusted the clinic's director for ten years.\n\nGrants end after two years."
    qde = ('<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="Interviews" '
           'origin="NVivo 14"><Users><User guid="U1" name="Ana"/></Users><CodeBook><Codes>'
           '<Code guid="C1" name="Trust" isCodable="true"/><Code guid="C2" name="Funding" isCodable="true"/>'
           '</Codes></CodeBook><Sources><TextSource guid="S1" name="Interview 1" plainTextPath="internal://S1.txt">'
           '<PlainTextSelection guid="1" startPosition="0" endPosition="20" creatingUser="U1">'
           '<Coding guid="K1" creatingUser="U1"><CodeRef targetGUID="C2"/></Coding>'
           '<Coding guid="K2" creatingUser="U1"><CodeRef targetGUID="C1"/></Coding></PlainTextSelection>'
           f'<PlainTextSelection guid="2" startPosition="{text.index("Grants")}" endPosition="{len(text)}" '
           'creatingUser="U1"><Coding guid="K3" creatingUser="U1"><CodeRef targetGUID="C2"/></Coding>'
           "</PlainTextSelection></TextSource></Sources></Project>")
    project = tmp_path / "interviews.qdpx"
    with zipfile.ZipFile(project, "w") as archive:
        archive.writestr("project.qde", qde)
        archive.writestr("sources/S1.txt", text)
    gold = read_gold(project, tiny_codebook)
    assert [list(codes) for codes in gold["gold"]] == [["funding", "trust"], ["funding"]]
    assert ("  primary    1 passage opens with two codes at one place: the first the file lists is taken as the "
            "primary theme (a QDA tool marks none), which the primary-theme kappa reads; the per-theme figures do not "
            "depend on it") in gold_announcement(gold, project)
    # two selections that start together, trust's listed first: the file's order, not the codes' ids
    apart = qde.replace('<PlainTextSelection guid="1" startPosition="0" endPosition="20" creatingUser="U1">'
                        '<Coding guid="K1" creatingUser="U1"><CodeRef targetGUID="C2"/></Coding>'
                        '<Coding guid="K2" creatingUser="U1"><CodeRef targetGUID="C1"/></Coding></PlainTextSelection>',
                        '<PlainTextSelection guid="1" startPosition="0" endPosition="20" creatingUser="U1">'
                        '<Coding guid="K2" creatingUser="U1"><CodeRef targetGUID="C1"/></Coding></PlainTextSelection>'
                        '<PlainTextSelection guid="1b" startPosition="0" endPosition="30" creatingUser="U1">'
                        '<Coding guid="K1" creatingUser="U1"><CodeRef targetGUID="C2"/></Coding></PlainTextSelection>')
    assert apart != qde
    with zipfile.ZipFile(project, "w") as archive:
        archive.writestr("project.qde", apart)
        archive.writestr("sources/S1.txt", text)
    again = read_gold(project, tiny_codebook)
    assert list(again["gold"].iloc[0]) == ["trust", "funding"]
    assert any(line.startswith("  primary    1 passage opens") for line in gold_announcement(again, project))


@pytest.mark.parametrize(("memo", "fields"), [
    ("Partners trust each other.\n\nExclude:\n- Trust of patients\nExamples:\n\"We have worked together for 15 "
     "years.\"\nOur VP changes every year and we start over.",
     {"definition": "Partners trust each other.", "exclude": ["Trust of patients"],
      "examples": ["We have worked together for 15 years.", "Our VP changes every year and we start over."]}),
    ("Partners trust each other.\n\nExamples\n\nWe have worked together for 15 years.\n\nOur VP changes every year and "
     "we start over.\n\nA note on scope: this theme\ncovers partner organisations only.",
     {"definition": "Partners trust each other.\n\nA note on scope: this theme\ncovers partner organisations only.",
      "examples": ["We have worked together for 15 years.", "Our VP changes every year and we start over."]}),
], ids=["heading under an item, a list with no marks", "a heading with no colon, examples with no quotes"])
def test_a_memo_s_examples_are_read_as_a_researcher_writes_them(memo, fields):
    """A researcher's review: "Examples:" right under an exclusion's item became part of that item, and examples as
    unquoted paragraphs under "Examples" went into the definition."""
    from themes.refi import parse_description

    assert parse_description(memo) == fields


@pytest.mark.parametrize(("name", "slug"), [("Straße", "strasse"), ("Confiança comunitária", "confianca_comunitaria"),
                                            ("Økonomi", "okonomi"), ("Łódź partners", "lodz_partners"),
                                            ("Cœur", "coeur"), ("2024 goals", "code_2024_goals")])
def test_a_code_s_id_keeps_its_letters(name, slug):
    """A review: a code named 'Straße' was imported as 'stra_e': letters no accent makes were dropped."""
    from themes.refi import _slug

    assert _slug(name) == slug


def test_what_an_import_guessed_is_said(tmp_path):
    """A researcher's review: the import named the codebook after the file, gave 'Trust?' the id 'trust_2' and left a
    folder's description out, each without a word."""
    source = tmp_path / "qc.qdc"
    source.write_text("""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="QualCoder 3.6"><Codes>
<Code guid="11111111-1111-1111-1111-111111111111" name="Barriers" isCodable="false">
 <Description>Things that hold the partnership back.</Description>
 <Code guid="11111111-1111-1111-1111-111111111112" name="Money" isCodable="true"><Description>F.</Description></Code>
 <Code guid="11111111-1111-1111-1111-111111111113" name="Staff" isCodable="true"><Description>S.</Description></Code>
</Code>
<Code guid="11111111-1111-1111-1111-111111111114" name="Trust!" isCodable="true"><Description>T.</Description></Code>
<Code guid="11111111-1111-1111-1111-111111111115" name="Trust?" isCodable="true"><Description>Too.</Description></Code>
</Codes></CodeBook>""", encoding="utf-8")
    path, notes = import_codebook(source)
    assert notes[0].endswith("; its description, 'Things that hold the partnership back.', is kept nowhere else: give "
                             "it to the dimension, or to its themes' definitions")
    assert notes[1:] == ["'Trust?' became id 'trust_2': 'trust' is another code's; give it an id you will know in the "
                         "output files' score columns",
                         "named 'qc' after the file, version '1': qc.qdc names no codebook (QualCoder, for one, keeps "
                         "no code sets); set 'name' and 'version' in the YAML"]
    _, named = import_codebook(source, tmp_path / "named.yaml", name="Barriers codebook")
    assert not any(note.startswith("named ") for note in named)

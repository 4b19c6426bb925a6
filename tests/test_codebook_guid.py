"""Codebook fields for the researcher's loop: REFI-QDA GUIDs, and the placeholder of a draft definition."""

from __future__ import annotations

import pytest

from themes.codebook import load_codebook
from themes.errors import CodebookError

GUID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def test_a_guid_is_kept_and_does_not_change_the_content_hash(tmp_path, tiny_codebook_path, tiny_codebook):
    text = tiny_codebook_path.read_text(encoding="utf-8")
    path = tmp_path / "with_guid.yaml"
    path.write_text(text.replace("  - id: trust\n", f"  - id: trust\n    guid: '{{{GUID}}}'\n"), encoding="utf-8")

    book = load_codebook(path)

    assert book.themes[0].guid == f"{{{GUID}}}"
    assert book.content_hash() == tiny_codebook.content_hash()


def test_a_guid_that_is_not_a_uuid_is_an_error(tmp_path, tiny_codebook_path):
    path = tmp_path / "bad_guid.yaml"
    path.write_text(tiny_codebook_path.read_text(encoding="utf-8").replace(
        "  - id: trust\n", "  - id: trust\n    guid: not-a-guid\n"), encoding="utf-8")

    with pytest.raises(CodebookError, match=r"bad_guid.yaml:6: \[themes -> 0 -> guid\] the guid .not-a-guid. is not "
                                            "one: a GUID reads like"):
        load_codebook(path)


def test_a_draft_definition_must_be_written_before_the_codebook_validates(tmp_path, tiny_codebook_path):
    path = tmp_path / "draft.yaml"
    path.write_text(tiny_codebook_path.read_text(encoding="utf-8").replace(
        "definition: Money, staff and capacity as a need or barrier.",
        "definition: 'TODO: write what this theme means'"), encoding="utf-8")

    with pytest.raises(CodebookError, match=r"^.+draft.yaml:14: \[themes -> 1 -> definition\] the definition of "
                                            r"'funding' is still a draft's placeholder; write what the theme means$"):
        load_codebook(path)

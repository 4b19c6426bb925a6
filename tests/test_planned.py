"""What a passage says is in place: planned, wished-for and future sentences are read apart."""

from __future__ import annotations

import pytest

from themes.planned import in_place


@pytest.mark.parametrize("text, expected", [
    ("Right now it's just referrals back and forth with the clinic. In five years we want a shared care "
     "coordinator who follows each family.", "Right now it's just referrals back and forth with the clinic."),
    ("We'd like to eventually have our counselors co-located at the clinic, that's the dream. For now the clinic "
     "calls our intake line.", "For now the clinic calls our intake line."),
    ("Goal: move to a shared platform. Today we email a monthly list.", "Today we email a monthly list."),
    ("We want a wellness center under one roof. Currently the clinic refers patients by phone.",
     "Currently the clinic refers patients by phone."),
    ("Today they are paid per service. Within five years we hope the plan shares savings with us.",
     "Today they are paid per service."),
    ("The shared record goes live next fiscal year. Until then we fax.", "Until then we fax."),
])
def test_planned_sentences_are_left_out(text, expected):
    assert in_place([text]) == [expected]


@pytest.mark.parametrize("text", [
    "The two teams plan together every week and work out the discharge plan together.",  # planning as a practice
    "Our partner holds the agreement with our plan and is paid per member per month.",  # a health plan
    "The hospital will not give us access to their records.",  # a present refusal
    "We hope to share data someday.",  # every sentence planned: nothing else to read
    "",
])
def test_texts_without_an_in_place_part_to_read_apart_stand_as_they_are(text):
    assert in_place([text]) == [None]


def test_texts_keep_their_order_and_count():
    texts = ["We refer clients to the clinic.", "We refer clients to the clinic. We'd love one team someday.",
             "We want one team. We refer clients to the clinic."]
    assert in_place(texts) == [None, "We refer clients to the clinic.", "We refer clients to the clinic."]

"""Sentence segments: offsets into the answer, lines kept apart, short answers whole, long ones packed evenly."""

from __future__ import annotations

import pytest

from themes.segment import SEGMENT_COLUMNS, pack, segment_answers, split_sentences


def sentences(*counts: int) -> str:
    """One sentence of each word count: 'word word word end.'"""
    return " ".join(" ".join(["word"] * (n - 1) + ["end."]) for n in counts)


def word_counts(text: str, spans: list[tuple[int, int]]) -> list[int]:
    return [len(text[start:end].split()) for start, end in spans]


TEXTS = [
    "We need funding. Staff leave often.\nData sharing\nIs slow. Yes.",
    "Goals:\n- housing\n- food and shelter for all families\nWe also run surveys twice a year. They help a lot.",
    "Ok. Trust matters most to our team. Ok.",
    "  Leading spaces. And trailing.  ",
    "Caf\u00e9 owners \u2014 and ni\u00f1os \U0001F600 \u2014 join us. "
    "\u4fe1\u983c\u304c\u5927\u4e8b\u3067\u3059\u3002",
]


@pytest.mark.parametrize("max_words", [0, 5, 80])
def test_offsets_point_into_the_text(max_words):
    segments = segment_answers(TEXTS, [10, 11, 12, 13, 14], max_words=max_words)

    assert list(segments.columns) == SEGMENT_COLUMNS
    assert set(segments["answer_index"]) == {10, 11, 12, 13, 14}
    for row in segments.itertuples():
        assert TEXTS[row.answer_index - 10][row.start:row.end] == row.text
        assert row.text == row.text.strip() and row.text
    for _, group in segments.groupby("answer_index"):
        assert list(group["segment_id"]) == list(range(1, len(group) + 1))
        assert list(group["start"]) == sorted(group["start"])


def test_one_sentence_per_segment_and_lines_never_merged():
    segments = segment_answers(TEXTS[:2], [0, 1], max_words=0)

    assert list(segments["text"]) == [
        "We need funding.", "Staff leave often.", "Data sharing", "Is slow. Yes.",
        "Goals:", "- housing", "- food and shelter for all families",
        "We also run surveys twice a year.", "They help a lot.",
    ]
    assert list(segments["segment_id"]) == [1, 2, 3, 4, 1, 2, 3, 4, 5]


def test_short_fragments_are_merged_with_their_neighbour():
    # "Ok." opens the line and is joined to what follows; the closing "Ok." and "Yes." join what precedes.
    segments = segment_answers([TEXTS[2], "The hospital pays for it. Yes."], [0, 1], max_words=0)

    assert list(segments["text"]) == ["Ok. Trust matters most to our team. Ok.", "The hospital pays for it. Yes."]


def test_leading_and_trailing_space_is_not_in_a_segment():
    segments = segment_answers([TEXTS[3]], [0], max_words=0)

    assert list(zip(segments["start"], segments["end"], segments["text"])) == [
        (2, 17, "Leading spaces."), (18, 31, "And trailing.")]


def test_answers_without_content_give_no_segments():
    segments = segment_answers(["", "...", "\n\n", "Real answer here."], [0, 1, 2, 3], max_words=0)

    assert list(segments["answer_index"]) == [3]


def test_no_answers():
    segments = segment_answers([], [], max_words=60)

    assert segments.empty and list(segments.columns) == SEGMENT_COLUMNS


def test_a_short_answer_is_one_segment():
    segments = segment_answers(TEXTS[:2], [0, 1], max_words=80)

    assert list(segments["text"]) == TEXTS[:2]
    assert list(segments["start"]) == [0, 0]


def test_pack_groups_short_sentences_into_one_segment():
    text = sentences(3, 3, 3, 3, 3, 3, 3, 3, 3, 3)
    spans = split_sentences([text])[0]

    assert len(spans) == 10
    assert pack(text, spans, 80) == [(0, len(text))]


@pytest.mark.parametrize(("counts", "max_words", "expected"), [
    ([7] * 20, 30, [28, 28, 28, 28, 28]),
    ([7] * 20, 50, [49, 42, 49]),
    ([10] * 7, 30, [20, 30, 20]),
    ([20, 20, 20, 5], 30, [20, 20, 25]),  # no tiny last part
    ([11, 16, 16, 13, 9], 60, [27, 38]),  # two parts suffice, so two parts
    ([25, 25, 25, 25, 4], 50, [25, 50, 29]),
    ([40, 5, 5], 30, [40, 10]),  # a sentence longer than the limit stands alone
    ([10, 28, 10], 30, [10, 28, 10]),  # a part never grows past the limit
])
def test_pack_splits_a_long_answer_into_near_equal_parts(counts, max_words, expected):
    text = sentences(*counts)
    spans = split_sentences([text])[0]
    assert word_counts(text, spans) == counts

    packed = pack(text, spans, max_words)

    assert word_counts(text, packed) == expected
    # Whole sentences only: every boundary is a sentence boundary.
    assert {s for s, _ in packed} <= {s for s, _ in spans} and {e for _, e in packed} <= {e for _, e in spans}


def test_pack_of_nothing():
    assert pack("", [], 60) == []


def test_split_sentences_ends_a_sentence_at_a_full_width_stop():
    """"我们的资金不足。Funding is short" was one sentence (no space after "。"), so a quote of the English
    sentence carried the Chinese one past the survey-language check. A wide character counts three toward the
    length a sentence needs to stand alone; "Why？" is still joined to what follows."""
    texts = ["我们的资金不足。Funding is short and we cannot hire staff.", "资金不足。人手不够。",
             "Why？Because we need money for staff.", "「資金が足りない。」と言われた。人も足りない。",
             "他说：“资金不足。”然后我们就走了。", "他说：“资金不足。”Funding is short and we cannot hire staff.",
             "“资金不足。”“人手不够。”"]
    assert [[text[s:e] for s, e in spans] for text, spans in zip(texts, split_sentences(texts))] == [
        ["我们的资金不足。", "Funding is short and we cannot hire staff."], ["资金不足。", "人手不够。"],
        ["Why？Because we need money for staff."],
        ["「資金が足りない。」と言われた。", "人も足りない。"], ["他说：“资金不足。”然后我们就走了。"],  # quotations whole
        ["他说：“资金不足。”", "Funding is short and we cannot hire staff."], ["“资金不足。”", "“人手不够。”"]]


def test_split_sentences_splits_each_line_on_its_own():
    text = "First line without a stop\nsecond line. Third sentence."

    spans = split_sentences([text])[0]

    assert [text[s:e] for s, e in spans] == ["First line without a stop", "second line.", "Third sentence."]

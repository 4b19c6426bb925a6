"""Quotes: excerpts with "..." where cut, attribution without ids, and varied, representative picks."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from themes.quotes import (QUOTE_COLUMNS, QuoteSettings, attribution, excerpt, safe_reference, select_for_theme,
                           select_quotes)

ANSWER = ("We started in 2015. Trust between the directors is what makes it work, and it took years to build. "
          "They call us first. Funding is another matter entirely.")


def spans_of(text: str) -> list[tuple[int, int]]:
    """Sentence spans, for text whose sentences each end in '.' (no spaCy needed)."""
    return [m.span() for m in re.finditer(r"[^.\s][^.]*\.", text)]


SPANS = spans_of(ANSWER)


def words(text: str) -> int:
    return len(text.split())


def test_spans_helper():
    assert [ANSWER[s:e] for s, e in SPANS] == [
        "We started in 2015.", "Trust between the directors is what makes it work, and it took years to build.",
        "They call us first.", "Funding is another matter entirely."]


@pytest.mark.parametrize(("index", "min_words", "max_words", "expected"), [
    # Long enough alone: cut on both sides.
    (1, 12, 60, "...Trust between the directors is what makes it work, and it took years to build...."),
    # Too short alone: grows to the following sentence first.
    (0, 12, 60, "We started in 2015. Trust between the directors is what makes it work, and it took years to "
                "build...."),
    # No following sentence: grows backwards, up to three sentences.
    (3, 12, 60, "...Trust between the directors is what makes it work, and it took years to build. They call us "
                "first. Funding is another matter entirely."),
    # The whole answer: nothing cut.
    (0, 1, 60, "We started in 2015...."),
    (3, 1, 60, "...Funding is another matter entirely."),
    # Over the word budget: cut at max_words, "..." at the cut.
    (1, 12, 8, "...Trust between the directors is what makes it..."),
    (1, 12, 6, "...Trust between the directors is what..."),
])
def test_excerpt(index, min_words, max_words, expected):
    quote = excerpt(ANSWER, SPANS, index, min_words=min_words, max_words=max_words)

    assert quote == expected
    assert words(quote) <= max_words


def test_excerpt_of_a_whole_answer_has_no_dots():
    text = "Trust. Plain and simple."

    assert excerpt(text, spans_of(text), 0, min_words=3, max_words=60) == "Trust. Plain and simple."


def test_excerpt_neighbours_never_break_the_word_budget():
    # The coded sentence is short, but its neighbours are too long to add.
    text = "Trust matters. " + " ".join(["word"] * 30) + "."
    spans = spans_of(text)

    assert excerpt(text, spans, 0, min_words=12, max_words=20) == "Trust matters...."


def test_excerpt_cut_drops_trailing_punctuation():
    text = "First, second, third, fourth; fifth and sixth."

    assert excerpt(text, spans_of(text), 0, min_words=1, max_words=2) == "First, second..."


def test_excerpt_collapses_line_breaks_and_runs_of_space():
    text = "We serve\nfamilies   in need.\nAnd more."

    assert excerpt(text, [(0, 28), (29, 38)], 0, min_words=1, max_words=60) == "We serve families in need...."


@pytest.mark.parametrize(("text", "expected"), [
    # Bullet items (cleaned answers keep one per line) do not run together.
    ("Trust built over many years\nA champion who returns our calls\n3 check-ins a month",
     "Trust built over many years / A champion who returns our calls / 3 check-ins a month"),
    # A heading ending in a colon, or items that end in punctuation, read on with a space.
    ("What made it work:\nMonthly meetings\nShared goals", "What made it work: Monthly meetings / Shared goals"),
    ("Staff turnover.\nEvery new manager starts over", "Staff turnover. Every new manager starts over"),
])
def test_excerpt_keeps_list_items_apart(text, expected):
    lines = [m.span() for m in re.finditer(r"[^\n]+", text)]

    assert excerpt(text, lines, 0, min_words=60, max_words=60) == expected


def test_excerpt_cut_at_a_list_boundary_has_no_dangling_slash():
    text = "Trust built over years\nA champion who returns calls"

    assert excerpt(text, [(0, 22), (23, 50)], 0, min_words=60, max_words=5) == "Trust built over years..."


@pytest.mark.parametrize(("meta", "expected"), [
    ({"org_type": "Nonprofit CBO", "state": "OH", "respondent_id": "R1"},
     "Nonprofit CBO respondent from partnership based in Ohio"),
    ({"org_type": "Government", "state": "dc"}, "Government respondent from partnership based in the District of "
                                                 "Columbia"),
    ({"org_type": "Foundation", "state": "Ontario"}, "Foundation respondent from partnership based in Ontario"),
    ({"org_type": "unknown", "state": "MN"}, "Respondent from partnership based in Minnesota"),
    ({"org_type": "Health care organization", "state": "unknown"}, "Health care organization respondent"),
    ({"org_type": "", "state": ""}, "Respondent"),
    ({}, "Respondent"),
])
def test_attribution(meta, expected):
    assert attribution(meta, state_column="state", type_column="org_type") == expected


def test_attribution_never_uses_the_id():
    meta = {"respondent_id": "jane.doe@example.org", "org_type": "Nonprofit CBO", "state": "CA"}

    text = attribution(meta, state_column="state", type_column="org_type")

    assert "jane" not in text and "example" not in text
    assert attribution(meta, state_column=None, type_column=None) == "Respondent"


@pytest.mark.parametrize("respondent_id", ["maria.lopez@example.org", "555-123-4567", "(555) 123 4567",
                                           "Jane Doe", "jane.doe", "123-45-6799", "5552013344", "MRN00123456",
                                           "bsmith", "=HYPERLINK(\"http://x\")"])
def test_safe_reference_pseudonymises_contact_details(respondent_id):
    reference = safe_reference(respondent_id)

    assert re.fullmatch(r"resp-[0-9a-f]{8}", reference)
    assert reference == safe_reference(respondent_id)  # stable
    assert reference != safe_reference(respondent_id + "x")


@pytest.mark.parametrize("respondent_id", ["R1", "gen-72e094a1", "R1~2", "1042", "resp-0042", "ID_17"])
def test_safe_reference_keeps_plain_ids(respondent_id):
    assert safe_reference(respondent_id) == respondent_id


# Selection ------------------------------------------------------------------------------------------

TEXTS = [
    "Trust between directors built over ten years.",
    "Trust between directors built over ten years.",  # the same words: a near-duplicate of 0
    "Honest partners who call when things go wrong.",
    "A champion on the hospital side made it happen.",
    "Shared goals and regular check-ins keep us together.",
    "Trust between directors built over many years.",  # close to 0
]


@pytest.fixture
def vectors(hashing_embedder) -> np.ndarray:
    return hashing_embedder.encode(TEXTS).astype(np.float32)


@pytest.fixture
def candidates() -> pd.DataFrame:
    return pd.DataFrame({"score": [0.90, 0.85, 0.70, 0.60, 0.65, 0.88],
                         "respondent_id": ["R1", "R2", "R3", "R4", "R5", "R6"],
                         "org_type": ["CBO", "CBO", "CBO", "Gov", "Health", "CBO"]})


def test_identical_vectors_give_one_quote(candidates, vectors):
    picks = select_for_theme(candidates, vectors, QuoteSettings(per_theme=6, diversity=0))

    assert picks[0] == 0
    assert 1 not in picks  # identical to the first pick
    assert sorted(picks) == [0, 2, 3, 4, 5]


def test_one_quote_per_respondent(candidates, vectors):
    same_person = candidates.assign(respondent_id=["R1", "R1", "R1", "R2", "R2", "R1"])

    picks = select_for_theme(same_person, vectors, QuoteSettings(per_theme=5))

    assert picks == [0, 4]
    assert len(set(same_person["respondent_id"].iloc[picks])) == len(picks)


def test_diversity_trades_relevance_for_novelty(candidates, vectors):
    relevance_only = select_for_theme(candidates, vectors, QuoteSettings(per_theme=3, diversity=0))
    varied = select_for_theme(candidates, vectors, QuoteSettings(per_theme=3, diversity=0.35))

    assert relevance_only == [0, 5, 2]  # 5 repeats much of 0 but scores high
    assert varied == [0, 4, 2]  # 5 is passed over for something new


def test_quotes_spread_across_types(candidates, vectors):
    plain = select_for_theme(candidates, vectors, QuoteSettings(per_theme=3))
    spread = select_for_theme(candidates, vectors, QuoteSettings(per_theme=3, type_column="org_type"))

    assert list(candidates["org_type"].iloc[plain]) == ["CBO", "Health", "CBO"]
    assert list(candidates["org_type"].iloc[spread]) == ["CBO", "Health", "Gov"]


def test_per_theme_limits_the_picks(candidates, vectors):
    assert select_for_theme(candidates, vectors, QuoteSettings(per_theme=1)) == [0]
    assert select_for_theme(candidates, vectors, QuoteSettings(per_theme=0)) == []


def test_no_candidates():
    empty = pd.DataFrame({"score": [], "respondent_id": []})

    assert select_for_theme(empty, np.zeros((0, 8), dtype=np.float32), QuoteSettings()) == []


def test_select_quotes_end_to_end(hashing_embedder):
    answers = pd.DataFrame({
        "respondent_id": ["R1", "jane@example.org", "R3"],
        "question": ["effective_practices"] * 3,
        "org_type": ["Nonprofit CBO", "Government", "Foundation"],
        "state": ["OH", "NY", "MN"],
        "answer": [ANSWER, "Regular check-ins and shared goals.", "Grants end after two years."],
    })
    segments = pd.DataFrame({
        "answer_index": [0, 0, 0, 0, 1, 2],
        "start": [s for s, _ in SPANS] + [0, 0], "end": [e for _, e in SPANS] + [35, 27],
        "themes": ["", "trust", "trust", "funding", "trust", "funding"],
        "score_trust": [0.1, 0.9, 0.6, 0.1, 0.7, 0.2], "score_funding": [0.1, 0.1, 0.1, 0.8, 0.1, 0.9],
    })
    texts = [answers.at[i, "answer"][s:e] for i, s, e in zip(segments["answer_index"], segments["start"],
                                                            segments["end"])]
    vectors = hashing_embedder.encode(texts)

    quotes = select_quotes(answers, segments, vectors, ["trust", "funding"],
                           {"trust": "Trust", "funding": "Funding"},
                           QuoteSettings(per_theme=5, type_column="org_type"), state_column="state")

    assert list(quotes.columns) == QUOTE_COLUMNS
    assert quotes[["theme", "rank", "quote", "attribution", "respondent_id", "score"]].to_dict("records") == [
        {"theme": "trust", "rank": 1, "score": 0.9, "respondent_id": "R1",
         "quote": "...Trust between the directors is what makes it work, and it took years to build....",
         "attribution": "Nonprofit CBO respondent from partnership based in Ohio"},
        {"theme": "trust", "rank": 2, "score": 0.7, "respondent_id": safe_reference("jane@example.org"),
         "quote": "Regular check-ins and shared goals.",
         "attribution": "Government respondent from partnership based in New York"},
        {"theme": "funding", "rank": 1, "score": 0.9, "respondent_id": "R3",
         "quote": "Grants end after two years.",
         "attribution": "Foundation respondent from partnership based in Minnesota"},
        {"theme": "funding", "rank": 2, "score": 0.8, "respondent_id": "R1",
         "quote": "...Trust between the directors is what makes it work, and it took years to build. They call us "
                  "first. Funding is another matter entirely.",
         "attribution": "Nonprofit CBO respondent from partnership based in Ohio"},
    ]


class _Names:
    """A stand-in redactor that knows two names."""

    def redact(self, text: str) -> str:
        return text.replace("Maria Gonzalez", "[name]").replace("Jane", "[name]")

    def redact_many(self, texts):
        return [self.redact(t) for t in texts]


@pytest.mark.parametrize(("text", "expected"), [
    ("Maria Gonzalez (self) respondent from partnership based in Ohio", "Respondent from partnership based in Ohio"),
    ("Nonprofit CBO respondent from partnership based in Jane's county", "Nonprofit CBO respondent"),
    ("Respondent from partnership based in Maria Gonzalez", "Respondent"),
    ("Nonprofit CBO respondent from partnership based in Ohio",
     "Nonprofit CBO respondent from partnership based in Ohio"),
])
def test_attributions_leave_out_metadata_that_holds_pii(text, expected):
    from themes.quotes import deidentify_quotes

    quotes = pd.DataFrame({"quote": ["We trust them."], "attribution": [text]})

    assert deidentify_quotes(quotes, redactor=_Names())["attribution"].tolist() == [expected]


def test_an_answer_over_a_million_characters_can_be_quoted(hashing_embedder):
    from themes.quotes import MAX_QUOTE_CHARS, deidentify_quotes
    from themes.redact import Redactor

    blob = "Trust between the directors is what makes it work, call Maria at 555-201-3344. " + "x" * 1_100_000
    answers = pd.DataFrame({"respondent_id": ["R1"], "question": ["q"], "org_type": ["CBO"], "state": ["OH"],
                            "answer": [blob]})
    segments = pd.DataFrame({"answer_index": [0], "start": [0], "end": [len(blob)], "themes": ["trust"],
                             "score_trust": [0.9]})

    quotes = select_quotes(answers, segments, hashing_embedder.encode(["Trust"]), ["trust"], {"trust": "Trust"},
                           QuoteSettings(per_theme=1), window_scorer=lambda texts, theme, question: np.ones(len(texts)))
    redacted = deidentify_quotes(quotes, redactor=Redactor(use_ner=True))

    [quote] = redacted["quote"]
    assert len(quote) <= MAX_QUOTE_CHARS + 3 and quote.endswith("...")
    assert "[phone]" in quote and "Maria" not in quote


@pytest.mark.slow  # about 100 s: every pattern reads the million characters
def test_the_redactor_reads_texts_longer_than_spacy_allows():
    from themes.redact import Redactor

    # Lowercase filler: pieces without a capital letter skip the model, which keeps the test fast.
    text = "We thank Maria Lopez, 555-201-3344. " + "partners meet monthly and share data. " * 30_000

    out = Redactor(use_ner=True).redact(text)

    assert out.startswith("We thank [name], [phone]. partners meet monthly") and len(out) > 1_000_000

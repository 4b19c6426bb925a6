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


def test_excerpt_cut_never_leaves_part_of_a_phone_number():
    """A run-on sentence cut at its last word kept "call me on +44 20 7946..." (9 of 12 digits): the cut text no
    longer read as a phone number when the quote was de-identified. The patterns now run before the cut."""
    text = ("We have no money for staff and the clinic never calls back so if anyone wants to help call me on "
            "+44 20 7946 0958 any day.")
    words = len(text.split(" "))
    quote = excerpt(text, spans_of(text), 0, min_words=1, max_words=words - 4)
    assert "7946" not in quote and quote.startswith("We have no money") and "call me on [phone]" in quote
    assert excerpt(text, spans_of(text), 0, min_words=1, max_words=words) == text  # not cut: left to the redactor


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
    # Short lines in lower case are items too, once the cleaning took their bullets (the sample's R109).
    ("# referrals sent/received\n% referrals closed\ntime to first contact\nneeds resolved at 90 days",
     "# referrals sent/received / % referrals closed / time to first contact..."),  # three sentences at most
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
    # REDCap's raw export codes choices as numbers: "1 respondent" would read as one respondent
    ({"org_type": "1", "state": "12"}, "Respondent"),
])
def test_attribution(meta, expected):
    assert attribution(meta, columns=("org_type", "state")) == expected


@pytest.mark.parametrize(("columns", "expected"), [
    # A place-like name ("State / territory", "region") says where; any other column says who.
    (("Organization category", "State / territory"), "Hospital respondent from partnership based in Ohio"),
    (("State / territory",), "Respondent from partnership based in Ohio"),
    (("Organization category",), "Hospital respondent"),
    (("Organization category", "size", "region"), "Hospital, Large respondent from partnership based in Midwest"),
    ((), "Respondent"),
])
def test_attribution_with_named_columns(columns, expected):
    meta = {"Organization category": "Hospital", "State / territory": "OH", "size": "Large", "region": "Midwest",
            "org_type": "Nonprofit CBO", "state": "NY"}

    assert attribution(meta, columns=columns) == expected


@pytest.mark.parametrize(("meta_columns", "named", "expected"), [
    (("org_type", "state", "year"), (), ("org_type", "state")),  # the default: type and state, when present
    (("year",), (), ()),
    (("org_type", "state"), ("state",), ("state",)),
    (("org_category", "state"), ("org_category", "state"), ("org_category", "state")),
])
def test_attribution_columns(meta_columns, named, expected):
    from themes.quotes import attribution_columns

    assert attribution_columns(meta_columns, named) == expected


def test_attribution_never_uses_the_id():
    meta = {"respondent_id": "jane.doe@example.org", "org_type": "Nonprofit CBO", "state": "CA"}

    text = attribution(meta, columns=("org_type", "state"))

    assert "jane" not in text and "example" not in text
    assert attribution(meta, columns=()) == "Respondent"


@pytest.mark.parametrize("respondent_id", ["maria.lopez@example.org", "555-123-4567", "(555) 123 4567",
                                           "Jane Doe", "jane.doe", "123-45-6799", "5552013344", "MRN00123456",
                                           "bsmith", "=HYPERLINK(\"http://x\")"])
def test_safe_reference_pseudonymises_contact_details(respondent_id):
    reference = safe_reference(respondent_id)

    assert re.fullmatch(r"resp-[0-9a-f]{8}", reference)
    assert reference == safe_reference(respondent_id)  # stable
    assert reference != safe_reference(respondent_id + "x")


@pytest.mark.parametrize("respondent_id", ["R1", "gen-72e094a1", "R1~2", "1042", "resp-0042", "ID_17", "RESP12",
                                           "cbo12", "ORG7", "R_3fJ0kP8aQ2xYzAb", "R_1abcDEF2ghiJKL3~2"])
def test_safe_reference_keeps_plain_ids(respondent_id):
    assert safe_reference(respondent_id) == respondent_id


@pytest.mark.parametrize("respondent_id", ["Mary01", "jdoe12", "Kim_7", "Bob-1962", "JDOE12", "KIM42", "TRAN88",
                                           "MRN123456", "MEMB-004512", "user123", "case-123456"])
def test_ids_made_of_a_name_or_a_user_name_are_pseudonymised(respondent_id):
    assert re.fullmatch(r"resp-[0-9a-f]{8}", safe_reference(respondent_id))


def test_pseudonyms_are_keyed_by_a_key_made_once_per_user(tmp_path, monkeypatch):
    """An unkeyed hash of a phone number is found by hashing every phone number (seconds): the key, made at
    random once and kept in the user's configuration folder, keeps pseudonyms stable and unguessable."""
    import hashlib

    from themes import quotes

    monkeypatch.delenv(quotes.PSEUDONYM_KEY_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "one"))
    phone = "617-555-0111"
    first = safe_reference(phone)
    key_file = tmp_path / "one" / "themes" / "pseudonym.key"
    assert key_file.is_file() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert safe_reference(phone) == first  # the same key again
    assert first != "resp-" + hashlib.sha1(phone.encode()).hexdigest()[:8]
    assert quotes.key_fingerprint() == {"fingerprint": hashlib.sha256(key_file.read_text().strip().encode())
                                        .hexdigest()[:12], "kept": str(key_file)}
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "two"))  # another machine: another key
    assert safe_reference(phone) != first
    monkeypatch.setenv(quotes.PSEUDONYM_KEY_ENV, key_file.read_text().strip())  # its key, shared
    assert safe_reference(phone) == first


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
                           QuoteSettings(per_theme=5, type_column="org_type"), attribute_with=("org_type", "state"))

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
        # The sentences before it are about trust, not funding: the funding quote does not grow into them.
        {"theme": "funding", "rank": 2, "score": 0.8, "respondent_id": "R1",
         "quote": "...Funding is another matter entirely.",
         "attribution": "Nonprofit CBO respondent from partnership based in Ohio"},
    ]
    # A group the theme's breakdown hides is left out of that theme's attributions, and of the other quotes of the
    # same respondents (R1's trust quote): a respondent reads alike on every sheet, whose respondent_id joins them.
    hidden = {"funding": {"org_type": {"Nonprofit CBO"}, "state": {"MN"}}}
    shown = select_quotes(answers, segments, vectors, ["trust", "funding"], {"trust": "Trust", "funding": "Funding"},
                          QuoteSettings(per_theme=5, type_column="org_type"), attribute_with=("org_type", "state"),
                          hidden=hidden)
    assert shown["attribution"].tolist() == [
        "Respondent from partnership based in Ohio", "Government respondent from partnership based in "
        "New York", "Foundation respondent", "Respondent from partnership based in Ohio"]


def _quoted(embedder, rows: list[tuple[str, str, str, dict]], themes: list[str], per_theme: int) -> dict:
    """Each theme's quoted respondents, of passages (respondent, text, themes, scores)."""
    answers = pd.DataFrame({"respondent_id": [r[0] for r in rows], "question": ["q"] * len(rows),
                            "answer": [r[1] for r in rows]})
    segments = pd.DataFrame({"answer_index": range(len(rows)), "start": [0] * len(rows),
                             "end": answers["answer"].str.len(), "themes": [r[2] for r in rows],
                             **{f"score_{t}": [r[3].get(t, 0.0) for r in rows] for t in themes}})
    quotes = select_quotes(answers, segments, embedder.encode(answers["answer"].tolist()), themes,
                           dict(zip(themes, themes)), QuoteSettings(per_theme=per_theme, min_words=4))
    return {theme: quotes.loc[quotes["theme"] == theme, "respondent_id"].tolist() for theme in themes}


def test_a_respondent_quoted_twice_gives_way_to_others_where_there_are_others(hashing_embedder):
    """Review 156: one respondent was quoted four times (a mosque, a tribal council, their CHWs: together, a picture
    of them). Across the report a respondent is quoted at most twice where the theme has others to quote; where it
    has too few, still."""
    from themes.quotes import QUOTES_PER_RESPONDENT

    assert QUOTES_PER_RESPONDENT == 2
    rows = [("R1", "We trust the hospital's staff after ten years together.", "trust", {"trust": 0.95}),
            ("R1", "Grants from the county end every June, so we start over.", "funding", {"funding": 0.95}),
            ("R1", "Shared data lets us follow each family's referrals over time.", "data", {"data": 0.95}),
            ("R2", "We have trusted our partners since the very first day of work.", "trust", {"trust": 0.3}),
            ("R3", "Our grants are never enough to pay the outreach staff we need.", "funding", {"funding": 0.3}),
            ("R4", "Regular data reports keep both partners on the same page.", "data", {"data": 0.3})]
    themes = ["trust", "funding", "data"]
    assert _quoted(hashing_embedder, rows, themes, 1) == {"trust": ["R1"], "funding": ["R1"], "data": ["R4"]}
    assert _quoted(hashing_embedder, rows, themes, 2) == {"trust": ["R1", "R2"], "funding": ["R1", "R3"],
                                                          "data": ["R4", "R1"]}


def test_a_passage_quoted_under_one_theme_gives_way_under_another(hashing_embedder):
    """Review 156: "Shared data and regular meetings ..." was quoted under data collection and under full access."""
    rows = [("R5", "Shared data and regular meetings keep both partners on the same page.", "a;b",
             {"a": 0.95, "b": 0.95}),
            ("R6", "We have trusted our partners since the very first day of work.", "a", {"a": 0.3}),
            ("R7", "Regular data reports go to the county every single quarter.", "b", {"b": 0.3})]
    assert _quoted(hashing_embedder, rows, ["a", "b"], 1) == {"a": ["R5"], "b": ["R7"]}
    assert _quoted(hashing_embedder, rows, ["a", "b"], 2) == {"a": ["R5", "R6"], "b": ["R7", "R5"]}


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

    # (a sentence that gives a phone number is left out of a quote: a name is what this one holds)
    blob = "Trust between the directors is what makes it work, Maria Gonzalez says. " + "x" * 1_100_000
    answers = pd.DataFrame({"respondent_id": ["R1"], "question": ["q"], "org_type": ["CBO"], "state": ["OH"],
                            "answer": [blob]})
    segments = pd.DataFrame({"answer_index": [0], "start": [0], "end": [len(blob)], "themes": ["trust"],
                             "score_trust": [0.9]})

    quotes = select_quotes(answers, segments, hashing_embedder.encode(["Trust"]), ["trust"], {"trust": "Trust"},
                           QuoteSettings(per_theme=1), window_scorer=lambda texts, theme, question: np.ones(len(texts)))
    redacted = deidentify_quotes(quotes, redactor=Redactor(use_ner=True))

    [quote] = redacted["quote"]
    assert len(quote) <= MAX_QUOTE_CHARS + 3 and quote.endswith("...")
    assert "[name]" in quote and "Maria" not in quote


@pytest.mark.slow  # about 100 s: every pattern reads the million characters
def test_the_redactor_reads_texts_longer_than_spacy_allows():
    from themes.redact import Redactor

    # Lowercase filler: pieces without a capital letter skip the model, which keeps the test fast.
    text = "We thank Maria Lopez, 555-201-3344. " + "partners meet monthly and share data. " * 30_000

    out = Redactor(use_ner=True).redact(text)

    assert out.startswith("We thank [name], [phone]. partners meet monthly") and len(out) > 1_000_000


# A quote never repeats a passage, holds only the survey's language and only what carries its theme ---------

PASTED = "Monthly meetings with the hospital's community liaison keep us honest about what families need."


def _quotes_of(answers: pd.DataFrame, segments: pd.DataFrame, embedder, window_scorer=None, **kwargs) -> pd.DataFrame:
    texts = [answers.at[i, "answer"][s:e] for i, s, e in zip(segments["answer_index"], segments["start"],
                                                            segments["end"])]
    return select_quotes(answers, segments, embedder.encode(texts), ["trust"], {"trust": "Trust"},
                         QuoteSettings(per_theme=5, **kwargs), window_scorer=window_scorer)


def test_a_passage_two_respondents_wrote_is_quoted_once(hashing_embedder):
    # Two respondents pasted the same paragraph (one in capitals, with other spacing) into long answers about
    # other things: their segments are far apart, but the window each is trimmed to is the same passage.
    first = ("We run a food pantry on Tuesdays. We deliver boxes to seniors on Fridays. Volunteers pack the "
             "boxes on Thursdays. " + PASTED)
    second = (PASTED.upper().replace(" ", "  ") + " Our board approved the budget last spring. The roof of the "
              "church hall leaks in winter. Parking downtown is limited.")
    third = "Honest partners who call when things go wrong are what make this partnership last for years."
    answers = pd.DataFrame({"respondent_id": ["R1", "R2", "R3"], "question": ["q"] * 3,
                            "answer": [first, second, third]})
    segments = pd.DataFrame({"answer_index": [0, 1, 2], "start": [0, 0, 0],
                             "end": [len(first), len(second), len(third)], "themes": ["trust"] * 3,
                             "score_trust": [0.9, 0.85, 0.6]})

    def liaison(texts, theme, question):  # the window with the pasted passage, and nothing more, scores best
        return np.array([("liaison" in t.casefold()) - 0.001 * len(t.split()) for t in texts])

    quotes = _quotes_of(answers, segments, hashing_embedder, window_scorer=liaison)

    assert quotes["quote"].tolist() == [f"...{PASTED}", third]
    assert list(quotes["respondent_id"]) == ["R1", "R3"] and list(quotes["rank"]) == [1, 2]


def test_a_sentence_in_another_language_is_not_quoted(hashing_embedder):
    english = ("Trust between our director and the hospital's nurse manager is what makes the referrals work. "
               "It took us four years of showing up to build it.")
    spanish = " Además, el programa de huertos comunitarios abrió sus puertas en mayo con muchas familias."
    answer = english + spanish
    answers = pd.DataFrame({"respondent_id": ["R1"], "question": ["q"], "answer": [answer]})
    segments = pd.DataFrame({"answer_index": [0], "start": [0], "end": [len(answer)], "themes": ["trust"],
                             "score_trust": [0.9]})

    [quote] = _quotes_of(answers, segments, hashing_embedder)["quote"]

    assert quote == english + "..."
    # Spanish is the survey's language: then the English sentences are the ones left out.
    [quote] = _quotes_of(answers, segments, hashing_embedder, languages=("es",))["quote"]
    assert quote == "..." + spanish.strip()


def test_a_quote_grows_only_into_segments_that_carry_its_theme(hashing_embedder):
    answers = pd.DataFrame({"respondent_id": ["R1"], "question": ["q"], "answer": [ANSWER]})
    segments = pd.DataFrame({"answer_index": [0] * 4, "start": [s for s, _ in SPANS], "end": [e for _, e in SPANS],
                             "themes": ["", "funding", "", "funding"], "score_funding": [0.1, 0.7, 0.1, 0.9]})
    vectors = hashing_embedder.encode([ANSWER[s:e] for s, e in SPANS])

    quotes = select_quotes(answers, segments, vectors, ["funding"], {"funding": "Funding"},
                           QuoteSettings(per_theme=1))

    # Too short alone (min_words 12), but the sentences before it are about trust: not added to a funding quote.
    assert quotes["quote"].tolist() == ["...Funding is another matter entirely."]


@pytest.mark.parametrize(("quote", "taken", "repeats"), [
    ("...Monthly meetings keep us honest about what families need.", ["MONTHLY  MEETINGS keep us honest about "
                                                                      "what families need...."], True),
    ("Monthly meetings keep us honest about what families need.", ["We run a pantry. Monthly meetings keep us "
                                                                   "honest about what families need."], True),
    ("Hire more staff.", ["We need to hire more staff and pay them what the hospital pays."], False),
    ("Monthly meetings keep us honest.", ["Quarterly meetings keep us honest about what families need."], False),
])
def test_what_counts_as_a_repeated_passage(quote, taken, repeats):
    from themes.quotes import _passage_key, _repeats

    assert _repeats(_passage_key(quote), [_passage_key(t) for t in taken]) is repeats


def _twelve_cbos_and_three_tribal_organizations() -> pd.DataFrame:
    """Fifteen respondents in Michigan, each with one answer on trust in words of their own."""
    types = ["Nonprofit CBO"] * 12 + ["Tribal organization"] * 3
    words = ("directors clinic hospital county pantry shelter nurses coaches elders pastors teachers drivers "
             "navigators volunteers lawyers").split()
    return pd.DataFrame({"respondent_id": [f"R{i}" for i in range(15)], "question": ["practices"] * 15,
                         "org_type": types, "state": ["MI"] * 15, "status": ["coded"] * 15,
                         "answer": [f"Trust with the {w} grew over {i + 2} years of {w} meetings, {w} visits and "
                                    f"shared {w} work, and the {w} keep their word." for i, w in enumerate(words)]})


def test_a_quote_does_not_name_a_group_too_small_to_show(hashing_embedder):
    """Three tribal organizations: the breakdowns suppress their group, so their quotes do not name it."""
    from themes.quotes import QuoteSettings, select_quotes

    answers = _twelve_cbos_and_three_tribal_organizations()
    segments = pd.DataFrame({"answer_index": range(15), "start": 0, "end": answers["answer"].str.len(),
                             "themes": "trust", "score_trust": [0.9 + i / 1000 for i in range(15)]})
    vectors = hashing_embedder.encode(list(answers["answer"]))

    def attributions(min_group: int) -> set[str]:
        picked = select_quotes(answers, segments, vectors, ["trust"], {"trust": "Trust"},
                               QuoteSettings(per_theme=15, type_column="org_type", min_group=min_group),
                               attribute_with=("org_type", "state"))
        return set(picked["attribution"])

    assert "Tribal organization respondent from partnership based in Michigan" in attributions(1)
    shown = attributions(10)
    assert not any("Tribal" in a for a in shown)
    assert "Respondent from partnership based in Michigan" in shown


def test_a_quote_does_not_name_a_combination_too_small_to_show(hashing_embedder):
    """Government (12 respondents) and Ohio (12) are each common enough; the one Government respondent in Ohio
    is a group of one: that quote leaves the place out."""
    from themes.quotes import QuoteSettings, select_quotes

    types = ["Government"] * 12 + ["Nonprofit CBO"] * 11
    states = ["MI"] * 11 + ["OH"] * 12
    words = ("directors clinic hospital county pantry shelter nurses coaches elders pastors teachers drivers "
             "navigators volunteers lawyers farmers grocers barbers imams doulas chefs tutors medics").split()
    answers = pd.DataFrame({"respondent_id": [f"R{i}" for i in range(23)], "question": ["practices"] * 23,
                            "org_type": types, "state": states, "status": ["coded"] * 23,
                            "answer": [f"Trust with the {w} grew over {i + 2} years of {w} meetings, {w} visits and "
                                       f"shared {w} work, and the {w} keep their word." for i, w in enumerate(words)]})
    segments = pd.DataFrame({"answer_index": range(23), "start": 0, "end": answers["answer"].str.len(),
                             "themes": "trust", "score_trust": [0.9 + i / 1000 for i in range(23)]})
    vectors = hashing_embedder.encode(list(answers["answer"]))
    picked = select_quotes(answers, segments, vectors, ["trust"], {"trust": "Trust"},
                           QuoteSettings(per_theme=23, min_group=10), attribute_with=("org_type", "state"))
    by_id = dict(zip(picked["respondent_id"], picked["attribution"]))
    assert by_id["R11"] == "Government respondent"  # the one Government respondent in Ohio
    assert by_id["R0"] == "Government respondent from partnership based in Michigan"  # 11 of them
    assert by_id["R12"] == "Nonprofit CBO respondent from partnership based in Ohio"


def test_the_manifest_names_the_pseudonym_key_by_its_fingerprint_only_when_an_id_needed_one():
    from types import SimpleNamespace

    from themes.export import _pseudonyms
    from themes.quotes import key_fingerprint

    plain = SimpleNamespace(answers=pd.DataFrame({"respondent_id": ["R1", "R2"]}))
    assert _pseudonyms(plain) == {}
    mailed = SimpleNamespace(answers=pd.DataFrame({"respondent_id": ["R1", "jane@example.org"]}))
    assert _pseudonyms(mailed) == {"pseudonym_key": key_fingerprint()}
    assert key_fingerprint()["kept"] == "$THEMES_PSEUDONYM_KEY"  # the tests' key (conftest), never its text
    assert "tests-only-key" not in str(key_fingerprint())


@pytest.mark.parametrize(("columns", "expected"), [
    (["org_type", "state"], ("org_type", "state")),
    (["Organization type", "Partnership state"], ("Organization type", "Partnership state")),
    (["grp_about/org_type", "grp_about/state"], ("grp_about/org_type", "grp_about/state")),
    (["Organization category", "State / territory"], ("Organization category", "State / territory")),
    (["Sector", "Region"], ("Sector", "Region")),  # where no state is given (review 148: "Respondent" alone)
    (["Region", "State"], (None, "State")),
    (["Sector", "County", "City"], ("Sector", None)),  # a county or a city can narrow a quote to a few people
    (["Sector", "County/Region", "Region (city)"], ("Sector", None)),  # nor one named a region too (review 153)
    (["funding_source", "cohort"], (None, None)),
])
def test_quotes_are_attributed_with_the_type_and_state_columns_the_run_guessed(columns, expected):
    """The run announced "metadata 'Organization type', 'Partnership state' (guessed from their names)", and every
    quote read "Respondent": attribution looked for the names org_type and state only."""
    from themes.quotes import type_and_state_columns

    assert type_and_state_columns(columns) == expected


@pytest.mark.parametrize(("columns", "labels", "expected"), [
    # the partner's type and state came first, and quotes read "Health system respondent" for a CBO (review 144)
    (["Partner organization type", "Partner state", "Your organization type", "State where your organization is "
      "located"], {}, ("Your organization type", "State where your organization is located")),
    (["Partner organization type", "Partner's state"], {}, (None, None)),
    (["Which of the following best describes your organization?", "In which state is your partnership based?"], {},
     ("Which of the following best describes your organization?", "In which state is your partnership based?")),
    # Qualtrics: the question is written over a column named Q1
    (["Q1", "Q2"], {"Q1": "Which of the following best describes your organization? - Selected Choice",
                    "Q2": "In which state is your partnership based?"}, ("Q1", "Q2")),
    (["Q1", "Q2"], {"Q1": "Partner organization type", "Q2": "Your organization type"}, ("Q2", None)),
])
def test_quotes_are_attributed_with_the_respondents_own_type_and_state(columns, labels, expected):
    from themes.quotes import attribution, type_and_state_columns, who_column

    assert type_and_state_columns(columns, labels) == expected
    if expected == ("Q1", "Q2"):  # Q2 says where by its question: the place of the attribution, not a second "who"
        assert who_column(expected, labels) == "Q1"
        assert attribution({"Q1": "Nonprofit CBO", "Q2": "OH"}, columns=expected, labels=labels) == \
            "Nonprofit CBO respondent from partnership based in Ohio"


def test_a_type_is_quoted_from_the_respondents_its_count_holds(hashing_embedder):
    """A respondent counts under the most integrated type of their answers: quoting their passage of a less
    integrated one under it (a 'partner level' quote from a respondent counted at policy level) set the quotes
    against the count and the evidence."""
    answers = pd.DataFrame({"respondent_id": ["R1", "R1", "R2"], "question": ["effective_practices"] * 3,
                            "answer": ["We refer clients to the clinic every week.",
                                       "Our staff work side by side in one building.",
                                       "We send people to the hospital's intake line."]})
    segments = pd.DataFrame({"answer_index": [0, 1, 2], "start": [0, 0, 0], "end": [len(a) for a in answers["answer"]],
                             "themes": ["service.referral", "service.joint", "service.referral"],
                             "score_service.referral": [0.9, 0.1, 0.6], "score_service.joint": [0.1, 0.9, 0.1]})
    vectors = hashing_embedder.encode(list(answers["answer"]))
    ids, labels = ["service.referral", "service.joint"], {"service.referral": "Referral", "service.joint": "Joint"}
    counted = {"service.referral": {"R2"}, "service.joint": {"R1"}}
    quotes = select_quotes(answers, segments, vectors, ids, labels, QuoteSettings(per_theme=5),
                           type_respondents=counted)
    assert quotes[["theme", "respondent_id"]].values.tolist() == [["service.referral", "R2"], ["service.joint", "R1"]]
    everyone = select_quotes(answers, segments, vectors, ids, labels, QuoteSettings(per_theme=5))
    assert everyone["respondent_id"].tolist() == ["R1", "R2", "R1"]  # without it, as before


def test_a_quote_leaves_out_contact_sentences_list_markers_and_fragments(hashing_embedder):
    """A program officer's workbook: "Reach [name] at [email], [phone], to hear how we built it." in a trust quote,
    "'-Trust." with its bullet, and "Care coordination." as a quote."""
    texts = ["Trust between our directors is what makes it work. Reach Tom at tom.b@stlukes.org, ext 4411, to hear "
             "how we built it.",
             "- Trust that we earned over fifteen years of working side by side.",
             "Care coordination.",
             "Call Tom at 555-201-3344. Great partners. Email tom@x.org.",  # "... Great partners. ...": two words
             "For data questions contact our evaluator, Ann Lee, ann@clinic.org, 555-867-5309."]
    answers = pd.DataFrame({"respondent_id": ["R1", "R2", "R3", "R4", "R5"], "question": ["q"] * 5, "answer": texts})
    segments = pd.DataFrame({"answer_index": range(5), "start": 0, "end": [len(t) for t in texts],
                             "themes": "trust", "score_trust": [0.9, 0.8, 0.7, 0.65, 0.6]})

    quotes = _quotes_of(answers, segments, hashing_embedder)

    assert quotes["quote"].tolist() == ["Trust between our directors is what makes it work. ...",
                                        "Trust that we earned over fifteen years of working side by side."]


@pytest.mark.parametrize(("quote", "expected"), [
    ("...They protect their turf. Contact Tom, tom@x.org. We meet monthly.", "...They protect their turf. ... "
     "We meet monthly."),
    ("Call us when it matters. It helps.", "Call us when it matters. It helps."),  # no number, nothing left out
    ("Text 555-867-5309 for rides. Call 555-867-5310 for food.", ""),
    # a second review: a number that says something is kept, and "Dr." ends no sentence
    ("Our navigator line (555-201-3344) gets 300 calls a week from patients who cannot reach their doctor.",
     "Our navigator line (555-201-3344) gets 300 calls a week from patients who cannot reach their doctor."),
    ("Call Dr. Smith at 555-201-3344. She built our whole referral model.", "... She built our whole referral model."),
    # a contact detail with its label alone invites no contact in words, and was quoted (review 159)
    ("We trust each other because we went to school together. Phone 555-201-3344.",
     "We trust each other because we went to school together. ..."),
    ("Email: ana@clinic.org. Office line 555-0143. Funding ends in June.", "... Funding ends in June."),
    ("Our data lead, ana@clinic.org, built the shared dashboard.", "Our data lead, ana@clinic.org, built the shared "
     "dashboard."),  # says something: kept, its address a placeholder where it is shown
])
def test_what_a_quote_keeps_of_its_contact_sentences(quote, expected):
    from themes.quotes import without_contact

    assert without_contact(quote) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("- Trust.", "Trust."), ("+Mutual respect and trust.", "Mutual respect and trust."), ("• Funding.", "Funding."),
    ("*Everything* depends on trust.", "*Everything* depends on trust."),  # emphasis, not a bullet
    ("12. That is how many partners joined.", "12. That is how many partners joined."),  # a count, kept
])
def test_a_quote_drops_the_list_marker_that_opens_it_and_nothing_else(answer, expected):
    assert excerpt(answer, [(0, len(answer))], 0, min_words=12, max_words=60) == expected


def test_quotes_spread_over_the_types_they_will_be_attributed_with(hashing_embedder):
    """A type too small to show is not drawn for its novelty: its quotes read "Respondent", and drawn for being new
    they gave 29 of the sample's 100 quotes no attribution (13 now; 11% of its respondents are of such types)."""
    from themes.quotes import QuoteSettings, select_quotes

    answers = _twelve_cbos_and_three_tribal_organizations()
    segments = pd.DataFrame({"answer_index": range(15), "start": 0, "end": answers["answer"].str.len(),
                             "themes": "trust", "score_trust": [0.9] * 12 + [0.86] * 3})
    vectors = hashing_embedder.encode(list(answers["answer"]))

    def tribal_quoted(min_group: int) -> int:
        picked = select_quotes(answers, segments, vectors, ["trust"], {"trust": "Trust"},
                               QuoteSettings(per_theme=3, type_column="org_type", min_group=min_group),
                               attribute_with=("org_type", "state"))
        return int(picked["respondent_id"].isin([f"R{i}" for i in (12, 13, 14)]).sum())

    assert tribal_quoted(1) == 1  # shown: spread to, once
    assert tribal_quoted(10) == 0  # hidden: no pull towards it

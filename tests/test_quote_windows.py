"""A long coded segment is trimmed to its best one to three sentences for a quote."""

from __future__ import annotations

import numpy as np

from themes.quotes import best_window
from themes.segment import split_sentences

ANSWER = ("We run a food pantry on Tuesdays. We also deliver boxes to seniors. Our volunteers are great. "
          "Honestly the hospital and us trust each other now, after years of working side by side. "
          "The building needs a new roof. Parking is limited.")


def trust_score(texts: list[str]) -> np.ndarray:
    return np.array([("trust" in t) + 0.01 * len(t.split()) for t in texts])


def test_the_window_that_scores_best_is_chosen():
    sentences = split_sentences([ANSWER])[0]
    start, end = best_window(ANSWER, (0, len(ANSWER)), sentences, trust_score, min_words=12, max_words=60)
    window = ANSWER[start:end]
    assert "trust each other" in window
    assert 1 <= sum(1 for s, e in sentences if s >= start and e <= end) <= 3
    assert len(window.split()) >= 12


def test_a_short_segment_is_kept_whole():
    text = "Trust between the directors. It took ten years."
    sentences = split_sentences([text])[0]
    assert best_window(text, (0, len(text)), sentences, trust_score, min_words=12, max_words=60) is None


def test_the_window_respects_the_word_bound():
    sentences = split_sentences([ANSWER])[0]
    start, end = best_window(ANSWER, (0, len(ANSWER)), sentences, trust_score, min_words=5, max_words=20)
    assert len(ANSWER[start:end].split()) <= 20


def test_fragments_are_quoted_after_full_sentences():
    import pandas as pd

    from themes.quotes import QuoteSettings, select_for_theme

    candidates = pd.DataFrame({"score": [0.99, 0.9], "respondent_id": ["R1", "R2"],
                               "text": ["Hire more staff.",
                                        "Our grant ends next year and nobody has budgeted for the two navigators after that."]})
    vectors = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert select_for_theme(candidates, vectors, QuoteSettings(per_theme=2)) == [1, 0]

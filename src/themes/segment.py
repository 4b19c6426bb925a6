"""Split cleaned answers into sentence segments with character offsets into the cleaned answer.

A blank English spaCy pipeline with the rule-based sentencizer: ~4,000 answers/s, needs no trained
model, and is reliable on survey prose. Each line of a cleaned answer (list item, paragraph) is
split on its own, so a bullet never runs into the next one.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

import pandas as pd

SEGMENT_COLUMNS = ["answer_index", "segment_id", "start", "end", "text"]
_HAS_CONTENT = re.compile(r"[^\W_]")
_LINE = re.compile(r"[^\n]+")
# A sentence ended by a full-width stop ("。", "！", "？") takes no space after it, so the English tokenizer read
# "资金不足。Funding is short" as one sentence (a quote held the Chinese one): a line is split there first.
# A stop inside a quotation that the sentence goes on from ("「資金が足りない。」と言われた。", "他说：“资金不足。”
# 然后…") ends no sentence; one before another quotation, a space or Latin text does ("“资金不足。”Funding is ...").
_CLOSERS = "」』）”’〕】》"
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3"
_FULL_WIDTH_SENTENCE = re.compile(rf"(?:[^。！？]|[。！？]+[{_CLOSERS}]+(?=[{_CJK}]))+[。！？]*[{_CLOSERS}]*"
                                  rf"|[。！？]+[{_CLOSERS}]*")
_WORD = re.compile(r"\S+")
MIN_SEGMENT_CHARS = 12  # shorter pieces ("Yes.", "1)") are joined to their neighbour


@lru_cache(maxsize=1)
def _sentencizer():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    # The rule-based sentencizer needs little memory per character: the 1,000,000-character guard is for
    # trained pipelines, and an answer pasted whole (a report, a data dump) must still be split.
    nlp.max_length = 2**31 - 1
    return nlp


def split_sentences(texts: Sequence[str], *, batch_size: int = 512) -> list[list[tuple[int, int]]]:
    """For each text, the (start, end) character spans of its sentences, lines split first."""
    nlp = _sentencizer()
    parts: list[tuple[int, int, int]] = []  # (line number, part start, part end), a line's parts in order
    line_of: list[int] = []  # line number -> text index
    for index, text in enumerate(texts):
        for line in _LINE.finditer(text):
            line_of.append(index)
            parts += [(len(line_of) - 1, line.start() + m.start(), line.start() + m.end())
                      for m in _FULL_WIDTH_SENTENCE.finditer(line.group())]
    pieces: list[list[tuple[int, int]]] = [[] for _ in line_of]
    docs = nlp.pipe((texts[line_of[n]][s:e] for n, s, e in parts), batch_size=batch_size)
    for (number, start, _), doc in zip(parts, docs):
        pieces[number] += [(start + sent.start_char, start + sent.end_char) for sent in doc.sents]
    spans: list[list[tuple[int, int]]] = [[] for _ in texts]
    for number, found in enumerate(pieces):
        spans[line_of[number]] += _merge_short(texts[line_of[number]], found)
    return spans


def _merge_short(text: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join fragments too short to stand alone to the previous sentence of the same line."""
    merged: list[tuple[int, int]] = []
    for start, end in pieces:
        piece = text[start:end].strip()
        if not _HAS_CONTENT.search(piece):
            continue
        if merged and _width(piece) < MIN_SEGMENT_CHARS:
            merged[-1] = (merged[-1][0], end)
        elif merged and _width(text[merged[-1][0]:merged[-1][1]].strip()) < MIN_SEGMENT_CHARS:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return [_trim(text, start, end) for start, end in merged]


def _width(piece: str) -> int:
    """A piece's length in characters, a wide one (Chinese, Japanese, Korean) counting three: a sentence of eight
    of them ("我们的资金不足。") says as much as one of 24 Latin letters, and stands alone."""
    if piece.isascii():  # no wide character is ASCII
        return len(piece)
    return len(piece) + 2 * sum(unicodedata.east_asian_width(c) in "WF" for c in piece)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def pack(text: str, spans: list[tuple[int, int]], max_words: int) -> list[tuple[int, int]]:
    """Group consecutive sentences into segments of at most about `max_words` words, evenly.

    A short answer stays one segment, so it is classified with all its context; a long one is cut
    at sentence boundaries into near-equal parts (no tiny last part). A single sentence longer
    than `max_words` is a segment of its own.
    """
    if not spans:
        return []
    words = [len(_WORD.findall(text[s:e])) for s, e in spans]
    parts = max(1, math.ceil(sum(words) / max_words))
    target = sum(words) / parts
    groups: list[list[int]] = [[]]
    filled = before = current = 0
    for i, count in enumerate(words):
        # A sentence belongs to the part its middle word falls in, so there are `parts` parts and
        # the last is not a leftover; a part never grows past `max_words`.
        part = min(parts - 1, int((before + count / 2) // target))
        before += count
        if groups[-1] and (part > current or filled + count > max_words):
            groups.append([])
            filled = 0
        current = max(current, part)
        groups[-1].append(i)
        filled += count
    return [(spans[g[0]][0], spans[g[-1]][1]) for g in groups]


def segment_answers(texts: Sequence[str], indices: Iterable[int], *, max_words: int = 80) -> pd.DataFrame:
    """Segments of the given answers, `answer_index` pointing at the answer: runs of whole sentences
    of up to about `max_words` words (see `pack`); `max_words=0` gives one sentence per segment."""
    indices = list(indices)
    spans = split_sentences(texts)
    rows = []
    for answer_index, text, answer_spans in zip(indices, texts, spans):
        segments = pack(text, answer_spans, max_words) if max_words else answer_spans
        for number, (start, end) in enumerate(segments, start=1):
            rows.append((answer_index, number, start, end, text[start:end]))
    return pd.DataFrame(rows, columns=SEGMENT_COLUMNS)

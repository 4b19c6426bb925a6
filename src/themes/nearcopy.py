"""Passages written twice: the same passage with a word added, changed or dropped, escaped for the web, bulleted, or
one split from or merged with another. A coder that learned one of them codes the other from memory, so agreement
measured on it is not agreement (a calibration's passages with " too." added read kappa 0.93 as new ones; the
codebook's examples with " as well." added, 0.975; the test split reads 0.83).

Two passages are copies when, read as words (case, Unicode form, HTML entities, quotes and punctuation aside):
- they share at least `MIN_SHARED` words in order and differ by at most two words, or a fifth of the longer one's
  (an edit: "Funding is short every year" and "Funding is short every year too"); or
- the whole of the shorter, at least `MIN_PART` words long, stands unbroken in the longer (a passage split from a
  longer one, or two merged into one).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from difflib import SequenceMatcher

import numpy as np

from themes.codebook import STRAIGHT_QUOTES, folded_text

MIN_SHARED = 4
MIN_PART = 8
EDIT_SHARE = 0.2
_WORD = re.compile(r"\w+")


def words(text: str) -> tuple[str, ...]:
    text = html.unescape(unicodedata.normalize("NFKC", str(text))).casefold().translate(STRAIGHT_QUOTES)
    return tuple(_WORD.findall(text))


def is_copy(a: Sequence[str], b: Sequence[str]) -> bool:
    """Whether two passages' words (`words`) are one passage written twice (see the module's rules)."""
    if not a or not b:
        return False
    if a == b:
        return True
    blocks = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    matched = sum(block.size for block in blocks)
    changed = len(a) + len(b) - 2 * matched
    if matched >= MIN_SHARED and changed <= max(2, EDIT_SHARE * max(len(a), len(b))):
        return True
    shorter = min(len(a), len(b))
    return shorter >= MIN_PART and max(block.size for block in blocks) == shorter


def _candidates(left: list[tuple[str, ...]], right: list[tuple[str, ...]], same: bool):
    """Pairs (i, j) whose distinct words overlap enough for either rule: most of the smaller's (an edit keeps all
    but a fifth; a part all). Found with one sparse product, so that only those pairs are compared word by word."""
    from scipy import sparse

    vocabulary: dict[str, int] = {}

    def matrix(texts: list[tuple[str, ...]]):
        rows, cols = [], []
        for i, text in enumerate(texts):
            for word in set(text):
                rows.append(i)
                cols.append(vocabulary.setdefault(word, len(vocabulary)))
        return rows, cols

    left_rows, left_cols = matrix(left)
    right_rows, right_cols = matrix(right)
    shape = len(vocabulary)
    a = sparse.csr_matrix((np.ones(len(left_rows), dtype=np.int32), (left_rows, left_cols)), shape=(len(left), shape))
    b = sparse.csr_matrix((np.ones(len(right_rows), dtype=np.int32), (right_rows, right_cols)),
                          shape=(len(right), shape))
    shared = (a @ b.T).tocoo()
    sizes_a = np.asarray(a.sum(axis=1)).ravel()
    sizes_b = np.asarray(b.sum(axis=1)).ravel()
    smaller = np.minimum(sizes_a[shared.row], sizes_b[shared.col])
    keep = (shared.data >= 3) & (shared.data >= 0.6 * smaller)
    if same:
        keep &= shared.row < shared.col
    return zip(shared.row[keep].tolist(), shared.col[keep].tolist())


def copies_of(texts: Sequence[str], known: Sequence[str]) -> np.ndarray:
    """Which of `texts` are copies of one of `known`: the same text as `folded_text` compares them ("Not applicable."
    and "not applicable"), or by the module's rules."""
    seen = {folded_text(t) for t in known} - {""}
    found = np.array([folded_text(t) in seen for t in texts], dtype=bool)
    mine, theirs = [words(t) for t in texts], [words(t) for t in known]
    if not mine or not theirs:
        return found
    for i, j in _candidates(mine, theirs, same=False):
        if not found[i] and is_copy(mine[i], theirs[j]):
            found[i] = True
    return found


def copy_groups(texts: Sequence[str]) -> np.ndarray:
    """A group number per text: texts that are copies of each other (directly or through a chain) share one."""
    mine = [words(t) for t in texts]
    parent = list(range(len(mine)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, text in enumerate(texts):  # the same text, as `folded_text` compares them
        key = folded_text(text)
        if key and key in first:
            parent[root(i)] = root(first[key])
        first.setdefault(key, i)
    if len(mine) > 1:
        for i, j in _candidates(mine, mine, same=True):
            if root(i) != root(j) and is_copy(mine[i], mine[j]):
                parent[root(j)] = root(i)
    return np.array([root(i) for i in range(len(mine))], dtype=np.int64)

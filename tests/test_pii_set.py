"""De-identification measured on data/pii/passages.jsonl: 340 on-theme answers with every piece of PII
annotated (names from many cultures, in lower and upper case; international phones; obfuscated
e-mails; SSN-like and record numbers; addresses; dates of birth; bare domains), and the
organisations and places that must stay.

A piece of PII counts as found when none of its words or digit groups is left in the output; an
organisation or place counts as kept when it is still there verbatim. Precision is over words and
digit groups: of those removed, the share that were PII. `pytest -s` prints the table the README
quotes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from themes.names import fold
from themes.redact import Redactor

PASSAGES = Path(__file__).resolve().parents[1] / "data" / "pii" / "passages.jsonl"
PLACEHOLDER_WORDS = {"name", "email", "phone", "url", "id", "address", "date", "of", "birth"}
BARS = {"email": 0.98, "phone": 0.98, "id": 0.98, "name": 0.95}


def words(text: str) -> list[str]:
    return [w for w in re.findall(r"[^\W_]+", fold(text)) if len(w) > 1 or w.isdigit()]


def measure(rows: list[dict], outputs: list[str]) -> dict:
    found, total, kept, keep_total = Counter(), Counter(), Counter(), Counter()
    removed_pii = removed_other = 0
    misses: dict[str, list[str]] = {}
    for row, out in zip(rows, outputs):
        text, left = row["text"], Counter(words(out))
        pii_words: Counter = Counter()
        for span in row["pii"]:
            pii_words.update(words(text[span["start"]:span["end"]]))
        other = Counter(words(text)) - pii_words
        for span in row["pii"]:
            piece = text[span["start"]:span["end"]]
            total[span["kind"]] += 1
            leaked = [w for w in words(piece) if left[w] > other[w]]
            if leaked:
                misses.setdefault(span["kind"], []).append(piece)
            else:
                found[span["kind"]] += 1
        for span in row["keep"]:
            piece = text[span["start"]:span["end"]]
            keep_total[span["kind"]] += 1
            if out.count(piece) >= text.count(piece):
                kept[span["kind"]] += 1
            else:
                misses.setdefault(f"kept {span['kind']}", []).append(piece)
        removed_pii += sum(max(n - max(left[w] - other[w], 0), 0) for w, n in pii_words.items())
        removed_other += sum(max(n - left[w], 0) for w, n in other.items() if w not in PLACEHOLDER_WORDS)
    return {"recall": {k: found[k] / total[k] for k in total}, "spans": dict(total),
            "kept": {k: kept[k] / keep_total[k] for k in keep_total}, "keep_spans": dict(keep_total),
            "precision": removed_pii / max(removed_pii + removed_other, 1), "misses": misses}


@pytest.fixture(scope="module")
def figures() -> dict:
    rows = [json.loads(line) for line in PASSAGES.read_text(encoding="utf-8").splitlines()]
    outputs = Redactor(use_ner=True).redact_many([row["text"] for row in rows])
    result = measure(rows, outputs)
    print(f"\n{len(rows)} passages")
    for kind, recall in sorted(result["recall"].items()):
        print(f"recall {kind:<11} {recall:.3f}  ({result['spans'][kind]} spans)  missed: "
              f"{sorted(set(result['misses'].get(kind, [])))[:30]}")
    for kind, share in sorted(result["kept"].items()):
        print(f"kept   {kind:<11} {share:.3f}  ({result['keep_spans'][kind]} spans)  lost: "
              f"{sorted(set(result['misses'].get(f'kept {kind}', [])))[:12]}")
    print(f"precision (words removed that were PII) {result['precision']:.3f}")
    return result


def test_the_set_is_large_and_varied():
    rows = [json.loads(line) for line in PASSAGES.read_text(encoding="utf-8").splitlines()]
    kinds = Counter(span["kind"] for row in rows for span in row["pii"])

    assert len(rows) >= 300
    assert set(kinds) == {"name", "email", "phone", "id", "address", "birth_date", "url"}
    assert min(kinds.values()) >= 50
    assert all(row["text"][s["start"]:s["end"]].strip() for row in rows for s in row["pii"] + row["keep"])


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(BARS))
def test_recall_meets_the_bar(figures, kind):
    assert figures["recall"][kind] >= BARS[kind], figures["misses"].get(kind)


@pytest.mark.slow
def test_other_kinds_are_found_too(figures):
    assert min(figures["recall"][k] for k in ("address", "birth_date", "url")) >= 0.95, figures["misses"]


@pytest.mark.slow
def test_organisations_and_places_are_kept(figures):
    assert figures["kept"]["org"] >= 0.95 and figures["kept"]["place"] >= 0.95
    assert figures["precision"] >= 0.9

"""What a passage says is in place, read apart from what it only plans or wishes for.

The framework's rule (codebooks/partnership_models.yaml): a dimension takes the most integrated type
*actually in place, not merely planned*. A model reading "Right now it's just referrals. In five years
we want a shared care coordinator" sees the coordinator and answers "coordinated". So a dimension's
type is read from the passage without its planned sentences, while whether the dimension is
addressed at all is still read from the whole passage (themes.coding).

A sentence counts as planned when it states a wish, a plan or a future step ("we'd like", "hope to",
"the dream is", "in five years", "next fiscal year", "will launch", "not in place yet"). Chosen by
5-fold cross-validation on the framework's calibration split (README, "Agreement").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from themes.segment import split_sentences

PLANNED = re.compile(r"""\b(
    we'?d\ (like|love) | would\ (like|love)\ to
  | (want|wants|wanted|hope|hopes|hoping|plan|plans|planning|aim|aims|aiming|intend|intends)\ to
  | our\ (goal|dream|vision|hope) | the\ (goal|dream|vision|hope)\ is | ^goal\b | that'?s\ the\ dream
  | (we|they|i)\ (really\ |still\ |also\ )?(want|wish)
  | eventually | someday | some\ day | in\ the\ future
  | (in|within)\ (the\ next\ )?(two|three|four|five|ten|\d+)\ years
  | next\ (year|fiscal\ year|spring|summer|fall|winter|month|quarter|phase)
  | (will|would)\ (launch|start|begin|move|become|roll|go\ live)
  | not\ (there|in\ place)\ yet | isn'?t\ in\ place | not\ yet\ in\ place
)\b""", re.X | re.I)


def in_place(texts: Sequence[str]) -> list[str | None]:
    """Each text without its planned sentences; None where no sentence is planned, or every one is
    (the text then stands as it is: there is nothing else to read the type from)."""
    out: list[str | None] = [None] * len(texts)
    candidates = [i for i, text in enumerate(texts) if PLANNED.search(text)]  # most texts plan nothing
    spans = split_sentences([texts[i] for i in candidates])
    for i, sentences in zip(candidates, spans):
        text = texts[i]
        kept = [text[s:e].strip() for s, e in sentences if not PLANNED.search(text[s:e])]
        if kept and len(kept) < len(sentences):
            out[i] = " ".join(kept)
    return out

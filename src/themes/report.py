"""The findings report, as Markdown and as one self-contained, accessible HTML file.

Both are built from one `ReportData`; every text in them has already been de-identified by the
caller. The HTML has no external scripts, fonts or images: charts are inline SVG with a title and
a description for screen readers.
"""

from __future__ import annotations

import hashlib
import textwrap
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from themes.aggregate import NOT_DESCRIBED
from themes.prevalence import corrected, too_few_coded

from themes.safe import escape

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class ReportData:
    title: str
    counts: pd.DataFrame  # theme, label, respondents, percent, segments, base_respondents
    quotes: pd.DataFrame  # theme, label, rank, quote, attribution
    breakdowns: dict[str, pd.DataFrame]  # meta column -> long counts (column, theme, respondents, percent, base)
    co_occurrence: pd.DataFrame
    accounting: dict[str, int]
    method: dict[str, object]
    respondents: int
    usable_respondents: int
    agreement: dict | None = None
    notes: list[str] = field(default_factory=list)
    # The partnership-models matrix: one type per respondent and dimension (framework_counts), and
    # the same by one metadata column (the respondent type) when the run has one.
    framework: pd.DataFrame | None = None
    framework_by: tuple[str, pd.DataFrame] | None = None
    # Per theme and question at the answer level (counts.question_counts): question, theme, base_answers, ...
    by_question: pd.DataFrame | None = None
    # Every coded passage behind the counts, de-identified: theme, respondent_id, question, passage, score
    # (quotes.deidentify_evidence); the HTML lists them and links each count to its list.
    evidence: pd.DataFrame | None = None
    run_date: date | None = None  # shown under the title: "Run on 28 November 2026 from responses.csv."
    source: str | None = None  # the input file's name
    quotes_per_theme: int | None = None  # what the run asked for; 0: no quotes at all
    min_group: int | None = None  # the smallest group a breakdown shows (--min-group)
    # What a platform that names its columns Q1, Q2 (Qualtrics) writes under each: the question it asks, by column
    # (question or metadata), de-identified. A program officer read "By Q1" and a row "Q3" with no word of either.
    asked: dict[str, str] = field(default_factory=dict)
    sent_again: int = 0  # respondents whose submission is another's sent again, read once (themes.status)


# A matrix with more value columns than this stacks in print (each row a block), as every table does on a
# phone: six themes side by side do not fit a portrait page at a readable size.
WIDE_COLUMNS = 5


def lede(data: ReportData) -> str:
    """Who the figures are of; and, for a survey smaller than the smallest group a breakdown shows, that its
    overall figures describe each respondent as a breakdown's hidden group would."""
    def many(n: int, word: str) -> str:
        return f"{n} {word}{'s' * (n != 1)}"

    said = (f"{many(data.respondents, 'respondent')} gave {many(data.accounting['input_answers'], 'answer')}; "
            f"{many(data.usable_respondents, 'respondent')} gave at least one answer that could be coded. Percentages "
            "are of "
            f"{'those respondents' if data.usable_respondents != 1 else 'that respondent'}.")
    if data.sent_again:  # a form sent twice, or filled in again with edits: one respondent, counted once
        said += (f" {many(data.sent_again, 'submission')} {'were' if data.sent_again != 1 else 'was'} another's sent "
                 "again (the same answers, one answer edited, or the same sender's e-mail) and counted once, as "
                 "the fuller version.")
    if data.min_group and 0 < data.usable_respondents < data.min_group:
        said += (f" They are fewer than the smallest group a breakdown shows ({data.min_group}, --min-group), so "
                 "these figures describe each of them closely: share this report as you would their answers.")
    return said


def dateline(data: ReportData) -> str | None:
    if data.run_date is None:
        return None
    return f"Run on {data.run_date.day} {data.run_date:%B %Y}" + (f" from {data.source}" if data.source else "") + "."


FRAMEWORK_RULE = ("A respondent's type for a dimension is the most integrated type described across their "
                  "answers (types run from least to most integrated); \"not described\" means no answer of "
                  "theirs described the dimension.")


def framework_matrix(data: ReportData) -> pd.DataFrame:
    """Rows: each dimension's types and "not described"; columns: percent of all respondents, then
    of each group of the breakdown column (with its base n in the heading)."""
    frame = data.framework

    def shares(part: pd.DataFrame) -> list[str]:  # each dimension as its own rows are: corrected, or raw
        out = []
        for _, rows in part.groupby("dimension", sort=False):
            if "suppressed" in rows and rows["suppressed"].astype(bool).all():
                out += ["—"] * len(rows)  # a dimension hidden in this group, to protect its respondents
            elif "method" in rows and corrected(rows):
                out += [cell(e, lo, hi) for e, lo, hi in zip(rows["estimate"], rows["low"], rows["high"])]
            else:
                out += [cell(p) for p in rows["percent"]]
        return out

    matrix = frame[["dimension_label", "label"]].rename(columns={"dimension_label": "Dimension", "label": "Type"})
    matrix[f"All respondents (n={int(frame['base_respondents'].iloc[0])})"] = shares(frame)
    if data.framework_by is not None:
        column, long = data.framework_by
        for value, part in long.groupby(column, sort=True):
            if "suppressed" in part and part["suppressed"].astype(bool).all():
                continue  # too few respondents to show
            # A group may be hidden for some dimensions only (the next smallest, where one hidden group alone
            # would be given away): its base is that of the dimensions shown.
            base = part.loc[~part["suppressed"].astype(bool), "base_respondents"] if "suppressed" in part else \
                part["base_respondents"]
            matrix[f"{value} (n={int(base.iloc[0])})"] = shares(part)
    return matrix.reset_index(drop=True)


def matrix_caption(data: ReportData) -> str:
    """What the matrix's shares are: corrected estimates with intervals, raw shares, or some of each, and what a
    dash stands for; a reader of raw shares is told they are not corrected."""
    frame = data.framework
    by_dimension = [(rows["dimension_label"].iloc[0], "method" in rows and corrected(rows),
                     "method" in rows and rows["method"].astype(str).str.startswith("not estimated").all())
                    for _, rows in frame.groupby("dimension", sort=False)]
    fixed = [label for label, done, _ in by_dimension if done]
    unmeasured = [label for label, done, none in by_dimension if not done and none]
    raw = [label for label, done, none in by_dimension if not done and not none]
    caption = "Percent of respondents of each type, per dimension"
    if fixed and not raw and not unmeasured:
        caption += ": estimates corrected for the classifier's measured errors, with 95% intervals"
    elif fixed:
        caption += ": corrected estimates with 95% intervals, except "
        caption += "; ".join(
            ([f"{', '.join(raw)}: raw shares (the coded sample does not code them)"] if raw else [])
            + ([f"{', '.join(unmeasured)}: raw shares, not estimated (no coded answer addresses them, or too few "
                "answers were coded)"] if unmeasured else []))
        caption += ", not corrected for the classifier's errors"
    else:
        caption += (": raw shares, each respondent under the most integrated type flagged in their answers, not "
                    "corrected for the classifier's errors (a share may be too high or too low: one false flag of a "
                    "more integrated type moves a respondent out of a less integrated one)")
    reasons = []
    if fixed and frame["estimate"].isna().any():
        reasons.append("there is no estimate (no coded answer carries the type, or a more integrated one, or too few "
                       "were coded; its raw count is in framework_counts.csv)")
    by = getattr(data, "framework_by", None)
    if by is not None and "suppressed" in by[1] and by[1]["suppressed"].astype(bool).any():
        reasons.append("a group is hidden in that dimension, to protect its respondents")
    if reasons:
        caption += "; — where " + ", or where ".join(reasons)
    if any(corrected(rows) and rows["estimate"].isna().any() for _, rows in frame.groupby("dimension")):
        # Governance read 90.4 + 5.4 + 2.1 with informal "—": the 2.1 points left over are not its estimate.
        caption += (". Where a type has no estimate, its dimension's estimates do not add up to 100: what they leave "
                    "is not an estimate of that type, whose errors (or those of the types above it) no coded answer "
                    "measured")
    return caption + "." + _edge_note(by[1] if by is not None else None)


def _themes_of(data: ReportData) -> dict[str, str]:
    return dict(zip(data.counts["theme"], data.counts["label"])) if len(data.counts) else {}


def _type_labels(data: ReportData) -> dict[str, str]:
    if data.framework is None:
        return {}
    kinds = data.framework[data.framework["type"] != "not_described"]
    return {f"{d}.{t}": f"{dl}: {tl}" for d, dl, t, tl in
            zip(kinds["dimension"], kinds["dimension_label"], kinds["type"], kinds["label"])}


def prevalence_sentence(count: int, percent: float, base: int, label: str) -> str:
    """'132 of 201 respondents (66%) had an answer flagged for trust and relationships.' A raw count says what was
    counted: a respondent with one false alarm among their answers is in it (the key finding an officer copies
    read "raised", 17 points over the coders' share on the sample survey)."""
    noun = "respondent" if base == 1 else "respondents"
    return f"{count} of {base} {noun} ({percent:.0f}%) had an answer flagged for {_in_sentence(label)}."


def _in_sentence(label: str) -> str:
    """The label lower-cased at its start for use mid-sentence; an acronym ("HIPAA ...") is kept."""
    first = label.split(" ", 1)[0]
    if len(first) > 1 and first.isupper():
        return label
    return label[:1].lower() + label[1:]


def estimate_sentence(estimate: float, low: float, high: float, flagged: float, label: str,
                      method: str = "not estimated: no coded answer carries it") -> str:
    """'About 27% (21-33%) of respondents raised cultural differences; 46% had at least one answer flagged.'
    With no estimate (no coded answer carries the theme, too few answers were coded), the flagged share and why
    there is no estimate, as its method says."""
    if estimate != estimate:
        why = str(method).removeprefix("not estimated: ")
        return (f"{flagged:.0f}% of respondents had at least one answer flagged for {_in_sentence(label)}; not "
                f"estimated ({why}).")
    return (f"About {estimate:.0f}% ({_bound(low)}-{_bound(high)}%) of respondents raised {_in_sentence(label)}; "
            f"{flagged:.0f}% had at least one answer flagged.")


# Under the key findings of a corrected run: which figure to cite, in a reader's words (review 156: a board member
# met "About 53% (46-61%) ...; 61% had at least one answer flagged" with no word on which to use).
READING = ("The first figure of each finding is the one to cite: the share of respondents estimated to have raised the "
           "theme (or described the type), with the classifier's mistakes measured on the coded sample taken out; "
           "the range in brackets is its 95% interval, where the true share very likely lies if the coders' codes "
           "are right (it carries the chance in who answered and in which answers were coded, not disagreement "
           "between coders). \"Flagged\" counts "
           "what the classifier marked, before that correction.")


def _reading_shown(data: ReportData) -> bool:
    """Whether the key findings lead with estimates: the themes', or a framework-only run's types' (it had no word on
    which figure to cite)."""
    if len(data.counts):
        return corrected(data.counts)
    return data.framework is not None and "method" in data.framework and corrected(data.framework)


def _bound(value: float) -> str:
    """An interval's end in whole percent, but with its decimal where rounding would make it 0 or 100: "95-100%"
    read as "possibly everyone" of a bound of 99.6 (review 156)."""
    shown = f"{value:.0f}"
    return f"{value:.1f}" if shown in ("0", "100") and value not in (0, 100) else shown


def cell(percent, low=None, high=None) -> str:
    """A share for a table: "27.0", or "27.0 (21.0-33.0)" with its interval; "—" when suppressed."""
    if percent != percent or percent is None:
        return "—"
    if low is None or low != low:
        return f"{percent:.1f}"
    return f"{percent:.1f} ({low:.1f}-{high:.1f})"  # one decimal each, as the count files give them


def disagreement(data: ReportData) -> str:
    """The warning under the key findings when the run agrees poorly with the coded sample on some themes (see
    `evaluate.disagreeing_parts`), or ""."""
    return (data.agreement or {}).get("warning") or ""


def _sentences(data: ReportData) -> list[str]:
    if not len(data.counts):  # a framework-only run
        return _framework_sentences(data)
    if corrected(data.counts):
        ordered = data.counts.sort_values("estimate", ascending=False, kind="stable")
        return [estimate_sentence(r.estimate, r.low, r.high, r.percent, r.label, r.method)
                + _few_coded(data, r.theme, r.estimate) + _asked_about(data, r.theme) for r in ordered.itertuples()] \
            + _framework_sentences(data)
    ordered = data.counts.sort_values("respondents", ascending=False, kind="stable")
    return [prevalence_sentence(int(r.respondents), float(r.percent), int(r.base_respondents), r.label)
            + _asked_about(data, r.theme) for r in ordered.itertuples()] + _framework_sentences(data)


def _and_joined(items: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _framework_sentences(data: ReportData) -> list[str]:
    """One finding per dimension of the partnership-models framework: the share of respondents under each of its
    types, most first, and of those who described none ("Financial relationship: about 56% (47-65%) of respondents
    described independent sources or grants, 28% (20-37%) service contracts and 3% (0-6%) risk-sharing; 13% (8-19%)
    described none."). The framework had no finding of its own (review 156). A type with no estimate is named as
    such, and a dimension the run agrees poorly on says so."""
    frame = data.framework
    if frame is None or not len(frame):
        return []
    poor = (data.agreement or {}).get("poor") or {}
    few = (data.agreement or {}).get("few_dimensions") or {}
    sentences = []
    for dimension, rows in frame.groupby("dimension", sort=False):
        methods = rows["method"].astype(str) if "method" in rows else pd.Series("", index=rows.index)
        if methods.str.startswith("not estimated").all():  # said, not left out, nor given as raw shares
            why = methods.iloc[0].removeprefix("not estimated: ")
            sentences.append(f"{rows['dimension_label'].iloc[0]}: not estimated ({why}).")
            continue
        estimated = "estimate" in rows and corrected(rows)
        value = "estimate" if estimated else "percent"
        kinds, none = rows[rows["type"] != NOT_DESCRIBED], rows[rows["type"] == NOT_DESCRIBED]
        shown = kinds[kinds[value].notna()].sort_values(value, ascending=False, kind="stable")
        if shown.empty:
            continue

        def share(row) -> str:
            return (f"{row['estimate']:.0f}% ({_bound(row['low'])}-{_bound(row['high'])}%)" if estimated
                    else f"{row['percent']:.0f}%")

        named = [f"{share(row)} {_in_sentence(str(row['label']))}" for _, row in shown.iloc[1:].iterrows()]
        first = shown.iloc[0]
        # raw: each respondent under the most integrated type flagged
        said = (f"{first['dimension_label']}: {'about ' if estimated else ''}{share(first)} of respondents "
                f"{'described' if estimated else 'came under'} {_in_sentence(str(first['label']))}")
        said += ((", " if len(named) > 1 else " and ") + _and_joined(named)) if named else ""
        if len(none) and none[value].notna().iloc[0]:
            said += f"; {share(none.iloc[0])} {'described none' if estimated else 'had none flagged'}"
        missing = [*kinds.loc[kinds[value].isna(), "label"], *(["none"] if len(none) and none[value].isna().iloc[0]
                                                              else [])]
        if missing:
            said += "; " + _and_joined([_in_sentence(str(label)) for label in missing]) + " not estimated"
        if dimension in poor:
            said += " (rough: the tool agrees poorly with the coders on this dimension)"
        elif few.get(dimension) and estimated:
            said += (f" (rough: only {few[dimension]} coded answer{'s' * (few[dimension] != 1)} address"
                     f"{'es' * (few[dimension] == 1)} this dimension, too few to measure how the tool codes it)")
        sentences.append(said + ".")
    return sentences


ASKED_ABOUT = 80.0  # a question whose answers are flagged for a theme this often (percent) asks about it


def _few_coded(data: ReportData, theme: str, estimate: float) -> str:
    """For an estimate that rests on fewer coded answers carrying the theme than a kappa needs, how few: the method
    section said "not measured (only 3 coded answers carry it)" while the finding read "About 4% (0-8%)" with no word
    (review 163). "" for the others, and where there is no estimate."""
    carried = ((data.agreement or {}).get("few") or {}).get(theme)
    if not carried or estimate != estimate:
        return ""
    flagged = ((data.agreement or {}).get("few_flagged") or {}).get(theme)
    doubt = (f" The tool flagged {flagged} of the coded answers with it: check that the coders had this theme in "
             "their codebook and applied it." if flagged else "")
    return (f" It rests on only {carried} coded answer{'s' * (carried != 1)} that carr{'y' if carried != 1 else 'ies'} "
            "it, too few to measure how the tool codes it: a rough figure." + doubt)


def _asked_about(data: ReportData, theme: str) -> str:
    """For a theme that the survey asks about (a question of several whose answers are flagged for it 80% of the
    time or more) and whose respondents were mostly flagged under that question alone, the question and how many
    respondents had it flagged elsewhere: "97% raised community engagement" says that they answered the question on
    community engagement as much as that they raised it (19% had it flagged outside that question on the sample
    survey). "" for the others, and for a theme most of whose respondents raised it under other questions too."""
    questions, evidence = data.by_question, data.evidence
    if questions is None or evidence is None or not len(questions) or not data.usable_respondents:
        return ""
    rows = questions[questions["theme"] == theme]
    asking = rows[rows["percent"] >= ASKED_ABOUT]
    if asking.empty or rows["question"].nunique() < 2:
        return ""
    mine = evidence[evidence["theme"] == theme]
    asked = set(asking["question"].astype(str))
    under = mine["question"].astype(str).isin(asked)
    flagged, elsewhere = mine["respondent_id"].nunique(), mine.loc[~under, "respondent_id"].nunique()
    if not flagged or flagged - elsewhere < flagged / 2:  # most of them were flagged under other questions too
        return ""

    def named(question: str) -> str:
        return f"'{question}: {data.asked[question]}'" if data.asked.get(question, question) != question else \
            f"'{question}'"

    which = " and ".join(named(q) for q in asking["question"])
    shares = " and ".join(f"{p:.0f}%" for p in asking["percent"])
    one = len(asking) == 1
    return (f" The question{'s' * (not one)} {which} ask{'s' * one} about it ({shares} of {'its' if one else 'their'} "
            f"answers flagged); outside {'that question' if one else 'them'}, "
            f"{100 * elsewhere / data.usable_respondents:.0f}% of respondents had an answer flagged for it.")


RAW_WARNING = ("These are raw counts: a respondent counts when any answer was flagged, so a small false-positive "
               "rate per answer adds up over their answers, and no coded sample of this survey measured it. "
               "Code a random sample of its answers (themes sample) and run again with --coded-sample for "
               "estimates with intervals.")


def _by_question_caption(frame: pd.DataFrame, labels: dict[str, str] | None = None) -> str:
    what = ("Percent of the answers to each question that raised each theme." if corrected(frame) else
            "Percent of the answers to each question flagged for each theme.")
    what += _unestimated_note(frame, labels or {}) + _edge_note(frame)
    # A question left out went unsaid (the breakdowns said theirs): 7 of 9 questions shown, no word why.
    hidden = _hidden(frame, "question")
    if not hidden:
        return what
    return what + (f" {hidden} question{'s' * (hidden != 1)} {'are' if hidden != 1 else 'is'} not shown: too few "
                   "answers for figures of their own, and the next fewest where those alone would be given away.")
# Raw counts, not estimates: the correction is made per theme and type, not for pairs.
CO_CAPTION = ("Respondents with answers flagged for both themes, raw counts (diagonal: respondents flagged for the "
              "theme)")
# "Of the type" read as the respondents the type's estimate counts: 37 under a type estimated at 1.6% (about 3).
CO_TYPES_CAPTION = ("Respondents flagged for the type (row) and with an answer flagged for the theme (column), raw "
                    "counts of the classifier's flags: a type's estimate above may count far fewer respondents")
EVIDENCE_NOTE = ("Every passage a count stands on is listed in the workbook's evidence sheets (quotes.xlsx) and in "
                 "theme_evidence.csv, best-scoring first; report.html links each count to them.")


def _breakdown_caption(long: pd.DataFrame, column: str, labels: dict[str, str] | None = None) -> str:
    """What a breakdown's cells are, as sentences: estimates say "raised", raw shares what was flagged."""
    what = ("Percent of respondents in each group who raised each theme." if corrected(long) else
            "Percent of respondents in each group with an answer flagged for each theme.")
    return what + _hidden_note(long, column) + _unestimated_note(long, labels or {}) + _edge_note(long)


def _unestimated(frame: pd.DataFrame | None, labels: dict[str, str]) -> str:
    """"Cultural differences (no coded answer carries it)": the themes of a corrected table with no estimate, and
    why (or "")."""
    if frame is None or not len(frame) or "method" not in frame or not corrected(frame):
        return ""
    methods = frame["method"].astype(str)
    missing = frame[methods.str.startswith("not estimated")].drop_duplicates("theme")
    return "; ".join(f"{labels.get(theme, theme)} ({method.removeprefix('not estimated: ')})"
                     for theme, method in zip(missing["theme"], missing["method"].astype(str)) if theme in labels)


def _unestimated_note(frame: pd.DataFrame | None, labels: dict[str, str]) -> str:
    """" — stands for no estimate: Cultural differences (no coded answer carries it)." (or ""): in a corrected table
    a theme with no estimate shows dashes, which the hidden groups' note alone read as suppression."""
    reasons = _unestimated(frame, labels)
    return f" — stands for no estimate: {reasons}." if reasons else ""


def _shown_groups(long: pd.DataFrame) -> pd.DataFrame:
    """A breakdown's rows less those suppressed: too few respondents to show."""
    return long[~long["suppressed"].astype(bool)] if "suppressed" in long else long


# A group's estimate of 0 beside quotes and flags of its respondents read as "none of them" (a program officer, 0.0
# (0.0-2.6) for 12 of 142 flagged): it says the model reads their flags as the classifier's errors.
EDGE_NOTE = (" A 0.0 where some were flagged (or 100.0 where some were not) says the model reads those flags as the "
             "classifier's errors; its interval says how many may yet have raised it.")


def _edge_note(long: pd.DataFrame | None) -> str:
    """EDGE_NOTE where a corrected group's estimate is 0 with flagged respondents, or 100 with unflagged ones."""
    if long is None or not len(long) or "estimate" not in long or not corrected(long):
        return ""
    shown = _shown_groups(long)
    count, base = ("respondents", "base_respondents") if "base_respondents" in shown else ("answers", "base_answers")
    zero = (shown["estimate"] == 0) & (shown[count] > 0)
    full = (shown["estimate"] == 100) & (shown[count] < shown[base])
    return EDGE_NOTE if bool((zero | full).any()) else ""


def _hidden(long: pd.DataFrame, column: str) -> int:
    """How many of a breakdown's groups (values of `column`) are suppressed."""
    return int(long.loc[long["suppressed"].astype(bool), column].nunique()) if "suppressed" in long else 0


def _hidden_note(long: pd.DataFrame, column: str) -> str:
    """" 2 groups of few respondents are not shown." (or ""), so a reader knows rows are missing and why; a group
    large enough to show, hidden to protect smaller ones, is named (Government, 19 respondents, hidden from the
    themes table and shown in the framework's, went unexplained)."""
    hidden = _hidden(long, column)
    if not hidden:
        return ""
    from themes.prevalence import PROTECTING_METHOD
    from themes.redact import redact_patterns

    suppressed = long["suppressed"].astype(bool)
    protecting = long[suppressed & (long["method"].astype(str) == PROTECTING_METHOD)] if "method" in long else long[:0]
    said = (f" {hidden} group{'s' * (hidden != 1)} {'are' if hidden != 1 else 'is'} not shown, to protect their "
            "respondents")
    if protecting.empty:
        return said + (" (groups under the minimum size, and the next smallest where those alone would be given "
                       "away: one group alone, or a theme that all or none of them raised).")
    named = list(dict.fromkeys(protecting.sort_values(column, kind="stable")[column]))
    small = hidden - len(named)  # a group hidden for one theme is hidden for every theme (counts._whole_groups)
    # a blank value is the group of the respondents who gave none
    names = [redact_patterns(str(value)) if str(value).strip() else f"the respondents with no {column}"
             for value in named]
    them = f"{small} with fewer respondents than the minimum (--min-group), and " if small else ""
    return (f"{said}: {them}{_and_joined(names)}, large enough to show but hidden because, beside the groups shown "
            f"and the total, {'it' if len(named) == 1 else 'they'} would give the smaller "
            f"{'one' if small == 1 else 'ones'} away (one hidden group alone, or a theme that all or none of them "
            "raised).")


def _every_question_hidden(data) -> bool:
    frame = data.by_question
    return "suppressed" in frame and bool(frame["suppressed"].astype(bool).all())


def _all_hidden(long: pd.DataFrame, column: str) -> str:
    """A breakdown whose every group is hidden: said in a sentence where a table of headings alone stood."""
    groups = long[column].nunique()
    if column == "question":  # counted in answers
        return (f"No question is shown ({groups} question{'s' * (groups != 1)}), to protect their respondents: "
                "questions with fewer answers than the minimum are hidden, and with them the next smallest where "
                "those alone would be given away (--min-group).")
    return (f"No group is shown ({groups} group{'s' * (groups != 1)}), to protect their respondents: groups under "
            "the minimum size are hidden, and with them the next smallest where those alone would be given away "
            "(one group alone, or a theme that all or none of them raised; --min-group).")


def _heading(column: str, asked: dict[str, str]) -> str:
    """A breakdown's column as its heading names it: "org type", or "Q1 (Which best describes your organization?)"
    where the platform wrote the question under its name."""
    name = column.replace("_", " ")
    return f"{name} ({asked[column]})" if asked.get(column) and asked[column] != column else name


def _breakdown_table(long: pd.DataFrame, column: str, labels: dict[str, str],
                     base: str = "base_respondents", asked: dict[str, str] | None = None) -> pd.DataFrame:
    """Rows: the metadata values (or questions) with their base (respondents, or answers); columns: percent
    raising each theme."""
    long = _shown_groups(long)
    if corrected(long):
        long = long.assign(percent=[cell(e, lo, hi) for e, lo, hi in zip(long["estimate"], long["low"], long["high"])])
    wide = long.pivot_table(index=[column, base], columns="theme", values="percent", aggfunc="first", sort=False)
    wide = wide[[t for t in labels if t in wide.columns]]
    wide.columns = [labels[t] for t in wide.columns]
    wide = wide.reset_index().rename(columns={base: base.replace("base_", "")})
    # A group is named by a respondent's own metadata value, which may hold a name or an e-mail
    # ("Maria Gonzalez (self)"): officers see it de-identified.
    from themes.redact import redact_patterns

    wide[column] = wide[column].map(lambda value: redact_patterns(str(value)))
    if column == "question" and asked:  # Qualtrics's "Q3" with what it asks
        wide[column] = wide[column].map(lambda q: f"{q}: {asked[q]}" if asked.get(q) and asked[q] != q else q)
    return wide.sort_values(base.replace("base_", ""), ascending=False, kind="stable")


def render_markdown(data: ReportData) -> str:
    labels = _themes_of(data)

    def md(value) -> str:
        return escape(value, "markdown")

    lines = [f"# {md(data.title)}", ""]
    if dateline(data):
        lines += [md(dateline(data)), ""]
    lines += [md(lede(data)), ""]
    sentences = _sentences(data)
    if disagreement(data) and not sentences:  # no findings to put it under
        lines += [md(disagreement(data)), ""]
    if sentences:
        lines += ["## Key findings", ""] + [f"- {md(s)}" for s in sentences] + [""]
        if _reading_shown(data):
            lines += [md(READING), ""]
        if disagreement(data):
            lines += [md(disagreement(data)), ""]
    if labels:
        table = data.counts[["label", "respondents", "percent", "segments"]].rename(columns={
            "label": "Theme", "respondents": "Respondents flagged", "percent": "Percent flagged",
            "segments": "Passages"})
        if corrected(data.counts):
            table.insert(1, "Estimate, % (95% interval)",
                         [cell(e, lo, hi) for e, lo, hi in zip(data.counts["estimate"], data.counts["low"],
                                                               data.counts["high"])])
            lines += ["## Prevalence", "", _md_table(table), ""]
            note = _unestimated_note(data.counts, labels)
            lines += [md(note.strip()), ""] if note else []
        else:
            lines += ["## Prevalence", "", md(raw_warning(data)), "", _md_table(table), ""]
        if data.evidence is not None:
            lines += [EVIDENCE_NOTE, ""]
        for column, long in data.breakdowns.items():
            table = _breakdown_table(long, column, labels)
            if table.empty:  # every group too small to show: the note alone, not a table of headings
                lines += [f"## By {md(_heading(column, data.asked))}", "", _all_hidden(long, column), ""]
                continue
            lines += [f"## By {md(_heading(column, data.asked))}", "",
                      md(_breakdown_caption(long, column, labels)), "",  # it names groups and themes
                      _md_table(table), ""]
        if data.by_question is not None and len(data.by_question):
            if _every_question_hidden(data):
                lines += ["## By question", "", _all_hidden(data.by_question, "question"), ""]
            else:
                lines += ["## By question", "", _by_question_caption(data.by_question, labels), "",
                          _md_table(_breakdown_table(data.by_question, "question", labels, "base_answers",
                                                     data.asked)), ""]
        co = _co_occurrence(data, labels, labels)
        if co is not None:
            lines += ["## Themes raised together", "", CO_CAPTION + ".", "",
                      _md_table(co.reset_index().rename(columns={"index": "Theme"})), ""]
    types = _type_labels(data)
    if types:
        lines += ["## Partnership models", "", md(FRAMEWORK_RULE), "",
                  md(matrix_caption(data)), "", _md_table(framework_matrix(data)), ""]
        co = _co_occurrence(data, types, labels)
        if co is not None:
            lines += ["### Themes and partnership types together", "",
                      CO_TYPES_CAPTION + ".", "",
                      _md_table(co.reset_index().rename(columns={"index": "Type"})), ""]
    lines += ["## Quotes", ""]
    cautions = _quote_cautions(data)
    for theme_id, label in {**labels, **types}.items():
        part = data.quotes[data.quotes["theme"] == theme_id]
        lines += [f"### {md(label)}", ""]
        if theme_id in cautions and not part.empty:
            lines += [f"*{md(cautions[theme_id])}*", ""]
        if part.empty:
            lines += [_nothing_carried(data, theme_id), ""]
        for row in part.itertuples():
            lines += [f"> \"{md(row.quote)}\"", f"> — {md(row.attribution)}", ""]
    lines += ["## Method", ""] + [f"- **{md(k)}**: {md(v)}" for k, v in _method_items(data)] + [""]
    lines += ["Answers by status:", "", _md_table(pd.DataFrame(
        [{"Status": k, "Answers": v} for k, v in data.accounting.items()])), ""]
    lines += [md(note) for note in data.notes]
    return "\n".join(lines).rstrip() + "\n"


def _quote_cautions(data: ReportData) -> dict[str, str]:
    """quotes.quote_cautions for the themes and framework types of a report, on the workbook's summary of them."""
    from themes.export import summary_table
    from themes.quotes import quote_cautions

    return {theme: caution.text for theme, caution in
            quote_cautions(summary_table(data), (data.agreement or {}).get("poor")).items()}


def _nothing_carried(data: ReportData, code: str) -> str:
    """What stands under a theme or type without quotes: none asked for, none fit to quote, or nothing coded."""
    if data.quotes_per_theme == 0:
        return "No quotes were asked for (--quotes-per-theme 0)."
    passages = int((data.evidence["theme"] == code).sum()) if data.evidence is not None else 0
    if passages:
        return (f"None of its {passages} passage{'s' * (passages != 1)} made a quote (a quote holds only sentences "
                "in the survey's languages); the evidence lists them.")
    return "No passage was coded with this type." if "." in code else "No passage carried this theme."


def _co_occurrence(data: ReportData, rows: dict[str, str], columns: dict[str, str]) -> pd.DataFrame | None:
    """Respondents who carry both the row and the column code, labelled; None when there is nothing to show."""
    if not rows or not columns or not len(data.co_occurrence):
        return None
    part = data.co_occurrence.reindex(index=list(rows), columns=list(columns), fill_value=0)
    return part.rename(index=rows, columns=columns)


def _method_items(data: ReportData) -> list[tuple[str, str]]:
    items = [(k, str(v)) for k, v in data.method.items()]
    if data.agreement:
        items.append(("Agreement with human coding", data.agreement.get("summary", "")))
    else:
        items.append(("Agreement with human coding", "not measured on this survey: no coded sample of its "
                      "answers was given (themes sample, then --coded-sample)"))
    if len(data.counts) or data.framework is not None:
        frame = data.counts if len(data.counts) else data.framework
        items.append(("Counts", "respondents, each counted once per theme and once per dimension; "
                      + ("estimates corrected for the classifier's error measured on the coded sample (a latent "
                         "class model over each respondent's answers), with 95% bootstrap intervals that carry "
                         "the survey's sampling and the error rates' uncertainty; the raw share of respondents "
                         "with at least one flagged answer is beside each estimate"
                         if corrected(frame) else _raw_reason(frame))
                      + _left_raw(data)))
    return items


def _raw_reason(frame: pd.DataFrame) -> str:
    few = too_few_coded(frame["method"]) if "method" in frame else None
    if few:
        return (f"raw: the coded sample holds {few[0]} coded answers, fewer than the {few[1]} an estimate needs (below "
                "that the intervals cover the truth too rarely), so they tend to run high where false positives add "
                "up over a respondent's answers")
    return ("raw: no coded sample of this survey measured the classifier's error, so they tend to run high where "
            "false positives add up over a respondent's answers")


def raw_warning(data: ReportData) -> str:
    """The warning above raw counts: why they are raw and what to do."""
    few = too_few_coded(data.counts["method"]) if "method" in data.counts else None
    if few:
        return (f"These are raw counts: a respondent counts when any answer was flagged, so a small false-positive "
                f"rate per answer adds up over their answers. The coded sample holds {few[0]} coded answers, fewer "
                f"than the {few[1]} an estimate needs; code more of this survey's answers (themes sample --exclude) "
                "and run again for estimates with intervals.")
    return RAW_WARNING


def _left_raw(data: ReportData) -> str:
    """What the coded sample does not code, and so stays raw, as a closing clause ("" when nothing does)."""
    from themes.counts import NOT_IN_SAMPLE_METHOD

    raw = []
    if len(data.counts) and "method" in data.counts and (data.counts["method"] == NOT_IN_SAMPLE_METHOD).all():
        raw.append("the themes")
    if data.framework is not None and "method" in data.framework:
        raw += [str(d) for d in dict.fromkeys(data.framework.loc[data.framework["method"] == NOT_IN_SAMPLE_METHOD,
                                                                 "dimension_label"])]
    return f"; raw, not corrected, where the coded sample does not code them: {', '.join(raw)}" if raw else ""


def _md_table(frame: pd.DataFrame) -> str:
    def cell(value) -> str:
        return escape(f"{value:g}" if isinstance(value, float) else value, "markdown")

    head = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def bar_chart_svg(labels: list[str], values: list[float], *, title: str, unit: str = "%",
                  width: int = 640, intervals: list[tuple[float, float]] | None = None) -> str:
    """A horizontal bar chart as accessible inline SVG (role=img, <title>, <desc> with the values).

    Each label sits on its own lines above its bar, wrapped to the chart's width, so no label is cut
    off however long it is, and every bar can use the full width.
    """
    font, line, bar, gap, room = 15, 19, 18, 16, 64  # room: space right of a full bar for its value
    inset = 2  # a text box starts a pixel left of its x; at x=0 the SVG edge would clip it
    # SVG cannot wrap text: wrap by an average glyph width generous enough for wide fonts (DejaVu Sans).
    wrapped = [textwrap.wrap(label, max(int(width / (0.6 * font)), 10)) or [""] for label in labels]
    top = max(values, default=0) or 1
    scale = (width - inset - room) / (100 if unit == "%" else top)
    desc = "; ".join(f"{l}: {_chart_value(v, unit)}" + (f" (95% interval {_interval_end(intervals[i][0], unit)}-{_interval_end(intervals[i][1], unit)}"
                                                          f"{unit})" if intervals is not None else "")
                     for i, (l, v) in enumerate(zip(labels, values)))
    key = hashlib.sha1(f"{title}\n{desc}".encode()).hexdigest()[:10]  # stable ids: same input, same file
    body, y = [], gap / 2
    for index, (lines, value) in enumerate(zip(wrapped, values)):
        tspans = "".join(f'<tspan x="{inset}" y="{y + (i + 0.8) * line:.0f}">{escape(text, "html")}</tspan>'
                         for i, text in enumerate(lines))
        y += len(lines) * line + 4
        length = max(value * scale, 1)  # a hairline, so a zero still shows where its bar would be
        whisker, end = [], length
        if intervals is not None:  # the 95% interval as a line across the bar's end
            low, high = intervals[index]
            end = max(length, high * scale)
            whisker = [f'<line class="interval" x1="{inset + low * scale:.1f}" x2="{inset + high * scale:.1f}" '
                       f'y1="{y + bar / 2:.0f}" y2="{y + bar / 2:.0f}" stroke="#1d2733" stroke-width="2"></line>']
        body += [f'<text class="label">{tspans}</text>',
                 f'<rect x="{inset}" y="{y:.0f}" width="{length:.1f}" height="{bar}" rx="3"></rect>', *whisker,
                 f'<text class="value" x="{inset + end + 6:.1f}" y="{y + bar * 0.75:.0f}">{_chart_value(value, unit)}</text>']
        y += bar + gap
    height = y - gap / 2
    return "\n".join([
        f'<svg class="chart" role="img" aria-labelledby="t-{key} d-{key}" viewBox="0 0 {width} {height:.0f}" '
        f'width="100%" font-size="{font}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="t-{key}">{escape(title, "html")}</title>',
        f'<desc id="d-{key}">{escape(desc, "html")}</desc>',
        *body, "</svg>"])


def _interval_end(value: float, unit: str) -> str:
    """An interval's end as the tables give it ('94.0', not '94')."""
    return f"{value:.1f}" if unit == "%" else f"{value:g}"


def _chart_value(value: float, unit: str) -> str:
    """One decimal for percentages, as in the tables ('55.0%'); other values as given."""
    return f"{value:.1f}{unit}" if unit == "%" else f"{value:g}{unit}"


def render_html(data: ReportData) -> str:
    labels = _themes_of(data)
    chart, breakdowns, not_drawn, unestimated = None, [], "", ""
    if labels:
        ordered = data.counts.sort_values("respondents", ascending=False, kind="stable")
        # 560 wide: at most 560px on screen (CSS), so the labels stay near body-text size and readable on a phone.
        if corrected(data.counts):
            ordered = data.counts.dropna(subset=["estimate"]).sort_values("estimate", ascending=False, kind="stable")
            chart = bar_chart_svg(list(ordered["label"]), [float(p) for p in ordered["estimate"]],
                                  title="Estimated percent of respondents raising each theme, with 95% intervals",
                                  width=560, intervals=list(zip(ordered["low"], ordered["high"])))
            # a theme with no estimate has no bar, and dashes in the table: the captions say which, and why
            unestimated = _unestimated(data.counts, labels)
            not_drawn = f"Not drawn: {unestimated}." if unestimated else ""
        else:
            chart = bar_chart_svg(list(ordered["label"]), [float(p) for p in ordered["percent"]],
                                  title="Percent of respondents with an answer flagged for each theme", width=560)
        for column, long in data.breakdowns.items():
            table = _breakdown_table(long, column, labels)
            if table.empty:
                breakdowns.append({"column": _heading(column, data.asked), "empty": _all_hidden(long, column)})
                continue
            breakdowns.append({"column": _heading(column, data.asked), "head": column.replace("_", " "),
                               "base": "Respondents",
                               "caption": _breakdown_caption(long, column, labels).rstrip("."),
                               "table": table.to_dict("split"), "wide": len(table.columns) - 2 > WIDE_COLUMNS})
        if data.by_question is not None and len(data.by_question) and _every_question_hidden(data):
            breakdowns.append({"column": "question", "empty": _all_hidden(data.by_question, "question")})
        elif data.by_question is not None and len(data.by_question):
            table = _breakdown_table(data.by_question, "question", labels, "base_answers", data.asked)
            caption = _by_question_caption(data.by_question, labels).rstrip(".")
            breakdowns.append({"column": "question", "head": "question", "base": "Answers", "caption": caption,
                               "table": table.to_dict("split"), "wide": len(table.columns) - 2 > WIDE_COLUMNS})
    types = _type_labels(data)
    co = _co_occurrence(data, labels, labels)
    co_types = _co_occurrence(data, types, labels)
    cautions = _quote_cautions(data)
    quotes = [{"id": code, "label": label, "items": data.quotes[data.quotes["theme"] == code].to_dict("records"),
               "empty": _nothing_carried(data, code), "caution": cautions.get(code)}
              for code, label in {**labels, **types}.items()]
    matrix = framework_matrix(data) if types else None
    evidence = _evidence(data, {**labels, **types})
    # Every value the template prints goes through the same escaping as the Markdown report's.
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                              finalize=lambda value: escape(value, "html"))
    template = environment.get_template("report.html")
    return template.render(
        data=data, sentences=_sentences(data), disagreement=disagreement(data), chart=chart, breakdowns=breakdowns,
        counts=[{**row, "shown": cell(row.get("estimate"), row.get("low"), row.get("high"))}
                for row in data.counts.to_dict("records")],
        estimated=corrected(data.counts), raw_warning=raw_warning(data), co_caption=CO_CAPTION,
        reading=READING if _reading_shown(data) else "",
        co_types_caption=CO_TYPES_CAPTION, co=_grid(co), co_types=_grid(co_types), not_drawn=not_drawn,
        unestimated=f"— stands for no estimate: {unestimated}" if unestimated else "",
        matrix=None if matrix is None else matrix.to_dict("split"), framework_rule=FRAMEWORK_RULE,
        # each matrix row's type, whose name links to its passages as a theme's passage count does
        matrix_ids=[] if matrix is None else [f"{d}.{t}" for d, t in zip(data.framework["dimension"],
                                                                           data.framework["type"])],
        linked_types=[e["id"] for e in evidence],
        matrix_caption=matrix_caption(data) if matrix is not None else "",
        matrix_wide=matrix is not None and len(matrix.columns) - 2 > WIDE_COLUMNS, dateline=dateline(data),
        lede=lede(data),
        quotes=quotes, method=_method_items(data), evidence=evidence)


def _evidence(data: ReportData, labels: dict[str, str]) -> list[dict]:
    """Per theme and type with at least one passage: its label and passages, best score first."""
    if data.evidence is None or not len(data.evidence):
        return []
    groups = dict(iter(data.evidence.groupby("theme", sort=False)))
    return [{"id": code, "label": label, "passages": groups[code].sort_values("score", ascending=False,
                                                                             kind="stable").to_dict("records")}
            for code, label in labels.items() if code in groups]


def _grid(frame: pd.DataFrame | None) -> dict | None:
    if frame is None:
        return None
    return {"index": list(frame.index), "columns": list(frame.columns), "rows": frame.to_numpy().tolist(),
            "wide": len(frame.columns) > WIDE_COLUMNS}

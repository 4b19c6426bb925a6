"""What a survey export holds when no option says: the respondent id, wide or long, the metadata
columns and the sheet, guessed from names and shapes as real exports write them ("Submission ID",
"Respondent #", "State / territory", a long file's `item_code`), and the one block that says so.

A guess that is doubtful stops the run with one line naming the option to pass (`doubtful_guess`).
"""

from __future__ import annotations

import re

import pandas as pd

from themes.errors import InputError

# Id names, best first, as normalised words ("Respondent #" -> "respondentid", "resp_id" -> "respid").
ID_KEYS = ("respondentid", "respondent", "responseid", "submissionid", "respid", "participantid", "recordid",
            "id", "entryid", "caseid", "surveyid",
            # ODK, SurveyCTO and KoboToolbox name each submission by a uuid
            "key", "instanceid", "metainstanceid", "uuid")
_ID_TAILS = {"#": "id", "no": "id", "num": "id", "number": "id", "nr": "id"}
# With the Spanish and French words of a translated export ("Tipo de organización", "Estado"; review 159)
_PLACE_WORDS = {"state", "states", "territory", "region", "province", "county", "country", "estado", "territorio",
                "provincia", "condado", "pais", "territoire", "departement", "pays"}
_ORG_WORDS = {"org", "organization", "organisation", "organizational", "respondent", "agency", "entity",
              "organizacion", "entidad", "agencia", "encuestado", "repondant", "entite", "agence"}
_KIND_WORDS = {"type", "category", "kind", "sector", "tipo", "categoria", "categorie", "secteur"}
# The words that make a question of a name ("What type of organization are you?", "In which state is your
# partnership based?"): left out of a question text before it is read as a column's name.
_ASKING_WORDS = {"what", "which", "where", "who", "is", "are", "was", "were", "you", "your", "of", "in", "the", "a",
                 "an", "does", "do", "based", "located", "best", "describes", "please", "select", "de", "del", "la",
                 "el", "su", "du", "des", "le", "votre"}
# Names a long file gives the column that says which question a row answers.
_QUESTION_KEYS = ("question", "questionid", "questioncode", "itemcode", "item", "itemid", "variable", "prompt",
                  "field", "qid")
_MAX_QUESTIONS = 200
# How a long file names its question column, run together or not, in English, Spanish, French or German
# ("QuestionID", "item_code", "Pregunta", "Frage"); a guess that carries ids down needs one.
_QUESTION_NAME = re.compile(r"(?i)question|item|prompt|field|variable|topic|section|pregunta|frage|^q(?:id|n|no)?\b")
# An export's prefix before a field's name ("dem_org_type", "demographics_state").
_FIELD_PREFIXES = {"demo", "demog", "demographic", "demographics", "home", "primary", "main", "respondent", "your"}


def words(name: str) -> list[str]:
    return re.findall(r"[a-z0-9]+|#", str(name).lower())


def name_key(name: str) -> str:
    """A column's name as normalised words run together ("Respondent #" -> "respondentid"); a number's mark before the
    name as after it, and a French or Spanish name read as the English ("N° répondant", "No. de encuestado" ->
    "respondentid"; review 152)."""
    from themes.names import fold

    folded = fold(str(name).replace("°", "#").replace("º", "#"))  # before folding, which reads "º" as "o"
    parts = [_ID_WORDS.get(part, part) for part in words(re.sub(r"(?i)\bn\s*#", "#", folded))]
    # A number's mark first: "#", "N°", "No." with its stop, "Nr.", "Numéro", or "ID" ("ID del encuestado"); not a
    # plain "No" ("No response", "No participant": review 154)
    marked = re.match(r"(?i)\s*(?:n\s*#|#|no\.|nr\.|num(?:ero|ber)?\b|id\b)", folded) is not None
    if marked and len(parts) > 1 and parts[-1] not in _ID_TAILS:
        parts = [part for part in parts[1:] if part not in ("de", "du", "del", "of")] + ["id"]
    if len(parts) > 1 and parts[-1] in _ID_TAILS:
        parts[-1] = _ID_TAILS[parts[-1]]
    return "".join(parts)


# A respondent's or a response's name in French and Spanish exports
_ID_WORDS = {"repondant": "respondent", "repondante": "respondent", "encuestado": "respondent",
             "encuestada": "respondent", "participante": "participant", "reponse": "response",
             "respuesta": "response", "numero": "number"}


def guess_id_column(columns: list[str]) -> str | None:
    """The respondent id column by its name: "respondent_id", "Submission ID", "Response ID", "Respondent #"."""
    keyed = {}
    for column in columns:
        keyed.setdefault(name_key(column), column)
    return next((keyed[key] for key in ID_KEYS if key in keyed), None)


def guess_meta_columns(table: pd.DataFrame, taken: set) -> tuple[str, ...]:
    """Columns to break counts down by, by name: the respondent's type ("Organization category", "org_type",
    "Sector") and place ("State / territory", "Region"); short names only, so a question is never taken. Not the
    place a survey platform looked up from the respondent's IP address (`located_by_address`)."""
    found = []
    labels = table.attrs.get("column_labels", {})  # Qualtrics's question text under its Q1, Q2 names
    looked_up = located_by_address(table.columns)
    for column in table.columns:
        if column in taken or column in looked_up or _other_text(column, labels.get(column, ""), table.columns):
            continue
        # A header may be the question itself ("What type of organization are you?"), as Qualtrics's label is.
        if names_type_or_place(labels[column] if column in labels else column) and _categorical(table[column]):
            found.append(column)
    return tuple(found)


def names_type_or_place(name: str, *, only: bool = False) -> bool:
    """Whether a column's name (or the question over it) names a respondent's type ("Organization category",
    "org_type", "Sector") or place ("State / territory", "Region"): four words or fewer, question words aside.
    `only`: every word one of these ("state", "org_type"; not "county_partners", "state agencies we work with")."""
    from themes.names import fold

    names = [w for w in words(fold(str(name))) if w not in _ASKING_WORDS]  # "organización" as "organizacion"
    if only:  # an export's prefix or number aside ("dem_org_type", "q1_state", "org_type_1")
        names = [w for w in names if not (re.search(r"\d", w) or len(w) <= 3 and w not in _ORG_WORDS | _KIND_WORDS
                                          | _PLACE_WORDS or w in _FIELD_PREFIXES)]
        if not set(names) <= _PLACE_WORDS | _ORG_WORDS | _KIND_WORDS:
            return False
    name_set = set(names)
    # "Which (of the following) best describes your organization?" (Qualtrics adds " - Selected Choice"): the
    # respondent's kind, asked by what describes it; not "... your organization's biggest challenge?"
    describes = ("describes" in words(name) and bool(name_set & _ORG_WORDS)
                 and name_set - {"following", "selected", "choice"} <= _ORG_WORDS)
    return len(names) <= 4 and (bool(name_set & _PLACE_WORDS) or (bool(name_set & _ORG_WORDS) and bool(
        name_set & _KIND_WORDS)) or names in (["type"], ["sector"]) or "_".join(names) == "org_type" or describes)


# A column that holds the respondent's IP address or where it places them (Alchemer's "IP Address", "Longitude",
# "Latitude"; Qualtrics's "LocationLatitude")
_ADDRESS_COLUMN = re.compile(r"(?i)\bip[ _-]?addr(?:ess)?\b|ipaddress|latitude|longitude")
# The words of the place columns a platform writes beside them ("Country", "City", "State/Region", "Postal", "DMA")
_LOOKUP_WORDS = {"country", "city", "state", "region", "province", "postal", "code", "zip", "zipcode", "postcode",
                 "dma", "metro", "location", "geo", "lat", "long", "lng"}


def located_by_address(columns) -> list:
    """The place columns a survey platform fills from where the respondent's IP address is (Alchemer writes "IP
    Address, Longitude, Latitude, Country, City, State/Region, Postal" side by side): where the computer was, not
    the partnership's place the respondent chose. Those after an IP address, latitude or longitude column, with
    only such columns between."""
    names = [str(c) for c in columns]
    # A bare "State" is the question platforms ask, not their look-up, which Alchemer writes "State/Region"
    place = [bool(words(n)) and set(words(n)) <= _LOOKUP_WORDS and words(n) != ["state"] for n in names]
    address = [bool(_ADDRESS_COLUMN.search(n)) for n in names]
    found = set()
    for start, is_address in enumerate(address):
        if not is_address:
            continue
        at, kinds = start + 1, set()  # after them, as platforms write them: a "state" before an IP address is a choice
        while at < len(names) and (place[at] or address[at]):
            kind = _lookup_kind(names[at])
            if kind in kinds:  # the look-up has one of each: a second region is the survey's question (review 146)
                break
            kinds.add(kind)
            if place[at] and not address[at]:
                found.add(at)
            at += 1
    return [columns[i] for i in sorted(found)]


def _lookup_kind(name: str) -> str:
    """Which part of a platform's look-up a column is: its country, city, state or region, postal code, or place."""
    named = set(words(name))
    for kind, marks in (("address", {"ip", "ipaddress", "addr", "address"}), ("latitude", {"latitude", "lat"}),
                        ("longitude", {"longitude", "long", "lng"}), ("country", {"country"}), ("city", {"city"}),
                        ("state", {"state", "region", "province"}), ("postal", {"postal", "zip", "zipcode", "postcode",
                                                                               "code"})):
        if named & marks:
            return kind
    return name.lower()


# Words that make a type or place column the partner's, not the respondent's ("Partner organization type")
_PARTNER_WORDS = {"partner", "partners", "partnering", "collaborator", "collaborators", "collaborating"}


def about_a_partner(name: str) -> bool:
    """Whether a column's name (or question) speaks of the respondent's partner ("Partner organization type",
    "Partner's state"), not of the respondent or the partnership ("In which state is your partnership based?")."""
    return bool(set(words(name)) & _PARTNER_WORDS)


def names_a_kind(name: str) -> bool:
    """Whether a column's name (or the question over it) names the respondent's type, not a place: "org_type",
    "Organization category", "Sector", "Which of the following best describes your organization?"."""
    named = set(words(name))
    if named & _PLACE_WORDS:
        return False
    return bool(named & _KIND_WORDS and (named & _ORG_WORDS or named == {"type"} or "sector" in named)) \
        or names_type_or_place(name)


def _other_text(column, label: str, columns) -> bool:
    """The text written beside an 'Other' choice (Qualtrics's `Q1_7_TEXT`, "... - Other - Text"; "Other (please
    specify)"): a few respondents' own words for the choice, not a group to count them by (each its own group of
    one, every other respondent 'unknown')."""
    name = str(column)
    # The choice's own sub-column, as platforms name it: "... - Other - Text", "... - Other (please specify)". A
    # question that offers an 'other' ("Organization type (other, please specify)") holds every respondent's choice.
    if any(re.search(r"\s-\s*other\b[^-]*(?:-\s*text|please specify\)?)\s*$", said, re.IGNORECASE)
           for said in (label, name)):
        return True
    stem = re.fullmatch(r"(.+?)(?:_\d+)?_TEXT", name)
    return stem is not None and stem.group(1) in {str(c) for c in columns}


def meta_origin(table: pd.DataFrame, columns) -> str:
    """How `guess_meta_columns` found `columns`: by name, or by the question text over a Q1, Q2 name."""
    labels = table.attrs.get("column_labels", {})
    return "guessed from their question text" if any(c in labels for c in columns) else "guessed"


def _categorical(column: pd.Series) -> bool:
    values = _texts(column)
    values = values[values != ""]
    return not values.empty and values.str.split().str.len().mean() < 6


def _texts(column: pd.Series) -> pd.Series:
    from themes.respondents import as_text

    return column.map(as_text).str.strip()


def long_shape(table: pd.DataFrame, id_column: str) -> tuple[str, str, str] | None:
    """(question column, answer column, why) when the table is long, one row per answer: ids repeat, one
    column of few values varies within each respondent and never repeats within one (the question; a
    respondent's type or state stays the same within them), and one column holds free text (the answer)."""
    from themes.ingest import _looks_like_free_text

    ids = _texts(table[id_column])
    known = ids[ids != ""]
    counts = known.value_counts()
    # Ids repeat: most of them, or, where most people answered one question only, a third of the rows or more.
    if known.empty or (counts.mean() < 1.5 and counts[counts > 1].sum() < len(known) / 3):
        return None
    repeating = ids.isin(counts[counts > 1].index)
    from themes.respondents import redcap_export

    if redcap_export(table.columns) and "fieldname" not in {name_key(c) for c in table.columns}:
        # REDCap writes a row per record, event and instance, never one per question: its ids repeat over events
        # (joined by themes.respondents), and a column that varies within them is an event's, not a question. But
        # for its EAV export (`record,redcap_event_name,field_name,value`: read as wide, 30 records were 149
        # respondents, review 171).
        return None
    # REDCap's EAV export over several events, or with a repeating instrument, asks a field again at each event and
    # instance: it repeats within a record, once per event and instance (read as wide, review 172).
    from themes.respondents import redcap_occasions

    events, occasion_columns = redcap_occasions(table)
    free = [c for c in table.columns if c != id_column and _looks_like_free_text(table[c])]
    if len(free) != 1:
        return None
    answer = free[0]
    candidates = []
    for column in table.columns:
        if column in (id_column, answer, *occasion_columns):
            continue
        values = _texts(table[column])
        distinct = values[values != ""].nunique()
        if not 2 <= distinct <= min(_MAX_QUESTIONS, len(values) / 2):
            continue
        pairs = pd.DataFrame({"id": ids, "q": values, "event": events})[ids != ""]
        varies = (pairs.groupby("id")["q"].nunique() > 1).mean()
        # Among the ids that repeat it varies nearly always (a state or type would stay the same within them).
        varies_where_repeated = (pairs[repeating[pairs.index]].groupby("id")["q"].nunique() > 1).mean()
        if pairs.duplicated().mean() <= 0.05 and (varies >= 0.5 or varies_where_repeated >= 0.9):
            candidates.append((name_key(column) not in _QUESTION_KEYS, column, distinct))
    if not candidates:
        return None
    _, question, distinct = min(candidates)
    return question, answer, (f"'{question}' has {distinct} values that vary within each respondent, "
                              f"'{answer}' holds the text")


def carried_down(ids: pd.Series, questions: pd.Series | None = None) -> pd.Series:
    """Ids written on each respondent's first row only, carried down over the blank rows under them (rows above the
    first id stay blank). With `questions`, a row that answers the question its respondent's rows opened with
    stops the carrying until the next id: it opens the next respondent, whose id is missing, and their rows stay
    without one (said as such), not joined to the respondent above. A row that answers another question again (an
    answer continued on a second row) is still theirs."""
    ids = _texts(ids)
    if questions is None:
        return ids.where(ids != "").ffill().fillna("")
    out, current, opening = [], "", None
    for given, question in zip(ids, _texts(questions)):
        if given:
            current, opening = given, question
        elif current and question == opening:
            current = ""
        out.append(given or current)
    return pd.Series(out, index=ids.index)


def first_rows_shape(table: pd.DataFrame, id_column: str) -> tuple[str, str, str] | None:
    """`long_shape` of a long file that names each respondent on their first row only (`ids_on_first_rows`), its ids
    carried down; None for any other file. Guessed so, the question column must be named as one: a wide file's
    'Role' of Lead and Partner rows, the id on the Lead row only, would read as a file of questions 'Lead' and
    'Partner'."""
    ids = _texts(table[id_column])
    if not _blank_below_ids(ids):
        return None
    shape = long_shape(table.assign(**{id_column: carried_down(ids)}), id_column)
    if shape is None or not _QUESTION_NAME.search(str(shape[0])):
        return None
    return shape if ids_on_first_rows(table, id_column, shape[0]) else None


def _blank_below_ids(ids: pd.Series) -> bool:
    return (ids == "").mean() >= 1 / 3 and (ids != "").sum() >= 2


def ids_on_first_rows(table: pd.DataFrame, id_column: str, question_column: str | None = None) -> bool:
    """Whether a long file names each respondent on their first row only, the rows of their other answers left
    blank (a sheet laid out for reading, or merged cells saved as CSV): a third of the rows or more have no id, most
    rows with an id answer the same question, and with the ids carried down each respondent's rows answer different
    questions (`question_column`, or a column found so by `first_rows_shape` when None). Read row by row, each
    answer would be a respondent of its own."""
    if question_column is None:
        return first_rows_shape(table, id_column) is not None
    ids = _texts(table[id_column])
    if not _blank_below_ids(ids):
        return False
    questions = _texts(table[question_column])
    # Most respondents' rows open with the same question (the survey's first): a column of sites or waves beside
    # a wide file's missing ids would not.
    if questions[ids != ""].value_counts().iloc[0] < 0.5 * (ids != "").sum():
        return False
    # Carried as `to_answers` carries them: a respondent whose own id is missing starts on the opening question.
    carried_ids = carried_down(ids, questions)
    pairs = pd.DataFrame({"id": carried_ids, "q": questions})[carried_ids != ""]
    return bool(pairs.duplicated().mean() <= 0.05 and (pairs.groupby("id").size() > 1).mean() >= 0.5)


def data_shape(table: pd.DataFrame) -> bool:
    """A table of answers rather than instructions or a list of codes: two named columns or more, two rows or
    more, and a column of free text (the answers)."""
    from themes.ingest import _looks_like_free_text

    named = [c for c in table.columns if not str(c).startswith("Unnamed:")]
    return len(named) >= 2 and len(table) >= 2 and any(_looks_like_free_text(table[c]) for c in table.columns)


def doubtful_guess(answers: pd.DataFrame, spec, path) -> None:
    """Stop when the columns were guessed and what they give looks wrong: a single answer (unless the sheet
    was named), or most answers repeating another row's word for word (a long file read as wide)."""
    guessed = {k for k, v in spec.sources.items() if v == "guessed" or str(v).startswith("guessed")}
    if not guessed & {"text_columns", "format", "answer_column", "sheet"}:
        return
    text = answers["answer_raw"].str.strip()
    filled = text[text != ""]
    where = f" on sheet '{spec.sheet}'" if spec.sheet else ""
    named_sheet = str(spec.sources.get("sheet", "")).startswith(("option", "sidecar"))  # chosen, not guessed
    if len(filled) <= 1 and not named_sheet:
        raise InputError(f"{path}: only {len(filled)} answer found{where} in the guessed column(s) "
                         f"{', '.join(spec.text_columns or [spec.answer_column])}; name the sheet with --sheet or "
                         "the answer columns with --text-column.")
    long_texts = filled[filled.str.split().str.len() >= 4]
    repeats = int(long_texts.duplicated(keep=False).sum())
    if not spec.is_long and len(long_texts) >= 10 and repeats > len(long_texts) / 2:
        raise InputError(f"{path}: {repeats} of {len(long_texts)} answers repeat another row's word for word, so "
                         "the columns were likely misread; for a long file (one row per answer) pass "
                         "--question-column and --answer-column, else name the columns with --text-column.")


def announcement(spec, path, *, respondents: int | None = None, answers: int | None = None,
                 problems: list[dict] | None = None) -> list[str]:
    """The columns a run reads and where each choice came from, one line each: printed before work starts
    and recorded in the manifest. `problems`: the id problems `ingest.to_answers` found, said too."""
    sources = spec.sources

    def origin(field: str, guessed: str) -> str:
        value = sources.get(field, "option")
        return guessed if value == "guessed" else value

    def named(columns) -> str:
        return ", ".join(f"'{c}'" for c in columns) or "none"

    def many(n: int, word: str) -> str:
        return f"{n} {word}{'s' * (n != 1)}"

    lines = [f"Reading {path}" + (f": {many(respondents, 'respondent')}, {many(answers, 'answer')}"
                                   if respondents is not None else "")]
    if "encoding" in sources and str(sources["encoding"]).lower().replace("-", "_").startswith(("utf_16", "utf_32")):
        # UTF-16 and UTF-32 are told by their byte-order mark or their zero bytes, not guessed (review 159)
        lines.append(f"  encoding   {sources['encoding']} (read from the file's bytes, not UTF-8)")
    elif "encoding" in sources:
        lines.append(f"  encoding   {sources['encoding']} (guessed: not UTF-8; if letters look wrong, save the file as "
                     "UTF-8 CSV)")
    if "delimiter" in sources:
        shown = {"\t": "tab", ";": "';'", "|": "'|'"}.get(sources["delimiter"], repr(sources["delimiter"]))
        lines.append(f"  delimiter  {shown} between columns (guessed from the file, not a comma)")
    if "encoding_rows" in sources:  # a UTF-8 export with rows of Windows text added
        lines.append(f"  encoding   UTF-8, but {sources['encoding_rows']} not: read as cp1252 (Windows); if letters "
                     "look wrong there, retype them and save the file as UTF-8 CSV")
    if "platform_rows" in sources:
        lines.append(f"  skipped    {sources['platform_rows']}")
    if "merged_cells" in sources:
        n = sources["merged_cells"]
        lines.append(f"  merged     {n} merged cell range{'s' * (n != 1)}: each cell of one read as the value the "
                     "spreadsheet shows across it")
    if "formula_text" in sources:
        n = sources["formula_text"]
        lines.append(f"  formulas   {n} cell{'s' * (n != 1)} that the program which wrote the workbook saved as a "
                     "formula hold an answer beginning with '=' ('=> more staff'): read as that text")
    if "unfinished" in sources:
        lines.append(f"  unfinished {sources['unfinished']} responses were not finished (Qualtrics's Finished): read "
                     "with the answers given before they stopped; delete their rows from the export to leave them out")
    if "repeated_columns" in sources:
        lines.append(f"  repeated   column names: {sources['repeated_columns']}")
    if spec.sheet or "sheet" in sources:
        lines.append(f"  sheet      '{spec.sheet}' ({origin('sheet', 'guessed')})")
    if spec.is_long:
        why = sources.get("format", sources.get("question_column", "option"))
        lines.append(f"  format     long, one row per answer ({why})")
        lines.append(f"  question   '{spec.question_column}'; answer '{spec.answer_column}'")
        if "question_text" in sources:
            lines.append(f"  wording    {sources['question_text']}: each question's wording, read with its name (the "
                         "classifier reads the question it asks; the report names it)")
    else:
        why = sources.get("format", sources.get("text_columns", "option"))  # named text columns make it wide
        lines.append(f"  format     wide, one row per respondent ({why})")
        lines.append(f"  text       {named(spec.text_columns)} ({origin('text_columns', 'guessed: free text')})")
    if spec.id_column:
        lines.append(f"  id         '{spec.id_column}' ({origin('id_column', 'guessed from its name')})")
    else:
        lines.append(f"  id         none: each row a respondent, named by its content ('gen-' and 8 hex digits; the "
                     f"same row exported twice is one) ({origin('id_column', 'option')})")
    if "closed_fields" in sources:
        lines.append(f"  fields     {sources['closed_fields']}")
    if "senders" in sources:
        lines.append(f"  senders    {sources['senders']} (not read as answers or metadata) tells who sent each "
                     "submission: two from one address whose answers are mostly the same, or whose metadata agree "
                     "where one is a first try, are one respondent's sent again, read once; from two, never (a keyed "
                     "digest serves the screen alone; nothing of it is written out)")
    if "ids_carried" in sources:
        n = int(sources["ids_carried"])
        lines.append(f"  carried    {n} row{'s' * (n != 1)} with no id read as the respondent above them: each "
                     "respondent's id is on their first row only, their other answers on the rows under it")
    lines += id_problem_lines(problems or [])
    if spec.meta_columns:
        lines.append(f"  metadata   {named(spec.meta_columns)} ({origin('meta_columns', 'guessed from their names')})")
    else:
        lines.append("  metadata   none found (--meta-column names the columns to break counts down by)")
    chose = str(sources.get("attribute_with", "option"))
    if spec.attribute_with:
        labels = dict(spec.question_labels)
        partners = [c for c in spec.attribute_with if about_a_partner(c) or about_a_partner(labels.get(c, ""))]
        # named, a partner's column is used as named, and the reader is told what the quotes then say (review 146)
        theirs = (f"; {', '.join(repr(c) for c in partners)} reads as the partner's: each quote then names the "
                  "partner's type or place as the respondent's" if partners else "")
        why = (f"guessed: the respondent's type and place{chose[len('guessed'):]}; --attribute-with chooses others"
               if chose.startswith("guessed") else chose + theirs)
        lines.append(f"  quotes     attributed by {named(spec.attribute_with)} ({why})")
    elif spec.meta_columns:
        passed = chose[len("none"):] if chose.startswith("none") else ""
        lines.append("  quotes     attributed to 'Respondent' alone: no metadata column names the respondent's type "
                     f"or state{passed} (--attribute-with names one)")
    if "own_names" in sources:
        columns, count = sources["own_names"].rsplit(" (", 1)
        lines.append(f"  own names  {columns}: each respondent's name, where their own answers write it, read as "
                     f"[name] ({count}")
    if "located" in sources:
        lines.append(f"  located    {sources['located']}: where the survey platform placed each respondent's IP "
                     "address, not their answer: not read (--meta-column cannot name them)")
    if "hidden" in sources:
        lines.append(f"  hidden     {sources['hidden']}: hidden in the workbook, so not read (--text-column or "
                     "--meta-column reads one)")
    if "hidden_rows" in sources:
        lines.append(f"  hidden     {sources['hidden_rows']}: hidden in the workbook, but read as answers (delete a "
                     "row from the file to leave it out)")
    if "ignored" in sources:
        lines.append(f"  not read   {sources['ignored']}: not free text, nor ids or metadata (--text-column codes a "
                     "column; --meta-column breaks counts down by one)")
    return lines


def id_problem_lines(problems: list[dict], *, shown: int = 5) -> list[str]:
    """Rows without an id and ids repeated with different answers, as the announcement says them."""
    def rows(found: list[dict]) -> str:
        listed = ", ".join(str(p["row"]) for p in found[:shown])
        return f"row{'s' if len(found) > 1 else ''} {listed}" + (f" and {len(found) - shown} more" if
                                                                 len(found) > shown else "")

    lines = []
    missing = [p for p in problems if p["problem"] == "missing_id"]
    if missing:
        lines.append(f"  no id      {rows(missing)}: given an id made from the row ('{missing[0]['respondent_id']}'; "
                     "the manifest's respondent_id_problems lists each)")
    for joined in (p for p in problems if p["problem"] == "repeat_instances_joined"):
        forms = ", ".join(f"'{form}'" for form in joined["instruments"])
        plural = "s" * (len(joined["instruments"]) > 1)
        what = f"repeating instrument{plural} {forms}" if forms else "repeating events"
        lines.append(f"  joined     {joined['rows']} rows of REDCap's {what} into their "
                     f"{joined['respondents']} records (e.g. '{joined['respondent_id']}'): each "
                     f"record is one respondent; {joined['answers_joined']} answers join several instances' texts, "
                     "one paragraph each")
    for joined in (p for p in problems if p["problem"] == "events_joined"):
        occasions = joined.get("occasions", "events")
        lines.append(f"  joined     {joined['rows']} rows into {joined['respondents']} records answering a question at "
                     f"several REDCap {occasions} (e.g. '{joined['respondent_id']}'): each record is one respondent; "
                     f"{joined['answers_joined']} answers join several "
                     f"{'instances' if occasions.startswith('instances') else 'events'}' texts, one paragraph each, "
                     "in the file's order")
    for apart in (p for p in problems if p["problem"] == "events_apart"):
        lines.append(f"  apart      {apart['records']} record{'s' * (apart['records'] != 1)} whose REDCap events "
                     f"answer a question twice {'were' if apart['records'] != 1 else 'was'} kept apart, each row a "
                     "respondent of its own (e.g. "
                     f"'{apart['respondent_id']}': {apart['why']}): make its metadata agree across events, or drop "
                     "a row sent twice, to read it as one record")
    for joined in (p for p in problems if p["problem"] == "rows_joined"):
        lines.append(f"  joined     {joined['rows']} rows into {joined['respondents']} respondents: rows that share an "
                     f"id and answer different questions (e.g. '{joined['respondent_id']}'; a REDCap event or a form "
                     "saved page by page) are one respondent's answers")
    again = [p for p in problems if p["problem"] == "repeated_row"]
    if again:
        first = again[0]
        lines.append(f"  sent again {rows(again)}: the same answers as an earlier row of the same respondent "
                     f"({'e.g. ' if len(again) > 1 else ''}'{first['respondent_id']}', row {first['first_row']}), read "
                     "once (status duplicate)")
    repeated = [p for p in problems if p["problem"] == "repeated_id_different_content"]
    if repeated:
        first = repeated[0]
        lines.append(f"  repeated   {rows(repeated)}: an id seen before with other answers, kept apart as "
                     f"'{first['respondent_id']}' ('{first['original_id']}' again; where its metadata agree and most "
                     "answers are alike it is a version of the same submission, read once, the fuller coded; said "
                     "after the run)")
    for filled in (p for p in problems if p["problem"] == "metadata_filled"):
        lines.append(f"  metadata   '{filled['column']}' is empty on {filled['rows']} row{'s' if filled['rows'] > 1 else ''} "
                     "of respondents who give it on another row: their value holds for all their rows")
    for spelled in (p for p in problems if p["problem"] == "metadata_spellings"):
        listed = "; ".join(f"{', '.join(repr(o) for o in others)} as '{kept}'"
                           for kept, others in list(spelled["merged"].items())[:shown])
        more = len(spelled["merged"]) - shown
        lines.append(f"  metadata   '{spelled['column']}': spellings of one value read as one group: {listed}"
                     + (f" (and {more} more)" if more > 0 else ""))
    varies = [p for p in problems if p["problem"] == "metadata_varies"]
    for column in dict.fromkeys(p["column"] for p in varies):
        mine = [p for p in varies if p["column"] == column]
        first = mine[0]
        lines.append(f"  metadata   '{column}' differs among the rows of {len(mine)} respondent"
                     f"{'s' if len(mine) > 1 else ''} ('{first['respondent_id']}': "
                     f"{', '.join(repr(v) for v in first['values'])}): the first value is used ({rows(mine)})")
    return lines

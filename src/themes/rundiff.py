"""What changed between two runs of the same survey: per theme, the respondents and answers gained
and lost, with the passages behind them, and what each side ran with."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from themes.errors import ThemesError
from themes.runfolder import RunFolder, answer_key

THEME_COLUMNS = ["theme", "in_a", "in_b", "respondents_a", "respondents_b", "respondents_gained",
                 "respondents_lost", "answers_a", "answers_b", "answers_gained", "answers_lost", "threshold_a",
                 "threshold_b"]
CHANGE_COLUMNS = ["theme", "change", "respondent_id", "question", "passage", "score_a", "score_b", "answer_edited"]
DIFF_FILES = ["diff.md", "diff_themes.csv", "diff_changes.csv"]
CHANGE_COUNTS = ["respondents_gained", "respondents_lost", "answers_gained", "answers_lost"]
# What the table's columns count, on the screen and in diff.md.
COLUMNS_READ = ("respondents A and B: everyone each run coded with the theme, respondents in one run only included "
                "(a framework type: those each run counts under it, by the most integrated type of their answers); "
                "gained and lost: among the answers both runs hold.")


@dataclass
class RunDiff:
    themes: pd.DataFrame   # one row per theme of either run
    changes: pd.DataFrame  # one row per answer that gained or lost a theme
    sides: dict            # "a"/"b": what each run ran with (codebook, hashes, model, input)
    answers_only_in: dict  # "a"/"b": answers of one run missing from the other
    same_input: bool | None  # None: a manifest does not record its input's hash, so it is not known
    edited: int = 0        # answers of both runs whose text differs (a corrected resubmission, a new export)
    shared_answers: int = 0
    shared_respondents: int = 0
    respondents_only_in: dict = field(default_factory=lambda: {"a": [], "b": []})  # their ids, in run order
    questions_only_in: dict = field(default_factory=lambda: {"a": [], "b": []})    # as the runs read them
    renamed: list = field(default_factory=list)  # (code of A only, code of B only, "label"/"definition"/both)
    read_renamed: list = field(default_factory=list)  # (side read, its code, the code it was read as)

    @property
    def other_people(self) -> bool:
        """Most answers both runs hold read differently: perhaps other people under the same ids, not edits."""
        return self.shared_answers >= _FEW_SHARED and self.edited > self.shared_answers / 2


# What a run's decisions hang on besides the codebook and its calibration: the model (its backend in its name), how
# scores are made, how answers are cut into passages and which are coded.
_DECIDING_SETTINGS = ("fp16", "segment_words", "max_words", "languages")


def side_summary(run: RunFolder) -> dict:
    manifest = run.manifest
    codebook = manifest.get("codebook") if isinstance(manifest.get("codebook"), dict) else {}
    # A run of several codebooks (themes and framework) names each: "a.yaml + b.yaml".
    books = [b for b in manifest.get("codebooks") or [] if isinstance(b, dict)] or [codebook]
    # Each codebook records the calibration it ran with; older manifests kept one at the top.
    top = manifest.get("calibration") if isinstance(manifest.get("calibration"), dict) else {}
    made_for = [((b.get("calibration") if isinstance(b.get("calibration"), dict) else top) or {}).get("codebook_hash")
                for b in books]
    # A calibration made before the codebook's renames (its `formerly`) fits it: the run recorded it so
    fit = [(b.get("calibration") if isinstance(b.get("calibration"), dict) else {}).get("matches_codebook")
           for b in books]

    def each(values: list):
        return values[0] if len(values) == 1 else " + ".join(str(v) for v in values)

    def learned_from(book: dict) -> str | None:
        calibration = book.get("calibration") if isinstance(book.get("calibration"), dict) else top
        if not calibration or calibration.get("training_passages") is None:
            return None
        where = Path(str(calibration.get("gold_file") or "coded passages")).name
        gold = f", {str(calibration['gold_hash'])[:12]}" if calibration.get("gold_hash") else ""
        return f"{calibration['training_passages']:,} passages of {where}{gold}"

    learned = [learned_from(b) for b in books]

    return {"folder": str(run.path), "codebook": each([b.get("path") for b in books]),
            "codebook_version": each([b.get("version") for b in books]),
            "codebook_content_hash": each([b.get("content_hash") for b in books]),
            "codebook_sha256": each([b.get("sha256") for b in books]),
            "calibration_codebook_hash": each(made_for) if any(made_for) else None,
            # what each codebook's calibration learned from: two runs on other calibrations differ by them too
            "calibration_learned_from": each(learned) if any(learned) else None,
            # ... by codebook (its name, else its file), so that runs of other codebook sets compare those they share
            "calibration_learned_by_codebook": {str(b.get("name") or Path(str(b.get("path") or "")).name): one
                                                for b, one in zip(books, learned) if one},
            "calibration_for_other_content": [(made, b.get("content_hash"))
                                              for b, made, fits in zip(books, made_for, fit)
                                              if made and b.get("content_hash") and made != b.get("content_hash")
                                              and not fits],
            "model": manifest.get("model"), "method": manifest.get("method"),
            "decided_by": {"model": manifest.get("model"), "method": manifest.get("method"),
                           **{k: (manifest.get("settings") or {}).get(k) for k in _DECIDING_SETTINGS}},
            "input_sha256": (manifest.get("input") or {}).get("sha256"),
            "thresholds": manifest.get("thresholds") or {}, "answers": len(run.answers)}


def diff_runs(a: RunFolder, b: RunFolder) -> RunDiff:
    """Compare the theme decisions of two runs answer by answer (answers matched by respondent and question,
    each question as its run read it: see `_read_as`). A code one run's codebook lists in `formerly` is read in the
    other run under the name it became."""
    before = {"a": dict(a.manifest.get("thresholds") or {}), "b": dict(b.manifest.get("thresholds") or {})}
    a, b, read_renamed = _under_one_name(a, b)
    # Codes merged into one since (trust and cultural_differences into partner_relations): each of their thresholds,
    # where the renamed manifest kept one of them (review 160: "threshold A 0.50" where A used 0.45 and 0.50)
    merged: dict[str, dict[str, list[str]]] = {"a": {}, "b": {}}
    for side, old, new in read_renamed:
        merged[side].setdefault(new, []).append(old)
    read_as = {"a": _read_as(a), "b": _read_as(b)}
    left, right = _by_answer(a, read_as["a"]), _by_answer(b, read_as["b"])
    shared = left.index.intersection(right.index)
    if shared.empty:
        raise ThemesError(_nothing_shared(a, b, left, right))
    if not set(a.category_ids) & set(b.category_ids):  # a table of every code "in A only" or "in B only", exit 0
        raise ThemesError(f"{a.path} and {b.path} share no theme or type (their codebooks have no id in common): "
                          "nothing to compare. diff compares two runs coded with the same codebook, or one edited; "
                          "run both with a codebook in common.")
    sides = {"a": side_summary(a), "b": side_summary(b)}
    ids = list(dict.fromkeys(a.category_ids + b.category_ids))
    rows, changes = [], []
    passages = {"a": _passages(a, read_as["a"]), "b": _passages(b, read_as["b"])}
    # An answer whose text changed gains and loses themes with its text, not with the coding: marked.
    texts_a, texts_b = left.loc[shared, "answer"].astype(str), right.loc[shared, "answer"].astype(str)
    edited = set(shared[(texts_a.str.strip() != texts_b.str.strip()).to_numpy()])
    # A framework type counts each respondent once, under the most integrated type of their answers, as the run's
    # framework_counts.csv does (counted by any answer, referral read 77 respondents where the run counted 55).
    typed = {"a": _counted_under_types(left, a), "b": _counted_under_types(right, b)}
    # Gained and lost on the answers both runs hold: a question one export dropped moved a respondent to a less
    # integrated type, which is no change of coding.
    typed_shared = {"a": _counted_under_types(left.loc[shared], a), "b": _counted_under_types(right.loc[shared], b)}

    def respondents(frame: pd.DataFrame, side: str, theme: str) -> set[str]:
        return typed[side][theme] if theme in typed[side] else _respondents(frame, theme)

    for theme in ids:
        in_a, in_b = theme in a.category_ids, theme in b.category_ids
        row = {"theme": theme, "in_a": in_a, "in_b": in_b, "respondents_a": len(respondents(left, "a", theme)),
               "respondents_b": len(respondents(right, "b", theme)),
               "answers_a": int(left["theme_list"].map(lambda t: theme in t).sum()),
               "answers_b": int(right["theme_list"].map(lambda t: theme in t).sum()),
               "threshold_a": _threshold_of(sides["a"], theme), "threshold_b": _threshold_of(sides["b"], theme)}
        for side in "ab":
            olds = merged[side].get(theme, [])
            if len(olds) > 1 and all(isinstance(before[side].get(old), (int, float)) for old in olds):
                row[f"threshold_{side}"] = "/".join(f"{float(before[side][old]):.2f}" for old in olds)
        if not (in_a and in_b):
            # A code one codebook lacks (added, dropped, renamed, a framework coded once) was not re-decided:
            # its answers are no gain or loss of coding.
            rows.append({**row, **dict.fromkeys(CHANGE_COUNTS)})
            continue
        has_a = left.loc[shared, "theme_list"].map(lambda themes: theme in themes)
        has_b = right.loc[shared, "theme_list"].map(lambda themes: theme in themes)
        gained, lost = shared[has_b & ~has_a], shared[has_a & ~has_b]
        # Respondents are gained and lost on the answers both runs hold: an answer one export lacks (a dropped
        # column, a respondent not yet in) is no change of coding.
        people_a = set(shared[has_a.to_numpy()].get_level_values(0))
        people_b = set(shared[has_b.to_numpy()].get_level_values(0))
        if theme in typed_shared["a"] and theme in typed_shared["b"]:
            people_a, people_b = people_a & typed_shared["a"][theme], people_b & typed_shared["b"][theme]
        rows.append({**row, "respondents_gained": len(people_b - people_a),
                     "respondents_lost": len(people_a - people_b), "answers_gained": len(gained),
                     "answers_lost": len(lost)})
        for change, keys, side in (("gained", gained, "b"), ("lost", lost, "a")):
            for key in keys:
                changes.append({"theme": theme, "change": change, "respondent_id": key[0], "question": key[1],
                                "passage": passages[side].get((*key, theme), ""),
                                "score_a": _score(left, key, theme), "score_b": _score(right, key, theme),
                                "answer_edited": key in edited})
    changes_frame = pd.DataFrame(changes, columns=CHANGE_COLUMNS)
    if len(changes_frame):
        # The most decided changes first: those the two runs scored furthest apart.
        distance = (changes_frame["score_b"].fillna(0) - changes_frame["score_a"].fillna(0)).abs()
        changes_frame = changes_frame.assign(_d=distance).sort_values(["theme", "change", "_d"], ascending=[
            True, False, False], kind="stable").drop(columns="_d").reset_index(drop=True)
        order = {theme: k for k, theme in enumerate(ids)}
        changes_frame = changes_frame.sort_values("theme", key=lambda s: s.map(order), kind="stable")
    themes = pd.DataFrame(rows, columns=THEME_COLUMNS).astype({column: "Int64" for column in CHANGE_COUNTS})
    only_a = [t for t in ids if t not in b.category_ids]
    only_b = [t for t in ids if t not in a.category_ids]
    return RunDiff(themes, changes_frame.reset_index(drop=True), sides,
                   {"a": len(left.index.difference(right.index)), "b": len(right.index.difference(left.index))},
                   _same_input(sides["a"]["input_sha256"], sides["b"]["input_sha256"]), len(edited),
                   shared_answers=len(shared), shared_respondents=shared.get_level_values(0).nunique(),
                   respondents_only_in=_one_side_only(left.index.get_level_values(0), right.index.get_level_values(0)),
                   questions_only_in=_one_side_only(left.index.get_level_values(1), right.index.get_level_values(1)),
                   renamed=_look_renamed(only_a, only_b, _descriptions(a), _descriptions(b)),
                   read_renamed=read_renamed)


def _under_one_name(a: RunFolder, b: RunFolder) -> tuple[RunFolder, RunFolder, list[tuple[str, str, str]]]:
    """Both runs with a code renamed between them under its new name: the one the other's codebook lists in
    `formerly` (its manifest records it); where this run codes the new one too, the two were merged into it since.
    Without it, a renamed theme was 'coded in A only' and 'in B only', its answers never compared."""
    from themes.runfolder import renamed_codes, with_codes_renamed

    read: list[tuple[str, str, str]] = []
    runs = {"a": a, "b": b}
    for side, other in (("a", "b"), ("b", "a")):
        run, codes = runs[side], set(runs[side].theme_ids) | set(runs[side].category_ids)
        renamed = {old: new for old, new in renamed_codes(runs[other]).items() if old in codes}
        read += [(side, old, new) for old, new in renamed.items() if old in run.category_ids]
        runs[side] = with_codes_renamed(run, renamed)
    return runs["a"], runs["b"], read


_FEW_SHARED = 10  # below this many shared answers, most of them edited may be a few corrections


def _one_side_only(values_a, values_b) -> dict[str, list[str]]:
    """The distinct values of each side that the other lacks, in the order the run holds them."""
    a, b = list(dict.fromkeys(values_a)), list(dict.fromkeys(values_b))
    set_a, set_b = set(a), set(b)
    return {"a": [v for v in a if v not in set_b], "b": [v for v in b if v not in set_a]}


def _read_as(run: RunFolder) -> dict[str, str]:
    """The questions the run read as one its calibration knows (`questions_read_as`: a reworded or renamed
    column), so that two exports of one survey match question by question. A name two of the run's questions
    would share is left alone: merged, their answers would hide one another."""
    recorded = run.manifest.get("questions_read_as")
    if not isinstance(recorded, dict):
        return {}
    own = set(run.answers["question"])
    named = Counter(recorded.get(question, question) for question in own)
    return {question: str(name) for question, name in recorded.items() if question in own and named[name] == 1}


def _nothing_shared(a: RunFolder, b: RunFolder, left: pd.DataFrame, right: pd.DataFrame) -> str:
    """Why two runs share no answer, and what to do: the same questions with ids written differently
    ('R001' and '1') is one survey's exports, not two surveys."""
    asked = set(left.index.get_level_values(1)) | set(right.index.get_level_values(1))
    questions = set(left.index.get_level_values(1)) & set(right.index.get_level_values(1))
    people = set(left.index.get_level_values(0)) & set(right.index.get_level_values(0))
    renumbered = _same_answers_renumbered(left, right, questions) if questions and not people else None
    if renumbered and len(questions) < len(asked):
        # Ids renumbered and questions added since: "different surveys" where the shared questions' answers were the
        # same texts under the same numbers (review 172)
        return (f"{a.path} and {b.path} share no respondent id, but {renumbered[2]} answers to the questions they "
                f"share are the same texts under ids of the same number ({renumbered[0]!r} in A, {renumbered[1]!r} in "
                "B): if they are one survey, its exports write the ids differently. Give both exports the same ids "
                "and run again.")
    if questions and not people and len(questions) * 2 < len(asked):
        # One question of eight in common ("goals") is no sign of one survey: renumbering the ids would compare
        # strangers (review 170)
        return (f"{a.path} and {b.path} share {len(questions)} of the {len(asked)} questions they ask "
                f"({', '.join(repr(q) for q in sorted(questions)[:3])}{' ...' if len(questions) > 3 else ''}) and no "
                "respondent: they code different surveys or exports, so there is no change to show. Diff two runs "
                "of the same survey.")
    if questions and not people:
        pair = _written_differently(list(dict.fromkeys(left.index.get_level_values(0))),
                                    list(dict.fromkeys(right.index.get_level_values(0))))
        if pair:
            return (f"{a.path} and {b.path} ask the same questions but share no respondent id: if they are one "
                    f"survey, its exports write the ids differently ({pair[0]!r} in A, {pair[1]!r} in B). Give both "
                    "exports the same ids and run again.")
        # A second batch, not the same one written otherwise: renumbering its ids to match would compare strangers.
        return (f"{a.path} and {b.path} ask the same questions but share no respondent ({left.index[0][0]!r} in A, "
                f"{right.index[0][0]!r} in B): other respondents, as a new batch holds, so there is nothing to "
                "compare. diff compares two runs of the same answers (the codebook, its calibration or the export "
                "changed between them); a project counts batches together (themes serve --project).")
    if people and not questions:
        return (f"{a.path} and {b.path} share respondents but no question ({left.index[0][1]!r} in A, "
                f"{right.index[0][1]!r} in B). Name the question columns alike in both exports and run again.")
    return (f"{a.path} and {b.path} share no answer (respondent and question): they code different surveys or "
            "exports, so there is no change to show. Diff two runs of the same survey.")


def _descriptions(run: RunFolder) -> dict[str, tuple[str, str]]:
    """Each code's label and definition, from the codebooks the manifest names, where they are still there with
    the content the run coded; {} where not (a code's rename then goes unseen, nothing else)."""
    from themes.codebook import load_codebook, plain_key

    manifest = run.manifest
    entries = manifest.get("codebooks") or [manifest.get("codebook")]
    found = _labels_counted(run)  # the labels the run's count files give: a codebook edited in place since
    for entry in entries:
        path = Path(entry.get("path") or "") if isinstance(entry, dict) else Path("")
        if not path.is_file():
            continue
        try:
            codebook = load_codebook(path)
        except ThemesError:
            continue
        if entry.get("content_hash") and codebook.content_hash() != entry["content_hash"]:
            continue  # edited since the run: its labels are not the run's
        found.update({c.id: (plain_key(c.label), plain_key(c.theme.definition)) for c in codebook.categories})
    return found


def _labels_counted(run: RunFolder) -> dict[str, tuple[str, str]]:
    """Each code's label as the run's count files wrote it (no definition): the codebook a run used is often
    edited in place afterwards, and its rename then went unseen."""
    from themes.codebook import plain_key

    found: dict[str, tuple[str, str]] = {}
    for name, columns in (("theme_counts.csv", ("theme",)), ("framework_counts.csv", ("dimension", "type"))):
        path = run.path / name
        if not path.is_file():
            continue
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (OSError, ValueError, pd.errors.ParserError):
            continue
        if not {*columns, "label"} <= set(frame.columns):
            continue
        for row in frame.itertuples(index=False):
            code = ".".join(getattr(row, column) for column in columns)
            label = f"{row.dimension_label}: {row.label}" if "dimension_label" in frame.columns else row.label
            found[code] = (plain_key(label), "")
    return found


def _look_renamed(only_a: list[str], only_b: list[str], described_a: dict, described_b: dict) -> list[tuple]:
    """Pairs of a code of A only and one of B only with the same label or definition: one code renamed."""
    pairs = []
    for code_b in only_b:
        for code_a in only_a:
            if code_a in described_a and code_b in described_b:
                same = [what for what, x, y in zip(("label", "definition"), described_a[code_a], described_b[code_b])
                        if x and x == y]
                if same:
                    pairs.append((code_a, code_b, " and ".join(same)))
    return pairs


def _threshold_of(side: dict, category: str) -> float | None:
    """A theme's threshold; a framework type's is its dimension's (`service_model.referral` -> `service_model`)."""
    thresholds = side["thresholds"]
    return thresholds[category] if category in thresholds else thresholds.get(category.split(".", 1)[0])


def _by_answer(run: RunFolder, read_as: dict[str, str]) -> pd.DataFrame:
    frame = run.answers.copy()
    frame["question"] = frame["question"].map(lambda question: read_as.get(question, question))
    frame.index = pd.MultiIndex.from_tuples(answer_key(frame), names=["respondent_id", "question"])
    return frame[~frame.index.duplicated()]


def _counted_under_types(frame: pd.DataFrame, run: RunFolder) -> dict[str, set[str]]:
    """Each framework type's respondents as the run counts them: the most integrated type of their answers (a
    dimension's types are its score columns, least integrated first, as the codebook lists them)."""
    from themes.evaluate import most_integrated

    kinds: dict[str, list[str]] = {}
    for column in run.answers.columns:
        if column.startswith("score_") and "." in column:
            dimension, kind = column.removeprefix("score_").split(".", 1)
            kinds.setdefault(dimension, []).append(kind)
    codes: dict[str, list[str]] = {}  # each respondent's codes over the answers given
    for respondent, themes in zip(frame.index.get_level_values(0), frame["theme_list"]):
        codes.setdefault(respondent, []).extend(themes)
    out = {f"{dimension}.{kind}": set() for dimension, known in kinds.items() for kind in known}
    for dimension, known in kinds.items():
        for respondent, labels in codes.items():
            kind = most_integrated(labels, dimension, known, none="")
            if kind in known:
                out[f"{dimension}.{kind}"].add(respondent)
    return out


def _respondents(frame: pd.DataFrame, theme: str) -> set[str]:
    return set(frame.index.get_level_values(0)[frame["theme_list"].map(lambda themes: theme in themes).to_numpy()])


def _score(frame: pd.DataFrame, key: tuple[str, str], theme: str) -> float | None:
    column = f"score_{theme}"
    if column not in frame.columns:
        return None
    value = pd.to_numeric(frame.at[key, column], errors="coerce")
    return None if pd.isna(value) else round(float(value), 4)


def _passages(run: RunFolder, read_as: dict[str, str]) -> dict[tuple[str, str, str], str]:
    """(respondent, question, theme) -> the first segment carrying the theme, else the whole answer."""
    found: dict[tuple[str, str, str], str] = {}
    for frame, text_column in ((run.segments, "text"), (run.answers, "answer")):
        for respondent, question, text, themes in zip(frame["respondent_id"], frame["question"], frame[text_column],
                                                      frame["theme_list"]):
            for theme in themes:
                found.setdefault((respondent, read_as.get(question, question), theme), text)
    return found


def notes(diff: RunDiff) -> list[str]:
    """What the table leaves out or cannot tell, one sentence each (lower case first), for the screen and diff.md."""
    found = []
    if Path(diff.sides["a"]["folder"]).resolve() == Path(diff.sides["b"]["folder"]).resolve():
        found.append("A and B are the same run folder: nothing can have changed between them.")
    if diff.other_people:
        # A second batch numbered from R001 again: 816 of 816 answers differed, and gains were read off strangers.
        found.append(f"{diff.edited} of the {diff.shared_answers} answers both runs hold read differently: these may "
                     "be other respondents under the same ids (a batch numbered from the first id again), whose "
                     "themes differ with the people, not the coding. Check that both runs coded the same answers.")
    only = diff.answers_only_in
    if only["a"] or only["b"]:
        found.append(f"{diff.shared_answers} answers ({diff.shared_respondents} respondents) are in both runs and "
                     f"compared; {only['a']} in A only and {only['b']} in B only are left out.")
    people = diff.respondents_only_in
    if people["a"] or people["b"]:
        counts = "; ".join(f"in {side.upper()} only: {len(people[side])}" + (f" (e.g. {people[side][0]!r})"
                                                                           if people[side] else "") for side in "ab")
        pair = _written_differently(people["a"], people["b"])
        same = (f" Some look like one id written differently ({pair[0]!r} in A, {pair[1]!r} in B); give both "
                "exports the same ids to compare them." if pair else "")
        found.append(f"respondents {counts}.{same}")
    questions = diff.questions_only_in
    if questions["a"] or questions["b"]:
        listed = "; ".join(f"in {side.upper()} only: {', '.join(map(repr, questions[side])) or 'none'}"
                           for side in "ab")
        found.append(f"questions {listed}. Their answers are not compared; name a question alike in both exports "
                     "to compare it.")
    for side in "ab":
        read = [f"'{old}' as '{new}'" for run, old, new in diff.read_renamed if run == side]
        if read:
            found.append(f"{side.upper()}'s codes read as the other run's codebook names them (its formerly): "
                         f"{', '.join(read)}.")
    for code_a, code_b, same in diff.renamed:
        found.append(f"'{code_b}' (B only) looks like '{code_a}' (A only) renamed: same {same}. If it is, write "
                     f"'formerly: [{code_a}]' under '{code_b}' in B's codebook and run B again: the two are then "
                     "compared.")
    for side in "ab":
        codes = [row.theme for row in diff.themes.itertuples() if coded_only_in(row) == side]
        if codes:
            found.append(f"coded in {side.upper()} only, not counted as gained or lost: {', '.join(codes)}.")
    calibrated = {side: diff.sides[side]["calibration_codebook_hash"] is not None for side in "ab"}
    if calibrated["a"] != calibrated["b"]:
        side, other = ("b", "a") if calibrated["a"] else ("a", "b")
        found.append(f"run {side.upper()} ran without a calibration and run {other.upper()} with one: its gains "
                     "and losses mix the change between the runs with the thresholds and passages the calibration "
                     "gives (themes calibrate, or pass --calibration to both runs).")
    learned = {side: diff.sides[side]["calibration_learned_by_codebook"] for side in "ab"}
    # Only the codebooks both runs coded: a run that adds the framework learned from its passages too, and the
    # same themes calibration read as "other coded passages" (review 170)
    shared = sorted(set(learned["a"]) & set(learned["b"]))
    pairs = [(book, book) for book in shared]
    # ... and the one codebook each run has that the other lacks by name: a codebook renamed with its calibration
    # was compared with nothing, and the runs' other passages went unsaid (review 172).
    unpaired = {side: [book for book in learned[side] if book not in shared] for side in "ab"}
    if len(unpaired["a"]) == len(unpaired["b"]) == 1:
        pairs.append((unpaired["a"][0], unpaired["b"][0]))
    other = [(book_a, book_b) for book_a, book_b in pairs if learned["a"][book_a] != learned["b"][book_b]]
    if all(calibrated.values()) and other:
        # trust went 141 -> 88 respondents with a 120-passage calibration, and nothing said why (review 160)
        def book(book_a: str, book_b: str) -> str:
            if len(pairs) == 1 and book_a == book_b:
                return ""
            return f"{book_a}: " if book_a == book_b else f"{book_a} in A, {book_b} in B: "

        named = "; ".join(f"{book(book_a, book_b)}A: {learned['a'][book_a]}; B: {learned['b'][book_b]}"
                          for book_a, book_b in other)
        found.append(f"the runs' calibrations learned from other coded passages ({named}): their gains and losses "
                     "mix the change between the runs with what the calibrations learned; run both with one "
                     "calibration (--calibration) to compare one change.")
    decided = {side: diff.sides[side].get("decided_by") or {} for side in "ab"}
    differ = [f"{name.replace('_', ' ')} {decided['a'].get(name)!s} in A, {decided['b'].get(name)!s} in B"
              for name in decided["a"] if None not in (decided["a"][name], decided["b"].get(name))
              and decided["a"][name] != decided["b"][name]]  # a setting an older manifest lacks is not compared
    if differ:  # three answers of 48 gained or lost a theme between torch and ONNX alone, with no word
        found.append(f"the runs were made with other settings ({'; '.join(differ)}): their gains and losses mix the "
                     "change between the runs with what those settings change; run both alike to compare one change.")
    for side in "ab":
        for made_for, content in diff.sides[side]["calibration_for_other_content"]:
            found.append(f"run {side.upper()}'s calibration was made for other codebook content (codebook hash "
                         f"{made_for}; the run's codebook is {content}): run 'themes calibrate' again.")
    return found


def _same_answers_renumbered(left: pd.DataFrame, right: pd.DataFrame,
                             questions: set[str]) -> tuple[str, str, str] | None:
    """(an id of A, the id of B with its number, "N of M") where most answers to the shared questions, two at least,
    are the same text under ids of the same number ('R001' and '1'): one survey's respondents, its ids written
    differently. Strangers of two surveys numbered alike answer otherwise."""
    def by_number(frame: pd.DataFrame) -> dict[tuple[str, str], tuple[str, str]]:
        found = {}
        for (respondent, question), text in frame["answer"].astype(str).items():
            # stock answers ("No.", "N/A") are anyone's: four words or more (review 175)
            if question in questions and len(text.split()) >= 4:
                found.setdefault((_id_number(respondent), question), (respondent, " ".join(text.split()).casefold()))
        return found

    mine, theirs = by_number(left), by_number(right)
    both = [key for key in mine if key in theirs]
    same = [key for key in both if mine[key][1] == theirs[key][1]]
    if len(same) < 2 or 2 * len(same) < len(both):
        return None
    return mine[same[0]][0], theirs[same[0]][0], f"{len(same)} of {len(both)}"


def _written_differently(only_a: list[str], only_b: list[str]) -> tuple[str, str] | None:
    """An id of A only and one of B only with the same number ('R001' and 'R1' or '1'): likely one respondent
    whose id the exports write differently, where new and departed respondents have other numbers."""
    numbered_b = {}
    for respondent in only_b:
        numbered_b.setdefault(_id_number(respondent), respondent)
    return next(((r, numbered_b[_id_number(r)]) for r in only_a if _id_number(r) in numbered_b), None)


def _id_number(respondent: str) -> str:
    """A respondent id's number without its prefix and leading zeros ('R001' and '1' are '1'); an id with no digit,
    lower-cased."""
    digits = re.sub(r"\D", "", str(respondent))
    return digits.lstrip("0") or "0" if digits else str(respondent).lower()


def coded_only_in(row) -> str | None:
    """"a" or "b" for a code only one run's codebook has, else None."""
    return None if row.in_a == row.in_b else "a" if row.in_a else "b"


def diff_markdown(diff: RunDiff, *, examples: list[tuple[str, str, str]]) -> str:
    """The diff as a short report: both sides, a table per theme, example passages (de-identified by the caller)."""
    a, b = diff.sides["a"], diff.sides["b"]
    lines = ["# What changed between two runs", "",
             "| | A | B |", "|---|---|---|"]
    for label, key in (("folder", "folder"), ("codebook", "codebook"), ("codebook version", "codebook_version"),
                       ("codebook content hash", "codebook_content_hash"),
                       ("calibration made for codebook hash", "calibration_codebook_hash"),
                       ("calibration learned from", "calibration_learned_from"), ("model", "model"),
                       ("method", "method"), ("input sha256", "input_sha256"), ("answers", "answers")):
        lines.append(f"| {label} | {_cell(a[key])} | {_cell(b[key])} |")
    if diff.same_input is False:
        lines += ["", "**The two runs read different input files**: answers are matched by respondent and "
                  "question, and those in one run only are left out of the comparison."]
    elif diff.same_input is None:
        lines += ["", f"**{unrecorded(diff)}**: answers are matched by respondent and question, and those in one "
                  "run only are left out of the comparison."]
    lines += ["", f"Answers in A only: {diff.answers_only_in['a']}; in B only: {diff.answers_only_in['b']}."]
    said = notes(diff)
    if said:
        lines += ["", *(f"- {_capital(note)}" for note in said)]
    if diff.edited and not diff.other_people:  # else said above, as other people's answers rather than edits
        marked = int(diff.changes["answer_edited"].sum()) if len(diff.changes) else 0
        lines += ["", f"**{diff.edited} answer{'s' if diff.edited != 1 else ''} in both runs read differently** "
                  "(edited or corrected in the later export): their themes change with their text, not with the "
                  f"coding. {marked} of the changes below are theirs (`answer_edited` in diff_changes.csv)."]
    lines += ["", _capital(COLUMNS_READ), "",
              "| theme | respondents A | respondents B | gained | lost | answers gained | answers lost | "
              "threshold A | threshold B |", "|---|---|---|---|---|---|---|---|---|"]
    for row in diff.themes.itertuples():
        side = coded_only_in(row)
        changed = (f"coded in {side.upper()} only | - | - | -" if side else
                   f"{row.respondents_gained} | {row.respondents_lost} | {row.answers_gained} | {row.answers_lost}")
        lines.append(f"| {row.theme} | {row.respondents_a if row.in_a else '-'} | "
                     f"{row.respondents_b if row.in_b else '-'} | {changed} | {threshold_text(row.threshold_a)} | "
                     f"{threshold_text(row.threshold_b)} |")
    if examples:
        lines += ["", "## Example passages", ""]
        for theme, change, passage in examples:
            lines.append(f"- **{theme}**, {change}: \"{passage}\"")
    return "\n".join(lines) + "\n"


def _capital(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _cell(value) -> str:
    return "" if value is None else str(value).replace("|", "/")


def threshold_text(value) -> str:
    """A threshold to two decimals; several of codes merged since stay as written ("0.45/0.50")."""
    if isinstance(value, str):
        return value
    return "-" if value is None or value != value else f"{float(value):.2f}"


def _same_input(a: str | None, b: str | None) -> bool | None:
    """Whether both runs read the same file, by the hashes their manifests record; None where one records none."""
    return None if not a or not b else a == b


def unrecorded(diff: RunDiff) -> str:
    """What a diff says of its inputs when a manifest records no input hash (a folder made by hand, or edited)."""
    missing = [side.upper() for side in ("a", "b") if not diff.sides[side]["input_sha256"]]
    return (f"Run {missing[0]}'s manifest does not record its input file" if len(missing) == 1 else
            "Neither manifest records its input file") + ", so whether the two runs read the same one is not known"

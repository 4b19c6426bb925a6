"""Calibration: per-theme thresholds (and training passages) learned from a human-coded sample by
cross-validation, saved beside the codebook as `<codebook>.calibration.json`."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from themes import defaults
from themes.codebook import Codebook, load_codebook
from themes.coding import Scheme, uncalibrated_categories, uncalibrated_note, unknown_codes
from themes.errors import ThemesError


class CodedPassage(BaseModel):
    text: str
    themes: list[str]
    question: str = ""  # the question it answers, when the coded file names it


class Calibration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    codebook: str
    codebook_hash: str
    model: str
    method: str
    C: float
    word_weight: float = 1.0
    use_question: bool = False  # files made before the question was a feature did without it
    neighbour_weight: float = 0.0  # files made before the nearest passages' vote did without it
    neighbours: int = 10  # the vote's neighbours and temperature (themes.classify.neighbour_vote), as made
    neighbour_temperature: float = 0.05
    thresholds: dict[str, float]
    passages: list[CodedPassage] = Field(default_factory=list)
    gold_file: str | None = None
    gold_hash: str | None = None
    gold_split: str | None = None
    # Who made the codings of a QDA project it learned from, with the caution when most were the run's own
    gold_coded_by: str | None = None
    cross_validated: dict = Field(default_factory=dict)
    created: str = ""


def calibration_path(codebook_path: str | Path) -> Path:
    path = Path(codebook_path)
    return path.with_name(f"{path.stem}.calibration.json")


def load_calibration(path: str | Path) -> Calibration:
    path = Path(path)
    try:
        return Calibration.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, ValidationError) as error:
        reason = str(error).splitlines()[0][:160]
        raise ThemesError(f"{path}: the calibration file cannot be read ({reason}). "
                          "Run 'themes calibrate' again or delete the file.") from None


def find_calibration(codebook_path: str | Path, explicit: str | None) -> Calibration | None:
    """The explicit calibration file, else the one beside the codebook, else a shipped one made for the
    same content (a copied codebook keeps its calibration), else None."""
    path, _ = locate_calibration(codebook_path, explicit)
    return load_calibration(path) if path is not None else None


def check_calibration_option(codebooks, explicit: str | None) -> None:
    """One calibration file serves one codebook."""
    if explicit and len(codebooks) > 1:
        raise ThemesError("--calibration names one calibration file, but the run has several codebooks; "
                          "leave it out so each codebook uses the calibration beside it.")


def locate_calibration(codebook_path: str | Path, explicit: str | None) -> tuple[Path | None, str]:
    """Which calibration file a codebook runs with, and in words where it came from (or why none): the
    run announces it, because a calibration silently lost moves every count."""
    book = load_codebook(codebook_path)
    content, before = book.content_hash(), book.content_hashes_before_renames()
    # Made before some of the codebook's renames (its `formerly`): its codes are read under the new ids
    renames = "; made before the codebook's renames (formerly), its codes read under the new ids"
    if explicit:
        if not Path(explicit).is_file():
            raise ThemesError(f"Calibration file not found: {explicit}. Check --calibration.")
        made_for = _codebook_hash(Path(explicit))
        if made_for not in {None, content, *before}:  # a theme renamed since reached 3% of respondents where it had 64%
            return Path(explicit), (f"option --calibration, but made for other content (codebook hash {made_for}, "
                                    f"this one {content}): run 'themes calibrate' again")
        return Path(explicit), "option --calibration" + renames * (made_for in before)
    beside = calibration_path(codebook_path)
    if beside.is_file():
        made_for = _codebook_hash(beside)
        if made_for not in {None, content, *before}:
            return beside, (f"beside the codebook, but made for other content (codebook hash {made_for}, this one "
                            f"{content}): run 'themes calibrate' again")
        return beside, "beside the codebook" + renames * (made_for in before)
    shipped = _shipped_calibrations()
    for candidate, made_for in shipped.items():
        if made_for == content:
            return candidate, f"matched by the codebook's content hash {content}"
    for candidate, made_for in shipped.items():
        if made_for in before:  # a shipped codebook copied and a theme renamed, with formerly
            return candidate, (f"matched by the codebook's content hash before its renames (formerly; {made_for}), "
                               "its codes read under the new ids")
    none = (f"none: no calibration file is beside the codebook or made for its content (hash {content}); it runs "
            "uncalibrated on default thresholds")
    lost = _lost_by_edit(book, shipped)
    return None, f"{none}. {lost}" if lost else f"{none} ('themes calibrate' makes one)"


def lost_by_edit(codebook_path: str | Path) -> str | None:
    """How a codebook that a run would code uncalibrated lost a shipped calibration: an id renamed without
    `formerly`, or labels, definitions or examples edited (in a QDA tool, say), with how to keep it; None for a
    codebook a calibration fits, or one that is no copy of a shipped codebook. `import-codebook` says it."""
    if locate_calibration(codebook_path, None)[0] is not None:
        return None
    return _lost_by_edit(load_codebook(codebook_path), _shipped_calibrations())


def _shipped_calibrations() -> dict[Path, str | None]:
    """The shipped calibrations' codebook hashes, by file."""
    from themes.codebook import shipped_codebooks

    folder = next(iter(shipped_codebooks().values())).parent
    return {candidate: _codebook_hash(candidate) for candidate in sorted(folder.glob("*.calibration.json"))}


def _lost_by_edit(book: Codebook, shipped: dict[Path, str | None]) -> str | None:
    copied = _renamed_copy(book, shipped)
    if copied is not None:  # a shipped codebook copied and a theme renamed without formerly: its calibration lost
        name, renamed = copied
        said = ", ".join(f"'{old}' renamed '{new}'" for old, new in renamed)
        how = "; ".join(f"'formerly: [{old.split('.')[-1]}]' under " + (
            f"the type '{new.split('.')[1]}' of '{new.split('.')[0]}'" if "." in new else f"'{new}'")
            for old, new in renamed)
        return f"It is {name} with {said}: write {how}, and the shipped calibration is used"
    edited = _edited_copy(book, shipped)
    if edited is not None:  # a label changed in a QDA tool, and kappa fell from 0.93 to 0.68 unsaid (review 160)
        name, calibration, changes = edited
        return (f"It is {name} with {changes} edited (the same ids): pass --calibration {calibration} to run with "
                "the calibration made before the edit (its coded passages use these ids), or run 'themes calibrate' "
                "again")
    return None


def _edited_copy(book: Codebook, calibrations: dict[Path, str | None]) -> tuple[str, str, str] | None:
    """The shipped, calibrated codebook this one is an edited copy of (the same ids of themes, dimensions and types;
    other labels, definitions, examples, ...), with its calibration's path and what was edited ("trust's label and
    resource_needs's examples"); None otherwise."""
    from themes.codebook import shipped_codebooks

    def codes(data: dict) -> dict[str, dict]:
        found = {theme["id"]: theme for theme in data["themes"]}
        for dimension in data["dimensions"]:
            found[dimension["id"]] = {k: v for k, v in dimension.items() if k != "types"}
            found.update({f"{dimension['id']}.{kind['id']}": kind for kind in dimension["types"]})
        return found

    def compared(item: dict) -> dict:
        return {k: v for k, v in item.items() if k not in ("guid", "color", "formerly")}

    whole = book.model_dump(mode="json")
    mine = codes(whole)
    for name, path in shipped_codebooks().items():
        calibration = calibration_path(path)
        if calibrations.get(calibration) is None:
            continue
        shipped = load_codebook(path).model_dump(mode="json")
        theirs = codes(shipped)
        if set(theirs) != set(mine):
            continue
        changes = []
        for code in theirs:
            edited = [field.replace("_", " ") for field in sorted(compared(mine[code]) | compared(theirs[code]))
                      if compared(mine[code]).get(field) != compared(theirs[code]).get(field)]
            if edited:
                changes.append(f"{code}'s {' and '.join(edited)}")
        changes += [{"none_examples": "the none examples", "description": "its description"}[field]
                    for field in ("none_examples", "description") if whole[field] != shipped[field]]
        changes = changes or ["its name or version"]
        said = (", ".join(changes[:3]) + f" and {len(changes) - 3} more" if len(changes) > 3
                else ", ".join(changes[:-1]) + " and " + changes[-1] if len(changes) > 1 else changes[0])
        try:
            shown = str(calibration.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            shown = str(calibration)
        return f"{name}.yaml", shown, said
    return None


def unknown_codes_lines(path: str | Path, calibration: Calibration) -> list[str]:
    """Calibration passages coded with codes the codebook no longer has (a theme renamed or removed since): left out
    of what the classifier learns, and said."""
    codebook = load_codebook(path)
    count, codes = unknown_codes(codebook, calibration)
    if not count:
        return []
    named = ", ".join(f"'{code}'" for code in codes[:4]) + (f" and {len(codes) - 4} more" if len(codes) > 4 else "")
    if 2 * count >= len(calibration.passages):  # another codebook's: a warning, and 38 answers coded where 157 were
        raise ThemesError(f"The calibration was made for another codebook: {count} of its {len(calibration.passages)} "
                          f"passages are coded {named}, which {path} does not have. Pass this codebook's calibration "
                          "(or none), or run 'themes calibrate'.")
    # One code gone and one theme no passage codes: most likely the one renamed to the other, said with how to keep
    # its passages (a renamed theme's 388 coded passages were dropped with "renamed or removed since" alone).
    uncoded = [code for code, _ in uncalibrated_categories(codebook, calibration)]
    renamed = (f" (if '{uncoded[0]}', which no passage codes, is '{codes[0]}' renamed: write 'formerly: "
               f"[{codes[0]}]' under '{uncoded[0]}' in the codebook, and its passages are read as its own)"
               if len(codes) == 1 and len(uncoded) == 1 else "")
    return [f"  calibration {count} of its {len(calibration.passages)} passages are coded {named}, which this codebook "
            f"does not have (renamed or removed since): the model those codes belong to does not learn from them"
            + (renamed or ". Run 'themes calibrate' again")]


def uncalibrated_lines(path: str | Path, calibration: Calibration) -> list[str]:
    """Themes no calibration passage codes (added since): learned from their examples alone, their counts untested."""
    found = uncalibrated_categories(load_codebook(path), calibration)
    if not found:
        return []
    it, count = ("it", "its count is") if len(found) == 1 else ("them", "their counts are")
    return [f"  calibration codes no passage with {uncalibrated_note(found)}: learned from the examples alone, {count} "
            f"untested (0 where the theme is present, perhaps); code answers with {it} (themes sample) and run "
            "'themes calibrate' again"]


def fit_lines(path: str | Path, calibration: Calibration) -> list[str]:
    """What a run says, before it starts, of a calibration that no longer fits its codebook: codes the codebook no
    longer has (a calibration made for another codebook is refused), and themes no passage codes. `themes run`,
    `themes serve` and a served batch's reason say it alike."""
    return unknown_codes_lines(path, calibration) + uncalibrated_lines(path, calibration)


def _renamed_copy(book: Codebook, calibrations: dict[Path, str | None]) -> tuple[str, list[tuple[str, str]]] | None:
    """The shipped codebook this one is a copy of but for renamed ids (a theme, or a dimension's type, of the same
    label and definition under another id, no `formerly` naming the old one), with those renames; None otherwise.
    `calibrations`: the shipped calibrations' codebook hashes, by file."""
    from themes.codebook import content_hash_of, load_codebook, plain_key, shipped_codebooks

    for name, path in shipped_codebooks().items():
        made_for = calibrations.get(calibration_path(path))
        if made_for is None:
            continue
        shipped = load_codebook(path)
        data, renamed = book.model_dump(mode="json"), []
        groups = [(data["themes"], [t.model_dump(mode="json") for t in shipped.themes], "")]
        groups += [(mine["types"], [k.model_dump(mode="json") for k in theirs.types], f"{mine['id']}.")
                   for mine in data["dimensions"] for theirs in shipped.dimensions if theirs.id == mine["id"]]
        for items, originals, prefix in groups:
            ids = {item["id"] for item in items}
            for item in items:
                same = [o["id"] for o in originals if o["id"] not in ids and o["id"] != item["id"] and plain_key(
                    o["label"]) == plain_key(item["label"]) and plain_key(o["definition"]) == plain_key(
                    item["definition"])]
                if len(same) == 1 and not any(o["id"] == item["id"] for o in originals):
                    renamed.append((prefix + same[0], prefix + item["id"]))
                    item["id"] = same[0]
        if renamed and content_hash_of(data) == made_for:
            return f"{name}.yaml", renamed
    return None


def _codebook_hash(path: Path) -> str | None:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("codebook_hash")
    except (OSError, ValueError, AttributeError):
        return None  # an unreadable file is reported when it is loaded


def save_calibration(calibration: Calibration, path: str | Path) -> None:
    Path(path).write_text(calibration.model_dump_json(indent=2) + "\n", encoding="utf-8")


THRESHOLD_GRID = tuple(round(x, 2) for x in np.arange(0.2, 0.81, 0.05))


@dataclass
class OutOfFold:
    """Segment scores of coded passages from coders that never saw them, with each segment's
    passage and each passage's fold."""

    segment_scores: np.ndarray
    keys: np.ndarray
    fold_of: np.ndarray

    def passages(self, mask: np.ndarray) -> OutOfFold:
        """The part for the passages where `mask` is true, renumbered."""
        renumber = np.cumsum(mask) - 1
        keep = mask[self.keys]
        return OutOfFold(self.segment_scores[keep], renumber[self.keys[keep]], self.fold_of[mask])


def _primaries(gold: list[list[str]], scheme: Scheme) -> np.ndarray:
    """Each coded passage's primary theme (or its first code where the codebook has no themes)."""
    from themes.evaluate import primary_of

    themes = {scheme.ids[c] for c in scheme.theme_columns}
    return np.array([primary_of([t for t in g if t in themes] if themes else g) for g in gold], dtype=object)


def _strata(gold: list[list[str]], scheme: Scheme, folds: int) -> np.ndarray:
    """What folds are balanced on: the primary theme (or the first code); rare values pooled."""
    strata = _primaries(gold, scheme)
    values, counts = np.unique(strata, return_counts=True)
    rare = set(values[counts < folds])
    return np.array(["(rare)" if s in rare else s for s in strata], dtype=object)


def _per_primary(gold: list[list[str]], scheme: Scheme) -> str:
    """How many passages each primary theme has, fewest first: what the folds are balanced on, before rare
    ones are pooled."""
    counts = Counter(_primaries(gold, scheme))
    return ", ".join(f"{theme} {n}" for theme, n in sorted(counts.items(), key=lambda item: (item[1], item[0])))


def _folds_said(used: int, asked: int, gold: list[list[str]], scheme: Scheme) -> str:
    """"5 folds", or why fewer: each fold holds a passage of every primary theme (those with fewer passages than
    folds pooled), so the rarest caps them (60 passages were calibrated on 2 folds with no word of why)."""
    if used >= asked:
        return f"{used} folds"
    # Only the pool can hold fewer passages than folds: a theme of its own has as many as there are folds.
    pooled = _strata(gold, scheme, asked) == "(rare)"
    rarest = sorted(set(_primaries(gold, scheme)[pooled]))
    return (f"{used} folds, not {asked}: the themes rarest as primary ({', '.join(rarest)}) have {int(pooled.sum())} "
            "coded passages together, and each fold needs one; code more that carry them")


def out_of_fold_scores(codebook: Codebook, texts: list[str], gold: list[list[str]], embed, *, folds: int = 5,
                       segment_words: int = defaults.SEGMENT_WORDS, seed: int = 0,
                       questions: list[str] | None = None) -> OutOfFold:
    """Scores of each coded passage's segments from a coder that never saw it (codebook + the
    other folds), fitted with the classifier defaults a calibration records. `questions`: the
    question each passage answers, when known."""
    from sklearn.model_selection import StratifiedKFold

    from themes.coding import fit_coder

    scheme = Scheme(codebook)
    strata = _strata(gold, scheme, folds)
    smallest = min(np.unique(strata, return_counts=True)[1], default=0)
    if len(texts) < 2 * folds or smallest < 2:
        found = f"{len(texts)}: {_per_primary(gold, scheme)}" if texts else "none"
        raise ThemesError(f"Calibration needs at least {2 * folds} coded passages and 2 per primary theme "
                          f"(found {found}). Code more passages.")
    splitter = StratifiedKFold(n_splits=min(folds, smallest), shuffle=True, random_state=seed)
    parts, fold_of = [], np.zeros(len(texts), dtype=int)
    for fold, (train, test) in enumerate(splitter.split(np.zeros(len(texts)), strata)):
        asked = questions if questions is not None else [""] * len(texts)
        coder = fit_coder(codebook, embed, method="logistic", unasked=False,  # the folds' questions are learned
                          passages=[(texts[i], gold[i], asked[i]) for i in train])
        segment_scores, keys = coder.score_segments([texts[i] for i in test], embed,
                                                    questions=[asked[i] for i in test], segment_words=segment_words)
        parts.append((segment_scores, test[keys]))
        fold_of[test] = fold
    order = np.argsort(np.concatenate([k for _, k in parts]), kind="stable")
    return OutOfFold(np.vstack([s for s, _ in parts])[order], np.concatenate([k for _, k in parts])[order], fold_of)


# Coded passages a theme (or a dimension) needs before its threshold is tuned: on one, the grid's best value is
# that passage's score (a reviewer's calibration tuned data challenges on a single passage).
MIN_TO_TUNE = 3


def tune_thresholds(oof: OutOfFold, gold: list[list[str]], scheme: Scheme, *,
                    passes: int = 2) -> tuple[np.ndarray, set[str]]:
    """Thresholds decided through the one decision path: per theme, those that maximise Cohen's
    kappa of the primary theme (coordinate ascent over a grid); per dimension, the one that
    maximises the dimension's kappa ("none" a class). Ties go to the value nearest the default.
    A theme fewer than MIN_TO_TUNE coded passages carry, or a dimension fewer address, keeps the
    default: there is too little to tune against. Returns the thresholds and the themes and dimensions tuned."""
    from themes.evaluate import cohen_kappa, most_integrated, primary_of

    n = len(gold)
    thresholds = _starting_thresholds(scheme)
    fixed = codebook_thresholds(scheme.codebook)
    themes = [scheme.ids[c] for c in scheme.theme_columns]
    gold_primary = [primary_of([t for t in g if t in themes]) for g in gold]
    carried = Counter(label for g in gold for label in set(g))
    coded = {label for label, passages in carried.items() if passages >= MIN_TO_TUNE}
    tuned: set[str] = set()

    def decided(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return scheme.code(oof.segment_scores, oof.keys, n, values)[1:]

    def best(column_sets: list[int], score) -> float:
        results = []
        for value in THRESHOLD_GRID:
            trial = thresholds.copy()
            trial[column_sets] = value
            results.append((score(trial), -abs(value - defaults.DEFAULT_THRESHOLD), value))
        return max(results)[2]

    def primary_kappa(values: np.ndarray) -> float:
        return cohen_kappa(gold_primary, scheme.primary(*decided(values)))

    for _ in range(passes):
        for column in scheme.theme_columns:
            if scheme.ids[column] in coded and scheme.ids[column] not in fixed:
                thresholds[column] = best([column], primary_kappa)
                tuned.add(scheme.ids[column])
    for block in scheme.dimension_blocks:
        addressing = sum(any(label.startswith(f"{block.dimension}.") for label in g) for g in gold)
        if block.dimension in fixed or addressing < MIN_TO_TUNE:
            continue
        gold_types = [most_integrated(g, block.dimension, [scheme.ids[c].removeprefix(f"{block.dimension}.")
                                                          for c in block.columns], "none") for g in gold]

        def dimension_kappa(values: np.ndarray, dimension: str = block.dimension) -> float:
            return cohen_kappa(gold_types, scheme.dimension_types(decided(values)[1])[dimension])

        thresholds[list(block.columns)] = best(list(block.columns), dimension_kappa)
        tuned.add(block.dimension)
    return thresholds, tuned


def codebook_thresholds(codebook: Codebook) -> dict[str, float]:
    """The thresholds a codebook sets by hand (a theme's or a dimension's `threshold`): a run uses them over a
    calibration's, so calibration keeps them as they are and tunes the others beside them."""
    return {**{t.id: t.threshold for t in codebook.themes if t.threshold is not None},
            **{d.id: d.threshold for d in codebook.dimensions if d.threshold is not None}}


def _starting_thresholds(scheme: Scheme) -> np.ndarray:
    """The default threshold for every column, and the codebook's own where it sets one."""
    thresholds = np.full(len(scheme.ids), defaults.DEFAULT_THRESHOLD)
    fixed = codebook_thresholds(scheme.codebook)
    for column in scheme.theme_columns:
        thresholds[column] = fixed.get(scheme.ids[column], thresholds[column])
    for block in scheme.dimension_blocks:
        thresholds[list(block.columns)] = fixed.get(block.dimension, defaults.DEFAULT_THRESHOLD)
    return thresholds


def measured_passages(codebook: Codebook, texts: list[str], fold_of: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Which coded passages the cross-validated agreement can be measured on: not the codebook's own texts (its
    examples, which every fold learns from: a file of 60 of them read kappa 1.00), nor a passage coded again in
    another fold (each copy taught the coder that scored the other; copies in one fold taught neither). They stay
    in the folds and the thresholds' tuning, which are as they were. Returns the mask and how many of each kind it
    leaves out."""
    from themes.coding import classified_texts, learned_from
    from themes.nearcopy import copy_groups

    known = learned_from(texts, codebook)
    keys = copy_groups(classified_texts(texts))  # a passage and its copies (themes.nearcopy): " too." added read 0.94
    folds: dict[int, set[int]] = {}
    for key, fold in zip(keys, fold_of):
        folds.setdefault(key, set()).add(int(fold))
    repeated = np.array([len(folds[key]) > 1 for key in keys], dtype=bool) & ~known
    return ~known & ~repeated, int(known.sum()), int(repeated.sum())


def cross_fitted_predictions(oof: OutOfFold, gold: list[list[str]], scheme: Scheme,
                             choose_primary=None) -> tuple[list[list[str]], list[str]]:
    """Predictions where each fold's thresholds were tuned on the other folds only (honest CV). `choose_primary`
    (scores, decided, rows, thresholds) -> primary themes: another rule than the scheme's, as a lever measures one
    (benchmarks/agreement_levers.py)."""
    predicted: list[list[str]] = [[] for _ in gold]
    primary: list[str] = ["none"] * len(gold)
    for fold in np.unique(oof.fold_of):
        inside, outside = oof.fold_of == fold, oof.fold_of != fold
        thresholds, _ = tune_thresholds(oof.passages(outside), [g for g, o in zip(gold, outside) if o], scheme)
        part = oof.passages(inside)
        _, scores, decided = scheme.code(part.segment_scores, part.keys, int(inside.sum()), thresholds)
        rows = np.flatnonzero(inside)
        chosen = scheme.primary(scores, decided) if choose_primary is None else \
            choose_primary(scores, decided, rows, thresholds)
        for position, p, pp in zip(rows, scheme.labels(decided), chosen):
            predicted[position], primary[position] = p, pp
    return predicted, primary


def calibrate(codebook: Codebook, gold_texts: list[str], gold: list[list[str]], embed, *, folds: int = 5,
              segment_words: int = defaults.SEGMENT_WORDS,
              questions: list[str] | None = None) -> tuple[dict[str, float], dict]:
    """Thresholds tuned on out-of-fold scores of the coded passages, and cross-validated agreement
    (coder and thresholds never saw the passages they are scored on). Returns the tuned
    thresholds by theme and dimension id, and the report."""
    from themes.coding import threshold_items
    from themes.evaluate import agreement, with_few_unmeasured

    scheme = Scheme(codebook)
    oof = out_of_fold_scores(codebook, gold_texts, gold, embed, folds=folds, segment_words=segment_words,
                             questions=questions)
    n = len(gold)
    measured, examples, repeats = measured_passages(codebook, gold_texts, oof.fold_of)
    left = " and ".join(part for part in (
        f"{examples} that are the codebook's own texts, which every fold learns" if examples else "",
        f"{repeats} coded again in another fold, each copy teaching the coder that scored the other" if repeats
        else "") if part)
    at = np.flatnonzero(measured)

    def on_measured(labels: list, primary: list) -> dict | None:
        """Agreement on the passages it can be measured on; None when they are too few to tell anything."""
        if len({tuple(sorted(gold[i])) for i in at}) < 2:
            return None
        return agreement([gold[i] for i in at], [labels[i] for i in at], [primary[i] for i in at], scheme)

    _, scores, decided = scheme.code(oof.segment_scores, oof.keys, n, _starting_thresholds(scheme))
    untuned = on_measured(scheme.labels(decided), scheme.primary(scores, decided))
    predicted, primary = cross_fitted_predictions(oof, gold, scheme)
    tuned = on_measured(predicted, primary)
    thresholds, tuned_owners = tune_thresholds(oof, gold, scheme)
    learned = {k: v for k, v in threshold_items(scheme, thresholds).items() if k in tuned_owners}
    fixed = codebook_thresholds(codebook)
    folds_used = int(len(np.unique(oof.fold_of)))
    folds_said = _folds_said(folds_used, folds, gold, scheme)
    # A theme's figures from fewer than five coded passages left out, as evaluate and the report leave them out:
    # the calibration (and every run's manifest, which copies it) kept kappa 0.41 from 4 (review 178)
    shown = with_few_unmeasured({"per_theme": tuned["per_theme"], "per_dimension": tuned["per_dimension"]}) \
        if tuned else {"per_theme": [], "per_dimension": []}
    report = {"folds": folds_used, "passages": n, "measured": int(len(at)),
              "left_out": {"codebook_texts": examples, "repeated": repeats},
              "per_theme": shown["per_theme"], "per_dimension": shown["per_dimension"],
              "set_in_codebook": fixed,
              "not_tuned": sorted(set(threshold_items(scheme, thresholds)) - tuned_owners - set(fixed))}
    where = f"; left out of the figure: {left}" if left else ""
    if tuned is None:
        report["summary"] = (f"cross-validated agreement not measured: of the {n} coded passages, {len(at)} can be "
                             f"measured on, too few to tell ({folds_said}; thresholds tuned inside each fold"
                             f"{where})")
        return learned, report
    parts = []
    if scheme.theme_columns.size:
        overall = tuned["overall"]
        report.update({"primary_kappa": overall["primary_kappa"], "primary_alpha": overall["primary_alpha"],
                       "macro_f1": overall["macro_f1"], "later_theme_recall": overall["later_theme_recall"],
                       "primary_kappa_untuned": untuned["overall"]["primary_kappa"]})
        parts.append(f"Cohen's kappa of the primary theme {overall['primary_kappa']:.2f}, "
                     f"Krippendorff's alpha {overall['primary_alpha']:.2f}")
    if tuned["per_dimension"]:
        parts.append("kappa per dimension (\"none\" a class) " + ", ".join(
            f"{r['dimension']} {r['kappa']:.2f}" for r in tuned["per_dimension"] if r["kappa"] is not None))
    report["summary"] = (f"cross-validated on {len(at)} coded passages ({folds_said}; thresholds tuned inside "
                         f"each fold{where}): " + "; ".join(parts))
    return learned, report

"""The researcher's loop over finished runs: discover emergent themes, diff two runs, and move
codebooks and coded projects in and out of QDA tools. Each function reads files, calls the pure
core (`discover`, `rundiff`, `refi`) and writes files; the CLI calls exactly one of them."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from themes.codebook import DEFINITION_PLACEHOLDER, Codebook, load_codebook
from themes.errors import ThemesError
from themes.guard import check_writable_parent
from themes.runfolder import RunFolder, read_run, recorded_codebook, with_codes_renamed

EMERGENT_CSV = "emergent_themes.csv"
EMERGENT_PASSAGES = "emergent_passages.csv"
EMERGENT_MD = "emergent_themes.md"
DRAFT = "codebook_draft.yaml"


def _redactor():
    from themes.redact import Redactor

    return Redactor()


def run_codebook(run: RunFolder, explicit: str | Path | None) -> tuple[Codebook, Path]:
    """The codebook a run used: `explicit`, else the manifest's path(s), which must still hold the same
    content. A run of several codebooks (themes and framework) gives them merged, as the run coded them."""
    from themes.codebook import merge_codebooks

    books, path = run_codebooks(run, explicit)
    return merge_codebooks(books), path


def run_codebooks(run: RunFolder, explicit: str | Path | None, *, renamed_since: bool = False
                  ) -> tuple[list[Codebook], Path]:
    """The codebooks a run used, each on its own (see `run_codebook`); `renamed_since`: or the same codebook with
    codes renamed since (`formerly`), for a caller that reads the run's codes under the new ids."""
    if explicit:
        return [load_codebook(explicit)], Path(explicit)
    entries = run.manifest.get("codebooks") or [run.manifest.get("codebook") or {}]
    books = []
    for entry in entries:
        path = recorded_codebook(entry) if isinstance(entry, dict) and entry else None
        if path is None:
            raise ThemesError(f"The codebook of {run.path} ({entry.get('path') if entry else 'not recorded'}) is "
                              "not there; pass it with --codebook.")
        codebook = load_codebook(path)
        recorded = entry.get("content_hash")
        if recorded and codebook.content_hash() != recorded and not (renamed_since and codebook.made_for(recorded)):
            raise ThemesError(f"{path} has changed since {run.path} was coded (content hash "
                              f"{codebook.content_hash()}, the run recorded {recorded}); pass the codebook the run "
                              "used with --codebook.")
        books.append(codebook)
    return books, recorded_codebook(entries[0])


# --- discover --------------------------------------------------------------------------------------

def discover_run(run_dir: str | Path, *, out: str | Path | None = None, within: str | None = None,
                 model: str | None = None, codebook: str | Path | None = None, min_cluster_size: int | None = None,
                 seed: int = 0, examples: int = 8, shown: int = 3, redactor=None) -> dict:
    """Cluster the passages no theme caught (or one theme's passages), write the table, the report
    section, the passages with their cluster and a codebook draft; return a summary."""
    if out is not None:
        check_writable_parent(Path(out))  # before the embedding, not after it
    from themes.aggregate import USABLE
    from themes.discover import discover, representatives
    from themes.embed import embedding_function
    from themes.export import write_csv
    from themes.quotes import attribution, attribution_columns, quotable_meta, safe_attribution
    from themes.settings import RunSettings

    run = read_run(run_dir)
    segments = run.segments
    if within is not None:
        # A theme, a framework dimension (the passages of any of its types) or one type.
        known = list(dict.fromkeys([*run.theme_ids, *run.category_ids]))
        if within not in known:
            from themes.runfolder import renamed_codes

            close = difflib.get_close_matches(within, known, n=1)
            became = renamed_codes(run).get(within)  # merged or renamed since (formerly; review 160)
            hint = (f" The codebook lists it in formerly under '{became}': pass --within {became}." if became in known
                    else f" Did you mean '{close[0]}'?" if close else "")
            raise ThemesError(f"--within '{within}' is not a theme of {run.path}.{hint} Themes: "
                              f"{', '.join(known)}.")
        chosen = segments[segments["theme_list"].map(
            lambda themes: any(t == within or t.startswith(f"{within}.") for t in themes))]
    else:
        chosen = segments[segments["theme_list"].map(len) == 0]
    contacts = chosen["text"].map(_contact_details) if len(chosen) else pd.Series(dtype=bool)
    chosen = chosen[~contacts] if len(chosen) else chosen
    meta = run.meta_columns
    chosen = chosen.merge(run.answers[["respondent_id", "question", *meta]], on=["respondent_id", "question"],
                          how="left", suffixes=("", "_answer")).reset_index(drop=True)
    model = model or run.setting.get("model") or "all-MiniLM-L6-v2"
    embed = embedding_function(model, cache_dir=run.setting.get("cache_dir"))
    vectors = embed(list(chosen["text"])) if len(chosen) else np.zeros((0, 1), dtype=np.float32)
    base = _draft_base(run, codebook)
    taken = [t["id"] for t in base.get("themes", [])] + [d["id"] for d in base.get("dimensions", [])]
    redactor = redactor or _redactor()
    found = discover(chosen, vectors, taken_ids=taken, prefix=within.replace(".", "_") if within else "",
                     min_cluster_size=min_cluster_size, seed=seed,
                     is_name=_name_test(redactor, list(chosen["text"])))

    asks = run.question_labels
    attribute_with = attribution_columns(meta, run.attribute_with, asks)
    picked = {row.cluster: representatives(found, row.cluster, max(examples, shown))
              for row in found.clusters.itertuples()}
    texts = [t for frame in picked.values() for t in frame["text"]]
    clean = dict(zip(texts, redactor.redact_many(texts))) if texts else {}

    folder = Path(out) if out else run.path / (f"discover-{within}" if within else "discover")
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(found.clusters, folder / EMERGENT_CSV)
    columns = ["cluster", "respondent_id", "question", "segment_id", "centrality", "text"]
    write_csv(found.passages[[c for c in columns if c in found.passages.columns]]
              .sort_values(["cluster", "centrality"], ascending=[True, False], kind="stable"),
              folder / EMERGENT_PASSAGES)
    # Attributed as the run's quotes are: no group the breakdowns suppress, no value that holds a name.
    counted = run.answers[run.answers["status"].isin(USABLE)]
    min_group = int(run.setting.get("min_group") or RunSettings.model_fields["min_group"].default)

    def attributed(record: dict) -> str:
        shown = quotable_meta({m: record.get(m, "") for m in meta}, attribute_with, counted, min_group)
        return safe_attribution(attribution(shown, columns=attribute_with, labels=asks), redactor)

    sections = []
    for row in found.clusters.itertuples():
        quotes = [(clean[t], attributed(r))
                  for t, r in zip(picked[row.cluster]["text"].head(shown),
                                  picked[row.cluster].head(shown).to_dict("records"))]
        sections.append((row, quotes))
    scope = f"passages coded '{within}'" if within else "passages no theme caught"
    (folder / EMERGENT_MD).write_text(_emergent_markdown(found, sections, scope, min_cluster_size, seed),
                                      encoding="utf-8")
    # Two passages can read the same once de-identified ("[name] made it work"): a codebook lists an example once.
    from themes.codebook import plain_key

    # Nor one of the codebook's passages of no theme: validate-codebook refuses an example that is also one.
    of_none = {plain_key(str(text)) for text in base.get("none_examples") or []}
    drafted = {}
    for cluster, frame in picked.items():
        distinct: dict[str, str] = {}
        for text in frame["text"].head(examples):
            if plain_key(clean[text]) not in of_none:
                distinct.setdefault(plain_key(clean[text]), clean[text])
        drafted[cluster] = list(distinct.values())
    draft = _draft_yaml(base, found, drafted, scope, run)
    (folder / DRAFT).write_text(draft, encoding="utf-8")
    set_aside = int(contacts.sum()) if len(contacts) else 0
    contact_note = [f"{set_aside} passage{'s' if set_aside != 1 else ''} giving contact details (an e-mail address or "
                    f"phone number and a few words: \"Please reach out to ... at ...\") {'were' if set_aside != 1 else 'was'}"
                    " set aside: contact details are no theme, and clustered together they make a candidate theme of "
                    "their own."] if set_aside else []
    return {"out": str(folder), "considered": found.considered,
            "notes": _discover_notes(run, codebook, within, found, min_cluster_size) + contact_note,
            "respondents": int(chosen["respondent_id"].nunique()) if len(chosen) else 0,
            "clustered": int((found.passages["cluster"] > 0).sum()) if len(chosen) else 0,
            "clusters": found.clusters, "scope": scope,
            "files": [EMERGENT_CSV, EMERGENT_MD, EMERGENT_PASSAGES, DRAFT]}


def _discover_notes(run: RunFolder, explicit: str | Path | None, within: str | None, found,
                    min_cluster_size: int | None) -> list[str]:
    """What the clusters and the draft rest on that a researcher would not see (lower case first, one sentence each)."""
    notes = []
    entries = [e for e in run.manifest.get("codebooks") or [run.manifest.get("codebook")] if isinstance(e, dict)]
    if not explicit and entries:
        entry = entries[0]
        path = recorded_codebook(entry)
        recorded = entry.get("content_hash")
        now = load_codebook(path).content_hash() if path is not None and recorded else recorded
        if now != recorded:
            # The passages no theme caught are the recorded codebook's; the draft lists the edited one's themes.
            notes.append(f"{path} has changed since {run.path} was coded (content hash {now}, the run recorded "
                         f"{recorded}): the passages are those the run's codebook left uncoded, the draft extends the "
                         "codebook as it is now.")
    if not explicit and entries and recorded_codebook(entries[0]) is None:
        notes.append(f"the run's codebook ({entries[0].get('path')}) is not there any more: the draft holds the "
                     "candidates alone (pass the codebook with --codebook to extend it).")
    if len(entries) > 1 and not within and not explicit:
        notes.append(f"the run coded {len(entries)} codebooks: the passages are those none of them caught (a framework "
                     f"type included), and the draft extends {entries[0].get('path')} (pass another with --codebook).")
    if len(entries) > 1 and within and not explicit:
        # --within a framework type drafted its sub-themes into the themes codebook, unsaid (review 170)
        owner = next((e for e in entries if _holds_code(e, within)), None)
        if owner is not None and owner is not entries[0]:
            notes.append(f"'{within}' is {owner.get('path')}'s, but the draft extends {entries[0].get('path')}, the "
                         f"run's first codebook: pass --codebook {owner.get('path')} to draft its sub-themes there.")
    uncalibrated = [str(e.get("path")) for e in entries if "calibration" in e and e.get("calibration") is None]
    if uncalibrated:  # said by the run only, and what the passages rest on (review 160)
        notes.append(f"the run coded {', '.join(uncalibrated)} without a calibration (default thresholds, the "
                     "codebook's examples alone): which passages no theme caught rests on that; a calibrated run "
                     "catches more (themes calibrate, then run and discover again).")
    if not within and "status" in run.answers:
        other = int((run.answers["status"] == "non_english").sum())
        if other:
            notes.append(f"{other} answer{'s' if other != 1 else ''} the run set aside as another language "
                         f"{'are' if other != 1 else 'is'} not among them (code them with --languages).")
    if not found.considered:
        notes.append("no passage to cluster: the draft holds no candidate theme.")
    elif found.clusters.empty:
        from themes.discover import default_min_cluster_size

        size = min_cluster_size or default_min_cluster_size(found.considered)
        notes.append(f"{found.considered} passage{'s' if found.considered != 1 else ''} made no cluster of "
                     f"--min-cluster-size {size}: the draft holds no candidate theme (a smaller --min-cluster-size, "
                     "or more answers).")
    return notes


_CONTACT_WORDS = 8  # words besides its contact details below which a passage only says whom to reach


def _contact_details(text: str) -> bool:
    """A passage that gives an e-mail address or a phone number and little else ("Please reach out to Ana Ruiz,
    ana@clinic.org, 555-0100"): clustered, such passages made a 'contact' candidate theme of 18.6% of the passages,
    its examples redaction tokens (review 170)."""
    from themes.redact import PLACEHOLDERS, redact_patterns

    if "@" not in str(text) and not re.search(r"\d{3}", str(text)):  # most passages: the patterns not read
        return False
    redacted = redact_patterns(str(text), listed_names=False)
    shown = [PLACEHOLDERS["email"], PLACEHOLDERS["phone"]]
    if not any(mark in redacted for mark in shown):
        return False
    rest = re.sub(r"\[[a-z ]+\]", " ", redacted)
    return len(re.findall(r"[^\W\d_]+", rest)) < _CONTACT_WORDS


def _name_test(redactor, passages: Sequence[str] = ()) -> Callable[[str, list[str]], bool]:
    """Whether a cluster's word is a person's name: de-identifying removes one of its words from most of the cluster's
    passages that use the term ("haddad", "john zhang"), or from most of the passages (of all `passages`) that write
    it with a capital, where a name is found. A name written in lower case ("okonkwo's team") is one the redactor can
    miss: ten passages that each wrote it so named two clusters and a draft's theme "okonkwo", though each "Dr.
    Okonkwo" elsewhere was redacted. Most, not any: a word the redactor once took for a name ("Small CBOs like
    ours") is no name."""
    capitalised: dict[str, list[str]] = {}
    for text in dict.fromkeys(passages):
        for word in set(re.findall(r"(?<!\w)[A-Z]\w*", text)):  # "Dr. Okonkwo's", "Okonkwo-Reyes": each name
            capitalised.setdefault(word.casefold(), []).append(text)

    def removed_from_most(word: re.Pattern, asked: list[str]) -> bool:
        if not asked:
            return False
        cleaned = redactor.redact_many(asked)
        return sum(len(word.findall(after)) < len(word.findall(before)) for before, after in zip(asked, cleaned)) * 2 \
            > len(asked)

    def is_name(term: str, using: list[str]) -> bool:
        if not using:
            return False
        for token in term.split():
            word = re.compile(rf"(?<!\w){re.escape(token)}(?!\w)", re.IGNORECASE)
            if removed_from_most(word, using) or removed_from_most(
                    word, capitalised.get(token.casefold(), [])[:_NAME_PASSAGES]):
                return True
        return False

    return is_name


_NAME_PASSAGES = 20  # of the passages that write a word with a capital, those de-identified to tell a name


def _holds_code(entry: dict, code: str) -> bool:
    """Whether the codebook a manifest entry records (still where it was) has `code`: a theme, a dimension or a
    type."""
    path = recorded_codebook(entry)
    if path is None:
        return False
    try:
        book = load_codebook(path)
    except ThemesError:
        return False
    return code in {c.id for c in book.categories} | {d.id for d in book.dimensions}


def _draft_base(run: RunFolder, explicit: str | Path | None) -> dict:
    """The codebook the draft extends, as plain data: the run's own when it is still there."""
    if explicit:  # read as every command reads a codebook: a shipped name, one line for a bad file
        from themes.codebook import codebook_path, load_codebook

        load_codebook(explicit)
        explicit = codebook_path(explicit)
    path = Path(explicit) if explicit else (Path(run.codebook_path) if run.codebook_path else None)
    if path is not None and path.is_file():
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
        if isinstance(data, dict):
            return data
    if explicit:
        raise ThemesError(f"Codebook not found: {explicit}. Check --codebook.")
    return {"name": f"Emergent themes in {run.path.name}", "version": "draft"}


def _draft_yaml(base: dict, found, examples: dict[int, list[str]], scope: str, run: RunFolder) -> str:
    from themes.codebook_yaml import to_yaml

    data = dict(base)
    alone = "" if base.get("themes") or base.get("dimensions") else (
        f"The run's codebook ({run.codebook_path}) was not found: only the candidates are here.\n")
    themes = list(data.get("themes") or [])
    notes = {}
    for row in found.clusters.itertuples():
        themes.append({"id": row.candidate_id, "label": row.label,
                       "definition": f"{DEFINITION_PLACEHOLDER} write what this theme means"
                                     + (f" (its words: {row.words})" if row.words else ""),
                       "examples": examples[row.cluster]})
        notes[row.candidate_id] = (f"Candidate from cluster {row.cluster} of the {scope}: {row.passages} passages, "
                                   f"{row.respondents} respondents" + (f", answers to {row.questions}" if row.questions
                                                                       else "")
                                   + ". Keep, rename, merge or delete it.")
    data["themes"] = themes
    header = (f"Codebook draft from 'themes discover {run.path}'.\n{alone}"
              f"The codebook's themes, then one candidate theme per cluster of the {scope}.\n"
              "Write each candidate's definition (validate-codebook rejects 'TODO:'), edit its examples,\n"
              "delete the candidates you do not want, then: themes validate-codebook codebook_draft.yaml")
    return to_yaml(data, header=header, notes=notes)


def _emergent_markdown(found, sections, scope: str, min_cluster_size: int | None, seed: int) -> str:
    from themes.discover import default_min_cluster_size

    clustered = int((found.passages["cluster"] > 0).sum()) if found.considered else 0
    size = min_cluster_size or default_min_cluster_size(found.considered)
    lines = ["## Emergent themes", "",
             f"{found.considered} {scope} were clustered by meaning (HDBSCAN on PCA-reduced sentence "
             f"embeddings, clusters of at least {size} passages, seed {seed}): {clustered} fell into "
             f"{len(found.clusters)} clusters, {found.considered - clustered} stayed unclustered. Each cluster is "
             "named by the words that set it apart (c-TF-IDF) and drafted as a candidate theme in "
             f"`{DRAFT}`. Names, e-mails and phone numbers in the passages below are replaced.", ""]
    for row, quotes in sections:
        lines += [f"### {row.cluster}. {row.label}", "",
                  f"{row.passages} passages from {row.respondents} respondents ({100 * row.share:.1f}% of the "
                  f"passages); words: {row.words or 'none that two respondents share and that name no one'}; "
                  + (f"answers to: {row.questions}; " if row.questions else "")
                  + f"candidate id `{row.candidate_id}`.", ""]
        lines += ["> \"" + text.replace("\n", "\n> ") + f"\"\n> — {who}\n" for text, who in quotes]
    return "\n".join(lines) + "\n"


# --- diff ------------------------------------------------------------------------------------------

def diff_run_folders(run_a: str | Path, run_b: str | Path, *, out: str | Path | None = None, examples: int = 2,
                     redactor=None) -> dict:
    """Compare two runs; write diff.md, diff_themes.csv and diff_changes.csv when `out` is given."""
    if out is not None:
        check_writable_parent(Path(out))
    from themes.export import write_csv
    from themes.rundiff import DIFF_FILES, diff_markdown, diff_runs

    diff = diff_runs(read_run(run_a), read_run(run_b))
    shown = []
    for (theme, change), part in diff.changes.groupby(["theme", "change"], sort=False):
        shown += [(theme, change, text) for text in part["passage"].head(examples)]
    if shown:
        redactor = redactor or _redactor()
        shown = [(t, c, p) for (t, c, _), p in zip(shown, redactor.redact_many([p for *_, p in shown]))]
    files = []
    if out is not None:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        write_csv(diff.themes, folder / "diff_themes.csv")
        write_csv(diff.changes, folder / "diff_changes.csv")
        (folder / "diff.md").write_text(diff_markdown(diff, examples=shown), encoding="utf-8")
        files = list(DIFF_FILES)  # what `themes diff --force` alone replaces
    return {"diff": diff, "examples": shown, "files": files}


# --- REFI-QDA --------------------------------------------------------------------------------------

def export_codebook(codebook_path: str | Path, out: str | Path | None = None, *, force: bool = False) -> Path:
    from themes.refi import codebook_qdc

    codebook = load_codebook(codebook_path)
    target = Path(out) if out else Path(codebook_path).with_suffix(".qdc")
    _refuse_overwrite(target, force, example=Path(codebook_path).with_suffix(".qdc").name, source=Path(codebook_path))
    target.write_bytes(codebook_qdc(codebook))
    return target


def _codebooks_at_hand(source: Path, target: Path) -> list[tuple[str, Codebook]]:
    """The codebooks a .qdc may have been exported from, in the order they are trusted: the YAML in ./codebooks, then
    beside the file, then beside where the import writes. Each that loads; a draft or broken one is passed over, and
    so is the import's own target (an earlier import there holds the ids made from names; review 164)."""
    folders = dict.fromkeys(folder.resolve() for folder in (Path("codebooks"), source.parent, target.parent)
                            if folder.is_dir())
    books = []
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")):
            if path.resolve() == target.resolve():
                continue
            try:
                books.append((str(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path),
                              load_codebook(path)))
            except Exception:  # noqa: BLE001 - a best-effort look: any YAML there may be a half-edited draft
                continue  # (`themes: 5` raised a TypeError through the import; review 164)
    return books


def import_codebook(qdc_path: str | Path, out: str | Path | None = None, *, name: str | None = None,
                    force: bool = False, only: str | None = None) -> tuple[Path, list[str]]:
    """A .qdc as codebook YAML; returns the path and what the researcher still has to do. `only`: of a project that
    holds several codebooks, the one of that name."""
    from themes.codebook_yaml import to_yaml
    from themes.refi import _slug, codes_to_codebook_data, exported_ids, read_codebook_file

    source = Path(qdc_path)
    if not source.is_file():
        raise ThemesError(f"File not found: {source}. Pass a REFI-QDA codebook (.qdc).")
    codes, about = read_codebook_file(source, only)
    target = Path(out) if out else source.with_suffix(".yaml")
    data, notes = codes_to_codebook_data(codes, name or about.get("name") or source.stem, about,
                                         known=exported_ids(_codebooks_at_hand(source, target)))
    if about.get("codebooks"):
        notes.append(f"{source.name} holds the codes of {len(about['codebooks'])} codebooks "
                     f"({', '.join(about['codebooks'])}); they became one codebook, '{data['name']}', without "
                     "their names, versions and passages with no theme, and no calibration fits it. To keep them "
                     "apart, import each on its own: themes import-codebook "
                     f"{source.name} --set '{about['codebooks'][0]}' --out {_slug(about['codebooks'][0])}.yaml")
    if about.get("left_out"):
        notes.append(f"Left out, as --set chose '{about['name']}': the codes of "
                     f"{', '.join(repr(n) for n in about['left_out'])} (import them with --set too).")
    if about.get("unclaimed"):  # codes added in the tool outside every codebook's set (review 169)
        names = about["unclaimed"]
        notes.append(f"Left out, as --set chose '{about['name']}': {len(names)} code{'s' * (len(names) != 1)} in no "
                     f"codebook's code set ({', '.join(repr(n) for n in names[:5])}"
                     f"{f' and {len(names) - 5} more' if len(names) > 5 else ''}; added in the tool?). To import "
                     f"{'them' if len(names) != 1 else 'it'}, add {'them' if len(names) != 1 else 'it'} to the code "
                     f"set '{about['name']}' in the tool and export again, or import without --set.")
    for set_name, gone in about.get("members_gone") or []:
        notes.append(f"The code set '{set_name}' lists {gone} code{'s' * (gone != 1)} the file no longer holds "
                     f"(deleted in the tool?): {'they are' if gone != 1 else 'it is'} not in the YAML; if "
                     f"{'they were' if gone != 1 else 'it was'} not meant to go, restore "
                     f"{'them' if gone != 1 else 'it'} in the tool and export again.")
    if about.get("not_read"):
        notes.append(f"Not read, as a codebook YAML has no place for them: {', '.join(about['not_read'])}")
    if not name and not about.get("name"):  # guessed, so said (review 155)
        notes.append(f"named '{data['name']}' after the file, version '{data['version']}': {source.name} names no "
                     "codebook (QualCoder, for one, keeps no code sets); set 'name' and 'version' in the YAML")
    if not data["themes"] and not data["dimensions"]:
        raise ThemesError(f"{source} has no codable codes; nothing to import.")
    _refuse_overwrite(target, force, example=source.with_suffix(".yaml").name, source=source)
    header = f"Imported from {source.name} by 'themes import-codebook'. GUIDs keep each code's identity in QDA tools."
    target.write_text(to_yaml(data, header=header), encoding="utf-8")
    return target, notes


def export_project(run_dir: str | Path, out: str | Path | None = None, *, per: str = "respondent",
                   codebook: str | Path | None = None, force: bool = False) -> dict:
    """A run as a REFI-QDA project (.qdpx): the answers as text sources, every coded segment as a coded
    selection by "themes (automatic)", the metadata as case variables."""
    from themes.refi import project_qde, respondent_text, write_qdpx

    if per not in ("respondent", "answer"):
        raise ThemesError(f"The '--per' option must be one of respondent, answer. Got '{per}' instead.")
    from themes.codebook import merge_codebooks

    run = read_run(run_dir)
    books, _ = run_codebooks(run, codebook, renamed_since=True)
    book = merge_codebooks(books)
    # A run coded before a rename, exported with the codebook since (its `formerly`): under the new ids
    run = with_codes_renamed(run, book.renamed)
    unknown = sorted({t for themes in run.segments["theme_list"] for t in themes} - set(book.ids))
    if unknown:
        raise ThemesError(f"The run codes {', '.join(unknown)}, which the codebook lacks; pass the codebook the run "
                          "used with --codebook.")
    answers = run.answers[run.answers["answer"].str.strip() != ""]
    selections = _selections(run.segments)
    sources, cases = [], {}
    meta = run.meta_columns
    from themes.quotes import safe_reference

    for respondent_id, part in answers.groupby("respondent_id", sort=False):
        blocks = list(zip(part["question"], part["answer"]))
        values = {m: str(part[m].iloc[0]) for m in meta}
        # An id that looks like contact data ("jane.doe@example.org") names no case or source: its pseudonym does, as
        # in `themes sample`'s workbook
        respondent = safe_reference(str(respondent_id))
        if per == "respondent":
            text, spans = respondent_text(blocks)
            marked = [{"start": offset + s["start"], "end": offset + s["end"], "codes": s["codes"]}
                      for question, offset, _ in spans for s in selections.get((respondent_id, question), [])]
            sources.append({"name": respondent, "text": text, "selections": marked})
            cases[respondent] = {"name": respondent, "values": values, "sources": [respondent]}
        else:
            for question, answer in blocks:
                name = f"{respondent}/{question}"
                sources.append({"name": name, "text": answer,
                                "selections": selections.get((respondent_id, question), [])})
                cases.setdefault(respondent, {"name": respondent, "values": values, "sources": []})["sources"].append(name)
    created = str(run.manifest.get("created") or "2000-01-01T00:00:00+00:00")
    seed = f"{run.manifest.get('input', {}).get('sha256', '')}|{book.content_hash()}|{per}"
    qde, texts = project_qde(name=run.path.resolve().name, created=created, codebook=book, sources=sources,
                             variables=meta, cases=list(cases.values()), seed=seed, books=books)
    target = Path(out) if out else run.path / f"{run.path.resolve().name}.qdpx"
    _refuse_overwrite(target, force, example=f"{run.path.resolve().name}.qdpx")
    write_qdpx(target, qde, texts)
    return {"path": target, "sources": len(sources), "selections": sum(len(s["selections"]) for s in sources),
            "codings": sum(len(m["codes"]) for s in sources for m in s["selections"]), "respondents": len(cases)}


def _selections(segments: pd.DataFrame) -> dict[tuple[str, str], list[dict]]:
    """Coded segments by answer; the segment's top theme first (a reader takes the first as primary)."""
    out: dict[tuple[str, str], list[dict]] = {}
    top = segments["top_theme"] if "top_theme" in segments.columns else pd.Series("", index=segments.index)
    for row, primary in zip(segments.itertuples(), top):
        if row.theme_list:
            codes = sorted(row.theme_list, key=lambda t: t != primary)
            out.setdefault((row.respondent_id, row.question), []).append(
                {"start": int(row.start), "end": int(row.end), "codes": codes})
    return out


def refuse_replacing(folder: Path, names: list[str], force: bool) -> None:
    """An earlier output in `folder` (a file written before, a draft the user edited, a diff) is replaced only
    with --force."""
    for name in names:
        if (folder / name).exists() and not force:
            raise ThemesError(f"{folder / name} exists. Pass --force to replace it, or choose another --out.")


def _refuse_overwrite(target: Path, force: bool, *, example: str, source: Path | None = None) -> None:
    """`target` can take the file this command writes: not a folder, not the file it reads (`source`), named with
    the format's ending (`example`'s), in a folder that exists and takes a file; an existing file only with --force."""
    from themes.guard import check_writable_file

    if target.is_dir():  # --force replaces a file, never a folder of the user's
        raise ThemesError(f"{target} is a folder; --out names the file to write, e.g. --out {target / example}.")
    if source is not None and target.absolute().resolve() == Path(source).absolute().resolve():
        raise ThemesError(f"--out {target} is the file this command reads; choose another --out, e.g. --out "
                          f"{target.with_name(example)}.")
    ending = Path(example).suffix.lower()
    if target.suffix.lower() not in ({".yaml", ".yml"} if ending in (".yaml", ".yml") else {ending}):
        raise ThemesError(f"--out {target} does not end in {ending}, the format this command writes; name it so, e.g. "
                          f"--out {target.with_suffix(ending)}.")
    refuse_replacing(target.parent, [target.name], force)
    check_writable_file(target)

"""Prefect flows for agreement with human coding: evaluate a codebook on a coded (gold) file, and
calibrate its thresholds by cross-validation on a coded sample."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from themes import export
from themes import defaults
from themes.calibrate import Calibration, CodedPassage, calibrate, calibration_path, find_calibration, \
    locate_calibration, save_calibration
from themes.codebook import file_hash, load_codebook
from themes.coding import classified_texts, fit_coder, learned_from, threshold_items, training_texts
from themes.embed import embedding_function, get_embedder
from themes.errors import GoldError, shortened
from themes.evaluate import agreement, disagreements, evaluation_markdown, few_passages_note, not_coded_note, \
    read_gold, recorded_agreement
from themes.fitted import FittedModels, models_path, write_models
from themes.ingest import InputSpec, load_answers
from themes.settings import RunSettings
from themes.shipped import shipped_paths, vectors_path, write_vectors
from themes.status import screen_answers


def _embed(settings: RunSettings):
    return embedding_function(settings.model, backend=settings.backend, batch_size=settings.batch_size,
                              onnx_file=settings.onnx_file, cache_dir=settings.cache_dir, device=settings.device,
                              fp16=settings.fp16, shipped=shipped_paths(settings.codebooks, settings.calibration))


@task(name="read-gold", cache_policy=NO_CACHE)
def load_gold(gold_path: str, codebook, split: str | None, input_path: str | None, spec: InputSpec | None):
    answers = None
    if input_path:
        answers, _, _ = load_answers(input_path, spec or InputSpec())
        answers = screen_answers(answers, languages=())
    return read_gold(gold_path, codebook, answers=answers, split=split)


def set_aside(gold: pd.DataFrame, languages: tuple[str, ...]) -> pd.Series:
    """The gold passages a run sets aside as it screens answers (a placeholder: "N/A", "No comment", the question
    repeated; an answer confidently in another language), which it never codes: a coder's "none" for them agreed with
    the run's every time, and raised agreement on what the run does not code (review 155). `attrs`: their texts
    and reasons."""
    from themes.clean import answer_status, clean_text, in_languages, question_words

    asked = question_words(gold["question"].dropna().unique()) if "question" in gold.columns else frozenset()
    reasons = {}
    for position, text in zip(gold.index, gold["text"]):
        cleaned = clean_text(str(text))
        verdict = answer_status(cleaned, asked)
        if verdict is not None:
            reasons[position] = f"{verdict[0]}, {verdict[1]}" if verdict[1] else verdict[0]
        elif languages and not in_languages(cleaned, languages):
            reasons[position] = "non_english, another language"
    aside = pd.Series([position in reasons for position in gold.index], index=gold.index)
    aside.attrs.update(texts=dict(zip(gold.index, gold["text"])), reasons=reasons)
    return aside


def _questions(gold: pd.DataFrame) -> list[str] | None:
    return list(gold["question"]) if "question" in gold.columns else None


@task(name="code-gold", cache_policy=NO_CACHE)
def code_gold(texts: list[str], codebook, calibration, settings: RunSettings, questions: list[str] | None = None):
    """The gold passages coded exactly as `themes run` codes answers (the same coder and decisions)."""
    embed = _embed(settings)
    coder = fit_coder(codebook, embed, calibration, method=settings.method)
    _, _, scores, decided = coder.code_texts(texts, embed, questions=questions, segment_words=settings.segment_words)
    return coder, scores, decided


@flow(name="evaluate-agreement", validate_parameters=False)
def evaluate_agreement(gold_path: str, out: str, settings: RunSettings, split: str | None = None,
                       input_path: str | None = None, spec: InputSpec | None = None, force: bool = False) -> dict:
    """Agreement of the codebook (with its calibration) with the human coding in `gold_path`.

    Passages the classifier learned from (codebook examples, calibration passages) are left out:
    a figure on them would not be agreement but memory."""
    codebook = load_codebook(settings.codebook)
    calibration = find_calibration(settings.codebook, settings.calibration)
    export.check_output_folder(Path(out), force=force, owned=export.EVALUATION_FILES)
    gold = load_gold(gold_path, codebook, split, input_path, spec)
    not_coded, read = gold.attrs.get("not_coded", 0), gold.attrs.get("read", {})
    aside = set_aside(gold, settings.languages)
    if aside.all():
        raise GoldError(f"{gold_path}: every passage is one a run sets aside and does not code (a placeholder such as "
                        "'N/A', or another language), so there is no agreement to measure. Code answers with text.")
    gold = gold[~aside].reset_index(drop=True)
    learned = pd.Series(learned_from(gold["text"], codebook, calibration), index=gold.index)
    gold = gold[~learned].reset_index(drop=True)
    if gold.empty:
        raise GoldError(f"{gold_path}: every passage was used to train or calibrate the codebook; "
                        + ("evaluate on passages it never saw (e.g. --split test)." if split is None else
                           f"the '{split}' rows too: they informed it, so no agreement on them is honest. Evaluate "
                           "on a split it never saw (e.g. --split test); themes calibrate's cross-validated figure "
                           "is the one measured on the calibration rows." if split == "calibration" else
                           f"the '{split}' rows too, so it was calibrated on them: calibrate on the calibration rows "
                           "alone (themes calibrate reads the 'calibration' split by default), then evaluate these."))
    codes = {tuple(sorted(g)) for g in gold["gold"]}
    if len(codes) < 2:  # as read_gold checks, on what is left: one class agrees with anything
        raise GoldError(f"{gold_path}: the {len(gold)} passage(s) the classifier never learned from all have the "
                        f"same codes ({', '.join(next(iter(codes))) or 'none'}), so agreement cannot be measured "
                        f"({int(learned.sum())} others were left out: it learned from them). Evaluate on more "
                        "passages it never saw (e.g. --split test).")
    coder, scores, decided = code_gold(list(gold["text"]), codebook, calibration, settings, _questions(gold))
    # A theme its coders did not have (the coding workbook was drawn before it was added) is not measured: its
    # codes are set aside, where they read as false alarms and took the primary theme from the others'
    without = [theme for theme in gold.attrs.get("coded_without", []) if theme in coder.scheme.ids]
    if without:
        decided = decided.copy()
        decided[:, [coder.scheme.ids.index(theme) for theme in without]] = False
    predicted, primary = coder.scheme.labels(decided), coder.scheme.primary(scores, decided)
    # As the run records its agreement: a theme's figures from fewer than FEW_CODED coded passages left out, and the
    # primary theme's where no theme has that many
    result = recorded_agreement(agreement(list(gold["gold"]), predicted, primary, coder.scheme))
    thresholds = threshold_items(coder.scheme, coder.thresholds)
    method = coder.method
    notes = [f"Gold file: `{gold_path}`" + (f", split `{split}`" if split else "") +
             (f", sheet '{read['sheet']}'" if read.get("sheet") else "") +
             f"; passages from {read.get('text', '?')}, codes from {read.get('codes', '?')}, questions from "
             f"{read.get('question') or 'none'}. Codebook: {codebook.name} {codebook.version}; method "
             f"{'zero-shot (prototype)' if method == 'prototype' else method}; "
             f"model {settings.model}.",
             f"Left out {int(learned.sum())} passages the classifier learned from, or copies of them (a word or two "
             "added, changed or dropped; split from or merged into a longer one)." if learned.any() else
             "No passage of this file, nor a copy of one, was used to train or calibrate the classifier.",
             "Thresholds: " + ", ".join(f"{k} {v:.2f} ({coder.sources[k]})" for k, v in thresholds.items())]
    # Which calibration coded the passages, as the run's opening block says it: one made for other content (a theme
    # renamed since) was said in the console only, and the saved figures carried no word of it.
    used, where = locate_calibration(settings.codebook, settings.calibration)
    notes.insert(-1, f"Calibration: `{used}` ({where})." if used else f"Calibration: {where}.")
    calibration_entry = {"file": str(used) if used else None, "where": where,
                         "matches_codebook": codebook.made_for(calibration.codebook_hash)
                         if calibration is not None else None}
    if aside.any():  # their "none" agreed with the run's every time: agreement on answers it does not code
        example = aside[aside].index[0]
        notes.insert(1, f"Left out {int(aside.sum())} passage{'s' * (int(aside.sum()) != 1)} a run sets aside and "
                        f"does not code (e.g. '{shortened(aside.attrs['texts'][example], 40)}': "
                        f"{aside.attrs['reasons'][example]}).")
    if few := few_passages_note(result["overall"]["passages"]):
        notes.insert(1, few[:1].upper() + few[1:] + ".")
    if not_coded:
        notes.insert(1, not_coded_note(not_coded, gold.attrs.get("codes_elsewhere"),
                                       gold.attrs.get("not_coded_marks")).capitalize() + ".")
    if without:
        it = "it" if len(without) == 1 else "them"
        notes.insert(1, f"Coded without {', '.join(without)}: the coding workbook's Instructions do not list {it} "
                        f"(drawn before the codebook had {it}): the model's codes of {it} are set aside, not measured; "
                        f"code a sample with {it} (themes sample) to measure {it}.")
    if read.get("coders"):
        # A QDA project's codings by who made them, and the caution when most are the run's own: said in the console
        # only, the shared file's bold kappa read as agreement with a person (review 145).
        notes.insert(1, f"Coded by: {read['coders']}.")
    unframed = sum(r != t for r, t in zip(classified_texts(gold["text"]), gold["text"]))
    if unframed:
        notes.append(f"{unframed} passage{'s were' if unframed > 1 else ' was'} read without a report's attribution "
                     "('One CBO director said that ...'; themes.attribution).")
    markdown = evaluation_markdown(result, title="Agreement with human coding", notes=notes)
    wrong = disagreements(gold, predicted, primary, scores, codebook.ids)
    with export.staged_folder(Path(out), force=force, owned=export.EVALUATION_FILES) as folder:
        (folder / "evaluation.md").write_text(markdown, encoding="utf-8")
        if result["per_theme"]:
            export.write_csv(_frame(result["per_theme"]), folder / "per_theme.csv")
            export.write_csv(result["confusion"].reset_index(names="gold"), folder / "confusion.csv")
        if result["per_dimension"]:
            export.write_csv(_frame(result["per_dimension"]), folder / "per_dimension.csv")
            export.write_csv(pd.concat([c.reset_index(names="gold").assign(dimension=d)
                                        for d, c in result["dimension_confusion"].items()]),
                             folder / "confusion_by_dimension.csv")
        export.write_csv(wrong, folder / "disagreements.csv")
        export.write_json({"overall": result["overall"], "per_theme": result["per_theme"],
                           "per_dimension": result["per_dimension"],
                           "left_out_as_seen": int(learned.sum()), "not_coded": not_coded, "gold_file": gold_path,
                           "read_without_attribution": unframed, "coded_by": read.get("coders") or None,
                           "coded_without": without,
                           "gold_sha256": file_hash(gold_path), "split": split, "method": method,
                           "thresholds": thresholds, "threshold_sources": coder.sources,
                           "codebook_content_hash": codebook.content_hash(), "calibration": calibration_entry},
                          folder / "evaluation.json")
        files = sorted(p.name for p in folder.iterdir())
    if result["per_theme"]:
        create_table_artifact(table=result["per_theme"], key="agreement-per-theme",
                              description="Agreement with human coding, per theme")
    if result["per_dimension"]:
        create_table_artifact(table=result["per_dimension"], key="agreement-per-dimension",
                              description="Agreement with human coding, per framework dimension")
    create_markdown_artifact(markdown=markdown, key="agreement", description="Agreement with human coding")
    return {"out": out, "overall": result["overall"], "per_theme": result["per_theme"],
            "per_dimension": result["per_dimension"], "left_out": int(learned.sum()), "set_aside": int(aside.sum()),
            "not_coded": not_coded, "coded_without": without,
            "disagreements": len(wrong), "read_without_attribution": unframed,
            "files": files}


@flow(name="calibrate-codebook", validate_parameters=False)
def calibrate_codebook(gold_path: str, settings: RunSettings, split: str | None = None, output: str | None = None,
                       folds: int = 5, input_path: str | None = None) -> dict:
    """Tune per-theme thresholds by cross-validation on coded passages and save them, with the
    passages as training data, to the calibration file that `themes run` picks up."""
    codebook = load_codebook(settings.codebook)
    gold = load_gold(gold_path, codebook, split, input_path, None)
    texts, coded, questions = list(gold["text"]), list(gold["gold"]), _questions(gold)
    embed = _embed(settings)
    thresholds, report = calibrate(codebook, texts, coded, embed, folds=folds, segment_words=settings.segment_words,
                                   questions=questions)
    calibration = Calibration(
        codebook=settings.codebook, codebook_hash=codebook.content_hash(), model=settings.model,
        method="logistic", C=defaults.CLASSIFIER_C, word_weight=defaults.WORD_WEIGHT,
        use_question=defaults.USE_QUESTION, thresholds=thresholds,
        # The nearest passages' vote is the themes' (a framework's dimensions do without it).
        neighbour_weight=defaults.NEIGHBOUR_WEIGHT if codebook.themes else 0.0, neighbours=defaults.NEIGHBOURS,
        neighbour_temperature=defaults.NEIGHBOUR_TEMPERATURE,
        passages=[CodedPassage(text=t, themes=g, question=q)
                  for t, g, q in zip(texts, coded, questions or [""] * len(texts))],
        gold_file=gold_path, gold_hash=file_hash(gold_path), gold_split=split,
        gold_coded_by=gold.attrs.get("read", {}).get("coders") or None, cross_validated=report,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    path = Path(output) if output else calibration_path(settings.codebook)
    save_calibration(calibration, path)
    # What the coder learns from ships beside the calibration, so a run on a cold cache embeds only the survey.
    learned = training_texts(codebook, calibration)
    model_id = get_embedder(settings.model, backend=settings.backend, onnx_file=settings.onnx_file,
                            device=settings.device, fp16=settings.fp16).model_id
    shipped = write_vectors(vectors_path(path), model_id, learned, embed(learned))
    # And the models fitted on them, so a run need not fit them again (themes.fitted).
    fitted = FittedModels(model_id)
    fit_coder(codebook, embed, calibration, fitted=fitted)
    models = write_models(models_path(path), fitted)
    create_markdown_artifact(markdown=f"Calibrated `{settings.codebook}` on {len(texts)} passages: "
                                      f"{report['summary']}.", key="calibration")
    return {"path": str(path), "vectors": str(shipped), "models": str(models), "thresholds": calibration.thresholds,
            "report": report}


def _frame(rows: list[dict]) -> pd.DataFrame:
    """Rows as a table; `few` and `few_predicted` (set on some rows only) stay whole numbers, not 3.0 beside empty
    cells."""
    frame = pd.DataFrame(rows)
    for column in ("few", "few_predicted"):
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    return frame


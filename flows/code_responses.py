"""Prefect flow: code a survey export against a codebook, end to end.

ingest -> clean/screen -> segment -> embed (cache, then mapped batches) -> train -> classify ->
aggregate -> quotes -> export. Tasks work on whole batches; embedding is mapped over chunks so a
Dask task runner spreads it across workers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from prefect import flow, task, unmapped
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from themes import export
from themes.aggregate import add_segment_counts, co_occurrence, code_answers, framework_counts, theme_counts
from themes.calibrate import find_calibration
from themes.codebook import Codebook, load_codebook, merge_codebooks
from themes.coding import Coder, fit_coder, threshold_items, training_texts
from themes.embed import EmbeddingCache, VectorTable, compact, embedding_function, get_embedder, text_key
from themes.counts import Estimates, estimate, with_theme_estimates, with_type_estimates
from themes.errors import ThemesError
from themes.evaluate import read_gold, run_agreement
from themes.ingest import InputSpec, load_answers, require_codable
from themes.prevalence import PrevalenceOptions
from themes.quotes import QuoteSettings, deidentify_quotes, select_quotes, type_and_state_columns
from themes.segment import segment_answers
from themes.settings import RunSettings
from themes.status import CODABLE, screen_answers

# Set by the CLI to draw a progress bar: called with (stage, done, total).
progress_hook: Callable[[str, int, int], None] | None = None


def _progress(stage: str, done: int, total: int) -> None:
    if progress_hook is not None:
        progress_hook(stage, done, total)


@task(name="ingest-and-screen", cache_policy=NO_CACHE)
def ingest(input_path: str, spec: InputSpec, settings: RunSettings) -> tuple[pd.DataFrame, InputSpec, list[dict]]:
    answers, spec, problems = load_answers(input_path, spec)
    screened = screen_answers(answers, max_words=settings.max_words, languages=settings.languages)
    require_codable(screened, spec)
    return screened, spec, problems


@task(name="segment", cache_policy=NO_CACHE)
def segment(answers: pd.DataFrame, max_words: int) -> pd.DataFrame:
    codable = answers[answers["status"].isin(CODABLE)]
    texts = [text[:end] for text, end in zip(codable["answer"], codable["coded_end"])]
    return segment_answers(texts, codable.index, max_words=max_words)


@task(name="embedding-cache-lookup", cache_policy=NO_CACHE)
def cache_lookup(texts: list[str], cache_dir: str | None, model_id: str) -> tuple[np.ndarray, list[int]]:
    if cache_dir is None:
        return np.zeros((0, 0), dtype=np.float16), list(range(len(texts)))
    return EmbeddingCache(cache_dir, model_id).get([text_key(t) for t in texts])


@task(name="embed-batch", cache_policy=NO_CACHE)
def embed_batch(texts: list[str], settings: RunSettings) -> np.ndarray:
    embedder = get_embedder(settings.model, backend=settings.backend, batch_size=settings.batch_size,
                            onnx_file=settings.onnx_file)
    return compact(embedder.encode(texts))


@task(name="embedding-cache-store", cache_policy=NO_CACHE)
def cache_store(texts: list[str], vectors: np.ndarray, cache_dir: str | None, model_id: str) -> None:
    if cache_dir is not None:
        EmbeddingCache(cache_dir, model_id).put([text_key(t) for t in texts], vectors)


def embed_texts(texts: list[str], settings: RunSettings) -> tuple[VectorTable, dict]:
    """Each distinct text embedded once: cached vectors reused, the rest embedded in mapped chunks."""
    unique = list(dict.fromkeys(texts))
    model_id = get_embedder(settings.model, backend=settings.backend, onnx_file=settings.onnx_file).model_id
    cached, missing = cache_lookup(unique, settings.cache_dir, model_id)
    todo = [unique[i] for i in missing]
    chunks = [todo[i:i + settings.chunk_size] for i in range(0, len(todo), settings.chunk_size)]
    _progress("embed", 0, len(todo))
    fresh, done = [], 0
    for future in embed_batch.map(chunks, settings=unmapped(settings)) if chunks else []:
        fresh.append(future.result())
        done += len(fresh[-1])
        _progress("embed", done, len(todo))
    dim = fresh[0].shape[1] if fresh else cached.shape[1] if len(cached) else 0
    vectors = np.empty((len(unique), dim), dtype=np.float16)
    if todo:
        vectors[missing] = np.vstack(fresh)
        cache_store(todo, vectors[missing], settings.cache_dir, model_id)
    hit = np.setdiff1d(np.arange(len(unique)), missing)
    if len(hit):
        vectors[hit] = cached
    stats = {"texts": len(texts), "unique": len(unique), "from_cache": int(len(hit)), "embedded": len(todo),
             "model_id": model_id}
    return VectorTable(unique, vectors), stats


@task(name="train-classifier", cache_policy=NO_CACHE)
def train(books: list[tuple[Codebook, object]], table: VectorTable, settings: RunSettings) -> Coder:
    """One coder for every codebook of the run, each learning from its own examples and calibration."""
    return Coder.join([fit_coder(book, table.lookup, calibration, method=settings.method)
                       for book, calibration in books])


@task(name="classify-and-count", cache_policy=NO_CACHE)
def classify(answers, segments, coder: Coder, vectors):
    scores = coder.score(list(segments["text"]), vectors, list(answers.loc[segments["answer_index"], "question"]))
    return code_answers(answers, segments, scores, coder.scheme, coder.thresholds)


@task(name="select-quotes", cache_policy=NO_CACHE)
def quotes(answers, segments, vectors, codebook: Codebook, spec: InputSpec, settings: RunSettings,
           coder: Coder) -> pd.DataFrame:
    type_column, state_column = type_and_state_columns(spec.meta_columns)
    quote_settings = QuoteSettings(per_theme=settings.quotes_per_theme, type_column=type_column)
    labels = {c.id: c.label for c in codebook.categories}
    embed = embedding_function(settings.model, backend=settings.backend, batch_size=settings.batch_size,
                               onnx_file=settings.onnx_file, cache_dir=settings.cache_dir)

    def window_scorer(texts: list[str], theme_id: str, question: str) -> np.ndarray:
        # Only the picked quotes' sentence windows are embedded here: a few dozen texts per run.
        return coder.score(texts, embed(texts), [question] * len(texts))[:, codebook.ids.index(theme_id)]

    picked = select_quotes(answers, segments, vectors, codebook.ids, labels, quote_settings,
                           state_column=state_column, window_scorer=window_scorer)
    return deidentify_quotes(picked)


@task(name="write-outputs", cache_policy=NO_CACHE)
def write(run: export.RunResult, out: Path, force: bool) -> list[str]:
    return export.write_run(run, out, force=force)


@flow(name="code-responses", validate_parameters=False)
def code_responses(input_path: str, out: str, settings: RunSettings, spec: InputSpec | None = None,
                   force: bool = False) -> dict:
    """Code every answer in `input_path` against the codebook and write the run's files to `out`."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 3)
        clock = now

    books = load_codebooks(settings)
    codebook = merge_codebooks([book for book, _ in books])
    export.check_output_folder(Path(out), force=force)  # fail before the slow part, not after
    answers, spec, id_problems = ingest(input_path, spec or InputSpec(), settings)
    coded_sample = read_gold(settings.coded_sample, codebook, answers=answers) if settings.coded_sample else None
    lap("ingest_and_screen")
    segments = segment(answers, settings.segment_words)
    lap("segment")
    learn_from = [text for book, calibration in books for text in training_texts(book, calibration)]
    table, embedding_stats = embed_texts(list(segments["text"]) + learn_from, settings)
    lap("embed")
    coder = train(books, table, settings)
    lap("train")
    segment_vectors = table.lookup(list(segments["text"]))
    coded, coded_segments = classify(answers, segments, coder, segment_vectors)
    lap("classify")
    picked = quotes(coded, coded_segments, segment_vectors, codebook, spec, settings, coder)
    lap("quotes")
    estimates = estimate_counts(coded, codebook, coded_sample, spec, settings)
    lap("estimate")
    counts = with_theme_estimates(add_segment_counts(theme_counts(coded, codebook), coded_segments),
                                  estimates.themes)
    run = export.RunResult(
        input_path=input_path, settings=settings, spec=spec, codebook=codebook,
        codebooks=[export.CodebookUse(path, book, calibration)
                   for path, (book, calibration) in zip(settings.codebooks, books)],
        answers=coded, segments=coded_segments, counts=counts,
        counts_by={m: with_theme_estimates(theme_counts(coded, codebook, by=m), estimates.themes_by[m], by=m)
                   for m in spec.meta_columns},
        framework=with_type_estimates(framework_counts(coded, codebook), estimates.types),
        framework_by={m: with_type_estimates(framework_counts(coded, codebook, by=m), estimates.types_by[m], by=m)
                      for m in spec.meta_columns},
        sample_agreement=run_agreement(coded, coded_sample, coder.scheme, settings.coded_sample)
        if coded_sample is not None else None,
        co_occurrence=co_occurrence(coded, codebook.ids), quotes=picked,
        thresholds=threshold_items(coder.scheme, coder.thresholds), threshold_sources=coder.sources,
        method=coder.method, embedding=embedding_stats, id_problems=id_problems, timings=timings)
    files = write(run, Path(out), force)
    lap("write")
    _publish(run)
    return {"out": out, "files": files, "accounting": run.accounting, "counts": counts.to_dict("records"),
            "framework": run.framework.to_dict("records"),
            "timings": timings, "embedding": embedding_stats}


@task(name="estimate-counts", cache_policy=NO_CACHE)
def estimate_counts(answers: pd.DataFrame, codebook: Codebook, coded_sample, spec: InputSpec,
                    settings: RunSettings) -> Estimates:
    """Respondent counts corrected with the coded sample (raw, and said so, without one)."""
    # 500 bootstrap draws (the module default is 1,000): half the time for a run, percentile ends a little noisier.
    return estimate(answers, codebook, coded_sample, spec.meta_columns,
                    PrevalenceOptions(draws=500, min_n=settings.min_group))


def load_codebooks(settings: RunSettings) -> list[tuple[Codebook, object]]:
    """Each codebook of the run with its calibration (an explicit one only when there is one codebook)."""
    if settings.calibration and len(settings.codebooks) > 1:
        raise ThemesError("--calibration names one calibration file, but the run has several codebooks; "
                          "leave it out so each codebook uses the calibration beside it.")
    return [(load_codebook(path), find_calibration(path, settings.calibration)) for path in settings.codebooks]


def _publish(run: export.RunResult) -> None:
    table = [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
             for row in run.counts[["theme", "label", "respondents", "percent", "segments"]].to_dict("records")]
    create_table_artifact(table=table, key="theme-counts", description="Respondents raising each theme")
    create_markdown_artifact(markdown=export.summary_markdown(run), key="coding-summary",
                             description="Summary of the coding run")


def run_flow(input_path: str, out: str, settings: RunSettings, spec: InputSpec | None = None,
             force: bool = False) -> dict:
    """Run the flow with the task runner the settings ask for: threads here, or a Dask cluster."""
    flow_to_run = code_responses
    if settings.dask_address or settings.workers:
        from prefect.settings import get_current_settings
        from prefect_dask import DaskTaskRunner

        # distributed logs every scheduler, nanny and connection event at INFO, and Prefect's console handler
        # prints them: follow Prefect's own level (WARNING for a CLI run without --verbose).
        logging.getLogger("distributed").setLevel(get_current_settings().logging.level)
        runner = (DaskTaskRunner(address=settings.dask_address) if settings.dask_address else
                  DaskTaskRunner(cluster_kwargs={"n_workers": settings.workers, "threads_per_worker": 1,
                                                 "processes": True, "dashboard_address": None}))
        flow_to_run = code_responses.with_options(task_runner=runner)
    else:
        from prefect.task_runners import ThreadPoolTaskRunner

        # One embedding batch at a time: torch already uses every core.
        flow_to_run = code_responses.with_options(task_runner=ThreadPoolTaskRunner(max_workers=1))
    return flow_to_run(input_path=input_path, out=out, settings=settings, spec=spec, force=force)


"""Prefect flow: code a survey export against a codebook, end to end.

ingest -> clean/screen -> segment -> embed (cache, then mapped batches) -> train -> classify ->
aggregate -> quotes -> export. Tasks work on whole batches; embedding is mapped over chunks so a
Dask task runner spreads it across workers.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from prefect import flow, get_run_logger, task, unmapped
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from themes import embed as embedding  # a module, not its Event: a task sent to a Dask worker is pickled whole
from themes import export, redact_helper
from themes.aggregate import add_segment_counts, co_occurrence, code_answers, counted_under_types, framework_counts, \
    theme_counts
from themes.calibrate import check_calibration_option, find_calibration, locate_calibration
from themes.codebook import Codebook, load_codebook, merge_codebooks
from themes.coding import Coder, classified_texts, fit_coder, in_place_readings, own_examples, own_examples_note, \
    threshold_items, training_texts
from themes.embed import BATCH_SIZES, EmbeddingCache, VectorTable, compact, embedding_function, find_vectors, \
    get_embedder, text_key
from themes.counts import LEARNED_ONLY_METHOD, Estimates, estimate, hidden_groups, question_counts, \
    type_question_counts, with_theme_estimates, with_type_estimates
from themes.evaluate import check_coded_sample, codable_only, coded_sample_name, counts_estimated, disagreeing_parts, \
    read_coded_sample, run_agreement, unlike_survey_note, without_learned
from themes.fitted import FittedModels, model_paths
from themes.ingest import InputSpec, load_answers, require_codable
from themes.prevalence import PrevalenceOptions, available_processes
from themes.project import coded_in_project, with_embedding
from themes.questions import aliases, calibration_questions, given_as, given_where, read_by_label
from themes.quotes import QuoteSettings, attribution_columns, deidentify_quotes, select_quotes, who_column
from themes.redact import Redactor
from themes.segment import segment_answers
from themes.settings import RunSettings
from themes.shipped import ShippedVectors, shipped_paths
from themes.status import CODABLE, other_language_only, screen_answers, sent_again

# Set by the CLI to draw a progress bar: called with (stage, done, total).
progress_hook: Callable[[str, int, int], None] | None = None


def _progress(stage: str, done: int, total: int) -> None:
    if progress_hook is not None:
        progress_hook(stage, done, total)


def _stage(stage: str) -> None:
    """The next stage of the run begins (the progress display closes the ones before it)."""
    _progress(stage, 0, 1)


# Texts embedded so far in this run, counted per batch in this process, of all the run has had to embed so
# far (the coder's texts, then the survey's: the total grows when the second set is known).
_embedded = {"done": 0, "total": 0}


# Big values are passed to tasks in `quote`: Prefect would otherwise walk every item of each list, codebook and
# result looking for futures (0.5 s of a 10k run's 10 s outside the embedding); none of them holds one.
@task(name="ingest-and-screen", cache_policy=NO_CACHE)
def ingest(input_path: str, spec: InputSpec, settings: RunSettings) -> tuple[pd.DataFrame, InputSpec, list[dict]]:
    _stage("reading")
    answers, spec, problems = load_answers(input_path, spec)
    _stage("cleaning")
    screened = screen_answers(answers, max_words=settings.max_words, languages=settings.languages)
    require_codable(screened, spec)
    return screened, spec, problems


@task(name="segment", cache_policy=NO_CACHE)
def segment(answers: pd.DataFrame, max_words: int) -> pd.DataFrame:
    codable = answers[answers["status"].isin(CODABLE)]
    texts = [text[:end] for text, end in zip(codable["answer"], codable["coded_end"])]
    return segment_answers(texts, codable.index, max_words=max_words)


@task(name="embedding-cache-lookup", cache_policy=NO_CACHE)
def cache_lookup(texts: list[str], cache_dir: str | None, model_id: str, shipped: list[str]):
    """The vectors shipped beside the codebooks first, then the cache: see `find_vectors`."""
    sources = [ShippedVectors(shipped, model_id), EmbeddingCache(cache_dir, model_id) if cache_dir else None]
    return find_vectors([text_key(t) for t in texts], sources)


@dataclass(frozen=True)
class Embedded:
    """A chunk's vectors, with the device and model id of the process that made them: a Dask worker resolves
    `--device auto` on its own machine (the manifest said the flow's machine's 'cpu' of a GPU worker's vectors, and
    a worker's fp16 vectors would have been cached under the fp32 model's id; review 162)."""
    vectors: np.ndarray
    device: str
    model_id: str

    def __len__(self) -> int:
        return len(self.vectors)


@task(name="embed-batch", cache_policy=NO_CACHE)
def embed_batch(texts: list[str], settings: RunSettings) -> Embedded:
    embedder = _embedder(settings)
    device = getattr(embedder, "resolved_device", "cpu")
    # A few model batches at a time, so the progress bar moves during a chunk (a chunk can take minutes).
    step, parts = 8 * (settings.batch_size or getattr(embedder, "texts_per_batch", BATCH_SIZES["cpu"])), []
    for start in range(0, len(texts), step):
        if embedding.STOPPING.is_set():  # the flow is being ended: its thread pool waits for this task before the end
            raise RuntimeError("stopped (SIGTERM) while embedding")
        parts.append(compact(embedder.encode(texts[start:start + step])))
        _embedded["done"] += len(parts[-1])
        _progress("embedding", _embedded["done"], _embedded["total"])
    return Embedded(np.vstack(parts) if parts else compact(embedder.encode(texts)), device, embedder.model_id)


def _embedder(settings: RunSettings):
    return get_embedder(settings.model, backend=settings.backend, batch_size=settings.batch_size,
                        onnx_file=settings.onnx_file, device=settings.device, fp16=settings.fp16)


@task(name="embedding-cache-store", cache_policy=NO_CACHE)
def cache_store(texts: list[str], vectors: np.ndarray, cache_dir: str | None, model_id: str) -> None:
    if cache_dir is not None:
        EmbeddingCache(cache_dir, model_id).put([text_key(t) for t in texts], vectors)


def embed_texts(texts: list[str], settings: RunSettings) -> tuple[VectorTable, dict]:
    """Each distinct text embedded once: shipped and cached vectors reused, the rest embedded in mapped chunks."""
    return start_embedding(texts, settings).result()


class PendingEmbedding:
    """Texts whose vectors are being found and made: the missing ones embedded by mapped tasks (in the
    task runner's threads or Dask workers) while the flow goes on; `result()` waits for them."""

    def __init__(self, texts: list[str], settings: RunSettings):
        self.settings = settings
        self.texts, self.unique = texts, list(dict.fromkeys(texts))
        self.model_id = _embedder(settings).model_id
        shipped = [str(p) for p in shipped_paths(settings.codebooks, settings.calibration)]
        self.found, missing, self.counts = cache_lookup(quote(self.unique), settings.cache_dir, self.model_id,
                                                        quote(shipped))
        # Longest first across all chunks, not only inside each model call: the model pads every batch to its
        # longest text, and texts in survey order padded 14% more (4,096 texts: 23.9-25.5 s against 21.0-21.5 s
        # sorted, and 21.7 s for sentence-transformers' own encode of them all).
        self.missing = sorted(missing, key=lambda i: -len(self.unique[i]))
        self.todo = [self.unique[i] for i in self.missing]
        chunks = self.chunks = embedding_chunks(self.todo, settings)
        self.before = _embedded["total"]  # what earlier embeddings of this run had to do
        _embedded["total"] += len(self.todo)
        # (not quoted: a Dask worker would be handed the wrapper, not the list)
        self.futures = embed_batch.map(chunks, settings=unmapped(settings)) if chunks else []

    def result(self, idle: Callable[[], bool] | None = None) -> tuple[VectorTable, dict]:
        """The vectors, once every batch is done. While a batch runs, `idle` (when given) is called for a short
        piece of other work until it returns False (nothing left)."""
        settings, todo, missing = self.settings, self.todo, self.missing
        _progress("embedding", _embedded["done"], _embedded["total"])
        fresh, done, made_by = [], self.before, {}
        for chunk, future in zip(self.chunks, self.futures):
            while idle is not None and not _finished(future):
                idle = idle if idle() else None
            embedded = future.result()
            fresh.append(embedded.vectors)
            made_by.setdefault(embedded.model_id, set()).add(embedded.device)
            # Cached as each chunk lands (a run stopped at 90% of 100,000 answers kept none of it), under the model id
            # of the process that made it (review 162)
            cache_store(quote(chunk), embedded.vectors, settings.cache_dir, embedded.model_id)
            done += len(fresh[-1])  # batches that ran in other processes (Dask) count here
            _embedded["done"] = max(_embedded["done"], done)
            _progress("embedding", _embedded["done"], _embedded["total"])
        dim = fresh[0].shape[1] if fresh else self.found[0][1].shape[1] if self.found else 0
        vectors = np.empty((len(self.unique), dim), dtype=np.float16)
        if todo:
            vectors[missing] = np.vstack(fresh)
        for positions, part in self.found:
            vectors[positions] = part
        from_shipped, from_cache = self.counts
        here = getattr(_embedder(settings), "resolved_device", "cpu")
        stats = {"texts": len(self.texts), "unique": len(self.unique), "from_shipped": from_shipped,
                 "from_cache": from_cache, "embedded": len(todo),
                 "model_id": " + ".join(sorted(made_by)) if made_by else self.model_id,
                 "device": " + ".join(sorted(set().union(*made_by.values()))) if made_by else here}
        return VectorTable(self.unique, vectors), stats


def _finished(future) -> bool:
    """Whether a task's future is done, without asking the server (a thread's or Dask's future says)."""
    wrapped = getattr(future, "wrapped_future", None)
    return bool(wrapped is not None and wrapped.done())


def start_embedding(texts: list[str], settings: RunSettings) -> PendingEmbedding:
    return PendingEmbedding(texts, settings)


@task(name="train-classifier", cache_policy=NO_CACHE)
def train(books: list[tuple[Codebook, object]], table: VectorTable, settings: RunSettings) -> Coder:
    """One coder for every codebook of the run, each learning from its own examples and calibration
    (or taking the models fitted before on the same data: shipped beside the calibration, or cached)."""
    fitted = FittedModels(_embedder(settings).model_id, model_paths(settings.codebooks, settings.calibration),
                          settings.cache_dir)
    return Coder.join([fit_coder(book, table.lookup, calibration, method=settings.method, fitted=fitted)
                       for book, calibration in books])


@task(name="classify-and-count", cache_policy=NO_CACHE)
def classify(answers, segments, read: list[str], coder: Coder, vectors, lookup, read_as: dict | None = None):
    """`read`: the segments' texts as the coder reads them (`classified_texts`), `vectors` their embeddings.
    `read_as`: questions read as a calibration question their question text names (questions.read_by_label)."""
    read_as = read_as or {}
    asked = [read_as.get(q, q) for q in answers.loc[segments["answer_index"], "question"]]
    scores = coder.score(read, vectors, asked, lookup)
    return code_answers(answers, segments, scores, coder.scheme, coder.thresholds)


@task(name="select-quotes", cache_policy=NO_CACHE)
def quotes(answers, segments, vectors, codebook: Codebook, spec: InputSpec, settings: RunSettings,
           coder: Coder, redactor: Redactor | None = None, read_as: dict | None = None,
           hidden: dict | None = None) -> pd.DataFrame:
    asks = dict(spec.question_labels)  # the questions over columns named "Q1", "Q2": which of them is a place
    attribute_with = attribution_columns(spec.meta_columns, spec.attribute_with, asks)
    quote_settings = QuoteSettings(per_theme=settings.quotes_per_theme, type_column=who_column(attribute_with, asks),
                                   languages=settings.languages, min_group=settings.min_group)
    labels = {c.id: c.label for c in codebook.categories}
    embed = embedding_function(settings.model, backend=settings.backend, batch_size=settings.batch_size,
                               onnx_file=settings.onnx_file, cache_dir=settings.cache_dir, device=settings.device,
                               fp16=settings.fp16)

    def window_scorer(texts: list[str], theme_id: str, question: str) -> np.ndarray:
        # Only the picked quotes' sentence windows are embedded here: a few dozen texts per run.
        read = classified_texts(texts)
        asked = (read_as or {}).get(question, question)
        return coder.score(read, embed(read), [asked] * len(texts), embed)[:, codebook.ids.index(theme_id)]

    picked = select_quotes(answers, segments, vectors, codebook.ids, labels, quote_settings,
                           attribute_with=attribute_with, window_scorer=window_scorer,
                           type_respondents=counted_under_types(answers, codebook), hidden=hidden,
                           question_labels=asks)
    return deidentify_quotes(picked, redactor)


@task(name="write-outputs", cache_policy=NO_CACHE)
def write(run: export.RunResult, out: Path, force: bool, redactor: Redactor | None = None
          ) -> tuple[list[str], list[str]]:
    return export.write_run(run, out, force=force, redactor=redactor)


# From an export this large on disk (about 3,000 answers of a CSV) the redaction helper pays for itself: loading it
# takes 2.3 s of CPU, on the core that idles while the input is read, and sharing the evidence took a 10k run's writing
# from 4.8-7.2 s to 3.1-3.8 s. At 1k answers it cost more than it saved (end-to-end / raw encode 0.66 -> 0.60: its
# loading took CPU from the embedding); at 400, a second of wall time for nothing (benchmarks/results.md).
HELPER_FROM_BYTES = 400_000


def _input_bytes(input_path: str) -> int:
    try:
        return Path(input_path).stat().st_size
    except OSError:
        return 0


def named_after_input() -> str:
    """A flow run's name: the input file's (a project's newest batch's), so runs read apart in the Prefect UI."""
    from prefect.runtime import flow_run

    parameters = flow_run.parameters or {}
    batches = parameters.get("batches")
    if batches:
        return f"{batches[-1]['file']} (batch {batches[-1]['batch'].split()[0]} of {Path(parameters['out']).parent.name})"
    return Path(str(parameters.get("input_path") or "run")).name


@flow(name="code-responses", validate_parameters=False, flow_run_name=named_after_input)
def code_responses(input_path: str, out: str, settings: RunSettings, spec: InputSpec | None = None,
                   force: bool = False, batches: list[dict] | None = None, checked: bool = False) -> dict:
    """Code every answer in `input_path` against the codebook and write the run's files to `out`.

    `batches` (a project's, see themes.project) are listed in the manifest; the last is the one this run adds.
    `checked`: the caller has checked the coded sample against this input and said its warnings (`themes run`
    does before the model starts); a served run checks it here.
    """
    with _embedding_stops_on_sigterm():  # in the flow's body: ahead of the handler Prefect's engine sets for the flow
        return _code_responses(input_path, out, settings, spec, force, batches, checked)


def _code_responses(input_path: str, out: str, settings: RunSettings, spec: InputSpec | None, force: bool,
                    batches: list[dict] | None, checked: bool) -> dict:
    _embedded.update(done=0, total=0)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 3)
        clock = now

    books = load_codebooks(settings)
    codebook = merge_codebooks([book for book, _ in books])
    export.check_output_folder(Path(out), force=force, owned=export.RUN_FILES)  # before the slow part
    redactor = Redactor()
    if redactor.ner_available and _input_bytes(input_path) >= HELPER_FROM_BYTES:
        redact_helper.start(redactor.model)  # shares the evidence's de-identification; loads while the input is read
    answers, spec, id_problems = ingest(input_path, spec or InputSpec(), settings)
    given = given_as(spec.question_as, answers["question"], [q for _, calibration in books
                                                             for q in calibration_questions(calibration)],
                     given_where(spec))  # checked by `themes run` before the model; an inbox batch's sidecar here
    coded_sample = read_coded_sample(settings.coded_sample, codebook, answers) if settings.coded_sample else None
    if coded_sample is not None:
        coded_sample, left_out = codable_only(coded_sample, settings.coded_sample, answers, project=bool(batches))
        if left_out and not checked:  # `themes run` said it before the model
            get_run_logger().warning("%s", left_out)
    if coded_sample is not None and batches:  # a project: the sample may reach respondents of batches to come
        coded_sample, later = coded_in_project(coded_sample, answers)
        if later:
            held = len(coded_sample) if coded_sample is not None else 0
            get_run_logger().warning(
                "%d coded answers of %s are not in the project yet; %s", later, coded_sample_name(settings.coded_sample),
                f"estimated with the other {held}" if held >= settings.min_coded else
                f"the other {held} are fewer than the {settings.min_coded} an estimate needs, so the counts stay raw")
    if coded_sample is not None and not checked:  # a served run: the checks `themes run` makes before the model
        project = bool(batches)
        for warning in check_coded_sample(coded_sample, settings.coded_sample, answers, codebook, project=project):
            get_run_logger().warning("%s", warning)
    lap("ingest_and_screen")
    _stage("segmenting")
    segments = segment(answers, settings.segment_words)
    examples_note = own_examples_note(own_examples(segments["text"], codebook))
    if examples_note:
        get_run_logger().warning("%s", examples_note)
    lap("segment")
    learn_from = [text for book, calibration in books for text in training_texts(book, calibration)]
    # The coder's texts first: on a cold cache the shipped vectors hold them, so the classifiers train (and the
    # quotes' name finder loads) while the survey's segments are embedded.
    learned, learned_stats = start_embedding(learn_from, settings).result()
    read = classified_texts(segments["text"])  # what the coder reads: a report's attribution left out
    readings = in_place_readings(codebook, read)  # what a framework's types are read from
    pending = start_embedding([t for t in dict.fromkeys([*read, *readings]) if t not in learned], settings)
    coder = train(quote(books), learned, settings)
    if redactor.ner_available:
        redactor.nlp  # loads spaCy's pipeline now, not in the quotes stage  # noqa: B018
    lap("train")  # with the survey's embedding running meanwhile
    # While a GPU embeds the survey the host's cores would only wait: the flow de-identifies the passages
    # meanwhile, so that writing the evidence finds them done (the redactor keeps each text's redaction). On
    # the CPU it would take the cores from the model: at 10k answers on 2 cores (three interleaved pairs of runs,
    # /work/notes/prewarm/ab.py) the embedding lost 8-19 s and writing gained 4-6 s, so there it waits.
    deidentify_some = None
    if getattr(_embedder(settings), "resolved_device", "cpu") != "cpu":
        passages = list(dict.fromkeys(segments["text"]))
        pieces = iter(range(0, len(passages), 64))

        def deidentify_some() -> bool:
            start = next(pieces, None)
            if start is not None:
                redactor.redact_many(passages[start:start + 64])
            return start is not None

    table, stats = pending.result(idle=deidentify_some)
    table = VectorTable.join(learned, table)
    embedding_stats = {**stats, "texts": len(segments) + len(readings) + len(learn_from),
                       **{k: stats[k] + learned_stats[k] for k in ("unique", "from_shipped", "from_cache", "embedded")}}
    lap("embed")  # what was left of the embedding after training
    _stage("coding")
    segment_vectors = table.lookup(read)
    reading_vectors = VectorTable(readings, table.lookup(readings))
    by_label = {**read_by_label(answers["question"], dict(spec.question_labels), coder.questions), **given}
    coded, coded_segments = classify(answers, segments, quote(read), quote(coder), segment_vectors,
                                     reading_vectors.lookup, quote(by_label))
    lap("classify")
    _stage("counting")
    # Not the coded answers the coder learned from: its decisions on them are memory, not its error rates.
    measuring = without_learned(coded, coded_sample, books)
    estimates = estimate_counts(coded, quote(codebook), measuring, spec, settings)
    if coded_sample is not None and len(coded_sample) and measuring is not None and not len(measuring):
        estimates = estimates.raw_as(LEARNED_ONLY_METHOD)
    lap("estimate")
    _stage("picking quotes")  # after the counts: an attribution shows no group a theme's breakdown hides
    picked = quotes(coded, coded_segments, segment_vectors, quote(codebook), spec, settings, quote(coder), redactor,
                    quote(by_label), quote(hidden_groups(estimates)))
    lap("quotes")
    counts = with_theme_estimates(add_segment_counts(theme_counts(coded, codebook), coded_segments),
                                  estimates.themes)
    run = export.RunResult(
        input_path=input_path, settings=settings, spec=spec, codebook=codebook,
        codebooks=[export.CodebookUse(path, book, calibration, locate_calibration(path, settings.calibration)[1])
                   for path, (book, calibration) in zip(settings.codebooks, books)],
        answers=coded, segments=coded_segments, counts=counts,
        counts_by={m: with_theme_estimates(theme_counts(coded, codebook, by=m), estimates.themes_by[m], by=m)
                   for m in spec.meta_columns},
        counts_by_question=question_counts(estimates.themes_by_question, codebook),
        framework_by_question=type_question_counts(estimates.types_by_question, codebook),
        framework=with_type_estimates(framework_counts(coded, codebook), estimates.types),
        framework_by={m: with_type_estimates(framework_counts(coded, codebook, by=m), estimates.types_by[m], by=m)
                      for m in spec.meta_columns},
        sample_agreement=run_agreement(coded, coded_sample, coder.scheme, settings.coded_sample, books)
        if coded_sample is not None else None,
        co_occurrence=co_occurrence(coded, codebook.ids, codebook), quotes=picked,
        thresholds=threshold_items(coder.scheme, coder.thresholds), threshold_sources=coder.sources,
        method=coder.method, embedding=embedding_stats, id_problems=id_problems, timings=timings,
        batches=with_embedding(batches, embedding_stats), questions_read_as={**aliases(answers["question"], coder.questions), **by_label},
        read_without_attribution=sum(r != t for r, t in zip(read, segments["text"])))
    disagreement = (disagreeing_parts(run.sample_agreement, estimated=counts_estimated(run.counts))
                    if run.sample_agreement else None)
    if disagreement:
        get_run_logger().warning("%s", disagreement)
    unlike = unlike_survey_note(run.sample_agreement.get("unlike_survey")) if run.sample_agreement else ""
    if unlike:
        get_run_logger().warning("%s", unlike)
    _stage("writing")
    files, kept = write(quote(run), Path(out), force, redactor)
    lap("write")
    _publish(run)
    get_run_logger().info("Coded %d answers of %s (%d embedded, %d from the cache); wrote %s",
                          run.accounting["input_answers"], Path(input_path).name, embedding_stats["embedded"],
                          embedding_stats["from_cache"], out)
    from prefect.runtime import flow_run
    from prefect.settings import PREFECT_UI_URL

    return {"out": out, "files": files, "kept": kept, "accounting": run.accounting, "counts": counts.to_dict("records"),
            "framework": run.framework.to_dict("records"),
            "timings": timings, "embedding": embedding_stats, "segments": len(segments),
            "read_without_attribution": run.read_without_attribution, "disagreement": disagreement,
            "unlike_survey": unlike,
            "sent_again": sent_again(run.answers),
            "other_language_only": other_language_only(run.answers),
            "own_examples": examples_note,
            # every coded answer a text the coder learned from: a sample was given, but none measured its errors
            # and how many of them it learned from, which no estimate counts
            "coded_learned": len(coded_sample) - len(measuring) if coded_sample is not None and measuring is not None
            else 0,
            "coded_all_learned": len(coded_sample) if coded_sample is not None and len(coded_sample)
            and not len(measuring) else 0,
            "flow_run_url": f"{PREFECT_UI_URL.value()}/runs/flow-run/{flow_run.id}"}  # the address Prefect's CLI prints


@task(name="estimate-counts", cache_policy=NO_CACHE)
def estimate_counts(answers: pd.DataFrame, codebook: Codebook, coded_sample, spec: InputSpec,
                    settings: RunSettings) -> Estimates:
    """Respondent counts corrected with the coded sample (raw, and said so, without one)."""
    # 500 bootstrap draws (the module default is 1,000): half the time for a run, percentile ends a little noisier.
    # The categories' bootstraps run in a process per core: they are most of a run with a coded sample.
    options = PrevalenceOptions(draws=500, min_n=settings.min_group, min_coded=settings.min_coded)
    processes = available_processes(respondents=answers["respondent_id"].nunique(), draws=options.draws)
    return estimate(answers, codebook, coded_sample, spec.meta_columns, options, processes=processes)


def load_codebooks(settings: RunSettings) -> list[tuple[Codebook, object]]:
    """Each codebook of the run with its calibration (an explicit one only when there is one codebook)."""
    check_calibration_option(settings.codebooks, settings.calibration)
    return [(load_codebook(path), find_calibration(path, settings.calibration)) for path in settings.codebooks]


def _publish(run: export.RunResult) -> None:
    table = [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
             for row in run.counts[["theme", "label", "respondents", "percent", "segments"]].to_dict("records")]
    create_table_artifact(table=table, key="theme-counts", description="Respondents raising each theme")
    create_markdown_artifact(markdown=export.summary_markdown(run), key="coding-summary",
                             description="Summary of the coding run")


def local_cluster_kwargs(workers: int) -> dict:
    """The local Dask cluster of `--workers N`: N processes of one task each, whose torch shares the machine's cores
    among them (Dask sets OMP_NUM_THREADS=1 in its workers, so two workers on two cores ran the model on one; review
    162). The scheduler's HTTP server on a free port of this machine: on 8787 it warned in four lines where another
    program held that port."""
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    return {"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": "127.0.0.1:0",
            "env": {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}}


def embedding_chunks(texts: list[str], settings: RunSettings) -> list[list[str]]:
    """The texts (longest first) cut into embedding tasks of `settings.chunk_size`; with --workers N, into N of
    about as many characters each where they fit in fewer than N such chunks (one chunk of 4,096 kept one worker
    busy and the others idle on a survey of 1,638 texts; review 162). In order: their vectors are stacked back."""
    size = settings.chunk_size
    workers = settings.workers or 1
    if workers < 2 or len(texts) > size * (workers - 1) or len(texts) < 2 * workers:
        return [texts[i:i + size] for i in range(0, len(texts), size)]
    ends = np.cumsum([len(text) + 1 for text in texts])
    cuts = np.searchsorted(ends, ends[-1] * np.arange(1, workers) / workers)
    bounds = [0, *sorted(set(int(c) for c in cuts) - {0, len(texts)}), len(texts)]
    return [texts[a:b] for a, b in zip(bounds, bounds[1:])]


def _local_dask_runner():
    """prefect-dask's runner whose local workers record their task runs on the flow's Prefect server: each started a
    temporary server of its own (230 MB, 8 s), which SIGTERM could leave running (review 162)."""
    from prefect_dask import DaskTaskRunner

    class LocalDaskRunner(DaskTaskRunner):
        def __enter__(self):
            from prefect.client.orchestration import get_client

            # The flow's server, the temporary one included, is up when the flow enters its task runner
            url = str(get_client(sync_client=True).api_url).rstrip("/")
            self.cluster_kwargs.setdefault("env", {})["PREFECT_API_URL"] = url
            return super().__enter__()

    return LocalDaskRunner


def dask_logging(level: str | int) -> None:
    """distributed logs every scheduler, nanny and connection event at INFO, and Prefect's console handler prints
    them: they follow Prefect's own `level` (WARNING for a CLI run without --verbose), but for the nanny's warnings as
    the cluster ends with the run ("Worker process still alive after 4.0 seconds, killing") or restarts a worker on
    Ctrl-C: what a run does, not what the user must act on (review 162); with --verbose, all of it."""
    logging.getLogger("distributed").setLevel(level)
    nanny = logging.getLogger("distributed.nanny")
    nanny.setLevel(logging.ERROR if logging.getLogger("distributed").getEffectiveLevel() >= logging.WARNING
                   else logging.NOTSET)


def run_flow(input_path: str, out: str, settings: RunSettings, spec: InputSpec | None = None,
             force: bool = False, batches: list[dict] | None = None, checked: bool = False) -> dict:
    """Run the flow with the task runner the settings ask for: threads here, or a Dask cluster."""
    flow_to_run = code_responses
    if settings.dask_address or settings.workers:
        from prefect.settings import get_current_settings
        from prefect_dask import DaskTaskRunner

        dask_logging(get_current_settings().logging.level)
        runner = (DaskTaskRunner(address=settings.dask_address) if settings.dask_address else
                  _local_dask_runner()(cluster_kwargs=local_cluster_kwargs(settings.workers)))
        flow_to_run = code_responses.with_options(task_runner=runner)
    else:
        from prefect.task_runners import ThreadPoolTaskRunner

        # One embedding batch at a time: torch already uses every core.
        flow_to_run = code_responses.with_options(task_runner=ThreadPoolTaskRunner(max_workers=1))
    with _no_heartbeats_on_a_temporary_server():
        return flow_to_run(input_path=input_path, out=out, settings=settings, spec=spec, force=force,
                           batches=batches, checked=checked)


@contextmanager
def _embedding_stops_on_sigterm() -> Iterator[None]:
    """SIGTERM while a flow runs (`themes run` killed, a served run's serve stopped or the run cancelled): the handler
    Prefect's engine sets for the flow ends it, and its thread pool then waited for the embedding task's chunk to
    finish (43-52 s of 4,096 texts on two cores, measured) before the process ended. Ours, ahead of it, tells the
    task to stop at its next few model batches. Only in the main thread (where a handler can be set), and as it was
    afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    embedding.STOPPING.clear()  # set by a run stopped before; not on the way out: the pool waits for the task after that

    def stop(signum, frame) -> None:
        embedding.STOPPING.set()
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:  # the default: end the process, as it would have
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _no_heartbeats_on_a_temporary_server():
    """Prefect's flow heartbeats (every 180 s, so that a server can tell a crashed run) cost each run up to a second at
    its end: the heartbeat thread sleeps in steps of a second, and the run waits for it (1.0 s of a 1,000-answer run's
    9). A temporary server ends with the run, so nothing there would ever read them: off. A server of one's own
    (PREFECT_API_URL) gets them as Prefect sends them."""
    from contextlib import nullcontext

    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings

    if get_current_settings().api.url:
        return nullcontext()
    return temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})


"""Benchmark the whole flow on synthetic corpora of 1k, 10k and 100k answers.

Each corpus is recombined from data/sample_rfi/responses.csv (seeded): the sentences of one
question's answers are reshuffled across respondents, organisation words are swapped and a few
openers added, so texts differ; about 3% of answers are verbatim copies of a sample answer, as in
real exports. Per corpus, in one process:

1. the flow, in-process (`run_flow`), with a fresh embedding cache: wall time, stage times,
   peak RSS of this process;
2. `model.encode` (the same SentenceTransformer the flow used, batch 64) on the run's unique
   segments (from its segments.csv): the raw throughput the flow is compared with;
3. the flow again after one theme's definition changed in a copy of the codebook, same cache.

The model and Prefect's temporary server are started before anything is timed, by a warm-up run
on a tiny corpus: a CLI run pays ~10 s for each once, in parallel (see cli.py).

    .venv/bin/python benchmarks/run.py --sizes 1000,10000
    .venv/bin/python benchmarks/run.py --sizes 100000 --device cuda --no-rerun --out benchmarks/gpu
    .venv/bin/python benchmarks/run.py --sizes 1000 --backend onnx   # int8; --onnx-file onnx/model.onnx: fp32
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_rfi" / "responses.csv"
CODEBOOK = ROOT / "codebooks" / "rfi_themes.yaml"

for name, value in {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING",
                    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
                    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore", "HF_HUB_OFFLINE": "1",
                    "TOKENIZERS_PARALLELISM": "false"}.items():
    os.environ.setdefault(name, value)

import pandas as pd  # noqa: E402
import psutil  # noqa: E402
import yaml  # noqa: E402

from themes.defaults import ONNX_FILES  # noqa: E402

# Interchangeable organisation words: each match is replaced by a random member of its group.
SWAPS = [
    ["hospital", "health system", "medical center", "regional hospital"],
    ["clinic", "FQHC", "health center", "community clinic"],
    ["food bank", "food pantry", "meal program"],
    ["shelter", "housing program", "transitional housing provider"],
    ["county", "city", "parish", "tribal nation"],
    ["health department", "public health department", "county health office"],
    ["CBO", "community organization", "nonprofit partner"],
    ["health plan", "managed care plan", "insurer"],
    ["church", "faith community", "congregation"],
    ["school district", "school", "community college"],
    ["case managers", "care coordinators", "navigators"],
    ["community health workers", "CHWs", "promotoras", "peer navigators"],
]
OPENERS = ["Honestly, ", "For us, ", "In our area, ", "Right now, ", "Over the last year, ", "As a small team, ",
           "In practice, ", "From our side, "]
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")
_SWAP = re.compile("|".join(sorted({re.escape(w) for g in SWAPS for w in g}, key=len, reverse=True)),
                   re.IGNORECASE)
_GROUP = {w.lower(): g for g in SWAPS for w in g}


def build_corpus(n_answers: int, folder: Path, seed: int = 7) -> Path:
    """A wide CSV (+ sidecar YAML) of about `n_answers` answers, recombined from the sample."""
    sample = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    sidecar = yaml.safe_load(SAMPLE.with_suffix(".yaml").read_text())
    questions = sidecar["text_columns"]
    rng = random.Random(seed)
    pools = {}
    for question in questions:
        answers = [a for a in sample[question] if len(a.split()) > 3]
        pieces = [s.strip() for a in answers if "<" not in a for s in _SENTENCE.split(a) if len(s.split()) >= 3]
        pools[question] = (list(sample[question]), pieces)
    n_respondents = math.ceil(n_answers / len(questions))
    rows = []
    for number in range(n_respondents):
        base = sample.iloc[rng.randrange(len(sample))].to_dict()
        row = {k: v for k, v in base.items() if k not in questions}
        row["respondent_id"] = f"B{number + 1:06d}"
        for question in questions:
            originals, pieces = pools[question]
            source = originals[rng.randrange(len(originals))]
            if len(source.split()) <= 3 or "<" in source or rng.random() < 0.03:
                row[question] = source  # non-answers, pasted HTML and some verbatim copies stay as they are
                continue
            count = len(_SENTENCE.split(source)) + (rng.random() < 0.5)
            text = " ".join(rng.choice(pieces) for _ in range(count))
            if rng.random() < 0.3:
                text = rng.choice(OPENERS) + text[0].lower() + text[1:]
            row[question] = _SWAP.sub(lambda m: _swap(m.group(0), rng), text)
        rows.append(row)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"answers_{n_answers}.csv"
    pd.DataFrame(rows, columns=list(sample.columns)).to_csv(path, index=False)
    path.with_suffix(".yaml").write_text(yaml.safe_dump(sidecar, sort_keys=False))
    return path


def _swap(word: str, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return word
    choice = rng.choice(_GROUP[word.lower()])
    return choice[0].upper() + choice[1:] if word[0].isupper() else choice


class PeakRSS:
    """Samples the RSS of this process (and with its children: Prefect's server) every 250 ms."""

    def __init__(self, interval: float = 0.25):
        self.interval, self.peak, self.peak_with_children = interval, 0, 0
        self._stop = threading.Event()
        self._process = psutil.Process()

    def _sample(self) -> None:
        rss = self._process.memory_info().rss
        children = 0
        for child in self._process.children(recursive=True):
            try:
                children += child.memory_info().rss
            except psutil.Error:
                pass
        self.peak = max(self.peak, rss)
        self.peak_with_children = max(self.peak_with_children, rss + children)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> PeakRSS:
        self._sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def edit_codebook(source: Path, target: Path) -> None:
    """Copy the codebook with the first theme's definition changed (one extra sentence)."""
    text = source.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["themes"][0]["definition"] = data["themes"][0]["definition"].rstrip() + " Edited for the benchmark."
    target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def help_seconds(repeats: int = 3) -> tuple[float, float]:
    """Best wall time and best CPU time (user + system; less sensitive to a busy machine) of `themes --help`."""
    script = Path(sys.executable).with_name("themes")
    # Installed with --target (as on a lent GPU machine), the script is not beside the interpreter.
    themes = str(script) if script.exists() else shutil.which("themes")
    if themes is None:
        raise SystemExit("benchmarks/run.py: no `themes` command beside this Python or on PATH: install the package")
    best, best_cpu = math.inf, math.inf
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([themes, "--help"], check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best_cpu = min(best_cpu, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return best, best_cpu


def _embedded_once(stats: dict, distinct: int) -> bool:
    """Every distinct text (segments and the coder's texts) found or embedded, each exactly once."""
    return stats["unique"] == distinct and \
        stats["embedded"] + stats.get("from_shipped", 0) + stats["from_cache"] == distinct


def _synchronize() -> None:
    """Wait for queued GPU work, so that a timer stops when the device has finished."""
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def accelerator(device: str) -> str:
    """The card the model runs on, by name (or "cpu")."""
    import torch

    if device == "cuda":
        return torch.cuda.get_device_name(0)
    return device


def machine() -> dict:
    cpu = "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    from importlib.metadata import version

    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    return {"cpu": cpu, "cores": os.cpu_count(), "avx2": " avx2" in flags, "avx512": " avx512f" in flags,
            "ram_gb": round(psutil.virtual_memory().total / 2**30, 1), "python": platform.python_version(),
            "torch": version("torch"), "sentence_transformers": version("sentence-transformers"),
            "transformers": version("transformers"), "prefect": version("prefect"),
            "load_average_at_start": [round(x, 1) for x in os.getloadavg()],
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def bench_size(n: int, work: Path, settings_args: dict, run_flow, RunSettings, embedder,
               raw_limit: int | None = None, rerun: bool = True) -> dict:
    folder = work / f"n{n}"
    started = time.perf_counter()
    corpus = build_corpus(n, folder)
    build_s = time.perf_counter() - started
    # The codebook and its calibration (if any) copied side by side, as a user's own copy would be.
    codebook = folder / "codebook.yaml"
    shutil.copy(CODEBOOK, codebook)
    calibration = CODEBOOK.with_name(f"{CODEBOOK.stem}.calibration.json")
    if calibration.is_file():
        shutil.copy(calibration, folder / "codebook.calibration.json")
    vectors = CODEBOOK.with_name(f"{CODEBOOK.stem}.vectors.npz")  # the shipped vectors of what the coder learns from
    if vectors.is_file():
        shutil.copy(vectors, folder / "codebook.vectors.npz")
    settings = RunSettings(codebook=str(codebook), cache_dir=str(folder / "cache"), **settings_args)

    with PeakRSS() as memory:
        start, start_cpu = time.perf_counter(), time.process_time()
        first = run_flow(str(corpus), str(folder / "out1"), settings, force=True)
        first_s, first_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    print(f"  first run {first_s:.1f} s {first['timings']}", flush=True)

    segments = pd.read_csv(folder / "out1" / "segments.csv", dtype=str, keep_default_na=False)
    # Undo the CSV export's formula guard ("'=..." -> "=...").
    texts = [t[1:] if t[:1] == "'" and t[1:2] in "=+-@\t\r" and len(t) > 1 else t for t in segments["text"]]
    unique = list(dict.fromkeys(texts))
    timed = random.Random(1).sample(unique, raw_limit) if raw_limit and raw_limit < len(unique) else unique
    model = embedder.load()
    batch = embedder.texts_per_batch  # the flow's batch size on this device
    start, start_cpu = time.perf_counter(), time.process_time()
    model.encode(timed, batch_size=batch, convert_to_numpy=True, show_progress_bar=False)
    _synchronize()
    raw_s = (time.perf_counter() - start) * len(unique) / len(timed)
    raw_cpu = (time.process_time() - start_cpu) * len(unique) / len(timed)
    print(f"  raw encode of {len(timed)} of {len(unique)} unique segments "
          f"{raw_s * len(timed) / len(unique):.1f} s", flush=True)
    # The codebook's and calibration's texts that the shipped vectors do not hold, which the flow embeds too on a
    # cold cache: timed apart, so that the flow can be compared with raw encode on exactly what it embedded.
    from themes.calibrate import find_calibration
    from themes.coding import training_texts
    from themes.codebook import load_codebook
    from themes.embed import text_key
    from themes.shipped import ShippedVectors

    seen = set(unique)
    learned = [t for t in dict.fromkeys(training_texts(load_codebook(codebook), find_calibration(codebook, None)))
               if t not in seen]
    _, not_shipped = ShippedVectors([folder / "codebook.vectors.npz"], embedder.model_id).get(
        [text_key(t) for t in learned])
    extra = [learned[i] for i in not_shipped]
    start = time.perf_counter()
    if extra:
        model.encode(extra, batch_size=batch, convert_to_numpy=True, show_progress_bar=False)
        _synchronize()
    raw_extra_s = time.perf_counter() - start
    print(f"  raw encode of the {len(extra)} codebook and calibration texts not shipped {raw_extra_s:.1f} s "
          f"({len(learned) - len(extra)} shipped)", flush=True)

    rerun_s, second, rerun_memory = math.nan, {"timings": {}, "embedding": {"embedded": None}}, memory
    if rerun:
        edit_codebook(codebook, codebook)
        with PeakRSS() as rerun_memory:
            start = time.perf_counter()
            second = run_flow(str(corpus), str(folder / "out2"), settings, force=True)
            rerun_s = time.perf_counter() - start
        print(f"  re-run after codebook edit {rerun_s:.1f} s {second['timings']}", flush=True)

    answers = first["accounting"]["input_answers"]
    e2e = len(unique) / first_s
    raw = len(unique) / raw_s
    result = {
        "answers": answers, "respondents": math.ceil(n / 8), "corpus_build_s": round(build_s, 2),
        "segments": len(texts), "unique_segments": len(unique),
        "flow_unique_texts": first["embedding"]["unique"], "flow_embedded": first["embedding"]["embedded"],
        "first_run_s": round(first_s, 2), "stage_s": first["timings"],
        "flow_overhead_s": round(first_s - sum(first["timings"].values()), 2),
        "e2e_unique_segments_per_s": round(e2e, 1), "e2e_segments_per_s": round(len(texts) / first_s, 1),
        "raw_encode_s": round(raw_s, 2), "raw_encode_timed_texts": len(timed), "raw_encode_per_s": round(raw, 1),
        "e2e_over_raw": round(e2e / raw, 3),
        # CPU seconds of this process (all its threads; Prefect's server is a child and not counted): less
        # sensitive than wall time to other people's load on a shared machine.
        "first_run_cpu_s": round(first_cpu, 2), "raw_encode_cpu_s": round(raw_cpu, 2),
        "e2e_over_raw_cpu_time": round(raw_cpu / first_cpu, 3),
        "codebook_texts": len(extra), "codebook_texts_shipped": len(learned) - len(extra),
        "flow_from_shipped": first["embedding"].get("from_shipped", 0),
        "raw_encode_codebook_texts_s": round(raw_extra_s, 2),
        # Each distinct text once: every segment and coder text found (shipped, cached) or embedded, none twice.
        "embedded_once": _embedded_once(first["embedding"], len(unique) + len(learned)),
        # Raw encode of everything the flow embedded (segments + codebook/calibration texts) over the flow's
        # wall time: the flow's own overhead, apart from the extra texts that a cold cache makes it embed.
        "e2e_over_raw_all_texts": round((raw_s + raw_extra_s) / first_s, 3),
        # The classifiers train while the survey is embedded, so the embedding's wall time is train + embed.
        "embed_stage_over_raw_all_texts": round((raw_s + raw_extra_s) / (first["timings"]["embed"]
                                                                         + first["timings"].get("train", 0)), 3),
        "e2e_total_segments_over_raw": round(len(texts) / first_s / raw, 3),
        # The share of the run spent embedding (train and embed overlap): what end-to-end / raw comes to when the
        # flow's embedding runs at raw speed; a bound that other people's load moves less than the two timings.
        "embedding_share_of_run": round((first["timings"]["embed"] + first["timings"].get("train", 0)) / first_s, 3),
        "load_average_after": [round(x, 1) for x in os.getloadavg()],
        "rerun_s": round(rerun_s, 2) if rerun else None,
        "rerun_over_first": round(rerun_s / first_s, 3) if rerun else None,
        "rerun_stage_s": second["timings"], "rerun_embedded": second["embedding"]["embedded"],
        "peak_rss_gb": round(max(memory.peak, rerun_memory.peak) / 2**30, 2),
        "peak_rss_with_children_gb": round(max(memory.peak_with_children,
                                               rerun_memory.peak_with_children) / 2**30, 2),
    }
    shutil.rmtree(folder / "cache", ignore_errors=True)
    return result


def _figure(value, decimals: int) -> str:
    return "not run" if value is None else f"{value:.{decimals}f}"


NOTES_MARK = "<!-- Notes by hand below this line: kept when the benchmark writes this file again. -->"


def kept_notes(path: Path) -> str:
    """What a person wrote below NOTES_MARK in `path` (results.md), the mark included; "" when there is none."""
    if not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8")
    return text[text.index(NOTES_MARK):] if NOTES_MARK in text else ""


def write_results(results: dict, out: Path) -> str:
    """results.md (the tables, then the notes by hand that the file held) and results.json."""
    out.mkdir(parents=True, exist_ok=True)
    info = results["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores (AVX2 {'yes' if info['avx2'] else 'no'}, AVX-512 "
        f"{'yes' if info['avx512'] else 'no'}), {info['ram_gb']} GB RAM; Python {info['python']}, torch "
        f"{info['torch']}, sentence-transformers {info['sentence_transformers']}, transformers "
        f"{info['transformers']}, Prefect {info['prefect']}; backend {results.get('backend', 'torch')}; device "
        f"{results.get('device', 'cpu')} ({results.get('accelerator', 'cpu')}), batch {results.get('batch_size', 64)}; "
        f"load average at start {info['load_average_at_start']}; {info['date']}.",
        "",
        "Throughput counts unique segments (what is embedded); raw = `model.encode` (the flow's batch size, on "
        "the same device) on the same unique segments, model loaded; re-run = same corpus and cache after one "
        "theme's definition changed.",
        "",
        "| answers | segments | unique / total | first run s | unique seg/s end-to-end | raw encode seg/s "
        "| end-to-end / raw | same, CPU time | re-run / first | peak RSS GB | load avg after (1 min) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["runs"]:
        lines.append(f"| {r['answers']:,} | {r['segments']:,} | {r['unique_segments'] / r['segments']:.3f} "
                     f"| {r['first_run_s']:.1f} | {r['e2e_unique_segments_per_s']:.0f} | {r['raw_encode_per_s']:.0f} "
                     f"| {r['e2e_over_raw']:.2f} | {_figure(r.get('e2e_over_raw_cpu_time'), 2)} "
                     f"| {_figure(r['rerun_over_first'], 3)} | {r['peak_rss_gb']:.2f} "
                     f"| {r['load_average_after'][0]} |")
    stages = list(dict.fromkeys(s for r in results["runs"] for s in [*r["stage_s"], "flow_overhead"]))
    lines += ["", "Stages of the first run, as a share of its wall time (seconds in results.json); the last "
              "column is the re-run's wall time in seconds:", "",
              "| answers | " + " | ".join(stages) + " | re-run s |",
              "|---:|" + "---:|" * (len(stages) + 1)]
    for r in results["runs"]:
        shares = [(r["flow_overhead_s"] if s == "flow_overhead" else r["stage_s"].get(s, 0)) / r["first_run_s"]
                  for s in stages]
        lines.append(f"| {r['answers']:,} | " + " | ".join(f"{x:.3f}" for x in shares) + f" | {_figure(r['rerun_s'], 1)} |")
    lines += ["", "On a cold cache the flow takes the codebook's and calibration's texts from the vectors shipped "
              "beside the calibration, and embeds those they do not hold. Raw encode of everything the flow "
              "embedded (segments + those texts) over the whole run and over the train and embed stages (they overlap); and all "
              "segments (duplicates included) per second of the run over raw:", "",
              "| answers | texts embedded | codebook + calibration texts shipped / embedded | raw all texts / run "
              "| raw all texts / (train + embed stages) | all segments e2e / raw | embedding share of the run |",
              "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results["runs"]:
        lines.append(f"| {r['answers']:,} | {r['flow_embedded']:,} "
                     f"| {r.get('codebook_texts_shipped', 0):,} / {r['codebook_texts']:,} "
                     f"| {r['e2e_over_raw_all_texts']:.2f} | {r['embed_stage_over_raw_all_texts']:.2f} "
                     f"| {r['e2e_total_segments_over_raw']:.2f} | {_figure(r.get('embedding_share_of_run'), 2)} |")
    lines += ["", "Each distinct text embedded once (shipped + cached + embedded = distinct segments and coder texts): "
              + ", ".join(f"{r['answers']:,}: {'yes' if r['embedded_once'] else 'NO'}" for r in results["runs"]) + "."]
    if "model_load_s" in results:
        lines += ["", f"Not timed in the runs above: model load {results['model_load_s']:.1f} s; warm-up run on 48 "
                  f"answers (Prefect's temporary server start, spaCy, the language identifier) "
                  f"{results['warm_up_s']:.1f} s."]
    lines += ["", f"`themes --help`: {results['help_s']:.2f} s wall, {results['help_cpu_s']:.2f} s CPU "
              "(best of 3, subprocess)."]
    if "ru_maxrss_gb" in results:
        lines.append("Peak RSS of the benchmark process over all corpora (ru_maxrss): "
                     f"{results['ru_maxrss_gb']:.2f} GB.")
    gpu = Path(__file__).resolve().parent / "gpu"
    if results.get("device") == "cpu":
        lines += ["", "GPU: " + ("see `gpu/results.md` (written by `benchmarks/gpu_check.sh`)." if
                                 (gpu / "results.md").is_file() else
                                 "pending, not run (no GPU was available where these figures were measured). "
                                 "`bash benchmarks/gpu_check.sh` on a CUDA machine writes `gpu/results.md` "
                                 "(100k answers end to end vs raw encode on the card) and `gpu/decisions.jsonl` "
                                 "(gold test split decisions: CPU vs CUDA fp32 vs CUDA fp16).")]
    notes = kept_notes(out / "results.md")
    text = "\n".join(lines) + "\n" + ("\n" + notes if notes else "\n" + NOTES_MARK + "\n")
    (out / "results.md").write_text(text, encoding="utf-8")
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="answers per corpus, comma-separated")
    parser.add_argument("--backend", default="torch", choices=["torch", "onnx"])
    parser.add_argument("--onnx-file", default=None, choices=list(ONNX_FILES),
                        help="with --backend onnx, the export run [default: the int8 one]")
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"],
                        help="where the model runs, for the flow and raw encode alike [default: auto]")
    parser.add_argument("--no-rerun", action="store_true", help="skip the re-run after a codebook edit")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="folder for results.md and results.json")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder [default: a temporary one]")
    parser.add_argument("--raw-limit", type=int, default=None,
                        help="time raw encode on a random sample of this many unique segments [default: all]")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    from themes.embed import get_embedder
    from themes.flows.code_responses import run_flow
    from themes.settings import RunSettings

    settings_args = {"model": args.model, "backend": args.backend, "onnx_file": args.onnx_file,
                     "device": args.device}
    embedder = get_embedder(args.model, backend=args.backend, onnx_file=args.onnx_file, device=args.device)
    results = {"machine": machine(), "backend": args.backend, "onnx_file": args.onnx_file,
               "device": embedder.resolved_device, "accelerator": accelerator(embedder.resolved_device),
               "batch_size": embedder.texts_per_batch, "runs": []}
    wall, cpu = help_seconds()
    results["help_s"], results["help_cpu_s"] = round(wall, 3), round(cpu, 3)
    print(f"themes --help: {wall:.2f} s wall, {cpu:.2f} s CPU", flush=True)

    work = args.work or Path(tempfile.mkdtemp(prefix="themes-bench-"))
    try:
        start = time.perf_counter()
        embedder.load()
        results["model_load_s"] = round(time.perf_counter() - start, 2)
        print(f"model load {results['model_load_s']:.1f} s on {results['accelerator']}", flush=True)
        # Warm-up: starts Prefect's temporary server and loads spaCy, the language identifier, the redactor.
        warm = build_corpus(48, work / "warm")
        start = time.perf_counter()
        run_flow(str(warm), str(work / "warm" / "out"),
                 RunSettings(cache_dir=str(work / "warm" / "cache"), **settings_args), force=True)
        results["warm_up_s"] = round(time.perf_counter() - start, 2)  # Prefect's server start, mostly
        print(f"warm-up run {results['warm_up_s']:.1f} s", flush=True)
        for n in sizes:
            print(f"{n} answers", flush=True)
            results["runs"].append(bench_size(n, work, settings_args, run_flow, RunSettings, embedder,
                                              args.raw_limit, rerun=not args.no_rerun))
            results["ru_maxrss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
            print(write_results(results, args.out), flush=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

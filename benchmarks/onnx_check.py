"""Is `--backend onnx` worth having on the CPU? Speed and agreement against torch, through the package's
own ONNX path (themes.embed_onnx: torch.onnx export, int8 by onnxruntime's dynamic quantization,
onnxruntime session), in the main environment.

Speed: torch, ONNX fp32 and ONNX int8 encode the same gold passages in interleaved batches of 64
sorted by length, the engine going first rotating, so that a busy machine slows all three alike.
Agreement: the gold test split coded as `themes evaluate --split test` codes it (the same task), the
coder learning from vectors of the same engine.

    .venv/bin/python benchmarks/onnx_check.py --timed 640
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ENGINES = {"torch": {"backend": "torch"}, "onnx_fp32": {"backend": "onnx", "onnx_file": "onnx/model.onnx"},
           "onnx_int8": {"backend": "onnx", "onnx_file": "onnx/model_quint8.onnx"}}


def gold_kappa(engine: dict, codebook_path: str, gold_path: str, split: str, cache_dir: str):
    """Primary-theme kappa and the decisions, as `themes evaluate` computes them."""
    from themes.calibrate import find_calibration
    from themes.codebook import load_codebook
    from themes.coding import learned_from
    from themes.evaluate import agreement, read_gold
    from themes.flows.agreement import _questions, code_gold
    from themes.settings import RunSettings

    settings = RunSettings(codebook=codebook_path, device="cpu", cache_dir=cache_dir, **engine)
    codebook = load_codebook(codebook_path)
    calibration = find_calibration(codebook_path, None)
    gold = read_gold(gold_path, codebook, split=split)
    gold = gold[~learned_from(gold["text"], codebook, calibration)].reset_index(drop=True)
    coder, scores, decided = code_gold.fn(list(gold["text"]), codebook, calibration, settings, _questions(gold))
    result = agreement(list(gold["gold"]), coder.scheme.labels(decided), coder.scheme.primary(scores, decided),
                       coder.scheme)
    return result["overall"]["primary_kappa"], decided


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timed", type=int, default=640, help="texts timed (gold passages, sampled)")
    parser.add_argument("--gold", default="data/sample_rfi/gold.csv")
    parser.add_argument("--codebook", default="codebooks/rfi_themes.yaml")
    parser.add_argument("--skip-kappa", action="store_true")
    parser.add_argument("--out", default=None, help="also write the report (JSON) to this file")
    args = parser.parse_args(argv)
    import numpy as np
    import pandas as pd

    from themes.embed import compact, get_embedder, resolve_model_path
    from themes.embed_onnx import export_folder
    from themes.settings import default_cache_dir

    embedders = {name: get_embedder(device="cpu", **engine) for name, engine in ENGINES.items()}
    start = time.perf_counter()
    models = {name: embedder.load() for name, embedder in embedders.items()}  # exports on first use
    threads = models["onnx_int8"].session.get_session_options().intra_op_num_threads
    report = {"load_s": round(time.perf_counter() - start, 1), "threads": threads,
              "load_average_start": [round(x, 1) for x in os.getloadavg()]}
    folder = export_folder(resolve_model_path("all-MiniLM-L6-v2"), "all-MiniLM-L6-v2", default_cache_dir())
    for name in ("onnx_fp32", "onnx_int8"):
        report[f"{name}_mb"] = round((folder / ENGINES[name]["onnx_file"]).stat().st_size / 1e6, 1)
    texts = list(pd.read_csv(args.gold, dtype=str, keep_default_na=False)["text"])
    timed = random.Random(3).sample(texts, min(args.timed, len(texts)))
    timed.sort(key=len)
    seconds = dict.fromkeys(models, 0.0)
    vectors = {name: [] for name in models}
    names = list(models)
    for k, begin in enumerate(range(0, len(timed), 64)):
        batch = timed[begin:begin + 64]
        for name in names[k % 3:] + names[:k % 3]:  # rotate who goes first
            start = time.perf_counter()
            out = models[name].encode(batch, batch_size=64, convert_to_numpy=True, show_progress_bar=False)
            seconds[name] += time.perf_counter() - start
            vectors[name].append(compact(out))
    report |= {"texts_timed": len(timed), "load_average_end": [round(x, 1) for x in os.getloadavg()]}
    reference = np.vstack(vectors["torch"]).astype(np.float32)
    for name in models:
        report[f"{name}_texts_per_s"] = round(len(timed) / seconds[name], 1)
        report[f"{name}_speedup"] = round(seconds["torch"] / seconds[name], 3)
        cosine = (np.vstack(vectors[name]).astype(np.float32) * reference).sum(axis=1)
        report[f"{name}_cosine_to_torch_mean"] = round(float(cosine.mean()), 4)
        report[f"{name}_cosine_to_torch_min"] = round(float(cosine.min()), 4)
    print(json.dumps(report), flush=True)
    if not args.skip_kappa:
        with tempfile.TemporaryDirectory(prefix="themes-onnx-cache-") as cache_dir:
            decisions = {}
            for name, engine in ENGINES.items():
                kappa, decisions[name] = gold_kappa(engine, args.codebook, args.gold, "test", cache_dir)
                report[f"{name}_kappa"] = round(kappa, 4)
            for name in ("onnx_fp32", "onnx_int8"):
                report[f"{name}_kappa_change"] = round(report[f"{name}_kappa"] - report["torch_kappa"], 4)
                report[f"{name}_passages_decided_differently"] = int(
                    (decisions[name] != decisions["torch"]).any(axis=1).sum())
        report["load_average_after_kappa"] = [round(x, 1) for x in os.getloadavg()]
        print(json.dumps(report), flush=True)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)


if __name__ == "__main__":
    main()

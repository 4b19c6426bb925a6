"""Is an ONNX Runtime path worth having on the CPU? Speed and agreement against torch, measured in the
main environment (torch.onnx.export + onnxruntime; no optimum, whose releases need an older
transformers).

all-MiniLM-L6-v2 with its mean pooling and normalisation is exported once (fp32), quantized to int8
(dynamic, unsigned weights: the AVX2 kind), and timed against torch on the same texts in
interleaved batches of 64 sorted by length (so a busy machine slows all three alike). Agreement:
the gold test split coded with each, the coder learning from vectors of the same engine.

    .venv/bin/pip install onnxruntime onnx onnxscript -c constraints.txt   # not project dependencies
    .venv/bin/python benchmarks/onnx_check.py --timed 640
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def export(folder: Path):
    import torch

    from themes.embed import get_embedder

    st = get_embedder(device="cpu").load()
    bert = st[0].auto_model.eval()

    class Pooled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = bert  # a submodule, so that its weights export as weights

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    sample = st.tokenizer(["a short text", "and a somewhat longer one to pad"], padding=True, return_tensors="pt")
    fp32 = folder / "model.onnx"
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "token_type_ids": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the TorchScript exporter: it needs no onnxscript
        torch.onnx.export(Pooled(), (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
                          str(fp32), input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["embedding"], dynamic_axes=axes, opset_version=17, dynamo=False)
    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8 = folder / "model_quint8.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QUInt8)
    return st, fp32, int8


class OnnxEncoder:
    def __init__(self, path: Path, st):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer, self.max_length = st.tokenizer, st.max_seq_length

    def batch(self, texts: list[str]):
        tokens = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="np")
        return self.session.run(["embedding"], {k: tokens[k].astype("int64") for k in
                                                ("input_ids", "attention_mask", "token_type_ids")})[0]

    def encode(self, texts, batch_size: int = 64):
        import numpy as np

        from themes.embed import compact

        texts = list(texts)
        if not texts:
            return np.zeros((0, 384), dtype=np.float16)
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), 384), dtype=np.float16)
        for begin in range(0, len(texts), batch_size):
            picked = order[begin:begin + batch_size]
            out[picked] = compact(self.batch([texts[i] for i in picked]))
        return out


def embed_function(encoder):
    import numpy as np

    memory: dict[str, np.ndarray] = {}

    def embed(texts):
        todo = [t for t in dict.fromkeys(texts) if t not in memory]
        for text, vector in zip(todo, encoder(todo)):
            memory[text] = vector
        return np.array([memory[t] for t in texts], dtype=np.float32).reshape(len(texts), -1)

    return embed


def gold_kappa(embed, codebook_path: str, gold_path: str, split: str) -> tuple[float, object]:
    from themes.calibrate import find_calibration
    from themes.codebook import load_codebook
    from themes.coding import fit_coder, training_texts
    from themes.evaluate import agreement, read_gold

    codebook = load_codebook(codebook_path)
    calibration = find_calibration(codebook_path, None)
    gold = read_gold(gold_path, codebook, split=split)
    seen = {" ".join(t.lower().split()) for t in training_texts(codebook, calibration)}
    gold = gold[~gold["text"].map(lambda t: " ".join(t.lower().split()) in seen)].reset_index(drop=True)
    coder = fit_coder(codebook, embed, calibration)
    _, _, scores, decided = coder.code_texts(list(gold["text"]), embed)
    result = agreement(list(gold["gold"]), coder.scheme.labels(decided), coder.scheme.primary(scores, decided),
                       coder.scheme)
    return result["overall"]["primary_kappa"], decided


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timed", type=int, default=640, help="texts timed (gold passages, sampled)")
    parser.add_argument("--gold", default="data/sample_rfi/gold.csv")
    parser.add_argument("--codebook", default="codebooks/rfi_themes.yaml")
    parser.add_argument("--skip-kappa", action="store_true")
    args = parser.parse_args(argv)
    import numpy as np
    import pandas as pd

    from themes.embed import compact

    folder = Path(tempfile.mkdtemp(prefix="themes-onnx-"))
    st, fp32_path, int8_path = export(folder)
    engines = {"torch": lambda texts: compact(st.encode(texts, batch_size=64, convert_to_numpy=True,
                                                        show_progress_bar=False)),
               "onnx_fp32": OnnxEncoder(fp32_path, st), "onnx_int8": OnnxEncoder(int8_path, st)}
    texts = list(pd.read_csv(args.gold, dtype=str, keep_default_na=False)["text"])
    timed = random.Random(3).sample(texts, min(args.timed, len(texts)))
    timed.sort(key=len)
    seconds = dict.fromkeys(engines, 0.0)
    vectors = {name: [] for name in engines}
    for k, begin in enumerate(range(0, len(timed), 64)):
        batch = timed[begin:begin + 64]
        names = list(engines)
        for name in names[k % 3:] + names[:k % 3]:  # rotate who goes first
            engine = engines[name]
            start = time.perf_counter()
            out = engine(batch) if name == "torch" else compact(engine.batch(batch))
            seconds[name] += time.perf_counter() - start
            vectors[name].append(out)
    report = {"texts_timed": len(timed), "load_average": [round(x, 1) for x in os.getloadavg()],
              "fp32_mb": round(fp32_path.stat().st_size / 1e6, 1), "int8_mb": round(int8_path.stat().st_size / 1e6, 1)}
    reference = np.vstack(vectors["torch"]).astype(np.float32)
    for name in engines:
        report[f"{name}_texts_per_s"] = round(len(timed) / seconds[name], 1)
        report[f"{name}_speedup"] = round(seconds["torch"] / seconds[name], 3)
        cosine = (np.vstack(vectors[name]).astype(np.float32) * reference).sum(axis=1)
        report[f"{name}_cosine_to_torch_mean"] = round(float(cosine.mean()), 4)
        report[f"{name}_cosine_to_torch_min"] = round(float(cosine.min()), 4)
    print(json.dumps(report), flush=True)
    if not args.skip_kappa:
        from themes.embed import embedding_function
        from themes.shipped import shipped_paths

        torch_embed = embedding_function(device="cpu", shipped=shipped_paths([args.codebook]))
        kappa, decided = gold_kappa(torch_embed, args.codebook, args.gold, "test")
        report["torch_kappa"] = round(kappa, 4)
        for name in ("onnx_fp32", "onnx_int8"):
            other, other_decided = gold_kappa(embed_function(engines[name].encode), args.codebook, args.gold, "test")
            report[f"{name}_kappa"] = round(other, 4)
            report[f"{name}_kappa_change"] = round(other - kappa, 4)
            report[f"{name}_passages_decided_differently"] = int((other_decided != decided).any(axis=1).sum())
        print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()

"""Embeddings through ONNX Runtime on the CPU (`--backend onnx`), in the project's own environment.

The local sentence-transformers model is exported once with torch's TorchScript exporter, its mean
pooling and normalisation inside the graph, into the user's cache; int8 weights (onnxruntime's
dynamic quantization, unsigned: the kind AVX2 runs fast) are made from that export. A run then needs
only onnxruntime and the model's fast tokenizer: no torch, no optimum (whose releases need an older
transformers than the one pinned here).

Measured on the gold passages (benchmarks/onnx_check.py and benchmarks/results.md): int8 is the
default, 1.44x torch's speed on an idle 2-core CPU (up to 1.75x when the machine is loaded) with
primary-theme kappa within 0.01 of torch's; fp32 (`onnx/model.onnx`) is 1.1-1.5x with the same
decisions as torch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import uuid
import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from themes import defaults
from themes.errors import ThemesError

ONNX_FILES = defaults.ONNX_FILES  # what onnx_file may name, and the variant it is
INT8_FILE, FP32_FILE = defaults.ONNX_INT8, defaults.ONNX_FP32
DEFAULT_ONNX_FILE = INT8_FILE
EXPORT_INFO = "export.json"
TOKENIZER = "tokenizer.json"
OPSET = 17
log = logging.getLogger("themes")


def onnx_variant(onnx_file: str | None) -> str:
    """'int8' (the default) or 'fp32', for the file asked for."""
    variant = ONNX_FILES.get(onnx_file or DEFAULT_ONNX_FILE)
    if variant is None:
        raise ThemesError(f"The 'onnx_file' must be one of {list(ONNX_FILES)}. Got {onnx_file!r} instead.")
    return variant


def default_threads() -> int:
    """As many threads as torch would use: $OMP_NUM_THREADS, else the cores this process may run on."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        pass
    from themes.cores import usable_cores

    return usable_cores()


def export_folder(path: str, name: str, cache_dir: str | Path) -> Path:
    """Where the export of the model folder at `path` lives: named for the model, keyed by the folder and
    its files' sizes and times, so a reinstalled or retrained model is exported afresh."""
    folder = Path(path).resolve()
    digest = hashlib.sha1(str(folder).encode())
    for item in sorted(folder.iterdir()) if folder.is_dir() else []:
        if item.is_file():
            stat = item.stat()
            digest.update(f"{item.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    return Path(cache_dir) / "onnx-models" / f"{slug}-{digest.hexdigest()[:10]}"


def exported(path: str, name: str, cache_dir: str | Path) -> Path:
    """The export of the model at `path`, made on first use. It is written into a staging folder and
    renamed, so a parallel run never sees half of one; the model folder itself is only read."""
    target = export_folder(path, name, cache_dir)
    if (target / EXPORT_INFO).is_file():
        return target
    staging = target.with_name(f".{target.name}.partial-{uuid.uuid4().hex[:8]}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        log.info("exporting %s to ONNX in %s (once)", name, target)
        export_model(path, staging)
        try:
            staging.rename(target)
        except OSError:  # another process finished first: its export is as good
            if not (target / EXPORT_INFO).is_file():
                raise
    except OSError as error:
        raise ThemesError(f"The ONNX export of '{name}' cannot be written to {target.parent} "
                          f"({error.strerror or error}). Set THEMES_CACHE_DIR to a writable folder, or use "
                          "--backend torch.") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def export_model(path: str, folder: Path) -> None:
    """Write the fp32 and int8 ONNX files, the tokenizer and what the encoder needs to know into `folder`."""
    import torch
    from sentence_transformers import SentenceTransformer

    from themes.embed import embedding_dimension, quiet_transformers

    quiet_transformers()
    model = SentenceTransformer(path, device="cpu")
    transformer, pooling = _check_modules(model, path)
    network = transformer.auto_model.eval()
    tokenizer = model.tokenizer
    sample = tokenizer(["a short text", "and a somewhat longer one, to pad the first"], padding=True,
                       return_tensors="pt")
    inputs = [name for name in ("input_ids", "attention_mask", "token_type_ids") if name in sample]

    class Pooled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.network = network  # a submodule, so that its weights export as weights

        def forward(self, *tensors):
            given = dict(zip(inputs, tensors))
            hidden = self.network(**given).last_hidden_state
            if pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = given["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    folder.mkdir(parents=True)
    (folder / "onnx").mkdir()
    axes = {name: {0: "batch", 1: "tokens"} for name in inputs} | {"embedding": {0: "batch"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(Pooled(), tuple(sample[name] for name in inputs), str(folder / FP32_FILE),
                          input_names=inputs, output_names=["embedding"], dynamic_axes=axes, opset_version=OPSET,
                          dynamo=False)
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _root_logger_quiet():
        quantize_dynamic(str(folder / FP32_FILE), str(folder / INT8_FILE), weight_type=QuantType.QUInt8)
    (folder / TOKENIZER).write_text(tokenizer.backend_tokenizer.to_str(), encoding="utf-8")
    import onnxruntime

    info = {"source": str(Path(path).resolve()), "inputs": inputs, "pooling": pooling,
            "max_length": int(model.max_seq_length), "dimension": int(embedding_dimension(model)),
            "pad_token": tokenizer.pad_token, "pad_id": int(tokenizer.pad_token_id),
            "pad_type_id": int(getattr(tokenizer, "pad_token_type_id", 0) or 0), "opset": OPSET,
            "torch": torch.__version__, "onnxruntime": onnxruntime.__version__}
    (folder / EXPORT_INFO).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")


@contextmanager
def _root_logger_quiet():
    """onnxruntime's quantizer logs advice through the root logger (logging.warning, which also gives the
    root a stderr handler when it has none, so that every later log line would print): silenced while it runs."""
    root = logging.getLogger()
    guard, level = logging.NullHandler(), root.level
    root.addHandler(guard)
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.removeHandler(guard)
        root.setLevel(level)


def _check_modules(model, path: str):
    """The export covers a transformer, mean or CLS pooling, and normalisation: say so for anything else."""
    names = [type(module).__name__ for module in model]
    pooling = None
    if len(model) >= 2 and names[0] == "Transformer" and names[1] == "Pooling":
        config = model[1].get_config_dict()
        mode = config.get("pooling_mode") or ("mean" if config.get("pooling_mode_mean_tokens") else
                                              "cls" if config.get("pooling_mode_cls_token") else None)
        pooling = mode if mode in ("mean", "cls") else None
    if pooling is None or any(name != "Normalize" for name in names[2:]):
        raise ThemesError(f"--backend onnx runs models made of a transformer, mean or CLS pooling and "
                          f"normalisation; {path} has {', '.join(names)}. Use --backend torch with this model.")
    return model[0], pooling


class OnnxModel:
    """An exported model in an onnxruntime session on the CPU, with the model's own tokenizer. Encodes like
    SentenceTransformer.encode (longest texts together, float32 rows in the order given)."""

    def __init__(self, folder: str | Path, onnx_file: str | None = None, threads: int | None = None):
        import onnxruntime
        from tokenizers import Tokenizer

        folder = Path(folder)
        self.info = json.loads((folder / EXPORT_INFO).read_text(encoding="utf-8"))
        self.path = folder / (onnx_file or DEFAULT_ONNX_FILE)
        onnx_variant(onnx_file)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or default_threads()
        options.log_severity_level = 3  # errors only
        self.session = onnxruntime.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        self.inputs = [node.name for node in self.session.get_inputs()]
        self.tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
        self.tokenizer.enable_truncation(max_length=self.info["max_length"])
        self.tokenizer.enable_padding(pad_id=self.info["pad_id"], pad_type_id=self.info["pad_type_id"],
                                      pad_token=self.info["pad_token"])

    @property
    def max_seq_length(self) -> int:
        return self.info["max_length"]

    def get_embedding_dimension(self) -> int:
        return self.info["dimension"]

    def forward(self, texts: Sequence[str]) -> np.ndarray:
        """One batch, as given: normalised float32 vectors."""
        encodings = self.tokenizer.encode_batch([text.strip() for text in texts])
        columns = {"input_ids": [e.ids for e in encodings], "attention_mask": [e.attention_mask for e in encodings],
                   "token_type_ids": [e.type_ids for e in encodings]}
        feed = {name: np.asarray(columns[name], dtype=np.int64) for name in self.inputs}
        return self.session.run(["embedding"], feed)[0]

    def encode(self, texts: Sequence[str], batch_size: int = 64, **_) -> np.ndarray:
        """Texts -> float32 vectors; sorted by length inside so that each batch pads little."""
        out = np.empty((len(texts), self.get_embedding_dimension()), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for begin in range(0, len(texts), batch_size):
            picked = order[begin:begin + batch_size]
            out[picked] = self.forward([texts[i] for i in picked])
        return out

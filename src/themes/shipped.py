"""Vectors that ship beside a codebook's calibration, so a cold cache embeds only the survey.

`<codebook>.vectors.npz` (beside `<codebook>.calibration.json`) holds the float16 vectors of every
text the coder learns from (the codebook's examples, definitions and notes, and the calibration's
passages), keyed by the SHA-1 of each text, with the model they were made with. A text whose hash
is not in the file (an edited example, a new passage) is embedded as usual, and a file made with
another model is not used at all: a vector is never taken for a text or model it was not made from.

`themes calibrate` writes the file; for the shipped codebooks, `make vectors` does
(`python -m themes.shipped CODEBOOK...`).
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from themes.embed import text_key

log = logging.getLogger("themes")
SUFFIX = ".vectors.npz"


def beside_calibration(calibration_or_codebook: str | Path, suffix: str) -> Path:
    """`x.calibration.json` (or `x.yaml`) -> `x<suffix>`, in the same folder: the files that travel with a
    calibration (its vectors here, its fitted models in themes.fitted)."""
    path = Path(calibration_or_codebook)
    stem = path.name.removesuffix(".json").removesuffix(".calibration") if path.suffix == ".json" else path.stem
    return path.with_name(stem + suffix)


def vectors_path(calibration_or_codebook: str | Path) -> Path:
    """`x.calibration.json` (or `x.yaml`) -> `x.vectors.npz`, in the same folder."""
    return beside_calibration(calibration_or_codebook, SUFFIX)


def shipped_paths(codebooks: Sequence[str | Path], calibration: str | Path | None = None) -> list[Path]:
    """Where a run's shipped vectors may be: beside each codebook's calibration, and beside an explicit one."""
    paths = [vectors_path(calibration)] if calibration else []
    return paths + [vectors_path(codebook) for codebook in codebooks]


def write_vectors(path: str | Path, model_id: str, texts: Sequence[str], vectors: np.ndarray) -> Path:
    """Save the vectors of `texts` (each once) for `model_id`; written to a temporary file and renamed."""
    path = Path(path)
    unique = list(dict.fromkeys(texts))
    row = {text: k for k, text in enumerate(texts)}
    keys = np.array([text_key(t) for t in unique], dtype="S20")
    picked = np.asarray(vectors, dtype=np.float16)[[row[t] for t in unique]] if unique else \
        np.zeros((0, 0), dtype=np.float16)
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp.npz")
    np.savez_compressed(temporary, model=np.array(model_id), keys=keys, vectors=picked)
    temporary.replace(path)
    return path


class ShippedVectors:
    """The vectors of one or more `.vectors.npz` files made with `model_id`, looked up by text hash."""

    def __init__(self, paths: Sequence[str | Path], model_id: str):
        self.model_id = model_id
        self._index: dict[bytes, np.ndarray] = {}
        self.paths = [Path(p) for p in dict.fromkeys(paths)]
        for path in self.paths:
            self._read(path)

    def __len__(self) -> int:
        return len(self._index)

    def _read(self, path: Path) -> None:
        if not path.is_file():
            return
        try:
            with np.load(path, allow_pickle=False) as data:
                model, keys, vectors = str(data["model"]), data["keys"], data["vectors"]
            if keys.ndim != 1 or vectors.ndim != 2 or len(keys) != len(vectors):
                raise ValueError("keys and vectors do not match")
        except Exception as error:  # cut short, not a zip, missing arrays: all the same here
            reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
            log.warning("skipped the vectors file %s (%s); its texts are embedded instead.", path, reason)
            return
        if model != self.model_id:
            log.info("the vectors in %s were made with %s, not %s; its texts are embedded instead.",
                     path, model, self.model_id)
            return
        for key, vector in zip(keys, vectors):
            # numpy's "S20" drops trailing NUL bytes on read; a digest can end in one.
            self._index[bytes(key).ljust(20, b"\x00")] = vector

    def get(self, keys: Sequence[bytes]) -> tuple[np.ndarray, list[int]]:
        """Vectors for the keys found (in order) and the positions of the keys not found: as the cache's `get`."""
        found, missing = [], []
        for position, key in enumerate(keys):
            (found if key in self._index else missing).append(position)
        if not found:
            return np.zeros((0, 0), dtype=np.float16), missing
        return np.stack([self._index[keys[p]] for p in found]), missing


def main(argv: list[str] | None = None) -> None:
    """Write `<codebook>.vectors.npz` beside each named codebook's calibration, with the default model,
    and `<codebook>.models.pkl`, the models fitted on them (themes.fitted)."""
    import argparse

    from themes import defaults
    from themes.calibrate import calibration_path, find_calibration
    from themes.codebook import load_codebook
    from themes.coding import fit_coder, training_texts
    from themes.embed import VectorTable, embed_unique, get_embedder
    from themes.fitted import FittedModels, models_path, write_models

    parser = argparse.ArgumentParser(prog="python -m themes.shipped", description=main.__doc__)
    parser.add_argument("codebooks", nargs="+", type=Path)
    parser.add_argument("--model", default=defaults.DEFAULT_MODEL)
    args = parser.parse_args(argv)
    embedder = get_embedder(args.model, device="cpu")
    for codebook in args.codebooks:
        book, calibration = load_codebook(codebook), find_calibration(codebook, None)
        texts = training_texts(book, calibration)
        # A text the file already holds keeps its vector: embedded again, it differs in its last bits (threads,
        # batches), which would change every shipped file and model with nothing changed.
        path = vectors_path(calibration_path(codebook))
        vectors, _ = embed_unique(texts, embedder, shipped=ShippedVectors([path], embedder.model_id))
        path = write_vectors(path, embedder.model_id, texts, vectors)
        print(f"{path}: {len(texts)} texts, {path.stat().st_size / 1e6:.1f} MB", file=sys.stderr)
        fitted = FittedModels(embedder.model_id)
        fit_coder(book, VectorTable(texts, vectors).lookup, calibration, fitted=fitted)
        path = write_models(models_path(calibration_path(codebook)), fitted)
        print(f"{path}: {len(fitted.fresh)} models, {path.stat().st_size / 1e6:.1f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()

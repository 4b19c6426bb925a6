"""Fitted classifiers kept, so that a run does not learn again what it learned before.

A fitted model is keyed by everything its fit depends on: the training texts with their codes and
questions, the classifier's parameters, the embedding model, and the versions of scikit-learn and
of `themes.classify` (its source). Any change to one of them misses the key, and the model is fitted
again as usual; a model is never used for data it was not fitted on.

Two places hold them:
- `<codebook>.models.pkl` beside the calibration: the models of the calibrated codebook, written by
  `themes calibrate` and, for the shipped codebooks, `make vectors` (`python -m themes.shipped`);
- `<cache>/fitted/<key>.pkl` under the run's embedding cache: what a run fitted for any codebook.

They are pickles: read only from the package's own folder and the user's cache, never from input.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from themes.shipped import beside_calibration

log = logging.getLogger("themes")
SUFFIX = ".models.pkl"


def models_path(calibration_or_codebook: str | Path) -> Path:
    """`x.calibration.json` (or `x.yaml`) -> `x.models.pkl`, in the same folder."""
    return beside_calibration(calibration_or_codebook, SUFFIX)


def model_paths(codebooks: Sequence[str | Path], calibration: str | Path | None = None) -> list[Path]:
    """Where a run's kept models may be: beside an explicit calibration, beside each codebook, and
    beside the shipped codebooks (a copied shipped codebook finds its models by their keys)."""
    from themes.codebook import shipped_codebooks

    paths = [models_path(calibration)] if calibration else []
    paths += [models_path(codebook) for codebook in codebooks]
    return paths + [models_path(codebook) for codebook in shipped_codebooks().values()]


def _code_version() -> str:
    import sklearn

    from themes import classify

    source = hashlib.sha1(Path(classify.__file__).read_bytes()).hexdigest()[:12]
    return f"sklearn {sklearn.__version__}, classify {source}"


def fit_key(model_id: str, kind: str, texts: Sequence[str], labels, questions: Sequence[str], params: dict) -> str:
    """The SHA-1 of everything a fit depends on."""
    digest = hashlib.sha1()
    head = {"model": model_id, "kind": kind, "params": params, "code": _code_version(), "n": len(texts)}
    digest.update(json.dumps(head, sort_keys=True, default=str).encode())
    for text, question in zip(texts, questions):
        digest.update(b"\x00" + text.encode() + b"\x01" + str(question).encode())
    labels = np.asarray(labels)
    digest.update(str(labels.dtype).encode() + str(labels.shape).encode())
    digest.update(labels.astype(str).tobytes() if labels.dtype == object else labels.tobytes())
    return digest.hexdigest()


class FittedModels:
    """Fitted models by key: read from `paths` (files of several models) and from `cache_dir`'s
    `fitted/` folder (one model per file); what is fitted anew is added to the cache folder."""

    def __init__(self, model_id: str, paths: Sequence[str | Path] = (), cache_dir: str | Path | None = None):
        self.model_id = model_id
        self.folder = Path(cache_dir) / "fitted" if cache_dir is not None else None
        self._remove_stale_temporaries()
        self._shipped: dict[str, object] = {}
        self.fresh: dict[str, object] = {}  # fitted in this process, by key
        self.reused = 0
        for path in dict.fromkeys(Path(p) for p in paths):
            self._shipped.update(_read(path) or {})

    def _remove_stale_temporaries(self) -> None:
        """Half-written models of runs that were killed (their process, named in the file, is gone)."""
        import psutil

        if self.folder is None or not self.folder.is_dir():
            return
        for path in self.folder.glob(".*.tmp"):
            pid = path.name.rsplit(".", 2)[-2].split("-")[0]
            try:
                if pid.isdigit() and not psutil.pid_exists(int(pid)):
                    path.unlink()
            except OSError:
                pass

    def get(self, key: str):
        if key in self.fresh:
            return self.fresh[key]
        model = self._shipped.get(key)
        if model is None and self.folder is not None:
            model = _read(self.folder / f"{key}.pkl")
        self.reused += model is not None
        return model

    def put(self, key: str, model) -> None:
        self.fresh[key] = model
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write(self.folder / f"{key}.pkl", model)
        except OSError as error:
            log.warning("could not keep the fitted model in %s (%s); it is fitted again next time.",
                        self.folder, error.strerror or error)


def _read(path: Path):
    if not path.is_file():
        return None
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except Exception as error:  # cut short, another format, a class that moved: fit again
        reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
        log.warning("skipped the fitted models in %s (%s); they are fitted again.", path, reason)
        return None


def _write(path: Path, value) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        with temporary.open("wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)
    except BaseException:
        # A full disk left the half-written file behind, and with it the disk full for every later write.
        temporary.unlink(missing_ok=True)
        raise


def write_models(path: str | Path, models: FittedModels) -> Path:
    """Save what `models` fitted in this process as one file (beside a calibration)."""
    path = Path(path)
    _write(path, dict(models.fresh))
    return path

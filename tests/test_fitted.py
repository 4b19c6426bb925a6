"""Fitted models kept by what they were fitted on: reused for exactly that data, fitted again for any
change, and the shipped codebooks' models made from their shipped calibration and vectors."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pytest

from themes.calibrate import find_calibration
from themes.classify import features
from themes.codebook import load_codebook
from themes.coding import fit_coder, training_texts
from themes.embed import VectorTable, text_key
from themes.fitted import FittedModels, fit_key, model_paths, models_path, write_models
from themes.shipped import ShippedVectors, vectors_path

ROOT = Path(__file__).resolve().parents[1]
PASSAGES = [("Trust between partners grew over the years.", ["trust"], "effective_practices"),
            ("Grants end every June and we scramble.", ["funding"], "challenges"),
            ("We trust the clinic's nurses.", ["trust"], "effective_practices"),
            ("No money for staff.", ["funding"], "challenges")]


def _decisions(coder, embed):
    texts = [p[0] for p in PASSAGES] + ["A new sentence about funding cliffs."]
    return coder.score(texts, embed(texts), ["challenges"] * len(texts))


def test_the_models_file_sits_beside_the_calibration():
    assert models_path("codebooks/rfi_themes.calibration.json") == Path("codebooks/rfi_themes.models.pkl")
    assert models_path("codebooks/rfi_themes.yaml") == Path("codebooks/rfi_themes.models.pkl")
    paths = model_paths(["a/x.yaml"], "b/y.calibration.json")
    assert paths[:2] == [Path("b/y.models.pkl"), Path("a/x.models.pkl")]
    assert any(p.name == "rfi_themes.models.pkl" for p in paths[2:])  # the shipped codebooks' folder


def test_a_second_fit_on_the_same_data_is_taken_from_the_cache(tmp_path, tiny_codebook, hashing_embedder):
    embed = hashing_embedder.encode
    first = FittedModels(hashing_embedder.model_id, cache_dir=tmp_path)
    fitted = fit_coder(tiny_codebook, embed, passages=PASSAGES, fitted=first)
    assert first.reused == 0 and len(list((tmp_path / "fitted").glob("*.pkl"))) == len(fitted.models)

    calls = []
    second = FittedModels(hashing_embedder.model_id, cache_dir=tmp_path)
    kept = fit_coder(tiny_codebook, lambda texts: calls.append(len(texts)) or embed(texts), passages=PASSAGES,
                     fitted=second)

    assert second.reused == len(kept.models) and calls == []  # nothing embedded, nothing fitted
    assert np.array_equal(_decisions(kept, embed), _decisions(fitted, embed))


def test_any_change_to_the_data_fits_again(tmp_path, tiny_codebook, hashing_embedder):
    embed = hashing_embedder.encode
    fit_coder(tiny_codebook, embed, passages=PASSAGES, fitted=FittedModels(hashing_embedder.model_id,
                                                                            cache_dir=tmp_path))
    changes = {
        "a code": [PASSAGES[0], (PASSAGES[1][0], ["trust"], PASSAGES[1][2]), *PASSAGES[2:]],
        "a text": [("Trust between partners grew.", ["trust"], "goals"), *PASSAGES[1:]],
        "a question": [(PASSAGES[0][0], PASSAGES[0][1], "goals"), *PASSAGES[1:]],
    }
    # A theme code leaves the dimension's training data as it was: that model alone is reused.
    reused = {"a code": 1, "a text": 0, "a question": 0}
    for change, passages in changes.items():
        store = FittedModels(hashing_embedder.model_id, cache_dir=tmp_path)
        fit_coder(tiny_codebook, embed, passages=passages, fitted=store)
        assert store.reused == reused[change], change
    other_model = FittedModels("another-model", cache_dir=tmp_path)
    fit_coder(tiny_codebook, embed, passages=PASSAGES, fitted=other_model)
    assert other_model.reused == 0


def test_the_key_covers_parameters_and_labels():
    base = dict(model_id="m", kind="themes:a,b", texts=["x", "y"], labels=np.array([[1, 0], [0, 1]]),
                questions=["", "q"], params={"C": 4.0})
    key = fit_key(**base)
    assert fit_key(**base) == key
    assert fit_key(**{**base, "params": {"C": 2.0}}) != key
    assert fit_key(**{**base, "labels": np.array([[1, 0], [1, 1]])}) != key
    assert fit_key(**{**base, "kind": "themes:a,c"}) != key
    assert fit_key(**{**base, "texts": ["x", "y "]}) != key


def test_a_damaged_models_file_is_fitted_again_with_a_warning(tmp_path, tiny_codebook, hashing_embedder, caplog):
    (tmp_path / "fitted").mkdir()
    store = FittedModels(hashing_embedder.model_id, cache_dir=tmp_path)
    fit_coder(tiny_codebook, hashing_embedder.encode, passages=PASSAGES, fitted=store)
    for path in (tmp_path / "fitted").glob("*.pkl"):
        path.write_bytes(b"not a pickle")
    damaged = tmp_path / "book.models.pkl"
    damaged.write_bytes(b"\x80\x05 cut short")

    with caplog.at_level(logging.WARNING, logger="themes"):
        again = FittedModels(hashing_embedder.model_id, [damaged], cache_dir=tmp_path)
        coder = fit_coder(tiny_codebook, hashing_embedder.encode, passages=PASSAGES, fitted=again)

    assert again.reused == 0 and len(coder.models) == 2
    assert "fitted again" in caplog.text


def test_models_written_beside_a_calibration_are_read_back(tmp_path, tiny_codebook, hashing_embedder):
    store = FittedModels(hashing_embedder.model_id)
    fit_coder(tiny_codebook, hashing_embedder.encode, passages=PASSAGES, fitted=store)
    path = write_models(tmp_path / "book.models.pkl", store)

    shipped = FittedModels(hashing_embedder.model_id, [path])
    fit_coder(tiny_codebook, hashing_embedder.encode, passages=PASSAGES, fitted=shipped)
    assert shipped.reused == 2
    assert not (tmp_path / "fitted").exists()  # no cache folder given: nothing written


def test_the_shipped_models_are_those_of_the_shipped_calibration_and_vectors():
    """`make vectors` after a calibration: a stale models file would make every run fit again."""
    for name in ("rfi_themes", "partnership_models"):
        codebook_path = ROOT / "codebooks" / f"{name}.yaml"
        codebook, calibration = load_codebook(codebook_path), find_calibration(codebook_path, None)
        texts = training_texts(codebook, calibration)
        shipped_vectors = ShippedVectors([vectors_path(codebook_path)], calibration.model)
        vectors, missing = shipped_vectors.get([text_key(t) for t in dict.fromkeys(texts)])
        assert not missing, f"{name}: run 'make vectors'"
        table = VectorTable(list(dict.fromkeys(texts)), vectors)
        store = FittedModels(calibration.model, [models_path(codebook_path)])
        coder = fit_coder(codebook, table.lookup, calibration, fitted=store)
        fits = len(coder.models) + sum(alone is not None for alone in coder.unasked)  # with those learned unasked
        assert store.reused == fits == 2 * len(coder.models), f"{name}: run 'make vectors'"
        refit = fit_coder(codebook, table.lookup, calibration)
        sample = list(dict.fromkeys(texts))[-200:]
        X = features(sample, table.lookup(sample), ["challenges"] * len(sample))
        for shipped_model, model in zip(coder.models, refit.models):
            assert np.allclose(shipped_model.predict_proba(X), model.predict_proba(X), atol=1e-6), name


def test_a_write_that_fails_leaves_no_half_written_file_and_a_killed_runs_are_removed(tmp_path):
    """On a full disk the half-written model stayed, and the disk stayed full for every later write."""
    import subprocess
    import sys
    import threading

    from themes.fitted import FittedModels, _write

    folder = tmp_path / "fitted"
    folder.mkdir()
    with pytest.raises(TypeError):
        _write(folder / "k.pkl", threading.Lock())  # cannot be pickled: fails part-way, as a full disk does
    assert list(folder.iterdir()) == []
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = folder / f".k.pkl.{gone.stdout.strip()}-1a2b3c4d.tmp"  # a killed run's, its process ended
    writing = folder / f".j.pkl.{os.getpid()}-1a2b3c4d.tmp"  # this process's, still being written
    left.write_bytes(b"half")
    writing.write_bytes(b"half")
    FittedModels("test:hashing", cache_dir=tmp_path)
    assert not left.exists() and writing.exists()

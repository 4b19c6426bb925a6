"""The vectors that ship beside a codebook's calibration: used for exactly the texts and model they
were made from, so a cold cache embeds only the survey."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from themes.calibrate import find_calibration
from themes.codebook import load_codebook
from themes.coding import training_texts
from themes.embed import EmbeddingCache, HashingEmbedder, embed_unique, text_key
from themes.shipped import ShippedVectors, shipped_paths, vectors_path, write_vectors

ROOT = Path(__file__).resolve().parents[1]


def test_the_vectors_file_sits_beside_the_calibration():
    assert vectors_path("codebooks/rfi_themes.calibration.json") == Path("codebooks/rfi_themes.vectors.npz")
    assert vectors_path("codebooks/rfi_themes.yaml") == Path("codebooks/rfi_themes.vectors.npz")
    assert vectors_path("my.json") == Path("my.vectors.npz")
    assert shipped_paths(["a/x.yaml"], "b/y.calibration.json") == [Path("b/y.vectors.npz"), Path("a/x.vectors.npz")]


def test_shipped_vectors_are_used_and_only_unknown_texts_embedded(tmp_path, hashing_embedder):
    texts = ["Trust between partners.", "Grants end."]
    path = write_vectors(tmp_path / "book.vectors.npz", hashing_embedder.model_id, texts,
                         hashing_embedder.encode(texts))
    cache = EmbeddingCache(tmp_path / "cache", hashing_embedder.model_id)
    shipped = ShippedVectors([path], hashing_embedder.model_id)

    vectors, stats = embed_unique(["Grants end.", "A new text.", "Trust between partners."], hashing_embedder,
                                  cache, shipped=shipped)

    assert stats == {"texts": 3, "unique": 3, "from_shipped": 2, "from_cache": 0, "embedded": 1}
    assert np.array_equal(vectors, hashing_embedder.encode(["Grants end.", "A new text.", "Trust between partners."]))
    # Only the text embedded here went into the cache; the shipped ones stay in their file.
    assert embed_unique(["A new text."], hashing_embedder, EmbeddingCache(tmp_path / "cache", "test:hashing"))[1][
        "from_cache"] == 1


def test_a_changed_text_is_embedded_not_given_the_old_texts_vector(tmp_path, hashing_embedder):
    path = write_vectors(tmp_path / "v.npz", hashing_embedder.model_id, ["Grants end."],
                         -hashing_embedder.encode(["Grants end."]))  # a vector no embedding of the text gives

    vectors, stats = embed_unique(["Grants end soon."], hashing_embedder,
                                  shipped=ShippedVectors([path], hashing_embedder.model_id))

    assert stats["from_shipped"] == 0 and stats["embedded"] == 1
    assert np.array_equal(vectors, hashing_embedder.encode(["Grants end soon."]))


def test_vectors_made_with_another_model_are_not_used(tmp_path, hashing_embedder):
    path = write_vectors(tmp_path / "v.npz", "another-model", ["Grants end."], hashing_embedder.encode(["Grants end."]))

    assert len(ShippedVectors([path], hashing_embedder.model_id)) == 0
    assert len(ShippedVectors([path], "another-model")) == 1


def test_a_damaged_or_missing_file_is_skipped_with_a_warning(tmp_path, caplog):
    damaged = tmp_path / "damaged.vectors.npz"
    damaged.write_bytes(b"not a zip")

    with caplog.at_level("WARNING", logger="themes"):
        shipped = ShippedVectors([damaged, tmp_path / "absent.vectors.npz"], "test:hashing")

    assert len(shipped) == 0
    assert "skipped the vectors file" in caplog.text and "its texts are embedded instead" in caplog.text


def test_keys_that_end_in_a_nul_byte_are_found(tmp_path, hashing_embedder):
    texts = [t for t in (f"text {i}" for i in range(400)) if text_key(t).endswith(b"\x00")][:2]
    path = write_vectors(tmp_path / "v.npz", "test:hashing", texts, hashing_embedder.encode(texts))

    _, missing = ShippedVectors([path], "test:hashing").get([text_key(t) for t in texts])

    assert missing == []


@pytest.mark.parametrize("codebook", ["codebooks/rfi_themes.yaml", "codebooks/partnership_models.yaml"])
def test_the_shipped_codebooks_ship_the_vectors_of_every_text_they_learn_from(codebook):
    path = ROOT / codebook
    learned = training_texts(load_codebook(path), find_calibration(path, None))
    shipped = ShippedVectors([vectors_path(path)], "all-MiniLM-L6-v2")

    _, missing = shipped.get([text_key(t) for t in learned])

    assert not missing, (f"{len(missing)} texts of {codebook} (e.g. {learned[missing[0]]!r}) have no shipped vector: "
                         "run 'make vectors' after editing a shipped codebook or calibration")
    assert vectors_path(path).stat().st_size < 4_000_000


@pytest.mark.usefixtures("prefect_harness")
def test_the_flow_takes_shipped_vectors_and_embeds_an_edited_example(tmp_path, tiny_responses_path):
    """A cold cache embeds the survey's segments and the one example edited since the vectors were made."""
    from themes.flows.code_responses import run_flow
    from themes.settings import RunSettings

    codebook = tmp_path / "book.yaml"
    shutil.copy(ROOT / "codebooks/rfi_themes.yaml", codebook)
    shutil.copy(ROOT / "codebooks/rfi_themes.calibration.json", tmp_path / "book.calibration.json")
    learned = training_texts(load_codebook(codebook), find_calibration(codebook, None))
    write_vectors(vectors_path(codebook), "test:hashing", learned, HashingEmbedder().encode(learned))
    text = codebook.read_text(encoding="utf-8")
    codebook.write_text(text.replace("examples:\n", "examples:\n      - \"A brand new example about partner trust.\"\n",
                                     1), encoding="utf-8")
    settings = RunSettings(codebook=str(codebook), model="test:hashing", cache_dir=str(tmp_path / "cache"))

    summary = run_flow(str(tiny_responses_path), str(tmp_path / "out"), settings)

    stats = summary["embedding"]
    assert stats["from_shipped"] == len(learned) and stats["from_cache"] == 0
    assert stats["embedded"] == stats["unique"] - len(learned)  # the survey's segments and the edited example
    assert stats["embedded"] > 1


@pytest.mark.usefixtures("prefect_harness")
def test_calibrate_writes_the_vectors_of_what_the_coder_learns_from(tmp_path, tiny_codebook_path):
    import pandas as pd

    from themes.flows.agreement import calibrate_codebook
    from themes.settings import RunSettings

    texts = [f"Trust between our directors, built over {n} years." for n in range(10, 20)] + \
            [f"Grants end after {n} years and nobody covers costs." for n in range(10, 20)] + \
            [f"We deliver {n} food boxes a week." for n in range(10, 20)]
    themes = ["trust"] * 10 + ["funding"] * 10 + ["none"] * 10
    gold = tmp_path / "gold.csv"
    pd.DataFrame({"text": texts, "themes": themes}).to_csv(gold, index=False)
    settings = RunSettings(codebook=str(tiny_codebook_path), model="test:hashing", cache_dir=None)

    result = calibrate_codebook(gold_path=str(gold), settings=settings)

    path = Path(result["vectors"])
    assert path == tiny_codebook_path.with_name("tiny_codebook.vectors.npz")
    learned = training_texts(load_codebook(tiny_codebook_path), find_calibration(tiny_codebook_path, None))
    assert set(texts) <= set(learned)  # the calibration's passages are among them
    vectors, missing = ShippedVectors([path], "test:hashing").get([text_key(t) for t in learned])
    assert missing == [] and np.array_equal(vectors, HashingEmbedder().encode(learned))


def test_make_vectors_keeps_the_vector_of_every_text_the_file_holds(tmp_path, tiny_codebook_path, hashing_embedder):
    """Embedded again, a text's vector differs in its last bits (threads, batches): re-embedding every text changed
    every shipped file and the models fitted on them with nothing changed."""
    from themes.calibrate import calibration_path
    from themes.shipped import main

    texts = training_texts(load_codebook(tiny_codebook_path), None)
    path = vectors_path(calibration_path(tiny_codebook_path))
    kept = np.full((1, hashing_embedder.encode(texts[:1]).shape[1]), 0.5, dtype=np.float16)
    write_vectors(path, hashing_embedder.model_id, texts[:1], kept)
    main([str(tiny_codebook_path), "--model", "test:hashing"])
    vectors, missing = ShippedVectors([path], hashing_embedder.model_id).get([text_key(t) for t in texts])
    assert missing == [] and np.array_equal(vectors[0], kept[0])
    assert np.array_equal(vectors[1:], hashing_embedder.encode(texts[1:]).astype(np.float16))
    assert (tmp_path / "tiny_codebook.models.pkl").is_file()

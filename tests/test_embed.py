"""The fake embedder the fast tests rely on, and the on-disk embedding cache."""

from __future__ import annotations

import numpy as np

from themes.embed import EmbeddingCache, HashingEmbedder, VectorTable, embed_unique, text_key


def test_hashing_embedder_is_deterministic_and_normalised(hashing_embedder):
    vectors = hashing_embedder.encode(["Trust between partners.", "Trust between partners.", "Grants end."])

    assert vectors.dtype == np.float16 and vectors.shape == (3, 256)
    assert np.array_equal(vectors, HashingEmbedder().encode(["Trust between partners.", "Trust between partners.",
                                                             "Grants end."]))
    assert np.allclose(np.linalg.norm(vectors.astype(np.float32), axis=1), 1.0, atol=1e-3)
    assert float(vectors[0].astype(np.float32) @ vectors[1].astype(np.float32)) > 0.999


def test_embed_unique_embeds_each_text_once(hashing_embedder):
    texts = ["b", "a", "b", "c", "a"]

    vectors, stats = embed_unique(texts, hashing_embedder)

    assert stats == {"texts": 5, "unique": 3, "from_cache": 0, "embedded": 3}
    assert np.array_equal(vectors, hashing_embedder.encode(texts))


def test_cache_round_trip_including_keys_that_end_in_a_nul_byte(tmp_path, hashing_embedder):
    # numpy's fixed-width bytes drop trailing NULs on read; such keys must still be found.
    texts = [f"text {i}" for i in range(400)]
    ending_in_nul = [t for t in texts if text_key(t).endswith(b"\x00")]
    assert ending_in_nul  # "text 171" and others
    chosen = ending_in_nul[:2] + ["plain text"]

    first, stats_first = embed_unique(chosen, hashing_embedder, EmbeddingCache(tmp_path, "test:hashing"))
    again, stats_again = embed_unique(chosen, hashing_embedder, EmbeddingCache(tmp_path, "test:hashing"))

    assert stats_first == {"texts": 3, "unique": 3, "from_cache": 0, "embedded": 3}
    assert stats_again == {"texts": 3, "unique": 3, "from_cache": 3, "embedded": 0}
    assert np.array_equal(first, again)
    assert len(list((tmp_path / "test_hashing").glob("shard-*.npz"))) == 1  # nothing re-embedded, no new shard


def test_cache_is_per_model(tmp_path, hashing_embedder):
    embed_unique(["x"], hashing_embedder, EmbeddingCache(tmp_path, "model-a"))

    _, stats = embed_unique(["x"], hashing_embedder, EmbeddingCache(tmp_path, "model-b"))

    assert stats["from_cache"] == 0


def test_vector_table_lookup(hashing_embedder):
    vectors = hashing_embedder.encode(["a", "b"])

    table = VectorTable(["a", "b"], vectors)

    assert np.array_equal(table.lookup(["b", "a", "b"]), vectors[[1, 0, 1]].astype(np.float32))


def test_the_onnx_backend_without_its_extra_fails_in_one_line():
    import importlib.util

    import pytest

    from themes.embed import SentenceTransformerEmbedder
    from themes.errors import ThemesError

    if importlib.util.find_spec("onnxruntime") is not None:
        pytest.skip("onnxruntime is installed here; this checks the message without it")
    with pytest.raises(ThemesError, match=r"^--backend onnx needs onnxruntime and optimum-onnx, which are not "
                                          r"installed\. .*or use --backend torch\.$"):
        SentenceTransformerEmbedder(backend="onnx").load()

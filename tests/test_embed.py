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

    assert stats == {"texts": 5, "unique": 3, "from_shipped": 0, "from_cache": 0, "embedded": 3}
    assert np.array_equal(vectors, hashing_embedder.encode(texts))


def test_cache_round_trip_including_keys_that_end_in_a_nul_byte(tmp_path, hashing_embedder):
    # numpy's fixed-width bytes drop trailing NULs on read; such keys must still be found.
    texts = [f"text {i}" for i in range(400)]
    ending_in_nul = [t for t in texts if text_key(t).endswith(b"\x00")]
    assert ending_in_nul  # "text 171" and others
    chosen = ending_in_nul[:2] + ["plain text"]

    first, stats_first = embed_unique(chosen, hashing_embedder, EmbeddingCache(tmp_path, "test:hashing"))
    again, stats_again = embed_unique(chosen, hashing_embedder, EmbeddingCache(tmp_path, "test:hashing"))

    assert stats_first == {"texts": 3, "unique": 3, "from_shipped": 0, "from_cache": 0, "embedded": 3}
    assert stats_again == {"texts": 3, "unique": 3, "from_shipped": 0, "from_cache": 3, "embedded": 0}
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


# Faults: a damaged shard, a folder that cannot be written, leftovers of a killed run ---------------

import logging  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

import pytest  # noqa: E402


@pytest.mark.parametrize("damage", ["zero-byte", "truncated", "not-a-zip", "wrong-arrays"])
def test_a_damaged_shard_is_skipped_with_a_warning_and_rewritten(tmp_path, hashing_embedder, caplog, damage):
    texts = ["Trust between partners.", "Grants end.", "We share data monthly."]
    embed_unique(texts, hashing_embedder, EmbeddingCache(tmp_path, "test:hashing"))
    [shard] = list(tmp_path.glob("*/shard-*.npz"))
    content = shard.read_bytes()
    if damage == "wrong-arrays":
        np.savez(shard, keys=np.array([b"x" * 20] * 3, dtype="S20"), vectors=np.zeros((2, 4), np.float16))
    else:
        shard.write_bytes({"zero-byte": b"", "truncated": content[: len(content) // 2],
                           "not-a-zip": b"garbage" * 10}[damage])

    with caplog.at_level(logging.WARNING, logger="themes"):
        vectors, stats = embed_unique(texts, hashing_embedder, EmbeddingCache(tmp_path, "test:hashing"))

    assert stats["embedded"] == 3 and np.array_equal(vectors, hashing_embedder.encode(texts))
    assert "skipped the unreadable embedding cache shard" in caplog.text
    assert not shard.exists()  # removed, and its texts written again in a new shard:
    assert embed_unique(texts, hashing_embedder, EmbeddingCache(tmp_path, "test:hashing"))[1]["from_cache"] == 3


def test_a_read_only_cache_folder_is_read_but_not_written(tmp_path, hashing_embedder, caplog, monkeypatch):
    folder = tmp_path / "cache"
    embed_unique(["a"], hashing_embedder, EmbeddingCache(folder, "test:hashing"))

    def refuse(*args, **kwargs):  # what writing into a read-only folder raises (root ignores chmod, so say it)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(np, "savez", refuse)
    with caplog.at_level(logging.WARNING, logger="themes"):
        _, stats = embed_unique(["a", "b"], hashing_embedder, EmbeddingCache(folder, "test:hashing"))

    assert stats == {"texts": 2, "unique": 2, "from_shipped": 0, "from_cache": 1, "embedded": 1}
    assert "cannot be written (Permission denied)" in caplog.text
    assert len(list(folder.rglob("shard-*.npz"))) == 1  # the first run's shard, read; nothing added


def test_an_unwritable_cache_location_is_a_warning_not_a_failure(tmp_path, hashing_embedder, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")  # a cache folder under a file cannot be created, even by root

    with caplog.at_level(logging.WARNING, logger="themes"):
        vectors, stats = embed_unique(["a"], hashing_embedder, EmbeddingCache(blocker / "cache", "test:hashing"))

    assert stats["embedded"] == 1 and vectors.shape == (1, 256)
    assert "cannot be written" in caplog.text


def test_half_written_shards_of_a_killed_run_are_removed(tmp_path, hashing_embedder):
    embed_unique(["a"], hashing_embedder, EmbeddingCache(tmp_path, "test:hashing"))
    folder = next(tmp_path.iterdir())
    killed = folder / f".tmp-{dead_pid()}-0123abcd.npz"  # written by a process that is gone
    writing = folder / f".tmp-{os.getpid()}-0123abcd.npz"  # by one still running
    old, new = folder / ".tmp-old.npz", folder / ".tmp-new.npz"  # no process named: by age
    for path in (killed, writing, old, new):
        path.write_bytes(b"x")
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))

    embed_unique(["a"], hashing_embedder, EmbeddingCache(tmp_path, "test:hashing"))

    assert [p.exists() for p in (killed, writing, old, new)] == [False, True, False, True]


def dead_pid() -> int:
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_two_local_model_folders_of_one_name_are_two_models(tmp_path):
    """By name alone, fine-tuned versions saved as v1/model and v2/model shared one embedding cache."""
    from themes.embed import folder_model_id

    for version, weights in (("v1", b"\x01" * 3000), ("v2", b"\x02" * 3000), ("copy", b"\x01" * 3000)):
        folder = tmp_path / version / "model"
        folder.mkdir(parents=True)
        (folder / "config.json").write_text('{"hidden_size": 384}')
        (folder / "model.safetensors").write_bytes(weights)
    import os

    for version in ("v1", "v2", "copy"):  # a copy that keeps its times (cp -p) is the same model
        os.utime(tmp_path / version / "model" / "model.safetensors", ns=(1_700_000_000 * 10**9,) * 2)
    ids = {v: folder_model_id(str(tmp_path / v / "model")) for v in ("v1", "v2", "copy")}
    assert ids["v1"] != ids["v2"] and ids["v1"] == ids["copy"] and ids["v1"].startswith("model-")
    # A fine-tune that changed one layer: the same size, start and end, written at another time.
    middle = tmp_path / "v3" / "model"
    middle.mkdir(parents=True)
    (middle / "config.json").write_text('{"hidden_size": 384}')
    (middle / "model.safetensors").write_bytes(b"\x01" * 3000)
    os.utime(middle / "model.safetensors", ns=(1_700_000_100 * 10**9,) * 2)
    assert folder_model_id(str(middle)) != ids["v1"]


def test_a_folder_named_like_the_bundled_model_does_not_change_its_id(tmp_path, monkeypatch):
    """A folder 'all-MiniLM-L6-v2' in the working directory made the bundled model a local folder: the shipped
    vectors and fitted models went unused (3,056 texts embedded, not 12)."""
    from themes.embed import get_embedder

    (tmp_path / "all-MiniLM-L6-v2").mkdir()
    monkeypatch.chdir(tmp_path)
    assert get_embedder("all-MiniLM-L6-v2").model_id == "all-MiniLM-L6-v2"

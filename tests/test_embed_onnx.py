"""`--backend onnx`: options, model ids and errors (fast), and the real export and encoder (slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types

import numpy as np
import pytest
from typer.testing import CliRunner

from themes import embed_onnx
from themes.cli import app
from themes.embed import SentenceTransformerEmbedder, get_embedder
from themes.embed_onnx import EXPORT_INFO, default_threads, export_folder, exported, onnx_variant
from themes.errors import ThemesError
from themes.settings import RunSettings
from themes.shipped import ShippedVectors, shipped_paths


def test_each_engine_has_its_own_model_id_so_caches_and_shipped_vectors_never_mix():
    ids = {SentenceTransformerEmbedder(device="cpu").model_id,
           SentenceTransformerEmbedder(backend="onnx").model_id,
           SentenceTransformerEmbedder(backend="onnx", onnx_file="onnx/model_quint8.onnx").model_id,
           SentenceTransformerEmbedder(backend="onnx", onnx_file="onnx/model.onnx").model_id}
    assert ids == {"all-MiniLM-L6-v2", "all-MiniLM-L6-v2+onnx-int8", "all-MiniLM-L6-v2+onnx-fp32"}


def test_an_onnx_run_does_not_take_the_shipped_torch_vectors():
    paths = shipped_paths(["codebooks/rfi_themes.yaml"])
    assert len(ShippedVectors(paths, SentenceTransformerEmbedder(device="cpu").model_id)) > 1000
    assert len(ShippedVectors(paths, SentenceTransformerEmbedder(backend="onnx").model_id)) == 0


def test_onnx_runs_on_the_cpu_with_the_cpu_batch():
    embedder = SentenceTransformerEmbedder(backend="onnx", device="auto")
    assert embedder.resolved_device == "cpu" and embedder.texts_per_batch == 64


@pytest.mark.parametrize("device", ["cuda", "mps"])
def test_onnx_with_a_gpu_asked_for_is_one_clear_error(device):
    with pytest.raises(ThemesError, match=rf"^--backend onnx runs on the CPU only, and --device {device} was asked "
                                          rf"for\. Use --device cpu \(or auto\) with --backend onnx, or --backend "
                                          rf"torch on the GPU\.$"):
        SentenceTransformerEmbedder(backend="onnx", device=device).load()


def test_an_unknown_onnx_file_is_refused_by_the_embedder_and_the_settings():
    assert (onnx_variant(None), onnx_variant("onnx/model_quint8.onnx"), onnx_variant("onnx/model.onnx")) == \
        ("int8", "int8", "fp32")
    with pytest.raises(ThemesError, match=r"^The 'onnx_file' must be one of \['onnx/model_quint8\.onnx', "
                                          r"'onnx/model\.onnx'\]\. Got 'onnx/model_quint8_avx2\.onnx' instead\.$"):
        SentenceTransformerEmbedder(backend="onnx", onnx_file="onnx/model_quint8_avx2.onnx").model_id
    with pytest.raises(ValueError, match="must be one of onnx/model_quint8.onnx, onnx/model.onnx"):
        RunSettings(onnx_file="model.onnx")


@pytest.mark.parametrize("command", [["run", "answers.csv"], ["evaluate", "--gold", "gold.csv"],
                                     ["calibrate", "--gold", "gold.csv"]])
def test_cli_refuses_onnx_on_a_gpu_in_one_line_before_anything_slow(command, monkeypatch):
    from themes import embed

    monkeypatch.setattr(embed, "get_embedder", lambda *a, **k: pytest.fail("the model was loaded"))
    result = CliRunner().invoke(app, [*command, "--backend", "onnx", "--device", "cuda"])
    assert result.exit_code == 2
    assert result.output.strip() == ("error: --backend onnx runs on the CPU only, and --device cuda was asked for. "
                                     "Use --device cpu (or auto) with --backend onnx, or --backend torch on the GPU.")


@pytest.mark.parametrize("command", [["evaluate", "--gold", "gold.csv"], ["calibrate", "--gold", "gold.csv"]])
def test_evaluate_and_calibrate_take_the_backend_and_refuse_an_unknown_one(command):
    result = CliRunner().invoke(app, [*command, "--backend", "tensorflow"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: --backend must be one of torch, onnx. Got tensorflow instead."


def test_the_thread_count_follows_omp_num_threads_else_the_cores(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert default_threads() == 3
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert default_threads() == len(os.sched_getaffinity(0))


def _fake_export(calls: list):
    def export(path, folder):
        calls.append(folder)
        folder.mkdir(parents=True)
        (folder / EXPORT_INFO).write_text("{}")

    return export


def test_the_export_is_staged_renamed_and_made_once(tmp_path, monkeypatch):
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"weights")
    calls = []
    monkeypatch.setattr(embed_onnx, "export_model", _fake_export(calls))

    first = exported(str(model), "my model", tmp_path / "cache")
    again = exported(str(model), "my model", tmp_path / "cache")

    assert first == again and (first / EXPORT_INFO).is_file() and len(calls) == 1
    assert first.parent == tmp_path / "cache" / "onnx-models" and first.name.startswith("my_model-")
    assert calls[0].name.startswith(f".{first.name}.partial-")  # written aside, then renamed
    assert [p.name for p in first.parent.iterdir()] == [first.name]


def test_a_changed_model_is_exported_afresh(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"weights")
    before = export_folder(str(model), "m", tmp_path)
    (model / "model.safetensors").write_bytes(b"retrained weights")
    assert export_folder(str(model), "m", tmp_path) != before


def test_a_failed_export_leaves_nothing_half_written(tmp_path, monkeypatch):
    def broken(path, folder):
        folder.mkdir(parents=True)
        (folder / "onnx").mkdir()
        raise RuntimeError("exporter failed")

    monkeypatch.setattr(embed_onnx, "export_model", broken)
    with pytest.raises(RuntimeError):
        exported(str(tmp_path), "m", tmp_path / "cache")
    assert list((tmp_path / "cache" / "onnx-models").iterdir()) == []


def test_a_cache_that_cannot_be_written_is_one_line(tmp_path, monkeypatch):
    def refuse(path, folder):  # what writing into a read-only folder raises (root ignores chmod, so say it)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(embed_onnx, "export_model", refuse)
    with pytest.raises(ThemesError, match=r"^The ONNX export of 'm' cannot be written to .*onnx-models "
                                          r"\(Permission denied\)\. Set THEMES_CACHE_DIR to a writable folder, or "
                                          r"use --backend torch\.$"):
        exported(str(tmp_path), "m", tmp_path / "cache")


@pytest.mark.parametrize("names, pooling, ok", [(("Transformer", "Pooling", "Normalize"), "mean", True),
                                                (("Transformer", "Pooling"), "cls", True),
                                                (("Transformer", "Pooling", "Dense", "Normalize"), "mean", False),
                                                (("Transformer", "Pooling"), "max", False)])
def test_only_models_the_export_reproduces_are_exported(names, pooling, ok):
    modules = [type(name, (), {"get_config_dict": lambda self: {"pooling_mode": pooling}})() for name in names]
    if ok:
        assert embed_onnx._check_modules(modules, "/models/m") == (modules[0], pooling)
    else:
        with pytest.raises(ThemesError, match=rf"^--backend onnx runs models made of a transformer, mean or CLS "
                                              rf"pooling and normalisation; /models/m has {', '.join(names)}\. Use "
                                              rf"--backend torch with this model\.$"):
            embed_onnx._check_modules(modules, "/models/m")


# The real model: exported once for these tests into their own cache ------------------------------------


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx-cache")
    old = os.environ.get("THEMES_CACHE_DIR")
    os.environ["THEMES_CACHE_DIR"] = str(folder)
    yield folder
    if old is None:
        del os.environ["THEMES_CACHE_DIR"]
    else:
        os.environ["THEMES_CACHE_DIR"] = old


TEXTS = ["A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby.",
         "Residents sit on the steering committee and we hold listening sessions every quarter.",
         "The grant ends next June and we have no plan to cover the navigator positions after that.",
         "We still fax referrals and re-key them into our case management system. " * 40]  # past 256 tokens


@pytest.mark.slow
def test_the_onnx_vectors_agree_with_torchs_and_the_export_is_reused(onnx_cache, monkeypatch):
    torch_vectors = get_embedder(device="cpu").encode(TEXTS).astype(np.float32)
    int8, progress = SentenceTransformerEmbedder(backend="onnx"), []
    int8_vectors = int8.encode(TEXTS, progress=progress.append)
    [folder] = (onnx_cache / "onnx-models").iterdir()
    assert sorted(p.name for p in (folder / "onnx").iterdir()) == ["model.onnx", "model_quint8.onnx"]

    monkeypatch.setattr(embed_onnx, "export_model", lambda *a: pytest.fail("exported a second time"))
    fp32_vectors = SentenceTransformerEmbedder(backend="onnx", onnx_file="onnx/model.onnx").encode(TEXTS)

    assert int8_vectors.dtype == np.float16 and int8_vectors.shape == (len(TEXTS), 384)  # stored like torch's
    assert sum(progress) == len(TEXTS)
    assert ((int8_vectors.astype(np.float32) * torch_vectors).sum(axis=1) > 0.95).all()
    assert ((fp32_vectors.astype(np.float32) * torch_vectors).sum(axis=1) > 0.999).all()
    assert int8.encode([]).shape == (0, 384)


@pytest.mark.slow
def test_loading_an_export_needs_neither_torch_nor_sentence_transformers(onnx_cache):
    SentenceTransformerEmbedder(backend="onnx").load()  # exported by now, or here
    code = ("import sys; from themes.embed import SentenceTransformerEmbedder as E; e = E(backend='onnx'); "
            "e.encode(['a text']); print(sorted({'torch', 'sentence_transformers', 'transformers'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=os.environ | {"THEMES_CACHE_DIR": str(onnx_cache)})
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_the_flow_runs_with_the_onnx_backend(prefect_harness, onnx_cache, tmp_path, tiny_codebook_path,
                                             tiny_responses_path):
    from themes.flows.code_responses import run_flow

    out = tmp_path / "onnx-run"
    settings = RunSettings(codebook=str(tiny_codebook_path), backend="onnx", device="cpu",
                           cache_dir=str(tmp_path / "cache"))
    summary = run_flow(str(tiny_responses_path), str(out), settings)

    manifest = json.loads((out / "manifest.json").read_text())
    assert summary["accounting"]["input_answers"] == 15
    assert summary["embedding"]["model_id"] == "all-MiniLM-L6-v2+onnx-int8"
    # Only ONNX vectors, and the classifiers fitted on them (the shipped ones were fitted on torch's).
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["all-MiniLM-L6-v2+onnx-int8", "fitted"]
    assert "onnx-int8" in json.dumps(manifest)

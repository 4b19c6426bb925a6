"""Where the model runs: `--device auto|cpu|cuda|mps`, tested without a GPU by faking torch's answers."""

from __future__ import annotations

import sys
import types

import pytest
from typer.testing import CliRunner

from themes.cli import app
from themes.embed import SentenceTransformerEmbedder, get_embedder, resolve_device
from themes.errors import ThemesError
from themes.settings import RunSettings


@pytest.fixture
def gpus(monkeypatch):
    """Set which accelerators torch reports: gpus(cuda=True), gpus(mps=True), gpus()."""
    import torch

    def set_present(cuda: bool = False, mps: bool = False) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)

    return set_present


@pytest.mark.parametrize("cuda, mps, expected", [(True, False, "cuda"), (True, True, "cuda"), (False, True, "mps"),
                                                 (False, False, "cpu")])
def test_auto_takes_cuda_then_mps_then_the_cpu(gpus, cuda, mps, expected):
    gpus(cuda=cuda, mps=mps)
    assert resolve_device("auto") == expected


def test_cpu_is_the_cpu_even_with_a_gpu(gpus):
    gpus(cuda=True, mps=True)
    assert resolve_device("cpu") == "cpu"


def test_a_gpu_asked_for_by_name_and_missing_is_an_error_not_a_silent_cpu_run(gpus):
    gpus(cuda=False, mps=True)
    assert resolve_device("mps") == "mps"
    with pytest.raises(ThemesError, match=r"^--device cuda was asked for, but torch finds no CUDA device here\. "
                                          r"Use --device auto \(the GPU when there is one\) or --device cpu\.$"):
        resolve_device("cuda")


def test_an_unknown_device_is_refused():
    with pytest.raises(ThemesError, match=r"^The 'device' must be one of \['auto', 'cpu', 'cuda', 'mps'\]\. "
                                          r"Got 'gpu' instead\.$"):
        resolve_device("gpu")


@pytest.mark.parametrize("cuda, mps, batch", [(True, False, 512), (False, True, 128), (False, False, 64)])
def test_the_batch_size_suits_the_device_unless_set(gpus, cuda, mps, batch):
    gpus(cuda=cuda, mps=mps)
    assert SentenceTransformerEmbedder(device="auto").texts_per_batch == batch
    assert SentenceTransformerEmbedder(device="auto", batch_size=32).texts_per_batch == 32


def test_fp16_is_off_by_default_and_named_in_the_model_id_only_where_it_applies(gpus):
    gpus(cuda=True)
    assert SentenceTransformerEmbedder(device="cuda").model_id == "all-MiniLM-L6-v2"  # shares the CPU's vectors
    assert SentenceTransformerEmbedder(device="cuda", fp16=True).model_id == "all-MiniLM-L6-v2+fp16"
    assert SentenceTransformerEmbedder(device="cpu", fp16=True).model_id == "all-MiniLM-L6-v2"
    assert RunSettings().fp16 is False


@pytest.fixture
def fake_sentence_transformers(monkeypatch):
    """A stand-in for sentence_transformers that records how the model was made."""
    made = []

    class FakeModel:
        def __init__(self, path, **kwargs):
            self.path, self.kwargs, self.halved = path, kwargs, False
            made.append(self)

        def half(self):
            self.halved = True
            return self

    module = types.ModuleType("sentence_transformers")
    module.SentenceTransformer = FakeModel
    monkeypatch.setitem(sys.modules, "sentence_transformers", module)
    monkeypatch.setattr("themes.embed.resolve_model_path", lambda model: "/models/minilm")
    return made


@pytest.mark.parametrize("fp16, cuda, device, halved", [(False, True, "cuda", False), (True, True, "cuda", True),
                                                        (True, False, "cpu", False)])
def test_the_model_is_loaded_on_the_resolved_device_and_halved_on_cuda_only(gpus, fake_sentence_transformers,
                                                                            fp16, cuda, device, halved):
    gpus(cuda=cuda)
    SentenceTransformerEmbedder(device="auto", fp16=fp16).load()
    model = fake_sentence_transformers[-1]
    assert model.kwargs["device"] == device and model.halved is halved


def test_settings_take_the_device_from_themes_device(monkeypatch):
    monkeypatch.setenv("THEMES_DEVICE", "cpu")
    assert RunSettings().device == "cpu"
    monkeypatch.delenv("THEMES_DEVICE")
    assert RunSettings().device == "auto"


def test_each_device_gets_its_own_loaded_model():
    assert get_embedder(device="cpu") is get_embedder(device="cpu")
    assert get_embedder(device="cpu") is not get_embedder(device="cuda")


def test_cli_refuses_a_missing_gpu_in_one_line_before_anything_slow(gpus, tmp_path, tiny_responses_path):
    gpus(cuda=False, mps=False)
    result = CliRunner().invoke(app, ["run", str(tiny_responses_path), "--out", str(tmp_path / "out"),
                                      "--device", "cuda"])
    assert result.exit_code == 2
    assert result.output.strip() == ("error: --device cuda was asked for, but torch finds no CUDA device here. "
                                     "Use --device auto (the GPU when there is one) or --device cpu.")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", [["run", "answers.csv"], ["evaluate", "--gold", "gold.csv"],
                                     ["calibrate", "--gold", "gold.csv"]])
def test_cli_refuses_an_unknown_device_in_one_line(command):
    result = CliRunner().invoke(app, [*command, "--device", "gpu"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: The '--device' must be one of ['auto', 'cpu', 'cuda', 'mps']. Got 'gpu' instead."

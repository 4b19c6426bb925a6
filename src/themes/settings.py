"""Run settings: one validated object that the CLI builds, the flow receives and the manifest records."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_CODEBOOK = Path("codebooks/rfi_themes.yaml")


def default_cache_dir() -> str:
    return os.environ.get("THEMES_CACHE_DIR") or str(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                                                      / "themes")


class RunSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    codebook: str = str(DEFAULT_CODEBOOK)
    calibration: str | None = Field(default=None, description="calibration JSON; default: beside the codebook")
    model: str = "all-MiniLM-L6-v2"
    backend: str = Field(default="torch", pattern="^(torch|onnx)$")
    onnx_file: str | None = None
    batch_size: int = Field(default=64, ge=1, le=4096)
    chunk_size: int = Field(default=4096, ge=16, description="texts per embedding task")
    cache_dir: str | None = Field(default_factory=default_cache_dir)
    method: str = Field(default="auto", pattern="^(auto|logistic|prototype)$")
    quotes_per_theme: int = Field(default=5, ge=0, le=50)
    segment_words: int = Field(default=60, ge=0, description="sentences are grouped into segments of about "
                               "this many words; 0: one sentence per segment")
    max_words: int = Field(default=1500, ge=10, description="answers longer than this are coded on their start")
    languages: tuple[str, ...] = ("en",)
    workers: int | None = Field(default=None, ge=1, description="local Dask workers")
    dask_address: str | None = None
    show_progress: bool = False

"""Run settings: one validated object that the CLI builds, the flow receives and the manifest records."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from themes import defaults

DEFAULT_CODEBOOK = Path(defaults.DEFAULT_CODEBOOK)


def default_cache_dir() -> str:
    return os.environ.get("THEMES_CACHE_DIR") or str(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                                                      / "themes")


# Languages as people name them in English, to their codes: '--languages spanish' is a code away from right.
_LANGUAGE_NAMES = {
    "english": "en", "spanish": "es", "espanol": "es", "español": "es", "french": "fr", "chinese": "zh",
    "mandarin": "zh", "cantonese": "zh", "vietnamese": "vi", "korean": "ko", "tagalog": "tl", "filipino": "tl",
    "russian": "ru", "arabic": "ar", "portuguese": "pt", "german": "de", "haitian": "ht", "creole": "ht",
    "japanese": "ja", "hindi": "hi", "italian": "it", "polish": "pl", "somali": "so",
    "ukrainian": "uk", "farsi": "fa", "persian": "fa", "urdu": "ur", "bengali": "bn",
}


class RunSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    codebooks: tuple[str, ...] = Field(default=(str(DEFAULT_CODEBOOK),), min_length=1, validate_default=True,
                                       description="codebooks coded in one run, e.g. themes and framework")
    calibration: str | None = Field(default=None, description="calibration JSON of a single codebook; "
                                    "default: beside each codebook")
    model: str = defaults.DEFAULT_MODEL
    backend: str = Field(default="torch", pattern="^(torch|onnx)$")
    onnx_file: str | None = Field(default=None, description="with backend onnx, the file run: "
                                  f"{' or '.join(defaults.ONNX_FILES)} [default: the int8 one]")
    batch_size: int | None = Field(default=None, ge=1, le=4096, description="texts per forward pass; default "
                                   "by device: 64 on the CPU, 512 on CUDA, 128 on MPS")
    device: str = Field(default_factory=lambda: os.environ.get("THEMES_DEVICE") or "auto",
                        pattern=f"^({'|'.join(defaults.DEVICES)})$",
                        description="where the model runs; auto: the GPU when there is one ($THEMES_DEVICE sets "
                        "the default)")
    fp16: bool = Field(default_factory=lambda: os.environ.get("THEMES_FP16") == "1", description="half "
                       "precision on CUDA (THEMES_FP16=1); off by default: its effect on decisions is not measured")
    chunk_size: int = Field(default=4096, ge=16, description="texts per embedding task")
    cache_dir: str | None = Field(default_factory=default_cache_dir)
    method: str = Field(default="auto", pattern="^(auto|logistic|prototype)$")
    coded_sample: tuple[str, ...] = Field(default=(), description="a coded random sample of this survey's answers "
                                          "(themes sample), in one file or several (draws of one sample, each "
                                          "drawn with --exclude of those before): counts corrected for measured "
                                          "error, with intervals")
    min_group: int = Field(default=10, ge=1, description="breakdown groups with fewer respondents are suppressed")
    # Not an option of the command line: below 100 coded answers the intervals cover the truth too rarely
    # (themes.prevalence.MIN_CODED_ANSWERS); set in code, for tests of the mechanics on tiny samples.
    min_coded: int = Field(default=100, ge=1, description="fewer coded answers give no estimate")
    quotes_per_theme: int = Field(default=5, ge=0, le=50)
    segment_words: int = Field(default=defaults.SEGMENT_WORDS, ge=0, description="sentences are grouped into segments of about "
                               "this many words; 0: one sentence per segment")
    max_words: int = Field(default=1500, ge=10, description="answers longer than this are coded on their start")
    languages: tuple[str, ...] = ("en",)
    workers: int | None = Field(default=None, ge=1, description="local Dask workers")
    dask_address: str | None = None
    show_progress: bool = False
    title: str | None = Field(default=None, max_length=200, description="the report's title; default: "
                              "'Themes in <input file name>'")

    @model_validator(mode="before")
    @classmethod
    def _one_codebook(cls, data):
        """`codebook=PATH` (one codebook) is accepted for `codebooks=(PATH,)`."""
        if isinstance(data, dict) and "codebook" in data:
            data = dict(data)
            data["codebooks"] = (data.pop("codebook"),)
        return data

    @field_validator("coded_sample", mode="before")
    @classmethod
    def _coded_sample_files(cls, value):
        """One file (a path) or several; None: none."""
        if value is None:
            return ()
        if isinstance(value, (str, os.PathLike)):
            return (str(value),)
        return tuple(str(path) for path in value)

    @field_validator("onnx_file")
    @classmethod
    def _known_onnx_file(cls, value: str | None) -> str | None:
        if value is not None and value not in defaults.ONNX_FILES:
            raise ValueError(f"must be one of {', '.join(defaults.ONNX_FILES)}")
        return value

    @field_validator("languages", mode="after")
    @classmethod
    def _known_languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """Language codes the language screen can tell ("en", "es"): an unknown one would leave every answer
        in it uncoded as another language, or code it as English, silently."""
        value = tuple(code.strip().lower() for code in value)
        if set(value) - {"en"}:
            from themes.clean import known_languages

            unknown = [code for code in value if code not in known_languages()]
            named = [f"for {code} write {_LANGUAGE_NAMES[code]}" for code in unknown if code in _LANGUAGE_NAMES]
            other = [code for code in unknown if code not in _LANGUAGE_NAMES]
            if unknown:
                raise ValueError("must be language codes such as en,es,fr; " + "; ".join(
                    named + ([f"unknown: {', '.join(other)}"] if other else [])))
        return value

    @field_validator("codebooks", mode="after")
    @classmethod
    def _shipped_by_name(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """A shipped codebook's name ("rfi_themes") becomes its installed path, so the run finds it from any
        folder and the manifest records a file; a path that does not exist is reported when it is loaded."""
        from themes.codebook import shipped_codebooks

        shipped = shipped_codebooks()
        return tuple(str(shipped[v]) if not Path(v).is_file() and v in shipped else v for v in value)

    @property
    def codebook(self) -> str:
        """The first codebook: the one a single-codebook command (evaluate, calibrate) works on."""
        return self.codebooks[0]

"""Calibration: per-theme thresholds (and training passages) learned from a human-coded sample by
cross-validation, saved beside the codebook as `<codebook>.calibration.json`."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from themes.errors import ThemesError


class CodedPassage(BaseModel):
    text: str
    themes: list[str]


class Calibration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    codebook: str
    codebook_hash: str
    model: str
    method: str
    C: float
    word_weight: float = 1.0
    thresholds: dict[str, float]
    passages: list[CodedPassage] = Field(default_factory=list)
    gold_file: str | None = None
    gold_hash: str | None = None
    gold_split: str | None = None
    cross_validated: dict = Field(default_factory=dict)
    created: str = ""


def calibration_path(codebook_path: str | Path) -> Path:
    path = Path(codebook_path)
    return path.with_name(f"{path.stem}.calibration.json")


def load_calibration(path: str | Path) -> Calibration:
    path = Path(path)
    try:
        return Calibration.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, ValidationError) as error:
        reason = str(error).splitlines()[0][:160]
        raise ThemesError(f"{path}: the calibration file cannot be read ({reason}). "
                          "Run 'themes calibrate' again or delete the file.") from None


def find_calibration(codebook_path: str | Path, explicit: str | None) -> Calibration | None:
    """The explicit calibration file, else the one beside the codebook, else None."""
    if explicit:
        if not Path(explicit).is_file():
            raise ThemesError(f"Calibration file not found: {explicit}. Check --calibration.")
        return load_calibration(explicit)
    beside = calibration_path(codebook_path)
    return load_calibration(beside) if beside.is_file() else None


def save_calibration(calibration: Calibration, path: str | Path) -> None:
    Path(path).write_text(calibration.model_dump_json(indent=2) + "\n", encoding="utf-8")

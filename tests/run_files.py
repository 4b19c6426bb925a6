"""Write a run folder's files (responses.csv, segments.csv, manifest.json) directly, as `themes run`
writes them, for tests of the commands that read finished runs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from themes.codebook import load_codebook
from themes.export import write_csv


def write_run_folder(folder: Path, answers: list[dict], *, codebook_path: Path, model: str = "test:hashing",
                     thresholds: dict[str, float] | None = None, meta: tuple[str, ...] = ("org_type", "state"),
                     input_sha: str = "input-1") -> Path:
    """`answers`: dicts of respondent_id, question, answer, the metadata, and `segments`: a list of
    (start, end, [theme ids], the top one first) (default: the whole answer, no theme). Status follows
    the themes."""
    codebook = load_codebook(codebook_path)
    ids = codebook.ids
    thresholds = thresholds or {theme: 0.5 for theme in ids}
    response_rows, segment_rows = [], []
    for answer in answers:
        text = answer["answer"]
        segments = answer.get("segments") or ([(0, len(text), [])] if text.strip() else [])
        themes = list(dict.fromkeys(t for *_, found in segments for t in found))
        themes = [t for t in ids if t in themes]
        status = answer.get("status") or ("empty" if not text.strip() else "coded" if themes else "uncoded")
        response_rows.append({"respondent_id": answer["respondent_id"], "question": answer["question"],
                              "status": status, "reason": "", "themes": ";".join(themes),
                              "top_theme": themes[0] if themes else "", "top_score": 0.9 if themes else 0.1,
                              **{m: answer.get(m, "") for m in meta},
                              **{f"score_{t}": 0.9 if t in themes else 0.1 for t in ids},
                              "source_row": 2, "answer": text})
        for k, (start, end, given) in enumerate(segments):
            found = [t for t in ids if t in given]  # the run writes themes in codebook order, the top one apart
            segment_rows.append({"respondent_id": answer["respondent_id"], "question": answer["question"],
                                 "segment_id": k, "start": start, "end": end, "text": text[start:end],
                                 "themes": ";".join(found), "top_theme": given[0] if given else "",
                                 **{f"score_{t}": 0.9 if t in found else 0.1 for t in ids}})
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(pd.DataFrame(response_rows), folder / "responses.csv")
    write_csv(pd.DataFrame(segment_rows, columns=["respondent_id", "question", "segment_id", "start", "end", "text",
                                                  "themes", "top_theme", *[f"score_{t}" for t in ids]]),
              folder / "segments.csv")
    manifest = {"created": "2026-01-02T03:04:05+00:00",
                "input": {"path": "survey.csv", "sha256": hashlib.sha256(input_sha.encode()).hexdigest(),
                          "columns": {"meta_columns": list(meta)}},
                "codebook": {"path": str(codebook_path), "name": codebook.name, "version": codebook.version,
                             "sha256": "x", "content_hash": codebook.content_hash(),
                             **({"renamed": {**codebook.renamed, **codebook.renamed_dimensions}}
                                if codebook.renamed or codebook.renamed_dimensions else {})},
                "model": model, "method": "logistic", "thresholds": thresholds,
                "settings": {"model": model, "cache_dir": None}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder

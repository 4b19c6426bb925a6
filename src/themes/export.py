"""Write a run's files: into a temporary folder first, moved into place only when complete.

Every text cell a spreadsheet could run as a formula (starting with =, +, -, @, or a tab or
carriage return) is neutralised with a leading apostrophe in CSV and XLSX exports.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from themes.aggregate import USABLE
from themes.errors import OutputError
from themes.report import ReportData, render_html, render_markdown
from themes.safe import MANIFEST, WORKBOOK_OPTIONS, file_slugs, is_themes_output, neutralise_formula, write_table


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_formula)
    out.columns = [neutralise_formula(str(c)) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    # utf-8-sig: Excel opens UTF-8 CSVs with accents and dashes intact only with the BOM.
    neutralise_frame(frame).to_csv(path, index=False, encoding="utf-8-sig")


def check_output_folder(out: Path, *, force: bool) -> None:
    """Refuse to overwrite a folder that holds files, unless forced; never touch a non-run folder."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file; give a folder path.")
    if out.is_dir() and any(out.iterdir()):
        # Checked first: suggesting --force for a folder that --force will not replace sends the user in a circle.
        if not is_themes_output(out):
            raise OutputError(f"Output folder {out} holds files that are not a themes run; "
                              f"--force only replaces a previous run's folder. Choose another --out.")
        if not force:
            raise OutputError(f"Output folder {out} already holds another run's outputs. Pass --force to replace it, "
                              f"or choose another --out.")


_STAGING: set[Path] = set()  # this process's staging folders, removed on an interrupt


def remove_own_staging() -> None:
    for staging in list(_STAGING):
        shutil.rmtree(staging, ignore_errors=True)


def _remove_leftovers(out: Path) -> None:
    """Staging and replaced folders of runs that were killed before they could clean up (their process
    is gone; the process id is in the name)."""
    import psutil

    for path in out.parent.glob(f".{out.name}.partial-*") if out.parent.is_dir() else ():
        pid = path.name.rsplit(".partial-", 1)[1].split("-")[0]
        if not pid.isdigit() or not psutil.pid_exists(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
    for path in out.parent.glob(f".{out.name}.old-*") if out.parent.is_dir() else ():
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def staged_folder(out: Path, *, force: bool) -> Iterator[Path]:
    """Yield a temporary sibling folder; on success it replaces `out`, on failure it is removed."""
    check_output_folder(out, force=force)
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out)
    staging = out.parent / f".{out.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    _STAGING.add(staging)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        _STAGING.discard(staging)
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        out.rename(old)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_json(data: dict, path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


def write_quotes_workbook(path: Path, summary: pd.DataFrame, quotes: pd.DataFrame, labels: dict[str, str]) -> None:
    """A summary sheet and one sheet per theme: wrapped quotes, sensible widths, frozen header, filters,
    and a 'use' column for the reader to mark the quotes they pick. Every cell is plain text or a number."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    try:
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        header = book.add_format({"bold": True, "bg_color": "#DDE5F0", "border": 1, "valign": "top"})
        write_table(book.add_worksheet("Summary"), summary, header_format=header, cell_format=wrap,
                    widths={"theme": 22, "label": 34, "respondents": 13, "percent": 10})
        used: set[str] = {"summary"}
        for theme_id, label in labels.items():
            part = quotes[quotes["theme"] == theme_id].drop(columns=["theme", "label"])
            sheet = book.add_worksheet(_sheet_name(theme_id, used))
            write_table(sheet, part, header_format=header, cell_format=wrap,
                        widths={"rank": 6, "quote": 80, "attribution": 34, "respondent_id": 14, "question": 20,
                                "score": 8, "use": 8})
            sheet.write_comment(0, 0, f"Quotes for: {label}")
    finally:
        book.close()


def _sheet_name(theme_id: str, used: set[str]) -> str:
    base = "".join(ch for ch in theme_id if ch not in "[]:*?/\\")[:31] or "theme"
    name, n = base, 2
    while name.lower() in used:
        name = f"{base[:28]}~{n}"
        n += 1
    used.add(name.lower())
    return name


@dataclass
class CodebookUse:
    """One codebook of a run: where it came from, its content, and the calibration it used."""

    path: str
    codebook: object
    calibration: object | None


@dataclass
class RunResult:
    """Everything a run produced, in memory, ready to be written."""

    input_path: str
    settings: object
    spec: object
    codebook: object  # every codebook of the run, merged (see codebook.merge_codebooks)
    codebooks: list[CodebookUse]
    answers: pd.DataFrame
    segments: pd.DataFrame
    counts: pd.DataFrame
    counts_by: dict[str, pd.DataFrame]
    framework: pd.DataFrame
    framework_by: dict[str, pd.DataFrame]
    co_occurrence: pd.DataFrame
    sample_agreement: dict | None
    quotes: pd.DataFrame
    thresholds: dict[str, float]
    threshold_sources: dict[str, str]
    method: str
    embedding: dict
    id_problems: list[dict]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def accounting(self) -> dict[str, int]:
        from themes.aggregate import status_accounting

        return status_accounting(self.answers)


PACKAGES = ("themes", "sentence-transformers", "torch", "transformers", "scikit-learn", "spacy", "pandas",
            "numpy", "prefect", "pydantic")


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def responses_frame(run: RunResult) -> pd.DataFrame:
    meta = list(run.spec.meta_columns)
    scores = [c for c in run.answers.columns if c.startswith("score_")]
    columns = ["respondent_id", "question", "status", "reason", "themes", "top_theme", "top_score", *meta,
               *scores, "source_row", "answer"]
    return run.answers[columns]


def segments_frame(run: RunResult) -> pd.DataFrame:
    info = run.answers.loc[run.segments["answer_index"], ["respondent_id", "question"]].reset_index(drop=True)
    segments = run.segments.reset_index(drop=True)
    scores = [c for c in segments.columns if c.startswith("score_")]
    return pd.concat([info, segments[["segment_id", "start", "end", "text", "themes", "top_theme", *scores]]],
                     axis=1)


def evidence_frame(run: RunResult) -> pd.DataFrame:
    """Every count opened up: one row per coded passage and code it carries (theme or dimension type),
    with its respondent, question and score, so a reviewer can read what each count stands on."""
    segments = segments_frame(run)
    rows = segments.assign(code=segments["themes"].str.split(";")).explode("code")
    rows = rows[rows["code"].fillna("") != ""]
    score = [row[f"score_{code}"] for code, row in zip(rows["code"], rows.to_dict("records"))]
    return pd.DataFrame({"theme": rows["code"].to_numpy(), "respondent_id": rows["respondent_id"].to_numpy(),
                         "question": rows["question"].to_numpy(), "segment_id": rows["segment_id"].to_numpy(),
                         "passage": rows["text"].to_numpy(), "score": score}).sort_values(
        ["theme", "score"], ascending=[True, False], kind="stable")


def manifest(run: RunResult) -> dict:
    from themes import __version__
    from themes.codebook import file_hash

    settings = run.settings.model_dump(mode="json")
    codebooks = [codebook_entry(use) for use in run.codebooks]
    accounting = run.accounting
    return {
        "themes_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "input": {"path": str(run.input_path), "sha256": file_hash(run.input_path),
                  "columns": {k: v for k, v in asdict(run.spec).items() if k != "sources"},
                  "column_sources": run.spec.sources},
        "codebook": codebooks[0],
        "codebooks": codebooks,
        "model": run.embedding.get("model_id"),
        "method": run.method,
        "thresholds": {k: round(float(v), 4) for k, v in run.thresholds.items()},
        "threshold_sources": run.threshold_sources,
        "settings": settings,
        "packages": package_versions(),
        "embedding": run.embedding,
        "timings_seconds": run.timings,
        "accounting": accounting,
        "accounting_adds_up": sum(v for k, v in accounting.items() if k != "input_answers")
        == accounting["input_answers"],
        "respondent_id_problems": run.id_problems,
        "counts_method": (run.counts["method"].iloc[0] if len(run.counts) and "method" in run.counts else
                          run.framework["method"].iloc[0] if len(run.framework) and "method" in run.framework else None),
        "coded_sample_agreement": run.sample_agreement,
    }


def codebook_entry(use: CodebookUse) -> dict:
    """A codebook's identity in the manifest, with the calibration it ran with."""
    from themes.codebook import file_hash

    book, calibration = use.codebook, use.calibration
    entry = {"path": use.path, "name": book.name, "version": book.version, "sha256": file_hash(use.path),
             "content_hash": book.content_hash(), "calibration": None}
    if calibration is not None:
        entry["calibration"] = {
            "codebook_hash": calibration.codebook_hash, "matches_codebook": calibration.codebook_hash ==
            book.content_hash(), "gold_file": calibration.gold_file, "gold_hash": calibration.gold_hash,
            "training_passages": len(calibration.passages), "C": calibration.C,
            "word_weight": calibration.word_weight, "use_question": calibration.use_question,
            "cross_validated": calibration.cross_validated}
    return entry


def sample_agreement_summary(result: dict) -> str:
    """This survey's measured agreement, in one sentence for the method section."""
    parts = []
    if result["per_theme"]:
        parts.append(f"Cohen's kappa of the primary theme {result['overall']['primary_kappa']:.2f}; per theme " + ", ".join(
            f"{r['theme']} {r['kappa']:.2f}" if r["kappa"] is not None else f"{r['theme']} not measured (no coded "
            "answer carries it)" for r in result["per_theme"]))
    if result["per_dimension"]:
        parts.append("kappa per dimension (\"none\" a class) " + ", ".join(
            f"{r['dimension']} {r['kappa']:.2f}" if r["kappa"] is not None else f"{r['dimension']} not measured"
            for r in result["per_dimension"]))
    return (f"on {result['answers']} answers of this survey, coded by people at random "
            f"({Path(result['file']).name}): " + "; ".join(parts) + ".")


def report_data(run: RunResult) -> ReportData:
    from themes.quotes import type_and_state_columns

    usable = int(run.answers.loc[run.answers["status"].isin(USABLE), "respondent_id"].nunique())
    stem = Path(run.input_path).stem
    books = "; ".join(f"{u.codebook.name}, version {u.codebook.version} (content hash {u.codebook.content_hash()})"
                      for u in run.codebooks)
    calibrated = any(u.calibration is not None for u in run.codebooks)
    classifier = {"logistic": "logistic regression per theme, and a multinomial logistic regression per "
                              "framework dimension (not addressed or one type), trained on the codebook's examples"
                              + (" and the calibration sample" if calibrated else ""),
                  "prototype": "zero-shot: similarity to each theme's definition and notes"}
    method = {"Codebook": books,
              "Embedding model": run.embedding.get("model_id"),
              "Classifier": classifier.get(run.method, "; ".join(classifier.values())),
              "Thresholds": ", ".join(f"{k} {v:.2f} ({run.threshold_sources[k]})" for k, v in run.thresholds.items()),
              "Unit": "segments (runs of whole sentences of up to about 60 words); an answer carries a theme "
                      "when one of its segments does; counts are respondents"}
    agreement = {"summary": sample_agreement_summary(run.sample_agreement)} if run.sample_agreement else None
    framework_by = None
    if run.codebook.dimensions:
        type_column, _ = type_and_state_columns(run.spec.meta_columns)
        if type_column in run.framework_by:
            framework_by = (type_column, run.framework_by[type_column])
    return ReportData(
        title=f"Themes in {stem}", counts=run.counts, quotes=run.quotes,
        breakdowns={m: frame for m, frame in run.counts_by.items()} if run.codebook.themes else {},
        co_occurrence=run.co_occurrence, accounting=run.accounting, method=method,
        respondents=int(run.answers["respondent_id"].nunique()), usable_respondents=usable, agreement=agreement,
        framework=run.framework if run.codebook.dimensions else None, framework_by=framework_by)


def write_run(run: RunResult, out: Path, *, force: bool) -> list[str]:
    """Write every file of the output contract; the folder appears only when all are written."""
    with staged_folder(out, force=force) as folder:
        write_csv(responses_frame(run), folder / "responses.csv")
        write_csv(segments_frame(run), folder / "segments.csv")
        slugs = file_slugs({**run.counts_by, **run.framework_by})
        if run.codebook.themes:
            write_csv(run.counts, folder / "theme_counts.csv")
            for column, frame in run.counts_by.items():
                write_csv(frame, folder / f"theme_counts_by_{slugs[column]}.csv")
        if run.codebook.dimensions:
            write_csv(run.framework, folder / "framework_counts.csv")
            for column, frame in run.framework_by.items():
                write_csv(frame, folder / f"framework_counts_by_{slugs[column]}.csv")
        write_csv(evidence_frame(run), folder / "theme_evidence.csv")
        write_csv(run.quotes, folder / "quotes.csv")
        summary = summary_table(run)
        write_quotes_workbook(folder / "quotes.xlsx", summary, run.quotes,
                              {c.id: c.label for c in run.codebook.categories})
        data = report_data(run)
        (folder / "report.md").write_text(render_markdown(data), encoding="utf-8")
        (folder / "report.html").write_text(render_html(data), encoding="utf-8")
        write_json(manifest(run), folder / MANIFEST)
        files = sorted(p.name for p in folder.iterdir())
    return files


def summary_table(run: RunResult) -> pd.DataFrame:
    """Respondents per theme and per framework type (one type per respondent and dimension)."""
    columns = ["theme", "label", "respondents", "percent"]
    kinds = run.framework[run.framework["type"] != "not_described"] if len(run.framework) else run.framework
    types = pd.DataFrame({"theme": kinds["dimension"] + "." + kinds["type"],
                          "label": kinds["dimension_label"] + ": " + kinds["label"],
                          "respondents": kinds["respondents"], "percent": kinds["percent"]}) if len(kinds) else None
    parts = [run.counts[columns]] if len(run.counts) else []
    parts += [types] if types is not None else []
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def summary_markdown(run: RunResult) -> str:
    lines = ["| Theme | Respondents | Percent |", "|---|---|---|"]
    lines += [f"| {r.label} | {r.respondents} | {r.percent}% |" for r in summary_table(run).itertuples()]
    accounting = ", ".join(f"{k}: {v}" for k, v in run.accounting.items())
    return "\n".join([f"# Coding run: {Path(run.input_path).name}", "", *lines, "", f"Answers — {accounting}"])


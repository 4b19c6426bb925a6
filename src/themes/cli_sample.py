"""`themes sample`: draw a random sample of a run's answers into a coding workbook."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Optional

import typer

from themes.cli import _fail, app
from themes.errors import ThemesError


@app.command("sample")
def sample(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN_DIR", help="A run's output folder (with responses.csv "
                                            "and manifest.json). Example: outputs/responses")],
    n: Annotated[int, typer.Option("-n", help="Answers to draw. About 300 gives intervals of +-5 to 10 points; "
                                   "see the README. Example: -n 300")] = 300,
    seed: Annotated[int, typer.Option(min=0, help="Random seed: the same seed draws the same answers. "
                                      "Example: --seed 7")]
    = 0,
    stratify_by: Annotated[Optional[str], typer.Option("--stratify-by", help="Draw from each value of this column "
                                                       "of responses.csv in proportion to its answers (a score_ "
                                                       "column by quintiles). Example: --stratify-by question")]
    = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Workbook to write (.xlsx), or .csv for the "
                                                "coding sheet alone [default: RUN_DIR/coding_sample.xlsx]. "
                                                "Example: --out coding_sample.xlsx")] = None,
    codebook: Annotated[Optional[Path], typer.Option("--codebook", "-c", help="Codebook YAML [default: the one "
                                                     "the run's manifest names]. Example: --codebook "
                                                     "codebooks/rfi_themes.yaml")] = None,
    exclude: Annotated[Optional[list[Path]], typer.Option(
        "--exclude", help="A coded sample whose answers are not drawn again, to grow it: the new rows' ids continue "
                          "its own (repeatable: every file of the sample so far). Example: --exclude "
                          "coded_sample.csv")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file at --out.")] = False,
) -> None:
    """Draw a random sample of a run's usable answers into a coding workbook: an Instructions sheet with the
    codebook's ids and definitions, and a Coding sheet with one row per answer and an empty 'themes' column
    (no model scores, so coders are not anchored). Code every row, then pass it to evaluate and calibrate
    (--gold) and to the corrected counts (themes.prevalence).

    To code more answers later (a narrower interval), draw from the rest, code it, and pass both files to
    themes run (--coded-sample first.xlsx --coded-sample second.xlsx), or add its rows to the first file:
    themes sample outputs/responses -n 300 --seed 1 --exclude coded_sample.csv

    Example: themes sample outputs/responses -n 300 --seed 0
    """
    out = out or run_dir / "coding_sample.xlsx"
    try:
        written, excluded, warnings = draw_to_file(run_dir, n=n, seed=seed, stratify_by=stratify_by, out=out,
                                                   codebook_path=codebook, force=force, exclude=exclude)
    except ThemesError as error:
        _fail(str(error))
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    rest = f" not already in {' or '.join(str(path) for path in exclude)} ({excluded} left out)" if exclude else ""
    how = f"at random within each {stratify_by}" if stratify_by else "at random"  # stratified, not "at random" alone
    typer.echo(f"Drew {written} answer{'s' * (written != 1)} {how} (seed {seed}) from {run_dir}/responses.csv"
               f"{rest}; wrote {out}")


def draw_to_file(run_dir: Path, *, n: int, seed: int, stratify_by: str | None, out: Path,
                 codebook_path: Path | None, force: bool, exclude: Sequence[Path] = ()) -> tuple[int, int, list[str]]:
    """Write the sample; return how many answers it holds, how many the excluded coded sample held, and what to
    warn of."""
    from themes.codebook import load_codebook, merge_codebooks
    from themes.coding_sample import already_coded, draw_sample, write_coding_workbook
    from themes.evaluate import missing_draw_rows
    from themes.errors import InputError, OutputError
    from themes.export import MANIFEST, write_csv
    from themes.ingest import read_table
    from themes.guard import check_writable_file
    from themes.runfolder import read_manifest, recorded_codebook

    responses_path, manifest_path = run_dir / "responses.csv", run_dir / MANIFEST
    for path in (responses_path, manifest_path):
        if not path.is_file():
            raise InputError(f"{path} not found; RUN_DIR must be the output folder of 'themes run'.")
    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise OutputError(f"--out {out} must end in .xlsx (the coding workbook) or .csv (the coding sheet).")
    if out.is_dir():
        raise OutputError(f"--out {out} is a folder; name the file to write, e.g. --out {out / 'coding_sample.xlsx'}.")
    if out.exists() and not force:
        raise OutputError(f"{out} already exists. Pass --force to replace it, or choose another --out.")
    mine = next((path for path in exclude or () if path.exists() and path.resolve() == out.resolve()), None)
    if mine is not None:  # --force replaced the coders' workbook with a fresh draw
        raise OutputError(f"--out {out} is the coded sample given to --exclude; write the new draw to another file.")
    above = out.absolute().parent
    while not above.exists() and above != above.parent:
        above = above.parent
    if not above.is_dir():
        raise OutputError(f"--out {out} cannot be written: {above} is a file, not a folder. Choose another --out.")
    check_writable_file(above / out.name)  # the folders --out still needs are made once the draw is done
    coded = already_coded(exclude) if exclude else None  # a bad file stops here, before anything is written
    gap = missing_draw_rows(coded.sample_ids) if coded else None
    if gap is not None:
        # A row deleted from the coded files is an answer they no longer hold: this draw could draw it again, and
        # evaluate, told to put the row back, would then read it twice (review 145); so could the rows of a file of
        # the draw not given, or the first rows deleted (review 153: S001 was drawn again)
        count, listed, _, one_block = gap
        rows, answers = ("rows", "their answers") if count != 1 else ("row", "its answer")
        files = ", ".join(p.name for p in exclude)
        fix = (f"Give every file of the earlier draws to --exclude, or put the {rows} back and code "
               f"{'them' if count != 1 else 'it'}" if one_block and count > 1 else
               f"Put the {rows} back and code {'them' if count != 1 else 'it'}")
        raise InputError(f"--exclude {files}: {count} {rows} of the draw {'are' if count != 1 else 'is'} missing "
                         f"({listed}), so {answers} could be drawn again. {fix} ('none' where an answer has no "
                         "theme), then draw.")
    manifest = read_manifest(manifest_path)
    # Every codebook of the run (themes and framework): the coders code what the run counts.
    entries = manifest.get("codebooks") or [manifest.get("codebook") or {}]
    paths = [codebook_path] if codebook_path else [recorded_codebook(c) or c.get("path", "") for c in entries]
    if not codebook_path:
        if not any(paths):
            raise InputError(f"{manifest_path} names no codebook; pass the run's codebook with --codebook.")
        gone = next((path for path in paths if not Path(path).is_file()), None)
        if gone:
            raise InputError(f"The codebook {gone} that {manifest_path} names is not there any more; pass it with "
                             "--codebook.")
    books = [load_codebook(path) for path in paths]
    codebook = merge_codebooks(books)
    warnings = []
    if not codebook_path:  # the codebook as it is now, which may not be the one the run coded with: said
        entries = manifest.get("codebooks") or [manifest.get("codebook") or {}]
        for path, book, entry in zip(paths, books, entries):
            recorded = entry.get("content_hash") if isinstance(entry, dict) else None
            if recorded and book.content_hash() != recorded:
                warnings.append(f"{path} has changed since {run_dir} was coded: the workbook lists its codes as they "
                                "are now. Code with them, and run the survey again with this codebook before the "
                                "coded sample corrects its counts.")
    meta = tuple(manifest.get("input", {}).get("columns", {}).get("meta_columns", ()))
    responses = read_table(responses_path)
    lacking = [c for c in ("respondent_id", "question", "status", "answer") if c not in responses.columns]
    if lacking:
        raise InputError(f"{responses_path} lacks the column{'s' * (len(lacking) > 1)} {', '.join(lacking)} that "
                         "'themes run' writes; pass the --out folder of a 'themes run', as it wrote it.")
    drawn = draw_sample(responses, n, seed=seed, stratify_by=stratify_by, meta_columns=meta, exclude=coded)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        write_csv(drawn, out)
    else:
        warnings += write_coding_workbook(out, drawn, codebook)  # what it cut to fit a cell
    return len(drawn), len(coded.keys) if coded else 0, warnings

"""The `themes` command line: a thin typer layer over the flow and the library.

Heavy imports (torch, sentence-transformers, Prefect) happen inside commands, so `themes --help`
stays fast. Domain errors print one line and exit with status 2; there is no traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from themes import defaults
from themes.errors import ThemesError

app = typer.Typer(
    name="themes",
    help="Code open-ended survey answers against a YAML codebook: theme counts, quotes and a report.\n\n"
         "Example: themes run data/sample_rfi/responses.csv",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts use [default: ...] and <input name>, not rich markup
)

CodebookOption = Annotated[Path, typer.Option("--codebook", "-c", help="Codebook YAML. Example: "
                                              "--codebook codebooks/rfi_themes.yaml")]
DEFAULT_CODEBOOK = Path(defaults.DEFAULT_CODEBOOK)


def _quiet_prefect(verbose: bool = False) -> None:
    """Prefect settings for a command-line run: no telemetry, warnings only, patient server start."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    if not verbose and os.environ.get("PREFECT_API_URL"):
        # A server keeps the runs' logs: send it INFO and up, and keep the console to the CLI's own lines.
        os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL", "INFO")
        os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL", "INFO")
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    elif not verbose:
        # A failed task logs its traceback; the CLI already prints the one line that matters.
        os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL", "CRITICAL")
        os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL", "CRITICAL")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.command("validate-codebook")
def validate_codebook(
    codebook: Annotated[Path, typer.Argument(help="Codebook YAML to check. Example: codebooks/rfi_themes.yaml")]
    = DEFAULT_CODEBOOK,
) -> None:
    """Check a codebook's YAML and schema; print its themes and example counts.

    Example: themes validate-codebook codebooks/rfi_themes.yaml
    """
    from themes.codebook import load_codebook

    try:
        book = load_codebook(codebook)
    except ThemesError as error:
        _fail(str(error))
    typer.echo(f"{codebook}: valid. {book.name}, version {book.version}, {len(book.categories)} categories.")
    for category in book.categories:
        theme = category.theme
        typer.echo(f"  {category.id:<32} {len(theme.examples):>3} examples, "
                   f"{len(theme.counter_examples):>3} counter-examples  {category.label}")
    typer.echo(f"  {'(none of the themes)':<32} {len(book.none_examples):>3} examples")


@app.command("run")
def run(
    input_file: Annotated[Path, typer.Argument(metavar="INPUT", help="Survey export: .csv, .xlsx, .jsonl or "
                                               ".parquet. Example: data/sample_rfi/responses.csv")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Output folder [default: "
                                                "outputs/<input name>]. Example: --out outputs/batch3")] = None,
    codebook: Annotated[Optional[list[Path]], typer.Option(
        "--codebook", "-c", help="Codebook YAML (repeatable: themes and framework in one run) [default: "
        f"{DEFAULT_CODEBOOK}]. Example: --codebook codebooks/rfi_themes.yaml --codebook "
        "codebooks/partnership_models.yaml")] = None,
    id_column: Annotated[Optional[str], typer.Option(help="Respondent id column. Example: --id-column "
                                                     "respondent_id")] = None,
    text_column: Annotated[Optional[list[str]], typer.Option(help="Open-ended answer column (repeatable). "
                                                             "Example: --text-column challenges")] = None,
    meta_column: Annotated[Optional[list[str]], typer.Option(help="Column to break counts down by (repeatable). "
                                                             "Example: --meta-column state")] = None,
    question_column: Annotated[Optional[str], typer.Option(help="Long files: the question column. "
                                                           "Example: --question-column question")] = None,
    answer_column: Annotated[Optional[str], typer.Option(help="Long files: the answer column. "
                                                         "Example: --answer-column answer")] = None,
    sheet: Annotated[Optional[str], typer.Option(help="XLSX sheet to read [default: the first that has the "
                                                 "named columns]. "
                                                 "Example: --sheet Responses")] = None,
    model: Annotated[str, typer.Option(help="sentence-transformers model: name or local folder. "
                                       "Example: --model ./models/my-model")] = defaults.DEFAULT_MODEL,
    backend: Annotated[str, typer.Option(help="Embedding backend: torch or onnx. Example: --backend onnx")]
    = "torch",
    calibration: Annotated[Optional[Path], typer.Option(help="Calibration JSON [default: "
                                                        "<codebook>.calibration.json if present]. "
                                                        "Example: --calibration my.calibration.json")] = None,
    coded_sample: Annotated[Optional[Path], typer.Option(help="A coded random sample of this survey's answers "
                                                         "(from 'themes sample'): counts corrected for the "
                                                         "classifier's measured error, with 95% intervals. "
                                                         "Example: --coded-sample data/sample_rfi/coded_sample.csv")]
    = None,
    min_group: Annotated[int, typer.Option(help="Breakdown groups with fewer respondents are suppressed. "
                                           "Example: --min-group 20")] = 10,
    quotes_per_theme: Annotated[int, typer.Option(help="Quotes per theme. Example: --quotes-per-theme 8")] = 5,
    max_words: Annotated[int, typer.Option(help="Longer answers are coded on their first N words (status "
                                           "too_long). Example: --max-words 800")] = 1500,
    languages: Annotated[str, typer.Option(help="Comma-separated languages to code; others get status "
                                           "non_english. Example: --languages en,es")] = "en",
    cache_dir: Annotated[Optional[Path], typer.Option(help="Embedding cache folder [default: "
                                                      "$THEMES_CACHE_DIR or ~/.cache/themes]. "
                                                      "Example: --cache-dir /data/cache")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Embed everything afresh; write no cache.")]
    = False,
    workers: Annotated[Optional[int], typer.Option(help="Run embedding batches on a local Dask cluster with N "
                                                   "workers. Example: --workers 2")] = None,
    dask_address: Annotated[Optional[str], typer.Option(help="Run on an existing Dask scheduler. Example: "
                                                        "--dask-address tcp://10.0.0.5:8786")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the output folder of a previous run.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the output folder.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Show Prefect's own logs.")] = False,
) -> None:
    """Code every answer of a survey export against the codebook and write counts, quotes and a report.

    Example: themes run data/sample_rfi/responses.csv --out outputs/sample --force
    """
    _quiet_prefect(verbose)
    from themes import guard
    from themes.ingest import InputSpec
    from themes.settings import RunSettings

    guard.show_warnings()
    guard.handle_interrupts()
    guard.reap_orphaned_servers()
    out = out or Path("outputs") / input_file.stem
    codebooks = codebook or [DEFAULT_CODEBOOK]
    try:
        from themes.codebook import load_codebook, merge_codebooks

        # A codebook error is the commonest mistake: report it before anything slow.
        merge_codebooks([load_codebook(path) for path in codebooks])
        guard.preflight(out, force=force)  # the output folder, Prefect's server and home: before anything slow
        settings = RunSettings(
            codebooks=tuple(str(path) for path in codebooks), calibration=str(calibration) if calibration else None, model=model,
            backend=backend, quotes_per_theme=quotes_per_theme, max_words=max_words,
            coded_sample=str(coded_sample) if coded_sample else None, min_group=min_group,
            languages=tuple(x.strip() for x in languages.split(",") if x.strip()),
            cache_dir=None if no_cache else (str(cache_dir) if cache_dir else RunSettings().cache_dir),
            workers=workers, dask_address=dask_address, show_progress=not quiet and sys.stderr.isatty())
    except ThemesError as error:
        _fail(str(error))
    except ValueError as error:  # pydantic's, for settings out of range
        _fail(str(error).splitlines()[0] + " " + str(error).splitlines()[1].strip() if "\n" in str(error)
              else str(error))
    spec = InputSpec(id_column=id_column, text_columns=tuple(text_column or ()),
                     meta_columns=tuple(meta_column or ()), question_column=question_column,
                     answer_column=answer_column, sheet=sheet)
    summary = _run_with_progress(input_file, out, settings, spec, force, quiet)
    if quiet:
        typer.echo(str(out))
        return
    _print_summary(summary)


def _run_with_progress(input_file: Path, out: Path, settings, spec, force: bool, quiet: bool) -> dict:
    import threading

    from themes.embed import get_embedder

    # Load the model while Prefect starts its temporary server: both take ~10 s, in parallel.
    def warm() -> None:
        try:
            embedder = get_embedder(settings.model, backend=settings.backend, batch_size=settings.batch_size)
            if hasattr(embedder, "load"):
                embedder.load()
        except ThemesError:
            pass  # reported when the flow needs the model

    if not (settings.workers or settings.dask_address):
        threading.Thread(target=warm, daemon=True).start()

    finished = threading.Event()

    def note_servers() -> None:  # so that the next run can end a server this process leaves when killed
        from themes.guard import record_servers

        while not finished.wait(0.5):
            record_servers()

    threading.Thread(target=note_servers, daemon=True).start()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from themes.flows import code_responses as flow_module

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), transient=True, disable=not settings.show_progress)
    tasks: dict[str, int] = {}

    def hook(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(f"{stage}ding texts" if stage == "embed" else stage, total=total)
        progress.update(tasks[stage], completed=done, total=total)

    flow_module.progress_hook = hook
    try:
        with progress:
            return flow_module.run_flow(str(input_file), str(out), settings, spec, force=force)
    except ThemesError as error:
        _fail(str(error))
    finally:
        finished.set()
        flow_module.progress_hook = None


@app.command("evaluate")
def evaluate(
    gold: Annotated[Path, typer.Option("--gold", help="Human-coded file: a 'text' column (or respondent_id + "
                                       "question with --input) and 'themes' (';'-joined ids, 'none'). "
                                       "Example: --gold data/sample_rfi/gold.csv")],
    split: Annotated[Optional[str], typer.Option(help="Only rows of this 'split' value. Example: --split test")]
    = None,
    input_file: Annotated[Optional[Path], typer.Option("--input", help="Survey export to look up passages "
                                                       "given by respondent_id + question. Example: "
                                                       "--input data/sample_rfi/responses.csv")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for evaluation.md and CSVs "
                                                "[default: outputs/evaluation-<gold name>]. "
                                                "Example: --out outputs/eval")] = None,
    codebook: CodebookOption = DEFAULT_CODEBOOK,
    calibration: Annotated[Optional[Path], typer.Option(help="Calibration JSON [default: beside the "
                                                        "codebook]. Example: --calibration x.calibration.json")]
    = None,
    model: Annotated[str, typer.Option(help="Embedding model. Example: --model all-MiniLM-L6-v2")]
    = defaults.DEFAULT_MODEL,
    force: Annotated[bool, typer.Option("--force", help="Replace a previous evaluation folder.")] = False,
) -> None:
    """Agreement with human coding: per-theme precision, recall, F1, kappa, alpha; primary-theme kappa;
    confusion table; disagreements.csv (most confident mistakes first).

    Example: themes evaluate --gold data/sample_rfi/gold.csv --split test
    """
    _quiet_prefect()
    settings = _settings(codebook, calibration, model)
    out = out or Path("outputs") / (f"evaluation-{gold.stem}" + (f"-{split}" if split else ""))
    from themes.flows.agreement import evaluate_agreement

    try:
        result = evaluate_agreement(gold_path=str(gold), out=str(out), settings=settings, split=split,
                                    input_path=str(input_file) if input_file else None, force=force)
    except ThemesError as error:
        _fail(str(error))
    overall = result["overall"]
    left_out = f" ({result['left_out']} left out: the classifier learned from them)" if result["left_out"] else ""
    if result["per_theme"]:
        typer.echo(f"Agreement on {overall['passages']} passages{left_out}: Cohen's kappa (primary theme, 'none' a "
                   f"class) {overall['primary_kappa']:.3f}, Krippendorff's alpha {overall['primary_alpha']:.3f}, "
                   f"macro F1 {_figure(overall['macro_f1'])}")
        typer.echo(f"{'theme':<24}{'precision':>10}{'recall':>8}{'F1':>7}{'kappa':>7}")
        for row in result["per_theme"]:
            typer.echo(f"{row['theme']:<24}{_figure(row['precision']):>10}{_figure(row['recall']):>8}"
                       f"{_figure(row['f1']):>7}{_figure(row['kappa']):>7}")
    if result["per_dimension"]:
        typer.echo(f"Agreement per dimension on {overall['passages']} passages{left_out} ('none' = not addressed, "
                   "a class):")
        typer.echo(f"{'dimension':<24}{'addressed':>10}{'type acc.':>10}{'kappa':>7}{'alpha':>7}")
        for row in result["per_dimension"]:
            typer.echo(f"{row['dimension']:<24}{row['gold_addressed']:>10}{_figure(row['type_accuracy']):>10}"
                       f"{_figure(row['kappa']):>7}{_figure(row['alpha']):>7}")
    typer.echo(f"Wrote {out}/: {', '.join(result['files'])}")


@app.command("calibrate")
def calibrate(
    gold: Annotated[Path, typer.Option("--gold", help="Human-coded passages to learn thresholds from. "
                                       "Example: --gold data/sample_rfi/gold.csv")],
    split: Annotated[Optional[str], typer.Option(help="Only rows of this 'split' value [default: "
                                                 "'calibration' when the file has a split column]. "
                                                 "Example: --split calibration")] = None,
    codebook: CodebookOption = DEFAULT_CODEBOOK,
    output: Annotated[Optional[Path], typer.Option(help="Where to save [default: "
                                                   "<codebook>.calibration.json, which 'themes run' picks up]. "
                                                   "Example: --output my.calibration.json")] = None,
    folds: Annotated[int, typer.Option(min=2, max=20, help="Cross-validation folds. Example: --folds 10")] = 5,
    model: Annotated[str, typer.Option(help="Embedding model. Example: --model all-MiniLM-L6-v2")]
    = defaults.DEFAULT_MODEL,
) -> None:
    """Learn per-theme thresholds (and training passages) from a coded sample by cross-validation;
    report cross-validated agreement; save them beside the codebook.

    Example: themes calibrate --gold data/sample_rfi/gold.csv --split calibration
    """
    _quiet_prefect()
    settings = _settings(codebook, None, model)
    if split is None and _has_split_column(gold):
        split = "calibration"
    from themes.flows.agreement import calibrate_codebook

    try:
        result = calibrate_codebook(gold_path=str(gold), settings=settings, split=split,
                                    output=str(output) if output else None, folds=folds)
    except ThemesError as error:
        _fail(str(error))
    report = result["report"]
    typer.echo(f"Calibrated on {report['passages']} passages{f' (split {split})' if split else ''}: "
               f"{report['summary']}.")
    typer.echo("Thresholds: " + ", ".join(f"{k} {v:.2f}" for k, v in result["thresholds"].items()))
    if report.get("not_tuned"):
        typer.echo("Not tuned (no coded passage carries them; they keep the default): "
                   + ", ".join(report["not_tuned"]))
    typer.echo(f"Saved {result['path']}; 'themes run' with this codebook now uses it.")


def _figure(value) -> str:
    """A statistic to three decimals, or "n/a" where it has no basis (nothing coded to agree on)."""
    return "n/a" if value is None else f"{value:.3f}"


def _settings(codebook: Path, calibration: Path | None, model: str):
    from themes.codebook import load_codebook
    from themes.settings import RunSettings

    try:
        load_codebook(codebook)
    except ThemesError as error:
        _fail(str(error))
    return RunSettings(codebook=str(codebook), calibration=str(calibration) if calibration else None, model=model)


def _has_split_column(path: Path) -> bool:
    from themes.ingest import read_table

    if path.suffix.lower() == ".qdpx":  # a REFI-QDA project has no split column
        return False
    try:
        return "split" in {c.lower() for c in read_table(path).columns}
    except ThemesError as error:
        _fail(str(error))


def _interval(row: dict) -> str:
    return f"{row['estimate']:.1f}% ({row['low']:.1f}-{row['high']:.1f})"


def _print_summary(summary: dict) -> None:
    accounting = summary["accounting"]
    typer.echo(f"Coded {accounting['input_answers']} answers: " + ", ".join(
        f"{v} {k}" for k, v in accounting.items() if k != "input_answers" and v))
    typer.echo("")
    import pandas as pd

    from themes.prevalence import corrected

    rows = summary["counts"] or summary["framework"]
    estimated = corrected(pd.DataFrame(rows))
    if summary["counts"]:
        typer.echo(f"{'theme':<24}{'flagged':>9}{'percent':>9}" + (f"{'estimate (95% interval)':>26}" if estimated
                                                                    else f"{'segments':>10}"))
        for row in summary["counts"]:
            typer.echo(f"{row['theme']:<24}{row['respondents']:>9}{row['percent']:>8.1f}%"
                       + (f"{_interval(row):>26}" if estimated else f"{row['segments']:>10}"))
        typer.echo("")
    if summary["framework"]:
        typer.echo(f"{'dimension: type (one per respondent)':<44}{'flagged':>9}{'percent':>9}"
                   + (f"{'estimate (95% interval)':>26}" if estimated else ""))
        for row in summary["framework"]:
            typer.echo(f"{row['dimension'] + ': ' + row['type']:<44}{row['respondents']:>9}{row['percent']:>8.1f}%"
                       + (f"{_interval(row):>26}" if estimated else ""))
        typer.echo("")
    if rows and not estimated:
        typer.echo("Raw counts: no coded sample of this survey measured the classifier's error; pass "
                   "--coded-sample (see 'themes sample') for estimates with intervals.")
    typer.echo(f"Wrote {summary['out']}/: {', '.join(summary['files'])}")
    if os.environ.get("PREFECT_API_URL") and summary.get("flow_run_url"):
        typer.echo(f"Flow run: {summary['flow_run_url']}")


def main() -> None:
    from themes.guard import main_boundary

    main_boundary(app)


from themes import cli_sample  # noqa: E402,F401  registers `themes sample` on `app`

if __name__ == "__main__":
    main()

import themes.cli_research  # noqa: E402,F401  (registers discover, diff and the REFI-QDA commands)
import themes.cli_serve  # noqa: E402,F401  (registers serve)

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
# calibrate writes beside the codebook, so its example is the user's own (a shipped one needs --output)
OwnCodebookOption = Annotated[Path, typer.Option("--codebook", "-c", help="Codebook YAML; a shipped one only with "
                                                 "--output. Example: --codebook my_themes.yaml")]
DeviceOption = Annotated[Optional[str], typer.Option(help="Where the model runs: auto (a CUDA or MPS GPU when "
                                                     "there is one), cpu, cuda or mps [default: $THEMES_DEVICE "
                                                     "or auto]. Example: --device cpu")]
BackendOption = Annotated[str, typer.Option(help="Embedding backend: torch, or onnx (ONNX Runtime on the CPU with "
                                            "int8 weights, exported once from the model into the cache; 1.4-1.75x "
                                            "torch's speed on 2 cores). Example: --backend onnx")]


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


def _version(value: bool) -> None:
    if value:
        from themes import __version__

        typer.echo(f"themes {__version__}")
        raise typer.Exit()


@app.callback()
def _main(ctx: typer.Context, version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                                     help="Print the version and exit.")] = False
          ) -> None:
    """Code open-ended survey answers against a YAML codebook: theme counts, quotes and a report."""
    # Every command that embeds: evaluate, calibrate and discover ignored a bad one, or failed after the model.
    device = os.environ.get("THEMES_DEVICE")
    if device and device not in defaults.DEVICES and ctx.invoked_subcommand in DEVICE_COMMANDS \
            and "--help" not in sys.argv:
        _fail(_device_message(None))


DEVICE_COMMANDS = ("run", "evaluate", "calibrate", "discover", "serve")


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
    from themes.errors import CodebookError

    try:
        book = load_codebook(codebook)
    except CodebookError as error:
        for problem in error.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(error.exit_code)
    except ThemesError as error:
        _fail(str(error))
    typer.echo(f"{codebook}: valid. {book.name}, version {book.version}, {len(book.categories)} categories.")
    width = max(len("(none of the themes)"), *(len(category.id) for category in book.categories))
    for category in book.categories:
        theme = category.theme
        typer.echo(f"  {category.id:<{width}} {len(theme.examples):>3} examples, "
                   f"{len(theme.counter_examples):>3} counter-examples  {category.label}")
    typer.echo(f"  {'(none of the themes)':<{width}} {len(book.none_examples):>3} examples")
    renamed = [f"{old} -> {theme.id}" for theme in book.themes for old in theme.formerly]
    for dimension in book.dimensions:
        renamed += [f"{old} -> {dimension.id}" for old in dimension.formerly]
        renamed += [f"{dimension.id}.{old} -> {dimension.id}.{kind.id}" for kind in dimension.types
                    for old in kind.formerly]
    if renamed:  # what `formerly` makes of coded files' old codes, confirmed
        typer.echo("  read as renamed (formerly): " + ", ".join(renamed))
    if book.categories and not book.has_examples() and not _calibrated(codebook):
        # said by the run only, and the run flagged 3 answers in all (review 150)
        typer.echo(f"note: {_few_examples(book)}; a run codes this codebook zero-shot (similarity to each "
                   "category's definition and examples), which agrees far less with people: add examples, or "
                   "calibrate it on coded passages (themes calibrate)")


def _calibrated(codebook: Path) -> bool:
    """A calibration made for this content that a run finds (beside it, or a shipped one by its hash)."""
    from themes.calibrate import locate_calibration

    found, where = locate_calibration(codebook, None)
    return found is not None and "other content" not in where


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
    attribute_with: Annotated[Optional[list[str]], typer.Option(
        help="Metadata column a quote is attributed with (repeatable; a column named like a place, e.g. state "
             "or region, says where) [default: the respondent type and state columns, when found]. "
             "Example: --attribute-with org_category --attribute-with state")] = None,
    question_column: Annotated[Optional[str], typer.Option(help="Long files: the question column. "
                                                           "Example: --question-column question")] = None,
    answer_column: Annotated[Optional[str], typer.Option(help="Long files: the answer column. "
                                                         "Example: --answer-column answer")] = None,
    sheet: Annotated[Optional[str], typer.Option(help="XLSX sheet to read [default: the first that has the "
                                                 "named columns]. "
                                                 "Example: --sheet Responses")] = None,
    header_row: Annotated[Optional[int], typer.Option(
        min=1, help="The row (from 1) that holds the column names, the rows above it skipped [default: found: the "
        "first row, or the row of names under a title or group labels]. Example: --header-row 2")] = None,
    question_as: Annotated[Optional[list[str]], typer.Option(
        metavar="QUESTION=NAME", help="Read a survey question (a text column, or a long file's question) as the "
        "calibration's question NAME, where its wording names none (repeatable) [default: matched by their words]. "
        "Example: --question-as \"What has made this partnership effective?=effective_practices\"")] = None,
    title: Annotated[Optional[str], typer.Option(help="The report's title [default: Themes in <input name>]. "
                                                 "Example: --title \"Health and community partnerships RFI, "
                                                 "batch 3\"")] = None,
    model: Annotated[str, typer.Option(help="sentence-transformers model: name or local folder. "
                                       "Example: --model ./models/my-model")] = defaults.DEFAULT_MODEL,
    backend: BackendOption = "torch",
    device: DeviceOption = None,
    calibration: Annotated[Optional[Path], typer.Option(help="Calibration JSON [default: "
                                                        "<codebook>.calibration.json if present]. "
                                                        "Example: --calibration my.calibration.json")] = None,
    coded_sample: Annotated[Optional[list[Path]], typer.Option(
        help="A coded random sample of this survey's answers (from 'themes sample'): counts corrected for the "
             "classifier's measured error, with 95% intervals. Repeatable: the files of one sample drawn in "
             "parts (each with 'themes sample --exclude' of those before) are read as one. "
             "Example: --coded-sample data/sample_rfi/coded_sample.csv")] = None,
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
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors, warnings and the output folder.")
                     ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Show Prefect's own logs.")] = False,
) -> None:
    """Code every answer of a survey export against the codebook and write counts, quotes and a report.

    Example: themes run data/sample_rfi/responses.csv --out outputs/sample --force
    """
    _quiet_prefect(verbose)
    from themes import export, guard
    from themes.ingest import InputSpec
    from themes.settings import RunSettings

    guard.show_warnings()
    guard.handle_interrupts()
    guard.reap_orphaned_servers()
    out = out or Path("outputs") / input_file.stem
    codebooks = codebook or [DEFAULT_CODEBOOK]
    if (device or os.environ.get("THEMES_DEVICE") or "auto") not in defaults.DEVICES:
        _fail(_device_message(device))
    spec = InputSpec(id_column=id_column, text_columns=tuple(text_column or ()),
                     meta_columns=tuple(meta_column or ()), question_column=question_column,
                     answer_column=answer_column, sheet=sheet, attribute_with=tuple(attribute_with or ()),
                     header_row=header_row, question_as=_question_pairs(question_as or []))
    from pydantic import ValidationError

    if not any(x.strip() for x in languages.split(",")):  # "" or ",": the screen was off, with no word
        _fail("--languages needs at least one language code: --languages en (the default), or en,es for two.")
    try:
        from themes.codebook import load_codebook, merge_codebooks

        # A codebook error is the commonest mistake: report it before anything slow.
        merge_codebooks([load_codebook(path) for path in codebooks])
        settings = RunSettings(
            codebooks=tuple(str(path) for path in codebooks), calibration=str(calibration) if calibration else None,
            model=model,
            backend=backend, quotes_per_theme=quotes_per_theme, max_words=max_words,
            coded_sample=tuple(str(path) for path in coded_sample or ()), min_group=min_group,
            languages=tuple(x.strip() for x in languages.split(",") if x.strip()),
            cache_dir=None if no_cache else (str(cache_dir) if cache_dir else RunSettings().cache_dir),
            workers=workers, dask_address=dask_address, show_progress=not quiet and sys.stderr.isatty(), title=title,
            **({"device": device} if device else {}))
        _check_device(settings.device, settings.backend)
        from themes.embed import check_model

        check_model(settings.model)
        # The input, the calibrations and the output folder, before Prefect's server and the model start.
        spec, announced = _plan(input_file, settings, spec)
        if input_file.absolute().resolve().parent == out.absolute().resolve() and input_file.name in export.RUN_FILES:
            # the run writes that very file anew (a user's own files there are kept, and moved into the new folder)
            raise ThemesError(f"The input {input_file} is one of the files the run writes into --out {out}; copy it "
                              "elsewhere first or choose another --out.")
        # The output folder, Prefect's server and home, a Dask scheduler: before anything slow.
        guard.preflight(out, force=force, dask_address=settings.dask_address, workers=settings.workers)
    except ThemesError as error:
        _fail(str(error))
    except ValidationError as error:  # settings out of range
        _fail(_option_error(error))
    if not quiet:
        typer.echo("\n".join(announced), err=True)
    summary = _run_with_progress(input_file, out, settings, spec, force, quiet)
    if quiet:
        _print_warnings(summary)
        typer.echo(str(out))
        return
    _print_summary(summary)


def _plan(input_file: Path, settings, spec) -> tuple[object, list[str]]:
    """Read the input and find each codebook's calibration, as the run will: every input mistake is one
    line before anything slow starts. Returns the resolved columns (the run reads them as given) and
    the block that announces what was read and guessed."""
    from themes.calibrate import check_calibration_option, fit_lines, load_calibration, locate_calibration
    from themes.infer import announcement
    from themes.ingest import load_answers
    from themes.questions import calibration_questions, given_as, given_where, new_questions_lines

    check_calibration_option(settings.codebooks, settings.calibration)
    for path in settings.coded_sample:
        if not Path(path).is_file():
            raise ThemesError(f"Coded sample not found: {path}. Check --coded-sample.")
    answers, spec, problems = load_answers(input_file, spec)
    lines = announcement(spec, input_file, respondents=int(answers["respondent_id"].nunique()),
                         answers=len(answers), problems=problems)
    lines += _empty_breakdown_lines(answers, spec.meta_columns, settings.min_group)
    if settings.coded_sample:
        lines.append(_coded_sample_line(settings, answers))
    others = [code for code in settings.languages if code != "en"]
    if others:  # --languages codes answers the language screen would set aside: by what, and with what measured
        english_only = (" (English only: pass a multilingual --model)" if settings.model == defaults.DEFAULT_MODEL
                        else "")
        lines.append(f"  languages  {', '.join(settings.languages)}: answers in {', '.join(others)} are coded by "
                     f"{settings.model}{english_only}, against the codebook's English examples and calibration; "
                     "agreement on them is not measured")
    questions = list(dict.fromkeys(answers["question"]))
    calibrations = []
    for path in settings.codebooks:
        found, where = locate_calibration(path, settings.calibration)
        calibrations.append((path, found, where, load_calibration(found) if found is not None else None))
    # --question-as: each a question of the survey, each name one a calibration learned; one line if not
    given = given_as(spec.question_as, questions, [q for *_, c in calibrations for q in calibration_questions(c)],
                     given_where(spec))
    for path, found, where, calibration in calibrations:  # an unreadable calibration was one line above
        lines.append(f"  codebook   {path}; calibration " + (f"{found.name} ({where})" if found else where))
        if calibration is not None:
            lines += fit_lines(path, calibration)
            lines += _other_model_line(calibration, settings.model)
            lines += _own_codings_line(calibration)
            lines += new_questions_lines(questions, calibration, dict(spec.question_labels), given)
        elif settings.method == "auto":
            lines += _zero_shot_line(path)
            if len(settings.codebooks) > 1:
                lines += _no_negatives_line(path)
    return spec, lines


def _question_pairs(given: list[str]) -> tuple[tuple[str, str], ...]:
    """`--question-as QUESTION=NAME` options as (question, name) pairs; a name holds no "=", so the last one splits."""
    pairs = []
    for item in given:
        question, _, name = item.rpartition("=")
        if not question.strip() or not name.strip():
            _fail(f"--question-as {item!r}: write the survey's question, '=' and the calibration's question, e.g. "
                  "--question-as \"What has made this partnership effective?=effective_practices\".")
        pairs.append((question.strip(), name.strip()))
    return tuple(pairs)


def _empty_breakdown_lines(answers, columns, min_group: int) -> list[str]:
    """A metadata column no value of which is held by --min-group respondents: its breakdown hides every group. Said
    before the run, or a column of a value per respondent (a date, a code) gave a report section of nothing. And one
    of a survey tool's numeric codes, whose groups read "1", "2", "3"."""
    import pandas as pd

    lines = []
    # Of the respondents who answered something: one who left every answer blank is in no breakdown's group
    answered = answers[answers["answer_raw"].map(lambda v: str(v).strip() not in ("", "nan", "None"))] \
        if "answer_raw" in answers.columns else answers
    for column in (c for c in columns if c in answered.columns):
        values = answered.drop_duplicates("respondent_id")[column].map(lambda v: str(v).strip() if pd.notna(v) else "")
        sizes = values[~values.str.casefold().isin(("", "unknown", "nan"))].value_counts()  # a blank is no value
        if len(sizes) and sizes.max() < min_group:
            lines.append(f"  metadata   '{column}' has {len(sizes)} value{'s' * (len(sizes) != 1)}, none held by "
                         f"{min_group} respondents (--min-group): its breakdown will show no group")
        elif 2 <= len(sizes) <= 12 and all(v.isdigit() and int(v) < 100 for v in sizes.index):
            # REDCap's raw export, or Qualtrics's numeric values: the report's groups would read "1", "2", "3"
            shown = ", ".join(sorted(sizes.index, key=int)[:5]) + (", ..." if len(sizes) > 5 else "")
            lines.append(f"  metadata   '{column}' holds numbers ({shown}), a survey tool's codes for its choices: "
                         "the breakdown's groups will read as those numbers (export the choices' labels: REDCap's "
                         "'labels' export, Qualtrics's 'Use choice text')")
    return lines


def _no_negatives_line(path: str) -> list[str]:
    """A codebook beside others, learned from its examples alone, with no text that carries none of its themes: each
    theme's only negatives are its few siblings' examples (a discovered theme of 9 examples flagged 100% of
    respondents beside the shipped codebook, 17% alone in one codebook with the others' themes)."""
    from themes.codebook import load_codebook

    codebook = load_codebook(path)
    if not codebook.has_examples() or codebook.none_examples or any(c.theme.counter_examples
                                                                    for c in codebook.categories):
        return []
    return [f"  negatives  {path} has no none_examples and no counter_examples: its themes learn what they are not "
            "from each other's examples alone, so they may flag most answers; add none_examples (passages that carry "
            "none of its themes), or merge it into the other codebook"]


def _own_codings_line(calibration) -> list[str]:
    """A calibration learned from a QDA project whose codings were mostly the run's own, said at every run that uses
    it: at calibrate it was said once, in the console (review 145)."""
    said = calibration.gold_coded_by or ""
    if "the run's own" not in said and "against itself" not in said:
        return []
    return [f"  calibration learned from {Path(calibration.gold_file or 'a project').name}, coded by {said}"]


def _other_model_line(calibration, model: str) -> list[str]:
    """A calibration tuned with another embedding model: its passages are learned again in this model's space, but
    its thresholds were chosen for the other's scores. Said, not refused (a multilingual model on the shipped
    calibration is a choice)."""
    if not calibration.model or Path(calibration.model).name == Path(model).name:
        return []
    return [f"  calibration made with the model {calibration.model}; this run embeds with {model}: its thresholds "
            "were tuned on the other model's scores (themes calibrate --model re-tunes them for this one)"]


def _zero_shot_line(path: str) -> list[str]:
    """An uncalibrated codebook learns from its examples only when every category has enough: one with too few
    makes the whole codebook zero-shot, which agrees far less with people. Said, with the categories to fill."""
    from themes.codebook import load_codebook

    codebook = load_codebook(path)
    if codebook.has_examples():
        return []
    return [f"  method     zero-shot (similarity to each category's definition and examples): "
            f"{_few_examples(codebook)}; add examples (on the sample's test split zero-shot agrees at kappa 0.525, "
            "the classifier learned from the examples at 0.649)"]


def _few_examples(codebook) -> str:
    """The categories with fewer than 3 examples, and why it matters."""
    few = [f"'{c.id}' ({len(c.theme.examples)})" for c in codebook.categories if len(c.theme.examples) < 3]
    listed = ", ".join(few[:4]) + (f" and {len(few) - 4} more" if len(few) > 4 else "")
    return (f"{listed} {'has' if len(few) == 1 else 'have'} fewer than 3 examples, and the classifier learns from "
            "examples only when every category has 3 or more")


def _gold_plan(gold: Path, settings, split: str | None, input_file: Path | None, out: Path | None = None,
               force: bool = False, *, learning: bool = False) -> list[str]:
    """The gold file read as evaluate and calibrate will read it, before the model starts: a mistake in it is
    one line now, and the columns taken for passages and codes are announced."""
    from themes import export
    from themes.codebook import load_codebook
    from themes.evaluate import gold_announcement
    from themes.flows.agreement import load_gold

    codebook = load_codebook(settings.codebook)
    if out is not None:
        export.check_output_folder(out, force=force, owned=export.EVALUATION_FILES)
    frame = load_gold.fn(str(gold), codebook, split, str(input_file) if input_file else None, None)
    lines = gold_announcement(frame, gold, split, learning=learning)
    text = frame.attrs.get("read", {}).get("text", "")
    if input_file is not None and text.startswith("'"):  # the file holds its passages: nothing is looked up
        lines.append(f"  input      {input_file} not used: the passages are the file's {text} column (--input looks "
                     "up passages named only by respondent_id + question)")
    if not learning:  # evaluate codes with the calibration a run would use: which, said as a run says it
        from themes.calibrate import load_calibration, locate_calibration, unknown_codes_lines
        from themes.questions import new_questions_lines

        found, where = locate_calibration(settings.codebook, settings.calibration)
        lines.append("  calibration " + (f"{found.name} ({where})" if found else where))
        if found is not None:
            calibration = load_calibration(found)
            lines += unknown_codes_lines(settings.codebook, calibration)
            lines += _other_model_line(calibration, settings.model)
            if "question" in frame.columns:
                lines += new_questions_lines([str(q) for q in frame["question"] if q == q and q], calibration,
                                             remedy="gold")
        elif settings.method == "auto":  # as a run says it: the figure below is zero-shot's
            lines += _zero_shot_line(settings.codebook)
    return lines


def _coded_sample_line(settings, answers) -> str:
    """The coded sample read as the run will read it (an unknown code or key is one line now), and what it holds."""
    from themes.codebook import load_codebook, merge_codebooks
    from themes.evaluate import check_coded_sample, codable_only, coded_sample_name, coded_sample_note, \
        learned_answers, none_marks_note, not_coded_note, read_coded_sample
    from themes.status import screen_answers

    codebook = merge_codebooks([load_codebook(path) for path in settings.codebooks])
    # Screened as the run screens them (another language included): a coded answer the run will not code is said now.
    screened = screen_answers(answers, max_words=settings.max_words, languages=settings.languages)
    coded, left_out = codable_only(read_coded_sample(settings.coded_sample, codebook, screened), settings.coded_sample,
                                   screened)
    if left_out:
        typer.echo(f"warning: {left_out}", err=True)
    # Another survey's sample, or questions renamed since: said now, not after the model has embedded the survey.
    for warning in check_coded_sample(coded, settings.coded_sample, screened, codebook):
        typer.echo(f"warning: {warning}", err=True)
    line = f"  coded      {coded_sample_name(settings.coded_sample)}: {len(coded)} coded answers"
    # Those the classifier learned from are left out of its agreement and error rates: the count it uses is said
    # here, not only in the report (a reviewer read "120 coded answers" and the report's 112).
    learned = int(learned_answers(screened, coded, _books(settings)).sum())
    used = len(coded) - learned
    if learned:
        line += f", {used} used ({learned} " + ("are passages the classifier learned from, or copies of them)"
                                                 if learned > 1 else "is a passage the classifier learned from, or a "
                                                 "copy of one)")
    rows = coded.attrs.get("not_coded", 0)
    too_few = (f"fewer than the {settings.min_coded} an estimate needs, so the counts stay raw (code more: themes "
               "sample --exclude)") if used < settings.min_coded else ""
    two = coded.attrs.get("two_types") or []
    two_note = (f"{len(two)} row{'s' * (len(two) != 1)} code{'s' * (len(two) == 1)} two types of one dimension (row "
                f"{two[0][0]}: "
                f"{two[0][1]} {', '.join(two[0][2])}), read as the most integrated" if two else "")
    none_note = none_marks_note(coded.attrs["none_marks"]) if coded.attrs.get("none_marks") else ""
    notes = [not_coded_note(rows, coded.attrs.get("codes_elsewhere"), coded.attrs.get("not_coded_marks")) if rows
             else "", none_note, too_few, two_note,
             coded_sample_note(coded, codebook)]
    return "; ".join([line, *(note for note in notes if note)])


def _books(settings) -> list[tuple]:
    """Each codebook of the run with its calibration (None where it has none), as the run's coder learns them."""
    from themes.calibrate import load_calibration, locate_calibration
    from themes.codebook import load_codebook

    books = []
    for path in settings.codebooks:
        found, _ = locate_calibration(path, settings.calibration)
        books.append((load_codebook(path), load_calibration(found) if found is not None else None))
    return books


def _option_error(error) -> str:
    """A setting out of range in the house style: the option, what is allowed, what was given."""
    from themes.settings import RunSettings

    problem = error.errors()[0]
    name = str(problem["loc"][0]) if problem["loc"] else "setting"
    option = "--" + name.replace("_", "-")
    field = RunSettings.model_fields.get(name)
    bounds = {type(m).__name__: getattr(m, type(m).__name__.lower(), None) for m in (field.metadata if field else [])}
    low, high = bounds.get("Ge"), bounds.get("Le")
    if low is not None and high is not None:
        allowed = f"must be in [{low}, {high}]"
    elif low is not None:
        allowed = f"must be {low} or more"
    elif high is not None:
        allowed = f"must be {high} or less"
    elif problem["type"] == "string_pattern_mismatch":
        allowed = "must be one of " + problem["ctx"]["pattern"].strip("^$()").replace("|", ", ")
    else:
        allowed = problem["msg"].removeprefix("Value error, ").rstrip(".").lower()
    given = problem.get("input")
    given = ",".join(map(str, given)) if isinstance(given, (tuple, list)) else given
    return f"{option} {allowed}. Got {given} instead."


def _run_with_progress(input_file: Path, out: Path, settings, spec, force: bool, quiet: bool) -> dict:
    import threading

    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    from themes.embed import get_embedder

    progress = Progress(SpinnerColumn(finished_text="done"), TextColumn("{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(), transient=True,
                        disable=not settings.show_progress)
    tasks: dict[str, int] = {}
    lock = threading.Lock()
    model_stage = "loading the model"  # loads beside the server start and the first stages: closed by itself

    def hook(stage: str, done: int, total: int) -> None:
        with lock:
            if stage not in tasks:
                for name, task_id in tasks.items():  # a new stage of the flow: the ones before it are over
                    if stage != model_stage and name != model_stage:
                        progress.update(task_id, completed=progress.tasks[task_id].total)
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

    server = "connecting to Prefect" if os.environ.get("PREFECT_API_URL") else "starting Prefect's server"
    hook(server, 0, 1)

    # Load the model while Prefect starts its temporary server: both take ~10 s, in parallel.
    def warm() -> None:
        hook(model_stage, 0, 1)
        try:
            embedder = get_embedder(settings.model, backend=settings.backend, batch_size=settings.batch_size,
                                    onnx_file=settings.onnx_file, device=settings.device, fp16=settings.fp16)
            if hasattr(embedder, "load"):
                embedder.load()
        except ThemesError:
            pass  # reported when the flow needs the model
        hook(model_stage, 1, 1)

    if not (settings.workers or settings.dask_address):
        threading.Thread(target=warm, daemon=True).start()

    finished = threading.Event()

    def note_servers() -> None:  # so that the next run can end a server this process leaves when killed
        from themes.guard import record_servers

        while not finished.wait(0.5):
            record_servers()

    threading.Thread(target=note_servers, daemon=True).start()
    if not os.environ.get("PREFECT_API_URL"):
        from themes.guard import servers_in_their_own_session

        servers_in_their_own_session()
    from themes.flows import code_responses as flow_module
    from themes.guard import quiet_unheard_services

    quiet_unheard_services()
    flow_module.progress_hook = hook
    try:
        with progress:
            return flow_module.run_flow(str(input_file), str(out), settings, spec, force=force, checked=True)
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
    backend: BackendOption = "torch",
    device: DeviceOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a previous evaluation folder.")] = False,
) -> None:
    """Agreement with human coding: per-theme precision, recall, F1, kappa, alpha; primary-theme kappa;
    confusion table; disagreements.csv (most confident mistakes first).

    Example: themes evaluate --gold data/sample_rfi/gold.csv --split test
    """
    _quiet_prefect()
    settings = _settings(codebook, calibration, model, device, backend)
    out = out or Path("outputs") / (f"evaluation-{gold.stem}" + (f"-{split}" if split else ""))
    from themes.flows.agreement import evaluate_agreement
    from themes.guard import check_writable_parent

    try:
        check_writable_parent(out.resolve() if out.is_symlink() else out)  # before the model, not after it
        typer.echo("\n".join(_gold_plan(gold, settings, split, input_file, out, force)), err=True)
    except ThemesError as error:
        _fail(str(error))
    try:
        result = evaluate_agreement(gold_path=str(gold), out=str(out), settings=settings, split=split,
                                    input_path=str(input_file) if input_file else None, force=force)
    except ThemesError as error:
        _fail(str(error))
    overall = result["overall"]
    left_out = [f"{result['left_out']} left out: the classifier learned from them, or from copies of them"] \
        if result["left_out"] else []
    if result.get("set_aside"):  # a run never codes them: a coder's 'none' for each agreed with the run's
        left_out.insert(0, f"{result['set_aside']} set aside, as a run sets aside placeholders ('N/A') and answers in "
                           "another language")
    left_out = f" ({'; '.join(left_out)})" if left_out else ""
    if result.get("read_without_attribution"):
        count = result["read_without_attribution"]
        typer.echo(f"Read {count} passage{'s' if count > 1 else ''} without a report's attribution ('One CBO director "
                   "said that ...'): coded as what was said.")
    if result["per_theme"]:
        typer.echo(f"Agreement on {overall['passages']} passages{left_out}: Cohen's kappa (primary theme, 'none' a "
                   f"class) {_figure(overall['primary_kappa'])}, Krippendorff's alpha "
                   f"{_figure(overall['primary_alpha'])}, macro F1 {_figure(overall['macro_f1'])}")
        typer.echo(f"{'theme':<24}{'precision':>10}{'recall':>8}{'F1':>7}{'kappa':>7}")
        for row in result["per_theme"]:
            typer.echo(f"{row['theme']:<24}{_figure(row['precision']):>10}{_figure(row['recall']):>8}"
                       f"{_figure(row['f1']):>7}{_figure(row['kappa']):>7}")
        without = result.get("coded_without") or []
        if without:  # precision 0.000 on a theme the coders never had, above "not measured" (review 160)
            it = "it" if len(without) == 1 else "them"
            typer.echo(f"n/a for {', '.join(without)}: not measured, the coding workbook's Instructions do not list "
                       f"{it} (drawn before the codebook had {it}); the model's codes of {it} are set aside.")
        unmeasured = [row["theme"] for row in result["per_theme"] if row["gold"] == 0 and row["theme"] not in without]
        if unmeasured:
            typer.echo(f"n/a for {', '.join(unmeasured)}: not measured, no coded passages carry "
                       f"{'it' if len(unmeasured) == 1 else 'them'}.")
        from themes.evaluate import FEW_CODED

        few = [f"{row['theme']} ({row['few']})" for row in result["per_theme"] if row.get("few")]
        if few:
            counted = (f"; the macro F1 above still counts {'its' if len(few) == 1 else 'their'} F1"
                       if overall["macro_f1"] is not None else "; so no theme is measured, nor the primary theme's "
                       "kappa and alpha, nor the macro F1: code more passages")
            typer.echo(f"n/a for {', '.join(few)}: not measured, fewer than {FEW_CODED} coded passages carry "
                       f"{'it' if len(few) == 1 else 'them'} (the number in brackets){counted}.")
        rare = [f"{row['theme']} ({row['few_predicted']})" for row in result["per_theme"] if row.get("few_predicted")]
        if rare:
            typer.echo(f"precision n/a for {', '.join(rare)}: the model coded fewer than {FEW_CODED} passages with "
                       f"{'it' if len(rare) == 1 else 'them'} (the number in brackets).")
        # a theme the coders used that the model never gave: its precision (0 of 0) is n/a too, and was unsaid
        never = [row["theme"] for row in result["per_theme"] if row["gold"] and not row.get("predicted")
                 and row.get("precision") is None]
        if never:
            typer.echo(f"precision n/a for {', '.join(never)}: the model coded no passage with "
                       f"{'it' if len(never) == 1 else 'them'}.")
    if result["per_dimension"]:
        typer.echo(f"Agreement per dimension on {overall['passages']} passages{left_out} ('none' = not addressed, "
                   "a class):")
        typer.echo(f"{'dimension':<24}{'addressed':>10}{'type acc.':>10}{'kappa':>7}{'alpha':>7}")
        for row in result["per_dimension"]:
            typer.echo(f"{row['dimension']:<24}{row['gold_addressed']:>10}{_figure(row['type_accuracy']):>10}"
                       f"{_figure(row['kappa']):>7}{_figure(row['alpha']):>7}")
    from themes.evaluate import few_passages_note

    # Only over a figure shown: every one n/a, "read it as a rough sign" named nothing (review 173)
    shown = [overall.get(k) for k in ("primary_kappa", "primary_alpha", "macro_f1")] + [
        row.get(k) for row in result["per_theme"] for k in ("precision", "recall", "f1", "kappa")] + [
        row.get(k) for row in result["per_dimension"] for k in ("type_accuracy", "kappa", "alpha")]
    if (few := few_passages_note(overall["passages"])) and any(value is not None for value in shown):
        typer.echo(f"warning: {few}.", err=True)
    typer.echo(f"Wrote {out}/: {', '.join(result['files'])}")


@app.command("calibrate")
def calibrate(
    gold: Annotated[Path, typer.Option("--gold", help="Human-coded passages to learn thresholds from. "
                                       "Example: --gold data/sample_rfi/gold.csv")],
    split: Annotated[Optional[str], typer.Option(help="Only rows of this 'split' value [default: "
                                                 "'calibration' when the file has a split column]. "
                                                 "Example: --split calibration")] = None,
    codebook: OwnCodebookOption = DEFAULT_CODEBOOK,
    output: Annotated[Optional[Path], typer.Option(help="Where to save [default: "
                                                   "<codebook>.calibration.json, which 'themes run' picks up]. "
                                                   "Example: --output my.calibration.json")] = None,
    folds: Annotated[int, typer.Option(min=2, max=20, help="Cross-validation folds. Example: --folds 10")] = 5,
    input_file: Annotated[Optional[Path], typer.Option("--input", help="Survey export to look up passages "
                                                       "given by respondent_id + question. Example: "
                                                       "--input data/sample_rfi/responses.csv")] = None,
    model: Annotated[str, typer.Option(help="Embedding model. Example: --model all-MiniLM-L6-v2")]
    = defaults.DEFAULT_MODEL,
    backend: BackendOption = "torch",
    device: DeviceOption = None,
) -> None:
    """Learn per-theme thresholds (and training passages) from a coded sample by cross-validation;
    report cross-validated agreement; save them beside the codebook.

    Example: themes calibrate --gold data/sample_rfi/gold.csv --split calibration
    """
    _quiet_prefect()
    settings = _settings(codebook, None, model, device, backend)
    if split is None and _has_split_column(gold):
        split = "calibration"
    from themes.calibrate import calibration_path
    from themes.flows.agreement import calibrate_codebook

    target = Path(output) if output else calibration_path(settings.codebook)
    try:
        _check_calibration_target(target, given=output is not None)  # before the cross-validation, not after it
        replaced = _calibration_described(target) if target.is_file() else None  # said once it is replaced
        # ... or the shipped calibration a copy of a shipped codebook found by its content: lost with no word, its
        # 2,455 passages for 60 (review 173)
        superseded = _shipped_in_use(settings.codebook) if output is None and replaced is None else None
        typer.echo("\n".join(_gold_plan(gold, settings, split, input_file, learning=True)), err=True)
        if output is None:  # after the coded file's own errors, before the cross-validation
            _refuse_shipped_calibration(codebook)
        result = calibrate_codebook(gold_path=str(gold), settings=settings, split=split,
                                    output=str(output) if output else None, folds=folds,
                                    input_path=str(input_file) if input_file else None)
    except ThemesError as error:
        _fail(str(error))
    report = result["report"]
    typer.echo(f"Calibrated on {report['passages']} passages{f' (split {split})' if split else ''}: "
               f"{report['summary']}.")
    from themes.evaluate import few_passages_note

    few = few_passages_note(report.get("measured", report["passages"]))
    if few and report.get("primary_kappa") is not None:
        typer.echo(f"warning: cross-validated {few}.", err=True)
    typer.echo("Thresholds: " + ", ".join(f"{k} {v:.2f}" for k, v in result["thresholds"].items()))
    if report.get("set_in_codebook"):
        typer.echo("Set in the codebook (a run uses them; kept as they are while the others were tuned): "
                   + ", ".join(f"{k} {v:.2f}" for k, v in report["set_in_codebook"].items()))
    if report.get("not_tuned"):
        from themes.calibrate import MIN_TO_TUNE

        typer.echo(f"Not tuned (fewer than {MIN_TO_TUNE} coded passages carry them; they keep the default): "
                   + ", ".join(report["not_tuned"]))
    beside = Path(result["path"]).resolve() == calibration_path(settings.codebook).resolve()
    used = "'themes run' with this codebook now uses it" if beside else \
        f"'themes run --calibration {result['path']}' uses it (only the one beside the codebook is found by itself)"
    typer.echo(f"Saved {result['path']}; {used}. The vectors of the texts it learns from are in {result['vectors']} "
               f"and the classifiers fitted on them in {result['models']}: keep both beside the calibration.")
    if replaced:
        typer.echo(f"It replaced the calibration that was there: {replaced}.")
    if superseded:
        typer.echo(f"It takes the place of the shipped calibration that runs of this codebook used until now, found "
                   f"by its content: {superseded[1]}. To go back to it, delete {result['path']}; to learn from its "
                   f"passages too, add the coded passages it learned from ({superseded[0]}) to your coded file.")


def _refuse_shipped_calibration(codebook: Path) -> None:
    """A shipped codebook, by its name ("rfi_themes", the default) or a path to it, is calibrated only with
    --output: saved beside it, the calibration replaced the one every run of that codebook uses, inside the installed
    package (review 145: `themes calibrate --gold my_coded.csv`, the README's own step, rewrote it; review 147: so did
    `--codebook codebooks/rfi_themes.yaml`, the help's example). To make the shipped one again, --output names it."""
    from themes.codebook import codebook_path, shipped_codebooks

    try:
        path = codebook_path(codebook).resolve()
    except ThemesError:
        return  # said by the calibration's own checks
    name = next((stem for stem, shipped in shipped_codebooks().items() if shipped.resolve() == path), None)
    if name is None:
        return
    _fail(f"'{codebook}' is the shipped codebook {name}, whose calibration every run of it uses: calibrating it here "
          f"would replace that one. Calibrate a copy (cp {path} my_{name}.yaml; then --codebook my_{name}.yaml), or "
          "save this calibration elsewhere with --output FILE.json and run with --calibration FILE.json.")


def _check_calibration_target(target: Path, *, given: bool = True) -> None:
    """The calibration can be saved at `target`: a .json file (not a folder) in a folder that takes a file."""
    from themes.errors import OutputError
    from themes.guard import check_writable_file

    if target.is_dir():
        raise ThemesError(f"--output {target} is a folder; name the file to write, e.g. --output "
                          f"{target / 'my.calibration.json'}.")
    if target.suffix.lower() != ".json":
        raise ThemesError(f"--output {target} does not end in .json, the format a calibration is saved in; name it so, "
                          f"e.g. --output {target.with_suffix('.json')}.")
    try:
        check_writable_file(target, "--output")
    except OutputError:
        if given:
            raise
        raise OutputError(f"The calibration is saved beside the codebook by default, and {target.parent} does not "
                          "take a file (read-only?); pass --output with a writable place, e.g. --output "
                          f"{Path.home() / target.name}.") from None


def _shipped_in_use(codebook) -> tuple[str, str] | None:
    """(the coded file it learned from, the calibration in a phrase) where a codebook with no calibration beside it
    runs with a shipped one matched by its content (a copy of a shipped codebook); None otherwise."""
    from themes.calibrate import load_calibration, locate_calibration

    try:
        path, source = locate_calibration(codebook, None)
        if path is None or not source.startswith("matched by"):
            return None
        learned = load_calibration(path).gold_file
    except ThemesError:
        return None
    return (Path(learned).name if learned else "the coded file"), _calibration_described(path)


def _calibration_described(path: Path) -> str:
    """A calibration in a phrase: what it learned from, its cross-validated kappa, when it was made."""
    from themes.calibrate import load_calibration

    try:
        calibration = load_calibration(path)
    except ThemesError:
        return "a file that could not be read as a calibration"
    source = Path(calibration.gold_file).name if calibration.gold_file else "a coded file"
    split = f", split {calibration.gold_split}" if calibration.gold_split else ""
    kappa = (calibration.cross_validated or {}).get("primary_kappa")
    return (f"{len(calibration.passages)} passages of {source}{split}" + (f", cross-validated kappa {kappa:.2f}"
            if isinstance(kappa, (int, float)) else "") + f", made {str(calibration.created)[:10]}")


def _figure(value) -> str:
    """A statistic to three decimals, or "n/a" where it has no basis (nothing coded to agree on)."""
    return "n/a" if value is None else f"{value:.3f}"


def _settings(codebook: Path, calibration: Path | None, model: str, device: str | None = None,
              backend: str = "torch"):
    from pydantic import ValidationError

    from themes.codebook import load_codebook
    from themes.settings import RunSettings

    try:
        load_codebook(codebook)
        settings = RunSettings(codebook=str(codebook), calibration=str(calibration) if calibration else None,
                               model=model, backend=backend, **({"device": device} if device else {}))
        _check_device(settings.device, settings.backend)
        from themes.embed import check_model

        check_model(settings.model)
    except ThemesError as error:
        _fail(str(error))
    except ValidationError as error:  # the device or the backend
        _fail(_device_message(device) if error.errors()[0]["loc"] == ("device",) else _option_error(error))
    return settings


def _check_device(device: str, backend: str = "torch") -> None:
    """A GPU asked for by name must be there, and the backend run on it: said before the server and the
    model start."""
    if device in ("cuda", "mps"):
        from themes.embed import check_backend, resolve_device

        check_backend(backend, device)
        resolve_device(device)


def _device_message(device: str | None) -> str:
    given = device or os.environ.get("THEMES_DEVICE")
    where = "--device" if device else "THEMES_DEVICE"
    return f"The '{where}' must be one of {list(defaults.DEVICES)}. Got {given!r} instead."


def _has_split_column(path: Path) -> bool:
    from themes.ingest import read_table, sheets_with_column

    if path.suffix.lower() == ".qdpx":  # a REFI-QDA project has no split column
        return False
    if not path.exists():
        _fail(f"Coded file not found: {path}. Check the --gold path.")
    try:
        # The sheet the codes are read from (evaluate.read_gold's): `themes sample`'s workbook opens with its
        # Instructions sheet, and its test rows were learned from, unsaid (review 155)
        sheets = sheets_with_column(path, "themes")
        return "split" in {c.lower() for c in read_table(path, sheet=sheets[0] if sheets else None).columns}
    except ThemesError as error:
        _fail(str(error))


def _interval(row: dict) -> str:
    if row["estimate"] != row["estimate"]:  # no coded answer carries it: nothing to estimate from
        return "not estimated"
    if row.get("low") != row.get("low"):  # raw: the coded sample does not code it, so there is no interval
        return "raw, not coded"
    return f"{row['estimate']:.1f}% ({row['low']:.1f}-{row['high']:.1f})"


def _print_summary(summary: dict) -> None:
    accounting = summary["accounting"]
    typer.echo(f"Coded {accounting['input_answers']} answers: " + ", ".join(
        f"{v} {k}" for k, v in accounting.items() if k != "input_answers" and v))
    if summary.get("sent_again"):
        n = summary["sent_again"]
        typer.echo(f"Read {n} submission{'s' * (n != 1)} as another's sent again (the same answers, one answer "
                   "edited, or the same sender's e-mail): counted once, as the fuller version (status duplicate; "
                   "responses.csv's reason names the one kept).")
    respondents, answers = summary.get("other_language_only") or (0, 0)
    if respondents:
        typer.echo(f"{respondents} respondent{'s' * (respondents != 1)} answered only in another language ({answers} "
                   f"answer{'s' * (answers != 1)}, status non_english): none is coded, so they are in no count's base. "
                   "Code them with --languages (e.g. en,es) and a multilingual --model.")
    if summary.get("read_without_attribution"):
        typer.echo(f"Read {summary['read_without_attribution']} of {summary['segments']} segments without a report's "
                   "attribution ('One CBO director said that ...'): coded as what was said; quotes and evidence show "
                   "them as written.")
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
        from themes.prevalence import too_few_coded

        few = too_few_coded([row.get("method", "") for row in rows])
        if summary.get("coded_all_learned"):
            typer.echo(f"Raw counts: all {summary['coded_all_learned']} answers of the coded sample are texts the "
                       "classifier learned from (codebook examples or calibration passages, or copies of them), so "
                       "none measured its error; code a sample of other answers (themes sample --exclude) for "
                       "estimates with intervals.")
        elif few:
            learned = summary.get("coded_learned") or 0
            held = (f"holds {few[0] + learned} coded answers; less the {learned} the classifier learned from (codebook "
                    f"examples or calibration passages, or copies of them), {few[0]} are" if learned else
                    f"holds {few[0]} coded answers,")
            typer.echo(f"Raw counts: the coded sample {held} fewer than the {few[1]} an "
                       "estimate needs (below that the intervals cover the truth too rarely); code more (themes sample "
                       "--exclude) for estimates with intervals.")
        else:
            typer.echo("Raw counts: no coded sample of this survey measured the classifier's error; pass "
                       "--coded-sample (see 'themes sample') for estimates with intervals.")
    _print_warnings(summary)
    typer.echo(f"Wrote {summary['out']}/: {', '.join(summary['files'])}")
    if summary.get("kept"):
        typer.echo(f"Kept in {summary['out']}/, as the folder it replaced held them (not a run's files): "
                   f"{', '.join(summary['kept'])}")
    if os.environ.get("PREFECT_API_URL") and summary.get("flow_run_url"):
        typer.echo(f"Flow run: {summary['flow_run_url']}")


def _print_warnings(summary: dict) -> None:
    """The run's warnings about its figures, which `--quiet` keeps as it keeps those before the run (review 174: it
    kept a coded sample's missing rows and dropped that the run agrees poorly with it)."""
    for key in ("unlike_survey", "disagreement", "own_examples"):
        if summary.get(key):
            typer.echo(f"warning: {summary[key]}", err=True)


def main() -> None:
    from themes.guard import main_boundary

    main_boundary(app)


from themes import cli_sample  # noqa: E402,F401  registers `themes sample` on `app`
import themes.cli_research  # noqa: E402,F401  (registers discover, diff and the REFI-QDA commands)
import themes.cli_serve  # noqa: E402,F401  (registers serve)

if __name__ == "__main__":
    # `python -m themes.cli`: this module runs as __main__, and the modules above registered their commands on
    # themes.cli, imported by name; this app lacked discover, diff, the REFI-QDA commands and serve (review 169).
    from themes.cli import main as _main

    _main()

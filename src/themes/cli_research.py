"""Commands of the researcher's loop, registered on `themes.cli.app`: discover, diff,
export-codebook, import-codebook, export-project. Each parses its arguments and calls one
function of `themes.research`; domain errors print one line and exit with status 2."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from themes.cli import DEFAULT_CODEBOOK, _fail, app
from themes.errors import ThemesError, shortened

RunDir = Annotated[Path, typer.Argument(metavar="RUN_DIR", help="The --out folder of a 'themes run'. "
                                        "Example: outputs/responses")]
Force = Annotated[bool, typer.Option("--force", help="Replace an existing output file.")]


@app.command("discover")
def discover(
    run_dir: RunDir,
    within: Annotated[Optional[str], typer.Option(help="Cluster this theme's passages into sub-themes instead of "
                                                  "the passages no theme caught. Example: --within trust")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for the files [default: "
                                                "RUN_DIR/discover, or RUN_DIR/discover-THEME]. "
                                                "Example: --out outputs/emergent")] = None,
    min_cluster_size: Annotated[Optional[int], typer.Option(min=2, help="Smallest cluster, in passages [default: "
                                                            "1% of the passages, at least 5]. "
                                                            "Example: --min-cluster-size 10")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Random seed (PCA, sampling): the same seed gives the same clusters. "
                                      "Example: --seed 7")] = 0,
    model: Annotated[Optional[str], typer.Option(help="Embedding model [default: the run's]. "
                                                 "Example: --model all-MiniLM-L6-v2")] = None,
    codebook: Annotated[Optional[Path], typer.Option("--codebook", "-c", help="Codebook the draft extends "
                                                     "[default: the run's]. Example: --codebook codebooks/"
                                                     "rfi_themes.yaml")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the files of an earlier discover in the folder "
                                        "(an edited codebook_draft.yaml included).")] = False,
) -> None:
    """Cluster the passages no theme caught into emergent themes; write emergent_themes.csv, a report
    section (emergent_themes.md), each passage's cluster and a codebook draft with one candidate theme
    per cluster.

    Example: themes discover outputs/responses
    """
    from themes.cli import _quiet_prefect
    from themes.research import DRAFT, EMERGENT_CSV, EMERGENT_MD, EMERGENT_PASSAGES, discover_run, \
        refuse_replacing
    from themes.safe import MANIFEST

    _quiet_prefect()
    # discover_run's default folder: the check comes before the embedding, and a draft the user edited stays.
    folder = out or run_dir / (f"discover-{within}" if within else "discover")
    try:
        if out is not None and (out / MANIFEST).is_file():  # as diff refuses: a run's folder holds its own files
            raise ThemesError(f"--out {out} is a run folder (it holds {MANIFEST}); write the clusters to a folder of "
                              f"their own, e.g. --out {out / 'discover'}.")
        refuse_replacing(folder, [DRAFT, EMERGENT_MD, EMERGENT_CSV, EMERGENT_PASSAGES], force)
        result = discover_run(run_dir, out=out, within=within, model=model, codebook=codebook,
                              min_cluster_size=min_cluster_size, seed=seed)
    except ThemesError as error:
        _fail(str(error))
    clusters = result["clusters"]
    for note in result["notes"]:
        typer.echo(f"note: {note}")
    typer.echo(f"{result['considered']} {result['scope']} ({result['respondents']} respondents): "
               f"{result['clustered']} in {len(clusters)} clusters, "
               f"{result['considered'] - result['clustered']} unclustered.")
    if len(clusters):
        typer.echo("")
        typer.echo(f"{'cluster':>7}  {'passages':>8}  {'respondents':>11}  words")
        for row in clusters.itertuples():
            typer.echo(f"{row.cluster:>7}  {row.passages:>8}  {row.respondents:>11}  {row.words}")
    typer.echo("")
    typer.echo(f"Wrote {result['out']}/: {', '.join(result['files'])}")


@app.command("diff")
def diff(
    run_a: Annotated[Path, typer.Argument(metavar="RUN_A", help="The earlier run's folder. Example: outputs/before")],
    run_b: Annotated[Path, typer.Argument(metavar="RUN_B", help="The later run's folder. Example: outputs/after")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Also write diff.md, diff_themes.csv and "
                                                "diff_changes.csv (every changed answer) here. "
                                                "Example: --out outputs/diff")] = None,
    examples: Annotated[int, typer.Option(min=0, max=20, help="Example passages per theme and direction. "
                                          "Example: --examples 3")] = 2,
    force: Annotated[bool, typer.Option("--force", help="Replace the files of an earlier diff in --out.")] = False,
) -> None:
    """What changed between two runs of the same survey (say, before and after a codebook edit): per theme
    the respondents and answers gained and lost, example passages, and each side's thresholds and
    codebook hashes.

    Example: themes diff outputs/before outputs/after --out outputs/diff
    """
    from themes.research import diff_run_folders, refuse_replacing
    from themes.rundiff import COLUMNS_READ, DIFF_FILES, coded_only_in, notes, threshold_text, unrecorded
    from themes.safe import MANIFEST

    try:
        if out is not None and (out / MANIFEST).is_file():
            raise ThemesError(f"--out {out} is a run folder (it holds {MANIFEST}); write the diff to a folder of its "
                              f"own, e.g. --out {out.parent / 'diff'}.")
        if out is not None:
            refuse_replacing(out, DIFF_FILES, force)
        result = diff_run_folders(run_a, run_b, out=out, examples=examples)
    except ThemesError as error:
        _fail(str(error))
    d = result["diff"]
    for side in ("a", "b"):
        info = d.sides[side]
        typer.echo(f"{side.upper()}: {info['folder']}  codebook {info['codebook']} (content hash "
                   f"{info['codebook_content_hash']}), model {info['model']}, {info['answers']} answers")
    if d.same_input is False:
        typer.echo("note: the two runs read different input files; only answers in both are compared.")
    elif d.same_input is None:
        said = unrecorded(d)
        typer.echo(f"note: {said[0].lower()}{said[1:]}; only answers in both are compared.")
    for note in notes(d):
        typer.echo(f"note: {note}")
    if d.edited and not d.other_people:  # else a note above says they may be other people's
        typer.echo(f"note: {d.edited} answer{'s' if d.edited != 1 else ''} in both runs read differently (edited in "
                   "the later export): their changes come with their text, not the coding (answer_edited in "
                   "diff_changes.csv).")
    typer.echo("")
    width = max([28, *(len(theme) + 2 for theme in d.themes["theme"])])  # framework types are long
    typer.echo(f"{'':<{width}}{'respondents':^30}{'answers':^16}{'threshold':^16}")
    typer.echo(f"{'theme':<{width}}{'A':>8}{'B':>8}{'gained':>8}{'lost':>6}{'gained':>8}{'lost':>8}{'A':>8}{'B':>8}")
    for row in d.themes.itertuples():
        side = coded_only_in(row)
        changed = (f"{f'coded in {side.upper()} only':>30}" if side else
                   f"{row.respondents_gained:>8}{row.respondents_lost:>6}{row.answers_gained:>8}{row.answers_lost:>8}")
        typer.echo(f"{row.theme:<{width}}{row.respondents_a if row.in_a else '-':>8}"
                   f"{row.respondents_b if row.in_b else '-':>8}{changed}"
                   f"{threshold_text(row.threshold_a):>8}{threshold_text(row.threshold_b):>8}")
    typer.echo(COLUMNS_READ)
    if result["examples"]:
        typer.echo("")
        for theme, change, passage in result["examples"]:
            typer.echo(f"{theme} {change}: \"{shortened(passage, 160)}\"")
    if result["files"]:
        typer.echo("")
        typer.echo(f"Wrote {out}/: {', '.join(result['files'])}")


@app.command("export-codebook")
def export_codebook(
    codebook: Annotated[Path, typer.Argument(help="Codebook YAML. Example: codebooks/rfi_themes.yaml")]
    = DEFAULT_CODEBOOK,
    format: Annotated[str, typer.Option("--format", help="Exchange format: qdc (REFI-QDA codebook). "
                                        "Example: --format qdc")] = "qdc",
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="File to write [default: the codebook's name "
                                                "with .qdc]. Example: --out rfi_themes.qdc")] = None,
    force: Force = False,
) -> None:
    """Write the codebook as a REFI-QDA codebook (.qdc) for NVivo, ATLAS.ti, MAXQDA, QualCoder: themes as
    codes, dimensions as groups of their types, definitions, notes and examples in the descriptions.

    Example: themes export-codebook codebooks/rfi_themes.yaml --format qdc --out rfi_themes.qdc
    """
    from themes.research import export_codebook as write

    if format.lower() != "qdc":
        _fail(f"The '--format' option must be qdc. Got '{format}' instead.")
    try:
        path = write(codebook, out, force=force)
        from themes.codebook import load_codebook
        from themes.refi import misread_descriptions

        warnings = misread_descriptions(load_codebook(codebook))
    except ThemesError as error:
        _fail(str(error))
    typer.echo(f"Wrote {path}")
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)


@app.command("import-codebook")
def import_codebook(
    qdc: Annotated[Path, typer.Argument(metavar="FILE.qdc", help="REFI-QDA codebook exported by a QDA tool, or a "
                                        "project (.qdpx) whose codebook to read. Example: my_codes.qdc")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="YAML to write [default: FILE.yaml]. "
                                                "Example: --out codebooks/my_codes.yaml")] = None,
    name: Annotated[Optional[str], typer.Option(help="The codebook's name [default: the file's name]. "
                                                "Example: --name 'Partnership themes'")] = None,
    only: Annotated[Optional[str], typer.Option("--set", help="Of a project (.qdpx) that holds several codebooks' "
                                                "code sets (a run with two codebooks, exported), the one to import, "
                                                "by name. Example: --set 'Partnership models framework'")] = None,
    force: Force = False,
) -> None:
    """Turn a REFI-QDA codebook (.qdc) into codebook YAML: code names as labels, descriptions as definitions,
    a grouping code's codes as themes (a dimension themes wrote stays one), GUIDs kept so a round trip keeps
    each code's identity.

    Example: themes import-codebook my_codes.qdc --out codebooks/my_codes.yaml
    """
    from themes.research import import_codebook as read

    try:
        path, notes = read(qdc, out, name=name, force=force, only=only)
    except ThemesError as error:
        _fail(str(error))
    typer.echo(f"Wrote {path}")
    for note in notes:
        typer.echo(f"  to do: {note}")
    from themes.calibrate import lost_by_edit

    try:
        lost = lost_by_edit(path)  # a label changed in the tool, and the shipped calibration no longer fitted, unsaid
    except ThemesError:  # a code with no description: its TODO definition, said above, is the user's next step
        lost = None  # (before, the YAML written and its to-do said, the command ended in 'error:' and exit 2)
    if lost:
        typer.echo(f"  to do: a run codes it uncalibrated (no calibration is made for its content). {lost}")
    typer.echo(f"Check it: themes validate-codebook {path}")


@app.command("export-project")
def export_project(
    run_dir: RunDir,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="The .qdpx to write [default: "
                                                "RUN_DIR/<folder name>.qdpx]. Example: --out review.qdpx")] = None,
    per: Annotated[str, typer.Option(help="One text source per respondent (answers under question headings) or "
                                     "per answer. Example: --per answer")] = "respondent",
    codebook: Annotated[Optional[Path], typer.Option("--codebook", "-c", help="The codebook the run used "
                                                     "[default: the manifest's]. Example: --codebook "
                                                     "codebooks/rfi_themes.yaml")] = None,
    force: Force = False,
) -> None:
    """Write a run as a REFI-QDA project (.qdpx) to review the machine's coding in a QDA tool: every coded
    segment a coded selection by the user "themes (automatic)", metadata as case variables.

    Example: themes export-project outputs/responses --out review.qdpx
    """
    from themes.research import export_project as write

    try:
        result = write(run_dir, out, per=per, codebook=codebook, force=force)
    except ThemesError as error:
        _fail(str(error))
    typer.echo(f"Wrote {result['path']}: {result['sources']} sources ({result['respondents']} respondents), "
               f"{result['selections']} coded selections, {result['codings']} codings.")

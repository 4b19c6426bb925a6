"""Commands of the researcher's loop, registered on `themes.cli.app`: discover. Each parses its arguments and calls one
function of `themes.research`; domain errors print one line and exit with status 2."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from themes.cli import _fail, app
from themes.errors import ThemesError

RunDir = Annotated[Path, typer.Argument(metavar="RUN_DIR", help="The --out folder of a 'themes run'. "
                                        "Example: outputs/responses")]


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
    seed: Annotated[int, typer.Option(help="Random seed (PCA, sampling): the same seed gives the same clusters. "
                                      "Example: --seed 7")] = 0,
    model: Annotated[Optional[str], typer.Option(help="Embedding model [default: the run's]. "
                                                 "Example: --model all-MiniLM-L6-v2")] = None,
    codebook: Annotated[Optional[Path], typer.Option("--codebook", "-c", help="Codebook the draft extends "
                                                     "[default: the run's]. Example: --codebook codebooks/"
                                                     "rfi_themes.yaml")] = None,
) -> None:
    """Cluster the passages no theme caught into emergent themes; write emergent_themes.csv, a report
    section (emergent_themes.md), each passage's cluster and a codebook draft with one candidate theme
    per cluster.

    Example: themes discover outputs/responses
    """
    from themes.cli import _quiet_prefect
    from themes.research import discover_run

    _quiet_prefect()
    try:
        result = discover_run(run_dir, out=out, within=within, model=model, codebook=codebook,
                              min_cluster_size=min_cluster_size, seed=seed)
    except ThemesError as error:
        _fail(str(error))
    clusters = result["clusters"]
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

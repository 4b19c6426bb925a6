"""`themes serve`: serve the coding flows to a Prefect server, and code an inbox on a schedule."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Optional

import typer

from themes import defaults, serving
from themes.cli import DEFAULT_CODEBOOK, _fail, _quiet_prefect, app
from themes.errors import ThemesError


@app.command("serve")
def serve(
    inbox: Annotated[Optional[Path], typer.Option(help="Folder where new exports are dropped: each is coded as "
                                                  "the next batch of --project. Example: --inbox /data/inbox")]
    = None,
    project_dir: Annotated[Optional[Path], typer.Option("--project", help="Project folder that accumulates the "
                                                        "batches; its output/ covers all of them. Example: "
                                                        "--project projects/rfi")] = None,
    interval: Annotated[int, typer.Option(min=5, help="Seconds between looks at the inbox (a Prefect interval "
                                          "schedule). Example: --interval 300")] = 60,
    codebook: Annotated[Optional[list[Path]], typer.Option(
        "--codebook", "-c", help=f"Codebook YAML (repeatable) [default: {DEFAULT_CODEBOOK}]. Example: --codebook "
        "codebooks/rfi_themes.yaml --codebook codebooks/partnership_models.yaml")] = None,
    coded_sample: Annotated[Optional[list[Path]], typer.Option(
        help="A coded random sample of the survey's answers: counts corrected for measured error. Repeatable: "
             "the files of one sample drawn in parts. Example: --coded-sample data/sample_rfi/coded_sample.csv")]
    = None,
    id_column: Annotated[Optional[str], typer.Option(help="Respondent id column of the exports. Example: "
                                                     "--id-column respondent_id")] = None,
    text_column: Annotated[Optional[list[str]], typer.Option(help="Open-ended answer column (repeatable). "
                                                             "Example: --text-column challenges")] = None,
    meta_column: Annotated[Optional[list[str]], typer.Option(help="Column to break counts down by (repeatable). "
                                                             "Example: --meta-column state")] = None,
    model: Annotated[str, typer.Option(help="sentence-transformers model: name or local folder. "
                                       "Example: --model ./models/my-model")] = defaults.DEFAULT_MODEL,
    cache_dir: Annotated[Optional[Path], typer.Option(help="Embedding cache folder [default: $THEMES_CACHE_DIR "
                                                      "or ~/.cache/themes]. Example: --cache-dir /data/cache")]
    = None,
    min_group: Annotated[int, typer.Option(help="Breakdown groups with fewer respondents are suppressed. "
                                           "Example: --min-group 20")] = 10,
    quotes_per_theme: Annotated[int, typer.Option(help="Quotes per theme. Example: --quotes-per-theme 8")] = 5,
    name: Annotated[Optional[str], typer.Option(
        "--name", help="Suffix of the deployments' names, for a second serve on the same server (another project): "
                       "code-export-NAME and inbox-NAME. Example: --name food-access")] = None,
) -> None:
    """Serve the coding flows to the Prefect server at PREFECT_API_URL until stopped (Ctrl-C).

    Always: the 'code-export' deployment, to code one export from the Prefect UI or API. With --inbox and
    --project: the 'inbox' deployment, run every --interval seconds, which codes each new export in the
    inbox as the project's next batch and moves it to processed/ (or rejected/, with the reason in the
    project's inbox.csv). A file named withdraw*.csv or withdraw*.txt, listing respondent ids, takes those
    respondents out of the project instead, and keeps them out of later batches.

    Example: themes serve --inbox inbox --project projects/rfi --interval 60
    """
    if not os.environ.get("PREFECT_API_URL"):
        _fail("themes serve needs a Prefect server: start one (prefect server start) and set "
              "PREFECT_API_URL=http://127.0.0.1:4200/api.")
    if (inbox is None) != (project_dir is None):
        _fail("--inbox and --project go together: the inbox's exports become the project's batches.")
    if name is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,40}", name):
        _fail(f"--name {name!r} is not a name for deployments: use letters, digits, '-' and '_' (e.g. --name "
              "food-access).")
    names = {"export": "code-export" + (f"-{name}" if name else ""), "inbox": "inbox" + (f"-{name}" if name else "")}
    _quiet_prefect()
    from themes import guard
    from themes.codebook import load_codebook, merge_codebooks
    from themes.project import open_project

    from pydantic import ValidationError

    from themes.cli import _option_error
    from themes.settings import RunSettings

    codebooks = [str(path) for path in codebook or [DEFAULT_CODEBOOK]]
    try:
        merge_codebooks([load_codebook(path) for path in codebooks])
        from themes.embed import check_model
        from themes.ingest import read_table

        check_model(model)  # a bad one rejected every export of the inbox, with the model's error as the reason
        for path in coded_sample or ():
            if not path.is_file():
                raise ThemesError(f"--coded-sample {path} is not a file.")
            try:  # one that cannot be read rejected every export, and the reason told to export the survey again
                read_table(path)
            except ThemesError as error:
                reason = str(error).removeprefix(str(path)).strip(" :").split(". ")[0]
                raise ThemesError(f"--coded-sample {path} cannot be read as a coded sample ({reason}). Pass the file "
                                  "themes sample wrote, as coded.") from None
        # What each served run will be given, checked as 'themes run' checks it: a mistake is one line now,
        # not a failed flow run at every look at the inbox.
        RunSettings(codebooks=tuple(codebooks), model=model, min_group=min_group, quotes_per_theme=quotes_per_theme)
        announced = _calibrations(codebooks)
        if inbox is not None:
            if inbox.exists() and not inbox.is_dir():
                raise ThemesError(f"--inbox {inbox} is a file; give a folder.")
            open_project(project_dir)
        guard.check_prefect_api(temporary=False)  # serve needs a server of its own: no temporary one
        guard.ensure_prefect_home()
        parameters = {"codebooks": served_codebooks(codebooks),
                      "coded_sample": [str(path.resolve()) for path in coded_sample or ()], "id_column": id_column,
                      "text_columns": list(text_column or ()), "meta_columns": list(meta_column or ()),
                      "model": model, "cache_dir": str(cache_dir.resolve()) if cache_dir else None,
                      "min_group": min_group, "quotes_per_theme": quotes_per_theme}
        inbox_parameters = {**parameters, "inbox": str(inbox.resolve()), "project_dir": str(project_dir.resolve())} \
            if inbox is not None else None
        served = {f"code-export/{names['export']}": parameters}
        if inbox_parameters is not None:
            served[f"code-inbox/{names['inbox']}"] = inbox_parameters
        with serving.claiming():
            for deployment, given in served.items():
                check_not_served_elsewhere(deployment, given)
            record = serving.register(list(served), inbox_parameters and inbox_parameters["project_dir"])
    except ThemesError as error:
        _fail(str(error))
    except ValidationError as error:  # an option out of range
        _fail(_option_error(error))
    typer.echo("\n".join(announced))
    try:  # the runs a serve killed outright left "Running", their process gone: they held the inbox's slot
        for line in serving.end_crashed_runs(list(served)):
            typer.echo(line)
    except Exception as error:  # noqa: BLE001  the server's answer; serving goes on, the runs stay as they are
        typer.echo(f"Could not look for runs a killed serve left running ({type(error).__name__}).")
    from prefect.client.schemas.objects import ConcurrencyLimitConfig
    from prefect.settings import get_current_settings

    from themes.flows.deployments import code_export, code_inbox

    deployments = [code_export.to_deployment(name=names["export"], parameters=parameters,
                                             description="Code one survey export (input_path) into a folder (out).")]
    ui = get_current_settings().ui_url or os.environ["PREFECT_API_URL"].removesuffix("/api")
    typer.echo(f"Serving code-export/{names['export']}: start a run from {ui}/deployments, with input_path and out.")
    if inbox is not None:
        if not inbox.exists():  # a typo ("inbx") served an empty folder of its own, and nothing said so
            typer.echo(f"--inbox {inbox} did not exist: created it, empty. If exports are dropped in another folder, "
                       "stop (Ctrl+C) and give that one.")
        inbox.mkdir(parents=True, exist_ok=True)
        deployments.append(code_inbox.to_deployment(
            # One inbox run at a time; a look due while one works is cancelled, not queued behind it.
            name=names["inbox"], interval=interval,
            concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy="CANCEL_NEW"),
            parameters=inbox_parameters,
            description=f"Code each new export in {inbox} as the next batch of {project_dir}."))
        typer.echo(f"Serving code-inbox/{names['inbox']}: every {interval} s, new exports in {inbox}/ become batches "
                   f"of {project_dir}/ (coded into {project_dir}/output/).")
    try:
        _serve(deployments)
    finally:  # from now on, a serve started here may take these deployments over
        serving.mark_stopped(record)


def check_not_served_elsewhere(deployment: str, parameters: dict) -> None:
    """Refuse a deployment another live `themes serve` serves. With other parameters, the second serve replaced
    the first's (its inbox and project), whose inbox then waited unread; with the same, the two shared the runs,
    and the one stopped first paused the deployment's schedule, so the other served an inbox nobody looked at."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import DeploymentStatus
    from prefect.exceptions import ObjectNotFound

    try:
        with get_client(sync_client=True) as client:
            theirs = client.read_deployment_by_name(deployment)
    except ObjectNotFound:
        theirs = None
    what = (f", for the project {theirs.parameters['project_dir']}," if theirs is not None
            and "project_dir" in theirs.parameters else "")
    named = "give this one --name (its deployments become code-export-NAME and inbox-NAME)"
    here = serving.live_serve(deployment)
    if here is not None:  # polled or not yet: it is starting
        raise ThemesError(f"{deployment} is served already{what} by the themes serve of process {here['pid']} on "
                          f"this machine: stop it first (Ctrl-C where it runs, or kill {here['pid']}), or {named}.")
    if theirs is None or theirs.status != DeploymentStatus.READY:  # none polls it now
        return
    if serving.ended_here(deployment, theirs.last_polled):  # the last poll was a serve of ours, since stopped
        return
    same = json.dumps(theirs.parameters, sort_keys=True, default=str) == json.dumps(parameters, sort_keys=True,
                                                                                   default=str)
    what = what or (" with the same options" if same else " with other options")
    raise ThemesError(f"{deployment} is served already{what.rstrip(',')}, by another themes serve (it polled the "
                      f"server in the last minute): {named}, or stop the other (a serve stopped in the last minute, "
                      "or one of an older version: wait a minute).")


def _calibrations(codebooks: list[str]) -> list[str]:
    """Each codebook's calibration found and read as every served run will find it (an unreadable one is one
    line now), and said."""
    from themes.calibrate import fit_lines, load_calibration, locate_calibration

    lines = []
    for path in codebooks:
        found, where = locate_calibration(path, None)
        calibration = load_calibration(found) if found is not None else None
        lines.append(f"  codebook   {path}; calibration " + (f"{found.name} ({where})" if found else where))
        if calibration is not None:  # as `themes run` says it: codes gone since (another codebook's is refused), a
            # theme added since learned from its examples alone
            lines += fit_lines(path, calibration)
    return lines


def _serve(deployments: list) -> None:
    """What prefect.serve does, except that SIGTERM (kill, docker stop, systemd) stops the runner as
    Ctrl-C does. Prefect 3.8's own SIGTERM handler calls the runner's async stop from inside its
    event loop, where it never runs ("coroutine 'Runner.astop' was never awaited")."""
    import asyncio
    import signal
    import threading

    from prefect.runner import Runner

    stopping: list[threading.Timer] = []
    working: set = set()  # the flow runs this runner had started when it was stopped
    runner = None

    def interrupt(*_) -> None:
        if runner is not None:
            working.update(_started_runs(runner))
        if not stopping:
            # Should the graceful stop hang (it does when the Prefect server is gone: the runner's cancelled
            # loops keep waiting on it), a second signal 5 s later ends it, before docker's 10 s SIGKILL.
            stopping.append(threading.Timer(5, os.kill, (os.getpid(), signal.SIGTERM)))
            stopping[0].daemon = True
            stopping[0].start()
        raise KeyboardInterrupt

    # Ours from before the deployments are registered (add_deployment applies each to the server): a
    # SIGTERM that arrives once they are listed, before Runner.start installs its handler, is not fatal.
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)  # Ctrl-C: the same way out, the runs it was working on noted first
    try:
        runner = Runner(pause_on_shutdown=True, limit=None)  # prefect.serve's defaults
        for deployment in deployments:
            runner.add_deployment(deployment)
        runner.handle_sigterm = interrupt  # Runner.start installs self.handle_sigterm for SIGTERM
        asyncio.run(runner.start())
    except KeyboardInterrupt:
        for timer in stopping:
            timer.cancel()
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second kill while the runs are marked
        _end_stopped_runs(working)
        typer.echo("Stopped serving.")
    finally:
        for timer in stopping:
            timer.cancel()


def _started_runs(runner) -> set:
    """The ids of the flow runs whose processes the runner is watching (Prefect 3.8 keeps them in its process
    manager; a run started through execute_flow_run, in its own map)."""
    manager = getattr(runner, "_process_manager", None)
    found = set(manager.flow_run_ids()) if manager is not None and hasattr(manager, "flow_run_ids") else set()
    return found | set(getattr(runner, "_flow_run_process_map", {}))


def _end_stopped_runs(flow_runs: set) -> None:
    """Mark the runs this process was working on when it was stopped (and their subflows) cancelled. Their
    process ends with the runner's, but the server kept them "Running", and the inbox deployment's one slot
    with them: every look for minutes after a restart was cancelled for the limit. Only this runner's runs are
    touched, so a second `themes serve` on the same server keeps its own."""
    if not flow_runs:
        return
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId
    from prefect.states import Cancelled

    message = "themes serve was stopped while this run worked (an inbox batch is not added; its export is tried again)"
    try:
        with get_client(sync_client=True) as client:
            runs = [client.read_flow_run(run_id) for run_id in flow_runs]
            runs += client.read_flow_runs(flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=list(flow_runs))))
            for run in runs:
                if run.state is None or not run.state.is_final():
                    client.set_flow_run_state(run.id, Cancelled(message=message), force=True)
                    typer.echo(f"Marked flow run {run.name!r} cancelled: {message}.")
    except Exception as error:  # the server is gone too: nothing to mark, and nothing held
        typer.echo(f"Could not mark the stopped runs cancelled ({type(error).__name__}); cancel them in the UI.")


def served_codebooks(codebooks: list[str]) -> list[str]:
    """The codebooks' files as the served flows get them: absolute paths, a shipped codebook's name ("rfi_themes")
    as its file (resolved as a path, it named a file under the folder serve started in, and every export was
    rejected)."""
    from themes.codebook import codebook_path

    return [str(codebook_path(c).resolve()) for c in codebooks]

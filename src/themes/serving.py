"""What `themes serve` keeps so that a second serve, and the runs of one killed outright, are told apart.

- A record per serve process on this machine (a JSON file in the temporary folder): the server and the
  deployments it serves, and when it stopped. A second serve of the same deployment is refused while the first
  lives, whatever its options: the two shared the runs, and the one stopped first paused the deployment's
  schedule, so the other went on serving an inbox nobody looked at. A serve that stopped, or was killed, no
  longer holds its deployments: one started after it is not refused for the minute the server still counts the
  deployment as polled.
- A served flow run records its process on the server (its `infrastructure_pid`, `host:pid:start`). The next
  serve marks crashed each run of its deployments still "Running" whose process on this machine is gone (a serve
  killed outright cannot mark its own): the run held the inbox deployment's one slot for minutes.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

_REGISTRY = Path(tempfile.gettempdir()) / "themes-serves"
_KEEP_SECONDS = 24 * 3600  # an ended serve's record is kept a day, then removed by the next serve


def api_url() -> str:
    return os.environ.get("PREFECT_API_URL", "").rstrip("/")


def process_tag(pid: int | None = None) -> str:
    """This machine, a process and when it started: a pid alone may be reused by a later process."""
    import psutil

    process = psutil.Process(pid)
    return f"{socket.gethostname()}:{process.pid}:{process.create_time():.0f}"


def process_gone(tag: str | None) -> bool:
    """Whether the process a tag names ran on this machine and has ended. False for another machine's, or for
    a tag that is not ours (we cannot tell: it is left as it is)."""
    import psutil

    try:
        host, pid, started = (tag or "").rsplit(":", 2)
        pid, started = int(pid), float(started)
    except ValueError:
        return False
    if host != socket.gethostname():
        return False
    try:
        return abs(psutil.Process(pid).create_time() - started) > 1
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False


def _records() -> Iterator[tuple[Path, dict]]:
    if not _REGISTRY.is_dir():
        return
    for path in sorted(_REGISTRY.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            record["process"], record["deployments"]  # noqa: B018  a record of this form
        except (OSError, ValueError, KeyError, TypeError):
            continue
        yield path, record


def _ended(record: dict) -> bool:
    return record.get("stopped") is not None or process_gone(record["process"])


def live_serve(deployment: str) -> dict | None:
    """The record of a serve on this machine that serves `deployment` of this server now, if one does."""
    for _, record in _records():
        if record.get("api") == api_url() and deployment in record["deployments"] and not _ended(record):
            return record
    return None


def ended_here(deployment: str, last_polled: datetime | None) -> bool:
    """Whether the server's last poll of `deployment` can be a serve on this machine that has since ended:
    stopped after that poll, or killed (its last poll came before it died)."""
    polled = last_polled.timestamp() if last_polled is not None else 0.0
    for _, record in _records():
        if record.get("api") != api_url() or deployment not in record["deployments"]:
            continue
        stopped = record.get("stopped")
        if (stopped is not None and stopped >= polled - 1) or (stopped is None and process_gone(record["process"])):
            return True
    return False


@contextmanager
def claiming() -> Iterator[None]:
    """Held while a serve checks and records its deployments: two serves started at once do not both pass."""
    import fcntl

    _REGISTRY.mkdir(parents=True, exist_ok=True)
    with (_REGISTRY / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def register(deployments: list[str], project: str | None = None) -> Path:
    """Record that this process serves `deployments` of this server (and remove records ended long ago)."""
    now = time.time()
    for path, record in list(_records()):
        if _ended(record) and now - (record.get("stopped") or record.get("started", 0)) > _KEEP_SECONDS:
            path.unlink(missing_ok=True)
    _REGISTRY.mkdir(parents=True, exist_ok=True)
    path = _REGISTRY / f"{os.getpid()}.json"
    record = {"process": process_tag(), "pid": os.getpid(), "api": api_url(), "deployments": deployments,
              "project": project, "started": now, "stopped": None}
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def mark_stopped(path: Path) -> None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        record["stopped"] = time.time()
        path.write_text(json.dumps(record), encoding="utf-8")
    except (OSError, ValueError):
        pass


def note_flow_process() -> None:
    """Record on the server which process runs this flow run (a served flow's first step)."""
    from prefect.client.orchestration import get_client
    from prefect.runtime import flow_run

    run_id = flow_run.get_id()
    if run_id is None:
        return
    try:
        with get_client(sync_client=True) as client:
            client.update_flow_run(run_id, infrastructure_pid=process_tag())
    except Exception:  # noqa: BLE001  a record that helps later; the run goes on without it
        pass


CRASHED = ("its process ended while it worked (a themes serve killed outright: SIGKILL, out of memory); marked "
           "by the next themes serve (an inbox batch is not added; its export is tried again)")
LEFT_PENDING = ("left pending by a themes serve killed before the run's process started; marked by the next themes "
                "serve (its export is tried again)")


def _flow_runs_in_processes() -> set[str]:
    """The flow runs that processes of this machine run (a serve starts each in a process whose environment names
    it: PREFECT__FLOW_RUN_ID)."""
    import psutil

    found = set()
    for process in psutil.process_iter():
        try:
            run_id = process.environ().get("PREFECT__FLOW_RUN_ID")
        except (psutil.Error, OSError):
            continue
        if run_id:
            found.add(run_id)
    return found


def end_crashed_runs(deployments: list[str]) -> list[str]:
    """Mark crashed the unfinished runs of these deployments (and their subflows) whose process on this machine is
    gone, or that were left pending with no process; one line for each, to say."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (FlowRunFilter, FlowRunFilterDeploymentId,
                                                FlowRunFilterParentFlowRunId, FlowRunFilterState,
                                                FlowRunFilterStateType)
    from prefect.client.schemas.objects import StateType
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Crashed

    unfinished = FlowRunFilterState(type=FlowRunFilterStateType(
        any_=[StateType.RUNNING, StateType.PENDING, StateType.CANCELLING]))
    lines = []
    with get_client(sync_client=True) as client:
        ids = []
        for name in deployments:
            try:
                ids.append(client.read_deployment_by_name(name).id)
            except ObjectNotFound:
                continue
        if not ids:
            return []
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            deployment_id=FlowRunFilterDeploymentId(any_=ids), state=unfinished))
        running_here = _flow_runs_in_processes()

        def left_pending(run) -> bool:
            return run.state_type == StateType.PENDING and not run.infrastructure_pid

        # A run whose process recorded itself and has ended; and one the serve left "Pending" (killed after taking
        # it, before its process started or recorded itself), which no process here runs: with no serve of these
        # deployments alive (this one was let start), none will start it, and it held the inbox's one slot.
        gone = [run for run in runs if process_gone(run.infrastructure_pid)
                or (left_pending(run) and str(run.id) not in running_here)]
        if not gone:
            return []
        children = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run.id for run in gone]), state=unfinished))
        for run in gone + children:
            why = LEFT_PENDING if left_pending(run) else CRASHED
            client.set_flow_run_state(run.id, Crashed(message=why), force=True)
            lines.append(f"Marked flow run {run.name!r} crashed: {why}.")
    return lines

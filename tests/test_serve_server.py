"""A real Prefect server: `themes serve` serves the deployments, a file dropped into the inbox is coded,
and a run started through the API with JSON parameters works; runs, logs and artifacts are read back
through the server's REST API."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout: float, what: str, processes=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise AssertionError(f"{what}: {process.args[0]} ended early with {process.returncode}")
        value = condition()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"{what}: not within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    """End a process this test started, and the children it started (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.fixture
def server(tmp_path):
    """`prefect server start` on a free loopback port, with its own PREFECT_HOME; yields its API URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_LOGGING_LEVEL="WARNING", PREFECT_API_URL=f"http://127.0.0.1:{port}/api")
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    api = env["PREFECT_API_URL"]

    def healthy() -> bool:
        try:
            return httpx.get(f"{api}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(healthy, 240, "prefect server start", [process])
        yield api, env, process
    finally:
        stop(process)
        log.close()


def post(api: str, path: str, body: dict) -> list | dict:
    # A busy server (SQLite locked under load) answers 503 or 429 for a moment; Prefect's own client retries
    # those, so the test does too (seen once in a fresh-clone CI run, on create_flow_run).
    for wait in (0.5, 1, 2, 4, 8, 0):
        response = httpx.post(f"{api}{path}", json=body, timeout=10)
        if response.status_code not in (429, 502, 503) or not wait:
            break
        time.sleep(wait)
    response.raise_for_status()
    return response.json()


def runs_of(api: str, flow_name: str) -> list[dict]:
    return post(api, "/flow_runs/filter", {"flows": {"name": {"any_": [flow_name]}}})


def test_serve_codes_a_dropped_file_and_a_run_started_through_the_api(server, tmp_path, tiny_responses_path,
                                                                     tiny_codebook_path):
    api, env, _ = server
    inbox, project, out = tmp_path / "inbox", tmp_path / "project", tmp_path / "api-run"
    env = {**env, "THEMES_CACHE_DIR": str(tmp_path / "cache")}
    log = (tmp_path / "serve.log").open("w")
    serving = subprocess.Popen([str(BIN / "themes"), "serve", "--inbox", str(inbox), "--project", str(project),
                                "--interval", "5", "--codebook", str(tiny_codebook_path), "--model", "test:hashing"],
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp_path)
    try:
        deployments = wait_for(lambda: post(api, "/deployments/filter", {}) if len(
            post(api, "/deployments/filter", {})) == 2 else None, 120, "themes serve registers 2 deployments", [serving])
        assert sorted(d["name"] for d in deployments) == ["code-export", "inbox"]
        inbox_deployment = next(d for d in deployments if d["name"] == "inbox")
        assert [s["schedule"]["interval"] for s in inbox_deployment["schedules"]] == [5.0]

        # A file dropped into the inbox (copied under a hidden name, then renamed) is coded on schedule.
        shutil.copy(tiny_responses_path, inbox / ".batch1.csv")
        (inbox / ".batch1.csv").rename(inbox / "batch1.csv")
        coded = wait_for(lambda: [r for r in runs_of(api, "code-responses") if r["state_type"] == "COMPLETED"],
                         240, "the inbox codes batch1.csv", [serving])
        assert coded[0]["name"] == "batch1.csv (batch 001 of project)"
        wait_for(lambda: (inbox / "processed").is_dir() and any((inbox / "processed").iterdir()), 60,
                 "batch1.csv moved to processed/", [serving])
        def outcome_artifacts():
            done = [r["id"] for r in runs_of(api, "code-inbox") if r["state_type"] == "COMPLETED"]
            found = post(api, "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": done}}}) if done else []
            return [a for a in found if a["key"] == "inbox-outcomes"]

        outcome = wait_for(outcome_artifacts, 60, "the inbox run completes with its artifact", [serving])[0]
        assert [(row["file"], row["outcome"], row["batch"]) for row in json.loads(outcome["data"])] == [
            ("batch1.csv", "added", "001 batch1.csv")]
        counts = post(api, "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [coded[0]["id"]]}}})
        assert {"theme-counts", "coding-summary"} <= {a["key"] for a in counts}
        # The run's log lines reached the server (no --verbose anywhere).
        # Prefect ships log lines in batches after the run: wait for them rather than read once.
        def coded_line():
            lines = [entry["message"] for entry in post(api, "/logs/filter",
                                                        {"logs": {"flow_run_id": {"any_": [coded[0]["id"]]}}})]
            return [line for line in lines if line.startswith("Coded 15 answers of answers.parquet")]

        wait_for(coded_line, 60, "the run's log line reaches the server", [serving])
        assert (project / "output" / "theme_counts.csv").is_file()

        # A run of code-export started through the API with plain JSON parameters.
        export = next(d for d in deployments if d["name"] == "code-export")
        started = post(api, f"/deployments/{export['id']}/create_flow_run",
                       {"parameters": {"input_path": str(tiny_responses_path), "out": str(out)}})
        done = wait_for(lambda: [r for r in runs_of(api, "code-export") if r["id"] == started["id"]
                                 and r["state_type"] in ("COMPLETED", "FAILED", "CRASHED")], 240,
                        "the code-export run ends", [serving])
        assert done[0]["state_type"] == "COMPLETED", done[0]["state"]
        assert done[0]["name"] == "tiny_responses.csv"
        assert (out / "theme_counts.csv").is_file()
        # Bad parameters are refused by the server, before any run starts.
        refused = httpx.post(f"{api}/deployments/{export['id']}/create_flow_run",
                             json={"parameters": {"input_path": str(tiny_responses_path), "out": str(out),
                                                  "min_group": "many"}}, timeout=10)
        assert refused.status_code == 409 and "min_group" in refused.text
        # themes run against the server: its logs go there, and it prints the run's address.
        done = subprocess.run([str(BIN / "themes"), "run", str(tiny_responses_path), "--codebook",
                               str(tiny_codebook_path), "--model", "test:hashing", "--out", str(tmp_path / "cli-run")],
                              env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        address = done.stdout.splitlines()[-1]
        ui = api.removesuffix("/api")
        assert address.startswith(f"Flow run: {ui}/runs/flow-run/"), done.stdout
        run_id = address.rsplit("/", 1)[1]
        assert httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()["name"] == "tiny_responses.csv"
        lines = [entry["message"] for entry in post(api, "/logs/filter", {"logs": {"flow_run_id": {"any_": [run_id]}}})]
        assert any(line.startswith("Coded 15 answers of tiny_responses.csv") for line in lines), lines
        assert "| INFO" not in done.stderr and "Traceback" not in done.stderr  # the console keeps to the CLI
        # SIGTERM (kill, docker stop, systemd) stops it cleanly, as Ctrl-C does.
        serving.send_signal(signal.SIGTERM)
        assert serving.wait(60) == 0
        served = (tmp_path / "serve.log").read_text(encoding="utf-8")
        assert served.rstrip().endswith("Stopped serving.") and "never awaited" not in served, served[-2000:]
    finally:
        stop(serving)
        log.close()


def test_serve_stops_on_sigterm_after_its_server_is_gone(server, tmp_path, tiny_codebook_path):
    """With the Prefect server down, the runner's cancelled loops keep waiting on it: a second signal,
    5 s after the first, ends the graceful stop that would otherwise hang."""
    api, env, prefect_server = server
    log = (tmp_path / "serve.log").open("w")
    serving = subprocess.Popen([str(BIN / "themes"), "serve", "--inbox", str(tmp_path / "inbox"), "--project",
                                str(tmp_path / "project"), "--codebook", str(tiny_codebook_path), "--model",
                                "test:hashing"], env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True, cwd=tmp_path)
    try:
        wait_for(lambda: len(post(api, "/deployments/filter", {})) == 2, 120, "themes serve registers 2 deployments",
                 [serving])
        stop(prefect_server)
        serving.send_signal(signal.SIGTERM)
        assert serving.wait(30) == 0
        assert (tmp_path / "serve.log").read_text(encoding="utf-8").rstrip().endswith("Stopped serving.")
    finally:
        stop(serving)
        log.close()


def big_export():
    """The sample six times over, so that a run is still working when it is stopped."""
    import pandas as pd

    sample = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "sample_rfi" / "responses.csv", dtype=str)
    copies = []
    for n in range(6):
        copy = sample.assign(respondent_id=sample["respondent_id"] + f"-{n}")
        for column in ("goals", "challenges", "funding", "data"):
            copy[column] = copy[column].where(copy[column].isna(), copy[column] + f" (site {n + 1})")
        copies.append(copy)
    return pd.concat(copies)


def serving_a_big_export(api: str, env: dict, tmp_path: Path, codebook: Path):
    """`themes serve` of an inbox, coding a big export when this returns: the serve's process, and a function that
    starts it again (its output goes on in serve.log)."""
    inbox, project = tmp_path / "inbox", tmp_path / "project"
    env = {**env, "THEMES_CACHE_DIR": str(tmp_path / "cache")}
    command = [str(BIN / "themes"), "serve", "--inbox", str(inbox), "--project", str(project), "--interval", "5",
               "--codebook", str(codebook), "--model", "test:hashing"]

    def serve() -> subprocess.Popen:
        return subprocess.Popen(command, env=env, stdout=(tmp_path / "serve.log").open("a"), stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=tmp_path)

    serving = serve()
    try:
        wait_for(lambda: len(post(api, "/deployments/filter", {})) == 2, 120, "themes serve registers 2 deployments",
                 [serving])
        inbox.mkdir(exist_ok=True)
        big_export().to_csv(inbox / ".big.csv", index=False)
        (inbox / ".big.csv").rename(inbox / "big.csv")
        wait_for(lambda: [r for r in runs_of(api, "code-responses") if r["state_type"] == "RUNNING"], 240,
                 "the inbox starts coding big.csv", [serving])
    except BaseException:
        stop(serving)
        raise
    return serving, serve


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_run_stopped_by_sigterm_is_marked_cancelled_and_frees_the_inbox_slot(server, tmp_path, tiny_codebook_path,
                                                                             stop_signal):
    """SIGTERM (or Ctrl-C) while the inbox codes a batch: the batch's runs are marked cancelled on the way out (the server kept
    them "Running", and the inbox's one slot with them, so every look for about five minutes after a restart was
    cancelled for the limit), and a restarted serve codes the export again at once."""
    api, env, _ = server
    inbox = tmp_path / "inbox"
    serving, serve = serving_a_big_export(api, env, tmp_path, tiny_codebook_path)
    try:
        serving.send_signal(stop_signal)
        assert serving.wait(60) == 0
        states = {r["name"]: r["state_type"] for r in runs_of(api, "code-responses") + runs_of(api, "code-inbox")
                  if r["state_type"] not in ("SCHEDULED", "PENDING")}
        assert states.get("big.csv (batch 001 of project)") == "CANCELLED", states
        assert "RUNNING" not in states.values(), states
        served = (tmp_path / "serve.log").read_text(encoding="utf-8")
        assert "Marked flow run 'big.csv (batch 001 of project)' cancelled" in served, served[-2000:]

        serving = serve()
        # Before, the slot stayed taken for several minutes; now the next look codes the export again.
        wait_for(lambda: [r for r in runs_of(api, "code-responses") if r["state_type"] == "COMPLETED"], 150,
                 "the restarted serve codes big.csv", [serving])
        wait_for(lambda: list((inbox / "processed").glob("* big.csv")), 60, "big.csv moved to processed/", [serving])
    finally:
        stop(serving)


def test_a_second_serve_is_refused_while_the_first_lives_and_not_after(server, tmp_path, tiny_codebook_path):
    """An operator's reviews: a second `themes serve` for another project on the same server replaced the first's
    deployment (its inbox and project), whose inbox then waited unread, with no word; a second serve the same as
    the first shared its runs, and stopping it paused the deployment's schedule, so the first, still serving,
    never looked at its inbox again. Once the first stops, another starts at once (it was refused for a minute)."""
    api, env, _ = server

    def serve(project: str, *extra: str, wait: bool = False):
        command = [str(BIN / "themes"), "serve", "--inbox", str(tmp_path / f"inbox-{project}"), "--project",
                   str(tmp_path / project), "--codebook", str(tiny_codebook_path), "--model", "test:hashing", *extra]
        if wait:
            return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=tmp_path)

    def ready(name: str):
        return wait_for(lambda: [d for d in post(api, "/deployments/filter", {}) if d["name"] == name
                                 and d["status"] == "READY"], 120, f"the {name} deployment is ready")

    first = serve("a")
    second = third = None
    try:
        ready("inbox")
        for project in ("b", "a"):  # another project, and the same serve again
            refused = serve(project, wait=True)
            assert refused.returncode == 2
            assert refused.stderr.splitlines()[-1] == (
                f"error: code-export/code-export is served already by the themes serve of process {first.pid} on "
                f"this machine: stop it first (Ctrl-C where it runs, or kill {first.pid}), or give this one --name "
                "(its deployments become code-export-NAME and inbox-NAME).")
        inbox = next(d for d in post(api, "/deployments/filter", {}) if d["name"] == "inbox")
        assert inbox["parameters"]["project_dir"] == str(tmp_path / "a")  # the first serve's, as it was
        second = serve("b", "--name", "b")
        names = wait_for(lambda: sorted(d["name"] for d in post(api, "/deployments/filter", {})) if len(
            post(api, "/deployments/filter", {})) == 4 else None, 120, "the named serve registers 2 more", [second])
        assert names == ["code-export", "code-export-b", "inbox", "inbox-b"]

        first.send_signal(signal.SIGTERM)
        assert first.wait(60) == 0
        assert next(d for d in post(api, "/deployments/filter", {}) if d["name"] == "inbox")["status"] == "READY"
        third = serve("c")  # within the minute the server still counts the inbox as polled
        wait_for(lambda: [d for d in post(api, "/deployments/filter", {}) if d["name"] == "inbox"
                          and d["parameters"]["project_dir"] == str(tmp_path / "c")], 120,
                 "a serve of another project takes the stopped serve's deployments", [third])
    finally:
        for process in (first, second, third):
            if process is not None:
                stop(process)


def test_the_runs_of_a_serve_killed_outright_are_marked_crashed_by_the_next(server, tmp_path, tiny_codebook_path):
    """A production review: SIGKILL (or the out-of-memory killer) ends a serve and its flow run's process; the
    run stayed "Running" on the server and held the inbox deployment's one slot, so the restarted serve's looks
    were cancelled for minutes. The flow run records its process; the next serve finds it gone and marks the run
    crashed, and codes the export again at once."""
    api, env, _ = server
    inbox = tmp_path / "inbox"
    serving, serve = serving_a_big_export(api, env, tmp_path, tiny_codebook_path)
    try:
        looking = next(r for r in runs_of(api, "code-inbox") if r["state_type"] == "RUNNING")
        host, pid, _ = looking["infrastructure_pid"].rsplit(":", 2)
        assert host == socket.gethostname()
        os.killpg(serving.pid, signal.SIGKILL)
        serving.wait(10)
        try:
            os.kill(int(pid), signal.SIGKILL)  # in a session of its own: the group's kill did not reach it
        except ProcessLookupError:
            pass
        assert [r for r in runs_of(api, "code-inbox") if r["id"] == looking["id"]][0]["state_type"] == "RUNNING"

        serving = serve()
        wait_for(lambda: list((inbox / "processed").glob("* big.csv")), 150, "the restarted serve codes big.csv",
                 [serving])
        states = {r["id"]: r["state_type"] for r in runs_of(api, "code-inbox") + runs_of(api, "code-responses")}
        assert states[looking["id"]] == "CRASHED"
        served = (tmp_path / "serve.log").read_text(encoding="utf-8")
        assert f"Marked flow run {looking['name']!r} crashed: its process ended while it worked" in served, served
        assert "Marked flow run 'big.csv (batch 001 of project)' crashed" in served, served[-3000:]
    finally:
        stop(serving)


def test_a_run_a_killed_serve_left_pending_is_marked_crashed_unless_a_process_runs_it(server, tmp_path):
    """A production review: a serve killed between taking a run (Pending) and the run's process starting left it
    Pending, with no process recorded, holding the inbox's one slot; the next serve marked only runs whose recorded
    process had ended. A pending run that a process of this machine runs is left alone."""
    from themes import serving

    api, env, _ = server
    flow = post(api, "/flows/", {"name": "code-inbox"})
    deployment = post(api, "/deployments/", {"name": "inbox", "flow_id": flow["id"]})
    runs = [post(api, f"/deployments/{deployment['id']}/create_flow_run", {"name": name}) for name in ("left", "busy")]
    for run in runs:
        post(api, f"/flow_runs/{run['id']}/set_state", {"state": {"type": "PENDING"}, "force": True})
    busy = subprocess.Popen(["sleep", "60"], env={**env, "PREFECT__FLOW_RUN_ID": runs[1]["id"]})
    try:  # in a process of its own, as a serve: this one's Prefect settings may name another test's server
        marked = subprocess.run([str(BIN / "python"), "-c", "from themes import serving; "
                                 "print('\\n'.join(serving.end_crashed_runs(['code-inbox/inbox'])))"],
                                env=env, capture_output=True, text=True, timeout=120)
    finally:
        busy.kill()
    assert marked.returncode == 0, marked.stderr
    states = {r["name"]: r["state_type"] for r in runs_of(api, "code-inbox")}
    assert states == {"left": "CRASHED", "busy": "PENDING"}
    assert marked.stdout.splitlines() == [f"Marked flow run 'left' crashed: {serving.LEFT_PENDING}."]

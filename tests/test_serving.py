"""The records `themes serve` keeps: which serve on this machine serves which deployment, and whether a flow
run's process is gone (tests/test_serve_server.py runs them against a real server)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from themes import serving


@pytest.fixture
def registry(tmp_path, monkeypatch):
    monkeypatch.setattr(serving, "_REGISTRY", tmp_path / "serves")
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api/")
    return tmp_path / "serves"


def ended_process_tag() -> str:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        return serving.process_tag(child.pid)
    finally:
        child.kill()
        child.wait()


def test_a_process_tag_tells_a_live_process_from_an_ended_one_on_this_machine():
    assert not serving.process_gone(serving.process_tag())
    assert serving.process_gone(ended_process_tag())
    host, pid, started = serving.process_tag().rsplit(":", 2)
    assert serving.process_gone(f"{host}:{pid}:{float(started) - 3600:.0f}")  # the pid, reused by a later process
    assert not serving.process_gone(f"another-{socket.gethostname()}:1:0")  # not ours to judge
    for unknown in (None, "", "12345", "host:abc:1"):
        assert not serving.process_gone(unknown)


def test_a_registered_serve_holds_its_deployments_until_it_stops(registry):
    path = serving.register(["code-export/code-export", "code-inbox/inbox"], "/data/project")
    record = serving.live_serve("code-inbox/inbox")
    assert record is not None and record["project"] == "/data/project"
    assert record["api"] == "http://127.0.0.1:4200/api"
    assert serving.live_serve("code-inbox/inbox-b") is None
    assert not serving.ended_here("code-inbox/inbox", datetime.now(timezone.utc))
    serving.mark_stopped(path)
    assert serving.live_serve("code-inbox/inbox") is None
    assert serving.ended_here("code-inbox/inbox", datetime.now(timezone.utc) - timedelta(seconds=5))
    # a poll after it stopped was someone else's
    assert not serving.ended_here("code-inbox/inbox", datetime.now(timezone.utc) + timedelta(seconds=30))


def test_another_server_s_serve_holds_nothing_here(registry, monkeypatch):
    serving.register(["code-inbox/inbox"])
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4300/api")
    assert serving.live_serve("code-inbox/inbox") is None
    assert not serving.ended_here("code-inbox/inbox", None)


def test_a_killed_serve_holds_nothing_and_its_old_record_is_removed(registry):
    registry.mkdir()
    killed = {"process": ended_process_tag(), "pid": 1, "api": "http://127.0.0.1:4200/api",
              "deployments": ["code-inbox/inbox"], "started": 0, "stopped": None}
    (registry / "1.json").write_text(json.dumps(killed))
    (registry / "2.json").write_text("{not json")
    assert serving.live_serve("code-inbox/inbox") is None
    assert serving.ended_here("code-inbox/inbox", datetime.now(timezone.utc))
    serving.register(["code-export/code-export"])
    assert not (registry / "1.json").exists()  # ended a day ago and more

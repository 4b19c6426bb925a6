"""Processes that de-identify passages beside the run's own, so that a big list is redacted on several cores.

After the embedding, a run's host work is one core's while the others wait: de-identifying a 10k run's 4,805
evidence passages took 2.8 s of its 9 s outside the embedding on two cores (benchmarks/results.md), and on a
16-core GPU machine writing a 100k run took 33 s of its 109 s, on two of the cores (benchmarks/gpu/results.md).
`start` launches the helpers once per process (`python -m themes.redact_helper MODEL`): one on two cores, one per
core beyond the run's own two on a larger machine, at most `MOST_HELPERS` and no more than a quarter of the free
memory holds (each holds spaCy's model, about 350 MB). Each loads the model at low priority while the run reads its
input, then waits on its pipe. `Redactor.redact_many` hands them a share of any long list (`share`): the helpers
take chunks from the start, the run's process from the end, until none is left, so that a helper slowed by the
machine's load takes fewer. Each passage's redaction is the same either way (the same code, model and word lists;
redacting is per text). A helper that fails or answers wrongly is not used again, and the run redacts what it held
itself: the helpers only ever save time.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from themes.cores import usable_cores

CHUNK = 50  # passages per request: small, so that the last chunk either side waits for is short
SHARE_FROM = 4 * CHUNK  # shorter lists are redacted in the run's process alone
PATIENCE_S = 30.0  # the longest the run waits for the helpers' last chunks (~0.03 s at full speed) before its own
MOST_HELPERS = 8
HELPER_BYTES = 350_000_000  # a helper's resident memory with en_core_web_sm loaded (measured: 349 MB)
_helpers: dict[str, list[_Helper]] = {}


class _Helper:
    def __init__(self, model: str):
        self.model, self.owner = model, os.getpid()
        self.ready, self.busy, self.broken = threading.Event(), threading.Lock(), False
        # A session of its own: Ctrl-C is the run's to handle; the helper ends when its pipe closes.
        self.process = subprocess.Popen([sys.executable, "-m", "themes.redact_helper", model], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                        encoding="utf-8", start_new_session=True)
        threading.Thread(target=self._wait_until_loaded, name="redact-helper-start", daemon=True).start()

    def _wait_until_loaded(self) -> None:
        try:
            if self.process.stdout.readline().strip() == "ready":
                self.ready.set()
                return
        except (OSError, ValueError):
            pass
        self.broken = True

    def usable(self) -> bool:
        return self.ready.is_set() and not self.broken and self.owner == os.getpid() and self.process.poll() is None

    def redact(self, texts: list[str]) -> list[str]:
        self.process.stdin.write(json.dumps(texts) + "\n")
        self.process.stdin.flush()
        out = json.loads(self.process.stdout.readline())
        if not isinstance(out, list) or len(out) != len(texts) or not all(isinstance(t, str) for t in out):
            raise ValueError("the redaction helper answered with something else")
        return out

    def close(self) -> None:
        try:
            self.process.stdin.close()
            self.process.wait(timeout=5)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            self.process.kill()


def helpers_wanted(cores: int | None = None, free_bytes: int | None = None) -> int:
    """How many helpers this machine gives a run: none on one core, one on two (the run's process takes the other),
    then one per core beyond the run's two (its own, and the model's or the GPU's feeding), at most MOST_HELPERS,
    and no more than a quarter of the free memory holds."""
    if cores is None:
        cores = usable_cores()
    if cores < 2:
        return 0
    if free_bytes is None:
        try:
            import psutil

            free_bytes = psutil.virtual_memory().available
        except (ImportError, OSError):
            free_bytes = HELPER_BYTES * 4
    by_memory = max(1, free_bytes // 4 // HELPER_BYTES)
    return int(min(max(1, cores - 2), MOST_HELPERS, by_memory))


def _alive(helper: _Helper) -> bool:
    return helper.owner == os.getpid() and not helper.broken and helper.process.poll() is None


def start(model: str, count: int | None = None) -> None:
    """Launch helpers for `model` until `count` (helpers_wanted() by default) of this process's are alive."""
    wanted = helpers_wanted() if count is None else count
    alive = [helper for helper in _helpers.get(model, []) if _alive(helper)]
    while len(alive) < wanted:
        try:
            alive.append(_Helper(model))
        except OSError:
            break
    if alive:
        _helpers[model] = alive
    else:
        _helpers.pop(model, None)


def share(model: str, texts: Sequence[str], redact_here: Callable[[list[str]], list[str]]) -> list[str] | None:
    """`texts` redacted by this process (`redact_here`) and the helpers together, or None where no helper for `model`
    is ready and free (or the list is too short to be worth it): the caller redacts them alone."""
    if len(texts) < SHARE_FROM:
        return None
    helpers = [helper for helper in _helpers.get(model, [])
               if helper.usable() and helper.busy.acquire(blocking=False)]
    if not helpers:
        return None
    chunks = deque((start, list(texts[start:start + CHUNK])) for start in range(0, len(texts), CHUNK))
    taking = threading.Lock()
    done: dict[int, list[str]] = {}
    lost: list[tuple[int, list[str]]] = []  # the chunks helpers held when they failed

    def take(front: bool) -> tuple[int, list[str]] | None:
        with taking:
            return None if not chunks else chunks.popleft() if front else chunks.pop()

    def feed(helper: _Helper) -> None:
        try:
            while (chunk := take(front=True)) is not None:
                try:
                    done[chunk[0]] = helper.redact(chunk[1])
                except (OSError, ValueError):
                    helper.broken = True
                    lost.append(chunk)
                    return
        finally:
            helper.busy.release()

    feeders: list[tuple[_Helper, threading.Thread]] = []
    for helper in helpers:
        feeder = threading.Thread(target=feed, args=(helper,), name="redact-helper-feed", daemon=True)
        try:
            feeder.start()
        except RuntimeError:  # no thread to be had
            helper.busy.release()
            continue
        feeders.append((helper, feeder))
    if not feeders:
        return None
    while (chunk := take(front=False)) is not None:
        done[chunk[0]] = redact_here(chunk[1])
    deadline = time.monotonic() + PATIENCE_S
    for helper, feeder in feeders:
        feeder.join(max(0.0, deadline - time.monotonic()))
        if feeder.is_alive():  # a helper that hangs: ended, and its chunk redacted here
            helper.broken = True
            helper.process.kill()
            feeder.join()
    for start_at, chunk in lost:
        done[start_at] = redact_here(chunk)
    return [text for start_at in sorted(done) for text in done[start_at]]


@atexit.register
def _close_all() -> None:
    for helpers in _helpers.values():
        for helper in helpers:
            if helper.owner == os.getpid():
                helper.close()


def _serve(model: str) -> None:
    """The helper's side: load the model, say "ready", then redact each line's list of texts until the pipe closes."""
    try:
        os.nice(10)  # loading overlaps the run's start: the run's own work goes first
    except OSError:
        pass
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything a library prints goes where stderr goes, not into the answers
    from themes.redact import Redactor

    redactor = Redactor(model=model, use_ner=True)
    redactor.nlp  # noqa: B018
    answers.write("ready\n")
    answers.flush()
    for line in sys.stdin:  # the run's process sends distinct texts of at most _NER_CHUNK characters
        # Not redact_many: its memory of each text would grow with every run of a served process.
        answers.write(json.dumps(redactor._redact_here(json.loads(line))) + "\n")
        answers.flush()


if __name__ == "__main__":
    _serve(sys.argv[1])

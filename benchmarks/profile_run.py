"""Where a run's time goes: the flow on a synthetic corpus under cProfile, cold cache, model loaded.

Prints the flow's stage times (share of the run) and the functions with the most cumulative time
in the flow's own thread (embedding batches run in the task runner's thread: their time shows as
the `embed` stage). Writes the raw profile to `--out` for `python -m pstats` or snakeviz.

    .venv/bin/python benchmarks/profile_run.py --answers 1000
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # noqa: E402  (sets the environment the flow runs with)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=1000)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", type=Path, default=Path("profile.pstats"))
    args = parser.parse_args(argv)

    from themes.embed import get_embedder
    from themes.flows.code_responses import run_flow
    from themes.settings import RunSettings

    work = Path(tempfile.mkdtemp(prefix="themes-profile-"))
    try:
        get_embedder(device=args.device).load()
        warm = bench.build_corpus(48, work / "warm")
        run_flow(str(warm), str(work / "warm" / "out"),
                 RunSettings(cache_dir=str(work / "warm" / "cache"), device=args.device), force=True)
        corpus = bench.build_corpus(args.answers, work / "corpus")
        settings = RunSettings(cache_dir=str(work / "cache"), device=args.device)
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.enable()
        result = run_flow(str(corpus), str(work / "out"), settings, force=True)
        profile.disable()
        wall = time.perf_counter() - start
        profile.dump_stats(args.out)
        print(f"{args.answers} answers: {wall:.1f} s wall (under cProfile); embedding {result['embedding']}")
        for stage, seconds in result["timings"].items():
            print(f"  {stage:<20}{seconds:>8.2f} s {seconds / wall:>7.1%}")
        other = wall - sum(result["timings"].values())
        print(f"  {'flow overhead':<20}{other:>8.2f} s {other / wall:>7.1%}")
        text = io.StringIO()
        pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(r"themes|sklearn|py3langid|spacy|"
                                                                                r"pandas|xlsxwriter|openpyxl",
                                                                                args.top)
        print(text.getvalue())
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

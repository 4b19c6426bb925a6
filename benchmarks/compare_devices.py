"""Decisions on the gold test split, coded on the CPU and on another device (and in fp16), compared.

The passages are coded the way `themes evaluate` codes them (the coder learns from the codebook and
its calibration, with the vectors shipped beside them; the test passages are embedded afresh on
each device, with no cache), and the output says, per device: passages whose decisions differ from
the CPU's, the largest score difference, the primary-theme kappa and its change.

    .venv/bin/python benchmarks/compare_devices.py --devices cpu,cuda,cuda+fp16
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def code(device: str, fp16: bool, texts: list[str], codebook_path: str):
    import numpy as np

    from themes.calibrate import find_calibration
    from themes.codebook import load_codebook
    from themes.coding import fit_coder
    from themes.embed import embedding_function
    from themes.shipped import shipped_paths

    codebook = load_codebook(codebook_path)
    calibration = find_calibration(codebook_path, None)
    embed = embedding_function(device=device, fp16=fp16, shipped=shipped_paths([codebook_path]))
    coder = fit_coder(codebook, embed, calibration)
    start = time.perf_counter()
    segment_scores, _, scores, decided = coder.code_texts(texts, embed)
    return coder, np.asarray(segment_scores), scores, decided, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", default="cpu,cuda", help="comma-separated; the first is the reference; "
                        "'+fp16' halves the model on CUDA")
    parser.add_argument("--gold", default="data/sample_rfi/gold.csv")
    parser.add_argument("--split", default="test")
    parser.add_argument("--codebook", default="codebooks/rfi_themes.yaml")
    args = parser.parse_args(argv)

    import numpy as np

    from themes.calibrate import find_calibration
    from themes.codebook import load_codebook
    from themes.coding import learned_from
    from themes.evaluate import agreement, read_gold

    codebook = load_codebook(args.codebook)
    gold = read_gold(args.gold, codebook, split=args.split)
    gold = gold[~learned_from(gold["text"], codebook, find_calibration(args.codebook, None))].reset_index(drop=True)
    texts, coded = list(gold["text"]), list(gold["gold"])
    reference = None
    report = []
    for name in args.devices.split(","):
        device, _, precision = name.partition("+")
        coder, segment_scores, scores, decided, seconds = code(device, precision == "fp16", texts, args.codebook)
        kappa = agreement(coded, coder.scheme.labels(decided), coder.scheme.primary(scores, decided),
                          coder.scheme)["overall"]["primary_kappa"]
        row = {"device": name, "passages": len(texts), "primary_kappa": round(kappa, 4), "seconds": round(seconds, 2)}
        if reference is None:
            reference = (segment_scores, decided, kappa)
        else:
            row["passages_decided_differently"] = int((decided != reference[1]).any(axis=1).sum())
            row["max_score_difference"] = float(np.abs(segment_scores - reference[0]).max())
            row["kappa_change"] = round(kappa - reference[2], 4)
        report.append(row)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()

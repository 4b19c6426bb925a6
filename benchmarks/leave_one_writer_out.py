"""Leave-one-writer-out agreement on a gold file's test split: does the coder generalise to a writer it
never learned from?

For each writer (the passage id's letter prefix), the coder learns from the calibration passages of
the other writers, its thresholds are tuned by 5-fold cross-validation on those same passages (as
`themes calibrate` does), and it codes that writer's test passages, as `themes evaluate` codes them.
The figure pools every writer's test passages. Reads the shipped vectors and the embedding cache.

    .venv/bin/python benchmarks/leave_one_writer_out.py                       # the themes codebook
    .venv/bin/python benchmarks/leave_one_writer_out.py --codebook codebooks/partnership_models.yaml \\
        --gold data/sample_rfi/gold_framework.csv
"""

from __future__ import annotations

import argparse
import re
import time

from themes import defaults


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--codebook", default="codebooks/rfi_themes.yaml")
    parser.add_argument("--gold", default="data/sample_rfi/gold.csv")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)

    from themes.calibrate import calibrate
    from themes.codebook import load_codebook
    from themes.coding import Scheme, fit_coder, resolve_thresholds
    from themes.embed import embedding_function
    from themes.evaluate import agreement, read_gold
    from themes.shipped import shipped_paths

    codebook = load_codebook(args.codebook)
    gold = read_gold(args.gold, codebook)
    gold = gold.assign(writer=gold["passage_id"].map(lambda i: re.match(r"[A-Za-z]+", str(i)).group().lower()))
    calibration, test = gold[gold["split"] == "calibration"], gold[gold["split"] == "test"]
    embed = embedding_function(shipped=shipped_paths([args.codebook]))
    scheme = Scheme(codebook)
    labels, primary, reference = [], [], []
    for writer in sorted(set(test["writer"])):
        start = time.perf_counter()
        train, held = calibration[calibration["writer"] != writer], test[test["writer"] == writer]
        texts, coded, questions = list(train["text"]), list(train["gold"]), list(train["question"])
        learned, _ = calibrate(codebook, texts, coded, embed, folds=args.folds, questions=questions)
        coder = fit_coder(codebook, embed, passages=list(zip(texts, coded, questions)))
        thresholds, _ = resolve_thresholds(coder.scheme, learned)
        segment_scores, keys = coder.score_segments(list(held["text"]), embed, questions=list(held["question"]),
                                                    segment_words=defaults.SEGMENT_WORDS)
        _, scores, decided = coder.code(segment_scores, keys, len(held), thresholds)
        writer_labels, writer_primary = scheme.labels(decided), scheme.primary(scores, decided)
        result = agreement(list(held["gold"]), writer_labels, writer_primary, scheme)
        labels += writer_labels
        primary += writer_primary
        reference += list(held["gold"])
        summary = (f"kappa {result['overall']['primary_kappa']:.3f}" if codebook.themes else
                   ", ".join(f"{r['dimension']} {r['kappa']:.3f}" for r in result["per_dimension"]))
        print(f"writer {writer}: {len(held)} test passages, {len(train)} learned from; {summary} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    pooled = agreement(reference, labels, primary, scheme)
    if codebook.themes:
        overall = pooled["overall"]
        print(f"pooled over {len(reference)} passages: primary kappa {overall['primary_kappa']:.3f}, alpha "
              f"{overall['primary_alpha']:.3f}, macro F1 {overall['macro_f1']:.3f}")
        print("per theme: " + ", ".join(f"{r['theme']} {r['kappa']:.3f}" for r in pooled["per_theme"]))
    for row in pooled["per_dimension"]:
        print(f"{row['dimension']}: kappa {row['kappa']:.3f}, type accuracy {row['type_accuracy']:.3f}")


if __name__ == "__main__":
    main()

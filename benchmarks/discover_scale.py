"""Time `themes discover`'s clustering and naming on 100,000 passages (no embedding: that is the run's
cost, and the embedding cache has the run's vectors).

The passages are the shipped sample's answers, embedded once with the real model, each repeated
with a small random perturbation of its vector (so the corpus has the sample's topic structure at
100k scale). Prints the seconds for clustering (PCA, HDBSCAN on a sample, joining the rest) and for
naming (c-TF-IDF over all passages).

    .venv/bin/python benchmarks/discover_scale.py [--passages 100000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    args = parser.parse_args()

    from themes.discover import PassageClusters, cluster_words
    from themes.embed import embedding_function
    from themes.settings import default_cache_dir

    table = pd.read_csv("data/sample_rfi/responses.csv", dtype=str, keep_default_na=False)
    columns = [c for c in ("goals", "services", "funding", "data", "effective_practices", "challenges",
                           "community_engagement", "five_year_goals") if c in table.columns]
    texts = [t for c in columns for t in table[c] if len(t.split()) >= 3]
    vectors = embedding_function(args.model, cache_dir=default_cache_dir())(texts)
    rng = np.random.default_rng(0)
    picks = rng.integers(0, len(texts), args.passages)
    corpus = vectors[picks] + rng.normal(0, 0.02, (args.passages, vectors.shape[1])).astype(np.float32)
    corpus /= np.linalg.norm(corpus, axis=1, keepdims=True)
    corpus_texts = [texts[i] for i in picks]
    respondents = [f"R{i // 8}" for i in range(args.passages)]  # eight answers per respondent

    start = time.perf_counter()
    model = PassageClusters(random_state=0).fit(corpus)
    clustered = time.perf_counter()
    words = cluster_words(corpus_texts, model.labels_, respondents=respondents)
    named = time.perf_counter()
    print(f"{args.passages} passages ({len(texts)} distinct answers of the sample): {model.n_clusters_} clusters, "
          f"{(model.labels_ >= 0).mean():.0%} clustered")
    print(f"clustering {clustered - start:.1f} s, naming {named - clustered:.1f} s, total {named - start:.1f} s")
    for cluster in range(min(5, model.n_clusters_)):
        print(f"  {cluster + 1}: {(model.labels_ == cluster).sum()} passages: {', '.join(words[cluster])}")


if __name__ == "__main__":
    main()

"""The map of papers on the 20k sample: time, memory and quality of each projection, and how well the map's
clusters agree with the papers' arXiv categories.

Data: the 19,995 real papers of benchmarks/data/arxiv-sample-20k.jsonl.gz, embedded with the static tier
(minilm-static: MiniLM would take an hour on 2 busy cores) and given keyphrases by the default method
(minilm-tokens), both cached in benchmarks/out/map-sample.npz on the first run.

Methods, each in a fresh process held to 2 threads (wall and CPU seconds, peak memory above the loaded data):
- product: ranking/paper_map.compute_map as the site runs it (PCA to 50, openTSNE on 2,000 papers, the rest
  placed among their nearest fitted neighbours, KMeans, c-TF-IDF labels);
- opentsne, umap, pacmap: each library on all papers (after the same PCA), with its defaults; umap-learn and
  pacmap are not dependencies of dailypapers: install them to measure them.
Quality: the share of each paper's 10 nearest neighbours (cosine, in the embedding space) that stay among its
10 nearest on the map, and sklearn's trustworthiness (10 neighbours, on 3,000 papers). Agreement: adjusted
mutual information and purity of the clusters against the papers' primary categories: the product's own
(KMeans in the PCA space), and for the libraries KMeans on their 2D map (as many clusters).

    PYTHONPATH=. .venv/bin/python benchmarks/map.py [--methods product,opentsne,umap,pacmap]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "benchmarks" / "data" / "arxiv-sample-20k.jsonl.gz"
PREPARED = ROOT / "benchmarks" / "out" / "map-sample.npz"
THREADS = {name: "2" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")}


def prepare() -> None:
    """Vectors and keyphrases of the sample, computed once."""
    from dailypapers.index.embedders import StaticEmbedder, paper_text, static_model_dir
    from dailypapers.index.keyphrases import describe_with_tokens
    from dailypapers.index.token_vectors import minilm_token_vectors

    rows = [json.loads(line) for line in gzip.open(SAMPLE, "rt")]
    titles = [" ".join(r["title"].split()) for r in rows]
    abstracts = [" ".join(r["abstract"].split()) for r in rows]
    vectors = StaticEmbedder(static_model_dir(), "minilm-static").embed(
        [paper_text(t, a) for t, a in zip(titles, abstracts, strict=True)]
    )
    tokens = minilm_token_vectors()
    keywords = []
    for i in range(0, len(rows), 500):
        pairs = list(zip(titles[i : i + 500], abstracts[i : i + 500], strict=True))
        keywords += [d.keywords for d in describe_with_tokens(pairs, tokens)]
    PREPARED.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        PREPARED,
        vectors=vectors.astype(np.float32),
        cats=np.array([r["categories"].split()[0] for r in rows]),
        ids=np.array([r["id"] for r in rows]),
        titles=np.array(titles),
        keywords=np.array([json.dumps(k) for k in keywords]),
    )


def run_one(method: str) -> dict:
    """In this (fresh) process: project the sample with `method`; its time, memory and positions."""
    from dailypapers.ranking import paper_map

    data = np.load(PREPARED)
    vectors = data["vectors"]
    papers = [
        paper_map.MapPaper(i, str(a), str(t), tuple(json.loads(k)))
        for i, (a, t, k) in enumerate(zip(data["ids"], data["titles"], data["keywords"], strict=True))
    ]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wall, cpu = time.perf_counter(), time.process_time()
    labels: list[str] = []
    if method == "product":
        made = paper_map.compute_map(papers, vectors)
        xy, cluster = made.xy, made.cluster
        labels = [f"{c.count} {c.label}" for c in made.clusters]
    else:
        from sklearn.decomposition import PCA

        reduced = PCA(paper_map.PCA_DIMS, random_state=0).fit_transform(vectors).astype(np.float32)
        if method == "opentsne":
            from openTSNE import TSNE

            xy = np.asarray(TSNE(n_jobs=2, random_state=0).fit(reduced))
        elif method == "umap":
            import umap

            xy = umap.UMAP(n_jobs=2).fit_transform(reduced)
        elif method == "pacmap":
            import pacmap

            xy = pacmap.PaCMAP(n_components=2).fit_transform(reduced)
        else:
            raise SystemExit(f"unknown method {method}")
        cluster, _ = paper_map.clusters_of(paper_map._scaled(np.asarray(xy, dtype=np.float64)))
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "method": method,
        "papers": len(papers),
        "wall_s": round(seconds, 2),
        "cpu_s": round(cpu_seconds, 2),
        "peak_mb_above_data": round((peak - before) / 1024),
        **quality(vectors, np.asarray(xy), np.asarray(cluster), data["cats"]),
        "labels": labels,
    }


def quality(vectors: np.ndarray, xy: np.ndarray, cluster: np.ndarray, categories: np.ndarray) -> dict:
    from sklearn.manifold import trustworthiness
    from sklearn.metrics import adjusted_mutual_info_score
    from sklearn.neighbors import NearestNeighbors

    k = 10
    high = NearestNeighbors(n_neighbors=k + 1, metric="cosine").fit(vectors).kneighbors(return_distance=False)
    low = NearestNeighbors(n_neighbors=k + 1).fit(xy).kneighbors(return_distance=False)
    kept = np.mean([len(set(a[:k]) & set(b[:k])) / k for a, b in zip(high, low, strict=True)])
    some = np.random.default_rng(0).choice(len(xy), min(3000, len(xy)), replace=False)
    purity = sum(np.unique(categories[cluster == c], return_counts=True)[1].max() for c in np.unique(cluster))
    return {
        "knn10_kept": round(float(kept), 3),
        "trustworthiness": round(float(trustworthiness(vectors[some], xy[some], n_neighbors=k)), 3),
        "clusters": int(len(np.unique(cluster))),
        "ami_vs_category": round(float(adjusted_mutual_info_score(categories, cluster)), 3),
        "purity_vs_category": round(purity / len(cluster), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--methods", default="product", help="comma-separated: product, opentsne, umap, pacmap")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child process: measure this method alone
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    if not PREPARED.exists():
        print("embedding the sample and computing keyphrases (a few minutes, once)", flush=True)
        prepare()
    load = os.getloadavg()[0]
    for method in args.methods.split(","):
        done = subprocess.run(
            [sys.executable, __file__, "--one", method],
            capture_output=True,
            text=True,
            env={**os.environ, **THREADS},
        )
        if done.returncode:
            print(f"{method}: failed\n{done.stderr[-2000:]}")
            continue
        print(done.stdout.strip().splitlines()[-1], flush=True)
    print(f"load average at the start: {load:.1f}; at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

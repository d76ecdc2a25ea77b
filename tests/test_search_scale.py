"""Scale checks (slow): HNSW recall on real embeddings, and the scale benchmark end to end.

CI runs them small: 300 real sample abstracts embedded with MiniLM, grown to 5,000 vectors with the
benchmark's synthetic neighbours (the benchmark's own 5k run seeds itself the same way).
DAILYPAPERS_FULL_SCALE=1 uses the 20k real vectors cached by benchmarks/relevance.py and 100,000 vectors.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT

FULL = os.environ.get("DAILYPAPERS_FULL_SCALE") == "1"
sys.path.insert(0, str(ROOT / "benchmarks"))


def real_vectors(settings):
    """(records, MiniLM vectors) of real papers: the benchmark's own seed, or its 20k cache at full scale."""
    from search_scale import real_corpus, seed_corpus

    corpus = real_corpus() if FULL else seed_corpus()
    return corpus.records, corpus.vectors


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_hnsw_recall_at_10_is_at_least_095_on_real_embeddings(settings):
    from synthetic import RealCorpus, generate, nearest_neighbours

    from dailypapers.index.vectors import FileVectorIndex, make_graph

    records, vectors = real_vectors(settings)
    corpus = RealCorpus(records, vectors, nearest_neighbours(vectors))
    size = 100_000 if FULL else 5_000
    matrix = np.concatenate([v for _, v in generate(corpus, size - len(vectors))] + [vectors])
    ids = np.arange(1, len(matrix) + 1, dtype=np.int64)
    index = FileVectorIndex("minilm", ids, matrix, make_graph(ids, matrix))
    rng = np.random.default_rng(3)
    queries = vectors[rng.choice(len(vectors), 100, replace=False)]
    queries = queries + rng.normal(0, 0.02, queries.shape).astype(np.float32)  # near, not equal, to a paper
    graph, recalls = index.graph, []
    for q in queries / np.linalg.norm(queries, axis=1, keepdims=True):
        approximate = {p for p, _ in index.search(q, 10)}
        index.graph = None
        exact = {p for p, _ in index.search(q, 10)}
        index.graph = graph
        recalls.append(len(approximate & exact) / 10)
    assert np.mean(recalls) >= 0.95


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_scale_benchmark_runs_end_to_end_at_a_small_size():
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "search_scale.py"),
            "--sizes",
            "5k",
            "--postgres-sizes",
            "5k",
            "--queries",
            "20",
            "--rebuild",
        ],
        capture_output=True,
        text=True,
        timeout=1700,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| 5,000 | sqlite | hybrid |" in done.stdout and "| 5,000 | postgresql | hybrid |" in done.stdout
    rows = json.loads(Path(ROOT / "benchmarks" / "out" / "search_scale-5k-5k-pg.json").read_text())
    assert [(r["backend"], r["count"]) for r in rows] == [("sqlite", 5000), ("postgresql", 5000)]
    assert all(r["ann_recall@10"] >= 0.95 for r in rows)
    assert {"fts5", "bm25s"} <= set(rows[0]["engines"])

"""Synthetic papers for the scale benchmarks: realistic text and vectors with neighbour structure, cheaply.

Each synthetic paper starts from a real paper of the 20k sample (its "base") and one of the base's 10
nearest real neighbours (by MiniLM vector). Its text mixes their sentences and title words; its vector is
normalise(v_base + a * v_neighbour + noise). So topics cluster the way real ones do, and a million
papers need no embedding at all. A fixed seed makes every run build the same collection.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from dailypapers.sources.records import PaperRecord

SEED = 20261126
NOISE = 0.02  # per-dimension noise; with 384 dimensions a synthetic vector keeps cosine ~0.9 to its base
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass
class RealCorpus:
    records: list[PaperRecord]  # the real papers, in the order of `vectors`
    vectors: np.ndarray  # (n, dim) float32 unit vectors
    neighbours: np.ndarray  # (n, 10) indices of each paper's nearest other papers


def nearest_neighbours(vectors: np.ndarray, k: int = 10, chunk: int = 2048) -> np.ndarray:
    out = np.zeros((len(vectors), k), dtype=np.int64)
    for start in range(0, len(vectors), chunk):
        scores = vectors[start : start + chunk] @ vectors.T
        for row in range(scores.shape[0]):
            scores[row, start + row] = -np.inf
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        out[start : start + chunk] = np.take_along_axis(top, order, axis=1)
    return out


def synthetic_id(i: int) -> str:
    """New-style ids from 1990-1999, months that never had new-style ids on arXiv: no clash with real papers."""
    month = i // 99_999
    return f"{90 + month // 12:02d}{month % 12 + 1:02d}.{i % 99_999 + 1:05d}"


def generate(
    corpus: RealCorpus, n: int, seed: int = SEED, batch: int = 10_000
) -> Iterator[tuple[list[PaperRecord], np.ndarray]]:
    """Batches of (records, vectors) for n synthetic papers."""
    rng = np.random.default_rng(seed)
    sentences = [_SENTENCE.split(r.abstract) for r in corpus.records]
    dim = corpus.vectors.shape[1]
    for start in range(0, n, batch):
        size = min(batch, n - start)
        base = rng.integers(0, len(corpus.records), size)
        pick = rng.integers(0, corpus.neighbours.shape[1], size)
        other = corpus.neighbours[base, pick]
        mix = rng.uniform(0.0, 0.6, size).astype(np.float32)
        vectors = corpus.vectors[base] + mix[:, None] * corpus.vectors[other]
        vectors += rng.normal(0.0, NOISE, (size, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        records = []
        for j in range(size):
            b, o = corpus.records[base[j]], corpus.records[other[j]]
            words_b, words_o = b.title.split(), o.title.split()
            cut = int(rng.integers(1, max(2, len(words_b))))
            title = " ".join(words_b[:cut] + words_o[len(words_o) * cut // max(1, len(words_b)) :]) or b.title
            mine = [s for s in sentences[base[j]] if rng.random() < 0.7]
            theirs = [s for s in sentences[other[j]] if rng.random() < 0.3]
            abstract = " ".join(mine + theirs) or b.abstract
            authors = list(b.authors[: max(1, len(b.authors) - 1)]) + list(o.authors[:1])
            published = b.published_at or o.published_at
            if published is not None:
                published = published + timedelta(days=int(rng.integers(-400, 400)))
            records.append(
                PaperRecord(
                    arxiv_id=synthetic_id(start + j),
                    version=1,
                    title=title,
                    abstract=abstract,
                    authors=authors,
                    categories=list(b.categories),
                    primary_category=b.primary_category,
                    published_at=published,
                    updated_at=published,
                    code_url=b.code_url if rng.random() < 0.5 else None,
                )
            )
        yield records, vectors

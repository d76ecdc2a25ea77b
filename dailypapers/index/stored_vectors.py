"""Stored vectors: embed the papers that are new or changed since their last vector, in committed batches.

The `embeddings` table (store/embeddings.py) is the source of truth: one row per paper and model, with the
paper's content hash at embedding time. Each batch is committed on its own, so a killed
run keeps what it finished and the next run picks up the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from dailypapers.faults import VECTORS_SAVED, fault_point
from dailypapers.index.embedders import Embedder, paper_text
from dailypapers.store.db import Engine
from dailypapers.store.embeddings import iter_pending, pending_among, save_vectors


@dataclass
class EmbedResult:
    embedded: int = 0
    seconds: float = 0.0


def embed_pending(
    engine: Engine,
    embedder: Embedder,
    batch_size: int = 256,
    advance: Callable[[int], None] | None = None,
    max_batches: int | None = None,
) -> EmbedResult:
    """Embed every paper without a current vector for this model; returns how many were embedded."""
    result = EmbedResult()
    started = time.perf_counter()
    for number, rows in enumerate(iter_pending(engine, embedder.name, batch_size)):
        if max_batches is not None and number >= max_batches:
            break
        _embed_rows(engine, embedder, rows)
        fault_point(VECTORS_SAVED)
        result.embedded += len(rows)
        if advance:
            advance(len(rows))
    result.seconds = time.perf_counter() - started
    return result


def embed_papers(engine: Engine, embedder: Embedder, paper_ids: list[int]) -> EmbedResult:
    """Embed those of these papers that still have no current vector for this model (another run may have
    embedded some since they were picked), in one committed batch."""
    started = time.perf_counter()
    rows = pending_among(engine, embedder.name, paper_ids)
    if rows:
        _embed_rows(engine, embedder, rows)
    return EmbedResult(len(rows), time.perf_counter() - started)


def _embed_rows(engine: Engine, embedder: Embedder, rows) -> None:
    vectors = embedder.embed([paper_text(row.title, row.abstract) for row in rows])
    save_vectors(engine, embedder.name, [(row.id, row.content_hash) for row in rows], vectors)

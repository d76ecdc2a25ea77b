"""The index step that keeps every paper's keywords and summary current with its title and abstract."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dailypapers.index.embedders import MINILM_STATIC, Embedder, get_embedder, static_model_dir
from dailypapers.index.keyphrases import describe, describe_with_tokens, source_hash
from dailypapers.index.token_pool import describe_in_pool
from dailypapers.index.token_vectors import TokenVectors, minilm_token_vectors, static_token_vectors
from dailypapers.store.db import Engine
from dailypapers.store.embeddings import vectors_of
from dailypapers.store.keyphrases import iter_paper_texts, save_keyphrases

MINILM_TOKENS = "minilm-tokens"


def keyphrase_method(name: str, data_dir: Path) -> TokenVectors | Embedder:
    """What computes keywords and summaries: static token vectors (fast), or an embedding model (as before)."""
    if name == MINILM_TOKENS:
        return minilm_token_vectors()
    if name == MINILM_STATIC:
        return static_token_vectors(static_model_dir())
    return get_embedder(name, data_dir)


def describe_pending(
    engine: Engine,
    method: TokenVectors | Embedder,
    batch_size: int = 256,
    advance: Callable[[int], None] | None = None,
    workers: int = 1,
) -> int:
    """Compute and store keywords and summary where they are missing or stale; returns how many papers.
    `advance` is told of every paper looked at, computed or not: a progress bar over all papers. With static token
    vectors, `workers` processes compute (token_pool.py); this process still reads and writes every batch."""
    done = 0
    for (rows, stale), described in _described(engine, method, batch_size, workers):
        save_keyphrases(
            engine,
            [
                {"key": row.id, "keywords": d.keywords, "summary": d.summary, "source_hash": digest}
                for (row, digest), d in zip(stale, described, strict=True)
            ],
        )
        done += len(stale)
        if advance:
            advance(len(rows))
    return done


def _described(engine: Engine, method: TokenVectors | Embedder, batch_size: int, workers: int):
    """Each batch of papers, (rows, [(stale row, its source hash)]), with the descriptions of its stale rows."""
    batches = (
        ((rows, stale), [(row.title, row.abstract or "") for row, _ in stale])
        for rows, stale in _stale(engine, batch_size)
    )
    if isinstance(method, TokenVectors) and workers > 1:
        yield from describe_in_pool(batches, method, workers)
        return
    for (rows, stale), papers in batches:
        if not papers:
            yield (rows, stale), []
        elif isinstance(method, TokenVectors):
            yield (rows, stale), describe_with_tokens(papers, method)
        else:
            # the index step has just encoded the unchanged papers: reuse their vectors, not encode again
            stored = vectors_of(engine, method.name, [row.id for row, _ in stale], current=True)
            yield (rows, stale), describe(papers, method, [stored.get(row.id) for row, _ in stale])


def _stale(engine: Engine, batch_size: int):
    """Every paper a batch at a time, with those of the batch whose keywords are missing or stale."""
    for rows in iter_paper_texts(engine, batch_size):
        hashed = [(row, source_hash(row.title, row.abstract)) for row in rows]
        yield rows, [(row, digest) for row, digest in hashed if digest != row.ai_source_hash]

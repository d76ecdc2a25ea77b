"""The index step that keeps every paper's keywords and summary current with its title and abstract."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from dailypapers.index.embedders import Embedder
from dailypapers.index.keyphrases import describe, source_hash
from dailypapers.store.keyphrases import iter_paper_texts, save_keyphrases


def describe_pending(engine: Engine, embedder: Embedder, batch_size: int = 256,
                     advance: Callable[[int], None] | None = None) -> int:
    """Compute and store keywords and summary where they are missing or stale; returns how many papers."""
    done = 0
    for rows in iter_paper_texts(engine, batch_size):
        stale = [(row, source_hash(row.title, row.abstract)) for row in rows]
        stale = [(row, digest) for row, digest in stale if digest != row.ai_source_hash]
        if not stale:
            continue
        described = describe([(row.title, row.abstract or "") for row, _ in stale], embedder)
        save_keyphrases(engine, [{"key": row.id, "keywords": d.keywords, "summary": d.summary, "source_hash": digest}
                                 for (row, digest), d in zip(stale, described, strict=True)])
        done += len(stale)
        if advance:
            advance(len(stale))
    return done

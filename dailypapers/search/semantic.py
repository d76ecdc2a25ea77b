"""Semantic retrieval: the vector index of the configured model, the query's vector, the nearest papers."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from dailypapers.config import get_settings
from dailypapers.index.embedders import get_embedder, model_label
from dailypapers.index.vectors import VectorIndex, load_vector_index
from dailypapers.search.filters import Filters, all_matching, keep_matching
from dailypapers.search.query import SearchQuery


def semantic_index(session: Session, model: str | None = None) -> VectorIndex | None:
    settings = get_settings()
    return load_vector_index(session.get_bind(), settings.data_dir, model_label(model or settings.embedding_model))


def embed_query(text_: str, model: str | None = None) -> np.ndarray:
    settings = get_settings()
    return get_embedder(model or settings.embedding_model, settings.data_dir).embed([text_])[0]


def semantic_candidates(session: Session, index: VectorIndex, query: SearchQuery, filters: Filters,
                        depth: int) -> list[tuple[int, float]]:
    vector = embed_query(query.text, query.model)
    conn = session.connection()
    return index.search(vector, depth, keep=lambda ids: keep_matching(conn, filters, ids),
                        allowed=lambda: all_matching(conn, filters))


def coverage_notes(index: VectorIndex, newest: int) -> list[str]:
    """A note when papers were added after the vectors were built (they are found by keyword only)."""
    if len(index) and newest > int(index.ids[-1]):
        return ["papers added since the last `dailypapers index` are found by keyword only"]
    return []

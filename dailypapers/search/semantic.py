"""Semantic retrieval: the vector index of the configured model, the query's vector, the nearest papers."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from dailypapers.config import get_settings
from dailypapers.index.embedders import get_embedder, model_label
from dailypapers.index.seams import Filters, KeywordIndex, VectorIndex
from dailypapers.index.vectors import load_vector_index
from dailypapers.search.query import SearchQuery


def semantic_index(session: Session, model: str | None = None) -> VectorIndex | None:
    settings = get_settings()
    return load_vector_index(session.get_bind(), settings.data_dir, model_label(model or settings.embedding_model))


def embed_query(text_: str, model: str | None = None) -> np.ndarray:
    settings = get_settings()
    return get_embedder(model or settings.embedding_model, settings.data_dir).embed([text_])[0]


def nearest(index: VectorIndex, vector: np.ndarray, k: int, keywords: KeywordIndex,
            filters: Filters) -> list[tuple[int, float]]:
    """The k nearest visible papers passing the filters."""
    return index.search(vector, k, keep=lambda ids: keywords.matching(filters, ids),
                        allowed=lambda: keywords.matching(filters))


def semantic_candidates(index: VectorIndex, query: SearchQuery, keywords: KeywordIndex, filters: Filters,
                        depth: int) -> list[tuple[int, float]]:
    return nearest(index, embed_query(query.text, query.model), depth, keywords, filters)


def coverage_notes(index: VectorIndex, newest: int) -> list[str]:
    """A note when papers were added after the vectors were built (they are found by keyword only)."""
    if len(index) and newest > int(index.ids[-1]):
        return ["papers added since the last `dailypapers index` are found by keyword only"]
    return []

"""Semantic retrieval: the vector index of the configured model, the query's vector, the nearest papers."""

from __future__ import annotations

import numpy as np

from dailypapers.config import get_settings
from dailypapers.index.embedders import get_embedder, model_label
from dailypapers.index.engines import vector_index
from dailypapers.index.protocols import Filters, KeywordIndex, VectorIndex
from dailypapers.search.query import SearchQuery
from dailypapers.store.db import Session, engine_of

# The cosine similarity below which a paper is no semantic match, per model. Measured on the 63 judged queries
# (benchmarks/relevance.py --floor): every judged relevant paper scores at least 0.203 with MiniLM (0.451 with
# the static tier), while 18 gibberish and off-topic queries never reach 0.165 (0.353) against any demo paper.
# Each floor sits in that gap, so nonsense finds nothing and no judged hit is lost. Models nobody has measured
# get no floor: their similarities mean something else.
SIMILARITY_FLOOR_BY_MODEL = {"all-MiniLM-L6-v2": 0.18, "all-MiniLM-L6-v2-static256": 0.40}
NO_FLOOR = -1.0  # cosine similarities are never below it


def similarity_floor(model: str) -> float:
    """The search_similarity_floor setting, else the floor measured for this model."""
    configured = get_settings().search_similarity_floor
    return configured if configured is not None else SIMILARITY_FLOOR_BY_MODEL.get(model, NO_FLOOR)


def semantic_index(session: Session, model: str | None = None) -> VectorIndex | None:
    settings = get_settings()
    return vector_index(engine_of(session), model_label(model or settings.embedding_model), settings)


def embed_query(text_: str, model: str | None = None) -> np.ndarray:
    settings = get_settings()
    vectors = get_embedder(model or settings.embedding_model, settings.data_dir).embed([text_])
    return np.asarray(vectors[0], dtype=np.float32)


def nearest(
    index: VectorIndex, vector: np.ndarray, k: int, keywords: KeywordIndex, filters: Filters
) -> list[tuple[int, float]]:
    """The k nearest visible papers passing the filters (an index inside the database applies them itself)."""
    return index.search(
        vector,
        k,
        keep=lambda ids: keywords.matching(filters, ids),
        allowed=lambda: keywords.matching(filters),
        filters=filters,
    )


def semantic_candidates(
    index: VectorIndex, query: SearchQuery, keywords: KeywordIndex, filters: Filters, depth: int
) -> list[tuple[int, float]]:
    return nearest(index, embed_query(query.text, query.model), depth, keywords, filters)


def coverage_notes(index: VectorIndex, newest: int) -> list[str]:
    """A note when papers were added after the vectors were built (they are found by keyword only)."""
    if len(index) and newest > int(index.ids[-1]):
        return ["papers added since the last `dailypapers index` are found by keyword only"]
    return []

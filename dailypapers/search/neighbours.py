"""Related papers: a paper's nearest neighbours by vector, excluding itself."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from dailypapers.index.engines import keyword_index
from dailypapers.index.protocols import Filters, KeywordIndex, KeywordQuery
from dailypapers.search.hits import load_hits
from dailypapers.search.query import Hit
from dailypapers.search.semantic import semantic_index
from dailypapers.store.db import Row, Session, engine_of
from dailypapers.store.embeddings import vector_of
from dailypapers.store.reads import paper_title, visible_papers

_WORD = re.compile(r"\w+", re.UNICODE)


def related_papers(session: Session, paper_id: int, limit: int = 5, model: str | None = None) -> list[Hit]:
    retriever, scored = nearest_papers(session, paper_id, limit, model)
    return load_hits(session, scored, {retriever: {pid: i + 1 for i, (pid, _) in enumerate(scored)}})


def nearest_papers(
    session: Session, paper_id: int, limit: int = 5, model: str | None = None, rows: dict[int, Row[Any]] | None = None
) -> tuple[str, list[tuple[int, float]]]:
    """The retriever that found them ("semantic", or "keyword" before vectors exist) and the (paper id, score)
    of the visible papers nearest this one. `rows`, when given, gets the rows (`visible_papers`) that the
    visibility check read: most of the papers found, often all."""
    if limit <= 0:
        return "semantic", []
    index = semantic_index(session, model)
    vector = None
    if index is not None:
        vector = index.vector(paper_id)
        if vector is None:  # embedded after the index files were written
            vector = vector_of(session.connection(), paper_id, index.model)
    not_itself = Filters(exclude_ids=(paper_id,))
    if index is None or vector is None:
        return "keyword", _by_title_words(session, keyword_index(engine_of(session)), paper_id, not_itself, limit)

    def visible(ids: np.ndarray) -> np.ndarray:
        # Only hidden papers and this one are left out, and the store knows which those are: asking the keyword
        # index would mean bringing it up to date with the store first, at twice the cost of the page's query.
        found = visible_papers(session.connection(), ids)
        if rows is not None:
            rows.update(found)
        return np.array([pid for pid in found if pid != paper_id], dtype=np.int64)

    return "semantic", index.search(
        vector,
        limit,
        keep=visible,
        filters=not_itself,
        allowed=lambda: keyword_index(engine_of(session)).matching(not_itself),
    )


def _by_title_words(
    session: Session, keywords: KeywordIndex, paper_id: int, not_itself: Filters, limit: int
) -> list[tuple[int, float]]:
    """Before vectors exist: papers sharing the title's longer words, by keyword score."""
    title = paper_title(session.connection(), paper_id)
    if title is None:
        return []
    words = tuple(dict.fromkeys(w for w in _WORD.findall(title.lower()) if len(w) > 3))[:12]
    if not words:
        return []
    return [(h.paper_id, h.score) for h in keywords.search(KeywordQuery(terms=words), not_itself, limit)]

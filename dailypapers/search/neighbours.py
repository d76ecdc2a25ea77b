"""Related papers: a paper's nearest neighbours by vector, excluding itself."""

from __future__ import annotations

import re

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from dailypapers.index import keyword
from dailypapers.index.stored_vectors import vector_of
from dailypapers.search.filters import Filters, keep_matching
from dailypapers.search.hits import load_hits
from dailypapers.search.query import Hit
from dailypapers.search.semantic import semantic_index

_WORD = re.compile(r"\w+", re.UNICODE)


def related_papers(session: Session, paper_id: int, limit: int = 5, model: str | None = None) -> list[Hit]:
    if limit <= 0:
        return []
    index = semantic_index(session, model)
    vector = None
    if index is not None:
        vector = index.vector(paper_id)
        if vector is None:  # embedded after the index files were written
            vector = vector_of(session.connection(), paper_id, index.model)
    if vector is None:
        return _by_title_words(session, paper_id, limit)
    conn = session.connection()
    no_filters = Filters()

    def keep(ids: np.ndarray) -> np.ndarray:
        return keep_matching(conn, no_filters, ids[ids != paper_id])

    found = index.search(vector, limit + 1, keep=keep)
    found = [(pid, score) for pid, score in found if pid != paper_id][:limit]
    return load_hits(session, found, {"semantic": {pid: i + 1 for i, (pid, _) in enumerate(found)}})


def _by_title_words(session: Session, paper_id: int, limit: int) -> list[Hit]:
    """Before vectors exist: papers sharing the title's longer words, by bm25."""
    title = session.execute(text("SELECT title FROM papers WHERE id = :id"), {"id": paper_id}).scalar()
    if title is None:
        return []
    words = list(dict.fromkeys(w for w in _WORD.findall(title.lower()) if len(w) > 3))[:12]
    if not words:
        return []
    match = " OR ".join(f'"{w}"' for w in words)
    hits = keyword.search(session.connection(), match, "AND p.id != :id", {"id": paper_id}, limit,
                          with_snippets=False)
    scored = [(h.paper_id, h.score) for h in hits]
    return load_hits(session, scored, {"keyword": {pid: i + 1 for i, (pid, _) in enumerate(scored)}})

"""Related papers: a paper's nearest neighbours by vector, excluding itself."""

from __future__ import annotations

import re

from dailypapers.index.engines import keyword_index
from dailypapers.index.protocols import Filters, KeywordIndex, KeywordQuery
from dailypapers.search.hits import load_hits
from dailypapers.search.query import Hit
from dailypapers.search.semantic import nearest, semantic_index
from dailypapers.store.db import Session, engine_of
from dailypapers.store.embeddings import vector_of
from dailypapers.store.reads import paper_title

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
    keywords = keyword_index(engine_of(session))
    not_itself = Filters(exclude_ids=(paper_id,))
    if index is None or vector is None:
        return _by_title_words(session, keywords, paper_id, not_itself, limit)
    found = nearest(index, vector, limit, keywords, not_itself)
    return load_hits(session, found, {"semantic": {pid: i + 1 for i, (pid, _) in enumerate(found)}})


def _by_title_words(session: Session, keywords: KeywordIndex, paper_id: int, not_itself: Filters,
                    limit: int) -> list[Hit]:
    """Before vectors exist: papers sharing the title's longer words, by keyword score."""
    title = paper_title(session.connection(), paper_id)
    if title is None:
        return []
    words = tuple(dict.fromkeys(w for w in _WORD.findall(title.lower()) if len(w) > 3))[:12]
    if not words:
        return []
    scored = [(h.paper_id, h.score) for h in keywords.search(KeywordQuery(terms=words), not_itself, limit)]
    return load_hits(session, scored, {"keyword": {pid: i + 1 for i, (pid, _) in enumerate(scored)}})

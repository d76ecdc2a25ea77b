"""Keyword, semantic and hybrid retrieval behind `search()`."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from dailypapers.config import get_settings
from dailypapers.errors import InvalidInput
from dailypapers.index import keyword
from dailypapers.search.filters import Filters, build_filters
from dailypapers.search.fusion import fuse, fusion_for
from dailypapers.search.hits import load_hits
from dailypapers.search.query import CANDIDATE_DEPTH, SearchQuery, SearchResult
from dailypapers.search.semantic import coverage_notes, semantic_candidates, semantic_index

NO_VECTORS = ("the semantic index is not built yet, so these are keyword matches only "
              "(run `dailypapers index`)")


def run(session: Session, query: SearchQuery) -> SearchResult:
    filters = build_filters(query)
    notes: list[str] = []
    try:
        match = keyword.match_expression(query.text)
    except InvalidInput:
        if query.mode == "keyword":
            raise
        match = None  # only punctuation or symbols: meaning may still find something
    if query.mode == "keyword":
        return _keyword_only(session, query, match, filters)

    index = semantic_index(session, query.model)
    if index is None:
        if match is None:
            raise InvalidInput(f"{NO_VECTORS.split(',')[0]}, and the query has no words to look for")
        result = _keyword_only(session, query, match, filters)
        result.notes.append(NO_VECTORS)
        return result
    newest = session.execute(text("SELECT max(id) FROM papers")).scalar() or 0
    notes.extend(coverage_notes(index, newest))

    depth = max(CANDIDATE_DEPTH, query.offset + query.limit)
    semantic = semantic_candidates(session, index, query, filters, depth)
    if query.mode == "semantic" or match is None:
        page = semantic[query.offset:query.offset + query.limit]
        ranks = {"semantic": {pid: i + 1 for i, (pid, _) in enumerate(semantic)}}
        return SearchResult(load_hits(session, page, ranks, highlight_query=query.text),
                            "semantic" if query.mode == "semantic" else "hybrid", notes)

    kw_match = match
    share = get_settings().search_keyword_max_share
    if share < 1.0:  # opt-in speed for very large collections; costs relevance (benchmarks/RESULTS.md)
        terms = keyword.without_common_terms(session.connection(), keyword.match_terms(query.text),
                                             int(share * newest))
        kw_match = " OR ".join(terms) if terms else None
    kw_hits = keyword.search(session.connection(), filters.with_fts(kw_match), filters.where, filters.params,
                             depth, with_snippets=False) if kw_match else []
    kw = [(h.paper_id, h.score) for h in kw_hits]
    unembedded = {pid for pid, _ in kw if not index.contains(pid)}
    fused = fuse(kw, semantic, query.fusion or fusion_for(index.model), unembedded)
    page = fused[query.offset:query.offset + query.limit]
    ranks = {"keyword": {pid: i + 1 for i, (pid, _) in enumerate(kw)},
             "semantic": {pid: i + 1 for i, (pid, _) in enumerate(semantic)}}
    return SearchResult(load_hits(session, page, ranks, highlight_query=query.text), "hybrid", notes)


def _keyword_only(session: Session, query: SearchQuery, match: str, filters: Filters) -> SearchResult:
    kw_hits = keyword.search(session.connection(), filters.with_fts(match), filters.where, filters.params,
                             query.limit, query.offset)
    scored = [(h.paper_id, h.score) for h in kw_hits]
    ranks = {"keyword": {h.paper_id: query.offset + i + 1 for i, h in enumerate(kw_hits)}}
    return SearchResult(load_hits(session, scored, ranks, {h.paper_id: h.snippet for h in kw_hits}), "keyword")

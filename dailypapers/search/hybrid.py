"""Keyword, semantic and hybrid retrieval behind `search()`."""

from __future__ import annotations

from dataclasses import replace

from dailypapers.config import get_settings
from dailypapers.errors import InvalidInput
from dailypapers.index.engines import keyword_index
from dailypapers.index.protocols import Filters, KeywordIndex, KeywordQuery
from dailypapers.search.filters import build_filters
from dailypapers.search.fusion import Fusion, Ranked, fuse, fusion_for
from dailypapers.search.hits import load_hits
from dailypapers.search.keywords import parse_keyword_query, single_terms
from dailypapers.search.query import CANDIDATE_DEPTH, SearchQuery, SearchResult
from dailypapers.search.semantic import coverage_notes, semantic_candidates, semantic_index, similarity_floor
from dailypapers.store.db import Session, engine_of
from dailypapers.store.reads import newest_paper_id

NO_VECTORS = "the semantic index is not built yet, so these are keyword matches only (run `dailypapers index`)"


def run(session: Session, query: SearchQuery) -> SearchResult:
    filters = build_filters(query)
    keywords = keyword_index(engine_of(session))
    words = _words(query)
    if query.mode == "keyword" and words is not None:  # _words raised in keyword mode when it had none
        return _keyword_only(session, keywords, query, words, filters)
    index = semantic_index(session, query.model)
    if index is None:
        return _without_vectors(session, keywords, query, words, filters)
    newest = newest_paper_id(session.connection())
    notes = coverage_notes(index, newest)

    depth = max(CANDIDATE_DEPTH, query.offset + query.limit)
    semantic = semantic_candidates(index, query, keywords, filters, depth)
    # Best first, so the papers close enough in meaning are a prefix; a full list may hide more of them.
    close = [(pid, score) for pid, score in semantic if score >= similarity_floor(index.model)]
    more_close = len(close) == depth
    if query.mode == "semantic" or words is None:
        page = close[query.offset : query.offset + query.limit]
        ranks = {"semantic": {pid: i + 1 for i, (pid, _) in enumerate(close)}}
        return SearchResult(
            load_hits(session, page, ranks, highlight_query=query.text),
            "semantic" if query.mode == "semantic" else "hybrid",
            notes,
            len(close),
            more_close,
        )

    share = get_settings().search_keyword_max_share
    if share < 1.0:  # opt-in speed for very large collections; costs relevance (benchmarks/RESULTS.md)
        words = _without_common_terms(keywords, words, int(share * newest))
    kw_hits = keywords.search(words, filters, depth) if words else []
    kw = [(h.paper_id, h.score) for h in kw_hits]
    unembedded = {pid for pid, _ in kw if not index.contains(pid)}
    fused = fuse_matches(
        kw, semantic, query.fusion or fusion_for(index.model), similarity_floor(index.model), unembedded
    )
    page = fused[query.offset : query.offset + query.limit]
    ranks = {
        "keyword": {pid: i + 1 for i, (pid, _) in enumerate(kw)},
        "semantic": {pid: i + 1 for i, (pid, _) in enumerate(close)},
    }
    return SearchResult(
        load_hits(session, page, ranks, highlight_query=query.text),
        "hybrid",
        notes,
        len(fused),
        len(kw) == depth or more_close,
    )


def _words(query: SearchQuery) -> KeywordQuery | None:
    """The query's words for the keyword index; None when it has only punctuation or symbols, which a keyword
    search refuses but meaning may still find something for."""
    try:
        return parse_keyword_query(query.text)
    except InvalidInput:
        if query.mode == "keyword":
            raise
        return None


def _without_vectors(
    session: Session, keywords: KeywordIndex, query: SearchQuery, words: KeywordQuery | None, filters: Filters
) -> SearchResult:
    """A semantic or hybrid search before the semantic index is built: keyword matches, and a note saying so."""
    if words is None:
        raise InvalidInput(f"{NO_VECTORS.split(',')[0]}, and the query has no words to look for")
    result = _keyword_only(session, keywords, query, words, filters)
    result.notes.append(NO_VECTORS)
    return result


def fuse_matches(
    kw: Ranked, semantic: Ranked, fusion: Fusion, floor: float, unembedded: set[int] | frozenset[int] = frozenset()
) -> Ranked:
    """The two lists fused, less the papers that only meaning found and that are below the similarity floor.

    Fused over the whole semantic list, as measured (benchmarks/relevance.py calls this too); the floor then
    only drops papers, never reorders them.
    """
    matched = {pid for pid, _ in kw} | {pid for pid, score in semantic if score >= floor}
    return [(pid, score) for pid, score in fuse(kw, semantic, fusion, unembedded) if pid in matched]


def _without_common_terms(keywords: KeywordIndex, words: KeywordQuery, max_docs: int) -> KeywordQuery:
    """The query without the terms found in more than `max_docs` papers (phrases always stay).

    On a large collection an OR of common words scores most of the collection for every query; the rare
    words carry the lexical evidence that meaning-based search lacks. Counting stops at the cap.
    """
    rare = [t for t in single_terms(words) if keywords.count(t, max_docs) <= max_docs]
    return replace(
        words, terms=tuple(t for q in rare for t in q.terms), prefixes=tuple(p for q in rare for p in q.prefixes)
    )


def _keyword_only(
    session: Session, keywords: KeywordIndex, query: SearchQuery, words: KeywordQuery, filters: Filters
) -> SearchResult:
    kw_hits = keywords.search(words, filters, query.limit, query.offset, with_snippets=True)
    scored = [(h.paper_id, h.score) for h in kw_hits]
    ranks = {"keyword": {h.paper_id: query.offset + i + 1 for i, h in enumerate(kw_hits)}}
    total = len(keywords.matching(filters, query=words))
    return SearchResult(
        load_hits(session, scored, ranks, {h.paper_id: h.snippet for h in kw_hits}, highlight_query=query.text),
        "keyword",
        total=total,
    )

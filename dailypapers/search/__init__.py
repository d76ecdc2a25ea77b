"""Search: one `search(session, SearchQuery) -> list[Hit]` used by the web pages, the API, the CLI and the digests.

Hybrid by default: keyword BM25 (index/engines.py picks the engine) and vector
similarity, fused (see fusion.py). When vectors are missing (right after
an import, before `dailypapers index`), semantic and hybrid searches fall back to keyword matches and say so in
`SearchResult.notes`; a web request only ever embeds the query.

    query.py       SearchQuery, Hit, SearchResult: the types every module below shares
    keywords.py    the typed query -> terms, phrases, prefixes (index/protocols.py KeywordQuery)
    filters.py     date, category, author, has-code filters (index/protocols.py Filters)
    hybrid.py      keyword, semantic or both, fused (fusion.py)
    semantic.py    the vector index and the query's vector
    neighbours.py  related papers
    fusion.py      fusing the ranked lists of several retrievers into one
    hits.py        ranked ids -> Hits, with snippets (explain.py)
    explain.py     why a paper matched: the query's words highlighted, HTML-safe
    trends.py      topic trends: papers per month matching each keyword query
"""

from dataclasses import replace
from typing import Any

from prometheus_client import Histogram

from dailypapers.errors import InvalidInput
from dailypapers.search import hybrid
from dailypapers.search.neighbours import nearest_papers, related_papers
from dailypapers.search.query import Hit, SearchQuery, SearchResult
from dailypapers.store.db import OperationalError, Row, Session
from dailypapers.store.reads import visible_papers

__all__ = [
    "Hit",
    "SearchQuery",
    "SearchResult",
    "related",
    "related_rows",
    "search",
    "search_detailed",
    "total_without_filters",
]

# Per mode asked for (keyword, semantic, hybrid), whoever asks: pages, the API, feeds, agents, digests.
SEARCH_SECONDS = Histogram(
    "dailypapers_search_duration_seconds", "Time to answer one search, by the mode asked for", ["mode"]
)


def search(session: Session, query: SearchQuery) -> list[Hit]:
    return search_detailed(session, query).hits


def search_detailed(session: Session, query: SearchQuery) -> SearchResult:
    query.validate()
    try:
        with SEARCH_SECONDS.labels(query.mode).time():
            return hybrid.run(session, query)
    except OperationalError as exc:  # e.g. an FTS5 expression SQLite refuses: the user's input, not a crash
        raise InvalidInput(f"cannot search for {query.text!r}: {exc.orig}") from exc


def total_without_filters(session: Session, query: SearchQuery) -> int:
    """How many papers the query matches once its filters are gone: why a filtered search found nothing."""
    return search_detailed(session, replace(query.without_filters(), limit=1, offset=0)).total


def related(session: Session, paper_id: int, limit: int = 5) -> list[Hit]:
    """Papers like this one: nearest neighbours by vector, excluding itself (title words until vectors exist)."""
    return related_papers(session, paper_id, limit)


def related_rows(session: Session, paper_id: int, limit: int = 5) -> list[Row[Any]]:
    """(id, arxiv_id, title, upvotes) of the visible papers of `related`, nearest first, for a list of links:
    mostly the rows its visibility check read, so a paper page asks no query of its own for them."""
    rows: dict[int, Row[Any]] = {}
    scored = nearest_papers(session, paper_id, limit, rows=rows)[1]
    missing = [pid for pid, _ in scored if pid not in rows]
    if missing:  # found by title words, or by an index that filters inside the database
        rows.update(visible_papers(session.connection(), missing))
    return [rows[pid] for pid, _ in scored if pid in rows]

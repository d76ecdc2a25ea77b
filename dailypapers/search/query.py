"""The search seam: `search(session, SearchQuery) -> list[Hit]`, used by the web pages, the API, the CLI and
the digests. Hybrid by default: FTS5 bm25 and vector similarity, fused (see fusion.py).

When vectors are missing (right after an import, before `dailypapers index`), semantic and hybrid searches
fall back to keyword matches and say so in `SearchResult.notes`; a web request only ever embeds the query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from dailypapers.errors import InvalidInput

MAX_QUERY_CHARS = 250
MAX_OFFSET = 1000
MODES = ("hybrid", "keyword", "semantic")
CANDIDATE_DEPTH = 100  # results taken from each retriever before fusing


@dataclass
class SearchQuery:
    text: str
    mode: str = "hybrid"
    limit: int = 20
    offset: int = 0
    category: str | None = None
    author: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    has_code: bool = False
    model: str | None = None  # embedding model name; None: the embedding_model setting
    fusion: object | None = None  # a search.fusion.Fusion; None: the measured default for the model

    def validate(self) -> SearchQuery:
        self.text = (self.text or "").strip()
        if not self.text:
            raise InvalidInput("the search query is empty")
        if len(self.text) > MAX_QUERY_CHARS:
            raise InvalidInput(f"the search query is {len(self.text)} characters long; the limit is {MAX_QUERY_CHARS}")
        if self.mode not in MODES:
            raise InvalidInput(f"unknown search mode {self.mode!r}; use one of {', '.join(MODES)}")
        if not 1 <= self.limit <= 200:
            raise InvalidInput("limit must be between 1 and 200")
        if not 0 <= self.offset <= MAX_OFFSET:
            raise InvalidInput(f"offset must be between 0 and {MAX_OFFSET}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidInput("the date range is empty: the start is after the end")
        if self.category is not None and not self.category.strip():
            self.category = None
        if self.author is not None and not self.author.strip():
            self.author = None
        return self


@dataclass
class Hit:
    paper_id: int
    arxiv_id: str
    title: str
    score: float
    ranks: dict[str, int] = field(default_factory=dict)  # retriever name -> 1-based rank
    snippet: str | None = None  # HTML-safe: text escaped, matches wrapped in <mark>


@dataclass
class SearchResult:
    hits: list[Hit]
    mode: str  # the mode that actually ran (hybrid may fall back to keyword)
    notes: list[str] = field(default_factory=list)


def search(session: Session, query: SearchQuery) -> list[Hit]:
    return search_detailed(session, query).hits


def search_detailed(session: Session, query: SearchQuery) -> SearchResult:
    from dailypapers.search import hybrid

    query.validate()
    try:
        return hybrid.run(session, query)
    except OperationalError as exc:  # e.g. an FTS5 expression SQLite refuses: the user's input, not a crash
        raise InvalidInput(f"cannot search for {query.text!r}: {exc.orig}") from exc


def related(session: Session, paper_id: int, limit: int = 5) -> list[Hit]:
    """Papers like this one: nearest neighbours by vector, excluding itself (title words until vectors exist)."""
    from dailypapers.search.neighbours import related_papers  # not "related": that name is the function

    return related_papers(session, paper_id, limit)


def load_hits(session: Session, scored: list[tuple[int, float]], ranks: dict[str, dict[int, int]],
              snippets: dict[int, str] | None = None, highlight_query: str | None = None) -> list[Hit]:
    """Hits for (paper id, score) pairs in that order, skipping papers that are gone or hidden.

    With `highlight_query`, each hit's snippet shows that query's words in its abstract (search/explain.py).
    """
    from dailypapers.search.explain import highlight

    if not scored:
        return []
    ids = ",".join(str(int(pid)) for pid, _ in scored)
    abstract = ", abstract" if highlight_query else ""
    rows = {r.id: r for r in session.execute(
        text(f"SELECT id, arxiv_id, title{abstract} FROM papers WHERE id IN ({ids}) AND NOT hidden")).all()}
    hits = []
    for pid, score in scored:
        row = rows.get(pid)
        if row is None:
            continue
        hit_ranks = {name: r[pid] for name, r in ranks.items() if pid in r}
        snippet = (snippets or {}).get(pid)
        if snippet is None and highlight_query:
            snippet = highlight(highlight_query, row.title, row.abstract)
        hits.append(Hit(pid, row.arxiv_id, row.title, float(score), hit_ranks, snippet))
    return hits

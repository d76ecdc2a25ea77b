"""The search seam. This first version is keyword-only (FTS5 bm25); the hybrid search replaces the inside.

Callers rely only on SearchQuery, Hit and search().
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from dailypapers.errors import InvalidInput

MAX_QUERY_CHARS = 250
MODES = ("hybrid", "keyword", "semantic")


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
        if self.offset < 0:
            raise InvalidInput("offset must not be negative")
        return self


@dataclass
class Hit:
    paper_id: int
    arxiv_id: str
    title: str
    score: float
    ranks: dict[str, int] = field(default_factory=dict)  # retriever name -> 1-based rank
    snippet: str | None = None  # HTML-safe: text escaped, matches wrapped in <mark>


_WORD = re.compile(r"\w+", re.UNICODE)


def fts_match_expression(query: str) -> str:
    """A safe FTS5 MATCH string: "quoted phrases" kept, words quoted, a trailing * kept as prefix."""
    parts = []
    for phrase, word in re.findall(r'"([^"]+)"|(\S+)', query):
        if phrase:
            words = _WORD.findall(phrase)
            if words:
                parts.append('"' + " ".join(words) + '"')
        else:
            prefix = word.endswith("*")
            for token in _WORD.findall(word):
                parts.append(f'"{token}"' + ("*" if prefix else ""))
    if not parts:
        raise InvalidInput("the search query has no words to look for")
    return " OR ".join(parts)


def search(session: Session, query: SearchQuery) -> list[Hit]:
    query.validate()
    match = fts_match_expression(query.text)
    rows = session.execute(
        text(
            "SELECT p.id, p.arxiv_id, p.title, bm25(papers_fts, 10.0, 4.0, 1.0, 0.5) AS rank, "
            "snippet(papers_fts, 2, '\x02', '\x03', '…', 24) AS snip "
            "FROM papers_fts JOIN papers p ON p.id = papers_fts.rowid "
            "WHERE papers_fts MATCH :match AND NOT p.hidden ORDER BY rank LIMIT :limit OFFSET :offset"
        ),
        {"match": match, "limit": query.limit, "offset": query.offset},
    ).all()
    return [
        Hit(row.id, row.arxiv_id, row.title, -row.rank, {"keyword": query.offset + i + 1}, _mark(row.snip))
        for i, row in enumerate(rows)
    ]


def _mark(snippet: str | None) -> str | None:
    import html

    if snippet is None:
        return None
    return html.escape(snippet).replace("\x02", "<mark>").replace("\x03", "</mark>")


def related(session: Session, paper_id: int, limit: int = 5) -> list[Hit]:
    """Papers like this one. Keyword fallback (title words through bm25) until vectors exist."""
    title = session.execute(text("SELECT title FROM papers WHERE id = :id"), {"id": paper_id}).scalar()
    if title is None:
        return []
    words = [w for w in _WORD.findall(title.lower()) if len(w) > 3][:12]
    if not words:
        return []
    match = " OR ".join(f'"{w}"' for w in words)
    rows = session.execute(
        text(
            "SELECT p.id, p.arxiv_id, p.title, bm25(papers_fts, 10.0, 4.0, 1.0, 0.5) AS rank "
            "FROM papers_fts JOIN papers p ON p.id = papers_fts.rowid "
            "WHERE papers_fts MATCH :match AND p.id != :id AND NOT p.hidden ORDER BY rank LIMIT :limit"
        ),
        {"match": match, "id": paper_id, "limit": limit},
    ).all()
    return [Hit(r.id, r.arxiv_id, r.title, -r.rank, {"keyword": i + 1}) for i, r in enumerate(rows)]

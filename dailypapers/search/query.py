"""What a search asks (`SearchQuery`, validated) and what it answers (`Hit`, `SearchResult`).

Plain types that every other search module imports; of them it imports only fusion.py (a query may carry
fusion settings of its own).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from dailypapers.errors import InvalidInput
from dailypapers.search.fusion import Fusion
from dailypapers.validators import arxiv_category

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
    fusion: Fusion | None = None  # None: the measured default for the model

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
        self.category = arxiv_category(self.category) if self.category and self.category.strip() else None
        if self.author is not None and not self.author.strip():
            self.author = None
        return self

    @property
    def filtered(self) -> bool:
        return bool(self.category or self.author or self.date_from or self.date_to or self.has_code)

    def describe_filters(self) -> str:
        """The filters in words, e.g. "in cs.CL since 2026-01-01 with code"; "" without filters."""
        parts = [
            f"in {self.category}" if self.category else "",
            f"by {self.author}" if self.author else "",
            f"since {self.date_from.isoformat()}" if self.date_from else "",
            f"until {self.date_to.isoformat()}" if self.date_to else "",
            "with code" if self.has_code else "",
        ]
        return " ".join(part for part in parts if part)

    def without_filters(self) -> SearchQuery:
        return replace(self, category=None, author=None, date_from=None, date_to=None, has_code=False)


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
    total: int = 0  # papers matching in all, on every page
    at_least: bool = False  # the candidate lists were full: more papers may match than `total`

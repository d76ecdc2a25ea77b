"""Search filters (date range, category, author, has code) of a query, as the structured `Filters` every
retriever applies (index/protocols.py)."""

from __future__ import annotations

from dailypapers.index.protocols import Filters
from dailypapers.search.query import SearchQuery


def build_filters(query: SearchQuery) -> Filters:
    """Filters of a validated SearchQuery."""
    return Filters(
        authors=(query.author.strip(),) if query.author else (),
        category=query.category.strip() if query.category else None,
        date_from=query.date_from,
        date_to=query.date_to,
        has_code=bool(query.has_code),
    )

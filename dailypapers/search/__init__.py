"""Search: one `search(SearchQuery) -> list[Hit]` used by the web pages, the API, the CLI and the digests."""

from dailypapers.search.query import Hit, SearchQuery, related, search

__all__ = ["Hit", "SearchQuery", "related", "search"]

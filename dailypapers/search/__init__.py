"""Search: one `search(SearchQuery) -> list[Hit]` used by the web pages, the API, the CLI and the digests."""

from dailypapers.search.query import Hit, SearchQuery, SearchResult, related, search, search_detailed

__all__ = ["Hit", "SearchQuery", "SearchResult", "related", "search", "search_detailed"]

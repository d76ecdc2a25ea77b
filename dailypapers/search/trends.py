"""Topic trends: per month, how many papers (by first-version date) match each keyword query, and their share.

A paper matches a query when it has every word, phrase and prefix of it (the search page ranks papers having
any of them; a trend of "graph neural" should count papers about both). Matching goes through the keyword
index, the months' totals through a store read: no SQL here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from dailypapers.errors import InvalidInput
from dailypapers.index.engines import keyword_index
from dailypapers.index.seams import Filters, KeywordIndex, KeywordQuery
from dailypapers.search.keywords import parse_keyword_query, single_terms
from dailypapers.search.query import MAX_QUERY_CHARS
from dailypapers.store.reads import published_months, published_span

MAX_QUERIES = 5
DEFAULT_MONTHS = 36  # the default window: the store's span, at most its last three years
MAX_MONTHS = 240


@dataclass
class Series:
    query: str
    counts: list[int]  # matching papers, month by month
    shares: list[float]  # counts / the month's total (0.0 in a month without papers)


@dataclass
class Trends:
    months: list[str]  # YYYY-MM, every month of the window, empty ones too
    totals: list[int]  # all visible papers first published in each month
    series: list[Series]

    @property
    def matched(self) -> bool:
        return any(any(s.counts) for s in self.series)

    @property
    def lines(self) -> list[tuple[str, list[float]]]:
        """What a chart draws: (query, shares) per series; None for a month without papers (a gap: no share
        of nothing is 0 %)."""
        return [(s.query, [share if total else None for share, total in zip(s.shares, self.totals, strict=True)])
                for s in self.series]

    def as_json(self) -> dict:
        return {"months": self.months, "series": [{"query": s.query, "counts": s.counts, "shares": s.shares}
                                                  for s in self.series], "totals": self.totals}


def parse_queries(texts: list[str]) -> list[tuple[str, KeywordQuery]]:
    """One to MAX_QUERIES queries, each with words to look for; InvalidInput says what is wrong."""
    texts = [t.strip() for t in texts if t and t.strip()]
    if not texts:
        raise InvalidInput("give at least one query to draw")
    if len(texts) > MAX_QUERIES:
        raise InvalidInput(f"at most {MAX_QUERIES} queries at once, not {len(texts)}")
    for text in texts:
        if len(text) > MAX_QUERY_CHARS:
            raise InvalidInput(f"a query is {len(text)} characters long; the limit is {MAX_QUERY_CHARS}")
    return [(text, parse_keyword_query(text)) for text in texts]


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(index: int) -> datetime:
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def _window(session: Session, first: date | None, last: date | None) -> tuple[int, int] | None:
    """(first, last) month indexes: what was asked, else the store's span (at most its last DEFAULT_MONTHS);
    None for an empty store asked for no months."""
    earliest, latest = published_span(session.connection())
    if last:
        end = _month_index(last)
    elif latest or first:
        end = max(_month_index(d) for d in (latest, first) if d)
    else:
        return None
    if first:
        start = _month_index(first)
    else:
        start = min(end, max(_month_index(earliest) if earliest else end, end - DEFAULT_MONTHS + 1))
    if start > end:
        raise InvalidInput("the first month comes after the last")
    if end - start + 1 > MAX_MONTHS:
        raise InvalidInput(f"at most {MAX_MONTHS} months at once")
    return start, end


def _matching(keywords: KeywordIndex, query: KeywordQuery, filters: Filters) -> np.ndarray:
    """Sorted ids of the papers having every part of the query (each part is one unranked index lookup)."""
    parts = single_terms(query) + [KeywordQuery(phrases=(phrase,)) for phrase in query.phrases]
    found: np.ndarray | None = None
    for part in parts:
        ids = keywords.matching(filters, query=part)
        found = ids if found is None else np.intersect1d(found, ids, assume_unique=True)
        if not len(found):
            break
    return found if found is not None else np.array([], dtype=np.int64)


def topic_trends(session: Session, texts: list[str], first: date | None = None, last: date | None = None) -> Trends:
    """Month by month from `first` to `last` (the first days of months; None: the store's span), the papers
    matching each query and all papers, by the month they were first published."""
    queries = parse_queries(texts)
    window = _window(session, first, last)
    if window is None:  # an empty store: no months to draw
        return Trends([], [], [Series(text, [], []) for text, _ in queries])
    start, end = window
    ids, month_of = published_months(session.connection(), _month_start(start), _month_start(end + 1))
    count = end - start + 1
    totals = np.bincount(month_of - start, minlength=count)
    keywords = keyword_index(session.get_bind())
    filters = Filters(date_from=_month_start(start).date(),
                      date_to=(_month_start(end + 1) - timedelta(days=1)).date())  # inclusive
    series = []
    for text, query in queries:
        found = _matching(keywords, query, filters) if len(ids) else np.array([], dtype=np.int64)
        # the months of the matches: each found id's place among the window's ids (both sorted)
        place = np.searchsorted(ids, found)
        place = place[(place < len(ids)) & (ids[np.minimum(place, len(ids) - 1)] == found)]
        counts = np.bincount(month_of[place] - start, minlength=count)
        shares = [round(int(c) / int(t), 6) if t else 0.0 for c, t in zip(counts, totals, strict=True)]
        series.append(Series(text, [int(c) for c in counts], shares))
    months = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(start, end + 1)]
    return Trends(months, [int(t) for t in totals], series)

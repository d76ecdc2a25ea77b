"""Topic trends: per month, how many papers (by first-version date) match each keyword query, and their share.

A paper matches a query when it has every word, phrase and prefix of it (the search page ranks papers having
any of them; a trend of "graph neural" should count papers about both). Matching goes through the keyword
index, the months' totals through a store read: no SQL here.

Every part of a query is a lookup over the whole window, and a prefix is one per word it stands for in the
index, so `TrendQuery` bounds the work, not only the length: how many queries, parts per query, letters before
a `*`, words a prefix stands for, and months. The web page, its SVG and the CLI all take a `TrendQuery`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from dailypapers.errors import InvalidInput
from dailypapers.index.engines import keyword_index
from dailypapers.index.protocols import Filters, KeywordIndex, KeywordQuery
from dailypapers.search.keywords import parse_keyword_query, single_terms
from dailypapers.search.query import MAX_QUERY_CHARS
from dailypapers.store.db import Session, engine_of
from dailypapers.store.reads import published_months, published_span

MAX_QUERIES = 5
MAX_PARTS = 6  # words, phrases and prefixes in one query: each is a lookup
MIN_PREFIX = 3  # letters before a *: "a*" stands for a few thousand words
MAX_EXPANSIONS = 500  # words of the keyword index one prefix may stand for
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
    def lines(self) -> list[tuple[str, list[float | None]]]:
        """What a chart draws: (query, shares) per series; None for a month without papers (a gap: no share
        of nothing is 0 %)."""
        return [
            (s.query, [share if total else None for share, total in zip(s.shares, self.totals, strict=True)])
            for s in self.series
        ]

    def as_json(self) -> dict[str, object]:
        return {
            "months": self.months,
            "series": [{"query": s.query, "counts": s.counts, "shares": s.shares} for s in self.series],
            "totals": self.totals,
        }


@dataclass(frozen=True)
class TrendQuery:
    """What a trends chart asks for, within the bounds on its work (the one place they are checked, but for
    the words a prefix stands for, which the index answers: `check_prefixes`)."""

    texts: tuple[str, ...]
    queries: tuple[KeywordQuery, ...]
    first: date | None = None  # the first day of the first month; None: from the store's span
    last: date | None = None  # the first day of the last month

    @classmethod
    def parse(cls, texts: Iterable[str], first: date | None = None, last: date | None = None) -> TrendQuery:
        """One to MAX_QUERIES queries, each with words to look for; InvalidInput names the bound passed."""
        texts = [t.strip() for t in texts if t and t.strip()]
        if not texts:
            raise InvalidInput("give at least one query to draw")
        if len(texts) > MAX_QUERIES:
            raise InvalidInput(f"at most {MAX_QUERIES} queries at once, not {len(texts)}")
        queries = [_parse_query(text) for text in texts]
        if first and last:
            _month_count(_month_index(first), _month_index(last))
        return cls(tuple(texts), tuple(queries), first, last)

    def check_prefixes(self, keywords: KeywordIndex) -> None:
        """InvalidInput for a prefix that stands for more than MAX_EXPANSIONS words of the index."""
        for text, query in zip(self.texts, self.queries, strict=True):
            for prefix in query.prefixes:
                if keywords.expansions(prefix, MAX_EXPANSIONS) > MAX_EXPANSIONS:
                    raise InvalidInput(
                        f"“{prefix}*” (in “{text}”) stands for more than {MAX_EXPANSIONS} words of "
                        "the index; write more of the word"
                    )


def _parse_query(text: str) -> KeywordQuery:
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(f"a query is {len(text)} characters long; the limit is {MAX_QUERY_CHARS}")
    query = parse_keyword_query(text)
    parts = len(query.terms) + len(query.phrases) + len(query.prefixes)
    if parts > MAX_PARTS:
        raise InvalidInput(f"“{text}” has {parts} words, phrases and prefixes; a query has at most {MAX_PARTS}")
    short = next((p for p in query.prefixes if len(p) < MIN_PREFIX), None)
    if short is not None:
        raise InvalidInput(f"a prefix needs at least {MIN_PREFIX} letters before the *, not “{short}*”")
    return query


def _month_count(start: int, end: int) -> int:
    if start > end:
        raise InvalidInput("the first month comes after the last")
    if end - start + 1 > MAX_MONTHS:
        raise InvalidInput(f"at most {MAX_MONTHS} months at once, not {end - start + 1}")
    return end - start + 1


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
    _month_count(start, end)
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


def topic_trends(session: Session, ask: TrendQuery) -> Trends:
    """Month by month from `ask.first` to `ask.last` (None: the store's span), the papers matching each query
    and all papers, by the month they were first published."""
    window = _window(session, ask.first, ask.last)
    if window is None:  # an empty store: no months to draw
        return Trends([], [], [Series(text, [], []) for text in ask.texts])
    keywords = keyword_index(engine_of(session))
    ask.check_prefixes(keywords)
    start, end = window
    ids, month_of = published_months(session.connection(), _month_start(start), _month_start(end + 1))
    count = end - start + 1
    totals = np.bincount(month_of - start, minlength=count)
    filters = Filters(
        date_from=_month_start(start).date(), date_to=(_month_start(end + 1) - timedelta(days=1)).date()
    )  # inclusive
    series = []
    for text, query in zip(ask.texts, ask.queries, strict=True):
        found = _matching(keywords, query, filters) if len(ids) else np.array([], dtype=np.int64)
        # the months of the matches: each found id's place among the window's ids (both sorted)
        place = np.searchsorted(ids, found)
        place = place[(place < len(ids)) & (ids[np.minimum(place, len(ids) - 1)] == found)]
        counts = np.bincount(month_of[place] - start, minlength=count)
        shares = [round(int(c) / int(t), 6) if t else 0.0 for c, t in zip(counts, totals, strict=True)]
        series.append(Series(text, [int(c) for c in counts], shares))
    months = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(start, end + 1)]
    return Trends(months, [int(t) for t in totals], series)

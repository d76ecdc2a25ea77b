"""The daily feed read: entries of a period (or all), sorted by upvotes, date or trending score."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from dailypapers.errors import InvalidInput
from dailypapers.periods import Period
from dailypapers.ranking.trending import GRAVITY, OFFSET_HOURS
from dailypapers.store import feed
from dailypapers.store.db import Session
from dailypapers.store.feed import FeedDates, FeedRow, Trending
from dailypapers.store.models import User

PAGE_SORTS = ("upvotes", "newest", "trending")
API_SORTS = ("publishedAt", "trending")
TRENDING_WINDOW_DAYS = 30  # older entries have decayed to nothing; the bound keeps the sort small
TRENDING = Trending(GRAVITY, OFFSET_HOURS)

__all__ = [
    "API_SORTS",
    "PAGE_SORTS",
    "TRENDING_WINDOW_DAYS",
    "FeedDates",
    "FeedRow",
    "feed_rows",
    "latest_feed_dates",
    "neighbour_dates",
    "submitted_rows",
]


def feed_rows(
    session: Session,
    *,
    period: Period | None = None,
    sort: str = "upvotes",
    limit: int = 50,
    offset: int = 0,
    submitter: str | None = None,
    category: str | None = None,
    now: datetime | None = None,
) -> list[FeedRow]:
    """Entries of the daily feed in `period` (all days when None), sorted by `sort`.

    `category` keeps papers listed in it (cs.CL), or in any of an archive's categories (cs).
    """
    if sort not in feed.SORTS:
        raise InvalidInput(f"unknown sort {sort!r}; use one of {', '.join(PAGE_SORTS + API_SORTS)}")
    now = now or datetime.now(UTC)
    first, last = (period.start, period.end) if period is not None else (None, None)
    if sort == "trending" and period is None:
        first = (now - timedelta(days=TRENDING_WINDOW_DAYS)).date()
    return feed.feed_rows(
        session,
        now=now,
        trending=TRENDING,
        sort=sort,
        limit=limit,
        offset=offset,
        first=first,
        last=last,
        submitter=submitter,
        category=category,
    )


def latest_feed_dates(session: Session, day: date) -> FeedDates:
    """The latest day with papers on or before `day`, and the days with papers around it."""
    return feed.latest_feed_dates(session, day)


def neighbour_dates(session: Session, period: Period) -> tuple[date | None, date | None]:
    """The nearest day with papers before the period, and after it."""
    return feed.neighbour_dates(session, period.start, period.end)


def submitted_rows(session: Session, user: User, limit: int = 100) -> list[FeedRow]:
    return feed_rows(session, sort="publishedAt", submitter=user.username, limit=limit)

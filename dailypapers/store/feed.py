"""The daily feed's reads: entries of a period (or all), sorted by upvotes, date or trending score, the days
around one, the papers that arrived on the site since a moment, and a digest period's papers. ranking/ and
digest/ decide what to ask for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
from sqlalchemy import ColumnElement, Row, and_, case, extract, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from dailypapers.store.models import DailyEntry, Paper, User, UTCDateTime

SORTS = ("upvotes", "newest", "publishedAt", "trending")


@dataclass(frozen=True)
class Trending:
    """trendingScore = upvotes / (hours since the feed entry + offset_hours) ** gravity (ranking/trending.py)."""

    gravity: float
    offset_hours: float


@dataclass
class FeedRow:
    paper: Paper
    date: date
    submitted_at: datetime
    submitter: User | None
    trending: float


SUBMITTER = aliased(User, name="submitter")  # built once: an alias per request costs more than the query


def trending_score(now: datetime, weights: Trending) -> ColumnElement[float | Decimal]:
    """SQL expression for the trending score (select from DailyEntry joined to Paper), SQLite and PostgreSQL
    alike; a clock a little behind a submission is not negative age."""
    age = (literal(now.astimezone(UTC).timestamp()) - extract("epoch", DailyEntry.submitted_at)) / 3600.0
    age = case((age > 0, age), else_=literal(0.0))
    return Paper.upvotes / func.pow(age + weights.offset_hours, weights.gravity)


def feed_rows(session: Session, *, now: datetime, trending: Trending, sort: str, limit: int, offset: int = 0,
              first: date | None = None, last: date | None = None, submitter: str | None = None,
              category: str | None = None) -> list[FeedRow]:
    """Visible entries of the daily feed dated `first` to `last` (either open), sorted by one of SORTS.

    `category` keeps papers listed in it (cs.CL), or in any of an archive's categories (cs).
    """
    score = trending_score(now, trending).label("trending")
    stmt = (select(Paper, DailyEntry.date, DailyEntry.submitted_at, SUBMITTER, score)
            .join(DailyEntry, DailyEntry.paper_id == Paper.id)
            .outerjoin(SUBMITTER, SUBMITTER.id == DailyEntry.submitted_by_id)
            .where(Paper.hidden.is_(False)))
    if first is not None:
        stmt = stmt.where(DailyEntry.date >= first)
    if last is not None:
        stmt = stmt.where(DailyEntry.date <= last)
    if submitter:
        stmt = stmt.where(SUBMITTER.username == submitter)
    if category:
        padded = literal(" ") + Paper.categories + literal(" ")
        wanted = padded.contains(f" {category} ", autoescape=True)
        if "." not in category:
            wanted = wanted | padded.contains(f" {category}.", autoescape=True)
        stmt = stmt.where(wanted)
    order = {"upvotes": (Paper.upvotes.desc(), DailyEntry.submitted_at.desc(), Paper.id.desc()),
             "newest": (Paper.published_at.desc(), Paper.id.desc()),
             "publishedAt": (DailyEntry.date.desc(), DailyEntry.submitted_at.desc(), Paper.id.desc()),
             "trending": (score.desc(), Paper.upvotes.desc(), Paper.id.desc())}[sort]
    rows = session.execute(stmt.order_by(*order).limit(limit).offset(offset)).all()
    return [FeedRow(r[0], r[1], r[2], r[3], float(r[4] or 0.0)) for r in rows]


def latest_feed_date(session: Session, on_or_before: date | None = None) -> date | None:
    stmt = select(func.max(DailyEntry.date))
    if on_or_before is not None:
        stmt = stmt.where(DailyEntry.date <= on_or_before)
    return session.scalar(stmt)


def neighbour_dates(session: Session, first: date, last: date) -> tuple[date | None, date | None]:
    """The nearest day with papers before `first`, and after `last`."""
    before = session.scalar(select(func.max(DailyEntry.date)).where(DailyEntry.date < first))
    after = session.scalar(select(func.min(DailyEntry.date)).where(DailyEntry.date > last))
    return before, after


def arrived_on_site() -> ColumnElement[datetime]:
    """When a paper arrived on this site: its time on the daily feed, else when it was added (harvested,
    imported, submitted)."""
    return func.coalesce(DailyEntry.submitted_at, Paper.created_at, type_=UTCDateTime())


def arrived_since(session: Session, since: datetime | None) -> np.ndarray:
    """The sorted ids of the visible papers that arrived on this site at `since` or later (all when None)."""
    stmt = select(Paper.id).where(Paper.hidden.is_(False))
    if since is not None:
        stmt = stmt.outerjoin(DailyEntry, DailyEntry.paper_id == Paper.id).where(arrived_on_site() >= since)
    return np.sort(np.fromiter(session.scalars(stmt), dtype=np.int64))


def feed_entries_between(session: Session, first: date, last: date) -> Sequence[Row[Paper, DailyEntry]]:
    """(Paper, DailyEntry) rows of the visible papers on the daily feed from `first` to `last`."""
    return session.execute(select(Paper, DailyEntry).join(DailyEntry, DailyEntry.paper_id == Paper.id)
                           .where(DailyEntry.date >= first, DailyEntry.date <= last, Paper.hidden.is_(False))).all()


def published_between(session: Session, starts: datetime, ends: datetime, first: date, last: date) -> list[Paper]:
    """Visible papers first published in [starts, ends) that are on no daily feed, or on one from `first` to
    `last`."""
    return list(session.scalars(
        select(Paper).outerjoin(DailyEntry, DailyEntry.paper_id == Paper.id)
        .where(Paper.published_at >= starts, Paper.published_at < ends, Paper.hidden.is_(False),
               or_(DailyEntry.id.is_(None), and_(DailyEntry.date >= first, DailyEntry.date <= last)))))


def count_daily_entries(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(DailyEntry)) or 0

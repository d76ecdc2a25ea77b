"""The daily feed read: entries of a period (or all), sorted by upvotes, date or trending score."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session, aliased

from dailypapers.errors import InvalidInput
from dailypapers.periods import Period
from dailypapers.ranking.trending import trending_score
from dailypapers.store.models import DailyEntry, Paper, User

PAGE_SORTS = ("upvotes", "newest", "trending")
API_SORTS = ("publishedAt", "trending")
TRENDING_WINDOW_DAYS = 30  # older entries have decayed to nothing; the bound keeps the sort small


@dataclass
class FeedRow:
    paper: Paper
    date: date
    submitted_at: datetime
    submitter: User | None
    trending: float


SUBMITTER = aliased(User, name="submitter")  # built once: an alias per request costs more than the query


def _feed_select(now: datetime):
    score = trending_score(now).label("trending")
    stmt = (
        select(Paper, DailyEntry.date, DailyEntry.submitted_at, SUBMITTER, score)
        .join(DailyEntry, DailyEntry.paper_id == Paper.id)
        .outerjoin(SUBMITTER, SUBMITTER.id == DailyEntry.submitted_by_id)
        .where(Paper.hidden.is_(False))
    )
    return stmt, SUBMITTER, score


def feed_rows(session: Session, *, period: Period | None = None, sort: str = "upvotes", limit: int = 50,
              offset: int = 0, submitter: str | None = None, category: str | None = None,
              now: datetime | None = None) -> list[FeedRow]:
    """Entries of the daily feed in `period` (all days when None), sorted by `sort`.

    `category` keeps papers listed in it (cs.CL), or in any of an archive's categories (cs).
    """
    now = now or datetime.now(UTC)
    stmt, submitter_table, score = _feed_select(now)
    if period is not None:
        stmt = stmt.where(DailyEntry.date >= period.start, DailyEntry.date <= period.end)
    if submitter:
        stmt = stmt.where(submitter_table.username == submitter)
    if category:
        padded = literal(" ") + Paper.categories + literal(" ")
        wanted = padded.contains(f" {category} ", autoescape=True)
        if "." not in category:
            wanted = wanted | padded.contains(f" {category}.", autoescape=True)
        stmt = stmt.where(wanted)
    if sort == "upvotes":
        stmt = stmt.order_by(Paper.upvotes.desc(), DailyEntry.submitted_at.desc(), Paper.id.desc())
    elif sort == "newest":
        stmt = stmt.order_by(Paper.published_at.desc(), Paper.id.desc())
    elif sort == "publishedAt":
        stmt = stmt.order_by(DailyEntry.date.desc(), DailyEntry.submitted_at.desc(), Paper.id.desc())
    elif sort == "trending":
        if period is None:
            stmt = stmt.where(DailyEntry.date >= (now - timedelta(days=TRENDING_WINDOW_DAYS)).date())
        stmt = stmt.order_by(score.desc(), Paper.upvotes.desc(), Paper.id.desc())
    else:
        raise InvalidInput(f"unknown sort {sort!r}; use one of {', '.join(PAGE_SORTS + API_SORTS)}")
    rows = session.execute(stmt.limit(limit).offset(offset)).all()
    return [FeedRow(r[0], r[1], r[2], r[3], float(r[4] or 0.0)) for r in rows]


def latest_feed_date(session: Session, on_or_before: date | None = None) -> date | None:
    stmt = select(func.max(DailyEntry.date))
    if on_or_before is not None:
        stmt = stmt.where(DailyEntry.date <= on_or_before)
    return session.scalar(stmt)


def neighbour_dates(session: Session, period: Period) -> tuple[date | None, date | None]:
    """The nearest day with papers before the period, and after it."""
    before = session.scalar(select(func.max(DailyEntry.date)).where(DailyEntry.date < period.start))
    after = session.scalar(select(func.min(DailyEntry.date)).where(DailyEntry.date > period.end))
    return before, after


def submitted_rows(session: Session, user: User, limit: int = 100) -> list[FeedRow]:
    return feed_rows(session, sort="publishedAt", submitter=user.username, limit=limit)

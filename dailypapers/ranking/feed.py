"""The daily feed read: entries of a period (or all), sorted by upvotes, date or trending score."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Date, Float, Integer, String, bindparam, func, literal, select
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


SUBMITTER = aliased(User, name="submitter")
_NOW = bindparam("now_epoch", type_=Float)  # seconds since the epoch


@lru_cache(maxsize=64)
def _feed_statement(sort: str, period: bool, submitter: bool, category: str | None, window: bool):
    """The feed query of one shape, built once: building a statement and its cache key cost more than running
    it on a page of papers. `category` is None, "category" (cs.CL) or "archive" (cs); the values come as
    bound parameters."""
    score = trending_score(_NOW).label("trending")
    stmt = (
        select(Paper, DailyEntry.date, DailyEntry.submitted_at, SUBMITTER, score)
        .join(DailyEntry, DailyEntry.paper_id == Paper.id)
        .outerjoin(SUBMITTER, SUBMITTER.id == DailyEntry.submitted_by_id)
        .where(Paper.hidden.is_(False))
    )
    if period:
        stmt = stmt.where(DailyEntry.date >= bindparam("start", type_=Date),
                          DailyEntry.date <= bindparam("end", type_=Date))
    if window:
        stmt = stmt.where(DailyEntry.date >= bindparam("since", type_=Date))
    if submitter:
        stmt = stmt.where(SUBMITTER.username == bindparam("submitter", type_=String))
    if category:
        padded = literal(" ") + Paper.categories + literal(" ")
        wanted = padded.like(bindparam("category", type_=String), escape="/")
        if category == "archive":
            wanted = wanted | padded.like(bindparam("archive", type_=String), escape="/")
        stmt = stmt.where(wanted)
    if sort == "upvotes":
        stmt = stmt.order_by(Paper.upvotes.desc(), DailyEntry.submitted_at.desc(), Paper.id.desc())
    elif sort == "newest":
        stmt = stmt.order_by(Paper.published_at.desc(), Paper.id.desc())
    elif sort == "publishedAt":
        stmt = stmt.order_by(DailyEntry.date.desc(), DailyEntry.submitted_at.desc(), Paper.id.desc())
    else:
        stmt = stmt.order_by(score.desc(), Paper.upvotes.desc(), Paper.id.desc())
    return stmt.limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))


def _containing(text: str) -> str:
    """A LIKE pattern (escape character /) for values that contain `text`."""
    return "%" + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def feed_rows(session: Session, *, period: Period | None = None, sort: str = "upvotes", limit: int = 50,
              offset: int = 0, submitter: str | None = None, category: str | None = None,
              now: datetime | None = None) -> list[FeedRow]:
    """Entries of the daily feed in `period` (all days when None), sorted by `sort`.

    `category` keeps papers listed in it (cs.CL), or in any of an archive's categories (cs).
    """
    if sort not in PAGE_SORTS + API_SORTS:
        raise InvalidInput(f"unknown sort {sort!r}; use one of {', '.join(PAGE_SORTS + API_SORTS)}")
    now = now or datetime.now(UTC)
    window = sort == "trending" and period is None  # older entries have decayed to nothing
    shape = None if not category else "category" if "." in category else "archive"
    params = {"now_epoch": now.astimezone(UTC).timestamp(), "limit": limit, "offset": offset}
    if period is not None:
        params.update(start=period.start, end=period.end)
    if window:
        params["since"] = (now - timedelta(days=TRENDING_WINDOW_DAYS)).date()
    if submitter:
        params["submitter"] = submitter
    if category:
        params.update(category=_containing(f" {category} "), archive=_containing(f" {category}."))
    stmt = _feed_statement(sort, period is not None, bool(submitter), shape, window)
    rows = session.execute(stmt, params).all()
    return [FeedRow(r[0], r[1], r[2], r[3], float(r[4] or 0.0)) for r in rows]


@dataclass
class FeedDates:
    latest: date | None  # the latest day with papers on or before the day asked about
    before: date | None  # the nearest day with papers before the period
    after: date | None  # and after it


def _nearest(op, bound):
    if op == "<":
        return select(func.max(DailyEntry.date)).where(DailyEntry.date < bound).scalar_subquery()
    return select(func.min(DailyEntry.date)).where(DailyEntry.date > bound).scalar_subquery()


_DAY = bindparam("day", type_=Date)
_LATEST = select(func.max(DailyEntry.date)).where(DailyEntry.date <= _DAY).scalar_subquery()
# The feed's front page in one statement: the latest day with papers up to `day` (else `day` itself) and the
# days with papers around that one.
_SHOWN = func.coalesce(_LATEST, _DAY)
_LATEST_DATES = select(_LATEST, _nearest("<", _SHOWN), _nearest(">", _SHOWN))
_NEIGHBOUR_DATES = select(_nearest("<", bindparam("start", type_=Date)), _nearest(">", bindparam("end", type_=Date)))


def latest_feed_dates(session: Session, day: date) -> FeedDates:
    """The latest day with papers on or before `day`, and the days with papers around it (around `day` when
    there is none)."""
    latest, before, after = session.execute(_LATEST_DATES, {"day": day}).one()
    return FeedDates(latest, before, after)


def neighbour_dates(session: Session, period: Period) -> tuple[date | None, date | None]:
    """The nearest day with papers before the period, and after it (one query)."""
    before, after = session.execute(_NEIGHBOUR_DATES, {"start": period.start, "end": period.end}).one()
    return before, after


def submitted_rows(session: Session, user: User, limit: int = 100) -> list[FeedRow]:
    return feed_rows(session, sort="publishedAt", submitter=user.username, limit=limit)

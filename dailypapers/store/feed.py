"""The daily feed's reads: entries of a period (or all), sorted by upvotes, date or trending score (a statement
per shape, built once), the days around one, the papers that arrived on the site since a moment, and a digest
period's papers. ranking/ and digest/ decide what to ask for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Integer,
    Row,
    ScalarSelect,
    Select,
    String,
    and_,
    bindparam,
    case,
    extract,
    func,
    literal,
    or_,
    select,
)
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


def trending_score(now: datetime | ColumnElement[float], weights: Trending) -> ColumnElement[float | Decimal]:
    """SQL expression for the trending score (select from DailyEntry joined to Paper), SQLite and PostgreSQL
    alike; a clock a little behind a submission is not negative age. `now` is a moment, or an expression of
    seconds since the epoch (a bound parameter, so a statement holding it is built once)."""
    now_epoch = literal(now.astimezone(UTC).timestamp()) if isinstance(now, datetime) else now
    age = (now_epoch - extract("epoch", DailyEntry.submitted_at)) / 3600.0
    age = case((age > 0, age), else_=literal(0.0))
    return Paper.upvotes / func.pow(age + weights.offset_hours, weights.gravity)


@lru_cache(maxsize=64)
def _feed_statement(
    weights: Trending, sort: str, first: bool, last: bool, submitter: bool, category: str | None
) -> Select[*tuple[Any, ...]]:
    """The feed query of one shape, built once: building a statement and its cache key cost more than running
    it on a page of papers. `category` is None, "category" (cs.CL) or "archive" (cs); every value is bound."""
    score = trending_score(bindparam("now_epoch", type_=Float), weights).label("trending")
    stmt = (
        select(Paper, DailyEntry.date, DailyEntry.submitted_at, SUBMITTER, score)
        .join(DailyEntry, DailyEntry.paper_id == Paper.id)
        .outerjoin(SUBMITTER, SUBMITTER.id == DailyEntry.submitted_by_id)
        .where(Paper.hidden.is_(False))
    )
    if first:
        stmt = stmt.where(DailyEntry.date >= bindparam("first", type_=Date))
    if last:
        stmt = stmt.where(DailyEntry.date <= bindparam("last", type_=Date))
    if submitter:
        stmt = stmt.where(SUBMITTER.username == bindparam("submitter", type_=String))
    if category:
        padded = literal(" ") + Paper.categories + literal(" ")
        wanted: ColumnElement[bool] = padded.like(bindparam("category", type_=String), escape="/")
        if category == "archive":
            wanted = wanted | padded.like(bindparam("archive", type_=String), escape="/")
        stmt = stmt.where(wanted)
    order = {
        "upvotes": (Paper.upvotes.desc(), DailyEntry.submitted_at.desc(), Paper.id.desc()),
        "newest": (Paper.published_at.desc(), Paper.id.desc()),
        "publishedAt": (DailyEntry.date.desc(), DailyEntry.submitted_at.desc(), Paper.id.desc()),
        "trending": (score.desc(), Paper.upvotes.desc(), Paper.id.desc()),
    }[sort]
    return stmt.order_by(*order).limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))


def _containing(text: str) -> str:
    """A LIKE pattern (escape character /) for values that contain `text`."""
    return "%" + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def feed_rows(
    session: Session,
    *,
    now: datetime,
    trending: Trending,
    sort: str,
    limit: int,
    offset: int = 0,
    first: date | None = None,
    last: date | None = None,
    submitter: str | None = None,
    category: str | None = None,
) -> list[FeedRow]:
    """Visible entries of the daily feed dated `first` to `last` (either open), sorted by one of SORTS.

    `category` keeps papers listed in it (cs.CL), or in any of an archive's categories (cs).
    """
    given = {"first": first, "last": last, "submitter": submitter or None}
    params = {
        "now_epoch": now.astimezone(UTC).timestamp(),
        "limit": limit,
        "offset": offset,
        **{name: value for name, value in given.items() if value is not None},
    }
    shape = None
    if category:
        shape = "category" if "." in category else "archive"
        params.update(category=_containing(f" {category} "), archive=_containing(f" {category}."))
    stmt = _feed_statement(trending, sort, first is not None, last is not None, bool(submitter), shape)
    rows = session.execute(stmt, params).all()
    return [FeedRow(r[0], r[1], r[2], r[3], float(r[4] or 0.0)) for r in rows]


@dataclass
class FeedDates:
    latest: date | None  # the latest day with papers on or before the day asked about
    before: date | None  # the nearest day with papers before it (before the period, for neighbour_dates)
    after: date | None  # and after it


def _nearest_before(bound: ColumnElement[date]) -> ScalarSelect[date]:
    return select(func.max(DailyEntry.date)).where(DailyEntry.date < bound).scalar_subquery()


def _nearest_after(bound: ColumnElement[date]) -> ScalarSelect[date]:
    return select(func.min(DailyEntry.date)).where(DailyEntry.date > bound).scalar_subquery()


_DAY = bindparam("day", type_=Date)
_LATEST = select(func.max(DailyEntry.date)).where(DailyEntry.date <= _DAY).scalar_subquery()
# The feed's front page in one statement: the latest day with papers up to `day` (else `day` itself) and the
# days with papers around that one.
_SHOWN = func.coalesce(_LATEST, _DAY)
_LATEST_DATES = select(_LATEST, _nearest_before(_SHOWN), _nearest_after(_SHOWN))
_NEIGHBOUR_DATES = select(
    _nearest_before(bindparam("first", type_=Date)), _nearest_after(bindparam("last", type_=Date))
)


def latest_feed_dates(session: Session, day: date) -> FeedDates:
    """The latest day with papers on or before `day`, and the days with papers around it (around `day` when
    there is none), in one statement."""
    latest, before, after = session.execute(_LATEST_DATES, {"day": day}).one()
    return FeedDates(latest, before, after)


def neighbour_dates(session: Session, first: date, last: date) -> tuple[date | None, date | None]:
    """The nearest day with papers before `first`, and after `last` (one statement)."""
    before, after = session.execute(_NEIGHBOUR_DATES, {"first": first, "last": last}).one()
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
    return session.execute(
        select(Paper, DailyEntry)
        .join(DailyEntry, DailyEntry.paper_id == Paper.id)
        .where(DailyEntry.date >= first, DailyEntry.date <= last, Paper.hidden.is_(False))
    ).all()


def published_between(session: Session, starts: datetime, ends: datetime, first: date, last: date) -> list[Paper]:
    """Visible papers first published in [starts, ends) that are on no daily feed, or on one from `first` to
    `last`."""
    return list(session.scalars(_published_between(Paper, starts, ends, first, last)))


def has_papers_between(session: Session, starts: datetime, ends: datetime, first: date, last: date) -> bool:
    """Whether `feed_entries_between(first, last)` or `published_between(...)` would find any paper."""
    on_feed = (
        select(DailyEntry.id)
        .join(Paper, Paper.id == DailyEntry.paper_id)
        .where(DailyEntry.date >= first, DailyEntry.date <= last, Paper.hidden.is_(False))
    )
    published = _published_between(Paper.id, starts, ends, first, last)
    return bool(session.scalar(select(or_(on_feed.exists(), published.exists()))))


def _published_between(what: Any, starts: datetime, ends: datetime, first: date, last: date) -> Select[Any]:
    """`what` of the visible papers first published in [starts, ends), on no daily feed or on one from `first`
    to `last`."""
    return (
        select(what)
        .outerjoin(DailyEntry, DailyEntry.paper_id == Paper.id)
        .where(
            Paper.published_at >= starts,
            Paper.published_at < ends,
            Paper.hidden.is_(False),
            or_(DailyEntry.id.is_(None), and_(DailyEntry.date >= first, DailyEntry.date <= last)),
        )
    )


def count_daily_entries(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(DailyEntry)) or 0

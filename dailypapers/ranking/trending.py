"""Trending: upvotes discounted by age, computed in SQL so the database sorts and pages.

    trendingScore = upvotes / (age_hours + 2) ** 1.5

where age_hours counts from the paper's entry on the daily feed (its submission). The +2 keeps a
brand-new paper with one vote from outranking everything; the 1.5 power lets older papers fall away
within days, as on Hacker News-style boards.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, case, extract, func, literal

from dailypapers.store.models import DailyEntry, Paper

GRAVITY = 1.5
OFFSET_HOURS = 2.0


def age_hours(now: datetime | ColumnElement):
    """SQL expression: hours since the paper entered the daily feed (SQLite and PostgreSQL alike). `now` is a
    moment, or an expression of seconds since the epoch (a bound parameter, so the statement is built once)."""
    now_epoch = literal(now.astimezone(UTC).timestamp()) if isinstance(now, datetime) else now
    return (now_epoch - extract("epoch", DailyEntry.submitted_at)) / 3600.0


def trending_score(now: datetime | ColumnElement | None = None):
    """SQL expression for trendingScore (select from DailyEntry joined to Paper)."""
    age = age_hours(now if now is not None else datetime.now(UTC))
    age = case((age > 0, age), else_=literal(0.0))  # a clock a little behind a submission is not negative age
    return Paper.upvotes / func.pow(age + OFFSET_HOURS, GRAVITY)


def trending_score_value(upvotes: int, hours: float) -> float:
    """The same formula in Python, for documentation, tests and the API's per-item field."""
    return upvotes / (max(hours, 0.0) + OFFSET_HOURS) ** GRAVITY

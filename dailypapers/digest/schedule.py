"""Digest schedules: which feed days each digest issue covers, and its key in the delivery records.

Digests go out on complete days (UTC), so nothing added later to a covered day is missed:

- daily, weekdays only: the digest issued on weekday D covers the days since the previous weekday's
  digest, i.e. Tuesday's covers Monday and Monday's covers Friday, Saturday and Sunday. Key `daily:D`.
- weekly: the digest of ISO week W covers Monday to Sunday of W and is issued the Monday after.
  Key `weekly:YYYY-Www`.

Every feed day is covered by exactly one daily and one weekly digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dailypapers.dates import parse_day, parse_week
from dailypapers.errors import InvalidInput

FREQUENCIES = ("daily", "weekly")


@dataclass(frozen=True)
class DigestPeriod:
    frequency: str  # daily | weekly
    issue_day: date  # the day the digest goes out
    first_day: date  # first feed day covered, inclusive
    last_day: date  # last feed day covered, inclusive

    @property
    def key(self) -> str:
        if self.frequency == "daily":
            return f"daily:{self.issue_day.isoformat()}"
        year, week, _ = self.first_day.isocalendar()
        return f"weekly:{year}-W{week:02d}"

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=UTC)

    @property
    def ends_at(self) -> datetime:
        """The end of the last covered day: papers are ranked as of then, subscribers must be confirmed by then."""
        return datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def label(self) -> str:
        """For subjects and headings: 'Thu, Nov 26, 2026' or 'Nov 16 – Nov 22, 2026'."""
        if self.frequency == "daily":
            return f"{self.issue_day:%a}, {self.issue_day:%b} {self.issue_day.day}, {self.issue_day.year}"
        first, last = self.first_day, self.last_day
        return f"{first:%b} {first.day} – {last:%b} {last.day}, {last.year}"

    @property
    def covers(self) -> str:
        """Human words for the covered days: 'Wed, Nov 25' or 'Fri, Nov 20 – Sun, Nov 22'."""
        first = f"{self.first_day:%a}, {self.first_day:%b} {self.first_day.day}"
        if self.first_day == self.last_day:
            return first
        return f"{first} – {self.last_day:%a}, {self.last_day:%b} {self.last_day.day}"


def daily_period(issue_day: date) -> DigestPeriod:
    if issue_day.weekday() >= 5:
        raise InvalidInput(
            f"{issue_day.isoformat()} is a {issue_day:%A}: daily digests go out on weekdays only "
            "(Monday's covers the weekend)"
        )
    days_back = 3 if issue_day.weekday() == 0 else 1
    return DigestPeriod("daily", issue_day, issue_day - timedelta(days=days_back), issue_day - timedelta(days=1))


def weekly_period(any_day_of_week: date) -> DigestPeriod:
    monday = any_day_of_week - timedelta(days=any_day_of_week.weekday())
    return DigestPeriod("weekly", monday + timedelta(days=7), monday, monday + timedelta(days=6))


def previous_period(period: DigestPeriod) -> DigestPeriod:
    """The period of the same frequency that ends where this one starts."""
    if period.frequency == "weekly":
        return weekly_period(period.first_day - timedelta(days=7))
    return daily_period(period.first_day)  # issued the day this one's first covers (Friday for Monday's)


def current_periods(today: date, frequency: str | None = None) -> list[DigestPeriod]:
    """The digests due on `today`: daily (weekdays) and last week's weekly."""
    periods = []
    if frequency in (None, "daily") and today.weekday() < 5:
        periods.append(daily_period(today))
    if frequency in (None, "weekly"):
        periods.append(weekly_period(today - timedelta(days=7)))
    return periods


def latest_period(frequency: str, today: date) -> DigestPeriod:
    """The latest digest of this frequency issued on or before `today`, whatever the day of the week:
    on a Saturday or Sunday, Friday's daily."""
    if frequency == "weekly":
        return weekly_period(today - timedelta(days=7))
    return daily_period(today - timedelta(days=max(0, today.weekday() - 4)))


def parse_periods(text: str | None, today: date) -> list[DigestPeriod]:
    """`--period`: empty (all due today), `daily`, `weekly`, `daily:YYYY-MM-DD` or `weekly:YYYY-Www`."""
    text = (text or "").strip()
    if text in ("", "all"):
        return current_periods(today)
    if text in FREQUENCIES:
        periods = current_periods(today, text)
        if not periods:
            raise InvalidInput(
                f"no daily digest is due on {today:%A} {today.isoformat()} (weekdays only); "
                "name one with --period daily:YYYY-MM-DD"
            )
        return periods
    frequency, _, when = text.partition(":")
    if frequency == "daily" and when:
        return [daily_period(parse_day(when, f"period {text!r}"))]
    if frequency == "weekly" and when:
        return [weekly_period(parse_week(when, f"period {text!r}"))]
    raise InvalidInput(f"unknown period {text!r}; use daily, weekly, daily:YYYY-MM-DD or weekly:YYYY-Www")

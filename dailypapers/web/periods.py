"""Feed periods: a day (YYYY-MM-DD), an ISO week (YYYY-Www) or a month (YYYY-MM), parsed strictly."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dailypapers.errors import InvalidInput

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    kind: str  # date | week | month
    start: date  # first day, inclusive
    end: date  # last day, inclusive

    @property
    def key(self) -> str:
        if self.kind == "date":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def label(self) -> str:
        if self.kind == "date":
            return f"{self.start:%A}, {self.start:%B} {self.start.day}, {self.start.year}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"Week {week} of {year} ({self.start:%b} {self.start.day} – {self.end:%b} {self.end.day})"
        return f"{self.start:%B %Y}"

    @property
    def path(self) -> str:
        return f"/papers/{self.kind}/{self.key}"

    @property
    def week_path(self) -> str:
        return week_period(self.start).path

    @property
    def month_path(self) -> str:
        return month_period(self.start.year, self.start.month).path

    def shifted(self, steps: int) -> Period:
        """The period `steps` before (negative) or after (positive) this one."""
        if self.kind == "date":
            return day_period(self.start + timedelta(days=steps))
        if self.kind == "week":
            return week_period(self.start + timedelta(weeks=steps))
        month = self.start.year * 12 + self.start.month - 1 + steps
        return month_period(month // 12, month % 12 + 1)


def day_period(day: date) -> Period:
    return Period("date", day, day)


def week_period(day: date) -> Period:
    start = day - timedelta(days=day.weekday())
    return Period("week", start, start + timedelta(days=6))


def month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return Period("month", start, following - timedelta(days=1))


def parse_day(text: str) -> date:
    match = _DAY.match(text or "")
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    raise InvalidInput(f"not a date: {text!r}; use YYYY-MM-DD, e.g. 2025-03-07")


def parse_period(kind: str, text: str) -> Period:
    """Parse `text` as a period of `kind` (date, week or month); InvalidInput names the bad value."""
    text = (text or "").strip()
    if kind == "date":
        return day_period(parse_day(text))
    if kind == "week":
        match = _WEEK.match(text)
        try:
            if match:
                return week_period(date.fromisocalendar(int(match[1]), int(match[2]), 1))
        except ValueError:
            pass
        raise InvalidInput(f"not an ISO week: {text!r}; use YYYY-Www, e.g. 2025-W09")
    if kind == "month":
        match = _MONTH.match(text)
        if match and 1 <= int(match[2]) <= 12 and int(match[1]) >= 1:
            return month_period(int(match[1]), int(match[2]))
        raise InvalidInput(f"not a month: {text!r}; use YYYY-MM, e.g. 2025-02")
    raise InvalidInput(f"unknown period {kind!r}; use date, week or month")

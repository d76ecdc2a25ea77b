"""Feed periods: the daily feed's pages of a day (YYYY-MM-DD), an ISO week (YYYY-Www) or a month (YYYY-MM)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dailypapers.dates import parse_day, parse_month, parse_week
from dailypapers.errors import InvalidInput


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
        """The month this period belongs to: an ISO week's is the month of its Thursday."""
        anchor = self.start + timedelta(days=3) if self.kind == "week" else self.start
        return month_period(anchor.year, anchor.month).path

    @property
    def months(self) -> list[Period]:
        """Every month this period touches, in order: two for a week that straddles a month's end."""
        firsts = sorted({(self.start.year, self.start.month), (self.end.year, self.end.month)})
        return [month_period(year, month) for year, month in firsts]

    def anchor_day(self, today: date) -> date:
        """The day a switch to the daily feed lands on: the period's last day, or today within it."""
        return min(self.end, max(self.start, today))

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

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


def period_around(kind: str, day: date) -> Period:
    """The period of `kind` (week, month, else a day) that holds `day`."""
    if kind == "week":
        return week_period(day)
    if kind == "month":
        return month_period(day.year, day.month)
    return day_period(day)


_PARSERS = {"date": parse_day, "week": parse_week, "month": parse_month}


def parse_period(kind: str, text: str) -> Period:
    """Parse `text` as a period of `kind` (date, week or month); InvalidInput names the bad value."""
    if kind not in _PARSERS:
        raise InvalidInput(f"unknown period {kind!r}; use date, week or month")
    return period_around(kind, _PARSERS[kind](text))


def period_of_key(text: str) -> Period:
    """A period from its key alone: YYYY-MM-DD a day, YYYY-Www an ISO week, YYYY-MM a month."""
    text = text.strip()
    kinds = {10: "date", 8: "week", 7: "month"}
    kind = "week" if "W" in text.upper() else kinds.get(len(text))
    if kind is None:
        raise InvalidInput(
            f"not a period: {text[:40]!r}; use a day (YYYY-MM-DD), a week (YYYY-Www) or a month (YYYY-MM)"
        )
    return parse_period(kind, text)

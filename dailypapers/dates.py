"""Calendar values people type (a day, an ISO week, a month), parsed strictly in one place for the web, the
digests and the CLI. Each parser raises InvalidInput naming the bad value and the expected form; and the
one timestamp format the API and the MCP tools write (`hf_datetime`).

Years run from 2 to 9998 only: a period's last day, the day after a range, and the periods before and after
must still be a `date`, which runs from 0001-01-01 to 9999-12-31."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime

from dailypapers.errors import InvalidInput

# ASCII digits only: \d and int() also take other scripts' digits.
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$", re.ASCII)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
MIN_YEAR, MAX_YEAR = 2, 9998


def _fail(label: str | None, message: str) -> InvalidInput:
    return InvalidInput(f"{label}: {message}" if label else message)


def _in_range(year: str) -> bool:
    return MIN_YEAR <= int(year) <= MAX_YEAR


def _parse(
    text: str | None, pattern: re.Pattern[str], build: Callable[..., date], label: str | None, expected: str
) -> date:
    """`build` takes the pattern's numbers; a match it refuses (month 13, week 54) is not a date either."""
    text = (text or "").strip()
    match = pattern.match(text)
    try:
        if match and _in_range(match[1]):
            return build(*map(int, match.groups()))
    except ValueError:
        pass
    raise _fail(label, f"not {expected}: {text!r}")


def parse_day(text: str | None, label: str | None = None) -> date:
    """YYYY-MM-DD. `label` (an option's name, say) starts the error message."""
    return _parse(text, _DAY, date, label, "a date (YYYY-MM-DD)")


def parse_week(text: str | None, label: str | None = None) -> date:
    """YYYY-Www: the Monday of that ISO week."""
    return _parse(
        text,
        _WEEK,
        lambda year, week: date.fromisocalendar(year, week, 1),
        label,
        "an ISO week (YYYY-Www, e.g. 2025-W09)",
    )


def parse_month(text: str | None, label: str | None = None) -> date:
    """YYYY-MM: the first day of that month."""
    return _parse(text, _MONTH, lambda year, month: date(year, month, 1), label, "a month (YYYY-MM, e.g. 2025-02)")


def optional_day(text: str | None, label: str | None = None) -> date | None:
    """An optional YYYY-MM-DD (a command-line option, say): None when not given."""
    return parse_day(text, label) if text else None


def hf_datetime(value: datetime | None) -> str | None:
    """`2025-03-07T12:34:56.000Z`: the one format huggingface_hub's parse_datetime reads."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"

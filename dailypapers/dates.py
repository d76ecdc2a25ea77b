"""Calendar values people type (a day, an ISO week, a month), parsed strictly in one place for the web, the
digests and the CLI. Each parser raises InvalidInput naming the bad value and the expected form; and the
one timestamp format the API and the MCP tools write (`hf_datetime`).

Years run from 2 to 9998 only: a period's last day, the day after a range, and the periods before and after
must still be a `date`, which runs from 0001-01-01 to 9999-12-31."""

from __future__ import annotations

import re
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


def parse_day(text: str | None, label: str | None = None) -> date:
    """YYYY-MM-DD. `label` (an option's name, say) starts the error message."""
    text = (text or "").strip()
    match = _DAY.match(text)
    try:
        if match and _in_range(match[1]):
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    raise _fail(label, f"not a date (YYYY-MM-DD): {text!r}")


def parse_week(text: str | None, label: str | None = None) -> date:
    """YYYY-Www: the Monday of that ISO week."""
    text = (text or "").strip()
    match = _WEEK.match(text)
    try:
        if match and _in_range(match[1]):
            return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        pass
    raise _fail(label, f"not an ISO week (YYYY-Www, e.g. 2025-W09): {text!r}")


def parse_month(text: str | None, label: str | None = None) -> date:
    """YYYY-MM: the first day of that month."""
    text = (text or "").strip()
    match = _MONTH.match(text)
    if match and _in_range(match[1]) and 1 <= int(match[2]) <= 12:
        return date(int(match[1]), int(match[2]), 1)
    raise _fail(label, f"not a month (YYYY-MM, e.g. 2025-02): {text!r}")


def optional_day(text: str | None, label: str | None = None) -> date | None:
    """An optional YYYY-MM-DD (a command-line option, say): None when not given."""
    return parse_day(text, label) if text else None


def hf_datetime(value: datetime | None) -> str | None:
    """`2025-03-07T12:34:56.000Z`: the one format huggingface_hub's parse_datetime reads."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"

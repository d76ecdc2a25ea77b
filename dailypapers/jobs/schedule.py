"""When the background work runs: the one timetable, with its defaults, of the queue's workers (PostgreSQL) and
the scheduler (SQLite)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from croniter import croniter

from dailypapers.errors import InvalidInput
from dailypapers.ingest.arxiv import normalize_categories


def parse_clock(text: str) -> time:
    """A time of day, HH:MM in UTC."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", (text or "").strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise InvalidInput(f"not a time of day: {text!r}; use HH:MM (UTC), e.g. 07:00")
    return time(int(match[1]), int(match[2]), tzinfo=UTC)


@dataclass(frozen=True)
class Schedule:
    """The categories the ingest fetches, and when. The queue's workers ingest at `ingest_cron` (UTC); the
    scheduler every `ingest_every_hours` from its start. Both send the digests daily at `digest_at` (UTC)."""

    categories: tuple[str, ...] = ()
    ingest_cron: str = "0 */6 * * *"
    ingest_every_hours: float = 6.0
    digest_at: time = time(7, 0, tzinfo=UTC)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.ingest_every_hours) and self.ingest_every_hours > 0):
            raise InvalidInput("--ingest-every must be more than 0 hours")
        if not croniter.is_valid(self.ingest_cron):
            raise InvalidInput(
                f"not a cron schedule: {self.ingest_cron!r}; use five fields in UTC, e.g. '0 */6 * * *' (every 6 hours)"
            )

    @classmethod
    def read(
        cls,
        categories: Sequence[str] | None,
        digest_at: str,
        ingest_cron: str | None = None,
        ingest_every_hours: float | None = None,
    ) -> Schedule:
        """The schedule the command line and the environment ask for, checked (unnamed: the defaults)."""
        default = cls()
        return cls(
            categories=tuple(normalize_categories(list(categories))) if categories else (),
            ingest_cron=default.ingest_cron if ingest_cron is None else ingest_cron,
            ingest_every_hours=default.ingest_every_hours if ingest_every_hours is None else ingest_every_hours,
            digest_at=parse_clock(digest_at),
        )

    @property
    def digest_clock(self) -> str:
        return f"{self.digest_at:%H:%M}"

    @property
    def digest_cron(self) -> str:
        return f"{self.digest_at.minute} {self.digest_at.hour} * * *"

    def next_digest(self, after: datetime) -> datetime:
        """The first digest time strictly after `after`."""
        today = datetime.combine(after.date(), self.digest_at)
        return today if today > after else today + timedelta(days=1)


DEFAULT = Schedule()

"""`dailypapers scheduler`: ingestion, indexing and digests on a timetable, in one foreground process.

Each job runs as its own `dailypapers ...` subprocess, so a job that fails or crashes is logged and
retried at its next turn while the scheduler carries on. Every job is idempotent (ingestion upserts,
indexing is incremental, `digest send` sends each digest once), so running one late or twice is safe.
With cron instead, the same jobs are:

    0 */6 * * *  dailypapers ingest --pending; dailypapers ingest --category cs.LG --category cs.CL && dailypapers index
    0 7 * * *    dailypapers digest send
"""

from __future__ import annotations

import re
import subprocess
import sys
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from dailypapers.errors import InvalidInput

NAP = 30.0  # longest single sleep, so the process answers signals and clock changes promptly


def parse_clock(text: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", (text or "").strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise InvalidInput(f"not a time of day: {text!r}; use HH:MM (UTC), e.g. 07:00")
    return time(int(match[1]), int(match[2]), tzinfo=UTC)


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "dailypapers.cli", *args]


@dataclass
class Scheduler:
    categories: list[str] = field(default_factory=list)
    ingest_every_hours: float = 6.0
    digest_at: time = time(7, 0, tzinfo=UTC)
    run_job: Callable[[list[str]], int] | None = None  # tests replace the subprocess runner
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    sleep: Callable[[float], None] = clock.sleep

    def __post_init__(self):
        if self.ingest_every_hours <= 0:
            raise InvalidInput("--ingest-every must be more than 0 hours")

    def _run(self, args: list[str], log: Callable[[str], None]) -> int:
        started = clock.monotonic()
        log(f"{self.now():%Y-%m-%d %H:%M:%S}Z running: dailypapers {' '.join(args[3:])}")
        if self.run_job is not None:
            code = self.run_job(args)
        else:
            code = subprocess.run(args).returncode  # output goes straight to our stdout/stderr: the log
        log(f"{self.now():%Y-%m-%d %H:%M:%S}Z {'done' if code == 0 else f'FAILED (exit {code})'} in "
            f"{clock.monotonic() - started:.0f}s: dailypapers {' '.join(args[3:])}")
        return code

    def ingest_and_index(self, log) -> int:
        # Web submissions that arXiv left waiting, and whose fetch stopped with the web process, come first.
        code = self._run(command("ingest", "--pending"), log)
        if self.categories:
            ingest = ["ingest"] + [arg for c in self.categories for arg in ("--category", c)]
            code = self._run(command(*ingest), log) or code
        return self._run(command("index"), log) or code

    def digests(self, log) -> int:
        return self._run(command("digest", "send"), log)

    def next_digest_time(self, after: datetime) -> datetime:
        today = datetime.combine(after.date(), self.digest_at)
        return today if today > after else today + timedelta(days=1)

    def run(self, once: bool = False, log: Callable[[str], None] = print, max_turns: int | None = None) -> int:
        """Forever (or `max_turns` jobs, for tests). With `once`, each job once now; returns non-zero if one failed."""
        if once:
            return self.ingest_and_index(log) or self.digests(log)
        now = self.now()
        next_ingest = now
        # Started after today's digest time: send now (only what is still due goes out).
        next_digest = now if now.time() >= self.digest_at.replace(tzinfo=None) else self.next_digest_time(now)
        turns = 0
        while max_turns is None or turns < max_turns:
            now = self.now()
            if now >= next_ingest:
                self.ingest_and_index(log)
                next_ingest = self.now() + timedelta(hours=self.ingest_every_hours)
                turns += 1
            elif now >= next_digest:
                self.digests(log)
                next_digest = self.next_digest_time(self.now())
                turns += 1
            else:
                self.sleep(min(NAP, (min(next_ingest, next_digest) - now).total_seconds()))
        return 0

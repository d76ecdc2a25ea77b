"""`dailypapers scheduler`: on SQLite, the background work on a timetable, in one foreground process.

The jobs are the queue's (work.py), run in this process: the ingest (the submissions arXiv left waiting, then
the new papers of the categories) and the index every few hours, the digests once a day. A job that fails is
logged and runs again at its next turn while the scheduler carries on. Every job is idempotent (ingestion
upserts, indexing is incremental, each digest is sent once), so running one late or twice is safe. With cron
instead, the same jobs are:

    0 */6 * * *  dailypapers ingest --pending; dailypapers ingest --category cs.LG --category cs.CL && dailypapers index
    0 7 * * *    dailypapers digest send
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dailypapers.config import Settings
from dailypapers.errors import DailyPapersError
from dailypapers.jobs import work
from dailypapers.jobs.schedule import Schedule

NAP = 30.0  # longest single sleep, so the process answers signals and clock changes promptly
log = logging.getLogger(__name__)


@dataclass
class Scheduler:
    settings: Settings
    schedule: Schedule = field(default_factory=Schedule)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    sleep: Callable[[float], None] = time.sleep

    def _run(self, name: str, job: Callable[[], list[str]], say: Callable[[str], None]) -> bool:
        """Run one job, saying what it did; False if it failed (the schedule goes on)."""
        started = self.now()
        say(f"{started:%Y-%m-%d %H:%M:%S}Z running: {name}")
        lines: list[str] = []
        failed: str | None = None
        try:
            lines = job()
        except DailyPapersError as exc:
            failed = str(exc)
        except Exception as exc:  # a bug or an unexpected failure: one line here, the traceback in the debug log
            log.debug("the %s job failed", name, exc_info=True)
            failed = f"{type(exc).__name__}: {exc}"
        for line in lines:
            say(f"  {line}")
        took = (self.now() - started).total_seconds()
        say(
            f"{self.now():%Y-%m-%d %H:%M:%S}Z {'done' if failed is None else f'FAILED ({failed})'} in "
            f"{took:.0f}s: {name}"
        )
        return failed is None

    def ingest_and_index(self, say: Callable[[str], None]) -> bool:
        ingested = self._run("ingest", lambda: work.ingest(self.settings, self.schedule.categories), say)
        return self._run("index", lambda: work.index(self.settings), say) and ingested

    def digests(self, say: Callable[[str], None]) -> bool:
        return self._run("digests", lambda: work.digests(self.settings, self.now().date()), say)

    def run(self, once: bool = False, say: Callable[[str], None] = print, max_turns: int | None = None) -> int:
        """Forever (or `max_turns` jobs, for tests). With `once`, each job once now; returns non-zero if one failed."""
        if once:
            return 0 if self.ingest_and_index(say) & self.digests(say) else 1
        now = self.now()
        next_ingest = now
        # Started after today's digest time: send now (only what is still due goes out).
        digest_at = self.schedule.digest_at.replace(tzinfo=None)
        next_digest = now if now.time() >= digest_at else self.schedule.next_digest(now)
        turns = 0
        while max_turns is None or turns < max_turns:
            now = self.now()
            if now >= next_ingest:
                self.ingest_and_index(say)
                next_ingest = self.now() + timedelta(hours=self.schedule.ingest_every_hours)
                turns += 1
            elif now >= next_digest:
                self.digests(say)
                next_digest = self.schedule.next_digest(self.now())
                turns += 1
            else:
                self.sleep(min(NAP, (min(next_ingest, next_digest) - now).total_seconds()))
        return 0

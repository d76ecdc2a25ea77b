"""What each background job does: the same functions the commands call, on the configured database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from dailypapers.config import Settings
from dailypapers.digest.outbox import drain
from dailypapers.digest.run import PeriodResult, send_lock, send_period
from dailypapers.digest.schedule import parse_periods
from dailypapers.index.build import IndexReport, build_index
from dailypapers.ingest.arxiv import ingest_category
from dailypapers.ingest.report import IngestReport
from dailypapers.store.db import get_engine


def ingest_new(categories: list[str], settings: Settings) -> IngestReport:
    """The new submissions of the categories since yesterday, as `dailypapers ingest --category` does."""
    since = datetime.now(UTC).date() - timedelta(days=1)
    return ingest_category(get_engine(settings), categories, since, settings=settings,
                           thumbnails=settings.fetch_pdfs)


def embed_new(settings: Settings) -> IndexReport:
    return build_index(settings=settings)


def send_due_digests(settings: Settings, today: date | None = None) -> list[PeriodResult]:
    """The digests due today, each exactly once, queued confirmations first, as `dailypapers digest send` does."""
    periods = parse_periods(None, today or datetime.now(UTC).date())
    with send_lock(settings):
        drain(settings)
        return [send_period(period, settings=settings) for period in periods]

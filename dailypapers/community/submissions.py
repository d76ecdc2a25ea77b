"""Submitting a paper to the daily feed: from the store, or fetched from arXiv through the sources.

A paper enters the feed once, and only within `feed_window_days` of its first arXiv version. These
functions open their own sessions: fetching from arXiv must happen with no transaction open.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dailypapers.community.papers import load_paper
from dailypapers.config import get_settings
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.ingest.arxiv import ingest_ids
from dailypapers.periods import Period
from dailypapers.sources.ids import parse_arxiv_id
from dailypapers.store.db import get_engine, session_scope
from dailypapers.store.models import DailyEntry, Paper, User
from dailypapers.store.papers import add_daily_entry


def takes_submissions(period: Period, today: date) -> bool:
    """Whether the feed of `period` can still gain a submission: a paper goes on the feed of the day it is
    submitted (UTC), so only a period that contains today can."""
    return period.contains(today)


def _stored(arxiv_id: str) -> bool:
    with session_scope() as session:
        return session.scalar(select(Paper.id).where(Paper.arxiv_id == arxiv_id)) is not None


def ensure_paper(arxiv_id: str) -> bool:
    """Make sure the paper is in the store, fetching it from arXiv when missing. True if it was fetched.

    The fetch runs outside any open transaction: the network wait must never hold the database.
    """
    if _stored(arxiv_id):
        return False
    ingest_ids(get_engine(), [arxiv_id])
    if not _stored(arxiv_id):
        raise NotFound(f"arXiv has no paper {arxiv_id}")
    return True


def submit_paper(user: User, text: str, now: datetime | None = None) -> tuple[Paper, DailyEntry]:
    """Put the paper named by `text` (an id or URL) on today's feed; InvalidInput says why not."""
    now = now or datetime.now(UTC)
    arxiv_id = parse_arxiv_id(text).id
    window = get_settings().feed_window_days
    ensure_paper(arxiv_id)
    try:
        with session_scope() as session:
            paper = load_paper(session, arxiv_id, include_hidden=True)
            if paper.hidden:
                raise InvalidInput(f"{arxiv_id} was hidden by an administrator and cannot be submitted")
            if paper.daily_entry is not None:
                raise InvalidInput(f"{arxiv_id} is already on the daily feed of "
                                   f"{paper.daily_entry.date.isoformat()}; a paper enters the feed once")
            if paper.published_at is None:
                raise InvalidInput(f"arXiv gives no date for the first version of {arxiv_id}, so it cannot be "
                                   "checked against the submission window")
            age_days = (now - paper.published_at).total_seconds() / 86400
            if age_days > window:
                raise InvalidInput(
                    f"{arxiv_id} first appeared on arXiv on {paper.published_at.date().isoformat()}, "
                    f"{int(age_days)} days ago; only papers from the last {window} days can be submitted")
            entry = add_daily_entry(session, paper, now.date(), submitted_by_id=user.id)
            entry.submitted_at = now
            session.flush()
            session.expunge_all()
            return paper, entry
    except IntegrityError as exc:  # another request submitted it a moment ago
        raise InvalidInput(f"{arxiv_id} is already on the daily feed; a paper enters the feed once") from exc

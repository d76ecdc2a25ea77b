"""The demo: 64 real papers of a daily feed, spread over recent days, with upvotes marked as demo data."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time, timedelta
from importlib import resources

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dailypapers.sources.snapshot import iter_jsonl
from dailypapers.store.models import Paper, User, Vote
from dailypapers.store.papers import UpsertResult, add_daily_entry, upsert_papers

PAPERS_PER_DAY = 8
DEMO_VOTERS = 40


def demo_records():
    with resources.files("dailypapers.data").joinpath("demo_papers.jsonl").open("rb") as stream:
        return [line.record for line in iter_jsonl(stream) if line.record is not None]


def _demo_votes(arxiv_id: str) -> int:
    """A stable, made-up vote count per paper (so reruns agree)."""
    return int(hashlib.sha256(arxiv_id.encode()).hexdigest(), 16) % DEMO_VOTERS


def load_demo(session: Session, today=None) -> tuple[UpsertResult, int]:
    """Load the demo papers and feed idempotently. Returns (paper upsert result, new feed entries)."""
    today = today or datetime.now(UTC).date()
    records = demo_records()
    result = upsert_papers(session.connection(), records)
    voters = _demo_voters(session)
    added = 0
    for index, record in enumerate(records):
        paper = session.scalar(select(Paper).where(Paper.arxiv_id == record.arxiv_id))
        if paper.daily_entry is not None:
            continue
        day = today - timedelta(days=index // PAPERS_PER_DAY)
        entry = add_daily_entry(session, paper, day, is_demo=True)
        # Submitted on that day (not all at load time), so trending ages older demo days as it would real ones.
        entry.submitted_at = min(datetime.now(UTC), datetime.combine(day, time(8), UTC))
        added += 1
        for voter in voters[: _demo_votes(record.arxiv_id)]:
            session.add(Vote(user_id=voter.id, paper_id=paper.id, is_demo=True))
        session.flush()
        paper.upvotes = session.scalar(select(func.count()).select_from(Vote).where(Vote.paper_id == paper.id))
    return result, added


def _demo_voters(session: Session) -> list[User]:
    voters = []
    for n in range(1, DEMO_VOTERS + 1):
        name = f"demo-voter-{n:02d}"
        user = session.scalar(select(User).where(User.username == name))
        if user is None:
            user = User(username=name, fullname=f"Demo voter {n}", is_demo=True)
            session.add(user)
        voters.append(user)
    session.flush()
    return voters


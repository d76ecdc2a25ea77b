"""The demo: 64 real papers of a daily feed, spread over recent days, with upvotes marked as demo data."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time, timedelta
from importlib import resources

from dailypapers.sources.snapshot import iter_jsonl
from dailypapers.store import people
from dailypapers.store.db import Session
from dailypapers.store.models import User
from dailypapers.store.papers import UpsertResult, add_daily_entry, upsert_papers
from dailypapers.store.reads import get_paper
from dailypapers.store.votes import add_demo_votes

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
        paper = get_paper(session, record.arxiv_id)
        if paper.daily_entry is not None:
            continue
        day = today - timedelta(days=index // PAPERS_PER_DAY)
        # Submitted on that day (not all at load time), so trending ages older demo days as it would real ones.
        add_daily_entry(
            session, paper, day, is_demo=True, submitted_at=min(datetime.now(UTC), datetime.combine(day, time(8), UTC))
        )
        added += 1
        add_demo_votes(session, paper, [voter.id for voter in voters[: _demo_votes(record.arxiv_id)]])
    return result, added


def _demo_voters(session: Session) -> list[User]:
    voters = []
    for n in range(1, DEMO_VOTERS + 1):
        name = f"demo-voter-{n:02d}"
        voters.append(
            people.user_by_name(session, name)
            or people.add_demo_user(session, username=name, fullname=f"Demo voter {n}")
        )
    return voters

"""Upvotes: one per user per paper, and `papers.upvotes`, recounted in the same transaction as each change so it
always equals count(votes) even when requests race."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from dailypapers.store.db import insert_or_else
from dailypapers.store.models import Paper, Vote


def has_vote(session: Session, user_id: int, paper_id: int) -> bool:
    return session.get(Vote, (user_id, paper_id)) is not None


def set_vote(session: Session, user_id: int, paper: Paper, up: bool) -> int:
    """Make the user's vote on the paper `up` (or absent); returns the paper's new upvote count."""
    # PostgreSQL counts with the snapshot a statement started with: without the paper's row locked first, a
    # racing vote that commits meanwhile is missed by the count (SQLite runs one writer at a time anyway).
    session.execute(select(Paper.id).where(Paper.id == paper.id).with_for_update())
    if up:
        session.execute(
            insert_or_else(session, Vote)
            .values(user_id=user_id, paper_id=paper.id)
            .on_conflict_do_nothing(index_elements=["user_id", "paper_id"])
        )
    else:
        session.execute(delete(Vote).where(Vote.user_id == user_id, Vote.paper_id == paper.id))
    return _recount(session, paper)


def add_demo_votes(session: Session, paper: Paper, voter_ids: list[int]) -> None:
    """The demo's made-up votes on a paper, marked as demo data, and its count."""
    session.add_all(Vote(user_id=voter_id, paper_id=paper.id, is_demo=True) for voter_id in voter_ids)
    session.flush()
    _recount(session, paper)


def _recount(session: Session, paper: Paper) -> int:
    count = select(func.count()).select_from(Vote).where(Vote.paper_id == paper.id).scalar_subquery()
    session.execute(update(Paper).where(Paper.id == paper.id).values(upvotes=count))
    paper.upvotes = session.execute(select(Paper.upvotes).where(Paper.id == paper.id)).scalar_one()
    return paper.upvotes


def voted_among(session: Session, user_id: int | None, paper_ids: Collection[int]) -> set[int]:
    """Which of `paper_ids` the user has upvoted (one query for a whole page)."""
    if user_id is None or not paper_ids:
        return set()
    return set(session.scalars(select(Vote.paper_id).where(Vote.user_id == user_id, Vote.paper_id.in_(paper_ids))))


def upvoted_papers(session: Session, user_id: int, limit: int = 100) -> list[Paper]:
    """The visible papers the user upvoted, the latest vote first."""
    return list(
        session.scalars(
            select(Paper)
            .join(Vote, Vote.paper_id == Paper.id)
            .where(Vote.user_id == user_id, Paper.hidden.is_(False))
            .order_by(Vote.created_at.desc())
            .limit(limit)
        )
    )

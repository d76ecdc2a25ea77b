"""Upvotes: one per user per paper. Setting a vote is idempotent; the count is recomputed in the same
transaction, so `papers.upvotes` always equals count(votes) even when requests race."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dailypapers.community.papers import load_paper
from dailypapers.store.models import Paper, User, Vote


@dataclass(frozen=True)
class VoteState:
    upvoted: bool
    upvotes: int  # the paper's count after the vote


def vote(session: Session, user: User, arxiv_id: str, up: bool | None = None) -> VoteState:
    """Make the user's vote on a visible paper `up` (or absent); None toggles the current vote."""
    paper = load_paper(session, arxiv_id)
    if up is None:
        up = session.get(Vote, (user.id, paper.id)) is None
    return VoteState(up, _set_vote(session, user, paper, up))


def _set_vote(session: Session, user: User, paper: Paper, up: bool) -> int:
    """Make the user's vote on the paper `up` (or absent); returns the paper's new upvote count."""
    # PostgreSQL counts with the snapshot a statement started with: without the paper's row locked first, a
    # racing vote that commits meanwhile is missed by the count (SQLite runs one writer at a time anyway).
    session.execute(select(Paper.id).where(Paper.id == paper.id).with_for_update())
    if up:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.execute(dialect.insert(Vote).values(user_id=user.id, paper_id=paper.id)
                        .on_conflict_do_nothing(index_elements=["user_id", "paper_id"]))
    else:
        session.execute(delete(Vote).where(Vote.user_id == user.id, Vote.paper_id == paper.id))
    count = select(func.count()).select_from(Vote).where(Vote.paper_id == paper.id).scalar_subquery()
    session.execute(update(Paper).where(Paper.id == paper.id).values(upvotes=count))
    upvotes = session.scalar(select(Paper.upvotes).where(Paper.id == paper.id))
    paper.upvotes = upvotes
    return upvotes


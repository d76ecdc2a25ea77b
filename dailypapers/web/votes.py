"""Upvotes: one per user per paper. Setting a vote is idempotent; the count is recomputed in the same
transaction, so `papers.upvotes` always equals count(votes) even when requests race."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dailypapers.store.models import Paper, User, Vote


def set_vote(session: Session, user: User, paper: Paper, up: bool) -> int:
    """Make the user's vote on the paper `up` (or absent); returns the paper's new upvote count."""
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


def parse_vote_value(value: str | None, currently: bool) -> bool:
    """The form sends the wanted state ("1"/"0"), so a double submit cannot flip it back; no value toggles."""
    if value in ("1", "true", "up", "on"):
        return True
    if value in ("0", "false", "down", "off"):
        return False
    return not currently

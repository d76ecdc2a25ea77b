"""Upvotes: one per user per paper. Setting a vote is idempotent; the store keeps `papers.upvotes` equal to
count(votes) in the same transaction (store/votes.py)."""

from __future__ import annotations

from dataclasses import dataclass

from dailypapers.community.papers import load_paper
from dailypapers.store import votes
from dailypapers.store.db import Session
from dailypapers.store.models import User


@dataclass(frozen=True)
class VoteState:
    upvoted: bool
    upvotes: int  # the paper's count after the vote


def vote(session: Session, user: User, arxiv_id: str, up: bool | None = None) -> VoteState:
    """Make the user's vote on a visible paper `up` (or absent); None toggles the current vote."""
    paper = load_paper(session, arxiv_id)
    if up is None:
        up = not votes.has_vote(session, user.id, paper.id)
    return VoteState(up, votes.set_vote(session, user.id, paper, up))

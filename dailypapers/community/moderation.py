"""Moderation by administrators: hiding papers and comments, and the queue they work from.

A hidden paper leaves the feeds, search and the API for everyone but administrators; a hidden comment is
shown to nobody but administrators and no longer counts on its paper.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from dailypapers.community.comments import get_comment, recount
from dailypapers.community.papers import load_paper
from dailypapers.errors import NotAllowed
from dailypapers.store.models import Comment, Paper, User
from dailypapers.store.papers import set_hidden

RECENT_COMMENTS = 50


def require_admin(user: User) -> User:
    if not user.is_admin:
        raise NotAllowed("only an administrator can do this")
    return user


def set_paper_hidden(session: Session, user: User, arxiv_id: str, hidden: bool) -> Paper:
    require_admin(user)
    paper = load_paper(session, arxiv_id, include_hidden=True)
    set_hidden(session, paper, hidden)
    return paper


def set_comment_hidden(session: Session, user: User, comment_id: int, hidden: bool) -> Comment:
    require_admin(user)
    comment = get_comment(session, comment_id)
    comment.hidden = hidden
    session.flush()
    recount(session, comment.paper_id)
    return comment


@dataclass
class ModerationQueue:
    hidden_papers: list[Paper]
    comments: list[Comment]  # the latest, hidden ones first
    papers: dict[int, Paper]  # the papers of those comments, by id


def moderation_queue(session: Session) -> ModerationQueue:
    hidden_papers = list(session.scalars(select(Paper).where(Paper.hidden.is_(True)).order_by(Paper.id.desc())))
    comments = list(session.scalars(
        select(Comment).options(joinedload(Comment.user)).where(Comment.deleted.is_(False))
        .order_by(Comment.hidden.desc(), Comment.created_at.desc()).limit(RECENT_COMMENTS)))
    papers = {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_({c.paper_id for c in comments})))}
    return ModerationQueue(hidden_papers, comments, papers)

"""Moderation by administrators: hiding papers and comments, and the queue they work from.

A hidden paper leaves the feeds, search and the API for everyone but administrators; a hidden comment is
shown to nobody but administrators and no longer counts on its paper.
"""

from __future__ import annotations

from dataclasses import dataclass

from dailypapers.community.comments import get_comment
from dailypapers.community.papers import load_paper
from dailypapers.errors import NotAllowed
from dailypapers.store import comments
from dailypapers.store.db import Session
from dailypapers.store.models import Comment, Paper, User
from dailypapers.store.papers import set_hidden
from dailypapers.store.reads import hidden_papers, papers_by_ids

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
    comments.set_comment_hidden(session, comment, hidden)
    return comment


@dataclass
class ModerationQueue:
    hidden_papers: list[Paper]
    comments: list[Comment]  # the latest, hidden ones first
    papers: dict[int, Paper]  # the papers of those comments, by id


def moderation_queue(session: Session) -> ModerationQueue:
    recent = comments.recent_comments(session, RECENT_COMMENTS)
    papers = papers_by_ids(session, {c.paper_id for c in recent}, include_hidden=True)
    return ModerationQueue(hidden_papers(session), recent, papers)

"""Comments and `papers.num_comments`, recounted with each change so it equals the comments everyone sees."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, joinedload

from dailypapers.store.models import Comment, Paper, User


def comment_by_id(session: Session, comment_id: int) -> Comment | None:
    return session.get(Comment, comment_id)


def parent_id_of(session: Session, comment_id: int) -> int | None:
    return session.scalar(select(Comment.parent_id).where(Comment.id == comment_id))


def paper_of(session: Session, comment: Comment) -> Paper:
    """The paper a comment belongs to (already in the session after a write: no query)."""
    return session.get_one(Paper, comment.paper_id)


def add_comment(session: Session, *, paper_id: int, user_id: int, body: str, parent_id: int | None) -> Comment:
    comment = Comment(paper_id=paper_id, user_id=user_id, body=body, parent_id=parent_id)
    session.add(comment)
    session.flush()
    _recount(session, paper_id)
    comment.user = session.get_one(User, user_id)
    return comment


def edit_comment(session: Session, comment: Comment, body: str, edited_at: datetime) -> None:
    comment.body, comment.edited_at = body, edited_at
    session.flush()


def delete_comment(session: Session, comment: Comment) -> None:
    """Marked deleted (its replies keep their place); no longer counted."""
    comment.deleted = True
    session.flush()
    _recount(session, comment.paper_id)


def set_comment_hidden(session: Session, comment: Comment, hidden: bool) -> None:
    comment.hidden = hidden
    session.flush()
    _recount(session, comment.paper_id)


def _recount(session: Session, paper_id: int) -> None:
    count = (
        select(func.count())
        .select_from(Comment)
        .where(Comment.paper_id == paper_id, Comment.deleted.is_(False), Comment.hidden.is_(False))
        .scalar_subquery()
    )
    session.execute(update(Paper).where(Paper.id == paper_id).values(num_comments=count))


# asked on every paper page: built once, the paper bound at each call; administrators see hidden ones
_COMMENTS = (
    select(Comment)
    .options(joinedload(Comment.user))
    .where(Comment.paper_id == bindparam("paper_id"), Comment.deleted.is_(False))
    .order_by(Comment.created_at, Comment.id)
)
_SHOWN_COMMENTS = _COMMENTS.where(Comment.hidden.is_(False))


def visible_comments(session: Session, paper_id: int, *, include_hidden: bool = False) -> list[Comment]:
    """A paper's comments not deleted (nor hidden, unless `include_hidden`), with their authors, in time order."""
    return list(session.scalars(_COMMENTS if include_hidden else _SHOWN_COMMENTS, {"paper_id": paper_id}))


def recent_comments(session: Session, limit: int) -> list[Comment]:
    """The latest comments not deleted, hidden ones first (the moderation queue)."""
    return list(
        session.scalars(
            select(Comment)
            .options(joinedload(Comment.user))
            .where(Comment.deleted.is_(False))
            .order_by(Comment.hidden.desc(), Comment.created_at.desc())
            .limit(limit)
        )
    )

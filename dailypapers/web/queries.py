"""Read queries of the pages and the JSON API alone: comments, a reader's upvotes, the cursor-paged listing.

The feed query is ranking/feed.py's and a paper page's data community/reading.py's: the MCP tools read them too.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from dailypapers.store.models import Comment, Paper, Vote
from dailypapers.validators import arxiv_category


def parse_category(text: str | None) -> str | None:
    """An optional category filter (cs.CL, or cs for all its categories): None when not given."""
    text = (text or "").strip()
    return arxiv_category(text) if text else None


# A paper's comments with their authors, built once (the paper bound at each call); administrators see hidden ones.
_COMMENTS = (select(Comment).options(joinedload(Comment.user))
             .where(Comment.paper_id == bindparam("paper_id"), Comment.deleted.is_(False))
             .order_by(Comment.created_at, Comment.id))
_SHOWN_COMMENTS = _COMMENTS.where(Comment.hidden.is_(False))


def visible_comments(session: Session, paper_id: int, *, include_hidden: bool = False) -> list[Comment]:
    return list(session.scalars(_COMMENTS if include_hidden else _SHOWN_COMMENTS, {"paper_id": paper_id}))


# Rows, not papers: a related list shows four columns of six papers, and objects cost more than the query.
_LISTED = (select(Paper.id, Paper.arxiv_id, Paper.title, Paper.upvotes)
           .where(Paper.id.in_(bindparam("ids", expanding=True)), Paper.hidden.is_(False)))


def listed_papers(session: Session, ids: list[int]) -> list:
    """(id, arxiv_id, title, upvotes) of the visible papers among `ids`, in the order of `ids`."""
    if not ids:
        return []
    rows = {row.id: row for row in session.execute(_LISTED, {"ids": list(ids)})}
    return [rows[pid] for pid in ids if pid in rows]


def has_voted(session: Session, user_id: int | None, paper_ids: list[int]) -> set[int]:
    """Which of `paper_ids` the user has upvoted (one query for a whole page)."""
    if user_id is None or not paper_ids:
        return set()
    return set(session.scalars(select(Vote.paper_id).where(Vote.user_id == user_id, Vote.paper_id.in_(paper_ids))))


def upvoted_papers(session: Session, user_id: int, limit: int = 100) -> list[Paper]:
    return list(session.scalars(
        select(Paper).join(Vote, Vote.paper_id == Paper.id)
        .where(Vote.user_id == user_id, Paper.hidden.is_(False)).order_by(Vote.created_at.desc()).limit(limit)
    ))


def papers_page(session: Session, *, after_id: int, limit: int) -> list[Paper]:
    """All visible papers in id order, keyset-paged (for the API's cursor listing)."""
    return list(session.scalars(
        select(Paper).where(Paper.id > after_id, Paper.hidden.is_(False)).order_by(Paper.id).limit(limit)
    ))

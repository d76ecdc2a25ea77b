"""Comments: a Markdown subset rendered to sanitised HTML, and their writes (add, edit, delete, hide).

Markdown goes through markdown-it-py with raw HTML off, then nh3 with an allow-list of tags and of URL
schemes (http, https, mailto): no script, no event handlers, no `javascript:` links, even if a parser
bug let something through.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dailypapers.errors import InvalidInput, NotFound
from dailypapers.store.models import Comment, Paper, User

MAX_COMMENT_CHARS = 10_000
_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr", "del"}
_ATTRIBUTES = {"a": {"href", "title"}}
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable(
    ["image", "heading", "lheading", "html_block", "html_inline"]).enable("strikethrough")


@lru_cache(maxsize=4096)
def render_markdown(body: str) -> Markup:
    html = _md.render(body or "")
    clean = nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                      link_rel="nofollow noopener noreferrer ugc")
    return Markup(clean)


def _validate_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise InvalidInput("the comment is empty")
    if len(body) > MAX_COMMENT_CHARS:
        raise InvalidInput(f"the comment is {len(body)} characters long; the limit is {MAX_COMMENT_CHARS}")
    return body


def _recount(session: Session, paper_id: int) -> None:
    count = (select(func.count()).select_from(Comment)
             .where(Comment.paper_id == paper_id, Comment.deleted.is_(False), Comment.hidden.is_(False))
             .scalar_subquery())
    session.execute(update(Paper).where(Paper.id == paper_id).values(num_comments=count))


def add_comment(session: Session, user: User, paper: Paper, body: str, parent_id: int | None = None) -> Comment:
    body = _validate_body(body)
    if parent_id is not None:
        parent = session.get(Comment, parent_id)
        if parent is None or parent.paper_id != paper.id or parent.deleted:
            raise InvalidInput("the comment you reply to does not exist on this paper")
    comment = Comment(paper_id=paper.id, user_id=user.id, body=body, parent_id=parent_id)
    session.add(comment)
    session.flush()
    _recount(session, paper.id)
    comment.user = session.get(User, user.id)
    return comment


def get_comment(session: Session, comment_id: int) -> Comment:
    comment = session.get(Comment, comment_id)
    if comment is None or comment.deleted:
        raise NotFound(f"no comment {comment_id}")
    return comment


def _own(comment: Comment, user: User) -> None:
    from fastapi import HTTPException

    if comment.user_id != user.id:
        raise HTTPException(403, "you can only change your own comments")


def edit_comment(session: Session, user: User, comment_id: int, body: str) -> Comment:
    comment = get_comment(session, comment_id)
    _own(comment, user)
    comment.body = _validate_body(body)
    comment.edited_at = datetime.now(UTC)
    session.flush()
    return comment


def delete_comment(session: Session, user: User, comment_id: int) -> Comment:
    comment = get_comment(session, comment_id)
    if not user.is_admin:
        _own(comment, user)
    comment.deleted = True
    session.flush()
    _recount(session, comment.paper_id)
    return comment


def set_comment_hidden(session: Session, comment_id: int, hidden: bool) -> Comment:
    """An administrator's moderation: a hidden comment is shown to nobody but administrators."""
    comment = get_comment(session, comment_id)
    comment.hidden = hidden
    session.flush()
    _recount(session, comment.paper_id)
    return comment

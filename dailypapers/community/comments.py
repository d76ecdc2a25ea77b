"""Comments: a Markdown subset rendered to sanitised HTML, threads, and their writes (add, edit, delete).

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

from dailypapers.community.papers import load_paper
from dailypapers.errors import InvalidInput, NotAllowed, NotFound
from dailypapers.store import comments as store
from dailypapers.store.db import Session
from dailypapers.store.models import Comment, Paper, User
from dailypapers.validators import plain_text

MAX_COMMENT_CHARS = 10_000
_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr", "del"}
_ATTRIBUTES = {"a": {"href", "title"}}
_md = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .disable(["image", "heading", "lheading", "html_block", "html_inline"])
    .enable("strikethrough")
)


@lru_cache(maxsize=4096)
def render_markdown(body: str) -> Markup:
    html = _md.render(body or "")
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer ugc",
    )
    return Markup(clean)


MAX_DEPTH = 4  # deeper replies are shown at this indent


def thread_order(comments: list[Comment]) -> list[tuple[Comment, int]]:
    """Comments in reading order: each reply right under what it answers, with its depth.

    A reply whose parent is gone (deleted or hidden) stands at the top level.
    """
    present = {c.id for c in comments}
    children: dict[int | None, list[Comment]] = {}
    for comment in comments:  # already in time order
        parent = comment.parent_id if comment.parent_id in present else None
        children.setdefault(parent, []).append(comment)
    ordered: list[tuple[Comment, int]] = []
    stack = [(c, 0) for c in reversed(children.get(None, []))]
    while stack:
        comment, depth = stack.pop()
        ordered.append((comment, depth))
        stack.extend((c, min(depth + 1, MAX_DEPTH)) for c in reversed(children.get(comment.id, [])))
    return ordered


def depth_of(session: Session, comment: Comment) -> int:
    """How deep a new comment sits in its thread (for the script that inserts it)."""
    depth, parent_id = 0, comment.parent_id
    while parent_id is not None and depth < MAX_DEPTH:
        depth += 1
        parent_id = store.parent_id_of(session, parent_id)
    return depth


def validate_body(body: str) -> str:
    body = plain_text((body or "").replace("\r\n", "\n"), "the comment").strip()
    if not body:
        raise InvalidInput("the comment is empty")
    if len(body) > MAX_COMMENT_CHARS:
        raise InvalidInput(f"the comment is {len(body)} characters long; the limit is {MAX_COMMENT_CHARS}")
    return body


def add_comment(session: Session, user: User, arxiv_id: str, body: str, parent_id: int | None = None) -> Comment:
    """A new comment on a visible paper, or a reply to one of its comments."""
    paper = load_paper(session, arxiv_id)
    body = validate_body(body)
    if parent_id is not None:
        parent = store.comment_by_id(session, parent_id)
        if parent is None or parent.paper_id != paper.id or parent.deleted or parent.hidden:
            raise InvalidInput("the comment you reply to does not exist on this paper")
    return store.add_comment(session, paper_id=paper.id, user_id=user.id, body=body, parent_id=parent_id)


def paper_of(session: Session, comment: Comment) -> Paper:
    """The paper a comment belongs to (already in the session after a write: no query)."""
    return store.paper_of(session, comment)


def get_comment(session: Session, comment_id: int) -> Comment:
    comment = store.comment_by_id(session, comment_id)
    if comment is None or comment.deleted:
        raise NotFound(f"no comment {comment_id}")
    return comment


def _own(comment: Comment, user: User) -> None:
    if comment.user_id != user.id:
        raise NotAllowed("you can only change your own comments")


def edit_comment(session: Session, user: User, comment_id: int, body: str) -> Comment:
    comment = get_comment(session, comment_id)
    _own(comment, user)
    store.edit_comment(session, comment, validate_body(body), datetime.now(UTC))
    return comment


def delete_comment(session: Session, user: User, comment_id: int) -> Comment:
    """The author's delete, or an administrator's."""
    comment = get_comment(session, comment_id)
    if not user.is_admin:
        _own(comment, user)
    store.delete_comment(session, comment)
    return comment

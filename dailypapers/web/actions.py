"""The writes behind the page buttons: submit, upvote, comment (add, edit, delete), and moderation.

Each works as a plain form post (a 303 back to the page, so it works without JavaScript) and, when the
script asks for JSON, answers JSON so the page updates in place. All check CSRF and a per-user rate limit.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import select

from dailypapers.config import get_settings
from dailypapers.errors import DailyPapersError, NotFound
from dailypapers.store.db import session_scope
from dailypapers.store.models import Paper, User, Vote
from dailypapers.web import comments as comment_ops
from dailypapers.web.auth import require_admin, require_user
from dailypapers.web.responses import back, status_for, wants_json
from dailypapers.web.security import rate_limit, verify_csrf
from dailypapers.web.submit import submit_paper
from dailypapers.web.templating import render, render_fragment
from dailypapers.web.votes import parse_vote_value, set_vote

router = APIRouter(include_in_schema=False)


def writer(request: Request, csrf: str) -> User:
    """The signed-in user allowed to write now: CSRF checked, rate limit counted."""
    verify_csrf(request, csrf)
    user = require_user(request)
    rate_limit(f"write:user:{user.id}", get_settings().rate_limit_writes, 60)
    return user


def load_paper(session, arxiv_id: str, *, include_hidden: bool = False) -> Paper:
    paper = session.scalar(select(Paper).where(Paper.arxiv_id == arxiv_id))
    if paper is None or (paper.hidden and not include_hidden):
        raise NotFound(f"no paper {arxiv_id}")
    return paper


@router.get("/submit")
def submit_form(request: Request):
    require_user(request)
    return render(request, "submit.html", value="", window=get_settings().feed_window_days)


@router.post("/submit")
def submit(request: Request, paper: str = Form(""), csrf_token: str = Form("")):
    user = writer(request, csrf_token)
    try:
        added, entry = submit_paper(user, paper)
    except DailyPapersError as exc:
        if wants_json(request):
            raise
        return render(request, "submit.html", status_code=status_for(exc), error=str(exc), value=paper,
                      window=get_settings().feed_window_days)
    if wants_json(request):
        return JSONResponse({"id": added.arxiv_id, "date": entry.date.isoformat()}, status_code=201)
    return RedirectResponse(f"/papers/{added.arxiv_id}", status_code=303)


@router.post("/papers/{arxiv_id:path}/upvote")
def upvote(request: Request, arxiv_id: str, vote: str | None = Form(None), csrf_token: str = Form("")):
    user = writer(request, csrf_token)
    with session_scope() as session:
        paper = load_paper(session, arxiv_id)
        current = session.get(Vote, (user.id, paper.id)) is not None
        up = parse_vote_value(vote, current)
        count = set_vote(session, user, paper, up)
    if wants_json(request):
        return {"id": arxiv_id, "upvoted": up, "upvotes": count}
    return back(request, f"/papers/{arxiv_id}")


@router.post("/papers/{arxiv_id:path}/comments")
def comment(request: Request, arxiv_id: str, body: str = Form(""), parent: int | None = Form(None),
            csrf_token: str = Form("")):
    user = writer(request, csrf_token)
    with session_scope() as session:
        paper = load_paper(session, arxiv_id)
        new = comment_ops.add_comment(session, user, paper, body, parent)
        session.refresh(paper)
        count = paper.num_comments
        html = _comment_html(request, new, paper, comment_ops.depth_of(session, new)) if wants_json(request) else None
    if html is not None:
        return JSONResponse({"id": new.id, "html": html, "numComments": count}, status_code=201)
    return RedirectResponse(f"/papers/{arxiv_id}#comment-{new.id}", status_code=303)


def _comment_html(request: Request, comment, paper: Paper, depth: int) -> str:
    """The comment's list item, rendered by the same template as the page, for the script to insert."""
    return render_fragment(request, "_comment.html", comment=comment, paper=paper, depth=depth,
                           rendered={comment.id: comment_ops.render_markdown(comment.body)})


@router.post("/comments/{comment_id}/edit")
def edit_comment(request: Request, comment_id: int, body: str = Form(""), csrf_token: str = Form("")):
    user = writer(request, csrf_token)
    with session_scope() as session:
        edited = comment_ops.edit_comment(session, user, comment_id, body)
        arxiv_id = session.get(Paper, edited.paper_id).arxiv_id
        html = str(comment_ops.render_markdown(edited.body))
    if wants_json(request):
        return {"id": comment_id, "html": html}
    return RedirectResponse(f"/papers/{arxiv_id}#comment-{comment_id}", status_code=303)


@router.post("/comments/{comment_id}/delete")
def delete_comment(request: Request, comment_id: int, csrf_token: str = Form("")):
    user = writer(request, csrf_token)
    with session_scope() as session:
        deleted = comment_ops.delete_comment(session, user, comment_id)
        paper = session.get(Paper, deleted.paper_id)
        session.refresh(paper)
        arxiv_id, count = paper.arxiv_id, paper.num_comments
    if wants_json(request):
        return {"id": comment_id, "deleted": True, "numComments": count}
    return RedirectResponse(f"/papers/{arxiv_id}#discussion", status_code=303)


@router.post("/comments/{comment_id}/hide")
def hide_comment(request: Request, comment_id: int, hidden: str = Form("1"), csrf_token: str = Form("")):
    verify_csrf(request, csrf_token)
    require_admin(request)
    with session_scope() as session:
        moderated = comment_ops.set_comment_hidden(session, comment_id, hidden == "1")
        arxiv_id = session.get(Paper, moderated.paper_id).arxiv_id
    if wants_json(request):
        return {"id": comment_id, "hidden": hidden == "1"}
    return RedirectResponse(f"/papers/{arxiv_id}#comment-{comment_id}", status_code=303)


@router.post("/papers/{arxiv_id:path}/hide")
def hide_paper(request: Request, arxiv_id: str, hidden: str = Form("1"), csrf_token: str = Form("")):
    verify_csrf(request, csrf_token)
    require_admin(request)
    with session_scope() as session:
        paper = load_paper(session, arxiv_id, include_hidden=True)
        paper.hidden = hidden == "1"
    if wants_json(request):
        return {"id": arxiv_id, "hidden": hidden == "1"}
    return RedirectResponse(f"/papers/{arxiv_id}", status_code=303)

"""The writes behind the page buttons: submit, upvote, comment (add, edit, delete), links, author claims,
and moderation.

Each works as a plain form post (a 303 back to the page, so it works without JavaScript) and, when the
script asks for JSON, answers JSON so the page updates in place. All go through the write guard
(`auth.writer`: CSRF, the user, a per-user rate limit) and call dailypapers.community for the write.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse

from dailypapers.community import claims, comments, moderation
from dailypapers.community.links import set_links
from dailypapers.community.submissions import PendingSubmission, pending_submissions, submit_within
from dailypapers.community.votes import vote
from dailypapers.config import get_settings
from dailypapers.errors import DailyPapersError
from dailypapers.store.models import Comment, Paper
from dailypapers.web.auth import Writer, require_user
from dailypapers.web.database import DbSession
from dailypapers.web.inputs import ClaimForm, CommentForm, DbId, DecisionForm, HideForm, LinksForm, SubmitForm, VoteForm
from dailypapers.web.responses import answer, back_to_card, status_for, wants_json
from dailypapers.web.templating import render, render_fragment

router = APIRouter(include_in_schema=False)


def _submit_page(request: Request, user, status_code: int = 200, **context):
    settings = get_settings()
    return render(
        request,
        "submit.html",
        status_code=status_code,
        window=settings.feed_window_days,
        wait=settings.arxiv_submit_wait,
        waiting=pending_submissions(user),
        **context,
    )


@router.get("/submit")
def submit_form(request: Request):
    return _submit_page(request, require_user(request), value="")


@router.post("/submit")
def submit(request: Request, user: Writer, form: Annotated[SubmitForm, Form()]):
    try:
        outcome = submit_within(user, form.paper)
    except DailyPapersError as exc:
        if wants_json(request):
            raise
        return _submit_page(request, user, status_for(exc), error=str(exc), value=form.paper)
    if isinstance(outcome, PendingSubmission):  # arXiv is slow: the fetch goes on in the background
        if wants_json(request):
            return JSONResponse({"id": outcome.arxiv_id, "status": "pending"}, status_code=202)
        return _submit_page(request, user, 202, pending=outcome, value="")
    added, entry = outcome
    if wants_json(request):
        return JSONResponse({"id": added.arxiv_id, "date": entry.date.isoformat()}, status_code=201)
    return RedirectResponse(f"/papers/{added.arxiv_id}", status_code=303)


@router.post("/papers/{arxiv_id:path}/upvote")
def upvote(request: Request, arxiv_id: str, user: Writer, form: Annotated[VoteForm, Form()], session: DbSession):
    state = vote(session, user, arxiv_id, form.up)
    return answer(
        request, {"id": arxiv_id, "upvoted": state.upvoted, "upvotes": state.upvotes}, back_to_card(request, arxiv_id)
    )


@router.post("/papers/{arxiv_id:path}/comments")
def comment(request: Request, arxiv_id: str, user: Writer, form: Annotated[CommentForm, Form()], session: DbSession):
    new = comments.add_comment(session, user, arxiv_id, form.body, form.parent)
    paper = comments.paper_of(session, new)
    count = paper.num_comments
    html = _comment_html(request, new, paper, comments.depth_of(session, new)) if wants_json(request) else None
    if html is not None:
        return JSONResponse({"id": new.id, "html": html, "numComments": count}, status_code=201)
    return RedirectResponse(f"/papers/{arxiv_id}#comment-{new.id}", status_code=303)


def _comment_html(request: Request, comment: Comment, paper: Paper, depth: int) -> str:
    """The comment's list item, rendered by the same template as the page, for the script to insert."""
    return render_fragment(
        request,
        "_comment.html",
        comment=comment,
        paper=paper,
        depth=depth,
        rendered={comment.id: comments.render_markdown(comment.body)},
    )


@router.post("/comments/{comment_id}/edit")
def edit_comment(
    request: Request, comment_id: DbId, user: Writer, form: Annotated[CommentForm, Form()], session: DbSession
):
    edited = comments.edit_comment(session, user, comment_id, form.body)
    arxiv_id = comments.paper_of(session, edited).arxiv_id
    html = str(comments.render_markdown(edited.body))
    return answer(request, {"id": comment_id, "html": html}, f"/papers/{arxiv_id}#comment-{comment_id}")


@router.post("/comments/{comment_id}/delete")
def delete_comment(request: Request, comment_id: DbId, user: Writer, session: DbSession):
    deleted = comments.delete_comment(session, user, comment_id)
    paper = comments.paper_of(session, deleted)
    arxiv_id, count = paper.arxiv_id, paper.num_comments
    return answer(request, {"id": comment_id, "deleted": True, "numComments": count}, f"/papers/{arxiv_id}#discussion")


@router.post("/comments/{comment_id}/hide")
def hide_comment(
    request: Request, comment_id: DbId, user: Writer, form: Annotated[HideForm, Form()], session: DbSession
):
    moderated = moderation.set_comment_hidden(session, user, comment_id, form.is_hidden)
    arxiv_id = comments.paper_of(session, moderated).arxiv_id
    return answer(request, {"id": comment_id, "hidden": form.is_hidden}, f"/papers/{arxiv_id}#comment-{comment_id}")


@router.post("/papers/{arxiv_id:path}/hide")
def hide_paper(request: Request, arxiv_id: str, user: Writer, form: Annotated[HideForm, Form()], session: DbSession):
    moderation.set_paper_hidden(session, user, arxiv_id, form.is_hidden)
    return answer(request, {"id": arxiv_id, "hidden": form.is_hidden}, f"/papers/{arxiv_id}")


@router.post("/papers/{arxiv_id:path}/links")
def edit_links(request: Request, arxiv_id: str, user: Writer, form: Annotated[LinksForm, Form()], session: DbSession):
    paper = set_links(session, user, arxiv_id, github_repo=form.githubRepo, project_page=form.projectPage)
    links = {"githubRepo": paper.code_url, "projectPage": paper.project_page}
    return answer(request, {"id": arxiv_id, **links}, f"/papers/{arxiv_id}#links")


@router.post("/papers/{arxiv_id:path}/claim")
def claim_author(request: Request, arxiv_id: str, user: Writer, form: Annotated[ClaimForm, Form()], session: DbSession):
    if form.wanted:
        claims.claim_author(session, user, arxiv_id, form.author)
    else:
        claims.unclaim_author(session, user, arxiv_id, form.author)
    return answer(
        request, {"id": arxiv_id, "author": form.author, "claimed": form.wanted}, f"/papers/{arxiv_id}#paper-authors"
    )


@router.post("/admin/claims/{claim_id}")
def decide_claim(
    request: Request, claim_id: DbId, user: Writer, form: Annotated[DecisionForm, Form()], session: DbSession
):
    claim = claims.decide_claim(session, user, claim_id, form.decision == "approve")
    status = claim.status
    return answer(request, {"id": claim_id, "status": status}, "/admin/claims")

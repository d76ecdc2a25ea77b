"""The JSON API, compatible with the Hugging Face papers API (`huggingface_hub.HfApi(endpoint=...)` works).

Reads: /api/daily_papers, /api/papers/search, /api/papers (cursor-paged), /api/papers/{id}, and
/papers/{id}.md (in pages.py). Writes take a personal token (`Authorization: Bearer dp_...`), or the
session cookie plus an `X-CSRF-Token` header. Errors are JSON `{"error": ...}` with a 4xx status.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from dailypapers.community import comments, moderation
from dailypapers.community.claims import paper_claims
from dailypapers.community.links import set_links
from dailypapers.community.papers import load_paper
from dailypapers.community.reading import paper_view, typed_id
from dailypapers.community.submissions import PendingSubmission, ensure_paper, submit_within
from dailypapers.community.updates import update_flags, version_history
from dailypapers.community.users import public_user
from dailypapers.community.votes import vote
from dailypapers.dates import parse_day
from dailypapers.errors import InvalidInput
from dailypapers.periods import parse_period
from dailypapers.ranking.feed import API_SORTS, feed_rows, submitted_rows
from dailypapers.search import SearchQuery, related, search
from dailypapers.search.query import MAX_QUERY_CHARS
from dailypapers.sources.ids import parse_arxiv_id
from dailypapers.store.comments import visible_comments
from dailypapers.store.reads import papers_for_hits, papers_page
from dailypapers.store.votes import upvoted_papers, voted_among
from dailypapers.web import queries, schemas
from dailypapers.web.auth import Writer, current_user
from dailypapers.web.database import DbSession
from dailypapers.web.inputs import CommentIn, Cursor, DbId, HiddenIn, LinksIn, PaperRef
from dailypapers.web.openapi import error_response
from dailypapers.web.responses import link_next

router = APIRouter(prefix="/api", tags=["papers"])
MAX_DAILY_LIMIT = 100
MAX_SEARCH_LIMIT = 120
MAX_LIST_LIMIT = 100
MAX_RELATED_LIMIT = 50


def _daily_entries(session, rows) -> list[dict]:
    """Daily entries as JSON, each with its approved author claims (one query for the page)."""
    claims = paper_claims(session, [row.paper.id for row in rows])
    return [schemas.daily_json(row, claims.get(row.paper.id)) for row in rows]


@router.get("/daily_papers", summary="The daily feed (Hugging Face compatible)")
def daily_papers(
    session: DbSession,
    p: int = Query(0, ge=0, le=100_000, description="Page number, from 0"),
    limit: int = Query(50, ge=1, le=MAX_DAILY_LIMIT, description="Papers per page"),
    date: str | None = Query(None, description="A day, YYYY-MM-DD"),
    week: str | None = Query(None, description="An ISO week, YYYY-Www"),
    month: str | None = Query(None, description="A month, YYYY-MM"),
    submitter: str | None = Query(None, max_length=40, description="Only papers submitted by this user"),
    sort: str | None = Query(None, description="publishedAt (newest on the feed first) or trending"),
    category: str | None = Query(None, description="Only papers in this arXiv category (cs.CL) or archive (cs)"),
):
    given = [(kind, value) for kind, value in (("date", date), ("week", week), ("month", month)) if value]
    if len(given) > 1:
        raise InvalidInput("give at most one of date, week and month")
    period = parse_period(*given[0]) if given else None
    if sort is not None and sort not in API_SORTS:
        raise InvalidInput(f"unknown sort {sort!r}; use publishedAt or trending")
    order = sort or ("upvotes" if period else "publishedAt")
    rows = feed_rows(
        session,
        period=period,
        sort=order,
        limit=limit,
        offset=p * limit,
        submitter=submitter,
        category=queries.parse_category(category),
    )
    return JSONResponse(_daily_entries(session, rows))  # plain JSON types: no encoder pass


@router.get("/papers/search", summary="Search papers (Hugging Face compatible, plus mode and filters)")
def search_papers(
    session: DbSession,
    q: str = Query("", max_length=MAX_QUERY_CHARS, description="The query; none lists the newest feed papers"),
    limit: int = Query(50, ge=1, le=MAX_SEARCH_LIMIT, description="Results"),
    mode: str = Query("hybrid", description="hybrid, keyword or semantic"),
    category: str | None = Query(None, max_length=32),
    author: str | None = Query(None, max_length=120),
    date_from: str | None = Query(None, alias="from", description="Published on or after, YYYY-MM-DD"),
    date_to: str | None = Query(None, alias="to", description="Published on or before, YYYY-MM-DD"),
    has_code: bool = False,
):
    if not q.strip():  # `HfApi.list_papers()` without a query: the newest papers of the feed
        return JSONResponse(_daily_entries(session, feed_rows(session, sort="publishedAt", limit=limit)))
    typed = typed_id(session, q)
    if typed is not None:  # an arXiv id or URL asks for that paper alone
        found = [typed.paper] if typed.paper else []
        claims = paper_claims(session, [p.id for p in found])
        return JSONResponse(
            [schemas.search_json(p, score=1.0, snippet=None, ranks={"id": 1}, claims=claims.get(p.id)) for p in found]
        )
    query = SearchQuery(
        text=q,
        mode=mode,
        limit=limit,
        category=queries.parse_category(category),
        author=author or None,
        date_from=parse_day(date_from) if date_from else None,
        date_to=parse_day(date_to) if date_to else None,
        has_code=has_code,
    ).validate()
    hits = search(session, query)
    papers = papers_for_hits(session, hits)
    claims = paper_claims(session, list(papers))
    return JSONResponse(
        [
            schemas.search_json(
                papers[h.paper_id], score=h.score, snippet=h.snippet, ranks=h.ranks, claims=claims.get(h.paper_id)
            )
            for h in hits
            if h.paper_id in papers
        ]
    )


@router.get("/papers", summary="Every paper in the store, cursor-paged (Link: rel=next)")
def list_papers(
    request: Request,
    response: Response,
    session: DbSession,
    cursor: Annotated[Cursor, Query(description="From the previous page's Link")] = 0,
    limit: int = Query(50, ge=1, le=MAX_LIST_LIMIT, description="Papers per page"),
):
    papers = papers_page(session, after_id=cursor, limit=limit)
    body = [schemas.paper_json(paper) for paper in papers]
    if len(papers) == limit:
        link_next(request, response, str(papers[-1].id), limit)
    return body


@router.post(
    "/papers/index",
    status_code=201,
    summary="Fetch a paper from arXiv into the store",
    responses={502: error_response(502)},
)
def index_paper(ref: PaperRef, _user: Writer, session: DbSession):
    arxiv_id = parse_arxiv_id(ref.arxivId).id
    fetched = ensure_paper(arxiv_id)
    view = paper_view(session, arxiv_id)
    return JSONResponse(schemas.paper_view_json(view), status_code=201 if fetched else 200)


@router.post(
    "/daily_papers",
    status_code=201,
    summary="Submit a paper to today's daily feed",
    responses={
        202: {
            "description": 'arXiv did not answer in time: `{"id", "status": "pending"}`; '
            "the paper is fetched in the background and added when arXiv answers"
        }
    },
)
def submit_daily(ref: PaperRef, user: Writer, session: DbSession):
    outcome = submit_within(user, ref.arxivId)
    if isinstance(outcome, PendingSubmission):  # arXiv is slow: the fetch goes on in the background
        return JSONResponse({"id": outcome.arxiv_id, "status": "pending"}, status_code=202)
    paper, _entry = outcome
    return schemas.paper_view_json(paper_view(session, paper.arxiv_id))


@router.post("/papers/{arxiv_id:path}/upvote", summary="Upvote a paper (idempotent)")
def upvote(arxiv_id: str, user: Writer, session: DbSession):
    state = vote(session, user, arxiv_id, True)
    return {"id": arxiv_id, "upvoted": True, "upvotes": state.upvotes}


@router.delete("/papers/{arxiv_id:path}/upvote", summary="Remove your upvote (idempotent)")
def remove_upvote(arxiv_id: str, user: Writer, session: DbSession):
    state = vote(session, user, arxiv_id, False)
    return {"id": arxiv_id, "upvoted": False, "upvotes": state.upvotes}


@router.post("/papers/{arxiv_id:path}/links", summary="Set or clear the code repository and project page")
def edit_links(arxiv_id: str, body: LinksIn, user: Writer, session: DbSession):
    """For the submitter, a claimed author or an administrator; a null clears a link, a missing key keeps it."""
    paper = set_links(session, user, arxiv_id, **body.changes())
    return schemas.paper_view_json(paper_view(session, paper.arxiv_id, include_hidden=user.is_admin))


def _comment_json(comment) -> dict:
    return schemas.comment_json(comment, str(comments.render_markdown(comment.body)))


@router.get("/papers/{arxiv_id:path}/comments", summary="The discussion of a paper")
def list_comments(arxiv_id: str, session: DbSession):
    paper = load_paper(session, arxiv_id)
    return [_comment_json(c) for c in visible_comments(session, paper.id)]


@router.post("/papers/{arxiv_id:path}/comment", status_code=201, summary="Comment on a paper")
def add_comment(arxiv_id: str, body: CommentIn, user: Writer, session: DbSession):
    return _comment_json(comments.add_comment(session, user, arxiv_id, body.comment, body.parent_id))


@router.patch("/comments/{comment_id}", summary="Edit your comment")
def edit_comment(comment_id: DbId, body: CommentIn, user: Writer, session: DbSession):
    return _comment_json(comments.edit_comment(session, user, comment_id, body.comment))


@router.delete("/comments/{comment_id}", summary="Delete your comment")
def delete_comment(comment_id: DbId, user: Writer, session: DbSession):
    comments.delete_comment(session, user, comment_id)
    return {"id": str(comment_id), "deleted": True}


@router.post("/papers/{arxiv_id:path}/hide", summary="Hide or unhide a paper (administrators)")
def hide_paper(arxiv_id: str, body: HiddenIn, user: Writer, session: DbSession):
    moderation.set_paper_hidden(session, user, arxiv_id, body.hidden)
    return {"id": arxiv_id, "hidden": body.hidden}


@router.post("/comments/{comment_id}/hide", summary="Hide or unhide a comment (administrators)")
def hide_comment(comment_id: DbId, body: HiddenIn, user: Writer, session: DbSession):
    moderation.set_comment_hidden(session, user, comment_id, body.hidden)
    return {"id": str(comment_id), "hidden": body.hidden}


@router.get("/papers/{arxiv_id:path}/related", summary="Papers like this one")
def related_papers(arxiv_id: str, session: DbSession, limit: int = Query(5, ge=1, le=MAX_RELATED_LIMIT)):
    paper = load_paper(session, arxiv_id)
    hits = related(session, paper.id, limit)
    papers = papers_for_hits(session, hits)
    return [schemas.paper_json(papers[h.paper_id]) for h in hits if h.paper_id in papers]


@router.get("/papers/{arxiv_id:path}/versions", summary="A paper's arXiv versions, newest first, with what changed")
def paper_versions(arxiv_id: str, request: Request, session: DbSession):
    user = current_user(request)
    view = paper_view(session, arxiv_id, include_hidden=bool(user and user.is_admin))
    return [schemas.version_json(v) for v in version_history(session, view.paper)]


@router.get("/papers/{arxiv_id:path}", summary="One paper (Hugging Face compatible)")
def paper_info(arxiv_id: str, request: Request, session: DbSession):
    user = current_user(request)
    view = paper_view(session, arxiv_id, include_hidden=bool(user and user.is_admin))
    data = schemas.paper_view_json(view)
    if user is not None:
        data["isUpvoted"] = bool(voted_among(session, user.id, [view.paper.id]))
        # A paper the reader keeps that has a newer version than they saw (null otherwise).
        data["update"] = schemas.update_json(update_flags(session, user, [view.paper]).get(view.paper.id))
    return JSONResponse(data)


@router.get("/users/{username}", summary="A user's submissions and upvotes")
def user_info(username: str, session: DbSession):
    user = public_user(session, username)
    return {
        **schemas.user_json(user),
        "submitted": _daily_entries(session, submitted_rows(session, user)),
        "upvoted": [schemas.paper_json(p) for p in upvoted_papers(session, user.id)],
    }

"""The reading pages: daily feed (day, week, month), trending, paper page, author page, search, user page,
about."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse

from dailypapers.community.authors import author_page
from dailypapers.community.comments import render_markdown, thread_order
from dailypapers.community.library import card_state
from dailypapers.community.links import may_edit_links
from dailypapers.community.reading import canonical_id, paper_view, typed_id
from dailypapers.community.submissions import takes_submissions
from dailypapers.community.updates import update_flags, version_history
from dailypapers.community.users import public_user
from dailypapers.config import get_settings
from dailypapers.errors import InvalidInput
from dailypapers.paper_markdown import paper_markdown
from dailypapers.periods import Period, day_period, parse_period, period_around, week_period
from dailypapers.ranking.feed import (
    TRENDING_WINDOW_DAYS,
    feed_rows,
    latest_feed_dates,
    neighbour_dates,
    submitted_rows,
)
from dailypapers.ranking.trending import GRAVITY, OFFSET_HOURS
from dailypapers.search import related_rows, search_detailed, total_without_filters
from dailypapers.store.comments import visible_comments
from dailypapers.store.db import Session, session_scope
from dailypapers.store.reads import papers_for_hits
from dailypapers.store.votes import upvoted_papers
from dailypapers.web import queries
from dailypapers.web.auth import current_user
from dailypapers.web.database import DbSession
from dailypapers.web.inputs import SearchForm
from dailypapers.web.page_threads import on_page_thread
from dailypapers.web.responses import page_number
from dailypapers.web.templating import absolute_url, render

router = APIRouter(include_in_schema=False)
paper_router = APIRouter(include_in_schema=False)  # `/papers/{id}`, after every router with paths under /papers/
PAGE_SIZE = 100
SEARCH_PAGE_SIZE = 20


def _sort(value: str | None) -> str:
    value = value or "upvotes"
    if value not in ("upvotes", "newest"):
        raise InvalidInput(f"unknown sort {value!r}; use upvotes or newest")
    return value


def _page(value: int) -> int:
    if value < 0 or value > 10_000:
        raise InvalidInput("the page number must be between 0 and 10000")
    return value


@router.get("/")
def home():
    return RedirectResponse("/papers", status_code=307)


@router.get("/favicon.ico")
def favicon():
    return RedirectResponse("/static/favicon.svg", status_code=301)


def _feed_page(request: Request, session: Session, period: Period | None, sort: str, p: int, category: str | None):
    """The feed of `period`; none: the latest day with papers, at /papers."""
    latest = period is None
    user = current_user(request)
    category = queries.parse_category(category)
    today = datetime.now(UTC).date()
    if period is None:  # today, or the latest day that has papers
        dates = latest_feed_dates(session, today)
        period, before, after = day_period(dates.latest or today), dates.before, dates.after
    else:
        before, after = neighbour_dates(session, period)
    rows = feed_rows(session, period=period, sort=sort, limit=PAGE_SIZE + 1, offset=p * PAGE_SIZE, category=category)
    marks = card_state(session, user.id if user else None, [r.paper.id for r in rows])
    more = len(rows) > PAGE_SIZE
    # Previous/next jump to the nearest period that has papers, skipping empty days, weeks or months.
    prev_path = period_around(period.kind, before).path if before else None
    next_path = period_around(period.kind, after).path if after else None
    return render(
        request,
        "feed.html",
        rows=rows[:PAGE_SIZE],
        period=period,
        sort=sort,
        p=p,
        more=more,
        prev_path=prev_path,
        next_path=next_path,
        voted=marks.voted,
        marks=marks,
        latest=latest,
        category=category or "",
        base_path=request.url.path,
        tabs=_period_tabs(period, today),
        takes_submissions=takes_submissions(period, today),
    )


def _period_tabs(period: Period, today) -> list[tuple[str, str, bool]]:
    """Daily / Weekly / Monthly: (label, path, current), each landing on the period around the same day."""
    day = period.anchor_day(today)
    return [
        ("Daily", day_period(day).path, period.kind == "date"),
        ("Weekly", week_period(day).path, period.kind == "week"),
        ("Monthly", period.month_path if period.kind != "month" else period.path, period.kind == "month"),
    ]


@router.get("/papers")
@on_page_thread
def feed_latest(
    request: Request,
    session: DbSession,
    sort: str | None = None,
    p: int = 0,
    date: str | None = None,
    week: str | None = None,
    month: str | None = None,
    category: str | None = None,
):
    # Hugging Face style /papers?date=YYYY-MM-DD, and the date picker's ?week=YYYY-Www and ?month=YYYY-MM
    for kind, value in (("date", date), ("week", week), ("month", month)):
        if value:
            query = f"?category={quote(category)}" if category else ""
            return RedirectResponse(parse_period(kind, value).path + query, status_code=307)
    return _feed_page(request, session, None, _sort(sort), _page(p), category)


@router.get("/papers/date/{value}")
@on_page_thread
def feed_day(
    request: Request, session: DbSession, value: str, sort: str | None = None, p: int = 0, category: str | None = None
):
    return _feed_page(request, session, parse_period("date", value), _sort(sort), _page(p), category)


@router.get("/papers/week/{value}")
@on_page_thread
def feed_week(
    request: Request, session: DbSession, value: str, sort: str | None = None, p: int = 0, category: str | None = None
):
    return _feed_page(request, session, parse_period("week", value), _sort(sort), _page(p), category)


@router.get("/papers/month/{value}")
@on_page_thread
def feed_month(
    request: Request, session: DbSession, value: str, sort: str | None = None, p: int = 0, category: str | None = None
):
    return _feed_page(request, session, parse_period("month", value), _sort(sort), _page(p), category)


@router.get("/papers/trending")
@on_page_thread
def trending_page(request: Request, session: DbSession, p: int = 0, category: str | None = None):
    p = _page(p)
    category = queries.parse_category(category)
    user = current_user(request)
    rows = feed_rows(session, sort="trending", limit=PAGE_SIZE + 1, offset=p * PAGE_SIZE, category=category)
    marks = card_state(session, user.id if user else None, [r.paper.id for r in rows])
    return render(
        request,
        "trending.html",
        rows=rows[:PAGE_SIZE],
        more=len(rows) > PAGE_SIZE,
        p=p,
        voted=marks.voted,
        marks=marks,
        category=category or "",
    )


@router.get("/about")
def about_page(request: Request):
    return render(
        request,
        "about.html",
        gravity=GRAVITY,
        offset=OFFSET_HOURS,
        window=get_settings().feed_window_days,
        trending_window=TRENDING_WINDOW_DAYS,
    )


MODES = ("hybrid", "keyword", "semantic")
FILTER_NAMES = {
    "category": "category",
    "author": "author",
    "from": "start date",
    "to": "end date",
    "has_code": "code filter",
}


@router.get("/search")
def search_page(request: Request, session: DbSession, form: Annotated[SearchForm, Query()], p: int = 1):
    """A typed arXiv id opens its paper (or offers to fetch it); words are searched, a page at a time."""
    p = page_number(p)
    user = current_user(request)
    page: dict[str, Any] = {
        "q": form.q,
        "nav_query": form.q,
        "filters": form.filters,
        "p": p,
        "modes": MODES,
        "args": form.params(),
        "hits": [],
        "papers": {},
        "marks": None,
        "voted": set(),
        "error": None,
        "result": None,
        "missing_id": None,
        "filter_words": "",
        "unfiltered": 0,
        "pages": 0,
        "remove_filters": [
            (label, urlencode(form.params(without=name)))
            for name, label in FILTER_NAMES.items()
            if form.filters.get(name)
        ],
    }
    if not form.q.strip():
        return render(request, "search.html", **page)
    typed = typed_id(session, form.q)
    if typed and typed.paper:
        return RedirectResponse(f"/papers/{typed.arxiv_id}", status_code=303)
    if typed:
        return render(request, "search.html", **{**page, "missing_id": typed.arxiv_id})
    try:
        query = form.query(SEARCH_PAGE_SIZE, (p - 1) * SEARCH_PAGE_SIZE)
        result = search_detailed(session, query)
        papers = papers_for_hits(session, result.hits)
        marks = card_state(session, user.id if user else None, list(papers))
        unfiltered = total_without_filters(session, query) if not result.total and query.filtered else 0
    except InvalidInput as exc:
        return render(request, "search.html", status_code=400, **{**page, "error": str(exc)})
    return render(
        request,
        "search.html",
        **{
            **page,
            "result": result,
            "papers": papers,
            "marks": marks,
            "voted": marks.voted,
            "unfiltered": unfiltered,
            "hits": [h for h in result.hits if h.paper_id in papers],
            "filter_words": query.describe_filters(),
            "pages": -(-result.total // SEARCH_PAGE_SIZE),
        },
    )


@router.get("/users/{username}")
def user_page(request: Request, username: str, session: DbSession):
    profile = public_user(session, username)
    submitted = submitted_rows(session, profile)
    upvoted = upvoted_papers(session, profile.id)
    session.expunge(profile)
    return render(request, "user.html", profile=profile, submitted=submitted, upvoted=upvoted)


@router.get("/authors/{name:path}")
def author(request: Request, name: str, session: DbSession):
    page = author_page(session, name)
    session.expunge_all()
    return render(request, "author.html", page=page)


def paper_page(request: Request, arxiv_id: str):
    """Two sessions of its own, one after the other, rather than the request's (see the second's comment)."""
    user = current_user(request)
    is_admin = bool(user and user.is_admin)
    with session_scope() as session:
        view = paper_view(session, arxiv_id, include_hidden=is_admin, reader=user)
        # `num_comments` counts the comments everyone sees, recounted with each change: most pages have none to read.
        shown = is_admin or view.paper.num_comments > 0
        comments = visible_comments(session, view.paper.id, include_hidden=is_admin) if shown else []
        edits_links = may_edit_links(session, user, view.paper, view.claims.values())
        marks = card_state(session, user.id if user else None, [view.paper.id])
        versions = version_history(session, view.paper)
        # Only a paper the reader keeps can have changed since they saw it: most pages skip the query.
        update = update_flags(session, user, [view.paper]).get(view.paper.id) if marks.keeps(view.paper.id) else None
    # A second session, opened with no connection held: the vector index may read the database through a
    # connection of its own, and holding one here while waiting for another can starve the pool under load.
    with session_scope() as session:
        related = related_rows(session, view.paper.id, 6)
    rendered = {c.id: render_markdown(c.body) for c in comments}
    return render(
        request,
        "paper.html",
        view=view,
        paper=view.paper,
        comments=comments,
        rendered=rendered,
        thread=thread_order(comments),
        voted=view.paper.id in marks.voted,
        marks=marks,
        related=related,
        is_admin=is_admin,
        edits_links=edits_links,
        my_claim=view.my_claim,
        versions=versions,
        update=update,
    )


def paper_markdown_page(request: Request, session: Session, arxiv_id: str):
    text = paper_markdown(paper_view(session, arxiv_id).paper, absolute_url(request, ""))
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")


@paper_router.get("/papers/{arxiv_id:path}")
@on_page_thread
def paper_or_markdown(request: Request, arxiv_id: str, session: DbSession):
    """`/papers/{id}` is the page, `/papers/{id}.md` its Markdown; old-style ids contain a slash. The request's
    session takes a connection only when used: the page opens its own (see `paper_page`)."""
    markdown = arxiv_id.endswith(".md")
    raw = arxiv_id[:-3] if markdown else arxiv_id
    canonical = canonical_id(raw)
    if canonical != raw:  # a version or a prefix: one address per paper
        return RedirectResponse(f"/papers/{canonical}{'.md' if markdown else ''}", status_code=301)
    return paper_markdown_page(request, session, canonical) if markdown else paper_page(request, canonical)

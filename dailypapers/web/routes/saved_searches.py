"""Saved searches on the web: save one from the search page, the list (/saved-searches), each one's page with
its current results (best first, as the search page ranks them), its RSS and Atom feeds behind a signed link
(feed readers send no cookie), and the JSON API.

The feed link carries a token signed with the site's key (digest/tokens.py, purpose "feed"): it names the
saved search by its id and its random `link_key`, so it opens that feed only; deleting the saved search
retires it, and a later saved search that is given the same id (SQLite reuses the highest) has another key.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request

from dailypapers.community import saved_searches
from dailypapers.community.library import card_state
from dailypapers.community.saved_searches import search_query, search_url
from dailypapers.config import get_settings
from dailypapers.digest.tokens import BadToken, TokenSubject, make_token, read_token
from dailypapers.errors import NotFound
from dailypapers.search import search
from dailypapers.store.db import Session
from dailypapers.store.models import SavedSearch
from dailypapers.store.reads import papers_for_hits
from dailypapers.web.auth import Writer, require_user
from dailypapers.web.database import DbSession
from dailypapers.web.inputs import DbId, MarkForm, RenameForm, SavedSearchForm, SavedSearchIn
from dailypapers.web.responses import answer
from dailypapers.web.routes import paper_feeds as feeds
from dailypapers.web.templating import absolute_url, render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["saved searches"])
PAGE_SIZE = 50
FEED_PURPOSE = "feed"


def _subject(saved: SavedSearch) -> TokenSubject:
    return TokenSubject(saved.id, saved.link_key)  # the key in the version slot: a reused id opens nothing


def feed_paths(saved: SavedSearch) -> dict[str, str]:
    """The signed Atom and RSS addresses of a saved search (paths; the site's base URL goes in front)."""
    key = quote(make_token(_subject(saved), FEED_PURPOSE, get_settings().signing_key))
    return {
        "atom": f"/saved-searches/{saved.id}/feed.xml?key={key}",
        "rss": f"/saved-searches/{saved.id}/rss.xml?key={key}",
    }


def _json(saved: SavedSearch) -> dict:
    return {
        "id": saved.id,
        "name": saved.name,
        "q": saved.query,
        "mode": saved.mode,
        "category": saved.category,
        "author": saved.author,
        "from": saved.date_from.isoformat() if saved.date_from else None,
        "to": saved.date_to.isoformat() if saved.date_to else None,
        "has_code": saved.has_code,
        "email": saved.email,
        "url": f"/saved-searches/{saved.id}",
        "search_url": search_url(saved),
        "feeds": feed_paths(saved),
    }


# --- pages and forms -------------------------------------------------------------------------------------


@router.post("/saved-searches")
def create(request: Request, user: Writer, form: Annotated[SavedSearchForm, Form()], session: DbSession):
    saved = saved_searches.create_saved_search(session, user, form.name, form.query(PAGE_SIZE), form.wants_email)
    data = _json(saved)
    return answer(request, data, data["url"])


@router.get("/saved-searches")
def list_page(request: Request, session: DbSession):
    user = require_user(request)
    found = saved_searches.user_saved_searches(session, user)
    return render(request, "saved_searches.html", saved_searches=found, links={s.id: search_url(s) for s in found})


@router.get("/saved-searches/{saved_id}")
def page(request: Request, saved_id: DbId, session: DbSession):
    user = require_user(request)
    saved = saved_searches.get_saved_search(session, user, saved_id)
    hits = search(session, search_query(saved, PAGE_SIZE))
    papers = papers_for_hits(session, hits)
    marks = card_state(session, user.id, list(papers))
    return render(
        request,
        "saved_search.html",
        saved=saved,
        feeds=feed_paths(saved),
        search_url=search_url(saved),
        hits=[h for h in hits if h.paper_id in papers],
        papers=papers,
        marks=marks,
        voted=marks.voted,
    )


@router.post("/saved-searches/{saved_id}/email")
def email(request: Request, saved_id: DbId, user: Writer, form: Annotated[MarkForm, Form()], session: DbSession):
    saved = saved_searches.get_saved_search(session, user, saved_id)
    on = form.wanted if form.wanted is not None else not saved.email
    saved_searches.set_email(session, user, saved_id, on)
    return answer(request, {"id": saved_id, "email": on}, "/saved-searches")


@router.post("/saved-searches/{saved_id}/rename")
def rename(request: Request, saved_id: DbId, user: Writer, form: Annotated[RenameForm, Form()], session: DbSession):
    name = saved_searches.rename_saved_search(session, user, saved_id, form.name).name
    return answer(request, {"id": saved_id, "name": name}, f"/saved-searches/{saved_id}")


@router.post("/saved-searches/{saved_id}/delete")
def delete(request: Request, saved_id: DbId, user: Writer, session: DbSession):
    saved_searches.delete_saved_search(session, user, saved_id)
    return answer(request, {"id": saved_id, "deleted": True}, "/saved-searches")


# --- feeds: a signed link, no cookie ---------------------------------------------------------------------


def _channel(session: Session, saved_id: int, key: str, kind: str) -> feeds.Channel:
    """The feed of the saved search the link was signed for; 404 for a bad, foreign or retired link."""
    try:
        token_id, link_key = read_token(key, FEED_PURPOSE, get_settings().signing_key)
    except BadToken:
        raise NotFound(f"no feed at this address for saved search {saved_id}") from None
    saved = saved_searches.feed_saved_search(session, saved_id, token_id, link_key)
    query, name, path = search_query(saved, feeds.FEED_SIZE), saved.name, search_url(saved)
    feed_path = feed_paths(saved)[kind]
    site = get_settings().site_name
    return feeds.Channel(
        f"{site}: saved search “{name}”",
        path,
        feed_path,
        f"Papers matching your saved search “{name}”, best first",
        feeds.search_items(session, query),
    )


@router.get("/saved-searches/{saved_id}/feed.xml")
def atom(request: Request, saved_id: DbId, session: DbSession, key: str = Query("")):
    return feeds.atom(_channel(session, saved_id, key, "atom"), absolute_url(request, ""))


@router.get("/saved-searches/{saved_id}/rss.xml")
def rss(request: Request, saved_id: DbId, session: DbSession, key: str = Query("")):
    return feeds.rss(_channel(session, saved_id, key, "rss"), absolute_url(request, ""))


# --- the JSON API ----------------------------------------------------------------------------------------


@api.get("/saved-searches", summary="Your saved searches, each with its page and its signed feed links")
def list_json(request: Request, session: DbSession):
    user = require_user(request)
    return [_json(s) for s in saved_searches.user_saved_searches(session, user)]


@api.post("/saved-searches", status_code=201, summary="Save a search (query plus the search page's filters)")
def create_json(body: SavedSearchIn, user: Writer, session: DbSession):
    return _json(saved_searches.create_saved_search(session, user, body.name, body.query(PAGE_SIZE), body.email))


@api.delete("/saved-searches/{saved_id}", summary="Delete one of your saved searches")
def delete_json(saved_id: DbId, user: Writer, session: DbSession):
    saved_searches.delete_saved_search(session, user, saved_id)
    return {"id": saved_id, "deleted": True}

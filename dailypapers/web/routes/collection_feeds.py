"""A collection's feed on the web: "papers like this collection" at /collections/{id}/feed with a "because" line
per paper, its owner's switch (on or off, in the digest or not) and a new link; its RSS and Atom feeds behind a
signed link (feed readers send no cookie); and the JSON API.

Who sees the feed is who sees the collection (community/collection_feeds.py). The feed link is signed with the
site's key (digest/tokens.py, purpose "feed") and names the collection by its id and its feed's random
`link_key`: a new link, or turning the feed off, revokes the old one.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request

from dailypapers.community import collection_feeds, library
from dailypapers.config import get_settings
from dailypapers.digest.tokens import BadToken, TokenSubject, make_token, read_token
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.ranking.collection_feed import collection_feed
from dailypapers.ranking.recommend import DEFAULT_WINDOW, MAX_WINDOW_DAYS, WINDOWS
from dailypapers.store.db import session_scope
from dailypapers.store.models import Collection, CollectionFeed
from dailypapers.web import schemas
from dailypapers.web.auth import Writer, current_user
from dailypapers.web.database import DbSession
from dailypapers.web.inputs import CollectionFeedForm, CollectionFeedIn, DbId
from dailypapers.web.responses import answer
from dailypapers.web.routes import paper_feeds as feeds
from dailypapers.web.templating import absolute_url, render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["library"])
FEED_PAGE_SIZE = 30
MAX_FEED_LIMIT = 100
FEED_PURPOSE = "feed"  # the saved searches' purpose: the payload (id, key) names the collection's own key


def feed_paths(collection: Collection, feed: CollectionFeed) -> dict[str, str]:
    """The signed Atom and RSS addresses of a collection's feed (paths; the site's base URL goes in front)."""
    subject = TokenSubject(collection.id, feed.link_key)
    key = quote(make_token(subject, FEED_PURPOSE, get_settings().signing_key))
    return {
        "atom": f"/collections/{collection.id}/feed.xml?key={key}",
        "rss": f"/collections/{collection.id}/rss.xml?key={key}",
    }


def _settings_json(collection: Collection, feed: CollectionFeed | None) -> dict:
    """The owner's view of the feed's settings, with its signed links while it is on."""
    return {
        "collection": collection.id,
        "enabled": feed is not None,
        "in_digest": bool(feed and feed.in_digest),
        "url": f"/collections/{collection.id}/feed",
        "feeds": feed_paths(collection, feed) if feed else None,
    }


# --- the page and its forms ------------------------------------------------------------------------------


@router.get("/collections/{collection_id}/feed")
def feed_page(request: Request, collection_id: DbId, session: DbSession, window: str = DEFAULT_WINDOW):
    if window not in WINDOWS:
        raise InvalidInput(f"unknown window {window!r}; use {', '.join(WINDOWS)}")
    user = current_user(request)
    collection = library.get_collection(session, user, collection_id)
    is_owner = bool(user and user.id == collection.user_id)
    feed = collection_feeds.feed_settings(session, collection)
    if feed is None and not is_owner:
        raise NotFound(f"the collection {collection_id} has no feed")
    picks = collection_feed(session, collection, window, limit=FEED_PAGE_SIZE) if feed else []
    marks = library.card_state(session, user.id if user else None, [p.paper.id for p in picks])
    return render(
        request,
        "collection_feed.html",
        collection=collection,
        feed=feed,
        links=feed_paths(collection, feed) if feed and is_owner else None,
        is_owner=is_owner,
        size=library.collection_size(session, collection),
        picks=picks,
        window=window,
        windows=list(WINDOWS),
        marks=marks,
        voted=marks.voted,
    )


@router.post("/collections/{collection_id}/feed")
def set_feed(
    request: Request, collection_id: DbId, user: Writer, form: Annotated[CollectionFeedForm, Form()], session: DbSession
):
    enabled = form.wanted is not False
    feed = collection_feeds.set_collection_feed(session, user, collection_id, enabled, form.wants_digest)
    collection = library.own_collection(session, user, collection_id)
    return answer(request, _settings_json(collection, feed), f"/collections/{collection_id}/feed")


@router.post("/collections/{collection_id}/feed/link")
def new_link(request: Request, collection_id: DbId, user: Writer, session: DbSession):
    feed = collection_feeds.new_feed_link(session, user, collection_id)
    collection = library.own_collection(session, user, collection_id)
    return answer(request, _settings_json(collection, feed), f"/collections/{collection_id}/feed#feed-links")


# --- RSS and Atom: a signed link, no cookie ---------------------------------------------------------------


def _channel(collection_id: int, key: str, kind: str) -> feeds.Channel:
    """The feed of the collection the link was signed for; 404 for a bad, foreign or revoked link."""
    try:
        token_id, link_key = read_token(key, FEED_PURPOSE, get_settings().signing_key)
    except BadToken:
        raise NotFound(f"no feed at this address for collection {collection_id}") from None
    with session_scope() as session:
        collection, feed = collection_feeds.linked_feed(session, collection_id, token_id, link_key)
        picks = collection_feed(session, collection, "month", limit=feeds.FEED_SIZE)
        items = [feeds.Item(p.paper, p.paper.published_at or p.paper.created_at) for p in picks]
        name, feed_path = collection.name, feed_paths(collection, feed)[kind]
    return feeds.Channel(
        f"{get_settings().site_name}: papers like “{name}”",
        f"/collections/{collection_id}/feed",
        feed_path,
        f"Papers like the collection “{name}”, best first",
        items,
    )


@router.get("/collections/{collection_id}/feed.xml")
def atom(request: Request, collection_id: DbId, key: str = Query("")):
    return feeds.atom(_channel(collection_id, key, "atom"), absolute_url(request, ""))


@router.get("/collections/{collection_id}/rss.xml")
def rss(request: Request, collection_id: DbId, key: str = Query("")):
    return feeds.rss(_channel(collection_id, key, "rss"), absolute_url(request, ""))


# --- the JSON API ----------------------------------------------------------------------------------------


@api.get(
    "/collections/{collection_id}/feed",
    summary="Papers like a collection (public, or yours), best first, each with its closest paper of the collection",
)
def feed_json(
    request: Request,
    collection_id: DbId,
    session: DbSession,
    limit: int = Query(20, ge=1, le=MAX_FEED_LIMIT),
    days: int = Query(7, ge=1, le=MAX_WINDOW_DAYS),
):
    user = current_user(request)
    collection, feed = collection_feeds.viewable_feed(session, user, collection_id)
    data = {"collection": collection.id, "name": collection.name, "url": f"/collections/{collection.id}/feed"}
    if user is not None and user.id == collection.user_id:
        data["settings"] = _settings_json(collection, feed)
    return data | {"papers": [schemas.pick_json(p) for p in collection_feed(session, collection, days, limit=limit)]}


@api.put("/collections/{collection_id}/feed", summary="Turn your collection's feed on or off, in your digest or not")
def set_feed_json(collection_id: DbId, body: CollectionFeedIn, user: Writer, session: DbSession):
    feed = collection_feeds.set_collection_feed(session, user, collection_id, body.enabled, body.in_digest)
    return _settings_json(library.own_collection(session, user, collection_id), feed)


@api.post(
    "/collections/{collection_id}/feed/link",
    summary="A new signed RSS/Atom link for your collection's feed (the old one stops working)",
)
def new_link_json(collection_id: DbId, user: Writer, session: DbSession):
    feed = collection_feeds.new_feed_link(session, user, collection_id)
    return _settings_json(library.own_collection(session, user, collection_id), feed)

"""RSS 2.0 and Atom feeds: the daily feed, trending, and any search. Built with ElementTree, so every
title and abstract is escaped by the XML writer; the characters XML 1.0 cannot hold at all are dropped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from dailypapers.config import get_settings
from dailypapers.ranking.feed import feed_rows
from dailypapers.search import SearchQuery, search
from dailypapers.store.db import Session
from dailypapers.store.models import Paper
from dailypapers.store.reads import papers_for_hits
from dailypapers.validators import xml_safe
from dailypapers.web import queries
from dailypapers.web.database import DbSession
from dailypapers.web.inputs import SearchForm
from dailypapers.web.templating import absolute_url

router = APIRouter(include_in_schema=False)
FEED_SIZE = 50
ATOM = "http://www.w3.org/2005/Atom"


@dataclass
class Item:
    paper: Paper
    when: datetime  # when it entered this feed (submission) or was published


@dataclass
class Channel:
    title: str
    path: str  # the HTML page this feed mirrors
    feed_path: str
    description: str
    items: list[Item]


def _element(parent, tag: str, attrs: dict[str, str] | None = None) -> ET.Element:
    # ElementTree writes control characters as they are, which would make the whole feed malformed.
    return ET.SubElement(parent, tag, {name: xml_safe(value) for name, value in (attrs or {}).items()})


def _text(parent, tag: str, value: str | None, **attrs) -> ET.Element:
    element = _element(parent, tag, attrs)
    element.text = xml_safe(value or "")
    return element


def _summary(paper: Paper) -> str:
    authors = ", ".join(paper.authors or [])
    return f"{authors}\n\n{paper.abstract}" if authors else paper.abstract


def atom(channel: Channel, base: str) -> Response:
    """The channel as Atom; `base`: the site's origin, where every link starts."""
    feed = ET.Element("feed", {"xmlns": ATOM})
    _text(feed, "title", channel.title)
    _text(feed, "subtitle", channel.description)
    _text(feed, "id", base + channel.feed_path)
    _element(feed, "link", {"href": base + channel.path, "rel": "alternate", "type": "text/html"})
    _element(feed, "link", {"href": base + channel.feed_path, "rel": "self"})
    updated = max((item.when for item in channel.items), default=datetime.now(UTC))
    _text(feed, "updated", updated.isoformat())
    _text(feed, "generator", "dailypapers")
    for item in channel.items:
        paper = item.paper
        entry = _element(feed, "entry")
        _text(entry, "title", paper.title)
        _text(entry, "id", f"{base}/papers/{paper.arxiv_id}")
        _element(entry, "link", {"href": f"{base}/papers/{paper.arxiv_id}", "rel": "alternate"})
        _element(entry, "link", {"href": paper.pdf_url, "rel": "related", "type": "application/pdf"})
        _text(entry, "updated", item.when.isoformat())
        if paper.published_at:
            _text(entry, "published", paper.published_at.isoformat())
        for name in paper.authors or []:
            _text(_element(entry, "author"), "name", name)
        for category in paper.category_list:
            _element(entry, "category", {"term": category})
        _text(entry, "summary", _summary(paper), type="text")
    body = ET.tostring(feed, encoding="unicode", xml_declaration=False)
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + body, media_type="application/atom+xml; charset=utf-8")


def rss(channel: Channel, base: str) -> Response:
    root = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM})
    ch = _element(root, "channel")
    _text(ch, "title", channel.title)
    _text(ch, "link", base + channel.path)
    _text(ch, "description", channel.description)
    _element(ch, "atom:link", {"href": base + channel.feed_path, "rel": "self", "type": "application/rss+xml"})
    _text(ch, "generator", "dailypapers")
    for item in channel.items:
        paper = item.paper
        node = _element(ch, "item")
        _text(node, "title", paper.title)
        _text(node, "link", f"{base}/papers/{paper.arxiv_id}")
        _text(node, "guid", f"{base}/papers/{paper.arxiv_id}", isPermaLink="true")
        _text(node, "pubDate", format_datetime(item.when.astimezone(UTC), usegmt=True))
        _text(node, "description", _summary(paper))
        for category in paper.category_list:
            _text(node, "category", category)
    body = ET.tostring(root, encoding="unicode", xml_declaration=False)
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + body, media_type="application/rss+xml; charset=utf-8")


def _suffix(category: str | None) -> tuple[str, str]:
    """(query string, title suffix) for a category-filtered feed."""
    return (f"?{urlencode({'category': category})}", f" in {category}") if category else ("", "")


def daily_channel(session: Session, feed_path: str, category: str | None = None) -> Channel:
    return _feed_channel(
        session, feed_path, category, "publishedAt", "daily papers", "/papers", "Papers{} as they enter the daily feed"
    )


def trending_channel(session: Session, feed_path: str, category: str | None = None) -> Channel:
    return _feed_channel(
        session,
        feed_path,
        category,
        "trending",
        "trending papers",
        "/papers/trending",
        "The papers{} with the highest trending score",
    )


def _feed_channel(
    session: Session, feed_path: str, category: str | None, sort: str, name: str, page: str, about: str
) -> Channel:
    """The feed's newest papers in `sort` order as a channel; `about` takes the category's suffix."""
    category = queries.parse_category(category)
    rows = feed_rows(session, sort=sort, limit=FEED_SIZE, category=category)
    query, suffix = _suffix(category)
    return Channel(
        f"{get_settings().site_name}: {name}{suffix}",
        page + query,
        feed_path + query,
        about.format(suffix),
        [Item(r.paper, r.submitted_at) for r in rows],
    )


def search_items(session: Session, query: SearchQuery) -> list[Item]:
    """The hits of a search as feed items, best first, each dated by its first publication."""
    hits = search(session, query)
    papers = papers_for_hits(session, hits)
    return [
        Item(papers[h.paper_id], papers[h.paper_id].published_at or papers[h.paper_id].created_at)
        for h in hits
        if h.paper_id in papers
    ]


def search_channel(session: Session, feed_path: str, form: SearchForm) -> Channel:
    """The search page's papers, with its query, mode and filters (the same query string as the page)."""
    query = form.query(FEED_SIZE)
    items = search_items(session, query)
    site = get_settings().site_name
    params = urlencode(form.params())
    about = f"“{query.text}”" + (f" {query.describe_filters()}" if query.filtered else "")
    return Channel(
        f"{site}: search {about}", f"/search?{params}", f"{feed_path}?{params}", f"Papers matching {about}", items
    )


def _answer(request: Request, channel: Channel) -> Response:
    """The channel in the format its address names: RSS at `.../rss.xml`, Atom at `.../feed.xml`."""
    write = rss if request.url.path.endswith("/rss.xml") else atom
    return write(channel, absolute_url(request, ""))


@router.get("/papers/feed.xml")
@router.get("/papers/rss.xml")
def daily_feed(request: Request, session: DbSession, category: str | None = None):
    return _answer(request, daily_channel(session, request.url.path, category))


@router.get("/papers/trending/feed.xml")
@router.get("/papers/trending/rss.xml")
def trending_feed(request: Request, session: DbSession, category: str | None = None):
    return _answer(request, trending_channel(session, request.url.path, category))


@router.get("/search/feed.xml")
@router.get("/search/rss.xml")
def search_feed(request: Request, session: DbSession, form: Annotated[SearchForm, Query()]):
    return _answer(request, search_channel(session, request.url.path, form))

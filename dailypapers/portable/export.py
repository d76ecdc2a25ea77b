"""Everything a member has, as the export format: read for its owner only (the web and the API export the
signed-in member, the CLI the account an operator names), private collections and saved searches included."""

from __future__ import annotations

from datetime import UTC, datetime

from dailypapers.digest.subscribe import category_list, interest_lines, is_active
from dailypapers.exports import FORMATS
from dailypapers.portable.format import (
    CollectionEntry,
    CollectionFeedEntry,
    ForYou,
    MemberExport,
    Profile,
    SavedSearchEntry,
    Signal,
    Subscription,
)
from dailypapers.ranking.signals import feed_settings
from dailypapers.store import library as shelves
from dailypapers.store import portable as store
from dailypapers.store.collection_feeds import feeds_of
from dailypapers.store.db import Session
from dailypapers.store.models import CollectionItem, Dismissal, Save, User, Vote


def _signals(rows: store.Timed) -> list[Signal]:
    return [
        Signal(arxiv_id=paper.arxiv_id, version=paper.version, title=" ".join(paper.title.split()), at=at)
        for paper, at in rows
    ]


def export_member(session: Session, user: User, site: str | None = None) -> MemberExport:
    settings = feed_settings(session, user)
    feeds = feeds_of(session, user.id)
    collections = [
        CollectionEntry(
            name=c.name,
            public=c.public,
            created_at=c.created_at,
            items=_signals(store.marked(session, CollectionItem, c.id)),
            feed=CollectionFeedEntry(enabled=c.id in feeds, in_digest=c.id in feeds and feeds[c.id].in_digest),
        )
        for c in shelves.collections_of(session, user.id)
    ]
    searches = [
        SavedSearchEntry.model_validate(
            {
                "name": s.name,
                "query": s.query,
                "mode": s.mode,
                "category": s.category,
                "author": s.author,
                "date_from": s.date_from,
                "date_to": s.date_to,
                "has_code": s.has_code,
                "email": s.email,
                "created_at": s.created_at,
            }
        )
        for s in shelves.saved_searches_of(session, user.id)
    ]
    subscriptions = [
        Subscription.model_validate(
            {
                "email": s.email,
                "frequency": s.frequency,
                "interests": interest_lines(s.interests),
                "categories": category_list(s.categories),
                "active": is_active(s),
            }
        )
        for s in store.subscriptions_of(session, user.id)
    ]
    return MemberExport(
        exported_at=datetime.now(UTC),
        site=site,
        profile=Profile(
            username=user.username,
            fullname=user.fullname,
            member_since=user.created_at,
            feed_reset_at=settings.reset_at,
            feed_seed=settings.seed,
            for_you=ForYou(
                ignored=store.arxiv_ids(session, settings.ignored),
                paused_at=settings.paused_at,
                community=settings.community,
                diversity=settings.diversity,
            ),
        ),
        library=_signals(store.marked(session, Save, user.id)),
        upvotes=_signals(store.marked(session, Vote, user.id)),
        dismissals=_signals(store.marked(session, Dismissal, user.id)),
        collections=collections,
        saved_searches=searches,
        subscriptions=subscriptions,
    )


def export_json(session: Session, user: User, site: str | None = None) -> str:
    return export_member(session, user, site).model_dump_json(indent=1) + "\n"


def library_bibtex(session: Session, user: User) -> str:
    """The member's library as BibTeX, oldest save first (the writer of the library's own export)."""
    return FORMATS["bib"].write(paper for paper, _ in store.marked(session, Save, user.id))

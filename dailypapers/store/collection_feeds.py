"""The table of collections turned into feeds, and what a collection's model learns from: its items (liked) and
its owner's "not interested" marks."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dailypapers.store.db import added
from dailypapers.store.models import Collection, CollectionFeed, CollectionItem, Dismissal, utcnow


def feed_of(session: Session, collection_id: int) -> CollectionFeed | None:
    """The collection's feed, or None while it is off."""
    return session.get(CollectionFeed, collection_id)


def add_feed(session: Session, collection_id: int, in_digest: bool) -> CollectionFeed:
    feed = CollectionFeed(collection_id=collection_id, in_digest=in_digest, created_at=utcnow())
    return added(session, feed)


def delete_feed(session: Session, collection_id: int) -> None:
    session.execute(delete(CollectionFeed).where(CollectionFeed.collection_id == collection_id))


def feeds_of(session: Session, user_id: int) -> dict[int, CollectionFeed]:
    """The user's collection feeds, by collection id."""
    rows = session.scalars(
        select(CollectionFeed)
        .join(Collection, Collection.id == CollectionFeed.collection_id)
        .where(Collection.user_id == user_id)
    )
    return {feed.collection_id: feed for feed in rows}


def digest_feeds(session: Session) -> dict[int, list[Collection]]:
    """Every collection whose feed its owner wants in their digest, by owner id, each owner's by name: one query
    for a whole digest run."""
    found: dict[int, list[Collection]] = {}
    rows = session.scalars(
        select(Collection)
        .join(CollectionFeed, CollectionFeed.collection_id == Collection.id)
        .where(CollectionFeed.in_digest.is_(True))
        .order_by(Collection.user_id, Collection.name)
    )
    for collection in rows:
        found.setdefault(collection.user_id, []).append(collection)
    return found


def training_ids(session: Session, collection: Collection) -> tuple[list[int], list[int]]:
    """(the collection's paper ids, newest addition first; its owner's dismissed paper ids, newest first)."""
    items = session.scalars(
        select(CollectionItem.paper_id)
        .where(CollectionItem.collection_id == collection.id)
        .order_by(CollectionItem.created_at.desc(), CollectionItem.paper_id.desc())
    )
    dismissed = session.scalars(
        select(Dismissal.paper_id)
        .where(Dismissal.user_id == collection.user_id)
        .order_by(Dismissal.created_at.desc(), Dismissal.paper_id.desc())
    )
    return list(items), list(dismissed)

"""A collection turned into a feed of papers like it: its owner turns it on and off, puts it in their digest, and
makes a new signed link for its RSS and Atom feeds (which revokes the old one). Who sees the feed is who sees the
collection: a private collection's feed is its owner's alone; its signed link opens the feed itself, nothing else.
"""

from __future__ import annotations

from dailypapers.community.library import get_collection, own_collection
from dailypapers.errors import NotFound
from dailypapers.store import collection_feeds as store
from dailypapers.store.db import Session
from dailypapers.store.library import collection_by_id
from dailypapers.store.models import Collection, CollectionFeed, User, new_link_key


def feed_settings(session: Session, collection: Collection) -> CollectionFeed | None:
    """The collection's feed, or None while it is off."""
    return store.feed_of(session, collection.id)


def set_collection_feed(
    session: Session, user: User, collection_id: int, enabled: bool, in_digest: bool = False
) -> CollectionFeed | None:
    """Turn the feed of the user's collection on (with its digest section or not) or off. Off forgets its link:
    turned on again, it has a new one. Asking for the state it has changes nothing."""
    collection = own_collection(session, user, collection_id)
    feed = store.feed_of(session, collection.id)
    if not enabled:
        if feed is not None:
            store.delete_feed(session, collection.id)
        return None
    if feed is None:
        return store.add_feed(session, collection.id, in_digest)
    feed.in_digest = in_digest
    return feed


def new_feed_link(session: Session, user: User, collection_id: int) -> CollectionFeed:
    """A new key for the feed's signed links: the links made before open nothing."""
    feed = store.feed_of(session, own_collection(session, user, collection_id).id)
    if feed is None:
        raise NotFound(f"the collection {collection_id} has no feed; turn it on first")
    feed.link_key = new_link_key()
    return feed


def viewable_feed(session: Session, viewer: User | None, collection_id: int) -> tuple[Collection, CollectionFeed]:
    """A feed the viewer may read: of a public collection, or of their own. NotFound otherwise, and while it is
    off (a private collection's feed does not reveal that the collection exists)."""
    collection = get_collection(session, viewer, collection_id)
    feed = store.feed_of(session, collection.id)
    if feed is None:
        raise NotFound(f"the collection {collection_id} has no feed")
    return collection, feed


def linked_feed(
    session: Session, collection_id: int, linked_id: int, link_key: int
) -> tuple[Collection, CollectionFeed]:
    """The collection and feed a signed feed link opens: NotFound unless the link names this collection and its feed's
    current key (a revoked link, a feed turned off, or a deleted collection's id given to another opens nothing)."""
    feed = store.feed_of(session, collection_id)
    if feed is None or linked_id != collection_id or link_key != feed.link_key:
        raise NotFound(f"no feed at this address for collection {collection_id}")
    collection = collection_by_id(session, collection_id)
    if collection is None:
        raise NotFound(f"no feed at this address for collection {collection_id}")
    return collection, feed

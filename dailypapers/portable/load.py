"""An export read into a member's account, in the caller's one transaction: all of it or, on any refusal,
nothing.

It merges. Papers are matched by arXiv id, whatever version either side holds; the rest are listed in the
report, and come in by importing the same file again once the site has them (`dailypapers ingest ID`, or a
member's submission): what is there already keeps its own time, so a second import adds only what is new. A
collection whose name the account has already takes the file's papers into it (its privacy and its feed stay as
the account has them); a saved search whose name is taken stays as the account has it, and the report says so. The
file's For you settings (its reset and its seed) replace the account's: with the signals' times they make the
same model, so the feed ranks as it did where the file came from. A digest subscription asks its address to
confirm again (it is mailed after the commit); the account's email address is not moved.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from dailypapers.community.collection_feeds import set_collection_feed
from dailypapers.community.library import MAX_COLLECTION_NAME, create_collection
from dailypapers.community.saved_searches import create_saved_search, search_query
from dailypapers.config import get_settings
from dailypapers.digest.compose import MailSite
from dailypapers.digest.outbox import queue_subscription_mail
from dailypapers.digest.subscribe import find_subscriber, is_active, start_subscription, validate_preferences
from dailypapers.errors import InvalidInput
from dailypapers.portable.format import CollectionEntry, MemberExport, SavedSearchEntry, Signal, Subscription
from dailypapers.ranking.signals import FeedSettings, set_feed_settings
from dailypapers.store import library as shelves
from dailypapers.store import people
from dailypapers.store import portable as store
from dailypapers.store.db import Session
from dailypapers.store.library import Shelf, collection_shelf, library_shelf
from dailypapers.store.models import CollectionItem, Dismissal, Paper, Save, User, Vote


@dataclass
class ImportReport:
    saved: int = 0
    upvoted: int = 0
    dismissed: int = 0
    collected: int = 0  # papers put in collections
    collections: list[str] = field(default_factory=list)  # made new
    merged: list[str] = field(default_factory=list)  # collections the account had: the file's papers went in
    saved_searches: list[str] = field(default_factory=list)  # made new
    kept_searches: list[str] = field(default_factory=list)  # names the account had: its own search kept
    confirmations: list[str] = field(default_factory=list)  # addresses asked to confirm a digest
    unmatched: list[str] = field(default_factory=list)  # papers this site lacks: "id vN “title”"

    def as_json(self) -> dict:
        return self.__dict__ | {"fetch_then_import_again": bool(self.unmatched)}


class _Matcher:
    """The file's papers that this site shows, by arXiv id; what it lacks goes to the report once."""

    def __init__(self, session: Session, export: MemberExport, report: ImportReport):
        signals = [
            *export.library,
            *export.upvotes,
            *export.dismissals,
            *(item for c in export.collections for item in c.items),
        ]
        self.papers: dict[str, Paper] = shelves.visible_papers_by_arxiv_id(session, {s.arxiv_id for s in signals})
        self.report, self.missing = report, set[str]()

    def rows(self, signals: Iterable[Signal]) -> list[tuple[int, datetime]]:
        """(paper id, time) per matched paper, each once, at the earliest time the file gives it."""
        found: dict[int, datetime] = {}
        for signal in signals:
            paper = self.papers.get(signal.arxiv_id)
            if paper is not None:
                found[paper.id] = min(found.get(paper.id, signal.at), signal.at)
            elif signal.arxiv_id not in self.missing:
                self.missing.add(signal.arxiv_id)
                version = f"v{signal.version}" if signal.version else ""
                self.report.unmatched.append(f"{signal.arxiv_id}{version} “{signal.title}”".replace(" “”", ""))
        return sorted(found.items(), key=lambda row: (row[1], row[0]))


def import_member(session: Session, user: User, export: MemberExport, site: MailSite) -> ImportReport:
    """Read `export` into `user`'s account. InvalidInput (and the caller rolls back) when it cannot all fit."""
    _refuse_repeated_names(export)
    report = ImportReport()
    match = _Matcher(session, export, report)
    report.saved = _fill(session, library_shelf(user.id), Save, match.rows(export.library), "your library")
    for model, signals, counter in ((Vote, export.upvotes, "upvoted"), (Dismissal, export.dismissals, "dismissed")):
        rows = match.rows(signals)
        store.add_marked(session, model, user.id, rows)
        setattr(report, counter, len(rows))
    for entry in export.collections:
        _collection(session, user, entry, match, report)
    for search in export.saved_searches:
        _saved_search(session, user, search, report)
    account = people.user_by_id(session, user.id)
    if account is not None and not account.fullname and export.profile.fullname:
        account.fullname = " ".join(export.profile.fullname.split())
    set_feed_settings(session, user, _feed_settings(export, match))
    for subscription in export.subscriptions:
        _subscription(session, user, subscription, site, report)
    return report


def _feed_settings(export: MemberExport, match: _Matcher) -> FeedSettings:
    profile, steer = export.profile, export.profile.for_you
    ignored = frozenset(match.papers[a].id for a in steer.ignored if a in match.papers)  # a signal's paper, or none
    return FeedSettings(
        profile.feed_reset_at, profile.feed_seed, ignored, steer.paused_at, steer.community, steer.diversity
    )


def _clean(name: str) -> str:
    return " ".join(name.split())


def _refuse_repeated_names(export: MemberExport) -> None:
    for what, names in (
        ("collection", [c.name for c in export.collections]),
        ("saved search", [s.name for s in export.saved_searches]),
    ):
        seen: set[str] = set()
        for name in map(_clean, names):
            if name in seen:
                raise InvalidInput(f"the file names the {what} {name!r} twice; a member's names are unique")
            seen.add(name)


def _fill(session: Session, shelf: Shelf, model: type, rows: list[tuple[int, datetime]], what: str) -> int:
    """Put the rows on a library or a collection, within its bound (`library_max_papers`) or not at all."""
    held = shelves.shelf_holds(session, shelf, [paper_id for paper_id, _ in rows])
    new = [row for row in rows if row[0] not in held]
    limit, size = get_settings().library_max_papers, shelves.shelf_size(session, shelf)
    if size + len(new) > limit:
        raise InvalidInput(
            f"{what} holds {size:,} papers and the file adds {len(new):,}; it may hold at most "
            f"{limit:,}: nothing was imported"
        )
    store.add_marked(session, model, shelf.owner_id, new)
    return len(new)


def _collection(session: Session, user: User, entry: CollectionEntry, match: _Matcher, report: ImportReport) -> None:
    name = _clean(entry.name)
    if len(name) > MAX_COLLECTION_NAME:
        raise InvalidInput(f"the collection name {name[:40]!r}… is longer than {MAX_COLLECTION_NAME} characters")
    collection = shelves.collection_named(session, user.id, name)
    if collection is None:
        collection = create_collection(session, user, name, entry.public)
        collection.created_at = entry.created_at
        if entry.feed.enabled:
            set_collection_feed(session, user, collection.id, True, entry.feed.in_digest)
        report.collections.append(name)
    else:
        report.merged.append(name)
    rows = match.rows(entry.items)
    report.collected += _fill(
        session, collection_shelf(collection.id), CollectionItem, rows, f"the collection “{name}”"
    )


def _saved_search(session: Session, user: User, entry: SavedSearchEntry, report: ImportReport) -> None:
    name = _clean(entry.name)
    if shelves.saved_search_id_named(session, user.id, name) is not None:
        report.kept_searches.append(name)
        return
    saved = create_saved_search(session, user, name, search_query(entry), entry.email)
    saved.created_at = entry.created_at
    report.saved_searches.append(name)


def _subscription(session: Session, user: User, entry: Subscription, site: MailSite, report: ImportReport) -> None:
    """An active subscription asks its address to confirm, as the subscribe form does; one the member had left
    stays left, and one this site already sends to this account is left alone."""
    if not entry.active:
        return
    prefs = validate_preferences(entry.frequency, entry.interests, entry.categories)
    existing = find_subscriber(session, entry.email)
    if existing is not None and is_active(existing) and existing.user_id == user.id:
        return
    subscriber, action = start_subscription(session, entry.email, prefs, user.id)
    queue_subscription_mail(session, subscriber, action, site)
    report.confirmations.append(subscriber.email)

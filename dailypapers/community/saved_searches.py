"""Saved searches: a user keeps any search (query plus filters) under a name, to reread it, follow its feeds,
or get its new papers in the email digest. Private to their owner; the feeds are opened by a signed link.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any, Protocol
from urllib.parse import urlencode

from dailypapers.errors import InvalidInput, NotFound
from dailypapers.search import SearchQuery
from dailypapers.store import library as store
from dailypapers.store.db import Session
from dailypapers.store.models import SavedSearch, User

MAX_NAME = 120
MAX_PER_USER = 50
# The search's mode and filters: named alike on SearchQuery, the SavedSearch row and a member's export.
KEPT_FIELDS = ("mode", "category", "author", "date_from", "date_to", "has_code")


def _kept(search: KeptSearch | SearchQuery) -> dict[str, Any]:
    return {name: getattr(search, name) for name in KEPT_FIELDS}


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("a saved search needs a name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"a saved search name has at most {MAX_NAME} characters")
    return name


def _check_name_free(session: Session, user: User, name: str, keep_id: int | None = None) -> None:
    taken = store.saved_search_id_named(session, user.id, name)
    if taken is not None and taken != keep_id:
        raise InvalidInput(f"you already have a saved search named {name!r}; choose another name")


def create_saved_search(
    session: Session, user: User, name: str, query: SearchQuery, email: bool = False
) -> SavedSearch:
    """Keep `query` (validated here) under `name`; at most MAX_PER_USER per user, names unique per user."""
    name = _clean_name(name)
    query.validate()
    _check_name_free(session, user, name)
    if len(user_saved_searches(session, user)) >= MAX_PER_USER:
        raise InvalidInput(f"you have {MAX_PER_USER} saved searches, the most one can keep; delete one first")
    saved = SavedSearch(user_id=user.id, name=name, query=query.text, email=email, **_kept(query))
    return store.add_saved_search(session, saved)


def user_saved_searches(session: Session, user: User) -> list[SavedSearch]:
    return store.saved_searches_of(session, user.id)


def get_saved_search(session: Session, user: User | None, saved_id: int) -> SavedSearch:
    """The user's own saved search; NotFound for anyone else's (it does not reveal that it exists)."""
    saved = store.saved_search_by_id(session, saved_id)
    if saved is None or user is None or saved.user_id != user.id:
        raise NotFound(f"no saved search {saved_id}")
    return saved


def feed_saved_search(session: Session, saved_id: int, linked_id: int, link_key: int) -> SavedSearch:
    """The saved search a signed feed link opens: the link names one by its id and its `link_key`. NotFound unless
    it names this saved search as it is now (a deleted one's link, or one for an older holder of the id, opens
    nothing)."""
    saved = store.saved_search_by_id(session, saved_id)
    if saved is None or linked_id != saved_id or link_key != saved.link_key:
        raise NotFound(f"no feed at this address for saved search {saved_id}")
    return saved


def rename_saved_search(session: Session, user: User, saved_id: int, name: str) -> SavedSearch:
    saved = get_saved_search(session, user, saved_id)
    name = _clean_name(name)
    _check_name_free(session, user, name, keep_id=saved.id)
    saved.name = name
    return saved


def set_email(session: Session, user: User, saved_id: int, on: bool) -> SavedSearch:
    """Whether the digest carries a "New for your saved search" section for it."""
    saved = get_saved_search(session, user, saved_id)
    saved.email = on
    return saved


def delete_saved_search(session: Session, user: User, saved_id: int) -> None:
    store.delete_saved_search(session, get_saved_search(session, user, saved_id))


class KeptSearch(Protocol):
    """What a saved search keeps: a stored row, or the same fields in a member's export."""

    @property
    def query(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def category(self) -> str | None: ...
    @property
    def author(self) -> str | None: ...
    @property
    def date_from(self) -> date | None: ...
    @property
    def date_to(self) -> date | None: ...
    @property
    def has_code(self) -> bool: ...


def search_query(saved: KeptSearch, limit: int = 20, offset: int = 0) -> SearchQuery:
    """The search it keeps, as `search()` takes it."""
    return SearchQuery(text=saved.query, limit=limit, offset=offset, **_kept(saved))


def search_url(saved: SavedSearch) -> str:
    """The search page with the same query and filters."""
    params = {
        "q": saved.query,
        "mode": saved.mode,
        "category": saved.category or "",
        "author": saved.author or "",
        "from": saved.date_from.isoformat() if saved.date_from else "",
        "to": saved.date_to.isoformat() if saved.date_to else "",
    }
    params = {key: value for key, value in params.items() if value}
    if saved.has_code:
        params["has_code"] = "true"
    return f"/search?{urlencode(params)}"


def emailed_searches(session: Session) -> dict[int, list[SavedSearch]]:
    """Every saved search its owner wants in their digest, by user id: one query for a whole digest run."""
    found: dict[int, list[SavedSearch]] = defaultdict(list)
    for saved in store.emailed_saved_searches(session):
        found[saved.user_id].append(saved)
    return dict(found)

"""Personalisation: a pool of papers ranked against someone's interests (saved searches) and categories, each
pick with a one-line "why you got this".

A `Personaliser` answers each distinct interest once and shares the answer between everyone who follows it,
so 10,000 digests cost as many searches as their subscribers have distinct interests.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from dailypapers.errors import DailyPapersError
from dailypapers.search import Hit, SearchQuery, search
from dailypapers.store.db import DatabaseError, Session
from dailypapers.validators import in_categories

SEARCH_DEPTH = 100  # hits asked of the search engine per interest, before keeping the pool's papers
SEMANTIC_ONLY_TOP = 3  # a paper found by meaning alone is picked only this near the top
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


class Candidate(Protocol):
    """What a pool holds: a dataclass with these fields (`why` is filled in on the picks)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]  # a dataclass, so `replace` can fill in `why`
    paper_id: int
    categories: list[str]
    upvotes: int
    why: str | None


P = TypeVar("P", bound=Candidate)


def _words(snippet: str | None) -> list[str]:
    """The words the search engine marked in the snippet: what matched."""
    found = [html.unescape(w).lower() for w in _MARK.findall(snippet or "")]
    return list(dict.fromkeys(w for w in found if w.strip()))[:4]


def why_line(interest: str, hit: Hit) -> str:
    """'Matches your interest “video diffusion”: words video, diffusion (keyword #3, semantic #1)'."""
    ranks = ", ".join(f"{name} #{rank}" for name, rank in sorted(hit.ranks.items(), key=lambda kv: (kv[1], kv[0])))
    words = _words(hit.snippet)
    line = f"Matches your interest “{interest}”"
    if words:
        line += ": words " + ", ".join(words)
    elif "keyword" not in hit.ranks:
        line += " in meaning"
    return f"{line} ({ranks})" if ranks else line


def relevant(hit: Hit, pool_size: int) -> bool:
    """Keyword matches always count. Nearest neighbours by meaning exist for any query, so a paper found by
    meaning alone counts only at the very top (the best 3, and the best 5% of the pool): a handful of
    papers about galaxies must not go to someone who follows graph networks because nothing closer came out."""
    top = min(SEMANTIC_ONLY_TOP, pool_size // 20)
    return "keyword" in hit.ranks or hit.ranks.get("semantic", top + 1) <= top


class Personaliser(Generic[P]):
    """Ranks a pool of papers against interests, searching each distinct interest once, among the papers
    published from `date_from` to `date_to`.

    `prefetch` starts the searches of interests about to be needed in background threads, each with its own
    database session: SQLite (and the embedding model) run without Python's GIL, so the searches overlap
    with composing and sending on the main thread.
    """

    def __init__(
        self,
        session: Session,
        pool: Mapping[int, P],
        date_from: date,
        date_to: date,
        mode: str = "hybrid",
        limit: int = 10,
    ):
        self.session = session
        self.pool = pool
        self.date_from, self.date_to = date_from, date_to
        self.mode = mode
        self.limit = limit  # picks per call, unless the call says otherwise
        self._hits: dict[str, list[Hit]] = {}
        self._pending: dict[str, Future] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._sessions: list[Session] = []
        self._lock = threading.Lock()
        self.searches = 0  # distinct interests searched (the expensive part)
        self.failed: dict[str, str] = {}  # interest -> why the search engine refused it

    def _search(self, session: Session, interest: str) -> list[Hit]:
        query = SearchQuery(
            text=interest, mode=self.mode, limit=SEARCH_DEPTH, date_from=self.date_from, date_to=self.date_to
        )
        try:
            hits = search(session, query)
        except (DailyPapersError, DatabaseError) as exc:
            # One odd interest, or a search index this database lacks, must not stop everyone's digest:
            # the subscriber still gets the rest, and the caller reports what failed.
            session.rollback()
            with self._lock:
                self.failed[interest] = str(exc).splitlines()[0][:300]
            hits = []
        with self._lock:
            self.searches += 1
        return [h for h in hits if h.paper_id in self.pool and relevant(h, len(self.pool))]

    def _search_in_thread(self, interest: str) -> list[Hit]:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = Session(self.session.get_bind())
            with self._lock:
                self._sessions.append(session)
        try:
            return self._search(session, interest)
        finally:
            session.rollback()  # end the read transaction: no snapshot held between searches

    def prefetch(self, interest_lists: Iterable[list[str]], threads: int = 2) -> None:
        """Search these interests in the background, in this order (the order subscribers will be served)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(threads, thread_name_prefix="digest-search")
        for interests in interest_lists:
            for interest in interests:
                key = interest.casefold()
                if key not in self._pending and key not in self._hits:
                    self._pending[key] = self._executor.submit(self._search_in_thread, interest)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        for session in self._sessions:
            session.close()
        self._sessions.clear()

    def _pool_hits(self, interest: str) -> list[Hit]:
        key = interest.casefold()
        if key not in self._hits:
            pending = self._pending.pop(key, None)
            self._hits[key] = pending.result() if pending is not None else self._search_in_thread(interest)
        return self._hits[key]

    def picks(self, interests: list[str], categories: list[str], limit: int | None = None) -> list[P]:
        """Up to `limit` papers of the pool: interests take turns (best hit of each first), so one broad
        interest does not crowd out the others; with categories set, only papers in one of them."""
        limit = self.limit if limit is None else limit
        wanted = set(categories)
        allowed = (lambda p: bool(in_categories(p.categories, wanted))) if wanted else (lambda p: True)
        chosen: dict[int, P] = {}
        queues = [(interest, iter(self._pool_hits(interest))) for interest in interests]
        while queues and len(chosen) < limit:
            for entry in list(queues):
                interest, hits = entry
                for hit in hits:
                    paper = self.pool[hit.paper_id]
                    if hit.paper_id not in chosen and allowed(paper):
                        chosen[hit.paper_id] = replace(paper, why=why_line(interest, hit))
                        break
                else:
                    queues.remove(entry)
                if len(chosen) >= limit:
                    break
        if not chosen and wanted:  # no interests, or none matched: the pool's best in their categories
            chosen = {p.paper_id: p for p in self._category_picks(wanted, limit)}
        return list(chosen.values())

    def _category_picks(self, wanted: set[str], limit: int) -> list[P]:
        """No interests, only categories: the pool's most upvoted papers in them."""
        matching = [p for p in self.pool.values() if in_categories(p.categories, wanted)]
        matching.sort(key=lambda p: (-p.upvotes, p.paper_id))
        return [
            replace(p, why="New in " + ", ".join(in_categories(p.categories, wanted)) + ", which you follow")
            for p in matching[:limit]
        ]

"""The papers of a digest: the period's top trending papers, then a section ranked against the
subscriber's interests by the search engine, each with a one-line "why you got this".

The period's papers are read once per period (`load_period`); a `Personaliser` answers each distinct
interest once per period and shares the answer between every subscriber who follows it, so 10,000
subscribers cost as many searches as they have distinct interests.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from dailypapers.config import Settings, get_settings
from dailypapers.digest.schedule import DigestPeriod
from dailypapers.errors import DailyPapersError
from dailypapers.ranking.trending import trending_score_value
from dailypapers.search import Hit, SearchQuery, search
from dailypapers.store.models import DailyEntry, Paper

ABSTRACT_CHARS = 280
SEARCH_LOOKBACK_DAYS = 30
SEARCH_DEPTH = 100  # hits asked of the search engine per interest, before keeping the period's papers
SEMANTIC_ONLY_TOP = 3  # a paper found by meaning alone is picked only this near the top
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


@dataclass
class DigestPaper:
    paper_id: int
    arxiv_id: str
    title: str
    authors: list[str]
    abstract: str  # shortened to a teaser
    categories: list[str]
    upvotes: int
    url: str  # the paper's page on this site
    abs_url: str
    pdf_url: str
    why: str | None = None  # personalised papers: one line saying which interest brought it

    @property
    def meta(self) -> str:
        """'A. Author, B. Author, C. Author et al. · ▲ 12 · cs.LG, cs.CL'"""
        parts = [self.authors_short] if self.authors else []
        parts.append(f"▲ {self.upvotes}")
        if self.categories:
            parts.append(", ".join(self.categories[:3]))
        return " · ".join(parts)

    @property
    def authors_short(self) -> str:
        if len(self.authors) <= 3:
            return ", ".join(self.authors)
        return f"{', '.join(self.authors[:3])} et al."


@dataclass
class PeriodPapers:
    """Everything the digests of one period share."""

    period: DigestPeriod
    trending: list[DigestPaper]
    pool: dict[int, DigestPaper] = field(default_factory=dict)  # other papers of the period, by id
    search_from: date | None = None  # earliest arXiv publication day in the pool (feed papers may be older)

    @property
    def is_empty(self) -> bool:
        return not self.trending and not self.pool


def _teaser(text: str) -> str:
    text = " ".join((text or "").split())
    if len(text) <= ABSTRACT_CHARS:
        return text
    cut = text[:ABSTRACT_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


def _digest_paper(paper: Paper, base_url: str) -> DigestPaper:
    return DigestPaper(
        paper_id=paper.id, arxiv_id=paper.arxiv_id, title=" ".join(paper.title.split()),
        authors=list(paper.authors or []), abstract=_teaser(paper.abstract), categories=paper.category_list,
        upvotes=paper.upvotes or 0, url=f"{base_url}/papers/{paper.arxiv_id}", abs_url=paper.abs_url,
        pdf_url=paper.pdf_url,
    )


def _entry_score(entry: DailyEntry, upvotes: int) -> float:
    """trendingScore as it stood at the end of the paper's own feed day, so that in a weekly digest a
    Monday paper competes fairly with a Sunday one (scored at the period's end it would always lose)."""
    day_end = datetime.combine(entry.date + timedelta(days=1), datetime.min.time(), tzinfo=entry.submitted_at.tzinfo)
    hours = (day_end - entry.submitted_at).total_seconds() / 3600
    return trending_score_value(upvotes, hours)


def load_period(session: Session, period: DigestPeriod, settings: Settings | None = None) -> PeriodPapers:
    """The period's trending papers (from the daily feed) and its pool: every other paper that entered
    the feed or was first published on arXiv during the period."""
    settings = settings or get_settings()
    base_url = settings.base_url.rstrip("/")
    rows = session.execute(
        select(Paper, DailyEntry).join(DailyEntry, DailyEntry.paper_id == Paper.id)
        .where(DailyEntry.date >= period.first_day, DailyEntry.date <= period.last_day, Paper.hidden.is_(False))
    ).all()
    ranked = sorted(rows, key=lambda r: (-_entry_score(r.DailyEntry, r.Paper.upvotes or 0), -(r.Paper.upvotes or 0),
                                         r.Paper.id))
    trending = [_digest_paper(r.Paper, base_url) for r in ranked[: settings.digest_trending]]
    taken = {p.paper_id for p in trending}
    pool = {r.Paper.id: _digest_paper(r.Paper, base_url) for r in ranked[settings.digest_trending:]}
    published = session.scalars(
        select(Paper).outerjoin(DailyEntry, DailyEntry.paper_id == Paper.id)
        .where(Paper.published_at >= period.starts_at, Paper.published_at < period.ends_at,
               Paper.hidden.is_(False), or_(DailyEntry.id.is_(None),
                                            and_(DailyEntry.date >= period.first_day,
                                                 DailyEntry.date <= period.last_day)))
    )
    for paper in published:
        if paper.id not in taken and paper.id not in pool:
            pool[paper.id] = _digest_paper(paper, base_url)
    # Interests are searched among papers published from here on; feed papers published a little before
    # the period are in reach, a years-old one on the feed is not worth diluting every search for.
    oldest = min((r.Paper.published_at.date() for r in ranked[settings.digest_trending:] if r.Paper.published_at),
                 default=period.first_day)
    search_from = max(min(oldest, period.first_day), period.first_day - timedelta(days=SEARCH_LOOKBACK_DAYS))
    return PeriodPapers(period, trending, pool, search_from)


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
    meaning alone counts only at the very top (the best 3, and the best 5% of the period): a handful of
    papers about galaxies must not go to someone who follows graph networks because nothing closer came out."""
    top = min(SEMANTIC_ONLY_TOP, pool_size // 20)
    return "keyword" in hit.ranks or hit.ranks.get("semantic", top + 1) <= top


class Personaliser:
    """Ranks a period's pool against a subscriber's interests, searching each distinct interest once.

    `prefetch` starts the searches of interests about to be needed in background threads, each with its own
    database session: SQLite (and the embedding model) run without Python's GIL, so the searches overlap
    with composing and sending on the main thread.
    """

    def __init__(self, session: Session, papers: PeriodPapers, settings: Settings | None = None):
        self.session = session
        self.papers = papers
        self.settings = settings or get_settings()
        self._hits: dict[str, list[Hit]] = {}
        self._pending: dict[str, Future] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._sessions: list[Session] = []
        self._lock = threading.Lock()
        self.searches = 0  # distinct interests searched (the expensive part)
        self.failed: dict[str, str] = {}  # interest -> why the search engine refused it

    def _search(self, session: Session, interest: str) -> list[Hit]:
        period = self.papers.period
        query = SearchQuery(text=interest, mode=self.settings.digest_search_mode, limit=SEARCH_DEPTH,
                            date_from=self.papers.search_from or period.first_day, date_to=period.last_day)
        try:
            hits = search(session, query)
        except (DailyPapersError, SQLAlchemyError) as exc:
            # One odd interest, or a search index this database lacks, must not stop everyone's digest:
            # the subscriber still gets the trending papers, and the run reports what failed.
            session.rollback()
            with self._lock:
                self.failed[interest] = str(exc).splitlines()[0][:300]
            hits = []
        with self._lock:
            self.searches += 1
        return [h for h in hits if h.paper_id in self.papers.pool and relevant(h, len(self.papers.pool))]

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

    def picks(self, interests: list[str], categories: list[str], limit: int | None = None) -> list[DigestPaper]:
        """Up to `limit` papers of the pool: interests take turns (best hit of each first), so one broad
        interest does not crowd out the others; with categories set, only papers in one of them."""
        limit = self.settings.digest_personal if limit is None else limit
        wanted = set(categories)
        allowed = (lambda p: bool(wanted.intersection(p.categories))) if wanted else (lambda p: True)
        chosen: dict[int, DigestPaper] = {}
        queues = [(interest, iter(self._pool_hits(interest))) for interest in interests]
        while queues and len(chosen) < limit:
            for entry in list(queues):
                interest, hits = entry
                for hit in hits:
                    paper = self.papers.pool[hit.paper_id]
                    if hit.paper_id not in chosen and allowed(paper):
                        chosen[hit.paper_id] = _with_why(paper, why_line(interest, hit))
                        break
                else:
                    queues.remove(entry)
                if len(chosen) >= limit:
                    break
        if not chosen and wanted:  # no interests, or none matched: the period's best in their categories
            chosen = {p.paper_id: p for p in self._category_picks(wanted, limit)}
        return list(chosen.values())

    def _category_picks(self, wanted: set[str], limit: int) -> list[DigestPaper]:
        """No interests, only categories: the period's most upvoted papers in them."""
        matching = [p for p in self.papers.pool.values() if wanted.intersection(p.categories)]
        matching.sort(key=lambda p: (-p.upvotes, p.paper_id))
        return [_with_why(p, "New in " + ", ".join(c for c in p.categories if c in wanted) + ", which you follow")
                for p in matching[:limit]]


def _with_why(paper: DigestPaper, why: str) -> DigestPaper:
    return replace(paper, why=why)

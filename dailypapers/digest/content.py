"""The papers of a digest: the period's top trending papers, then a section ranked against the
subscriber's interests (ranking/interests.py), each with a one-line "why you got this"; and for subscribers
whose subscription is linked to an account, their saved searches' new papers, their collection feeds' ("New for
<collection>") and "For you" (`AccountSections`).

The period's papers are read once per period (`load_period`) and shared by every digest of the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import numpy as np

from dailypapers.community.saved_searches import emailed_searches, search_query
from dailypapers.community.updates import updates_between
from dailypapers.config import Settings, get_settings
from dailypapers.digest.schedule import DigestPeriod, previous_period
from dailypapers.errors import DailyPapersError
from dailypapers.ranking.collection_feed import rank_for_collection, reason
from dailypapers.ranking.interests import Personaliser
from dailypapers.ranking.recommend import rank_candidates
from dailypapers.ranking.trending import trending_score_value
from dailypapers.search import search
from dailypapers.store import feed, mail
from dailypapers.store.collection_feeds import digest_feeds
from dailypapers.store.db import DatabaseError, Session
from dailypapers.store.models import DailyEntry, Paper, SavedSearch

ABSTRACT_CHARS = 280
SEARCH_LOOKBACK_DAYS = 30
UPDATED_SAVED = "Updated papers you saved"  # kept papers with a version their member has not seen
SAVED_SEARCH_DEPTH = 100  # hits asked per saved search, before keeping the period's papers


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
    why: str | None = None  # personalised papers: one line saying which interest brought it (ranking/)

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
        paper_id=paper.id,
        arxiv_id=paper.arxiv_id,
        title=" ".join(paper.title.split()),
        authors=list(paper.authors or []),
        abstract=_teaser(paper.abstract),
        categories=paper.category_list,
        upvotes=paper.upvotes or 0,
        url=f"{base_url}/papers/{paper.arxiv_id}",
        abs_url=paper.abs_url,
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
    base_url = settings.origin()
    rows = feed.feed_entries_between(session, period.first_day, period.last_day)
    ranked = sorted(
        rows, key=lambda r: (-_entry_score(r.DailyEntry, r.Paper.upvotes or 0), -(r.Paper.upvotes or 0), r.Paper.id)
    )
    trending = [_digest_paper(r.Paper, base_url) for r in ranked[: settings.digest_trending]]
    taken = {p.paper_id for p in trending}
    pool = {r.Paper.id: _digest_paper(r.Paper, base_url) for r in ranked[settings.digest_trending :]}
    published = feed.published_between(session, period.starts_at, period.ends_at, period.first_day, period.last_day)
    for paper in published:
        if paper.id not in taken and paper.id not in pool:
            pool[paper.id] = _digest_paper(paper, base_url)
    # Interests are searched among papers published from here on; feed papers published a little before
    # the period are in reach, a years-old one on the feed is not worth diluting every search for.
    oldest = min(
        (r.Paper.published_at.date() for r in ranked[settings.digest_trending :] if r.Paper.published_at),
        default=period.first_day,
    )
    search_from = max(min(oldest, period.first_day), period.first_day - timedelta(days=SEARCH_LOOKBACK_DAYS))
    return PeriodPapers(period, trending, pool, search_from)


MAX_CARRIED_PERIODS = 14  # how far back updates seen in periods that sent no digest are carried


def updates_carried_from(session: Session, period: DigestPeriod) -> datetime:
    """Where the period's "Updated papers you saved" starts: its own start, or that of the periods just before it
    that had no papers, so sent no digest (a weekend, a holiday), whose updates are told here, once."""
    start = period
    for _ in range(MAX_CARRIED_PERIODS):
        before = previous_period(start)
        if feed.has_papers_between(session, before.starts_at, before.ends_at, before.first_day, before.last_day):
            break
        start = before
    return start.starts_at


def personaliser_for(session: Session, papers: PeriodPapers, settings: Settings | None = None) -> Personaliser:
    """Ranks the period's pool against interests, searching among the papers published in its reach."""
    settings = settings or get_settings()
    return Personaliser(
        session,
        papers.pool,
        papers.search_from or papers.period.first_day,
        papers.period.last_day,
        mode=settings.digest_search_mode,
        limit=settings.digest_personal,
    )


@dataclass
class DigestSection:
    """A section of one subscriber's digest below the shared ones: "For you", or a saved search's new papers."""

    title: str
    papers: list[DigestPaper]


class AccountSections:
    """The sections a digest gets when its subscription is linked to a user account: "New for your saved
    search X" for each saved search marked for email, and "For you" from the per-user model
    (ranking/recommend.py), with the card's "why" line.

    Accounts and saved searches are read once per run; each distinct saved search is searched once and each
    user's model trained once (the model cache), so subscribers without an account cost one dict lookup.
    """

    def __init__(self, session: Session, papers: PeriodPapers, settings: Settings | None = None):
        settings = settings or get_settings()
        self.session = session
        self.limit = settings.digest_personal
        self.period, self.base_url = papers.period, settings.origin()
        self.period_papers = {p.paper_id: p for p in papers.trending} | dict(papers.pool)
        self.date_from = papers.search_from or papers.period.first_day
        self.date_to = papers.period.last_day
        # Linked by `subscribers.user_id` (set through a confirmed subscription), never by matching emails:
        # an account's email is not verified, so it must not pull someone else's inbox into its digest.
        self.users = mail.linked_accounts(session)
        self.saved = emailed_searches(session) if self.users else {}
        self.collections = digest_feeds(session) if self.users else {}
        self._hits: dict[tuple, list[int]] = {}
        self.updates_from = updates_carried_from(session, papers.period)
        self.failed: dict[str, str] = {}  # saved search name -> why it could not be searched

    def sections(self, user_id: int | None, shown: set[int]) -> list[DigestSection]:
        """The account sections of a digest linked to `user_id`; papers in `shown` (and earlier ones) are left out."""
        user = self.users.get(user_id) if user_id is not None else None
        if user is None:
            return []
        shown = set(shown)
        found = []
        for saved in self.saved.get(user.id, []):
            papers = [self.period_papers[pid] for pid in self._matching(saved) if pid not in shown][: self.limit]
            if papers:
                found.append(DigestSection(f"New for your saved search “{saved.name}”", papers))
                shown.update(p.paper_id for p in papers)
        for collection in self.collections.get(user.id, []):
            candidates = np.fromiter((pid for pid in self.period_papers if pid not in shown), dtype=np.int64)
            picks = [
                replace(self.period_papers[p.paper.id], why=reason(p, collection.name))
                for p in rank_for_collection(self.session, collection, candidates, self.limit)
            ]
            if picks:
                found.append(DigestSection(f"New for “{collection.name}”", picks))
                shown.update(p.paper_id for p in picks)
        candidates = np.fromiter((pid for pid in self.period_papers if pid not in shown), dtype=np.int64)
        picks = [
            replace(self.period_papers[p.paper.id], why=p.why)
            for p in rank_candidates(self.session, user, candidates, self.limit)
        ]
        if picks:
            found.append(DigestSection("For you", picks))
        updated = updates_between(self.session, user, self.updates_from, self.period.ends_at)
        if updated:
            cards = [replace(_digest_paper(paper, self.base_url), why=flag.summary) for paper, flag in updated]
            found.append(DigestSection(UPDATED_SAVED, cards[: self.limit]))
        return found

    def _matching(self, saved: SavedSearch) -> list[int]:
        """Ids of the period's papers the saved search finds, best first (searched once per run)."""
        query = search_query(saved, SAVED_SEARCH_DEPTH)
        query.date_from = max(filter(None, (query.date_from, self.date_from)))
        query.date_to = min(filter(None, (query.date_to, self.date_to)))
        key = (
            query.text.casefold(),
            query.mode,
            query.category,
            query.author,
            query.date_from,
            query.date_to,
            query.has_code,
        )
        if key not in self._hits:
            try:
                hits = search(self.session, query) if query.date_from <= query.date_to else []
            except (DailyPapersError, DatabaseError) as exc:
                # As with interests: one search the engine refuses must not stop everyone's digest.
                self.session.rollback()
                self.failed[saved.name] = str(exc).splitlines()[0][:300]
                hits = []
            self._hits[key] = [h.paper_id for h in hits if h.paper_id in self.period_papers]
        return self._hits[key]

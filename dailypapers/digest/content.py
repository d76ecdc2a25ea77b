"""The papers of a digest: the period's top trending papers, then a section ranked against the
subscriber's interests (ranking/interests.py), each with a one-line "why you got this".

The period's papers are read once per period (`load_period`) and shared by every digest of the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from dailypapers.config import Settings, get_settings
from dailypapers.digest.schedule import DigestPeriod
from dailypapers.ranking.interests import Personaliser
from dailypapers.ranking.trending import trending_score_value
from dailypapers.store.models import DailyEntry, Paper

ABSTRACT_CHARS = 280
SEARCH_LOOKBACK_DAYS = 30


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


def personaliser_for(session: Session, papers: PeriodPapers, settings: Settings | None = None) -> Personaliser:
    """Ranks the period's pool against interests, searching among the papers published in its reach."""
    settings = settings or get_settings()
    return Personaliser(session, papers.pool, papers.search_from or papers.period.first_day, papers.period.last_day,
                        mode=settings.digest_search_mode, limit=settings.digest_personal)

"""Read queries shared by the pages, the JSON API and the RSS/Atom feeds: few queries per request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session, aliased, joinedload

from dailypapers.community.claims import paper_claims
from dailypapers.community.papers import load_paper
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.ranking.trending import trending_score
from dailypapers.sources.ids import parse_arxiv_id
from dailypapers.store.models import AuthorClaim, Comment, DailyEntry, Paper, User, Vote
from dailypapers.validators import arxiv_category
from dailypapers.web.feed_periods import Period

PAGE_SORTS = ("upvotes", "newest", "trending")
API_SORTS = ("publishedAt", "trending")
TRENDING_WINDOW_DAYS = 30  # older entries have decayed to nothing; the bound keeps the sort small


@dataclass
class FeedRow:
    paper: Paper
    date: date
    submitted_at: datetime
    submitter: User | None
    trending: float


SUBMITTER = aliased(User, name="submitter")  # built once: an alias per request costs more than the query


def _feed_select(now: datetime):
    score = trending_score(now).label("trending")
    stmt = (
        select(Paper, DailyEntry.date, DailyEntry.submitted_at, SUBMITTER, score)
        .join(DailyEntry, DailyEntry.paper_id == Paper.id)
        .outerjoin(SUBMITTER, SUBMITTER.id == DailyEntry.submitted_by_id)
        .where(Paper.hidden.is_(False))
    )
    return stmt, SUBMITTER, score


def parse_category(text: str | None) -> str | None:
    """An optional category filter (cs.CL, or cs for all its categories): None when not given."""
    text = (text or "").strip()
    return arxiv_category(text) if text else None


def feed_rows(session: Session, *, period: Period | None = None, sort: str = "upvotes", limit: int = 50,
              offset: int = 0, submitter: str | None = None, category: str | None = None,
              now: datetime | None = None) -> list[FeedRow]:
    """Entries of the daily feed in `period` (all days when None), sorted by `sort`.

    `category` keeps papers listed in it (cs.CL), or in any of an archive's categories (cs).
    """
    now = now or datetime.now(UTC)
    stmt, submitter_table, score = _feed_select(now)
    if period is not None:
        stmt = stmt.where(DailyEntry.date >= period.start, DailyEntry.date <= period.end)
    if submitter:
        stmt = stmt.where(submitter_table.username == submitter)
    if category:
        padded = literal(" ") + Paper.categories + literal(" ")
        wanted = padded.contains(f" {category} ", autoescape=True)
        if "." not in category:
            wanted = wanted | padded.contains(f" {category}.", autoescape=True)
        stmt = stmt.where(wanted)
    if sort == "upvotes":
        stmt = stmt.order_by(Paper.upvotes.desc(), DailyEntry.submitted_at.desc(), Paper.id.desc())
    elif sort == "newest":
        stmt = stmt.order_by(Paper.published_at.desc(), Paper.id.desc())
    elif sort == "publishedAt":
        stmt = stmt.order_by(DailyEntry.date.desc(), DailyEntry.submitted_at.desc(), Paper.id.desc())
    elif sort == "trending":
        if period is None:
            stmt = stmt.where(DailyEntry.date >= (now - timedelta(days=TRENDING_WINDOW_DAYS)).date())
        stmt = stmt.order_by(score.desc(), Paper.upvotes.desc(), Paper.id.desc())
    else:
        raise InvalidInput(f"unknown sort {sort!r}; use one of {', '.join(PAGE_SORTS + API_SORTS)}")
    rows = session.execute(stmt.limit(limit).offset(offset)).all()
    return [FeedRow(r[0], r[1], r[2], r[3], float(r[4] or 0.0)) for r in rows]


def latest_feed_date(session: Session, on_or_before: date | None = None) -> date | None:
    stmt = select(func.max(DailyEntry.date))
    if on_or_before is not None:
        stmt = stmt.where(DailyEntry.date <= on_or_before)
    return session.scalar(stmt)


def neighbour_dates(session: Session, period: Period) -> tuple[date | None, date | None]:
    """The nearest day with papers before the period, and after it."""
    before = session.scalar(select(func.max(DailyEntry.date)).where(DailyEntry.date < period.start))
    after = session.scalar(select(func.min(DailyEntry.date)).where(DailyEntry.date > period.end))
    return before, after


@dataclass
class PaperView:
    paper: Paper
    entry: DailyEntry | None
    submitter: User | None
    claims: dict[int, AuthorClaim]  # live claims by author index


def canonical_id(text: str) -> str:
    """`2501.00001v2`, `arXiv:2501.00001` -> `2501.00001`; anything else is a paper we do not have."""
    try:
        return parse_arxiv_id(text).id
    except InvalidInput:
        raise NotFound(f"no paper {text}") from None


def paper_view(session: Session, arxiv_id: str, *, include_hidden: bool = False) -> PaperView:
    """A paper page's data: the paper (any spelling of its id), its feed entry and who submitted it."""
    paper = load_paper(session, canonical_id(arxiv_id), include_hidden=include_hidden)
    entry = paper.daily_entry
    claims = paper_claims(session, [paper.id]).get(paper.id, {})
    return PaperView(paper, entry, entry.submitted_by if entry else None, claims)


def visible_comments(session: Session, paper_id: int, *, include_hidden: bool = False) -> list[Comment]:
    stmt = (select(Comment).options(joinedload(Comment.user))
            .where(Comment.paper_id == paper_id, Comment.deleted.is_(False)).order_by(Comment.created_at, Comment.id))
    if not include_hidden:
        stmt = stmt.where(Comment.hidden.is_(False))
    return list(session.scalars(stmt))


def has_voted(session: Session, user_id: int | None, paper_ids: list[int]) -> set[int]:
    """Which of `paper_ids` the user has upvoted (one query for a whole page)."""
    if user_id is None or not paper_ids:
        return set()
    return set(session.scalars(select(Vote.paper_id).where(Vote.user_id == user_id, Vote.paper_id.in_(paper_ids))))


def papers_by_ids(session: Session, ids: list[int]) -> dict[int, Paper]:
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_(ids), Paper.hidden.is_(False)))}


def upvoted_papers(session: Session, user_id: int, limit: int = 100) -> list[Paper]:
    return list(session.scalars(
        select(Paper).join(Vote, Vote.paper_id == Paper.id)
        .where(Vote.user_id == user_id, Paper.hidden.is_(False)).order_by(Vote.created_at.desc()).limit(limit)
    ))


def submitted_rows(session: Session, user: User, limit: int = 100) -> list[FeedRow]:
    return feed_rows(session, sort="publishedAt", submitter=user.username, limit=limit)


def papers_page(session: Session, *, after_id: int, limit: int) -> list[Paper]:
    """All visible papers in id order, keyset-paged (for the API's cursor listing)."""
    return list(session.scalars(
        select(Paper).where(Paper.id > after_id, Paper.hidden.is_(False)).order_by(Paper.id).limit(limit)
    ))

"""What readers are shown of papers: a paper page's data (any spelling of its id) and visible papers by id."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from dailypapers.community.claims import paper_claims
from dailypapers.community.papers import load_paper
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.sources.ids import MAX_ID_CHARS, parse_arxiv_id
from dailypapers.store.models import AuthorClaim, DailyEntry, Paper, User


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
        raise NotFound(f"no paper {text if len(text) <= MAX_ID_CHARS else text[:40] + '...'}") from None


@dataclass
class TypedId:
    """A search box holding an arXiv id or URL: the id, and its paper when this site shows it."""

    arxiv_id: str
    paper: Paper | None


def typed_id(session: Session, text: str) -> TypedId | None:
    """`2410.06241`, `arXiv:2410.06241v2`, an abs or pdf link, `hep-th/9901001`: that paper, found or not;
    None for anything else (words to search for)."""
    try:
        arxiv_id = parse_arxiv_id(text).id
    except InvalidInput:
        return None
    try:
        return TypedId(arxiv_id, load_paper(session, arxiv_id))
    except NotFound:
        return TypedId(arxiv_id, None)


def paper_view(session: Session, arxiv_id: str, *, include_hidden: bool = False) -> PaperView:
    """A paper page's data: the paper (any spelling of its id), its feed entry and who submitted it."""
    paper = load_paper(session, canonical_id(arxiv_id), include_hidden=include_hidden)
    entry = paper.daily_entry
    claims = paper_claims(session, [paper.id]).get(paper.id, {})
    return PaperView(paper, entry, entry.submitted_by if entry else None, claims)


_VISIBLE_BY_IDS = select(Paper).where(Paper.id.in_(bindparam("ids", expanding=True)), Paper.hidden.is_(False))


def papers_by_ids(session: Session, ids: list[int]) -> dict[int, Paper]:
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(_VISIBLE_BY_IDS, {"ids": list(ids)})}

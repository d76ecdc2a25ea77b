"""What readers are shown of a paper: a paper page's data (any spelling of its id), or the paper a typed id names."""

from __future__ import annotations

from dataclasses import dataclass

from dailypapers.community.claims import claims_for_reader
from dailypapers.community.papers import load_paper
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.sources.ids import MAX_ID_CHARS, parse_arxiv_id
from dailypapers.store.db import Session
from dailypapers.store.models import AuthorClaim, DailyEntry, Paper, User


@dataclass
class PaperView:
    paper: Paper
    entry: DailyEntry | None
    submitter: User | None
    claims: dict[int, AuthorClaim]  # approved claims by author index
    my_claim: AuthorClaim | None = None  # the reader's own live claim on the paper (waiting or approved)


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


def paper_view(
    session: Session, arxiv_id: str, *, include_hidden: bool = False, reader: User | None = None
) -> PaperView:
    """A paper page's data: the paper (any spelling of its id), its feed entry and who submitted it, its
    approved claims and the `reader`'s own."""
    paper = load_paper(session, canonical_id(arxiv_id), include_hidden=include_hidden)
    entry = paper.daily_entry
    claims, mine = claims_for_reader(session, paper.id, reader)
    return PaperView(paper, entry, entry.submitted_by if entry else None, claims, mine)

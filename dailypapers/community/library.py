"""A user's own signals beside upvotes: the private library (saves), "not interested" (dismissals), named
collections, and seeding the library from pasted ids or a BibTeX file (ranking/signals.py reads them all).

Every write is idempotent (asking for the state you already have changes nothing), so a double submit or a
retried API call is harmless. A library, and each collection, holds at most `library_max_papers` papers:
one function adds papers to either, and refuses what would pass the bound. They are read a page at a time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import bibtexparser
from bibtexparser.model import ParsingFailedBlock

from dailypapers.community.papers import load_paper
from dailypapers.config import get_settings
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.sources.ids import parse_arxiv_id
from dailypapers.store import library as store
from dailypapers.store.db import Session
from dailypapers.store.library import Mark, Shelf, collection_shelf, library_shelf
from dailypapers.store.models import Collection, Dismissal, Paper, Save, User

MAX_COLLECTION_NAME = 120
MAX_SEED_REFERENCES = 2000
MAX_SEED_CHARS = 250_000  # about 2,000 BibTeX entries
# Where bibtexparser starts a block (its splitter's own rule): counted before parsing, to bound the work.
_BIBTEX_BLOCK = re.compile(r"@\w*[ \t]*[{(]")

# bibtexparser logs a warning and an info line for every block it cannot read: thousands of lines, and seconds
# of work, for one malformed upload. The seed counts those blocks in its report instead.
logging.getLogger("bibtexparser").setLevel(logging.ERROR)

# arXiv ids inside free text: a DOI 10.48550/arXiv.2501.01234, a URL, or "arXiv:2501.01234".
_ARXIV_IN_TEXT = re.compile(
    r"(?:arxiv[.:/]\s*|arxiv\.org/(?:abs|pdf)/)((?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})"
    r"(?:v\d+)?)",
    re.IGNORECASE,
)


def _add_papers(session: Session, shelf: Shelf, paper_ids: list[int], what: str) -> None:
    """Add papers to a library or a collection. One that would hold more than `library_max_papers` takes none
    of them (InvalidInput)."""
    held = store.shelf_holds(session, shelf, paper_ids)
    new = [paper_id for paper_id in dict.fromkeys(paper_ids) if paper_id not in held]
    if not new:
        return
    limit = get_settings().library_max_papers
    size = store.shelf_size(session, shelf)
    if size + len(new) > limit:
        adding = f" and this adds {len(new):,} more" if len(new) > 1 else ""
        raise InvalidInput(
            f"{what} already holds {size:,} paper{'s' if size != 1 else ''}{adding}; it may hold at "
            f"most {limit:,}: remove some first"
        )
    store.add_to_shelf(session, shelf, new)


def _save_papers(session: Session, user: User, paper_ids: list[int]) -> None:
    """The one way papers come into a library: a save and a seed alike, within the bound."""
    _add_papers(session, library_shelf(user.id), paper_ids, "your library")


def _set_mark(
    session: Session, mark: Mark, user: User, arxiv_id: str, on: bool | None, add: Callable[[int], None]
) -> bool:
    """Put the user's `mark` on the paper in the wanted state (None toggles), `add(paper_id)` adding it;
    returns the new state."""
    paper = load_paper(session, arxiv_id)
    if on is None:
        on = not store.has_mark(session, mark, user.id, paper.id)
    if on:
        add(paper.id)
    else:
        store.remove_mark(session, mark, user.id, paper.id)
    return on


def save(session: Session, user: User, arxiv_id: str, on: bool | None = None) -> bool:
    """Keep the paper in (or take it out of) the user's private library."""
    return _set_mark(session, Save, user, arxiv_id, on, lambda paper_id: _save_papers(session, user, [paper_id]))


def dismiss(session: Session, user: User, arxiv_id: str, on: bool | None = None) -> bool:
    """Mark the paper "not interested" (or take the mark back)."""
    return _set_mark(
        session, Dismissal, user, arxiv_id, on, lambda paper_id: store.add_dismissal(session, user.id, paper_id)
    )


@dataclass
class CardState:
    """What the cards of a page show for the signed-in user, read in one query for the whole page."""

    saved: set[int] = field(default_factory=set)
    dismissed: set[int] = field(default_factory=set)
    collections: list[tuple[int, str]] = field(default_factory=list)  # the user's (id, name), for "add to"
    collected: set[tuple[int, int]] = field(default_factory=set)  # (collection id, paper id)
    voted: set[int] = field(default_factory=set)  # the papers the user has upvoted

    def keeps(self, paper_id: int) -> bool:
        """Whether the user saved the paper or put it in one of their collections."""
        return paper_id in self.saved or any(kept == paper_id for _, kept in self.collected)


def card_state(session: Session, user_id: int | None, paper_ids: list[int]) -> CardState:
    state = CardState()
    if user_id is None or not paper_ids:
        return state
    marked = {"saved": state.saved, "dismissed": state.dismissed, "voted": state.voted}
    for kind, paper_id, collection_id, name in store.card_marks(session, user_id, paper_ids):
        if kind == "collection":
            state.collections.append((collection_id, name))
        elif kind == "collected":
            state.collected.add((collection_id, paper_id))
        else:
            marked[kind].add(paper_id)
    return state


# --- reading a library or a collection, a page at a time -------------------------------------------------


@dataclass(frozen=True)
class ListKey:
    """Where a page of a library or a collection ends: its last paper's time of adding, and the paper's id.
    The next page starts after it, so papers added or removed meanwhile neither repeat nor go missing."""

    added_at: datetime
    paper_id: int

    @property
    def token(self) -> str:
        """The key as an API cursor: microseconds since 1970 (UTC), a dash, the paper's id."""
        return f"{(self.added_at - _EPOCH) // timedelta(microseconds=1)}-{self.paper_id}"

    @classmethod
    def from_token(cls, token: str) -> ListKey:
        """ValueError for a token `token` did not make."""
        match = _TOKEN.fullmatch(token)
        if not match:
            raise ValueError("not a cursor of this list: use the Link of the page before")
        try:
            added_at = _EPOCH + timedelta(microseconds=int(match[1]))
        except OverflowError:
            raise ValueError("not a cursor of this list: the time is out of range") from None
        if int(match[2]) > _MAX_ID:
            raise ValueError("not a cursor of this list: the paper id is out of range")
        return cls(added_at, int(match[2]))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TOKEN = re.compile(r"([0-9]{1,18})-([0-9]{1,10})")
_MAX_ID = 2**31 - 1  # ids are 32-bit INTEGER columns


@dataclass
class PaperPage:
    papers: list[Paper]
    next: ListKey | None  # where the next page starts; None on the last page


def _page(session: Session, shelf: Shelf, limit: int, offset: int, after: ListKey | None) -> PaperPage:
    """Newest first: a page of the visible papers of a library or a collection."""
    rows = store.shelf_page(session, shelf, limit + 1, offset, (after.added_at, after.paper_id) if after else None)
    last = rows[limit - 1] if len(rows) > limit else None
    return PaperPage([paper for paper, _ in rows[:limit]], ListKey(last[1], last[0].id) if last else None)


def library_page(session: Session, user: User, limit: int, offset: int = 0, after: ListKey | None = None) -> PaperPage:
    """The user's saved papers, newest save first: `limit` of them, from `offset` or after `after`."""
    return _page(session, library_shelf(user.id), limit, offset, after)


def library_size(session: Session, user: User) -> int:
    return store.visible_shelf_size(session, library_shelf(user.id))


# --- collections ----------------------------------------------------------------------------------------


def create_collection(session: Session, user: User, name: str, public: bool = False) -> Collection:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("a collection needs a name")
    if len(name) > MAX_COLLECTION_NAME:
        raise InvalidInput(f"a collection name has at most {MAX_COLLECTION_NAME} characters")
    if store.collection_named(session, user.id, name):
        raise InvalidInput(f"you already have a collection named {name!r}")
    return store.add_collection(session, user.id, name, public)


def get_collection(session: Session, viewer: User | None, collection_id: int) -> Collection:
    """A public collection, or a private one its owner asks for; NotFound otherwise (a private collection
    does not reveal that it exists)."""
    collection = store.collection_by_id(session, collection_id)
    if collection is None or not (collection.public or (viewer is not None and viewer.id == collection.user_id)):
        raise NotFound(f"no collection {collection_id}")
    return collection


def own_collection(session: Session, user: User, collection_id: int) -> Collection:
    collection = get_collection(session, user, collection_id)
    if collection.user_id != user.id:
        raise NotFound(f"no collection {collection_id}")
    return collection


def set_in_collection(session: Session, user: User, collection_id: int, arxiv_id: str, on: bool = True) -> bool:
    collection = own_collection(session, user, collection_id)
    paper = load_paper(session, arxiv_id)
    if on:
        _add_papers(session, collection_shelf(collection.id), [paper.id], f"the collection “{collection.name}”")
    else:
        store.remove_from_shelf(session, collection_shelf(collection.id), paper.id)
    return on


def collect_into_new(session: Session, user: User, name: str, arxiv_id: str) -> Collection:
    """A new collection holding this paper: one step from a card's Collect menu. The paper is found first,
    so an unknown id leaves no empty collection behind."""
    paper = load_paper(session, arxiv_id)
    collection = create_collection(session, user, name)
    store.add_to_shelf(session, collection_shelf(collection.id), [paper.id])
    return collection


def update_collection(session: Session, user: User, collection_id: int, public: bool) -> Collection:
    collection = own_collection(session, user, collection_id)
    collection.public = public
    return collection


def delete_collection(session: Session, user: User, collection_id: int) -> None:
    store.delete_collection(session, own_collection(session, user, collection_id))


def user_collections(session: Session, user: User) -> list[Collection]:
    return store.collections_of(session, user.id)


def collection_page(
    session: Session, collection: Collection, limit: int, offset: int = 0, after: ListKey | None = None
) -> PaperPage:
    """The collection's papers, newest addition first: `limit` of them, from `offset` or after `after`."""
    return _page(session, collection_shelf(collection.id), limit, offset, after)


def collection_size(session: Session, collection: Collection) -> int:
    return store.visible_shelf_size(session, collection_shelf(collection.id))


# --- seeding -------------------------------------------------------------------------------------------


@dataclass
class SeedReport:
    added: list[str] = field(default_factory=list)  # arXiv ids now in the library
    unmatched: list[str] = field(default_factory=list)  # what could not be matched, as the user wrote it


def _bibtex_references(text: str) -> list[tuple[str, str | None]]:
    """(label, arXiv id or None) per BibTeX entry: the id from eprint, url or doi, in that order; the blocks
    that are not entries anyone could read are one reference, that says how many there were."""
    blocks = len(_BIBTEX_BLOCK.findall(text))
    if blocks > MAX_SEED_REFERENCES:
        raise InvalidInput(f"the file has {blocks} BibTeX blocks; at most {MAX_SEED_REFERENCES} at a time")
    parsed = bibtexparser.parse_string(text)
    found = []
    for entry in parsed.entries:
        fields = {f.key.lower(): str(f.value) for f in entry.fields}
        arxiv_id = None
        for name in ("eprint", "url", "doi", "arxivid", "journal"):
            value = fields.get(name, "").strip()
            arxiv_id = _find_arxiv_id(value, bare=name in ("eprint", "arxivid"))
            if arxiv_id:
                break
        found.append((fields.get("title") or entry.key, arxiv_id))
    failed = [block for block in parsed.failed_blocks if isinstance(block, ParsingFailedBlock)]
    if failed:
        first_line = failed[0].start_line
        where = f" (the first on line {first_line + 1})" if first_line is not None else ""
        unread = f"{len(failed)} BibTeX block{'s' if len(failed) > 1 else ''}"
        found.append((f"{unread} that could not be read{where}", None))
    return found


def _find_arxiv_id(text: str, bare: bool = False) -> str | None:
    if not text:
        return None
    if bare:
        try:
            return parse_arxiv_id(text).id
        except InvalidInput:
            pass
    match = _ARXIV_IN_TEXT.search(text)
    if match:
        try:
            return parse_arxiv_id(match.group(1)).id
        except InvalidInput:
            return None
    return None


def parse_references(text: str) -> list[tuple[str, str | None]]:
    """(label, arXiv id or None) for each reference in `text`: a BibTeX file, or ids and URLs one per line
    (or separated by spaces or commas). InvalidInput when there is more than a seed takes at once."""
    if len(text) > MAX_SEED_CHARS:
        raise InvalidInput(f"the references are {len(text):,} characters long; the limit is {MAX_SEED_CHARS:,}")
    if "@" in text and re.search(r"@\w+\s*\{", text):
        return _bibtex_references(text)
    references = []
    for token in re.split(r"[\s,;]+", text.strip()):
        if token:
            references.append((token, _find_arxiv_id(token, bare=True)))
    return references


def seed_library(session: Session, user: User, text: str) -> SeedReport:
    """Save every referenced paper the store holds; report the references it could not match."""
    references = parse_references(text)
    if len(references) > MAX_SEED_REFERENCES:
        raise InvalidInput(f"at most {MAX_SEED_REFERENCES} references at a time")
    report = SeedReport()
    ids = {arxiv_id for _, arxiv_id in references if arxiv_id}
    known = store.visible_papers_by_arxiv_id(session, ids)
    for label, arxiv_id in references:
        paper = known.get(arxiv_id or "")
        if paper is None:
            report.unmatched.append(label if arxiv_id is None else f"{label} (not in this site's papers)")
        elif paper.arxiv_id not in report.added:
            report.added.append(paper.arxiv_id)
    if report.added:  # all of them or, past the library's bound, none
        _save_papers(session, user, [known[arxiv_id].id for arxiv_id in report.added])
    return report

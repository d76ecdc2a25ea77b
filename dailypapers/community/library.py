"""A user's own signals beside upvotes: the private library (saves), "not interested" (dismissals), named
collections, and seeding the library from pasted ids or a BibTeX file (ranking/signals.py reads them all).

Every write is idempotent (asking for the state you already have changes nothing), so a double submit or a
retried API call is harmless.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import bibtexparser
from bibtexparser.model import ParsingFailedBlock
from sqlalchemy import Integer, String, bindparam, cast, delete, literal, literal_column, null, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dailypapers.community.papers import load_paper
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.sources.ids import parse_arxiv_id
from dailypapers.store.models import Collection, CollectionItem, Dismissal, Paper, Save, User, Vote, utcnow

MAX_COLLECTION_NAME = 120
MAX_SEED_REFERENCES = 2000
MAX_SEED_CHARS = 250_000  # about 2,000 BibTeX entries
# Where bibtexparser starts a block (its splitter's own rule): counted before parsing, to bound the work.
_BIBTEX_BLOCK = re.compile(r"@\w*[ \t]*[{(]")

# bibtexparser logs a warning and an info line for every block it cannot read: thousands of lines, and seconds
# of work, for one malformed upload. The seed counts those blocks in its report instead.
logging.getLogger("bibtexparser").setLevel(logging.ERROR)

# arXiv ids inside free text: a DOI 10.48550/arXiv.2501.01234, a URL, or "arXiv:2501.01234".
_ARXIV_IN_TEXT = re.compile(r"(?:arxiv[.:/]\s*|arxiv\.org/(?:abs|pdf)/)((?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})"
                            r"(?:v\d+)?)", re.IGNORECASE)


def _insert_once(session: Session, model, **values) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    keys = [c.name for c in model.__table__.primary_key.columns]
    session.execute(dialect.insert(model).values(**values).on_conflict_do_nothing(index_elements=keys))


def _set_mark(session: Session, model, user: User, arxiv_id: str, on: bool | None) -> bool:
    """Put the (user, paper) row of `model` in the wanted state (None toggles); returns the new state."""
    paper = load_paper(session, arxiv_id)
    if on is None:
        on = session.get(model, (user.id, paper.id)) is None
    if on:
        _insert_once(session, model, user_id=user.id, paper_id=paper.id, created_at=utcnow())
    else:
        session.execute(delete(model).where(model.user_id == user.id, model.paper_id == paper.id))
    return on


def save(session: Session, user: User, arxiv_id: str, on: bool | None = None) -> bool:
    """Keep the paper in (or take it out of) the user's private library."""
    return _set_mark(session, Save, user, arxiv_id, on)


def dismiss(session: Session, user: User, arxiv_id: str, on: bool | None = None) -> bool:
    """Mark the paper "not interested" (or take the mark back)."""
    return _set_mark(session, Dismissal, user, arxiv_id, on)


@dataclass
class CardState:
    """What the cards of a page show for the signed-in user, read in one query for the whole page."""

    saved: set[int] = field(default_factory=set)
    dismissed: set[int] = field(default_factory=set)
    collections: list[tuple[int, str]] = field(default_factory=list)  # the user's (id, name), for "add to"
    collected: set[tuple[int, int]] = field(default_factory=set)  # (collection id, paper id)
    voted: set[int] = field(default_factory=set)  # the papers the user has upvoted


def _card_state_statement():
    """Every mark of a user on some papers, and the user's collections, as (kind, paper, collection, name) rows of
    one statement: a page used to ask five times."""
    user, ids = bindparam("user_id"), bindparam("ids", expanding=True)
    no_id, no_name = cast(null(), Integer), cast(null(), String)

    def marks(kind: str, model):
        return select(literal(kind), model.paper_id, no_id, no_name).where(model.user_id == user,
                                                                           model.paper_id.in_(ids))

    collected = (select(literal("collected"), CollectionItem.paper_id, CollectionItem.collection_id, no_name)
                 .join(Collection, Collection.id == CollectionItem.collection_id)
                 .where(Collection.user_id == user, CollectionItem.paper_id.in_(ids)))
    collections = select(literal("collection"), no_id, Collection.id, Collection.name).where(Collection.user_id == user)
    rows = union_all(marks("saved", Save), marks("dismissed", Dismissal), marks("voted", Vote), collected, collections)
    return rows.order_by(literal_column("4"))  # the collections by name, in the database's collation as before


_CARD_STATE = _card_state_statement()


def card_state(session: Session, user_id: int | None, paper_ids: list[int]) -> CardState:
    state = CardState()
    if user_id is None or not paper_ids:
        return state
    marked = {"saved": state.saved, "dismissed": state.dismissed, "voted": state.voted}
    for kind, paper_id, collection_id, name in session.execute(_CARD_STATE, {"user_id": user_id,
                                                                            "ids": list(paper_ids)}):
        if kind == "collection":
            state.collections.append((collection_id, name))
        elif kind == "collected":
            state.collected.add((collection_id, paper_id))
        else:
            marked[kind].add(paper_id)
    return state


def library_papers(session: Session, user: User) -> list[Paper]:
    """The user's saved papers, newest save first."""
    return list(session.scalars(select(Paper).join(Save, Save.paper_id == Paper.id)
                                .where(Save.user_id == user.id, Paper.hidden.is_(False))
                                .order_by(Save.created_at.desc(), Paper.id.desc())))


# --- collections ----------------------------------------------------------------------------------------


def create_collection(session: Session, user: User, name: str, public: bool = False) -> Collection:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("a collection needs a name")
    if len(name) > MAX_COLLECTION_NAME:
        raise InvalidInput(f"a collection name has at most {MAX_COLLECTION_NAME} characters")
    if session.scalar(select(Collection).where(Collection.user_id == user.id, Collection.name == name)):
        raise InvalidInput(f"you already have a collection named {name!r}")
    collection = Collection(user_id=user.id, name=name, public=public, created_at=utcnow())
    session.add(collection)
    session.flush()
    return collection


def get_collection(session: Session, viewer: User | None, collection_id: int) -> Collection:
    """A public collection, or a private one its owner asks for; NotFound otherwise (a private collection
    does not reveal that it exists)."""
    collection = session.get(Collection, collection_id)
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
        _insert_once(session, CollectionItem, collection_id=collection.id, paper_id=paper.id, created_at=utcnow())
    else:
        session.execute(delete(CollectionItem).where(CollectionItem.collection_id == collection.id,
                                                     CollectionItem.paper_id == paper.id))
    return on


def collect_into_new(session: Session, user: User, name: str, arxiv_id: str) -> Collection:
    """A new collection holding this paper: one step from a card's Collect menu. The paper is found first,
    so an unknown id leaves no empty collection behind."""
    paper = load_paper(session, arxiv_id)
    collection = create_collection(session, user, name)
    _insert_once(session, CollectionItem, collection_id=collection.id, paper_id=paper.id, created_at=utcnow())
    return collection


def update_collection(session: Session, user: User, collection_id: int, public: bool) -> Collection:
    collection = own_collection(session, user, collection_id)
    collection.public = public
    return collection


def delete_collection(session: Session, user: User, collection_id: int) -> None:
    session.delete(own_collection(session, user, collection_id))


def user_collections(session: Session, user: User) -> list[Collection]:
    return list(session.scalars(select(Collection).where(Collection.user_id == user.id).order_by(Collection.name)))


def collection_papers(session: Session, collection: Collection) -> list[Paper]:
    return list(session.scalars(select(Paper).join(CollectionItem, CollectionItem.paper_id == Paper.id)
                                .where(CollectionItem.collection_id == collection.id, Paper.hidden.is_(False))
                                .order_by(CollectionItem.created_at.desc(), Paper.id.desc())))


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
        found.append((f"{len(failed)} BibTeX block{'s' if len(failed) > 1 else ''} that could not be read (the "
                      f"first on line {failed[0].start_line + 1})", None))
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
    known = {p.arxiv_id: p for p in session.scalars(select(Paper).where(Paper.arxiv_id.in_(ids),
                                                                        Paper.hidden.is_(False)))} if ids else {}
    for label, arxiv_id in references:
        paper = known.get(arxiv_id or "")
        if paper is None:
            report.unmatched.append(label if arxiv_id is None else f"{label} (not in this site's papers)")
        elif paper.arxiv_id not in report.added:
            _insert_once(session, Save, user_id=user.id, paper_id=paper.id, created_at=utcnow())
            report.added.append(paper.arxiv_id)
    return report

"""The library's tables: a user's saves and "not interested" marks, collections and their papers, saved
searches, and author claims. Every SQL statement about them is here; community/ decides what a user may do
(the bounds, who sees what, the claims' rules) and calls these to read and write.

A library (saves) and a collection (collection items) are both a shelf: a list of papers with the time each
came in, read and written by one set of functions.
"""

from __future__ import annotations

from collections.abc import Collection as Many  # any sized group of ids; `Collection` is the model
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    cast,
    delete,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload

from dailypapers.store.db import added, deleted, insert_or_else
from dailypapers.store.models import (
    AuthorClaim,
    Collection,
    CollectionItem,
    Dismissal,
    Paper,
    Save,
    SavedSearch,
    User,
    Vote,
    utcnow,
)
from dailypapers.store.versions import UNSEEN, seen_now

# A claim's states. A live claim (waiting or approved) is one its user holds; a rejected one stays, dated.
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
LIVE = (PENDING, APPROVED)

Mark = type[Save] | type[Dismissal]  # a user's own mark on a paper: saved, not interested
Position = tuple[datetime, int]  # where a page of a list ends: the last paper's time of adding, and its id


@dataclass(frozen=True)
class Shelf:
    """A list of papers with the time each came in: a user's library (saves) or a collection (its items)."""

    model: type[Save] | type[CollectionItem]
    owner: InstrumentedAttribute[int]  # the column naming whose list a row is in
    owner_id: int

    @property
    def rows(self) -> ColumnElement[bool]:
        return self.owner == self.owner_id


def library_shelf(user_id: int) -> Shelf:
    return Shelf(Save, Save.user_id, user_id)


def collection_shelf(collection_id: int) -> Shelf:
    return Shelf(CollectionItem, CollectionItem.collection_id, collection_id)


# --- papers on a shelf ------------------------------------------------------------------------------------


def shelf_holds(session: Session, shelf: Shelf, paper_ids: Many[int]) -> set[int]:
    """Which of `paper_ids` the shelf holds."""
    if not paper_ids:
        return set()
    return set(session.scalars(select(shelf.model.paper_id).where(shelf.rows, shelf.model.paper_id.in_(paper_ids))))


def shelf_size(session: Session, shelf: Shelf) -> int:
    """How many papers the shelf holds, hidden ones too: what its bound counts."""
    return session.scalar(select(func.count()).select_from(shelf.model).where(shelf.rows)) or 0


def visible_shelf_size(session: Session, shelf: Shelf) -> int:
    """How many papers of the shelf anyone but an administrator sees."""
    model = shelf.model
    return (
        session.scalar(
            select(func.count())
            .select_from(model)
            .join(Paper, Paper.id == model.paper_id)
            .where(shelf.rows, Paper.hidden.is_(False))
        )
        or 0
    )


def add_to_shelf(session: Session, shelf: Shelf, paper_ids: list[int]) -> None:
    """Put the papers on the shelf, added now at their current versions; one there already keeps its time."""
    if paper_ids:
        seen = seen_now(session, paper_ids)
        _insert_once(
            session,
            shelf.model,
            [
                {
                    shelf.owner.key: shelf.owner_id,
                    "paper_id": paper_id,
                    "created_at": utcnow(),
                    **seen.get(paper_id, UNSEEN),
                }
                for paper_id in paper_ids
            ],
        )


def remove_from_shelf(session: Session, shelf: Shelf, paper_id: int) -> None:
    session.execute(delete(shelf.model).where(shelf.rows, shelf.model.paper_id == paper_id))


def shelf_page(
    session: Session, shelf: Shelf, limit: int, offset: int = 0, after: Position | None = None
) -> list[tuple[Paper, datetime]]:
    """Newest first: (paper, time of adding) of up to `limit` visible papers of the shelf, from `offset` or after
    `after`."""
    model = shelf.model
    stmt = (
        select(Paper, model.created_at)
        .join(model, model.paper_id == Paper.id)
        .where(shelf.rows, Paper.hidden.is_(False))
        .order_by(model.created_at.desc(), model.paper_id.desc())
    )
    if after is not None:
        added_at, paper_id = after
        stmt = stmt.where(
            or_(model.created_at < added_at, and_(model.created_at == added_at, model.paper_id < paper_id))
        )
    return [(paper, added) for paper, added in session.execute(stmt.offset(offset).limit(limit))]


def _insert_once(
    session: Session, model: type[Save] | type[CollectionItem] | type[Dismissal], rows: list[dict[str, object]]
) -> None:
    """Insert the rows; one there already stays as it is."""
    keys = [column.name for column in model.__table__.primary_key]
    session.execute(insert_or_else(session, model).values(rows).on_conflict_do_nothing(index_elements=keys))


# --- a user's marks: saved, not interested ---------------------------------------------------------------


def has_mark(session: Session, mark: Mark, user_id: int, paper_id: int) -> bool:
    return session.get(mark, (user_id, paper_id)) is not None


def remove_mark(session: Session, mark: Mark, user_id: int, paper_id: int) -> None:
    session.execute(delete(mark).where(mark.user_id == user_id, mark.paper_id == paper_id))


def add_dismissal(session: Session, user_id: int, paper_id: int) -> None:
    _insert_once(session, Dismissal, [{"user_id": user_id, "paper_id": paper_id, "created_at": utcnow()}])


def _card_marks_statement() -> CompoundSelect[str, int, int, str]:
    """Every mark of a user on some papers, and the user's collections, as (kind, paper, collection, name) rows of
    one statement: a page of cards used to ask five times."""
    user: BindParameter[int] = bindparam("user_id", type_=Integer)
    ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
    no_id, no_name = cast(null(), Integer), cast(null(), String)

    def marks(kind: str, model: type[Save] | type[Dismissal] | type[Vote]) -> Select[str, int, int, str]:
        return select(literal(kind), model.paper_id, no_id, no_name).where(
            model.user_id == user, model.paper_id.in_(ids)
        )

    collected = (
        select(literal("collected"), CollectionItem.paper_id, CollectionItem.collection_id, no_name)
        .join(Collection, Collection.id == CollectionItem.collection_id)
        .where(Collection.user_id == user, CollectionItem.paper_id.in_(ids))
    )
    collections = select(literal("collection"), no_id, Collection.id, Collection.name).where(Collection.user_id == user)
    rows = union_all(marks("saved", Save), marks("dismissed", Dismissal), marks("voted", Vote), collected, collections)
    return rows.order_by(literal_column("4"))  # the collections by name, in the database's collation


_CARD_MARKS = _card_marks_statement()  # asked on every member's page: built once, the values bound per call


def card_marks(session: Session, user_id: int, paper_ids: Many[int]) -> list[Row[str, int, int, str]]:
    """What a page of cards shows of the user, in one statement: a row (kind, paper id, collection id, name) for
    each of `paper_ids` the user "saved", "dismissed" or "voted" for, each (collection, paper) "collected", and
    each of the user's collections ("collection": its id and name, by name)."""
    return list(session.execute(_CARD_MARKS, {"user_id": user_id, "ids": list(paper_ids)}))


def marks_of(session: Session, user_id: int) -> tuple[list[tuple[int, datetime]], list[tuple[int, datetime]]]:
    """What the personal feed learns from: (paper id, when) of the user's upvotes, saves and collection items
    (liked), and of their "not interested" marks (dismissed)."""
    liked: list[tuple[int, datetime]] = []
    for model in (Vote, Save):
        liked += session.execute(select(model.paper_id, model.created_at).where(model.user_id == user_id)).all()
    liked += session.execute(
        select(CollectionItem.paper_id, CollectionItem.created_at)
        .join(Collection, Collection.id == CollectionItem.collection_id)
        .where(Collection.user_id == user_id)
    ).all()
    dismissed: list[tuple[int, datetime]] = list(
        session.execute(select(Dismissal.paper_id, Dismissal.created_at).where(Dismissal.user_id == user_id)).all()
    )
    return liked, dismissed


def marks_by_kind(session: Session, user_id: int) -> list[tuple[str, int, datetime]]:
    """Every signal of the user as (kind, paper id, when): kind "upvote", "save", "dismissal", or
    "collection:NAME" for an item of the collection NAME (the profile names each)."""
    rows: list[tuple[str, int, datetime]] = []
    for kind, model in (("upvote", Vote), ("save", Save), ("dismissal", Dismissal)):
        found = session.execute(select(model.paper_id, model.created_at).where(model.user_id == user_id))
        rows += [(kind, pid, at) for pid, at in found]
    items = session.execute(
        select(Collection.name, CollectionItem.paper_id, CollectionItem.created_at)
        .join(Collection, Collection.id == CollectionItem.collection_id)
        .where(Collection.user_id == user_id)
    )
    return rows + [(f"collection:{name}", pid, at) for name, pid, at in items]


def visible_papers_by_arxiv_id(session: Session, arxiv_ids: Many[str]) -> dict[str, Paper]:
    """{arXiv id: paper} of those ids the store holds and shows (what a seed can save)."""
    if not arxiv_ids:
        return {}
    return {
        paper.arxiv_id: paper
        for paper in session.scalars(select(Paper).where(Paper.arxiv_id.in_(arxiv_ids), Paper.hidden.is_(False)))
    }


# --- collections ------------------------------------------------------------------------------------------


def collection_by_id(session: Session, collection_id: int) -> Collection | None:
    return session.get(Collection, collection_id)


def collection_named(session: Session, user_id: int, name: str) -> Collection | None:
    return session.scalar(select(Collection).where(Collection.user_id == user_id, Collection.name == name))


def add_collection(session: Session, user_id: int, name: str, public: bool) -> Collection:
    collection = Collection(user_id=user_id, name=name, public=public, created_at=utcnow())
    return added(session, collection)


def delete_collection(session: Session, collection: Collection) -> None:
    """The collection goes, and its papers with it (not the papers themselves)."""
    session.delete(collection)


def collections_of(session: Session, user_id: int) -> list[Collection]:
    """The user's collections, by name."""
    return list(session.scalars(select(Collection).where(Collection.user_id == user_id).order_by(Collection.name)))


# --- saved searches ---------------------------------------------------------------------------------------


def saved_search_by_id(session: Session, saved_id: int) -> SavedSearch | None:
    return session.get(SavedSearch, saved_id)


def saved_search_id_named(session: Session, user_id: int, name: str) -> int | None:
    """The id of the user's saved search with this name, if any."""
    return session.scalar(select(SavedSearch.id).where(SavedSearch.user_id == user_id, SavedSearch.name == name))


def saved_searches_of(session: Session, user_id: int) -> list[SavedSearch]:
    """The user's saved searches, by name."""
    return list(
        session.scalars(
            select(SavedSearch).where(SavedSearch.user_id == user_id).order_by(SavedSearch.name, SavedSearch.id)
        )
    )


def add_saved_search(session: Session, saved: SavedSearch) -> SavedSearch:
    """Keep a new saved search (its id is set when this returns)."""
    saved.created_at = utcnow()
    return added(session, saved)


def delete_saved_search(session: Session, saved: SavedSearch) -> None:
    session.delete(saved)


def emailed_saved_searches(session: Session) -> list[SavedSearch]:
    """Every saved search its owner wants in their digest, by name."""
    return list(
        session.scalars(
            select(SavedSearch).where(SavedSearch.email.is_(True)).order_by(SavedSearch.name, SavedSearch.id)
        )
    )


# --- author claims ----------------------------------------------------------------------------------------


def claim_by_id(session: Session, claim_id: int) -> AuthorClaim | None:
    return session.get(AuthorClaim, claim_id)


def claims_on_paper(session: Session, paper_id: int) -> list[AuthorClaim]:
    """Every claim of the paper's authors, whatever its state."""
    return list(session.scalars(select(AuthorClaim).where(AuthorClaim.paper_id == paper_id)))


def live_claim(session: Session, user_id: int, paper_id: int, author_index: int | None = None) -> AuthorClaim | None:
    """The user's live claim on the paper (of the author at `author_index`, when given)."""
    stmt = select(AuthorClaim).where(
        AuthorClaim.paper_id == paper_id, AuthorClaim.user_id == user_id, AuthorClaim.status.in_(LIVE)
    )
    if author_index is not None:
        stmt = stmt.where(AuthorClaim.author_index == author_index)
    return session.scalar(stmt)


def add_claim(session: Session, *, paper_id: int, author_index: int, author_key: str, user_id: int) -> AuthorClaim:
    """A new claim, waiting for an administrator."""
    claim = AuthorClaim(
        paper_id=paper_id, author_index=author_index, user_id=user_id, author_key=author_key, status=PENDING
    )
    return added(session, claim)


def delete_claim(session: Session, claim: AuthorClaim) -> None:
    deleted(session, claim)


def reject_rivals(session: Session, claim: AuthorClaim, decided_at: datetime) -> None:
    """Turn down every other live claim of the same author of the same paper."""
    session.execute(
        update(AuthorClaim)
        .where(
            AuthorClaim.paper_id == claim.paper_id,
            AuthorClaim.author_index == claim.author_index,
            AuthorClaim.id != claim.id,
            AuthorClaim.status.in_(LIVE),
        )
        .values(status=REJECTED, decided_at=decided_at)
    )


def pending_claims(session: Session) -> list[AuthorClaim]:
    """Claims waiting for an administrator, oldest first, with their user and paper."""
    return list(
        session.scalars(
            select(AuthorClaim)
            .options(joinedload(AuthorClaim.user), joinedload(AuthorClaim.paper))
            .where(AuthorClaim.status == PENDING)
            .order_by(AuthorClaim.created_at, AuthorClaim.id)
        )
    )


# asked on every paper page: built once, the values bound per call (a user id of None matches no claim)
_SHOWN_CLAIMS = (
    select(AuthorClaim)
    .options(joinedload(AuthorClaim.user))
    .where(
        AuthorClaim.paper_id.in_(bindparam("ids", expanding=True)),
        or_(
            AuthorClaim.status == APPROVED,
            and_(AuthorClaim.user_id == bindparam("user_id"), AuthorClaim.status.in_(LIVE)),
        ),
    )
)


def approved_claims(session: Session, paper_ids: Many[int], also_of: int | None = None) -> list[AuthorClaim]:
    """The approved claims of these papers, with their user; and the live (waiting or approved) claims of the user
    `also_of`, in the same statement (a reader sees their own waiting claim)."""
    if not paper_ids:
        return []
    return list(session.scalars(_SHOWN_CLAIMS, {"ids": list(paper_ids), "user_id": also_of}))


def has_approved_claim(session: Session, user_id: int, paper_id: int) -> bool:
    """True when the user is a verified author of the paper."""
    return (
        session.scalar(
            select(AuthorClaim.id).where(
                AuthorClaim.paper_id == paper_id, AuthorClaim.user_id == user_id, AuthorClaim.status == APPROVED
            )
        )
        is not None
    )


def approved_claimant(session: Session, author_key: str) -> User | None:
    """The user the earliest approved claim links to this author name, if any."""
    return session.scalar(
        select(User)
        .join(AuthorClaim, AuthorClaim.user_id == User.id)
        .where(AuthorClaim.author_key == author_key, AuthorClaim.status == APPROVED)
        .order_by(AuthorClaim.decided_at)
        .limit(1)
    )

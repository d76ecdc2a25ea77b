"""A member's own rows read whole with their times, and written back with the times they carry: what a
member's export holds and another instance imports (portable/ decides the rules). Rows already there keep
their own time, so an import merges and importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Collection as Many
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from dailypapers.store.db import insert_or_else
from dailypapers.store.models import CollectionItem, Dismissal, Paper, Save, Subscriber, Vote
from dailypapers.store.versions import UNSEEN, seen_now

Timed = list[tuple[Paper, datetime]]  # papers with the time each was marked, oldest first
Mark = type[Vote] | type[Save] | type[Dismissal] | type[CollectionItem]


_OWNERS: dict[Mark, InstrumentedAttribute[int]] = {  # the column naming whose mark a row is
    Vote: Vote.user_id,
    Save: Save.user_id,
    Dismissal: Dismissal.user_id,
    CollectionItem: CollectionItem.collection_id,
}


def _owner(model: Mark) -> InstrumentedAttribute[int]:
    return _OWNERS[model]


def marked(session: Session, model: Mark, owner_id: int) -> Timed:
    """Every paper the user (or, for collection items, the collection) marked, hidden ones too: they are still
    the member's, and another instance may show them."""
    rows = session.execute(
        select(Paper, model.created_at)
        .join(model, model.paper_id == Paper.id)
        .where(_owner(model) == owner_id)
        .order_by(model.created_at, model.paper_id)
    )
    return [(paper, at) for paper, at in rows]


def add_marked(session: Session, model: Mark, owner_id: int, rows: list[tuple[int, datetime]]) -> None:
    """Mark (paper id, time) rows; a paper marked already keeps its own time."""
    if not rows:
        return
    values = [{_owner(model).key: owner_id, "paper_id": paper_id, "created_at": at} for paper_id, at in rows]
    if model is Save or model is CollectionItem:  # kept papers remember the version they came in at
        seen = seen_now(session, [paper_id for paper_id, _ in rows])
        values = [{**value, **seen.get(paper_id, UNSEEN)} for value, (paper_id, _) in zip(values, rows, strict=True)]
    keys = [column.name for column in model.__table__.primary_key]
    session.execute(insert_or_else(session, model).values(values).on_conflict_do_nothing(index_elements=keys))
    if model is Vote:
        _recount_upvotes(session, [paper_id for paper_id, _ in rows])


def _recount_upvotes(session: Session, paper_ids: Many[int]) -> None:
    """`papers.upvotes` equal to count(votes) again, in the votes' transaction (as store/votes.py keeps it)."""
    count: ColumnElement[int] = (
        select(func.count()).select_from(Vote).where(Vote.paper_id == Paper.id).scalar_subquery()
    )
    session.execute(
        update(Paper)
        .where(Paper.id.in_(sorted(set(paper_ids))))
        .values(upvotes=count)
        .execution_options(synchronize_session=False)
    )


def arxiv_ids(session: Session, paper_ids: Many[int]) -> list[str]:
    """The arXiv ids of these papers, sorted (how a file names them)."""
    if not paper_ids:
        return []
    return sorted(session.scalars(select(Paper.arxiv_id).where(Paper.id.in_(list(paper_ids)))))


def subscriptions_of(session: Session, user_id: int) -> list[Subscriber]:
    """The digest subscriptions linked to the user's account, by address."""
    return list(session.scalars(select(Subscriber).where(Subscriber.user_id == user_id).order_by(Subscriber.email)))

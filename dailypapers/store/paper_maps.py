"""What a map of the papers reads: the visible papers first published in a date range, or of a list of ids,
as light rows (no abstracts), and a reader's library and "not interested" marks among them."""

from __future__ import annotations

from collections.abc import Collection as Many
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from dailypapers.store.models import CollectionItem, Dismissal, Paper, Save

MapRow = Row[int, str, str, list[str] | None, str]  # id, arxiv_id, title, ai_keywords, content_hash
_COLUMNS = (Paper.id, Paper.arxiv_id, Paper.title, Paper.ai_keywords, Paper.content_hash)


def map_rows_published(session: Session, starts: datetime, ends: datetime) -> Sequence[MapRow]:
    """(id, arxiv_id, title, ai_keywords, content_hash) of the visible papers first published in [starts, ends)."""
    return session.execute(
        select(*_COLUMNS)
        .where(Paper.published_at >= starts, Paper.published_at < ends, Paper.hidden.is_(False))
        .order_by(Paper.id)
    ).all()


def map_rows_of(session: Session, paper_ids: Many[int]) -> Sequence[MapRow]:
    """The same rows for these papers, the visible ones only."""
    if not paper_ids:
        return []
    return session.execute(
        select(*_COLUMNS).where(Paper.id.in_(list(paper_ids)), Paper.hidden.is_(False)).order_by(Paper.id)
    ).all()


def reader_marks(session: Session, user_id: int, paper_ids: Many[int]) -> dict[int, str]:
    """{paper id: "library" or "dismissed"} of these papers for this reader (a saved paper is in the library)."""
    if not paper_ids:
        return {}
    ids = list(paper_ids)
    marks = {
        pid: "dismissed"
        for pid in session.scalars(
            select(Dismissal.paper_id).where(Dismissal.user_id == user_id, Dismissal.paper_id.in_(ids))
        )
    }
    for pid in session.scalars(select(Save.paper_id).where(Save.user_id == user_id, Save.paper_id.in_(ids))):
        marks[pid] = "library"
    return marks


def collection_paper_ids(session: Session, collection_id: int) -> list[int]:
    """Every paper of a collection (who may see it is community's to decide, before)."""
    return list(session.scalars(select(CollectionItem.paper_id).where(CollectionItem.collection_id == collection_id)))

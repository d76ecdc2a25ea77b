"""Paper reads for search and the indexes: hits by id, the papers changed since an index's watermark, and the
first-version dates that topic trends count by month."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import Connection, and_, func, or_, select

from dailypapers.store.models import Paper

PAPERS = Paper.__table__
# What a keyword index needs of a paper.
INDEXED_COLUMNS = (PAPERS.c.id, PAPERS.c.title, PAPERS.c.abstract, PAPERS.c.authors, PAPERS.c.categories,
                   PAPERS.c.published_at, PAPERS.c.code_url, PAPERS.c.hidden, PAPERS.c.change_seq)


def visible_papers(conn: Connection, paper_ids: Iterable[int], with_abstract: bool = False) -> dict:
    """id -> row (id, arxiv_id, title[, abstract]) of those papers that exist and are not hidden."""
    ids = [int(pid) for pid in paper_ids]
    if not ids:
        return {}
    columns = [PAPERS.c.id, PAPERS.c.arxiv_id, PAPERS.c.title] + ([PAPERS.c.abstract] if with_abstract else [])
    rows = conn.execute(select(*columns).where(PAPERS.c.id.in_(ids), PAPERS.c.hidden.is_(False)))
    return {row.id: row for row in rows}


def newest_paper_id(conn: Connection) -> int:
    return conn.execute(select(func.max(PAPERS.c.id))).scalar() or 0


def paper_title(conn: Connection, paper_id: int) -> str | None:
    return conn.execute(select(PAPERS.c.title).where(PAPERS.c.id == paper_id)).scalar()


def last_change_seq(conn: Connection) -> int:
    return conn.execute(select(func.max(PAPERS.c.change_seq))).scalar() or 0


def changed_since(conn: Connection, seq: int, batch: int = 5000) -> Iterator[list]:
    """Pages of papers (INDEXED_COLUMNS) changed after `seq`, in change order: an index's catch-up."""
    after = (seq, 0)
    while True:
        rows = conn.execute(select(*INDEXED_COLUMNS)
                            .where(or_(PAPERS.c.change_seq > after[0],
                                       and_(PAPERS.c.change_seq == after[0], PAPERS.c.id > after[1])))
                            .order_by(PAPERS.c.change_seq, PAPERS.c.id).limit(batch)).all()
        if not rows:
            return
        yield rows
        after = (rows[-1].change_seq, rows[-1].id)


def published_span(conn: Connection) -> tuple[datetime | None, datetime | None]:
    """When the first and the latest visible paper first appeared (None, None for an empty store)."""
    row = conn.execute(select(func.min(PAPERS.c.published_at), func.max(PAPERS.c.published_at))
                       .where(PAPERS.c.hidden.is_(False))).one()
    return row[0], row[1]


def published_between(conn: Connection, start: datetime, before: datetime) -> dict[int, datetime]:
    """id -> first-version date of the visible papers first published on or after `start`, before `before`."""
    rows = conn.execute(select(PAPERS.c.id, PAPERS.c.published_at).where(
        PAPERS.c.hidden.is_(False), PAPERS.c.published_at >= start, PAPERS.c.published_at < before))
    return {row.id: row.published_at for row in rows}

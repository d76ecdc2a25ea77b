"""Paper reads, all of them: one paper by its arXiv id, papers by id and for search hits, the rows of a list of
related papers, the keyset listing, an author's papers, the moderation list; for search and the indexes, hits by
id, the papers changed since an index's watermark, and the first-version dates that topic trends count by month."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol

import numpy as np
from sqlalchemy import Connection, Row, Select, bindparam, func, select, text
from sqlalchemy.orm import Session, joinedload

from dailypapers.errors import NotFound
from dailypapers.store.models import DailyEntry, Paper

PAPERS = Paper.__table__
# A paper as a keyword index takes it, one JSON object built by the database itself (no Python per paper):
# {"id", "text": title and abstract, "authors": [names], "category": [lower-case categories],
#  "has_code": 0 or 1, "published": the first version's proleptic day number (date.toordinal), when known}.
# Categories are validated names (no quotes), so joining them into a JSON array as text is safe.
_DOCUMENT = {
    "sqlite": """json_object('id', id, 'text', title || ' ' || coalesce(abstract, ''),
                 'authors', coalesce(json(authors), '[]'),
                 'category', json('["' || replace(lower(categories), ' ', '","') || '"]'),
                 'has_code', coalesce(code_url, '') != ''{published})""",
    "postgresql": """json_build_object('id', id, 'text', title || ' ' || coalesce(abstract, ''),
                 'authors', coalesce(authors, '[]'::json),
                 'category', to_json(string_to_array(lower(categories), ' ')),
                 'has_code', (coalesce(code_url, '') != '')::int{published})::text""",
}
_DAY_NUMBER = {
    "sqlite": "CAST(julianday(date(published_at)) - 1721424.5 AS INTEGER)",
    "postgresql": "((published_at AT TIME ZONE 'UTC')::date - DATE '0001-01-01' + 1)",
}


class HasPaperId(Protocol):
    paper_id: int


# Statements a page runs on every request are built once, the values bound at each call: building a statement
# cost more than running it.
_BY_ARXIV_ID = (
    select(Paper)
    .options(joinedload(Paper.daily_entry).joinedload(DailyEntry.submitted_by))
    .where(Paper.arxiv_id == bindparam("arxiv_id"))
)


def paper_by_arxiv_id(session: Session, arxiv_id: str) -> Paper | None:
    """The paper with this id, hidden or not, its feed entry and submitter loaded in the same query."""
    return session.scalar(_BY_ARXIV_ID, {"arxiv_id": arxiv_id})


def get_paper(session: Session, arxiv_id: str) -> Paper:
    """The paper with this id, hidden or not; NotFound when the store lacks it."""
    paper = paper_by_arxiv_id(session, arxiv_id)
    if paper is None:
        raise NotFound(f"no paper {arxiv_id} in the store")
    return paper


def has_paper(session: Session, arxiv_id: str) -> bool:
    return session.scalar(select(Paper.id).where(Paper.arxiv_id == arxiv_id)) is not None


_BY_IDS = select(Paper).where(Paper.id.in_(bindparam("ids", expanding=True)))
_BY_IDS_SHOWN = {True: _BY_IDS, False: _BY_IDS.where(Paper.hidden.is_(False))}  # by include_hidden


def papers_by_ids(session: Session, ids: Iterable[int], *, include_hidden: bool = False) -> dict[int, Paper]:
    """{id: paper} of those ids the store holds (and shows, unless `include_hidden`)."""
    ids = list(set(ids))
    if not ids:
        return {}
    return {paper.id: paper for paper in session.scalars(_BY_IDS_SHOWN[include_hidden], {"ids": ids})}


def papers_for_hits(session: Session, hits: Iterable[HasPaperId]) -> dict[int, Paper]:
    """{id: paper} of the visible papers of search hits (or anything with a `paper_id`), in one query."""
    return papers_by_ids(session, (hit.paper_id for hit in hits))


def papers_page(session: Session, *, after_id: int, limit: int) -> list[Paper]:
    """All visible papers in id order, keyset-paged (for the API's cursor listing)."""
    return list(
        session.scalars(
            select(Paper).where(Paper.id > after_id, Paper.hidden.is_(False)).order_by(Paper.id).limit(limit)
        )
    )


def papers_by_author(session: Session, key: str, limit: int) -> list[Paper]:
    """The visible papers whose author keys hold `key` (names.author_key), newest first."""
    return list(
        session.scalars(
            select(Paper)
            .where(Paper.hidden.is_(False), Paper.author_keys.contains(f"|{key}|", autoescape=True))
            .order_by(Paper.published_at.desc(), Paper.id.desc())
            .limit(limit)
        )
    )


def hidden_papers(session: Session) -> list[Paper]:
    """Every hidden paper, the latest first (the moderation queue)."""
    return list(session.scalars(select(Paper).where(Paper.hidden.is_(True)).order_by(Paper.id.desc())))


def count_papers(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Paper)) or 0


def _visible(*columns: Any) -> Select[Any]:
    return select(PAPERS.c.id, PAPERS.c.arxiv_id, PAPERS.c.title, PAPERS.c.upvotes, *columns).where(
        PAPERS.c.id.in_(bindparam("ids", expanding=True)), PAPERS.c.hidden.is_(False)
    )


# asked on every paper page (its related papers): built once, the ids bound per call
_VISIBLE = {False: _visible(), True: _visible(PAPERS.c.abstract)}


def visible_papers(conn: Connection, paper_ids: Iterable[int], with_abstract: bool = False) -> dict[int, Row[Any]]:
    """id -> row (id, arxiv_id, title, upvotes[, abstract]) of those papers that exist and are not hidden."""
    ids = [int(pid) for pid in paper_ids]
    if not ids:
        return {}
    return {row.id: row for row in conn.execute(_VISIBLE[with_abstract], {"ids": ids})}


def newest_paper_id(conn: Connection) -> int:
    return conn.execute(select(func.max(PAPERS.c.id))).scalar() or 0


def paper_title(conn: Connection, paper_id: int) -> str | None:
    return conn.execute(select(PAPERS.c.title).where(PAPERS.c.id == paper_id)).scalar()


_LAST_CHANGE_SEQ = select(func.max(PAPERS.c.change_seq))  # asked before every keyword search: built once


def last_change_seq(conn: Connection) -> int:
    return conn.execute(_LAST_CHANGE_SEQ).scalar() or 0


def changed_documents(conn: Connection, seq: int, batch: int = 5000) -> Iterator[Sequence[Row[Any]]]:
    """Pages of (id, change_seq, hidden, document) of the papers changed after `seq`, in change order: a keyword
    index's catch-up. `document` is the paper as a JSON object (see _DOCUMENT)."""
    dialect = conn.dialect.name
    fields = _DOCUMENT[dialect]
    with_day = fields.format(published=f", 'published', {_DAY_NUMBER[dialect]}")  # tantivy refuses a null
    document = f"CASE WHEN published_at IS NULL THEN {fields.format(published='')} ELSE {with_day} END"
    page = text(
        f"SELECT id, change_seq, hidden, {document} AS document FROM papers "
        "WHERE change_seq > :seq OR (change_seq = :seq AND id > :id) ORDER BY change_seq, id LIMIT :batch"
    )
    after = (seq, 0)
    while True:
        rows = conn.execute(page, {"seq": after[0], "id": after[1], "batch": batch}).all()
        if not rows:
            return
        yield rows
        after = (rows[-1].change_seq, rows[-1].id)


def published_span(conn: Connection) -> tuple[datetime | None, datetime | None]:
    """When the first and the latest visible paper first appeared (None, None for an empty store)."""
    row = conn.execute(
        select(func.min(PAPERS.c.published_at), func.max(PAPERS.c.published_at)).where(PAPERS.c.hidden.is_(False))
    ).one()
    return row[0], row[1]


def published_months(conn: Connection, start: datetime, before: datetime) -> tuple[np.ndarray, np.ndarray]:
    """(ids, months) of the visible papers first published on or after `start`, before `before`: sorted ids
    and each one's month as year * 12 + month - 1, computed by the database (a million rows in a second)."""
    month = {
        "sqlite": "CAST(strftime('%Y', published_at) AS INTEGER) * 12 + CAST(strftime('%m', published_at) "
        "AS INTEGER) - 1",
        "postgresql": "CAST(extract(year FROM published_at AT TIME ZONE 'UTC') * 12 "
        "+ extract(month FROM published_at AT TIME ZONE 'UTC') - 1 AS integer)",
    }[conn.dialect.name]
    rows = conn.execute(
        select(PAPERS.c.id, text(month)).where(
            PAPERS.c.hidden.is_(False), PAPERS.c.published_at >= start, PAPERS.c.published_at < before
        )
    ).all()
    pairs = np.fromiter((value for row in rows for value in row), dtype=np.int64, count=2 * len(rows)).reshape(-1, 2)
    order = np.argsort(pairs[:, 0], kind="stable")  # sorted here: cheaper than the database's sort
    return pairs[order, 0], pairs[order, 1]


def upvote_counts(session: Session) -> dict[int, int]:
    """{paper id: upvotes} of every paper with any (few, beside the corpus): the community's side of For you."""
    rows = session.execute(select(Paper.id, Paper.upvotes).where(Paper.upvotes > 0))
    return {paper_id: upvotes for paper_id, upvotes in rows}

"""A paper's version history (`paper_versions`), and the versions members saw of the papers they keep.

`upsert_papers` (store/papers.py) calls `keep_history` around its update: when a newer arXiv version comes in,
the state the paper had is kept as its old version's row and the new state as the new version's, stamped with
the moment this site saw it (what the digest's "Updated papers you saved" reads). A later change of the same
version (arXiv adds a journal reference without a new version) refreshes that version's row. A paper seen at
one version only has no rows: its `papers` row is its whole history, so importing new papers costs nothing here.
"""

from __future__ import annotations

from collections.abc import Collection as Many
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, func, select, union_all, update
from sqlalchemy.orm import Session

from dailypapers.sources.records import is_withdrawn
from dailypapers.store.db import insert_or_else
from dailypapers.store.models import Collection, CollectionItem, Paper, PaperVersion, Save

PAPERS, VERSIONS = Paper.__table__, PaperVersion.__table__
STATE = ("title", "abstract", "authors", "comments", "journal_ref", "doi")  # what a version row copies
_CHUNK = 500


@dataclass(frozen=True)
class VersionState:
    """What one version of a paper said."""

    version: int
    date: datetime | None
    title: str
    abstract: str
    authors: list[str]
    comments: str | None
    journal_ref: str | None
    doi: str | None
    withdrawn: bool


# --- writes, from upsert_papers --------------------------------------------------------------------------


def old_states(conn: Connection, newer: Many[str]) -> list[Row[Any]]:
    """The stored state of the papers (arXiv ids) about to get a newer version: read before the
    update, kept by `keep_history` after it."""
    return _states(conn, list(newer))


def keep_history(conn: Connection, before: list[Row[Any]], same_version: list[str], now: datetime) -> None:
    """After the papers' update: keep each bumped paper's old state (`before`) and its new one, and refresh the
    row of papers updated at the same version that already have a history."""
    if before:
        _upsert(conn, [_values(row) for row in before], now)
    bumped = [row.arxiv_id for row in before]
    current = _states(conn, bumped) + _states(conn, same_version, with_history_only=True)
    if current:
        _upsert(conn, [_values(row) for row in current], now)


def _states(conn: Connection, arxiv_ids: list[str], with_history_only: bool = False) -> list[Row[Any]]:
    found: list[Row[Any]] = []
    columns = [PAPERS.c.id, PAPERS.c.arxiv_id, PAPERS.c.version, PAPERS.c.updated_at, *(PAPERS.c[n] for n in STATE)]
    for start in range(0, len(arxiv_ids), _CHUNK):
        stmt = select(*columns).where(PAPERS.c.arxiv_id.in_(arxiv_ids[start : start + _CHUNK]))
        if with_history_only:
            stmt = stmt.join(VERSIONS, and_(VERSIONS.c.paper_id == PAPERS.c.id, VERSIONS.c.version == PAPERS.c.version))
        found += conn.execute(stmt).all()
    return found


def _values(row: Row[Any]) -> dict[str, Any]:
    return {
        "paper_id": row.id,
        "version": row.version,
        "date": row.updated_at,
        **{name: getattr(row, name) for name in STATE},
        "withdrawn": is_withdrawn(row.comments),
    }


def _upsert(conn: Connection, rows: list[dict[str, Any]], now: datetime) -> None:
    """Insert each version's row, seen now; a row there already takes the new values and keeps when it was seen."""
    insert = insert_or_else(conn, PaperVersion)
    kept = {name: insert.excluded[name] for name in (*STATE, "date", "withdrawn")}
    conn.execute(
        insert.on_conflict_do_update(index_elements=["paper_id", "version"], set_=kept),
        [{**row, "seen_at": now} for row in rows],
    )


# --- reads ---------------------------------------------------------------------------------------------------


def history(session: Session, paper: Paper) -> list[VersionState]:
    """Every version the site knows of the paper, oldest first; the last is the paper as it stands."""
    if paper.version <= 1:  # nothing came before it: no statement (most papers on a feed are at v1)
        return [_state(paper, paper.version, paper.updated_at)]
    rows = session.scalars(
        select(PaperVersion).where(PaperVersion.paper_id == paper.id).order_by(PaperVersion.version)
    ).all()
    older = [_state(row, row.version, row.date) for row in rows if row.version < paper.version]
    return [*older, _state(paper, paper.version, paper.updated_at)]


def _state(source: Paper | PaperVersion, version: int, when: datetime | None) -> VersionState:
    return VersionState(
        version=version,
        date=when,
        title=source.title,
        abstract=source.abstract or "",
        authors=list(source.authors or []),
        comments=source.comments,
        journal_ref=source.journal_ref,
        doi=source.doi,
        withdrawn=is_withdrawn(source.comments),
    )


def _kept_by(user_id: int) -> Any:
    """(paper id, seen version) of every save and collection item of the user."""
    saves = select(Save.paper_id, Save.seen_version).where(Save.user_id == user_id)
    items = (
        select(CollectionItem.paper_id, CollectionItem.seen_version)
        .join(Collection, Collection.id == CollectionItem.collection_id)
        .where(Collection.user_id == user_id)
    )
    return union_all(saves, items).subquery()


def updated_since_seen(session: Session, user_id: int, paper_ids: Many[int] | None = None) -> dict[int, int]:
    """paper id -> the oldest version the user saw, of the user's kept papers that have a newer version now
    (all of them, or those of `paper_ids`)."""
    if paper_ids is not None and not paper_ids:
        return {}
    kept = _kept_by(user_id)
    stmt = (
        select(kept.c.paper_id, func.min(kept.c.seen_version))
        .join(Paper, Paper.id == kept.c.paper_id)
        .where(kept.c.seen_version < Paper.version, Paper.hidden.is_(False))
        .group_by(kept.c.paper_id)
    )
    if paper_ids is not None:
        stmt = stmt.where(kept.c.paper_id.in_(list(paper_ids)))
    return {paper_id: seen for paper_id, seen in session.execute(stmt)}


def updated_between(session: Session, user_id: int, start: datetime, end: datetime) -> list[tuple[Paper, int]]:
    """(paper, oldest version seen) of the user's kept papers whose current version this site first saw in
    [start, end) and the user has not marked seen: a digest's "Updated papers you saved"."""
    seen = updated_since_seen(session, user_id)
    if not seen:
        return []
    stmt = (
        select(Paper)
        .join(PaperVersion, and_(PaperVersion.paper_id == Paper.id, PaperVersion.version == Paper.version))
        .where(Paper.id.in_(list(seen)), PaperVersion.seen_at >= start, PaperVersion.seen_at < end)
        .order_by(PaperVersion.seen_at.desc(), Paper.id)
    )
    return [(paper, seen[paper.id]) for paper in session.scalars(stmt)]


def mark_seen(session: Session, user_id: int, paper: Paper) -> None:
    """The user has seen the paper's current version: its saves and collection items stop flagging it."""
    session.execute(
        update(Save).where(Save.user_id == user_id, Save.paper_id == paper.id).values(seen_version=paper.version)
    )
    own = select(Collection.id).where(Collection.user_id == user_id)
    session.execute(
        update(CollectionItem)
        .where(CollectionItem.paper_id == paper.id, CollectionItem.collection_id.in_(own))
        .values(seen_version=paper.version)
    )


def current_versions(session: Session, paper_ids: Iterable[int]) -> dict[int, int]:
    """paper id -> its current version: what a new save or collection item remembers."""
    ids = list(paper_ids)
    if not ids:
        return {}
    return {
        paper_id: version
        for paper_id, version in session.execute(select(Paper.id, Paper.version).where(Paper.id.in_(ids)))
    }


def papers_with_ids(session: Session, paper_ids: list[int]) -> list[Paper]:
    """The papers, by id (as asked)."""
    return list(session.scalars(select(Paper).where(Paper.id.in_(paper_ids)).order_by(Paper.id))) if paper_ids else []

"""A paper's version history (`paper_versions`), and the versions members saw of the papers they keep.

`upsert_papers` (store/papers.py) calls `keep_history` around its update: when a newer arXiv version comes in,
the state the paper had is kept as its old version's row and the new state as the new version's, stamped with
the moment this site saw it (what the digest's "Updated papers you saved" reads). A later change of the same
version refreshes that version's row; when the change is news to a reader (arXiv adds a journal reference or a
DOI, or withdraws the paper, usually without a new version) the row is written, and stamped again, even for a
paper seen at one version only. Otherwise such a paper has no rows: its `papers` row is its whole history, so
importing new papers costs nothing here.

Saves and collection items remember the version their member saw and its publication state (journal
reference, DOI, comments line), so news on the same version flags the paper too.
"""

from __future__ import annotations

from collections.abc import Collection as Many
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, or_, select, union_all, update
from sqlalchemy.orm import Session

from dailypapers.sources.records import is_withdrawn
from dailypapers.store.db import insert_or_else
from dailypapers.store.models import Collection, CollectionItem, Paper, PaperVersion, Save

PAPERS, VERSIONS = Paper.__table__, PaperVersion.__table__
STATE = ("title", "abstract", "authors", "comments", "journal_ref", "doi")  # what a version row copies
PUBLICATION = ("journal_ref", "doi", "comments")  # what a kept paper remembers besides its version
_CHUNK = 500


@dataclass(frozen=True)
class Seen:
    """What a member saw of a paper they keep: its version and publication state then."""

    version: int
    journal_ref: str | None
    doi: str | None
    comments: str | None


def is_news(old: Any, new: Any) -> bool:
    """Whether `new` (a paper, a version, a `Seen`) tells a reader of `old` something: a new journal reference
    or DOI, or a withdrawal."""
    return bool(
        (new.journal_ref and new.journal_ref != old.journal_ref)
        or (new.doi and new.doi != old.doi)
        or (is_withdrawn(new.comments) and not is_withdrawn(old.comments))
    )


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


def old_states(conn: Connection, arxiv_ids: Many[str]) -> list[Row[Any]]:
    """The stored state of the papers (arXiv ids) about to be updated: read before the update, kept by
    `keep_history` after it."""
    return _states(conn, list(arxiv_ids))


def keep_history(conn: Connection, before: list[Row[Any]], same_before: list[Row[Any]], now: datetime) -> None:
    """After the papers' update: keep each bumped paper's old state (`before`) and its new one; of the papers
    updated at the same version (`same_before`, their state before), write the row of those with news (stamped
    now) and refresh the row of the others that already have a history."""
    if before:
        _upsert(conn, [_values(row) for row in before], now)
    current = _states(conn, [row.arxiv_id for row in before])
    was = {row.arxiv_id: row for row in same_before}
    after = _states(conn, list(was))
    news = [row for row in after if is_news(was[row.arxiv_id], row)]
    if news:
        _upsert(conn, [_values(row) for row in news], now, stamp=True)
    told = {row.arxiv_id for row in news}
    current += _states(conn, [arxiv_id for arxiv_id in was if arxiv_id not in told], with_history_only=True)
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


def _upsert(conn: Connection, rows: list[dict[str, Any]], now: datetime, stamp: bool = False) -> None:
    """Insert each version's row, seen now; a row there already takes the new values and keeps when it was seen,
    unless `stamp` (news on that version: the digest tells it as of now)."""
    insert = insert_or_else(conn, PaperVersion)
    kept = {name: insert.excluded[name] for name in (*STATE, "date", "withdrawn", *(("seen_at",) if stamp else ()))}
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
    """(paper id, what the user saw) of every save and collection item of the user."""
    seen = [f"seen_{name}" for name in ("version", *PUBLICATION)]
    saves = select(Save.paper_id, *(getattr(Save, name) for name in seen)).where(Save.user_id == user_id)
    items = (
        select(CollectionItem.paper_id, *(getattr(CollectionItem, name) for name in seen))
        .join(Collection, Collection.id == CollectionItem.collection_id)
        .where(Collection.user_id == user_id)
    )
    return union_all(saves, items).subquery()


def updated_since_seen(session: Session, user_id: int, paper_ids: Many[int] | None = None) -> dict[int, Seen]:
    """paper id -> what the user saw first, of the user's kept papers with news since: a newer version, or a
    journal reference, DOI or withdrawal on the same one (all of them, or those of `paper_ids`)."""
    if paper_ids is not None and not paper_ids:
        return {}
    kept = _kept_by(user_id)
    changed = [kept.c[f"seen_{name}"].is_distinct_from(Paper.__table__.c[name]) for name in PUBLICATION]
    stmt = (
        select(kept, Paper.version, *(Paper.__table__.c[name] for name in PUBLICATION))
        .join(Paper, Paper.id == kept.c.paper_id)
        .where(kept.c.seen_version.is_not(None), Paper.hidden.is_(False))
        .where(or_(kept.c.seen_version < Paper.version, *changed))
        .order_by(kept.c.paper_id, kept.c.seen_version)
    )
    if paper_ids is not None:
        stmt = stmt.where(kept.c.paper_id.in_(list(paper_ids)))
    found: dict[int, Seen] = {}
    for row in session.execute(stmt):
        seen = Seen(row.seen_version, row.seen_journal_ref, row.seen_doi, row.seen_comments)
        if row.paper_id not in found and (seen.version < row.version or is_news(seen, row)):
            found[row.paper_id] = seen
    return found


def updated_between(session: Session, user_id: int, start: datetime, end: datetime) -> list[tuple[Paper, Seen]]:
    """(paper, what the user saw first) of the user's kept papers whose current version (or its news) this site
    first saw in [start, end) and the user has not marked seen: a digest's "Updated papers you saved"."""
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
    seen = _seen_values(paper)
    session.execute(update(Save).where(Save.user_id == user_id, Save.paper_id == paper.id).values(seen))
    own = select(Collection.id).where(Collection.user_id == user_id)
    session.execute(
        update(CollectionItem)
        .where(CollectionItem.paper_id == paper.id, CollectionItem.collection_id.in_(own))
        .values(seen)
    )


def seen_now(session: Session, paper_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """paper id -> its `seen_*` column values as it stands: what a new save or collection item remembers."""
    ids = list(paper_ids)
    if not ids:
        return {}
    columns = [Paper.id, Paper.version, *(Paper.__table__.c[name] for name in PUBLICATION)]
    return {row.id: _seen_values(row) for row in session.execute(select(*columns).where(Paper.id.in_(ids)))}


UNSEEN: dict[str, Any] = {"seen_version": None, **{f"seen_{name}": None for name in PUBLICATION}}  # not known


def _seen_values(paper: Paper | Row[Any]) -> dict[str, Any]:
    return {"seen_version": paper.version, **{f"seen_{name}": getattr(paper, name) for name in PUBLICATION}}


def papers_with_ids(session: Session, paper_ids: list[int]) -> list[Paper]:
    """The papers, by id (as asked)."""
    return list(session.scalars(select(Paper).where(Paper.id.in_(paper_ids)).order_by(Paper.id))) if paper_ids else []

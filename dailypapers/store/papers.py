"""Paper writes: `upsert_papers` brings papers in; hiding and the confirmed links are the site's own writes.

Every write of a field a keyword index holds (title, abstract, authors, categories, dates, code link, hidden)
bumps `papers.change_seq` here, in the store function itself, so no caller can forget to tell the indexes.
Reads are store/reads.py's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Update, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dailypapers.errors import InvalidInput
from dailypapers.names import author_keys_text
from dailypapers.sources.links import suggested_links
from dailypapers.sources.records import FIELDS, LINKS, PaperRecord
from dailypapers.store import versions
from dailypapers.store.db import insert_or_else
from dailypapers.store.models import DailyEntry, Paper
from dailypapers.validators import http_url

PAPERS = Paper.__table__
# Metadata arXiv may omit in one source but give in another: a missing value never erases a known one.
_KEEP_IF_MISSING = (
    "comments",
    "journal_ref",
    "doi",
    "license",
    "submitter",
    "report_no",
    "primary_category",
    "published_at",
    "code_url",
    "project_page",
)
_LOOKUP_CHUNK = 500


@dataclass
class UpsertResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertResult) -> UpsertResult:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged


# What a record writes, in this order: `paper_row` computes it once (in the import's parsing processes).
ROW_COLUMNS = (*FIELDS, "suggested_code_url", "suggested_project_page", "author_keys", "content_hash")
_ARXIV_ID, _VERSION, _UPDATED_AT, _HASH = (
    ROW_COLUMNS.index(c) for c in ("arxiv_id", "version", "updated_at", "content_hash")
)
_OLDEST = datetime.min.replace(tzinfo=UTC)
PaperRow = tuple[Any, ...]  # the values of ROW_COLUMNS


def paper_row(record: PaperRecord) -> PaperRow:
    """The values of ROW_COLUMNS for a record: plain values, so they travel between processes cheaply."""
    values = {name: getattr(record, name) for name in FIELDS}
    values["categories"] = " ".join(record.categories)
    # Links are checked again here, whatever built the record: only http(s) links get into the store.
    values.update((name, http_url(values[name])) for name in LINKS)
    suggested_code, suggested_project = suggested_links(record.comments, record.abstract)
    return (
        *values.values(),
        suggested_code,
        suggested_project,
        author_keys_text(record.authors),
        record.content_hash(),
    )


def _is_newer(row: PaperRow, existing: Row[Any]) -> bool:
    """A newer version always wins; the same version wins only when its metadata differs and is not older."""
    if row[_VERSION] != existing.version:
        return bool(row[_VERSION] > existing.version)
    if row[_HASH] == existing.content_hash:
        return False
    if row[_UPDATED_AT] and existing.updated_at:
        current = existing.updated_at if existing.updated_at.tzinfo else existing.updated_at.replace(tzinfo=UTC)
        return bool(row[_UPDATED_AT] >= current)
    return True


def upsert_papers(conn: Connection, records: Iterable[PaperRecord], now: datetime | None = None) -> UpsertResult:
    """Insert new papers, update changed ones, leave the rest untouched (so a re-run writes nothing).

    Runs inside the caller's transaction: a batch is written whole or not at all. `now` (the clock's time by
    default) stamps the rows, and the versions this site sees for the first time.
    """
    return upsert_rows(conn, [paper_row(record) for record in records], now)


def upsert_rows(conn: Connection, rows: Iterable[PaperRow], now: datetime | None = None) -> UpsertResult:
    """`upsert_papers` of records already made `paper_row`s."""
    latest: dict[str, PaperRow] = {}
    for row in rows:
        seen = latest.get(row[_ARXIV_ID])
        if seen is None or (row[_VERSION], row[_UPDATED_AT] or _OLDEST) >= (
            seen[_VERSION],
            seen[_UPDATED_AT] or _OLDEST,
        ):
            latest[row[_ARXIV_ID]] = row
    result = UpsertResult(unchanged=0)
    if not latest:
        return result
    existing = _existing(conn, list(latest))
    now = now or datetime.now(UTC)
    seq = next_change_seq(conn)
    inserts: list[PaperRow] = []
    updates: list[PaperRow] = []
    for arxiv_id, row in latest.items():
        known = existing.get(arxiv_id)
        if known is None:
            inserts.append(row)
        elif _is_newer(row, known):
            updates.append(row)
        else:
            result.unchanged += 1
    if inserts:
        if conn.dialect.name == "sqlite":
            _sqlite_insert(conn, inserts, now, seq)
        else:
            conn.execute(
                _insert_ignoring_conflicts(conn),
                [_params(row, created_at=now, modified_at=now, change_seq=seq) for row in inserts],
            )
        result.inserted = len(inserts)
    if updates:
        # A newer version keeps the state it replaces as the paper's history (store/versions.py).
        newer = {row[_ARXIV_ID]: row[_VERSION] for row in updates if row[_VERSION] > existing[row[_ARXIV_ID]].version}
        before = versions.old_states(conn, newer) if newer else []
        same_before = versions.old_states(conn, [row[_ARXIV_ID] for row in updates if row[_ARXIV_ID] not in newer])
        conn.execute(
            _update_statement(), [_params(row, key=row[_ARXIV_ID], modified_at=now, change_seq=seq) for row in updates]
        )
        versions.keep_history(conn, before, same_before, now)
        result.updated = len(updates)
    return result


def _params(row: PaperRow, **extra: Any) -> dict[str, Any]:
    return {**dict(zip(ROW_COLUMNS, row, strict=True)), **extra}


def _existing(conn: Connection, arxiv_ids: list[str]) -> dict[str, Row[Any]]:
    """arxiv_id -> (version, content_hash, updated_at) of those already stored."""
    found: dict[str, Row[Any]] = {}
    for start in range(0, len(arxiv_ids), _LOOKUP_CHUNK):
        rows = conn.execute(
            select(PAPERS.c.arxiv_id, PAPERS.c.version, PAPERS.c.content_hash, PAPERS.c.updated_at).where(
                PAPERS.c.arxiv_id.in_(arxiv_ids[start : start + _LOOKUP_CHUNK])
            )
        )
        found.update({row.arxiv_id: row for row in rows})
    return found


def next_change_seq(conn: Connection) -> int:
    """A change number above every one committed: what keyword indexes outside the database catch up from.

    Writers on SQLite take turns, so the number is unique; on PostgreSQL two concurrent writers may share one,
    which is harmless (an index applies all papers of a number together).
    """
    return (conn.execute(select(func.max(PAPERS.c.change_seq))).scalar() or 0) + 1


def _mark_changed(session: Session, paper: Paper) -> None:
    """Every paper write besides `upsert_papers` ends here: the new change number tells the keyword index."""
    paper.change_seq = next_change_seq(session.connection())
    session.flush()


def set_hidden(session: Session, paper: Paper, hidden: bool) -> None:
    """Hide or show a paper; the keyword index drops or restores it."""
    paper.hidden = hidden
    _mark_changed(session, paper)


def set_links(session: Session, paper: Paper, *, code_url: str | None, project_page: str | None) -> None:
    """The paper's confirmed code repository and project page ("has code" is a keyword-index field)."""
    paper.code_url, paper.project_page = code_url, project_page
    _mark_changed(session, paper)


_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # the text form SQLAlchemy itself stores on SQLite


def _sqlite_insert(conn: Connection, rows: list[PaperRow], now: datetime, seq: int) -> None:
    """Bulk insert straight through the driver: the import's hot path, 5x cheaper than the generic one.

    Values are written in exactly the forms the SQLAlchemy types write, so the ORM reads them back alike.
    """
    names = (*ROW_COLUMNS, "created_at", "modified_at", "change_seq")
    sql = (
        f"INSERT INTO papers ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
        "ON CONFLICT(arxiv_id) DO NOTHING"
    )
    stamp = _sqlite_time(now)
    authors, published, updated = (ROW_COLUMNS.index(c) for c in ("authors", "published_at", "updated_at"))

    def values(row: PaperRow) -> PaperRow:
        out = list(row)
        out[authors] = json.dumps(row[authors])
        out[published] = row[published] and _sqlite_time(row[published])
        out[updated] = row[updated] and _sqlite_time(row[updated])
        return (*out, stamp, stamp, seq)

    conn.exec_driver_sql(sql, [values(row) for row in rows])


def _sqlite_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_SQLITE_TIME)


def _insert_ignoring_conflicts(conn: Connection) -> postgresql.Insert | sqlite.Insert:
    return insert_or_else(conn, Paper).on_conflict_do_nothing(index_elements=["arxiv_id"])


def _update_statement() -> Update:
    values: dict[str, ColumnElement[Any]] = {}
    for column in PAPERS.c:
        name = column.name
        if name in (
            "id",
            "arxiv_id",
            "upvotes",
            "num_comments",
            "hidden",
            "created_at",
            "thumbnail_version",
        ) or name.startswith("ai_"):
            continue  # the site's own columns; ai_* are the index run's (store/keyphrases.py)
        if name in _KEEP_IF_MISSING:
            values[name] = func.coalesce(bindparam(name, type_=column.type), column)
        else:
            values[name] = bindparam(name, type_=column.type)
    return update(PAPERS).where(PAPERS.c.arxiv_id == bindparam("key")).values(values)


def paper_to_record(paper: Paper) -> PaperRecord:
    values = {name: getattr(paper, name) for name in FIELDS}
    # The columns keep authors as JSON and categories as one space-separated string.
    values.update(authors=list(paper.authors or []), categories=paper.category_list)
    return PaperRecord(**values)


def iter_records(session: Session, batch: int = 1000) -> Iterator[PaperRecord]:
    """Every paper in id order, streamed in pages so memory stays flat."""
    last = 0
    while True:
        page = session.scalars(select(Paper).where(Paper.id > last).order_by(Paper.id).limit(batch)).all()
        if not page:
            return
        for paper in page:
            yield paper_to_record(paper)
        last = page[-1].id
        session.expunge_all()


def add_daily_entry(
    session: Session,
    paper: Paper,
    on: date,
    submitted_by_id: int | None = None,
    is_demo: bool = False,
    submitted_at: datetime | None = None,
) -> DailyEntry:
    """Put a paper on the daily feed (submitted now, unless `submitted_at`); a paper enters the feed once."""
    if paper.daily_entry is not None:
        raise InvalidInput(f"{paper.arxiv_id} is already on the daily feed of {paper.daily_entry.date.isoformat()}")
    entry = DailyEntry(paper=paper, date=on, submitted_by_id=submitted_by_id, is_demo=is_demo)
    if submitted_at is not None:
        entry.submitted_at = submitted_at
    session.add(entry)
    try:
        session.flush()
    except IntegrityError as exc:  # another request put it on the feed a moment ago
        raise InvalidInput(f"{paper.arxiv_id} is already on the daily feed; a paper enters the feed once") from exc
    return entry

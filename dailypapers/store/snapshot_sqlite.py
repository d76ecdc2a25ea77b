"""SQLite: a snapshot copied with the online backup API while the site serves, checked, and copied back.

The copy reads inside one read transaction: in WAL mode (every dailypapers connection sets it) that is one
snapshot, and writers are never blocked by it, so the backup holds exactly what was committed when it began
and the site keeps answering. Pages are copied in batches, each step a short read, reported as progress.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, Engine

PAGES_PER_STEP = 1024  # 4 MB at SQLite's default page size
Progress = Callable[[int, int], None]  # (done, total)
Snapshot = Callable[[Connection], None]


def copy_snapshot(
    engine: Engine,
    target: Path,
    on_snapshot: Snapshot,
    progress: Progress | None = None,
    pages_per_step: int = PAGES_PER_STEP,
) -> None:
    """Copy the database as of one moment into the new file `target`. `on_snapshot` is called first with a
    connection that sees that very moment (the manifest reads its counts there)."""
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)  # an open connection of the sqlite3 driver
        raw.execute("BEGIN")
        raw.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot starts at this first read
        try:
            on_snapshot(conn)
            copy = sqlite3.connect(target)
            try:
                # The backup reads through the open transaction, so it copies the same snapshot, step by step.
                raw.backup(
                    copy,
                    pages=pages_per_step,
                    progress=(lambda _status, left, total: progress(total - left, total)) if progress else None,
                )
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            finally:
                copy.close()
        finally:
            raw.rollback()


def integrity_problems(path: Path) -> list[str]:
    """SQLite's own checks of a database file, read-only: its structure and its foreign keys."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        found = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        problems = [] if found == ["ok"] else found
        problems += [
            f"a row of {table} points at a missing {parent} row"
            for table, _rowid, parent, _key in conn.execute("PRAGMA foreign_key_check")
        ]
    except sqlite3.DatabaseError as exc:
        problems = [f"not a readable SQLite database ({exc})"]
    finally:
        conn.close()
    return problems


def copy_into(source: Path, target: Path) -> None:
    """Replace the database at `target` (or create it) with `source`, in one transaction on `target`: its other
    connections see the old database or the new one, never half of one."""
    reading = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    writing = sqlite3.connect(target, timeout=10)
    try:
        writing.execute("PRAGMA journal_mode=WAL")
        reading.backup(writing)
    finally:
        reading.close()
        writing.close()

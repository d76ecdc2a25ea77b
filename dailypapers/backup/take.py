"""`dailypapers backup DEST` and `dailypapers backup --check DEST`.

The backup is written into a hidden directory beside DEST and renamed to DEST once whole (manifest last), so
a DEST that exists is a finished backup; a failed run leaves nothing behind. The directory is private to its
owner (0700): it holds password hashes and the signing key.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from dailypapers import __version__
from dailypapers.backup.lock import in_use
from dailypapers.backup.manifest import Manifest
from dailypapers.config import Settings
from dailypapers.errors import InvalidInput
from dailypapers.ingest.thumbnails import thumbnails_dir
from dailypapers.store import snapshot_postgres as postgres
from dailypapers.store import snapshot_sqlite as sqlite
from dailypapers.store.db import Connection, applied_revisions, get_engine
from dailypapers.store.transfer import row_counts

Progress = Callable[[str, int, int], None]  # (stage, done, total)
Snapshot = Callable[[Connection], None]
SECRET_KEY = "secret_key"
THUMBNAILS = "thumbnails"
THUMBNAIL_FILE = re.compile(r"[A-Za-z0-9._-]+v[0-9]+\.webp")  # finished thumbnails, not the drafts being written


def take_backup(
    settings: Settings,
    dest: Path,
    progress: Progress | None = None,
    on_snapshot: Snapshot | None = None,
    pages_per_step: int = sqlite.PAGES_PER_STEP,
) -> Manifest:
    """Back up the database and the data dir's own files into the new directory `dest`. `on_snapshot` is
    called with a connection that sees the database exactly as the backup holds it."""
    dest = Path(dest)
    if dest.exists():
        raise InvalidInput(f"{dest} exists; a backup goes into a new directory (e.g. one named by the date)")
    engine = get_engine(settings)
    database = engine.dialect.name
    manifest = Manifest(database=database, schema=[], created_at="", version=__version__)

    def read_snapshot(conn: Connection) -> None:
        manifest.created_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        manifest.schema = applied_revisions(conn)
        manifest.tables = row_counts(conn)
        if on_snapshot:
            on_snapshot(conn)

    dest.parent.mkdir(parents=True, exist_ok=True)
    draft = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    draft.mkdir(mode=0o700)
    try:
        with in_use(settings) as data_dir:
            if database == "sqlite":
                pages = (lambda done, total: progress("database pages", done, total)) if progress else None
                sqlite.copy_snapshot(engine, draft / manifest.database_file, read_snapshot, pages, pages_per_step)
            else:
                postgres.dump_snapshot(engine, draft / manifest.database_file, read_snapshot)
            manifest.add_file(draft, manifest.database_file)
            if not settings.secret_key and (data_dir / SECRET_KEY).is_file():
                shutil.copy2(data_dir / SECRET_KEY, draft / SECRET_KEY)
                manifest.add_file(draft, SECRET_KEY)
            _copy_thumbnails(thumbnails_dir(data_dir), draft, manifest, progress)
        manifest.write(draft)  # last: a directory without it is unfinished
        draft.rename(dest)
    except BaseException:
        shutil.rmtree(draft, ignore_errors=True)
        raise
    return manifest


def _copy_thumbnails(source: Path, draft: Path, manifest: Manifest, progress: Progress | None) -> None:
    """After the database: every thumbnail it records was written before it was recorded, so it is here (unless
    a paper's newer version replaced it in the meantime: that one page then shows no thumbnail)."""
    names = sorted(p.name for p in source.iterdir() if THUMBNAIL_FILE.fullmatch(p.name)) if source.is_dir() else []
    (draft / THUMBNAILS).mkdir()
    for done, name in enumerate(names, 1):
        try:
            shutil.copy2(source / name, draft / THUMBNAILS / name)
        except FileNotFoundError:  # replaced by a newer version since we listed it
            continue
        manifest.add_file(draft, f"{THUMBNAILS}/{name}")
        if progress:
            progress("thumbnails", done, len(names))


def check_backup(folder: Path) -> Manifest:
    """The backup's manifest, once every file matches it and its database reads whole; else InvalidInput."""
    folder = Path(folder)
    manifest = Manifest.read(folder)
    problems = manifest.damage(folder)
    if not problems:
        database = folder / manifest.database_file
        problems = (
            sqlite.integrity_problems(database)
            if manifest.database == "sqlite"
            else postgres.archive_problems(database)
        )
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise InvalidInput(f"the backup at {folder} is damaged: {problems[0]}{more}")
    return manifest

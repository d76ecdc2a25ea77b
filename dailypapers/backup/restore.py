"""`dailypapers restore SRC`: a checked backup back into the configured data dir and database.

It refuses a backup that fails its check, one made by a newer dailypapers, a running instance (the data dir's
lock), and, without --force, a database that holds data. The database is replaced in one transaction; then its
row counts are compared with the manifest, its schema brought up to this version, the signing key and the
thumbnails put back, and the derived indexes cleared for the rebuild.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from dailypapers.backup.lock import sole_use
from dailypapers.backup.manifest import Manifest
from dailypapers.backup.take import SECRET_KEY, THUMBNAIL_FILE, THUMBNAILS, check_backup
from dailypapers.config import Settings
from dailypapers.errors import InvalidInput, StoreError
from dailypapers.index.engines import derived_folders, forget_indexes
from dailypapers.ingest.thumbnails import thumbnails_dir
from dailypapers.store import snapshot_postgres as postgres
from dailypapers.store import snapshot_sqlite as sqlite
from dailypapers.store.db import Engine, OperationalError, dispose_engines, known_revisions, migrate, open_engine
from dailypapers.store.transfer import holds_rows, row_counts

BOOKKEEPING = {"state", "rate_events"}  # rows a fresh instance makes by itself: not "data" worth a --force


@dataclass
class Restored:
    manifest: Manifest
    thumbnails: int
    signing_key: bool


def restore_backup(settings: Settings, folder: Path, force: bool = False) -> Restored:
    folder = Path(folder)
    manifest = check_backup(folder)
    newer = sorted(set(manifest.schema) - known_revisions())
    if newer:
        raise InvalidInput(
            f"the backup was made by a newer dailypapers ({manifest.version}, schema {newer[0]}); "
            "upgrade dailypapers, then restore"
        )
    engine = open_engine(settings)
    if engine.dialect.name != manifest.database:
        raise InvalidInput(
            f"the backup holds a {manifest.database} database, but this instance uses "
            f"{engine.dialect.name} (see DAILYPAPERS_DATABASE_URL)"
        )
    with sole_use(settings) as data_dir:
        if not force and holds_data(engine):
            where = settings.sqlite_file if manifest.database == "sqlite" else "the configured database"
            raise InvalidInput(
                f"{where} already holds papers or accounts, which a restore replaces; "
                "check the settings, then add --force"
            )
        _restore_database(settings, engine, folder / manifest.database_file, manifest)
        migrate(settings)  # a backup of an older version comes up to this one
        signing_key = _restore_signing_key(folder, data_dir, manifest)
        thumbnails = _restore_thumbnails(folder, thumbnails_dir(data_dir), manifest)
        for derived in derived_folders(settings):
            shutil.rmtree(derived, ignore_errors=True)  # built from the old database: rebuilt from this one
        forget_indexes()
    return Restored(manifest, thumbnails, signing_key)


def holds_data(engine: Engine) -> bool:
    """Whether the database has rows a person or an import made."""
    try:
        return holds_rows(engine, ignoring=BOOKKEEPING)
    except OperationalError as exc:
        raise StoreError(f"cannot open the database to restore into: {str(exc.orig).strip().splitlines()[0]}") from None


def _restore_database(settings: Settings, engine: Engine, database: Path, manifest: Manifest) -> None:
    if manifest.database == "sqlite":
        try:
            sqlite.copy_into(database, settings.sqlite_file)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write {settings.sqlite_file}: {exc}") from None
        problems = sqlite.integrity_problems(settings.sqlite_file)
    else:
        postgres.restore(engine, database)
        problems = []
    dispose_engines()  # connections opened before the restore must not serve from their caches
    with open_engine(settings).connect() as conn:
        counts = row_counts(conn, manifest.tables)
    problems += [
        f"{name} has {counts.get(name)} rows, the backup {rows}"
        for name, rows in manifest.tables.items()
        if counts.get(name) != rows
    ]
    if problems:
        raise StoreError(f"the restored database differs from the backup: {problems[0]}")


def _restore_signing_key(folder: Path, data_dir: Path, manifest: Manifest) -> bool:
    if SECRET_KEY not in manifest.files:
        return False
    draft = data_dir / f".{SECRET_KEY}.{os.getpid()}.restoring"
    shutil.copyfile(folder / SECRET_KEY, draft)
    draft.chmod(0o600)
    os.replace(draft, data_dir / SECRET_KEY)
    return True


def _restore_thumbnails(folder: Path, target: Path, manifest: Manifest) -> int:
    """The backup's thumbnails replace the data dir's, all at once (a rename)."""
    names = [
        name
        for name in manifest.files
        if name.startswith(f"{THUMBNAILS}/") and THUMBNAIL_FILE.fullmatch(name.removeprefix(f"{THUMBNAILS}/"))
    ]
    incoming, replaced = target.with_name(f".{target.name}.restoring"), target.with_name(f".{target.name}.replaced")
    for leftover in (incoming, replaced):
        shutil.rmtree(leftover, ignore_errors=True)
    incoming.mkdir(parents=True)
    for name in names:
        shutil.copy2(folder / name, incoming / Path(name).name)
    if target.exists():
        target.rename(replaced)
    incoming.rename(target)
    shutil.rmtree(replaced, ignore_errors=True)
    return len(names)

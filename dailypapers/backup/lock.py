"""The data dir's instance lock: every long-running process on a data dir holds it shared; a restore holds it alone.

`serve`, `scheduler`, `worker` and a running `backup` hold `instance.lock` in the data dir shared, so any number
run side by side; `restore` takes it exclusively, so it refuses while one of them runs, and none of them starts
while a restore does. An OS file lock: a killed process never leaves it held. It guards one host's data dir:
processes on other hosts sharing a PostgreSQL database are not seen.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dailypapers.config import Settings
from dailypapers.errors import StoreError

LOCK_FILE = "instance.lock"


@contextmanager
def _locked(settings: Settings, mode: int) -> Iterator[Path]:
    data_dir = settings.ensure_data_dir().resolve()
    with open(data_dir / LOCK_FILE, "a") as handle:
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            if mode == fcntl.LOCK_SH:
                raise StoreError(f"a restore into {data_dir} is running; start again once it has finished") from None
            raise StoreError(
                f"dailypapers is running on {data_dir} (serve, scheduler, worker or backup); "
                "stop it first (e.g. systemctl stop dailypapers-web dailypapers-worker)"
            ) from None
        try:
            yield data_dir
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def in_use(settings: Settings) -> Iterator[Path]:
    """Held while a server, scheduler, worker or backup runs on this data dir."""
    with _locked(settings, fcntl.LOCK_SH) as data_dir:
        yield data_dir


@contextmanager
def sole_use(settings: Settings) -> Iterator[Path]:
    """Held by a restore: nothing else runs on this data dir meanwhile."""
    with _locked(settings, fcntl.LOCK_EX) as data_dir:
        yield data_dir

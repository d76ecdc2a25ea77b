"""Shared fixtures: every test gets its own data dir and a real SQLite database in it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE_20K = ROOT / "benchmarks" / "data" / "arxiv-sample-20k.jsonl.gz"


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite database migrated once per test process; each test starts from a copy of it."""
    from dailypapers.config import Settings
    from dailypapers.store.db import dispose_engines, migrate

    data_dir = tmp_path_factory.mktemp("template")
    migrate(Settings(data_dir=data_dir, database_url=None))
    dispose_engines()  # closes the WAL: the database is one file from here on
    return data_dir / "dailypapers.db"


@pytest.fixture
def settings(tmp_path, monkeypatch, migrated_sqlite):
    """Settings pointing at a fresh data dir holding a migrated database (the tests' explicit set-up)."""
    from dailypapers.config import get_settings, reset_settings
    from dailypapers.store.db import dispose_engines

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(migrated_sqlite, data_dir / "dailypapers.db")
    monkeypatch.setenv("DAILYPAPERS_DATA_DIR", str(data_dir))
    monkeypatch.delenv("DAILYPAPERS_DATABASE_URL", raising=False)
    monkeypatch.setenv("DAILYPAPERS_ARXIV_DELAY", "0")
    reset_settings()
    dispose_engines()
    yield get_settings()
    dispose_engines()
    reset_settings()


@pytest.fixture
def engine(settings):
    from dailypapers.store.db import get_engine

    return get_engine(settings)


@pytest.fixture
def session(engine):
    from sqlalchemy.orm import Session

    with Session(engine, expire_on_commit=False) as s:
        yield s


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 300):
    """Run the real `dailypapers` command in a subprocess; returns the CompletedProcess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "dailypapers.cli", *args],
        capture_output=True, text=True, env=full_env, cwd=cwd, timeout=timeout,
    )


@pytest.fixture
def cli(settings):
    """Run the CLI against this test's data dir."""
    env = {"DAILYPAPERS_DATA_DIR": str(settings.data_dir), "DAILYPAPERS_ARXIV_DELAY": "0"}

    def _run(*args: str, **kwargs):
        return run_cli(*args, env={**env, **kwargs.pop("env", {})}, **kwargs)

    return _run


@pytest.fixture
def sink(settings, monkeypatch):
    """A real SMTP server on 127.0.0.1 that the settings point at; it collects every message."""
    from tests.digest_helpers import use_smtp
    from tests.smtp_sink import SmtpSink

    with SmtpSink() as server:
        use_smtp(monkeypatch, server.port)
        yield server

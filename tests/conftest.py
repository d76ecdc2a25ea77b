"""Shared fixtures: every test gets its own data dir and a real, migrated database, once on each backend.

A test that uses the store (`settings`, `engine`, `session`, `cli`) runs twice: on SQLite (a copy of a
database migrated once per process) and on PostgreSQL (a database created from a migrated template, one
server per process, started only when a PostgreSQL test runs). `@pytest.mark.sqlite_only("why")` keeps a
test on SQLite alone, `@pytest.mark.postgresql_only` on PostgreSQL alone; the browser tests stay on SQLite.
`demo` starts a test from a copy of the 64 demo papers, loaded and indexed once per process and backend.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.postgres import DatabaseCopies, admin, postgres_server, with_database
from tests.web_helpers import PASSWORD

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE_20K = ROOT / "benchmarks" / "data" / "arxiv-sample-20k.jsonl.gz"
BACKENDS = ("sqlite", "postgresql")
_databases = itertools.count()
# The secrets tests type (passwords; the unreachable database's password in test_health), and the shape of
# every API token made during the run: none may reach a log line.
TEST_SECRETS = (PASSWORD, "another password", "another long passphrase", "hunter2")
API_TOKEN = re.compile(r"dp_[A-Za-z0-9_-]{43}")


def pytest_generate_tests(metafunc):
    if "backend" not in metafunc.fixturenames:
        return
    definition = metafunc.definition
    if definition.get_closest_marker("sqlite_only") or definition.get_closest_marker("browser"):
        backends = ["sqlite"]
    elif definition.get_closest_marker("postgresql_only"):
        backends = ["postgresql"]
    else:
        backends = BACKENDS
    metafunc.parametrize("backend", backends, indirect=True)


def pytest_collection_modifyitems(items):
    """Every test that needs the PostgreSQL server is marked `postgres` (`make check` leaves them out): those run
    on the `postgresql` backend and those that ask for a database of the server themselves (`empty_postgres`)."""
    for item in items:
        on_postgresql = getattr(item, "callspec", None) and item.callspec.params.get("backend") == "postgresql"
        if on_postgresql or "postgres_url" in item.fixturenames:
            item.add_marker(pytest.mark.postgres)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skip is a failure: a test that skips itself (a fast machine, a missing program) tests nothing while the
    run looks whole. A missing server or browser is set up (`make test-deps`) or left out by marker (`make check`)."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"this test skipped itself ({reason}); tests here never skip"


@pytest.fixture(scope="session", autouse=True)
def run_log(tmp_path_factory):
    """Every record logged in this test process (each xdist worker has its own), written to a file as it
    comes; at the end the file must hold none of the tests' secrets: a leak fails the last test's teardown."""
    path = tmp_path_factory.mktemp("logs") / "run.log"
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)  # reopens if a dictConfig closes it
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    logging.getLogger().addHandler(handler)
    yield path
    logging.getLogger().removeHandler(handler)
    handler.close()
    leaks = [
        line
        for line in (path.read_text(encoding="utf-8") if path.exists() else "").splitlines()
        if any(secret in line for secret in TEST_SECRETS) or API_TOKEN.search(line)
    ]
    assert not leaks, f"secrets in the log of this test run ({path}):\n" + "\n".join(leaks[:20])


def forget_process_state() -> None:
    """Let go of everything dailypapers keeps per process: the settings, the engines, the open keyword indexes and
    vector snapshots, the loaded vector files, the readers' and collections' fitted models, the computed maps,
    the login's stand-in hash (its cost follows the test's hasher). Models read from files (embedders,
    tokenizers) stay: they depend on nothing a test changes, and loading them again would cost seconds per test."""
    from dailypapers.community import users
    from dailypapers.config import reset_settings
    from dailypapers.index.engines import forget_indexes
    from dailypapers.index.vectors import clear_cache
    from dailypapers.ranking import collection_feed, paper_map, recommend
    from dailypapers.store.db import dispose_engines

    reset_settings()
    dispose_engines()
    forget_indexes()
    clear_cache()
    with recommend._models_lock:  # keyed by the vectors' id(), which a later test's vectors may reuse
        recommend._models.clear()
    with collection_feed._models_lock:
        collection_feed._models.clear()
    with paper_map._cache_lock:  # keyed by paper ids, which the other backend's test gives the same papers
        paper_map._cache.clear()
    users._dummy_hash.cache_clear()


QUICK_ARGON2 = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


@pytest.fixture(autouse=True)
def quick_argon2(request, monkeypatch):
    """argon2 at its lowest cost in this process: a hash at the real cost takes 0.2 s here, and the suite signs
    up and logs in hundreds of users to test what comes after. Tests of the hashing itself are marked
    `real_argon2`; servers and commands the tests start as processes of their own keep the real cost."""
    if request.node.get_closest_marker("real_argon2") is None:
        from argon2 import PasswordHasher

        from dailypapers.community import users

        monkeypatch.setattr(users, "_hasher", PasswordHasher(**QUICK_ARGON2))


@pytest.fixture(autouse=True)
def fresh_process_state():
    """Each test starts with nothing kept from another, and leaves nothing behind: the one place that resets."""
    forget_process_state()
    yield
    forget_process_state()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite database migrated once per test process; each test starts from a copy of it."""
    from dailypapers.config import Settings
    from dailypapers.store.db import dispose_engines, migrate

    data_dir = tmp_path_factory.mktemp("template")
    migrate(Settings(data_dir=data_dir, database_url=None))
    dispose_engines()  # closes the WAL: the database is one file from here on
    return data_dir / "dailypapers.db"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The `postgres` database of a server started once per test process, on first use."""
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def migrated_postgres(postgres_url) -> str:
    """The name of a template database migrated once per test process; each test gets a copy of it."""
    from dailypapers.config import Settings
    from dailypapers.store.db import dispose_engines, migrate

    name = f"template_{os.getpid()}"
    admin(postgres_url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
    migrate(Settings(database_url=with_database(postgres_url, name)))
    dispose_engines()  # CREATE DATABASE ... TEMPLATE needs the template without connections
    return name


@pytest.fixture(scope="session")
def database_copies(postgres_url) -> DatabaseCopies:
    copies = DatabaseCopies(postgres_url)
    yield copies
    copies.close()


@pytest.fixture
def empty_postgres(postgres_url) -> str:
    """The URL of an empty database on the test server (not migrated), dropped after the test."""
    name = f"empty_{os.getpid()}_{next(_databases)}"
    admin(postgres_url, f"CREATE DATABASE {name}")
    yield with_database(postgres_url, name)
    admin(postgres_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def backend(request, tmp_path, migrated_sqlite) -> str:
    """The store this test runs on: a fresh migrated database, its URL in DAILYPAPERS_DATABASE_URL for
    PostgreSQL, the data dir's `dailypapers.db` for SQLite."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if request.param == "sqlite":
        shutil.copyfile(migrated_sqlite, data_dir / "dailypapers.db")
        yield "sqlite"
        return
    copies = request.getfixturevalue("database_copies")
    if "demo" in request.fixturenames:  # a copy of the demo's database at once, rather than one copy, then another
        name = copies.take(request.getfixturevalue("demo_postgres")[1])
    else:
        name = copies.take(request.getfixturevalue("migrated_postgres"))
    monkeypatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setenv("DAILYPAPERS_DATABASE_URL", with_database(copies.server, name))
    yield "postgresql"
    copies.drop(name)


def build_demo(data_dir: Path, database_url: str | None = None) -> None:
    """`dailypapers demo --no-serve` into this data dir (and database): the demo papers, loaded and indexed."""
    # built once for many tests: none of the settings of the test that happens to build it may leak in
    env = {name: value for name, value in os.environ.items() if not name.startswith("DAILYPAPERS_")}
    env.update({"DAILYPAPERS_DATA_DIR": str(data_dir), "DAILYPAPERS_ARXIV_DELAY": "0"})
    if database_url:
        env["DAILYPAPERS_DATABASE_URL"] = database_url
    done = subprocess.run(
        [sys.executable, "-m", "dailypapers.cli", "demo", "--no-serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="session")
def demo_sqlite(tmp_path_factory, migrated_sqlite) -> Path:
    """A data dir holding the demo, loaded and indexed once per test process (an index run costs a minute)."""
    data_dir = tmp_path_factory.mktemp("demo-sqlite") / "data"
    data_dir.mkdir()
    shutil.copyfile(migrated_sqlite, data_dir / "dailypapers.db")
    build_demo(data_dir)
    return data_dir


@pytest.fixture(scope="session")
def demo_postgres(tmp_path_factory, postgres_url, migrated_postgres) -> tuple[Path, str]:
    """The same on PostgreSQL: the data dir (vector files) and the name of the database, used as a template."""
    name = f"demo_{os.getpid()}"
    admin(postgres_url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name} TEMPLATE {migrated_postgres}")
    data_dir = tmp_path_factory.mktemp("demo-postgres") / "data"
    data_dir.mkdir()
    build_demo(data_dir, with_database(postgres_url, name))
    return data_dir, name


@pytest.fixture
def demo(request, backend, settings):
    """This test's data dir and database start as a copy of the indexed demo; returns the settings."""
    from dailypapers.store.db import dispose_engines

    dispose_engines()
    if backend == "sqlite":
        shutil.copytree(request.getfixturevalue("demo_sqlite"), settings.data_dir, dirs_exist_ok=True)
        return settings
    data_dir, _ = request.getfixturevalue("demo_postgres")  # `backend` made the database a copy of the demo's
    shutil.copytree(data_dir, settings.data_dir, dirs_exist_ok=True)
    return settings


@pytest.fixture
def settings(backend, tmp_path, monkeypatch):
    """Settings pointing at a fresh data dir and a migrated database (the tests' explicit set-up)."""
    from dailypapers.config import get_settings, reset_settings
    from dailypapers.store.db import dispose_engines

    monkeypatch.setenv("DAILYPAPERS_DATA_DIR", str(tmp_path / "data"))
    if backend == "sqlite":
        monkeypatch.delenv("DAILYPAPERS_DATABASE_URL", raising=False)
    monkeypatch.setenv("DAILYPAPERS_ARXIV_DELAY", "0")
    # No test fetches a PDF from arXiv: tests that want thumbnails point at the local fake (serving_settings).
    monkeypatch.setenv("DAILYPAPERS_FETCH_PDFS", "false")
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
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )


def counts(result) -> dict:
    """The store's counts from `dailypapers stats --json` (which also names the embedding model and runtime)."""
    data = json.loads(result.stdout)
    return {"papers": data["papers"], "daily_entries": data["daily_entries"]}


def run_in_process(*args: str, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    """`dailypapers ARGS` run by `cli.main` in this process, answered as `run_cli` answers (seconds cheaper: no
    interpreter to start, no imports to repeat). Typer's test runner swaps stdin, stdout, stderr and the
    environment for the call; what the process keeps (settings, engines, indexes, log handlers) is let go before
    and after it, so the command sees the environment it is given and leaves nothing behind."""
    from typer.testing import CliRunner

    from dailypapers.cli import main

    root = logging.getLogger()
    handlers = root.handlers[:]
    forget_process_state()
    root.handlers[:] = []  # as in a process of its own: no stderr handler left by an earlier app
    try:
        with CliRunner().isolation(input=input, env=env) as (stdout, stderr, _mixed):
            try:
                code = main(list(args))
            except SystemExit as exc:  # a command that exits by itself, as `sys.exit` would end the process
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            sys.stdout.flush()
            sys.stderr.flush()
            out, err = stdout.getvalue().decode(), stderr.getvalue().decode()
    finally:
        forget_process_state()
        root.handlers[:] = handlers
    return subprocess.CompletedProcess(["dailypapers", *args], code, out, err)


@pytest.fixture
def cli(settings):
    """Run the CLI against this test's data dir, in this process (`cli_process` starts a real one: for a
    command that kills itself at a fault point, or serves)."""
    base = {"DAILYPAPERS_DATA_DIR": str(settings.data_dir), "DAILYPAPERS_ARXIV_DELAY": "0"}

    def _run(*args: str, env: dict | None = None, input: str | None = None):
        return run_in_process(*args, env={**base, **(env or {})}, input=input)

    return _run


@pytest.fixture
def cli_process(settings):
    """Run the real `dailypapers` command against this test's data dir, in a process of its own."""
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


@pytest.fixture
def other_site(request, backend, settings, tmp_path, monkeypatch, migrated_sqlite):
    """A second instance beside this test's, on the same backend: its own data dir and migrated database.
    `other_site(True)` points the process at it (settings, engines and caches forgotten), `other_site(False)`
    back at this test's own."""
    data_dir = tmp_path / "other" / "data"
    data_dir.mkdir(parents=True)
    home_url, other_url = os.environ.get("DAILYPAPERS_DATABASE_URL"), None
    if backend == "sqlite":
        shutil.copyfile(migrated_sqlite, data_dir / "dailypapers.db")
    else:
        server = request.getfixturevalue("postgres_url")
        name = f"other_{os.getpid()}_{next(_databases)}"
        admin(server, f"CREATE DATABASE {name} TEMPLATE {request.getfixturevalue('migrated_postgres')}")
        other_url = with_database(server, name)

    def use(other: bool) -> None:
        forget_process_state()
        monkeypatch.setenv("DAILYPAPERS_DATA_DIR", str(data_dir if other else settings.data_dir))
        if backend == "postgresql":
            monkeypatch.setenv("DAILYPAPERS_DATABASE_URL", other_url if other else home_url)

    yield use
    forget_process_state()
    if other_url:
        name = other_url.rsplit("/", 1)[1]
        admin(request.getfixturevalue("postgres_url"), f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

"""The database: one engine per URL, SQLite pragmas, sessions and migrations.

Opening the database never changes it: `migrate()` is called explicitly by the commands that set a
database up (`serve`, `demo`, `db upgrade` and the commands that write papers or users) and by the tests'
set-up; every other opening checks that the schema is current and says how to fix it when it is not.
"""

from __future__ import annotations

import ast
import math
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Connection as Connection  # the store's types and errors: callers name them from here
from sqlalchemy import Engine as Engine
from sqlalchemy import Row as Row  # what a column query gives
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import IntegrityError as IntegrityError  # a row broke a constraint (a unique key, mostly)
from sqlalchemy.exc import OperationalError as OperationalError  # the database could not run a statement
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Session as Session  # the unit of work store functions take; callers name it from here
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

from dailypapers.config import Settings, get_settings
from dailypapers.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

DatabaseError = SQLAlchemyError  # any error of the database or its driver, as callers name it
_MIGRATIONS = Path(__file__).parent / "migrations"
_engines: dict[str, Engine] = {}
_checked: set[str] = set()  # URLs whose schema was found current in this process
_probe_engines: dict[tuple[str, float], Engine] = {}  # pool-less: nothing to dispose
_watchers: dict[str, tuple[threading.Lock, sqlite3.Connection]] = {}  # data_version's, by SQLite file
_engines_lock = threading.Lock()  # web workers serve requests in threads: open and check once, not per thread
# The engine of the current settings, checked: nearly every call asks for it, and finding it by URL costs a
# path resolution (a system call per folder) on each call.
_current: tuple[Settings, Engine] | None = None


def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def open_engine(settings: Settings | None = None) -> Engine:
    """The engine for the configured database, created once per process; the schema is not checked."""
    settings = settings or get_settings()
    url = settings.db_url
    engine = _engines.get(url)
    if engine is not None:
        return engine
    with _engines_lock:
        if url not in _engines:
            if url.startswith("sqlite"):
                settings.ensure_data_dir()
            _engines[url] = make_engine(url)
        return _engines[url]


def get_engine(settings: Settings | None = None) -> Engine:
    """The engine for the configured database, its schema checked once per process (never migrated)."""
    global _current
    current = _current
    if settings is None and current is not None and current[0] is get_settings():
        return current[1]
    engine = open_engine(settings)
    url = engine.url.render_as_string(hide_password=False)
    if url not in _checked:
        with _engines_lock:
            if url not in _checked:
                _check_schema(engine)
                _checked.add(url)
    if settings is None:
        _current = (get_settings(), engine)
    return engine


def dispose_engines() -> None:
    global _current
    _current = None
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    _checked.clear()
    for _lock, watcher in _watchers.values():
        watcher.close()
    _watchers.clear()


def data_version(settings: Settings | None = None) -> str | None:
    """A value that changes whenever a transaction that wrote to the database commits, in any process: equal
    values read at two moments mean no data changed in between, so what was read in between is still current.
    None when the database cannot tell (an in-memory SQLite database).

    SQLite: `PRAGMA data_version` on a connection of its own that never writes (the pragma counts the commits
    of every other connection). PostgreSQL: the current snapshot (`xmin:xmax:in-progress`), which moves when a
    transaction that wrote commits or takes a transaction id, and not for reads."""
    engine = get_engine(settings)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT pg_current_snapshot()::text")).scalar_one())
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    watcher = _watchers.get(path)
    if watcher is None:
        with _engines_lock:
            if path not in _watchers:
                _watchers[path] = (threading.Lock(), sqlite3.connect(path, check_same_thread=False))
            watcher = _watchers[path]
    lock, watching = watcher
    with lock:
        return str(watching.execute("PRAGMA data_version").fetchone()[0])


@contextmanager
def session_scope(settings: Settings | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error: nothing is half-written."""
    session = Session(get_engine(settings), expire_on_commit=False)  # not a sessionmaker: each makes a class
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def engine_of(session: Session) -> Engine:
    """The engine under a session, also when the session was opened on one of its connections."""
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


ModelRow = TypeVar("ModelRow", bound=DeclarativeBase)


def added(session: Session, row: ModelRow) -> ModelRow:
    """`row`, new in the session and flushed: its id and the database's defaults are set."""
    session.add(row)
    session.flush()
    return row


def deleted(session: Session, row: DeclarativeBase) -> None:
    """`row` deleted at once, so the statements that follow no longer see it."""
    session.delete(row)
    session.flush()


def insert_or_else(bind: Session | Connection, model: type[DeclarativeBase]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of `model` in the database's own dialect, so it can say what a conflicting row does instead
    (`on_conflict_do_nothing`, `on_conflict_do_update`): both backends spell it alike."""
    if (bind.get_bind() if isinstance(bind, Session) else bind).dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def _alembic_config() -> Config:
    # deferred: alembic takes a quarter of a second to import, and only the commands that migrate need it
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def migrate(settings: Settings | None = None) -> Engine:
    """Apply every Alembic migration not yet applied; returns the engine, its schema now current."""
    from alembic import command  # deferred: alembic is slow to import, and reading the store never needs it

    engine = open_engine(settings)
    config = _alembic_config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "heads")  # areas may add independent branches
    except OperationalError as exc:
        raise StoreError(f"cannot open or migrate the database: {exc.orig}") from exc
    _checked.add(engine.url.render_as_string(hide_password=False))
    return engine


def _check_schema(engine: Engine) -> None:
    try:
        problem = schema_problem(engine)
    except OperationalError as exc:
        raise StoreError(f"cannot open the database: {exc.orig}") from exc
    if problem:
        raise StoreError(f"the database {problem}: run `dailypapers db upgrade` first")


def schema_problem(engine: Engine) -> str | None:
    """None when every migration of this version is applied; else what is wrong, in words (no names, no paths).
    Raises OperationalError when the database cannot be reached."""
    with engine.connect() as conn:
        applied = (
            set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
            if inspect(conn).has_table("alembic_version")
            else set()
        )
    if applied == migration_heads():
        return None
    return "is not set up yet" if not applied else "was made by another version of dailypapers"


def backend_of(url: str) -> str:
    """ "sqlite" or "postgresql": the database a URL names, whatever its driver."""
    return make_url(url).get_backend_name()


def libpq_url(url: str) -> str:
    """The URL without its SQLAlchemy driver name, as libpq (psycopg, procrastinate) takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def same_database(url: str, other: str) -> bool:
    return make_url(url) == make_url(other)


def probe_engine(url: str, seconds: float) -> Engine:
    """An engine for health probes that never waits longer than `seconds`: no pool, so each probe opens its own
    connection (never one a stuck request holds), with a connect timeout, and on PostgreSQL a statement and lock
    timeout on every query (a migration holding a lock would otherwise stall it); on SQLite a busy timeout."""
    engine = _probe_engines.get((url, seconds))
    if engine is None:
        arguments: dict[str, object]
        if url.startswith("sqlite"):
            arguments = {"check_same_thread": False, "timeout": seconds}
        else:
            millis = max(1, round(seconds * 1000))
            arguments = {
                "connect_timeout": max(2, math.ceil(seconds)),  # whole seconds, at least 2 (libpq's rule)
                "options": f"-c statement_timeout={millis} -c lock_timeout={millis}",
            }
        engine = _probe_engines[(url, seconds)] = create_engine(url, poolclass=NullPool, connect_args=arguments)
    return engine


def applied_revisions(conn: Connection) -> list[str]:
    """The migrations this database is at (one per branch), as `conn` sees it."""
    from alembic.runtime.migration import MigrationContext  # deferred: see _alembic_config

    return sorted(MigrationContext.configure(conn).get_current_heads())


def known_revisions() -> set[str]:
    """Every migration this version of dailypapers has: a database at others was made by a newer version."""
    from alembic.script import ScriptDirectory  # deferred: see _alembic_config

    return {script.revision for script in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The head revisions this version ships: those no other migration revises. Read from the files' `revision`
    and `down_revision` without alembic, whose import would add a quarter of a second to every command's start
    (tests/test_start.py checks that alembic finds the same heads)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for file in (_MIGRATIONS / "versions").glob("*.py"):
        names = {
            target.id: node.value
            for node in ast.parse(file.read_text(encoding="utf-8")).body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        revisions.add(ast.literal_eval(names["revision"]))
        down = ast.literal_eval(names["down_revision"])
        revised.update(down if isinstance(down, tuple) else [down] if down else [])
    return frozenset(revisions - revised)


def ping(engine: Engine) -> None:
    """Raise (OperationalError, or the driver's error) unless the database answers a query now."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except OperationalError:
            return None

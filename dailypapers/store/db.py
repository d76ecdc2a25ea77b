"""The database: one engine per URL, SQLite pragmas, sessions and migrations."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dailypapers.config import Settings, get_settings
from dailypapers.errors import StoreError

_MIGRATIONS = Path(__file__).parent / "migrations"
_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()  # web workers serve requests in threads: migrate once, not once per thread


def _sqlite_pragmas(dbapi_conn, _record) -> None:
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


def get_engine(settings: Settings | None = None) -> Engine:
    """The engine for the configured database, created (and migrated) once per process."""
    settings = settings or get_settings()
    url = settings.db_url
    engine = _engines.get(url)
    if engine is not None:
        return engine
    with _engines_lock:
        if url not in _engines:
            if url.startswith("sqlite"):
                settings.ensure_data_dir()
            engine = make_engine(url)
            upgrade(engine)
            _engines[url] = engine
        return _engines[url]


def dispose_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


@contextmanager
def session_scope(settings: Settings | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error: nothing is half-written."""
    factory = sessionmaker(get_engine(settings), expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def upgrade(engine: Engine) -> None:
    """Apply every Alembic migration not yet applied (runs on start and by `dailypapers db upgrade`)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "heads")  # areas may add independent branches
    except OperationalError as exc:
        raise StoreError(f"cannot open or migrate the database: {exc.orig}") from exc


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except OperationalError:
            return None

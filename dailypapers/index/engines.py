"""Which keyword engine serves a database, one per process: the `keyword_engine` setting, else the default of
the database (tantivy beside SQLite; tsvector inside PostgreSQL, which several web hosts may share).

`postgres` and `fts5` keep the index inside the database (the store's own engine must match); `tantivy`
works on either store. Adding an engine: implement `seams.KeywordIndex` and name it here.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine

from dailypapers.config import get_settings
from dailypapers.errors import InvalidInput
from dailypapers.index.keyword_fts5 import Fts5Index
from dailypapers.index.keyword_postgres import PostgresIndex
from dailypapers.index.keyword_tantivy import TantivyIndex
from dailypapers.index.seams import KeywordIndex

DEFAULTS = {"sqlite": "tantivy", "postgresql": "postgres"}
_DIALECT_ENGINES = {"fts5": "sqlite", "postgres": "postgresql"}
_indexes: dict[tuple, KeywordIndex] = {}
_lock = threading.Lock()


def keyword_index(engine: Engine, settings=None) -> KeywordIndex:
    """The keyword index of this database, opened once per process."""
    settings = settings or get_settings()
    name = settings.keyword_engine or DEFAULTS.get(engine.dialect.name, "tantivy")
    dialect = _DIALECT_ENGINES.get(name)
    if name != "tantivy" and dialect is None:
        raise InvalidInput(f"unknown keyword engine {name!r}; use tantivy, fts5 or postgres")
    if dialect is not None and engine.dialect.name != dialect:
        raise InvalidInput(f"the {name} keyword engine needs a {dialect} database")
    folder = Path(settings.data_dir).resolve() / "keyword"
    key = (name, engine.url.render_as_string(hide_password=False), str(folder))
    with _lock:
        if key not in _indexes:
            _indexes[key] = (TantivyIndex(engine, folder) if name == "tantivy"
                             else Fts5Index(engine) if name == "fts5" else PostgresIndex(engine))
        return _indexes[key]


def forget_indexes() -> None:
    """Close every open index (tests that swap data dirs)."""
    with _lock:
        _indexes.clear()

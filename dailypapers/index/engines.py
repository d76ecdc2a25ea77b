"""Which keyword engine and which vector index serve a database: the one place search/ and ranking/ get them.

Keyword engine, one per process: the `keyword_engine` setting, else tantivy on either store (measured
against FTS5 and PostgreSQL's tsvector in benchmarks/RESULTS.md: more relevant and faster than both). On
PostgreSQL each host keeps its own tantivy replica in its data dir, built from the database at start and kept
fresh by the change numbers. `postgres` (tsvector) and `fts5` keep the index inside the database (the
store's own engine must match).

Vector index: pgvector inside PostgreSQL, so every host on the database searches the same vectors; the
matrix files (and HNSW graph) in the data dir beside SQLite.

Adding an engine: implement `protocols.KeywordIndex` or `protocols.VectorIndex` and name it here.
"""

from __future__ import annotations

import threading
from pathlib import Path

from dailypapers.config import Settings, get_settings
from dailypapers.errors import InvalidInput
from dailypapers.index.keyword_fts5 import Fts5Index
from dailypapers.index.keyword_postgres import PostgresIndex
from dailypapers.index.keyword_tantivy import TantivyIndex
from dailypapers.index.protocols import KeywordIndex, VectorIndex
from dailypapers.index.vectors import VECTORS_FOLDER, BuiltIndex, build_vector_index, load_vector_index
from dailypapers.index.vectors_pgvector import forget_snapshots, load_pgvector_index, refresh_pgvector
from dailypapers.store.db import Engine

DEFAULT_ENGINE = "tantivy"
_DIALECT_ENGINES = {"fts5": "sqlite", "postgres": "postgresql"}
_indexes: dict[tuple[str, str, str], KeywordIndex] = {}
_lock = threading.Lock()


def keyword_index(engine: Engine, settings: Settings | None = None) -> KeywordIndex:
    """The keyword index of this database, opened once per process."""
    settings = settings or get_settings()
    name = settings.keyword_engine or DEFAULT_ENGINE
    dialect = _DIALECT_ENGINES.get(name)
    if name != "tantivy" and dialect is None:
        raise InvalidInput(f"unknown keyword engine {name!r}; use tantivy, fts5 or postgres")
    if dialect is not None and engine.dialect.name != dialect:
        raise InvalidInput(f"the {name} keyword engine needs a {dialect} database")
    folder = keyword_folder(settings)
    key = (name, engine.url.render_as_string(hide_password=False), str(folder))
    with _lock:
        if key not in _indexes:
            _indexes[key] = (
                TantivyIndex(engine, folder)
                if name == "tantivy"
                else Fts5Index(engine)
                if name == "fts5"
                else PostgresIndex(engine)
            )
        return _indexes[key]


def keyword_folder(settings: Settings) -> Path:
    return Path(settings.data_dir).resolve() / "keyword"


def derived_folders(settings: Settings) -> list[Path]:
    """The data dir's folders that the indexes fill from the database: a backup leaves them out, a restore
    clears them (downloaded or distilled models stay: they do not depend on the database)."""
    return [keyword_folder(settings), Path(settings.data_dir).resolve() / VECTORS_FOLDER]


def vector_index(engine: Engine, model: str, settings: Settings | None = None) -> VectorIndex | None:
    """The vector index of a model's stored vectors (its label), or None while there is nothing to search."""
    if engine.dialect.name == "postgresql":
        return load_pgvector_index(engine, model)
    return load_vector_index(engine, (settings or get_settings()).data_dir, model)


def refresh_vector_index(engine: Engine, model: str, dim: int, settings: Settings | None = None) -> BuiltIndex:
    """`dailypapers index`, after embedding: bring the model's vector index up to date."""
    if engine.dialect.name == "postgresql":
        return refresh_pgvector(engine, model, dim)
    return build_vector_index(engine, (settings or get_settings()).data_dir, model, dim)


def forget_indexes() -> None:
    """Close every open index (tests that swap data dirs or databases)."""
    with _lock:
        _indexes.clear()
    forget_snapshots()

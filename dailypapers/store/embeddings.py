"""The `embeddings` table: one vector per paper and model, with the paper's content hash at embedding time.

It is the source of truth for every vector index: on PostgreSQL its pgvector column is the index itself
(written with the blob, store/pgvector.py); beside SQLite the index files are rebuilt from it. Vectors are
little-endian float32 blobs; `vectors_of` is the one read of them by paper.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypedDict

import numpy as np
from sqlalchemy import Connection, Engine, Row, bindparam, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from dailypapers.store.models import Embedding, utcnow
from dailypapers.store.pgvector import EMBEDDINGS_PG

EMBEDDINGS = Embedding.__table__

_WITHOUT_VECTOR = (
    "FROM papers p LEFT JOIN embeddings e ON e.paper_id = p.id AND e.model = :model "
    "WHERE (e.paper_id IS NULL OR e.content_hash != p.content_hash)"
)
_TO_EMBED = f"SELECT p.id, p.title, p.abstract, p.content_hash {_WITHOUT_VECTOR}"
_PENDING = f"{_TO_EMBED} AND p.id > :after ORDER BY p.id LIMIT :limit"
_PENDING_IDS = f"SELECT p.id {_WITHOUT_VECTOR} ORDER BY p.id LIMIT :limit"
_PENDING_OF = text(f"{_TO_EMBED} AND p.id IN :ids ORDER BY p.id").bindparams(bindparam("ids", expanding=True))
_VECTORS_OF = "SELECT e.paper_id, e.vector FROM embeddings e WHERE e.model = :model AND e.paper_id IN :ids"
_CURRENT = " AND e.content_hash = (SELECT p.content_hash FROM papers p WHERE p.id = e.paper_id)"


@contextmanager
def _connected(bind: Engine | Connection) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as conn:
            yield conn


def _unpack(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4")


# --- what is still to embed -------------------------------------------------------------------------------


def count_pending(engine: Engine, model: str) -> int:
    """How many papers have no current vector for this model (none, or one of an older text)."""
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) {_WITHOUT_VECTOR}"), {"model": model}).scalar() or 0


def pending_ids(engine: Engine, model: str, limit: int) -> list[int]:
    """The first `limit` papers, by id, without a current vector for this model."""
    with engine.connect() as conn:
        return list(conn.execute(text(_PENDING_IDS), {"model": model, "limit": limit}).scalars())


def iter_pending(engine: Engine, model: str, batch_size: int) -> Iterator[Sequence[Row[Any]]]:
    """Pages of (id, title, abstract, content_hash) of the papers without a current vector, in id order."""
    after = 0
    while True:
        with engine.connect() as conn:
            rows = conn.execute(text(_PENDING), {"model": model, "after": after, "limit": batch_size}).all()
        if not rows:
            return
        yield rows
        after = rows[-1].id


def pending_among(engine: Engine, model: str, paper_ids: list[int]) -> Sequence[Row[Any]]:
    """(id, title, abstract, content_hash) of those of these papers still without a current vector."""
    with engine.connect() as conn:
        return conn.execute(_PENDING_OF, {"model": model, "ids": list(paper_ids)}).all()


# --- vectors --------------------------------------------------------------------------------------------


def save_vectors(engine: Engine, model: str, keys: list[tuple[int, str]], vectors: np.ndarray) -> None:
    """Insert or replace the vectors of these (paper id, content hash) pairs in one transaction."""
    now = utcnow()
    rows = [
        {
            "paper_id": pid,
            "model": model,
            "content_hash": digest,
            "created_at": now,
            "vector": np.ascontiguousarray(vec, dtype="<f4").tobytes(),
        }
        for (pid, digest), vec in zip(keys, vectors, strict=True)
    ]
    if not rows:
        return
    changed = ["content_hash", "vector", "created_at"]
    postgres = engine.dialect.name == "postgresql"
    if postgres:  # the pgvector copy, in the same statement (migration 0006)
        changed.append("embedding")
        for row in rows:
            row["embedding"] = row["vector"]
    stmt = postgresql.insert(EMBEDDINGS_PG) if postgres else sqlite.insert(EMBEDDINGS)
    stmt = stmt.on_conflict_do_update(
        index_elements=["paper_id", "model"], set_={name: stmt.excluded[name] for name in changed}
    )
    with engine.begin() as conn:
        conn.execute(stmt, rows)


def vectors_of(
    bind: Engine | Connection, model: str, paper_ids: list[int], *, current: bool = False
) -> dict[int, np.ndarray]:
    """The stored vectors of these papers under this model (papers without one are left out); with `current`,
    only those embedded from the paper's present text."""
    if not paper_ids:
        return {}
    query = text(_VECTORS_OF + (_CURRENT if current else "")).bindparams(bindparam("ids", expanding=True))
    with _connected(bind) as conn:
        rows = conn.execute(query, {"model": model, "ids": list(paper_ids)}).all()
    return {paper_id: _unpack(blob) for paper_id, blob in rows}


def vector_of(bind: Engine | Connection, paper_id: int, model: str) -> np.ndarray | None:
    return vectors_of(bind, model, [paper_id]).get(paper_id)


def stored_models(engine: Engine) -> dict[str, int]:
    """{model: dimensions} of every model with vectors stored (float32: four bytes a dimension)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(EMBEDDINGS.c.model, func.max(func.length(EMBEDDINGS.c.vector))).group_by(EMBEDDINGS.c.model)
        ).all()
    return {model: size // 4 for model, size in rows}


class Fingerprint(TypedDict):
    count: int
    max_paper_id: int
    last_embedded: str


def fingerprint(conn: Connection, model: str) -> Fingerprint:
    """What changes whenever this model's vectors do: their count, the newest paper and the latest write."""
    row = conn.execute(
        text("SELECT count(*), coalesce(max(paper_id), 0), max(created_at) FROM embeddings WHERE model = :model"),
        {"model": model},
    ).one()
    return {"count": int(row[0]), "max_paper_id": int(row[1]), "last_embedded": str(row[2] or "")}


def vector_page(conn: Connection, model: str, after: int, limit: int) -> tuple[np.ndarray, list[bytes]]:
    """(paper ids, blobs) of this model's vectors after paper `after`, in id order: a page of a streamed read."""
    rows = conn.execute(
        text(
            "SELECT paper_id, vector FROM embeddings WHERE model = :model AND paper_id > :after "
            "ORDER BY paper_id LIMIT :limit"
        ),
        {"model": model, "after": after, "limit": limit},
    ).all()
    return np.array([r.paper_id for r in rows], dtype=np.int64), [r.vector for r in rows]


def all_vectors(engine: Engine, model: str, at_most: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(sorted paper ids, matrix) of every vector of this model; None when there are none or more than
    `at_most` (too many to read at once)."""
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM embeddings WHERE model = :model"), {"model": model}).scalar()
        if not count or count > at_most:
            return None
        rows = conn.execute(
            text("SELECT paper_id, vector FROM embeddings WHERE model = :model ORDER BY paper_id"), {"model": model}
        ).all()
    ids = np.array([r.paper_id for r in rows], dtype=np.int64)
    return ids, _unpack(b"".join(r.vector for r in rows)).reshape(len(rows), -1)

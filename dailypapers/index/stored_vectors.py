"""Stored vectors: embed the papers that are new or changed since their last vector, in committed batches.

The `embeddings` table is the source of truth (one row per paper and model, with the paper's content hash
at embedding time). On PostgreSQL it is the vector index too (its pgvector column, written with the blob);
beside SQLite the vector index files are rebuilt from it. Each batch is committed on its own, so a killed
run keeps what it finished and the next run picks up the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine, bindparam, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from dailypapers.faults import VECTORS_SAVED, fault_point
from dailypapers.index.embedders import Embedder, paper_text
from dailypapers.store.models import Embedding, utcnow
from dailypapers.store.pgvector import EMBEDDINGS_PG

EMBEDDINGS = Embedding.__table__

_WITHOUT_VECTOR = ("FROM papers p LEFT JOIN embeddings e ON e.paper_id = p.id AND e.model = :model "
                   "WHERE (e.paper_id IS NULL OR e.content_hash != p.content_hash)")
_TO_EMBED = f"SELECT p.id, p.title, p.abstract, p.content_hash {_WITHOUT_VECTOR}"
_PENDING = f"{_TO_EMBED} AND p.id > :after ORDER BY p.id LIMIT :limit"
_PENDING_IDS = f"SELECT p.id {_WITHOUT_VECTOR} ORDER BY p.id LIMIT :limit"
_PENDING_OF = text(f"{_TO_EMBED} AND p.id IN :ids ORDER BY p.id").bindparams(bindparam("ids", expanding=True))


@dataclass
class EmbedResult:
    embedded: int = 0
    seconds: float = 0.0


def count_pending(engine: Engine, model: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) {_WITHOUT_VECTOR}"), {"model": model}).scalar() or 0


def pending_ids(engine: Engine, model: str, limit: int) -> list[int]:
    """The first `limit` papers, by id, without a current vector for this model."""
    with engine.connect() as conn:
        return list(conn.execute(text(_PENDING_IDS), {"model": model, "limit": limit}).scalars())


def stored_models(engine: Engine) -> dict[str, int]:
    """{model: dimensions} of every model with vectors stored (float32: four bytes a dimension)."""
    with engine.connect() as conn:
        rows = conn.execute(select(EMBEDDINGS.c.model, func.max(func.length(EMBEDDINGS.c.vector)))
                            .group_by(EMBEDDINGS.c.model)).all()
    return {model: size // 4 for model, size in rows}


def iter_pending(engine: Engine, model: str, batch_size: int) -> Iterator[list]:
    after = 0
    while True:
        with engine.connect() as conn:
            rows = conn.execute(text(_PENDING), {"model": model, "after": after, "limit": batch_size}).all()
        if not rows:
            return
        yield rows
        after = rows[-1].id


def embed_pending(engine: Engine, embedder: Embedder, batch_size: int = 256,
                  advance: Callable[[int], None] | None = None, max_batches: int | None = None) -> EmbedResult:
    """Embed every paper without a current vector for this model; returns how many were embedded."""
    result = EmbedResult()
    started = time.perf_counter()
    for number, rows in enumerate(iter_pending(engine, embedder.name, batch_size)):
        if max_batches is not None and number >= max_batches:
            break
        _embed_rows(engine, embedder, rows)
        fault_point(VECTORS_SAVED)
        result.embedded += len(rows)
        if advance:
            advance(len(rows))
    result.seconds = time.perf_counter() - started
    return result


def embed_papers(engine: Engine, embedder: Embedder, paper_ids: list[int]) -> EmbedResult:
    """Embed those of these papers that still have no current vector for this model (another run may have
    embedded some since they were picked), in one committed batch."""
    started = time.perf_counter()
    with engine.connect() as conn:
        rows = conn.execute(_PENDING_OF, {"model": embedder.name, "ids": list(paper_ids)}).all()
    if rows:
        _embed_rows(engine, embedder, rows)
    return EmbedResult(len(rows), time.perf_counter() - started)


def _embed_rows(engine: Engine, embedder: Embedder, rows) -> None:
    vectors = embedder.embed([paper_text(row.title, row.abstract) for row in rows])
    save_vectors(engine, embedder.name, [(row.id, row.content_hash) for row in rows], vectors)


def save_vectors(engine: Engine, model: str, keys: list[tuple[int, str]], vectors: np.ndarray) -> None:
    """Insert or replace the vectors of these (paper id, content hash) pairs in one transaction."""
    now = utcnow()
    rows = [{"paper_id": pid, "model": model, "content_hash": digest, "created_at": now,
             "vector": np.ascontiguousarray(vec, dtype="<f4").tobytes()}
            for (pid, digest), vec in zip(keys, vectors, strict=True)]
    if not rows:
        return
    changed = ["content_hash", "vector", "created_at"]
    if engine.dialect.name == "postgresql":  # the pgvector copy, in the same statement (migration 0006)
        stmt = postgresql.insert(EMBEDDINGS_PG)
        changed.append("embedding")
        for row in rows:
            row["embedding"] = row["vector"]
    else:
        stmt = sqlite.insert(EMBEDDINGS)
    stmt = stmt.on_conflict_do_update(index_elements=["paper_id", "model"],
                                      set_={name: stmt.excluded[name] for name in changed})
    with engine.begin() as conn:
        conn.execute(stmt, rows)


def vectors_of(conn, model: str, paper_ids: list[int]) -> dict[int, np.ndarray]:
    """The stored vectors of these papers under this model (papers without one are left out)."""
    if not paper_ids:
        return {}
    query = text("SELECT paper_id, vector FROM embeddings WHERE model = :model AND paper_id IN :ids").bindparams(
        bindparam("ids", expanding=True))
    rows = conn.execute(query, {"model": model, "ids": list(paper_ids)})
    return {paper_id: np.frombuffer(blob, dtype="<f4") for paper_id, blob in rows}


def vector_of(conn, paper_id: int, model: str) -> np.ndarray | None:
    return vectors_of(conn, model, [paper_id]).get(paper_id)

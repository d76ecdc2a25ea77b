"""The vector index inside PostgreSQL (pgvector): every machine on the database searches the same vectors.

Vectors are the `embedding` column of `embeddings` (migration 0006), written with their blob in one
statement. HNSW needs a fixed dimension and the column has none, so each model gets a partial expression
index (`hnsw_index_name`), created by `dailypapers index`. Every query repeats the index's expression,
`embedding::vector(dim)`, and names the model as a literal (a bound value would hide it from the planner),
or the index cannot serve it.

Filters are SQL (keyword_sql.conditions, the authors as the tsvector engine matches them) applied during
an iterative HNSW scan (pgvector >= 0.8, relaxed order); the candidates are then put in exact order.
When the scan's budget runs out before `k` papers pass, the same query runs exactly on the papers that pass.

Freshness: `search`, `vector` and `rows` read the database on every call, so a paper embedded by another machine is
found at once. The sorted `ids` (behind `contains` and `len`) are a snapshot: `load_pgvector_index` checks
the table at most every IDS_TTL seconds and hands out a new snapshot when it changed.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable

import numpy as np
from sqlalchemy import Engine, text

from dailypapers.config import get_settings
from dailypapers.index.keyword_fts5 import author_match
from dailypapers.index.keyword_postgres import to_tsquery_text
from dailypapers.index.keyword_sql import conditions
from dailypapers.index.protocols import Allowed, Filters, Keep, VectorHits
from dailypapers.index.vectors import BuiltIndex
from dailypapers.store.embeddings import vector_of, vectors_of
from dailypapers.store.pgvector import vector_literal

# The HNSW build options and a query's candidate list are settings (pgvector_hnsw_m, pgvector_hnsw_ef_construction,
# pgvector_ef_search), chosen at 1M papers by benchmarks/pgvector_sweep.py.
MAX_EF_SEARCH = 1000  # pgvector's upper bound
MAX_SCAN_TUPLES = 20_000  # how far an iterative scan goes looking for papers that pass the filters
IDS_TTL = 5.0  # seconds a snapshot of the ids is trusted before the table is checked again
_BACKFILL_BATCH = 1000
# For one transaction (SET LOCAL), in one round trip.
_SCAN_SETTINGS = (
    "SELECT set_config('hnsw.ef_search', :ef, true), "
    "set_config('hnsw.iterative_scan', 'relaxed_order', true), "
    f"set_config('hnsw.max_scan_tuples', '{MAX_SCAN_TUPLES}', true)"
)


def hnsw_index_name(model: str, dim: int) -> str:
    """A deterministic name, within PostgreSQL's 63 characters, for the HNSW index of one model."""
    readable = re.sub(r"[^a-z0-9]+", "_", model.lower()).strip("_")[:30]
    return f"ix_embeddings_hnsw_{readable}_{dim}_{hashlib.sha1(model.encode()).hexdigest()[:8]}"


def _quoted(model: str) -> str:
    return "'" + model.replace("'", "''") + "'"  # standard_conforming_strings: doubling the quote is enough


def nearest_sql(model: str, dim: int, where: str = "", exact: bool = False) -> str:
    """The k nearest (:q, :k) of the model passing `where`, in exact order of their similarity."""
    # The HNSW index serves only its own expression; the distance on the bare column is an exact scan.
    distance = (
        "e.embedding <=> CAST(:q AS vector)"
        if exact
        else f"e.embedding::vector({int(dim)}) <=> CAST(:q AS vector({int(dim)}))"
    )
    return (
        f"WITH found AS MATERIALIZED (SELECT e.paper_id, {distance} AS distance "
        f"FROM embeddings e JOIN papers p ON p.id = e.paper_id WHERE e.model = {_quoted(model)} "
        f"AND e.embedding IS NOT NULL{where} ORDER BY {distance} LIMIT :k) "
        "SELECT paper_id, 1 - distance AS similarity FROM found ORDER BY distance, paper_id"
    )


def refresh_pgvector(engine: Engine, model: str, dim: int) -> BuiltIndex:
    """`dailypapers index` on PostgreSQL: fill the vector column where an older version left it empty, and
    create the model's HNSW index if it does not exist yet (inserts keep it current from then on)."""
    backfill(engine, model)
    name = hnsw_index_name(model, dim)
    settings = get_settings()
    m = settings.pgvector_hnsw_m
    ef_construction = max(settings.pgvector_hnsw_ef_construction, 2 * m)  # pgvector refuses less than 2m
    with engine.begin() as conn:
        existed = conn.execute(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": name}).scalar()
        if not existed:
            conn.execute(
                text("SELECT set_config('maintenance_work_mem', :mem, true)"),
                {"mem": f"{max(64, int(settings.pgvector_build_memory_mb))}MB"},
            )
        conn.execute(
            text(
                f"CREATE INDEX IF NOT EXISTS {name} ON embeddings USING hnsw ((embedding::vector({int(dim)})) "
                f"vector_cosine_ops) WITH (m = {int(m)}, ef_construction = {int(ef_construction)}) "
                f"WHERE model = {_quoted(model)}"
            )
        )
        count = conn.execute(text(f"SELECT count(*) FROM embeddings WHERE model = {_quoted(model)}")).scalar()
    return BuiltIndex(int(count or 0), ann=True, rebuilt=not existed, ann_kind="pgvector HNSW")


def backfill(engine: Engine, model: str) -> int:
    """Copy the blobs of rows written before migration 0006 into the vector column; returns how many."""
    done = 0
    while True:
        with engine.begin() as conn:
            rows = conn.execute(
                text("SELECT paper_id, vector FROM embeddings WHERE model = :model AND embedding IS NULL LIMIT :limit"),
                {"model": model, "limit": _BACKFILL_BATCH},
            ).all()
            if not rows:
                return done
            conn.execute(
                text("UPDATE embeddings SET embedding = CAST(:v AS vector) WHERE paper_id = :id AND model = :model"),
                [
                    {"v": vector_literal(np.frombuffer(r.vector, dtype="<f4")), "id": r.paper_id, "model": model}
                    for r in rows
                ],
            )
        done += len(rows)


class PgVectorIndex:
    """Nearest papers by cosine similarity, answered by PostgreSQL; `ids` is a snapshot (see the module);
    a `VectorIndex`."""

    approximate = True  # the model's HNSW index answers every search

    def __init__(self, engine: Engine, model: str, dim: int, ids: np.ndarray):
        self.engine = engine
        self.model = model
        self.dim = dim
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    def contains(self, paper_id: int) -> bool:
        pos = int(np.searchsorted(self.ids, paper_id))
        return pos < len(self.ids) and int(self.ids[pos]) == paper_id

    def vector(self, paper_id: int) -> np.ndarray | None:
        with self.engine.connect() as conn:
            return vector_of(conn, paper_id, self.model)

    def rows(self, positions: np.ndarray) -> np.ndarray:
        """Read from the database on demand; a paper deleted since the snapshot reads as zeros (scores zero)."""
        wanted = self.ids[np.asarray(positions, dtype=np.int64)]
        out = np.zeros((len(wanted), self.dim), dtype=np.float32)
        if len(wanted) == 0:
            return out
        with self.engine.connect() as conn:
            found = vectors_of(conn, self.model, wanted.tolist())
        for i, pid in enumerate(wanted.tolist()):
            if pid in found:
                out[i] = found[pid]
        return out

    def score_rows(self, score: Callable[[np.ndarray], np.ndarray], positions: np.ndarray) -> np.ndarray:
        return score(self.rows(positions))

    def search(
        self, query: np.ndarray, k: int, keep: Keep = None, allowed: Allowed = None, filters: Filters | None = None
    ) -> VectorHits:
        """The k best (paper id, similarity). With `filters`, they are applied in SQL and `keep`/`allowed`
        are not called; without, `keep` drops candidates and `allowed` lists the papers for an exact scan."""
        if k <= 0:
            return []
        literal = vector_literal(query)
        if filters is not None:
            found = self._nearest(literal, k, *_filter_sql(filters))
            if len(found) < k:  # the scan's budget ran out: every paper that passes, exactly
                found = self._nearest(literal, k, *_filter_sql(filters), exact=True)
            return found
        if keep is None:
            return self._nearest(literal, k)
        wanted = max(10 * k, 200)
        candidates = self._nearest(literal, wanted)
        passed = set(keep(np.array([c for c, _ in candidates], dtype=np.int64)).tolist())
        found = [(c, s) for c, s in candidates if c in passed]
        if len(found) < k and len(passed) < wanted and allowed is not None:
            subset = ",".join(str(int(i)) for i in allowed()) or "NULL"
            return self._nearest(literal, k, f" AND e.paper_id IN ({subset})", {}, exact=True)
        return found[:k]

    def _nearest(
        self, literal: str, k: int, where: str = "", params: dict | None = None, exact: bool = False
    ) -> list[tuple[int, float]]:
        with self.engine.begin() as conn:
            ef_search = min(max(get_settings().pgvector_ef_search, k), MAX_EF_SEARCH)
            conn.execute(text(_SCAN_SETTINGS), {"ef": str(ef_search)})
            rows = conn.execute(
                text(nearest_sql(self.model, self.dim, where, exact)), {**(params or {}), "q": literal, "k": k}
            ).all()
        return [(int(r.paper_id), float(r.similarity)) for r in rows]


def _filter_sql(filters: Filters) -> tuple[str, dict]:
    where, params = conditions(filters)
    authors = author_match(filters)
    if authors:  # matched the way the PostgreSQL keyword engine matches them (keyword_postgres.py)
        where += " AND p.search_vector @@ to_tsquery('english', :authors)"
        params["authors"] = to_tsquery_text(authors)
    return where, params


_snapshots: dict[tuple, tuple[tuple, PgVectorIndex | None, float]] = {}
_snapshots_lock = threading.Lock()


def load_pgvector_index(engine: Engine, model: str) -> PgVectorIndex | None:
    """The model's index with a snapshot of its ids no older than IDS_TTL; None while it has no vectors."""
    key = (engine.url.render_as_string(hide_password=False), model)
    with _snapshots_lock:
        cached = _snapshots.get(key)
    if cached and time.monotonic() - cached[2] < IDS_TTL:
        return cached[1]
    with engine.connect() as conn:
        fingerprint = tuple(
            conn.execute(
                text(f"SELECT count(*), coalesce(max(paper_id), 0) FROM embeddings WHERE model = {_quoted(model)}")
            ).one()
        )
        dim = None
        if not (cached and cached[0] == fingerprint) and fingerprint[0]:
            dim = conn.execute(
                text(
                    "SELECT vector_dims(embedding) FROM embeddings "
                    f"WHERE model = {_quoted(model)} AND embedding IS NOT NULL LIMIT 1"
                )
            ).scalar()
        if cached and cached[0] == fingerprint:
            index = cached[1]
        elif dim is None:
            index = None  # no vectors yet (or none copied into the column: `dailypapers index` fills it)
        else:
            ids = np.fromiter(
                conn.execute(
                    text(f"SELECT paper_id FROM embeddings WHERE model = {_quoted(model)} ORDER BY paper_id")
                ).scalars(),
                dtype=np.int64,
            )
            index = PgVectorIndex(engine, model, int(dim), ids)
    with _snapshots_lock:
        _snapshots[key] = (fingerprint, index, time.monotonic())
    return index


def forget_snapshots() -> None:
    """Drop every cached snapshot (tests that swap databases)."""
    with _snapshots_lock:
        _snapshots.clear()

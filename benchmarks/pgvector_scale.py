"""pgvector search at scale: HNSW build time, query p50/p95 and recall@10 against an exact scan, plain and filtered.

    python benchmarks/pgvector_scale.py --sizes 20000 100000 [--url postgresql+psycopg://.../db]

Without --url it starts the tests' throwaway PostgreSQL 18 + pgvector. Vectors are synthetic clustered unit
vectors (384 dimensions, 1 paper in 10 in cs.CL for the filtered runs); queries are corpus vectors plus noise.
`load` and `measure` are what benchmarks/search_scale.py can call on its own PostgreSQL database.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import Engine, create_engine, insert, text  # noqa: E402

from dailypapers.config import Settings  # noqa: E402
from dailypapers.index.protocols import Filters  # noqa: E402
from dailypapers.index.vectors_pgvector import (  # noqa: E402
    hnsw_index_name,
    load_pgvector_index,
    nearest_sql,
    refresh_pgvector,
)
from dailypapers.store.db import migrate  # noqa: E402
from dailypapers.store.embeddings import save_vectors  # noqa: E402
from dailypapers.store.models import Paper  # noqa: E402
from dailypapers.store.pgvector import vector_literal  # noqa: E402
from tests.postgres import postgres_server  # noqa: E402

MODEL, DIM, SEED = "bench-synthetic", 384, 20261201
CLUSTERS = 500
_BATCH = 5_000


def clustered_vectors(n: int, dim: int = DIM, seed: int = SEED) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(CLUSTERS, dim)).astype(np.float32)
    vectors = centres[rng.integers(0, CLUSTERS, n)] + rng.normal(scale=1.0, size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def load(engine: Engine, vectors: np.ndarray) -> dict:
    """Papers and their vectors into a migrated, empty database, then the HNSW index; returns timings."""
    started = time.perf_counter()
    n = len(vectors)
    with engine.begin() as conn:
        for start in range(0, n, _BATCH):
            conn.execute(
                insert(Paper.__table__),
                [
                    {
                        "arxiv_id": f"bench.{i:07d}",
                        "title": f"paper {i}",
                        "abstract": "",
                        "content_hash": "h",
                        "categories": "cs.CL" if i % 10 == 0 else "cs.LG",
                    }
                    for i in range(start, min(n, start + _BATCH))
                ],
            )
        ids = np.array(conn.execute(text("SELECT id FROM papers ORDER BY arxiv_id")).scalars().all(), dtype=np.int64)
    for start in range(0, n, _BATCH):
        part = slice(start, start + _BATCH)
        save_vectors(engine, MODEL, [(int(pid), "h") for pid in ids[part]], vectors[part])
    stored = time.perf_counter() - started
    started = time.perf_counter()
    refresh_pgvector(engine, MODEL, vectors.shape[1])
    return {"ids": ids, "store_s": stored, "hnsw_build_s": time.perf_counter() - started}


def measure(engine: Engine, ids: np.ndarray, vectors: np.ndarray, n_queries: int = 200, k: int = 10) -> dict:
    """p50/p95 (ms) and recall@10 against exact numpy search, without filters and with category cs.CL."""
    rng = np.random.default_rng(SEED + 1)
    queries = vectors[rng.integers(0, len(vectors), n_queries)] + rng.normal(scale=0.03, size=(n_queries, DIM))
    queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)
    index = load_pgvector_index(engine, MODEL)
    cs_cl = np.arange(len(ids)) % 10 == 0
    out = {}
    for name, filters, mask in (("plain", Filters(), None), ("cs.CL", Filters(category="cs.CL"), cs_cl)):
        times, recalls = [], []
        for q in queries:
            started = time.perf_counter()
            found = index.search(q, k, filters=filters)
            times.append((time.perf_counter() - started) * 1000)
            scores = vectors @ q
            if mask is not None:
                scores = np.where(mask, scores, -np.inf)
            truth = set(ids[np.argpartition(-scores, k)[:k]].tolist())
            recalls.append(len(truth & {pid for pid, _ in found}) / k)
        out[name] = {
            "p50_ms": round(float(np.percentile(times, 50)), 2),
            "p95_ms": round(float(np.percentile(times, 95)), 2),
            "recall_at_10": round(float(np.mean(recalls)), 4),
        }
    out["plain"]["uses_hnsw"] = uses_hnsw(engine, queries[0], k)
    return out


def uses_hnsw(engine: Engine, query: np.ndarray, k: int) -> bool:
    """Whether PostgreSQL's plan for an unfiltered query walks the HNSW index (or scans exactly)."""
    with engine.connect() as conn:
        plan = (
            conn.execute(
                text("EXPLAIN " + nearest_sql(MODEL, DIM, " AND NOT p.hidden")), {"q": vector_literal(query), "k": k}
            )
            .scalars()
            .all()
        )
    return any(hnsw_index_name(MODEL, DIM) in line for line in plan)


def run(url: str, size: int, n_queries: int) -> dict:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"pgvector_bench_{size}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
        conn.execute(text(f"ALTER DATABASE {name} SET maintenance_work_mem = '1GB'"))  # the graph fits: faster
    admin.dispose()
    target = url.rsplit("/", 1)[0] + "/" + name
    migrate(Settings(database_url=target))
    engine = create_engine(target)
    vectors = clustered_vectors(size)
    built = load(engine, vectors)
    result = {
        "size": size,
        "store_s": round(built["store_s"], 1),
        "hnsw_build_s": round(built["hnsw_build_s"], 1),
        **measure(engine, built["ids"], vectors, n_queries),
    }
    engine.dispose()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--url", help="a PostgreSQL database with pgvector >= 0.8 (default: a throwaway server)")
    args = parser.parse_args(argv)
    if args.url:
        results = [run(args.url, size, args.queries) for size in args.sizes]
    else:
        with postgres_server() as url:
            results = [run(url, size, args.queries) for size in args.sizes]
    for result in results:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

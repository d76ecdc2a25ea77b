"""pgvector at scale: recall@10 and search latency for each hnsw.ef_search and HNSW build, to choose the settings.

    .venv/bin/python benchmarks/pgvector_sweep.py --size 1m --ef-search 40,64,100,150,200,300 --builds 16:64,16:128

The collection is benchmarks/search_scale.py's (the 20,050 real papers and their MiniLM vectors, grown by
benchmarks/synthetic.py to 100k or 1M with its fixed seed), written by search_scale.py's build step through the
product's write path. Its PostgreSQL server is kept in benchmarks/out/pg-SIZE, so a rerun only measures.

For each HNSW build (m:ef_construction; the index is dropped and created again by the product's
refresh_vector_index with those settings, and timed) and each ef_search (the pgvector_ef_search setting), in one
process: recall@10 of the product's pgvector index against an exact scan of the same vectors in numpy, the
mean time of the index's own search, and p50/p95 of hybrid search through the product's search() with the
query embedding included (search_scale.py's queries: the judged ones, the demo titles, then real titles).
Results are merged into
benchmarks/out/pgvector_sweep-SIZE.json after each measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import search_scale  # noqa: E402
from relevance import use_data_dir  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from dailypapers.config import get_settings  # noqa: E402
from dailypapers.index.embedders import model_label  # noqa: E402
from dailypapers.index.engines import refresh_vector_index  # noqa: E402
from dailypapers.index.vectors_pgvector import hnsw_index_name  # noqa: E402
from dailypapers.search import SearchQuery, search  # noqa: E402
from dailypapers.search.semantic import embed_query, semantic_index  # noqa: E402
from dailypapers.store.db import session_scope  # noqa: E402
from tests.postgres import postgres_server  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
MODEL = search_scale.MODEL


def database(server_url: str, name: str) -> tuple[str, bool]:
    """The URL of the collection's database on the kept server, and whether it had to be created."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}", not exists


def hnsw_options(engine, dim: int) -> str | None:
    """'m:ef_construction' of the model's HNSW index as built, or None when there is none."""
    with engine.connect() as conn:
        options = conn.execute(
            text("SELECT reloptions FROM pg_class WHERE relname = :n"), {"n": hnsw_index_name(model_label(MODEL), dim)}
        ).scalar()
    if options is None:
        return None
    found = dict(o.split("=", 1) for o in options)
    return f"{found['m']}:{found['ef_construction']}"


def rebuild_hnsw(engine, dim: int, m: int, ef_construction: int) -> float:
    """Drop the model's HNSW index and let the product create it again with these build settings; seconds."""
    settings = get_settings()
    settings.pgvector_hnsw_m, settings.pgvector_hnsw_ef_construction = m, ef_construction
    with engine.begin() as conn:
        conn.execute(text(f"DROP INDEX IF EXISTS {hnsw_index_name(model_label(MODEL), dim)}"))
    started = time.perf_counter()
    refresh_vector_index(engine, model_label(MODEL), dim)
    return time.perf_counter() - started


def timed(session, texts: list[str], mode: str) -> dict:
    times = []
    for text_ in texts:
        started = time.perf_counter()
        search(session, SearchQuery(text_, mode=mode, limit=10))
        times.append(1000 * (time.perf_counter() - started))
    return {"p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95))}


def sweep(size: str, url: str, builds: list[tuple[int, int]], efs: list[int], n_queries: int, record: Path) -> None:
    path = search_scale.data_dir(size, "postgresql")
    use_data_dir(path, url)
    results = json.loads(record.read_text()) if record.exists() else {}
    texts = search_scale.query_texts(n_queries)
    vectors = [embed_query(t) for t in texts]
    with session_scope() as session:
        engine = session.get_bind()
        ann = semantic_index(session, MODEL)
        exact = search_scale.exact_twin(ann, engine)  # every vector in memory: the exact scan
        truth = [{p for p, _ in exact.search(v, 10)} for v in vectors]
        del exact
        for m, ef_construction in builds:
            built = f"{m}:{ef_construction}"
            if hnsw_options(engine, ann.dim) != built:
                print(f"building HNSW {built} ...", file=sys.stderr, flush=True)
                load = os.getloadavg()[0]
                results.setdefault(built, {})["build_s"] = rebuild_hnsw(engine, ann.dim, m, ef_construction)
                results[built]["build_load_average"] = [load, os.getloadavg()[0]]
            for ef in efs:
                get_settings().pgvector_ef_search = ef
                for text_ in texts[:10]:  # warm up: the graph's pages into memory
                    search(session, SearchQuery(text_, mode="hybrid"))
                load = os.getloadavg()[0]
                started = time.perf_counter()
                found = [{p for p, _ in ann.search(v, 10)} for v in vectors]
                ann_ms = 1000 * (time.perf_counter() - started) / len(vectors)
                row = {
                    "recall@10": float(np.mean([len(f & t) / 10 for f, t in zip(found, truth, strict=True)])),
                    "ann_mean_ms": ann_ms,
                    "hybrid": timed(session, texts, "hybrid"),
                    "queries": len(texts),
                    "load_average": [load, os.getloadavg()[0]],
                }
                results.setdefault(built, {})[str(ef)] = row
                record.write_text(json.dumps(results, indent=1))
                print(
                    f"{built} ef_search {ef}: recall@10 {row['recall@10']:.3f}, pgvector mean {ann_ms:.1f} ms, "
                    f"hybrid p50/p95 {row['hybrid']['p50_ms']:.1f}"
                    f" / {row['hybrid']['p95_ms']:.1f} ms (load {load:.1f})",
                    flush=True,
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="1m", choices=("5k", "100k", "1m"))
    parser.add_argument("--ef-search", default="40,64,100,150,200,300", help="hnsw.ef_search values, comma-separated.")
    parser.add_argument("--builds", default="16:64", help="HNSW builds as m:ef_construction, comma-separated.")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)
    efs = [int(e) for e in args.ef_search.split(",")]
    builds = [tuple(int(x) for x in b.split(":")) for b in args.builds.split(",")]
    with postgres_server(keep=OUT / f"pg-{args.size}") as server:
        url, created = database(server, f"scale_{args.size}")
        if created or not (search_scale.data_dir(args.size, "postgresql") / "build.json").exists():
            print(f"building {args.size} on PostgreSQL ...", file=sys.stderr, flush=True)
            os.environ.update(
                {
                    "DAILYPAPERS_PGVECTOR_HNSW_M": str(builds[0][0]),  # for the build's process
                    "DAILYPAPERS_PGVECTOR_HNSW_EF_CONSTRUCTION": str(builds[0][1]),
                }
            )
            print(
                json.dumps(
                    search_scale.child(
                        ["--sizes", "", "--postgres-sizes", args.size, "--backend", "postgresql", "--step", "build"],
                        url,
                    )
                ),
                flush=True,
            )
        sweep(args.size, url, builds, efs, args.queries, OUT / f"pgvector_sweep-{args.size}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())

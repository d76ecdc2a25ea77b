"""Scale benchmark: build time, query latency, ANN recall and memory at 20k real and 100k / 1M synthetic papers,
on SQLite and on PostgreSQL in one run.

    .venv/bin/python benchmarks/search_scale.py                                # 20k, 100k, 1M; PostgreSQL to 100k
    .venv/bin/python benchmarks/search_scale.py --sizes 20k,100k --postgres-sizes 20k
    .venv/bin/python benchmarks/search_scale.py --sizes 5k --postgres-sizes "" --queries 40   # the CI-sized check

For each size and database: build times (papers with the in-database keyword index, stored vectors, the
keyword index outside the database, the exact vector matrix, matrix + HNSW graph); p50/p95 latency of
keyword, semantic and hybrid search through the product's search() with the query embedding included, each
against the brute-force baseline (the same search with an exact scan of the same vectors) in the same
process; ANN recall@10 against that exact scan; the peak memory (max RSS) of the build and of the searching
process (PostgreSQL's own server processes are not in it). On SQLite the keyword engines are also timed side
by side (tantivy, the default, and FTS5, both through search()), with bm25s over the same texts unless
--no-bm25s.

20k = the 64 demo papers and the 19,995 real ones with their real MiniLM vectors (made by
benchmarks/relevance.py, read from benchmarks/out/distractors); 100k and 1M = synthetic papers from
benchmarks/synthetic.py (fixed seed) grown from them; 5k (the CI-sized check) = synthetic papers grown from 300
real ones embedded on the spot, so that it needs no cache. Both databases are filled through the store's write path
(upsert_papers, save_vectors). SQLite collections are kept in benchmarks/out/scale-N/ so reruns only measure
(--rebuild builds again); PostgreSQL runs on a throwaway embedded server (tests/postgres.py) and is built
every run. The vector index and keyword engine are the product's choice for each database (index/engines.py).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import bm25s  # noqa: E402
import numpy as np  # noqa: E402
from relevance import use_data_dir  # noqa: E402
from sqlalchemy import bindparam, create_engine, select, text  # noqa: E402
from synthetic import RealCorpus, generate, nearest_neighbours  # noqa: E402

from dailypapers.config import get_settings  # noqa: E402
from dailypapers.index.embedders import get_embedder, model_label, paper_text  # noqa: E402
from dailypapers.index.engines import keyword_index, refresh_vector_index  # noqa: E402
from dailypapers.index.vectors import FileVectorIndex, build_vector_index  # noqa: E402
from dailypapers.ingest.demo import demo_records  # noqa: E402
from dailypapers.search import SearchQuery, hybrid, search  # noqa: E402
from dailypapers.search.semantic import embed_query, semantic_index  # noqa: E402
from dailypapers.sources.snapshot import iter_jsonl  # noqa: E402
from dailypapers.store.db import migrate, session_scope  # noqa: E402
from dailypapers.store.embeddings import save_vectors  # noqa: E402
from dailypapers.store.models import Paper  # noqa: E402
from dailypapers.store.papers import paper_to_record, upsert_papers  # noqa: E402
from tests.postgres import postgres_server  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
REAL = OUT / "distractors"
SAMPLE = ROOT / "benchmarks" / "data" / "arxiv-sample-20k.jsonl.gz"
SEED_PAPERS = 300
MODEL = "minilm"
SIZES = {"5k": 5_000, "20k": 20_050, "100k": 100_000, "1m": 1_000_000}
# FTS5 scores every paper holding any query word: seconds per query at 1M, so fewer queries time it there.
MAX_FTS5_QUERIES_1M = 60
BATCH = 10_000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def data_dir(size: str, backend: str) -> Path:
    return OUT / (f"scale-{size}" if backend == "sqlite" else f"scale-{size}-{backend}")


def real_corpus() -> RealCorpus:
    """The 20,050 real papers with their MiniLM vectors: the 20k collection and the seed of 100k and 1M."""
    use_data_dir(REAL)
    migrate()  # the cached collection may come from an older version: it is ours to upgrade
    with session_scope() as session:
        rows = session.execute(
            text("SELECT paper_id, vector FROM embeddings WHERE model = :m ORDER BY paper_id"),
            {"m": model_label(MODEL)},
        ).all()
        if len(rows) < SIZES["20k"]:
            raise SystemExit("the real 20k vectors are missing: run benchmarks/relevance.py first")
        papers = {p.id: p for p in session.scalars(select(Paper))}
        records = [paper_to_record(papers[r.paper_id]) for r in rows]
    vectors = np.frombuffer(b"".join(r.vector for r in rows), dtype="<f4").reshape(len(rows), -1).copy()
    return RealCorpus(records, vectors, nearest_neighbours(vectors))


def seed_corpus() -> RealCorpus:
    """The seed of the CI-sized 5k run: the first SEED_PAPERS papers of the sample, embedded with MiniLM now,
    so that a fresh clone (without the 20k cache, 16 CPU-minutes to make) runs it."""
    records = []
    with gzip.open(SAMPLE, "rb") as stream:
        for line in iter_jsonl(stream):
            if line.record is not None:
                records.append(line.record)
            if len(records) == SEED_PAPERS:
                break
    cache = OUT / f"seed-{SEED_PAPERS}-{MODEL}.npy"  # one run builds 5k twice (SQLite, PostgreSQL): embed once
    if cache.exists():
        vectors = np.load(cache)
    else:
        vectors = get_embedder(MODEL).embed([paper_text(r.title, r.abstract) for r in records])
        OUT.mkdir(parents=True, exist_ok=True)
        partial = cache.with_name(f"{cache.name}.{os.getpid()}.partial")  # a reader beside us sees all or none
        with open(partial, "wb") as f:
            np.save(f, vectors)
        os.replace(partial, cache)
    return RealCorpus(records, vectors, nearest_neighbours(vectors))


def batches(corpus: RealCorpus, size: str):
    """(records, vectors) batches of a collection: the real papers at 20k, synthetic ones otherwise."""
    if size != "20k":
        yield from generate(corpus, SIZES[size], batch=BATCH)
        return
    for start in range(0, len(corpus.records), BATCH):
        yield corpus.records[start : start + BATCH], corpus.vectors[start : start + BATCH]


def build_vectors(engine, path: Path, dim: int, ann_min: int):
    """The vector index the product serves from this database (files beside it; in the database with pgvector)."""
    if engine.dialect.name == "postgresql":
        return refresh_vector_index(engine, model_label(MODEL), dim)
    return build_vector_index(engine, path, model_label(MODEL), dim, force=True, ann_min=ann_min)


def build(size: str, backend: str, database_url: str | None) -> dict:
    """Fill a fresh database through the store's write path, then build every index; returns the timings."""
    corpus = seed_corpus() if size == "5k" else real_corpus()
    path = data_dir(size, backend)
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("dailypapers.db*"):
        old.unlink()
    # and the keyword index of an earlier build: its watermark would match the new database's change numbers
    shutil.rmtree(path / "keyword", ignore_errors=True)
    use_data_dir(path, database_url)
    engine = migrate()
    label = model_label(MODEL)
    timings = {"papers": 0.0, "vectors_table": 0.0}
    wanted = text("SELECT arxiv_id, id FROM papers WHERE arxiv_id IN :ids").bindparams(bindparam("ids", expanding=True))
    for records, vectors in batches(corpus, size):
        started = time.perf_counter()
        with engine.begin() as conn:
            upsert_papers(conn, records)
        timings["papers"] += time.perf_counter() - started
        started = time.perf_counter()
        with engine.connect() as conn:
            ids = dict(conn.execute(wanted, {"ids": [r.arxiv_id for r in records]}).all())
        save_vectors(engine, label, [(ids[r.arxiv_id], r.content_hash()) for r in records], vectors)
        timings["vectors_table"] += time.perf_counter() - started
        print(f"  {size} {backend}: {len(ids)} more papers", file=sys.stderr, flush=True)
    started = time.perf_counter()
    keyword_index(engine).refresh()
    timings["keyword_index"] = time.perf_counter() - started
    dim = corpus.vectors.shape[1]
    started = time.perf_counter()
    build_vectors(engine, path, dim, ann_min=10**12)
    timings["exact_matrix"] = time.perf_counter() - started
    started = time.perf_counter()
    timings["count"] = build_vectors(engine, path, dim, ann_min=0).count  # the graph at every size: measured
    timings["matrix_and_hnsw"] = time.perf_counter() - started
    timings["build_peak_rss_mb"] = peak_rss_mb()
    timings["built_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (path / "build.json").write_text(json.dumps(timings))
    return timings


def query_texts(limit: int) -> list[str]:
    """The judged queries, the demo titles, then real titles of the sample: paraphrases and known items."""
    judged = [q["query"] for q in json.loads((ROOT / "benchmarks" / "relevance_judgments.json").read_text())["queries"]]
    texts = judged + [r.title for r in demo_records()]
    rng = np.random.default_rng(7)
    with gzip.open(SAMPLE, "rt") as f:
        titles = [" ".join(json.loads(line)["title"].split()) for _, line in zip(range(3000), f, strict=False)]
    texts += [titles[i] for i in rng.permutation(len(titles))]
    return texts[:limit]


def exact_twin(index, engine) -> FileVectorIndex:
    """The brute-force baseline: an exact scan over the same vectors (the index's own matrix when it has one)."""
    matrix = getattr(index, "matrix", None)
    if not isinstance(matrix, np.ndarray):  # pgvector's rows are read on demand: scan the stored vectors
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT paper_id, vector FROM embeddings WHERE model = :m ORDER BY paper_id"), {"m": index.model}
            ).all()
        ids = np.array([r.paper_id for r in rows], dtype=np.int64)
        return FileVectorIndex(
            index.model, ids, np.frombuffer(b"".join(r.vector for r in rows), dtype="<f4").reshape(len(rows), -1)
        )
    return FileVectorIndex(index.model, index.ids, matrix)


@contextmanager
def serving(index):
    """search() served by this vector index instead of the product's choice, for the duration."""
    with mock.patch.object(hybrid, "semantic_index", lambda session, model=None: index):
        yield


def timed(session, texts: list[str], mode: str) -> dict:
    times = []
    for text_ in texts:
        started = time.perf_counter()
        search(session, SearchQuery(text_, mode=mode, limit=10))
        times.append(1000 * (time.perf_counter() - started))
    return {"p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95))}


def measure(size: str, backend: str, database_url: str | None, n_queries: int) -> dict:
    """Latency per mode (the product's index and the exact baseline), ANN recall@10, keyword engines side by side."""
    path = data_dir(size, backend)
    use_data_dir(path, database_url)
    migrate()  # a collection built by an older version (or before a migration landed) is ours to upgrade
    texts = query_texts(n_queries)
    result = {"queries": len(texts), "engines": {}}
    with session_scope() as session:
        ann = semantic_index(session, MODEL)
        if ann is None:
            raise SystemExit(f"{size} {backend}: no vector index; build first")
        exact = exact_twin(ann, session.get_bind())
        for text_ in texts[:10]:  # warm up: model load, page cache
            search(session, SearchQuery(text_, mode="hybrid"))
        started = time.perf_counter()
        vectors = [embed_query(t) for t in texts]
        result["embed_ms_mean"] = 1000 * (time.perf_counter() - started) / len(texts)
        recalls = [len({p for p, _ in ann.search(v, 10)} & {p for p, _ in exact.search(v, 10)}) / 10 for v in vectors]
        result["ann_recall@10"] = float(np.mean(recalls))
        result["keyword"] = timed(session, texts, "keyword")
        for mode in ("semantic", "hybrid"):
            result[mode] = timed(session, texts, mode)
            with serving(exact):
                result[f"{mode}_exact"] = timed(session, texts, mode)
        if backend == "sqlite":  # the other keyword engine on the same database
            get_settings().keyword_engine = "fts5"
            few = texts[:MAX_FTS5_QUERIES_1M] if size == "1m" else texts
            result["engines"]["fts5"] = {**timed(session, few, "keyword"), "queries": len(few)}
            get_settings().keyword_engine = None
        result["keyword_engine"] = type(keyword_index(session.get_bind())).__name__
        result["vector_index"] = f"{type(ann).__module__.rsplit('.', 1)[-1]}.{type(ann).__name__}"
    result["search_peak_rss_mb"] = peak_rss_mb()
    return result


def measure_bm25s(size: str, n_queries: int) -> dict:
    """bm25s (title + abstract, default parameters) over the same papers: index time, latency, memory."""
    engine = create_engine(f"sqlite:///{data_dir(size, 'sqlite') / 'dailypapers.db'}")
    with engine.connect() as conn:
        texts = [f"{t} {a or ''}" for t, a in conn.execute(text("SELECT title, abstract FROM papers ORDER BY id"))]
    started = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, show_progress=False), show_progress=False)
    built = time.perf_counter() - started
    del texts
    times = []
    for query in query_texts(n_queries):
        started = time.perf_counter()
        retriever.retrieve(bm25s.tokenize([query], show_progress=False), k=10, show_progress=False)
        times.append(1000 * (time.perf_counter() - started))
    return {
        "build_s": built,
        "p50_ms": float(np.percentile(times, 50)),
        "p95_ms": float(np.percentile(times, 95)),
        "peak_rss_mb": peak_rss_mb(),
    }


def child(args: list[str], database_url: str | None) -> dict:
    """Run one step in a fresh process so that its peak memory is its own."""
    env = {**os.environ, "DAILYPAPERS_DATABASE_URL": database_url or ""}
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env)
    sys.stderr.write(done.stderr[-3000:])
    if done.returncode != 0:
        raise SystemExit(f"step {args} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def databases(names: list[str]):
    """A throwaway PostgreSQL server with one empty database per name: {name: URL}."""
    if not names:
        yield {}
        return
    with postgres_server() as url:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        yield {name: url.rsplit("/", 1)[0] + f"/{name}" for name in names}


def run_size(size: str, backend: str, url: str | None, args) -> dict:
    record = data_dir(size, backend) / "build.json"
    step = ["--sizes", size, "--backend", backend, "--queries", str(args.queries)]
    if backend != "sqlite" or args.rebuild or not record.exists():
        print(f"building {size} on {backend} ...", file=sys.stderr, flush=True)
        child([*step, "--step", "build"], url)
    row = {**json.loads(record.read_text()), "size": size, "backend": backend}
    print(f"measuring {size} on {backend} ...", file=sys.stderr, flush=True)
    row.update(child([*step, "--step", "measure"], url))
    if backend == "sqlite" and args.bm25s:
        row["engines"]["bm25s"] = child([*step, "--step", "bm25s"], None)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="20k,100k,1m", help="On SQLite, comma-separated: 5k, 20k, 100k, 1m.")
    parser.add_argument("--postgres-sizes", default="20k,100k", help='On PostgreSQL ("" for none).')
    parser.add_argument("--queries", type=int, default=200, help="Queries timed per mode.")
    parser.add_argument("--rebuild", action="store_true", help="Build SQLite again even when a built copy exists.")
    parser.add_argument("--no-bm25s", dest="bm25s", action="store_false", help="Leave out the bm25s baseline.")
    parser.add_argument("--backend", default="sqlite", help=argparse.SUPPRESS)
    parser.add_argument("--step", choices=("build", "measure", "bm25s"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    plan = [(s, "sqlite") for s in split(args.sizes)] + [(s, "postgresql") for s in split(args.postgres_sizes)]
    if args.step:  # inside a child process
        size, url = plan[0][0], os.environ.get("DAILYPAPERS_DATABASE_URL") or None
        data = (
            build(size, args.backend, url)
            if args.step == "build"
            else measure(size, args.backend, url, args.queries)
            if args.step == "measure"
            else measure_bm25s(size, args.queries)
        )
        print(json.dumps(data))
        return 0

    load = os.getloadavg()
    name = "-".join(f"{s}{'' if b == 'sqlite' else '-pg'}" for s, b in plan)
    rows: list[dict] = []
    with databases([f"scale_{s}" for s, b in plan if b == "postgresql"]) as urls:
        for size, backend in plan:
            rows.append(
                {
                    **run_size(size, backend, urls[f"scale_{size}"] if backend == "postgresql" else None, args),
                    "load_average_after": os.getloadavg()[0],
                }
            )
            # written after each size, so that a failure later in a long run keeps what was measured
            (OUT / f"search_scale-{name}.json").write_text(json.dumps(rows, indent=1))
    print(f"\nload average at the end: {load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} now")
    print_tables(rows)
    return 0


def split(sizes: str) -> list[str]:
    chosen = [s.strip().lower() for s in sizes.split(",") if s.strip()]
    for size in chosen:
        if size not in SIZES:
            raise SystemExit(f"unknown size {size}; use {', '.join(SIZES)}")
    return chosen


def print_tables(rows: list[dict]) -> None:
    print("\n| papers | database | mode | p50 ms | p95 ms | exact-scan baseline p50 / p95 ms |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        where = f"| {r['count']:,} | {r['backend']} |"
        print(
            f"{where} keyword ({r['keyword_engine']}) | {r['keyword']['p50_ms']:.1f} | {r['keyword']['p95_ms']:.1f} "
            "| - |"
        )
        for mode in ("semantic", "hybrid"):
            a, e = r[mode], r[f"{mode}_exact"]
            print(f"{where} {mode} | {a['p50_ms']:.1f} | {a['p95_ms']:.1f} | {e['p50_ms']:.1f} / {e['p95_ms']:.1f} |")
    print("\n| papers | database | keyword engine | p50 ms | p95 ms | queries | index build s | peak MB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['count']:,} | {r['backend']} | {r['keyword_engine']} (default) | {r['keyword']['p50_ms']:.1f} | "
            f"{r['keyword']['p95_ms']:.1f} | {r['queries']} | {r['keyword_index']:.1f} | - |"
        )
        for name, e in r["engines"].items():
            print(
                f"| {r['count']:,} | {r['backend']} | {name} | {e['p50_ms']:.1f} | {e['p95_ms']:.1f} | "
                f"{e.get('queries', r['queries'])} | {e.get('build_s', 0.0):.1f} | {e.get('peak_rss_mb', 0):.0f} |"
            )
    print(
        "\n| papers | database | vector index | ANN recall@10 | query embedding ms | papers s | vectors table s | "
        "keyword index s | exact matrix s | matrix + HNSW s | build peak MB | search peak MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['count']:,} | {r['backend']} | {r['vector_index']} | {r['ann_recall@10']:.3f} | "
            f"{r['embed_ms_mean']:.1f} | {r['papers']:.1f} | {r['vectors_table']:.1f} | {r['keyword_index']:.1f} | "
            f"{r['exact_matrix']:.1f} | {r['matrix_and_hnsw']:.1f} | {r['build_peak_rss_mb']:.0f} | "
            f"{r['search_peak_rss_mb']:.0f} |"
        )


if __name__ == "__main__":
    sys.exit(main())

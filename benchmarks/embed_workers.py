"""Embedding shared by the job queue's workers: papers embedded per second with 1 and with 2 `dailypapers worker`
processes on one backlog, in the same run.

    python benchmarks/embed_workers.py --papers 5000 [--model minilm-static] [--workers 1 2] [--url ...]

Papers: the first --papers real papers of benchmarks/data/arxiv-sample-20k.jsonl.gz. Without --url it starts the
tests' throwaway PostgreSQL 18 + pgvector. For each number of workers: the vectors are deleted, the workers are
started and registered, one `embed` job is deferred, as an ingest does, and the clock runs until the queue is
idle. `papers_per_s` counts until every paper has its vector (each worker loads the model at its first job);
`index_finished_s` until the last job has finished the index (HNSW, keywords and summaries: only the first
run computes those). The workers are real processes, as deployed. `--model minilm-static` distils into
--data-dir once (a minute or more).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from dailypapers.config import Settings  # noqa: E402
from dailypapers.index.embedders import MINILM_STATIC  # noqa: E402
from dailypapers.jobs.queue import EMBED, EMBED_BATCH, job_app  # noqa: E402
from dailypapers.sources.snapshot import iter_jsonl  # noqa: E402
from dailypapers.store.db import dispose_engines, get_engine, migrate  # noqa: E402
from dailypapers.store.jobs import jobs_per_state  # noqa: E402
from dailypapers.store.papers import upsert_papers  # noqa: E402
from tests.postgres import postgres_server  # noqa: E402

SAMPLE = ROOT / "benchmarks" / "data" / "arxiv-sample-20k.jsonl.gz"


def sample(count: int) -> list:
    records = []
    with gzip.open(SAMPLE, "rb") as stream:
        for line in iter_jsonl(stream):
            if line.record is not None:
                records.append(line.record)
            if len(records) == count:
                break
    return records


def wait_until(condition, what: str, timeout: float = 3600) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up after {timeout} s waiting for {what}")
        time.sleep(0.05)


def scalar(engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


def idle(engine) -> bool:
    states = jobs_per_state(engine)
    return states["todo"] == 0 and states["doing"] == 0


def run(settings: Settings, env: dict[str, str], workers: int, papers: int) -> dict:
    engine = get_engine(settings)
    with engine.begin() as conn:  # a fresh backlog and an empty queue
        conn.execute(text("DELETE FROM embeddings"))
        conn.execute(text("DELETE FROM procrastinate_events"))
        conn.execute(text("DELETE FROM procrastinate_jobs"))
    logs = [open(settings.data_dir / f"worker-{workers}-{n}.log", "w") for n in range(workers)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "dailypapers.cli", "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        for log in logs
    ]
    try:
        wait_until(
            lambda: scalar(engine, "SELECT count(*) FROM procrastinate_workers") >= workers, "the workers to start"
        )
        started = time.perf_counter()
        app = job_app(settings)
        with app.open():
            app.tasks[EMBED].defer()
        wait_until(lambda: scalar(engine, "SELECT count(*) FROM embeddings") == papers, "every vector")
        embedded = time.perf_counter() - started
        wait_until(lambda: idle(engine), "the last job")
        finished = time.perf_counter() - started
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(120)
        for log in logs:
            log.close()
    batches = scalar(engine, f"SELECT count(*) FROM procrastinate_jobs WHERE task_name = '{EMBED_BATCH}'")
    return {
        "workers": workers,
        "papers": papers,
        "embedded_s": round(embedded, 2),
        "papers_per_s": round(papers / embedded, 1),
        "index_finished_s": round(finished, 2),
        "batch_jobs": batches,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=5000)
    parser.add_argument("--model", default=MINILM_STATIC)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--job-papers", type=int, default=256, help="DAILYPAPERS_EMBED_JOB_PAPERS")
    parser.add_argument("--data-dir", type=Path, default=None, help="the data dir (default: a new temporary one)")
    parser.add_argument("--url", help="a PostgreSQL database to use (emptied of vectors and jobs)")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="embed-workers-"))
    with postgres_server() if not args.url else nullcontext(args.url) as url:
        env = {
            **os.environ,
            "DAILYPAPERS_DATABASE_URL": url,
            "DAILYPAPERS_DATA_DIR": str(data_dir),
            "DAILYPAPERS_EMBEDDING_MODEL": args.model,
            "DAILYPAPERS_EMBED_JOB_PAPERS": str(args.job_papers),
        }
        settings = Settings(
            database_url=url, data_dir=data_dir, embedding_model=args.model, embed_job_papers=args.job_papers
        )
        engine = migrate(settings)
        records = sample(args.papers)
        with engine.begin() as conn:
            upsert_papers(conn, records)
        results = [run(settings, env, n, len(records)) for n in args.workers]
        dispose_engines()
    print(json.dumps({"model": args.model, "cpus": os.cpu_count(), "runs": results}, indent=2))


if __name__ == "__main__":
    main()

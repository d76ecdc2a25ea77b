"""The whole of arXiv, rehearsed on SQLite: import 2.9M records, index their keywords, embed what time allows.

    .venv/bin/python benchmarks/arxiv_rehearsal.py [--records 2900000] [--embed 20000] [--embed-minutes 30]
    .venv/bin/python benchmarks/arxiv_rehearsal.py --backend postgresql --records 1000000 ...

The records are the 19,995 real papers of benchmarks/data/arxiv-sample-20k.jsonl.gz resampled under new ids
(seed 7), as benchmarks/import_speed.py makes them, with benchmarks/synthetic.py's ids (months of the 1990s
that never had new-style ids) so that 2.9M fit. Each stage is the product's own code in a fresh process, on
one data dir under benchmarks/out/rehearsal-N (kept, so a stage can be rerun with --stages):

  import         `dailypapers import FILE` with the keyword sync it ends with left out: the papers alone
  keyword        that sync, alone: the tantivy index built from the database
  embed          `dailypapers index`, interrupted (SIGINT, as Ctrl-C) once it has stored --embed vectors or after
                 --embed-minutes, then run again for one batch to show that it resumes where it stopped

For each: wall seconds, CPU seconds (the stage's processes and their threads: the import's parse pool
included), peak RSS of its largest process, the data dir's size after it. The embedding rate is measured
between the first and the last vector stored (model loading left out) and extrapolated to every record.
Results go to benchmarks/out/rehearsal-N.json.

With `--backend postgresql` the same stages run against an embedded PostgreSQL 18 + pgvector server kept in
benchmarks/out/pg-rehearsal-N (tests/postgres.py's); the data dir then holds only the keyword index. The
server's CPU seconds (its postmaster and every backend it reaped, from /proc) and the database's size are
reported beside the stage's own, since the stage's processes do not include the server.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic import synthetic_id  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
SAMPLE = ROOT / "benchmarks" / "data" / "arxiv-sample-20k.jsonl.gz"
ARXIV = 2_900_000
# The closing keyword sync stubbed out, as in benchmarks/import_speed.py: the import's papers alone.
IMPORT_ONLY = (
    "import sys; from dailypapers.ingest import snapshot; "
    "snapshot.keyword_index = lambda *a: type('NoIndex', (), {'sync': lambda self: 0})(); "
    "from dailypapers.cli import main; sys.argv[0] = 'dailypapers'; sys.exit(main())"
)
KEYWORD_SYNC = (
    "from dailypapers.store.db import get_engine; from dailypapers.index.engines import keyword_index; "
    "print(keyword_index(get_engine()).sync())"
)


def make_file(path: Path, n: int, seed: int = 7) -> None:
    with gzip.open(SAMPLE, "rt") as f:
        base = [json.loads(line) for line in f]
    rng = random.Random(seed)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w") as out:
        for i in range(n):
            out.write(json.dumps({**rng.choice(base), "id": synthetic_id(i)}) + "\n")
    partial.replace(path)


def disk_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


class Server:
    """The PostgreSQL server of a `--backend postgresql` run: its URL, its CPU so far, the database's size."""

    def __init__(self, url: str, root: Path):
        from sqlalchemy import create_engine

        self.url, self.root = url, root
        self.engine = create_engine(url, pool_size=1)

    def scalar(self, sql: str) -> int:
        from sqlalchemy import text

        try:
            with self.engine.connect() as conn:
                return int(conn.execute(text(sql)).scalar() or 0)
        except Exception as exc:  # the table is not made yet
            if "does not exist" in str(exc):
                return 0
            raise

    def cpu_s(self) -> float:
        """The postmaster's CPU, that of the children it reaped (finished backends), and its live children's."""
        postmaster = int((self.root / "data" / "postmaster.pid").read_text().split()[0])
        total = _stat_cpu(postmaster, reaped=True)
        for child in Path("/proc").glob("[0-9]*"):
            try:
                if int((child / "stat").read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                    total += _stat_cpu(int(child.name))
            except (FileNotFoundError, ProcessLookupError):  # it ended meanwhile: its CPU is in the reaped sum
                pass
        return total

    def database_mb(self) -> float:
        return self.scalar("SELECT pg_database_size(current_database())") / 1e6


def _stat_cpu(pid: int, reaped: bool = False) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


SERVER: Server | None = None  # set by main() for a PostgreSQL run


def count(data_dir: Path, table: str) -> int:
    if SERVER is not None:
        return SERVER.scalar(f"SELECT count(*) FROM {table}")
    try:
        with sqlite3.connect(f"file:{data_dir / 'dailypapers.db'}?mode=ro", uri=True, timeout=30) as db:
            return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:  # not made yet
        return 0


def run(data_dir: Path, args: list[str], stop=None) -> dict:
    """A stage in a fresh process under `nice`: wall s, CPU s and peak RSS (from wait4: the process, its
    threads, and every process it waited for), the data dir's size after. `stop(started, pid)` is asked every
    5 s; when it says so, the process gets SIGINT, as Ctrl-C."""
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    if SERVER is not None:
        env["DAILYPAPERS_DATABASE_URL"] = SERVER.url
        server_cpu = SERVER.cpu_s()
    started = time.perf_counter()
    stopped = False
    with open(data_dir.with_name(data_dir.name + ".log"), "ab") as log:
        # nice execs python: proc.pid is the stage's process. SIGINT as a terminal sends it, even when this
        # script runs in the background (where the shell has the children ignore it).
        proc = subprocess.Popen(
            ["nice", "-n", "19", sys.executable, *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=interruptible,
        )
        while True:
            pid, status, usage = os.wait4(proc.pid, 0 if stop is None else os.WNOHANG)
            if pid:
                break
            time.sleep(5)
            if not stopped and stop(started, proc.pid):
                proc.send_signal(signal.SIGINT)
                stopped = True
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, by wait4
    wall = time.perf_counter() - started
    if proc.returncode and not stopped:
        raise SystemExit(f"stage {args} failed with {proc.returncode}: see {log.name}")
    row = {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "disk_mb": disk_mb(data_dir),
        "interrupted": stopped,
        "load_average_after": os.getloadavg()[0],
    }
    if SERVER is not None:
        row.update(server_cpu_s=SERVER.cpu_s() - server_cpu, database_mb=SERVER.database_mb())
    return row


def interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def embed_stage(data_dir: Path, wanted: int, minutes: float) -> dict:
    """`dailypapers index` until `wanted` vectors or `minutes`; the rate between first and last vector stored."""
    marks: list[tuple[float, float, int]] = []  # (wall, CPU s of the process so far, vectors stored)

    def stop(started: float, pid: int) -> bool:
        done = count(data_dir, "embeddings")
        if done:
            marks.append((time.perf_counter(), cpu_of(pid), done))
        return done >= wanted or time.perf_counter() - started > 60 * minutes

    row = run(data_dir, ["-m", "dailypapers.cli", "index"], stop)
    row["embedded"] = count(data_dir, "embeddings")
    if len(marks) >= 2 and marks[-1][2] > marks[0][2]:
        (t0, c0, n0), (t1, c1, n1) = marks[0], marks[-1]
        row.update(
            rate_per_s=(n1 - n0) / (t1 - t0),
            cpu_s_per_paper=(c1 - c0) / (n1 - n0),
            measured_papers=n1 - n0,
            cores_busy=(c1 - c0) / (t1 - t0),
        )
    return row


def cpu_of(pid: int) -> float:
    """CPU seconds a running process (all its threads) has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def resume_stage(data_dir: Path) -> dict:
    """Run `dailypapers index` again for a moment: it goes on from the vectors already stored."""
    before = count(data_dir, "embeddings")

    def stop(started: float, pid: int) -> bool:
        return count(data_dir, "embeddings") > before

    row = run(data_dir, ["-m", "dailypapers.cli", "index"], stop)
    row.update(before=before, after=count(data_dir, "embeddings"))
    return row


def main() -> None:
    global SERVER
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=ARXIV)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--embed", type=int, default=20_000, help="Stop embedding after this many vectors.")
    parser.add_argument("--embed-minutes", type=float, default=30.0, help="... or after this many minutes.")
    parser.add_argument("--stages", default="import,keyword,embed", help="Which stages to run, in order.")
    parser.add_argument("--keep-file", action="store_true", help="Keep the records file (GBs) after the import.")
    args = parser.parse_args()
    name = f"rehearsal-{args.records}" + ("" if args.backend == "sqlite" else "-postgresql")
    if args.backend == "sqlite":
        rehearse(args, name)
        return
    sys.path.insert(0, str(ROOT))
    from tests.postgres import postgres_server

    root = OUT / f"pg-{name}"
    with postgres_server(keep=root) as url:
        SERVER = Server(url, root.resolve())
        rehearse(args, name)


def rehearse(args: argparse.Namespace, name: str) -> None:
    n, stages = args.records, args.stages.split(",")
    data_dir = OUT / name
    record = OUT / f"{name}.json"
    results = json.loads(record.read_text()) if record.exists() else {"records": n, "backend": args.backend}
    data_dir.mkdir(parents=True, exist_ok=True)

    def save(stage: str, row: dict) -> None:
        results[stage] = row
        record.write_text(json.dumps(results, indent=1))
        print(f"{stage}: {json.dumps(row)}", flush=True)

    if "import" in stages:
        src = OUT / f"rehearsal-{n}.jsonl"
        if not src.exists():
            started = time.perf_counter()
            make_file(src, n)
            results["file"] = {"seconds": time.perf_counter() - started, "mb": src.stat().st_size / 1e6}
        run(data_dir, ["-m", "dailypapers.cli", "db", "upgrade"])
        save(
            "import",
            {**run(data_dir, ["-c", IMPORT_ONLY, "import", str(src), "--json"]), "papers": count(data_dir, "papers")},
        )
        if not args.keep_file:
            src.unlink()
    if "keyword" in stages:
        save("keyword", run(data_dir, ["-c", KEYWORD_SYNC]))
    if "embed" in stages:
        row = embed_stage(data_dir, args.embed, args.embed_minutes)
        if row.get("rate_per_s"):
            row["extrapolated_all_s"] = n / row["rate_per_s"]
            row["extrapolated_all_cpu_s"] = n * row["cpu_s_per_paper"]
        save("embed", row)
        save("resume", resume_stage(data_dir))


if __name__ == "__main__":
    main()

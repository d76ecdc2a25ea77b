"""Import throughput: `dailypapers import` of a snapshot-format file into SQLite, as shipped.

Builds a file of N records (default 100,000) by resampling the 19,995 real papers of
benchmarks/data/arxiv-sample-20k.jsonl.gz under new ids (fixed seed), then measures in the same run:

  parse only         reading + parsing + validating in one process, no database (the baseline)
  store only         the real command with the keyword sync left out: papers alone
  import + tantivy   the real command, default engine: papers, then the keyword index synced (counted)
  import + fts5      the same with DAILYPAPERS_KEYWORD_ENGINE=fts5
  second run         the same file again (tantivy): nothing changes, nothing is written
  killed + rerun     SIGKILL half-way, rerun: counts must equal a clean import's

After each full import the engine's watermark must equal the store's newest change number (the index is
complete before the command returns) and a keyword search must find papers.

Usage: .venv/bin/python benchmarks/import_speed.py [--records 100000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dailypapers.sources.snapshot import iter_jsonl, open_lines

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "data" / "arxiv-sample-20k.jsonl.gz"


def make_file(path: Path, n: int, seed: int = 7) -> None:
    with gzip.open(SAMPLE, "rt") as f:
        base = [json.loads(line) for line in f]
    rng = random.Random(seed)
    with open(path, "w") as out:
        for i in range(n):
            rec = dict(rng.choice(base))
            rec["id"] = f"{2301 + i // 90000}.{i % 90000:05d}"  # unique new-style ids
            out.write(json.dumps(rec) + "\n")


# The real command with the keyword sync stubbed out: what the store alone costs.
STORE_ONLY = (
    "import sys; from dailypapers.ingest import snapshot; "
    "snapshot.keyword_index = lambda *a: type('NoIndex', (), {'sync': lambda self: 0})(); "
    "from dailypapers.cli import main; sys.argv[0] = 'dailypapers'; sys.exit(main())"
)


CPU: list[float] = [0.0]  # CPU seconds of all finished child processes (and their pools) after each command


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_of_last() -> float:
    return CPU[-1] - CPU[-2]


def cli(data_dir: Path, *args: str, engine: str | None = None, store_only: bool = False) -> tuple[float, dict]:
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(data_dir)}
    if engine:
        env["DAILYPAPERS_KEYWORD_ENGINE"] = engine
    command = ["-c", STORE_ONLY] if store_only else ["-m", "dailypapers.cli"]
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, *command, *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    CPU.append(children_cpu())
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return seconds, json.loads(proc.stdout) if proc.stdout.strip() else {}


def parse_only(path: Path) -> tuple[float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    stream, raw = open_lines(path)
    count = sum(1 for line in iter_jsonl(stream) if line.record is not None)
    raw.close()
    assert count > 0
    return time.perf_counter() - start, time.process_time() - cpu


def papers_in(data_dir: Path) -> int:
    try:
        return sqlite3.connect(data_dir / "dailypapers.db").execute("SELECT count(*) FROM papers").fetchone()[0]
    except sqlite3.OperationalError:  # busy, or not made yet
        return 0


def in_step(data_dir: Path, engine: str) -> bool:
    """The engine's watermark is the store's newest change, and a keyword search finds papers."""
    db = sqlite3.connect(data_dir / "dailypapers.db")
    newest = db.execute("SELECT max(change_seq) FROM papers").fetchone()[0]
    if engine == "fts5":
        mark = db.execute("SELECT seq FROM keyword_fts5_watermark").fetchone()[0]
    else:
        mark = json.loads((data_dir / "keyword" / "watermark.json").read_text())["seq"]
    _, hits = cli(data_dir, "search", "graph neural networks", "--mode", "keyword", "--json", engine=engine)
    return mark == newest and len(hits) > 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    n = args.records
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "snapshot.jsonl"
        make_file(src, n)
        size_mb = src.stat().st_size / 1e6
        print(f"file: {n:,} records, {size_mb:.0f} MB; load average before: {os.getloadavg()}")

        t_parse, c_parse = parse_only(src)
        CPU.append(children_cpu())
        t_store, _ = cli(tmp / "store", "import", str(src), "--json", store_only=True)
        c_store = cpu_of_last()

        full = tmp / "tantivy"
        t_tantivy, report = cli(full, "import", str(src), "--json")
        c_tantivy = cpu_of_last()
        tantivy_ok = in_step(full, "tantivy")
        _, stats1 = cli(full, "stats", "--json")
        t_again, again = cli(full, "import", str(src), "--json")
        c_again = cpu_of_last()
        _, stats2 = cli(full, "stats", "--json")
        assert stats1 == stats2 and again["inserted"] == again["updated"] == 0

        t_fts5, _ = cli(tmp / "fts5", "import", str(src), "--json", engine="fts5")
        c_fts5 = cpu_of_last()
        fts5_ok = in_step(tmp / "fts5", "fts5")

        killed = tmp / "killed"
        cli(killed, "db", "upgrade")
        env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(killed)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "dailypapers.cli", "import", str(src)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        partial = 0
        while partial < n // 2 and proc.poll() is None:  # killed while it writes, half-way
            time.sleep(0.2)
            partial = papers_in(killed)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        partial = papers_in(killed)
        cli(killed, "import", str(src), "--json")
        _, stats3 = cli(killed, "stats", "--json")

    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rate = lambda t: n / t  # noqa: E731
    # CPU seconds of every process of the command (pool included): what an idle machine's cores must do.
    print(f"{'step':<34}{'seconds':>9}{'papers/s':>11}{'vs parse':>10}{'CPU s':>8}")
    steps = [
        ("parse only (one process)", t_parse, c_parse),
        ("store only (no keyword index)", t_store, c_store),
        ("import + tantivy (default)", t_tantivy, c_tantivy),
        ("import + fts5", t_fts5, c_fts5),
        ("second run (unchanged)", t_again, c_again),
    ]
    for name, t, c in steps:
        print(f"{name:<34}{t:>9.2f}{rate(t):>11,.0f}{t / t_parse:>9.2f}x{c:>8.1f}")
    print(f"tantivy import report: {report}")
    print(f"keyword index complete and searchable after import: tantivy {tantivy_ok}, fts5 {fts5_ok}")
    print(f"stats after 1st run {stats1}, after 2nd run {stats2}")
    print(f"killed at {partial:,} rows, rerun -> {stats3} (clean import: {stats1})")
    print(f"peak RSS of any child process: {peak_mb:.0f} MB; load average after: {os.getloadavg()}")
    assert stats3 == stats1 and tantivy_ok and fts5_ok


if __name__ == "__main__":
    main()

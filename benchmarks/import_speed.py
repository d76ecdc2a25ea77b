"""Import throughput: `dailypapers import` of a snapshot-format file into SQLite.

Builds a file of N records (default 100,000) by resampling the 19,995 real papers of
benchmarks/data/arxiv-sample-20k.jsonl.gz under new ids (fixed seed), then measures in the same run:

  parse only        reading + parsing + validating, no database (the ceiling for any store)
  store, no FTS     the same import into a database whose keyword-index triggers are dropped
  full import       the real command: papers and the FTS5 keyword index in the same transaction
  second run        the same file again: nothing changes, nothing is written
  killed + rerun    SIGKILL half-way, rerun: counts must equal a clean import's

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


def cli(data_dir: Path, *args: str) -> tuple[float, dict]:
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(data_dir)}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "dailypapers.cli", *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return seconds, json.loads(proc.stdout) if proc.stdout.strip() else {}


def parse_only(path: Path) -> float:
    start = time.perf_counter()
    stream, raw = open_lines(path)
    count = sum(1 for line in iter_jsonl(stream) if line.record is not None)
    raw.close()
    assert count > 0
    return time.perf_counter() - start


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
        print(f"file: {n:,} records, {size_mb:.0f} MB")

        t_parse = parse_only(src)

        # Store without the keyword index: same command, triggers dropped after the schema exists.
        nofts = tmp / "nofts"
        cli(nofts, "db", "upgrade")
        db = sqlite3.connect(nofts / "dailypapers.db")
        for trigger in ("papers_fts_insert", "papers_fts_update", "papers_fts_delete"):
            db.execute(f"DROP TRIGGER {trigger}")
        db.commit()
        db.close()
        t_nofts, _ = cli(nofts, "import", str(src), "--json")

        full = tmp / "full"
        cli(full, "db", "upgrade")
        t_full, report = cli(full, "import", str(src), "--json")
        _, stats1 = cli(full, "stats", "--json")
        t_again, again = cli(full, "import", str(src), "--json")
        _, stats2 = cli(full, "stats", "--json")
        assert stats1 == stats2 and again["inserted"] == again["updated"] == 0

        killed = tmp / "killed"
        cli(killed, "db", "upgrade")
        env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(killed)}
        proc = subprocess.Popen([sys.executable, "-m", "dailypapers.cli", "import", str(src)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(t_full / 2)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        partial = sqlite3.connect(killed / "dailypapers.db").execute("SELECT count(*) FROM papers").fetchone()[0]
        cli(killed, "import", str(src), "--json")
        _, stats3 = cli(killed, "stats", "--json")

    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rate = lambda t: n / t  # noqa: E731
    print(f"{'step':<28}{'seconds':>9}{'papers/s':>11}{'vs parse':>10}")
    steps = [("parse only (baseline)", t_parse), ("store, no FTS", t_nofts), ("full import (FTS in txn)", t_full),
             ("second run (unchanged)", t_again)]
    for name, t in steps:
        print(f"{name:<28}{t:>9.2f}{rate(t):>11,.0f}{t / t_parse:>9.2f}x")
    print(f"full import report: {report}")
    print(f"stats after 1st run {stats1}, after 2nd run {stats2}")
    print(f"killed at {partial:,} rows, rerun -> {stats3} (clean import: {stats1})")
    print(f"peak RSS of any import process: {peak_mb:.0f} MB")
    assert stats3 == stats1


if __name__ == "__main__":
    main()

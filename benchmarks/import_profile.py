"""Where an import's CPU goes: `dailypapers import`'s stages one by one, in one process, on the same records.

    .venv/bin/python benchmarks/import_profile.py [--records 100000] [--profile]

The file is benchmarks/import_speed.py's (real records of the 20k sample resampled under new ids, seed 7).
Each stage is the product's own function, timed alone in CPU seconds (threads included: tantivy indexes on
two), in the order the command runs them; the pool's parsing runs here in this process, so the handing over
of rows between processes is timed as the pickling it is. With --profile, cProfile's top functions of the
pool's work (parse + rows) and of the writer's (SQLite writes, keyword sync) are printed too.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pickle
import pstats
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from import_speed import make_file  # noqa: E402

from dailypapers.config import get_settings  # noqa: E402
from dailypapers.index.engines import keyword_index  # noqa: E402
from dailypapers.ingest.batches import write_rows  # noqa: E402
from dailypapers.ingest.parse import parse_chunk  # noqa: E402
from dailypapers.ingest.snapshot import CHUNK_LINES  # noqa: E402
from dailypapers.sources.snapshot import parse_any_record  # noqa: E402
from dailypapers.store.db import get_engine, migrate  # noqa: E402
from dailypapers.store.papers import paper_row  # noqa: E402
from dailypapers.store.reads import changed_documents  # noqa: E402


def map_list(function, items: list) -> list:
    return [function(item) for item in items]


class Stages:
    def __init__(self):
        self.rows: list[tuple[str, float, float]] = []

    def run(self, name: str, work, profile: cProfile.Profile | None = None):
        cpu, wall = time.process_time(), time.perf_counter()
        if profile:
            profile.enable()
        out = work()
        if profile:
            profile.disable()
        self.rows.append((name, time.process_time() - cpu, time.perf_counter() - wall))
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true", help="Also print cProfile's top functions.")
    args = parser.parse_args()
    pool_profile = cProfile.Profile() if args.profile else None
    writer_profile = cProfile.Profile() if args.profile else None
    stages = Stages()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "snapshot.jsonl"
        make_file(src, args.records)
        lines = src.read_bytes().splitlines(keepends=True)
        os.environ["DAILYPAPERS_DATA_DIR"] = tmp
        get_settings.cache_clear()
        engine = migrate()

        # the pool's work, cut in its parts, then whole
        objects = stages.run("json.loads", lambda: [json.loads(line) for line in lines])
        records = stages.run("validate (parse_any_record)", partial(map_list, parse_any_record, objects))
        stages.run("store rows (paper_row)", partial(map_list, paper_row, records))
        chunks = [(1 + i, lines[i : i + CHUNK_LINES]) for i in range(0, len(lines), CHUNK_LINES)]
        parsed = stages.run("pool's work whole (parse_chunk)", lambda: [parse_chunk(*c) for c in chunks], pool_profile)
        blobs = stages.run("hand-over: pickle in the pool", lambda: [pickle.dumps(p, -1) for p in parsed])
        parsed = stages.run("hand-over: unpickle in the writer", lambda: [pickle.loads(b) for b in blobs])

        # the writer's work
        def write() -> None:
            for chunk in parsed:
                write_rows(engine, chunk.rows, index=False)

        stages.run("SQLite writes (write_rows, 5,000 a transaction)", write, writer_profile)

        def read_documents() -> int:
            with engine.connect() as conn:
                return sum(len(rows) for rows in changed_documents(conn, 0))

        stages.run("keyword sync: reading the documents", read_documents)
        stages.run("keyword sync whole (reading + tantivy)", lambda: keyword_index(engine).sync(), writer_profile)
        get_engine().dispose()

    n = args.records
    print(f"{n:,} records; load average before {load[0]:.1f}, after {os.getloadavg()[0]:.1f}\n")
    print("| stage | CPU s | wall s | CPU µs per paper |\n|---|---:|---:|---:|")
    for name, cpu, wall in stages.rows:
        print(f"| {name} | {cpu:.2f} | {wall:.2f} | {1e6 * cpu / n:.0f} |")
    for name, profile in (("pool's work", pool_profile), ("writer's work", writer_profile)):
        if profile:
            print(f"\n### cProfile, {name}: top functions by own time\n")
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()

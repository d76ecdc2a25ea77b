"""Keywords and summaries benchmark: the static token-vector methods against the MiniLM method (the baseline).

    .venv/bin/python benchmarks/keyphrases.py [--arxiv 500] [--static] [--pool 4000] [--workers N] [--pool-only]

Papers: the 64 demo papers, and --arxiv papers spread evenly over benchmarks/data/arxiv-sample-20k.jsonl.gz.
For each method: CPU seconds per paper on one core (OpenVINO and BLAS held to one thread), and agreement with
the MiniLM method of the same run: mean Jaccard of the keyword sets (case-folded), share of papers whose top-3
keywords share at least 2, and share of papers with the identical summary sentence.

Methods: `minilm` (baseline: every phrase and sentence encoded by the transformer), `minilm-tokens` (the
default: MiniLM's SIF-weighted input token embeddings), and with --static the shipped `minilm-static` tier.

Then serial against pooled, in the same run: `minilm-tokens` over --pool papers of the sample in batches of 256,
once in this process and once on a pool of --workers processes (index/token_pool.py, as `dailypapers index` runs
it; the pool's start counted). Papers/s of wall time, CPU ms per paper (the pool's: this process plus its workers,
read from /proc, so Linux only), and how many papers got the serial run's keywords and summary.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(variable, "1")  # one core: set before numpy, torch and tokenizers load

import numpy as np  # noqa: E402

from dailypapers.index.descriptions import keyphrase_method  # noqa: E402
from dailypapers.index.embedders import MINILM, MINILM_STATIC  # noqa: E402
from dailypapers.index.keyphrases import Description, describe, describe_with_tokens  # noqa: E402
from dailypapers.index.minilm import load_minilm  # noqa: E402
from dailypapers.index.token_pool import cores, describe_in_pool  # noqa: E402
from dailypapers.index.token_vectors import TokenVectors  # noqa: E402
from dailypapers.ingest.demo import demo_records  # noqa: E402

SAMPLE = ROOT / "benchmarks" / "data" / "arxiv-sample-20k.jsonl.gz"


def arxiv_papers(count: int) -> list[tuple[str, str]]:
    with gzip.open(SAMPLE, "rt") as lines:
        rows = [json.loads(line) for line in lines]
    step = max(len(rows) // count, 1)
    return [(row["title"], row["abstract"]) for row in rows[::step][:count]]


def run(method, papers: list[tuple[str, str]]) -> tuple[float, list[Description]]:
    def once(batch):
        if isinstance(method, TokenVectors):
            return describe_with_tokens(batch, method)
        return describe(batch, method)

    once(papers[:4])  # warm: first calls allocate
    started = time.process_time()
    described = [d for start in range(0, len(papers), 256) for d in once(papers[start : start + 256])]
    return (time.process_time() - started) / len(papers), described


def agreement(baseline: list[Description], other: list[Description]) -> tuple[float, float, float]:
    jaccard, top3, same = [], [], []
    for b, o in zip(baseline, other, strict=True):
        mine, theirs = {k.lower() for k in b.keywords}, {k.lower() for k in o.keywords}
        jaccard.append(len(mine & theirs) / max(len(mine | theirs), 1))
        top3.append(len({k.lower() for k in b.keywords[:3]} & {k.lower() for k in o.keywords[:3]}) >= 2)
        same.append(b.summary == o.summary)
    return float(np.mean(jaccard)), float(np.mean(top3)), float(np.mean(same))


def serial_and_pooled(papers: list[tuple[str, str]], workers: int) -> None:
    tokens = keyphrase_method("minilm-tokens", ROOT / "benchmarks" / "out")
    batches = [papers[start : start + 256] for start in range(0, len(papers), 256)]
    describe_with_tokens(papers[:4], tokens)  # warm: first calls allocate
    serial = timed("serial (1 process)", (describe_with_tokens(batch, tokens) for batch in batches), lambda: 0.0)
    pooled = timed(
        f"pooled ({workers} workers)",
        (described for _, described in describe_in_pool(enumerate(batches), tokens, workers)),
        children_cpu,
    )
    print(f"\n{len(papers)} papers of the sample, batches of 256, load average {os.getloadavg()[0]:.1f} at the end:\n")
    print(
        "| run | papers/s (wall, start counted) | papers/s after the first batch | CPU ms/paper "
        "| of which this process | cores used (CPU / wall) | same as serial |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, (seconds, steady, cpu_seconds, own_seconds, described) in {**serial, **pooled}.items():
        same = sum(a == b for a, b in zip(serial_run(serial), described, strict=True))
        rate = (len(papers) - len(batches[0])) / steady if steady else 0
        print(
            f"| {label} | {len(papers) / seconds:,.0f} | {rate:,.0f} | {cpu_seconds / len(papers) * 1e3:.2f} | "
            f"{own_seconds / len(papers) * 1e3:.2f} | {cpu_seconds / seconds:.2f} | {same}/{len(papers)} |"
        )


def serial_run(serial: dict) -> list[Description]:
    return next(iter(serial.values()))[4]


def timed(label: str, results: Iterator[list[Description]], workers_cpu) -> dict:
    """{label: (wall seconds, after the first batch, CPU seconds, of which this process's, descriptions)} of consuming
    `results`; `workers_cpu` reads the CPU seconds of other processes doing the work, while they still run."""
    wall, cpu = time.perf_counter(), time.process_time()
    described: list[Description] = []
    first = others = 0.0
    for batch in results:
        first = first or time.perf_counter()
        described += batch
        others = max(others, workers_cpu())
    end, own = time.perf_counter(), time.process_time() - cpu
    return {label: (end - wall, end - first, own + others, own, described)}


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's live child processes: the pool's workers."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for child in multiprocessing.active_children():
        fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of the whole line
    return total / ticks


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arxiv", type=int, default=500, help="arXiv papers to describe besides the demo ones")
    parser.add_argument("--static", action="store_true", help="also the minilm-static tier")
    parser.add_argument("--pool", type=int, default=4000, help="sample papers for serial against pooled (0: skip)")
    parser.add_argument("--workers", type=int, default=cores(), help="pool processes (default: the cores)")
    parser.add_argument("--pool-only", action="store_true", help="only serial against pooled")
    args = parser.parse_args(argv)
    if not args.pool_only:
        agreement_table(args)
    if args.pool:
        serial_and_pooled(arxiv_papers(args.pool), args.workers)


def agreement_table(args: argparse.Namespace) -> None:
    sets = {
        "demo (64)": [(r.title, r.abstract) for r in demo_records()],
        f"arXiv ({args.arxiv})": arxiv_papers(args.arxiv),
    }
    methods = {MINILM: load_minilm(threads=1)}  # the transformer on one core, as the other methods run
    for name in ["minilm-tokens"] + ([MINILM_STATIC] if args.static else []):
        methods[name] = keyphrase_method(name, ROOT / "benchmarks" / "out")
    print("| papers | method | ms/paper (1 core) | papers/s | keyword Jaccard | top-3 overlap ≥ 2 | same summary |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, papers in sets.items():
        baseline = None
        for name, method in methods.items():
            seconds, described = run(method, papers)
            baseline = baseline or described
            jaccard, top3, same = agreement(baseline, described)
            print(
                f"| {label} | {name} | {seconds * 1e3:.2f} | {1 / seconds:,.0f} | {jaccard:.3f} | {top3:.3f} | "
                f"{same:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()

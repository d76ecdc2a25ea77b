"""Keywords and summaries benchmark: the static token-vector methods against the MiniLM method (the baseline).

    .venv/bin/python benchmarks/keyphrases.py [--arxiv 500] [--static]

Papers: the 64 demo papers, and --arxiv papers spread evenly over benchmarks/data/arxiv-sample-20k.jsonl.gz.
For each method: CPU seconds per paper on one core (OpenVINO and BLAS held to one thread), and agreement with
the MiniLM method of the same run: mean Jaccard of the keyword sets (case-folded), share of papers whose top-3
keywords share at least 2, and share of papers with the identical summary sentence.

Methods: `minilm` (baseline: every phrase and sentence encoded by the transformer), `minilm-tokens` (the
default: MiniLM's SIF-weighted input token embeddings), and with --static the shipped `minilm-static` tier.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arxiv", type=int, default=500, help="arXiv papers to describe besides the demo ones")
    parser.add_argument("--static", action="store_true", help="also the minilm-static tier")
    args = parser.parse_args(argv)
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
